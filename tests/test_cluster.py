"""Rendering on Dask: a LocalCluster gives the local pool's outputs, and survives losing a worker."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from lcedu.publish import cluster, render

pytestmark = pytest.mark.notebooks
NOTEBOOKS = ["high_school", "vocational"]


def _jobs(out: Path, counties: list[str]) -> list[render.Job]:
    return render.plan(counties, NOTEBOOKS, 2025, "zh", out)


def test_local_cluster_renders_what_the_local_pool_renders(tmp_path: Path, processed_sample: Path) -> None:
    local = _jobs(tmp_path / "pool", ["530925"])
    dask = _jobs(tmp_path / "dask", ["530925"])
    pool_outcomes = list(render.execute(local, workers=2))
    dask_outcomes = list(cluster.execute(dask, "local", workers=2))
    assert all(o.ok for o in pool_outcomes + dask_outcomes), [o.error for o in pool_outcomes + dask_outcomes]
    for a, b in zip(local, dask, strict=True):
        assert render.text_outputs(Path(a.output_ipynb)) == render.text_outputs(Path(b.output_ipynb))
        assert Path(b.output_html).read_text(encoding="utf-8").count("<img") >= 1
    assert not list((tmp_path / "dask").rglob("*.partial*"))


def test_a_worker_lost_mid_run_has_its_jobs_rerun(tmp_path: Path, processed_sample: Path) -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        jobs = _jobs(tmp_path / "out", ["530902", "530925"])
        pids = list(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one_when_busy() -> None:
            # Once tasks are running, kill a worker outright (its nanny starts a new one).
            for _ in range(600):
                if any(client.processing().values()):
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                    return
                threading.Event().wait(0.1)

        threading.Thread(target=kill_one_when_busy, daemon=True).start()
        outcomes = list(cluster.execute(jobs, lc.scheduler_address))
    assert killed, "the worker was never busy"
    assert len(outcomes) == len(jobs) and all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert all(Path(j.output_html).exists() for j in jobs)


def test_a_cell_past_the_time_limit_fails_its_job_on_dask_too(tmp_path: Path, processed_sample: Path) -> None:
    """--cell-timeout reaches the Dask workers with each job: a hung cell fails that notebook, the other renders.
    Run as the CLI in a subprocess with its own time limit, so a regression fails instead of hanging."""
    import json
    import subprocess
    import sys

    import nbformat

    from tests.test_render import FIGURE, REPO, _notebook

    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "county_briefing.ipynb", FIGURE + "\nprint('简报', county)")
    _notebook(folder / "preschool_special.ipynb", FIGURE + "\nimport time\ntime.sleep(600)")
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lcedu.cli",
            "render",
            "--out",
            str(out),
            "--notebook-dir",
            str(folder),
            "--notebooks",
            "county_briefing",
            "preschool_special",
            "--counties",
            "530925",
            "--scheduler",
            "local",
            "--workers",
            "2",
            "--cell-timeout",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    manifest = json.loads((out / "2025" / "manifest.json").read_text(encoding="utf-8"))
    outcomes = {n["notebook"]: n for n in manifest["notebooks"]}
    assert outcomes["county_briefing"]["ok"], outcomes["county_briefing"]["error"]
    hung = outcomes["preschool_special"]
    assert not hung["ok"] and hung["error"].startswith("CellTimeoutError: preschool_special · 530925 · 第 4 个单元格")
    assert hung["seconds"] < 120
    kept = nbformat.read(out / "2025" / "530925" / "preschool_special.failed.ipynb", as_version=4)
    assert [o["ename"] for c in kept.cells for o in c.get("outputs", []) if o["output_type"] == "error"] == [
        "CellTimeoutError"
    ]
