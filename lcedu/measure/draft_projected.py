"""A draft plan's values for the final year from the stored projections and planning tables, not straight lines.

A cohort wave (fewer births reaching 幼儿园 then 小学) is what a linear trend misses, so ``lcedu plan draft``
proposes, where the projections cover it, the final year's value of the medium scenario with the low–high range and
the medium band, and names the table, scenario and band of each figure (docs/projections.md, docs/planning.md).

Public API: :data:`PROJECTED_INDICATORS`, :data:`TABLES`, :func:`indicator_proposals`, :func:`planning_entries`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lcedu.home import CITY_CODE

__all__ = [
    "DEFAULT_SCENARIO",
    "PROJECTED_INDICATORS",
    "RANGE_SCENARIOS",
    "TABLES",
    "indicator_proposals",
    "scaled_proposal",
    "planning_entries",
]

DEFAULT_SCENARIO = "medium"
RANGE_SCENARIOS = ("low", "high")
#: Stored tables the proposals read (``lcedu.load``); a build without one keeps the linear trend for its part.
TABLES = (
    "projections",
    "projection_population",
    "kindergarten_ages",
    "planning_places",
    "planning_teachers",
    "planning_small_schools",
)
#: Registry indicators the projections cover → the tables their proposal comes from.
PROJECTED_INDICATORS = {"preschool_gross_enrollment_pct": ("projections", "projection_population", "kindergarten_ages")}
STAGE_NAMES = {
    "kindergarten": ("幼儿园", "kindergarten"),
    "primary": ("小学", "primary"),
    "junior": ("初中", "junior secondary"),
    "senior": ("高中", "senior secondary"),
}


def _r(x: Any) -> float | None:
    """Rounded for the file; None where missing or not finite (a rate over no children at launch)."""
    return None if x is None or pd.isna(x) or not math.isfinite(float(x)) else round(float(x), 2)


def _source(table: str, launch: int | None, **extra: Any) -> dict[str, Any]:
    return {
        "table": table,
        **({"launch_year": int(launch)} if launch is not None else {}),
        "scenario": DEFAULT_SCENARIO,
        "range_scenarios": list(RANGE_SCENARIOS),
        "band": "point",
        "band_range": ["lower", "upper"],
        **extra,
    }


def _span(a: float | None, b: float | None) -> list[float | None]:
    """Two values smaller first (a band on pupils turns around on a gap: fewer pupils, larger surplus)."""
    return [a, b] if a is None or b is None else sorted([a, b])


def _proposal(values: pd.DataFrame, year: int) -> dict[str, Any]:
    """{year, value, range, band} from rows with scenario, band and value for one place and year: value is the
    medium point; range the low and high scenarios' points and band the medium band's ends, each smaller first."""
    v = values.set_index(["scenario", "band"])["value"]

    def get(s: str, b: str) -> float | None:
        return _r(v.get((s, b)))

    return {
        "year": int(year),
        "value": get(DEFAULT_SCENARIO, "point"),
        "range": _span(get(RANGE_SCENARIOS[0], "point"), get(RANGE_SCENARIOS[1], "point")),
        "band": _span(get(DEFAULT_SCENARIO, "lower"), get(DEFAULT_SCENARIO, "upper")),
    }


def _with_city(frame: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """``frame`` plus the city's rows (the counties' sums; a band summed is wider than the city's own)."""
    city = frame.groupby(keys, observed=True, as_index=False)[sums].sum(min_count=1).assign(county_code=CITY_CODE)
    return pd.concat([frame, city], ignore_index=True)


