"""The indicators of the registry, computed: the public entry points of the measure layer's engine.

The work is split by job: :mod:`lcedu.measure.registry` reads and validates
``lcedu/measure/config/indicators.yml``; :mod:`lcedu.measure.engine` evaluates its formulas over the
processed tables; :mod:`lcedu.measure.sites` joins the 教学点 sites to their parent schools;
:mod:`lcedu.measure.resources` computes the 优质均衡 resource indicators per school part;
:mod:`lcedu.measure.assessments` judges 普及普惠 and 优质均衡. This module wires them into one
evaluation per call (:data:`FUNCTIONS` are the names a formula may call) and keeps the API the
callers use:

* :func:`compute` — one tidy long table: county and aggregate rows of every indicator.
* :func:`school_indicators` — per school part (学段) values of the 7 优质均衡 resource
  indicators, met flags, pass/fail and the ratio to each threshold.
* :func:`assessments` / :func:`assessment_dimensions` / :func:`assessment_criteria` — 普及普惠
  and 优质均衡 per county and year (达标 / 未达标 / 未评估), dimension by dimension and criterion
  by criterion; :func:`assessment_tables` all three from one evaluation; :func:`checklist_items`
  — what the local checklist workbook answers.
* re-exported: :func:`load_registry`, :func:`registry_frame`, :func:`map_breaks`,
  :func:`school_type_group`, :func:`load_tables`, :func:`criterion_threshold`, :func:`state_of`,
  :func:`site_join`, :func:`site_links`, :func:`join_sites`.

Missing inputs give NA with a reason (``na_reason``), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lcedu.measure import assessments as national  # the national assessments; `assessments` is the function below
from lcedu.measure import engine, resources
from lcedu.measure import standards as std
from lcedu.measure.assessments import STATES, checklist_items, criterion_threshold, state_of
from lcedu.measure.engine import OUTPUT_COLUMNS, Function, load_tables
from lcedu.measure.registry import (
    TABLES,
    Indicator,
    Registry,
    load_registry,
    map_breaks,
    registry_frame,
    school_type_group,
)
from lcedu.measure.sites import SiteJoin, join_sites, site_join, site_links

__all__ = [
    "FUNCTIONS",
    "OUTPUT_COLUMNS",
    "STATES",
    "TABLES",
    "Indicator",
    "Registry",
    "SiteJoin",
    "assessment_criteria",
    "assessment_dimensions",
    "assessment_tables",
    "assessments",
    "checklist_items",
    "compute",
    "criterion_threshold",
    "join_sites",
    "load_registry",
    "load_tables",
    "map_breaks",
    "registry_frame",
    "school_indicators",
    "school_type_group",
    "site_join",
    "site_links",
    "state_of",
]

#: What a formula's ``function:`` calls, by name (the names :data:`lcedu.measure.registry.FUNCTIONS` accepts).
FUNCTIONS: dict[str, Function] = {
    **resources.FUNCTIONS,
    **national.FUNCTIONS,
    "year_change": engine.year_change,
}


def _context(
    tables: Mapping[str, pd.DataFrame] | None,
    processed_dir: str | Path | None,
    years: Iterable[int] | int | None,
    standards: Mapping[str, Any] | None,
    registry: Registry | str | Path | None,
) -> engine.Context:
    return engine.context(tables, processed_dir, years, standards, registry, FUNCTIONS)


def compute(
    indicators: Iterable[str] | str | None = None,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    registry: Registry | str | Path | None = None,
) -> pd.DataFrame:
    """Every requested indicator for every county and year, plus the city rows, as one long table.

    ``indicators``: codes (default: all county and city indicators of the registry);
    ``counties``: 6-digit codes to keep (include ``"530900"`` for the city rows, which are
    always computed over all counties); ``years``: years to compute; ``tables``: processed
    tables by name (default: loaded from ``processed_dir`` / the current processed set);
    ``standards`` / ``registry``: override the thresholds or the indicator registry.

    Columns :data:`OUTPUT_COLUMNS`. ``value`` is NA with ``na_reason`` (e.g. "missing
    population", "no kindergarten children") whenever an input is missing — never 0. City
    rows (``county_code == "530900"``) sum the counties' numerators and denominators; the
    差异系数 and school assessments pool all of the city's schools.
    """
    ctx = _context(tables, processed_dir, years, standards, registry)
    if isinstance(indicators, str):
        indicators = [indicators]
    available = [c for c, i in ctx.registry.indicators.items() if i.level != "school"]
    codes = available if indicators is None else list(indicators)
    unknown = [c for c in codes if c not in ctx.registry.indicators]
    if unknown:
        raise ValueError(f"unknown indicator(s) {unknown}; see lcedu.measure.indicators.registry_frame()")
    school_level = [c for c in codes if ctx.registry.indicators[c].level == "school"]
    if school_level:
        raise ValueError(f"{school_level} are per-school indicators: use school_indicators()")
    blocks = [(code, b) for code in codes for b in ctx.result(code)]
    out = engine.assemble(ctx, blocks)
    keep = engine.county_filter(counties)
    if keep is not None:
        out = out[out["county_code"].isin(keep)].reset_index(drop=True)
    return out


def school_indicators(
    stage: str | None = None,
    year: Iterable[int] | int | None = None,
    counties: Iterable[str] | str | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    registry: Registry | str | Path | None = None,
) -> pd.DataFrame:
    """Per school part (学段) the 7 优质均衡 resource indicators, met flags, pass/fail, ratios.

    One row per school, year and stage ("primary" / "junior"; None for both): the school's
    attributes, ``student_count``, ``shared_fraction`` (this part's share of the school's
    shared facilities), ``is_assessed`` (False for parts without students and for 教学点
    sites, whose figures are in their parent school's part — ``joined_to_school_id`` —
    or, with Hebei's option in the standards, for 教学点 under its minimum; with
    ``exclusion_reason``), per indicator the
    amount (``<code>_amount``, shared facilities already split by 学段), the value
    (``<code>``), ``<code>_is_met`` and ``<code>_to_threshold`` (value / threshold), then
    ``indicators_met_count`` and ``meets_standard`` (the 6-of-7 / 85 % rule; NA when a
    value is missing, with ``na_reason``).
    """
    if stage is not None and stage not in std.STAGES:
        raise ValueError(f"stage must be one of {std.STAGES} or None, got {stage!r}")
    return resources.school_indicator_frame(_context(tables, processed_dir, year, standards, registry), stage, counties)


def assessment_tables(
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    registry: Registry | str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`assessments`, :func:`assessment_dimensions` and :func:`assessment_criteria` of every
    assessment from one evaluation of the criteria (what a build stores)."""
    ctx = _context(tables, processed_dir, None, standards, registry)
    return {
        "assessments": national.assessments_frame(ctx, None, None),
        "assessment_dimensions": national.assessment_dimensions_frame(ctx, None, None),
        "assessment_criteria": national.assessment_criteria_frame(ctx, None, None),
    }


def assessments(
    assessment: str | Iterable[str] | None = None,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    registry: Registry | str | Path | None = None,
) -> pd.DataFrame:
    """Whether each county meets 普及普惠 ("preschool_universal") and 优质均衡 ("compulsory_balanced").

    One row per county, year and assessment: ``state`` 达标 only when every dimension is
    assessed and met, 未达标 when any dimension is not met, else 未评估 (``na_reason`` names
    the dimensions not assessed and why, e.g. no checklist); ``is_met`` is the same as a
    nullable boolean (NA for 未评估); ``dimensions_met_count`` of ``dimensions_count``;
    ``criteria_met_count`` of ``criteria_count`` and ``unmet_criteria`` (comma-separated
    indicator or checklist item codes). See :func:`assessment_dimensions` and
    :func:`assessment_criteria` for what is behind each.
    """
    ctx = _context(tables, processed_dir, years, standards, registry)
    return national.assessments_frame(ctx, assessment, counties)


def assessment_dimensions(
    assessment: str | Iterable[str] | None = None,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    registry: Registry | str | Path | None = None,
) -> pd.DataFrame:
    """Each dimension of each assessment per county and year: 达标 / 未达标 / 未评估.

    Columns: county_code, year, assessment, dimension (code), dimension_zh, dimension_en,
    position (the document's order), state, source (statistics / checklist / both),
    criteria_count, criteria_met_count, criteria_not_met_count, criteria_unassessed_count,
    unmet_criteria and na_reason (why a criterion could not be judged, for 未评估).
    """
    ctx = _context(tables, processed_dir, years, standards, registry)
    return national.assessment_dimensions_frame(ctx, assessment, counties)


def assessment_criteria(
    assessment: str | Iterable[str] | None = None,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    registry: Registry | str | Path | None = None,
) -> pd.DataFrame:
    """Criterion by criterion: county_code, year, assessment, dimension, criterion, source, value, threshold,
    comparison, is_met, na_reason, and for checklist items the evidence and a note (e.g. a 结果 that
    disagrees with the value). ``criterion`` is an indicator code (source statistics) or a checklist
    item code (source checklist).
    """
    ctx = _context(tables, processed_dir, years, standards, registry)
    return national.assessment_criteria_frame(ctx, assessment, counties)
