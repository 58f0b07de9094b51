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
from lcedu.present.words import word


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
    points = (
        word("sections.rule_points_joined", lang) if joined else word("sections.rule_points_small", lang, small=small)
    )
    return word("sections.resource_rule", lang, n=n, min_met=rule.min_indicators_met, floor=floor, points=points)


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
    checklist = word("sections.compulsory_checklist", lang)
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
    why = word("sections.schools_why_joined", lang) if joined else word("sections.schools_why_small", lang, small=small)
    line = word(
        "sections.schools_line",
        lang,
        name=p.name,
        year=nv.year_label(p.year, lang),
        assessed=len(assessed),
        failing=n_fail,
        excluded=len(excluded),
        why=why,
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
        text = word("sections.failing_none", lang, name=p.name, year=nv.year_label(p.year, lang))
        below = g[g["county_code"] == p.county]
        if len(below):
            text += word("sections.failing_below", lang, n=below["school_id"].nunique(), floor=floor)
        return Section(TITLES[lang]["failing"], [text])
    keys = set(zip(failing["school_id"], failing["stage"], strict=True))
    rows = g[[k in keys for k in zip(g["school_id"], g["stage"], strict=True)]]
    rows = rows.sort_values(["school_name", "stage", "to_threshold"])
    records = rows.to_dict("records")
    share = word("sections.share_of_standard", lang)
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
    line = word(
        "sections.failing_line",
        lang,
        name=p.name,
        year=nv.year_label(p.year, lang),
        n=n,
        rule=_failing_rule(rule.min_indicators_met, floor, lang),
        floor=floor,
    )
    return Section(
        TITLES[lang]["failing"],
        [line, styled(table, flags=floor_flags, right=[lab["value"], lab["threshold"]], scroll=True)],
    )


def _failing_rule(min_met: int, floor: str, lang: str) -> str:
    """The rule as quoted: 6项达标、余项不低于85% / 6 of 7, rest ≥ 85%."""
    if lang == "zh":  # the Chinese quote leaves out the total (7) that the English one names
        return word("sections.failing_rule", lang, min_met=min_met, floor=floor)
    return word("sections.failing_rule_total", lang, min_met=min_met, total=len(RESOURCES), floor=floor)


def _addition(r: dict, lang: str) -> str:
    """What one school must add: 9人 / 865.50m²; in English the unit goes first (865.50 m² of …)."""
    amount = float(r["addition"])
    shown = f"{amount:,.0f}" if r["is_integer"] else f"{amount:,.2f}"
    if lang == "zh":  # grammar beyond a template: the Chinese cell shows the unit only, English names the resource
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
        reference_label=word("sections.cv_limit", lang),
    )
    return Section(
        TITLES[lang]["cv"], [bullets(_cv_lines(p, crit)), styled(table, flags=flags, right=[lab["value"]]), fig]
    )


def _cv_lines(p: Params, crit: pd.DataFrame) -> list[str]:
    """How many of the 14 CVs exceed their limit, and the one closest to its limit."""
    lang = p.lang
    worst = crit.assign(r=crit["value"].astype(float) / crit["threshold"].astype(float)).sort_values("r").tail(1)
    lines = []
    n_bad = int(crit["is_met"].eq(False).fillna(False).sum())
    if len(worst):
        w = worst.iloc[0]
        stage = "primary" if w["criterion"].startswith("primary") else "junior"
        name = _short(w["criterion"].removeprefix(stage + "_").removesuffix("_cv"), lang)
        lines.append(
            word(
                "sections.cv_line",
                lang,
                name=p.name,
                year=nv.year_label(p.year, lang),
                n=n_bad,
                stage=nv.stage_name(stage, lang).lower(),  # mid-sentence in English; Chinese has no case
                indicator=name,
                value=f"{w['value']:.3f}",
                limit=f"{w['threshold']:.2f}",
            )
        )
    return lines


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
    rule = word(
        "sections.size_rule",
        lang,
        primary_size=f"{size_cap['primary']:,.0f}",
        nine_year_size=f"{size_cap['nine_year']:,.0f}",
        primary_class=f"{class_cap['primary']:.0f}",
        junior_class=f"{class_cap['junior']:.0f}",
    )
    items: list[Any] = [bullets(lines), rule]
    if len(flagged):
        records = flagged.to_dict("records")
        over = word("sections.size_oversize", lang)
        large = word("sections.size_large", lang)
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["type"]: [nv.school_type_name(r["school_type"], lang) for r in records],
                lab["students"]: [fmt_value(r["student_count"], "students", lang, with_unit=False) for r in records],
                word("sections.size_cap", lang): [
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
        items.append(word("sections.size_none", lang, name=p.name, year=nv.year_label(p.year, lang)))
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
            [word("sections.estimates_none", lang, name=p.name, year=nv.year_label(p.year, lang))],
        )
    records = summary.to_dict("records")
    table = pd.DataFrame(
        {
            lab["stage"]: [nv.stage_name(r["stage"], lang) for r in records],
            word("sections.estimates_resource", lang): [r[f"resource_{lang}"] for r in records],
            word("sections.estimates_add", lang): [
                f"{float(r['addition']):,.0f}"
                if float(r["addition"]) >= 100
                else f"{float(r['addition']):,.2f}".rstrip("0").rstrip(".")
                for r in records
            ],
            word("sections.estimates_parts", lang): [str(int(r["school_parts_below_count"])) for r in records],
        }
    )
    totals = bf.result_rows("resource_gaps", county=p.county, year=p.year)
    totals = totals[totals["addition"] > 0]
    line = bf.assessment_gap_line(p, "compulsory_balanced") or word(
        "sections.estimates_line",
        lang,
        parts=nv.join([bf.resource_addition(r, lang) for r in totals.itertuples()], lang),
    )
    note = word("sections.estimates_note", lang)
    return Section(TITLES[lang]["estimates"], [line, styled(table, right=[table.columns[2]]), note])
