"""Indicator engine: the registry in ``lcedu/measure/config/indicators.yml`` evaluated over the processed tables.

Definitions live in the YAML so that a changed definition is reviewed as data; this module
only interprets a small formula vocabulary (table, filter, row sums, counts, distinct
counts, plus/minus, factor, cap) with vectorised group sums, and registers by name the few
computations a ratio cannot express (差异系数, the per-school 6-of-7 rule, assessments).

Public API:

* :func:`compute` — one tidy long table: county and city rows of every indicator.
* :func:`school_indicators` — per school part (学段) values of the 7 优质均衡 resource
  indicators, met flags, pass/fail and the ratio to each threshold.
* :func:`assessments` / :func:`assessment_dimensions` / :func:`assessment_criteria` — 普及普惠
  and 优质均衡 per county and year (达标 / 未达标 / 未评估), dimension by dimension and criterion
  by criterion; :func:`checklist_items` — what the local checklist workbook answers.
* :func:`load_registry`, :func:`registry_frame`, :func:`load_tables`, :func:`criterion_threshold`,
  :func:`school_type_group`.

Missing inputs give NA with a reason (``na_reason``), never 0.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.ingest.counties import aggregate_layers
from lcedu.measure import standards as std
from lcedu.measure.keys import first_match, key_codes, key_positions, take_rows, take_values
from lcedu.paths import CITY_CODE

__all__ = [
    "CITY_CODE",
    "OUTPUT_COLUMNS",
    "TABLES",
    "Indicator",
    "Registry",
    "STATES",
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
    "registry_frame",
    "school_indicators",
    "school_type_group",
    "site_join",
    "site_links",
    "state_of",
]

#: county_code of the city aggregate rows (临沧市).
#: Columns of :func:`compute`, in order.
OUTPUT_COLUMNS = ("county_code", "year", "indicator", "value", "numerator", "denominator", "unit", "na_reason")
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

_SCHOOL_TABLES = ("enrollment", "teachers", "facilities")
_COUNTY_TABLES = ("schools", "enrollment", "teachers", "facilities", "population", "disability", "ledger")
_SCHOOL_ATTRIBUTES = (
    "school_name",
    "school_type",
    "is_public",
    "is_inclusive",
    "urban_rural",
    "township",
    "village",
    "opened_year",
    "operator",
    "is_independent",
    "independent_year",
)
#: A per-学段 row (enrollment, teachers) sees its school's class count of the same 学段 as this column.
STAGE_CLASS_COUNT = "class_count"
_LEVELS = frozenset({"school", "county", "city"})
_DIRECTIONS = frozenset({"higher", "lower", "none"})
_CITY_MODES = frozenset({"sum", "none", "weighted"})
_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "gt": np.greater,
    "gte": np.greater_equal,
    "lt": np.less,
    "lte": np.less_equal,
    "ne": np.not_equal,
}
_STAGES = std.STAGES


# --------------------------------------------------------------------------- registry


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
    problems = _validate(data)
    if problems:
        raise ValueError(f"{path}: invalid indicator registry:\n  " + "\n  ".join(problems))
    scopes = data.get("scopes") or {}
    for e in data["indicators"]:
        for term in [*_terms(e["formula"]), *(_nested(e["city_weight"]) if e.get("city_weight") else [])]:
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


def _terms(formula: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for key in ("numerator", "denominator", "value"):
        if isinstance(formula.get(key), Mapping):
            yield from _nested(formula[key])


def _nested(term: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield term
    for key in ("plus", "minus"):
        for sub in term.get(key, []) or []:
            yield from _nested(sub)


def _validate(data: object) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        return ["top level needs an 'indicators' list"]
    problems: list[str] = []
    codes: set[str] = set()
    for i, e in enumerate(data["indicators"], start=1):
        where = f"indicators #{i} ({e.get('code', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        for key in ("code", "name_zh", "name_en", "level", "stage", "unit", "direction", "source", "formula"):
            if key not in e:
                problems.append(f"{where}: missing '{key}'")
        if e.get("code") in codes:
            problems.append(f"{where}: duplicate code")
        codes.add(e.get("code"))
        if e.get("level") not in _LEVELS:
            problems.append(f"{where}: level must be one of {sorted(_LEVELS)}")
        if e.get("direction") not in _DIRECTIONS:
            problems.append(f"{where}: direction must be one of {sorted(_DIRECTIONS)}")
        if e.get("city", "sum") not in _CITY_MODES:
            problems.append(f"{where}: city must be one of {sorted(_CITY_MODES)}")
        breaks = e.get("map_breaks")
        if breaks is not None and (
            not isinstance(breaks, list)
            or len(breaks) < 2
            or not all(isinstance(b, int | float) for b in breaks)
            or sorted(set(breaks)) != breaks
        ):
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
        formula = e.get("formula") or {}
        kinds = [k for k in ("numerator", "value", "function") if k in formula]
        if len(kinds) != 1 or ("numerator" in formula) != ("denominator" in formula):
            problems.append(f"{where}: formula needs numerator+denominator, value, or function")
        if "function" in formula and formula["function"] not in _FUNCTIONS:
            problems.append(f"{where}: unknown function {formula['function']!r}")
        for term in _terms(formula):
            if term.get("table") not in TABLES:
                problems.append(f"{where}: unknown table {term.get('table')!r}")
            if term.get("table") == "city" and e.get("level") != "city":
                problems.append(f"{where}: the city table has no county rows; use level: city")
            aggs = [k for k in ("sum", "count", "count_distinct") if k in term]
            if len(aggs) != 1:
                problems.append(f"{where}: a term needs exactly one of sum, count, count_distinct")
            scope = term.get("scope")
            if scope is not None:
                spec = (data.get("scopes") or {}).get(scope)
                if not isinstance(spec, dict) or not isinstance(spec.get("filter"), dict):
                    problems.append(f"{where}: unknown scope {scope!r} (define it under scopes: with a filter)")
                elif set(spec["filter"]) & set(term.get("filter") or {}):
                    problems.append(
                        f"{where}: the term's filter sets {sorted(set(spec['filter']) & set(term['filter']))}"
                        f" that scope {scope!r} already defines"
                    )
    items: set[str] = set()
    for name, a in (data.get("assessments") or {}).items():
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
    resources_ = data.get("school_resources") or {}
    missing = [code for code in std.RESOURCE_INDICATORS if code not in resources_]
    if missing:
        problems.append(f"school_resources: missing {missing}")
    return problems


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


# --------------------------------------------------------------------------- tables


def load_tables(processed_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The processed tables the formulas may use, from ``processed_dir`` (default: the current set).

    A table the set does not have (e.g. ``city`` for a generated province) is left out; the
    indicators that need it are then NA with "missing <table>".
    """
    from lcedu.ingest import store

    build = store.current(processed_dir)
    return {name: store.load(name, processed_dir) for name in TABLES if (build / f"{name}.parquet").exists()}


def _prepare(tables: Mapping[str, pd.DataFrame], years: Iterable[int] | None) -> dict[str, pd.DataFrame]:
    """Tables with plain key columns and only the requested years (inputs are not modified)."""
    wanted = None if years is None else {int(y) for y in years}
    out = {}
    for name, df in tables.items():
        if name not in TABLES or df is None:
            continue
        keys = {}
        if "year" in df.columns:
            keys["year"] = df["year"].astype("int64")
        for col in ("county_code", "school_id", "stage"):
            if col in df.columns:
                keys[col] = df[col].astype(str)
        frame = df.assign(**keys)
        if wanted is not None:
            frame = frame[frame["year"].isin(wanted)]
        out[name] = frame.reset_index(drop=True)
    return out


# --------------------------------------------------------------------------- the evaluation context


class _Groups:
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


