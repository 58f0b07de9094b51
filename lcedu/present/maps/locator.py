"""The locator map: one county highlighted among the counties of its prefecture, for county briefings."""

from __future__ import annotations

from matplotlib import patheffects
from matplotlib.axes import Axes

from lcedu.ingest.counties import area_name, registry
from lcedu.present.fonts import use_cjk_font
from lcedu.present.maps import boundaries
from lcedu.present.maps.classes import Classification
from lcedu.present.maps.furniture import (
    CONTEXT_COLOUR,
    HIGHLIGHT_COLOUR,
    add_north_arrow,
    add_scale_bar,
    draw_panel,
    new_figure,
)
from lcedu.present.maps.words import Lang, county_names
from lcedu.present.words import word


def locator_map(county_code: str, *, ax: Axes | None = None, title: str | None = None, lang: Lang = "zh") -> Axes:
    """One county highlighted among the counties of its prefecture, for county briefings.

    临沧's counties use the shipped 临沧 file; any other county its prefecture's shapes (shipped
    for 云南, else built by ``lcedu shapes``).
    """
    counties = boundaries.projected_counties()
    code = str(county_code)
    prefecture = word("text.city", lang)
    if code not in set(counties["county_code"]):
        known = registry().set_index("county_code")
        if code not in known.index:
            raise ValueError(f"unknown county code {county_code!r}")
        counties = boundaries.scope_shapes("prefecture", str(known.at[code, "prefecture_code"]))[0].copy()
        prefecture = area_name(str(known.at[code, "prefecture_code"]), lang)  # 昆明市 / Kunming
    fills = {other: HIGHLIGHT_COLOUR if other == code else CONTEXT_COLOUR for other in counties["county_code"]}
    if ax is None:
        ax = new_figure(4.2, 4.6).add_axes((0.03, 0.03, 0.94, 0.84))
    else:
        use_cjk_font()
    names = county_names(counties, lang)
    draw_panel(ax, counties, Classification(fills, [], ""), names, label_size=8, first=code)
    highlighted = next(t for t in ax.texts if t.get_gid() == f"county-label-{code}")
    highlighted.set_color("white")
    highlighted.set_path_effects([patheffects.withStroke(linewidth=2.2, foreground="#1b4f72")])
    heading = title or word("maps.locator_title", lang, name=names[code], prefecture=prefecture)
    ax.set_title(heading, loc="left", fontsize=11)
    add_north_arrow(ax)
    add_scale_bar(ax, fontsize=7)
    return ax
