"""The city overview's blocks: summary, heat table, status maps, small multiples, share and city targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from lcedu.home import CITY_CODE
from lcedu.ingest.counties import home
from lcedu.measure import indicators as ind
from lcedu.measure.indicators import map_breaks
from lcedu.present import charts
from lcedu.present import narrative as nv
from lcedu.present.briefing.county import target_count_sentence, trend_series
from lcedu.present.briefing.data import (
    ASSESSMENTS,
    Params,
    available_years,
    base,
    card,
    check_city_view,
    plan_of,
    project_name,
    project_of,
    sentence,
)
from lcedu.present.briefing.display import (
    LABELS,
    Section,
    bullets,
    indicator_table,
    state_word,
    status_text,
    styled,
    target_text,
)
from lcedu.present.briefing.places import page_prefecture, synthetic_note
from lcedu.present.narrative import (
    fmt_target,
    fmt_value,
    indicator_name,
    is_missing,
    place_name,
)
from lcedu.present.words import word


def _share_row(p: Params, indicator: str, year: int) -> Mapping[str, Any]:
    c = card(p.baseline_year, p.plan)
    rows = c[(c["county_code"] == CITY_CODE) & (c["indicator"] == indicator) & (c["year"] == year)]
    return rows.iloc[0].to_dict() if len(rows) else {}


def city_summary(p: Params) -> Section:
    """Headline sentences for the city: assessment shares against 37.5 % and city targets met."""
    check_city_view(p)
    lang = p.lang
    lines = []
    for assessment in ASSESSMENTS:
        r = _share_row(p, f"{assessment}_county_share_pct", p.year)
        if r:
            lines.append(nv.indicator_sentence(r, lang))
    lines.append(target_count_sentence(p, CITY_CODE))
    if not p.is_city:
        lines.append(word("briefing.highlighted", lang, name=p.name))
    return Section(None, [bullets(lines)])


def heat_colour(pct: float) -> str:
    """CSS background for a relative position 0 (worst) … 1 (best) on ColorBrewer RdYlBu (colour-blind safe)."""
    if is_missing(pct):
        return ""
    rgb = np.asarray(mpl.colormaps["RdYlBu"](0.1 + 0.8 * float(pct))[:3])
    return f"background-color: {to_hex(0.55 * rgb + 0.45)};"  # lightened so black text stays readable


def city_heat_table(p: Params) -> Section:
    """Every county (and the city) against every county-level indicator in one coloured table.

    Each row is coloured by the counties' relative position (blue = better, red = worse,
    following the indicator's direction); ✓ / ✗ mark a target met / not met.
    """
    check_city_view(p)
    lang = p.lang
    lab = LABELS[lang]
    c = card(p.baseline_year, p.plan)
    reg = ind.load_registry()
    county_level = [code for code, i in reg.indicators.items() if i.level == "county"]
    position = project_of()
    order = sorted(county_level, key=lambda code: (position.get(code, (50, ""))[0], county_level.index(code)))
    rows = c[(c["year"] == p.year) & c["indicator"].isin(order)]
    counties = list(home()["county_code"])
    columns = [*counties, CITY_CODE]
    names = [place_name(code, lang) for code in columns]
    cells, css = [], []
    for code in order:
        r = rows[rows["indicator"] == code].set_index("county_code").reindex(columns)
        unit = reg.indicators[code].unit
        direction = reg.indicators[code].direction
        values = r["value"].astype(float)
        county_values = values[counties]
        sign = -1.0 if direction == "lower" else 1.0
        lo, hi = (
            np.nanmin(county_values * sign) if county_values.notna().any() else np.nan,
            np.nanmax(county_values * sign) if county_values.notna().any() else np.nan,
        )
        line, style = {}, {}
        for county, name in zip(columns, names, strict=True):
            v = r.at[county, "value"]
            shown = fmt_value(v, unit, lang, thresholds=nv.row_thresholds(r.loc[county]))
            flag = r.at[county, "is_met"]
            if not is_missing(flag) and not is_missing(v):
                shown += " ✓" if bool(flag) else " ✗"
            line[name] = shown
            if county == CITY_CODE or direction == "none" or is_missing(v) or not hi > lo:
                style[name] = "background-color: #f4f4f4;" if county == CITY_CODE else ""
            else:
                style[name] = heat_colour((float(v) * sign - lo) / (hi - lo))
        project = position.get(code, (50, "compulsory"))[1]
        first = not cells or cells[-1]["_project"] != project
        cells.append(
            {
                "_project": project,
                lab["project"]: project_name(project, lang) if first else "",
                lab["indicator"]: indicator_name(code, lang),
                **line,
            }
        )
        css.append({lab["project"]: "", lab["indicator"]: "", **style})
    table = pd.DataFrame(cells).drop(columns="_project")
    caption = word("briefing.heat_caption", lang)
    styler = styled(table, css=pd.DataFrame(css), right=names, caption=caption)
    return Section(word("briefing_titles.heat", lang, year=nv.year_label(p.year, lang)), [styler])


def _status_frame() -> pd.DataFrame:
    status = base().assessments[["county_code", "year", "assessment", "is_met", "state"]].copy()
    status["year"] = status["year"].astype(int)
    return status


def city_status_maps(p: Params) -> Section:
    """Status maps of counties meeting 优质均衡 / 普及普惠 for each year up to p.year, and the share chart."""
    check_city_view(p)
    from lcedu.present import maps  # lazy: geopandas and shapely, only for the pages that draw maps

    lang = p.lang
    status = _status_frame()
    synthetic = base().synthetic
    years = [y for y in available_years() if y <= p.year]
    items: list[Any] = []
    series, _ = trend_series(p, [f"{a}_county_share_pct" for a in ASSESSMENTS])
    c = card(p.baseline_year, p.plan)
    targets = c[
        (c["county_code"] == CITY_CODE)
        & c["indicator"].isin(series["indicator"])
        & (c["target_year"] == c["year"])
        & (c["year"] <= p.year)
    ][["indicator", "year", "target"]]
    items.append(
        charts.trend_panels(
            series,
            [f"{a}_county_share_pct" for a in ASSESSMENTS],
            highlight=CITY_CODE,
            targets=targets.astype({"target": float}),
            lang=lang,
            columns=2,
            others=False,
            note=synthetic_note(lang),
        )
    )
    for year in reversed(years):  # the chosen year first; every year drawn at the same size, so they compare
        figure = maps.status_map(
            status,
            year,
            lang=lang,
            synthetic=synthetic,
            target_shares=plan_of(p.plan).target_shares(),
            verdicts=maps.share_verdicts(year, p.plan),
            prefecture=page_prefecture(p),
        )
        items.append(figure)
    return Section(word("briefing_titles.status_maps", lang), items)


SMALL_MULTIPLES = ("preschool_gross_enrollment_pct", "senior_gross_enrollment_pct")


def city_small_multiples(p: Params, indicators: Sequence[str] = SMALL_MULTIPLES) -> Section:
    """Small-multiple maps (one panel per year, shared classes) of key indicators."""
    check_city_view(p)
    from lcedu.present import maps  # lazy: geopandas and shapely, only for the pages that draw maps

    lang = p.lang
    data = base().results
    years = [y for y in available_years() if y <= p.year]
    declared = map_breaks()
    items: list[Any] = []
    for code in indicators:
        unit = nv.indicator_unit(code)
        figure = maps.small_multiples(
            data,
            code,
            years,
            label=indicator_name(code, lang),
            unit=nv.unit_label(unit, lang) or unit,
            lang=lang,
            synthetic=base().synthetic,
            breaks=declared.get(code),
            prefecture=page_prefecture(p),
        )
        items.append(figure)
    return Section(word("briefing_titles.multiples", lang), items)


def city_share_targets(p: Params) -> Section:
    """The plan's 37.5 % targets: share of counties per year, and the named counties' status."""
    check_city_view(p)
    lang = p.lang
    status = _status_frame()
    targets = plan_of(p.plan).targets()
    share = nv.join(
        sorted(
            {
                fmt_target(t, "%", lang)
                for t in targets[targets["indicator"].isin([f"{a}_county_share_pct" for a in ASSESSMENTS])]["value"]
            }
        ),
        lang,
    )
    return Section(
        word("briefing_titles.share_targets", lang, share=share),
        [_share_table(p, status), _named_counties_table(p, status, targets)],
    )


def _share_table(p: Params, status: pd.DataFrame) -> Any:
    """Per assessment and year: the share of counties meeting it against the plan's target, and which."""
    lang = p.lang
    lab = LABELS[lang]
    years = [y for y in available_years() if y <= p.year]
    rows = []
    for assessment in ASSESSMENTS:
        for year in years:
            r = _share_row(p, f"{assessment}_county_share_pct", year)
            one = status[(status["assessment"] == assessment) & (status["year"] == year)]
            met_codes = one[one["state"] == "达标"]["county_code"]
            unassessed = one[one["state"] == "未评估"]["county_code"]
            rows.append(
                {
                    lab["assessment"]: indicator_name(assessment, lang),
                    lab["year"]: nv.year_label(year, lang, short=True),
                    lab["value"]: fmt_value(r.get("value"), "%", lang, thresholds=nv.row_thresholds(r)),
                    lab["target"]: target_text(r, lang),
                    lab["status"]: status_text(r.get("is_met"), lang),
                    lab["counties_met"]: nv.join([place_name(c, lang) for c in met_codes], lang)
                    or nv.text("na_short", lang),
                    lab["counties_unassessed"]: nv.join([place_name(c, lang) for c in unassessed], lang)
                    or nv.text("na_short", lang),
                    "_met": r.get("is_met"),
                }
            )
    table = pd.DataFrame(rows)
    flags = pd.DataFrame({lab["status"]: table.pop("_met")})
    return styled(table, flags=flags, right=[lab["value"]])


