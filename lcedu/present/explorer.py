"""Interactive explorer: pick a county, an indicator and a year; a map, a chart and a table follow.

:func:`explorer_view` draws the three views for one choice (pure, testable without a
browser); :func:`explorer` wires them to ipywidgets dropdowns. Headless (papermill,
nbconvert) the widget renders its initial state and the views are computed once.
Default years come from the plan (:func:`lcedu.measure.plan.get_plan`): its final year is
shown, changes are measured from its baseline year. The trend chart always shows every
data year with the chosen year marked (a single year would be one dot); a target due after
the chosen year reads 未到期 (with the trend's verdict), never 未达标; map labels are
formatted like the table (22人, not 22.0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcedu.measure.indicators import map_breaks
from lcedu.paths import CITY_CODE
from lcedu.present import briefing as bf
from lcedu.present import charts
from lcedu.present import narrative as nv
from lcedu.present.briefing import LABELS, Params
from lcedu.present.narrative import fmt_value, indicator_name, is_missing, place_name

__all__ = ["explorer", "explorer_view", "indicator_options", "plan_years", "status_cell"]

#: CSS classes of the three output areas (what a browser test looks for).
VIEW_CLASSES = ("lcedu-explorer-map", "lcedu-explorer-chart", "lcedu-explorer-table")

_WORDS = {
    "zh": {
        "county": "县(区)",
        "indicator": "指标",
        "year": "学年初",
        "title": "指标探索",
        "no_map": "该指标没有分县数值，无法绘制地图。",
        "not_due": "未到期",
        "selected": "所选年份",
        "intro": "在 JupyterLab 中运行本笔记本，用下方的下拉框选择县(区)、指标和年份，地图、趋势图和表格随之更新。"
        "静态页面只显示初始选择：{name}，{indicator}，{year}。",
    },
    "en": {
        "county": "County",
        "indicator": "Indicator",
        "year": "School year",
        "title": "Indicator explorer",
        "no_map": "This indicator has no county values to map.",
        "not_due": "Not yet due",
        "selected": "Selected year",
        "intro": "Run this notebook in JupyterLab and pick a county, an indicator and a year below; the map, the "
        "trend chart and the table follow. A static page shows the initial choice only: {name}, "
        "{indicator}, {year}.",
    },
}


def indicator_options(lang: str = "zh") -> list[tuple[str, str]]:
    """(label, code) of every county-level numeric indicator, grouped by the plan's projects."""
    from lcedu.measure import indicators as ind

    nv.check_lang(lang)
    reg = ind.load_registry()
    position = bf.project_of()
    codes = [c for c, i in reg.indicators.items() if i.level == "county" and i.unit != "yes/no"]
    order = {c: i for i, c in enumerate(codes)}
    codes = sorted(codes, key=lambda c: (position.get(c, (50, ""))[0], order[c]))
    return [(indicator_name(c, lang), c) for c in codes]


def plan_years(plan: str | None = None) -> tuple[int, int]:
    """(baseline year, final year) of the plan (default: the current plan), from its file."""
    from lcedu.measure.plan import get_plan

    p = get_plan(plan)
    return p.baseline_year, p.final_year


def status_cell(r: dict[str, Any], lang: str) -> str:
    """✓ 达标 / ✗ 未达标 for a target that is due; 未到期（按趋势…） for one due later (the scorecard's status)."""
    if r.get("status") == "not_due":  # the scorecard's verdict: a target due after this year
        track = r.get("is_on_track")
        words = _WORDS[lang]["not_due"]
        if is_missing(track):
            return words
        track_words = bf.track_text(track, lang)
        if lang == "zh":
            return f"{words}，{track_words}"
        return f"{words}, {track_words[0].lower()}{track_words[1:]}"
    return bf.scorecard_status_text(r.get("status"), lang)


def _check_indicator(indicator: str) -> None:
    if indicator not in {code for _, code in indicator_options("en")}:
        raise ValueError(
            f"未知或不可探索的指标 {indicator!r} / unknown indicator {indicator!r}; "
            "see lcedu.present.explorer.indicator_options()"
        )


