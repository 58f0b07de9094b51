"""强师兴校: teachers' qualifications, the “four famous” programme, staffing norms and shortage subjects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import standards as std
from lcedu.measure.teachers import QUALIFICATION_COLUMNS
from lcedu.present import briefing as bf
from lcedu.present import charts
from lcedu.present import narrative as nv
from lcedu.present.briefing import (
    LABELS,
    Params,
    Section,
    bullets,
    sentence,
    styled,
    synthetic_note,
)
from lcedu.present.narrative import fmt_value, is_missing
from lcedu.present.sections.common import TITLES, contribution_table, count_cell, pct_text
from lcedu.present.words import table, word


def teacher_qualifications(p: Params) -> Section:
    """学历 structure of full-time teachers by 学段, and the rural 本科 share against 86 %."""
    lang = p.lang
    lab = LABELS[lang]
    q = bf.result_rows("teacher_qualifications", county=p.county, year=p.year).set_index("stage")
    order = [s for s in ("kindergarten", "primary", "junior", "senior", "vocational", "special") if s in q.index]
    q = q.reindex(order)
    names = tuple(table("qualification_levels", lang).values())  # in QUALIFICATION_COLUMNS' order
    frame = pd.DataFrame({lab["stage"]: [nv.stage_name(s, lang) for s in order]})
    for col, name in zip(QUALIFICATION_COLUMNS, names, strict=True):
        share = col.removesuffix("_count") + "_share_pct"
        frame[name] = [
            word(
                "sections.count_with_share",
                lang,
                count=fmt_value(v, "people", lang, with_unit=False),
                share=pct_text(s, lang),
            )
            for v, s in zip(q[col], q[share], strict=True)
        ]
    shares = q[[c.removesuffix("_count") + "_share_pct" for c in QUALIFICATION_COLUMNS]].astype(float)
    chart_frame = shares.set_axis(list(names), axis=1).set_axis([nv.stage_name(s, lang) for s in order], axis=0)
    title = word("sections.qualifications_title", lang, name=p.name, year=nv.year_label(p.year, lang))
    fig = charts.stacked_shares(chart_frame.iloc[::-1], lang=lang, title=title, note=synthetic_note(lang))
    lines = [sentence(p, "rural_compulsory_teacher_bachelor_pct")]
    return Section(
        TITLES[lang]["qualifications"],
        [
            bullets(lines),
            styled(frame, right=list(names)),
            fig,
            bf.trend_figure(p, ["rural_compulsory_teacher_bachelor_pct"], columns=1),
        ],
    )


FAMOUS = (
    "famous_principal_count",
    "principal_studio_count",
    "famous_head_teacher_count",
    "famous_teacher_count",
    "famous_student_count",
)


def teacher_famous(p: Params) -> Section:
    """名校长 / 名班主任 / 名教师 / 名学生: the county's count and its prefecture's against the 2025 targets."""
    lang = p.lang
    lines = [sentence(p, code, county=bf.page_prefecture(p)) for code in FAMOUS]
    frame = contribution_table(p, [*FAMOUS, "talent_recruited_count"])
    intro = word("sections.famous_intro", lang)
    if not bf.in_plan_region(p):
        where = bf.prefecture_word(p)
        intro = word("sections.famous_intro_outside", lang, where=where, note=bf.no_targets_note(p))
    return Section(TITLES[lang]["famous"], [intro, frame, bullets(lines)])


def teacher_staffing(p: Params) -> Section:
    """Students per 教职工 against the 编制 norms (小学 1:19, 初中 1:13.5, 高中 1:12.5) and 生师比."""
    lang = p.lang
    lab = LABELS[lang]
    norms = std.load_staffing_norms()["staff_student_ratio"]
    staffing = bf.result_rows("staffing_against_norms", county=p.county, year=p.year)
    per_staff_col = word("sections.staff_per_staff", lang)
    difference_col = word("sections.staff_difference", lang)
    rows = [_staffing_row(r, lab, lang) for r in staffing.to_dict("records")]
    panel = [
        {
            "label": nv.stage_name(str(r["stage"]), lang),
            "value": np.nan if is_missing(r["students_per_staff"]) else float(r["students_per_staff"]),
            "reference": float(r["norm_students_per_staff"]),
            "is_met": r["is_within_norm"],
        }
        for r in staffing.to_dict("records")
    ]
    frame = pd.DataFrame(rows)
    difference = staffing["staff_difference"].to_numpy(dtype=float, na_value=np.nan)
    flags = pd.DataFrame(
        {
            per_staff_col: staffing["is_within_norm"].to_numpy(),
            difference_col: pd.array(np.where(np.isnan(difference), np.nan, difference >= 0), dtype="Float64").astype(
                "boolean"
            ),
        }
    )
    fig = charts.reference_bars(
        {word("sections.staff_chart", lang): pd.DataFrame(panel)},
        direction="lower",
        unit="students per staff member",
        lang=lang,
        reference_label=word("sections.staff_norm", lang),
        note=synthetic_note(lang),
    )
    short = [r[lab["stage"]] for r, f in zip(rows, flags.iloc[:, 0], strict=True) if not is_missing(f) and not f]
    verdict = (
        word("sections.staff_short", lang, stages=nv.join(short, lang))
        if short
        else word("sections.staff_all_met", lang)
    )
    note = word("sections.staff_note", lang, document=norms["document"], verdict=verdict)
    return Section(TITLES[lang]["staffing"], [note, styled(frame, flags=flags, right=list(frame.columns[1:])), fig])


def _staffing_row(r: dict, lab: dict[str, str], lang: str) -> dict[str, str]:
    """One 学段's staffing against the norm, as a table row."""
    stage = str(r["stage"])
    return {
        lab["stage"]: nv.stage_name(stage, lang),
        lab["students"]: fmt_value(r["student_count"], "students", lang, with_unit=False),
        word("sections.staff_staff", lang): fmt_value(r["staff_count"], "people", lang, with_unit=False),
        word("sections.staff_teachers", lang): fmt_value(r["full_time_teacher_count"], "people", lang, with_unit=False),
        word("sections.staff_per_teacher", lang): fmt_value(
            r["students_per_teacher"], "students per teacher", lang, with_unit=False
        ),
        word("sections.staff_per_staff", lang): fmt_value(
            r["students_per_staff"], "students per staff member", lang, with_unit=False
        ),
        word("sections.staff_norm", lang): f"1:{float(r['norm_students_per_staff']):g}",
        word("sections.staff_required", lang): fmt_value(r["staff_required"], "people", lang, with_unit=False),
        word("sections.staff_difference", lang): (
            "—" if is_missing(r["staff_difference"]) else f"{float(r['staff_difference']):+,.0f}"
        ),
    }


