"""The end-of-plan evaluation (终期评估) as tables: every target of a plan, where it stands.

One row per target entry, target year and entity the target applies to (a county, or
``530900`` for the city), with the value the scorecard computes for that entity and
year, the verdict and what closing a gap would take. The documents
(:mod:`lcedu.publish.evaluation`) only word and lay out these tables.

Public API: :func:`target_status`, :func:`yearly_values`, :func:`closing_needs`,
:func:`figure_source`, :data:`STATUSES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import gaps
from lcedu.measure import indicators as ind
from lcedu.measure import scorecard as sc
from lcedu.measure.plan import Plan, get_plan
from lcedu.paths import CITY_CODE

__all__ = ["STATUSES", "closing_needs", "figure_source", "target_status", "yearly_values"]

#: Verdicts: met, not_met, no_data (no value for the entity and year), not_due (the target
#: year is after the evaluation year).
STATUSES: tuple[str, ...] = ("met", "not_met", "no_data", "not_due")

_TABLE_WORDS = {
    "schools": "学校基础表",
    "enrollment": "学生表",
    "teachers": "教职工表",
    "facilities": "办学条件表",
    "population": "人口表",
    "disability": "残疾儿童少年台账",
    "ledger": "工作台账",
    "city": "全市汇总表",
}
_TABLE_WORDS_EN = {
    "schools": "schools",
    "enrollment": "enrolment",
    "teachers": "teachers",
    "facilities": "facilities",
    "population": "population",
    "disability": "disability ledger",
    "ledger": "work ledger",
    "city": "city tables",
}
_REL_TOL = 1e-9
_NEED_COLUMNS = (
    "entry",
    "target_year",
    "county_code",
    "indicator",
    "need_zh",
    "need_en",
    "amount",
    "unit_zh",
    "schools_count",
)


def _tables_of(node: Any) -> set[str]:
    """Every ``table:`` named anywhere in a formula (terms, plus/minus, function args)."""
    found: set[str] = set()
    if isinstance(node, Mapping):
        if isinstance(node.get("table"), str):
            found.add(node["table"])
        for value in node.values():
            found |= _tables_of(value)
    elif isinstance(node, list | tuple):
        for value in node:
            found |= _tables_of(value)
    return found


def figure_source(indicator: str, lang: str = "zh") -> str:
    """Where an indicator's figure comes from: the processed tables its formula reads.

    "教育事业统计（学生表、人口表）"; an assessment without tables names its standard; an
    indicator outside the registry says there is no data source.
    """
    reg = ind.load_registry()
    spec = reg.indicators.get(indicator)
    if spec is None:
        return "无数据来源（指标未纳入统计）" if lang == "zh" else "no data source (not in the indicator registry)"
    tables = sorted(_tables_of(spec.formula))
    if not tables:
        document = str(spec.source.get("document", "")) if spec.source else ""
        return (
            (f"按{document}计算" if lang == "zh" else f"computed per {document}")
            if document
            else ("计算值" if lang == "zh" else "computed")
        )
    words = _TABLE_WORDS if lang == "zh" else _TABLE_WORDS_EN
    shown = [words.get(t, t) for t in tables]
    return f"教育事业统计（{'、'.join(shown)}）" if lang == "zh" else f"education statistics ({', '.join(shown)})"


def _meets(value: float, target: float, target_max: float, comparison: str, strict: bool) -> float:
    """1.0 / 0.0, or NaN without a value: the scorecard's rule with the same tolerance."""
    if np.isnan(value) or (np.isnan(target) and comparison != "reach"):
        return np.nan
    slack = _REL_TOL * abs(target) if not np.isnan(target) else 0.0
    if comparison == "reach":
        return float(value >= 1.0 - _REL_TOL)
    if comparison in ("at_least", "count_at_least"):
        return float(value > target + slack if strict else value >= target - slack)
    if comparison == "at_most":
        return float(value < target - slack if strict else value <= target + slack)
    if comparison == "range":
        return float(target - slack <= value <= target_max + _REL_TOL * abs(target_max))
    return np.nan


def _gap(value: float, target: float, target_max: float, comparison: str) -> float:
    if comparison in ("at_least", "count_at_least"):
        return target - value
    if comparison == "at_most":
        return value - target
    if comparison == "range":
        return max(target - value, value - target_max)
    return np.nan


