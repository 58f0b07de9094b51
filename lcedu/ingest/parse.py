"""Turn one sheet's cell grid into a typed frame, using its layout.

Everything here works column-wise on the whole sheet at once; per-cell Python only runs
for the handful of cells that are wrong, to say where they are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lcedu.errors import Issue
from lcedu.ingest import codes, counties
from lcedu.ingest.layout import UNIT_FACTORS, Column, Layout, Variant, code_lists, normalize
from lcedu.ingest.readers import (
    FORMULA_FIX,
    FORMULA_WITHOUT_VALUE,
    FORMULA_WITHOUT_VALUE_REASON,
    cell_text,
)

NA_TOKENS = {
    "",
    "—",
    "——",
    "–",
    "-",
    "--",
    "/",
    "nan",
    "none",
    "null",
    "#n/a",
    "不适用",
    "无数据",
    FORMULA_WITHOUT_VALUE.lower(),
}
TOTAL_LABEL = re.compile(r"合计|总计|小计|全县|全区|全市")
NOTE_START = re.compile(r"^(注|说明|备注|填表|审核|数据来源|单位负责人)")
HEADER_SEARCH_ROWS = 15
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")


@dataclass
class RawSheet:
    """One sheet's data rows as text under canonical column names, not yet typed.

    Sheets of the same table and variant are concatenated and converted together, which
    is what makes cleaning a province's 2,000 sheets fast.
    """

    text: pd.DataFrame  # canonical columns + _file, _sheet, _row, _is_total
    variant: str
    headers: dict[str, str]  # canonical column -> header as written in this sheet
    units: dict[str, str | None]


def _cells(grid: list[list[object]]) -> np.ndarray:
    """The grid as a 2-D object array; '' marks an empty cell (as calamine and csv give it)."""
    width = max((len(r) for r in grid), default=0)
    if all(len(r) == width for r in grid):
        cells = np.empty((len(grid), width), dtype=object)
        cells[:] = grid if grid else cells
        return cells
    cells = np.full((len(grid), width), "", dtype=object)
    for i, row in enumerate(grid):
        cells[i, : len(row)] = row
    return cells


def _text(block: np.ndarray) -> np.ndarray:
    return np.array([[cell_text(v) for v in row] for row in block], dtype=object).reshape(block.shape)


def find_header(cells: np.ndarray, layout: Layout) -> int | None:
    """Row index of the first header row: the one holding the key column's header."""
    anchors = layout.anchor_spellings()
    # The anchor may sit in a lower header row under a merged group, so compare the last part.
    last_parts = {a.split("/")[-1] for a in anchors}
    for i in range(min(HEADER_SEARCH_ROWS, len(cells))):
        row = {normalize(cell_text(c)) for c in cells[i] if c != ""}
        if row & last_parts:
            return i
    return None


def flatten_header(block: np.ndarray) -> list[str]:
    """Join stacked header rows into 'group/sub/leaf' names.

    Exports merge group headers across columns; readers see the text in the first cell and
    blanks to its right. A blank upper cell inherits from the left only where a lower row
    has text (so it really sits under a group); vertically merged cells stay as they are.
    """
    rows = [list(r) for r in _text(block)]
    n = len(rows)
    for k in range(n - 1):
        for j in range(1, len(rows[k])):
            below = any(rows[m][j] for m in range(k + 1, n))
            if not rows[k][j] and below and rows[k][j - 1] and any(rows[m][j - 1] for m in range(k + 1, n)):
                rows[k][j] = rows[k][j - 1]
    names = []
    for j in range(len(rows[0]) if rows else 0):
        parts: list[str] = []
        for k in range(n):
            p = rows[k][j]
            if p and (not parts or parts[-1] != p):
                parts.append(p)
        names.append("/".join(parts))
    return names


def _hits(headers: list[str], variant: Variant) -> int:
    return sum(normalize(h) in variant.spellings for h in headers if h)


