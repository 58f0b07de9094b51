"""Per-school statistics workbooks (教基 / 基础基 forms): round trip, the mess real exports have, bad input."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from lcedu.cli import main
from lcedu.ingest import store
from lcedu.ingest.clean import clean, collect
from lcedu.ingest.forms import (
    BLANK,
    EMPTY_FORM,
    IDENTITY_COLUMNS,
    NOT_APPLICABLE,
    WHOLE_SCHOOL,
    detail_key,
    label_key,
    load_scheme,
)
from lcedu.sample.forms import write_forms, written_stages
from lcedu.sample.messy import write_raw
from lcedu.sample.truth import build_truth, lincang_counties

SHUANGJIANG = "530925"
TABLES = ("schools", "enrollment", "teachers", "facilities")


def expected_tables(truth: dict[str, pd.DataFrame], county: str, year: int, scheme: str) -> dict[str, pd.DataFrame]:
    """The truth of one county-year as the forms hold it: columns no form holds for a stage/type become NA."""
    spec = load_scheme(scheme)
    schools = truth["schools"]
    schools = schools[(schools["county_code"] == county) & (schools["year"] == year)]
    schools = schools[[written_stages(spec, t) for t in schools["school_type"]]]
    type_of = schools.set_index("school_id")["school_type"]
    out = {}
    for table in TABLES:
        frame = truth[table]
        frame = frame[frame["school_id"].isin(type_of.index) & (frame["year"] == year)].copy()
        fixed = {"school_id", "year", "county_code", "stage"} | (set(IDENTITY_COLUMNS) if table == "schools" else set())
        groups = spec.cells.get(table, {})
        if table == "facilities":
            types = frame["school_id"].map(type_of)
            group = types.where(types.isin(list(groups)), "default")
        elif table == "enrollment" or table == "teachers":
            group = frame["stage"]
        for column in (c for c in frame.columns if c not in fixed):
            if table == "schools":  # class counts: held for every stage that has a class form
                held = pd.Series(any(column in cols for cols in groups.values()), index=frame.index)
            else:
                held = group.isin([g for g, cols in groups.items() if column in cols])
            frame[column] = frame[column].where(held & ~_whole_school(spec, table, column, frame))
        if table == "schools" and scheme == "jichuji_2018":  # the 2020 form 111 has no 乡镇 / 村 field
            frame = frame.assign(township=pd.NA, village=pd.NA).astype({"township": "string", "village": "string"})
        out[table] = frame.reset_index(drop=True)
    for table, entries in spec.details.items():  # students by grade / age, 331 flows of the 学段 written
        key = detail_key(table)
        frame = truth[table][(truth[table]["year"] == year) & truth[table]["school_id"].isin(type_of.index)]
        wanted = {(stage, k) for stage, k, _ in entries}
        stages = frame["stage"] if "stage" in frame else pd.Series("kindergarten", index=frame.index)
        held = [(st, k) in wanted for st, k in zip(stages, frame[key], strict=True)]
        out[table] = frame[held].reset_index(drop=True)
    return out


def _whole_school(spec, table: str, column: str, frame: pd.DataFrame) -> pd.Series:
    """Rows of a school with several 学段 that share a ``whole_school`` cell (412 / 4149 总计): NA per 学段."""
    if "stage" not in frame:
        return pd.Series(False, index=frame.index)
    groups = spec.cells.get(table, {})
    shares = frame["stage"].map(lambda s: column in groups.get(s, {}) and groups[s][column].whole_school)
    return shares & shares.groupby(frame["school_id"]).transform("sum").gt(1)


@pytest.fixture(scope="module")
def truth2025() -> dict[str, pd.DataFrame]:
    return build_truth(lincang_counties(), [2025], 2023, with_city=False)


@pytest.fixture(scope="module")
def truth2020() -> dict[str, pd.DataFrame]:
    return build_truth(lincang_counties(), [2020], 2023, with_city=False)


@pytest.fixture(scope="module")
def jiaoji(tmp_path_factory: pytest.TempPathFactory, truth2025) -> Path:
    """双江 2025 as 教基 workbooks: the raw folder (read-only for tests: copy before editing)."""
    raw = tmp_path_factory.mktemp("jiaoji") / "raw"
    write_forms(truth2025, raw, SHUANGJIANG, 2025, "jiaoji_2021")
    return raw


@pytest.fixture(scope="module")
def jichuji(tmp_path_factory: pytest.TempPathFactory, truth2020) -> Path:
    raw = tmp_path_factory.mktemp("jichuji") / "raw"
    write_forms(truth2020, raw, SHUANGJIANG, 2020, "jichuji_2018")
    return raw


@pytest.fixture(scope="module")
def jiaoji_cleaned(jiaoji: Path):
    return clean(jiaoji, partial=True)


def _books(raw: Path) -> list[Path]:
    return sorted(raw.rglob("*.xlsx"))


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- round trip -----------------------------------------------------------------------------------


def test_jiaoji_round_trip_is_exact(jiaoji_cleaned, truth2025) -> None:
    """truth → 教基 workbooks → clean gives back the truth on every column the forms hold."""
    assert jiaoji_cleaned.errors == []
    expected = expected_tables(truth2025, SHUANGJIANG, 2025, "jiaoji_2021")
    for table in TABLES:
        pd.testing.assert_frame_equal(jiaoji_cleaned.tables[table], expected[table], check_dtype=True, obj=table)
    for table in ("grade_enrollment", "teacher_ages"):
        assert len(expected[table]) > 100, table
        pd.testing.assert_frame_equal(jiaoji_cleaned.tables[table], expected[table], check_dtype=True, obj=table)
    stages = set(jiaoji_cleaned.tables["enrollment"]["stage"])
    assert stages == {"kindergarten", "primary", "junior", "senior", "vocational", "special"} & set(
        truth2025["enrollment"].query("county_code == @SHUANGJIANG")["stage"]
    )


def test_jichuji_round_trip_is_exact(jichuji: Path, truth2020) -> None:
    """The 2018 scheme (基础基, 2020/21 学年初) into the same tables and names; 中职 has no 基础基 forms."""
    result = clean(jichuji, partial=True)
    expected = expected_tables(truth2020, SHUANGJIANG, 2020, "jichuji_2018")
    for table in TABLES:
        pd.testing.assert_frame_equal(result.tables[table], expected[table], check_dtype=True, obj=table)
    for table in ("grade_enrollment", "kindergarten_ages", "student_flows", "teacher_ages"):
        assert len(expected[table]) > 100, table
        pd.testing.assert_frame_equal(result.tables[table], expected[table], check_dtype=True, obj=table)
    assert "vocational" not in set(result.tables["enrollment"]["stage"])
    assert len(result.tables["schools"]) > 100


def test_forms_fill_the_canonical_columns(jiaoji_cleaned) -> None:
    """The names notebooks use, in their units: 万元 on 5176 arrives in 元, areas in m², ids as text."""
    facilities = jiaoji_cleaned.tables["facilities"]
    assert facilities["equipment_value_yuan"].notna().all() and (facilities["equipment_value_yuan"] >= 1000).all()
    teachers = jiaoji_cleaned.tables["teachers"]
    assert teachers.loc[teachers["stage"] == "kindergarten", "nursery_staff_count"].notna().all()
    assert teachers.loc[teachers["stage"] == "primary", "backbone_teacher_count"].notna().all()
    schools = jiaoji_cleaned.tables["schools"]
    assert schools["school_id"].str.fullmatch(r"[1-9]\d{9}").all()
    assert set(schools["county_code"]) == {SHUANGJIANG}
    assert schools["is_inclusive"].isna().all(), "普惠性 is not on the national forms: left to the local sheet"
    assert facilities["has_fiber_network"].isna().all() and facilities["is_safe_campus"].isna().all()


def test_writer_is_deterministic(tmp_path: Path, truth2025, jiaoji: Path) -> None:
    write_forms(truth2025, tmp_path, SHUANGJIANG, 2025, "jiaoji_2021")
    assert _hashes(tmp_path) == _hashes(jiaoji)


# --- the mess real exports have ---------------------------------------------------------------------


def test_written_workbooks_carry_every_mess_type(jiaoji: Path, jichuji: Path) -> None:
    """Each kind of mess is somewhere in the written set (and the round trips above read them all)."""
    seen: set[str] = set()
    for book in _books(jiaoji) + _books(jichuji):
        wb = CalamineWorkbook.from_path(str(book))
        names = wb.sheet_names
        if any(n.startswith("Sheet") for n in names):
            seen.add("sheet named SheetN, form code only in the sheet")
        for name in names:
            grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if name in ("封面", "目录") or len(grid) < 6:
                continue
            if grid[0][:3] == ["A", "B", "C"] and grid[2][0] == 2.0:
                seen.add("letters row and row numbers")
            texts = [v for row in grid for v in row if isinstance(v, str)]
            seen |= {"padded label" for v in texts if v.replace(" ", "") in ("总计", "园长") and " " in v}
            seen |= {"_x000D_ in a header" for v in texts if "_x000D_" in v}
            seen |= {"not applicable *" for v in texts if v == "*"}
            seen |= {
                "form code with trailing spaces" for v in texts if v.rstrip() != v and ("教基" in v or "基础基" in v)
            }
            seen |= {"label split over two columns" for row in grid if "其中" in row and "危房" in row}
            seen |= {"numbers as text" for row in grid[8:] for v in row[4:] if isinstance(v, str) and v.isdigit()}
            jia = next((i for i, row in enumerate(grid) if "甲" in row), None)
            if jia and all(v == "" for v in grid[jia - 1][1:]):
                seen.add("blank row before the 栏号 row")
            if jia and any(all(v == "" for v in row[1:]) for row in grid[jia + 1 : jia + 8]):
                seen.add("blank row inside the table")
            id_cells = [row[1] if len(row) > 1 else "" for row in grid[5:7]] + ["", ""]
            if isinstance(id_cells[1], float) and str(id_cells[0]).replace(" ", "") == "学校标识码":
                seen.add("id stored as a number")
    assert seen == {
        "sheet named SheetN, form code only in the sheet",
        "letters row and row numbers",
        "padded label",
        "_x000D_ in a header",
        "not applicable *",
        "form code with trailing spaces",
        "label split over two columns",
        "numbers as text",
        "blank row before the 栏号 row",
        "blank row inside the table",
        "id stored as a number",
    }


def test_star_is_not_applicable_never_zero(jiaoji_cleaned) -> None:
    missing = jiaoji_cleaned.tables["missing_values"]
    stars = missing[missing["raw_text"] == "*"]
    assert len(stars) and (stars["reason"] == NOT_APPLICABLE).all()
    cells = missing["row"] > 0  # a cell of a form (not a form the scheme lacks: teacher_ages of 幼儿园)
    assert (missing.loc[cells & (missing["raw_text"] == ""), "reason"] == BLANK).all()
    enrollment = jiaoji_cleaned.tables["enrollment"].set_index(["school_id", "stage"])
    for r in stars[stars["table"] == "enrollment"].head(20).itertuples():
        rows = enrollment.xs(r.record_key, level="school_id")
        assert rows[r.column].isna().any(), "a * cell is NA, not 0"
    assert stars["sheet"].str.startswith("教基").all(), "the form code is where it came from"


def test_float_id_is_repaired_with_a_warning(jiaoji_cleaned) -> None:
    repaired = [i for i in jiaoji_cleaned.warnings if "已还原" in i.message]
    assert repaired and all(i.column == "学校标识码" and i.sheet and i.row for i in repaired)


def test_recognised_by_form_code_not_order(tmp_path: Path, jiaoji: Path) -> None:
    """Sheets reordered and renamed: the form code row inside each sheet still says which form it is."""
    raw = tmp_path / "raw"
    shutil.copytree(jiaoji, raw)
    book = next(b for b in _books(raw) if "中学" in b.name)
    before = collect(raw, partial=True).tables["enrollment"]
    wb = openpyxl.load_workbook(book)
    for i, ws in enumerate(list(wb.worksheets)):
        if ws.title not in ("封面", "目录"):
            ws.title = f"表{i}"
    wb.move_sheet(wb.worksheets[-1], offset=-(len(wb.worksheets) - 1))
    wb.save(book)
    after = collect(raw, partial=True)
    assert after.errors == []
    cols = ["school_id", "stage", "student_count", "new_entrant_count"]
    pd.testing.assert_frame_equal(after.tables["enrollment"][cols], before[cols])


# --- bad input: 文件 / 表号 / 行 / 栏号 and the fix; exit 2; processed set unchanged ---------------------


@pytest.fixture
def raw_copy(tmp_path: Path, jiaoji: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(jiaoji, raw)
    return raw


def _book_with(raw: Path, sheet_prefix: str) -> tuple[Path, openpyxl.Workbook, str]:
    """A workbook whose sheets are named by form code, and the sheet of the form wanted."""
    for book in _books(raw):
        wb = openpyxl.load_workbook(book)
        name = next((n for n in wb.sheetnames if n.startswith(sheet_prefix)), None)
        if name:
            return book, wb, name
    raise AssertionError(sheet_prefix)


def _find(ws, text: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.replace(" ", "") == text:
                return c.row, c.column
    raise AssertionError(text)


def _check_fails(raw: Path, capsys, *expected: str) -> str:
    assert main(["check", "--partial", "--raw", str(raw)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in:\n{err}"
    return err


# --- layout features: sums over rows, 学段 blocks, 栏 by header text, whole-school figures ---------------


def test_whole_school_staff_of_a_school_with_several_stages(jiaoji_cleaned, truth2025) -> None:
    """4149 has one 总计 row: a 九年一贯制 / 完全中学's 教职工 is NA per 学段, the whole-school figure (the sum of its
    学段) kept as that NA's raw text with its reason; a one-学段 school reads it as its 学段's."""
    truth = truth2025["teachers"].query("county_code == @SHUANGJIANG and stage in ['primary', 'junior', 'senior']")
    stages = truth.groupby("school_id")["stage"].transform("size")
    several = truth[stages > 1]
    assert several["school_id"].nunique() >= 3
    teachers = jiaoji_cleaned.tables["teachers"].set_index(["school_id", "stage"])
    assert teachers.loc[list(zip(several["school_id"], several["stage"], strict=True)), "staff_count"].isna().all()
    missing = jiaoji_cleaned.tables["missing_values"]
    whole = missing[(missing["table"] == "teachers") & (missing["column"] == "staff_count")]
    whole = whole[whole["reason"] == WHOLE_SCHOOL]
    expected = several.groupby("school_id")["staff_count"].sum().astype(str)
    got = {key: set(texts) for key, texts in whole.groupby("record_key")["raw_text"]}
    assert got == {k: {v} for k, v in expected.items()}, "each 学段's NA holds the whole-school figure"
    single = truth[stages == 1].iloc[0]
    assert teachers.loc[(single["school_id"], single["stage"]), "staff_count"] == single["staff_count"]


def test_teacher_ages_add_up_and_a_stage_without_an_age_form_is_named(jiaoji_cleaned) -> None:
    """教基4153: 专任教师 by age band per 学段, adding up to the 学段's 专任教师 (4155 / 4156), the top band open;
    a 学段 the scheme has no age form for (幼儿园) is NA with its reason, never left out silently."""
    ages = jiaoji_cleaned.tables["teacher_ages"]
    full_time = jiaoji_cleaned.tables["teachers"].set_index(["school_id", "stage"])["full_time_teacher_count"]
    sums = ages.groupby(["school_id", "stage"])["teacher_count"].sum()
    assert len(sums) > 50 and (sums == full_time.loc[sums.index]).all()
    assert ages.loc[ages["age_lower"] == 60, "age_upper"].isna().all()
    assert (ages.loc[ages["age_lower"] == 25, "age_upper"] == 29).all()
    missing = jiaoji_cleaned.tables["missing_values"]
    absent = missing[(missing["table"] == "teacher_ages") & missing["reason"].str.contains("幼儿园")]
    kindergartens = full_time.xs("kindergarten", level="stage").index
    assert len(kindergartens) and set(absent["record_key"]) == set(kindergartens)


def _sheet_rows(ws) -> list[tuple[str, object]]:
    """(label, 栏1) of the data rows under the 栏号 row of a 2021 form."""
    jia, _ = _find(ws, "甲")
    return [
        (label_key(row[0].value or ""), row[2].value)
        for row in ws.iter_rows(min_row=jia + 1)
        if row[0].value and not str(row[0].value).startswith("单位负责人")
    ]


def test_class_bands_are_rows_in_a_block_per_stage(jiaoji: Path) -> None:
    """2107: a block per 学段 (初中, then its 班额 bands; 高中 …); each block's bands add up to its 学段 row."""
    book, wb, sheet = _book_with(jiaoji, "教基2107_完全中学")
    rows = _sheet_rows(wb[sheet])
    heads = [i for i, (label, _) in enumerate(rows) if label in ("初中", "高中")]
    assert len(heads) == 2 and [label for label, _ in rows].count("66人及以上") == 2
    for start, end in zip(heads, [*heads[1:], len(rows)], strict=True):
        bands = [int(v or 0) for _, v in rows[start + 1 : end]]
        assert len(bands) == 9 and sum(bands) == int(rows[start][1])


