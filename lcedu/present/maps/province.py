"""One indicator over every county of a province (or of another prefecture), prefecture outlines drawn thicker."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes

from lcedu.ingest.counties import area_name
from lcedu.present.fonts import use_cjk_font
from lcedu.present.maps.boundaries import load_scope
from lcedu.present.maps.classes import DEFAULT_REACH_MARGIN, ClassRule, Direction, format_value, yearly_classifier
from lcedu.present.maps.furniture import draw_scope, finish_single_map, frame_map, new_figure
from lcedu.present.maps.labels import add_fitting_labels
from lcedu.present.maps.rows import indicator_values, is_synthetic, resolve_indicator, resolve_year
from lcedu.present.maps.words import Lang, county_names, source_line, year_words
from lcedu.present.words import word


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
    indicator = resolve_indicator(data, indicator)
    year = resolve_year(data, indicator, year)
    rule = ClassRule(scheme, k, breaks, target, direction, reach_margin, value_col)
    classify, decimals = yearly_classifier(data, indicator, rule, lang, unit)
    county_frame, prefectures = load_scope(None if prefecture else province, prefecture)
    values = indicator_values(data, indicator, year, value_col)
    classification = classify(values.reindex(county_frame["county_code"]).dropna(), year)
    if ax is None:
        ax = new_figure(9.0, 7.8).add_axes((0.02, 0.05, 0.72, 0.88))
    else:
        use_cjk_font()
    draw_scope(ax, county_frame, prefectures, classification.fills)
    frame_map(ax, county_frame, margin=0.02)
    names = county_names(county_frame, lang)
    known = values.dropna()
    choices = {
        code: ([f"{name}\n{format_value(known[code], decimals)}"] if code in known else []) + [name]
        for code, name in names.items()
    }
    add_fitting_labels(ax, county_frame, choices, fontsize=8.0 if prefecture else 5.5)
    place = area_name(prefecture if prefecture else str(county_frame["province_code"].iloc[0]), lang)
    heading = title or (
        word("maps.place_prefix", lang, name=place)
        + word("maps.title", lang, label=label or indicator, year=year_words(year, lang))
    )
    note = source_line(lang, source, year_words(year, lang), is_synthetic(data, synthetic))
    return finish_single_map(ax, county_frame, classification, heading, note, lang)
