"""Indicator engine: every formula on hand-built tables, NA with reasons, city aggregates, the sample's design."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lcedu.home import CITY_CODE
from lcedu.measure import indicators as ind
from lcedu.measure import standards as std
from lcedu.measure.plan import load_targets
from lcedu.measure.scorecard import expand_targets

A, B = "530902", "530921"  # two counties of the hand-built tables
YEAR = 2024

# --------------------------------------------------------------------------- tiny tables in the processed schema

SCHOOL_COLS = [
    "school_id",
    "year",
    "county_code",
    "school_name",
    "township",
    "village",
    "school_type",
    "is_public",
    "is_inclusive",
    "urban_rural",
    "is_counted_school",
    "parent_school_id",
    "opened_year",
    "operator",
    "is_independent",
    "independent_year",
    "kindergarten_class_count",
    "primary_class_count",
    "junior_class_count",
    "senior_class_count",
    "vocational_class_count",
    "special_class_count",
]
ENROLLMENT_COLS = [
    "school_id",
    "stage",
    "year",
    "county_code",
    "student_count",
    "entry_grade_student_count",
    "new_entrant_count",
    "graduate_count",
    "transfer_in_count",
    "transfer_out_count",
    "inclusive_disabled_student_count",
    "oversize_class_count",
    "large_class_count",
]
TEACHER_COLS = [
    "school_id",
    "stage",
    "year",
    "county_code",
    "staff_count",
    "full_time_teacher_count",
    "teacher_postgrad_count",
    "teacher_bachelor_count",
    "teacher_associate_count",
    "teacher_below_associate_count",
    "backbone_teacher_count",
    "pe_teacher_count",
    "music_teacher_count",
    "art_teacher_count",
    "certified_teacher_count",
    "nursery_staff_count",
    "principal_count",
    "certified_principal_count",
    "vocational_subject_teacher_count",
    "dual_qualified_teacher_count",
]
POPULATION_COLS = [
    "county_code",
    "year",
    "resident_population",
    "pop_age3_5",
    "pop_age6_11",
    "pop_age12_14",
    "pop_age15_17",
    "township_count",
    "village_count",
]
FACILITY_COLS = [
    "school_id",
    "year",
    "county_code",
    "teaching_aux_area_m2",
    "indoor_sports_area_m2",
    "sports_ground_area_m2",
    "equipment_value_yuan",
    "classroom_count",
    "multimedia_classroom_count",
    "digital_classroom_count",
    "has_fiber_network",
    "is_safe_campus",
]
BOOLS = {"is_public", "is_inclusive", "has_fiber_network", "is_safe_campus", "is_counted_school", "is_independent"}
STRINGS = {
    "school_id",
    "county_code",
    "school_name",
    "township",
    "village",
    "school_type",
    "urban_rural",
    "stage",
    "parent_school_id",
    "operator",
}
FLOATS = {
    "teaching_aux_area_m2",
    "indoor_sports_area_m2",
    "sports_ground_area_m2",
    "equipment_value_yuan",
    "physical_health_good_pct",
    "myopia_pct",
    "quality_award_funding_yuan",
    "vocational_special_funding_yuan",
    "education_expenditure_yuan",
    "province_education_expenditure_yuan",
    "vocational_graduate_employment_pct",
}


def typed(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A frame in the processed dtypes (string, Int64, Float64, boolean); absent cells are pd.NA."""
    frame = pd.DataFrame([{c: r.get(c, pd.NA) for c in columns} for r in rows], columns=columns)
    dtypes = {
        c: ("boolean" if c in BOOLS else "string" if c in STRINGS else "Float64" if c in FLOATS else "Int64")
        for c in columns
    }
    return frame.astype(dtypes)


def school(sid: str, county: str, school_type: str, **kw) -> dict:
    return {
        "school_id": sid,
        "year": YEAR,
        "county_code": county,
        "school_name": f"学校{sid}",
        "township": kw.pop("township", "甲乡"),
        "school_type": school_type,
        "is_public": True,
        "urban_rural": "rural",
        **kw,
    }


def kindergarten_world() -> dict[str, pd.DataFrame]:
    """County A: three kindergartens (public 60, inclusive private 30, other private 30 children)."""
    schools = [
        school("K1", A, "kindergarten", village="一村", is_inclusive=True, kindergarten_class_count=3),
        school("K2", A, "kindergarten", village="二村", is_public=False, is_inclusive=True, kindergarten_class_count=1),
        school(
            "K3",
            A,
            "kindergarten",
            village="二村",
            township="乙镇",
            is_public=False,
            is_inclusive=False,
            kindergarten_class_count=1,
        ),
    ]
    enrollment = [
        {
            "school_id": "K1",
            "stage": "kindergarten",
            "year": YEAR,
            "county_code": A,
            "student_count": 60,
            "oversize_class_count": 1,
            "graduate_count": 20,
        },
        {
            "school_id": "K2",
            "stage": "kindergarten",
            "year": YEAR,
            "county_code": A,
            "student_count": 30,
            "oversize_class_count": 0,
            "graduate_count": 10,
        },
        {
            "school_id": "K3",
            "stage": "kindergarten",
            "year": YEAR,
            "county_code": A,
            "student_count": 30,
            "oversize_class_count": 0,
            "graduate_count": 10,
        },
    ]
    teachers = [
        {
            "school_id": "K1",
            "stage": "kindergarten",
            "year": YEAR,
            "county_code": A,
            "full_time_teacher_count": 4,
            "certified_teacher_count": 4,
            "principal_count": 1,
            "certified_principal_count": 1,
            "nursery_staff_count": 2,
        },
        {
            "school_id": "K2",
            "stage": "kindergarten",
            "year": YEAR,
            "county_code": A,
            "full_time_teacher_count": 2,
            "certified_teacher_count": 1,
            "principal_count": 1,
            "certified_principal_count": 0,
            "nursery_staff_count": 1,
        },
        {
            "school_id": "K3",
            "stage": "kindergarten",
            "year": YEAR,
            "county_code": A,
            "full_time_teacher_count": 2,
            "certified_teacher_count": 2,
            "principal_count": 1,
            "certified_principal_count": 1,
            "nursery_staff_count": 1,
        },
    ]
    population = [
        {
            "county_code": A,
            "year": YEAR,
            "resident_population": 250_000,
            "pop_age3_5": 150,
            "pop_age6_11": 300,
            "pop_age12_14": 150,
            "pop_age15_17": 80,
            "township_count": 2,
            "village_count": 4,
        }
    ]
    return {
        "schools": typed(schools, SCHOOL_COLS),
        "enrollment": typed(enrollment, ENROLLMENT_COLS),
        "teachers": typed(teachers, TEACHER_COLS),
        "population": typed(
            population,
            POPULATION_COLS,
        ),
    }


def value_of(result: pd.DataFrame, indicator: str, county: str = A, year: int = YEAR) -> float:
    row = result[(result["indicator"] == indicator) & (result["county_code"] == county) & (result["year"] == year)]
    assert len(row) == 1, (indicator, county, year)
    v = row["value"].iloc[0]
    return math.nan if v is pd.NA else float(v)


def reason_of(result: pd.DataFrame, indicator: str, county: str = A, year: int = YEAR) -> str | None:
    row = result[(result["indicator"] == indicator) & (result["county_code"] == county) & (result["year"] == year)]
    r = row["na_reason"].iloc[0]
    return None if r is pd.NA else str(r)


# --------------------------------------------------------------------------- 学前 formulas


