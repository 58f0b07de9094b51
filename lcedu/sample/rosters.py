"""Write the sample's school tables as 过录表 rosters, sites.csv and the local school sheet.

Each roster draws its own mess, as real exports have it: a title row, 4 merged header rows
(stage › group › `#`of-which › leaf), `计`/`合计` subtotal spellings, `#` or `其中：` for "of which",
`_x000D_` in a header, columns lcedu does not use, a 栏号 row in the newer variant, ids and area
codes stored as numbers, a few ids as float text or scientific notation, blank rows between
schools, notes under the table, 教学点 as 是否计校数 = 0 sites, and one county-year as a GB18030 CSV.
About half the rosters are written the way public code reads real ones (moe-statistics-forms.md §3):
the county as a name in 统计三级, 办学类型 and 举办者 as names beside their code columns, 学历 as
博士研究生 + 硕士研究生 and the 骨干 columns under a 教基1102 group with (小学)/(初中)/(高中) suffixes; some
county-years come as one roster per 学段 (小学过录表, 初中过录表 …, no stage level in the header). Every
roster carries the students by grade and the kindergartens' children by age in its stage blocks.
The paths come from ``lcedu/ingest/layouts/roster.yml``, so the sample follows the layout.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu.home import HOME
from lcedu.ingest import counties as registry_counties
from lcedu.ingest.roster import DETAIL_SEP, SEP, STAGE_ORDER, RosterVariant, load_roster_layout, split_path
from lcedu.sample.grid import SYNTHETIC_NOTE, Grid, write_csv, write_xlsx
from lcedu.sample.truth import County

TYPE_CODE = {
    "kindergarten": 111,
    "primary": 211,
    "teaching_point": 218,
    "junior": 311,
    "nine_year": 312,
    "complete_secondary": 341,
    "senior": 342,
    "twelve_year": 345,
    "vocational": 362,
    "special": 514,
}
TYPE_NAME = {
    111: "幼儿园",
    211: "小学",
    218: "小学教学点",
    311: "初级中学",
    312: "九年一贯制学校",
    341: "完全中学",
    342: "高级中学",
    345: "十二年一贯制学校",
    362: "职业高中学校",
    514: "其他特殊教育学校",
}
URBAN_CODE = {"urban": (111, 112), "town": (121, 122), "rural": (210, 220)}
URBAN_NAME = {111: "主城区", 112: "城乡结合区", 121: "镇中心区", 122: "镇乡结合区", 210: "乡中心区", 220: "村庄"}
SPONSOR = {True: ("教育部门", "教育部门办"), False: ("民办",)}
# Columns a real export has and lcedu does not use: (path, how to fill it).
UNUSED_SCHOOL = [("邮政编码", "postcode"), ("校长姓名", "blank"), ("联系电话", "phone")]
UNUSED_STAGE = {"在校生数": "#女", "招生数": "#女", "专任教师": "#女"}
# A per-学段 export's word in its file name (roster.yml file_stages reads it back).
STAGE_FILE_WORD = {
    "kindergarten": "幼儿园",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "special": "特殊教育",
}
# The reference's spellings (moe-statistics-forms.md §3): name columns with separate code columns, 学历 split.
POSTGRAD_PARTS = ("博士研究生", "硕士研究生")
BACKBONE_GROUP = "教基1102"


@dataclass
class Column:
    path: tuple[str, ...]
    field: str | None  # canonical column, "stage:column", or None for an unused column
    fill: str = ""  # how an unused column is filled


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, "roster", *parts))).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _variant(year: int) -> RosterVariant:
    layout = load_roster_layout()
    return next((v for v in layout.variants if year in v.years), layout.variants[-1])


def _spell(path: tuple[str, ...], style: dict) -> tuple[str, ...]:
    """The file's own way of writing 计 and `#` (the reader understands every one of them)."""
    out = []
    for i, p in enumerate(path):
        if i == len(path) - 1 and p in ("计", "合计"):
            p = style["subtotal"]
        if p.startswith("#"):
            p = style["of_which"] + p[1:]
        out.append(p)
    return tuple(out)


