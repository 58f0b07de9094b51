"""Page parameters and the cached data access layer of the notebook pages.

:func:`params` checks a notebook's parameters (county, years, language, plan) into :class:`Params`; the rest
reads the current processed build once per build (:func:`base`: stored results, assessments; :func:`card`:
the plan's scorecard with each row's 工程) so every page, section and the explorer read the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.home import CITY_CODE, HOME
from lcedu.ingest import counties, store
from lcedu.ingest.counties import home, resolve
from lcedu.measure import indicators as ind
from lcedu.measure.plan import Plan, get_plan
from lcedu.measure.results import load_results, plan_results
from lcedu.present import narrative as nv
from lcedu.present.narrative import (
    check_lang,
    place_name,
)

ASSESSMENTS = ("preschool_universal", "compulsory_balanced")


@dataclass(frozen=True)
class Params:
    """Validated notebook parameters: a 6-digit county code (or ``"530900"``), years and language."""

    county: str
    year: int
    baseline_year: int
    lang: str
    plan: str | None = None  # a plan name, folder or targets file; None: the default plan

    @property
    def name(self) -> str:
        """Display name of the county (or the city)."""
        return place_name(self.county, self.lang)

    @property
    def is_city(self) -> bool:
        return self.county == CITY_CODE


#: What a page parameter may say for the home prefecture (besides its code and names in lcedu/data/home.yml).
_CITY_WORDS = {"全市", "city"}


def _county_choices() -> str:
    reg = home()
    return "、".join(f"{n}({c})" for c, n in zip(reg["county_code"], reg["short_name_zh"], strict=True))


def _resolve(county: object, allow_city: bool) -> str:
    text = str(county).strip()
    if HOME.is_named(text) or text in _CITY_WORDS or text.lower() == HOME.name_en.lower():
        if not allow_city:
            raise ValueError(
                f"本笔记本按县(区)呈现，county 不能是全市 {county!r}；全市情况请看 city_overview。"
                f" / This notebook is per county; use city_overview for the city. Counties: {_county_choices()}"
            )
        return CITY_CODE
    code = resolve(county)
    if code is None:
        raise ValueError(
            f"未知的县(区) {county!r} / unknown county {county!r}。可选 / choose from: {_county_choices()}"
        )
    return code


def check_city_view(p: Params) -> None:
    """The city overview is 临沧's (its heat table, shares and targets): a county of another prefecture
    highlighted in it would read 临沧's figures as its own, so it is sent to its prefecture's overview.
    (The explorer, also ``scope="city"``, is prefecture-aware and does not call this.)."""
    code = p.county
    prefecture = CITY_CODE if p.is_city else counties.prefecture_of(code)
    if prefecture != CITY_CODE:
        raise ValueError(
            f"全市总览(city_overview)是临沧市的；{counties.name(code)}属{counties.area_name(prefecture)}，"
            f'请用州(市)总览 prefecture_overview（prefecture="{prefecture}"）。'
            f" / city_overview is Lincang's; {counties.name(code, 'en')} ({code}) is in "
            f'{counties.area_name(prefecture, "en")}: use prefecture_overview with prefecture="{prefecture}".'
        )


def checked_year(value: object, years: Sequence[int], name: str) -> int:
    """A notebook's year parameter as an int that is in the data, else a message listing the years."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer | str):
        raise ValueError(f"{name} 应为整数年份 / {name} must be a year (int), got {value!r}")
    try:
        year = int(value)
    except ValueError:
        raise ValueError(f"{name} 应为整数年份 / {name} must be a year (int), got {value!r}") from None
    if year not in years:
        raise ValueError(
            f"{name}={year} 不在数据中 / not in the data; "
            f"可用年份 / available years: {', '.join(str(y) for y in years)}"
        )
    return year


