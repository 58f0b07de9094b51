"""Indicator engine: compute() of every indicator for every county and year.

Measured on the 临沧 sample (target < 1 s) and on the generated province of 129 counties
(target < 15 s on 2 cores), with the processed tables already in memory and, separately,
including reading them from the processed folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.common import OUT, REPO, median_time, province_processed, tiny_processed

TARGET_S = {"临沧 sample": 1.0, "province (129 counties)": 15.0, "临沧 tiny sample": 1.0}


def _measure(name: str, processed: Path, repeat: int) -> list[dict]:
    from lcedu.ingest import store
    from lcedu.measure import indicators
    from lcedu.measure.results import compute_results

    def from_disk() -> object:
        store.clear_cache()  # read the Parquet files again, as a fresh process would
        return indicators.compute(processed_dir=processed)

    tables = indicators.load_tables(processed)
    result = indicators.compute(tables=tables)  # warm-up: imports, registry and standards caches
    n_counties = result["county_code"].nunique() - 1
    n_schools = len(tables["schools"])
    in_memory = median_time(lambda: indicators.compute(tables=tables), repeat)
    with_load = median_time(from_disk, repeat)
    results_all = median_time(lambda: compute_results(tables), repeat)
    listings = median_time(lambda: _listings(tables), repeat)
    notes = (
        f"{result['indicator'].nunique()} indicators × {n_counties} counties + city × "
        f"{result['year'].nunique()} years = {len(result)} rows; {n_schools} school-years; "
        f"target < {TARGET_S[name]:g} s; {repeat} runs"
    )
    return [
        {
            "benchmark": f"indicators {name}",
            "variant": "compute() all indicators, tables in memory",
            "median_s": in_memory,
            "rows_per_s": len(result) / in_memory,
            "notes": notes,
        },
        {
            "benchmark": f"indicators {name}",
            "variant": "compute() all indicators, reading the processed set",
            "median_s": with_load,
            "rows_per_s": len(result) / with_load,
            "notes": notes,
        },
        {
            "benchmark": f"results {name}",
            "variant": "compute_results(): every stored result table",
            "median_s": results_all,
            "notes": f"the build step of lcedu clean; {repeat} runs",
        },
        {
            "benchmark": f"results {name}",
            "variant": "of which the page listings (measure.schools / teachers)",
            "median_s": listings,
            "ratio": listings / results_all,
            "notes": "ratio = share of compute_results() spent on the 8 listings",
        },
    ]


def _listings(tables: dict) -> None:
    """The eight per-school / per-county frames compute_results() adds for the topic pages."""
    from lcedu.measure import schools, teachers

    keyed = {name: schools.keyed(frame) for name, frame in tables.items()}
    schools.school_sizes(keyed)
    schools.campus_status(keyed)
    schools.vocational_schools(keyed)
    schools.special_school_provision(keyed)
    schools.high_school_trusteeship(keyed)
    teachers.teacher_qualifications(keyed)
    teachers.staffing_against_norms(keyed)
    teachers.subject_teachers(keyed)


def lincang_processed() -> Path:
    """data/processed when it has been built, else the embedded sample cleaned once under benchmarks/out."""
    if (REPO / "data" / "processed" / "current").exists():
        return REPO / "data" / "processed"
    processed = OUT / "lincang" / "processed"
    if not (processed / "current").exists():
        subprocess.run(
            [sys.executable, "-m", "lcedu.cli", "clean", "--raw", str(REPO / "data" / "raw"), "--out", str(processed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return processed


def run(quick: bool = False) -> list[dict]:
    if quick:
        return _measure("临沧 tiny sample", tiny_processed(), 1)
    return _measure("临沧 sample", lincang_processed(), 5) + _measure(
        "province (129 counties)", province_processed(), 3
    )


if __name__ == "__main__":
    for row in run():
        print(row)
