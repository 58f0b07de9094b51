"""Projections (issue 23): census graduation, the cohort-component population, the enrollment engine,
the back-test and its bands, scenarios, and the command — on small frames built here (unit tier)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcedu import paths
from lcedu.measure import cohort
from lcedu.measure import projections as pj

COUNTIES = ("530925", "530927")
YEARS = (2021, 2022, 2023, 2024, 2025)


def _census(counties=COUNTIES) -> pd.DataFrame:
    real = pd.read_csv(paths.package_file("data", "lincang_census_age_sex.csv"), dtype={"county_code": str})
    real = real[real["county_code"].isin(counties)]
    wide = real.pivot_table(
        index=["county_code", "census_year", "age_group"], columns="sex", values="population"
    ).reset_index()
    return wide.rename(columns={"census_year": "year", "male": "male_count", "female": "female_count"})


def _births(falling_from: int = 2017, counties=COUNTIES) -> pd.DataFrame:
    """Births flat to ``falling_from``, then 15 % fewer each year: a wave the intake must follow six years on."""
    rows = []
    for i, c in enumerate(counties):
        for y in range(2005, 2026):
            rows.append((c, y, (2000 + 500 * i) * 0.85 ** max(0, y - falling_from), "卫健委"))
    return pd.DataFrame(rows, columns=["county_code", "year", "birth_count", "source"])


def _tables(n_schools: int = 12, seed: int = 7, tiny: int = 0) -> dict[str, pd.DataFrame]:
    """Cohort-consistent pupils: grade 1 = 0.95 × births(t−6) shared among schools, pupils move up a grade a year."""
    rng = np.random.default_rng(seed)
    births = _births()
    b = births.set_index(["county_code", "year"])["birth_count"]
    rows, kg = [], []
    for c in COUNTIES:
        share = rng.gamma(1.0, 1.0, n_schools)
        if tiny:
            share[:tiny] = 0.004
        share /= share.sum()
        for y in YEARS:
            for g in range(1, 7):
                for s in range(n_schools):
                    rows.append(
                        (f"{c}P{s:03d}", y, c, "primary", g, int(rng.poisson(0.95 * b[(c, y - 5 - g)] * share[s])))
                    )
            for g in range(1, 4):
                for s in range(2):
                    rows.append((f"{c}J{s:03d}", y, c, "junior", g, int(rng.poisson(0.45 * b[(c, y - 11 - g)]))))
            for a in (3, 4, 5):
                for s in range(3):
                    kg.append((f"{c}K{s:03d}", y, c, a, int(rng.poisson(0.3 * b[(c, y - a)]))))
    grade = pd.DataFrame(rows, columns=["school_id", "year", "county_code", "stage", "grade", "student_count"])
    ages = pd.DataFrame(kg, columns=["school_id", "year", "county_code", "age", "student_count"])
    return {"grade_enrollment": grade, "kindergarten_ages": ages, "census_population": _census(), "births": births}


@pytest.fixture(scope="module")
def result() -> dict[str, pd.DataFrame]:
    return pj.compute_projections(_tables(tiny=2))


# ------------------------------------------------------------------------------------------ population
def test_graduation_keeps_every_band_total_and_never_goes_negative() -> None:
    census = _census()
    long = census.melt(
        id_vars=["county_code", "year", "age_group"],
        value_vars=["male_count", "female_count"],
        var_name="sex",
        value_name="population",
    )
    single = cohort.graduate(long)
    for (county, year, sex), group in long.groupby(["county_code", "year", "sex"]):
        ages = single[(single["county_code"] == county) & (single["year"] == year) & (single["sex"] == sex)]
        assert (ages["population"] >= 0).all()
        assert ages["population"].sum() == pytest.approx(group["population"].sum())
        five_nine = ages[ages["age"].between(5, 9)]["population"].sum()
        assert five_nine == pytest.approx(group.loc[group["age_group"] == "5-9", "population"].iloc[0])


def test_age_groups_with_a_gap_are_refused_with_the_groups_named() -> None:
    bad = pd.DataFrame(
        {
            "county_code": "530925",
            "year": 2020,
            "sex": "male",
            "age_group": ["0", "1-4", "10-14"],
            "population": [10, 40, 50],
        }
    )
    with pytest.raises(pj.RequestError, match="10-14"):
        cohort.graduate(bad)
    with pytest.raises(pj.RequestError, match="年龄组"):
        cohort.parse_age_group("五岁以下")


def test_age_group_spellings_of_the_county_volumes() -> None:
    assert cohort.parse_age_group("0岁") == (0, 1)
    assert cohort.parse_age_group("1-4岁") == (1, 5)
    assert cohort.parse_age_group("85岁及以上") == (85, None)
    assert cohort.parse_age_group("85+") == (85, None)


def test_closed_population_ages_by_survival_only_and_age_zero_comes_from_births() -> None:
    base = np.zeros((1, 2, 20))
    base[0, :, 5] = 1000.0
    births = pd.DataFrame({"county_code": "x", "year": [2021], "birth_count": [500.0]})
    run = cohort.project_population(base, 2020, ["x"], births, np.zeros((1, 20)), 2021)
    q = cohort.death_probabilities(19)
    assert run.population[0, :, 6, 1].sum() == pytest.approx(2000 * (1 - q[5]))
    assert run.population[0, :, 0, 1].sum() == pytest.approx(500 * (1 - q[0] / 2))
    assert run.births_basis[0, 1] == "given"


def test_hamilton_perry_reads_a_cohort_that_grew_as_in_migration() -> None:
    earlier, later = np.full((1, 2, 40), 100.0), np.full((1, 2, 40), 100.0)
    later[0, :, 20:30] = 150.0  # those aged 10–19 in the earlier census grew by half in ten years
    rates = cohort.hamilton_perry_rates(earlier, later, 10, None, np.zeros(40))
    assert rates[0, 15] > 0.02 and abs(rates[0, 35]) < 0.005


def test_births_beyond_the_known_years_come_from_fertility_and_follow_the_scenario() -> None:
    demo_tables = _tables()
    grid = pj.build_grid(demo_tables["grade_enrollment"], demo_tables["kindergarten_ages"])
    demo = pj.demography(demo_tables["census_population"], demo_tables["births"], grid)
    assert demo.migration_basis == "hamilton_perry_2010_2020"
    low = cohort.project_population(
        demo.base, 2020, demo.counties, demo.births, demo.migration, 2035, fertility_change_pct=-3
    )
    high = cohort.project_population(
        demo.base, 2020, demo.counties, demo.births, demo.migration, 2035, fertility_change_pct=2.5
    )
    assert set(low.births_basis[:, -1]) == {"fertility"} and set(low.births_basis[:, 5]) == {"given"}
    assert (low.births[:, -1] < high.births[:, -1]).all()


# ------------------------------------------------------------------------------------------ enrollment
def _point(p: pd.DataFrame, **where) -> pd.DataFrame:
    rows = p[(p["band"] == "point") & p["is_default_method"]]
    for k, v in where.items():
        rows = rows[rows[k].eq(v).fillna(False)] if k == "grade" else rows[rows[k] == v]
    return rows


def test_first_grade_intake_follows_births_six_years_earlier(result) -> None:
    p = result["projections"]
    g1 = _point(p, level="county", stage="primary", grade=1, scenario="medium")
    g1 = g1[g1["method"] == "births_ratio"].pivot_table(
        index="year", columns="county_code", values="student_count", observed=True
    )
    births = _births().pivot_table(index="year", columns="county_code", values="birth_count")
    # Births fall from 2017: the intake of 2026–2031 falls year on year, in step with births(t−6).
    assert (g1.loc[2026:2031].diff().dropna() < 0).all().all()
    ratio = g1.loc[2026:2031].to_numpy(float) / births.loc[2020:2025].to_numpy(float)
    assert np.allclose(ratio, ratio[0], rtol=1e-9)  # the county's calibrated entry ratio, constant (no trend)
    assert ratio[0] == pytest.approx(0.95, abs=0.05)


def test_school_projections_sum_to_their_county_every_grade_year_and_scenario(result) -> None:
    p = result["projections"]
    point = p[(p["band"] == "point") & p["is_default_method"]].assign(grade=lambda f: f["grade"].fillna(0))
    keys = ["county_code", "stage", "grade", "year", "scenario"]
    school = point[point["level"] == "school"].groupby(keys, observed=True)["student_count"].sum().reset_index()
    county = point[point["level"] == "county"][[*keys, "student_count"]]
    joined = school.merge(county, on=keys, suffixes=("_schools", "_county"))
    assert len(joined) == len(school) > 100
    assert np.allclose(joined["student_count_schools"].astype(float), joined["student_count_county"].astype(float))


def test_scenario_fans_are_ordered(result) -> None:
    p = _point(result["projections"], level="county")
    p = p[p["grade"].isna()]
    wide = p.pivot_table(
        index=["county_code", "stage", "year"], columns="scenario", values="student_count", observed=True
    )
    assert (wide["low"] <= wide["medium"] + 1e-6).all() and (wide["medium"] <= wide["high"] + 1e-6).all()
    later = wide.xs(2035, level="year").xs("primary", level="stage")
    assert (later["low"] < later["high"]).all()


def test_free_final_preschool_year_raises_age_five_participation(result) -> None:
    p = _point(result["projections"], level="county", stage="kindergarten")
    wide = p.pivot_table(index=["county_code", "year"], columns="scenario", values="student_count", observed=True)
    assert (wide["medium"] >= wide["medium_no_free_preschool"] - 1e-6).all()


def test_a_tiny_school_is_shrunk_toward_its_county() -> None:
    t = _tables(tiny=2)
    grid = pj.build_grid(t["grade_enrollment"], t["kindergarten_ages"])
    county_gpr = pj.smooth(pj.observed_ratios(grid.county, grid.prev), 0.4)
    shrunk = pj.shrunk_school_ratios(grid, grid.school, county_gpr)
    sizes = grid.school.sum(axis=(1, 2))
    p3 = grid.positions.index(("primary", 3))
    distance = np.abs(shrunk[:, p3] - county_gpr[grid.school_county, p3])
    primary = np.array(["P" in s for s in grid.school_ids])
    small, large = (
        primary & (sizes < np.percentile(sizes[primary], 20)),
        primary & (sizes > np.percentile(sizes[primary], 80)),
    )
    raw = pj.observed_ratios(grid.school, grid.school_prev)[:, p3]
    raw_distance = np.full(len(raw), np.nan)
    raw_distance[primary] = np.nanmean(np.abs(raw[primary] - county_gpr[grid.school_county[primary], p3][:, None]), 1)
    assert distance[small].mean() < raw_distance[small].mean() / 2  # one family does not drive a 教学点
    assert distance[small].mean() <= distance[large].mean() + 0.05


# ------------------------------------------------------------------------------------------- back-test
def test_backtest_table_is_stored_by_county_size_band_and_lead(result) -> None:
    table = result["projection_backtest"]
    assert {"mape", "mdape", "bias_pct", "n", "lead_years", "size_band", "county_code", "method"} <= set(table)
    assert set(table["lead_years"].dropna().astype(int)) == {1, 2, 3}
    assert set(COUNTIES) <= set(table["county_code"])
    assert {"<50", "all"} <= set(table["size_band"])
    assert table["is_default_method"].any() and table.loc[table["is_default_method"], "method"].nunique() == 1
    county = table[(table["level"] == "county") & (table["county_code"] == "all") & (table["size_band"] == "all")]
    assert (county["mape"] >= 0).all() and (county["mdape"] <= county["mape"] * 3 + 1).all()


def test_bands_are_the_backtest_error_percentiles(result) -> None:
    p, table = result["projections"], result["projection_backtest"]
    rows = p[
        (p["level"] == "school")
        & (p["stage"] == "primary")
        & p["grade"].isna()
        & (p["scenario"] == "medium")
        & (p["lead_years"] == 1)
        & p["is_default_method"]
    ]
    wide = rows.pivot_table(index=["school_id", "size_band"], columns="band", values="student_count", observed=True)
    wide = wide.reset_index()
    cells = table[
        (table["method"] == rows["method"].iloc[0])
        & (table["level"] == "school")
        & (table["stage"] == "primary")
        & (table["county_code"] == "all")
        & (table["lead_years"] == 1)
        & (table["n"] >= 8)
    ].set_index("size_band")
    wide = wide[wide["size_band"].isin(cells.index.drop("all", errors="ignore"))]
    assert len(wide) > 5
    # the upper end holds both point × (1 + the 80th percentile of |error|) and the actual the 10th percentile of
    # the signed error implies (point ÷ (1 + pe)): a model that ran low reaches further up
    by_abs = wide["size_band"].map(cells["ape_band"]).to_numpy(float)
    by_signed = (1 / (1 + wide["size_band"].map(cells["pe_lower"]).to_numpy(float) / 100) - 1) * 100
    width = (wide["upper"] / wide["point"] - 1) * 100
    cap = 75.0  # max_extrapolated_ape: a small school's far-off error is capped
    assert np.allclose(width.to_numpy(float), np.minimum(np.maximum(by_abs, by_signed), cap))
    assert (wide["lower"] <= wide["point"]).all() and (wide["point"] <= wide["upper"]).all()


def test_the_method_that_backtests_best_is_the_default() -> None:
    table = pd.DataFrame(
        {
            "method": ["births_ratio", "intake_smoothing"],
            "level": "county",
            "stage": "primary",
            "county_code": "all",
            "size_band": "all",
            "lead_years": 1,
            "n": 8,
            "mape": [3.0, 1.0],
        }
    )
    assert pj.best_method(table) == "intake_smoothing"


# ---------------------------------------------------------------------------------------- bad requests
def test_a_build_without_grade_tables_names_the_missing_table() -> None:
    t = _tables()
    del t["grade_enrollment"]
    with pytest.raises(pj.MissingProjectionInput, match="grade_enrollment"):
        pj.compute_projections(t)
    tables, note = pj.projection_tables(t)
    assert tables == {} and note["status"] == "not computed" and "grade_enrollment" in note["reason"]


def test_an_unknown_scenario_is_refused_with_the_choices() -> None:
    with pytest.raises(pj.RequestError, match="medium"):
        pj.compute_projections(_tables(), scenario_names=["baseline"])


# ------------------------------------------------------------------------------------------- the command
def _build(tmp_path, tables: dict[str, pd.DataFrame]) -> str:
    from lcedu.ingest import store
    from lcedu.measure.projections import projection_tables

    projected, note = projection_tables(tables)
    store.write({**tables, **projected}, {"is_sample": True, "projections": note}, tmp_path / "processed")
    return str(tmp_path / "processed")


def test_project_without_grade_tables_exits_2_naming_the_table(tmp_path, monkeypatch, capsys) -> None:
    from lcedu.cli import main

    tables = _tables()
    del tables["grade_enrollment"], tables["kindergarten_ages"]
    monkeypatch.setenv("LCEDU_PROCESSED", _build(tmp_path, tables))
    assert main(["project"]) == 2
    err = capsys.readouterr().err
    assert "grade_enrollment" in err and "Traceback" not in err


def test_project_prints_counties_with_bands_and_the_backtest(tmp_path, monkeypatch, capsys) -> None:
    from lcedu.cli import main

    monkeypatch.setenv("LCEDU_PROCESSED", _build(tmp_path, _tables()))
    assert main(["project", "--counties", "双江", "--scenario", "low", "medium", "high"]) == 0
    out = capsys.readouterr().out
    assert "双江自治县" in out and "沧源" not in out and "小学一年级" in out and "[" in out
    assert main(["project", "backtest"]) == 0
    out = capsys.readouterr().out
    assert "MAPE%" in out and "<50" in out
    assert main(["project", "--scenario", "baseline"]) == 2


def test_projection_sheet_lists_the_county_and_keeps_a_formula_like_name_as_text(tmp_path, monkeypatch) -> None:
    from openpyxl import Workbook, load_workbook

    from lcedu.present.projection_sheet import SHEET, add_projection_sheet

    tables = _tables()
    first = tables["grade_enrollment"].query("county_code == '530925'")["school_id"].iloc[0]
    tables["schools"] = pd.DataFrame({"school_id": [first], "year": [2025], "school_name": ['=HYPERLINK("x","y")']})
    monkeypatch.setenv("LCEDU_PROCESSED", _build(tmp_path, tables))
    wb = Workbook()
    wb.remove(wb.active)
    add_projection_sheet(wb, "530925")
    wb.save(tmp_path / "p.xlsx")
    rows = list(load_workbook(tmp_path / "p.xlsx")[SHEET].iter_rows(values_only=True))
    assert rows[1][:4] == ("县(区)", "方案", "学段", "年份")
    assert any(r[0] == "双江自治县" and r[2] == "小学" and r[3] == 2035 for r in rows)
    named = [r for r in rows if r[0] == first]
    assert named and named[0][1] == '=HYPERLINK("x","y")'
