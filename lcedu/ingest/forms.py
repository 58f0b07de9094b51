"""Per-school workbooks of the national statistics forms (基础基NNN up to 2020/21, 教基NNNN from 2021/22).

One workbook per school, one coded form per sheet, in ``data/raw/forms/<学年起始年>/`` (any sub-folders,
any file names). A sheet is recognised by its form code, a cell by form code + row label (or 编号) + 栏号,
all described in ``layouts/forms/<scheme>.yml``. The figures land in the canonical ``schools``,
``enrollment``, ``teachers`` and ``facilities`` tables, with the same column names the county workbooks
give, so everything downstream reads either input the same way.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from lcedu.errors import Issue
from lcedu.ingest import codes, counties
from lcedu.ingest.layout import UNIT_FACTORS, layout_path, load_layout, normalize, read_spec
from lcedu.ingest.readers import (
    FORMULA_FIX,
    FORMULA_WITHOUT_VALUE,
    FORMULA_WITHOUT_VALUE_REASON,
    WORKBOOK_SUFFIXES,
    cell_text,
    empty_table,
    is_lock_file,
    read_bytes,
    read_workbook,
)
from lcedu.ingest.schemas import DETAIL_TABLES, detail_value, dtype_of, typed_detail
from lcedu.processes import die_with_parent

FORMS_DIR = "forms"
SCHEMES = ("jiaoji_2021", "jichuji_2018")
TABLES = ("schools", "enrollment", "teachers", "facilities")
NOT_APPLICABLE = "不适用 not applicable"
BLANK = "空白 blank"
WHOLE_SCHOOL = (
    "多学段学校只填整校一行总计，不分学段（整校数见 raw_text）/ "
    "a whole-school figure of a school with several 学段, not split (raw_text holds it)"
)
EMPTY_FORM = "表只有表头，没有数据行 form has headers but no data rows"
HEADER_SEARCH_ROWS = 20
IDENTITY_COLUMNS = (
    "school_id",
    "school_name",
    "township",
    "village",
    "school_type",
    "is_public",
    "urban_rural",
    "longitude",
    "latitude",
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")


def label_key(text: object) -> str:
    """A row label or 栏号 as compared: no spaces, no escaped carriage returns, no leading 其中/#."""
    return _label_key(str(text))


@cache
def _label_key(text: str) -> str:  # labels repeat across thousands of workbooks: normalise each once
    s = normalize(text.replace("_x000D_", ""))
    s = s.rstrip(":：")
    for prefix in ("其中", "#", "其中:", "其中："):
        s = s.removeprefix(prefix)
    return s


# --- the layout files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """One figure: a form, a row (by label spellings or 编号) and one 栏 or a sum of several.

    ``parts`` makes it a sum over several rows (each its spellings, or an 编号); ``within`` names the block
    row (初中 / 高中 on 4156, 424, 213) the row sits under, for labels a form repeats per 学段. A 栏 is a
    栏号 or a header text (课程 columns that move between versions). ``whole_school``: a figure the form
    gives once for the whole school (412 / 4149 总计), not per 学段.
    """

    form: str
    rows: tuple[str, ...]
    no: int | None
    cols: tuple[int | str, ...]
    unit: str | None = None
    parts: tuple[tuple[tuple[str, ...], int | None], ...] = ()
    within: tuple[str, ...] = ()
    whole_school: bool = False

    def row_refs(self) -> tuple[tuple[tuple[str, ...], int | None], ...]:
        """The rows summed: (label spellings, 编号) each; one row unless ``parts``."""
        return self.parts or ((self.rows, self.no),)

    def describe(self, scheme: Scheme) -> str:
        refs = [f"编号{no}" if no is not None else f"行「{rows[0]}」" for rows, no in self.row_refs()]
        block = f"「{self.within[0]}」下的" if self.within else ""
        cols = "+".join(f"栏{c}" if isinstance(c, int) else f"栏「{c}」" for c in self.cols)
        return f"{scheme.prefix}{self.form} {block}{'+'.join(refs)} {cols}"


@dataclass(frozen=True)
class Field:
    """An identity field: its label spellings and where its value sits relative to the label."""

    labels: tuple[str, ...]
    look: tuple[str, ...]
    pattern: re.Pattern | None
    many: bool
    optional: bool
    # 附设班 on the 111 grid: the label is a pre-printed class name (附设幼儿班) over its code row; the
    # class is run only when one of the ``pairs`` cells right of the name or the code is filled in.
    pairs: int = 0
    missing: str | None = None  # the reason recorded when an optional field is absent (NA, never a guess)
    spellings: tuple[str, ...] = ()  # the labels as the YAML writes them (for messages)


@dataclass(frozen=True)
class Scheme:
    name: str
    title: str
    prefix: str  # 教基 / 基础基
    code_re: re.Pattern
    code_rows: int
    year_re: re.Pattern
    other_sheets: frozenset[str]
    identity_form: str
    fields: dict[str, Field]
    county_from: tuple[str, ...]  # identity fields whose 12-digit code gives the county, first found wins
    forms: dict[str, dict]
    stages: dict[str, str]  # stage -> its student form
    cells: dict[str, dict[str, dict[str, Address]]]  # table -> group (stage / school type) -> column -> address
    # the forms a school's workbook holds, by school type (the sample writes them, headers only if lcedu reads none)
    workbook_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # detail table -> [(stage or None, key value (grade / age / flow), address)]
    details: dict[str, list[tuple[str | None, object, Address]]] = field(default_factory=dict)
    # detail table -> stage -> why the scheme has no form for it (recorded as NA with that reason)
    details_absent: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = ""

    def forms_of(self, table: str, group: str) -> set[str]:
        return {a.form for a in self.cells.get(table, {}).get(group, {}).values()}


def _spellings(row: object) -> tuple[str, ...]:
    return tuple(label_key(r) for r in row) if isinstance(row, list) else ((label_key(row),) if row else ())


def _address(spec: dict) -> Address:
    """A YAML address: ``row`` (spellings) or ``number``; ``rows`` / ``numbers`` (a sum); ``col`` (a list: a sum)."""
    cols = spec["col"] if isinstance(spec["col"], list) else [spec["col"]]
    parts = tuple((_spellings(r), None) for r in spec.get("rows", ())) + tuple(
        ((), int(n)) for n in spec.get("numbers", ())
    )
    return Address(
        form=str(spec["form"]),
        rows=_spellings(spec.get("row", ())),
        no=spec.get("number"),
        cols=tuple(c if isinstance(c, int) else str(c) for c in cols),
        unit=spec.get("unit"),
        parts=parts,
        within=_spellings(spec.get("within", ())),
        whole_school=bool(spec.get("whole_school")),
    )


def detail_key(table: str) -> str:
    """The column a detail table varies by (grade, age, flow): the last of its key."""
    return str(DETAIL_TABLES[table]["key"][-1])  # type: ignore[index]


def detail_fields(table: str, entries: list[tuple[str | None, object, Address]]) -> dict[tuple, dict]:
    """What a detail entry sets besides its key value: a band table's top (``upper``: the next band's bottom − 1,
    NA for the last, open band) per (stage, key value)."""
    upper = DETAIL_TABLES[table].get("upper")
    out: dict[tuple, dict] = {}
    for stage in dict.fromkeys(s for s, _, _ in entries):
        keys = sorted(k for s, k, _ in entries if s == stage)
        for k, after in zip(keys, [*keys[1:], None], strict=True):
            out[(stage, k)] = {str(upper): pd.NA if after is None else int(after) - 1} if upper else {}
    return out


def _details(spec: dict, source: str) -> dict[str, list[tuple[str | None, object, Address]]]:
    """A scheme's ``details:`` blocks → one address per (stage, key value)."""
    out: dict[str, list[tuple[str | None, object, Address]]] = {}
    for table, blocks in (spec.get("details") or {}).items():
        if table not in DETAIL_TABLES:
            raise ValueError(f"{source}: details.{table}: unknown table (known: {', '.join(DETAIL_TABLES)})")
        entries = []
        for block in blocks:
            where = {"number": block["number"]} if "number" in block else {"row": block.get("row")}
            if "cols" in block:
                pairs = [(k, where | {"col": c}) for k, c in block["cols"].items()]
            elif "rows" in block:
                pairs = [(k, {"row": r, "col": block["col"]}) for k, r in block["rows"].items()]
            else:
                pairs = [(k, {"number": n, "col": block["col"]}) for k, n in block["numbers"].items()]
            entries += [(block.get("stage"), k, _address({"form": block["form"]} | a)) for k, a in pairs]
        out[table] = entries
    return out


