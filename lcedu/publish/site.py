"""The report site: the standard map set, ``reports/index.html``, the maps page, every page's navigation
bar, a printable PDF of each briefing, and checks of what was produced."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lcedu import paths
from lcedu.home import CITY_CODE
from lcedu.ingest import counties, store
from lcedu.ingest.counties import is_aggregate, prefecture_of
from lcedu.ingest.shapes import scope
from lcedu.measure import indicators
from lcedu.measure.plan import get_plan
from lcedu.measure.results import load_results, plan_results, plan_scorecard
from lcedu.measure.scorecard import COUNTING_RULE
from lcedu.present import maps
from lcedu.present import workbooks as export
from lcedu.present.areas import OVERVIEW_INDICATORS
from lcedu.present.narrative import check_lang, indicator_name, place_name, year_label
from lcedu.present.suite import notebook as suite_notebook
from lcedu.present.suite import suite
from lcedu.publish import map_files
from lcedu.publish.evaluation import document_name, output_folder

# Indicators drawn in the standard map set: the equalization story of the plan (the overviews' too).
MAP_INDICATORS = OVERVIEW_INDICATORS
ERROR_MARKERS = (
    'jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr',
    "Traceback (most recent call last)",
    "-Error</span>",
    "ename",
)


def write_maps(
    year: int,
    out_dir: Path,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    lang: str = "zh",
    plan: str | None = None,
    province: str | None = None,
    prefecture: str | None = None,
) -> list[Path]:
    """`lcedu maps`: the standard map set for ``year`` from the processed tables, for the ``prefecture``
    given, else 临沧 (the home prefecture) when the build has its counties, else the build's one
    prefecture (a build of several without ``prefecture`` is a RequestError naming them). The plan's
    county-share targets appear on 临沧's status map only. With ``province``: one choropleth per
    indicator over the province."""
    registry = indicators.registry_frame().set_index("indicator")
    stored = load_results()
    data = stored["indicator_results"]
    data = data[data["indicator"].isin(MAP_INDICATORS) & (data["year"] <= year) & (data["county_code"] != CITY_CODE)]
    status = stored["assessments"]
    status = status[status["year"] <= year]
    name = f"name_{check_lang(lang)}"  # the registry names each indicator in every language (name_zh, name_en)
    if province:
        return map_files.write_scope_maps(
            data,
            year,
            out_dir,
            province=province,
            indicators=list(MAP_INDICATORS),
            labels=registry[name].to_dict(),
            units=registry["unit"].to_dict(),
            breaks=indicators.map_breaks(),
            formats=formats,
            lang=lang,
            synthetic=bool(store.manifest().get("is_sample")),
        )

    codes = [c for c in data["county_code"].astype(str).unique() if not is_aggregate(c)]
    if prefecture:
        where = scope(None, prefecture).code
    elif not codes or any(prefecture_of(c) == CITY_CODE for c in codes):
        where = CITY_CODE
    else:
        where = maps.map_prefecture(codes)
    return map_files.write_map_set(
        data,
        status,
        year,
        out_dir,
        indicators=list(MAP_INDICATORS),
        prefecture=where,
        labels=registry[name].to_dict(),
        units=registry["unit"].to_dict(),
        breaks=indicators.map_breaks(),
        target_shares=get_plan(plan).target_shares() if where == CITY_CODE else {},
        verdicts=maps.share_verdicts(year, plan) if where == CITY_CODE else {},
        formats=formats,
        lang=lang,
        synthetic=bool(store.manifest().get("is_sample")),
    )


def write_workbooks(year: int, out_dir: Path, county_codes: Sequence[str], plan: str | None = None) -> list[Path]:
    """Scorecard and gap workbooks: ``<year>/<code>/scorecard.xlsx`` per county and per prefecture of
    the counties (临沧市 530900 for 临沧's)."""
    out = Path(out_dir) / str(year)
    written = [
        export.write_county_workbook(code, year, out / code / "scorecard.xlsx", plan=plan) for code in county_codes
    ]
    # A county that is its own prefecture (东莞 441900) has its county workbook only.
    for prefecture in sorted(({prefecture_of(c) for c in county_codes} or {CITY_CODE}) - set(county_codes)):
        written.append(
            export.write_city_workbook(year, out / prefecture / "scorecard.xlsx", plan=plan, prefecture=prefecture)
        )
    return written


def county_summary(year: int, plan: str | None = None) -> pd.DataFrame:
    """Per county (and the city): the stored ``target_counts`` of the year, indexed by county_code."""
    counts = plan_results(plan)["target_counts"]
    return counts[counts["year"] == year].set_index("county_code")


def evaluation_document_name(code: str) -> str:
    """File stem of a county's (or the city's) 终期评估 document, as lcedu.publish.evaluation names it."""
    return document_name(None if code == CITY_CODE else code)


def templates():  # -> jinja2.Environment; every value rendered into a page is escaped
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(
            [
                paths.package_file("publish", "templates", "site"),
                paths.package_file("publish", "templates", "lcedu_offline"),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


# --- navigation ----------------------------------------------------------------------------------

#: The navigation bar sits between these markers in every page, so a later run can replace it.
NAV_START, NAV_END = "<!--lcedu-nav-->", "<!--/lcedu-nav-->"
#: The notebook whose page is also printed to PDF (A4) for passing on.
PRINTED = "county_briefing"
#: Overview pages a county's pages link to, by the place they are about.
OVERVIEWS = ("city_overview", "prefecture_overview", "province_overview")


@dataclass(frozen=True)
class Link:
    """One entry of a navigation bar or a card's link list; ``href`` relative to the reports folder."""

    href: str | None
    text: str
    kind: str = "link"  # "link" | "place" (a heading word, not a link)


def page_title(code: str, notebook: str, lang: str = "zh") -> str:
    """A page's browser title: 县名 · 页面名 (双江自治县 · 县域简报)."""
    entry = suite_notebook(notebook)
    name = entry.title(lang) if entry is not None else notebook
    return f"{place_name(code, lang) if code else ''} · {name}".strip(" ·")


def evaluation_documents(out_dir: Path, year: int, code: str, plan: str | None = None) -> list[Link]:
    """The 终期评估 documents of a county (or the city) that exist, Word then PDF, in the folder
    `lcedu evaluate` and `lcedu report` write (lcedu.publish.evaluation.output_folder)."""
    links = []
    for suffix, kind in ((".docx", "Word"), (".pdf", "PDF")):
        document = output_folder(plan, year) / f"{evaluation_document_name(code)}{suffix}"
        if (Path(out_dir) / document).exists():
            links.append(Link(document.as_posix(), f"终期评估 ({kind})"))
    return links


def place_links(
    out_dir: Path, year: int, code: str, rendered: Sequence[str] = (), plan: str | None = None
) -> list[Link]:
    """What exists for one place in ``reports/``: its pages in reading order (those on disk and the
    notebooks ``rendered`` for it in this run), the briefing's PDF, its workbook and its evaluation documents."""
    out_dir, folder = Path(out_dir), f"{year}/{code}"
    links = [
        Link(f"{folder}/{nb.name}.html", nb.title_zh)
        for nb in suite()
        if nb.name in rendered or (out_dir / folder / f"{nb.name}.html").exists()
    ]
    if (out_dir / folder / f"{PRINTED}.pdf").exists():
        links.append(Link(f"{folder}/{PRINTED}.pdf", "简报打印版 (PDF)"))
    if (out_dir / folder / "scorecard.xlsx").exists():
        links.append(Link(f"{folder}/scorecard.xlsx", "指标工作簿 (Excel)"))
    return links + evaluation_documents(out_dir, year, code, plan)


def site_links(out_dir: Path, year: int, code: str | None = None) -> list[Link]:
    """The navigation bar: 首页, 地图, the overviews above the place, then the place's own pages."""
    out_dir = Path(out_dir)
    links = [Link("index.html", "首页")]
    if (out_dir / "maps.html").exists() or (out_dir / "maps").is_dir():  # build_index writes the page
        links.append(Link("maps.html", "地图"))
    above = [] if code is None else [counties.prefecture_of(code), counties.province_of(code)]
    for place in dict.fromkeys([CITY_CODE, *above]):
        for name in OVERVIEWS:
            page = out_dir / str(year) / place / f"{name}.html"
            if place != code and page.exists():
                links.append(Link(f"{year}/{place}/{name}.html", page_title(place, name)))
    if code is not None:
        links.append(Link(None, place_title(code), kind="place"))
        links += place_links(out_dir, year, code)
    return links


def nav_html(links: Sequence[Link], page: str) -> str:
    """The bar's HTML for the page at ``page`` (relative to the reports folder): relative, escaped links."""
    here = Path(page).parent
    items = []
    for link in links:
        text = html.escape(link.text)
        if link.kind == "place" or link.href is None:
            items.append(f'<span class="place">{text}</span>')
            continue
        href = html.escape(Path(os.path.relpath(link.href, here if str(here) != "." else ".")).as_posix())
        current = ' aria-current="page"' if link.href == page else ""
        items.append(f'<a href="{href}"{current}>{text}</a>')
    return f'{NAV_START}<nav class="lcedu-nav" aria-label="网站导航">{"".join(items)}</nav>{NAV_END}'


#: A table cell of at most this many characters never wraps (全市目标(参照), 94.4%, ✗ 未达标): JupyterLab's
#: equal columns broke such cells mid-word; long texts still wrap.
SHORT_CELL = 10
_CELL = re.compile(rf"<(td|th)\b([^>]*)>([^<]{{1,{SHORT_CELL}}})</\1>")


def mark_short_cells(html_text: str) -> str:
    """Table cells of at most SHORT_CELL characters (text only) marked ``lcedu-short``, which the page's
    stylesheet keeps on one line (a filter of the page template)."""

    def mark(match: re.Match) -> str:
        tag, attributes, text = match.groups()
        if not text.strip():
            return match.group(0)
        if 'class="' in attributes:
            attributes = attributes.replace('class="', 'class="lcedu-short ', 1)
        else:
            attributes += ' class="lcedu-short"'
        return f"<{tag}{attributes}>{text}</{tag}>"

    return _CELL.sub(mark, html_text)


def link_pages(out_dir: Path, year: int) -> list[Path]:
    """Put an up-to-date navigation bar into every rendered page of ``year`` (what exists now): a page
    rendered in an earlier run links to pages rendered since."""
    out_dir = Path(out_dir)
    changed = []
    for page in sorted((out_dir / str(year)).glob("*/*.html")):
        text = page.read_text(encoding="utf-8")
        start, end = text.find(NAV_START), text.find(NAV_END)
        if start < 0 or end < start:
            continue
        bar = nav_html(site_links(out_dir, year, page.parent.name), page.relative_to(out_dir).as_posix())
        updated = text[:start] + bar + text[end + len(NAV_END) :]
        if updated != text:
            _write_text(page, updated)
            changed.append(page)
    return changed


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --- printed briefings ---------------------------------------------------------------------------


def chromium() -> str | None:
    """Headless Chromium or Chrome where installed (Debian: apt install chromium), else None."""
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def print_pdf(page: Path, browser: str, timeout: int = 180) -> Path:
    """``page`` printed to A4 PDF beside it by headless Chromium (the page's print stylesheet), atomically."""
    page = Path(page)
    target = page.with_suffix(".pdf")
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(prefix="lcedu-chromium-") as profile:
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={partial}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"chromium could not print {page}: {done.stderr.strip()[-300:]}")
    partial.replace(target)
    return target


def print_briefings(pages: Sequence[Path]) -> list[Path]:
    """A PDF of each briefing page where Chromium is installed; says so (on stderr) when it is not."""
    browser = chromium()
    if not pages:
        return []
    if browser is None:
        print("未找到 Chromium，未生成简报 PDF / chromium not found: no briefing PDF", file=sys.stderr)
        return []
    written = []
    for page in pages:
        try:
            written.append(print_pdf(page, browser))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"简报 PDF 未生成 / briefing PDF not written: {exc}", file=sys.stderr)
    return written


# --- maps page -----------------------------------------------------------------------------------

_MAP_KINDS = (
    (re.compile(r"^(?P<code>.+)_(?P<year>\d{4})_(?P<scope>\d{6})_choropleth$"), "choropleth"),
    (re.compile(r"^(?P<code>.+)_(?P<year>\d{4})_choropleth$"), "choropleth"),
    (re.compile(r"^(?P<code>.+)_(?P<first>\d{4})-(?P<year>\d{4})_small-multiples$"), "multiples"),
    (re.compile(r"^(?P<code>.+)_(?P<first>\d{4})-(?P<year>\d{4})_change$"), "change"),
    (re.compile(r"^status_(?P<year>\d{4})$"), "status"),
    (re.compile(r"^locator_(?P<county>\d{6})$"), "locator"),
)


def map_title(stem: str) -> tuple[str, str]:
    """(group, Chinese title) of a map file written by ``lcedu maps``, from its ASCII name."""
    for pattern, kind in _MAP_KINDS:
        match = pattern.match(stem)
        if not match:
            continue
        found = match.groupdict()
        if kind == "locator":
            return "位置图", f"{place_name(found['county'])}在{counties.area_name(CITY_CODE)}的位置"
        year = year_label(int(found["year"]))
        if kind == "status":
            return "达标县分布", f"优质均衡与普及普惠达标县分布（{year}）"
        name = indicator_name(found["code"])
        if kind == "choropleth":
            where = f"{counties.area_name(found['scope'])} " if found.get("scope") else ""
            return name, f"{where}{name}：分县地图（{year}）"
        span = f"{year_label(int(found['first']), short=True)}—{year_label(int(found['year']), short=True)}学年初"
        return name, f"{name}：{'逐年对比' if kind == 'multiples' else '变化'}（{span}）"
    return "其他", stem


def map_entries(out_dir: Path, maps_dir: Path) -> list[dict]:
    """Every map in ``maps_dir`` as a group of entries: title, thumbnail and the PNG / SVG / PDF present."""
    out_dir, maps_dir = Path(out_dir), Path(maps_dir)
    stems = sorted({p.stem for p in maps_dir.iterdir() if p.suffix in (".png", ".svg", ".pdf")})
    groups: dict[str, list[dict]] = {}
    for stem in stems:
        group, title = map_title(stem)
        files = {
            fmt.upper(): (maps_dir / f"{stem}.{fmt}").relative_to(out_dir).as_posix()
            for fmt in ("png", "svg", "pdf")
            if (maps_dir / f"{stem}.{fmt}").exists()
        }
        kind = next((k for pattern, k in _MAP_KINDS if pattern.match(stem)), "")
        groups.setdefault(group, []).append({"stem": stem, "title": title, "files": files, "kind": kind})
    kinds = [k for _, k in _MAP_KINDS]
    for entries in groups.values():
        entries.sort(key=lambda e: kinds.index(e["kind"]) if e["kind"] in kinds else len(kinds))
    order = ["达标县分布", *[g for g in groups if g not in ("达标县分布", "位置图", "其他")], "位置图", "其他"]
    return [{"title": g, "maps": groups[g]} for g in order if g in groups]


def write_maps_page(out_dir: Path, maps_dir: Path, year: int) -> Path:
    """``reports/maps.html``: every map of the standard set with its Chinese name and its files."""
    out_dir = Path(out_dir)
    page = (
        templates()
        .get_template("maps.html.j2")
        .render(
            year_text=year_label(year),
            groups=map_entries(out_dir, maps_dir),
            nav=nav_html(site_links(out_dir, year), "maps.html"),
            synthetic=bool(store.manifest().get("is_sample")),
        )
    )
    path = out_dir / "maps.html"
    _write_text(path, page)
    return path


# --- index ---------------------------------------------------------------------------------------

#: Status of one counted target → (CSS class, words) of its cell in an index card's strip.
STRIP = {
    "met": ("met", "达标"),
    "not_met": ("not-met", "未达标"),
    "not_due_on_track": ("due-later", "未到期，按趋势可达标"),
    "not_due": ("due-later-off", "未到期，按趋势难以达标"),
    "no_data": ("no-data", "无数据"),
}


def status_strips(year: int, plan: str | None = None) -> dict[str, list[dict]]:
    """Per county (and the city): one cell per target it is counted against (its own targets, as the
    summary counts them), in the scorecard's order, with the indicator's name and its status."""
    card = plan_scorecard(plan)
    rows = card[(card["year"] == year) & card["status"].notna()]
    rows = rows[rows["target_scope"] != "city_reference"]  # as target_counts counts them
    strips: dict[str, list[dict]] = {}
    for r in rows.to_dict("records"):
        status = str(r["status"])
        if status == "not_due" and bool(pd.notna(r["is_on_track"]) and r["is_on_track"]):
            status = "not_due_on_track"
        css, words = STRIP.get(status, STRIP["no_data"])
        strips.setdefault(str(r["county_code"]), []).append(
            {"css": css, "title": f"{indicator_name(str(r['indicator']))}：{words}"}
        )
    return strips


def card_tone(strip: Sequence[dict]) -> str:
    """A card's colour at a glance: any target not met, all due targets met, or nothing due yet."""
    found = {cell["css"] for cell in strip}
    if "not-met" in found:
        return "tone-not-met"
    return "tone-met" if "met" in found else "tone-neutral"


def build_index(
    out_dir: Path, year: int, outcomes: Sequence, notebooks: Sequence, maps_dir: Path | None, plan: str | None = None
) -> Path:
    """``reports/index.html`` (every county's pages, its targets as a strip of status cells and its
    scorecard summary), ``reports/maps.html``, the briefings of this run printed to PDF, and an
    up-to-date navigation bar in every page of ``year``."""
    out_dir = Path(out_dir)
    summary = county_summary(year, plan)
    strips = status_strips(year, plan)
    failed = {(o.job.county, o.job.notebook) for o in outcomes if not o.ok}
    codes = sorted({o.job.county for o in outcomes})
    synthetic = bool(store.manifest().get("is_sample"))
    if maps_dir is not None and Path(maps_dir).exists():
        write_maps_page(out_dir, Path(maps_dir), year)
    printed = [Path(o.job.output_html) for o in outcomes if o.ok and o.job.notebook == PRINTED]
    print_briefings([page for page in printed if page.suffix == ".html" and page.is_file()])
    cards = []
    for code in codes:
        rendered = [o.job.notebook for o in outcomes if o.ok and o.job.county == code]
        links = [{"href": link.href, "text": link.text} for link in place_links(out_dir, year, code, rendered, plan)]
        links += [{"href": None, "text": nb.title_zh} for nb in notebooks if (code, nb.name) in failed]
        thumb = None
        if maps_dir is not None and code == CITY_CODE:
            image = Path(maps_dir) / f"status_{year}.png"
            if image.exists():
                thumb = image.relative_to(out_dir).as_posix()
        counts = summary.loc[code].drop(labels="met_pct").astype("int64").to_dict() if code in summary.index else None
        own = "全市目标" if counties.is_aggregate(code) else "本县目标"
        score = (
            f"对照{own} {counts['targets']} 项：达标 {counts['met']} · 未达标 {counts['not_met']} · "
            f"未到期 {counts['not_due']}（按趋势可达标 {counts['not_due_on_track']}）"
            + (f" · 无数据 {counts['no_data']}" if counts["no_data"] else "")
            + (f" · 定性目标 {counts['qualitative']}" if counts["qualitative"] else "")
            + (
                f"；评估点 {counts['points']} 个：达标 {counts['points_met']} · 未达标 {counts['points_not_met']}"
                f" · 未到期 {counts['points_not_due']} · 无数据 {counts['points_no_data']}"
                + (f" · 定性目标 {counts['points_qualitative']}" if counts["points_qualitative"] else "")
                if counts["points"] != counts["targets"]
                else ""
            )
            if counts is not None
            else ""
        )
        strip = strips.get(code, [])
        cards.append(
            {
                "code": code,
                "title": place_title(code),
                "links": links,
                "thumbnail": thumb,
                "score": score,
                "strip": strip,
                "tone": card_tone(strip),
            }
        )
    page = (
        templates()
        .get_template("index.html.j2")
        .render(
            year=year,
            year_text=year_label(year),
            cards=cards,
            groups=group_cards(cards),
            synthetic=synthetic,
            plan_title=get_plan(plan).title_zh,
            legend=[{"css": css, "text": words} for css, words in STRIP.values()],
            nav=nav_html(site_links(out_dir, year), "index.html"),
            counting_rule=COUNTING_RULE["zh"],
        )
    )
    path = out_dir / "index.html"
    _write_text(path, page)
    link_pages(out_dir, year)
    return path


def place_title(code: str) -> str:
    """A card's title: the county's short name, or the prefecture's / province's name; the code when unknown."""
    if counties.is_aggregate(code):
        return counties.area_name(code)
    return counties.name(code) if counties.registry()["county_code"].eq(code).any() else code


def group_cards(cards: list[dict]) -> list[dict]:
    """Cards grouped by prefecture when they span more than one (else []: the index stays one grid).

    Each group: the prefecture's code and name, its own overview card first, then its counties; a
    province's card forms a group of its own, first.
    """
    prefectures = sorted({counties.prefecture_of(c["code"]) for c in cards if not c["code"].endswith("0000")})
    if len(prefectures) < 2:
        return []
    provinces = [c for c in cards if c["code"].endswith("0000")]
    groups = [{"code": c["code"], "title": c["title"], "cards": [c]} for c in provinces]
    for prefecture in prefectures:
        inside = [
            c for c in cards if not c["code"].endswith("0000") and counties.prefecture_of(c["code"]) == prefecture
        ]
        inside.sort(key=lambda c: (c["code"] != prefecture, c["code"]))
        groups.append({"code": prefecture, "title": counties.area_name(prefecture), "cards": inside})
    return groups


def check_html(path: Path, min_figures: int = 0) -> list[str]:
    """Problems a reader would see in a rendered page: errors, empty sections, missing figures."""
    text = Path(path).read_text(encoding="utf-8")
    problems = []
    if any(marker in text for marker in ERROR_MARKERS[:2]):
        problems.append("error output in the page")
    figures = len(re.findall(r'<img[^>]+src="data:image/(png|svg)', text)) + text.count("<svg")
    if figures < min_figures:
        problems.append(f"{figures} figures, expected at least {min_figures}")
    # A section whose heading is followed by nothing before the next heading of its level is empty.
    body = re.sub(r"\s+", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", text, flags=re.S))
    headings = list(re.finditer(r"<h([1-4])[^>]*>(.*?)</h\1>", body))
    for i, match in enumerate(headings):
        level = int(match.group(1))
        end = next((h.start() for h in headings[i + 1 :] if int(h.group(1)) <= level), len(body))
        section = body[match.end() : end]
        if not re.sub(r"<[^>]+>", "", section).strip() and "<img" not in section and "<svg" not in section:
            problems.append(f"empty section: {re.sub(r'<[^>]+>', '', match.group(2)).strip(' ¶')}")
    return problems
