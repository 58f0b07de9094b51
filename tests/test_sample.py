"""The sample is calibrated to what data/raw/README.md, sample.json and calibration.yml say, and no more."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lcedu.sample as sample_package
from lcedu.ingest.layout import assessment_items
from lcedu.measure import cohort
from lcedu.measure.assessments import checklist_items
from lcedu.sample.births import child_mortality
from lcedu.sample.truth import build_truth, calibration, lincang_counties

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
FIRST = 2022


@pytest.fixture(scope="module")
def truth() -> dict[str, pd.DataFrame]:
    return build_truth(lincang_counties(), [FIRST], 2023, with_city=False, with_checklist=False)


def test_population_follows_the_2020_census_and_the_trend(truth):
    trend = calibration()["age_band_trend"]
    t = FIRST - 2020
    pop = truth["population"].set_index("county_code")
    for county in lincang_counties():
        for column, base, key in (
            ("resident_population", county.pop2020, "total"),
            ("pop_age3_5", county.age3_5, "age3_5"),
            ("pop_age6_11", county.age6_11, "age6_11"),
            ("pop_age12_14", county.age12_14, "age12_14"),
            ("pop_age15_17", county.age15_17, "age15_17"),
        ):
            expected = base * (1 + trend[key]) ** t
            assert pop.at[county.county_code, column] == pytest.approx(expected, rel=0.0101), (county.name_zh, column)
    # The anchors are the census: the counties add up to the city's 2020 population.
    assert sum(c.pop2020 for c in lincang_counties()) == calibration()["reference_city_population"]


def test_school_counts_are_the_city_counts_shared_out_by_population(truth):
    cal = calibration()
    counties = lincang_counties()
    city = sum(c.pop2020 for c in counties)
    schools = truth["schools"]
    for county in counties:
        mine = schools[schools["county_code"] == county.county_code]
        for school_type, spec in cal["school_types"].items():
            if school_type in ("special", "twelve_year"):  # designed openings, not shared out
                continue
            expected = max(int(round(spec["city_count"] * county.pop2020 / city)), spec.get("min_per_county", 0))
            got = int((mine["school_type"] == school_type).sum())
            assert got == expected, (county.name_zh, school_type)
    # So the city totals by type are close to the calibration's city counts (rounding and minimums aside).
    by_type = schools["school_type"].value_counts()
    for school_type in ("kindergarten", "primary", "teaching_point"):
        assert abs(by_type[school_type] - cal["school_types"][school_type]["city_count"]) <= 8


def test_the_calibration_claims_are_stated_and_the_unused_anchors_are_gone():
    cal = calibration()
    assert "city_2020" not in cal  # no anchors that no code uses
    meta = json.loads((RAW / "sample.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] and "2020" in meta["calibrated_to"] and "27,083" in meta["not_calibrated"]
    assert 2020 not in meta["years"]
    readme = (RAW / "README.md").read_text(encoding="utf-8")
    assert "在校生人数按设计的毛入学率生成" in readme and "样例没有 2020 年" in readme
    assert "calibrated to published figures" not in readme


@pytest.fixture(scope="module")
def two_years() -> dict[str, pd.DataFrame]:
    """Two consecutive years of two counties: enough for the 331 flows to meet last year's counts."""
    return build_truth(lincang_counties()[:2], [FIRST, FIRST + 1], 2023, with_city=False, with_checklist=False)


def test_grades_and_ages_add_up_to_the_stage_counts(two_years):
    enrollment = two_years["enrollment"].set_index(["school_id", "year", "stage"])["student_count"]
    grades = two_years["grade_enrollment"]
    assert set(grades["stage"]) == {"primary", "junior", "senior"}
    assert grades.groupby("stage")["grade"].max().to_dict() == {"primary": 6, "junior": 3, "senior": 3}
    by_stage = grades.groupby(["school_id", "year", "stage"])["student_count"].sum()
    assert by_stage.to_dict() == enrollment.reindex(by_stage.index).to_dict()
    first = grades[grades["grade"] == 1].set_index(["school_id", "year", "stage"])["student_count"]
    entry = two_years["enrollment"].set_index(["school_id", "year", "stage"])["entry_grade_student_count"]
    assert (first == entry.reindex(first.index)).all(), "grade 1 is the 起始年级"
    ages = two_years["kindergarten_ages"]
    assert sorted(ages["age"].unique()) == [2, 3, 4, 5, 6]
    kg = two_years["enrollment"].query("stage == 'kindergarten'").set_index(["school_id", "year"])["student_count"]
    assert ages.groupby(["school_id", "year"])["student_count"].sum().to_dict() == kg.to_dict()