def test_preschool_formulas_by_hand():
    r = ind.compute(tables=kindergarten_world())
    # 毛入园率 = (60 + 30 + 30) / 150 = 80 %
    assert value_of(r, "preschool_gross_enrollment_pct") == pytest.approx(80.0)
    # 普惠覆盖率 = (public 60 + inclusive private 30) / 120 = 75 %
    assert value_of(r, "inclusive_kindergarten_coverage_pct") == pytest.approx(75.0)
    # 公办占比 = 60 / 120 = 50 %
    assert value_of(r, "public_kindergarten_enrollment_share_pct") == pytest.approx(50.0)
    # 师幼比 = 120 children / 8 teachers = 15
    assert value_of(r, "children_per_kindergarten_teacher") == pytest.approx(15.0)
    # 班额达标率 = 1 − 1 oversize / 5 classes = 80 %
    assert value_of(r, "kindergarten_class_size_compliance_pct") == pytest.approx(80.0)
    # 园长、专任教师持证 = (7 teachers + 2 principals) / (8 + 3) = 81.8 %
    assert value_of(r, "kindergarten_certified_teacher_pct") == pytest.approx(900 / 11)
    # 幼儿与保教人员比 = 120 children / (8 teachers + 4 保育员) = 10
    assert value_of(r, "children_per_care_staff") == pytest.approx(10.0)
    # 一村一幼: (甲乡, 一村), (甲乡, 二村), (乙镇, 二村) = 3 distinct villages of 4 → 75 %
    assert value_of(r, "village_kindergarten_coverage_pct") == pytest.approx(75.0)
    # 一乡一公办: only 甲乡 has a public kindergarten, 1 of 2 townships → 50 %
    assert value_of(r, "township_public_kindergarten_coverage_pct") == pytest.approx(50.0)
    row = r[(r["indicator"] == "preschool_gross_enrollment_pct") & (r["county_code"] == A)].iloc[0]
    assert (row["numerator"], row["denominator"]) == (120, 150)


PRESCHOOL_SCOPE = (
    "preschool_gross_enrollment_pct",
    "inclusive_kindergarten_coverage_pct",
    "public_kindergarten_enrollment_share_pct",
    "children_per_kindergarten_teacher",
    "kindergarten_class_size_compliance_pct",
    "kindergarten_certified_teacher_pct",
    "children_per_care_staff",
    "village_kindergarten_coverage_pct",
)


def with_attached_class(
    t: dict[str, pd.DataFrame],
    children: int,
    classes: int,
    oversize: int,
    is_public: bool = True,
    is_inclusive: bool | None = None,
) -> dict[str, pd.DataFrame]:
    """County A plus a primary school running a 附设幼儿班 (its kindergarten 学段)."""
    out = dict(t)
    extra = school(
        "P9",
        A,
        "primary",
        village="三村",
        is_public=is_public,
        primary_class_count=6,
        kindergarten_class_count=classes,
        **({} if is_inclusive is None else {"is_inclusive": is_inclusive}),
    )
    out["schools"] = pd.concat([t["schools"], typed([extra], SCHOOL_COLS)], ignore_index=True)
    out["enrollment"] = pd.concat(
        [
            t["enrollment"],
            typed(
                [
                    {
                        "school_id": "P9",
                        "stage": "kindergarten",
                        "year": YEAR,
                        "county_code": A,
                        "student_count": children,
                        "oversize_class_count": oversize,
                    },
                    {"school_id": "P9", "stage": "primary", "year": YEAR, "county_code": A, "student_count": 200},
                ],
                ENROLLMENT_COLS,
            ),
        ],
        ignore_index=True,
    )
    out["teachers"] = pd.concat(
        [
            t["teachers"],
            typed(
                [
                    {
                        "school_id": "P9",
                        "stage": "kindergarten",
                        "year": YEAR,
                        "county_code": A,
                        "full_time_teacher_count": 4,
                        "certified_teacher_count": 4,
                        "principal_count": 0,
                        "certified_principal_count": 0,
                        "nursery_staff_count": 2,
                    }
                ],
                TEACHER_COLS,
            ),
        ],
        ignore_index=True,
    )
    return out


def test_attached_preschool_classes_count_in_every_preschool_indicator():
    # The case: 2,000 children in one public primary school's 附设幼儿班.
    r = ind.compute(list(PRESCHOOL_SCOPE), tables=with_attached_class(kindergarten_world(), 2000, 40, 10))
    # 普惠 = (60 public + 30 inclusive private + 2000 public 附设班) / 2120; before, the 附设班 was left out
    # of the numerator only and 普惠 fell to 4.2 % while 公办 rose.
    assert value_of(r, "inclusive_kindergarten_coverage_pct") == pytest.approx(2090 / 2120 * 100)
    assert value_of(r, "public_kindergarten_enrollment_share_pct") == pytest.approx(2060 / 2120 * 100)
    # 班额: (5 + 40 classes − 1 − 10 oversize) / 45 — each class counted once, numerator and denominator alike
    assert value_of(r, "kindergarten_class_size_compliance_pct") == pytest.approx(34 / 45 * 100)
    # 毛入园率 and 师幼比 count the same children
    assert value_of(r, "preschool_gross_enrollment_pct") == pytest.approx(2120 / 150 * 100)
    assert value_of(r, "children_per_kindergarten_teacher") == pytest.approx(2120 / 12)
    # 一村一幼: the 附设幼儿班 in 三村 is a village with preschool places (4 of 4 villages)
    assert value_of(r, "village_kindergarten_coverage_pct") == pytest.approx(100.0)


def test_one_preschool_scope_is_written_once_in_the_registry():
    reg = ind.load_registry()
    assert reg.scopes["preschool"]["filter"] == {"stage": "kindergarten"}
    for code in PRESCHOOL_SCOPE:
        formula = reg.indicators[code].formula
        terms = [formula[key] for key in ("numerator", "denominator") if key in formula]
        terms += [sub for t in list(terms) for sub in t.get("plus", []) + t.get("minus", [])]
        child_terms = [t for t in terms if t["table"] in ("enrollment", "teachers")]
        assert child_terms and all(t.get("scope_name") == "preschool" for t in child_terms), code
        assert all("school_type" not in (t.get("filter") or {}) for t in child_terms), code


def test_a_term_may_not_override_its_scope(tmp_path):
    import yaml

    from lcedu import paths

    data = yaml.safe_load(paths.package_file("measure", "config", "indicators.yml").read_text(encoding="utf-8"))
    entry = next(e for e in data["indicators"] if e["code"] == "public_kindergarten_enrollment_share_pct")
    entry["formula"]["numerator"]["filter"]["stage"] = "primary"
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="scope 'preschool' already defines"):
        ind.load_registry(path)


@st.composite
def preschool_worlds(draw):
    """Kindergartens and 附设幼儿班 of any ownership and recognition in two counties and two years."""
    schools, enrollment, teachers = [], [], []
    for county in (A, B):
        for year in (YEAR, YEAR + 1):
            for i in range(draw(st.integers(1, 6))):
                sid = f"{county[-2:]}{year % 100}{i}"
                kind = draw(st.sampled_from(["kindergarten", "primary", "teaching_point", "nine_year"]))
                is_public = draw(st.booleans())
                classes = draw(st.integers(1, 12))
                schools.append(
                    {
                        "school_id": sid,
                        "year": year,
                        "county_code": county,
                        "school_name": sid,
                        "township": "甲乡",
                        "village": f"{i}村",
                        "school_type": kind,
                        "is_public": is_public,
                        "is_inclusive": True if is_public else draw(st.booleans()),
                        "urban_rural": "rural",
                        "kindergarten_class_count": classes,
                    }
                )
                enrollment.append(
                    {
                        "school_id": sid,
                        "stage": "kindergarten",
                        "year": year,
                        "county_code": county,
                        "student_count": draw(st.integers(1, 3000)),
                        "oversize_class_count": draw(st.integers(0, classes)),
                    }
                )
                teachers.append(
                    {
                        "school_id": sid,
                        "stage": "kindergarten",
                        "year": year,
                        "county_code": county,
                        "full_time_teacher_count": draw(st.integers(1, 40)),
                        "certified_teacher_count": 1,
                        "principal_count": 1,
                        "certified_principal_count": 1,
                        "nursery_staff_count": 1,
                    }
                )
    population = [
        {"county_code": c, "year": y, "pop_age3_5": 1000, "village_count": 10} for c in (A, B) for y in (YEAR, YEAR + 1)
    ]
    return {
        "schools": typed(schools, SCHOOL_COLS),
        "enrollment": typed(enrollment, ENROLLMENT_COLS),
        "teachers": typed(teachers, TEACHER_COLS),
        "population": typed(population, ["county_code", "year", "pop_age3_5", "village_count"]),
    }


