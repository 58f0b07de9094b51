"""One judgement: the site index, every briefing, every workbook and every evaluation document state the same
counts, by the one stated rule (:data:`lcedu.measure.scorecard.COUNTING_RULE`), for the city and every county."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import docx
import openpyxl
import pytest

from lcedu.home import CITY_CODE
from lcedu.ingest.counties import home
from lcedu.measure.results import load_results, plan_results
from lcedu.measure.scorecard import COUNTING_RULE
from lcedu.present import briefing, workbooks
from lcedu.present.narrative import year_label
from lcedu.publish import render, site

YEAR = 2025
pytestmark = pytest.mark.integration


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


COUNT_SENTENCE = re.compile(
    r"对照(?:本县|全市)目标(\d+)项：达标(\d+)项、未达标(\d+)项、未到期(\d+)项"
    r"(?:（按\d{4}/\d{2}学年初以来的趋势可按期达标(\d+)项）)?"
)


@pytest.fixture(scope="module")
def index_counts(processed_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[int]]:
    out = tmp_path_factory.mktemp("site")
    codes = [*home()["county_code"], CITY_CODE]
    outcomes = [
        render.Outcome(job=render.Job("county_briefing", code, YEAR, "zh", "", "", ""), ok=True, seconds=0)
        for code in codes
    ]
    page = site.build_index(out, YEAR, outcomes, render.suite(), None).read_text(encoding="utf-8")
    found = dict(re.findall(r'id="c(\d{6})".*?<p class="score">(.*?)</p>', page, flags=re.S))
    assert set(found) == set(codes)
    return {code: _numbers(text) for code, text in found.items()}


@functools.cache
def evaluation_data():  # the end-of-plan evaluation of the default plan, once per module
    from lcedu.publish import evaluation

    return evaluation.evaluation_data(None, YEAR)


@pytest.mark.parametrize("county", [*home()["county_code"], CITY_CODE])
def test_index_briefing_and_workbook_agree(
    county: str, index_counts: dict, processed_sample: Path, tmp_path: Path
) -> None:
    # Briefing: the sentence the county briefing's overview shows.
    p = briefing.params(county, YEAR, 2022, "zh", scope="city" if county == CITY_CODE else "county")
    overview = briefing.city_summary(p) if county == CITY_CODE else briefing.briefing_overview(p)
    text = "\n".join(str(item) for item in overview.items)
    found = COUNT_SENTENCE.search(text)
    assert found, text
    targets, met, not_met, not_due = (int(g) for g in found.groups()[:4])
    on_track = int(found.group(5) or 0)
    # Index: 对照本县目标 N 项：达标 a · 未达标 b · 未到期 c（按趋势可达标 d）.
    assert index_counts[county][:5] == [targets, met, not_met, not_due, on_track]
    # Workbook: the 目标达成统计 sheet, this county's row for the year.
    path = tmp_path / "book.xlsx"
    if county == CITY_CODE:
        workbooks.write_city_workbook(YEAR, path)
    else:
        workbooks.write_county_workbook(county, YEAR, path)
    ws = openpyxl.load_workbook(path)["目标达成统计"]
    header = [c.value for c in ws[3]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=4)]
    row = next(r for r in rows if r["县(区)代码"] == county and r["学年初"] == year_label(YEAR, short=True))
    assert [row["目标数"], row["达标"], row["未达标"], row["未到期"], row["未到期中按趋势可达标"]] == [
        targets,
        met,
        not_met,
        not_due,
        on_track,
    ]
    # Evaluation document: its 一、总体情况 states the same count, by the same stated rule.
    from lcedu.publish import evaluation

    data = evaluation_data()
    doc = evaluation.write_document(data, None if county == CITY_CODE else county, tmp_path / "eval.docx")
    paragraphs = [p.text for p in docx.Document(str(doc)).paragraphs]
    stated = next(t for t in paragraphs if COUNT_SENTENCE.search(t))
    assert [int(g) for g in COUNT_SENTENCE.search(stated).groups()[:4]] == [targets, met, not_met, not_due]
    assert COUNTING_RULE["zh"] in stated
    # And all four are the stored target_counts: own targets only (references not counted), every target of
    # the plan that applies (those without an indicator too), each judged at its latest due year.
    stored = load_results()["target_counts"].set_index(["county_code", "year"]).loc[(county, YEAR)]
    assert [targets, met, not_met, not_due] == [int(stored[k]) for k in ("targets", "met", "not_met", "not_due")]
    card = load_results()["scorecard"]
    own = card[
        (card["county_code"] == county)
        & (card["year"] == YEAR)
        & card["status"].notna()
        & (card["target_scope"] != "city_reference")
    ]
    assert met == int((own["status"] == "met").sum())  # the scorecard rows say the same verdicts
    if int(stored["points"]) != targets:  # where the two figures differ, both are stated
        assert f"按评估点（目标×年份）计{int(stored['points'])}个" in text


def test_a_target_not_yet_due_is_not_a_failure(processed_sample: Path) -> None:
    card = load_results()["scorecard"]
    early = card[(card["year"] == 2023) & (card["target_year"] == 2025)]
    assert len(early) and set(early["status"].dropna()) <= {"not_due", "no_data"}
    assert early["is_met"].isna().all()


TEST_PLAN = str(Path(__file__).resolve().parent / "data" / "plans" / "next_plan_test" / "targets.yml")


@pytest.mark.notebooks
def test_a_second_plan_runs_through_the_briefing_and_the_index(processed_sample: Path, tmp_path: Path) -> None:
    jobs = render.plan(["530925"], ["county_briefing"], YEAR, "zh", tmp_path / "out", plan_name=TEST_PLAN)
    outcomes = list(render.execute(jobs, workers=1))
    assert outcomes[0].ok, outcomes[0].error
    text = "\n".join(render.text_outputs(Path(jobs[0].output_ipynb))[0])
    found = COUNT_SENTENCE.search(text)
    assert found, text[:2000]
    shown = [int(g or 0) for g in found.groups()]
    counts = plan_results(TEST_PLAN)["target_counts"].set_index(["county_code", "year"]).loc[("530925", YEAR)]
    expected = [int(counts[k]) for k in ("targets", "met", "not_met", "not_due", "not_due_on_track")]
    assert shown[:4] == expected[:4] and (shown[4] == expected[4] or not expected[3])
    default = plan_results()["target_counts"].set_index(["county_code", "year"]).loc[("530925", YEAR)]
    assert int(default["targets"]) != expected[0] or int(default["met"]) != expected[1], "the other plan's targets"
    page = site.build_index(tmp_path / "out", YEAR, outcomes, render.suite(), None, TEST_PLAN).read_text(
        encoding="utf-8"
    )
    score = re.search(r'id="c530925".*?<p class="score">(.*?)</p>', page, flags=re.S).group(1)
    assert _numbers(score)[:4] == expected[:4]