def _one_book(tmp_path: Path, jiaoji: Path, sheet_prefix: str) -> tuple[Path, Path]:
    """A raw folder holding one school's workbook (the first with that form), and that workbook."""
    book, _wb, _sheet = _book_with(jiaoji, sheet_prefix)
    raw = tmp_path / "raw"
    target = raw / "forms" / "2025" / book.name
    target.parent.mkdir(parents=True)
    shutil.copy(book, target)
    return raw, target


def _local_scheme(tmp_path: Path, monkeypatch, old: str, new: str) -> None:
    """$LCEDU_LAYOUTS/forms/jiaoji_2021.yml with one line changed, as a statistician would."""
    local = tmp_path / "layouts"
    (local / "forms").mkdir(parents=True)
    text = Path(load_scheme("jiaoji_2021").source).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    (local / "forms" / "jiaoji_2021.yml").write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))


def test_a_course_found_by_its_header_text_and_a_yaml_fix(tmp_path: Path, jiaoji: Path, monkeypatch) -> None:
    """4155's 课程 栏 are found by header text: a header spelled otherwise names the headers the form holds and the
    YAML entry; with that entry changed (LCEDU_LAYOUTS) the figure reads as before."""
    raw, book = _one_book(tmp_path, jiaoji, "教基4155_九年一贯制学校")
    before = collect(raw, partial=True)
    assert before.errors == []
    wb = openpyxl.load_workbook(book)
    name = next(n for n in wb.sheetnames if n.startswith("教基4155"))
    row, col = _find(wb[name], "体育与健康")
    wb[name].cell(row, col).value = "体育"
    wb.save(book)
    errors = collect(raw, partial=True).errors
    assert len(errors) == 1, errors
    text = errors[0].message + errors[0].fix
    for part in ("教基4155", "找不到表头「体育与健康」", "「体育」", "栏3「道德与法治」"):
        assert part in text, f"{part!r} not in {text}"
    assert "jiaoji_2021.yml 的 cells.teachers.primary.pe_teacher_count" in errors[0].fix
    _local_scheme(
        tmp_path,
        monkeypatch,
        'pe_teacher_count: {form: "4155", row: 总计, col: 体育与健康}',
        'pe_teacher_count: {form: "4155", row: 总计, col: 体育}',
    )
    after = collect(raw, partial=True)
    assert after.errors == []
    pd.testing.assert_frame_equal(after.tables["teachers"], before.tables["teachers"])


