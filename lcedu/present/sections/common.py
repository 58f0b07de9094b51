"""What the topic sections share: their titles, indicator lists, the county dot chart and the year-by-year table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lcedu.measure.gaps import city_target_contributions
from lcedu.present import briefing as bf
from lcedu.present import charts
from lcedu.present import narrative as nv
from lcedu.present.briefing import (
    LABELS,
    Params,
    styled,
    synthetic_note,
)
from lcedu.present.narrative import fmt_value, indicator_name, is_missing, place_name

TITLES: dict[str, dict[str, str]] = {
    "zh": {
        "preschool": "学前教育普及普惠",
        "assessment": "普及普惠督导评估（量化指标）",
        "special": "特殊教育",
        "compulsory": "义务教育优质均衡概况",
        "schools": "每所学校的7项资源配置指标",
        "failing": "未达标学校及差距",
        "cv": "校际差异系数",
        "size": "大规模学校与大班额",
        "estimates": "达标所需资源估算",
        "senior": "高中阶段毛入学率",
        "hs_quality": "省一级高完中、托管帮扶与民办高中",
        "voc_county": "本县职业教育",
        "voc_city": "全市职业教育（全市层面数据）",
        "qualifications": "专任教师学历结构",
        "famous": "“四名工程”",
        "staffing": "生师比与编制标准",
        "shortage": "紧缺学科教师",
        "digital": "教育数字化",
        "safety": "平安校园",
        "years": "历年对照",
        "by_county": "各县(区)对比",
    },
    "en": {
        "preschool": "Universal and affordable preschool",
        "assessment": "Preschool assessment (quantified criteria)",
        "special": "Special education",
        "compulsory": "Balanced compulsory education: overview",
        "schools": "The 7 resource indicators of every school",
        "failing": "Schools below the standard, and by how much",
        "cv": "Inter-school coefficients of variation",
        "size": "Large schools and large classes",
        "estimates": "Resources needed to close the gaps",
        "senior": "Upper-secondary gross enrolment",
        "hs_quality": "Provincial first-class high schools, trusteeship and private high schools",
        "voc_county": "Vocational education in the county",
        "voc_city": "Vocational education (city-level data)",
        "qualifications": "Qualifications of full-time teachers",
        "famous": "The “four famous” programme",
        "staffing": "Student–teacher ratios and staffing norms",
        "shortage": "Shortage subjects",
        "digital": "Digital education",
        "safety": "Safe campuses",
        "years": "Year by year",
        "by_county": "By county",
    },
}


PRESCHOOL_RATES = (
    "preschool_gross_enrollment_pct",
    "inclusive_kindergarten_coverage_pct",
    "public_kindergarten_enrollment_share_pct",
    "village_kindergarten_coverage_pct",
    "township_public_kindergarten_coverage_pct",
    "county_demo_kindergarten_coverage_pct",
)


PRESCHOOL_QUALITY = (
    "children_per_kindergarten_teacher",
    "kindergarten_class_size_compliance_pct",
    "kindergarten_certified_teacher_pct",
    "children_per_care_staff",
)


RESOURCES = (
    "qualified_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
    "teaching_room_area_per_student_m2",
    "sports_area_per_student_m2",
    "equipment_value_per_student_yuan",
    "multimedia_classrooms_per_100",
)


RESOURCE_UNITS = {
    "qualified_teachers_per_100": "teachers per 100 students",
    "backbone_teachers_per_100": "teachers per 100 students",
    "pe_arts_teachers_per_100": "teachers per 100 students",
    "teaching_room_area_per_student_m2": "m² per student",
    "sports_area_per_student_m2": "m² per student",
    "equipment_value_per_student_yuan": "yuan per student",
    "multimedia_classrooms_per_100": "classrooms per 100 students",
}


def county_dots(p: Params, indicator: str, year: int | None = None) -> Any:
    """Dots of the counties of the county's prefecture (and its total) for one indicator and year, with the
    county's target."""
    c = bf.card(p.baseline_year, p.plan)
    y = year or p.year
    shown = [*bf.peer_codes(p), bf.page_prefecture(p)]
    rows = c[(c["indicator"] == indicator) & (c["year"] == y) & c["county_code"].isin(shown)].set_index("county_code")
    own = rows.loc[p.county] if p.county in rows.index else None
    target = None
    label = None
    if own is not None and not is_missing(own["target"]):
        target = float(own["target"])
        label = bf.target_text(own.to_dict(), p.lang)
    unit = nv.indicator_unit(indicator)
    direction = str(rows["direction"].iloc[0]) if len(rows) else "higher"
    title = (
        f"{indicator_name(indicator, p.lang)}（{nv.year_label(y)}）"
        if p.lang == "zh"
        else f"{indicator_name(indicator, p.lang)} ({nv.year_label(y, p.lang)})"
    )
    return charts.county_dots(
        rows["value"].astype(float),
        highlight=p.county,
        unit=unit,
        target=target,
        target_label=label,
        lang=p.lang,
        title=title,
        direction=direction,
        note=synthetic_note(p.lang),
    )


