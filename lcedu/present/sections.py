"""Topic sections of the county notebooks: preschool and special education, compulsory
education, high schools, vocational education, teachers, digital and safe campuses.

Each function takes validated :class:`lcedu.present.briefing.Params` and returns a
:class:`lcedu.present.briefing.Section` (heading, generated sentences, styled tables, figures) for
:func:`lcedu.present.briefing.show`. This module only formats: every number is read from the
build's stored results (the scorecard, the assessments, and the per-school / per-county frames
of :mod:`lcedu.measure.schools` and :mod:`lcedu.measure.teachers`), and every threshold it
quotes comes from :mod:`lcedu.measure.standards`. Labels follow ``p.lang``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import standards as std
from lcedu.measure.schools import special_school_population_threshold
from lcedu.measure.teachers import QUALIFICATION_COLUMNS
from lcedu.paths import CITY_CODE
from lcedu.present import briefing as bf
from lcedu.present import charts
from lcedu.present import narrative as nv
from lcedu.present.briefing import (
    LABELS,
    Params,
    Section,
    bullets,
    sentence,
    styled,
    synthetic_note,
)
from lcedu.present.narrative import fmt_value, indicator_name, is_missing, place_name

__all__ = [
    "compulsory_cv",
    "compulsory_failing",
    "compulsory_gap_estimates",
    "compulsory_overview",
    "compulsory_schools",
    "compulsory_size",
    "digital",
    "high_school_enrolment",
    "high_school_quality",
    "preschool_assessment",
    "preschool_overview",
    "safety",
    "special_education",
    "teacher_famous",
    "teacher_qualifications",
    "teacher_shortage",
    "teacher_staffing",
    "vocational_city",
    "vocational_county",
]

_T: dict[str, dict[str, str]] = {
    "zh": {
        "preschool": "学前教育普及普惠",
        "assessment": "普及普惠督导评估（量化指标）",
        "special": "特殊教育",
        "compulsory": "义务教育优质均衡概况",
        "schools": "每所学校的7项资源配置指标",
        "failing": "未达标学校及差距",
        "cv": "校际差异系数",
        "size": "大规模学校与大班额",
        "estimates": "达标所需资源估算",
        "senior": "高中阶段毛入学率",
        "hs_quality": "省一级高完中、托管帮扶与民办高中",
        "voc_county": "本县职业教育",
        "voc_city": "全市职业教育（全市层面数据）",
        "qualifications": "专任教师学历结构",
        "famous": "“四名工程”",
        "staffing": "生师比与编制标准",
        "shortage": "紧缺学科教师",
        "digital": "教育数字化",
        "safety": "平安校园",
        "years": "历年对照",
        "by_county": "各县(区)对比",
    },
    "en": {
        "preschool": "Universal and affordable preschool",
        "assessment": "Preschool assessment (quantified criteria)",
        "special": "Special education",
        "compulsory": "Balanced compulsory education: overview",
        "schools": "The 7 resource indicators of every school",
        "failing": "Schools below the standard, and by how much",
        "cv": "Inter-school coefficients of variation",
        "size": "Large schools and large classes",
        "estimates": "Resources needed to close the gaps",
        "senior": "Upper-secondary gross enrolment",
        "hs_quality": "Provincial first-class high schools, trusteeship and private high schools",
        "voc_county": "Vocational education in the county",
        "voc_city": "Vocational education (city-level data)",
        "qualifications": "Qualifications of full-time teachers",
        "famous": "The “four famous” programme",
        "staffing": "Student–teacher ratios and staffing norms",
        "shortage": "Shortage subjects",
        "digital": "Digital education",
        "safety": "Safe campuses",
        "years": "Year by year",
        "by_county": "By county",
    },
}

PRESCHOOL_RATES = (
    "preschool_gross_enrollment_pct",
    "inclusive_kindergarten_coverage_pct",
    "public_kindergarten_enrollment_share_pct",
    "village_kindergarten_coverage_pct",
    "township_public_kindergarten_coverage_pct",
    "county_demo_kindergarten_coverage_pct",
)
PRESCHOOL_QUALITY = (
    "children_per_kindergarten_teacher",
    "kindergarten_class_size_compliance_pct",
    "kindergarten_certified_teacher_pct",
    "children_per_care_staff",
)
RESOURCES = (
    "qualified_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
    "teaching_room_area_per_student_m2",
    "sports_area_per_student_m2",
    "equipment_value_per_student_yuan",
    "multimedia_classrooms_per_100",
)
_RESOURCE_UNITS = {
    "qualified_teachers_per_100": "teachers per 100 students",
    "backbone_teachers_per_100": "teachers per 100 students",
    "pe_arts_teachers_per_100": "teachers per 100 students",
    "teaching_room_area_per_student_m2": "m² per student",
    "sports_area_per_student_m2": "m² per student",
    "equipment_value_per_student_yuan": "yuan per student",
    "multimedia_classrooms_per_100": "classrooms per 100 students",
}


def _county_dots(p: Params, indicator: str, year: int | None = None) -> Any:
    """Dots of the counties of the county's prefecture (and its total) for one indicator and year, with the
    county's target."""
    c = bf.card(p.baseline_year, p.plan)
    y = year or p.year
    shown = [*bf.peer_codes(p), bf.page_prefecture(p)]
    rows = c[(c["indicator"] == indicator) & (c["year"] == y) & c["county_code"].isin(shown)].set_index("county_code")
    own = rows.loc[p.county] if p.county in rows.index else None
    target = None
    label = None
    if own is not None and not is_missing(own["target"]):
        target = float(own["target"])
        label = bf.target_text(own.to_dict(), p.lang)
    unit = nv.indicator_unit(indicator)
    direction = str(rows["direction"].iloc[0]) if len(rows) else "higher"
    title = (
        f"{indicator_name(indicator, p.lang)}（{nv.year_label(y)}）"
        if p.lang == "zh"
        else f"{indicator_name(indicator, p.lang)} ({nv.year_label(y, p.lang)})"
    )
    return charts.county_dots(
        rows["value"].astype(float),
        highlight=p.county,
        unit=unit,
        target=target,
        target_label=label,
        lang=p.lang,
        title=title,
        direction=direction,
        note=synthetic_note(p.lang),
    )


def _year_table(p: Params, indicators: Sequence[str], county: str | None = None) -> Any:
    """Each indicator year by year up to p.year with that year's target and status."""
    lang = p.lang
    lab = LABELS[lang]
    c = bf.card(p.baseline_year, p.plan)
    code = county or p.county
    rows = c[(c["county_code"] == code) & c["indicator"].isin(indicators) & (c["year"] <= p.year)]
    rows = rows.assign(_o=rows["indicator"].map({k: i for i, k in enumerate(indicators)})).sort_values(["_o", "year"])
    records = rows.to_dict("records")
    table = pd.DataFrame(
        {
            lab["indicator"]: [indicator_name(r["indicator"], lang) for r in records],
            lab["year"]: [nv.year_label(r["year"], lang, short=True) for r in records],
            lab["value"]: [nv.fmt_row_value(r, lang) for r in records],
            lab["target"]: [bf.target_text(r, lang) for r in records],
            lab["status"]: [bf.status_text(r["is_met"], lang) + bf.progress_text(r, lang) for r in records],
        }
    )
    flags = pd.DataFrame({lab["status"]: rows["is_met"].to_numpy()})
    return styled(table, flags=flags, right=[lab["value"]])


