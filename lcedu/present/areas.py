"""Prefecture and province overviews: the aggregate rows of the results, counties side by side.

The result tables carry one row per prefecture (``530900`` …) and, for a build that spans more
than one prefecture, per province (``530000``), computed by the same formulas as the county rows
(:mod:`lcedu.measure.indicators`). These pages only select, rank and format those rows: the
notebooks ``prefecture_overview`` and ``province_overview`` call the functions here and display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lcedu.errors import RequestError
from lcedu.home import CITY_CODE
from lcedu.ingest import counties
from lcedu.ingest.counties import is_aggregate, prefecture_of, province_of
from lcedu.measure import indicators as ind
from lcedu.measure.indicators import map_breaks
from lcedu.present import briefing, maps, suite
from lcedu.present import narrative as nv
from lcedu.present.briefing import Params, Section, bullets, heat_colour, styled
from lcedu.present.fonts import use_cjk_font
from lcedu.present.words import table, word

#: The indicators of the overviews: the equalization story of the plan, as on the map set.
OVERVIEW_INDICATORS = (
    "preschool_gross_enrollment_pct",
    "inclusive_kindergarten_coverage_pct",
    "public_kindergarten_enrollment_share_pct",
    "primary_resource_standard_school_pct",
    "junior_resource_standard_school_pct",
    "senior_gross_enrollment_pct",
    "digital_classroom_coverage_pct",
    "safe_campus_rate_pct",
)
ASSESSMENTS = briefing.ASSESSMENTS
# --------------------------------------------------------------------------- parameters and names


def area_name(code: str, lang: str = "zh") -> str:
    """Display name of a county, prefecture or province code (the code itself when unknown)."""
    code = str(code)
    if is_aggregate(code):
        return counties.area_name(code, lang)
    known = counties.registry()["county_code"].eq(code).any()
    return str(counties.name(code, lang)) if known else code


def aggregate_codes(level: str) -> list[str]:
    """The prefecture (``level="prefecture"``) or province codes with rows in the current build; a
    county that is its own prefecture (东莞 441900) is one, its rows are the prefecture's."""
    codes = briefing.base().results["county_code"].astype(str).unique()
    wanted = [c for c in codes if is_aggregate(c) and (c.endswith("0000") == (level == "province"))]
    if level == "prefecture":
        wanted += [c for c in codes if not is_aggregate(c) and prefecture_of(c) == c]
    return sorted(wanted)


def area_params(
    area: object, year: object, baseline_year: object = None, lang: str = "zh", *, level: str, plan: str | None = None
) -> Params:
    """Check an overview's parameters; ``area`` is a prefecture (530900, 5309, 临沧市) or a province
    (53, 530000, 云南省) code or name, which must have rows in the build. A ValueError says what is wrong."""
    lang = nv.check_lang(lang)
    text = str(area).strip()
    code = None
    if text.isdigit() and len(text) in (2, 4, 6):
        code = (text + "0000")[:6] if level == "province" else (text + "00")[:6]
        code = province_of(code) if level == "province" else prefecture_of(code)
    else:
        try:
            found = counties.select(**{level: text})
        except RequestError:  # an unknown name: reported below with the choices the build has
            found = []
        if found:
            code = province_of(found[0]) if level == "province" else prefecture_of(found[0])
    available = aggregate_codes(level)
    if code not in available:
        choices = "、".join(f"{area_name(c)}({c})" for c in available) or "无 none"
        raise ValueError(
            f"数据中没有{word(f'areas.{level}')} {area!r} 的汇总行 / no {level} {area!r} in this build；"
            f"可选 / choose from: {choices}"
        )
    years = briefing.available_years()
    y = briefing.checked_year(year, years, "year")
    base = briefing.checked_year(baseline_year if baseline_year is not None else years[0], years, "baseline_year")
    if base > y:
        raise ValueError(f"baseline_year={base} 晚于 year={y} / baseline_year must not be after year")
    return Params(code, y, base, lang, None if plan is None else str(plan))


