"""现代职业教育: vocational education of the county and of the city."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import standards as std
from lcedu.present import briefing as bf
from lcedu.present import charts
from lcedu.present.briefing import (
    LABELS,
    Params,
    Section,
    bullets,
    sentence,
    styled,
    synthetic_note,
)
from lcedu.present.narrative import fmt_value, is_missing
from lcedu.present.sections.common import TITLES, pct_text
from lcedu.present.words import word


def vocational_county(p: Params) -> Section:
    """双师型 share and the vocational schools of the county (the only county-level vocational data)."""
    lang = p.lang
    lab = LABELS[lang]
    schools = bf.result_rows("vocational_schools", county=p.county, year=p.year)
    lines = [sentence(p, "dual_qualified_teacher_pct"), sentence(p, "vocational_school_built")]
    items: list[Any] = [bullets(lines)]
    target = bf.row(p, "dual_qualified_teacher_pct")
    if len(schools):
        records = schools.to_dict("records")
        share_col = word("sections.voc_share", lang)
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["students"]: [fmt_value(r["student_count"], "students", lang, with_unit=False) for r in records],
                word("sections.voc_full_time", lang): [
                    fmt_value(r["full_time_teacher_count"], "people", lang, with_unit=False) for r in records
                ],
                word("sections.voc_subject", lang): [
                    fmt_value(r["vocational_subject_teacher_count"], "people", lang, with_unit=False) for r in records
                ],
                word("sections.voc_dual", lang): [
                    fmt_value(r["dual_qualified_teacher_count"], "people", lang, with_unit=False) for r in records
                ],
                share_col: [pct_text(r["dual_qualified_pct"], lang) for r in records],
            }
        )
        met = std.meets(
            schools["dual_qualified_pct"].to_numpy(dtype=float, na_value=np.nan),
            np.nan if is_missing(target.get("target")) else float(target["target"]),
            target.get("comparison"),
            not is_missing(target.get("strict")) and bool(target["strict"]),
        )
        flags = pd.DataFrame({share_col: pd.array(met, dtype="Float64").astype("boolean")})
        items.append(styled(table, flags=flags, right=list(table.columns[1:])))
    items.append(bf.trend_figure(p, ["dual_qualified_teacher_pct"], columns=1))
    return Section(TITLES[lang]["voc_county"], items)


VOCATIONAL_CITY = (
    "vocational_employment_rate_pct",
    "vocational_school_compliance_pct",
    "higher_vocational_student_count",
    "city_industry_education_consortium_count",
    "industry_education_community_count",
    "provincial_quality_vocational_school_new_count",
    "quality_vocational_major_new_count",
    "dual_qualified_teacher_pct",
)


def vocational_city(p: Params) -> Section:
    """就业率, 办学条件达标, 高职规模 and 产教融合: only city-level data exists, and the section says so.

    The city is the county's own prefecture; outside the plan's region (a county of 昆明) the section says
    the plan's targets are 临沧's, and draws none of them."""
    lang = p.lang
    prefecture = bf.page_prefecture(p)
    own = bf.in_plan_region(p)
    title, intro = (
        TITLES[lang]["voc_city"],
        word("sections.voc_city_intro", lang),
    )
    if not own:
        where = bf.prefecture_word(p)
        title = word("sections.voc_area_title", lang, where=where)
        intro = word("sections.voc_area_intro", lang, where=where, note=bf.no_targets_note(p))
    lines = [sentence(p, code, county=prefecture) for code in VOCATIONAL_CITY[:5]]
    rows = bf.county_card(p, VOCATIONAL_CITY, county=prefecture)
    table = bf.indicator_table(p, rows, with_rank=False)
    series, _ = bf.trend_series(p, VOCATIONAL_CITY[:4])
    c = bf.card(p.baseline_year, p.plan)
    targets = c[
        (c["county_code"] == prefecture)
        & c["indicator"].isin(VOCATIONAL_CITY[:4])
        & (c["target_year"] == c["year"])
        & (c["year"] <= p.year)
    ][["indicator", "year", "target"]]
    fig = charts.trend_panels(
        series,
        VOCATIONAL_CITY[:4],
        highlight=prefecture,
        targets=targets.astype({"target": float}),
        lang=lang,
        columns=4,
        others=False,
        note=synthetic_note(lang),
    )
    return Section(title, [intro, bullets(lines), table, fig])