# --------------------------------------------------------------------------- 学前教育与特殊教育


def preschool_overview(p: Params) -> Section:
    """毛入园率, 普惠 and 公办 shares, 一村一幼, 一乡一公办, 一县一示范: sentences, table and trends."""
    lang = p.lang
    rows = bf.county_card(p, [*PRESCHOOL_RATES, *PRESCHOOL_QUALITY])
    lines = [sentence(p, code) for code in PRESCHOOL_RATES]
    fig = bf.trend_figure(p, PRESCHOOL_RATES[:5])
    return Section(
        _T[lang]["preschool"],
        [bullets(lines), bf.indicator_table(p, rows), fig, _county_dots(p, "preschool_gross_enrollment_pct")],
    )


def preschool_assessment(p: Params) -> Section:
    """The county's 普及普惠 assessment criterion by criterion, with what each unmet one needs."""
    lang = p.lang
    lab = LABELS[lang]
    b = bf.base()
    crit = b.criteria[
        (b.criteria["county_code"] == p.county)
        & (b.criteria["year"] == p.year)
        & (b.criteria["assessment"] == "preschool_universal")
        & (b.criteria["source"] == "statistics")
    ]
    need = bf.county_preschool_gaps(p)
    need = need[need["county_code"] == p.county].set_index("indicator")
    records = crit.to_dict("records")
    ops = {"at_least": "≥", "at_most": "≤"}

    def needed(r: dict) -> str:
        if is_missing(r["is_met"]) or bool(r["is_met"]) or r["criterion"] not in need.index:
            return ""
        n = need.loc[r["criterion"]]
        if is_missing(n["needed"]):
            return ""
        return str(n["need_zh"] if lang == "zh" else n["need_en"])  # the stored 动作+数量+单位 wording

    table = pd.DataFrame(
        {
            lab["criterion"]: [indicator_name(r["criterion"], lang) for r in records],
            lab["value"]: [
                fmt_value(r["value"], nv.indicator_unit(r["criterion"]), lang, thresholds=r["threshold"])
                for r in records
            ],
            lab["threshold"]: [
                f"{ops.get(r['comparison'], '')}"
                f"{nv.fmt_target(r['threshold'], nv.indicator_unit(r['criterion']), lang)}"
                for r in records
            ],
            lab["status"]: [bf.status_text(r["is_met"], lang) for r in records],
            lab["needed"]: [needed(r) for r in records],
            lab["note"]: [nv.na_text(r["na_reason"], lang) if is_missing(r["value"]) else "" for r in records],
        }
    )
    if not table[lab["note"]].astype(bool).any():
        table = table.drop(columns=lab["note"])
    flags = pd.DataFrame({lab["status"]: crit["is_met"].to_numpy()})
    plan = _plan_targets_text(p, PRESCHOOL_RATES[:3])
    intro = (
        f"标准为《县域学前教育普及普惠督导评估办法》（教督〔2020〕1号）的全国量化指标；计划对全市另设更高目标：{plan}。"
        if lang == "zh"
        else f"Thresholds are the national quantified criteria (教督〔2020〕1号); the plan sets higher city targets: "
        f"{plan}."
    )
    if not bf.in_plan_region(p):  # 临沧's higher targets are not this prefecture's
        intro = (
            f"标准为《县域学前教育普及普惠督导评估办法》（教督〔2020〕1号）的全国量化指标。{bf.no_targets_note(p)}"
            if lang == "zh"
            else f"Thresholds are the national quantified criteria (教督〔2020〕1号). {bf.no_targets_note(p)}"
        )
    lines = [bf.assessment_line(p, "preschool_universal"), sentence(p, "preschool_universal")]
    checklist = (
        "各维度的结果（政府保障情况和保教质量的部分内容、社会认可度来自督导评估清单；没有清单的县为“未评估”，不计为达标）："
        if lang == "zh"
        else "Each dimension (government support, part of quality and public satisfaction come from the local "
        "checklist; a county without one is “not assessed”, never met):"
    )
    return Section(
        _T[lang]["assessment"],
        [
            bullets(lines),
            bf.dimension_table(p, "preschool_universal"),
            styled(table, flags=flags, right=[lab["value"]]),
            intro,
            checklist,
            bf.criteria_table(p, "preschool_universal", ["government", "quality", "recognition"]),
        ],
    )


def special_education(p: Params) -> Section:
    """残疾儿童少年入学率 and special-education schools in counties of over 200,000 people."""
    lang = p.lang
    y = p.year
    provision = bf.result_rows("special_school_provision", year=y)  # every county, registry order
    threshold = (
        float(provision["population_threshold"].iloc[0]) if len(provision) else special_school_population_threshold()
    )
    c = bf.card(p.baseline_year, p.plan)
    rows = []
    for r in provision.to_dict("records"):
        code = str(r["county_code"])
        names = [] if is_missing(r["special_school_names"]) else str(r["special_school_names"]).split("、")
        planned = c[
            (c["county_code"] == code)
            & (c["year"] == y)
            & c["indicator"].isin(["special_school_built", "special_school_independent"])
            & (c["target_scope"] == "county")
        ]
        rows.append(
            {
                "county": place_name(code, lang),
                "resident": fmt_value(r["resident_population"], "people", lang, with_unit=False),
                "required": "—" if is_missing(r["is_required"]) else nv.text("yes" if r["is_required"] else "no", lang),
                "schools": nv.join(names, lang) or ("无" if lang == "zh" else "none"),
                "plan": nv.join(
                    [
                        indicator_name(x, lang) + f"（{int(t)}年）"
                        if lang == "zh"
                        else f"{indicator_name(x, lang)} ({int(t)})"
                        for x, t in zip(planned["indicator"], planned["target_year"], strict=True)
                    ],
                    lang,
                ),
                "status": bf.status_text(r["is_met"], lang),
                "_flag": r["is_met"],
                "_own": code == p.county,
            }
        )
    frame = pd.DataFrame(rows)
    heads = (
        {
            "county": "县(区)",
            "resident": "常住人口",
            "required": f"人口超过{threshold / 10_000:g}万",
            "schools": "特殊教育学校",
            "plan": "计划要求",
            "status": "达标情况",
        }
        if lang == "zh"
        else {
            "county": "County",
            "resident": "Resident population",
            "required": f"Over {threshold:,.0f}",
            "schools": "Special-education schools",
            "plan": "Plan requires",
            "status": "Status",
        }
    )
    flags = pd.DataFrame({heads["status"]: frame.pop("_flag")})
    own = frame.pop("_own")
    table = frame.rename(columns=heads)
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css[heads["county"]] = np.where(own, "font-weight: 700;", "")
    lines = [sentence(p, "disabled_children_enrollment_pct"), sentence(p, "special_school_coverage_large_county_pct")]
    for code in ("special_school_built", "special_school_independent"):
        r = bf.row(p, code)
        if r.get("target_scope") == "county":
            lines.append(nv.indicator_sentence(r, lang))
    caption = (
        f"计划要求人口超过{threshold / 10_000:g}万的县(区)建有特殊教育学校（加粗为本县）"
        if lang == "zh"
        else f"The plan requires a special-education school in every county of over {threshold:,.0f} people "
        "(bold: this county)"
    )
    return Section(
        _T[lang]["special"],
        [
            bullets(lines),
            styled(table, flags=flags, css=css, caption=caption),
            _county_dots(p, "disabled_children_enrollment_pct"),
        ],
    )


