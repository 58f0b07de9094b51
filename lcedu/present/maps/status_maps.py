"""The status map: which counties meet each county-level assessment, and the share against the plan's target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

from lcedu.home import CITY_CODE
from lcedu.measure.plan import get_plan
from lcedu.measure.results import plan_scorecard
from lcedu.present.maps.boundaries import map_prefecture, prefecture_counties
from lcedu.present.maps.classes import status_classification
from lcedu.present.maps.furniture import draw_panel, finish_panel_figure, panel_figure
from lcedu.present.maps.labels import fit_to_width
from lcedu.present.maps.rows import is_synthetic
from lcedu.present.maps.words import (
    ASSESSMENTS,
    Lang,
    assessment_name,
    county_names,
    place_prefix,
    source_line,
    year_words,
)
from lcedu.present.words import word


def _status_for(status: pd.DataFrame, assessment: str, year: int) -> pd.Series:
    missing = {"county_code", "year", "assessment", "is_met"} - set(status.columns)
    if missing:
        raise ValueError(f"status lacks columns {sorted(missing)}")
    rows = status.loc[(status["assessment"] == assessment) & (status["year"] == year)]
    rows = rows.assign(county_code=rows["county_code"].astype(str))
    if rows["county_code"].duplicated().any():
        raise ValueError(f"several status rows per county for {assessment} {year}")
    return rows.set_index("county_code")["is_met"]


def status_share(is_met: pd.Series, county_codes: Sequence[str]) -> tuple[int, int, int]:
    """(met, without status, total) over the map's counties: a county without data is not counted as not met."""
    flags = is_met.reindex(list(county_codes))
    return int(flags.fillna(False).astype(bool).sum()), int(flags.isna().sum()), len(county_codes)


_VERDICT_WORDS = {"met": "maps.status_reached", "not_met": "maps.status_not_reached", "not_due": "maps.status_not_due"}


def _status_title(
    assessment: str,
    is_met: pd.Series,
    codes: Sequence[str],
    target_share: float | None,
    verdict: str | None,
    lang: Lang,
) -> str:
    """Words like "{name} 3/8 县（37.5%），计划目标 37.5%，已达到": the count of the map, the plan's share and the
    stored verdict of the city's share target (``verdict``: the scorecard's status; never judged here)."""
    met, unknown, total = status_share(is_met, codes)
    name = assessment_name(assessment, lang)
    if unknown == total:
        return word("maps.status_no_data", lang, name=name)
    share = met / total
    if target_share is None:  # the plan sets no share for this assessment
        return word("maps.status_count", lang, name=name, met=met, total=total)
    key = _VERDICT_WORDS.get(str(verdict)) if verdict is not None else None
    reached = word(key, lang) if key else (word("maps.status_unknown", lang, n=unknown) if unknown else "")
    return word(
        "maps.status_panel", lang, name=name, met=met, total=total, share=share, target=target_share, reached=reached
    ).rstrip("，; ")


def share_verdicts(year: int, plan: str | None = None) -> dict[str, str]:
    """Assessment → the stored status of the plan's ``<assessment>_county_share_pct`` city target in ``year``."""
    card = plan_scorecard(plan)
    rows = card[card["indicator"].str.endswith("_county_share_pct") & (card["year"] == int(year))]
    rows = rows[rows["county_code"] == CITY_CODE]
    return {
        str(code).removesuffix("_county_share_pct"): str(status)
        for code, status in zip(rows["indicator"], rows["status"], strict=True)
        if pd.notna(status)
    }


def status_map(
    status: pd.DataFrame,
    year: int,
    *,
    assessments: Sequence[str] | None = None,
    target_shares: dict[str, float] | None = None,
    verdicts: Mapping[str, str] | None = None,
    title: str | None = None,
    lang: Lang = "zh",
    source: str | None = None,
    synthetic: bool | None = None,
    prefecture: str | None = None,
) -> Figure:
    """Which counties meet each county-level assessment, and the share against the plan.

    ``target_shares``: assessment → share of counties the plan asks for (default: the default
    plan's ``*_county_share_pct`` targets, :meth:`lcedu.measure.plan.Plan.target_shares`, which
    are 临沧's: for another prefecture only the counts are shown unless shares are given).
    ``verdicts``: assessment → the stored status of that share target (:func:`share_verdicts`); the
    title words it and never judges it (without one it states the share and the target only).
    ``prefecture``: whose counties to draw and count (default: the one prefecture of ``status``).
    """
    where = map_prefecture(status["county_code"].astype(str).unique(), prefecture)
    if target_shares is None:
        target_shares = get_plan().target_shares() if where == CITY_CODE else {}
    counties = prefecture_counties(where)
    codes = list(counties["county_code"])
    present = set(status["assessment"])
    chosen = assessments or [name for name in ASSESSMENTS if name in present] or sorted(present)
    # Room for three-line panel titles and the legend's 未评估 entry in every year: each year's map the same size.
    figure, axes = panel_figure(len(chosen), (4.2, 4.9), legend_width=1.6, header=1.2)
    for ax, assessment in zip(axes, chosen, strict=True):
        is_met = _status_for(status, assessment, year)
        classification = status_classification(is_met, lang)
        draw_panel(ax, counties, classification, county_names(counties, lang), label_size=8)
        heading = ax.set_title(
            _status_title(
                assessment, is_met, codes, target_shares.get(assessment), (verdicts or {}).get(assessment), lang
            ),
            fontsize=10,
            loc="left",
        )
        fit_to_width(heading, ax.get_window_extent().width)
        ax.set_gid(f"panel-{assessment}")
    heading = title or place_prefix(where, lang) + word("maps.status_title", lang, year=year_words(year, lang))
    note = source_line(lang, source, year_words(year, lang), is_synthetic(status, synthetic))
    return finish_panel_figure(figure, classification, True, heading, note, lang)
