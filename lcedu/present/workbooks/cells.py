"""The workbooks' shared cell writing and print setup: formats by unit, text kept text, fitted widths, A4."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lcedu.measure import scorecard
from lcedu.present.narrative import COUNT_UNITS, decimals_near, year_label
from lcedu.present.words import table, word

#: Printed on every workbook built from the synthetic sample.
SAMPLE_NOTICE = word("text.sample")
YES, NO = word("text.yes"), word("text.no")
MET, NOT_MET = word("text.met"), word("text.not_met")

MET_FILL = PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")
NOT_MET_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
HEADER_FONT = Font(bold=True)
FORMATS = {
    "int": "#,##0",
    "float1": "#,##0.0",
    "float2": "#,##0.00",
    "pct": "0.0",
    "year": "0",
    "cv": "0.000",
    "text": "@",
}
# The workbooks are in Chinese; their words are sections of words.yml (workbooks_*, stages, assessments).
COMPARISON_ZH = table("workbooks_comparisons", "zh")
# The balance sheets cover 小学 and 初中 only: other stages stay blank there.
STAGE_ZH = {k: v for k, v in table("stages", "zh").items() if k in ("primary", "junior")}
SCHOOL_TYPE_ZH = table("school_types", "zh")
ASSESSMENT_ZH = table("assessments", "zh")
SOURCE_ZH = table("workbooks_sources", "zh")
UNIT_ZH = table("workbooks_units", "zh")
# Whole numbers in a cell: the count units of the pages, and yes/no (1/0) values.
_COUNT_UNITS = COUNT_UNITS | {"yes/no"}


@dataclass(frozen=True)
class Column:
    """One output column: source column, Chinese header, number format (or a per-row unit column)."""

    source: str
    header: str
    # int | float1 | float2 | pct | cv | text | unit (format by the row's unit) | met (达标/未达标) | yesno
    # | school_year (a data year as its 学年初: 2025 → "2025/26")
    # | status (a scorecard status) | state (达标/未达标/未评估 as stored) | year (a plain 2025, never 2,025)
    # | amount (whole number where the row's ``unit_column`` flag says the resource is counted: teachers, rooms)
    kind: str = "text"
    unit_column: str = "unit"
    #: Columns of the row holding the target(s) this value is shown beside (more decimals near them).
    thresholds: tuple[str, ...] = ()
    #: False for code and note columns: kept in the file, moved to the right and left out of the print area.
    printed: bool = True


def unit_format(unit: str | None) -> str:
    """The number format of a value in ``unit``: rates to 0.1, counts whole, ratios to 0.01."""
    if unit in ("%",):
        return FORMATS["pct"]
    if unit == "CV":
        return FORMATS["cv"]
    if unit in _COUNT_UNITS or unit == "万元":
        return FORMATS["int"] if unit != "万元" else FORMATS["float1"]
    return FORMATS["float2"]


def near_format(number_format: str, value: Any, thresholds: Sequence[Any]) -> str:
    """The number format with the decimals :func:`lcedu.present.narrative.decimals_near` asks for.

    A rate of 94.96 beside a 95 target shows 94.96, not 95.0, as the pages show it.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not thresholds:
        return number_format
    base = len(number_format.split(".")[1]) if "." in number_format else 0
    decimals = decimals_near(float(value), thresholds, base)
    if decimals == base:
        return number_format
    return number_format.split(".")[0] + "." + "0" * decimals


