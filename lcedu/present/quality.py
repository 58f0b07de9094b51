"""The data-quality pages: the stored review (``quality_findings`` …) in words, tables and a map.

The review itself is computed once in ``lcedu clean`` (:mod:`lcedu.measure.quality`); this module
only selects, ranks and formats it for the county page (``notebooks/data_quality.ipynb``), for
``lcedu check --quality`` and for the send-back workbook (:mod:`lcedu.present.sendback`). Every page
says what the findings are: values to confirm with the school, not input errors; they never block
``lcedu clean``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import pandas as pd
from matplotlib.axes import Axes

from lcedu.ingest.counties import name as county_name
from lcedu.measure import quality as mq
from lcedu.present import briefing as bf
from lcedu.present import maps
from lcedu.present import narrative as nv
from lcedu.present.briefing import Params, Section
from lcedu.present.words import table, word


@cache
def _names() -> pd.DataFrame:
    return mq.load_registry().names()


def check_names(lang: str = "zh") -> dict[str, str]:
    """Check id → its name in the page's language."""
    names = _names()
    return dict(zip(names["check"], names[f"name_{nv.check_lang(lang)}"], strict=True))


def field_label(field: object, lang: str = "zh") -> str:
    """A finding's field as the statistician names it (grades and ages are already words)."""
    if nv.is_missing(field):
        return ""
    return table("quality_fields", lang).get(str(field), str(field))


def importance_label(importance: object, lang: str = "zh") -> str:
    """A finding's importance (high / medium / low) in the page's language."""
    return table("quality_importance", nv.check_lang(lang)).get(str(importance), str(importance))


def findings_note(lang: str = "zh") -> str:
    """What the findings are, said on every page that shows them."""
    return word("quality.note", nv.check_lang(lang))


