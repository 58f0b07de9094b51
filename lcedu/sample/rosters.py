"""Write the sample's school tables as 过录表 rosters, sites.csv and the local school sheet.

Each roster draws its own mess, as real exports have it: a title row, 4 merged header rows
(stage › group › `#`of-which › leaf), `计`/`合计` subtotal spellings, `#` or `其中：` for "of which",
`_x000D_` in a header, columns lcedu does not use, a 栏号 row in the newer variant, ids and area
codes stored as numbers, a few ids as float text or scientific notation, blank rows between
schools, notes under the table, 教学点 as 是否计校数 = 0 sites, and one county-year as a GB18030 CSV.
The paths come from ``lcedu/ingest/layouts/roster.yml``, so the sample follows the layout.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu.ingest.roster import SEP, STAGE_ORDER, RosterVariant, load_roster_layout, split_path
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


def columns(year: int, rng: np.random.Generator) -> list[Column]:
    """The roster's columns in order: identity, unused extras, facilities, then one block per stage."""
    v = _variant(year)
    style = {"subtotal": str(rng.choice(["计", "合计"])), "of_which": str(rng.choice(["#", "#", "其中："]))}
    layout = load_roster_layout()
    pick = int(rng.integers(0, 2))
    out: list[Column] = []
    for f in v.school:
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
    for stage in STAGE_ORDER:
        group = v.stages[stage][0]
        block: list[Column] = []
        for f in v.stage:
            path = split_path(f.written[0])
            if len(path) == 1 and path[0] in UNUSED_STAGE:
                path = (path[0], "计")  # the group now has an of-which column: its total is written 计
            block.append(Column(_spell((group, *path), style), f"{stage}:{f.name.format(stage=stage)}"))
            if path[-1] in ("计", "合计") and path[0] in UNUSED_STAGE:
                block.append(Column(_spell((group, path[0], UNUSED_STAGE[path[0]]), style), None, "girls"))
        # keep each group's columns together (a merged header spans a contiguous run)
        order = {p: i for i, p in enumerate(dict.fromkeys(c.path[1] for c in block))}
        out += sorted(block, key=lambda c: order[c.path[1]])
    if rng.random() < 0.5:  # Excel's escaped carriage return in one header
        c = next(c for c in out if c.field == "equipment_value_yuan")
        c.path = (*c.path[:-1], c.path[-1].replace("(万元)", "_x000D_(万元)"))
    return out


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
    county: County, year: int, schools: pd.DataFrame, parts: pd.DataFrame, facilities: pd.DataFrame, seed: int
) -> Grid:
    """One county's roster for one year: a title, 4 merged header rows, one row per school or site."""
    rng = _rng(seed, county.county_code, year)
    cols = columns(year, rng)
    width = len(cols)
    title = f"{year}/{year + 1}学年初 基础教育过录表（{county.short_name_zh}）"
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
                stage, name = c.field.split(":", 1)
                if stage not in stage_rows:
                    row.append("")
                elif name == f"{stage}_class_count":
                    row.append(_number(school[name], rng, text_share))
                else:
                    row.append(_number(stage_rows[stage][name], rng, text_share))
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
    ]
    operators = {"city": "市属", "county": "县属", "private": "民办"}

    def year_cell(v: object) -> object:
        return "" if v is None or v is pd.NA else int(v)

    def yes_no(v: object) -> str:
        return "" if v is None or v is pd.NA else ("是" if v else "否")

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
    schools, enrollment, teachers = truth["schools"], truth["enrollment"], truth["teachers"]
    parts = enrollment.merge(teachers, on=["school_id", "stage", "year", "county_code"], how="outer")
    names = {c.county_code: c.short_name_zh for c in counties}
    for year in sorted(schools["year"].unique()):
        for county in counties:
            sel = (schools["year"] == year) & (schools["county_code"] == county.county_code)
            grid = roster_grid(
                county,
                int(year),
                schools[sel],
                parts[(parts["year"] == year) & (parts["county_code"] == county.county_code)],
                truth["facilities"][
                    (truth["facilities"]["year"] == year) & (truth["facilities"]["county_code"] == county.county_code)
                ],
                seed,
            )
            stem = roster_file_name(county, int(year), _rng(seed, "name", county.county_code, year))
            if (county.county_code, int(year)) in csv_exports:
                path = out_dir / "rosters" / str(year) / f"{county.county_code}_{year}_过录表.csv"
                write_csv(path, grid)
            else:
                path = out_dir / "rosters" / str(year) / f"{stem}.xlsx"
                write_xlsx(path, {"过录表": grid}, int(year))
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
