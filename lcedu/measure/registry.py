"""The indicator registry: ``lcedu/measure/config/indicators.yml`` read, validated and cached.

Definitions live in the YAML so that a changed definition is reviewed as data; this module only
parses and checks it (every problem at once, naming the entry) and answers questions about it:
:func:`load_registry`, :func:`registry_frame`, :func:`school_type_group`, :func:`map_breaks`. The
engine that evaluates the formulas is :mod:`lcedu.measure.engine`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lcedu import paths
from lcedu.ingest.layout import assessment_items
from lcedu.measure import standards as std

__all__ = [
    "FUNCTIONS",
    "TABLES",
    "Indicator",
    "Registry",
    "formula_terms",
    "load_registry",
    "map_breaks",
    "registry_frame",
    "school_type_group",
    "validate",
]

#: Processed tables the formulas may name.
TABLES = (
    "schools",
    "enrollment",
    "teachers",
    "facilities",
    "population",
    "disability",
    "ledger",
    "city",
    "assessment_checklist",
)
#: Names a formula may give as ``function:``; :data:`lcedu.measure.indicators.FUNCTIONS` implements each.
FUNCTIONS = (
    "resource_value",
    "resource_cv",
    "resource_schools",
    "schools_over_size_cap",
    "assessment_flag",
    "assessment_share",
    "school_resource",
    "year_change",
)
_REQUIRED = ("code", "name_zh", "name_en", "level", "stage", "unit", "direction", "source", "formula")
_LEVELS = frozenset({"school", "county", "city"})
_DIRECTIONS = frozenset({"higher", "lower", "none"})
_CITY_MODES = frozenset({"sum", "none", "weighted"})


@dataclass(frozen=True)
class Indicator:
    """One registry entry (see the header of ``indicators.yml`` for the fields)."""

    code: str
    name_zh: str
    name_en: str
    level: str
    stage: str
    unit: str
    direction: str
    source: Mapping[str, str]
    formula: Mapping[str, Any]
    city: str = "sum"
    city_weight: Mapping[str, Any] | None = None
    city_plus: Mapping[str, Any] | None = None  # a city-table term added to the city row's numerator
    note: str = ""
    map_breaks: tuple[float, ...] | None = None  # declared class bounds: maps look the same in every run


@dataclass(frozen=True)
class Registry:
    """The parsed registry: indicators by code, the school resources and the assessments."""

    indicators: dict[str, Indicator]
    school_resources: dict[str, dict[str, Any]]
    assessments: dict[str, dict[str, Any]]
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    scopes: dict[str, dict[str, Any]] = field(default_factory=dict)


def _default_path() -> Path:
    return paths.package_file("measure", "config", "indicators.yml")


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int) -> Registry:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    problems = with_checklist_items((data.get("assessments") or {}) if isinstance(data, dict) else {})
    problems += validate(data)
    if problems:
        raise ValueError(f"{path}: invalid indicator registry:\n  " + "\n  ".join(problems))
    scopes = data.get("scopes") or {}
    for e in data["indicators"]:
        for term in [*formula_terms(e["formula"]), *(_nested(e["city_weight"]) if e.get("city_weight") else [])]:
            _apply_scope(term, scopes)
    fields = Indicator.__dataclass_fields__
    indicators = {
        e["code"]: Indicator(**{k: tuple(v) if k == "map_breaks" else v for k, v in e.items() if k in fields})
        for e in data["indicators"]
    }
    groups = {k: tuple(v) for k, v in (data.get("school_type_groups") or {}).items()}
    return Registry(
        indicators,
        data["school_resources"],
        data["assessments"],
        path,
        extra={"school_type_groups": groups},
        scopes=scopes,
    )


def _apply_scope(term: dict[str, Any], scopes: Mapping[str, Any]) -> None:
    """Merge a named scope's filter into the term's own (validated: the scope exists, no key is set twice)."""
    name = term.pop("scope", None)
    if name is not None:
        term["filter"] = {**scopes[name]["filter"], **(term.get("filter") or {})}
        term["scope_name"] = name


def load_registry(path: str | Path | None = None) -> Registry:
    """The indicator registry (validated, cached until the file changes; a fresh copy each call)."""
    p = (Path(path) if path is not None else _default_path()).resolve()
    return copy.deepcopy(_read(str(p), p.stat().st_mtime_ns))


def formula_terms(formula: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """Every term of a formula, nested ``plus``/``minus`` terms included."""
    for key in ("numerator", "denominator", "value"):
        if isinstance(formula.get(key), Mapping):
            yield from _nested(formula[key])


def _nested(term: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield term
    for key in ("plus", "minus"):
        for sub in term.get(key, []) or []:
            yield from _nested(sub)


# --------------------------------------------------------------------------- validation, one step per part


def validate(data: object) -> list[str]:
    """Every problem of a parsed registry file, each naming its entry (empty when it is valid)."""
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        return ["top level needs an 'indicators' list"]
    problems: list[str] = []
    codes: set[str] = set()
    for i, entry in enumerate(data["indicators"], start=1):
        where = f"indicators #{i} ({entry.get('code', '?') if isinstance(entry, dict) else '?'})"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        if entry.get("code") in codes:
            problems.append(f"{where}: duplicate code")
        codes.add(entry.get("code"))
        problems += _entry_problems(entry, where)
        problems += _formula_problems(entry, where, data.get("scopes") or {})
    problems += _assessment_problems(data.get("assessments") or {}, codes)
    missing = [code for code in std.RESOURCE_INDICATORS if code not in (data.get("school_resources") or {})]
    if missing:
        problems.append(f"school_resources: missing {missing}")
    return problems


def _entry_problems(e: Mapping[str, Any], where: str) -> list[str]:
    """The entry's own fields: required keys, enumerations, map breaks, city aggregation."""
    problems = [f"{where}: missing '{key}'" for key in _REQUIRED if key not in e]
    if e.get("level") not in _LEVELS:
        problems.append(f"{where}: level must be one of {sorted(_LEVELS)}")
    if e.get("direction") not in _DIRECTIONS:
        problems.append(f"{where}: direction must be one of {sorted(_DIRECTIONS)}")
    if e.get("city", "sum") not in _CITY_MODES:
        problems.append(f"{where}: city must be one of {sorted(_CITY_MODES)}")
    breaks = e.get("map_breaks")
    if breaks is not None and not _increasing_numbers(breaks):
        problems.append(f"{where}: map_breaks must be a list of at least 2 increasing numbers")
    if e.get("city") == "weighted" and not isinstance(e.get("city_weight"), dict):
        problems.append(f"{where}: city: weighted needs a city_weight term")
    plus = e.get("city_plus")
    if plus is not None and not (
        isinstance(plus, dict)
        and plus.get("table") == "city"
        and e.get("city", "sum") == "sum"
        and "numerator" in (e.get("formula") or {})
    ):
        problems.append(f"{where}: city_plus must be a city-table term of a ratio with city: sum")
    return problems


