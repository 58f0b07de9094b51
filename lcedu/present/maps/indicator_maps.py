"""Maps of one indicator: a choropleth of one year, small multiples over years, and the change between two years."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lcedu.present.maps.boundaries import map_prefecture, prefecture_counties
from lcedu.present.maps.classes import (
    DEFAULT_REACH_MARGIN,
    ClassRule,
    Direction,
    break_decimals,
    change_breaks,
    change_classification,
    yearly_classifier,
)
from lcedu.present.maps.furniture import (
    draw_panel,
    finish_panel_figure,
    finish_single_map,
    has_no_data,
    panel_figure,
    single_map_axes,
)
from lcedu.present.maps.labels import value_label_texts
from lcedu.present.maps.rows import county_rows, indicator_values, is_synthetic, resolve_indicator, resolve_year
from lcedu.present.maps.words import Lang, place_prefix, source_line, year_span, year_words
from lcedu.present.words import word

DEFAULT_YEARS = (2022, 2023, 2024, 2025)


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
    indicator = resolve_indicator(data, indicator)
    year = resolve_year(data, indicator, year)
    synthetic = is_synthetic(data, synthetic)
    if "indicator" in data.columns:  # one indicator's rows from here on: a map of a results table stays quick
        data = data[data["indicator"] == indicator]
    rule = ClassRule(scheme, k, breaks, target, direction, reach_margin, value_col)
    classify, decimals = yearly_classifier(data, indicator, rule, lang, unit)
    where = map_prefecture(county_rows(data, value_col)["county_code"].unique(), prefecture)
    counties = prefecture_counties(where)
    values = indicator_values(data, indicator, year, value_col)
    values = values[values.index.isin(counties["county_code"])]
    classification = classify(values, year)
    ax = single_map_axes(ax)
    texts = value_label_texts(counties, values, lang, decimals, signed=False, target=target)
    draw_panel(ax, counties, classification, texts, label_size=9)
    heading = title or place_prefix(where, lang) + word(
        "maps.title", lang, label=label or indicator, year=year_words(year, lang)
    )
    note = source_line(lang, source, year_words(year, lang), is_synthetic(data, synthetic))
    return finish_single_map(ax, counties, classification, heading, note, lang)


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
    rule = ClassRule(scheme, k, breaks, target, direction, reach_margin, value_col)
    classify, decimals = yearly_classifier(data, indicator, rule, lang, unit)
    where = map_prefecture(county_rows(data, value_col)["county_code"].unique(), prefecture)
    counties = prefecture_counties(where)
    figure, axes = panel_figure(len(years), (3.3, 3.6))
    with_no_data = False
    # Kept branch, not a word: English year labels are long ("start of the 2025/26 school year"), so English
    # panels take the short form (2025/26); Chinese panels keep the full 2025/26学年初.
    short_years = lang == "en"
    for ax, year in zip(axes, years, strict=True):
        values = indicator_values(data, indicator, year, value_col)
        values = values[values.index.isin(counties["county_code"])]
        classification = classify(values, year)
        texts = value_label_texts(counties, values, lang, decimals, signed=False, target=target)
        draw_panel(ax, counties, classification, texts, label_size=7)
        ax.set_title(word("maps.panel_year", lang, year=year_words(year, lang, short=short_years)), fontsize=11)
        ax.set_gid(f"panel-{year}")
        with_no_data |= has_no_data(counties, classification)
    first, last = years[0], years[-1]
    span = year_span(first, last, lang)
    heading = title or place_prefix(where, lang) + word(
        "maps.multiples_title", lang, label=label or indicator, span=span
    )
    year_text = span
    note = source_line(lang, source, year_text, is_synthetic(data, synthetic))
    return finish_panel_figure(figure, classification, with_no_data, heading, note, lang)


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
    where = map_prefecture(county_rows(data, value_col)["county_code"].unique(), prefecture)
    counties = prefecture_counties(where)
    before = indicator_values(data, indicator, base_year, value_col)
    after = indicator_values(data, indicator, year, value_col)
    changes = after.sub(before).dropna()
    changes = changes[changes.index.isin(counties["county_code"])]
    bins = breaks if breaks is not None else change_breaks(changes, k)
    # A rate changes in 个百分点 (percentage points), never in "%": 93.4% → 95.4% is +2.0 个百分点.
    change_unit = word("text.pp", lang) if unit.strip() == "%" else unit
    classification = change_classification(changes, bins, direction, lang, change_unit)
    ax = single_map_axes(ax)
    texts = value_label_texts(counties, changes, lang, break_decimals(bins), signed=True)
    draw_panel(ax, counties, classification, texts, label_size=9)
    heading = title or place_prefix(where, lang) + word(
        "maps.change_title",
        lang,
        label=label or indicator,
        base=year_words(base_year, lang),
        year=year_words(year, lang),
    )
    years = word("maps.year_join", lang).join([year_words(base_year, lang), year_words(year, lang)])
    note = source_line(lang, source, years, is_synthetic(data, synthetic))
    return finish_single_map(ax, counties, classification, heading, note, lang)
