"""Document building blocks: paragraphs, grid tables with fixed widths, page sections, header and footer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lcedu.home import CITY_CODE
from lcedu.present.words import word
from lcedu.publish.evaluation.data import EvaluationData
from lcedu.publish.evaluation.wording import (
    clean,
    document_title,
    place_zh,
)

#: On every page while the build is the synthetic sample (the cover alone is not enough once pages are passed on).
SYNTHETIC_NOTICE = word("text.sample")
LANDSCAPE_CM = 26.5  # A4 landscape less the margins


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in at layout time."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"  # shown until the reader updates fields
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def header_footer(doc: Any, data: EvaluationData, county: str | None) -> None:
    """Header (place, title and, for the sample, the synthetic-data notice) and a page-numbered footer.

    Set on the first section; the later sections link to it, so every page carries them.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    section = doc.sections[0]
    place = place_zh(county or CITY_CODE)
    header = section.header.paragraphs[0]
    words = f"{place}　{document_title(data)}" + (f"　（{SYNTHETIC_NOTICE}）" if data.synthetic else "")
    header.add_run(clean(words)).font.size = Pt(8)
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer, "PAGE")
    footer.add_run(" 页　共 ")
    _field(footer, "NUMPAGES")
    footer.add_run(" 页")
    for later in doc.sections[1:]:
        later.header.is_linked_to_previous = later.footer.is_linked_to_previous = True


def new_section(doc: Any, landscape: bool) -> None:
    """A new page section, landscape for the wide target tables, portrait for text."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = Cm(29.7), Cm(21.0)
    section.page_width, section.page_height = (long_side, short_side) if landscape else (short_side, long_side)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.6 if landscape else 2.0))


def add_table(
    doc: Any,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    font_pt: float = 8.0,
    caption: str | None = None,
    widths_cm: Sequence[float] | None = None,
) -> Any:
    """A grid table; ``widths_cm`` per column (the rest share what is left of ``_WIDTH_CM``)."""
    from docx.shared import Cm, Pt

    if caption:
        doc.add_paragraph(clean(caption), style="Caption")
    rows = [list(r) for r in rows]
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    for j, text in enumerate(header):
        cell = table.rows[0].cells[j]
        cell.text = clean(text)
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
            run.font.size = Pt(font_pt)
    for i, values in enumerate(rows, start=1):
        cells = table.rows[i].cells
        for j, value in enumerate(values):
            cells[j].text = clean(value)
            for run in cells[j].paragraphs[0].runs:
                run.font.size = Pt(font_pt)
    if widths_cm:
        _fix_widths(table, [Cm(w) for w in widths_cm])
    return table


def _fix_widths(table: Any, widths: Sequence[Any]) -> None:
    """Fixed column widths that Word and LibreOffice both honour: the grid (w:gridCol), every cell
    (w:tcW), the table's own width and a fixed layout; cell widths alone are ignored by LibreOffice."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table.autofit = False
    for grid_col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=False):
        grid_col.set(qn("w:w"), str(width.twips))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(w.twips for w in widths)))


def column_widths(header: Sequence[str], page_cm: float) -> list[float]:
    """Column widths of a target table: narrow numbers, a wide name and source, the rest shared."""
    fixed = {  # cm at 7–7.5 pt: 序号 three digits, 指标 its name on one or two lines, a county's name on one
        "序号": 0.9,
        "指标": 5.6,
        "县(区)": 2.0,
        "目标": 2.8,
        "全市目标": 2.8,
        "结论": 1.4,
        "数据来源": 3.4,
        "计划条款": 1.6,
    }
    known = sum(fixed.get(h, 0.0) for h in header)
    rest = [h for h in header if h not in fixed]
    share = max((page_cm - known) / max(len(rest), 1), 1.2)
    return [fixed.get(h, share) for h in header]


def add_para(
    doc: Any,
    text: str,
    *,
    bold: bool = False,
    size: float | None = None,
    center: bool = False,
    style: str | None = None,
) -> Any:
    """A paragraph of one run: the text cleaned for XML, bold, sized or centred as asked."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = doc.add_paragraph(style=style)
    run = paragraph.add_run(clean(text))
    run.font.bold = bold
    if size:
        run.font.size = Pt(size)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph
