"""The data-quality review (issue 27) on the synthetic 云南: every check, 129 counties × 4 years, under 30 s.

The review runs on the sample's truth tables with the sample's injected errors (``lcedu.sample.sample_truth``),
which carry issue 20's grade, age and 331 tables: every rule, cohort, roster and outlier check runs (a
cleaned build runs fewer until the readers of those tables land). The truth is generated once and cached
as Parquet under benchmarks/out/quality/. Side by side in one run: the review of 临沧 (8 counties) and of
云南 (129 counties at the province sample's density), medians of 3, the ratio and the budget.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from benchmarks.common import OUT, median_time

CACHE = OUT / "quality"
YEARS = [2022, 2023, 2024, 2025]
SEED = 2023
BUDGET_S = 30.0
REPEAT = 3


def truth(name: str) -> dict[str, pd.DataFrame]:
    """The sample truth of 临沧 (``lincang``) or 云南 (``yunnan``), with its errors, cached as Parquet."""
    from lcedu.cli import PROVINCE_DENSITY
    from lcedu.sample import sample_truth
    from lcedu.sample.truth import lincang_counties, province_sample_counties

    folder = CACHE / name
    if not (folder / "done.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        if name == "lincang":
            tables, errors = sample_truth(lincang_counties(), YEARS, SEED)
        else:
            counties = province_sample_counties("53", SEED)
            tables, errors = sample_truth(counties, YEARS, SEED, density=PROVINCE_DENSITY, with_city=False)
        for table, frame in tables.items():
            frame.to_parquet(folder / f"{table}.parquet", index=False)
        done = {"seconds": time.perf_counter() - start, "errors": len(errors)}
        (folder / "done.json").write_text(json.dumps(done), encoding="utf-8")
    return {p.stem: pd.read_parquet(p) for p in sorted(Path(folder).glob("*.parquet"))}


def run(quick: bool = False) -> list[dict]:
    from lcedu.measure import quality

    rows = []
    baseline = None
    for name in ("lincang",) if quick else ("lincang", "yunnan"):
        tables = truth(name)
        schools = tables["schools"]
        found = quality.review(tables)
        seconds = median_time(lambda t=tables: quality.review(t), repeat=REPEAT)
        baseline = baseline or seconds
        runs = found["quality_rule_runs"]
        row = {
            "benchmark": "quality_review",
            "variant": f"{name}: {schools['county_code'].nunique()} counties × {len(YEARS)} years",
            "median_s": seconds,
            "rows_per_s": len(schools) / seconds,
            "notes": f"{len(schools):,} school-years, {int((runs['status'] == 'run').sum())}/{len(runs)} checks run, "
            f"{len(found['quality_findings']):,} findings; budget {BUDGET_S:.0f} s: "
            f"{'within' if seconds <= BUDGET_S else 'OVER'}",
        }
        if name != "lincang":
            row["ratio"] = seconds / baseline
        rows.append(row)
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
