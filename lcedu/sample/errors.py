"""Realistic reporting errors put into the sample's truth before its files are written.

A county statistician's autumn review (``lcedu.measure.quality``) must find what schools get wrong,
so the sample carries four such errors per county in its latest year, each stated in
``sample.json`` (``injected_errors``) with the check expected to find it:

- ``doubled_teachers``: a high school's teacher table keyed twice (every teacher count doubled);
- ``missing_school``: a kindergarten present last year sends no return this year;
- ``unbalanced_flows``: a 331 change table whose 转入 no longer balances (start + in − out ≠ end),
  only where the county-year's input carries table 331 (per-school forms of a scheme with 331);
- ``swapped_grade_digits``: instead, where the input is a roster (which has no 331), a primary
  school's 一年级 keyed with its two digits swapped, so Σ grades ≠ 在校生;
- ``grade_jump``: a school's 五年级 counted as 四年级 (Σ grades unchanged, the cohort jumps).

An error is put only where the input can show it: one no input carries would be stated in
sample.json yet found by no review. The grade errors need issue 20's detail tables and are injected
only when the truth has them. Everything else in the truth is left as designed.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

#: School tables a school's rows are removed from when it "sends no return".
SCHOOL_TABLES = ("schools", "enrollment", "teachers", "facilities", "grade_enrollment", "kindergarten_ages")
TEACHER_COUNTS = (
    "staff_count",
    "full_time_teacher_count",
    "teacher_postgrad_count",
    "teacher_bachelor_count",
    "teacher_associate_count",
    "teacher_below_associate_count",
    "backbone_teacher_count",
    "pe_teacher_count",
    "music_teacher_count",
    "art_teacher_count",
    "certified_teacher_count",
)


def inject(
    truth: dict[str, pd.DataFrame], seed: int, flows_reported: Collection[tuple[str, int]]
) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """The truth with the errors put in (the input is not modified) and one record per error.

    ``flows_reported``: the (county, year) pairs whose input carries table 331; elsewhere the 331
    error would be invisible, so the county gets the roster's grade error instead.
    """
    out = {name: frame.copy() for name, frame in truth.items()}
    year = int(out["schools"]["year"].max())
    records: list[dict] = []
    for county in sorted(out["schools"]["county_code"].unique()):
        rng = np.random.default_rng([seed, int(county), 27])
        used: set[str] = set()
        within = unbalanced_flows if (county, year) in flows_reported else swapped_grade_digits
        for step in (doubled_teachers, missing_school, within, grade_jump):
            record = step(out, county, year, rng, used)
            if record is not None:
                used.add(record["school_id"])
                records.append({"county_code": county, "year": year, **record})
    return out, records


def _pick(candidates: pd.DataFrame, rng: np.random.Generator, used: set[str]) -> pd.Series | None:
    candidates = candidates[~candidates["school_id"].isin(used)].sort_values("school_id")
    return None if candidates.empty else candidates.iloc[int(rng.integers(len(candidates)))]


def _at(frame: pd.DataFrame, county: str, year: int) -> pd.Series:
    return (frame["county_code"] == county).to_numpy(dtype=bool) & (frame["year"] == year).to_numpy(dtype=bool)


def doubled_teachers(
    truth: dict[str, pd.DataFrame], county: str, year: int, rng: np.random.Generator, used: set[str]
) -> dict | None:
    """A high school's teacher counts keyed twice: every count of its 高中 row doubled."""
    t = truth["teachers"]
    rows = t[_at(t, county, year) & (t["stage"] == "senior").to_numpy() & (t["full_time_teacher_count"] >= 20)]
    row = _pick(rows, rng, used)
    if row is None:
        return None
    at = t.index[(t["school_id"] == row["school_id"]) & (t["year"] == year) & (t["stage"] == "senior")]
    cols = [c for c in TEACHER_COUNTS if c in t]
    t.loc[at, cols] = t.loc[at, cols] * 2
    was = int(row["full_time_teacher_count"])
    return _record(
        truth,
        row["school_id"],
        year,
        "doubled_teachers",
        "teachers",
        "full_time_teacher_count",
        was,
        2 * was,
        "outlier_teachers",
        stage="senior",
    )


def missing_school(
    truth: dict[str, pd.DataFrame], county: str, year: int, rng: np.random.Generator, used: set[str]
) -> dict | None:
    """A kindergarten of last year that sends no return this year (every school table loses its rows)."""
    s, e = truth["schools"], truth["enrollment"]
    parents = set(s["parent_school_id"].dropna())
    big = set(e.loc[_at(e, county, year) & (e["student_count"] >= 30).to_numpy(dtype=bool), "school_id"])
    kept = _at(s, county, year) & (s["school_type"] == "kindergarten").to_numpy(dtype=bool)
    last = set(s.loc[_at(s, county, year - 1), "school_id"])
    rows = s[kept & s["school_id"].isin(big & last - parents).to_numpy()]
    row = _pick(rows, rng, used)
    if row is None:
        return None
    record = _record(
        truth, row["school_id"], year, "missing_school", "schools", "school_id", None, None, "roster_disappeared"
    )
    for name in (*SCHOOL_TABLES, "student_flows"):
        frame = truth.get(name)
        if frame is not None:
            gone = (frame["school_id"] == row["school_id"]).to_numpy() & (frame["year"] == year).to_numpy()
            truth[name] = frame[~gone].reset_index(drop=True)
    return record