def parse_sheet(
    grid: list[list[object]],
    layout: Layout,
    *,
    file: str,
    sheet: str,
    year: int | None,
    has_county: bool,
    issues: list[Issue],
) -> RawSheet | None:
    """Find the header, map it to canonical columns and select data rows; None if unusable."""
    cells = _cells(grid)
    where = {"file": file, "sheet": sheet}
    if cells.size == 0 or (cells == "").all():
        issues.append(
            Issue(
                "error", message="工作表为空 / the sheet is empty", fix="导出完整的数据表后重新放入 data/raw/", **where
            )
        )
        return None
    start = find_header(cells, layout)
    if start is None:
        key_header = sorted(layout.anchor_spellings())[0]
        issues.append(
            Issue(
                "error",
                message=f"找不到表头：应有一列「{key_header}」 / header row not found",
                fix=f"确认表头含「{key_header}」，或在 lcedu/ingest/layouts/{layout.table}.yml 增加新写法",
                **where,
            )
        )
        return None

    # Read the header at each variant's depth; keep the variant whose spellings explain the most
    # headers (ties go to the variant declared for the year, which comes first).
    candidates = [(v, flatten_header(cells[start : start + v.header_rows])) for v in layout.variants_for(year)]
    variant, headers = max(candidates, key=lambda c: _hits(c[1], c[0]))
    first_data = start + variant.header_rows + variant.skip_after_header
    body = cells[first_data:]

    column_of: dict[int, tuple[str, str | None]] = {}
    ok = True
    for j, h in enumerate(headers):
        if not h:
            if (body[:, j] != "").any() and not _is_note_column(body, j):
                issues.append(
                    Issue(
                        "error",
                        message=f"第{j + 1}列有数据但没有表头 / data without a header",
                        fix="补上表头或删除该列",
                        row=start + 1,
                        **where,
                    )
                )
                ok = False
            continue
        hit = variant.spellings.get(normalize(h))
        if hit is None:
            near = layout.closest_spelling(h)
            issues.append(
                Issue(
                    "error",
                    column=h,
                    row=start + 1,
                    message=f"未知表头「{h}」/ unknown header; 最接近的已知写法 closest known: 「{near}」",
                    fix=f"若是新年份的新写法，在 lcedu/ingest/layouts/{layout.table}.yml 的 {variant.name} 中加入它",
                    **where,
                )
            )
            ok = False
            continue
        column_of[j] = hit
    found = {c for c, _ in column_of.values()}
    for col in layout.columns.values():
        if col.required and col.name not in found and not (col.type == "county" and has_county):
            spelled = [t for t, (c, _) in variant.spellings.items() if c == col.name]
            issues.append(
                Issue(
                    "error",
                    row=start + 1,
                    column=spelled[0] if spelled else col.name,
                    message=f"缺少必需的列「{spelled[0] if spelled else col.name}」/ required column missing",
                    fix="检查导出时是否漏选了该列",
                    **where,
                )
            )
            ok = False
    if not ok:
        return None

    rows = _data_rows(body, layout, column_of)
    columns = {column_of[j][0]: body[rows, j] for j in column_of}
    is_total = _total_mask(columns, layout)
    labels = columns.get(layout.name_column, np.full(len(rows), "", dtype=object))
    columns |= {
        "_file": np.full(len(rows), file, dtype=object),
        "_sheet": np.full(len(rows), sheet, dtype=object),
        "_row": np.asarray(rows, dtype="int64") + first_data + 1,
        "_is_total": is_total,
        "_label": np.array([cell_text(v) if t else "" for v, t in zip(labels, is_total, strict=True)], dtype=object),
    }
    text = pd.DataFrame(columns)
    return RawSheet(
        text=text,
        variant=variant.name,
        headers={column_of[j][0]: headers[j] for j in column_of},
        units={column_of[j][0]: column_of[j][1] for j in column_of},
    )


def _is_note_column(body: np.ndarray, j: int) -> bool:
    values = [cell_text(v) for v in body[:, j] if v != ""]
    return bool(values) and all(NOTE_START.match(v) for v in values)


