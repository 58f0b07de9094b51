"""The national assessments: 学前教育普及普惠 and 义务教育优质均衡 per county and year.

An assessment is a set of criteria in dimensions (``assessments:`` of ``indicators.yml``): an
indicator of the statistics judged against its threshold, or an item of the county's 督导评估清单
(:func:`checklist_items`). A dimension is 达标 when every criterion is met, 未达标 when one is not,
未评估 when an input is missing; the assessment combines its dimensions the same way. The frames here
take one evaluation (:class:`lcedu.measure.engine.Context`); the public entry points are in
:mod:`lcedu.measure.indicators`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import standards as std
from lcedu.measure.engine import Block, Context, Function, block, codes_years, county_filter
from lcedu.measure.registry import Indicator, load_registry

__all__ = [
    "FUNCTIONS",
    "STATES",
    "assessment_criteria_frame",
    "assessment_dimensions_frame",
    "assessments_frame",
    "checklist_items",
    "criterion_threshold",
    "state_of",
]


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


def _checklist(ctx: Context) -> pd.DataFrame:
    """The checklist rows keyed by (county, year, item), or an empty frame when there is none."""
    cols = ["county_code", "year", "item_code", "is_met", "item_value", "unit", "evidence"]
    frame = ctx.tables.get("assessment_checklist")
    if frame is None or frame.empty:
        return pd.DataFrame(columns=cols)
    frame = frame.reindex(columns=cols)
    return frame.assign(item_code=frame["item_code"].astype(str).to_numpy(dtype=object))


def _checklist_item(
    ctx: Context,
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


def _assessment(ctx: Context, name: str) -> _Assessment:
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


def _assessment_flag(ctx: Context, ind: Indicator, assessment: str) -> tuple[Block, ...]:
    """1 when every dimension is 达标, 0 when one is 未达标, NA (未评估, with the reason) otherwise."""
    a = _assessment(ctx, assessment)
    met_count = np.nansum(a.dimension_met, axis=1)
    return (block("county", a.is_met, met_count, np.full(len(a.is_met), float(len(a.dimensions))), a.na_reason),)


def _assessment_share(ctx: Context, ind: Indicator, assessment: str) -> tuple[Block, ...]:
    """Counties whose every dimension was assessed and met, over all counties (未评估 is not achieved)."""
    value = _assessment(ctx, assessment).is_met
    groups = ctx.county_to_area
    met = groups.sum((value == 1).astype(float))
    counties = groups.sum().astype(float)
    reasons = np.where(counties == 0, "no counties", None).astype(object)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (block("city", met / counties * 100, met, counties, reasons),)


def _assessment_names(ctx: Context, which: str | Iterable[str] | None) -> list[str]:
    names = list(ctx.registry.assessments) if which is None else ([which] if isinstance(which, str) else list(which))
    unknown = [n for n in names if n not in ctx.registry.assessments]
    if unknown:
        raise ValueError(f"unknown assessment(s) {unknown}; known: {list(ctx.registry.assessments)}")
    return names


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


def _assessment_frame(
    frames: list[pd.DataFrame],
    counties: Iterable[str] | str | None,
    dtypes: Mapping[str, str],
    sort_by: list[str],
    kind: str = "quicksort",
) -> pd.DataFrame:
    """The per-assessment frames as one table: the counties asked for, typed, in a stable order."""
    out = pd.concat(frames, ignore_index=True)
    keep = county_filter(counties)
    if keep is not None:
        out = out[out["county_code"].isin(keep)]
    key_types = {"county_code": "string", "year": "Int64", "assessment": "string"}
    return out.astype({**key_types, **dtypes}).sort_values(sort_by, kind=kind).reset_index(drop=True)


def assessments_frame(
    ctx: Context, assessment: str | Iterable[str] | None, counties: Iterable[str] | str | None
) -> pd.DataFrame:
    county, year = codes_years(ctx.county_index)
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


def assessment_dimensions_frame(
    ctx: Context, assessment: str | Iterable[str] | None, counties: Iterable[str] | str | None
) -> pd.DataFrame:
    county, year = codes_years(ctx.county_index)
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


def assessment_criteria_frame(
    ctx: Context, assessment: str | Iterable[str] | None, counties: Iterable[str] | str | None
) -> pd.DataFrame:
    county, year = codes_years(ctx.county_index)
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


#: The registered functions of this module, by the name a formula gives.
FUNCTIONS: dict[str, Function] = {"assessment_flag": _assessment_flag, "assessment_share": _assessment_share}