@settings(max_examples=60, deadline=None)
@given(preschool_worlds())
def test_inclusive_coverage_is_never_below_the_public_share(world):
    r = ind.compute(list(PRESCHOOL_SCOPE), tables=world)
    enr = world["enrollment"].join(
        world["schools"].set_index(["school_id", "year"])[["is_public"]], on=["school_id", "year"]
    )
    classes = world["schools"].set_index(["school_id", "year"])["kindergarten_class_count"]
    for county in (A, B):
        for year in (YEAR, YEAR + 1):
            inclusive = value_of(r, "inclusive_kindergarten_coverage_pct", county, year)
            public = value_of(r, "public_kindergarten_enrollment_share_pct", county, year)
            assert inclusive >= public - 1e-9
            rows = enr[(enr["county_code"] == county) & (enr["year"] == year)]

            # every indicator counts the same children: all kindergarten rows, whatever the school type
            def part(code, col, county=county, year=year):
                row = r[(r["indicator"] == code) & (r["county_code"] == county) & (r["year"] == year)]
                return float(row[col].iloc[0])

            children = float(rows["student_count"].sum())
            assert part("preschool_gross_enrollment_pct", "numerator") == children
            assert part("inclusive_kindergarten_coverage_pct", "denominator") == children
            assert part("public_kindergarten_enrollment_share_pct", "denominator") == children
            assert part("children_per_kindergarten_teacher", "numerator") == children
            # 班额: the same rows' classes in numerator and denominator, so 0–100 %
            n_classes = float(classes.loc[list(zip(rows["school_id"], rows["year"], strict=True))].sum())
            compliance = value_of(r, "kindergarten_class_size_compliance_pct", county, year)
            expected = (n_classes - float(rows["oversize_class_count"].sum())) / n_classes * 100
            assert compliance == pytest.approx(expected)
            assert 0 <= compliance <= 100


def test_village_coverage_is_capped_at_100():
    t = kindergarten_world()
    t["population"] = t["population"].assign(village_count=pd.array([2], dtype="Int64"))
    r = ind.compute("village_kindergarten_coverage_pct", tables=t)
    assert value_of(r, "village_kindergarten_coverage_pct") == 100.0  # 3 villages / 2 would be 150 %


def test_missing_population_gives_na_with_reason_not_zero():
    t = kindergarten_world()
    t["population"] = t["population"].iloc[0:0]
    r = ind.compute("preschool_gross_enrollment_pct", tables=t)
    assert math.isnan(value_of(r, "preschool_gross_enrollment_pct"))
    assert reason_of(r, "preschool_gross_enrollment_pct") == "missing population"
    # The numerator is still known and shown.
    assert r.loc[r["county_code"] == A, "numerator"].iloc[0] == 120


def test_missing_population_column_value_gives_na():
    t = kindergarten_world()
    t["population"] = t["population"].assign(pop_age3_5=pd.array([pd.NA], dtype="Int64"))
    r = ind.compute("preschool_gross_enrollment_pct", tables=t)
    assert math.isnan(value_of(r, "preschool_gross_enrollment_pct"))
    assert reason_of(r, "preschool_gross_enrollment_pct") == "missing population.pop_age3_5"


def test_no_students_gives_na_with_reason():
    t = kindergarten_world()
    t["enrollment"] = t["enrollment"].assign(student_count=pd.array([0, 0, 0], dtype="Int64"))
    r = ind.compute(["public_kindergarten_enrollment_share_pct", "preschool_gross_enrollment_pct"], tables=t)
    assert math.isnan(value_of(r, "public_kindergarten_enrollment_share_pct"))
    assert reason_of(r, "public_kindergarten_enrollment_share_pct") == "no kindergarten children"
    # 0 children over a known population is a real 0 %, not missing.
    assert value_of(r, "preschool_gross_enrollment_pct") == 0.0


def test_missing_student_count_makes_the_county_na_not_a_smaller_sum():
    t = kindergarten_world()
    t["enrollment"] = t["enrollment"].assign(student_count=pd.array([60, pd.NA, 30], dtype="Int64"))
    r = ind.compute("preschool_gross_enrollment_pct", tables=t)
    assert math.isnan(value_of(r, "preschool_gross_enrollment_pct"))
    assert reason_of(r, "preschool_gross_enrollment_pct") == "missing enrollment.student_count"


def test_missing_filter_attribute_makes_the_county_na():
    t = kindergarten_world()
    t["schools"] = t["schools"].assign(is_public=pd.array([True, pd.NA, False], dtype="boolean"))
    r = ind.compute("public_kindergarten_enrollment_share_pct", tables=t)
    assert math.isnan(value_of(r, "public_kindergarten_enrollment_share_pct"))
    assert "is_public" in reason_of(r, "public_kindergarten_enrollment_share_pct")


def test_absent_table_gives_missing_reason_everywhere():
    t = kindergarten_world()
    del t["teachers"]
    r = ind.compute("children_per_kindergarten_teacher", tables=t)
    assert r["na_reason"].str.contains("missing teachers").all()
    assert r["value"].isna().all()


# --------------------------------------------------------------------------- other county formulas


