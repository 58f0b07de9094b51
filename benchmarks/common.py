"""Shared pieces of the benchmarks: a generated province (cached), timing and memory helpers.

Benchmarks compare variants side by side in one run and report medians and ratios: the
machine is shared and noisy, so absolute seconds are only indicative.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Where generated inputs and results go; the smoke test points it at a temporary folder.
OUT = Path(os.environ.get("LCEDU_BENCH_OUT") or REPO / "benchmarks" / "out")
PROVINCE_COUNTIES = 129
# Quick mode (BENCH_QUICK=1, the smoke test): 临沧's 8 counties at 5% of the sample's schools per
# resident (~170 schools a year), so that every benchmark runs end to end in seconds, not minutes.
TINY_DENSITY = 0.05


def tiny_raw() -> Path:
    """A small 临沧 sample (8 counties × 4 years, ~170 schools a year), written once under OUT."""
    raw = OUT / "tiny" / "raw"
    if not (raw / "sample.json").exists():
        _lcedu("sample", "--density", str(TINY_DENSITY), "--raw", str(raw))
    return raw


def tiny_processed() -> Path:
    """The small sample cleaned (a processed folder with ``current``), built once."""
    processed = OUT / "tiny" / "processed"
    if not (processed / "current").exists():
        _lcedu("clean", "--raw", str(tiny_raw()), "--out", str(processed))
    return processed


def _lcedu(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "lcedu.cli", *args],
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def province_raw() -> Path:
    """Raw files of a generated province (129 counties, ~15,000 schools, 4 years), built once."""
    raw = OUT / "province" / "raw"
    if not (raw / "sample.json").exists():
        raw.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "lcedu.cli", "sample", "--province", str(PROVINCE_COUNTIES), "--out", str(raw)],
            check=True,
        )
    return raw


def province_processed() -> Path:
    """A processed folder (with ``current``) for the generated province, built once."""
    processed = OUT / "province" / "processed"
    if not (processed / "current").exists():
        subprocess.run(
            [sys.executable, "-m", "lcedu.cli", "clean", "--raw", str(province_raw()), "--out", str(processed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return processed


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mib(code: str, setup: str = "") -> tuple[float, float]:
    """Run ``code`` in a fresh interpreter; return (wall seconds, peak RSS in MiB) of that process.

    ``setup`` (imports) runs first and is not timed."""
    script = (
        "import resource, time\n"
        f"{setup}\n"
        "t = time.perf_counter()\n"
        f"{code}\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=REPO)
    seconds, rss = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(rss)


def timed_run(code: str, setup: str = "") -> dict[str, float]:
    """Run ``code`` in a fresh interpreter after an untimed ``setup``: its wall and CPU seconds (user + system
    of that process: steadier than wall time on a shared machine) and its peak RSS in MiB."""
    script = (
        "import resource, time\n"
        f"{setup}\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        f"{code}\n"
        "print(time.perf_counter() - t, time.process_time() - c, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=REPO)
    wall, cpu, rss = out.stdout.strip().splitlines()[-1].split()
    return {"wall": float(wall), "cpu": float(cpu), "rss": float(rss)}
