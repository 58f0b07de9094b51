"""Planning (issue 24): places and classes, teacher need, small schools and the consolidation screening — on small
frames built here (unit tier): a county with a growing town school, a shrinking village school next to it, a far
一师一校 point, a 九年一贯制 school sharing its classrooms and a kindergarten with its children's ages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcedu.measure import planning
from lcedu.measure.projections import scenarios
from lcedu.present.words import table, word

C = "530925"
YEARS = list(range(2026, 2031))
LAUNCH = 2025
# (school_id, stage, pupils at launch, pupils per projected year 2026–2030)
PUPILS = {
    ("TOWN", "primary"): (420, [430, 445, 460, 480, 470]),
    ("VILL", "primary"): (70, [62, 55, 49, 40, 35]),
    ("FAR", "primary"): (9, [8, 8, 7, 7, 6]),
    ("NINE", "primary"): (300, [300, 300, 300, 300, 300]),
    ("NINE", "junior"): (140, [140, 140, 140, 140, 140]),
    ("KG", "kindergarten"): (60, [58, 50, 45, 40, 30]),
}
# school_id → (type, urban_rural, is_counted_school, longitude, latitude, classrooms, classes by stage)
SCHOOLS = {
    "TOWN": ("primary", "urban", True, 100.00, 24.00, 10, {"primary": 10}),
    "VILL": ("primary", "rural", True, 100.00, 24.009, 4, {"primary": 4}),  # 1 km north of TOWN
    "FAR": ("teaching_point", "rural", False, 100.30, 24.20, 1, {"primary": 1}),  # ~38 km away
    "NINE": ("nine_year", "town", True, 100.50, 24.50, 12, {"primary": 8, "junior": 4}),
    "KG": ("kindergarten", "rural", True, None, None, 3, {"kindergarten": 2}),
}


def _projections() -> pd.DataFrame:
    rows = []
    for (sid, stage), (_, series) in PUPILS.items():
        for year, n in zip(YEARS, series, strict=True):
            for band, f in (("lower", 0.9), ("point", 1.0), ("upper", 1.1)):
                rows.append(("school", C, sid, stage, year, band, n * f, "births_ratio", True))
            rows.append(("school", C, sid, stage, year, "point", n * 3, "intake_smoothing", False))
    county = pd.DataFrame(rows, columns=["level", "county_code", "school_id", "stage", "year", "band", "n", "m", "d"])
    county = county[county["d"]].groupby(["stage", "year", "band"], as_index=False)["n"].sum()
    for r in county.itertuples():
        rows.append(("county", C, None, r.stage, r.year, r.band, r.n, "births_ratio", True))
    p = pd.DataFrame(
        rows,
        columns=["level", "county_code", "school_id", "stage", "year", "band", "student_count", "method", "dflt"],
    )
    p = p.assign(
        grade=pd.array([pd.NA] * len(p), dtype="Int64"),
        launch_year=LAUNCH,
        lead_years=p["year"] - LAUNCH,
        scenario="medium",
        is_default_method=p.pop("dflt"),
        size_band="x",
    )
    for c in ("level", "county_code", "school_id", "stage", "scenario", "method", "band"):
        p[c] = p[c].astype("category")
    return p.astype({"year": "Int64", "launch_year": "Int64", "lead_years": "Int64", "student_count": "Float64"})


def _tables() -> dict[str, pd.DataFrame]:
    schools, facilities, teachers = [], [], []
    for sid, (stype, ur, counted, lon, lat, rooms, classes) in SCHOOLS.items():
        row = {"school_id": sid, "year": LAUNCH, "county_code": C, "school_name": f"{sid}学校", "school_type": stype}
        row["township"] = {"TOWN": "镇A", "FAR": "镇C", "NINE": "镇D"}.get(sid, "镇B")  # VILL and KG share 镇B
        row |= {"urban_rural": ur, "is_counted_school": counted, "longitude": lon, "latitude": lat}
        row |= {f"{s}_class_count": classes.get(s) for s in planning.STAGES}
        schools.append(row)
        facilities.append({"school_id": sid, "year": LAUNCH, "county_code": C, "classroom_count": rooms})
    enrollment = [
        {"school_id": s, "year": LAUNCH, "county_code": C, "stage": st, "student_count": now}
        for (s, st), (now, _) in PUPILS.items()
    ]
    teachers = [
        {"school_id": "TOWN", "stage": "primary", "staff": 30, "ft": 28},
        {"school_id": "VILL", "stage": "primary", "staff": 6, "ft": 6},
        {"school_id": "FAR", "stage": "primary", "staff": 1, "ft": 1},
        {"school_id": "NINE", "stage": "primary", "staff": 10, "ft": 9},
        {"school_id": "NINE", "stage": "junior", "staff": 12, "ft": 11},
        {"school_id": "KG", "stage": "kindergarten", "staff": 6, "ft": 3},
    ]
    t = pd.DataFrame(teachers).rename(columns={"staff": "staff_count", "ft": "full_time_teacher_count"})
    ages = pd.DataFrame({"school_id": "KG", "year": LAUNCH, "county_code": C, "age": [3, 5], "student_count": [30, 30]})
    return {
        "schools": pd.DataFrame(schools).astype({"is_counted_school": "boolean"}),
        "facilities": pd.DataFrame(facilities),
        "enrollment": pd.DataFrame(enrollment),
        "teachers": t.assign(year=LAUNCH, county_code=C),
        "kindergarten_ages": ages,
    }


@pytest.fixture(scope="module")
def planned() -> dict[str, pd.DataFrame]:
    out, note = planning.planning_tables(_tables(), {"projections": _projections()})
    assert note["status"] == "computed"
    return out


def _school(table: pd.DataFrame, sid: str, stage: str, band: str = "point") -> pd.DataFrame:
    return table[(table["school_id"] == sid) & (table["stage"] == stage) & (table["band"] == band)].sort_values("year")


def test_places_are_classrooms_times_class_size_and_the_shortfall_is_dated(planned):
    town = _school(planned["planning_places"], "TOWN", "primary")
    assert town["capacity"].eq(450).all()  # 10 classrooms × 小学 45
    assert town["classes_needed"].tolist() == [10, 10, 11, 11, 11]  # ⌈pupils / 45⌉
    assert town["is_shortfall"].tolist() == [False, False, True, True, True]
    s = planned["planning_place_summary"]
    row = s[(s["school_id"] == "TOWN") & (s["band"] == "point")].iloc[0]
    assert (row["first_shortfall_year"], row["largest_shortfall"], row["largest_shortfall_year"]) == (2028, 30, 2029)
    upper = s[(s["school_id"] == "TOWN") & (s["band"] == "upper")].iloc[0]
    assert upper["first_shortfall_year"] == 2026  # 430 × 1.1 > 450: the band brings the shortfall forward


def test_only_the_default_method_is_planned_and_county_totals_add_up(planned):
    p = planned["planning_places"]
    county = p[(p["level"] == "county") & (p["stage"] == "primary") & (p["band"] == "point")].sort_values("year")
    schools = p[(p["level"] == "school") & (p["stage"] == "primary") & (p["band"] == "point")]
    assert county["capacity"].eq(450 + 180 + 45 + 8 * 45).all()
    assert np.allclose(county["student_count"], schools.groupby("year")["student_count"].sum().to_numpy())
    assert len(p[(p["school_id"] == "TOWN") & (p["band"] == "point")]) == len(YEARS)  # not the other method's rows


def test_shared_classrooms_split_by_classes_and_kindergarten_size_from_ages(planned):
    p = planned["planning_places"]
    assert _school(p, "NINE", "primary")["classroom_count"].eq(8).all()  # 12 rooms × 8/12 classes
    assert _school(p, "NINE", "junior")["capacity"].eq(4 * 50).all()
    kg = _school(p, "KG", "kindergarten")
    assert kg["class_size"].round(6).eq(round(60 / (30 / 25 + 30 / 35), 6)).all()  # 小班 25 and 大班 35, mixed


def test_teacher_need_uses_ratios_and_the_class_rule_and_supply_retires(planned):
    t = planned["planning_teachers"]
    prim = t[(t["stage"] == "primary") & (t["band"] == "point")].sort_values("year").iloc[0]
    # 2026: TOWN 430/19, NINE 300/19, VILL max(62/19, 2 classes × 1.7), FAR max(8/19, 1 × 1.7)
    expected = 430 / 19 + 300 / 19 + max(62 / 19, 2 * 1.7) + max(8 / 19, 1.7)
    assert prim["staff_needed"] == pytest.approx(expected)
    assert prim["schools_on_class_rule"] == 2
    assert prim["staff_in_post"] == 47
    assert prim["staff_supply"] == pytest.approx(47 * 0.975)
    assert prim["staff_gap"] == pytest.approx(47 * 0.975 - expected)
    kg = t[(t["stage"] == "kindergarten") & (t["band"] == "point")].sort_values("year").iloc[0]
    assert kg["staff_needed"] == 2 * 2 and kg["staff_in_post"] == 3  # 两教一保 against 专任教师, not 教职工


def test_small_schools_cross_thresholds_kindergartens_first(planned):
    s = planned["planning_small_schools"]
    point = s[s["band"] == "point"]
    vill = point[point["school_id"] == "VILL"].set_index("threshold")
    assert vill.loc[100, "is_below_at_launch"] and vill.loc[50, "first_year_below"] == 2028
    assert 10 not in vill.index  # never below 10
    assert point[point["school_id"] == "FAR"].set_index("threshold").loc[10, "first_year_below"] == 2026
    assert s["stage"].iloc[0] == "kindergarten"
    assert "TOWN" not in set(s["school_id"])


def test_consolidation_is_a_screening_with_distance_spare_places_and_caveats(planned):
    c = planned["planning_consolidation"].set_index("school_id")
    assert set(c.index) == {"VILL", "FAR", "KG"}  # below 50 pupils in 2030 (point)
    vill = c.loc["VILL"]
    assert vill["nearest_school_id"] == "TOWN"
    assert vill["nearest_distance_km"] == pytest.approx(1.0, abs=0.01)
    assert vill["receiving_spare_places"] == pytest.approx(450 - 470)  # the town school has no room in 2030
    assert vill["screening"].startswith("可研究")
    assert (vill["student_count_lower"], vill["student_count_upper"]) == pytest.approx((31.5, 38.5))
    assert c.loc["FAR", "screening"].startswith("应保留")  # the nearest alternative is beyond 3 km
    assert c.loc["KG", "screening"].startswith("待核实")  # no coordinates: kept until checked
    text = " ".join(c["screening"].astype(str)) + " ".join(c["caveats"].astype(str))
    assert "先建后撤" in text and "应留必留" in text and "听证" in text
    assert "应撤" not in text and "should close" not in text


def test_without_projections_nothing_is_planned_and_the_note_says_why():
    out, note = planning.planning_tables(_tables(), {})
    assert out == {} and note["status"] == "not computed" and "projections" in note["reason"]


def test_haversine_one_degree_of_latitude():
    assert planning.haversine_km(100, 24, 100, 25) == pytest.approx(111.19, abs=0.05)


# ------------------------------------------------------------------------------------------------ the page
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_names_scenario_and_band_escapes_names_and_never_says_close(planned, lang):
    from matplotlib.figure import Figure

    from lcedu.present import planning as page

    tables = dict(planned)
    c = tables["planning_consolidation"].copy()
    c["school_name"] = c["school_name"].where(c["school_id"] != "VILL", "<script>x</script>村小")
    tables["planning_consolidation"] = c
    v = page.View(C, lang, "medium", tables, synthetic=True)
    head = " ".join(page.header(v).items)
    assert "合成样例数据" in head  # the sample is labelled as the suite requires
    label = scenarios()["scenarios"]["medium"]["label_zh" if lang == "zh" else "label_en"]
    assert label in head and "80" in head  # the scenario and the band's percentile
    assert isinstance(page.places_figure(v), Figure)
    places = page.places_table(v).items[0].to_html()
    assert "1,035" in places  # county 小学 places: 450 + 180 + 45 + 360
    screening = page.screening_table(v)
    html = screening.items[2].to_html()
    assert "未提供路网" in screening.items[1] or "No road extract" in screening.items[1]
    assert "&lt;script&gt;" in html and "<script>x" not in html
    words = " ".join(str(i) for i in screening.items if isinstance(i, str)) + screening.title + html
    assert "先建后撤" in words and "听证" in words
    for verdict in ("应撤并", "应关闭", "should close", "must close"):
        assert verdict not in words
    teachers = page.teacher_table(v).items[0].to_html()
    assert "+" in teachers or "-" in teachers  # the gap carries its sign
    small = page.small_school_table(v).items[0].data
    assert small.iloc[0, 0] == table("planning_stages", lang)["kindergarten"]  # kindergartens first
    assert "2028" in page.large_class_risk(v)  # TOWN outgrows its places from 2028
    assert page.reuse_table(v).items == [word("planning.none", lang)]  # KG has room: nothing to reuse


def test_town_schools_outgrowing_their_places_carry_the_large_class_risk(planned):
    s = planned["planning_place_summary"]
    point = s[(s["level"] == "school") & (s["band"] == "point")].set_index("school_id")
    assert bool(point.loc["TOWN", "is_large_class_risk"])  # urban and short of places from 2028
    assert not point.loc["VILL", "is_large_class_risk"]


def test_empty_primary_classrooms_beside_a_kindergarten_shortfall_in_the_same_township():
    tables = _tables()
    tables["facilities"].loc[tables["facilities"]["school_id"] == "KG", "classroom_count"] = 1  # 1 room for 58
    out = planning.compute_planning(tables, _projections())["planning_reuse"]
    point = out[(out["band"] == "point")].set_index("year")
    assert set(out["township"]) == {"镇B"}  # VILL's empty classrooms beside KG's shortfall
    row = point.loc[2026]
    assert row["primary_free_classrooms"] == 4 - 2  # 62 pupils need 2 of its 4 rooms (45 each): 2 whole rooms free
    kg_size = 60 / (30 / 25 + 30 / 35)
    assert row["kindergarten_shortfall_places"] == pytest.approx(58 - kg_size)


# ------------------------------------------------------------------------------------------ early warning
def test_monitor_flags_the_school_moved_out_of_its_band_and_the_one_that_crossed_a_threshold():
    from lcedu.measure import monitor

    previous = _projections()  # last year's run, launched from 2025; now 2026 is actual
    actual = pd.DataFrame(
        [
            ("TOWN", C, "primary", LAUNCH, 420.0),
            ("TOWN", C, "primary", 2026, 600.0),  # projected 430 (387–473): far above the band
            ("VILL", C, "primary", LAUNCH, 70.0),
            ("VILL", C, "primary", 2026, 45.0),  # below its band (55.8–68.2) and below 50
            ("NINE", C, "primary", LAUNCH, 300.0),
            ("NINE", C, "primary", 2026, 310.0),  # inside its band
        ],
        columns=["school_id", "county_code", "stage", "year", "student_count"],
    )
    result = monitor.monitor(previous, actual)
    school = result[result["level"] == "school"].set_index("school_id")
    assert set(school.index) == {"TOWN", "VILL", "NINE"}  # schools without actual data are left out, not zero
    assert school.loc["TOWN", "is_outside_band"] and not school.loc["NINE", "is_outside_band"]
    assert school.loc["VILL", "crossed_below"] == "<50" and pd.isna(school.loc["TOWN", "crossed_below"])
    assert school.loc["TOWN", "error_pct"] == pytest.approx((430 - 600) / 600 * 100)
    flagged = monitor.warnings(result)
    assert set(flagged.loc[flagged["level"] == "school", "school_id"]) == {"TOWN", "VILL"}
    assert flagged["level"].iloc[0] == "county"  # the county row first: 1,015 actual against 1,100 projected


def test_monitor_without_previous_projections_names_the_fix(tmp_path):
    from lcedu.errors import RequestError
    from lcedu.measure import monitor

    with pytest.raises(RequestError, match="projections.parquet"):
        monitor.read_previous(tmp_path / "nothing")


def test_planning_sheet_lists_places_teachers_and_screening_and_keeps_formula_like_names_as_text(planned, tmp_path):
    from openpyxl import Workbook

    from lcedu.ingest import store
    from lcedu.present.planning_sheet import SHEET, add_planning_sheet

    tables = dict(planned)
    c = tables["planning_consolidation"].copy()
    c["school_name"] = c["school_name"].astype(str).where(c["school_id"] != "VILL", "=HYPERLINK(1)")
    tables["planning_consolidation"] = c
    store.write(tables, {"is_sample": True}, tmp_path)
    wb = Workbook()
    add_planning_sheet(wb, C, str(tmp_path))
    ws = wb[SHEET]
    values = [[cell.value for cell in row] for row in ws.iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    assert "中方案" in str(values[0][0]) and "不是结论" in str(values[0][0])
    assert 1035 in flat  # county 小学 places
    vill = next(row for row in ws.iter_rows() if row[0].value == "VILL")
    assert vill[1].value == "=HYPERLINK(1)" and vill[1].data_type == "s"
    assert any("先建后撤" in str(v) for v in flat)


def test_each_build_keeps_the_projections_it_replaces_and_monitor_finds_the_latest_earlier_one(tmp_path):
    from lcedu.ingest import store
    from lcedu.measure import monitor

    assert monitor.keep_projections(tmp_path) is None  # no build yet: nothing to keep
    store.write({"projections": _projections()}, {}, tmp_path)  # launched from 2025
    kept = monitor.keep_projections(tmp_path)
    assert kept == tmp_path / "history" / "projections_launch2025.parquet" and kept.exists()
    assert pd.read_parquet(kept)["launch_year"].max() == LAUNCH
    assert not list((tmp_path / "history").glob("*.partial"))
    assert monitor.latest_kept(2026, tmp_path) == kept  # a 2026 build compares with the 2025 launch
    assert monitor.latest_kept(2025, tmp_path) is None  # never with its own launch year


# ---------------------------------------------------------------------------- 体育、音乐、美术 and retirements
def _with_subjects(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    t = tables["teachers"].copy()
    counts = {("TOWN", "primary"): (2, 1, 1), ("NINE", "primary"): (1, 1, 0), ("NINE", "junior"): (1, 0, 0)}
    for i, col in enumerate(("pe_teacher_count", "music_teacher_count", "art_teacher_count")):
        t[col] = [counts.get((r.school_id, r.stage), (0, 0, 0))[i] for r in t.itertuples()]
    return {**tables, "teachers": t}


@pytest.mark.slow  # seconds: the planning tables computed again
def test_subject_teachers_needed_from_projected_classes_against_those_in_post():
    tables = _with_subjects(_tables())
    out = planning.compute_planning(tables, _projections())["planning_subject_teachers"]
    cfg = planning.config()["subject_teachers"]
    first = out[(out["band"] == "point") & (out["year"] == 2026)].set_index(["stage", "subject"])
    classes = 10 + 2 + 1 + 7  # 2026 小学: TOWN ⌈430/45⌉, VILL ⌈62/45⌉, FAR 1, NINE ⌈300/45⌉
    pe = first.loc[("primary", "pe")]
    assert pe["classes_needed"] == classes
    expected = classes * cfg["periods_per_week"]["pe"]["primary"] / cfg["teacher_periods_per_week"]["primary"]
    assert pe["teachers_needed"] == pytest.approx(expected)
    assert pe["teachers_in_post"] == 3 and pe["teachers_supply"] == pytest.approx(3 * 0.975)
    assert pe["teacher_gap"] == pytest.approx(3 * 0.975 - expected)  # a shortage: negative
    assert first.loc[("junior", "art"), "teachers_in_post"] == 0  # reported 0 stays 0
    no_counts = planning.compute_planning(_tables(), _projections())["planning_subject_teachers"]
    assert no_counts["teachers_in_post"].isna().all() and no_counts["teacher_gap"].isna().all()  # NA, never 0


def test_retirements_follow_teacher_ages_when_the_table_exists():
    ages = pd.DataFrame(
        {
            "school_id": "TOWN",
            "year": LAUNCH,
            "county_code": C,
            "stage": "primary",
            "age_lower": [25, 55, 58],
            "age_upper": [34, 57, pd.NA],  # the open band ends at the retirement age
            "teacher_count": [20, 6, 4],
        }
    ).astype({"age_upper": "Int64"})
    share = planning.retirements_by_age(ages, LAUNCH, [1, 2, 3, 5], retirement_age=60)
    share = share.set_index("lead_years")["remaining_share"]
    # lead 1: of 58–59 (4 teachers, 2 per year) the 59s leave (2); lead 2: all of 58–59 (4);
    # lead 3: and the 57s (2 of the 55–57 band's 6); lead 5: every teacher of 55 and over (10)
    assert share.to_dict() == pytest.approx({1: 28 / 30, 2: 26 / 30, 3: 24 / 30, 5: 20 / 30})
    tables = {**_tables(), "teacher_ages": ages}
    t = planning.compute_planning(tables, _projections())["planning_teachers"]
    prim = t[(t["stage"] == "primary") & (t["band"] == "point")].set_index("year")
    assert prim.loc[2027, "staff_supply"] == pytest.approx(47 * 26 / 30)
    assert str(prim.loc[2027, "retirement_basis"]).startswith("按教师年龄")
    junior = t[(t["stage"] == "junior") & (t["band"] == "point")].set_index("year")
    assert junior.loc[2027, "staff_supply"] == pytest.approx(12 * 0.975**2)  # no ages for 初中: the stated rate
    assert str(junior.loc[2027, "retirement_basis"]).startswith("假设")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_sets_subject_surplus_and_shortage_side_by_side(lang):
    from lcedu.present import planning as page

    tables = planning.compute_planning(_with_subjects(_tables()), _projections())
    v = page.View(C, lang, "medium", tables, synthetic=True)
    section = page.subject_side_by_side(v)
    frame = section.items[0].data
    assert list(frame.columns) == v.text("subject_cols")
    rows = frame.set_index(frame.columns[1])
    primary, junior = (rows.loc[v.text("stage")[s]] for s in ("primary", "junior"))
    assert primary.iloc[1].startswith("-") and junior.iloc[1].startswith("+")  # PE: 小学 short, 初中 to spare
    assert "（" in primary.iloc[1]  # with its band


# ------------------------------------------------------------------------------ 四、下一步建议 of the evaluation
@pytest.mark.slow  # seconds: the planning tables computed again
def test_evaluation_advice_gives_places_teachers_and_schools_with_scenario_and_band_and_no_closure():
    import docx

    from lcedu.measure.plan import get_plan
    from lcedu.publish import evaluation as ev_doc

    projections = _projections()
    stored = {
        "projections": projections,
        "schools": _tables()["schools"],
        **planning.compute_planning(_tables(), projections),
    }
    empty = pd.DataFrame()
    data = ev_doc.EvaluationData(
        get_plan(), 2025, empty, empty, empty, empty, empty, empty, (2025,), True, "", planning=stored
    )
    doc = docx.Document()
    ev_doc.projected_advice(doc, data, C)
    text = [p.text for p in doc.paragraphs]
    primary = next(t for t in text if t.startswith("（") and "小学" in t)
    p2030 = stored["planning_places"]
    spare = p2030[(p2030["level"] == "county") & (p2030["stage"] == "primary") & (p2030["year"] == 2030)]
    point = float(spare.loc[spare["band"] == "point", "spare_places"].iloc[0])
    assert f"学位余缺{point:+,.0f}个" in primary  # the number comes from the stored table
    assert "中方案区间" in primary and "方案" in primary  # every figure with its scenario and band
    assert "教师余缺" in primary and "不足100人的学校" in primary
    assert "TOWN学校2028年" in primary  # where and by when: the town school runs short from 2028
    screening = text[-1]
    assert "先建后撤" in screening and "应留必留" in screening and "筛查不是结论" in screening
    for verdict in ("应撤并", "应关闭", "予以撤并", "建议撤并"):
        assert not any(verdict in t for t in text)
    ev_doc.projected_advice(
        doc := docx.Document(),
        ev_doc.EvaluationData(get_plan(), 2025, empty, empty, empty, empty, empty, empty, (2025,), True, ""),
        C,
    )
    assert not doc.paragraphs  # a build without projections keeps the gap-closing advice only


def test_the_build_runs_the_early_warning_against_the_kept_projection_and_the_page_lists_it(tmp_path):
    from lcedu.ingest import store
    from lcedu.measure import monitor
    from lcedu.present import planning as page

    grades = pd.DataFrame(
        [
            ("TOWN", C, "primary", 2025, 1, 420.0),
            ("TOWN", C, "primary", 2026, 1, 600.0),  # projected 430 (387–473)
            ("VILL", C, "primary", 2025, 1, 70.0),
            ("VILL", C, "primary", 2026, 1, 45.0),  # below 50
        ],
        columns=["school_id", "county_code", "stage", "year", "grade", "student_count"],
    )
    out, note = monitor.monitor_tables({"grade_enrollment": grades}, tmp_path)
    assert out == {} and note["status"] == "not computed"  # nothing kept yet: no comparison, the note says why
    store.write({"projections": _projections()}, {}, tmp_path)  # last year's build, launched from 2025
    monitor.keep_projections(tmp_path)
    out, note = monitor.monitor_tables({"grade_enrollment": grades}, tmp_path)
    assert note["status"] == "computed" and note["previous"] == "projections_launch2025.parquet"
    assert note["crossed_below"] == 1
    tables = {**planning.compute_planning(_tables(), _projections()), **out}
    section = page.monitor_list(page.View(C, "zh", "medium", tables, synthetic=True))
    assert "2026" in section.title and "2025" in section.title
    listed = section.items[1].data
    assert listed.iloc[0, 0] == "双江自治县"  # the county first
    assert any("VILL学校" in p and "跌破50人" in w for p, w in zip(listed.iloc[:, 0], listed.iloc[:, 5], strict=True))
