"""Excel export: sheets, Chinese headers, formats, fills, provenance, atomic writes, LibreOffice opens it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from lcedu.ingest import counties, store
from lcedu.measure.results import load_results
from lcedu.measure.scorecard import COUNTING_RULE
from lcedu.present import workbooks as export

COUNTY, YEAR = "530902", 2025


@pytest.fixture(scope="module")
def county_book(processed_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export.write_county_workbook(
        COUNTY, YEAR, tmp_path_factory.mktemp("xlsx") / "临翔区_2025.xlsx", processed_dir=processed_sample
    )


@pytest.fixture(scope="module")
def city_book(processed_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export.write_city_workbook(
        YEAR, tmp_path_factory.mktemp("xlsx") / "临沧市_2025.xlsx", processed_dir=processed_sample
    )


def _headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def test_county_workbook_layout(county_book: Path):
    wb = openpyxl.load_workbook(county_book)
    assert wb.sheetnames == [
        "指标总览",
        "目标达成统计",
        "达标评估",
        "评估维度",
        "评估明细",
        "学校资源配置",
        "学校资源缺口",
        "资源缺口汇总",
        "学前缺口",
        "来源与数据说明",
        "学龄人口预测",
        "规划测算",
    ]
    ws = wb["指标总览"]
    headers = _headers(ws)
    # The value column says which state it is: data year 2025 = the start of the 2025/26 school year.
    assert headers[:3] == ["指标", "单位", "数值（2025/26学年初）"] and "状态" in headers and "目标来源" in headers
    assert "较2022/23学年初变化" in headers
    assert "州(市)内县际排名" in headers  # ranks are among the counties of the county's own prefecture
    for name in [n for n in wb.sheetnames[:-3] if n != "目标达成统计"]:
        assert wb[name].freeze_panes == "B2", name  # the label column stays in view
        assert all(h and not h.isascii() or h == "SHA-256" for h in _headers(wb[name])[:3]), name
    # Number formats follow the unit: a percentage row gets one decimal, more only where one decimal
    # would put the shown value on the wrong side of its target (94.96 beside ≥95 is 94.96, not 95.0).
    value_col = headers.index("数值（2025/26学年初）") + 1
    unit_col = headers.index("单位") + 1
    pct_rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, unit_col).value == "%"]
    assert pct_rows and all(
        ws.cell(r, value_col).number_format in ("0.0", "0.00", "0.000", "0.0000", "0.00000") for r in pct_rows
    )
    assert sum(ws.cell(r, value_col).number_format == "0.0" for r in pct_rows) > len(pct_rows) / 2
    # Widths were fitted (wider than the default 8.43 for the indicator names).
    assert ws.column_dimensions["A"].width > 15


def test_shown_values_agree_with_the_status(county_book: Path):
    """Each value as Excel shows it (its number format's decimals) sits on the side of the target the status says."""
    from lcedu.present.workbooks import near_format

    ws = openpyxl.load_workbook(county_book)["指标总览"]
    h = _headers(ws)
    h[2] = "数值"
    col = {name: h.index(name) + 1 for name in ("数值", "比较", "目标值", "状态")}
    checked = 0
    for r in range(2, ws.max_row + 1):
        value, op, target, status = (ws.cell(r, col[k]).value for k in ("数值", "比较", "目标值", "状态"))
        if status not in ("达标", "未达标") or op not in ("≥", "≤") or not isinstance(value, (int, float)):
            continue
        fmt = ws.cell(r, col["数值"]).number_format
        shown = round(value, len(fmt.split(".")[1]) if "." in fmt else 0)
        met = shown >= target if op == "≥" else shown <= target
        assert met == (status == "达标"), (r, value, fmt, target, status)
        checked += 1
    assert checked > 10
    assert near_format("0.0", 94.96, [95.0]) == "0.00" and near_format("0.0", 96.14, [95.0]) == "0.0"
    assert near_format("#,##0.0", 94.996, [95.0, None]) == "#,##0.000"


def test_met_and_not_met_are_filled(county_book: Path):
    wb = openpyxl.load_workbook(county_book)
    ws = wb["达标评估"]
    col = _headers(ws).index("总体结果(全部维度评估且达标才为达标)") + 1
    fills = {ws.cell(r, col).value: ws.cell(r, col).fill.start_color.rgb for r in range(2, ws.max_row + 1)}
    # 临翔区 meets 普及普惠 in 2024–2025 and not 优质均衡: both states appear.
    assert fills["达标"].endswith("C6EFCE") and fills["未达标"].endswith("FFC7CE")


def test_sources_sheet_names_standards_plan_and_sample(county_book: Path):
    ws = openpyxl.load_workbook(county_book)["来源与数据说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert export.SAMPLE_NOTICE in text
    assert "教督〔2017〕6号" in text and "教督〔2020〕1号" in text
    assert "临沧市教育高质量发展三年行动计划实施方案" in text
    assert "三(四)" in text  # plan clauses of the indicators
    # Every raw input with its checksum.
    assert any(len(str(c.value)) == 64 for row in ws.iter_rows() for c in row if c.value)


def test_the_inter_county_spread_is_named_for_what_it_is(county_book: Path):
    """The unweighted CV across counties is 县际离散系数, explained, never the national 差异系数's name."""
    wb = openpyxl.load_workbook(county_book)
    headers = _headers(wb["指标总览"])
    assert "县际离散系数（各县指标值未加权变异系数）" in headers
    every_cell = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any("县际差异系数" in text for text in every_cell)
    notes = "\n".join(every_cell)
    assert "不按学生数加权" in notes and "不是教督〔2017〕6号的校际差异系数" in notes


def test_city_workbook_layout(city_book: Path):
    wb = openpyxl.load_workbook(city_book)
    assert wb.sheetnames == [
        "全市指标",
        "目标达成统计",
        "各县指标",
        "各县对比",
        "达标评估",
        "评估维度",
        "评估明细",
        "资源缺口汇总",
        "学前缺口",
        "来源与数据说明",
        "学龄人口预测",
        "规划测算",
    ]
    counts = wb["目标达成统计"]
    assert COUNTING_RULE["zh"] in counts["A1"].value and [c.value for c in counts[3]][:4] == [
        "县(区)",
        "学年初",
        "目标数",
        "达标",
    ]
    assert counts["B4"].value == "2025/26" and "2025/2026学年初" in counts["A1"].value
    assert counts.max_row == 3 + 9  # the city and its 8 counties
    compare = wb["各县对比"]
    assert _headers(compare)[:3] == ["指标", "单位", "临沧市"]
    assert "临翔区" in _headers(compare) and counties.name("530927") in _headers(compare)
    assert "沧源自治县" in _headers(compare)  # the plan's name
    assessed = wb["达标评估"]
    assert assessed.max_row == 1 + 8 * 2  # 8 counties × 2 assessments in 2025
    assert wb["评估维度"].max_row == 1 + 8 * 2 * 4  # … × 4 dimensions each


def _cells(wb):
    return [(ws, c) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize("book", ["county_book", "city_book"])
def test_workbooks_print_on_a4_and_show_numbers_as_read(book: str, request: pytest.FixtureRequest):
    """What a user sees and prints: A4 landscape, codes and notes off the page, years as 2025, whole counts,
    是/否, capped rate projections, no spread of yes/no, Chinese reasons, the benchmark in every gap header,
    text never a formula."""
    wb = openpyxl.load_workbook(request.getfixturevalue(book))
    for ws in wb:
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape", ws.title
        head = [c.value for c in ws[1]]
        if "指标代码" in head:  # codes and notes kept in the file, right of the printed area
            printed = ws.print_area.split("$")[-2]
            last = openpyxl.utils.column_index_from_string(printed)
            assert "指标代码" not in head[:last] and "缺失原因" not in head[:last], ws.title
        if ws.print_area and ws.sheet_properties.pageSetUpPr.fitToPage:  # one page wide only where legible
            last = openpyxl.utils.column_index_from_string(ws.print_area.split("$")[-2])
            widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width for j in range(1, last + 1)]
            assert sum(widths) <= export.A4_LEGIBLE_WIDTH, ws.title
    for ws, cell in _cells(wb):
        assert cell.data_type != "f", (ws.title, cell.coordinate)
        if isinstance(cell.value, int) and str(ws.cell(1, cell.column).value).endswith("年份"):
            assert cell.number_format in ("0", "General"), (ws.title, cell.coordinate, cell.number_format)
    card = wb[wb.sheetnames[0]]
    h = _headers(card)
    col = {name: h.index(name) + 1 for name in h}
    projected = next(n for n in h if n.startswith("趋势外推值"))
    spread = next(n for n in h if "离散系数" in n)
    assert "0–100" in projected
    yes_no = 0
    for r in range(2, card.max_row + 1):
        unit = card.cell(r, col["单位"]).value
        value = card.cell(r, 3).value
        if unit == "是/否":
            yes_no += 1
            assert value in ("是", "否", None) and card.cell(r, col[spread]).value is None
        if unit == "%" and card.cell(r, col[projected]).value is not None:
            assert 0 <= card.cell(r, col[projected]).value <= 100
        if unit in ("所", "人", "班") and isinstance(value, (int, float)):
            assert card.cell(r, 3).number_format == "#,##0", (r, unit)
        reason = card.cell(r, col["缺失原因"]).value
        assert reason is None or not any("a" <= ch <= "z" for ch in reason), reason
    assert yes_no >= 2 or book == "city_book"  # the county's 普及普惠 / 优质均衡 (是/否); the city has none
    gap_headers = [v for ws in wb for v in _headers(ws) if v and ("差距" in v or "缺口" in v or "新增" in v)]
    assert gap_headers and all(any(w in v for w in ("目标", "标准")) for v in gap_headers), gap_headers


def test_whole_teachers_and_rooms(county_book: Path):
    ws = openpyxl.load_workbook(county_book)["学校资源缺口"]
    h = _headers(ws)
    amount = h.index("学校需新增(达到标准)") + 1
    resource = h.index("资源") + 1
    rows = [r for r in range(2, ws.max_row + 1) if "(人)" in str(ws.cell(r, resource).value)]
    assert rows
    for r in rows:
        for j in (amount, amount - 1, amount - 2):
            assert ws.cell(r, j).number_format == "#,##0" and float(ws.cell(r, j).value).is_integer(), (r, j)


def test_projection_and_planning_sheets(county_book: Path, city_book: Path):
    county, city = openpyxl.load_workbook(county_book), openpyxl.load_workbook(city_book)
    assert "临翔区" in county["学龄人口预测"]["A1"].value and "临沧市" in city["学龄人口预测"]["A1"].value
    assert county["规划测算"].max_row > 5 and city["规划测算"].max_row > 5
    # Projected pupils, places and teachers shown whole (6,093, not 6093.3); years plain.
    for ws in (county["学龄人口预测"], county["规划测算"], city["学龄人口预测"]):
        numbers = [c for row in ws.iter_rows(min_row=3) for c in row if isinstance(c.value, float)]
        assert numbers and all(c.number_format in ("#,##0", "0.0") for c in numbers), ws.title
        years = [c for row in ws.iter_rows(min_row=3) for c in row if isinstance(c.value, int) and c.value > 2020]
        assert years and all(c.number_format in ("0", "#,##0") for c in years), ws.title
    # Why a school is not assessed, in Chinese (a 教学点 joined to its parent school).
    schools = county["学校资源配置"]
    j = _headers(schools).index("不参评原因")
    reasons = {r[j] for r in schools.iter_rows(min_row=2, values_only=True) if r[j]}
    assert reasons and all(not any("a" <= ch <= "z" for ch in r) for r in reasons), reasons


def test_a_build_without_projections_still_writes_the_workbook(processed_sample: Path, tmp_path: Path):
    """An older build (no projection or planning tables): the sheets say why, the workbook is written."""
    old = tmp_path / "processed"
    build = store.current(processed_sample)
    shutil.copytree(build, old / build.name)
    (old / "current").symlink_to(build.name)
    for name in ("projections", "planning_places"):
        (old / build.name / f"{name}.parquet").unlink()
    path = export.write_county_workbook(COUNTY, YEAR, tmp_path / "old.xlsx", processed_dir=old)
    wb = openpyxl.load_workbook(path)
    for sheet in ("学龄人口预测", "规划测算"):
        assert wb[sheet]["A1"].value.startswith("本表未生成："), sheet
        assert wb[sheet].max_row == 1


def test_written_atomically(tmp_path: Path, processed_sample: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"previous contents")

    def broken_save(self, filename):
        Path(filename).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        export.write_county_workbook(COUNTY, YEAR, path, processed_dir=processed_sample)
    assert path.read_bytes() == b"previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # no temp file left


def test_explicit_tables_without_manifest(sample_tables: dict, tmp_path: Path):
    results = load_results()  # the tables' own results, as compute_results() makes them
    path = export.write_county_workbook("530925", 2024, tmp_path / "双江.xlsx", tables=sample_tables, results=results)
    ws = openpyxl.load_workbook(path)["来源与数据说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "无 manifest" in text
    with pytest.raises(ValueError, match="no indicator rows"):
        export.write_county_workbook("530902", 1999, tmp_path / "x.xlsx", tables=sample_tables, results=results)
    with pytest.raises(ValueError, match="give both tables and their results"):
        export.write_county_workbook("530925", 2024, tmp_path / "y.xlsx", tables=sample_tables)


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_workbooks(county_book: Path, city_book: Path, tmp_path: Path):
    for book in (county_book, city_book):
        out = subprocess.run(
            [
                "soffice",
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(book),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert out.returncode == 0, out.stderr
        pdf = tmp_path / (book.stem + ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 1000, out.stdout + out.stderr
        if shutil.which("pdfinfo"):  # LibreOffice printed on A4 landscape, not its default Letter
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
            size = next(line for line in info.splitlines() if line.startswith("Page size:"))
            width, height = (float(x) for x in size.split(":")[1].split("pts")[0].split(" x "))
            assert (round(width), round(height)) == (842, 595), size
