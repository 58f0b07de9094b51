"""Scorecard: targets joined by code, year and scope; gap, is_met, trend, rank and spread by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lcedu.home import CITY_CODE
from lcedu.measure.plan import COLUMNS as TARGET_COLUMNS
from lcedu.measure.scorecard import (
    COLUMNS,
    expand_targets,
    scorecard,
    scorecard_labels,
    target_counts,
)

CITY = CITY_CODE
A, B = "530902", "530921"


def results(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    """A compute()-shaped frame from (county, year, indicator, value)."""
    frame = pd.DataFrame(rows, columns=["county_code", "year", "indicator", "value"])
    value = frame["value"].astype(float)
    return pd.DataFrame(
        {
            "county_code": frame["county_code"].astype("string"),
            "year": frame["year"].astype("Int64"),
            "indicator": frame["indicator"].astype("string"),
            "value": pd.array(value.to_numpy(), dtype="Float64"),
            "numerator": pd.array(np.full(len(frame), np.nan), dtype="Float64"),
            "denominator": pd.array(np.full(len(frame), np.nan), dtype="Float64"),
            "unit": pd.array(["%"] * len(frame), dtype="string"),
            "na_reason": pd.array([None if not math.isnan(v) else "missing population" for v in value], dtype="string"),
        }
    )


def target(
    indicator: str,
    year: int,
    value: float,
    comparison: str = "at_least",
    scope: str = "city",
    counties: tuple[str, ...] = (),
    **extra,
) -> dict:
    row = {
        "plan": "test",
        "entry": 1,
        "indicator": indicator,
        "name_zh": indicator,
        "name_en": indicator,
        "year": year,
        "scope": scope,
        "counties": counties,
        "comparison": comparison,
        "value": value,
        "value_max": math.nan,
        "strict": False,
        "unit": "%",
        "clause": "三(四)",
        "quote": "q",
        "restated": (),
        "condition": (),
        "note": "",
    }
    row.update(extra)
    return row


def targets(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(TARGET_COLUMNS))


def row_of(card: pd.DataFrame, county: str, year: int, indicator: str) -> pd.Series:
    sel = card[(card["county_code"] == county) & (card["year"] == year) & (card["indicator"] == indicator)]
    assert len(sel) == 1
    return sel.iloc[0]


GROSS = "preschool_gross_enrollment_pct"


def test_gap_met_change_and_trend_by_hand():
    res = results(
        [(CITY, 2022, GROSS, 80.0), (CITY, 2023, GROSS, 85.0), (CITY, 2024, GROSS, 90.0), (CITY, 2025, GROSS, 94.0)]
    )
    card = scorecard(results=res, targets=targets(target(GROSS, 2025, 95.0)), tables={})
    r24 = row_of(card, CITY, 2024, GROSS)
    # No target in 2024 itself: the row is judged against the next one, 95 in 2025, not yet due —
    # neither met nor missed (status not_due); the trend speaks for it.
    assert r24["target"] == 95 and r24["target_year"] == 2025 and not r24["is_target_due"]
    assert r24["status"] == "not_due" and r24["is_met"] is pd.NA
    assert r24["next_target_year"] == 2025 and r24["next_target"] == 95
    # Baseline 2022 = 80 → change 10.
    assert r24["baseline_year"] == 2022 and r24["change_since_baseline"] == pytest.approx(10.0)
    # Line through (2022, 80), (2023, 85), (2024, 90): slope 5 → 95 in 2025 → on track.
    assert r24["projected_value"] == pytest.approx(95.0) and bool(r24["is_on_track"])
    r25 = row_of(card, CITY, 2025, GROSS)
    # 2025: value 94 against 95 → gap 1, not met; in the target year on-track is is_met.
    assert r25["target"] == 95 and r25["gap"] == pytest.approx(1.0)
    assert not r25["is_met"] and not r25["is_on_track"]
    # One point only → no trend.
    assert row_of(card, CITY, 2022, GROSS)["is_on_track"] is pd.NA


def test_trend_short_of_a_higher_target_is_not_on_track():
    res = results([(CITY, 2022, GROSS, 80.0), (CITY, 2023, GROSS, 85.0)])
    card = scorecard(results=res, targets=targets(target(GROSS, 2025, 96.0)), tables={})
    r = row_of(card, CITY, 2023, GROSS)
    assert r["projected_value"] == pytest.approx(95.0) and not r["is_on_track"]


def test_comparisons_strict_range_and_reach():
    res = results(
        [
            (CITY, 2025, "dual_qualified_teacher_pct", 50.0),
            (CITY, 2025, "provincial_first_class_major_count", 9.0),
            (CITY, 2024, "provincial_first_class_major_count", 9.0),
            (CITY, 2023, "provincial_first_class_major_count", 4.0),
            (A, 2024, "preschool_universal", 0.0),
            (A, 2025, "preschool_universal", 1.0),
            (B, 2024, "preschool_universal", 1.0),
            (B, 2025, "preschool_universal", 0.0),
            (CITY, 2025, "children_per_kindergarten_teacher", 14.0),
        ]
    )
    tg = targets(
        target("dual_qualified_teacher_pct", 2025, 50.0, strict=True),  # 超过50%
        target("provincial_first_class_major_count", 2025, 5.0, "count_at_least", value_max=8.0),  # 5至8个: a floor
        target("provincial_first_class_major_count", 2024, 5.0, "range", value_max=8.0),  # a true band (another plan)
        target("provincial_first_class_major_count", 2023, 5.0, "count_at_least", value_max=8.0),
        target("preschool_universal", 2025, math.nan, "reach", "counties", (A, B)),
        target("children_per_kindergarten_teacher", 2025, 15.0, "at_most"),
    )
    card = scorecard(results=res, targets=tg, tables={})
    dual = row_of(card, CITY, 2025, "dual_qualified_teacher_pct")
    assert not dual["is_met"] and dual["gap"] == 0  # exactly 50 is not 超过 50
    floor = row_of(card, CITY, 2025, "provincial_first_class_major_count")
    assert floor["is_met"] and floor["status"] == "met"  # 9 majors meet 建成5至8个
    assert not row_of(card, CITY, 2023, "provincial_first_class_major_count")["is_met"]  # 4 < 5
    from lcedu.present.briefing import target_text
    from lcedu.present.narrative import verdict

    words = target_text(floor.to_dict() | {"unit": "个"}, "zh")
    assert words.startswith("至少5个（规划区间5至8个）") and "≥" not in words
    assert "至少5个（规划区间5至8个）" in verdict(floor.to_dict() | {"unit": "个"}, "zh")
    assert "at least 5" in target_text(floor.to_dict() | {"unit": "个"}, "en")
    above = row_of(card, CITY, 2024, "provincial_first_class_major_count")
    assert not above["is_met"] and above["gap"] == pytest.approx(1.0)  # 9 is 1 above the range 5–8
    assert above["status"] == "not_met" and above["target_scope"] == "city"
    assert row_of(card, A, 2025, "preschool_universal")["is_met"]
    assert not row_of(card, B, 2025, "preschool_universal")["is_met"]
    # A yes/no state has no trend: NA before it is reached, on track once reached.
    assert row_of(card, A, 2024, "preschool_universal")["is_on_track"] is pd.NA
    assert row_of(card, B, 2024, "preschool_universal")["is_on_track"]
    at_most = row_of(card, CITY, 2025, "children_per_kindergarten_teacher")
    assert at_most["is_met"] and at_most["gap"] == pytest.approx(-1.0)


def test_rank_follows_direction_and_spread_by_hand():
    res = results(
        [
            (A, 2025, "children_per_kindergarten_teacher", 10.0),
            (B, 2025, "children_per_kindergarten_teacher", 12.0),
            (CITY, 2025, "children_per_kindergarten_teacher", 11.0),
            (A, 2025, GROSS, 10.0),
            (B, 2025, GROSS, 12.0),
            (CITY, 2025, GROSS, 11.0),
        ]
    )
    card = scorecard(results=res, targets=targets(target(GROSS, 2025, 95.0)), tables={})
    # Fewer children per teacher is better: A (10) ranks first; a higher 毛入园率 is better: B first.
    assert row_of(card, A, 2025, "children_per_kindergarten_teacher")["rank"] == 1
    assert row_of(card, B, 2025, GROSS)["rank"] == 1
    assert row_of(card, CITY, 2025, GROSS)["rank"] is pd.NA
    r = row_of(card, CITY, 2025, GROSS)
    # Across counties (not the city row): max/min = 12/10; CV = population std 1 / mean 11.
    assert r["spread_max_min_ratio"] == pytest.approx(1.2)
    assert r["spread_cv"] == pytest.approx(1 / 11)
    labels = scorecard_labels("zh"), scorecard_labels("en")
    assert labels[0]["spread_cv"] == "县际离散系数（各县指标值未加权变异系数）"  # not the national 差异系数
    assert labels[1]["spread_cv"] == "Inter-county coefficient of variation (unweighted)"
    assert r["rank_count"] is pd.NA and row_of(card, A, 2025, GROSS)["rank_count"] == 2


def test_na_value_is_never_met_and_keeps_its_reason():
    res = results([(CITY, 2025, GROSS, math.nan)])
    card = scorecard(results=res, targets=targets(target(GROSS, 2025, 95.0)), tables={})
    r = row_of(card, CITY, 2025, GROSS)
    assert r["is_met"] is pd.NA and r["gap"] is pd.NA and r["na_reason"] == "missing population"


def test_population_condition_narrows_each_county_scope():
    code = "special_school_coverage_large_county_pct"
    tg = targets(target(code, 2025, 100.0, scope="each_county", condition=(("population_over", 200000.0),)))
    population = pd.DataFrame(
        {
            "county_code": pd.array([A, B], dtype="string"),
            "year": pd.array([2025, 2025], dtype="Int64"),
            "resident_population": pd.array([250_000, 150_000], dtype="Int64"),
        }
    )
    expanded = expand_targets(tg, [A, B, CITY], population)
    assert list(expanded["county_code"]) == [A]


def test_labels_cover_every_column():
    for lang in ("zh", "en"):
        labels = scorecard_labels(lang)
        assert set(COLUMNS) <= set(labels)
    assert scorecard_labels("zh")["is_met"] == "是否达标"
    with pytest.raises(ValueError):
        scorecard_labels("fr")


def test_sample_scorecard(sample_tables):
    card = scorecard(tables=sample_tables)
    assert list(card.columns) == list(COLUMNS)
    city = row_of(card, CITY, 2025, GROSS)
    assert city["target"] == 95 and city["target_clause"] == "三(四)"
    assert bool(city["is_met"]) == (city["value"] >= 95)
    assert city["county_name_zh"] == "临沧市"
    # County-level target rows: 一村一幼 applies to every county in 2025.
    village = card[
        (card["indicator"] == "village_kindergarten_coverage_pct")
        & (card["year"] == 2025)
        & (card["county_code"] != CITY)
    ]
    assert village["target"].notna().all() and len(village) == 8
    assert set(village["rank"]) <= set(range(1, 9))
    # Filters.
    one = scorecard("530924", 2025, tables=sample_tables, targeted_only=True)
    assert set(one["county_code"]) == {"530924"} and set(one["year"]) == {2025} and one["target"].notna().all()
    assert row_of(one, "530924", 2025, "preschool_universal")["is_met"]


def test_carried_forward_and_city_reference_targets():
    res = results(
        [
            (A, 2024, GROSS, 90.0),
            (A, 2025, GROSS, 96.0),
            (B, 2025, GROSS, 99.0),
            (CITY, 2025, GROSS, 97.0),
            (A, 2025, "village_kindergarten_coverage_pct", 80.0),
        ]
    )
    tg = targets(
        target(GROSS, 2024, 95.0),  # a city rate target: a reference for the counties
        target(GROSS, 2025, 98.0, scope="counties", counties=(B,)),  # B's own target
        target("village_kindergarten_coverage_pct", 2024, 85.0, scope="each_county"),
    )
    card = scorecard(results=res, targets=tg, tables={})
    # The 2024 city target stays in force in 2025 for the city and, as a reference, for A, but it is
    # judged at its own year: the city has no 2024 value (无数据), A had 90 < 95 in 2024 (未达标).
    # The 2025 values reach it: that is progress (is_met_now), never the 2024 verdict.
    city = row_of(card, CITY, 2025, GROSS)
    assert city["target_year"] == 2024 and city["target_scope"] == "city" and city["status"] == "no_data"
    assert city["is_met_now"] and pd.isna(city["target_year_value"])
    a = row_of(card, A, 2025, GROSS)
    assert a["target_scope"] == "city_reference" and a["target"] == 95
    assert a["status"] == "not_met" and not a["is_met"] and a["is_met_now"]
    assert a["target_year_value"] == 90 and a["value"] == 96 and a["gap"] == 5 and a["gap_class"] == "far"
    # B has its own target: the reference does not replace it.
    b = row_of(card, B, 2025, GROSS)
    assert b["target_scope"] == "county" and b["target"] == 98 and b["status"] == "met" and b["gap_class"] == "met"
    # A past target without a value in its own year has no verdict, and is not "on track".
    village = row_of(card, A, 2025, "village_kindergarten_coverage_pct")
    assert village["status"] == "no_data" and village["target_year"] == 2024 and not village["is_met_now"]
    without = scorecard(results=res, targets=tg, tables={}, city_reference=False)
    assert row_of(without, A, 2025, GROSS)["target"] is pd.NA


def test_a_past_target_is_judged_at_its_own_year_and_later_values_are_progress():
    res = results([(A, 2024, GROSS, 93.9), (A, 2025, GROSS, 100.0), (B, 2024, GROSS, 100.0), (B, 2025, GROSS, 99.0)])
    tg = targets(target(GROSS, 2024, 100.0, scope="each_county"))
    card = scorecard(results=res, targets=tg, tables={})
    a = row_of(card, A, 2025, GROSS)
    assert a["status"] == "not_met" and a["target_year_value"] == pytest.approx(93.9) and a["is_met_now"]
    b = row_of(card, B, 2025, GROSS)
    assert b["status"] == "met" and not b["is_met_now"]  # met in its year; the later dip is shown, not re-judged


def test_target_counts_by_target_at_its_latest_due_point_with_points_beside():
    points = pd.DataFrame(
        {
            "county_code": [A, A, A, B],
            "as_of_year": [2025, 2025, 2025, 2025],
            "indicator": ["x", "x", "y", "x"],
            "target_year": [2024, 2025, 2026, 2025],
            "status": ["not_met", "met", "not_due", "no_data"],
            "is_on_track": [pd.NA, pd.NA, True, pd.NA],
        }
    )
    counts = target_counts(points).set_index("county_code")
    # A: x judged at 2025 (met; its 2024 point stays not met and is counted as a point), y not yet due.
    assert counts.loc[A, ["targets", "met", "not_met", "not_due", "not_due_on_track", "no_data"]].tolist() == [
        2,
        1,
        0,
        1,
        1,
        0,
    ]
    assert counts.loc[A, ["points", "points_met", "points_not_met", "points_not_due"]].tolist() == [3, 1, 1, 1]
    assert counts.loc[A, "met_pct"] == 100 and pd.isna(counts.loc[B, "met_pct"])
    assert counts.loc[B, ["targets", "no_data"]].tolist() == [1, 1]
