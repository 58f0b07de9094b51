"""Maps of equalization progress across the counties of a prefecture (临沧's eight by default).

Every map takes the indicator engine's tidy table (``county_code, year, indicator, value``)
and draws on a plain :class:`matplotlib.figure.Figure` (no pyplot state, safe in batch jobs).
Class breaks are fixed per indicator across all years, so one colour means one value range
on every map of a report. 临沧's maps are drawn in WGS 84 / UTM zone 47N (EPSG:32647): its central
meridian, 99°E, runs through 临沧 (98.7°E–100.6°E), so scale error stays below 0.04 % and
grid north is within 1° of true north, which keeps the km scale bar and north arrow honest.
Another prefecture (``prefecture=``) is cut from its province's shapes and drawn in the UTM zone
of its own centre; a whole province is :func:`province_choropleth`.

geopandas and matplotlib are imported here only; ``import lcedu`` stays light.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import mapclassify
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.ops import polylabel

from lcedu import paths
from lcedu.errors import RequestError
from lcedu.measure.scorecard import NEAR_TARGET_SHARE
from lcedu.present.fonts import use_cjk_font

Lang = Literal["zh", "en"]
Direction = Literal["higher", "lower"]

PROJECTED_CRS = "EPSG:32647"
KEY_COLUMNS = ("county_code", "year", "indicator")
DEFAULT_YEARS = (2022, 2023, 2024, 2025)
DEFAULT_REACH_MARGIN = NEAR_TARGET_SHARE  # the band the stored gap_class was decided with

SEQUENTIAL_CMAP = "YlGnBu"  # ColorBrewer, colour-blind safe and prints in greyscale
DIVERGING_CMAP = "RdBu"  # ColorBrewer, colour-blind safe; centre class is near white
# ColorBrewer RdYlBu-3: colour-blind safe and light enough for black labels.
CATEGORY_COLOURS = {"met": "#91bfdb", "near": "#ffffbf", "far": "#fc8d59", "not_met": "#fc8d59"}
NO_DATA_FACE = "#f2f2f2"
NO_DATA_HATCH_COLOUR = "#a0a0a0"
HIGHLIGHT_COLOUR = "#2c7fb8"
CONTEXT_COLOUR = "#e6e6e6"
COUNTY_EDGE = "white"
OUTLINE_COLOUR = "#404040"
NOTE_COLOUR = "#505050"

ASSESSMENTS = ("preschool_universal", "compulsory_balanced")
ASSESSMENT_NAMES = {
    "preschool_universal": {"zh": "学前教育普及普惠", "en": "Universal, affordable preschool"},
    "compulsory_balanced": {
        "zh": "义务教育优质均衡",
        "en": "Balanced, high-quality compulsory education",
    },
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "prefecture": "临沧市",
        "no_data": "无数据",
        "met": "达标",
        "near": "接近目标",
        "far": "差距较大",
        "not_met": "未达标",
        "unit": "单位：{unit}",
        "value": "分级",
        "change_unit": "变化（{unit}）",
        "change": "变化",
        "target_title": "目标 {op} {target}\n接近目标：差距不超过目标的 {margin:.0%}",
        "panel_year": "{year}",
        "title": "{label}（{year}）",
        "multiples_title": "{label}：{span}",
        "change_title": "{label}：{base}至{year}变化",
        "status_title": "{year}县域评估达标情况",
        "status_panel": "{name}\n全部维度评估且达标 {met}/{total} 县（{share:.1%}），计划目标 {target:.1%}，{reached}",
        "status_reached": "已达到",
        "status_not_reached": "尚未达到",
        "status_unknown": "尚不能判断（{n}县未评估或无数据）",
        "status_not_due": "目标未到期",
        "status_no_data": "{name}\n无数据",
        "locator_title": "{name}在{prefecture}的位置",
        "source_default": "数据：lcedu 指标库",
        "data_year": "统计时点：{years}",
        "year_join": "、",
        "year_range": "{first}—{last}",
        "sample": "合成样例数据，非官方统计",
        "separator": "；",
    },
    "en": {
        "prefecture": "Lincang",
        "no_data": "No data",
        "met": "Met",
        "near": "Within reach",
        "far": "Far from target",
        "not_met": "Not met",
        "unit": "Unit: {unit}",
        "value": "Classes",
        "change_unit": "Change ({unit})",
        "change": "Change",
        "target_title": "Target {op} {target}\nWithin reach: gap ≤ {margin:.0%} of target",
        "panel_year": "{year}",
        "title": "{label} ({year})",
        "multiples_title": "{label}, {span}",
        "change_title": "{label}: change from the {base} to the {year}",
        "status_title": "County assessments met at the {year}",
        "status_panel": "{name}\n{met}/{total} assessed on every dimension and met ({share:.1%}); "
        "plan target {target:.1%} {reached}",
        "status_reached": "reached",
        "status_not_reached": "not yet reached",
        "status_unknown": "cannot tell yet ({n} counties not assessed or without data)",
        "status_not_due": "target not yet due",
        "status_no_data": "{name}\nno data",
        "locator_title": "{name} in {prefecture}",
        "source_default": "Data: lcedu indicators",
        "data_year": "As of: {years}",
        "year_join": ", ",
        "year_range": "{first}–{last}",
        "sample": "Synthetic sample, not official statistics",
        "separator": ". ",
    },
}

LABEL_OFFSETS_PT = (4, 8, 12, 16, 22, 28, 36)
LABEL_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))
LABEL_PADDING_PX = 2.0


@dataclass(frozen=True)
class Classification:
    """Colours per county plus the legend that explains them (legend order = class order)."""

    fills: Mapping[str, str]
    legend: Sequence[tuple[str, str]]
    legend_title: str
    no_data_label: str | None = None  # what a county without a class is called (default: 无数据 / No data)


# ---------------------------------------------------------------- boundaries


def default_shapes_path() -> Path:
    """The committed county boundaries, found relative to the package (works in a checkout)."""
    return paths.shapes_file()


@lru_cache(maxsize=4)
def _read_counties(path: str) -> gpd.GeoDataFrame:
    counties = gpd.read_file(path)
    counties["county_code"] = counties["county_code"].astype(str)
    return counties.sort_values("county_code", ignore_index=True)


def load_counties(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read county boundaries (WGS84) as a fresh GeoDataFrame the caller may modify."""
    resolved = Path(path) if path is not None else default_shapes_path()
    if not resolved.is_file():
        raise FileNotFoundError(f"county boundaries not found: {resolved} (see shapes/README.md)")
    return _read_counties(str(resolved)).copy()