def test_a_stage_block_not_found_names_the_rows_held(tmp_path: Path, jiaoji: Path, monkeypatch) -> None:
    """4156's 学历 rows repeat per 学段 and are read under their block (初中 / 高中): a block spelled otherwise
    names what the label column holds and the YAML entry; `within:` and `row:` take the local spelling."""
    raw, book = _one_book(tmp_path, jiaoji, "教基4156_九年一贯制学校")
    before = collect(raw, partial=True).tables["teachers"]
    wb = openpyxl.load_workbook(book)
    name = next(n for n in wb.sheetnames if n.startswith("教基4156"))
    row, col = _find(wb[name], "初中")
    wb[name].cell(row, col).value = "初级中学"
    wb.save(book)
    errors = collect(raw, partial=True).errors
    assert errors
    text = " ".join(e.message + e.fix for e in errors)
    for part in ("教基4156", "区块「初中」", "「初级中学」", "cells.teachers.junior.teacher_postgrad_count"):
        assert part in text, f"{part!r} not in {text}"
    local = tmp_path / "layouts"
    (local / "forms").mkdir(parents=True)
    yml = Path(load_scheme("jiaoji_2021").source).read_text(encoding="utf-8")
    yml = yml.replace("within: 初中,", "within: [初中, 初级中学],").replace(
        'form: "4156", row: 初中,', 'form: "4156", row: [初中, 初级中学],'
    )
    (local / "forms" / "jiaoji_2021.yml").write_text(yml, encoding="utf-8")
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))
    after = collect(raw, partial=True)
    assert after.errors == []
    pd.testing.assert_frame_equal(after.tables["teachers"], before)


