"""Write sample truth as per-school statistics workbooks (教基 or 基础基 forms), messy the way real exports are.

Every figure goes where ``lcedu/ingest/layouts/forms/<scheme>.yml`` says the reader finds it, so the round
trip truth → workbooks → ``lcedu clean`` is exact for every column the forms hold. The mess is drawn per
workbook from the seed: the letters row and row-number column, padded labels, labels split over two
columns, ``*`` for not applicable, ``_x000D_`` in headers, blank rows, 1–3 header rows with an optional
blank row before the 栏号 row, ids stored as numbers, sheets in any order and some named ``Sheet3``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from lcedu.ingest import codes
from lcedu.ingest.forms import Address, Scheme, detail_key, label_key, load_scheme
from lcedu.ingest.layout import load_layout
from lcedu.ingest.schemas import detail_value

LETTERS = [chr(ord("A") + i) for i in range(26)] + [f"A{chr(ord('A') + i)}" for i in range(26)]
SPONSOR = {True: "教育部门", False: "民办"}
URBAN_CODES = {"urban": ["111", "112"], "town": ["121", "122"], "rural": ["210", "220"]}


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, "forms", *parts))).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _type_code(school_type: str) -> tuple[str, str]:
    """The first 办学类型 code (and its printed name) of a canonical school type."""
    for code, entry in codes.code_table()["school_type"].items():
        if entry["school_type"] == school_type:
            return str(code), entry["names"][0]
    raise ValueError(f"no 办学类型 code for {school_type}")


def _is_na(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _row_labels(spec: dict) -> list[str]:
    return ["".join(r) if isinstance(r, list) else str(r) for r in spec.get("rows", [])]


def _row_of(labels: list[str], spellings: tuple[str, ...], within: tuple[str, ...] = ()) -> int:
    """The index of a row label in a form's rows; under a block (``within``): the first after the block's row."""
    start = min(i for i, lab in enumerate(labels) if lab in within) if within else -1
    return next(i for i, lab in enumerate(labels) if i > start and lab in spellings)


def _row_indices(address: Address, spec: dict) -> list[int]:
    labels = [label_key(x) for x in _row_labels(spec)]
    return [no - 1 if no is not None else _row_of(labels, rows, address.within) for rows, no in address.row_refs()]


def _col_number(spec: dict, col: int | str) -> int:
    """A 栏号, or the 栏 whose (lowest) header reads ``col``."""
    if isinstance(col, int):
        return col
    heads = [label_key(str(c).split("/")[-1]) for c in spec["cols"]]
    return heads.index(label_key(col)) + 1


class _Values:
    """The figures of one school's forms: form → {(row index, 栏号): value or None (NA)}."""

    def __init__(self, scheme: Scheme):
        self.scheme = scheme
        self.cells: dict[str, dict[tuple[int, int], object]] = {}
        self.sums: list[tuple[Address, list[tuple[int, int]], object]] = []

    def put(self, address: Address, value: object, unit: str | None) -> None:
        spec = self.scheme.forms[address.form]
        form = self.cells.setdefault(address.form, {})
        if not _is_na(value) and address.unit and address.unit != unit:
            value = round(float(value) / 10_000, 2)  # 元 → 万元
        cols = [_col_number(spec, c) for c in address.cols]
        terms = [(r, c) for r in _row_indices(address, spec) for c in cols]
        if len(terms) > 1:
            self.sums.append((address, terms, value))
            return
        term = terms[0]
        if address.whole_school and term in form:  # 412 / 4149 总计: the 学段 of one school add up
            known = form[term]
            form[term] = None if known is None or _is_na(value) else known + value
            return
        form[term] = None if _is_na(value) else value

    def settle(self) -> None:
        """Sums: the narrowest first; each puts what the cells already set leave into its first free cell."""
        for address, terms, value in sorted(self.sums, key=lambda s: len(s[1])):
            form = self.cells[address.form]
            free = [t for t in terms if t not in form]
            if not free:
                continue
            if _is_na(value):
                form[free[0]] = None
                continue
            rest = int(value) - sum(int(form[t] or 0) for t in terms if t in form)
            for i, t in enumerate(free):
                form[t] = rest if i == 0 else 0
        for key, form in self.cells.items():  # 合计 栏 the form prints beside its parts (331: 栏2, 栏7)
            for total, parts in (self.scheme.forms[key].get("sums") or {}).items():
                for r in {r for r, c in form if c in parts}:
                    known = [form[(r, c)] for c in parts if form.get((r, c)) is not None]
                    if known:
                        form[(r, int(total))] = int(sum(known))
        for key, form in self.cells.items():
            spec = self.scheme.forms[key]
            for balance in spec.get("balance") or []:
                _balance(form, spec, balance)
            labels = [label_key(x) for x in _row_labels(spec)]
            for total, parts in (spec.get("row_sums") or {}).items():  # 总计 = 初中 + 高中 (4156, 424, 213)
                t = _row_of(labels, (label_key(total),))
                rows = [_row_of(labels, (label_key(p),)) for p in parts]
                for c in sorted({c for r, c in form if r in rows}):
                    known = [form[(r, c)] for r in rows if form.get((r, c)) is not None]
                    if known and (t, c) not in form:
                        form[(t, c)] = sum(known)


