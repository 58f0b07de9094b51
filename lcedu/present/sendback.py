"""The send-back workbook: each suspicious value a school should confirm or correct, one sheet per 乡镇.

What the county statistician mails to the townships after the autumn review: school, field, the value
reported, the range expected, the rule that flagged it, and an empty column for the school's answer.
Every cell is written as text (a value from the data never becomes a formula), Chinese first. The
workbook lists findings; it is not an error report, and its first sheet says so.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill

from lcedu.present import narrative as nv
from lcedu.present import quality as pq
from lcedu.present.words import table, word

HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
ANSWER_FILL = PatternFill("solid", fgColor="FFF7D6")
#: Characters Excel refuses in a sheet title.
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def text_cell(cell: Cell, value: object) -> None:
    """Store a value as text: never a formula, whatever it starts with."""
    cell.value = "" if nv.is_missing(value) else str(value)
    cell.data_type = "s"


def sheet_title(name: str, taken: set[str]) -> str:
    r"""A township's name as a valid, unique sheet title (≤ 31 characters, no []:*?/\\)."""
    base = _BAD_TITLE.sub("_", str(name) or "未填乡镇").strip("'")[:28] or "未填乡镇"
    title, n = base, 2
    while title in taken:
        title, n = f"{base}_{n}"[:31], n + 1
    taken.add(title)
    return title


def sendback_rows(findings: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The findings as the send-back columns (text), ranked within each township."""
    names = pq.check_names(lang)
    rows = []
    for r in findings.sort_values(["township", "score"], ascending=[True, False], na_position="last").to_dict(
        "records"
    ):
        rows.append(
            {
                "township": r["township"] if not nv.is_missing(r["township"]) else "",
                "values": [
                    r["school_id"],
                    r["school_name"],
                    "" if nv.is_missing(r["stage"]) else nv.stage_name(str(r["stage"]), lang),
                    pq.field_label(r["field"], lang),
                    "" if nv.is_missing(r["value"]) else f"{float(r['value']):g}",
                    r["expected"],
                    names.get(r["check"], r["check"]),
                    pq.importance_label(r["importance"], lang),
                    r["detail"],
                    "",
                ],
            }
        )
    return pd.DataFrame(rows, columns=["township", "values"])


def write_sendback(findings: pd.DataFrame, county: str, year: int, path: str | Path, lang: str = "zh") -> Path:
    """One workbook for one county and year: a cover sheet, then one sheet per 乡镇 (written atomically)."""
    path = Path(path)
    chosen = findings[(findings["county_code"] == county).to_numpy(bool) & (findings["year"] == year).to_numpy(bool)]
    wb = Workbook()
    cover = wb.active
    cover.title = word("sendback.cover", lang)
    for i, line in enumerate(pq.cover_lines(county, year, chosen, lang), start=1):
        text_cell(cover.cell(row=i, column=1), line)
    cover.column_dimensions["A"].width = 110
    rows = sendback_rows(chosen, lang)
    taken = {cover.title}
    for township, group in rows.groupby("township", sort=True):
        ws = wb.create_sheet(sheet_title(township, taken))
        for j, head in enumerate(table("sendback_columns", lang).values(), start=1):
            cell = ws.cell(row=1, column=j)
            text_cell(cell, head)
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
        for i, values in enumerate(group["values"], start=2):
            for j, value in enumerate(values, start=1):
                text_cell(ws.cell(row=i, column=j), value)
            ws.cell(row=i, column=len(values)).fill = ANSWER_FILL
        for j, width in enumerate((13, 24, 8, 22, 10, 14, 36, 8, 48, 30), start=1):
            ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_sendbacks(
    findings: pd.DataFrame, year: int, out_dir: str | Path, counties: list[str] | None = None, lang: str = "zh"
) -> list[Path]:
    """A send-back workbook per county with findings that year: ``<out>/<county>/数据核查清单_<county>_<year>.xlsx``."""
    out_dir = Path(out_dir)
    codes = counties or sorted(findings.loc[findings["year"] == year, "county_code"].dropna().unique())
    stem = word("sendback.file_stem", lang)
    return [write_sendback(findings, c, year, out_dir / c / f"{stem}_{c}_{year}.xlsx", lang) for c in codes]