def county_world() -> dict[str, pd.DataFrame]:
    """County A with primary, junior, senior, vocational and kindergarten schools and the county tables."""
    schools = [
        school("P1", A, "primary", primary_class_count=10),
        school("J1", A, "junior", urban_rural="urban", junior_class_count=8),
        school("S1", A, "senior", senior_class_count=5),
        school("V1", A, "vocational", vocational_class_count=4),
        school("K1", A, "kindergarten", is_inclusive=True, kindergarten_class_count=2),
    ]
    enrollment = [
        {
            "school_id": "P1",
            "stage": "primary",
            "student_count": 400,
            "graduate_count": 60,
            "oversize_class_count": 1,
            "large_class_count": 0,
        },
        {
            "school_id": "J1",
            "stage": "junior",
            "student_count": 300,
            "graduate_count": 95,
            "oversize_class_count": 3,
            "large_class_count": 1,
        },
        {"school_id": "S1", "stage": "senior", "student_count": 40, "graduate_count": 12},
        {"school_id": "V1", "stage": "vocational", "student_count": 20, "graduate_count": 6},
        {"school_id": "K1", "stage": "kindergarten", "student_count": 50, "oversize_class_count": 0},
    ]
    teachers = [
        # rural primary: 1 postgrad + 5 bachelor of 10
        {
            "school_id": "P1",
            "stage": "primary",
            "full_time_teacher_count": 10,
            "teacher_postgrad_count": 1,
            "teacher_bachelor_count": 5,
            "teacher_associate_count": 4,
            "teacher_below_associate_count": 0,
        },
        # urban junior: not in the rural share
        {
            "school_id": "J1",
            "stage": "junior",
            "full_time_teacher_count": 20,
            "teacher_postgrad_count": 0,
            "teacher_bachelor_count": 20,
            "teacher_associate_count": 0,
            "teacher_below_associate_count": 0,
        },
        {
            "school_id": "V1",
            "stage": "vocational",
            "full_time_teacher_count": 15,
            "vocational_subject_teacher_count": 10,
            "dual_qualified_teacher_count": 6,
        },
    ]
    facilities = [
        {
            "school_id": "P1",
            "classroom_count": 10,
            "digital_classroom_count": 3,
            "has_fiber_network": True,
            "is_safe_campus": True,
        },
        {
            "school_id": "J1",
            "classroom_count": 10,
            "digital_classroom_count": 5,
            "has_fiber_network": False,
            "is_safe_campus": False,
        },
        {
            "school_id": "K1",
            "classroom_count": 4,
            "digital_classroom_count": 4,
            "has_fiber_network": True,
            "is_safe_campus": True,
        },
        {
            "school_id": "V1",
            "classroom_count": 8,
            "digital_classroom_count": 0,
            "has_fiber_network": False,
            "is_safe_campus": True,
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
        "population": typed(
            [
                {
                    "county_code": A,
                    "year": YEAR,
                    "resident_population": 150_000,
                    "pop_age3_5": 60,
                    "pop_age15_17": 80,
                    "township_count": 1,
                    "village_count": 1,
                }
            ],
            POPULATION_COLS,
        ),
        "disability": typed(
            [
                {
                    "county_code": A,
                    "year": YEAR,
                    "disabled_school_age_count": 20,
                    "enrolled_inclusive_count": 10,
                    "enrolled_special_school_count": 5,
                    "enrolled_home_delivery_count": 3,
                }
            ],
            [
                "county_code",
                "year",
                "disabled_school_age_count",
                "enrolled_inclusive_count",
                "enrolled_special_school_count",
                "enrolled_home_delivery_count",
            ],
        ),
        "ledger": typed(
            [
                {
                    "county_code": A,
                    "year": YEAR,
                    "famous_principal_count": 7,
                    "nine_year_cohort_base_count": 100,
                    "junior_cohort_base_count": 97,
                    "junior_cohort_transfer_in_count": 5,
                    "junior_cohort_transfer_out_count": 3,
                    "trusteeship_high_school_count": 1,
                    "demo_kindergarten_count": 0,
                    "physical_health_good_pct": 50.0,
                }
            ],
            [
                "county_code",
                "year",
                "famous_principal_count",
                "nine_year_cohort_base_count",
                "junior_cohort_base_count",
                "junior_cohort_transfer_in_count",
                "junior_cohort_transfer_out_count",
                "trusteeship_high_school_count",
                "demo_kindergarten_count",
                "physical_health_good_pct",
            ],
        ),
        "city": typed(
            [
                {
                    "year": YEAR,
                    "quality_award_funding_yuan": 20_000_000.0,
                    "vocational_school_count": 4,
                    "vocational_school_compliant_count": 3,
                    "technical_school_student_count": 12,
                }
            ],
            [
                "year",
                "quality_award_funding_yuan",
                "vocational_school_count",
                "vocational_school_compliant_count",
                "technical_school_student_count",
            ],
        ),
    }


def test_county_formulas_by_hand():
    r = ind.compute(tables=county_world())
    # 残疾儿童少年入学率 = (10 + 5 + 3) / 20 = 90 %
    assert value_of(r, "disabled_children_enrollment_pct") == pytest.approx(90.0)
    # 九年巩固率 = 95 junior graduates / 100 = 95 %
    assert value_of(r, "nine_year_retention_pct") == pytest.approx(95.0)
    # 初中三年巩固率 = (95 graduates − 5 transferred in + 3 transferred out) / 97 entrants three years ago
    assert value_of(r, "junior_retention_3yr_pct") == pytest.approx(9300 / 97)
    # 高中阶段毛入学率 = (40 + 20) / 80 = 75 % in the county; the city adds 12 技工学校 students: 72 / 80
    assert value_of(r, "senior_gross_enrollment_pct") == pytest.approx(75.0)
    assert value_of(r, "senior_gross_enrollment_pct", CITY_CODE) == pytest.approx(90.0)
    # 农村本科以上 = (1 + 5) / 10 rural teachers = 60 % (the urban junior school is left out)
    assert value_of(r, "rural_compulsory_teacher_bachelor_pct") == pytest.approx(60.0)
    # 双师型 = 6 / 10 专业课教师 = 60 %
    assert value_of(r, "dual_qualified_teacher_pct") == pytest.approx(60.0)
    # 数字教室 = (3 + 5) / (10 + 10) in primary and secondary schools = 40 % (kindergarten, vocational out)
    assert value_of(r, "digital_classroom_coverage_pct") == pytest.approx(40.0)
    # 全光纤 = 1 of 2 primary/secondary schools = 50 %
    assert value_of(r, "fiber_campus_network_coverage_pct") == pytest.approx(50.0)
    # 平安校园 = 3 of 4 schools (all types) = 75 %
    assert value_of(r, "safe_campus_rate_pct") == pytest.approx(75.0)
    # 超标准班额 = 1 + 3 classes; share = 4 / (10 primary + 8 junior classes)
    assert value_of(r, "compulsory_oversize_class_count") == 4
    assert value_of(r, "compulsory_oversize_class_pct") == pytest.approx(400 / 18)
    assert value_of(r, "compulsory_large_class_count") == 1
    # 托管帮扶 and 一县一示范: 1 / 1 county and 0 / 1 county
    assert value_of(r, "high_school_trusteeship_coverage_pct") == 100.0
    assert value_of(r, "county_demo_kindergarten_coverage_pct") == 0.0
    assert value_of(r, "famous_principal_count") == 7
    # City table: 2000 万元, 3 / 4 compliant vocational schools
    assert value_of(r, "quality_award_funding_wan_yuan", CITY_CODE) == pytest.approx(2000.0)
    assert value_of(r, "vocational_school_compliance_pct", CITY_CODE) == pytest.approx(75.0)
    # A county percentage averaged for the city with student weights: one county → its own value.
    assert value_of(r, "physical_health_good_pct", CITY_CODE) == pytest.approx(50.0)


def test_retention_and_technical_students_missing_inputs_are_na_not_a_smaller_rate():
    t = county_world()
    t["ledger"] = t["ledger"].drop(columns=["junior_cohort_transfer_out_count"])
    t["city"] = t["city"].assign(technical_school_student_count=pd.array([pd.NA], dtype="Int64"))
    r = ind.compute(["junior_retention_3yr_pct", "senior_gross_enrollment_pct"], tables=t)
    assert math.isnan(value_of(r, "junior_retention_3yr_pct"))
    assert reason_of(r, "junior_retention_3yr_pct") == "missing ledger.junior_cohort_transfer_out_count"
    assert value_of(r, "senior_gross_enrollment_pct") == pytest.approx(75.0)  # the county row needs no city input
    assert math.isnan(value_of(r, "senior_gross_enrollment_pct", CITY_CODE))
    assert reason_of(r, "senior_gross_enrollment_pct", CITY_CODE) == "missing city.technical_school_student_count"


def test_rural_scope_is_one_setting_of_the_registry(tmp_path):
    import yaml

    from lcedu import paths

    reg = ind.load_registry()
    assert reg.scopes["rural"]["filter"] == {"urban_rural": "rural"}
    assert "210" in reg.scopes["rural"]["definition"] and "220" in reg.scopes["rural"]["definition"]
    t = county_world()
    t["schools"] = t["schools"].assign(
        urban_rural=pd.array(["rural", "town", "urban", "urban", "rural"], dtype="string")
    )
    r = ind.compute("rural_compulsory_teacher_bachelor_pct", tables=t)
    assert value_of(r, "rural_compulsory_teacher_bachelor_pct") == pytest.approx(60.0)  # P1 only: 6 / 10
    # 县镇及以下 (镇区 + 乡村): one edit of the scope; J1 (镇区, 20 of 20 bachelor) now counts
    data = yaml.safe_load(paths.package_file("measure", "config", "indicators.yml").read_text(encoding="utf-8"))
    data["scopes"]["rural"]["filter"] = {"urban_rural": ["town", "rural"]}
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = ind.compute("rural_compulsory_teacher_bachelor_pct", tables=t, registry=path)
    assert value_of(r, "rural_compulsory_teacher_bachelor_pct") == pytest.approx((6 + 20) / 30 * 100)


def openings_world() -> dict[str, pd.DataFrame]:
    """County A: the city's vocational centre (市属, 1985) and, from 2025, a 县属 vocational school; a 县属 special
    school opened 2024; a private high school opened 2023 and one from 2005. County B: a 县属 vocational school of
    2010, and a special school that ran as a part of another school from 2016 and is independent from 2025."""

    def row(sid, county, kind, year, opened, operator, independent_year=None, is_public=True):
        return school(
            sid,
            county,
            kind,
            year=year,
            opened_year=opened,
            operator=operator,
            is_public=is_public,
            is_independent=True,
            independent_year=independent_year or opened,
        )

    rows = []
    for year in (2022, 2023, 2024, 2025):
        rows += [
            row("V0", A, "vocational", year, 1985, "city"),
            row("V9", B, "vocational", year, 2010, "county"),
            row("H0", A, "senior", year, 2005, "private", is_public=False),
        ]
        if year >= 2023:
            rows.append(row("H1", A, "senior", year, 2023, "private", is_public=False))
        if year >= 2024:
            rows.append(row("S1", A, "special", year, 2024, "county"))
        if year == 2025:
            rows += [
                row("V1", A, "vocational", year, 2025, "county"),
                row("S9", B, "special", year, 2016, "county", independent_year=2025),
            ]
    return {"schools": typed(rows, SCHOOL_COLS)}


def test_built_targets_count_new_openings_by_the_named_operator():
    r = ind.compute(
        ["vocational_school_built", "special_school_built", "special_school_independent", "private_high_school_count"],
        tables=openings_world(),
    )
    # 临翔区建成职业学校: the city's centre (市属, 1985) is there from the start; only the 县属 school of 2025 counts.
    assert [value_of(r, "vocational_school_built", A, y) for y in (2022, 2023, 2024, 2025)] == [0, 0, 0, 1]
    assert value_of(r, "vocational_school_built", B, 2025) == 0  # a 2010 school is a stock, not built in the plan
    # 建成特殊教育学校 (A, opened 2024) and 独立办学 (B, a part since 2016, independent in 2025) are distinct tests.
    assert value_of(r, "special_school_built", A, 2024) == 1 and value_of(r, "special_school_built", B, 2025) == 0
    assert value_of(r, "special_school_independent", B, 2025) == 1
    assert value_of(r, "special_school_independent", B, 2024) == 0
    # 建成民办普通高中: the one opened in 2023, not the one of 2005.
    assert value_of(r, "private_high_school_count", A, 2022) == 0
    assert value_of(r, "private_high_school_count", A, 2025) == 1


def test_an_unknown_opening_year_is_na_not_a_no():
    t = openings_world()
    t["schools"] = t["schools"].assign(opened_year=t["schools"]["opened_year"].mask(t["schools"]["school_id"] == "V1"))
    r = ind.compute("vocational_school_built", tables=t)
    assert math.isnan(value_of(r, "vocational_school_built", A, 2025))
    assert "opened_year" in reason_of(r, "vocational_school_built", A, 2025)


def test_funding_commitments_year_over_year():
    city = typed(
        [
            {"year": y, "education_expenditure_yuan": e, "province_education_expenditure_yuan": p}
            for y, e, p in ((2022, 100.0, 1000.0), (2023, 104.0, 1030.0), (2024, 105.0, 1070.0))
        ],
        ["year", "education_expenditure_yuan", "province_education_expenditure_yuan"],
    )
    enrollment = typed(
        [
            {"school_id": "P1", "stage": "primary", "year": y, "county_code": A, "student_count": n}
            for y, n in ((2022, 10), (2023, 10), (2024, 11))
        ],
        ENROLLMENT_COLS,
    )
    r = ind.compute(
        [
            "general_budget_education_expenditure_change_pct",
            "education_expenditure_per_student_change_pct",
            "education_expenditure_growth_above_province_pp",
        ],
        tables={"city": city, "enrollment": enrollment, "schools": typed([school("P1", A, "primary")], SCHOOL_COLS)},
    )
    c = CITY_CODE
    assert math.isnan(value_of(r, "general_budget_education_expenditure_change_pct", c, 2022))
    assert reason_of(r, "general_budget_education_expenditure_change_pct", c, 2022) == "no previous year"
    assert value_of(r, "general_budget_education_expenditure_change_pct", c, 2023) == pytest.approx(4.0)
    # 只增不减 per student: 105 / 11 students against 104 / 10 — spending grew, per student it fell
    assert value_of(r, "education_expenditure_per_student_change_pct", c, 2024) == pytest.approx(
        (105 / 11) / (104 / 10) * 100 - 100
    )
    assert value_of(r, "education_expenditure_per_student_change_pct", c, 2024) < 0
    # 增幅超过全省平均: 4 % against 3 % in 2023 (+1 point); 0.96 % against 3.88 % in 2024
    assert value_of(r, "education_expenditure_growth_above_province_pp", c, 2023) == pytest.approx(1.0)
    assert value_of(r, "education_expenditure_growth_above_province_pp", c, 2024) == pytest.approx(
        (105 / 104 - 1070 / 1030) * 100
    )


def test_special_school_coverage_applies_only_to_counties_over_200000():
    t = county_world()
    pop_b = t["population"].assign(
        county_code=pd.array([B], dtype="string"), resident_population=pd.array([300_000], dtype="Int64")
    )
    t["population"] = pd.concat([t["population"], pop_b], ignore_index=True)
    special = typed([school("X1", B, "special")], SCHOOL_COLS)
    t["schools"] = pd.concat([t["schools"], special], ignore_index=True)
    r = ind.compute("special_school_coverage_large_county_pct", tables=t)
    # A: 150,000 people → not applicable; B: 300,000 and a special school → 100 %; city: 1 of 1.
    assert math.isnan(value_of(r, "special_school_coverage_large_county_pct", A))
    assert "not over 200,000" in reason_of(r, "special_school_coverage_large_county_pct", A)
    assert value_of(r, "special_school_coverage_large_county_pct", B) == 100.0
    assert value_of(r, "special_school_coverage_large_county_pct", CITY_CODE) == 100.0


def test_schools_over_size_cap():
    schools = [school("P1", A, "primary"), school("N1", A, "nine_year"), school("N2", A, "nine_year")]
    enrollment = [
        {"school_id": "P1", "stage": "primary", "student_count": 2100},  # > 2000
        {"school_id": "N1", "stage": "primary", "student_count": 1500},
        {"school_id": "N1", "stage": "junior", "student_count": 900},  # 2400 ≤ 2500
        {"school_id": "N2", "stage": "primary", "student_count": 1600},
        {"school_id": "N2", "stage": "junior", "student_count": 1000},  # 2600 > 2500
    ]
    for row in enrollment:
        row.update(year=YEAR, county_code=A)
    t = {"schools": typed(schools, SCHOOL_COLS), "enrollment": typed(enrollment, ENROLLMENT_COLS)}
    r = ind.compute("compulsory_school_over_size_cap_count", tables=t)
    row = r[r["county_code"] == A].iloc[0]
    assert (row["value"], row["numerator"], row["denominator"]) == (2, 2, 3)


# --------------------------------------------------------------------------- 优质均衡 resource indicators


def resource_world() -> dict[str, pd.DataFrame]:
    """Two primary schools (100 and 300 students), a nine-year school and a small teaching point, a site of P1."""
    schools = [
        school("P1", A, "primary"),
        school("P2", A, "primary"),
        school("N1", A, "nine_year"),
        school("T1", A, "teaching_point", is_counted_school=False, parent_school_id="P1"),
    ]
    students = {
        ("P1", "primary"): 100,
        ("P2", "primary"): 300,
        ("N1", "primary"): 100,
        ("N1", "junior"): 50,
        ("T1", "primary"): 40,
    }
    enrollment = [{"school_id": s, "stage": g, "student_count": n} for (s, g), n in students.items()]
    backbone = {
        ("P1", "primary"): 4,
        ("P2", "primary"): 18,
        ("N1", "primary"): 2,
        ("N1", "junior"): 1,
        ("T1", "primary"): 0,
    }
    teachers = [
        {
            "school_id": s,
            "stage": g,
            "full_time_teacher_count": 30,
            "teacher_postgrad_count": 0,
            "teacher_bachelor_count": 10,
            "teacher_associate_count": 10,
            "teacher_below_associate_count": 10,
            "backbone_teacher_count": backbone[(s, g)],
            "pe_teacher_count": 2,
            "music_teacher_count": 1,
            "art_teacher_count": 1,
        }
        for (s, g) in students
    ]
    facilities = [
        {
            "school_id": s,
            "teaching_aux_area_m2": 1000.0 if s == "N1" else 3000.0,
            "indoor_sports_area_m2": 100.0,
            "sports_ground_area_m2": 4000.0,
            "equipment_value_yuan": 9e5,
            "classroom_count": 20,
            "multimedia_classroom_count": 10,
            "digital_classroom_count": 0,
            "has_fiber_network": True,
            "is_safe_campus": True,
        }
        for s in ("P1", "P2", "N1", "T1")
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


def test_shared_facilities_are_split_by_weighted_students():
    parts = ind.school_indicators(tables=resource_world()).set_index(["school_id", "stage"])
    # N1: (1000 − 100) m² shared by 100 primary and 50 junior students, weights 1 : 1.1.
    # 小学部 gets 900 × 100 / (100 + 1.1 × 50) = 580.645 m² → 5.806 m² per student;
    # 初中部 gets 900 × 55 / 155 = 319.355 m² → 6.387 m² per student.
    assert parts.loc[("N1", "primary"), "teaching_room_area_per_student_m2"] == pytest.approx(900 * 100 / 155 / 100)
    assert parts.loc[("N1", "junior"), "teaching_room_area_per_student_m2"] == pytest.approx(900 * 55 / 155 / 50)
    assert parts.loc[("N1", "primary"), "shared_fraction"] == pytest.approx(100 / 155)
    # Teachers are per stage already: 高于规定学历 = postgrad + bachelor + associate (小学) = 20 → 20 per 100;
    # 初中 counts only bachelor and above = 10 of 50 students → 20 per 100.
    assert parts.loc[("P2", "primary"), "qualified_teachers_per_100"] == pytest.approx(20 / 300 * 100)
    assert parts.loc[("N1", "junior"), "qualified_teachers_per_100"] == pytest.approx(20.0)
    # 体育艺术 = 2 + 1 + 1 per 100 students
    assert parts.loc[("P2", "primary"), "pe_arts_teachers_per_100"] == pytest.approx(400 / 300)
    # The teaching point is a site of P1: listed, not assessed on its own, its figures in P1's part.
    assert not parts.loc[("T1", "primary"), "is_assessed"]
    assert parts.loc[("T1", "primary"), "exclusion_reason"] == "joined to parent school P1"
    assert parts.loc[("P1", "primary"), "qualified_teachers_per_100"] == pytest.approx((20 + 20) / 140 * 100)
    # Met flags, ratio to threshold and the 6-of-7 rule agree with lcedu.measure.standards.
    p1 = parts.loc[("P1", "primary")]
    thresholds = std.resource_thresholds("primary")
    assert p1["backbone_teachers_per_100_to_threshold"] == pytest.approx(
        4 / 140 * 100 / thresholds["backbone_teachers_per_100"]
    )
    assert bool(p1["meets_standard"]) == std.school_meets({k: p1[k] for k in std.RESOURCE_INDICATORS}, "primary")


def test_resource_value_and_cv_by_hand():
    r = ind.compute(
        ["primary_backbone_teachers_per_100", "primary_backbone_teachers_per_100_cv"], tables=resource_world()
    )
    # Assessed primary parts: P1 with its site T1 (4 + 0) / (100 + 40) → 2.857, P2 18/300 → 6.0, N1 2/100 → 2.0.
    # X̄ = (4 + 18 + 2) / (140 + 300 + 100) × 100 = 4.444
    assert value_of(r, "primary_backbone_teachers_per_100") == pytest.approx(24 / 540 * 100)
    # S² = (140 × (2.857 − 4.444)² + 300 × (6 − 4.444)² + 100 × (2 − 4.444)²) / 540 = 3.104 → S = 1.762, CV = 0.3964
    xbar = 24 / 540 * 100
    s = math.sqrt((140 * (400 / 140 - xbar) ** 2 + 300 * (6 - xbar) ** 2 + 100 * (2 - xbar) ** 2) / 540)
    assert value_of(r, "primary_backbone_teachers_per_100_cv") == pytest.approx(s / xbar)
    assert value_of(r, "primary_backbone_teachers_per_100_cv") == pytest.approx(0.39641, abs=1e-5)
    parts = ind.school_indicators("primary", tables=resource_world())
    assessed = parts[parts["is_assessed"]]
    assert value_of(r, "primary_backbone_teachers_per_100_cv") == pytest.approx(
        std.cv(assessed["backbone_teachers_per_100"], assessed["student_count"])
    )
    row = r[(r["indicator"] == "primary_backbone_teachers_per_100_cv") & (r["county_code"] == A)].iloc[0]
    assert row["numerator"] == pytest.approx(s) and row["denominator"] == pytest.approx(xbar)


def test_resource_na_when_a_school_value_is_missing():
    t = resource_world()
    t["teachers"] = t["teachers"].assign(
        backbone_teacher_count=t["teachers"]["backbone_teacher_count"].mask(t["teachers"]["school_id"] == "P2")
    )
    r = ind.compute(["primary_backbone_teachers_per_100_cv", "primary_resource_failing_school_count"], tables=t)
    assert math.isnan(value_of(r, "primary_backbone_teachers_per_100_cv"))
    assert "missing data" in reason_of(r, "primary_backbone_teachers_per_100_cv")
    assert math.isnan(value_of(r, "primary_resource_failing_school_count"))
    parts = ind.school_indicators("primary", tables=t).set_index("school_id")
    assert parts.loc["P2", "meets_standard"] is pd.NA
    assert "backbone_teachers_per_100" in parts.loc["P2", "na_reason"]


def test_missing_student_count_of_a_school_makes_the_county_na():
    t = resource_world()
    t["enrollment"] = t["enrollment"].assign(
        student_count=t["enrollment"]["student_count"].mask(t["enrollment"]["school_id"] == "P2")
    )
    r = ind.compute(
        [
            "primary_backbone_teachers_per_100",
            "primary_backbone_teachers_per_100_cv",
            "primary_resource_failing_school_count",
        ],
        tables=t,
    )
    assert reason_of(r, "primary_backbone_teachers_per_100") == "missing enrollment.student_count"
    assert reason_of(r, "primary_backbone_teachers_per_100_cv") == "missing enrollment.student_count"
    assert math.isnan(value_of(r, "primary_resource_failing_school_count"))


def test_no_assessed_schools_gives_reason():
    t = resource_world()
    t["enrollment"] = t["enrollment"][t["enrollment"]["stage"] == "primary"]  # no junior part at all
    r = ind.compute("junior_teaching_room_area_per_student_m2_cv", tables=t)
    assert reason_of(r, "junior_teaching_room_area_per_student_m2_cv") == "no assessed schools"


def test_a_site_joins_its_parent_school():
    """The parent-school rule (是否计校数 = 0): the site's students and 教学用房 are in its parent's part."""
    parts = ind.school_indicators("primary", tables=resource_world()).set_index("school_id")
    p1, t1 = parts.loc["P1"], parts.loc["T1"]
    assert p1["student_count"] == 100 + 40
    # 教学及辅助用房 − 室内体育用房: (3000 − 100) of P1 + (3000 − 100) of the site
    assert p1["teaching_room_area_per_student_m2_amount"] == pytest.approx(2900 + 2900)
    assert p1["teaching_room_area_per_student_m2"] == pytest.approx(5800 / 140)
    assert p1["multimedia_classrooms_per_100_amount"] == pytest.approx(10 + 10)
    assert bool(p1["is_assessed"]) and not bool(t1["is_assessed"]) and t1["joined_to_school_id"] == "P1"
    # The county counts each student once: P1 + site, P2 and N1's 小学部.
    assessed = parts[parts["is_assessed"].fillna(False)]
    assert assessed["student_count"].sum() == 140 + 300 + 100
    # A missing figure of the site makes the parent's value missing, not a smaller sum.
    t = resource_world()
    t["facilities"] = t["facilities"].assign(
        equipment_value_yuan=t["facilities"]["equipment_value_yuan"].mask(t["facilities"]["school_id"] == "T1")
    )
    parts = ind.school_indicators("primary", tables=t).set_index("school_id")
    assert pd.isna(parts.loc["P1", "equipment_value_per_student_yuan"])
    # The inputs are not modified.
    assert len(t["enrollment"]) == 5 and (t["enrollment"]["school_id"] == "T1").sum() == 1


def test_a_teaching_point_counted_as_a_school_is_assessed_on_its_own():
    t = resource_world()
    t["schools"] = t["schools"].assign(is_counted_school=pd.array([pd.NA] * 4, dtype="boolean"))
    parts = ind.school_indicators("primary", tables=t).set_index("school_id")
    assert parts.loc["T1", "is_assessed"] and parts.loc["P1", "student_count"] == 100


def test_a_sites_students_count_in_its_parents_school_size():
    from lcedu.measure.schools import school_sizes

    schools = [
        school("P1", A, "primary"),
        school("T1", A, "teaching_point", is_counted_school=False, parent_school_id="P1"),
    ]
    enrollment = [
        {
            "school_id": "P1",
            "stage": "primary",
            "student_count": 1980,
            "oversize_class_count": 0,
            "large_class_count": 0,
        },
        {"school_id": "T1", "stage": "primary", "student_count": 40, "oversize_class_count": 0, "large_class_count": 0},
    ]
    for row in enrollment:
        row.update(year=YEAR, county_code=A)
    t = {"schools": typed(schools, SCHOOL_COLS), "enrollment": typed(enrollment, ENROLLMENT_COLS)}
    sizes = school_sizes(t).set_index("school_id")
    assert list(sizes.index) == ["P1"] and sizes.loc["P1", "student_count"] == 2020  # over the 2000 cap
    r = ind.compute("compulsory_school_over_size_cap_count", tables=t)
    assert value_of(r, "compulsory_school_over_size_cap_count") == 1


def test_hebei_rule_is_an_option_that_is_off_by_default():
    assert std.teaching_point_min_students() == 0 and std.sites_join_parent()
    custom = std.load_standards()
    custom["compulsory_quality_balance"]["teaching_point_min_students"]["value"] = 50
    parts = ind.school_indicators("primary", tables=resource_world(), standards=custom).set_index("school_id")
    assert not parts.loc["T1", "is_assessed"]  # 40 students < 50, assessed on its own and left out
    assert parts.loc["T1", "exclusion_reason"] == "teaching point under 50 students"
    assert parts.loc["P1", "student_count"] == 100  # not joined under this rule
    custom["compulsory_quality_balance"]["teaching_point_min_students"]["value"] = 30
    parts = ind.school_indicators("primary", tables=resource_world(), standards=custom).set_index("school_id")
    assert parts.loc["T1", "is_assessed"]  # 40 students ≥ 30


# --------------------------------------------------------------------------- assessments


def test_preschool_assessment_by_hand():
    a = ind.assessments("preschool_universal", tables=kindergarten_world())
    row = a[a["county_code"] == A].iloc[0]
    # Statistics: 80 % ≥ 85? no; 75 ≥ 80? no; 50 ≥ 50 yes; 15 ≤ 15 yes; 80 ≥ 85 no; 87.5 ≥ 100 no → 2 of 6.
    # No checklist: its 13 items are not assessed. A failing dimension makes the whole 未达标.
    assert not row["is_met"] and row["state"] == "未达标"
    detail = ind.assessment_criteria("preschool_universal", tables=kindergarten_world())
    stats = detail[(detail["county_code"] == A) & (detail["source"] == "statistics")]
    assert (int(stats["is_met"].sum()), len(stats)) == (2, 6)
    assert row["criteria_met_count"] == 2 and row["criteria_count"] == 6 + len(
        ind.checklist_items().query("assessment == 'preschool_universal'")
    )
    assert "preschool_gross_enrollment_pct" in row["unmet_criteria"]
    spec = ind.load_registry().assessments["preschool_universal"]["criteria"]
    assert set(detail["criterion"]) == {c.get("indicator") or c.get("item") for c in spec}
    checklist = detail[detail["source"] == "checklist"]
    assert checklist["is_met"].isna().all() and set(checklist["na_reason"]) == {"no checklist"}


def test_assessment_is_not_assessed_when_a_criterion_cannot_be_computed():
    t = kindergarten_world()
    t["population"] = t["population"].iloc[0:0]
    # Make every other criterion pass so only the missing one decides.
    a = ind.assessments("preschool_universal", tables=t, standards=_lenient_preschool())
    row = a.iloc[0]
    assert row["is_met"] is pd.NA and row["state"] == "未评估"
    assert row["na_reason"].startswith("not assessed: ") and "missing population" in row["na_reason"]


def _lenient_preschool() -> dict:
    s = std.load_standards()
    for key in (
        "inclusive_coverage_pct",
        "public_enrollment_share_pct",
        "class_size_compliance_pct",
        "certified_staff_pct",
    ):
        s["preschool_universal_inclusive"][key]["value"] = 10
    return s


# --------------------------------------------------------------------------- output contract and city aggregate


def test_output_contract():
    r = ind.compute(tables=county_world())
    assert list(r.columns) == list(ind.OUTPUT_COLUMNS)
    assert str(r["value"].dtype) == "Float64" and str(r["year"].dtype) == "Int64"
    assert r["county_code"].str.fullmatch(r"\d{6}").all()
    # NA exactly where a reason says why; never a reason next to a value.
    assert (r["value"].isna() == r["na_reason"].notna()).all()
    with pytest.raises(ValueError, match="unknown indicator"):
        ind.compute("no_such_indicator", tables=county_world())
    with pytest.raises(ValueError, match="per-school"):
        ind.compute("backbone_teachers_per_100", tables=county_world())


def two_county_world(children: list[int], population: list[int]) -> dict[str, pd.DataFrame]:
    codes = ["530902", "530921", "530922", "530923", "530924", "530925", "530926", "530927"][: len(children)]
    schools = [school(f"K{i}", c, "kindergarten", is_inclusive=True) for i, c in enumerate(codes)]
    enrollment = [
        {"school_id": f"K{i}", "stage": "kindergarten", "year": YEAR, "county_code": c, "student_count": n}
        for i, (c, n) in enumerate(zip(codes, children, strict=True))
    ]
    pop = [{"county_code": c, "year": YEAR, "pop_age3_5": p} for c, p in zip(codes, population, strict=True)]
    return {
        "schools": typed(schools, SCHOOL_COLS),
        "enrollment": typed(enrollment, ENROLLMENT_COLS),
        "population": typed(pop, ["county_code", "year", "pop_age3_5"]),
    }


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 6000)), min_size=1, max_size=8))
def test_city_aggregate_is_sum_of_numerators_over_sum_of_denominators(pairs):
    children, population = zip(*pairs, strict=True)
    r = ind.compute("preschool_gross_enrollment_pct", tables=two_county_world(list(children), list(population)))
    city = r[r["county_code"] == CITY_CODE].iloc[0]
    counties = r[r["county_code"] != CITY_CODE]
    assert city["numerator"] == counties["numerator"].sum()
    assert city["denominator"] == counties["denominator"].sum()
    assert city["value"] == pytest.approx(100 * sum(children) / sum(population))