def _balance(form: dict[tuple[int, int], object], spec: dict, balance: dict) -> None:
    """Band rows that add up to their total row: ``into`` takes what the bands already set leave."""
    labels = [label_key(x) for x in _row_labels(spec)]
    within = (label_key(balance["within"]),) if balance.get("within") else ()
    c = int(balance["col"])
    total = form.get((_row_of(labels, (label_key(balance["total"]),)), c))
    if total is None:
        return
    into = _row_of(labels, (label_key(balance["into"]),), within)
    bands = [_row_of(labels, (label_key(b),), within) for b in balance["parts"]]
    for r in bands:
        form.setdefault((r, c), 0)  # a band no figure lands on has no classes
    form[(into, c)] = int(total) - sum(int(form[(r, c)] or 0) for r in bands if r != into)


def _detail_values(values: _Values, scheme: Scheme, stages: list[str], parts: dict[str, pd.DataFrame]) -> None:
    """Students by grade and age and the 331 flows, where the scheme's ``details:`` put them."""
    for table, entries in scheme.details.items():
        frame = parts.get(table)
        if frame is None or not len(frame):
            continue
        key = detail_key(table)
        by_key = {
            (row.get("stage"), row[key]): row[detail_value(table)]
            for row in frame.to_dict("records")
            if row.get("stage") in stages or "stage" not in row
        }
        for stage, value_key, address in entries:
            if stage is not None and stage not in stages:
                continue
            lookup = (stage if "stage" in frame else None, value_key)
            if lookup in by_key:
                values.put(address, by_key[lookup], None)


def _school_values(scheme: Scheme, school: dict, parts: dict[str, pd.DataFrame]) -> _Values:
    values = _Values(scheme)
    stages = list(parts["enrollment"]["stage"])
    _detail_values(values, scheme, stages, parts)
    for table in ("schools", "enrollment", "teachers"):
        for stage in stages:
            cells = scheme.cells.get(table, {}).get(stage, {})
            if not cells:
                continue
            frame = parts[table]
            record = frame.iloc[0] if table == "schools" else frame[frame["stage"] == stage].iloc[0]
            layout = load_layout(table)
            for column, address in cells.items():
                values.put(address, record[column], layout.columns[column].unit)
    groups = scheme.cells.get("facilities", {})
    group = school["school_type"] if school["school_type"] in groups else "default"
    layout = load_layout("facilities")
    record = parts["facilities"].iloc[0]
    for column, address in groups.get(group, {}).items():
        values.put(address, record[column], layout.columns[column].unit)
    for stage in stages:  # the student form is what makes a stage: write it even if nothing lands on it
        values.cells.setdefault(scheme.stages[stage], {})
    values.settle()
    return values


