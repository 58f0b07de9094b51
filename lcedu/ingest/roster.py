"""过录表 rosters, 教学点 sites and the local school sheet → the canonical school tables.

A roster (``data/raw/rosters/<学年>/…过录表….xlsx``) is the statistics system's one-row-per-school
export of a county, ~300 columns under 3–4 merged header rows. Columns are found by header path,
level by level, as declared in ``layouts/roster.yml``; the figures are typed by the same
``parse.convert`` as every other input and land in ``schools``, ``enrollment``, ``teachers`` and
``facilities`` with ``_file``/``_sheet``/``_row`` provenance. Identity comes from the national
codes (``codes.py``). Rows with 是否计校数 = 0 are sites (教学点): they stay rows of their own and
get their 原校点 from ``rosters/sites.csv``. The local sheet (``local/<学年>/…``) adds what the
national forms lack, as supplement rows that ``clean`` merges into the roster's rows.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, partial
from itertools import chain, islice
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu import paths
from lcedu.errors import Issue
from lcedu.ingest import codes, counties
from lcedu.ingest.layout import Column as LayoutColumn
from lcedu.ingest.layout import Layout, layout_spec, load_layout, normalize
from lcedu.ingest.parse import NOTE_START, TOTAL_LABEL, convert, missing_rows, parse_sheet
from lcedu.ingest.readers import (
    STREAM_ERRORS,
    STREAMED_SUFFIXES,
    TABLE_SUFFIXES,
    cell_text,
    empty_table,
    is_lock_file,
    read_bytes,
    read_csv_grid,
    read_workbook,
    stream_workbook,
    unreadable,
)
from lcedu.ingest.schemas import typed_detail

SEP = " › "
_SPLIT = re.compile(r"\s*[›>]\s*")
SUBTOTAL_PARTS = {"计", "合计", "小计", "总计"}
HEADER_SEARCH_ROWS = 15
SCHOOL_YEAR = re.compile(r"(20\d{2})\s*[/／-]\s*(20\d{2})\s*学年")
SCHOOL_TABLES = ("schools", "enrollment", "teachers", "facilities")  # what a roster gives
STAGE_ORDER = ("kindergarten", "primary", "junior", "senior", "vocational", "special")
STAGE_ZH = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中", "senior": "高中", "vocational": "中职"}
STAGE_ZH["special"] = "特殊教育"
SITES_COLUMNS = {
    "county_code": ("county_code", "县(区)", "县区", "区划代码", "县代码"),
    "site_name": ("site_name", "教学点名称", "校点名称", "教学点"),
    "parent_school_id": ("parent_school_id", "原校点学校标识码", "原校点标识码", "所属学校标识码"),
}
TEMPLATE_STEM = "sites.template"
#: Detail columns (students by grade, children by age) are named "<table>__<grade or age>".
DETAIL_SEP = "__"
DETAIL_KEY = {"grade_enrollment": "grade", "kindergarten_ages": "age"}
META = ["_file", "_sheet", "_row", "_is_total", "_label"]


# --- the layout ---------------------------------------------------------------------------------


@cache
def part_key(part: object) -> str:
    """One header level as compared: no spaces, NFKC, no `#` ("of which"), no 其中 prefix, no _x000D_."""
    text = normalize(part).replace("_x000d_", "").lstrip("#")
    return text.removeprefix("其中").lstrip(":")


def path_key(parts: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A header path as compared: 其中 levels dropped, a trailing 计/合计/小计 (the group's subtotal) dropped."""
    out = [k for k in (part_key(p) for p in parts) if k]
    while len(out) > 1 and out[-1] in SUBTOTAL_PARTS:
        out.pop()
    return tuple(out)


def split_path(text: str) -> tuple[str, ...]:
    return tuple(p for p in _SPLIT.split(text.strip()) if p)


