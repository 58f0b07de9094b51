"""The check for formulas without a stored result: cheap on exports without formulas, never fooled by them."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from lcedu.ingest.readers import FORMULA_WITHOUT_VALUE, formulas_without_value, read_workbook


def _book(formula: str | None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "基础基522"
    ws["A1"], ws["B1"] = "教室（间）", 12
    ws["A2"].font = openpyxl.styles.Font(bold=True, family=2)  # <font>, <family> in styles: not formulas
    if formula:
        ws["B2"] = formula
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rezip(data: bytes, compression: int, rename: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for info in src.infolist():
            text = src.read(info)
            for old, new in (rename or {}).items():
                text = text.replace(old.encode(), new.encode())
            dst.writestr((rename or {}).get(info.filename, info.filename), text)
    return out.getvalue()


def test_a_workbook_without_formulas_has_none() -> None:
    assert formulas_without_value(_book(None)) == {}


def test_a_formula_without_its_value_is_found_however_the_archive_is_packed() -> None:
    data = _book("=B1*2")
    assert formulas_without_value(data) == {"基础基522": [(1, 1)]}
    assert formulas_without_value(_rezip(data, zipfile.ZIP_STORED)) == {"基础基522": [(1, 1)]}
    grid = read_workbook(data, "x.xlsx", [])["基础基522"]
    assert grid[1][1] == FORMULA_WITHOUT_VALUE  # NA with its reason, never a blank


def test_a_sheet_stored_outside_xl_worksheets_is_still_checked() -> None:
    moved = {"xl/worksheets/sheet1.xml": "xl/data/first.xml", "worksheets/sheet1.xml": "data/first.xml"}
    data = _rezip(_book("=B1*2"), zipfile.ZIP_DEFLATED, moved)
    assert formulas_without_value(data) == {"基础基522": [(1, 1)]}
