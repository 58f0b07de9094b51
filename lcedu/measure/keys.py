"""Joins and lookups on the key columns (school_id, year, stage, county_code) by integer codes.

A national table has millions of school-years keyed by string ids. pandas joins, MultiIndexes
and groupbys on such keys hash every string again on every call (and, with Arrow-backed
strings, convert them to Python objects first). Factorizing the keys once per lookup into one
int64 per row and matching those is several times faster and gives the same rows: these
helpers are drop-in replacements for ``frame.join(target.drop_duplicates(keys).set_index(keys),
on=keys)`` and its relatives, with missing keys matched as pandas matches them (NA to NA).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["first_match", "joined", "key_codes", "key_positions", "take_rows", "take_values"]


def key_codes(frames: Sequence[pd.DataFrame], keys: Sequence[str]) -> list[np.ndarray]:
    """One int64 per row of each frame, equal exactly when the rows' ``keys`` are equal.

    The codes are shared by the frames (factorized together), so they can be matched across them.
    Missing values are a value of their own (NA matches NA, as in a pandas join).
    """
    sizes = [len(f) for f in frames]
    combined = np.zeros(sum(sizes), dtype=np.int64)
    for column in keys:
        values = pd.concat([f[column].reset_index(drop=True) for f in frames], ignore_index=True)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        combined = combined * max(len(uniques), 1) + codes
    return np.split(combined, np.cumsum(sizes)[:-1])


def first_match(codes: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Position of the first element of ``target`` equal to each of ``codes`` (-1 where there is none)."""
    if not len(target):
        return np.full(len(codes), -1, dtype=np.int64)
    first = ~pd.Series(target).duplicated().to_numpy()
    position = pd.Index(target[first]).get_indexer(codes)
    return np.where(position >= 0, np.flatnonzero(first)[np.maximum(position, 0)], -1)


def key_positions(frame: pd.DataFrame, target: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """Position in ``target`` of the first row with each row's ``keys`` (-1 where there is none)."""
    return first_match(*key_codes([frame, target], keys))


def take_values(values: np.ndarray, positions: np.ndarray, fill: Any) -> np.ndarray:
    """``values`` at ``positions``, ``fill`` where the position is -1 (also when ``values`` is empty)."""
    found = positions >= 0
    out = np.full(
        len(positions), fill, dtype=np.result_type(values.dtype, np.asarray(fill).dtype) if fill is not None else object
    )
    out[found] = values[positions[found]]
    return out


def take_rows(frame: pd.DataFrame, positions: np.ndarray, index: pd.Index | None = None) -> pd.DataFrame:
    """The rows of ``frame`` at ``positions``, all-NA where the position is -1 (what a left join fills in)."""
    out = frame.reset_index(drop=True).reindex(positions)
    return out.set_axis(index if index is not None else pd.RangeIndex(len(positions)))


def joined(frame: pd.DataFrame, target: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` of the first ``target`` row of the same ``keys`` (a left join; NA if none)."""
    found = take_rows(target[list(columns)], key_positions(frame, target, keys), frame.index)
    return pd.concat([frame, found], axis=1)
