"""The indicator engine: a registry formula evaluated over the processed tables, vectorised.

The engine interprets the small formula vocabulary of ``indicators.yml`` (table, filter, row sums,
counts, distinct counts, plus/minus, factor, cap) with group sums over two universes: the
county-years, and the aggregate rows (a prefecture, and a province when the build spans more than
one prefecture). An evaluation is one :class:`Context`; what a ratio cannot express is a named
function the context is given (:data:`lcedu.measure.indicators.FUNCTIONS`: the resource indicators
of :mod:`lcedu.measure.resources`, the assessments of :mod:`lcedu.measure.assessments`,
:func:`year_change` here). Missing inputs give NA with a reason, never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcedu.home import CITY_CODE
from lcedu.ingest import store
from lcedu.ingest.counties import aggregate_layers
from lcedu.measure import standards as std
from lcedu.measure.groups import Groups
from lcedu.measure.keys import first_match, key_codes, take_rows
from lcedu.measure.registry import TABLES, Indicator, Registry, load_registry
from lcedu.measure.schools import SIZE_COUNTS
from lcedu.measure.sites import SiteJoin, site_join

#: Columns of :func:`lcedu.measure.indicators.compute`, in order.
OUTPUT_COLUMNS = ("county_code", "year", "indicator", "value", "numerator", "denominator", "unit", "na_reason")
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
#: A registered function: (context, indicator, **args) → county and aggregate blocks.
Function = Callable[..., "tuple[Block, ...]"]
_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "gt": np.greater,
    "gte": np.greater_equal,
    "lt": np.less,
    "lte": np.less_equal,
    "ne": np.not_equal,
}


def load_tables(processed_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The processed tables the formulas may use, from ``processed_dir`` (default: the current set).

    A table the set does not have (e.g. ``city`` for a generated province) is left out; the
    indicators that need it are then NA with "missing <table>".
    """
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


