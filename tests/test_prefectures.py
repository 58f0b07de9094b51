"""Prefecture and province builds say true things: county-level cities whose code ends in 00 are counties,
ranks are within the county's own prefecture, and maps name and draw the right prefecture."""

from __future__ import annotations

import pandas as pd
import pytest

from lcedu.ingest.counties import aggregate_layers, is_aggregate
from lcedu.measure import indicators
from tests.conftest import build_as_processed, copy_county

#: Prefecture-level cities without counties: the registry lists each as one county-level unit.
SELF_CODED = ("441900", "442000", "460400", "620200")


def test_county_level_cities_coded_like_prefectures_are_counties():
    from lcedu.ingest.counties import registry

    listed = set(registry()["county_code"])
    for code in SELF_CODED:
        assert code in listed and not is_aggregate(code)
    assert is_aggregate("530900") and is_aggregate("530000") and is_aggregate("440000")
    assert not is_aggregate("530925")
    # 东莞 has no total of its own (it would repeat its rows under its own code); 广东 does.
    layers = aggregate_layers(["441900", "442000", "440106"])
    assert list(layers[0]) == [None, None, "440100"]
    assert list(layers[1]) == ["440000", "440000", "440000"]


@pytest.fixture(scope="module")
def dongguan_results(sample_tables) -> pd.DataFrame:
    """临沧's sample plus a copy of 双江 as 东莞 (441900): one row per code, indicator and year."""
    tables = copy_county(sample_tables, "530925", "441900")
    return indicators.compute(tables=tables)


def test_a_county_coded_like_its_prefecture_has_one_row_per_indicator_and_year(dongguan_results):
    res = dongguan_results
    assert not res.duplicated(["county_code", "year", "indicator"]).any()
    rows = res[(res["indicator"] == "preschool_gross_enrollment_pct") & (res["year"] == 2025)].set_index("county_code")
    assert float(rows.at["441900", "value"]) == float(rows.at["530925", "value"])
    # The province-level total (the counties span two provinces here) sums 东莞 once.
    assert float(rows.at["440000", "numerator"]) == float(rows.at["441900", "numerator"])


def test_maps_draw_a_county_coded_like_its_prefecture(dongguan_results):
    from lcedu.present import maps

    values = maps.indicator_values(dongguan_results, "preschool_gross_enrollment_pct", 2025)
    assert "441900" in values.index and "530900" not in values.index and "440000" not in values.index


def test_lincang_pages_still_say_among_the_8_counties_of_the_city(processed_sample):
    from lcedu.present import briefing

    p = briefing.params("530925", 2025)
    assert len(briefing.peer_codes(p)) == 8 and briefing.page_prefecture(p) == "530900"
    assert briefing.peers_phrase(p) == "全市8个县(区)"
    assert briefing.briefing_ranks(p).title == "在全市8个县(区)中的位置"
    en = briefing.params("530925", 2025, lang="en")
    assert briefing.briefing_ranks(en).title == "Position among the 8 counties"
    card = briefing.card(p.baseline_year)
    ranked = card[(card["year"] == 2025) & card["rank_count"].notna()]
    assert int(ranked["rank_count"].max()) == 8


def test_prefecture_and_province_names_have_english_in_the_registry():
    from lcedu.ingest.counties import area_name, registry

    reg = registry().set_index("county_code")
    assert reg.at["532801", "prefecture_name_pinyin"] == "Xishuangbanna"
    assert (
        reg.at["610102", "province_name_pinyin"] == "Shaanxi" and reg.at["140105", "province_name_pinyin"] == "Shanxi"
    )
    assert reg.at["429004", "prefecture_name_pinyin"] == "Province-administered counties"
    assert (reg["prefecture_name_pinyin"] != "").all() and (reg["province_name_pinyin"] != "").all()
    assert area_name("530100", "en") == "Kunming" and area_name("530000", "en") == "Yunnan"
    assert area_name("441900", "en") == "Dongguan"


