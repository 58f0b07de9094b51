"""Assessment wording: 普及普惠 / 优质均衡 of a county, dimension by dimension and criterion by criterion,
and what an unmet assessment would take.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lcedu.measure import indicators as ind
from lcedu.present import narrative as nv
from lcedu.present.briefing.data import Params, base, county_preschool_gaps, result_rows
from lcedu.present.briefing.display import state_word, status_text, styled
from lcedu.present.narrative import (
    fmt_value,
    indicator_name,
    is_missing,
    place_name,
)


def county_dimensions(p: Params, assessment: str, county: str | None = None, year: int | None = None) -> pd.DataFrame:
    """The county's dimensions of one assessment (达标 / 未达标 / 未评估), in the document's order."""
    d = base().stored["assessment_dimensions"]
    rows = d[
        (d["county_code"] == (county or p.county)) & (d["year"] == (year or p.year)) & (d["assessment"] == assessment)
    ]
    return rows.sort_values("position").reset_index(drop=True)


def named_indicators(codes: Any, lang: str, most: int = 4) -> str:
    names = [indicator_name(c.strip(), lang) for c in str(codes or "").split(",") if c.strip()]
    if len(names) > most:
        rest = len(names) - most
        names = names[:most] + ([f"等{rest}项"] if lang == "zh" else [f"{rest} more"])
    return nv.join(names, lang) if lang == "en" else "、".join(names)


def why_not_assessed(reason: Any, lang: str) -> str:
    """Why a criterion or dimension is 未评估: "无督导评估清单" / "no checklist" (the reasons joined, no "数据缺失"
    prefix)."""
    parts = [w.strip() for w in str(reason or "").split(";") if w.strip()]
    if lang == "zh":
        return "；".join(dict.fromkeys(nv.na_text(w, lang).split("：", 1)[-1] for w in parts))
    return "; ".join(dict.fromkeys(parts))


def dimension_phrase(r: Mapping[str, Any], lang: str) -> str:
    """资源配置达标 / 政府保障程度未达标（未达标：…）/ 教育质量未评估（无督导评估清单）."""
    state = str(r["state"])
    name = str(r["dimension_zh"] if lang == "zh" else r["dimension_en"])
    detail = ""
    if state == "未达标":
        detail = (
            f"（未达标：{named_indicators(r['unmet_criteria'], lang)}）"
            if lang == "zh"
            else f" (not met: {named_indicators(r['unmet_criteria'], lang)})"
        )
    elif state == "未评估":
        why = why_not_assessed(r["na_reason"], lang)
        detail = (f"（{why}）" if lang == "zh" else f" ({why})") if why else ""
    return f"{name}{state_word(state, lang)}{detail}" if lang == "zh" else f"{name} {state_word(state, lang)}{detail}"


def assessment_line(p: Params, assessment: str, county: str | None = None, year: int | None = None) -> str:
    """普及普惠 / 优质均衡 of the county: the overall state and every dimension's (达标 / 未达标 / 未评估).

    The overall state is 达标 only when every dimension was assessed and met; a dimension without
    input (e.g. no 督导评估清单) is 未评估 and the sentence says so, never "实现" or "已达到".
    """
    b = base()
    code, y, lang = county or p.county, year or p.year, p.lang
    rows = b.assessments[
        (b.assessments["county_code"] == code)
        & (b.assessments["year"] == y)
        & (b.assessments["assessment"] == assessment)
    ]
    if rows.empty:
        return ""
    r = rows.iloc[0]
    state = (
        str(r["state"])
        if "state" in r and not is_missing(r["state"])
        else ("未评估" if is_missing(r["is_met"]) else ("达标" if bool(r["is_met"]) else "未达标"))
    )
    spec = assessment_spec(assessment)
    name = spec.get("name_zh" if lang == "zh" else "name_en", assessment)
    place = place_name(code, lang)
    dims = county_dimensions(p, assessment, code, y)
    parts = [dimension_phrase(d, lang) for d in dims.to_dict("records")]
    n = len(parts)
    if lang == "zh":
        head = f"{place}{nv.year_label(y)}{name}：总体{state}（{n}个维度"
        head += (
            "均已评估且达标）"
            if state == "达标"
            else (
                f"中{int((dims['state'] == '未达标').sum())}个未达标）"
                if state == "未达标"
                else f"中{int((dims['state'] == '未评估').sum())}个未评估，不能认定达标）"
            )
        )
        return head + "；" + "，".join(parts) + "。"
    head = f"{place}, {nv.year_label(y, lang)} — {name}: overall {state_word(state, lang)} ("
    head += (
        f"all {n} dimensions assessed and met)"
        if state == "达标"
        else f"{int((dims['state'] == '未达标').sum())} of {n} dimensions not met)"
        if state == "未达标"
        else f"{int((dims['state'] == '未评估').sum())} of {n} dimensions not assessed, so it cannot be called met)"
    )
    return head + "; " + ", ".join(parts) + "."


def assessment_spec(assessment: str) -> dict[str, Any]:
    return dict(ind.load_registry().assessments.get(assessment, {}))


def dimension_table(p: Params, assessment: str) -> Any:
    """One row per dimension: its state, how many criteria were met / not met / not assessed, and why."""
    lang = p.lang
    dims = county_dimensions(p, assessment).to_dict("records")
    zh = lang == "zh"
    table = pd.DataFrame(
        {
            ("维度" if zh else "Dimension"): [d["dimension_zh"] if zh else d["dimension_en"] for d in dims],
            ("结果" if zh else "Result"): [state_word(d["state"], lang) for d in dims],
            ("依据" if zh else "From"): [_SOURCE_WORDS[lang].get(str(d["source"]), str(d["source"])) for d in dims],
            ("达标项" if zh else "Met"): [f"{int(d['criteria_met_count'])}/{int(d['criteria_count'])}" for d in dims],
            ("未达标项" if zh else "Not met"): [named_indicators(d["unmet_criteria"], lang) for d in dims],
            ("未评估原因" if zh else "Why not assessed"): [
                why_not_assessed(d["na_reason"], lang) if d["state"] == "未评估" else "" for d in dims
            ],
        }
    )
    flags = pd.DataFrame({table.columns[1]: [None if d["state"] == "未评估" else d["state"] == "达标" for d in dims]})
    return styled(table, flags=flags)


_SOURCE_WORDS = {
    "zh": {"statistics": "统计数据", "checklist": "督导评估清单", "both": "统计数据和督导评估清单"},
    "en": {"statistics": "statistics", "checklist": "checklist", "both": "statistics and checklist"},
}


def criteria_table(p: Params, assessment: str, dimensions: Sequence[str] | None = None) -> Any:
    """Criterion by criterion (statistics and checklist items) of the chosen dimensions, with the evidence."""
    lang = p.lang
    zh = lang == "zh"
    b = base()
    crit = b.criteria[
        (b.criteria["county_code"] == p.county)
        & (b.criteria["year"] == p.year)
        & (b.criteria["assessment"] == assessment)
    ]
    if dimensions is not None:
        crit = crit[crit["dimension"].isin(list(dimensions))]
    names = {d["code"]: d["name_zh" if zh else "name_en"] for d in assessment_spec(assessment).get("dimensions", [])}
    ops = {"at_least": "≥", "at_most": "≤"}
    records = crit.to_dict("records")

    def shown(r: dict) -> str:
        unit = nv.indicator_unit(r["criterion"]) if r["source"] == "statistics" else "%"
        return "" if is_missing(r["value"]) else fmt_value(r["value"], unit, lang)

    def standard(r: dict) -> str:
        if is_missing(r["threshold"]) or not r["comparison"]:
            return "符合要求" if zh else "as required"
        unit = nv.indicator_unit(r["criterion"]) if r["source"] == "statistics" else "%"
        return f"{ops.get(r['comparison'], '')}{nv.fmt_target(r['threshold'], unit, lang)}"

    def note(r: dict) -> str:
        if is_missing(r["is_met"]):  # 未评估, and why (no checklist, missing data …)
            why = why_not_assessed(r["na_reason"], lang)
            return f"未评估：{why}" if zh else f"Not assessed: {why}"
        return " ".join(str(x) for x in (r.get("evidence"), r.get("note")) if not is_missing(x) and str(x))

    table = pd.DataFrame(
        {
            ("维度" if zh else "Dimension"): [names.get(r["dimension"], r["dimension"]) for r in records],
            ("指标" if zh else "Criterion"): [indicator_name(r["criterion"], lang) for r in records],
            ("数值" if zh else "Value"): [shown(r) for r in records],
            ("标准" if zh else "Standard"): [standard(r) for r in records],
            ("结果" if zh else "Result"): [
                status_text(r["is_met"], lang) if not is_missing(r["is_met"]) else state_word("未评估", lang)
                for r in records
            ],
            ("依据" if zh else "From"): [_SOURCE_WORDS[lang].get(str(r["source"]), "") for r in records],
            ("说明" if zh else "Note"): [note(r) for r in records],
        }
    )
    flags = pd.DataFrame({table.columns[4]: crit["is_met"].to_numpy()})
    return styled(table, flags=flags)


def assessment_gap_line(p: Params, assessment: str) -> str:
    """For an unmet assessment, the additions the gap estimates say it takes."""
    b = base()
    lang = p.lang
    status = b.assessments[
        (b.assessments["county_code"] == p.county)
        & (b.assessments["year"] == p.year)
        & (b.assessments["assessment"] == assessment)
    ]
    if status.empty or (not is_missing(status["is_met"].iloc[0]) and bool(status["is_met"].iloc[0])):
        return ""
    name = assessment_spec(assessment).get("name_zh" if lang == "zh" else "name_en", assessment)
    dims = county_dimensions(p, assessment)
    computed = dims[dims["source"] != "checklist"]
    if not (computed["state"] == "未达标").any():  # the estimates close statistics criteria only
        return ""
    parts: list[str] = []
    if assessment == "preschool_universal":
        g = county_preschool_gaps(p)
        g = g[g["needed"].fillna(0) > 0]
        parts = [str(r.need_zh if lang == "zh" else r.need_en) for r in g.itertuples()]  # 动作+数量+单位, stored
    else:
        s = result_rows("resource_gaps", county=p.county, year=p.year)  # stored in the build
        s = s[s["addition"] > 0]
        parts = [resource_addition(r, lang) for r in s.itertuples()]
    if not parts:
        return ""
    if assessment == "compulsory_balanced":
        return (
            f"要使{name}的资源配置维度达标（每所参评学校达到标准），按现有数据估算需：{nv.join(parts, lang)}"
            "（其他维度另见各维度结果）。"
            if lang == "zh"
            else f"For the resource-allocation dimension of “{name}” (every assessed school at the standard), the data "
            f"suggest: {nv.join(parts, lang)} (the other dimensions are stated separately)."
        )
    return (
        f"要使{name}中由统计数据计算的指标达标，按现有数据估算需：{nv.join(parts, lang)}"
        "（督导评估清单各项另见各维度结果）。"
        if lang == "zh"
        else f"For the criteria of “{name}” computed from the statistics, the data suggest: {nv.join(parts, lang)} "
        "(the checklist items are stated separately)."
    )


def resource_addition(r: Any, lang: str) -> str:
    amount = float(r.addition)
    decimals = 0 if amount >= 100 or float(amount).is_integer() else 1
    if lang == "zh":
        return (
            f"{r.resource_zh.split(' (')[0]}增加{amount:,.{decimals}f}{resource_unit(r.resource_zh)}"
            f"（{int(r.schools_below_count)}所学校）"
        )
    unit = resource_unit(r.resource_en)
    what = f"{unit} of {r.resource_en.split(' (')[0]}" if unit else r.resource_en
    return f"{amount:,.{decimals}f} {what} ({int(r.schools_below_count)} schools)"


def resource_unit(resource_zh: str) -> str:
    return resource_zh.rsplit("(", 1)[-1].rstrip(")").strip() if "(" in resource_zh else ""
