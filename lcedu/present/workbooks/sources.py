"""来源与数据说明 (provenance, standards, plan clauses) and the 学龄人口预测 / 规划测算 sheets added after it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lcedu.home import CITY_CODE
from lcedu.ingest import store
from lcedu.ingest.counties import is_aggregate
from lcedu.measure import indicators, scorecard
from lcedu.measure import planning as planning_measure
from lcedu.measure import projections as projection_measure
from lcedu.measure import standards as std
from lcedu.measure.plan import load_plan
from lcedu.present import planning_sheet, projection_sheet
from lcedu.present.workbooks.cells import (
    NO,
    SAMPLE_NOTICE,
    YES,
    Column,
    a4_print,
    cell_value,
    put,
    whole_numbers,
    write_table,
)
from lcedu.present.workbooks.data import WorkbookData
from lcedu.present.workbooks.scorecards import (
    SCHOOL_YEAR_NOTE,
    unit_zh,
)


def _provenance_lines(data: WorkbookData) -> list[tuple[str, Any]]:
    """(label, value) lines of 来源与数据说明: the manifest, the standards and the plan (value None: a heading)."""
    manifest = data.manifest
    is_sample = bool(manifest and manifest.get("is_sample"))
    lines: list[tuple[str, Any]] = [("数据说明", None)]
    if is_sample:
        lines.append(("性质", f"{SAMPLE_NOTICE}（synthetic sample, not official statistics）"))
    if manifest:
        lines += [
            ("数据生成时间", manifest.get("created_at")),
            ("原始数据目录", manifest.get("raw_dir")),
            ("是否样例数据", YES if is_sample else NO),
        ]
        versions = manifest.get("versions") or {}
        if versions:
            lines.append(("软件版本", ", ".join(f"{k} {v}" for k, v in versions.items())))
    else:
        lines.append(("数据来源", "由调用方直接提供的数据表（无 manifest）"))
    plan = load_plan(data.plan.targets_file)
    standards = std.load_standards()
    lines += [
        ("", None),
        ("标准与计划依据", None),
        ("义务教育优质均衡", standards["compulsory_quality_balance"]["document"]),
        ("学前教育普及普惠", standards["preschool_universal_inclusive"]["document"]),
        ("行动计划", f"{plan.get('title_zh')}（{plan.get('issued_by')}，{plan.get('published')}）"),
        (
            "阈值文件",
            "lcedu/measure/config/standards.yml；指标定义 lcedu/measure/config/indicators.yml；目标 lcedu/plans/",
        ),
        ("县际离散系数", scorecard.SPREAD_NOTE["zh"]),
        ("学年初", SCHOOL_YEAR_NOTE.removeprefix("学年初：")),
    ]
    return lines


def sources_sheet(wb: Workbook, data: WorkbookData, indicator_codes: Sequence[str]) -> None:
    """Where every number comes from: the data's provenance, the standards and the plan clauses."""
    ws = wb.create_sheet("来源与数据说明")
    bold = Font(bold=True)
    row = 1
    manifest = data.manifest
    for key, value in _provenance_lines(data):
        a = put(ws, row, 1, key or None)
        put(ws, row, 2, cell_value(value))
        if value is None and key:
            a.font = bold
        if key == "性质":
            ws.cell(row=row, column=2).font = Font(bold=True, color="C00000")
        row += 1
    row += 1
    if manifest and manifest.get("inputs"):
        put(ws, row, 1, "原始文件").font = bold
        row += 1
        inputs = pd.DataFrame(manifest["inputs"])
        write_table(
            ws,
            inputs,
            [Column("path", "文件"), Column("sha256", "SHA-256"), Column("bytes", "字节", "int")],
            start_row=row,
        )
        row += len(inputs) + 2
    put(ws, row, 1, "指标来源").font = bold
    row += 1
    reg = indicators.registry_frame()
    reg = reg[reg["indicator"].isin(list(indicator_codes))]
    quotes = data.plan.targets().drop_duplicates("indicator").set_index("indicator")["quote"]
    reg = reg.assign(quote=reg["indicator"].map(quotes), unit_zh=unit_zh(reg["unit"]))
    write_table(
        ws,
        reg,
        [
            Column("name_zh", "指标"),
            Column("unit_zh", "单位"),
            Column("source", "依据"),
            Column("clause", "计划条款"),
            Column("quote", "计划原文"),
            Column("note", "口径说明"),
            Column("indicator", "指标代码", printed=False),
        ],
        start_row=row,
    )
    ws.freeze_panes = None
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 18)
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 40)


#: The sheets other modules add after 来源与数据说明: (sheet, adder, the build's tables it reads, manifest key).
_HOOK_SHEETS = (
    (projection_sheet.SHEET, projection_sheet.add_projection_sheet, projection_measure.RESULT_TABLES, "projections"),
    (planning_sheet.SHEET, planning_sheet.add_planning_sheet, planning_measure.RESULT_TABLES, "planning"),
)


def hook_sheets(wb: Workbook, area: str, processed_dir: str | Path | None, from_build: bool) -> None:
    """The 学龄人口预测 and 规划测算 sheets; a build without them (or the caller's own tables) gets a sheet
    saying why instead, so a workbook is still written and the reader knows what is absent."""
    folder = None if processed_dir is None else str(processed_dir)
    for sheet, add, tables, key in _HOOK_SHEETS:
        reason = None if from_build else "本工作簿由调用方直接提供的数据表生成，推算和规划测算只来自处理后的构建"
        if reason is None and area != CITY_CODE and is_aggregate(area):
            reason = "推算和规划测算按县(区)和本市计算，其他州(市)尚无 / computed for the counties and the home city"
        if reason is None and not all((store.current(folder) / f"{name}.parquet").exists() for name in tables):
            note = store.manifest(folder).get(key) or {}
            reason = note.get("reason") or "本构建没有这些结果（构建早于推算功能）；重新运行 `lcedu clean`"
        if reason is None:
            add(wb, area, folder)
            ws = wb[sheet]
            # 学龄人口预测 has one header (row 2) under its title; 规划测算 stacks several tables: the title stays.
            ws.freeze_panes = "B3" if sheet == projection_sheet.SHEET else "A2"
            whole_numbers(ws)
            a4_print(ws, sum((ws.column_dimensions[get_column_letter(j)].width or 9) for j in range(1, ws.max_column)))
            continue
        ws = wb.create_sheet(sheet)
        put(ws, 1, 1, f"本表未生成：{reason}")
        ws.column_dimensions["A"].width = 100
        a4_print(ws, 100)
