"""Assessment sheets: 达标评估 (each county's state), 评估维度 and 评估明细 (every criterion)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from openpyxl import Workbook

from lcedu.measure import indicators, scorecard
from lcedu.present import narrative as nv
from lcedu.present.workbooks.cells import (
    ASSESSMENT_ZH,
    COMPARISON_ZH,
    SOURCE_ZH,
    Column,
    write_table,
)
from lcedu.present.workbooks.data import WorkbookData


def assessment_sheets(wb: Workbook, data: WorkbookData, counties: Sequence[str] | None, year: int | None) -> None:
    """达标评估, 评估维度 and 评估明细 of ``counties`` (None: all) in ``year`` (None: every year)."""
    _summary_sheet(wb, _rows(data.assessments, counties, year))
    _dimensions_sheet(wb, _rows(data.dimensions, counties, year))
    _criteria_sheet(wb, _rows(data.criteria, counties, year))


def _rows(frame: pd.DataFrame, counties: Sequence[str] | None, year: int | None) -> pd.DataFrame:
    """The rows of ``counties`` and ``year`` (either None: no filter)."""
    if counties is not None:
        frame = frame[frame["county_code"].isin(list(counties))]
    if year is not None:
        frame = frame[frame["year"] == year]
    return frame


def _named(codes: pd.Series) -> pd.Series:
    """Comma-separated indicator and checklist-item codes as their Chinese names, joined by ；."""
    items = indicators.checklist_items().set_index("item")["name_zh"]
    names_zh = pd.concat([indicators.registry_frame().set_index("indicator")["name_zh"], items])
    exploded = codes.fillna("").str.split(", ").explode()
    return exploded.map(names_zh).dropna().groupby(level=0).agg("；".join).reindex(codes.index).fillna("")


def _summary_sheet(wb: Workbook, summary: pd.DataFrame) -> None:
    """达标评估: each county's overall state per assessment, the unmet criteria named."""
    summary = summary.join(scorecard.county_names(summary["county_code"]), on="county_code").assign(
        assessment_zh=summary["assessment"].map(ASSESSMENT_ZH),
        unmet_zh=_named(summary["unmet_criteria"]),
        reason_zh=summary["na_reason"].map(lambda r: "" if pd.isna(r) else nv.na_text(r)),
    )
    write_table(
        wb.create_sheet("达标评估"),
        summary,
        [
            Column("county_name_zh", "县(区)"),
            Column("year", "学年初", "school_year"),
            Column("assessment_zh", "评估"),
            Column("state", "总体结果(全部维度评估且达标才为达标)", "state"),
            Column("dimensions_met_count", "达标维度数", "int"),
            Column("dimensions_count", "维度总数", "int"),
            Column("criteria_met_count", "达标条件数", "int"),
            Column("criteria_count", "条件总数", "int"),
            Column("unmet_zh", "未达标条件"),
            Column("reason_zh", "未评估原因"),
        ],
    )


def _dimensions_sheet(wb: Workbook, dims: pd.DataFrame) -> None:
    """评估维度: each dimension's state, its source and why it was not assessed."""
    dims = dims.join(scorecard.county_names(dims["county_code"]), on="county_code").assign(
        assessment_zh=dims["assessment"].map(ASSESSMENT_ZH),
        source_zh=dims["source"].map(SOURCE_ZH),
        unmet_zh=_named(dims["unmet_criteria"]),
        reason_zh=dims["na_reason"].map(
            lambda r: (
                ""
                if pd.isna(r)
                else "；".join(
                    dict.fromkeys(nv.na_text(w.strip()).split("：", 1)[-1] for w in str(r).split(";") if w.strip())
                )
            )
        ),
    )
    write_table(
        wb.create_sheet("评估维度"),
        dims,
        [
            Column("county_name_zh", "县(区)"),
            Column("year", "年份", "year"),
            Column("assessment_zh", "评估"),
            Column("dimension_zh", "维度"),
            Column("state", "结果", "state"),
            Column("source_zh", "依据"),
            Column("criteria_met_count", "达标条件数", "int"),
            Column("criteria_count", "条件总数", "int"),
            Column("unmet_zh", "未达标条件"),
            Column("reason_zh", "未评估原因"),
        ],
    )


def _criteria_sheet(wb: Workbook, detail: pd.DataFrame) -> None:
    """评估明细: every criterion's value beside its standard, with the evidence."""
    names = indicators.registry_frame()[["indicator", "name_zh", "unit"]]
    checklist = indicators.checklist_items().rename(columns={"item": "indicator"})[["indicator", "name_zh"]]
    names = pd.concat([names, checklist.assign(unit="%")], ignore_index=True)
    dim_zh = {
        (a, d["code"]): d["name_zh"]
        for a, spec in indicators.load_registry().assessments.items()
        for d in spec.get("dimensions") or []
    }
    detail = detail.merge(names, how="left", left_on="criterion", right_on="indicator").assign(
        assessment_zh=lambda d: d["assessment"].map(ASSESSMENT_ZH),
        comparison_zh=lambda d: d["comparison"].map(COMPARISON_ZH),
        dimension_zh=lambda d: [dim_zh.get((a, k), k) for a, k in zip(d["assessment"], d["dimension"], strict=True)],
        source_zh=lambda d: d["source"].map(SOURCE_ZH),
        reason_zh=lambda d: d["na_reason"].map(lambda r: "" if pd.isna(r) else nv.na_text(r)),
    )
    detail = detail.join(scorecard.county_names(detail["county_code"]), on="county_code")
    write_table(
        wb.create_sheet("评估明细"),
        detail,
        [
            Column("county_name_zh", "县(区)"),
            Column("year", "学年初", "school_year"),
            Column("assessment_zh", "评估"),
            Column("dimension_zh", "维度"),
            Column("name_zh", "条件(指标)"),
            Column("value", "数值", "unit", thresholds=("threshold",)),
            Column("comparison_zh", "比较"),
            Column("threshold", "标准", "unit"),
            Column("is_met", "是否达标", "met"),
            Column("source_zh", "依据"),
            Column("evidence", "佐证材料及说明"),
            Column("note", "备注", printed=False),
            Column("reason_zh", "缺失或未评估原因", printed=False),
            Column("criterion", "指标代码", printed=False),
        ],
    )