def rule_counts(findings: pd.DataFrame, runs: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Checks by number of findings (most first), and the checks not run with the reason."""
    t = table("quality", nv.check_lang(lang))
    names = check_names(lang)
    counts = findings.groupby("check").size()
    rows = []
    for r in runs.to_dict("records"):
        n = int(counts.get(r["check"], 0))
        status = f"{t['not_run']}：{r['reason']}" if r["status"] == "not run" else ""
        rows.append(
            {
                t["check"]: names.get(r["check"], r["check"]),
                t["importance"]: importance_label(r["importance"], lang),
                t["count"]: n,
                t["status"]: status,
                "_not_run": r["status"] == "not run",
                "_weight": mq.IMPORTANCE_WEIGHT.get(str(r["importance"]), 0),
            }
        )
    frame = pd.DataFrame(rows).sort_values(["_not_run", t["count"], "_weight"], ascending=[True, False, False])
    return frame.drop(columns=["_not_run", "_weight"]).reset_index(drop=True)


def worst_schools(findings: pd.DataFrame, n: int = 15, lang: str = "zh") -> pd.DataFrame:
    """The schools to check first: summed score of their findings, with the checks that flagged them."""
    t = table("quality", nv.check_lang(lang))
    if findings.empty:
        return pd.DataFrame(columns=[t["school"], t["township"], t["findings"], t["checks"]])
    names = check_names(lang)
    weighted = findings.assign(weight=findings["importance"].map(mq.IMPORTANCE_WEIGHT).astype(float))
    grouped = weighted.groupby("school_id", dropna=False).agg(
        weight=("weight", "max"),
        school_name=("school_name", "first"),
        township=("township", "first"),
        findings=("check", "size"),
        score=("score", "sum"),
        checks=("check", lambda s: "；".join(dict.fromkeys(names.get(c, c) for c in s))),
    )
    top = grouped.sort_values(["weight", "score", "findings"], ascending=False).head(n)
    return pd.DataFrame(
        {
            t["school"]: [f"{nm}（{sid}）" for sid, nm in zip(top.index, top["school_name"], strict=True)],
            t["township"]: top["township"].fillna("").to_numpy(),
            t["findings"]: top["findings"].to_numpy(),
            t["checks"]: top["checks"].to_numpy(),
        }
    )


def findings_table(findings: pd.DataFrame, lang: str = "zh", n: int = 40) -> pd.DataFrame:
    """The highest-ranked findings, as the send-back list shows them."""
    t = table("quality", nv.check_lang(lang))
    names = check_names(lang)
    top = findings.sort_values("score", ascending=False).head(n)
    return pd.DataFrame(
        {
            t["school"]: top["school_name"].fillna(top["school_id"]).to_numpy(),
            t["field"]: [field_label(f, lang) for f in top["field"]],
            t["value"]: ["" if nv.is_missing(v) else f"{float(v):g}" for v in top["value"]],
            t["expected"]: top["expected"].fillna("").to_numpy(),
            t["check"]: [names.get(c, c) for c in top["check"]],
            t["importance"]: [importance_label(i, lang) for i in top["importance"]],
        }
    )


def completeness_rows(completeness: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One completeness measure in the shape of indicator results (county_code, year, indicator, value)."""
    rows = completeness[completeness["measure"] == measure]
    return rows.rename(columns={"measure": "indicator"})[["county_code", "year", "indicator", "value"]]


def completeness_map(completeness: pd.DataFrame, year: int, measure: str, lang: str = "zh") -> Axes:
    """A choropleth of one completeness or consistency rate over the counties of the build's prefecture."""
    label = word(f"quality_measures.{measure}", lang)
    data = completeness_rows(completeness, measure)
    return maps.choropleth(data, measure, year, label=label, lang=lang, breaks=[90, 95, 98, 99.5, 100], unit="%")


# --------------------------------------------------------------------------- the county page


def header_note(p: Params) -> str:
    """The page's first words: the findings are findings, how many, of how many checks."""
    findings = bf.result_rows("quality_findings", county=p.county, year=p.year)
    runs = bf.base().stored["quality_rule_runs"]
    ran = int((runs["status"] == "run").sum())
    # Kept branch: English says value / values by number, which a template cannot.
    if p.lang == "zh":
        head = f"{p.name}{nv.year_label(p.year)}：{ran}项审核规则共发现{len(findings)}个需要核实的数值。"
    else:
        head = (
            f"{p.name}, {nv.year_label(p.year, 'en')}: {ran} checks found {len(findings)} "
            f"value{'' if len(findings) == 1 else 's'} to confirm."
        )
    return f"{head}\n\n{findings_note(p.lang)}"


def checks_section(p: Params) -> Section:
    """Rules violated by count, and the checks that could not run."""
    findings = bf.result_rows("quality_findings", county=p.county, year=p.year)
    counts = rule_counts(findings, bf.base().stored["quality_rule_runs"], p.lang)
    return Section(word("quality.checks_title", p.lang), [bf.styled(counts, right=[word("quality.count", p.lang)])])


def schools_section(p: Params) -> Section:
    """The schools to check first and their highest-ranked values."""
    t = table("quality", p.lang)
    findings = bf.result_rows("quality_findings", county=p.county, year=p.year)
    title = t["schools_title"]
    if findings.empty:
        return Section(title, [t["none"]])
    return Section(
        title,
        [
            bf.styled(worst_schools(findings, lang=p.lang), right=[t["findings"]]),
            bf.styled(findings_table(findings, p.lang), right=[t["value"]], scroll=True),
        ],
    )


def completeness_section(p: Params) -> Section:
    """Completeness and consistency rates of the county, and a map of the prefecture's counties."""
    stored = bf.base().stored["quality_completeness"]
    t = table("quality", p.lang)
    mine = stored[(stored["county_code"] == p.county).to_numpy(bool) & (stored["year"] == p.year).to_numpy(bool)]
    measures = table("quality_measures", p.lang)
    rates = pd.DataFrame(
        {
            t["check"]: [measures[m] for m in mine["measure"]],
            "%": [
                nv.na_text(r, p.lang) if nv.is_missing(v) else f"{v:.1f}"
                for v, r in zip(mine["value"], mine["na_reason"], strict=True)
            ],
        }
    )
    peers = stored[stored["county_code"].isin(bf.peer_codes(p))]
    return Section(
        t["completeness_title"],
        [bf.styled(rates, right=["%"]), completeness_map(peers, p.year, "consistent_schools_pct", p.lang)],
    )


# --------------------------------------------------------------------------- lcedu check --quality


def summary_lines(review: Mapping[str, pd.DataFrame], year: int, lang: str = "zh", top: int = 15) -> list[str]:
    """The ranked summary ``lcedu check --quality`` prints: checks, counties, the schools to check first."""
    findings = review["quality_findings"]
    findings = findings[findings["year"] == year]
    runs = review["quality_rule_runs"]
    names = check_names(lang)
    lines = [f"数据质量审核 / data-quality review: {nv.year_label(year)}", findings_note(lang)]
    lines.append(
        f"审核规则 checks: {int((runs['status'] == 'run').sum())} 已运行 run, "
        f"{int((runs['status'] != 'run').sum())} 未运行 not run; 发现 findings: {len(findings)}"
    )
    counts = findings.groupby(["check", "importance"]).size().sort_values(ascending=False)
    for (check, importance), n in counts.items():
        lines.append(f"  [{importance_label(importance, lang)}] {n:>5}  {check}: {names.get(check, check)}")
    for r in runs[runs["status"] != "run"].to_dict("records"):
        lines.append(f"  [未运行 not run] {r['check']}: {r['reason']}")
    lines.append("按县 by county (发现数 findings · 学校 schools):")
    for code, group in findings.groupby("county_code"):
        lines.append(f"  {code} {county_name(code)}: {len(group)} · {group['school_id'].nunique()}")
    lines.append(f"最需核实的学校 / schools to check first (top {top}):")
    weighted = findings.assign(weight=findings["importance"].map(mq.IMPORTANCE_WEIGHT).astype(float))
    ranked = weighted.groupby(["county_code", "school_id"]).agg(
        name=("school_name", "first"),
        weight=("weight", "max"),
        score=("score", "sum"),
        checks=("check", lambda s: ", ".join(dict.fromkeys(s))),
    )
    for (code, school), r in ranked.sort_values(["weight", "score"], ascending=False).head(top).iterrows():
        lines.append(f"  {code} {school} {r['name']}: {r['checks']}")
    return lines


def cover_lines(county: str, year: int, findings: pd.DataFrame, lang: str = "zh") -> list[str]:
    """The send-back workbook's first sheet: what it is, how to answer, how many values per township."""
    place = county_name(county, lang)
    lines = [
        word("quality.cover_title", lang, place=place, year=nv.year_label(year, lang)),
        findings_note(lang),
        word("quality.cover_how", lang),
        word("quality.cover_count", lang, n=len(findings)),
    ]
    counts = findings.groupby(findings["township"].fillna("")).size()
    return lines + [f"  {t or '—'}: {n}" for t, n in counts.items()]