class Context:
    """Tables of one compute call, the county-year and aggregate universes, and memoised results.

    Aggregate rows are one per prefecture code (the first 4 digits of the county codes, and 00) and
    year, then one per province code and year when the counties span more than one prefecture
    (:func:`lcedu.ingest.counties.aggregate_layers`); the ``city`` table, which has no county
    rows, is 临沧's and lands on ``530900``. For 临沧 alone this is the 530900 row of each year.
    """

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        registry: Registry,
        standards: Mapping[str, Any],
        functions: Mapping[str, Function],
    ):
        self.tables = tables
        self.functions = functions
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
        self.county_to_area = Groups(
            [self.area_index.get_indexer(pd.MultiIndex.from_arrays([layer, years])) for layer in layers],
            len(self.area_index),
        )
        self._results: dict[str, tuple[Block, ...]] = {}
        self._codes: dict[tuple[str, str], Groups] = {}
        self._views: dict[str, pd.DataFrame] = {}
        self.memo: dict[str, Any] = {}

    # -- universes and group codes

    def index(self, level: str) -> pd.Index:
        return self.county_index if level == "county" else self.area_index

    def groups(self, frame: pd.DataFrame, level: str) -> Groups:
        """Positions of the rows of ``frame`` (county_code and year, or year alone for the city
        table) in the universe of ``level`` (county-years, or the aggregates)."""
        if "county_code" not in frame.columns:  # the city table: 临沧's own rows
            rows = pd.MultiIndex.from_arrays(
                [np.full(len(frame), CITY_CODE, dtype=object), frame["year"].to_numpy(dtype="int64")]
            )
            return Groups(
                [self.area_index.get_indexer(rows) if level != "county" else np.full(len(frame), -1)],
                len(self.index(level)),
            )
        keys = self._county_number_keys(frame)
        position = np.where(keys >= 0, self._county_year_lookup[np.maximum(keys, 0)], -1)
        if level == "county":
            return Groups([position], len(self.county_index))
        return self._area_groups(position)

    def _area_groups(self, position: np.ndarray) -> Groups:
        """Positions in the aggregate universe of rows at ``position`` in the county universe (-1 outside)."""
        return Groups(
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

    def codes(self, table: str, level: str) -> Groups:
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
            needed: dict[str, list[str]] = {
                "enrollment": ["student_count", *SIZE_COUNTS],
                "teachers": [],
                "facilities": [],
            }
            for spec in self.registry.school_resources.values():
                sums = spec["sum"] if isinstance(spec["sum"], Mapping) else {"all": spec["sum"]}
                needed.setdefault(spec["table"], []).extend(c.lstrip("-") for v in sums.values() for c in listify(v))
            self.memo["sites"] = site_join(self.tables, self.standards, needed)
        return self.memo["sites"]

    # -- results

    def result(self, code: str) -> tuple[Block, ...]:
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


def listify(x: Any) -> list[Any]:
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


def row_sum(df: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
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
        cols += [c.lstrip("-") for c in listify(term["sum"])]
    if "count_distinct" in term:
        cols += listify(term["count_distinct"])
    return cols


def first_reason(*reasons: np.ndarray) -> np.ndarray:
    out = reasons[0].copy()
    for r in reasons[1:]:
        empty = pd.isna(out)
        out[empty] = r[empty]
    return out


def term_values(ctx: Context, term: Mapping[str, Any], level: str) -> tuple[np.ndarray, np.ndarray]:
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
        cols = listify(term["count_distinct"])
        values = np.zeros(n)
        for codes in groups.layers:
            keep = matched & (codes >= 0)
            sub = df.loc[keep, cols].assign(_code=codes[keep]).dropna(subset=cols)
            values = values + np.bincount(sub.drop_duplicates()["_code"].to_numpy(), minlength=n)
        nan_masks: list[tuple[str, np.ndarray]] = []
        row_nan = np.zeros(len(df), dtype=bool)
    else:
        if "sum" in term:
            row_values, nan_masks = row_sum(df, listify(term["sum"]))
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
            sub_values, sub_reasons = term_values(ctx, sub_term, level)
            reasons = first_reason(reasons, sub_reasons)
            values = values + sign * sub_values
    return values, reasons


# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class Block:
    """Rows of one indicator over one universe (county-years or city years), as aligned arrays."""

    level: str
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    reason: np.ndarray


def block(level: str, value: np.ndarray, numerator: np.ndarray, denominator: np.ndarray, reasons: np.ndarray) -> Block:
    """A block whose value is NA exactly where a reason says why (a NaN without one is flagged)."""
    value = np.where(pd.isna(reasons), np.asarray(value, dtype=float), np.nan)
    reasons = np.where(pd.isna(reasons) & np.isnan(value), "not computable", reasons).astype(object)
    return Block(level, value, np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float), reasons)


def _ratio(
    num: np.ndarray, den: np.ndarray, num_r: np.ndarray, den_r: np.ndarray, formula: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    zero = den == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(zero, np.nan, num / np.where(zero, 1.0, den)) * float(formula.get("factor", 1))
    zero_reason = formula["denominator"].get("zero_reason", "denominator is 0")
    reasons = first_reason(num_r, den_r, np.where(zero, zero_reason, None).astype(object))
    if "cap" in formula:
        value = np.minimum(value, float(formula["cap"]))
    return value, reasons


def _city_from_counties(
    ctx: Context, num: np.ndarray, den: np.ndarray | None, reasons: np.ndarray
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


def _evaluate(ctx: Context, ind: Indicator) -> tuple[Block, ...]:
    formula = ind.formula
    if "function" in formula:
        return ctx.functions[formula["function"]](ctx, ind, **(formula.get("args") or {}))
    level = "city" if ind.level == "city" else "county"
    factor = float(formula.get("factor", 1))
    frames = []
    if "numerator" in formula:
        num, num_r = term_values(ctx, formula["numerator"], level)
        den, den_r = term_values(ctx, formula["denominator"], level)
        value, reasons = _ratio(num, den, num_r, den_r, formula)
        frames.append(block(level, value, num, den, reasons))
        if level == "county" and ind.city == "sum":
            # A county whose denominator is 0 adds 0/0 to the city: only missing inputs make it NA.
            c_num, c_den, c_r = _city_from_counties(ctx, num, den, first_reason(num_r, den_r))
            # e.g. 技工学校 students, reported to the city only (a build without a city table, such as a
            # province sample, has no such figure: its aggregates stay county sums)
            if ind.city_plus is not None and "city" in ctx.tables:
                extra, extra_r = term_values(ctx, ind.city_plus, "city")
                c_num, c_r = c_num + extra, first_reason(c_r, extra_r)
            c_value, c_reasons = _ratio(c_num, c_den, c_r, np.full(len(c_r), None, dtype=object), formula)
            frames.append(block("city", c_value, c_num, c_den, c_reasons))
    else:
        raw, reasons = term_values(ctx, formula["value"], level)
        no_den = np.full(len(raw), np.nan)
        frames.append(block(level, raw * factor, raw, no_den, reasons))
        if level == "county" and ind.city == "sum":
            c_raw, _, c_r = _city_from_counties(ctx, raw, None, reasons)
            frames.append(block("city", c_raw * factor, c_raw, np.full(len(c_raw), np.nan), c_r))
        elif level == "county" and ind.city == "weighted":
            weight, w_r = term_values(ctx, ind.city_weight or {}, "county")
            both_r = first_reason(reasons, w_r)
            c_num, c_den, c_r = _city_from_counties(ctx, raw * factor * weight, weight, both_r)
            zero = np.where(c_den == 0, "no weight", None).astype(object)
            c_r = first_reason(c_r, zero)
            with np.errstate(divide="ignore", invalid="ignore"):
                frames.append(block("city", c_num / c_den, c_num, c_den, c_r))
    return tuple(frames)


def year_change(
    ctx: Context,
    ind: Indicator,
    value: Mapping[str, Any],
    per: Mapping[str, Any] | None = None,
    minus_change_of: Mapping[str, Any] | None = None,
) -> tuple[Block, ...]:
    """(this year ÷ last year − 1) × 100 of a city figure (optionally per ``per``), minus another's change.

    For 只增不减 and 增幅超过全省平均 (计划 四(二)): numerator is this year's figure, denominator last
    year's; a year whose previous year is not in the data is NA ("no previous year").
    """
    areas, years = codes_years(ctx.area_index)
    previous = ctx.area_index.get_indexer(pd.MultiIndex.from_arrays([areas, years - 1]))
    no_previous = np.where(previous < 0, "no previous year", None).astype(object)

    def change(term: Mapping[str, Any], per_term: Mapping[str, Any] | None) -> tuple[np.ndarray, ...]:
        amount, reasons = term_values(ctx, term, "city")
        if per_term is not None:
            students, per_reasons = term_values(ctx, per_term, "city")
            reasons = first_reason(
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
            first_reason(
                reasons, no_previous, before_r, np.where(before == 0, "previous year is 0", None).astype(object)
            ),
        )

    pct, now, before, reasons = change(value, per)
    if minus_change_of is not None:
        other, _, _, other_r = change(minus_change_of, None)
        pct, reasons = pct - other, first_reason(reasons, other_r)
    return (block("city", pct, now, before, reasons),)


# --------------------------------------------------------------------------- evaluation context and output


def context(
    tables: Mapping[str, pd.DataFrame] | None,
    processed_dir: str | Path | None,
    years: Iterable[int] | int | None,
    standards: Mapping[str, Any] | None,
    registry: Registry | str | Path | None,
    functions: Mapping[str, Function],
) -> Context:
    """One evaluation over the given tables (or the build's), years, thresholds, registry and functions."""
    if isinstance(years, int):
        years = [years]
    raw = tables if tables is not None else load_tables(processed_dir)
    reg = registry if isinstance(registry, Registry) else load_registry(registry)
    return Context(_prepare(raw, years), reg, standards if standards is not None else std.load_standards(), functions)


def county_filter(counties: str | Iterable[str] | None) -> set[str] | None:
    if counties is None:
        return None
    return {counties} if isinstance(counties, str) else {str(c) for c in counties}


def assemble(ctx: Context, blocks: Sequence[tuple[str, Block]]) -> pd.DataFrame:
    """One DataFrame from many blocks, built once (not one small frame per indicator)."""
    keys = {"county": codes_years(ctx.county_index), "city": codes_years(ctx.area_index)}
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


def codes_years(index: pd.MultiIndex) -> tuple[np.ndarray, np.ndarray]:
    """The codes and years of a (county_code, year) universe, as plain arrays."""
    return (
        index.get_level_values("county_code").to_numpy(dtype=object),
        index.get_level_values("year").to_numpy(dtype="int64"),
    )
