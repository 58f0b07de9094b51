"""Every benchmark runs end to end: a quick smoke run of each (tiny sizes; no figure is asserted).

The figures belong to `make bench`; this only proves that no benchmark has broken (a renamed
function, a clean that now needs --partial, a sample that no longer writes what a benchmark reads).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NAMES = sorted(p.stem.removeprefix("bench_") for p in (REPO / "benchmarks").glob("bench_*.py"))
RENDERS = {"render", "province"}  # these execute notebooks too
BENCHMARKS = [pytest.param(n, marks=pytest.mark.notebooks) if n in RENDERS else n for n in NAMES]


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scratch folder for the module: the small sample is written and cleaned once, then shared."""
    return tmp_path_factory.mktemp("bench")


@pytest.mark.integration
@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_in_quick_mode(name: str, bench_out: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LCEDU_PROCESSED"}
    env |= {"BENCH_QUICK": "1", "LCEDU_BENCH_OUT": str(bench_out), "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", name], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads((bench_out / "results.json").read_text(encoding="utf-8"))
    assert rows, f"bench_{name} reported nothing"
    for row in rows:
        assert row["benchmark"] in run.stdout
        assert math.isfinite(row["median_s"]) and row["median_s"] > 0, row
    # a side-by-side benchmark states its ratio against the baseline
    assert name not in ("clean", "forms", "roster") or any("ratio" in r for r in rows)