def test_city_aggregate_is_na_when_a_county_is_missing():
    t = two_county_world([100, 200], [150, 250])
    t["population"] = t["population"].iloc[:1]
    r = ind.compute("preschool_gross_enrollment_pct", tables=t)
    assert math.isnan(value_of(r, "preschool_gross_enrollment_pct", CITY_CODE))
    assert "1 of 2 counties" in reason_of(r, "preschool_gross_enrollment_pct", CITY_CODE)


def test_inputs_are_not_modified():
    t = county_world()
    before = {k: v.copy() for k, v in t.items()}
    ind.compute(tables=t)
    ind.school_indicators(tables=t)
    for k in t:
        pd.testing.assert_frame_equal(t[k], before[k])


def test_registry_codes_match_the_targets_and_are_documented():
    reg = ind.load_registry()
    target_codes = set(load_targets()["indicator"])
    engine_codes = {c for c, i in reg.indicators.items() if i.level != "school"}
    # Every quantitative target whose data exists has an engine indicator under the same code.
    expected = {
        "preschool_gross_enrollment_pct",
        "inclusive_kindergarten_coverage_pct",
        "public_kindergarten_enrollment_share_pct",
        "village_kindergarten_coverage_pct",
        "township_public_kindergarten_coverage_pct",
        "disabled_children_enrollment_pct",
        "special_school_coverage_large_county_pct",
        "nine_year_retention_pct",
        "senior_gross_enrollment_pct",
        "rural_compulsory_teacher_bachelor_pct",
        "dual_qualified_teacher_pct",
        "digital_classroom_coverage_pct",
        "fiber_campus_network_coverage_pct",
        "safe_campus_rate_pct",
        "preschool_universal",
        "compulsory_balanced",
        "famous_principal_count",
        "green_campus_count",
        "high_school_trusteeship_coverage_pct",
        "private_high_school_count",
        "higher_vocational_student_count",
    }
    assert expected <= (engine_codes & target_codes)
    frame = ind.registry_frame()
    assert (frame["source"].str.len() > 0).all()
    assert set(frame["direction"]) <= {"higher", "lower", "none"}