def members(code: str, results: pd.DataFrame | None = None) -> list[str]:
    """The county codes of a prefecture or province that have rows in the results."""
    res = results if results is not None else briefing.base().results
    codes = [c for c in res["county_code"].astype(str).unique() if not is_aggregate(c)]
    of = province_of if str(code).endswith("0000") else prefecture_of
    return sorted(c for c in codes if of(c) == str(code))


def _with_total(codes: Sequence[str], total: str) -> list[str]:
    """The counties then their total, once: 东莞's total is 东莞 itself."""
    return list(dict.fromkeys([*codes, total]))


def _values(year: int, codes: Sequence[str], indicators: Sequence[str]) -> pd.DataFrame:
    """Value per code (rows) and indicator (columns) in ``year``, in the order given."""
    res = briefing.base().results
    rows = res[(res["year"] == year) & res["indicator"].isin(indicators) & res["county_code"].isin(codes)]
    wide = rows.pivot_table(index="county_code", columns="indicator", values="value", aggfunc="first", dropna=False)
    return wide.reindex(index=list(codes), columns=list(indicators)).astype(float)


def _met_counts(year: int, codes: Sequence[str]) -> pd.DataFrame:
    """Per county of ``codes``: is each assessment met in ``year`` (1 / 0 / NaN)."""
    status = briefing.base().assessments
    rows = status[(status["year"] == year) & status["county_code"].isin(codes)]
    wide = rows.pivot_table(index="county_code", columns="assessment", values="is_met", aggfunc="first")
    return wide.reindex(index=list(codes), columns=list(ASSESSMENTS)).astype(float)


def _direction(indicator: str) -> float:
    return -1.0 if ind.load_registry().indicators[indicator].direction == "lower" else 1.0


def _unit(indicator: str) -> str:
    return ind.load_registry().indicators[indicator].unit


# --------------------------------------------------------------------------- sections


def header(p: Params, notebook: str) -> Section:
    """Subtitle: the prefecture or province, the year, the data's date and the sample disclaimer."""
    b = briefing.base()
    entry = suite.notebook(notebook)
    # Kept branch: the English line names the notebook before the place, the Chinese line does not.
    if p.lang == "zh":
        line = f"**{area_name(p.county)}（{p.county}）· {p.year}年** ｜ 数据生成：{b.created_at[:10]}"
    else:
        title = f"{entry.title_en} — " if entry else ""
        line = f"**{title}{area_name(p.county, 'en')} ({p.county}) · {p.year}** | data built {b.created_at[:10]}"
    return Section(None, [line, briefing.sample_notice(p.lang)], level=1)


def summary(p: Params, indicators: Sequence[str] = OVERVIEW_INDICATORS) -> Section:
    """Headline lines: how many counties, how many meet each assessment, the aggregate value and the county range."""
    lang, words = p.lang, table("areas", p.lang)
    codes = members(p.county)
    met = _met_counts(p.year, codes)
    lines = []
    counted = ", ".join(f"{words[a]} {int(np.nansum(met[a]))}/{len(codes)}" for a in ASSESSMENTS)
    lines.append(word("areas.summary_counts", lang, place=area_name(p.county, lang), n=len(codes), counted=counted))
    values = _values(p.year, _with_total(codes, p.county), indicators)
    for code in indicators:
        unit = _unit(code)
        own = values.at[p.county, code]
        spread = values.loc[codes, code].dropna()
        span = (
            f"{nv.fmt_value(spread.min(), unit, lang)}–{nv.fmt_value(spread.max(), unit, lang)}"
            if len(spread)
            else nv.text("na_short", lang)
        )
        value = nv.fmt_value(own, unit, lang)
        lines.append(word("areas.summary_value", lang, indicator=nv.indicator_name(code, lang), value=value, span=span))
    return Section(words["summary"], [bullets(lines)])


