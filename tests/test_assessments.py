"""Assessments as the national documents define them: every dimension stated, 达标 only when all are.

Unit tests build small tables by hand (the kindergarten world of test_indicators plus a checklist);
the integration tests read the cleaned sample, whose design has a county that meets 资源配置 but sent
no 督导评估清单 (沧源县 2025), a county with a complete checklist all met (双江县 2025) and a county that
fails a 差异系数 while every school passes (临翔区 2025).
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lcedu.ingest.layout import code_lists, normalize
from lcedu.measure import indicators as ind
from lcedu.measure import standards as std
from lcedu.present.narrative import indicator_sentence, year_label
from tests.test_indicators import YEAR, A, B, kindergarten_world

YEAR_2025 = 2025
CANGYUAN, SHUANGJIANG, LINXIANG = "530927", "530925", "530902"


def _lenient() -> dict:
    """Thresholds the kindergarten world passes on every statistics criterion."""
    s = std.load_standards()
    pu = s["preschool_universal_inclusive"]
    for key in (
        "gross_enrollment_pct",
        "inclusive_coverage_pct",
        "public_enrollment_share_pct",
        "class_size_compliance_pct",
        "certified_staff_pct",
    ):
        pu[key]["value"] = 10
    return s


def _checklist(
    county: str = A, *, recognition: float = 92.0, stated: bool | None = True, not_met: tuple[str, ...] = ()
) -> pd.DataFrame:
    items = ind.checklist_items().query("assessment == 'preschool_universal'")
    rows = []
    for item in items.itertuples():
        row = {
            "county_code": county,
            "year": YEAR,
            "item_code": item.item,
            "is_met": item.item not in not_met,
            "item_value": pd.NA,
            "unit": pd.NA,
            "evidence": f"{item.name_zh}：核查符合要求",
        }
        if item.comparison:
            row |= {"item_value": recognition, "unit": "%", "is_met": stated}
        rows.append(row)
    return pd.DataFrame(rows).astype(
        {
            "county_code": "string",
            "year": "Int64",
            "item_code": "string",
            "is_met": "boolean",
            "item_value": "Float64",
            "unit": "string",
            "evidence": "string",
        }
    )


def _state(tables: dict, county: str = A) -> pd.Series:
    a = ind.assessments("preschool_universal", tables=tables, standards=_lenient())
    return a[a["county_code"] == county].iloc[0]


def test_statistics_met_without_checklist_is_not_assessed():
    row = _state(kindergarten_world())
    assert row["state"] == "未评估" and row["is_met"] is pd.NA
    assert "no checklist" in row["na_reason"]
    dims = ind.assessment_dimensions("preschool_universal", tables=kindergarten_world(), standards=_lenient())
    states = dict(zip(dims["dimension"], dims["state"], strict=True))
    assert states == {"coverage": "达标", "government": "未评估", "quality": "未评估", "recognition": "未评估"}


def test_complete_checklist_all_met_is_met():
    t = kindergarten_world() | {"assessment_checklist": _checklist()}
    row = _state(t)
    assert row["state"] == "达标" and bool(row["is_met"])
    assert row["dimensions_met_count"] == row["dimensions_count"] == 4
    flag = ind.compute("preschool_universal", tables=t, standards=_lenient())
    assert float(flag.loc[flag["county_code"] == A, "value"].iloc[0]) == 1.0


def test_one_item_not_met_fails_its_dimension_and_the_assessment():
    t = kindergarten_world() | {"assessment_checklist": _checklist(not_met=("P-G05",))}
    row = _state(t)
    assert row["state"] == "未达标" and row["unmet_criteria"] == "P-G05"
    dims = ind.assessment_dimensions("preschool_universal", tables=t, standards=_lenient()).set_index("dimension")
    assert dims.loc["government", "state"] == "未达标" and dims.loc["quality", "state"] == "达标"


def test_a_failing_dimension_decides_even_when_another_is_not_assessed():
    t = kindergarten_world()  # the real thresholds: 毛入园率 80 % < 85 % fails 普及普惠水平; no checklist
    row = ind.assessments("preschool_universal", tables=t).query("county_code == @A").iloc[0]
    assert row["state"] == "未达标"


def test_threshold_item_is_judged_by_its_value():
    # 社会认可度 84.9 % < 85 %: not met although the sheet says 达标; the disagreement is noted.
    t = kindergarten_world() | {"assessment_checklist": _checklist(recognition=84.9, stated=True)}
    assert _state(t)["state"] == "未达标"
    crit = ind.assessment_criteria("preschool_universal", tables=t, standards=_lenient())
    s01 = crit[crit["criterion"] == "P-S01"].iloc[0]
    assert not s01["is_met"] and s01["threshold"] == 85 and "按数值判定" in s01["note"]
    # A value without a stated 结果 is enough; 85.0 meets "≥ 85".
    t = kindergarten_world() | {"assessment_checklist": _checklist(recognition=85.0, stated=None)}
    assert _state(t)["state"] == "达标"


def test_a_missing_item_of_a_present_checklist_is_named():
    sheet = _checklist()
    t = kindergarten_world() | {"assessment_checklist": sheet[sheet["item_code"] != "P-Q05"]}
    assert _state(t)["state"] == "未评估"
    crit = ind.assessment_criteria("preschool_universal", tables=t, standards=_lenient())
    assert crit.loc[crit["criterion"] == "P-Q05", "na_reason"].iloc[0] == "checklist lacks item"


def test_city_share_counts_only_fully_assessed_counties():
    t = kindergarten_world()
    # County B: the same kindergartens, but no checklist.
    for name in ("schools", "enrollment", "teachers", "population"):
        other = t[name].assign(county_code=B)
        if "school_id" in other:
            other = other.assign(school_id=other["school_id"] + "B")
        t[name] = pd.concat([t[name], other], ignore_index=True)
    t["assessment_checklist"] = _checklist(A)
    a = ind.assessments("preschool_universal", tables=t, standards=_lenient()).set_index("county_code")
    assert a.loc[A, "state"] == "达标" and a.loc[B, "state"] == "未评估"
    share = ind.compute("preschool_universal_county_share_pct", tables=t, standards=_lenient()).iloc[0]
    assert (share["value"], share["numerator"], share["denominator"]) == (50.0, 1.0, 2.0)
    assert share["na_reason"] is pd.NA  # 未评估 counts as not achieved, it does not make the share unknown


def test_checklist_code_list_matches_the_registry():
    items = set(ind.checklist_items()["item"])
    assert len(items) == len(ind.checklist_items())  # unique codes
    assert set(code_lists()["assessment_item"].values()) == items
    spec = ind.load_registry().assessments
    # The national structure: 优质均衡 15 政府保障 + 9 教育质量 + 1 社会认可度; 资源配置 7 indicators × 2 学段
    # (差异系数) and the two school-rule counts.
    cb = pd.DataFrame(spec["compulsory_balanced"]["criteria"])
    assert cb.groupby("dimension").size().to_dict() == {
        "resources": 16,
        "government": 15,
        "quality": 9,
        "recognition": 1,
    }
    pu = pd.DataFrame(spec["preschool_universal"]["criteria"])
    assert pu.groupby("dimension").size().to_dict() == {"coverage": 3, "government": 9, "quality": 6, "recognition": 1}
    # The standards' thresholds that were unused are applied now.
    used = {c.get("standard") for c in spec["compulsory_balanced"]["criteria"]}
    assert {
        "compulsory_quality_balance.junior_retention_3yr_pct",
        "compulsory_quality_balance.disabled_children_enrollment_pct",
        "compulsory_quality_balance.social_recognition_pct",
    } <= used
    indicators = {c.get("indicator") for c in spec["compulsory_balanced"]["criteria"]}
    assert {"compulsory_school_over_size_cap_count", "compulsory_oversize_class_count"} <= indicators


def test_every_checklist_item_is_documented_for_the_user():
    readme = (Path(__file__).resolve().parents[1] / "data" / "raw" / "README.md").read_text(encoding="utf-8")
    for item in ind.checklist_items().itertuples():
        assert f"| {item.item} |" in readme and item.name_zh in readme, item.item


def _write_sheet(path: Path, rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "督导评估清单"
    for r in rows:
        ws.append(r)
    wb.save(path)


HEADER = ["县(区)", "评估", "维度", "编号", "评估内容", "结果", "数值", "单位", "佐证材料及说明"]


def test_checklist_workbook_is_read(tmp_path: Path):
    from lcedu.ingest.clean import collect

    _write_sheet(
        tmp_path / "raw" / "county" / "2024" / "督导评估清单_2024.xlsx",
        [
            ["临沧市督导评估清单"],
            HEADER,
            ["双江自治县", "义务教育优质均衡", "社会认可度", "y-s01", "社会认可度", "达标", 91.2, "%", "问卷2000份"],
            ["530902", "义务教育优质均衡", "政府保障程度", "Y-G11", "教师交流轮岗", "未达标", None, None, "轮岗比例8%"],
        ],
    )
    result = collect(tmp_path / "raw", workers=1, partial=True)
    assert not result.errors, result.errors
    sheet = result.tables["assessment_checklist"].sort_values("county_code")
    assert list(sheet["county_code"]) == ["530902", "530925"] and list(sheet["item_code"]) == ["Y-G11", "Y-S01"]
    assert list(sheet["is_met"]) == [False, True] and float(sheet["item_value"].iloc[1]) == 91.2


def test_checklist_errors_name_file_sheet_row_column_and_fix(tmp_path: Path):
    from lcedu.ingest.clean import collect

    _write_sheet(
        tmp_path / "raw" / "county" / "2024" / "督导评估清单_2024.xlsx",
        [
            HEADER,
            ["双江县", "义务教育优质均衡", "政府保障程度", "Y-G99", "？", "达标", None, None, ""],
            ["双江县", "义务教育优质均衡", "政府保障程度", "Y-G01", "规划布局", "基本达标", None, None, ""],
        ],
    )
    result = collect(tmp_path / "raw", workers=1, partial=True)
    errors = {e.column: e for e in result.errors}
    assert {"编号", "结果"} <= set(errors)
    unknown = errors["编号"]
    assert unknown.file.endswith("督导评估清单_2024.xlsx") and unknown.sheet == "督导评估清单" and unknown.row == 2
    assert "Y-G99" in unknown.message and unknown.fix
    assert errors["结果"].row == 3 and "达标" in errors["结果"].fix


def test_an_item_without_result_or_value_is_an_error(tmp_path: Path):
    from lcedu.ingest.clean import collect
    from lcedu.ingest.schemas import finalize

    _write_sheet(
        tmp_path / "raw" / "county" / "2024" / "督导评估清单_2024.xlsx",
        [
            HEADER,
            ["双江县", "义务教育优质均衡", "政府保障程度", "Y-G01", "规划布局", "达标", None, None, ""],
            ["双江县", "义务教育优质均衡", "社会认可度", "Y-S01", "社会认可度", None, None, "%", "问卷未开展"],
        ],
    )
    result = collect(tmp_path / "raw", workers=1, partial=True)
    assert not result.errors
    finalize(result.tables, result.issues)
    errors = [i for i in result.issues if i.level == "error"]
    assert len(errors) == 1 and errors[0].row == 3 and errors[0].file.endswith("督导评估清单_2024.xlsx")
    assert "既无结果也无数值" in errors[0].message


def test_duplicate_item_is_an_error(tmp_path: Path):
    from lcedu.ingest.clean import collect

    row = ["双江县", "义务教育优质均衡", "政府保障程度", "Y-G01", "规划布局", "达标", None, None, ""]
    _write_sheet(tmp_path / "raw" / "county" / "2024" / "督导评估清单_2024.xlsx", [HEADER, row, row])
    result = collect(tmp_path / "raw", workers=1, partial=True)
    assert any("重复" in e.message and e.row == 3 for e in result.errors)


# --------------------------------------------------------------------------- the sample


def test_sample_county_with_resources_met_but_no_checklist(sample_tables):
    dims = ind.assessment_dimensions("compulsory_balanced", tables=sample_tables)
    cangyuan = dims[(dims["county_code"] == CANGYUAN) & (dims["year"] == YEAR_2025)].set_index("dimension")
    assert cangyuan.loc["resources", "state"] == "达标"
    assert "assessment_checklist" in sample_tables
    listed = sample_tables["assessment_checklist"]
    assert listed[(listed["county_code"] == CANGYUAN) & (listed["year"] == YEAR_2025)].empty
    assert set(cangyuan.loc[["government", "quality", "recognition"], "state"]) == {"未评估"}
    a = ind.assessments("compulsory_balanced", tables=sample_tables)
    row = a[(a["county_code"] == CANGYUAN) & (a["year"] == YEAR_2025)].iloc[0]
    assert row["state"] == "未评估" and row["is_met"] is pd.NA


def test_sample_city_share_excludes_counties_not_fully_assessed(sample_tables):
    a = ind.assessments("compulsory_balanced", tables=sample_tables)
    a = a[a["year"] == YEAR_2025]
    share = ind.compute("compulsory_balanced_county_share_pct", years=YEAR_2025, tables=sample_tables).iloc[0]
    achieved = set(a.loc[a["state"] == "达标", "county_code"])
    assert CANGYUAN not in achieved and SHUANGJIANG in achieved
    assert share["numerator"] == len(achieved) and share["denominator"] == 8
    assert share["value"] == pytest.approx(100 * len(achieved) / 8)


def test_sample_complete_checklist_all_met_is_met(sample_tables):
    listed = sample_tables["assessment_checklist"]
    mine = listed[(listed["county_code"] == SHUANGJIANG) & (listed["year"] == YEAR_2025)]
    assert len(mine) == len(ind.checklist_items()) and mine["is_met"].all()
    a = ind.assessments(tables=sample_tables)
    rows = a[(a["county_code"] == SHUANGJIANG) & (a["year"] == YEAR_2025)]
    assert set(rows["state"]) == {"达标"}


def test_sample_has_a_county_failing_a_cv_criterion(sample_tables):
    crit = ind.assessment_criteria("compulsory_balanced", tables=sample_tables)
    cv = crit[crit["criterion"].str.endswith("_cv")]
    failing = cv[cv["is_met"] == False]  # noqa: E712
    assert len(failing), "no county fails a 差异系数 criterion"
    # 临翔区 2025: every primary school passes the 6-of-7 rule, yet the equipment 差异系数 exceeds 0.50.
    lx = crit[(crit["county_code"] == LINXIANG) & (crit["year"] == YEAR_2025)].set_index("criterion")
    assert lx.loc["primary_resource_failing_school_count", "value"] == 0
    equipment = lx.loc["primary_equipment_value_per_student_yuan_cv"]
    assert float(equipment["value"]) > float(equipment["threshold"]) == 0.5 and not equipment["is_met"]
    dims = ind.assessment_dimensions("compulsory_balanced", tables=sample_tables)
    resources = dims[
        (dims["county_code"] == LINXIANG) & (dims["year"] == YEAR_2025) & (dims["dimension"] == "resources")
    ].iloc[0]
    assert (
        resources["state"] == "未达标" and resources["unmet_criteria"] == "primary_equipment_value_per_student_yuan_cv"
    )


# --------------------------------------------------------------------------- pages


_ACHIEVED = re.compile(r"实现|已达到|总体达标")


def test_briefing_never_calls_a_partly_assessed_county_achieved(processed_sample: Path):
    from lcedu.present import briefing as bf
    from lcedu.present import sections

    p = bf.params(CANGYUAN, YEAR_2025)
    line = bf.assessment_line(p, "compulsory_balanced")
    assert "总体未评估" in line and "资源配置达标" in line and "政府保障程度未评估" in line
    assert not _ACHIEVED.search(line), line
    en = bf.assessment_line(bf.params(CANGYUAN, YEAR_2025, lang="en"), "compulsory_balanced")
    assert "overall not assessed" in en and "reached" not in en
    texts = [bf.briefing_overview(p), sections.compulsory_overview(p)]
    words = " ".join(
        item.to_html() if hasattr(item, "to_html") else str(item)
        for s in texts
        for item in s.items
        if isinstance(item, str) or hasattr(item, "to_html")
    )
    assert "督导评估清单" in words and "未评估" in words
    assert "未评估：无督导评估清单" in words
    assert not re.search(r"实现(县域)?(义务教育|学前教育)|义务教育优质均衡：总体达标|已达到", words)
    card = bf.county_card(p, ["compulsory_balanced"])
    sentence = indicator_sentence(card.iloc[0].to_dict())
    assert "未评估" in sentence and not _ACHIEVED.search(sentence), sentence
    # The fully assessed county says every dimension.
    met = bf.assessment_line(bf.params(SHUANGJIANG, YEAR_2025), "compulsory_balanced")
    assert "总体达标（4个维度均已评估且达标）" in met


def test_workbook_states_each_dimension(processed_sample: Path, tmp_path: Path):
    from lcedu.present import workbooks

    path = tmp_path / "cangyuan.xlsx"
    workbooks.write_county_workbook(CANGYUAN, YEAR_2025, path)
    wb = openpyxl.load_workbook(path)
    # Every verdict sheet; 来源与数据说明 quotes the plan's own sentences (计划原文 "…实现县域义务教育优质均衡").
    every = [
        str(c.value)
        for ws in wb.worksheets
        if ws.title != "来源与数据说明"
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]
    assert every and not any("实现" in v and ("优质均衡" in v or "普及普惠" in v) for v in every)
    summary = wb["达标评估"]
    header = [c.value for c in summary[1]]
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in summary.iter_rows(min_row=2)]
    row = next(r for r in rows if r["评估"] == "义务教育优质均衡" and r["学年初"] == year_label(YEAR_2025, short=True))
    assert row["总体结果(全部维度评估且达标才为达标)"] == "未评估" and "督导评估清单" in row["未评估原因"]
    dims = wb["评估维度"]
    header = [c.value for c in dims[1]]
    states = {
        (r[2], r[3]): r[4]
        for r in (tuple(c.value for c in row) for row in dims.iter_rows(min_row=2))
        if r[header.index("年份")] == YEAR_2025
    }
    assert states[("义务教育优质均衡", "资源配置")] == "达标"
    assert states[("义务教育优质均衡", "政府保障程度")] == "未评估"
    card = wb["指标总览"]
    header = [c.value for c in card[1]]
    rows = [
        r for r in card.iter_rows(min_row=2, values_only=True) if r[header.index("指标代码")] == "compulsory_balanced"
    ]
    assert rows and all(r[header.index("状态")] == "未评估" for r in rows)
    assert all("未评估" in r[header.index("缺失原因")] for r in rows)


def test_city_share_table_says_fully_assessed(processed_sample: Path):
    from lcedu.present import briefing as bf

    section = bf.city_share_targets(bf.params("530900", YEAR_2025, scope="city"))
    html = "".join(item.to_html() if hasattr(item, "to_html") else str(item) for item in section.items)
    assert "全部维度评估且达标的县" in html and "未评估的县" in html
    assert normalize("沧源") in normalize(html)
