"""A province-sized build: the synthetic province sample cleans, and its results carry prefecture and
province rows that add up; 临沧's 530900 rows do not change when other prefectures are added."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lcedu.ingest.counties import is_aggregate, prefecture_of
from lcedu.measure import indicators
from lcedu.sample.rosters import STAGE_FILE_WORD
from tests.conftest import build_as_processed, copy_county

YEARS = [2024, 2025]


def _sum_indicators() -> list[str]:
    """Indicators whose aggregate rows are sums of the county numerators and denominators."""
    reg = indicators.load_registry()
    return [
        code
        for code, i in reg.indicators.items()
        if i.level == "county" and i.city == "sum" and "numerator" in i.formula
    ]


def test_province_counties_are_the_registry_s_with_distinct_school_ids_and_census_total():
    """云南's 129 counties by their real codes; 530325 and 532325 must not share school ids."""
    from collections import defaultdict

    from lcedu.ingest.counties import registry
    from lcedu.sample import province_sample_counties
    from lcedu.sample.truth import calibration, school_id_for

    counties = province_sample_counties("53")
    listed = registry()[registry()["county_code"].str.startswith("53")]
    assert sorted(c.county_code for c in counties) == sorted(listed["county_code"])
    assert {c.name_zh for c in counties} == set(listed["name_zh"])
    assert len({school_id_for(c, "primary", defaultdict(int)) for c in counties}) == len(counties)
    total = calibration()["provinces"]["53"]["population_2020"]
    assert sum(c.pop2020 for c in counties) == pytest.approx(total, rel=1e-5)


@pytest.fixture(scope="module")
def province_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """Two counties in each of two prefectures of the synthetic 云南, at a fifth of 临沧's density."""
    from lcedu.ingest.clean import clean
    from lcedu.measure.results import compute_results
    from lcedu.sample import generate, province_sample_counties

    everything = province_sample_counties("53")
    by_prefecture: dict[str, list] = {}
    for county in everything:
        by_prefecture.setdefault(prefecture_of(county.county_code), []).append(county)
    chosen = [c for prefecture in sorted(by_prefecture)[:2] for c in by_prefecture[prefecture][:2]]
    raw = tmp_path_factory.mktemp("province") / "raw"
    generate(raw, counties=chosen, years=YEARS, density=0.2)
    result = clean(raw)
    assert not result.errors, [i.format() for i in result.errors]
    return raw, result.tables, compute_results(result.tables)


def test_every_name_the_province_sample_writes_resolves_to_its_county():
    """The sample spells counties as other offices do (short, full, 自治县 forms): each one must resolve."""
    from lcedu.ingest.counties import resolve
    from lcedu.sample import province_sample_counties
    from lcedu.sample.messy import county_names

    unresolved = [
        (c.county_code, name)
        for c in province_sample_counties("53")
        for name in county_names(c)
        if resolve(name) != c.county_code
    ]
    assert not unresolved


