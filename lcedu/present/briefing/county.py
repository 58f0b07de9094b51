"""The county briefing's blocks: overview, scorecard, trends, ranks and the largest gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lcedu.home import CITY_CODE
from lcedu.ingest.counties import prefecture_of
from lcedu.measure.evaluation import latest_due
from lcedu.measure.gaps import largest_target_gaps
from lcedu.measure.plan import in_region
from lcedu.present import charts
from lcedu.present import narrative as nv
from lcedu.present.briefing.assessments import assessment_gap_line, assessment_line
from lcedu.present.briefing.data import ASSESSMENTS, Params, card, county_card, judged, plan_of, presentation, sentence
from lcedu.present.briefing.display import (
    LABELS,
    SCOPE_WORDS,
    Section,
    bullets,
    indicator_table,
    styled,
    target_text,
)
from lcedu.present.briefing.places import (
    in_plan_region,
    no_targets_note,
    page_prefecture,
    peer_codes,
    peers_phrase,
    synthetic_note,
)
from lcedu.present.narrative import (
    indicator_name,
    is_missing,
    place_name,
)
from lcedu.present.words import word


def _targeted(p: Params, county: str | None = None) -> pd.DataFrame:
    """The county's rows with a target in force or ahead, excluding city-only counts."""
    rows = county_card(p, county=county)
    rows = rows[rows["target_year"].notna() & (rows["project"] != "")]
    return rows.reset_index(drop=True)


def briefing_overview(p: Params) -> Section:
    """Headline sentences (targets met, on track, the two assessments) and the locator map."""
    from lcedu.present import maps  # lazy: geopandas and shapely, only for the pages that draw maps

    lang = p.lang
    rows = _targeted(p)
    lead = target_count_sentence(p)
    best = rows[(rows["rank"] == 1)]
    best_names = [indicator_name(c, lang) for c in best["indicator"].head(4)]
    rank_line = ""
    if best_names:
        rank_line = word("briefing.best_rank", lang, peers=peers_phrase(p), names=nv.join(best_names, lang))
    lines = [lead, *(assessment_line(p, a) for a in ASSESSMENTS), rank_line]
    ax = maps.locator_map(p.county, lang=lang)
    return Section(word("briefing_titles.overview", lang), [bullets(lines), ax.figure])


def failed_targets(p: Params, county: str | None = None) -> list[str]:
    """Names of the own targets counted 未达标 (judged at their latest due year), in plan order."""
    points = judged(p.plan, p.baseline_year)["target_points"]
    mine = points[(points["county_code"] == (county or p.county)) & (points["as_of_year"] == p.year)]
    failed = latest_due(mine)
    failed = failed[failed["status"] == "not_met"].sort_values("entry")
    names = failed[f"name_{p.lang}"]
    return [
        word("briefing.failed_target", p.lang, name=n, year=int(y))
        for n, y in zip(names, failed["target_year"], strict=True)
    ]


def target_count_sentence(p: Params, county: str | None = None) -> str:
    """The stored ``target_counts`` (rule: :data:`lcedu.measure.scorecard.COUNTING_RULE`), said as a sentence.

    The site index, the workbooks and the evaluation documents state the same counts, from the same table.
    """
    code = county or p.county
    c = card(p.baseline_year, p.plan)
    rows = c[(c["county_code"] == code) & (c["year"] == p.year)]
    counts = judged(p.plan, p.baseline_year)["target_counts"]
    counts = counts[(counts["county_code"] == code) & (counts["year"] == p.year)]
    n = (
        counts.iloc[0].to_dict()
        if len(counts)
        else dict.fromkeys(
            ("targets", "met", "not_met", "not_due", "not_due_on_track", "no_data", "qualitative", "points")
            + ("points_met", "points_not_met", "points_not_due", "points_no_data", "points_qualitative"),
            0,
        )
    )
    references = int((rows["target_scope"] == "city_reference").sum())
    place, lang = place_name(code, p.lang), p.lang
    year = nv.year_label(p.year, lang)
    if not n["targets"] and not references and not in_region(code, plan_of(p.plan).region_code):
        note = no_targets_note(p, prefecture_of(code))  # never "对照本县目标0项" for a county of 昆明
        return word("briefing.count_none", lang, year=year, place=place, note=note)
    baseline = nv.year_label(p.baseline_year, lang)
    return _count_head(n, code, place, (year, baseline), lang) + _count_tail(p, n, failed_targets(p, code), references)


def _count_head(n: dict[str, Any], code: str, place: str, years: tuple[str, str], lang: str) -> str:
    """对照本县目标N项：达标…、未达标…、未到期… up to the counting rule; ``years``: (this year, baseline) as shown."""
    year, baseline = years
    head = word(
        "briefing.count_head_city" if code == CITY_CODE else "briefing.count_head_county",
        lang,
        year=year,
        place=place,
        targets=n["targets"],
        met=n["met"],
        not_met=n["not_met"],
        not_due=n["not_due"],
    )
    if n["not_due"]:
        head += word("briefing.count_on_track", lang, n=n["not_due_on_track"], baseline=baseline)
    if n["no_data"]:
        head += word("briefing.count_no_data", lang, n=n["no_data"])
    if n["qualitative"]:
        head += word("briefing.count_qualitative", lang, n=n["qualitative"])
    return head + word("briefing.count_rule", lang)


