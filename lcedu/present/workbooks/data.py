"""What a workbook shows, gathered once: the build's stored results (or the caller's) judged against a plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lcedu.ingest import store
from lcedu.measure import indicators
from lcedu.measure.plan import get_plan
from lcedu.measure.results import judge_plan, load_results, plan_results


@dataclass(frozen=True)
class WorkbookData:
    """What a workbook shows: the build's tables and stored results, judged against one plan."""

    tables: Mapping[str, pd.DataFrame]
    results: pd.DataFrame
    scorecard: pd.DataFrame
    counts: pd.DataFrame  # the stored target_counts: the one count every product states
    parts: pd.DataFrame
    school_gaps: pd.DataFrame
    resource_gaps: pd.DataFrame
    preschool_gaps: pd.DataFrame
    assessments: pd.DataFrame
    criteria: pd.DataFrame
    manifest: dict[str, Any] | None
    plan: Any  # lcedu.measure.plan.Plan whose targets the scorecard sheets use
    dimensions: pd.DataFrame  # 达标 / 未达标 / 未评估 per assessment dimension


def load_data(
    tables: Mapping[str, pd.DataFrame] | None,
    processed_dir: str | Path | None,
    year: int,
    manifest: dict[str, Any] | None,
    plan: str | Path | None = None,
    results: Mapping[str, pd.DataFrame] | None = None,
) -> WorkbookData:
    """The data of a workbook for ``year``: the build's (default) or the caller's tables with their results."""
    if (tables is None) != (results is None):
        raise ValueError("give both tables and their results (lcedu.measure.results.compute_results) or neither")
    tabs = tables if tables is not None else indicators.load_tables(processed_dir)
    if manifest is None and tables is None:
        manifest = store.manifest(processed_dir)
    # The build's stored results (or the caller's, for other data): formatted here, never computed.
    res = results if results is not None else load_results(processed_dir)
    parts = res["school_indicators"]
    parts = parts[parts["year"] == year].reset_index(drop=True)
    school_gaps = res["school_gaps"][res["school_gaps"]["year"] == year].reset_index(drop=True)
    chosen = get_plan(plan)
    if results is None:
        judged = plan_results(plan, None, processed_dir)
    else:  # another plan on the caller's results: judged by measure, as the build judges its own
        judged = res if plan is None else judge_plan(chosen, res["indicator_results"], tabs, chosen.baseline_year)
    return WorkbookData(
        tabs,
        res["indicator_results"],
        judged["scorecard"],
        judged["target_counts"],
        parts,
        school_gaps,
        res["resource_gaps"],
        res["preschool_gaps"],
        res["assessments"],
        res["assessment_criteria"],
        manifest,
        chosen,
        res["assessment_dimensions"],
    )
