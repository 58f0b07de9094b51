"""The 优质均衡 resource indicators: the 7 amounts per school part (学段), their spread and the 6-of-7 rule.

One row per school, year and compulsory 学段 (:func:`school_parts`), with the 教学点 sites joined to
their parents (:mod:`lcedu.measure.sites`) and shared facilities split by students; the county and
aggregate values (ΣR/ΣP, the 差异系数, the schools meeting the rule, the schools over their size cap)
are the registered functions of :data:`FUNCTIONS`, evaluated by :mod:`lcedu.measure.engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import standards as std
from lcedu.measure.engine import Block, Context, Function, block, county_filter, listify, row_sum
from lcedu.measure.groups import Groups
from lcedu.measure.keys import first_match, key_codes, take_rows, take_values
from lcedu.measure.registry import Indicator
from lcedu.measure.schools import school_sizes

__all__ = ["FUNCTIONS", "school_indicator_frame", "school_parts"]

STAGES = std.STAGES


def school_parts(ctx: Context) -> pd.DataFrame:
    """One row per school and compulsory 学段 with the 7 resource amounts, values and flags (memoised)."""
    if "school_parts" in ctx.memo:
        return ctx.memo["school_parts"]
    cqb = ctx.standards["compulsory_quality_balance"]
    sites = ctx.sites()
    tables = sites.tables
    columns = ["school_id", "year", "stage", "county_code", "student_count"]
    enr = tables["enrollment"] if "enrollment" in tables else pd.DataFrame(columns=columns)
    parts = enr.loc[enr["stage"].isin(STAGES), columns].reset_index(drop=True)
    # The school-years of every table the parts look up, from one factorization (a national table has millions).
    lookups = [name for name in ("schools", "teachers", "facilities") if name in tables]
    part_school, enr_school, site_school, *codes = key_codes(
        [parts, enr, sites.links, *(tables[name] for name in lookups)], ["school_id", "year"]
    )
    school_of = dict(zip(lookups, codes, strict=True))
    parts = _with_school_attributes(parts, tables, part_school, school_of)
    stage_students = _stage_students(enr, enr_school, part_school)
    sources = _part_sources(parts, tables, part_school, school_of)
    weights = cqb["shared_resource_weights"]["value"]
    parts = parts.assign(**_resource_columns(ctx, parts, sources, stage_students, weights))
    parent = take_values(
        sites.links["parent_school_id"].to_numpy(dtype=object), first_match(part_school, site_school), None
    )
    parts = _with_exclusions(parts, float(cqb["teaching_point_min_students"]["value"]), parent)
    parts = _with_flags(parts, ctx.standards)
    ctx.memo["school_parts"] = parts.sort_values(["county_code", "year", "stage", "school_id"]).reset_index(drop=True)
    return ctx.memo["school_parts"]


def _with_school_attributes(
    parts: pd.DataFrame, tables: Mapping[str, pd.DataFrame], part_school: np.ndarray, school_of: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The parts with their school's name, type and urban/rural class (NA without a schools table)."""
    if "schools" not in tables:
        return parts.assign(school_name=pd.NA, school_type=pd.NA, urban_rural=pd.NA)
    found = take_rows(
        tables["schools"][["school_name", "school_type", "urban_rural"]],
        first_match(part_school, school_of["schools"]),
        parts.index,
    )
    return pd.concat([parts, found], axis=1)


def _stage_students(enr: pd.DataFrame, enr_school: np.ndarray, part_school: np.ndarray) -> dict[str, np.ndarray]:
    """Students of every 学段 of each part's school, for the weighted split of shared facilities.

    An absent 学段 has 0 students, a reported but missing count stays NaN.
    """
    enr_stage = enr["stage"].to_numpy(dtype=object)
    enr_students = enr["student_count"].to_numpy(dtype=float, na_value=np.nan)
    out = {}
    for stage in ("primary", "junior", "senior"):
        rows = np.flatnonzero(enr_stage == stage)
        out[stage] = take_values(enr_students[rows], first_match(part_school, enr_school[rows]), 0.0)
    return out


def _part_sources(
    parts: pd.DataFrame, tables: Mapping[str, pd.DataFrame], part_school: np.ndarray, school_of: dict[str, np.ndarray]
) -> dict[str, pd.DataFrame]:
    """The parts with the columns of their teachers row (same 学段) and of their school's facilities row."""
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
    return sources


def _resource_columns(
    ctx: Context,
    parts: pd.DataFrame,
    sources: Mapping[str, pd.DataFrame],
    stage_students: Mapping[str, np.ndarray],
    weights: Any,
) -> dict[str, np.ndarray]:
    """``shared_fraction`` and, per resource of the registry, its amount (shared ones split by 学段) and value."""
    students = parts["student_count"].to_numpy(dtype=float, na_value=np.nan)
    is_primary = (parts["stage"] == "primary").to_numpy()

    def split(amount: np.ndarray) -> np.ndarray:
        shares = std.split_shared(
            amount, stage_students["primary"], stage_students["junior"], stage_students["senior"], weights=weights
        )
        return np.where(is_primary, shares.primary, shares.junior)

    out = {"shared_fraction": split(np.ones(len(parts)))}
    for code, spec in ctx.registry.school_resources.items():
        per = float(spec.get("per", 1))
        table = spec["table"]
        if table not in sources:
            amount = np.full(len(parts), np.nan)
        else:
            cols = spec["sum"]
            by_stage = cols if isinstance(cols, Mapping) else {"primary": cols, "junior": cols}
            primary_amount, _ = row_sum(sources[table], listify(by_stage["primary"]))
            junior_amount, _ = row_sum(sources[table], listify(by_stage["junior"]))
            amount = np.where(is_primary, primary_amount, junior_amount)
            if spec.get("shared"):
                amount = split(amount)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(students > 0, amount * per / students, np.nan)
        out[f"{code}_amount"] = amount
        out[code] = value
    return out


