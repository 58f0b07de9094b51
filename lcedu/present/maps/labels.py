"""County labels that never overlap: inside their county where they fit, else moved to the nearest free spot;
and titles broken at punctuation to fit their panel."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.ops import polylabel

from lcedu.present.maps.classes import format_value
from lcedu.present.maps.words import Lang, county_names
from lcedu.present.narrative import decimals_near

LABEL_OFFSETS_PT = (4, 8, 12, 16, 22, 28, 36)


LABEL_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


LABEL_PADDING_PX = 2.0


def _label_anchor(geometry: shapely.Geometry) -> tuple[float, float]:
    """Pole of inaccessibility of the largest part: the most central point inside it."""
    largest = max(shapely.get_parts(geometry), key=lambda part: part.area)
    point = polylabel(largest, tolerance=200.0)
    return point.x, point.y


def _candidate_offsets() -> list[tuple[float, float]]:
    rings = [
        (radius * dx / math.hypot(dx, dy), radius * dy / math.hypot(dx, dy))
        for radius in LABEL_OFFSETS_PT
        for dx, dy in LABEL_DIRECTIONS
    ]
    return [(0.0, 0.0), *rings]


def _overlap_area(box: Bbox, others: Sequence[Bbox]) -> float:
    intersections = (Bbox.intersection(box, other) for other in others)
    return sum(i.width * i.height for i in intersections if i is not None)


def place_labels(
    ax: Axes,
    labels: Sequence[tuple[Text, shapely.Geometry]],
    placed: list[Bbox] | None = None,
    *,
    drop_overlapping: bool = False,
) -> list[Text]:
    """Greedy placement: big counties first; each label takes the nearest candidate offset
    that overlaps no placed label (``placed``: boxes already taken, extended in place) and keeps
    its centre inside its county. With ``drop_overlapping`` a label that overlaps wherever it goes
    is removed instead; the labels kept are returned."""
    ax.apply_aspect()
    to_display = ax.transData
    to_data = to_display.inverted()
    pixels_per_point = ax.figure.dpi / 72.0
    placed = [] if placed is None else placed
    kept: list[Text] = []
    for text, geometry in sorted(labels, key=lambda item: -item[1].area):
        anchor = to_display.transform(text.get_position())
        box = text.get_window_extent().padded(LABEL_PADDING_PX)
        scored = []
        for rank, (dx, dy) in enumerate(_candidate_offsets()):
            shift = np.array([dx, dy]) * pixels_per_point
            moved = box.translated(*shift)
            centre = shapely.Point(to_data.transform(anchor + shift))
            overlap = _overlap_area(moved, placed)
            scored.append((overlap > 0, not geometry.contains(centre), overlap, rank, shift))
            if overlap == 0 and geometry.contains(centre):
                break
        overlapping, *_, shift = min(scored, key=lambda item: item[:4])
        if overlapping and drop_overlapping:
            text.remove()
            continue
        text.set_position(to_data.transform(anchor + shift))
        placed.append(box.translated(*shift))
        kept.append(text)
    return kept


def add_county_labels(
    ax: Axes, counties: gpd.GeoDataFrame, texts: Mapping[str, str], fontsize: float, first: str | None = None
) -> list[Text]:
    """Labels of a prefecture map that never overlap: first every label that fits inside its county
    (:func:`_fitting_label`, the rule of the province map), then the others moved to the nearest
    free spot; where there is none (昆明's small central districts) the name alone is tried, and a
    county with no free spot even for its name stays unlabelled. 临沧's 8 counties all fit. ``first``: a
    county labelled before all others, so always (the county a locator map is about)."""
    ax.apply_aspect()
    style = {
        "fontsize": fontsize,
        "linespacing": 1.15,
        "path_effects": [patheffects.withStroke(linewidth=2.2, foreground="white")],
    }
    shapes = {
        code: geometry
        for code, geometry in zip(counties["county_code"], counties.geometry, strict=True)
        if code in texts
    }
    placed: list[Bbox] = []
    if first in shapes:
        geometry = shapes.pop(first)
        lead = _fitting_label(ax, geometry, [texts[first]], gid=f"county-label-{first}", **style)
        if lead is None:  # nothing is placed yet: it takes its best spot
            lead = _anchored_text(ax, geometry, texts[first], gid=f"county-label-{first}", **style)
            place_labels(ax, [(lead, geometry)], placed)
        else:
            placed.append(lead.get_window_extent().padded(LABEL_PADDING_PX))
    inside = {
        code: _fitting_label(ax, geometry, [texts[code]], gid=f"county-label-{code}", **style)
        for code, geometry in shapes.items()
    }
    placed += [text.get_window_extent().padded(LABEL_PADDING_PX) for text in inside.values() if text is not None]
    rest = [code for code, text in inside.items() if text is None]
    moved = {code: _anchored_text(ax, shapes[code], texts[code], gid=f"county-label-{code}", **style) for code in rest}
    kept = place_labels(ax, [(moved[code], shapes[code]) for code in rest], placed, drop_overlapping=True)
    names = {code: texts[code].split("\n")[0] for code in rest if moved[code] not in kept}
    short = {
        code: _anchored_text(ax, shapes[code], name, gid=f"county-label-{code}", **style)
        for code, name in names.items()
        if name != texts[code]
    }
    place_labels(ax, [(short[code], shapes[code]) for code in short], placed, drop_overlapping=True)
    return [text for text in ax.texts if str(text.get_gid()).startswith("county-label-")]


def _anchored_text(ax: Axes, geometry: shapely.Geometry, label: str, **style: Any) -> Text:
    """A county's label text at the most central point of its county."""
    x, y = _label_anchor(geometry)
    return ax.text(x, y, label, ha="center", va="center", **style)


def _fitting_label(ax: Axes, geometry: shapely.Geometry, options: Sequence[str], **style: Any) -> Text | None:
    """The first of ``options`` that, at the county's most central point, lies wholly inside the county;
    None (and nothing left drawn) if none does. The one label rule of every map: a label inside its own
    county cannot cross another county's label."""
    for option in options:
        text = _anchored_text(ax, geometry, option, **style)
        if _label_fits(text, geometry, ax):
            return text
        text.remove()
    return None


def _label_fits(text: Text, geometry: shapely.Geometry, ax: Axes) -> bool:
    """The label's box, at its anchor and at the figure's scale, lies inside its county."""
    to_data = ax.transData.inverted()
    box = text.get_window_extent().padded(1.0)
    (x0, y0), (x1, y1) = to_data.transform([(box.x0, box.y0), (box.x1, box.y1)])
    return bool(geometry.contains(shapely.box(x0, y0, x1, y1)))


def add_fitting_labels(
    ax: Axes, county_frame: gpd.GeoDataFrame, choices: Mapping[str, Sequence[str]], fontsize: float
) -> list[Text]:
    """Per county, the first text that fits inside it (name and value, else the name), else none.

    A label never crosses its county's border, so labels cannot overlap each other either.
    """
    ax.apply_aspect()
    halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
    placed = []
    for code, geometry in zip(county_frame["county_code"], county_frame.geometry, strict=True):
        text = _fitting_label(
            ax,
            geometry,
            choices.get(code, ()),
            fontsize=fontsize,
            linespacing=1.1,
            path_effects=halo,
            gid=f"county-label-{code}",
        )
        if text is not None:
            placed.append(text)
    return placed


def value_label_texts(
    counties: gpd.GeoDataFrame,
    values: pd.Series,
    lang: Lang,
    decimals: int,
    signed: bool,
    target: float | None = None,
) -> dict[str, str]:
    r"""'双江自治县\\n85.3' per county; counties without a value show their name only.

    On a target map a value near the target gets the decimals that keep it on its side
    (94.96 in a 未达标 county, never 95.0), as the pages show it.
    """
    names = county_names(counties, lang)
    known = values.dropna()
    return {
        code: f"{name}\n{format_value(known[code], decimals_near(known[code], target, decimals), signed)}"
        if code in known
        else name
        for code, name in names.items()
    }


_BREAK_AFTER = "，,；;）)"


_BREAK_BEFORE = "（("


def fit_to_width(text: Text, width: float) -> Text:
    """Break a text's long lines at punctuation (after ，；） or before （) so each fits ``width`` display
    pixels: a panel title wider than its panel widens the saved figure, and one year's map would then
    be drawn smaller than another's. A line without such a break is left as it is."""
    renderer = text.get_figure().canvas.get_renderer()
    original = text.get_text()

    def fits(line: str) -> bool:
        text.set_text(line)
        return text.get_window_extent(renderer).width <= width

    lines: list[str] = []
    for line in original.split("\n"):
        while not fits(line):
            cuts = [i + 1 for i, c in enumerate(line[:-1]) if c in _BREAK_AFTER]
            cuts += [i for i, c in enumerate(line) if c in _BREAK_BEFORE and i > 0]
            cut = next((i for i in sorted(set(cuts), reverse=True) if fits(line[:i])), None)
            if cut is None:
                break
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    text.set_text("\n".join(lines))
    return text
