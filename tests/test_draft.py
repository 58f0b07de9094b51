"""`lcedu plan draft` proposes the final year's values from the projections, not straight lines (issue 24 §5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lcedu import cli
from lcedu.ingest import store
from lcedu.measure import draft_projected as dp
from lcedu.measure.draft import draft_plan, draft_yaml
from lcedu.measure.plan import load_plan, load_targets

TEST_PLAN = str(Path(__file__).resolve().parent / "data" / "plans" / "next_plan_test" / "targets.yml")
COUNTY, CITY, OTHER = "530902", "530900", "530921"  # OTHER: in the results, not in the projections
SCENARIOS = {"low": 0.9, "medium": 1.0, "high": 1.1}
BANDS = {"lower": 0.8, "point": 1.0, "upper": 1.2}


def _results() -> pd.DataFrame:
    """毛入园率 80 → 86 (2022–2025) and a % indicator the projections do not cover (50 → 56)."""
    rows = []
    for county in (COUNTY, CITY, OTHER):
        for i, year in enumerate(range(2022, 2026)):
            rows.append(("preschool_gross_enrollment_pct", county, year, 80.0 + 2 * i))
            rows.append(("compulsory_certified_teacher_pct", county, year, 50.0 + 2 * i))
    return pd.DataFrame(rows, columns=["indicator", "county_code", "year", "value"]).astype({"year": "Int64"})


def _grid(**columns) -> pd.DataFrame:
    """Every scenario × band with the column values scaled by both (plain rows of one county, 2030)."""
    rows = []
    for scenario, s in SCENARIOS.items():
        for band, b in BANDS.items():
            rows.append({"scenario": scenario, "band": band, **{k: v * s * b for k, v in columns.items()}})
    return pd.DataFrame(rows)


def _tables() -> dict[str, pd.DataFrame]:
    """A one-county build: 在园 1,000 now and 800 × scenario × band in 2030; ages 3–5 1,250 now and 1,000 in 2030."""
    kg = _grid(student_count=800.0).assign(
        level="county",
        county_code=COUNTY,
        school_id=pd.NA,
        stage="kindergarten",
        grade=pd.NA,
        year=2030,
        launch_year=2025,
        is_default_method=True,
        method="births_ratio",
    )
    primary = kg.assign(stage="primary", student_count=kg["student_count"] * 5)
    projections = pd.concat([kg, primary], ignore_index=True).astype({"grade": "Int64", "year": "Int64"})
    pop = [
        {"county_code": COUNTY, "year": y, "sex": sex, "age": age, "population": n / 6, "scenario": sc}
        for sc in SCENARIOS
        for y, n in ((2025, 1250.0), (2030, 1000.0))
        for sex in ("female", "male")
        for age in (3, 4, 5)
    ]
    pop.append({"county_code": COUNTY, "year": 2030, "sex": "male", "age": 6, "population": 5e6, "scenario": "medium"})
    ages = pd.DataFrame({"county_code": COUNTY, "year": 2025, "age": [3, 4, 5], "student_count": [300, 350, 350]})
    teachers = _grid(staff_needed=100.0).assign(county_code=COUNTY, stage="primary", year=2030, staff_in_post=120.0)
    teachers["staff_supply"] = 105.0
    teachers["staff_gap"] = teachers["staff_supply"] - teachers["staff_needed"]
    places = _grid(capacity=1.0).assign(
        level="county", county_code=COUNTY, stage="primary", year=2030, launch_year=2025, capacity=5000.0
    )
    places["spare_places"] = 5000.0 - primary["student_count"].to_numpy()
    places["classes_needed"] = np.ceil(primary["student_count"].to_numpy() / 45)
    small = pd.DataFrame(
        [
            # school a: below 50 already; b: below 50 from 2029 only in low; c: below in 2032 (after 2030)
            ("a", "medium", "point", pd.NA, True),
            ("b", "low", "point", 2029, False),
            ("b", "medium", "lower", 2030, False),
            ("c", "medium", "point", 2032, False),
        ],
        columns=["school_id", "scenario", "band", "first_year_below", "is_below_at_launch"],
    ).assign(county_code=COUNTY, stage="primary", threshold=50, launch_year=2025)
    small = small.astype({"first_year_below": "Int64", "is_below_at_launch": "boolean"})
    return {
        "projections": projections,
        "projection_population": pd.DataFrame(pop).astype({"year": "Int64", "age": "Int64"}),
        "kindergarten_ages": ages.astype({"year": "Int64"}),
        "planning_teachers": teachers.astype({"year": "Int64"}),
        "planning_places": places.astype({"year": "Int64"}),
        "planning_small_schools": small,
    }


def _draft(tables: dict | None) -> dict:
    return draft_plan(TEST_PLAN, 2025, range(2026, 2031), results=_results(), projection_tables=tables)


def _entry(draft: dict, **match) -> dict:
    return next(d for d in draft["draft"] if all(d.get(k) == v for k, v in match.items()))


def test_preschool_rate_follows_the_shrinking_age_3_to_5_denominator():
    draft = _draft(_tables())
    entry = _entry(draft, indicator="preschool_gross_enrollment_pct")
    assert entry["basis"] == "projections"
    assert (entry["source"]["scenario"], entry["source"]["range_scenarios"]) == ("medium", ["low", "high"])
    county = entry["counties"][COUNTY]
    assert "projected_not_target" not in county and "trend_per_year" not in county
    # projection basis: now 1000 / 1250 = 80 %; 2030 800 / 1000 = 80 % (medium) → the baseline 86 % stays 86 %,
    # although 在园 fall by a fifth (a straight line would say 93.8 %).
    assert county["projection_basis"]["launch_rate"] == pytest.approx(80.0)
    proposed = county["proposed"]
    assert proposed["year"] == 2030 and proposed["value"] == pytest.approx(86.0)
    assert proposed["range"] == pytest.approx([86 * 0.9, 86 * 1.1])
    assert proposed["band"] == pytest.approx([86 * 0.8, 86 * 1.2])
    uncovered = entry["counties"][OTHER]
    assert uncovered["basis"] == "linear_trend" and uncovered["projected_not_target"][2030] == pytest.approx(96.0)
    other = _entry(draft, indicator="compulsory_certified_teacher_pct")
    assert other["basis"] == "linear_trend" and "do not cover" in other["basis_note"]
    assert other["counties"][COUNTY]["projected_not_target"][2030] == pytest.approx(66.0)


def test_pupils_teachers_places_and_small_schools_name_their_table():
    draft = _draft(_tables())
    pupils = _entry(draft, measure="pupils", stage="primary")
    assert pupils["source"]["table"] == "projections"
    assert pupils["counties"][COUNTY]["proposed"]["value"] == pytest.approx(4000)
    assert pupils["counties"][CITY]["proposed"]["range"] == pytest.approx([3600, 4400])
    gap = _entry(draft, measure="staff_gap", stage="primary")["counties"][COUNTY]
    assert gap["proposed"]["value"] == pytest.approx(5.0) and gap["staff_in_post_at_launch"] == 120
    assert gap["proposed"]["band"] == pytest.approx([-15.0, 25.0])  # smaller first
    spare = _entry(draft, measure="spare_places", stage="primary")
    assert spare["source"]["table"] == "planning_places"
    assert spare["counties"][COUNTY]["proposed"]["value"] == pytest.approx(1000)
    small = _entry(draft, measure="schools_below_50", stage="primary")
    assert small["source"]["threshold"] == 50
    got = small["counties"][COUNTY]["proposed"]
    assert (got["value"], got["range"], got["band"]) == (1, [0, 1], [0, 1])
    assert _entry(draft, measure="schools_below_50")["counties"][CITY]["proposed"]["value"] == 1


def test_without_projections_every_indicator_keeps_its_trend_and_the_header_says_why():
    draft = _draft({})
    entry = _entry(draft, indicator="preschool_gross_enrollment_pct")
    assert entry["basis"] == "linear_trend" and "projection_population" in entry["basis_note"]
    assert entry["counties"][COUNTY]["projected_not_target"][2030] == pytest.approx(96.0)
    assert not [d for d in draft["draft"] if "measure" in d]
    text = draft_yaml(draft)
    assert "the build lacks: projections" in text and "&id" not in text


def test_the_draft_file_is_a_valid_plan_with_projected_values(processed_sample, tmp_path):
    out = tmp_path / "draft.yml"
    assert cli.main(["plan", "draft", "--baseline", "2025", "--years", "2026-2030", "--out", str(out)]) == 0
    assert load_plan(out)["status"] == "draft" and load_targets(out).empty
    text = out.read_text(encoding="utf-8")
    assert "the build lacks" not in text and "&id" not in text
    draft = yaml.safe_load(text)["draft"]
    ger = next(d for d in draft if d.get("indicator") == "preschool_gross_enrollment_pct")
    assert ger["basis"] == "projections"
    teachers = store.load("planning_teachers")
    row = teachers[
        (teachers["county_code"] == COUNTY)
        & (teachers["stage"] == "primary")
        & (teachers["year"] == 2030)
        & (teachers["scenario"] == "medium")
        & (teachers["band"] == "point")
    ]
    need = next(d for d in draft if d.get("measure") == "staff_needed" and d["stage"] == "primary")
    assert need["counties"][COUNTY]["proposed"]["value"] == pytest.approx(float(row["staff_needed"].iloc[0]), abs=0.01)
    covered = {d["indicator"] for d in draft if d.get("basis") == "projections" and "indicator" in d}
    assert covered == set(dp.PROJECTED_INDICATORS)
    for d in draft:
        for c in d["counties"].values():
            if "proposed" in c and c["proposed"]["value"] is not None:
                lo, hi = c["proposed"]["band"]
                assert lo <= c["proposed"]["value"] <= hi
