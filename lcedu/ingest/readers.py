"""Read raw files into cell grids: xlsx via calamine (fast, read-only), CSV in GB18030/GBK or UTF-8."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from python_calamine import CalamineWorkbook

from lcedu.errors import Issue

CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def is_lock_file(path: Path) -> bool:
    """Excel leaves ``~$name.xlsx`` beside a workbook that is open; it holds no data."""
    return path.name.startswith("~$")


def read_bytes(path: Path, display: str, issues: list[Issue]) -> bytes | None:
    """A raw file's bytes, read once (they are hashed and parsed from memory)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        issues.append(Issue("error", display, f"无法读取文件 / cannot read the file ({exc.strerror})",
                            "关闭在 Excel 中打开的该文件，或检查文件权限后重试"))
        return None


def read_workbook(data: bytes, display: str, issues: list[Issue]) -> dict[str, list[list[object]]] | None:
    """All sheets of an xlsx/xls as grids of cell values, or None (with an issue) if unreadable."""
    if not data:
        issues.append(Issue("error", display, "文件为空(0字节) / the file is empty", "重新导出该文件"))
        return None
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in wb.sheet_names}
    except Exception as exc:  # calamine raises several error types for damaged files
        issues.append(Issue("error", display,
                            f"不是有效的 Excel 文件，可能已损坏 / not a readable workbook ({type(exc).__name__})",
                            "用 Excel 打开并另存为 .xlsx，或从统计系统重新导出"))
        return None


def read_csv_grid(raw: bytes, display: str, issues: list[Issue]) -> list[list[object]] | None:
    """A CSV export as a grid; GB18030 (a superset of GBK) when it is not UTF-8."""
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [list(row) for row in csv.reader(io.StringIO(text))]
    issues.append(Issue("error", display, "无法识别文件编码 / unknown text encoding",
                        "另存为 UTF-8 或 GB18030 编码的 CSV"))
    return None


def cell_text(v: object) -> str:
    """A cell as the text a person sees: '' for empty, 2153000001 (not 2153000001.0) for a whole float."""
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()