def _plan_targets_text(p: Params, codes: Sequence[str]) -> str:
    """'毛入园率≥95%、…' from the city's targets in the plan's last year (for notes)."""
    c = bf.card(p.baseline_year, p.plan)
    last = c[(c["county_code"] == CITY_CODE) & c["indicator"].isin(codes) & c["target_year"].notna()]
    last = last.sort_values("target_year").drop_duplicates("indicator", keep="last")
    last = last.set_index("indicator").reindex(codes).dropna(subset=["target"])
    gap = "" if p.lang == "zh" else " "
    parts = [f"{indicator_name(code, p.lang)}{gap}{bf.target_text(r.to_dict(), p.lang)}" for code, r in last.iterrows()]
    return nv.join(parts, p.lang)


# --------------------------------------------------------------------------- 义务教育优质均衡


@cache
def _presentation_short() -> dict[str, dict[str, str]]:
    return bf.presentation().get("resource_short", {})


def _short(resource: str, lang: str) -> str:
    return _presentation_short().get(resource, {}).get(lang, indicator_name(resource, lang))


def _resource_rule_text(lang: str) -> str:
    """The 6-of-7 / 85 % rule and how 教学点 are counted, with the numbers of the standards file."""
    rule = std.school_rule()
    floor = f"{rule.floor_ratio * 100:g}%"
    small = f"{std.teaching_point_min_students():g}"
    n = len(RESOURCES)
    joined = std.sites_join_parent()
    if lang == "zh":
        points = (
            "教学点（是否计校数=0）的学生、教师和校舍并入其原校点计算。"
            if joined
            else f"在校生不足{small}人的教学点不参评（河北省口径，标准文件中的选项）。"
        )
        return (
            f"“资源配置达标”指每所学校{n}项指标中至少{rule.min_indicators_met}项达到标准、其余项不低于标准的{floor}"
            f"（教督〔2017〕6号）；{points}"
        )
    points = (
        "the students, teachers and rooms of a teaching point (a site, 是否计校数 = 0) count in its parent school."
        if joined
        else f"teaching points under {small} students are not assessed (Hebei's rule, an option of the standards file)."
    )
    return (
        f"A school part meets the resource rule when at least {rule.min_indicators_met} of the {n} indicators "
        f"reach the standard and the rest reach {floor} of it (教督〔2017〕6号); {points}"
    )


def compulsory_overview(p: Params) -> Section:
    """优质均衡 by dimension (资源配置, 政府保障程度, 教育质量, 社会认可度), the share of school parts meeting
    the rule, and 巩固率; the criteria of the dimensions other than 资源配置 with their evidence."""
    lang = p.lang
    codes = (
        "compulsory_balanced",
        "primary_resource_standard_school_pct",
        "junior_resource_standard_school_pct",
        "primary_resource_failing_school_count",
        "junior_resource_failing_school_count",
        "nine_year_retention_pct",
        "junior_retention_3yr_pct",
    )
    lines = [bf.assessment_line(p, "compulsory_balanced"), *(sentence(p, c) for c in codes[1:])]
    table = bf.indicator_table(p, bf.county_card(p, codes))
    fig = bf.trend_figure(
        p,
        [
            "primary_resource_standard_school_pct",
            "junior_resource_standard_school_pct",
            "nine_year_retention_pct",
            "junior_retention_3yr_pct",
        ],
        columns=4,
    )
    checklist = (
        "政府保障程度、教育质量和社会认可度逐项（学校规模、班额、持证上岗率、巩固率、残疾儿童少年入学率来自统计数据，"
        "其余来自督导评估清单；没有清单的县为“未评估”，不计为达标）："
        if lang == "zh"
        else "Government provision, education quality and public satisfaction item by item (school size, class "
        "size, certification, retention and the disability enrolment rate from the statistics, the rest from "
        "the local checklist; a county without one is “not assessed”, never met):"
    )
    return Section(
        _T[lang]["compulsory"],
        [
            bullets(lines),
            bf.dimension_table(p, "compulsory_balanced"),
            table,
            fig,
            _resource_rule_text(lang),
            checklist,
            bf.criteria_table(p, "compulsory_balanced", ["government", "quality", "recognition"]),
        ],
    )


def compulsory_schools(p: Params) -> Section:
    """The 7 resource indicators of every school part in the county, cells coloured met / not met."""
    lang = p.lang
    lab = LABELS[lang]
    parts = bf.county_parts(p).sort_values(["meets_standard", "stage", "school_name"], na_position="first")
    assessed = parts[parts["is_assessed"].fillna(False)]
    excluded = parts[~parts["is_assessed"].fillna(False)]
    data: dict[str, list[str]] = {
        lab["school"]: assessed["school_name"].tolist(),
        lab["stage"]: [nv.stage_name(s, lang) for s in assessed["stage"]],
        lab["type"]: [nv.school_type_name(s, lang) for s in assessed["school_type"]],
        lab["students"]: [fmt_value(v, "students", lang, with_unit=False) for v in assessed["student_count"]],
    }
    flags = {}
    for code in RESOURCES:
        name = _short(code, lang)
        data[name] = [fmt_value(v, _RESOURCE_UNITS[code], lang, with_unit=False) for v in assessed[code]]
        met = assessed[f"{code}_is_met"]
        flags[name] = met.where(met.eq(False).fillna(False), pd.NA).to_numpy()  # colour only the shortfalls
    n = len(RESOURCES)
    data[lab["met_count"]] = [f"{int(v)}/{n}" if not is_missing(v) else "—" for v in assessed["indicators_met_count"]]
    data[lab["meets"]] = [bf.status_text(v, lang) for v in assessed["meets_standard"]]
    flags[lab["meets"]] = assessed["meets_standard"].to_numpy()
    table = pd.DataFrame(data)
    numbers = [lab["students"], *(_short(c, lang) for c in RESOURCES)]
    styler = styled(table, flags=pd.DataFrame(flags), right=numbers, scroll=True)
    n_fail = int(assessed["meets_standard"].eq(False).fillna(False).sum())
    small = f"{std.teaching_point_min_students():g}"
    joined = std.sites_join_parent()
    if lang == "zh":
        why = "多为并入原校点计算的教学点" if joined else f"多为在校生不足{small}人的教学点"
        line = (
            f"{p.name}{nv.year_label(p.year)}参评学校(学段){len(assessed)}个，资源配置未达标{n_fail}个；"
            f"{len(excluded)}个学段不单独参评（{why}）。橙色=该项未达到标准。"
        )
    else:
        why = (
            "mostly teaching points counted in their parent school"
            if joined
            else f"mostly teaching points under {small} students"
        )
        line = (
            f"{p.name}, {nv.year_label(p.year, lang)}: {len(assessed)} school parts assessed, "
            f"{n_fail} below the resource rule; "
            f"{len(excluded)} parts not assessed on their own ({why}). "
            "Orange = below the standard."
        )
    fig = charts.school_ratio_chart(
        assessed,
        {c: _short(c, lang) for c in RESOURCES},
        floor=std.school_rule().floor_ratio,
        lang=lang,
        stage_names=nv.STAGES[lang],
        note=synthetic_note(lang),
    )
    return Section(_T[lang]["schools"], [line, styler, fig])


