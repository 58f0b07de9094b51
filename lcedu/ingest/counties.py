"""County registry: 6-digit admin codes and every spelling a county appears under."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu import paths
from lcedu.errors import Issue
from lcedu.ingest.readers import read_csv_grid

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


EXTRA_FILE = "counties.csv"
EXTRA_COLUMNS = ("county_code", "name_zh")


def read_extra(raw_dir: Path, issues: list[Issue] | None = None) -> dict[str, str]:
    """Counties beyond the built-in registry from ``<raw>/counties.csv``: every name and code → code.

    Read like the school CSVs (UTF-8 or GB18030/GBK). A file that cannot be used is an error in
    ``issues`` naming the file, the row or the missing column, and adds no county.
    """
    path = Path(raw_dir) / EXTRA_FILE
    if not path.exists():
        return {}
    issues = issues if issues is not None else []
    display = f"{Path(raw_dir).name}/{EXTRA_FILE}"
    grid = read_csv_grid(path.read_bytes(), display, issues)
    if grid is None:
        return {}
    if not grid or any(c not in [str(h).strip() for h in grid[0]] for c in EXTRA_COLUMNS):
        issues.append(Issue("error", display, f"表头应含 {', '.join(EXTRA_COLUMNS)}（可加 short_name_zh）/ "
                            f"header must have {', '.join(EXTRA_COLUMNS)}; 现有 found: "
                            f"{', '.join(map(str, grid[0])) if grid else '空 empty'}",
                            "第一行写列名：county_code,name_zh,short_name_zh", row=1))
        return {}
    header = [str(h).strip() for h in grid[0]]
    pairs: dict[str, str] = {}
    for number, cells in enumerate(grid[1:], start=2):
        row = dict(zip(header, (str(c).strip() for c in cells), strict=False))
        code = row.get("county_code", "")
        if not re.fullmatch(r"\d{6}", code):
            issues.append(Issue("error", display, f"县代码「{code}」应为6位数字 / county_code must be 6 digits",
                                "填写6位行政区划代码，如 530925", row=number, column="county_code"))
            continue
        for value in (code, row.get("name_zh"), row.get("short_name_zh")):
            if value:
                pairs[value] = code
    return pairs


# ---------------------------------------------------------------- prefectures and provinces


def prefecture_of(code: str) -> str:
    """The prefecture (地级) code of a county code: its first 4 digits and 00 (530925 → 530900)."""
    return str(code)[:4] + "00"


def province_of(code: str) -> str:
    """The province code of a county code: its first 2 digits and 0000 (530925 → 530000)."""
    return str(code)[:2] + "0000"


def is_aggregate(code: object) -> bool:
    """Whether a 6-digit code names a prefecture or province total (…00) rather than a county."""
    return str(code).endswith("00")


def aggregate_layers(county_codes: Iterable[str]) -> list[np.ndarray]:
    """The aggregate each county belongs to, one array per level: prefectures, then provinces.

    The province level is there only when the counties span more than one prefecture: for a
    single prefecture (临沧's 8 counties) it would repeat the prefecture's rows under a name
    that claims the whole province.
    """
    codes = np.asarray([str(c) for c in county_codes], dtype=object)
    prefectures = np.asarray([prefecture_of(c) for c in codes], dtype=object)
    layers = [prefectures]
    if len(set(prefectures)) > 1:
        layers.append(np.asarray([province_of(c) for c in codes], dtype=object))
    return layers


def area_name(code: str, lang: str = "zh") -> str:
    """Name of a prefecture or province code from the registry (``prefecture_name_zh`` /
    ``province_name_zh`` and their pinyin when it has them); 临沧市 for 530900; else the code."""
    code = str(code)
    if code == paths.CITY_CODE:
        return "临沧市" if lang == "zh" else "Lincang"
    reg = registry()
    level = "province" if code.endswith("0000") else "prefecture"
    column = f"{level}_name_{'zh' if lang == 'zh' else 'pinyin'}"
    key = f"{level}_code"
    if column in reg.columns:
        codes = reg[key] if key in reg.columns else reg["county_code"].map(
            province_of if level == "province" else prefecture_of)
        found = reg.loc[codes == code, column].dropna()
        if len(found):
            return str(found.iloc[0])
    return code
