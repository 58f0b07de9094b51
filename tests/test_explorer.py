"""The explorer's three views: the faults a new user found (issue 12), guarded."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lcedu.present import explorer as ex
from lcedu.present import narrative as nv


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _table(view) -> list[dict]:
    return view.data.to_dict("records")


def test_defaults_come_from_the_plan(processed_sample: Path) -> None:
    assert ex.plan_years() == (2022, 2025)
    _, _, table = ex.explorer_view("530902", "preschool_gross_enrollment_pct")
    assert any("2025年" in r["目标"] for r in _table(table))


def test_trend_chart_in_the_first_year_draws_every_year(processed_sample: Path) -> None:
    _, chart, _ = ex.explorer_view("530902", "preschool_gross_enrollment_pct", 2022)
    ax = chart.axes[0]
    lines = [line for line in ax.lines if line.get_gid() != "selected-year"]
    series = [line for line in lines if len(line.get_xdata()) >= 4]
    # the county, the city (dashed) and the 7 other counties, each over the 4 data years
    assert len(series) == 9
    assert any(line.get_linestyle() == "--" for line in series), "the city line is drawn, as the legend says"
    marker = next(line for line in ax.lines if line.get_gid() == "selected-year")
    assert list(marker.get_xdata()) == [2022, 2022]
    legend = [t.get_text() for legend in chart.legends for t in legend.get_texts()]
    assert {"临翔区", "临沧市", "其他县(区)"} <= set(legend)


@pytest.mark.parametrize(
    "indicator", ["famous_teacher_count", "private_high_school_count", "preschool_gross_enrollment_pct"]
)
def test_map_labels_read_like_the_table(processed_sample: Path, indicator: str) -> None:
    figure, _, table = ex.explorer_view("530925", indicator, 2025)
    unit = nv.indicator_unit(indicator)
    rows = {r["县(区)"]: r["数值"] for r in _table(table)}
    labels = [t.get_text() for t in figure.axes[0].texts if (t.get_gid() or "").startswith("county-label-")]
    assert len(labels) == 8
    with_values = [label for label in labels if "\n" in label]
    assert with_values, "counties with a value show it"
    for label in with_values:
        name, value = label.split("\n")
        assert value == rows[name], f"map says {value!r}, table says {rows[name]!r}"
        if unit in ("people", "schools"):
            assert not value.endswith(".0") and value[-1] in "人所"


def test_a_target_due_later_is_not_due_not_failed(processed_sample: Path) -> None:
    _, _, early = ex.explorer_view("530902", "preschool_gross_enrollment_pct", 2022)
    statuses = {r["县(区)"]: r["达标情况"] for r in _table(early)}
    assert all(s.startswith("未到期") for s in statuses.values()), statuses
    assert not any("未达标" in s for s in statuses.values())
    _, _, middle = ex.explorer_view("530902", "preschool_gross_enrollment_pct", 2024)
    city = next(r for r in _table(middle) if r["县(区)"] == "临沧市")
    assert city["达标情况"] in ("未到期，按趋势可达标", "未到期，按趋势难以达标")
    _, _, final = ex.explorer_view("530902", "preschool_gross_enrollment_pct", 2025)
    assert {r["达标情况"] for r in _table(final)} <= {"✓ 达标", "✗ 未达标"}


def test_status_cell_rules() -> None:
    due_later = {"status": "not_due", "target_year": 2025, "is_met": None, "is_on_track": True}
    assert ex.status_cell(due_later, "zh") == "未到期，按趋势可达标"
    assert ex.status_cell(due_later, "en") == "Not yet due, on track"
    assert ex.status_cell({**due_later, "is_on_track": None}, "zh") == "未到期"
    assert ex.status_cell({"status": "not_met", "target_year": 2025, "is_met": False}, "zh") == "✗ 未达标"
    assert ex.status_cell({"status": None, "target_year": None, "is_met": None}, "zh") == "—"


def test_indicators_are_grouped_by_project_and_found_by_typing(processed_sample: Path) -> None:
    groups = ex.indicator_groups("zh")
    names = [name for _, name, _ in groups]
    assert any("学前教育" in name for name in names) and len(names) >= 8
    flat = [code for _, _, items in groups for _, code in items]
    assert sorted(flat) == sorted(code for _, code in ex.indicator_options("zh")), "every indicator once"
    found = ex.search_indicators("毛入园率")
    assert ("学前三年毛入园率", "preschool_gross_enrollment_pct") in found
    assert all("毛入园率" in label for label, _ in found)
    assert ex.search_indicators("GROSS enrol") == ex.search_indicators("gross enrol")  # any case, English too
    preschool = next(key for key, name, _ in groups if "学前教育" in name)
    assert {code for _, code in ex.search_indicators("", project=preschool)} == {
        code for key, _, items in groups if key == preschool for _, code in items
    }
    assert ex.search_indicators("没有这个指标") == []


def test_a_session_redraws_what_a_change_touches_and_saves_map_and_table(processed_sample: Path, tmp_path) -> None:
    from openpyxl import load_workbook

    session = ex.ExplorerSession("530925", "famous_teacher_count", 2025)
    map_png, chart_png, table_html = session.change()
    assert map_png.startswith(b"\x89PNG") and chart_png.startswith(b"\x89PNG") and "<table" in table_html
    chart = session.chart_figure
    _, moved, _ = session.change(year=2023)
    assert session.chart_figure is chart and moved != chart_png, "a new year moves the marker on the same chart"
    marker = next(line for line in chart.axes[0].lines if line.get_gid() == "selected-year")
    assert list(marker.get_xdata()) == [2023, 2023]
    session.change(county="530902")
    assert session.chart_figure is chart, "a new county of the indicator restyles the chart's lines"
    focus = [line.get_gid() for line in chart.axes[0].lines if line.get_marker() == "o"]
    assert focus == ["trend-530902"], "the new county's line alone has the focus look"
    legend = [t.get_text() for legend in chart.legends for t in legend.get_texts()]
    assert legend[0] == "临翔区" and "双江自治县" not in legend

    written = session.save(tmp_path)
    assert sorted(p.suffix for p in written) == [".png", ".xlsx"]
    sheet = load_workbook(next(p for p in written if p.suffix == ".xlsx")).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "临翔区" in rows[0][0] and "名教师" in rows[0][0]
    assert rows[1] == list(session.table_frame().columns)
    assert all(isinstance(v, str) for row in rows[2:] for v in row if v is not None), "every cell is text"
    assert all(c.data_type == "s" for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None)
    session.change(indicator="preschool_gross_enrollment_pct")
    assert session.chart_figure is not chart, "a new indicator draws its own lines"


def _map_state(figure) -> dict:
    """What a reader sees on a map: each county's fill and label, the legend, the title and source line,
    and which county is outlined."""
    from matplotlib.patches import PathPatch

    ax = figure.axes[0]
    legend = ax.get_legend()
    return {
        "fills": {
            a.get_gid(): (tuple(round(c, 4) for c in a.get_facecolor()), a.get_hatch())
            for a in ax.artists
            if isinstance(a, PathPatch) and a.get_gid().startswith("county-")
        },
        "labels": {t.get_gid(): t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("county-label-")},
        "legend": (
            legend.get_title().get_text(),
            [
                (t.get_text(), tuple(h.get_facecolor()), h.get_hatch())
                for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
            ],
        ),
        "title": ax.get_title(loc="left"),
        "note": next(t.get_text() for t in ax.texts if t.get_gid() == "source-note"),
        "outline": sorted(
            round(float(np.mean(line.get_xdata()))) for line in ax.lines if line.get_gid() == "county-outline"
        ),
    }


#: Rates against a target, headcounts in whole-number classes, a rate without a county target, years.
WALK = [
    {},
    {"county": "530925"},
    {"indicator": "famous_teacher_count"},
    {"year": 2023},
    {"indicator": "digital_classroom_coverage_pct"},
    {"county": "530921", "year": 2025},
    {"indicator": "senior_gross_enrollment_pct", "year": 2022},
]


def test_the_map_kept_in_place_shows_what_a_new_map_shows(processed_sample: Path) -> None:
    session = ex.ExplorerSession("530902", "preschool_gross_enrollment_pct", 2025)
    session.change()
    kept = session.map_figure
    for choice in WALK:
        map_png, _, _ = session.change(**choice)
        assert session.map_figure is kept, "the figure, axes and county patches are kept"
        fresh = ex.map_figure(session.params(), session.indicator)
        assert _map_state(kept) == _map_state(fresh), choice
        assert map_png.startswith(b"\x89PNG")


def test_redrawing_only_the_changed_regions_gives_the_full_picture(processed_sample: Path) -> None:
    from io import BytesIO

    from PIL import Image

    session = ex.ExplorerSession("530902", "preschool_gross_enrollment_pct", 2025)
    session.change()
    for choice in WALK[1:]:
        map_png, chart_png, _ = session.change(**choice)
    for png, layers in zip((map_png, chart_png), session.layers(), strict=True):
        with layers.whole() as figure:
            full = ex.figure_png(figure)
        shown, drawn = (np.asarray(Image.open(BytesIO(b)).convert("L"), dtype=int) for b in (png, full))
        assert shown.shape == drawn.shape
        off = np.abs(shown - drawn) > 48  # anti-aliasing at a region's edge differs by a few levels
        assert off.mean() < 0.001, f"{off.sum()} pixels differ from a full draw"


@pytest.mark.parametrize("indicator", ["preschool_gross_enrollment_pct", "famous_teacher_count"])
def test_a_chart_refocused_on_another_county_is_the_chart_drawn_for_it(processed_sample: Path, indicator: str) -> None:
    from io import BytesIO

    from PIL import Image

    session = ex.ExplorerSession("530902", indicator, 2025)
    session.change()
    kept = session.chart_figure
    for county in ("530925", "530927"):
        _, chart_png, _ = session.change(county=county)
        assert session.chart_figure is kept
        fresh = ex.trend_chart(session.params(), indicator)
        texts = [sorted(t.get_text() for t in figure.axes[0].texts) for figure in (kept, fresh)]
        assert texts[0] == texts[1], "the same last value, target labels and marker"
        shown, drawn = (
            np.asarray(Image.open(BytesIO(b)).convert("L"), dtype=int) for b in (chart_png, ex.figure_png(fresh))
        )
        assert shown.shape == drawn.shape
        off = np.abs(shown - drawn) > 48
        assert off.mean() < 0.001, f"{off.sum()} pixels differ from the chart drawn for {county}"