def _scheme_path(name: str) -> Path:
    """A scheme file: from $LCEDU_LAYOUTS/forms/ when there is one (local corrections), else the package's."""
    return layout_path(f"{FORMS_DIR}/{name}.yml")


def load_scheme(name: str) -> Scheme:
    return _load_scheme(name, os.environ.get("LCEDU_LAYOUTS"))


@cache
def _load_scheme(name: str, _local: str | None) -> Scheme:
    path = _scheme_path(name)
    source = str(path)
    spec = read_spec(path)
    fields = {
        key: Field(
            labels=tuple(label_key(x) for x in f["label"]),
            look=tuple(f.get("look", ["right"])),
            pattern=re.compile(f["pattern"]) if f.get("pattern") else None,
            many=bool(f.get("many")),
            optional=bool(f.get("optional")),
            pairs=int(f.get("pairs", 0)),
            missing=f.get("missing"),
            spellings=tuple(str(x) for x in f["label"]),
        )
        for key, f in spec["identity"]["fields"].items()
    }
    cells = {
        table: {str(group): {col: _address(a) for col, a in columns.items()} for group, columns in groups.items()}
        for table, groups in spec["cells"].items()
    }
    for table, groups in cells.items():
        layout = load_layout(table)
        for group, columns in groups.items():
            unknown = [c for c in columns if c not in layout.columns]
            if unknown:
                raise ValueError(f"{source}: cells.{table}.{group}: unknown column(s) {unknown}")
    return Scheme(
        name=spec["scheme"],
        title=spec["name"],
        prefix=spec["code_pattern"].split("\\")[0],
        code_re=re.compile(spec["code_pattern"]),
        code_rows=int(spec.get("code_rows", 8)),
        year_re=re.compile(spec["year_pattern"]),
        other_sheets=frozenset(label_key(s) for s in spec.get("other_sheets", [])),
        identity_form=str(spec["identity"]["form"]),
        fields=fields,
        county_from=tuple(spec["identity"].get("county_from", ["area_code"])),
        forms={str(k): (v or {}) for k, v in spec["forms"].items()},
        stages={k: str(v) for k, v in spec["stages"].items()},
        cells=cells,
        details=_details(spec, source),
        details_absent={t: dict(r) for t, r in (spec.get("details_absent") or {}).items()},
        workbook_forms={t: tuple(str(k) for k in ks) for t, ks in (spec.get("workbook_forms") or {}).items()},
        source=source,
    )


def schemes() -> list[Scheme]:
    return [load_scheme(n) for n in SCHEMES]


# --- one sheet ----------------------------------------------------------------------------------


@dataclass
class FormSheet:
    """One recognised form: where its 栏 are and which row holds which label / 编号."""

    code: str  # the form code as written, e.g. 教基3112 or 基础基112续表1
    key: str  # the number (+ 续…) used in the layout file
    sheet: str
    grid: list[list[object]]
    col_of: dict[int, int] = field(default_factory=dict)  # 栏号 -> grid column
    rows_of: dict[str, list[int]] = field(default_factory=dict)  # label key -> grid rows
    row_of_no: dict[int, int] = field(default_factory=dict)  # 编号 -> grid row
    label_of: dict[int, str] = field(default_factory=dict)  # grid row -> label as written
    header_of: dict[int, str] = field(default_factory=dict)  # 栏号 -> its lowest header text above the 栏号 row
    cols_of_text: dict[str, list[int]] = field(default_factory=dict)  # header key -> 栏号 (for ``col: 体育``)
    indexed: bool = False
    has_columns: bool = False
    has_data: bool = False  # a row under the 栏号 row with an 编号 or a figure (else: headers only)


def _recognise(sheet: str, grid: list[list[object]], scheme_list: list[Scheme]):
    """(scheme, match) of a sheet's form code: the form-code row first, then the sheet name."""
    for scheme in scheme_list:
        for row in grid[: scheme.code_rows]:
            for v in row:
                if isinstance(v, str) and "基" in v:
                    m = scheme.code_re.search(label_key(v))
                    if m:
                        return scheme, m
    for scheme in scheme_list:
        m = scheme.code_re.search(normalize(sheet))
        if m:
            return scheme, m
    return None, None


