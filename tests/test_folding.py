"""Root cause first: follow-on errors folded under the error that caused them, and a summary at the end."""

from __future__ import annotations

from pathlib import Path

from lcedu.errors import InputErrors, Issue, fold, format_folded, summary
from lcedu.ingest.causes import link_causes

LOCAL = "raw/local/2024/学校补充信息.xlsx"


def _orphans(n: int, year: int = 2024) -> list[Issue]:
    return [
        Issue(
            "error",
            LOCAL,
            f"学校标识码 21539250{i:02d} 在 {year} 学年的过录表或学校表中不存在 / not in any roster or school table",
            "更正学校标识码，或删除该行",
            sheet="学校补充信息",
            row=10 + i,
            column="学校标识码",
        )
        for i in range(n)
    ]


def _raw_with_et(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    (raw / "rosters" / "2024").mkdir(parents=True)
    (raw / "rosters" / "2024" / "双江县2024学年基础教育过录表.et").write_bytes(b"WPS")
    return raw


def _skipped() -> Issue:
    return Issue(
        "warning",
        "raw/rosters/2024/双江县2024学年基础教育过录表.et",
        "未识别的文件：不支持 .et 格式，未读取 / file not recognised: unsupported spreadsheet format .et, not read",
        "用 WPS 或 Excel 打开，另存为 .xlsx 后放回原处 / save as .xlsx",
    )


def _no_rows(pairs: str) -> Issue:
    return Issue(
        "error",
        "/data/raw",
        f"以下县(区)和学年没有数据 / no rows for these county-years: {pairs}；缺的表 tables: 学校基本情况(schools)",
        "放入对应的原始文件",
        relaxed_by_partial=True,
    )


def test_an_unreadable_roster_is_the_root_and_its_consequences_one_line(tmp_path: Path) -> None:
    raw = _raw_with_et(tmp_path)
    issues = link_causes([_skipped(), *_orphans(40), _no_rows("2024 双江自治县(530925)")], raw)
    root = issues[0]
    assert root.level == "error" and root.file.endswith(".et") and root.ref
    assert "不支持 .et 格式" in root.message and "2024 学年 双江自治县(530925) 因此没有数据" in root.message
    assert "另存为 .xlsx" in root.fix
    lines = format_folded(issues)
    assert lines[0].startswith("错误 raw/rosters/2024/双江县2024学年基础教育过录表.et")
    assert len([line for line in lines if "学校补充信息" in line]) == 1, "40 rows folded into one line"
    assert "40 个错误" in "\n".join(lines) and "第10–49行" in "\n".join(lines)
    assert summary(issues).startswith("检查未通过：42 个错误，其中 41 个由第 1 条引起")


def test_clean_prints_the_same_root_and_summary() -> None:
    issues = [
        Issue("error", "raw/rosters/2024/x.et", "不支持 .et 格式", "另存为 .xlsx", ref="x"),
        *[Issue("error", LOCAL, f"学校标识码 {i} 不存在", row=i, cause="x") for i in range(5)],
    ]
    text = str(InputErrors(issues))
    assert text.splitlines()[1].startswith("错误 raw/rosters/2024/x.et")
    assert "由此引起" in text and text.splitlines()[-1].startswith("检查未通过：6 个错误，其中 5 个由第 1 条引起")


def test_a_county_year_with_its_data_elsewhere_keeps_the_warning(tmp_path: Path) -> None:
    """A stray .et beside the .xlsx the county-year is read from: a warning, no root, nothing folded."""
    raw = _raw_with_et(tmp_path)
    orphans = _orphans(2, year=2023)
    issues = link_causes([_skipped(), *orphans], raw)
    assert issues[0].level == "warning" and all(i.cause is None for i in issues)


def test_a_no_rows_error_naming_other_county_years_too_is_not_folded(tmp_path: Path) -> None:
    raw = _raw_with_et(tmp_path)
    both = _no_rows("2024 双江自治县(530925)、2024 临翔区(530902)")
    issues = link_causes([_skipped(), both], raw)
    assert issues[0].ref and issues[-1].cause is None, "临翔区's missing roster is a problem of its own"


def test_many_errors_of_one_kind_are_one_line_with_their_rows() -> None:
    issues = _orphans(12)
    groups = fold(issues)
    assert len(groups) == 1 and len(groups[0].alike) == 11
    lines = format_folded(issues)
    assert "同类错误另有 11 个" in lines[-1] and "第11–21行" in lines[-1]
    assert summary(issues).startswith("检查未通过：12 个错误，其中 12 个与第 1 条同类")


def test_a_few_errors_are_each_listed() -> None:
    issues = _orphans(2)
    assert sum(line.startswith("错误") for line in format_folded(issues)) == 2