def _pad(label: str, rng: np.random.Generator) -> str:
    """`总  计`, `园    长`: short labels padded with spaces the way the forms print them."""
    if len(label) in (2, 3) and rng.random() < 0.5:
        return (" " * int(rng.integers(1, 5))).join(label)
    return label


@dataclass(frozen=True)
class _Geometry:
    """Where a form's parts go: the 2020 export's (letters row, row numbers, grid from column B, every figure
    a text cell, no mess beyond the real one) or the 2021 one (grid from column A, the reader's usual mess)."""

    real_2020: bool
    label: int  # 甲: the row label
    number: int  # 乙: 编号
    first: int  # 栏1

    @classmethod
    def of(cls, scheme: Scheme, spec: dict) -> _Geometry:
        # 511: 其中 | 危房 over two columns; 212, 5170, 5176: every label spans ``label_columns`` columns
        split = any(isinstance(r, list) for r in spec.get("rows", []))
        width = max(2 if split else 1, int(spec.get("label_columns", 1)))
        label = 1 if scheme.name == "jichuji_2018" else 0
        return cls(scheme.name == "jichuji_2018", label, label + width, label + width + 1)


def _form_sheet(
    ws, scheme: Scheme, key: str, values: dict[tuple[int, int], object], year: int, rng: np.random.Generator, fmt
) -> None:
    """One form: title, form code (and year line in 2021), header rows, 栏号 row, data rows."""
    spec = scheme.forms[key]
    geo = _Geometry.of(scheme, spec)
    cols = [str(c) for c in spec.get("cols", [])]
    width = geo.first + max(len(cols), 1)
    grid: dict[tuple[int, int], object] = {}
    merges: list[tuple[int, int, int, int, str]] = []
    r = 1 if geo.real_2020 else 0
    grid[(r, geo.label)] = spec["title"]
    merges.append((r, geo.label, r, width - 1, spec["title"]))
    r += 1
    if geo.real_2020:  # 基础基311<about 160 spaces>单位：人, in one cell (merged like the title)
        unit = spec.get("unit", "")
        code = f"{scheme.prefix}{key}{' ' * max(170 - len(unit) - len(scheme.prefix + key), 1) if unit else ''}{unit}"
        grid[(r, geo.label)] = code
        merges.append((r, geo.label, r, width - 1, code))
    else:
        grid[(r, geo.label)] = (
            f"表号：{scheme.prefix}{key}" if rng.random() < 0.5 else f"{scheme.prefix}{key}"
        ) + " " * int(rng.integers(1, 6))
        r += 1
        grid[(r, geo.label)] = f"（{year}{' ' * int(rng.integers(0, 3))}/{year + 1} 学年初）"
    r += 1
    if not cols:  # a form lcedu does not read: its title and code, as the export has them
        _write(ws, grid, [], r, geo.label + 1, fmt, letters=geo.real_2020)
        return
    if spec.get("header"):  # an items form (112): 项目 编号 内容 … instead of a 栏号 row
        texts = [spec["header"]["label"], spec["header"]["number"], *cols]
        for j, text in zip([geo.label, geo.number, *range(geo.first, geo.first + len(cols))], texts, strict=True):
            grid[(r, j)] = text
        r += 1
    else:
        r = _headers(grid, merges, geo, spec, r, rng)
    r = _rows(grid, merges, geo, spec, values, r, rng)
    if not geo.real_2020:
        grid[(r + 1, geo.label)] = "单位负责人：       填表人：       报出日期："
        r += 2
    _write(ws, grid, merges, r, width, fmt, letters=geo.real_2020)


