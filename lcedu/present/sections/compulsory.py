"""义务教育优质均衡: the overview, every school's 7 resource indicators, schools below the standard,
the inter-school CVs, large schools and classes, and the resources needed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from lcedu.measure import standards as std
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
from lcedu.present.narrative import fmt_value, indicator_name, is_missing
from lcedu.present.sections.common import RESOURCE_UNITS, RESOURCES, TITLES, count_cell


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
        TITLES[lang]["compulsory"],
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
        data[name] = [fmt_value(v, RESOURCE_UNITS[code], lang, with_unit=False) for v in assessed[code]]
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
    return Section(TITLES[lang]["schools"], [line, styler, fig])


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
        return Section(TITLES[lang]["failing"], [text])
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
                fmt_value(r["value"], RESOURCE_UNITS[r["indicator"]], lang, with_unit=False, thresholds=r["threshold"])
                for r in records
            ],
            lab["threshold"]: [
                fmt_value(r["threshold"], RESOURCE_UNITS[r["indicator"]], lang, with_unit=False) for r in records
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
        TITLES[lang]["failing"],
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
    return Section(TITLES[lang]["cv"], [bullets(lines), styled(table, flags=flags, right=[lab["value"]]), fig])


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
                over: [count_cell(r["oversize_class_count"], lang) for r in records],
                large: [count_cell(r["large_class_count"], lang) for r in records],
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
    return Section(TITLES[lang]["size"], items)


def compulsory_gap_estimates(p: Params) -> Section:
    """What it would take for every school part to meet each indicator: additions by 学段 and resource."""
    lang = p.lang
    lab = LABELS[lang]
    summary = bf.result_rows("resource_gaps_by_stage", county=p.county, year=p.year)  # stored in the build
    summary = summary[summary["addition"] > 0]
    if summary.empty:
        return Section(
            TITLES[lang]["estimates"],
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
    return Section(TITLES[lang]["estimates"], [line, styled(table, right=[table.columns[2]]), note])