def columns(
    year: int,
    rng: np.random.Generator,
    detail: set[str] = frozenset(),
    stage: str | None = None,
    reference: bool = False,
) -> list[Column]:
    """The roster's columns in order: identity, unused extras, facilities, then one block per stage.

    ``detail``: the grade and age columns to write ("primary:grade_enrollment__1" …); ``stage``: a per-学段
    roster of that stage only, its block without the stage level; ``reference``: the spellings public code
    reads (统计三级 names, name + code columns, 博士 + 硕士研究生, 骨干 under 教基1102).
    """
    v = _variant(year)
    style = {"subtotal": str(rng.choice(["计", "合计"])), "of_which": str(rng.choice(["#", "#", "其中："]))}
    layout = load_roster_layout()
    pick = int(rng.integers(0, 2))
    out: list[Column] = []
    for f in v.school:
        if reference and f.name in ("county_code", "school_type", "is_public"):
            out += _reference_identity(f.name)
            continue
        path = split_path(f.written[pick % len(f.written)] if layout.tables[f.name] == "schools" else f.written[0])
        out.append(Column(_spell(path, style), f.name))
        if f.name == "school_type" and len(path) > 1:
            out.append(Column((path[0], "名称"), None, "type_name"))
        if f.name == "urban_rural" and len(path) > 1:
            out.append(Column((path[0], "名称"), None, "urban_name"))
        if f.name == "is_counted_school":
            out += [Column((p,), None, fill) for p, fill in UNUSED_SCHOOL]
        if f.name == "teaching_aux_area_m2":
            out.insert(len(out) - 1, Column(_spell((path[0], "计"), style), None, "area_total"))
        if f.name == "sports_ground_area_m2":
            out.insert(len(out) - 1, Column(_spell((*path[:2], "计"), style), None, "land_total"))
    name = next(c for c in out if c.field == "school_name")
    out.remove(name)
    out.insert(0, name)  # the school's name is the first column
    for st in STAGE_ORDER if stage is None else (stage,):
        out += _stage_block(v, st, () if stage else (v.stages[st][0],), style, detail, reference)
    if reference:  # the 骨干 of every stage in one group at the end, named by a suffix
        out += [
            Column((BACKBONE_GROUP, f"县级以上骨干教师({min(v.stages[st], key=len)})"), f"{st}:backbone_teacher_count")
            for st in (STAGE_ORDER if stage is None else (stage,))
        ]
    if rng.random() < 0.5:  # Excel's escaped carriage return in one header
        c = next(c for c in out if c.field == "equipment_value_yuan")
        c.path = (*c.path[:-1], c.path[-1].replace("(万元)", "_x000D_(万元)"))
    return out


def _reference_identity(name: str) -> list[Column]:
    """The county as names in 统计一级 … 三级; 办学类型 and 举办者 as names, each beside its code column."""
    if name == "county_code":
        return [Column(("统计一级",), None, "province"), Column(("统计二级",), None, "prefecture"),
                Column(("统计三级",), "county_code", "name")]  # fmt: skip
    if name == "school_type":
        return [Column(("办学类型",), None, "type_name"), Column(("办学类型编码",), "school_type")]
    return [Column(("举办者",), "is_public"), Column(("举办者编码",), None, "sponsor_code")]