def _headers(grid: dict, merges: list, geo: _Geometry, spec: dict, r: int, rng: np.random.Generator) -> int:  # noqa: C901 (named in docs/architecture.md)
    """The header rows ('/' = merged levels) and the 栏号 row (甲 乙 1 2 …); the row after them."""
    cols = [str(c) for c in spec["cols"]]
    levels = max(len(c.split("/")) for c in cols)
    depth = levels + int(spec.get("blank_header_rows", 0))  # 4211: an empty row under the headers
    top = r
    if not geo.real_2020 and rng.random() < 0.3 and levels < 3:
        grid[(r, geo.first)] = "本学年初报告期"
        if len(cols) > 1:
            merges.append((r, geo.first, r, geo.first + len(cols) - 1, "本学年初报告期"))
        r += 1
    header_top = r
    if not geo.real_2020:
        grid[(r, geo.label)] = "指标名称"
    grid[(r, geo.number)] = "编号"
    label_span = (top, geo.label, r + depth - 1, geo.number - 1, grid.get((r, geo.label), ""))
    if label_span[2] > top or label_span[3] > geo.label:
        merges.append(label_span)
    if r + depth - 1 > top:
        merges.append((top, geo.number, r + depth - 1, geo.number, "编号"))
    parts = [c.split("/") for c in cols]
    x000d = int(rng.integers(0, len(cols))) if rng.random() < 0.5 else -1
    for j, p in enumerate(parts):
        for k, text in enumerate(p):
            grid[(header_top + k, geo.first + j)] = text.replace("：", "：_x000D_") if j == x000d else text
        if len(p) < depth:
            cell = grid[(header_top + len(p) - 1, geo.first + j)]
            merges.append((header_top + len(p) - 1, geo.first + j, header_top + depth - 1, geo.first + j, cell))
    for level in range(levels - 1):  # merge a group header over its columns, at every level
        j = 0
        while j < len(parts):
            end = j
            while (
                end + 1 < len(parts)
                and len(parts[j]) > level + 1
                and len(parts[end + 1]) > level + 1
                and parts[end + 1][: level + 1] == parts[j][: level + 1]
            ):
                end += 1
            if end > j:
                for m in range(j + 1, end + 1):
                    grid.pop((header_top + level, geo.first + m), None)
                merges.append((header_top + level, geo.first + j, header_top + level, geo.first + end, parts[j][level]))
            j = end + 1
    r = header_top + depth
    if not geo.real_2020 and rng.random() < 0.3:
        r += 1  # a blank row between the headers and the 栏号 row
    grid[(r, geo.label)] = "甲"
    if geo.number - geo.label > 1:
        merges.append((r, geo.label, r, geo.number - 1, "甲"))
    grid[(r, geo.number)] = "乙"
    for j in range(len(cols)):
        grid[(r, geo.first + j)] = str(j + 1) if geo.real_2020 or rng.random() >= 0.7 else j + 1
    return r + 1


def _rows(
    grid: dict,
    merges: list,
    geo: _Geometry,
    spec: dict,
    values: dict[tuple[int, int], object],
    r: int,
    rng: np.random.Generator,
) -> int:
    """The data rows: label, 编号, figures (text cells in 2020, as the export writes them); the row after."""
    star = geo.real_2020 or rng.random() < 0.6
    for i, label in enumerate(spec.get("rows", [])):
        if i and not geo.real_2020 and rng.random() < 0.08:
            r += 1  # a blank row inside the table
        split = geo.number - geo.label > 1
        if isinstance(label, list):  # split over two columns: 其中 | 危房, then "" | 当年新增校舍 under the same 其中
            grid[(r, geo.label)], grid[(r, geo.label + 1)] = label[0], label[1]
            if split and geo.real_2020 and not label[0] and merges and merges[-1][1:4] == (geo.label, r - 1, geo.label):
                merges[-1] = (merges[-1][0], geo.label, r, geo.label, merges[-1][4])
            elif split and geo.real_2020 and label[0]:
                merges.append((r, geo.label, r, geo.label, label[0]))  # widened by the next row if it continues
        else:
            grid[(r, geo.label)] = _pad(str(label), rng)
            if split:
                merges.append((r, geo.label, r, geo.number - 1, grid[(r, geo.label)]))
        grid[(r, geo.number)] = str(i + 1) if geo.real_2020 else i + 1
        for c in range(1, len(spec.get("cols", [])) + 1):
            if (i, c) not in values:
                continue
            cell = (r, geo.first + c - 1)
            v = values[(i, c)]
            if v is None:
                if star:
                    grid[cell] = "*"
                continue
            number = int(v) if isinstance(v, (int, np.integer)) or float(v).is_integer() else float(v)
            if geo.real_2020:
                grid[cell] = str(number)
            else:
                grid[cell] = str(number) if rng.random() < 0.05 and isinstance(number, int) else number
        r += 1
    return r


