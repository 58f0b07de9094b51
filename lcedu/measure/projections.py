"""Enrollment projections to 2035 by county and school, back-tested, in scenarios (computed once per build).

Two layers (docs/projections.md): the children come from :mod:`lcedu.measure.cohort`; pupils move up the
grades by grade-progression ratios (GPR, smoothed as NCES does). 小学 grade 1 is births six years earlier
times a county entry ratio (or one of the other entry methods), 初一 and 高一 follow 小学 grade 6 and the last
初中 grade by their transition ratios, 在园 children by age follow age-specific participation. A school takes
its share of its county's entry grades and its own progression ratios, shrunk toward its county's
(empirical Bayes) so a 12-pupil 教学点 is not driven by one family; school figures are then raked to the
county's every year, so they always sum to it. The back-test launches the model from earlier years and scores
it against the later actual years; its error percentiles are the projection's bands, and the method with the
lowest county error is the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.errors import RequestError
from lcedu.ingest import store
from lcedu.measure import cohort

#: Tables the projection needs, and where each comes from (named in the error when one is missing).
REQUIRED = {
    "grade_enrollment": "分年级在校生（基础报表 312/313/314 或过录表的分年级列）/ enrollment by grade (issue 20)",
    "census_population": "人口普查分年龄、性别人口 data/raw/county/人口普查/ (data/raw/README.md)",
    "births": "分县出生人口 data/raw/county/出生人口/ (data/raw/README.md)",
}
OPTIONAL = {"kindergarten_ages": "在园幼儿按年龄（基础报表 311）/ kindergarten children by age (issue 20)"}
STAGES = ("kindergarten", "primary", "junior", "senior")
METHODS = ("births_ratio", "births_ratio_trend", "population_rate", "intake_smoothing")
RESULT_TABLES = ("projections", "projection_backtest", "projection_population", "projection_entry_ratios")


class MissingProjectionInput(RequestError, KeyError):
    """A build without a table the projection needs: the message names it and where it comes from."""


@cache
def scenarios() -> dict:
    """The scenario set (``config/projection_scenarios.yml``)."""
    text = paths.package_file("measure", "config", "projection_scenarios.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def require_inputs(tables: Mapping[str, pd.DataFrame]) -> None:
    """Refuse, naming each missing table and its source, when an input the projection needs is absent."""
    missing = [n for n in REQUIRED if n not in tables or tables[n] is None or tables[n].empty]
    if missing:
        raise MissingProjectionInput(
            "无法推算学龄人口和在校生：处理结果中缺少表 / cannot project, the build lacks table(s): "
            + "; ".join(f"{n} — {REQUIRED[n]}" for n in missing),
            "按 data/raw/README.md 放入这些输入后重新运行 `lcedu clean` / add these inputs and run `lcedu clean`",
        )


# --------------------------------------------------------------------------------------------- inputs
@dataclass
class Grid:
    """Observed pupils on one grade/age track: counties [C, P, Y] and schools [S, P, Y]."""

    counties: list[str]
    years: np.ndarray
    positions: list[tuple[str, int]]
    county: np.ndarray
    school_ids: np.ndarray
    school_county: np.ndarray
    school: np.ndarray
    prev: np.ndarray  # [C, P]: index of the position a county's pupils come from (−1: an entry position)
    school_prev: np.ndarray  # [P]: within-stage predecessor at a school (−1: the school's entry positions)


def build_grid(grade: pd.DataFrame, kindergarten: pd.DataFrame | None) -> Grid:
    """The observed track (在园 ages, 小学 1–6, 初中 1–3/4, 高中 1–3) as arrays, counties summed from schools."""
    g = grade[["school_id", "county_code", "year", "stage", "grade", "student_count"]].rename(columns={"grade": "pos"})
    parts = [g[g["stage"].isin(STAGES[1:])]]
    if kindergarten is not None and not kindergarten.empty:
        k = kindergarten.rename(columns={"age": "pos"}).assign(stage="kindergarten")
        parts.insert(0, k[["school_id", "county_code", "year", "stage", "pos", "student_count"]])
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["student_count"])
    stage_code = pd.Categorical(frame["stage"], categories=STAGES).codes.astype(np.int64)
    pos = frame["pos"].to_numpy(np.int64)
    track, p_idx = np.unique(stage_code * 100 + pos, return_inverse=True)  # stage order, then grade or age
    positions = [(STAGES[int(v) // 100], int(v) % 100) for v in track]
    s_idx, school_ids = pd.factorize(frame["school_id"].to_numpy(dtype=object))
    c_idx, county_values = pd.factorize(frame["county_code"].to_numpy(dtype=object), sort=True)
    y_idx, year_values = pd.factorize(frame["year"].astype(int), sort=True)
    counties, years = [str(c) for c in county_values], np.asarray(year_values, dtype=int)
    school_ids = np.array([str(s) for s in school_ids], dtype=object)
    school = np.zeros((len(school_ids), len(positions), len(years)))
    np.add.at(school, (s_idx, p_idx, y_idx), frame["student_count"].to_numpy(float))
    school_county = np.zeros(len(school_ids), dtype=int)
    school_county[s_idx] = c_idx  # a school's county (its last row's, as the data gives it)
    county = np.zeros((len(counties), len(positions), len(years)))
    np.add.at(county, school_county, school)
    prev, school_prev = _predecessors(positions, county)
    return Grid(counties, years, positions, county, school_ids, school_county, school, prev, school_prev)


def _predecessors(positions: list[tuple[str, int]], county: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each position's pupils were a year before: the grade below, 小学6→初一,
    the county's last 初中 grade→高一."""
    index = {p: i for i, p in enumerate(positions)}
    school_prev = np.array([index.get((s, g - 1), -1) if s != "kindergarten" else -1 for s, g in positions])
    prev = np.tile(school_prev, (county.shape[0], 1))
    junior = [i for i, (s, _) in enumerate(positions) if s == "junior"]
    for c in range(county.shape[0]):
        if ("junior", 1) in index and ("primary", 6) in index:
            prev[c, index[("junior", 1)]] = index[("primary", 6)]
        present = [i for i in junior if county[c, i].sum() > 0]
        if ("senior", 1) in index and present:
            prev[c, index[("senior", 1)]] = max(present)
    return prev, school_prev


