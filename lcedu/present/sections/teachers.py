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

_QUALIFICATION_NAMES = {
    "zh": ("研究生", "本科", "专科", "专科以下"),
    "en": ("Postgraduate", "Bachelor", "Associate", "Below associate"),
}


def teacher_qualifications(p: Params) -> Section:
    """学历 structure of full-time teachers by 学段, and the rural 本科 share against 86 %."""
    lang = p.lang
    lab = LABELS[lang]
    q = bf.result_rows("teacher_qualifications", county=p.county, year=p.year).set_index("stage")
    order = [s for s in ("kindergarten", "primary", "junior", "senior", "vocational", "special") if s in q.index]
    q = q.reindex(order)
    names = _QUALIFICATION_NAMES[lang]
    table = pd.DataFrame({lab["stage"]: [nv.stage_name(s, lang) for s in order]})
    for col, name in zip(QUALIFICATION_COLUMNS, names, strict=True):
        share = col.removesuffix("_count") + "_share_pct"
        table[name] = [
            f"{fmt_value(v, 'people', lang, with_unit=False)}（{pct_text(s, lang)}）"
            if lang == "zh"
            else f"{fmt_value(v, 'people', lang, with_unit=False)} ({pct_text(s, lang)})"
            for v, s in zip(q[col], q[share], strict=True)
        ]
    shares = q[[c.removesuffix("_count") + "_share_pct" for c in QUALIFICATION_COLUMNS]].astype(float)
    chart_frame = shares.set_axis(list(names), axis=1).set_axis([nv.stage_name(s, lang) for s in order], axis=0)
    title = (
        f"{p.name}{nv.year_label(p.year)}专任教师学历结构"
        if lang == "zh"
        else f"{p.name}: teacher qualifications, {nv.year_label(p.year, lang)}"
    )
    fig = charts.stacked_shares(chart_frame.iloc[::-1], lang=lang, title=title, note=synthetic_note(lang))
    lines = [sentence(p, "rural_compulsory_teacher_bachelor_pct")]
    return Section(
        TITLES[lang]["qualifications"],
        [
            bullets(lines),
            styled(table, right=list(names)),
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
    table = contribution_table(p, [*FAMOUS, "talent_recruited_count"])
    intro = (
        "“四名工程”目标为全市目标，下表给出本县人数、全市合计及全市完成度。"
        if lang == "zh"
        else "The “four famous” targets are city-wide: the table gives the county's count, the city total and the "
        "city's progress."
    )
    if not bf.in_plan_region(p):
        where = bf.prefecture_word(p)
        intro = (
            f"下表给出本县人数及{where}合计。{bf.no_targets_note(p)}"
            if lang == "zh"
            else f"The table gives the county's count and the {where} total. {bf.no_targets_note(p)}"
        )
    return Section(TITLES[lang]["famous"], [intro, table, bullets(lines)])


def teacher_staffing(p: Params) -> Section:
    """Students per 教职工 against the 编制 norms (小学 1:19, 初中 1:13.5, 高中 1:12.5) and 生师比."""
    lang = p.lang
    lab = LABELS[lang]
    norms = std.load_staffing_norms()["staff_student_ratio"]
    staffing = bf.result_rows("staffing_against_norms", county=p.county, year=p.year)
    per_staff_col = "学生/教职工" if lang == "zh" else "Students per staff"
    difference_col = "差额" if lang == "zh" else "Difference"
    rows, panel = [], []
    for r in staffing.to_dict("records"):
        stage = str(r["stage"])
        rows.append(
            {
                lab["stage"]: nv.stage_name(stage, lang),
                lab["students"]: fmt_value(r["student_count"], "students", lang, with_unit=False),
                ("教职工" if lang == "zh" else "Staff"): fmt_value(r["staff_count"], "people", lang, with_unit=False),
                ("专任教师" if lang == "zh" else "Full-time teachers"): fmt_value(
                    r["full_time_teacher_count"], "people", lang, with_unit=False
                ),
                ("生师比(学生/专任教师)" if lang == "zh" else "Students per teacher"): fmt_value(
                    r["students_per_teacher"], "students per teacher", lang, with_unit=False
                ),
                per_staff_col: fmt_value(r["students_per_staff"], "students per staff member", lang, with_unit=False),
                ("编制标准" if lang == "zh" else "Staffing norm"): f"1:{float(r['norm_students_per_staff']):g}",
                ("按标准应配教职工" if lang == "zh" else "Staff required by norm"): fmt_value(
                    r["staff_required"], "people", lang, with_unit=False
                ),
                difference_col: "—" if is_missing(r["staff_difference"]) else f"{float(r['staff_difference']):+,.0f}",
            }
        )
        panel.append(
            {
                "label": nv.stage_name(stage, lang),
                "value": np.nan if is_missing(r["students_per_staff"]) else float(r["students_per_staff"]),
                "reference": float(r["norm_students_per_staff"]),
                "is_met": r["is_within_norm"],
            }
        )
    table = pd.DataFrame(rows)
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
        {("每名教职工对应学生数" if lang == "zh" else "Students per staff member"): pd.DataFrame(panel)},
        direction="lower",
        unit="students per staff member",
        lang=lang,
        reference_label="编制标准" if lang == "zh" else "Staffing norm",
        note=synthetic_note(lang),
    )
    short = [r[lab["stage"]] for r, f in zip(rows, flags.iloc[:, 0], strict=True) if not is_missing(f) and not f]
    note = (
        f"编制标准为教职工与学生比（{norms['document']}），与生师比（在校生÷专任教师）是两个口径，分列显示。"
        + (f"按标准，{nv.join(short, lang)}教职工不足。" if short else "各学段教职工均达到编制标准。")
        if lang == "zh"
        else f"The norm is staff to students ({norms['document']}); the student–teacher ratio (students ÷ full-time "
        "teachers) is a different measure and shown apart. "
        + (f"By the norm, {nv.join(short, lang)} are short of staff." if short else "Every stage meets the norm.")
    )
    return Section(TITLES[lang]["staffing"], [note, styled(table, flags=flags, right=list(table.columns[1:])), fig])


def teacher_shortage(p: Params) -> Section:
    """Schools with no PE, music or art teacher (primary and junior school parts)."""
    lang = p.lang
    lab = LABELS[lang]
    per_school = bf.result_rows("subject_teachers", county=p.county, year=p.year)
    summary_rows = bf.result_rows("subject_teacher_summary", county=p.county, year=p.year)  # stored in the build
    subjects = {
        "pe_teacher_count": ("体育", "PE"),
        "music_teacher_count": ("音乐", "Music"),
        "art_teacher_count": ("美术", "Art"),
    }
    summary = pd.DataFrame(
        [
            {
                lab["type"]: nv.school_type_name(str(r["school_type"]), lang),
                ("学校数" if lang == "zh" else "Schools"): str(int(r["school_count"])),
                **{
                    (f"无{zh}教师" if lang == "zh" else f"No {en} teacher"): str(
                        int(r[f"lacks_{col.removesuffix('_count')}_count"])
                    )
                    for col, (zh, en) in subjects.items()
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
        (
            f"{p.name}{nv.year_label(p.year)}中小学（含教学点）中，缺体育教师的{lacking['pe_teacher_count']}所、"
            f"缺音乐教师的{lacking['music_teacher_count']}所、缺美术教师的{lacking['art_teacher_count']}所"
            f"（其中教学点{n_points}所，多由中心校走教）。"
            if lang == "zh"
            else f"{p.name}, {nv.year_label(p.year, lang)}: {lacking['pe_teacher_count']} primary/junior schools "
            "(incl. teaching points) "
            f"have no PE teacher, {lacking['music_teacher_count']} no music teacher and "
            f"{lacking['art_teacher_count']} no art teacher ({n_points} of them teaching points)."
        ),
        sentence(p, "talent_recruited_count"),
    ]
    items: list[Any] = [bullets(lines), styled(summary, right=list(summary.columns[1:]))]
    if len(listed):
        records = listed.to_dict("records")
        table = pd.DataFrame(
            {
                lab["school"]: [r["school_name"] for r in records],
                lab["type"]: [nv.school_type_name(r["school_type"], lang) for r in records],
                **{
                    (zh if lang == "zh" else en): [count_cell(r[col], lang) for r in records]
                    for col, (zh, en) in subjects.items()
                },
            }
        )
        flags = pd.DataFrame(
            {
                (zh if lang == "zh" else en): [None if is_missing(r[col]) else r[col] > 0 for r in records]
                for col, (zh, en) in subjects.items()
            }
        )
        caption = (
            "缺少体育、音乐或美术教师的学校（不含教学点；橙色为0人）"
            if lang == "zh"
            else "Schools missing a PE, music or art teacher (teaching points not listed; orange = none)"
        )
        items.append(styled(table, flags=flags, caption=caption, scroll=True))
    return Section(TITLES[lang]["shortage"], items)
