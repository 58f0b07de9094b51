"""School-age population by single year of age: census graduation and a cohort-component projection (NumPy).

The enrollment projection (:mod:`lcedu.measure.projections`) needs children by single year of age, per county,
to 2035. The census gives five-year bands; they are graduated to single years with a monotone cubic spline of the
cumulative counts (band totals kept exactly, never a negative age; docs/projections.md says why not Sprague).
The population then moves one year at a time: P(a+1, t+1) = P(a, t)·S(a)·(1 + m(a)), age 0 from births, births
from fertility where they are not known. Net migration m comes from two censuses (Hamilton–Perry cohort-change
ratios) or, with one census, from the enrollment series. Assumptions are data: ``config/projections.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.ingest.ages import graduate as graduate  # re-exported: the model's graduation is ingest's
from lcedu.ingest.ages import parse_age_group

SEXES = ("male", "female")


@cache
def config() -> dict:
    """The projection assumptions (``lcedu/measure/config/projections.yml``)."""
    return yaml.safe_load(paths.package_file("measure", "config", "projections.yml").read_text(encoding="utf-8"))


def death_probabilities(max_age: int) -> np.ndarray:
    """q(a) for ages 0..max_age (the last is the open age) from the config's schedule."""
    q = np.full(max_age + 1, np.nan)
    for first, last, value in config()["survival"]["q_by_age"]:
        q[first : min(last, max_age) + 1] = value
    q[np.isnan(q)] = config()["survival"]["q_by_age"][-1][2]
    return q


def base_array(single: pd.DataFrame, counties: list[str]) -> tuple[np.ndarray, int]:
    """Census single ages as an array [county, sex, age] and the open age (the last index)."""
    open_age = int(single["age"].max())
    arr = np.zeros((len(counties), 2, open_age + 1))
    ci = pd.Index(counties).get_indexer(single["county_code"])
    si = pd.Index(SEXES).get_indexer(single["sex"])
    keep = (ci >= 0) & (si >= 0)
    np.add.at(arr, (ci[keep], si[keep], single["age"].to_numpy(int)[keep]), single["population"].to_numpy(float)[keep])
    return arr, open_age


def hamilton_perry_rates(
    earlier: np.ndarray, later: np.ndarray, span: int, births: np.ndarray | None, q: np.ndarray
) -> np.ndarray:
    """Yearly net migration rates by age [county, age] from two censuses ``span`` years apart (both sexes).

    Cohort-change ratio CCR(x) = P_later(x) / P_earlier(x − span) (Hamilton & Perry 1962) divided by the
    survival over the span gives the cohort's migration; its ``span``-th root less 1 is the yearly rate,
    given to every age the cohort passed through (and averaged where cohorts overlap). Cohorts born between
    the censuses are compared with their births (``births[county, k]`` = births k years before the later census).
    """
    e, lt = earlier.sum(axis=1), later.sum(axis=1)
    n_c, n_a = lt.shape
    total, weight = np.zeros((n_c, n_a)), np.zeros((n_c, n_a))
    survive = 1 - q
    for x in range(1, n_a - 1):
        if x >= span:
            start, base = x - span, e[:, x - span]
            years = span
        elif births is not None and x < births.shape[1]:
            start, base, years = 0, births[:, x], x
        else:
            continue
        surv = np.prod(survive[start:x])
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = (lt[:, x] / (base * surv)) ** (1 / years) - 1
        ok = np.isfinite(rate)
        total[ok, start:x] += rate[ok, None]
        weight[ok, start:x] += 1
    cap = config()["migration"]["max_abs_rate"]
    with np.errstate(invalid="ignore"):
        rates = np.where(weight > 0, total / np.maximum(weight, 1), 0.0)
    return np.clip(rates, -cap, cap)


@dataclass
class PopulationRun:
    """A projection: population [county, sex, age, year index] for ``years``, births [county, year index]."""

    counties: list[str]
    years: np.ndarray
    population: np.ndarray
    births: np.ndarray
    births_basis: np.ndarray  # [county, year index]: "given" | "fertility" | "trend"


