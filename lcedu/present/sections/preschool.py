"""学前教育与特殊教育: the preschool overview, the 普及普惠 assessment and special education."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lcedu.home import CITY_CODE
from lcedu.measure.schools import special_school_population_threshold
from lcedu.present import briefing as bf
from lcedu.present import narrative as nv
from lcedu.present.briefing import (
    LABELS,
    Params,
    Section,
    bullets,
    sentence,
    styled,
)
from lcedu.present.narrative import fmt_value, indicator_name, is_missing, place_name
from lcedu.present.sections.common import PRESCHOOL_QUALITY, PRESCHOOL_RATES, TITLES, county_dots
from lcedu.present.words import word


def preschool_overview(p: Params) -> Section:
    """毛入园率, 普惠 and 公办 shares, 一村一幼, 一乡一公办, 一县一示范: sentences, table and trends."""
    lang = p.lang
    rows = bf.county_card(p, [*PRESCHOOL_RATES, *PRESCHOOL_QUALITY])
    lines = [sentence(p, code) for code in PRESCHOOL_RATES]
    fig = bf.trend_figure(p, PRESCHOOL_RATES[:5])
    return Section(
        TITLES[lang]["preschool"],
        [bullets(lines), bf.indicator_table(p, rows), fig, county_dots(p, "preschool_gross_enrollment_pct")],
    )


def preschool_assessment(p: Params) -> Section:
    """The county's 普及普惠 assessment criterion by criterion, with what each unmet one needs."""
    lang = p.lang
    lab = LABELS[lang]
    b = bf.base()
    crit = b.criteria[
        (b.criteria["county_code"] == p.county)
        & (b.criteria["year"] == p.year)
        & (b.criteria["assessment"] == "preschool_universal")
        & (b.criteria["source"] == "statistics")
    ]
    need = bf.county_preschool_gaps(p)
    need = need[need["county_code"] == p.county].set_index("indicator")
    records = crit.to_dict("records")
    ops = {"at_least": "≥", "at_most": "≤"}

    def needed(r: dict) -> str:
        if is_missing(r["is_met"]) or bool(r["is_met"]) or r["criterion"] not in need.index:
            return ""
        n = need.loc[r["criterion"]]
        if is_missing(n["needed"]):
            return ""
        return str(n[f"need_{lang}"])  # the stored 动作+数量+单位 wording

    table = pd.DataFrame(
        {
            lab["criterion"]: [indicator_name(r["criterion"], lang) for r in records],
            lab["value"]: [
                fmt_value(r["value"], nv.indicator_unit(r["criterion"]), lang, thresholds=r["threshold"])
                for r in records
            ],
            lab["threshold"]: [
                f"{ops.get(r['comparison'], '')}"
                f"{nv.fmt_target(r['threshold'], nv.indicator_unit(r['criterion']), lang)}"
                for r in records
            ],
            lab["status"]: [bf.status_text(r["is_met"], lang) for r in records],
            lab["needed"]: [needed(r) for r in records],
            lab["note"]: [nv.na_text(r["na_reason"], lang) if is_missing(r["value"]) else "" for r in records],
        }
    )
    if not table[lab["note"]].astype(bool).any():
        table = table.drop(columns=lab["note"])
    flags = pd.DataFrame({lab["status"]: crit["is_met"].to_numpy()})
    plan = _plan_targets_text(p, PRESCHOOL_RATES[:3])
    intro = word("sections.preschool_intro", lang, plan=plan)
    if not bf.in_plan_region(p):  # 临沧's higher targets are not this prefecture's
        intro = word("sections.preschool_intro_outside", lang, note=bf.no_targets_note(p))
    lines = [bf.assessment_line(p, "preschool_universal"), sentence(p, "preschool_universal")]
    checklist = word("sections.preschool_checklist", lang)
    return Section(
        TITLES[lang]["assessment"],
        [
            bullets(lines),
            bf.dimension_table(p, "preschool_universal"),
            styled(table, flags=flags, right=[lab["value"]]),
            intro,
            checklist,
            bf.criteria_table(p, "preschool_universal", ["government", "quality", "recognition"]),
        ],
    )