def unbalanced_flows(
    truth: dict[str, pd.DataFrame], county: str, year: int, rng: np.random.Generator, used: set[str]
) -> dict | None:
    """A primary school's 331 table with 转入 mistyped: start + in − out no longer equals end."""
    f = truth.get("student_flows")
    if f is None:
        return None
    rows = f[_at(f, county, year) & (f["stage"] == "primary").to_numpy() & (f["flow"] == "transferred_in").to_numpy()]
    row = _pick(rows, rng, used)
    if row is None:
        return None
    at = f.index[
        (f["school_id"] == row["school_id"])
        & (f["year"] == year)
        & (f["stage"] == "primary")
        & (f["flow"] == "transferred_in")
    ]
    was = int(row["student_count"])
    f.loc[at, "student_count"] = was + 12
    return _record(
        truth,
        row["school_id"],
        year,
        "unbalanced_flows",
        "student_flows",
        "transferred_in",
        was,
        was + 12,
        "flow_balance",
        stage="primary",
    )


def swapped_grade_digits(
    truth: dict[str, pd.DataFrame], county: str, year: int, rng: np.random.Generator, used: set[str]
) -> dict | None:
    """A primary school's 一年级 keyed with its two digits swapped (47 → 74): Σ grades ≠ 在校生.

    The form's 一年级 is also the roster's 起始年级, so both change; 在校生 stays as keyed. Grade 1 has
    no cohort last year, so only the grade sum (not the cohort check) can see it.
    """
    g = truth.get("grade_enrollment")
    if g is None:
        return None
    first = g[_at(g, county, year) & (g["stage"] == "primary").to_numpy(dtype=bool) & (g["grade"] == 1).to_numpy()]
    count = first["student_count"].astype("Int64").fillna(0).astype(int)
    row = _pick(first[count.between(12, 98) & (count // 10 != count % 10) & (count % 10 != 0)], rng, used)
    if row is None:
        return None
    was = int(row["student_count"])
    now = int(str(was)[::-1])
    at = g.index[(g["school_id"] == row["school_id"]) & _at(g, county, year) & (g["stage"] == "primary")]
    g.loc[at[g.loc[at, "grade"] == 1], "student_count"] = now
    e = truth["enrollment"]  # the roster's 起始年级 and the form's 一年级 are the same figure
    e.loc[
        (e["school_id"] == row["school_id"]) & _at(e, county, year) & (e["stage"] == "primary"),
        "entry_grade_student_count",
    ] = now
    return _record(
        truth,
        row["school_id"],
        year,
        "swapped_grade_digits",
        "grade_enrollment",
        "grade 1",
        was,
        now,
        "grade_sum",
        stage="primary",
    )


def grade_jump(
    truth: dict[str, pd.DataFrame], county: str, year: int, rng: np.random.Generator, used: set[str]
) -> dict | None:
    """Part of a primary school's 五年级 counted as 四年级: Σ grades unchanged, last year's 三年级 jumps."""
    g = truth.get("grade_enrollment")
    if g is None:
        return None
    near = (g["county_code"] == county).to_numpy(dtype=bool) & g["year"].isin([year - 1, year]).to_numpy(dtype=bool)
    primary = g[near & (g["stage"] == "primary").to_numpy(dtype=bool)]
    wide = primary.pivot_table(index=["school_id", "year"], columns="grade", values="student_count", observed=True)
    if not {3, 4, 5} <= set(wide.columns):
        return None
    now = wide.xs(year, level="year")
    before = wide.xs(year - 1, level="year") if year - 1 in wide.index.get_level_values("year") else None
    if before is None:
        return None
    ok = now.index.intersection(before.index[before[3] >= 40])
    ok = [i for i in ok if now.at[i, 5] >= 40 and now.at[i, 4] >= 30]
    row = _pick(pd.DataFrame({"school_id": ok}), rng, used)
    if row is None:
        return None
    school = row["school_id"]
    moved = int(round(now.at[school, 5] * 0.6))
    for grade, delta in ((4, moved), (5, -moved)):
        at = g.index[
            (g["school_id"] == school) & (g["year"] == year) & (g["stage"] == "primary") & (g["grade"] == grade)
        ]
        g.loc[at, "student_count"] = g.loc[at, "student_count"] + delta
    was = int(now.at[school, 4])
    return _record(
        truth,
        school,
        year,
        "grade_jump",
        "grade_enrollment",
        "grade 4",
        was,
        was + moved,
        "cohort_continuity",
        stage="primary",
    )


def _record(
    truth: dict[str, pd.DataFrame],
    school_id: str,
    year: int,
    kind: str,
    table: str,
    field: str,
    was: int | None,
    now: int | None,
    check: str,
    stage: str | None = None,
) -> dict:
    s = truth["schools"]
    name = s.loc[(s["school_id"] == school_id) & (s["year"] == year), "school_name"]
    return {
        "school_id": str(school_id),
        "school_name": str(name.iloc[0]) if len(name) else None,
        "kind": kind,
        "table": table,
        "stage": stage,
        "field": field,
        "was": was,
        "now": now,
        "check": check,
    }