def project_population(
    base: np.ndarray,
    base_year: int,
    counties: list[str],
    births: pd.DataFrame,
    migration: np.ndarray,
    to_year: int,
    *,
    fertility_change_pct: float = 0.0,
    migration_from: int | None = None,
    births_until: int | None = None,
) -> PopulationRun:
    """Cohort-component projection from a census ``base`` [county, sex, age] to ``to_year``.

    ``births`` (county_code, year, birth_count) are used up to ``births_until`` (default: all); later births come
    from fertility — the config's age schedule times women by age, its level calibrated per county to the last
    known births, changing by ``fertility_change_pct`` a year — or, when the census has no women aged 15–49, from
    the last known births changing at that rate. ``migration`` [county, age] applies up to ``migration_from``
    (default: always); after it the population is closed (a scenario without migration).
    """
    cfg = config()
    n_c, _, n_a = base.shape
    open_age = n_a - 1
    years = np.arange(base_year, to_year + 1)
    q = death_probabilities(open_age)
    survive = 1 - q
    pop = np.zeros((n_c, 2, n_a, len(years)))
    pop[..., 0] = base
    known = _births_matrix(births, counties, years, births_until)
    implied0 = base[:, :, 0].sum(axis=1) / (1 - q[0] / 2)
    known[:, 0] = np.where(np.isnan(known[:, 0]), implied0, known[:, 0])
    out_births = known.copy()
    basis = np.where(np.isnan(known), "", "given").astype(object)
    boy = cfg["fertility"]["sex_ratio_at_birth"] / (1 + cfg["fertility"]["sex_ratio_at_birth"])
    shape = _asfr_shape(n_a)
    has_women = shape.sum() > 0 and base[:, 1, 15:50].sum() > 0 and open_age >= 49
    level = np.full(n_c, np.nan)
    for t in range(1, len(years)):
        year = years[t]
        m = migration if migration_from is None or year <= migration_from else np.zeros_like(migration)
        grow = 1 + m[:, None, :]
        prev = pop[..., t - 1]
        pop[:, :, 1:, t] = prev[:, :, :-1] * survive[None, None, :-1] * grow[:, :, 1:]
        pop[:, :, open_age, t] += prev[:, :, open_age] * survive[open_age] * grow[:, :, open_age]
        need = np.isnan(out_births[:, t])
        if need.any():
            last = _last_known(out_births[:, :t], basis[:, :t])
            if has_women:
                women = (pop[:, 1, :, :t] * shape[None, :, None]).sum(axis=1)
                level = np.where(np.isnan(level), _fertility_level(out_births[:, :t], women, basis[:, :t]), level)
                expected = level * (pop[:, 1, :, t] * shape[None, :]).sum(axis=1)
            else:
                expected = np.array([out_births[c, last[c]] for c in range(n_c)])
            change = (1 + fertility_change_pct / 100) ** (t - last)
            out_births[need, t] = (expected * change)[need]
            basis[need, t] = "fertility" if has_women else "trend"
        newborn = out_births[:, t] * (1 - q[0] / 2) * (1 + m[:, 0] / 2)
        pop[:, 0, 0, t], pop[:, 1, 0, t] = newborn * boy, newborn * (1 - boy)
    return PopulationRun(counties, years, pop, out_births, basis)


def _births_matrix(births: pd.DataFrame, counties: list[str], years: np.ndarray, until: int | None) -> np.ndarray:
    out = np.full((len(counties), len(years)), np.nan)
    b = births[births["birth_count"].notna()]
    if until is not None:
        b = b[b["year"] <= until]
    ci = pd.Index(counties).get_indexer(b["county_code"])
    yi = pd.Index(years).get_indexer(b["year"].astype(int))
    ok = (ci >= 0) & (yi >= 0)
    out[ci[ok], yi[ok]] = b["birth_count"].to_numpy(float)[ok]
    return out


def _asfr_shape(n_ages: int) -> np.ndarray:
    shape = np.zeros(n_ages)
    for group, value in config()["fertility"]["asfr_shape"].items():
        first, after = parse_age_group(group)
        shape[first : min(after or n_ages, n_ages)] = value
    return shape


def _last_known(births: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Index of each county's last year with births given (0 — the census year — at least)."""
    given = basis == "given"
    idx = np.arange(births.shape[1])
    return np.where(given, idx[None, :], 0).max(axis=1)


def _fertility_level(births: np.ndarray, women: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Per county: mean over the last known years of births / (schedule × women), the schedule's multiplier."""
    k = config()["fertility"]["calibration_years"]
    given = basis == "given"
    out = np.full(births.shape[0], np.nan)
    for c in range(births.shape[0]):
        cols = np.flatnonzero(given[c])[-k:]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[c] = np.nanmean(births[c, cols] / women[c, cols]) if len(cols) else np.nan
    return np.nan_to_num(out, nan=1.0)
