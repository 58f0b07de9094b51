"""The national statistics code lists (``layouts/codes.yml``) and the 学校标识码 rules.

Shared by every reader of real exports (per-school forms, 过录表 rosters): one place that knows
that 218 is a 教学点, 121 is 镇区 and that an id is 10 digits beginning with its category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from lcedu.ingest.layout import SAFE_LOADER, normalize
from lcedu.paths import package_file

SCHOOL_ID = re.compile(r"[1-9]\d{9}")
_FLOAT_ID = re.compile(r"(\d{10})\.0+")
_SCI_ID = re.compile(r"\d(?:\.\d+)?[eE]\+?0*9")


@cache
def code_table() -> dict:
    return yaml.load(package_file("ingest", "layouts", "codes.yml").read_text(encoding="utf-8"), Loader=SAFE_LOADER)


@cache
def _by_name(kind: str, field: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for code, entry in code_table()[kind].items():
        out[str(code)] = entry[field]
        for name in entry.get("names", []):
            out[normalize(name)] = entry[field]
    return out


def lookup(kind: str, code_or_name: object) -> object | None:
    """A code list value by its code (``"218"``) or printed name (``"小学教学点"``); None when unknown.

    ``kind``: ``school_type`` → canonical school type, ``attached_classes`` → stage,
    ``urban_rural`` → urban/town/rural, ``sponsor`` → is_public.
    """
    if code_or_name is None:
        return None
    text = normalize(code_or_name)
    if kind == "sponsor":
        table = {normalize(k): v for k, v in code_table()["sponsor"].items()}
        return table.get(text.removesuffix("办"), table.get(text))
    field = {"school_type": "school_type", "attached_classes": "stage", "urban_rural": "urban_rural"}[kind]
    return _by_name(kind, field).get(text)


@dataclass(frozen=True)
class SchoolId:
    value: str | None  # the 10-digit id, or None when it cannot be trusted
    repaired: bool = False  # stored as a float or in scientific notation, recovered
    problem: str | None = None  # why it was refused


def school_id(raw: object) -> SchoolId:
    """Validate a 学校标识码; repair the float and scientific forms Excel makes of it, never zero-fill.

    A 10-digit id stored as a number comes back as ``2153012345.0``; in scientific notation
    (``2.153012345E+09``) it keeps its digits only when the mantissa holds all ten of them.
    """
    if raw is None:
        return SchoolId(None, problem="空 / empty")
    if isinstance(raw, float):
        if raw.is_integer() and 1e9 <= raw < 1e10:
            return SchoolId(str(int(raw)), repaired=True)
        return SchoolId(None, problem=f"「{raw}」不是10位整数 / not a 10-digit integer")
    if isinstance(raw, int):
        text = str(raw)
        return SchoolId(text) if SCHOOL_ID.fullmatch(text) else SchoolId(None, problem=f"「{raw}」应为10位数字")
    text = normalize(raw)
    if SCHOOL_ID.fullmatch(text):
        return SchoolId(text)
    if m := _FLOAT_ID.fullmatch(text):
        return SchoolId(m.group(1), repaired=True)
    if _SCI_ID.fullmatch(text):
        mantissa = text.lower().split("e")[0].replace(".", "")
        if len(mantissa) == 10:
            return SchoolId(mantissa, repaired=True)
        return SchoolId(None, problem=f"「{raw}」科学计数法丢失了位数 / scientific notation lost digits")
    return SchoolId(None, problem=f"「{raw}」应为10位数字且不以0开头 / must be 10 digits, not starting with 0")


def id_category_agrees(school_id: str, school_type: str) -> bool:
    """Whether the id's 2-digit category fits the school's type (a mismatch is a warning, not an error)."""
    return school_id[:2] in code_table()["id_categories"].get(school_type, [school_id[:2]])


def county_from_area_code(code: object) -> str | None:
    """The county (first 6 digits) of a 12-digit 统计用区划代码; None when it is not one."""
    text = normalize(code) if code is not None else ""
    text = text[:-2] if text.endswith(".0") else text
    return text[:6] if re.fullmatch(r"\d{12}", text) else None