def params(
    county: object,
    year: object,
    baseline_year: object = None,
    lang: str = "zh",
    *,
    scope: str = "county",
    plan: str | None = None,
) -> Params:
    """Check the notebook parameters and return them resolved; a ValueError says what is wrong.

    ``county``: 6-digit code or name (双江, 双江自治县, 双江县, 530925); with ``scope="city"`` also
    ``"530900"`` / 临沧市 (a county is then highlighted in the city view). ``year`` and
    ``baseline_year`` must be years of the processed data, baseline ≤ year.
    """
    lang = check_lang(lang)
    code = _resolve(county, allow_city=scope == "city")
    years = available_years()
    y = checked_year(year, years, "year")
    chosen = plan_of(plan)  # an unknown or broken plan fails here, with the file and field
    base = checked_year(baseline_year if baseline_year is not None else chosen.baseline_year, years, "baseline_year")
    if base > y:
        raise ValueError(f"baseline_year={base} 晚于 year={y} / baseline_year must not be after year")
    return Params(code, y, base, lang, None if plan is None else str(plan))


@dataclass(frozen=True)
class _Base:
    build: str
    results: pd.DataFrame
    stored: dict[str, pd.DataFrame]  # the build's result tables (lcedu.measure.results)
    assessments: pd.DataFrame
    criteria: pd.DataFrame
    synthetic: bool
    created_at: str
    years: tuple[int, ...]

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The processed tables, read on first use: pages read results; only another baseline needs these."""
        return ind.load_tables(Path(self.build).parent)


def current_build() -> str:
    return str(store.current())


@lru_cache(maxsize=2)
def base_of(build: str) -> _Base:
    stored = load_results()
    manifest = store.manifest()
    results = stored["indicator_results"]
    return _Base(
        build=build,
        results=results,
        stored=stored,
        assessments=stored["assessments"],
        criteria=stored["assessment_criteria"],
        synthetic=bool(manifest.get("is_sample", False)),
        created_at=str(manifest.get("created_at", "")),
        years=tuple(sorted(int(y) for y in results["year"].dropna().unique())),
    )


def base() -> _Base:
    """Tables, indicator results and assessments of the current processed set (cached)."""
    return base_of(current_build())


def available_years() -> tuple[int, ...]:
    """Years of the processed data."""
    return base().years


@cache
def presentation() -> dict[str, Any]:
    """lcedu/present/config/briefing.yml: the plan's projects with their indicators, and closing nouns."""
    text = paths.package_file("present", "config", "briefing.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def project_of() -> dict[str, tuple[int, str]]:
    """Indicator code → (project position, project key)."""
    out: dict[str, tuple[int, str]] = {}
    for i, project in enumerate(presentation()["projects"]):
        for code in project["indicators"]:
            out.setdefault(code, (i, project["key"]))
    return out


def project_name(key: str, lang: str) -> str:
    """Display name of a project (工程)."""
    for project in presentation()["projects"]:
        if project["key"] == key:
            # The clause number (三(一)) is the Chinese plan's numbering: English names the project only.
            return f"{project['clause']} {project[lang]}" if lang == "zh" else project[lang]
    return key


@lru_cache(maxsize=4)
def _card(build: str, baseline_year: int, plan: str | None) -> pd.DataFrame:
    card = judged(plan, baseline_year)["scorecard"]
    position = project_of()
    card = card.assign(
        project=card["indicator"].map(lambda c: position.get(c, (99, ""))[1]).astype("string"),
        _order=card["indicator"].map(lambda c: position.get(c, (99, ""))[0]),
    )
    return card.sort_values(["_order", "county_code", "year"], kind="stable").drop(columns="_order")


def judged(plan: str | None = None, baseline_year: int | None = None) -> dict[str, pd.DataFrame]:
    """The plan's stored verdicts (scorecard, target_points, target_counts).

    See :func:`lcedu.measure.results.plan_results`.
    """
    base_year = None if baseline_year is None or baseline_year == plan_of(plan).baseline_year else baseline_year
    return plan_results(plan, base_year)


@lru_cache(maxsize=8)
def plan_of(plan: str | None = None) -> Plan:
    """The plan a page reports against (default: the 2023–2025 plan), from its plan file."""
    return get_plan(plan)


def card(baseline_year: int | None = None, plan: str | None = None) -> pd.DataFrame:
    """The build's scorecard (:func:`lcedu.measure.scorecard.scorecard`) with each row's plan ``project``.

    ``baseline_year``: default the plan's. ``plan``: another plan's targets on the same results.
    """
    base_year = baseline_year if baseline_year is not None else plan_of(plan).baseline_year
    return _card(current_build(), int(base_year), None if plan is None else str(plan))


def county_card(
    p: Params, indicators: Iterable[str] | None = None, *, county: str | None = None, year: int | None = None
) -> pd.DataFrame:
    """Rows of :func:`card` for one county (default ``p.county``) and year, in registry/project order."""
    c = card(p.baseline_year, p.plan)
    code = county or p.county
    rows = c[(c["county_code"] == code) & (c["year"] == (year or p.year))]
    if indicators is not None:
        wanted = list(indicators)
        rows = rows[rows["indicator"].isin(wanted)]
        rows = rows.assign(_o=rows["indicator"].map({k: i for i, k in enumerate(wanted)})).sort_values("_o")
        rows = rows.drop(columns="_o")
    return rows.reset_index(drop=True)


def row(p: Params, indicator: str, *, county: str | None = None, year: int | None = None) -> dict[str, Any]:
    """One indicator row as a dict (for a sentence); a ValueError names an unknown indicator."""
    rows = county_card(p, [indicator], county=county, year=year)
    if rows.empty:
        raise ValueError(f"no row for indicator {indicator!r} ({county or p.county}, {year or p.year})")
    return rows.iloc[0].to_dict()


def sentence(p: Params, indicator: str, *, county: str | None = None, year: int | None = None) -> str:
    """The generated sentence for one indicator (see :func:`lcedu.present.narrative.indicator_sentence`)."""
    return nv.indicator_sentence(row(p, indicator, county=county, year=year), p.lang)


def result_rows(name: str, *, county: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Rows of a stored result table (:data:`lcedu.measure.results.RESULT_TABLES`) for a county and/or year."""
    frame = base().stored[name]
    keep = np.ones(len(frame), dtype=bool)
    if county is not None:
        keep &= (frame["county_code"] == county).to_numpy(dtype=bool, na_value=False)
    if year is not None:
        keep &= (frame["year"] == int(year)).to_numpy(dtype=bool, na_value=False)
    return frame[keep].reset_index(drop=True)


@lru_cache(maxsize=8)
def _parts(build: str, year: int) -> pd.DataFrame:
    parts = base_of(build).stored["school_indicators"]
    return parts[parts["year"] == year].reset_index(drop=True)


def school_parts(year: int) -> pd.DataFrame:
    """Per school part (学段) the 7 优质均衡 indicators of all counties in one year (cached)."""
    return _parts(current_build(), int(year))


def county_parts(p: Params, county: str | None = None) -> pd.DataFrame:
    """The county's school parts (学段) with the 7 优质均衡 indicators, from the build's results."""
    parts = school_parts(p.year)
    return parts[parts["county_code"] == (county or p.county)].reset_index(drop=True)


def county_school_gaps(p: Params, county: str | None = None) -> pd.DataFrame:
    """What each of the county's school parts needs to meet every standard (stored gap estimates)."""
    g = base().stored["school_gaps"]
    return g[(g["county_code"] == (county or p.county)) & (g["year"] == p.year)].reset_index(drop=True)


def county_preschool_gaps(p: Params, county: str | None = None) -> pd.DataFrame:
    """What each 普及普惠 criterion still needs in the county (stored gap estimates)."""
    g = base().stored["preschool_gaps"]
    return g[(g["county_code"] == (county or p.county)) & (g["year"] == p.year)].reset_index(drop=True)
