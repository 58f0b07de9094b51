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
from lcedu.present.words import table, word


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
        names = [*names[:most], word("briefing.more_items", lang, n=rest)]
    if len(names) <= 1:
        return "".join(names)
    return nv.text("list_sep", lang).join(names[:-1]) + word("briefing.names_last_sep", lang) + names[-1]


def why_not_assessed(reason: Any, lang: str) -> str:
    """Why a criterion or dimension is 未评估: "无督导评估清单" / "no checklist" (the reasons joined, no "数据缺失"
    prefix)."""
    parts = [w.strip() for w in str(reason or "").split(";") if w.strip()]
    if lang == "zh":  # the reasons are stored in English: a Chinese page says them in Chinese (na_text's words)
        return "；".join(dict.fromkeys(nv.na_text(w, lang).split("：", 1)[-1] for w in parts))
    return "; ".join(dict.fromkeys(parts))


def dimension_phrase(r: Mapping[str, Any], lang: str) -> str:
    """资源配置达标 / 政府保障程度未达标（未达标：…）/ 教育质量未评估（无督导评估清单）."""
    state = str(r["state"])
    name = str(r[f"dimension_{lang}"])
    detail = ""
    if state == "未达标":
        detail = word("briefing.dimension_not_met", lang, names=named_indicators(r["unmet_criteria"], lang))
    elif state == "未评估":
        why = why_not_assessed(r["na_reason"], lang)
        detail = word("briefing.dimension_why", lang, why=why) if why else ""
    return word("briefing.dimension_phrase", lang, name=name, state=state_word(state, lang), detail=detail)


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
    name = spec.get(f"name_{lang}", assessment)
    place = place_name(code, lang)
    dims = county_dimensions(p, assessment, code, y)
    parts = [dimension_phrase(d, lang) for d in dims.to_dict("records")]
    key = {"达标": "assessment_met", "未达标": "assessment_not_met"}.get(state, "assessment_unassessed")
    return word(
        f"briefing.{key}",
        lang,
        place=place,
        year=nv.year_label(y, lang),
        name=name,
        state=state_word(state, lang),
        n=len(parts),
        count=int((dims["state"] == ("未达标" if state == "未达标" else "未评估")).sum()),
        parts=nv.text("sep", lang).join(parts),
    )


def assessment_spec(assessment: str) -> dict[str, Any]:
    return dict(ind.load_registry().assessments.get(assessment, {}))


def dimension_table(p: Params, assessment: str) -> Any:
    """One row per dimension: its state, how many criteria were met / not met / not assessed, and why."""
    lang = p.lang
    dims = county_dimensions(p, assessment).to_dict("records")
    col = table("briefing_columns", lang)
    sources = table("briefing_sources", lang)
    frame = pd.DataFrame(
        {
            col["dimension"]: [d[f"dimension_{lang}"] for d in dims],
            col["result"]: [state_word(d["state"], lang) for d in dims],
            col["source"]: [sources.get(str(d["source"]), str(d["source"])) for d in dims],
            col["met"]: [f"{int(d['criteria_met_count'])}/{int(d['criteria_count'])}" for d in dims],
            col["not_met"]: [named_indicators(d["unmet_criteria"], lang) for d in dims],
            col["why_not_assessed"]: [
                why_not_assessed(d["na_reason"], lang) if d["state"] == "未评估" else "" for d in dims
            ],
        }
    )
    flags = pd.DataFrame({frame.columns[1]: [None if d["state"] == "未评估" else d["state"] == "达标" for d in dims]})
    return styled(frame, flags=flags)


