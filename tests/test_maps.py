"""Maps of equalization progress: checked through the returned Axes/Figure, not pixels."""

from __future__ import annotations

import functools
import io
import itertools
import re
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.font_manager import findfont  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from PIL import Image  # noqa: E402

from lcedu.errors import RequestError  # noqa: E402
from lcedu.measure.scorecard import gap_class  # noqa: E402
from lcedu.present import fonts, maps  # noqa: E402
from lcedu.present.maps import boundaries  # noqa: E402
from lcedu.present.narrative import year_label  # noqa: E402
from lcedu.publish import map_files  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CODES = ["530902", "530921", "530922", "530923", "530924", "530925", "530926", "530927"]
SHORT_NAMES = [
    "临翔区",
    "凤庆县",
    "云县",
    "永德县",
    "镇康县",
    "双江自治县",
    "耿马自治县",
    "沧源自治县",
]  # as the plan writes them
PINYIN = ["Linxiang", "Fengqing", "Yunxian", "Yongde", "Zhenkang", "Shuangjiang", "Gengma",
          "Cangyuan"]  # fmt: skip
YEARS = (2022, 2023, 2024, 2025)
INDICATOR = "preschool_gross_enrolment"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def progress_table(synthetic: bool = True) -> pd.DataFrame:
    """County i starts at 62 + 4i and gains 2 points a year (62.0 ... 96.0)."""
    rows = [(code, year, INDICATOR, 62.0 + 4 * i + 2 * (year - 2022)) for i, code in enumerate(CODES) for year in YEARS]
    rows.append(("530900", 2025, INDICATOR, 500.0))  # prefecture total: never mapped
    table = pd.DataFrame(rows, columns=["county_code", "year", "indicator", "value"])
    table.attrs["synthetic"] = synthetic
    return table


def with_classes(table: pd.DataFrame, target: float) -> pd.DataFrame:
    """The table with the scorecard's stored gap_class against ``target`` (what target maps read)."""
    classes = gap_class(table["value"].to_numpy(dtype=float), target, np.nan, "at_least")
    out = table.assign(gap_class=classes)
    out.attrs = dict(table.attrs)
    return out


def status_table() -> pd.DataFrame:
    preschool_met = {"530902", "530921", "530925"}
    balanced_met = {"530902", "530927"}
    rows = [
        (code, 2025, assessment, code in met)
        for assessment, met in (("preschool_universal", preschool_met),
                                ("compulsory_balanced", balanced_met))
        for code in CODES
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["county_code", "year", "assessment", "is_met"])


def county_patch(ax, code: str):
    return next(patch for patch in ax.patches if patch.get_gid() == f"county-{code}")


def face_hex(artist) -> str:
    return to_hex(artist.get_facecolor())


def legend_colours(legend) -> dict[str, str]:
    return {
        text.get_text(): face_hex(handle)
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }


def county_labels(ax) -> list[Text]:
    return [text for text in ax.texts if (text.get_gid() or "").startswith("county-label-")]


def assert_no_overlap(texts: list[Text]) -> None:
    boxes = [text.get_window_extent() for text in texts]
    for (i, first), (j, second) in itertools.combinations(enumerate(boxes), 2):
        assert not first.overlaps(second), (texts[i].get_text(), texts[j].get_text())


def test_importing_lcedu_leaves_maps_unloaded():
    code = "import sys, lcedu; print(sorted({'geopandas', 'matplotlib'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_committed_counties_are_small_valid_and_named():
    path = maps.default_shapes_path()
    counties = maps.load_counties()
    assert path.stat().st_size < 200 * 1024
    assert list(counties["county_code"]) == CODES
    assert list(counties["short_name_zh"]) == SHORT_NAMES
    assert list(counties["name_pinyin"]) == PINYIN
    assert counties.loc[5, "name_zh"] == "双江拉祜族佤族布朗族傣族自治县"
    assert counties.crs.to_epsg() == 4326
    assert shapely.is_valid(counties.geometry.values).all()
    assert shapely.coverage_is_valid(counties.geometry.values)
    min_lon, min_lat, max_lon, max_lat = counties.total_bounds
    assert 98.5 < min_lon < max_lon < 100.7 and 22.9 < min_lat < max_lat < 25.2