def _stage_block(
    v: RosterVariant, stage: str, group: tuple[str, ...], style: dict, detail: set[str], reference: bool
) -> list[Column]:
    """One stage's columns under ``group`` (the stage's name, or nothing in a per-学段 roster), each
    sub-group contiguous (a merged header spans a contiguous run)."""
    block: list[Column] = []
    for f in v.stage:
        name = f.name.format(stage=stage)
        if (f.only and stage not in f.only) or (DETAIL_SEP in name and f"{stage}:{name}" not in detail):
            continue
        if reference and name == "backbone_teacher_count":
            continue  # under 教基1102, see columns()
        path = split_path(f.written[0])
        if reference and name == "teacher_postgrad_count":
            block += [
                Column(_spell((*group, *path[:-1], part), style), f"{stage}:{name}", part) for part in POSTGRAD_PARTS
            ]
            continue
        if len(path) == 1 and path[0] in UNUSED_STAGE:
            path = (path[0], "计")  # the group now has an of-which column: its total is written 计
        block.append(Column(_spell((*group, *path), style), f"{stage}:{name}"))
        if path[-1] in ("计", "合计") and path[0] in UNUSED_STAGE:
            block.append(Column(_spell((*group, path[0], UNUSED_STAGE[path[0]]), style), None, "girls"))
    depth = len(group)
    order = {p: i for i, p in enumerate(dict.fromkeys(c.path[depth] for c in block))}
    return sorted(block, key=lambda c: order[c.path[depth]])


def _header(cols: list[Column], top: int) -> tuple[list[list[object]], list[tuple[int, int, int, int, str]]]:
    depth = max(len(c.path) for c in cols)
    width = len(cols)
    rows: list[list[object]] = [[""] * width for _ in range(depth)]
    merges = []
    for j, c in enumerate(cols):
        for k, text in enumerate(c.path):
            rows[k][j] = text
        if len(c.path) < depth:
            merges.append((top + len(c.path) - 1, j, top + depth - 1, j, c.path[-1]))
    for k in range(depth - 1):
        j = 0
        while j < width:
            end = j
            while (
                end + 1 < width
                and len(cols[j].path) > k + 1
                and len(cols[end + 1].path) > k + 1
                and cols[end + 1].path[: k + 1] == cols[j].path[: k + 1]
            ):
                end += 1
            if end > j:
                for m in range(j + 1, end + 1):
                    rows[k][m] = ""
                merges.append((top + k, j, top + k, end, cols[j].path[k]))
            j = end + 1
    return rows, merges


def _number(value: object, rng: np.random.Generator, text_share: float) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    value = float(value)
    value = int(value) if value.is_integer() else round(value, 2)
    return str(value) if rng.random() < text_share else value


def _area_code(county: County, township: str, village: object, school_id: str) -> str:
    town = county.townships.index(township) if township in county.townships else 0
    village_no = 0 if village is None or village is pd.NA else 1 + int(school_id[-3:]) % 40
    return f"{county.county_code}{100 + town:03d}{(200 + village_no) if village_no else 0:03d}"