def _index(form: FormSheet, spec: dict | None = None) -> None:
    """Find the 栏号 row (甲 乙 1 2 …) and the label / 编号 of every data row below it.

    An items form without a 栏号 row (112: 项目 编号 内容 单位 备注) names its header texts in the
    layout (``header: {label: 项目, number: 编号}``, ``cols:``): 项目 is 甲, 编号 is 乙, 内容 栏1 ….
    """
    form.indexed = True
    grid = form.grid
    header = (spec or {}).get("header")
    marks = (label_key(header["label"]), label_key(header["number"])) if header else ("甲", "乙")
    cols = [label_key(c) for c in (spec or {}).get("cols", [])] if header else []
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if not any(isinstance(v, str) and marks[0] in label_key(v) for v in row):
            continue
        texts = [label_key(cell_text(v)) for v in row]
        if marks[0] not in texts:
            continue
        jia = texts.index(marks[0])
        yi = texts.index(marks[1]) if marks[1] in texts else None
        for j, t in enumerate(texts):
            if j > jia and (t in cols if header else t.isdigit()):
                form.col_of.setdefault(cols.index(t) + 1 if header else int(t), j)
        if not form.col_of:
            continue
        form.has_columns = True
        _headers(form, i)
        first_value = min(form.col_of.values())
        label_end = yi if yi is not None else first_value
        ordinal = 0
        for r in range(i + 1, len(grid)):
            cells = grid[r]
            label_cells = [cell_text(v) for v in cells[jia:label_end]]
            label = "".join(label_cells)
            number = cell_text(cells[yi]) if yi is not None and yi < len(cells) else ""
            form.has_data = (
                form.has_data
                or bool(number)
                or any(cell_text(cells[j]) for j in form.col_of.values() if j < len(cells))
            )
            if not label and not number:
                continue
            ordinal += 1
            form.label_of[r] = " ".join(x for x in label_cells if x)
            form.rows_of.setdefault(label_key(label), []).append(r)
            last = [x for x in label_cells if x]
            if len(last) > 1:  # a label over two columns (其中 | 危房, 按班额分 | 30人及以下): also by its own part
                form.rows_of.setdefault(label_key(last[-1]), []).append(r)
            no = int(number) if number.isdigit() else (ordinal if yi is None else None)
            if no is not None:
                form.row_of_no.setdefault(no, r)
        return


def _headers(form: FormSheet, numbers_row: int, depth: int = 6) -> None:
    """The header text of each 栏 (the lowest one above the 栏号 row), so a layout can name a 栏 by its header
    where its number moves between versions (the 课程 of 4155 / 4156)."""
    for n, j in form.col_of.items():
        for r in range(numbers_row - 1, max(numbers_row - 1 - depth, -1), -1):
            row = form.grid[r]
            text = cell_text(row[j]) if j < len(row) else ""
            if text:
                form.header_of[n] = text
                break
        for r in range(max(numbers_row - depth, 0), numbers_row):
            row = form.grid[r]
            text = cell_text(row[j]) if j < len(row) else ""
            if text:
                key = label_key(text)
                if n not in form.cols_of_text.setdefault(key, []):
                    form.cols_of_text[key].append(n)


def _labels_held(grid: list[list[object]], limit: int = 40) -> str:
    """The text labels of a form (not figures or codes), as a person would list them to find a spelling."""
    seen: list[str] = []
    for row in grid:
        for v in row:
            text = cell_text(v) if isinstance(v, str) else ""
            if text and not re.fullmatch(r"[\d.*\-\s]+|[A-Z]{1,2}", text) and text not in seen:
                seen.append(text)
    return "、".join(f"「{t}」" for t in seen[:limit]) + ("…" if len(seen) > limit else "")


def _filled_pair(grid: list[list[object]], r: int, c: int, width: int) -> list[tuple[object, int, int]]:
    """A 附设班 the school runs: its pre-printed name (r, c) over its code, if a cell of the pair is filled.

    The seven class names and codes are template text on every 111; only the cells right of them
    (举办者, 属地管理, 地址 …: ``width`` columns) say that the school runs that class.
    """
    rows = [k for k in (r, r + 1) if k < len(grid)]
    filled = any(cell_text(grid[k][j]) for k in rows for j in range(c + 1, c + 1 + width) if j < len(grid[k]))
    return [(grid[r][c], r, c)] if filled else []


# --- one workbook -------------------------------------------------------------------------------


@dataclass
class WorkbookResult:
    """What one school's workbook gives: input record, typed rows per table, NA cells, issues."""

    record: dict | None = None
    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in TABLES})
    details: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in DETAIL_TABLES})
    missing: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