def _count_tail(p: Params, n: dict[str, Any], failed: list[str], references: int) -> str:
    """The count by assessment point (when it differs), the targets not met and the references left out."""
    lang, tail = p.lang, ""
    if n["points"] != n["targets"]:
        tail += word(
            "briefing.count_points",
            lang,
            points=n["points"],
            met=n["points_met"],
            not_met=n["points_not_met"],
            not_due=n["points_not_due"],
            no_data=n["points_no_data"],
            qualitative=word("briefing.count_points_qualitative", lang, n=n["points_qualitative"])
            if n["points_qualitative"]
            else "",
        )
    if failed:
        tail += word("briefing.count_failed", lang, names=nv.text("list_sep", lang).join(failed))
    if references:
        tail += word("briefing.count_references", lang, n=references)
    return tail


def briefing_scorecard(p: Params) -> Section:
    """Every plan indicator that applies to the county: value, target, met, on track, change, rank."""
    rows = _targeted(p)
    lang = p.lang
    pending = bool((rows["status"] == "not_due").any()) if len(rows) else False
    pending_words = (
        word("briefing.scorecard_pending", lang, year=p.year, baseline=nv.year_label(p.baseline_year, lang))
        if pending
        else ""
    )
    caption = word(
        "briefing.scorecard_caption", lang, name=p.name, year=nv.year_label(p.year, lang), pending=pending_words
    )
    if rows.empty and not in_plan_region(p):  # an empty table would say nothing; say why
        return Section(word("briefing_titles.scorecard", lang), [no_targets_note(p)])
    # 本县目标 (counted) first, then 全市目标(参照) (shown, never counted): two tables, never one mixed list.
    reference = (rows["target_scope"] == "city_reference").to_numpy(dtype=bool, na_value=False)
    items: list[Any] = []
    for part, scope in ((rows[~reference], "own"), (rows[reference], "city_reference")):
        if part.empty:
            continue
        head = (
            SCOPE_WORDS[lang]["city_reference"]
            if scope == "city_reference"
            else nv.text("city_target" if p.county == CITY_CODE else "county_target", lang)
        )
        items.append(
            indicator_table(
                p,
                part.reset_index(drop=True),
                with_project=True,
                caption=word("briefing.caption_join", lang, head=head, caption=caption),
            )
        )
    return Section(word("briefing_titles.scorecard", lang), items)


TREND_INDICATORS = (
    "preschool_gross_enrollment_pct",
    "inclusive_kindergarten_coverage_pct",
    "public_kindergarten_enrollment_share_pct",
    "disabled_children_enrollment_pct",
    "nine_year_retention_pct",
    "senior_gross_enrollment_pct",
    "rural_compulsory_teacher_bachelor_pct",
    "digital_classroom_coverage_pct",
    "safe_campus_rate_pct",
)


