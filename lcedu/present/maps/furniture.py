"""Map furniture and the parts every map shares: figures, county fills and outlines, legend, north arrow, km scale
bar, source line, and the single- and multi-panel layouts.

Figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas (no pyplot state, safe in batch jobs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from lcedu.present.fonts import use_cjk_font
from lcedu.present.maps.classes import Classification
from lcedu.present.maps.labels import add_county_labels
from lcedu.present.maps.words import Lang
from lcedu.present.words import word

NO_DATA_FACE = "#f2f2f2"


NO_DATA_HATCH_COLOUR = "#a0a0a0"


HIGHLIGHT_COLOUR = "#2c7fb8"


CONTEXT_COLOUR = "#e6e6e6"


COUNTY_EDGE = "white"


OUTLINE_COLOUR = "#404040"


NOTE_COLOUR = "#505050"


PREFECTURE_EDGE_WIDTH = 0.9


PROVINCE_EDGE_WIDTH = 1.3


SCOPE_COUNTY_EDGE_WIDTH = 0.3


def new_figure(width_in: float, height_in: float) -> Figure:
    """A pyplot-free figure with an Agg canvas, so text can be measured before saving."""
    use_cjk_font()
    figure = Figure(figsize=(width_in, height_in), facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def geometry_path(geometry: shapely.Geometry) -> MplPath:
    """Matplotlib path for a (multi)polygon, holes included."""
    rings = []
    for polygon in shapely.get_parts(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)
            codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
            codes[0], codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            rings.append(MplPath(coords, codes))
    return MplPath.make_compound_path(*rings)


def draw_counties(ax: Axes, counties: gpd.GeoDataFrame, fills: Mapping[str, str]) -> None:
    for code, geometry in zip(counties["county_code"], counties.geometry, strict=True):
        fill = fills.get(code)
        style = (
            {"facecolor": fill}
            if fill is not None
            else {"facecolor": NO_DATA_FACE, "hatch": "////", "hatchcolor": NO_DATA_HATCH_COLOUR}
        )
        patch = PathPatch(geometry_path(geometry), edgecolor=COUNTY_EDGE, linewidth=0.8, **style)
        patch.set_gid(f"county-{code}")
        ax.add_artist(patch)  # add_patch would re-derive limits from every vertex: slow
    outline = PathPatch(
        geometry_path(counties.union_all()),
        facecolor="none",
        edgecolor=OUTLINE_COLOUR,
        linewidth=1.0,
    )
    outline.set_gid("prefecture-outline")
    ax.add_artist(outline)


def draw_scope(
    ax: Axes, county_frame: gpd.GeoDataFrame, prefectures: gpd.GeoDataFrame, fills: Mapping[str, str]
) -> None:
    """Counties filled with thin white borders, prefecture outlines thicker, the whole outlined thickest."""
    for code, geometry in zip(county_frame["county_code"], county_frame.geometry, strict=True):
        fill = fills.get(code)
        style = (
            {"facecolor": fill}
            if fill is not None
            else {"facecolor": NO_DATA_FACE, "hatch": "////", "hatchcolor": NO_DATA_HATCH_COLOUR}
        )
        patch = PathPatch(geometry_path(geometry), edgecolor=COUNTY_EDGE, linewidth=SCOPE_COUNTY_EDGE_WIDTH, **style)
        patch.set_gid(f"county-{code}")
        ax.add_artist(patch)
    for code, geometry in zip(prefectures["prefecture_code"], prefectures.geometry, strict=True):
        outline = PathPatch(
            geometry_path(geometry), facecolor="none", edgecolor=OUTLINE_COLOUR, linewidth=PREFECTURE_EDGE_WIDTH
        )
        outline.set_gid(f"prefecture-outline-{code}")
        ax.add_artist(outline)
    whole = PathPatch(
        geometry_path(prefectures.union_all()), facecolor="none", edgecolor="black", linewidth=PROVINCE_EDGE_WIDTH
    )
    whole.set_gid("scope-outline")
    ax.add_artist(whole)


def frame_map(ax: Axes, counties: gpd.GeoDataFrame, margin: float = 0.03) -> None:
    min_x, min_y, max_x, max_y = counties.total_bounds
    pad = margin * max(max_x - min_x, max_y - min_y)
    ax.set_xlim(min_x - pad, max_x + pad)
    ax.set_ylim(min_y - pad, max_y + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()


def add_north_arrow(ax: Axes, x: float = 0.95, y: float = 0.97) -> None:
    arrow = ax.annotate(
        "",
        xy=(x, y - 0.045),
        xytext=(x, y - 0.13),
        xycoords="axes fraction",
        arrowprops={
            "facecolor": "black",
            "edgecolor": "black",
            "width": 1.5,
            "headwidth": 8,
            "headlength": 9,
        },
    )
    arrow.set_gid("north-arrow")
    ax.text(
        x,
        y,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=10,
        gid="north-arrow-label",
    )


def _nice_length(approximate: float) -> float:
    magnitude = 10 ** math.floor(math.log10(approximate))
    return max(m * magnitude for m in (1, 2, 5) if m * magnitude <= approximate)


def add_scale_bar(ax: Axes, fontsize: float = 8) -> None:
    """A km bar about a fifth of the map width (UTM metres are true distances here)."""
    x_min, x_max = ax.get_xlim()
    length_m = _nice_length((x_max - x_min) / 5)
    bar = AnchoredSizeBar(
        ax.transData,
        length_m,
        f"{length_m / 1000:g} km",
        loc="lower left",
        pad=0.3,
        borderpad=0.4,
        sep=3,
        frameon=False,
        color="black",
        size_vertical=(x_max - x_min) / 250,
        fontproperties=FontProperties(size=fontsize),
    )
    bar.set_gid("scale-bar")
    ax.add_artist(bar)


def legend_handles(classification: Classification, with_no_data: bool, lang: Lang) -> list:
    handles = [
        Patch(facecolor=colour, edgecolor="#808080", linewidth=0.5, label=label)
        for label, colour in classification.legend
    ]
    if with_no_data:
        handles.append(
            Patch(
                facecolor=NO_DATA_FACE,
                edgecolor="#808080",
                linewidth=0.5,
                hatch="////",
                hatchcolor=NO_DATA_HATCH_COLOUR,
                label=classification.no_data_label or word("maps.no_data", lang),
            )
        )
    return handles


def has_no_data(counties: gpd.GeoDataFrame, classification: Classification) -> bool:
    return not set(counties["county_code"]) <= set(classification.fills)


def _add_source_note(ax: Axes, text: str) -> None:
    ax.text(
        0.0,
        -0.01,
        text,
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=7,
        color=NOTE_COLOUR,
        gid="source-note",
    )


def draw_panel(
    ax: Axes,
    counties: gpd.GeoDataFrame,
    classification: Classification,
    label_texts: Mapping[str, str],
    label_size: float,
    first: str | None = None,
) -> None:
    """Fills, outline and non-overlapping labels: the part every map shares."""
    draw_counties(ax, counties, classification.fills)
    frame_map(ax, counties)
    add_county_labels(ax, counties, label_texts, label_size, first=first)


def single_map_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        use_cjk_font()
        return ax
    figure = new_figure(7.4, 6.6)
    return figure.add_axes((0.02, 0.06, 0.66, 0.86))


def single_map_legend(ax: Axes, classification: Classification, with_no_data: bool, lang: Lang) -> Legend:
    """A single map's legend, right of the map (the explorer redraws it in place with the same placement)."""
    legend = ax.legend(
        handles=legend_handles(classification, with_no_data, lang),
        title=classification.legend_title or None,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        fontsize=9,
        title_fontsize=9,
        alignment="left",
    )
    legend.set_gid("map-legend")
    return legend