def _write(ws, grid: dict, merges: list, n_rows: int, width: int, fmt, letters: bool = True) -> None:
    """Write a sheet; a 2020 export's with its letters row (row 1) and row numbers (column A), both hidden."""
    if letters:
        for c in range(width):
            ws.write_string(0, c, LETTERS[c])
        for r in range(1, n_rows):
            ws.write_number(r, 0, r)
        ws.set_row(0, None, None, {"hidden": True})
        ws.set_column(0, 0, None, None, {"hidden": True})
    covered = set()
    for r1, c1, r2, c2, text in merges:
        if (r1, c1) != (r2, c2):
            ws.merge_range(r1, c1, r2, c2, text, fmt)
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for (r, c), v in sorted(grid.items()):
        if (r, c) in covered or v == "":
            continue
        if isinstance(v, str):
            ws.write_string(r, c, v)
        else:
            ws.write_number(r, c, v)


ATTACHED_111 = [
    ("附设幼儿班", "119"),
    ("附设小学班", "219"),
    ("附设普通初中班", "319"),
    ("附设职业初中班", "329"),
    ("附设普通高中班", "349"),
    ("附设特教班", "519"),
    ("附设中职班", "368"),
]
# The merged ranges of the real export's 111 (tests/data/real/), cell for cell.
MERGES_111 = (
    "B2:K2 B3:K3 B4:K4 B5:K5 B6:C6 D6:G6 H6:K6 B7:C7 D7:G7 H7:K7 B9:C9 D9:F9 H9:K9 B10:C10 D10:F10 H10:K10 "
    "B11:C11 D11:F11 H11:K11 B13:C13 E13:F13 H13:I13 J13:K13 B14:C14 E14:F14 B15:C15 E15:F15 B17:C17 E17:F17 "
    "J17:K17 B18:C18 E18:F18 H18:H19 I18:I19 B19:C19 E19:F19 B21:C21 E21:F21 H21:I21 J21:K21 "
    + " ".join(f"E{r}:F{r}" for r in range(22, 36))
)


def _area_code(school: dict) -> str:
    """A 12-digit 地址代码: the county, a 3-digit township number from its name, 3 village digits."""
    return f"{school['county_code']}{(sum(map(ord, str(school['township']))) % 200) + 100:03d}000"


