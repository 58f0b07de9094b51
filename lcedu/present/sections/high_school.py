"""普通高中: upper-secondary enrolment, provincial first-class high schools, trusteeship and private schools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lcedu.present import briefing as bf
from lcedu.present import narrative as nv
from lcedu.present.briefing import (
    LABELS,
    Params,
    Section,
    bullets,
    sentence,
    styled,
)
from lcedu.present.narrative import fmt_value, indicator_name, is_missing, place_name
from lcedu.present.sections.common import TITLES, contribution_table, county_dots, year_table
from lcedu.present.words import word


def high_school_enrolment(p: Params) -> Section:
    """高中阶段毛入学率 year by year against 93.5 % / 94 % / 95 %, with the trend and county comparison."""
    lang = p.lang
    code = "senior_gross_enrollment_pct"
    lines = [sentence(p, code, year=y) for y in bf.available_years() if y <= p.year]
    fig = bf.trend_figure(p, [code], columns=1)
    return Section(TITLES[lang]["senior"], [bullets(lines), year_table(p, [code]), fig, county_dots(p, code)])


def high_school_quality(p: Params) -> Section:
    """省一级高完中 (and 一等), 托管帮扶 and 民办高中: the county's count and its prefecture's against the targets."""
    lang = p.lang
    prefecture = bf.page_prefecture(p)
    c = bf.card(p.baseline_year, p.plan)
    codes = (
        "provincial_first_class_high_school_count",
        "provincial_first_class_first_grade_high_school_count",
        "private_high_school_count",
    )
    contribution = contribution_table(p, codes)
    trustee = bf.result_rows("high_school_trusteeship", county=p.county, year=p.year)
    if len(trustee) and not is_missing(trustee["trusteeship_high_school_count"].iloc[0]):
        count = int(trustee["trusteeship_high_school_count"].iloc[0])
        trustee_line = word("sections.trustee_count", lang, name=p.name, year=nv.year_label(p.year, lang), n=count)
    else:
        reason = trustee["na_reason"].iloc[0] if len(trustee) else "missing ledger"
        trustee_line = word(
            "sections.trustee_missing",
            lang,
            name=p.name,
            year=nv.year_label(p.year, lang),
            why=nv.na_text(reason, lang),
        )
    lines = [
        sentence(p, "provincial_first_class_high_school_count"),
        sentence(p, "provincial_first_class_high_school_count", county=prefecture),
        trustee_line,
        sentence(p, "high_school_trusteeship_coverage_pct", county=prefecture),
        sentence(p, "private_high_school_count"),
    ]
    named = c[
        (c["indicator"] == "private_high_school_count")
        & (c["target_scope"] == "county")
        & (c["year"] == c["target_year"])
    ]
    for r in named.to_dict("records"):
        lines.append(nv.indicator_sentence(r, lang, with_change=False))
    table = _all_counties_table(
        p,
        [
            "provincial_first_class_high_school_count",
            "provincial_first_class_first_grade_high_school_count",
            "high_school_trusteeship_coverage_pct",
            "private_high_school_count",
        ],
    )
    return Section(TITLES[lang]["hs_quality"], [bullets(lines), contribution, table])


def _all_counties_table(p: Params, codes: Sequence[str]) -> Any:
    """The counties of the county's prefecture and its total (rows) on a few indicators (columns) for
    p.year; this county bold."""
    lang = p.lang
    c = bf.card(p.baseline_year, p.plan)
    rows = c[(c["year"] == p.year) & c["indicator"].isin(codes)]
    order = [*bf.peer_codes(p), bf.page_prefecture(p)]
    data: dict[str, list[str]] = {LABELS[lang]["county"]: [place_name(x, lang) for x in order]}
    for code in codes:
        r = rows[rows["indicator"] == code].set_index("county_code").reindex(order)
        data[indicator_name(code, lang)] = [fmt_value(v, nv.indicator_unit(code), lang) for v in r["value"]]
    table = pd.DataFrame(data)
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css.loc[[i for i, x in enumerate(order) if x == p.county], :] = "font-weight: 700; background-color: #eef3f8;"
    caption = word(
        "sections.by_county_caption", lang, title=TITLES[lang]["by_county"], year=nv.year_label(p.year, lang)
    )
    return styled(table, css=css, right=list(table.columns[1:]), caption=caption)