def compulsory_failing(p: Params) -> Section:
    """The school parts failing the 6-of-7 / 85 % rule and each indicator they miss, by how much."""
    lang = p.lang
    lab = LABELS[lang]
    rule = std.school_rule()
    floor = f"{rule.floor_ratio * 100:g}%"
    parts = bf.county_parts(p)
    g = bf.county_school_gaps(p)
    failing = parts[parts["meets_standard"].eq(False).fillna(False)]
    if failing.empty:
        text = (
            f"{p.name}{nv.year_label(p.year)}所有参评学校(学段)均达到资源配置要求。"
            if lang == "zh"
            else f"Every assessed school part in {p.name} meets the resource rule at the {nv.year_label(p.year, lang)}."
        )
        below = g[g["county_code"] == p.county]
        if len(below):
            text += (
                f"仍有{below['school_id'].nunique()}所学校个别指标低于标准（但在{floor}以上）。"
                if lang == "zh"
                else f" {below['school_id'].nunique()} schools still have single indicators below the standard "
                f"(but above {floor} of it)."
            )
        return Section(_T[lang]["failing"], [text])
    keys = set(zip(failing["school_id"], failing["stage"], strict=True))
    rows = g[[k in keys for k in zip(g["school_id"], g["stage"], strict=True)]]
    rows = rows.sort_values(["school_name", "stage", "to_threshold"])
    records = rows.to_dict("records")
    share = "达到标准的比例" if lang == "zh" else "Share of standard"
    table = pd.DataFrame(
        {
            lab["school"]: [r["school_name"] for r in records],
            lab["stage"]: [nv.stage_name(r["stage"], lang) for r in records],
            lab["indicator"]: [_short(r["indicator"], lang) for r in records],
            lab["value"]: [
                fmt_value(r["value"], _RESOURCE_UNITS[r["indicator"]], lang, with_unit=False, thresholds=r["threshold"])
                for r in records
            ],
            lab["threshold"]: [
                fmt_value(r["threshold"], _RESOURCE_UNITS[r["indicator"]], lang, with_unit=False) for r in records
            ],
            share: [f"{r['to_threshold'] * 100:.0f}%" for r in records],
            lab["needed"]: [_addition(r, lang) for r in records],
        }
    )
    floor_flags = pd.DataFrame({share: [r["is_above_floor"] for r in records]})
    n = len(keys)
    line = (
        f"{p.name}{nv.year_label(p.year)}有{n}个学校(学段)未达到“{rule.min_indicators_met}项达标、余项不低于{floor}”的要求，"
        f"下表列出其低于标准的指标（橙色为低于标准{floor}）及需增加的资源（共享设施按学段分摊后折算到全校）。"
        if lang == "zh"
        else f"{n} school parts in {p.name} fail the “{rule.min_indicators_met} of {len(RESOURCES)}, rest ≥ {floor}” "
        f"rule at the {nv.year_label(p.year, lang)}; below are the indicators they miss "
        f"(orange: under {floor} of the standard) and what "
        "the school would need to add."
    )
    return Section(
        _T[lang]["failing"],
        [line, styled(table, flags=floor_flags, right=[lab["value"], lab["threshold"]], scroll=True)],
    )


def _addition(r: dict, lang: str) -> str:
    """What one school must add: 9人 / 865.50m²; in English the unit goes first (865.50 m² of …)."""
    amount = float(r["addition"])
    shown = f"{amount:,.0f}" if r["is_integer"] else f"{amount:,.2f}"
    if lang == "zh":
        return f"{shown}{bf.resource_unit(str(r['resource_zh']))}"
    name = str(r["resource_en"])
    unit = bf.resource_unit(name)
    return f"{shown} {unit} of {name.split(' (')[0]}" if unit else f"{shown} {name}"


def compulsory_cv(p: Params) -> Section:
    """The 14 差异系数 (7 indicators × 小学 / 初中) against their thresholds (0.50 / 0.45)."""
    lang = p.lang
    lab = LABELS[lang]
    b = bf.base()
    crit = b.criteria[
        (b.criteria["county_code"] == p.county)
        & (b.criteria["year"] == p.year)
        & (b.criteria["assessment"] == "compulsory_balanced")
        & b.criteria["criterion"].str.endswith("_cv")
    ]
    panels = {}
    rows = []
    for stage in ("primary", "junior"):
        part = crit[crit["criterion"].str.startswith(stage + "_")]
        labels = [_short(c.removeprefix(stage + "_").removesuffix("_cv"), lang) for c in part["criterion"]]
        panels[nv.stage_name(stage, lang)] = pd.DataFrame(
            {
                "label": labels,
                "value": part["value"].astype(float).to_numpy(),
                "reference": part["threshold"].astype(float).to_numpy(),
            }
        )
        for label, r in zip(labels, part.to_dict("records"), strict=True):
            rows.append(
                {
                    lab["stage"]: nv.stage_name(stage, lang),
                    lab["indicator"]: label,
                    lab["value"]: fmt_value(r["value"], "CV", lang, thresholds=r["threshold"]),
                    lab["threshold"]: f"≤{r['threshold']:.2f}",
                    lab["status"]: bf.status_text(r["is_met"], lang),
                    "_f": r["is_met"],
                }
            )
    table = pd.DataFrame(rows)
    flags = pd.DataFrame({lab["status"]: table.pop("_f")})
    fig = charts.reference_bars(
        panels,
        direction="lower",
        unit="CV",
        lang=lang,
        note=synthetic_note(lang),
        reference_label="差异系数上限" if lang == "zh" else "CV limit",
    )
    worst = crit.assign(r=crit["value"].astype(float) / crit["threshold"].astype(float)).sort_values("r").tail(1)
    lines = []
    n_bad = int(crit["is_met"].eq(False).fillna(False).sum())
    if len(worst):
        w = worst.iloc[0]
        stage = "primary" if w["criterion"].startswith("primary") else "junior"
        name = _short(w["criterion"].removeprefix(stage + "_").removesuffix("_cv"), lang)
        lines.append(
            f"{p.name}{nv.year_label(p.year)}14项校际差异系数中超过上限的有{n_bad}项；"
            f"最接近上限的是{nv.stage_name(stage, lang)}"
            f"“{name}”，为{w['value']:.3f}（上限{w['threshold']:.2f}）。"
            if lang == "zh"
            else f"{p.name}, {nv.year_label(p.year, lang)}: {n_bad} of the 14 coefficients of variation exceed "
            "the limit; the closest to its "
            f"limit is {nv.stage_name(stage, lang).lower()} “{name}” at {w['value']:.3f} (limit {w['threshold']:.2f})."
        )
    return Section(_T[lang]["cv"], [bullets(lines), styled(table, flags=flags, right=[lab["value"]]), fig])


