"""The end-of-plan evaluation (终期评估) as Word documents: one for the city, one per county.

Laid out as a bureau writes it: cover, 一、总体情况, 二、各项任务完成情况, 三、存在的问题,
四、下一步建议, 附表 and 附图. Every number and sentence comes from
:func:`lcedu.measure.evaluation.target_status` (the scorecard's values judged against the
plan) and the gap-closing estimates; this module only words and lays them out. Text from
the data is written as text (python-docx escapes it; characters XML cannot hold are
dropped). PDFs are converted with headless LibreOffice where ``soffice`` is installed.

Public API: :func:`evaluation_data`, :func:`write_document`, :func:`write_evaluation`,
:func:`to_pdf`, :data:`STATUS_WORDS`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lcedu import paths
from lcedu.home import CITY_CODE
from lcedu.ingest import store
from lcedu.ingest.counties import home
from lcedu.measure import draft_projected as dp
from lcedu.measure import evaluation as ev
from lcedu.measure import indicators as ind
from lcedu.measure.plan import DEFAULT_PLAN, Plan, get_plan
from lcedu.measure.planning import config as planning_cfg
from lcedu.measure.results import load_results, plan_results, require_year
from lcedu.measure.scorecard import COUNTING_RULE
from lcedu.present import briefing as bf
from lcedu.present import maps
from lcedu.present import narrative as nv
from lcedu.present.briefing import dimension_phrase
from lcedu.present.maps.focus import county_focus
from lcedu.publish import map_files

__all__ = [
    "STATUS_WORDS",
    "FONT_FALLBACKS",
    "EvaluationData",
    "FontEntry",
    "document_name",
    "draw_figures",
    "evaluation_data",
    "font_chain",
    "to_pdf",
    "write_document",
    "write_evaluation",
]

#: How each verdict reads in the documents.
STATUS_WORDS = {"met": "达标", "not_met": "未达标", "no_data": "无数据", "not_due": "未到期", "qualitative": "定性目标"}
_FONT = "Noto Sans CJK SC"
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LANDSCAPE_CM = 26.5  # A4 landscape less the margins
_PROGRESS_LIMIT = 2  # progress maps: the first county-scoped rate targets of the plan


@dataclass(frozen=True)
class EvaluationData:
    """Everything the documents show, computed once for the city and every county."""

    plan: Plan
    year: int
    status: pd.DataFrame
    yearly: pd.DataFrame
    needs: pd.DataFrame
    card: pd.DataFrame
    results: pd.DataFrame
    assessments: pd.DataFrame
    data_years: tuple[int, ...]
    synthetic: bool
    created_at: str
    dimensions: pd.DataFrame | None = None  # 达标 / 未达标 / 未评估 per assessment dimension (stored results)
    counts: pd.DataFrame | None = None  # the stored target_counts of the year, by county_code (the one count)
    planning: dict[str, pd.DataFrame] | None = None  # stored projection/planning tables for 四、下一步建议

    @property
    def is_final(self) -> bool:
        return self.year >= self.plan.final_year

    @property
    def shown_years(self) -> list[int]:
        """Baseline to the evaluation year, the years the data has."""
        return [y for y in self.data_years if self.plan.baseline_year <= y <= self.year]


def evaluation_data(
    plan: str | Path | Plan | None = None, year: int | None = None, processed_dir: str | Path | None = None
) -> EvaluationData:
    """The evaluation of ``plan`` as of ``year`` (default: the plan's final year).

    Raises :class:`lcedu.errors.RequestError` when ``year`` has no data.
    """
    p = plan if isinstance(plan, Plan) else get_plan(plan)
    as_of = int(year) if year is not None else p.final_year
    require_year(as_of, processed_dir)  # a year without data is refused, never evaluated as all missing
    stored = load_results(processed_dir)  # the build's results, never recomputed
    results = stored["indicator_results"]
    data_years = tuple(sorted(int(y) for y in results["year"].dropna().unique()))
    default = p.targets_file.resolve() == get_plan().targets_file.resolve()
    judged = plan_results(None if default else str(p.targets_file), None, processed_dir)
    card = judged["scorecard"]
    points = judged["target_points"]
    status = points[points["as_of_year"] == as_of].reset_index(drop=True)
    counts = judged["target_counts"]
    needs = judged["target_needs"]
    years = [y for y in data_years if p.baseline_year <= y <= as_of]
    manifest = store.manifest(processed_dir)
    return EvaluationData(
        plan=p,
        year=as_of,
        status=status,
        yearly=ev.yearly_values(status, card, years),
        needs=needs[needs["as_of_year"] == as_of].reset_index(drop=True),  # stored: what closing takes
        card=card,
        results=results,
        assessments=stored["assessments"],
        data_years=data_years,
        synthetic=bool(manifest.get("is_sample", False)),
        created_at=str(manifest.get("created_at", "")),
        dimensions=stored["assessment_dimensions"],
        counts=counts[counts["year"] == as_of].set_index("county_code"),
        planning=_planning_tables(processed_dir),
    )


# --------------------------------------------------------------------------- wording


def _clean(text: Any) -> str:
    """Text for the document: a string without the control characters XML cannot hold."""
    return _XML_BAD.sub("", "" if text is None else str(text))


def _projects(data: EvaluationData, rows: pd.DataFrame) -> list[tuple[int, str]]:
    """(order, heading) of the plan clause each row's target belongs to, from the plan's own text.

    "三(三) 强师兴校工程" for clause 三(三); a clause the text has no heading for keeps its label.
    """
    titles = data.plan.clause_titles()
    order = {clause: i for i, clause in enumerate(titles)}
    out = []
    for clause in rows["clause"].astype(str):
        head = clause.split()[0] if clause.strip() else ""
        title = titles.get(head)
        out.append((order.get(head, len(order)), f"{head} {title}" if title else (head or "其他")))
    return out


def _target_words(r: Any) -> str:
    """≥95%（2025年） as the plan sets it."""
    comparison = str(r["comparison"])
    op = nv.comparison_sign(comparison, r["strict"], r["target_max"])  # the plan's words: 超过 → ">"
    if comparison == "qualitative":
        return f"定性目标（{int(r['target_year'])}年）"
    shown = nv.fmt_target(r["target"], str(r["unit"]), "zh", comparison, r["target_max"])
    shown = nv.directional_target_text(comparison, shown) or shown  # 显著提升: above the baseline value
    return f"{op}{shown}（{int(r['target_year'])}年）"


def _value_words(value: Any, unit: str, reason: Any = None, thresholds: Any = None) -> str:
    """A value beside its target: enough decimals that it sits on the side the verdict says."""
    if nv.is_missing(value):
        return nv.na_text(reason, "zh") if not nv.is_missing(reason) else "—"
    return nv.fmt_value(value, unit, "zh", thresholds=thresholds)


def _gap_words(r: Any, unit: str) -> str:
    decimals = (
        nv.decimals_near(float(r["value"]), nv.row_thresholds(r), nv.DECIMALS.get(unit, 0))
        if not nv.is_missing(r["value"])
        else None
    )
    return nv.fmt_gap(float(r["gap"]), unit, "zh", decimals)


def _verdict_words(r: Any) -> str:
    reason = r.get("na_reason")
    if str(r["status"]) == "no_data" and not nv.is_missing(reason) and str(reason).startswith("not assessed: "):
        return "未评估"  # an assessment with a dimension not assessed (e.g. no 督导评估清单): never 达标
    word = STATUS_WORDS[str(r["status"])]
    if r["status"] == "not_due" and not nv.is_missing(r.get("is_on_track")):
        word += "（按趋势可达标）" if bool(r["is_on_track"]) else "（按趋势难以达标）"
    return word


def _reason(r: Any) -> str:
    """Why a target has no value, in Chinese."""
    needed = str(r.get("data_needed") or "")
    if not bool(r["in_registry"]):
        return f"未纳入统计指标，需{needed}" if needed else "未纳入统计指标，无数据来源"
    return nv.na_text(r["na_reason"], "zh")


def _place(code: str) -> str:
    return nv.place_name(str(code), "zh")


def _counts(rows: pd.DataFrame) -> dict[str, int]:
    return {s: int((rows["status"] == s).sum()) for s in ev.STATUSES}


def _counts_sentence(counts: dict[str, int]) -> str:
    parts = [f"达标{counts['met']}个", f"未达标{counts['not_met']}个", f"无数据{counts['no_data']}个"]
    if counts["not_due"]:
        parts.append(f"未到期{counts['not_due']}个")
    if counts.get("qualitative"):
        parts.append(f"定性目标{counts['qualitative']}个")
    return "，".join(parts)


def _closing_words(r: Any, needs: pd.DataFrame) -> str:
    """What closing one unmet row takes: the gap estimates, else the ratio arithmetic, else the gap."""
    mine = needs[
        (needs["entry"] == r["entry"])
        & (needs["county_code"] == r["county_code"])
        & (needs["target_year"] == r["target_year"])
    ]
    if len(mine):
        return "按现有数据估算需" + "、".join(str(n.phrase_zh) for n in mine.itertuples(index=False))
    keys = ("indicator", "unit", "comparison", "target", "closing_numerator", "closing_denominator", "value_as_of")
    row = {k: r[k] for k in keys}
    row["gap"] = row["gap_now"] = r["gap_now"]  # the latest gap: what is still to close now
    row["value"] = r["value_as_of"]
    if nv.is_missing(row["gap"]):
        return ""
    return bf.closing_text(row, "zh")


# --------------------------------------------------------------------------- document building


#: Fonts by style name: (East Asian, Latin). "plain" is one sans face; "gongwen" the 党政机关公文格式
#: (GB/T 9704) faces by their usual names: 仿宋_GB2312 body, 方正小标宋简体 title, 黑体 and 楷体_GB2312 headings.
#: A face missing on the reader's machine falls back through :data:`FONT_FALLBACKS` (the docx font table); the
#: Latin face is set apart so digits and Latin letters never fall back to a CJK face's.
DOCUMENT_STYLES: dict[str, dict[str, tuple[str, str]]] = {
    "plain": {name: (_FONT, _FONT) for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Caption")},
    "gongwen": {
        "Normal": ("仿宋_GB2312", "Times New Roman"),
        "Title": ("方正小标宋简体", "Times New Roman"),
        "Heading 1": ("黑体", "Times New Roman"),
        "Heading 2": ("楷体_GB2312", "Times New Roman"),
        "Heading 3": ("仿宋_GB2312", "Times New Roman"),
        "Caption": ("黑体", "Times New Roman"),
    },
}


@dataclass(frozen=True)
class FontEntry:
    """A face's entry in the docx font table (word/fontTable.xml): what Word tries when the face is missing.

    ``alt_name`` (w:altName) is tried first; failing that Word picks the installed font closest in PANOSE
    class, character set (86: GB2312), family and pitch, and Unicode/code-page coverage (w:sig).
    """

    alt_name: str
    panose: str
    family: str
    pitch: str
    signature: tuple[str, str, str, str, str, str]


_GB2312_SIG = ("00000001", "080E0000", "00000000", "00000000", "00040000", "00000000")  # the old GB2312-only faces
_WINDOWS_CJK_SIG = ("800002BF", "38CF7CFA", "00000016", "00000000", "00040001", "00000000")  # Windows' 仿宋/黑体/楷体

#: The 公文 faces and their fallbacks, as Word itself writes these entries: 仿宋_GB2312 → 仿宋 → FangSong,
#: 楷体_GB2312 → 楷体 → KaiTi, 黑体 → SimHei, 方正小标宋简体 → 华文中宋 → STZhongsong (and 宋体 → SimSun).
#: 仿宋, 黑体, 楷体 and 宋体 ship with every Chinese Windows; the _GB2312 faces and 方正小标宋简体 are the ones
#: 公文 templates name. 方正小标宋简体 has no Windows entry to copy: it carries 华文中宋's class (a heavy 宋),
#: so PANOSE matching lands on a 宋 face.
FONT_FALLBACKS: dict[str, FontEntry] = {
    "仿宋_GB2312": FontEntry("仿宋", "02010609030101010101", "modern", "fixed", _GB2312_SIG),
    "仿宋": FontEntry("FangSong", "02010609060101010101", "modern", "fixed", _WINDOWS_CJK_SIG),
    "楷体_GB2312": FontEntry("楷体", "02010609030101010101", "modern", "fixed", _GB2312_SIG),
    "楷体": FontEntry("KaiTi", "02010609060101010101", "modern", "fixed", _WINDOWS_CJK_SIG),
    "黑体": FontEntry("SimHei", "02010609060101010101", "modern", "fixed", _WINDOWS_CJK_SIG),
    "方正小标宋简体": FontEntry("华文中宋", "02010600040101010101", "auto", "variable", _GB2312_SIG),
    "华文中宋": FontEntry(
        "STZhongsong",
        "02010600040101010101",
        "auto",
        "variable",
        ("00000287", "080F0000", "00000000", "00000000", "0004009F", "DFD70000"),
    ),
    "宋体": FontEntry(
        "SimSun",
        "02010600030101010101",
        "auto",
        "variable",
        ("00000003", "288F0000", "00000016", "00000000", "00040001", "00000000"),
    ),
}


def font_chain(face: str) -> list[str]:
    """``face`` and the faces its font-table entries fall back to, in order (仿宋_GB2312, 仿宋, FangSong)."""
    chain = [face]
    while chain[-1] in FONT_FALLBACKS and FONT_FALLBACKS[chain[-1]].alt_name not in chain:
        chain.append(FONT_FALLBACKS[chain[-1]].alt_name)
    return chain


def _font_table(xml: bytes, faces: Iterable[str]) -> bytes:
    """word/fontTable.xml with an entry (altName, panose, charset, family, pitch, sig) for every face of
    ``faces`` and the faces they fall back to; an entry of the same name is replaced."""
    from lxml import etree

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    root = etree.fromstring(xml)
    wanted = list(dict.fromkeys(name for face in faces for name in font_chain(face) if name in FONT_FALLBACKS))
    for old in root.findall(f"{{{w}}}font"):
        if old.get(f"{{{w}}}name") in wanted:
            root.remove(old)
    for name in wanted:
        entry = FONT_FALLBACKS[name]
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        for tag, value in (
            ("altName", entry.alt_name),
            ("panose1", entry.panose),
            ("charset", "86"),
            ("family", entry.family),
            ("pitch", entry.pitch),
        ):
            etree.SubElement(font, f"{{{w}}}{tag}", {f"{{{w}}}val": value})
        keys = ("usb0", "usb1", "usb2", "usb3", "csb0", "csb1")
        etree.SubElement(font, f"{{{w}}}sig", {f"{{{w}}}{k}": v for k, v in zip(keys, entry.signature, strict=True)})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _docx_bytes(doc: Any, style: str) -> bytes:
    """The saved document, its font table carrying the fallbacks of the style's faces."""
    saved = io.BytesIO()
    doc.save(saved)
    faces = [east_asian for east_asian, _ in DOCUMENT_STYLES[style].values()]
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/fontTable.xml":
                data = _font_table(data, faces)
            target.writestr(item, data)
    return out.getvalue()


def _set_style_fonts(doc: Any, style_name: str, east_asian: str, latin: str) -> None:
    """A style's faces: w:eastAsia for Chinese text, w:ascii/w:hAnsi/w:cs for the rest."""
    from docx.oxml.ns import qn

    style = doc.styles[style_name]
    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    if style_name != "Normal":
        style.font.color.rgb = None  # the template's blue headings: black in a document to pass on
    border = style.element.find(qn("w:pPr") + "/" + qn("w:pBdr"))
    if border is not None:  # the template's Title rule under each line
        border.getparent().remove(border)


def _new_document(style: str = "plain") -> Any:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    if style not in DOCUMENT_STYLES:
        raise ValueError(f"unknown document style {style!r}; one of {sorted(DOCUMENT_STYLES)}")
    doc = Document()
    for style_name, (east_asian, latin) in DOCUMENT_STYLES[style].items():
        _set_style_fonts(doc, style_name, east_asian, latin)
    doc.styles["Normal"].font.size = Pt(10.5)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin = section.bottom_margin = Cm(2.2)
    return doc


#: On every page while the build is the synthetic sample (the cover alone is not enough once pages are passed on).
SYNTHETIC_NOTICE = "合成样例数据，非官方统计"


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


def _header_footer(doc: Any, data: EvaluationData, county: str | None) -> None:
    """Header (place, title and, for the sample, the synthetic-data notice) and a page-numbered footer.

    Set on the first section; the later sections link to it, so every page carries them.
    """
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    section = doc.sections[0]
    place = "临沧市" if county is None else _place(county)
    header = section.header.paragraphs[0]
    words = f"{place}　{_title(data)}" + (f"　（{SYNTHETIC_NOTICE}）" if data.synthetic else "")
    header.add_run(_clean(words)).font.size = Pt(8)
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


def _section(doc: Any, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = Cm(29.7), Cm(21.0)
    section.page_width, section.page_height = (long_side, short_side) if landscape else (short_side, long_side)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.6 if landscape else 2.0))