def test_counties_agree_with_package_reference_table():
    reference_path = REPO / "lcedu" / "data" / "counties.csv"
    if not reference_path.is_file():
        pytest.skip("lcedu/data/counties.csv not present")
    reference = pd.read_csv(reference_path, dtype={"county_code": str})
    columns = ["county_code", "name_zh", "short_name_zh", "name_pinyin"]
    expected = reference[columns].sort_values("county_code", ignore_index=True)
    actual = pd.DataFrame(maps.load_counties()[columns])
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def test_load_counties_accepts_explicit_path_and_returns_a_copy():
    counties = maps.load_counties(maps.default_shapes_path())
    counties["county_code"] = "changed"
    assert list(maps.load_counties()["county_code"]) == CODES


def test_fixed_breaks_span_all_years_and_ignore_prefecture_totals():
    breaks = maps.fixed_breaks(progress_table(), INDICATOR, "equal_interval", k=4)
    np.testing.assert_allclose(breaks, [70.5, 79.0, 87.5, 96.0])


def test_choropleth_colours_each_county_by_its_class():
    ax = maps.choropleth(progress_table(), INDICATOR, 2025, breaks=[70, 80, 90, 100])
    colours = legend_colours(ax.get_legend())
    assert list(colours) == ["≤ 70", "70 – 80", "80 – 90", "> 90"]
    # 2025 values: 68, 72, 76, 80, 84, 88, 92, 96
    expected = ["≤ 70", "70 – 80", "70 – 80", "70 – 80", "80 – 90", "80 – 90", "> 90", "> 90"]
    for code, label in zip(CODES, expected, strict=True):
        assert face_hex(county_patch(ax, code)) == colours[label], code


def test_breaks_are_fixed_across_years():
    table = progress_table()
    first = maps.choropleth(table, INDICATOR, 2022)
    last = maps.choropleth(table, INDICATOR, 2025)
    assert legend_colours(first.get_legend()) == legend_colours(last.get_legend())
    # 530921 in 2025 and 530923 in 2022 both have 72.0, so they must share a colour.
    assert face_hex(county_patch(last, "530921")) == face_hex(county_patch(first, "530923"))


def test_small_multiples_share_breaks_and_one_legend():
    figure = maps.small_multiples(progress_table(), INDICATOR, YEARS)
    panels = [ax for ax in figure.axes if (ax.get_gid() or "").startswith("panel-")]
    assert [ax.get_gid() for ax in panels] == [f"panel-{year}" for year in YEARS]
    assert [ax.get_title() for ax in panels] == [f"{y}/{(y + 1) % 100}学年初" for y in YEARS]
    assert figure._suptitle.get_text() == f"{INDICATOR}：2022/23—2025/26学年初"
    assert len(figure.legends) == 1 and all(ax.get_legend() is None for ax in panels)
    by_year = dict(zip(YEARS, panels, strict=True))
    assert face_hex(county_patch(by_year[2025], "530921")) == face_hex(county_patch(by_year[2022], "530923"))
    figure.canvas.draw()
    for panel in panels:
        assert_no_overlap(county_labels(panel))


def test_target_mode_categories_and_legend():
    ax = maps.choropleth(with_classes(progress_table(), 90), INDICATOR, 2025, target=90, reach_margin=0.05)
    colours = legend_colours(ax.get_legend())
    assert list(colours) == ["达标", "接近目标", "差距较大"]
    assert "90" in ax.get_legend().get_title().get_text()
    # 2025: 96 met, 88 within 4.5 of 90, 84 far.
    assert face_hex(county_patch(ax, "530927")) == colours["达标"]
    assert face_hex(county_patch(ax, "530925")) == colours["接近目标"]
    assert face_hex(county_patch(ax, "530924")) == colours["差距较大"]
    assert len(set(colours.values())) == 3


