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
from pathlib import Path

import pandas as pd

from lcedu.errors import RequestError
from lcedu.ingest import store
from lcedu.measure import gaps, indicators, quality, schools, scorecard, teachers
from lcedu.measure.plan import get_plan, load_targets

#: Result tables stored in every processed build, in the order they are computed. The last
#: eight are the per-school / per-county frames the topic pages list (lcedu.measure.schools,
#: lcedu.measure.teachers).
RESULT_TABLES = (
    "indicator_results",
    "assessments",
    "assessment_dimensions",
    "assessment_criteria",
    "scorecard",
    "school_indicators",
    "school_gaps",
    "preschool_gaps",
    "school_sizes",
    "campus_status",
    "vocational_schools",
    "special_school_provision",
    "high_school_trusteeship",
    "teacher_qualifications",
    "staffing_against_norms",
    "subject_teachers",
    *quality.QUALITY_TABLES,
)


def compute_results(
    tables: Mapping[str, pd.DataFrame], targets: str | Path | pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Every result table of :data:`RESULT_TABLES` from the cleaned tables (inputs are not modified)."""
    results = indicators.compute(tables=tables)
    plan_targets = targets if isinstance(targets, pd.DataFrame) else load_targets(targets)
    population_over = schools.special_school_population_threshold(plan_targets)
    parts = indicators.school_indicators(tables=tables)
    keyed = {name: schools.keyed(frame) for name, frame in tables.items()}  # plain keys once, for the listings
    return {
        "indicator_results": results,
        **indicators.assessment_tables(tables=tables),
        "scorecard": scorecard.scorecard(results=results, tables=tables, targets=plan_targets),
        "school_indicators": parts,
        "school_gaps": gaps.school_gaps(parts=parts),
        "preschool_gaps": gaps.preschool_gaps(tables=tables, results=results),
        "school_sizes": schools.school_sizes(keyed),
        "campus_status": schools.campus_status(keyed),
        "vocational_schools": schools.vocational_schools(keyed),
        "special_school_provision": schools.special_school_provision(keyed, population_over=population_over),
        "high_school_trusteeship": schools.high_school_trusteeship(keyed),
        "teacher_qualifications": teachers.teacher_qualifications(keyed),
        "staffing_against_norms": teachers.staffing_against_norms(keyed),
        "subject_teachers": teachers.subject_teachers(keyed),
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


def plan_scorecard(plan: str | Path | None = None, processed_dir: str | Path | None = None) -> pd.DataFrame:
    """The build's scorecard; for another plan, the same scorecard of the same results with its targets."""
    stored = load_results(processed_dir)
    if plan is None:
        return stored["scorecard"]
    chosen = get_plan(plan)
    return scorecard.scorecard(
        results=stored["indicator_results"],
        tables=indicators.load_tables(processed_dir),
        targets=chosen.targets(),
        baseline_year=chosen.baseline_year,
    )