def test_a_build_of_a_county_coded_like_its_prefecture_alone_computes(sample_tables):
    """东莞 alone: no total row at all (it would be 东莞 again), and every result is its own."""
    from lcedu.measure.results import compute_results

    alone = {}
    for name, frame in sample_tables.items():
        if "county_code" in frame.columns:
            frame = frame[frame["county_code"].astype(str) == "530925"].assign(county_code="441900")
        elif name == "city":  # 临沧's city-level sheet is not 东莞's
            frame = frame.iloc[0:0]
        alone[name] = frame
    results = compute_results(alone)
    res = results["indicator_results"]
    assert set(res["county_code"].astype(str)) == {"441900"}
    assert not res.duplicated(["county_code", "year", "indicator"]).any()
    card = results["scorecard"]
    assert int(card["rank_count"].max()) == 1  # ranked among its prefecture's one county


@pytest.fixture()
def guangdong_processed(sample_tables, tmp_path):
    """双江 copied as 东莞 and 耿马 as 中山 (two prefecture-level cities without counties), written as a build."""
    tables = {}
    for name, frame in sample_tables.items():
        if "county_code" in frame.columns:
            codes = frame["county_code"].astype(str)
            frame = frame[codes.isin(["530925", "530926"])].copy()
            frame["county_code"] = frame["county_code"].astype(str).map({"530925": "441900", "530926": "442000"})
        elif name == "city":
            frame = frame.iloc[0:0]
        tables[name] = frame
    with build_as_processed(tables, tmp_path) as out:
        yield out


def test_prefecture_overview_of_a_county_coded_like_its_prefecture(guangdong_processed):
    from lcedu.present import areas, briefing

    assert areas.aggregate_codes("prefecture") == ["441900", "442000"]
    assert areas.aggregate_codes("province") == ["440000"]
    p = areas.area_params("东莞市", 2025, lang="zh", level="prefecture")
    assert p.county == "441900" and areas.members("441900") == ["441900"]
    table = areas.county_table(p).items[0].data
    assert list(table.iloc[:, 0]) == ["东莞市"]  # the county is its own total: one row, not two
    lines = areas.summary(p).items[0]
    assert "东莞市：1 个县(区)有数据" in str(lines)
    county = briefing.params("441900", 2025, 2024)
    assert briefing.peer_codes(county) == ["441900"] and briefing.peers_phrase(county) == "东莞市1个县(市、区)"
    english = briefing.params("441900", 2025, 2024, lang="en")
    assert briefing.peers_phrase(english) == "the only county of Dongguan"  # not "the 1 counties"


# --------------------------------------------------------------------------- pages outside the plan's region


@pytest.fixture(scope="module")
def lincang_and_wuhua(sample_tables, tmp_path_factory):
    """临沧's sample plus 双江 copied as 五华区 (530102, 昆明市), written as a build; LCEDU_PROCESSED points at
    it for the module, then back."""
    with build_as_processed(
        copy_county(sample_tables, "530925", "530102"), tmp_path_factory.mktemp("lincang_and_wuhua")
    ) as out:
        yield out


def _page_text(section) -> str:
    """Everything a reader sees of a section as text: title, sentences, and each table's cells, headers
    and caption (figures left out)."""
    import html

    parts = [str(section.title or "")]
    for item in section.items:
        if isinstance(item, str):
            parts.append(item)
        elif hasattr(item, "data") and isinstance(item.data, pd.DataFrame):
            parts += [
                html.unescape(str(item.caption or "")),
                " ".join(map(str, item.data.columns)),
                item.data.to_string(),
            ]
    return "\n".join(parts)


