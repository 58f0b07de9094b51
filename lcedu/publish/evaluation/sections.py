"""The sections of an evaluation document: cover, 一、总体情况 to 四、下一步建议, 附表 and 附图."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lcedu.home import CITY_CODE
from lcedu.measure import evaluation as ev
from lcedu.measure import indicators as ind
from lcedu.measure.scorecard import COUNTING_RULE
from lcedu.present import narrative as nv
from lcedu.present.briefing import dimension_phrase
from lcedu.present.words import word
from lcedu.publish.evaluation.advice import projected_advice
from lcedu.publish.evaluation.data import EvaluationData
from lcedu.publish.evaluation.layout import (
    LANDSCAPE_CM,
    SYNTHETIC_NOTICE,
    add_para,
    add_table,
    column_widths,
)
from lcedu.publish.evaluation.wording import (
    clause_projects,
    clean,
    closing_words,
    counts_sentence,
    document_title,
    gap_words,
    place_zh,
    reason_words,
    rows_for,
    status_counts,
    target_words,
    value_words,
    verdict_words,
)


def cover(doc: Any, data: EvaluationData, county: str | None, today: dt.date) -> None:
    """The cover: place, title, evaluation year and baseline, dates and, for the sample, the warning."""
    for _ in range(5):
        doc.add_paragraph()
    place = place_zh(county or CITY_CODE)
    add_para(doc, place, bold=True, size=20, center=True, style="Title")
    add_para(doc, document_title(data), bold=True, size=18, center=True, style="Title")
    doc.add_paragraph()
    add_para(
        doc,
        f"评估时点：{nv.year_label(data.year)}　　基期：{nv.year_label(data.plan.baseline_year)}　　"
        f"规划期：{data.plan.period_text}",
        center=True,
    )
    add_para(
        doc,
        f"注：统计数据为各学年初的状态，{nv.year_label(data.year)}即{data.year}年秋季学期；计划目标年份按计划原文。",
        size=9,
        center=True,
    )
    add_para(
        doc,
        f"数据生成：{data.created_at[:10] or '—'}　　成文日期：{today.year}年{today.month}月{today.day}日",
        center=True,
    )
    if data.synthetic:
        doc.add_paragraph()
        add_para(
            doc,
            f"⚠ {SYNTHETIC_NOTICE}。本文件由合成样例数据生成，仅用于演示和测试，不得作为正式评估结论引用。",
            bold=True,
            size=12,
            center=True,
        )
    if data.plan.status == "test":
        add_para(doc, "⚠ 测试用虚构规划 / made-up test plan", bold=True, size=12, center=True)


def _target_count_words(data: EvaluationData, code: str) -> str:
    """The stored ``target_counts`` of the place, by the stated rule: the count the index, briefings and
    workbooks state, with the assessment points beside it."""
    place = "全市" if code == CITY_CODE else place_zh(code)
    own = "全市目标" if code == CITY_CODE else "本县目标"
    n = data.counts.loc[code] if data.counts is not None and code in data.counts.index else None
    if n is None:
        return f"截至{nv.year_label(data.year)}，{place}没有《{data.plan.title_zh}》的{own}。"
    text = (
        f"截至{nv.year_label(data.year)}，{place}对照{own}{int(n['targets'])}项：达标{int(n['met'])}项、"
        f"未达标{int(n['not_met'])}项、未到期{int(n['not_due'])}项"
        + (f"、无数据{int(n['no_data'])}项" if n["no_data"] else "")
        + (f"、定性目标{int(n['qualitative'])}项（列出、不评判）" if n["qualitative"] else "")
        + "。"
    )
    if n["points"] != n["targets"]:
        text += (
            f"按评估点（目标×年份）计{int(n['points'])}个：达标{int(n['points_met'])}个、"
            f"未达标{int(n['points_not_met'])}个、未到期{int(n['points_not_due'])}个、"
            f"无数据{int(n['points_no_data'])}个"
            + (f"、定性目标{int(n['points_qualitative'])}个" if n["points_qualitative"] else "")
            + "。"
        )
    return text + COUNTING_RULE["zh"]


def overview(doc: Any, data: EvaluationData, county: str | None) -> None:
    """一、总体情况: the stored target counts, what has no data, 表1 by project and, for the city, 表2."""
    rows = rows_for(data, county)
    doc.add_heading("一、总体情况", level=1)
    counts = status_counts(rows)
    add_para(doc, _target_count_words(data, CITY_CODE if county is None else county))
    if county is None:
        add_para(
            doc,
            f"计划目标按县(区)和年份分解共{len(rows)}个评估点（全市目标和各县(区)目标），其中{counts_sentence(counts)}。",
        )
    if counts["no_data"]:
        _missing_paragraphs(doc, rows)
    projects = rows.assign(_p=clause_projects(data, rows))
    table_rows = []
    for (_order, name), group in sorted(projects.groupby("_p"), key=lambda kv: kv[0]):
        c = status_counts(group)
        table_rows.append(
            [name, group["entry"].nunique(), len(group), c["met"], c["not_met"], c["no_data"], c["not_due"]]
        )
    header = ["工程（项目）", "目标项数", "评估点", "达标", "未达标", "无数据", "未到期"]
    add_table(doc, header, table_rows, font_pt=9, caption="表1　分工程目标完成情况", widths_cm=[6.2] + [1.6] * 6)
    if county is None:
        _county_counts(doc, data, rows)


def _missing_paragraphs(doc: Any, rows: pd.DataFrame) -> None:
    """The targets without data and the assessment points not assessed, named."""
    no_data = rows[rows["status"] == "no_data"]
    unassessed = no_data["na_reason"].fillna("").str.startswith("not assessed: ")
    missing = no_data[~unassessed].drop_duplicates("entry")
    if len(missing):
        add_para(
            doc,
            f"无数据的目标{len(missing)}项：{'、'.join(missing['name_zh'].astype(str))}，需补充统计口径或台账后评估。",
        )
    waiting = no_data[unassessed]
    if len(waiting):
        who = "、".join(f"{place_zh(r['county_code'])}{r['name_zh']}" for _, r in waiting.iterrows())
        add_para(
            doc,
            f"未评估的目标{len(waiting)}个评估点：{who}——有维度缺少督导评估清单，不计为达标，需补充清单后认定。",
        )


def _county_counts(doc: Any, data: EvaluationData, rows: pd.DataFrame) -> None:
    """表2: the stored target counts of the city and each county, and the best and worst share met."""
    codes = [CITY_CODE, *sorted(set(rows["county_code"]) - {CITY_CODE})]
    shown = data.counts.reindex([c for c in codes if c in data.counts.index])
    by_county = [
        [
            place_zh(code) + ("（全市目标）" if code == CITY_CODE else ""),
            int(n["targets"]),
            int(n["met"]),
            int(n["not_met"]),
            int(n["no_data"]),
            int(n["not_due"]),
            int(n["points"]),
            "—" if nv.is_missing(n["met_pct"]) else f"{float(n['met_pct']):.0f}%",
        ]
        for code, n in shown.iterrows()
    ]
    add_table(
        doc,
        ["县(区)", "目标", "达标", "未达标", "无数据", "未到期", "评估点", "达标率（已到期且有数据）"],
        by_county,
        font_pt=9,
        caption="表2　分县(区)目标完成情况（按目标计，口径见上）",
        widths_cm=[3.4] + [1.5] * 6 + [3.0],
    )
    share = shown.loc[[c for c in shown.index if c != CITY_CODE], "met_pct"].dropna().sort_values(ascending=False)
    if len(share) >= 2:
        add_para(
            doc,
            f"分县(区)看，{place_zh(share.index[0])}已到期目标达标率最高（{float(share.iloc[0]):.0f}%），"
            f"{place_zh(share.index[-1])}最低（{float(share.iloc[-1]):.0f}%）。",
        )


def assessment_paragraphs(doc: Any, data: EvaluationData, county: str | None) -> None:
    """县域评估 as the national documents define them: each county's overall state and every dimension's.

    达标 only when every dimension was assessed and met; a dimension without input (no 督导评估清单)
    is 未评估, so the document never says a county reached a standard it only partly checked.
    """
    if data.dimensions is None:
        return
    a = data.assessments[data.assessments["year"] == data.year]
    d = data.dimensions[data.dimensions["year"] == data.year]
    codes = [county] if county not in (None, CITY_CODE) else sorted(set(a["county_code"]))
    spec = ind.load_registry().assessments
    lines = []
    for name in ("compulsory_balanced", "preschool_universal"):
        for code in codes:
            row = a[(a["county_code"] == code) & (a["assessment"] == name)]
            if row.empty:
                continue
            dims = d[(d["county_code"] == code) & (d["assessment"] == name)].sort_values("position")
            parts = "，".join(dimension_phrase(r, "zh") for r in dims.to_dict("records"))
            lines.append(f"{place_zh(code)}{spec[name]['name_zh']}：总体{row['state'].iloc[0]}；{parts}。")
    if lines:
        add_para(
            doc,
            f"{data.year}年县域评估按国家文件分维度认定（全部维度评估且达标才为达标；没有督导评估清单的维度为“未评估”，"
            "不计为达标）：",
        )
        for line in lines:
            add_para(doc, line)


def _task_rows(data: EvaluationData, rows: pd.DataFrame, *, full: bool) -> tuple[list[str], list[list[Any]]]:
    years = data.shown_years
    header = [
        "序号",
        "指标",
        "县(区)",
        "目标",
        *[nv.year_label(y) + ("(基期)" if y == data.plan.baseline_year else "") for y in years],
        "目标年份值",
        "结论",
        "数据来源",
    ]
    if full:
        header += ["差距", "计划条款"]  # no 指标代码: internal names are not for readers
    out = []
    for i, (idx, r) in enumerate(rows.iterrows(), start=1):
        unit = str(r["unit"])
        limits = nv.row_thresholds(r)
        yearly = [value_words(data.yearly.loc[idx, y], unit, thresholds=limits) for y in years]
        final = (
            "—"
            if r["status"] == "not_due"
            else (reason_words(r) if nv.is_missing(r["value"]) else value_words(r["value"], unit, thresholds=limits))
        )
        line = [
            i,
            r["name_zh"],
            place_zh(r["county_code"]),
            target_words(r),
            *yearly,
            final,
            verdict_words(r),
            r["source"],
        ]
        if full:
            gap = "" if nv.is_missing(r["gap"]) or r["status"] != "not_met" else gap_words(r, unit)
            line += [gap, r["clause"]]
        out.append(line)
    return header, out


def tasks(doc: Any, data: EvaluationData, county: str | None) -> None:
    """二、各项任务完成情况: one table per plan clause, then the city-reference rows of a county."""
    rows = rows_for(data, county)
    doc.add_heading("二、各项任务完成情况", level=1)
    grouped = rows.assign(_p=clause_projects(data, rows))
    for (_order, name), group in sorted(grouped.groupby("_p"), key=lambda kv: kv[0]):
        doc.add_heading(name, level=2)  # the plan's own clause number and title: "三(三) 强师兴校工程", no second one
        c = status_counts(group)
        add_para(doc, f"本工程涉及目标{group['entry'].nunique()}项、评估点{len(group)}个，{counts_sentence(c)}。")
        header, table_rows = _task_rows(data, group.drop(columns="_p"), full=False)
        add_table(doc, header, table_rows, font_pt=7.5, widths_cm=column_widths(header, LANDSCAPE_CM))
    _city_reference(doc, data, county)


CITY_REFERENCE_HEADING = word("text.reference")


def _city_reference_rows(data: EvaluationData, county: str) -> pd.DataFrame:
    """The county's scorecard rows of the year measured against a city-wide target (the briefing's
    全市目标(参照) table): shown for reference, never counted in the county's own targets."""
    card = data.card
    scope = card["target_scope"].astype("string").fillna("")
    mask = (card["county_code"] == county) & (card["year"] == data.year) & (scope == "city_reference")
    return card[mask.to_numpy(dtype=bool, na_value=False)].reset_index(drop=True)


