"""Classification: which colour each county gets and the legend that explains it.

Class breaks are fixed per indicator across all years (declared, or Fisher-Jenks over every year's values), so one
colour means one value range on every map of a report; counties are classed on them with mapclassify's
``UserDefined``. Target maps colour the scorecard's stored ``gap_class``: maps never judge.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import mapclassify
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from lcedu.measure.scorecard import NEAR_TARGET_SHARE
from lcedu.present.maps.rows import county_rows, indicator_values_all_years
from lcedu.present.maps.words import Lang
from lcedu.present.words import word

Direction = Literal["higher", "lower"]

DEFAULT_REACH_MARGIN = NEAR_TARGET_SHARE  # the band the stored gap_class was decided with


SEQUENTIAL_CMAP = "YlGnBu"  # ColorBrewer, colour-blind safe and prints in greyscale


DIVERGING_CMAP = "RdBu"  # ColorBrewer, colour-blind safe; centre class is near white


# ColorBrewer RdYlBu-3: colour-blind safe and light enough for black labels.
CATEGORY_COLOURS = {"met": "#91bfdb", "near": "#ffffbf", "far": "#fc8d59", "not_met": "#fc8d59"}


@dataclass(frozen=True)
class Classification:
    """Colours per county plus the legend that explains them (legend order = class order)."""

    fills: Mapping[str, str]
    legend: Sequence[tuple[str, str]]
    legend_title: str
    no_data_label: str | None = None  # what a county without a class is called (default: 无数据 / No data)


def fixed_breaks(
    data: pd.DataFrame,
    indicator: str,
    scheme: str = "fisher_jenks",
    k: int = 5,
    *,
    value_col: str = "value",
) -> np.ndarray:
    """Class upper bounds from every year's county values, so colours mean the same each year."""
    values = indicator_values_all_years(data, indicator, value_col).dropna()
    if values.empty:
        raise ValueError(f"no values for indicator {indicator!r}")
    classes = min(k, values.nunique())
    if classes <= 1:
        return np.array([float(values.max())])
    with warnings.catch_warnings():
        # Fisher-Jenks on ~32 values is instant without numba; the hint is noise here.
        warnings.filterwarnings("ignore", message="Numba not installed")
        classifier = mapclassify.classify(values.to_numpy(float), scheme, k=classes)
    return np.unique(np.asarray(classifier.bins, dtype=float))


def classify_values(values: pd.Series, breaks: Sequence[float]) -> pd.Series:
    """Class index per value on mapclassify's ``UserDefined``: class i holds (breaks[i-1], breaks[i]].

    A value above the top break joins the top class (``UserDefined`` would open a class of its own for it),
    so the legend of fixed breaks holds in every year.
    """
    bins = np.asarray(breaks, dtype=float)
    present = values.dropna()
    if present.empty:
        return pd.Series(dtype="int64", index=present.index)
    classifier = mapclassify.UserDefined(present.to_numpy(float), bins)
    return pd.Series(np.minimum(classifier.yb, len(bins) - 1), index=present.index, dtype="int64")


def break_decimals(breaks: Sequence[float]) -> int:
    """Enough decimals to tell neighbouring breaks apart, and no more."""
    bins = np.asarray(breaks, dtype=float)
    step = float(np.ptp(bins)) / max(len(bins) - 1, 1) if len(bins) > 1 else abs(bins[0])
    if step == 0 or not math.isfinite(step):
        return 1
    return int(np.clip(1 - math.floor(math.log10(step)), 0, 3))


def label_decimals(values: pd.Series) -> int:
    """Decimals for county labels when there are no class breaks (target mode)."""
    known = values.dropna()
    if known.empty:
        return 1
    return break_decimals(np.linspace(known.min(), known.max(), 5) if known.nunique() > 1 else [known.iloc[0]])


def format_value(value: float, decimals: int, signed: bool = False) -> str:
    text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    return "0" if signed and float(text) == 0 else text


