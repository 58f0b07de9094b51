"""Plausibility bounds (``config/plausibility.yml``): figures too large or too small to be true.

A count that parses as a number can still be impossible (1e15 students in one school, 元 typed
under a 万元 header). Each bound has a hard limit (an error: nothing is written) and soft limits
(a warning in the quality summary), each with its source, all declared as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from lcedu import paths
from lcedu.errors import Issue
from lcedu.ingest.layout import read_spec

CONFIG = ("ingest", "config", "plausibility.yml")
PROVENANCE = ["_file", "_sheet", "_row", "_column", "stage"]
KEY = {"school": ["school_id", "year"], "stage": ["school_id", "year", "stage"]}
STAGE_TABLES = ("enrollment", "teachers")
SOFT = "软界限 soft bound"
HARD = "硬界限 hard bound"
MAX_LISTED = 20  # issues listed per bound and limit; the rest are counted in one "more" line
MORE = re.compile(r"另有 (\d+) 处")
FIX = (
    "核对该单元格：是否多打了位数、填错了列或单位（如 元 填在 万元 列）/ check the cell: extra digits, wrong column "
    "or unit; 确属实情，在 lcedu/ingest/config/plausibility.yml 中放宽该界限并写明依据"
)


@dataclass(frozen=True)
class Limit:
    min: float | None
    max: float | None
    source: str
    school_types: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bound:
    name: str
    label: str
    per: str
    numerator: str
    denominator: str | None
    hard: Limit
    soft: tuple[Limit, ...]


def _limit(spec: dict) -> Limit:
    return Limit(
        min=spec.get("min"),
        max=spec.get("max"),
        source=str(spec["source"]).strip(),
        school_types=tuple(spec.get("school_type", ())),
        stages=tuple(spec.get("stage", ())),
    )


@cache
def bounds() -> tuple[Bound, ...]:
    """The bounds declared in ``lcedu/ingest/config/plausibility.yml``."""
    spec = read_spec(paths.package_file(*CONFIG))
    out = []
    for b in spec["bounds"]:
        numerator, _, denominator = (p.strip() for p in b["value"].partition("/"))
        out.append(
            Bound(
                name=b["name"],
                label=b["label"],
                per=b["per"],
                numerator=numerator,
                denominator=denominator or None,
                hard=_limit(b["hard"]),
                soft=tuple(_limit(s) for s in b.get("soft", ())),
            )
        )
    return tuple(out)


def beyond_soft_bound(issue: Issue) -> bool:
    """A warning this module raised (the quality summary lists them)."""
    return issue.level == "warning" and SOFT in issue.message


def count_beyond_soft_bound(issues: list[Issue]) -> int:
    """How many values are beyond a soft bound: those listed one by one and those counted in a "more" line."""
    soft = [i for i in issues if beyond_soft_bound(i)]
    more = [MORE.search(i.message) for i in soft]
    return sum(int(m.group(1)) if m else 1 for m in more)


def _keyed(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Rows with a whole key, in one dtype per key column (tables typed by different readers meet here)."""
    frame = frame.dropna(subset=key)
    return frame.assign(**{k: frame[k].astype("int64") if k == "year" else frame[k].astype(str) for k in key})


def _with_source(frame: pd.DataFrame, column: str, key: list[str]) -> pd.DataFrame:
    """``column`` summed over ``key`` with the provenance of its largest part (the row to look at)."""
    parts = _keyed(frame[[*key, column, *[c for c in PROVENANCE if c in frame and c not in key]]], key)
    parts = parts.assign(_value=parts[column].astype("Float64").astype(float))
    total = parts.groupby(key)["_value"].sum(min_count=1).rename(column).to_frame()
    largest = parts.sort_values("_value", ascending=False, na_position="last", kind="stable").drop_duplicates(key)
    source = largest.set_index(key)[[c for c in PROVENANCE if c in largest and c not in key]]
    return total.join(source.add_prefix(f"{column}:"))


