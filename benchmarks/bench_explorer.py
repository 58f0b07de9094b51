"""The explorer widget: seconds from a changed dropdown to the three views ready to show, on the 临沧 sample.

(a) the old path: every change recomputes all three views (:func:`lcedu.present.explorer.explorer_view`)
    and encodes them as the notebook shows a figure (``briefing.show``: PNG at 144 dpi, tight box) and a
    table (Styler HTML);
(b) the session as it was before the in-place map (commit 6d117c2): every change draws a new map, a new
    county or indicator a new chart (a new year moves its marker), each figure saved once at screen
    resolution;
(c) the session as it was before the chart was refocused in place (commit 5daf2e7, its explorer.py loaded
    from git; left out where the history is not at hand): map in place, a new chart for every county;
(d) :class:`lcedu.present.explorer.ExplorerSession.change` now: the map kept and updated in place, only the
    changed regions of map and chart drawn again (:class:`lcedu.present.layers.LayeredFigure`), a new county
    of the same indicator restyles the kept chart (:func:`lcedu.present.charts.trend_highlight`), the table's
    cells written from rows kept as dicts.
All walk the same sequence of changes (county, indicator, year, …), in turn, so they share the machine's
load; the target is < 0.3 s a change. Medians per kind of change are in the notes.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

from benchmarks.bench_indicators import lincang_processed

TARGET_S = 0.3
#: The commit whose explorer.py is variant (c): the code before the chart was refocused in place.
BEFORE = "5daf2e7"
#: What a user does: pick a county, then an indicator, then a year, … (rates and headcounts).
CHANGES = [
    {"county": "530925"},
    {"indicator": "senior_gross_enrollment_pct"},
    {"year": 2024},
    {"county": "530921"},
    {"indicator": "famous_teacher_count"},
    {"year": 2023},
    {"indicator": "digital_classroom_coverage_pct"},
    {"county": "530927"},
    {"year": 2025},
    {"indicator": "preschool_gross_enrollment_pct"},
]


def _old_path() -> Callable[[dict], object]:
    from lcedu.present import charts
    from lcedu.present import explorer as ex

    state = {"county": "530902", "indicator": "preschool_gross_enrollment_pct", "year": 2025}

    def change(choice: dict) -> object:
        state.update(choice)
        figure, chart, table = ex.explorer_view(state["county"], state["indicator"], state["year"])
        return charts.to_png(figure), charts.to_png(chart), table.to_html()

    return change


def _redraw_path() -> Callable[[dict], object]:
    from lcedu.present import briefing as bf
    from lcedu.present import explorer as ex

    state = {"county": "530902", "indicator": "preschool_gross_enrollment_pct", "year": 2025}
    chart: dict = {"key": None, "figure": None}
    base, _ = ex.plan_years()

    def change(choice: dict) -> object:
        state.update(choice)
        ex.indicator_options("en")  # the choice was checked against the registry on every change
        p = bf.params(state["county"], state["year"], base, "zh", scope="city")
        figure = ex.map_figure(p, state["indicator"])
        key = (p.county, state["indicator"])
        if key != chart["key"]:
            chart["figure"], chart["key"] = ex.trend_chart(p, state["indicator"]), key
        else:
            ex.move_year_marker(chart["figure"], p.year)
        views = ex.figure_png(chart["figure"]), ex.county_table(p, state["indicator"]).to_html()
        return ex.figure_png(figure), *views

    return change


def _before_path() -> Callable[[dict], object] | None:
    """ExplorerSession as of :data:`BEFORE`, its module run from the git history (None without it)."""
    repo = Path(__file__).resolve().parents[1]
    shown = subprocess.run(
        ["git", "show", f"{BEFORE}:lcedu/present/explorer.py"], cwd=repo, capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        print(f"variant (c) left out: no {BEFORE} in the git history ({shown.stderr.strip()})", file=sys.stderr)
        return None
    module = types.ModuleType("explorer_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(shown.stdout, f"explorer.py@{BEFORE}", "exec"), module.__dict__)  # noqa: S102 (our own history)
    session = module.ExplorerSession("530902", "preschool_gross_enrollment_pct", 2025)
    session.change()
    return lambda choice: session.change(**choice)


def _new_path() -> Callable[[dict], object]:
    from lcedu.present import explorer as ex

    session = ex.ExplorerSession("530902", "preschool_gross_enrollment_pct", 2025)
    session.change()
    return lambda choice: session.change(**choice)


def _side_by_side(changes: list[Callable[[dict], object]], rounds: int) -> list[list[float]]:
    """Each change applied to every path in turn (old, new, old, …), so both see the same machine load."""
    for change in changes:
        change({})  # first draw (caches, fonts) is not a change
    times: list[list[float]] = [[] for _ in changes]
    for _ in range(rounds):
        for choice in CHANGES:
            for change, out in zip(changes, times, strict=True):
                gc.collect()
                start = time.perf_counter()
                change(choice)
                out.append(time.perf_counter() - start)
    return times


def run(quick: bool = False) -> list[dict]:
    os.environ.setdefault("LCEDU_PROCESSED", str(lincang_processed()))
    import matplotlib

    matplotlib.use("Agg")
    rounds = 1 if quick else 3
    paths = {
        "old: explorer_view + show() encoding": _old_path(),
        "session before: map redrawn each change": _redraw_path(),
        f"session at {BEFORE}: map in place, a new chart per county": _before_path(),
        "ExplorerSession.change: map and chart in place, changed regions drawn": _new_path(),
    }
    paths = {name: change for name, change in paths.items() if change is not None}
    measured = dict(zip(paths, _side_by_side(list(paths.values()), rounds), strict=True))
    baseline = next(name for name in reversed(paths) if name.startswith("session"))  # the code before this one
    kinds = [next(iter(choice)) for choice in CHANGES] * rounds
    rows = []
    for variant, times in measured.items():
        by_kind = ", ".join(
            f"{kind} {statistics.median(t for t, k in zip(times, kinds, strict=True) if k == kind):.2f} s"
            for kind in dict.fromkeys(kinds)
        )
        rows.append(
            {
                "benchmark": "explorer change",
                "variant": variant,
                "median_s": statistics.median(times),
                "ratio": statistics.median(measured[baseline]) / statistics.median(times),
                "notes": f"median of {len(times)} changes ({len(CHANGES)} × {rounds}); by kind: {by_kind}; "
                f"slowest {max(times):.2f} s; ratio = {baseline.split(':')[0]} / this; target < {TARGET_S} s a change",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