def _with_exclusions(parts: pd.DataFrame, min_students: float, parent: np.ndarray) -> pd.DataFrame:
    """``joined_to_school_id``, ``is_assessed`` and ``exclusion_reason``: sites, parts without students and
    (with Hebei's option) small 教学点 are not assessed on their own."""
    students = parts["student_count"].to_numpy(dtype=float, na_value=np.nan)
    small_point = (parts["school_type"] == "teaching_point").to_numpy(dtype=bool, na_value=False) & (
        students < min_students
    )
    no_students = students == 0  # a missing count stays assessed, so its county shows NA, not a smaller set
    is_site = pd.notna(parent)
    exclusion = np.select(
        [small_point, no_students], [f"teaching point under {min_students:g} students", "no students"], None
    ).astype(object)
    exclusion[is_site] = "joined to parent school " + parent[is_site].astype(str)
    return parts.assign(
        joined_to_school_id=parent, is_assessed=~small_point & ~no_students & ~is_site, exclusion_reason=exclusion
    )


def _with_flags(parts: pd.DataFrame, standards: Mapping[str, Any]) -> pd.DataFrame:
    """Per 学段 the met flags, ratios to the thresholds, the count met and the 6-of-7 rule; ``na_reason``."""
    frames = []
    for stage in STAGES:
        sub = parts[parts["stage"] == stage]
        thresholds = std.resource_thresholds(stage, standards)
        flags = std.indicator_flags(sub, stage, standards).add_suffix("_is_met")
        ratios = pd.DataFrame(
            {f"{c}_to_threshold": sub[c] / thresholds[c] for c in std.RESOURCE_INDICATORS}, index=sub.index
        )
        frames.append(
            pd.concat(
                [
                    sub,
                    flags,
                    ratios,
                    std.indicators_met_count(sub, stage, standards).rename("indicators_met_count"),
                    std.school_meets_frame(sub, stage, standards),
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
    return parts


def _part_codes(ctx: Context, parts: pd.DataFrame, level: str) -> Groups:
    """Positions of each row of ``parts`` (with county_code and year) in the universe of ``level``."""
    return ctx.groups(parts, level)


def _present(ctx: Context, table: str, level: str) -> np.ndarray:
    """Whether each county-year (or aggregate-year) has any row in ``table``."""
    n = len(ctx.index(level))
    if table not in ctx.tables:
        return np.zeros(n, dtype=bool)
    return ctx.codes(table, level).sum() > 0


def _all_missing(n: int, reason: str) -> tuple[np.ndarray, ...]:
    nan = np.full(n, np.nan)
    return nan, nan, nan, np.full(n, reason, dtype=object)


def _assessed(ctx: Context, stage: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Assessed parts of ``stage`` and their positions in both universes (memoised)."""
    key = f"assessed:{stage}"
    if key not in ctx.memo:
        parts = school_parts(ctx)
        sub = parts[(parts["stage"] == stage).to_numpy(dtype=bool) & parts["is_assessed"].to_numpy(dtype=bool)]
        ctx.memo[key] = (sub, {lvl: _part_codes(ctx, sub, lvl) for lvl in ("county", "city")})
    return ctx.memo[key]


def _by_level(ctx: Context, compute_level: Callable[[str], tuple[np.ndarray, ...]]) -> tuple[Block, ...]:
    """County rows then aggregate rows of a function computed the same way over both universes."""
    return tuple(block(lvl, *compute_level(lvl)) for lvl in ("county", "city"))


def _resource_value(ctx: Context, ind: Indicator, stage: str, resource: str) -> tuple[Block, ...]:
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


def _resource_cv(ctx: Context, ind: Indicator, stage: str, resource: str) -> tuple[Block, ...]:
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


def _resource_schools(ctx: Context, ind: Indicator, stage: str, measure: str) -> tuple[Block, ...]:
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


def _schools_over_size_cap(ctx: Context, ind: Indicator, caps: Mapping[str, str]) -> tuple[Block, ...]:
    """Schools whose 义务教育 students exceed their type's cap (教督〔2017〕6号 政府保障程度 4).

    Counts the rows of :func:`lcedu.measure.schools.school_sizes`, the table the pages list,
    so the count and the list cannot disagree; a school with a missing count makes its
    county NA.
    """
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


def _school_resource(ctx: Context, ind: Indicator, resource: str) -> tuple[Block, ...]:
    raise ValueError(f"{ind.code} is a per-school indicator: use lcedu.measure.indicators.school_indicators()")


def school_indicator_frame(ctx: Context, stage: str | None, counties: Iterable[str] | str | None) -> pd.DataFrame:
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
    parts = school_parts(ctx)
    if stage is not None:
        parts = parts[parts["stage"] == stage]
    keep = county_filter(counties)
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


#: The registered functions of this module, by the name a formula gives.
FUNCTIONS: dict[str, Function] = {
    "resource_value": _resource_value,
    "resource_cv": _resource_cv,
    "resource_schools": _resource_schools,
    "schools_over_size_cap": _schools_over_size_cap,
    "school_resource": _school_resource,
}
