"""Rendering the notebook suite: `lcedu render` against the two usual ways of doing it.

(a) a shell loop of the `papermill` CLI plus `jupyter nbconvert --to html --no-input` per notebook;
(b) a sequential in-process loop of `papermill.execute_notebook` plus nbconvert's HTMLExporter;
(c) `lcedu render` (worker processes with pre-started kernels);
(d), (e) `lcedu render --scheduler local` on a Dask LocalCluster of 1 and 2 workers.
All render the same jobs; their text outputs are compared so the speed-up is for the same work.
Set BENCH_RENDER_COUNTIES="530902 530925" to time a subset (default: all 8 counties and the city:
the whole suite); BENCH_RENDER_DASK=0 leaves out the Dask variants. The notebooks read LCEDU_PROCESSED when
it is set, else the cleaned sample (built once); quick mode (the smoke test) renders one notebook of one
county of the small sample.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import OUT, REPO, tiny_processed

BIN = Path(sys.executable).parent


def _jobs(out: Path):
    from lcedu.ingest.counties import home
    from lcedu.publish import render

    counties = os.environ.get("BENCH_RENDER_COUNTIES", "").split() or list(home().county_code)
    notebooks = os.environ.get("BENCH_RENDER_NOTEBOOKS", "").split() or None
    return render.plan(counties, notebooks, 2025, "zh", out)


def _cli_loop(out: Path) -> float:
    jobs = _jobs(out)
    start = time.perf_counter()
    for job in jobs:
        Path(job.output_ipynb).parent.mkdir(parents=True, exist_ok=True)
        params = [a for k, v in job.parameters.items() for a in ("-p", k, str(v))]
        subprocess.run(
            [str(BIN / "papermill"), job.input, job.output_ipynb, *params, "--no-progress-bar", "--cwd", str(REPO)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", job.output_ipynb],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def _in_process(out: Path) -> float:
    import papermill

    from lcedu.publish.render import html_exporter

    jobs = _jobs(out)
    exporter = html_exporter()
    start = time.perf_counter()
    for job in jobs:
        Path(job.output_ipynb).parent.mkdir(parents=True, exist_ok=True)
        nb = papermill.execute_notebook(
            job.input, job.output_ipynb, parameters=job.parameters, progress_bar=False, cwd=str(REPO)
        )
        body, _ = exporter.from_notebook_node(nb)
        Path(job.output_html).write_text(body, encoding="utf-8")
    return time.perf_counter() - start


def _lcedu(out: Path) -> float:
    from lcedu.publish import render

    jobs = _jobs(out)
    start = time.perf_counter()
    outcomes = list(render.execute(jobs))
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    return time.perf_counter() - start


def _dask(workers: int) -> Callable[[Path], float]:
    def run(out: Path) -> float:
        from lcedu.publish import cluster

        jobs = _jobs(out)
        start = time.perf_counter()
        outcomes = list(cluster.execute(jobs, "local", workers=workers))
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        return time.perf_counter() - start

    return run


def _text_outputs(folder: Path) -> dict[str, list]:
    from lcedu.publish.render import text_outputs

    return {str(p.relative_to(folder)): text_outputs(p) for p in sorted(folder.rglob("*.ipynb"))}


def run(quick: bool = False) -> list[dict]:
    from benchmarks.bench_indicators import lincang_processed

    if quick:
        os.environ.setdefault("BENCH_RENDER_COUNTIES", "530925")
        os.environ.setdefault("BENCH_RENDER_NOTEBOOKS", "county_briefing")
    # papermill kernels, nbconvert and the Dask workers inherit it
    os.environ.setdefault("LCEDU_PROCESSED", str(tiny_processed() if quick else lincang_processed()))
    base = OUT / "render"
    shutil.rmtree(base, ignore_errors=True)
    variants = {
        "(a) papermill CLI + nbconvert CLI loop": _cli_loop,
        "(b) in-process papermill + HTMLExporter loop": _in_process,
        "(c) lcedu render (workers, warm kernels)": _lcedu,
    }
    if os.environ.get("BENCH_RENDER_DASK", "1") != "0":
        variants["(d) lcedu render --scheduler local, 1 worker"] = _dask(1)
        variants["(e) lcedu render --scheduler local, 2 workers"] = _dask(2)
    seconds, outputs = {}, {}
    for i, (label, fn) in enumerate(variants.items()):
        folder = base / f"v{i}"
        seconds[label] = fn(folder)
        outputs[label] = _text_outputs(folder)
    reference = outputs[next(iter(outputs))]
    identical = all(o == reference for o in outputs.values())
    n = len(reference)
    a, b, c = list(seconds.values())[:3]
    rows = [
        {
            "benchmark": f"render {n} notebooks",
            "variant": label,
            "median_s": s,
            "ratio": a / s,
            "notes": f"{s / n:.2f} s per notebook; {a / s:.2f}x vs (a), {b / s:.2f}x vs (b); "
            f"outputs identical across variants: {identical}",
        }
        for label, s in seconds.items()
    ]
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