def special_education(p: Params) -> Section:
    """残疾儿童少年入学率 and special-education schools in counties of over 200,000 people."""
    lang = p.lang
    y = p.year
    provision = bf.result_rows("special_school_provision", year=y)  # every county, registry order
    threshold = (
        float(provision["population_threshold"].iloc[0]) if len(provision) else special_school_population_threshold()
    )
    c = bf.card(p.baseline_year, p.plan)
    frame = pd.DataFrame([_provision_row(p, r, c) for r in provision.to_dict("records")])
    # A Chinese page counts people in 万 (20万), an English one in full (200,000): the number differs, not just words.
    shown = f"{threshold / 10_000:g}" if lang == "zh" else f"{threshold:,.0f}"
    heads = {
        key: word(f"sections.special_{key}", lang, threshold=shown)
        for key in ("county", "resident", "required", "schools", "plan", "status")
    }
    flags = pd.DataFrame({heads["status"]: frame.pop("_flag")})
    own = frame.pop("_own")
    table = frame.rename(columns=heads)
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css[heads["county"]] = np.where(own, "font-weight: 700;", "")
    lines = [sentence(p, "disabled_children_enrollment_pct"), sentence(p, "special_school_coverage_large_county_pct")]
    for code in ("special_school_built", "special_school_independent"):
        r = bf.row(p, code)
        if r.get("target_scope") == "county":
            lines.append(nv.indicator_sentence(r, lang))
    caption = word("sections.special_caption", lang, threshold=shown)
    return Section(
        TITLES[lang]["special"],
        [
            bullets(lines),
            styled(table, flags=flags, css=css, caption=caption),
            county_dots(p, "disabled_children_enrollment_pct"),
        ],
    )


def _provision_row(p: Params, r: dict, card: pd.DataFrame) -> dict[str, Any]:
    """One county's special-education provision: population, whether required, its schools, the plan's asks."""
    lang, code = p.lang, str(r["county_code"])
    names = [] if is_missing(r["special_school_names"]) else str(r["special_school_names"]).split("、")
    planned = card[
        (card["county_code"] == code)
        & (card["year"] == p.year)
        & card["indicator"].isin(["special_school_built", "special_school_independent"])
        & (card["target_scope"] == "county")
    ]
    return {
        "county": place_name(code, lang),
        "resident": fmt_value(r["resident_population"], "people", lang, with_unit=False),
        "required": "—" if is_missing(r["is_required"]) else nv.text("yes" if r["is_required"] else "no", lang),
        "schools": nv.join(names, lang) or word("sections.none", lang),
        "plan": nv.join(
            [
                word("sections.target_by_year", lang, name=indicator_name(x, lang), year=int(t))
                for x, t in zip(planned["indicator"], planned["target_year"], strict=True)
            ],
            lang,
        ),
        "status": bf.status_text(r["is_met"], lang),
        "_flag": r["is_met"],
        "_own": code == p.county,
    }


def _plan_targets_text(p: Params, codes: Sequence[str]) -> str:
    """'毛入园率≥95%、…' from the city's targets in the plan's last year (for notes)."""
    c = bf.card(p.baseline_year, p.plan)
    last = c[(c["county_code"] == CITY_CODE) & c["indicator"].isin(codes) & c["target_year"].notna()]
    last = last.sort_values("target_year").drop_duplicates("indicator", keep="last")
    last = last.set_index("indicator").reindex(codes).dropna(subset=["target"])
    parts = [
        word(
            "sections.named_target",
            p.lang,
            name=indicator_name(code, p.lang),
            target=bf.target_text(r.to_dict(), p.lang),
        )
        for code, r in last.iterrows()
    ]
    return nv.join(parts, p.lang)