def _data_rows(body: np.ndarray, layout: Layout, column_of: dict) -> np.ndarray:
    """Positions of record and total rows; stops at the notes under the table."""
    filled = body != ""
    if body.shape[1] == 0:
        return np.array([], dtype=int)
    first = body[np.arange(len(body)), filled.argmax(axis=1)]
    # Notes are one merged cell of text under the table: 注：…, 填表人：…
    is_note = np.array([bool(NOTE_START.match(cell_text(t))) for t in first], dtype=bool) & (filled.sum(axis=1) <= 1)
    has_data = filled[:, list(column_of)].any(axis=1)
    stop = int(np.argmax(is_note)) if is_note.any() else len(body)
    rows = np.flatnonzero(has_data)
    return rows[rows < stop]


def _total_mask(columns: dict[str, np.ndarray], layout: Layout) -> np.ndarray:
    """合计/小计 rows: a total label in the name or key column."""
    mask = np.zeros(len(next(iter(columns.values()))), dtype=bool)
    for c in {layout.name_column, *layout.key} & set(columns):
        mask |= np.array([isinstance(v, str) and TOTAL_LABEL.search(v) is not None for v in columns[c]], dtype=bool)
    return mask


def _normal(v: str) -> str:
    return (v if v.isascii() else unicodedata.normalize("NFKC", v)).strip()


def _number(text: str) -> float:
    """'1,234' / '12.5%' / '１２３' (already NFKC) → float; NaN when it is not a number."""
    try:
        return float(THOUSANDS.sub("", text).removesuffix("%"))
    except ValueError:
        return np.nan


