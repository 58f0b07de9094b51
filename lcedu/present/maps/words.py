"""Words of the maps: titles, legend words, year and source lines and the county names on them.

Chinese first, English available (``lang``); county names come from the county registry.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd

from lcedu import paths
from lcedu.ingest.counties import area_name, registry
from lcedu.present.narrative import year_label

Lang = Literal["zh", "en"]


ASSESSMENTS = ("preschool_universal", "compulsory_balanced")


ASSESSMENT_NAMES = {
    "preschool_universal": {"zh": "学前教育普及普惠", "en": "Universal, affordable preschool"},
    "compulsory_balanced": {
        "zh": "义务教育优质均衡",
        "en": "Balanced, high-quality compulsory education",
    },
}


TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "prefecture": "临沧市",
        "no_data": "无数据",
        "met": "达标",
        "near": "接近目标",
        "far": "差距较大",
        "not_met": "未达标",
        "unit": "单位：{unit}",
        "value": "分级",
        "change_unit": "变化（{unit}）",
        "change": "变化",
        "target_title": "目标 {op} {target}\n接近目标：差距不超过目标的 {margin:.0%}",
        "panel_year": "{year}",
        "title": "{label}（{year}）",
        "multiples_title": "{label}：{span}",
        "change_title": "{label}：{base}至{year}变化",
        "status_title": "{year}县域评估达标情况",
        "status_panel": "{name}\n全部维度评估且达标 {met}/{total} 县（{share:.1%}），计划目标 {target:.1%}，{reached}",
        "status_reached": "已达到",
        "status_not_reached": "尚未达到",
        "status_unknown": "尚不能判断（{n}县未评估或无数据）",
        "status_not_due": "目标未到期",
        "status_no_data": "{name}\n无数据",
        "locator_title": "{name}在{prefecture}的位置",
        "source_default": "数据：lcedu 指标库",
        "data_year": "统计时点：{years}",
        "year_join": "、",
        "year_range": "{first}—{last}",
        "sample": "合成样例数据，非官方统计",
        "separator": "；",
    },
    "en": {
        "prefecture": "Lincang",
        "no_data": "No data",
        "met": "Met",
        "near": "Within reach",
        "far": "Far from target",
        "not_met": "Not met",
        "unit": "Unit: {unit}",
        "value": "Classes",
        "change_unit": "Change ({unit})",
        "change": "Change",
        "target_title": "Target {op} {target}\nWithin reach: gap ≤ {margin:.0%} of target",
        "panel_year": "{year}",
        "title": "{label} ({year})",
        "multiples_title": "{label}, {span}",
        "change_title": "{label}: change from the {base} to the {year}",
        "status_title": "County assessments met at the {year}",
        "status_panel": "{name}\n{met}/{total} assessed on every dimension and met ({share:.1%}); "
        "plan target {target:.1%} {reached}",
        "status_reached": "reached",
        "status_not_reached": "not yet reached",
        "status_unknown": "cannot tell yet ({n} counties not assessed or without data)",
        "status_not_due": "target not yet due",
        "status_no_data": "{name}\nno data",
        "locator_title": "{name} in {prefecture}",
        "source_default": "Data: lcedu indicators",
        "data_year": "As of: {years}",
        "year_join": ", ",
        "year_range": "{first}–{last}",
        "sample": "Synthetic sample, not official statistics",
        "separator": ". ",
    },
}


def place_prefix(prefecture: str, lang: Lang) -> str:
    """The prefecture named before a title (昆明市 / Kunming: ); none for 临沧, whose maps are the default."""
    if prefecture == paths.CITY_CODE:
        return ""
    name = area_name(prefecture, lang)
    return name if lang == "zh" else f"{name}: "


def county_names(counties: gpd.GeoDataFrame, lang: Lang) -> dict[str, str]:
    """Labels from the county registry (the plan's names: 双江自治县), never the shapes' own name fields.

    A shape whose code the registry does not know keeps the name in its file.
    """
    column = "short_name_zh" if lang == "zh" else "name_pinyin"
    known = registry().set_index("county_code")[column]
    own = counties[column] if column in counties.columns else counties["county_code"]
    return {code: str(known.get(code, fallback)) for code, fallback in zip(counties["county_code"], own, strict=True)}


def year_words(year: int, lang: Lang, short: bool = False) -> str:
    """A data year as its 学年初 state (:func:`lcedu.present.narrative.year_label`)."""
    return year_label(year, lang, short=short)


def year_span(first: int, last: int, lang: Lang) -> str:
    """2022/23—2025/26学年初 / 2022/23–2025/26 school-year starts."""
    span = TEXT[lang]["year_range"].format(first=year_words(first, lang, True), last=year_words(last, lang, True))
    return f"{span}学年初" if lang == "zh" else f"{span} school-year starts"


def source_line(lang: Lang, source: str | None, years: str, synthetic: bool) -> str:
    words = TEXT[lang]
    parts = [source or words["source_default"], words["data_year"].format(years=years)]
    if synthetic:
        parts.append(words["sample"])
    return words["separator"].join(parts)