def _outline(ax: Any, county: str, prefecture: str) -> None:
    """Draw the chosen county's boundary on a map axes (projected like lcedu.present.maps)."""
    from lcedu.present import maps

    shapes = maps.prefecture_counties(prefecture)
    rows = shapes[shapes["county_code"] == county]
    for geometry in rows.geometry:
        polygons = getattr(geometry, "geoms", [geometry])
        for polygon in polygons:
            x, y = polygon.exterior.xy
            ax.plot(x, y, color="#111111", lw=2.2, zorder=6)


def _map(p: Params, indicator: str) -> Figure | str:
    from lcedu.present import maps

    data = bf.card(p.baseline_year, p.plan)  # stored values, verdicts and each county's own gap_class
    values = data[(data["indicator"] == indicator) & (data["county_code"] != CITY_CODE)]["value"]
    if values.notna().sum() == 0:
        return _WORDS[p.lang]["no_map"]
    unit = nv.indicator_unit(indicator)
    row = bf.row(p, indicator)
    # Target mode when the page's county has a rate target: every county is classed by its own stored
    # gap_class (its own target in force), the page county's target only names the legend.
    target = None
    if not is_missing(row.get("target")) and row.get("comparison") in ("at_least", "at_most"):
        target = float(row["target"])
    direction = "lower" if row.get("direction") == "lower" else "higher"
    ax = maps.choropleth(
        data[["county_code", "year", "indicator", "value", "gap_class"]],
        indicator,
        p.year,
        label=indicator_name(indicator, p.lang),
        unit=nv.unit_label(unit, p.lang) or unit,
        lang=p.lang,
        synthetic=bf.base().synthetic,
        target=target,
        direction=direction,
        breaks=map_breaks().get(indicator),
        prefecture=bf.page_prefecture(p),
    )
    _label_like_the_table(ax, p, indicator, unit)
    if not p.is_city:
        _outline(ax, p.county, bf.page_prefecture(p))
    return ax.figure


def _label_like_the_table(ax: Any, p: Params, indicator: str, unit: str) -> None:
    """County labels "双江自治县\\n22人" formatted as the table formats them (the map classes them as 22.0),
    with the decimals a value needs beside its target."""
    c = bf.card(p.baseline_year, p.plan)
    rows = c[(c["indicator"] == indicator) & (c["year"] == p.year)]
    values = {str(r["county_code"]): r for r in rows.to_dict("records")}
    lang = p.lang
    prefix = "county-label-"
    for text in ax.texts:
        gid = text.get_gid() or ""
        code = gid.removeprefix(prefix)
        if gid.startswith(prefix) and code in values and not is_missing(values[code]["value"]):
            name = text.get_text().split("\n")[0]
            r = values[code]
            text.set_text(f"{name}\n{fmt_value(r['value'], unit, lang, thresholds=nv.row_thresholds(r))}")


def _table(p: Params, indicator: str) -> Any:
    """The counties of the county's prefecture and its total for the year: value, target, status, change
    and rank (within the prefecture)."""
    lang = p.lang
    lab = LABELS[lang]
    c = bf.card(p.baseline_year, p.plan)
    order = [*bf.peer_codes(p), bf.page_prefecture(p)]
    rows = c[(c["indicator"] == indicator) & (c["year"] == p.year)].set_index("county_code").reindex(order)
    rows = rows.reset_index()
    records = rows.to_dict("records")
    table = pd.DataFrame(
        {
            lab["county"]: [place_name(r["county_code"], lang) for r in records],
            lab["value"]: [
                fmt_value(r["value"], nv.indicator_unit(indicator), lang, thresholds=nv.row_thresholds(r))
                for r in records
            ],
            lab["target"]: [bf.target_text(r, lang) for r in records],
            lab["status"]: [status_cell(r, lang) for r in records],
            lab["change"]: [bf.change_cell(r, lang) for r in records],
            lab["rank"]: [bf.rank_text(r, lang) for r in records],
        }
    )
    not_due = (rows["target_year"].astype("Float64") > p.year).fillna(False).to_numpy(dtype=bool)
    flags = pd.DataFrame({lab["status"]: rows["is_met"].astype("boolean").where(~not_due, pd.NA).to_numpy()})
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css.loc[np.asarray(order) == p.county, :] = "font-weight: 700;"
    return bf.styled(table, flags=flags, css=css, right=[lab["value"], lab["change"]])


