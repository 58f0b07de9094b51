"""Interactive explorer: pick a county, an indicator and a year; a map, a chart and a table follow.

:func:`explorer_view` draws the three views for one choice (pure, testable without a
browser); :func:`explorer` wires them to ipywidgets dropdowns. Headless (papermill,
nbconvert) the widget renders its initial state and the views are computed once.
Default years come from the plan (:func:`lcedu.measure.plan.get_plan`): its final year is
shown, changes are measured from its baseline year. The trend chart always shows every
data year with the chosen year marked (a single year would be one dot); a target due after
the chosen year reads 未到期 (with the trend's verdict), never 未达标; map labels are
formatted like the table (22人, not 22.0).

:class:`ExplorerSession` keeps what one widget has drawn, so a change redraws only what it changes
(a new year moves the chart's marker, a new county restyles its lines; a new chart only for a new
indicator) and encodes each figure once at screen resolution; it also saves the current map (PNG) and
table (Excel).
Indicators are grouped by the plan's 工程 (:func:`indicator_groups`) and found by typing
(:func:`search_indicators`).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcedu import paths
from lcedu.home import CITY_CODE
from lcedu.measure import indicators as ind
from lcedu.measure.indicators import map_breaks
from lcedu.measure.plan import get_plan
from lcedu.present import briefing as bf
from lcedu.present import charts, maps
from lcedu.present import narrative as nv
from lcedu.present.briefing import LABELS, Params
from lcedu.present.layers import LayeredFigure
from lcedu.present.maps import classes, furniture
from lcedu.present.maps import words as map_words
from lcedu.present.narrative import fmt_value, indicator_name, is_missing, place_name
from lcedu.present.words import table, word

__all__ = [
    "ExplorerSession",
    "explorer",
    "explorer_view",
    "indicator_groups",
    "indicator_options",
    "plan_years",
    "search_indicators",
    "status_cell",
]

#: CSS classes of the three output areas (what a browser test looks for).
VIEW_CLASSES = ("lcedu-explorer-map", "lcedu-explorer-chart", "lcedu-explorer-table")

# The explorer's words (the ``explorer`` section of words.yml), read once per language; kept under this name
# so the drawing code, which another change is rewriting, reads them as before.
_WORDS = {lang: table("explorer", lang) for lang in nv.LANGS}


def indicator_options(lang: str = "zh") -> list[tuple[str, str]]:
    """(label, code) of every county-level numeric indicator, grouped by the plan's projects."""
    nv.check_lang(lang)
    reg = ind.load_registry()
    position = bf.project_of()
    codes = [c for c, i in reg.indicators.items() if i.level == "county" and i.unit != "yes/no"]
    order = {c: i for i, c in enumerate(codes)}
    codes = sorted(codes, key=lambda c: (position.get(c, (50, ""))[0], order[c]))
    return [(indicator_name(c, lang), c) for c in codes]


def indicator_groups(lang: str = "zh") -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(project key, project name, [(label, code)]) per 工程 of the plan, in the plan's order; indicators
    outside every project come last under 其他 / Other."""
    position = bf.project_of()
    groups: dict[str, list[tuple[str, str]]] = {}
    for label, code in indicator_options(lang):
        groups.setdefault(position.get(code, (50, "other"))[1], []).append((label, code))
    other = word("explorer.other", lang)
    return [(key, bf.project_name(key, lang) if key != "other" else other, items) for key, items in groups.items()]


def search_indicators(text: str, lang: str = "zh", project: str | None = None) -> list[tuple[str, str]]:
    """(label, code) of the indicators whose Chinese or English name, code or 工程 contains ``text``
    (case and spaces ignored; every part of a space-separated query must match), within ``project``
    when given."""
    parts = [part for part in text.casefold().split() if part]
    found = []
    for key, project_label, items in indicator_groups(lang):
        if project is not None and key != project:
            continue
        for label, code in items:
            words = " ".join(
                (label, indicator_name(code, "zh"), indicator_name(code, "en"), code, project_label)
            ).casefold()
            if all(part in words for part in parts):
                found.append((label, code))
    return found


def plan_years(plan: str | None = None) -> tuple[int, int]:
    """(baseline year, final year) of the plan (default: the current plan), from its file."""
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
        if lang == "zh":  # kept branch: English lower-cases the trend words inside the sentence
            return f"{words}，{track_words}"
        return f"{words}, {track_words[0].lower()}{track_words[1:]}"
    return bf.scorecard_status_text(r.get("status"), lang)


def _check_indicator(indicator: str) -> None:
    if indicator not in {code for _, code in indicator_options("en")}:
        raise ValueError(
            f"未知或不可探索的指标 {indicator!r} / unknown indicator {indicator!r}; "
            "see lcedu.present.explorer.indicator_options()"
        )


def _outline(ax: Any, county: str, prefecture: str) -> list[Any]:
    """Draw the chosen county's boundary on a map axes (projected like lcedu.present.maps); its lines."""
    shapes = maps.prefecture_counties(prefecture)
    rows = shapes[shapes["county_code"] == county]
    drawn = []
    for geometry in rows.geometry:
        polygons = getattr(geometry, "geoms", [geometry])
        for polygon in polygons:
            x, y = polygon.exterior.xy
            drawn += ax.plot(x, y, color="#111111", lw=2.2, zorder=6, gid="county-outline")
    return drawn


