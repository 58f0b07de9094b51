"""County boundaries of the maps: 临沧's shipped file, another prefecture or a province cut from its province's
shapes, each projected to a UTM zone so the km scale bar and north arrow are honest.

临沧's maps are drawn in WGS 84 / UTM zone 47N (EPSG:32647): its central meridian, 99°E, runs through 临沧
(98.7°E–100.6°E), so scale error stays below 0.04 % and grid north is within 1° of true north. Another
prefecture or a province is drawn in the UTM zone of its own centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import geopandas as gpd

from lcedu import paths
from lcedu.errors import RequestError
from lcedu.home import CITY_CODE
from lcedu.ingest import shapes
from lcedu.ingest.counties import is_aggregate, prefecture_of, registry

PROJECTED_CRS = "EPSG:32647"


def default_shapes_path() -> Path:
    """The committed county boundaries, found relative to the package (works in a checkout)."""
    return paths.shapes_file()


@lru_cache(maxsize=4)
def _read_counties(path: str) -> gpd.GeoDataFrame:
    counties = gpd.read_file(path)
    counties["county_code"] = counties["county_code"].astype(str)
    return counties.sort_values("county_code", ignore_index=True)


def load_counties(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read county boundaries (WGS84) as a fresh GeoDataFrame the caller may modify."""
    resolved = Path(path) if path is not None else default_shapes_path()
    if not resolved.is_file():
        raise FileNotFoundError(f"county boundaries not found: {resolved} (see shapes/README.md)")
    return _read_counties(str(resolved)).copy()


@lru_cache(maxsize=4)
def projected_counties(path: str | None = None) -> gpd.GeoDataFrame:
    return load_counties(path).to_crs(PROJECTED_CRS)


def map_prefecture(codes: Sequence[str], prefecture: str | None = None) -> str:
    """The prefecture a per-prefecture map draws: ``prefecture`` (5309, 530900) if given, else the one
    prefecture of the county ``codes`` (临沧's 530900 when there are none).

    Data of several prefectures (a province build) without ``prefecture`` is refused: these maps
    label every county and compare them within one prefecture; a province is drawn by
    :func:`province_choropleth`, or one map per prefecture.
    """
    if prefecture is not None:
        text = str(prefecture).strip()
        return prefecture_of(text + "00" if len(text) == 4 else text)
    found = sorted({prefecture_of(c) for c in map(str, codes) if not is_aggregate(c)})
    if len(found) > 1:
        raise RequestError(
            f"数据含 {len(found)} 个州(市)的县，按州(市)的地图须指定一个 / the data spans "
            f"{len(found)} prefectures ({', '.join(found[:5])}{' …' if len(found) > 5 else ''})",
            "传入 prefecture=（如 530100），或用 province_choropleth / lcedu maps --province 画全省 "
            "/ pass prefecture=, or draw the province with province_choropleth",
        )
    return found[0] if found else CITY_CODE


def prefecture_counties(prefecture: str = CITY_CODE) -> gpd.GeoDataFrame:
    """Projected county shapes of one prefecture: 临沧's shipped file for 530900 (UTM 47N), any other
    prefecture cut from its province's shapes (shipped for 云南; ``lcedu shapes`` builds others)."""
    if prefecture == CITY_CODE:
        return projected_counties()
    return scope_shapes("prefecture", prefecture)[0]


@lru_cache(maxsize=8)
def scope_shapes(level: str, code: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Counties and prefecture outlines of a province or prefecture, projected to the UTM zone of its centre.

    Shipped (云南) or cached files from ``lcedu shapes``; a prefecture of a province whose file
    exists is cut from it.
    """
    pair = shapes.find(shapes.Scope(level, code))
    if pair is None and level == "prefecture":
        pair = shapes.find(shapes.Scope("province", shapes.province_of(code)))
    if pair is None:
        flag, short = ("--province", code[:2]) if level == "province" else ("--prefecture", code[:4])
        raise RequestError(
            f"没有 {code} 的县界 / no county boundaries for {code} (shipped: 云南 530000)",
            f"pip install 'lcedu[maps]'，再运行 / then run: lcedu shapes {flag} {short}",
        )
    column = f"{level}_code"
    county_frame = _read_counties(str(pair[0]))
    county_frame = county_frame[county_frame[column] == code].reset_index(drop=True)
    names = registry().set_index("county_code")[
        ["short_name_zh", "name_pinyin", "prefecture_name_zh", "province_name_zh"]
    ]
    county_frame = county_frame.drop(columns=[c for c in names.columns if c in county_frame]).join(
        names, on="county_code"
    )
    prefectures = gpd.read_file(pair[1])
    prefectures = prefectures[prefectures[column] == code].reset_index(drop=True)
    crs = shapes.utm_crs_for(tuple(county_frame.total_bounds))
    return county_frame.to_crs(crs), prefectures.to_crs(crs)


def load_scope(province: str | None = None, prefecture: str | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Counties and prefecture outlines (projected, fresh copies) of a province (53, 云南省) or prefecture (5309)."""
    where = shapes.scope(province, prefecture)
    county_frame, prefectures = scope_shapes(where.level, where.code)
    return county_frame.copy(), prefectures.copy()
