"""The county briefing's blocks: overview, scorecard, trends, ranks and the largest gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lcedu.ingest.counties import prefecture_of
from lcedu.measure.evaluation import latest_due
from lcedu.measure.gaps import largest_target_gaps
from lcedu.measure.plan import in_region
from lcedu.paths import CITY_CODE
from lcedu.present import charts
from lcedu.present import narrative as nv
from lcedu.present.briefing.assessments import assessment_gap_line, assessment_line
from lcedu.present.briefing.data import ASSESSMENTS, Params, card, county_card, judged, plan_of, presentation, sentence
from lcedu.present.briefing.display import (
    LABELS,
    SCOPE_WORDS,
    TITLES,
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
        rank_line = (
            f"在{peers_phrase(p)}中排名第一的指标：{nv.join(best_names, lang)}。"
            if lang == "zh"
            else f"Best of {peers_phrase(p)} on: {nv.join(best_names, lang)}."
        )
    lines = [lead, *(assessment_line(p, a) for a in ASSESSMENTS), rank_line]
    ax = maps.locator_map(p.county, lang=lang)
    return Section(TITLES[lang]["overview"], [bullets(lines), ax.figure])


def failed_targets(p: Params, county: str | None = None) -> list[str]:
    """Names of the own targets counted 未达标 (judged at their latest due year), in plan order."""
    points = judged(p.plan, p.baseline_year)["target_points"]
    mine = points[(points["county_code"] == (county or p.county)) & (points["as_of_year"] == p.year)]
    failed = latest_due(mine)
    failed = failed[failed["status"] == "not_met"].sort_values("entry")
    names = failed["name_zh"] if p.lang == "zh" else failed["name_en"]
    return [
        f"{n}（{int(y)}年）" if p.lang == "zh" else f"{n} ({int(y)})"
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
    failed = failed_targets(p, code)
    place = place_name(code, p.lang)
    if not n["targets"] and not references and not in_region(code, plan_of(p.plan).region_code):
        note = no_targets_note(p, prefecture_of(code))  # never "对照本县目标0项" for a county of 昆明
        return (
            f"{nv.year_label(p.year)}，{place}没有本计划的目标。{note}"
            if p.lang == "zh"
            else f"At the {nv.year_label(p.year, 'en')}, {place} has no targets in this plan. {note}"
        )
    own = nv.text("city_target" if code == CITY_CODE else "county_target", p.lang)
    if p.lang == "zh":
        return (
            f"{nv.year_label(p.year)}，{place}对照{own}{n['targets']}项：达标{n['met']}项、未达标{n['not_met']}项、"
            f"未到期{n['not_due']}项"
            + (
                f"（按{nv.year_label(p.baseline_year)}以来的趋势可按期达标{n['not_due_on_track']}项）"
                if n["not_due"]
                else ""
            )
            + (f"、无数据{n['no_data']}项" if n["no_data"] else "")
            + (f"、定性目标{n['qualitative']}项（不评判）" if n["qualitative"] else "")
            + "（每项目标以截至本年最近一个已到期年份的数值认定）。"
            + (
                f"按评估点（目标×年份）计{n['points']}个：达标{n['points_met']}个、未达标{n['points_not_met']}个、"
                f"未到期{n['points_not_due']}个、无数据{n['points_no_data']}个"
                + (f"、定性目标{n['points_qualitative']}个" if n["points_qualitative"] else "")
                + "。"
                if n["points"] != n["targets"]
                else ""
            )
            + (f"未达标的是：{'、'.join(failed)}。" if failed else "")
            + (f"另有{references}项以全市目标作参照，未计入。" if references else "")
        )
    return (
        f"At the {nv.year_label(p.year, 'en')}, {place} against its {n['targets']} own targets: {n['met']} met, "
        f"{n['not_met']} not met, {n['not_due']} not yet due"
        + (
            f" ({n['not_due_on_track']} on track by the trend since the {nv.year_label(p.baseline_year, 'en')})"
            if n["not_due"]
            else ""
        )
        + (f", {n['no_data']} without data" if n["no_data"] else "")
        + (f", {n['qualitative']} qualitative (not judged)" if n["qualitative"] else "")
        + " (each target judged at its latest year due by now)."
        + (
            f" By assessment point (target × year): {n['points']}, {n['points_met']} met, {n['points_not_met']} not "
            f"met, {n['points_not_due']} not yet due, {n['points_no_data']} without data."
            if n["points"] != n["targets"]
            else ""
        )
        + (f" Not met: {', '.join(failed)}." if failed else "")
        + (f" {references} more are compared with city targets as references, not counted." if references else "")
    )


def briefing_scorecard(p: Params) -> Section:
    """Every plan indicator that applies to the county: value, target, met, on track, change, rank."""
    rows = _targeted(p)
    lang = p.lang
    pending = bool((rows["status"] == "not_due").any()) if len(rows) else False
    caption = (
        f"{p.name}{nv.year_label(p.year)}：✓ 达标 / ✗ 未达标（每项目标按其目标年份的数值认定）"
        + (
            f" / 未到期（目标年份在{p.year}年之后）；“按趋势”为按{nv.year_label(p.baseline_year)}以来的线性趋势"
            "推算到目标年份，只用于未到期目标"
            if pending
            else ""
        )
        if lang == "zh"
        else f"{p.name}, {nv.year_label(p.year, lang)}: ✓ met / ✗ not met (each target judged on its own year's value)"
        + (
            f" / not yet due (target year after {p.year}); “Trend” projects the line since the "
            f"{nv.year_label(p.baseline_year, lang)} to the target year, for targets not yet due only"
            if pending
            else ""
        )
    )
    if rows.empty and not in_plan_region(p):  # an empty table would say nothing; say why
        return Section(TITLES[lang]["scorecard"], [no_targets_note(p)])
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
        items.append(indicator_table(p, part.reset_index(drop=True), with_project=True, caption=f"{head}｜{caption}"))
    return Section(TITLES[lang]["scorecard"], items)


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
    title = TITLES[lang]["trends"].format(base=nv.year_label(p.baseline_year, lang))
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
    title = TITLES[lang]["ranks"].format(peers=peers_phrase(p))
    if rows.empty:  # a county outside the plan's region has no targets; one alone in its prefecture no peers
        return Section(
            title,
            [
                f"{p.name}没有可在{peers_phrase(p)}中排名的计划目标指标。"
                if lang == "zh"
                else f"{p.name} has no plan-targeted indicator to rank among {peers_phrase(p)}."
            ],
        )
    fig = charts.rank_chart(rows, highlight=p.county, lang=lang, note=synthetic_note(lang))
    own = rows[rows["county_code"] == p.county]
    top = own[own["rank"] <= 2]
    bottom = own[own["rank"] >= own["rank_count"] - 1]
    if lang == "zh":
        line = (
            f"{p.name}位居前两名的指标{len(top)}项，位居后两名的{len(bottom)}项"
            + (f"（{nv.join([indicator_name(x, lang) for x in bottom['indicator']], lang)}）" if len(bottom) else "")
            + "。"
        )
    else:
        line = (
            f"{p.name} is in the top two on {len(top)} indicators and in the bottom two on {len(bottom)}"
            + (f" ({nv.join([indicator_name(x, lang) for x in bottom['indicator']], lang)})" if len(bottom) else "")
            + "."
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
        return f"需达到“{name}”" if lang == "zh" else f"reach “{name}”"
    gap_now = r.get("gap_now") if not is_missing(r.get("gap_now")) else r.get("gap")  # a past target: this year's
    if is_missing(gap_now) or float(gap_now) <= 0:
        return ""
    needed = r.get(f"closing_{spec['part']}") if spec else None
    if spec and not is_missing(needed) and float(needed) > 0:
        noun = spec[lang]
        return f"约需{int(needed):,}{noun}" if lang == "zh" else f"about {int(needed):,} {noun}"
    gap = nv.fmt_gap(float(gap_now), unit, lang, _shown_decimals(r))
    return f"还差{gap}" if lang == "zh" else f"{gap} to go"


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
        items.append(
            f"{p.name}{nv.year_label(p.year)}对照的计划指标均已达标。"
            if lang == "zh"
            else f"{p.name} met every applicable plan target at the {nv.year_label(p.year, lang)}."
        )
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
        lead = (
            f"差距最大的是{indicator_name(first['indicator'], lang)}：{shown}，{nv.verdict(first, lang)}；"
            f"{closing_text(first, lang)}。"
            if lang == "zh"
            else f"The largest gap is {indicator_name(first['indicator'], lang)}: {shown}, {nv.verdict(first, lang)}; "
            f"{closing_text(first, lang)}."
        )
        items.append(lead)
        items.append(styled(table, right=[lab["value"], lab["gap"]]))
    for assessment in ASSESSMENTS:
        items.append(assessment_gap_line(p, assessment))
    return Section(TITLES[lang]["gaps"], items)
