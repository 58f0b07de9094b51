"""Schemas of the processed tables, derived from the layouts and checked with pandera."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from lcedu.errors import Issue
from lcedu.ingest.counties import registry
from lcedu.ingest.layout import Layout, code_lists, layouts

META = ["_file", "_sheet", "_row", "_is_total", "_label"]
DTYPES = {
    "school_id": "string",
    "text": "string",
    "county": "string",
    "count": "Int64",
    "amount": "Float64",
    "pct": "Float64",
    "degrees": "Float64",
    "year": "Int64",
}

# Cross-column rules a statistics clerk would check by eye.
RULES: dict[str, list[tuple[str, str]]] = {
    "teachers": [
        ("full_time_teacher_count <= staff_count", "专任教师多于教职工 / more teachers than staff"),
        ("certified_teacher_count <= full_time_teacher_count", "持证教师多于专任教师 / more certified than teachers"),
        ("backbone_teacher_count <= full_time_teacher_count", "骨干教师多于专任教师 / more backbone than teachers"),
        ("dual_qualified_teacher_count <= vocational_subject_teacher_count", "双师型多于专业课教师"),
        ("certified_principal_count <= principal_count", "持证园长多于园长 / more certified than principals"),
    ],
    "schools": [
        ("opened_year <= year", "开办年份晚于本学年 / opened after this school year"),
        ("independent_year >= opened_year", "独立设置年份早于开办年份 / independent before it opened"),
        ("independent_year <= year", "独立设置年份晚于本学年 / independent after this school year"),
    ],
    "facilities": [
        (
            "indoor_sports_area_m2 <= teaching_aux_area_m2",
            "室内体育用房大于教学及辅助用房 / gym larger than teaching area",
        ),
        (
            "digital_classroom_count <= classroom_count",
            "数字教室多于教室总数 / more digital classrooms than classrooms",
        ),
    ],
    "assessment_checklist": [
        (
            "is_met.notna() | item_value.notna()",
            "督导评估清单该项既无结果也无数值：填写 达标/未达标，或填写数值 / an item needs a result or a value",
        ),
    ],
    "disability": [
        (
            "enrolled_inclusive_count + enrolled_special_school_count + enrolled_home_delivery_count"
            " <= disabled_school_age_count",
            "已入学人数多于适龄残疾儿童少年 / more enrolled than school-age",
        ),
    ],
}


# Tables a reader builds from the forms' and rosters' detail rather than from a sheet of their own
# (issue 20), school level and keyed like ``enrollment``: their key and their columns' dtypes.
DETAIL_TABLES: dict[str, dict[str, object]] = {
    "grade_enrollment": {
        "key": ["school_id", "year", "stage", "grade"],
        "columns": {
            "school_id": "string",
            "year": "Int64",
            "county_code": "string",
            "stage": "string",
            "grade": "Int64",
            "student_count": "Int64",
        },
    },
    "kindergarten_ages": {
        "key": ["school_id", "year", "age"],
        "columns": {
            "school_id": "string",
            "year": "Int64",
            "county_code": "string",
            "age": "Int64",
            "student_count": "Int64",
        },
    },
    # 专任教师 by age band (基础基4212 / 422, 教基4153): age_upper NA for the open top band, age_lower 0 for the
    # band with no lower bound printed (24岁及以下); ``value`` names the count column, ``upper`` the band's top.
    "teacher_ages": {
        "key": ["school_id", "year", "stage", "age_lower"],
        "value": "teacher_count",
        "upper": "age_upper",
        "columns": {
            "school_id": "string",
            "year": "Int64",
            "county_code": "string",
            "stage": "string",
            "age_lower": "Int64",
            "age_upper": "Int64",
            "teacher_count": "Int64",
        },
    },
    "student_flows": {
        "key": ["school_id", "year", "stage", "flow"],
        "columns": {
            "school_id": "string",
            "year": "Int64",
            "county_code": "string",
            "stage": "string",
            "flow": "string",
            "student_count": "Int64",
        },
    },
}
#: The 331 table's flows in the form's order (上学年初 = start, 本学年初 = end).
FLOWS_IN = ("admitted", "resumed", "transferred_in", "other_in")
FLOWS_OUT = ("graduated", "completed", "suspended", "dropped_out", "died", "transferred_out", "other_out")
FLOWS = ("start", *FLOWS_IN, *FLOWS_OUT, "end")


def detail_value(name: str) -> str:
    """The count column of a detail table (``student_count`` unless the table names another)."""
    return str(DETAIL_TABLES[name].get("value", "student_count"))


def typed_detail(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A detail table (:data:`DETAIL_TABLES`) in its columns, dtypes and key order."""
    spec = DETAIL_TABLES[name]
    columns: dict = spec["columns"]  # type: ignore[assignment]
    out = frame.reindex(columns=list(columns)).astype(columns)
    return out.sort_values(list(spec["key"]), ignore_index=True)  # type: ignore[arg-type]


