"""Read raw files into cell grids: workbooks via calamine (fast, read-only), CSV in GB18030/GBK or UTF-8."""

from __future__ import annotations

import csv
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import python_calamine_plus
from python_calamine import CalamineWorkbook, PasswordError

from lcedu.errors import Issue

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# Workbook formats calamine reads: Excel 2007+ (.xlsx/.xlsm/.xlsb), Excel 97–2003 (.xls), OpenDocument
# (.ods, WPS/LibreOffice).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
# Spreadsheets no maintained Python reader opens (WPS's own .et, Apple Numbers, Gnumeric): named with the fix.
UNSUPPORTED_SPREADSHEETS = (".et", ".ett", ".numbers", ".gnumeric")
TABLE_SUFFIXES = (*WORKBOOK_SUFFIXES, ".csv")
# Workbooks read row by row (python-calamine-plus streams the sheet XML): a 200,000-row roster is never a whole
# grid in memory. .xls and .ods have no streaming reader and are read whole.
STREAMED_SUFFIXES = (".xlsx", ".xlsm")
#: What a damaged workbook raises while it is streamed (after it opened).
STREAM_ERRORS = (python_calamine_plus.CalamineError,)
# What a formula cell without a stored result reads as: an NA token with its own reason, never a blank
# (a workbook written by a program and never opened in Excel/WPS stores formulas but not their values).
FORMULA_WITHOUT_VALUE = "#公式无缓存值#"
FORMULA_WITHOUT_VALUE_REASON = "公式没有保存计算结果 formula_without_value"
FORMULA_FIX = (
    "用 Excel 或 WPS 打开该文件并保存（保存时会写入公式的计算结果），或把公式改为数值 / "
    "open and save in Excel/WPS so values are stored"
)
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL = re.compile(r"([A-Z]+)(\d+)")
# A formula element, <f>, <f t="shared" …/> or prefixed <x:f> (not <font>, <fill>, <fileVersion>).
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
# Parts that never hold cells: not scanned for formulas.
_NOT_CELLS = re.compile(r"\[Content_Types\]\.xml|.*\.rels|docProps/.*|xl/styles\.xml|xl/theme/.*|xl/sharedStrings\.xml")


def is_lock_file(path: Path) -> bool:
    """Excel leaves ``~$name.xlsx`` beside a workbook that is open; it holds no data."""
    return path.name.startswith("~$")