def _increasing_numbers(breaks: object) -> bool:
    return (
        isinstance(breaks, list)
        and len(breaks) >= 2
        and all(isinstance(b, int | float) for b in breaks)
        and sorted(set(breaks)) == breaks
    )


def _formula_problems(e: Mapping[str, Any], where: str, scopes: Mapping[str, Any]) -> list[str]:
    """The formula's shape, its function name, and each of its terms."""
    problems = []
    formula = e.get("formula") or {}
    kinds = [k for k in ("numerator", "value", "function") if k in formula]
    if len(kinds) != 1 or ("numerator" in formula) != ("denominator" in formula):
        problems.append(f"{where}: formula needs numerator+denominator, value, or function")
    if "function" in formula and formula["function"] not in FUNCTIONS:
        problems.append(f"{where}: unknown function {formula['function']!r}")
    for term in formula_terms(formula):
        problems += _term_problems(term, where, e.get("level"), scopes)
    return problems


def _term_problems(term: Mapping[str, Any], where: str, level: object, scopes: Mapping[str, Any]) -> list[str]:
    """One term: a known table, exactly one aggregate, a defined scope that does not clash with its filter."""
    problems = []
    if term.get("table") not in TABLES:
        problems.append(f"{where}: unknown table {term.get('table')!r}")
    if term.get("table") == "city" and level != "city":
        problems.append(f"{where}: the city table has no county rows; use level: city")
    if len([k for k in ("sum", "count", "count_distinct") if k in term]) != 1:
        problems.append(f"{where}: a term needs exactly one of sum, count, count_distinct")
    scope = term.get("scope")
    if scope is None:
        return problems
    spec = scopes.get(scope)
    if not isinstance(spec, dict) or not isinstance(spec.get("filter"), dict):
        problems.append(f"{where}: unknown scope {scope!r} (define it under scopes: with a filter)")
    elif set(spec["filter"]) & set(term.get("filter") or {}):
        problems.append(
            f"{where}: the term's filter sets {sorted(set(spec['filter']) & set(term['filter']))}"
            f" that scope {scope!r} already defines"
        )
    return problems


