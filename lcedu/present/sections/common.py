"""What the topic sections share: their titles, indicator lists, the county dot chart and the year-by-year table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lcedu.measure.gaps import city_target_contributions
from lcedu.measure.standards import RESOURCE_INDICATORS
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
from lcedu.present.words import table, word

#: Block titles of the topic sections, per language (words.yml `section_titles`).
TITLES: dict[str, dict[str, str]] = {lang: table("section_titles", lang) for lang in nv.LANGS}


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


RESOURCES = RESOURCE_INDICATORS


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
    title = word("sections.dots_title", p.lang, name=indicator_name(indicator, p.lang), year=nv.year_label(y, p.lang))
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
    frame = pd.DataFrame(
        {
            lab["indicator"]: [indicator_name(r["indicator"], lang) for r in records],
            lab["year"]: [nv.year_label(r["year"], lang, short=True) for r in records],
            lab["value"]: [nv.fmt_row_value(r, lang) for r in records],
            lab["target"]: [bf.target_text(r, lang) for r in records],
            lab["status"]: [bf.status_text(r["is_met"], lang) + bf.progress_text(r, lang) for r in records],
        }
    )
    flags = pd.DataFrame({lab["status"]: rows["is_met"].to_numpy()})
    return styled(frame, flags=flags, right=[lab["value"]])


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
            {
                "city_total": word("sections.area_total", lang, where=where),
                "county_share": word("sections.county_share_of", lang, where=where),
            }
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
                        lab["target"]: word("sections.target_city_scope", lang, target=bf.target_text(t, lang)),
                        lab["progress"]: nv.percent(t["city_progress"], lang, 0),
                        lab["status"]: bf.status_text(t["is_met"], lang),
                    }
                    if own
                    else {}
                ),
            }
        )
    frame = pd.DataFrame(rows)
    if not own:
        return styled(frame, right=list(frame.columns[1:]), caption=bf.no_targets_note(p))
    flags = pd.DataFrame({lab["status"]: contributions["is_met"].to_numpy()})
    return styled(frame, flags=flags, right=list(frame.columns[1:5]))


def pct_text(value: Any, lang: str) -> str:
    """12.3% (a value already in per cent), or — when missing."""
    return nv.text("na_short", lang) if is_missing(value) else f"{float(value):.1f}%"


def count_cell(v: Any, lang: str) -> str:
    return nv.text("na_short", lang) if is_missing(v) else f"{int(v)}"
