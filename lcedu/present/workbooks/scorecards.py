"""Scorecard sheets: 指标总览 / 全市指标, 目标达成统计, 各县指标 and 各县对比."""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook

from lcedu.ingest.counties import area_name, prefecture_of
from lcedu.measure import scorecard
from lcedu.measure.plan import in_region
from lcedu.present import narrative as nv
from lcedu.present.narrative import year_label
from lcedu.present.workbooks.cells import (
    COMPARISON_ZH,
    NO,
    UNIT_ZH,
    YES,
    Column,
    put,
    write_table,
)
from lcedu.present.workbooks.data import WorkbookData

#: A trend carried past a rate's bounds (110 % coverage) is shown at the bound, and the header says so.
_PROJECTED_HEADER = "趋势外推值(比率限于0–100)"
_RATE_BOUNDS = {"%": (0.0, 100.0)}
#: Columns that mean nothing for a yes/no indicator (a difference of 是 and 否, a spread of 0s and 1s).
_NOT_FOR_YES_NO = ("gap", "change_since_baseline", "projected_value", "spread_max_min_ratio", "spread_cv")

_SCORECARD_COLUMNS = [
    Column("name_zh", "指标"),
    Column("unit_zh", "单位"),
    Column("value", "数值", "unit", thresholds=("target", "target_max")),
    Column("comparison_zh", "比较"),
    Column("target", "目标值", "unit"),
    Column("gap", "与目标值差距(正数为未达)", "unit"),
    Column("target_year", "目标年份", "year"),
    Column("target_scope_zh", "目标来源"),
    Column("status", "状态", "status"),
    Column("change_since_baseline", "较基期变化", "unit"),
    Column("next_target_year", "下一目标年份", "year"),
    Column("projected_value", _PROJECTED_HEADER, "unit"),
    Column("is_on_track", "按趋势可达标", "met"),
    Column("rank", scorecard.scorecard_labels("zh")["rank"], "int"),
    Column("rank_count", scorecard.scorecard_labels("zh")["rank_count"], "int"),
    Column("spread_max_min_ratio", scorecard.scorecard_labels("zh")["spread_max_min_ratio"], "float2"),
    Column("spread_cv", scorecard.scorecard_labels("zh")["spread_cv"], "cv"),
    Column("target_clause", "计划条款", printed=False),
    Column("na_reason", "缺失原因", printed=False),
    Column("indicator", "指标代码", printed=False),
]


def _with_comparison(card: pd.DataFrame) -> pd.DataFrame:
    scope = {k: v[0] for k, v in scorecard.SCOPE_LABELS.items()}
    # An assessment not assessed on every dimension is 未评估 (not "no data"), with the dimensions named.
    not_assessed = card["na_reason"].fillna("").str.startswith("not assessed: ").to_numpy(dtype=bool)
    card = _yes_no_and_bounds(card)
    return card.assign(
        comparison_zh=[
            nv.comparison_sign(c, s) or COMPARISON_ZH.get(str(c), "") if not pd.isna(c) else None
            for c, s in zip(card["comparison"], card["strict"], strict=True)
        ],
        unit_zh=unit_zh(card["unit"]),
        target_scope_zh=card["target_scope"].map(scope),
        status=card["status"].where(~not_assessed, "not_assessed"),
        na_reason=reasons_zh(card["na_reason"]),
    )


def _yes_no_and_bounds(card: pd.DataFrame) -> pd.DataFrame:
    """是/否 for yes/no values and targets, no arithmetic on them; rate projections capped at their bounds."""
    card = card.copy()
    yes_no = (card["unit"] == "yes/no").to_numpy(dtype=bool)
    for column in ("value", "target"):
        if column in card:
            shown = card[column].map(lambda v: None if pd.isna(v) else (YES if float(v) >= 0.5 else NO))
            card[column] = card[column].astype(object).where(~yes_no, shown)
    for column in _NOT_FOR_YES_NO:
        if column in card:
            card[column] = card[column].astype(object).where(~yes_no, None)
    if "projected_value" in card:
        for unit, (low, high) in _RATE_BOUNDS.items():
            rate = (card["unit"] == unit).to_numpy(dtype=bool)
            capped = pd.to_numeric(card["projected_value"], errors="coerce").clip(low, high)
            card["projected_value"] = card["projected_value"].where(~rate, capped)
    return card


def reasons_zh(reasons: pd.Series) -> pd.Series:
    """Every 缺失原因 in Chinese, through narrative's one table of reasons (:func:`narrative.na_text`)."""
    return reasons.map(lambda r: None if pd.isna(r) or not str(r).strip() else nv.na_text(r))


