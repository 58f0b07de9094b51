"""A 学龄人口预测 sheet for the workbooks, added by one call: ``add_projection_sheet(wb, county)``.

Kept apart from ``present/workbooks.py`` (whose body is being rewritten): the workbook writer calls it
after its own sheets. It lists the stored projections of a county (or the city, 530900): per scenario, 学段 and
year the projected pupils with their band, then the county's schools for the default method. Text from the data
(school names) is written as strings, never as formulas.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from lcedu.home import CITY_CODE
from lcedu.ingest import store
from lcedu.measure.projections import scenarios, stored_projections
from lcedu.present.narrative import place_name, year_label
from lcedu.present.words import table

SHEET = "学龄人口预测"
HEADER = ["县(区)", "方案", "学段", "年份", "推算值", "区间下限", "区间上限", "方法"]
SCHOOL_HEADER = ["学校标识码", "学校", "学段", "规模档", "年份", "推算值", "区间下限", "区间上限"]


def projection_rows(county: str, processed_dir: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The county (or city) rows and the school rows the sheet shows, default method, every scenario."""
    p = stored_projections(processed_dir)["projections"]
    p = p[p["is_default_method"] & p["grade"].isna()]
    codes = p["county_code"].astype(str)
    mine = p[codes == county] if county != CITY_CODE else p
    area = mine[mine["level"] == "county"]
    area = area.groupby(["scenario", "stage", "year", "band", "method"], observed=True)["student_count"].sum()
    area = area.unstack("band").reset_index()
    schools = mine[(mine["level"] == "school") & (mine["scenario"] == scenarios()["default"])]
    schools = schools.pivot_table(
        index=["school_id", "stage", "size_band", "year"], columns="band", values="student_count", observed=True
    ).reset_index()
    return area, (schools if county != CITY_CODE else schools.iloc[:0])


def add_projection_sheet(wb: Workbook, county: str, processed_dir: str | None = None, lang: str = "zh") -> None:
    """Append the 学龄人口预测 sheet to ``wb`` (an openpyxl workbook) for ``county`` or the city."""
    county = str(county)
    area, schools = projection_rows(county, processed_dir)
    names = table("projections_stages", lang)
    method_names = table("projections_methods", lang)
    spec = scenarios()["scenarios"]
    ws = wb.create_sheet(SHEET)
    launch = int(stored_projections(processed_dir)["projections"]["launch_year"].max())
    ws.append([f"{place_name(county, lang)} 学龄人口与在校生预测（起点 {year_label(launch, lang)}；区间来自回测误差）"])
    ws.append(HEADER)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in area.itertuples(index=False):
        row = r._asdict()
        ws.append(
            [
                place_name(county, lang),
                spec[str(row["scenario"])]["label_zh"],
                names[str(row["stage"])],
                int(row["year"]),
                round(float(row["point"]), 1),
                _number(row.get("lower")),
                _number(row.get("upper")),
                method_names[str(row["method"])],
            ]
        )
    if schools.empty:
        return
    try:
        school_names = store.load("schools", processed_dir)
        school_names = school_names[school_names["year"] == launch].set_index("school_id")["school_name"]
    except store.MissingTableError:  # a build without the schools table: ids only, the name cells left empty
        school_names = pd.Series(dtype=object)
    ws.append([])
    ws.append(SCHOOL_HEADER)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in schools.itertuples(index=False):
        row = r._asdict()
        sid = str(row["school_id"])
        ws.append(
            [
                sid,
                str(school_names.get(sid, "")),
                names[str(row["stage"])],
                str(row["size_band"]),
                int(row["year"]),
                round(float(row["point"]), 1),
                _number(row.get("lower")),
                _number(row.get("upper")),
            ]
        )
        for cell in ws[ws.max_row][:2]:
            cell.data_type = "s"  # a school id or name starting with '=' stays text


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 1)