def compulsory_size(p: Params) -> Section:
    """Schools above the size cap and schools with 超标准班额 / 大班额 classes."""
    lang = p.lang
    lab = LABELS[lang]
    size_cap, class_cap = std.school_size_caps(), std.class_size_caps()
    sizes = bf.result_rows("school_sizes", county=p.county, year=p.year)
    flagged = sizes[sizes["has_size_problem"].fillna(False).to_numpy(dtype=bool)].sort_values(
        "student_count", ascending=False
    )
    lines = [
        sentence(p, c)
        for c in (
            "compulsory_school_over_size_cap_count",
            "compulsory_oversize_class_count",
            "compulsory_oversize_class_pct",
            "compulsory_large_class_count",
        )
    ]
    rule = (
        f"标准：学校规模小学、初中不超过{size_cap['primary']:,.0f}人，九年一贯制不超过{size_cap['nine_year']:,.0f}人；"
        f"班额小学不超过{class_cap['primary']:.0f}人、初中不超过{class_cap['junior']:.0f}人；56人及以上为大班额。"
        if lang == "zh"
        else f"Norms: at most {size_cap['primary']:,.0f} students per primary or junior school, "
        f"{size_cap['nine_year']:,.0f} per nine-year school; classes at most {class_cap['primary']:.0f} (primary) "
        f"and {class_cap['junior']:.0f} (junior); 56 or more is a large class."
    )
    items: list[Any] = [bullets(lines), rule]
    if len(flagged):
        records = flagged.to_dict("records")
        over = "超标准班额班级" if lang == "zh" else "Oversize classes"
        large = "大班额班级" if lang == "zh" else "Classes of 56+"
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["type"]: [nv.school_type_name(r["school_type"], lang) for r in records],
                lab["students"]: [fmt_value(r["student_count"], "students", lang, with_unit=False) for r in records],
                ("规模上限" if lang == "zh" else "Size cap"): [
                    fmt_value(r["size_cap"], "students", lang, with_unit=False) for r in records
                ],
                over: [_count_cell(r["oversize_class_count"], lang) for r in records],
                large: [_count_cell(r["large_class_count"], lang) for r in records],
            }
        )
        flags = pd.DataFrame(
            {  # orange marks what put the school on this list
                lab["students"]: [False if r["is_over_size_cap"] is True else pd.NA for r in records],
                over: [
                    False if not is_missing(r["oversize_class_count"]) and r["oversize_class_count"] > 0 else pd.NA
                    for r in records
                ],
                large: [
                    False if not is_missing(r["large_class_count"]) and r["large_class_count"] > 0 else pd.NA
                    for r in records
                ],
            }
        )
        items.append(styled(table, flags=flags, right=list(table.columns[2:]), scroll=True))
    else:
        items.append(
            f"{p.name}{nv.year_label(p.year)}没有超规模学校，也没有超标准班额或大班额。"
            if lang == "zh"
            else f"No school in {p.name} exceeds the size cap or has oversize classes at the "
            f"{nv.year_label(p.year, lang)}."
        )
    return Section(_T[lang]["size"], items)


def compulsory_gap_estimates(p: Params) -> Section:
    """What it would take for every school part to meet each indicator: additions by 学段 and resource."""
    lang = p.lang
    lab = LABELS[lang]
    summary = bf.result_rows("resource_gaps_by_stage", county=p.county, year=p.year)  # stored in the build
    summary = summary[summary["addition"] > 0]
    if summary.empty:
        return Section(
            _T[lang]["estimates"],
            [
                f"{p.name}{nv.year_label(p.year)}所有参评学校各项资源指标均已达到标准，无需新增。"
                if lang == "zh"
                else f"Every assessed school part in {p.name} reaches every resource standard at the "
                f"{nv.year_label(p.year, lang)}; nothing to add."
            ],
        )
    records = summary.to_dict("records")
    table = pd.DataFrame(
        {
            lab["stage"]: [nv.stage_name(r["stage"], lang) for r in records],
            ("资源" if lang == "zh" else "Resource"): [
                r["resource_zh"] if lang == "zh" else r["resource_en"] for r in records
            ],
            ("需增加" if lang == "zh" else "To add"): [
                f"{float(r['addition']):,.0f}"
                if float(r["addition"]) >= 100
                else f"{float(r['addition']):,.2f}".rstrip("0").rstrip(".")
                for r in records
            ],
            ("涉及学校(学段)" if lang == "zh" else "School parts below"): [
                str(int(r["school_parts_below_count"])) for r in records
            ],
        }
    )
    totals = bf.result_rows("resource_gaps", county=p.county, year=p.year)
    totals = totals[totals["addition"] > 0]
    line = bf.assessment_gap_line(p, "compulsory_balanced") or (
        "让每所参评学校每项指标都达到标准，需："
        f"{nv.join([bf.resource_addition(r, lang) for r in totals.itertuples()], lang)}。"
        if lang == "zh"
        else f"For every assessed school part to reach every standard: "
        f"{nv.join([bf.resource_addition(r, lang) for r in totals.itertuples()], lang)}."
    )
    note = (
        "估算为最小增量：教师按学段计；共享设施（面积、设备、多媒体教室）按学段分摊，一贯制学校按需求最大的学段计一次。"
        if lang == "zh"
        else "Minimum additions: teachers per 学段; shared facilities (areas, equipment, classrooms) are split "
        "between a "
        "school's parts and counted once, for the part that needs most."
    )
    return Section(_T[lang]["estimates"], [line, styled(table, right=[table.columns[2]]), note])


# --------------------------------------------------------------------------- 普通高中


def high_school_enrolment(p: Params) -> Section:
    """高中阶段毛入学率 year by year against 93.5 % / 94 % / 95 %, with the trend and county comparison."""
    lang = p.lang
    code = "senior_gross_enrollment_pct"
    lines = [sentence(p, code, year=y) for y in bf.available_years() if y <= p.year]
    fig = bf.trend_figure(p, [code], columns=1)
    return Section(_T[lang]["senior"], [bullets(lines), _year_table(p, [code]), fig, _county_dots(p, code)])


def high_school_quality(p: Params) -> Section:
    """省一级高完中 (and 一等), 托管帮扶 and 民办高中: the county's count and its prefecture's against the targets."""
    lang = p.lang
    prefecture = bf.page_prefecture(p)
    c = bf.card(p.baseline_year, p.plan)
    codes = (
        "provincial_first_class_high_school_count",
        "provincial_first_class_first_grade_high_school_count",
        "private_high_school_count",
    )
    contribution = _contribution_table(p, codes)
    trustee = bf.result_rows("high_school_trusteeship", county=p.county, year=p.year)
    if len(trustee) and not is_missing(trustee["trusteeship_high_school_count"].iloc[0]):
        count = int(trustee["trusteeship_high_school_count"].iloc[0])
        trustee_line = (
            f"{p.name}{nv.year_label(p.year)}纳入托管帮扶的普通高中{count}所。"
            if lang == "zh"
            else f"{p.name}: {count} high schools under trusteeship support at the {nv.year_label(p.year, lang)}."
        )
    else:
        reason = trustee["na_reason"].iloc[0] if len(trustee) else "missing ledger"
        trustee_line = (
            f"{p.name}{nv.year_label(p.year)}纳入托管帮扶的普通高中：{nv.na_text(reason, lang)}。"
            if lang == "zh"
            else f"{p.name}: high schools under trusteeship support at the {nv.year_label(p.year, lang)}: "
            f"{nv.na_text(reason, lang)}."
        )
    lines = [
        sentence(p, "provincial_first_class_high_school_count"),
        sentence(p, "provincial_first_class_high_school_count", county=prefecture),
        trustee_line,
        sentence(p, "high_school_trusteeship_coverage_pct", county=prefecture),
        sentence(p, "private_high_school_count"),
    ]
    named = c[
        (c["indicator"] == "private_high_school_count")
        & (c["target_scope"] == "county")
        & (c["year"] == c["target_year"])
    ]
    for r in named.to_dict("records"):
        lines.append(nv.indicator_sentence(r, lang, with_change=False))
    table = _all_counties_table(
        p,
        [
            "provincial_first_class_high_school_count",
            "provincial_first_class_first_grade_high_school_count",
            "high_school_trusteeship_coverage_pct",
            "private_high_school_count",
        ],
    )
    return Section(_T[lang]["hs_quality"], [bullets(lines), contribution, table])


