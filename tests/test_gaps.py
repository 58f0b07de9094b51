"""Gap-closing estimates: hand-computed additions, shared facilities, and gaps that really close."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from lcedu.home import CITY_CODE
from lcedu.measure import gaps
from lcedu.measure import indicators as ind
from lcedu.measure import standards as std
from tests.test_indicators import (
    ENROLLMENT_COLS,
    FACILITY_COLS,
    SCHOOL_COLS,
    TEACHER_COLS,
    YEAR,
    A,
    kindergarten_world,
    school,
    typed,
)


def school_world() -> dict[str, pd.DataFrame]:
    """P1: a primary school of 200 students; N1: a nine-year school of 100 primary + 50 junior students."""
    schools = [school("P1", A, "primary"), school("N1", A, "nine_year")]
    enrollment = [
        {"school_id": "P1", "stage": "primary", "student_count": 200},
        {"school_id": "N1", "stage": "primary", "student_count": 100},
        {"school_id": "N1", "stage": "junior", "student_count": 50},
    ]
    teachers = [
        # P1: 8 qualified (4.0 < 4.2), 1 backbone (0.5 < 1), 2 PE/arts (1.0 ≥ 0.9)
        {
            "school_id": "P1",
            "stage": "primary",
            "full_time_teacher_count": 12,
            "teacher_postgrad_count": 0,
            "teacher_bachelor_count": 4,
            "teacher_associate_count": 4,
            "teacher_below_associate_count": 4,
            "backbone_teacher_count": 1,
            "pe_teacher_count": 1,
            "music_teacher_count": 1,
            "art_teacher_count": 0,
        },
        # N1: plenty of teachers in both parts
        {
            "school_id": "N1",
            "stage": "primary",
            "full_time_teacher_count": 10,
            "teacher_postgrad_count": 0,
            "teacher_bachelor_count": 5,
            "teacher_associate_count": 5,
            "teacher_below_associate_count": 0,
            "backbone_teacher_count": 2,
            "pe_teacher_count": 1,
            "music_teacher_count": 1,
            "art_teacher_count": 1,
        },
        {
            "school_id": "N1",
            "stage": "junior",
            "full_time_teacher_count": 6,
            "teacher_postgrad_count": 0,
            "teacher_bachelor_count": 6,
            "teacher_associate_count": 0,
            "teacher_below_associate_count": 0,
            "backbone_teacher_count": 1,
            "pe_teacher_count": 1,
            "music_teacher_count": 0,
            "art_teacher_count": 0,
        },
    ]
    facilities = [
        # P1: rooms (900 − 100) / 200 = 4.0 < 4.5; sports (1400 + 100) / 200 = 7.5 exactly; equipment 1900 < 2000;
        # multimedia 4 / 200 × 100 = 2.0 < 2.3
        {
            "school_id": "P1",
            "teaching_aux_area_m2": 900.0,
            "indoor_sports_area_m2": 100.0,
            "sports_ground_area_m2": 1400.0,
            "equipment_value_yuan": 380_000.0,
            "multimedia_classroom_count": 4,
            "classroom_count": 8,
        },
        # N1: rooms 600 m² shared; everything else generous
        {
            "school_id": "N1",
            "teaching_aux_area_m2": 600.0,
            "indoor_sports_area_m2": 0.0,
            "sports_ground_area_m2": 5000.0,
            "equipment_value_yuan": 1_000_000.0,
            "multimedia_classroom_count": 10,
            "classroom_count": 10,
        },
    ]
    for rows in (enrollment, teachers, facilities):
        for row in rows:
            row.update(year=YEAR, county_code=A)
    return {
        "schools": typed(schools, SCHOOL_COLS),
        "enrollment": typed(enrollment, ENROLLMENT_COLS),
        "teachers": typed(teachers, TEACHER_COLS),
        "facilities": typed(facilities, FACILITY_COLS),
    }


def addition(g: pd.DataFrame, school_id: str, stage: str, indicator: str) -> float:
    row = g[(g["school_id"] == school_id) & (g["stage"] == stage) & (g["indicator"] == indicator)]
    assert len(row) == 1, (school_id, stage, indicator)
    return float(row["addition"].iloc[0])


def test_school_gaps_by_hand():
    g = gaps.school_gaps(tables=school_world())
    p1 = g[g["school_id"] == "P1"]
    assert set(p1["indicator"]) == {
        "qualified_teachers_per_100",
        "backbone_teachers_per_100",
        "teaching_room_area_per_student_m2",
        "equipment_value_per_student_yuan",
        "multimedia_classrooms_per_100",
    }  # PE/arts and sports area are met
    assert addition(g, "P1", "primary", "qualified_teachers_per_100") == 1  # 8.4 needed → 1 more teacher
    assert addition(g, "P1", "primary", "backbone_teachers_per_100") == 1  # 2 needed
    assert addition(g, "P1", "primary", "teaching_room_area_per_student_m2") == pytest.approx(100.0)  # 900 − 800
    assert addition(g, "P1", "primary", "equipment_value_per_student_yuan") == pytest.approx(20_000.0)
    assert addition(g, "P1", "primary", "multimedia_classrooms_per_100") == 1  # 4.6 needed → 5 classrooms
    assert p1["is_binding"].all()


def test_shared_facility_addition_accounts_for_the_split():
    g = gaps.school_gaps(tables=school_world())
    rooms = g[(g["school_id"] == "N1") & (g["indicator"] == "teaching_room_area_per_student_m2")].set_index("stage")
    # 小学部 share 100/155 of 600 = 387.10 m² for 450 needed → the school adds 450 × 1.55 − 600 = 97.5 m².
    assert rooms.loc["primary", "addition"] == pytest.approx(97.5)
    # 初中部 share 55/155 of 600 = 212.90 m² for 5.8 × 50 = 290 → 290 × 155/55 − 600 = 217.27… → 217.28.
    assert rooms.loc["junior", "addition"] == pytest.approx(217.28)
    assert rooms.loc["junior", "is_binding"] and not rooms.loc["primary", "is_binding"]
    summary = gaps.resource_gap_summary(gaps=g)
    county = summary[(summary["county_code"] == A) & (summary["indicator"] == "teaching_room_area_per_student_m2")]
    # Only the binding part counts: 100 (P1) + 217.28 (N1), not + 97.5.
    assert float(county["addition"].iloc[0]) == pytest.approx(317.28)
    assert int(county["school_parts_below_count"].iloc[0]) == 3
    assert int(county["schools_below_count"].iloc[0]) == 2
    city = summary[
        (summary["county_code"] == CITY_CODE) & (summary["indicator"] == "teaching_room_area_per_student_m2")
    ]
    assert float(city["addition"].iloc[0]) == pytest.approx(317.28)


def test_no_gap_rows_when_everything_meets():
    t = school_world()
    t["teachers"] = t["teachers"].assign(
        **{c: t["teachers"][c] * 10 for c in ("teacher_bachelor_count", "backbone_teacher_count")}
    )
    t["facilities"] = t["facilities"].assign(
        **{
            c: t["facilities"][c] * 10
            for c in (
                "teaching_aux_area_m2",
                "equipment_value_yuan",
                "multimedia_classroom_count",
                "sports_ground_area_m2",
            )
        }
    )
    g = gaps.school_gaps(tables=t)
    assert g.empty and list(g.columns)[:3] == ["county_code", "year", "school_id"]


def test_preschool_gaps_by_hand():
    t = kindergarten_world()
    # 120 children, 3–5 population 150, 8 teachers of whom 7 certified, 5 classes of which 1 oversize.
    p = gaps.preschool_gaps(tables=t)
    county = p[p["county_code"] == A].set_index("gap")
    assert county.loc["children_places_needed", "needed"] == 8  # 0.85 × 150 = 127.5 − 120 → 8
    assert county.loc["inclusive_places_needed", "needed"] == 6  # 0.80 × 120 = 96 − 90
    assert county.loc["public_places_needed", "needed"] == 0  # 50 % already
    assert county.loc["teachers_needed", "needed"] == 0  # 120 / 15 = 8 teachers, 8 there
    assert county.loc["oversize_classes_to_fix", "needed"] == 1  # 0.85 × 5 = 4.25 − 4 → 1
    assert county.loc["certifications_needed", "needed"] == 2  # 园长 count: (8 teachers + 3 园长) − (7 + 2) certified
    # The plan's 95 % instead of the national 85 %: 142.5 − 120 → 23 places.
    plan = gaps.preschool_gaps(tables=t, thresholds={"preschool_gross_enrollment_pct": 95})
    plan_county = plan[plan["county_code"] == A].set_index("gap")
    assert plan_county.loc["children_places_needed", "needed"] == 23


def test_preschool_gaps_na_when_input_missing():
    t = kindergarten_world()
    t["population"] = t["population"].iloc[0:0]
    p = gaps.preschool_gaps(tables=t)
    row = p[(p["county_code"] == A) & (p["gap"] == "children_places_needed")].iloc[0]
    assert row["needed"] is pd.NA and row["na_reason"] == "missing population"


def test_sample_gaps_close_when_the_additions_are_made(sample_tables):
    """Adding every binding addition to the 2025 tables brings every assessed part to every threshold."""
    year = 2025
    g = gaps.school_gaps(years=year, tables=sample_tables)
    assert len(g) > 0
    binding = g[g["is_binding"]]
    columns = {
        "qualified_teachers_per_100": "teacher_bachelor_count",
        "backbone_teachers_per_100": "backbone_teacher_count",
        "pe_arts_teachers_per_100": "pe_teacher_count",
    }
    facility_columns = {
        "teaching_room_area_per_student_m2": "teaching_aux_area_m2",
        "sports_area_per_student_m2": "sports_ground_area_m2",
        "equipment_value_per_student_yuan": "equipment_value_yuan",
        "multimedia_classrooms_per_100": "multimedia_classroom_count",
    }
    tables = {k: v[v["year"] == year] if "year" in v.columns else v for k, v in sample_tables.items()}
    teachers = tables["teachers"].copy()
    add_t = binding[binding["indicator"].isin(list(columns))]
    for code, col in columns.items():
        extra = add_t[add_t["indicator"] == code].groupby(["school_id", "stage"])["addition"].sum()
        keys = pd.MultiIndex.from_arrays([teachers["school_id"], teachers["stage"]])
        bump = extra.reindex(keys).fillna(0).to_numpy(dtype=float)
        updated = np.round(teachers[col].to_numpy(dtype=float, na_value=np.nan) + bump)
        teachers[col] = pd.array(updated, dtype="Float64").astype("Int64")  # NA stays NA
    facilities = tables["facilities"].copy()
    for code, col in facility_columns.items():
        extra = binding[binding["indicator"] == code].groupby("school_id")["addition"].sum()
        bump = extra.reindex(facilities["school_id"]).fillna(0).to_numpy(dtype=float)
        updated = facilities[col].to_numpy(dtype=float) + bump
        facilities[col] = updated.round().astype("int64") if col.endswith("_count") else updated
    after = ind.school_indicators(tables={**tables, "teachers": teachers, "facilities": facilities})
    assessed = after[after["is_assessed"]]
    flags = assessed[[f"{c}_is_met" for c in std.RESOURCE_INDICATORS]]
    assert flags.all(axis=None)


def test_sample_summary_city_is_the_sum_of_counties(sample_tables):
    s = gaps.resource_gap_summary(years=2024, tables=sample_tables)
    city = s[s["county_code"] == CITY_CODE].set_index("indicator")["addition"]
    counties = s[s["county_code"] != CITY_CODE].groupby("indicator")["addition"].sum()
    pd.testing.assert_series_equal(
        city.sort_index().astype(float), counties.sort_index().astype(float), check_names=False
    )


def test_every_gap_phrase_reads_action_amount_unit():
    """One template over every criterion's wording: 动作+数量+单位, never "38需消除的…" (a label after a number)."""
    gp = gaps
    criteria = [c for c in ind.load_registry().assessments["preschool_universal"]["criteria"] if "gap" in c]
    assert len(criteria) >= 6
    for c in criteria:
        zh = gp.gap_phrase(c["gap_zh"], 3571, c.get("gap_unit_zh", ""), c.get("gap_note_zh", ""))
        assert re.fullmatch(r"(新增|消除|专任教师取得)[^\d需]+3,571[^\d需（]+(（[^）]+）)?", zh), zh
        assert c.get("gap_unit_zh"), c["gap"]  # every amount has its unit
        en = gp.gap_phrase(c["gap_en"], 38, c.get("gap_unit_en", ""), lang="en")
        assert re.fullmatch(r"[a-z][a-z -]+: 38 [a-z]+", en), en
    assert gp.gap_phrase("新增专任教师", 75, "人") == "新增专任教师75人"
    assert gp.gap_phrase("消除超标班额", 38, "个班") == "消除超标班额38个班"
    assert gp.gap_phrase("新增普惠性学位", 3571, "个", "在园总数不变") == "新增普惠性学位3,571个（在园总数不变）"
    assert gp.gap_phrase("新增专任教师", None, "人") == ""
