"""Enrollment projections (issue 23): 临沧 (8 counties, ~2,300 schools, to 2035) and the synthetic 云南 (129 counties).

Inputs are the sample truth's grade tables (issue 20's ``grade_enrollment`` / ``kindergarten_ages``) with the
sample's census and births, built once outside the timing. Each variant runs the whole computation a build stores
(back-test of every method, then every scenario by county and school, bands): 临沧 with the three fan scenarios
(budget 5 s) and with all of projection_scenarios.yml, 云南 with all of them (budget 60 s on 2 cores). Medians of
3 (1 for 云南), side by side in one run; the ratio is the median over its budget.
"""

from __future__ import annotations

from benchmarks.common import median_time

YEARS = [2022, 2023, 2024, 2025]
SEED = 2023
LINCANG_BUDGET_S = 5.0
YUNNAN_BUDGET_S = 60.0


def inputs(counties: list, density: float) -> dict:
    """The projection's input tables for ``counties`` from the sample generator (not timed)."""
    from lcedu.sample import births as sample_births
    from lcedu.sample.truth import build_truth

    truth = build_truth(counties, YEARS, SEED, density=density, with_city=False)
    census = sample_births.census(counties)
    wide = census.pivot_table(
        index=["county_code", "census_year", "age_group"], columns="sex", values="population"
    ).reset_index()
    wide = wide.rename(columns={"census_year": "year", "male": "male_count", "female": "female_count"})
    return {
        "grade_enrollment": truth["grade_enrollment"],
        "kindergarten_ages": truth["kindergarten_ages"],
        "census_population": wide,
        "births": sample_births.births(counties, SEED, census),
    }


def _schools(tables: dict) -> int:
    """Schools with pupils by grade or children by age (kindergartens included)."""
    return len(set(tables["grade_enrollment"]["school_id"]) | set(tables["kindergarten_ages"]["school_id"]))


def _row(name: str, variant: str, seconds: float, rows: int, budget: float, note: str) -> dict:
    return {
        "benchmark": name,
        "variant": variant,
        "median_s": seconds,
        "rows_per_s": rows / seconds if seconds else float("nan"),
        "ratio": seconds / budget,
        "notes": note,
    }


def run(quick: bool = False) -> list[dict]:
    from lcedu.measure.projections import compute_projections, scenarios
    from lcedu.sample.truth import lincang_counties, province_sample_counties

    repeat = 1 if quick else 3
    out = []
    tables = inputs(lincang_counties(), 1.0)
    schools = _schools(tables)
    fan = list(scenarios()["fan"])
    every = list(scenarios()["scenarios"])
    for names in (fan, every):
        result: dict = {}
        seconds = median_time(lambda n=names, r=result: r.update(compute_projections(tables, scenario_names=n)), repeat)
        out.append(
            _row(
                "projections 临沧",
                f"{len(names)} scenarios, back-test, {schools} schools",
                seconds,
                len(result["projections"]),
                LINCANG_BUDGET_S,
                f"ratio = median / {LINCANG_BUDGET_S:g} s budget (issue 23)",
            )
        )
    if quick:
        return out
    from lcedu.cli import PROVINCE_DENSITY

    tables = inputs(province_sample_counties("53", SEED), PROVINCE_DENSITY)
    schools = _schools(tables)
    result = {}
    seconds = median_time(lambda: result.update(compute_projections(tables)), 1)
    out.append(
        _row(
            "projections 云南",
            f"{len(every)} scenarios, back-test, 129 counties, {schools} schools",
            seconds,
            len(result["projections"]),
            YUNNAN_BUDGET_S,
            f"ratio = median / {YUNNAN_BUDGET_S:g} s budget (issue 23)",
        )
    )
    return out