def _contribution_table(p: Params, codes: Sequence[str]) -> Any:
    """County count, city total, city target and progress for indicators whose target is city-wide.

    Outside the plan's region the city is the county's own prefecture (昆明市合计, 本县占昆明市) and the
    target columns give way to a caption saying the plan's targets are 临沧's."""
    from lcedu.measure.gaps import city_target_contributions

    lang = p.lang
    lab = dict(LABELS[lang])
    contributions = city_target_contributions(bf.card(p.baseline_year, p.plan), p.county, p.year, codes)
    if contributions.empty:
        return None
    own = bf.in_plan_region(p)
    if not own:
        where = bf.prefecture_word(p)
        lab.update(
            {"city_total": f"{where}合计", "county_share": f"本县占{where}"}
            if lang == "zh"
            else {"city_total": f"{where} total", "county_share": f"County share of {where}"}
        )
    rows = []
    for t in contributions.to_dict("records"):
        unit = str(t["unit"])
        rows.append(
            {
                lab["indicator"]: indicator_name(t["indicator"], lang),
                place_name(p.county, lang): fmt_value(t["county_value"], unit, lang),
                lab["city_total"]: fmt_value(t["value"], unit, lang, thresholds=nv.row_thresholds(t)),
                lab["county_share"]: nv.percent(t["county_share"], lang),
                **(
                    {
                        lab["target"]: bf.target_text(t, lang)
                        + (f" {bf.SCOPE_WORDS[lang]['city']}" if lang == "zh" else ""),
                        lab["progress"]: nv.percent(t["city_progress"], lang, 0),
                        lab["status"]: bf.status_text(t["is_met"], lang),
                    }
                    if own
                    else {}
                ),
            }
        )
    table = pd.DataFrame(rows)
    if not own:
        return styled(table, right=list(table.columns[1:]), caption=bf.no_targets_note(p))
    flags = pd.DataFrame({lab["status"]: contributions["is_met"].to_numpy()})
    return styled(table, flags=flags, right=list(table.columns[1:5]))


def _all_counties_table(p: Params, codes: Sequence[str]) -> Any:
    """The counties of the county's prefecture and its total (rows) on a few indicators (columns) for
    p.year; this county bold."""
    lang = p.lang
    c = bf.card(p.baseline_year, p.plan)
    rows = c[(c["year"] == p.year) & c["indicator"].isin(codes)]
    order = [*bf.peer_codes(p), bf.page_prefecture(p)]
    data: dict[str, list[str]] = {LABELS[lang]["county"]: [place_name(x, lang) for x in order]}
    for code in codes:
        r = rows[rows["indicator"] == code].set_index("county_code").reindex(order)
        data[indicator_name(code, lang)] = [fmt_value(v, nv.indicator_unit(code), lang) for v in r["value"]]
    table = pd.DataFrame(data)
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css.loc[[i for i, x in enumerate(order) if x == p.county], :] = "font-weight: 700; background-color: #eef3f8;"
    caption = (
        f"{_T[lang]['by_county']}（{nv.year_label(p.year)}）"
        if lang == "zh"
        else f"{_T[lang]['by_county']} ({nv.year_label(p.year, lang)})"
    )
    return styled(table, css=css, right=list(table.columns[1:]), caption=caption)


# --------------------------------------------------------------------------- 现代职业教育


def vocational_county(p: Params) -> Section:
    """双师型 share and the vocational schools of the county (the only county-level vocational data)."""
    lang = p.lang
    lab = LABELS[lang]
    schools = bf.result_rows("vocational_schools", county=p.county, year=p.year)
    lines = [sentence(p, "dual_qualified_teacher_pct"), sentence(p, "vocational_school_built")]
    items: list[Any] = [bullets(lines)]
    target = bf.row(p, "dual_qualified_teacher_pct")
    if len(schools):
        records = schools.to_dict("records")
        share_col = "双师型占专业课教师" if lang == "zh" else "Dual-qualified share"
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["students"]: [fmt_value(r["student_count"], "students", lang, with_unit=False) for r in records],
                ("专任教师" if lang == "zh" else "Full-time teachers"): [
                    fmt_value(r["full_time_teacher_count"], "people", lang, with_unit=False) for r in records
                ],
                ("专业课教师" if lang == "zh" else "Vocational-subject teachers"): [
                    fmt_value(r["vocational_subject_teacher_count"], "people", lang, with_unit=False) for r in records
                ],
                ("双师型教师" if lang == "zh" else "Dual-qualified"): [
                    fmt_value(r["dual_qualified_teacher_count"], "people", lang, with_unit=False) for r in records
                ],
                share_col: [_pct_text(r["dual_qualified_pct"], lang) for r in records],
            }
        )
        met = std.meets(
            schools["dual_qualified_pct"].to_numpy(dtype=float, na_value=np.nan),
            np.nan if is_missing(target.get("target")) else float(target["target"]),
            target.get("comparison"),
            not is_missing(target.get("strict")) and bool(target["strict"]),
        )
        flags = pd.DataFrame({share_col: pd.array(met, dtype="Float64").astype("boolean")})
        items.append(styled(table, flags=flags, right=list(table.columns[1:])))
    items.append(bf.trend_figure(p, ["dual_qualified_teacher_pct"], columns=1))
    return Section(_T[lang]["voc_county"], items)


VOCATIONAL_CITY = (
    "vocational_employment_rate_pct",
    "vocational_school_compliance_pct",
    "higher_vocational_student_count",
    "city_industry_education_consortium_count",
    "industry_education_community_count",
    "provincial_quality_vocational_school_new_count",
    "quality_vocational_major_new_count",
    "dual_qualified_teacher_pct",
)


def vocational_city(p: Params) -> Section:
    """就业率, 办学条件达标, 高职规模 and 产教融合: only city-level data exists, and the section says so.

    The city is the county's own prefecture; outside the plan's region (a county of 昆明) the section says
    the plan's targets are 临沧's, and draws none of them."""
    lang = p.lang
    prefecture = bf.page_prefecture(p)
    own = bf.in_plan_region(p)
    title, intro = (
        _T[lang]["voc_city"],
        (
            "**以下指标只有全市数据（来自全市汇总表），不分县(区)。**"
            if lang == "zh"
            else "**The indicators below exist only for the city as a whole (city summary table), not by county.**"
        ),
    )
    if not own:
        where = bf.prefecture_word(p)
        title = (
            f"{where}职业教育（州(市)层面数据）"
            if lang == "zh"
            else f"Vocational education ({where}, prefecture-level data)"
        )
        intro = (
            f"**以下指标只有{where}数据（来自州(市)汇总表），不分县(区)。**{bf.no_targets_note(p)}"
            if lang == "zh"
            else f"**The indicators below exist only for {where} as a whole (prefecture summary table), not by "
            f"county.** {bf.no_targets_note(p)}"
        )
    lines = [sentence(p, code, county=prefecture) for code in VOCATIONAL_CITY[:5]]
    rows = bf.county_card(p, VOCATIONAL_CITY, county=prefecture)
    table = bf.indicator_table(p, rows, with_rank=False)
    series, _ = bf.trend_series(p, VOCATIONAL_CITY[:4])
    c = bf.card(p.baseline_year, p.plan)
    targets = c[
        (c["county_code"] == prefecture)
        & c["indicator"].isin(VOCATIONAL_CITY[:4])
        & (c["target_year"] == c["year"])
        & (c["year"] <= p.year)
    ][["indicator", "year", "target"]]
    fig = charts.trend_panels(
        series,
        VOCATIONAL_CITY[:4],
        highlight=prefecture,
        targets=targets.astype({"target": float}),
        lang=lang,
        columns=4,
        others=False,
        note=synthetic_note(lang),
    )
    return Section(title, [intro, bullets(lines), table, fig])


