"""Truth tables of the synthetic sample, in exactly the processed tables' schema.

Calibrated to real published figures (see ``lcedu/data/lincang_census2020.csv`` and
``lcedu/sample/calibration.yml``): 2020 census population and age bands by county, and
the city's 2020 school and student counts from 临沧市"十四五"教育体育事业发展规划. The
county paths are designed so that the plan is worth analysing (who meets 普及普惠 and
优质均衡 when); nothing here is official data.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.home import CITY_CODE
from lcedu.ingest.codes import code_table
from lcedu.ingest.counties import registry, stem
from lcedu.ingest.layout import assessment_items, load_layout
from lcedu.ingest.schemas import FLOWS, FLOWS_IN, FLOWS_OUT, column_order, dtype_of, typed_detail

STAGES_OF_TYPE = {
    "kindergarten": ("kindergarten",),
    "primary": ("primary",),
    "teaching_point": ("primary",),
    "junior": ("junior",),
    "nine_year": ("primary", "junior"),
    "complete_secondary": ("junior", "senior"),
    "senior": ("senior",),
    "twelve_year": ("primary", "junior", "senior"),
    "vocational": ("vocational",),
    "special": ("special",),
}
# 优质均衡 resource indicators: (code, primary threshold, junior threshold).
RESOURCE = {
    "qualified_teachers_per_100": (4.2, 5.3),
    "backbone_teachers_per_100": (1.0, 1.0),
    "pe_arts_teachers_per_100": (0.9, 0.9),
    "teaching_room_area_per_student_m2": (4.5, 5.8),
    "sports_area_per_student_m2": (7.5, 10.2),
    "equipment_value_per_student_yuan": (2000.0, 2500.0),
    "multimedia_classrooms_per_100": (2.3, 2.4),
}
SHARED = (
    "teaching_room_area_per_student_m2",
    "sports_area_per_student_m2",
    "equipment_value_per_student_yuan",
    "multimedia_classrooms_per_100",
)
STAGE_WEIGHT = {"primary": 1.0, "junior": 1.1, "senior": 1.32}
# 学校标识码 category of each school type (the first one codes.yml allows for it).
ID_CATEGORY = {t: cats[0] for t, cats in code_table()["id_categories"].items()}


@cache
def calibration() -> dict:
    text = resources.files("lcedu.sample").joinpath("calibration.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass
class County:
    """A county to generate: census anchors and the designed assessment years."""

    county_code: str
    name_zh: str
    short_name_zh: str
    pop2020: int
    age3_5: int
    age6_11: int
    age12_14: int
    age15_17: int
    townships: list[str]
    village_count: int
    preschool_universal_from: int | None = None
    balanced_from: int | None = None
    special_school_from: int | None = None
    extra: dict = field(default_factory=dict)


def _rng(seed: int, *parts: object) -> np.random.Generator:
    """An independent, reproducible stream per (county, year, purpose)."""
    digest = hashlib.sha256("|".join(map(str, (seed, *parts))).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers summing to ``total`` in proportion to ``weights`` (largest remainder)."""
    if total <= 0 or len(weights) == 0:
        return np.zeros(len(weights), dtype=int)
    share = weights / weights.sum() * total
    base = np.floor(share).astype(int)
    rest = total - base.sum()
    base[np.argsort(-(share - base))[:rest]] += 1
    return base


@dataclass
class Universe:
    counties: list[County]
    years: list[int]
    seed: int
    schools: pd.DataFrame  # all schools ever, with opened/closed years


def build_universe(counties: list[County], years: list[int], seed: int, density: float = 1.0) -> Universe:
    """The schools of every county, stable over the years but for designed openings."""
    cal = calibration()
    rows = []
    for county in counties:
        rng = _rng(seed, county.county_code, "roster")
        # Schools per resident as in 临沧 (whose counties sum to the reference population), times the density.
        share = county.pop2020 / cal["reference_city_population"] * density
        counts = {
            t: max(int(round(n * share)), cal["school_types"][t].get("min_per_county", 0))
            for t, n in ((t, spec["city_count"]) for t, spec in cal["school_types"].items())
        }
        if county.county_code in cal.get("twelve_year_counties", []):
            counts["twelve_year"] = 1
        seq: dict[str, int] = defaultdict(int)  # per id category: the 6-digit sequence in the county
        first = len(rows)
        for school_type, n in counts.items():
            for i in range(n):
                rows.append(_school_row(county, school_type, i, seq, rng, years[0]))
        if county.special_school_from is not None:
            rows.append(_school_row(county, "special", 0, seq, rng, county.special_school_from))
        for code, year in cal.get("private_high_school_opens", {}).items():
            if code == county.county_code:
                row = _school_row(county, "senior", 99, seq, rng, year)
                rows.append({**row, "is_public": False, "school_name": f"{county.short_name_zh}民办高级中学"})
        for year in years[1:]:  # a few new village kindergartens each year (一村一幼)
            for i in range(int(rng.integers(1, 4))):
                rows.append(_school_row(county, "kindergarten", 1000 + year * 10 + i, seq, rng, year))
        openings = _rng(seed, county.county_code, "openings")
        year = cal.get("county_vocational_opens", {}).get(county.county_code)
        if year is not None and year in years:
            rows.append(_school_row(county, "vocational", 1, seq, openings, year))
        _attach_sites(rows[first:])
        _attach_openings(rows[first:], county, years[0], openings)
        _attach_preschool_classes(rows[first:], _rng(seed, county.county_code, "attached_classes"))
        _attach_locations(rows[first:], county.county_code, _rng(seed, county.county_code, "locations"))
    return Universe(counties=counties, years=years, seed=seed, schools=pd.DataFrame(rows))


@cache
def _county_shapes() -> dict:
    """County polygons (WGS84) by code: 临沧's shipped shapes and the shipped provinces'."""
    import json

    import shapely

    out = {}
    files = [paths.shapes_file()] + [
        paths.project(f"shapes/{name}_counties.geojson") for name in paths.SHIPPED_SHAPES.values()
    ]
    for file in files:
        if not file.exists():
            continue
        for feature in json.loads(file.read_text(encoding="utf-8"))["features"]:
            geometry = shapely.geometry.shape(feature["geometry"])
            shapely.prepare(geometry)
            out.setdefault(str(feature["properties"]["county_code"]), geometry)
    return out


def _attach_locations(rows: list[dict], county_code: str, rng: np.random.Generator) -> None:
    """经度 / 纬度 of every school: SYNTHETIC points scattered around the county's centroid, inside it.

    Not real school locations: a normal jitter (a fifth of the county's extent) around the centroid,
    redrawn until it falls inside the county's boundary, rounded to 6 decimals as the forms report
    them. NA for a county no shipped shape file holds (generated test counties).
    """
    import shapely

    shape = _county_shapes().get(county_code)
    for r in rows:
        r["longitude"] = r["latitude"] = None
    if shape is None or not rows:
        return
    centre = shape.centroid
    west, south, east, north = shape.bounds
    spread = np.array([(east - west) / 5, (north - south) / 5])
    todo = np.arange(len(rows))
    points = np.zeros((len(rows), 2))
    for _ in range(50):
        draw = rng.normal([centre.x, centre.y], spread, size=(len(todo), 2))
        inside = shapely.contains_xy(shape, draw[:, 0], draw[:, 1])
        points[todo[inside]] = draw[inside]
        todo = todo[~inside]
        if not len(todo):
            break
    inner = shape.representative_point()
    points[todo] = [inner.x, inner.y]
    for r, (lon, lat) in zip(rows, points.round(6), strict=True):
        r["longitude"], r["latitude"] = float(lon), float(lat)


def school_id_for(county: County, school_type: str, seq: dict[str, int]) -> str:
    """A real-shaped 学校标识码: category (by type) + province + a 6-digit sequence, never starting with 0.

    The sequence is the county's 3-digit number and a per-category counter, so ids are stable
    across years and never collide. The number is the code's last 3 digits (临沧's 902, 921 …) unless
    the county list numbers its counties (``extra["id_number"]``: a province, where 530325 and 532325
    would share 325).
    """
    category = ID_CATEGORY[school_type]
    seq[category] += 1
    number = county.extra.get("id_number", int(county.county_code[2:]) % 1000)
    return f"{category}{county.county_code[:2]}{number:03d}{seq[category]:03d}"