@lru_cache(maxsize=4)
def _projected_counties(path: str | None = None) -> gpd.GeoDataFrame:
    return load_counties(path).to_crs(PROJECTED_CRS)


def map_prefecture(codes: Sequence[str], prefecture: str | None = None) -> str:
    """The prefecture a per-prefecture map draws: ``prefecture`` (5309, 530900) if given, else the one
    prefecture of the county ``codes`` (临沧's 530900 when there are none).

    Data of several prefectures (a province build) without ``prefecture`` is refused: these maps
    label every county and compare them within one prefecture; a province is drawn by
    :func:`province_choropleth`, or one map per prefecture.
    """
    from lcedu.ingest.counties import is_aggregate, prefecture_of

    if prefecture is not None:
        text = str(prefecture).strip()
        return prefecture_of(text + "00" if len(text) == 4 else text)
    found = sorted({prefecture_of(c) for c in map(str, codes) if not is_aggregate(c)})
    if len(found) > 1:
        raise RequestError(
            f"数据含 {len(found)} 个州(市)的县，按州(市)的地图须指定一个 / the data spans "
            f"{len(found)} prefectures ({', '.join(found[:5])}{' …' if len(found) > 5 else ''})",
            "传入 prefecture=（如 530100），或用 province_choropleth / lcedu maps --province 画全省 "
            "/ pass prefecture=, or draw the province with province_choropleth",
        )
    return found[0] if found else paths.CITY_CODE


def prefecture_counties(prefecture: str = paths.CITY_CODE) -> gpd.GeoDataFrame:
    """Projected county shapes of one prefecture: 临沧's shipped file for 530900 (UTM 47N), any other
    prefecture cut from its province's shapes (shipped for 云南; ``lcedu shapes`` builds others)."""
    if prefecture == paths.CITY_CODE:
        return _projected_counties()
    return _scope_shapes("prefecture", prefecture)[0]


def _place_prefix(prefecture: str, lang: Lang) -> str:
    """The prefecture named before a title (昆明市 / Kunming: ); none for 临沧, whose maps are the default."""
    if prefecture == paths.CITY_CODE:
        return ""
    from lcedu.ingest.counties import area_name

    name = area_name(prefecture, lang)
    return name if lang == "zh" else f"{name}: "


# ---------------------------------------------------------------- data access


def _county_rows(data: pd.DataFrame, value_col: str = "value") -> pd.DataFrame:
    """Rows for counties only: prefecture and province totals are left out, by the registry's
    word (东莞 441900 is a county although its code ends in 00, like 临沧市's 530900 total)."""
    from lcedu.ingest.counties import is_aggregate

    missing = {*KEY_COLUMNS, value_col} - set(data.columns)
    if missing:
        raise ValueError(f"data lacks columns {sorted(missing)}")
    codes = data["county_code"].astype(str)
    totals = {code: is_aggregate(code) for code in codes.unique()}
    return data.assign(county_code=codes).loc[~codes.map(totals).astype(bool)]


def _resolve_indicator(data: pd.DataFrame, indicator: str | None) -> str:
    if indicator is not None:
        return indicator
    indicators = data["indicator"].dropna().unique()
    if len(indicators) != 1:
        raise ValueError(f"data holds {len(indicators)} indicators; pass indicator=")
    return str(indicators[0])


def _resolve_year(data: pd.DataFrame, indicator: str, year: int | None) -> int:
    if year is not None:
        return int(year)
    years = data.loc[data["indicator"] == indicator, "year"].dropna()
    if years.empty:
        raise ValueError(f"no rows for indicator {indicator!r}")
    return int(years.max())


def indicator_values(data: pd.DataFrame, indicator: str, year: int, value_col: str = "value") -> pd.Series:
    """One float per county for one indicator and year (NaN where the value is missing)."""
    rows = _county_rows(data, value_col)
    rows = rows.loc[(rows["indicator"] == indicator) & (rows["year"] == year)]
    duplicated = rows["county_code"][rows["county_code"].duplicated()]
    if not duplicated.empty:
        raise ValueError(f"several rows for {indicator} {year}: {sorted(set(duplicated))}")
    values = pd.to_numeric(rows.set_index("county_code")[value_col]).astype(float)
    return values.rename(indicator)


def indicator_values_all_years(data: pd.DataFrame, indicator: str, value_col: str = "value") -> pd.Series:
    """Every county-year value of one indicator, the population that fixed breaks describe."""
    rows = _county_rows(data, value_col)
    return pd.to_numeric(rows.loc[rows["indicator"] == indicator, value_col]).astype(float)


def _is_synthetic(data: pd.DataFrame, synthetic: bool | None) -> bool:
    """The sample generator marks its tables with ``DataFrame.attrs['synthetic'] = True``."""
    return bool(data.attrs.get("synthetic", False)) if synthetic is None else synthetic


# ---------------------------------------------------------------- classification


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
    """Class index per value: class i holds (breaks[i-1], breaks[i]]; above the top -> top."""
    bins = np.asarray(breaks, dtype=float)
    present = values.dropna()
    index = np.searchsorted(bins, present.to_numpy(float), side="left")
    return pd.Series(np.minimum(index, len(bins) - 1), index=present.index, dtype="int64")


def _decimals(breaks: Sequence[float]) -> int:
    """Enough decimals to tell neighbouring breaks apart, and no more."""
    bins = np.asarray(breaks, dtype=float)
    step = float(np.ptp(bins)) / max(len(bins) - 1, 1) if len(bins) > 1 else abs(bins[0])
    if step == 0 or not math.isfinite(step):
        return 1
    return int(np.clip(1 - math.floor(math.log10(step)), 0, 3))


def _label_decimals(values: pd.Series) -> int:
    """Decimals for county labels when there are no class breaks (target mode)."""
    known = values.dropna()
    if known.empty:
        return 1
    return _decimals(np.linspace(known.min(), known.max(), 5) if known.nunique() > 1 else [known.iloc[0]])


