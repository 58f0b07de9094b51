"""Blank input workbooks (`lcedu template`): what a bureau fills in itself, written from the layouts YAML.

The statistics system exports the 过录表; everything else is local: 学校补充信息, the county workbooks (人口,
适龄残疾儿童少年, 任务台账), the city's figures and the 督导评估清单. Each template has the headers the reader
expects (the first spelling of the layout's variant for the year, grouped headers merged), code lists as
dropdowns (data validation against a hidden 代码表 sheet), whole-number and year checks, school ids kept as
text, the counties (and the checklist's items) filled in, and a filled example row on a sheet of its own
(填写示例, never read as data) with what each column takes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from lcedu.errors import RequestError
from lcedu.ingest import counties
from lcedu.ingest.layout import Column, Layout, Variant, code_lists, load_layout
from lcedu.measure.indicators import checklist_items


@dataclass(frozen=True)
class Template:
    """One input workbook: its layout, where it goes under data/raw/, and what is filled in for the user."""

    table: str
    path: str  # relative to the raw folder; {year} is the school year's first year
    title: str
    rows: str = "none"  # "counties" (one row per county), "checklist" (county × item) or "none"


TEMPLATES = (
    Template("school_local", "local/{year}/学校补充信息.xlsx", "学校补充信息（国家报表没有的学校信息，每校一行）"),
    Template("population", "county/{year}/人口_{year}.xlsx", "常住人口分年龄段（每县一行）", "counties"),
    Template("disability", "county/{year}/残疾儿童少年_{year}.xlsx", "适龄残疾儿童少年及入学（每县一行）", "counties"),
    Template("ledger", "county/{year}/台账_{year}.xlsx", "三年行动计划任务台账（每县一行）", "counties"),
    Template(
        "assessment_checklist",
        "county/{year}/督导评估清单_{year}.xlsx",
        "督导评估清单（每县每项一行：填结果或数值，以及佐证）",
        "checklist",
    ),
    Template("city", "city/市级职业与高等教育.xlsx", "市级职业与高等教育（每年一行）"),
)

#: How each column type is described on the example sheet, and its example value.
_TYPES = {
    "school_id": ("10位学校标识码（文本，不补0）", "2153925001"),
    "text": ("文字", "（示例）"),
    "code": ("从下拉列表选择", None),
    "count": ("非负整数", 12),
    "amount": ("数值", 25.5),
    "pct": ("百分数，0–100，不带%", 95.0),
    "degrees": ("十进制度数（WGS84），如经度 99.8241、纬度 23.4731", 99.8241),
    "year": ("四位年份", 2024),
    "county": ("县(区)名称或6位代码", None),
}
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F2")
_ASSESSMENT_ZH = {"preschool_universal": "学前教育普及普惠", "compulsory_balanced": "义务教育优质均衡"}


def variant_for(layout: Layout, year: int) -> Variant:
    """The layout's wording for the year (the latest wording for a year no variant names yet)."""
    return next((v for v in layout.variants if year in v.years), layout.variants[-1])


def latest_year() -> int:
    """The last school year the layouts describe (the default year of the templates)."""
    return max(year for template in TEMPLATES for v in load_layout(template.table).variants for year in v.years)


def headers(layout: Layout, variant: Variant) -> list[tuple[str, list[str]]]:
    """(column, header levels) in the layout's column order: the first spelling the variant lists."""
    out = []
    for column in layout.columns:
        spelled = [text for text, (col, _unit) in variant.raw_spellings.items() if col == column]
        if spelled:
            out.append((column, spelled[0].split("/")))
    return out


def code_choices(codes: str) -> list[str]:
    """The spellings a dropdown offers: the first spelling of each value of the code list."""
    seen: dict[object, str] = {}
    for spelling, value in code_lists()[codes].items():
        seen.setdefault(value, spelling)
    return list(seen.values())


