"""School-level facts the pages list: sizes and classes, campuses, vocational schools, special schools.

The registry's indicators count these per county; the pages also name the schools behind
the counts. Both read the functions here, so a page's list and the indicator beside it
cannot disagree: :func:`school_sizes` is the very table
``compulsory_school_over_size_cap_count`` counts. Each function takes the processed tables
and returns one tidy frame for every county and year (filter with ``counties`` / ``years``);
a missing input is NA with ``na_reason``, never 0.

Public API: :func:`school_sizes` (with :func:`size_cap_types`), :func:`campus_status`,
:func:`vocational_schools`, :func:`special_school_provision`,
:func:`special_school_population_threshold`, :func:`high_school_trusteeship`; and the
helpers the measure layer shares: :func:`keyed`, :func:`strict_sum`, :func:`select`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lcedu.ingest.counties import home
from lcedu.measure import standards as std
from lcedu.measure.keys import key_positions, take_rows
from lcedu.measure.plan import load_targets
from lcedu.measure.registry import load_registry, school_type_group
from lcedu.measure.sites import SiteJoin, site_join

__all__ = [
    "SIZE_COUNTS",
    "campus_status",
    "high_school_trusteeship",
    "keyed",
    "school_sizes",
    "select",
    "size_cap_types",
    "special_school_population_threshold",
    "special_school_provision",
    "strict_sum",
    "vocational_schools",
]

#: Key columns of the processed tables.
KEYS = ("county_code", "year", "school_id", "stage")
#: The enrollment counts :func:`school_sizes` sums per school.
SIZE_COUNTS = ("student_count", "oversize_class_count", "large_class_count")
#: The indicator whose registry entry maps school types to their size cap.
SIZE_CAP_INDICATOR = "compulsory_school_over_size_cap_count"


# --------------------------------------------------------------------------- helpers shared by this layer


def keyed(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame`` (or its key columns and ``columns``) with plain keys: year as int64, ids and codes as strings.

    Keys already plain are left as they are, so keying twice costs nothing.
    """
    if columns is not None:
        frame = frame[[c for c in dict.fromkeys([*KEYS, *columns]) if c in frame.columns]]
    keys: dict[str, Any] = {}
    if "year" in frame.columns and frame["year"].dtype != np.int64:
        keys["year"] = frame["year"].to_numpy(dtype="int64")
    for col in ("county_code", "school_id", "stage"):
        if col in frame.columns and not pd.api.types.is_string_dtype(frame[col].dtype):
            keys[col] = frame[col].astype("string")
    return frame.assign(**keys) if keys else frame


