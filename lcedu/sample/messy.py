"""Write truth tables as the messy files the statistics system and other offices export.

Each file draws its own mess (title and unit rows, merged multi-row headers, 合计/小计 rows,
notes under the table, reordered columns, numbers as text, full-width digits, thousands
separators, '—' and '/', ids typed as numbers, 万元 or 元, county name variants, GB18030 CSV),
so that the cleaner meets every case somewhere in the sample. The school tables are written as
过录表 rosters by ``lcedu.sample.rosters``; the four-sheet county workbook here is the older
accepted input (``school_format="county"``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu.home import HOME
from lcedu.ingest.layout import Layout, Variant, assessment_items, load_layout
from lcedu.sample.grid import SYNTHETIC_NOTE, Grid, write_csv, write_xlsx
from lcedu.sample.rosters import write_rosters
from lcedu.sample.truth import County

SIGN_OFF = "填表人：王某某　　审核人：李某某　　填报日期：{year}年9月30日"
SHEET_TITLES = {
    "schools": "学校基本情况",
    "enrollment": "学生情况",
    "teachers": "教职工情况",
    "facilities": "办学条件",
    "population": "常住人口分年龄段",
    "disability": "适龄残疾儿童少年",
    "ledger": "三年行动计划任务台账",
    "city": "市级职业教育与高等教育",
    "assessment_checklist": "义务教育优质均衡和学前教育普及普惠督导评估清单",
}
SPELLINGS = {
    "school_type": {
        "kindergarten": ["幼儿园"],
        "primary": ["小学", "完全小学"],
        "teaching_point": ["教学点", "小学教学点"],
        "junior": ["初级中学", "初中"],
        "nine_year": ["九年一贯制学校"],
        "complete_secondary": ["完全中学"],
        "senior": ["高级中学"],
        "twelve_year": ["十二年一贯制学校"],
        "vocational": ["中等职业学校", "中职学校"],
        "special": ["特殊教育学校", "特教学校"],
    },
    "stage": {
        "kindergarten": ["学前", "幼儿园"],
        "primary": ["小学"],
        "junior": ["初中"],
        "senior": ["高中", "普通高中"],
        "vocational": ["中职", "中等职业教育"],
        "special": ["特教", "特殊教育"],
    },
    "ownership": {True: ["公办", "教育部门办"], False: ["民办"]},
    "urban_rural": {"urban": ["城区", "主城区"], "town": ["镇区", "镇中心区"], "rural": ["乡村", "村庄"]},
    "yes_no": {True: ["是", "有"], False: ["否", "无"]},
    "checklist_result": {True: ["达标", "达标"], False: ["未达标", "未达标"]},
}
FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
NA_WRITTEN = ["", "—", "/"]


@dataclass
class Mess:
    """The choices one file makes."""

    total_at: str  # "top" | "bottom" | "none"
    subtotals: bool
    reorder: bool
    id_as_number: bool
    text_share: float
    fullwidth_share: float
    thousands_share: float
    spelling_pick: int


def draw_mess(rng: np.random.Generator) -> Mess:
    return Mess(
        total_at=str(rng.choice(["top", "bottom", "none"], p=[0.35, 0.45, 0.2])),
        subtotals=bool(rng.random() < 0.3),
        reorder=bool(rng.random() < 0.4),
        id_as_number=bool(rng.random() < 0.5),
        text_share=float(rng.choice([0.0, 0.15, 0.5])),
        fullwidth_share=float(rng.choice([0.0, 0.0, 0.05])),
        thousands_share=float(rng.choice([0.0, 0.3, 0.8])),
        spelling_pick=int(rng.integers(0, 2)),
    )


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, "messy", *parts))).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def variant_for(layout: Layout, year: int) -> Variant:
    return next((v for v in layout.variants if year in v.years), layout.variants[-1])


def _header_text(variant: Variant, column: str, pick: int) -> str:
    """The header as written: the variant's spelling (the YAML keeps the original text)."""
    written = [text for text, (col, _unit) in variant.raw_spellings.items() if col == column]
    return written[pick % len(written)]