def test_text_in_a_figure_names_file_form_row_and_column(raw_copy: Path, capsys) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基3112")
    ws = wb[sheet]
    row, _ = _find(ws, "总计")
    jia_row, _ = _find(ws, "甲")
    col = next(c.column for c in ws[jia_row] if str(c.value) == "7")  # 在校生数 (栏3 is 未接受过学前教育)
    ws.cell(row, col).value = "三百"
    wb.save(book)
    _check_fails(
        raw_copy,
        capsys,
        book.name,
        f"工作表「{sheet}」",
        f"第{row}行",
        "列「栏7」",
        "教基3112 行「总计」栏7",
        "不是数字",
    )


def test_workbook_without_identity_form(raw_copy: Path, capsys) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基1001")
    del wb[sheet]
    wb.save(book)
    _check_fails(raw_copy, capsys, book.name, "缺少学校基本情况表 教基1001", "导出时勾选 教基1001")


def test_form_of_another_school_year(raw_copy: Path, capsys) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基3115")
    ws = wb[sheet]
    cell = next(c for row in ws.iter_rows(max_row=6) for c in row if isinstance(c.value, str) and "学年初" in c.value)
    cell.value = "（2024 /2025 学年初）"
    wb.save(book)
    _check_fails(
        raw_copy,
        capsys,
        book.name,
        f"工作表「{sheet}」",
        f"第{cell.row}行",
        "列「学年」",
        "教基3115 的学年",
        "forms/2025/",
        "把该文件移到 forms/2024/",
    )