# --------------------------------------------------------------------------- the processed sample


@pytest.fixture(scope="module")
def sample_result(sample_tables):
    return ind.compute(tables=sample_tables)


def test_sample_designed_assessment_outcomes(sample_tables):
    a = ind.assessments(tables=sample_tables)
    met = a[a["is_met"].fillna(False)]
    preschool = set(
        map(
            tuple,
            met.loc[met["assessment"] == "preschool_universal", ["county_code", "year"]]
            .astype({"year": int})
            .to_numpy()
            .tolist(),
        )
    )
    balanced = set(
        map(
            tuple,
            met.loc[met["assessment"] == "compulsory_balanced", ["county_code", "year"]]
            .astype({"year": int})
            .to_numpy()
            .tolist(),
        )
    )
    assert preschool == {("530902", 2024), ("530902", 2025), ("530924", 2025), ("530925", 2025)}
    # 沧源 2025 meets 资源配置 but sent no 督导评估清单 (未评估); 临翔 2025 fails one 差异系数.
    assert balanced == {("530921", 2025), ("530925", 2025)}
    unassessed = a[a["state"] == "未评估"]
    assert set(zip(unassessed["county_code"], unassessed["year"].astype(int), strict=True)) == {("530927", 2025)}
    assert (a["is_met"].isna() == (a["state"] == "未评估")).all()