def _city_reference(doc: Any, data: EvaluationData, county: str | None) -> None:
    rows = _city_reference_rows(data, county) if county is not None else pd.DataFrame()
    if rows.empty:
        return
    doc.add_heading(CITY_REFERENCE_HEADING, level=2)
    add_para(doc, f"以下{len(rows)}项指标计划只设全市目标，本县数值以全市目标作参照列出，不计入本县目标完成情况。")
    card = data.card.set_index(["county_code", "indicator", "year"])
    years = data.shown_years
    header = ["序号", "指标", "全市目标", *[nv.year_label(y) for y in years], f"全市{nv.year_label(data.year)}", "对照"]
    table_rows = []
    for i, (_, r) in enumerate(rows.iterrows(), start=1):
        unit, limits = str(r["unit"]), nv.row_thresholds(r)
        values = []
        for code, year in [*((county, y) for y in years), (CITY_CODE, data.year)]:
            key = (code, r["indicator"], year)
            value = card.loc[key, "value"] if key in card.index else pd.NA
            reason = card.loc[key, "na_reason"] if key in card.index else pd.NA
            values.append(value_words(value, unit, reason, thresholds=limits))
        verdict = "—"  # the stored is_met, in words
        if not nv.is_missing(r["is_met"]):
            verdict = word("evaluation.reached" if bool(r["is_met"]) else "evaluation.not_reached")
        table_rows.append([i, r["name_zh"], target_words(r), *values, verdict])
    add_table(doc, header, table_rows, font_pt=7.5, widths_cm=column_widths(header, LANDSCAPE_CM))