def trend_series(p: Params, indicators: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values of the counties of the page's prefecture and its total for the years up to p.year, the
    county's targets)."""
    c = card(p.baseline_year, p.plan)
    rows = c[c["indicator"].isin(indicators) & (c["year"] <= p.year)]
    series = rows.loc[
        rows["county_code"].isin([*peer_codes(p), page_prefecture(p)]),
        ["county_code", "year", "indicator", "value", "unit"],
    ]
    own = rows[(rows["county_code"] == p.county) & (rows["target_year"] == rows["year"])]
    targets = own[["indicator", "year", "target"]].astype({"target": float})
    return series, targets


def trend_figure(p: Params, indicators: Sequence[str], title: str | None = None, columns: int = 3) -> Any:
    """Small line charts of the indicators: the county, the city and the other counties, with targets."""
    series, targets = trend_series(p, indicators)
    return charts.trend_panels(
        series,
        indicators,
        highlight=p.county,
        total=page_prefecture(p),
        targets=targets,
        lang=p.lang,
        title=title,
        columns=columns,
        note=synthetic_note(p.lang),
    )


def briefing_trends(p: Params) -> Section:
    """Trend lines since the baseline for the key indicators, with one sentence each."""
    lang = p.lang
    lines = [sentence(p, code) for code in TREND_INDICATORS]
    title = word("briefing_titles.trends", lang, base=nv.year_label(p.baseline_year, lang))
    return Section(title, [trend_figure(p, TREND_INDICATORS), bullets(lines)])


def briefing_ranks(p: Params) -> Section:
    """The county's position among the counties of its prefecture on every targeted indicator with a
    direction (the scorecard's ``rank``, computed within the prefecture)."""
    c = card(p.baseline_year, p.plan)
    codes = [code for code in _targeted(p)["indicator"] if code not in ASSESSMENTS]
    rows = c[
        (c["year"] == p.year)
        & c["indicator"].isin(codes)
        & c["county_code"].isin(peer_codes(p))
        & c["direction"].isin(["higher", "lower"])
    ]
    rows = rows[rows.groupby("indicator")["value"].transform(lambda v: v.notna().sum() >= 2 and v.nunique() > 1)]
    lang = p.lang
    title = word("briefing_titles.ranks", lang, peers=peers_phrase(p))
    if rows.empty:  # a county outside the plan's region has no targets; one alone in its prefecture no peers
        return Section(
            title,
            [word("briefing.no_ranks", lang, name=p.name, peers=peers_phrase(p))],
        )
    fig = charts.rank_chart(rows, highlight=p.county, lang=lang, note=synthetic_note(lang))
    own = rows[rows["county_code"] == p.county]
    top = own[own["rank"] <= 2]
    bottom = own[own["rank"] >= own["rank_count"] - 1]
    names = nv.join([indicator_name(x, lang) for x in bottom["indicator"]], lang)
    line = word(
        "briefing.ranks_line",
        lang,
        name=p.name,
        top=len(top),
        bottom=len(bottom),
        names=word("briefing.ranks_bottom", lang, names=names) if len(bottom) else "",
    )
    return Section(title, [fig, line])


def closing_text(r: Mapping[str, Any], lang: str) -> str:
    """What closing one indicator's gap takes, in whole units where the formula allows.

    The amount is the scorecard's stored ``closing_numerator`` / ``closing_denominator`` (this year's
    whole units, :func:`lcedu.measure.gaps.amount_to_close`); ``closing`` in briefing.yml names what is
    counted and which part changes.
    """
    code = str(r["indicator"])
    unit = str(r.get("unit") or "")
    spec = presentation().get("closing", {}).get(code)
    comparison = str(r.get("comparison") or "")
    if comparison == "reach":
        name = indicator_name(code, lang)
        return word("briefing.reach", lang, name=name)
    gap_now = r.get("gap_now") if not is_missing(r.get("gap_now")) else r.get("gap")  # a past target: this year's
    if is_missing(gap_now) or float(gap_now) <= 0:
        return ""
    needed = r.get(f"closing_{spec['part']}") if spec else None
    if spec and not is_missing(needed) and float(needed) > 0:
        noun = spec[lang]
        return word("briefing.about_needed", lang, n=f"{int(needed):,}", noun=noun)
    gap = nv.fmt_gap(float(gap_now), unit, lang, _shown_decimals(r))
    return word("briefing.still_short", lang, gap=gap)


def _shown_decimals(r: Mapping[str, Any]) -> int | None:
    """The decimals the row's value is shown with beside its target, for its gap (None: the unit's)."""
    unit = str(r.get("unit") or "")
    if is_missing(r.get("value")):
        return None
    return nv.decimals_near(float(r["value"]), nv.row_thresholds(r), nv.DECIMALS.get(unit, 0))


def largest_gaps(p: Params, n: int = 5) -> pd.DataFrame:
    """The county's n unmet numeric targets with the largest gap relative to the target."""
    return largest_target_gaps(_targeted(p), n)


def briefing_gaps(p: Params, n: int = 5) -> Section:
    """The n largest gaps (relative to the target) with what it would take to close each."""
    lang = p.lang
    lab = LABELS[lang]
    gaps = largest_gaps(p, n)
    items: list[Any] = []
    if gaps.empty and not in_plan_region(p):  # no target at all, not "every target met"
        items.append(no_targets_note(p))
    elif gaps.empty:
        items.append(word("briefing.all_met", lang, name=p.name, year=nv.year_label(p.year, lang)))
    else:
        records = gaps.to_dict("records")
        table = pd.DataFrame(
            {
                lab["indicator"]: [indicator_name(r["indicator"], lang) for r in records],
                lab["value"]: [nv.fmt_row_value(r, lang) for r in records],
                lab["target"]: [target_text(r, lang) for r in records],
                lab["target_source"]: [SCOPE_WORDS[lang][str(r["target_scope"])] for r in records],
                lab["gap"]: [nv.fmt_gap(float(r["gap"]), str(r["unit"]), lang, _shown_decimals(r)) for r in records],
                lab["needed"]: [closing_text(r, lang) for r in records],
            }
        )
        first = records[0]
        shown = nv.fmt_row_value(first, lang)
        lead = word(
            "briefing.largest_gap",
            lang,
            name=indicator_name(first["indicator"], lang),
            value=shown,
            verdict=nv.verdict(first, lang),
            closing=closing_text(first, lang),
        )
        items.append(lead)
        items.append(styled(table, right=[lab["value"], lab["gap"]]))
    for assessment in ASSESSMENTS:
        items.append(assessment_gap_line(p, assessment))
    return Section(word("briefing_titles.gaps", lang), items)
