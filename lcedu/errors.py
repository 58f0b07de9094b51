"""Problems found in raw input, reported the way an analyst can act on them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One problem in one place of one input file.

    ``row`` is the spreadsheet row as Excel shows it (1-based); ``column`` is the
    header text as written in the file, so the user can find the cell.
    """

    level: str  # "error" | "warning"
    file: str
    message: str
    fix: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    # Input that is missing rather than wrong (an absent table, county-year or an empty sheet): an
    # error by default, a warning when the user says the input is partial (--partial).
    relaxed_by_partial: bool = False
    # Root causes and their follow-on errors: a root sets ``ref``; an error it caused sets ``cause`` to the
    # same text and is printed folded under it (see :func:`fold`).
    ref: str | None = None
    cause: str | None = None

    def format(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"列「{self.column}」")
        text = f"{'错误' if self.level == 'error' else '提示'} {' '.join(where)}: {self.message}"
        if self.fix:
            text += f"\n    修正 / fix: {self.fix}"
        return text


@dataclass
class InputErrors(Exception):
    """Raised when raw input cannot be cleaned; carries every error found, not just the first."""

    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        errors = [i for i in self.issues if i.level == "error"]
        lines = [f"{len(errors)} 个输入错误 / input error(s); 未写入任何处理结果 (nothing was written):"]
        lines += format_folded(self.issues)
        lines.append(summary(self.issues))
        return "\n".join(lines)


#: Errors of one kind (same file, sheet, column, wording) listed one by one up to this many; more are one line.
FOLD_AT = 3
_NUMBERS = re.compile(r"\d+")


@dataclass
class Group:
    """A root issue and the errors folded under it: those it caused, or more of the same kind."""

    head: Issue
    caused: list[Issue] = field(default_factory=list)
    alike: list[Issue] = field(default_factory=list)


def _kind(issue: Issue) -> tuple:
    """Issues that differ only in numbers (a row, an id) are the same kind of problem."""
    return (issue.level, issue.file, issue.sheet, issue.column, _NUMBERS.sub("#", issue.message), issue.fix)


def fold(issues: list[Issue]) -> list[Group]:
    """Errors grouped for reading: roots first (with what they caused), then one group per kind of error.

    The cause is what the user must fix; 40 rows of 学校补充信息 naming schools of a roster that could not
    be read are its consequence, not 40 problems.
    """
    errors = [i for i in issues if i.level == "error" or i.ref is not None]
    refs = {i.ref for i in errors if i.ref is not None}
    roots = {i.ref: Group(i) for i in errors if i.ref is not None}
    kinds: dict[tuple, Group] = {}
    for issue in errors:
        if issue.ref is not None:
            continue
        if issue.cause in refs:
            roots[issue.cause].caused.append(issue)
            continue
        group = kinds.get(_kind(issue))
        if group is None:
            kinds[_kind(issue)] = Group(issue)
        else:
            group.alike.append(issue)
    return [*roots.values(), *kinds.values()]


def _rows(issues: list[Issue]) -> str:
    rows = sorted({i.row for i in issues if i.row is not None})
    if not rows:
        return ""
    return f"第{rows[0]}行" if len(rows) == 1 else f"第{rows[0]}–{rows[-1]}行"


def _followers(group: Group) -> list[str]:
    """One line per file (and kind) of what a root caused."""
    by_kind: dict[tuple, list[Issue]] = {}
    for issue in group.caused:
        by_kind.setdefault(_kind(issue), []).append(issue)
    lines = []
    for same in by_kind.values():
        first = same[0]
        where = " ".join(x for x in (first.file, f"工作表「{first.sheet}」" if first.sheet else "", _rows(same)) if x)
        example = "" if len(same) == 1 else "例如 / e.g. "
        lines.append(f"    ↳ 由此引起 / caused by it: {len(same)} 个错误 error(s), {where}: {example}{first.message}")
    return lines


def format_folded(issues: list[Issue]) -> list[str]:
    """The errors as :func:`fold` groups them: each root with its consequences under it, each kind once."""
    lines: list[str] = []
    for group in fold(issues):
        lines.append(group.head.format())
        lines += _followers(group)
        if len(group.alike) >= FOLD_AT:
            lines.append(
                f"    ↳ 同类错误另有 {len(group.alike)} 个 / {len(group.alike)} more of the same kind "
                f"({_rows(group.alike) or group.head.file})"
            )
        else:
            lines += [i.format() for i in group.alike]
    return lines


def summary(issues: list[Issue]) -> str:
    """The last line of a failed check: how many errors and how many of them the first cause explains."""
    errors = [i for i in issues if i.level == "error"]
    if not errors:
        return ""
    groups = fold(issues)
    first = groups[0]
    text = f"检查未通过：{len(errors)} 个错误"
    english = f"check failed: {len(errors)} error(s)"
    if first.caused:
        text += f"，其中 {len(first.caused)} 个由第 1 条引起"
        english += f", {len(first.caused)} of them caused by the first"
    elif first.alike:
        text += f"，其中 {len(first.alike) + 1} 个与第 1 条同类"
        english += f", {len(first.alike) + 1} of them of the first one's kind"
    return f"{text}；先修正第 1 条 / {english}; fix the first one first"


class RequestError(ValueError):
    """A command asked for something the data cannot give (a year without data, an unknown county).

    Expected, like bad input: the CLI prints the message and the fix and exits with 2.
    """

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix

    def __str__(self) -> str:
        text = f"错误 / error: {self.args[0]}"
        return text + (f"\n    修正 / fix: {self.fix}" if self.fix else "")