# ------------------------------------------------------------------------------------------ population
@dataclass
class Demography:
    """Census base, births and migration rates of the counties (the population side of a run)."""

    counties: list[str]
    base: np.ndarray
    base_year: int
    births: pd.DataFrame
    migration: np.ndarray
    migration_basis: str
    single_ages: pd.DataFrame


def demography(census: pd.DataFrame, births: pd.DataFrame, grid: Grid) -> Demography:
    """Graduate the census, choose the latest one as base, and estimate migration (Hamilton–Perry or GPRs)."""
    long = census.melt(
        id_vars=["county_code", "year", "age_group"],
        value_vars=["male_count", "female_count"],
        var_name="sex",
        value_name="population",
    ).assign(sex=lambda f: f["sex"].str.replace("_count", "", regex=False))
    long = long[long["county_code"].isin(grid.counties)].dropna(subset=["population"])
    lacking = sorted(set(grid.counties) - set(long["county_code"]))
    if lacking:
        raise MissingProjectionInput(
            f"人口普查表中没有这些县 / census_population lacks counties: {', '.join(lacking)}",
            "在人口普查工作簿中补上这些县的分年龄人口 / add their census rows (data/raw/README.md)",
        )
    single = cohort.graduate(long.astype({"year": int}))
    census_years = sorted(single["year"].unique())
    base_year = int(census_years[-1])
    base, open_age = cohort.base_array(single[single["year"] == base_year], grid.counties)
    q = cohort.death_probabilities(open_age)
    births = births.astype({"county_code": str}).assign(year=lambda f: f["year"].astype(int))
    if len(census_years) >= 2:
        earlier_year = int(census_years[-2])
        earlier, _ = cohort.base_array(single[single["year"] == earlier_year], grid.counties)
        span = base_year - earlier_year
        back = np.full((len(grid.counties), span), np.nan)
        wide = births.pivot_table(index="county_code", columns="year", values="birth_count", aggfunc="sum")
        for k in range(span):
            if base_year - k in wide.columns:
                back[:, k] = wide.reindex(grid.counties)[base_year - k].to_numpy(float)
        rates = cohort.hamilton_perry_rates(earlier[..., : open_age + 1], base, span, back, q)
        basis = f"hamilton_perry_{earlier_year}_{base_year}"
    else:
        rates = np.zeros((len(grid.counties), open_age + 1))
        rates[:, :19] = _enrollment_migration(grid)[:, None]
        basis = "enrollment_series"
    return Demography(grid.counties, base, base_year, births, rates, basis, single)


def _enrollment_migration(grid: Grid) -> np.ndarray:
    """Yearly net migration of school-age children per county: mean 小学 GPR (grades 1→6) less 1."""
    ratios = observed_ratios(grid.county, grid.prev)
    primary = [i for i, (s, g) in enumerate(grid.positions) if s == "primary" and g > 1]
    cap = cohort.config()["migration"]["max_abs_rate"]
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(ratios[:, primary, :].reshape(len(grid.counties), -1), axis=1) - 1
    return np.clip(np.nan_to_num(mean), -cap, cap)


def population_runs(
    demo: Demography, to_year: int, launch: int, births_until: int | None, names: list[str] | None = None
) -> dict[str, cohort.PopulationRun]:
    """One cohort-component run per scenario; history (to the launch year) always with migration."""
    runs = {}
    for name, spec in scenarios()["scenarios"].items():
        if names is not None and name not in names:
            continue
        runs[name] = cohort.project_population(
            demo.base,
            demo.base_year,
            demo.counties,
            demo.births,
            demo.migration,
            to_year,
            fertility_change_pct=float(spec["births"]["fertility_change_pct"]),
            migration_from=None if spec["migration"] else launch,
            births_until=births_until,
        )
    return runs