def year_table(p: Params, indicators: Sequence[str], county: str | None = None) -> Any:
    """Each indicator year by year up to p.year with that year's target and status."""
    lang = p.lang
    lab = LABELS[lang]
    c = bf.card(p.baseline_year, p.plan)
    code = county or p.county
    rows = c[(c["county_code"] == code) & c["indicator"].isin(indicators) & (c["year"] <= p.year)]
    rows = rows.assign(_o=rows["indicator"].map({k: i for i, k in enumerate(indicators)})).sort_values(["_o", "year"])
    records = rows.to_dict("records")
    table = pd.DataFrame(
        {
            lab["indicator"]: [indicator_name(r["indicator"], lang) for r in records],
            lab["year"]: [nv.year_label(r["year"], lang, short=True) for r in records],
            lab["value"]: [nv.fmt_row_value(r, lang) for r in records],
            lab["target"]: [bf.target_text(r, lang) for r in records],
            lab["status"]: [bf.status_text(r["is_met"], lang) + bf.progress_text(r, lang) for r in records],
        }
    )
    flags = pd.DataFrame({lab["status"]: rows["is_met"].to_numpy()})
    return styled(table, flags=flags, right=[lab["value"]])


def contribution_table(p: Params, codes: Sequence[str]) -> Any:
    """County count, city total, city target and progress for indicators whose target is city-wide.

    Outside the plan's region the city is the county's own prefecture (昆明市合计, 本县占昆明市) and the
    target columns give way to a caption saying the plan's targets are 临沧's."""
    lang = p.lang
    lab = dict(LABELS[lang])
    contributions = city_target_contributions(bf.card(p.baseline_year, p.plan), p.county, p.year, codes)
    if contributions.empty:
        return None
    own = bf.in_plan_region(p)
    if not own:
        where = bf.prefecture_word(p)
        lab.update(
            {"city_total": f"{where}合计", "county_share": f"本县占{where}"}
            if lang == "zh"
            else {"city_total": f"{where} total", "county_share": f"County share of {where}"}
        )
    rows = []
    for t in contributions.to_dict("records"):
        unit = str(t["unit"])
        rows.append(
            {
                lab["indicator"]: indicator_name(t["indicator"], lang),
                place_name(p.county, lang): fmt_value(t["county_value"], unit, lang),
                lab["city_total"]: fmt_value(t["value"], unit, lang, thresholds=nv.row_thresholds(t)),
                lab["county_share"]: nv.percent(t["county_share"], lang),
                **(
                    {
                        lab["target"]: bf.target_text(t, lang)
                        + (f" {bf.SCOPE_WORDS[lang]['city']}" if lang == "zh" else ""),
                        lab["progress"]: nv.percent(t["city_progress"], lang, 0),
                        lab["status"]: bf.status_text(t["is_met"], lang),
                    }
                    if own
                    else {}
                ),
            }
        )
    table = pd.DataFrame(rows)
    if not own:
        return styled(table, right=list(table.columns[1:]), caption=bf.no_targets_note(p))
    flags = pd.DataFrame({lab["status"]: contributions["is_met"].to_numpy()})
    return styled(table, flags=flags, right=list(table.columns[1:5]))


def pct_text(value: Any, lang: str) -> str:
    """12.3% (a value already in per cent), or — when missing."""
    return nv.text("na_short", lang) if is_missing(value) else f"{float(value):.1f}%"


def count_cell(v: Any, lang: str) -> str:
    return nv.text("na_short", lang) if is_missing(v) else f"{int(v)}"