def _named_counties_table(p: Params, status: pd.DataFrame, targets: pd.DataFrame) -> Any:
    """The counties the plan names for an assessment, at the earlier of the page's year and the target year."""
    lang = p.lang
    lab = LABELS[lang]
    named = targets[targets["indicator"].isin(ASSESSMENTS) & (targets["scope"] == "counties")]
    named_rows = []
    for t in named.itertuples():
        for code in t.counties:
            s = status[
                (status["assessment"] == t.indicator)
                & (status["year"] == min(p.year, int(t.year)))
                & (status["county_code"] == code)
            ]
            flag = s["is_met"].iloc[0] if len(s) else pd.NA
            state = s["state"].iloc[0] if len(s) else pd.NA
            named_rows.append(
                {
                    lab["assessment"]: indicator_name(t.indicator, lang),
                    lab["named"]: place_name(code, lang),
                    lab["target"]: word("briefing.named_target", lang, year=int(t.year)),
                    lab["year"]: nv.year_label(min(p.year, int(t.year)), lang, short=True),
                    lab["status"]: state_word(state, lang),
                    "_met": flag,
                }
            )
    named_table = pd.DataFrame(named_rows)
    named_flags = pd.DataFrame({lab["status"]: named_table.pop("_met")})
    return styled(named_table, flags=named_flags, caption=word("briefing.named_caption", lang))


