"""The report site: the standard map set, ``reports/index.html``, and checks of what was produced."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lcedu import paths
from lcedu.ingest import counties, store
from lcedu.measure.plan import get_plan
from lcedu.measure.scorecard import COUNTING_RULE
from lcedu.paths import CITY_CODE
from lcedu.present.areas import OVERVIEW_INDICATORS
from lcedu.present.narrative import year_label

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
    from lcedu.measure import indicators
    from lcedu.measure.results import load_results
    from lcedu.present import maps

    registry = indicators.registry_frame().set_index("indicator")
    stored = load_results()
    data = stored["indicator_results"]
    data = data[data["indicator"].isin(MAP_INDICATORS) & (data["year"] <= year) & (data["county_code"] != CITY_CODE)]
    status = stored["assessments"]
    status = status[status["year"] <= year]
    name = "name_zh" if lang == "zh" else "name_en"
    if province:
        return maps.write_scope_maps(
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
    from lcedu.ingest.counties import is_aggregate, prefecture_of
    from lcedu.ingest.shapes import scope

    codes = [c for c in data["county_code"].astype(str).unique() if not is_aggregate(c)]
    if prefecture:
        where = scope(None, prefecture).code
    elif not codes or any(prefecture_of(c) == CITY_CODE for c in codes):
        where = CITY_CODE
    else:
        where = maps.map_prefecture(codes)
    return maps.write_map_set(
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
    from lcedu.ingest.counties import prefecture_of
    from lcedu.present import workbooks as export

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
    from lcedu.measure.results import plan_results

    counts = plan_results(plan)["target_counts"]
    return counts[counts["year"] == year].set_index("county_code")


def evaluation_document_name(code: str) -> str:
    """File stem of a county's (or the city's) 终期评估 document, as lcedu.publish.evaluation names it."""
    from lcedu.publish.evaluation import document_name

    return document_name(None if code == CITY_CODE else code)


def templates():  # -> jinja2.Environment; every value rendered into a page is escaped
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths.package_file("publish", "templates", "site")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def build_index(
    out_dir: Path, year: int, outcomes: Sequence, notebooks: Sequence, maps_dir: Path | None, plan: str | None = None
) -> Path:
    """``reports/index.html``: every county's briefings, a map thumbnail and its scorecard summary."""
    out_dir = Path(out_dir)
    summary = county_summary(year, plan)
    ok = {(o.job.county, o.job.notebook) for o in outcomes if o.ok}
    failed = {(o.job.county, o.job.notebook) for o in outcomes if not o.ok}
    codes = sorted({o.job.county for o in outcomes})
    synthetic = bool(store.manifest().get("is_sample"))
    cards = []
    for code in codes:
        title = place_title(code)
        links = []
        for nb in notebooks:
            if (code, nb.name) in ok:
                links.append({"href": f"{year}/{code}/{nb.name}.html", "text": nb.title_zh})
            elif (code, nb.name) in failed:
                links.append({"href": None, "text": nb.title_zh})
        if (out_dir / str(year) / code / "scorecard.xlsx").exists():
            links.append({"href": f"{year}/{code}/scorecard.xlsx", "text": "指标工作簿 (Excel)"})
        for suffix, kind in ((".docx", "Word"), (".pdf", "PDF")):
            document = Path("evaluation") / str(year) / f"{evaluation_document_name(code)}{suffix}"
            if (out_dir / document).exists():
                links.append({"href": document.as_posix(), "text": f"终期评估 ({kind})"})
        thumb = None
        if maps_dir is not None:
            image = Path(maps_dir) / (f"status_{year}.png" if code == CITY_CODE else f"locator_{code}.png")
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
        cards.append({"code": code, "title": title, "links": links, "thumbnail": thumb, "score": score})
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
            counting_rule=COUNTING_RULE["zh"],
        )
    )
    path = out_dir / "index.html"
    tmp = path.with_name(".index.html.partial")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
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