def _format_value(value: float, decimals: int, signed: bool = False) -> str:
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
    decimals = _decimals(breaks)
    shown = [_format_value(b, decimals, signed) for b in breaks]
    if len(shown) == 1:
        return [f"≤ {shown[0]}"]
    middle = [f"{low} – {high}" for low, high in zip(shown[:-2], shown[1:-1], strict=True)]
    return [f"≤ {shown[0]}", *middle, f"> {shown[-2]}"]


def _palette(name: str, n: int, low: float = 0.15, high: float = 0.85) -> list[str]:
    cmap = mpl.colormaps[name]
    positions = np.linspace(low, high, n) if n > 1 else [0.5]
    return [to_hex(cmap(position)) for position in positions]


def _unit_title(lang: Lang, unit: str) -> str:
    return TEXT[lang]["unit"].format(unit=unit) if unit else TEXT[lang]["value"]


def value_classification(
    values: pd.Series, breaks: Sequence[float], lang: Lang = "zh", unit: str = "", whole: bool = False
) -> Classification:
    """Sequential classes; every class appears in the legend even if empty this year. ``whole``: whole-number
    values on whole-number bounds (:func:`whole_breaks`), labelled without decimals."""
    colours = _palette(SEQUENTIAL_CMAP, len(breaks))
    classes = classify_values(values, breaks)
    fills = {code: colours[index] for code, index in classes.items()}
    legend = list(zip(class_labels(breaks, whole=whole), colours, strict=True))
    return Classification(fills, legend, _unit_title(lang, unit))


def stored_classes(data: pd.DataFrame, indicator: str, year: int) -> pd.Series:
    """The scorecard's stored ``gap_class`` per county ('met' / 'near' / 'far'; NA without a verdict).

    Maps never judge: the class was decided in measure (:data:`lcedu.measure.scorecard.NEAR_TARGET_SHARE`),
    each county against its own target in force.
    """
    if "gap_class" not in data.columns:
        raise ValueError("a target map needs the scorecard's stored gap_class column (lcedu.load('scorecard'))")
    rows = _county_rows(data)
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
    legend = [(TEXT[lang][key], CATEGORY_COLOURS[key]) for key in ("met", "near", "far")]
    target_text = f"{target:g}{unit}"
    op = "≥" if direction == "higher" else "≤"
    title = TEXT[lang]["target_title"].format(op=op, target=target_text, margin=reach_margin)
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
    colours = _palette(DIVERGING_CMAP, len(breaks), 0.1, 0.9)
    if direction == "lower":
        colours = colours[::-1]
    classes = classify_values(changes, breaks)
    fills = {code: colours[index] for code, index in classes.items()}
    legend = list(zip(class_labels(breaks, signed=True), colours, strict=True))
    title = TEXT[lang]["change_unit"].format(unit=unit) if unit else TEXT[lang]["change"]
    return Classification(fills, legend, title)


def status_classification(is_met: pd.Series, lang: Lang = "zh") -> Classification:
    """达标 / 未达标 per county; a missing status (未评估: a dimension without input) is hatched as such."""
    known = is_met.dropna().astype(bool)
    fills = {code: CATEGORY_COLOURS["met" if met else "not_met"] for code, met in known.items()}
    legend = [(TEXT[lang][key], CATEGORY_COLOURS[key]) for key in ("met", "not_met")]
    return Classification(fills, legend, "", "未评估或无数据" if lang == "zh" else "Not assessed or no data")


# ---------------------------------------------------------------- drawing