# --------------------------------------------------------------------------- 强师兴校


_QUALIFICATION_NAMES = {
    "zh": ("研究生", "本科", "专科", "专科以下"),
    "en": ("Postgraduate", "Bachelor", "Associate", "Below associate"),
}


def teacher_qualifications(p: Params) -> Section:
    """学历 structure of full-time teachers by 学段, and the rural 本科 share against 86 %."""
    lang = p.lang
    lab = LABELS[lang]
    q = bf.result_rows("teacher_qualifications", county=p.county, year=p.year).set_index("stage")
    order = [s for s in ("kindergarten", "primary", "junior", "senior", "vocational", "special") if s in q.index]
    q = q.reindex(order)
    names = _QUALIFICATION_NAMES[lang]
    table = pd.DataFrame({lab["stage"]: [nv.stage_name(s, lang) for s in order]})
    for col, name in zip(QUALIFICATION_COLUMNS, names, strict=True):
        share = col.removesuffix("_count") + "_share_pct"
        table[name] = [
            f"{fmt_value(v, 'people', lang, with_unit=False)}（{_pct_text(s, lang)}）"
            if lang == "zh"
            else f"{fmt_value(v, 'people', lang, with_unit=False)} ({_pct_text(s, lang)})"
            for v, s in zip(q[col], q[share], strict=True)
        ]
    shares = q[[c.removesuffix("_count") + "_share_pct" for c in QUALIFICATION_COLUMNS]].astype(float)
    chart_frame = shares.set_axis(list(names), axis=1).set_axis([nv.stage_name(s, lang) for s in order], axis=0)
    title = (
        f"{p.name}{nv.year_label(p.year)}专任教师学历结构"
        if lang == "zh"
        else f"{p.name}: teacher qualifications, {nv.year_label(p.year, lang)}"
    )
    fig = charts.stacked_shares(chart_frame.iloc[::-1], lang=lang, title=title, note=synthetic_note(lang))
    lines = [sentence(p, "rural_compulsory_teacher_bachelor_pct")]
    return Section(
        _T[lang]["qualifications"],
        [
            bullets(lines),
            styled(table, right=list(names)),
            fig,
            bf.trend_figure(p, ["rural_compulsory_teacher_bachelor_pct"], columns=1),
        ],
    )


FAMOUS = (
    "famous_principal_count",
    "principal_studio_count",
    "famous_head_teacher_count",
    "famous_teacher_count",
    "famous_student_count",
)


def teacher_famous(p: Params) -> Section:
    """名校长 / 名班主任 / 名教师 / 名学生: the county's count and its prefecture's against the 2025 targets."""
    lang = p.lang
    lines = [sentence(p, code, county=bf.page_prefecture(p)) for code in FAMOUS]
    table = _contribution_table(p, [*FAMOUS, "talent_recruited_count"])
    intro = (
        "“四名工程”目标为全市目标，下表给出本县人数、全市合计及全市完成度。"
        if lang == "zh"
        else "The “four famous” targets are city-wide: the table gives the county's count, the city total and the "
        "city's progress."
    )
    if not bf.in_plan_region(p):
        where = bf.prefecture_word(p)
        intro = (
            f"下表给出本县人数及{where}合计。{bf.no_targets_note(p)}"
            if lang == "zh"
            else f"The table gives the county's count and the {where} total. {bf.no_targets_note(p)}"
        )
    return Section(_T[lang]["famous"], [intro, table, bullets(lines)])


def teacher_staffing(p: Params) -> Section:
    """Students per 教职工 against the 编制 norms (小学 1:19, 初中 1:13.5, 高中 1:12.5) and 生师比."""
    lang = p.lang
    lab = LABELS[lang]
    norms = std.load_staffing_norms()["staff_student_ratio"]
    staffing = bf.result_rows("staffing_against_norms", county=p.county, year=p.year)
    per_staff_col = "学生/教职工" if lang == "zh" else "Students per staff"
    difference_col = "差额" if lang == "zh" else "Difference"
    rows, panel = [], []
    for r in staffing.to_dict("records"):
        stage = str(r["stage"])
        rows.append(
            {
                lab["stage"]: nv.stage_name(stage, lang),
                lab["students"]: fmt_value(r["student_count"], "students", lang, with_unit=False),
                ("教职工" if lang == "zh" else "Staff"): fmt_value(r["staff_count"], "people", lang, with_unit=False),
                ("专任教师" if lang == "zh" else "Full-time teachers"): fmt_value(
                    r["full_time_teacher_count"], "people", lang, with_unit=False
                ),
                ("生师比(学生/专任教师)" if lang == "zh" else "Students per teacher"): fmt_value(
                    r["students_per_teacher"], "students per teacher", lang, with_unit=False
                ),
                per_staff_col: fmt_value(r["students_per_staff"], "students per staff member", lang, with_unit=False),
                ("编制标准" if lang == "zh" else "Staffing norm"): f"1:{float(r['norm_students_per_staff']):g}",
                ("按标准应配教职工" if lang == "zh" else "Staff required by norm"): fmt_value(
                    r["staff_required"], "people", lang, with_unit=False
                ),
                difference_col: "—" if is_missing(r["staff_difference"]) else f"{float(r['staff_difference']):+,.0f}",
            }
        )
        panel.append(
            {
                "label": nv.stage_name(stage, lang),
                "value": np.nan if is_missing(r["students_per_staff"]) else float(r["students_per_staff"]),
                "reference": float(r["norm_students_per_staff"]),
                "is_met": r["is_within_norm"],
            }
        )
    table = pd.DataFrame(rows)
    difference = staffing["staff_difference"].to_numpy(dtype=float, na_value=np.nan)
    flags = pd.DataFrame(
        {
            per_staff_col: staffing["is_within_norm"].to_numpy(),
            difference_col: pd.array(np.where(np.isnan(difference), np.nan, difference >= 0), dtype="Float64").astype(
                "boolean"
            ),
        }
    )
    fig = charts.reference_bars(
        {("每名教职工对应学生数" if lang == "zh" else "Students per staff member"): pd.DataFrame(panel)},
        direction="lower",
        unit="students per staff member",
        lang=lang,
        reference_label="编制标准" if lang == "zh" else "Staffing norm",
        note=synthetic_note(lang),
    )
    short = [r[lab["stage"]] for r, f in zip(rows, flags.iloc[:, 0], strict=True) if not is_missing(f) and not f]
    note = (
        f"编制标准为教职工与学生比（{norms['document']}），与生师比（在校生÷专任教师）是两个口径，分列显示。"
        + (f"按标准，{nv.join(short, lang)}教职工不足。" if short else "各学段教职工均达到编制标准。")
        if lang == "zh"
        else f"The norm is staff to students ({norms['document']}); the student–teacher ratio (students ÷ full-time "
        "teachers) is a different measure and shown apart. "
        + (f"By the norm, {nv.join(short, lang)} are short of staff." if short else "Every stage meets the norm.")
    )
    return Section(_T[lang]["staffing"], [note, styled(table, flags=flags, right=list(table.columns[1:])), fig])