def finish_single_map(
    ax: Axes,
    counties: gpd.GeoDataFrame,
    classification: Classification,
    title: str,
    source_note: str,
    lang: Lang,
) -> Axes:
    single_map_legend(ax, classification, has_no_data(counties, classification), lang)
    ax.set_title(title, loc="left", fontsize=13, pad=10)
    add_north_arrow(ax)
    add_scale_bar(ax)
    _add_source_note(ax, source_note)
    return ax


def _grid_shape(panels: int) -> tuple[int, int]:
    columns = 2 if panels == 4 else min(panels, 3)
    return math.ceil(panels / columns), columns


def panel_figure(
    panels: int, panel_size: tuple[float, float], legend_width: float = 1.9, header: float = 0.8
) -> tuple[Figure, list[Axes]]:
    """Fixed layout (no constrained layout), so labels placed now stay clear of each other. ``header``:
    inches above the panels for the title and the panels' own titles."""
    rows, columns = _grid_shape(panels)
    width = panel_size[0] * columns + legend_width
    height = panel_size[1] * rows + header + 0.2
    figure = new_figure(width, height)
    grid = figure.add_gridspec(
        rows,
        columns,
        left=0.01,
        right=1 - (legend_width + 0.1) / width,
        top=1 - header / height,
        bottom=0.3 / height,
        wspace=0.04,
        hspace=0.16,
    )
    axes = [figure.add_subplot(grid[i // columns, i % columns]) for i in range(panels)]
    return figure, axes


def finish_panel_figure(
    figure: Figure,
    legend: Classification,
    with_no_data: bool,
    heading: str,
    note: str,
    lang: Lang,
) -> Figure:
    """One legend, title and source line for a multi-panel figure."""
    panels_right = max(ax.get_position(original=True).x1 for ax in figure.axes)
    figure_legend = figure.legend(
        handles=legend_handles(legend, with_no_data, lang),
        title=legend.legend_title or None,
        loc="center left",
        bbox_to_anchor=(panels_right + 0.01, 0.5),
        frameon=False,
        fontsize=9,
        title_fontsize=9,
        alignment="left",
    )
    figure_legend.set_gid("map-legend")
    figure.suptitle(heading, x=0.02, y=0.985, ha="left", va="top", fontsize=14)
    figure.text(0.02, 0.01, note, fontsize=7, color=NOTE_COLOUR, gid="source-note")
    axes = figure.axes[0]
    add_north_arrow(axes)
    add_scale_bar(axes, fontsize=7)
    return figure
