"""The county and city workbooks: which sheets, in which order, written atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lcedu.home import CITY_CODE
from lcedu.ingest.counties import is_aggregate, prefecture_of
from lcedu.present.workbooks.assessments import assessment_sheets
from lcedu.present.workbooks.cells import (
    new_workbook,
    save_atomically,
)
from lcedu.present.workbooks.data import load_data
from lcedu.present.workbooks.schools import gap_summary_sheets, school_sheets
from lcedu.present.workbooks.scorecards import (
    comparison_sheet,
    counties_sheet,
    counts_sheet,
    scorecard_sheet,
)
from lcedu.present.workbooks.sources import hook_sheets, sources_sheet


def write_county_workbook(
    county: str,
    year: int,
    path: str | Path,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    manifest: dict[str, Any] | None = None,
    plan: str | Path | None = None,
    results: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """One county's workbook for ``year``: scorecard, assessments, schools, gaps, sources.

    ``tables`` / ``processed_dir`` choose the data (default: the current processed set,
    whose manifest goes into 来源与数据说明; pass ``manifest`` and the tables' ``results``
    (:func:`lcedu.measure.results.compute_results`) with explicit tables). Returns
    the path written (atomically).
    """
    county = str(county)
    data = load_data(tables, processed_dir, year, manifest, plan, results)
    card = data.scorecard[(data.scorecard["county_code"] == county) & (data.scorecard["year"] == year)]
    if not len(card):
        raise ValueError(f"no indicator rows for county {county!r} in {year}")
    baseline = int(card["baseline_year"].dropna().iloc[0]) if card["baseline_year"].notna().any() else year
    wb = new_workbook()
    scorecard_sheet(wb, "指标总览", card, baseline)
    counts_sheet(wb, card, data, county)
    assessment_sheets(wb, data, [county], None)
    school_sheets(wb, data, county, year)
    gap_summary_sheets(wb, data, [county], year)
    sources_sheet(wb, data, list(card["indicator"]))
    hook_sheets(wb, county, processed_dir, tables is None)
    return save_atomically(wb, path)


def write_city_workbook(
    year: int,
    path: str | Path,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    manifest: dict[str, Any] | None = None,
    plan: str | Path | None = None,
    results: Mapping[str, pd.DataFrame] | None = None,
    prefecture: str = CITY_CODE,
) -> Path:
    """A prefecture's workbook for ``year`` (临沧市 by default): its scorecard, its counties side by side
    (ranked among themselves), assessments, gaps, sources. Counties of other prefectures in the build
    are left out."""
    data = load_data(tables, processed_dir, year, manifest, plan, results)
    card = data.scorecard[data.scorecard["year"] == year]
    codes = card["county_code"].astype(str)
    members = sorted(c for c in codes.unique() if not is_aggregate(c) and prefecture_of(c) == prefecture)
    card = card[codes.isin([*members, prefecture])]
    if not len(card):
        raise ValueError(f"no indicator rows for {prefecture} in {year}")
    city = card[card["county_code"] == prefecture]
    counties = card[card["county_code"] != prefecture]
    baseline = int(card["baseline_year"].dropna().iloc[0]) if card["baseline_year"].notna().any() else year
    wb = new_workbook()
    scorecard_sheet(wb, "全市指标", city, baseline)
    counts_sheet(wb, card, data, prefecture)
    counties_sheet(wb, counties)
    comparison_sheet(wb, card)
    assessment_sheets(wb, data, [*members, prefecture], year)
    gap_summary_sheets(wb, data, [*members, prefecture], year)
    sources_sheet(wb, data, list(dict.fromkeys(card["indicator"])))
    hook_sheets(wb, prefecture, processed_dir, tables is None)
    return save_atomically(wb, path)
