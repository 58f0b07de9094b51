"""A 规划测算 sheet for the workbooks, added by one call: ``add_planning_sheet(wb, county)``.

Kept apart from ``present/workbooks.py`` (whose body is being rewritten): the workbook writer calls it after its
own sheets, like ``projection_sheet.add_projection_sheet``. It lists, for the default scenario, the county's (or
the city's) places and pupils by 学段 and year with the band, staff need against supply, and the consolidation
screening with its caveats. Text from the data (school names) is written as strings, never as formulas.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from lcedu.measure.planning import STAGES
from lcedu.present import planning as page
from lcedu.present.narrative import place_name

SHEET = "规划测算"
PLACES_HEADER = ["学段", "年份", "在校生", "区间下限", "区间上限", "学位", "富余学位（负为不足）"]
TEACHERS_HEADER = ["学段", "口径", "年份", "需求", "供给（退休后）", "余缺（正为富余）"]
SCREEN_HEADER = [
    "学校标识码",
    "学校",
    "学段",
    "复核年份",
    "在校生",
    "区间下限",
    "区间上限",
    "最近同学段学校",
    "直线距离(km)",
    "路程(分钟)",
    "距离依据",
    "对方富余学位",
    "筛查（非结论）",
]


def add_planning_sheet(wb: Workbook, county: str, processed_dir: str | None = None, lang: str = "zh") -> None:
    """Append the 规划测算 sheet to ``wb`` (an openpyxl workbook) for ``county`` or the city (530900)."""
    v = page.view(str(county), lang, None, processed_dir)
    ws = wb.create_sheet(SHEET)
    ws.append([f"{place_name(v.county, lang)} 十五五规划测算（{v.scenario_name()}；区间来自回测误差；筛查不是结论）"])
    _block(ws, PLACES_HEADER, _places(v))
    _block(ws, TEACHERS_HEADER, _teachers(v))
    c = v.mine("planning_consolidation")
    rows = [
        [
            str(r.school_id),
            str(r.school_name),
            v.text("stage")[str(r.stage)],
            int(r.review_year),
            _n(r.student_count),
            _n(r.student_count_lower),
            _n(r.student_count_upper),
            "" if pd.isna(r.nearest_school_name) else str(r.nearest_school_name),
            _n(r.nearest_distance_km),
            _n(r.travel_minutes),
            str(r.distance_basis),
            _n(r.receiving_spare_places),
            str(r.screening),
        ]
        for r in c.itertuples()
    ]
    _block(ws, SCREEN_HEADER, rows, text_columns=(0, 1, 7, 10))
    ws.append([])
    for line in page.config()["consolidation"]["caveats"]:
        ws.append([line])


def _places(v: page.View) -> list[list]:
    p = v.mine("planning_places")
    p = p[p["level"] == "county"]
    g = p.groupby(["stage", "year", "band"], observed=True)[["student_count", "capacity"]].sum(min_count=1)
    wide = g["student_count"].unstack("band")
    cap = g["capacity"].xs("point", level="band")
    out = []
    for (stage, year), r in wide.iterrows():
        if stage not in STAGES:
            continue
        spare = cap.get((stage, year)) - r.get("point")
        out.append(
            [
                v.text("stage")[stage],
                int(year),
                _n(r.get("point")),
                _n(r.get("lower")),
                _n(r.get("upper")),
                _n(cap.get((stage, year))),
                _n(spare),
            ]
        )
    return out


def _teachers(v: page.View) -> list[list]:
    t = v.mine("planning_teachers")
    t = t[t["band"] == "point"]
    g = t.groupby(["stage", "staff_measure", "year"], observed=True)[["staff_needed", "staff_supply", "staff_gap"]]
    return [
        [v.text("stage")[str(s)], str(m), int(y), _n(r["staff_needed"]), _n(r["staff_supply"]), _n(r["staff_gap"])]
        for (s, m, y), r in g.sum().iterrows()
    ]


def _block(ws: object, header: list[str], rows: list[list], text_columns: tuple[int, ...] = ()) -> None:
    """A blank line, a bold header, then the rows; the text columns are forced to strings (never formulas)."""
    ws.append([])
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        for i in text_columns:
            ws[ws.max_row][i].data_type = "s"


def _n(value: object) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 1)