def _identity_grid_111(ws, school: dict, year: int, rng: np.random.Generator, fmt, id_as_number: bool) -> None:
    """Form 111 as the real 2020 export lays it out (a grid of labels over 名称 / 代码 rows, cell by cell)."""
    type_code, type_name = _type_code(school["school_type"])
    urban = URBAN_CODES[school["urban_rural"]][int(rng.integers(0, 2))]
    urban_name = codes.code_table()["urban_rural"][urban]["names"][0]
    sid = school["school_id"]
    county = school["county_code"]
    grid: dict[tuple[int, int], object] = {
        (1, 1): "基础教育学校（机构）统计调查表",
        (2, 1): f"（{year} /{year + 1} 学年初）",
        (
            3,
            1,
        ): "制定机关：教       育       部_x000D_\n批准机关：国  "
        " 家  统   计  局_x000D_\n批准文号：国统制 【2018】 86号",
        (4, 1): "基础基111",
        (5, 1): "学校标识码",
        (5, 3): "学校（机构）名称（章）",
        (5, 7): "学校（机构）英文名称",
        (6, 1): float(sid) if id_as_number else sid,
        (6, 3): school["school_name"],
        (7, 1): "续",
        (8, 3): "学校（机构）地址",
        (8, 6): "学校（机构）所在地城乡类型",
        (8, 7): "学校（机构）属地管理教育行政部门",
        (9, 1): "名称",
        (9, 3): f"{school['township']}{school['village'] if isinstance(school['village'], str) else ''}",
        (9, 6): urban_name,
        (9, 7): "县级教育行政部门",
        (10, 1): "代码",
        (10, 3): _area_code(school),
        (10, 6): urban,
        (10, 7): f"{county}000000",
        (11, 1): "续",
        (12, 3): "学校（机构）办学类型",
        (12, 4): "学校（机构）举办者",
        (12, 6): "学校（机构）性质类别",
        (12, 7): "规定年制",
        (12, 9): "规定入学年龄",
        (13, 1): "名称",
        (13, 3): type_name,
        (13, 4): SPONSOR[bool(school["is_public"])],
        (13, 6): "*",
        (14, 1): "代码",
        (14, 3): type_code,
        (14, 4): "811" if school["is_public"] else "999",
        (14, 6): "*",
        (15, 1): "续",
        (16, 1): "邮政编码",
        (16, 4): "校园（局域）网域名",
        (16, 7): "校（园）长（签章）",
        (16, 8): "填表人",
        (16, 9): "学校（机构）所在地",
        (17, 1): "办公电话",
        (17, 4): "单位电子信箱",
        (17, 9): "经度",
        (17, 10): "纬度",
        (18, 1): "传真电话",
        (18, 4): "填表人电子信箱",
        (19, 1): "续",
        (20, 3): "学校（机构）举办者",
        (20, 4): "学校（机构）属地管理教育行政部门",
        (20, 6): "学校（机构）地址",
        (20, 7): "规定年制",
        (20, 9): "规定入学年龄",
    }
    for key, col in (("longitude", 9), ("latitude", 10)):
        if not _is_na(school.get(key)):
            grid[(18, col)] = repr(float(school[key]))
    for r, level in ((13, "小学"), (14, "初中")):  # 规定年制 / 规定入学年龄: pre-printed per level
        grid[(r, 7)], grid[(r, 8)], grid[(r, 9)], grid[(r, 10)] = level, "-1", level, "-1"
    attached = {
        codes.code_table()["attached_classes"].get(c, {}).get("stage"): k for k, (_, c) in enumerate(ATTACHED_111)
    }
    for k, (name, code) in enumerate(ATTACHED_111):
        r = 21 + 2 * k
        grid[(r, 1)], grid[(r, 2)], grid[(r + 1, 1)], grid[(r + 1, 2)] = "名称", name, "代码", code
        grid[(r, 7)], grid[(r, 9)], grid[(r + 1, 7)], grid[(r + 1, 9)] = "小学", "小学", "初中", "初中"
    for r in (21, 22, 24, 25, 27, 29, 30, 33, 34):  # the real export's pre-printed '*' (不适用) in that block
        grid[(r, 8)] = grid[(r, 10)] = "*"
    for stage in school.get("attached_stages", ()):
        k = attached.get(stage)
        if k is None:
            continue
        r = 21 + 2 * k
        grid[(r, 3)], grid[(r + 1, 3)] = SPONSOR[bool(school["is_public"])], "811" if school["is_public"] else "999"
        grid[(r, 4)], grid[(r + 1, 4)] = "县级教育行政部门", f"{county}000000"
        grid[(r, 6)], grid[(r + 1, 6)] = grid[(9, 3)], grid[(10, 3)]
    for n, r in enumerate([6, 9, 10, 13, 14, 16, 17, 18, *range(21, 35)]):  # column L: the export's row ids
        grid[(r, 11)] = 10 * (n + 1)
    merges = [(r1, c1, r2, c2, grid.get((r1, c1), "")) for r1, c1, r2, c2 in _ranges(MERGES_111)]
    _write(ws, grid, merges, 35, 12, fmt)


