"""Spreadsheet layouts, declared in ``lcedu/ingest/layouts/*.yml``.

A layout says where a table lives (files, sheet names), how many header rows each year's
variant has, and which header text each canonical column was written under. Adding a year
whose export changed its wording means adding a variant to the YAML, not code.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lcedu import paths
from lcedu.errors import RequestError

TABLES = (
    "schools",
    "enrollment",
    "teachers",
    "facilities",
    "population",
    "disability",
    "ledger",
    "city",
    "assessment_checklist",
    "births",
    "census_population",
)
UNIT_FACTORS = {"元": 1.0, "万元": 10_000.0, "平方米": 1.0, "人": 1.0}


def normalize(text: object) -> str:
    """Header/code text as compared: NFKC (full-width → half-width), no spaces, '(' for '（'."""
    s = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", s).replace("其中:", "其中").lower()


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # school_id | text | code | count | amount | pct | degrees | county | year
    required: bool = False
    codes: str | None = None
    unit: str | None = None
    keep: bool = True
    nullable: bool = False  # required as a header, yet NA where a source cannot give it (its reason recorded)


@dataclass(frozen=True)
class Variant:
    name: str
    years: tuple[int, ...]
    header_rows: int
    skip_after_header: int
    # normalized header text -> (canonical column, unit written in that header)
    spellings: dict[str, tuple[str, str | None]]
    # the same, keyed by the header exactly as the YAML writes it (used to write samples)
    raw_spellings: dict[str, tuple[str, str | None]]


@dataclass(frozen=True)
class Layout:
    table: str
    level: str
    key: tuple[str, ...]
    files: str
    sheets: tuple[str, ...]
    csv_suffix: str | None
    name_column: str
    columns: dict[str, Column]
    variants: tuple[Variant, ...] = field(default_factory=tuple)

    def variants_for(self, year: int | None) -> list[Variant]:
        """Variants declared for the year first, then the rest (a new year may reuse old wording)."""
        first = [v for v in self.variants if year in v.years]
        return first + [v for v in self.variants if v not in first]

    def all_spellings(self) -> dict[str, str]:
        """Every known header spelling (as written) → canonical column, over all variants."""
        out: dict[str, str] = {}
        for v in self.variants:
            for text, (col, _unit) in v.spellings.items():
                out.setdefault(text, col)
        return out

    def closest_spelling(self, header: str) -> str | None:
        known = self.all_spellings()
        match = difflib.get_close_matches(normalize(header), list(known), n=1, cutoff=0.0)
        return match[0] if match else None

    def anchor_spellings(self) -> set[str]:
        """Spellings of the first key column: the cell that tells where the header starts."""
        return {t for v in self.variants for t, (c, _) in v.spellings.items() if c == self.key[0]}


def _variant(name: str, spec: dict, columns: dict[str, Column]) -> Variant:
    spellings: dict[str, tuple[str, str | None]] = {}
    raw: dict[str, tuple[str, str | None]] = {}
    for col, entry in spec["headers"].items():
        if col not in columns:
            raise ValueError(f"layout variant {name}: header for unknown column {col!r}")
        entries = entry if isinstance(entry, list) else [entry]
        for e in entries:
            header, unit = (e["header"], e.get("unit")) if isinstance(e, dict) else (e, None)
            spellings[normalize(header)] = raw[header] = (col, unit or columns[col].unit)
    return Variant(
        name=name,
        years=tuple(spec["years"]),
        header_rows=int(spec["header_rows"]),
        skip_after_header=int(spec.get("skip_after_header", 0)),
        spellings=spellings,
        raw_spellings=raw,
    )


def layout_path(name: str) -> Path:
    """A layout file: from $LCEDU_LAYOUTS when it has one (local wording), else the package's."""
    local = os.environ.get("LCEDU_LAYOUTS")
    if local and (Path(local) / name).exists():
        return Path(local) / name
    return paths.package_file("ingest", "layouts", name)


#: libyaml's safe loader where PyYAML was built with it (parses the layouts ~5x faster), else the pure-Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_spec(path: Path) -> Any:
    """A layout YAML parsed; a syntax error is a message naming the file, line and column (exit 2)."""
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            f" 第{mark.line + 1}行第{mark.column + 1}列 / line {mark.line + 1}, column {mark.column + 1}"
            if mark is not None
            else ""
        )
        raise RequestError(
            f"版式文件 {path}{where} 不是有效的 YAML / not valid YAML: {getattr(exc, 'problem', None) or exc}",
            "修正该行（常见：缩进不齐、冒号后缺空格、引号未闭合）；或删掉本地副本改用内置版式",
        ) from exc


def layout_spec(name: str) -> Any:
    return read_spec(layout_path(name))


def load_layout(table: str) -> Layout:
    return _load_layout(table, os.environ.get("LCEDU_LAYOUTS"))


@cache
def _load_layout(table: str, _local: str | None) -> Layout:
    spec = layout_spec(f"{table}.yml")
    columns = {n: Column(name=n, **c) for n, c in spec["columns"].items()}
    return Layout(
        table=spec["table"],
        level=spec["level"],
        key=tuple(spec["key"]),
        files=spec["files"],
        sheets=tuple(spec["sheets"]),
        csv_suffix=spec.get("csv_suffix"),
        name_column=spec["name_column"],
        columns=columns,
        variants=tuple(_variant(n, v, columns) for n, v in spec["variants"].items()),
    )


def code_lists() -> dict[str, dict[str, object]]:
    return _code_lists(os.environ.get("LCEDU_LAYOUTS"))


@cache
def _code_lists(_local: str | None) -> dict[str, dict[str, object]]:
    lists = {name: {normalize(k): v for k, v in m.items()} for name, m in layout_spec("values.yml").items()}
    # The checklist's item codes are its items (assessment_checklist.yml), not a second list to keep in step.
    lists.setdefault("assessment_item", {normalize(i["item"]): i["item"] for i in assessment_items()})
    return lists


def assessment_items() -> list[dict[str, str]]:
    """The 督导评估清单's items, in order: item (编号), assessment, dimension, names, confidence, and the words
    the sheet writes for the assessment and the dimension (``assessment_zh``, ``dimension_zh``).

    Data of the input (``assessment_checklist.yml``), so the reader, the indicator registry (which places each
    item among its assessment's criteria) and the sample's writer share one list.
    """
    return [dict(i) for i in _assessment_items(os.environ.get("LCEDU_LAYOUTS"))]


@cache
def _assessment_items(_local: str | None) -> tuple[dict[str, str], ...]:
    spec = layout_spec("assessment_checklist.yml").get("assessments") or {}
    return tuple(
        {
            **item,
            "assessment": name,
            "assessment_zh": a["name_zh"],
            "dimension_zh": a["dimensions"][item["dimension"]],
        }
        for name, a in spec.items()
        for item in a["items"]
    )


def layouts() -> list[Layout]:
    return [load_layout(t) for t in TABLES]