DETAIL_VALUES = {
    "stage": ["kindergarten", "primary", "junior", "senior", "special"],
    "flow": list(FLOWS),
}


def detail_schema(name: str, county_codes: set[str]) -> pa.DataFrameSchema:
    """The pandera schema of a detail table: typed, keyed, counts ≥ 0 (NA allowed: not reported)."""
    spec = DETAIL_TABLES[name]
    columns = {}
    for column, dtype in spec["columns"].items():  # type: ignore[union-attr]
        checks = []
        if column in ("student_count", "teacher_count"):
            checks.append(pa.Check.ge(0))
        if column == "school_id":
            checks.append(pa.Check.str_matches(r"^\d{10}$"))
        if column == "county_code":
            checks.append(pa.Check.isin(sorted(county_codes)))
        if column in DETAIL_VALUES:
            checks.append(pa.Check.isin(DETAIL_VALUES[column]))
        if column == "grade":
            checks.append(pa.Check.in_range(1, 6))
        if column == "age":
            checks.append(pa.Check.in_range(2, 6))
        nullable = column in ("student_count", "teacher_count", "age_upper")
        columns[column] = pa.Column(dtype, checks=checks, nullable=nullable)
    return pa.DataFrameSchema(columns, strict=True, unique=list(spec["key"]), name=name)  # type: ignore[arg-type]


def column_order(layout: Layout) -> list[str]:
    """Processed column order: key, year, county (for school tables), then the layout's columns."""
    cols = [*layout.key]
    if "year" not in cols:
        cols.append("year")
    if layout.level == "school":
        cols.append("county_code")
    cols += [c.name for c in layout.columns.values() if c.keep and c.name not in cols]
    return cols


def dtype_of(layout: Layout, column: str) -> str:
    if column == "county_code":
        return "string"
    if column == "year":
        return "Int64"
    col = layout.columns[column]
    if col.type == "code":
        kinds = {type(v) for v in code_lists()[col.codes].values()}
        return "boolean" if kinds == {bool} else "string"
    return DTYPES[col.type]


def schema(layout: Layout, county_codes: set[str]) -> pa.DataFrameSchema:
    columns = {}
    for name in column_order(layout):
        checks = []
        col = layout.columns.get(name)
        kind = col.type if col else name
        if kind in ("count", "amount"):
            checks.append(pa.Check.ge(0))
        if kind == "pct":
            checks.append(pa.Check.in_range(0, 100))
        if kind == "degrees":
            checks.append(pa.Check.in_range(0, 180))
        if kind == "school_id":
            checks.append(pa.Check.str_matches(r"^\d{10}$"))
        if name == "year":
            checks.append(pa.Check.in_range(2000, 2100))
        if name == "county_code":
            checks.append(pa.Check.isin(sorted(county_codes)))
        if col is not None and col.type == "code" and dtype_of(layout, name) == "string":
            checks.append(pa.Check.isin(sorted({str(v) for v in code_lists()[col.codes].values()})))
        required = name in layout.key or name in ("year", "county_code") or (col is not None and col.required)
        nullable = not required or (col is not None and col.nullable)
        columns[name] = pa.Column(dtype_of(layout, name), checks=checks, nullable=nullable)
    frame_checks = [
        pa.Check(lambda df, e=expr: df.eval(e).fillna(True), error=message)
        for expr, message in RULES.get(layout.table, [])
    ]
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks,
        strict=False,
        unique=[*layout.key] + ([] if "year" in layout.key else ["year"]),
        name=layout.table,
    )