# ------------------------------------------------------------------------------------------ enrollment
def observed_ratios(obs: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """GPR r[u, p, y] = E(p, y) / E(prev(p), y−1); NaN where undefined. ``prev`` is [P] or [U, P]."""
    prev = np.broadcast_to(prev, obs.shape[:2])
    src = np.take_along_axis(obs, np.maximum(prev, 0)[..., None].repeat(obs.shape[2], axis=2), axis=1)
    ratios = np.full(obs.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios[..., 1:] = obs[..., 1:] / src[..., :-1]
    ratios[prev < 0] = np.nan
    ratios[~np.isfinite(ratios)] = np.nan
    return ratios


def smooth(series: np.ndarray, alpha: float) -> np.ndarray:
    """Single exponential smoothing along the last axis, skipping NaN; the final level."""
    level = np.full(series.shape[:-1], np.nan)
    for y in range(series.shape[-1]):
        x = series[..., y]
        level = np.where(np.isnan(level), x, np.where(np.isnan(x), level, alpha * x + (1 - alpha) * level))
    return level


def _recent_mean(values: np.ndarray, k: int) -> np.ndarray:
    """Mean of the last ``k`` non-NaN values along the last axis (NaN where there are none)."""
    present = ~np.isnan(values)
    from_end = present[..., ::-1].cumsum(axis=-1)[..., ::-1]
    chosen = present & (from_end <= k)
    count = chosen.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(chosen, values, 0.0).sum(axis=-1) / count, np.nan)


@dataclass
class Calibration:
    """What the launch year's history says: ratios, entry ratios and shares (all per county or school)."""

    county_gpr: np.ndarray  # [C, P]
    entry_ratio: np.ndarray  # [C]: 一年级 / births(t−6), recent mean
    entry_slope: np.ndarray  # [C]: its yearly trend
    entry_rate: np.ndarray  # [C]: 一年级 / projected age-6 population
    intake_level: np.ndarray  # [C]: smoothed 一年级
    participation: np.ndarray  # [C, P]: kindergarten children / population of that age
    school_gpr: np.ndarray  # [S, P]
    school_share: np.ndarray  # [S, P]
    entry_history: pd.DataFrame


def calibrate(grid: Grid, launch_idx: int, births_by_year: np.ndarray, pop_age: np.ndarray) -> Calibration:
    """Ratios, entry ratios, participation and school shares from the years up to ``launch_idx``.

    ``births_by_year`` [C, Y] are births six years before each observed year; ``pop_age`` [C, P, Y] the
    population of each kindergarten age (and of age 6 at the 小学 grade-1 position) in the observed years.
    """
    cfg = cohort.config()["enrollment"]
    k, alpha = cfg["calibration_years"], cfg["smoothing_alpha"]
    obs, sobs = grid.county[..., : launch_idx + 1], grid.school[..., : launch_idx + 1]
    county_gpr = smooth(observed_ratios(obs, grid.prev), alpha)
    p1 = grid.positions.index(("primary", 1)) if ("primary", 1) in grid.positions else None
    entry = np.full(obs.shape[::2], np.nan)
    rate = np.full(obs.shape[::2], np.nan)
    if p1 is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            entry = np.where(
                births_by_year[:, : launch_idx + 1] > 0, obs[:, p1] / births_by_year[:, : launch_idx + 1], np.nan
            )
            rate = np.where(pop_age[:, p1, : launch_idx + 1] > 0, obs[:, p1] / pop_age[:, p1, : launch_idx + 1], np.nan)
    slope = np.array([_slope(row[-k:]) for row in entry])
    with np.errstate(divide="ignore", invalid="ignore"):
        participation = _recent_mean(
            np.where(pop_age[..., : launch_idx + 1] > 0, obs / pop_age[..., : launch_idx + 1], np.nan),
            cfg["participation_years"],
        )
        share = _recent_mean(np.where(obs[grid.school_county] > 0, sobs / obs[grid.school_county], np.nan), k)
    school_gpr = shrunk_school_ratios(grid, sobs, county_gpr)
    history = pd.DataFrame(
        {
            "county_code": np.repeat(grid.counties, obs.shape[2]),
            "year": np.tile(grid.years[: launch_idx + 1], len(grid.counties)),
            "entry_ratio": entry.reshape(-1),
            "entry_rate_age6": rate.reshape(-1),
        }
    )
    return Calibration(
        county_gpr,
        _recent_mean(entry, k),
        slope,
        _recent_mean(rate, k),
        smooth(obs[:, p1], alpha) if p1 is not None else np.zeros(len(grid.counties)),
        participation,
        school_gpr,
        np.nan_to_num(share),
        history,
    )


def _slope(values: np.ndarray) -> float:
    ok = ~np.isnan(values)
    return float(np.polyfit(np.flatnonzero(ok), values[ok], 1)[0]) if ok.sum() >= 2 else 0.0


#: Per-pupil variance of a grade-progression ratio when a school's own years cannot estimate it (a prior).
PRIOR_WITHIN_VARIANCE = 0.05


def shrunk_school_ratios(grid: Grid, sobs: np.ndarray, county_gpr: np.ndarray) -> np.ndarray:
    """Each school's pooled GPR shrunk toward its county's: w = v / (v + σ²/n) (normal–normal empirical Bayes).

    n = pupils at risk over the school's observed transitions; σ² (per pupil) from the scatter of a school's
    ratios across years; v (between schools) by the method of moments, per county and 学段.
    """
    prev = np.maximum(grid.school_prev, 0)
    src = sobs[:, prev, :-1]
    dst = sobs[:, :, 1:]
    valid = (src > 0) & (grid.school_prev[None, :, None] >= 0)
    n = np.where(valid, src, 0).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(n > 0, np.where(valid, dst, 0).sum(axis=2) / n, np.nan)
        yearly = np.where(valid, dst / src, np.nan)
    target = county_gpr[grid.school_county]
    stage = np.array([s for s, _ in grid.positions])
    shrunk = np.where(np.isnan(target), 1.0, target).copy()
    for c in range(len(grid.counties)):
        rows = grid.school_county == c
        for st in STAGES[1:]:
            cols = stage == st
            nn, r, t_ = n[rows][:, cols], own[rows][:, cols], target[rows][:, cols]
            yy, src_ = yearly[rows][:, cols], np.where(valid[rows][:, cols], src[rows][:, cols], 0)
            ok = (nn > 0) & ~np.isnan(r) & ~np.isnan(t_)
            if not ok.any():
                continue
            resid = np.where(np.isnan(yy), 0, src_ * (yy - r[..., None]) ** 2)
            dof = (~np.isnan(yy)).sum(axis=2) - 1
            sigma2 = resid.sum() / dof[dof > 0].sum() if (dof > 0).any() else PRIOR_WITHIN_VARIANCE
            sigma2 = max(sigma2, 1e-4)
            v = max((np.sum(nn[ok] * (r[ok] - t_[ok]) ** 2) - sigma2 * ok.sum()) / nn[ok].sum(), 1e-5)
            w = np.where(ok, v / (v + sigma2 / np.maximum(nn, 1e-9)), 0.0)
            block = shrunk[rows]
            block[:, cols] = np.where(ok, w * np.nan_to_num(r) + (1 - w) * t_, t_)
            shrunk[rows] = block
    return np.nan_to_num(shrunk, nan=1.0)


# ------------------------------------------------------------------------------------------ one launch
@dataclass
class Launch:
    """A projection launched from one observed year: per (scenario, method), counties [C, P, T] and schools."""

    launch_year: int
    years: np.ndarray
    county: dict[tuple[str, str], np.ndarray]
    school: dict[tuple[str, str], np.ndarray]
    calibration: Calibration
    runs: dict[str, cohort.PopulationRun]


def _age_of(positions: list[tuple[str, int]]) -> np.ndarray:
    """The single age whose population a position is compared with (kindergarten ages, 一年级 = entry age)."""
    entry_age = cohort.config()["enrollment"]["entry_age"]
    return np.array([g if s == "kindergarten" else entry_age if (s, g) == ("primary", 1) else -1 for s, g in positions])


def _population_at(run: cohort.PopulationRun, ages: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Population [C, P, len(years)] of each position's age (NaN where no age or year is outside the run)."""
    both = run.population.sum(axis=1)
    yi = pd.Index(run.years).get_indexer(years)
    out = np.full((both.shape[0], len(ages), len(years)), np.nan)
    for p, age in enumerate(ages):
        if 0 <= age < both.shape[1]:
            out[:, p, yi >= 0] = both[:, age][:, yi[yi >= 0]]
    return out


def _births_before(demo: Demography, run: cohort.PopulationRun, years: np.ndarray, lag: int) -> np.ndarray:
    """Births ``lag`` years before each year [C, len(years)]: the run's (given or projected), else the table's."""
    wanted = years - lag
    wide = demo.births.pivot_table(index="county_code", columns="year", values="birth_count", aggfunc="sum")
    wide = wide.reindex(index=demo.counties, columns=wanted)
    out = wide.to_numpy(float, copy=True)
    yi = pd.Index(run.years).get_indexer(wanted)
    inside = yi >= 0
    out[:, inside] = np.where(np.isnan(run.births[:, yi[inside]]), out[:, inside], run.births[:, yi[inside]])
    return out


def run_launch(
    grid: Grid,
    demo: Demography,
    launch_idx: int,
    to_year: int,
    scenario_names: list[str],
    methods: list[str],
    school_methods: list[str],
    births_until: int | None = None,
) -> Launch:
    """Project every county (and its schools, for ``school_methods``) from ``grid.years[launch_idx]``."""
    launch = int(grid.years[launch_idx])
    default = scenarios()["default"]
    runs = population_runs(demo, to_year, launch, births_until, sorted({default, *scenario_names}))
    base = runs[default]
    ages = _age_of(grid.positions)
    entry_age = cohort.config()["enrollment"]["entry_age"]
    cal = calibrate(
        grid, launch_idx, _births_before(demo, base, grid.years, entry_age), _population_at(base, ages, grid.years)
    )
    years = np.arange(launch + 1, to_year + 1)
    county, school = {}, {}
    spec = scenarios()["scenarios"]
    for name in scenario_names:
        run = runs[name]
        drivers = (
            _births_before(demo, run, years, entry_age),
            _population_at(run, ages, years),
            _migration_factor(demo, years - launch, spec[name]["migration"]),
        )
        for method in methods:
            proj = project_counties(grid, cal, launch_idx, years, method, drivers, spec[name]["kindergarten_policy"])
            county[(name, method)] = proj
            if method in school_methods:
                school[(name, method)] = project_schools(grid, cal, launch_idx, proj)
    return Launch(launch, years, county, school, cal, runs)


def _migration_factor(demo: Demography, leads: np.ndarray, migration: bool) -> np.ndarray:
    """[C, T]: how much smaller an entering cohort is when it has no migration after the launch (1 with migration)."""
    if migration:
        return np.ones((len(demo.counties), len(leads)))
    entry_age = cohort.config()["enrollment"]["entry_age"]
    growth = 1 + demo.migration[:, :entry_age]
    return np.stack([1 / np.prod(growth[:, max(0, entry_age - lead) :], axis=1) for lead in leads], axis=1)


def project_counties(
    grid: Grid,
    cal: Calibration,
    launch_idx: int,
    years: np.ndarray,
    method: str,
    drivers: tuple[np.ndarray, np.ndarray, np.ndarray],
    policy: dict | None,
) -> np.ndarray:
    """County pupils [C, P, T]: entry grades from births or population, the rest by smoothed GPRs."""
    births6, population, mig = drivers
    cfg = cohort.config()["enrollment"]
    state = grid.county[..., launch_idx]
    out = np.zeros((*state.shape, len(years)))
    p1 = grid.positions.index(("primary", 1)) if ("primary", 1) in grid.positions else None
    kg = np.array([s == "kindergarten" for s, _ in grid.positions])
    age5 = grid.positions.index(("kindergarten", 5)) if ("kindergarten", 5) in grid.positions else None
    gpr = np.nan_to_num(cal.county_gpr, nan=0.0)
    lead = np.arange(1, len(years) + 1)
    damp = cfg["trend_damping"]
    trend = np.cumsum(damp**lead)
    for t, year in enumerate(years):
        src = np.take_along_axis(state, np.maximum(grid.prev, 0), axis=1)
        new = np.where(grid.prev >= 0, src * gpr, 0.0)
        part = cal.participation.copy()
        if policy and age5 is not None and year > policy["from_year"]:
            step = min(1.0, (year - policy["from_year"]) / policy["ramp_years"])
            target = policy["age5_target"]
            part[:, age5] = np.where(
                part[:, age5] < target, part[:, age5] + (target - part[:, age5]) * step, part[:, age5]
            )
        new[:, kg] = np.nan_to_num(part[:, kg] * population[:, kg, t])
        if p1 is not None:
            new[:, p1] = _entry(method, cal, births6[:, t], population[:, p1, t], mig[:, t], trend[t])
        out[..., t] = new
        state = new
    return out


def _entry(
    method: str, cal: Calibration, births6: np.ndarray, pop6: np.ndarray, mig: np.ndarray, trend: float
) -> np.ndarray:
    """小学 grade 1 by method; a county the method cannot serve (no births, no rate) keeps its smoothed intake."""
    if method == "births_ratio":
        value = cal.entry_ratio * births6 * mig
    elif method == "births_ratio_trend":
        value = np.maximum(cal.entry_ratio + cal.entry_slope * trend, 0) * births6 * mig
    elif method == "population_rate":
        value = cal.entry_rate * pop6
    elif method == "intake_smoothing":
        value = cal.intake_level * mig
    else:
        raise RequestError(f"未知推算方法 {method!r} / unknown method", f"可选 choose from: {', '.join(METHODS)}")
    return np.where(np.isnan(value), cal.intake_level * mig, value)


def project_schools(grid: Grid, cal: Calibration, launch_idx: int, county: np.ndarray) -> np.ndarray:
    """School pupils [S, P, T]: entry positions by share, the rest by shrunk GPRs, raked to the county each year."""
    state = grid.school[..., launch_idx]
    minimum = cohort.config()["enrollment"]["min_base_pupils"]
    stage = np.array([s for s, _ in grid.positions])
    serves = np.stack([state[:, stage == s].sum(axis=1) >= minimum for s in stage], axis=1)
    share = np.where(serves, cal.school_share, 0.0)
    entry = grid.school_prev < 0
    prev = np.maximum(grid.school_prev, 0)
    out = np.zeros((*state.shape, county.shape[2]))
    n_c = len(grid.counties)
    for t in range(county.shape[2]):
        new = np.where(entry[None, :], share * county[grid.school_county, :, t], state[:, prev] * cal.school_gpr)
        new = np.where(serves, new, 0.0)
        sums = np.zeros((n_c, new.shape[1]))
        np.add.at(sums, grid.school_county, new)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(sums > 0, county[..., t] / sums, 0.0)
        new = new * factor[grid.school_county]
        out[..., t] = new
        state = new
    return out


# ------------------------------------------------------------------------------------------- back-test
def size_band(pupils: np.ndarray) -> np.ndarray:
    """School size class (config size_bands) of a stage's pupils at launch."""
    out = np.full(len(pupils), "", dtype=object)
    for low, high, label in cohort.config()["size_bands"]:
        out[(pupils >= low) & (pupils < high)] = label
    return out


def _stage_totals(arr: np.ndarray, positions: list[tuple[str, int]]) -> dict[str, np.ndarray]:
    """{stage: [U, T]} and 'primary_grade1' from a [U, P, T] array."""
    stage = np.array([s for s, _ in positions])
    out = {s: arr[:, stage == s].sum(axis=1) for s in STAGES if (stage == s).any()}
    if ("primary", 1) in positions:
        out["primary_grade1"] = arr[:, positions.index(("primary", 1))]
    return out


def backtest(grid: Grid, demo: Demography, methods: tuple[str, ...] = METHODS) -> pd.DataFrame:
    """Every error of every launch: launch from each year with a year before and after it, score each later year.

    Births are used only up to the launch year, as a forecaster then would have had them. One row per
    (method, level, unit, stage, launch, lead): projected, actual, pe (signed % error), ape.
    """
    rows: dict[str, list[np.ndarray]] = {}
    last = len(grid.years) - 1
    default = scenarios()["default"]
    for li in range(1, last):
        launch = run_launch(
            grid,
            demo,
            li,
            int(grid.years[last]),
            [default],
            list(methods),
            list(methods),
            births_until=int(grid.years[li]),
        )
        for method in methods:
            for level, proj, actual, ids, county_idx in (
                (
                    "county",
                    launch.county[(default, method)],
                    grid.county,
                    np.array(grid.counties),
                    np.arange(len(grid.counties)),
                ),
                ("school", launch.school[(default, method)], grid.school, grid.school_ids, grid.school_county),
            ):
                p_tot = _stage_totals(proj, grid.positions)
                a_tot = _stage_totals(actual, grid.positions)
                for key, p in p_tot.items():
                    base = a_tot[key][:, li] if key != "primary_grade1" else a_tot["primary"][:, li]
                    band = np.full(len(ids), "county", dtype=object) if level == "county" else size_band(base)
                    for t in range(p.shape[1]):
                        a = a_tot[key][:, li + 1 + t]
                        keep = (a > 0) & (base > 0)
                        n = int(keep.sum())
                        for name, value in (
                            ("method", np.full(n, method, dtype=object)),
                            ("level", np.full(n, level, dtype=object)),
                            ("unit", ids[keep]),
                            ("county_code", np.array(grid.counties)[county_idx[keep]]),
                            ("stage", np.full(n, key, dtype=object)),
                            ("launch_year", np.full(n, launch.launch_year)),
                            ("lead_years", np.full(n, t + 1)),
                            ("size_band", band[keep]),
                            ("projected", p[keep, t]),
                            ("actual", a[keep]),
                        ):
                            rows.setdefault(name, []).append(value)
    if not rows:
        return pd.DataFrame(
            columns=[
                "method",
                "level",
                "unit",
                "county_code",
                "stage",
                "launch_year",
                "lead_years",
                "size_band",
                "projected",
                "actual",
                "pe",
                "ape",
            ]
        )
    errors = pd.DataFrame({name: np.concatenate(parts) for name, parts in rows.items()})
    for name in ("method", "level", "unit", "county_code", "stage", "size_band"):
        errors[name] = errors[name].astype("category")
    errors["pe"] = (errors["projected"] - errors["actual"]) / errors["actual"] * 100
    errors["ape"] = errors["pe"].abs()
    return errors


def error_table(errors: pd.DataFrame) -> pd.DataFrame:
    """MAPE, MdAPE, bias and the band percentiles by method, level, 学段, lead — overall, per county, per size band."""
    cfg = cohort.config()["bands"]
    lo, hi = cfg["lower_pct"] / 100, cfg["upper_pct"] / 100
    keys = ["method", "level", "stage", "lead_years"]
    parts = []
    for by, fill in (
        (keys, {"county_code": "all", "size_band": "all"}),
        ([*keys, "county_code"], {"size_band": "all"}),
        ([*keys, "size_band"], {"county_code": "all"}),
    ):
        g = errors.groupby(by, observed=True)
        summary = (
            pd.DataFrame(
                {
                    "n": g.size(),
                    "mape": g["ape"].mean(),
                    "mdape": g["ape"].median(),
                    "bias_pct": g["pe"].mean(),
                    "pe_lower": g["pe"].quantile(lo),
                    "pe_upper": g["pe"].quantile(hi),
                    "ape_band": g["ape"].quantile(cfg["coverage_pct"] / 100),
                }
            )
            .reset_index()
            .assign(**fill)
        )
        parts.append(summary)
    table = pd.concat(parts, ignore_index=True)
    table = table[~((table["level"] == "county") & (table["size_band"] != "all") & (table["size_band"] != "county"))]
    cols = [
        "method",
        "level",
        "stage",
        "county_code",
        "size_band",
        "lead_years",
        "n",
        "mape",
        "mdape",
        "bias_pct",
        "pe_lower",
        "pe_upper",
        "ape_band",
    ]
    return table[cols].astype({"n": "Int64", "lead_years": "Int64"}).sort_values(cols[:6], ignore_index=True)


def best_method(table: pd.DataFrame) -> str:
    """The method with the lowest county-level MAPE over every 学段 and lead (the first listed when no back-test)."""
    county = table[
        (table["level"] == "county")
        & (table["county_code"] == "all")
        & (table["size_band"] == "all")
        & (table["stage"] != "primary_grade1")
    ]
    if county.empty:
        return METHODS[0]
    score = county.groupby("method").apply(lambda g: np.average(g["mape"], weights=g["n"]), include_groups=False)
    return str(score.idxmin())


# ------------------------------------------------------------------------------------------ the tables
def _bands(frame: pd.DataFrame, errors: pd.DataFrame) -> pd.DataFrame:
    """Lower and upper rows for each point row from the back-test's **signed** errors of the same method, level,
    学段, size band and lead (pooled where a cell is thin): the actual that an error pe = (P − A) / A implies is
    A = P / (1 + pe): the band holds both P × (1 ± q), q the coverage_pct-th percentile of |pe|, and P / (1 + pe)
    between the lower_pct and upper_pct percentiles of pe. A model that has run low (kindergartens in the free-year
    ramp) gets a band reaching further up, never a narrower one. Beyond the longest back-tested lead the errors
    grow in proportion to the lead (Rayer, Smith & Tayman 2009), each end capped at ±max_extrapolated_ape."""
    cfg = cohort.config()["bands"]
    if errors.empty:
        return frame.iloc[:0]
    max_lead = int(errors["lead_years"].max())
    grade1 = (frame["stage"] == "primary").to_numpy(bool) & frame["grade"].eq(1).fillna(False).to_numpy(bool)
    stage = frame["stage"].cat.add_categories(["primary_grade1"]).to_numpy(copy=True)
    stage[grade1] = "primary_grade1"
    f = pd.DataFrame(
        {
            "method": frame["method"],
            "level": frame["level"],
            "_stage": pd.Categorical(stage),
            "size_band": frame["size_band"],
            "_lead": frame["lead_years"].clip(upper=max_lead).to_numpy(int),
        }
    )
    keys = list(f.columns)
    code = f.groupby(keys, observed=True, sort=False).ngroup().to_numpy()
    combos = f.loc[~pd.Series(code).duplicated().to_numpy()].assign(_code=lambda x: code[x.index])
    combos = combos.sort_values("_code").reset_index(drop=True)
    low, high = np.full(len(combos), np.nan), np.full(len(combos), np.nan)
    src = errors.assign(
        _stage=errors["stage"].astype(str),
        _lead=errors["lead_years"].astype(int),
        method=errors["method"].astype(str),
        level=errors["level"].astype(str),
        size_band=errors["size_band"].astype(str),
    )
    plain = combos.astype({"method": str, "level": str, "_stage": str, "size_band": str})
    q = np.full(len(combos), np.nan)
    for by in (keys, ["method", "level", "_stage", "_lead"], ["method", "level", "_lead"]):
        g = src.groupby(by)["pe"]
        cell = pd.DataFrame(
            {
                "n": g.size(),
                "lo": g.quantile(cfg["lower_pct"] / 100),
                "hi": g.quantile(cfg["upper_pct"] / 100),
                "q": src.groupby(by)["ape"].quantile(cfg["coverage_pct"] / 100),
            }
        ).reset_index()
        got = plain[by].merge(cell[cell["n"] >= cfg["min_errors"]], on=by, how="left")
        fill = np.isnan(low)
        low = np.where(fill, got["lo"].to_numpy(float), low)
        high = np.where(fill, got["hi"].to_numpy(float), high)
        q = np.where(fill, got["q"].to_numpy(float), q)
    scale = np.maximum(frame["lead_years"].to_numpy(float) / max_lead, 1)
    cap = cfg["max_extrapolated_ape"] / 100
    point = frame["student_count"].to_numpy(float)

    def ratio(pe: np.ndarray) -> np.ndarray:
        """The actual over the point an error implies, the error stretched by the lead and capped."""
        return np.clip(1 / (1 + np.clip(pe[code] * scale / 100, -cap, cap)), 1 - cap, 1 + cap)

    width = np.minimum(q[code] * scale / 100, cap)  # the symmetric band of |pe|, kept: never narrower
    ends = {"lower": np.minimum(ratio(high), 1 - width), "upper": np.maximum(ratio(low), 1 + width)}
    rows = [frame.assign(band=band, student_count=np.clip(point * r, 0, None)) for band, r in ends.items()]
    out = pd.concat(rows, ignore_index=True)
    return out[out["student_count"].notna()]


def _selections(grid: Grid, grades: bool) -> tuple[np.ndarray, list[str], list[object]]:
    """Rows to report per unit: each 学段's total, and each grade (or only 一年级) as a weight matrix [R, P]."""
    stage_of = np.array([s for s, _ in grid.positions])
    weights, stages, grade_of = [], [], []
    for stage in STAGES:
        cols = stage_of == stage
        if not cols.any():
            continue
        weights.append(cols.astype(float))
        stages.append(stage)
        grade_of.append(pd.NA)
        for i, (s, g) in enumerate(grid.positions):
            if s == stage and stage != "kindergarten" and (grades or g == 1):
                weights.append(np.eye(len(grid.positions))[i])
                stages.append(stage)
                grade_of.append(g)
    return np.array(weights), stages, grade_of


def _rows(level: str, arrays: dict[tuple[str, str], np.ndarray], grid: Grid, launch: Launch) -> pd.DataFrame:
    """Point rows of every (scenario, method) of one level: 学段 totals and grades (counties) or 一年级 (schools)."""
    is_county = level == "county"
    weights, stages, grade_of = _selections(grid, grades=is_county)
    li = int(np.flatnonzero(grid.years == launch.launch_year)[0])
    observed = grid.county if is_county else grid.school
    stage_w = np.array([weights[[j for j, st in enumerate(stages) if st == s][0]] for s in stages])
    base = observed[..., li] @ stage_w.T  # [U, R]: the row's 学段 pupils at launch
    serves = np.ones_like(base, bool) if is_county else base > 0
    u_idx, r_idx = np.nonzero(serves)
    t = len(launch.years)
    ids = np.array(grid.counties) if is_county else grid.school_ids
    county_idx = np.arange(len(grid.counties))[u_idx] if is_county else grid.school_county[u_idx]
    band = np.full(len(u_idx), "county", dtype=object) if is_county else size_band(base[u_idx, r_idx])
    template = pd.DataFrame(
        {
            "level": level,
            "county_code": pd.Categorical.from_codes(np.repeat(county_idx, t), categories=grid.counties),
            "school_id": None if is_county else pd.Categorical.from_codes(np.repeat(u_idx, t), categories=ids),
            "stage": pd.Categorical(np.repeat(np.array(stages)[r_idx], t), categories=STAGES),
            "grade": pd.array(np.repeat(np.array(grade_of, dtype=object)[r_idx], t), dtype="Int64"),
            "year": np.tile(launch.years, len(u_idx)),
            "lead_years": np.tile(launch.years - launch.launch_year, len(u_idx)),
            "size_band": pd.Categorical(np.repeat(band, t)),
        }
    )
    parts = []
    for (scenario, method), arr in arrays.items():
        values = np.einsum("upt,rp->urt", arr, weights)[u_idx, r_idx].reshape(-1)
        parts.append(template.assign(scenario=scenario, method=method, student_count=values))
    out = pd.concat(parts, ignore_index=True).assign(launch_year=launch.launch_year, band="point")
    return out.astype({"scenario": "category", "method": "category", "band": "category"})


COLUMNS = [
    "level",
    "county_code",
    "school_id",
    "stage",
    "grade",
    "year",
    "launch_year",
    "lead_years",
    "scenario",
    "method",
    "is_default_method",
    "size_band",
    "band",
    "student_count",
]


def compute_projections(
    tables: Mapping[str, pd.DataFrame],
    to_year: int | None = None,
    scenario_names: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every projection table of :data:`RESULT_TABLES` from the cleaned tables (raises when an input is missing)."""
    require_inputs(tables)
    to_year = int(to_year or cohort.config()["horizon"])
    names = scenario_names or list(scenarios()["scenarios"])
    unknown = [n for n in names if n not in scenarios()["scenarios"]]
    if unknown:
        raise RequestError(
            f"未知方案 unknown scenario(s): {', '.join(unknown)}",
            f"可选 choose from: {', '.join(scenarios()['scenarios'])}",
        )
    grid = build_grid(tables["grade_enrollment"], tables.get("kindergarten_ages"))
    if len(grid.years) < 2:  # an input too short to project from: the build says why, it does not fail
        raise MissingProjectionInput(
            f"分年级在校生只有 {len(grid.years)} 个学年 / grade_enrollment has {len(grid.years)} year(s)",
            "年级升级比至少需要连续两个学年的分年级数据 / progression ratios need two consecutive years",
        )
    demo = demography(tables["census_population"], tables["births"], grid)
    errors = backtest(grid, demo)
    table = error_table(errors) if not errors.empty else error_table_empty()
    default = best_method(table)
    launch = run_launch(grid, demo, len(grid.years) - 1, to_year, names, list(METHODS), [default])
    point = _concat_categorical(
        [_rows("county", launch.county, grid, launch), _rows("school", launch.school, grid, launch)]
    )
    projections = _concat_categorical([point, _bands(point, errors)])
    projections["is_default_method"] = projections["method"] == default
    projections = projections[COLUMNS].astype(
        {
            "level": "category",
            "county_code": "category",
            "school_id": "category",
            "stage": "category",
            "grade": "Int64",
            "year": "Int64",
            "launch_year": "Int64",
            "lead_years": "Int64",
            "scenario": "category",
            "method": "category",
            "size_band": "category",
            "band": "category",
            "student_count": "Float64",
        }
    )
    return {
        "projections": projections,
        "projection_backtest": table.assign(is_default_method=table["method"] == default),
        "projection_population": _population_table(demo, launch, names),
        "projection_entry_ratios": _entry_table(grid, demo, launch),
    }


def _concat_categorical(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate keeping categorical columns categorical (their categories, as text, united)."""
    frames = [f for f in frames if len(f)]
    for name in frames[0].columns:
        if any(isinstance(f[name].dtype, pd.CategoricalDtype) for f in frames):
            parts = []
            for f in frames:
                c = f[name].astype("category")
                parts.append(c.cat.rename_categories(c.cat.categories.astype(str)) if len(c.cat.categories) else c)
            cats = pd.Index(sorted(set().union(*(p.cat.categories for p in parts))), dtype=str)
            frames = [f.assign(**{name: p.cat.set_categories(cats)}) for f, p in zip(frames, parts, strict=True)]
    return pd.concat(frames, ignore_index=True)


def error_table_empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype=t)
            for c, t in (
                ("method", "object"),
                ("level", "object"),
                ("stage", "object"),
                ("county_code", "object"),
                ("size_band", "object"),
                ("lead_years", "Int64"),
                ("n", "Int64"),
                ("mape", "float"),
                ("mdape", "float"),
                ("bias_pct", "float"),
                ("pe_lower", "float"),
                ("pe_upper", "float"),
                ("ape_band", "float"),
            )
        }
    )


