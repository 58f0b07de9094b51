"""Root causes of input errors: which error made the others, so the user fixes the one that matters.

A roster saved in a format no reader opens (WPS's own ``.et``) is skipped with a warning; its county-year
then has no rows, and every row of 学校补充信息 naming one of its schools "is not in any roster". Those are
consequences. :func:`link_causes` turns the skipped file into the root error (naming the file and the
county-year it leaves empty) and marks the errors it explains with ``cause``, so that
:func:`lcedu.errors.format_folded` prints them as one line under it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from lcedu.errors import Issue
from lcedu.ingest import counties
from lcedu.ingest.clean import identify
from lcedu.ingest.readers import UNSUPPORTED_SPREADSHEETS

#: The wording of the errors an unreadable roster causes (lcedu.ingest.clean): a county-year with no rows,
#: and a 学校补充信息 row whose school is in no roster of that year.
_NO_ROWS = "no rows for these county-years"
_NOT_IN_ROSTER = re.compile(r"在 (20\d{2}) 学年的过录表或学校表中不存在")


def _unreadable(issues: list[Issue], raw_dir: Path) -> list[tuple[Issue, int, str]]:
    """Skipped files in a format not read, with the school year and county their name gives."""
    extra = counties.read_extra(raw_dir, [])
    found = []
    for issue in issues:
        path = raw_dir.parent / issue.file
        if path.suffix.lower() not in UNSUPPORTED_SPREADSHEETS or not path.is_relative_to(raw_dir):
            continue
        year, county = identify(path, raw_dir, extra)
        if year is not None and county is not None:
            found.append((issue, year, county))
    return found


def _empty(issue: Issue, year: int, county: str) -> bool:
    """Does this 'no rows for these county-years' error list (year, county)?"""
    return _NO_ROWS in issue.message and re.search(rf"{year} [^、；]*\({county}\)", issue.message) is not None


def link_causes(issues: list[Issue], raw_dir: Path) -> list[Issue]:
    """The issues with each unreadable file that leaves a county-year empty made a root error, and the
    errors that follow from it (the empty county-year, 学校补充信息 rows of that year) marked as caused by it.

    Returns a new list (roots first); issues not explained by a root are unchanged.
    """
    raw_dir = Path(raw_dir)
    roots: dict[int, Issue] = {}
    years: dict[int, str] = {}
    for skipped, year, county in _unreadable(issues, raw_dir):
        if not any(_empty(i, year, county) for i in issues if i.level == "error"):
            continue  # the county-year has its data from another file: the warning stays a warning
        ref = f"{skipped.file}"
        place = f"{year} 学年 {counties.name(county)}({county})"
        suffix = Path(skipped.file).suffix
        roots[id(skipped)] = Issue(
            "error",
            skipped.file,
            f"未识别的文件：不支持 {suffix} 格式，未读取，{place} 因此没有数据 / unsupported spreadsheet format "
            f"{suffix}, not read, so {year} {county} has no data",
            "用 WPS 或 Excel 打开该文件，另存为 .xlsx（Excel 工作簿）后放回原处 / open it in WPS or Excel and "
            "save it as .xlsx in the same folder",
            ref=ref,
        )
        years.setdefault(year, ref)
    if not roots:
        return list(issues)
    out = [roots[id(i)] for i in issues if id(i) in roots]
    for issue in issues:
        if id(issue) in roots:
            continue
        out.append(replace(issue, cause=_cause(issue, roots.values(), years)) if issue.level == "error" else issue)
    return out


def _cause(issue: Issue, roots, years: dict[int, str]) -> str | None:
    """The root that explains this error, if one does."""
    if _NO_ROWS in issue.message:
        listed = re.findall(r"(20\d{2}) [^、；(]*\((\d{6})\)", issue.message)
        owners = [
            next((r.ref for r in roots if f"{y} 学年" in r.message and f"({c})" in r.message), None) for y, c in listed
        ]
        return owners[0] if listed and all(owners) else issue.cause
    match = _NOT_IN_ROSTER.search(issue.message)
    if match and int(match.group(1)) in years:
        return years[int(match.group(1))]
    return issue.cause