def roster_grid(
    county: County,
    year: int,
    schools: pd.DataFrame,
    parts: pd.DataFrame,
    facilities: pd.DataFrame,
    seed: int,
    stage: str | None = None,
) -> Grid:
    """One county's roster for one year (or its roster of one ``stage``): a title, 4 merged header rows, one
    row per school or site (per school of that stage)."""
    rng = _rng(seed, county.county_code, year) if stage is None else _rng(seed, county.county_code, year, stage)
    detail = {f"{st}:{c}" for st, c in _detail_columns(parts)}
    # its own stream: the other draws (and so the rosters' other mess) stay as they were
    reference = bool(_rng(seed, "reference", county.county_code, year, stage).random() < 0.5)
    cols = columns(year, rng, detail, stage, reference)
    width = len(cols)
    what = f"{STAGE_FILE_WORD[stage]}过录表" if stage else "基础教育过录表"
    title = f"{year}/{year + 1}学年初 {what}（{county.short_name_zh}）"
    rows: list[list[object]] = [[title] + [""] * (width - 1)]
    merges = [(0, 0, 0, width - 1, title)]
    header, header_merges = _header(cols, len(rows))
    rows += header
    merges += header_merges
    if _variant(year).name != "v2022":  # the newer export has a 栏号 row
        rows.append([("甲", "乙")[j] if j < 2 else j - 1 for j in range(width)])
    ids_as_numbers = bool(rng.random() < 0.5)
    text_share = float(rng.choice([0.0, 0.1]))
    # Plain dicts, not frame lookups: a county-year has ~500,000 cells to write.
    facility = facilities.set_index("school_id").to_dict("index")
    by_school: dict[str, dict[str, dict]] = {}
    for part in parts.to_dict("records"):
        by_school.setdefault(part["school_id"], {})[part["stage"]] = part
    if stage is not None:
        schools = schools[[stage in by_school[sid] for sid in schools["school_id"]]]
    order = (
        schools.sample(frac=1.0, random_state=int(rng.integers(0, 2**31)))
        if rng.random() < 0.3
        else schools.sort_values(["school_type", "school_id"])
    )
    for school in order.to_dict("records"):
        sid = school["school_id"]
        stage_rows = by_school[sid]
        fac = facility[sid]
        row: list[object] = []
        for c in cols:
            if c.field is None:
                row.append(_unused(c.fill, school, stage_rows, rng))
            elif ":" in c.field:
                st, name = c.field.split(":", 1)
                if st not in stage_rows:
                    row.append("")
                elif name == f"{st}_class_count":
                    row.append(_number(school[name], rng, text_share))
                elif c.fill in POSTGRAD_PARTS:
                    row.append(_number(_postgrad_part(stage_rows[st][name], c.fill, school["school_id"]), rng, 0))
                else:
                    row.append(_number(stage_rows[st][name], rng, text_share))
            elif c.fill == "name":
                row.append(_county_name(county, school["school_id"]))
            else:
                row.append(_identity(c.field, school, fac, county, rng, ids_as_numbers, text_share))
        rows.append(row)
        if rng.random() < 0.02:
            rows.append([""] * width)
    rows.append([""] * width)
    for note in (SYNTHETIC_NOTE, f"填表人：王某某　　审核人：李某某　　导出日期：{year}年10月15日"):
        rows.append([note] + [""] * (width - 1))
        merges.append((len(rows) - 1, 0, len(rows) - 1, width - 1, note))
    return Grid(rows=rows, merges=merges)


def _detail_columns(parts: pd.DataFrame) -> list[tuple[str, str]]:
    """(stage, detail column) pairs a county-year's truth has a figure for: the grade and age columns to write."""
    cols = [c for c in parts.columns if DETAIL_SEP in c]
    return [(st, c) for st, group in parts.groupby("stage", sort=False) for c in cols if group[c].notna().any()]


def _postgrad_part(value: object, part: str, school_id: str) -> object:
    """研究生 split into 博士 + 硕士 (one 博士 in a school with three or more): the parts add up to the truth."""
    if value is None or value is pd.NA:
        return None
    doctors = 1 if int(value) >= 3 and int(school_id[-1]) % 4 == 0 else 0
    return doctors if part == POSTGRAD_PARTS[0] else int(value) - doctors


def _county_name(county: County, school_id: str) -> str:
    """统计三级 as exports write it: the full or the short name, whichever the registry resolves to the county
    (the area code where neither does: a generated county)."""
    names = _resolving_names(county.county_code, county.name_zh, county.short_name_zh)
    return names[int(school_id[-2:]) % len(names)] if names else county.county_code


@cache
def _resolving_names(code: str, *names: str) -> tuple[str, ...]:
    return tuple(n for n in dict.fromkeys(names) if registry_counties.resolve(n) == code)