def _table(
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
        doc.add_paragraph(_clean(caption), style="Caption")
    rows = [list(r) for r in rows]
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    for j, text in enumerate(header):
        cell = table.rows[0].cells[j]
        cell.text = _clean(text)
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
            run.font.size = Pt(font_pt)
    for i, values in enumerate(rows, start=1):
        cells = table.rows[i].cells
        for j, value in enumerate(values):
            cells[j].text = _clean(value)
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


def _widths(header: Sequence[str], page_cm: float) -> list[float]:
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


def _para(
    doc: Any,
    text: str,
    *,
    bold: bool = False,
    size: float | None = None,
    center: bool = False,
    style: str | None = None,
) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = doc.add_paragraph(style=style)
    run = paragraph.add_run(_clean(text))
    run.font.bold = bold
    if size:
        run.font.size = Pt(size)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _title(data: EvaluationData) -> str:
    kind = "终期评估报告" if data.is_final else f"中期评估报告（截至{nv.year_label(data.year)}）"
    return f"《{data.plan.title_zh}》{kind}"


def _rows_for(data: EvaluationData, county: str | None) -> pd.DataFrame:
    s = data.status
    return s if county is None else s[s["county_code"] == county]


def _cover(doc: Any, data: EvaluationData, county: str | None, today: dt.date) -> None:
    for _ in range(5):
        doc.add_paragraph()
    place = "临沧市" if county is None else _place(county)
    _para(doc, place, bold=True, size=20, center=True, style="Title")
    _para(doc, _title(data), bold=True, size=18, center=True, style="Title")
    doc.add_paragraph()
    _para(
        doc,
        f"评估时点：{nv.year_label(data.year)}　　基期：{nv.year_label(data.plan.baseline_year)}　　"
        f"规划期：{data.plan.period_text}",
        center=True,
    )
    _para(
        doc,
        f"注：统计数据为各学年初的状态，{nv.year_label(data.year)}即{data.year}年秋季学期；计划目标年份按计划原文。",
        size=9,
        center=True,
    )
    _para(
        doc,
        f"数据生成：{data.created_at[:10] or '—'}　　成文日期：{today.year}年{today.month}月{today.day}日",
        center=True,
    )
    if data.synthetic:
        doc.add_paragraph()
        _para(
            doc,
            f"⚠ {SYNTHETIC_NOTICE}。本文件由合成样例数据生成，仅用于演示和测试，不得作为正式评估结论引用。",
            bold=True,
            size=12,
            center=True,
        )
    if data.plan.status == "test":
        _para(doc, "⚠ 测试用虚构规划 / made-up test plan", bold=True, size=12, center=True)


def _target_count_words(data: EvaluationData, code: str) -> str:
    """The stored ``target_counts`` of the place, by the stated rule: the count the index, briefings and
    workbooks state, with the assessment points beside it."""
    place = "全市" if code == CITY_CODE else _place(code)
    own = "全市目标" if code == CITY_CODE else "本县目标"
    n = data.counts.loc[code] if data.counts is not None and code in data.counts.index else None
    if n is None:
        return f"截至{nv.year_label(data.year)}，{place}没有《{data.plan.title_zh}》的{own}。"
    text = (
        f"截至{nv.year_label(data.year)}，{place}对照{own}{int(n['targets'])}项：达标{int(n['met'])}项、"
        f"未达标{int(n['not_met'])}项、未到期{int(n['not_due'])}项"
        + (f"、无数据{int(n['no_data'])}项" if n["no_data"] else "")
        + (f"、定性目标{int(n['qualitative'])}项（列出、不评判）" if n["qualitative"] else "")
        + "。"
    )
    if n["points"] != n["targets"]:
        text += (
            f"按评估点（目标×年份）计{int(n['points'])}个：达标{int(n['points_met'])}个、"
            f"未达标{int(n['points_not_met'])}个、未到期{int(n['points_not_due'])}个、"
            f"无数据{int(n['points_no_data'])}个"
            + (f"、定性目标{int(n['points_qualitative'])}个" if n["points_qualitative"] else "")
            + "。"
        )
    return text + COUNTING_RULE["zh"]


def _overview(doc: Any, data: EvaluationData, county: str | None) -> None:
    rows = _rows_for(data, county)
    doc.add_heading("一、总体情况", level=1)
    counts = _counts(rows)
    _para(doc, _target_count_words(data, CITY_CODE if county is None else county))
    if county is None:
        _para(
            doc,
            f"计划目标按县(区)和年份分解共{len(rows)}个评估点（全市目标和各县(区)目标），其中{_counts_sentence(counts)}。",
        )
    if counts["no_data"]:
        no_data = rows[rows["status"] == "no_data"]
        unassessed = no_data["na_reason"].fillna("").str.startswith("not assessed: ")
        missing = no_data[~unassessed].drop_duplicates("entry")
        if len(missing):
            _para(
                doc,
                f"无数据的目标{len(missing)}项：{'、'.join(missing['name_zh'].astype(str))}，需补充统计口径或台账后评估。",
            )
        waiting = no_data[unassessed]
        if len(waiting):
            who = "、".join(f"{_place(r['county_code'])}{r['name_zh']}" for _, r in waiting.iterrows())
            _para(
                doc,
                f"未评估的目标{len(waiting)}个评估点：{who}——有维度缺少督导评估清单，不计为达标，需补充清单后认定。",
            )
    projects = rows.assign(_p=_projects(data, rows))
    table_rows = []
    for (_order, name), group in sorted(projects.groupby("_p"), key=lambda kv: kv[0]):
        c = _counts(group)
        table_rows.append(
            [name, group["entry"].nunique(), len(group), c["met"], c["not_met"], c["no_data"], c["not_due"]]
        )
    header = ["工程（项目）", "目标项数", "评估点", "达标", "未达标", "无数据", "未到期"]
    _table(doc, header, table_rows, font_pt=9, caption="表1　分工程目标完成情况", widths_cm=[6.2] + [1.6] * 6)
    if county is None:
        codes = [CITY_CODE, *sorted(set(rows["county_code"]) - {CITY_CODE})]
        shown = data.counts.reindex([c for c in codes if c in data.counts.index])
        by_county = [
            [
                _place(code) + ("（全市目标）" if code == CITY_CODE else ""),
                int(n["targets"]),
                int(n["met"]),
                int(n["not_met"]),
                int(n["no_data"]),
                int(n["not_due"]),
                int(n["points"]),
                "—" if nv.is_missing(n["met_pct"]) else f"{float(n['met_pct']):.0f}%",
            ]
            for code, n in shown.iterrows()
        ]
        _table(
            doc,
            ["县(区)", "目标", "达标", "未达标", "无数据", "未到期", "评估点", "达标率（已到期且有数据）"],
            by_county,
            font_pt=9,
            caption="表2　分县(区)目标完成情况（按目标计，口径见上）",
            widths_cm=[3.4] + [1.5] * 6 + [3.0],
        )
        share = shown.loc[[c for c in shown.index if c != CITY_CODE], "met_pct"].dropna().sort_values(ascending=False)
        if len(share) >= 2:
            _para(
                doc,
                f"分县(区)看，{_place(share.index[0])}已到期目标达标率最高（{float(share.iloc[0]):.0f}%），"
                f"{_place(share.index[-1])}最低（{float(share.iloc[-1]):.0f}%）。",
            )


def _assessment_paragraphs(doc: Any, data: EvaluationData, county: str | None) -> None:
    """县域评估 as the national documents define them: each county's overall state and every dimension's.

    达标 only when every dimension was assessed and met; a dimension without input (no 督导评估清单)
    is 未评估, so the document never says a county reached a standard it only partly checked.
    """
    if data.dimensions is None:
        return
    a = data.assessments[data.assessments["year"] == data.year]
    d = data.dimensions[data.dimensions["year"] == data.year]
    codes = [county] if county not in (None, CITY_CODE) else sorted(set(a["county_code"]))
    spec = ind.load_registry().assessments
    lines = []
    for name in ("compulsory_balanced", "preschool_universal"):
        for code in codes:
            row = a[(a["county_code"] == code) & (a["assessment"] == name)]
            if row.empty:
                continue
            dims = d[(d["county_code"] == code) & (d["assessment"] == name)].sort_values("position")
            parts = "，".join(dimension_phrase(r, "zh") for r in dims.to_dict("records"))
            lines.append(f"{_place(code)}{spec[name]['name_zh']}：总体{row['state'].iloc[0]}；{parts}。")
    if lines:
        _para(
            doc,
            f"{data.year}年县域评估按国家文件分维度认定（全部维度评估且达标才为达标；没有督导评估清单的维度为“未评估”，"
            "不计为达标）：",
        )
        for line in lines:
            _para(doc, line)


def _task_rows(data: EvaluationData, rows: pd.DataFrame, *, full: bool) -> tuple[list[str], list[list[Any]]]:
    years = data.shown_years
    header = [
        "序号",
        "指标",
        "县(区)",
        "目标",
        *[nv.year_label(y) + ("(基期)" if y == data.plan.baseline_year else "") for y in years],
        "目标年份值",
        "结论",
        "数据来源",
    ]
    if full:
        header += ["差距", "计划条款"]  # no 指标代码: internal names are not for readers
    out = []
    for i, (idx, r) in enumerate(rows.iterrows(), start=1):
        unit = str(r["unit"])
        limits = nv.row_thresholds(r)
        yearly = [_value_words(data.yearly.loc[idx, y], unit, thresholds=limits) for y in years]
        final = (
            "—"
            if r["status"] == "not_due"
            else (_reason(r) if nv.is_missing(r["value"]) else _value_words(r["value"], unit, thresholds=limits))
        )
        line = [
            i,
            r["name_zh"],
            _place(r["county_code"]),
            _target_words(r),
            *yearly,
            final,
            _verdict_words(r),
            r["source"],
        ]
        if full:
            gap = "" if nv.is_missing(r["gap"]) or r["status"] != "not_met" else _gap_words(r, unit)
            line += [gap, r["clause"]]
        out.append(line)
    return header, out


def _tasks(doc: Any, data: EvaluationData, county: str | None) -> None:
    rows = _rows_for(data, county)
    doc.add_heading("二、各项任务完成情况", level=1)
    grouped = rows.assign(_p=_projects(data, rows))
    for (_order, name), group in sorted(grouped.groupby("_p"), key=lambda kv: kv[0]):
        doc.add_heading(name, level=2)  # the plan's own clause number and title: "三(三) 强师兴校工程", no second one
        c = _counts(group)
        _para(doc, f"本工程涉及目标{group['entry'].nunique()}项、评估点{len(group)}个，{_counts_sentence(c)}。")
        header, table_rows = _task_rows(data, group.drop(columns="_p"), full=False)
        _table(doc, header, table_rows, font_pt=7.5, widths_cm=_widths(header, _LANDSCAPE_CM))
    _city_reference(doc, data, county)


CITY_REFERENCE_HEADING = "全市目标(参照)"


def _city_reference_rows(data: EvaluationData, county: str) -> pd.DataFrame:
    """The county's scorecard rows of the year measured against a city-wide target (the briefing's
    全市目标(参照) table): shown for reference, never counted in the county's own targets."""
    card = data.card
    scope = card["target_scope"].astype("string").fillna("")
    mask = (card["county_code"] == county) & (card["year"] == data.year) & (scope == "city_reference")
    return card[mask.to_numpy(dtype=bool, na_value=False)].reset_index(drop=True)


def _city_reference(doc: Any, data: EvaluationData, county: str | None) -> None:
    rows = _city_reference_rows(data, county) if county is not None else pd.DataFrame()
    if rows.empty:
        return
    doc.add_heading(CITY_REFERENCE_HEADING, level=2)
    _para(doc, f"以下{len(rows)}项指标计划只设全市目标，本县数值以全市目标作参照列出，不计入本县目标完成情况。")
    card = data.card.set_index(["county_code", "indicator", "year"])
    years = data.shown_years
    header = ["序号", "指标", "全市目标", *[nv.year_label(y) for y in years], f"全市{nv.year_label(data.year)}", "对照"]
    table_rows = []
    for i, (_, r) in enumerate(rows.iterrows(), start=1):
        unit, limits = str(r["unit"]), nv.row_thresholds(r)
        values = []
        for code, year in [*((county, y) for y in years), (CITY_CODE, data.year)]:
            key = (code, r["indicator"], year)
            value = card.loc[key, "value"] if key in card.index else pd.NA
            reason = card.loc[key, "na_reason"] if key in card.index else pd.NA
            values.append(_value_words(value, unit, reason, thresholds=limits))
        verdict = "—" if nv.is_missing(r["is_met"]) else ("达到" if bool(r["is_met"]) else "未达到")  # stored
        table_rows.append([i, r["name_zh"], _target_words(r), *values, verdict])
    _table(doc, header, table_rows, font_pt=7.5, widths_cm=_widths(header, _LANDSCAPE_CM))


def _problem_groups(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """The targets still open as of the year (:func:`lcedu.measure.evaluation.current_problems`), grouped by
    target, the largest current gap (relative to the target) first."""
    open_rows = ev.current_problems(rows)
    groups = [
        g.sort_values("relative_gap_now", ascending=False, na_position="last")
        for _, g in open_rows.groupby(["entry", "target_year"])
    ]
    return sorted(groups, key=lambda g: -float(g["relative_gap_now"].fillna(0).max()))


def _now(r: Any) -> dict[str, Any]:
    """The row as of the evaluation year: its latest value and gap (for the words of the latest state)."""
    return {**dict(r), "value": r["value_as_of"], "gap": r["gap_now"]}


def _progress_words(r: Any, year: int) -> str:
    """2024年目标未按期达成（93.9%），2025/26学年初已达100%."""
    unit = str(r["unit"])
    before = _value_words(r["value"], unit, thresholds=nv.row_thresholds(r))
    now = _value_words(r["value_as_of"], unit, thresholds=nv.row_thresholds(r))
    return (
        f"{_place(r['county_code'])}{int(r['target_year'])}年目标未按期达成（{before}），{nv.year_label(year)}已达{now}"
    )


def _problems(doc: Any, data: EvaluationData, county: str | None, limit: int = 12) -> list[pd.DataFrame]:
    rows = _rows_for(data, county)
    doc.add_heading("三、存在的问题", level=1)
    groups = _problem_groups(rows)
    late = ev.late_progress(rows)
    if not groups:
        _para(doc, f"截至{nv.year_label(data.year)}，已到期且有数据的目标均已达标或已补齐。")
    else:
        _para(
            doc,
            f"截至{nv.year_label(data.year)}，仍未达到的目标{len(groups)}项"
            f"（涉及{sum(len(g) for g in groups)}个评估点），"
            f"按{nv.year_label(data.year)}数值与目标的差距占目标值的比例从大到小列出"
            f"{'前' + str(limit) + '项' if len(groups) > limit else ''}：",
        )
    for k, g in enumerate(groups[:limit], start=1):
        first = g.iloc[0]
        unit = str(first["unit"])
        if first["comparison"] == "reach":
            places = "、".join(_place(c) for c in g["county_code"])
            detail = f"{places}尚未达标"
        else:
            detail = "；".join(
                f"{_place(r['county_code'])}{nv.year_label(data.year)}"
                f"{_value_words(r['value_as_of'], unit, thresholds=nv.row_thresholds(r))}，"
                f"差{_gap_words(_now(r), unit)}"
                for _, r in g.iterrows()
            )
        scope = f"，共{len(g)}个县(区)未达标" if len(g) > 1 else ""
        _para(doc, f"{k}. {first['name_zh']}（目标{_target_words(first)}）：{detail}{scope}。")
    if len(late):
        _para(
            doc,
            "进展（未按期达成、其后已达到，不计为达标）："
            + "；".join(_progress_words(r, data.year) for _, r in late.iterrows())
            + "。",
        )
    missing = rows[rows["status"] == "no_data"].drop_duplicates("entry")
    if len(missing):
        reasons = "；".join(f"{r['name_zh']}（{_reason(r)}）" for _, r in missing.iterrows())
        _para(doc, f"另有{len(missing)}项目标无数据，无法判断是否完成：{reasons}。")
    return groups


def _advice(doc: Any, data: EvaluationData, groups: list[pd.DataFrame], county: str | None, limit: int = 12) -> None:
    doc.add_heading("四、下一步建议", level=1)
    if not groups:
        _para(doc, "巩固已达标成果，按新一轮规划目标持续监测。")
        return
    _para(doc, f"按{nv.year_label(data.year)}数据测算，补齐上述差距需要：")
    for k, g in enumerate(groups[:limit], start=1):
        parts = []
        for _, r in g.iterrows():
            words = _closing_words(r, data.needs)
            if words:
                parts.append(f"{_place(r['county_code'])}{words}")
        if parts:
            _para(doc, f"{k}. {g.iloc[0]['name_zh']}：{'；'.join(parts)}。")
    if data.is_final:
        _para(
            doc,
            f"建议将未达标目标纳入{data.plan.final_year + 1}年起的新一轮规划，"
            f"以各县(区){nv.year_label(data.year)}基期值和{nv.year_label(data.shown_years[0])}至"
            f"{nv.year_label(data.year)}的变化趋势为依据确定分年度目标。",
        )

    _projected_advice(doc, data, county)


# --------------------------------------------------------------------------- 四、下一步建议 from the projections

#: Stored tables the recommendations read; a build without them keeps the gap-closing advice only.
PLANNING_TABLES = (*dp.TABLES, "planning_place_summary", "planning_consolidation", "schools")
_STAGES = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中", "senior": "高中"}


def _planning_tables(processed_dir: str | Path | None) -> dict[str, pd.DataFrame]:
    """The stored projection and planning tables the build holds (none when it was built without projections)."""
    out = {}
    for name in PLANNING_TABLES:
        try:
            out[name] = store.load(name, processed_dir)
        except store.MissingTableError:
            continue
    return out


def _num(x: Any, signed: bool = False) -> str:
    return "—" if x is None else (f"{x:+,.0f}" if signed else f"{x:,.0f}")


def _figure(item: Mapping[str, Any], unit: str, signed: bool = False) -> str:
    """The medium point, then the low–high scenarios and the medium band: +1,234个（低、高方案…；中方案区间…）."""
    lo, hi = item["range"]
    b_lo, b_hi = item["band"]
    same = _num(lo, signed) == _num(hi, signed) == _num(item["value"], signed)
    scenarios = "三个方案相同" if same else f"低、高方案{_num(lo, signed)}～{_num(hi, signed)}"
    if lo is None and hi is None:
        scenarios = "未测算低、高方案"
    return f"{_num(item['value'], signed)}{unit}（{scenarios}；中方案区间{_num(b_lo, signed)}～{_num(b_hi, signed)}）"


def _entries(data: EvaluationData, year: int) -> dict[tuple[str, str], dict]:
    entries, _ = dp.planning_entries(data.planning or {}, year)
    return {(e["measure"], e["stage"]): e for e in entries}


def _first_shortfalls(data: EvaluationData, county: str | None, codes: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Per 学段, where places first run short (medium, point), earliest first: the counties on the city's document,
    the schools (by name) on a county's."""
    tables = data.planning or {}
    s = tables.get("planning_place_summary")
    if s is None:
        return {}
    level = "school" if county else "county"
    s = s[
        (s["level"].astype(str) == level)
        & (s["scenario"].astype(str) == dp.DEFAULT_SCENARIO)
        & (s["band"].astype(str) == "point")
        & s["county_code"].astype(str).isin(codes)
        & s["first_shortfall_year"].notna()
    ].sort_values(["first_shortfall_year", "largest_shortfall"], ascending=[True, False])
    names: dict[str, str] = {}
    if county and "schools" in tables:
        latest = tables["schools"].sort_values("year").drop_duplicates("school_id", keep="last")
        names = dict(zip(latest["school_id"].astype(str), latest["school_name"].astype(str), strict=True))
    out: dict[str, list[tuple[str, int]]] = {}
    for r in s.itertuples():
        where = names.get(str(r.school_id), str(r.school_id)) if county else _place(str(r.county_code))
        out.setdefault(str(r.stage), []).append((where, int(r.first_shortfall_year)))
    return out


def _staff_where(by_county: Mapping[str, Any], codes: list[str]) -> str:
    """The counties short of teachers and those with a surplus (medium point), side by side: 县管校聘 moves posts."""
    gaps = {c: by_county[c]["proposed"]["value"] for c in codes if c in by_county}
    short = sorted((g, c) for c, g in gaps.items() if g is not None and g < -0.5)
    spare = sorted(((g, c) for c, g in gaps.items() if g is not None and g > 0.5), reverse=True)
    if not short:
        return ""
    lacking = "、".join(f"{_place(c)}{g:+,.0f}" for g, c in short)
    if not spare:
        return f"教师短缺的县（区）：{lacking}"
    surplus = "、".join(f"{_place(c)}{g:+,.0f}" for g, c in spare)
    return f"教师短缺的县（区）{lacking}，富余的县（区）{surplus}，可在市域内统筹调剂编制"


def _screening_words(data: EvaluationData, codes: list[str], year: int) -> str | None:
    c = (data.planning or {}).get("planning_consolidation")
    if c is None:
        return None
    c = c[(c["scenario"].astype(str) == dp.DEFAULT_SCENARIO) & c["county_code"].astype(str).isin(codes)]
    if c.empty:
        return None
    kept = int(c["screening"].astype(str).str.startswith(("应保留", "待核实")).sum())
    return (
        f"{year}年预测在校生不足50人的学校（学段）{len(c):,}所列入布局调整研究筛查（中方案，点估计），"
        f"其中{kept:,}所因最近同学段学校过远或无坐标默认保留；筛查不是结论，任何调整须科学评估、先建后撤、"
        "应留必留，并经论证、听证和公示。"
    )


def _projected_advice(doc: Any, data: EvaluationData, county: str | None) -> None:
    """面向下一规划期: places, teachers and schools in the horizon year from the stored projections, each figure
    with its scenario and band, where (counties) and by when (first shortfall year). Never a closure."""
    if not data.planning or "planning_places" not in data.planning:
        return
    year = int(planning_cfg()["consolidation"]["review_year"])
    code = county or CITY_CODE
    codes = [county] if county else sorted({str(c) for c in data.planning["planning_places"]["county_code"]})
    entries = _entries(data, year)
    launch = int(data.planning["planning_places"]["launch_year"].max())
    _para(
        doc,
        f"面向下一规划期（至{year}年）：以下按{nv.year_label(launch)}起的学龄人口预测测算，数值为中方案点估计，"
        "括号内为低、高方案和中方案的回测误差区间（docs/projections.md）。",
    )
    shortfalls = _first_shortfalls(data, county, codes)
    k = 0
    for stage, zh in _STAGES.items():
        parts = []
        places = entries.get(("spare_places", stage), {}).get("counties", {}).get(code)
        if places:
            parts.append(f"学位余缺{_figure(places['proposed'], '个', signed=True)}（+为空余，−为缺口）")
        staff = entries.get(("staff_gap", stage), {}).get("counties", {}).get(code)
        if staff:
            parts.append(f"教师余缺{_figure(staff['proposed'], '人', signed=True)}（+为富余，−为短缺）")
        where = shortfalls.get(stage, [])
        if where:
            listed = "、".join(f"{name}{y}年" for name, y in where[:6])
            more = f"等{len(where)}处" if len(where) > 6 else ""
            parts.append(f"学位最早出现缺口：{listed}{more}")
        if county is None:
            parts.append(_staff_where(entries.get(("staff_gap", stage), {}).get("counties", {}), codes))
        small = entries.get(("schools_below_100", stage), {}).get("counties", {}).get(code)
        if small:
            parts.append(f"不足100人的学校{_figure(small['proposed'], '所')}")
        parts = [x for x in parts if x]
        if parts:
            k += 1
            _para(doc, f"（{k}）{zh}：到{year}年，{'；'.join(parts)}。")
    preschool = dp.indicator_proposals(data.planning, year).get("preschool_gross_enrollment_pct")
    rate = (preschool or {}).get("counties", {}).get(code, {}).get("projection_basis")
    if rate and rate["launch_rate"] is not None and rate["rate"]["value"] is not None:
        r = rate["rate"]
        _para(
            doc,
            f"学前三年毛入园率（预测口径）：3—5岁人口减少，在园幼儿按现有入园水平和免费学前教育推进测算，"
            f"由{nv.year_label(launch)}的{rate['launch_rate']:.1f}%变为{year}年的{r['value']:.1f}%"
            f"（低、高方案{r['range'][0]:.1f}%～{r['range'][1]:.1f}%；中方案区间{r['band'][0]:.1f}%～{r['band'][1]:.1f}%）。",
        )
    screening = _screening_words(data, codes, year)
    if screening:
        _para(doc, screening)


def _annex_table(doc: Any, data: EvaluationData, county: str | None) -> None:
    doc.add_heading("附表　目标完成情况总表", level=1)
    header, rows = _task_rows(data, _rows_for(data, county), full=True)
    _table(doc, header, rows, font_pt=7, widths_cm=_widths(header, _LANDSCAPE_CM))


def _annex_figures(doc: Any, figures: Sequence[tuple[str, Path]]) -> None:
    from docx.shared import Cm

    doc.add_heading("附图", level=1)
    if not figures:
        _para(doc, "本规划没有可制图的县域目标。")
    for k, (caption, png) in enumerate(figures, start=1):
        doc.add_picture(str(png), width=Cm(16))
        doc.add_paragraph(_clean(f"附图{k}　{caption}"), style="Caption")


def _share_verdicts(data: EvaluationData) -> dict[str, str]:
    """Assessment → the stored status of the city's ``<assessment>_county_share_pct`` target in the year."""
    card = data.card
    rows = card[
        card["indicator"].str.endswith("_county_share_pct")
        & (card["year"] == data.year)
        & (card["county_code"] == CITY_CODE)
        & card["status"].notna()
    ]
    return {
        str(c).removesuffix("_county_share_pct"): str(s) for c, s in zip(rows["indicator"], rows["status"], strict=True)
    }


@dataclass(frozen=True)
class _CityMap:
    """One of the city's maps, drawn once: its file stem, the city document's caption, and the caption of a
    county's document (naming the county and its own value)."""

    stem: str
    caption: str
    figure: Any
    county_caption: Callable[[str], str]


def draw_figures(
    data: EvaluationData, out_dir: Path, counties: Sequence[str] = ()
) -> dict[str | None, list[tuple[str, Path]]]:
    """Status and progress maps (PNG), (caption, file) per document: the city's (key None) and, for each of
    ``counties``, the same maps with that county outlined and named in the captions."""
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = [*_met_share_map(data), *_status_maps(data), *_progress_maps(data)]
    figures: dict[str | None, list[tuple[str, Path]]] = {None: []}
    for city_map in drawn:
        figures[None].append((city_map.caption, _save(city_map.figure, out_dir / city_map.stem)))
        for code in counties:
            with county_focus(city_map.figure, code):
                png = _save(city_map.figure, out_dir / f"{city_map.stem}_{code}")
            figures.setdefault(code, []).append((city_map.county_caption(code), png))
    plt.close("all")
    return figures


def _met_share_map(data: EvaluationData) -> list[_CityMap]:
    """The share of each county's due targets met (the stored target_counts' met_pct)."""
    counts = data.counts if data.counts is not None else pd.DataFrame(columns=["met_pct"])
    share = counts.loc[[c for c in counts.index if c != CITY_CODE], "met_pct"].dropna()
    if not len(share):
        return []
    frame = pd.DataFrame({"county_code": share.index, "value": share.to_numpy(dtype=float), "year": data.year})
    ax = maps.choropleth(
        frame.assign(indicator="plan_targets_met_pct"),
        "plan_targets_met_pct",
        data.year,
        label="已到期目标达标率",
        unit="%",
        breaks=[20, 40, 60, 80, 100],
        synthetic=data.synthetic,
        prefecture=CITY_CODE,
    )
    year = nv.year_label(data.year)

    def county_caption(code: str) -> str:
        own = f"{share[code]:.1f}%" if code in share.index else "无数据"
        return f"{_place(code)}在全市：{year}已到期目标达标率，本县{own}（粗线为本县）"

    return [_CityMap("targets_met", f"{year}各县(区)已到期目标达标率", ax.figure, county_caption)]


def _status_maps(data: EvaluationData) -> list[_CityMap]:
    """The county assessments the plan sets shares for: which counties meet them."""
    shares = data.plan.target_shares()
    status = data.assessments[
        data.assessments["assessment"].isin(list(shares)) & (data.assessments["year"] == data.year)
    ]
    drawn = []
    for assessment, share in shares.items():
        one = status[status["assessment"] == assessment]
        if not len(one):
            continue
        fig = maps.status_map(
            one,
            data.year,
            assessments=[assessment],
            target_shares={assessment: share},
            verdicts=_share_verdicts(data),
            synthetic=data.synthetic,
            prefecture=CITY_CODE,
        )
        name = nv.indicator_name(assessment, "zh")
        year = nv.year_label(data.year)
        verdicts = dict(zip(one["county_code"].astype(str), one["is_met"], strict=True))

        def county_caption(code: str, name: str = name, year: str = year, verdicts: dict = verdicts) -> str:
            met = verdicts.get(code)
            word = "未评估" if nv.is_missing(met) else ("达标" if bool(met) else "未达标")
            return f"{_place(code)}在全市：{year}{name}，本县{word}（粗线为本县）"

        caption = f"{year}{name}达标情况（规划目标{share:.1%}的县）"
        drawn.append(_CityMap(f"status_{assessment}", caption, fig, county_caption))
    return drawn


def _progress_maps(data: EvaluationData) -> list[_CityMap]:
    """Progress since the baseline on the plan's county-scoped rate targets (those most often unmet first)."""
    if data.year == data.plan.baseline_year:
        return []
    counties = data.status[data.status["county_code"] != CITY_CODE]
    rates = counties[(counties["unit"] == "%") & counties["comparison"].isin(["at_least", "at_most"])]
    unmet = rates.assign(_short=rates["status"] == "not_met").groupby("indicator", sort=False)["_short"].sum()
    rates = rates.assign(_order=rates["indicator"].map(-unmet)).sort_values("_order", kind="stable")
    results = data.results[data.results["county_code"] != CITY_CODE]
    base, year = data.plan.baseline_year, data.year
    span = f"{nv.year_label(base)}至{nv.year_label(year)}"
    drawn = []
    for code in dict.fromkeys(rates["indicator"]):
        if len(drawn) >= _PROGRESS_LIMIT:
            break
        values = results[(results["indicator"] == code) & results["year"].isin([base, year])]
        if values["value"].notna().sum() < 2:
            continue
        name = nv.indicator_name(code, "zh")
        ax = maps.change_map(
            values, code, base, year, label=name, unit="个百分点", synthetic=data.synthetic, prefecture=CITY_CODE
        )
        wide = values.pivot_table(index="county_code", columns="year", values="value", aggfunc="first")
        change = (wide.get(year) - wide.get(base)) if {base, year} <= set(wide.columns) else pd.Series(dtype=float)

        def county_caption(county: str, name: str = name, change: pd.Series = change) -> str:
            value = change.get(county)
            own = "无数据" if nv.is_missing(value) else f"{float(value):+.1f}个百分点"
            return f"{_place(county)}在全市：{name}{span}变化，本县{own}（粗线为本县）"

        drawn.append(_CityMap(f"progress_{code}", f"{name}：{span}变化", ax.figure, county_caption))
    return drawn


def _save(figure: Any, stem: Path) -> Path:
    (png,) = map_files.save_figure(figure, stem, formats=("png",), dpi=150)
    return png


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
    doc = _new_document(style)
    _cover(doc, data, county, today or dt.date.today())
    _section(doc, landscape=False)
    _overview(doc, data, county)
    _assessment_paragraphs(doc, data, county)
    _section(doc, landscape=True)
    _tasks(doc, data, county)
    _section(doc, landscape=False)
    groups = _problems(doc, data, county)
    _advice(doc, data, groups, county)
    _section(doc, landscape=True)
    _annex_table(doc, data, county)
    _section(doc, landscape=False)
    _annex_figures(doc, figures)
    _header_footer(doc, data, county)
    doc.core_properties.title = _clean(_title(data))
    doc.core_properties.author = "lcedu"
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        Path(temporary).write_bytes(_docx_bytes(doc, style))
        Path(temporary).chmod(0o644)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def to_pdf(documents: Sequence[Path], out_dir: Path, timeout: int = 300) -> list[Path]:
    """Convert with headless LibreOffice; an empty list when ``soffice`` is not installed.

    A RuntimeError carries LibreOffice's output when a PDF is not produced.
    """
    soffice = shutil.which("soffice")
    if soffice is None or not documents:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lcedu-lo-") as profile:
        done = subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                "--nolockcheck",
                f"-env:UserInstallation=file://{profile}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                *map(str, documents),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    pdfs = [out_dir / (Path(d).stem + ".pdf") for d in documents]
    missing = [p for p in pdfs if not p.exists() or p.stat().st_size == 0]
    if done.returncode != 0 or missing or "Error" in done.stderr:
        raise RuntimeError(
            f"LibreOffice 转换 PDF 失败 / PDF conversion failed (exit {done.returncode}): "
            f"{', '.join(p.name for p in missing)}\n{done.stdout}\n{done.stderr}"
        )
    return pdfs


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
