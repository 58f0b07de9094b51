"""The evaluation's data: the stored results of a build judged against the plan, gathered once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lcedu.ingest import store
from lcedu.measure import draft_projected as dp
from lcedu.measure import evaluation as ev
from lcedu.measure.plan import Plan, get_plan
from lcedu.measure.results import load_results, plan_results, require_year


@dataclass(frozen=True)
class EvaluationData:
    """Everything the documents show, computed once for the city and every county."""

    plan: Plan
    year: int
    status: pd.DataFrame
    yearly: pd.DataFrame
    needs: pd.DataFrame
    card: pd.DataFrame
    results: pd.DataFrame
    assessments: pd.DataFrame
    data_years: tuple[int, ...]
    synthetic: bool
    created_at: str
    dimensions: pd.DataFrame | None = None  # 达标 / 未达标 / 未评估 per assessment dimension (stored results)
    counts: pd.DataFrame | None = None  # the stored target_counts of the year, by county_code (the one count)
    planning: dict[str, pd.DataFrame] | None = None  # stored projection/planning tables for 四、下一步建议

    @property
    def is_final(self) -> bool:
        """Whether the evaluation year is the plan's final year or later (终期, not 中期)."""
        return self.year >= self.plan.final_year

    @property
    def shown_years(self) -> list[int]:
        """Baseline to the evaluation year, the years the data has."""
        return [y for y in self.data_years if self.plan.baseline_year <= y <= self.year]


def evaluation_data(
    plan: str | Path | Plan | None = None, year: int | None = None, processed_dir: str | Path | None = None
) -> EvaluationData:
    """The evaluation of ``plan`` as of ``year`` (default: the plan's final year).

    Raises :class:`lcedu.errors.RequestError` when ``year`` has no data.
    """
    p = plan if isinstance(plan, Plan) else get_plan(plan)
    as_of = int(year) if year is not None else p.final_year
    require_year(as_of, processed_dir)  # a year without data is refused, never evaluated as all missing
    stored = load_results(processed_dir)  # the build's results, never recomputed
    results = stored["indicator_results"]
    data_years = tuple(sorted(int(y) for y in results["year"].dropna().unique()))
    default = p.targets_file.resolve() == get_plan().targets_file.resolve()
    judged = plan_results(None if default else str(p.targets_file), None, processed_dir)
    card = judged["scorecard"]
    points = judged["target_points"]
    status = points[points["as_of_year"] == as_of].reset_index(drop=True)
    counts = judged["target_counts"]
    needs = judged["target_needs"]
    years = [y for y in data_years if p.baseline_year <= y <= as_of]
    manifest = store.manifest(processed_dir)
    return EvaluationData(
        plan=p,
        year=as_of,
        status=status,
        yearly=ev.yearly_values(status, card, years),
        needs=needs[needs["as_of_year"] == as_of].reset_index(drop=True),  # stored: what closing takes
        card=card,
        results=results,
        assessments=stored["assessments"],
        data_years=data_years,
        synthetic=bool(manifest.get("is_sample", False)),
        created_at=str(manifest.get("created_at", "")),
        dimensions=stored["assessment_dimensions"],
        counts=counts[counts["year"] == as_of].set_index("county_code"),
        planning=_planning_tables(processed_dir),
    )


#: Stored tables the recommendations read; a build without them keeps the gap-closing advice only.
PLANNING_TABLES = (*dp.TABLES, "planning_place_summary", "planning_consolidation", "schools")


def _planning_tables(processed_dir: str | Path | None) -> dict[str, pd.DataFrame]:
    """The stored projection and planning tables the build holds (none when it was built without projections)."""
    out = {}
    for name in PLANNING_TABLES:
        try:
            out[name] = store.load(name, processed_dir)
        except store.MissingTableError:
            continue
    return out