class _Context:
    """Tables of one compute call, the county-year and aggregate universes, and memoised results.

    Aggregate rows are one per prefecture code (the first 4 digits of the county codes, and 00) and
    year, then one per province code and year when the counties span more than one prefecture
    (:func:`lcedu.ingest.counties.aggregate_layers`); the ``city`` table, which has no county
    rows, is 临沧's and lands on ``530900``. For 临沧 alone this is the 530900 row of each year.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], registry: Registry, standards: Mapping[str, Any]):
        self.tables = tables
        self.registry = registry
        self.standards = standards
        frames = [_county_years(t) for n, t in tables.items() if n in _COUNTY_TABLES and len(t)]
        county_years = (
            pd.concat(frames).drop_duplicates().sort_values(["county_code", "year"])
            if frames
            else pd.DataFrame({"county_code": pd.Series([], dtype=object), "year": pd.Series([], dtype="int64")})
        )
        self.county_index = pd.MultiIndex.from_frame(county_years.reset_index(drop=True))
        county_years = county_years.reset_index(drop=True)
        # County-year positions by integer arithmetic: one string lookup per row, no MultiIndex of strings.
        self._county_numbers = pd.Index(pd.unique(county_years["county_code"].to_numpy(dtype=object)))
        self._first_year = int(county_years["year"].min()) if len(county_years) else 0
        self._n_years = int(county_years["year"].max()) - self._first_year + 1 if len(county_years) else 1
        lookup = np.full(len(self._county_numbers) * self._n_years, -1, dtype=np.int64)
        lookup[self._county_number_keys(county_years)] = np.arange(len(county_years))
        self._county_year_lookup = lookup
        layers = aggregate_layers(county_years["county_code"])
        years = county_years["year"].to_numpy(dtype="int64")
        frames = [
            pd.DataFrame({"county_code": layer, "year": years}).dropna(subset="county_code") for layer in layers
        ] or [pd.DataFrame({"county_code": pd.Series([], dtype=object), "year": pd.Series([], dtype="int64")})]
        if "city" in tables:
            city_years = tables["city"]["year"].to_numpy(dtype="int64")
            frames[0] = pd.concat([frames[0], pd.DataFrame({"county_code": CITY_CODE, "year": city_years})])
        areas = pd.concat([f.drop_duplicates().sort_values(["county_code", "year"]) for f in frames])
        self.area_index = pd.MultiIndex.from_frame(areas.astype({"year": "int64"}).reset_index(drop=True))
        self.county_to_area = _Groups(
            [self.area_index.get_indexer(pd.MultiIndex.from_arrays([layer, years])) for layer in layers],
            len(self.area_index),
        )
        self._results: dict[str, tuple[_Block, ...]] = {}
        self._codes: dict[tuple[str, str], _Groups] = {}
        self._views: dict[str, pd.DataFrame] = {}
        self._parts: pd.DataFrame | None = None
        self.memo: dict[str, Any] = {}

    # -- universes and group codes

    def index(self, level: str) -> pd.Index:
        return self.county_index if level == "county" else self.area_index

    def groups(self, frame: pd.DataFrame, level: str) -> _Groups:
        """Positions of the rows of ``frame`` (county_code and year, or year alone for the city
        table) in the universe of ``level`` (county-years, or the aggregates)."""
        if "county_code" not in frame.columns:  # the city table: 临沧's own rows
            rows = pd.MultiIndex.from_arrays(
                [np.full(len(frame), CITY_CODE, dtype=object), frame["year"].to_numpy(dtype="int64")]
            )
            return _Groups(
                [self.area_index.get_indexer(rows) if level != "county" else np.full(len(frame), -1)],
                len(self.index(level)),
            )
        keys = self._county_number_keys(frame)
        position = np.where(keys >= 0, self._county_year_lookup[np.maximum(keys, 0)], -1)
        if level == "county":
            return _Groups([position], len(self.county_index))
        return self._area_groups(position)

    def _area_groups(self, position: np.ndarray) -> _Groups:
        """Positions in the aggregate universe of rows at ``position`` in the county universe (-1 outside)."""
        return _Groups(
            [np.where(position >= 0, layer[position], -1) for layer in self.county_to_area.layers], len(self.area_index)
        )

    def _county_number_keys(self, frame: pd.DataFrame) -> np.ndarray:
        """county number × years + year offset per row; -1 for a county or year outside the universe."""
        # Factorize the column (a few thousand distinct codes), then look up only the distinct codes.
        codes, uniques = pd.factorize(frame["county_code"], use_na_sentinel=False)
        county = self._county_numbers.get_indexer(uniques.to_numpy(dtype=object))[codes]
        year = frame["year"].to_numpy(dtype="int64") - self._first_year
        ok = (county >= 0) & (year >= 0) & (year < self._n_years)
        return np.where(ok, county * self._n_years + year, -1)

    def codes(self, table: str, level: str) -> _Groups:
        """Positions of each row of ``table`` in the universe of ``level`` (memoised)."""
        key = (table, level)
        if key not in self._codes:
            frame = self.tables[table]
            if level != "county" and "county_code" in frame.columns:  # from the county positions: no new lookup
                self._codes[key] = self._area_groups(self.codes(table, "county").layers[0])
            else:
                self._codes[key] = self.groups(frame, level)
        return self._codes[key]

    def view(self, table: str, columns: Iterable[str]) -> pd.DataFrame:
        """``table`` with the school attributes and population columns a formula refers to."""
        df = self._views.get(table, self.tables[table])
        missing = [c for c in columns if c not in df.columns]
        if not missing:
            return df
        if "school_id" in df.columns and table != "schools" and "schools" in self.tables:
            # Only the attributes asked for: the school positions are found once, the columns copied as needed.
            attrs = [c for c in _SCHOOL_ATTRIBUTES if c in self.tables["schools"].columns and c in missing]
            if attrs:
                found = take_rows(self.tables["schools"][attrs], self.school_rows(table), df.index)
                df = pd.concat([df, found], axis=1)
        if STAGE_CLASS_COUNT in missing and "stage" in df.columns and "schools" in self.tables:
            df = df.assign(
                **{STAGE_CLASS_COUNT: _stage_class_count(df, self.tables["schools"], self.school_rows(table))}
            )
        pop_cols = [c for c in missing if c not in df.columns]
        if pop_cols and "county_code" in df.columns and "population" in self.tables and table != "population":
            pop = self.tables["population"]
            cols = [c for c in pop_cols if c in pop.columns]
            if cols:
                df = df.join(pop.set_index(["county_code", "year"])[cols], on=["county_code", "year"])
        self._views[table] = df
        return df

    def school_rows(self, table: str) -> np.ndarray:
        """Row of each row of ``table`` in the schools table (its first row of that school-year; -1 if none).

        Found for every school-level table at once: one factorization of their school ids, not one per table.
        """
        if "school_rows" not in self.memo:
            names = [n for n, t in self.tables.items() if n != "schools" and "school_id" in t.columns]
            codes = key_codes([self.tables["schools"], *(self.tables[n] for n in names)], ["school_id", "year"])
            self.memo["school_rows"] = {n: first_match(c, codes[0]) for n, c in zip(names, codes[1:], strict=True)}
        return self.memo["school_rows"][table]

    def filtered(self, table: str, spec: Mapping[str, Any] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """:func:`_filter` of ``table``'s view, once per table and filter (many indicators share a scope)."""
        key = f"filter:{table}:{spec!r}"
        if key not in self.memo:
            self.memo[key] = _filter(self.view(table, list(spec or {})), spec)
        return self.memo[key]

    def sites(self) -> SiteJoin:
        """The tables with the 教学点 sites joined to their parents, made once per evaluation (memoised), with
        the columns the school parts and sizes read."""
        if "sites" not in self.memo:
            from lcedu.measure.schools import SIZE_COUNTS

            needed: dict[str, list[str]] = {
                "enrollment": ["student_count", *SIZE_COUNTS],
                "teachers": [],
                "facilities": [],
            }
            for spec in self.registry.school_resources.values():
                sums = spec["sum"] if isinstance(spec["sum"], Mapping) else {"all": spec["sum"]}
                needed.setdefault(spec["table"], []).extend(c.lstrip("-") for v in sums.values() for c in _listify(v))
            self.memo["sites"] = site_join(self.tables, self.standards, needed)
        return self.memo["sites"]

    # -- results

    def result(self, code: str) -> tuple[_Block, ...]:
        if code not in self._results:
            self._results[code] = _evaluate(self, self.registry.indicators[code])
        return self._results[code]


