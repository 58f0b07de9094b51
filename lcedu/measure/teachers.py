"""Teachers beyond the registry's rates: 学历 structure, 编制 norms, and schools without PE / music / art teachers.

Each function takes the processed tables and returns one tidy frame for every county and
year (filter with ``counties`` / ``years``). Sums follow the project's rule: one missing
count makes the group NA with ``na_reason``, never a smaller total.

Public API: :func:`teacher_qualifications`, :func:`staffing_against_norms`,
:func:`subject_teachers`, :func:`subject_teacher_summary`, :data:`QUALIFICATION_COLUMNS`,
:data:`SUBJECT_COLUMNS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import standards as std
from lcedu.measure.schools import keyed, select, strict_sum

__all__ = [
    "QUALIFICATION_COLUMNS",
    "SUBJECT_COLUMNS",
    "staffing_against_norms",
    "subject_teacher_summary",
    "subject_teachers",
    "teacher_qualifications",
]

#: Full-time teachers by highest qualification, best first (研究生, 本科, 专科, 专科以下).
QUALIFICATION_COLUMNS = (
    "teacher_postgrad_count",
    "teacher_bachelor_count",
    "teacher_associate_count",
    "teacher_below_associate_count",
)
#: The subjects whose absence the teachers notebook lists (体育, 音乐, 美术).
SUBJECT_COLUMNS = ("pe_teacher_count", "music_teacher_count", "art_teacher_count")


def _typed(out: pd.DataFrame, counts: Iterable[str], floats: Iterable[str]) -> pd.DataFrame:
    out = out.assign(
        county_code=out["county_code"].astype("string"),
        year=pd.array(out["year"].to_numpy(dtype="int64"), dtype="Int64"),
    )
    for c in ("stage", "school_id", "school_name", "school_type", "na_reason"):
        if c in out.columns:
            out[c] = out[c].astype("string")
    for c in counts:
        out[c] = pd.array(out[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").round().astype("Int64")
    for c in floats:
        out[c] = pd.array(out[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64")
    return out


def teacher_qualifications(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
) -> pd.DataFrame:
    """Per county, year and 学段: full-time teachers by qualification and each one's share (``*_share_pct``).

    ``teacher_total`` is the sum of the four groups; when one group is missing the total and
    every share are NA (a share of a partial total would overstate the others).
    """
    t = keyed(tables["teachers"], QUALIFICATION_COLUMNS)
    cols = [c for c in QUALIFICATION_COLUMNS if c in t.columns]
    t = t.assign(**{c: np.nan for c in QUALIFICATION_COLUMNS if c not in cols})
    out = strict_sum(t, ["county_code", "year", "stage"], list(QUALIFICATION_COLUMNS))
    counts = out[list(QUALIFICATION_COLUMNS)].to_numpy(dtype=float)
    total = counts.sum(axis=1)  # NaN when any group is NaN
    out["teacher_total"] = total
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, c in enumerate(QUALIFICATION_COLUMNS):
            out[c.removesuffix("_count") + "_share_pct"] = np.where(total > 0, counts[:, j] / total * 100, np.nan)
    missing = np.isnan(counts)
    names = np.array(QUALIFICATION_COLUMNS, dtype=object)
    out["na_reason"] = np.where(
        missing.any(axis=1),
        "missing teachers." + names[missing.argmax(axis=1)].astype(str),
        np.where(total == 0, "no full-time teachers", None),
    )
    shares = [c.removesuffix("_count") + "_share_pct" for c in QUALIFICATION_COLUMNS]
    out = _typed(out, [*QUALIFICATION_COLUMNS, "teacher_total"], shares)
    return select(out, counties, years)


def staffing_against_norms(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
    norms: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Per county, year and 学段 of the 编制 norms: students per 教职工 against the norm, and 生师比.

    ``norm_students_per_staff`` from :func:`lcedu.measure.standards.load_staffing_norms`
    (``norms``: another parsed file). ``staff_required`` = ⌈students ÷ norm⌉,
    ``staff_difference`` = staff − required (negative: short), ``is_within_norm`` =
    students per staff ≤ norm (the one rule, :func:`lcedu.measure.standards.meets`).
    ``students_per_teacher`` (在校生 ÷ 专任教师) is a different measure, kept beside it.
    """
    spec = (norms if norms is not None else std.load_staffing_norms())["staff_student_ratio"]
    stages = list(spec["value"])
    t = keyed(tables["teachers"], ["staff_count", "full_time_teacher_count"])
    e = keyed(tables["enrollment"], ["student_count"])
    staff = strict_sum(
        t[t["stage"].isin(stages)], ["county_code", "year", "stage"], ["staff_count", "full_time_teacher_count"]
    )
    students = strict_sum(e[e["stage"].isin(stages)], ["county_code", "year", "stage"], ["student_count"])
    county_years = pd.concat([t[["county_code", "year"]], e[["county_code", "year"]]]).drop_duplicates()
    grid = county_years.merge(pd.DataFrame({"stage": stages}), how="cross")
    out = (
        grid.merge(students, on=["county_code", "year", "stage"], how="left")
        .merge(staff, on=["county_code", "year", "stage"], how="left")
        .sort_values(["county_code", "year"], kind="stable")
    )
    n_students = out["student_count"].to_numpy(dtype=float, na_value=np.nan)
    n_staff = out["staff_count"].to_numpy(dtype=float, na_value=np.nan)
    n_teachers = out["full_time_teacher_count"].to_numpy(dtype=float, na_value=np.nan)
    norm = out["stage"].map({k: float(v) for k, v in spec["value"].items()}).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_staff = np.where(n_staff > 0, n_students / n_staff, np.nan)
        per_teacher = np.where(n_teachers > 0, n_students / n_teachers, np.nan)
    required = np.array(
        [math.ceil(s / n - 1e-9) if not math.isnan(s) else np.nan for s, n in zip(n_students, norm, strict=True)],
        dtype=float,
    )
    out = out.assign(
        norm_students_per_staff=norm,
        students_per_staff=per_staff,
        students_per_teacher=per_teacher,
        staff_required=required,
        staff_difference=n_staff - required,
    )
    out["is_within_norm"] = pd.array(std.meets(per_staff, norm, "at_most"), dtype="Float64").astype("boolean")
    out["na_reason"] = np.select(
        [np.isnan(n_students), np.isnan(n_staff), n_staff == 0],
        ["missing enrollment.student_count", "missing teachers.staff_count", "no staff"],
        None,
    )
    out = _typed(
        out,
        ["student_count", "staff_count", "full_time_teacher_count", "staff_required", "staff_difference"],
        ["norm_students_per_staff", "students_per_staff", "students_per_teacher"],
    )
    out = out[
        [
            "county_code",
            "year",
            "stage",
            "student_count",
            "staff_count",
            "full_time_teacher_count",
            "students_per_teacher",
            "students_per_staff",
            "norm_students_per_staff",
            "staff_required",
            "staff_difference",
            "is_within_norm",
            "na_reason",
        ]
    ].reset_index(drop=True)
    return select(out, counties, years)


