"""Display helpers of the notebook pages: :class:`Section`, :func:`show`, styled tables and cell words,
the page header and the notes on sources.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lcedu.measure import indicators as ind
from lcedu.measure.evaluation import figure_source
from lcedu.present import charts, suite
from lcedu.present import narrative as nv
from lcedu.present.briefing.data import Params, base, plan_of, project_name
from lcedu.present.briefing.places import in_plan_region, no_targets_note, sample_notice
from lcedu.present.narrative import (
    fmt_target,
    indicator_name,
    is_missing,
)
from lcedu.present.words import table, word

MET_CSS = "background-color: #d1e5f0; color: #08306b; white-space: nowrap;"  # light blue (RdBu), with ✓


NOT_MET_CSS = "background-color: #fddbc7; color: #67000d; white-space: nowrap;"  # light orange (RdBu), with ✗


_TABLE_STYLES = [
    {"selector": "th", "props": "background-color: #eef3f8; font-weight: 600; text-align: left; padding: 4px 8px;"},
    {"selector": "td", "props": "padding: 3px 8px; text-align: left; min-width: 4.5em;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: 600; padding: 4px 0;"},
    {"selector": "", "props": "border-collapse: collapse; font-size: 13px;"},
]


#: Table column labels (words.yml `briefing_labels`), per language; block titles: `briefing_titles` by word().
LABELS: dict[str, dict[str, str]] = {lang: table("briefing_labels", lang) for lang in nv.LANGS}
#: A target's source as a table says it (本县目标, 全市目标, 全市目标(参照)): narrative's common words.
SCOPE_WORDS = {
    lang: {
        "county": nv.text("county_target", lang),
        "city": nv.text("city_target", lang),
        "city_reference": nv.text("reference", lang),
    }
    for lang in nv.LANGS
}


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
    from IPython.display import HTML, Image, Markdown, display  # lazy: IPython only inside a notebook

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
        from IPython.display import HTML  # lazy: IPython only inside a notebook

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
    return word("briefing.target_with_year", lang, op=op, target=shown, year=year)


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
    return word("briefing.reached_since", lang, year=int(ty))


def change_cell(r: Mapping[str, Any], lang: str) -> str:
    change, unit = r.get("change_since_baseline"), str(r.get("unit") or "")
    if is_missing(change) or unit == "yes/no":
        return nv.text("na_short", lang)
    d = nv.DECIMALS.get(unit, 0)
    shown = f"{float(change):+,.{d}f}"
    if float(shown.replace(",", "")) == 0:
        shown = f"{0:.{d}f}"
    return shown + (word("briefing.change_pp", lang) if unit == "%" else "")


def header(p: Params, notebook: str) -> Section:
    """Subtitle: place, year, baseline, the data's date and the sample disclaimer."""
    entry = suite.notebook(notebook)
    lang = p.lang
    b = base()
    code = "" if p.is_city else word("briefing.code_in_title", lang, code=p.county)
    # The English page names itself in this line: its title is not a heading, the Chinese title cell is the
    # page's only h1 (a Chinese page has its title there already).
    title = f"{entry.title_en} — " if entry and lang == "en" else ""
    line = word(
        "briefing.header_line",
        lang,
        title=title,
        name=p.name,
        code=code,
        year=nv.year_label(p.year, lang),
        baseline=nv.year_label(p.baseline_year, lang),
        built=b.created_at[:10],
    )
    items = [line, sample_notice(lang)]
    return Section(None, items, level=1)


def notes(p: Params, indicators: Iterable[str] = ()) -> Section:
    """Where each number comes from: the registry's source and the plan clause of its target."""
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
            word(
                "briefing.note_line",
                lang,
                name=indicator_name(code, lang),
                source=source,
                clause=word("briefing.note_clause", lang, clause=clause) if clause else "",
                inputs=word("briefing.note_inputs", lang, inputs=inputs) if inputs else "",
            )
        )
    plan = plan_of(p.plan).title_zh
    intro = word("briefing.notes_intro", lang, plan=plan)
    if not in_plan_region(p):  # 临沧's city targets are no reference for a county of 昆明
        intro = word("briefing.notes_intro_outside", lang, plan=plan, note=no_targets_note(p))
    return Section(word("briefing_titles.notes", lang), [intro, bullets(lines)], level=3)


#: An assessment's or dimension's state (stored in Chinese: 达标 / 未达标 / 未评估) in English
#: (words.yml `briefing_states`).
STATE_EN = table("briefing_states", "en")


def state_word(state: Any, lang: str) -> str:
    """达标 / 未达标 / 未评估 (met / not met / not assessed) of an assessment or a dimension."""
    state = "未评估" if is_missing(state) else str(state)
    return table("briefing_states", lang).get(state, state)
