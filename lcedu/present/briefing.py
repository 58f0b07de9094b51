"""Presentation layer of the notebook suite: parameters, cached data, sections and display.

The notebooks in ``notebooks/`` are thin: each cell calls one function here (or in
:mod:`lcedu.present.sections`) that returns a :class:`Section` — a heading, sentences generated
from the numbers (:mod:`lcedu.present.narrative`), styled tables and figures (:mod:`lcedu.present.charts`,
:mod:`lcedu.present.maps`) — and :func:`show` displays it. Labels follow ``lang`` ("zh" default,
"en"). Nothing here writes files.

Targets for a county: the plan's county targets (``each_county`` or a county list) apply
as they are; the plan's city-wide rate targets (≥95 % …) are shown as a reference
("全市目标(参照)"), because the plan sets no separate county value. A year without its own
target takes the latest earlier target still in force, else the next one (its year shown).
Outside the plan's region (a county of 昆明 on a 云南 build) a page compares the county with its own
prefecture (昆明市合计, never 临沧's) and says where a target would stand that the plan's targets are
临沧's (:func:`in_plan_region`, :func:`prefecture_word`, :func:`no_targets_note`).

Public API: :func:`params`, :class:`Params`, :func:`show`, :class:`Section`,
:func:`county_card`, :func:`styled`, :func:`header`, :func:`notes`, the county briefing
(:func:`briefing_overview`, :func:`briefing_scorecard`, :func:`briefing_trends`,
:func:`briefing_ranks`, :func:`briefing_gaps`) and the city overview (:func:`city_summary`,
:func:`city_heat_table`, :func:`city_status_maps`, :func:`city_small_multiples`,
:func:`city_share_targets`, :func:`city_targets`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lcedu import paths
from lcedu.paths import CITY_CODE
from lcedu.present import charts, suite
from lcedu.present import narrative as nv
from lcedu.present.narrative import (
    check_lang,
    fmt_target,
    fmt_value,
    indicator_name,
    is_missing,
    place_name,
)

__all__ = [
    "Params",
    "Section",
    "Sized",
    "briefing_gaps",
    "briefing_overview",
    "briefing_ranks",
    "briefing_scorecard",
    "briefing_trends",
    "city_heat_table",
    "city_share_targets",
    "city_small_multiples",
    "city_status_maps",
    "city_summary",
    "city_targets",
    "county_card",
    "header",
    "notes",
    "params",
    "show",
    "styled",
]

MET_CSS = "background-color: #d1e5f0; color: #08306b; white-space: nowrap;"  # light blue (RdBu), with ✓
NOT_MET_CSS = "background-color: #fddbc7; color: #67000d; white-space: nowrap;"  # light orange (RdBu), with ✗
_TABLE_STYLES = [
    {"selector": "th", "props": "background-color: #eef3f8; font-weight: 600; text-align: left; padding: 4px 8px;"},
    {"selector": "td", "props": "padding: 3px 8px; text-align: left; min-width: 4.5em;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: 600; padding: 4px 0;"},
    {"selector": "", "props": "border-collapse: collapse; font-size: 13px;"},
]

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "project": "工程",
        "indicator": "指标",
        "value": "数值",
        "target": "目标",
        "target_source": "目标依据",
        "status": "达标情况",
        "on_track": "按趋势",
        "change": "较基期变化",
        "rank": "县际排名",
        "note": "说明",
        "county": "县(区)",
        "year": "学年初",
        "gap": "差距",
        "needed": "达标还需",
        "criterion": "评估指标",
        "threshold": "标准",
        "school": "学校",
        "stage": "学段",
        "students": "在校生",
        "type": "类型",
        "met_count": "达标项数",
        "meets": "资源配置",
        "count": "数量",
        "share": "占比",
        "city_total": "全市合计",
        "county_share": "本县占全市",
        "progress": "全市完成度",
        "named": "计划点名县",
        "assessment": "评估",
        "counties_met": "全部维度评估且达标的县",
        "counties_unassessed": "未评估的县(不计入)",
        "clause": "计划条款",
    },
    "en": {
        "project": "Project",
        "indicator": "Indicator",
        "value": "Value",
        "target": "Target",
        "target_source": "Target source",
        "status": "Status",
        "on_track": "Trend",
        "change": "Change",
        "rank": "Rank",
        "note": "Note",
        "county": "County",
        "year": "School year (start)",
        "gap": "Gap",
        "needed": "Still needed",
        "criterion": "Criterion",
        "threshold": "Standard",
        "school": "School",
        "stage": "Stage",
        "students": "Students",
        "type": "Type",
        "met_count": "Indicators met",
        "meets": "Resources",
        "count": "Count",
        "share": "Share",
        "city_total": "City total",
        "county_share": "County share of city",
        "progress": "City progress",
        "named": "Named in plan",
        "assessment": "Assessment",
        "counties_met": "Counties assessed on every dimension and met",
        "counties_unassessed": "Counties not assessed (not counted)",
        "clause": "Plan clause",
    },
}

_TITLES: dict[str, dict[str, str]] = {
    "zh": {
        "overview": "概况",
        "scorecard": "计划指标达标情况",
        "trends": "{base}以来的变化",
        "ranks": "在{peers}中的位置",
        "gaps": "差距最大的五项指标及达标所需",
        "notes": "数据与口径说明",
        "heat": "各县(区)全部指标一览（{year}）",
        "status_maps": "优质均衡与普及普惠达标县分布",
        "multiples": "重点指标分县变化",
        "share_targets": "{share}达标县占比目标",
        "city_targets": "全市层面目标（{year}）",
    },
    "en": {
        "overview": "Overview",
        "scorecard": "Plan indicators: met or not",
        "trends": "Change since the {base}",
        "ranks": "Position among {peers}",
        "gaps": "The five largest gaps and what closing them takes",
        "notes": "Data and definitions",
        "heat": "Every county on every indicator ({year})",
        "status_maps": "Counties meeting the two assessments",
        "multiples": "Key indicators by county over time",
        "share_targets": "The {share} county-share targets",
        "city_targets": "City-level targets ({year})",
    },
}

SCOPE_WORDS = {
    "zh": {"county": "本县目标", "city": "全市目标", "city_reference": "全市目标(参照)"},
    "en": {"county": "County target", "city": "City target", "city_reference": "City target (reference)"},
}
ASSESSMENTS = ("preschool_universal", "compulsory_balanced")


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Params:
    """Validated notebook parameters: a 6-digit county code (or ``"530900"``), years and language."""

    county: str
    year: int
    baseline_year: int
    lang: str
    plan: str | None = None  # a plan name, folder or targets file; None: the default plan

    @property
    def name(self) -> str:
        """Display name of the county (or the city)."""
        return place_name(self.county, self.lang)

    @property
    def is_city(self) -> bool:
        return self.county == CITY_CODE


_CITY_NAMES = {CITY_CODE, "临沧市", "临沧", "全市", "city", "lincang", "Lincang"}


def _county_choices() -> str:
    from lcedu.ingest.counties import home

    reg = home()
    return "、".join(f"{n}({c})" for c, n in zip(reg["county_code"], reg["short_name_zh"], strict=True))


def _resolve(county: object, allow_city: bool) -> str:
    from lcedu.ingest.counties import resolve

    if str(county).strip() in _CITY_NAMES:
        if not allow_city:
            raise ValueError(
                f"本笔记本按县(区)呈现，county 不能是全市 {county!r}；全市情况请看 city_overview。"
                f" / This notebook is per county; use city_overview for the city. Counties: {_county_choices()}"
            )
        return CITY_CODE
    code = resolve(county)
    if code is None:
        raise ValueError(
            f"未知的县(区) {county!r} / unknown county {county!r}。可选 / choose from: {_county_choices()}"
        )
    return code


def check_city_view(p: Params) -> None:
    """The city overview is 临沧's (its heat table, shares and targets): a county of another prefecture
    highlighted in it would read 临沧's figures as its own, so it is sent to its prefecture's overview.
    (The explorer, also ``scope="city"``, is prefecture-aware and does not call this.)."""
    from lcedu.ingest.counties import area_name, name, prefecture_of

    code = p.county
    prefecture = CITY_CODE if p.is_city else prefecture_of(code)
    if prefecture != CITY_CODE:
        raise ValueError(
            f"全市总览(city_overview)是临沧市的；{name(code)}属{area_name(prefecture)}，"
            f'请用州(市)总览 prefecture_overview（prefecture="{prefecture}"）。'
            f" / city_overview is Lincang's; {name(code, 'en')} ({code}) is in "
            f'{area_name(prefecture, "en")}: use prefecture_overview with prefecture="{prefecture}".'
        )


def checked_year(value: object, years: Sequence[int], name: str) -> int:
    """A notebook's year parameter as an int that is in the data, else a message listing the years."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer | str):
        raise ValueError(f"{name} 应为整数年份 / {name} must be a year (int), got {value!r}")
    try:
        year = int(value)
    except ValueError:
        raise ValueError(f"{name} 应为整数年份 / {name} must be a year (int), got {value!r}") from None
    if year not in years:
        raise ValueError(
            f"{name}={year} 不在数据中 / not in the data; "
            f"可用年份 / available years: {', '.join(str(y) for y in years)}"
        )
    return year


