"""Results as a build step: everything the pages state, computed once per processed build and stored.

After cleaning, :func:`compute_results` evaluates the indicator registry for every county, the
city and every year, both assessments with every criterion, the scorecard (the one definition
of which targets apply and whether they are met) and the gap-closing estimates. ``lcedu clean``
stores them beside the cleaned tables, covered by the same manifest, so a notebook, the site
index, the workbooks and the maps read the same numbers and never recompute them:
``lcedu.load("scorecard")`` works like ``lcedu.load("schools")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from lcedu.errors import RequestError
from lcedu.ingest import store
from lcedu.measure import evaluation, gaps, indicators, quality, schools, scorecard, teachers
from lcedu.measure.plan import Plan, get_plan

#: Result tables stored in every processed build, in the order they are computed. The last
#: eight are the per-school / per-county frames the topic pages list (lcedu.measure.schools,
#: lcedu.measure.teachers).
RESULT_TABLES = (
    "indicator_results",
    "assessments",
    "assessment_dimensions",
    "assessment_criteria",
    "scorecard",
    "target_points",
    "target_counts",
    "target_needs",
    "school_indicators",
    "school_gaps",
    "resource_gaps",
    "resource_gaps_by_stage",
    "preschool_gaps",
    "school_sizes",
    "campus_status",
    "vocational_schools",
    "special_school_provision",
    "high_school_trusteeship",
    "teacher_qualifications",
    "staffing_against_norms",
    "subject_teachers",
    "subject_teacher_summary",
    *quality.QUALITY_TABLES,
)


def compute_results(tables: Mapping[str, pd.DataFrame], plan: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Every result table of :data:`RESULT_TABLES` from the cleaned tables (inputs are not modified)."""
    results = indicators.compute(tables=tables)
    chosen = get_plan(plan)
    population_over = schools.special_school_population_threshold(chosen.targets())
    parts = indicators.school_indicators(tables=tables)
    keyed = {name: schools.keyed(frame) for name, frame in tables.items()}  # plain keys once, for the listings
    subjects = teachers.subject_teachers(keyed)
    school_gaps = gaps.school_gaps(parts=parts)
    resource_gaps = gaps.resource_gap_summary(gaps=school_gaps)
    judged = judge_plan(chosen, results, tables, chosen.baseline_year, resource_gaps)
    return {
        "indicator_results": results,
        **indicators.assessment_tables(tables=tables),
        **judged,
        "school_indicators": parts,
        "school_gaps": school_gaps,
        # The resource additions summed per county (and 学段): the pages and workbooks only format them.
        "resource_gaps": resource_gaps,
        "resource_gaps_by_stage": gaps.resource_gap_summary(gaps=school_gaps, by_stage=True),
        "preschool_gaps": gaps.preschool_gaps(tables=tables, results=results),
        "school_sizes": schools.school_sizes(keyed),
        "campus_status": schools.campus_status(keyed),
        "vocational_schools": schools.vocational_schools(keyed),
        "special_school_provision": schools.special_school_provision(keyed, population_over=population_over),
        "high_school_trusteeship": schools.high_school_trusteeship(keyed),
        "teacher_qualifications": teachers.teacher_qualifications(keyed),
        "staffing_against_norms": teachers.staffing_against_norms(keyed),
        "subject_teachers": subjects,
        "subject_teacher_summary": teachers.subject_teacher_summary(subjects),  # the pages format it
        **quality.review(tables),  # data-quality findings: stored for the pages, never blocking the build
    }


def load_results(processed_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The stored result tables of the current build (a clear error for a build made before they existed)."""
    build = store.current(processed_dir)
    missing = [name for name in RESULT_TABLES if not (build / f"{name}.parquet").exists()]
    if missing:
        raise FileNotFoundError(
            f"{build} 缺少结果表 {', '.join(missing)}：重新运行 `lcedu clean` / "
            "results missing from this build: run `lcedu clean` again"
        )
    return {name: store.load(name, processed_dir) for name in RESULT_TABLES}


def data_years(processed_dir: str | Path | None = None) -> list[int]:
    """The years with any indicator value in the current build."""
    res = store.load("indicator_results", processed_dir)
    return sorted(int(y) for y in res.loc[res["value"].notna(), "year"].unique())


def require_year(year: int, processed_dir: str | Path | None = None) -> None:
    """Refuse a year without data: a map or a page of it would state counts of nothing as zero."""
    years = data_years(processed_dir)
    if int(year) not in years:
        raise RequestError(
            f"{year}年没有数据 / no data for {year}",
            f"可用年份 years with data: {', '.join(map(str, years)) or '无 none'}；"
            "或先把该年的原始数据放入 data/raw/ 并运行 `lcedu clean`",
        )


def judge_plan(
    plan: Plan,
    results: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    baseline_year: int,
    resource_gaps: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The plan's verdicts: ``scorecard``, ``target_points`` (every target × year × entity, as of every year),
    ``target_counts`` (:func:`lcedu.measure.scorecard.target_counts`) and ``target_needs`` (what closing the
    targets still open takes, as of every year: :func:`lcedu.measure.evaluation.needs_by_year`)."""
    card = scorecard.scorecard(results=results, tables=tables, targets=plan.targets(), baseline_year=baseline_year)
    points = evaluation.assessment_points(plan, card, tables)
    return {
        "scorecard": card,
        "target_points": points,
        "target_counts": scorecard.target_counts(points),
        "target_needs": evaluation.needs_by_year(points, tables, results, resource_gaps),
    }


def plan_results(
    plan: str | Path | None = None, baseline_year: int | None = None, processed_dir: str | Path | None = None
) -> dict[str, pd.DataFrame]:
    """``scorecard``, ``target_points``, ``target_counts`` and ``target_needs`` of a plan.

    The build's stored tables for the default plan and its baseline, else judged once on the build's stored
    results (cached per build).

    The one entry point for another plan or baseline: products never call the scorecard themselves.
    """
    build = store.current(processed_dir)
    return _plan_results(str(build), None if plan is None else str(plan), baseline_year)


@lru_cache(maxsize=8)
def _plan_results(build: str, plan: str | None, baseline_year: int | None) -> dict[str, pd.DataFrame]:
    processed = Path(build).parent
    chosen = get_plan(plan)
    base = chosen.baseline_year if baseline_year is None else int(baseline_year)
    stored = load_results(processed)
    if plan is None and base == chosen.baseline_year:
        return {name: stored[name] for name in ("scorecard", "target_points", "target_counts", "target_needs")}
    tables = indicators.load_tables(processed)
    return judge_plan(chosen, stored["indicator_results"], tables, base, stored["resource_gaps"])


def plan_scorecard(plan: str | Path | None = None, processed_dir: str | Path | None = None) -> pd.DataFrame:
    """The build's scorecard; for another plan, the same scorecard of the same results with its targets."""
    return plan_results(plan, None, processed_dir)["scorecard"]