def read_bytes(path: Path, display: str, issues: list[Issue]) -> bytes | None:
    """A raw file's bytes, read once (they are hashed and parsed from memory)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        issues.append(
            Issue(
                "error",
                display,
                f"无法读取文件 / cannot read the file ({exc.strerror})",
                "关闭在 Excel 中打开的该文件，或检查文件权限后重试",
            )
        )
        return None


def read_workbook(data: bytes, display: str, issues: list[Issue]) -> dict[str, list[list[object]]] | None:
    """All sheets of an xlsx/xls as grids of cell values, or None (with an issue) if unreadable."""
    if not data:
        issues.append(empty_file(display))
        return None
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}
    except Exception as exc:  # calamine raises several error types for damaged files
        issues.append(unreadable(data, display, exc))
        return None
    for sheet, cells in formulas_without_value(data).items():
        grid = grids.get(sheet)
        if grid is None:
            continue
        for row, col in cells:
            while len(grid) <= row:
                grid.append([])
            line = grid[row]
            if len(line) <= col:
                line.extend([""] * (col + 1 - len(line)))
            if line[col] == "":
                line[col] = FORMULA_WITHOUT_VALUE
    return grids


def empty_file(display: str) -> Issue:
    return Issue("error", display, "文件为空(0字节) / the file is empty", "重新导出该文件")


def unreadable(data: bytes, display: str, exc: BaseException) -> Issue:
    """Why a workbook cannot be read: encrypted (with how to remove the password) or damaged."""
    if is_encrypted(data, exc):
        return Issue(
            "error",
            display,
            "工作簿设置了打开密码（已加密），无法读取 / the workbook is password-protected (encrypted)",
            "在 Excel 或 WPS 中用密码打开，取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）"
            "后保存 / open it with its password in Excel or WPS, remove the password and save",
        )
    return Issue(
        "error",
        display,
        f"不是有效的 Excel 文件，可能已损坏 / not a readable workbook ({type(exc).__name__})",
        "用 Excel 打开并另存为 .xlsx，或从统计系统重新导出",
    )


@dataclass
class StreamedBook:
    """An xlsx read sheet by sheet and row by row: the cells of :func:`read_workbook`'s grids (a formula without a
    stored value as :data:`FORMULA_WITHOUT_VALUE`), a row at a time.

    Two differences the caller evens out where it keeps cells: a whole number comes as an int (the grid has a
    float), and a row may run wider than the grid (a formula cell without a value, a formatted blank at the
    right: blank cells, as a ragged grid's padding is).
    """

    book: python_calamine_plus.CalamineWorkbook
    formulas: dict[str, list[tuple[int, int]]]

    @property
    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names)

    def rows(self, name: str) -> Iterator[list[object]]:
        """One sheet's rows from the top (0-based row 0); raises one of :data:`STREAM_ERRORS` if the sheet XML is
        damaged."""
        fill: dict[int, list[int]] = {}
        for row, col in self.formulas.get(name, ()):
            fill.setdefault(row, []).append(col)
        last = -1
        for last, line in enumerate(self.book.stream_sheet_by_name(name)):
            if last in fill:
                line = _with_formulas(list(line), fill[last])
            yield line
        for row in range(last + 1, max(fill, default=-1) + 1):
            yield _with_formulas([], fill.get(row, []))


def _with_formulas(line: list[object], cols: list[int]) -> list[object]:
    for col in cols:
        if len(line) <= col:
            line.extend([""] * (col + 1 - len(line)))
        if line[col] == "":
            line[col] = FORMULA_WITHOUT_VALUE
    return line


def stream_workbook(data: bytes, display: str, issues: list[Issue]) -> StreamedBook | None:
    """An xlsx/xlsm (a zip) opened for :class:`StreamedBook`, or None (with the same issue as
    :func:`read_workbook`) if it cannot be opened."""
    if not data:
        issues.append(empty_file(display))
        return None
    try:
        book = python_calamine_plus.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # as in read_workbook: several error types for damaged files
        issues.append(unreadable(data, display, exc))
        return None
    return StreamedBook(book, formulas_without_value(data))


#: An OLE2 compound file: .xls, and the container Excel/WPS wrap a password-protected .xlsx in.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def is_encrypted(data: bytes, exc: BaseException | None = None) -> bool:
    """A password-protected workbook, not a damaged one: calamine's PasswordError (an .xls), or an OLE2
    container holding an ``EncryptedPackage`` stream (an .xlsx saved with a password, ECMA-376 encryption)."""
    if isinstance(exc, PasswordError):
        return True
    return data.startswith(OLE_MAGIC) and _ENCRYPTED_STREAM in data


def formulas_without_value(data: bytes) -> dict[str, list[tuple[int, int]]]:
    """(row, column) positions, 0-based, of formula cells with no stored result, per sheet of an xlsx.

    calamine (like openpyxl with data_only=True) reads such a cell as empty; this tells it apart
    from a cell left blank. Only xlsx/xlsm keep formulas apart from values; .xls and .ods always
    store a formula's result. Cheap when there are no formulas: a sheet without ``<f`` is not parsed.
    """
    if not data.startswith(b"PK"):
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
                return {}
            if not _may_hold_formulas(z, data):
                return {}
            rels = {r.get("Id"): r.get("Target") for r in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
            found: dict[str, list[tuple[int, int]]] = {}
            for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).iterfind("m:sheets/m:sheet", _NS):
                target = rels.get(sheet.get(_REL)) or ""
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
                if part not in names:
                    continue
                xml = z.read(part)
                if b"<f" not in xml:
                    continue
                cells = []
                for c in ElementTree.fromstring(xml).iterfind("m:sheetData/m:row/m:c", _NS):
                    v = c.find("m:v", _NS)
                    if c.find("m:f", _NS) is not None and (v is None or not v.text) and c.get("t") != "str":
                        m = _CELL.fullmatch(c.get("r") or "")
                        if m:
                            cells.append((int(m.group(2)) - 1, column_index(m.group(1))))
                if cells:
                    found[sheet.get("name")] = cells
            return found
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError):
        return {}  # calamine has read the workbook; a part it does not need is not a reason to fail


def _may_hold_formulas(z: zipfile.ZipFile, data: bytes) -> bool:
    """Whether any part that may hold cells has a formula tag: the one pass over an export without formulas.

    Each part is inflated straight from the archive's bytes: on a workbook of ~20 small sheets zipfile's
    per-member reader and the parse of workbook.xml cost more than the inflating. Anything unusual
    (encrypted, another compression, a damaged header) answers True, so the full check decides.
    """
    for info in z.infolist():
        if not info.filename.endswith(".xml") or _NOT_CELLS.fullmatch(info.filename):
            continue
        start = info.header_offset
        if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return True
        if data[start : start + 4] != b"PK\x03\x04":
            return True
        name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
        first = start + 30 + name_len + extra_len
        body = memoryview(data)[first : first + info.compress_size]
        try:
            if _has_formula_tag(body, info.compress_type == zipfile.ZIP_DEFLATED):
                return True
        except zlib.error:
            return True
    return False


#: How much of a part is inflated at a time: a 200,000-row roster's sheet is ~350 MB of XML, never held whole.
PIECE = 1 << 20


def _has_formula_tag(body: memoryview, deflated: bool) -> bool:
    """Whether a part holds a formula tag, inflated a piece at a time; each piece is searched with the end of the
    one before, so that a tag split between two pieces is found."""
    inflate = zlib.decompressobj(-15) if deflated else None
    tail = b""
    for at in range(0, len(body), PIECE):
        piece = body[at : at + PIECE]
        xml = tail + (inflate.decompress(piece) if inflate else bytes(piece))
        if b"<f" in xml and _FORMULA_TAG.search(xml):
            return True
        tail = xml[-64:]
    return False


def column_index(letters: str) -> int:
    """'A' → 0, 'AB' → 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_csv_grid(raw: bytes, display: str, issues: list[Issue]) -> list[list[object]] | None:
    """A CSV export as a grid; GB18030 (a superset of GBK) when it is not UTF-8."""
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [list(row) for row in csv.reader(io.StringIO(text))]
    issues.append(
        Issue("error", display, "无法识别文件编码 / unknown text encoding", "另存为 UTF-8 或 GB18030 编码的 CSV")
    )
    return None


def empty_table(display: str, sheet: str) -> Issue:
    """A sheet with its header but no data rows: named, never a silent loss of a county's schools."""
    return Issue(
        "error",
        display,
        "工作表只有表头，没有数据行 / the sheet has headers but no data rows",
        "从统计系统重新导出含数据的表；确实只交部分数据时加 --partial",
        sheet=sheet,
        relaxed_by_partial=True,
    )


def cell_text(v: object) -> str:
    """A cell as the text a person sees: '' for empty, 2153000001 (not 2153000001.0) for a whole float."""
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()
