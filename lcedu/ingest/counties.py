"""County registry: 6-digit admin codes and every spelling a county appears under."""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from lcedu import paths

_SUFFIXES = ("拉祜族佤族布朗族傣族自治县", "傣族佤族自治县", "佤族自治县", "自治县", "县", "区", "市")


@cache
def registry() -> pd.DataFrame:
    """The counties lcedu knows, keyed by ``county_code`` (a 6-digit string)."""
    with paths.package_file("data", "counties.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str)


def _stem(name: str) -> str:
    name = re.sub(r"\s+", "", name)
    for prefix in ("云南省", "临沧市"):
        name = name.removeprefix(prefix)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@cache
def _lookup(extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    table: dict[str, str] = {}
    reg = registry()
    for row in reg.itertuples():
        names = [row.county_code, row.name_zh, row.short_name_zh, *str(row.aliases).split("|")]
        for name in names:
            table[_stem(name)] = row.county_code
    for name, code in extra:
        table[_stem(name)] = code
    return table


def resolve(value: object, extra: dict[str, str] | None = None) -> str | None:
    """Map 双江县, 双江自治县, the full name or 530925 (also as a number) to ``"530925"``.

    ``extra`` adds name → code pairs (counties of another prefecture, e.g. a generated
    province); returns None when the name is unknown.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().removesuffix(".0")
    if re.fullmatch(r"\d{6}", text):
        known = set(registry().county_code) | set((extra or {}).values())
        return text if text in known else None
    return _lookup(tuple(sorted((extra or {}).items()))).get(_stem(text))


def name(code: str, lang: str = "zh") -> str:
    """Short display name of a county (临翔区, 双江县; Linxiang in English)."""
    row = registry().set_index("county_code").loc[code]
    return row.short_name_zh if lang == "zh" else row.name_pinyin
