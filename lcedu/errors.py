"""Problems found in raw input, reported the way an analyst can act on them."""

from __future__ import annotations

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
        lines += [i.format() for i in errors]
        return "\n".join(lines)


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