def test_two_schools_in_one_workbook(raw_copy: Path, capsys) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基1001")
    other = wb.create_sheet("教基1001_幼儿园")
    other["B3"], other["B6"], other["B7"] = "表号：教基1001", "学校标识码", "1153999999"
    wb.save(book)
    _check_fails(raw_copy, capsys, book.name, "两张 教基1001", "two schools in one workbook", "每所学校单独导出")


def test_two_id_blocks_on_one_identity_form(raw_copy: Path, capsys) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基1001")
    ws = wb[sheet]
    ws["B19"], ws["B20"] = "学校标识码", "1153999999"
    wb.save(book)
    _check_fails(raw_copy, capsys, book.name, f"工作表「{sheet}」", "第19行", "2 个「学校标识码」")


def test_unknown_form_code_is_a_warning(raw_copy: Path, capsys) -> None:
    book, wb, _ = _book_with(raw_copy, "教基1001")
    ws = wb.create_sheet("新表")
    ws["B2"], ws["B3"] = "某新增调查表", "表号：教基9999  "
    wb.save(book)
    assert main(["check", "--partial", "--raw", str(raw_copy)]) == 0
    out = capsys.readouterr()
    assert "未知表号 教基9999" in out.err + out.out and book.name in out.err + out.out


@pytest.mark.parametrize("bad", ["215300123", "0153001234", "2.153E+09", "21530012345"])
def test_id_of_the_wrong_shape(raw_copy: Path, capsys, bad: str) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基1001")
    ws = wb[sheet]
    row, col = _find(ws, "学校标识码")
    ws.cell(row + 1, col).value = bad
    wb.save(book)
    _check_fails(
        raw_copy,
        capsys,
        book.name,
        f"工作表「{sheet}」",
        f"第{row + 1}行",
        "列「学校标识码」",
        "教基1001 学校标识码",
        bad,
    )


def test_row_not_found_points_at_the_layout_line(raw_copy: Path, capsys) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基5170")
    ws = wb[sheet]
    row, col = _find(ws, "一、教学及辅助用房")
    ws.cell(row, col).value = "教学辅助用房合计"
    wb.save(book)
    _check_fails(
        raw_copy,
        capsys,
        book.name,
        f"工作表「{sheet}」",
        "教基5170 中找不到行「一、教学及辅助用房」",
        "jiaoji_2021.yml",
        "教基5170 行「一、教学及辅助用房」 栏1",
    )


