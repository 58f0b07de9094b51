"""Charts for the notebooks: trends, ranks, schools against thresholds, bars against norms.

Each function takes tidy frames and returns a plain :class:`matplotlib.figure.Figure`
(no pyplot state, so batch rendering never leaks figures). Chinese text uses Noto Sans
CJK via :func:`lcedu.present.fonts.use_cjk_font`. Colours are the Okabe–Ito palette, safe for
colour-blind readers and distinct in greyscale; met / not met is also told by marker or
label, never by colour alone.

Public API: :func:`trend_panels`, :func:`rank_chart`, :func:`school_ratio_chart`,
:func:`reference_bars`, :func:`county_dots`, :func:`stacked_shares`, :func:`to_png`.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.patheffects as path_effects
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D

from lcedu.ingest.counties import is_aggregate
from lcedu.measure.standards import meets
from lcedu.present.fonts import use_cjk_font
from lcedu.present.narrative import (
    CITY_CODE,
    fmt_value,
    indicator_name,
    is_missing,
    place_name,
    text,
    year_label,
)
from lcedu.present.words import table, word

__all__ = [
    "COLOURS",
    "COUNT_UNITS",
    "county_dots",
    "rank_chart",
    "reference_bars",
    "school_ratio_chart",
    "stacked_shares",
    "to_png",
    "trend_highlight",
    "trend_panels",
]

#: Okabe–Ito colours by role.
COLOURS = {
    "county": "#0072B2",  # blue: the county in focus
    "city": "#E69F00",  # orange: the city aggregate
    "other": "#B8B8B8",  # grey: the other counties
    "target": "#D55E00",  # vermillion: targets and thresholds
    "met": "#0072B2",
    "near": "#E69F00",
    "not_met": "#D55E00",
    "neutral": "#56B4E9",
}
#: Sequential parts of a whole (e.g. 学历 levels), dark to light; colour-blind safe (ColorBrewer Blues).
#: Units of counted things (registry codes): a prefecture's total of these is several times any county's,
#: so trend charts draw it on its own axis rather than flatten the counties' lines.
COUNT_UNITS = frozenset(
    {
        "people",
        "teachers",
        "students",
        "children",
        "schools",
        "kindergartens",
        "classes",
        "classrooms",
        "communities",
        "consortia",
        "majors",
        "studios",
    }
)
#: A white outline behind labels drawn over lines, so a crossing line never hides a digit.
HALO = [path_effects.withStroke(linewidth=2.6, foreground="white")]
PARTS = ("#08519c", "#3182bd", "#6baed6", "#bdd7e7", "#eff3ff")
_NOTE_COLOUR = "#505050"
#: A trend line's gid prefix (then its county code) and the looks of the county in focus and of the others.
_LINE = "trend-"
_LINE_STYLE = {
    "county": {"color": COLOURS["county"], "lw": 2.4, "marker": "o", "ms": 4.5, "zorder": 4},
    "other": {"color": COLOURS["other"], "lw": 0.9, "marker": "None", "zorder": 1},
}


def _new_figure(width: float, height: float, note: str | None = None) -> Figure:
    """A constrained-layout figure; ``note`` (source / sample line) gets its own strip at the top right."""
    use_cjk_font()
    strip = 13 / (height * 72) if note else 0.0  # 13 pt kept free above the panels
    fig = Figure(figsize=(width, height), layout=ConstrainedLayoutEngine(rect=(0, 0, 1, 1 - strip)))
    if note:
        fig.text(0.995, 1 - 2 / (height * 72), note, fontsize=7, color=_NOTE_COLOUR, ha="right", va="top")
    return fig


def _wrap(label: str, lang: str, width: int) -> str:
    """Wrap a label: by characters in Chinese (no line of one or two characters), by words in English."""
    if lang == "zh":  # kept branch: how a script wraps, not a word
        lines = [label[i : i + width] for i in range(0, len(label), width)]
        if len(lines) > 1 and len(lines[-1]) <= 2:
            lines[-2:] = [lines[-2] + lines[-1]]
        return "\n".join(lines)
    return "\n".join(textwrap.wrap(label, width * 2)) or label


def to_png(fig: Figure, dpi: int = 144) -> bytes:
    """The figure as PNG bytes (tight bounding box)."""
    buffer = io.BytesIO()
    # Charts lay themselves out (and reserve the note strip); maps from lcedu.present.maps need a tight box.
    tight = None if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine) else "tight"
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=tight, pad_inches=0.12, facecolor="white")
    return buffer.getvalue()


def trend_panels(
    series: pd.DataFrame,
    indicators: Sequence[str],
    *,
    highlight: str,
    total: str = CITY_CODE,
    targets: pd.DataFrame | None = None,
    lang: str = "zh",
    title: str | None = None,
    columns: int = 3,
    others: bool = True,
    note: str | None = None,
    fixed_layout: bool = False,
) -> Figure:
    """One small line chart per indicator: the county in focus, its prefecture and the other counties.

    ``fixed_layout``: margins set once from the figure's size instead of laid out at every draw (the
    explorer redraws one panel many times: a constrained layout would cost as much as the drawing).

    ``series``: county_code, year, indicator, value (every county and the prefecture's rows);
    ``targets``: indicator, year, target — drawn as vermillion marks with their value.
    ``highlight`` is the county (or ``"530900"``) drawn in blue; ``total`` the prefecture total
    drawn dashed (临沧市 ``"530900"``; 昆明市 ``"530100"`` for a county of 昆明).
    """
    indicators = [i for i in indicators if (series["indicator"] == i).any()]
    n = max(len(indicators), 1)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = _new_figure(3.5 * cols + 0.4, 2.75 * rows + 0.7, note)
    margins = _fixed_margins(fig, note) if fixed_layout else None
    axes = fig.subplots(rows, cols, squeeze=False, gridspec_kw=margins).ravel()
    for ax, code in zip(axes, indicators, strict=False):
        data = series[series["indicator"] == code]
        mine = targets[targets["indicator"] == code] if targets is not None else None
        _trend_panel(ax, data, code, highlight=highlight, total=total, targets=mine, lang=lang, others=others)
    for ax in axes[len(indicators) :]:
        ax.set_visible(False)
    _trend_legend(fig, highlight, total, others, targets is not None and len(targets) > 0, lang, fixed_layout)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    return fig


def _trend_legend(
    fig: Figure, highlight: str, total: str, others: bool, has_targets: bool, lang: str, fixed_layout: bool
) -> Any:
    """The figure's legend below the panels: the county in focus, the total, the other counties, targets."""
    words = table("charts", lang)
    handles = [Line2D([], [], color=COLOURS["county"], lw=2.4, marker="o", label=place_name(highlight, lang))]
    if highlight != total:
        handles.append(Line2D([], [], color=COLOURS["city"], lw=1.6, ls="--", label=place_name(total, lang)))
        if others:
            handles.append(Line2D([], [], color=COLOURS["other"], lw=0.9, label=words["others"]))
    if has_targets:
        handles.append(Line2D([], [], color=COLOURS["target"], lw=2.2, label=words["target"]))
    where = {"loc": "lower center", "bbox_to_anchor": (0.5, 0.0)} if fixed_layout else {"loc": "outside lower center"}
    return fig.legend(handles=handles, ncols=len(handles), frameon=False, fontsize=8, **where)


def trend_highlight(
    fig: Figure,
    series: pd.DataFrame,
    code: str,
    *,
    highlight: str,
    total: str = CITY_CODE,
    targets: pd.DataFrame | None = None,
    lang: str = "zh",
) -> tuple[list[Any], list[Any], list[Any]] | None:
    """Focus a one-panel :func:`trend_panels` chart (``fixed_layout``, other counties drawn) on another
    county, in place: its line takes the county's look and the old one the others' look; the last-value
    label, the targets and the legend are drawn anew. The lines are the same for every county of one
    indicator, so this gives the chart ``trend_panels`` draws for ``highlight`` without building it.

    Returns (restyled, removed, added) artists, or None (nothing changed) when the chart cannot be refocused
    (a total in focus, or no line for ``highlight``).
    """
    ax = fig.axes[0]
    lines = {
        str(line.get_gid()).removeprefix(_LINE): line for line in ax.lines if str(line.get_gid()).startswith(_LINE)
    }
    focus = [county for county, line in lines.items() if line.get_zorder() == _LINE_STYLE["county"]["zorder"]]
    if highlight == total or highlight not in lines or len(focus) != 1 or len(fig.legends) != 1:
        return None
    restyled = [] if focus[0] == highlight else [lines[focus[0]], lines[highlight]]
    if restyled:
        lines[focus[0]].set(markersize=mpl.rcParams["lines.markersize"], **_LINE_STYLE["other"])
        lines[highlight].set(**_LINE_STYLE["county"])
    removed = [a for a in (*ax.lines, *ax.texts) if a.get_gid() in ("target", "target-label", "last-value")]
    removed += fig.legends
    for artist in removed:
        artist.remove()
    data = series[series["indicator"] == code]
    unit = str(data["unit"].iloc[0]) if "unit" in data.columns and len(data) else ""
    mine = targets[targets["indicator"] == code] if targets is not None else None
    before = {id(a) for a in (*ax.lines, *ax.texts)}
    _last_value_label(ax, data[data["county_code"] == highlight].sort_values("year"), unit, lang, mine)
    if mine is not None:
        ax.relim()  # the limits the lines alone give, as when the targets were first placed
        ax.autoscale_view()
        twin = any(other.get_gid() == "total-axis" for other in fig.axes)
        _draw_targets(ax, mine, data[data["county_code"] != total] if twin else data, unit, lang)
    added = [a for a in (*ax.lines, *ax.texts) if id(a) not in before]
    fixed = not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    has_targets = targets is not None and len(targets) > 0
    added.append(_trend_legend(fig, highlight, total, True, has_targets, lang, fixed))
    return restyled, removed, added


def _fixed_margins(fig: Figure, note: str | None) -> dict[str, float]:
    """Fixed margins in inches (the figure then lays nothing out when drawn): tick labels and the
    total's axis at the sides, a two-line title and the note above, the legend below."""
    width, height = fig.get_size_inches()
    fig.set_layout_engine("none")
    top = 0.45 + (13 / 72 if note else 0.0)
    return {"left": 0.62 / width, "right": 1 - 0.62 / width, "bottom": 0.55 / height, "top": 1 - top / height}


def _trend_panel(
    ax: Axes,
    data: pd.DataFrame,
    code: str,
    *,
    highlight: str,
    total: str,
    targets: pd.DataFrame | None,
    lang: str,
    others: bool,
) -> None:
    """One indicator's panel of :func:`trend_panels`. A count's prefecture total gets its own (right) axis."""
    unit = str(data["unit"].iloc[0]) if "unit" in data.columns and len(data) else ""
    peers = data[~data["county_code"].isin([highlight, total])] if others else data.iloc[:0]
    city = data[data["county_code"] == total].sort_values("year")
    has_city = len(city) and city["value"].notna().any()
    own_axis = unit in COUNT_UNITS and has_city and (highlight != total or len(peers))
    city_ax = _total_axis(ax, place_name(total, lang)) if own_axis else ax
    own_ax = city_ax if highlight == total else ax
    for county, rows_ in peers.groupby("county_code"):
        rows_ = rows_.sort_values("year")
        ax.plot(rows_["year"], rows_["value"].astype(float), gid=f"{_LINE}{county}", **_LINE_STYLE["other"])
    if highlight != total and has_city:
        city_ax.plot(city["year"], city["value"].astype(float), color=COLOURS["city"], lw=1.6, ls="--", zorder=2)
    own = data[data["county_code"] == highlight].sort_values("year")
    values = own["value"].astype(float)
    own_ax.plot(own["year"], values, gid=f"{_LINE}{highlight}", **_LINE_STYLE["county"])
    _last_value_label(own_ax, own, unit, lang, targets)
    if targets is not None:
        lines = data if not own_axis else (city if highlight == total else pd.concat([peers, own]))
        _draw_targets(own_ax, targets, lines, unit, lang)
    years = sorted(int(y) for y in data["year"].dropna().unique())
    ax.set_xticks(years)
    ax.set_xticklabels([year_label(y, lang, short=True) for y in years], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(_wrap(indicator_name(code, lang), lang, 16), fontsize=9.5, loc="left")
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if years:
        ax.set_xlim(years[0] - 0.35, years[-1] + 0.75)


def _last_value_label(ax: Axes, own: pd.DataFrame, unit: str, lang: str, targets: pd.DataFrame | None) -> None:
    """The county's latest known value written beside its line's last point."""
    values = own["value"].astype(float)
    known = own[values.notna()]
    if len(known):
        last = known.iloc[-1]
        limits = list(targets["target"]) if targets is not None else None
        ax.annotate(
            fmt_value(last["value"], unit, lang, thresholds=limits),
            (last["year"], float(last["value"])),
            xytext=(7, 0),
            textcoords="offset points",
            fontsize=8,
            color=COLOURS["county"],
            ha="left",
            va="center",
            path_effects=HALO,
            gid="last-value",
        )


def _total_axis(ax: Axes, name: str) -> Axes:
    """A right-hand axis for the prefecture's total, in its colour and named, so the counties keep their scale."""
    twin = ax.twinx()
    twin.set_gid("total-axis")
    twin.tick_params(axis="y", labelsize=8, colors=COLOURS["city"])
    twin.spines[["top", "left"]].set_visible(False)
    twin.spines["right"].set_color(COLOURS["city"])
    twin.set_ylabel(name, fontsize=8, color=COLOURS["city"])
    return twin


def _draw_targets(ax: Axes, targets: pd.DataFrame, lines: pd.DataFrame, unit: str, lang: str) -> None:
    """Target marks with a haloed label above or below the mark, on the side the plotted lines leave free."""
    low, high = ax.get_ylim()
    band = (high - low) * 0.18 or 1.0
    for _, t in targets.iterrows():
        if is_missing(t["target"]):
            continue
        target = float(t["target"])
        ax.plot(
            [t["year"] - 0.3, t["year"] + 0.3],
            [target, target],
            color=COLOURS["target"],
            lw=2.2,
            zorder=3,
            gid="target",
        )
        near = lines.loc[(lines["year"] - t["year"]).abs() <= 0.5, "value"].astype(float).dropna()
        above = int(((near > target) & (near <= target + band)).sum())
        below = int(((near < target) & (near >= target - band)).sum())
        up = above <= below
        ax.annotate(
            f"{word('charts.target', lang)} {fmt_value(target, unit, lang, decimals=_target_decimals(t))}",
            (t["year"], target),
            xytext=(0, 4 if up else -4),
            textcoords="offset points",
            fontsize=7,
            color=COLOURS["target"],
            ha="center",
            va="bottom" if up else "top",
            path_effects=HALO,
            zorder=5,
            gid="target-label",
        )


def _target_decimals(row: pd.Series) -> int:
    value = float(row["target"])
    return 0 if value == round(value) else (1 if value * 10 == round(value * 10) else 2)


def rank_chart(
    values: pd.DataFrame,
    *,
    highlight: str,
    lang: str = "zh",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Where the county stands among the counties on each indicator (right = better).

    ``values``: indicator, county_code, value, direction ("higher"/"lower"), rank,
    rank_count — one row per county and indicator of one year. Each row of the chart
    spreads the counties from the worst (left) to the best (right) value.
    """
    codes = list(dict.fromkeys(values["indicator"]))
    fig = _new_figure(8.6, 0.42 * len(codes) + 1.3, note)
    ax = fig.subplots()
    words = table("charts", lang)
    for i, code in enumerate(codes):
        rows = values[values["indicator"] == code]
        v = rows["value"].astype(float)
        sign = -1.0 if str(rows["direction"].iloc[0]) == "lower" else 1.0
        lo, hi = np.nanmin(v * sign), np.nanmax(v * sign)
        span = hi - lo if hi > lo else 1.0
        pos = ((v * sign) - lo) / span
        y = len(codes) - 1 - i
        ax.plot([0, 1], [y, y], color="#eeeeee", lw=6, solid_capstyle="round", zorder=0)
        own = rows["county_code"] == highlight
        ax.scatter(pos[~own], np.full((~own).sum(), y), s=26, color=COLOURS["other"], zorder=2)
        if own.any() and pd.notna(pos[own].iloc[0]):
            r = rows[own].iloc[0]
            ax.scatter(pos[own], [y], s=70, color=COLOURS["county"], zorder=3, edgecolor="white", lw=0.8)
            label = words["rank"].format(rank=int(r["rank"]), n=int(r["rank_count"])) if pd.notna(r["rank"]) else ""
            ax.annotate(
                label,
                (float(pos[own].iloc[0]), y),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=7.5,
                color=COLOURS["county"],
            )
    ax.set_yticks(range(len(codes)))
    ax.set_yticklabels([_wrap(indicator_name(c, lang), lang, 22) for c in reversed(codes)], fontsize=8.5)
    ax.set_xlim(-0.06, 1.06)
    ax.set_ylim(-0.7, len(codes) - 0.3)
    ax.set_xticks([0, 1])
    ax.set_xticklabels([words["worse"], words["better"]], fontsize=8.5)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, loc="left", fontsize=12)
    return fig


def school_ratio_chart(
    parts: pd.DataFrame,
    resources: Mapping[str, str],
    *,
    floor: float,
    lang: str = "zh",
    title: str | None = None,
    stage_names: Mapping[str, str] | None = None,
    note: str | None = None,
) -> Figure:
    """Every assessed school part against each of the 7 thresholds, one panel per 学段.

    ``parts``: :func:`lcedu.measure.indicators.school_indicators` rows; ``resources``: code →
    display name; ``floor``: the standards' floor ratio
    (:func:`lcedu.measure.standards.school_rule`). x is value ÷ threshold (1 = just meets, cut
    at 3); blue dots meet, orange reach the floor, vermillion fall below it (the one rule,
    :func:`lcedu.measure.standards.meets`).
    """
    stages = [s for s in ("primary", "junior") if (parts["stage"] == s).any()]
    fig = _new_figure(10.5, 0.5 * len(resources) * 1 + 1.6, note)
    axes = fig.subplots(1, max(len(stages), 1), sharey=True, squeeze=False).ravel()
    words = table("charts", lang)
    rng = np.random.default_rng(7)
    codes = list(resources)
    for ax, stage in zip(axes, stages, strict=False):
        rows = parts[parts["stage"] == stage]
        for i, code in enumerate(codes):
            ratio = rows[f"{code}_to_threshold"].to_numpy(dtype=float, na_value=np.nan)
            ratio = ratio[~np.isnan(ratio)]
            y = len(codes) - 1 - i + rng.uniform(-0.18, 0.18, len(ratio))
            met = meets(ratio, 1.0, "at_least") == 1.0
            colour = np.where(
                met,
                COLOURS["met"],
                np.where(meets(ratio, floor, "at_least") == 1.0, COLOURS["near"], COLOURS["not_met"]),
            )
            marker_sizes = np.where(met, 10, 26)
            ax.scatter(np.minimum(ratio, 3.0), y, c=colour, s=marker_sizes, alpha=0.75, lw=0)
        ax.axvline(1.0, color="#333333", lw=1)
        ax.axvline(floor, color=COLOURS["target"], lw=1, ls="--")
        ax.set_xlim(0, 3.05)
        ax.set_title((stage_names or {}).get(stage, stage), loc="left", fontsize=11)
        ax.set_xlabel(words["to_threshold"], fontsize=8.5)
        ax.grid(axis="x", color="#eeeeee", lw=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=8)
    axes[0].set_yticks(range(len(codes)))
    axes[0].set_yticklabels([_wrap(resources[c], lang, 14) for c in reversed(codes)], fontsize=8.5)
    handles = [
        Line2D([], [], ls="", marker="o", color=COLOURS["met"], label=words["met"]),
        Line2D([], [], ls="", marker="o", color=COLOURS["near"], label=words["near"]),
        Line2D([], [], ls="", marker="o", color=COLOURS["not_met"], label=words["below"]),
        Line2D([], [], color=COLOURS["target"], ls="--", label=words["floor"]),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    return fig


def reference_bars(
    panels: Mapping[str, pd.DataFrame],
    *,
    direction: str = "higher",
    unit: str = "",
    lang: str = "zh",
    title: str | None = None,
    reference_label: str | None = None,
    note: str | None = None,
) -> Figure:
    """Horizontal bars of values against a reference per bar (a threshold or a norm).

    ``panels``: panel title → frame with label, value, reference and optionally ``is_met``
    (the measure layer's verdict; without it the one rule :func:`lcedu.measure.standards.meets`
    decides, ≥ for ``direction="higher"``, ≤ for "lower"). A bar meeting its reference is
    blue, else vermillion and labelled; the reference is a black tick.
    """
    n = len(panels)
    longest = max((len(p) for p in panels.values()), default=1)
    fig = _new_figure(5.0 * n + 0.6, 0.42 * longest + 1.4, note)
    axes = fig.subplots(1, n, squeeze=False).ravel()
    words = table("charts", lang)
    for ax, (panel, frame) in zip(axes, panels.items(), strict=True):
        frame = frame.reset_index(drop=True)
        y = np.arange(len(frame))[::-1]
        v = frame["value"].to_numpy(dtype=float, na_value=np.nan)
        ref = frame["reference"].to_numpy(dtype=float, na_value=np.nan)
        if "is_met" in frame.columns:
            ok = frame["is_met"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        else:
            ok = meets(v, ref, "at_least" if direction == "higher" else "at_most") == 1.0
        ax.barh(y, np.nan_to_num(v), color=np.where(ok, COLOURS["met"], COLOURS["not_met"]), height=0.62)
        ax.scatter(ref, y, marker="|", s=420, color="#222222", lw=2, zorder=3)
        top = np.nanmax(np.concatenate([v, ref])) if len(v) else 1.0
        for yi, vi, ri, oki in zip(y, v, ref, ok, strict=True):
            if not np.isnan(vi):
                ax.annotate(
                    fmt_value(vi, unit, lang, thresholds=ri) + ("" if oki else " ×"),
                    (vi, yi),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7.5,
                    color="#222222" if oki else COLOURS["not_met"],
                )
        ax.set_xlim(0, top * 1.25 if top > 0 else 1)
        ax.set_yticks(y)
        ax.set_yticklabels([_wrap(str(s), lang, 16) for s in frame["label"]], fontsize=8.5)
        ax.set_title(panel, loc="left", fontsize=10.5)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=8)
    handles = [
        Line2D([], [], ls="", marker="s", color=COLOURS["met"], label=words["met"]),
        Line2D([], [], ls="", marker="s", color=COLOURS["not_met"], label=text("not_met", lang)),
        Line2D(
            [],
            [],
            ls="",
            marker="|",
            markersize=12,
            mew=2,
            color="#222222",
            label=reference_label or (words["threshold"] if direction == "higher" else words["limit"]),
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    return fig


def county_dots(
    values: pd.Series,
    *,
    highlight: str | None,
    unit: str = "",
    target: float | None = None,
    target_label: str | None = None,
    lang: str = "zh",
    title: str | None = None,
    direction: str = "higher",
    note: str | None = None,
) -> Figure:
    """The counties' (and their prefecture's) values of one indicator as a sorted dot chart, best on top.

    Dots rather than bars: rates cluster near their targets (90–100 %), and a dot chart may
    zoom to that range honestly. The target is a dashed vermillion line.
    """
    known = values.astype(float)
    order = known.sort_values(ascending=direction == "lower", na_position="last").index
    known = known.reindex(order)
    fig = _new_figure(6.8, 0.34 * len(known) + 1.3, note)
    ax = fig.subplots()
    y = np.arange(len(known))[::-1]
    v = known.to_numpy()
    span = [x for x in (*v, target) if x is not None and not is_missing(x) and not np.isnan(float(x))]
    lo, hi = (min(span), max(span)) if span else (0.0, 1.0)
    pad = (hi - lo) * 0.12 or max(abs(hi) * 0.05, 1.0)
    for yi, (code, value) in zip(y, known.items(), strict=True):
        ax.axhline(yi, color="#eeeeee", lw=0.8, zorder=0)
        if np.isnan(value):
            ax.annotate(text("missing", lang), (lo - pad * 0.5, yi), va="center", fontsize=8, color=_NOTE_COLOUR)
            continue
        own, city = code == highlight, is_aggregate(code)  # the prefecture's total: a diamond
        ax.scatter(
            [value],
            [yi],
            s=90 if own else 55,
            marker="D" if city else "o",
            zorder=3,
            color=COLOURS["county"] if own else (COLOURS["city"] if city else "#9ecae1"),
            edgecolor="white",
            lw=0.8,
        )
        ax.annotate(
            fmt_value(value, unit, lang, thresholds=target),
            (value, yi),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=COLOURS["county"] if own else "#222222",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([place_name(c, lang) for c in known.index], fontsize=9)
    ax.set_xlim(lo - pad, hi + pad * 1.6)
    ax.set_ylim(-0.6, len(known) - 0.1)
    if target is not None and not is_missing(target):
        ax.axvline(float(target), color=COLOURS["target"], ls="--", lw=1.4, zorder=1)
        ax.annotate(
            target_label or word("charts.target", lang),
            (float(target), len(known) - 0.35),
            fontsize=8,
            color=COLOURS["target"],
            ha="center",
            va="bottom",
            annotation_clip=False,
        )
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, loc="left", fontsize=11.5, pad=14)
    return fig


def stacked_shares(
    frame: pd.DataFrame,
    *,
    lang: str = "zh",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """100 % stacked horizontal bars: rows are groups (e.g. 学段), columns the parts' shares in per cent.

    ``frame`` holds shares computed by the measure layer (e.g.
    :func:`lcedu.measure.teachers.teacher_qualifications`); a missing share draws nothing.
    """
    shares = frame.astype(float)
    fig = _new_figure(8.6, 0.5 * len(frame) + 1.5, note)
    ax = fig.subplots()
    y = np.arange(len(frame))[::-1]
    left = np.zeros(len(frame))
    colours = list(PARTS)[: frame.shape[1]]
    for j, column in enumerate(frame.columns):
        width = shares[column].fillna(0).to_numpy(dtype=float)
        ax.barh(
            y,
            width,
            left=left,
            color=colours[j % len(colours)],
            height=0.62,
            label=str(column),
            edgecolor="white",
            lw=0.6,
        )
        for yi, li, wi in zip(y, left, width, strict=True):
            if wi >= 6:
                ax.text(
                    li + wi / 2,
                    yi,
                    f"{wi:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if j < 2 else "#222222",
                )
        left += width
    ax.set_yticks(y)
    ax.set_yticklabels([str(i) for i in frame.index], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel(word("charts.share", lang) + " (%)", fontsize=8.5)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=frame.shape[1], frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11.5)
    return fig