def counts_sheet(wb: Workbook, card: pd.DataFrame, data: WorkbookData, area: str) -> None:
    """The stored ``target_counts`` (:data:`lcedu.measure.scorecard.COUNTING_RULE`), the one count every product
    states. Outside the plan's region (a 昆明 workbook of a 云南 build) the note says the plan's targets are not
    its own."""
    keys = set(zip(card["county_code"].astype(str), card["year"].astype("int64"), strict=True))
    counts = data.counts[
        [k in keys for k in zip(data.counts["county_code"].astype(str), data.counts["year"], strict=True)]
    ]
    missing = sorted(keys - set(zip(counts["county_code"].astype(str), counts["year"], strict=True)))
    if missing:  # an area without targets of this plan: every count is 0, stated as such
        zero = pd.DataFrame(missing, columns=["county_code", "year"])
        counts = pd.concat([counts, zero], ignore_index=True).fillna(0)
    counts = counts.join(scorecard.county_names(counts["county_code"]), on="county_code")
    ws = wb.create_sheet("目标达成统计")
    region = data.plan.region_code
    scope = (
        scorecard.COUNTING_RULE["zh"]
        if in_region(area, region)
        else f"本计划目标为{area_name(region)}目标，{area_name(prefecture_of(area))}无对应目标，各项计为0。"
    )
    put(ws, 1, 1, scope + "未到期：目标年份晚于统计年份。" + SCHOOL_YEAR_NOTE)
    write_table(
        ws,
        counts.sort_values(["county_code", "year"]),
        [
            Column("county_name_zh", "县(区)"),
            Column("year", "学年初", "school_year"),
            Column("targets", "目标数", "int"),
            Column("met", "达标", "int"),
            Column("not_met", "未达标", "int"),
            Column("not_due", "未到期", "int"),
            Column("not_due_on_track", "未到期中按趋势可达标", "int"),
            Column("no_data", "无数据", "int"),
            Column("qualitative", "定性目标", "int"),
            Column("points", "评估点", "int"),
            Column("points_met", "评估点达标", "int"),
            Column("points_not_met", "评估点未达标", "int"),
            Column("points_not_due", "评估点未到期", "int"),
            Column("points_no_data", "评估点无数据", "int"),
            Column("county_code", "县(区)代码", printed=False),
        ],
        start_row=3,
    )


def unit_zh(units: pd.Series) -> pd.Series:
    """Units in Chinese (workbooks_units), a unit without an entry as it is."""
    return units.map(UNIT_ZH).fillna(units)


#: What a data year means, for every sheet that lists years.
SCHOOL_YEAR_NOTE = "学年初：2025/26 表示2025/2026学年初（2025年秋季学期）的统计状态；目标年份按计划原文。"


def scorecard_sheet(wb: Workbook, title: str, card: pd.DataFrame, baseline_year: int) -> None:
    """One area's scorecard: every indicator beside its target, status, trend and rank."""
    ws = wb.create_sheet(title)
    years = card["year"].dropna().unique()
    value_header = f"数值（{year_label(years[0])}）" if len(years) == 1 else "数值"
    columns = [
        Column(c.source, f"较{year_label(baseline_year)}变化", c.kind)
        if c.source == "change_since_baseline"
        else Column(c.source, value_header, c.kind, thresholds=c.thresholds)
        if c.source == "value"
        else c
        for c in _SCORECARD_COLUMNS
    ]
    write_table(ws, _with_comparison(card), columns)


def counties_sheet(wb: Workbook, card: pd.DataFrame) -> None:
    """各县指标: the scorecard rows of every county, ranked among themselves."""
    ws = wb.create_sheet("各县指标")
    columns = [
        Column("county_name_zh", "县(区)"),
        *_SCORECARD_COLUMNS[:8],
        Column("rank", scorecard.scorecard_labels("zh")["rank"], "int"),
        Column("na_reason", "缺失原因", printed=False),
        Column("indicator", "指标代码", printed=False),
    ]
    write_table(ws, _with_comparison(card), columns, label_columns=2)


def comparison_sheet(wb: Workbook, card: pd.DataFrame) -> None:
    """Indicators down, counties across: the values side by side."""
    ws = wb.create_sheet("各县对比")
    card = _yes_no_and_bounds(card)
    values = card.pivot(index="indicator", columns="county_name_zh", values="value")
    order = list(dict.fromkeys(card["county_name_zh"]))
    names = card.drop_duplicates("indicator").set_index("indicator")[["name_zh", "unit"]]
    wide = names.join(values.reindex(columns=order)).reset_index()
    wide = wide.assign(unit_zh=unit_zh(wide["unit"]))
    columns = [Column("name_zh", "指标"), Column("unit_zh", "单位")]
    columns += [Column(c, c, "unit") for c in wide.columns if c not in ("indicator", "name_zh", "unit", "unit_zh")]
    columns.append(Column("indicator", "指标代码", printed=False))
    write_table(ws, wide, columns)
