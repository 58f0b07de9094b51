"""`lcedu template`: a new user fills the blank workbooks and passes `lcedu check` without copying a sample file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lcedu.cli import main
from lcedu.ingest import counties
from lcedu.ingest.layout import load_layout
from lcedu.publish import input_templates as it

REPO = Path(__file__).resolve().parents[1]
ROSTER = REPO / "data" / "raw" / "rosters" / "2025" / "过录表(2025-2026学年初)_530925.xlsx"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lcedu.cli", *args], capture_output=True, text=True, timeout=600, cwd=REPO
    )


@pytest.fixture(scope="module")
def blanks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    assert main(["template", "--out", str(out), "--year", "2025"]) == 0  # in-process: no second start-up
    return out


def _data_sheet(path: Path):
    book = load_workbook(path)
    return book, book.worksheets[0]


def _columns(table: str, sheet) -> tuple[dict[str, int], int]:
    """Column number of each layout column in the template, and the first data row (after the headers)."""
    layout = load_layout(table)
    found = it.headers(layout, it.variant_for(layout, 2025))
    depth = max(len(levels) for _, levels in found)
    return {column: c for c, (column, _) in enumerate(found, start=1)}, 2 + depth


def test_templates_have_the_readers_headers_dropdowns_and_an_example(blanks: Path) -> None:
    names = sorted(p.relative_to(blanks).as_posix() for p in blanks.rglob("*.xlsx"))
    assert names == sorted(t.path.format(year=2025) for t in it.TEMPLATES)
    book, sheet = _data_sheet(blanks / "county" / "2025" / "督导评估清单_2025.xlsx")
    assert sheet.title == "督导评估清单" and book.sheetnames[1] == "填写示例"
    assert book["代码表"].sheet_state == "hidden"
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert {v.formula1.split("!")[0] for v in lists} == {"=代码表"}, "code lists are dropdowns"
    results = next(v for v in lists if "结果" in v.error)
    column = results.formula1.split("$")[1]
    offered = [c.value for c in book["代码表"][column][1:] if c.value]
    assert offered[:2] == ["达标", "未达标"]
    columns, first = _columns("assessment_checklist", sheet)
    items = it.checklist_items()
    assert sheet.cell(row=first, column=columns["item_code"]).value == items["item"].iloc[0]
    rows = [r for r in sheet.iter_rows(min_row=first, values_only=True) if r[0]]
    assert len(rows) == len(counties.home()) * len(items), "every county's every item, ready to answer"
    example = book["填写示例"]
    assert example.cell(row=3, column=columns["is_met"]).value == "达标"
    assert "必填" in example.cell(row=4, column=columns["item_code"]).value
    _, local = _data_sheet(blanks / "local" / "2025" / "学校补充信息.xlsx")
    ids, first = _columns("school_local", local)
    assert local.cell(row=first, column=ids["school_id"]).number_format == "@", "ids typed in stay text"


def test_a_filled_template_passes_check(blanks: Path, tmp_path: Path) -> None:
    from lcedu.ingest.clean import collect

    raw = tmp_path / "raw"
    (raw / "rosters" / "2025").mkdir(parents=True)
    shutil.copy(ROSTER, raw / "rosters" / "2025" / ROSTER.name)  # the export a user has: one county's roster
    shutil.copy(ROSTER.parents[1] / "sites.csv", raw / "rosters" / "sites.csv")
    schools = collect(raw, partial=True, reports=tmp_path / "reports").tables["schools"].head(5)
    assert len(schools) == 5
    shutil.copytree(blanks, raw, dirs_exist_ok=True)

    for template in it.TEMPLATES:
        path = raw / template.path.format(year=2025)
        book, sheet = _data_sheet(path)
        columns, first = _columns(template.table, sheet)
        layout = load_layout(template.table)
        if template.table == "school_local":
            for r, school in enumerate(schools.to_dict("records"), start=first):
                sheet.cell(row=r, column=columns["school_id"], value=str(school["school_id"]))
                sheet.cell(row=r, column=columns["school_name"], value=school["school_name"])
        if template.table == "city":
            sheet.cell(row=first, column=columns["year"], value=2025)
        for row in range(first, sheet.max_row + 1):
            if not any(sheet.cell(row=row, column=c).value for c in columns.values()):
                continue
            for name, c in columns.items():
                cell = sheet.cell(row=row, column=c)
                kind = layout.columns[name]
                if cell.value not in (None, ""):
                    continue
                if kind.type == "count":
                    cell.value = {"resident_population": 150000, "disabled_school_age_count": 20}.get(
                        name, 1200 if name.startswith("pop_") else 3
                    )
                elif kind.type in ("amount", "pct"):
                    cell.value = 90.5
                elif kind.type == "code":
                    cell.value = it.code_choices(kind.codes)[0]
                elif kind.type == "year":
                    cell.value = 2020
        book.save(path)

    done = _cli("check", "--raw", str(raw), "--partial", "--reports", str(tmp_path / "reports"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "检查通过" in done.stdout


def test_a_template_never_overwrites_a_file(blanks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (blanks / "county" / "2025" / "人口_2025.xlsx").read_bytes()
    assert main(["template", "--out", str(blanks), "--year", "2025"]) == 2
    err = capsys.readouterr().err
    assert "未覆盖" in err and "Traceback" not in err
    assert (blanks / "county" / "2025" / "人口_2025.xlsx").read_bytes() == before