@dataclass(frozen=True)
class Field:
    """One canonical column and the header paths it may be written under.

    ``sum_of``: when none of the paths is found, sets of paths whose columns add up to it (研究生 written
    as 博士研究生 + 硕士研究生). ``outside`` (stage columns only): paths outside the stage's block, ``{stage}``
    standing for each of the stage's names (教基1102 › 县级以上骨干教师({stage})).
    """

    name: str  # canonical column; "{stage}" is replaced by the stage
    table: str
    written: tuple[str, ...]  # the paths as the YAML writes them
    required: bool = False
    unit: str | None = None
    sum_of: tuple[tuple[str, ...], ...] = ()
    outside: tuple[str, ...] = ()
    only: tuple[str, ...] = ()  # the stages it belongs to (a detail column: 六年级 is 小学 only); () = all

    @cached_property
    def keys(self) -> tuple[tuple[str, ...], ...]:
        return tuple(path_key(split_path(w)) for w in self.written)

    @cached_property
    def sum_keys(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        return tuple(tuple(path_key(split_path(w)) for w in parts) for parts in self.sum_of)

    def outside_keys(self, names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        return tuple(path_key(split_path(w.format(stage=n))) for w in self.outside for n in names)


@dataclass(frozen=True)
class RosterVariant:
    name: str
    years: tuple[int, ...]
    school: tuple[Field, ...]
    stages: dict[str, tuple[str, ...]]  # stage -> group spellings as written
    stage: tuple[Field, ...]

    def stage_key(self, stage: str) -> set[str]:
        return {part_key(s) for s in self.stages[stage]}


@dataclass(frozen=True)
class RosterLayout:
    files: str
    sites_file: str
    anchor: str
    max_header_rows: int
    tables: dict[str, str]  # school-level canonical column -> table
    variants: tuple[RosterVariant, ...]
    file_stages: dict[str, tuple[str, ...]]  # a word in a file or sheet name -> the stages that file holds

    def variants_for(self, year: int | None) -> list[RosterVariant]:
        first = [v for v in self.variants if year in v.years]
        return first + [v for v in self.variants if v not in first]

    def anchor_keys(self) -> set[str]:
        return {k[-1] for v in self.variants for f in v.school if f.name == self.anchor for k in f.keys}

    def stages_named(self, *names: str) -> tuple[str, ...]:
        """The stages a per-学段 file holds, from the first (longest) 学段 word in its sheet or file name."""
        text = "".join(normalize(n) for n in names)
        word = next((w for w in sorted(self.file_stages, key=len, reverse=True) if part_key(w) in text), None)
        return self.file_stages[word] if word else ()


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _fields(spec: dict, table_of: Callable[[str], str]) -> tuple[Field, ...]:
    return tuple(
        Field(
            name=name,
            table=table_of(name),
            written=tuple(_as_list(entry.get("path"))),
            required=bool(entry.get("required", False)),
            unit=entry.get("unit"),
            sum_of=tuple(tuple(parts) for parts in _as_list(entry.get("sum_of"))),
            outside=tuple(_as_list(entry.get("outside"))),
        )
        for name, entry in spec.items()
    )


def load_roster_layout() -> RosterLayout:
    return _load_roster_layout(os.environ.get("LCEDU_LAYOUTS"))


def _detail_fields(spec: dict) -> tuple[Field, ...]:
    """The ``detail`` section: one stage column per grade or age, named ``<table>__<value>``."""
    return tuple(
        Field(name=f"{table}{DETAIL_SEP}{value}", table=table, written=tuple(_as_list(paths)), only=(stage,))
        for table, by_stage in spec.items()
        for stage, columns in by_stage.items()
        for value, paths in columns.items()
    )


@cache
def _load_roster_layout(_local: str | None) -> RosterLayout:
    spec = layout_spec("roster.yml")
    tables = {c: t for t, cols in spec["tables"].items() for c in cols}
    detail = _detail_fields(spec.get("detail") or {})
    variants = []
    for name, v in spec["variants"].items():
        stage_fields = tuple(f for table, cols in v["stage"].items() for f in _fields(cols, lambda _c, t=table: t))
        stage_fields += detail
        variants.append(
            RosterVariant(
                name=name,
                years=tuple(v["years"]),
                school=_fields(v["school"], lambda c: tables[c]),
                stages={s: tuple(names) for s, names in v["stages"].items()},
                stage=stage_fields,
            )
        )
    return RosterLayout(
        files=spec["files"],
        sites_file=spec["sites_file"],
        anchor=spec["anchor"],
        max_header_rows=int(spec["max_header_rows"]),
        tables=tables,
        variants=tuple(variants),
        file_stages={w: tuple(st) for w, st in (spec.get("file_stages") or {}).items()},
    )


# --- one sheet ----------------------------------------------------------------------------------


def code_text(v: object) -> str:
    """A code cell as text: 211, 211.0 and "211.0" (a number that went through a CSV) are all "211"."""
    text = cell_text(v)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _cells(grid: list[list[object]]) -> np.ndarray:
    """A grid as a 2-D object array, blanks as "" (a workbook's grid is rectangular: one bulk copy)."""
    width = max((len(r) for r in grid), default=0)
    if grid and all(len(r) == width for r in grid):
        cells = np.empty((len(grid), width), dtype=object)
        cells[:] = grid
    else:  # a CSV's ragged rows
        cells = np.full((len(grid), width), "", dtype=object)
        for i, row in enumerate(grid):
            cells[i, : len(row)] = row
    cells[pd.isna(cells)] = ""
    return cells


def header_paths(block: np.ndarray) -> list[tuple[str, ...]]:
    """Stacked, merged header rows → one path per column.

    A merged group's text sits in its first cell; a blank upper cell inherits from its left
    neighbour only where both sit under text in a lower row (so the column really is under the
    group), never across a vertically merged cell.
    """
    rows = [[cell_text(v) for v in r] for r in block]
    n = len(rows)
    for k in range(n - 1):
        for j in range(1, len(rows[k])):
            if (
                not rows[k][j]
                and rows[k][j - 1]
                and any(rows[m][j] for m in range(k + 1, n))
                and any(rows[m][j - 1] for m in range(k + 1, n))
            ):
                rows[k][j] = rows[k][j - 1]
    paths = []
    for j in range(len(rows[0]) if rows else 0):
        parts: list[str] = []
        for k in range(n):
            p = rows[k][j].replace("_x000D_", "").strip()
            if p and (not parts or parts[-1] != p):
                parts.append(p)
        paths.append(tuple(parts))
    return paths


def _is_column_number_row(row: np.ndarray) -> bool:
    """The 栏号 row under the header: 甲 乙 丙 … then 1 2 3 …."""
    filled = [cell_text(v) for v in row if cell_text(v)]
    return len(filled) >= 3 and all(re.fullmatch(r"[甲乙丙丁戊己庚辛壬癸]|\d{1,3}", t) for t in filled)


@dataclass
class Cells:
    """Raw cells of some rows under canonical names, with their Excel row numbers.

    Plain arrays, not frames: the frames are built once over all files (a province has 129 rosters
    and ~1,000 such blocks), which is what keeps reading fast.
    """

    columns: dict[str, np.ndarray]
    rows: np.ndarray  # Excel row numbers (1-based)

    def __len__(self) -> int:
        return len(self.rows)


def cells_frame(parts: list[tuple[str, str, Cells]]) -> pd.DataFrame:
    """Cells of several sheets as one frame of raw cells (object columns) with _file, _sheet, _row, _is_total,
    _label."""
    names = list(dict.fromkeys(n for _, _, c in parts for n in c.columns))
    sizes = [len(c) for _, _, c in parts]
    data = {
        n: np.concatenate([c.columns.get(n, np.full(len(c), "", dtype=object)) for _, _, c in parts])
        if parts
        else np.array([], dtype=object)
        for n in names
    }
    total = sum(sizes)
    data |= {
        "_file": np.repeat(np.array([f for f, _, _ in parts], dtype=object), sizes),
        "_sheet": np.repeat(np.array([s for _, s, _ in parts], dtype=object), sizes),
        "_row": np.concatenate([c.rows for _, _, c in parts]).astype("int64") if parts else np.array([], "int64"),
        "_is_total": np.zeros(total, dtype=bool),
        "_label": np.full(total, "", dtype=object),
    }
    # Raw cells stay Python objects: pandas would store an all-text column as Arrow strings, which the
    # typing then converts back cell by cell (most of the time a roster took to type).
    return pd.DataFrame({n: pd.Series(v, dtype=v.dtype, copy=False) for n, v in data.items()})


@dataclass
class RosterSheet:
    """The data rows of one roster sheet, as raw cells under canonical names, not yet typed."""

    file: str
    sheet: str
    year: int
    file_county: str | None
    variant: str
    school: Cells  # school-level canonical columns
    stages: dict[str, Cells]  # stage -> stage columns of the rows that reported the stage
    headers: dict[str, str]  # canonical (stage-qualified "primary:student_count") -> path as written
    units: dict[str, str | None]


Column = int | tuple[int, ...]  # one column, or the columns that add up to a figure (博士 + 硕士研究生)
DASHES = {"", "-", "—", "－", "–", "/", "／"}
PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class HeaderBlock:
    """Where a roster's header sits and what its columns are called."""

    start: int  # first header row (0-based)
    first_data: int  # first row under the header and its 栏号 row (0-based)
    paths: list[tuple[str, ...]]  # one header path per column, as written

    @cached_property
    def position(self) -> dict[tuple[str, ...], int]:
        """Compared path → its (first) column."""
        out: dict[tuple[str, ...], int] = {}
        for j, p in enumerate(self.paths):
            if k := path_key(p):
                out.setdefault(k, j)
        return out

    def written(self, column: Column) -> str:
        cols = (column,) if isinstance(column, int) else column
        return " + ".join(SEP.join(self.paths[j]) for j in cols)


def find_header(cells: np.ndarray, layout: RosterLayout) -> HeaderBlock | None:
    """The header block: from the row holding the anchor (学校标识码) down to the first row with a figure (a
    number, or its text in a CSV), a filled anchor cell or the 栏号 row; None when the sheet has no anchor."""
    anchors = layout.anchor_keys()
    found = next(
        (
            (i, j)
            for i in range(min(HEADER_SEARCH_ROWS, len(cells)))
            for j, v in enumerate(cells[i])
            if isinstance(v, str) and part_key(v) in anchors
        ),
        None,
    )
    if found is None:
        return None
    start, anchor_col = found
    end = start + 1
    while (
        end < len(cells)
        and end - start < layout.max_header_rows
        and cells[end, anchor_col] == ""
        and not any(_is_number(v, v) if isinstance(v, str) else _is_number(v, "") for v in cells[end])
    ):
        end += 1
    first_data = end + 1 if end < len(cells) and _is_column_number_row(cells[end]) else end
    return HeaderBlock(start, first_data, header_paths(cells[start:end]))


def stated_year_issue(title_rows: np.ndarray, year: int, where: dict) -> Issue | None:
    """An error when the title above the header states another school year than the folder's."""
    for title in (cell_text(v) for row in title_rows for v in row):
        stated = SCHOOL_YEAR.search(title)
        if stated and int(stated.group(1)) != year:
            return Issue(
                "error",
                message=f"表中写的是 {stated.group(0)}，但文件在 {year} 学年的文件"
                "夹中 / the roster states another school year",
                fix=f"把文件移到 rosters/{stated.group(1)}/",
                **where,
            )
    return None


def stage_groups(v: RosterVariant, block: HeaderBlock, names: tuple[str, str]) -> dict[str, tuple[str, ...]]:
    """Stage → the header prefix of its block: ("小学",) in a combined roster. A per-学段 roster (小学过录表.xlsx:
    "在校生数 › 合计" with no stage level) takes its one stage from the sheet or file name (``file_stages``)."""
    keys = list(block.position)
    groups = {}
    for stage in v.stages:
        wanted = v.stage_key(stage)
        found = next((k[0] for k in keys if len(k) > 1 and k[0] in wanted), None)
        if found:
            groups[stage] = (found,)
    if not groups and any(any(k in block.position for k in f.keys) for f in v.stage if f.required):
        named = load_roster_layout().stages_named(*names)
        if len(named) == 1:
            groups[named[0]] = ()
    return groups


def locate(f: Field, block: HeaderBlock, prefix: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> Column | None:
    """The column of a field: its paths under the prefix, then its paths outside the stage block, then the
    columns that add up to it; None when the sheet has none of them."""
    at = block.position
    for k in f.keys:
        if (*prefix, *k) in at:
            return at[(*prefix, *k)]
    for k in f.outside_keys(names):
        if k in at:
            return at[k]
    for parts in f.sum_keys:
        if all((*prefix, *k) in at for k in parts):
            return tuple(at[(*prefix, *k)] for k in parts)
    return None


def closest_header(wanted: tuple[str, ...], block: HeaderBlock) -> str:
    """The header most like a missing one, among those under the same group and as deep when there are any."""
    key = path_key(wanted)
    keys = [k for k in block.position if k]
    same = [k for k in keys if k[:-1] == key[:-1]] or [k for k in keys if k[0] == key[0] and len(k) == len(key)]
    pool = same or keys
    best = max(pool, key=lambda k: difflib.SequenceMatcher(None, "›".join(key), "›".join(k)).ratio(), default=None)
    return block.written(block.position[best]) if best else "无"


@dataclass
class Match:
    variant: RosterVariant
    school: dict[str, tuple[Column, Field]]
    stages: dict[str, dict[str, tuple[Column, Field]]]  # stage -> stage column (with {stage} filled in) -> …
    missing: list[Issue]


def match_columns(block: HeaderBlock, year: int, names: tuple[str, str], where: dict) -> Match:
    """The best-fitting variant's columns in this header; every required one missing is an issue."""
    layout = load_roster_layout()

    def fit(v: RosterVariant) -> int:
        groups = stage_groups(v, block, names)
        n = sum(locate(f, block) is not None for f in v.school)
        return n + sum(locate(f, block, g, v.stages[s]) is not None for s, g in groups.items() for f in v.stage)

    variant = max(layout.variants_for(year), key=fit)
    missing: list[Issue] = []

    def find(f: Field, prefix: tuple[str, ...] = (), stage: str | None = None) -> Column | None:
        column = locate(f, block, prefix, variant.stages[stage] if stage else ())
        if column is None and f.required:
            label = next((s for s in variant.stages[stage] if (part_key(s),) == prefix), "") if stage else ""
            wanted = tuple(([label] if label else []) + list(split_path(f.written[0])))
            missing.append(
                Issue(
                    "error",
                    message=f"缺少必需的列「{SEP.join(wanted)}」/ required column missing; 最接近的表头 closest "
                    f"header found: 「{closest_header(wanted, block)}」",
                    fix=f"检查导出时是否漏选了该列；若表头写法不同，在 lcedu/ingest/layouts/roster.yml 的 "
                    f"variants › {variant.name} › {'stage' if stage else 'school'} › {f.name} 中加入该写法 / "
                    "add the wording to that entry of the layout",
                    row=block.start + 1,
                    column=SEP.join(wanted),
                    **where,
                )
            )
        return column

    school = {f.name: (j, f) for f in variant.school if (j := find(f)) is not None}
    stages = {
        stage: {
            f.name.format(stage=stage): (j, f)
            for f in variant.stage
            if (not f.only or stage in f.only) and (j := find(f, prefix, stage)) is not None
        }
        for stage, prefix in stage_groups(variant, block, names).items()
    }
    return Match(variant, school, stages, missing)


def take(body: Body, column: Column, rows: np.ndarray) -> np.ndarray:
    """The cells of one field in ``rows``; for columns that add up, their sum (see :func:`sum_cells`)."""
    if isinstance(column, int):
        return body.cells[rows, body.local[column]]
    return sum_cells(body.block(rows, column))


def sum_cells(parts: np.ndarray) -> np.ndarray:
    """Each row's cells added up: blank when all are blank or dashes, else the sum of the numbers (a blank part
    counts 0, as in the forms); a cell that is no number is kept as it is, for the typing to name it."""
    out = np.empty(len(parts), dtype=object)
    for i, row in enumerate(parts):
        texts = [cell_text(v) for v in row]
        bad = next((v for v, t in zip(row, texts, strict=True) if t not in DASHES and not _is_number(v, t)), None)
        if bad is not None:
            out[i] = bad
        elif all(t in DASHES for t in texts):
            out[i] = ""
        else:
            out[i] = sum(float(t) for t in texts if t not in DASHES)
    return out


def _is_number(value: object, text: str) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or bool(PLAIN_NUMBER.fullmatch(text))


def used_columns(match: Match) -> list[int]:
    """The sheet columns a match reads, in order, each once: the only ones kept of a sheet's rows."""
    fields = (*match.school.values(), *(x for s in match.stages.values() for x in s.values()))
    return sorted({c for col, _ in fields for c in ((col,) if isinstance(col, int) else col)})


#: Rows read from a sheet at a time: what a 200,000-row roster holds of the columns it does not map.
CHUNK_ROWS = 2048


@dataclass
class Body:
    """The rows under a roster's header, in the columns the layout maps only (a 300-column export of 200,000
    schools is never held whole), and which rows are notes: one cell of text (注：…, 填表人：…)."""

    cells: np.ndarray  # rows × mapped columns; blanks as ""
    local: dict[int, int]  # sheet column → column of ``cells``
    is_note: np.ndarray

    def __len__(self) -> int:
        return len(self.cells)

    def block(self, rows: np.ndarray, columns: tuple[int, ...] | list[int]) -> np.ndarray:
        return self.cells[np.ix_(rows, [self.local[c] for c in columns])]


def read_body(rows: Iterable[list[object]], used: list[int]) -> Body:
    """The rows under the header, a chunk at a time, keeping the mapped columns and the note marks; reading
    stops at the first note (the notes under the table end it). A streamed sheet gives a whole number as an int
    where calamine's grid has a float: every reader of raw cells (``cell_text``, ``float``, the id check) reads
    both alike, so they are kept as they come."""
    kept, notes = [], []
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        cells = _cells(chunk)
        if used and cells.shape[1] <= used[-1]:
            cells = np.hstack([cells, np.full((len(cells), used[-1] + 1 - cells.shape[1]), "", dtype=object)])
        filled = cells != ""
        note = np.zeros(len(cells), dtype=bool)
        for r in np.flatnonzero(filled.sum(axis=1) == 1):
            note[r] = NOTE_START.match(cell_text(cells[r, np.argmax(filled[r])])) is not None
        kept.append(cells[:, used])
        notes.append(note)
        if note.any():
            break
    cells = np.concatenate(kept) if kept else np.empty((0, len(used)), dtype=object)
    is_note = np.concatenate(notes) if notes else np.zeros(0, dtype=bool)
    return Body(cells, {c: i for i, c in enumerate(used)}, is_note)


def select_rows(body: Body, match: Match, where: dict, first_data: int, issues: list[Issue]) -> np.ndarray:
    """The school rows: rows with any matched cell, above the notes; 合计/总计 rows (a total label in the
    name, county or township column and no id) are flagged with a warning and set aside, wherever they are."""
    notes = np.flatnonzero(body.is_note)
    stop = notes[0] if len(notes) else len(body)
    rows = np.flatnonzero((body.cells != "").any(axis=1))
    rows = rows[rows < stop]
    ids = body.cells[:, body.local[match.school["school_id"][0]]]
    labels = [
        body.cells[:, body.local[j]]
        for c in ("school_name", "county_code", "township")
        if c in match.school and isinstance(j := match.school[c][0], int)
    ]
    total_label = {
        r: next((t for cells in labels if TOTAL_LABEL.search(t := cell_text(cells[r]))), None)
        for r in rows
        if ids[r] == ""
    }
    totals = np.array([total_label.get(r) is not None for r in rows], dtype=bool)
    for r in rows[totals]:
        issues.append(
            Issue(
                "warning",
                message=f"合计行「{total_label[r]}」已标记、未计入 / total row set aside",
                row=int(r + first_data + 1),
                **where,
            )
        )
    return rows[~totals]


def header_rows() -> int:
    """How many rows from the top hold the header, wherever it starts: all :func:`find_header` looks at."""
    return HEADER_SEARCH_ROWS + load_roster_layout().max_header_rows + 1


def read_sheet(
    grid: Iterable[list[object]],
    *,
    file: str,
    sheet: str,
    year: int,
    file_county: str | None,
    issues: list[Issue],
) -> RosterSheet | None:
    """Find the header block, match the header paths and select the school rows; None if unusable.

    ``grid``: the sheet's rows, a grid or a stream; only the rows of the header are held whole, the rows under
    it keep the matched columns only (see :func:`read_body`)."""
    rows = iter(grid)
    cells = _cells(list(islice(rows, header_rows())))
    where = {"file": file, "sheet": sheet}
    block = find_header(cells, load_roster_layout())
    if block is None:
        return None
    if wrong_year := stated_year_issue(cells[: block.start], year, where):
        issues.append(wrong_year)
        return None
    match = match_columns(block, year, (sheet, Path(file).stem), where)
    issues += match.missing
    if match.missing:
        return None
    if not match.school.get("county_code") and file_county is None:
        issues.append(
            Issue(
                "error",
                message="无法确定县(区)：没有统计用区划代码或统计三级列，文件名中也没有县名 / county unknown",
                fix="导出时包含「统计用区划代码」列，或在文件名中写上县名，如 双江县_2024_过录表.xlsx",
                **where,
            )
        )
        return None
    body = read_body(chain(list(cells[block.first_data :]), rows), used_columns(match))
    if not len(body):
        issues.append(empty_table(file, sheet))
        return None
    rows = select_rows(body, match, where, block.first_data, issues)
    return _sheet_of(body, rows, block, match, file=file, sheet=sheet, year=year, file_county=file_county)


def _sheet_of(body: Body, rows: np.ndarray, block: HeaderBlock, match: Match, **ident: object) -> RosterSheet:
    """The selected rows' cells under canonical names: the school columns, and each stage's columns for the
    rows that reported anything in that stage."""
    excel = (rows + block.first_data + 1).astype("int64")
    school = Cells({name: take(body, j, rows) for name, (j, _) in match.school.items()}, excel)
    headers = {name: block.written(j) for name, (j, _) in match.school.items()}
    units = {name: f.unit for name, (_, f) in match.school.items()}
    stages = {}
    for stage, cols in match.stages.items():
        flat = [c for j, _ in cols.values() for c in ((j,) if isinstance(j, int) else j)]
        present = (body.block(rows, flat) != "").any(axis=1) if flat else np.zeros(len(rows), dtype=bool)
        stages[stage] = Cells({name: take(body, j, rows[present]) for name, (j, _) in cols.items()}, excel[present])
        headers |= {f"{stage}:{name}": block.written(j) for name, (j, _) in cols.items()}
        units |= {f"{stage}:{name}": f.unit for name, (_, f) in cols.items()}
    return RosterSheet(variant=match.variant.name, school=school, stages=stages, headers=headers, units=units, **ident)


# --- typing -------------------------------------------------------------------------------------

Converted = tuple[str, pd.DataFrame | None, pd.DataFrame | None, list[Issue]]


def _fail(
    issues: list[Issue], rows: pd.DataFrame, column: str, header: dict, message: str, fix: str, level: str = "error"
) -> None:
    """Errors one per row (the first 10, then a count); warnings one per file, listing its rows."""
    if level == "warning":
        for (file, sheet), group in rows.groupby(["_file", "_sheet"], sort=True):
            first = group.iloc[0]
            listed = "、".join(
                f"第{r}行「{cell_text(v)}」" for r, v in zip(group["_row"][:10], group[column][:10], strict=True)
            )
            more = f" 等{len(group)}行 / {len(group)} rows" if len(group) > 10 else ""
            issues.append(
                Issue(
                    level,
                    file,
                    message.format(value=cell_text(first[column])) + f"：{listed}{more}",
                    fix,
                    sheet=sheet,
                    row=int(first["_row"]),
                    column=header.get((file, sheet), {}).get(column, column),
                )
            )
        return
    for r in rows.head(10).to_dict("records"):
        issues.append(
            Issue(
                level,
                r["_file"],
                message.format(value=cell_text(r[column])),
                fix,
                sheet=r["_sheet"],
                row=int(r["_row"]),
                column=header.get((r["_file"], r["_sheet"]), {}).get(column, column),
            )
        )
    if len(rows) > 10:
        issues.append(
            Issue(
                level, rows["_file"].iat[10], f"……另有 {len(rows) - 10} 行同样的问题 / and {len(rows) - 10} more rows"
            )
        )


def _identity(school: pd.DataFrame, headers: dict, extra: dict[str, str], issues: list[Issue]) -> pd.DataFrame:
    """school_id, school_type, is_public, urban_rural, county_code, is_counted_school from the codes."""
    out = pd.DataFrame(index=school.index)
    raw_id = school["school_id"]
    checked = {
        v: codes.school_id(
            int(v) if isinstance(v, float) and v.is_integer() else (v.strip() if isinstance(v, str) else v)
        )
        for v in set(raw_id)
        if v != ""
    }
    out["school_id"] = pd.Series(
        [checked[v].value if v != "" else None for v in raw_id], index=school.index, dtype="string"
    )
    bad = school[[v == "" or checked[v].value is None for v in raw_id]]
    if len(bad):
        _fail(
            issues,
            bad,
            "school_id",
            headers,
            "学校标识码「{value}」应为10位数字且不以0开头 / a school id is 10 digits, not starting with 0",
            "从统计系统核对学校标识码（类别2位+省份2位+顺序号6位），不要补0或截断",
        )
    fixed = school[[v != "" and checked[v].repaired for v in raw_id]]
    if len(fixed):
        _fail(
            issues,
            fixed,
            "school_id",
            headers,
            "学校标识码「{value}」存为小数或科学计数法，已还原 / id stored as a "
            "float or in scientific notation, repaired",
            "把学校标识码列设为文本格式后重新导出",
            level="warning",
        )

    for column, kind in (("school_type", "school_type"), ("urban_rural", "urban_rural"), ("is_public", "sponsor")):
        texts = _each_once(school[column], code_text)
        lookup = {t: codes.lookup(kind, t) for t in set(texts) if t}
        values = texts.map(lookup)
        unknown = school[values.isna().to_numpy()]
        if len(unknown):
            known = ", ".join(str(c) for c in codes.code_table()[kind])[:160]
            _fail(
                issues,
                unknown,
                column,
                headers,
                "未知代码「{value}」/ unknown code",
                f"应为国家统计代码之一 / one of: {known}；新代码请加入 lcedu/ingest/layouts/codes.yml",
            )
        out[column] = values.astype("boolean" if kind == "sponsor" else "string")

    sid, stype = out["school_id"], out["school_type"]
    mismatch = [
        s is not pd.NA and t is not pd.NA and not codes.id_category_agrees(s, t)
        for s, t in zip(sid, stype, strict=True)
    ]
    if any(mismatch):
        _fail(
            issues,
            school[mismatch],
            "school_id",
            headers,
            "学校标识码「{value}」的类别与办学类型不符 / the id's category does not fit the school type",
            "核对办学类型或标识码（学校改变类别时会换新标识码）",
            level="warning",
        )

    if "county_code" in school:
        area = _each_once(school["county_code"], cell_text)
        known = area.map({t: county_of_area(t, extra) for t in set(area)})
        bad = school[(area != "").to_numpy() & known.isna().to_numpy()]
        if len(bad):
            _fail(
                issues,
                bad,
                "county_code",
                headers,
                "县(区)「{value}」既不是已知县(区)的12位统计用区划代码，也不是已知县名 / unknown area code or county",
                "区划代码应为12位，前6位为县代码；统计三级写县名（如 双江县）；新县请加入 data/raw/counties.csv",
            )
    else:
        known = pd.Series(None, index=school.index, dtype=object)
    out["county_code"] = known
    if "is_counted_school" in school:
        flag = _each_once(school["is_counted_school"], code_text).map({"1": True, "0": False, "是": True, "否": False})
        bad = school[flag.isna().to_numpy() & (_each_once(school["is_counted_school"], cell_text) != "").to_numpy()]
        if len(bad):
            _fail(
                issues,
                bad,
                "is_counted_school",
                headers,
                "是否计校数应为1或0，而不是「{value}」/ must be 1 or 0",
                "1 = 计为学校；0 = 教学点等不计校数的校点",
            )
        out["is_counted_school"] = flag.astype("boolean")
    return out


def _each_once(cells: pd.Series, text: Callable[[object], str]) -> pd.Series:
    """``cells.map(text)``, calling ``text`` once per distinct cell (a roster repeats the same few codes)."""
    values = cells.to_numpy(dtype=object)
    seen = {v: text(v) for v in set(values)}
    return pd.Series([seen[v] for v in values], index=cells.index, dtype=object)


@dataclass
class RosterTables:
    converted: list[Converted]
    issues: list[Issue]
    schools: pd.DataFrame | None = None  # typed identity of every row (for the site template)
    unmapped: pd.DataFrame | None = None  # 是否计校数 = 0 rows without a parent in sites.csv
    detail: list[Converted] = field(default_factory=list)  # grade_enrollment, kindergarten_ages (no layout)


def type_rosters(sheets: list[RosterSheet], extra: dict[str, str], sites: SiteMap) -> RosterTables:
    """Type every roster sheet together: one schools/facilities frame, one enrollment/teachers frame per stage."""
    issues: list[Issue] = []
    school = cells_frame([(s.file, s.sheet, s.school) for s in sheets])
    headers = {(s.file, s.sheet): s.headers for s in sheets}
    units: dict[str, str | None] = {}
    for s in sheets:
        units |= s.units
    ident = _identity(school, headers, extra, issues)
    sizes = [len(s.school) for s in sheets]
    file_county = pd.Series(
        np.repeat(np.array([s.file_county for s in sheets], dtype=object), sizes), index=school.index
    )
    differs = ident["county_code"].notna() & file_county.notna() & (ident["county_code"] != file_county).fillna(False)
    for file, group in school[differs.to_numpy(dtype=bool)].groupby("_file"):
        issues.append(
            Issue(
                "warning",
                file,
                f"文件名中的县与各行统计用区划代码不同，按区划代码归县 / the county in the file name "
                f"differs from the rows' area codes ({len(group)} 行 rows)",
                "核对文件名或区划代码",
                row=int(group["_row"].iat[0]),
                column=headers.get((file, group["_sheet"].iat[0]), {}).get("county_code", "统计用区划代码"),
            )
        )
    ident["county_code"] = ident["county_code"].fillna(file_county).astype("string")
    ident["year"] = pd.array(np.repeat([s.year for s in sheets], sizes), dtype="Int64")
    keys = school[["_file", "_row"]].join(ident[["school_id", "year", "county_code"]])
    table_of = load_roster_layout().tables
    bad = any(i.level == "error" for i in issues)
    misses = []

    def typed(table: str, text: pd.DataFrame, cols: list[str], heads: dict, unit: dict) -> pd.DataFrame | None:
        nonlocal bad
        frame, miss = convert(text[cols + META], load_layout(table), unit, heads, issues)
        bad = bad or frame is None
        misses.append(miss.assign(table=table))
        return frame

    schools = typed(
        "schools", school, [c for c in ("school_name", "township", "village") if c in school], headers, units
    )
    facilities = typed(
        "facilities", school, [c for c, t in table_of.items() if t == "facilities" and c in school], headers, units
    )
    by_stage, details, stage_misses, stage_bad = _type_stages(sheets, units, issues)
    misses += stage_misses
    if bad or stage_bad:
        return RosterTables([], issues)

    schools = pd.concat([ident, schools], axis=1)
    for classes in by_stage["schools"]:
        schools = schools.merge(
            classes.drop(columns=["_sheet", "_is_total", "_label"]), on=["_file", "_row"], how="left"
        )
    schools, unmapped = _attach_sites(schools, sites, issues)
    if schools is None:
        return RosterTables(
            [],
            issues,
            ident.assign(school_name=school["school_name"].map(cell_text), township=school["township"].map(cell_text)),
            unmapped,
        )
    keyed = keys[["_file", "_row", "school_id", "county_code"]]

    def miss_of(table: str) -> pd.DataFrame:
        """One table's NA cells with their keys, stacked per table (a large roster has millions of them)."""
        own = pd.concat([m[m["table"] == table] for m in misses], ignore_index=True)
        return missing_rows(own.merge(keyed, on=["_file", "_row"], how="left"))

    out: list[Converted] = [
        ("schools", schools, miss_of("schools"), []),
        ("facilities", keys[["school_id", "year", "county_code"]].join(facilities), miss_of("facilities"), []),
    ]
    for table in ("enrollment", "teachers"):
        if by_stage[table]:
            frame = pd.concat(by_stage[table], ignore_index=True).merge(keys, on=["_file", "_row"], how="left")
            out.append((table, frame, miss_of(table), []))
    return RosterTables(out, issues, detail=detail_tables(details, misses, keys))


STACK = "\x1f"  # joins a sheet's name and a stage in _sheet while the stacked stage blocks are typed


def _type_stages(
    sheets: list[RosterSheet], units: dict[str, str | None], issues: list[Issue]
) -> tuple[dict[str, list[pd.DataFrame]], pd.DataFrame | None, list[pd.DataFrame], bool]:
    """Every stage block of every sheet typed together, one ``convert`` per table rather than per stage and
    table (its cost is per column: a roster has six stage blocks).

    While typed, each sheet-and-stage goes under its own ``_sheet`` (``sheet␟stage``), so that a message
    names the header of that stage's block; a column a block does not have is neither a row nor a missing
    value. Returns the enrollment / teachers frames (with ``stage``), the class counts per stage (schools),
    the detail cells (with ``stage``), the missing cells and whether any cell was wrong.
    """
    parts = [(s, stage) for stage in STAGE_ORDER for s in sheets if stage in s.stages]
    out: dict[str, list[pd.DataFrame]] = {"enrollment": [], "teachers": [], "schools": []}
    if not parts:
        return out, None, [], False
    text = cells_frame([(s.file, f"{s.sheet}{STACK}{stage}", s.stages[stage]) for s, stage in parts])
    heads = {
        (s.file, f"{s.sheet}{STACK}{stage}"): {
            n.split(":", 1)[1]: h for n, h in s.headers.items() if n.startswith(f"{stage}:")
        }
        for s, stage in parts
    }
    unit = {n.split(":", 1)[1]: u for n, u in units.items() if ":" in n}
    columns_of = pd.DataFrame(
        [(f, s, c) for (f, s), cols in heads.items() for c in cols], columns=["_file", "_sheet", "column"], dtype=object
    )
    misses: list[pd.DataFrame] = []
    bad = False

    def typed(table: str, rows: pd.DataFrame, cols: list[str], layout: Layout) -> pd.DataFrame | None:
        nonlocal bad
        first = len(issues)
        frame, miss = convert(rows[cols + META], layout, unit, heads, issues)
        issues[first:] = [replace(i, sheet=i.sheet.split(STACK)[0]) if i.sheet else i for i in issues[first:]]
        own = miss.merge(columns_of, on=["_file", "_sheet", "column"])  # cells of columns the block has
        misses.append(_unstack(own).drop(columns="stage").assign(table=table))
        bad = bad or frame is None
        return None if frame is None else _unstack(frame)

    for table in ("enrollment", "teachers"):
        cols = [c for c in text.columns if not c.startswith("_") and c in load_layout(table).columns]
        frame = typed(table, text, cols, load_layout(table)) if cols else None
        if frame is not None:
            out[table].append(frame[["stage", *[c for c in frame.columns if c != "stage"]]])
    stage_of = np.array([s.rpartition(STACK)[2] for s in text["_sheet"]], dtype=object)
    for stage in dict.fromkeys(stage_of):
        name = f"{stage}_class_count"
        if name in text:
            frame = typed("schools", text[stage_of == stage], [name], load_layout("schools"))
            if frame is not None:
                out["schools"].append(frame.drop(columns="stage"))
    detail = [c for c in text.columns if DETAIL_SEP in c]
    frame = typed("detail", text, detail, count_layout(tuple(detail))) if detail else None
    if frame is not None:
        has = {k: set(v) for k, v in heads.items()}
        frame["_has"] = [
            has[(f, f"{s}{STACK}{st}")]
            for f, s, st in zip(frame["_file"], frame["_sheet"], frame["stage"], strict=True)
        ]
    return out, frame, [m for m in misses if len(m)], bad


def _unstack(frame: pd.DataFrame) -> pd.DataFrame:
    """``sheet␟stage`` in ``_sheet`` back to the sheet's name and a ``stage`` column."""
    if frame.empty:
        return frame.assign(stage=pd.array([], dtype="string"))
    stacked = frame["_sheet"].to_numpy(dtype=object)
    parts = {s: s.rpartition(STACK) for s in set(stacked)}  # a few sheets × stages: each split once
    sheets = np.array([parts[s][0] for s in stacked], dtype=object)
    stages = pd.array([parts[s][2] for s in stacked], dtype="string")
    return frame.assign(_sheet=pd.Series(sheets, index=frame.index, dtype=object), stage=stages)


@cache
def count_layout(columns: tuple[str, ...]) -> Layout:
    """How the detail columns are typed: whole, non-negative numbers, as every other count."""
    return Layout(
        table="detail",
        level="school",
        key=("school_id",),
        files="",
        sheets=(),
        csv_suffix=None,
        name_column="school_name",
        columns={c: LayoutColumn(c, "count") for c in columns},
    )


def detail_tables(frame: pd.DataFrame | None, misses: list[pd.DataFrame], keys: pd.DataFrame) -> list[Converted]:
    """Typed detail cells (one column per grade or age; ``_has``: the columns each row's block has) → the long
    tables ``grade_enrollment`` (stage, grade) and ``kindergarten_ages`` (age), keyed like ``enrollment``;
    a blank cell is NA with its reason."""
    if frame is None:
        return []
    rows: dict[str, list[pd.DataFrame]] = {}
    blocks = frame["_has"].to_numpy(dtype=object)
    for column in (c for c in frame.columns if DETAIL_SEP in c):
        table, value = column.split(DETAIL_SEP)
        has = np.fromiter((column in h for h in blocks), dtype=bool, count=len(blocks))
        long = frame.loc[has, ["_file", "_row", "stage"]].assign(student_count=frame.loc[has, column])
        rows.setdefault(table, []).append(long.assign(**{DETAIL_KEY[table]: int(value)}))
    none = pd.DataFrame({"_file": [], "_row": pd.array([], dtype="int64"), "column": [], "table": []})
    miss = pd.concat([m for m in misses if (m["table"] == "detail").any()] or [none])
    miss = miss.merge(keys[["_file", "_row", "school_id", "county_code"]], on=["_file", "_row"], how="left")
    out: list[Converted] = []
    for table in list(rows):  # each table's parts are dropped once stacked: 900,000 age rows on a large roster
        long = typed_detail(
            table, pd.concat(rows.pop(table), ignore_index=True).merge(keys, on=["_file", "_row"], how="left")
        )
        mine = miss[miss["column"].astype("string").str.startswith(f"{table}{DETAIL_SEP}").fillna(False).to_numpy(bool)]
        out.append((table, long, missing_rows(mine.assign(table=table)), []))
    return out


# --- 教学点 sites -------------------------------------------------------------------------------


@dataclass
class SiteMap:
    path: str
    parents: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (county, name) -> (id, row)


def read_sites(path: Path, display: str, extra: dict[str, str], issues: list[Issue]) -> SiteMap:
    """``rosters/sites.csv``: county_code, site_name, parent_school_id (Chinese column names accepted)."""
    sites = SiteMap(display)
    data = read_bytes(path, display, issues)
    grid = read_csv_grid(data, display, issues) if data is not None else None
    if not grid:
        return sites
    header = [normalize(h) for h in grid[0]]
    column = {}
    for name, spellings in SITES_COLUMNS.items():
        hit = next((header.index(normalize(s)) for s in spellings if normalize(s) in header), None)
        if hit is None:
            issues.append(
                Issue(
                    "error",
                    display,
                    f"缺少列「{name}」/ column missing",
                    "sites.csv 的表头应为 county_code,site_name,parent_school_id",
                )
            )
            return sites
        column[name] = hit
    resolved: dict[str, str | None] = {}
    for i, row in enumerate(grid[1:], start=2):
        cells = {k: (row[j].strip() if j < len(row) else "") for k, j in column.items()}
        if not any(cells.values()):
            continue
        if cells["county_code"] not in resolved:
            resolved[cells["county_code"]] = counties.resolve(cells["county_code"], extra)
        county = resolved[cells["county_code"]]
        parent = codes.school_id(cells["parent_school_id"]) if cells["parent_school_id"] else None
        if county is None:
            issues.append(
                Issue(
                    "error",
                    display,
                    f"未知县(区)「{cells['county_code']}」/ unknown county",
                    "用6位县代码或县名",
                    row=i,
                    column="county_code",
                )
            )
        elif parent is None or parent.value is None:
            issues.append(
                Issue(
                    "error",
                    display,
                    f"原校点学校标识码「{cells['parent_school_id']}」无效 / invalid parent id "
                    f"for 「{cells['site_name']}」",
                    "填写原校点（所属学校）的10位学校标识码",
                    row=i,
                    column="parent_school_id",
                )
            )
        else:
            sites.parents[(county, normalize(cells["site_name"]))] = (parent.value, i)
    return sites


def _attach_sites(
    schools: pd.DataFrame, sites: SiteMap, issues: list[Issue]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """parent_school_id of every 是否计校数 = 0 site, from sites.csv; every unmapped site is listed."""
    schools["parent_school_id"] = pd.Series(pd.NA, index=schools.index, dtype="string")
    if "is_counted_school" not in schools:
        return schools, None
    site_rows = schools[schools["is_counted_school"].eq(False).fillna(False).to_numpy(dtype=bool)]
    if not len(site_rows):
        return schools, None
    parent = [
        sites.parents.get((c, normalize(n)))
        for c, n in zip(site_rows["county_code"], site_rows["school_name"], strict=True)
    ]
    unmapped = site_rows[[p is None for p in parent]]
    if len(unmapped):
        return None, unmapped
    schools.loc[site_rows.index, "parent_school_id"] = [p[0] for p in parent]
    is_counted = schools["is_counted_school"].fillna(True).to_numpy(dtype=bool)
    counted = set(zip(schools["school_id"][is_counted], schools["year"][is_counted], strict=True))
    orphan = [(p[0], y) not in counted for p, y in zip(parent, site_rows["year"], strict=True)]
    for r, p in zip(site_rows[orphan].itertuples(), [p for p, o in zip(parent, orphan, strict=True) if o], strict=True):
        issues.append(
            Issue(
                "error",
                sites.path,
                f"校点「{r.school_name}」的原校点 {p[0]} 不在 {r.year} 学年的过录表中"
                " / parent school not in the roster",
                "更正原校点学校标识码",
                row=p[1],
                column="parent_school_id",
            )
        )
    return (None if any(orphan) else schools), None


def write_site_template(folder: Path, unmapped: pd.DataFrame, schools: pd.DataFrame) -> Path:
    """A sites.csv template for the unmapped sites, as a NEW file in ``folder`` (a reports folder: raw
    data is never written). Never overwrites: a template the user is filling in survives a rerun; one
    with the same content already there is reused, so running check twice does not pile up copies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    counted = schools[
        schools["is_counted_school"].fillna(True).to_numpy(dtype=bool)
        & schools["school_type"].isin(["primary", "nine_year"]).to_numpy(dtype=bool)
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "county_code",
            "site_name",
            "parent_school_id",
            "site_school_id",
            "township",
            "years",
            "candidates_in_township",
        ]
    )
    for (county, name), group in unmapped.groupby(["county_code", "school_name"], sort=True):
        first = group.iloc[0]
        near = counted[(counted["county_code"] == county) & (counted["township"] == first["township"])]
        candidates = " | ".join(sorted({f"{r.school_id} {r.school_name}" for r in near.itertuples()}))
        writer.writerow(
            [
                county,
                name,
                "",
                first["school_id"],
                first["township"],
                " ".join(str(y) for y in sorted(group["year"].unique())),
                candidates,
            ]
        )
    content = buffer.getvalue().encode("utf-8-sig")
    path, n = folder / f"{TEMPLATE_STEM}.csv", 1
    while path.exists():
        if path.read_bytes() == content:
            return path
        path, n = folder / f"{TEMPLATE_STEM}-{n}.csv", n + 1
    with path.open("xb") as f:
        f.write(content)
    return path


# --- the local school sheet ----------------------------------------------------------------------

LOCAL_TARGETS = {
    "schools": ["is_inclusive", "opened_year", "operator", "is_independent", "independent_year"],
    "facilities": ["has_fiber_network", "is_safe_campus", "digital_classroom_count"],
}
LOCAL_TARGETS["schools"] += ["longitude", "latitude"]  # 经度/纬度: the rosters carry none (school_local.yml)


def read_local(path: Path, display: str, year: int | None, issues: list[Issue]) -> tuple[dict | None, list[Converted]]:
    """``local/<学年>/学校补充信息.xlsx`` → supplement rows for ``schools`` and ``facilities``."""
    layout = load_layout("school_local")
    if year is None:
        issues.append(
            Issue(
                "error",
                display,
                "无法确定学年 / no school year",
                "放入 data/raw/local/<学年起始年>/ 文件夹，如 local/2024/学校补充信息.xlsx",
            )
        )
        return None, []
    data = read_bytes(path, display, issues)
    if data is None:
        return None, []
    record = {"path": display.split("/", 1)[-1], "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    if path.suffix.lower() == ".csv":
        grid = read_csv_grid(data, display, issues)
        book = {layout.sheets[0]: grid} if grid is not None else None
    else:
        book = read_workbook(data, display, issues)
    if book is None:
        return record, []
    sheet = next((s for s in book if normalize(s) in {normalize(x) for x in layout.sheets}), next(iter(book)))
    own: list[Issue] = []
    raw = parse_sheet(book[sheet], layout, file=display, sheet=sheet, year=year, has_county=True, issues=own)
    typed = miss = None
    if raw is not None and not (~raw.text["_is_total"]).any():
        own.append(empty_table(display, sheet))
    if raw is not None:
        typed, miss = convert(raw.text, layout, raw.units, {(display, sheet): raw.headers}, own)
    issues.extend(own)
    if typed is None:
        return record, []
    typed = typed[~typed["_is_total"]].reset_index(drop=True)
    typed["year"] = pd.array([year] * len(typed), dtype="Int64")
    typed["_supplement"] = True
    miss = miss.merge(typed[["_file", "_row", "school_id"]], on=["_file", "_row"], how="left")
    out: list[Converted] = []
    for table, columns in LOCAL_TARGETS.items():
        present = [c for c in columns if c in typed]
        if present:
            frame = typed[["school_id", "year", *present, *META, "_supplement"]]
            out.append((table, frame, miss[miss["column"].isin(present)].assign(table=table), []))
    return record, out


# --- no silent double-reading -------------------------------------------------------------------

#: What Windows, WPS, macOS and browsers call a copy: "X - 副本", "X - 副本 (2)", "X副本2", "X (1)",
#: "X - Copy", "X copy 2", "Copy of X", "复件 X".
COPY_SUFFIX = re.compile(r"(?:\s*-\s*|\s*)(?:副本|copy)(?:\s*[(（]?\d+[)）]?)?$|\s*[(（]\d+[)）]$", re.IGNORECASE)
COPY_PREFIX = re.compile(r"^(?:copy of|复件)\s*", re.IGNORECASE)
DOUBLE_RULE = (
    "规则 / rule: 每县每学年读一份过录表，或几份按学段分开、"
    "学段互不重复的过录表（文件名或工作表名含 小学/初中/高中/中学）"
    "；重复的两份从不合并 / one roster per county and year, or per-学段 parts that do not overlap; "
    "two that overlap are never merged"
)


def copy_original(stem: str) -> str | None:
    """The name a copy was made from ("双江过录表 - 副本" → "双江过录表"), or None if it does not look like a copy."""
    original = COPY_PREFIX.sub("", COPY_SUFFIX.sub("", stem.strip())).strip()
    return original if original and original != stem.strip() else None


def likely_copy_note(first: str, second: str) -> str:
    """A sentence naming the file that looks like a copy of the other, or ''."""
    for a, b in ((second, first), (first, second)):
        if copy_original(Path(a).stem):
            return f"「{Path(a).name}」看来是「{Path(b).name}」的副本 / looks like a copy（文件名含 副本/(1)/copy）。"
    return ""


def sheet_counties(sheet: RosterSheet, extra: dict[str, str]) -> set[str]:
    """The counties a roster sheet's rows are in (by 区划代码 or 统计三级 name), else the file name's county."""
    cells = sheet.school.columns.get("county_code")
    found = {county_of_area(t, extra) for t in {cell_text(v) for v in cells}} if cells is not None else set()
    found.discard(None)
    return found or ({sheet.file_county} if sheet.file_county else set())


def county_of_area(text: str, extra: dict[str, str]) -> str | None:
    """A county cell: a 12-digit 统计用区划代码, a 6-digit code or a county name (统计三级: 双江县 …)."""
    if not text:
        return None
    return counties.resolve(codes.county_from_area_code(text) or text, extra)


def overlapping_rosters(sheets: list[RosterSheet], extra: dict[str, str]) -> tuple[list[RosterSheet], list[Issue]]:
    """Drop (and name, as an error) every roster sheet that gives a 学段 of a county and year another already gives.

    A copy, a re-export or a per-学段 file repeating a combined one is never merged silently; per-学段 parts
    (小学过录表 + 初中过录表) do not overlap and are merged later, their shared figures required to agree.
    Files whose names look like copies are the ones set aside.
    """
    claimed: dict[tuple[int, str, str], RosterSheet] = {}
    issues: list[Issue] = []
    kept: list[RosterSheet] = []
    for sheet in sorted(sheets, key=lambda s: (copy_original(Path(s.file).stem) is not None, s.file, s.sheet)):
        stages = set(sheet.stages) or set(STAGE_ORDER)
        slots = [(sheet.year, c, st) for c in sorted(sheet_counties(sheet, extra)) for st in sorted(stages)]
        clash = next((claimed[k] for k in slots if k in claimed), None)
        if clash is None:
            claimed |= dict.fromkeys(slots, sheet)
            kept.append(sheet)
            continue
        both = sorted({st for y, c, st in slots if claimed.get((y, c, st)) is clash}, key=STAGE_ORDER.index)
        county = next(c for y, c, st in slots if claimed.get((y, c, st)) is clash)
        where = "" if clash.file != sheet.file else f"的两张工作表「{clash.sheet}」「{sheet.sheet}」"
        issues.append(
            Issue(
                "error",
                sheet.file,
                f"与 {clash.file}{where} 重复：都给出县(区) {county} {sheet.year} 学年的"
                f"{'、'.join(STAGE_ZH[st] for st in both)}，"
                f"未读取本文件 / a second roster for the same county, year and 学段 (not read). "
                f"{likely_copy_note(clash.file, sheet.file)}{DOUBLE_RULE}",
                "删除或移走多余的一份（副本或重复导出）；若是按学段分开的导出，文件名或工作表名写明学段 / "
                "remove the extra file, or name each per-学段 file by its 学段",
                sheet=sheet.sheet,
            )
        )
    order = {id(s): i for i, s in enumerate(sheets)}
    return sorted(kept, key=lambda s: order[id(s)]), issues


# --- entry point for clean.collect ----------------------------------------------------------------


def claims(rel: Path) -> str | None:
    """What this module reads under the raw folder (paths from the layouts): 'roster', 'sites',
    'template', 'local' or None."""
    layout = load_roster_layout()
    sites = Path(layout.sites_file)
    if rel == sites:
        return "sites"
    if rel.parent == sites.parent and rel.name.startswith(TEMPLATE_STEM):
        return "template"
    table_file = rel.suffix.lower() in TABLE_SUFFIXES
    if table_file and rel.match(layout.files):
        return "roster"
    if table_file and rel.match(load_layout("school_local").files):
        return "local"
    return None


@dataclass
class RosterInputs:
    inputs: list[dict]
    converted: list[Converted]
    issues: list[Issue]
    headers: dict[tuple[str, str, str | None, str], str] = field(default_factory=dict)
    detail: list[Converted] = field(default_factory=list)  # grade_enrollment, kindergarten_ages: see detail_tables


def template_dir(reports: Path | None = None) -> Path:
    """Where check/clean write the sites.csv template: ``<reports>/check/`` (never the raw folder)."""
    return paths.reports_dir(reports) / "check"


def read_inputs(  # noqa: C901 (named in docs/architecture.md)
    raw_dir: Path,
    files: list[Path],
    extra: dict[str, str],
    county_of: Callable[[Path], str | None],
    reports: Path | None = None,
) -> RosterInputs:
    """Read every roster, sites.csv and local sheet among ``files`` (all claimed by :func:`claims`).

    Reads only: the one file it may write, the template for unmapped sites, goes to
    :func:`template_dir` (``reports``: the reports folder, default :func:`lcedu.paths.reports_dir`).
    """
    issues: list[Issue] = []
    inputs: list[dict] = []
    sheets: list[RosterSheet] = []
    converted: list[Converted] = []
    sites = SiteMap(str(Path(raw_dir.name) / "rosters" / "sites.csv"))
    kinds = {p: claims(p.relative_to(raw_dir)) for p in files}
    jobs: list[tuple[Path, str, int, str | None]] = []
    local_seen: dict[int | None, str] = {}
    for path in sorted(files, key=lambda p: (copy_original(p.stem) is not None, p)):
        rel = path.relative_to(raw_dir)
        display = str(path.relative_to(raw_dir.parent))
        kind = kinds[path]
        year = int(rel.parts[1]) if len(rel.parts) == 3 and re.fullmatch(r"20\d{2}", rel.parts[1]) else None
        if is_lock_file(path):
            issues.append(
                Issue(
                    "warning",
                    display,
                    "跳过 Excel 锁文件 / skipped an Excel lock file",
                    "该工作簿正在 Excel 中打开；关闭后锁文件会消失",
                )
            )
        elif kind == "template":
            issues.append(
                Issue(
                    "warning",
                    display,
                    "校点模板未读取 / site template not read",
                    "填好原校点后把这些行并入 rosters/sites.csv，再删除模板",
                )
            )
        elif kind == "sites":
            sites = read_sites(path, display, extra, issues)
            inputs.append(_record(path, rel))
        elif kind == "local" and year in local_seen:
            issues.append(
                Issue(
                    "error",
                    display,
                    f"与 {local_seen[year]} 重复：{year} 学年已有学校补充信息表，未读取本文件 / a second local "
                    f"school sheet for the year (not read). {likely_copy_note(local_seen[year], display)}"
                    "规则 / rule: 每学年一份学校补充信息表，两份从不合并 / one per year; two are never merged",
                    "删除或移走多余的一份 / remove the extra file",
                )
            )
        elif kind == "local":
            local_seen.setdefault(year, display)
            record, parts = read_local(path, display, year, issues)
            if record:
                inputs.append(record)
            converted += parts
        elif kind == "roster":
            if year is None:
                issues.append(
                    Issue(
                        "error",
                        display,
                        "过录表应放在以学年命名的文件夹中 / roster not in a year folder",
                        "放入 data/raw/rosters/<学年起始年>/，如 rosters/2024/",
                    )
                )
                continue
            jobs.append((path, display, year, county_of(path)))
    # Serial on purpose: a worker pool was measured no faster on 129 rosters (the typed-later frames
    # cost as much to send back as to read; see benchmarks/bench_roster.py).
    for record, found, file_issues in map(read_roster_file, jobs):
        if record:
            inputs.append(record)
        sheets += found
        issues += file_issues
    sheets, doubles = overlapping_rosters(sheets, extra)
    issues += doubles
    local_years = {
        int(p.relative_to(raw_dir).parts[1])
        for p in files
        if kinds[p] == "local" and p.relative_to(raw_dir).parts[1].isdigit()
    }
    for year in sorted({s.year for s in sheets} - local_years):
        issues.append(
            Issue(
                "warning",
                f"{raw_dir.name}/local/{year}",
                f"{year} 学年没有学校补充信息表：普惠性、全光纤、平安校园、"
                "数字教室为空(NA) / no local school sheet: those columns are NA",
                f"放入 local/{year}/学校补充信息.xlsx（见 data/raw/README.md）",
            )
        )
    detail: list[Converted] = []
    if sheets:
        typed = type_rosters(sheets, extra, sites)
        issues += typed.issues
        converted += typed.converted
        detail = typed.detail
        if typed.unmapped is not None:
            template = write_site_template(template_dir(reports), typed.unmapped, typed.schools)
            distinct = typed.unmapped.drop_duplicates(["county_code", "school_name"])
            listed = "；".join(
                f"{r['school_name']}（{r['county_code']}，{r['_file']} 第{r['_row']}行）"
                for r in distinct.to_dict("records")
            )
            issues.append(
                Issue(
                    "error",
                    sites.path,
                    f"{len(distinct)} 个是否计校数=0 的校点在 sites.csv 中没有原校点 / "
                    f"{len(distinct)} sites without a parent school: {listed}",
                    f"已在报告文件夹写出模板 {template}（每个校点一行，附同乡镇的候选原校点；原始数据未改动）：填写 "
                    f"parent_school_id 后把这些行并入 {sites.path} 再运行 lcedu check / a template is written to "
                    f"{template} (raw data untouched): fill in parent_school_id, copy those rows into {sites.path}, "
                    "run lcedu check again",
                )
            )
    headers = {}
    for sheet in sheets:
        for name, written in sheet.headers.items():
            stage, _, column = name.rpartition(":")
            headers[(sheet.file, sheet.sheet, stage or None, column)] = written
    return RosterInputs(inputs=inputs, converted=converted, issues=issues, headers=headers, detail=detail)


def read_roster_file(job: tuple[Path, str, int, str | None]) -> tuple[dict | None, list[RosterSheet], list[Issue]]:
    """One roster file → its input record, its roster sheets and its issues.

    An xlsx is streamed (:class:`readers.StreamedBook`): only each sheet's header rows and mapped columns are
    held, so a 200,000-row roster is cleaned in well under 1.5 GB."""
    path, display, year, file_county = job
    issues: list[Issue] = []
    data = read_bytes(path, display, issues)
    if data is None:
        return None, [], issues
    record = {"path": display.split("/", 1)[1], "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    book = roster_book(path, data, display, issues)
    if book is None:
        return record, [], issues
    opened = list(issues)
    try:
        found = [sheet for name, rows in book.items() if (sheet := _roster_sheet(rows(), name, job, issues))]
    except STREAM_ERRORS as exc:  # a sheet's XML damaged: the file is unreadable, as when read whole
        return record, [], [*opened, unreadable(data, display, exc)]
    if not found and not any(i.level == "error" for i in issues):
        issues.append(
            Issue(
                "error",
                display,
                "文件中没有过录表：找不到「学校标识码」表头 / no roster header found",
                "确认导出的是过录表（每校一行，含学校标识码列）",
            )
        )
    return record, found, issues


def roster_book(
    path: Path, data: bytes, display: str, issues: list[Issue]
) -> dict[str, Callable[[], Iterator[list[object]]]] | None:
    """A roster's sheets by name, each as a way to read its rows: streamed from an xlsx (a zip), else from the
    whole grid (.xls, .ods, CSV, or an .xlsx that is really something else, for the same message as before)."""
    if path.suffix.lower() == ".csv":
        grid = read_csv_grid(data, display, issues)
        return {"过录表": lambda: iter(grid)} if grid is not None else None
    if path.suffix.lower() in STREAMED_SUFFIXES and data.startswith(b"PK"):
        streamed = stream_workbook(data, display, issues)
        if streamed is None:
            return None
        return {name: partial(streamed.rows, name) for name in streamed.sheet_names}
    grids = read_workbook(data, display, issues)
    return None if grids is None else {name: partial(iter, grid) for name, grid in grids.items()}


def _roster_sheet(
    rows: Iterator[list[object]], name: str, job: tuple[Path, str, int, str | None], issues: list[Issue]
) -> RosterSheet | None:
    """One sheet of a roster file, read if it is a roster; a sheet with text but no roster header is named."""
    _, display, year, file_county = job
    top = list(islice(rows, header_rows()))
    sheet = read_sheet(chain(top, rows), file=display, sheet=name, year=year, file_county=file_county, issues=issues)
    if sheet is not None and not len(sheet.school):
        issues.append(empty_table(display, name))
    has_text = sheet is None and any(cell_text(v) for row in chain(top, rows) for v in row)
    if has_text and not any(i.level == "error" for i in issues):
        issues.append(
            Issue(
                "warning",
                display,
                f"工作表「{name}」不是过录表（没有学校标识码表头），未读取 / sheet not read",
                sheet=name,
            )
        )
    return sheet


def _record(path: Path, rel: Path) -> dict:
    data = path.read_bytes()
    return {"path": str(rel), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
