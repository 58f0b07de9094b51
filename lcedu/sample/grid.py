"""The sheet grid every sample writer fills, and the two file writers: an .xlsx workbook and a GB18030 CSV.

Shared by the county tables (:mod:`lcedu.sample.messy`) and the 过录表 rosters (:mod:`lcedu.sample.rosters`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import xlsxwriter

SYNTHETIC_NOTE = (
    "注：本表为 lcedu 合成样例数据（依据第七次人口普查分县数据和临沧市“十四五”教育体育事业发展规划校准），"
    "不是官方统计数据。Synthetic sample calibrated to published figures; not official statistics."
)


@dataclass
class Grid:
    """A sheet as rows of cells, with merged ranges (first row, first column, last row, last column, text)."""

    rows: list[list[object]]
    merges: list[tuple[int, int, int, int, str]]


def write_xlsx(path: Path, sheets: dict[str, Grid], year: int) -> None:
    """Sheets into one workbook, merged ranges merged, text written as text (never a formula)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties(
        {
            "title": path.stem,
            "author": "lcedu sample",
            "comments": "合成样例数据，非官方统计 / synthetic sample, not official statistics",
            "created": datetime(year, 9, 30),
        }
    )
    merged = wb.add_format({"align": "center", "valign": "vcenter", "text_wrap": True})
    for name, grid in sheets.items():
        ws = wb.add_worksheet(name)
        covered = set()
        for r1, c1, r2, c2, text in grid.merges:
            if (r1, c1) != (r2, c2):
                ws.merge_range(r1, c1, r2, c2, text, merged)
                covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(grid.rows):
            for c, value in enumerate(row):
                if (r, c) in covered or value == "":
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write_number(r, c, value)
    wb.close()


def write_csv(path: Path, grid: Grid) -> None:
    """One sheet as a GB18030 CSV, the encoding of the statistics system's CSV exports."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([[("" if v is None else str(v)) for v in row] for row in grid.rows])
