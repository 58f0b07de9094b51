"""Words of the maps: titles, legend words, year and source lines and the county names on them.

Chinese first, English available (``lang``): the words are the ``maps`` and ``assessments`` sections of
``lcedu/present/config/words.yml``; county names come from the county registry.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd

from lcedu.home import CITY_CODE
from lcedu.ingest.counties import area_name, registry
from lcedu.present.narrative import year_label
from lcedu.present.words import table, word

Lang = Literal["zh", "en"]


ASSESSMENTS = ("preschool_universal", "compulsory_balanced")


def place_prefix(prefecture: str, lang: Lang) -> str:
    """The prefecture named before a title (昆明市 / Kunming: ); none for 临沧, whose maps are the default."""
    if prefecture == CITY_CODE:
        return ""
    return word("maps.place_prefix", lang, name=area_name(prefecture, lang))


def county_names(counties: gpd.GeoDataFrame, lang: Lang) -> dict[str, str]:
    """Labels from the county registry (the plan's names: 双江自治县), never the shapes' own name fields.

    A shape whose code the registry does not know keeps the name in its file.
    """
    column = word("maps.name_column", lang)  # the registry's name column for this language
    known = registry().set_index("county_code")[column]
    own = counties[column] if column in counties.columns else counties["county_code"]
    return {code: str(known.get(code, fallback)) for code, fallback in zip(counties["county_code"], own, strict=True)}


def year_words(year: int, lang: Lang, short: bool = False) -> str:
    """A data year as its 学年初 state (:func:`lcedu.present.narrative.year_label`)."""
    return year_label(year, lang, short=short)


def year_span(first: int, last: int, lang: Lang) -> str:
    """2022/23—2025/26学年初 / 2022/23–2025/26 school-year starts."""
    return word("maps.year_range", lang, first=year_words(first, lang, True), last=year_words(last, lang, True))


def source_line(lang: Lang, source: str | None, years: str, synthetic: bool) -> str:
    """The line under a map: its source, the data's year, and the sample notice for synthetic data."""
    parts = [source or word("maps.source_default", lang), word("maps.data_year", lang, years=years)]
    if synthetic:
        parts.append(word("text.sample", lang))
    return word("maps.separator", lang).join(parts)


def assessment_name(assessment: str, lang: Lang) -> str:
    """The assessment's name (学前教育普及普惠 …); an assessment the words do not know is shown by its code."""
    return table("assessments", lang).get(assessment, assessment)
