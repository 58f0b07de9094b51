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

from lcedu.home import CITY_CODE
from lcedu.measure import gaps
from lcedu.measure import indicators as ind
from lcedu.measure import scorecard as sc
from lcedu.measure.plan import Plan, get_plan, in_region

__all__ = [
    "STATUSES",
    "assessment_points",
    "closing_needs",
    "current_problems",
    "figure_source",
    "late_progress",
    "latest_due",
    "needs_by_year",
    "target_status",
    "yearly_values",
]

#: Verdicts: met, not_met, no_data (no value for the entity and year), not_due (the target
#: year is after the evaluation year), qualitative (a 定性目标: listed and counted, never judged).
STATUSES: tuple[str, ...] = ("met", "not_met", "no_data", "not_due", "qualitative")

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
    "phrase_zh",
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


def figure_source(indicator: str, lang: str = "zh", county_code: str | None = None, *, registry: Any = None) -> str:
    """Where an indicator's figure comes from: the processed tables its formula reads, every input named.

    "教育事业统计（学生表、人口表）"; an assessment without tables names its standard; an
    indicator outside the registry says there is no data source. With ``county_code``, an aggregate
    with a city-only input (``city_plus``: 技工学校在校生) says it: the city row names the extra source,
    a county row what it leaves out. ``registry``: a loaded :func:`lcedu.measure.indicators.load_registry` to reuse.
    """
    reg = registry if registry is not None else ind.load_registry()
    base = _figure_source(indicator, lang, reg)
    spec = reg.indicators.get(indicator)
    extra = getattr(spec, "city_plus", None) if spec is not None else None
    if county_code is None or not extra:
        return base
    what = str(extra.get("sum", ""))
    name = _CITY_INPUTS.get(what, (what, what))
    if str(county_code) == CITY_CODE:
        return base + (
            f"；另加全市汇总表的{name[0]}（仅全市）" if lang == "zh" else f"; plus the city tables' {name[1]}"
        )
    return base + (
        f"；不含{name[0]}（该项只计入全市数据）" if lang == "zh" else f"; without {name[1]} (counted for the city only)"
    )


#: City-only inputs (``city_plus``) in words.
_CITY_INPUTS = {"technical_school_student_count": ("技工学校在校生", "technical-school students")}


def _figure_source(indicator: str, lang: str, reg: Any) -> str:
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
    region = str(targets.attrs.get("region_code") or "")
    if region:  # as the scorecard: the plan's each_county targets are its own region's counties only
        counties = [c for c in counties if in_region(c, region)]
    out = _target_rows(p.id, targets, counties, (tables or {}).get("population"))
    merged = _judged(_with_values(out, card, as_of), as_of)
    merged["as_of_year"] = as_of
    merged["baseline_year"] = p.baseline_year
    merged = _with_sources(merged)
    entity_order = {c: i for i, c in enumerate([CITY_CODE, *counties])}
    merged = (
        merged.assign(_e=merged["county_code"].map(entity_order))
        .sort_values(["entry", "target_year", "_e"], kind="stable")
        .drop(columns="_e")
    )
    return merged.reset_index(drop=True)


