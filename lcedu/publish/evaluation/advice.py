"""四、下一步建议 from the stored projections: places, teachers and schools in the horizon year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lcedu.home import CITY_CODE
from lcedu.measure import draft_projected as dp
from lcedu.measure.planning import config as planning_cfg
from lcedu.present import narrative as nv
from lcedu.present.words import table
from lcedu.publish.evaluation.data import EvaluationData
from lcedu.publish.evaluation.layout import (
    add_para,
)
from lcedu.publish.evaluation.wording import (
    place_zh,
)


def _num(x: Any, signed: bool = False) -> str:
    return "—" if x is None else (f"{x:+,.0f}" if signed else f"{x:,.0f}")


def _figure(item: Mapping[str, Any], unit: str, signed: bool = False) -> str:
    """The medium point, then the low–high scenarios and the medium band: +1,234个（低、高方案…；中方案区间…）."""
    lo, hi = item["range"]
    b_lo, b_hi = item["band"]
    same = _num(lo, signed) == _num(hi, signed) == _num(item["value"], signed)
    scenarios = "三个方案相同" if same else f"低、高方案{_num(lo, signed)}～{_num(hi, signed)}"
    if lo is None and hi is None:
        scenarios = "未测算低、高方案"
    return f"{_num(item['value'], signed)}{unit}（{scenarios}；中方案区间{_num(b_lo, signed)}～{_num(b_hi, signed)}）"


def _entries(data: EvaluationData, year: int) -> dict[tuple[str, str], dict]:
    entries, _ = dp.planning_entries(data.planning or {}, year)
    return {(e["measure"], e["stage"]): e for e in entries}


def _first_shortfalls(data: EvaluationData, county: str | None, codes: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Per 学段, where places first run short (medium, point), earliest first: the counties on the city's document,
    the schools (by name) on a county's."""
    tables = data.planning or {}
    s = tables.get("planning_place_summary")
    if s is None:
        return {}
    level = "school" if county else "county"
    s = s[
        (s["level"].astype(str) == level)
        & (s["scenario"].astype(str) == dp.DEFAULT_SCENARIO)
        & (s["band"].astype(str) == "point")
        & s["county_code"].astype(str).isin(codes)
        & s["first_shortfall_year"].notna()
    ].sort_values(["first_shortfall_year", "largest_shortfall"], ascending=[True, False])
    names: dict[str, str] = {}
    if county and "schools" in tables:
        latest = tables["schools"].sort_values("year").drop_duplicates("school_id", keep="last")
        names = dict(zip(latest["school_id"].astype(str), latest["school_name"].astype(str), strict=True))
    out: dict[str, list[tuple[str, int]]] = {}
    for r in s.itertuples():
        where = names.get(str(r.school_id), str(r.school_id)) if county else place_zh(str(r.county_code))
        out.setdefault(str(r.stage), []).append((where, int(r.first_shortfall_year)))
    return out


def _staff_where(by_county: Mapping[str, Any], codes: list[str]) -> str:
    """The counties short of teachers and those with a surplus (medium point), side by side: 县管校聘 moves posts."""
    gaps = {c: by_county[c]["proposed"]["value"] for c in codes if c in by_county}
    short = sorted((g, c) for c, g in gaps.items() if g is not None and g < -0.5)
    spare = sorted(((g, c) for c, g in gaps.items() if g is not None and g > 0.5), reverse=True)
    if not short:
        return ""
    lacking = "、".join(f"{place_zh(c)}{g:+,.0f}" for g, c in short)
    if not spare:
        return f"教师短缺的县（区）：{lacking}"
    surplus = "、".join(f"{place_zh(c)}{g:+,.0f}" for g, c in spare)
    return f"教师短缺的县（区）{lacking}，富余的县（区）{surplus}，可在市域内统筹调剂编制"


def _screening_words(data: EvaluationData, codes: list[str], year: int) -> str | None:
    c = (data.planning or {}).get("planning_consolidation")
    if c is None:
        return None
    c = c[(c["scenario"].astype(str) == dp.DEFAULT_SCENARIO) & c["county_code"].astype(str).isin(codes)]
    if c.empty:
        return None
    kept = int(c["screening"].astype(str).str.startswith(("应保留", "待核实")).sum())
    return (
        f"{year}年预测在校生不足50人的学校（学段）{len(c):,}所列入布局调整研究筛查（中方案，点估计），"
        f"其中{kept:,}所因最近同学段学校过远或无坐标默认保留；筛查不是结论，任何调整须科学评估、先建后撤、"
        "应留必留，并经论证、听证和公示。"
    )


def projected_advice(doc: Any, data: EvaluationData, county: str | None) -> None:
    """面向下一规划期: places, teachers and schools in the horizon year from the stored projections, each figure
    with its scenario and band, where (counties) and by when (first shortfall year). Never a closure."""
    if not data.planning or "planning_places" not in data.planning:
        return
    year = int(planning_cfg()["consolidation"]["review_year"])
    code = county or CITY_CODE
    codes = [county] if county else sorted({str(c) for c in data.planning["planning_places"]["county_code"]})
    entries = _entries(data, year)
    launch = int(data.planning["planning_places"]["launch_year"].max())
    add_para(
        doc,
        f"面向下一规划期（至{year}年）：以下按{nv.year_label(launch)}起的学龄人口预测测算，数值为中方案点估计，"
        "括号内为低、高方案和中方案的回测误差区间（docs/projections.md）。",
    )
    shortfalls = _first_shortfalls(data, county, codes)
    k = 0
    for stage, zh in table("evaluation_stages").items():
        parts = []
        places = entries.get(("spare_places", stage), {}).get("counties", {}).get(code)
        if places:
            parts.append(f"学位余缺{_figure(places['proposed'], '个', signed=True)}（+为空余，−为缺口）")
        staff = entries.get(("staff_gap", stage), {}).get("counties", {}).get(code)
        if staff:
            parts.append(f"教师余缺{_figure(staff['proposed'], '人', signed=True)}（+为富余，−为短缺）")
        where = shortfalls.get(stage, [])
        if where:
            listed = "、".join(f"{name}{y}年" for name, y in where[:6])
            more = f"等{len(where)}处" if len(where) > 6 else ""
            parts.append(f"学位最早出现缺口：{listed}{more}")
        if county is None:
            parts.append(_staff_where(entries.get(("staff_gap", stage), {}).get("counties", {}), codes))
        small = entries.get(("schools_below_100", stage), {}).get("counties", {}).get(code)
        if small:
            parts.append(f"不足100人的学校{_figure(small['proposed'], '所')}")
        parts = [x for x in parts if x]
        if parts:
            k += 1
            add_para(doc, f"（{k}）{zh}：到{year}年，{'；'.join(parts)}。")
    preschool = dp.indicator_proposals(data.planning, year).get("preschool_gross_enrollment_pct")
    rate = (preschool or {}).get("counties", {}).get(code, {}).get("projection_basis")
    if rate and rate["launch_rate"] is not None and rate["rate"]["value"] is not None:
        r = rate["rate"]
        add_para(
            doc,
            f"学前三年毛入园率（预测口径）：3—5岁人口减少，在园幼儿按现有入园水平和免费学前教育推进测算，"
            f"由{nv.year_label(launch)}的{rate['launch_rate']:.1f}%变为{year}年的{r['value']:.1f}%"
            f"（低、高方案{r['range'][0]:.1f}%～{r['range'][1]:.1f}%；中方案区间{r['band'][0]:.1f}%～{r['band'][1]:.1f}%）。",
        )
    screening = _screening_words(data, codes, year)
    if screening:
        add_para(doc, screening)
