"""A Dask scheduler that is not there, or goes away: a message within the stated time, what was done kept."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from lcedu.cli import main
from lcedu.ingest import store
from lcedu.measure import results
from lcedu.publish import cluster, render

REPO = Path(__file__).resolve().parents[1]


def test_an_unreachable_scheduler_fails_within_the_connect_timeout() -> None:
    start = time.perf_counter()
    with pytest.raises(cluster.SchedulerError) as err:
        cluster.execute([], "tcp://127.0.0.1:1", connect_timeout=2).__next__()
    assert time.perf_counter() - start < 2 + 8
    text = str(err.value)
    assert "tcp://127.0.0.1:1" in text and "2 秒内连不上" in text and "dask scheduler" in text


def test_the_cli_says_so_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "processed"
    store.write({"schools": pd.DataFrame({"school_id": ["1"]})}, {}, out)
    monkeypatch.setenv("LCEDU_PROCESSED", str(out))
    monkeypatch.setattr(results, "require_year", lambda year: None)
    args = ["render", "--counties", "530925", "--notebooks", "county_briefing", "--year", "2025"]
    for address in ("tcp://127.0.0.1:1", "not-an-address"):
        start = time.perf_counter()
        code = main([*args, "--scheduler", address, "--connect-timeout", "2", "--out", str(tmp_path / "r")])
        err = capsys.readouterr().err
        assert code == 2 and address in err and "dask scheduler" in err and "Traceback" not in err, err
        assert time.perf_counter() - start < 2 + 8
    assert not (tmp_path / "r" / "2025").exists() or not any((tmp_path / "r" / "2025").rglob("*.html"))


# --- a scheduler lost mid-run ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path) -> Path:
    """A notebook that takes a few seconds: long enough to lose the scheduler while some are queued."""
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "county = ''\nyear = 0\nlang = 'zh'"},
        {"cell_type": "code", "metadata": {}, "source": "import time\ntime.sleep(2)\nprint(county)"},
    ]
    for i, c in enumerate(cells):
        c.update(id=f"cell-{i}", outputs=[], execution_count=None)
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.mark.notebooks
def test_a_scheduler_lost_mid_run_fails_the_rest_and_keeps_what_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port), "--no-dashboard"], env=env
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard"], env=env
    )
    source = _notebook(tmp_path / "sleepy.ipynb")
    out = tmp_path / "out"
    counties = ["530902", "530921", "530922", "530923", "530924", "530925"]
    jobs = [
        render.Job("sleepy", c, 2025, "zh", str(source), str(out / c / "sleepy.ipynb"), str(out / c / "sleepy.html"))
        for c in counties
    ]
    outcomes = []
    # A watchdog: should the first notebook never finish, both go away and the test fails instead of hanging.
    watchdog = threading.Timer(300, lambda: (scheduler.kill(), worker.kill()))
    watchdog.start()
    try:
        for outcome in cluster.execute(jobs, address, connect_timeout=30):
            outcomes.append(outcome)
            if len(outcomes) == 1:
                scheduler.kill()
    finally:
        watchdog.cancel()
        scheduler.kill()
        worker.kill()
        scheduler.wait()
        worker.wait()
    assert len(outcomes) == len(jobs)
    done = [o for o in outcomes if o.ok]
    lost = [o for o in outcomes if not o.ok]
    assert done and lost, [o.error for o in outcomes]
    assert all(cluster.LOST in o.error and address in o.error for o in lost)
    assert all(Path(o.job.output_html).exists() for o in done), "what was written is kept"
    assert not any(Path(o.job.output_html).exists() for o in lost)
    assert not list(out.rglob("*.partial"))
    err = capsys.readouterr().err
    assert "连接中断" in err and "Traceback" not in err
    resume = next(line for line in err.splitlines() if line.strip().startswith("lcedu render"))
    assert all(o.job.county in resume for o in lost) and f"--scheduler {address}" in resume
    assert not any(o.job.county in resume for o in done)