def target_status(
    plan: str | Plan | None = None,
    year: int | None = None,
    *,
    card: pd.DataFrame | None = None,
    results: pd.DataFrame | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Every target of ``plan`` for every entity it applies to, judged as of ``year``.

    ``year`` defaults to the plan's final year. ``card``: a :func:`lcedu.measure.scorecard.scorecard`
    frame of this plan to reuse (else computed from ``results`` / ``tables``). Columns:
    plan, entry, indicator, name_zh, name_en, unit (the registry's, else the target's), clause, quote,
    scope, county_code,
    county_name_zh, target_year, comparison, target, target_max, strict, value (the
    scorecard's value for the entity and target year), numerator, denominator, na_reason,
    baseline_year, baseline_value, gap (> 0 short), relative_gap (gap / |target|),
    is_met, is_on_track (as of ``year``, for a target not yet due), status
    (:data:`STATUSES`), in_registry, source.
    """
    p = plan if isinstance(plan, Plan) else get_plan(plan)
    as_of = int(year) if year is not None else p.final_year
    targets = p.targets()
    if card is None:
        if tables is None and results is None:
            tables = ind.load_tables()
        card = sc.scorecard(results=results, tables=tables, targets=targets, baseline_year=p.baseline_year)
    counties = [c for c in dict.fromkeys(card["county_code"].astype(str)) if c != CITY_CODE]
    population = (tables or {}).get("population")
    registry = ind.load_registry().indicators
    rows = []
    for _, entry_rows in targets.groupby("entry", sort=True):
        expanded = sc.expand_targets(entry_rows, counties, population)
        first = entry_rows.iloc[0]
        for t in expanded.itertuples(index=False):
            rows.append(
                {
                    "plan": p.id,
                    "entry": int(first["entry"]),
                    "indicator": t.indicator,
                    "name_zh": first["name_zh"],
                    "name_en": first["name_en"],
                    "unit": first["unit"],
                    "clause": first["clause"],
                    "quote": first["quote"],
                    "scope": first["scope"],
                    "county_code": str(t.county_code),
                    "target_year": int(t.year),
                    "comparison": t.comparison,
                    "target": float(t.target),
                    "target_max": float(t.target_max),
                    "strict": bool(t.strict),
                }
            )
    out = pd.DataFrame(rows)
    key = ["county_code", "year", "indicator"]
    cols = [*key, "value", "numerator", "denominator", "na_reason", "baseline_value", "unit"]
    values = card[cols].astype({"county_code": object, "indicator": object}).copy()
    values["year"] = values["year"].astype("int64")
    merged = out.merge(
        values.rename(columns={"year": "target_year", "unit": "_unit"}),
        how="left",
        on=["county_code", "target_year", "indicator"],
    )
    # The registry's unit where the indicator is computed (the targets file may say "万元 per year").
    merged["unit"] = merged["_unit"].astype(object).where(merged["_unit"].notna(), merged["unit"])
    merged = merged.drop(columns="_unit")
    now = (
        card[(card["year"] == as_of)][["county_code", "indicator", "is_on_track", "value"]]
        .rename(columns={"value": "value_as_of"})
        .astype({"county_code": object, "indicator": object})
    )
    merged = merged.merge(
        now.drop_duplicates(["county_code", "indicator"]), how="left", on=["county_code", "indicator"]
    )
    value = merged["value"].to_numpy(dtype=float, na_value=np.nan)
    target = merged["target"].to_numpy(dtype=float)
    target_max = merged["target_max"].to_numpy(dtype=float)
    met = np.array(
        [
            _meets(v, t, m, c, s)
            for v, t, m, c, s in zip(value, target, target_max, merged["comparison"], merged["strict"], strict=True)
        ],
        dtype=float,
    )
    gap = np.array(
        [_gap(v, t, m, c) for v, t, m, c in zip(value, target, target_max, merged["comparison"], strict=True)],
        dtype=float,
    )
    due = merged["target_year"].to_numpy() <= as_of
    merged["is_met"] = pd.array(np.where(due, met, np.nan), dtype="Float64").astype("boolean")
    merged["gap"] = pd.array(np.where(due, gap, np.nan), dtype="Float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.abs(target) > 0, gap / np.abs(target), np.nan)
    merged["relative_gap"] = pd.array(np.where(due, rel, np.nan), dtype="Float64")
    merged["status"] = np.select([~due, np.isnan(met), met == 1.0], ["not_due", "no_data", "met"], "not_met")
    merged["is_on_track"] = merged["is_on_track"].astype("boolean").where(~due, pd.NA)
    merged["baseline_year"] = p.baseline_year
    merged["in_registry"] = merged["indicator"].isin(list(registry))
    merged["na_reason"] = (
        merged["na_reason"]
        .astype(object)
        .where(merged["in_registry"] | merged["na_reason"].notna(), "indicator not in the registry")
    )
    merged["source"] = merged["indicator"].map(figure_source)
    merged = merged.join(sc.county_names(merged["county_code"])[["county_name_zh"]], on="county_code")
    merged = merged.drop(columns="value_as_of")
    entity_order = {c: i for i, c in enumerate([CITY_CODE, *counties])}
    merged = (
        merged.assign(_e=merged["county_code"].map(entity_order))
        .sort_values(["entry", "target_year", "_e"], kind="stable")
        .drop(columns="_e")
    )
    return merged.reset_index(drop=True)


def yearly_values(status: pd.DataFrame, card: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """The value of each status row's indicator and entity in each of ``years`` (columns = years)."""
    wanted = [int(y) for y in years]
    c = card[card["year"].isin(wanted)][["county_code", "indicator", "year", "value"]].astype(
        {"county_code": object, "indicator": object}
    )
    wide = c.pivot_table(index=["county_code", "indicator"], columns="year", values="value", aggfunc="first")
    wide = wide.reindex(columns=wanted)
    keys = pd.MultiIndex.from_arrays([status["county_code"].astype(object), status["indicator"].astype(object)])
    out = wide.reindex(keys)
    out.index = status.index
    return out.astype("Float64")


def closing_needs(
    status: pd.DataFrame, year: int, tables: Mapping[str, pd.DataFrame], results: pd.DataFrame | None = None
) -> pd.DataFrame:
    """For unmet targets, what the gap-closing estimates (:mod:`lcedu.measure.gaps`) say it takes.

    A 普及普惠 target (``preschool_universal``) gets every criterion's ``needed`` from
    :func:`gaps.preschool_gaps`; a rate that is a 普及普惠 criterion gets that criterion's
    count with the plan's target as threshold; 优质均衡 (``compulsory_balanced``) gets the
    resource additions of :func:`gaps.resource_gap_summary` for the county. Columns:
    entry, target_year, county_code, indicator, need_zh, need_en, amount, unit_zh, schools_count. Other
    unmet targets have no row (the document then states the gap itself).
    """
    unmet = status[status["status"] == "not_met"]
    rows: list[dict[str, Any]] = []
    if unmet.empty:
        return pd.DataFrame(columns=list(_NEED_COLUMNS))
    criteria = {
        c["indicator"] for c in ind.load_registry().assessments["preschool_universal"]["criteria"] if "gap" in c
    }
    preschool: dict[tuple[int, str, float], pd.DataFrame] = {}
    school_summary = None
    for r in unmet.itertuples(index=False):
        county = str(r.county_code)
        when = int(r.target_year)
        if r.indicator == "preschool_universal" or r.indicator in criteria:
            # A criterion's own target replaces the national threshold (e.g. the plan's 95 %).
            override = (r.indicator, float(r.target)) if r.indicator in criteria else ("", np.nan)
            cache_key = (when, *override)
            if cache_key not in preschool:
                thresholds = {override[0]: override[1]} if override[0] else None
                preschool[cache_key] = gaps.preschool_gaps(when, None, tables, thresholds=thresholds, results=results)
            g = preschool[cache_key]
            g = g[(g["county_code"] == county) & (g["year"] == when)]
            if override[0]:
                g = g[g["indicator"] == r.indicator]
            for x in g.itertuples(index=False):
                if pd.notna(x.needed) and int(x.needed) > 0:
                    rows.append(
                        {
                            "entry": r.entry,
                            "target_year": when,
                            "county_code": county,
                            "indicator": r.indicator,
                            "need_zh": str(x.gap_zh),
                            "need_en": str(x.gap_en),
                            "amount": float(x.needed),
                            "unit_zh": "",
                            "schools_count": pd.NA,
                        }
                    )
        elif r.indicator == "compulsory_balanced":
            if school_summary is None:
                school_summary = gaps.resource_gap_summary(tables=tables)
            s = school_summary[
                (school_summary["county_code"] == county)
                & (school_summary["year"] == when)
                & (school_summary["addition"] > 0)
            ]
            for x in s.itertuples(index=False):
                name, _, unit = str(x.resource_zh).partition(" (")
                rows.append(
                    {
                        "entry": r.entry,
                        "target_year": when,
                        "county_code": county,
                        "indicator": r.indicator,
                        "need_zh": name,
                        "need_en": str(x.resource_en),
                        "amount": float(x.addition),
                        "unit_zh": unit.rstrip(")"),
                        "schools_count": int(x.schools_below_count),
                    }
                )
    return pd.DataFrame(rows, columns=list(_NEED_COLUMNS))
