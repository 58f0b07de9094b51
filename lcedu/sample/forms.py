"""Write sample truth as per-school statistics workbooks (教基 or 基础基 forms), messy the way real exports are.

Every figure goes where ``lcedu/ingest/layouts/forms/<scheme>.yml`` says the reader finds it, so the round
trip truth → workbooks → ``lcedu clean`` is exact for every column the forms hold. The mess is drawn per
workbook from the seed: the letters row and row-number column, padded labels, labels split over two
columns, ``*`` for not applicable, ``_x000D_`` in headers, blank rows, 1–3 header rows with an optional
blank row before the 栏号 row, ids stored as numbers, sheets in any order and some named ``Sheet3``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from lcedu.ingest import codes
from lcedu.ingest.forms import Address, Scheme, label_key, load_scheme
from lcedu.ingest.layout import load_layout

LETTERS = [chr(ord("A") + i) for i in range(26)] + [f"A{chr(ord('A') + i)}" for i in range(26)]
LABEL_COL = 1  # column B: 甲 (merged over B:C), C: the second half of split labels, D: 乙 (编号)
FIRST_VALUE_COL = 4
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


def _row_index(address: Address, spec: dict) -> int:
    labels = [label_key(x) for x in _row_labels(spec)]
    if address.no is not None:
        return address.no - 1
    return next(i for i, lab in enumerate(labels) if lab in address.rows)


class _Values:
    """The figures of one school's forms: form → {(row index, 栏号): value or None (NA)}."""

    def __init__(self, scheme: Scheme):
        self.scheme = scheme
        self.cells: dict[str, dict[tuple[int, int], object]] = {}
        self.sums: list[tuple[Address, object]] = []

    def put(self, address: Address, value: object, unit: str | None) -> None:
        spec = self.scheme.forms[address.form]
        form = self.cells.setdefault(address.form, {})
        if len(address.cols) > 1:
            self.sums.append((address, value))
            return
        if not _is_na(value) and address.unit and address.unit != unit:
            value = round(float(value) / 10_000, 2)  # 元 → 万元
        form[(_row_index(address, spec), address.cols[0])] = None if _is_na(value) else value

    def settle(self) -> None:
        """Sums: the narrowest first; each puts what the cells already set leave into its first free 栏."""
        for address, value in sorted(self.sums, key=lambda s: len(s[0].cols)):
            form = self.cells[address.form]
            r = _row_index(address, self.scheme.forms[address.form])
            free = [c for c in address.cols if (r, c) not in form]
            if _is_na(value):
                form[(r, free[0])] = None
                continue
            rest = int(value) - sum(int(form[(r, c)] or 0) for c in address.cols if (r, c) in form)
            for i, c in enumerate(free):
                form[(r, c)] = rest if i == 0 else 0
        for key, form in self.cells.items():
            balance = self.scheme.forms[key].get("balance")
            if not balance:
                continue
            for r in {r for r, _ in form}:
                total = form.get((r, balance["total"]))
                if total is None:
                    continue
                n_cols = len(self.scheme.forms[key]["cols"])
                others = sum(int(form.get((r, c)) or 0) for c in range(2, n_cols + 1) if c != balance["into"])
                form[(r, balance["into"])] = int(total) - others


def _school_values(scheme: Scheme, school: dict, parts: dict[str, pd.DataFrame]) -> _Values:
    values = _Values(scheme)
    stages = list(parts["enrollment"]["stage"])
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


