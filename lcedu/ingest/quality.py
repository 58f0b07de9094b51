"""The data-quality summary printed after cleaning."""

from __future__ import annotations

import pandas as pd

from lcedu.errors import Issue
from lcedu.ingest.plausibility import beyond_soft_bound, count_beyond_soft_bound

LABELS = {
    "schools": "学校基本情况",
    "enrollment": "学生情况",
    "teachers": "教职工情况",
    "facilities": "办学条件",
    "population": "常住人口",
    "disability": "适龄残疾儿童少年",
    "ledger": "任务台账",
    "city": "市级指标",
    "assessment_checklist": "督导评估清单",
    "births": "出生人口",
    "census_population": "人口普查分年龄",
}


def plausibility_lines(issues: list[Issue]) -> list[str]:
    """The values beyond a soft plausibility bound: a count, then each, with where to look."""
    soft = [i for i in issues if beyond_soft_bound(i)]
    lines = [f"超出合理范围软界限的数值 / values beyond a soft plausibility bound: {count_beyond_soft_bound(issues)}"]
    for i in soft:
        where = " ".join(
            str(x)
            for x in (i.file, i.sheet and f"「{i.sheet}」", i.row and f"第{i.row}行", i.column and f"「{i.column}」")
            if x
        )
        lines.append(f"  {where}: {i.message.split(' / implausible value')[0]}")
    return lines


def summary(tables: dict[str, pd.DataFrame], issues: list[Issue] | None = None) -> str:
    """Rows per table and year, missing cells by reason, 合计/小计 rows set aside and values beyond a soft bound."""
    lines = ["数据质量摘要 / data-quality summary", f"{'表 table':<28}{'行 rows':>8}  years"]
    for name, label in LABELS.items():
        frame = tables.get(name)
        if frame is None:
            lines.append(f"{label + ' ' + name:<28}{'—':>8}  (无数据 no data)")
            continue
        years = ", ".join(f"{y}:{n}" for y, n in frame.groupby("year").size().items())
        lines.append(f"{label + ' ' + name:<28}{len(frame):>8}  {years}")
    schools = tables.get("schools")
    if schools is not None and "is_counted_school" in schools and schools["is_counted_school"].notna().any():
        sites = schools[schools["is_counted_school"].eq(False).fillna(False).to_numpy(dtype=bool)]
        lines.append(
            f"是否计校数=0 的校点（教学点）/ sites not counted as schools: {len(sites)} 行 rows, "
            f"{sites['parent_school_id'].notna().sum()} 已对应原校点 with a parent school"
        )
    missing = tables.get("missing_values")
    if missing is not None and len(missing):
        lines.append("缺失值 (NA, 不计为0) / missing cells by table and reason:")
        counts = missing.groupby(["table", "reason"]).size()
        lines += [f"  {t:<12} {r}: {n}" for (t, r), n in counts.items()]
    totals = tables.get("reported_totals")
    if totals is not None and len(totals):
        rows = totals.drop_duplicates(["table", "label", "county_code", "year"]) if "county_code" in totals else totals
        lines.append(f"合计/小计行已标记、未重复计入 / total rows flagged, not counted: {len(rows)}")
    if issues is not None:
        lines += plausibility_lines(issues)
    return "\n".join(lines)
