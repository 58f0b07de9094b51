"""School and gap sheets: 学校资源配置, 学校资源缺口, 资源缺口汇总 and 学前缺口."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from openpyxl import Workbook

from lcedu.measure import indicators, scorecard
from lcedu.measure import standards as std
from lcedu.present import narrative as nv
from lcedu.present.workbooks.cells import (
    COMPARISON_ZH,
    NO,
    SCHOOL_TYPE_ZH,
    STAGE_ZH,
    YES,
    Column,
    write_table,
)
from lcedu.present.workbooks.data import WorkbookData
from lcedu.present.workbooks.scorecards import (
    reasons_zh,
)


def school_sheets(wb: Workbook, data: WorkbookData, county: str, year: int) -> None:
    """学校资源配置 and 学校资源缺口: each school's resources and what it must add to meet the standard."""
    parts = data.parts[(data.parts["county_code"] == county) & (data.parts["year"] == year)]
    parts = parts.assign(stage_zh=parts["stage"].map(STAGE_ZH), type_zh=parts["school_type"].map(SCHOOL_TYPE_ZH))
    thresholds = {s: std.resource_thresholds(s) for s in std.STAGES}
    names = indicators.load_registry().indicators
    columns = [
        Column("school_name", "学校"),
        Column("stage_zh", "学段"),
        Column("type_zh", "类型"),
        Column("student_count", "在校生", "int"),
        Column("is_assessed", "参评", "yesno"),
        Column("exclusion_reason", "不参评原因"),
    ]
    for code in std.RESOURCE_INDICATORS:
        kind = "float2" if thresholds["primary"][code] < 100 else "int"
        columns.append(Column(code, names[code].name_zh, kind))
    columns += [
        Column("indicators_met_count", "达标项数", "int"),
        Column("meets_standard", "是否达标", "met"),
        Column("na_reason", "缺失原因", printed=False),
        Column("school_id", "学校标识码", printed=False),
    ]
    missing = nv.text("missing", "zh") + nv.text("colon", "zh")
    parts = parts.assign(
        na_reason=reasons_zh(parts["na_reason"]),
        # Why a school is not assessed, from the same table of reasons, without the 数据缺失 head.
        exclusion_reason=reasons_zh(parts["exclusion_reason"]).map(
            lambda t: t if t is None else t.removeprefix(missing), na_action="ignore"
        ),
    )
    write_table(wb.create_sheet("学校资源配置"), parts, columns)

    g = data.school_gaps[(data.school_gaps["county_code"] == county) & (data.school_gaps["year"] == year)]
    g = g.assign(
        stage_zh=g["stage"].map(STAGE_ZH),
        binding_zh=np.where(g["is_binding"], YES, NO),
        # Whole teachers and rooms: 2.124 teachers needed means 3 (what is there plus the whole addition).
        required_amount=g["required_amount"].where(~g["is_integer"].astype(bool), g["current_amount"] + g["addition"]),
    )
    write_table(
        wb.create_sheet("学校资源缺口"),
        g,
        [
            Column("school_name", "学校"),
            Column("stage_zh", "学段"),
            Column("resource_zh", "资源"),
            Column("value", "现值(生均/每百名)", "float2"),
            Column("threshold", "标准", "float2"),
            Column("current_amount", "现有(本学段)", "amount", "is_integer"),
            Column("required_amount", "达到标准需有(本学段)", "amount", "is_integer"),
            Column("addition", "学校需新增(达到标准)", "amount", "is_integer"),
            Column("binding_zh", "计入合计"),
            Column("meets_standard", "学校是否达标", "met"),
            Column("school_id", "学校标识码", printed=False),
        ],
    )


def gap_summary_sheets(wb: Workbook, data: WorkbookData, counties: Sequence[str] | None, year: int) -> None:
    """资源缺口汇总 and 学前缺口: the stored additions per county, never summed here."""
    summary = data.resource_gaps  # stored in the build: formatted here, never summed
    summary = summary[summary["year"] == year]
    if counties is not None:
        summary = summary[summary["county_code"].isin(list(counties))]
    summary = summary.join(scorecard.county_names(summary["county_code"]), on="county_code")
    whole = data.school_gaps.drop_duplicates("indicator").set_index("indicator")["is_integer"]
    summary = summary.assign(is_integer=summary["indicator"].map(whole).fillna(False))
    write_table(
        wb.create_sheet("资源缺口汇总"),
        summary,
        [
            Column("county_name_zh", "县(区)"),
            Column("resource_zh", "资源"),
            Column("addition", "需新增(达到优质均衡标准)", "amount", "is_integer"),
            Column("school_parts_below_count", "低于标准的学段数", "int"),
            Column("schools_below_count", "低于标准的学校数", "int"),
            Column("indicator", "指标代码", printed=False),
        ],
    )
    pre = data.preschool_gaps[data.preschool_gaps["year"] == year]
    if counties is not None:
        pre = pre[pre["county_code"].isin(list(counties))]
    pre = pre.join(scorecard.county_names(pre["county_code"]), on="county_code").assign(
        comparison_zh=lambda d: d["comparison"].map(COMPARISON_ZH),
        na_reason=lambda d: reasons_zh(d["na_reason"]),
    )
    pre = pre.merge(indicators.registry_frame()[["indicator", "name_zh", "unit"]], how="left", on="indicator")
    write_table(
        wb.create_sheet("学前缺口"),
        pre,
        [
            Column("county_name_zh", "县(区)"),
            Column("name_zh", "指标"),
            Column("value", "数值", "unit"),
            Column("comparison_zh", "比较"),
            Column("threshold", "标准", "unit"),
            Column("gap_zh", "缺口(对照普及普惠标准)"),
            Column("needed", "达到标准需要", "int"),
            Column("na_reason", "缺失原因", printed=False),
            Column("indicator", "指标代码", printed=False),
        ],
    )