def _identity(
    field: str,
    school: dict,
    fac: dict,
    county: County,
    rng: np.random.Generator,
    ids_as_numbers: bool,
    text_share: float,
) -> object:
    if field == "school_id":
        sid = school["school_id"]
        r = rng.random()
        if r < 0.003:
            return f"{sid}.0"  # an id that went through a float
        if r < 0.005:
            return f"{sid[0]}.{sid[1:]}E+09"  # and one in scientific notation
        return int(sid) if ids_as_numbers else sid
    if field == "school_name":
        return school["school_name"]
    if field in ("township", "village"):
        value = school[field]
        return "" if value is None or value is pd.NA else value
    if field == "county_code":
        code = _area_code(county, school["township"], school["village"], school["school_id"])
        return int(code) if ids_as_numbers else code
    if field == "school_type":
        code = TYPE_CODE[school["school_type"]]
        return code if rng.random() < 0.5 else str(code)
    if field == "is_public":
        names = SPONSOR[bool(school["is_public"])]
        return names[int(rng.integers(0, len(names)))]
    if field == "urban_rural":
        return URBAN_CODE[school["urban_rural"]][int(rng.integers(0, 2))]
    if field == "is_counted_school":
        return 1 if school["is_counted_school"] else 0
    return _number(fac[field] / 10_000 if field == "equipment_value_yuan" else fac[field], rng, text_share)


def _unused(fill: str, school: dict, stage_rows: dict, rng: np.random.Generator) -> object:
    if fill == "postcode":
        return "677" + f"{int(rng.integers(0, 1000)):03d}"
    if fill == "phone":
        return f"0883-{int(rng.integers(1000000, 9999999))}"
    if fill == "type_name":
        return TYPE_NAME[TYPE_CODE[school["school_type"]]]
    if fill == "sponsor_code":
        return "" if school["is_public"] else 999
    if fill == "province":
        return "云南省"
    if fill == "prefecture":
        return HOME.name_zh
    if fill == "urban_name":
        return {"urban": "主城区", "town": "镇中心区", "rural": "村庄"}[school["urban_rural"]]
    if fill in ("area_total", "land_total"):
        return int(rng.integers(800, 30000))
    return ""


def sites_table(schools: pd.DataFrame) -> pd.DataFrame:
    """sites.csv: every 是否计校数 = 0 site (county, name) and its 原校点."""
    sites = schools[~schools["is_counted_school"].astype(bool)]
    return (
        sites[["county_code", "school_name", "parent_school_id"]]
        .drop_duplicates(["county_code", "school_name"])
        .rename(columns={"school_name": "site_name"})
        .sort_values(["county_code", "site_name"])
    )


def local_grid(schools: pd.DataFrame, facilities: pd.DataFrame, names: dict[str, str]) -> Grid:
    """学校补充信息: one row per school, keyed by 学校标识码 (what the national forms lack)."""
    frame = schools.merge(facilities, on=["school_id", "year", "county_code"], how="left")
    header = [
        "学校标识码",
        "学校名称",
        "县(区)",
        "普惠性幼儿园",
        "全光纤校园网",
        "平安校园",
        "数字教室数",
        "开办年份",
        "举办者层级",
        "独立设置",
        "独立设置年份",
        "经度",
        "纬度",
    ]
    operators = {"city": "市属", "county": "县属", "private": "民办"}

    def year_cell(v: object) -> object:
        return "" if v is None or v is pd.NA else int(v)

    def yes_no(v: object) -> str:
        return "" if v is None or v is pd.NA else ("是" if v else "否")

    def coordinate(v: object) -> object:
        return "" if v is None or v is pd.NA or v != v else float(v)

    rows: list[list[object]] = [header]
    for r in frame.sort_values(["county_code", "school_id"]).to_dict("records"):
        digital = r["digital_classroom_count"]
        rows.append(
            [
                r["school_id"],
                r["school_name"],
                names[r["county_code"]],
                yes_no(r["is_inclusive"]),
                yes_no(r["has_fiber_network"]),
                yes_no(r["is_safe_campus"]),
                "" if digital is pd.NA else int(digital),
                year_cell(r["opened_year"]),
                "" if r["operator"] is pd.NA else operators[r["operator"]],
                yes_no(r["is_independent"]),
                year_cell(r["independent_year"]),
                coordinate(r.get("longitude")),
                coordinate(r.get("latitude")),
            ]
        )
    return Grid(rows=rows, merges=[])