def _split(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which cells are numbers and which are NA (empty or a dash token); where the other strings are and their
    cleaned text. Exports repeat the same few strings ('—', '0', '是'): each distinct one is cleaned once."""
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    strings = values[is_str]
    normal = {v: _normal(v) for v in set(strings)}
    na_token = {v: n.lower() in NA_TOKENS for v, n in normal.items()}
    str_na = np.fromiter((na_token[v] for v in strings), dtype=bool, count=len(strings))
    is_na = pd.isna(values)
    is_na[is_str] = str_na
    where = np.flatnonzero(is_str)[~str_na]
    clean = np.array([normal[v] for v in strings[~str_na]], dtype=object)
    return ~is_str & ~is_na, is_na, where, clean


def school_ids(raw: pd.Series, skip: np.ndarray) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """学校标识码 cells → (ids, refused mask, repaired mask), by ``codes.school_id`` (never zero-filled).

    A whole-number cell is an id typed as a number, not a repair; the text forms Excel leaves
    (``2153012345.0``, ``2.153012345E+09``) are repaired with a warning.
    """
    values = raw.to_numpy(dtype=object)
    checked = {}
    for v in set(values[~skip]):
        key = int(v) if isinstance(v, float) and v.is_integer() else v
        checked[v] = codes.school_id(key.strip() if isinstance(key, str) else key)
    ids = pd.Series(
        [checked[v].value if not s else None for v, s in zip(values, skip, strict=True)],
        index=raw.index,
        dtype="string",
    )
    refused = np.array([not s and checked[v].value is None for v, s in zip(values, skip, strict=True)], dtype=bool)
    repaired = np.array([not s and checked[v].repaired for v, s in zip(values, skip, strict=True)], dtype=bool)
    return ids, refused, repaired


#: Above 2**53 a float no longer holds every whole number: no count or amount of a school is that large.
MAX_EXACT = 2.0**53
NUMERIC_TYPES = ("count", "amount", "pct", "year", "degrees")


@dataclass
class _Typing:
    """Where the rows of the frame being typed come from, and the issues found so far.

    Plain arrays, read once: per column only numpy runs, and per-cell Python only for the few cells that are
    wrong, to name them (a roster's stage blocks are ~200 columns).
    """

    text: pd.DataFrame
    headers: dict[tuple[str, str], dict[str, str]]
    issues: list[Issue]
    bad: bool = False

    def __post_init__(self) -> None:
        self.files = self.text["_file"].to_numpy(dtype=object)
        self.sheets = self.text["_sheet"].to_numpy(dtype=object)
        self.rows = self.text["_row"].to_numpy()

    def issue(self, level: str, at: int, name: str, message: str, fix: str) -> None:
        file, sheet = self.files[at], self.sheets[at]
        column = self.headers.get((file, sheet), {}).get(name, name)
        self.issues.append(Issue(level, file, message, fix, sheet=sheet, row=int(self.rows[at]), column=column))

    def fail(self, mask: np.ndarray, values: np.ndarray, name: str, message: str, fix: str) -> None:
        """The first five wrong cells of a column, as errors; the frame is not returned."""
        for at in np.flatnonzero(mask)[:5]:
            self.issue("error", at, name, message.format(value=cell_text(values[at])), fix)
        self.bad = True


def _numbers(values: np.ndarray, is_num: np.ndarray, where: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """The cells as floats: numbers as they are, strings parsed ('1,234', '12.5%'); NaN for the rest."""
    out = np.full(len(values), np.nan)
    out[is_num] = values[is_num].astype(float)
    if len(clean):
        parsed = {t: _number(t) for t in set(clean)}
        out[where] = [parsed[t] for t in clean]
    return out


def _typed_number(
    typing: _Typing, values: np.ndarray, split: tuple, col: Column, unit: str | None
) -> pd.api.extensions.ExtensionArray:
    """A count, amount, percentage or year column: Int64 or Float64, every wrong cell named."""
    is_num, is_na, where, clean = split
    numbers = _numbers(values, is_num, where, clean)
    name = col.name
    not_numeric = np.isnan(numbers) & ~is_na
    if not_numeric.any():
        typing.fail(
            not_numeric, values, name, "「{value}」不是数字 / text in a numeric column", "改为数字；缺失请留空或填 —"
        )
    # inf, nan spelled out, or beyond what a float holds exactly (1e20 students): a typing accident in the
    # export, never a figure. Checked before rounding, which would overflow.
    with np.errstate(invalid="ignore"):
        unreal = (np.isinf(numbers)) | (np.abs(numbers) >= MAX_EXACT)
    if unreal.any():
        typing.fail(
            unreal,
            values,
            name,
            "「{value}」不是可用的数值（无穷大或过大）/ not a usable number (infinite or too large)",
            "核对该单元格：导出时可能多了位数或填了 inf",
        )
        numbers[unreal] = np.nan
    negative = numbers < 0
    if negative.any():
        typing.fail(
            negative, values, name, "负数「{value}」/ negative value", "人数、面积和金额不能为负，请核对原始报表"
        )
    if col.type in ("count", "year"):
        fractional = np.nan_to_num(np.remainder(numbers, 1)) != 0
        if fractional.any():
            typing.fail(fractional, values, name, "「{value}」不是整数 / not a whole number", "人数、班数应为整数")
        return pd.array(np.round(numbers), dtype="Int64")
    if col.type == "degrees":  # 经度/纬度: kept as given (amounts round to 0.01, about 1 km)
        over = numbers > 180
        if over.any():
            typing.fail(over, values, name, "经纬度「{value}」超过180 / degrees over 180", "填写十进制度数，如 99.8241")
        return pd.array(numbers, dtype="Float64")
    if col.type == "pct":
        over = numbers > 100
        if over.any():
            typing.fail(over, values, name, "百分比「{value}」超过100 / percentage over 100", "填写0–100之间的百分数")
        return pd.array(numbers, dtype="Float64")
    factor = UNIT_FACTORS[unit or col.unit or "元"] / UNIT_FACTORS[col.unit or "元"]
    return pd.array(np.round(numbers * factor, 2), dtype="Float64")


def _typed_text(
    typing: _Typing,
    raw: pd.Series,
    split: tuple,
    col: Column,
    is_total: np.ndarray,
    extra_counties: dict[str, str] | None,
) -> pd.Series:
    """A text-like column (numbers, an id typed as a number, become their digits): ids, codes, counties, text."""
    is_num, is_na, where, clean = split
    values = raw.to_numpy(dtype=object)
    as_text = np.full(len(values), None, dtype=object)
    as_text[is_num] = [cell_text(v) for v in values[is_num]]
    as_text[where] = clean
    name = col.name
    if col.type == "school_id":
        ids, bad_id, repaired = school_ids(raw, is_na | is_total)
        if bad_id.any():
            typing.fail(
                bad_id,
                values,
                name,
                "学校标识码「{value}」应为10位数字且不以0开头 / a school id is 10 digits, not starting with 0",
                "从统计系统核对学校标识码（类别2位+省份2位+顺序号6位）；不要补0或截断",
            )
        for at in np.flatnonzero(repaired)[:5]:
            typing.issue(
                "warning",
                at,
                name,
                f"学校标识码「{cell_text(values[at])}」存为小数或科学计数法，已还原为"
                f"「{ids.iat[at]}」/ id stored as a float, repaired",
                "把该列设为文本格式后重新导出",
            )
        return ids
    as_text = pd.Series(as_text, index=raw.index, dtype=object)
    if col.type == "code":
        mapping = code_lists()[col.codes]
        lookup = {t: mapping.get(normalize(t)) for t in as_text.dropna().unique()}
        mapped = as_text.map(lookup)
        unknown = (pd.isna(mapped).to_numpy() & ~is_na) & ~is_total
        if unknown.any():
            allowed = "、".join(sorted(mapping))[:120]
            typing.fail(unknown, values, name, "未知取值「{value}」/ unknown value", f"可用取值 allowed: {allowed}")
        kinds = {type(v) for v in mapping.values()}
        return mapped.astype("boolean") if kinds == {bool} else mapped.astype("string")
    if col.type == "county":
        lookup = {t: counties.resolve(t, extra_counties) for t in as_text.dropna().unique()}
        found = as_text.map(lookup)
        unknown = (pd.isna(found).to_numpy() & ~is_na) & ~is_total
        if unknown.any():
            typing.fail(
                unknown,
                values,
                name,
                "未知县(区)「{value}」/ unknown county",
                "用6位行政区划代码(如530925)或县名(如双江县)；新县请加入 lcedu/data/counties.csv",
            )
        return found.astype("string")
    return as_text.astype("string")


def _formula_warnings(typing: _Typing, values: np.ndarray, is_na: np.ndarray, name: str) -> None:
    """A formula cell without a stored value reads as NA, with a warning (the first 20 of a column)."""
    formula = is_na & (values == FORMULA_WITHOUT_VALUE)
    for at in np.flatnonzero(formula)[:20]:
        typing.issue(
            "warning",
            at,
            name,
            "公式没有保存计算结果，按缺失(NA)处理 / a formula without a stored value, read as NA",
            FORMULA_FIX,
        )


#: Why a cell is NA, by what it holds: blank, a formula without its stored value, anything else (一, 无, /).
REASONS = ("空白 blank", FORMULA_WITHOUT_VALUE_REASON, "填报为缺失或不适用 reported as missing/not applicable")


#: The missing_values columns that repeat a few labels over millions of rows: stored as categories.
MISSING_LABELS = ("table", "file", "sheet", "column", "reason")


def missing_rows(part: pd.DataFrame) -> pd.DataFrame:
    """One reader's NA cells in the columns of ``missing_values``, the labels as categories.

    The roster makes its parts with it as it finishes each table, ``clean`` every other reader's as they arrive (a
    part already made is returned as it is), so the wide part is dropped at once: a province's or a 200,000-row
    roster's NA cells are millions of rows, and a string per row and label was the largest thing ``check`` held.
    ``record_key``: the school id, else the county code.
    """
    part = part.rename(columns={"_file": "file", "_sheet": "sheet", "_row": "row"})
    record_key = part.get("record_key", part.get("school_id", pd.Series(index=part.index, dtype="string")))
    record_key = record_key.astype("string")
    if "county_code" in part:
        record_key = record_key.fillna(part["county_code"].astype("string"))
    out = part.assign(**{c: pd.NA for c in MISSING_LABELS if c not in part}).assign(
        record_key=record_key,
        raw_text=part.get("raw_text", pd.Series(index=part.index, dtype="string")).astype("string"),
    )
    columns = ["table", "file", "sheet", "row", "record_key", "column", "raw_text", "reason"]
    return out[columns].astype({"row": "int64", **{c: "category" for c in MISSING_LABELS}})


def _taken_labels(labels: pd.Series, at: np.ndarray) -> pd.Categorical:
    """``labels.take(at)`` as a category, factorised on the sheet's rows instead of on the taken cells."""
    codes, uniques = pd.factorize(labels)
    return pd.Categorical.from_codes(codes[at], uniques)


def _missing(text: pd.DataFrame, parts: list[tuple[str, np.ndarray, list[str]]]) -> pd.DataFrame:
    """The blank and dashed cells (column by column, row by row) with their reason: NA, never 0.

    The file, sheet, column and reason are categories: a large roster has millions of NA cells, and a string per
    row would be the largest thing held while it is typed.
    """
    if parts:
        at = np.concatenate([p for _, p, _ in parts])
        missing = (
            text[["_row"]]
            .take(at)
            .reset_index(drop=True)
            .assign(
                **{c: _taken_labels(text[c], at) for c in ("_file", "_sheet")},
                column=pd.Categorical.from_codes(
                    np.repeat(np.arange(len(parts)), [len(p) for _, p, _ in parts]), [name for name, _, _ in parts]
                ),
                raw_text=pd.array([t for _, _, texts in parts for t in texts], dtype="string"),
            )[["_file", "_sheet", "_row", "column", "raw_text"]]
        )
    else:
        missing = pd.DataFrame(columns=["_file", "_sheet", "_row", "column", "raw_text"])
    raw_text = missing["raw_text"].astype("string").str.strip()
    code = np.select(
        [
            (raw_text == "").to_numpy(bool, na_value=False),
            (raw_text == FORMULA_WITHOUT_VALUE).to_numpy(bool, na_value=False),
        ],
        [0, 1],
        2,
    )
    missing["reason"] = pd.Categorical.from_codes(code, REASONS)
    return missing


def convert(
    text: pd.DataFrame,
    layout: Layout,
    units: dict[str, str | None],
    headers: dict[tuple[str, str], dict[str, str]],
    issues: list[Issue],
    extra_counties: dict[str, str] | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Type every canonical column of concatenated sheets; collect bad cells as issues.

    Returns the typed frame (None if any cell is wrong) and the blank/dashed cells, which
    become NA with their reason instead of 0.
    """
    typing = _Typing(text, headers, issues)
    is_total = text["_is_total"].to_numpy()
    out: dict[str, pd.Series | pd.api.extensions.ExtensionArray] = {}
    miss_parts: list[tuple[str, np.ndarray, list[str]]] = []
    for name in [c for c in text.columns if not c.startswith("_")]:
        col = layout.columns[name]
        raw = text[name]
        values = raw.to_numpy(dtype=object)
        split = _split(values)
        is_na = split[1]
        if is_na.any():
            miss_parts.append((name, np.flatnonzero(is_na), [cell_text(v) for v in values[is_na]]))
            _formula_warnings(typing, values, is_na, name)
        if col.type in NUMERIC_TYPES:
            out[name] = _typed_number(typing, values, split, col, units.get(name))
        else:
            out[name] = _typed_text(typing, raw, split, col, is_total, extra_counties)
    missing = _missing(text, miss_parts)
    if typing.bad:
        return None, missing
    typed = pd.DataFrame(out, index=text.index)
    return pd.concat([typed, text[["_file", "_sheet", "_row", "_is_total", "_label"]]], axis=1), missing