CITY_SECTIONS = ("high_school_quality", "teacher_famous", "vocational_city", "preschool_assessment")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_county_of_kunming_names_kunming_and_claims_no_lincang_figure_or_target(lincang_and_wuhua, lang):
    from lcedu.present import briefing, sections

    p = briefing.params("530102", 2025, lang=lang)
    assert not briefing.in_plan_region(p) and briefing.page_prefecture(p) == "530100"
    texts = {name: _page_text(getattr(sections, name)(p)) for name in CITY_SECTIONS}
    texts["notes"] = _page_text(briefing.notes(p, ["preschool_gross_enrollment_pct"]))
    note = (
        "本计划目标为临沧市目标，昆明市无对应目标。"
        if lang == "zh"
        else "The plan's targets are Lincang's; none apply to Kunming."
    )
    for name, text in texts.items():
        assert note in text, name
        for word in (
            ["全市目标", "全市合计", "全市完成度", "全市职业教育", "临沧市20"]
            if lang == "zh"
            else ["City target", "City total", "City progress", "Lincang,", "city-level data"]
        ):
            assert word not in text, (name, word)
    # The figures are 昆明市's own (530100's row), not 临沧's: 临沧 has 7 省一级高完中, 五华 and so 昆明 none.
    card = briefing.card(p.baseline_year)
    first = card[(card["indicator"] == "provincial_first_class_high_school_count") & (card["year"] == 2025)]
    kunming, lincang = (int(first.set_index("county_code").at[c, "value"]) for c in ("530100", "530900"))
    assert kunming != lincang
    quality = sections.high_school_quality(p)
    line = next(
        s for s in str(quality.items[0]).split("\n") if s.startswith("- 昆明市" if lang == "zh" else "- Kunming,")
    )
    assert (f"为{kunming}所" if lang == "zh" else f": {kunming} schools") in line
    famous = sections.teacher_famous(p).items[1].data
    assert list(famous.columns)[2:] == (
        ["昆明市合计", "本县占昆明市"] if lang == "zh" else ["Kunming total", "County share of Kunming"]
    )
    voc = sections.vocational_city(p)
    assert voc.title == (
        "昆明市职业教育（州(市)层面数据）" if lang == "zh" else "Vocational education (Kunming, prefecture-level data)"
    )
    # The briefing says there are no targets, never "0 of 0 met" nor "every target met".
    assert briefing.target_count_sentence(p).endswith(note)
    assert briefing.briefing_scorecard(p).items == [note] and briefing.briefing_gaps(p).items[0] == note


def test_lincang_pages_keep_the_city_and_its_targets_on_the_same_build(lincang_and_wuhua):
    from lcedu.present import briefing, sections

    p = briefing.params("530925", 2025)
    assert briefing.in_plan_region(p) and briefing.prefecture_word(p) == "全市"
    famous = sections.teacher_famous(p)
    assert famous.items[0] == "“四名工程”目标为全市目标，下表给出本县人数、全市合计及全市完成度。"
    table = famous.items[1].data
    assert {"全市合计", "本县占全市", "全市完成度"} <= set(table.columns)
    assert table["目标"].str.endswith("全市目标").all()
    assert sections.vocational_city(p).title == "全市职业教育（全市层面数据）"
    assert "临沧市2025/26学年初省一级高完中为" in str(sections.high_school_quality(p).items[0])
    assert "计划对全市另设更高目标：学前三年毛入园率≥95%" in _page_text(sections.preschool_assessment(p))
    assert briefing.target_count_sentence(p).startswith("2025/26学年初，双江自治县对照本县目标")
    assert briefing.briefing_gaps(p).items[0] != briefing.no_targets_note(p)


def test_the_city_overview_sends_a_county_of_another_prefecture_to_its_own_overview(lincang_and_wuhua):
    """临沧's city overview highlighting 五华区 would show 临沧's heat table and targets as if they were 五华's."""
    from lcedu.present import briefing

    p = briefing.params("530102", 2025, scope="city")  # the explorer's scope: accepted
    for section in (briefing.city_summary, briefing.city_heat_table, briefing.city_targets):
        with pytest.raises(ValueError, match='prefecture_overview.*prefecture="530100"') as error:
            section(p)
        assert "五华区属昆明市" in str(error.value) and "Wuhua (530102) is in Kunming" in str(error.value)
    for county in ("530925", "临沧市"):  # 临沧's city view, with or without a county highlighted, as before
        assert briefing.city_heat_table(briefing.params(county, 2025, scope="city")).items