def _format_number(value: float, rng: np.random.Generator, mess: Mess, decimals: int) -> object:
    value = int(value) if decimals == 0 else round(float(value), decimals)
    r = rng.random()
    if abs(value) >= 1000 and r < mess.thousands_share:
        text = f"{value:,}" if decimals == 0 else f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
        return text.translate(FULLWIDTH) if rng.random() < mess.fullwidth_share * 4 else text
    if r < mess.thousands_share + mess.fullwidth_share:
        return str(value).translate(FULLWIDTH)
    if rng.random() < mess.text_share:
        return str(value)
    return value


def _cell(
    value: object,
    column: str,
    layout: Layout,
    unit: str | None,
    rng: np.random.Generator,
    mess: Mess,
    county_names: dict[str, list[str]],
) -> object:
    col = layout.columns[column]
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return NA_WRITTEN[int(rng.integers(0, 3))] if col.type != "text" else ""
    if col.type == "school_id":
        return int(value) if mess.id_as_number else str(value)
    if col.type == "code":
        spellings = SPELLINGS.get(col.codes, {}).get(value, [str(value)])  # item codes are written as they are
        return spellings[(mess.spelling_pick + int(rng.random() < 0.1)) % len(spellings)]
    if col.type == "county":
        names = county_names[value]
        return names[int(rng.integers(0, len(names)))]
    if col.type == "count" or col.type == "year":
        return _format_number(value, rng, mess, 0)
    if col.type == "amount":
        if unit == "万元":
            return _format_number(float(value) / 10_000, rng, mess, 2)
        return _format_number(value, rng, mess, 0 if float(value).is_integer() else 2)
    if col.type == "pct":
        return _format_number(value, rng, mess, 1)
    return str(value)


def sheet_grid(  # noqa: C901 (named in docs/architecture.md)
    frame: pd.DataFrame,
    layout: Layout,
    year: int,
    title: str,
    rng: np.random.Generator,
    mess: Mess,
    county_names: dict[str, list[str]],
) -> Grid:
    """The cells of one exported sheet, with title, unit row, headers, totals and notes."""
    variant = variant_for(layout, year)
    columns = [c for c in layout.columns if any(col == c for col, _ in variant.spellings.values())]
    headers = {c: _header_text(variant, c, mess.spelling_pick) for c in columns}
    units = {c: next(u for col, u in variant.spellings.values() if col == c) for c in columns}
    columns = _ordered(columns, headers, layout, mess, rng)
    width = len(columns)
    h = variant.header_rows
    rows: list[list[object]] = [[title] + [""] * (width - 1)]
    merges = [(0, 0, 0, width - 1, title)] if width > 1 else []
    unit_words = ["人"] + (["平方米"] if any(c.endswith("_m2") for c in columns) else [])
    if any(layout.columns[c].type == "amount" and not c.endswith("_m2") for c in columns):
        unit_words.append("万元" if "万元" in units.values() else "元")
    if layout.table != "assessment_checklist":  # the checklist has a 单位 column of its own
        rows.append(["单位：" + "、".join(unit_words)] + [""] * (width - 1))
    top = len(rows)
    header_rows = [[""] * width for _ in range(h)]
    parts = [headers[c].split("/") for c in columns]
    for j, p in enumerate(parts):
        for k, text in enumerate(p):
            header_rows[k][j] = text
        if len(p) < h:
            merges.append((top + len(p) - 1, j, top + h - 1, j, p[-1]))
    for k in range(h - 1):  # merge runs of columns under the same group
        j = 0
        while j < width:
            end = j
            while (
                end + 1 < width
                and len(parts[j]) > k + 1
                and len(parts[end + 1]) > k + 1
                and parts[end + 1][: k + 1] == parts[j][: k + 1]
            ):
                end += 1
            if end > j:
                for m in range(j + 1, end + 1):
                    header_rows[k][m] = ""
                merges.append((top + k, j, top + k, end, parts[j][k]))
            j = end + 1
    rows += header_rows
    if variant.skip_after_header:
        rows.append([("甲", "乙", "丙")[j] if j < 3 else j - 2 for j in range(width)])

    body = frame.sort_values("township") if mess.subtotals and "township" in frame else frame
    numeric = [c for c in columns if layout.columns[c].type in ("count", "amount")]
    label_col = layout.name_column if layout.name_column in columns else columns[0]

    def total_row(sub: pd.DataFrame, label: str) -> list[object]:
        out: list[object] = []
        for c in columns:
            if c == label_col:
                out.append(label)
            elif c in numeric and sub[c].notna().any():
                out.append(_cell(sub[c].sum(), c, layout, units[c], rng, mess, county_names))
            else:
                out.append("")
        return out

    data_rows: list[list[object]] = []
    if mess.subtotals and "township" in body:
        for township, group in body.groupby("township", sort=False):
            data_rows += [_record(r, columns, layout, units, rng, mess, county_names) for r in group.to_dict("records")]
            data_rows.append(total_row(group, f"{township}小计"))
    else:
        data_rows = [_record(r, columns, layout, units, rng, mess, county_names) for r in body.to_dict("records")]
    grand = total_row(frame, "合计")
    if mess.total_at == "top":
        rows.append(grand)
    rows += data_rows
    if mess.total_at == "bottom":
        rows.append(grand)
    rows.append([""] * width)
    for note in (SYNTHETIC_NOTE, SIGN_OFF.format(year=year)):
        rows.append([note] + [""] * (width - 1))
        merges.append((len(rows) - 1, 0, len(rows) - 1, width - 1, note))
    return Grid(rows=rows, merges=merges)


