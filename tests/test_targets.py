"""Tests of lcedu.measure.plan: the plan's targets as data, checked against the plan text."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lcedu.ingest import counties
from lcedu.measure.plan import (
    COLUMNS,
    COMPARISONS,
    TargetsFileError,
    get_plan,
    list_plans,
    load_plan,
    load_plan_text,
    load_targets,
    plan_path,
)
from lcedu.measure.plan_prose import check_plan_text, plan_numbers, target_passages, uncovered_numbers

TARGETS_DIR = Path(__file__).resolve().parents[1] / "lcedu" / "plans" / "lincang_2023_2025"
YAML_FILE = TARGETS_DIR / "targets.yml"

# Phrases whose numerals are names, not quantities: the plan file's check.not_targets.
# test_every_exclusion_is_needed keeps that list minimal.
NOT_TARGETS = get_plan().not_targets


@pytest.fixture(scope="module")
def targets() -> pd.DataFrame:
    return load_targets()


@pytest.fixture(scope="module")
def passages() -> str:
    """Sections 二 (工作目标) and 三 (重点任务), plus the funding sentence(s) of 四(二)."""
    text = target_passages(load_plan_text(), get_plan().passages)
    assert "二、工作目标" in text and "万元" in text and "四、保障措施" not in text
    return text


def _rows(df: pd.DataFrame, indicator: str, year: int | None = None) -> pd.DataFrame:
    out = df[df.indicator == indicator]
    return out if year is None else out[out.year == year]


# --------------------------------------------------------------------------- the data


def test_shape_and_columns(targets):
    assert tuple(targets.columns) == COLUMNS
    assert set(targets.comparison) <= set(COMPARISONS)
    assert targets.year.between(2023, 2025).all()
    assert not targets.duplicated(["indicator", "year", "scope", "counties"]).any()
    assert (targets.plan == "lincang_2023_2025").all()


def test_county_scoped_targets(targets):
    def counties_of(indicator, year):
        rows = _rows(targets, indicator, year)
        return {code for codes in rows.counties for code in codes}

    assert counties_of("preschool_universal", 2024) == {"530902"}  # 临翔区
    assert {"530924", "530925"} <= counties_of("preschool_universal", 2025)  # 镇康, 双江
    assert counties_of("compulsory_balanced", 2025) == {
        "530921",
        "530927",
        "530925",
    }  # 凤庆, 沧源, 双江
    assert counties_of("private_high_school_count", 2023) == {"530922"}  # 云县
    assert counties_of("private_high_school_count", 2024) == {"530902"}  # 临翔区
    assert counties_of("special_school_built", 2025) == {"530902"}
    assert counties_of("special_school_independent", 2025) == {"530926"}  # 耿马
    assert (_rows(targets, "preschool_universal").comparison == "reach").all()


def test_county_shares_agree_with_county_lists(targets):
    # 37.5 % of the 8 counties = 3 counties, for both assessments.
    n_counties = len(counties.home())
    for share, reach in [
        ("preschool_universal_county_share_pct", "preschool_universal"),
        ("compulsory_balanced_county_share_pct", "compulsory_balanced"),
    ]:
        target = _rows(targets, share, 2025).value.item()
        reached = _rows(targets, reach, 2025).counties.item()
        assert len(reached) / n_counties * 100 == pytest.approx(target)


def test_values_and_years(targets):
    senior = _rows(targets, "senior_gross_enrollment_pct").set_index("year").value
    assert senior.to_dict() == {2023: 93.5, 2024: 94.0, 2025: 95.0}
    digital = _rows(targets, "digital_classroom_coverage_pct").set_index("year").value
    assert digital.to_dict() == {2023: 20.0, 2024: 60.0, 2025: 100.0}
    safe = _rows(targets, "safe_campus_rate_pct").set_index("year").value
    assert safe.to_dict() == {2023: 60.0, 2024: 100.0}
    for kept in ("public_kindergarten_enrollment_share_pct", "inclusive_kindergarten_coverage_pct"):
        assert sorted(_rows(targets, kept).year) == [2023, 2024, 2025]  # 保持 = every year
    for funding in ("quality_award_funding_wan_yuan", "vocational_special_funding_wan_yuan"):
        assert sorted(_rows(targets, funding).year) == [2023, 2024, 2025]  # 每年
    dual = _rows(targets, "dual_qualified_teacher_pct").iloc[0]
    assert (dual.value, dual.strict) == (50.0, True)  # 超过50%
    majors = _rows(targets, "provincial_first_class_major_count").iloc[0]
    # 建成…5至8个 is a floor (9 is met); 8 is the planned band's top, shown, not tested
    assert (majors.comparison, majors.value, majors.value_max) == ("count_at_least", 5.0, 8.0)
    # 四(二): 增幅超过全省平均 (strictly above) and the 两个只增不减, every plan year, city-wide
    growth = _rows(targets, "education_expenditure_growth_above_province_pp")
    assert sorted(growth.year) == [2023, 2024, 2025] and set(growth.strict) == {True} and set(growth.value) == {0}
    for code in ("general_budget_education_expenditure_change_pct", "education_expenditure_per_student_change_pct"):
        rows = _rows(targets, code)
        assert sorted(rows.year) == [2023, 2024, 2025] and set(rows.comparison) == {"at_least"}
        assert set(rows["quote"]) == {"严格落实教育经费“两个只增不减”政策要求"}
    assert _rows(targets, "dianxi_student_count").value.item() == 16000  # 1.6万人
    large = _rows(targets, "special_school_coverage_large_county_pct").iloc[0]
    assert dict(large.condition) == {"population_over": 200000.0}


def test_requested_indicator_codes_present(targets):
    requested = {
        "preschool_gross_enrollment_pct", "public_kindergarten_enrollment_share_pct",
        "inclusive_kindergarten_coverage_pct", "preschool_universal",
        "preschool_universal_county_share_pct", "village_kindergarten_coverage_pct",
        "township_public_kindergarten_coverage_pct", "county_demo_kindergarten_coverage_pct",
        "special_school_coverage_large_county_pct", "disabled_children_enrollment_pct",
        "nine_year_retention_pct", "compulsory_balanced", "compulsory_balanced_county_share_pct",
        "senior_gross_enrollment_pct", "private_high_school_count",
        "high_school_trusteeship_coverage_pct", "provincial_first_class_high_school_count",
        "provincial_first_class_first_grade_high_school_count", "dual_qualified_teacher_pct",
        "vocational_employment_rate_pct", "vocational_school_compliance_pct",
        "higher_vocational_student_count", "famous_principal_count", "principal_studio_count",
        "famous_head_teacher_count", "famous_teacher_count", "famous_student_count",
        "rural_compulsory_teacher_bachelor_pct", "provincial_first_class_kindergarten_count",
        "modern_education_demo_school_count", "green_campus_count", "talent_recruited_count",
        "party_demo_school_count", "dianxi_student_count", "digital_classroom_coverage_pct",
        "fiber_campus_network_coverage_pct", "safe_campus_rate_pct",
    }  # fmt: skip
    assert requested <= set(targets.indicator)


def test_quotes_are_verbatim(targets):
    text = load_plan_text()
    for row in targets.drop_duplicates("entry").itertuples():
        for quote in (row.quote, *(q for _, q in row.restated)):
            assert quote in text, f"entry #{row.entry} {row.indicator}: 「{quote}」 not in the plan"


def test_plan_text_file():
    first_line = (TARGETS_DIR / "plan.txt").read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("#") and "临沧市人民政府" in first_line and "2023-09-14" in first_line
    text = load_plan_text()
    assert not text.startswith("#") and "临沧市教育高质量发展三年行动计划实施方案" in text
    assert load_plan()["first_year"] == 2023


def test_load_targets_returns_a_copy():
    first = load_targets()
    first.loc[:, "value"] = -1.0
    assert (load_targets().value != -1.0).any()


# --------------------------------------------------------------------------- walking the plan


def test_walker_reads_the_target_numbers(passages):
    numbers = plan_numbers(passages, NOT_TARGETS)
    texts = [n.text for n in numbers]
    assert len(numbers) >= 50
    for expected in ("93.5", "37.5", "2200", "1.6", "5", "8", "2000", "5000"):
        assert expected in texts
    assert not {"2023", "2024", "2025"} & set(texts)  # years are not targets


def test_every_target_number_has_an_entry(targets, passages):
    assert check_plan_text(get_plan().text()) == uncovered_numbers(passages, targets, NOT_TARGETS)
    missing = check_plan_text((TARGETS_DIR / "plan.txt").read_text(encoding="utf-8"), YAML_FILE)
    assert not missing, "numbers in the plan without a matching target entry:\n" + "\n".join(
        f"  {n.text} in 「{n.sentence}」" for n in missing
    )


@pytest.mark.parametrize("phrase", NOT_TARGETS)
def test_every_exclusion_is_needed(targets, passages, phrase):
    rest = tuple(p for p in NOT_TARGETS if p != phrase)
    assert uncovered_numbers(passages, targets, rest), f"exclusion {phrase!r} is not needed"


def _entries_with_numbers() -> list[tuple[int, str]]:
    data = yaml.safe_load(YAML_FILE.read_text(encoding="utf-8"))
    return [(i, e["indicator"]) for i, e in enumerate(data["targets"]) if re.search(r"\d", e["quote"])]


def _write_copy(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(YAML_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "copy.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("index", "indicator"), _entries_with_numbers())
def test_removing_an_entry_is_reported(tmp_path, passages, index, indicator):
    path = _write_copy(tmp_path, lambda d: d["targets"].pop(index))
    missing = uncovered_numbers(passages, load_targets(path), NOT_TARGETS)
    assert missing, f"removing entry {indicator} went unnoticed"


def test_removed_famous_teachers_names_the_number(tmp_path, passages):
    def drop(d):
        d["targets"] = [e for e in d["targets"] if e["indicator"] != "famous_teacher_count"]

    missing = uncovered_numbers(passages, load_targets(_write_copy(tmp_path, drop)), NOT_TARGETS)
    assert [n.text for n in missing] == ["2200"]
    assert "名教师" in missing[0].sentence


def test_wrong_value_is_reported(tmp_path, passages):
    def edit(d):
        entry = next(e for e in d["targets"] if e["indicator"] == "senior_gross_enrollment_pct" and e["year"] == 2024)
        entry["value"] = 94.5

    missing = uncovered_numbers(passages, load_targets(_write_copy(tmp_path, edit)), NOT_TARGETS)
    assert [n.text for n in missing] == ["94"]


# --------------------------------------------------------------------------- validation


def _first(d, indicator="famous_teacher_count"):
    return next(e for e in d["targets"] if e["indicator"] == indicator)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: _first(d).update(comparison="atleast"), "comparison 'atleast'"),
        (lambda d: _first(d).update(value="2200名"), "value must be a number"),
        (lambda d: _first(d).update(year=2026), "outside the plan span 2023–2025"),
        (lambda d: _first(d, "preschool_universal").update(scope=["53092"]), "not 6-digit"),
        (
            lambda d: _first(d, "preschool_universal").update(scope=["530102"]),
            "outside region 530900",
        ),
        (lambda d: _first(d).pop("quote"), "missing 'quote'"),
        (lambda d: _first(d).update(vaule=1), "unknown field(s) ['vaule']"),
        (lambda d: _first(d).update(strict="yes"), "strict must be true or false"),
        (
            lambda d: _first(d, "provincial_first_class_major_count").update(value_max=4),
            "value_max > value",
        ),
        (lambda d: _first(d, "preschool_universal").update(value=95), "takes no value"),
        (lambda d: d["targets"].append(copy.deepcopy(_first(d))), "same indicator, year 2025"),
    ],
)
def test_malformed_entry_names_file_and_entry(tmp_path, edit, message):
    path = _write_copy(tmp_path, edit)
    with pytest.raises(TargetsFileError) as err:
        load_targets(path)
    text = str(err.value)
    assert "copy.yml" in text and "entry #" in text and message in text


def test_malformed_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("plan: {id: x\ntargets: [", encoding="utf-8")
    with pytest.raises(TargetsFileError, match="broken.yml.*not valid YAML"):
        load_targets(path)
    assert issubclass(TargetsFileError, ValueError)


def test_later_plan_loads_without_code_change(tmp_path):
    later = {
        "plan": {
            "id": "lincang_2026_2030",
            "first_year": 2026,
            "last_year": 2030,
            "region_code": "530900",
        },
        "targets": [
            {
                "indicator": "preschool_gross_enrollment_pct",
                "name_zh": "学前三年毛入园率",
                "name_en": "Three-year preschool gross enrolment rate",
                "year": [2028, 2030],
                "scope": "city",
                "comparison": "at_least",
                "value": 97,
                "unit": "%",
                "clause": "三(一)",
                "quote": "学前三年毛入园率达97%以上",
            },
            {
                "indicator": "compulsory_balanced",
                "name_zh": "实现县域义务教育优质均衡",
                "name_en": "County reaches high-quality balanced compulsory education",
                "year": 2030,
                "scope": [530902, "530923"],
                "comparison": "reach",
                "unit": "yes/no",
                "clause": "二",
                "quote": "临翔区、永德县实现县域义务教育优质均衡",
            },
        ],
    }
    path = tmp_path / "lincang_2026_2030.yml"
    path.write_text(yaml.safe_dump(later, allow_unicode=True), encoding="utf-8")
    df = load_targets(path)
    assert len(df) == 3 and set(df.plan) == {"lincang_2026_2030"}
    assert df[df.indicator == "compulsory_balanced"].counties.item() == ("530902", "530923")
    combined = pd.concat([load_targets(), df], ignore_index=True)
    assert set(combined.plan) == {"lincang_2023_2025", "lincang_2026_2030"}


# --------------------------------------------------------------------------- plans by name


def test_default_plan_years_and_shares_come_from_the_file():
    plan = get_plan()
    assert plan.name == "lincang_2023_2025" and "lincang_2023_2025" in list_plans()
    assert (plan.baseline_year, plan.first_year, plan.final_year) == (2022, 2023, 2025)
    assert plan.period == (2023, 2024, 2025) and plan.status == "adopted"
    assert plan.target_shares() == {"preschool_universal": 0.375, "compulsory_balanced": 0.375}
    assert plan.scopes()["preschool_universal"] == {"counties"}
    assert get_plan(TARGETS_DIR) == get_plan(YAML_FILE) == get_plan("lincang_2023_2025")


def test_baseline_defaults_to_the_year_before_the_plan(tmp_path):
    path = _write_copy(tmp_path, lambda d: d["plan"].pop("baseline_year"))
    assert get_plan(path).baseline_year == 2022 and get_plan(path).name == "copy"


def test_unknown_plan_lists_the_plans():
    with pytest.raises(FileNotFoundError, match="lincang_2023_2025"):
        plan_path("lincang_2031_2035")


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (lambda d: d["plan"].update(baseline_year=2023), "baseline_year", "before first_year 2023"),
        (lambda d: d["plan"].update(status="final"), "status", "must be one of"),
        (lambda d: d["plan"].update(finl_year=2025), "finl_year", "unknown field(s) ['finl_year']"),
        (lambda d: d["plan"]["check"].update(passages=[{"from": "二、工作目标"}]), "check.passages", "passage #1"),
        (lambda d: d.update(target=[]), "target", "unknown top-level key(s) ['target']"),
    ],
)
def test_malformed_plan_block_names_file_entry_and_field(tmp_path, edit, field, message):
    path = _write_copy(tmp_path, edit)
    with pytest.raises(TargetsFileError) as err:
        load_targets(path)
    assert "copy.yml" in str(err.value) and message in str(err.value)
    problem = err.value.problems[0]
    assert (Path(problem.file).name, problem.field) == ("copy.yml", field)
    assert problem.entry in ("plan", "file")


def test_entry_problem_records_the_field(tmp_path):
    path = _write_copy(tmp_path, lambda d: _first(d).update(comparison="atleast"))
    with pytest.raises(TargetsFileError) as err:
        load_targets(path)
    (problem,) = err.value.problems
    assert problem.field == "comparison" and problem.entry.startswith("entry #")
    assert "field 'comparison'" in str(err.value)


def test_missing_passage_marker_is_named():
    with pytest.raises(ValueError, match="二、工作目标"):
        target_passages("一、总体要求", get_plan().passages)