def _problem_groups(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """The targets still open as of the year (:func:`lcedu.measure.evaluation.current_problems`), grouped by
    target, the largest current gap (relative to the target) first."""
    open_rows = ev.current_problems(rows)
    groups = [
        g.sort_values("relative_gap_now", ascending=False, na_position="last")
        for _, g in open_rows.groupby(["entry", "target_year"])
    ]
    return sorted(groups, key=lambda g: -float(g["relative_gap_now"].fillna(0).max()))


def _now(r: Any) -> dict[str, Any]:
    """The row as of the evaluation year: its latest value and gap (for the words of the latest state)."""
    return {**dict(r), "value": r["value_as_of"], "gap": r["gap_now"]}


def _progress_words(r: Any, year: int) -> str:
    """2024年目标未按期达成（93.9%），2025/26学年初已达100%."""
    unit = str(r["unit"])
    before = value_words(r["value"], unit, thresholds=nv.row_thresholds(r))
    now = value_words(r["value_as_of"], unit, thresholds=nv.row_thresholds(r))
    return (
        f"{place_zh(r['county_code'])}{int(r['target_year'])}年目标未按期达成（{before}），"
        f"{nv.year_label(year)}已达{now}"
    )


def problems(doc: Any, data: EvaluationData, county: str | None, limit: int = 12) -> list[pd.DataFrame]:
    """三、存在的问题: the open targets, largest gap first; returns their groups for 四."""
    rows = rows_for(data, county)
    doc.add_heading("三、存在的问题", level=1)
    groups = _problem_groups(rows)
    late = ev.late_progress(rows)
    if not groups:
        add_para(doc, f"截至{nv.year_label(data.year)}，已到期且有数据的目标均已达标或已补齐。")
    else:
        add_para(
            doc,
            f"截至{nv.year_label(data.year)}，仍未达到的目标{len(groups)}项"
            f"（涉及{sum(len(g) for g in groups)}个评估点），"
            f"按{nv.year_label(data.year)}数值与目标的差距占目标值的比例从大到小列出"
            f"{'前' + str(limit) + '项' if len(groups) > limit else ''}：",
        )
    for k, g in enumerate(groups[:limit], start=1):
        first = g.iloc[0]
        unit = str(first["unit"])
        if first["comparison"] == "reach":
            places = "、".join(place_zh(c) for c in g["county_code"])
            detail = f"{places}尚未达标"
        else:
            detail = "；".join(
                f"{place_zh(r['county_code'])}{nv.year_label(data.year)}"
                f"{value_words(r['value_as_of'], unit, thresholds=nv.row_thresholds(r))}，"
                f"差{gap_words(_now(r), unit)}"
                for _, r in g.iterrows()
            )
        scope = f"，共{len(g)}个县(区)未达标" if len(g) > 1 else ""
        add_para(doc, f"{k}. {first['name_zh']}（目标{target_words(first)}）：{detail}{scope}。")
    if len(late):
        add_para(
            doc,
            "进展（未按期达成、其后已达到，不计为达标）："
            + "；".join(_progress_words(r, data.year) for _, r in late.iterrows())
            + "。",
        )
    missing = rows[rows["status"] == "no_data"].drop_duplicates("entry")
    if len(missing):
        reasons = "；".join(f"{r['name_zh']}（{reason_words(r)}）" for _, r in missing.iterrows())
        add_para(doc, f"另有{len(missing)}项目标无数据，无法判断是否完成：{reasons}。")
    return groups


def advice(doc: Any, data: EvaluationData, groups: list[pd.DataFrame], county: str | None, limit: int = 12) -> None:
    """四、下一步建议: what closing each open target takes, then the projections' outlook."""
    doc.add_heading("四、下一步建议", level=1)
    if not groups:
        add_para(doc, "巩固已达标成果，按新一轮规划目标持续监测。")
        return
    add_para(doc, f"按{nv.year_label(data.year)}数据测算，补齐上述差距需要：")
    for k, g in enumerate(groups[:limit], start=1):
        parts = []
        for _, r in g.iterrows():
            words = closing_words(r, data.needs)
            if words:
                parts.append(f"{place_zh(r['county_code'])}{words}")
        if parts:
            add_para(doc, f"{k}. {g.iloc[0]['name_zh']}：{'；'.join(parts)}。")
    if data.is_final:
        add_para(
            doc,
            f"建议将未达标目标纳入{data.plan.final_year + 1}年起的新一轮规划，"
            f"以各县(区){nv.year_label(data.year)}基期值和{nv.year_label(data.shown_years[0])}至"
            f"{nv.year_label(data.year)}的变化趋势为依据确定分年度目标。",
        )

    projected_advice(doc, data, county)


def annex_table(doc: Any, data: EvaluationData, county: str | None) -> None:
    """附表: every evaluation point of the place, with its gap and plan clause."""
    doc.add_heading("附表　目标完成情况总表", level=1)
    header, rows = _task_rows(data, rows_for(data, county), full=True)
    add_table(doc, header, rows, font_pt=7, widths_cm=column_widths(header, LANDSCAPE_CM))


def annex_figures(doc: Any, figures: Sequence[tuple[str, Path]]) -> None:
    """附图: the maps drawn for this document, numbered with their captions."""
    from docx.shared import Cm

    doc.add_heading("附图", level=1)
    if not figures:
        add_para(doc, "本规划没有可制图的县域目标。")
    for k, (caption, png) in enumerate(figures, start=1):
        doc.add_picture(str(png), width=Cm(16))
        doc.add_paragraph(clean(f"附图{k}　{caption}"), style="Caption")