def _form_sheet(
    ws, scheme: Scheme, key: str, values: dict[tuple[int, int], object], year: int, rng: np.random.Generator, fmt
) -> None:
    """One form: letters row, row numbers, title, form code, year, 1–3 header rows, 栏号 row, data rows."""
    spec = scheme.forms[key]
    cols = [str(c) for c in spec.get("cols", [])]
    rows = spec.get("rows", [])
    width = FIRST_VALUE_COL + len(cols)
    grid: dict[tuple[int, int], object] = {}
    merges: list[tuple[int, int, int, int, str]] = []
    r = 1
    grid[(r, LABEL_COL)] = spec["title"]
    merges.append((r, LABEL_COL, r, width - 1, spec["title"]))
    r += 1
    grid[(r, LABEL_COL)] = (
        f"表号：{scheme.prefix}{key}" if rng.random() < 0.5 else f"{scheme.prefix}{key}"
    ) + " " * int(rng.integers(1, 6))
    r += 1
    grid[(r, LABEL_COL)] = f"（{year}{' ' * int(rng.integers(0, 3))}/{year + 1} 学年初）"
    r += 1
    depth = max((len(c.split("/")) for c in cols), default=1)
    extra = rng.random() < 0.3 and depth < 3
    top = r
    if extra:
        grid[(r, FIRST_VALUE_COL)] = "本学年初报告期"
        if len(cols) > 1:
            merges.append((r, FIRST_VALUE_COL, r, width - 1, "本学年初报告期"))
        r += 1
    header_top = r
    grid[(r, LABEL_COL)] = "指标名称"
    grid[(r, LABEL_COL + 2)] = "编号"
    merges.append((top, LABEL_COL, r + depth - 1, LABEL_COL + 1, "指标名称"))
    if r + depth - 1 > top:
        merges.append((top, LABEL_COL + 2, r + depth - 1, LABEL_COL + 2, "编号"))
    parts = [c.split("/") for c in cols]
    x000d = int(rng.integers(0, len(cols))) if cols and rng.random() < 0.5 else -1
    for j, p in enumerate(parts):
        for k, text in enumerate(p):
            grid[(header_top + k, FIRST_VALUE_COL + j)] = text.replace("：", "：_x000D_") if j == x000d else text
        if len(p) < depth:
            merges.append(
                (
                    header_top + len(p) - 1,
                    FIRST_VALUE_COL + j,
                    header_top + depth - 1,
                    FIRST_VALUE_COL + j,
                    grid[(header_top + len(p) - 1, FIRST_VALUE_COL + j)],
                )
            )
    j = 0
    while j < len(parts):  # merge a group header over its columns
        end = j
        while (
            end + 1 < len(parts) and len(parts[j]) > 1 and len(parts[end + 1]) > 1 and parts[end + 1][0] == parts[j][0]
        ):
            end += 1
        if end > j:
            for m in range(j + 1, end + 1):
                grid.pop((header_top, FIRST_VALUE_COL + m), None)
            merges.append((header_top, FIRST_VALUE_COL + j, header_top, FIRST_VALUE_COL + end, parts[j][0]))
        j = end + 1
    r = header_top + depth
    if rng.random() < 0.3:
        r += 1  # a blank row between the headers and the 栏号 row
    grid[(r, LABEL_COL)] = "甲"
    merges.append((r, LABEL_COL, r, LABEL_COL + 1, "甲"))
    grid[(r, LABEL_COL + 2)] = "乙"
    for j in range(len(cols)):
        grid[(r, FIRST_VALUE_COL + j)] = j + 1 if rng.random() < 0.7 else str(j + 1)
    r += 1
    star = rng.random() < 0.6
    for i, label in enumerate(rows):
        if i and rng.random() < 0.08:
            r += 1  # a blank row inside the table
        if isinstance(label, list):  # split over two columns: 其中 | 危房
            grid[(r, LABEL_COL)], grid[(r, LABEL_COL + 1)] = label[0], label[1]
        else:
            grid[(r, LABEL_COL)] = _pad(str(label), rng)
        grid[(r, LABEL_COL + 2)] = i + 1
        for c in range(1, len(cols) + 1):
            if (i, c) not in values:
                continue
            v = values[(i, c)]
            if v is None:
                if star:
                    grid[(r, FIRST_VALUE_COL + c - 1)] = "*"
                continue
            if isinstance(v, (int, np.integer)) or float(v).is_integer():
                v = int(v)
                grid[(r, FIRST_VALUE_COL + c - 1)] = str(v) if rng.random() < 0.05 else v
            else:
                grid[(r, FIRST_VALUE_COL + c - 1)] = float(v)
        r += 1
    r += 1
    grid[(r, LABEL_COL)] = "单位负责人：       填表人：       报出日期："
    _write(ws, grid, merges, r + 1, width, fmt)


def _write(ws, grid: dict, merges: list, n_rows: int, width: int, fmt) -> None:
    """Write a sheet with the letters row (row 1) and row numbers (column A) real exports carry."""
    for c in range(width):
        ws.write_string(0, c, LETTERS[c])
    for r in range(1, n_rows):
        ws.write_number(r, 0, r)
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


def _identity_sheet(
    ws, scheme: Scheme, school: dict, year: int, rng: np.random.Generator, fmt, id_as_number: bool
) -> None:
    """Form 111/1001: labelled blocks, not a table."""
    key = scheme.identity_form
    type_code, type_name = _type_code(school["school_type"])
    urban = URBAN_CODES[school["urban_rural"]][int(rng.integers(0, 2))]
    urban_name = codes.code_table()["urban_rural"][urban]["names"][0]
    area = f"{school['county_code']}{(sum(map(ord, school['township'])) % 200) + 100:03d}000"  # 12 digits
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
    }
    first_code = {}  # the first 附设班 code of each stage (319 before 329)
    for code, spec in codes.code_table()["attached_classes"].items():
        first_code.setdefault(spec["stage"], (code, spec["names"][0]))
    attached = [first_code[stage] for stage in school.get("attached_stages", ())]
    for k, (code, name) in enumerate(attached):
        grid[(17, 2 + 2 * k)], grid[(17, 3 + 2 * k)] = name, code
    if not school["is_public"]:
        grid[(16, 3)] = "999"
    _write(ws, grid, [(1, 1, 1, 5, scheme.forms[key]["title"])], 20, 6, fmt)


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
    cover.write_string(
        0, 0, f"{school['school_name']} {year}/{year + 1}学年初 基层统计报表（合成样例 synthetic sample）"
    )
    contents = wb.add_worksheet("目录")
    keys = [scheme.identity_form] + sorted(values.cells)
    for i, k in enumerate(keys):
        contents.write_string(i, 0, f"{scheme.prefix}{k}")
        contents.write_string(i, 1, scheme.forms[k]["title"])
    order = [keys[i] for i in rng.permutation(len(keys))]
    renamed = rng.random() < 0.1  # some exports lose the sheet names: the form code row still says it
    type_name = _type_code(school["school_type"])[1]
    for n, k in enumerate(order):
        if renamed:
            name = f"Sheet{n + 3}"
        elif k == scheme.identity_form and scheme.name == "jiaoji_2021":
            name = f"{scheme.prefix}{k}_{type_name}"
        else:
            name = f"{scheme.prefix}{k}"
        ws = wb.add_worksheet(name)
        if k == scheme.identity_form:
            _identity_sheet(ws, scheme, school, year, rng, fmt, id_as_number)
        else:
            _form_sheet(ws, scheme, k, values.cells[k], year, rng, fmt)
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
    for table in ("schools", "enrollment", "teachers", "facilities"):
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
        values = _school_values(spec, school, {t: by_school[t][sid] for t in by_school})
        rng = _rng(seed, sid, year)
        name = school["school_name"]
        name = name if name not in used else f"{name}_{sid}"
        used.add(name)
        path = out_dir / "forms" / str(year) / county_code / school["township"] / f"{name}.xlsx"
        _workbook(path, spec, school, values, year, rng, id_as_number=rng.random() < 0.1)
        written.append(path)
    return written