class _Reader:
    """Reads one workbook; every problem becomes an Issue naming 文件 / 表号 / 行 / 栏号."""

    def __init__(self, display: str, year: int, sheets: dict[str, list[list[object]]]):
        self.display, self.year, self.sheets = display, year, sheets
        self.issues: list[Issue] = []
        self.missing: list[dict] = []
        self.forms: dict[str, FormSheet] = {}
        self.scheme: Scheme | None = None
        self.empty_forms: set[str] = set()  # forms with headers but no data rows (reported once each)

    def error(
        self,
        message: str,
        fix: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        level: str = "error",
    ) -> None:
        self.issues.append(Issue(level, self.display, message, fix, sheet=sheet, row=row, column=column))

    def recognise(self) -> bool:
        found: dict[str, list[tuple[Scheme, re.Match, str]]] = {}
        others = {s for sc in schemes() for s in sc.other_sheets}
        for name, grid in self.sheets.items():
            if label_key(name) in others:  # 封面, 目录: the 目录 lists every form code, it is not a form
                continue
            scheme, m = _recognise(name, grid, schemes())
            if scheme is None:
                self.error(
                    f"工作表「{name}」没有可识别的表号 / no form code found, sheet not read",
                    "若是统计报表，表号行应写明如 教基3112 或 基础基312；否则可忽略",
                    sheet=name,
                    level="warning",
                )
                continue
            found.setdefault(scheme.name, []).append((scheme, m, name))
        if len(found) > 1:
            self.error(
                "同一工作簿混有 基础基 和 教基 两套表号 / forms of both schemes in one workbook",
                "一所学校一个学年只导出一套报表；分开存放两个学年的文件",
            )
            return False
        if not found:
            self.error(
                "工作簿中没有任何统计报表(基础基/教基) / no statistics form in this workbook",
                "放入从教育统计系统导出的学校基层表，或把其他文件移出 data/raw/forms/",
            )
            return False
        for scheme, m, name in next(iter(found.values())):
            self.scheme = scheme
            key = m.group("number") + (m.group("cont") or "")
            code = scheme.prefix + key
            if key not in scheme.forms:
                self.error(
                    f"未知表号 {code}（工作表「{name}」）/ unknown form code, not read",
                    f"若是新表，在 {Path(scheme.source).name} 的 forms 中加入 {key}",
                    sheet=name,
                    level="warning",
                )
                continue
            if key in self.forms:
                first = self.forms[key].sheet
                if key == scheme.identity_form:
                    continue  # two identity forms: reported as two schools below
                self.error(
                    f"表号 {code} 出现两次（工作表「{first}」和「{name}」）/ the same form twice",
                    "一个工作簿只含一所学校的一套报表；删除重复的工作表",
                    sheet=name,
                )
                continue
            self.forms[key] = FormSheet(code=code, key=key, sheet=name, grid=self.sheets[name])
        identities = [
            n
            for s, m, n in next(iter(found.values()))
            if m.group("number") + (m.group("cont") or "") == self.scheme.identity_form
        ]
        if len(identities) > 1:
            self.error(
                f"一个工作簿含两张 {self.scheme.prefix}{self.scheme.identity_form}（「{'」「'.join(identities)}」）"
                " / two schools in one workbook",
                "每所学校单独导出一个工作簿",
                sheet=identities[1],
            )
            return False
        return True

    def check_years(self) -> None:
        found = False
        for form in self.forms.values():
            for r, row in enumerate(form.grid[: self.scheme.code_rows + 2]):
                for v in row:
                    if not isinstance(v, str) or "学年" not in v:
                        continue
                    m = self.scheme.year_re.search(normalize(v))
                    found = found or m is not None
                    if m and int(m.group("start")) != self.year:
                        self.error(
                            f"{form.code} 的学年「{v.strip()}」与文件夹 forms/{self.year}/ 不符 / "
                            "school year of the form disagrees with its folder",
                            f"把该文件移到 forms/{m.group('start')}/，或核对导出的学年",
                            sheet=form.sheet,
                            row=r + 1,
                            column="学年",
                        )
        if not found:
            self.error(
                "报表中没有学年行（如「2020/2021学年初」）/ no school-year line, the folder's year is used",
                f"确认这是 {self.year}/{self.year + 1} 学年初的报表",
                level="warning",
            )

    # identity (111 / 1001): labelled blocks, not a table
    def identity(self) -> dict | None:
        form = self.forms.get(self.scheme.identity_form)
        code = f"{self.scheme.prefix}{self.scheme.identity_form}"
        if form is None:
            self.error(
                f"缺少学校基本情况表 {code} / no identity form in the workbook",
                f"导出时勾选 {code}（学校标识码、办学类型等都在这张表上）",
            )
            return None
        grid = form.grid
        positions: dict[str, list[tuple[int, int]]] = {}
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                if isinstance(v, str) and v:
                    positions.setdefault(label_key(v), []).append((r, c))
        values: dict[str, list[tuple[object, int, int]]] = {}
        ok = True
        yml = Path(self.scheme.source).name
        for key, f in self.scheme.fields.items():
            hits = sorted(p for label in f.labels for p in positions.get(label, []))
            if not hits:
                if not f.optional:
                    self.error(
                        f"{code} 中找不到「{f.spellings[0]}」/ label not found on the identity form; "
                        f"该表的标签有 the form's labels are: {_labels_held(grid)}",
                        f"核对 {code}；若本地写法不同，在 {yml} 的 identity.fields.{key}.label 中加入该写法",
                        sheet=form.sheet,
                        column=f.spellings[0],
                    )
                    ok = False
                continue
            if key == "school_id" and len({p[0] for p in hits}) > 1:
                self.error(
                    f"{code} 中有 {len(hits)} 个「学校标识码」/ two schools in one workbook",
                    "每所学校单独导出一个工作簿",
                    sheet=form.sheet,
                    row=hits[1][0] + 1,
                    column="学校标识码",
                )
                return None
            if f.pairs:
                values[key] = [v for r, c in hits for v in _filled_pair(grid, r, c, f.pairs)]
                continue
            r, c = hits[0]  # a label printed twice (举办者 of the 附设班 block): the school's own is the first
            found = self._look(grid, r, c, f)
            values[key] = found
            if not found and not f.optional:
                self.error(
                    f"{code}「{f.spellings[0]}」没有填写 / identity value missing "
                    f"(look {'/'.join(f.look)}{'，格式 ' + f.pattern.pattern if f.pattern else ''})",
                    f"在统计系统中补填后重新导出；若值在别处，改 {yml} 的 identity.fields.{key}.look",
                    sheet=form.sheet,
                    row=r + 1,
                    column=f.spellings[0],
                )
                ok = False
        if not ok:
            return None
        return self._identity_values(values, form, code)

    @staticmethod
    def _look(grid: list[list[object]], r: int, c: int, f: Field) -> list[tuple[object, int, int]]:
        """The value(s) beside or under a label, as (value, grid row, grid column)."""
        out: list[tuple[object, int, int]] = []
        for direction in f.look:
            if direction == "right":
                cells = [(grid[r][k], r, k) for k in range(c + 1, len(grid[r]))]
            else:
                cells = [(grid[k][c], k, c) for k in range(r + 1, min(r + 4, len(grid))) if c < len(grid[k])]
            for v, vr, vc in cells:
                text = cell_text(v)
                if not text or label_key(text) in f.labels:
                    continue
                if f.pattern is not None and not f.pattern.fullmatch(text):
                    continue
                out.append((v, vr, vc))
                if not f.many:
                    return out
            if out:
                return out
        return out

    def _identity_values(
        self, values: dict[str, list[tuple[object, int, int]]], form: FormSheet, code: str
    ) -> dict | None:
        where = {"sheet": form.sheet}
        out: dict[str, object] = {}
        ok = True
        raw_id, r, _c = values["school_id"][0]
        sid = codes.school_id(raw_id)
        if sid.value is None:
            self.error(
                f"{code} 学校标识码 {sid.problem}",
                "学校标识码是10位数字（类别2位+省份2位+序号6位），在统计系统中核对后重新导出",
                row=r + 1,
                column="学校标识码",
                **where,
            )
            return None
        if sid.repaired:
            self.error(
                f"{code} 学校标识码「{cell_text(raw_id)}」存为数字/科学计数，已还原为 {sid.value} / "
                "id stored as a number, repaired",
                "把该单元格设为文本格式",
                row=r + 1,
                column="学校标识码",
                level="warning",
                **where,
            )
        out["school_id"] = sid.value
        out["_row"] = r + 1
        for key in ("school_name", "township", "village"):
            found = values.get(key)
            out[key] = cell_text(found[0][0]) if found else None
        sources = [k for k in self.scheme.county_from if values.get(k)]
        if not sources:
            labels = "、".join(self.scheme.fields[k].spellings[0] for k in self.scheme.county_from)
            self.error(
                f"{code} 中找不到县(区)代码：{labels} 都没有12位代码 / no 12-digit area or address code; "
                f"该表的标签有 the form's labels are: {_labels_held(form.grid)}",
                f"核对 {code}；若写法不同，在 {Path(self.scheme.source).name} 的 identity.fields 中加入该写法",
                **where,
            )
            return None
        area, area_row, _ = values[sources[0]][0]
        label = self.scheme.fields[sources[0]].spellings[0]
        county = codes.county_from_area_code(cell_text(area))
        if county is None:
            self.error(
                f"{code} {label}「{cell_text(area)}」应为12位数字 / area code must be 12 digits",
                "核对学校地址的统计用区划代码",
                row=area_row + 1,
                column=label,
                **where,
            )
            ok = False
        out["county_code"] = county
        out["_missing"] = {}
        township = self.scheme.fields.get("township")
        if not out.get("township") and township is not None and township.missing:
            out["_missing"]["township"] = (form.sheet, area_row + 1, township.missing)
        for key in ("longitude", "latitude"):
            out[key] = self._coordinate(key, values.get(key), out, form, code)
        for key, kind, label in (
            ("school_type", "school_type", "办学类型"),
            ("urban_rural", "urban_rural", "城乡类型"),
        ):
            v, vr, _ = values[key][0]
            text = cell_text(v)
            out[key] = codes.lookup(kind, text)
            if out[key] is None:
                allowed = "、".join(codes.code_table()[kind])
                self.error(
                    f"{code} {label}代码「{text}」未知 / unknown code",
                    f"可用代码 allowed: {allowed}；新代码请加入 lcedu/ingest/layouts/codes.yml",
                    row=vr + 1,
                    column=label,
                    **where,
                )
                ok = False
        v, vr, _ = values["sponsor"][0]
        sponsor = cell_text(v)
        out["is_public"] = codes.lookup("sponsor", sponsor)
        if out["is_public"] is None:
            self.error(
                f"{code} 举办者「{sponsor}」未知 / unknown sponsor",
                "可用: " + "、".join(codes.code_table()["sponsor"]),
                row=vr + 1,
                column="举办者",
                **where,
            )
            ok = False
        attached = []
        for v, vr, _ in values.get("attached_classes", []):
            stage = codes.lookup("attached_classes", cell_text(v)) or codes.lookup("attached_classes", label_key(v))
            if stage is None:
                self.error(
                    f"{code} 附设班代码「{cell_text(v)}」未知 / unknown attached-class code",
                    "可用: " + "、".join(codes.code_table()["attached_classes"]),
                    row=vr + 1,
                    column="附设班",
                    **where,
                )
                ok = False
            else:
                attached.append(stage)
        out["_attached"] = attached
        out["_row"] = r + 1
        if ok and not codes.id_category_agrees(out["school_id"], out["school_type"]):
            self.error(
                f"学校标识码 {out['school_id']} 的类别 {out['school_id'][:2]} 与办学类型 {out['school_type']} 不符 / "
                "id category disagrees with the school type",
                "核对办学类型或学校标识码",
                row=r + 1,
                column="学校标识码",
                level="warning",
                **where,
            )
        return out if ok else None

    def _coordinate(
        self, key: str, found: list[tuple[object, int, int]] | None, identity: dict, form: FormSheet, code: str
    ) -> float | None:
        """经度 / 纬度 as reported (WGS84 degrees); NA with a reason when absent or not a plausible degree."""
        label = {"longitude": "经度", "latitude": "纬度"}[key]
        if not found:
            reason = f"{code} 没有{label} / no {key} on the identity form"
            identity["_missing"][key] = (form.sheet, identity.get("_row", 0), reason)
            return None
        v, vr, _ = found[0]
        try:
            number = float(unicodedata.normalize("NFKC", cell_text(v)))
        except ValueError:
            number = float("nan")
        low, high = (-180.0, 180.0) if key == "longitude" else (-90.0, 90.0)
        if not low <= number <= high:
            self.error(
                f"{code} {label}「{cell_text(v)}」不是有效的度数 / not a degree value, read as NA",
                f"{label}以度为单位的小数填写，如 100.0862",
                sheet=form.sheet,
                row=vr + 1,
                column=label,
                level="warning",
            )
            identity["_missing"][key] = (form.sheet, vr + 1, f"{label}不是有效的度数 / not a degree value")
            return None
        return number

    # figures
    def value(
        self, address: Address, table: str, column: str, identity: dict, stage: str | None, entry: str = ""
    ) -> tuple[object, dict]:
        """A typed value (or NA) and its provenance; NA cells are recorded with their reason.

        ``entry`` is the YAML entry the address comes from (``cells.teachers.primary.staff_count``): a row,
        block or 栏 not found names it, so the statistician knows which line to edit.
        """
        scheme = self.scheme
        code = f"{scheme.prefix}{address.form}"
        where = {"_file": self.display, "_sheet": code, "_row": 0, "_label": "", "_column": ""}
        form = self.forms.get(address.form)
        if form is None:
            self._na(table, column, identity, stage, where, "", f"缺少表 {code} / form not in the workbook")
            return None, where
        if not form.indexed:
            _index(form, scheme.forms.get(form.key))
        where["_sheet"] = form.code
        if not form.has_columns:
            self.error(
                f"{form.code} 找不到栏号行（甲 乙 1 2 …）/ no 栏号 row", "核对该表是否完整导出", sheet=form.sheet
            )
            return None, where
        if not form.has_data:  # headers only: one issue for the sheet, its cells NA with that reason
            if form.key not in self.empty_forms:
                self.empty_forms.add(form.key)
                self.issues.append(empty_table(self.display, form.sheet))
            self._na(table, column, identity, stage, where, "", EMPTY_FORM)
            return None, where
        fix = self._fix(address, entry)
        rows = self._rows(form, address, fix)
        cols = [self._col(form, c, rows[0] if rows else None, fix) for c in address.cols] if rows else []
        if not rows or None in cols:
            return None, where
        where["_row"], where["_label"] = rows[0] + 1, form.label_of.get(rows[0], "")
        where["_column"] = "+".join(f"栏{c}" for c in address.cols)
        spec = load_layout(table).columns[column] if table not in DETAIL_TABLES else None
        kind = spec.type if spec is not None else "count"
        total, seen, first_na = 0.0, False, None
        for r in rows:
            for c, j in zip(address.cols, cols, strict=True):
                raw = form.grid[r][j] if j < len(form.grid[r]) else ""
                text = cell_text(raw)
                place = f"{form.code} 行「{label_key(form.label_of.get(r, ''))}」栏{c}"
                if text in ("", "*", FORMULA_WITHOUT_VALUE):
                    if text == FORMULA_WITHOUT_VALUE:
                        self._formula_warning(form, place, r, c)
                    first_na = first_na or (text, place)
                    continue
                number = self._number(form, raw, text, place, r, c, kind)
                if number is None:
                    return None, where
                total += number
                seen = True
        if not seen:
            text, _place = first_na
            reason = {"*": NOT_APPLICABLE, FORMULA_WITHOUT_VALUE: FORMULA_WITHOUT_VALUE_REASON}.get(text, BLANK)
            self._na(table, column, identity, stage, where, text, reason)
            return None, where
        if kind == "count":
            return int(total), where
        unit = (spec.unit if spec is not None else None) or "元"
        return round(total * UNIT_FACTORS[address.unit or unit] / UNIT_FACTORS[unit], 2), where

    def _rows(self, form: FormSheet, address: Address, fix: str) -> list[int]:
        """The grid rows an address sums (one unless ``rows:`` / ``numbers:``); [] after reporting one not found."""
        start = -1
        if address.within:
            heads = [r for label in address.within for r in form.rows_of.get(label, [])]
            if not heads:
                self._row_not_found(form, f"区块「{address.within[0]}」", fix)
                return []
            start = min(heads)
        out = []
        for spellings, no in address.row_refs():
            if no is not None:
                r = form.row_of_no.get(no)
                if r is None:
                    held = "、".join(str(k) for k in sorted(form.row_of_no)) or "无 none"
                    self.error(
                        f"{form.code} 中没有编号 {no} 的行 / row not found; 编号列有 the 编号 column holds: {held}",
                        fix,
                        sheet=form.sheet,
                        column=f"编号{no}",
                    )
                    return []
                out.append(r)
                continue
            hits = sorted({r for label in spellings for r in form.rows_of.get(label, []) if r > start})
            wanted = f"行「{spellings[0]}」" + (f"（在「{address.within[0]}」下）" if address.within else "")
            if not hits:
                self._row_not_found(form, wanted, fix)
                return []
            if len(hits) > 1 and not address.within:
                self.error(
                    f"{form.code} 中{wanted}出现 {len(hits)} 次 / ambiguous row label",
                    f"在 {Path(self.scheme.source).name} 中改用编号 (number:) 或区块 (within:) 指定该行",
                    sheet=form.sheet,
                    row=hits[1] + 1,
                    column=wanted,
                )
                return []
            out.append(hits[0])  # under a block: the first such row after the block's own row
        return out

    def _row_not_found(self, form: FormSheet, wanted: str, fix: str) -> None:
        held = "、".join(f"「{x}」" for x in form.label_of.values()) or "无 none"
        self.error(
            f"{form.code} 中找不到{wanted} / row not found; 甲栏的行标签有 the label column holds: {held}",
            fix,
            sheet=form.sheet,
            column=wanted,
        )

    def _col(self, form: FormSheet, c: int | str, r: int | None, fix: str) -> int | None:
        """The grid column of a 栏号, or of the 栏 whose header reads ``c``; None after reporting it absent."""
        if isinstance(c, int):
            j = form.col_of.get(c)
            if j is None:
                held = "、".join(str(k) for k in sorted(form.col_of)) or "无 none"
                self.error(
                    f"{form.code} 中没有栏{c} / column number not found; 栏号行有 the 栏号 row holds: {held}",
                    fix,
                    sheet=form.sheet,
                    row=None if r is None else r + 1,
                    column=f"栏{c}",
                )
            return j
        found = form.cols_of_text.get(label_key(c), [])
        if len(found) == 1:
            return form.col_of[found[0]]
        held = "、".join(f"栏{n}「{t}」" for n, t in sorted(form.header_of.items())) or "无 none"
        problem = "表头「{}」不唯一 / header not unique" if found else "找不到表头「{}」/ header not found"
        self.error(
            f"{form.code} 中{problem.format(c)}; 表头有 the headers are: {held}",
            fix,
            sheet=form.sheet,
            column=f"栏「{c}」",
        )
        return None

    def _formula_warning(self, form: FormSheet, place: str, r: int, c: int | str) -> None:
        self.error(
            f"{place} 是公式但没有保存计算结果，按缺失(NA)处理 / a formula without a stored value, read as NA",
            FORMULA_FIX,
            sheet=form.sheet,
            row=r + 1,
            column=f"栏{c}",
            level="warning",
        )

    def _number(
        self, form: FormSheet, raw: object, text: str, place: str, r: int, c: int | str, kind: str
    ) -> float | None:
        """A figure as a number; None after reporting text, a negative or a fraction of a count."""
        where = {"sheet": form.sheet, "row": r + 1, "column": f"栏{c}"}
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            number = float(raw)
        else:
            try:
                number = float(_THOUSANDS.sub("", unicodedata.normalize("NFKC", text)))
            except ValueError:
                self.error(f"{place}「{text}」不是数字 / not a number", "改为数字；不适用填 *，没有则留空", **where)
                return None
        if number < 0:
            self.error(f"{place} 负数「{text}」/ negative value", "人数、面积和金额不能为负，请核对", **where)
            return None
        if kind == "count" and not number.is_integer():
            self.error(f"{place}「{text}」不是整数 / not a whole number", "人数、班数应为整数", **where)
            return None
        return number

    def _fix(self, address: Address, entry: str = "") -> str:
        name = Path(self.scheme.source).name
        line = (
            f"{name} 的 {entry}（{address.describe(self.scheme)}）"
            if entry
            else f"{name} 中 {address.describe(self.scheme)}"
        )
        return f"核对该表；若本地报表的行/栏不同，改 {line} 这一行"

    def _na(
        self, table: str, column: str, identity: dict, stage: str | None, where: dict, raw: str, reason: str
    ) -> None:
        self.missing.append(
            {
                "table": table,
                "_file": where["_file"],
                "_sheet": where["_sheet"],
                "_row": where["_row"],
                "school_id": identity["school_id"],
                "county_code": identity["county_code"],
                "stage": stage,
                "column": column,
                "raw_text": raw,
                "reason": reason,
            }
        )