def test_new_row_wording_is_a_yaml_only_change(raw_copy: Path, tmp_path: Path, monkeypatch) -> None:
    """The statistician fixes one YAML line ($LCEDU_LAYOUTS/forms/…), not code."""
    for book in _books(raw_copy):
        wb = openpyxl.load_workbook(book)
        name = next((n for n in wb.sheetnames if n.startswith("教基5170")), None)
        if name:
            row, col = _find(wb[name], "一、教学及辅助用房")
            wb[name].cell(row, col).value = "教学及辅助用房小计"
            wb.save(book)
    assert collect(raw_copy, partial=True).errors
    local = tmp_path / "layouts"
    (local / "forms").mkdir(parents=True)
    text = load_scheme("jiaoji_2021").source
    yml = (
        Path(text)
        .read_text(encoding="utf-8")
        .replace("row: 一、教学及辅助用房, col: 1}", "row: [一、教学及辅助用房, 教学及辅助用房小计], col: 1}")
    )
    (local / "forms" / "jiaoji_2021.yml").write_text(yml, encoding="utf-8")
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))
    assert collect(raw_copy, partial=True).errors == []


def test_failing_clean_leaves_the_processed_set_unchanged(raw_copy: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "processed"
    assert main(["clean", "--partial", "--raw", str(raw_copy), "--out", str(out)]) == 0
    build = store.current(out)
    before = _hashes(build)
    schools = store.load("schools", out)
    assert len(schools) > 100
    book, wb, sheet = _book_with(raw_copy, "教基1001")
    del wb[sheet]
    wb.save(book)
    assert main(["clean", "--partial", "--raw", str(raw_copy), "--out", str(out)]) == 2
    assert "缺少学校基本情况表" in capsys.readouterr().err
    assert store.current(out) == build and _hashes(build) == before


def test_the_same_school_in_two_workbooks_is_counted_once_or_refused(raw_copy: Path, capsys) -> None:
    # Two inputs of one school and year follow the two-input rule (data/raw/README.md): figures
    # that agree are one record, never counted twice; figures that differ are an error naming both.
    book, wb, sheet = _book_with(raw_copy, "教基3115")
    copy = book.with_name("copy_" + book.name)
    shutil.copy(book, copy)
    before = collect(raw_copy, partial=True)
    assert before.errors == [] and before.tables["schools"]["school_id"].is_unique
    ws = wb[sheet]
    row, _ = _find(ws, "总计")
    header_row, column = _find(ws, "在校生数")
    ws.cell(row, column).value = int(ws.cell(row, column).value or 0) + 7
    wb.save(copy)
    _check_fails(raw_copy, capsys, book.name, copy.name)


def test_forms_outside_a_year_folder(raw_copy: Path, capsys) -> None:
    book = _books(raw_copy)[0]
    shutil.move(book, raw_copy / "forms" / book.name)
    _check_fails(raw_copy, capsys, book.name, "forms/<学年起始年>/")


def test_files_that_are_not_workbooks_are_named(raw_copy: Path, capsys) -> None:
    note = raw_copy / "forms" / "2025" / "说明.txt"
    note.write_text("导出说明", encoding="utf-8")
    assert main(["check", "--partial", "--raw", str(raw_copy)]) == 0
    assert "说明.txt" in capsys.readouterr().err


def test_forms_join_the_county_workbooks(tmp_path: Path, truth2025, jichuji: Path) -> None:
    """Forms (2020, 基础基) beside the county workbooks (2025): one set of tables, checked together."""
    county = next(c for c in lincang_counties() if c.county_code == SHUANGJIANG)
    subset = {name: frame[frame["county_code"] == SHUANGJIANG] for name, frame in truth2025.items()}
    raw = tmp_path / "raw"
    write_raw(subset, [county], raw, 2023)
    shutil.copytree(jichuji / "forms", raw / "forms")
    result = clean(raw, partial=True)
    schools = result.tables["schools"]
    assert set(schools["year"]) == {2020, 2025}
    assert len(schools[schools["year"] == 2025]) == len(subset["schools"])
    assert {"population", "ledger", "missing_values"} <= set(result.tables)
    assert any(p["path"].startswith("forms/2020/") for p in result.inputs)


def test_jichuji_year_line_and_attached_classes(tmp_path: Path, jichuji: Path, capsys) -> None:
    """基础基 scheme: the 111 附设班 block pre-prints all seven classes, which add nothing; filling in the pair
    of 附设幼儿班 adds a stage (a warning while its student form is missing); a form of another year is refused."""
    raw = tmp_path / "raw"
    shutil.copytree(jichuji, raw)
    book = next(
        b
        for b in _books(raw)
        if {"基础基111", "基础基312"} <= set(openpyxl.load_workbook(b).sheetnames)
        and "基础基311" not in openpyxl.load_workbook(b).sheetnames
    )
    before = collect(raw, partial=True)
    assert before.errors == [] and not any("基础基311" in i.message for i in before.warnings), "template text only"
    wb = openpyxl.load_workbook(book)
    ws = wb["基础基111"]
    row, col = _find(ws, "附设幼儿班")
    assert ws.cell(row + 1, col).value == "119" and ws.cell(row, col + 1).value is None
    ws.cell(row, col + 1).value, ws.cell(row + 1, col + 1).value = "教育部门", "811"
    wb.save(book)
    result = collect(raw, partial=True)
    assert result.errors == []
    assert any("基础基311" in i.message and i.file.endswith(book.name) for i in result.warnings)
    book, wb, sheet = _book_with(raw, "基础基111")  # the 2020 forms print the year on 111 only
    ws = wb[sheet]
    cell = next(c for r in ws.iter_rows(max_row=6) for c in r if isinstance(c.value, str) and "学年初" in c.value)
    cell.value = "（2021/2022学年初）"
    wb.save(book)
    _check_fails(raw, capsys, book.name, f"工作表「{sheet}」", "基础基111 的学年", "forms/2020/")


def test_repeated_row_labels_need_a_number(tmp_path: Path, jichuji: Path, monkeypatch) -> None:
    """331 repeats 女 under each level: an address by label is refused as ambiguous, by 编号 it is read."""
    spec = load_scheme("jichuji_2018")
    local = tmp_path / "layouts"
    (local / "forms").mkdir(parents=True)
    yml = (
        Path(spec.source)
        .read_text(encoding="utf-8")
        .replace(
            'transfer_in_count: {form: "331", number: 4, col: 5}', 'transfer_in_count: {form: "331", row: 女, col: 5}'
        )
    )
    (local / "forms" / "jichuji_2018.yml").write_text(yml, encoding="utf-8")
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))
    errors = collect(jichuji, partial=True).errors
    assert errors and all("基础基331 中行「女」出现" in e.message and "编号" in e.fix for e in errors)