def strict_sum(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Group sums where one missing value makes the group's sum NA (never counted as 0)."""
    parts = frame[list(keys)].reset_index(drop=True)
    for c in columns:
        v = frame[c].to_numpy(dtype=float, na_value=np.nan)
        parts[c] = np.nan_to_num(v)
        parts[f"_na_{c}"] = np.isnan(v)
    sums = parts.groupby(list(keys), sort=True, observed=True).sum()
    out = pd.DataFrame(index=sums.index)
    for c in columns:
        out[c] = sums[c].where(sums[f"_na_{c}"] == 0)
    return out.reset_index()


def select(
    frame: pd.DataFrame, counties: Iterable[str] | str | None, years: Iterable[int] | int | None
) -> pd.DataFrame:
    """Rows of the given counties and years (None keeps all)."""
    keep = np.ones(len(frame), dtype=bool)
    if counties is not None:
        wanted = {counties} if isinstance(counties, str) else {str(c) for c in counties}
        keep &= frame["county_code"].astype(str).isin(wanted).to_numpy()
    if years is not None:
        wanted_years = {int(years)} if isinstance(years, int | np.integer) else {int(y) for y in years}
        keep &= frame["year"].astype("int64").isin(wanted_years).to_numpy()
    return frame[keep].reset_index(drop=True)


def _school_attributes(
    tables: Mapping[str, pd.DataFrame], columns: Sequence[str] = ("county_code", "school_name", "school_type")
) -> pd.DataFrame:
    schools = keyed(tables["schools"], columns).drop_duplicates(["school_id", "year"])
    return schools[["school_id", "year", *columns]]


def _typed(
    out: pd.DataFrame,
    *,
    counts: Sequence[str] = (),
    floats: Sequence[str] = (),
    flags: Sequence[str] = (),
    strings: Sequence[str] = (),
) -> pd.DataFrame:
    out = out.assign(year=pd.array(out["year"].to_numpy(dtype="int64"), dtype="Int64"))
    for c in ("county_code", "school_id", "school_name", "school_type", "na_reason", *strings):
        if c in out.columns:
            out[c] = out[c].astype("string")
    for c in counts:
        out[c] = pd.array(out[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").round().astype("Int64")
    for c in floats:
        out[c] = pd.array(out[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64")
    for c in flags:
        out[c] = out[c].astype("boolean")
    return out


# --------------------------------------------------------------------------- school size and classes


def size_cap_types(registry: Any = None) -> dict[str, str]:
    """School type → key of ``school_size_max`` (from the size-cap indicator's registry entry)."""
    reg = registry if registry is not None else load_registry()
    return dict(reg.indicators[SIZE_CAP_INDICATOR].formula["args"]["caps"])


def school_sizes(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
    caps: Mapping[str, str] | None = None,
    standards: Mapping[str, Any] | None = None,
    sites: SiteJoin | None = None,
) -> pd.DataFrame:
    """Per school with 小学 or 初中 students: 义务教育 students against the school-size cap, and its classes.

    ``student_count`` sums the school's primary and junior rows; one missing count makes it
    NA ("missing enrollment.student_count") and ``is_over_size_cap`` NA, never a smaller
    school. ``size_cap`` comes from the standards (``school_size_max``) through the type →
    cap mapping of the registry (``caps``); other types have no cap (NA). The class counts
    (``oversize_class_count`` above 45 / 50, ``large_class_count`` 56+) follow the same NA
    rule. ``has_size_problem``: over the cap or any oversize or large class. 教学点 sites
    (是否计校数 = 0) are not schools of their own: their students and classes count in their
    parent school (the statistics' parent-school rule; off with Hebei's option in the standards).
    ``sites``: :func:`lcedu.measure.sites.site_join` of these tables when the caller has made it
    already (the indicator engine does, for the resource indicators), so a national table is joined once.
    """
    columns = [
        "county_code",
        "year",
        "school_id",
        "school_name",
        "school_type",
        "student_count",
        "size_cap",
        "is_over_size_cap",
        "oversize_class_count",
        "large_class_count",
        "has_size_problem",
        "na_reason",
    ]
    if "enrollment" not in tables or "schools" not in tables:
        raise ValueError("school_sizes 需要 enrollment 和 schools 表 / needs the enrollment and schools tables")
    caps = dict(caps) if caps is not None else size_cap_types()
    size_max = std.school_size_caps(standards)
    if sites is None:
        sites = site_join({"schools": tables["schools"], "enrollment": tables["enrollment"]}, standards)
    tables = {**tables, "enrollment": sites.tables["enrollment"]}
    counted = list(SIZE_COUNTS)
    enr = keyed(tables["enrollment"], [c for c in counted if c in tables["enrollment"].columns])
    comp = enr[enr["stage"].isin(std.STAGES)]
    sums = strict_sum(
        comp.assign(**{c: comp[c] if c in comp.columns else np.nan for c in counted}), ["school_id", "year"], counted
    )
    # An inner join on the first row of each school-year, by integer codes (a national table has millions).
    attributes = ["county_code", "school_name", "school_type"]
    school = key_positions(sums, tables["schools"], ["school_id", "year"])
    found = school >= 0
    out = pd.concat(
        [
            sums[found].reset_index(drop=True),
            take_rows(keyed(tables["schools"], attributes)[attributes], school[found]),
        ],
        axis=1,
    )
    if len(sites.links):
        out = out[key_positions(out, sites.links, ["school_id", "year"]) < 0]
    out["size_cap"] = out["school_type"].map({t: size_max[k] for t, k in caps.items()}).astype(float)
    students = out["student_count"].to_numpy(dtype=float)
    cap = out["size_cap"].to_numpy(dtype=float)
    known = ~np.isnan(students) & ~np.isnan(cap)
    with np.errstate(invalid="ignore"):
        over = std.meets(students, cap, "at_most") == 0.0
    out["is_over_size_cap"] = pd.array(np.where(known, over, np.nan), dtype="Float64").astype("boolean")
    classes = out[["oversize_class_count", "large_class_count"]].to_numpy(dtype=float)
    any_class = pd.array(
        np.where(np.isnan(classes).all(axis=1), np.nan, (np.nan_to_num(classes) > 0).any(axis=1)), dtype="Float64"
    ).astype("boolean")
    out["has_size_problem"] = out["is_over_size_cap"] | any_class
    out["na_reason"] = np.select(
        [np.isnan(students), np.isnan(cap), np.isnan(classes).any(axis=1)],
        ["missing enrollment.student_count", "no size cap for this school type", "missing enrollment class counts"],
        None,
    )
    out = _typed(out, counts=["oversize_class_count", "large_class_count"], floats=["student_count", "size_cap"])
    out = out[columns].sort_values(["county_code", "year", "school_id"]).reset_index(drop=True)
    return select(out, counties, years)


# --------------------------------------------------------------------------- campuses: fibre network, safe campus


def campus_status(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
) -> pd.DataFrame:
    """Per school with a facilities row: all-fibre campus network and 平安校园, as the indicators count them.

    ``is_primary_secondary``: the school is in the scope of
    ``fiber_campus_network_coverage_pct`` (中小学, the registry's ``primary_secondary`` group);
    ``safe_campus_rate_pct`` counts every school. Flags stay NA where the data are missing.
    """
    scope = school_type_group("primary_secondary")
    keep = [c for c in ("has_fiber_network", "is_safe_campus") if c in tables["facilities"].columns]
    fac = keyed(tables["facilities"], keep)
    out = (
        fac[["school_id", "year", *keep]]
        .drop_duplicates(["school_id", "year"])
        .merge(_school_attributes(tables), on=["school_id", "year"], how="inner")
    )
    for c in ("has_fiber_network", "is_safe_campus"):
        if c not in out.columns:
            out[c] = pd.NA
    out["is_primary_secondary"] = out["school_type"].isin(scope)
    out["na_reason"] = np.select(
        [out["has_fiber_network"].isna().to_numpy(), out["is_safe_campus"].isna().to_numpy()],
        ["missing facilities.has_fiber_network", "missing facilities.is_safe_campus"],
        None,
    )
    out = _typed(out, flags=["has_fiber_network", "is_safe_campus", "is_primary_secondary"])
    out = out[
        [
            "county_code",
            "year",
            "school_id",
            "school_name",
            "school_type",
            "is_primary_secondary",
            "has_fiber_network",
            "is_safe_campus",
            "na_reason",
        ]
    ]
    return select(out.sort_values(["county_code", "year", "school_type", "school_name"]), counties, years)


# --------------------------------------------------------------------------- vocational schools


def vocational_schools(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
) -> pd.DataFrame:
    """Per 职业学校: students, teachers and the 双师型 share of 专业课教师 (as ``dual_qualified_teacher_pct``).

    ``dual_qualified_pct`` is NA with a reason when either count is missing or the school
    has no vocational-subject teachers.
    """
    schools = _school_attributes(tables)
    schools = schools[schools["school_type"] == "vocational"]
    teacher_cols = ["full_time_teacher_count", "vocational_subject_teacher_count", "dual_qualified_teacher_count"]
    out = schools[["county_code", "year", "school_id", "school_name", "school_type"]]
    if "teachers" in tables:
        t = keyed(tables["teachers"], [c for c in teacher_cols if c in tables["teachers"].columns])
        t = t[t["stage"] == "vocational"].assign(**{c: np.nan for c in teacher_cols if c not in t.columns})
        out = out.merge(strict_sum(t, ["school_id", "year"], teacher_cols), on=["school_id", "year"], how="left")
    if "enrollment" in tables:
        e = keyed(tables["enrollment"], ["student_count"])
        e = e[e["stage"] == "vocational"]
        out = out.merge(strict_sum(e, ["school_id", "year"], ["student_count"]), on=["school_id", "year"], how="left")
    for c in [*teacher_cols, "student_count"]:
        if c not in out.columns:
            out[c] = np.nan
    num = out["dual_qualified_teacher_count"].to_numpy(dtype=float, na_value=np.nan)
    den = out["vocational_subject_teacher_count"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["dual_qualified_pct"] = np.where(den > 0, num / den * 100, np.nan)
    out["na_reason"] = np.select(
        [np.isnan(num), np.isnan(den), den == 0],
        [
            "missing teachers.dual_qualified_teacher_count",
            "missing teachers.vocational_subject_teacher_count",
            "no vocational subject teachers",
        ],
        None,
    )
    out = _typed(out, counts=[*teacher_cols, "student_count"], floats=["dual_qualified_pct"])
    out = out[
        [
            "county_code",
            "year",
            "school_id",
            "school_name",
            "student_count",
            *teacher_cols,
            "dual_qualified_pct",
            "na_reason",
        ]
    ]
    return select(out.sort_values(["county_code", "year", "school_id"]), counties, years)


# --------------------------------------------------------------------------- special-education schools


def special_school_population_threshold(targets: pd.DataFrame | None = None) -> float:
    """The plan's population above which a county needs a special-education school (人口超过20万)."""
    t = targets if targets is not None else load_targets()
    rows = t[t["indicator"] == "special_school_coverage_large_county_pct"]
    for condition in rows["condition"]:  # a tuple of (name, number) pairs
        given = dict(condition) if isinstance(condition, Mapping | tuple | list) else {}
        if "population_over" in given:
            return float(given["population_over"])
    raise ValueError(
        "目标文件缺少 special_school_coverage_large_county_pct 的 population_over 条件 / the targets "
        "file has no population_over condition for special_school_coverage_large_county_pct"
    )


def special_school_provision(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
    population_over: float | None = None,
) -> pd.DataFrame:
    """Per county and year: resident population, whether the plan requires a special-education school, the schools.

    Every county of the registry appears for every year of the schools table. ``is_required``
    is NA when the population is missing; ``is_met`` (has a special-education school) is
    only stated where one is required. ``special_school_names`` lists the schools, joined
    with "、" (the data's names are Chinese).
    """
    threshold = float(population_over) if population_over is not None else special_school_population_threshold()
    schools = keyed(tables["schools"], ["school_name", "school_type"]).drop_duplicates(["school_id", "year"])
    special = schools[schools["school_type"] == "special"].sort_values("school_id")
    years_all = sorted(set(schools["year"].tolist()))
    counties = sorted(set(home()["county_code"]) | set(schools["county_code"].dropna().astype(str)))
    grid = pd.MultiIndex.from_product([counties, years_all], names=["county_code", "year"]).to_frame(index=False)
    if "population" in tables:
        pop = keyed(tables["population"], ["resident_population"]).drop_duplicates(["county_code", "year"])
        grid = grid.merge(pop[["county_code", "year", "resident_population"]], on=["county_code", "year"], how="left")
    else:
        grid["resident_population"] = np.nan
    names = (
        special.groupby(["county_code", "year"])["school_name"]
        .agg(lambda s: "、".join(str(x) for x in s))
        .rename("special_school_names")
    )
    count = special.groupby(["county_code", "year"]).size().rename("special_school_count")
    grid = grid.join(count, on=["county_code", "year"]).join(names, on=["county_code", "year"])
    grid["special_school_count"] = grid["special_school_count"].fillna(0)  # no special school row: none built
    resident = grid["resident_population"].to_numpy(dtype=float, na_value=np.nan)
    required = np.where(np.isnan(resident), np.nan, resident > threshold)
    has_school = (grid["special_school_count"].to_numpy(dtype=float) > 0).astype(float)
    grid["population_threshold"] = threshold
    grid["is_required"] = pd.array(required, dtype="Float64").astype("boolean")
    grid["has_special_school"] = pd.array(has_school, dtype="Float64").astype("boolean")
    grid["is_met"] = pd.array(np.where(required == 1.0, has_school, np.nan), dtype="Float64").astype("boolean")
    grid["na_reason"] = np.where(np.isnan(resident), "missing population.resident_population", None)
    out = _typed(
        grid,
        counts=["resident_population", "special_school_count"],
        floats=["population_threshold"],
        strings=["special_school_names"],
    )
    out = out[
        [
            "county_code",
            "year",
            "resident_population",
            "population_threshold",
            "is_required",
            "special_school_count",
            "special_school_names",
            "has_special_school",
            "is_met",
            "na_reason",
        ]
    ]
    return select(out, counties, years)


# --------------------------------------------------------------------------- high schools under trusteeship


def high_school_trusteeship(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
) -> pd.DataFrame:
    """Per county and year in the ledger: high schools under 托管帮扶 (NA with a reason when not reported)."""
    if "ledger" not in tables:  # a partial input without the ledger: no county-year to list
        tables = {
            **tables,
            "ledger": pd.DataFrame({"county_code": pd.Series(dtype="string"), "year": pd.Series(dtype="Int64")}),
        }
    ledger = keyed(tables["ledger"], [c for c in ("trusteeship_high_school_count",) if c in tables["ledger"].columns])
    if "trusteeship_high_school_count" not in ledger.columns:
        ledger = ledger.assign(trusteeship_high_school_count=np.nan)
    out = strict_sum(ledger, ["county_code", "year"], ["trusteeship_high_school_count"])
    out["na_reason"] = np.where(
        out["trusteeship_high_school_count"].isna(), "missing ledger.trusteeship_high_school_count", None
    )
    out = _typed(out, counts=["trusteeship_high_school_count"])
    return select(out, counties, years)