def display_width(text: str) -> int:
    """Printed width in Excel character units: a CJK character counts two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def cell_value(value: Any) -> Any:
    """A value openpyxl can store: NA and NaN as an empty cell, numpy scalars as Python numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write one cell; text is always stored as text, never as a formula (data is untrusted:
    a school named ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` must stay a name)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


STATUS_ZH = {k: v[0] for k, v in scorecard.STATUS_LABELS.items()} | {"not_assessed": word("text.not_assessed")}


def met_text(value: Any) -> str:
    """达标 / 未达标 for a stored is_met, empty when it is missing."""
    if value is None or value is pd.NA:
        return ""
    return MET if bool(value) else NOT_MET


#: Printed widths (Excel character units) that fit A4 landscape at a legible scale (about 70 % or more).
A4_LEGIBLE_WIDTH = 190


def write_table(
    ws: Worksheet, frame: pd.DataFrame, columns: Sequence[Column], start_row: int = 1, label_columns: int = 1
) -> None:
    """A header row and the rows of ``frame``; met columns as 达标/未达标 with fills, widths fitted, A4 print set."""
    columns = [c for c in columns if c.printed] + [c for c in columns if not c.printed]
    widths = [display_width(c.header) for c in columns]
    for j, col in enumerate(columns, start=1):
        cell = put(ws, start_row, j, col.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)
    records = frame.to_dict("records")
    for i, record in enumerate(records, start=start_row + 1):
        for j, col in enumerate(columns, start=1):
            shown = _write_cell(ws, i, j, col, record)
            widths[j - 1] = max(widths[j - 1], display_width(shown))
    widths = [min(max(width + 2, 6), 60) for width in widths]
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = ws.cell(row=start_row + 1, column=label_columns + 1)
    printed = sum(c.printed for c in columns)
    a4_print(ws, sum(widths[:printed]), label_columns)
    last_row = start_row + len(records)
    ws.print_area = f"A1:{get_column_letter(printed)}{last_row}"
    ws.print_title_rows = f"{start_row}:{start_row}"
    if records:
        ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(columns))}{last_row}"


def _cell_words(col: Column, raw: Any) -> str:
    """The words a word column shows: 2025/26, 是/否, 达标/未达标, a scorecard status or a stored state."""
    if col.kind == "school_year":
        return "" if cell_value(raw) is None else year_label(raw, short=True)
    if col.kind == "met":
        return met_text(raw)
    if raw is None or raw is pd.NA:
        return ""
    if col.kind == "yesno":
        return YES if bool(raw) else NO
    return str(raw) if col.kind == "state" else STATUS_ZH.get(str(raw), "")


def _write_cell(ws: Worksheet, row: int, column: int, col: Column, record: dict[str, Any]) -> str:
    """One cell of a record, formatted by its column's kind; returns the text it shows (for the width)."""
    raw = record.get(col.source)
    if col.kind in ("school_year", "yesno", "met", "status", "state"):
        text = _cell_words(col, raw)
        cell = put(ws, row, column, text or None)
        if col.kind in ("met", "status", "state") and text in (MET, NOT_MET):
            cell.fill = MET_FILL if text == MET else NOT_MET_FILL
        return text
    value = cell_value(raw)
    cell = put(ws, row, column, value)
    if col.kind == "unit":
        cell.number_format = unit_format(cell_value(record.get(col.unit_column)))
    elif col.kind == "amount":
        whole = bool(cell_value(record.get(col.unit_column)))
        cell.number_format = FORMATS["int" if whole else "float2"]
    elif col.kind != "text":
        cell.number_format = FORMATS[col.kind]
    if col.thresholds and col.kind != "text":
        cell.number_format = near_format(cell.number_format, value, [record.get(t) for t in col.thresholds])
    return f"{value:,.2f}" if isinstance(value, float) else ("" if value is None else str(value))


def a4_print(ws: Worksheet, printed_width: float, label_columns: int = 1) -> None:
    """A4 landscape; one page wide only where the columns stay legible, else across pages with the labels
    repeated on each."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    fits = printed_width <= A4_LEGIBLE_WIDTH
    ws.sheet_properties.pageSetUpPr.fitToPage = fits
    if fits:
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    else:
        ws.print_title_cols = f"A:{get_column_letter(label_columns)}"


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def save_atomically(wb: Workbook, path: str | Path) -> Path:
    """Save beside ``path`` and rename over it: readers see the old file or the whole new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".xlsx.partial", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def whole_numbers(ws: Worksheet) -> None:
    """Pupils, places and teachers as whole numbers, years as 2025, distances to 0.1 km, in a sheet of stacked
    tables (each under a bold header row)."""
    header: list[Any] = []
    for row in ws.iter_rows():
        if row[0].font is not None and row[0].font.bold:
            header = [c.value for c in row]
            continue
        for cell in row:
            if not isinstance(cell.value, (int, float)) or isinstance(cell.value, bool):
                continue
            name = str(header[cell.column - 1]) if cell.column <= len(header) else ""
            cell.number_format = "0" if "年份" in name else ("0.0" if "km" in name else FORMATS["int"])


def new_workbook() -> Workbook:
    """A workbook without its default sheet: every sheet is added by name."""
    wb = Workbook()
    wb.remove(wb.active)
    return wb
