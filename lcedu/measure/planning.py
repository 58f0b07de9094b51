"""Planning the 十五五 from the projections: places, classes, teachers, small schools (computed once per build).

The projections (:mod:`lcedu.measure.projections`) give pupils per school, 学段, year, scenario and band; a plan is
written in places, classes, teachers and schools. This module turns the one into the other with the rules of
``config/planning.yml`` and ``standards.yml``/``staffing_norms.yml`` (each with its source): places = classrooms ×
班额, classes = pupils ÷ 班额 rounded up, 编制 = pupils ÷ the staffing ratio (or 班师比 × classes for small rural
schools), teachers in post shrinking by retirement. Small schools are listed as they cross 100 / 50 / 10 pupils, and
consolidation is a screening with its caveats, never a verdict: no row says a school should close.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.measure import standards, travel

STAGES = ("kindergarten", "primary", "junior", "senior")
RESULT_TABLES = (
    "planning_places",
    "planning_place_summary",
    "planning_teachers",
    "planning_subject_teachers",
    "planning_small_schools",
    "planning_consolidation",
    "planning_reuse",
)
#: Inputs beyond the projections: the table and what it gives.
INPUTS = {
    "schools": "学校名册（班数、城乡、坐标）/ the school roster",
    "facilities": "办学条件（教室数）/ facilities (classrooms)",
    "enrollment": "学生情况（发射年在校生）/ enrollment at the launch year",
    "teachers": "教职工情况（在岗教职工、专任教师）/ teachers in post",
}
EARTH_RADIUS_KM = 6371.0088


@cache
def _config_cached() -> dict:
    with open(paths.package_file("measure", "config", "planning.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def config() -> dict:
    """The planning rules (``config/planning.yml``)."""
    return _config_cached()


def class_sizes() -> dict[str, float]:
    """班额 by 学段: 小学/初中 from standards.yml, 高中 from planning.yml,
    kindergarten = 混合班 (per-age sizes apart)."""
    return dict(_class_sizes())


@cache
def _class_sizes() -> tuple[tuple[str, float], ...]:
    sizes = standards.class_size_caps()
    sizes["senior"] = float(config()["class_size"]["senior"]["value"])
    sizes["kindergarten"] = float(kindergarten_class_size_by_type()["mixed"])
    return tuple(sizes.items())


def kindergarten_class_size_by_type() -> dict[str, float]:
    """幼儿园 班额 by 班型 (小班 25, 中班 30, 大班 35, 混合班 30; 《幼儿园工作规程》2016 第十一条)."""
    return dict(_kindergarten_sizes())


@cache
def _kindergarten_sizes() -> tuple[tuple[str, float], ...]:
    std = standards.load_standards()["preschool_universal_inclusive"]["kindergarten_class_size_max"]["value"]
    return tuple((k, float(v)) for k, v in std.items())


def kindergarten_class_size(ages: pd.DataFrame) -> pd.Series:
    """Each kindergarten's class size from its children's ages: pupils ÷ Σ(pupils at an age ÷ that 班型's size).

    The size at which its classrooms hold its own age mix, indexed by school_id (混合班 where ages are unknown)."""
    by_type = kindergarten_class_size_by_type()
    age_class = {int(a): t for a, t in config()["class_size"]["kindergarten_age_class"].items()}
    a = ages.dropna(subset=["student_count"])
    a = a[a["student_count"] > 0]
    size = a["age"].astype(int).map(lambda x: by_type[age_class.get(x, "mixed")])
    frame = pd.DataFrame({"school_id": a["school_id"].astype(str), "n": a["student_count"].astype(float), "s": size})
    g = frame.assign(w=frame["n"] / frame["s"]).groupby("school_id")
    return (g["n"].sum() / g["w"].sum()).rename("class_size")


def _at(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of one data year, school ids as text."""
    out = frame[frame["year"] == year].copy()
    out["school_id"] = out["school_id"].astype(str)
    return out


def stage_classrooms(tables: Mapping[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """Classrooms per school and 学段 at ``year``: a shared classroom count split by the 学段's share of classes.

    Columns school_id, stage, classroom_count (Float64, NA where the school reported none), classroom_basis."""
    schools = _at(tables["schools"], year)
    rooms = _at(tables["facilities"], year).set_index("school_id")["classroom_count"].astype("Float64")
    pupils = _at(tables["enrollment"], year)
    pupils = pupils[pupils["stage"].isin(STAGES)][["school_id", "stage", "student_count"]]
    classes = schools.melt(
        id_vars="school_id",
        value_vars=[f"{s}_class_count" for s in STAGES if f"{s}_class_count" in schools],
        var_name="stage",
        value_name="class_count",
    )
    classes["stage"] = classes["stage"].str.removesuffix("_class_count")
    parts = pupils.merge(classes, on=["school_id", "stage"], how="left")
    parts["class_count"] = parts["class_count"].astype("Float64")
    parts["student_count"] = parts["student_count"].astype("Float64")
    total_classes = parts.groupby("school_id")["class_count"].transform("sum", min_count=1)
    total_pupils = parts.groupby("school_id")["student_count"].transform("sum", min_count=1)
    all_classes = parts["class_count"].notna().groupby(parts["school_id"]).transform("all")
    by_classes = all_classes & (total_classes > 0)
    share = (parts["class_count"] / total_classes).where(by_classes, parts["student_count"] / total_pupils)
    n_stages = parts.groupby("school_id")["stage"].transform("size")
    share = share.where(n_stages > 1, 1.0)
    parts["classroom_count"] = (parts["school_id"].map(rooms) * share).astype("Float64")
    parts["classroom_basis"] = np.where(
        parts["classroom_count"].isna(),
        "未报教室数 / no classrooms reported",
        np.where(
            n_stages == 1,
            "本校教室 / own classrooms",
            np.where(by_classes, "按班数分摊 / split by classes", "按在校生分摊 / split by pupils"),
        ),
    )
    return parts[["school_id", "stage", "class_count", "classroom_count", "classroom_basis"]]


def _default_rows(projections: pd.DataFrame, level: str) -> pd.DataFrame:
    """The default method's 学段 totals (no grade rows) of one level, plain dtypes."""
    p = projections[
        (projections["level"] == level) & projections["grade"].isna() & projections["is_default_method"].astype(bool)
    ]
    cols = ["county_code", "school_id", "stage", "year", "launch_year", "lead_years", "scenario", "band"]
    out = p[[*cols, "student_count"]].copy()
    for c in ("county_code", "school_id", "stage", "scenario", "band"):
        col = out[c].cat.remove_unused_categories()
        out[c] = col.cat.rename_categories(col.cat.categories.astype(str))
    return out.reset_index(drop=True)


def school_places(tables: Mapping[str, pd.DataFrame], projections: pd.DataFrame) -> pd.DataFrame:
    """Places, classes and spare places per school, 学段, year, scenario and band.

    class_size is the 学段's 班额 (a kindergarten's from its own age mix); capacity = classrooms × class_size;
    classes_needed = ⌈pupils ÷ class_size⌉; spare_places = capacity − pupils (negative: a shortfall)."""
    rows = _default_rows(projections, "school")
    launch = int(rows["launch_year"].max())
    rooms = stage_classrooms(tables, launch)
    for key in ("school_id", "stage"):  # merge on the projection's categories (no text conversion of its rows)
        rooms[key] = pd.Categorical(rooms[key].astype(str), categories=rows[key].cat.categories)
    out = rows.merge(rooms, on=["school_id", "stage"], how="left")
    sizes = class_sizes()
    out["class_size"] = out["stage"].map(sizes).astype("Float64")
    if "kindergarten_ages" in tables:
        kg = kindergarten_class_size(_at(tables["kindergarten_ages"], launch))
        is_kg = out["stage"] == "kindergarten"
        out.loc[is_kg, "class_size"] = out.loc[is_kg, "school_id"].map(kg).fillna(sizes["kindergarten"]).to_numpy()
    out["capacity"] = (out["classroom_count"].round() * out["class_size"]).astype("Float64")
    out["classes_needed"] = np.ceil(out["student_count"] / out["class_size"]).astype("Int64")
    out["spare_places"] = (out["capacity"] - out["student_count"]).astype("Float64")
    out["classroom_basis"] = out["classroom_basis"].fillna("学段不在发射年的学生情况中 / stage not reported at launch")
    return out.assign(level="school")


def county_places(schools_rows: pd.DataFrame, projections: pd.DataFrame) -> pd.DataFrame:
    """County totals: the county's own projected pupils (its band, not a sum of school bands) against the sum of
    its schools' places; classes_needed sums the schools' (a class does not cross schools)."""
    county = _default_rows(projections, "county").drop(columns="school_id")
    keys = ["county_code", "stage", "year", "scenario", "band"]
    g = schools_rows.groupby(keys, observed=True)
    sums = pd.DataFrame(
        {
            "capacity": g["capacity"].sum(min_count=1),
            "classroom_count": g["classroom_count"].sum(min_count=1),
            "classes_needed": g["classes_needed"].sum(min_count=1),
            "schools_without_capacity": schools_rows["capacity"]
            .isna()
            .groupby([schools_rows[k] for k in keys], observed=True)
            .sum(),
        }
    ).reset_index()
    out = county.merge(sums, on=keys, how="left")
    out["spare_places"] = (out["capacity"] - out["student_count"]).astype("Float64")
    out["schools_without_capacity"] = out["schools_without_capacity"].astype("Int64")
    return out.assign(level="county", school_id=pd.NA)


PLACE_COLUMNS = [
    "level",
    "county_code",
    "school_id",
    "stage",
    "year",
    "launch_year",
    "lead_years",
    "scenario",
    "band",
    "student_count",
    "class_size",
    "classroom_count",
    "classroom_basis",
    "capacity",
    "classes_needed",
    "spare_places",
    "is_shortfall",
    "is_surplus",
    "schools_without_capacity",
]


def places(tables: Mapping[str, pd.DataFrame], projections: pd.DataFrame) -> pd.DataFrame:
    """School and county rows of places vs pupils; is_shortfall when pupils exceed places, is_surplus when at
    least ``surplus_min_classrooms`` whole classrooms stand empty (NA where places are unknown)."""
    school = school_places(tables, projections)
    county = county_places(school, projections)
    out = pd.concat([school, county], ignore_index=True)
    min_rooms = float(config()["capacity"]["surplus_min_classrooms"])
    size = out["class_size"].fillna(out["stage"].map(class_sizes()).astype("Float64"))
    out["is_shortfall"] = (out["spare_places"] < 0).astype("boolean")
    out["is_surplus"] = (out["spare_places"] >= min_rooms * size).astype("boolean")
    for c in PLACE_COLUMNS:
        if c not in out:
            out[c] = pd.NA
    return out[PLACE_COLUMNS].astype(
        {
            "level": "category",
            "county_code": "category",
            "school_id": "category",
            "stage": "category",
            "year": "Int64",
            "launch_year": "Int64",
            "lead_years": "Int64",
            "scenario": "category",
            "band": "category",
            "student_count": "Float64",
            "class_size": "Float64",
            "classroom_count": "Float64",
            "classroom_basis": "category",
            "capacity": "Float64",
            "classes_needed": "Int64",
            "spare_places": "Float64",
            "schools_without_capacity": "Int64",
        }
    )


def place_summary(place_rows: pd.DataFrame) -> pd.DataFrame:
    """Per school (or county), 学段, scenario and band: the first shortfall and surplus years and the largest of each
    in the period with its year (NA where none occurs, or where places are unknown)."""
    keys = ["level", "county_code", "school_id", "stage", "scenario", "band"]
    p = place_rows.assign(school_id=place_rows["school_id"].cat.add_categories([""]).fillna(""))
    p = p.sort_values("year", kind="stable")
    by = [p[k] for k in keys]
    out = pd.DataFrame(
        {
            "first_shortfall_year": p["year"].where(p["is_shortfall"].fillna(False)).groupby(by, observed=True).min(),
            "first_surplus_year": p["year"].where(p["is_surplus"].fillna(False)).groupby(by, observed=True).min(),
            "places_known": p["capacity"].notna().groupby(by, observed=True).all(),
        }
    )
    for name, short, flag in (("shortfall", True, "is_shortfall"), ("surplus", False, "is_surplus")):
        hit = p[p[flag].fillna(False)].sort_values("spare_places", ascending=short, kind="stable")
        top = hit.drop_duplicates(keys).set_index(keys)
        out[f"largest_{name}"] = top["spare_places"].abs()
        out[f"largest_{name}_year"] = top["year"]
    out = out.reset_index()
    out["school_id"] = out["school_id"].astype(str).replace("", pd.NA)
    return out.astype(
        {
            "school_id": "category",
            "first_shortfall_year": "Int64",
            "first_surplus_year": "Int64",
            "largest_shortfall": "Float64",
            "largest_shortfall_year": "Int64",
            "largest_surplus": "Float64",
            "largest_surplus_year": "Int64",
            "places_known": "boolean",
        }
    )


def _is_small_rural(schools: pd.DataFrame) -> pd.Series:
    """Whether a school is a 村小 or 教学点 for the 班师比 rule: rural, or a site not counted as a school."""
    rural = schools["urban_rural"].astype("string").eq("rural").fillna(False)
    site = schools["is_counted_school"].astype("boolean").eq(False).fillna(False)
    point = schools["school_type"].astype("string").eq("teaching_point").fillna(False)
    return pd.Series((rural | site | point).to_numpy(bool), index=schools["school_id"].astype(str))


def teacher_need(tables: Mapping[str, pd.DataFrame], place_rows: pd.DataFrame) -> pd.DataFrame:
    """编制 need against staff in post per county, 学段, year, scenario and band (the schools' sums).

    小学/初中/高中: 教职工 = pupils ÷ the staffing ratio, or 班师比 × classes for a small rural school when larger;
    compared with 教职工 in post. Kindergarten: 专任教师 = 2 × classes (两教一保), compared with 专任教师. Teachers
    in post shrink by the yearly retirement rate (no hiring): staff_gap = supply − need, positive a surplus."""
    cfg = config()["teachers"]
    ratios = standards.load_staffing_norms()["staff_student_ratio"]["value"]
    ctr = cfg["class_teacher_ratio"]
    rows = place_rows[place_rows["level"] == "school"].copy()
    stage = rows["stage"]
    launch = int(rows["launch_year"].max())
    small = rows["school_id"].map(_is_small_rural(_at(tables["schools"], launch))).astype("boolean").fillna(False)
    pupils = rows["student_count"].to_numpy(float, na_value=np.nan)
    classes = rows["classes_needed"].to_numpy(float, na_value=np.nan)
    small = small.to_numpy(bool) & (pupils < float(ctr["small_school_pupils"]))
    by_ratio = pupils / stage.map(ratios).to_numpy(float, na_value=np.nan)
    by_class = classes * stage.map(ctr["value"]).to_numpy(float, na_value=np.nan)
    need = np.where(small & ~np.isnan(by_class), np.fmax(by_ratio, by_class), by_ratio)
    kg_per_class = float(cfg["kindergarten_staff_per_class"]["value"]["full_time_teacher"])
    rows["staff_needed"] = np.where(stage == "kindergarten", classes * kg_per_class, need)
    rows["staff_needed_by_class_rule"] = (small & (by_class > by_ratio)).astype(int)
    keys = ["county_code", "stage", "year", "lead_years", "scenario", "band"]
    out = (
        rows.groupby(keys, observed=True)
        .agg(
            student_count=("student_count", "sum"),
            classes_needed=("classes_needed", "sum"),
            staff_needed=("staff_needed", "sum"),
            schools_on_class_rule=("staff_needed_by_class_rule", "sum"),
        )
        .reset_index()
    )
    t = _at(tables["teachers"], launch)
    t = t[t["stage"].isin(STAGES)]
    post = t.assign(
        in_post=np.where(t["stage"] == "kindergarten", t["full_time_teacher_count"], t["staff_count"]).astype(float)
    )
    post = post.groupby(["county_code", "stage"], observed=True)["in_post"].sum().rename("staff_in_post")
    out = out.merge(
        post.reset_index()
        .astype({"county_code": str, "stage": str})
        .astype({"county_code": "category", "stage": "category"}),
        on=["county_code", "stage"],
        how="left",
    )
    share, basis = remaining_share(tables, out, launch)
    out["staff_supply"] = out["staff_in_post"] * share
    out["retirement_basis"] = basis
    out["staff_gap"] = out["staff_supply"] - out["staff_needed"]
    out["staff_measure"] = np.where(
        out["stage"].astype(str) == "kindergarten", "专任教师 / full-time teachers", "教职工编制 / staff establishment"
    )
    return out.astype(
        {
            "year": "Int64",
            "lead_years": "Int64",
            "student_count": "Float64",
            "classes_needed": "Int64",
            "staff_needed": "Float64",
            "schools_on_class_rule": "Int64",
            "staff_in_post": "Float64",
            "staff_supply": "Float64",
            "staff_gap": "Float64",
            "staff_measure": "category",
            "retirement_basis": "category",
        }
    )


RETIREMENT_BASIS = {
    "ages": "按教师年龄退休 / retirements by teacher age",
    "rate": "假设每年退休率 / assumed yearly retirement rate (no teacher ages)",
}


def retirements_by_age(ages: pd.DataFrame, launch: int, leads: list[int], retirement_age: float) -> pd.DataFrame:
    """The share of a county's teachers of a 学段 still in post ``lead`` years after ``launch``, from their ages.

    ``ages``: teacher_ages rows (county_code, stage, age_lower, age_upper, teacher_count) of the launch year.
    Teachers are spread evenly over the single years of their band (an open band ends at the retirement age);
    those who reach ``retirement_age`` by launch + lead have left. Columns county_code, stage, lead_years,
    remaining_share."""
    a = ages.dropna(subset=["teacher_count", "age_lower"])
    a = a[a["teacher_count"] > 0]
    lower = a["age_lower"].astype(float).to_numpy()
    upper = a["age_upper"].astype("Float64").fillna(max(retirement_age - 1, 0)).astype(float).to_numpy()
    upper = np.maximum(upper, lower)
    count = a["teacher_count"].astype(float).to_numpy()
    rows = []
    for lead in leads:
        # single years lower..upper; a teacher aged x leaves by lead when x + lead >= retirement_age
        first_out = retirement_age - lead
        leaving = np.clip(upper - np.maximum(lower, first_out) + 1, 0, None) / (upper - lower + 1)
        rows.append(
            pd.DataFrame(
                {
                    "county_code": a["county_code"].astype(str).to_numpy(),
                    "stage": a["stage"].astype(str).to_numpy(),
                    "lead_years": lead,
                    "left": count * leaving,
                    "total": count,
                }
            )
        )
    g = pd.concat(rows).groupby(["county_code", "stage", "lead_years"], as_index=False)[["left", "total"]].sum()
    g["remaining_share"] = 1 - g["left"] / g["total"]
    return g[["county_code", "stage", "lead_years", "remaining_share"]]


def remaining_share(
    tables: Mapping[str, pd.DataFrame], rows: pd.DataFrame, launch: int
) -> tuple[np.ndarray, np.ndarray]:
    """For rows with county_code, stage and lead_years: the share of teachers still in post and its basis.

    By age where ``teacher_ages`` holds the county and 学段 at launch; else the flat yearly rate (an assumption)."""
    cfg = config()["teachers"]
    rate = float(cfg["retirement_rate_per_year"]["value"])
    lead = rows["lead_years"].astype(float).to_numpy()
    share = (1 - rate) ** lead
    basis = np.full(len(rows), RETIREMENT_BASIS["rate"], dtype=object)
    if "teacher_ages" in tables:
        ages = _at(tables["teacher_ages"], launch)
        if len(ages):
            leads = sorted({int(x) for x in lead})
            by_age = retirements_by_age(ages, launch, leads, float(cfg["retirement_age"]["value"]))
            idx = pd.MultiIndex.from_frame(by_age[["county_code", "stage", "lead_years"]])
            key = pd.MultiIndex.from_arrays(
                [rows["county_code"].astype(str), rows["stage"].astype(str), rows["lead_years"].astype(int)]
            )
            known = pd.Series(by_age["remaining_share"].to_numpy(), index=idx).reindex(key).to_numpy()
            has = ~np.isnan(known)
            share = np.where(has, known, share)
            basis = np.where(has, RETIREMENT_BASIS["ages"], basis)
    return share, basis


SUBJECTS = {"pe": "pe_teacher_count", "music": "music_teacher_count", "art": "art_teacher_count"}


def subject_teacher_need(tables: Mapping[str, pd.DataFrame], place_rows: pd.DataFrame) -> pd.DataFrame:
    """体育、音乐、美术 teachers needed per county, 学段 (小学/初中), year, scenario and band against those in post.

    Need = projected classes × the subject's weekly periods ÷ a teacher's weekly periods (``subject_teachers`` in
    planning.yml, with sources): full-time equivalents over the county's schools, as 县管校聘 and 走教 share them.
    Supply = the subject's teachers at launch, less retirements as for all staff. teacher_gap = supply − need
    (positive a surplus). NA where the forms give no subject counts, never 0."""
    cfg = config()["subject_teachers"]
    rows = place_rows[(place_rows["level"] == "school") & place_rows["stage"].isin(["primary", "junior"])]
    keys = ["county_code", "stage", "year", "lead_years", "scenario", "band"]
    classes = rows.groupby(keys, observed=True)["classes_needed"].sum(min_count=1).reset_index()
    classes = classes.astype({"county_code": str, "stage": str, "scenario": str, "band": str})
    launch = int(place_rows["launch_year"].max())
    t = _at(tables["teachers"], launch)
    t = t[t["stage"].isin(["primary", "junior"])]
    parts = []
    for subject, column in SUBJECTS.items():
        periods = {k: float(v) for k, v in cfg["periods_per_week"][subject].items()}
        post = (
            t[column].astype("Float64").groupby([t["county_code"].astype(str), t["stage"].astype(str)]).sum(min_count=1)
            if column in t
            else pd.Series(dtype="Float64")
        )
        part = classes.assign(subject=subject)
        load = part["stage"].map({k: float(v) for k, v in cfg["teacher_periods_per_week"].items()})
        part["teachers_needed"] = part["classes_needed"].astype(float) * part["stage"].map(periods) / load
        idx = pd.MultiIndex.from_arrays([part["county_code"], part["stage"]])
        part["teachers_in_post"] = post.reindex(idx).to_numpy(dtype=float, na_value=np.nan)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    share, basis = remaining_share(tables, out, launch)
    out["teachers_supply"] = out["teachers_in_post"] * share
    out["teacher_gap"] = out["teachers_supply"] - out["teachers_needed"]
    out["retirement_basis"] = basis
    cols = [*keys[:2], "subject", *keys[2:], "classes_needed", "teachers_needed", "teachers_in_post"]
    cols += ["teachers_supply", "teacher_gap", "retirement_basis"]
    return (
        out[cols]
        .sort_values(["county_code", "stage", "subject", "scenario", "band", "year"], kind="stable")
        .reset_index(drop=True)
        .astype(
            {
                "county_code": "category",
                "stage": "category",
                "subject": "category",
                "year": "Int64",
                "lead_years": "Int64",
                "scenario": "category",
                "band": "category",
                "classes_needed": "Int64",
                "teachers_needed": "Float64",
                "teachers_in_post": "Float64",
                "teachers_supply": "Float64",
                "teacher_gap": "Float64",
                "retirement_basis": "category",
            }
        )
    )


def small_schools(tables: Mapping[str, pd.DataFrame], place_rows: pd.DataFrame) -> pd.DataFrame:
    """Schools (and 教学点) below 100 / 50 / 10 pupils in a 学段: pupils at launch, the first projected year below
    each threshold per scenario and band, kindergartens first. Only schools below a threshold at some point."""
    rows = place_rows[place_rows["level"] == "school"]
    launch = int(rows["launch_year"].max())
    now = _at(tables["enrollment"], launch).set_index(["school_id", "stage"])["student_count"].astype("Float64")
    keys = ["county_code", "school_id", "stage", "scenario", "band"]
    parts = []
    for threshold in config()["small_schools"]["thresholds"]:
        below = rows["year"].where(rows["student_count"] < threshold)
        g = below.groupby([rows[k] for k in keys], observed=True)
        part = pd.DataFrame({"first_year_below": g.min()}).reset_index()
        part["threshold"] = int(threshold)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    idx = pd.MultiIndex.from_arrays([out["school_id"].astype(str), out["stage"].astype(str)])
    out["launch_year"] = launch
    out["launch_student_count"] = now.reindex(idx).to_numpy()
    out["is_below_at_launch"] = out["launch_student_count"] < out["threshold"]
    out = out[out["first_year_below"].notna() | out["is_below_at_launch"].fillna(False)]
    schools = _at(tables["schools"], launch).set_index("school_id")
    out["school_name"] = out["school_id"].astype(str).map(schools["school_name"])
    out["school_type"] = out["school_id"].astype(str).map(schools["school_type"])
    order = {s: i for i, s in enumerate(STAGES)}
    out = out.assign(_o=out["stage"].astype(str).map(order)).sort_values(
        ["_o", "county_code", "threshold", "first_year_below", "school_id"], kind="stable"
    )
    return (
        out.drop(columns="_o")
        .reset_index(drop=True)
        .astype(
            {
                "first_year_below": "Int64",
                "threshold": "Int64",
                "launch_year": "Int64",
                "launch_student_count": "Float64",
                "is_below_at_launch": "boolean",
                "school_name": "string",
                "school_type": "category",
            }
        )
    )


def haversine_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _nearest(cands: pd.DataFrame, pool: pd.DataFrame, same_county: bool) -> pd.DataFrame:
    """For each candidate, the nearest other school of its 学段 in ``pool`` (straight line) and the distance."""
    found = []
    for (stage, county), group in cands.groupby(["stage", "county_code"], observed=True):
        p = pool[(pool["stage"] == stage) & ((pool["county_code"] == county) if same_county else True)]
        p = p[p["longitude"].notna() & p["latitude"].notna()]
        lon, lat = (
            group["longitude"].to_numpy(float, na_value=np.nan),
            group["latitude"].to_numpy(float, na_value=np.nan),
        )
        d = haversine_km(
            lon[:, None], lat[:, None], p["longitude"].to_numpy(float)[None, :], p["latitude"].to_numpy(float)[None, :]
        )
        d[group["school_id"].to_numpy(str)[:, None] == p["school_id"].to_numpy(str)[None, :]] = np.inf
        has = (d.shape[1] > 0) & np.isfinite(d).any(axis=1) if d.size else np.zeros(len(group), bool)
        j = np.argmin(np.where(np.isfinite(d), d, np.inf), axis=1) if d.size else np.zeros(len(group), int)
        found.append(
            pd.DataFrame(
                {
                    "_row": group.index,
                    "nearest_school_id": np.where(has, p["school_id"].to_numpy(str)[j] if len(p) else None, None),
                    "nearest_distance_km": np.where(has, d[np.arange(len(group)), j] if d.size else np.nan, np.nan),
                }
            )
        )
    if not found:
        return pd.DataFrame(columns=["nearest_school_id", "nearest_distance_km"])
    return pd.concat(found).set_index("_row")


STRAIGHT_LINE_CAVEAT = "距离为直线距离，不是路程时间 / distance is a straight line, not travel time"
BASIS = {
    "road": "路程时间（OSM 路网）/ road travel time (OSM extract)",
    "no_roads": "直线距离（未提供路网）/ straight line: no road extract supplied",
    "off_network": "直线距离（学校离路网太远）/ straight line: school off the road network",
    "unreached": "直线距离（路网上到不了同学段学校）/ straight line: no school of the 学段 reached by road",
    "beyond": "路程时间：搜索时限内无同学段学校 / road travel time: none within the search limit",
}


def _road_columns(
    cands: pd.DataFrame, pool: pd.DataFrame, roads: nx.MultiDiGraph | None, same_county: bool
) -> pd.DataFrame:
    """Travel minutes to the nearest same-学段 school by road and the basis each row's screening uses."""
    out = pd.DataFrame(index=cands.index)
    if roads is None or cands.empty:
        out["travel_school_id"] = pd.array([pd.NA] * len(cands), dtype="string")
        out["travel_minutes"] = pd.array([pd.NA] * len(cands), dtype="Float64")
        out["distance_basis"] = BASIS["no_roads"]
        return out
    found = travel.nearest_by_travel(roads, cands, pool, same_county, config()["travel"])
    out["travel_school_id"], out["travel_minutes"] = found["travel_school_id"], found["travel_minutes"]
    out["distance_basis"] = np.select(
        [
            found["travel_minutes"].notna().to_numpy(bool),
            found["is_beyond_search"].to_numpy(bool),
            found["is_off_network"].fillna(False).to_numpy(bool),
        ],
        [BASIS["road"], BASIS["beyond"], BASIS["off_network"]],
        BASIS["unreached"],
    )
    return out


def _screening(cands: pd.DataFrame) -> np.ndarray:
    """The default status: 无坐标 → retained until checked; beyond the threshold of the distance used → 应保留."""
    by_road = cands["distance_basis"].isin([BASIS["road"], BASIS["beyond"]])
    no_coords = cands["longitude"].isna() | cands["latitude"].isna()
    far_line = cands["nearest_distance_km"].isna() | (
        cands["nearest_distance_km"].astype(float) > cands["retain_beyond_km"]
    )
    far_road = cands["travel_minutes"].isna() | (cands["travel_minutes"].astype(float) > cands["retain_beyond_minutes"])
    far = far_road.where(by_road, far_line).astype(bool)
    return np.select(
        [no_coords.to_numpy(bool), far.to_numpy(bool)],
        [
            "待核实：无坐标，默认保留 / no coordinates: retained until checked",
            "应保留（默认）/ retain by default: no alternative within the distance",
        ],
        "可研究，须论证 / for study, with the caveats",
    )


CONSOLIDATION_COLUMNS = [
    "county_code",
    "school_id",
    "school_name",
    "stage",
    "scenario",
    "review_year",
    "student_count_lower",
    "student_count",
    "student_count_upper",
    "nearest_school_id",
    "nearest_school_name",
    "nearest_distance_km",
    "retain_beyond_km",
    "travel_school_id",
    "travel_school_name",
    "travel_minutes",
    "retain_beyond_minutes",
    "distance_basis",
    "receiving_school_id",
    "receiving_spare_places",
    "screening",
    "caveats",
]


def consolidation(
    tables: Mapping[str, pd.DataFrame], place_rows: pd.DataFrame, roads: nx.MultiDiGraph | None = None
) -> pd.DataFrame:
    """Consolidation screening per scenario (never a verdict): schools whose projected pupils (point) in the review
    year fall below ``candidate_below``, each with its band, the nearest school of the same 学段 by straight line
    and, with a road network (:mod:`lcedu.measure.travel`), by travel minutes; that school's spare places; a default
    status (应保留 beyond the threshold of the distance used, or without coordinates to judge) and the caveats
    (先建后撤, 应留必留, 听证). ``distance_basis`` says which distance each row's status used."""
    cfg = config()["consolidation"]
    rows = place_rows[(place_rows["level"] == "school") & (place_rows["year"] == int(cfg["review_year"]))]
    launch = int(place_rows["launch_year"].max())
    schools = _at(tables["schools"], launch).set_index("school_id")
    wide = rows.pivot_table(
        index=["county_code", "school_id", "stage", "scenario"],
        columns="band",
        values="student_count",
        observed=True,
        aggfunc="first",
    ).reset_index()
    wide.columns.name = None
    spare = rows[rows["band"] == "point"]
    spare = pd.Series(
        spare["spare_places"].to_numpy(),
        index=pd.MultiIndex.from_arrays([spare[k].astype(str) for k in ("school_id", "stage", "scenario")]),
    )
    for c in ("longitude", "latitude"):
        wide[c] = wide["school_id"].astype(str).map(schools[c]).astype("Float64")
    cands = wide[wide["point"] < float(cfg["candidate_below"])].copy()
    pool = wide[wide["scenario"] == wide["scenario"].iloc[0]] if len(wide) else wide
    cands = cands.join(_nearest(cands, pool, bool(cfg["same_county_only"])))
    cands = cands.join(_road_columns(cands, pool, roads, bool(cfg["same_county_only"])))
    by_road = cands["distance_basis"].isin([BASIS["road"], BASIS["beyond"]])
    cands["receiving_school_id"] = cands["travel_school_id"].where(by_road, cands["nearest_school_id"])
    key = pd.MultiIndex.from_arrays(
        [cands["receiving_school_id"].astype(str), cands["stage"].astype(str), cands["scenario"].astype(str)]
    )
    cands["receiving_spare_places"] = spare.reindex(key).to_numpy()
    cands["retain_beyond_km"] = cands["stage"].astype(str).map(cfg["retain_beyond_km"]).astype(float)
    minutes = config()["travel"]["retain_beyond_minutes"]
    cands["retain_beyond_minutes"] = cands["stage"].astype(str).map(minutes).astype(float)
    cands["screening"] = _screening(cands)
    caveats = "；".join(cfg["caveats"])
    cands["caveats"] = np.where(by_road, caveats.replace(f"；{STRAIGHT_LINE_CAVEAT}", ""), caveats)
    names = schools["school_name"]
    cands["school_name"] = cands["school_id"].astype(str).map(names)
    cands["nearest_school_name"] = cands["nearest_school_id"].map(names)
    cands["travel_school_name"] = cands["travel_school_id"].astype(object).map(names)
    cands = cands.rename(
        columns={"lower": "student_count_lower", "point": "student_count", "upper": "student_count_upper"}
    )
    cands["review_year"] = int(cfg["review_year"])
    order = cands["stage"].astype(str).map({s: i for i, s in enumerate(STAGES)})
    out = cands.assign(_o=order).sort_values(["_o", "county_code", "student_count"]).drop(columns="_o")
    return (
        out.reindex(columns=CONSOLIDATION_COLUMNS)
        .reset_index(drop=True)
        .astype(
            {
                "school_name": "string",
                "nearest_school_id": "string",
                "nearest_school_name": "string",
                "nearest_distance_km": "Float64",
                "retain_beyond_km": "Float64",
                "travel_school_id": "string",
                "travel_school_name": "string",
                "travel_minutes": "Float64",
                "retain_beyond_minutes": "Float64",
                "distance_basis": "category",
                "receiving_school_id": "string",
                "receiving_spare_places": "Float64",
                "screening": "category",
                "caveats": "category",
                "review_year": "Int64",
                "student_count": "Float64",
                "student_count_lower": "Float64",
                "student_count_upper": "Float64",
            }
        )
    )


def large_class_risk(tables: Mapping[str, pd.DataFrame], summary: pd.DataFrame) -> pd.DataFrame:
    """Mark 大班额 risk: a town or city school (城区/镇区) whose pupils outgrow its places in the period — without
    new places its classes exceed the 班额 standard."""
    launch = int(tables["enrollment"]["year"].max())
    urban = (
        _at(tables["schools"], launch).set_index("school_id")["urban_rural"].astype("string").isin(["urban", "town"])
    )
    is_town = summary["school_id"].astype("string").map(urban).astype("boolean").fillna(False)
    risk = (summary["level"] == "school") & is_town & summary["first_shortfall_year"].notna()
    return summary.assign(is_large_class_risk=risk.astype("boolean"))


def cross_stage_reuse(tables: Mapping[str, pd.DataFrame], place_rows: pd.DataFrame) -> pd.DataFrame:
    """Where 小学 classrooms stand empty while 幼儿园 places run short in the same 乡镇 (each scenario, point and
    band): the kindergarten shortfall, the whole 小学 classrooms free and the year — a list to study, not a plan."""
    rows = place_rows[(place_rows["level"] == "school") & place_rows["stage"].isin(["kindergarten", "primary"])]
    launch = int(rows["launch_year"].max())
    township = _at(tables["schools"], launch).set_index("school_id")["township"].astype("string")
    rows = rows.assign(township=rows["school_id"].astype("string").map(township))
    spare = rows["spare_places"].astype(float)
    rows = rows.assign(
        shortfall=np.where(rows["stage"] == "kindergarten", np.fmax(-spare, 0), 0.0),
        free_rooms=np.where(
            rows["stage"] == "primary", np.floor(np.fmax(spare, 0) / rows["class_size"].astype(float)), 0.0
        ),
    )
    keys = ["county_code", "township", "year", "scenario", "band"]
    g = rows.groupby(keys, observed=True, dropna=False)[["shortfall", "free_rooms"]].sum().reset_index()
    g = g[(g["shortfall"] > 0) & (g["free_rooms"] > 0)]
    kg_size = float(kindergarten_class_size_by_type()["mixed"])
    out = g.rename(
        columns={"shortfall": "kindergarten_shortfall_places", "free_rooms": "primary_free_classrooms"}
    ).assign(kindergarten_places_in_free_rooms=lambda f: f["primary_free_classrooms"] * kg_size)
    return out.astype(
        {
            "township": "string",
            "year": "Int64",
            "kindergarten_shortfall_places": "Float64",
            "primary_free_classrooms": "Int64",
            "kindergarten_places_in_free_rooms": "Float64",
        }
    ).reset_index(drop=True)


def compute_planning(
    tables: Mapping[str, pd.DataFrame], projections: pd.DataFrame, roads: nx.MultiDiGraph | None = None
) -> dict[str, pd.DataFrame]:
    """Every planning table of :data:`RESULT_TABLES` from the cleaned tables and the build's projections (and the
    road network of the user's OSM extract, when there is one)."""
    place_rows = places(tables, projections)
    return {
        "planning_places": place_rows,
        "planning_place_summary": large_class_risk(tables, place_summary(place_rows)),
        "planning_teachers": teacher_need(tables, place_rows),
        "planning_subject_teachers": subject_teacher_need(tables, place_rows),
        "planning_small_schools": small_schools(tables, place_rows),
        "planning_consolidation": consolidation(tables, place_rows, roads),
        "planning_reuse": cross_stage_reuse(tables, place_rows),
    }


def planning_tables(
    tables: Mapping[str, pd.DataFrame], projected: Mapping[str, pd.DataFrame], raw_dir: str | Path | None = None
) -> tuple[dict[str, pd.DataFrame], dict]:
    """The planning tables for a build and a manifest note; none (the note says why) without projections or inputs.

    ``raw_dir``: where to look for a road extract (``roads/``, or ``$LCEDU_ROADS``); the note records the one used."""
    missing = [f"{name}: {what}" for name, what in INPUTS.items() if name not in tables]
    if "projections" not in projected:
        missing.append("projections: 学龄人口预测未计算 / no projections in this build (see the projections note)")
    if missing:
        return {}, {"status": "not computed", "reason": "; ".join(missing)}
    extract = travel.find_extract(raw_dir)
    roads = travel.read_roads(extract, config()["travel"]) if extract is not None else None
    out = compute_planning(tables, projected["projections"], roads)
    return out, {
        "status": "computed",
        "roads": travel.describe(extract, roads) if roads is not None else None,
        "review_year": int(config()["consolidation"]["review_year"]),
        "candidates": int(out["planning_consolidation"]["school_id"].nunique()),
    }