def test_county_outside_the_registry(raw_copy: Path, capsys) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基1001")
    ws = wb[sheet]
    row, col = _find(ws, "统计用区划代码")
    ws.cell(row, col + 1).value = "530999100000"
    wb.save(book)
    _check_fails(raw_copy, capsys, book.name, "530999", "不在县名录中", "counties.csv")


def test_id_in_scientific_notation_is_repaired(raw_copy: Path) -> None:
    book, wb, sheet = _book_with(raw_copy, "教基1001")
    ws = wb[sheet]
    row, col = _find(ws, "学校标识码")
    sid = str(ws.cell(row + 1, col).value).removesuffix(".0")
    ws.cell(row + 1, col).value = f"{sid[0]}.{sid[1:]}E+09"
    wb.save(book)
    result = collect(raw_copy, partial=True)
    assert result.errors == []
    assert any(sid in i.message and "已还原" in i.message and i.file.endswith(book.name) for i in result.warnings)
    assert sid in set(result.tables["schools"]["school_id"])


def _headers_only(book: Path, wb: openpyxl.Workbook, sheet: str) -> None:
    """Clear every row under the 栏号 row (甲 乙 1 2 …) but the footer: the form as exported with no data."""
    ws = wb[sheet]
    jia_row, _ = _find(ws, "甲")
    for row in ws.iter_rows(min_row=jia_row + 1, max_row=ws.max_row - 1):
        for c in row:
            c.value = None
    wb.save(book)


def test_a_form_with_headers_but_no_data_rows_is_named_as_empty(raw_copy: Path, capsys) -> None:
    """One issue naming file and sheet (like an empty roster sheet), not a "row not found, edit the YAML" per
    cell: an error, a warning with --partial, and then the form's cells are NA with that reason, never 0."""
    book, wb, sheet = _book_with(raw_copy, "教基3112")
    _headers_only(book, wb, sheet)
    assert main(["check", "--raw", str(raw_copy)]) == 2
    err = capsys.readouterr().err
    empty = [line for line in err.splitlines() if "只有表头" in line]
    assert len(empty) == 1 and empty[0].startswith("错误") and book.name in empty[0], err
    assert f"工作表「{sheet}」" in empty[0] and "headers but no data rows" in empty[0]
    assert "找不到行" not in err and "row not found" not in err
    assert main(["check", "--partial", "--raw", str(raw_copy)]) == 0
    out = capsys.readouterr()
    assert any(line.startswith("提示") and book.name in line and "只有表头" in line for line in out.err.splitlines())
    result = clean(raw_copy, partial=True)
    missing = result.tables["missing_values"]
    mine = missing[missing["file"].str.endswith(book.name) & (missing["sheet"] == "教基3112")]
    assert len(mine) and set(mine["reason"]) == {EMPTY_FORM}
    school = mine["record_key"].iat[0]
    assert school in set(result.tables["schools"]["school_id"]), "the rest of the school's workbook is kept"


# --- the sample's 2020 workbooks are structurally the real export ------------------------------------

REAL_KINDERGARTEN = Path(__file__).resolve().parent / "data" / "real" / "jcj2020_kindergarten_330282.xlsx"


def _numbers_row(ws) -> tuple[int, list[int]] | None:
    """(row, columns holding text) of the 栏号 row (甲 乙 1 2 …) or of 112's 项目 编号 内容 row."""
    for row in ws.iter_rows():
        if any(c.value in ("甲", "项目") for c in row):
            return row[0].row, [c.column for c in row if c.value not in (None, "")]
    return None


def _labels(ws, start: int, width: int) -> list[str]:
    return [
        label_key("".join(str(ws.cell(r, c).value or "") for c in range(2, 2 + width)))
        for r in range(start + 1, ws.max_row + 1)
        if any(ws.cell(r, c).value for c in range(2, 2 + width))
    ]


