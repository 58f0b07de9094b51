"""The sample is calibrated to what data/raw/README.md, sample.json and calibration.yml say, and no more."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

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
