"""Text from data is untrusted: hostile names stay text in every workbook and page lcedu writes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from lcedu.ingest import counties
from lcedu.measure.results import compute_results
from lcedu.present import workbooks
from lcedu.publish import render, site

SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>"
FORMULAS = ['=HYPERLINK("http://x","y")', "=1+1", "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3"]


@pytest.fixture(scope="module")
def hostile_book(sample_tables: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tables = {name: frame.copy() for name, frame in sample_tables.items()}
    schools = tables["schools"]
    ids = schools.loc[
        (schools["county_code"] == "530925")
        & (schools["year"] == 2024)
        & schools["school_type"].isin(["primary", "junior"]),
        "school_id",
    ].unique()[: len(FORMULAS) + 1]
    names = dict(zip(ids, [*FORMULAS, SCRIPT], strict=True))
    schools["school_name"] = schools["school_name"].mask(
        schools["school_id"].isin(ids), schools["school_id"].map(names)
    )
    out = tmp_path_factory.mktemp("hostile") / "book.xlsx"
    return workbooks.write_county_workbook("530925", 2024, out, tables=tables, results=compute_results(tables))


def test_hostile_school_names_are_text_not_formulas(hostile_book: Path) -> None:
    wb = openpyxl.load_workbook(hostile_book)
    found = {
        c.value: c.data_type
        for ws in wb
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value in [*FORMULAS, SCRIPT]
    }
    assert set(found) == {*FORMULAS, SCRIPT}
    assert set(found.values()) == {"s"}  # stored as strings: no cell of the book is a formula
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_shows_the_names_as_typed(hostile_book: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(tmp_path),
            str(hostile_book),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    text = "\n".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.csv"))
    for name in FORMULAS:
        assert name.replace('"', '""') in text, name  # the literal text, not an evaluated value
    assert "http://x" in text and "calc" in text


def test_the_site_index_escapes_names(processed_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counties, "name", lambda code: SCRIPT)
    outcomes = [render.Outcome(job=render.Job("county_briefing", "530925", 2025, "zh", "", "", ""), ok=True, seconds=0)]
    page = site.build_index(tmp_path, 2025, outcomes, render.suite(), None).read_text(encoding="utf-8")
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_rendered_pages_load_nothing_from_outside() -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 标题\n$x^2$")])
    body, _ = render.html_exporter().from_notebook_node(nb)
    assert not re.search(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//', body)
    assert "<script" not in body  # the briefings need no JavaScript at all


@pytest.mark.notebooks
def test_rendered_briefings_show_hostile_names_as_text(
    sample_tables: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lcedu.build import write_build

    tables = {
        name: frame.copy()
        for name, frame in sample_tables.items()
        if name
        in (
            "schools",
            "enrollment",
            "teachers",
            "facilities",
            "population",
            "disability",
            "ledger",
            "city",
            "reported_totals",
            "missing_values",
        )
    }
    schools = tables["schools"]
    chosen = (schools["county_code"] == "530925") & schools["school_type"].isin(["primary", "junior", "nine_year"])
    schools["school_name"] = schools["school_name"].mask(chosen, SCRIPT + " & " + FORMULAS[0])
    processed = tmp_path / "processed"
    write_build(tables, {"is_sample": True}, processed)
    monkeypatch.setenv("LCEDU_PROCESSED", str(processed))  # the kernels inherit it
    jobs = render.plan(["530925"], ["compulsory_balanced", "teachers"], 2025, "zh", tmp_path / "out")
    outcomes = list(render.execute(jobs, workers=2))
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    page = Path(jobs[0].output_html).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the name is shown, as text
    for job in jobs:
        text = Path(job.output_html).read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text, job.notebook
