"""The bad-input corpus: every kind of broken input a user has brought, as a small mutation of the sample.

Each case copies one school year (2024) of the embedded sample, breaks it the way a real export
breaks, runs the command and asserts what a user sees: the exit code (2 for an error, 0 with a
warning), a message naming the file (and sheet, row, column where there is one) and the fix, no
traceback, and the raw folder and an existing processed set byte-identical before and after.
Hostile names (HTML, formulas) are covered in test_hostile.py; permissions, a full disk and the
clean workers in test_errors.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from lcedu.cli import main
from lcedu.ingest import store
from lcedu.ingest.roster import header_paths

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
YEAR = 2024
COUNTY, COUNTY_CODE = "凤庆县", "530921"
STUDENTS = ("初中", "在校生数", "合计")
pytestmark = pytest.mark.integration


def hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` and its SHA-256: what "byte-identical" is checked against."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def one_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's 2024 inputs (rosters, local sheet, county workbooks, city, sites.csv): a complete input set."""
    out = tmp_path_factory.mktemp("badinput") / "raw"

    def skip(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(RAW)
        if rel == Path("."):
            return {"forms"} & set(names)
        if rel.parts[0] in ("rosters", "local", "county") and len(rel.parts) == 1:
            return {n for n in names if n.isdigit() and n != str(YEAR)}
        return set()

    shutil.copytree(RAW, out, ignore=skip)
    return out


@pytest.fixture
def raw(one_year: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "raw"
    shutil.copytree(one_year, copy)
    return copy


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    """An existing processed set, which no failing command may touch."""
    out = tmp_path / "processed"
    store.write({"schools": pd.DataFrame({"school_id": ["2153921001"], "year": [YEAR]})}, {"is_sample": True}, out)
    return out


# --- how the cases break the sample ---------------------------------------------------------------


def roster_file(raw: Path) -> Path:
    return next(p for p in sorted((raw / "rosters" / str(YEAR)).iterdir()) if COUNTY[:2] in p.name)


@dataclass
class Roster:
    """One roster opened for editing: its columns by header path and its first data row (1-based)."""

    path: Path
    book: openpyxl.Workbook
    columns: dict[tuple[str, ...], int]
    first: int

    @classmethod
    def open(cls, raw: Path) -> Roster:
        path = roster_file(raw)
        book = openpyxl.load_workbook(path)
        rows = list(book.active.iter_rows(values_only=True))
        top = next(i for i, r in enumerate(rows) if "学校名称" in r)
        numbers = next(i for i, r in enumerate(rows) if r[0] == "甲")  # the 甲 乙 1 2 … row under the headers
        block = np.array([["" if v is None else v for v in r] for r in rows[top:numbers]], dtype=object)
        return cls(path, book, {p: j + 1 for j, p in enumerate(header_paths(block)) if p}, numbers + 2)

    def column(self, last: str) -> int:
        return next(j for p, j in self.columns.items() if p[-1] == last)

    def set(self, row: int, column: int, value: object) -> None:
        self.book.active.cell(row, column).value = value

    def save(self) -> None:
        self.book.save(self.path)


def cell(header: tuple[str, ...] | str, value: object) -> Callable[[Path], list[str]]:
    """Write ``value`` into one school's cell (the second school of the roster)."""

    def mutate(raw: Path) -> list[str]:
        r = Roster.open(raw)
        column = r.columns[header] if isinstance(header, tuple) else r.column(header)
        r.set(r.first + 1, column, value)
        r.save()
        return [r.path.name, f"第{r.first + 1}行"]

    return mutate


def duplicate_id(raw: Path) -> list[str]:
    r = Roster.open(raw)
    sid = r.column("学校识别码") if any(p[-1] == "学校识别码" for p in r.columns) else r.column("学校标识码")
    r.set(r.first + 1, sid, r.book.active.cell(r.first, sid).value)
    r.save()
    return [r.path.name, f"第{r.first + 1}行"]


def totals_row(raw: Path) -> list[str]:
    r = Roster.open(raw)
    rows = r.book.active.iter_rows(min_row=r.first, max_col=1, values_only=True)
    end = r.first + next(i for i, (name,) in enumerate(rows) if name is None)  # under the last school, above the notes
    r.set(end, r.column("学校名称"), "合计")
    r.set(end, r.columns[STUDENTS], 10**15)  # never counted, so never beyond a bound
    r.save()
    return [r.path.name, f"第{end}行"]


def headers_only(raw: Path) -> list[str]:
    r = Roster.open(raw)
    sheet = r.book.active
    sheet.delete_rows(r.first, sheet.max_row - r.first + 1)
    r.save()
    return [r.path.name, f"工作表「{sheet.title}」"]


def county_headers_only(raw: Path) -> list[str]:
    path = raw / "county" / str(YEAR) / f"人口_{YEAR}.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book.active
    first = next(i for i, r in enumerate(sheet.iter_rows(values_only=True), 1) if r[0] == "合计")
    sheet.delete_rows(first, sheet.max_row - first + 1)  # the 合计 row and every county
    book.save(path)
    return [path.name]


def title_year(raw: Path) -> list[str]:
    r = Roster.open(raw)
    r.set(1, 1, f"{YEAR - 1}/{YEAR}学年初 基础教育过录表（{COUNTY}）")
    r.save()
    return [r.path.name, f"rosters/{YEAR - 1}/"]


def rename_header(raw: Path) -> list[str]:
    r = Roster.open(raw)
    sheet = r.book.active
    top = next(i for i, row in enumerate(sheet.iter_rows(values_only=True), 1) if "学校名称" in row)
    r.set(top, r.column("学校名称"), "学校名字")
    r.save()
    return [r.path.name, "学校名字", "roster.yml"]  # the header as found, beside the wanted one


def delete_roster(raw: Path) -> list[str]:
    roster_file(raw).unlink()
    return []


def roster_saved_as(suffix: str) -> Callable[[Path], list[str]]:
    def mutate(raw: Path) -> list[str]:
        path = roster_file(raw)
        moved = path.with_suffix(suffix)
        path.rename(moved)
        return [moved.name]

    return mutate


def write_bytes(name: str, data: bytes, *, replace_roster: bool = False) -> Callable[[Path], list[str]]:
    def mutate(raw: Path) -> list[str]:
        path = roster_file(raw) if replace_roster else raw / "rosters" / str(YEAR) / name
        path.write_bytes(data)
        return [path.name]

    return mutate


def counties_csv(text: str, encoding: str) -> Callable[[Path], list[str]]:
    def mutate(raw: Path) -> list[str]:
        (raw / "counties.csv").write_bytes(text.encode(encoding))
        return []

    return mutate


def no_city(raw: Path) -> list[str]:
    shutil.rmtree(raw / "city")
    return []


def nothing(raw: Path) -> list[str]:
    for p in raw.iterdir():
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return []


def broken_layout(raw: Path) -> list[str]:
    local = raw.parent / "layouts"
    local.mkdir()
    (local / "population.yml").write_text("table: population\nlevel: county\n  key: [county_code\n", encoding="utf-8")
    return ["population.yml", "第3行"]


@dataclass
class Case:
    id: str
    mutate: Callable[[Path], list[str]]
    code: int
    expect: list[str]  # in the output, besides what mutate returns (the file, the row)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


MISSING_COUNTY_YEAR = f"{YEAR} {COUNTY}({COUNTY_CODE})"
CASES = [
    # numbers that are not numbers (issue 14: tracebacks in parse.convert)
    Case("inf_text", cell(STUDENTS, "inf"), 2, ["不是可用的数值", "初中 › 在校生数 › 合计", "修正 / fix"]),
    Case("1e20", cell(STUDENTS, 1e20), 2, ["不是可用的数值", "初中 › 在校生数 › 合计"]),
    Case("minus_infinity_text", cell(STUDENTS, "-Infinity"), 2, ["不是可用的数值"]),
    Case("text_in_count", cell(STUDENTS, "一千二"), 2, ["不是数字", "初中 › 在校生数 › 合计", "改为数字"]),
    Case("negative_count", cell(STUDENTS, -5), 2, ["负数"]),
    Case("fractional_count", cell(STUDENTS, 12.5), 2, ["不是整数"]),
    # implausible values (plausibility.yml)
    Case(
        "1e15_students",
        cell(STUDENTS, 1e15),
        2,
        ["每校在校生数", "硬界限", "初中 › 在校生数 › 合计", "plausibility.yml"],
    ),
    Case(
        "yuan_under_wanyuan", cell("教学仪器设备资产值(万元)", 25_000_000), 2, ["生均教学仪器设备值", "硬界限", "万元"]
    ),
    # ids and rows
    Case("bad_school_id", cell("学校识别码", "215392100"), 2, ["10位数字"]),
    Case("duplicate_school_id", duplicate_id, 2, ["重复记录", "删除重复行"]),
    Case("totals_row", totals_row, 0, ["合计行", "未计入"]),
    # silent loss (issue 14): empty tables, missing or unreadable county-years
    Case("roster_headers_only", headers_only, 2, ["只有表头", MISSING_COUNTY_YEAR, "--partial"]),
    Case("county_workbook_headers_only", county_headers_only, 2, ["只有表头", "常住人口(population)", "--partial"]),
    Case(
        "county_workbook_headers_only_partial",
        county_headers_only,
        0,
        ["提示", "只有表头", "常住人口(population)"],
        args=["--partial"],
    ),
    Case("missing_roster", delete_roster, 2, [MISSING_COUNTY_YEAR, "rosters/<学年>/", "--partial"]),
    Case(
        "roster_saved_as_numbers", roster_saved_as(".numbers"), 2, ["未识别的文件", MISSING_COUNTY_YEAR, "另存为 .xlsx"]
    ),
    Case("roster_saved_as_wps_et", roster_saved_as(".et"), 2, ["不支持 .et 格式", "另存为 .xlsx", MISSING_COUNTY_YEAR]),
    Case("unknown_file_beside_rosters", write_bytes("说明.docx", b"PK\x03\x04"), 0, ["未识别的文件"]),
    Case(
        "corrupt_workbook",
        write_bytes("", b"this is not a workbook", replace_roster=True),
        2,
        ["不是有效的 Excel 文件", "另存为 .xlsx"],
    ),
    Case("zero_byte_workbook", write_bytes("", b"", replace_roster=True), 2, ["文件为空", "重新导出"]),
    Case("excel_lock_file", write_bytes(f"~$过录表_{YEAR}.xlsx", b"\x00" * 162), 0, ["锁文件"]),
    Case("no_city_workbook", no_city, 0, ["没有市级表", "city/"]),
    Case("no_raw_files", nothing, 2, ["没有找到原始数据文件", "lcedu sample"]),
    # wording and placement
    Case("unknown_header", rename_header, 2, ["缺少必需的列"]),
    Case("roster_title_states_another_year", title_year, 2, ["学年的文件夹中"]),
    Case("formula_without_value", cell("教室(间)", "=R8*2"), 0, ["公式没有保存计算结果", "教室(间)", "Excel 或 WPS"]),
    # configuration (issue 14: AttributeError, UnicodeDecodeError, yaml ParserError)
    Case(
        "counties_csv_gbk",
        counties_csv("county_code,name_zh,short_name_zh\n530102,五华区,五华区\n", "gbk"),
        0,
        ["检查通过"],
    ),
    Case(
        "counties_csv_other_columns",
        counties_csv("代码,名称\n530102,五华区\n", "utf-8"),
        2,
        ["counties.csv", "county_code"],
    ),
    Case("broken_local_layout", broken_layout, 2, ["YAML"], env={"LCEDU_LAYOUTS": "../layouts"}),
]


def run(raw: Path, case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    for name, value in case.env.items():
        monkeypatch.setenv(name, str((raw / value).resolve()) if value.startswith(".") else value)
    code = main(["check", "--raw", str(raw), *case.args])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == case.code, text[-3000:]
    return text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_message(
    case: Case, raw: Path, processed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    named = case.mutate(raw)
    before_raw, before_processed = hashes(raw), hashes(processed)
    text = run(raw, case, monkeypatch, capsys)
    for expected in [*case.expect, *named]:
        assert expected in text, f"{expected!r} not in:\n{text[-3000:]}"
    assert "Traceback" not in text
    if case.code == 2:
        assert "错误" in text and "修正 / fix" in text
    assert hashes(raw) == before_raw  # raw files are only read
    assert hashes(processed) == before_processed


def test_the_one_year_sample_passes(raw: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The base of every case is a complete input set: each failure above comes from its mutation."""
    assert main(["check", "--raw", str(raw)]) == 0
    text = capsys.readouterr().err
    assert "软界限的数值 / values beyond a soft plausibility bound: 0" in text


def test_formula_without_value_is_na_with_its_reason(raw: Path) -> None:
    from lcedu.ingest.clean import collect
    from lcedu.ingest.readers import FORMULA_WITHOUT_VALUE_REASON

    named = cell("教室(间)", "=R8*2")(raw)
    result = collect(raw)
    missing = result.tables["missing_values"]
    row = int(named[1].removeprefix("第").removesuffix("行"))
    hit = missing[
        (missing["row"] == row) & missing["file"].str.endswith(named[0]) & (missing["column"] == "classroom_count")
    ]
    assert list(hit["reason"]) == [FORMULA_WITHOUT_VALUE_REASON]
    assert (missing["reason"] == FORMULA_WITHOUT_VALUE_REASON).sum() == 1  # the one cell, no other
    facilities = result.tables["facilities"]
    assert (
        facilities.loc[facilities["_row"].eq(row) & facilities["_file"].str.endswith(named[0]), "classroom_count"]
        .isna()
        .all()
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder; see test_errors (monkeypatched)")
def test_read_only_processed_folder(raw: Path, processed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = hashes(processed)
    modes = {p: p.stat().st_mode for p in [processed, *processed.rglob("*")]}
    for p in modes:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        assert main(["clean", "--raw", str(raw), "--out", str(processed)]) == 2
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    err = capsys.readouterr().err
    assert "没有权限" in err and "Traceback" not in err
    assert hashes(processed) == before


def test_out_inside_a_file_is_a_message(raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    assert main(["clean", "--raw", str(raw), "--out", str(blocker / "processed")]) == 2
    err = capsys.readouterr().err
    assert "无法写入" in err and str(blocker) in err and "Traceback" not in err
    assert blocker.read_text(encoding="utf-8") == "a file where a folder should be"


# --- other formats: .ods and .xls read like .xlsx (calamine) -----------------------------------------


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) converts the roster")
@pytest.mark.parametrize("suffix", [".ods", ".xls"])
def test_a_roster_saved_as_ods_or_xls_is_read_like_xlsx(suffix: str, raw: Path, tmp_path: Path) -> None:
    from lcedu.ingest.clean import collect

    path = roster_file(raw)
    out = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            suffix[1:],
            "--outdir",
            str(tmp_path / "converted"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    before = collect(raw)
    path.unlink()
    shutil.copy(tmp_path / "converted" / path.with_suffix(suffix).name, path.with_suffix(suffix))
    after = collect(raw)
    assert not after.errors, [i.format() for i in after.errors]
    assert not [i for i in after.warnings if "未识别" in i.message]
    for table in ("schools", "enrollment", "teachers", "facilities"):
        mine = [
            f[f["county_code"] == COUNTY_CODE].drop(columns=["_file"]).reset_index(drop=True)
            for f in (before.tables[table], after.tables[table])
        ]
        assert len(mine[0]) > 0
        pd.testing.assert_frame_equal(*mine, check_dtype=False)


# --- every command that reads input, run as a user runs it ------------------------------------------


def lcedu(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lcedu.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        cwd=REPO,
    )


BUILDS = [
    "totals_row",
    "formula_without_value",
    "county_workbook_headers_only_partial",
    "1e15_students",
    "roster_headers_only",
]


@pytest.fixture(scope="module")
def builds(one_year: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, str]]:
    """``lcedu clean`` (a real process) over some cases: case → (raw, processed, output)."""
    out = {}
    for case in [c for c in CASES if c.id in BUILDS]:
        root = tmp_path_factory.mktemp(case.id)
        raw, processed = root / "raw", root / "processed"
        shutil.copytree(one_year, raw)
        case.mutate(raw)
        store.write({"schools": pd.DataFrame({"school_id": ["2153921001"], "year": [YEAR]})}, {}, processed)
        before_raw, before_processed = hashes(raw), hashes(processed)
        result = lcedu("clean", "--raw", str(raw), "--out", str(processed), *case.args)
        text = result.stdout + result.stderr
        assert result.returncode == case.code, text[-3000:]
        assert "Traceback" not in text
        assert hashes(raw) == before_raw
        if case.code == 2:
            assert hashes(processed) == before_processed  # nothing half-written
        out[case.id] = (raw, processed, text)
    return out


def test_clean_on_the_corpus(builds: dict[str, tuple[Path, Path, str]]) -> None:
    assert set(builds) == set(BUILDS)
    assert "超出合理范围软界限的数值" in builds["totals_row"][2]  # the quality summary lists the soft bounds
    assert "formula_without_value" in builds["formula_without_value"][2]  # missing cells by reason


COMMANDS = {
    "maps": ["maps", "--year", str(YEAR), "--formats", "png"],
    "maps_year_without_data": ["maps", "--year", "2030", "--formats", "png"],
    "evaluate": ["evaluate", "--no-pdf", "--year", str(YEAR), "--counties", COUNTY_CODE],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_commands_reading_a_build_never_end_in_a_traceback(command: str, builds: dict, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    targets = {name: b[1] for name, b in builds.items()} | {"empty_processed_folder": empty}
    for name, processed in targets.items():
        args = [*COMMANDS[command], "--out", str(tmp_path / name / command)]
        result = lcedu(*args, env={"LCEDU_PROCESSED": str(processed)})
        text = result.stdout + result.stderr
        assert result.returncode in (0, 2), f"{name}: {text[-3000:]}"
        assert "Traceback" not in text, f"{name}: {text[-3000:]}"
        if result.returncode == 2:
            assert "错误" in text and "修正 / fix" in text, f"{name}: {text[-3000:]}"
        if name == "empty_processed_folder" or command == "maps_year_without_data":
            assert result.returncode == 2, f"{name}: no data must not be drawn or written as zero"


@pytest.mark.notebooks
def test_render_on_the_corpus_never_ends_in_a_traceback(builds: dict, tmp_path: Path) -> None:
    for name in ("formula_without_value", "county_workbook_headers_only_partial"):
        result = lcedu(
            "render",
            "--notebooks",
            "county_briefing",
            "--counties",
            COUNTY_CODE,
            "--year",
            str(YEAR),
            "--workers",
            "1",
            "--out",
            str(tmp_path / name),
            env={"LCEDU_PROCESSED": str(builds[name][1])},
        )
        text = result.stdout + result.stderr
        assert result.returncode in (0, 1, 2) and "Traceback" not in text, f"{name}: {text[-3000:]}"


PLAN = REPO / "lcedu" / "plans" / "lincang_2023_2025"


@pytest.mark.parametrize(
    "broken", ["plan_text_in_gbk", "plan_text_is_a_workbook", "targets_yaml_syntax", "targets_missing"]
)
def test_plan_check_on_broken_files_is_a_message(broken: str, tmp_path: Path) -> None:
    text, targets = tmp_path / "plan.txt", tmp_path / "targets.yml"
    shutil.copy(PLAN / "plan.txt", text)
    shutil.copy(PLAN / "targets.yml", targets)
    if broken == "plan_text_in_gbk":
        text.write_bytes((PLAN / "plan.txt").read_text(encoding="utf-8").encode("gbk", errors="replace"))
    elif broken == "plan_text_is_a_workbook":
        shutil.copy(roster_file(RAW), text)
    elif broken == "targets_yaml_syntax":
        targets.write_text(targets.read_text(encoding="utf-8") + "\n  broken: [unclosed\n", encoding="utf-8")
    else:
        targets.unlink()
    before = hashes(tmp_path)
    result = lcedu("plan", "check", str(text), str(targets))
    out = result.stdout + result.stderr
    assert result.returncode == 2, out[-3000:]
    assert "Traceback" not in out and "错误" in out
    assert (text.name if broken.startswith("plan_text") else targets.name) in out
    assert hashes(tmp_path) == before


# --- no silent double-reading (issue 26.1) ---------------------------------------------------------


def _copy_of(path: Path, name: str) -> Path:
    target = path.with_name(name)
    shutil.copy2(path, target)
    return target


@pytest.mark.parametrize(
    ("copy_name", "likely_copy"),
    [
        ("{stem} - 副本{suffix}", True),
        ("{stem} (1){suffix}", True),
        ("{stem} - 副本 2{suffix}", True),
        (f"{COUNTY_CODE}_过录表_{YEAR}_重新导出{{suffix}}", False),  # a re-export under another name
    ],
    ids=["windows_copy", "browser_copy", "second_copy", "re_export"],
)
def test_a_second_roster_for_a_county_year_is_an_error_naming_both(
    copy_name: str, likely_copy: bool, raw: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue 26: 双江….xlsx and 双江… - 副本.xlsx used to pass check and be merged into one county."""
    original = roster_file(raw)
    copy = _copy_of(original, copy_name.format(stem=original.stem, suffix=original.suffix))
    before = hashes(raw)
    assert main(["check", "--raw", str(raw)]) == 2
    text = capsys.readouterr().err
    line = next(ln for ln in text.splitlines() if copy.name in ln and "重复" in ln)
    assert original.name in line and "规则 / rule" in line and COUNTY_CODE in line
    assert ("看来是" in line and "副本" in line) is likely_copy, line
    assert "Traceback" not in text
    assert hashes(raw) == before


def test_a_copied_local_sheet_or_county_workbook_is_not_read_twice(
    raw: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = _copy_of(raw / "local" / str(YEAR) / "学校补充信息.xlsx", "学校补充信息 - 副本.xlsx")
    population = _copy_of(raw / "county" / str(YEAR) / f"人口_{YEAR}.xlsx", f"人口_{YEAR} (1).xlsx")
    assert main(["check", "--raw", str(raw), "--partial"]) == 2  # never relaxed by --partial
    text = capsys.readouterr().err
    for copy, original in ((local, "学校补充信息.xlsx"), (population, f"人口_{YEAR}.xlsx")):
        line = next(ln for ln in text.splitlines() if ln.startswith("错误") and copy.name in ln)
        assert original in line and "副本" in line and "规则 / rule" in line
    assert "未识别的文件" not in text  # a copy set aside is named once, as a copy
