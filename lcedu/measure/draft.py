"""A next plan's skeleton from the data: where each indicator stands and how fast it moves.

Planners drafting the next plan (2026–2030) need, county by county, each indicator's
baseline value, its trend and where the trend would take it; :func:`draft_plan` builds
that as a plan file in the plan schema (``docs/plans.md``) with ``status: draft``, no
targets, and a ``draft`` list the planners turn into targets. Projections are arithmetic
on the data, never targets: the key says so (``projected_not_target``).

Public API: :func:`draft_plan`, :func:`draft_yaml`, :func:`parse_years`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lcedu.home import CITY_CODE
from lcedu.measure import draft_projected as dp
from lcedu.measure import indicators as ind
from lcedu.measure.plan import get_plan

__all__ = ["draft_plan", "draft_yaml", "parse_years"]

_HEADER = """\
# 草案 DRAFT — 由 `lcedu plan draft` 根据数据生成，不是目标 / generated from the data, NOT targets.
# 规划编制人员：把 draft 中需要设目标的指标写入 targets（字段见 docs/plans.md），数值由规划决定。
# basis: projections 的条目，proposed 是{last_year}年的预测值：value 为中方案(medium)点预测，
# range 为低(low)—高(high)方案，band 为中方案的预测区间；source 写明来自哪张表。
# basis: linear_trend 的条目，projected_not_target 只是按{first}—{last}年趋势的线性外推（百分比封顶于 0—100），
# 预测不涉及这些指标。measure 条目（在校生、教职工、学位、小规模学校）不是指标库中的指标。
# Planners: copy the indicators that get a target into `targets` (fields: docs/plans.md) with the value you
# decide. basis: projections → `proposed` is the {last_year} projection: value = medium scenario point, range =
# low–high scenarios, band = the medium band; `source` names the table. basis: linear_trend →
# `projected_not_target` is only the linear trend of {first}–{last}, capped at 0–100 for percentages (the
# projections do not cover these). `measure` entries are not registry indicators.
# Baseline {baseline}; data {data_note}.{missing_note}
"""


def parse_years(text: str) -> list[int]:
    """Years of "2026-2030" / "2026—2030" / "2026,2028,2030"; a ValueError says what is wrong."""
    cleaned = text.strip().replace("—", "-").replace("–", "-")
    try:
        if "-" in cleaned:
            first, last = (int(x) for x in cleaned.split("-", 1))
            years = list(range(first, last + 1))
        else:
            years = [int(x) for x in cleaned.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"年份应写作 2026-2030 或 2026,2028 / years must look like 2026-2030, got {text!r}") from None
    if not years or years != sorted(set(years)):
        raise ValueError(f"年份应递增 / years must increase, got {text!r}")
    return years


def _slope(years: np.ndarray, values: np.ndarray) -> float:
    """Least-squares change per year; NaN with fewer than two values."""
    ok = ~np.isnan(values)
    if ok.sum() < 2 or np.ptp(years[ok]) == 0:
        return math.nan
    return float(np.polyfit(years[ok].astype(float), values[ok], 1)[0])


def _round(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def draft_plan(
    source: str | Path | None,
    baseline_year: int,
    years: Sequence[int],
    *,
    results: pd.DataFrame | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    plan_id: str | None = None,
    projection_tables: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """The plan skeleton as a mapping (see :func:`draft_yaml` for the file).

    ``source``: the plan being followed (name, folder or file): its region and which
    indicators it targeted (``source_targets``). Every county- and city-level indicator
    with a value in ``baseline_year`` is listed, with each county's and the city's
    ``baseline``, ``trend_per_year`` (least squares over the data years up to the
    baseline), and ``projected_not_target`` per year of ``years``: baseline + trend ×
    (year − baseline), capped at 0–100 for % and at 0 below for amounts. A yes/no
    indicator has no trend. A ValueError says when the baseline is not in the data or the
    new years do not follow it.

    ``projection_tables``: the stored projection and planning tables (:data:`draft_projected.TABLES`, those the build
    has). An indicator they cover gets, per county, ``proposed`` for the last year (medium scenario, low–high
    range, medium band) with its ``source`` instead of the straight line (``basis: projections``); the others
    keep the trend (``basis: linear_trend``). Pupils, staff, places and small schools are added as ``measure``
    entries (not registry indicators).
    """
    plan = get_plan(source)
    years = [int(y) for y in years]
    if not years or min(years) <= baseline_year:
        raise ValueError(f"新规划年份须晚于基期 {baseline_year} / the new years must follow the baseline, got {years}")
    res = results if results is not None else ind.compute(tables=tables, processed_dir=processed_dir)
    data_years = sorted(int(y) for y in res["year"].dropna().unique())
    if baseline_year not in data_years:
        raise ValueError(
            f"基期 {baseline_year} 年没有数据 / no data for baseline {baseline_year}; "
            f"数据年份 / data years: {', '.join(map(str, data_years))}"
        )
    reg = ind.load_registry()
    source_targets = plan.targets()
    stored = projection_tables or {}
    proposals = dp.indicator_proposals(stored, years[-1])
    used = res[res["year"] <= baseline_year]
    entries = []
    for code, spec in reg.indicators.items():
        rows = used[used["indicator"] == code]
        if rows[(rows["year"] == baseline_year) & rows["value"].notna()].empty:
            continue
        entities = _entities(rows, code, spec.unit, baseline_year, years, proposals)
        item: dict[str, Any] = {
            "indicator": code,
            "name_zh": spec.name_zh,
            "name_en": spec.name_en,
            "unit": spec.unit,
            "direction": spec.direction,
            **_basis(code, proposals, stored),
            **_source_target(source_targets[source_targets["indicator"] == code], plan.id),
        }
        # The city first, then the counties by code.
        item["counties"] = dict(sorted(entities.items(), key=lambda kv: (kv[0] != CITY_CODE, kv[0])))
        entries.append(item)
    planning = dp.planning_entries(stored, years[-1])[0]
    return {
        "plan": _plan_block(plan_id, plan.region_code, baseline_year, years),
        "targets": [],
        "draft": entries + planning,
        "_data_years": [y for y in data_years if y <= baseline_year],
        "_missing_tables": [t for t in dp.TABLES if t not in stored],
    }


def _entities(
    rows: pd.DataFrame,
    code: str,
    unit: str,
    baseline_year: int,
    years: Sequence[int],
    proposals: Mapping[str, Any],
) -> dict[str, Any]:
    """County (and city) code → its baseline, data years and proposed or straight-line values for one indicator."""
    entities: dict[str, Any] = {}
    for county, group in rows.groupby("county_code", sort=True):
        group = group.sort_values("year")
        base = group.loc[group["year"] == baseline_year, "value"]
        if base.empty or pd.isna(base.iloc[0]):
            continue
        base_value = float(base.iloc[0])
        values = group["value"].to_numpy(dtype=float, na_value=np.nan)
        yrs = group["year"].to_numpy(dtype="int64")
        entry: dict[str, Any] = {
            "baseline": _round(base_value),
            "data_years": [int(y) for y, v in zip(yrs, values, strict=True) if not np.isnan(v)],
        }
        covered = proposals.get(code, {}).get("counties", {}).get(str(county))
        if covered:
            entry["proposed"] = dp.scaled_proposal(base_value, covered["factor"], years[-1])
            entry["projection_basis"] = covered["projection_basis"]
        elif unit != "yes/no":
            if code in proposals:  # covered, but the projections have no row for this county
                entry["basis"] = "linear_trend"
            slope = _slope(yrs, values)
            entry["trend_per_year"] = _round(slope)
            if math.isfinite(slope):
                entry["projected_not_target"] = _projected(base_value, slope, baseline_year, years, unit == "%")
        entities[str(county)] = entry
    return entities


def _projected(
    base_value: float, slope: float, baseline_year: int, years: Sequence[int], is_pct: bool
) -> dict[int, float | None]:
    """Baseline + trend × (year − baseline) per year: capped at 0–100 for %, at 0 below for amounts."""
    projected = {}
    for y in years:
        v = base_value + slope * (y - baseline_year)
        v = min(max(v, 0.0), 100.0) if is_pct else (max(v, 0.0) if base_value >= 0 else v)
        projected[y] = _round(v)
    return projected


def _source_target(mine: pd.DataFrame, plan_id: str) -> dict[str, Any]:
    """``source_target``: the followed plan's last target for the indicator (nothing when it had none)."""
    if not len(mine):
        return {}
    last = mine.sort_values("year").iloc[-1]
    return {
        "source_target": {
            "plan": plan_id,
            "year": int(last["year"]),
            "scope": str(last["scope"]),
            "comparison": str(last["comparison"]),
            **({"value": float(last["value"])} if not math.isnan(float(last["value"])) else {}),
            "quote": str(last["quote"]),
        }
    }