def _ranges(text: str) -> list[tuple[int, int, int, int]]:
    """'B2:K2 D6:G6 …' → 0-based (first row, first column, last row, last column)."""
    out = []
    for cells in text.split():
        (c1, r1), (c2, r2) = (re.fullmatch(r"([A-Z]+)(\d+)", x).groups() for x in cells.split(":"))
        out.append((int(r1) - 1, LETTERS.index(c1), int(r2) - 1, LETTERS.index(c2)))
    return out


def _identity_sheet(
    ws, scheme: Scheme, school: dict, year: int, rng: np.random.Generator, fmt, id_as_number: bool
) -> None:
    """Form 111/1001: the 111 grid (2020 scheme), labelled blocks (1001)."""
    if scheme.identity_form == "111":
        _identity_grid_111(ws, school, year, rng, fmt, id_as_number)
        return
    key = scheme.identity_form
    type_code, type_name = _type_code(school["school_type"])
    urban = URBAN_CODES[school["urban_rural"]][int(rng.integers(0, 2))]
    urban_name = codes.code_table()["urban_rural"][urban]["names"][0]
    area = _area_code(school)
    spaced = rng.random() < 0.3

    def label(text: str) -> str:  # `学 校 标 识 码`: some exports space out the block labels
        return " ".join(text) if spaced and len(text) <= 5 else text

    sid = school["school_id"]
    grid: dict[tuple[int, int], object] = {
        (1, 1): scheme.forms[key]["title"],
        (2, 1): f"表号：{scheme.prefix}{key}" + " " * int(rng.integers(1, 6)),
        (3, 1): f"（{year} /{year + 1}学年初）",
        (5, 1): label("学校标识码"),
        (5, 4): "学校（机构）名称",
        (6, 1): float(sid) if id_as_number else sid,
        (6, 4): school["school_name"],
        (8, 1): "学校（机构）地址",
        (9, 1): "统计用区划代码",
        (9, 2): area,
        (10, 1): "乡（镇、街道）",
        (10, 2): school["township"],
        (11, 1): "村（社区）",
        (11, 2): school["village"] if isinstance(school["village"], str) else "",
        (13, 1): "驻地城乡类型",
        (13, 2): urban_name,
        (13, 3): urban,
        (14, 1): "属地管理教育行政部门",
        (14, 2): "县级教育行政部门",
        (14, 3): f"{school['county_code']}000000",
        (15, 1): label("办学类型"),
        (15, 2): type_name,
        (15, 3): type_code,
        (16, 1): label("举办者"),
        (16, 2): SPONSOR[bool(school["is_public"])],
        (17, 1): "附设班",
        (17, 2): "无",  # or the names and codes of the school's 附设班 (below)
        (18, 1): "是否通电",
        (18, 2): "是",
        (19, 1): "经度",
        (19, 3): "纬度",
    }
    for coordinate, col in (("longitude", 2), ("latitude", 4)):
        if not _is_na(school.get(coordinate)):
            grid[(19, col)] = repr(float(school[coordinate]))
    first_code = {}  # the first 附设班 code of each stage (319 before 329)
    for code, spec in codes.code_table()["attached_classes"].items():
        first_code.setdefault(spec["stage"], (code, spec["names"][0]))
    attached = [first_code[stage] for stage in school.get("attached_stages", ())]
    for k, (code, name) in enumerate(attached):
        grid[(17, 2 + 2 * k)], grid[(17, 3 + 2 * k)] = name, code
    if not school["is_public"]:
        grid[(16, 3)] = "999"
    _write(ws, grid, [(1, 1, 1, 5, scheme.forms[key]["title"])], 21, 6, fmt, letters=False)


