"""Positions of rows in a universe of (county_code, year) rows, and sums over them by integer codes.

The indicator engine (:mod:`lcedu.measure.engine`) adds a table's rows into county-years and into the
aggregate rows (prefecture, province) with :class:`Groups`: one ``np.bincount`` per layer, no groupby
of strings over millions of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Groups"]


class Groups:
    """Positions of rows in a universe, one array per layer; -1 is outside.

    The county universe has one layer. The aggregate universe (prefecture and province rows)
    has one per level, since each county row belongs to its prefecture and to its province:
    a group sum adds each layer's sums, which land on disjoint positions.
    """

    def __init__(self, layers: list[np.ndarray], n: int):
        self.layers = layers
        self.n = n
        # Rows outside the universe are rare: keep a mask only for the layers that have some.
        self._inside = [None if len(c) == 0 or c.min() >= 0 else c >= 0 for c in layers]
        self._count: np.ndarray | None = None

    def sum(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Σ weights (or the row count, computed once and read-only) per position."""
        if weights is None:
            if self._count is None:
                self._count = self._sum(None)
                self._count.setflags(write=False)
            return self._count
        return self._sum(weights)

    def _sum(self, weights: np.ndarray | None) -> np.ndarray:
        total: np.ndarray | None = None
        for codes, inside in zip(self.layers, self._inside, strict=True):
            if inside is None:
                part = np.bincount(codes, weights=weights, minlength=self.n)
            else:
                w = None if weights is None else np.asarray(weights)[inside]
                part = np.bincount(codes[inside], weights=w, minlength=self.n)
            total = part if total is None else total + part
        return total if total is not None else np.zeros(self.n)

    def sum_by(self, weights_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Σ per position of weights that depend on the row's position (e.g. a deviation from its group mean)."""
        total = np.zeros(self.n)
        if self.n == 0:  # an empty universe (a build of 东莞 alone has no total rows): nothing to index
            return total
        for codes, inside in zip(self.layers, self._inside, strict=True):
            if inside is None:
                total = total + np.bincount(codes, weights=weights_of(codes), minlength=self.n)
            else:
                total = total + np.bincount(codes[inside], weights=weights_of(codes)[inside], minlength=self.n)
        return total

    def first(self, values: np.ndarray, mask: np.ndarray) -> dict[int, Any]:
        """The first of ``values`` where ``mask`` holds, per position."""
        out: dict[int, Any] = {}
        for codes in self.layers:
            keep = mask & (codes >= 0)
            if keep.any():
                out |= pd.Series(values[keep], index=codes[keep]).groupby(level=0).first().to_dict()
        return out
