"""Excel workbooks of scorecards and gap tables for the bureau (openpyxl).

Each workbook has Chinese headers, panes frozen below the header and right of the label column,
number formats by unit (years as 2025, counts whole, 是/否 for yes/no), green / red fills for met /
not met, column widths fitted to the text, A4 landscape printing with code and note columns kept
right of the print area, and a sheet 来源与数据说明 naming the standards and plan clauses behind
every indicator and where the data came from (the processed manifest; a synthetic sample is labelled
合成样例数据，非官方统计). The 学龄人口预测 and 规划测算 sheets follow, or a line saying why the build
has none. Files are written to a temporary file beside the target and renamed, so a reader never
sees half a file.

Public API: :func:`write_county_workbook`, :func:`write_city_workbook`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lcedu.home import CITY_CODE
from lcedu.ingest import store
from lcedu.ingest.counties import area_name, is_aggregate, prefecture_of
from lcedu.measure import indicators, scorecard
from lcedu.measure import planning as planning_measure
from lcedu.measure import projections as projection_measure
from lcedu.measure import standards as std
from lcedu.measure.plan import get_plan, in_region, load_plan
from lcedu.measure.results import judge_plan, load_results, plan_results
from lcedu.present import narrative as nv
from lcedu.present import planning_sheet, projection_sheet
from lcedu.present.narrative import decimals_near, year_label
from lcedu.present.words import table

__all__ = ["SAMPLE_NOTICE", "write_city_workbook", "write_county_workbook"]

#: Printed on every workbook built from the synthetic sample.
SAMPLE_NOTICE = "合成样例数据，非官方统计"

_MET_FILL = PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")
_NOT_MET_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
_HEADER_FONT = Font(bold=True)
_FORMATS = {
    "int": "#,##0",
    "float1": "#,##0.0",
    "float2": "#,##0.00",
    "pct": "0.0",
    "year": "0",
    "cv": "0.000",
    "text": "@",
}
# The workbooks are in Chinese; their words are sections of words.yml (workbooks_*, stages, assessments).
_COMPARISON_ZH = table("workbooks_comparisons", "zh")
# The balance sheets cover 小学 and 初中 only: other stages stay blank there.
_STAGE_ZH = {k: v for k, v in table("stages", "zh").items() if k in ("primary", "junior")}
_SCHOOL_TYPE_ZH = table("school_types", "zh")
_ASSESSMENT_ZH = table("assessments", "zh")
_SOURCE_ZH = table("workbooks_sources", "zh")
_UNIT_ZH = table("workbooks_units", "zh")
_COUNT_UNITS = {
    "schools",
    "people",
    "classes",
    "students",
    "studios",
    "kindergartens",
    "consortia",
    "communities",
    "majors",
    "yes/no",
}


@dataclass(frozen=True)
class _Column:
    """One output column: source column, Chinese header, number format (or a per-row unit column)."""

    source: str
    header: str
    # int | float1 | float2 | pct | cv | text | unit (format by the row's unit) | met (达标/未达标) | yesno
    # | school_year (a data year as its 学年初: 2025 → "2025/26")
    # | status (a scorecard status) | state (达标/未达标/未评估 as stored) | year (a plain 2025, never 2,025)
    # | amount (whole number where the row's ``unit_column`` flag says the resource is counted: teachers, rooms)
    kind: str = "text"
    unit_column: str = "unit"
    #: Columns of the row holding the target(s) this value is shown beside (more decimals near them).
    thresholds: tuple[str, ...] = ()
    #: False for code and note columns: kept in the file, moved to the right and left out of the print area.
    printed: bool = True


def _unit_format(unit: str | None) -> str:
    if unit in ("%",):
        return _FORMATS["pct"]
    if unit == "CV":
        return _FORMATS["cv"]
    if unit in _COUNT_UNITS or unit == "万元":
        return _FORMATS["int"] if unit != "万元" else _FORMATS["float1"]
    return _FORMATS["float2"]


def _near_format(number_format: str, value: Any, thresholds: Sequence[Any]) -> str:
    """The number format with the decimals :func:`lcedu.present.narrative.decimals_near` asks for.

    A rate of 94.96 beside a 95 target shows 94.96, not 95.0, as the pages show it.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not thresholds:
        return number_format
    base = len(number_format.split(".")[1]) if "." in number_format else 0
    decimals = decimals_near(float(value), thresholds, base)
    if decimals == base:
        return number_format
    return number_format.split(".")[0] + "." + "0" * decimals


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write one cell; text is always stored as text, never as a formula (data is untrusted:
    a school named ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` must stay a name)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


_STATUS_ZH = {k: v[0] for k, v in scorecard.STATUS_LABELS.items()} | {"not_assessed": "未评估"}


def _met_text(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    return "达标" if bool(value) else "未达标"


#: Printed widths (Excel character units) that fit A4 landscape at a legible scale (about 70 % or more).
_A4_LEGIBLE_WIDTH = 190


def _write_table(
    ws: Worksheet, frame: pd.DataFrame, columns: Sequence[_Column], start_row: int = 1, label_columns: int = 1
) -> None:
    """A header row and the rows of ``frame``; met columns as 达标/未达标 with fills, widths fitted, A4 print set."""
    columns = [c for c in columns if c.printed] + [c for c in columns if not c.printed]
    widths = [_display_width(c.header) for c in columns]
    for j, col in enumerate(columns, start=1):
        cell = _put(ws, start_row, j, col.header)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)
    records = frame.to_dict("records")
    for i, record in enumerate(records, start=start_row + 1):
        for j, col in enumerate(columns, start=1):
            raw = record.get(col.source)
            if col.kind == "school_year":
                text = "" if _cell_value(raw) is None else year_label(raw, short=True)
                _put(ws, i, j, text or None)
                widths[j - 1] = max(widths[j - 1], _display_width(text))
                continue
            if col.kind == "yesno":
                text = "" if raw is None or raw is pd.NA else ("是" if bool(raw) else "否")
                _put(ws, i, j, text or None)
                widths[j - 1] = max(widths[j - 1], _display_width(text))
                continue
            if col.kind in ("met", "status", "state"):
                text = (
                    _met_text(raw)
                    if col.kind == "met"
                    else (
                        ""
                        if raw is None or raw is pd.NA
                        else (str(raw) if col.kind == "state" else _STATUS_ZH.get(str(raw), ""))
                    )
                )
                cell = _put(ws, i, j, text or None)
                if text in ("达标", "未达标"):
                    cell.fill = _MET_FILL if text == "达标" else _NOT_MET_FILL
                widths[j - 1] = max(widths[j - 1], _display_width(text))
                continue
            value = _cell_value(raw)
            cell = _put(ws, i, j, value)
            if col.kind == "unit":
                cell.number_format = _unit_format(_cell_value(record.get(col.unit_column)))
            elif col.kind == "amount":
                whole = bool(_cell_value(record.get(col.unit_column)))
                cell.number_format = _FORMATS["int" if whole else "float2"]
            elif col.kind != "text":
                cell.number_format = _FORMATS[col.kind]
            if col.thresholds and col.kind != "text":
                cell.number_format = _near_format(cell.number_format, value, [record.get(t) for t in col.thresholds])
            shown = f"{value:,.2f}" if isinstance(value, float) else ("" if value is None else str(value))
            widths[j - 1] = max(widths[j - 1], _display_width(shown))
    widths = [min(max(width + 2, 6), 60) for width in widths]
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = ws.cell(row=start_row + 1, column=label_columns + 1)
    printed = sum(c.printed for c in columns)
    _a4_print(ws, sum(widths[:printed]), label_columns)
    last_row = start_row + len(records)
    ws.print_area = f"A1:{get_column_letter(printed)}{last_row}"
    ws.print_title_rows = f"{start_row}:{start_row}"
    if records:
        ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(columns))}{last_row}"


def _a4_print(ws: Worksheet, printed_width: float, label_columns: int = 1) -> None:
    """A4 landscape; one page wide only where the columns stay legible, else across pages with the labels
    repeated on each."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    fits = printed_width <= _A4_LEGIBLE_WIDTH
    ws.sheet_properties.pageSetUpPr.fitToPage = fits
    if fits:
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    else:
        ws.print_title_cols = f"A:{get_column_letter(label_columns)}"


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _save_atomically(wb: Workbook, path: str | Path) -> Path:
    """Save beside ``path`` and rename over it: readers see the old file or the whole new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".xlsx.partial", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Data:
    tables: Mapping[str, pd.DataFrame]
    results: pd.DataFrame
    scorecard: pd.DataFrame
    counts: pd.DataFrame  # the stored target_counts: the one count every product states
    parts: pd.DataFrame
    school_gaps: pd.DataFrame
    resource_gaps: pd.DataFrame
    preschool_gaps: pd.DataFrame
    assessments: pd.DataFrame
    criteria: pd.DataFrame
    manifest: dict[str, Any] | None
    plan: Any  # lcedu.measure.plan.Plan whose targets the scorecard sheets use
    dimensions: pd.DataFrame  # 达标 / 未达标 / 未评估 per assessment dimension


def _load(
    tables: Mapping[str, pd.DataFrame] | None,
    processed_dir: str | Path | None,
    year: int,
    manifest: dict[str, Any] | None,
    plan: str | Path | None = None,
    results: Mapping[str, pd.DataFrame] | None = None,
) -> _Data:
    if (tables is None) != (results is None):
        raise ValueError("give both tables and their results (lcedu.measure.results.compute_results) or neither")
    tabs = tables if tables is not None else indicators.load_tables(processed_dir)
    if manifest is None and tables is None:
        manifest = store.manifest(processed_dir)
    # The build's stored results (or the caller's, for other data): formatted here, never computed.
    res = results if results is not None else load_results(processed_dir)
    parts = res["school_indicators"]
    parts = parts[parts["year"] == year].reset_index(drop=True)
    school_gaps = res["school_gaps"][res["school_gaps"]["year"] == year].reset_index(drop=True)
    chosen = get_plan(plan)
    if results is None:
        judged = plan_results(plan, None, processed_dir)
    else:  # another plan on the caller's results: judged by measure, as the build judges its own
        judged = res if plan is None else judge_plan(chosen, res["indicator_results"], tabs, chosen.baseline_year)
    return _Data(
        tabs,
        res["indicator_results"],
        judged["scorecard"],
        judged["target_counts"],
        parts,
        school_gaps,
        res["resource_gaps"],
        res["preschool_gaps"],
        res["assessments"],
        res["assessment_criteria"],
        manifest,
        chosen,
        res["assessment_dimensions"],
    )


# --------------------------------------------------------------------------- sheets

#: A trend carried past a rate's bounds (110 % coverage) is shown at the bound, and the header says so.
_PROJECTED_HEADER = "趋势外推值(比率限于0–100)"
_RATE_BOUNDS = {"%": (0.0, 100.0)}
#: Columns that mean nothing for a yes/no indicator (a difference of 是 and 否, a spread of 0s and 1s).
_NOT_FOR_YES_NO = ("gap", "change_since_baseline", "projected_value", "spread_max_min_ratio", "spread_cv")

_SCORECARD_COLUMNS = [
    _Column("name_zh", "指标"),
    _Column("unit_zh", "单位"),
    _Column("value", "数值", "unit", thresholds=("target", "target_max")),
    _Column("comparison_zh", "比较"),
    _Column("target", "目标值", "unit"),
    _Column("gap", "与目标值差距(正数为未达)", "unit"),
    _Column("target_year", "目标年份", "year"),
    _Column("target_scope_zh", "目标来源"),
    _Column("status", "状态", "status"),
    _Column("change_since_baseline", "较基期变化", "unit"),
    _Column("next_target_year", "下一目标年份", "year"),
    _Column("projected_value", _PROJECTED_HEADER, "unit"),
    _Column("is_on_track", "按趋势可达标", "met"),
    _Column("rank", scorecard.scorecard_labels("zh")["rank"], "int"),
    _Column("rank_count", scorecard.scorecard_labels("zh")["rank_count"], "int"),
    _Column("spread_max_min_ratio", scorecard.scorecard_labels("zh")["spread_max_min_ratio"], "float2"),
    _Column("spread_cv", scorecard.scorecard_labels("zh")["spread_cv"], "cv"),
    _Column("target_clause", "计划条款", printed=False),
    _Column("na_reason", "缺失原因", printed=False),
    _Column("indicator", "指标代码", printed=False),
]


def _with_comparison(card: pd.DataFrame) -> pd.DataFrame:
    scope = {k: v[0] for k, v in scorecard.SCOPE_LABELS.items()}
    # An assessment not assessed on every dimension is 未评估 (not "no data"), with the dimensions named.
    not_assessed = card["na_reason"].fillna("").str.startswith("not assessed: ").to_numpy(dtype=bool)
    card = _yes_no_and_bounds(card)
    return card.assign(
        comparison_zh=[
            nv.comparison_sign(c, s) or _COMPARISON_ZH.get(str(c), "") if not pd.isna(c) else None
            for c, s in zip(card["comparison"], card["strict"], strict=True)
        ],
        unit_zh=_unit_zh(card["unit"]),
        target_scope_zh=card["target_scope"].map(scope),
        status=card["status"].where(~not_assessed, "not_assessed"),
        na_reason=_reasons_zh(card["na_reason"]),
    )


def _yes_no_and_bounds(card: pd.DataFrame) -> pd.DataFrame:
    """是/否 for yes/no values and targets, no arithmetic on them; rate projections capped at their bounds."""
    card = card.copy()
    yes_no = (card["unit"] == "yes/no").to_numpy(dtype=bool)
    for column in ("value", "target"):
        if column in card:
            shown = card[column].map(lambda v: None if pd.isna(v) else ("是" if float(v) >= 0.5 else "否"))
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


def _reasons_zh(reasons: pd.Series) -> pd.Series:
    """Every 缺失原因 in Chinese, through narrative's one table of reasons (:func:`narrative.na_text`)."""
    return reasons.map(lambda r: None if pd.isna(r) or not str(r).strip() else nv.na_text(r))


def _counts_sheet(wb: Workbook, card: pd.DataFrame, data: _Data, area: str) -> None:
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
    _put(ws, 1, 1, scope + "未到期：目标年份晚于统计年份。" + _SCHOOL_YEAR_NOTE)
    _write_table(
        ws,
        counts.sort_values(["county_code", "year"]),
        [
            _Column("county_name_zh", "县(区)"),
            _Column("year", "学年初", "school_year"),
            _Column("targets", "目标数", "int"),
            _Column("met", "达标", "int"),
            _Column("not_met", "未达标", "int"),
            _Column("not_due", "未到期", "int"),
            _Column("not_due_on_track", "未到期中按趋势可达标", "int"),
            _Column("no_data", "无数据", "int"),
            _Column("qualitative", "定性目标", "int"),
            _Column("points", "评估点", "int"),
            _Column("points_met", "评估点达标", "int"),
            _Column("points_not_met", "评估点未达标", "int"),
            _Column("points_not_due", "评估点未到期", "int"),
            _Column("points_no_data", "评估点无数据", "int"),
            _Column("county_code", "县(区)代码", printed=False),
        ],
        start_row=3,
    )


def _unit_zh(units: pd.Series) -> pd.Series:
    return units.map(_UNIT_ZH).fillna(units)


#: What a data year means, for every sheet that lists years.
_SCHOOL_YEAR_NOTE = "学年初：2025/26 表示2025/2026学年初（2025年秋季学期）的统计状态；目标年份按计划原文。"


def _scorecard_sheet(wb: Workbook, title: str, card: pd.DataFrame, baseline_year: int) -> None:
    ws = wb.create_sheet(title)
    years = card["year"].dropna().unique()
    value_header = f"数值（{year_label(years[0])}）" if len(years) == 1 else "数值"
    columns = [
        _Column(c.source, f"较{year_label(baseline_year)}变化", c.kind)
        if c.source == "change_since_baseline"
        else _Column(c.source, value_header, c.kind, thresholds=c.thresholds)
        if c.source == "value"
        else c
        for c in _SCORECARD_COLUMNS
    ]
    _write_table(ws, _with_comparison(card), columns)


def _counties_sheet(wb: Workbook, card: pd.DataFrame) -> None:
    ws = wb.create_sheet("各县指标")
    columns = [
        _Column("county_name_zh", "县(区)"),
        *_SCORECARD_COLUMNS[:8],
        _Column("rank", scorecard.scorecard_labels("zh")["rank"], "int"),
        _Column("na_reason", "缺失原因", printed=False),
        _Column("indicator", "指标代码", printed=False),
    ]
    _write_table(ws, _with_comparison(card), columns, label_columns=2)


def _comparison_sheet(wb: Workbook, card: pd.DataFrame) -> None:
    """Indicators down, counties across: the values side by side."""
    ws = wb.create_sheet("各县对比")
    card = _yes_no_and_bounds(card)
    values = card.pivot(index="indicator", columns="county_name_zh", values="value")
    order = list(dict.fromkeys(card["county_name_zh"]))
    names = card.drop_duplicates("indicator").set_index("indicator")[["name_zh", "unit"]]
    wide = names.join(values.reindex(columns=order)).reset_index()
    wide = wide.assign(unit_zh=_unit_zh(wide["unit"]))
    columns = [_Column("name_zh", "指标"), _Column("unit_zh", "单位")]
    columns += [_Column(c, c, "unit") for c in wide.columns if c not in ("indicator", "name_zh", "unit", "unit_zh")]
    columns.append(_Column("indicator", "指标代码", printed=False))
    _write_table(ws, wide, columns)


def _assessment_sheets(wb: Workbook, data: _Data, counties: Sequence[str] | None, year: int | None) -> None:
    summary = data.assessments
    if counties is not None:
        summary = summary[summary["county_code"].isin(list(counties))]
    if year is not None:
        summary = summary[summary["year"] == year]
    items = indicators.checklist_items().set_index("item")["name_zh"]
    names_zh = pd.concat([indicators.registry_frame().set_index("indicator")["name_zh"], items])

    def named(codes: pd.Series) -> pd.Series:
        exploded = codes.fillna("").str.split(", ").explode()
        return exploded.map(names_zh).dropna().groupby(level=0).agg("；".join).reindex(codes.index).fillna("")

    summary = summary.join(scorecard.county_names(summary["county_code"]), on="county_code").assign(
        assessment_zh=summary["assessment"].map(_ASSESSMENT_ZH),
        unmet_zh=named(summary["unmet_criteria"]),
        reason_zh=summary["na_reason"].map(lambda r: "" if pd.isna(r) else nv.na_text(r)),
    )
    _write_table(
        wb.create_sheet("达标评估"),
        summary,
        [
            _Column("county_name_zh", "县(区)"),
            _Column("year", "学年初", "school_year"),
            _Column("assessment_zh", "评估"),
            _Column("state", "总体结果(全部维度评估且达标才为达标)", "state"),
            _Column("dimensions_met_count", "达标维度数", "int"),
            _Column("dimensions_count", "维度总数", "int"),
            _Column("criteria_met_count", "达标条件数", "int"),
            _Column("criteria_count", "条件总数", "int"),
            _Column("unmet_zh", "未达标条件"),
            _Column("reason_zh", "未评估原因"),
        ],
    )
    dims = data.dimensions
    if counties is not None:
        dims = dims[dims["county_code"].isin(list(counties))]
    if year is not None:
        dims = dims[dims["year"] == year]
    dims = dims.join(scorecard.county_names(dims["county_code"]), on="county_code").assign(
        assessment_zh=dims["assessment"].map(_ASSESSMENT_ZH),
        source_zh=dims["source"].map(_SOURCE_ZH),
        unmet_zh=named(dims["unmet_criteria"]),
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
    _write_table(
        wb.create_sheet("评估维度"),
        dims,
        [
            _Column("county_name_zh", "县(区)"),
            _Column("year", "年份", "year"),
            _Column("assessment_zh", "评估"),
            _Column("dimension_zh", "维度"),
            _Column("state", "结果", "state"),
            _Column("source_zh", "依据"),
            _Column("criteria_met_count", "达标条件数", "int"),
            _Column("criteria_count", "条件总数", "int"),
            _Column("unmet_zh", "未达标条件"),
            _Column("reason_zh", "未评估原因"),
        ],
    )
    detail = data.criteria
    if counties is not None:
        detail = detail[detail["county_code"].isin(list(counties))]
    if year is not None:
        detail = detail[detail["year"] == year]
    names = indicators.registry_frame()[["indicator", "name_zh", "unit"]]
    checklist = indicators.checklist_items().rename(columns={"item": "indicator"})[["indicator", "name_zh"]]
    names = pd.concat([names, checklist.assign(unit="%")], ignore_index=True)
    dim_zh = {
        (a, d["code"]): d["name_zh"]
        for a, spec in indicators.load_registry().assessments.items()
        for d in spec.get("dimensions") or []
    }
    detail = detail.merge(names, how="left", left_on="criterion", right_on="indicator").assign(
        assessment_zh=lambda d: d["assessment"].map(_ASSESSMENT_ZH),
        comparison_zh=lambda d: d["comparison"].map(_COMPARISON_ZH),
        dimension_zh=lambda d: [dim_zh.get((a, k), k) for a, k in zip(d["assessment"], d["dimension"], strict=True)],
        source_zh=lambda d: d["source"].map(_SOURCE_ZH),
        reason_zh=lambda d: d["na_reason"].map(lambda r: "" if pd.isna(r) else nv.na_text(r)),
    )
    detail = detail.join(scorecard.county_names(detail["county_code"]), on="county_code")
    _write_table(
        wb.create_sheet("评估明细"),
        detail,
        [
            _Column("county_name_zh", "县(区)"),
            _Column("year", "学年初", "school_year"),
            _Column("assessment_zh", "评估"),
            _Column("dimension_zh", "维度"),
            _Column("name_zh", "条件(指标)"),
            _Column("value", "数值", "unit", thresholds=("threshold",)),
            _Column("comparison_zh", "比较"),
            _Column("threshold", "标准", "unit"),
            _Column("is_met", "是否达标", "met"),
            _Column("source_zh", "依据"),
            _Column("evidence", "佐证材料及说明"),
            _Column("note", "备注", printed=False),
            _Column("reason_zh", "缺失或未评估原因", printed=False),
            _Column("criterion", "指标代码", printed=False),
        ],
    )


def _school_sheets(wb: Workbook, data: _Data, county: str, year: int) -> None:
    parts = data.parts[(data.parts["county_code"] == county) & (data.parts["year"] == year)]
    parts = parts.assign(stage_zh=parts["stage"].map(_STAGE_ZH), type_zh=parts["school_type"].map(_SCHOOL_TYPE_ZH))
    thresholds = {s: std.resource_thresholds(s) for s in std.STAGES}
    names = indicators.load_registry().indicators
    columns = [
        _Column("school_name", "学校"),
        _Column("stage_zh", "学段"),
        _Column("type_zh", "类型"),
        _Column("student_count", "在校生", "int"),
        _Column("is_assessed", "参评", "yesno"),
        _Column("exclusion_reason", "不参评原因"),
    ]
    for code in std.RESOURCE_INDICATORS:
        kind = "float2" if thresholds["primary"][code] < 100 else "int"
        columns.append(_Column(code, names[code].name_zh, kind))
    columns += [
        _Column("indicators_met_count", "达标项数", "int"),
        _Column("meets_standard", "是否达标", "met"),
        _Column("na_reason", "缺失原因", printed=False),
        _Column("school_id", "学校标识码", printed=False),
    ]
    missing = nv.text("missing", "zh") + nv.text("colon", "zh")
    parts = parts.assign(
        na_reason=_reasons_zh(parts["na_reason"]),
        # Why a school is not assessed, from the same table of reasons, without the 数据缺失 head.
        exclusion_reason=_reasons_zh(parts["exclusion_reason"]).map(
            lambda t: t if t is None else t.removeprefix(missing), na_action="ignore"
        ),
    )
    _write_table(wb.create_sheet("学校资源配置"), parts, columns)

    g = data.school_gaps[(data.school_gaps["county_code"] == county) & (data.school_gaps["year"] == year)]
    g = g.assign(
        stage_zh=g["stage"].map(_STAGE_ZH),
        binding_zh=np.where(g["is_binding"], "是", "否"),
        # Whole teachers and rooms: 2.124 teachers needed means 3 (what is there plus the whole addition).
        required_amount=g["required_amount"].where(~g["is_integer"].astype(bool), g["current_amount"] + g["addition"]),
    )
    _write_table(
        wb.create_sheet("学校资源缺口"),
        g,
        [
            _Column("school_name", "学校"),
            _Column("stage_zh", "学段"),
            _Column("resource_zh", "资源"),
            _Column("value", "现值(生均/每百名)", "float2"),
            _Column("threshold", "标准", "float2"),
            _Column("current_amount", "现有(本学段)", "amount", "is_integer"),
            _Column("required_amount", "达到标准需有(本学段)", "amount", "is_integer"),
            _Column("addition", "学校需新增(达到标准)", "amount", "is_integer"),
            _Column("binding_zh", "计入合计"),
            _Column("meets_standard", "学校是否达标", "met"),
            _Column("school_id", "学校标识码", printed=False),
        ],
    )


def _gap_summary_sheets(wb: Workbook, data: _Data, counties: Sequence[str] | None, year: int) -> None:
    summary = data.resource_gaps  # stored in the build: formatted here, never summed
    summary = summary[summary["year"] == year]
    if counties is not None:
        summary = summary[summary["county_code"].isin(list(counties))]
    summary = summary.join(scorecard.county_names(summary["county_code"]), on="county_code")
    whole = data.school_gaps.drop_duplicates("indicator").set_index("indicator")["is_integer"]
    summary = summary.assign(is_integer=summary["indicator"].map(whole).fillna(False))
    _write_table(
        wb.create_sheet("资源缺口汇总"),
        summary,
        [
            _Column("county_name_zh", "县(区)"),
            _Column("resource_zh", "资源"),
            _Column("addition", "需新增(达到优质均衡标准)", "amount", "is_integer"),
            _Column("school_parts_below_count", "低于标准的学段数", "int"),
            _Column("schools_below_count", "低于标准的学校数", "int"),
            _Column("indicator", "指标代码", printed=False),
        ],
    )
    pre = data.preschool_gaps[data.preschool_gaps["year"] == year]
    if counties is not None:
        pre = pre[pre["county_code"].isin(list(counties))]
    pre = pre.join(scorecard.county_names(pre["county_code"]), on="county_code").assign(
        comparison_zh=lambda d: d["comparison"].map(_COMPARISON_ZH),
        na_reason=lambda d: _reasons_zh(d["na_reason"]),
    )
    pre = pre.merge(indicators.registry_frame()[["indicator", "name_zh", "unit"]], how="left", on="indicator")
    _write_table(
        wb.create_sheet("学前缺口"),
        pre,
        [
            _Column("county_name_zh", "县(区)"),
            _Column("name_zh", "指标"),
            _Column("value", "数值", "unit"),
            _Column("comparison_zh", "比较"),
            _Column("threshold", "标准", "unit"),
            _Column("gap_zh", "缺口(对照普及普惠标准)"),
            _Column("needed", "达到标准需要", "int"),
            _Column("na_reason", "缺失原因", printed=False),
            _Column("indicator", "指标代码", printed=False),
        ],
    )


def _sources_sheet(wb: Workbook, data: _Data, indicator_codes: Sequence[str]) -> None:
    """Where every number comes from: the data's provenance, the standards and the plan clauses."""
    ws = wb.create_sheet("来源与数据说明")
    bold = Font(bold=True)
    row = 1
    manifest = data.manifest
    is_sample = bool(manifest and manifest.get("is_sample"))
    lines: list[tuple[str, Any]] = [("数据说明", None)]
    if is_sample:
        lines.append(("性质", f"{SAMPLE_NOTICE}（synthetic sample, not official statistics）"))
    if manifest:
        lines += [
            ("数据生成时间", manifest.get("created_at")),
            ("原始数据目录", manifest.get("raw_dir")),
            ("是否样例数据", "是" if is_sample else "否"),
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
        ("学年初", _SCHOOL_YEAR_NOTE.removeprefix("学年初：")),
    ]
    for key, value in lines:
        a = _put(ws, row, 1, key or None)
        _put(ws, row, 2, _cell_value(value))
        if value is None and key:
            a.font = bold
        if key == "性质":
            ws.cell(row=row, column=2).font = Font(bold=True, color="C00000")
        row += 1
    row += 1
    if manifest and manifest.get("inputs"):
        _put(ws, row, 1, "原始文件").font = bold
        row += 1
        inputs = pd.DataFrame(manifest["inputs"])
        _write_table(
            ws,
            inputs,
            [_Column("path", "文件"), _Column("sha256", "SHA-256"), _Column("bytes", "字节", "int")],
            start_row=row,
        )
        row += len(inputs) + 2
    _put(ws, row, 1, "指标来源").font = bold
    row += 1
    reg = indicators.registry_frame()
    reg = reg[reg["indicator"].isin(list(indicator_codes))]
    quotes = data.plan.targets().drop_duplicates("indicator").set_index("indicator")["quote"]
    reg = reg.assign(quote=reg["indicator"].map(quotes), unit_zh=_unit_zh(reg["unit"]))
    _write_table(
        ws,
        reg,
        [
            _Column("name_zh", "指标"),
            _Column("unit_zh", "单位"),
            _Column("source", "依据"),
            _Column("clause", "计划条款"),
            _Column("quote", "计划原文"),
            _Column("note", "口径说明"),
            _Column("indicator", "指标代码", printed=False),
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


def _hook_sheets(wb: Workbook, area: str, processed_dir: str | Path | None, from_build: bool) -> None:
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
            _whole_numbers(ws)
            _a4_print(ws, sum((ws.column_dimensions[get_column_letter(j)].width or 9) for j in range(1, ws.max_column)))
            continue
        ws = wb.create_sheet(sheet)
        _put(ws, 1, 1, f"本表未生成：{reason}")
        ws.column_dimensions["A"].width = 100
        _a4_print(ws, 100)


def _whole_numbers(ws: Worksheet) -> None:
    """Pupils, places and teachers as whole numbers, years as 2025, distances to 0.1 km, in a sheet of stacked
    tables (each under a bold header row)."""
    header: list[Any] = []
    for row in ws.iter_rows():
        if row[0].font is not None and row[0].font.bold:
            header = [c.value for c in row]
            continue
        for cell in row:
            if not isinstance(cell.value, (int, float)) or isinstance(cell.value, bool):
                continue
            name = str(header[cell.column - 1]) if cell.column <= len(header) else ""
            cell.number_format = "0" if "年份" in name else ("0.0" if "km" in name else _FORMATS["int"])


def _new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def write_county_workbook(
    county: str,
    year: int,
    path: str | Path,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    manifest: dict[str, Any] | None = None,
    plan: str | Path | None = None,
    results: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """One county's workbook for ``year``: scorecard, assessments, schools, gaps, sources.

    ``tables`` / ``processed_dir`` choose the data (default: the current processed set,
    whose manifest goes into 来源与数据说明; pass ``manifest`` and the tables' ``results``
    (:func:`lcedu.measure.results.compute_results`) with explicit tables). Returns
    the path written (atomically).
    """
    county = str(county)
    data = _load(tables, processed_dir, year, manifest, plan, results)
    card = data.scorecard[(data.scorecard["county_code"] == county) & (data.scorecard["year"] == year)]
    if not len(card):
        raise ValueError(f"no indicator rows for county {county!r} in {year}")
    baseline = int(card["baseline_year"].dropna().iloc[0]) if card["baseline_year"].notna().any() else year
    wb = _new_workbook()
    _scorecard_sheet(wb, "指标总览", card, baseline)
    _counts_sheet(wb, card, data, county)
    _assessment_sheets(wb, data, [county], None)
    _school_sheets(wb, data, county, year)
    _gap_summary_sheets(wb, data, [county], year)
    _sources_sheet(wb, data, list(card["indicator"]))
    _hook_sheets(wb, county, processed_dir, tables is None)
    return _save_atomically(wb, path)


def write_city_workbook(
    year: int,
    path: str | Path,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    manifest: dict[str, Any] | None = None,
    plan: str | Path | None = None,
    results: Mapping[str, pd.DataFrame] | None = None,
    prefecture: str = CITY_CODE,
) -> Path:
    """A prefecture's workbook for ``year`` (临沧市 by default): its scorecard, its counties side by side
    (ranked among themselves), assessments, gaps, sources. Counties of other prefectures in the build
    are left out."""
    data = _load(tables, processed_dir, year, manifest, plan, results)
    card = data.scorecard[data.scorecard["year"] == year]
    codes = card["county_code"].astype(str)
    members = sorted(c for c in codes.unique() if not is_aggregate(c) and prefecture_of(c) == prefecture)
    card = card[codes.isin([*members, prefecture])]
    if not len(card):
        raise ValueError(f"no indicator rows for {prefecture} in {year}")
    city = card[card["county_code"] == prefecture]
    counties = card[card["county_code"] != prefecture]
    baseline = int(card["baseline_year"].dropna().iloc[0]) if card["baseline_year"].notna().any() else year
    wb = _new_workbook()
    _scorecard_sheet(wb, "全市指标", city, baseline)
    _counts_sheet(wb, card, data, prefecture)
    _counties_sheet(wb, counties)
    _comparison_sheet(wb, card)
    _assessment_sheets(wb, data, [*members, prefecture], year)
    _gap_summary_sheets(wb, data, [*members, prefecture], year)
    _sources_sheet(wb, data, list(dict.fromkeys(card["indicator"])))
    _hook_sheets(wb, prefecture, processed_dir, tables is None)
    return _save_atomically(wb, path)
