"""Plausibility bounds and formula cells, on small tables built here (fast tier; the corpus is test_badinput)."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from lcedu.errors import Issue
from lcedu.ingest import plausibility, quality, readers
from lcedu.ingest.readers import FORMULA_WITHOUT_VALUE, formulas_without_value, read_workbook

SOURCE = re.compile(r"standards §\d|lincang-figures §\d|^judgement: ")


def test_every_bound_has_a_hard_limit_and_says_where_each_limit_comes_from() -> None:
    bounds = plausibility.bounds()
    assert {b.name for b in bounds} >= {
        "students_per_school",
        "students_per_class",
        "teachers_per_school",
        "students_per_teacher",
        "teaching_area_per_student",
        "equipment_per_student",
        "classes_per_stage",
    }
    for b in bounds:
        assert b.hard.max is not None or b.hard.min is not None, b.name
        for limit in (b.hard, *b.soft):
            assert SOURCE.search(limit.source), (b.name, limit.source)
            if limit is not b.hard and limit.max is not None and b.hard.max is not None:
                assert limit.max < b.hard.max, b.name  # a soft bound warns before the hard one fails


def school_tables(
    students: dict[str, int], school_type: str = "primary", classes: int = 20, teachers: int = 30
) -> dict[str, pd.DataFrame]:
    """Schools with their students, classes and teachers, as one roster's rows."""
    ids = list(students)
    where = {"_file": "raw/rosters/2024/x.xlsx", "_sheet": "过录表"}
    rows = pd.Series(range(7, 7 + len(ids)))
    base = pd.DataFrame({"school_id": ids, "year": 2024, "_row": rows, **where})
    schools = base.assign(school_type=school_type, primary_class_count=classes)
    enrollment = base.assign(stage="primary", student_count=pd.array(list(students.values()), dtype="Int64"))
    teachers = base.assign(stage="primary", full_time_teacher_count=teachers, staff_count=teachers + 2)
    facilities = base.assign(teaching_aux_area_m2=3000.0, equipment_value_yuan=1_200_000.0)
    return {"schools": schools, "enrollment": enrollment, "teachers": teachers, "facilities": facilities}


def test_beyond_a_hard_bound_is_an_error_naming_the_cell() -> None:
    issues: list[Issue] = []
    headers = {("raw/rosters/2024/x.xlsx", "过录表", "primary", "student_count"): "小学 › 在校生数 › 合计"}
    plausibility.check(school_tables({"2153921001": 600, "2153921002": 10**15}), issues, headers)
    errors = [i for i in issues if i.level == "error"]
    assert len(errors) == 1  # the cell is named once, not once per ratio it spoils
    e = errors[0]
    assert (e.file, e.sheet, e.row, e.column) == ("raw/rosters/2024/x.xlsx", "过录表", 8, "小学 › 在校生数 › 合计")
    assert "1,000,000,000,000,000" in e.message and "30000" in e.message and "2153921002" in e.message
    assert "plausibility.yml" in e.fix
    assert not [i for i in issues if i.level == "warning"]  # no soft warnings for the school already wrong


def test_beyond_a_soft_bound_is_a_warning_in_the_quality_summary() -> None:
    issues: list[Issue] = []
    plausibility.check(school_tables({"2153921001": 600, "2153921002": 3500}, classes=80, teachers=200), issues)
    assert not [i for i in issues if i.level == "error"]
    warned = [i for i in issues if plausibility.beyond_soft_bound(i)]
    assert [i.row for i in warned] == [8]
    assert "每校在校生数" in warned[0].message and "教督〔2017〕6号" in warned[0].message
    lines = quality.plausibility_lines(issues)
    assert lines[0].endswith(": 1") and "第8行" in lines[1]


def test_soft_bounds_depend_on_the_school_type() -> None:
    issues: list[Issue] = []
    plausibility.check(school_tables({"2153921001": 3500}, school_type="nine_year", classes=80, teachers=200), issues)
    assert not issues  # 3 500 is many for a 小学, within the soft bound of a 九年一贯制


def test_a_missing_or_zero_denominator_is_not_checked() -> None:
    tables = school_tables({"2153921001": 600})
    tables["schools"]["primary_class_count"] = 0
    tables["teachers"]["full_time_teacher_count"] = pd.array([pd.NA], dtype="Int64")
    issues: list[Issue] = []
    plausibility.check(tables, issues)
    assert not issues


def formula_book(cached: bool) -> bytes:
    out = io.BytesIO()
    if cached:  # what Excel/WPS leave: the formula and its value
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        sheet = book.add_worksheet("表1")
        sheet.write_row(0, 0, ["学校标识码", "在校生数"])
        sheet.write(1, 0, "2153921001")
        sheet.write_formula(1, 1, "=100+20", None, 120)
        book.close()
    else:  # what a program leaves: the formula only
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "表1"
        sheet.append(["学校标识码", "在校生数"])
        sheet.append(["2153921001", "=100+20"])
        book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("cached", [True, False])
def test_a_formula_without_a_stored_value_is_told_apart_from_a_blank(cached: bool) -> None:
    data = formula_book(cached)
    issues: list[Issue] = []
    grid = read_workbook(data, "x.xlsx", issues)["表1"]
    if cached:
        assert formulas_without_value(data) == {}
        assert grid[1][1] == 120
    else:
        assert formulas_without_value(data) == {"表1": [(1, 1)]}
        assert grid[1][1] == FORMULA_WITHOUT_VALUE
    assert not issues


def test_a_formula_tag_split_between_two_inflated_pieces_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check inflates a sheet a piece at a time (a 200,000-row roster's sheet is ~350 MB of XML, never held
    whole): a tag across the boundary of two pieces is still found."""
    data = formula_book(cached=False)
    for piece in (5, 64, 1 << 20):
        monkeypatch.setattr(readers, "PIECE", piece)
        assert formulas_without_value(data) == {"表1": [(1, 1)]}, piece
    assert formulas_without_value(formula_book(cached=True)) == {}


def test_the_summary_counts_the_values_not_listed_one_by_one() -> None:
    many = {f"21539210{i:02d}": 3500 for i in range(plausibility.MAX_LISTED + 5)}
    issues: list[Issue] = []
    plausibility.check(school_tables(many, classes=80, teachers=200), issues)
    assert len([i for i in issues if i.row is not None]) == plausibility.MAX_LISTED
    assert quality.plausibility_lines(issues)[0].endswith(f": {plausibility.MAX_LISTED + 5}")
