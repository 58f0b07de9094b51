"""The explorer widget: seconds from a changed dropdown to the three views ready to show, on the 临沧 sample.

(a) the old path: every change recomputes all three views (:func:`lcedu.present.explorer.explorer_view`)
    and encodes them as the notebook shows a figure (``briefing.show``: PNG at 144 dpi, tight box) and a
    table (Styler HTML);
(b) :class:`lcedu.present.explorer.ExplorerSession.change`: the views the change touches, each figure
    encoded once at screen resolution.
Both walk the same sequence of changes (county, indicator, year, …); the target is < 0.3 s a change.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable

from benchmarks.bench_indicators import lincang_processed

TARGET_S = 0.3
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
    old, new = _side_by_side([_old_path(), _new_path()], rounds)
    old_s, new_s = statistics.median(old), statistics.median(new)
    notes = (
        f"median of {len(new)} changes ({len(CHANGES)} kinds × {rounds}); slowest {max(new):.2f} s "
        f"(old {max(old):.2f} s); target < {TARGET_S} s a change"
    )
    return [
        {
            "benchmark": "explorer change",
            "variant": "old: explorer_view + show() encoding",
            "median_s": old_s,
            "notes": notes,
        },
        {
            "benchmark": "explorer change",
            "variant": "ExplorerSession.change",
            "median_s": new_s,
            "ratio": old_s / new_s,
            "notes": notes,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