def test_sample_has_schools_below_a_threshold_in_every_county_and_year(sample_tables):
    parts = ind.school_indicators(tables=sample_tables)
    assessed = parts[parts["is_assessed"]]
    flags = assessed[[f"{c}_is_met" for c in std.RESOURCE_INDICATORS]]
    below = (flags == False).any(axis=1)  # noqa: E712
    per_county_year = below.groupby([assessed["county_code"], assessed["year"]]).any()
    assert len(per_county_year) == 32 and per_county_year.all()


def test_sample_attached_classes_keep_inclusive_above_public(sample_tables):
    """The issue's mutation on the sample: 2,000 children in one public primary school's 附设幼儿班 in 临翔区."""
    t = dict(sample_tables)
    schools, enr = t["schools"], t["enrollment"]
    host = schools[
        (schools["county_code"] == "530902")
        & (schools["year"] == 2025)
        & (schools["school_type"] == "primary")
        & schools["is_public"].fillna(False)
    ].iloc[0]
    t["schools"] = schools.assign(
        kindergarten_class_count=schools["kindergarten_class_count"].mask(
            (schools["school_id"] == host["school_id"]) & (schools["year"] == 2025),
            schools["kindergarten_class_count"].fillna(0) + 60,
        )
    )
    existing = (enr["school_id"] == host["school_id"]) & (enr["year"] == 2025) & (enr["stage"] == "kindergarten")
    row = (
        enr[(enr["school_id"] == host["school_id"]) & (enr["year"] == 2025)]
        .iloc[[0]]
        .assign(stage="kindergarten", student_count=2000, oversize_class_count=3)
    )
    t["enrollment"] = pd.concat([enr[~existing], row], ignore_index=True)
    codes = [
        "inclusive_kindergarten_coverage_pct",
        "public_kindergarten_enrollment_share_pct",
        "kindergarten_class_size_compliance_pct",
    ]
    before = ind.compute(codes, tables=sample_tables, years=2025)
    after = ind.compute(codes, tables=t, years=2025)
    for r in (before, after):
        wide = r.pivot_table(index="county_code", columns="indicator", values="value")
        assert (wide["inclusive_kindergarten_coverage_pct"] >= wide["public_kindergarten_enrollment_share_pct"]).all()
        assert (
            (wide["kindergarten_class_size_compliance_pct"] >= 0)
            & (wide["kindergarten_class_size_compliance_pct"] <= 100)
        ).all()
    # public children were added: both shares rise, neither falls
    for code in codes[:2]:
        assert value_of(after, code, "530902", 2025) > value_of(before, code, "530902", 2025)