CITY_TREND_INDICATORS = (
    "party_demo_school_count",
    "physical_health_good_pct",
    "myopia_pct",
    "dianxi_student_count",
    "provincial_first_class_major_count",
    "quality_award_funding_wan_yuan",
    "vocational_special_funding_wan_yuan",
    "higher_vocational_student_count",
    "famous_teacher_count",
)


def city_targets(p: Params) -> Section:
    """Every city-level target of the year with value and status, plus the city trend charts.

    Covers 党建示范校, 育人 (体质健康, 近视 — no numeric target in the plan), 高等教育
    (滇西科技师范学院) and funding; targets with no data say so.
    """
    check_city_view(p)

    lang = p.lang
    c = card(p.baseline_year, p.plan)
    city = c[
        (c["county_code"] == CITY_CODE)
        & (c["year"] == p.year)
        & (c["target_year"].notna() | c["indicator"].isin(CITY_TREND_INDICATORS))
    ]
    table = indicator_table(p, city, with_project=True, with_rank=False)
    # Plan targets with no indicator in the data (e.g. 合格评估, 全市一张网): listed, not guessed.
    targets = plan_of(p.plan).targets()
    known = set(c["indicator"])
    missing = targets[(targets["scope"] == "city") & ~targets["indicator"].isin(known)]
    missing = missing.sort_values("year").drop_duplicates("indicator", keep="last")
    lines = [
        word("briefing.city_target_no_data", lang, name=getattr(t, f"name_{lang}"), clause=t.clause, year=int(t.year))
        for t in missing.itertuples()
    ]
    sentences = [
        sentence(p, code, county=CITY_CODE)
        for code in (
            "party_demo_school_count",
            "physical_health_good_pct",
            "myopia_pct",
            "dianxi_student_count",
            "quality_award_funding_wan_yuan",
            "vocational_special_funding_wan_yuan",
        )
    ]
    series, _ = trend_series(p, CITY_TREND_INDICATORS)
    targets_city = c[
        (c["county_code"] == CITY_CODE)
        & c["indicator"].isin(CITY_TREND_INDICATORS)
        & (c["target_year"] == c["year"])
        & (c["year"] <= p.year)
    ][["indicator", "year", "target"]]
    fig = charts.trend_panels(
        series,
        CITY_TREND_INDICATORS,
        highlight=CITY_CODE,
        targets=targets_city.astype({"target": float}),
        lang=lang,
        others=False,
        note=synthetic_note(lang),
    )
    head = word("briefing.city_targets_no_data_head", lang)
    return Section(
        word("briefing_titles.city_targets", lang, year=nv.year_label(p.year, lang)),
        [bullets(sentences), table, fig, head + "\n\n" + bullets(lines) if lines else None],
    )