def _whole_school_columns(scheme: Scheme, table: str, present: list[str]) -> set[str]:
    """Columns whose ``whole_school`` cell (412 / 4149 总计) several of the school's 学段 share: its figure is the
    whole school's (a 九年一贯制, a 完全中学), not any one 学段's."""
    count: dict[tuple[str, Address], int] = {}
    for stage in present:
        for column, address in scheme.cells.get(table, {}).get(stage, {}).items():
            if address.whole_school:
                count[(column, address)] = count.get((column, address), 0) + 1
    return {column for (column, _), n in count.items() if n > 1}


def _group_rows(
    reader: _Reader, identity: dict, table: str, group: str, stage: str | None, whole: set[str] = frozenset()
) -> dict | None:
    """One row of ``table`` for a stage or school type; None when a required figure's form is empty
    (headers only: already reported, and the row is not made up of NAs). A ``whole`` column is NA for
    the 学段, its whole-school figure kept as the raw text of that NA (missing_values)."""
    row: dict[str, object] = {}
    anchor = None
    required = {c.name for c in load_layout(table).columns.values() if c.required}
    lacking = False
    for column, address in reader.scheme.cells[table][group].items():
        value, where = reader.value(address, table, column, identity, stage, f"cells.{table}.{group}.{column}")
        if column in whole and value is not None:
            reader._na(table, column, identity, stage, where, str(value), WHOLE_SCHOOL)
            value = None
        row[column] = value
        anchor = anchor or where
        if value is None and column in required and address.form not in reader.forms:
            reader.error(
                f"{where['_sheet']} 缺失，无法得到必需的 {column} / required form missing",
                f"导出时勾选 {where['_sheet']}",
                column=address.describe(reader.scheme),
            )
        lacking = lacking or (value is None and column in required and address.form in reader.empty_forms)
    if lacking:
        return None
    return row | {
        "_file": anchor["_file"],
        "_sheet": anchor["_sheet"],
        "_row": anchor["_row"],
        "_label": anchor["_label"],
        "_column": anchor["_column"],
    }


