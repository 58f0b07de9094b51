"""Tests of lcedu.measure.standards: thresholds as data, 差异系数, the 6-of-7 rule, shared resources."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lcedu.measure import standards as S
from lcedu.measure.standards import (
    RESOURCE_INDICATORS,
    cv,
    indicator_flags,
    indicators_met_count,
    load_standards,
    resource_thresholds,
    school_meets,
    school_meets_frame,
    split_shared,
    weighted_mean,
)

# --------------------------------------------------------------------------- the YAML


def _threshold_entries(node, where=""):
    if isinstance(node, dict):
        if "value" in node:
            yield where, node
        else:
            for key, child in node.items():
                yield from _threshold_entries(child, f"{where}.{key}" if where else key)


def test_every_threshold_is_documented():
    entries = list(_threshold_entries(load_standards()))
    assert len(entries) >= 20
    for where, entry in entries:
        assert {"value", "unit", "comparison", "confidence", "source"} <= set(entry), where
        assert entry["source"]["document"] and entry["source"]["url"].startswith("http"), where
        if entry["confidence"] == "U":
            assert entry["configurable"] is True and entry["note"], where


def test_national_numbers_as_in_standards_md():
    std = load_standards()
    cqb = std["compulsory_quality_balance"]
    assert resource_thresholds("primary") == {
        "qualified_teachers_per_100": 4.2,
        "backbone_teachers_per_100": 1.0,
        "pe_arts_teachers_per_100": 0.9,
        "teaching_room_area_per_student_m2": 4.5,
        "sports_area_per_student_m2": 7.5,
        "equipment_value_per_student_yuan": 2000.0,
        "multimedia_classrooms_per_100": 2.3,
    }
    assert resource_thresholds("junior")["qualified_teachers_per_100"] == 5.3
    assert resource_thresholds("junior")["sports_area_per_student_m2"] == 10.2
    quals = cqb["resource_indicators"]["qualified_teachers_per_100"]["above_required_qualification"]
    assert quals == {"primary": "专科及以上", "junior": "本科及以上"}
    assert cqb["school_rule"]["min_indicators_met"]["value"] == 6
    assert cqb["school_rule"]["floor_ratio"]["value"] == 0.85
    assert cqb["cv_max"]["value"] == {"primary": 0.50, "junior": 0.45}
    assert cqb["school_size_max"]["value"]["nine_year"] == 2500
    assert cqb["class_size_max"]["value"] == {"primary": 45, "junior": 50}
    weights = cqb["shared_resource_weights"]
    assert weights["value"] == {"primary": 1, "junior": 1.1, "senior": 1.32}
    assert weights["confidence"] == "U" and weights["configurable"] is True
    point = cqb["teaching_point_min_students"]
    assert (point["value"], point["confidence"], point["configurable"]) == (0, "C-loc", True)  # off: sites join
    pre = std["preschool_universal_inclusive"]
    assert [
        pre[k]["value"] for k in ("gross_enrollment_pct", "inclusive_coverage_pct", "public_enrollment_share_pct")
    ] == [85, 80, 50]
    assert pre["children_per_teacher_max"]["comparison"] == "at_most"
    assert pre["kindergarten_class_size_max"]["value"] == {
        "small": 25,
        "middle": 30,
        "large": 35,
        "mixed": 30,
    }


def test_load_standards_returns_a_copy():
    first = load_standards()
    first["compulsory_quality_balance"]["cv_max"]["value"]["primary"] = 9.9
    assert load_standards()["compulsory_quality_balance"]["cv_max"]["value"]["primary"] == 0.50


def _write(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_stricter_province_file_changes_the_verdict(tmp_path):
    data = load_standards()
    data["compulsory_quality_balance"]["resource_indicators"]["sports_area_per_student_m2"]["value"]["primary"] = 8.0
    strict = load_standards(_write(tmp_path / "yunnan.yml", data))
    school = {**resource_thresholds("primary"), "sports_area_per_student_m2": 6.40}
    assert school_meets(school, "primary")
    assert not school_meets(school, "primary", standards=strict)  # 6.40 < 0.85 × 8.0 = 6.8


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["compulsory_quality_balance"]["cv_max"].pop("source"),
            "cv_max: missing 'source'",
        ),
        (
            lambda d: d["compulsory_quality_balance"]["cv_max"].update(confidence="X"),
            "confidence 'X'",
        ),
        (
            lambda d: d["compulsory_quality_balance"]["shared_resource_weights"].pop("configurable"),
            "configurable: true",
        ),
        (
            lambda d: d["compulsory_quality_balance"]["resource_indicators"].pop("backbone_teachers_per_100"),
            "backbone_teachers_per_100",
        ),
    ],
)
def test_invalid_standards_file_is_reported(tmp_path, edit, message):
    data = load_standards()
    edit(data)
    path = _write(tmp_path / "bad.yml", data)
    with pytest.raises(ValueError, match="bad.yml") as err:
        load_standards(path)
    assert message in str(err.value)


# --------------------------------------------------------------------------- 差异系数


def test_cv_two_schools_by_hand():
    # P = 100 + 300 = 400; weights 0.25, 0.75.
    # X̄ = 0.25·2 + 0.75·4 = 3.5
    # S² = 0.25·(2 − 3.5)² + 0.75·(4 − 3.5)² = 0.25·2.25 + 0.75·0.25 = 0.75
    # CV = sqrt(0.75) / 3.5 ≈ 0.247436
    assert cv([2, 4], [100, 300]) == pytest.approx(math.sqrt(0.75) / 3.5)
    assert cv([2, 4], [100, 300]) == pytest.approx(0.247436, abs=1e-6)


def test_cv_is_student_weighted_not_unweighted():
    # Qualified teachers: school A 20 of 500 students (4.0 per 100), B 75 of 1500 (5.0).
    # X̄ = (20 + 75) / 2000 × 100 = 4.75
    # S² = 0.25·(4.0 − 4.75)² + 0.75·(5.0 − 4.75)² = 0.140625 + 0.046875 = 0.1875
    # CV = sqrt(0.1875) / 4.75 ≈ 0.091161; the unweighted version would be 0.5 / 4.5 ≈ 0.111.
    result = cv([4.0, 5.0], [500, 1500])
    assert result == pytest.approx(math.sqrt(0.1875) / 4.75)
    assert result != pytest.approx(0.5 / 4.5, abs=1e-3)


def test_cv_three_equal_schools_by_hand():
    # Equal weights 1/3: X̄ = 2, S² = (1 + 0 + 1)/3 = 2/3 (population form, not /2).
    assert cv([1, 2, 3], [50, 50, 50]) == pytest.approx(math.sqrt(2 / 3) / 2)


def test_cv_accepts_arrays_and_series():
    expected = cv([2, 4], [100, 300])
    assert cv(np.array([2.0, 4.0]), np.array([100, 300])) == pytest.approx(expected)
    assert cv(pd.Series([2.0, 4.0]), pd.Series([100, 300])) == pytest.approx(expected)
    nullable = pd.Series([2.0, pd.NA, 4.0], dtype="Float64")
    assert cv(nullable, pd.Series([100, 7, 300], dtype="Int64")) == pytest.approx(expected)


def test_cv_edge_cases():
    assert math.isnan(cv([], []))
    assert math.isnan(cv([2.0, 4.0], [0, 0]))  # no students
    assert math.isnan(cv([0.0, 0.0], [10, 20]))  # zero mean
    assert math.isnan(cv([np.nan, np.nan], [10, 20]))  # nothing assessable
    # A NaN value is dropped together with its weight.
    assert cv([2, np.nan, 4], [100, 5000, 300]) == pytest.approx(cv([2, 4], [100, 300]))
    # A school without students carries no weight, even with an R/0 = inf value.
    assert cv([2, np.inf, 4], [100, 0, 300]) == pytest.approx(cv([2, 4], [100, 300]))
    assert cv([5.0], [120]) == 0.0


@pytest.mark.parametrize(
    ("values", "students", "message"),
    [
        ([1, 2], [10, -1], "negative"),
        ([1, 2], [10], "length"),
        ([1, 2], [10, np.nan], "missing"),
        ([1, np.inf], [10, 5], "finite"),
        ([[1, 2]], [[1, 2]], "one-dimensional"),
    ],
)
def test_cv_rejects_bad_input(values, students, message):
    with pytest.raises(ValueError, match=message):
        cv(values, students)


def test_cv_rejects_unaligned_series():
    with pytest.raises(ValueError, match="index"):
        cv(pd.Series([1.0, 2.0], index=[0, 1]), pd.Series([5, 6], index=[1, 0]))


schools = st.lists(
    st.tuples(
        st.floats(min_value=0.01, max_value=1e4, allow_nan=False),
        st.integers(min_value=1, max_value=5000),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(schools, st.floats(min_value=1e-3, max_value=1e3))
def test_cv_is_scale_free(data, k):
    values, students = zip(*data, strict=True)
    assert cv([v * k for v in values], students) == pytest.approx(cv(values, students), rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=0.01, max_value=1e4),
    st.lists(st.integers(1, 5000), min_size=1, max_size=30),
)
def test_identical_schools_have_zero_cv(value, students):
    assert cv([value] * len(students), students) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e5), st.integers(1, 5000)), min_size=1, max_size=30))
def test_weighted_mean_is_the_aggregate_ratio(data):
    resources, students = zip(*data, strict=True)
    values = [r / p for r, p in zip(resources, students, strict=True)]
    assert weighted_mean(values, students) == pytest.approx(sum(resources) / sum(students), rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(schools, st.randoms(use_true_random=False))
def test_cv_ignores_order_and_school_splits(data, rnd):
    values, students = zip(*data, strict=True)
    shuffled = list(data)
    rnd.shuffle(shuffled)
    sv, sp = zip(*shuffled, strict=True)
    assert cv(sv, sp) == pytest.approx(cv(values, students), rel=1e-9, abs=1e-12)
    # Two identical half-schools weigh the same as one school of twice the students.
    assert cv([*values, values[0]], [*students, students[0]]) == pytest.approx(
        cv(values, [students[0] * 2, *students[1:]]), rel=1e-9, abs=1e-12
    )


# --------------------------------------------------------------------------- 6 of 7 and 85 %


def _school(stage="primary", **changes):
    return {**resource_thresholds(stage), **changes}


def test_school_at_every_threshold_passes():
    assert school_meets(_school(), "primary")
    assert school_meets(_school("junior"), "junior")


def test_six_met_and_rest_above_85_percent():
    # standards.md §4.1: 7.5 × 0.85 = 6.375 m².
    assert school_meets(_school(sports_area_per_student_m2=6.40), "primary")
    assert not school_meets(_school(sports_area_per_student_m2=6.30), "primary")
    assert school_meets(_school(sports_area_per_student_m2=7.5 * 0.85), "primary")  # exactly the floor


def test_floor_is_not_lost_to_float_rounding():
    # 5.3 × 0.85 = 4.505 exactly on paper; a school reporting 4.505 reaches the floor.
    assert school_meets(_school("junior", qualified_teachers_per_100=4.505), "junior")


def test_two_failing_indicators_always_fail():
    barely = _school(sports_area_per_student_m2=7.49, multimedia_classrooms_per_100=2.29)
    assert not school_meets(barely, "primary")


def test_junior_thresholds_are_stricter():
    primary_level = _school("primary")
    assert school_meets(primary_level, "primary")
    assert not school_meets(primary_level, "junior")  # e.g. 4.5 m² < 0.85 × 5.8 and 2000 元 < 2125


def test_extra_keys_are_ignored():
    assert school_meets({**_school(), "school_name": "临沧市第一小学"}, "primary")


@pytest.mark.parametrize("code", RESOURCE_INDICATORS)
def test_missing_or_nan_indicator_is_named(code):
    values = _school()
    del values[code]
    with pytest.raises(ValueError, match=code):
        school_meets(values, "primary")
    with pytest.raises(ValueError, match=code):
        school_meets({**_school(), code: float("nan")}, "primary")


def test_unknown_stage():
    with pytest.raises(ValueError, match="stage"):
        school_meets(_school(), "senior")


def _frame():
    return pd.DataFrame(
        [
            _school(),
            _school(sports_area_per_student_m2=6.40),
            _school(sports_area_per_student_m2=6.30),
            _school(sports_area_per_student_m2=7.49, multimedia_classrooms_per_100=2.29),
            _school(backbone_teachers_per_100=np.nan),
        ],
        index=pd.Index(["a", "b", "c", "d", "e"], name="school_id"),
    )


def test_school_meets_frame():
    df = _frame()
    before = df.copy()
    result = school_meets_frame(df, "primary")
    assert result.dtype == "boolean" and result.index.equals(df.index)
    assert result.iloc[:4].tolist() == [True, True, False, False]
    assert result.isna().tolist() == [False, False, False, False, True]
    pd.testing.assert_frame_equal(df, before)


def test_met_count_and_flags():
    df = _frame()
    assert indicators_met_count(df, "primary").tolist() == [7, 6, 6, 5, pd.NA]
    flags = indicator_flags(df, "primary")
    assert list(flags.columns) == list(RESOURCE_INDICATORS)
    assert not flags.loc["b", "sports_area_per_student_m2"]
    assert pd.isna(flags.loc["e", "backbone_teachers_per_100"])
    assert flags.loc["e", "sports_area_per_student_m2"]


def test_frame_missing_column():
    with pytest.raises(ValueError, match="multimedia_classrooms_per_100"):
        school_meets_frame(_frame().drop(columns="multimedia_classrooms_per_100"), "primary")


def test_frame_accepts_nullable_columns():
    df = _frame().astype("Float64")
    assert school_meets_frame(df, "primary").isna().tolist() == [False, False, False, False, True]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(
            st.floats(0.5, 1.2),
            min_size=len(RESOURCE_INDICATORS),
            max_size=len(RESOURCE_INDICATORS),
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(S.STAGES),
)
def test_frame_agrees_with_scalar(ratios, stage):
    thresholds = resource_thresholds(stage)
    rows = [{code: r * thresholds[code] for code, r in zip(RESOURCE_INDICATORS, row, strict=True)} for row in ratios]
    frame = school_meets_frame(pd.DataFrame(rows), stage)
    assert frame.tolist() == [school_meets(row, stage) for row in rows]


# --------------------------------------------------------------------------- shared resources


def test_nine_year_school_split():
    # A = 600, B = 400: weighted 600 and 1.1 × 400 = 440; 小学部 gets 600/1040.
    primary, junior, senior = split_shared(5200, 600, 400)
    assert primary == pytest.approx(5200 * 600 / (600 + 440))  # = 3000
    assert junior == pytest.approx(5200 * 440 / 1040)  # = 2200
    assert senior == 0


def test_complete_middle_school_split():
    # 完全中学: 初中部 share = B / (B + 1.2C) since 1.32 / 1.1 = 1.2; B = 500, C = 250 → 500/800.
    primary, junior, senior = split_shared(8000, 0, 500, 250)
    assert primary == 0
    assert junior == pytest.approx(8000 * 500 / 800)
    assert senior == pytest.approx(8000 * 300 / 800)


def test_twelve_year_school_split():
    # A = 1000, B = 500, C = 250 → weighted 1000, 550, 330; total 1880.
    shares = split_shared(1880, 1000, 500, 250)
    assert shares == pytest.approx((1000, 550, 330))
    assert shares.primary == pytest.approx(1000)


def test_custom_weights():
    assert split_shared(100, 1, 1, 0, weights={"primary": 1, "junior": 3, "senior": 1}) == pytest.approx((25, 75, 0))
    assert split_shared(100, 1, 1, 0, weights=(1, 1, 1)) == pytest.approx((50, 50, 0))
    with pytest.raises(ValueError, match="positive"):
        split_shared(100, 1, 1, weights=(1, 0, 1))


def test_no_students_gives_nan_not_zero():
    assert all(math.isnan(s) for s in split_shared(1000, 0, 0, 0))


def test_negative_students():
    with pytest.raises(ValueError, match="junior"):
        split_shared(1000, 10, -1)


def test_split_arrays():
    amount = np.array([5200.0, 8000.0, 1000.0])
    primary, junior, senior = split_shared(
        amount, np.array([600, 0, 0]), np.array([400, 500, 0]), np.array([0, 250, 0])
    )
    assert isinstance(primary, np.ndarray)
    np.testing.assert_allclose(primary[:2], [3000, 0])
    np.testing.assert_allclose(junior[:2], [2200, 5000])
    assert np.isnan([primary[2], junior[2], senior[2]]).all()


def test_split_series_keeps_index_and_inputs():
    idx = pd.Index(["s1", "s2"], name="school_id")
    amount = pd.Series([5200.0, 1880.0], index=idx)
    a = pd.Series([600, 1000], index=idx, dtype="Int64")
    b = pd.Series([400, 500], index=idx)
    c = pd.Series([0, 250], index=idx)
    before = [x.copy() for x in (amount, a, b, c)]
    primary, junior, senior = split_shared(amount, a, b, c)
    assert isinstance(primary, pd.Series) and primary.index.equals(idx)
    assert primary.tolist() == pytest.approx([3000, 1000])
    assert junior.tolist() == pytest.approx([2200, 550])
    for x, y in zip((amount, a, b, c), before, strict=True):
        pd.testing.assert_series_equal(x, y)
    with pytest.raises(ValueError, match="index"):
        split_shared(amount, a.set_axis(["s2", "s1"]), b)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0, 1e7),
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, 5000),
)
def test_shares_sum_to_amount(amount, a, b, c):
    shares = split_shared(amount, a, b, c)
    if a + b + c == 0:
        assert all(math.isnan(s) for s in shares)
    else:
        assert sum(shares) == pytest.approx(amount, rel=1e-9, abs=1e-6)
        assert all(s >= 0 for s in shares)