def roster_file_name(county: County, year: int, rng: np.random.Generator) -> str:
    """Exported file names vary; some carry no county (it then comes from the rows' 区划代码)."""
    forms = [
        f"{county.short_name_zh}{year}学年基础教育过录表",
        f"{county.county_code}_过录表_{year}",
        f"过录表({year}-{year + 1}学年初)_{county.county_code}",
        f"基础教育过录表 {county.name_zh}",
    ]
    return forms[int(rng.integers(0, len(forms)))]


def roster_parts(truth: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per school, year and stage: enrollment, teachers and the detail columns (students by grade,
    children by age) as the roster's stage blocks hold them ("grade_enrollment__1" …)."""
    key = ["school_id", "stage", "year", "county_code"]
    parts = truth["enrollment"].merge(truth["teachers"], on=key, how="outer")
    for table, by in (("grade_enrollment", "grade"), ("kindergarten_ages", "age")):
        detail = truth.get(table)
        if detail is None or detail.empty:
            continue
        detail = detail.assign(stage="kindergarten") if "stage" not in detail else detail
        wide = detail.pivot(index=key, columns=by, values="student_count")
        wide.columns = [f"{table}{DETAIL_SEP}{v}" for v in wide.columns]
        parts = parts.merge(wide.reset_index(), on=key, how="left")
    return parts


def is_per_stage(county: County, year: int, index: int, seed: int) -> bool:
    """Whether a county-year is exported as one roster per 学段: one county in eight, a different one each year
    (临沧: 双江 2022, 镇康 2023, 永德 2024, 云县 2025)."""
    return (index + year) % 8 == 3


def write_rosters(
    truth: dict[str, pd.DataFrame],
    counties: list[County],
    out_dir: Path,
    seed: int,
    csv_exports: set[tuple[str, int]] = frozenset(),
) -> list[Path]:
    """rosters/<year>/<county>…过录表.xlsx for every county and year, rosters/sites.csv,
    local/<year>/学校补充信息.xlsx."""
    written: list[Path] = []
    schools = truth["schools"]
    parts = roster_parts(truth)
    names = {c.county_code: c.short_name_zh for c in counties}
    for year in sorted(schools["year"].unique()):
        for i, county in enumerate(counties):
            sel = (schools["year"] == year) & (schools["county_code"] == county.county_code)
            own = parts[(parts["year"] == year) & (parts["county_code"] == county.county_code)]
            fac = truth["facilities"]
            fac = fac[(fac["year"] == year) & (fac["county_code"] == county.county_code)]
            stem = roster_file_name(county, int(year), _rng(seed, "name", county.county_code, year))
            if (county.county_code, int(year)) in csv_exports:
                path = out_dir / "rosters" / str(year) / f"{county.county_code}_{year}_过录表.csv"
                write_csv(path, roster_grid(county, int(year), schools[sel], own, fac, seed))
                written.append(path)
            elif is_per_stage(county, int(year), i, seed):
                for stage in (st for st in STAGE_ORDER if (own["stage"] == st).any()):
                    grid = roster_grid(county, int(year), schools[sel], own, fac, seed, stage)
                    path = (
                        out_dir
                        / "rosters"
                        / str(year)
                        / f"{county.short_name_zh}{year}学年{STAGE_FILE_WORD[stage]}过录表.xlsx"
                    )
                    write_xlsx(path, {"过录表": grid}, int(year))
                    written.append(path)
            else:
                path = out_dir / "rosters" / str(year) / f"{stem}.xlsx"
                write_xlsx(path, {"过录表": roster_grid(county, int(year), schools[sel], own, fac, seed)}, int(year))
                written.append(path)
        year_schools = schools[schools["year"] == year]
        path = out_dir / "local" / str(year) / "学校补充信息.xlsx"
        write_xlsx(path, {"学校补充信息": local_grid(year_schools, truth["facilities"], names)}, int(year))
        written.append(path)
    path = out_dir / "rosters" / "sites.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    sites_table(schools).to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL)
    written.append(path)
    return written


__all__ = ["write_rosters", "columns", "roster_grid", "SEP"]