def subject_teachers(
    tables: Mapping[str, pd.DataFrame],
    *,
    counties: Iterable[str] | str | None = None,
    years: Iterable[int] | int | None = None,
) -> pd.DataFrame:
    """Per school with 小学 or 初中 teachers: PE, music and art teachers, and which of them it has none of.

    ``lacks_<subject>_teacher`` is True for a count of 0, NA when the count is missing;
    ``lacks_any`` is True when any is True (NA only when nothing is known).
    """
    t = keyed(tables["teachers"], SUBJECT_COLUMNS)
    t = t[t["stage"].isin(std.STAGES)]
    t = t.assign(**{c: np.nan for c in SUBJECT_COLUMNS if c not in t.columns})
    out = strict_sum(t, ["school_id", "year"], list(SUBJECT_COLUMNS))
    schools = keyed(tables["schools"], ["school_name", "school_type"]).drop_duplicates(["school_id", "year"])
    out = out.merge(
        schools[["school_id", "year", "county_code", "school_name", "school_type"]],
        on=["school_id", "year"],
        how="inner",
    )
    lacks = {}
    for c in SUBJECT_COLUMNS:
        v = out[c].to_numpy(dtype=float)
        lacks[f"lacks_{c.removesuffix('_count')}"] = pd.array(
            np.where(np.isnan(v), np.nan, v == 0), dtype="Float64"
        ).astype("boolean")
    out = out.assign(**lacks)
    flags = list(lacks)
    out["lacks_any"] = out[flags[0]] | out[flags[1]] | out[flags[2]]
    missing = out[list(SUBJECT_COLUMNS)].isna().to_numpy()
    out["na_reason"] = np.where(
        missing.any(axis=1),
        "missing teachers." + np.array(SUBJECT_COLUMNS, dtype=object)[missing.argmax(axis=1)].astype(str),
        None,
    )
    out = _typed(out, SUBJECT_COLUMNS, [])
    out = (
        out[
            [
                "county_code",
                "year",
                "school_id",
                "school_name",
                "school_type",
                *SUBJECT_COLUMNS,
                *flags,
                "lacks_any",
                "na_reason",
            ]
        ]
        .sort_values(["county_code", "year", "school_id"])
        .reset_index(drop=True)
    )
    return select(out, counties, years)


def subject_teacher_summary(schools: pd.DataFrame) -> pd.DataFrame:
    """Per county, year and school type of a :func:`subject_teachers` frame: schools, and how many lack each."""
    flags = [f"lacks_{c.removesuffix('_count')}" for c in SUBJECT_COLUMNS]
    counted = schools.assign(**{f: schools[f].fillna(False).astype(bool) for f in [*flags, "lacks_any"]})
    out = (
        counted.groupby(["county_code", "year", "school_type"], sort=True, observed=True)
        .agg(school_count=("school_id", "size"), **{f"{f}_count": (f, "sum") for f in [*flags, "lacks_any"]})
        .reset_index()
    )
    return out.astype({c: "Int64" for c in out.columns if c.endswith("_count")})