def test_province_sample_is_marked_synthetic_and_uses_the_registry_counties(province_build):
    raw, tables, _ = province_build
    meta = json.loads((raw / "sample.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert "不是官方" in (raw / "README.md").read_text(encoding="utf-8")
    listed = pd.read_csv(raw / "counties.csv", dtype=str)
    assert sorted(tables["schools"]["county_code"].astype(str).unique()) == sorted(meta["counties"])
    assert set(listed["county_code"]) == set(meta["counties"])
    assert len(meta["prefectures"]) == 2
    # The same input formats as the 临沧 sample: 过录表 rosters per county and year (a combined one, or one
    # per 学段 — their names say which), county sheets.
    rosters = list((raw / "rosters").rglob("*过录表*"))
    combined = [p for p in rosters if not any(w in p.stem for w in STAGE_FILE_WORD.values())]
    split = {(p.parent.name, p.stem.split(p.parent.name)[0]) for p in rosters if p not in combined}
    assert len(combined) + len(split) == len(meta["counties"]) * len(YEARS)


def test_results_have_prefecture_and_province_rows_that_add_up(province_build):
    _, tables, results = province_build
    res = results["indicator_results"]
    codes = set(res["county_code"].astype(str))
    counties = sorted(c for c in codes if not is_aggregate(c))
    prefectures = sorted({prefecture_of(c) for c in counties})
    assert {c for c in codes if is_aggregate(c)} == {*prefectures, "530000"}
    frame = res.assign(county_code=res["county_code"].astype(str))
    checked = 0
    for code in _sum_indicators():
        rows = frame[(frame["indicator"] == code) & (frame["year"] == 2025)].set_index("county_code")
        if rows.loc[counties, "na_reason"].notna().any():
            continue
        for prefecture in prefectures:
            members = [c for c in counties if prefecture_of(c) == prefecture]
            for part in ("numerator", "denominator"):
                assert float(rows.at[prefecture, part]) == pytest.approx(float(rows.loc[members, part].sum()))
        for part in ("numerator", "denominator"):
            assert float(rows.at["530000", part]) == pytest.approx(float(rows.loc[prefectures, part].sum()))
        province = rows.loc["530000"]
        if float(province["denominator"]) > 0:
            factor = float(indicators.load_registry().indicators[code].formula.get("factor", 1))
            expected = float(province["numerator"]) / float(province["denominator"]) * factor
            cap = indicators.load_registry().indicators[code].formula.get("cap")
            assert float(province["value"]) == pytest.approx(min(expected, cap) if cap else expected)
        checked += 1
    assert checked >= 20
    # Pooled school counts add up too: schools meeting the 6-of-7 rule.
    share = frame[(frame["indicator"] == "primary_resource_standard_school_pct") & (frame["year"] == 2025)]
    share = share.set_index("county_code")
    assert float(share.at["530000", "denominator"]) == float(share.loc[counties, "denominator"].sum())
    # Scorecard, gaps and listings were computed for the build; no county target lands on an aggregate.
    card = results["scorecard"]
    own = card[card["target_scope"].isin(["county", "city_reference"])]
    assert not own["county_code"].astype(str).map(is_aggregate).any()
    gaps = results["preschool_gaps"]
    assert {*prefectures, "530000"} <= set(gaps["county_code"].astype(str))


def test_lincang_rows_unchanged_when_another_prefecture_is_added(sample_tables):
    """临沧 alone has only 530900 aggregate rows; adding a county of another prefecture changes none of them."""
    alone = indicators.compute(tables=sample_tables)
    assert sorted(c for c in alone["county_code"].unique() if is_aggregate(c)) == ["530900"]
    extra = copy_county(sample_tables, "530925", "530102")
    both = indicators.compute(tables=extra)
    lincang = both[both["county_code"] == "530900"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        alone[alone["county_code"] == "530900"].reset_index(drop=True), lincang, check_exact=True
    )
    assert {"530100", "530000"} <= set(both["county_code"])
    rows = both[(both["indicator"] == "preschool_gross_enrollment_pct") & (both["year"] == 2025)].set_index(
        "county_code"
    )
    assert float(rows.at["530000", "numerator"]) == float(rows.at["530900", "numerator"]) + float(
        rows.at["530102", "numerator"]
    )
    # The copied county is its prefecture: the same numbers as the county it was copied from.
    assert float(rows.at["530100", "value"]) == float(rows.at["530925", "value"])


# --------------------------------------------------------------------------- views


def test_render_adds_overviews_only_when_the_counties_span_prefectures(tmp_path):
    from lcedu.ingest.counties import home
    from lcedu.present.suite import suite
    from lcedu.publish import render

    lincang = render.plan(list(home()["county_code"]), None, 2025, "zh", tmp_path)
    county_notebooks = [n for n in suite() if n.batch and n.scope == "county"]
    assert len(lincang) == 8 * len(county_notebooks) + 1 == 81
    assert {j.notebook for j in lincang if j.county == "530900"} == {"city_overview"}

    wide = render.plan(["530102", "530302", "530925"], None, 2025, "zh", tmp_path)
    overviews = {(j.notebook, j.county) for j in wide if j.notebook.endswith("_overview")}
    assert overviews == {
        ("city_overview", "530900"),
        ("prefecture_overview", "530100"),
        ("prefecture_overview", "530300"),
        ("prefecture_overview", "530900"),
        ("province_overview", "530000"),
    }
    job = next(j for j in wide if j.notebook == "province_overview")
    assert job.parameters["province"] == "530000" and "county" not in job.parameters
    assert job.output_html.endswith("2025/530000/province_overview.html")


def test_index_groups_cards_by_prefecture_and_escapes_names():
    from lcedu.publish.site import group_cards, templates

    def card(code: str, title: str) -> dict:
        return {"code": code, "title": title, "links": [], "thumbnail": None, "score": ""}

    lincang = [card("530902", "临翔区"), card("530900", "临沧市")]
    assert group_cards(lincang) == []
    cards = [
        card("530000", "云南省"),
        card("530102", "五华区"),
        card("530100", "昆明市"),
        card("530302", "<b>麒麟区</b>"),
    ]
    groups = group_cards(cards)
    assert [g["code"] for g in groups] == ["530000", "530100", "530300"]
    assert [c["code"] for c in groups[1]["cards"]] == ["530100", "530102"]  # the prefecture's own card first
    page = (
        templates()
        .get_template("index.html.j2")
        .render(
            year=2025,
            year_text="2025/26学年初",
            cards=cards,
            groups=groups,
            synthetic=True,
            plan_title="计划",
            counting_rule="计数口径。",
        )
    )
    assert page.index('id="g530100"') < page.index('id="c530102"') < page.index('id="g530300"')
    assert "&lt;b&gt;麒麟区" in page and "<b>麒麟区" not in page


@pytest.fixture(scope="module")
def province_processed(province_build, tmp_path_factory: pytest.TempPathFactory):
    """The small province written as a build; LCEDU_PROCESSED points at it for the module, then back."""
    _, tables, _ = province_build
    with build_as_processed(tables, tmp_path_factory.mktemp("province_processed")) as out:
        yield out


def test_province_overview_ranks_counties_within_prefectures(province_processed):
    from lcedu.present import areas

    p = areas.area_params("云南省", 2025, lang="zh", level="province")
    assert p.county == "530000"
    assert areas.aggregate_codes("prefecture") == sorted({prefecture_of(c) for c in areas.members("530000")})
    ranked = areas.ranked_within_prefectures(p, "preschool_gross_enrollment_pct")
    for _, group in ranked.groupby("prefecture_code"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert list(group["value"]) == sorted(group["value"], reverse=True)  # higher is better
    with pytest.raises(ValueError, match="530100"):
        areas.area_params("5399", 2025, level="prefecture")
    table = areas.prefecture_table(p).items[0].data
    assert list(table.iloc[:, 0]) == [*(areas.area_name(c) for c in areas.aggregate_codes("prefecture")), "云南省"]


@pytest.mark.notebooks
@pytest.mark.parametrize("name", ["prefecture_overview", "province_overview"])
def test_overview_notebooks_run_on_the_province(province_processed, tmp_path, name):
    import nbformat
    import papermill

    from lcedu.present.areas import aggregate_codes

    REPO = Path(__file__).resolve().parents[1]
    code = aggregate_codes("province" if name == "province_overview" else "prefecture")[0]
    key = "province" if name == "province_overview" else "prefecture"
    out = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / f"{name}.ipynb"), str(out), parameters={key: code}, progress_bar=False, cwd=str(REPO)
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error" or o.get("name") == "stderr"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= (2 if name == "province_overview" else 1)
    text = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    assert "合成样例" in text


@pytest.mark.parametrize("value", ["99", "5x"])
def test_sample_refuses_an_unknown_province_without_writing(tmp_path, capsys, value):
    from lcedu import cli

    assert cli.main(["sample", "--province", value, "--raw", str(tmp_path / "raw")]) == 2
    assert not (tmp_path / "raw").exists()
    assert "错误 / error" in capsys.readouterr().err


def test_site_index_of_a_province_build_groups_counties_by_prefecture(province_processed, tmp_path):
    from lcedu.present.areas import members
    from lcedu.publish import render, site

    counties = members("530000")
    jobs = render.plan(counties, ["county_briefing", "prefecture_overview", "province_overview"], 2025, "zh", tmp_path)
    outcomes = [render.Outcome(job=j, ok=True, seconds=0.0) for j in jobs]
    page = site.build_index(tmp_path, 2025, outcomes, render.suite(), None).read_text(encoding="utf-8")
    prefectures = sorted({prefecture_of(c) for c in counties})
    positions = [page.index(f'id="g{code}"') for code in ["530000", *prefectures]]
    assert positions == sorted(positions)
    for code in counties:  # each county's card sits under its own prefecture's heading
        card = page.index(f'id="c{code}"')
        heading = max(p for p in positions if p < card)
        assert heading == page.index(f'id="g{prefecture_of(code)}"')
    assert "2025/530000/province_overview.html" in page and "州(市)总览" in page


@pytest.mark.notebooks
def test_county_briefing_of_a_county_outside_lincang_runs_with_its_locator_map(province_processed, tmp_path):
    """A 云南 county's 县域简报 runs on a province build and places the county in its own prefecture."""
    import nbformat
    import papermill

    from lcedu.ingest.counties import name
    from lcedu.present.areas import members

    REPO = Path(__file__).resolve().parents[1]
    county = sorted(members("530000"))[0]
    assert not county.startswith("5309")
    out = tmp_path / "county_briefing.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "county_briefing.ipynb"),
        str(out),
        parameters={"county": county, "year": YEARS[-1], "baseline_year": YEARS[0]},
        progress_bar=False,
        cwd=str(REPO),
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error" or o.get("name") == "stderr"]
    text = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    assert name(county) in text
    assert any("image/png" in o.get("data", {}) for o in outputs)


# --------------------------------------------------------------------------- within the county's own prefecture


def _two_prefectures(results: dict) -> dict[str, list[str]]:
    codes = sorted(c for c in results["indicator_results"]["county_code"].astype(str).unique() if not is_aggregate(c))
    out: dict[str, list[str]] = {}
    for code in codes:
        out.setdefault(prefecture_of(code), []).append(code)
    return out


def test_scorecard_ranks_counties_within_their_own_prefecture(province_build):
    _, _, results = province_build
    card = results["scorecard"]
    by_prefecture = _two_prefectures(results)
    assert len(by_prefecture) == 2
    rows = card[(card["year"] == 2025) & card["rank"].notna()]
    counties = rows[~rows["county_code"].astype(str).map(is_aggregate)]
    assert len(counties)
    # Each county is ranked among its prefecture's 2 counties, never among the build's 4.
    assert int(counties["rank_count"].max()) == 2 and int(counties["rank"].max()) <= 2
    one = card[(card["indicator"] == "preschool_gross_enrollment_pct") & (card["year"] == 2025)].set_index(
        "county_code"
    )
    for members in by_prefecture.values():
        values = one.loc[members, "value"].astype(float)
        best = values.idxmax()
        assert int(one.at[best, "rank"]) == 1 and (one.loc[members, "rank_count"] == 2).all()
        spread = values.max() / values.min()
        assert float(one.at[members[0], "spread_max_min_ratio"]) == pytest.approx(spread)
        assert float(one.at[prefecture_of(members[0]), "spread_max_min_ratio"]) == pytest.approx(spread)
    # The province row's spread is over all four counties.
    everything = one.loc[[c for m in by_prefecture.values() for c in m], "value"].astype(float)
    assert float(one.at["530000", "spread_max_min_ratio"]) == pytest.approx(everything.max() / everything.min())


def test_county_pages_compare_a_county_with_its_own_prefecture(province_processed):
    from lcedu.present import areas, briefing, sections

    areas_members = areas.members("530100")
    county = areas_members[0]
    p = briefing.params(county, 2025, 2024)
    assert briefing.peer_codes(p) == areas_members and len(areas_members) == 2
    assert briefing.peers_phrase(p) == "昆明市2个县(区)"
    assert briefing.peers_phrase(briefing.params(county, 2025, 2024, lang="en")) == "the 2 counties of Kunming"
    ranks = briefing.briefing_ranks(p)
    assert ranks.title == "在昆明市2个县(区)中的位置"
    assert ranks.items == [f"{p.name}没有可在昆明市2个县(区)中排名的计划目标指标。"]  # 临沧's plan sets 昆明 none
    series, _ = briefing.trend_series(p, ["preschool_gross_enrollment_pct"])
    assert set(series["county_code"]) == {*areas_members, "530100"}
    dots = sections.county_dots(p, "preschool_gross_enrollment_pct")
    labels = [t.get_text() for t in dots.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted([areas.area_name(c) for c in [*areas_members, "530100"]])


def test_prefecture_workbook_lists_only_its_own_counties(province_processed, tmp_path):
    import openpyxl

    from lcedu.present import areas, workbooks

    members = areas.members("530300")
    path = workbooks.write_city_workbook(2025, tmp_path / "530300.xlsx", prefecture="530300")
    wb = openpyxl.load_workbook(path)
    listed = {row[0] for row in wb["各县指标"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert listed == {areas.area_name(c) for c in members}
    headers = [c.value for c in wb["各县指标"][1]]
    assert "州(市)内县际排名" in headers
    note = wb["目标达成统计"]["A1"].value  # 临沧's plan: no targets of its own here, and the note says so
    assert "本计划目标为临沧市目标" in note and "计数口径" not in note


def test_maps_draw_one_prefecture_of_a_province_build(province_processed):
    from lcedu.errors import RequestError
    from lcedu.present import briefing, maps

    res = briefing.base().results
    data = res[res["indicator"] == "preschool_gross_enrollment_pct"]
    with pytest.raises(RequestError, match="prefecture"):
        maps.small_multiples(data, "preschool_gross_enrollment_pct", [2024, 2025])
    figure = maps.small_multiples(data, "preschool_gross_enrollment_pct", [2024, 2025], prefecture="5301")
    drawn = {a.get_gid() for ax in figure.axes for a in ax.patches if str(a.get_gid()).startswith("county-")}
    kunming = set(maps.prefecture_counties("530100")["county_code"])
    assert drawn == {f"county-{c}" for c in kunming} and len(kunming) > 2  # all of 昆明, the ones without data hatched
    assert figure._suptitle.get_text().startswith("昆明市")
    status = briefing.base().assessments
    status_figure = maps.status_map(status, 2025, prefecture="530300")
    titles = [ax.get_title(loc="left") for ax in status_figure.axes if ax.get_gid()]
    assert titles and all("计划目标" not in t for t in titles)  # 临沧's plan shares are not 曲靖's
    assert status_figure._suptitle.get_text().startswith("曲靖市")
    change = maps.change_map(data, "preschool_gross_enrollment_pct", 2024, 2025, prefecture="530300", lang="en")
    assert change.get_title(loc="left").startswith("Qujing: ")


def test_locator_map_names_the_prefecture_in_the_page_language():
    from lcedu.present import maps

    assert maps.locator_map("530102", lang="en").get_title(loc="left") == "Wuhua in Kunming"
    assert maps.locator_map("530102").get_title(loc="left") == "五华区在昆明市的位置"
    assert maps.locator_map("530925", lang="en").get_title(loc="left") == "Shuangjiang in Lincang"


def test_maps_command_draws_one_prefecture_of_a_province_build(province_processed, tmp_path, capsys):
    from lcedu.cli import main

    # Neither 临沧 nor one prefecture: the command names the prefectures and how to choose (exit 2).
    assert main(["maps", "--year", "2025", "--out", str(tmp_path / "none"), "--formats", "png"]) == 2
    assert "530100" in capsys.readouterr().err
    assert (
        main(["maps", "--year", "2025", "--out", str(tmp_path / "km"), "--formats", "png", "--prefecture", "昆明市"])
        == 0
    )
    names = {p.name for p in (tmp_path / "km").glob("*.png")}
    assert "status_2025.png" in names and "locator_530102.png" in names and "locator_530925.png" not in names
    assert any(n.endswith("_small-multiples.png") for n in names)


def test_the_plan_s_county_targets_stay_with_its_own_prefecture(province_build, sample_tables):
    """临沧's plan sets targets for 临沧's counties: a county of 昆明 or 曲靖 gets none of them."""
    from lcedu.measure.scorecard import scorecard

    _, _, results = province_build
    card = results["scorecard"]
    assert card["target"].notna().sum() == 0
    both = copy_county(sample_tables, "530925", "530102")
    res = indicators.compute(tables=both)
    mixed = scorecard(results=res, tables=both)
    targeted = set(mixed.loc[mixed["target"].notna(), "county_code"].astype(str))
    assert "530925" in targeted and "530900" in targeted and "530102" not in targeted
