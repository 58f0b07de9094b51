"""Trend charts as a reader sees them: target labels readable over the lines, totals on their own scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patheffects import withStroke

from lcedu.present import charts

YEARS = [2022, 2023, 2024, 2025]
COUNTIES = ["530902", "530921", "530922", "530923", "530924", "530925", "530926", "530927"]


def _series(indicator: str, unit: str, county_values: dict[str, list[float]], city: list[float]) -> pd.DataFrame:
    rows = [
        {"county_code": code, "year": year, "indicator": indicator, "value": value, "unit": unit}
        for code, values in {**county_values, "530900": city}.items()
        for year, value in zip(YEARS, values, strict=True)
    ]
    return pd.DataFrame(rows)


def _drawn(fig):
    FigureCanvasAgg(fig).draw()
    return fig.canvas.get_renderer()


def test_a_count_total_gets_its_own_axis_and_the_counties_keep_their_scale() -> None:
    counties = {code: [1800 + 40 * i + 30 * k for k in range(4)] for i, code in enumerate(COUNTIES)}
    city = [sum(v[k] for v in counties.values()) for k in range(4)]
    series = _series("full_time_teachers", "teachers", counties, city)
    fig = charts.trend_panels(series, ["full_time_teachers"], highlight="530925", columns=1)
    _drawn(fig)
    twins = [ax for ax in fig.axes if ax.get_gid() == "total-axis"]
    assert len(twins) == 1, "the city total is drawn on a right-hand axis"
    main = fig.axes[0]
    low, high = main.get_ylim()
    assert high < 3000, f"the counties' axis is not stretched to the total ({low:.0f}–{high:.0f})"
    assert twins[0].get_ylim()[1] > min(city)


def test_a_rate_shares_one_axis_with_its_total() -> None:
    counties = {code: [80 + i + k for k in range(4)] for i, code in enumerate(COUNTIES)}
    series = _series("preschool_gross_enrollment_pct", "%", counties, [85, 86, 87, 88])
    fig = charts.trend_panels(series, ["preschool_gross_enrollment_pct"], highlight="530925", columns=1)
    assert not [ax for ax in fig.axes if ax.get_gid() == "total-axis"]


def test_target_labels_have_a_halo_and_sit_clear_of_the_county_line() -> None:
    # The county's line runs just above the targets, where a label drawn above the mark would sit on it.
    counties = {code: [60.0 + i for _ in range(4)] for i, code in enumerate(COUNTIES)}
    counties["530925"] = [19.0, 20.6, 21.5, 22.4]
    series = _series("digital_classroom_coverage_pct", "%", counties, [40, 42, 44, 46])
    targets = pd.DataFrame(
        {"indicator": ["digital_classroom_coverage_pct"] * 2, "year": [2023, 2025], "target": [20, 22]}
    )
    fig = charts.trend_panels(
        series, ["digital_classroom_coverage_pct"], highlight="530925", targets=targets, columns=1, others=False
    )
    renderer = _drawn(fig)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == "target-label"]
    assert [t.get_text() for t in labels] == ["目标 20%", "目标 22%"]
    own_line = next(line for line in ax.lines if line.get_linewidth() == 2.4)
    points = ax.transData.transform(np.column_stack(own_line.get_data()).astype(float))
    for label in labels:
        assert any(isinstance(effect, withStroke) for effect in label.get_path_effects()), "a white halo"
        box = label.get_window_extent(renderer)
        inside = [(x, y) for x, y in points if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1]
        assert not inside, f"{label.get_text()} is drawn over the county's line"
        assert label.get_va() == "top", "the line is above the target, so the label goes below"
