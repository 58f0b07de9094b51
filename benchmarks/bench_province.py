"""A province and the country: the synthetic 云南 (129 counties × 4 years) and a generated national table.

Side by side in one run, medians, ratios:

* 云南 sample: writing it (files, MB, seconds), ``lcedu clean`` (read + clean + results) against the
  临沧 sample, and ``compute_results()`` for 129 counties × 4 years against 临沧's 8 × 4;
* rendering a fixed subset of the 云南 build (2 of 临沧's counties × 2 county notebooks, the overviews of
  昆明 and 曲靖 and the province overview = 7 notebooks) through the local process pool and a Dask LocalCluster of 1
  and 2 workers: per-notebook cost and the scaling from 1 to 2 workers;
* indicators for a national-size table generated in memory in the processed schema (about 2,850
  counties, 500,000 schools, 4 years): ``indicators.compute()`` time and the process's peak RSS,
  against a budget of 60 s and 8 GB on 2 cores, next to the 云南 build.

Set BENCH_PROVINCE_RENDER=0 to leave out the rendering, BENCH_NATIONAL=0 the national table. Quick mode
(the smoke test) runs every step on the small 临沧 sample instead of 云南: 1 run each, 1 notebook, a national
table of 40 counties and 2,000 schools.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import OUT, REPO, median_time, peak_rss_mib, tiny_processed, tiny_raw

YUNNAN = OUT / "yunnan"
NATIONAL_COUNTIES = 2850
NATIONAL_SCHOOLS = 500_000
BUDGET_S, BUDGET_GB = 60.0, 8.0
# The county pages of two of 临沧's counties (their locator maps are drawn on 临沧's shapes) and the
# overviews of two other prefectures and the province: 7 notebooks.
RENDER_COUNTIES = ["530902", "530925"]
RENDER_NOTEBOOKS = ["county_briefing", "compulsory_balanced"]
RENDER_OVERVIEWS = (["530102", "530302"], ["prefecture_overview", "province_overview"])  # 昆明, 曲靖, 云南
RENDER_REPEAT = 3
# Fresh processes for the national table: the median of their wall and CPU seconds, the largest peak RSS.
NATIONAL_RUNS = 3


@dataclass(frozen=True)
class Scale:
    """How big each step is: the full benchmark, or the quick smoke run of the same code."""

    quick: bool
    repeat: int  # runs of the 临沧 clean, the results and the rendering
    national_counties: int
    national_schools: int
    national_runs: int


FULL = Scale(False, 3, NATIONAL_COUNTIES, NATIONAL_SCHOOLS, NATIONAL_RUNS)
QUICK = Scale(True, 1, 40, 2000, 1)


def _cli(*args: str, env: dict | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "lcedu.cli", *args], check=True, capture_output=True, text=True, cwd=REPO, env=env
    )
    return out.stdout + out.stderr


def yunnan_raw(scale: Scale = FULL) -> tuple[Path, dict]:
    """The 云南 sample under benchmarks/out (written once); with the seconds, files and MB of writing it.
    Quick: the small 临沧 sample stands in for it."""
    if scale.quick:
        start = time.perf_counter()
        raw = tiny_raw()
        files = [p for p in raw.rglob("*") if p.is_file()]
        mb = sum(p.stat().st_size for p in files) / 1e6
        return raw, {"seconds": time.perf_counter() - start, "files": len(files), "mb": mb}
    raw = YUNNAN / "raw"
    stats_file = YUNNAN / "sample_stats.json"
    if not (raw / "sample.json").exists() or not stats_file.exists():
        YUNNAN.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        _cli("sample", "--province", "53", "--raw", str(raw))
        seconds = time.perf_counter() - start
        files = [p for p in raw.rglob("*") if p.is_file()]
        stats_file.write_text(
            json.dumps({"seconds": seconds, "files": len(files), "mb": sum(p.stat().st_size for p in files) / 1e6}),
            encoding="utf-8",
        )
    return raw, json.loads(stats_file.read_text(encoding="utf-8"))


def yunnan_processed(scale: Scale = FULL) -> Path:
    if scale.quick:
        return tiny_processed()
    processed = YUNNAN / "processed"
    if not (processed / "current").exists():
        _cli("clean", "--raw", str(yunnan_raw()[0]), "--out", str(processed))
    return processed


def lincang_processed(scale: Scale = FULL) -> Path:
    from benchmarks.bench_indicators import lincang_processed as build

    return tiny_processed() if scale.quick else build()


CLEAN = """
from pathlib import Path
from lcedu.build import write_build
from lcedu.ingest.clean import clean
result = clean(Path({raw!r}))
write_build(result.tables, {{"is_sample": True}}, {out!r})
"""


def _clean_rows(raw_stats: dict, scale: Scale) -> list[dict]:
    raw, _ = yunnan_raw(scale)
    lincang = tiny_raw() if scale.quick else REPO / "data" / "raw"
    rows = []
    seconds = {}
    for name, folder, counties in (("临沧 sample", lincang, 8), ("云南 sample", raw, 129)):
        # 云南's build is reused below (quick: a scratch folder, the small sample's build stays as it is)
        out = YUNNAN / "processed" if counties > 8 and not scale.quick else OUT / f"clean_{counties}"
        samples = [
            peak_rss_mib(CLEAN.format(raw=str(folder), out=str(out)))
            for _ in range(1 if counties > 8 else scale.repeat)
        ]
        seconds[name] = statistics.median(s for s, _ in samples)
        rows.append(
            {
                "benchmark": "clean + results (lcedu clean)",
                "variant": f"{name}, {counties} counties × 4 years",
                "median_s": seconds[name],
                "peak_rss_mib": statistics.median(m for _, m in samples),
                "notes": f"{seconds[name] / counties / 4:.3f} s per county-year; {len(samples)} runs",
            }
        )
    rows[-1]["ratio"] = seconds["云南 sample"] / seconds["临沧 sample"]
    rows[-1]["notes"] += "; ratio = 云南 / 临沧 time (16x the counties)"
    rows.insert(
        0,
        {
            "benchmark": "write the 云南 sample",
            "variant": "lcedu sample --province 53 (density 0.33)",
            "median_s": raw_stats["seconds"],
            "notes": f"{raw_stats['files']} files, {raw_stats['mb']:.1f} MB; 1 run (cached after)",
        },
    )
    return rows


def _results_rows(scale: Scale) -> list[dict]:
    from lcedu.measure import indicators
    from lcedu.measure.results import compute_results

    rows, seconds = [], {}
    for name, processed, counties in (
        ("临沧 sample", lincang_processed(scale), 8),
        ("云南 sample", yunnan_processed(scale), 129),
    ):
        tables = indicators.load_tables(processed)
        compute_results(tables)  # warm-up
        seconds[name] = median_time(lambda t=tables: compute_results(t), scale.repeat)
        res = indicators.compute(tables=tables)
        aggregates = sorted(c for c in res["county_code"].unique() if c.endswith("00"))
        rows.append(
            {
                "benchmark": "results (compute_results)",
                "variant": f"{name}, {counties} counties × 4 years",
                "median_s": seconds[name],
                "rows_per_s": len(res) / seconds[name],
                "notes": f"{len(res)} indicator rows incl. {len(aggregates)} aggregates "
                f"({', '.join(aggregates[:3])}{' …' if len(aggregates) > 3 else ''}); 3 runs",
            }
        )
    rows[-1]["ratio"] = seconds["云南 sample"] / seconds["临沧 sample"]
    rows[-1]["notes"] += "; ratio = 云南 / 临沧 time"
    return rows


def _render_rows(scale: Scale) -> list[dict]:
    from lcedu.publish import cluster, render

    processed = yunnan_processed(scale)
    before = os.environ.get("LCEDU_PROCESSED")
    os.environ["LCEDU_PROCESSED"] = str(processed)  # kernels and Dask workers inherit it
    try:
        variants = {
            "local process pool (2 workers)": lambda jobs: render.execute(jobs, 2),
            "Dask LocalCluster, 1 worker": lambda jobs: cluster.execute(jobs, "local", workers=1),
            "Dask LocalCluster, 2 workers": lambda jobs: cluster.execute(jobs, "local", workers=2),
        }
        samples: dict[str, list[float]] = {label: [] for label in variants}
        n = 0
        for round_ in range(scale.repeat if scale.quick else RENDER_REPEAT):  # interleaved rounds: a busy
            for i, (label, run) in enumerate(variants.items()):  # spell on the shared machine hits all
                out = OUT / "yunnan" / f"render{i}_{round_}"
                jobs = (
                    render.plan(RENDER_COUNTIES[:1], RENDER_NOTEBOOKS[:1], 2025, "zh", out)
                    if scale.quick
                    else render.plan(RENDER_COUNTIES, RENDER_NOTEBOOKS, 2025, "zh", out)
                    + render.plan(*RENDER_OVERVIEWS, 2025, "zh", out)
                )
                n = len(jobs)
                start = time.perf_counter()
                outcomes = list(run(jobs))
                samples[label].append(time.perf_counter() - start)
                failed = [(o.job.county, o.job.notebook, o.error[-300:]) for o in outcomes if not o.ok]
                assert not failed, failed
        seconds = {label: statistics.median(values) for label, values in samples.items()}
    finally:
        if before is None:
            os.environ.pop("LCEDU_PROCESSED", None)
        else:
            os.environ["LCEDU_PROCESSED"] = before
    one, two = seconds["Dask LocalCluster, 1 worker"], seconds["Dask LocalCluster, 2 workers"]
    local = seconds["local process pool (2 workers)"]
    rows = []
    for label, s in seconds.items():
        rows.append(
            {
                "benchmark": f"render 云南 subset ({n} notebooks)",
                "variant": label,
                "median_s": s,
                "ratio": local / s,
                "notes": f"{s / n:.2f} s per notebook wall; ratio = local pool / this; runs "
                f"{', '.join(f'{v:.0f}' for v in samples[label])} s",
            }
        )
    rows[-1]["notes"] += f"; scaling 1→2 Dask workers {one / two:.2f}x"
    return rows


NATIONAL = """
import json, resource, time
from benchmarks.bench_province import national_tables
from lcedu.measure import indicators
start = time.perf_counter()
tables = national_tables({source!r}, {counties}, {schools})
built = time.perf_counter() - start
rss_tables = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start, cpu = time.perf_counter(), time.process_time()
result = indicators.compute(tables=tables)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
counties = tables["schools"]["county_code"].nunique()
schools = int(tables["schools"].groupby("year").size().mean())
print(json.dumps({{"build_s": built, "compute_s": seconds, "compute_cpu_s": cpu, "rows": len(result), "counties": counties,
                  "schools_per_year": schools, "school_years": len(tables["schools"]),
                  "aggregates": int(result["county_code"].str.endswith("00").sum()),
                  "rss_tables_mib": rss_tables,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def national_tables(source: str | Path, counties: int = NATIONAL_COUNTIES, schools: int = NATIONAL_SCHOOLS) -> dict:
    """A national-size set of processed tables, made in memory from a province build.

    The build's counties are copied under the registry's real county codes (cycling through the
    source counties) until there are ``counties``; within each copy, a share of the schools is
    copied once more (new ids, same county) so that the schools per year come to about ``schools``.
    The city table (临沧's own) is left out. The result has the processed tables' schema.
    """
    import numpy as np
    import pandas as pd

    from lcedu.ingest.counties import registry
    from lcedu.measure import indicators

    base = {k: v for k, v in indicators.load_tables(source).items() if k != "city"}
    source_codes = sorted(base["schools"]["county_code"].astype(str).unique())
    codes = list(registry()["county_code"])[:counties]
    target_of = pd.DataFrame(
        {
            "source": [source_codes[i % len(source_codes)] for i in range(len(codes))],
            "county_code": codes,
            "copy": range(len(codes)),
        }
    )
    per_year = base["schools"].groupby("year").size().mean()
    copies_per_source = len(codes) / len(source_codes)
    extra_share = max(0.0, schools / (per_year * copies_per_source) - 1.0)  # schools to copy twice
    rng = np.random.default_rng(0)
    ids = base["schools"]["school_id"].astype(str).unique()
    twice = set(ids[rng.random(len(ids)) < extra_share])
    out = {}
    for name, frame in base.items():
        frame = frame.assign(county_code=frame["county_code"].astype(str))
        merged = frame.merge(target_of, left_on="county_code", right_on="source", suffixes=("_old", ""))
        merged = merged.drop(columns=["county_code_old", "source"])
        if "school_id" in frame.columns:
            doubled = merged[merged["school_id"].astype(str).isin(twice)].assign(copy=lambda d: d["copy"] + 10_000)
            merged = pd.concat([merged, doubled], ignore_index=True)
            suffix = "-" + merged["copy"].astype(str)
            for column in ("school_id", "parent_school_id"):
                if column in merged.columns:
                    merged[column] = (merged[column].astype("string") + suffix).astype(frame[column].dtype)
        out[name] = merged.drop(columns="copy").astype({"county_code": frame["county_code"].dtype})[frame.columns]
    return out


def _national_rows(scale: Scale) -> list[dict]:
    runs = []
    source = str(yunnan_processed(scale))
    for _ in range(scale.national_runs):
        code = NATIONAL.format(source=source, counties=scale.national_counties, schools=scale.national_schools)
        out = subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    n = {
        **runs[0],
        **{k: statistics.median(r[k] for r in runs) for k in ("compute_s", "compute_cpu_s", "build_s")},
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "rss_tables_mib": max(r["rss_tables_mib"] for r in runs),
    }
    walls = ", ".join(f"{r['compute_s']:.0f}" for r in runs)
    from lcedu.measure import indicators

    tables = indicators.load_tables(yunnan_processed(scale))
    yunnan = median_time(lambda: indicators.compute(tables=tables), scale.repeat)
    ok = n["compute_s"] < BUDGET_S and n["peak_rss_mib"] < BUDGET_GB * 1024
    cpu_ok = n["compute_cpu_s"] < BUDGET_S and n["peak_rss_mib"] < BUDGET_GB * 1024
    return [
        {
            "benchmark": "indicators national (generated)",
            "variant": "云南 build: compute(), tables in memory",
            "median_s": yunnan,
            "notes": "129 counties × 4 years; 3 runs",
        },
        {
            "benchmark": "indicators national (generated)",
            "variant": f"{n['counties']} counties, {n['schools_per_year']:,} schools/yr × 4: compute()",
            "median_s": n["compute_s"],
            "peak_rss_mib": n["peak_rss_mib"],
            "rows_per_s": n["rows"] / n["compute_s"],
            "ratio": n["compute_s"] / yunnan,
            "notes": f"{n['rows']:,} rows incl. {n['aggregates']:,} aggregate rows; tables built in memory in "
            f"{n['build_s']:.0f} s (peak {n['rss_tables_mib']:.0f} MiB before compute); budget < "
            f"{BUDGET_S:g} s and < {BUDGET_GB:g} GB: wall {'met' if ok else 'NOT met'}, CPU "
            f"{n['compute_cpu_s']:.0f} s {'met' if cpu_ok else 'NOT met'} (the machine is shared); median of "
            f"{scale.national_runs} fresh processes (walls {walls} s), "
            f"largest peak RSS; ratio = national / 云南 time",
        },
    ]


def run(quick: bool = False) -> list[dict]:
    scale = QUICK if quick else FULL
    raw_stats = yunnan_raw(scale)[1]
    rows = _clean_rows(raw_stats, scale) + _results_rows(scale)
    if os.environ.get("BENCH_PROVINCE_RENDER", "1") != "0":
        rows += _render_rows(scale)
    if os.environ.get("BENCH_NATIONAL", "1") != "0":
        rows += _national_rows(scale)
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
