"""The measure layer's per-school / per-county frames the topic pages list, on hand-built tables.

Every number is worked out by hand; a missing input must give NA with a reason (never 0); and
where a registry indicator counts the same thing, the indicator and the listing must agree.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcedu.home import CITY_CODE
from lcedu.measure import gaps, schools, teachers
from lcedu.measure import indicators as ind
from lcedu.measure import standards as std
from tests.test_indicators import (
    ENROLLMENT_COLS,
    FACILITY_COLS,
    SCHOOL_COLS,
    TEACHER_COLS,
    YEAR,
    A,
    B,
    school,
    typed,
)

REPO = Path(__file__).resolve().parents[1]


def rows_for(rows: list[dict], county: str = A) -> list[dict]:
    for row in rows:
        row.setdefault("year", YEAR)
        row.setdefault("county_code", county)
    return rows


# --------------------------------------------------------------------------- school size and classes


def size_world(missing: bool = False) -> dict[str, pd.DataFrame]:
    """A: P1 primary 2100 (> 2000), N1 nine-year 1500 + 900 (≤ 2500), J1 junior 2000 (= cap), S1 special school."""
    frame = [
        school("P1", A, "primary"),
        school("N1", A, "nine_year"),
        school("J1", A, "junior"),
        school("S1", A, "special"),
        school("Q1", B, "primary"),
    ]
    enrollment = rows_for(
        [
            {
                "school_id": "P1",
                "stage": "primary",
                "student_count": 2100,
                "oversize_class_count": 2,
                "large_class_count": 1,
            },
            {
                "school_id": "N1",
                "stage": "primary",
                "student_count": 1500,
                "oversize_class_count": 0,
                "large_class_count": 0,
            },
            {
                "school_id": "N1",
                "stage": "junior",
                "student_count": None if missing else 900,
                "oversize_class_count": 1,
                "large_class_count": 0,
            },
            {
                "school_id": "J1",
                "stage": "junior",
                "student_count": 2000,
                "oversize_class_count": 0,
                "large_class_count": 0,
            },
            {"school_id": "S1", "stage": "special", "student_count": 80},
        ]
    ) + rows_for(
        [
            {
                "school_id": "Q1",
                "stage": "primary",
                "student_count": 300,
                "oversize_class_count": 0,
                "large_class_count": 0,
            }
        ],
        B,
    )
    return {"schools": typed(frame, SCHOOL_COLS), "enrollment": typed(enrollment, ENROLLMENT_COLS)}


def test_school_sizes_by_hand():
    s = schools.school_sizes(size_world()).set_index("school_id")
    assert list(s.index) == ["J1", "N1", "P1", "Q1"]  # only schools with 小学 / 初中 students; S1 is not one
    assert s.loc["N1", "student_count"] == 2400 and s.loc["N1", "size_cap"] == 2500
    assert s.loc["P1", "size_cap"] == 2000 and bool(s.loc["P1", "is_over_size_cap"])
    assert not bool(s.loc["N1", "is_over_size_cap"])
    assert not bool(s.loc["J1", "is_over_size_cap"])  # exactly at the cap is within it
    assert (s.loc["P1", "oversize_class_count"], s.loc["P1", "large_class_count"]) == (2, 1)
    # Listed on the page: over the cap (P1) or with an oversize class (N1); J1 and Q1 are fine.
    assert s["has_size_problem"].to_dict() == {"J1": False, "N1": True, "P1": True, "Q1": False}
    assert s["na_reason"].isna().all()


def test_school_size_with_a_missing_count_is_na_not_smaller():
    s = schools.school_sizes(size_world(missing=True)).set_index("school_id")
    assert s.loc["N1", "student_count"] is pd.NA  # not 1500
    assert s.loc["N1", "is_over_size_cap"] is pd.NA
    assert s.loc["N1", "na_reason"] == "missing enrollment.student_count"
    assert bool(s.loc["N1", "has_size_problem"])  # its oversize class is still known


def test_size_cap_indicator_counts_the_listing():
    for missing in (False, True):
        t = size_world(missing)
        listing = schools.school_sizes(t)
        r = ind.compute("compulsory_school_over_size_cap_count", tables=t)
        for county in (A, B):
            row = r[r["county_code"] == county].iloc[0]
            mine = listing[listing["county_code"] == county]
            if mine["is_over_size_cap"].isna().any():
                assert row["value"] is pd.NA and row["na_reason"] == "missing enrollment.student_count"
            else:
                assert row["value"] == int(mine["is_over_size_cap"].sum())
                assert row["denominator"] == int(mine["size_cap"].notna().sum())
    assert (
        ind.compute("compulsory_school_over_size_cap_count", tables=size_world())
        .query("county_code == @A")["value"]
        .iloc[0]
        == 1
    )


def test_school_size_caps_come_from_the_standards():
    custom = std.load_standards()
    custom["compulsory_quality_balance"]["school_size_max"]["value"]["primary"] = 2200
    s = schools.school_sizes(size_world(), standards=custom).set_index("school_id")
    assert s.loc["P1", "size_cap"] == 2200 and not bool(s.loc["P1", "is_over_size_cap"])
    assert std.school_size_caps()["nine_year"] == 2500 and std.class_size_caps() == {"primary": 45, "junior": 50}


# --------------------------------------------------------------------------- campuses


def test_campus_status_scope_and_missing_flags():
    frame = [school("P1", A, "primary"), school("K1", A, "kindergarten"), school("T1", A, "teaching_point")]
    facilities = rows_for(
        [
            {"school_id": "P1", "has_fiber_network": False, "is_safe_campus": True},
            {"school_id": "K1", "has_fiber_network": False, "is_safe_campus": False},
            {"school_id": "T1", "has_fiber_network": None, "is_safe_campus": False},
        ]
    )
    c = schools.campus_status(
        {"schools": typed(frame, SCHOOL_COLS), "facilities": typed(facilities, FACILITY_COLS)}
    ).set_index("school_id")
    assert c["is_primary_secondary"].to_dict() == {"K1": False, "P1": True, "T1": True}
    assert (
        c.loc["T1", "has_fiber_network"] is pd.NA and c.loc["T1", "na_reason"] == "missing facilities.has_fiber_network"
    )
    # What the digital page counts: 中小学 known not to be on fibre → P1 only (K1 is out of scope, T1 unknown).
    no_fiber = c[c["is_primary_secondary"] & c["has_fiber_network"].eq(False).fillna(False)]
    assert list(no_fiber.index) == ["P1"]
    assert set(c.index[c["is_safe_campus"].eq(False).fillna(False)]) == {"K1", "T1"}
    assert ind.school_type_group("primary_secondary")[:2] == ("primary", "teaching_point")
    with pytest.raises(ValueError, match="unknown school type group"):
        ind.school_type_group("nonsense")


# --------------------------------------------------------------------------- vocational schools


def test_vocational_schools_share_by_hand_and_na():
    frame = [school("V1", A, "vocational"), school("V2", A, "vocational"), school("P1", A, "primary")]
    teacher_rows = rows_for(
        [
            {
                "school_id": "V1",
                "stage": "vocational",
                "full_time_teacher_count": 50,
                "vocational_subject_teacher_count": 40,
                "dual_qualified_teacher_count": 22,
            },
            {
                "school_id": "V2",
                "stage": "vocational",
                "full_time_teacher_count": 5,
                "vocational_subject_teacher_count": 0,
                "dual_qualified_teacher_count": 0,
            },
        ]
    )
    enrollment = rows_for([{"school_id": "V1", "stage": "vocational", "student_count": 900}])
    v = schools.vocational_schools(
        {
            "schools": typed(frame, SCHOOL_COLS),
            "teachers": typed(teacher_rows, TEACHER_COLS),
            "enrollment": typed(enrollment, ENROLLMENT_COLS),
        }
    ).set_index("school_id")
    assert list(v.index) == ["V1", "V2"]
    assert v.loc["V1", "dual_qualified_pct"] == pytest.approx(55.0)  # 22 / 40
    assert v.loc["V1", "student_count"] == 900
    assert v.loc["V2", "dual_qualified_pct"] is pd.NA and v.loc["V2", "na_reason"] == "no vocational subject teachers"
    assert v.loc["V2", "student_count"] is pd.NA  # no enrollment row: unknown, not 0


def test_vocational_listing_agrees_with_the_indicator_for_one_school():
    frame = [school("V1", A, "vocational")]
    teacher_rows = rows_for(
        [
            {
                "school_id": "V1",
                "stage": "vocational",
                "vocational_subject_teacher_count": 40,
                "dual_qualified_teacher_count": 22,
                "full_time_teacher_count": 50,
            }
        ]
    )
    t = {"schools": typed(frame, SCHOOL_COLS), "teachers": typed(teacher_rows, TEACHER_COLS)}
    r = ind.compute("dual_qualified_teacher_pct", tables=t)
    assert float(r[r["county_code"] == A]["value"].iloc[0]) == pytest.approx(
        float(schools.vocational_schools(t)["dual_qualified_pct"].iloc[0])
    )


# --------------------------------------------------------------------------- special schools, trusteeship


def test_special_school_provision():
    frame = [school("X1", A, "special"), school("X2", A, "special"), school("P1", B, "primary")]
    pop = typed(
        [
            {"county_code": A, "year": YEAR, "resident_population": 250_000},
            {"county_code": B, "year": YEAR, "resident_population": 150_000},
        ],
        ["county_code", "year", "resident_population"],
    )
    p = schools.special_school_provision(
        {"schools": typed(frame, SCHOOL_COLS), "population": pop}, population_over=200_000
    ).set_index("county_code")
    assert len(p) == 8  # every county of the registry, also those without data
    assert bool(p.loc[A, "is_required"]) and bool(p.loc[A, "is_met"])
    assert p.loc[A, "special_school_count"] == 2 and p.loc[A, "special_school_names"] == "学校X1、学校X2"
    assert not bool(p.loc[B, "is_required"]) and p.loc[B, "is_met"] is pd.NA  # not required: no verdict
    other = p.drop(index=[A, B])
    assert other["is_required"].isna().all() and (other["na_reason"] == "missing population.resident_population").all()
    assert schools.special_school_population_threshold() == 200_000  # from the plan's targets file


def test_high_school_trusteeship_missing_is_na():
    ledger = typed(
        [
            {"county_code": A, "year": YEAR, "trusteeship_high_school_count": 2},
            {"county_code": B, "year": YEAR, "trusteeship_high_school_count": None},
        ],
        ["county_code", "year", "trusteeship_high_school_count"],
    )
    h = schools.high_school_trusteeship({"ledger": ledger}).set_index("county_code")
    assert h.loc[A, "trusteeship_high_school_count"] == 2
    assert h.loc[B, "trusteeship_high_school_count"] is pd.NA
    assert h.loc[B, "na_reason"] == "missing ledger.trusteeship_high_school_count"


# --------------------------------------------------------------------------- teachers


def teacher_world(missing: bool = False) -> dict[str, pd.DataFrame]:
    frame = [
        school("P1", A, "primary"),
        school("P2", A, "primary"),
        school("T1", A, "teaching_point"),
        school("J1", A, "junior"),
    ]
    teacher_rows = rows_for(
        [
            {
                "school_id": "P1",
                "stage": "primary",
                "staff_count": 5,
                "full_time_teacher_count": 4,
                "teacher_postgrad_count": 0,
                "teacher_bachelor_count": 3,
                "teacher_associate_count": 1,
                "teacher_below_associate_count": 0,
                "pe_teacher_count": 1,
                "music_teacher_count": 0,
                "art_teacher_count": 0,
            },
            {
                "school_id": "P2",
                "stage": "primary",
                "staff_count": 4,
                "full_time_teacher_count": 4,
                "teacher_postgrad_count": 1,
                "teacher_bachelor_count": 2,
                "teacher_associate_count": None if missing else 1,
                "teacher_below_associate_count": 0,
                "pe_teacher_count": 1,
                "music_teacher_count": 1,
                "art_teacher_count": 1,
            },
            {
                "school_id": "T1",
                "stage": "primary",
                "staff_count": 1,
                "full_time_teacher_count": 1,
                "teacher_postgrad_count": 0,
                "teacher_bachelor_count": 0,
                "teacher_associate_count": 1,
                "teacher_below_associate_count": 0,
                "pe_teacher_count": 0,
                "music_teacher_count": None,
                "art_teacher_count": 0,
            },
            {
                "school_id": "J1",
                "stage": "junior",
                "staff_count": 10,
                "full_time_teacher_count": 9,
                "teacher_postgrad_count": 1,
                "teacher_bachelor_count": 8,
                "teacher_associate_count": 0,
                "teacher_below_associate_count": 0,
                "pe_teacher_count": 1,
                "music_teacher_count": 1,
                "art_teacher_count": 1,
            },
        ]
    )
    enrollment = rows_for(
        [
            {"school_id": "P1", "stage": "primary", "student_count": 100},
            {"school_id": "P2", "stage": "primary", "student_count": 80},
            {"school_id": "T1", "stage": "primary", "student_count": 10},
            {"school_id": "J1", "stage": "junior", "student_count": 135},
        ]
    )
    return {
        "schools": typed(frame, SCHOOL_COLS),
        "teachers": typed(teacher_rows, TEACHER_COLS),
        "enrollment": typed(enrollment, ENROLLMENT_COLS),
    }


def test_teacher_qualifications_by_hand():
    q = teachers.teacher_qualifications(teacher_world()).set_index("stage")
    # primary: postgrad 1, bachelor 3 + 2 = 5, associate 1 + 1 + 1 = 3, below 0 → 9 teachers
    assert q.loc["primary", "teacher_total"] == 9
    assert q.loc["primary", "teacher_bachelor_share_pct"] == pytest.approx(5 / 9 * 100)
    assert q.loc["primary", "teacher_below_associate_share_pct"] == 0
    assert q.loc["junior", "teacher_bachelor_share_pct"] == pytest.approx(8 / 9 * 100)


def test_teacher_qualifications_missing_group_makes_shares_na():
    q = teachers.teacher_qualifications(teacher_world(missing=True)).set_index("stage")
    assert q.loc["primary", "teacher_associate_count"] is pd.NA
    assert q.loc["primary", "teacher_total"] is pd.NA and q.loc["primary", "teacher_bachelor_share_pct"] is pd.NA
    assert q.loc["primary", "na_reason"] == "missing teachers.teacher_associate_count"
    assert q.loc["junior", "teacher_total"] == 9  # the other stage is unaffected


def test_staffing_against_norms_by_hand():
    s = teachers.staffing_against_norms(teacher_world()).set_index("stage")
    assert list(s.index) == ["primary", "junior", "senior"]  # the stages of staffing_norms.yml, in its order
    # primary: 190 students, 10 staff → 19.0 per staff, exactly the norm 1:19 → within; required ⌈190/19⌉ = 10
    assert s.loc["primary", "students_per_staff"] == pytest.approx(19.0)
    assert bool(s.loc["primary", "is_within_norm"])
    assert (s.loc["primary", "staff_required"], s.loc["primary", "staff_difference"]) == (10, 0)
    assert s.loc["primary", "students_per_teacher"] == pytest.approx(190 / 9)
    # junior: 135 students, 10 staff → 13.5 = 1:13.5; senior: no data → NA with a reason
    assert bool(s.loc["junior", "is_within_norm"]) and s.loc["junior", "staff_required"] == 10
    assert s.loc["senior", "is_within_norm"] is pd.NA
    assert s.loc["senior", "na_reason"] == "missing enrollment.student_count"


def test_staffing_norms_come_from_the_file(tmp_path):
    norms = std.load_staffing_norms()
    assert norms["staff_student_ratio"]["value"]["primary"] == 19
    norms["staff_student_ratio"]["value"] = {"primary": 18}
    s = teachers.staffing_against_norms(teacher_world(), norms=norms).set_index("stage")
    # 190 / 10 = 19 > 18: short; ⌈190 / 18⌉ = 11 required, 1 short
    assert list(s.index) == ["primary"] and not bool(s.loc["primary", "is_within_norm"])
    assert s.loc["primary", "staff_difference"] == -1
    bad = tmp_path / "norms.yml"
    bad.write_text("staff_student_ratio: {value: {primary: -3}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="norms.yml"):
        std.load_staffing_norms(bad)


def test_subject_teachers_and_summary():
    s = teachers.subject_teachers(teacher_world()).set_index("school_id")
    assert bool(s.loc["P1", "lacks_music_teacher"]) and not bool(s.loc["P1", "lacks_pe_teacher"])
    assert s.loc["T1", "lacks_music_teacher"] is pd.NA  # unknown, not "has one" and not "lacks one"
    assert bool(s.loc["T1", "lacks_any"]) and not bool(s.loc["J1", "lacks_any"])
    summary = teachers.subject_teacher_summary(s.reset_index()).set_index("school_type")
    assert summary.loc["primary", "school_count"] == 2
    assert summary.loc["primary", "lacks_music_teacher_count"] == 1  # P1
    assert summary.loc["teaching_point", "lacks_pe_teacher_count"] == 1
    assert summary.loc["teaching_point", "lacks_music_teacher_count"] == 0  # NA is not counted as lacking


# --------------------------------------------------------------------------- gaps and the rule's numbers


def test_amount_to_close_by_hand():
    # 80 of 100 places inclusive, target 85 % → 5 more places; 120 children, 7 teachers, ≤ 15 → 1 teacher
    assert gaps.amount_to_close(80, 100, 85, factor=100) == 5
    assert gaps.amount_to_close(120, 7, 15, comparison="at_most", part="denominator") == 1
    # ≤ 10 % myopia of 1000 pupils with 130 cases → 30 fewer
    assert gaps.amount_to_close(130, 1000, 10, factor=100, comparison="at_most") == 30
    assert gaps.amount_to_close(90, 100, 85, factor=100) == 0  # already met: nothing, never negative
    # 85 % of 7 = 5.95 → 6 whole units; float noise (0.85 × 100 = 85.00000000000001) does not add one
    assert gaps.amount_to_close(0, 7, 85, factor=100) == 6
    assert gaps.amount_to_close(0, 100, 0.85 * 100, factor=100) == 85
    assert math.isnan(float(gaps.amount_to_close(np.nan, 100, 85, factor=100)))
    with pytest.raises(ValueError, match="part"):
        gaps.amount_to_close(1, 2, 3, part="both")


def test_briefing_closing_text_uses_the_gap_arithmetic():
    from lcedu.present.briefing import closing_text

    row = {
        "indicator": "inclusive_kindergarten_coverage_pct",
        "unit": "%",
        "comparison": "at_least",
        "gap": 5.0,
        "numerator": 80.0,
        "denominator": 100.0,
        "target": 85.0,
        # what the scorecard stores for the row (the gap arithmetic of lcedu.measure.gaps)
        "closing_numerator": gaps.amount_to_close(80, 100, 85, factor=100),
    }
    assert (
        closing_text(row, "zh")
        == f"约需{int(gaps.amount_to_close(80, 100, 85, factor=100))}个普惠性学位（在园总数不变）"
    )
    teachers_row = {
        "indicator": "children_per_kindergarten_teacher",
        "unit": "children per teacher",
        "comparison": "at_most",
        "gap": 2.14,
        "numerator": 120.0,
        "denominator": 7.0,
        "target": 15.0,
        "closing_denominator": gaps.amount_to_close(120, 7, 15, comparison="at_most", part="denominator"),
    }
    assert closing_text(teachers_row, "en") == "about 1 more full-time kindergarten teachers"


def test_preschool_gaps_and_closing_agree_on_a_county():
    from tests.test_indicators import kindergarten_world

    t = kindergarten_world()
    g = gaps.preschool_gaps(tables=t)
    r = ind.compute(tables=t)
    row = r[(r["county_code"] == A) & (r["indicator"] == "inclusive_kindergarten_coverage_pct")].iloc[0]
    needed = g[(g["county_code"] == A) & (g["indicator"] == "inclusive_kindergarten_coverage_pct")]["needed"].iloc[0]
    threshold = g[(g["county_code"] == A) & (g["indicator"] == "inclusive_kindergarten_coverage_pct")][
        "threshold"
    ].iloc[0]
    assert needed == gaps.amount_to_close(
        float(row["numerator"]), float(row["denominator"]), float(threshold), factor=100
    )


def test_largest_target_gaps():
    card = pd.DataFrame(
        {
            "indicator": ["a", "b", "c", "d", "e"],
            "is_met": pd.array([False, False, True, False, pd.NA], "boolean"),
            "gap": [5.0, 10.0, 0.0, 1.0, 3.0],
            "target": [10.0, 100.0, 5.0, 0.0, 10.0],
            "comparison": ["at_least", "at_least", "at_least", "at_least", "at_least"],
        }
    )
    out = gaps.largest_target_gaps(card, n=2)
    assert list(out["indicator"]) == ["a", "b"]  # 50 % of its target before 10 %; "d" has no relative size
    assert out["relative_gap"].tolist() == [0.5, 0.1]


def test_school_rule_numbers_and_floor_flags():
    rule = std.school_rule()
    assert (rule.min_indicators_met, rule.floor_ratio) == (6, 0.85)
    assert std.teaching_point_min_students() == 0  # Hebei's 50 is an option, off by default
    from tests.test_gaps import school_world

    g = gaps.school_gaps(tables=school_world())
    assert (
        (g["to_threshold"].astype(float) - g["value"].astype(float) / g["threshold"].astype(float)).abs() < 1e-12
    ).all()
    expected = g["to_threshold"].astype(float) >= rule.floor_ratio * (1 - std.REL_TOL)
    assert (g["is_above_floor"].astype(bool) == expected).all()
    assert (~g["is_above_floor"]).any() and g["is_above_floor"].any()  # the world has both kinds


# --------------------------------------------------------------------------- the layers


def _imported_lcedu_modules(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("lcedu")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lcedu"):
            names |= {a.asname or a.name for a in node.names}
    return names


def test_no_module_uses_another_modules_private_names():
    offences = []
    for path in sorted((REPO / "lcedu").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = _imported_lcedu_modules(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lcedu"):
                offences += [
                    f"{path.name}: from {node.module} import {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                offences.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not offences, offences


def test_topic_pages_read_results_not_processed_tables():
    present = REPO / "lcedu" / "present"
    files = [*(present / "sections").glob("*.py"), *(present / "briefing").glob("*.py"), present / "charts.py"]
    assert len(files) > 3
    for path in files:
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(present)
        assert ".tables[" not in source, f"{name} analyses processed tables itself"
        assert "0.85" not in source, f"{name} restates the 85 % floor instead of reading the standards"


def test_city_target_contributions():
    card = pd.DataFrame(
        {
            "county_code": [A, CITY_CODE, A, CITY_CODE, B],
            "year": [YEAR] * 5,
            "indicator": ["famous", "famous", "first_class", "first_class", "famous"],
            "value": [3.0, 12.0, 1.0, 0.0, 9.0],
            "target": [np.nan, 20.0, np.nan, np.nan, np.nan],
            "is_met": pd.array([pd.NA, False, pd.NA, pd.NA, pd.NA], dtype="boolean"),
        }
    )
    c = gaps.city_target_contributions(card, A, YEAR, ["first_class", "famous", "unknown"])
    assert list(c["indicator"]) == ["first_class", "famous"]  # the order asked for; unknown codes left out
    famous = c.set_index("indicator").loc["famous"]
    assert (famous["county_value"], famous["value"]) == (3.0, 12.0)
    assert famous["county_share"] == pytest.approx(0.25) and famous["city_progress"] == pytest.approx(0.6)
    first = c.set_index("indicator").loc["first_class"]
    assert math.isnan(first["county_share"]) and math.isnan(first["city_progress"])  # city 0, no target: NA