def write_templates(out_dir: Path, year: int | None = None, county_codes: Sequence[str] | None = None) -> list[Path]:
    """Every template under ``out_dir`` (the layout of data/raw/: ``local/<year>/…``, ``county/<year>/…``,
    ``city/…``), each written atomically; returns the files. A file already there is never overwritten
    (a RequestError names it): a template must not replace data someone has typed in."""
    year = latest_year() if year is None else int(year)
    codes = list(county_codes) if county_codes is not None else list(counties.home()["county_code"])
    targets = [Path(out_dir) / template.path.format(year=year) for template in TEMPLATES]
    existing = [str(path) for path in targets if path.exists()]
    if existing:
        raise RequestError(
            f"文件已存在，未覆盖 / already there, not overwritten: {', '.join(existing)}",
            "用 --out 指定一个新文件夹（如 reports/templates），填好后再把文件放进 data/raw/",
        )
    written = []
    for template, path in zip(TEMPLATES, targets, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        book = template_workbook(template, year, codes)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        try:
            book.save(temporary)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        written.append(path)
    return written


def template_workbook(template: Template, year: int, county_codes: Sequence[str]) -> Workbook:
    """One template: the data sheet (title, headers, prefilled rows, dropdowns), 填写示例 and 代码表."""
    layout = load_layout(template.table)
    columns = headers(layout, variant_for(layout, year))
    book = Workbook()
    sheet = book.active
    sheet.title = layout.sheets[0]
    sheet.cell(row=1, column=1, value=f"{template.title}　{year}/{(year + 1) % 100:02d}学年初")
    sheet.cell(row=1, column=1).font = Font(bold=True, size=12)
    first = _write_headers(sheet, columns, top=2)
    rows = _prefilled(template, layout, county_codes)
    for r, record in enumerate(rows, start=first):
        for c, (column, _levels) in enumerate(columns, start=1):
            if column in record:
                _text(sheet, r, c, record[column])
    last = first + max(len(rows), 200) - 1
    lists = book.create_sheet("代码表")
    lists.sheet_state = "hidden"
    _validate(sheet, lists, layout, columns, first, last)
    sheet.freeze_panes = sheet.cell(row=first, column=2)
    _example_sheet(book.create_sheet("填写示例"), layout, columns)
    book.move_sheet("填写示例", offset=-1)  # data sheet first, then the example, the code lists hidden last
    return book


def _write_headers(sheet: Worksheet, columns: list[tuple[str, list[str]]], top: int) -> int:
    """Header rows from ``top`` (grouped levels merged as an export writes them); returns the first data row."""
    depth = max(len(levels) for _, levels in columns)
    for c, (_column, levels) in enumerate(columns, start=1):
        for k, text in enumerate(levels):
            cell = _text(sheet, top + k, c, text)
            cell.font, cell.fill = Font(bold=True), _HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if len(levels) < depth:
            sheet.merge_cells(start_row=top + len(levels) - 1, start_column=c, end_row=top + depth - 1, end_column=c)
        width = max(len(text) for text in levels) * 2 + 4
        sheet.column_dimensions[get_column_letter(c)].width = min(max(width, 10), 40)
    c = 1
    while c <= len(columns):  # a group heading over its run of columns
        levels = columns[c - 1][1]
        end = c
        while end < len(columns) and len(levels) > 1 and columns[end][1][0] == levels[0]:
            end += 1
        if end > c:
            sheet.merge_cells(start_row=top, start_column=c, end_row=top, end_column=end)
        c = end + 1
    return top + depth


def _prefilled(template: Template, layout: Layout, county_codes: Sequence[str]) -> list[dict[str, str]]:
    """What the user need not type: the counties, and for the checklist every county's items."""
    key = next((name for name, col in layout.columns.items() if col.type == "county"), None)
    if template.rows == "counties" and key:
        return [{key: counties.name(code)} for code in county_codes]
    if template.rows == "checklist" and key:
        items = checklist_items()
        return [
            {
                key: counties.name(code),
                "assessment_name": _ASSESSMENT_ZH.get(item["assessment"], item["assessment"]),
                "dimension_name": item["dimension_zh"],
                "item_code": item["item"],
                "item_name": item["name_zh"],
            }
            for code in county_codes
            for item in items.to_dict("records")
        ]
    return []


def _validate(
    sheet: Worksheet, lists: Worksheet, layout: Layout, columns: list[tuple[str, list[str]]], first: int, last: int
) -> None:
    """Dropdowns for code and county columns, whole numbers and years checked, school ids kept as text."""
    choices: dict[str, list[str]] = {}
    for c, (column, _levels) in enumerate(columns, start=1):
        spec = layout.columns[column]
        letter = get_column_letter(c)
        cells = f"{letter}{first}:{letter}{last}"
        rule = _rule(spec, choices, lists)
        if rule is not None:
            rule.error = f"「{columns[c - 1][1][-1]}」：{_TYPES[spec.type][0]}"
            rule.errorTitle, rule.showErrorMessage = "输入不符合要求", True
            sheet.add_data_validation(rule)
            rule.add(cells)
        if spec.type in ("school_id", "text", "code", "county"):
            for row in range(first, last + 1):
                sheet.cell(row=row, column=c).number_format = "@"  # typed ids stay text, never 2.15E+09


def _rule(spec: Column, choices: dict[str, list[str]], lists: Worksheet) -> DataValidation | None:
    if spec.type in ("code", "county"):
        name = spec.codes if spec.type == "code" else "county"
        if name not in choices:
            values = (
                code_choices(name)
                if spec.type == "code"
                else [counties.name(c) for c in counties.home()["county_code"]]
            )
            column = len(choices) + 1
            lists.cell(row=1, column=column, value=name)
            for r, value in enumerate(values, start=2):
                _text(lists, r, column, value)
            choices[name] = values
        letter = get_column_letter(list(choices).index(name) + 1)
        return DataValidation(type="list", formula1=f"=代码表!${letter}$2:${letter}${len(choices[name]) + 1}")
    if spec.type == "count":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
    if spec.type == "year":
        return DataValidation(type="whole", operator="between", formula1="1949", formula2="2100")
    if spec.type == "pct":
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
    return None


def _example_sheet(sheet: Worksheet, layout: Layout, columns: list[tuple[str, list[str]]]) -> None:
    """The headers, one filled example row, and what each column takes (required, type, allowed values)."""
    sheet.cell(row=1, column=1, value="填写示例（本页不被读取；请在第一个工作表中填写）").font = Font(bold=True)
    for c, (column, levels) in enumerate(columns, start=1):
        spec = layout.columns[column]
        _text(sheet, 2, c, "/".join(levels)).font = Font(bold=True)
        example = _example(spec)
        cell = sheet.cell(row=3, column=c, value=example)
        if isinstance(example, str):
            cell.data_type = "s"
        kind = _TYPES[spec.type][0]
        if spec.type == "code" and spec.codes:
            kind += "：" + "、".join(code_choices(spec.codes)[:12])
        _text(sheet, 4, c, ("必填；" if spec.required else "可空；") + kind)
        sheet.cell(row=4, column=c).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(c)].width = 18


def _example(spec: Column) -> object:
    if spec.type == "code" and spec.codes:
        return code_choices(spec.codes)[0]
    if spec.type == "county":
        return counties.name(counties.home()["county_code"].iloc[0])
    return _TYPES[spec.type][1]


def _text(sheet: Worksheet, row: int, column: int, value: object):  # -> openpyxl Cell
    """A cell holding text as text: never read as a formula (names come from users and the data)."""
    cell = sheet.cell(row=row, column=column, value=str(value))
    cell.data_type = "s"
    return cell