def read_school_workbook(path: Path, raw_dir: Path) -> WorkbookResult:
    """One school's workbook → its rows in the canonical tables (runs in a worker)."""
    result = WorkbookResult()
    display = str(path.relative_to(raw_dir.parent))
    if is_lock_file(path):
        result.issues.append(
            Issue(
                "warning",
                display,
                "跳过 Excel 锁文件 / skipped an Excel lock file",
                "该工作簿正在 Excel 中打开；关闭后锁文件会消失",
            )
        )
        return result
    rel = path.relative_to(raw_dir / FORMS_DIR)
    folder = rel.parts[0] if len(rel.parts) > 1 else ""
    if not re.fullmatch(r"(19|20)\d{2}", folder):
        result.issues.append(
            Issue(
                "error",
                display,
                "学校基层表应放在 forms/<学年起始年>/ 下 / no school-year folder",
                "例如 2020/2021 学年初的报表放入 data/raw/forms/2020/",
            )
        )
        return result
    year = int(folder)
    data = read_bytes(path, display, result.issues)
    if data is None:
        return result
    result.record = {
        "path": str(path.relative_to(raw_dir)),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    sheets = read_workbook(data, display, result.issues)
    if sheets is None:
        return result
    reader = _Reader(display, year, sheets)
    if reader.recognise():
        reader.check_years()
        identity = reader.identity()
        if identity is not None:
            _school_rows(reader, identity, year, result)
    result.issues += reader.issues
    # A workbook with errors contributes nothing; missing input only (an empty form: an error unless
    # --partial) keeps the rest of the school, that form's cells NA with their reason.
    if any(i.level == "error" and not i.relaxed_by_partial for i in reader.issues):
        result.rows = {t: [] for t in TABLES}
        result.details = {t: [] for t in DETAIL_TABLES}
    else:
        result.missing = reader.missing
    return result


def _school_rows(reader: _Reader, identity: dict, year: int, result: WorkbookResult) -> None:
    scheme = reader.scheme
    expected = list(codes.code_table()["type_stages"].get(identity["school_type"], []))
    expected += [s for s in identity["_attached"] if s not in expected]
    present = [s for s, form in scheme.stages.items() if form in reader.forms]
    ident_code = f"{scheme.prefix}{scheme.identity_form}"
    for stage in expected:
        if stage not in present:
            form = scheme.stages.get(stage)
            reader.error(
                f"办学类型/附设班应有{stage}学段，但缺少学生表 {scheme.prefix}{form or '（本套表无此学段）'} / "
                "stage expected but its student form is missing",
                "导出该学段的学生数表",
                sheet=reader.forms[scheme.identity_form].sheet,
                column="办学类型",
                level="warning",
            )
    for stage in present:
        if stage not in expected:
            reader.error(
                f"有 {scheme.prefix}{scheme.stages[stage]}（{stage}）但办学类型和附设班中没有该学段 / "
                "a stage neither the school type nor an attached class gives",
                f"核对 {ident_code} 的附设班",
                sheet=reader.forms[scheme.stages[stage]].sheet,
                level="warning",
            )
    base = {
        "school_id": identity["school_id"],
        "year": year,
        "county_code": identity["county_code"],
        "_is_total": False,
    }
    for column, (sheet, row, reason) in identity["_missing"].items():  # NA with its reason, never a guess
        where = {"_file": reader.display, "_sheet": reader.forms[scheme.identity_form].code, "_row": row}
        reader._na("schools", column, identity, None, where | {"_sheet": sheet}, "", reason)
    school = (
        base
        | {k: identity[k] for k in IDENTITY_COLUMNS}
        | {
            "_file": reader.display,
            "_sheet": reader.forms[scheme.identity_form].code,
            "_row": identity["_row"],
            "_label": "学校标识码",
            "_column": "",
        }
    )
    for stage in present:
        if stage in scheme.cells.get("schools", {}):
            extra = _group_rows(reader, identity, "schools", stage, None) or {}
            school |= {k: v for k, v in extra.items() if not k.startswith("_")}
        for table in ("enrollment", "teachers"):
            if stage in scheme.cells.get(table, {}):
                row = _group_rows(reader, identity, table, stage, stage, _whole_school_columns(scheme, table, present))
                if row is not None:
                    result.rows[table].append(base | {"stage": stage} | row)
    result.rows["schools"].append(school)
    groups = scheme.cells.get("facilities", {})
    group = identity["school_type"] if identity["school_type"] in groups else "default"
    if group in groups:
        row = _group_rows(reader, identity, "facilities", group, None)
        if row is not None:
            result.rows["facilities"].append(base | row)
    _detail_rows(reader, identity, base, present, result)


def _detail_rows(reader: _Reader, identity: dict, base: dict, present: list[str], result: WorkbookResult) -> None:
    """Students by grade and age and the 331 flows, for the 学段 the school has (``details:`` of the scheme)."""
    for table, entries in reader.scheme.details.items():
        key, count = detail_key(table), detail_value(table)
        extra = detail_fields(table, entries)
        for stage, value_key, address in entries:
            if stage is not None and stage not in present:
                continue
            column = f"{count}[{key}={value_key}]"  # missing_values names which cell of the table
            value, where = reader.value(address, table, column, identity, stage, f"details.{table}")
            result.details[table].append(
                base
                | {"stage": stage, key: value_key, count: value}
                | extra[(stage, value_key)]
                | {"_file": where["_file"], "_sheet": where["_sheet"], "_row": where["_row"]}
            )
    for table, reasons in reader.scheme.details_absent.items():  # a 学段 the scheme has no such form for
        for stage in present:
            if stage in reasons:
                where = {"_file": reader.display, "_sheet": reader.forms[reader.scheme.identity_form].code, "_row": 0}
                reader._na(table, detail_value(table), identity, stage, where, "", reasons[stage])


# --- a folder of workbooks ----------------------------------------------------------------------


@dataclass
class FormsResult:
    """Everything read from ``raw/forms/``, shaped like the other inputs' results for ``clean.collect``."""

    inputs: list[dict]
    converted: list[tuple[str, pd.DataFrame | None, pd.DataFrame | None, list[Issue]]]
    issues: list[Issue]
    # detail tables (schemas.DETAIL_TABLES), typed, and their NA cells (missing_values rows)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    detail_missing: pd.DataFrame | None = None


def form_files(raw_dir: Path) -> list[Path]:
    folder = Path(raw_dir) / FORMS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES)