def _target_rows(
    plan_id: str, targets: pd.DataFrame, counties: list[str], population: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per entry, target year and entity: every entry expanded at once, then its words joined."""
    expanded = sc.expand_targets(targets, counties, population, by_entry=True)
    words = targets.drop_duplicates("entry").set_index("entry")
    return pd.DataFrame(
        {
            "plan": plan_id,
            "entry": expanded["entry"].astype("int64"),
            "indicator": expanded["indicator"].astype(object),
            "name_zh": expanded["entry"].map(words["name_zh"]),
            "name_en": expanded["entry"].map(words["name_en"]),
            "unit": expanded["entry"].map(words["unit"]),
            "clause": expanded["entry"].map(words["clause"]),
            "quote": expanded["entry"].map(words["quote"]),
            "scope": expanded["entry"].map(words["scope"]),
            "county_code": expanded["county_code"].astype(str),
            "target_year": expanded["year"].astype("int64"),
            "comparison": expanded["comparison"],
            "target": expanded["target"].astype(float),
            "target_max": expanded["target_max"].astype(float),
            "strict": expanded["strict"].astype(bool),
            "data_needed": expanded["entry"]
            .map(words["data_needed"] if "data_needed" in words else pd.Series(dtype=object))
            .fillna("")
            .astype(str),
        }
    ).sort_values(["entry", "target_year"], kind="stable")


def _with_values(out: pd.DataFrame, card: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """The scorecard's value of each row's entity in the target year, and its value and trend as of ``as_of``."""
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
        card[(card["year"] == as_of)][
            ["county_code", "indicator", "is_on_track", "value", "closing_numerator", "closing_denominator"]
        ]
        .rename(columns={"value": "value_as_of"})
        .astype({"county_code": object, "indicator": object})
    )
    return merged.merge(now.drop_duplicates(["county_code", "indicator"]), how="left", on=["county_code", "indicator"])


def _relative(gap: np.ndarray, target: np.ndarray, due: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """gap / |target| where the target is due and not zero, else NA."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.abs(target) > 0, gap / np.abs(target), np.nan)
    return pd.array(np.where(due, rel, np.nan), dtype="Float64")


def _judged(merged: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """Verdict, gap and status of each row against its target as of ``as_of``, and the 进展 since (``*_now``)."""
    value = merged["value"].to_numpy(dtype=float, na_value=np.nan)
    target, comparison, strict = sc.judged_terms(
        merged["comparison"].to_numpy(dtype=object),
        merged["target"].to_numpy(dtype=float),
        merged["baseline_value"].to_numpy(dtype=float, na_value=np.nan),
        merged["strict"].fillna(False).to_numpy(dtype=bool),
    )
    merged["target"] = target  # a directional target's is the baseline value it must pass
    target_max = merged["target_max"].to_numpy(dtype=float)
    met = sc.is_met(value, target, target_max, comparison, strict)  # standards.meets, the one rule
    gap = sc.target_gap(value, target, target_max, comparison)
    due = merged["target_year"].to_numpy() <= as_of
    merged["is_met"] = pd.array(np.where(due, met, np.nan), dtype="Float64").astype("boolean")
    merged["gap"] = pd.array(np.where(due, gap, np.nan), dtype="Float64")
    merged["relative_gap"] = _relative(gap, target, due)
    qualitative = merged["comparison"].to_numpy(dtype=object) == "qualitative"  # 定性目标: listed, never judged
    merged["status"] = np.select(
        [qualitative, ~due, np.isnan(met), met == 1.0], ["qualitative", "not_due", "no_data", "met"], "not_met"
    )
    merged["is_on_track"] = merged["is_on_track"].astype("boolean").where(~due, pd.NA)
    # 进展: the value as of the evaluation year against this (earlier) target, never its verdict.
    later = merged["target_year"].to_numpy() < as_of
    value_as_of = merged["value_as_of"].to_numpy(dtype=float, na_value=np.nan)
    met_now = sc.is_met(value_as_of, target, target_max, comparison, strict)
    merged["is_met_now"] = pd.array(np.where(later, met_now, np.nan), dtype="Float64").astype("boolean")
    gap_now = sc.target_gap(value_as_of, target, target_max, comparison)
    merged["gap_now"] = pd.array(np.where(due, gap_now, np.nan), dtype="Float64")
    merged["relative_gap_now"] = _relative(gap_now, target, due)
    return merged


def _with_sources(merged: pd.DataFrame) -> pd.DataFrame:
    """Whether each indicator is computed (``in_registry``, else an NA reason), its source line and county name."""
    loaded = ind.load_registry()
    merged["in_registry"] = merged["indicator"].isin(list(loaded.indicators))
    merged["na_reason"] = (
        merged["na_reason"]
        .astype(object)
        .where(merged["in_registry"] | merged["na_reason"].notna(), "indicator not in the registry")
    )
    pairs = list(zip(merged["indicator"], merged["county_code"], strict=True))
    sources = {pair: figure_source(pair[0], "zh", pair[1], registry=loaded) for pair in set(pairs)}
    merged["source"] = [sources[pair] for pair in pairs]
    return merged.join(sc.county_names(merged["county_code"])[["county_name_zh"]], on="county_code")


def assessment_points(
    plan: str | Plan | None, card: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """:func:`target_status` as of every year of ``card`` (column ``as_of_year``): the stored ``target_points``.

    Every product counts targets from these rows (:func:`lcedu.measure.scorecard.target_counts`), so the
    index, the briefings, the workbooks and the evaluation documents state the same figures.
    """
    p = plan if isinstance(plan, Plan) else get_plan(plan)
    years = sorted({int(y) for y in card["year"].dropna().unique()})
    frames = [target_status(p, y, card=card, tables=tables) for y in years]
    return pd.concat(frames, ignore_index=True) if frames else target_status(p, p.final_year, card=card, tables=tables)


def latest_due(status: pd.DataFrame) -> pd.DataFrame:
    """Per target (indicator) and entity, its latest assessment point already due: the point the counts judge
    the target by (:data:`lcedu.measure.scorecard.COUNTING_RULE`)."""
    due = status[status["status"] != "not_due"].sort_values("target_year", kind="stable")
    return due.drop_duplicates(["county_code", "indicator"], keep="last")


def current_problems(status: pd.DataFrame) -> pd.DataFrame:
    """The targets still open as of the evaluation year: the latest due point not met, and not reached since.

    What 三、存在的问题 and 四、下一步建议 state: the latest state (``value_as_of``, ``gap_now``), never an
    earlier year's shortfall that a later value has closed (that is :func:`late_progress`).
    """
    latest = latest_due(status)
    still = latest["is_met_now"].astype("boolean").fillna(False).astype(bool)
    return latest[(latest["status"] == "not_met") & ~still].reset_index(drop=True)


def late_progress(status: pd.DataFrame) -> pd.DataFrame:
    """Points missed in their own year whose later value reaches the target (进展, not 达标)."""
    reached = status["is_met_now"].astype("boolean").fillna(False).astype(bool)
    return status[(status["status"] == "not_met") & reached].reset_index(drop=True)


def needs_by_year(
    points: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    results: pd.DataFrame,
    resource_gaps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`closing_needs` as of every year of ``points`` (column ``as_of_year``): the stored ``target_needs``."""
    frames = [
        closing_needs(group, int(year), tables, results, resource_gaps).assign(as_of_year=int(year))
        for year, group in points.groupby("as_of_year", sort=True)
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=[*_NEED_COLUMNS, "as_of_year"])
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"schools_count": "Int64", "amount": "float64"})


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
    status: pd.DataFrame,
    year: int,
    tables: Mapping[str, pd.DataFrame],
    results: pd.DataFrame | None = None,
    resource_gaps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For the targets still open (:func:`current_problems`), what closing them takes as of ``year``.

    Estimates from :mod:`lcedu.measure.gaps` on ``year``'s data, keyed by the point's target year.
    ``resource_gaps``: a :func:`gaps.resource_gap_summary` frame to reuse (the build's stored one).

    A 普及普惠 target (``preschool_universal``) gets every criterion's ``needed`` from
    :func:`gaps.preschool_gaps`; a rate that is a 普及普惠 criterion gets that criterion's
    count with the plan's target as threshold; 优质均衡 (``compulsory_balanced``) gets the
    resource additions of :func:`gaps.resource_gap_summary` for the county. Columns:
    entry, target_year, county_code, indicator, need_zh, need_en, amount, unit_zh, schools_count, phrase_zh
    (the amount in words, :func:`lcedu.measure.gaps.gap_phrase`: 动作+数量+单位). Other
    unmet targets have no row (the document then states the gap itself).
    """
    unmet = current_problems(status)
    rows: list[dict[str, Any]] = []
    if unmet.empty:
        return pd.DataFrame(columns=list(_NEED_COLUMNS))
    criteria = {
        c["indicator"] for c in ind.load_registry().assessments["preschool_universal"]["criteria"] if "gap" in c
    }
    preschool: dict[tuple[int, str, float], pd.DataFrame] = {}
    school_summary = None
    when = int(year)  # the latest state: what closing the gap takes now, not in the target's year
    for r in unmet.itertuples(index=False):
        county = str(r.county_code)
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
            rows += _preschool_needs(r, g)
        elif r.indicator == "compulsory_balanced":
            if school_summary is None:
                school_summary = (
                    resource_gaps if resource_gaps is not None else gaps.resource_gap_summary(tables=tables)
                )
            s = school_summary[
                (school_summary["county_code"] == county)
                & (school_summary["year"] == when)
                & (school_summary["addition"] > 0)
            ]
            rows += _resource_needs(r, s)
    return pd.DataFrame(rows, columns=list(_NEED_COLUMNS))


def _need_key(r: Any) -> dict[str, Any]:
    """The columns a need row shares with its open target point."""
    return {
        "entry": r.entry,
        "target_year": int(r.target_year),
        "county_code": str(r.county_code),
        "indicator": r.indicator,
    }


def _preschool_needs(r: Any, g: pd.DataFrame) -> list[dict[str, Any]]:
    """Need rows of an open 普及普惠 point: each criterion of :func:`gaps.preschool_gaps` that still needs some."""
    return [
        {
            **_need_key(r),
            "need_zh": str(x.gap_zh),
            "need_en": str(x.gap_en),
            "phrase_zh": str(x.need_zh),
            "amount": float(x.needed),
            "unit_zh": "",
            "schools_count": pd.NA,
        }
        for x in g.itertuples(index=False)
        if pd.notna(x.needed) and int(x.needed) > 0
    ]


def _resource_needs(r: Any, s: pd.DataFrame) -> list[dict[str, Any]]:
    """Need rows of an open 优质均衡 point: the county's resource additions (:func:`gaps.resource_gap_summary`)."""
    rows = []
    for x in s.itertuples(index=False):
        name, _, unit = str(x.resource_zh).partition(" (")
        rows.append(
            {
                **_need_key(r),
                "need_zh": name,
                "need_en": str(x.resource_en),
                "phrase_zh": gaps.gap_phrase(f"{name}增加", float(x.addition), unit.rstrip(")"))
                + f"（涉及{int(x.schools_below_count)}所学校）",
                "amount": float(x.addition),
                "unit_zh": unit.rstrip(")"),
                "schools_count": int(x.schools_below_count),
            }
        )
    return rows