def teacher_shortage(p: Params) -> Section:
    """Schools with no PE, music or art teacher (primary and junior school parts)."""
    lang = p.lang
    lab = LABELS[lang]
    per_school = bf.result_rows("subject_teachers", county=p.county, year=p.year)
    summary_rows = bf.result_rows("subject_teacher_summary", county=p.county, year=p.year)  # stored in the build
    subjects = {
        "pe_teacher_count": ("体育", "PE"),
        "music_teacher_count": ("音乐", "Music"),
        "art_teacher_count": ("美术", "Art"),
    }
    summary = pd.DataFrame(
        [
            {
                lab["type"]: nv.school_type_name(str(r["school_type"]), lang),
                ("学校数" if lang == "zh" else "Schools"): str(int(r["school_count"])),
                **{
                    (f"无{zh}教师" if lang == "zh" else f"No {en} teacher"): str(
                        int(r[f"lacks_{col.removesuffix('_count')}_count"])
                    )
                    for col, (zh, en) in subjects.items()
                },
            }
            for r in summary_rows.to_dict("records")
        ]
    )
    lacking = {col: int(summary_rows[f"lacks_{col.removesuffix('_count')}_count"].sum()) for col in subjects}
    any_missing = per_school["lacks_any"].fillna(False).to_numpy(dtype=bool)
    is_point = (per_school["school_type"] == "teaching_point").to_numpy(dtype=bool, na_value=False)
    listed = per_school[any_missing & ~is_point]
    n_points = int((any_missing & is_point).sum())
    lines = [
        (
            f"{p.name}{nv.year_label(p.year)}中小学（含教学点）中，缺体育教师的{lacking['pe_teacher_count']}所、"
            f"缺音乐教师的{lacking['music_teacher_count']}所、缺美术教师的{lacking['art_teacher_count']}所"
            f"（其中教学点{n_points}所，多由中心校走教）。"
            if lang == "zh"
            else f"{p.name}, {nv.year_label(p.year, lang)}: {lacking['pe_teacher_count']} primary/junior schools "
            "(incl. teaching points) "
            f"have no PE teacher, {lacking['music_teacher_count']} no music teacher and "
            f"{lacking['art_teacher_count']} no art teacher ({n_points} of them teaching points)."
        ),
        sentence(p, "talent_recruited_count"),
    ]
    items: list[Any] = [bullets(lines), styled(summary, right=list(summary.columns[1:]))]
    if len(listed):
        records = listed.to_dict("records")
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["type"]: [nv.school_type_name(r["school_type"], lang) for r in records],
                **{
                    (zh if lang == "zh" else en): [_count_cell(r[col], lang) for r in records]
                    for col, (zh, en) in subjects.items()
                },
            }
        )
        flags = pd.DataFrame(
            {
                (zh if lang == "zh" else en): [None if is_missing(r[col]) else r[col] > 0 for r in records]
                for col, (zh, en) in subjects.items()
            }
        )
        caption = (
            "缺少体育、音乐或美术教师的学校（不含教学点；橙色为0人）"
            if lang == "zh"
            else "Schools missing a PE, music or art teacher (teaching points not listed; orange = none)"
        )
        items.append(styled(table, flags=flags, caption=caption, scroll=True))
    return Section(_T[lang]["shortage"], items)


def _pct_text(value: Any, lang: str) -> str:
    """12.3% (a value already in per cent), or — when missing."""
    return nv.text("na_short", lang) if is_missing(value) else f"{float(value):.1f}%"


def _count_cell(v: Any, lang: str) -> str:
    return nv.text("na_short", lang) if is_missing(v) else f"{int(v)}"


# --------------------------------------------------------------------------- 教育数字化与平安校园


def digital(p: Params) -> Section:
    """数字教室 against 20 % / 60 % / 100 % and 全光纤校园网 against 100 %."""
    lang = p.lang
    codes = ("digital_classroom_coverage_pct", "fiber_campus_network_coverage_pct")
    lines = [sentence(p, c) for c in codes]
    lines += [
        x for x in [_outside_line(p, "fiber_campus_network_coverage_pct", "fiber_campus_network_site_count")] if x
    ]
    fig = bf.trend_figure(p, codes, columns=2)
    return Section(
        _T[lang]["digital"],
        [bullets(lines), _year_table(p, codes), fig, _county_dots(p, "digital_classroom_coverage_pct")],
    )


def _outside_line(p: Params, rate: str, sites: str) -> str:
    """Words like "尚未接入的学校1所；另有教学点(校点)3个（不计校数）": schools from the rate's stored numerator and
    denominator (是否计校数 = 1 only), 教学点 from their own stored count, never added together."""
    r, s = bf.row(p, rate), bf.row(p, sites)
    if is_missing(r.get("numerator")) or is_missing(r.get("denominator")):
        return nv.na_text(r.get("na_reason"), p.lang)
    schools = int(round(float(r["denominator"]) - float(r["numerator"])))
    points = None if is_missing(s.get("value")) else int(round(float(s["value"])))
    if schools == 0 and not points:
        return ""  # nothing left: the rate's sentence says it
    word = {"fiber_campus_network_coverage_pct": ("尚未接入全光纤校园网", "not yet on an all-fibre network"),
            "safe_campus_rate_pct": ("尚未创建“平安校园”", "not yet safe campuses")}[rate]  # fmt: skip
    if p.lang == "zh":
        tail = f"；另有教学点(校点){points}个{word[0]}（校点不计校数）" if points else ""
        return f"{word[0]}的学校{schools}所{tail}。"
    tail = f"; besides, {points} teaching points (sites, not counted as schools)" if points else ""
    return f"{schools} schools are {word[1]}{tail}."


def safety(p: Params) -> Section:
    """平安校园 创建率 against 60 % (2023) and 100 % (2024 on), and the schools not yet created."""
    lang = p.lang
    lab = LABELS[lang]
    code = "safe_campus_rate_pct"
    campus = bf.result_rows("campus_status", county=p.county, year=p.year)
    not_safe = campus[campus["is_safe_campus"].eq(False).fillna(False).to_numpy(dtype=bool)]
    by_type = not_safe[not_safe["school_type"] != "teaching_point"].groupby("school_type").size()
    lines = [x for x in (sentence(p, code), _outside_line(p, code, "safe_campus_site_count")) if x]
    if len(by_type):
        parts = [
            f"{nv.school_type_name(str(k), lang)}{v}所" if lang == "zh" else f"{v} {nv.school_type_name(str(k), lang)}"
            for k, v in by_type.items()
        ]
        lines.append(
            ("其中：" if lang == "zh" else "Of which: ") + nv.join(parts, lang) + ("。" if lang == "zh" else ".")
        )
    items: list[Any] = [bullets(lines), _year_table(p, [code]), bf.trend_figure(p, [code], columns=1)]
    if len(not_safe):
        records = not_safe.sort_values(["school_type", "school_name"]).to_dict("records")
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["type"]: [nv.school_type_name(r["school_type"], lang) for r in records],
            }
        )
        items.append(styled(table, scroll=True))
    return Section(_T[lang]["safety"], items)