def county_table(p: Params, indicators: Sequence[str] = OVERVIEW_INDICATORS) -> Section:
    """The prefecture's counties (and its total, last) on the key indicators, coloured by relative position."""
    lang, words = p.lang, table("areas", p.lang)
    codes = members(p.county)
    values = _values(p.year, _with_total(codes, p.county), indicators)
    frame, css = _heat(values, codes, indicators, lang, first_column=words["county"])
    caption = word("areas.county_caption", lang)
    return Section(words["table"].format(year=p.year), [styled(frame, css=css, caption=caption, scroll=True)])


def _heat(
    values: pd.DataFrame, ranked: Sequence[str], indicators: Sequence[str], lang: str, first_column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A table of ``values`` with names and formatted cells, and the CSS colouring the rows in ``ranked``."""
    frame = pd.DataFrame({first_column: [area_name(c, lang) for c in values.index]})
    css = pd.DataFrame({first_column: [""] * len(values)})
    for code in indicators:
        unit, sign = _unit(code), _direction(code)
        column = values[code]
        name = nv.indicator_name(code, lang)
        frame[name] = [nv.fmt_value(v, unit, lang) for v in column]
        scaled = column.loc[list(ranked)] * sign
        lo, hi = scaled.min(), scaled.max()
        css[name] = [
            "background-color: #f4f4f4;"
            if c not in ranked
            else (heat_colour((v * sign - lo) / (hi - lo)) if not np.isnan(v) and hi > lo else "")
            for c, v in zip(values.index, column, strict=True)
        ]
    return frame, css


def trend_figure(p: Params, indicators: Sequence[str] = OVERVIEW_INDICATORS[:4]) -> Any:
    """Small multiples: each county a thin line, the prefecture or province total bold."""
    from matplotlib.figure import Figure  # matplotlib: loaded only when a figure is drawn

    use_cjk_font()
    res = briefing.base().results
    codes = members(p.county)
    fig = Figure(figsize=(10, 2.8), layout="constrained")
    axes = fig.subplots(1, len(indicators))
    for ax, code in zip(np.atleast_1d(axes), indicators, strict=True):
        rows = res[(res["indicator"] == code) & (res["year"] <= p.year)]
        for county in codes:
            line = rows[rows["county_code"] == county].sort_values("year")
            ax.plot(line["year"].astype(int), line["value"].astype(float), color="#bbbbbb", lw=0.8)
        total = rows[rows["county_code"] == p.county].sort_values("year")
        ax.plot(
            total["year"].astype(int),
            total["value"].astype(float),
            color="#0072B2",
            lw=2.2,
            marker="o",
            label=area_name(p.county, p.lang),
        )
        ax.set_title(nv.indicator_name(code, p.lang), fontsize=9, loc="left")
        ax.set_xticks(sorted(int(y) for y in rows["year"].unique()))
        ax.tick_params(labelsize=8)
    note = briefing.synthetic_note(p.lang)
    if note:
        fig.text(0.995, 0.995, note, fontsize=7, color="#666666", ha="right", va="top")
    return Section(word("areas.trend", p.lang), [fig])


def prefecture_table(p: Params, indicators: Sequence[str] = OVERVIEW_INDICATORS) -> Section:
    """The province's prefectures side by side (the province last): counties, assessments met, key indicators."""
    lang, words = p.lang, table("areas", p.lang)
    prefectures = sorted({prefecture_of(c) for c in members(p.county)})
    values = _values(p.year, [*prefectures, p.county], indicators)
    frame, css = _heat(values, prefectures, indicators, lang, first_column=words["prefecture"])
    counts, met = [], {a: [] for a in ASSESSMENTS}
    for code in [*prefectures, p.county]:
        inside = members(code)
        status = _met_counts(p.year, inside)
        counts.append(len(inside))
        for a in ASSESSMENTS:
            met[a].append(f"{int(np.nansum(status[a]))}/{len(inside)}")
    frame.insert(1, words["counties"], counts)
    css.insert(1, words["counties"], "")
    for i, a in enumerate(ASSESSMENTS):
        frame.insert(2 + i, words[a], met[a])
        css.insert(2 + i, words[a], "")
    caption = word("areas.prefecture_caption", lang)
    return Section(words["side"].format(year=p.year), [styled(frame, css=css, caption=caption)])


def prefecture_chart(p: Params, indicators: Sequence[str] = OVERVIEW_INDICATORS[:2]) -> Any:
    """Bars per prefecture for the headline indicators, the province value as a line."""
    from matplotlib.figure import Figure  # matplotlib: loaded only when a figure is drawn

    use_cjk_font()
    prefectures = sorted({prefecture_of(c) for c in members(p.county)})
    values = _values(p.year, [*prefectures, p.county], indicators)
    fig = Figure(figsize=(10, 0.32 * len(prefectures) + 1.4), layout="constrained")
    axes = fig.subplots(1, len(indicators), sharey=True)
    names = [area_name(c, p.lang) for c in prefectures]
    for ax, code in zip(np.atleast_1d(axes), indicators, strict=True):
        shown = values.loc[prefectures, code].to_numpy(dtype=float)
        ax.barh(range(len(prefectures)), shown, color="#56B4E9")
        province = values.at[p.county, code]
        if not np.isnan(province):
            ax.axvline(province, color="#D55E00", lw=1.5, ls="--", label=area_name(p.county, p.lang))
        ax.set_yticks(range(len(prefectures)), names, fontsize=8)
        if np.isfinite(shown).any():  # the differences, not the distance from 0
            low, high = np.nanmin(shown), np.nanmax(shown)
            pad = max((high - low) * 0.15, 0.5)
            ax.set_xlim(max(low - pad, 0.0) if low >= 0 else low - pad, high + pad)
        ax.set_title(nv.indicator_name(code, p.lang), fontsize=9.5, loc="left")
        ax.tick_params(labelsize=8)
    first = np.atleast_1d(axes)[0]
    first.invert_yaxis()  # shared by the panels: the first prefecture on top
    if first.get_legend_handles_labels()[0]:  # no province value: no line to name
        first.legend(fontsize=8, loc="lower right")
    note = briefing.synthetic_note(p.lang)
    if note:
        fig.text(0.995, 0.995, note, fontsize=7, color="#666666", ha="right", va="top")
    return fig


def ranked_within_prefectures(p: Params, indicator: str = OVERVIEW_INDICATORS[0]) -> pd.DataFrame:
    """Every county of the province ranked within its prefecture on ``indicator`` (1 = best, by direction):
    the scorecard's ``rank`` and ``rank_count`` (:func:`lcedu.measure.scorecard.scorecard` ranks within
    the prefecture), read, not recomputed.

    Columns: prefecture_code, county_code, value, rank, rank_count (counties with a value); NA values last.
    """
    codes = members(p.county)
    card = briefing.card(p.baseline_year, p.plan)
    rows = card[(card["indicator"] == indicator) & (card["year"] == p.year)].set_index("county_code")
    rows = rows.reindex(codes)
    frame = pd.DataFrame(
        {
            "prefecture_code": [prefecture_of(c) for c in codes],
            "county_code": codes,
            "value": rows["value"].to_numpy(dtype=float, na_value=np.nan),
            "rank": rows["rank"].astype("Int64").to_numpy(),
            "rank_count": rows["rank_count"].astype("Int64").to_numpy(),
        }
    )
    return frame.sort_values(["prefecture_code", "rank", "county_code"], na_position="last").reset_index(drop=True)


def ranked_table(p: Params, indicator: str = OVERVIEW_INDICATORS[0]) -> Section:
    """:func:`ranked_within_prefectures` as a table for the page."""
    lang, words = p.lang, table("areas", p.lang)
    ranked = ranked_within_prefectures(p, indicator)
    unit = _unit(indicator)
    ranks = pd.DataFrame(
        {
            words["prefecture"]: [area_name(c, lang) for c in ranked["prefecture_code"]],
            words["rank"]: [
                nv.text("na_short", lang) if pd.isna(r) else f"{r}/{n}"
                for r, n in zip(ranked["rank"], ranked["rank_count"], strict=True)
            ],
            words["county"]: [area_name(c, lang) for c in ranked["county_code"]],
            nv.indicator_name(indicator, lang): [nv.fmt_value(v, unit, lang) for v in ranked["value"]],
        }
    )
    title = words["ranked"].format(indicator=nv.indicator_name(indicator, lang), year=p.year)
    return Section(title, [styled(ranks, right=[nv.indicator_name(indicator, lang)], scroll=True)])


def province_map(p: Params, indicator: str = OVERVIEW_INDICATORS[0]) -> Section:
    """The province's counties coloured on ``indicator`` (prefecture outlines; the declared classes), then the
    prefectures as bars. Without boundaries for the province (only 云南's are shipped; ``lcedu shapes``
    caches others), the page says so and shows the bars alone."""
    lang = p.lang
    items: list[Any] = []
    res = briefing.base().results
    data = res[(res["indicator"] == indicator) & ~res["county_code"].astype(str).map(is_aggregate)]
    try:
        ax = maps.province_choropleth(
            data,
            indicator,
            p.year,
            province=p.county[:2],
            lang=lang,
            label=nv.indicator_name(indicator, lang),
            breaks=map_breaks().get(indicator),
            unit=_unit(indicator),
            direction="lower" if _direction(indicator) < 0 else "higher",
            synthetic=briefing.base().synthetic,
        )
        items.append(ax.figure)
    except RequestError as exc:  # no boundaries for this province: say so, the bars still compare
        items.append(f"（未绘制地图 / no map: {exc}）")
    items.append(prefecture_chart(p))
    title = word("areas.province_map_title", lang, indicator=nv.indicator_name(indicator, lang), year=p.year)
    return Section(title, items)


def prefecture_maps(p: Params, indicators: Sequence[str] = briefing.SMALL_MULTIPLES) -> Section:
    """The prefecture's counties on maps: which meet the two assessments in ``p.year``, and key indicators
    year by year (small multiples on the declared classes). 临沧's status map measures the counties'
    share against its plan; another prefecture's shows the counts only (the plan is 临沧's). Without
    boundaries for the prefecture (云南's are shipped; ``lcedu shapes`` builds others) the page says so."""
    lang, b = p.lang, briefing.base()
    years = [y for y in briefing.available_years() if y <= p.year]
    shares = briefing.plan_of(p.plan).target_shares() if p.county == CITY_CODE else {}
    items: list[Any] = []
    try:
        items.append(
            maps.status_map(
                b.assessments,
                p.year,
                lang=lang,
                synthetic=b.synthetic,
                target_shares=shares,
                verdicts=maps.share_verdicts(p.year, p.plan) if p.county == CITY_CODE else None,
                prefecture=p.county,
            )
        )
        for code in indicators:
            unit = nv.indicator_unit(code)
            items.append(
                maps.small_multiples(
                    b.results[b.results["indicator"] == code],
                    code,
                    years,
                    label=nv.indicator_name(code, lang),
                    unit=nv.unit_label(unit, lang) or unit,
                    lang=lang,
                    synthetic=b.synthetic,
                    breaks=map_breaks().get(code),
                    prefecture=p.county,
                )
            )
    except RequestError as exc:  # no boundaries for this prefecture: say so, the tables above still compare
        items.append(f"（未绘制地图 / no map: {exc}）")
    title = word("areas.maps_title", lang, year=p.year)
    return Section(title, items)