def finalize(
    tables: dict[str, pd.DataFrame],
    issues: list[Issue],
    county_codes: set[str] | None = None,
    headers: dict[tuple[str, str, str | None, str], str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Validate each table against its schema, then drop the provenance columns.

    Failures become issues that point at the file, sheet and row the value came from, and at
    the header as written there when ``headers`` knows it ((file, sheet, stage, column) → header).
    """
    codes = county_codes or set(registry().county_code)
    seen = {c for t in tables.values() if "county_code" in t for c in t["county_code"].dropna().unique()}
    codes = codes | seen  # counties were resolved (and unknown ones reported) while parsing
    out = dict(tables)
    for layout in layouts():
        frame = tables.get(layout.table)
        if frame is None:
            continue
        order = column_order(layout)
        for c in order:
            if c not in frame:
                frame = frame.assign(**{c: pd.Series(pd.NA, index=frame.index, dtype=dtype_of(layout, c))})
        frame = frame.astype({c: dtype_of(layout, c) for c in order})
        try:
            schema(layout, codes).validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            _report(exc.failure_cases, frame, layout, issues, headers or {})
        sort = [*layout.key, "year"] if "year" not in layout.key else [*layout.key]
        out[layout.table] = frame[order].sort_values(sort, ignore_index=True)
    for name in DETAIL_TABLES:
        if name not in out:
            continue
        try:
            detail_schema(name, codes).validate(out[name], lazy=True)
        except pa.errors.SchemaErrors as exc:
            for case in exc.failure_cases.head(20).itertuples():
                issues.append(
                    Issue(
                        "error",
                        name,
                        f"校验失败 {case.check}: 值 {case.failure_case} / validation failed",
                        "核对读入该表的基层表或过录表",
                        column=None if pd.isna(case.column) else str(case.column),
                    )
                )
    for extra in ("reported_totals", "missing_values"):
        if extra in out:
            frame = out[extra].rename(columns={"_file": "file", "_row": "row"})
            out[extra] = frame.drop(columns=[c for c in META if c in frame])
    return out


def _report(
    cases: pd.DataFrame,
    frame: pd.DataFrame,
    layout: Layout,
    issues: list[Issue],
    headers: dict[tuple[str, str, str | None, str], str],
) -> None:
    if "schema_context" in cases:  # a row rule (RULES) fails once per row, not once per column of the row
        frame_level = cases["schema_context"].eq("DataFrameSchema")
        cases = pd.concat(
            [cases[~frame_level], cases[frame_level].drop_duplicates(["check", "index"]).assign(column=None)]
        )
    for case in cases.head(50).itertuples():
        idx = case.index
        where = {}
        column = None if pd.isna(case.column) else str(case.column)
        if idx is not None and not pd.isna(idx) and idx in frame.index:
            row = frame.loc[idx]
            where = {"sheet": row.get("_sheet"), "row": int(row["_row"])}
            file = row.get("_file")
            stage = row.get("stage") if "stage" in frame else None
            stage = None if stage is None or pd.isna(stage) else str(stage)
            if column is not None:
                column = headers.get(
                    (file, where["sheet"], stage, column), headers.get((file, where["sheet"], None, column), column)
                )
        else:
            file = layout.table
        if getattr(case, "schema_context", "") == "DataFrameSchema":  # a row rule: its message says what is wrong
            issues.append(
                Issue("error", str(file), f"校验失败 / validation failed: {case.check}", "核对并更正该行", **where)
            )
            continue
        issues.append(
            Issue(
                "error",
                str(file),
                f"校验失败 {case.check}: 值 {case.failure_case} / validation failed",
                "核对该单元格",
                column=column,
                **where,
            )
        )