def test_gap_class_respects_direction():
    assert list(gap_class([0.8, 1.04, 1.2], 1.0, np.nan, "at_most")) == ["met", "near", "far"]
    assert list(gap_class([90.0, 90.0], 90.0, np.nan, "at_least", [False, True])) == ["met", "near"]


def test_a_target_map_without_stored_classes_is_refused():
    with pytest.raises(ValueError, match="gap_class"):
        maps.choropleth(progress_table(), INDICATOR, 2025, target=90)


def test_no_data_county_gets_hatch_and_legend_entry():
    table = progress_table()
    gap = table.loc[~((table["county_code"] == "530925") & (table["year"] == 2025))]
    ax = maps.choropleth(gap, INDICATOR, 2025)
    assert list(legend_colours(ax.get_legend()))[-1] == "无数据"
    assert county_patch(ax, "530925").get_hatch() == "////"
    assert county_patch(ax, "530902").get_hatch() is None
    english = maps.choropleth(gap, INDICATOR, 2025, lang="en")
    assert list(legend_colours(english.get_legend()))[-1] == "No data"
    complete = maps.choropleth(table, INDICATOR, 2025)
    assert "无数据" not in legend_colours(complete.get_legend())


def test_labels_show_names_and_values_without_overlap():
    ax = maps.choropleth(progress_table(), INDICATOR, 2025, breaks=[70, 80, 90, 100])
    texts = county_labels(ax)
    assert {text.get_text() for text in texts} == {f"{name}\n{62 + 4 * i + 6}" for i, name in enumerate(SHORT_NAMES)}
    ax.figure.canvas.draw()
    assert_no_overlap(texts)
    english = maps.choropleth(progress_table(), INDICATOR, 2025, lang="en", label="Enrolment")
    assert {text.get_text().split("\n")[0] for text in county_labels(english)} == set(PINYIN)
    assert english.get_title(loc="left") == "Enrolment (start of the 2025/26 school year)"


def test_crowded_labels_are_moved_apart():
    ax = maps.choropleth(progress_table(), INDICATOR, 2025)
    for text in county_labels(ax):
        text.set_fontsize(16)
    labels = [(text, maps.load_counties().to_crs(maps.PROJECTED_CRS).geometry[i])
              for i, text in enumerate(county_labels(ax))]  # fmt: skip
    maps.place_labels(ax, labels)
    ax.figure.canvas.draw()
    assert_no_overlap(county_labels(ax))


def test_map_furniture_and_source_line():
    ax = maps.choropleth(progress_table(), INDICATOR, 2025, source="临沧市教育体育局")
    gids = {artist.get_gid() for artist in ax.get_children()}
    assert {"scale-bar", "north-arrow", "source-note", "map-legend"} <= gids
    # Data year 2025 is the state at the start of the 2025/26 school year, and the title says so.
    assert ax.get_title(loc="left") == f"{INDICATOR}（2025/26学年初）" == f"{INDICATOR}（{year_label(2025)}）"
    note = next(text.get_text() for text in ax.texts if text.get_gid() == "source-note")
    assert note.startswith("临沧市教育体育局") and "统计时点：2025/26学年初" in note
    assert "合成样例数据，非官方统计" in note
    official = maps.choropleth(progress_table(synthetic=False), INDICATOR, 2025)
    official_note = next(t.get_text() for t in official.texts if t.get_gid() == "source-note")
    assert "合成样例数据" not in official_note
    scale_bar = next(a for a in ax.get_children() if a.get_gid() == "scale-bar")
    assert "km" in scale_bar.txt_label.get_text()


@functools.cache
def font_characters(font_path: str, face_index: int) -> frozenset[int]:
    with TTFont(font_path, fontNumber=face_index, lazy=True) as font:
        return frozenset(font.getBestCmap())