def _population_table(demo: Demography, launch: Launch, names: list[str]) -> pd.DataFrame:
    """Ages 0–18 by sex per county and year: the graduated censuses, then each scenario's projection; births too."""
    max_age = cohort.config()["max_age"]
    census = demo.single_ages[demo.single_ages["age"] <= max_age].assign(
        scenario="census", births=np.nan, births_basis="census"
    )
    parts = [census]
    for name in names:
        run = launch.runs[name]
        c, s, a, y = np.meshgrid(
            np.arange(len(run.counties)), np.arange(2), np.arange(max_age + 1), np.arange(len(run.years)), indexing="ij"
        )
        parts.append(
            pd.DataFrame(
                {
                    "county_code": np.array(run.counties)[c.ravel()],
                    "year": run.years[y.ravel()],
                    "sex": np.array(cohort.SEXES)[s.ravel()],
                    "age": a.ravel(),
                    "population": run.population[:, :, : max_age + 1, :].ravel(),
                    "scenario": name,
                    "births": run.births[c.ravel(), y.ravel()],
                    "births_basis": run.births_basis[c.ravel(), y.ravel()],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.astype(
        {
            "county_code": "string",
            "year": "Int64",
            "sex": "string",
            "age": "Int64",
            "population": "Float64",
            "scenario": "string",
            "births": "Float64",
            "births_basis": "string",
        }
    )


def _entry_table(grid: Grid, demo: Demography, launch: Launch) -> pd.DataFrame:
    """Each county's entry ratio (一年级 / births six years before) by year, its level and trend, and migration."""
    cal = launch.calibration
    per_county = pd.DataFrame(
        {
            "county_code": grid.counties,
            "entry_ratio_level": cal.entry_ratio,
            "entry_ratio_trend_per_year": cal.entry_slope,
            "entry_rate_age6_level": cal.entry_rate,
            "migration_rate_school_age_pct": demo.migration[:, :19].mean(axis=1) * 100,
            "migration_basis": demo.migration_basis,
        }
    )
    out = cal.entry_history.merge(per_county, on="county_code", how="left")
    return out.astype({"county_code": "string", "year": "Int64", "migration_basis": "string"})


def projection_tables(tables: Mapping[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict]:
    """The projection tables for a build, and a manifest note; none (the note says why) when an input is missing."""
    try:
        out = compute_projections(tables)
    except MissingProjectionInput as exc:
        return {}, {"status": "not computed", "reason": exc.args[0], "fix": exc.fix}
    table = out["projection_backtest"]
    default = table.loc[table["is_default_method"], "method"]
    return out, {
        "status": "computed",
        "horizon": int(out["projections"]["year"].max()),
        "default_method": str(default.iloc[0]) if len(default) else METHODS[0],
        "scenarios": list(out["projections"]["scenario"].cat.categories),
    }


def stored_projections(processed_dir: str | None = None) -> dict[str, pd.DataFrame]:
    """The build's projection tables; when the build has none, the error says why (the manifest's note)."""
    build = store.current(processed_dir)
    if not all((build / f"{name}.parquet").exists() for name in RESULT_TABLES):
        note = store.manifest(processed_dir).get("projections") or {}
        raise MissingProjectionInput(
            note.get("reason") or f"{build} 中没有推算结果 / this build has no projections (made before they existed)",
            note.get("fix") or "重新运行 `lcedu clean` / run `lcedu clean` again",
        )
    return {name: store.load(name, processed_dir) for name in RESULT_TABLES}


def load_projections(
    scenario_names: list[str] | None = None, to_year: int | None = None, processed_dir: str | None = None
) -> dict[str, pd.DataFrame]:
    """Stored projections when they answer the request, else computed from the build's inputs (not stored)."""
    try:
        stored = stored_projections(processed_dir)
    except MissingProjectionInput:
        stored = None
    if stored is not None:
        p = stored["projections"]
        have = set(p["scenario"].astype(str))
        if set(scenario_names or have) <= have and (to_year is None or int(p["year"].max()) == int(to_year)):
            if scenario_names:
                stored["projections"] = p[p["scenario"].isin(scenario_names)].reset_index(drop=True)
            return stored
    tables = {}
    for name in (*REQUIRED, *OPTIONAL):
        try:
            tables[name] = store.load(name, processed_dir)
        except store.MissingTableError:
            continue
    return compute_projections(tables, to_year, scenario_names)
