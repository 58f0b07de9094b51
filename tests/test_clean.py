"""Cleaning: the sample's round trip, every kind of mess, and every kind of bad input."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lcedu.cli import main
from lcedu.errors import InputErrors
from lcedu.ingest import store
from lcedu.ingest.clean import clean, collect
from lcedu.ingest.layout import load_layout
from lcedu.ingest.parse import convert, parse_sheet
from lcedu.ingest.schemas import detail_value
from lcedu.sample import LINCANG_FORMS, sample_truth
from lcedu.sample.messy import write_raw
from lcedu.sample.truth import build_truth, lincang_counties
from tests.conftest import file_hashes

pytestmark = pytest.mark.integration  # generates and cleans whole samples

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
SHUANGJIANG = "530925"


@pytest.fixture(scope="module")
def truth() -> dict[str, pd.DataFrame]:
    return sample_truth(lincang_counties(), [2022, 2023, 2024, 2025], 2023)[0]  # with its injected errors


@pytest.fixture(scope="module")
def mini_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """双江县 in 2022 (old wording) and 2024 (new wording) as messy four-sheet county workbooks (the
    older accepted input; the roster path has tests/test_roster.py), and its clean set."""
    county = next(c for c in lincang_counties() if c.county_code == SHUANGJIANG)
    small = build_truth([county], [2022, 2024], 2023, with_city=False)
    base = tmp_path_factory.mktemp("mini")
    write_raw(small, [county], base / "raw", 2023, school_format="county")
    result = clean(base / "raw")
    store.write(result.tables, {"inputs": result.inputs}, base / "processed")
    return base / "raw", base / "processed"


@pytest.fixture
def mini_raw(mini_template: tuple[Path, Path], tmp_path: Path) -> Path:
    shutil.copytree(mini_template[0], tmp_path / "raw")
    return tmp_path / "raw"


def _workbook(raw: Path, year: int) -> Path:
    return next((raw / "schools" / str(year)).glob("*.xlsx"))


def _cell_of(ws, header: str) -> tuple[int, int]:
    """(first data row, column) of a header text anywhere in the top rows."""
    for row in ws.iter_rows(min_row=1, max_row=8):
        for c in row:
            if c.value == header:
                last_header = max(
                    r for r in range(c.row, c.row + 4) if ws.cell(r, c.column).value in (header, None) or r == c.row
                )
                return last_header + 1, c.column
    raise AssertionError(f"header {header} not in sheet")


def _first_school_row(ws) -> int:
    """The first row whose first or second cell looks like a school id."""
    for row in ws.iter_rows(min_row=1):
        for c in row[:3]:
            text = str(c.value or "")
            if text.isdigit() and len(text) >= 7:
                return c.row
    raise AssertionError("no school row")


# --- round trip -----------------------------------------------------------------------------


# Issue 20's detail (students by grade and age, the 331 flows, teacher ages) is in the truth before every
# writer writes it: the sample's per-school forms (LINCANG_FORMS) carry all of it, the rosters the grades.
# Where a file carries it, it must come back exactly. Coordinates come from the forms' 1001 and, for the
# roster counties, the 学校补充信息 sheet: every school's come back.
DETAIL = ("grade_enrollment", "kindergarten_ages", "student_flows", "teacher_ages")


def test_sample_round_trip_equals_truth(sample_tables: dict, truth: dict) -> None:
    """truth → messy files (committed in data/raw) → clean gives back exactly the truth."""
    county, year, _scheme = LINCANG_FORMS
    for name, expected in truth.items():
        if name in DETAIL:
            continue
        pd.testing.assert_frame_equal(sample_tables[name], expected, check_dtype=True, obj=name)
    for name in DETAIL:
        got = sample_tables.get(name)
        if got is None:
            continue
        count = detail_value(name)
        key = [c for c in got.columns if c != count]
        merged = got.merge(truth[name], on=key, how="left", suffixes=("", "_truth"), indicator=True)
        assert (merged["_merge"] == "both").all() and len(got), name
        assert merged[count].equals(merged[f"{count}_truth"]), name
    assert "grade_enrollment" in sample_tables, "the 教基 3112/3115/3118 grades are read"


def test_sample_generation_is_deterministic(tmp_path: Path) -> None:
    """`lcedu sample` rewrites byte-identical files, so the committed sample is reproducible."""
    assert main(["sample", "--out", str(tmp_path / "raw")]) == 0
    regenerated = file_hashes(tmp_path / "raw")
    committed = {k: v for k, v in file_hashes(RAW).items() if k != "README.md"}
    assert regenerated == committed


def test_sample_covers_every_mess_type(sample_tables: dict) -> None:
    files = [p for p in RAW.rglob("*") if p.is_file()]
    names = [p.name for p in files]
    rosters = [p for p in files if "rosters" in p.parts and p.parent.name.isdigit()]
    assert any(p.suffix == ".csv" for p in rosters), "a roster exported as GB18030 CSV"
    assert any("自治县" in f for f in names) and any(f[:6].isdigit() for f in names)
    assert any(not re.search(r"\d{6}|县|区", p.stem) or p.stem.startswith("过录表(") for p in rosters), (
        "a roster whose county comes from its rows' 区划代码"
    )
    assert (RAW / "rosters" / "sites.csv").exists() and any("local" in p.parts for p in files)
    missing = sample_tables["missing_values"]
    assert "" in set(missing["raw_text"].fillna("")), "blank cells: NA with a reason, not 0"
    totals = sample_tables["reported_totals"]
    assert totals["label"].str.contains("合计").any()
    ids = sample_tables["schools"]["school_id"]
    assert ids.str.fullmatch(r"[1-9]\d{9}").all(), "real-shaped 学校标识码, never zero-filled"
    assert set(ids.str[2:4]) == {"53"} and {"11", "21", "31", "34", "36", "51"} <= set(ids.str[:2])
    sites = sample_tables["schools"][~sample_tables["schools"]["is_counted_school"]]
    assert len(sites) and (sites["school_type"] == "teaching_point").all() and sites["parent_school_id"].notna().all()


def test_totals_are_flagged_never_counted(sample_tables: dict, truth: dict) -> None:
    schools = sample_tables["schools"]
    assert not schools["school_name"].str.contains("合计|小计").any()
    assert len(schools) == len(truth["schools"])


def test_missing_is_na_with_reason_never_zero(sample_tables: dict) -> None:
    teachers = sample_tables["teachers"]
    kg = teachers[teachers["stage"] == "kindergarten"]
    assert kg["pe_teacher_count"].isna().all(), "not applicable to kindergartens: NA, not 0"
    missing = sample_tables["missing_values"]
    assert missing["reason"].notna().all()
    assert {"table", "file", "sheet", "row", "column", "raw_text", "reason"} <= set(missing.columns)


def test_clean_never_modifies_raw(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    before = file_hashes(raw)
    assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "processed")]) == 0
    assert file_hashes(raw) == before


# --- each mess type on a hand-made sheet ------------------------------------------------------


def _parse(grid: list[list[object]], table: str, year: int = 2022) -> tuple[pd.DataFrame | None, list]:
    layout = load_layout(table)
    issues: list = []
    raw = parse_sheet(grid, layout, file="t.xlsx", sheet="s", year=year, has_county=True, issues=issues)
    if raw is None:
        return None, issues
    raw.text["_file"], raw.text["_sheet"] = "t.xlsx", "s"
    typed, _ = convert(raw.text, layout, raw.units, {("t.xlsx", "s"): raw.headers}, issues)
    return typed, issues


FACILITY_HEADER_2022 = [
    ["临沧市双江县2022年教育事业统计——办学条件", "", "", "", "", "", "", "", "", "", ""],
    ["单位：人、平方米、万元", "", "", "", "", "", "", "", "", "", ""],
    [
        "学校标识码",
        "学校名称",
        "校舍面积",
        "",
        "运动场地面积",
        "教学仪器设备资产值(万元)",
        "教室",
        "",
        "",
        "光纤接入",
        "平安校园",
    ],
    ["", "", "教学及辅助用房", "其中：室内体育用房", "", "", "普通教室", "网络多媒体教室", "数字教室", "", ""],
]


def test_merged_headers_units_text_numbers_and_notes() -> None:
    grid = FACILITY_HEADER_2022 + [
        ["合计", "", "3,000", "200", "5000", "12.3", "20", "10", "4", "", ""],
        [2153020123, "某某小学", "２，０００", 150, "4,000", "12.34", 14, "８", "—", "是", "否"],
        ["2.153020124E+09", "某某教学点", 1000.0, "50", "/", "", "6", 2, 1, "有", "已创建"],
        ["", "", "", "", "", "", "", "", "", "", ""],
        ["注：本表为示例。", "", "", "", "", "", "", "", "", "", ""],
        ["填表人：某某", "", "", "", "", "", "", "", "", "", ""],
    ]
    typed, issues = _parse(grid, "facilities")
    assert [(i.level, i.row) for i in issues] == [("warning", 7)], (
        "the id in scientific notation is repaired, with a note"
    )
    assert "2.153020124E+09" in issues[0].message and "2153020124" in issues[0].message
    records = typed[~typed["_is_total"]]
    assert list(records["school_id"]) == ["2153020123", "2153020124"], "a number and scientific notation, repaired"
    assert list(records["teaching_aux_area_m2"]) == [2000.0, 1000.0], "full-width digits and separators"
    assert list(records["equipment_value_yuan"].astype(float).fillna(-1)) == [123400.0, -1], "万元 → 元; blank → NA"
    assert records["sports_ground_area_m2"].isna().tolist() == [False, True], "'/' → NA"
    assert records["digital_classroom_count"].isna().tolist() == [True, False], "'—' → NA"
    assert list(records["has_fiber_network"]) == [True, True]
    assert list(records["is_safe_campus"]) == [False, True]
    assert typed["_is_total"].sum() == 1, "合计 flagged, notes ignored"


def test_reordered_columns_and_new_wording_variant() -> None:
    header = [
        [
            "学校(机构)名称",
            "学校识别码",
            "信息化",
            "",
            "",
            "",
            "校舍建筑面积",
            "",
            "体育运动场(馆)面积",
            "教学仪器设备值(元)",
            "平安校园创建",
        ],
        ["", "", "全光纤校园网", "教室数", "网络多媒体教室", "数字教室", "教学及辅助用房", "", "", "", ""],
        ["", "", "", "", "", "", "合计", "室内体育用房", "", "", ""],
        ["甲", "乙", "丙", 1, 2, 3, 4, 5, 6, 7, 8],
    ]
    grid = header + [["某小学", "1090200123", "否", 10, 5, 2, 900, 80, 3000, 250000, "是"]]
    typed, issues = _parse(grid, "facilities", year=2024)
    assert issues == []
    row = typed.iloc[0]
    assert row["school_id"] == "1090200123" and row["teaching_aux_area_m2"] == 900
    assert row["indoor_sports_area_m2"] == 80 and row["equipment_value_yuan"] == 250000, "元 kept as 元"
    assert row["digital_classroom_count"] == 2 and not row["has_fiber_network"]


def test_gb18030_csv_and_county_name_variants(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    truth = build_truth(lincang_counties(), [2024], 2023, with_city=False)
    write_raw(truth, lincang_counties(), raw, 7, csv_exports={(SHUANGJIANG, 2024)}, school_format="county")
    csvs = list(raw.rglob("*.csv"))
    assert csvs and all(p.read_bytes().decode("gb18030") for p in csvs)
    result = collect(raw)
    assert result.errors == []
    population = result.tables["population"].set_index("county_code")
    assert set(population.index) == {c.county_code for c in lincang_counties()}
    pd.testing.assert_frame_equal(
        result.tables["enrollment"]
        .drop(columns=["_file", "_sheet", "_row", "_is_total"])
        .sort_values(["school_id", "stage"], ignore_index=True)[truth["enrollment"].columns]
        .astype(truth["enrollment"].dtypes),
        truth["enrollment"].sort_values(["school_id", "stage"], ignore_index=True),
    )


# --- bad input: clear error, exit 2, no traceback, processed data unchanged -------------------


def _clean_cli(raw: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["clean", "--raw", str(raw), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.fixture
def cleaned_once(mini_template: tuple[Path, Path], mini_raw: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    out = tmp_path / "processed"
    shutil.copytree(mini_template[1], out, symlinks=True)
    return mini_raw, out, file_hashes(store.current(out))


def _assert_rejected(raw: Path, out: Path, before: dict, capsys, *expected: str) -> str:
    build = store.current(out)
    code, err = _clean_cli(raw, out, capsys)
    assert code == 2
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in error output:\n{err}"
    assert store.current(out) == build and file_hashes(build) == before, "processed set unchanged"
    return err


def _edit(path: Path, sheet: str, header: str, value: object) -> int:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    _, col = _cell_of(ws, header)
    row = _first_school_row(ws)
    ws.cell(row, col).value = value
    wb.save(path)
    return row


def _sheet_named(path: Path, *names: str) -> str:
    return next(n for n in openpyxl.load_workbook(path, read_only=True).sheetnames if n in names)


def test_negative_count_names_file_sheet_row_column(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2024)
    sheet = _sheet_named(book, "学生情况", "在校生情况", "学生")
    row = _edit(book, sheet, "招生", -5)
    _assert_rejected(raw, out, before, capsys, book.name, f"工作表「{sheet}」", f"第{row}行", "列「招生」", "负数")


def test_text_in_numeric_column(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2022)
    sheet = _sheet_named(book, "教职工情况", "教职工", "师资情况")
    row = _edit(book, sheet, "县级以上骨干教师", "十二")
    _assert_rejected(raw, out, before, capsys, book.name, f"第{row}行", "县级以上骨干教师", "不是数字")


@pytest.mark.parametrize("value", [1e20, "inf", "-Infinity"])
def test_infinite_or_huge_count_is_a_message(cleaned_once, capsys, value) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2024)
    sheet = _sheet_named(book, "学生情况", "在校生情况", "学生")
    row = _edit(book, sheet, "招生", value)
    _assert_rejected(raw, out, before, capsys, book.name, f"第{row}行", "列「招生」", "不是可用的数值")


def test_unknown_header_suggests_closest_spelling(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2022)
    wb = openpyxl.load_workbook(book)
    sheet = _sheet_named(book, "学生情况", "在校生情况", "学生")
    for row in wb[sheet].iter_rows(max_row=6):
        for c in row:
            if c.value == "毕业生数":
                c.value = "毕业人数"
    wb.save(book)
    _assert_rejected(raw, out, before, capsys, book.name, "未知表头「毕业人数」", "「毕业生数」")


def test_missing_sheet(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2022)
    wb = openpyxl.load_workbook(book)
    del wb[_sheet_named(book, "办学条件", "办学条件情况", "校舍及设备")]
    wb.save(book)
    _assert_rejected(raw, out, before, capsys, book.name, "缺少工作表「办学条件」")


def test_duplicate_school_id(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2024)
    wb = openpyxl.load_workbook(book)
    ws = wb[_sheet_named(book, "学校基本情况", "基本情况", "学校名册")]
    first = _first_school_row(ws)
    for col in range(1, ws.max_column + 1):
        ws.cell(first + 1, col).value = ws.cell(first, col).value
    wb.save(book)
    _assert_rejected(raw, out, before, capsys, book.name, "重复记录", f"第{first}行")


def test_unknown_county(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = next((raw / "county" / "2022").glob("人口*.xlsx"))
    wb = openpyxl.load_workbook(book)
    ws = wb["常住人口"]
    cell = next(
        c
        for r in ws.iter_rows()
        for c in r[:1]
        if str(c.value) in ("双江县", "530925", "双江自治县", "双江拉祜族佤族布朗族傣族自治县")
    )
    cell.value, row = "火星县", cell.row
    wb.save(book)
    _assert_rejected(raw, out, before, capsys, book.name, f"第{row}行", "未知县(区)「火星县」")


def test_corrupt_file(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2022)
    book.write_bytes(b"PK\x03\x04 this is not a workbook" * 10)
    _assert_rejected(raw, out, before, capsys, book.name, "不是有效的 Excel 文件")


def test_empty_workbook(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2024)
    wb = openpyxl.Workbook()
    wb.active.title = "学校基本情况"
    wb.save(book)
    _assert_rejected(raw, out, before, capsys, book.name, "工作表为空")


def test_unreadable_file(cleaned_once, capsys, monkeypatch) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2022)
    real = Path.read_bytes

    def locked(self: Path) -> bytes:
        if self.name == book.name:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", locked)
    _assert_rejected(raw, out, before, capsys, book.name, "无法读取文件")


def test_excel_lock_file_is_skipped_with_a_note(cleaned_once, capsys) -> None:
    raw, out, _ = cleaned_once
    book = _workbook(raw, 2022)
    (book.parent / f"~${book.name}").write_bytes(b"\x00" * 165)
    code, err = _clean_cli(raw, out, capsys)
    assert code == 0 and "锁文件" in err


def test_schema_rule_more_teachers_than_staff(cleaned_once, capsys) -> None:
    raw, out, before = cleaned_once
    book = _workbook(raw, 2022)
    sheet = _sheet_named(book, "教职工情况", "教职工", "师资情况")
    row = _edit(book, sheet, "教职工数", 0)
    _assert_rejected(raw, out, before, capsys, book.name, f"第{row}行", "专任教师多于教职工")


def test_check_reports_without_writing(mini_raw: Path, tmp_path: Path, capsys) -> None:
    assert main(["check", "--raw", str(mini_raw)]) == 0
    assert "检查通过" in capsys.readouterr().out
    book = _workbook(mini_raw, 2024)
    _edit(book, _sheet_named(book, "学生情况", "在校生情况", "学生"), "招生", -1)
    assert main(["check", "--raw", str(mini_raw)]) == 2
    assert "负数" in capsys.readouterr().err
    assert not (REPO / "data" / "processed" / "unexpected").exists()


def test_clean_raises_input_errors_with_every_error(mini_raw: Path) -> None:
    for year, header in ((2022, "招生数"), (2024, "招生")):
        book = _workbook(mini_raw, year)
        _edit(book, _sheet_named(book, "学生情况", "在校生情况", "学生"), header, "abc")
    with pytest.raises(InputErrors) as info:
        clean(mini_raw)
    assert len({i.file for i in info.value.issues if i.level == "error"}) == 2


def test_new_wording_is_a_data_only_change(mini_raw: Path, tmp_path: Path, monkeypatch) -> None:
    """A renamed header fails, and passes once the spelling is added to a layout file."""
    book = _workbook(mini_raw, 2024)
    wb = openpyxl.load_workbook(book)
    sheet = _sheet_named(book, "学生情况", "在校生情况", "学生")
    for row in wb[sheet].iter_rows(max_row=6):
        for c in row:
            if c.value == "招生":
                c.value = "招生人数"
    wb.save(book)
    assert any("招生人数" in i.message for i in collect(mini_raw).errors)
    local = tmp_path / "layouts"
    shutil.copytree(REPO / "lcedu" / "ingest" / "layouts", local)
    spec = (local / "enrollment.yml").read_text(encoding="utf-8")
    (local / "enrollment.yml").write_text(
        spec.replace("new_entrant_count: 招生\n", "new_entrant_count: [招生, 招生人数]\n"), encoding="utf-8"
    )
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))
    assert collect(mini_raw).errors == []


# --- atomic writes and loading ------------------------------------------------------------------


def test_crash_midway_leaves_previous_set_whole(cleaned_once, monkeypatch) -> None:
    raw, out, before = cleaned_once
    result = clean(raw)
    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def crash_on_third(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash_on_third)
    with pytest.raises(OSError):
        store.write(result.tables, {}, out)
    assert file_hashes(store.current(out)) == before


def test_killed_clean_leaves_a_complete_set(cleaned_once) -> None:
    raw, out, _ = cleaned_once
    proc = subprocess.Popen(
        [sys.executable, "-m", "lcedu.cli", "clean", "--raw", str(raw), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    build = store.current(out)
    tables = {p.stem for p in build.glob("*.parquet")}
    assert {"schools", "enrollment", "teachers", "facilities"} <= tables
    assert (build / "manifest.json").exists()
    for name in tables:
        pd.read_parquet(build / f"{name}.parquet")


def test_manifest_names_inputs_rows_and_versions(cleaned_once) -> None:
    raw, out, _ = cleaned_once
    manifest = store.manifest(out)
    assert {i["path"] for i in manifest["inputs"]} == {str(p.relative_to(raw)) for p in raw.rglob("*.xlsx")}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["tables"]["schools"]["rows"] > 0 and "pandas" in manifest["versions"]


def test_load_is_cached_and_returns_copies(processed_sample: Path) -> None:
    import lcedu

    first = lcedu.load("schools")
    first.loc[:, "school_name"] = "changed"
    second = lcedu.load("schools")
    assert not second["school_name"].eq("changed").any()
    with pytest.raises(KeyError, match="available"):
        lcedu.load("no_such_table")


def test_import_lcedu_is_light() -> None:
    heavy = "('geopandas', 'matplotlib', 'pandera', 'pandas')"
    code = f"import sys, lcedu; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert out.stdout.strip() == "[]"