def _record(
    record: dict,
    columns: list[str],
    layout: Layout,
    units: dict,
    rng: np.random.Generator,
    mess: Mess,
    county_names: dict[str, list[str]],
) -> list[object]:
    return [_cell(record.get(c), c, layout, units[c], rng, mess, county_names) for c in columns]


def _ordered(
    columns: list[str], headers: dict[str, str], layout: Layout, mess: Mess, rng: np.random.Generator
) -> list[str]:
    """Columns in layout order, or with whole header groups shuffled (groups stay contiguous)."""
    groups: dict[str, list[str]] = {}
    for c in columns:
        groups.setdefault(headers[c].split("/")[0], []).append(c)
    keys = list(groups)
    if mess.reorder:
        head, tail = keys[:2], keys[2:]
        keys = head + [tail[i] for i in rng.permutation(len(tail))]
    return [c for k in keys for c in groups[k]]


def _write_checklist(checklist: pd.DataFrame, year: int, out_dir: Path, seed: int, names: dict[str, list[str]]) -> Path:
    """督导评估清单 of one year: every county's rows, with the item's assessment, dimension and wording."""
    layout = load_layout("assessment_checklist")
    items = pd.DataFrame(assessment_items()).set_index("item")
    frame = checklist[checklist["year"] == year]
    frame = frame.assign(
        assessment_name=frame["item_code"].map(items["assessment_zh"]),
        dimension_name=frame["item_code"].map(items["dimension_zh"]),
        item_name=frame["item_code"].map(items["name_zh"]),
    )
    rng = _rng(seed, "assessment_checklist", year)
    mess = draw_mess(rng)
    mess.total_at, mess.subtotals, mess.reorder = "none", False, False
    title = f"{HOME.name_zh}{year}/{year + 1}学年{SHEET_TITLES['assessment_checklist']}"
    grid = sheet_grid(frame, layout, year, title, rng, mess, names)
    path = out_dir / "county" / str(year) / f"督导评估清单_{year}.xlsx"
    write_xlsx(path, {layout.sheets[0]: grid}, year)
    return path