def _chart(p: Params, indicator: str) -> Figure:
    """The indicator's line over every data year (county, city, other counties), the chosen year marked."""
    c = bf.card(p.baseline_year, p.plan)
    rows = c[c["indicator"] == indicator]
    series = rows[["county_code", "year", "indicator", "value", "unit"]]
    own = rows[(rows["county_code"] == p.county) & (rows["target_year"] == rows["year"])]
    targets = own[["indicator", "year", "target"]].astype({"target": float})
    fig = charts.trend_panels(
        series, [indicator], highlight=p.county, targets=targets, lang=p.lang, columns=1, note=bf.synthetic_note(p.lang)
    )
    ax = fig.axes[0]
    ax.axvline(p.year, color="#7f7f7f", lw=1.0, ls=":", zorder=0, gid="selected-year")
    ax.annotate(
        _WORDS[p.lang]["selected"],
        (p.year, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        fontsize=7,
        color="#7f7f7f",
        ha="left",
        va="top",
    )
    return fig


def _params(county: object, year: object, baseline_year: object, lang: str, plan: str | None = None) -> Params:
    """bf.params with the plan's years where ``year`` / ``baseline_year`` are None."""
    base, final = plan_years(plan)
    return bf.params(
        county,
        final if year is None else year,
        base if baseline_year is None else baseline_year,
        lang,
        scope="city",
        plan=plan,
    )


def explorer_view(
    county: object,
    indicator: str,
    year: object = None,
    lang: str = "zh",
    baseline_year: object = None,
    plan: str | None = None,
) -> tuple[Any, Any, Any]:
    """(map, chart, table) for one county, indicator and year; a ValueError names a bad choice.

    ``year`` / ``baseline_year`` default to the plan's final and baseline years.
    """
    p = _params(county, year, baseline_year, lang, plan)
    _check_indicator(indicator)
    return _map(p, indicator), _chart(p, indicator), _table(p, indicator)


def explorer(
    county: object = "530902",
    year: object = None,
    lang: str = "zh",
    *,
    indicator: str = "preschool_gross_enrollment_pct",
    baseline_year: object = None,
    plan: str | None = None,
) -> Any:
    """An ipywidgets box: county / indicator / year pickers driving a map, a trend chart and a table.

    ``year`` / ``baseline_year`` default to the plan's final and baseline years.
    """
    import ipywidgets as widgets
    from IPython.display import Markdown, display

    p = _params(county, year, baseline_year, lang, plan)
    _check_indicator(indicator)
    words = _WORDS[p.lang]
    counties = [(place_name(c, p.lang), c) for c in bf.peer_codes(p)]  # the county's prefecture (临沧's 8)
    pick_county = widgets.Dropdown(
        options=counties, value=p.county if not p.is_city else counties[0][1], description=words["county"]
    )
    pick_indicator = widgets.Dropdown(
        options=indicator_options(p.lang),
        value=indicator,
        description=words["indicator"],
        layout=widgets.Layout(width="520px"),
    )
    pick_year = widgets.Dropdown(
        options=[(nv.year_label(y, p.lang, short=True), y) for y in bf.available_years()],
        value=p.year,
        description=words["year"],
    )
    map_out, chart_out, table_out = widgets.Output(), widgets.Output(), widgets.Output()
    for out, css in zip((map_out, chart_out, table_out), VIEW_CLASSES, strict=True):
        out.add_class(css)

    def update(_: object = None) -> None:
        views = explorer_view(pick_county.value, pick_indicator.value, pick_year.value, p.lang, p.baseline_year, p.plan)
        for out, view in zip((map_out, chart_out, table_out), views, strict=True):
            out.clear_output(wait=True)
            with out:
                bf.show(view)

    for w in (pick_county, pick_indicator, pick_year):
        w.observe(update, names="value")
    update()
    box = widgets.VBox(
        [
            widgets.HTML(f"<h3>{words['title']}</h3>"),
            widgets.HBox([pick_county, pick_year]),
            pick_indicator,
            widgets.HBox([map_out, chart_out]),
            table_out,
        ]
    )
    intro = words["intro"].format(
        name=p.name, indicator=indicator_name(indicator, p.lang), year=nv.year_label(p.year, p.lang)
    )
    sample = bf.sample_notice(p.lang)
    display(Markdown(bf.markdown_text(intro) + (f"\n\n{sample}" if sample else "")))
    display(box)
    return None
