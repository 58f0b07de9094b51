"""The data-quality review (issue 27): rules as data, cross-year checks, outliers, completeness, send-back.

Unit tests build small tables by hand; the truth tests put the sample's errors into the designed truth
(which has issue 20's grade and 331 tables) and prove the review finds each and nothing else; the
integration tests run the review on the cleaned committed sample and through ``lcedu check --quality``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from lcedu.cli import main
from lcedu.measure import quality
from lcedu.present import sendback
from lcedu.sample import flows_reported, sample_truth
from lcedu.sample.truth import lincang_counties

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
COUNTY = "530925"

# --------------------------------------------------------------------------- small hand-made tables


def _schools(n: int, years=(2023, 2024), county: str = COUNTY, **extra) -> pd.DataFrame:
    rows = []
    for year in years:
        for i in range(n):
            rows.append(
                {
                    "school_id": f"21539250{i:02d}",
                    "year": year,
                    "county_code": county,
                    "school_name": f"第{i}小学",
                    "township": "勐勐镇" if i % 2 else "沙河乡",
                    "school_type": "primary",
                    "is_counted_school": True,
                    "parent_school_id": pd.NA,
                    "opened_year": 1990,
                    "primary_class_count": 6,
                    **extra,
                }
            )
    return pd.DataFrame(rows).astype(
        {"school_id": "string", "year": "Int64", "county_code": "string", "parent_school_id": "string"}
    )


def _enrollment(schools: pd.DataFrame, students: int = 240) -> pd.DataFrame:
    frame = schools[["school_id", "year", "county_code"]].assign(
        stage="primary", student_count=students, entry_grade_student_count=40, new_entrant_count=40
    )
    return frame.astype({"student_count": "Int64", "entry_grade_student_count": "Int64", "new_entrant_count": "Int64"})


def _grades(schools: pd.DataFrame, per_grade: int = 40) -> pd.DataFrame:
    rows = [
        {
            "school_id": r.school_id,
            "year": r.year,
            "county_code": r.county_code,
            "stage": "primary",
            "grade": g,
            "student_count": per_grade,
        }
        for r in schools.itertuples()
        for g in range(1, 7)
    ]
    return pd.DataFrame(rows).astype({"grade": "Int64", "student_count": "Int64", "year": "Int64"})


def _flows(schools: pd.DataFrame, start: int = 240, end: int = 240) -> pd.DataFrame:
    values = dict.fromkeys(quality.FLOWS, 0) | {"start": start, "admitted": 40, "graduated": 40, "end": end}
    rows = [
        {
            "school_id": r.school_id,
            "year": r.year,
            "county_code": r.county_code,
            "stage": "primary",
            "flow": f,
            "student_count": v,
        }
        for r in schools.itertuples()
        for f, v in values.items()
    ]
    return pd.DataFrame(rows).astype({"student_count": "Int64", "year": "Int64"})


def _checks(findings: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(findings["school_id"], findings["check"], strict=True))


# --------------------------------------------------------------------------- the expressions


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('x')",
        "student_count.__class__",
        "(lambda: 1)()",
        "open('f')",
        "[x for x in y]",
        "student_count if 1 else 2",
        "a[0]",
    ],
)
def test_an_expression_beyond_the_small_language_is_refused_with_the_rule_named(text: str) -> None:
    with pytest.raises(quality.RuleError, match="规则 rule r1"):
        quality.parse_expression(text, "quality_rules.yml 规则 rule r1")


def test_expressions_compute_over_columns_and_leave_missing_as_missing() -> None:
    frame = pd.DataFrame(
        {
            "a": pd.array([1, 2, None], dtype="Int64"),
            "b": pd.array([3, 4, 5], dtype="Int64"),
            "stage": pd.array(["primary", "junior", "primary"], dtype="string"),
        }
    )
    value = quality.evaluate(quality.parse_expression("a + b * 2 - max(a, 1)", "t"), frame)
    assert list(value.astype(object).where(value.notna(), None)) == [6.0, 8.0, None]
    mask = quality.evaluate(quality.parse_expression("stage in ['primary'] and b > 3", "t"), frame)
    assert list(mask) == [False, False, True]


def test_every_rule_of_the_registry_is_named_sourced_and_ranked() -> None:
    registry = quality.load_registry()
    names = registry.names()
    assert names["check"].is_unique
    assert names[["name_zh", "name_en", "source"]].notna().all().all()
    assert set(names["importance"]) <= {"high", "medium", "low"}
    assert {
        "grade_sum",
        "flow_balance",
        "teachers_within_staff",
        "cohort_continuity",
        "roster_disappeared",
        "outlier_teachers",
        "site_parent_exists",
        "kindergarten_age_continuity",
    } <= set(names["check"])


def test_a_statistician_adds_a_rule_in_yaml_without_code(tmp_path: Path) -> None:
    text = quality.RULES_FILE.read_text(encoding="utf-8").replace(
        "rules:\n",
        "rules:\n  - id: at_most_300\n    name_zh: 在校生不超过300\n    name_en: At most 300 students\n"
        "    frame: school_stage\n    requires: [enrollment]\n    left: student_count\n    operator: '<='\n"
        "    right: '300'\n    field: student_count\n    importance: low\n    source: test\n",
        1,
    )
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    schools = _schools(3, years=(2024,))
    enrollment = _enrollment(schools)
    enrollment.loc[1, "student_count"] = 301
    out = quality.review({"schools": schools, "enrollment": enrollment}, quality.load_registry(str(path)))
    found = out["quality_findings"]
    assert _checks(found[found["check"] == "at_most_300"]) == {(schools.at[1, "school_id"], "at_most_300")}
    assert found.loc[found["check"] == "at_most_300", "expected"].item() == "≤ 300"


# --------------------------------------------------------------------------- rules within a school


def test_grade_sum_and_the_331_balance_find_the_one_wrong_school_each() -> None:
    schools = _schools(4, years=(2024,))
    grades = _grades(schools)  # 6 × 40 = 240 = student_count
    grades.loc[(grades["school_id"] == "2153925001") & (grades["grade"] == 3), "student_count"] = 52
    flows = _flows(schools)
    flows.loc[(flows["school_id"] == "2153925002") & (flows["flow"] == "transferred_in"), "student_count"] = 9
    tables = {
        "schools": schools,
        "enrollment": _enrollment(schools),
        "grade_enrollment": grades,
        "student_flows": flows,
    }
    found = quality.review(tables)["quality_findings"]
    rules = found[found["kind"] == "rule"]
    assert _checks(rules) == {("2153925001", "grade_sum"), ("2153925002", "flow_balance")}
    balance = rules[rules["check"] == "flow_balance"].iloc[0]
    assert balance["value"] == 240 and balance["expected"] == "= 249"  # end as reported, what the flows add up to


def test_a_rule_whose_table_is_absent_is_reported_not_run() -> None:
    schools = _schools(2, years=(2024,))
    runs = quality.review({"schools": schools, "enrollment": _enrollment(schools)})["quality_rule_runs"]
    by = runs.set_index("check")
    assert by.at["grade_sum", "status"] == "not run" and "grade_enrollment" in by.at["grade_sum", "reason"]
    assert by.at["flow_balance", "status"] == "not run" and "student_flows" in by.at["flow_balance", "reason"]
    assert (
        by.at["female_within_total", "status"] == "not run"
        and "female_student_count" in by.at["female_within_total", "reason"]
    )
    assert by.at["entry_grade_within_students", "status"] == "run"
    assert set(runs["check"]) == set(quality.load_registry().names()["check"]), "every check has a run record"


def test_a_build_without_schools_still_builds_and_says_why_nothing_ran() -> None:
    out = quality.review({"population": pd.DataFrame({"county_code": [COUNTY], "year": [2024]})})
    runs = out["quality_rule_runs"]
    assert len(runs) == len(quality.load_registry().names()) and (runs["status"] == "not run").all()
    assert runs["reason"].str.contains("schools").all() and out["quality_findings"].empty


def test_a_teaching_point_without_its_parent_that_year_is_found() -> None:
    schools = _schools(3, years=(2024,))
    site = schools.iloc[[0]].assign(
        school_id="2153925099", is_counted_school=False, school_type="teaching_point", parent_school_id="2153925000"
    )
    orphan = site.assign(school_id="2153925098", parent_school_id="2153925077")
    tables = {"schools": pd.concat([schools, site, orphan], ignore_index=True)}
    found = quality.review(tables)["quality_findings"]
    assert _checks(found[found["check"] == "site_parent_exists"]) == {("2153925098", "site_parent_exists")}


# --------------------------------------------------------------------------- across years


def test_cohort_continuity_flags_the_grade_jump_within_the_countys_own_band() -> None:
    rng = np.random.default_rng(1)
    schools = _schools(30, years=(2023, 2024))
    grades = _grades(schools)
    grades["student_count"] = (grades["student_count"] + rng.integers(-2, 3, len(grades))).astype("Int64")
    jump = (grades["school_id"] == "2153925007") & (grades["year"] == 2024) & (grades["grade"] == 4)
    grades.loc[jump, "student_count"] = 71  # last year's 三年级 of ~40 became a 四年级 of 71
    found = quality.review({"schools": schools, "grade_enrollment": grades})["quality_findings"]
    cohort = found[found["check"] == "cohort_continuity"]
    assert _checks(cohort) == {("2153925007", "cohort_continuity")}
    row = cohort.iloc[0]
    assert row["value"] == 71 and row["expected_high"] < 71 and row["field"] == "年级 grade 4"


def test_roster_changes_missing_new_renamed_retyped_and_a_named_closure() -> None:
    schools = _schools(6)
    y24 = schools["year"] == 2024
    schools = schools[~(y24 & schools["school_id"].isin(["2153925001", "2153925002"]))]
    moved = _schools(6, years=(2024,)).iloc[[2]].assign(school_id="2153925055")  # 第2小学 under a new id
    new = _schools(8, years=(2024,)).iloc[[7]].assign(opened_year=2015)  # new this year, opened long ago
    schools = pd.concat([schools, moved, new], ignore_index=True)
    schools.loc[(schools["school_id"] == "2153925003") & (schools["year"] == 2024), "school_type"] = "nine_year"
    registry = quality.load_registry()
    found = quality.review({"schools": schools}, registry)["quality_findings"]
    assert _checks(found[found["kind"] == "roster"]) == {
        ("2153925001", "roster_disappeared"),
        ("2153925055", "roster_id_changed"),
        ("2153925007", "roster_appeared"),
        ("2153925003", "roster_type_changed"),
    }
    closed = quality.Registry(
        registry.rules,
        registry.cohorts,
        {**registry.roster, "known_closures": [{"school_id": "2153925001", "year": 2024, "reason": "并入第3小学"}]},
        registry.outliers,
        registry.completeness,
    )
    again = quality.review({"schools": schools}, closed)["quality_findings"]
    assert ("2153925001", "roster_disappeared") not in _checks(again)
    completeness = quality.review({"schools": schools}, registry)["quality_completeness"]
    reported = completeness[(completeness["measure"] == "schools_reported_pct") & (completeness["year"] == 2024)]
    assert reported["numerator"].item() == 4 and reported["denominator"].item() == 6  # 2 of last year's 6 absent


def test_a_doubled_teacher_count_stands_out_of_the_schools_own_history() -> None:
    rng = np.random.default_rng(2)
    schools = _schools(25, years=(2022, 2023, 2024, 2025))
    teachers = schools[["school_id", "year", "county_code"]].assign(stage="primary")
    teachers["full_time_teacher_count"] = pd.array(30 + rng.integers(-2, 3, len(teachers)), dtype="Int64")
    doubled = (teachers["school_id"] == "2153925004") & (teachers["year"] == 2025)
    teachers.loc[doubled, "full_time_teacher_count"] = 62
    found = quality.review({"schools": schools, "teachers": teachers})["quality_findings"]
    outliers = found[found["check"] == "outlier_teachers"]
    assert set(zip(outliers["school_id"], outliers["year"], strict=True)) == {("2153925004", 2025)}


# --------------------------------------------------------------------------- the send-back workbook


def test_sendback_has_one_sheet_per_township_text_cells_and_an_empty_answer(tmp_path: Path) -> None:
    schools = _schools(4, years=(2024,))
    schools.loc[1, "school_name"] = '=HYPERLINK("http://x","点我")'
    grades = _grades(schools)
    grades.loc[grades["grade"] == 2, "student_count"] = 45  # every school: grades sum to 270 ≠ 240
    found = quality.review({"schools": schools, "enrollment": _enrollment(schools), "grade_enrollment": grades})
    path = sendback.write_sendback(found["quality_findings"], COUNTY, 2024, tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "勐勐镇", "沙河乡"]
    ws = wb["勐勐镇"]
    assert [c.value for c in ws[1]][:5] == ["学校标识码", "学校名称", "学段", "项目", "填报值"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert all(c.data_type == "s" for c in cells if c.value is not None), "written as text, never a formula"
    assert '=HYPERLINK("http://x","点我")' in [c.value for c in cells]
    assert all(row[-1].value in (None, "") for row in ws.iter_rows(min_row=2)), "the school's answer is left empty"
    assert "不是输入错误" in "".join(str(c.value) for row in wb["说明"].iter_rows() for c in row)


def test_sheet_titles_are_valid_and_unique() -> None:
    taken: set[str] = {"说明"}
    assert sendback.sheet_title("勐[勐]镇:*?", taken) == "勐_勐_镇___"
    assert sendback.sheet_title("勐[勐]镇:*?", taken) == "勐_勐_镇____2"
    assert len(sendback.sheet_title("很" * 40, taken)) <= 31


# --------------------------------------------------------------------------- the sample's errors, on its truth


def _assert_only_the_injected(review: dict, injected: list[dict]) -> None:
    """Every injected error found with its rule; no finding of any kind on a clean school-year; every
    completeness rate 100 % but for what the errors take away (no tolerance)."""
    findings, completeness = review["quality_findings"], review["quality_completeness"]
    found = _checks(findings)
    missing = [e for e in injected if (e["school_id"], e["check"]) not in found]
    assert not missing, missing
    erroneous = {(e["school_id"], e["year"]) for e in injected}
    at = list(zip(findings["school_id"], findings["year"].astype(int), strict=True))
    clean = findings[[key not in erroneous for key in at]]
    assert clean.empty, clean[["school_id", "year", "stage", "check", "value", "expected"]].to_string()
    rates = completeness.set_index(["county_code", "year", "measure"])
    absent = pd.Series(
        [(e["county_code"], e["year"]) for e in injected if e["kind"] == "missing_school"]
    ).value_counts()
    # each present school with an error carries a high or medium finding: it is not a consistent school
    flagged = pd.Series([(e["county_code"], e["year"]) for e in injected if e["kind"] != "missing_school"])
    flagged = flagged.value_counts()
    for (county, year, measure), row in rates.iterrows():
        short = {
            "schools_reported_pct": absent.get((county, year), 0),
            "consistent_schools_pct": flagged.get((county, year), 0),
        }.get(measure, 0)
        if pd.isna(row["denominator"]):  # the first year has no previous year to report against
            assert measure == "schools_reported_pct" and year == completeness["year"].min(), (county, year, measure)
            continue
        assert row["denominator"] - row["numerator"] == short, (county, year, measure, row.to_dict())


@pytest.fixture(scope="module")
def truth_review() -> tuple[dict, list[dict], dict]:
    """The 8 counties' designed truth (with issue 20's grade and 331 tables) and the sample's errors in it,
    every county-year treated as reporting table 331 (the truth has it everywhere; the files do not)."""
    counties, years = lincang_counties(), [2022, 2023, 2024, 2025]
    every = {(c.county_code, year) for c in counties for year in years}
    truth, injected = sample_truth(counties, years, 2023, flows_in=every)
    return truth, injected, quality.review(truth)


@pytest.mark.integration
def test_the_review_finds_every_injected_error_of_the_truth_and_nothing_else(truth_review) -> None:
    """The sample's designed schools change gradually: a school short of teachers stays short for years, so
    the only findings on the truth are the injected errors, each found by the check sample.json names."""
    _, injected, review = truth_review
    assert {e["kind"] for e in injected} == {"doubled_teachers", "missing_school", "unbalanced_flows", "grade_jump"}
    assert len(injected) == 32  # four per county
    assert {e["check"] for e in injected} <= set(review["quality_findings"]["check"])
    _assert_only_the_injected(review, injected)
    runs = review["quality_rule_runs"]
    assert (runs.loc[runs["check"] != "female_within_total", "status"] == "run").all(), "every check ran"


@pytest.mark.integration
def test_a_designed_teacher_shortage_persists_across_the_years(truth_review) -> None:
    """A school designed short of qualified teachers (优质均衡: 4.2 / 5.3 per 100 pupils) is short until it
    recovers, never again after; and its teachers per pupil change by less than half from year to year."""
    truth, injected, _ = truth_review
    teachers = truth["teachers"][truth["teachers"]["stage"].isin(["primary", "junior"])]
    teachers = teachers[~teachers["school_id"].isin({e["school_id"] for e in injected})]
    teachers = teachers.set_index(["school_id", "year", "stage"]).astype(float)
    pupils = truth["enrollment"].set_index(["school_id", "year", "stage"])["student_count"].reindex(teachers.index)
    qualified = teachers["teacher_postgrad_count"] + teachers["teacher_bachelor_count"]
    primary = teachers.index.get_level_values("stage") == "primary"
    qualified = qualified + np.where(primary, teachers["teacher_associate_count"], 0)
    per_100 = (100 * qualified / pupils.astype(float)).unstack("year").dropna()
    threshold = np.where(per_100.index.get_level_values("stage") == "primary", 4.2, 5.3)
    short = per_100.lt(threshold, axis=0)
    # Schools of 200 pupils or more: in a smaller one a single teacher is more than the step from 86 % of
    # the threshold to the threshold, so "just short" cannot be drawn.
    size = pupils.groupby(level=["school_id", "stage"]).min().reindex(per_100.index)
    short = short[size >= 200]
    ever = short[short.any(axis=1)]
    assert len(ever) >= 20 and (ever.sum(axis=1) >= 2).mean() > 0.5, "shortages last more than a year"
    again = (ever.astype(int).diff(axis=1) > 0).any(axis=1)
    assert not again.any(), ever[again].to_string()
    per_pupil = (teachers["full_time_teacher_count"] / pupils.astype(float)).unstack("year").dropna()
    steps = per_pupil[size >= 300].T.pct_change().iloc[1:].abs()
    assert (steps < 0.5).all().all(), steps.max().max()


# --------------------------------------------------------------------------- the committed sample


@pytest.mark.integration
def test_the_stored_review_finds_every_injected_error_of_the_committed_sample(sample_tables: dict) -> None:
    """Each error of sample.json sits where its input can show it (no 331 error in a roster, which has no
    331): the review stored by `lcedu clean` finds every one with the rule sample.json names, at that
    school, year and 学段, and nothing on a clean school-year."""
    injected = json.loads((RAW / "sample.json").read_text(encoding="utf-8"))["injected_errors"]
    assert len(injected) == 32 and all(n == 4 for n in pd.Series([e["county_code"] for e in injected]).value_counts())
    assert not [e for e in injected if e["table"] not in sample_tables], "an error no input of the sample carries"
    assert flows_reported(lincang_counties()) or "unbalanced_flows" not in {e["kind"] for e in injected}
    findings = sample_tables["quality_findings"]
    for error in injected:
        at = findings[(findings["school_id"] == error["school_id"]) & (findings["check"] == error["check"])]
        assert (at["year"].astype(int) == error["year"]).any(), error
        if error["stage"] is not None:
            assert (at["stage"] == error["stage"]).any(), (error, at[["stage", "check"]].to_string())
    stored = {"quality_findings": findings, "quality_completeness": sample_tables["quality_completeness"]}
    _assert_only_the_injected(stored, injected)


@pytest.mark.integration
def test_check_quality_prints_the_ranked_review_and_writes_the_sendback(capsys, reports_in_tmp: Path) -> None:
    assert main(["check", "--quality"]) == 0
    out = capsys.readouterr().out
    injected = json.loads((RAW / "sample.json").read_text(encoding="utf-8"))["injected_errors"]
    assert "数据质量审核" in out and "不是输入错误" in out
    # the sample's rosters and forms give students by grade: the grade checks run (none is "not run")
    assert "[未运行 not run] grade_sum" not in out and "[未运行 not run] cohort_continuity" not in out
    # the ranked summary names every rule that found an injected error; the county's send-back list
    # names every injected school of the county (each error with its rule: see the stored-review test)
    ranked = set(re.findall(r"^\s+\[[高中低]\]\s+\d+\s+(\w+):", out, flags=re.MULTILINE))
    assert {error["check"] for error in injected} <= ranked, ranked
    book = reports_in_tmp / "check" / "quality" / COUNTY / f"数据核查清单_{COUNTY}_2025.xlsx"
    wb = openpyxl.load_workbook(book)
    ids = {str(c.value) for ws in wb.worksheets[1:] for row in ws.iter_rows(min_row=2) for c in row[:1]}
    assert {e["school_id"] for e in injected if e["county_code"] == COUNTY} <= ids


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_sendback_with_one_sheet_per_township(tmp_path: Path) -> None:
    schools = _schools(4, years=(2024,))
    grades = _grades(schools)
    grades.loc[grades["grade"] == 2, "student_count"] = 45
    found = quality.review({"schools": schools, "enrollment": _enrollment(schools), "grade_enrollment": grades})
    book = sendback.write_sendback(found["quality_findings"], COUNTY, 2024, tmp_path / "book.xlsx")
    out = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path / "ods"),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    back = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "back"),
            str(tmp_path / "ods" / "book.ods"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert back.returncode == 0, back.stderr
    assert openpyxl.load_workbook(tmp_path / "back" / "book.xlsx").sheetnames == ["说明", "勐勐镇", "沙河乡"]
