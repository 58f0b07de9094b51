"""One evaluation document written atomically, and `lcedu evaluate`'s set of documents."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from lcedu import paths
from lcedu.home import CITY_CODE
from lcedu.ingest.counties import home
from lcedu.measure.plan import DEFAULT_PLAN, Plan, get_plan
from lcedu.publish.evaluation.data import EvaluationData, evaluation_data
from lcedu.publish.evaluation.figures import draw_figures
from lcedu.publish.evaluation.layout import (
    header_footer,
    new_section,
)
from lcedu.publish.evaluation.pdf import to_pdf
from lcedu.publish.evaluation.sections import (
    advice,
    annex_figures,
    annex_table,
    assessment_paragraphs,
    cover,
    overview,
    problems,
    tasks,
)
from lcedu.publish.evaluation.styles import DOCUMENT_STYLES, docx_bytes, new_document
from lcedu.publish.evaluation.wording import (
    clean,
    document_title,
)


def write_document(
    data: EvaluationData,
    county: str | None,
    path: str | Path,
    figures: Sequence[tuple[str, Path]] = (),
    *,
    today: dt.date | None = None,
    style: str = "plain",
) -> Path:
    """One evaluation document (``county`` None: the city) written atomically to ``path``; ``style``
    "gongwen" sets the 公文 faces (DOCUMENT_STYLES)."""
    doc = new_document(style)
    cover(doc, data, county, today or dt.date.today())
    new_section(doc, landscape=False)
    overview(doc, data, county)
    assessment_paragraphs(doc, data, county)
    new_section(doc, landscape=True)
    tasks(doc, data, county)
    new_section(doc, landscape=False)
    groups = problems(doc, data, county)
    advice(doc, data, groups, county)
    new_section(doc, landscape=True)
    annex_table(doc, data, county)
    new_section(doc, landscape=False)
    annex_figures(doc, figures)
    header_footer(doc, data, county)
    doc.core_properties.title = clean(document_title(data))
    doc.core_properties.author = "lcedu"
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        Path(temporary).write_bytes(docx_bytes(doc, style))
        Path(temporary).chmod(0o644)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def document_name(county: str | None) -> str:
    """File stem of a document: ``evaluation_530900`` (city) / ``evaluation_530902``."""
    return f"evaluation_{county or CITY_CODE}"


def output_folder(plan: str | Path | Plan | None, year: int) -> Path:
    """Where the documents go inside the reports folder, for `lcedu evaluate`, `lcedu report` and the
    site's links alike: ``evaluation/<year>`` for the default plan, ``evaluation/<plan>/<year>`` for another."""
    name = plan.name if isinstance(plan, Plan) else get_plan(plan).name
    return Path("evaluation") / str(year) if name == DEFAULT_PLAN else Path("evaluation") / name / str(year)


def write_evaluation(
    plan: str | Path | Plan | None = None,
    year: int | None = None,
    out_dir: str | Path | None = None,
    *,
    counties: Sequence[str] | None = None,
    pdf: bool = True,
    processed_dir: str | Path | None = None,
    reports_dir: str | Path | None = None,
    style: str = "plain",
) -> list[Path]:
    """`lcedu evaluate`: the city's and each county's documents (.docx, and .pdf with LibreOffice).

    Written to ``out_dir`` when given, else to ``output_folder`` inside ``reports_dir`` (default
    ``reports/``); returns the files.
    """
    if style not in DOCUMENT_STYLES:  # before anything is drawn or written
        raise ValueError(f"unknown document style {style!r}; one of {sorted(DOCUMENT_STYLES)}")
    data = evaluation_data(plan, year, processed_dir)
    reports = Path(reports_dir) if reports_dir is not None else paths.project("reports")
    out = Path(out_dir) if out_dir is not None else reports / output_folder(data.plan, data.year)
    codes = list(counties) if counties is not None else list(home()["county_code"])
    figures = draw_figures(data, out / "figures", codes)  # each county's document: the maps with it outlined
    written = [write_document(data, None, out / f"{document_name(None)}.docx", figures[None], style=style)]
    for code in codes:
        path = out / f"{document_name(code)}.docx"
        written.append(write_document(data, code, path, figures.get(code, []), style=style))
    if pdf:
        written += to_pdf(written, out)
    return written