def _plain(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        if c in out:
            out[c] = out[c].astype(str)
    return out


def _county_totals(projections: pd.DataFrame, year: int) -> pd.DataFrame:
    """County 学段 totals of the default method in ``year``: county_code, stage, scenario, band, value, launch."""
    p = projections[
        (projections["level"].astype(str) == "county")
        & projections["grade"].isna()
        & projections["is_default_method"].astype(bool)
        & (projections["year"] == year)
    ]
    p = _plain(p, ["county_code", "stage", "scenario", "band", "method"])
    return p.rename(columns={"student_count": "value"})


def _preschool_rates(tables: Mapping[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """毛入园率 on the projection's own basis per county (and city), scenario and band: ``value`` in ``year``
    (projected 在园 ÷ projected ages 3–5) and ``launch_rate`` (311 在园 at launch ÷ the same population then)."""
    launch = int(tables["projections"]["launch_year"].max())
    kg = _county_totals(tables["projections"], year)
    kg = _with_city(
        kg.loc[kg["stage"] == "kindergarten", ["county_code", "scenario", "band", "value"]],
        ["scenario", "band"],
        ["value"],
    )
    pop = _plain(tables["projection_population"], ["county_code", "scenario"])
    pop = pop[pop["age"].between(3, 5) & pop["year"].isin([launch, year])]
    pop = pop.pivot_table(index=["county_code", "scenario"], columns="year", values="population", aggfunc="sum")
    pop = _with_city(
        pop.reset_index().rename(columns={launch: "pop_launch", year: "pop_year"}),
        ["scenario"],
        ["pop_launch", "pop_year"],
    )
    ages = _plain(tables["kindergarten_ages"], ["county_code"])
    now = ages[ages["year"] == launch].groupby("county_code")["student_count"].sum().astype(float)
    now = pd.concat([now, pd.Series({CITY_CODE: now.sum()})]).rename("kg_launch")
    rates = kg.merge(pop, on=["county_code", "scenario"], how="inner").join(now, on="county_code", how="inner")
    rates["launch_rate"] = rates["kg_launch"] / rates["pop_launch"] * 100
    rates["value"] = rates["value"] / rates["pop_year"] * 100
    return rates


def indicator_proposals(tables: Mapping[str, pd.DataFrame], year: int) -> dict[str, dict[str, Any]]:
    """Per covered registry indicator: its ``source`` and, per county (and the city), the ``factor`` by which the
    projections move the rate from the launch year to ``year`` (scenario × band) and the projection-basis rates.

    毛入园率: projected 在园 (kindergarten, county, default method) ÷ the projected population aged 3–5 of the same
    scenario. The projection's population is not the registry's (统计 population table), so the draft applies the
    projected change (ratio to the launch year on the projection's basis) to the registry baseline; the band
    divides the kindergarten band by the scenario's population (the population has no band)."""
    needs = PROJECTED_INDICATORS["preschool_gross_enrollment_pct"]
    if not all(t in tables for t in needs):
        return {}
    rates = _preschool_rates(tables, year)
    launch = int(tables["projections"]["launch_year"].max())
    default = tables["projections"]["is_default_method"].astype(bool)
    method = str(tables["projections"].loc[default, "method"].iloc[0]) if default.any() else None
    counties = {}
    for county, g in rates.groupby("county_code"):
        factor = g.assign(value=g["value"] / g["launch_rate"])
        point = g[(g["scenario"] == DEFAULT_SCENARIO) & (g["band"] == "point")]
        counties[str(county)] = {
            "factor": factor[["scenario", "band", "value"]],
            "projection_basis": {
                "launch_rate": _r(point["launch_rate"].iloc[0]) if len(point) else None,
                "rate": _proposal(g, year),
            },
        }
    source = _source(
        " ÷ ".join(needs),
        launch,
        **({"method": method} if method else {}),
        formula="基期值 ×（预测年在园 ÷ 预测年3—5岁人口）÷（启动年在园 ÷ 启动年3—5岁人口）/ baseline × the "
        "projected rate over the launch-year rate, both on the projection's population (projection_basis)",
    )
    return {"preschool_gross_enrollment_pct": {"source": source, "counties": counties}} if counties else {}


def scaled_proposal(baseline: float, factor: pd.DataFrame, year: int) -> dict[str, Any]:
    """The ``proposed`` block of a registry indicator: its baseline times the projections' factor."""
    return _proposal(factor.assign(value=factor["value"] * baseline), year)


def _entry(measure: str, stage: str, name: tuple[str, str], unit: str, source: dict, counties: dict) -> dict:
    zh, en = STAGE_NAMES.get(stage, (stage, stage))
    return {
        "measure": measure,
        "stage": stage,
        "name_zh": f"{zh}{name[0]}",
        "name_en": f"{name[1]} ({en})",
        "unit": unit,
        "basis": "projections",
        "source": copy.deepcopy(source),
        "note": "不是指标库中的指标：设为目标前先在 milestones.yml 中登记 / not a registry indicator: register a "
        "code in milestones.yml before targeting it",
        "counties": dict(sorted(counties.items(), key=lambda kv: (kv[0] != CITY_CODE, kv[0]))),
    }


def _per_stage(
    frame: pd.DataFrame, year: int, columns: Mapping[str, str], extra: Mapping[str, str] | None = None
) -> dict:
    """{(stage, measure): {county: {"proposed": …, **extra values of the medium point}}} for value ``columns``."""
    out: dict = {}
    for measure, col in columns.items():
        rows = frame.rename(columns={col: "value"})
        for (stage, county), g in rows.groupby(["stage", "county_code"]):
            item: dict[str, Any] = {"proposed": _proposal(g, year)}
            point = g[(g["scenario"] == DEFAULT_SCENARIO) & (g["band"] == "point")]
            for key, c in (extra or {}).items():
                if len(point):
                    item[key] = _r(point[c].iloc[0])
            out.setdefault((stage, measure), {})[str(county)] = item
    return out


def _pupils(tables: Mapping[str, pd.DataFrame], year: int) -> list[dict]:
    p = _county_totals(tables["projections"], year)[["county_code", "stage", "scenario", "band", "value"]]
    p = _with_city(p, ["stage", "scenario", "band"], ["value"])
    launch = int(tables["projections"]["launch_year"].max())
    found = _per_stage(p.rename(columns={"value": "pupils"}), year, {"pupils": "pupils"})
    src = _source("projections", launch, level="county", grade="学段合计 / stage total")
    return [_entry(m, s, ("在校生（预测）", "Pupils projected"), "人", src, c) for (s, m), c in found.items()]


def _teachers(tables: Mapping[str, pd.DataFrame], year: int) -> list[dict]:
    t = _plain(tables["planning_teachers"], ["county_code", "stage", "scenario", "band"])
    t = t[t["year"] == year]
    sums = ["staff_needed", "staff_in_post", "staff_supply", "staff_gap"]
    t = _with_city(t[["county_code", "stage", "scenario", "band", *sums]], ["stage", "scenario", "band"], sums)
    found = _per_stage(
        t,
        year,
        {"staff_needed": "staff_needed", "staff_gap": "staff_gap"},
        {"staff_in_post_at_launch": "staff_in_post", "staff_supply": "staff_supply"},
    )
    names = {
        "staff_needed": ("教职工/专任教师需求（预测）", "Staff needed, projected"),
        "staff_gap": ("教职工余缺（+富余 −短缺）", "Staff surplus (+) or shortage (−)"),
    }
    src = _source(
        "planning_teachers",
        int(tables["planning_teachers"]["year"].min()) - 1,
        staff_measure="幼儿园为专任教师，其余为教职工编制 / kindergarten: full-time teachers; others: staff",
    )
    return [_entry(m, s, names[m], "人", src, c) for (s, m), c in found.items()]


def _places(tables: Mapping[str, pd.DataFrame], year: int) -> list[dict]:
    p = _plain(tables["planning_places"], ["level", "county_code", "stage", "scenario", "band"])
    p = p[(p["level"] == "county") & (p["year"] == year)]
    sums = ["capacity", "spare_places", "classes_needed"]
    p = _with_city(p[["county_code", "stage", "scenario", "band", *sums]], ["stage", "scenario", "band"], sums)
    found = _per_stage(
        p, year, {"spare_places": "spare_places", "classes_needed": "classes_needed"}, {"capacity": "capacity"}
    )
    names = {
        "spare_places": ("学位余缺（+空余 −缺口）", "Spare places (+) or shortfall (−)"),
        "classes_needed": ("所需班数（预测）", "Classes needed, projected"),
    }
    units = {"spare_places": "个", "classes_needed": "个班"}
    src = _source("planning_places", int(tables["planning_places"]["launch_year"].max()), level="county")
    return [_entry(m, s, names[m], units[m], src, c) for (s, m), c in found.items()]


def _small_schools(tables: Mapping[str, pd.DataFrame], year: int) -> list[dict]:
    """Schools below each threshold by ``year``: below at launch or with a first projected year below ≤ year."""
    s = _plain(tables["planning_small_schools"], ["county_code", "stage", "scenario", "band"])
    s = s.assign(value=(s["first_year_below"].fillna(year + 1) <= year) | s["is_below_at_launch"].fillna(False))
    out = []
    for threshold, g in s.groupby("threshold"):
        keys = ["county_code", "stage", "scenario", "band"]
        counts = g.groupby(keys)["value"].sum()
        # a scenario or band with no row for a county's 学段 has no school below: 0, not missing
        places = counts.index.droplevel(["scenario", "band"]).unique()
        wanted = (DEFAULT_SCENARIO, *RANGE_SCENARIOS)
        grid = [(*p, sc, b) for p in places for sc in wanted for b in ("lower", "point", "upper")]
        counts = counts.reindex(pd.MultiIndex.from_tuples(grid, names=keys), fill_value=0).reset_index()
        counts = _with_city(counts, ["stage", "scenario", "band"], ["value"])
        found = _per_stage(counts, year, {f"schools_below_{int(threshold)}": "value"})
        src = _source(
            "planning_small_schools",
            int(g["launch_year"].max()),
            threshold=int(threshold),
            rule="启动年已低于或预测首个低于年份不晚于该年 / below at launch or first projected year below "
            "by this year",
        )
        name = (f"不足{int(threshold)}人的学校数（预测）", f"Schools below {int(threshold)} pupils, projected")
        out += [_entry(m, st, name, "所", src, c) for (st, m), c in found.items()]
    return out


def planning_entries(tables: Mapping[str, pd.DataFrame], year: int) -> tuple[list[dict], list[str]]:
    """Draft entries (``measure``, not a registry ``indicator``) for pupils, staff, places and small schools in
    ``year``, and the tables missing from the build (their entries are left out and the draft says so)."""
    parts = (
        (("projections",), _pupils),
        (("planning_teachers",), _teachers),
        (("planning_places",), _places),
        (("planning_small_schools",), _small_schools),
    )
    entries: list[dict] = []
    missing: list[str] = []
    for needs, build in parts:
        absent = [t for t in needs if t not in tables]
        if absent:
            missing += absent
            continue
        entries += build(tables, year)
    return entries, missing
