"""The evaluation's words: verdicts, targets, values, gaps and places as the documents write them."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from lcedu.measure import evaluation as ev
from lcedu.present import briefing as bf
from lcedu.present import narrative as nv
from lcedu.present.words import table, word
from lcedu.publish.evaluation.data import EvaluationData

#: How each verdict reads in the documents (words.yml, section evaluation_status).
STATUS_WORDS = table("evaluation_status")
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: Any) -> str:
    """Text for the document: a string without the control characters XML cannot hold."""
    return _XML_BAD.sub("", "" if text is None else str(text))


def clause_projects(data: EvaluationData, rows: pd.DataFrame) -> list[tuple[int, str]]:
    """(order, heading) of the plan clause each row's target belongs to, from the plan's own text.

    "三(三) 强师兴校工程" for clause 三(三); a clause the text has no heading for keeps its label.
    """
    titles = data.plan.clause_titles()
    order = {clause: i for i, clause in enumerate(titles)}
    out = []
    for clause in rows["clause"].astype(str):
        head = clause.split()[0] if clause.strip() else ""
        title = titles.get(head)
        out.append((order.get(head, len(order)), f"{head} {title}" if title else (head or "其他")))
    return out


def target_words(r: Any) -> str:
    """≥95%（2025年） as the plan sets it."""
    comparison = str(r["comparison"])
    op = nv.comparison_sign(comparison, r["strict"], r["target_max"])  # the plan's words: 超过 → ">"
    if comparison == "qualitative":
        return f"定性目标（{int(r['target_year'])}年）"
    shown = nv.fmt_target(r["target"], str(r["unit"]), "zh", comparison, r["target_max"])
    shown = nv.directional_target_text(comparison, shown) or shown  # 显著提升: above the baseline value
    return f"{op}{shown}（{int(r['target_year'])}年）"


def value_words(value: Any, unit: str, reason: Any = None, thresholds: Any = None) -> str:
    """A value beside its target: enough decimals that it sits on the side the verdict says."""
    if nv.is_missing(value):
        return nv.na_text(reason, "zh") if not nv.is_missing(reason) else "—"
    return nv.fmt_value(value, unit, "zh", thresholds=thresholds)


def gap_words(r: Any, unit: str) -> str:
    """The gap to the target, with the decimals the value needs beside its thresholds."""
    decimals = (
        nv.decimals_near(float(r["value"]), nv.row_thresholds(r), nv.DECIMALS.get(unit, 0))
        if not nv.is_missing(r["value"])
        else None
    )
    return nv.fmt_gap(float(r["gap"]), unit, "zh", decimals)


def verdict_words(r: Any) -> str:
    """The verdict as the documents word it (未评估 for an assessment partly assessed)."""
    reason = r.get("na_reason")
    if str(r["status"]) == "no_data" and not nv.is_missing(reason) and str(reason).startswith("not assessed: "):
        # an assessment with a dimension not assessed (e.g. no 督导评估清单): never 达标
        return word("text.not_assessed")
    verdict = STATUS_WORDS[str(r["status"])]
    if r["status"] == "not_due" and not nv.is_missing(r.get("is_on_track")):
        verdict += word("evaluation.on_track" if bool(r["is_on_track"]) else "evaluation.off_track")
    return verdict


def reason_words(r: Any) -> str:
    """Why a target has no value, in Chinese."""
    needed = str(r.get("data_needed") or "")
    if not bool(r["in_registry"]):
        return f"未纳入统计指标，需{needed}" if needed else "未纳入统计指标，无数据来源"
    return nv.na_text(r["na_reason"], "zh")


def place_zh(code: str) -> str:
    """The Chinese name of a county or of the prefecture, by code."""
    return nv.place_name(str(code), "zh")


def status_counts(rows: pd.DataFrame) -> dict[str, int]:
    """How many rows have each verdict."""
    return {s: int((rows["status"] == s).sum()) for s in ev.STATUSES}


def counts_sentence(counts: dict[str, int]) -> str:
    """达标n个，未达标n个，无数据n个 (and 未到期 / 定性目标 when there are any)."""
    parts = [f"达标{counts['met']}个", f"未达标{counts['not_met']}个", f"无数据{counts['no_data']}个"]
    if counts["not_due"]:
        parts.append(f"未到期{counts['not_due']}个")
    if counts.get("qualitative"):
        parts.append(f"定性目标{counts['qualitative']}个")
    return "，".join(parts)


def closing_words(r: Any, needs: pd.DataFrame) -> str:
    """What closing one unmet row takes: the gap estimates, else the ratio arithmetic, else the gap."""
    mine = needs[
        (needs["entry"] == r["entry"])
        & (needs["county_code"] == r["county_code"])
        & (needs["target_year"] == r["target_year"])
    ]
    if len(mine):
        return "按现有数据估算需" + "、".join(str(n.phrase_zh) for n in mine.itertuples(index=False))
    keys = ("indicator", "unit", "comparison", "target", "closing_numerator", "closing_denominator", "value_as_of")
    row = {k: r[k] for k in keys}
    row["gap"] = row["gap_now"] = r["gap_now"]  # the latest gap: what is still to close now
    row["value"] = r["value_as_of"]
    if nv.is_missing(row["gap"]):
        return ""
    return bf.closing_text(row, "zh")


def document_title(data: EvaluationData) -> str:
    """《plan》终期评估报告, or 中期评估报告（截至…） before the plan's final year."""
    kind = "终期评估报告" if data.is_final else f"中期评估报告（截至{nv.year_label(data.year)}）"
    return f"《{data.plan.title_zh}》{kind}"


def rows_for(data: EvaluationData, county: str | None) -> pd.DataFrame:
    """The evaluation points of the county, or all of them for the city (None)."""
    s = data.status
    return s if county is None else s[s["county_code"] == county]