def _workbook(
    path: Path, scheme: Scheme, school: dict, values: _Values, year: int, rng: np.random.Generator, id_as_number: bool
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties(
        {
            "title": school["school_name"],
            "author": "lcedu sample",
            "comments": "合成样例数据，非官方统计 / synthetic sample, not official statistics",
            "created": datetime(year, 9, 30),
        }
    )
    fmt = wb.add_format({"align": "center", "valign": "vcenter", "text_wrap": True})
    cover = wb.add_worksheet("封面")
    cover.write_string(0, 0, "基  础 教 育 基 层 统 计 调 查 表")
    cover.write_string(1, 0, f"（{year} /{year + 1}学年初）")
    cover.write_string(2, 0, f"{school['school_name']}（合成样例 synthetic sample）")
    contents = wb.add_worksheet("目录")
    contents.write_string(0, 0, "目录")
    for i, (k, form) in enumerate(scheme.forms.items()):  # every form of the set, as the export lists them
        contents.write_string(i + 1, 0, "全国")
        contents.write_string(i + 1, 1, f"{scheme.prefix}{k}")
        contents.write_string(i + 1, 2, form["title"])
    type_name = _type_code(school["school_type"])[1]
    held = {scheme.identity_form, *values.cells, *scheme.workbook_forms.get(school["school_type"], ())}
    keys = [k for k in scheme.forms if k in held]  # the 目录's order
    if scheme.name == "jichuji_2018":
        order, renamed = keys, False  # the real export's order and names
    else:
        order = [keys[i] for i in rng.permutation(len(keys))]
        renamed = rng.random() < 0.1  # some exports lose the sheet names: the form code row still says it
    for n, k in enumerate(order):
        if renamed:
            name = f"Sheet{n + 3}"
        elif scheme.name == "jiaoji_2021":
            name = f"{scheme.prefix}{k}_{type_name}"[:31]  # 教基3112_九年一贯制学校
        else:
            name = f"{scheme.prefix}{k}"
        ws = wb.add_worksheet(name)
        if k == scheme.identity_form:
            _identity_sheet(ws, scheme, school, year, rng, fmt, id_as_number)
        else:
            _form_sheet(ws, scheme, k, values.cells.get(k, {}), year, rng, fmt)
    wb.close()


def written_stages(scheme: Scheme, school_type: str) -> bool:
    """Whether a school of this type can be written in the scheme (基础基 has no 中职 forms)."""
    return all(s in scheme.stages for s in codes.code_table()["type_stages"][school_type])


def write_forms(
    truth: dict[str, pd.DataFrame],
    out_dir: Path,
    county_code: str,
    year: int,
    scheme: str = "jiaoji_2021",
    seed: int = 2023,
) -> list[Path]:
    """One workbook per school of ``county_code`` in ``year`` under ``out_dir/forms/<year>/``.

    Schools the scheme has no forms for (中职 under 基础基) are not written. Deterministic: the same
    truth and seed give the same bytes.
    """
    spec = load_scheme(scheme)
    out_dir = Path(out_dir)
    parts = {}
    for table in ("schools", "enrollment", "teachers", "facilities", *spec.details):
        if table not in truth:
            continue
        frame = truth[table]
        parts[table] = frame[(frame["county_code"] == county_code) & (frame["year"] == year)]
    by_school = {t: dict(tuple(f.groupby("school_id", sort=True))) for t, f in parts.items()}
    written: list[Path] = []
    used: set[str] = set()
    for school in parts["schools"].sort_values("school_id").to_dict("records"):
        if not written_stages(spec, school["school_type"]):
            continue
        sid = school["school_id"]
        own = codes.code_table()["type_stages"][school["school_type"]]
        school = {**school, "attached_stages": sorted(set(by_school["enrollment"][sid]["stage"]) - set(own))}
        values = _school_values(spec, school, {t: by_school[t][sid] for t in by_school if sid in by_school[t]})
        rng = _rng(seed, sid, year)
        name = school["school_name"]
        name = name if name not in used else f"{name}_{sid}"
        used.add(name)
        path = out_dir / "forms" / str(year) / county_code / school["township"] / f"{name}.xlsx"
        _workbook(path, spec, school, values, year, rng, id_as_number=rng.random() < 0.1)
        written.append(path)
    return written