def test_sample_sites_are_in_their_parents_parts(sample_tables):
    parts = ind.school_indicators("primary", 2025, tables=sample_tables)
    sites = parts[parts["joined_to_school_id"].notna()]
    assert len(sites) and not sites["is_assessed"].fillna(True).any()
    enr = sample_tables["enrollment"]
    own = enr[(enr["year"] == 2025) & (enr["stage"] == "primary")].set_index("school_id")["student_count"]
    joined = sites.groupby("joined_to_school_id")["student_count"].sum()
    parent_parts = parts.set_index("school_id").loc[joined.index]
    assert (parent_parts["student_count"].to_numpy() == (own.reindex(joined.index).fillna(0) + joined).to_numpy()).all()
    # every primary student counts once among the assessed parts (none lost with the old under-50 exclusion)
    assessed = parts[parts["is_assessed"].fillna(False)]
    assert assessed["student_count"].sum() == own[own > 0].sum()


def test_sample_city_cv_pools_every_school(sample_tables, sample_result):
    parts = ind.school_indicators("junior", 2025, tables=sample_tables)
    assessed = parts[parts["is_assessed"]]
    expected = std.cv(assessed["sports_area_per_student_m2"], assessed["student_count"])
    assert value_of(sample_result, "junior_sports_area_per_student_m2_cv", CITY_CODE, 2025) == pytest.approx(expected)


def test_sample_city_rows_are_sums_of_county_rows(sample_tables, sample_result):
    r = sample_result
    reg = ind.load_registry().indicators
    summed = [c for c, i in reg.items() if i.level == "county" and i.city == "sum" and "function" not in i.formula]
    sub = r[r["indicator"].isin(summed)]
    city = sub[sub["county_code"] == CITY_CODE].set_index(["indicator", "year"])
    counties = sub[sub["county_code"] != CITY_CODE].groupby(["indicator", "year"])[["numerator"]].sum()
    joined = city.join(counties.rename(columns={"numerator": "numerator_counties"}))
    # A figure only the city reports (city_plus: 技工学校在校生) is added to the city numerator.
    for code in summed:
        if reg[code].city_plus is not None:
            extra = sample_tables["city"].set_index("year")[reg[code].city_plus["sum"]].astype(float)
            rows = joined.index.get_level_values("indicator") == code
            years = joined.index.get_level_values("year")[rows]
            joined.loc[rows, "numerator_counties"] += extra.reindex(years).to_numpy()
    complete = joined["numerator"].notna()
    np.testing.assert_allclose(
        joined.loc[complete, "numerator"].to_numpy(dtype=float),
        joined.loc[complete, "numerator_counties"].to_numpy(dtype=float),
    )


def test_every_target_with_an_engine_code_has_a_value_in_its_scope(sample_tables, sample_result):
    targets = load_targets()
    targets = targets[targets["indicator"].isin(set(sample_result["indicator"]))]
    assert len(targets) >= 40
    expanded = expand_targets(targets, sample_result["county_code"], sample_tables["population"])
    joined = expanded.merge(
        sample_result.astype({"year": "int64", "county_code": object}),
        how="left",
        on=["indicator", "year", "county_code"],
    )
    missing = joined[joined["value"].isna()]
    # The one county-year without a 督导评估清单 is 未评估 (NA with its reason), by design of the sample.
    not_assessed = missing["na_reason"].fillna("").str.startswith("not assessed: ")
    assert set(zip(missing.loc[not_assessed, "indicator"], missing.loc[not_assessed, "county_code"], strict=True)) <= {
        ("compulsory_balanced", "530927"),
        ("preschool_universal", "530927"),
    }
    missing = missing[~not_assessed]
    assert missing.empty, missing[["indicator", "year", "county_code", "na_reason"]].to_string()
    # The each_county targets reach all eight counties (the 20万 condition narrows the special-school one).
    village = expanded[expanded["indicator"] == "village_kindergarten_coverage_pct"]
    assert len(village) == 8
    large = expanded[expanded["indicator"] == "special_school_coverage_large_county_pct"]
    assert set(large["county_code"]) == {"530902", "530921", "530922", "530923", "530926"}


def test_compute_filters_counties_and_years(sample_tables):
    r = ind.compute(["preschool_gross_enrollment_pct"], counties=[A, CITY_CODE], years=2025, tables=sample_tables)
    assert set(r["county_code"]) == {A, CITY_CODE} and set(r["year"]) == {2025}


def test_compute_reads_the_processed_folder(processed_sample):
    r = ind.compute("preschool_gross_enrollment_pct", processed_dir=processed_sample)
    assert len(r) == 9 * 4


def test_invalid_registry_is_reported_with_every_problem(tmp_path):
    bad = tmp_path / "indicators.yml"
    bad.write_text(
        "school_resources: {}\nassessments: {}\nindicators:\n"
        "  - {code: x_pct, name_zh: x, name_en: x, level: county, stage: all, unit: '%', direction: up,\n"
        "     source: {document: d}, formula: {numerator: {table: nowhere, sum: a}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as err:
        ind.load_registry(bad)
    message = str(err.value)
    assert "direction" in message and "unknown table 'nowhere'" in message
    assert "numerator+denominator" in message and "school_resources: missing" in message