def criteria_table(p: Params, assessment: str, dimensions: Sequence[str] | None = None) -> Any:
    """Criterion by criterion (statistics and checklist items) of the chosen dimensions, with the evidence."""
    lang = p.lang
    b = base()
    crit = b.criteria[
        (b.criteria["county_code"] == p.county)
        & (b.criteria["year"] == p.year)
        & (b.criteria["assessment"] == assessment)
    ]
    if dimensions is not None:
        crit = crit[crit["dimension"].isin(list(dimensions))]
    names = {d["code"]: d[f"name_{lang}"] for d in assessment_spec(assessment).get("dimensions", [])}
    ops = {"at_least": "≥", "at_most": "≤"}
    records = crit.to_dict("records")

    def shown(r: dict) -> str:
        unit = nv.indicator_unit(r["criterion"]) if r["source"] == "statistics" else "%"
        return "" if is_missing(r["value"]) else fmt_value(r["value"], unit, lang)

    def standard(r: dict) -> str:
        if is_missing(r["threshold"]) or not r["comparison"]:
            return word("briefing.as_required", lang)
        unit = nv.indicator_unit(r["criterion"]) if r["source"] == "statistics" else "%"
        return f"{ops.get(r['comparison'], '')}{nv.fmt_target(r['threshold'], unit, lang)}"

    def note(r: dict) -> str:
        if is_missing(r["is_met"]):  # 未评估, and why (no checklist, missing data …)
            why = why_not_assessed(r["na_reason"], lang)
            return word("briefing.not_assessed_why", lang, why=why)
        return " ".join(str(x) for x in (r.get("evidence"), r.get("note")) if not is_missing(x) and str(x))

    col = table("briefing_columns", lang)
    sources = table("briefing_sources", lang)
    frame = pd.DataFrame(
        {
            col["dimension"]: [names.get(r["dimension"], r["dimension"]) for r in records],
            col["criterion"]: [indicator_name(r["criterion"], lang) for r in records],
            col["value"]: [shown(r) for r in records],
            col["standard"]: [standard(r) for r in records],
            col["result"]: [
                status_text(r["is_met"], lang) if not is_missing(r["is_met"]) else state_word("未评估", lang)
                for r in records
            ],
            col["source"]: [sources.get(str(r["source"]), "") for r in records],
            col["note"]: [note(r) for r in records],
        }
    )
    flags = pd.DataFrame({frame.columns[4]: crit["is_met"].to_numpy()})
    return styled(frame, flags=flags)


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
    name = assessment_spec(assessment).get(f"name_{lang}", assessment)
    dims = county_dimensions(p, assessment)
    computed = dims[dims["source"] != "checklist"]
    if not (computed["state"] == "未达标").any():  # the estimates close statistics criteria only
        return ""
    parts: list[str] = []
    if assessment == "preschool_universal":
        g = county_preschool_gaps(p)
        g = g[g["needed"].fillna(0) > 0]
        parts = [str(getattr(r, f"need_{lang}")) for r in g.itertuples()]  # 动作+数量+单位, stored
    else:
        s = result_rows("resource_gaps", county=p.county, year=p.year)  # stored in the build
        s = s[s["addition"] > 0]
        parts = [resource_addition(r, lang) for r in s.itertuples()]
    if not parts:
        return ""
    key = "briefing.gap_compulsory" if assessment == "compulsory_balanced" else "briefing.gap_statistics"
    return word(key, lang, name=name, parts=nv.join(parts, lang))


def resource_addition(r: Any, lang: str) -> str:
    amount = float(r.addition)
    decimals = 0 if amount >= 100 or float(amount).is_integer() else 1
    resource = str(getattr(r, f"resource_{lang}"))  # "生均教学及辅助用房面积 (m²)": the name, then its unit
    unit = resource_unit(resource)
    return word(
        "briefing.resource_addition" if unit else "briefing.resource_addition_plain",
        lang,
        name=resource.split(" (")[0],
        amount=f"{amount:,.{decimals}f}",
        unit=unit,
        schools=int(r.schools_below_count),
    )


def resource_unit(resource_zh: str) -> str:
    return resource_zh.rsplit("(", 1)[-1].rstrip(")").strip() if "(" in resource_zh else ""