def is_whole(values: pd.Series) -> bool:
    """Values that are all whole numbers (headcounts, schools): their classes and labels need no decimals."""
    known = values.dropna().to_numpy(dtype=float)
    return bool(len(known)) and bool(np.all(np.isclose(known, np.round(known))))


def whole_breaks(breaks: Sequence[float]) -> np.ndarray:
    """Class bounds for whole-number values: each bound rounded down, which keeps every value in its class
    (a whole number is ≤ 17.6 exactly when it is ≤ 17), so a legend reads ≤ 17人, never ≤ 17.6 or ≤ 17.0."""
    return np.unique(np.floor(np.asarray(breaks, dtype=float) + 1e-9))


def class_labels(breaks: Sequence[float], signed: bool = False, whole: bool = False) -> list[str]:
    """Legend labels: '≤ b0', 'b0 – b1', ..., '> b(k-2)' (the top class is open-ended).

    ``whole``: the values are whole numbers on whole-number bounds, so the classes read '≤ 17',
    '18 – 25', …, '≥ 41' (each class's own first and last numbers)."""
    if whole and not signed:
        shown = [f"{int(b):d}" for b in breaks]
        if len(shown) == 1:
            return [f"≤ {shown[0]}"]
        middle = [
            f"{int(low) + 1:d}" + (f" – {high}" if int(high) > int(low) + 1 else "")
            for low, high in zip(breaks[:-2], shown[1:-1], strict=True)
        ]
        return [f"≤ {shown[0]}", *middle, f"≥ {int(breaks[-2]) + 1:d}"]
    decimals = break_decimals(breaks)
    shown = [format_value(b, decimals, signed) for b in breaks]
    if len(shown) == 1:
        return [f"≤ {shown[0]}"]
    middle = [f"{low} – {high}" for low, high in zip(shown[:-2], shown[1:-1], strict=True)]
    return [f"≤ {shown[0]}", *middle, f"> {shown[-2]}"]


def palette(name: str, n: int, low: float = 0.15, high: float = 0.85) -> list[str]:
    cmap = mpl.colormaps[name]
    positions = np.linspace(low, high, n) if n > 1 else [0.5]
    return [to_hex(cmap(position)) for position in positions]


def unit_title(lang: Lang, unit: str) -> str:
    return word("maps.unit", lang, unit=unit) if unit else word("maps.value", lang)


def value_classification(
    values: pd.Series, breaks: Sequence[float], lang: Lang = "zh", unit: str = "", whole: bool = False
) -> Classification:
    """Sequential classes; every class appears in the legend even if empty this year. ``whole``: whole-number
    values on whole-number bounds (:func:`whole_breaks`), labelled without decimals."""
    colours = palette(SEQUENTIAL_CMAP, len(breaks))
    classes = classify_values(values, breaks)
    fills = {code: colours[index] for code, index in classes.items()}
    legend = list(zip(class_labels(breaks, whole=whole), colours, strict=True))
    return Classification(fills, legend, unit_title(lang, unit))


def stored_classes(data: pd.DataFrame, indicator: str, year: int) -> pd.Series:
    """The scorecard's stored ``gap_class`` per county ('met' / 'near' / 'far'; NA without a verdict).

    Maps never judge: the class was decided in measure (:data:`lcedu.measure.scorecard.NEAR_TARGET_SHARE`),
    each county against its own target in force.
    """
    if "gap_class" not in data.columns:
        raise ValueError("a target map needs the scorecard's stored gap_class column (lcedu.load('scorecard'))")
    rows = county_rows(data)
    rows = rows.loc[(rows["indicator"] == indicator) & (rows["year"] == year)]
    return rows.set_index("county_code")["gap_class"].astype("string")