def _known_counties(raw_dir: Path) -> set[str]:
    """The registry's counties and those a raw folder adds in its own counties.csv."""
    # Problems with counties.csv itself are reported once, by the cleaner's own read of it.
    return set(counties.registry()["county_code"]) | set(counties.read_extra(raw_dir).values())


def _read_chunk(files: list[Path], raw_dir: Path) -> list[WorkbookResult]:
    return [read_school_workbook(p, raw_dir) for p in files]


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows → a frame typed like the county workbooks' (so the two concatenate cleanly)."""
    layout = load_layout(table)
    frame = pd.DataFrame(rows)
    for c in frame.columns:
        if c in layout.columns or c in ("year", "county_code"):
            frame[c] = frame[c].astype(dtype_of(layout, c))
    frame["_row"] = frame["_row"].astype("int64")
    frame["_is_total"] = frame["_is_total"].astype(bool)
    return frame


def read_forms(raw_dir: Path, workers: int | None = None) -> FormsResult:
    """Every per-school workbook under ``raw/forms/``; never raises for bad input."""
    raw_dir = Path(raw_dir)
    files = form_files(raw_dir)
    others = (
        sorted(p for p in (raw_dir / FORMS_DIR).rglob("*") if p.is_file() and p not in set(files))
        if (raw_dir / FORMS_DIR).is_dir()
        else []
    )
    not_read = [
        Issue(
            "warning",
            str(p.relative_to(raw_dir.parent)),
            "forms/ 下的非 Excel 文件未读取 / not a workbook, not read",
            "学校基层表应为 .xlsx/.xls；其他文件请移出 data/raw/forms/",
        )
        for p in others
    ]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    schemes()  # parse the layout files once, before the workers fork (each would parse them again)
    for table in TABLES:
        load_layout(table)
    if workers > 1 and len(files) >= 16:
        chunks = [files[i :: workers * 4] for i in range(workers * 4) if files[i :: workers * 4]]
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=mp.get_context("fork"), initializer=die_with_parent
        ) as pool:
            results = [r for chunk in pool.map(_read_chunk, chunks, [raw_dir] * len(chunks)) for r in chunk]
    else:
        results = _read_chunk(files, raw_dir)
    inputs = sorted((r.record for r in results if r.record), key=lambda r: r["path"])
    issues = not_read + [i for r in results for i in r.issues]
    known = _known_counties(raw_dir)
    for r in results:
        for school in r.rows["schools"]:
            if school["county_code"] not in known:
                issues.append(
                    Issue(
                        "error",
                        school["_file"],
                        f"统计用区划代码的县(区) {school['county_code']} 不在县名录中 / county not in the registry",
                        "核对 教基1001/基础基111 的统计用区划代码；本市以外的县请在 data/raw/counties.csv 中登记",
                        column="统计用区划代码",
                    )
                )
                r.rows = {t: [] for t in TABLES}
                r.details = {t: [] for t in DETAIL_TABLES}
                break
    missing = pd.DataFrame([m for r in results for m in r.missing])
    converted = []
    for table in TABLES:
        rows = [row for r in results for row in r.rows[table]]
        if not rows:
            continue
        typed = _frame(table, rows)
        miss = (
            missing[missing["table"] == table]
            if len(missing)
            else pd.DataFrame(
                columns=[
                    "table",
                    "_file",
                    "_sheet",
                    "_row",
                    "school_id",
                    "county_code",
                    "stage",
                    "column",
                    "raw_text",
                    "reason",
                ]
            )
        )
        if "stage" not in load_layout(table).key:
            miss = miss.drop(columns="stage")
        converted.append((table, typed, miss.reset_index(drop=True), []))
    details = {
        table: typed_detail(table, pd.DataFrame(rows))
        for table in DETAIL_TABLES
        if (rows := [row for r in results for row in r.details[table]])
    }
    detail_missing = missing[missing["table"].isin(list(DETAIL_TABLES))] if len(missing) else None
    return FormsResult(
        inputs=inputs, converted=converted, issues=issues, details=details, detail_missing=detail_missing
    )
