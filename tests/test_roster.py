"""过录表 rosters: the round trip, each mess type, and every bad input (file / row / header path, exit 2)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lcedu.cli import main
from lcedu.ingest import store
from lcedu.ingest.clean import clean, collect
from lcedu.ingest.readers import FORMULA_WITHOUT_VALUE, cell_text, read_workbook
from lcedu.ingest.roster import path_key, read_body, read_roster_file, read_sheet, split_path
from lcedu.sample.messy import write_raw
from lcedu.sample.truth import build_truth, lincang_counties
from tests.conftest import file_hashes

SHUANGJIANG = "530925"
# What the rosters do not carry (moe-statistics-forms.md §3): the 331 flows and the 1001 coordinates come
# from the per-school forms only; the students by grade and age are compared.
NOT_IN_ROSTERS = {"student_flows", "teacher_ages"}


@pytest.fixture(scope="module")
def roster_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, Path]:
    """双江县 2022 (older roster wording, one roster per 学段) and 2024 (newer, with a 栏号 row) as rosters,
    and its clean set."""
    county = next(c for c in lincang_counties() if c.county_code == SHUANGJIANG)
    truth = build_truth([county], [2022, 2024], 2023, density=0.3, with_city=False)
    base = tmp_path_factory.mktemp("roster")
    write_raw(truth, [county], base / "raw", 2023)
    result = clean(base / "raw")
    store.write(result.tables, {"inputs": result.inputs}, base / "processed")
    return truth, base / "raw", base / "processed"


@pytest.fixture
def raw(roster_template: tuple[dict, Path, Path], tmp_path: Path) -> Path:
    shutil.copytree(roster_template[1], tmp_path / "raw")
    return tmp_path / "raw"


@pytest.fixture
def cleaned(roster_template: tuple[dict, Path, Path], raw: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    out = tmp_path / "processed"
    shutil.copytree(roster_template[2], out, symlinks=True)
    return raw, out, file_hashes(store.current(out))


def _roster(raw: Path, year: int) -> Path:
    return next(p for p in (raw / "rosters" / str(year)).iterdir() if p.suffix == ".xlsx")


def _rejected(raw: Path, out: Path, before: dict, capsys, *expected: str, argv: tuple[str, ...] = ()) -> str:
    build = store.current(out)
    code = main(["clean", "--raw", str(raw), "--out", str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in error output:\n{err}"
    assert store.current(out) == build and file_hashes(build) == before, "processed set unchanged"
    return err


def _cells(ws, text: str) -> list:
    return [c for row in ws.iter_rows() for c in row if c.value == text]


def _id_column(ws) -> int:
    return next(
        c.column for row in ws.iter_rows(max_row=6) for c in row if c.value in ("学校标识码", "学校识别码", "学校代码")
    )


def _first_school_row(ws) -> int:
    col = _id_column(ws)
    return next(
        r
        for r in range(1, ws.max_row + 1)
        if len(str(ws.cell(r, col).value or "")) >= 10 and str(ws.cell(r, col).value)[0].isdigit()
    )


# --- round trip -----------------------------------------------------------------------------------


def test_round_trip_equals_truth(roster_template: tuple[dict, Path, Path]) -> None:
    """truth → rosters + sites.csv + local sheet + county workbooks → clean gives back exactly the truth."""
    truth, raw, _ = roster_template
    result = clean(raw)
    for name, expected in truth.items():
        if name in NOT_IN_ROSTERS:
            continue
        # Coordinates too: the 学校补充信息 sheet carries them for the roster counties.
        pd.testing.assert_frame_equal(result.tables[name], expected, check_dtype=True, obj=name)
    assert {r["path"].split("/")[0] for r in result.inputs} == {"rosters", "local", "county"}
    assert len(result.tables["grade_enrollment"]) and len(result.tables["kindergarten_ages"]), "compared above"


def test_sites_stay_rows_with_their_parent(roster_template: tuple[dict, Path, Path]) -> None:
    truth, raw, _ = roster_template
    schools = clean(raw).tables["schools"]
    sites = schools[~schools["is_counted_school"]]
    assert len(sites) and (sites["school_type"] == "teaching_point").all()
    parents = schools.set_index(["school_id", "year"])
    for r in sites.itertuples():
        parent = parents.loc[(r.parent_school_id, r.year)]
        assert parent["is_counted_school"] and parent["school_type"] in ("primary", "nine_year")
    assert schools.loc[schools["is_counted_school"], "parent_school_id"].isna().all()


# --- each mess type -------------------------------------------------------------------------------


def test_header_paths_understand_of_which_and_subtotals() -> None:
    assert path_key(("专任教师", "计")) == path_key(("专任教师", "合计")) == path_key(("专任教师",))
    assert path_key(("专任教师", "#按学历分", "本科")) == path_key(("专任教师", "按学历分", "本科"))
    assert path_key(("本学年校舍建筑面积", "教学及辅助用房", "其中：室内体育用房")) == path_key(
        split_path("本学年校舍建筑面积 › 教学及辅助用房 › #室内体育用房")
    )
    assert path_key(("占地面积（平方米）", "其中", "运动场地面积")) == path_key(("占地面积(平方米)", "运动场地面积"))
    assert path_key(("教学仪器设备资产值_x000D_(万元)",)) == path_key(("教学仪器设备 资产值（万元）",))
    assert path_key(("在校生数", "#女")) != path_key(("在校生数",)), "an of-which column is not its group's total"


HAND_MADE = [
    ["2024/2025学年初 基础教育过录表", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    [
        "学校(机构)名称",
        "学校标识码",
        "驻地",
        "",
        "办学类型",
        "",
        "举办者",
        "城乡分类代码",
        "是否计校数",
        "邮政编码",
        "本学年校舍建筑面积",
        "",
        "小学",
        "",
        "",
        "",
    ],
    [
        "",
        "",
        "统计用区划代码",
        "乡镇(街道)",
        "代码",
        "名称",
        "",
        "",
        "",
        "",
        "教学及辅助用房",
        "",
        "在校生数",
        "",
        "专任教师",
        "教职工数",
    ],
    ["", "", "", "", "", "", "", "", "", "", "计", "其中：室内体育用房", "合计", "#女", "计", ""],
    ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["甲", "乙", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
    [
        "勐勐镇第一小学",
        "2153925001.0",
        530925100000.0,
        "勐勐镇",
        211.0,
        "小学",
        "教育部门",
        121.0,
        1.0,
        "677300",
        1200.0,
        80.0,
        400.0,
        190.0,
        20.0,
        24.0,
    ],
    ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    [
        "勐库镇小学",
        "2.153925002E+09",
        "530925101000",
        "勐库镇",
        "211",
        "小学",
        "民办",
        "220",
        "1",
        "",
        "900",
        "",
        "300",
        "",
        "15",
        "17",
    ],
    ["合计", "", "", "", "", "", "", "", "", "", 2100.0, 80.0, 700.0, "", 35.0, 41.0],
    ["注：示例", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
]


def test_hand_made_roster_every_mess(tmp_path: Path) -> None:
    """Title, 4 merged header rows (as a reader sees them: text in the first cell only), a blank row
    and a 栏号 row under them, unused columns, a float id, an id in scientific notation, numbers as
    text, a blank row between schools, a 合计 row and notes."""
    issues: list = []
    sheet = read_sheet(HAND_MADE, file="t.xlsx", sheet="过录表", year=2024, file_county=None, issues=issues)
    assert sheet is not None and [i.level for i in issues] == ["warning"], "the 合计 row is set aside with a note"
    assert "合计" in issues[0].message and issues[0].row == 10
    assert list(sheet.school.rows) == [7, 9], "blank row, 合计 and notes skipped; Excel row numbers kept"
    assert list(sheet.stages) == ["primary"] and len(sheet.stages["primary"]) == 2
    assert sheet.headers["teaching_aux_area_m2"] == "本学年校舍建筑面积 › 教学及辅助用房 › 计"
    assert sheet.headers["indoor_sports_area_m2"] == "本学年校舍建筑面积 › 教学及辅助用房 › 其中：室内体育用房"
    assert sheet.headers["primary:student_count"] == "小学 › 在校生数 › 合计"
    assert not any("邮政编码" in h or "#女" in h for h in sheet.headers.values()), "unused columns are ignored"

    # The same grid as a CSV export, cleaned: identity from the codes, figures typed, provenance kept.
    path = tmp_path / "raw" / "rosters" / "2024" / "过录表.csv"
    path.parent.mkdir(parents=True)
    with path.open("w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows(HAND_MADE)
    result = collect(tmp_path / "raw", partial=True)
    assert result.errors == []
    repaired = [i for i in result.warnings if "科学计数法" in i.message]
    assert len(repaired) == 1 and "第7行" in repaired[0].message and "第9行" in repaired[0].message
    schools = result.tables["schools"].sort_values("_row")
    assert list(schools["school_id"]) == ["2153925001", "2153925002"]
    assert list(schools["county_code"]) == [SHUANGJIANG] * 2, "county from the 12-digit 区划代码"
    assert list(schools["school_type"]) == ["primary"] * 2 and list(schools["is_public"]) == [True, False]
    assert list(schools["urban_rural"]) == ["town", "rural"] and schools["is_counted_school"].all()
    facilities = result.tables["facilities"].sort_values("_row")
    assert list(facilities["teaching_aux_area_m2"]) == [1200.0, 900.0]
    assert facilities["indoor_sports_area_m2"].isna().tolist() == [False, True], "blank is NA, not 0"
    missing = result.tables["missing_values"]
    assert (
        ((missing["column"] == "indoor_sports_area_m2") & (missing["row"] == 9)).any()
        if "row" in missing
        else ((missing["column"] == "indoor_sports_area_m2") & (missing["_row"] == 9)).any()
    )
    enrollment = result.tables["enrollment"].sort_values("_row")
    assert list(enrollment["student_count"]) == [400, 300] and list(enrollment["stage"]) == ["primary"] * 2
    assert list(result.tables["teachers"].sort_values("_row")["staff_count"]) == [24, 17]


def test_an_xlsx_roster_is_streamed_to_the_same_cells_as_the_whole_grid(tmp_path: Path) -> None:
    """issue 26: a 200,000-row roster peaked at 2.6 GB. An xlsx is now read row by row, keeping the mapped columns
    only; it reads to the cells, rows, headers and messages of the whole grid, a formula without a value too."""
    book = openpyxl.Workbook()
    book.active.title = "过录表"
    for row in HAND_MADE:
        book.active.append(row)
    book.active.cell(7, 13, "=400")  # 小学 › 在校生数 › 合计 of the first school, never calculated
    path = tmp_path / "过录表.xlsx"
    book.save(path)
    display = "raw/rosters/2024/过录表.xlsx"
    _, found, issues = read_roster_file((path, display, 2024, None))
    grid_issues: list = []
    grid = read_workbook(path.read_bytes(), display, grid_issues)["过录表"]
    whole = read_sheet(grid, file=display, sheet="过录表", year=2024, file_county=None, issues=grid_issues)
    assert len(found) == 1 and whole is not None and issues == grid_issues
    (streamed,) = found
    assert streamed.headers == whole.headers and list(streamed.school.rows) == list(whole.school.rows) == [7, 9]
    for name, cells in [*whole.school.columns.items(), *whole.stages["primary"].columns.items()]:
        stream = streamed.school.columns.get(name, streamed.stages["primary"].columns.get(name))
        assert [cell_text(v) for v in stream] == [cell_text(v) for v in cells], name
    assert list(streamed.stages["primary"].columns["student_count"]) == [FORMULA_WITHOUT_VALUE, "300"]


def test_the_rows_under_the_header_keep_only_the_mapped_columns_and_mark_the_notes() -> None:
    rows = [["甲校", "邮编", 1, "x"], ["乙校", "邮编", "", ""], ["注：单位为人", "", "", ""], ["", "", "", ""]]
    body = read_body(iter(rows), [0, 2])
    assert body.cells.tolist() == [["甲校", 1], ["乙校", ""], ["注：单位为人", ""], ["", ""]]
    assert body.is_note.tolist() == [False, False, True, False] and body.local == {0: 0, 2: 1}


def test_float_and_scientific_ids_are_repaired_with_a_warning(raw: Path) -> None:
    book = _roster(raw, 2022)  # one id as float text and one in scientific notation, whatever the sample drew
    wb = openpyxl.load_workbook(book)
    ws, col = wb.active, _id_column(wb.active)
    row = _first_school_row(ws)
    for r, spell in ((row, lambda sid: f"{sid}.0"), (row + 1, lambda sid: f"{sid[0]}.{sid[1:]}E+09")):
        sid = str(ws.cell(r, col).value)
        if sid.isdigit():
            ws.cell(r, col).value = spell(sid)
    wb.save(book)
    result = collect(raw)
    repaired = [i for i in result.warnings if "科学计数法" in i.message]
    assert repaired and all(i.file.endswith((".xlsx", ".csv")) and i.row and i.column for i in repaired)
    assert result.tables["schools"]["school_id"].str.fullmatch(r"[1-9]\d{9}").all()


def test_county_from_area_code_when_the_file_name_has_none(raw: Path) -> None:
    book = _roster(raw, 2022)
    book.rename(book.with_name("过录表(1).xlsx"))
    result = collect(raw)
    assert result.errors == []
    assert set(result.tables["schools"]["county_code"]) == {SHUANGJIANG}


def test_new_wording_is_a_yaml_change(raw: Path, tmp_path: Path, monkeypatch) -> None:
    book = _roster(raw, 2022)
    wb = openpyxl.load_workbook(book)
    for c in _cells(wb.active, "毕业生数"):
        c.value = "毕业人数"
    wb.save(book)
    result = collect(raw)
    assert result.errors == [], "an optional column under a wording lcedu does not know is not read"
    enrollment = result.tables["enrollment"]
    assert enrollment.loc[enrollment["year"] == 2022, "graduate_count"].isna().all()
    local = tmp_path / "layouts"
    shutil.copytree(Path(__file__).resolve().parents[1] / "lcedu" / "ingest" / "layouts", local)
    spec = (local / "roster.yml").read_text(encoding="utf-8")
    (local / "roster.yml").write_text(
        spec.replace("graduate_count: {path: 毕业生数}", "graduate_count: {path: [毕业生数, 毕业人数]}", 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))
    result = collect(raw)
    assert result.errors == []
    enrollment = result.tables["enrollment"]
    assert enrollment.loc[enrollment["year"] == 2022, "graduate_count"].notna().all()


# --- bad input ------------------------------------------------------------------------------------


def test_roster_without_student_count_names_the_closest_path(cleaned, capsys) -> None:
    raw, out, before = cleaned
    book = _roster(raw, 2022)
    wb = openpyxl.load_workbook(book)
    cells = _cells(wb.active, "在校生数")
    for c in cells:
        c.value = "在校学生人数"
    wb.save(book)
    err = _rejected(
        raw,
        out,
        before,
        capsys,
        book.name,
        "第2行",
        "缺少必需的列「",
        "在校生数 › 合计」",
        "最接近的表头",
        "在校学生人数",
    )
    assert "roster.yml" in err, "the fix says where a new wording goes"


def test_id_of_the_wrong_shape(cleaned, capsys) -> None:
    raw, out, before = cleaned
    book = _roster(raw, 2024)
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    row, col = _first_school_row(ws), _id_column(ws)
    ws.cell(row, col).value = "053925001"
    wb.save(book)
    _rejected(raw, out, before, capsys, book.name, f"第{row}行", "学校标识码「053925001」", "10位数字")


def test_unknown_school_type_code(cleaned, capsys) -> None:
    raw, out, before = cleaned
    book = _roster(raw, 2022)
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    row = _first_school_row(ws)
    col = next(
        c.column
        for r in ws.iter_rows(max_row=6)
        for c in r
        if c.value in ("办学类型代码", "办学类型编码")  # the code column beside a 办学类型 name column
        or (c.value == "代码" and ws.cell(c.row - 1, c.column).value == "办学类型")
    )
    ws.cell(row, col).value = "999"
    wb.save(book)
    _rejected(raw, out, before, capsys, book.name, f"第{row}行", "办学类型", "未知代码「999」")


def test_unmapped_site_lists_every_site_and_writes_a_template(cleaned, capsys, tmp_path: Path) -> None:
    raw, out, before = cleaned
    sites_csv = raw / "rosters" / "sites.csv"
    sites = pd.read_csv(sites_csv, dtype=str)
    dropped = sites.iloc[:2]
    sites.iloc[2:].to_csv(sites_csv, index=False)
    raw_before = file_hashes(raw)
    reports = tmp_path / "reports"
    template = reports / "check" / "sites.template.csv"
    # The template goes to the reports folder; raw data is never written.
    for argv in (["check", "--raw", str(raw)], ["clean", "--raw", str(raw), "--out", str(out)]):
        code = main([*argv, "--reports", str(reports)])
        err = capsys.readouterr().err
        command = argv[0]
        assert code == 2 and "Traceback" not in err, err
        for text in ("sites.csv", "2 个是否计校数=0 的校点", *dropped["site_name"], str(template), "原始数据未改动"):
            assert text in err, f"{text!r} not in:\n{err}"
        assert file_hashes(raw) == raw_before, f"{command}: raw folder byte-identical, no new file in it"
        assert sorted(p.name for p in (reports / "check").iterdir()) == ["sites.template.csv"]
    assert file_hashes(store.current(out)) == before, "processed set unchanged"
    rows = list(csv.DictReader(template.open(encoding="utf-8-sig")))
    assert sorted(r["site_name"] for r in rows) == sorted(dropped["site_name"])
    assert all(r["county_code"] == SHUANGJIANG and r["parent_school_id"] == "" and r["site_school_id"] for r in rows)
    assert any(r["candidates_in_township"] for r in rows), "candidate parents from the same township"
    # Run again: the same template is reused (no pile of copies) …
    first = template.read_bytes()
    _rejected(raw, out, before, capsys, str(template), argv=("--reports", str(reports)))
    assert sorted(p.name for p in (reports / "check").glob("sites.template*")) == ["sites.template.csv"]
    # … and once the unmapped sites change, a NEW file is written: one being filled in is never overwritten.
    sites.iloc[1:].to_csv(sites_csv, index=False)
    _rejected(
        raw, out, before, capsys, "sites.template-1.csv", dropped["site_name"].iat[0], argv=("--reports", str(reports))
    )
    assert template.read_bytes() == first
    assert not list(raw.rglob("sites.template*"))


def test_a_site_whose_parent_is_not_in_the_roster(cleaned, capsys) -> None:
    raw, out, before = cleaned
    sites_csv = raw / "rosters" / "sites.csv"
    sites = pd.read_csv(sites_csv, dtype=str)
    sites.loc[0, "parent_school_id"] = "2153999999"
    sites.to_csv(sites_csv, index=False)
    _rejected(raw, out, before, capsys, "sites.csv", "第2行", "2153999999", "不在")


def test_conflict_between_two_inputs_names_both_files(raw: Path, roster_template, tmp_path: Path, capsys) -> None:
    """The same school and year in a roster and in the older county workbook: agreeing figures merge,
    differing ones are an error naming both files."""
    truth, _, _ = roster_template
    county = next(c for c in lincang_counties() if c.county_code == SHUANGJIANG)
    legacy = tmp_path / "legacy"
    write_raw(truth, [county], legacy, 2023, school_format="county")
    shutil.copytree(legacy / "schools", raw / "schools")
    result = clean(raw)
    pd.testing.assert_frame_equal(result.tables["enrollment"], truth["enrollment"])
    out = tmp_path / "processed"
    store.write(result.tables, {}, out)
    before = file_hashes(store.current(out))

    book = next((raw / "schools" / "2024").glob("*.xlsx"))
    wb = openpyxl.load_workbook(book)
    ws = next(wb[n] for n in wb.sheetnames if n in ("学生情况", "在校生情况", "学生"))
    header = next(c for r in ws.iter_rows(max_row=8) for c in r if c.value == "在校学生")
    ids = next(c.column for r in ws.iter_rows(max_row=8) for c in r if c.value in ("学校识别码", "学校标识码"))
    row = next(r for r in range(header.row + 1, ws.max_row + 1) if len(str(ws.cell(r, ids).value or "")) == 10)
    ws.cell(row, header.column).value = 99999
    wb.save(book)
    err = _rejected(
        raw, out, before, capsys, "两份输入不一致", "student_count", book.name, _roster(raw, 2024).name, f"第{row}行"
    )
    assert err.count("两份输入不一致") >= 1


def test_local_sheet_row_for_an_unknown_school(cleaned, capsys) -> None:
    raw, out, before = cleaned
    book = raw / "local" / "2022" / "学校补充信息.xlsx"
    wb = openpyxl.load_workbook(book)
    wb.active.cell(2, 1).value = "2153999998"
    wb.save(book)
    _rejected(raw, out, before, capsys, "学校补充信息.xlsx", "第2行", "2153999998", "不存在")


def test_roster_only_folder_is_partial(raw: Path, tmp_path: Path, capsys) -> None:
    shutil.rmtree(raw / "county")
    out = tmp_path / "processed"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "缺少以下表" in err and "population" in err and "--partial" in err
    assert not (out / "current").exists()
    assert main(["clean", "--raw", str(raw), "--out", str(out), "--partial"]) == 0
    assert "缺少以下表" in capsys.readouterr().err
    assert {"schools", "enrollment", "teachers", "facilities"} <= {p.stem for p in store.current(out).glob("*.parquet")}


def test_no_usable_input_exits_2_and_keeps_the_processed_set(cleaned, tmp_path: Path, capsys) -> None:
    _, out, before = cleaned
    empty = tmp_path / "other"
    (empty / "exports").mkdir(parents=True)
    (empty / "exports" / "2024年统计.pdf").write_bytes(b"%PDF-1.4")
    err = _rejected(empty, out, before, capsys, "未识别的文件", "2024年统计.pdf", "没有可用的输入")
    assert "过录表" in err


def test_unrecognised_files_are_named(raw: Path) -> None:
    (raw / "rosters" / "说明.docx").write_bytes(b"PK")
    (raw / "notes.txt").write_text("x", encoding="utf-8")
    result = collect(raw)
    named = {i.file for i in result.warnings if "未识别的文件" in i.message}
    assert named == {"raw/rosters/说明.docx", "raw/notes.txt"}
    assert result.errors == []


def test_check_reports_roster_problems_without_writing(raw: Path, capsys) -> None:
    book = _roster(raw, 2024)
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    row, col = _first_school_row(ws), _id_column(ws)
    ws.cell(row, col).value = "215392500"
    wb.save(book)
    before = file_hashes(raw)
    assert main(["check", "--raw", str(raw)]) == 2
    err = capsys.readouterr().err
    assert book.name in err and f"第{row}行" in err and "215392500" in err
    assert file_hashes(raw) == before


def test_schema_error_points_at_the_header_path(cleaned, capsys) -> None:
    """A blank 在校生数 in a stage block the school reported: NA is refused for a required column, and
    the error names the file, the row and the header path as written."""
    raw, out, before = cleaned
    book = _roster(raw, 2024)
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    group = next(r for r in ws.merged_cells.ranges if ws.cell(r.min_row, r.min_col).value == "小学")
    col = next(c for c in range(group.min_col, group.max_col + 1) if ws.cell(group.min_row + 1, c).value == "在校生数")
    row = next(
        r
        for r in range(_first_school_row(ws), ws.max_row + 1)
        if isinstance(ws.cell(r, col).value, (int, float)) or str(ws.cell(r, col).value or "").isdigit()
    )
    ws.cell(row, col).value = None
    wb.save(book)
    _rejected(raw, out, before, capsys, book.name, f"第{row}行", "列「小学 › 在校生数 › ", "校验失败")


def test_roster_of_another_school_year(cleaned, capsys) -> None:
    raw, out, before = cleaned
    book = _roster(raw, 2022)
    moved = raw / "rosters" / "2024" / book.name
    book.rename(moved)
    _rejected(raw, out, before, capsys, moved.name, "2022/2023学年", "rosters/2022/")


def test_file_name_county_that_disagrees_with_the_rows_is_a_warning(raw: Path) -> None:
    book = _roster(raw, 2024)
    renamed = book.with_name("临翔区_过录表.xlsx")
    book.rename(renamed)
    (renamed.parent / f"~${renamed.name}").write_bytes(b"\x00" * 165)  # Excel's lock file beside it
    result = collect(raw)
    assert result.errors == []
    assert set(result.tables["schools"]["county_code"]) == {SHUANGJIANG}, "the rows' 区划代码 win"
    assert any(i.file.endswith(renamed.name) and "区划代码" in i.message for i in result.warnings)
    assert any("锁文件" in i.message for i in result.warnings)


def test_id_category_that_does_not_fit_the_type_is_a_warning(raw: Path) -> None:
    book = _roster(raw, 2022)
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    code_col = next(
        c.column
        for r in ws.iter_rows(max_row=6)
        for c in r
        if c.value in ("办学类型代码", "办学类型编码")  # the code column beside a 办学类型 name column
        or (c.value == "代码" and ws.cell(c.row - 1, c.column).value == "办学类型")
    )
    ids = _id_column(ws)
    row = next(r for r in range(_first_school_row(ws), ws.max_row + 1) if str(ws.cell(r, ids).value).startswith("11"))
    ws.cell(row, code_col).value = 211  # a kindergarten id (category 11) said to be a 小学
    wb.save(book)
    shutil.rmtree(raw / "local" / "2022")
    result = collect(raw)
    assert result.errors == []
    mismatch = [i for i in result.warnings if "类别与办学类型不符" in i.message]
    assert len(mismatch) == 1 and mismatch[0].file.endswith(book.name) and f"第{row}行" in mismatch[0].message
    assert any("2022 学年没有学校补充信息表" in i.message for i in result.warnings), "a year without the local sheet"
    schools = result.tables["schools"]
    assert schools.loc[schools["year"] == 2022, "is_inclusive"].isna().all()


def test_one_roster_per_stage_with_a_school_in_two_of_them(tmp_path: Path) -> None:
    """Rosters exported per stage (小学过录表, 初中过录表) have no stage level in their headers: the stage
    comes from the file name, and a 九年一贯制学校 in both is one school with two stage rows (its
    identity and facilities, given twice, must agree and are merged)."""
    header = [
        [
            "学校名称",
            "学校标识码",
            "统计用区划代码",
            "所在乡镇",
            "办学类型代码",
            "举办者",
            "城乡分类代码",
            "是否计校数",
            "本学年校舍建筑面积",
            "",
            "在校生数",
            "",
            "教职工数",
            "专任教师",
        ],
        ["", "", "", "", "", "", "", "", "教学及辅助用房", "", "合计", "#起始年级", "", ""],
        ["", "", "", "", "", "", "", "", "计", "#室内体育用房", "", "", "", ""],
    ]
    school = ["勐勐九年一贯制学校", "3153925001", "530925100000", "勐勐镇", "312", "教育部门", "121", "1", 3000, 200]
    rosters = {
        "小学过录表.csv": [
            school + [600, 100, 40, 36],
            [
                "勐勐小学",
                "2153925002",
                "530925100000",
                "勐勐镇",
                "211",
                "教育部门",
                "121",
                "1",
                1500,
                90,
                300,
                50,
                20,
                18,
            ],
        ],
        "初中过录表.csv": [school + [300, 100, 30, 27]],
    }
    folder = tmp_path / "raw" / "rosters" / "2022"
    folder.mkdir(parents=True)
    for name, rows in rosters.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(header + rows)
    result = collect(tmp_path / "raw", partial=True)
    assert result.errors == []
    schools = result.tables["schools"]
    assert sorted(schools["school_id"]) == ["2153925002", "3153925001"], "the 九年一贯制学校 is one school"
    enrollment = result.tables["enrollment"].set_index(["school_id", "stage"])["student_count"]
    assert enrollment.to_dict() == {
        ("3153925001", "primary"): 600,
        ("2153925002", "primary"): 300,
        ("3153925001", "junior"): 300,
    }
    assert len(result.tables["facilities"]) == 2

    # The same school's facilities differing between the two rosters is an error naming both.
    rows = rosters["初中过录表.csv"]
    rows[0][8] = 3100
    with (folder / "初中过录表.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(header + rows)
    errors = collect(tmp_path / "raw", partial=True).errors
    assert any(
        "两份输入不一致" in i.message
        and "小学过录表.csv" in i.message
        and "初中过录表.csv" in i.message
        and "teaching_aux_area_m2" in i.message
        for i in errors
    )


def test_the_same_school_twice_in_one_roster(cleaned, capsys) -> None:
    raw, out, before = cleaned
    book = _roster(raw, 2022)
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    first = _first_school_row(ws)
    ws.insert_rows(first + 1)
    for col in range(1, ws.max_column + 1):
        ws.cell(first + 1, col).value = ws.cell(first, col).value
    wb.save(book)
    err = _rejected(raw, out, before, capsys, book.name, "重复记录", f"第{first + 1}行", f"第{first}行")
    assert "列「学校标识码」" in err or "列「学校代码」" in err, "the duplicate points at the id column as written"


# --- the roster as public code reads it (moe-statistics-forms.md §3) --------------------------------

REFERENCE_HEADER = [
    ["学校名称", "学校标识码", "统计一级", "统计二级", "统计三级", "所在乡镇", "办学类型", "办学类型编码", "举办者",
     "举办者编码", "城乡分类", "是否计校数", "本学年校舍建筑面积", "在校生数", "教职工数", "专任教师", "", "", "",
     "教基1102", ""],
    ["", "", "", "", "", "", "", "", "", "", "", "", "教学及辅助用房", "合计", "合计", "计", "#按学历分", "", "",
     "县级以上骨干教师（小学）", "县级以上骨干教师（初中）"],
    ["", "", "", "", "", "", "", "", "", "", "", "", "计", "", "", "", "博士研究生", "硕士研究生", "本科", "", ""],
]  # fmt: skip
NINE_YEAR = ["勐勐九年一贯制学校", "3153925001", "云南省", "临沧市", "双江县", "勐勐镇", "九年一贯制学校", "312",
             "教育部门", "", "镇中心区", 1, 3000]  # fmt: skip
REFERENCE_ROSTERS = {
    "小学过录表.csv": [
        ["", "", "云南省", "临沧市", "合计", "", "", "", "", "", "", "", 4500, 900, 60, 54, 1, 3, 45, 4, ""],
        NINE_YEAR + [600, 40, 36, "", 2, 30, 4, ""],
        ["勐库小学", "2153925002", "云南省", "临沧市", "双江拉祜族佤族布朗族傣族自治县", "勐库镇", "小学", "211",
         "民办", "999", "村庄", 1, 1500, 300, 20, 18, 1, "", 15, "—", ""],
    ],
    "初中过录表.csv": [
        NINE_YEAR + [300, 30, 27, 0, 3, 20, 4, 6],
        ["总计", "", "", "", "", "", "", "", "", "", "", "", 3000, 300, 30, 27, 0, 3, 20, 4, 6],
    ],
}  # fmt: skip


def _write_reference(folder: Path, rosters: dict[str, list[list]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in rosters.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(REFERENCE_HEADER + rows)


def test_rosters_as_public_code_reads_them(tmp_path: Path) -> None:
    """Per-学段 files, the county as a 统计三级 name (no code, no county in the file name), 办学类型 and 举办者
    as names beside code columns, 城乡 as a name, 博士 + 硕士研究生, 骨干 under 教基1102 with (小学)/(初中),
    a 合计 row above the schools with its label in the county column and a 总计 row below them."""
    _write_reference(tmp_path / "raw" / "rosters" / "2024", REFERENCE_ROSTERS)
    result = collect(tmp_path / "raw", partial=True)
    assert result.errors == [], [i.format() for i in result.errors]
    totals = [i for i in result.warnings if "合计行" in i.message]
    assert sorted((Path(i.file).name, i.row) for i in totals) == [("初中过录表.csv", 5), ("小学过录表.csv", 4)]
    schools = result.tables["schools"].set_index("school_id").sort_index()
    assert list(schools.index) == ["2153925002", "3153925001"], "the 九年一贯制学校 in both files is one school"
    assert set(schools["county_code"]) == {SHUANGJIANG}, "统计三级 双江县 and the full name resolve to 530925"
    assert list(schools["school_type"]) == ["primary", "nine_year"]
    assert list(schools["is_public"]) == [False, True] and list(schools["urban_rural"]) == ["rural", "town"]
    teachers = result.tables["teachers"].set_index(["school_id", "stage"]).sort_index()
    assert teachers["teacher_postgrad_count"].to_dict() == {
        ("2153925002", "primary"): 1,  # 博士 blank + 硕士 1
        ("3153925001", "junior"): 3,
        ("3153925001", "primary"): 2,
    }
    backbone = teachers["backbone_teacher_count"]
    assert backbone[("3153925001", "primary")] == 4 and backbone[("3153925001", "junior")] == 6
    assert pd.isna(backbone[("2153925002", "primary")]), "a dash is NA, not 0"
    assert result.headers[("raw/rosters/2024/小学过录表.csv", "过录表", "primary", "teacher_postgrad_count")] == (
        "专任教师 › #按学历分 › 博士研究生 + 专任教师 › #按学历分 › 硕士研究生"
    )
    enrollment = result.tables["enrollment"].set_index(["school_id", "stage"])["student_count"].sort_index()
    assert enrollment.to_dict() == {
        ("2153925002", "primary"): 300,
        ("3153925001", "junior"): 300,
        ("3153925001", "primary"): 600,
    }


def test_a_per_stage_roster_beside_a_combined_one_is_an_error(tmp_path: Path) -> None:
    """A 小学 file that repeats the combined roster's 小学 block for the same county and year: never merged."""
    folder = tmp_path / "raw" / "rosters" / "2024"
    _write_reference(folder, {"小学过录表.csv": REFERENCE_ROSTERS["小学过录表.csv"]})
    with (folder / "双江县过录表.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(HAND_MADE)  # a combined roster of 双江 2024 with a 小学 block
    errors = collect(tmp_path / "raw", partial=True).errors
    double = [i for i in errors if "重复" in i.message]
    assert len(double) == 1, [i.format() for i in errors]
    assert {
        Path(double[0].file).name,
        *(n for n in ("双江县过录表.csv", "小学过录表.csv") if n in double[0].message),
    } == {
        "双江县过录表.csv",
        "小学过录表.csv",
    }
    assert "小学" in double[0].message and "规则 / rule" in double[0].message


def test_a_renamed_header_is_named_with_the_closest_header_and_the_yaml_entry() -> None:
    """issue 26: the closest-header suggestion pointed to an unrelated path; it now looks under the same group."""
    grid = [list(r) for r in HAND_MADE]
    grid[2][12] = "在校人数"
    issues: list = []
    assert read_sheet(grid, file="t.xlsx", sheet="过录表", year=2024, file_county=None, issues=issues) is None
    (missing,) = [i for i in issues if i.level == "error"]
    assert "「小学 › 在校生数 › 合计」" in missing.message
    assert "closest header found: 「小学 › 在校人数 › 合计」" in missing.message
    assert "roster.yml" in missing.fix and "stage › student_count" in missing.fix