def test_written_kindergarten_workbook_is_the_real_layout(jichuji: Path) -> None:
    """Sheet by sheet against the real export: the same sheets in the same order, merged ranges, hidden
    letters row and row-number column, 栏号 row in the same cells, the same row labels, text figures."""
    real = openpyxl.load_workbook(REAL_KINDERGARTEN)
    book = next(b for b in _books(jichuji) if "幼儿园" in b.stem)
    ours = openpyxl.load_workbook(book)
    assert ours.sheetnames == real.sheetnames
    for name in real.sheetnames[2:]:
        a, b = real[name], ours[name]
        assert b.row_dimensions[1].hidden and b.column_dimensions["A"].hidden, name
        assert [c.value for c in b[1]] == [c.value for c in a[1]], f"{name}: the letters row"
        assert sorted(map(str, b.merged_cells.ranges)) == sorted(map(str, a.merged_cells.ranges)), name
        if name == "基础基111":  # the grid: every label and pre-printed text in its cell; the school's own data aside
            data = {"B7", "D7", "D10", "G10", "H10", "D11", "G11", "H11", "D14", "E14", "D15", "E15", "J19", "K19"}
            printed = {c.coordinate: c.value for row in a.iter_rows(min_row=2, min_col=2) for c in row if c.value}
            for coordinate, value in printed.items():
                if coordinate not in data and not coordinate.startswith("L"):
                    assert b[coordinate].value == value, (coordinate, value, b[coordinate].value)
            assert {k for k in data if b[k].value} == data, "the school's own cells are filled where the real ones are"
            continue
        found = _numbers_row(a)
        assert _numbers_row(b) == found, name
        if found is None:
            continue
        width = 2 if name == "基础基511" else 1
        assert _labels(b, found[0], width) == _labels(a, found[0], width), name
        figures = [c.value for row in b.iter_rows(min_row=found[0] + 1, min_col=4) for c in row if c.value is not None]
        assert all(isinstance(v, str) for v in figures), f"{name}: every figure a text cell, as exported"
        assert str(b.cell(3, 2).value).startswith(str(a.cell(3, 2).value).split()[0]), name


def test_written_2020_forms_put_figures_where_a_public_importer_reads_them(jichuji: Path, truth2020) -> None:
    """A fixed-cell importer of the real 2020 exports (moe-statistics-forms.md §2) reads 312 在校生 in H, 313 in G,
    512 (the 511 grid) E10 / E16, 522 网络多媒体教室 in L + N and 教学仪器设备资产值 (万元) in O: the sample's are the
    same."""
    schools = truth2020["schools"].query("county_code == @SHUANGJIANG")
    nine_year = schools.query("school_type == 'nine_year'").iloc[0]
    book = openpyxl.load_workbook(next(b for b in _books(jichuji) if b.stem == nine_year["school_name"]))
    enrollment = truth2020["enrollment"].set_index(["school_id", "stage"])["student_count"]
    facilities = truth2020["facilities"].set_index("school_id").loc[nine_year["school_id"]]

    def total_row(sheet: str) -> int:
        return _numbers_row(book[sheet])[0] + 1

    primary, junior = (int(enrollment[(nine_year["school_id"], s)]) for s in ("primary", "junior"))
    assert book["基础基312"][f"H{total_row('基础基312')}"].value == str(primary)
    assert book["基础基313"][f"G{total_row('基础基313')}"].value == str(junior)
    assert book["基础基512"]["E10"].value == str(int(facilities["teaching_aux_area_m2"]))  # the 511 grid
    assert book["基础基512"]["E16"].value == str(int(facilities["indoor_sports_area_m2"]))
    assert book["基础基512"]["C9"].value == "当年新增校舍"
    r = total_row("基础基522")
    multimedia = sum(int(book["基础基522"][f"{c}{r}"].value or 0) for c in "LN")
    assert multimedia == facilities["multimedia_classroom_count"]
    assert float(book["基础基522"][f"O{r}"].value) * 10_000 == pytest.approx(facilities["equipment_value_yuan"])
    classes = truth2020["schools"].set_index("school_id").loc[nine_year["school_id"]]
    teachers = truth2020["teachers"].set_index(["school_id", "stage"])
    p_teach, j_teach = (teachers.loc[(nine_year["school_id"], s)] for s in ("primary", "junior"))
    assert book["基础基212"]["E6"].value == str(int(classes["primary_class_count"]))  # 班额 bands as rows below
    assert sum(int(book["基础基212"][f"E{r}"].value) for r in range(8, 17)) == classes["primary_class_count"]
    assert book["基础基412"]["D7"].value == str(int(p_teach["staff_count"] + j_teach["staff_count"]))  # one 总计
    assert [book["基础基423"][f"D{r}"].value for r in (11, 12, 13)] == [
        str(int(p_teach[c])) for c in ("teacher_postgrad_count", "teacher_bachelor_count", "teacher_associate_count")
    ]
    assert [book["基础基424"][f"D{r}"].value for r in (12, 13, 14)] == [
        str(int(j_teach[c])) for c in ("teacher_postgrad_count", "teacher_bachelor_count", "teacher_associate_count")
    ]
    assert book["基础基423"]["M8"].value == str(int(p_teach["pe_teacher_count"]))
    assert (book["基础基424"]["V8"].value, book["基础基424"]["Y8"].value) == (
        str(int(j_teach["pe_teacher_count"])),
        str(int(j_teach["art_teacher_count"])),
    )