def test_chinese_text_uses_a_font_with_every_glyph(tmp_path):
    figure = maps.status_map(status_table(), 2025, synthetic=True)
    chinese = [t for t in figure.findobj(Text) if CJK.search(t.get_text())]
    assert len(chinese) >= 10
    for text in chinese:
        font_path = findfont(text.get_fontproperties(), fallback_to_default=False)
        covered = font_characters(str(font_path), getattr(font_path, "face_index", 0))
        missing = {c for c in text.get_text() if not c.isspace() and ord(c) not in covered}
        assert not missing, (text.get_text(), font_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fmt in ("png", "svg", "pdf"):
            figure.savefig(tmp_path / f"status.{fmt}", dpi=72)


def test_use_cjk_font_is_idempotent_and_sets_rcparams():
    family = fonts.use_cjk_font()
    registered = len(matplotlib.font_manager.fontManager.ttflist)
    assert fonts.use_cjk_font() == family == "Noto Sans CJK SC"
    assert len(matplotlib.font_manager.fontManager.ttflist) == registered
    assert matplotlib.rcParams["font.sans-serif"][0] == family
    assert matplotlib.rcParams["font.sans-serif"].count(family) == 1
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_missing_font_package_gives_install_hint(monkeypatch):
    monkeypatch.setattr(fonts.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(fonts.CJKFontUnavailableError, match="pip install noto-cjk-sans-otc"):
        fonts.cjk_font_path()


def test_status_map_share_is_computed_from_data():
    verdicts = {"preschool_universal": "met", "compulsory_balanced": "not_met"}  # the stored statuses
    figure = maps.status_map(status_table(), 2025, target_shares={"preschool_universal": 0.375,
                             "compulsory_balanced": 0.375}, verdicts=verdicts)  # fmt: skip
    titles = {ax.get_gid(): ax.get_title(loc="left") for ax in figure.axes if ax.get_gid()}
    assert "3/8" in titles["panel-preschool_universal"]
    assert "37.5%" in titles["panel-preschool_universal"]
    assert "已达到" in titles["panel-preschool_universal"]
    assert "2/8" in titles["panel-compulsory_balanced"]
    assert "25.0%" in titles["panel-compulsory_balanced"]
    assert "尚未达到" in titles["panel-compulsory_balanced"]
    preschool = next(ax for ax in figure.axes if ax.get_gid() == "panel-preschool_universal")
    colours = legend_colours(figure.legends[0])
    assert face_hex(county_patch(preschool, "530925")) == colours["达标"]
    assert face_hex(county_patch(preschool, "530927")) == colours["未达标"]


def test_status_map_never_counts_missing_as_not_met():
    status = status_table()
    balanced = status["assessment"] == "compulsory_balanced"
    # 2 of 8 met and 2 without data: 4/8 would reach 37.5 %, so the verdict cannot be given.
    status["is_met"] = status["is_met"].astype(object).mask(balanced & status["county_code"].isin(["530923", "530924"]))
    # No county has data for 普及普惠: the panel says so instead of "0/8 … 尚未达到".
    status.loc[~balanced, "is_met"] = None
    shares = {"preschool_universal": 0.375, "compulsory_balanced": 0.375}
    figure = maps.status_map(status, 2025, target_shares=shares, verdicts={"compulsory_balanced": "no_data"})
    titles = {ax.get_gid(): ax.get_title(loc="left") for ax in figure.axes if ax.get_gid()}
    assert "尚不能判断（2县未评估或无数据）" in titles["panel-compulsory_balanced"]
    assert "无数据" in titles["panel-preschool_universal"] and "0/8" not in titles["panel-preschool_universal"]


def test_a_year_without_data_is_refused(processed_sample, capsys):
    from lcedu.cli import main

    assert main(["maps", "--year", "2031", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "2031年没有数据" in err and "2022, 2023, 2024, 2025" in err and "Traceback" not in err


def test_change_map_is_centred_on_zero():
    table = progress_table()
    shrink = table["county_code"].eq("530902") & table["year"].eq(2025)
    table.loc[shrink, "value"] = 55.0  # 62 -> 55: a decline of 7 points
    ax = maps.change_map(table, INDICATOR, 2022, 2025)
    # Largest change |-7| rounds up to 10: five equal classes from -10 to +10.
    assert list(legend_colours(ax.get_legend())) == [
        "≤ -6.0", "-6.0 – -2.0", "-2.0 – +2.0", "+2.0 – +6.0", "> +6.0"
    ]  # fmt: skip
    texts = {text.get_gid(): text.get_text() for text in county_labels(ax)}
    assert texts["county-label-530902"] == "临翔区\n-7.0"
    assert texts["county-label-530921"] == "凤庆县\n+6.0"
    decline = np.array(matplotlib.colors.to_rgb(face_hex(county_patch(ax, "530902"))))
    gain = np.array(matplotlib.colors.to_rgb(face_hex(county_patch(ax, "530921"))))
    assert decline[0] > decline[2] and gain[2] > gain[0]  # red for decline, blue for gain


def test_locator_map_highlights_one_county(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("LCEDU_SHAPES", str(tmp_path))  # an empty shapes cache
    ax = maps.locator_map("530925")
    assert face_hex(county_patch(ax, "530925")) == maps.HIGHLIGHT_COLOUR
    others = {face_hex(county_patch(ax, code)) for code in CODES if code != "530925"}
    assert others == {maps.CONTEXT_COLOUR}
    assert ax.get_title(loc="left") == "双江自治县在临沧市的位置"
    with pytest.raises(ValueError, match="unknown county"):
        maps.locator_map("539999")
    with pytest.raises(RequestError, match="lcedu shapes --prefecture 1101"):  # a county whose shapes are not built
        maps.locator_map("110101")


def test_map_labels_come_from_the_county_registry_not_the_shapes_file(monkeypatch):
    from lcedu.ingest import counties as registry

    stale = maps.load_counties().to_crs(maps.PROJECTED_CRS)
    stale["short_name_zh"] = "旧名" + stale["county_code"]  # what an old shapes file might say
    stale["name_pinyin"] = "Old"
    monkeypatch.setattr(boundaries, "projected_counties", lambda path=None: stale)
    for lang in ("zh", "en"):
        ax = maps.choropleth(progress_table(), INDICATOR, 2025, lang=lang)
        texts = {t.get_gid().removeprefix("county-label-"): t.get_text().split("\n")[0] for t in county_labels(ax)}
        assert texts == {code: registry.name(code, lang) for code in CODES}
    ax = maps.locator_map("530926")
    assert ax.get_title(loc="left") == f"{registry.name('530926')}在临沧市的位置" == "耿马自治县在临沧市的位置"


def test_target_map_labels_near_the_target_keep_their_side():
    table = progress_table()
    table.loc[(table["county_code"] == "530925") & (table["year"] == 2025), "value"] = 94.96
    table.loc[(table["county_code"] == "530926") & (table["year"] == 2025), "value"] = 95.04
    ax = maps.choropleth(with_classes(table, 95.0), INDICATOR, 2025, target=95.0)
    texts = {t.get_gid(): t.get_text() for t in county_labels(ax)}
    assert texts["county-label-530925"].endswith("\n94.96")  # not met: never "95.0"
    assert texts["county-label-530926"].endswith("\n95.04")
    assert texts["county-label-530927"].endswith("\n96.0")  # far from the target: the usual decimals


def test_inputs_are_not_mutated():
    table, status = progress_table(), status_table()
    table_before, status_before = table.copy(), status.copy()
    maps.choropleth(with_classes(table, 90), INDICATOR, 2025, target=90)
    maps.small_multiples(table, INDICATOR)
    maps.change_map(table, INDICATOR)
    maps.status_map(status, 2025)
    pd.testing.assert_frame_equal(table, table_before)
    pd.testing.assert_frame_equal(status, status_before)


def test_save_figure_writes_print_resolution_files_atomically(tmp_path):
    figure = maps.locator_map("530902").figure
    written = map_files.save_figure(figure, tmp_path / "maps" / "locator")
    assert [path.name for path in written] == ["locator.png", "locator.svg", "locator.pdf"]
    with Image.open(written[0]) as image:
        assert min(image.info["dpi"]) >= 199.5
    assert written[1].read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert written[2].read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == sorted(p.name for p in written)


def test_write_map_set_uses_deterministic_ascii_names(tmp_path):
    written = map_files.write_map_set(progress_table(), status_table(), 2025, tmp_path, formats=("png",), dpi=40)
    names = [path.name for path in written]
    expected = [
        f"{INDICATOR}_2025_choropleth.png",
        f"{INDICATOR}_2022-2025_small-multiples.png",
        f"{INDICATOR}_2022-2025_change.png",
        "status_2025.png",
        *[f"locator_{code}.png" for code in CODES],
    ]
    assert names == expected
    assert all(name.isascii() and path.is_file() for name, path in zip(names, written, strict=True))


@pytest.fixture(scope="module")
def build():
    """The GCJ-02 conversion and name rules of the shapes and registry builder."""
    from lcedu.ingest import cnmaps

    return cnmaps


def test_gcj02_inverse_round_trips_and_offset_is_hundreds_of_metres(build):
    wgs84 = np.array([[99.5, 23.5], [100.08, 23.88], [98.7, 24.9]])
    dlon, dlat = build.gcj02_offset(wgs84[:, 0], wgs84[:, 1])
    gcj02 = wgs84 + np.column_stack([dlon, dlat])
    np.testing.assert_allclose(build.gcj02_to_wgs84(gcj02), wgs84, atol=1e-9)
    shift_m = np.hypot(dlon * 101_000, dlat * 111_000)
    assert ((shift_m > 200) & (shift_m < 500)).all()
    # Published pair (R package geoChina): Beijing railway station, given to 5 decimals.
    beijing_gcj02 = np.array([[116.42703, 39.90245]])
    np.testing.assert_allclose(build.gcj02_to_wgs84(beijing_gcj02), [[116.42079, 39.90105]],
                               atol=1.5e-5)  # fmt: skip


def test_build_script_shortens_autonomous_county_names(build):
    assert build.short_name("双江拉祜族佤族布朗族傣族自治县") == "双江自治县"
    assert build.short_name("耿马傣族佤族自治县") == "耿马自治县"
    assert build.short_name("云县") == "云县"
    assert build.short_name("莫力达瓦达斡尔族自治旗") == "莫力达瓦自治旗"
    assert build.pinyin_name("双江自治县") == "Shuangjiang"


def kunming_table() -> pd.DataFrame:
    """A value for every county of 昆明 (a dense prefecture: 五华区, 盘龙区 … are small) in every year."""
    codes = sorted(maps.prefecture_counties("530100")["county_code"])
    rows = [
        (code, year, INDICATOR, 85.0 + 0.7 * i + 1.3 * (year - 2022)) for i, code in enumerate(codes) for year in YEARS
    ]
    table = pd.DataFrame(rows, columns=["county_code", "year", "indicator", "value"])
    table.attrs["synthetic"] = True
    return table


def test_labels_of_a_dense_prefecture_never_overlap_and_lincang_keeps_all_eight():
    """昆明's central districts are too small for 'name + value': they get the name alone or no label,
    never a label over another; 临沧's 8 counties keep their name and value in every panel."""
    kunming = maps.small_multiples(kunming_table(), INDICATOR, list(YEARS), prefecture="530100")
    kunming.canvas.draw()
    count = len(maps.prefecture_counties("530100"))
    shortened = 0
    for ax in kunming.axes:
        texts = county_labels(ax)
        assert_no_overlap(texts)
        assert len({t.get_gid() for t in texts}) == len(texts)  # one label per county at most
        shortened += count - sum("\n" in t.get_text() for t in texts)
    assert shortened > 0  # some districts could not show their value: crowding is real here
    single = maps.choropleth(kunming_table(), INDICATOR, 2025, prefecture="530100")
    single.figure.canvas.draw()
    assert_no_overlap(county_labels(single))
    status = pd.DataFrame(
        [
            (code, 2025, "preschool_universal", i % 2 == 0)
            for i, code in enumerate(sorted(maps.prefecture_counties("530100")["county_code"]))
        ],
        columns=["county_code", "year", "assessment", "is_met"],
    )
    figure = maps.status_map(status, 2025, prefecture="530100", assessments=["preschool_universal"])
    figure.canvas.draw()
    for ax in figure.axes:
        assert_no_overlap(county_labels(ax))
    lincang = maps.small_multiples(progress_table(), INDICATOR, list(YEARS))
    lincang.canvas.draw()
    for ax, year in zip(lincang.axes, YEARS, strict=True):
        texts = county_labels(ax)
        assert sorted(t.get_text().split("\n")[0] for t in texts) == sorted(SHORT_NAMES)
        assert all("\n" in t.get_text() for t in texts), year
        assert_no_overlap(texts)


def test_a_locator_map_always_names_its_county_even_in_a_dense_prefecture():
    import matplotlib.pyplot as plt

    for code in ("530102", "530103", "530111", "530902"):  # 五华, 盘龙, 官渡: small central districts; 临翔
        ax = maps.locator_map(code)
        ax.figure.canvas.draw()
        texts = county_labels(ax)
        assert any(t.get_gid() == f"county-label-{code}" for t in texts), code
        assert_no_overlap(texts)
        plt.close(ax.figure)


def test_headcount_classes_are_whole_numbers_and_keep_every_county_in_its_class():
    # Teachers per county: whole numbers, so "≤ 17.0人" or "17.6 – 25.3" would describe numbers no county can have.
    rows = [
        (code, year, "teachers", float(11 + 3 * i + (year - 2022))) for i, code in enumerate(CODES) for year in YEARS
    ]
    table = pd.DataFrame(rows, columns=["county_code", "year", "indicator", "value"])
    ax = maps.choropleth(table, "teachers", 2025, unit="人", scheme="equal_interval", k=4)
    colours = legend_colours(ax.get_legend())
    assert all(re.fullmatch(r"(≤ |≥ )?\d+( – \d+)?", label) for label in colours), list(colours)
    assert list(colours)[0].startswith("≤ ") and list(colours)[-1].startswith("≥ ")
    for code, value in maps.indicator_values(table, "teachers", 2025).items():
        label = next(text for text, colour in colours.items() if colour == face_hex(county_patch(ax, code)))
        numbers = [int(n) for n in re.findall(r"\d+", label)]
        if label.startswith("≤"):
            assert value <= numbers[0], (code, value, label)
        elif label.startswith("≥"):
            assert value >= numbers[0], (code, value, label)
        else:
            assert numbers[0] <= value <= numbers[1], (code, value, label)
    labels = [t.get_text().split("\n")[-1] for t in county_labels(ax)]
    assert labels and not any("." in text for text in labels), labels
    values = pd.Series([17.0, 18.0, 25.0, 26.0])
    breaks = [17.6, 25.3, 40.2]
    assert list(maps.classify_values(values, breaks)) == list(maps.classify_values(values, maps.whole_breaks(breaks)))


def test_status_maps_of_every_year_are_drawn_at_the_same_size():
    from lcedu.present.charts import to_png

    earlier = status_table().assign(year=2024)
    earlier["is_met"] = (
        earlier["is_met"].astype(object).mask(earlier["county_code"] == "530927")
    )  # one county without data: a longer title
    status = pd.concat([earlier, status_table()], ignore_index=True)
    sizes = {year: Image.open(io.BytesIO(to_png(maps.status_map(status, year)))).size for year in (2024, 2025)}
    assert sizes[2024] == sizes[2025], sizes


def test_a_rate_changes_in_percentage_points():
    ax = maps.change_map(progress_table(), INDICATOR, unit="%")
    assert ax.get_legend().get_title().get_text() == "变化（个百分点）"
    english = maps.change_map(progress_table(), INDICATOR, unit="%", lang="en")
    assert "percentage points" in english.get_legend().get_title().get_text()