def _county_years(frame: pd.DataFrame) -> pd.DataFrame:
    """The distinct (county_code, year) pairs of ``frame``, found on integer codes (a table has millions of rows)."""
    county, counties = pd.factorize(frame["county_code"], use_na_sentinel=False)
    year, years = pd.factorize(frame["year"].to_numpy(dtype="int64"))
    pairs = np.unique(county * len(years) + year)
    return pd.DataFrame({"county_code": counties.take(pairs // len(years)), "year": years[pairs % len(years)]})


def _stage_class_count(df: pd.DataFrame, schools: pd.DataFrame, school: np.ndarray) -> np.ndarray:
    """``{stage}_class_count`` of each row's school (row ``school`` of ``schools``), for the row's own 学段
    (NaN when not reported)."""
    out = np.full(len(df), np.nan)
    for stage in pd.unique(df["stage"]):
        column = f"{stage}_class_count"
        rows = (df["stage"] == stage).to_numpy() & (school >= 0)
        if column in schools.columns:
            out[rows] = schools[column].to_numpy(dtype=float, na_value=np.nan)[school[rows]]
    return out


# --------------------------------------------------------------------------- terms


def _listify(x: Any) -> list[Any]:
    return list(x) if isinstance(x, list | tuple) else [x]


def _condition(col: pd.Series, spec: Any) -> tuple[np.ndarray, np.ndarray]:
    """(definitely true, unknown) of one filter condition; unknown where the value is NA."""
    na = col.isna().to_numpy()
    if isinstance(spec, Mapping):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        true = np.ones(len(col), dtype=bool)
        for op, operand in spec.items():
            if op not in _OPS:
                raise ValueError(f"unknown filter operator {op!r}; use one of {sorted(_OPS)}")
            with np.errstate(invalid="ignore"):
                true &= _OPS[op](values, float(operand))
    elif isinstance(spec, list | tuple):
        true = col.isin(list(spec)).to_numpy(dtype=bool, na_value=False)
    else:
        true = col.eq(spec).to_numpy(dtype=bool, na_value=False)
    return true & ~na, na


def _filter(df: pd.DataFrame, spec: Mapping[str, Any] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Kleene AND of the conditions: (matched, unknown, columns that were NA in unknown rows)."""
    n = len(df)
    false_any = np.zeros(n, dtype=bool)
    na_any = np.zeros(n, dtype=bool)
    na_cols: list[tuple[str, np.ndarray]] = []
    for column, cond in (spec or {}).items():
        true, na = _condition(df[column], cond)
        false_any |= ~true & ~na
        na_any |= na
        na_cols.append((column, na))
    unknown = na_any & ~false_any
    names = [c for c, na in na_cols if (na & unknown).any()]
    return ~false_any & ~na_any, unknown, names


def _row_sum(df: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """Row-wise Σ ±column as float (NaN if any is NA) and each column's NA mask."""
    total = np.zeros(len(df))
    masks = []
    for spec in columns:
        sign, name = (-1.0, spec[1:]) if spec.startswith("-") else (1.0, spec)
        # An export without this column: missing, not 0.
        arr = df[name].to_numpy(dtype=float, na_value=np.nan) if name in df.columns else np.full(len(df), np.nan)
        total = total + sign * arr
        masks.append((name, np.isnan(arr)))
    return total, masks


def _columns(term: Mapping[str, Any]) -> list[str]:
    cols = list((term.get("filter") or {}).keys())
    if "sum" in term:
        cols += [c.lstrip("-") for c in _listify(term["sum"])]
    if "count_distinct" in term:
        cols += _listify(term["count_distinct"])
    return cols


def _first_reason(*reasons: np.ndarray) -> np.ndarray:
    out = reasons[0].copy()
    for r in reasons[1:]:
        empty = pd.isna(out)
        out[empty] = r[empty]
    return out


def _term(ctx: _Context, term: Mapping[str, Any], level: str) -> tuple[np.ndarray, np.ndarray]:
    """Aggregate of one term over the universe of ``level``: (values, NA reasons)."""
    table = term["table"]
    n = len(ctx.index(level))
    reasons = np.full(n, None, dtype=object)
    if table not in ctx.tables or len(ctx.tables[table]) == 0:
        reasons[:] = f"missing {table}"
        return np.full(n, np.nan), reasons
    if level == "county" and "county_code" not in ctx.tables[table].columns:
        raise ValueError(f"table {table!r} has no county rows; use it in a level: city indicator")
    df = ctx.view(table, _columns(term))
    absent = [c for c in _columns(term) if c not in df.columns]
    if absent:
        reasons[:] = f"missing {table}.{absent[0]}"
        return np.full(n, np.nan), reasons
    groups = ctx.codes(table, level)
    matched, unknown, unknown_cols = ctx.filtered(table, term.get("filter"))
    present = groups.sum() > 0

    if "count_distinct" in term:
        cols = _listify(term["count_distinct"])
        values = np.zeros(n)
        for codes in groups.layers:
            keep = matched & (codes >= 0)
            sub = df.loc[keep, cols].assign(_code=codes[keep]).dropna(subset=cols)
            values = values + np.bincount(sub.drop_duplicates()["_code"].to_numpy(), minlength=n)
        nan_masks: list[tuple[str, np.ndarray]] = []
        row_nan = np.zeros(len(df), dtype=bool)
    else:
        if "sum" in term:
            row_values, nan_masks = _row_sum(df, _listify(term["sum"]))
        else:
            row_values, nan_masks = np.ones(len(df)), []
        row_nan = matched & np.isnan(row_values)
        values = groups.sum(np.where(matched & ~row_nan, row_values, 0.0))

    for column, mask in nan_masks:
        bad = groups.sum(mask & matched) > 0
        reasons[bad & pd.isna(reasons)] = f"missing {table}.{column}"
    if unknown.any():
        bad = groups.sum(unknown) > 0
        reasons[bad & pd.isna(reasons)] = f"missing {'/'.join(unknown_cols)} in {table}"
    if row_nan.any():
        bad = groups.sum(row_nan) > 0
        reasons[bad & pd.isna(reasons)] = f"missing {table} values"
    reasons[~present] = f"missing {table}"
    values = np.where(pd.isna(reasons), values, np.nan)

    for key, sign in (("plus", 1.0), ("minus", -1.0)):
        for sub_term in term.get(key, []) or []:
            sub_values, sub_reasons = _term(ctx, sub_term, level)
            reasons = _first_reason(reasons, sub_reasons)
            values = values + sign * sub_values
    return values, reasons


# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class _Block:
    """Rows of one indicator over one universe (county-years or city years), as aligned arrays."""

    level: str
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    reason: np.ndarray


def _block(
    level: str, value: np.ndarray, numerator: np.ndarray, denominator: np.ndarray, reasons: np.ndarray
) -> _Block:
    """A block whose value is NA exactly where a reason says why (a NaN without one is flagged)."""
    value = np.where(pd.isna(reasons), np.asarray(value, dtype=float), np.nan)
    reasons = np.where(pd.isna(reasons) & np.isnan(value), "not computable", reasons).astype(object)
    return _Block(level, value, np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float), reasons)


def _ratio(
    num: np.ndarray, den: np.ndarray, num_r: np.ndarray, den_r: np.ndarray, formula: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    zero = den == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(zero, np.nan, num / np.where(zero, 1.0, den)) * float(formula.get("factor", 1))
    zero_reason = formula["denominator"].get("zero_reason", "denominator is 0")
    reasons = _first_reason(num_r, den_r, np.where(zero, zero_reason, None).astype(object))
    if "cap" in formula:
        value = np.minimum(value, float(formula["cap"]))
    return value, reasons


def _city_from_counties(
    ctx: _Context, num: np.ndarray, den: np.ndarray | None, reasons: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Sums over the counties of each aggregate and year; one NA county makes it NA, naming how many and why."""
    groups = ctx.county_to_area
    n = groups.n
    bad = ~pd.isna(reasons)
    bad_count = groups.sum(bad)
    counties = groups.sum()
    c_num = groups.sum(np.where(bad, 0.0, np.nan_to_num(num)))
    c_den = None if den is None else groups.sum(np.where(bad, 0.0, np.nan_to_num(den)))
    first = groups.first(reasons, bad)
    out_r = np.full(n, None, dtype=object)
    for pos in np.flatnonzero(bad_count > 0):
        out_r[pos] = f"{int(bad_count[pos])} of {int(counties[pos])} counties NA ({first.get(pos)})"
    out_r[counties == 0] = "no county rows"
    c_num = np.where(pd.isna(out_r), c_num, np.nan)
    if c_den is not None:
        c_den = np.where(pd.isna(out_r), c_den, np.nan)
    return c_num, c_den, out_r


def _evaluate(ctx: _Context, ind: Indicator) -> tuple[_Block, ...]:
    formula = ind.formula
    if "function" in formula:
        return _FUNCTIONS[formula["function"]](ctx, ind, **(formula.get("args") or {}))
    level = "city" if ind.level == "city" else "county"
    factor = float(formula.get("factor", 1))
    frames = []
    if "numerator" in formula:
        num, num_r = _term(ctx, formula["numerator"], level)
        den, den_r = _term(ctx, formula["denominator"], level)
        value, reasons = _ratio(num, den, num_r, den_r, formula)
        frames.append(_block(level, value, num, den, reasons))
        if level == "county" and ind.city == "sum":
            # A county whose denominator is 0 adds 0/0 to the city: only missing inputs make it NA.
            c_num, c_den, c_r = _city_from_counties(ctx, num, den, _first_reason(num_r, den_r))
            # e.g. 技工学校 students, reported to the city only (a build without a city table, such as a
            # province sample, has no such figure: its aggregates stay county sums)
            if ind.city_plus is not None and "city" in ctx.tables:
                extra, extra_r = _term(ctx, ind.city_plus, "city")
                c_num, c_r = c_num + extra, _first_reason(c_r, extra_r)
            c_value, c_reasons = _ratio(c_num, c_den, c_r, np.full(len(c_r), None, dtype=object), formula)
            frames.append(_block("city", c_value, c_num, c_den, c_reasons))
    else:
        raw, reasons = _term(ctx, formula["value"], level)
        no_den = np.full(len(raw), np.nan)
        frames.append(_block(level, raw * factor, raw, no_den, reasons))
        if level == "county" and ind.city == "sum":
            c_raw, _, c_r = _city_from_counties(ctx, raw, None, reasons)
            frames.append(_block("city", c_raw * factor, c_raw, np.full(len(c_raw), np.nan), c_r))
        elif level == "county" and ind.city == "weighted":
            weight, w_r = _term(ctx, ind.city_weight or {}, "county")
            both_r = _first_reason(reasons, w_r)
            c_num, c_den, c_r = _city_from_counties(ctx, raw * factor * weight, weight, both_r)
            zero = np.where(c_den == 0, "no weight", None).astype(object)
            c_r = _first_reason(c_r, zero)
            with np.errstate(divide="ignore", invalid="ignore"):
                frames.append(_block("city", c_num / c_den, c_num, c_den, c_r))
    return tuple(frames)


# --------------------------------------------------------------------------- school parts (优质均衡)


def _school_parts(ctx: _Context) -> pd.DataFrame:
    """One row per school and compulsory 学段 with the 7 resource amounts, values and flags."""
    if ctx._parts is not None:
        return ctx._parts
    cqb = ctx.standards["compulsory_quality_balance"]
    sites = ctx.sites()
    tables = sites.tables
    columns = ["school_id", "year", "stage", "county_code", "student_count"]
    enr = tables["enrollment"] if "enrollment" in tables else pd.DataFrame(columns=columns)
    parts = enr.loc[enr["stage"].isin(_STAGES), columns].reset_index(drop=True)
    # The school-years of every table the parts look up, from one factorization (a national table has millions).
    lookups = [name for name in ("schools", "teachers", "facilities") if name in tables]
    part_school, enr_school, site_school, *codes = key_codes(
        [parts, enr, sites.links, *(tables[name] for name in lookups)], ["school_id", "year"]
    )
    school_of = dict(zip(lookups, codes, strict=True))
    if "schools" in tables:
        found = take_rows(
            tables["schools"][["school_name", "school_type", "urban_rural"]],
            first_match(part_school, school_of["schools"]),
            parts.index,
        )
        parts = pd.concat([parts, found], axis=1)
    else:
        parts = parts.assign(school_name=pd.NA, school_type=pd.NA, urban_rural=pd.NA)
    # Students of every 学段 of the school, for the weighted split of shared facilities:
    # an absent 学段 has 0 students, a reported but missing count stays NaN.
    enr_stage = enr["stage"].to_numpy(dtype=object)
    enr_students = enr["student_count"].to_numpy(dtype=float, na_value=np.nan)
    stage_students = {}
    for stage in ("primary", "junior", "senior"):
        rows = np.flatnonzero(enr_stage == stage)
        stage_students[stage] = take_values(enr_students[rows], first_match(part_school, enr_school[rows]), 0.0)
    students = parts["student_count"].to_numpy(dtype=float, na_value=np.nan)
    is_primary = (parts["stage"] == "primary").to_numpy()
    weights = cqb["shared_resource_weights"]["value"]
    sources = {}
    for table, keys in (("teachers", ["school_id", "year", "stage"]), ("facilities", ["school_id", "year"])):
        if table in tables:
            columns = [c for c in tables[table].columns if c not in keys and c not in parts.columns]
            left, right = part_school, school_of[table]
            if "stage" in keys:  # the school-year code and the 学段's, as one integer
                part_stage, table_stage = key_codes([parts, tables[table]], ["stage"])
                stages = int(max(part_stage.max(initial=0), table_stage.max(initial=0))) + 1
                left, right = left * stages + part_stage, right * stages + table_stage
            found = take_rows(tables[table][columns], first_match(left, right), parts.index)
            sources[table] = pd.concat([parts, found], axis=1)
    unit_split = std.split_shared(
        np.ones(len(parts)),
        stage_students["primary"],
        stage_students["junior"],
        stage_students["senior"],
        weights=weights,
    )
    out = {"shared_fraction": np.where(is_primary, unit_split.primary, unit_split.junior)}
    for code, spec in ctx.registry.school_resources.items():
        per = float(spec.get("per", 1))
        table = spec["table"]
        if table not in sources:
            amount = np.full(len(parts), np.nan)
        else:
            cols = spec["sum"]
            by_stage = cols if isinstance(cols, Mapping) else {"primary": cols, "junior": cols}
            primary_amount, _ = _row_sum(sources[table], _listify(by_stage["primary"]))
            junior_amount, _ = _row_sum(sources[table], _listify(by_stage["junior"]))
            amount = np.where(is_primary, primary_amount, junior_amount)
            if spec.get("shared"):
                split = std.split_shared(
                    amount,
                    stage_students["primary"],
                    stage_students["junior"],
                    stage_students["senior"],
                    weights=weights,
                )
                amount = np.where(is_primary, split.primary, split.junior)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(students > 0, amount * per / students, np.nan)
        out[f"{code}_amount"] = amount
        out[code] = value
    parts = parts.assign(**out)
    min_students = float(cqb["teaching_point_min_students"]["value"])
    small_point = (parts["school_type"] == "teaching_point").to_numpy(dtype=bool, na_value=False) & (
        students < min_students
    )
    no_students = students == 0  # a missing count stays assessed, so its county shows NA, not a smaller set
    site = first_match(part_school, site_school)
    parent = take_values(sites.links["parent_school_id"].to_numpy(dtype=object), site, None)
    is_site = pd.notna(parent)
    parts["joined_to_school_id"] = parent
    parts["is_assessed"] = ~small_point & ~no_students & ~is_site
    exclusion = np.select(
        [small_point, no_students], [f"teaching point under {min_students:g} students", "no students"], None
    ).astype(object)
    exclusion[is_site] = "joined to parent school " + parent[is_site].astype(str)
    parts["exclusion_reason"] = exclusion
    frames = []
    for stage in _STAGES:
        sub = parts[parts["stage"] == stage]
        thresholds = std.resource_thresholds(stage, ctx.standards)
        flags = std.indicator_flags(sub, stage, ctx.standards).add_suffix("_is_met")
        ratios = pd.DataFrame(
            {f"{c}_to_threshold": sub[c] / thresholds[c] for c in std.RESOURCE_INDICATORS}, index=sub.index
        )
        frames.append(
            pd.concat(
                [
                    sub,
                    flags,
                    ratios,
                    std.indicators_met_count(sub, stage, ctx.standards).rename("indicators_met_count"),
                    std.school_meets_frame(sub, stage, ctx.standards),
                ],
                axis=1,
            )
        )
    parts = pd.concat(frames)
    values = parts[list(std.RESOURCE_INDICATORS)].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    names = np.array(std.RESOURCE_INDICATORS, dtype=object)
    first_missing = np.where(missing.any(axis=1), names[missing.argmax(axis=1)], None)
    parts["na_reason"] = np.where(
        parts["exclusion_reason"].notna(),
        parts["exclusion_reason"],
        np.where(pd.isna(first_missing), None, "missing data for " + first_missing.astype(str)),
    )
    ctx._parts = parts.sort_values(["county_code", "year", "stage", "school_id"]).reset_index(drop=True)
    return ctx._parts


def site_links(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per 教学点 site and year (是否计校数 = 0 with a 原校点): school_id, year, parent_school_id.

    Built without a Python loop (a national table has hundreds of thousands of sites); a site
    listed twice in a year keeps its last parent.
    """
    columns = ["school_id", "year", "parent_school_id"]
    schools = tables.get("schools")
    if schools is None or not {"is_counted_school", "parent_school_id"} <= set(schools.columns):
        return pd.DataFrame(
            {
                "school_id": pd.Series([], dtype=str),
                "year": pd.Series([], dtype="int64"),
                "parent_school_id": pd.Series([], dtype=str),
            }
        )
    is_site = schools["is_counted_school"].eq(False).to_numpy(dtype=bool, na_value=False)
    sites = schools.loc[is_site & schools["parent_school_id"].notna().to_numpy(), columns]
    sites = sites.assign(
        school_id=sites["school_id"].astype(str),
        year=sites["year"].to_numpy(dtype="int64"),
        parent_school_id=sites["parent_school_id"].astype(str),
    )
    return sites.drop_duplicates(["school_id", "year"], keep="last").reset_index(drop=True)


def join_sites(tables: Mapping[str, pd.DataFrame], links: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """enrollment, teachers and facilities with each site's figures added to its parent school's.

    The parent-school rule of the statistics (是否计校数 = 0): a site's students, teachers and
    rooms are the parent's for the school-level figures. A missing figure of a site makes the
    parent's sum missing (NA), never a smaller sum. The site keeps its own rows too, so it can
    be listed as joined. ``links``: :func:`site_links`. Inputs are not modified.
    """
    out = dict(tables)
    if not len(links):
        return out
    for table, keys in (
        ("enrollment", ["school_id", "year", "stage"]),
        ("teachers", ["school_id", "year", "stage"]),
        ("facilities", ["school_id", "year"]),
    ):
        df = tables.get(table)
        if df is None or not len(df):
            continue
        # A lookup of (school_id, year) among the sites by integer codes: a national table has millions of rows.
        position = key_positions(df, links, ["school_id", "year"])
        is_site = position >= 0
        if not is_site.any():
            continue
        site_rows = df[is_site]
        moved = site_rows.assign(school_id=links["parent_school_id"].to_numpy(dtype=object)[position[is_site]])
        school, parent = key_codes([df[["school_id"]], moved[["school_id"]]], ["school_id"])
        involved = np.isin(school, parent) & ~is_site
        pool = pd.concat([df[involved], moved], ignore_index=True)
        numeric = [
            c
            for c in pool.columns
            if c not in keys and pd.api.types.is_numeric_dtype(pool[c]) and not pd.api.types.is_bool_dtype(pool[c])
        ]
        grouped = pool.groupby(keys, sort=False, dropna=False)
        sums = (
            grouped[numeric]
            .sum(min_count=1)
            .mask(pool[numeric].isna().groupby([pool[k] for k in keys], sort=False, dropna=False).any())
        )
        rest = grouped[[c for c in pool.columns if c not in keys and c not in numeric]].first()
        merged = sums.join(rest).reset_index()[list(df.columns)]
        out[table] = pd.concat([df[~involved], merged], ignore_index=True)
    return out


@dataclass(frozen=True)
class SiteJoin:
    """The 教学点 sites of a set of tables (:func:`site_links`) and the tables with the sites' figures
    added to their parent schools' (:func:`join_sites`); no sites under Hebei's option."""

    links: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]


def site_join(
    tables: Mapping[str, pd.DataFrame],
    standards: Mapping[str, Any] | None = None,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> SiteJoin:
    """The parent-school rule applied once: a caller that needs it twice (the resource indicators and the
    school sizes of one evaluation) passes this on instead of joining a national table again.

    ``columns``: per table, the only columns (besides the keys) the caller reads; the others are left
    out of the joined table instead of being summed for millions of rows nobody looks at.
    """
    links = site_links(tables) if std.sites_join_parent(standards) else site_links({})
    if columns is not None:
        tables = {
            name: df[
                [c for c in df.columns if c in ("school_id", "year", "stage", "county_code") or c in columns[name]]
            ]
            if name in columns
            else df
            for name, df in tables.items()
        }
    return SiteJoin(links, join_sites(tables, links) if len(links) else dict(tables))


def _part_codes(ctx: _Context, parts: pd.DataFrame, level: str) -> _Groups:
    """Positions of each row of ``parts`` (with county_code and year) in the universe of ``level``."""
    return ctx.groups(parts, level)


def _present(ctx: _Context, table: str, level: str) -> np.ndarray:
    """Whether each county-year (or aggregate-year) has any row in ``table``."""
    n = len(ctx.index(level))
    if table not in ctx.tables:
        return np.zeros(n, dtype=bool)
    return ctx.codes(table, level).sum() > 0


def _all_missing(n: int, reason: str) -> tuple[np.ndarray, ...]:
    nan = np.full(n, np.nan)
    return nan, nan, nan, np.full(n, reason, dtype=object)


def _assessed(ctx: _Context, stage: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Assessed parts of ``stage`` and their positions in both universes (memoised)."""
    key = f"assessed:{stage}"
    if key not in ctx.memo:
        parts = _school_parts(ctx)
        sub = parts[(parts["stage"] == stage).to_numpy(dtype=bool) & parts["is_assessed"].to_numpy(dtype=bool)]
        ctx.memo[key] = (sub, {lvl: _part_codes(ctx, sub, lvl) for lvl in ("county", "city")})
    return ctx.memo[key]


def _by_level(ctx: _Context, compute_level: Callable[[str], tuple[np.ndarray, ...]]) -> tuple[_Block, ...]:
    """County rows then aggregate rows of a function computed the same way over both universes."""
    return tuple(_block(lvl, *compute_level(lvl)) for lvl in ("county", "city"))


def _resource_value(ctx: _Context, ind: Indicator, stage: str, resource: str) -> tuple[_Block, ...]:
    """County value ΣR/ΣP (×100 for 每百名) over the assessed parts — the CV's centre X̄."""
    parts, part_codes = _assessed(ctx, stage)
    per = float(ctx.registry.school_resources[resource].get("per", 1))
    amount = parts[f"{resource}_amount"].to_numpy(dtype=float)
    students = parts["student_count"].to_numpy(dtype=float, na_value=np.nan)

    def level(lvl: str) -> tuple[np.ndarray, ...]:
        groups = part_codes[lvl]
        missing = groups.sum(np.isnan(amount))
        num = groups.sum(np.nan_to_num(amount))
        den = groups.sum(students)
        reasons = np.select(
            [~_present(ctx, "enrollment", lvl), np.isnan(den), den == 0, missing > 0],
            [
                "missing enrollment",
                "missing enrollment.student_count",
                "no assessed schools",
                f"missing data for {resource}",
            ],
            None,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            value = num * per / den
        return value, np.where(missing > 0, np.nan, num), den, reasons.astype(object)

    return _by_level(ctx, level)


def _resource_cv(ctx: _Context, ind: Indicator, stage: str, resource: str) -> tuple[_Block, ...]:
    """Student-weighted 差异系数 S/X̄ per county (and pooled for the city), vectorised."""
    parts, part_codes = _assessed(ctx, stage)
    x = parts[resource].to_numpy(dtype=float)
    p = parts["student_count"].to_numpy(dtype=float, na_value=np.nan)

    def level(lvl: str) -> tuple[np.ndarray, ...]:
        groups = part_codes[lvl]
        missing = groups.sum(np.isnan(x))
        xs = np.nan_to_num(x)
        w = groups.sum(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            xbar = groups.sum(p * xs) / w
            s = np.sqrt(groups.sum_by(lambda codes: p * (xs - xbar[codes]) ** 2) / w)
            value = s / xbar
        reasons = np.select(
            [~_present(ctx, "enrollment", lvl), np.isnan(w), w == 0, missing > 0, xbar == 0],
            [
                "missing enrollment",
                "missing enrollment.student_count",
                "no assessed schools",
                f"missing data for {resource}",
                "mean is 0",
            ],
            None,
        )
        return value, s, xbar, reasons.astype(object)

    return _by_level(ctx, level)


def _resource_schools(ctx: _Context, ind: Indicator, stage: str, measure: str) -> tuple[_Block, ...]:
    """Assessed school parts failing the 6-of-7 rule (count) or meeting it (%)."""
    parts, part_codes = _assessed(ctx, stage)
    meets = parts["meets_standard"] if len(parts) else pd.Series([], dtype="boolean")
    unknown = meets.isna().to_numpy()
    passing = meets.to_numpy(dtype=bool, na_value=False)

    def level(lvl: str) -> tuple[np.ndarray, ...]:
        groups = part_codes[lvl]
        assessed = groups.sum().astype(float)
        n_unknown = groups.sum(unknown)
        n_pass = groups.sum(passing)
        reasons = np.select(
            [~_present(ctx, "enrollment", lvl), assessed == 0, n_unknown > 0],
            ["missing enrollment", "no assessed schools", "school parts with missing data cannot be assessed"],
            None,
        )
        if measure == "failing_count":
            num = assessed - n_pass - n_unknown
            return num, num, assessed, reasons.astype(object)
        with np.errstate(divide="ignore", invalid="ignore"):
            return n_pass / assessed * 100, n_pass, assessed, reasons.astype(object)

    return _by_level(ctx, level)


def _schools_over_size_cap(ctx: _Context, ind: Indicator, caps: Mapping[str, str]) -> tuple[_Block, ...]:
    """Schools whose 义务教育 students exceed their type's cap (教督〔2017〕6号 政府保障程度 4).

    Counts the rows of :func:`lcedu.measure.schools.school_sizes`, the table the pages list,
    so the count and the list cannot disagree; a school with a missing count makes its
    county NA.
    """
    from lcedu.measure.schools import school_sizes

    if "enrollment" not in ctx.tables or "schools" not in ctx.tables:
        return _by_level(ctx, lambda lvl: _all_missing(len(ctx.index(lvl)), "missing enrollment or schools"))
    sizes = school_sizes(ctx.tables, caps=caps, standards=ctx.standards, sites=ctx.sites())
    checked = sizes[sizes["size_cap"].notna().to_numpy(dtype=bool)]
    checked = checked.assign(
        county_code=checked["county_code"].to_numpy(dtype=object), year=checked["year"].to_numpy(dtype="int64")
    )
    over = checked["is_over_size_cap"].to_numpy(dtype=float, na_value=0.0)
    unknown = checked["student_count"].isna().to_numpy(dtype=float)

    def level(lvl: str) -> tuple[np.ndarray, ...]:
        groups = _part_codes(ctx, checked, lvl)
        n_over = groups.sum(over)
        n_checked = groups.sum().astype(float)
        n_unknown = groups.sum(unknown)
        reasons = np.select(
            [~_present(ctx, "enrollment", lvl), n_unknown > 0],
            ["missing enrollment", "missing enrollment.student_count"],
            None,
        ).astype(object)
        return n_over, n_over, n_checked, reasons

    return _by_level(ctx, level)


# --------------------------------------------------------------------------- assessments


#: Assessment and dimension states: 达标 (met), 未达标 (not met), 未评估 (not assessed: an input is missing).
STATES = ("达标", "未达标", "未评估")
_STATE_OF = {1.0: "达标", 0.0: "未达标"}


def criterion_threshold(criterion: Mapping[str, Any], standards: Mapping[str, Any] | None = None) -> tuple[float, str]:
    """(threshold, comparison) of an assessment criterion: from the standards file or written inline.

    A checklist item without a threshold (judged by its 结果 alone) gives (nan, "").
    """
    if "standard" not in criterion:
        if "value" not in criterion:
            return float("nan"), ""
        return float(criterion["value"]), str(criterion["comparison"])
    node: Any = standards if standards is not None else std.load_standards()
    for part in criterion["standard"].split("."):
        node = node[part]
    value = node["value"]
    if isinstance(value, Mapping):
        value = value[criterion["stage"]]
    return float(value), str(node["comparison"])


def _meets(values: np.ndarray, threshold: float, comparison: str, strict: bool = False) -> np.ndarray:
    """True/False per value against a threshold (the one rule, :func:`lcedu.measure.standards.meets`)."""
    if comparison not in ("at_least", "count_at_least", "reach", "at_most"):
        raise ValueError(f"unsupported comparison {comparison!r}")
    return std.meets(values, threshold, comparison, strict)


def state_of(flag: Any) -> str:
    """1 → 达标, 0 → 未达标, NA → 未评估."""
    return _STATE_OF.get(None if pd.isna(flag) else float(flag), "未评估")


@dataclass(frozen=True)
class _Assessment:
    """One assessment over the county universe: a column per criterion, and per dimension."""

    criteria: list[str]  # indicator code (statistics) or checklist item code
    dimension_of: list[str]
    sources: list[str]  # "statistics" | "checklist"
    thresholds: list[float]
    comparisons: list[str]
    values: np.ndarray  # (counties × criteria)
    reasons: np.ndarray
    evidence: np.ndarray
    notes: np.ndarray
    met: np.ndarray  # 1.0 / 0.0 / NaN
    dimensions: list[dict[str, str]]
    dimension_met: np.ndarray  # (counties × dimensions) 1.0 / 0.0 / NaN
    is_met: np.ndarray  # 1.0 / 0.0 / NaN per county-year
    unmet: np.ndarray
    na_reason: np.ndarray


def _combine(met: np.ndarray) -> np.ndarray:
    """Per row: 0 when any column is 0, 1 when all are 1, else NaN (the 达标/未达标/未评估 rule)."""
    if met.shape[1] == 0:
        return np.full(met.shape[0], np.nan)
    return np.where((met == 0).any(axis=1), 0.0, np.where(np.isnan(met).any(axis=1), np.nan, 1.0))


def _checklist(ctx: _Context) -> pd.DataFrame:
    """The checklist rows keyed by (county, year, item), or an empty frame when there is none."""
    cols = ["county_code", "year", "item_code", "is_met", "item_value", "unit", "evidence"]
    frame = ctx.tables.get("assessment_checklist")
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    frame = frame.reindex(columns=cols)
    return frame.assign(item_code=frame["item_code"].astype(str).to_numpy(dtype=object))


def _checklist_item(
    ctx: _Context,
    rows: pd.DataFrame,
    has_list: np.ndarray,
    criterion: Mapping[str, Any],
    threshold: float,
    comparison: str,
) -> tuple[np.ndarray, ...]:
    """value, met, reason, evidence and note of one checklist item per county-year.

    With a threshold the item is judged by its value (a 结果 that disagrees is noted, the value
    wins); without one, by its 结果. No row: "no checklist" for a county-year without any, else
    "checklist lacks item"; a row with neither 结果 nor 数值: "checklist item not filled in".
    """
    n = len(ctx.county_index)
    one = rows[rows["item_code"] == criterion["item"]]
    pos = ctx.county_index.get_indexer(
        pd.MultiIndex.from_arrays([one["county_code"].to_numpy(dtype=object), one["year"].to_numpy(dtype="int64")])
    )
    keep = pos >= 0
    one, pos = one[keep], pos[keep]
    value = np.full(n, np.nan)
    stated = np.full(n, np.nan)
    evidence = np.full(n, None, dtype=object)
    unit = np.full(n, None, dtype=object)
    present = np.zeros(n, dtype=bool)
    value[pos] = one["item_value"].to_numpy(dtype=float, na_value=np.nan)
    stated[pos] = pd.array(one["is_met"], dtype="boolean").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    evidence[pos] = [None if pd.isna(e) else str(e) for e in one["evidence"]]
    unit[pos] = [None if pd.isna(u) else str(u) for u in one["unit"]]
    present[pos] = True
    note = np.full(n, None, dtype=object)
    if comparison:
        by_value = _meets(value, threshold, comparison)
        met = np.where(np.isnan(by_value), stated, by_value)
        differ = ~np.isnan(by_value) & ~np.isnan(stated) & (by_value != stated)
        note[differ] = "结果栏与数值不符，按数值判定 / the stated result disagrees with the value; judged by the value"
    else:
        met = stated
    reason = np.select(
        [~has_list, ~present, np.isnan(met)],
        ["no checklist", "checklist lacks item", "checklist item not filled in"],
        None,
    ).astype(object)
    return value, met, reason, evidence, note


def _assessment(ctx: _Context, name: str) -> _Assessment:
    key = f"assessment:{name}"
    if key in ctx.memo:
        return ctx.memo[key]
    spec = ctx.registry.assessments[name]
    n = len(ctx.county_index)
    rows = _checklist(ctx)
    listed = pd.MultiIndex.from_arrays(
        [rows["county_code"].to_numpy(dtype=object), rows["year"].to_numpy(dtype="int64")]
    )
    has_list = np.zeros(n, dtype=bool)
    found = ctx.county_index.get_indexer(listed)
    has_list[found[found >= 0]] = True
    criteria, dims, sources, thresholds, comparisons = [], [], [], [], []
    values, reasons, evidence, notes, met = [], [], [], [], []
    for criterion in spec["criteria"]:
        threshold, comparison = criterion_threshold(criterion, ctx.standards)
        if "item" in criterion:
            v, m, r, e, note = _checklist_item(ctx, rows, has_list, criterion, threshold, comparison)
            criteria.append(criterion["item"])
            sources.append("checklist")
        else:
            block = next(b for b in ctx.result(criterion["indicator"]) if b.level == "county")
            v, r = block.value, block.reason
            m = _meets(v, threshold, comparison)
            e = note = np.full(n, None, dtype=object)
            criteria.append(criterion["indicator"])
            sources.append("statistics")
        dims.append(criterion.get("dimension", ""))
        thresholds.append(threshold)
        comparisons.append(comparison)
        values.append(v)
        reasons.append(r)
        evidence.append(e)
        notes.append(note)
        met.append(m)
    met_m = np.column_stack(met) if met else np.empty((n, 0))
    dimensions = list(
        spec.get("dimensions")
        or [{"code": "", "name_zh": spec.get("name_zh", name), "name_en": spec.get("name_en", name)}]
    )
    dim_met = (
        np.column_stack([_combine(met_m[:, [j for j, d in enumerate(dims) if d == dim["code"]]]) for dim in dimensions])
        if dimensions
        else np.empty((n, 0))
    )
    is_met = _combine(dim_met)
    failed = met_m == 0
    unmet = np.full(n, "", dtype=object)
    for j in reversed(range(len(criteria))):  # a loop over criteria, not schools
        unmet = np.where(failed[:, j], criteria[j] + np.where(unmet == "", "", ", " + unmet), unmet)
    na_reason = np.full(n, None, dtype=object)
    for i in np.flatnonzero(np.isnan(is_met)):
        parts = []
        for k, dim in enumerate(dimensions):
            if np.isnan(dim_met[i, k]):
                cols = [j for j, d in enumerate(dims) if d == dim["code"] and np.isnan(met_m[i, j])]
                whys = sorted({str(reasons[j][i]) for j in cols})
                parts.append(f"{dim['name_en']} ({'; '.join(whys)})")
        na_reason[i] = "not assessed: " + ", ".join(parts) if parts else "no criteria"
    ctx.memo[key] = _Assessment(
        criteria,
        dims,
        sources,
        thresholds,
        comparisons,
        np.column_stack(values) if values else met_m,
        np.column_stack(reasons) if reasons else met_m.astype(object),
        np.column_stack(evidence) if evidence else met_m.astype(object),
        np.column_stack(notes) if notes else met_m.astype(object),
        met_m,
        dimensions,
        dim_met,
        is_met,
        unmet,
        na_reason,
    )
    return ctx.memo[key]


def _assessment_flag(ctx: _Context, ind: Indicator, assessment: str) -> tuple[_Block, ...]:
    """1 when every dimension is 达标, 0 when one is 未达标, NA (未评估, with the reason) otherwise."""
    a = _assessment(ctx, assessment)
    met_count = np.nansum(a.dimension_met, axis=1)
    return (_block("county", a.is_met, met_count, np.full(len(a.is_met), float(len(a.dimensions))), a.na_reason),)


def _assessment_share(ctx: _Context, ind: Indicator, assessment: str) -> tuple[_Block, ...]:
    """Counties whose every dimension was assessed and met, over all counties (未评估 is not achieved)."""
    value = _assessment(ctx, assessment).is_met
    groups = ctx.county_to_area
    met = groups.sum((value == 1).astype(float))
    counties = groups.sum().astype(float)
    reasons = np.where(counties == 0, "no counties", None).astype(object)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (_block("city", met / counties * 100, met, counties, reasons),)


def _year_change(
    ctx: _Context,
    ind: Indicator,
    value: Mapping[str, Any],
    per: Mapping[str, Any] | None = None,
    minus_change_of: Mapping[str, Any] | None = None,
) -> tuple[_Block, ...]:
    """(this year ÷ last year − 1) × 100 of a city figure (optionally per ``per``), minus another's change.

    For 只增不减 and 增幅超过全省平均 (计划 四(二)): numerator is this year's figure, denominator last
    year's; a year whose previous year is not in the data is NA ("no previous year").
    """
    areas, years = _codes_years(ctx.area_index)
    previous = ctx.area_index.get_indexer(pd.MultiIndex.from_arrays([areas, years - 1]))
    no_previous = np.where(previous < 0, "no previous year", None).astype(object)

    def change(term: Mapping[str, Any], per_term: Mapping[str, Any] | None) -> tuple[np.ndarray, ...]:
        amount, reasons = _term(ctx, term, "city")
        if per_term is not None:
            students, per_reasons = _term(ctx, per_term, "city")
            reasons = _first_reason(
                reasons, per_reasons, np.where(students == 0, "denominator is 0", None).astype(object)
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                amount = amount / students
        before = np.where(previous >= 0, amount[np.maximum(previous, 0)], np.nan)
        before_r = np.where(previous >= 0, reasons[np.maximum(previous, 0)], None).astype(object)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (amount / before - 1) * 100
        return (
            pct,
            amount,
            before,
            _first_reason(
                reasons, no_previous, before_r, np.where(before == 0, "previous year is 0", None).astype(object)
            ),
        )

    pct, now, before, reasons = change(value, per)
    if minus_change_of is not None:
        other, _, _, other_r = change(minus_change_of, None)
        pct, reasons = pct - other, _first_reason(reasons, other_r)
    return (_block("city", pct, now, before, reasons),)


def _school_resource(ctx: _Context, ind: Indicator, resource: str) -> tuple[_Block, ...]:
    raise ValueError(f"{ind.code} is a per-school indicator: use lcedu.measure.indicators.school_indicators()")


_FUNCTIONS: dict[str, Callable[..., tuple[_Block, ...]]] = {
    "resource_value": _resource_value,
    "resource_cv": _resource_cv,
    "resource_schools": _resource_schools,
    "schools_over_size_cap": _schools_over_size_cap,
    "assessment_flag": _assessment_flag,
    "assessment_share": _assessment_share,
    "school_resource": _school_resource,
    "year_change": _year_change,
}


# --------------------------------------------------------------------------- public API


def _context(
    tables: Mapping[str, pd.DataFrame] | None,
    processed_dir: str | Path | None,
    years: Iterable[int] | int | None,
    standards: Mapping[str, Any] | None,
    registry: Registry | str | Path | None,
) -> _Context:
    if isinstance(years, int):
        years = [years]
    raw = tables if tables is not None else load_tables(processed_dir)
    reg = registry if isinstance(registry, Registry) else load_registry(registry)
    return _Context(_prepare(raw, years), reg, standards if standards is not None else std.load_standards())


def _county_filter(counties: str | Iterable[str] | None) -> set[str] | None:
    if counties is None:
        return None
    return {counties} if isinstance(counties, str) else {str(c) for c in counties}


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
    out = _assemble(ctx, blocks)
    keep = _county_filter(counties)
    if keep is not None:
        out = out[out["county_code"].isin(keep)].reset_index(drop=True)
    return out


def _assemble(ctx: _Context, blocks: Sequence[tuple[str, _Block]]) -> pd.DataFrame:
    """One DataFrame from many blocks, built once (not one small frame per indicator)."""
    keys = {"county": _codes_years(ctx.county_index), "city": _codes_years(ctx.area_index)}
    units = {code: ctx.registry.indicators[code].unit for code, _ in blocks}

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts) if parts else np.array([], dtype=dtype)

    columns = {
        "county_code": cat([keys[b.level][0] for _, b in blocks], object),
        "year": cat([keys[b.level][1] for _, b in blocks], "int64"),
        "indicator": cat([np.full(len(b.value), code, dtype=object) for code, b in blocks], object),
        "value": cat([b.value for _, b in blocks], float),
        "numerator": cat([b.numerator for _, b in blocks], float),
        "denominator": cat([b.denominator for _, b in blocks], float),
        "unit": cat([np.full(len(b.value), units[code], dtype=object) for code, b in blocks], object),
        "na_reason": cat([b.reason for _, b in blocks], object),
    }
    out = pd.DataFrame(
        {
            "county_code": pd.array(columns["county_code"], dtype="string"),
            "year": pd.array(columns["year"], dtype="Int64"),
            "indicator": pd.array(columns["indicator"], dtype="string"),
            # pd.array turns NaN into pd.NA for the nullable float dtype.
            "value": pd.array(columns["value"], dtype="Float64"),
            "numerator": pd.array(columns["numerator"], dtype="Float64"),
            "denominator": pd.array(columns["denominator"], dtype="Float64"),
            "unit": pd.array(columns["unit"], dtype="string"),
            "na_reason": pd.array(columns["na_reason"], dtype="string"),
        }
    )
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
    if stage is not None and stage not in _STAGES:
        raise ValueError(f"stage must be one of {_STAGES} or None, got {stage!r}")
    ctx = _context(tables, processed_dir, year, standards, registry)
    parts = _school_parts(ctx)
    if stage is not None:
        parts = parts[parts["stage"] == stage]
    keep = _county_filter(counties)
    if keep is not None:
        parts = parts[parts["county_code"].isin(keep)]
    return parts.astype(
        {
            "county_code": "string",
            "school_id": "string",
            "stage": "string",
            "year": "Int64",
            "is_assessed": "boolean",
            "exclusion_reason": "string",
            "na_reason": "string",
            "joined_to_school_id": "string",
        }
    ).reset_index(drop=True)


def _assessment_names(ctx: _Context, which: str | Iterable[str] | None) -> list[str]:
    names = list(ctx.registry.assessments) if which is None else ([which] if isinstance(which, str) else list(which))
    unknown = [n for n in names if n not in ctx.registry.assessments]
    if unknown:
        raise ValueError(f"unknown assessment(s) {unknown}; known: {list(ctx.registry.assessments)}")
    return names


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
        "assessments": _assessments_frame(ctx, None, None),
        "assessment_dimensions": _assessment_dimensions_frame(ctx, None, None),
        "assessment_criteria": _assessment_criteria_frame(ctx, None, None),
    }


def checklist_items(path: str | Path | None = None) -> pd.DataFrame:
    """Every checklist item of the registry's assessments: assessment, dimension, item, names, threshold.

    The items the local checklist workbook (督导评估清单) answers; ``data/raw/README.md`` lists them
    and the code list ``assessment_item`` of the checklist layout holds the same codes.
    """
    reg = load_registry(path)
    rows = []
    for name, spec in reg.assessments.items():
        dims = {d["code"]: d for d in spec.get("dimensions") or []}
        for c in spec["criteria"]:
            if "item" not in c:
                continue
            threshold, comparison = criterion_threshold(c)
            rows.append(
                {
                    "assessment": name,
                    "dimension": c.get("dimension", ""),
                    "dimension_zh": dims.get(c.get("dimension"), {}).get("name_zh", ""),
                    "item": c["item"],
                    "name_zh": c["name_zh"],
                    "name_en": c["name_en"],
                    "threshold": threshold,
                    "comparison": comparison,
                    "confidence": c.get("confidence", ""),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "assessment",
            "dimension",
            "dimension_zh",
            "item",
            "name_zh",
            "name_en",
            "threshold",
            "comparison",
            "confidence",
        ],
    )


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
    return _assessments_frame(ctx, assessment, counties)


def _codes_years(index: pd.MultiIndex) -> tuple[np.ndarray, np.ndarray]:
    """The codes and years of a (county_code, year) universe, as plain arrays."""
    return (
        index.get_level_values("county_code").to_numpy(dtype=object),
        index.get_level_values("year").to_numpy(dtype="int64"),
    )


def _assessment_frame(
    frames: list[pd.DataFrame],
    counties: Iterable[str] | str | None,
    dtypes: Mapping[str, str],
    sort_by: list[str],
    kind: str = "quicksort",
) -> pd.DataFrame:
    """The per-assessment frames as one table: the counties asked for, typed, in a stable order."""
    out = pd.concat(frames, ignore_index=True)
    keep = _county_filter(counties)
    if keep is not None:
        out = out[out["county_code"].isin(keep)]
    key_types = {"county_code": "string", "year": "Int64", "assessment": "string"}
    return out.astype({**key_types, **dtypes}).sort_values(sort_by, kind=kind).reset_index(drop=True)


def _assessments_frame(
    ctx: _Context, assessment: str | Iterable[str] | None, counties: Iterable[str] | str | None
) -> pd.DataFrame:
    county, year = _codes_years(ctx.county_index)
    frames = []
    for name in _assessment_names(ctx, assessment):
        a = _assessment(ctx, name)
        frames.append(
            pd.DataFrame(
                {
                    "county_code": county,
                    "year": year,
                    "assessment": name,
                    "state": [state_of(v) for v in a.is_met],
                    "is_met": pd.array(a.is_met, dtype="Float64").astype("boolean"),
                    "dimensions_met_count": (a.dimension_met == 1).sum(axis=1).astype("int64"),
                    "dimensions_count": len(a.dimensions),
                    "criteria_met_count": np.nansum(a.met, axis=1).astype("int64"),
                    "criteria_count": len(a.criteria),
                    "unmet_criteria": a.unmet,
                    "na_reason": a.na_reason,
                }
            )
        )
    return _assessment_frame(
        frames,
        counties,
        {
            "state": "string",
            "dimensions_met_count": "Int64",
            "dimensions_count": "Int64",
            "criteria_met_count": "Int64",
            "criteria_count": "Int64",
            "unmet_criteria": "string",
            "na_reason": "string",
        },
        ["assessment", "county_code", "year"],
    )


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
    return _assessment_dimensions_frame(ctx, assessment, counties)


def _assessment_dimensions_frame(
    ctx: _Context, assessment: str | Iterable[str] | None, counties: Iterable[str] | str | None
) -> pd.DataFrame:
    county, year = _codes_years(ctx.county_index)
    frames = []
    for name in _assessment_names(ctx, assessment):
        a = _assessment(ctx, name)
        for k, dim in enumerate(a.dimensions):
            cols = [j for j, d in enumerate(a.dimension_of) if d == dim.get("code", "")]
            met = a.met[:, cols]
            kinds = sorted({a.sources[j] for j in cols})
            unmet = [", ".join(a.criteria[j] for j in cols if met[i, cols.index(j)] == 0) for i in range(len(county))]
            reason = [
                None
                if not np.isnan(a.dimension_met[i, k])
                else "; ".join(sorted({str(a.reasons[i, j]) for j in cols if np.isnan(a.met[i, j])}))
                for i in range(len(county))
            ]
            frames.append(
                pd.DataFrame(
                    {
                        "county_code": county,
                        "year": year,
                        "assessment": name,
                        "dimension": dim.get("code", ""),
                        "dimension_zh": dim.get("name_zh", ""),
                        "dimension_en": dim.get("name_en", ""),
                        "position": k + 1,
                        "state": [state_of(v) for v in a.dimension_met[:, k]],
                        "source": "both" if len(kinds) > 1 else (kinds[0] if kinds else ""),
                        "criteria_count": len(cols),
                        "criteria_met_count": (met == 1).sum(axis=1),
                        "criteria_not_met_count": (met == 0).sum(axis=1),
                        "criteria_unassessed_count": np.isnan(met).sum(axis=1),
                        "unmet_criteria": unmet,
                        "na_reason": reason,
                    }
                )
            )
    return _assessment_frame(
        frames,
        counties,
        {
            "dimension": "string",
            "dimension_zh": "string",
            "dimension_en": "string",
            "position": "Int64",
            "state": "string",
            "source": "string",
            "criteria_count": "Int64",
            "criteria_met_count": "Int64",
            "criteria_not_met_count": "Int64",
            "criteria_unassessed_count": "Int64",
            "unmet_criteria": "string",
            "na_reason": "string",
        },
        ["assessment", "county_code", "year", "position"],
    )


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
    return _assessment_criteria_frame(ctx, assessment, counties)


def _assessment_criteria_frame(
    ctx: _Context, assessment: str | Iterable[str] | None, counties: Iterable[str] | str | None
) -> pd.DataFrame:
    county, year = _codes_years(ctx.county_index)
    frames = []
    for name in _assessment_names(ctx, assessment):
        a = _assessment(ctx, name)
        for j, criterion in enumerate(a.criteria):
            frames.append(
                pd.DataFrame(
                    {
                        "county_code": county,
                        "year": year,
                        "assessment": name,
                        "dimension": a.dimension_of[j],
                        "criterion": criterion,
                        "source": a.sources[j],
                        "value": pd.array(a.values[:, j], dtype="Float64"),
                        "threshold": a.thresholds[j],
                        "comparison": a.comparisons[j],
                        "is_met": pd.array(a.met[:, j], dtype="Float64").astype("boolean"),
                        "na_reason": a.reasons[:, j],
                        "evidence": a.evidence[:, j],
                        "note": a.notes[:, j],
                    }
                )
            )
    return _assessment_frame(
        frames,
        counties,
        {
            "dimension": "string",
            "criterion": "string",
            "source": "string",
            "comparison": "string",
            "na_reason": "string",
            "evidence": "string",
            "note": "string",
        },
        ["assessment", "county_code", "year"],
        kind="stable",
    )
