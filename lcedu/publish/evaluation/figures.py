"""The 附图: status and progress maps of the city, drawn once and outlined for each county."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lcedu.home import CITY_CODE
from lcedu.present import maps
from lcedu.present import narrative as nv
from lcedu.present.maps.focus import county_focus
from lcedu.publish import map_files
from lcedu.publish.evaluation.data import EvaluationData
from lcedu.publish.evaluation.wording import (
    place_zh,
)

_PROGRESS_LIMIT = 2  # progress maps: the first county-scoped rate targets of the plan


def _share_verdicts(data: EvaluationData) -> dict[str, str]:
    """Assessment → the stored status of the city's ``<assessment>_county_share_pct`` target in the year."""
    card = data.card
    rows = card[
        card["indicator"].str.endswith("_county_share_pct")
        & (card["year"] == data.year)
        & (card["county_code"] == CITY_CODE)
        & card["status"].notna()
    ]
    return {
        str(c).removesuffix("_county_share_pct"): str(s) for c, s in zip(rows["indicator"], rows["status"], strict=True)
    }


@dataclass(frozen=True)
class _CityMap:
    """One of the city's maps, drawn once: its file stem, the city document's caption, and the caption of a
    county's document (naming the county and its own value)."""

    stem: str
    caption: str
    figure: Any
    county_caption: Callable[[str], str]


def draw_figures(
    data: EvaluationData, out_dir: Path, counties: Sequence[str] = ()
) -> dict[str | None, list[tuple[str, Path]]]:
    """Status and progress maps (PNG), (caption, file) per document: the city's (key None) and, for each of
    ``counties``, the same maps with that county outlined and named in the captions."""
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = [*_met_share_map(data), *_status_maps(data), *_progress_maps(data)]
    figures: dict[str | None, list[tuple[str, Path]]] = {None: []}
    for city_map in drawn:
        figures[None].append((city_map.caption, _save(city_map.figure, out_dir / city_map.stem)))
        for code in counties:
            with county_focus(city_map.figure, code):
                png = _save(city_map.figure, out_dir / f"{city_map.stem}_{code}")
            figures.setdefault(code, []).append((city_map.county_caption(code), png))
    plt.close("all")
    return figures


def _met_share_map(data: EvaluationData) -> list[_CityMap]:
    """The share of each county's due targets met (the stored target_counts' met_pct)."""
    counts = data.counts if data.counts is not None else pd.DataFrame(columns=["met_pct"])
    share = counts.loc[[c for c in counts.index if c != CITY_CODE], "met_pct"].dropna()
    if not len(share):
        return []
    frame = pd.DataFrame({"county_code": share.index, "value": share.to_numpy(dtype=float), "year": data.year})
    ax = maps.choropleth(
        frame.assign(indicator="plan_targets_met_pct"),
        "plan_targets_met_pct",
        data.year,
        label="已到期目标达标率",
        unit="%",
        breaks=[20, 40, 60, 80, 100],
        synthetic=data.synthetic,
        prefecture=CITY_CODE,
    )
    year = nv.year_label(data.year)

    def county_caption(code: str) -> str:
        own = f"{share[code]:.1f}%" if code in share.index else "无数据"
        return f"{place_zh(code)}在全市：{year}已到期目标达标率，本县{own}（粗线为本县）"

    return [_CityMap("targets_met", f"{year}各县(区)已到期目标达标率", ax.figure, county_caption)]


def _status_maps(data: EvaluationData) -> list[_CityMap]:
    """The county assessments the plan sets shares for: which counties meet them."""
    shares = data.plan.target_shares()
    status = data.assessments[
        data.assessments["assessment"].isin(list(shares)) & (data.assessments["year"] == data.year)
    ]
    drawn = []
    for assessment, share in shares.items():
        one = status[status["assessment"] == assessment]
        if not len(one):
            continue
        fig = maps.status_map(
            one,
            data.year,
            assessments=[assessment],
            target_shares={assessment: share},
            verdicts=_share_verdicts(data),
            synthetic=data.synthetic,
            prefecture=CITY_CODE,
        )
        name = nv.indicator_name(assessment, "zh")
        year = nv.year_label(data.year)
        verdicts = dict(zip(one["county_code"].astype(str), one["is_met"], strict=True))

        def county_caption(code: str, name: str = name, year: str = year, verdicts: dict = verdicts) -> str:
            met = verdicts.get(code)
            word = "未评估" if nv.is_missing(met) else ("达标" if bool(met) else "未达标")
            return f"{place_zh(code)}在全市：{year}{name}，本县{word}（粗线为本县）"

        caption = f"{year}{name}达标情况（规划目标{share:.1%}的县）"
        drawn.append(_CityMap(f"status_{assessment}", caption, fig, county_caption))
    return drawn


def _progress_maps(data: EvaluationData) -> list[_CityMap]:
    """Progress since the baseline on the plan's county-scoped rate targets (those most often unmet first)."""
    if data.year == data.plan.baseline_year:
        return []
    counties = data.status[data.status["county_code"] != CITY_CODE]
    rates = counties[(counties["unit"] == "%") & counties["comparison"].isin(["at_least", "at_most"])]
    unmet = rates.assign(_short=rates["status"] == "not_met").groupby("indicator", sort=False)["_short"].sum()
    rates = rates.assign(_order=rates["indicator"].map(-unmet)).sort_values("_order", kind="stable")
    results = data.results[data.results["county_code"] != CITY_CODE]
    base, year = data.plan.baseline_year, data.year
    span = f"{nv.year_label(base)}至{nv.year_label(year)}"
    drawn = []
    for code in dict.fromkeys(rates["indicator"]):
        if len(drawn) >= _PROGRESS_LIMIT:
            break
        values = results[(results["indicator"] == code) & results["year"].isin([base, year])]
        if values["value"].notna().sum() < 2:
            continue
        name = nv.indicator_name(code, "zh")
        ax = maps.change_map(
            values, code, base, year, label=name, unit="个百分点", synthetic=data.synthetic, prefecture=CITY_CODE
        )
        wide = values.pivot_table(index="county_code", columns="year", values="value", aggfunc="first")
        change = (wide.get(year) - wide.get(base)) if {base, year} <= set(wide.columns) else pd.Series(dtype=float)

        def county_caption(county: str, name: str = name, change: pd.Series = change) -> str:
            value = change.get(county)
            own = "无数据" if nv.is_missing(value) else f"{float(value):+.1f}个百分点"
            return f"{place_zh(county)}在全市：{name}{span}变化，本县{own}（粗线为本县）"

        drawn.append(_CityMap(f"progress_{code}", f"{name}：{span}变化", ax.figure, county_caption))
    return drawn


def _save(figure: Any, stem: Path) -> Path:
    (png,) = map_files.save_figure(figure, stem, formats=("png",), dpi=150)
    return png