def _stage_classes(schools: pd.DataFrame, stages: pd.Series) -> pd.DataFrame:
    """Each school's class count per stage (schools.<stage>_class_count) as rows keyed by stage; a school without
    classes in a stage has no row there (a bound never fires on NA, and a province has many such cells)."""
    rows = []
    for stage in stages.dropna().unique():
        col = f"{stage}_class_count"
        if col not in schools:
            continue
        part = schools.loc[schools[col].notna(), ["school_id", "year", col, "_file", "_sheet", "_row"]]
        rows.append(part.rename(columns={col: "class_count"}).assign(stage=stage, _column=col))
    if not rows:
        return pd.DataFrame(columns=["school_id", "year", "stage", "class_count"])
    return pd.concat(rows, ignore_index=True)


def measures(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Per school and per stage: the quantities the bounds use, each with the row it comes from."""
    schools = tables.get("schools")
    if schools is None or schools.empty:
        return {}
    types = _keyed(schools, KEY["school"]).drop_duplicates(KEY["school"]).set_index(KEY["school"])[["school_type"]]
    per_school, per_stage = [types], []
    for table in STAGE_TABLES:
        frame = tables.get(table)
        if frame is None or frame.empty:
            continue
        for column in [c for c in ("student_count", "full_time_teacher_count") if c in frame]:
            per_school.append(_with_source(frame, column, KEY["school"]))
            per_stage.append(_with_source(frame, column, KEY["stage"]))
    facilities = tables.get("facilities")
    if facilities is not None and not facilities.empty:
        for column in ("teaching_aux_area_m2", "equipment_value_yuan"):
            if column in facilities:
                per_school.append(_with_source(facilities.assign(_column=None), column, KEY["school"]))
    enrollment = tables.get("enrollment")
    if enrollment is not None and not enrollment.empty:
        per_stage.append(_with_source(_stage_classes(schools, enrollment["stage"]), "class_count", KEY["stage"]))
    school = (
        per_school[0].join(per_school[1:], how="outer").reset_index()
        if len(per_school) > 1
        else per_school[0].reset_index()
    )
    stage = (
        per_stage[0]
        .join(per_stage[1:], how="outer")
        .reset_index()
        .merge(types.reset_index(), on=KEY["school"], how="left")
        if per_stage
        else pd.DataFrame(columns=[*KEY["stage"], "school_type"])
    )
    return {"school": school, "stage": stage}


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return frame[column].astype("Float64").astype(float).to_numpy()


def _is_in(frame: pd.DataFrame, column: str, labels: tuple[str, ...]) -> np.ndarray:
    """Which rows carry one of ``labels`` (compared in pandas: a Python string per row would cost hundreds of MB
    on a province)."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("string").isin(labels).to_numpy(dtype=bool, na_value=False)


def _outside(values: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = np.zeros(len(values), dtype=bool)
        if low is not None:
            out |= values < low
        if high is not None:
            out |= values > high
    return out


def _range(limit: Limit) -> str:
    low = "" if limit.min is None else f"{limit.min:g}"
    high = "" if limit.max is None else f"{limit.max:g}"
    return f"[{low or '—'}, {high or '—'}]"


def check(
    tables: dict[str, pd.DataFrame],
    issues: list[Issue],
    headers: dict[tuple[str, str, str | None, str], str] | None = None,
) -> None:
    """Add an error for every value beyond a hard bound and a warning for every one beyond a soft bound.

    ``tables`` still carry their provenance (``_file``, ``_sheet``, ``_row``): each issue names the
    row and the column of the figure to check (the numerator of a ratio, the largest stage of a sum).
    """
    frames = measures(tables)
    headers = headers or {}
    checks = []
    for bound in bounds():
        frame = frames.get(bound.per)
        if frame is None or frame.empty or bound.numerator not in frame:
            continue
        num = _floats(frame, bound.numerator)
        den = _floats(frame, bound.denominator) if bound.denominator else None
        with np.errstate(divide="ignore", invalid="ignore"):
            values = num if den is None else np.where(den > 0, num / den, np.nan)
        checks.append((bound, frame, num, den, values))
    # Hard bounds first: a school-year with an impossible figure gets no soft warnings (its ratios
    # are all off because of that one cell), and a cell is named once, by the first bound it breaks.
    failed: set[tuple[object, object]] = set()
    cells: set[tuple[object, ...]] = set()
    for bound, frame, num, den, values in checks:
        hard = _outside(values, bound.hard.min, bound.hard.max)
        for i in np.flatnonzero(hard):
            failed.add((frame["school_id"].iat[i], frame["year"].iat[i]))
        _report(bound, frame, values, num, den, hard, bound.hard, "error", issues, headers, cells)
    for bound, frame, num, den, values in checks:
        claimed = _outside(values, bound.hard.min, bound.hard.max) | np.fromiter(
            ((s, y) in failed for s, y in zip(frame["school_id"], frame["year"], strict=True)),
            dtype=bool,
            count=len(frame),
        )
        for limit in bound.soft:
            applies = ~claimed
            if limit.school_types:
                applies &= _is_in(frame, "school_type", limit.school_types)
            if limit.stages:
                applies &= _is_in(frame, "stage", limit.stages)
            claimed |= applies
            _report(
                bound,
                frame,
                values,
                num,
                den,
                applies & _outside(values, limit.min, limit.max),
                limit,
                "warning",
                issues,
                headers,
                cells,
            )


def _number(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() and abs(v) < 1e18 else f"{v:,.4g}"


def _report(
    bound: Bound,
    frame: pd.DataFrame,
    values: np.ndarray,
    num: np.ndarray,
    den: np.ndarray | None,
    mask: np.ndarray,
    limit: Limit,
    level: str,
    issues: list[Issue],
    headers: dict[tuple[str, str, str | None, str], str],
    cells: set[tuple[object, ...]],
) -> None:
    hits = np.flatnonzero(mask)
    if not len(hits):
        return
    listed = 0
    kind = HARD if level == "error" else SOFT
    src = f"{bound.numerator}:"
    for i in hits:
        if listed == MAX_LISTED:
            break
        r = frame.iloc[i]
        file = r.get(f"{src}_file")
        sheet, row = r.get(f"{src}_sheet"), r.get(f"{src}_row")
        stage = r.get(f"{src}stage") if bound.per == "school" else r.get("stage")
        stage = None if stage is None or pd.isna(stage) else str(stage)
        written = r.get(f"{src}_column")
        column = None if written is None or pd.isna(written) or written == "" else str(written)
        if column is None or column.endswith("_class_count"):
            column = headers.get(
                (file, sheet, stage, column or bound.numerator),
                headers.get((file, sheet, None, column or bound.numerator), column or bound.numerator),
            )
        cell = (level, file, sheet, row, column)
        if cell in cells:
            continue
        cells.add(cell)
        listed += 1
        parts = (
            f"（{bound.numerator} {_number(num[i])} / {bound.denominator} {_number(den[i])}）"
            if den is not None
            else ""
        )
        issues.append(
            Issue(
                level,
                str(file) if file is not None and not pd.isna(file) else "",
                f"{bound.label} = {_number(values[i])}{parts} 超出{kind} {_range(limit)}：学校标识码 {r['school_id']}，"
                f"{r['year']} 学年{f'，学段 {stage}' if stage else ''} / implausible value; "
                f"依据 source: {limit.source}",
                FIX,
                sheet=None if sheet is None or pd.isna(sheet) else str(sheet),
                row=None if row is None or pd.isna(row) else int(row),
                column=column,
            )
        )
    if len(hits) > listed and listed == MAX_LISTED:
        issues.append(
            Issue(
                level,
                "",
                f"{bound.label}：另有 {len(hits) - listed} 处超出{kind} / {len(hits) - listed} more beyond this bound",
                FIX,
            )
        )