def target_classification(
    classes: pd.Series,
    target: float,
    direction: Direction = "higher",
    reach_margin: float = DEFAULT_REACH_MARGIN,
    lang: Lang = "zh",
    unit: str = "",
) -> Classification:
    """达标 / 接近目标 / 差距较大 from the stored classes (county → 'met' / 'near' / 'far')."""
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")
    known = classes.dropna()
    fills = {code: CATEGORY_COLOURS[str(category)] for code, category in known.items()}
    legend = [
        (word(key, lang), CATEGORY_COLOURS[key.partition(".")[2]]) for key in ("text.met", "maps.near", "maps.far")
    ]
    target_text = f"{target:g}{unit}"
    op = "≥" if direction == "higher" else "≤"
    title = word("maps.target_title", lang, op=op, target=target_text, margin=reach_margin)
    return Classification(fills, legend, title)


def _nice_ceiling(value: float) -> float:
    """Smallest of 1, 2, 2.5, 5 x 10^n not below value (for symmetric change classes)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value)


def change_breaks(changes: pd.Series, k: int = 5) -> np.ndarray:
    """Symmetric equal-width classes around 0; with odd k the middle class means 'about 0'."""
    extent = _nice_ceiling(float(changes.abs().max())) if changes.notna().any() else 1.0
    return np.linspace(-extent, extent, k + 1)[1:]


def change_classification(
    changes: pd.Series,
    breaks: Sequence[float],
    direction: Direction = "higher",
    lang: Lang = "zh",
    unit: str = "",
) -> Classification:
    """Diverging colours centred on 0; blue is always improvement, red always decline."""
    colours = palette(DIVERGING_CMAP, len(breaks), 0.1, 0.9)
    if direction == "lower":
        colours = colours[::-1]
    classes = classify_values(changes, breaks)
    fills = {code: colours[index] for code, index in classes.items()}
    legend = list(zip(class_labels(breaks, signed=True), colours, strict=True))
    title = word("maps.change_unit", lang, unit=unit) if unit else word("maps.change", lang)
    return Classification(fills, legend, title)


def status_classification(is_met: pd.Series, lang: Lang = "zh") -> Classification:
    """达标 / 未达标 per county; a missing status (未评估: a dimension without input) is hatched as such."""
    known = is_met.dropna().astype(bool)
    fills = {code: CATEGORY_COLOURS["met" if met else "not_met"] for code, met in known.items()}
    legend = [(word(f"text.{key}", lang), CATEGORY_COLOURS[key]) for key in ("met", "not_met")]
    return Classification(fills, legend, "", word("maps.not_assessed", lang))


@dataclass(frozen=True)
class ClassRule:
    """How an indicator's counties are classed in every year: on declared breaks, on breaks from every year's values
    (``scheme`` with ``k`` classes), or against a ``target`` by the stored gap classes."""

    scheme: str = "fisher_jenks"
    k: int = 5
    breaks: Sequence[float] | None = None
    target: float | None = None
    direction: Direction = "higher"
    reach_margin: float = DEFAULT_REACH_MARGIN
    value_col: str = "value"


def yearly_classifier(
    data: pd.DataFrame, indicator: str, rule: ClassRule, lang: Lang, unit: str
) -> tuple[Callable[[pd.Series, int], Classification], int]:
    """One rule (and label precision) for every year of an indicator, so maps compare."""
    if rule.target is not None:
        target = rule.target

        def by_target(values: pd.Series, year: int) -> Classification:
            classes = stored_classes(data, indicator, year).reindex(values.dropna().index)
            return target_classification(classes, target, rule.direction, rule.reach_margin, lang, unit)

        return by_target, label_decimals(indicator_values_all_years(data, indicator, rule.value_col))
    bins = rule.breaks
    if bins is None:
        bins = fixed_breaks(data, indicator, rule.scheme, rule.k, value_col=rule.value_col)
    # Headcounts, schools (classes from the data, not declared): whole-number classes and labels.
    whole = rule.breaks is None and is_whole(indicator_values_all_years(data, indicator, rule.value_col))
    if whole:
        bins = whole_breaks(bins)

    def by_class(values: pd.Series, year: int) -> Classification:
        return value_classification(values, bins, lang, unit, whole=whole)

    return by_class, 0 if whole else break_decimals(bins)