def with_checklist_items(assessments: Mapping[str, Any]) -> list[str]:
    """Fill each checklist criterion (``item:``) in place with its dimension, names and confidence from the
    checklist's items (lcedu/ingest/layouts/assessment_checklist.yml); the problems if the two disagree."""
    items = {i["item"]: i for i in assessment_items()}
    problems, placed = [], set()
    for name, a in assessments.items():
        for c in a.get("criteria", []):
            if "item" not in c:
                continue
            item = items.get(c["item"])
            if item is None or item["assessment"] != name:
                problems.append(
                    f"assessments.{name}: checklist item {c['item']!r} is not an item of {name} "
                    "in lcedu/ingest/layouts/assessment_checklist.yml"
                )
                continue
            placed.add(c["item"])
            c.update({k: item[k] for k in ("dimension", "name_zh", "name_en", "confidence")})
    problems += [
        f"assessments.{i['assessment']}: checklist item {code!r} has no place among the criteria"
        for code, i in items.items()
        if code not in placed and i["assessment"] in assessments
    ]
    return problems


def _assessment_problems(assessments: Mapping[str, Any], codes: set[str]) -> list[str]:
    """Each criterion: an indicator or a checklist item (named, unique), a threshold, a declared dimension."""
    problems = []
    items: set[str] = set()
    for name, a in assessments.items():
        dimensions = {d.get("code") for d in a.get("dimensions") or []}
        for c in a.get("criteria", []):
            label = c.get("item") or c.get("indicator")
            if ("item" in c) == ("indicator" in c):
                problems.append(
                    f"assessments.{name}.{label}: needs exactly one of indicator (statistics) or item (checklist)"
                )
            elif "indicator" in c and c["indicator"] not in codes:
                problems.append(f"assessments.{name}: unknown indicator {c.get('indicator')!r}")
            elif "item" in c:
                if c["item"] in items:
                    problems.append(f"assessments.{name}: duplicate checklist item {c['item']!r}")
                items.add(c["item"])
                if not (c.get("name_zh") and c.get("name_en")):
                    problems.append(f"assessments.{name}.{label}: a checklist item needs name_zh and name_en")
            if "indicator" in c and "standard" not in c and not ("value" in c and "comparison" in c):
                problems.append(f"assessments.{name}.{label}: needs standard or value+comparison")
            if dimensions and c.get("dimension") not in dimensions:
                problems.append(f"assessments.{name}.{label}: dimension must be one of {sorted(dimensions)}")
    return problems


# --------------------------------------------------------------------------- questions about the registry


def registry_frame(path: str | Path | None = None) -> pd.DataFrame:
    """The registry as a table, for display and for the export's 来源 sheet."""
    reg = load_registry(path)
    rows = [
        {
            "indicator": i.code,
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "level": i.level,
            "stage": i.stage,
            "unit": i.unit,
            "direction": i.direction,
            "source": i.source.get("document", ""),
            "clause": i.source.get("clause", ""),
            "note": i.note,
        }
        for i in reg.indicators.values()
    ]
    return pd.DataFrame(rows).astype("string")


def school_type_group(name: str, path: str | Path | None = None) -> tuple[str, ...]:
    """School types of a named group of the registry (e.g. ``primary_secondary`` = 中小学)."""
    groups = load_registry(path).extra.get("school_type_groups", {})
    if name not in groups:
        raise ValueError(f"unknown school type group {name!r}; known: {sorted(groups)}")
    return tuple(groups[name])


def map_breaks(path: str | Path | None = None) -> dict[str, tuple[float, ...]]:
    """Indicator code → its declared map class bounds (only indicators that declare them)."""
    return {i.code: i.map_breaks for i in load_registry(path).indicators.values() if i.map_breaks}
