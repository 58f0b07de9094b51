"""Document styles and the 公文 fonts: the faces of each style and the docx font table's fallbacks."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_FONT = "Noto Sans CJK SC"


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


def docx_bytes(doc: Any, style: str) -> bytes:
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


def new_document(style: str = "plain") -> Any:
    """An empty A4 document whose styles carry the faces of ``style`` (DOCUMENT_STYLES)."""
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
