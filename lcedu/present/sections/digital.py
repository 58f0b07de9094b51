"""教育数字化与平安校园: digital education and safe campuses."""

from __future__ import annotations

from typing import Any

import pandas as pd

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
from lcedu.present.narrative import is_missing
from lcedu.present.sections.common import TITLES, county_dots, year_table
from lcedu.present.words import word


def digital(p: Params) -> Section:
    """数字教室 against 20 % / 60 % / 100 % and 全光纤校园网 against 100 %."""
    lang = p.lang
    codes = ("digital_classroom_coverage_pct", "fiber_campus_network_coverage_pct")
    lines = [sentence(p, c) for c in codes]
    lines += [
        x for x in [_outside_line(p, "fiber_campus_network_coverage_pct", "fiber_campus_network_site_count")] if x
    ]
    fig = bf.trend_figure(p, codes, columns=2)
    return Section(
        TITLES[lang]["digital"],
        [bullets(lines), year_table(p, codes), fig, county_dots(p, "digital_classroom_coverage_pct")],
    )


def _outside_line(p: Params, rate: str, sites: str) -> str:
    """Words like "尚未接入的学校1所；另有教学点(校点)3个（不计校数）": schools from the rate's stored numerator and
    denominator (是否计校数 = 1 only), 教学点 from their own stored count, never added together."""
    r, s = bf.row(p, rate), bf.row(p, sites)
    if is_missing(r.get("numerator")) or is_missing(r.get("denominator")):
        return nv.na_text(r.get("na_reason"), p.lang)
    schools = int(round(float(r["denominator"]) - float(r["numerator"])))
    points = None if is_missing(s.get("value")) else int(round(float(s["value"])))
    if schools == 0 and not points:
        return ""  # nothing left: the rate's sentence says it
    kind = {"fiber_campus_network_coverage_pct": "fiber", "safe_campus_rate_pct": "safe"}[rate]
    tail = word(f"sections.outside_points_{kind}", p.lang, points=points) if points else ""
    return word(
        "sections.outside_line", p.lang, what=word(f"sections.outside_{kind}", p.lang), schools=schools, tail=tail
    )


def safety(p: Params) -> Section:
    """平安校园 创建率 against 60 % (2023) and 100 % (2024 on), and the schools not yet created."""
    lang = p.lang
    lab = LABELS[lang]
    code = "safe_campus_rate_pct"
    campus = bf.result_rows("campus_status", county=p.county, year=p.year)
    not_safe = campus[campus["is_safe_campus"].eq(False).fillna(False).to_numpy(dtype=bool)]
    by_type = not_safe[not_safe["school_type"] != "teaching_point"].groupby("school_type").size()
    lines = [x for x in (sentence(p, code), _outside_line(p, code, "safe_campus_site_count")) if x]
    if len(by_type):
        parts = [
            word("sections.type_count", lang, type=nv.school_type_name(str(k), lang), n=v) for k, v in by_type.items()
        ]
        lines.append(word("sections.of_which", lang, parts=nv.join(parts, lang)))
    items: list[Any] = [bullets(lines), year_table(p, [code]), bf.trend_figure(p, [code], columns=1)]
    if len(not_safe):
        records = not_safe.sort_values(["school_type", "school_name"]).to_dict("records")
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["type"]: [nv.school_type_name(r["school_type"], lang) for r in records],
            }
        )
        items.append(styled(table, scroll=True))
    return Section(TITLES[lang]["safety"], items)