def _plan_block(
    plan_id: str | None, region_code: str | None, baseline_year: int, years: Sequence[int]
) -> dict[str, Any]:
    """The draft's ``plan`` block: a draft status, the followed plan's region and the new years."""
    first, last = years[0], years[-1]
    return {
        "id": plan_id or f"draft_{first}_{last}",
        "title_zh": f"（草案）{first}—{last}年规划 目标底稿",
        "title_en": f"Draft {first}–{last} plan: target skeleton",
        "status": "draft",
        **({"region_code": region_code} if region_code else {}),
        "baseline_year": int(baseline_year),
        "first_year": first,
        "last_year": last,
    }


def _basis(code: str, proposals: Mapping[str, Any], projected: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """Where an indicator's draft values come from: the projections (with their source) or the straight line."""
    if code in proposals:
        return {"basis": "projections", "source": copy.deepcopy(proposals[code]["source"])}
    if code in dp.PROJECTED_INDICATORS:
        absent = [t for t in dp.PROJECTED_INDICATORS[code] if t not in projected]
        why = f"构建中没有 {', '.join(absent) or '所需预测'} / the build lacks {', '.join(absent) or 'the projection'}"
    else:
        why = "预测不涉及此指标 / the projections do not cover this indicator"
    return {"basis": "linear_trend", "basis_note": why}


def draft_yaml(draft: Mapping[str, Any], *, synthetic: bool = False) -> str:
    """The draft as YAML text, with the header that says what it is (and is not)."""
    body = {k: v for k, v in draft.items() if not k.startswith("_")}
    data_years = draft.get("_data_years") or []
    note = (f"{data_years[0]}–{data_years[-1]}" if data_years else "none") + (
        " (合成样例数据 synthetic sample, not official)" if synthetic else ""
    )
    header = _HEADER.format(
        first=data_years[0] if data_years else "?",
        last=draft["plan"]["baseline_year"],
        baseline=draft["plan"]["baseline_year"],
        data_note=note,
        last_year=draft["plan"]["last_year"],
        missing_note=(
            "\n# 构建中缺少 / the build lacks: " + ", ".join(missing) + " — 相应部分仍按线性趋势或未列出 / "
            "those parts keep the trend or are left out (run `lcedu clean`)."
            if (missing := draft.get("_missing_tables"))
            else ""
        ),
    )
    head = {k: body[k] for k in ("plan", "targets")}
    rest = {k: v for k, v in body.items() if k not in head}
    return (
        header
        + yaml.safe_dump(head, allow_unicode=True, sort_keys=False, width=120)
        + yaml.safe_dump(rest, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
    )