@dataclass(frozen=True)
class _MapSpec:
    """What the map of one choice shows: the stored rows and how they are classed."""

    data: pd.DataFrame
    indicator: str
    year: int
    unit: str
    target: float | None
    direction: str
    breaks: Any
    prefecture: str


def indicator_rows(p: Params, indicator: str) -> pd.DataFrame:
    """The scorecard's rows of one indicator (every county and year): stored values, verdicts and each
    county's own gap_class, what the three views show."""
    card = bf.card(p.baseline_year, p.plan)
    return card[card["indicator"] == indicator]


def _own_row(p: Params, rows: pd.DataFrame, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The page county's row of the year (as :func:`lcedu.present.briefing.row` gives it); ``records``:
    ``rows`` as dicts, when the caller keeps them."""
    if records is not None:
        mine = (r for r in records if r["county_code"] == p.county and not is_missing(r["year"]))
        found = next((r for r in mine if r["year"] == p.year), None)
        if found is None:
            raise ValueError(f"no row for this indicator ({p.county}, {p.year})")
        return found
    own = rows[(rows["county_code"] == p.county) & (rows["year"] == p.year)]
    if own.empty:
        raise ValueError(f"no row for this indicator ({p.county}, {p.year})")
    return own.iloc[0].to_dict()


def _map_spec(
    p: Params,
    indicator: str,
    rows: pd.DataFrame,
    breaks: dict[str, tuple[float, ...]] | None = None,
    records: list[dict[str, Any]] | None = None,
) -> _MapSpec | str:
    """The map's inputs, or the note shown instead when no county has a value. ``breaks``: the registry's
    :func:`lcedu.measure.indicators.map_breaks`, ``records``: ``rows`` as dicts, when the caller keeps them
    (reading the registry or filtering a frame costs more than updating a map)."""
    data = rows
    if data.loc[data["county_code"] != CITY_CODE, "value"].notna().sum() == 0:
        return _WORDS[p.lang]["no_map"]
    row = _own_row(p, rows, records)
    # Target mode when the page's county has a rate target: every county is classed by its own stored
    # gap_class (its own target in force), the page county's target only names the legend.
    target = None
    if not is_missing(row.get("target")) and row.get("comparison") in ("at_least", "at_most"):
        target = float(row["target"])
    return _MapSpec(
        data=data[["county_code", "year", "indicator", "value", "gap_class"]],
        indicator=indicator,
        year=p.year,
        unit=nv.indicator_unit(indicator),
        target=target,
        direction="lower" if row.get("direction") == "lower" else "higher",
        breaks=(map_breaks() if breaks is None else breaks).get(indicator),
        prefecture=bf.page_prefecture(p),
    )


def map_figure(p: Params, indicator: str, rows: pd.DataFrame | None = None) -> Figure | str:
    """The explorer's map drawn from scratch (lcedu.present.maps), labelled like the table, the county
    outlined; or the note shown instead when the indicator has no county values. ``rows``: the
    indicator's :func:`indicator_rows`, when the caller has them."""
    rows = indicator_rows(p, indicator) if rows is None else rows
    spec = _map_spec(p, indicator, rows)
    if isinstance(spec, str):
        return spec
    ax = maps.choropleth(
        spec.data,
        indicator,
        p.year,
        label=indicator_name(indicator, p.lang),
        unit=nv.unit_label(spec.unit, p.lang) or spec.unit,
        lang=p.lang,
        synthetic=bf.base().synthetic,
        target=spec.target,
        direction=spec.direction,
        breaks=spec.breaks,
        prefecture=spec.prefecture,
    )
    _label_like_the_table(ax, p, rows, spec.unit)
    if not p.is_city:
        _outline(ax, p.county, spec.prefecture)
    return ax.figure


def _label_like_the_table(ax: Any, p: Params, rows: pd.DataFrame, unit: str) -> None:
    r"""County labels "双江自治县\n22人" formatted as the table formats them (the map classes them as 22.0),
    with the decimals a value needs beside its target."""
    values = _value_texts(p, rows, unit)
    prefix = "county-label-"
    for text in ax.texts:
        gid = text.get_gid() or ""
        code = gid.removeprefix(prefix)
        if gid.startswith(prefix) and code in values:
            name = text.get_text().split("\n")[0]
            text.set_text(f"{name}\n{values[code]}")


def _value_texts(p: Params, rows: pd.DataFrame, unit: str) -> dict[str, str]:
    """County code → its value as the table shows it, for the counties with a value in ``p.year``."""
    return {
        str(r["county_code"]): fmt_value(r["value"], unit, p.lang, thresholds=nv.row_thresholds(r))
        for r in rows[rows["year"] == p.year].to_dict("records")
        if not is_missing(r["value"])
    }


def county_table(p: Params, indicator: str, rows: pd.DataFrame | None = None) -> Any:
    """The counties of the county's prefecture and its total for the year: value, target, status, change
    and rank (within the prefecture). ``rows``: the indicator's :func:`indicator_rows`, when known."""
    return _styled_table(p, _table_cells(p, indicator, indicator_rows(p, indicator) if rows is None else rows))


def _table_cells(
    p: Params, indicator: str, rows: pd.DataFrame, records: list[dict[str, Any]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(cells as text, met/not-met flags, county order) of the table: the same for every county of the page's
    prefecture (only the bold row is the county's own). ``records``: ``rows`` as dicts, when the caller keeps
    them (picking nine rows out of a frame costs more than writing the cells)."""
    lang = p.lang
    lab = LABELS[lang]
    order = [*bf.peer_codes(p), bf.page_prefecture(p)]
    records = rows.to_dict("records") if records is None else records
    by_code = {str(r["county_code"]): r for r in records if not is_missing(r["year"]) and r["year"] == p.year}
    blank = dict.fromkeys(rows.columns, np.nan)  # a county without a row: every cell missing
    records = [by_code.get(code, {**blank, "county_code": code}) for code in order]
    unit = nv.indicator_unit(indicator)
    table = pd.DataFrame(
        {
            lab["county"]: [place_name(r["county_code"], lang) for r in records],
            lab["value"]: [fmt_value(r["value"], unit, lang, thresholds=nv.row_thresholds(r)) for r in records],
            lab["target"]: [bf.target_text(r, lang) for r in records],
            lab["status"]: [status_cell(r, lang) for r in records],
            lab["change"]: [bf.change_cell(r, lang) for r in records],
            lab["rank"]: [bf.rank_text(r, lang) for r in records],
        }
    )
    not_due = [not is_missing(r["target_year"]) and float(r["target_year"]) > p.year for r in records]
    met = [
        pd.NA if late or is_missing(r["is_met"]) else bool(r["is_met"])
        for r, late in zip(records, not_due, strict=True)
    ]
    flags = pd.DataFrame({lab["status"]: pd.array(met, dtype="boolean").to_numpy()})
    return table, flags, order


def _styled_table(p: Params, cells: tuple[pd.DataFrame, pd.DataFrame, list[str]]) -> Any:
    """The table as shown: met / not met cells coloured, the page county's row bold."""
    table, flags, order = cells
    lab = LABELS[p.lang]
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css.loc[np.asarray(order) == p.county, :] = "font-weight: 700;"
    return bf.styled(table, flags=flags, css=css, right=[lab["value"], lab["change"]])


def trend_chart(p: Params, indicator: str, rows: pd.DataFrame | None = None) -> Figure:
    """The indicator's line over every data year (county, city, other counties), the chosen year marked.
    ``rows``: the indicator's :func:`indicator_rows`, when known."""
    rows = indicator_rows(p, indicator) if rows is None else rows
    series, targets = _chart_inputs(p, rows)
    fig = charts.trend_panels(
        series,
        [indicator],
        highlight=p.county,
        targets=targets,
        lang=p.lang,
        columns=1,
        note=bf.synthetic_note(p.lang),
        fixed_layout=True,
    )
    ax = fig.axes[0]
    ax.axvline(p.year, color="#7f7f7f", lw=1.0, ls=":", zorder=0, gid="selected-year")
    ax.annotate(
        _WORDS[p.lang]["selected"],
        (p.year, 0.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, 3),
        textcoords="offset points",
        fontsize=7,
        color="#7f7f7f",
        ha="left",
        va="bottom",
        gid="selected-year-label",
    )
    return fig


_MARKER_GIDS = ("selected-year", "selected-year-label")


def _chart_inputs(p: Params, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every county's series, the page county's targets in their target years) of the trend chart."""
    series = rows[["county_code", "year", "indicator", "value", "unit"]]
    own = rows[(rows["county_code"] == p.county) & (rows["target_year"] == rows["year"])]
    return series, own[["indicator", "year", "target"]].astype({"target": float})


def move_year_marker(fig: Figure, year: int) -> None:
    """Move the chart's 所选年份 marker: the lines are the same for every year of one county and indicator."""
    ax = fig.axes[0]
    for line in ax.lines:
        if line.get_gid() == "selected-year":
            line.set_xdata([year, year])
    for text in ax.texts:
        if text.get_gid() == "selected-year-label":
            text.xy = (year, 0.0)


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
    return map_figure(p, indicator), trend_chart(p, indicator), county_table(p, indicator)


#: Screen resolution of the widget's images: a change encodes each figure once, at the size it is shown.
WIDGET_DPI = 96


def figure_png(fig: Figure, dpi: int = WIDGET_DPI) -> bytes:
    """One draw of the figure to PNG at screen resolution (light compression: drawn for the screen, not kept)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _map_classifier(spec: _MapSpec, lang: str) -> Any:
    """The rule :func:`lcedu.present.maps.choropleth` classes the indicator's values by, for any year."""
    unit = nv.unit_label(spec.unit, lang) or spec.unit
    rule = classes.ClassRule(breaks=spec.breaks, target=spec.target, direction=spec.direction)
    classify, _ = classes.yearly_classifier(spec.data, spec.indicator, rule, lang, unit)
    return classify


def _legend_key(legend: Any) -> tuple:
    """What a legend shows: its title and each entry's words, colour and hatch."""
    entries = tuple(
        (text.get_text(), tuple(handle.get_facecolor()), handle.get_hatch())
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    )
    return legend.get_title().get_text(), entries


class _MapView:
    """The explorer's map kept between changes: the figure, axes, county patches and label positions stay;
    a change sets the fills, labels, legend, title and source line to what :func:`map_figure` draws for the
    new choice, and only what changed is drawn again (:class:`lcedu.present.layers.LayeredFigure`)."""

    def __init__(self, figure: Figure, p: Params, spec: _MapSpec) -> None:
        from matplotlib.patches import PathPatch
        from matplotlib.text import Text

        self.figure, self.ax, self.lang, self.prefecture = figure, figure.axes[0], p.lang, spec.prefecture
        self.county = p.county
        self.classifiers: dict[tuple, Any] = {}
        ax = self.ax
        self.patches = {
            a.get_gid().removeprefix("county-"): a
            for a in ax.artists
            if isinstance(a, PathPatch) and (a.get_gid() or "").startswith("county-")
        }
        self.labels = {
            t.get_gid().removeprefix("county-label-"): t
            for t in ax.texts
            if (t.get_gid() or "").startswith("county-label-")
        }
        self.names = {code: text.get_text().split("\n")[0] for code, text in self.labels.items()}
        self.legend = ax.get_legend()
        self.note = next(t for t in ax.texts if t.get_gid() == "source-note")
        shown = ax.get_title(loc="left")
        self.title = next(c for c in ax.get_children() if isinstance(c, Text) and c.get_text() == shown)
        frame = [a for a in ax.artists if a.get_gid() == "prefecture-outline"]
        outline = [line for line in ax.lines if line.get_gid() == "county-outline"]
        content = [*self.patches.values(), *frame, *self.labels.values(), self.legend, self.title, self.note]
        self.layers = LayeredFigure(figure, content, outline, dpi=WIDGET_DPI)

    def update(self, p: Params, spec: _MapSpec) -> bool:
        """Show ``spec`` on this map; False when the new labels would overlap (the map is then redrawn)."""
        values = maps.indicator_values(spec.data, spec.indicator, spec.year)
        values = values[values.index.isin(list(self.patches))]
        key = (spec.indicator, spec.target, spec.direction, spec.breaks, p.lang)
        if key not in self.classifiers:  # one rule for every year of an indicator: worked out once
            self.classifiers[key] = _map_classifier(spec, p.lang)
        classification = self.classifiers[key](values, spec.year)
        changed = [patch for code, patch in self.patches.items() if _fill(patch, classification.fills.get(code))]
        shown = _value_texts(p, spec.data, spec.unit)
        for code, label in self.labels.items():
            text = f"{self.names[code]}\n{shown[code]}" if code in shown else self.names[code]
            if label.get_text() != text:
                label.set_text(text)
                changed.append(label)
        if self._labels_overlap():
            return False
        with_no_data = not set(self.patches) <= set(classification.fills)
        legend = furniture.single_map_legend(self.ax, classification, with_no_data, p.lang)
        if _legend_key(legend) != _legend_key(self.legend):
            self.layers.replace(self.legend, legend)
            self.legend = legend
        else:  # the same legend: keep the one drawn
            legend.remove()
            self.ax.legend_ = self.legend
        shown_year = map_words.year_words(spec.year, p.lang)
        title = map_words.place_prefix(spec.prefecture, p.lang) + word(
            "maps.title", p.lang, label=indicator_name(spec.indicator, p.lang), year=shown_year
        )
        note = map_words.source_line(p.lang, None, shown_year, bf.base().synthetic)
        for artist, text in ((self.title, title), (self.note, note)):
            if artist.get_text() != text:
                artist.set_text(text)
                changed.append(artist)
        self.layers.changed(changed)
        if p.county != self.county:
            self._outline(p)
        return True

    def _outline(self, p: Params) -> None:
        old = [line for line in self.ax.lines if line.get_gid() == "county-outline"]
        for line in old:
            line.remove()
        self.layers.remove_overlay(old)
        if not p.is_city:
            for line in _outline(self.ax, p.county, self.prefecture):
                self.layers.replace(None, line, overlay=True)
        self.county = p.county

    def _labels_overlap(self) -> bool:
        renderer = self.layers.canvas.get_renderer()
        boxes = [label.get_window_extent(renderer) for label in self.labels.values()]
        return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def _frame_key(figure: Figure) -> tuple:
    """The fixed parts of a trend chart: size, axes positions and limits, ticks and their labels, titles and
    notes. Two charts with the same key (another county of the same indicator, on the same scale) have the
    same background pixels."""
    axes = tuple(
        (
            ax.get_position().bounds,
            ax.get_title(loc="left"),
            ax.get_xlim(),
            ax.get_ylim(),
            ax.get_ylabel(),
            *(tuple(getattr(ax, f"get_{axis}ticks")().tolist()) for axis in ("x", "y")),
            *(tuple(t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")()) for axis in ("x", "y")),
        )
        for ax in figure.axes
    )
    return tuple(figure.get_size_inches()), axes, tuple(t.get_text() for t in figure.texts)


def _chart_content(figure: Figure) -> list[Any]:
    """A trend chart's changing artists (lines, labels, legend; not the year marker), in the order a full draw
    takes them: axes by axes, each by z-order, ties in the order they were added."""
    content = []
    for ax in figure.axes:
        order = {id(a): i for i, a in enumerate(ax.get_children())}
        mine = [a for a in (*ax.lines, *ax.texts) if a.get_gid() not in _MARKER_GIDS]
        content += sorted(mine, key=lambda a: (a.get_zorder(), order[id(a)]))
    return [*content, *figure.legends]


def _fill(patch: Any, colour: str | None) -> bool:
    """Give a county patch its class colour (no class: the hatched no-data face); True when it changed."""
    from matplotlib.colors import to_rgba

    face, hatch = (colour, None) if colour is not None else (furniture.NO_DATA_FACE, "////")
    if patch.get_facecolor() == to_rgba(face) and patch.get_hatch() == hatch:
        return False
    patch.set_facecolor(face)
    patch.set_hatch(hatch)
    if hatch is not None:
        patch.set_hatchcolor(furniture.NO_DATA_HATCH_COLOUR)
    return True


@dataclass
class ExplorerSession:
    """One explorer's choice and what it has drawn: a change redraws only what it changes.

    ``change()`` returns the map and chart as PNG bytes and the table as HTML. The map is kept and
    updated in place (fills, labels, legend, title; the county outline on top); the chart is kept per
    indicator (a new year only moves its marker, a new county restyles the lines and redraws its labels,
    targets and legend); each is drawn again only where it changed.
    """

    county: str
    indicator: str
    year: int
    lang: str = "zh"
    baseline_year: int | None = None
    plan: str | None = None
    _chart_key: tuple | None = field(default=None, repr=False)
    _chart: LayeredFigure | None = field(default=None, repr=False)
    _map_view: _MapView | None = field(default=None, repr=False)
    _map: Figure | str | None = field(default=None, repr=False)
    _table: Any = field(default=None, repr=False)
    _by_indicator: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _codes: frozenset[str] = field(default=frozenset(), repr=False)
    _cells: Any = field(default=None, repr=False)
    _cells_key: tuple | None = field(default=None, repr=False)
    _records: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _breaks: dict[str, tuple[float, ...]] | None = field(default=None, repr=False)

    def params(self) -> Params:
        return _params(self.county, self.year, self.baseline_year, self.lang, self.plan)

    @property
    def chart_figure(self) -> Figure | None:
        """The trend chart now shown (kept while only the year changes)."""
        return self._chart.figure if self._chart is not None else None

    @property
    def map_figure(self) -> Figure | None:
        """The map now shown (kept and updated in place); None while the indicator has no map."""
        return self._map if isinstance(self._map, Figure) else None

    def layers(self) -> tuple[LayeredFigure | None, LayeredFigure | None]:
        """The map's and the chart's layered drawings (what :meth:`change` redraws in part)."""
        return (self._map_view.layers if self._map_view is not None else None), self._chart

    def change(self, **choice: Any) -> tuple[bytes | str, bytes, str]:
        """Apply a new county / indicator / year and return (map PNG or its note, chart PNG, table HTML)."""
        for name, value in choice.items():
            if name not in ("county", "indicator", "year"):
                raise TypeError(f"unknown explorer choice {name!r}")
            setattr(self, name, value)
        if self.indicator not in self._codes:
            _check_indicator(self.indicator)
            self._codes = frozenset(code for _, code in indicator_options("en"))
        p = self.params()
        rows = self._rows(p)
        map_view = self._draw_map(p, rows)
        key = (p.county, self.indicator, p.baseline_year)
        if (key != self._chart_key or self._chart is None) and not self._refocus_chart(p, rows, key):
            self._chart, self._chart_key = self._new_chart(p, rows), key
        move_year_marker(self._chart.figure, p.year)
        chart_view = self._chart.render()
        cells_key = (self.indicator, p.year, bf.page_prefecture(p))
        if cells_key != self._cells_key:  # a new county of the same prefecture only moves the bold row
            records = self._indicator_records(rows)
            self._cells, self._cells_key = _table_cells(p, self.indicator, rows, records), cells_key
        self._table = _styled_table(p, self._cells)
        return map_view, chart_view, self._table.to_html()

    def _new_chart(self, p: Params, rows: pd.DataFrame) -> LayeredFigure:
        """The chart of a new county or indicator. Its lines, labels and legend are its own; for another
        county of the same indicator the frame (axes, ticks, grid, title, note) is usually the one shown,
        and its pixels are taken over instead of drawn again."""
        figure = trend_chart(p, self.indicator, rows)
        marker = [a for a in (*figure.axes[0].lines, *figure.axes[0].texts) if a.get_gid() in _MARKER_GIDS]
        layered = LayeredFigure(figure, _chart_content(figure), marker, dpi=WIDGET_DPI)
        old, same_indicator = self._chart, self._chart_key is not None and self._chart_key[1] == self.indicator
        # another indicator has other titles and ticks: its frame is not compared (laying ticks out costs)
        if old is not None and same_indicator and _frame_key(old.figure) == _frame_key(figure):
            layered.adopt(old)
        return layered

    def _refocus_chart(self, p: Params, rows: pd.DataFrame, key: tuple) -> bool:
        """Another county of the indicator shown: the chart kept, its lines restyled and its labels, targets
        and legend drawn anew (:func:`lcedu.present.charts.trend_highlight`); False when it cannot be."""
        if self._chart is None or self._chart_key is None or self._chart_key[1:] != key[1:]:
            return False
        layered, figure = self._chart, self._chart.figure
        frame = _frame_key(figure)
        series, targets = _chart_inputs(p, rows)
        moved = charts.trend_highlight(figure, series, self.indicator, highlight=p.county, targets=targets, lang=p.lang)
        if moved is None:
            return False
        restyled, removed, added = moved
        for artist in removed:
            layered.discard(artist)
        for artist in added:
            layered.replace(None, artist)
        layered.changed(restyled)
        layered.content = _chart_content(figure)  # drawn in the order a full draw takes (z-order)
        if _frame_key(figure) != frame:  # the targets moved the axis limits: ticks and grid change
            layered.invalidate()
        self._chart_key = key
        return True

    def _rows(self, p: Params) -> pd.DataFrame:
        """The indicator's scorecard rows, split once per session (filtering the whole card costs more than
        drawing a map's labels)."""
        if not self._by_indicator:
            card = bf.card(p.baseline_year, p.plan)
            self._by_indicator = {str(code): rows for code, rows in card.groupby("indicator", sort=False)}
        return self._by_indicator[self.indicator]

    def _indicator_records(self, rows: pd.DataFrame) -> list[dict[str, Any]]:
        """The indicator's rows as dicts, made once per indicator."""
        if self.indicator not in self._records:
            self._records[self.indicator] = rows.to_dict("records")
        return self._records[self.indicator]

    def _draw_map(self, p: Params, rows: pd.DataFrame) -> bytes | str:
        """The map updated in place (drawn afresh the first time, for another prefecture or language, or
        when the new labels would overlap); or the note shown instead."""
        if self._breaks is None:
            self._breaks = map_breaks()
        spec = _map_spec(p, self.indicator, rows, self._breaks, self._indicator_records(rows))
        if isinstance(spec, str):
            self._map = spec
            return spec
        view = self._map_view
        if view is None or view.prefecture != spec.prefecture or view.lang != p.lang or not view.update(p, spec):
            figure = map_figure(p, self.indicator, rows)
            view = self._map_view = _MapView(figure, p, spec)
        self._map = view.figure
        return view.layers.render()

    def table_frame(self) -> pd.DataFrame:
        """The table as shown: every cell as text."""
        if self._table is None:
            self.change()
        return self._table.data.astype(str)

    def save(self, folder: str | Path | None = None) -> list[Path]:
        """The current map as PNG (print resolution) and the table as an Excel sheet, cells stored as text,
        in ``folder`` (default ``reports/explorer/``): ``<county>_<indicator>_<year>.png|.xlsx``."""
        folder = Path(folder) if folder is not None else paths.reports_dir() / "explorer"
        folder.mkdir(parents=True, exist_ok=True)
        if self._table is None:
            self.change()
        stem = f"{self.params().county}_{self.indicator}_{self.year}"
        written = []
        if self._map_view is not None and isinstance(self._map, Figure):
            with self._map_view.layers.whole():
                written.append(_write_atomic(folder / f"{stem}.png", charts.to_png(self._map, dpi=200)))
        written.append(_write_atomic(folder / f"{stem}.xlsx", self._workbook()))
        return written

    def _workbook(self) -> bytes:
        """The table in one sheet: a title row, the header, the rows; every cell text, never a formula."""
        from openpyxl import Workbook
        from openpyxl.styles import Font

        p = self.params()
        book = Workbook()
        sheet = book.active
        sheet.title = _WORDS[self.lang]["sheet"]
        frame = self.table_frame()
        title = f"{p.name} · {indicator_name(self.indicator, self.lang)} · {nv.year_label(p.year, self.lang)}"
        for row, values in enumerate([[title], list(frame.columns), *frame.to_numpy().tolist()], start=1):
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=row, column=column, value=str(value))
                cell.data_type = "s"  # text from the data stays text (a name like =HYPERLINK(…) is not run)
                if row <= 2:
                    cell.font = Font(bold=True)
        for column, name in enumerate(frame.columns, start=1):
            width = max([len(str(name)), *(len(str(v)) for v in frame[name])]) * 2 + 2
            sheet.column_dimensions[sheet.cell(row=2, column=column).column_letter].width = min(width, 40)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def _write_atomic(path: Path, data: bytes) -> Path:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
    return path


def explorer(
    county: object = "530902",
    year: object = None,
    lang: str = "zh",
    *,
    indicator: str = "preschool_gross_enrollment_pct",
    baseline_year: object = None,
    plan: str | None = None,
) -> Any:
    """An ipywidgets box: county / 工程 / search / indicator / year pickers driving a map, a trend chart and
    a table, with buttons that save the map (PNG) and the table (Excel).

    ``year`` / ``baseline_year`` default to the plan's final and baseline years.
    """
    import ipywidgets as widgets
    from IPython.display import Markdown, display

    p = _params(county, year, baseline_year, lang, plan)
    _check_indicator(indicator)
    words = _WORDS[p.lang]
    counties = [(place_name(c, p.lang), c) for c in bf.peer_codes(p)]  # the county's prefecture (临沧's 8)
    session = ExplorerSession(
        p.county if not p.is_city else counties[0][1], indicator, p.year, p.lang, p.baseline_year, p.plan
    )
    pick_county = widgets.Dropdown(options=counties, value=session.county, description=words["county"])
    pick_project = widgets.Dropdown(
        options=[(words["all_projects"], None)] + [(name, key) for key, name, _ in indicator_groups(p.lang)],
        value=None,
        description=words["project"],
        layout=widgets.Layout(width="520px"),
    )
    search = widgets.Text(
        placeholder=words["search_hint"], description=words["search"], layout=widgets.Layout(width="520px")
    )
    found = widgets.HTML()
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
    save_map, save_table = (
        widgets.Button(description=words["save_map"]),
        widgets.Button(description=words["save_table"]),
    )
    for button in (save_map, save_table):
        button.layout = widgets.Layout(width="auto")
    saved = widgets.HTML()

    quiet = {"on": False}  # set while the indicator list is refiltered: one redraw, not one per step

    def update(_: object = None) -> None:
        if quiet["on"] or pick_indicator.value is None:
            return
        views = session.change(county=pick_county.value, indicator=pick_indicator.value, year=pick_year.value)
        for out, view in zip((map_out, chart_out, table_out), views, strict=True):
            out.clear_output(wait=True)
            with out:
                _display_view(view)

    def refilter(_: object = None) -> None:
        options = search_indicators(search.value, p.lang, pick_project.value)
        found.value = (
            words["matches"].format(n=len(options)) if options else words["no_match"].format(text=search.value)
        )
        if not options:
            return
        current = pick_indicator.value
        quiet["on"] = True
        try:
            pick_indicator.options = options  # may reset the value: kept below when it still matches
            pick_indicator.value = current if current in {code for _, code in options} else options[0][1]
        finally:
            quiet["on"] = False
        if pick_indicator.value != current:
            update()

    def save(button: Any) -> None:
        written = session.save()
        chosen = [w for w in written if (w.suffix == ".png") == (button is save_map)]
        saved.value = words["saved"].format(path=", ".join(str(w) for w in chosen))

    for w in (pick_county, pick_indicator, pick_year):
        w.observe(update, names="value")
    search.observe(refilter, names="value")
    pick_project.observe(refilter, names="value")
    save_map.on_click(save)
    save_table.on_click(save)
    update()
    box = widgets.VBox(
        [
            widgets.HTML(f"<h3>{words['title']}</h3>"),
            widgets.HBox([pick_county, pick_year]),
            pick_project,
            widgets.HBox([search, found]),
            pick_indicator,
            widgets.HBox([map_out, chart_out]),
            table_out,
            widgets.HBox([save_map, save_table, saved]),
        ]
    )
    intro = words["intro"].format(
        name=p.name, indicator=indicator_name(indicator, p.lang), year=nv.year_label(p.year, p.lang)
    )
    sample = bf.sample_notice(p.lang)
    display(Markdown(bf.markdown_text(intro) + (f"\n\n{sample}" if sample else "")))
    display(box)
    return None


def _display_view(view: bytes | str) -> None:
    """A PNG at its drawn size, a table's HTML, or a note (a map that cannot be drawn)."""
    from IPython.display import HTML, Image, Markdown, display

    if isinstance(view, bytes):
        display(Image(data=view, format="png"))
    elif view.lstrip().startswith("<"):
        display(HTML(view))
    else:
        display(Markdown(bf.markdown_text(view)))