def _attach_sites(rows: list[dict]) -> None:
    """教学点 are sites (是否计校数 = 0) of a primary or 九年一贯制 school (原校点), preferably in their township."""
    parents = [r for r in rows if r["school_type"] in ("primary", "nine_year")]
    seen: dict[str, int] = defaultdict(int)
    for r in rows:  # sites are mapped by name (sites.csv), so a county never has two of the same name
        if r["school_type"] == "teaching_point":
            seen[r["school_name"]] += 1
            if seen[r["school_name"]] > 1:
                r["school_name"] = r["school_name"].removesuffix("教学点") + f"第{seen[r['school_name']]}教学点"
    for r in rows:
        r["is_counted_school"] = r["school_type"] != "teaching_point"
        r["parent_school_id"] = None
        if not r["is_counted_school"] and parents:
            near = [p for p in parents if p["township"] == r["township"]] or parents
            r["parent_school_id"] = near[0]["school_id"]


def _attach_openings(rows: list[dict], county: County, first_year: int, rng: np.random.Generator) -> None:
    """开办年份, 举办者层级 and 独立设置 of every school (the local sheet's columns)."""
    cal = calibration()
    low, high = cal.get("historic_opened_years", [1952, first_year - 1])
    city_run = set(cal.get("city_run", {}).get(county.county_code, []))
    part_since = cal.get("special_school_became_independent", {}).get(county.county_code)
    for r in rows:
        opened = int(r["opened"]) if r["opened"] > first_year else int(rng.integers(low, high + 1))
        operator = "private" if not r["is_public"] else "county"
        if r["school_type"] in city_run and r["opened"] <= first_year:
            operator = "city"
            city_run.discard(r["school_type"])  # the first school of that type: 市一中, the city's 职教中心
        r["operator"] = operator
        r["is_independent"] = bool(r["is_counted_school"])
        r["independent_year"] = opened if r["is_independent"] else None
        if r["school_type"] == "special" and part_since is not None and r["opened"] > first_year:
            opened = int(part_since)  # ran as a part of another school, independent from r["opened"]
        r["opened_year"] = opened


ATTACHED_PRESCHOOL_SHARE = 0.2  # village 完全小学 running a 附设幼儿班 (云南 一村一幼), stable over the years
ATTACHED_PRESCHOOL_SIZE = 0.3  # its children relative to a kindergarten of the same size weight


def _attach_preschool_classes(rows: list[dict], rng: np.random.Generator) -> None:
    """Some village primary schools run a 附设幼儿班 (附设班 code 119): a kindergarten 学段 of the school."""
    for r in rows:
        r["has_preschool_class"] = bool(
            r["school_type"] == "primary" and r["village"] is not None and rng.random() < ATTACHED_PRESCHOOL_SHARE
        )


def _school_row(
    county: County, school_type: str, i: int, seq: dict[str, int], rng: np.random.Generator, opened: int
) -> dict:
    cal = calibration()
    spec = cal["school_types"][school_type]
    n_town = len(county.townships)
    seat = county.townships[0]
    town_index = (
        0 if (spec.get("in_seat") or rng.random() < spec.get("seat_share", 0.2)) else int(rng.integers(0, n_town))
    )
    township = county.townships[town_index]
    village = None
    if school_type in ("kindergarten", "teaching_point", "primary") and town_index != 0:
        village = f"{township[:-1]}{cal['village_syllables'][int(rng.integers(0, len(cal['village_syllables'])))]}村"
    urban = "urban" if township == seat else ("town" if village is None else "rural")
    name = _school_name(county, township, village, school_type, i)
    is_public = bool(rng.random() < spec.get("public_share", 1.0))
    return {
        "school_id": school_id_for(county, school_type, seq),
        "county_code": county.county_code,
        "school_name": name,
        "township": township,
        "village": village,
        "school_type": school_type,
        "is_public": is_public,
        "urban_rural": urban,
        "opened": opened,
        "size_weight": float(rng.lognormal(0, spec.get("size_spread", 0.5))) * spec.get("size", 1.0),
        "quality": float(rng.random()),
    }


def _school_name(county: County, township: str, village: str | None, school_type: str, i: int) -> str:
    stem = township
    ordinal = "一二三四五六七八九十"
    nth = ordinal[i % 10] if i < 10 else str(i + 1)
    names = {
        "kindergarten": f"{village or stem}幼儿园" if i == 0 or village else f"{stem}第{nth}幼儿园",
        "primary": f"{village or stem}完全小学" if village else f"{stem}第{nth}小学",
        "teaching_point": f"{village or stem}教学点",
        "junior": f"{stem}第{nth}中学" if i else f"{stem}中学",
        "nine_year": f"{stem}九年一贯制学校" if i == 0 else f"{stem}第{nth}九年一贯制学校",
        "complete_secondary": f"{county.short_name_zh}第{nth}中学",
        "senior": f"{county.short_name_zh}第{nth}高级中学",
        "twelve_year": f"{county.short_name_zh}实验学校",
        "vocational": f"{county.short_name_zh}职业教育中心" if i == 0 else f"{county.short_name_zh}第{nth}职业学校",
        "special": f"{county.short_name_zh}特殊教育学校",
    }
    return names[school_type]


def schools_in(universe: Universe, year: int) -> pd.DataFrame:
    s = universe.schools
    return s[s["opened"] <= year].reset_index(drop=True)


