"""Redraw a figure in place: only the artists that changed are drawn again, onto kept pixels.

An interactive view (the explorer) changes a few things at a time: a map's colours and labels, a
chart's year marker. Drawing the whole figure again costs about 0.25 s on 2 cores, most of it text;
:class:`LayeredFigure` draws the fixed parts once (the *background*), keeps the pixels of the changing
parts (the *content*) and of a top *overlay* (markers, outlines), and on an update restores and
redraws only the regions whose artists changed: matplotlib's blitting, for a PNG instead of a window.
The result is the same picture a full draw gives, to within anti-aliasing at region edges
(tests/test_explorer.py compares them).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image

__all__ = ["LayeredFigure", "png_bytes"]

#: Pixels added around an artist's extent: anti-aliasing, line widths and text halos reach past it.
PAD_PX = 4


def png_bytes(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's current pixels as PNG, without drawing again (light compression: drawn for a screen)."""
    rgba = canvas.buffer_rgba()
    height, width = rgba.shape[:2]
    image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="png", compress_level=1)
    return out.getvalue()


class LayeredFigure:
    """A figure drawn as background + content + overlay, each content artist redrawn only when it changes.

    ``content``: the artists that change (drawn in the order given, which must be their z-order);
    ``overlay``: artists drawn on top of everything (cheap ones: a marker, an outline), redrawn on each
    :meth:`render`. Every other artist of the figure is background, drawn once. Artists added later go
    through :meth:`replace` (a new legend replaces the old one).
    """

    def __init__(self, figure: Figure, content: Sequence[Artist], overlay: Sequence[Artist] = (), dpi: float = 96):
        self.figure = figure
        if not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)
        figure.set_dpi(dpi)
        self.content = list(content)
        self.overlay = list(overlay)
        self._renderer = None
        self._background = None
        self._pixels = None  # background + content, without the overlay
        self._extents: dict[int, Bbox] = {}
        self._dirty: list[Artist] = []

    @property
    def canvas(self) -> FigureCanvasAgg:
        return self.figure.canvas

    def replace(self, old: Artist | None, new: Artist, *, overlay: bool = False) -> None:
        """``new`` takes ``old``'s place in its layer (or is appended); ``old``'s region is redrawn."""
        layer = self.overlay if overlay else self.content
        if old is not None and old in layer:
            layer[layer.index(old)] = new
            if not overlay:
                self._dirty.append(old)
        else:
            layer.append(new)
        if not overlay:
            self._dirty.append(new)
        new.set_animated(True)

    def adopt(self, other: LayeredFigure) -> bool:
        """Take ``other``'s background pixels instead of drawing this figure's own: for a figure whose fixed
        parts (axes, ticks, grid, titles) are drawn exactly as ``other``'s, at the same size. False (and
        nothing taken) when the sizes differ."""
        if other._background is None or self.canvas.get_width_height() != other.canvas.get_width_height():
            return False
        for artist in self.content + self.overlay:
            artist.set_animated(True)
        self._renderer = self.canvas.get_renderer()
        self._background = other._background
        self.canvas.restore_region(self._background)
        self._extents = {}
        for artist in self.content:
            self._draw(artist)
        self._pixels = self.canvas.copy_from_bbox(self.figure.bbox)
        self._dirty = []
        return True

    def discard(self, artist: Artist) -> None:
        """``artist`` (removed from the figure) leaves the content; its region is drawn again."""
        if artist in self.content:
            self.content.remove(artist)
            self._dirty.append(artist)

    def invalidate(self) -> None:
        """The fixed parts changed (axes limits, ticks): the next render draws everything."""
        self._background = None

    def remove_overlay(self, artists: Iterable[Artist]) -> None:
        gone = {id(a) for a in artists}
        self.overlay = [a for a in self.overlay if id(a) not in gone]

    def changed(self, artists: Iterable[Artist]) -> None:
        """Mark content artists whose look changed (colour, text, position) since the last render."""
        self._dirty.extend(artists)

    @contextmanager
    def whole(self) -> Iterator[Figure]:
        """The figure with every layer drawn by an ordinary draw (``savefig`` leaves animated artists out)."""
        layered = self.content + self.overlay
        for artist in layered:
            artist.set_animated(False)
        try:
            yield self.figure
        finally:
            for artist in layered:
                artist.set_animated(True)
            self._renderer = None  # a save draws at its own resolution: the next render starts afresh

    def render(self) -> bytes:
        """The figure as PNG: a full draw the first time, then only the changed regions."""
        renderer = self.canvas.get_renderer()
        if self._background is None or renderer is not self._renderer:  # first draw, or a resized/saved canvas
            self._full_draw()
        elif self._dirty:
            self._redraw_dirty()
        else:
            self.canvas.restore_region(self._pixels)
        self._dirty = []
        for artist in self.overlay:
            self.figure.draw_artist(artist)
        return png_bytes(self.canvas)

    def _full_draw(self) -> None:
        for artist in self.content + self.overlay:
            artist.set_animated(True)  # figure.draw() leaves animated artists out: the background alone
        self.canvas.draw()
        self._renderer = self.canvas.get_renderer()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._extents = {}
        for artist in self.content:
            self._draw(artist)
        self._pixels = self.canvas.copy_from_bbox(self.figure.bbox)

    def _draw(self, artist: Artist) -> None:
        if artist.get_visible() and artist.figure is not None:
            self.figure.draw_artist(artist)
            self._extents[id(artist)] = self._extent(artist)
        else:
            self._extents.pop(id(artist), None)

    def _extent(self, artist: Artist) -> Bbox:
        box = artist.get_window_extent(self._renderer)
        clip = artist.get_clip_box()
        if clip is not None and artist.get_clip_on():
            box = Bbox.intersection(box, clip) or Bbox.null()
        return box.padded(PAD_PX)

    def _redraw_dirty(self) -> None:
        """Restore the background where changed artists were or are, and draw every content artist that
        touches those regions (so no artist is drawn twice over its own pixels)."""
        self.canvas.restore_region(self._pixels)  # the overlay goes; it is drawn again on top
        boxes = [self._extents[id(a)] for a in self._dirty if id(a) in self._extents]
        boxes += [
            self._extent(a) for a in self._dirty if a.get_visible() and a.figure is not None and a in self.content
        ]
        redraw = {id(a) for a in self._dirty}
        grown = True
        while grown:  # an artist overlapping a dirty region is redrawn whole: its region becomes dirty too
            grown = False
            for artist in self.content:
                if id(artist) in redraw or id(artist) not in self._extents:
                    continue
                if any(_overlaps(self._extents[id(artist)], box) for box in boxes):
                    redraw.add(id(artist))
                    boxes.append(self._extents[id(artist)])
                    grown = True
        for box in boxes:
            self._restore_background(box)
        for artist in self.content:
            if id(artist) in redraw:
                self._draw(artist)
        self._pixels = self.canvas.copy_from_bbox(self.figure.bbox)

    def _restore_background(self, box: Bbox) -> None:
        """The background's pixels inside ``box`` (display coordinates, y up; the buffer counts y down)."""
        width, height = self.canvas.get_width_height(physical=True)
        x0, x1 = max(0, math.floor(box.x0)), min(width, math.ceil(box.x1))
        top, bottom = max(0, math.floor(height - box.y1)), min(height, math.ceil(height - box.y0))
        if x1 > x0 and bottom > top:
            # bbox in buffer pixels (y down); xy is where the saved region's own origin goes: (0, 0), it is whole
            self._renderer.restore_region(self._background, (x0, top, x1, bottom), (0, 0))


def _overlaps(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