def test_flows_balance_and_meet_last_years_count(two_years):
    from lcedu.ingest.schemas import FLOWS, FLOWS_IN, FLOWS_OUT

    flows = two_years["student_flows"]
    assert set(flows["flow"]) == set(FLOWS) and "vocational" not in set(flows["stage"])
    wide = flows.pivot_table(
        index=["school_id", "stage", "year"], columns="flow", values="student_count", aggfunc="sum"
    ).fillna(0)
    assert (wide >= 0).all().all()
    balance = wide["start"] + wide[list(FLOWS_IN)].sum(axis=1) - wide[list(FLOWS_OUT)].sum(axis=1)
    assert (balance == wide["end"]).all(), "start + in − out = end"
    counts = two_years["enrollment"].set_index(["school_id", "stage", "year"])
    assert (wide["end"] == counts["student_count"].reindex(wide.index)).all()
    assert (wide["admitted"] == counts["new_entrant_count"].reindex(wide.index).fillna(wide["admitted"])).all()
    later = wide.xs(FIRST + 1, level="year")
    last = counts["student_count"].xs(FIRST, level="year").reindex(later.index)
    both = last.notna()
    assert both.sum() > 100 and (later.loc[both, "start"] == last[both]).all(), "start = last year's count"


def test_school_coordinates_are_synthetic_points_inside_their_county(two_years):
    import json as json_

    import shapely

    shapes = json_.loads((RAW.parents[1] / "shapes" / "lincang_counties.geojson").read_text(encoding="utf-8"))
    county = {f["properties"]["county_code"]: shapely.geometry.shape(f["geometry"]) for f in shapes["features"]}
    schools = two_years["schools"]
    assert schools["longitude"].notna().all() and schools["latitude"].notna().all()
    for code, group in schools.groupby("county_code"):
        inside = shapely.contains_xy(county[code], group["longitude"].to_numpy(), group["latitude"].to_numpy())
        assert inside.all(), code
    stable = schools.groupby("school_id")[["longitude", "latitude"]].nunique()
    assert (stable == 1).all().all(), "a school does not move between years"
    assert schools.drop_duplicates("school_id")[["longitude", "latitude"]].duplicated().sum() == 0


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_the_sample_writes_from_the_input_layouts_not_from_measure():
    """The sample stands below measure: it writes inputs from ingest's layouts (the checklist's items too) and
    its own calibration; tests/test_imports.py keeps lcedu free of import circles."""
    folder = Path(sample_package.__file__).parent
    for path in folder.glob("*.py"):
        above = {n for n in _imports(path) if n.startswith(("lcedu.measure", "lcedu.present", "lcedu.publish"))}
        assert not above, (path.name, above)


def test_the_sample_judges_satisfaction_against_the_registrys_threshold():
    """社会认可度 ≥ 85 %: the sample's checklist and the registry's criteria say the same."""
    items = checklist_items()
    survey = items[items["dimension"] == "recognition"]
    assert len(survey) == 2 and (survey["comparison"] == "at_least").all()
    assert set(survey["threshold"]) == {calibration()["lincang"]["checklist"]["satisfaction_threshold"]}
    assert set(items["item"]) == {i["item"] for i in assessment_items()}


def test_the_sample_traces_births_back_with_the_projections_survival():
    """The census children become births by the projection's own death probabilities (ages 0–20)."""
    assert np.array_equal(child_mortality(20), cohort.death_probabilities(20))
