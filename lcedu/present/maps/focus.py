"""One county picked out on a prefecture's maps: its boundary drawn bold above every other line.

A county's own documents show the city's maps with the county found at a glance: its status and its change
since the baseline, among its neighbours. The county is found by the ids every prefecture map gives its
artists (``county-<code>`` patches), so any map kind (:func:`choropleth`,
:func:`change_map`, :func:`status_map`) can be focused, and one drawing serves every county's document.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from matplotlib.figure import Figure
from matplotlib.patches import PathPatch

__all__ = ["FOCUS_EDGE", "FOCUS_WIDTH", "county_focus"]

#: The focused county's boundary: near-black and thicker than every other line of a map.
FOCUS_EDGE = "#111111"
FOCUS_WIDTH = 2.6


@contextmanager
def county_focus(figure: Figure, county_code: str) -> Iterator[int]:
    """Within the block the county is outlined on every map of ``figure`` (its label, already there, names it;
    the CJK face has no bold to set it apart); afterwards the figure is as it was. Yields how many maps show
    the county; a ValueError when none does (a county of another prefecture, or a figure that is not a map)."""
    added: list[PathPatch] = []
    for ax in figure.axes:
        for patch in [a for a in (*ax.artists, *ax.patches) if a.get_gid() == f"county-{county_code}"]:
            outline = PathPatch(
                patch.get_path(),
                facecolor="none",
                edgecolor=FOCUS_EDGE,
                linewidth=FOCUS_WIDTH,
                zorder=2,  # above the fills and the prefecture's outline, below the labels
            )
            outline.set_gid(f"focus-{county_code}")
            ax.add_artist(outline)
            added.append(outline)
    if not added:
        raise ValueError(f"county {county_code} is not on this map")
    try:
        yield len(added)
    finally:
        for outline in added:
            outline.remove()