def _typed(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    layout = load_layout(table)
    order = column_order(layout)
    for c in order:
        if c not in frame:
            frame[c] = pd.NA
    out = frame[order].astype({c: dtype_of(layout, c) for c in order})
    sort = [*layout.key, "year"] if "year" not in layout.key else [*layout.key]
    return out.sort_values(sort, ignore_index=True)


def _u(rng: np.random.Generator, bounds: list[float]) -> float:
    return float(rng.uniform(*bounds))


def _by_year(spec: dict, year: int) -> list[float]:
    """A yearly path entry; years outside the designed span take the nearest one."""
    keys = sorted(int(k) for k in spec)
    return spec[min(keys, key=lambda k: abs(k - year))]


def population(county: County, year: int, seed: int) -> dict:
    trend = calibration()["age_band_trend"]
    rng = _rng(seed, county.county_code, year, "population")
    t = year - 2020

    def band(base: int, key: str) -> int:
        return int(round(base * (1 + trend[key]) ** t * rng.uniform(0.99, 1.01)))

    return {
        "county_code": county.county_code,
        "year": year,
        "resident_population": band(county.pop2020, "total"),
        "pop_age3_5": band(county.age3_5, "age3_5"),
        "pop_age6_11": band(county.age6_11, "age6_11"),
        "pop_age12_14": band(county.age12_14, "age12_14"),
        "pop_age15_17": band(county.age15_17, "age15_17"),
        "township_count": len(county.townships),
        "village_count": county.village_count,
    }


@dataclass
class Design:
    """What a county's aggregates should be in one year; the schools are then drawn to fit."""

    preschool_gross: float
    public_share: float
    inclusive_share: float
    children_per_teacher: float
    class_compliance: float
    certified_share: float
    primary_gross: float
    junior_gross: float
    senior_stage_gross: float
    vocational_share: float
    balanced: bool
    fail_share: float
    # (stage, resource) whose values are spread unevenly across the county's schools this year, so
    # that its 差异系数 exceeds the limit while every school still passes the 6-of-7 rule.
    skewed: tuple[str, str] | None
    rural_bachelor_share: float
    dual_qualified_share: float
    digital_share: float
    fiber_share: float
    safe_share: float


def design(county: County, year: int, first_year: int, seed: int) -> Design:
    p = calibration()["paths"]
    base = _rng(seed, county.county_code, "design")  # county traits, same every year
    rng = _rng(seed, county.county_code, year, "design")
    t = year - first_year
    universal = county.preschool_universal_from is not None and year >= county.preschool_universal_from
    ger = min(_u(base, p["preschool_gross_2022"]) + t * _u(base, p["preschool_gross_step"]), 0.985)
    inclusive = min(
        _u(base, p["kindergarten_inclusive_share_2022"]) + t * _u(base, p["kindergarten_inclusive_step"]), 0.97
    )
    ratio, compliance, certified = rng.uniform(12.6, 14.3), rng.uniform(0.88, 0.96), 1.0
    if universal:
        ger = max(ger, 0.88)
    else:
        # Not yet 普及普惠: some teachers still uncertified, and often too few teachers or crowded classes.
        certified = rng.uniform(0.94, 0.985)
        if rng.random() < 0.5:
            ratio = rng.uniform(15.6, 17.5)
        if rng.random() < 0.4:
            compliance = rng.uniform(0.72, 0.82)
    balanced = county.balanced_from is not None and year >= county.balanced_from
    return Design(
        preschool_gross=ger,
        public_share=_u(base, p["kindergarten_public_share"]),
        inclusive_share=inclusive,
        children_per_teacher=ratio,
        class_compliance=compliance,
        certified_share=certified,
        primary_gross=_u(base, p["primary_gross"]),
        junior_gross=_u(base, p["junior_gross"]),
        senior_stage_gross=_u(base, p["senior_stage_gross_2022"]) + t * _u(base, p["senior_stage_gross_step"]),
        vocational_share=_u(base, p["vocational_share_of_senior_stage"]),
        balanced=balanced,
        fail_share=0.0 if balanced else max(0.04, _u(base, [0.12, 0.24]) - 0.03 * t),
        skewed=_skewed(county, year),
        rural_bachelor_share=_u(rng, _by_year(p["rural_bachelor_share"], year)),
        dual_qualified_share=_u(rng, _by_year(p["dual_qualified_share"], year)),
        digital_share=_u(rng, _by_year(p["digital_classroom_share"], year)),
        fiber_share=_u(rng, _by_year(p["fiber_share"], year)),
        safe_share=_u(rng, _by_year(p["safe_campus_share"], year)),
    )


def _skewed(county: County, year: int) -> tuple[str, str] | None:
    """The designed uneven resource of a county-year (calibration.yml lincang.cv_skew), if any."""
    spec = (county.extra.get("cv_skew") or {}).get(year)
    return (spec["stage"], spec["resource"]) if spec else None


CLASS_SIZE = {"kindergarten": 27, "primary": 38, "junior": 46, "senior": 50, "vocational": 42, "special": 9}
STUDENTS_PER_TEACHER = {"kindergarten": 14, "senior": 12.8, "vocational": 19.5, "special": 4.2}


def _parts(roster: pd.DataFrame) -> pd.DataFrame:
    """One row per school and 学段 it serves (a 附设幼儿班 is the school's kindergarten 学段)."""
    attached = roster["has_preschool_class"] if "has_preschool_class" in roster else pd.Series(False, roster.index)
    rows = [
        (i, stage)
        for i, t in roster["school_type"].items()
        for stage in STAGES_OF_TYPE[t] + (("kindergarten",) if attached[i] else ())
    ]
    parts = pd.DataFrame(rows, columns=["pos", "stage"]).join(roster, on="pos")
    is_class = ((parts["stage"] == "kindergarten") & (parts["school_type"] != "kindergarten")).to_numpy()
    parts.loc[is_class, "size_weight"] = parts.loc[is_class, "size_weight"] * ATTACHED_PRESCHOOL_SIZE
    return parts


def _stage_totals(d: Design, pop: dict, rng: np.random.Generator, n_special: int, special_level: int) -> dict[str, int]:
    stage_total = d.senior_stage_gross * pop["pop_age15_17"]
    return {
        "kindergarten": int(round(d.preschool_gross * pop["pop_age3_5"])),
        "primary": int(round(d.primary_gross * pop["pop_age6_11"])),
        "junior": int(round(d.junior_gross * pop["pop_age12_14"])),
        "senior": int(round(stage_total * (1 - d.vocational_share))),
        "vocational": int(round(stage_total * d.vocational_share)),
        # 特教 pupils include those taught at home (送教上门), found afresh by each year's survey: they swing
        # around the county's lasting level, the teachers do not (see _teacher_row).
        "special": int(round(special_level * rng.uniform(0.85, 1.2))) * n_special,
    }


def _kindergarten_students(parts: pd.DataFrame, total: int, d: Design, rng: np.random.Generator) -> pd.Series:
    kg = parts[parts["stage"] == "kindergarten"]
    public = kg["is_public"].to_numpy(dtype=bool)
    out = np.zeros(len(kg), dtype=int)
    public_total = int(round(total * d.public_share))
    out[public] = _allocate(public_total, kg["size_weight"].to_numpy()[public])
    out[~public] = _allocate(total - public_total, kg["size_weight"].to_numpy()[~public])
    return pd.Series(np.maximum(out, 8), index=kg.index)


def _inclusive_flags(parts: pd.DataFrame, students: pd.Series, d: Design, rng: np.random.Generator) -> pd.Series:
    """Mark private kindergartens 普惠性 until the designed coverage is reached."""
    kg = parts[parts["stage"] == "kindergarten"]
    flags = pd.Series(kg["is_public"].to_numpy(dtype=bool), index=kg.index)
    total = students.loc[kg.index].sum()
    covered = students.loc[kg.index][flags].sum()
    for idx in rng.permutation(kg.index[~flags.to_numpy()]):
        if covered / total >= d.inclusive_share:
            break
        flags[idx] = True
        covered += students[idx]
    return flags


def _quantize(target: float, students: float, status: str, threshold: float, per: float = 100.0) -> int:
    """A count whose value per ``per`` students is above, just under (≥86%) or well below the threshold."""
    exact = target * students / per
    if status == "fail":
        return int(math.floor(exact))
    if status == "below":  # under the threshold (rounding must not lift it over), at least 86 % of it
        under = math.ceil(threshold * students / per - 1e-9) - 1
        return int(max(min(round(exact), under), math.ceil(0.86 * threshold * students / per - 1e-9)))
    return int(math.ceil(exact - 1e-9))


#: A school's resource indicators as multiples of the 优质均衡 threshold, by standing: ``strong`` for the
#: indicators it meets with room to spare, ``recovered`` for its two weak ones once they meet the threshold,
#: ``below`` for the one weak indicator under the threshold but above 85% of it, ``fail`` for both under 85%.
#: The bands keep the step between standings (fail → below → pass) under a half, so a school's counts change
#: as a real one's do.
LEVELS = {"strong": (1.08, 1.45), "recovered": (1.02, 1.06), "below": (0.88, 0.97), "fail": (0.78, 0.84)}
#: Year-to-year change of a level (±), and of a school's share of qualified teachers.
LEVEL_DRIFT = 0.02
#: Share of a county's schools (in the order of their standing) with one weak indicator below the threshold.
BELOW_SHARE = 0.3


@cache
def _standing(seed: int, school_id: str) -> dict:
    """A school's lasting traits, drawn once from its id: its rank among the county's schools (the weakest
    fail first and improve last), its two weak indicators, and the level of each indicator by standing."""
    rng = _rng(seed, school_id, "standing")
    weak = [str(k) for k in rng.choice(list(RESOURCE), size=2, replace=False)]
    return {
        "rank": float(rng.random()),
        "weak": weak,
        "levels": {k: float(rng.uniform(*LEVELS["recovered" if k in weak else "strong"])) for k in RESOURCE},
        "below": float(rng.uniform(*LEVELS["below"])),
        "fail": {k: float(rng.uniform(*LEVELS["fail"])) for k in weak},
        "qualified_share": {"primary": float(rng.uniform(0.87, 0.96)), "junior": float(rng.uniform(0.8, 0.93))},
        "staffing": float(rng.uniform(0.92, 1.08)),  # teachers against the 学段's usual students per teacher
    }


def _school_plan(seed: int, school_id: str, year: int, fail_share: float) -> dict:
    """One school-year: pass / one indicator below (≥85%) / fail, and a multiplier per indicator.

    The status follows the school's lasting rank against the county's fail share of the year, which only
    falls (or drops to 0 once the county is 优质均衡): a school goes fail → below → pass, never back.
    """
    standing = _standing(seed, school_id)
    rng = _rng(seed, school_id, year, "drift")
    drift = {k: float(rng.uniform(1 - LEVEL_DRIFT, 1 + LEVEL_DRIFT)) for k in RESOURCE}
    rank = standing["rank"]
    status = "fail" if rank < fail_share else ("below" if rank < fail_share + BELOW_SHARE else "pass")
    statuses = dict.fromkeys(RESOURCE, "pass")
    mult = {k: max(standing["levels"][k] * drift[k], 1.01) for k in RESOURCE}
    if status == "fail":
        for k in standing["weak"]:
            mult[k], statuses[k] = min(standing["fail"][k] * drift[k], 0.84), "fail"
    elif status == "below":
        k = standing["weak"][0]
        mult[k], statuses[k] = min(max(standing["below"] * drift[k], 0.87), 0.98), "below"
    qualified = {
        s: float(np.clip(share * rng.uniform(1 - LEVEL_DRIFT / 2, 1 + LEVEL_DRIFT / 2), 0.78, 0.97))
        for s, share in standing["qualified_share"].items()
    }
    staffing = standing["staffing"] * rng.uniform(1 - LEVEL_DRIFT, 1 + LEVEL_DRIFT)
    return {"mult": mult, "status": statuses, "qualified_share": qualified, "staffing": float(staffing)}


def _resource_plan(roster: pd.DataFrame, d: Design, rng: np.random.Generator, seed: int, year: int) -> dict[int, dict]:
    """Per school of the county-year: its plan (:func:`_school_plan`), and the designed uneven resource."""
    plans = {pos: _school_plan(seed, roster.at[pos, "school_id"], year, d.fail_share) for pos in roster.index}
    if d.skewed is not None:
        # Well-equipped 城区 schools (and a few others) far above the rest: every school passes,
        # the 差异系数 of this resource does not.
        stage, resource = d.skewed
        serving = [pos for pos in roster.index if STAGES_OF_TYPE[roster.at[pos, "school_type"]] == (stage,)]
        rich = [pos for pos in serving if roster.at[pos, "urban_rural"] == "urban"]
        rich += [pos for pos in serving if pos not in rich and rng.random() < 0.15]
        for pos in serving:
            plans[pos]["mult"][resource] = float(rng.uniform(3.4, 3.9) if pos in rich else rng.uniform(1.0, 1.08))
            plans[pos]["status"][resource] = "pass"
    return plans


def county_year(universe: Universe, county: County, year: int) -> dict[str, pd.DataFrame]:
    """School-level rows of one county and year, drawn to fit the county's design."""
    seed = universe.seed
    rng = _rng(seed, county.county_code, year, "schools")
    d = design(county, year, universe.years[0], seed)
    pop = population(county, year, seed)
    roster = schools_in(universe, year)
    roster = roster[roster["county_code"] == county.county_code].reset_index(drop=True)
    parts = _parts(roster)
    n_special = int((roster["school_type"] == "special").sum())
    special_level = int(_rng(seed, county.county_code, "special").integers(120, 260))
    totals = _stage_totals(d, pop, rng, n_special, special_level)

    students = pd.Series(0, index=parts.index, dtype=int)
    students.update(_kindergarten_students(parts, totals["kindergarten"], d, rng))
    for stage in ("primary", "junior", "senior", "vocational", "special"):
        idx = parts.index[parts["stage"] == stage]
        weights = parts.loc[idx, "size_weight"].to_numpy()
        students.loc[idx] = np.maximum(_allocate(totals[stage], weights), 12)
    parts["student_count"] = students
    inclusive = _inclusive_flags(parts, students, d, rng)
    roster["is_inclusive"] = pd.NA
    for idx, flag in inclusive.items():
        roster.loc[parts.at[idx, "pos"], "is_inclusive"] = bool(flag)

    plans = _resource_plan(roster, d, rng, seed, year)
    for plan in plans.values():
        plan["special_level"] = special_level
    records = parts.to_dict("records")
    by_school: dict[int, list[dict]] = {}
    for part in records:
        by_school.setdefault(part["pos"], []).append(part)
    enrollment = pd.DataFrame([_enrollment_row(part, d, rng) for part in records], index=parts.index)
    teachers = pd.DataFrame([_teacher_row(part, plans[part["pos"]], d, rng) for part in records], index=parts.index)
    _kindergarten_teachers(teachers, parts, d, rng)
    facilities = pd.DataFrame(
        [
            _facility_row(school, by_school[pos], plans[pos], d, rng)
            for pos, school in zip(roster.index, roster.to_dict("records"), strict=True)
        ]
    )
    classes = enrollment.pivot_table(index="school_id", columns="stage", values="_classes", aggfunc="sum")
    for stage in CLASS_SIZE:
        roster[f"{stage}_class_count"] = roster["school_id"].map(classes[stage]) if stage in classes else pd.NA
    roster["year"] = year
    for frame in (enrollment, teachers, facilities):
        frame["year"] = year
        frame["county_code"] = county.county_code
    return {
        "schools": roster,
        "enrollment": enrollment.drop(columns="_classes"),
        "teachers": teachers,
        "facilities": facilities,
        "population": pd.DataFrame([pop]),
        "_design": d,
    }


def _enrollment_row(part: dict, d: Design, rng: np.random.Generator) -> dict:
    stage, n = part["stage"], int(part["student_count"])
    grades = {"kindergarten": 3, "primary": 6, "junior": 3, "senior": 3, "vocational": 3, "special": 9}[stage]
    classes = (
        max(1, math.ceil(n / CLASS_SIZE[stage])) if part["school_type"] != "teaching_point" else max(1, min(6, n // 8))
    )
    entry = int(round(n / grades * rng.uniform(0.95, 1.08)))
    oversize = 0
    if stage == "kindergarten":
        oversize = int(round(classes * (1 - d.class_compliance) * rng.uniform(0.6, 1.4)))
    elif stage in ("primary", "junior") and part["urban_rural"] == "urban" and not d.balanced:
        oversize = int(rng.binomial(classes, 0.08))
    compulsory = stage in ("primary", "junior")
    return {
        "school_id": part["school_id"],
        "stage": stage,
        "student_count": n,
        "entry_grade_student_count": min(entry, n),
        "new_entrant_count": int(round(entry * rng.uniform(0.97, 1.0))),
        "graduate_count": int(round(n / grades * rng.uniform(0.93, 1.0))),
        "transfer_in_count": int(rng.poisson(n * 0.01)) if rng.random() > 0.01 else pd.NA,
        "transfer_out_count": int(rng.poisson(n * 0.012)) if rng.random() > 0.01 else pd.NA,
        "inclusive_disabled_student_count": int(rng.binomial(n, 0.004)) if compulsory else pd.NA,
        "oversize_class_count": min(oversize, classes),
        "large_class_count": int(rng.binomial(oversize, 0.3)) if stage != "kindergarten" else 0,
        "_classes": classes,
    }


def _teacher_row(part: dict, plan: dict, d: Design, rng: np.random.Generator) -> dict:
    stage, n = part["stage"], int(part["student_count"])
    row = {
        "school_id": part["school_id"],
        "stage": stage,
        "nursery_staff_count": pd.NA,
        "vocational_subject_teacher_count": pd.NA,
        "dual_qualified_teacher_count": pd.NA,
    }
    if stage in ("primary", "junior"):
        j = 0 if stage == "primary" else 1
        counts = {}
        for k in ("qualified_teachers_per_100", "backbone_teachers_per_100", "pe_arts_teachers_per_100"):
            thr = RESOURCE[k][j]
            counts[k] = _quantize(thr * plan["mult"][k], n, plan["status"][k], thr)
        qualified_share = plan["qualified_share"][stage]
        total = max(
            math.ceil(counts["qualified_teachers_per_100"] / qualified_share),
            counts["backbone_teachers_per_100"],
            counts["pe_arts_teachers_per_100"] + 1,
            1,
        )
        qualified = counts["qualified_teachers_per_100"]
        if stage == "primary":
            bachelor_plus = min(qualified, int(round(d.rural_bachelor_share * total)))
            postgrad = min(bachelor_plus, int(rng.binomial(total, 0.01)))
            row |= {
                "teacher_postgrad_count": postgrad,
                "teacher_bachelor_count": bachelor_plus - postgrad,
                "teacher_associate_count": qualified - bachelor_plus,
                "teacher_below_associate_count": total - qualified,
            }
        else:
            postgrad = min(qualified, int(rng.binomial(total, 0.03)))
            rest = total - qualified
            associate = int(round(rest * 0.85))
            row |= {
                "teacher_postgrad_count": postgrad,
                "teacher_bachelor_count": qualified - postgrad,
                "teacher_associate_count": associate,
                "teacher_below_associate_count": rest - associate,
            }
        pe_arts = _allocate(counts["pe_arts_teachers_per_100"], np.array([0.45, 0.3, 0.25]))
        row |= {
            "full_time_teacher_count": total,
            "backbone_teacher_count": counts["backbone_teachers_per_100"],
            "pe_teacher_count": int(pe_arts[0]),
            "music_teacher_count": int(pe_arts[1]),
            "art_teacher_count": int(pe_arts[2]),
            "certified_teacher_count": total,
        }
    elif stage != "kindergarten":
        # 特教 teachers follow the school's lasting pupils, not the year's survey of pupils taught at home.
        pupils = plan["special_level"] if stage == "special" else n
        total = max(2, int(round(pupils / STUDENTS_PER_TEACHER[stage] * plan["staffing"])))
        bachelor = int(round(total * rng.uniform(0.8, 0.95)))
        postgrad = int(rng.binomial(bachelor, 0.08))
        associate = total - bachelor
        pe_arts = _allocate(max(1, int(round(n * 0.011))), np.array([0.45, 0.3, 0.25]))
        row |= {
            "full_time_teacher_count": total,
            "teacher_postgrad_count": postgrad,
            "teacher_bachelor_count": bachelor - postgrad,
            "teacher_associate_count": associate,
            "teacher_below_associate_count": 0,
            "backbone_teacher_count": int(round(total * rng.uniform(0.05, 0.15))),
            "pe_teacher_count": int(pe_arts[0]),
            "music_teacher_count": int(pe_arts[1]),
            "art_teacher_count": int(pe_arts[2]),
            "certified_teacher_count": total - int(rng.binomial(total, 0.02)),
        }
        if stage == "vocational":
            subject = int(round(total * rng.uniform(0.55, 0.7)))
            row |= {
                "vocational_subject_teacher_count": subject,
                "dual_qualified_teacher_count": int(round(subject * d.dual_qualified_share * rng.uniform(0.9, 1.1))),
            }
            row["dual_qualified_teacher_count"] = min(row["dual_qualified_teacher_count"], subject)
    row["staff_count"] = (
        row.get("full_time_teacher_count", 0)
        + int(rng.integers(1, 4))
        + int(round(row.get("full_time_teacher_count", 0) * 0.08))
    )
    return row


def _kindergarten_teachers(teachers: pd.DataFrame, parts: pd.DataFrame, d: Design, rng: np.random.Generator) -> None:
    """County-level 师幼比 and 持证 are designed, so kindergarten teachers are allocated together."""
    kg = parts.index[parts["stage"] == "kindergarten"]
    if not len(kg):
        return
    children = parts.loc[kg, "student_count"].to_numpy()
    total = math.ceil(children.sum() / d.children_per_teacher)
    each = np.maximum(_allocate(total - len(kg), children.astype(float)) + 1, 1)
    uncertified_total = int(round(each.sum() * (1 - d.certified_share)))
    uncertified = _allocate(uncertified_total, each.astype(float))
    uncertified = np.minimum(uncertified, each)
    bachelor = np.array([rng.binomial(t, 0.35) for t in each])
    associate = np.array([rng.binomial(t - b, 0.75) for t, b in zip(each, bachelor, strict=True)])
    classes = np.maximum(1, np.ceil(children / CLASS_SIZE["kindergarten"]).astype(int))
    nursery = np.maximum(1, (classes * rng.uniform(0.6, 1.0, len(kg))).round().astype(int))
    # 园长: 1 under 6 classes, 2 for 6–9, 3 from 10 (教职工配备标准); a 附设幼儿班 has none of its own.
    own = (parts.loc[kg, "school_type"] == "kindergarten").to_numpy()
    principals = np.where(own, np.select([classes < 6, classes < 10], [1, 2], 3), 0)
    uncertified_principals = np.array([rng.binomial(n, 1 - d.certified_share) for n in principals])
    teachers.loc[kg, "full_time_teacher_count"] = each
    teachers.loc[kg, "teacher_postgrad_count"] = 0
    teachers.loc[kg, "teacher_bachelor_count"] = bachelor
    teachers.loc[kg, "teacher_associate_count"] = associate
    teachers.loc[kg, "teacher_below_associate_count"] = each - bachelor - associate
    teachers.loc[kg, "backbone_teacher_count"] = [int(rng.binomial(t, 0.06)) for t in each]
    teachers.loc[kg, "certified_teacher_count"] = each - uncertified
    teachers.loc[kg, "nursery_staff_count"] = nursery
    teachers.loc[kg, "principal_count"] = principals
    teachers.loc[kg, "certified_principal_count"] = principals - uncertified_principals
    teachers.loc[kg, "staff_count"] = each + nursery + principals + rng.integers(1, 4, len(kg))
    for col in ("pe_teacher_count", "music_teacher_count", "art_teacher_count"):
        teachers.loc[kg, col] = pd.NA


def _facility_row(school: dict, parts: list[dict], plan: dict, d: Design, rng: np.random.Generator) -> dict:
    assessed = [p for p in parts if p["stage"] in ("primary", "junior")]
    # The assessment splits shared facilities between 小学/初中/高中 only (a 附设幼儿班 takes no share).
    weighted = float(sum(STAGE_WEIGHT[p["stage"]] * p["student_count"] for p in parts if p["stage"] in STAGE_WEIGHT))
    n_all = int(sum(p["student_count"] for p in parts))
    classes = int(sum(max(1, math.ceil(p["student_count"] / CLASS_SIZE[p["stage"]])) for p in parts))
    resources_ = {}
    if assessed:
        for k in SHARED:
            per = 1.0 if k.endswith(("_m2", "_yuan")) else 100.0
            needs = []
            for part in assessed:
                j = 0 if part["stage"] == "primary" else 1
                thr = RESOURCE[k][j]
                w = STAGE_WEIGHT[part["stage"]]
                # value of the part = R * w / weighted, so R = target * weighted / w
                needs.append(_quantize(thr * plan["mult"][k], weighted / w, plan["status"][k], thr, per))
            resources_[k] = max(needs) if plan["status"][k] != "fail" else min(needs)
        teaching_room = resources_["teaching_room_area_per_student_m2"]
        sports_total = resources_["sports_area_per_student_m2"]
        equipment = math.ceil(resources_["equipment_value_per_student_yuan"] / 100) * 100
        multimedia = resources_["multimedia_classrooms_per_100"]
    else:
        teaching_room = int(round(n_all * rng.uniform(5.0, 9.0)))
        sports_total = int(round(n_all * rng.uniform(6.0, 14.0)))
        equipment = int(round(n_all * rng.uniform(900, 4500) / 100)) * 100
        multimedia = int(round(classes * rng.uniform(0.5, 1.0)))
    indoor = min(int(round(teaching_room * rng.uniform(0.03, 0.1))), sports_total)
    classroom_count = max(classes, multimedia) + int(rng.integers(0, 3))
    return {
        "school_id": school["school_id"],
        "teaching_aux_area_m2": float(teaching_room + indoor),
        "indoor_sports_area_m2": float(indoor),
        "sports_ground_area_m2": float(sports_total - indoor),
        "equipment_value_yuan": float(equipment),
        "classroom_count": classroom_count,
        "multimedia_classroom_count": multimedia,
        "digital_classroom_count": int(rng.binomial(classroom_count, d.digital_share)),
        "has_fiber_network": bool(rng.random() < d.fiber_share),
        "is_safe_campus": bool(rng.random() < d.safe_share),
    }


#: Grades per 学段 in 临沧 (6+3+3: 初中 has 3 grades; the forms allow 4).
GRADES = {"primary": 6, "junior": 3, "senior": 3}
#: Children in a kindergarten by age (311: 2岁及以下 … 6岁及以上), 3–5 the bulk.
AGE_WEIGHTS = {2: 0.04, 3: 0.31, 4: 0.32, 5: 0.30, 6: 0.03}
#: 学段 the 331 table (学生变动情况) covers: 中职 report their flows elsewhere.
FLOW_STAGES = ("kindergarten", "primary", "junior", "senior", "special")
#: Small yearly flows per student (复学, 结业, 休学, 退学, 死亡) by 学段.
FLOW_RATES = {
    "resumed": {"kindergarten": 0.0, "primary": 0.002, "junior": 0.003, "senior": 0.003, "special": 0.004},
    "completed": {"kindergarten": 0.0, "primary": 0.0, "junior": 0.0, "senior": 0.002, "special": 0.01},
    "suspended": {"kindergarten": 0.0, "primary": 0.002, "junior": 0.003, "senior": 0.004, "special": 0.006},
    "dropped_out": {"kindergarten": 0.004, "primary": 0.0003, "junior": 0.002, "senior": 0.006, "special": 0.004},
    "died": {"kindergarten": 0.0002, "primary": 0.0002, "junior": 0.0002, "senior": 0.0002, "special": 0.001},
}


#: 专任教师 age bands of the forms (4212 / 422 / 4153: 24岁及以下, 25-29岁 … 60岁及以上) by their lower bound
#: (0: none printed), and a rural teaching force's rough shape across them; the 学段 the forms give them for.
TEACHER_AGE_BANDS = {0: 0.05, 25: 0.13, 30: 0.14, 35: 0.13, 40: 0.13, 45: 0.13, 50: 0.14, 55: 0.12, 60: 0.03}
TEACHER_AGE_STAGES = ("kindergarten", "primary", "junior", "senior")


def _allocate_rows(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise :func:`_allocate`: each row of ``weights`` shares out its total (largest remainder)."""
    totals = np.maximum(np.asarray(totals, dtype=int), 0)
    if not len(totals):
        return np.zeros(weights.shape, dtype=int)
    share = weights / weights.sum(axis=1, keepdims=True) * totals[:, None]
    base = np.floor(share).astype(int)
    rest = totals - base.sum(axis=1)
    order = np.argsort(-(share - base), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(weights.shape[1])[None, :].repeat(len(totals), 0), axis=1)
    return base + (rank < rest[:, None])


def _by_county_year(enrollment: pd.DataFrame, seed: int, purpose: str):
    """(group, rng) per county and year: one reproducible stream each, whatever else is generated."""
    for (county, year), group in enrollment.groupby(["county_code", "year"], sort=True):
        yield group, _rng(seed, county, int(year), purpose)


def _grade_enrollment(enrollment: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Students by grade: grade 1 is the entry grade (起始年级), the rest shared out nearly evenly."""
    frames = []
    for stage, n_grades in GRADES.items():
        for group, rng in _by_county_year(enrollment[enrollment["stage"] == stage], seed, f"grades_{stage}"):
            total = group["student_count"].to_numpy(dtype=int)
            first = np.minimum(group["entry_grade_student_count"].fillna(0).to_numpy(dtype=int), total)
            later = _allocate_rows(total - first, rng.uniform(0.92, 1.08, (len(group), n_grades - 1)))
            counts = np.column_stack([first, later])
            frames.append(
                pd.DataFrame(
                    {
                        "school_id": np.repeat(group["school_id"].to_numpy(), n_grades),
                        "year": np.repeat(group["year"].to_numpy(), n_grades),
                        "county_code": np.repeat(group["county_code"].to_numpy(), n_grades),
                        "stage": stage,
                        "grade": np.tile(np.arange(1, n_grades + 1), len(group)),
                        "student_count": counts.ravel(),
                    }
                )
            )
    return typed_detail("grade_enrollment", pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def _kindergarten_ages(enrollment: pd.DataFrame, seed: int) -> pd.DataFrame:
    """在园 children by age (311), 2 = 2岁及以下 and 6 = 6岁及以上, summing to the 学段's children."""
    ages = np.array(list(AGE_WEIGHTS))
    frames = []
    for group, rng in _by_county_year(enrollment[enrollment["stage"] == "kindergarten"], seed, "ages"):
        weights = np.array(list(AGE_WEIGHTS.values()))[None, :] * rng.uniform(0.8, 1.2, (len(group), len(ages)))
        counts = _allocate_rows(group["student_count"].to_numpy(dtype=int), weights)
        frames.append(
            pd.DataFrame(
                {
                    "school_id": np.repeat(group["school_id"].to_numpy(), len(ages)),
                    "year": np.repeat(group["year"].to_numpy(), len(ages)),
                    "county_code": np.repeat(group["county_code"].to_numpy(), len(ages)),
                    "age": np.tile(ages, len(group)),
                    "student_count": counts.ravel(),
                }
            )
        )
    return typed_detail("kindergarten_ages", pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def _teacher_ages(teachers: pd.DataFrame, seed: int) -> pd.DataFrame:
    """专任教师 by age band, summing to each 学段's full_time_teacher_count; the top band open (age_upper NA)."""
    lowers = np.array(list(TEACHER_AGE_BANDS))
    uppers = [*(int(x) - 1 for x in lowers[1:]), pd.NA]
    rows = teachers[teachers["stage"].isin(TEACHER_AGE_STAGES) & teachers["full_time_teacher_count"].notna()]
    frames = []
    for group, rng in _by_county_year(rows, seed, "teacher_ages"):
        shape = np.array(list(TEACHER_AGE_BANDS.values()))[None, :]
        counts = _allocate_rows(
            group["full_time_teacher_count"].to_numpy(dtype=int),
            shape * rng.uniform(0.6, 1.4, (len(group), len(lowers))),
        )
        frames.append(
            pd.DataFrame(
                {
                    "school_id": np.repeat(group["school_id"].to_numpy(), len(lowers)),
                    "year": np.repeat(group["year"].to_numpy(), len(lowers)),
                    "county_code": np.repeat(group["county_code"].to_numpy(), len(lowers)),
                    "stage": np.repeat(group["stage"].to_numpy(), len(lowers)),
                    "age_lower": np.tile(lowers, len(group)),
                    "age_upper": uppers * len(group),
                    "teacher_count": counts.ravel(),
                }
            )
        )
    return typed_detail("teacher_ages", pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def _student_flows(enrollment: pd.DataFrame, schools: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The 331 table per school and 学段: start + Σ in − Σ out = end, every year.

    ``end`` is the year's student count and ``start`` last year's where the school had the 学段
    last year (0 for a school opened this year; in the sample's first year, what the flows imply).
    招生 (admitted), 毕业, 转入 and 转出 are the enrollment table's figures (NA stays NA: not
    reported, counted as none); 复学 … 死亡 are small draws, and the difference left over is
    其他增加 or 其他减少.
    """
    first_year = int(enrollment["year"].min()) if len(enrollment) else 0
    counts = enrollment.set_index(["school_id", "stage", "year"])["student_count"]
    opened = schools.drop_duplicates("school_id").set_index("school_id")["opened_year"]
    frames = []
    for group, rng in _by_county_year(enrollment[enrollment["stage"].isin(FLOW_STAGES)], seed, "flows"):
        n = len(group)
        end = group["student_count"].to_numpy(dtype=int)
        stage = group["stage"].to_numpy()
        year = int(group["year"].iloc[0])
        flows: dict[str, np.ndarray] = {
            "admitted": group["new_entrant_count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            "graduated": group["graduate_count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            "transferred_in": group["transfer_in_count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            "transferred_out": group["transfer_out_count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        }
        for flow, rates in FLOW_RATES.items():
            flows[flow] = rng.binomial(end, [rates[s] for s in stage]).astype(float)
        flows["other_in"] = np.zeros(n)
        flows["other_out"] = np.zeros(n)
        net = sum(np.nan_to_num(flows[f]) for f in FLOWS_IN) - sum(np.nan_to_num(flows[f]) for f in FLOWS_OUT)
        keys = list(zip(group["school_id"], group["stage"], [year - 1] * n, strict=True))
        last = counts.reindex(keys).to_numpy(dtype=float, na_value=np.nan)
        new = group["school_id"].map(opened).to_numpy(dtype=float) >= year
        start = np.where(np.isnan(last), np.where(new | (year > first_year), 0.0, end - net), last)
        start = np.maximum(start, 0.0)
        rest = end - start - net
        flows["other_in"] = np.maximum(rest, 0.0)
        flows["other_out"] = np.maximum(-rest, 0.0)
        flows["start"], flows["end"] = start, end.astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "school_id": np.repeat(group["school_id"].to_numpy(), len(FLOWS)),
                    "year": year,
                    "county_code": np.repeat(group["county_code"].to_numpy(), len(FLOWS)),
                    "stage": np.repeat(stage, len(FLOWS)),
                    "flow": np.tile(np.array(FLOWS), n),
                    "student_count": pd.array(np.column_stack([flows[f] for f in FLOWS]).ravel(), dtype="Float64"),
                }
            )
        )
    return typed_detail("student_flows", pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def _disability(county: County, year: int, seed: int, pop: dict, enrollment: pd.DataFrame) -> dict:
    rng = _rng(seed, county.county_code, year, "disability")
    rate = _u(rng, _by_year(calibration()["paths"]["disabled_enrolled_rate"], year))
    inclusive = int(enrollment["inclusive_disabled_student_count"].sum())
    special = int(enrollment.loc[enrollment["stage"] == "special", "student_count"].sum() * 0.8)
    home = int(round(inclusive * rng.uniform(0.12, 0.2)))
    enrolled = inclusive + special + home
    return {
        "county_code": county.county_code,
        "year": year,
        "disabled_school_age_count": int(math.ceil(enrolled / rate)),
        "enrolled_inclusive_count": inclusive,
        "enrolled_special_school_count": special,
        "enrolled_home_delivery_count": home,
    }


def _ledger(
    county: County, year: int, seed: int, share: float, enrollment: pd.DataFrame, roster: pd.DataFrame, first_year: int
) -> dict:
    cal = calibration()
    rng = _rng(seed, county.county_code, year, "ledger")
    progress = _by_year(cal["ledger_progress"], year) if isinstance(cal["ledger_progress"], dict) else 1.0
    row = {"county_code": county.county_code, "year": year}
    for key, city_total in cal["ledger_city_2025"].items():
        value = city_total * share * progress * rng.uniform(0.9, 1.1)
        row[key] = int(math.floor(value)) if value < 3 else int(round(value))
    t = year - first_year
    row["demo_kindergarten_count"] = int(min(1 + t, 3) if rng.random() < 0.5 + 0.2 * t else 0)
    senior_public = int(
        ((roster["school_type"].isin(["senior", "complete_secondary", "twelve_year"])) & roster["is_public"]).sum()
    )
    row["trusteeship_high_school_count"] = min(senior_public, int(t >= 1) + int(t >= 3 and senior_public > 1))
    row["private_high_school_count"] = int(((roster["school_type"] == "senior") & ~roster["is_public"]).sum())
    row["physical_health_good_pct"] = round(rng.uniform(46, 52) + 2.2 * t, 1)
    row["myopia_pct"] = round(rng.uniform(44, 50) - 1.1 * t, 1)
    junior_graduates = int(enrollment.loc[enrollment["stage"] == "junior", "graduate_count"].sum())
    r9 = _u(rng, _by_year(cal["paths"]["nine_year_retention"], year))
    r3 = _u(rng, cal["paths"]["junior_three_year_retention"])
    row["nine_year_cohort_base_count"] = int(math.ceil(junior_graduates / r9))
    # The cohort's three-year transfers (初中三年巩固率 counts them out): the base keeps the designed rate.
    t_rng = _rng(seed, county.county_code, year, "cohort_transfers")
    transfer_in = int(t_rng.binomial(junior_graduates, 0.02))
    transfer_out = int(t_rng.binomial(junior_graduates, 0.03))
    row["junior_cohort_transfer_in_count"] = transfer_in
    row["junior_cohort_transfer_out_count"] = transfer_out
    row["junior_cohort_base_count"] = int(math.ceil((junior_graduates - transfer_in + transfer_out) / r3))
    return row


_EVIDENCE_MET = (
    "查阅{county}教育体育局{year}年相关文件、台账和经费决算；抽查{n}所学校，符合要求。",
    "{county}人民政府督导室{year}年自评：已印发实施方案并落实，现场核查{n}所学校，达到要求。",
    "县级自评报告及佐证材料齐全；督导组抽查{n}所学校，未发现问题。",
)
_EVIDENCE_NOT_MET = (
    "抽查{n}所学校，其中{k}所未达到要求；已列入{next_year}年整改清单。",
    "{county}{year}年该项尚未落实到位，佐证材料不全；督导组要求限期整改。",
    "核查发现{k}所学校不符合要求，县级已制定整改方案，尚未完成。",
)


def _checklist(county: County, year: int, seed: int, balanced: bool, universal: bool) -> list[dict]:
    """The county's 督导评估清单 rows of one year, or none when the design says it sent no checklist.

    A county-year designed to meet an assessment meets every item of it; otherwise each item
    is missed with some probability (a few are always missed somewhere), and 社会认可度 is a
    survey value judged against its 85 % threshold.
    """
    spec = calibration()["lincang"].get("checklist", {})
    if year in (spec.get("missing", {}).get(county.county_code) or []):
        return []
    rng = _rng(seed, county.county_code, year, "checklist")
    rows = []
    for item in assessment_items():
        achieved = balanced if item["assessment"] == "compulsory_balanced" else universal
        n = int(rng.integers(6, 19))
        row = {
            "county_code": county.county_code,
            "year": year,
            "item_code": item["item"],
            "item_value": pd.NA,
            "unit": pd.NA,
        }
        if item["dimension"] == "recognition":  # 社会认可度: a survey, judged against its threshold
            low, high = spec["satisfaction_met"] if achieved else spec["satisfaction_other"]
            value = round(float(rng.uniform(low, high)), 1)
            met = value >= spec["satisfaction_threshold"]
            row |= {
                "item_value": value,
                "unit": "%",
                "is_met": met,
                "evidence": f"问卷调查{int(rng.integers(600, 2400))}份"
                "（学生、家长、教师、校长、人大代表、政协委员及群众），"
                f"满意度{value:.1f}%。",
            }
        else:
            met = achieved or rng.random() >= spec["miss_probability"]
            templates = _EVIDENCE_MET if met else _EVIDENCE_NOT_MET
            text = templates[int(rng.integers(0, len(templates)))]
            row |= {
                "is_met": bool(met),
                "evidence": text.format(
                    county=county.short_name_zh, year=year, n=n, k=int(rng.integers(1, 4)), next_year=year + 1
                ),
            }
        # As the reader stores text cells (NFKC: "，" → ","), so the round trip gives the truth back.
        row["evidence"] = unicodedata.normalize("NFKC", row["evidence"])
        rows.append(row)
    return rows


def _city(year: int, vocational_school_count: int) -> dict:
    paths = calibration()["city_paths"]
    row = {"year": year, "vocational_school_count": vocational_school_count}
    for key, spec in paths.items():
        value = _by_year(spec, year)
        if key == "vocational_school_compliant_share":
            row["vocational_school_compliant_count"] = int(round(vocational_school_count * value))
        else:
            row[key] = value
    return row


def build_truth(
    counties: list[County],
    years: list[int],
    seed: int,
    density: float = 1.0,
    with_city: bool = True,
    with_checklist: bool | None = None,
) -> dict[str, pd.DataFrame]:
    """Every processed table of the sample, in the processed schema and order.

    ``with_checklist`` (default: as ``with_city``) adds the counties' 督导评估清单.
    """
    with_checklist = with_city if with_checklist is None else with_checklist
    universe = build_universe(counties, years, seed, density)
    city_pop = sum(c.pop2020 for c in counties)
    parts: dict[str, list[pd.DataFrame]] = {
        t: [] for t in ("schools", "enrollment", "teachers", "facilities", "population")
    }
    disability, ledger, city, checklist = [], [], [], []
    for year in years:
        vocational = 0
        for county in counties:
            tables = county_year(universe, county, year)
            for name in parts:
                parts[name].append(tables[name])
            pop = tables["population"].iloc[0].to_dict()
            disability.append(_disability(county, year, seed, pop, tables["enrollment"]))
            ledger.append(
                _ledger(
                    county, year, seed, county.pop2020 / city_pop, tables["enrollment"], tables["schools"], years[0]
                )
            )
            vocational += int((tables["schools"]["school_type"] == "vocational").sum())
            if with_checklist:
                universal = county.preschool_universal_from is not None and year >= county.preschool_universal_from
                checklist += _checklist(county, year, seed, tables["_design"].balanced, universal)
        city.append(_city(year, vocational))
    out = {name: _typed(name, pd.concat(frames, ignore_index=True)) for name, frames in parts.items()}
    out["disability"] = _typed("disability", pd.DataFrame(disability))
    out["ledger"] = _typed("ledger", pd.DataFrame(ledger))
    if with_city:
        out["city"] = _typed("city", pd.DataFrame(city))
    if checklist:
        out["assessment_checklist"] = _typed("assessment_checklist", pd.DataFrame(checklist))
    out["grade_enrollment"] = _grade_enrollment(out["enrollment"], seed)
    out["kindergarten_ages"] = _kindergarten_ages(out["enrollment"], seed)
    out["student_flows"] = _student_flows(out["enrollment"], out["schools"], seed)
    out["teacher_ages"] = _teacher_ages(out["teachers"], seed)
    return out


def lincang_counties() -> list[County]:
    """临沧's 8 counties with their 2020 census anchors and the designed assessment years."""
    cal = calibration()
    design_ = cal["lincang"]
    census = pd.read_csv(paths.package_file("data", "lincang_census2020.csv"), dtype={"code": str})

    names = registry().set_index("county_code")
    names["short_name_zh"] = names["name_zh"].map(export_short_name)
    out = []
    for row in census[census["code"] != CITY_CODE].itertuples():
        code = row.code
        rng = _rng(0, code, "townships")
        townships = design_["townships"].get(code) or _township_names(
            names.at[code, "short_name_zh"], design_["township_counts"][code], rng
        )
        out.append(
            County(
                county_code=code,
                name_zh=names.at[code, "name_zh"],
                short_name_zh=names.at[code, "short_name_zh"],
                pop2020=int(row.pop2020),
                age3_5=int(row.est_age3_5),
                age6_11=int(row.est_age6_11),
                age12_14=int(row.est_age12_14),
                age15_17=int(row.est_age15_17),
                townships=townships,
                village_count=len(townships) * 10 + int(rng.integers(0, 12)),
                preschool_universal_from=design_["preschool_universal_from"].get(code),
                balanced_from=design_["balanced_from"].get(code),
                special_school_from=design_["special_school_from"].get(code),
                extra={"cv_skew": {int(y): v for y, v in (design_.get("cv_skew", {}).get(code) or {}).items()}},
            )
        )
    return out


def export_short_name(full_name: str) -> str:
    """The short form county statistics exports use (双江拉祜族…自治县 → 双江县, 临翔区 → 临翔区).

    The sample writes it in school and file names, as real exports do; the pages print the
    plan's names (双江自治县, :func:`lcedu.ingest.counties.name`) and both forms resolve.
    """
    return stem(full_name) + full_name[-1]


def _township_names(county_short: str, n: int, rng: np.random.Generator) -> list[str]:
    syll = calibration()["township_syllables"]
    seat = f"{county_short[:-1] if len(county_short) > 2 else county_short}城镇"
    names = [seat]
    while len(names) < n:
        name = syll[int(rng.integers(0, len(syll)))] + syll[int(rng.integers(0, len(syll)))]
        name += "镇" if rng.random() < 0.5 else "乡"
        if name not in names:
            names.append(name)
    return names


def province_counties(n: int = 129, seed: int = 2023, prefix: str = "53") -> list[County]:
    """A generated province: ``n`` counties shaped like 临沧's, 20 to a prefecture, with fake names.

    For scale tests when the registry does not list the province; :func:`province_sample_counties`
    uses the registry's real codes and names when it does.
    """
    rng = _rng(seed, "province", n)
    rows = []
    for i in range(n):
        short = f"样例{i + 1:03d}县"
        rows.append(
            {"county_code": f"{prefix}{(i // 20) + 1:02d}{(i % 20) + 1:02d}", "name_zh": short, "short_name_zh": short}
        )
    return _modelled_counties(rows, rng, None)


def province_sample_counties(province: str, seed: int = 2023) -> list[County]:
    """The counties of ``province`` (2-digit code, e.g. "53") to generate a synthetic province from.

    Codes and names are the registry's (a ValueError when it lists no county of ``province``). Each
    county is modelled on one of 临沧's (census age structure, townships), scaled at random
    (×0.5–1.6); when ``calibration.yml`` gives the province's census population, the scales are
    normalised so the counties sum to it.
    """
    if not re.fullmatch(r"\d{2}", str(province)):
        raise ValueError(f"province must be a 2-digit code such as 53, not {province!r}")
    reg = registry()
    listed = reg[reg["county_code"].str.startswith(str(province))]
    if listed.empty:
        raise ValueError(
            f"县级区划登记表中没有省代码 {province} 的县 / the registry lists no county of province "
            f"{province}: 用2位省代码，如 53（云南）/ use a 2-digit province code such as 53"
        )
    target = (calibration().get("provinces") or {}).get(str(province), {}).get("population_2020")
    rows = listed.sort_values("county_code")[["county_code", "name_zh", "short_name_zh"]].to_dict("records")
    return _modelled_counties(rows, _rng(seed, "province", province), target)


def _modelled_counties(rows: list[dict], rng: np.random.Generator, total_population: int | None) -> list[County]:
    """Counties with the given codes and names, each a scaled copy of one of 临沧's (see above)."""
    base = lincang_counties()
    scales = rng.uniform(0.5, 1.6, len(rows))
    if total_population:
        scales = scales * total_population / sum(base[i % len(base)].pop2020 * s for i, s in enumerate(scales))
    out = []
    for i, row in enumerate(rows):
        model, scale = base[i % len(base)], float(scales[i])
        year_rng = float(rng.random())
        short = export_short_name(str(row["name_zh"]))  # as the exports write it, like 临沧's
        out.append(
            County(
                county_code=str(row["county_code"]),
                name_zh=str(row["name_zh"]),
                short_name_zh=short,
                pop2020=int(model.pop2020 * scale),
                age3_5=int(model.age3_5 * scale),
                age6_11=int(model.age6_11 * scale),
                age12_14=int(model.age12_14 * scale),
                age15_17=int(model.age15_17 * scale),
                townships=_township_names(short, len(model.townships), rng),
                village_count=model.village_count,
                preschool_universal_from=2024 if year_rng < 0.2 else (2025 if year_rng < 0.4 else None),
                balanced_from=2025 if rng.random() < 0.35 else None,
                special_school_from=2022 if model.pop2020 * scale > 200_000 else None,
                extra={"id_number": i + 1},  # unique within the province (up to 999 counties)
            )
        )
    return out