def teacher_shortage(p: Params) -> Section:
    """Schools with no PE, music or art teacher (primary and junior school parts)."""
    lang = p.lang
    lab = LABELS[lang]
    per_school = bf.result_rows("subject_teachers", county=p.county, year=p.year)
    summary_rows = bf.result_rows("subject_teacher_summary", county=p.county, year=p.year)  # stored in the build
    subjects = table("teacher_subjects", lang)  # column → 体育 / PE …
    summary = pd.DataFrame(
        [
            {
                lab["type"]: nv.school_type_name(str(r["school_type"]), lang),
                word("sections.shortage_schools", lang): str(int(r["school_count"])),
                **{
                    word("sections.no_subject_teacher", lang, subject=subject): str(
                        int(r[f"lacks_{col.removesuffix('_count')}_count"])
                    )
                    for col, subject in subjects.items()
                },
            }
            for r in summary_rows.to_dict("records")
        ]
    )
    lacking = {col: int(summary_rows[f"lacks_{col.removesuffix('_count')}_count"].sum()) for col in subjects}
    any_missing = per_school["lacks_any"].fillna(False).to_numpy(dtype=bool)
    is_point = (per_school["school_type"] == "teaching_point").to_numpy(dtype=bool, na_value=False)
    listed = per_school[any_missing & ~is_point]
    n_points = int((any_missing & is_point).sum())
    lines = [
        word(
            "sections.shortage_line",
            lang,
            name=p.name,
            year=nv.year_label(p.year, lang),
            pe=lacking["pe_teacher_count"],
            music=lacking["music_teacher_count"],
            art=lacking["art_teacher_count"],
            points=n_points,
        ),
        sentence(p, "talent_recruited_count"),
    ]
    items: list[Any] = [bullets(lines), styled(summary, right=list(summary.columns[1:]))]
    if len(listed):
        records = listed.to_dict("records")
        frame = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["type"]: [nv.school_type_name(r["school_type"], lang) for r in records],
                **{subject: [count_cell(r[col], lang) for r in records] for col, subject in subjects.items()},
            }
        )
        flags = pd.DataFrame(
            {
                subject: [None if is_missing(r[col]) else r[col] > 0 for r in records]
                for col, subject in subjects.items()
            }
        )
        caption = word("sections.shortage_caption", lang)
        items.append(styled(frame, flags=flags, caption=caption, scroll=True))
    return Section(TITLES[lang]["shortage"], items)