def params(
    county: object,
    year: object,
    baseline_year: object = None,
    lang: str = "zh",
    *,
    scope: str = "county",
    plan: str | None = None,
) -> Params:
    """Check the notebook parameters and return them resolved; a ValueError says what is wrong.

    ``county``: 6-digit code or name (双江, 双江自治县, 双江县, 530925); with ``scope="city"`` also
    ``"530900"`` / 临沧市 (a county is then highlighted in the city view). ``year`` and
    ``baseline_year`` must be years of the processed data, baseline ≤ year.
    """
    lang = check_lang(lang)
    code = _resolve(county, allow_city=scope == "city")
    years = available_years()
    y = checked_year(year, years, "year")
    chosen = plan_of(plan)  # an unknown or broken plan fails here, with the file and field
    base = checked_year(baseline_year if baseline_year is not None else chosen.baseline_year, years, "baseline_year")
    if base > y:
        raise ValueError(f"baseline_year={base} 晚于 year={y} / baseline_year must not be after year")
    return Params(code, y, base, lang, None if plan is None else str(plan))


# --------------------------------------------------------------------------- data (cached per processed build)


@dataclass(frozen=True)
class _Base:
    build: str
    results: pd.DataFrame
    stored: dict[str, pd.DataFrame]  # the build's result tables (lcedu.measure.results)
    assessments: pd.DataFrame
    criteria: pd.DataFrame
    synthetic: bool
    created_at: str
    years: tuple[int, ...]

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The processed tables, read on first use: pages read results; only another baseline needs these."""
        from lcedu.measure import indicators as ind

        return ind.load_tables(Path(self.build).parent)


def _build() -> str:
    from lcedu.ingest import store

    return str(store.current())


@lru_cache(maxsize=2)
def _base(build: str) -> _Base:
    from lcedu.ingest import store
    from lcedu.measure.results import load_results

    stored = load_results()
    manifest = store.manifest()
    results = stored["indicator_results"]
    return _Base(
        build=build,
        results=results,
        stored=stored,
        assessments=stored["assessments"],
        criteria=stored["assessment_criteria"],
        synthetic=bool(manifest.get("is_sample", False)),
        created_at=str(manifest.get("created_at", "")),
        years=tuple(sorted(int(y) for y in results["year"].dropna().unique())),
    )


def base() -> _Base:
    """Tables, indicator results and assessments of the current processed set (cached)."""
    return _base(_build())


def available_years() -> tuple[int, ...]:
    """Years of the processed data."""
    return base().years


def page_prefecture(p: Params) -> str:
    """The prefecture a county page compares the county with: its own (临沧市 530900 for 临沧's counties)."""
    from lcedu.ingest.counties import prefecture_of

    return CITY_CODE if p.is_city else prefecture_of(p.county)


def peer_codes(p: Params) -> list[str]:
    """The counties of the page's prefecture that have results in the build (临沧's 8; 昆明's 14 on a 云南 build)."""
    return _peer_codes(base().build, page_prefecture(p))


@lru_cache(maxsize=64)
def _peer_codes(build: str, prefecture: str) -> list[str]:
    from lcedu.ingest.counties import is_aggregate, prefecture_of

    codes = _base(build).results["county_code"].astype(str).unique()
    return sorted(c for c in codes if not is_aggregate(c) and prefecture_of(c) == prefecture)


def peers_phrase(p: Params) -> str:
    """Who a county is ranked among: 全市8个县(区) for 临沧's counties, 昆明市14个县(市、区) elsewhere;
    English "the 8 counties" / "the 14 counties of Kunming". The count is the build's."""
    from lcedu.ingest import counties

    prefecture, peers = page_prefecture(p), peer_codes(p)
    if p.lang != "zh":
        whom = f"the {len(peers)} counties" if len(peers) != 1 else "the only county"
        return whom + ("" if prefecture == CITY_CODE else f" of {counties.area_name(prefecture, 'en')}")
    known = counties.registry().set_index("county_code")["name_zh"]
    cities = any(str(known.get(c, "")).endswith("市") for c in peers)
    where = "全市" if prefecture == CITY_CODE else counties.area_name(prefecture)
    return f"{where}{len(peers)}个{'县(市、区)' if cities else '县(区)'}"


def in_plan_region(p: Params) -> bool:
    """Whether the plan's targets are the page's own: 临沧's plan for 临沧's counties, none for 昆明's."""
    from lcedu.measure.plan import in_region

    return in_region(p.county, plan_of(p.plan).region_code)


def prefecture_word(p: Params) -> str:
    """How a page names the county's prefecture: 全市 / "the city" inside the plan's region (临沧's pages
    as they always were), the prefecture's own name elsewhere (昆明市 / Kunming)."""
    from lcedu.ingest import counties

    if in_plan_region(p):
        return "全市" if p.lang == "zh" else "the city"
    return counties.area_name(page_prefecture(p), p.lang)


def no_targets_note(p: Params, prefecture: str | None = None) -> str:
    """Said where a target would stand on a page outside the plan's region: the targets are the region's.
    ``prefecture``: whose page (default the page's own)."""
    from lcedu.ingest import counties

    region = plan_of(p.plan).region_code or CITY_CODE
    where = prefecture or page_prefecture(p)
    if p.lang == "zh":
        return f"本计划目标为{counties.area_name(region)}目标，{counties.area_name(where)}无对应目标。"
    return (
        f"The plan's targets are {counties.area_name(region, 'en')}'s; none apply to {counties.area_name(where, 'en')}."
    )


def sample_notice(lang: str = "zh") -> str | None:
    """The page-level disclaimer (markdown) when the processed set is the synthetic sample."""
    if not base().synthetic:
        return None
    return (
        "> **⚠ 合成样例数据，非官方统计。**"
        if lang == "zh"
        else "> **⚠ Synthetic sample data (合成样例数据), not official statistics.**"
    )


def synthetic_note(lang: str = "zh") -> str | None:
    """The sample disclaimer for figures, or None for real data."""
    return nv.text("sample", lang) if base().synthetic else None


@cache
def presentation() -> dict[str, Any]:
    """lcedu/present/config/briefing.yml: the plan's projects with their indicators, and closing nouns."""
    text = paths.package_file("present", "config", "briefing.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def project_of() -> dict[str, tuple[int, str]]:
    """Indicator code → (project position, project key)."""
    out: dict[str, tuple[int, str]] = {}
    for i, project in enumerate(presentation()["projects"]):
        for code in project["indicators"]:
            out.setdefault(code, (i, project["key"]))
    return out


def project_name(key: str, lang: str) -> str:
    """Display name of a project (工程)."""
    for project in presentation()["projects"]:
        if project["key"] == key:
            return f"{project['clause']} {project[lang]}" if lang == "zh" else project[lang]
    return key


@lru_cache(maxsize=4)
def _card(build: str, baseline_year: int, plan: str | None) -> pd.DataFrame:
    card = judged(plan, baseline_year)["scorecard"]
    position = project_of()
    card = card.assign(
        project=card["indicator"].map(lambda c: position.get(c, (99, ""))[1]).astype("string"),
        _order=card["indicator"].map(lambda c: position.get(c, (99, ""))[0]),
    )
    return card.sort_values(["_order", "county_code", "year"], kind="stable").drop(columns="_order")


def judged(plan: str | None = None, baseline_year: int | None = None) -> dict[str, pd.DataFrame]:
    """The plan's stored verdicts (scorecard, target_points, target_counts).

    See :func:`lcedu.measure.results.plan_results`.
    """
    from lcedu.measure.results import plan_results

    base_year = None if baseline_year is None or baseline_year == plan_of(plan).baseline_year else baseline_year
    return plan_results(plan, base_year)


@lru_cache(maxsize=8)
def plan_of(plan: str | None = None) -> Any:  # -> lcedu.measure.plan.Plan
    """The plan a page reports against (default: the 2023–2025 plan), from its plan file."""
    from lcedu.measure.plan import get_plan

    return get_plan(plan)


def card(baseline_year: int | None = None, plan: str | None = None) -> pd.DataFrame:
    """The build's scorecard (:func:`lcedu.measure.scorecard.scorecard`) with each row's plan ``project``.

    ``baseline_year``: default the plan's. ``plan``: another plan's targets on the same results.
    """
    base_year = baseline_year if baseline_year is not None else plan_of(plan).baseline_year
    return _card(_build(), int(base_year), None if plan is None else str(plan))


def county_card(
    p: Params, indicators: Iterable[str] | None = None, *, county: str | None = None, year: int | None = None
) -> pd.DataFrame:
    """Rows of :func:`card` for one county (default ``p.county``) and year, in registry/project order."""
    c = card(p.baseline_year, p.plan)
    code = county or p.county
    rows = c[(c["county_code"] == code) & (c["year"] == (year or p.year))]
    if indicators is not None:
        wanted = list(indicators)
        rows = rows[rows["indicator"].isin(wanted)]
        rows = rows.assign(_o=rows["indicator"].map({k: i for i, k in enumerate(wanted)})).sort_values("_o")
        rows = rows.drop(columns="_o")
    return rows.reset_index(drop=True)


def row(p: Params, indicator: str, *, county: str | None = None, year: int | None = None) -> dict[str, Any]:
    """One indicator row as a dict (for a sentence); a ValueError names an unknown indicator."""
    rows = county_card(p, [indicator], county=county, year=year)
    if rows.empty:
        raise ValueError(f"no row for indicator {indicator!r} ({county or p.county}, {year or p.year})")
    return rows.iloc[0].to_dict()


def sentence(p: Params, indicator: str, *, county: str | None = None, year: int | None = None) -> str:
    """The generated sentence for one indicator (see :func:`lcedu.present.narrative.indicator_sentence`)."""
    return nv.indicator_sentence(row(p, indicator, county=county, year=year), p.lang)


def result_rows(name: str, *, county: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Rows of a stored result table (:data:`lcedu.measure.results.RESULT_TABLES`) for a county and/or year."""
    frame = base().stored[name]
    keep = np.ones(len(frame), dtype=bool)
    if county is not None:
        keep &= (frame["county_code"] == county).to_numpy(dtype=bool, na_value=False)
    if year is not None:
        keep &= (frame["year"] == int(year)).to_numpy(dtype=bool, na_value=False)
    return frame[keep].reset_index(drop=True)


@lru_cache(maxsize=8)
def _parts(build: str, year: int) -> pd.DataFrame:
    parts = _base(build).stored["school_indicators"]
    return parts[parts["year"] == year].reset_index(drop=True)


def school_parts(year: int) -> pd.DataFrame:
    """Per school part (学段) the 7 优质均衡 indicators of all counties in one year (cached)."""
    return _parts(_build(), int(year))


# --------------------------------------------------------------------------- display


@dataclass(frozen=True)
class Sized:
    """A figure shown at a given width in pixels (e.g. earlier years' maps, smaller)."""

    figure: Any
    width: int


@dataclass
class Section:
    """A heading, then items in order: markdown strings, figures, styled tables, widgets."""

    title: str | None
    items: list[Any] = field(default_factory=list)
    level: int = 2

    def add(self, *items: Any) -> Section:
        self.items.extend(i for i in items if i is not None)
        return self


def markdown_text(text: str) -> str:
    """Markdown built from data, made inert: Markdown passes raw HTML through, so a school named
    ``<script>…`` would run in the page. ``&`` and ``<`` become entities; Markdown syntax is kept."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def show(obj: Any) -> None:
    """Display a Section, markdown text, a matplotlib Figure/Axes (as PNG), a table or a widget."""
    from IPython.display import HTML, Image, Markdown, display
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if obj is None:
        return
    if isinstance(obj, Section):
        if obj.title:
            display(Markdown(f"{'#' * obj.level} {markdown_text(obj.title)}"))
        for item in obj.items:
            show(item)
    elif isinstance(obj, list | tuple):
        for item in obj:
            show(item)
    elif isinstance(obj, str):
        display(Markdown(markdown_text(obj)))
    elif isinstance(obj, Axes):
        show(obj.figure)
    elif isinstance(obj, Sized):
        figure = obj.figure.figure if isinstance(obj.figure, Axes) else obj.figure
        display(Image(data=charts.to_png(figure), format="png", width=obj.width))
    elif isinstance(obj, Figure):
        width = int(obj.get_figwidth() * 96)
        display(Image(data=charts.to_png(obj), format="png", width=min(width, 1000)))
    elif isinstance(obj, pd.DataFrame):
        display(styled(obj))
    elif hasattr(obj, "to_html") and obj.__class__.__name__ == "Styler":
        display(HTML(obj.to_html()))
    else:
        display(obj)


def bullets(lines: Iterable[str]) -> str:
    """Markdown bullet list of non-empty lines."""
    return "\n".join(f"- {line}" for line in lines if line)


def styled(
    frame: pd.DataFrame,
    *,
    flags: pd.DataFrame | None = None,
    caption: str | None = None,
    right: Sequence[str] = (),
    scroll: bool = False,
    css: pd.DataFrame | None = None,
) -> Any:
    """A table for a report: index hidden, header shaded, met / not met cells coloured.

    ``flags``: boolean frame (same index) whose True / False marks cells of the same
    column met (light blue) / not met (light orange); NA leaves them plain. ``css``: extra
    per-cell CSS. ``right``: columns aligned right (numbers). ``scroll``: a long table
    scrolls inside a box (the Styler is returned wrapped as HTML).
    """
    frame = frame.reset_index(drop=True)
    # Cells and headers may hold names from the data (untrusted): Styler escapes them only when told.
    style = (
        frame.style.format(escape="html")
        .format_index(escape="html", axis=1)
        .hide(axis="index")
        .set_table_styles(_TABLE_STYLES)
    )
    cells = pd.DataFrame("", index=frame.index, columns=frame.columns)
    if flags is not None:
        for column in flags.columns:
            if column in cells.columns:
                f = flags[column].reset_index(drop=True)
                cells[column] = [
                    MET_CSS if (not is_missing(v) and bool(v)) else (NOT_MET_CSS if not is_missing(v) else "")
                    for v in f
                ]
    if css is not None:
        extra = css.reset_index(drop=True).reindex(index=frame.index, columns=frame.columns).astype(object)
        extra = extra.where(extra.notna(), "")
        cells = cells + extra
    if flags is not None or css is not None:
        style = style.apply(lambda _: cells, axis=None)
    present = [c for c in right if c in frame.columns]
    if present:
        style = style.set_properties(subset=present, **{"text-align": "right"})
    if caption:
        style = style.set_caption(html.escape(caption))
    if scroll and len(frame) > 14:
        from IPython.display import HTML

        return HTML(
            f'<div style="max-height: 460px; overflow-y: auto; border: 1px solid #ddd;">{style.to_html()}</div>'
        )
    return style


def status_text(flag: Any, lang: str) -> str:
    """✓ 达标 / ✗ 未达标 / — from a nullable boolean."""
    if is_missing(flag):
        return nv.text("na_short", lang)
    return nv.text("met_mark" if bool(flag) else "not_met_mark", lang)


def scorecard_status_text(status: Any, lang: str) -> str:
    """✓ 达标 / ✗ 未达标 / 未到期 / — from a scorecard ``status``."""
    marks = {"met": "met_mark", "not_met": "not_met_mark", "not_due": "not_due_mark"}
    return nv.text(marks.get(str(status), "na_short") if not is_missing(status) else "na_short", lang)


def track_text(flag: Any, lang: str) -> str:
    """按趋势可达标 / 按趋势难以达标 / — from ``is_on_track``."""
    if is_missing(flag):
        return nv.text("na_short", lang)
    return nv.text("on_track" if bool(flag) else "off_track", lang)


def target_text(r: Mapping[str, Any], lang: str) -> str:
    """≥95%（2025年）; "—" without a target."""
    if is_missing(r.get("target_year")):
        return nv.text("na_short", lang)
    comparison = str(r.get("comparison") or "")
    op = nv.comparison_sign(comparison, r.get("strict"), r.get("target_max"))  # 超过50% → ">50%", as the plan
    shown = fmt_target(r.get("target"), str(r.get("unit") or ""), lang, comparison, r.get("target_max"))
    shown = nv.directional_target_text(comparison, shown, lang) or shown  # 显著提升: above the baseline
    year = int(r["target_year"])
    return f"{op}{shown}（{year}年）" if lang == "zh" else f"{op}{shown} ({year})"


def rank_text(r: Mapping[str, Any], lang: str) -> str:
    """3/8 (rank of counties with a value)."""
    if is_missing(r.get("rank")) or is_missing(r.get("rank_count")):
        return nv.text("na_short", lang)
    return f"{int(r['rank'])}/{int(r['rank_count'])}"


def indicator_table(
    p: Params, rows: pd.DataFrame, *, with_project: bool = False, caption: str | None = None, with_rank: bool = True
) -> Any:
    """Indicator rows (from :func:`county_card`) as a styled table with target, status, change and rank."""
    lang = p.lang
    lab = LABELS[lang]
    records = rows.to_dict("records")
    out = pd.DataFrame(
        {
            **({lab["project"]: [project_name(str(r["project"]), lang) for r in records]} if with_project else {}),
            lab["indicator"]: [indicator_name(r["indicator"], lang) for r in records],
            lab["value"]: [nv.fmt_row_value(r, lang) for r in records],
            lab["target"]: [target_text(r, lang) for r in records],
            lab["target_source"]: [
                SCOPE_WORDS[lang].get(str(r.get("target_scope")), nv.text("na_short", lang))
                if not is_missing(r.get("target_scope"))
                else nv.text("na_short", lang)
                for r in records
            ],
            lab["status"]: [
                state_word("未评估", lang)
                if str(r.get("na_reason") or "").startswith("not assessed: ")
                else scorecard_status_text(r["status"], lang) + progress_text(r, lang)
                for r in records
            ],
            lab["on_track"]: [
                track_text(r["is_on_track"], lang) if r.get("status") == "not_due" else nv.text("na_short", lang)
                for r in records
            ],
            lab["change"]: [change_cell(r, lang) for r in records],
            **({lab["rank"]: [rank_text(r, lang) for r in records]} if with_rank else {}),
            lab["note"]: [nv.na_text(r["na_reason"], lang) if is_missing(r["value"]) else "" for r in records],
        }
    )
    if not out[lab["note"]].astype(bool).any():
        out = out.drop(columns=lab["note"])
    not_due = (rows["status"] == "not_due").to_numpy(dtype=bool, na_value=False)
    flags = pd.DataFrame(
        {lab["status"]: rows["is_met"].to_numpy(), lab["on_track"]: rows["is_on_track"].where(not_due).to_numpy()}
    )
    if not not_due.any():  # every target already due: a trend column would judge nothing
        out, flags = out.drop(columns=lab["on_track"]), flags.drop(columns=lab["on_track"])
    return styled(out, flags=flags, caption=caption, right=[lab["value"], lab["change"], lab.get("rank", "")])


def progress_text(r: Mapping[str, Any], lang: str) -> str:
    """Words like "（2024年目标，现已达到）" after 未达标 when a past target was missed in its year
    and reached since."""
    ty, now = r.get("target_year"), r.get("is_met_now")
    if r.get("status") != "not_met" or is_missing(now) or not bool(now) or is_missing(ty):
        return ""
    return f"（{int(ty)}年目标，现已达到）" if lang == "zh" else f" ({int(ty)} target, reached since)"


def change_cell(r: Mapping[str, Any], lang: str) -> str:
    change, unit = r.get("change_since_baseline"), str(r.get("unit") or "")
    if is_missing(change) or unit == "yes/no":
        return nv.text("na_short", lang)
    d = nv.DECIMALS.get(unit, 0)
    shown = f"{float(change):+,.{d}f}"
    if float(shown.replace(",", "")) == 0:
        shown = f"{0:.{d}f}"
    return f"{shown}{' pp' if lang == 'en' and unit == '%' else ('个百分点' if unit == '%' else '')}"


# --------------------------------------------------------------------------- header and notes


def header(p: Params, notebook: str) -> Section:
    """Subtitle: place, year, baseline, the data's date and the sample disclaimer."""
    entry = suite.notebook(notebook)
    lang = p.lang
    b = base()
    code = "" if p.is_city else f"（{p.county}）" if lang == "zh" else f" ({p.county})"
    if lang == "zh":
        line = (
            f"**{p.name}{code} · {nv.year_label(p.year)}** ｜ 对比基期：{nv.year_label(p.baseline_year)} ｜ "
            f"数据生成：{b.created_at[:10]}"
        )
    else:  # the English title is a line, not a heading: the Chinese title cell is the page's only h1
        title = f"{entry.title_en} — " if entry else ""
        line = (
            f"**{title}{p.name}{code} · {nv.year_label(p.year, lang)}** | "
            f"baseline: {nv.year_label(p.baseline_year, lang)} | "
            f"data built {b.created_at[:10]}"
        )
    items = [line, sample_notice(lang)]
    return Section(None, items, level=1)


def notes(p: Params, indicators: Iterable[str] = ()) -> Section:
    """Where each number comes from: the registry's source and the plan clause of its target."""
    from lcedu.measure import indicators as ind
    from lcedu.measure.evaluation import figure_source

    lang = p.lang
    reg = ind.load_registry()
    lines = []
    for code in dict.fromkeys(indicators):
        i = reg.indicators.get(code)
        if i is None:
            continue
        source = i.source.get("document", "")
        clause = i.source.get("clause", "")
        clause = "" if clause and clause in source else clause
        # An aggregate with a city-only input says so: the city row names it, a county row what it leaves out.
        inputs = figure_source(code, lang, p.county) if i.city_plus else ""
        lines.append(
            f"{indicator_name(code, lang)}：{source}{'，' + clause if clause else ''}{'；' + inputs if inputs else ''}"
            if lang == "zh"
            else f"{i.name_en}: {source}{', ' + clause if clause else ''}{'; ' + inputs if inputs else ''}"
        )
    intro = (
        f"目标来自《{plan_of(p.plan).title_zh}》；计划只设全市目标的比率指标，"
        "县(区)以全市目标作参照（标注“全市目标(参照)”）。缺失值显示为“—”并注明原因，不按0计算。"
        if lang == "zh"
        else f"Targets come from the plan “{plan_of(p.plan).title_zh}”. Where the plan sets a rate only for the city, "
        'counties are compared with it as a reference ("City target (reference)"). Missing values show as '
        '"–" with the reason; they are never counted as 0.'
    )
    if not in_plan_region(p):  # 临沧's city targets are no reference for a county of 昆明
        intro = (
            f"目标来自《{plan_of(p.plan).title_zh}》。{no_targets_note(p)}缺失值显示为“—”并注明原因，不按0计算。"
            if lang == "zh"
            else f"Targets come from the plan “{plan_of(p.plan).title_zh}”. {no_targets_note(p)} Missing values "
            'show as "–" with the reason; they are never counted as 0.'
        )
    return Section(_TITLES[lang]["notes"], [intro, bullets(lines)], level=3)


# --------------------------------------------------------------------------- county briefing


def _targeted(p: Params, county: str | None = None) -> pd.DataFrame:
    """The county's rows with a target in force or ahead, excluding city-only counts."""
    rows = county_card(p, county=county)
    rows = rows[rows["target_year"].notna() & (rows["project"] != "")]
    return rows.reset_index(drop=True)


STATE_EN = {"达标": "met", "未达标": "not met", "未评估": "not assessed"}


def state_word(state: Any, lang: str) -> str:
    """达标 / 未达标 / 未评估 (met / not met / not assessed) of an assessment or a dimension."""
    state = "未评估" if is_missing(state) else str(state)
    return state if lang == "zh" else STATE_EN.get(state, state)


def county_dimensions(p: Params, assessment: str, county: str | None = None, year: int | None = None) -> pd.DataFrame:
    """The county's dimensions of one assessment (达标 / 未达标 / 未评估), in the document's order."""
    d = base().stored["assessment_dimensions"]
    rows = d[
        (d["county_code"] == (county or p.county)) & (d["year"] == (year or p.year)) & (d["assessment"] == assessment)
    ]
    return rows.sort_values("position").reset_index(drop=True)


def _named(codes: Any, lang: str, most: int = 4) -> str:
    names = [indicator_name(c.strip(), lang) for c in str(codes or "").split(",") if c.strip()]
    if len(names) > most:
        rest = len(names) - most
        names = names[:most] + ([f"等{rest}项"] if lang == "zh" else [f"{rest} more"])
    return nv.join(names, lang) if lang == "en" else "、".join(names)


def why_not_assessed(reason: Any, lang: str) -> str:
    """Why a criterion or dimension is 未评估: "无督导评估清单" / "no checklist" (the reasons joined, no "数据缺失"
    prefix)."""
    parts = [w.strip() for w in str(reason or "").split(";") if w.strip()]
    if lang == "zh":
        return "；".join(dict.fromkeys(nv.na_text(w, lang).split("：", 1)[-1] for w in parts))
    return "; ".join(dict.fromkeys(parts))


def dimension_phrase(r: Mapping[str, Any], lang: str) -> str:
    """资源配置达标 / 政府保障程度未达标（未达标：…）/ 教育质量未评估（无督导评估清单）."""
    state = str(r["state"])
    name = str(r["dimension_zh"] if lang == "zh" else r["dimension_en"])
    detail = ""
    if state == "未达标":
        detail = (
            f"（未达标：{_named(r['unmet_criteria'], lang)}）"
            if lang == "zh"
            else f" (not met: {_named(r['unmet_criteria'], lang)})"
        )
    elif state == "未评估":
        why = why_not_assessed(r["na_reason"], lang)
        detail = (f"（{why}）" if lang == "zh" else f" ({why})") if why else ""
    return f"{name}{state_word(state, lang)}{detail}" if lang == "zh" else f"{name} {state_word(state, lang)}{detail}"


def assessment_line(p: Params, assessment: str, county: str | None = None, year: int | None = None) -> str:
    """普及普惠 / 优质均衡 of the county: the overall state and every dimension's (达标 / 未达标 / 未评估).

    The overall state is 达标 only when every dimension was assessed and met; a dimension without
    input (e.g. no 督导评估清单) is 未评估 and the sentence says so, never "实现" or "已达到".
    """
    b = base()
    code, y, lang = county or p.county, year or p.year, p.lang
    rows = b.assessments[
        (b.assessments["county_code"] == code)
        & (b.assessments["year"] == y)
        & (b.assessments["assessment"] == assessment)
    ]
    if rows.empty:
        return ""
    r = rows.iloc[0]
    state = (
        str(r["state"])
        if "state" in r and not is_missing(r["state"])
        else ("未评估" if is_missing(r["is_met"]) else ("达标" if bool(r["is_met"]) else "未达标"))
    )
    spec = _assessment_spec(assessment)
    name = spec.get("name_zh" if lang == "zh" else "name_en", assessment)
    place = place_name(code, lang)
    dims = county_dimensions(p, assessment, code, y)
    parts = [dimension_phrase(d, lang) for d in dims.to_dict("records")]
    n = len(parts)
    if lang == "zh":
        head = f"{place}{nv.year_label(y)}{name}：总体{state}（{n}个维度"
        head += (
            "均已评估且达标）"
            if state == "达标"
            else (
                f"中{int((dims['state'] == '未达标').sum())}个未达标）"
                if state == "未达标"
                else f"中{int((dims['state'] == '未评估').sum())}个未评估，不能认定达标）"
            )
        )
        return head + "；" + "，".join(parts) + "。"
    head = f"{place}, {nv.year_label(y, lang)} — {name}: overall {state_word(state, lang)} ("
    head += (
        f"all {n} dimensions assessed and met)"
        if state == "达标"
        else f"{int((dims['state'] == '未达标').sum())} of {n} dimensions not met)"
        if state == "未达标"
        else f"{int((dims['state'] == '未评估').sum())} of {n} dimensions not assessed, so it cannot be called met)"
    )
    return head + "; " + ", ".join(parts) + "."


def _assessment_spec(assessment: str) -> dict[str, Any]:
    from lcedu.measure import indicators as ind

    return dict(ind.load_registry().assessments.get(assessment, {}))


def dimension_table(p: Params, assessment: str) -> Any:
    """One row per dimension: its state, how many criteria were met / not met / not assessed, and why."""
    lang = p.lang
    dims = county_dimensions(p, assessment).to_dict("records")
    zh = lang == "zh"
    table = pd.DataFrame(
        {
            ("维度" if zh else "Dimension"): [d["dimension_zh"] if zh else d["dimension_en"] for d in dims],
            ("结果" if zh else "Result"): [state_word(d["state"], lang) for d in dims],
            ("依据" if zh else "From"): [_SOURCE_WORDS[lang].get(str(d["source"]), str(d["source"])) for d in dims],
            ("达标项" if zh else "Met"): [f"{int(d['criteria_met_count'])}/{int(d['criteria_count'])}" for d in dims],
            ("未达标项" if zh else "Not met"): [_named(d["unmet_criteria"], lang) for d in dims],
            ("未评估原因" if zh else "Why not assessed"): [
                why_not_assessed(d["na_reason"], lang) if d["state"] == "未评估" else "" for d in dims
            ],
        }
    )
    flags = pd.DataFrame({table.columns[1]: [None if d["state"] == "未评估" else d["state"] == "达标" for d in dims]})
    return styled(table, flags=flags)


_SOURCE_WORDS = {
    "zh": {"statistics": "统计数据", "checklist": "督导评估清单", "both": "统计数据和督导评估清单"},
    "en": {"statistics": "statistics", "checklist": "checklist", "both": "statistics and checklist"},
}


def criteria_table(p: Params, assessment: str, dimensions: Sequence[str] | None = None) -> Any:
    """Criterion by criterion (statistics and checklist items) of the chosen dimensions, with the evidence."""
    lang = p.lang
    zh = lang == "zh"
    b = base()
    crit = b.criteria[
        (b.criteria["county_code"] == p.county)
        & (b.criteria["year"] == p.year)
        & (b.criteria["assessment"] == assessment)
    ]
    if dimensions is not None:
        crit = crit[crit["dimension"].isin(list(dimensions))]
    names = {d["code"]: d["name_zh" if zh else "name_en"] for d in _assessment_spec(assessment).get("dimensions", [])}
    ops = {"at_least": "≥", "at_most": "≤"}
    records = crit.to_dict("records")

    def shown(r: dict) -> str:
        unit = nv.indicator_unit(r["criterion"]) if r["source"] == "statistics" else "%"
        return "" if is_missing(r["value"]) else fmt_value(r["value"], unit, lang)

    def standard(r: dict) -> str:
        if is_missing(r["threshold"]) or not r["comparison"]:
            return "符合要求" if zh else "as required"
        unit = nv.indicator_unit(r["criterion"]) if r["source"] == "statistics" else "%"
        return f"{ops.get(r['comparison'], '')}{nv.fmt_target(r['threshold'], unit, lang)}"

    def note(r: dict) -> str:
        if is_missing(r["is_met"]):  # 未评估, and why (no checklist, missing data …)
            why = why_not_assessed(r["na_reason"], lang)
            return f"未评估：{why}" if zh else f"Not assessed: {why}"
        return " ".join(str(x) for x in (r.get("evidence"), r.get("note")) if not is_missing(x) and str(x))

    table = pd.DataFrame(
        {
            ("维度" if zh else "Dimension"): [names.get(r["dimension"], r["dimension"]) for r in records],
            ("指标" if zh else "Criterion"): [indicator_name(r["criterion"], lang) for r in records],
            ("数值" if zh else "Value"): [shown(r) for r in records],
            ("标准" if zh else "Standard"): [standard(r) for r in records],
            ("结果" if zh else "Result"): [
                status_text(r["is_met"], lang) if not is_missing(r["is_met"]) else state_word("未评估", lang)
                for r in records
            ],
            ("依据" if zh else "From"): [_SOURCE_WORDS[lang].get(str(r["source"]), "") for r in records],
            ("说明" if zh else "Note"): [note(r) for r in records],
        }
    )
    flags = pd.DataFrame({table.columns[4]: crit["is_met"].to_numpy()})
    return styled(table, flags=flags)


def briefing_overview(p: Params) -> Section:
    """Headline sentences (targets met, on track, the two assessments) and the locator map."""
    from lcedu.present import maps

    lang = p.lang
    rows = _targeted(p)
    lead = target_count_sentence(p)
    best = rows[(rows["rank"] == 1)]
    best_names = [indicator_name(c, lang) for c in best["indicator"].head(4)]
    rank_line = ""
    if best_names:
        rank_line = (
            f"在{peers_phrase(p)}中排名第一的指标：{nv.join(best_names, lang)}。"
            if lang == "zh"
            else f"Best of {peers_phrase(p)} on: {nv.join(best_names, lang)}."
        )
    lines = [lead, *(assessment_line(p, a) for a in ASSESSMENTS), rank_line]
    ax = maps.locator_map(p.county, lang=lang)
    return Section(_TITLES[lang]["overview"], [bullets(lines), ax.figure])


def failed_targets(p: Params, county: str | None = None) -> list[str]:
    """Names of the own targets counted 未达标 (judged at their latest due year), in plan order."""
    from lcedu.measure.evaluation import latest_due

    points = judged(p.plan, p.baseline_year)["target_points"]
    mine = points[(points["county_code"] == (county or p.county)) & (points["as_of_year"] == p.year)]
    failed = latest_due(mine)
    failed = failed[failed["status"] == "not_met"].sort_values("entry")
    names = failed["name_zh"] if p.lang == "zh" else failed["name_en"]
    return [
        f"{n}（{int(y)}年）" if p.lang == "zh" else f"{n} ({int(y)})"
        for n, y in zip(names, failed["target_year"], strict=True)
    ]


def target_count_sentence(p: Params, county: str | None = None) -> str:
    """The stored ``target_counts`` (rule: :data:`lcedu.measure.scorecard.COUNTING_RULE`), said as a sentence.

    The site index, the workbooks and the evaluation documents state the same counts, from the same table.
    """
    from lcedu.ingest.counties import prefecture_of
    from lcedu.measure.plan import in_region

    code = county or p.county
    c = card(p.baseline_year, p.plan)
    rows = c[(c["county_code"] == code) & (c["year"] == p.year)]
    counts = judged(p.plan, p.baseline_year)["target_counts"]
    counts = counts[(counts["county_code"] == code) & (counts["year"] == p.year)]
    n = (
        counts.iloc[0].to_dict()
        if len(counts)
        else dict.fromkeys(
            ("targets", "met", "not_met", "not_due", "not_due_on_track", "no_data", "qualitative", "points")
            + ("points_met", "points_not_met", "points_not_due", "points_no_data", "points_qualitative"),
            0,
        )
    )
    references = int((rows["target_scope"] == "city_reference").sum())
    failed = failed_targets(p, code)
    place = place_name(code, p.lang)
    if not n["targets"] and not references and not in_region(code, plan_of(p.plan).region_code):
        note = no_targets_note(p, prefecture_of(code))  # never "对照本县目标0项" for a county of 昆明
        return (
            f"{nv.year_label(p.year)}，{place}没有本计划的目标。{note}"
            if p.lang == "zh"
            else f"At the {nv.year_label(p.year, 'en')}, {place} has no targets in this plan. {note}"
        )
    own = nv.text("city_target" if code == CITY_CODE else "county_target", p.lang)
    if p.lang == "zh":
        return (
            f"{nv.year_label(p.year)}，{place}对照{own}{n['targets']}项：达标{n['met']}项、未达标{n['not_met']}项、"
            f"未到期{n['not_due']}项"
            + (
                f"（按{nv.year_label(p.baseline_year)}以来的趋势可按期达标{n['not_due_on_track']}项）"
                if n["not_due"]
                else ""
            )
            + (f"、无数据{n['no_data']}项" if n["no_data"] else "")
            + (f"、定性目标{n['qualitative']}项（不评判）" if n["qualitative"] else "")
            + "（每项目标以截至本年最近一个已到期年份的数值认定）。"
            + (
                f"按评估点（目标×年份）计{n['points']}个：达标{n['points_met']}个、未达标{n['points_not_met']}个、"
                f"未到期{n['points_not_due']}个、无数据{n['points_no_data']}个"
                + (f"、定性目标{n['points_qualitative']}个" if n["points_qualitative"] else "")
                + "。"
                if n["points"] != n["targets"]
                else ""
            )
            + (f"未达标的是：{'、'.join(failed)}。" if failed else "")
            + (f"另有{references}项以全市目标作参照，未计入。" if references else "")
        )
    return (
        f"At the {nv.year_label(p.year, 'en')}, {place} against its {n['targets']} own targets: {n['met']} met, "
        f"{n['not_met']} not met, {n['not_due']} not yet due"
        + (
            f" ({n['not_due_on_track']} on track by the trend since the {nv.year_label(p.baseline_year, 'en')})"
            if n["not_due"]
            else ""
        )
        + (f", {n['no_data']} without data" if n["no_data"] else "")
        + (f", {n['qualitative']} qualitative (not judged)" if n["qualitative"] else "")
        + " (each target judged at its latest year due by now)."
        + (
            f" By assessment point (target × year): {n['points']}, {n['points_met']} met, {n['points_not_met']} not "
            f"met, {n['points_not_due']} not yet due, {n['points_no_data']} without data."
            if n["points"] != n["targets"]
            else ""
        )
        + (f" Not met: {', '.join(failed)}." if failed else "")
        + (f" {references} more are compared with city targets as references, not counted." if references else "")
    )


def briefing_scorecard(p: Params) -> Section:
    """Every plan indicator that applies to the county: value, target, met, on track, change, rank."""
    rows = _targeted(p)
    lang = p.lang
    pending = bool((rows["status"] == "not_due").any()) if len(rows) else False
    caption = (
        f"{p.name}{nv.year_label(p.year)}：✓ 达标 / ✗ 未达标（每项目标按其目标年份的数值认定）"
        + (
            f" / 未到期（目标年份在{p.year}年之后）；“按趋势”为按{nv.year_label(p.baseline_year)}以来的线性趋势"
            "推算到目标年份，只用于未到期目标"
            if pending
            else ""
        )
        if lang == "zh"
        else f"{p.name}, {nv.year_label(p.year, lang)}: ✓ met / ✗ not met (each target judged on its own year's value)"
        + (
            f" / not yet due (target year after {p.year}); “Trend” projects the line since the "
            f"{nv.year_label(p.baseline_year, lang)} to the target year, for targets not yet due only"
            if pending
            else ""
        )
    )
    if rows.empty and not in_plan_region(p):  # an empty table would say nothing; say why
        return Section(_TITLES[lang]["scorecard"], [no_targets_note(p)])
    # 本县目标 (counted) first, then 全市目标(参照) (shown, never counted): two tables, never one mixed list.
    reference = (rows["target_scope"] == "city_reference").to_numpy(dtype=bool, na_value=False)
    items: list[Any] = []
    for part, scope in ((rows[~reference], "own"), (rows[reference], "city_reference")):
        if part.empty:
            continue
        head = (
            SCOPE_WORDS[lang]["city_reference"]
            if scope == "city_reference"
            else nv.text("city_target" if p.county == CITY_CODE else "county_target", lang)
        )
        items.append(indicator_table(p, part.reset_index(drop=True), with_project=True, caption=f"{head}｜{caption}"))
    return Section(_TITLES[lang]["scorecard"], items)


TREND_INDICATORS = (
    "preschool_gross_enrollment_pct",
    "inclusive_kindergarten_coverage_pct",
    "public_kindergarten_enrollment_share_pct",
    "disabled_children_enrollment_pct",
    "nine_year_retention_pct",
    "senior_gross_enrollment_pct",
    "rural_compulsory_teacher_bachelor_pct",
    "digital_classroom_coverage_pct",
    "safe_campus_rate_pct",
)


def trend_series(p: Params, indicators: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values of the counties of the page's prefecture and its total for the years up to p.year, the
    county's targets)."""
    c = card(p.baseline_year, p.plan)
    rows = c[c["indicator"].isin(indicators) & (c["year"] <= p.year)]
    series = rows.loc[
        rows["county_code"].isin([*peer_codes(p), page_prefecture(p)]),
        ["county_code", "year", "indicator", "value", "unit"],
    ]
    own = rows[(rows["county_code"] == p.county) & (rows["target_year"] == rows["year"])]
    targets = own[["indicator", "year", "target"]].astype({"target": float})
    return series, targets


def trend_figure(p: Params, indicators: Sequence[str], title: str | None = None, columns: int = 3) -> Any:
    """Small line charts of the indicators: the county, the city and the other counties, with targets."""
    series, targets = trend_series(p, indicators)
    return charts.trend_panels(
        series,
        indicators,
        highlight=p.county,
        total=page_prefecture(p),
        targets=targets,
        lang=p.lang,
        title=title,
        columns=columns,
        note=synthetic_note(p.lang),
    )


def briefing_trends(p: Params) -> Section:
    """Trend lines since the baseline for the key indicators, with one sentence each."""
    lang = p.lang
    lines = [sentence(p, code) for code in TREND_INDICATORS]
    title = _TITLES[lang]["trends"].format(base=nv.year_label(p.baseline_year, lang))
    return Section(title, [trend_figure(p, TREND_INDICATORS), bullets(lines)])


def briefing_ranks(p: Params) -> Section:
    """The county's position among the counties of its prefecture on every targeted indicator with a
    direction (the scorecard's ``rank``, computed within the prefecture)."""
    c = card(p.baseline_year, p.plan)
    codes = [code for code in _targeted(p)["indicator"] if code not in ASSESSMENTS]
    rows = c[
        (c["year"] == p.year)
        & c["indicator"].isin(codes)
        & c["county_code"].isin(peer_codes(p))
        & c["direction"].isin(["higher", "lower"])
    ]
    rows = rows[rows.groupby("indicator")["value"].transform(lambda v: v.notna().sum() >= 2 and v.nunique() > 1)]
    lang = p.lang
    title = _TITLES[lang]["ranks"].format(peers=peers_phrase(p))
    if rows.empty:  # a county outside the plan's region has no targets; one alone in its prefecture no peers
        return Section(
            title,
            [
                f"{p.name}没有可在{peers_phrase(p)}中排名的计划目标指标。"
                if lang == "zh"
                else f"{p.name} has no plan-targeted indicator to rank among {peers_phrase(p)}."
            ],
        )
    fig = charts.rank_chart(rows, highlight=p.county, lang=lang, note=synthetic_note(lang))
    own = rows[rows["county_code"] == p.county]
    top = own[own["rank"] <= 2]
    bottom = own[own["rank"] >= own["rank_count"] - 1]
    if lang == "zh":
        line = (
            f"{p.name}位居前两名的指标{len(top)}项，位居后两名的{len(bottom)}项"
            + (f"（{nv.join([indicator_name(x, lang) for x in bottom['indicator']], lang)}）" if len(bottom) else "")
            + "。"
        )
    else:
        line = (
            f"{p.name} is in the top two on {len(top)} indicators and in the bottom two on {len(bottom)}"
            + (f" ({nv.join([indicator_name(x, lang) for x in bottom['indicator']], lang)})" if len(bottom) else "")
            + "."
        )
    return Section(title, [fig, line])


def closing_text(r: Mapping[str, Any], lang: str) -> str:
    """What closing one indicator's gap takes, in whole units where the formula allows.

    The amount is the scorecard's stored ``closing_numerator`` / ``closing_denominator`` (this year's
    whole units, :func:`lcedu.measure.gaps.amount_to_close`); ``closing`` in briefing.yml names what is
    counted and which part changes.
    """
    code = str(r["indicator"])
    unit = str(r.get("unit") or "")
    spec = presentation().get("closing", {}).get(code)
    comparison = str(r.get("comparison") or "")
    if comparison == "reach":
        name = indicator_name(code, lang)
        return f"需达到“{name}”" if lang == "zh" else f"reach “{name}”"
    gap_now = r.get("gap_now") if not is_missing(r.get("gap_now")) else r.get("gap")  # a past target: this year's
    if is_missing(gap_now) or float(gap_now) <= 0:
        return ""
    needed = r.get(f"closing_{spec['part']}") if spec else None
    if spec and not is_missing(needed) and float(needed) > 0:
        noun = spec[lang]
        return f"约需{int(needed):,}{noun}" if lang == "zh" else f"about {int(needed):,} {noun}"
    gap = nv.fmt_gap(float(gap_now), unit, lang, _shown_decimals(r))
    return f"还差{gap}" if lang == "zh" else f"{gap} to go"


def _shown_decimals(r: Mapping[str, Any]) -> int | None:
    """The decimals the row's value is shown with beside its target, for its gap (None: the unit's)."""
    unit = str(r.get("unit") or "")
    if is_missing(r.get("value")):
        return None
    return nv.decimals_near(float(r["value"]), nv.row_thresholds(r), nv.DECIMALS.get(unit, 0))


def largest_gaps(p: Params, n: int = 5) -> pd.DataFrame:
    """The county's n unmet numeric targets with the largest gap relative to the target."""
    from lcedu.measure.gaps import largest_target_gaps

    return largest_target_gaps(_targeted(p), n)


def briefing_gaps(p: Params, n: int = 5) -> Section:
    """The n largest gaps (relative to the target) with what it would take to close each."""
    lang = p.lang
    lab = LABELS[lang]
    gaps = largest_gaps(p, n)
    items: list[Any] = []
    if gaps.empty and not in_plan_region(p):  # no target at all, not "every target met"
        items.append(no_targets_note(p))
    elif gaps.empty:
        items.append(
            f"{p.name}{nv.year_label(p.year)}对照的计划指标均已达标。"
            if lang == "zh"
            else f"{p.name} met every applicable plan target at the {nv.year_label(p.year, lang)}."
        )
    else:
        records = gaps.to_dict("records")
        table = pd.DataFrame(
            {
                lab["indicator"]: [indicator_name(r["indicator"], lang) for r in records],
                lab["value"]: [nv.fmt_row_value(r, lang) for r in records],
                lab["target"]: [target_text(r, lang) for r in records],
                lab["target_source"]: [SCOPE_WORDS[lang][str(r["target_scope"])] for r in records],
                lab["gap"]: [nv.fmt_gap(float(r["gap"]), str(r["unit"]), lang, _shown_decimals(r)) for r in records],
                lab["needed"]: [closing_text(r, lang) for r in records],
            }
        )
        first = records[0]
        shown = nv.fmt_row_value(first, lang)
        lead = (
            f"差距最大的是{indicator_name(first['indicator'], lang)}：{shown}，{nv.verdict(first, lang)}；"
            f"{closing_text(first, lang)}。"
            if lang == "zh"
            else f"The largest gap is {indicator_name(first['indicator'], lang)}: {shown}, {nv.verdict(first, lang)}; "
            f"{closing_text(first, lang)}."
        )
        items.append(lead)
        items.append(styled(table, right=[lab["value"], lab["gap"]]))
    for assessment in ASSESSMENTS:
        items.append(assessment_gap_line(p, assessment))
    return Section(_TITLES[lang]["gaps"], items)


def assessment_gap_line(p: Params, assessment: str) -> str:
    """For an unmet assessment, the additions the gap estimates say it takes."""
    b = base()
    lang = p.lang
    status = b.assessments[
        (b.assessments["county_code"] == p.county)
        & (b.assessments["year"] == p.year)
        & (b.assessments["assessment"] == assessment)
    ]
    if status.empty or (not is_missing(status["is_met"].iloc[0]) and bool(status["is_met"].iloc[0])):
        return ""
    name = _assessment_spec(assessment).get("name_zh" if lang == "zh" else "name_en", assessment)
    dims = county_dimensions(p, assessment)
    computed = dims[dims["source"] != "checklist"]
    if not (computed["state"] == "未达标").any():  # the estimates close statistics criteria only
        return ""
    parts: list[str] = []
    if assessment == "preschool_universal":
        g = county_preschool_gaps(p)
        g = g[g["needed"].fillna(0) > 0]
        parts = [str(r.need_zh if lang == "zh" else r.need_en) for r in g.itertuples()]  # 动作+数量+单位, stored
    else:
        s = result_rows("resource_gaps", county=p.county, year=p.year)  # stored in the build
        s = s[s["addition"] > 0]
        parts = [resource_addition(r, lang) for r in s.itertuples()]
    if not parts:
        return ""
    if assessment == "compulsory_balanced":
        return (
            f"要使{name}的资源配置维度达标（每所参评学校达到标准），按现有数据估算需：{nv.join(parts, lang)}"
            "（其他维度另见各维度结果）。"
            if lang == "zh"
            else f"For the resource-allocation dimension of “{name}” (every assessed school at the standard), the data "
            f"suggest: {nv.join(parts, lang)} (the other dimensions are stated separately)."
        )
    return (
        f"要使{name}中由统计数据计算的指标达标，按现有数据估算需：{nv.join(parts, lang)}"
        "（督导评估清单各项另见各维度结果）。"
        if lang == "zh"
        else f"For the criteria of “{name}” computed from the statistics, the data suggest: {nv.join(parts, lang)} "
        "(the checklist items are stated separately)."
    )


def county_parts(p: Params, county: str | None = None) -> pd.DataFrame:
    """The county's school parts (学段) with the 7 优质均衡 indicators, from the build's results."""
    parts = school_parts(p.year)
    return parts[parts["county_code"] == (county or p.county)].reset_index(drop=True)


def county_school_gaps(p: Params, county: str | None = None) -> pd.DataFrame:
    """What each of the county's school parts needs to meet every standard (stored gap estimates)."""
    g = base().stored["school_gaps"]
    return g[(g["county_code"] == (county or p.county)) & (g["year"] == p.year)].reset_index(drop=True)


def county_preschool_gaps(p: Params, county: str | None = None) -> pd.DataFrame:
    """What each 普及普惠 criterion still needs in the county (stored gap estimates)."""
    g = base().stored["preschool_gaps"]
    return g[(g["county_code"] == (county or p.county)) & (g["year"] == p.year)].reset_index(drop=True)


def resource_addition(r: Any, lang: str) -> str:
    amount = float(r.addition)
    decimals = 0 if amount >= 100 or float(amount).is_integer() else 1
    if lang == "zh":
        return (
            f"{r.resource_zh.split(' (')[0]}增加{amount:,.{decimals}f}{resource_unit(r.resource_zh)}"
            f"（{int(r.schools_below_count)}所学校）"
        )
    unit = resource_unit(r.resource_en)
    what = f"{unit} of {r.resource_en.split(' (')[0]}" if unit else r.resource_en
    return f"{amount:,.{decimals}f} {what} ({int(r.schools_below_count)} schools)"


def resource_unit(resource_zh: str) -> str:
    return resource_zh.rsplit("(", 1)[-1].rstrip(")").strip() if "(" in resource_zh else ""


# --------------------------------------------------------------------------- city overview


def _share_row(p: Params, indicator: str, year: int) -> Mapping[str, Any]:
    c = card(p.baseline_year, p.plan)
    rows = c[(c["county_code"] == CITY_CODE) & (c["indicator"] == indicator) & (c["year"] == year)]
    return rows.iloc[0].to_dict() if len(rows) else {}


def city_summary(p: Params) -> Section:
    """Headline sentences for the city: assessment shares against 37.5 % and city targets met."""
    check_city_view(p)
    lang = p.lang
    lines = []
    for assessment in ASSESSMENTS:
        r = _share_row(p, f"{assessment}_county_share_pct", p.year)
        if r:
            lines.append(nv.indicator_sentence(r, lang))
    lines.append(target_count_sentence(p, CITY_CODE))
    if not p.is_city:
        lines.append(f"本页突出显示：{p.name}。" if lang == "zh" else f"Highlighted county: {p.name}.")
    return Section(None, [bullets(lines)])


def heat_colour(pct: float) -> str:
    """CSS background for a relative position 0 (worst) … 1 (best) on ColorBrewer RdYlBu (colour-blind safe)."""
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    if is_missing(pct):
        return ""
    rgb = np.asarray(mpl.colormaps["RdYlBu"](0.1 + 0.8 * float(pct))[:3])
    return f"background-color: {to_hex(0.55 * rgb + 0.45)};"  # lightened so black text stays readable


def city_heat_table(p: Params) -> Section:
    """Every county (and the city) against every county-level indicator in one coloured table.

    Each row is coloured by the counties' relative position (blue = better, red = worse,
    following the indicator's direction); ✓ / ✗ mark a target met / not met.
    """
    check_city_view(p)
    from lcedu.ingest.counties import home
    from lcedu.measure import indicators as ind

    lang = p.lang
    lab = LABELS[lang]
    c = card(p.baseline_year, p.plan)
    reg = ind.load_registry()
    county_level = [code for code, i in reg.indicators.items() if i.level == "county"]
    position = project_of()
    order = sorted(county_level, key=lambda code: (position.get(code, (50, ""))[0], county_level.index(code)))
    rows = c[(c["year"] == p.year) & c["indicator"].isin(order)]
    counties = list(home()["county_code"])
    columns = [*counties, CITY_CODE]
    names = [place_name(code, lang) for code in columns]
    cells, css = [], []
    for code in order:
        r = rows[rows["indicator"] == code].set_index("county_code").reindex(columns)
        unit = reg.indicators[code].unit
        direction = reg.indicators[code].direction
        values = r["value"].astype(float)
        county_values = values[counties]
        sign = -1.0 if direction == "lower" else 1.0
        lo, hi = (
            np.nanmin(county_values * sign) if county_values.notna().any() else np.nan,
            np.nanmax(county_values * sign) if county_values.notna().any() else np.nan,
        )
        line, style = {}, {}
        for county, name in zip(columns, names, strict=True):
            v = r.at[county, "value"]
            shown = fmt_value(v, unit, lang, thresholds=nv.row_thresholds(r.loc[county]))
            flag = r.at[county, "is_met"]
            if not is_missing(flag) and not is_missing(v):
                shown += " ✓" if bool(flag) else " ✗"
            line[name] = shown
            if county == CITY_CODE or direction == "none" or is_missing(v) or not hi > lo:
                style[name] = "background-color: #f4f4f4;" if county == CITY_CODE else ""
            else:
                style[name] = heat_colour((float(v) * sign - lo) / (hi - lo))
        project = position.get(code, (50, "compulsory"))[1]
        first = not cells or cells[-1]["_project"] != project
        cells.append(
            {
                "_project": project,
                lab["project"]: project_name(project, lang) if first else "",
                lab["indicator"]: indicator_name(code, lang),
                **line,
            }
        )
        css.append({lab["project"]: "", lab["indicator"]: "", **style})
    table = pd.DataFrame(cells).drop(columns="_project")
    caption = (
        "颜色表示各县(区)在该指标上的相对位置（蓝=较好，红=较差，按指标方向）；"
        "✓/✗ 表示达到/未达到适用目标；最后一列为全市。"
        if lang == "zh"
        else "Colour shows each county's relative position on the row (blue = better, red = worse, by the "
        "indicator's direction); ✓/✗ = applicable target met / not met; the last column is the city."
    )
    styler = styled(table, css=pd.DataFrame(css), right=names, caption=caption)
    return Section(_TITLES[lang]["heat"].format(year=nv.year_label(p.year, lang)), [styler])


def _status_frame() -> pd.DataFrame:
    status = base().assessments[["county_code", "year", "assessment", "is_met", "state"]].copy()
    status["year"] = status["year"].astype(int)
    return status


def city_status_maps(p: Params) -> Section:
    """Status maps of counties meeting 优质均衡 / 普及普惠 for each year up to p.year, and the share chart."""
    check_city_view(p)
    from lcedu.present import maps

    lang = p.lang
    status = _status_frame()
    synthetic = base().synthetic
    years = [y for y in available_years() if y <= p.year]
    items: list[Any] = []
    series, _ = trend_series(p, [f"{a}_county_share_pct" for a in ASSESSMENTS])
    c = card(p.baseline_year, p.plan)
    targets = c[
        (c["county_code"] == CITY_CODE)
        & c["indicator"].isin(series["indicator"])
        & (c["target_year"] == c["year"])
        & (c["year"] <= p.year)
    ][["indicator", "year", "target"]]
    items.append(
        charts.trend_panels(
            series,
            [f"{a}_county_share_pct" for a in ASSESSMENTS],
            highlight=CITY_CODE,
            targets=targets.astype({"target": float}),
            lang=lang,
            columns=2,
            others=False,
            note=synthetic_note(lang),
        )
    )
    for year in reversed(years):  # the chosen year first; every year drawn at the same size, so they compare
        figure = maps.status_map(
            status,
            year,
            lang=lang,
            synthetic=synthetic,
            target_shares=plan_of(p.plan).target_shares(),
            verdicts=maps.share_verdicts(year, p.plan),
            prefecture=page_prefecture(p),
        )
        items.append(figure)
    return Section(_TITLES[lang]["status_maps"], items)


SMALL_MULTIPLES = ("preschool_gross_enrollment_pct", "senior_gross_enrollment_pct")


def city_small_multiples(p: Params, indicators: Sequence[str] = SMALL_MULTIPLES) -> Section:
    """Small-multiple maps (one panel per year, shared classes) of key indicators."""
    check_city_view(p)
    from lcedu.measure.indicators import map_breaks
    from lcedu.present import maps

    lang = p.lang
    data = base().results
    years = [y for y in available_years() if y <= p.year]
    declared = map_breaks()
    items: list[Any] = []
    for code in indicators:
        unit = nv.indicator_unit(code)
        figure = maps.small_multiples(
            data,
            code,
            years,
            label=indicator_name(code, lang),
            unit=nv.unit_label(unit, lang) or unit,
            lang=lang,
            synthetic=base().synthetic,
            breaks=declared.get(code),
            prefecture=page_prefecture(p),
        )
        items.append(figure)
    return Section(_TITLES[lang]["multiples"], items)


def city_share_targets(p: Params) -> Section:
    """The plan's 37.5 % targets: share of counties per year, and the named counties' status."""
    check_city_view(p)
    lang = p.lang
    lab = LABELS[lang]
    status = _status_frame()
    years = [y for y in available_years() if y <= p.year]
    rows = []
    for assessment in ASSESSMENTS:
        for year in years:
            r = _share_row(p, f"{assessment}_county_share_pct", year)
            one = status[(status["assessment"] == assessment) & (status["year"] == year)]
            met_codes = one[one["state"] == "达标"]["county_code"]
            unassessed = one[one["state"] == "未评估"]["county_code"]
            rows.append(
                {
                    lab["assessment"]: indicator_name(assessment, lang),
                    lab["year"]: nv.year_label(year, lang, short=True),
                    lab["value"]: fmt_value(r.get("value"), "%", lang, thresholds=nv.row_thresholds(r)),
                    lab["target"]: target_text(r, lang),
                    lab["status"]: status_text(r.get("is_met"), lang),
                    lab["counties_met"]: nv.join([place_name(c, lang) for c in met_codes], lang)
                    or nv.text("na_short", lang),
                    lab["counties_unassessed"]: nv.join([place_name(c, lang) for c in unassessed], lang)
                    or nv.text("na_short", lang),
                    "_met": r.get("is_met"),
                }
            )
    table = pd.DataFrame(rows)
    flags = pd.DataFrame({lab["status"]: table.pop("_met")})
    targets = plan_of(p.plan).targets()
    named = targets[targets["indicator"].isin(ASSESSMENTS) & (targets["scope"] == "counties")]
    named_rows = []
    for t in named.itertuples():
        for code in t.counties:
            s = status[
                (status["assessment"] == t.indicator)
                & (status["year"] == min(p.year, int(t.year)))
                & (status["county_code"] == code)
            ]
            flag = s["is_met"].iloc[0] if len(s) else pd.NA
            state = s["state"].iloc[0] if len(s) else pd.NA
            named_rows.append(
                {
                    lab["assessment"]: indicator_name(t.indicator, lang),
                    lab["named"]: place_name(code, lang),
                    lab["target"]: f"{int(t.year)}年全部维度达标" if lang == "zh" else f"by {int(t.year)}",
                    lab["year"]: nv.year_label(min(p.year, int(t.year)), lang, short=True),
                    lab["status"]: state_word(state, lang),
                    "_met": flag,
                }
            )
    named_table = pd.DataFrame(named_rows)
    named_flags = pd.DataFrame({lab["status"]: named_table.pop("_met")})
    caption = (
        "计划点名县的达标情况（按所选年份与目标年份中较早者；达标 = 全部维度评估且达标，未评估的维度不算达标）"
        if lang == "zh"
        else "Counties the plan names, at the earlier of the chosen year and the target year (met = every dimension "
        "assessed and met; a dimension not assessed is not met)"
    )
    share = nv.join(
        sorted(
            {
                fmt_target(t, "%", lang)
                for t in targets[targets["indicator"].isin([f"{a}_county_share_pct" for a in ASSESSMENTS])]["value"]
            }
        ),
        lang,
    )
    return Section(
        _TITLES[lang]["share_targets"].format(share=share),
        [
            styled(table, flags=flags, right=[lab["value"]]),
            styled(named_table, flags=named_flags, caption=caption),
        ],
    )


CITY_TREND_INDICATORS = (
    "party_demo_school_count",
    "physical_health_good_pct",
    "myopia_pct",
    "dianxi_student_count",
    "provincial_first_class_major_count",
    "quality_award_funding_wan_yuan",
    "vocational_special_funding_wan_yuan",
    "higher_vocational_student_count",
    "famous_teacher_count",
)


def city_targets(p: Params) -> Section:
    """Every city-level target of the year with value and status, plus the city trend charts.

    Covers 党建示范校, 育人 (体质健康, 近视 — no numeric target in the plan), 高等教育
    (滇西科技师范学院) and funding; targets with no data say so.
    """
    check_city_view(p)

    lang = p.lang
    c = card(p.baseline_year, p.plan)
    city = c[
        (c["county_code"] == CITY_CODE)
        & (c["year"] == p.year)
        & (c["target_year"].notna() | c["indicator"].isin(CITY_TREND_INDICATORS))
    ]
    table = indicator_table(p, city, with_project=True, with_rank=False)
    # Plan targets with no indicator in the data (e.g. 合格评估, 全市一张网): listed, not guessed.
    targets = plan_of(p.plan).targets()
    known = set(c["indicator"])
    missing = targets[(targets["scope"] == "city") & ~targets["indicator"].isin(known)]
    missing = missing.sort_values("year").drop_duplicates("indicator", keep="last")
    lines = [
        f"{t.name_zh}（{t.clause}，{int(t.year)}年）：{nv.na_text('', lang)}（统计中尚无对应数据）"
        if lang == "zh"
        else f"{t.name_en} ({t.clause}, {int(t.year)}): no data yet"
        for t in missing.itertuples()
    ]
    sentences = [
        sentence(p, code, county=CITY_CODE)
        for code in (
            "party_demo_school_count",
            "physical_health_good_pct",
            "myopia_pct",
            "dianxi_student_count",
            "quality_award_funding_wan_yuan",
            "vocational_special_funding_wan_yuan",
        )
    ]
    series, _ = trend_series(p, CITY_TREND_INDICATORS)
    targets_city = c[
        (c["county_code"] == CITY_CODE)
        & c["indicator"].isin(CITY_TREND_INDICATORS)
        & (c["target_year"] == c["year"])
        & (c["year"] <= p.year)
    ][["indicator", "year", "target"]]
    fig = charts.trend_panels(
        series,
        CITY_TREND_INDICATORS,
        highlight=CITY_CODE,
        targets=targets_city.astype({"target": float}),
        lang=lang,
        others=False,
        note=synthetic_note(lang),
    )
    head = "计划中尚无数据的全市目标：" if lang == "zh" else "City targets without data yet:"
    return Section(
        _TITLES[lang]["city_targets"].format(year=nv.year_label(p.year, lang)),
        [bullets(sentences), table, fig, head + "\n\n" + bullets(lines) if lines else None],
    )