def county_names(county: County) -> list[str]:
    """How other offices write a county: short name, full name, code, 自治县 form."""
    names = {county.short_name_zh, county.name_zh, county.county_code}
    if "自治县" in county.name_zh and not county.short_name_zh.endswith("自治县"):
        names.add(county.short_name_zh.removesuffix("县") + "自治县")
    return sorted(names)


def write_raw(
    truth: dict[str, pd.DataFrame],
    counties: list[County],
    out_dir: Path,
    seed: int,
    csv_exports: set[tuple[str, int]] = frozenset(),
    school_format: str = "roster",
) -> list[Path]:
    """Every raw file of the sample; ``csv_exports`` names (county, year) pairs exported as CSV.

    ``school_format``: ``"roster"`` writes the school tables as 过录表 rosters, sites.csv and the
    local school sheet (what the statistics system exports); ``"county"`` as the older four-sheet
    county workbook, still an accepted input.
    """
    written: list[Path] = []
    names = {c.county_code: county_names(c) for c in counties}
    schools = truth["schools"]
    years = sorted(schools["year"].unique())
    school_names = schools[["school_id", "year", "school_name"]]
    if school_format == "roster":
        written += write_rosters(truth, counties, out_dir, seed, csv_exports)
    for year in years:
        for county in counties if school_format == "county" else []:
            rng = _rng(seed, county.county_code, year)
            label = names[county.county_code][int(rng.integers(0, len(names[county.county_code])))]
            sheets: dict[str, Grid] = {}
            for table in ("schools", "enrollment", "teachers", "facilities"):
                layout = load_layout(table)
                frame = truth[table]
                frame = frame[(frame["year"] == year) & (frame["county_code"] == county.county_code)]
                if table != "schools":
                    frame = frame.merge(school_names, on=["school_id", "year"], how="left")
                title = f"{HOME.name_zh}{label}{year}年教育事业统计——{SHEET_TITLES[table]}"
                mess = draw_mess(_rng(seed, county.county_code, year, table))
                sheet_name = layout.sheets[mess.spelling_pick % len(layout.sheets)]
                sheets[sheet_name] = sheet_grid(frame, layout, year, title, rng, mess, names)
            if (county.county_code, year) in csv_exports:
                for grid, table in zip(
                    sheets.values(), ("schools", "enrollment", "teachers", "facilities"), strict=True
                ):
                    suffix = load_layout(table).csv_suffix
                    path = out_dir / "schools" / str(year) / f"{county.county_code}_{year}_{suffix}.csv"
                    write_csv(path, grid)
                    written.append(path)
            else:
                order = list(sheets)
                rng.shuffle(order)
                path = out_dir / "schools" / str(year) / f"{label}_{year}年教育事业统计.xlsx"
                write_xlsx(path, {k: sheets[k] for k in order}, year)
                written.append(path)
        for table, stem in (("population", "人口"), ("disability", "残疾儿童少年"), ("ledger", "台账")):
            layout = load_layout(table)
            frame = truth[table][truth[table]["year"] == year]
            rng = _rng(seed, table, year)
            mess = draw_mess(rng)
            mess.subtotals = False
            grid = sheet_grid(frame, layout, year, f"{HOME.name_zh}{year}年{SHEET_TITLES[table]}", rng, mess, names)
            path = out_dir / "county" / str(year) / f"{stem}_{year}.xlsx"
            write_xlsx(path, {layout.sheets[0]: grid}, year)
            written.append(path)
        if "assessment_checklist" in truth:
            written.append(_write_checklist(truth["assessment_checklist"], year, out_dir, seed, names))
    if "city" in truth:
        layout = load_layout("city")
        rng = _rng(seed, "city")
        mess = draw_mess(rng)
        mess.total_at, mess.subtotals = "none", False
        grid = sheet_grid(truth["city"], layout, max(years), "临沧市职业教育与高等教育主要指标", rng, mess, names)
        path = out_dir / "city" / "市级职业与高等教育.xlsx"
        write_xlsx(path, {layout.sheets[0]: grid}, int(max(years)))
        written.append(path)
    return written