def _new_figure(width_in: float, height_in: float) -> Figure:
    """A pyplot-free figure with an Agg canvas, so text can be measured before saving."""
    use_cjk_font()
    figure = Figure(figsize=(width_in, height_in), facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _geometry_path(geometry: shapely.Geometry) -> MplPath:
    """Matplotlib path for a (multi)polygon, holes included."""
    rings = []
    for polygon in shapely.get_parts(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)
            codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
            codes[0], codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            rings.append(MplPath(coords, codes))
    return MplPath.make_compound_path(*rings)


def _draw_counties(ax: Axes, counties: gpd.GeoDataFrame, fills: Mapping[str, str]) -> None:
    for code, geometry in zip(counties["county_code"], counties.geometry, strict=True):
        fill = fills.get(code)
        style = (
            {"facecolor": fill}
            if fill is not None
            else {"facecolor": NO_DATA_FACE, "hatch": "////", "hatchcolor": NO_DATA_HATCH_COLOUR}
        )
        patch = PathPatch(_geometry_path(geometry), edgecolor=COUNTY_EDGE, linewidth=0.8, **style)
        patch.set_gid(f"county-{code}")
        ax.add_artist(patch)  # add_patch would re-derive limits from every vertex: slow
    outline = PathPatch(
        _geometry_path(counties.union_all()),
        facecolor="none",
        edgecolor=OUTLINE_COLOUR,
        linewidth=1.0,
    )
    outline.set_gid("prefecture-outline")
    ax.add_artist(outline)


def _frame_map(ax: Axes, counties: gpd.GeoDataFrame, margin: float = 0.03) -> None:
    min_x, min_y, max_x, max_y = counties.total_bounds
    pad = margin * max(max_x - min_x, max_y - min_y)
    ax.set_xlim(min_x - pad, max_x + pad)
    ax.set_ylim(min_y - pad, max_y + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()


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


def _place_labels(
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


def _add_county_labels(
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
            _place_labels(ax, [(lead, geometry)], placed)
        else:
            placed.append(lead.get_window_extent().padded(LABEL_PADDING_PX))
    inside = {
        code: _fitting_label(ax, geometry, [texts[code]], gid=f"county-label-{code}", **style)
        for code, geometry in shapes.items()
    }
    placed += [text.get_window_extent().padded(LABEL_PADDING_PX) for text in inside.values() if text is not None]
    rest = [code for code, text in inside.items() if text is None]
    moved = {code: _anchored_text(ax, shapes[code], texts[code], gid=f"county-label-{code}", **style) for code in rest}
    kept = _place_labels(ax, [(moved[code], shapes[code]) for code in rest], placed, drop_overlapping=True)
    names = {code: texts[code].split("\n")[0] for code in rest if moved[code] not in kept}
    short = {
        code: _anchored_text(ax, shapes[code], name, gid=f"county-label-{code}", **style)
        for code, name in names.items()
        if name != texts[code]
    }
    _place_labels(ax, [(short[code], shapes[code]) for code in short], placed, drop_overlapping=True)
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


def _county_name(counties: gpd.GeoDataFrame, lang: Lang) -> dict[str, str]:
    """Labels from the county registry (the plan's names: 双江自治县), never the shapes' own name fields.

    A shape whose code the registry does not know keeps the name in its file.
    """
    from lcedu.ingest.counties import registry

    column = "short_name_zh" if lang == "zh" else "name_pinyin"
    known = registry().set_index("county_code")[column]
    own = counties[column] if column in counties.columns else counties["county_code"]
    return {code: str(known.get(code, fallback)) for code, fallback in zip(counties["county_code"], own, strict=True)}


def _value_label_texts(
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
    from lcedu.present.narrative import decimals_near

    names = _county_name(counties, lang)
    known = values.dropna()
    return {
        code: f"{name}\n{_format_value(known[code], decimals_near(known[code], target, decimals), signed)}"
        if code in known
        else name
        for code, name in names.items()
    }


def _add_north_arrow(ax: Axes, x: float = 0.95, y: float = 0.97) -> None:
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


def _add_scale_bar(ax: Axes, fontsize: float = 8) -> None:
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


def _legend_handles(classification: Classification, with_no_data: bool, lang: Lang) -> list:
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
                label=classification.no_data_label or TEXT[lang]["no_data"],
            )
        )
    return handles


def _has_no_data(counties: gpd.GeoDataFrame, classification: Classification) -> bool:
    return not set(counties["county_code"]) <= set(classification.fills)


def _year(year: int, lang: Lang, short: bool = False) -> str:
    """A data year as its 学年初 state (:func:`lcedu.present.narrative.year_label`)."""
    from lcedu.present.narrative import year_label

    return year_label(year, lang, short=short)


def _year_span(first: int, last: int, lang: Lang) -> str:
    """2022/23—2025/26学年初 / 2022/23–2025/26 school-year starts."""
    span = TEXT[lang]["year_range"].format(first=_year(first, lang, True), last=_year(last, lang, True))
    return f"{span}学年初" if lang == "zh" else f"{span} school-year starts"


def _source_line(lang: Lang, source: str | None, years: str, synthetic: bool) -> str:
    words = TEXT[lang]
    parts = [source or words["source_default"], words["data_year"].format(years=years)]
    if synthetic:
        parts.append(words["sample"])
    return words["separator"].join(parts)


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


def _draw_panel(
    ax: Axes,
    counties: gpd.GeoDataFrame,
    classification: Classification,
    label_texts: Mapping[str, str],
    label_size: float,
    first: str | None = None,
) -> None:
    """Fills, outline and non-overlapping labels: the part every map shares."""
    _draw_counties(ax, counties, classification.fills)
    _frame_map(ax, counties)
    _add_county_labels(ax, counties, label_texts, label_size, first=first)


def _single_map_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        use_cjk_font()
        return ax
    figure = _new_figure(7.4, 6.6)
    return figure.add_axes((0.02, 0.06, 0.66, 0.86))


def _finish_single_map(
    ax: Axes,
    counties: gpd.GeoDataFrame,
    classification: Classification,
    title: str,
    source_note: str,
    lang: Lang,
) -> Axes:
    handles = _legend_handles(classification, _has_no_data(counties, classification), lang)
    legend = ax.legend(
        handles=handles,
        title=classification.legend_title or None,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        fontsize=9,
        title_fontsize=9,
        alignment="left",
    )
    legend.set_gid("map-legend")
    ax.set_title(title, loc="left", fontsize=13, pad=10)
    _add_north_arrow(ax)
    _add_scale_bar(ax)
    _add_source_note(ax, source_note)
    return ax


# ---------------------------------------------------------------- public maps


def _yearly_classifier(
    data: pd.DataFrame,
    indicator: str,
    *,
    value_col: str,
    scheme: str,
    k: int,
    breaks: Sequence[float] | None,
    target: float | None,
    direction: Direction,
    reach_margin: float,
    lang: Lang,
    unit: str,
) -> tuple[Callable[[pd.Series, int], Classification], int]:
    """One rule (and label precision) for every year of an indicator, so maps compare."""
    if target is not None:
        decimals = _label_decimals(indicator_values_all_years(data, indicator, value_col))

        def by_target(values: pd.Series, year: int) -> Classification:
            classes = stored_classes(data, indicator, year).reindex(values.dropna().index)
            return target_classification(classes, target, direction, reach_margin, lang, unit)

        return by_target, decimals
    bins = breaks if breaks is not None else fixed_breaks(data, indicator, scheme, k, value_col=value_col)
    # Headcounts, schools (classes from the data, not declared): whole-number classes and labels.
    whole = breaks is None and is_whole(indicator_values_all_years(data, indicator, value_col))
    if whole:
        bins = whole_breaks(bins)

    def by_class(values: pd.Series, year: int) -> Classification:
        return value_classification(values, bins, lang, unit, whole=whole)

    return by_class, 0 if whole else _decimals(bins)


def choropleth(
    data: pd.DataFrame,
    indicator: str | None = None,
    year: int | None = None,
    *,
    value_col: str = "value",
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
    lang: Lang = "zh",
    scheme: str = "fisher_jenks",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    target: float | None = None,
    direction: Direction = "higher",
    reach_margin: float = DEFAULT_REACH_MARGIN,
    source: str | None = None,
    unit: str = "",
    synthetic: bool | None = None,
    prefecture: str | None = None,
) -> Axes:
    """One indicator in one year, classed on breaks shared by all years (or against a target).

    ``label`` is the indicator's display name for the title (defaults to its code);
    ``synthetic`` defaults to ``data.attrs['synthetic']`` and adds the sample disclaimer.
    ``reach_margin`` is the 接近目标 band as a fraction of the target. ``prefecture``: whose
    counties to draw (default: the one prefecture of the data, see :func:`map_prefecture`).
    """
    indicator = _resolve_indicator(data, indicator)
    year = _resolve_year(data, indicator, year)
    synthetic = _is_synthetic(data, synthetic)
    if "indicator" in data.columns:  # one indicator's rows from here on: a map of a results table stays quick
        data = data[data["indicator"] == indicator]
    classify, decimals = _yearly_classifier(
        data,
        indicator,
        value_col=value_col,
        scheme=scheme,
        k=k,
        breaks=breaks,
        target=target,
        direction=direction,
        reach_margin=reach_margin,
        lang=lang,
        unit=unit,
    )
    where = map_prefecture(_county_rows(data, value_col)["county_code"].unique(), prefecture)
    counties = prefecture_counties(where)
    values = indicator_values(data, indicator, year, value_col)
    values = values[values.index.isin(counties["county_code"])]
    classification = classify(values, year)
    ax = _single_map_axes(ax)
    texts = _value_label_texts(counties, values, lang, decimals, signed=False, target=target)
    _draw_panel(ax, counties, classification, texts, label_size=9)
    heading = title or _place_prefix(where, lang) + TEXT[lang]["title"].format(
        label=label or indicator, year=_year(year, lang)
    )
    note = _source_line(lang, source, _year(year, lang), _is_synthetic(data, synthetic))
    return _finish_single_map(ax, counties, classification, heading, note, lang)


def _grid_shape(panels: int) -> tuple[int, int]:
    columns = 2 if panels == 4 else min(panels, 3)
    return math.ceil(panels / columns), columns


def _panel_figure(
    panels: int, panel_size: tuple[float, float], legend_width: float = 1.9, header: float = 0.8
) -> tuple[Figure, list[Axes]]:
    """Fixed layout (no constrained layout), so labels placed now stay clear of each other. ``header``:
    inches above the panels for the title and the panels' own titles."""
    rows, columns = _grid_shape(panels)
    width = panel_size[0] * columns + legend_width
    height = panel_size[1] * rows + header + 0.2
    figure = _new_figure(width, height)
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


def _finish_panel_figure(
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
        handles=_legend_handles(legend, with_no_data, lang),
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
    _add_north_arrow(axes)
    _add_scale_bar(axes, fontsize=7)
    return figure


def small_multiples(
    data: pd.DataFrame,
    indicator: str,
    years: Sequence[int] = DEFAULT_YEARS,
    *,
    value_col: str = "value",
    title: str | None = None,
    label: str | None = None,
    lang: Lang = "zh",
    scheme: str = "fisher_jenks",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    target: float | None = None,
    direction: Direction = "higher",
    reach_margin: float = DEFAULT_REACH_MARGIN,
    source: str | None = None,
    unit: str = "",
    synthetic: bool | None = None,
    prefecture: str | None = None,
) -> Figure:
    """One panel per year on one shared classification and one legend: progress at a glance.

    ``prefecture``: whose counties to draw (default: the one prefecture of the data; a province
    build must name one, see :func:`map_prefecture`)."""
    if not years:
        raise ValueError("years is empty")
    classify, decimals = _yearly_classifier(
        data,
        indicator,
        value_col=value_col,
        scheme=scheme,
        k=k,
        breaks=breaks,
        target=target,
        direction=direction,
        reach_margin=reach_margin,
        lang=lang,
        unit=unit,
    )
    where = map_prefecture(_county_rows(data, value_col)["county_code"].unique(), prefecture)
    counties = prefecture_counties(where)
    figure, axes = _panel_figure(len(years), (3.3, 3.6))
    with_no_data = False
    for ax, year in zip(axes, years, strict=True):
        values = indicator_values(data, indicator, year, value_col)
        values = values[values.index.isin(counties["county_code"])]
        classification = classify(values, year)
        texts = _value_label_texts(counties, values, lang, decimals, signed=False, target=target)
        _draw_panel(ax, counties, classification, texts, label_size=7)
        ax.set_title(TEXT[lang]["panel_year"].format(year=_year(year, lang, short=lang == "en")), fontsize=11)
        ax.set_gid(f"panel-{year}")
        with_no_data |= _has_no_data(counties, classification)
    first, last = years[0], years[-1]
    span = _year_span(first, last, lang)
    heading = title or _place_prefix(where, lang) + TEXT[lang]["multiples_title"].format(
        label=label or indicator, span=span
    )
    year_text = span
    note = _source_line(lang, source, year_text, _is_synthetic(data, synthetic))
    return _finish_panel_figure(figure, classification, with_no_data, heading, note, lang)


def _status_for(status: pd.DataFrame, assessment: str, year: int) -> pd.Series:
    missing = {"county_code", "year", "assessment", "is_met"} - set(status.columns)
    if missing:
        raise ValueError(f"status lacks columns {sorted(missing)}")
    rows = status.loc[(status["assessment"] == assessment) & (status["year"] == year)]
    rows = rows.assign(county_code=rows["county_code"].astype(str))
    if rows["county_code"].duplicated().any():
        raise ValueError(f"several status rows per county for {assessment} {year}")
    return rows.set_index("county_code")["is_met"]


def status_share(is_met: pd.Series, county_codes: Sequence[str]) -> tuple[int, int, int]:
    """(met, without status, total) over the map's counties: a county without data is not counted as not met."""
    flags = is_met.reindex(list(county_codes))
    return int(flags.fillna(False).astype(bool).sum()), int(flags.isna().sum()), len(county_codes)


_VERDICT_WORDS = {"met": "status_reached", "not_met": "status_not_reached", "not_due": "status_not_due"}


def _status_title(
    assessment: str,
    is_met: pd.Series,
    codes: Sequence[str],
    target_share: float | None,
    verdict: str | None,
    lang: Lang,
) -> str:
    """Words like "{name} 3/8 县（37.5%），计划目标 37.5%，已达到": the count of the map, the plan's share and the
    stored verdict of the city's share target (``verdict``: the scorecard's status; never judged here)."""
    met, unknown, total = status_share(is_met, codes)
    name = ASSESSMENT_NAMES.get(assessment, {}).get(lang, assessment)
    if unknown == total:
        return TEXT[lang]["status_no_data"].format(name=name)
    share = met / total
    if target_share is None:  # the plan sets no share for this assessment
        return f"{name}：{met}/{total}" if lang == "zh" else f"{name}: {met}/{total}"
    key = _VERDICT_WORDS.get(str(verdict)) if verdict is not None else None
    reached = TEXT[lang][key] if key else (TEXT[lang]["status_unknown"].format(n=unknown) if unknown else "")
    return (
        TEXT[lang]["status_panel"]
        .format(name=name, met=met, total=total, share=share, target=target_share, reached=reached)
        .rstrip("，; ")
    )


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


def share_verdicts(year: int, plan: str | None = None) -> dict[str, str]:
    """Assessment → the stored status of the plan's ``<assessment>_county_share_pct`` city target in ``year``."""
    from lcedu.measure.results import plan_scorecard

    card = plan_scorecard(plan)
    rows = card[card["indicator"].str.endswith("_county_share_pct") & (card["year"] == int(year))]
    rows = rows[rows["county_code"] == paths.CITY_CODE]
    return {
        str(code).removesuffix("_county_share_pct"): str(status)
        for code, status in zip(rows["indicator"], rows["status"], strict=True)
        if pd.notna(status)
    }


def status_map(
    status: pd.DataFrame,
    year: int,
    *,
    assessments: Sequence[str] | None = None,
    target_shares: dict[str, float] | None = None,
    verdicts: Mapping[str, str] | None = None,
    title: str | None = None,
    lang: Lang = "zh",
    source: str | None = None,
    synthetic: bool | None = None,
    prefecture: str | None = None,
) -> Figure:
    """Which counties meet each county-level assessment, and the share against the plan.

    ``target_shares``: assessment → share of counties the plan asks for (default: the default
    plan's ``*_county_share_pct`` targets, :meth:`lcedu.measure.plan.Plan.target_shares`, which
    are 临沧's: for another prefecture only the counts are shown unless shares are given).
    ``verdicts``: assessment → the stored status of that share target (:func:`share_verdicts`); the
    title words it and never judges it (without one it states the share and the target only).
    ``prefecture``: whose counties to draw and count (default: the one prefecture of ``status``).
    """
    where = map_prefecture(status["county_code"].astype(str).unique(), prefecture)
    if target_shares is None:
        from lcedu.measure.plan import get_plan

        target_shares = get_plan().target_shares() if where == paths.CITY_CODE else {}
    counties = prefecture_counties(where)
    codes = list(counties["county_code"])
    present = set(status["assessment"])
    chosen = assessments or [name for name in ASSESSMENTS if name in present] or sorted(present)
    # Room for three-line panel titles and the legend's 未评估 entry in every year: each year's map the same size.
    figure, axes = _panel_figure(len(chosen), (4.2, 4.9), legend_width=1.6, header=1.2)
    for ax, assessment in zip(axes, chosen, strict=True):
        is_met = _status_for(status, assessment, year)
        classification = status_classification(is_met, lang)
        _draw_panel(ax, counties, classification, _county_name(counties, lang), label_size=8)
        heading = ax.set_title(
            _status_title(
                assessment, is_met, codes, target_shares.get(assessment), (verdicts or {}).get(assessment), lang
            ),
            fontsize=10,
            loc="left",
        )
        fit_to_width(heading, ax.get_window_extent().width)
        ax.set_gid(f"panel-{assessment}")
    heading = title or _place_prefix(where, lang) + TEXT[lang]["status_title"].format(year=_year(year, lang))
    note = _source_line(lang, source, _year(year, lang), _is_synthetic(status, synthetic))
    return _finish_panel_figure(figure, classification, True, heading, note, lang)


def change_map(
    data: pd.DataFrame,
    indicator: str,
    base_year: int = 2022,
    year: int = 2025,
    *,
    value_col: str = "value",
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
    lang: Lang = "zh",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    direction: Direction = "higher",
    source: str | None = None,
    unit: str = "",
    synthetic: bool | None = None,
    prefecture: str | None = None,
) -> Axes:
    """Change since the base year on a diverging scale centred on 0 (blue = improvement).

    ``prefecture``: whose counties to draw (default: the one prefecture of the data)."""
    where = map_prefecture(_county_rows(data, value_col)["county_code"].unique(), prefecture)
    counties = prefecture_counties(where)
    before = indicator_values(data, indicator, base_year, value_col)
    after = indicator_values(data, indicator, year, value_col)
    changes = after.sub(before).dropna()
    changes = changes[changes.index.isin(counties["county_code"])]
    bins = breaks if breaks is not None else change_breaks(changes, k)
    # A rate changes in 个百分点 (percentage points), never in "%": 93.4% → 95.4% is +2.0 个百分点.
    change_unit = ("个百分点" if lang == "zh" else "percentage points") if unit.strip() == "%" else unit
    classification = change_classification(changes, bins, direction, lang, change_unit)
    ax = _single_map_axes(ax)
    texts = _value_label_texts(counties, changes, lang, _decimals(bins), signed=True)
    _draw_panel(ax, counties, classification, texts, label_size=9)
    heading = title or _place_prefix(where, lang) + TEXT[lang]["change_title"].format(
        label=label or indicator, base=_year(base_year, lang), year=_year(year, lang)
    )
    years = TEXT[lang]["year_join"].join([_year(base_year, lang), _year(year, lang)])
    note = _source_line(lang, source, years, _is_synthetic(data, synthetic))
    return _finish_single_map(ax, counties, classification, heading, note, lang)


def locator_map(county_code: str, *, ax: Axes | None = None, title: str | None = None, lang: Lang = "zh") -> Axes:
    """One county highlighted among the counties of its prefecture, for county briefings.

    临沧's counties use the shipped 临沧 file; any other county its prefecture's shapes (shipped
    for 云南, else built by ``lcedu shapes``).
    """
    counties = _projected_counties()
    code = str(county_code)
    prefecture = TEXT[lang]["prefecture"]
    if code not in set(counties["county_code"]):
        from lcedu.ingest.counties import area_name, registry

        known = registry().set_index("county_code")
        if code not in known.index:
            raise ValueError(f"unknown county code {county_code!r}")
        counties = _scope_shapes("prefecture", str(known.at[code, "prefecture_code"]))[0].copy()
        prefecture = area_name(str(known.at[code, "prefecture_code"]), lang)  # 昆明市 / Kunming
    fills = {other: HIGHLIGHT_COLOUR if other == code else CONTEXT_COLOUR for other in counties["county_code"]}
    if ax is None:
        ax = _new_figure(4.2, 4.6).add_axes((0.03, 0.03, 0.94, 0.84))
    else:
        use_cjk_font()
    names = _county_name(counties, lang)
    _draw_panel(ax, counties, Classification(fills, [], ""), names, label_size=8, first=code)
    highlighted = next(t for t in ax.texts if t.get_gid() == f"county-label-{code}")
    highlighted.set_color("white")
    highlighted.set_path_effects([patheffects.withStroke(linewidth=2.2, foreground="#1b4f72")])
    heading = title or TEXT[lang]["locator_title"].format(name=names[code], prefecture=prefecture)
    ax.set_title(heading, loc="left", fontsize=11)
    _add_north_arrow(ax)
    _add_scale_bar(ax, fontsize=7)
    return ax


# ---------------------------------------------------------------- province and prefecture scale

PREFECTURE_EDGE_WIDTH = 0.9
PROVINCE_EDGE_WIDTH = 1.3
SCOPE_COUNTY_EDGE_WIDTH = 0.3


@lru_cache(maxsize=8)
def _scope_shapes(level: str, code: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Counties and prefecture outlines of a province or prefecture, projected to the UTM zone of its centre.

    Shipped (云南) or cached files from ``lcedu shapes``; a prefecture of a province whose file
    exists is cut from it.
    """
    from lcedu.ingest import shapes

    pair = shapes.find(shapes.Scope(level, code))
    if pair is None and level == "prefecture":
        pair = shapes.find(shapes.Scope("province", shapes.province_of(code)))
    if pair is None:
        flag, short = ("--province", code[:2]) if level == "province" else ("--prefecture", code[:4])
        raise RequestError(
            f"没有 {code} 的县界 / no county boundaries for {code} (shipped: 云南 530000)",
            f"pip install 'lcedu[maps]'，再运行 / then run: lcedu shapes {flag} {short}",
        )
    from lcedu.ingest.counties import registry

    column = f"{level}_code"
    county_frame = _read_counties(str(pair[0]))
    county_frame = county_frame[county_frame[column] == code].reset_index(drop=True)
    names = registry().set_index("county_code")[
        ["short_name_zh", "name_pinyin", "prefecture_name_zh", "province_name_zh"]
    ]
    county_frame = county_frame.drop(columns=[c for c in names.columns if c in county_frame]).join(
        names, on="county_code"
    )
    prefectures = gpd.read_file(pair[1])
    prefectures = prefectures[prefectures[column] == code].reset_index(drop=True)
    crs = shapes.utm_crs_for(tuple(county_frame.total_bounds))
    return county_frame.to_crs(crs), prefectures.to_crs(crs)


def load_scope(province: str | None = None, prefecture: str | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Counties and prefecture outlines (projected, fresh copies) of a province (53, 云南省) or prefecture (5309)."""
    from lcedu.ingest.shapes import scope

    where = scope(province, prefecture)
    county_frame, prefectures = _scope_shapes(where.level, where.code)
    return county_frame.copy(), prefectures.copy()


def _draw_scope(
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
        patch = PathPatch(_geometry_path(geometry), edgecolor=COUNTY_EDGE, linewidth=SCOPE_COUNTY_EDGE_WIDTH, **style)
        patch.set_gid(f"county-{code}")
        ax.add_artist(patch)
    for code, geometry in zip(prefectures["prefecture_code"], prefectures.geometry, strict=True):
        outline = PathPatch(
            _geometry_path(geometry), facecolor="none", edgecolor=OUTLINE_COLOUR, linewidth=PREFECTURE_EDGE_WIDTH
        )
        outline.set_gid(f"prefecture-outline-{code}")
        ax.add_artist(outline)
    whole = PathPatch(
        _geometry_path(prefectures.union_all()), facecolor="none", edgecolor="black", linewidth=PROVINCE_EDGE_WIDTH
    )
    whole.set_gid("scope-outline")
    ax.add_artist(whole)


def _label_fits(text: Text, geometry: shapely.Geometry, ax: Axes) -> bool:
    """The label's box, at its anchor and at the figure's scale, lies inside its county."""
    to_data = ax.transData.inverted()
    box = text.get_window_extent().padded(1.0)
    (x0, y0), (x1, y1) = to_data.transform([(box.x0, box.y0), (box.x1, box.y1)])
    return bool(geometry.contains(shapely.box(x0, y0, x1, y1)))


def _add_fitting_labels(
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


def province_choropleth(
    data: pd.DataFrame,
    indicator: str | None = None,
    year: int | None = None,
    *,
    province: str | None = "530000",
    prefecture: str | None = None,
    value_col: str = "value",
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
    lang: Lang = "zh",
    scheme: str = "fisher_jenks",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    target: float | None = None,
    direction: Direction = "higher",
    reach_margin: float = DEFAULT_REACH_MARGIN,
    source: str | None = None,
    unit: str = "",
    synthetic: bool | None = None,
) -> Axes:
    """One indicator over every county of a province (or of another prefecture), from a results table.

    ``data`` is keyed by ``county_code`` like the indicator results (``county_code, year,
    indicator, value``); counties without a row are hatched as no data. Same fixed classes,
    target mode and legend as :func:`choropleth`; prefecture outlines are drawn thicker, and a
    county is labelled only where its label fits inside it.
    """
    indicator = _resolve_indicator(data, indicator)
    year = _resolve_year(data, indicator, year)
    classify, decimals = _yearly_classifier(
        data,
        indicator,
        value_col=value_col,
        scheme=scheme,
        k=k,
        breaks=breaks,
        target=target,
        direction=direction,
        reach_margin=reach_margin,
        lang=lang,
        unit=unit,
    )
    county_frame, prefectures = load_scope(None if prefecture else province, prefecture)
    values = indicator_values(data, indicator, year, value_col)
    classification = classify(values.reindex(county_frame["county_code"]).dropna(), year)
    if ax is None:
        ax = _new_figure(9.0, 7.8).add_axes((0.02, 0.05, 0.72, 0.88))
    else:
        use_cjk_font()
    _draw_scope(ax, county_frame, prefectures, classification.fills)
    _frame_map(ax, county_frame, margin=0.02)
    names = _county_name(county_frame, lang)
    known = values.dropna()
    choices = {
        code: ([f"{name}\n{_format_value(known[code], decimals)}"] if code in known else []) + [name]
        for code, name in names.items()
    }
    _add_fitting_labels(ax, county_frame, choices, fontsize=8.0 if prefecture else 5.5)
    from lcedu.ingest.counties import area_name

    place = area_name(prefecture if prefecture else str(county_frame["province_code"].iloc[0]), lang)
    heading = title or (
        (place if lang == "zh" else f"{place}: ")
        + TEXT[lang]["title"].format(label=label or indicator, year=_year(year, lang))
    )
    note = _source_line(lang, source, _year(year, lang), _is_synthetic(data, synthetic))
    return _finish_single_map(ax, county_frame, classification, heading, note, lang)


# ---------------------------------------------------------------- export

_SAVE_METADATA: dict[str, dict[str, None]] = {
    "pdf": {"CreationDate": None},
    "svg": {"Date": None},
    "png": {},
}


def save_figure(
    figure: Figure,
    path_stem: str | Path,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
) -> list[Path]:
    """Write each format atomically (temp file, then rename) so readers never see half a file.

    Timestamps are left out and SVG ids are salted with the file name, so re-running a
    report on unchanged data gives byte-identical files.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = stem.parent / f"{stem.name}.{fmt}"
        handle, temporary_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=stem.parent)
        os.close(handle)
        temporary = Path(temporary_name)
        try:
            with mpl.rc_context({"svg.hashsalt": stem.name}):
                figure.savefig(
                    temporary,
                    format=fmt,
                    dpi=dpi,
                    bbox_inches="tight",
                    pad_inches=0.15,
                    metadata=_SAVE_METADATA.get(fmt, {}),
                )
            temporary.chmod(0o644)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(target)
    return written


def safe_name(text: str) -> str:
    """ASCII-only, shell- and URL-safe file name part."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")
    return cleaned or "unnamed"


def _write_indicator_maps(
    data: pd.DataFrame,
    indicator: str,
    year: int,
    save: Callable[[Figure, str], list[Path]],
    options: Mapping[str, object],
    breaks: Sequence[float] | None = None,
) -> list[Path]:
    """Choropleth, small multiples and change map of one indicator (empty if no data).

    ``breaks``: the indicator's declared class bounds, so a year's map looks the same whichever
    years are loaded; without them, breaks come from every loaded year's values.
    """
    name = safe_name(indicator)
    indicator_years = data.loc[data["indicator"] == indicator, "year"].dropna().unique()
    years = sorted(int(y) for y in indicator_years if y <= year)
    if year not in years:
        return []
    first = years[0]
    written = save(choropleth(data, indicator, year, breaks=breaks, **options).figure, f"{name}_{year}_choropleth")
    figure = small_multiples(data, indicator, years, breaks=breaks, **options)
    written += save(figure, f"{name}_{first}-{year}_small-multiples")
    if first < year:
        ax = change_map(data, indicator, first, year, **options)
        written += save(ax.figure, f"{name}_{first}-{year}_change")
    return written


def write_map_set(
    data: pd.DataFrame,
    status: pd.DataFrame | None,
    year: int,
    out_dir: str | Path,
    *,
    indicators: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    breaks: Mapping[str, Sequence[float]] | None = None,
    target_shares: Mapping[str, float] | None = None,
    verdicts: Mapping[str, str] | None = None,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
    lang: Lang = "zh",
    synthetic: bool | None = None,
    prefecture: str | None = None,
) -> list[Path]:
    """The standard set for a report year; returns every file written, in a fixed order.

    ``prefecture``: whose counties (default: the one prefecture of ``data``, 临沧's for its
    build; a province build must name one, see :func:`map_prefecture`).

    Per indicator (default: every indicator in ``data``): a choropleth for ``year``, small
    multiples over the years up to ``year``, and the change since the first of them; then
    the status map (if ``status`` is given) and one locator map per county. ``labels`` and
    ``units`` map indicator codes to display names and units, ``breaks`` to declared class
    bounds (the registry's ``map_breaks``). File names are ASCII:
    ``{indicator}_{year}_choropleth``, ``status_{year}``, ``locator_{county_code}`` ...
    """
    out = Path(out_dir)
    sample = _is_synthetic(data, synthetic)
    where = map_prefecture(_county_rows(data)["county_code"].unique(), prefecture)

    def save(figure: Figure, stem: str) -> list[Path]:
        return save_figure(figure, out / stem, formats, dpi)

    chosen = indicators if indicators is not None else sorted(data["indicator"].dropna().unique())
    written: list[Path] = []
    for indicator in chosen:
        options = {
            "lang": lang,
            "synthetic": sample,
            "prefecture": where,
            "label": (labels or {}).get(indicator),
            "unit": (units or {}).get(indicator, ""),
        }
        written += _write_indicator_maps(data, indicator, year, save, options, (breaks or {}).get(indicator))
    if status is not None and not status.empty:
        written += save(
            status_map(
                status,
                year,
                lang=lang,
                synthetic=sample,
                prefecture=where,
                target_shares=None if target_shares is None else dict(target_shares),
                verdicts=verdicts,
            ),
            f"status_{year}",
        )
    for code in prefecture_counties(where)["county_code"]:
        written += save(locator_map(code, lang=lang).figure, f"locator_{safe_name(code)}")
    return written


def write_scope_maps(
    data: pd.DataFrame,
    year: int,
    out_dir: str | Path,
    *,
    province: str | None = None,
    prefecture: str | None = None,
    indicators: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    breaks: Mapping[str, Sequence[float]] | None = None,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
    lang: Lang = "zh",
    synthetic: bool | None = None,
) -> list[Path]:
    """One :func:`province_choropleth` per indicator with data in ``year``, for a province or prefecture.

    File names: ``{indicator}_{year}_{scope code}_choropleth`` (e.g. ``…_2025_530000_choropleth``).
    """
    from lcedu.ingest.shapes import scope

    where = scope(province, prefecture)
    out = Path(out_dir)
    sample = _is_synthetic(data, synthetic)
    chosen = indicators if indicators is not None else sorted(data["indicator"].dropna().unique())
    written: list[Path] = []
    for indicator in chosen:
        if not ((data["indicator"] == indicator) & (data["year"] == year)).any():
            continue
        ax = province_choropleth(
            data,
            indicator,
            year,
            province=where.code if where.level == "province" else None,
            prefecture=where.code if where.level == "prefecture" else None,
            lang=lang,
            synthetic=sample,
            label=(labels or {}).get(indicator),
            unit=(units or {}).get(indicator, ""),
            breaks=(breaks or {}).get(indicator),
        )
        stem = f"{safe_name(indicator)}_{year}_{where.code}_choropleth"
        written += save_figure(ax.figure, out / stem, formats, dpi)
    return written
