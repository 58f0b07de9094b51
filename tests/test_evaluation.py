"""The 终期评估 documents, a second plan through the suite, and the plan tools on the command line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lcedu import cli
from lcedu.ingest import counties
from lcedu.measure import evaluation as ev
from lcedu.measure import indicators as ind
from lcedu.measure.plan import get_plan, list_plans, load_plan, load_targets
from lcedu.measure.scorecard import scorecard
from lcedu.present import narrative as nv

REPO = Path(__file__).resolve().parents[1]
TEST_PLAN = REPO / "tests" / "data" / "plans" / "next_plan_test"
DEFAULT_DIR = REPO / "lcedu" / "plans" / "lincang_2023_2025"
HEADINGS = [
    "一、总体情况",
    "二、各项任务完成情况",
    "三、存在的问题",
    "四、下一步建议",
    "附表　目标完成情况总表",
    "附图",
]


def _docx():
    return pytest.importorskip("docx")


@pytest.fixture(scope="module")
def written(processed_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from lcedu.publish import evaluation

    out = tmp_path_factory.mktemp("evaluation")
    default = evaluation.write_evaluation(None, None, out / "default", counties=["530925", "530902"], pdf=False)
    second = evaluation.write_evaluation(TEST_PLAN, 2025, out / "second", counties=["530902"], pdf=False)
    return {p.parent.name + "/" + p.stem: p for p in [*default, *second]}


@pytest.fixture(scope="module")
def default_card(processed_sample: Path) -> pd.DataFrame:
    return scorecard()


def _paragraphs(path: Path) -> list[str]:
    return [p.text for p in _docx().Document(str(path)).paragraphs if p.text.strip()]


def _annex(path: Path) -> pd.DataFrame:
    """The 附表 (the last table with a 计划条款 column) as a frame of its cell texts, with the indicator
    code looked up from the plan by the 指标 name (the document shows no codes)."""
    doc = _docx().Document(str(path))
    table = next(t for t in reversed(doc.tables) if "计划条款" in [c.text for c in t.rows[0].cells])
    cells = [[c.text for c in row.cells] for row in table.rows]
    annex = pd.DataFrame(cells[1:], columns=cells[0])
    codes = load_targets().drop_duplicates("name_zh").set_index("name_zh")["indicator"]
    return annex.assign(indicator=annex["指标"].map(codes))


def _all_text(path: Path) -> str:
    """Every text a reader sees: paragraphs, table cells, headers and footers of every section."""
    doc = _docx().Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for section in doc.sections:
        parts += [p.text for part in (section.header, section.footer) for p in part.paragraphs]
    return "\n".join(parts)


def _target_year(text: str) -> int:
    return int(text.rsplit("（", 1)[1][:4])


# --------------------------------------------------------------------------- the documents


def test_city_and_county_documents_have_the_bureau_structure(written):
    for key in ("default/evaluation_530900", "default/evaluation_530925"):
        texts = _paragraphs(written[key])
        positions = [texts.index(h) for h in HEADINGS]
        assert positions == sorted(positions), f"{key}: sections out of order"
        assert "终期评估报告" in texts[1] and "临沧市教育高质量发展三年行动计划" in texts[1]
        assert any("合成样例数据，非官方统计" in t for t in texts[:8]), "synthetic-data notice on the cover"
        assert any(t.startswith("附图1") for t in texts)
    county = _paragraphs(written["default/evaluation_530925"])
    assert county[0] == counties.name("530925") == "双江自治县"
    doc = _docx().Document(str(written["default/evaluation_530925"]))
    assert len(doc.inline_shapes) >= 3, "the status and progress maps are embedded"


def test_every_target_of_the_plan_is_in_the_city_annex(written, processed_sample):
    annex = _annex(written["default/evaluation_530900"])
    targets = load_targets()
    status = ev.target_status()
    assert len(annex) == len(status)
    assert "指标代码" not in annex.columns, "no internal code column"
    assert set(annex["indicator"]) == set(targets["indicator"])
    for row in targets.drop_duplicates("entry").itertuples():
        assert row.name_zh in set(annex["指标"]), f"entry #{row.entry} {row.indicator} missing"
    assert set(annex["结论"]) <= {"达标", "未达标", "无数据", "未评估", "定性目标"}
    # 定性目标 (取得实质性进展, 稳居全省前列) are on the record, never judged.
    assert (annex["结论"] == "定性目标").sum() == (status["status"] == "qualitative").sum() >= 4
    # 未评估: an assessment with a dimension not assessed (沧源县 2025 sent no 督导评估清单), a kind of no data.
    not_assessed = status["na_reason"].fillna("").str.startswith("not assessed: ")
    assert (annex["结论"] == "未评估").sum() == ((status["status"] == "no_data") & not_assessed).sum() > 0
    assert (annex["结论"] == "无数据").sum() == ((status["status"] == "no_data") & ~not_assessed).sum() > 0


def test_annex_values_equal_the_scorecard(written, default_card):
    card = default_card.set_index(["county_code", "indicator", "year"])
    names = {nv.place_name(c, "zh"): c for c in set(default_card["county_code"])}
    checked = 0
    for key in ("default/evaluation_530900", "default/evaluation_530925"):
        annex = _annex(written[key])
        for r in annex.itertuples(index=False):
            code, county, year = r[annex.columns.get_loc("indicator")], names[r[2]], _target_year(r[3])
            shown = r[annex.columns.get_loc("目标年份值")]
            if (county, code, year) not in card.index:
                verdict = r[annex.columns.get_loc("结论")]
                assert (verdict == "无数据" and "未纳入统计指标" in shown) or verdict == "定性目标", (code, shown)
                continue
            row = card.loc[(county, code, year)]
            value = row["value"]
            if pd.isna(value):  # 未评估: an assessment with a dimension not assessed (no 督导评估清单)
                assessed = not str(row["na_reason"]).startswith("not assessed: ")
                assert r[annex.columns.get_loc("结论")] == ("无数据" if assessed else "未评估")
            else:
                # The scorecard's value, with the unit's decimals or the more it needs beside its target.
                assert shown in {
                    nv.fmt_value(value, str(row["unit"]), "zh", thresholds=t) for t in (None, nv.row_thresholds(row))
                }, (county, code, year)
                checked += 1
            if not pd.isna(row["is_met"]):  # the scorecard's own verdict where it carries this target
                assert r[annex.columns.get_loc("结论")] == ("达标" if row["is_met"] else "未达标"), (county, code)
    assert checked > 60


def test_county_document_holds_only_its_targets(written):
    annex = _annex(written["default/evaluation_530925"])
    assert set(annex["县(区)"]) == {counties.name("530925")}
    status = ev.target_status()
    assert len(annex) == (status["county_code"] == "530925").sum()


def test_problems_and_advice_come_from_the_latest_state(written):
    texts = _paragraphs(written["default/evaluation_530900"])
    problems = texts[texts.index("三、存在的问题") + 1 : texts.index("四、下一步建议")]
    status = ev.target_status()
    # Open = the latest due point of a target not met, and not reached since: never a closed earlier shortfall.
    still = ev.current_problems(status)
    groups = still.groupby(["entry", "target_year"]).ngroups
    assert problems[0].startswith(f"截至2025/26学年初，仍未达到的目标{groups}项（涉及{len(still)}个评估点）")
    worst = still[still["relative_gap_now"] == still["relative_gap_now"].max()]  # ties in any order
    assert any(problems[1].startswith(f"1. {name}") for name in worst["name_zh"]), problems[1]
    assert "2025/26学年初" in problems[1]  # the latest value is quoted, not the target year's
    late = ev.late_progress(status)
    if len(late):  # missed in its year, reached since: 进展, never 达标
        progress = next(t for t in problems if t.startswith("进展"))
        r = late.iloc[0]
        assert f"{int(r['target_year'])}年目标未按期达成" in progress and "已达" in progress
    advice = texts[texts.index("四、下一步建议") + 1 : texts.index("附表　目标完成情况总表")]
    assert advice[0].startswith("按2025/26学年初数据测算")
    assert any("约需" in a or "估算" in a for a in advice)


def test_closing_needs_are_the_latest_gaps(processed_sample):
    from lcedu.measure.results import load_results

    status = ev.target_status()
    needs = ev.closing_needs(status, 2025, ind.load_tables(), load_results()["indicator_results"])
    open_keys = set(
        zip(*(ev.current_problems(status)[k] for k in ("entry", "county_code", "target_year")), strict=True)
    )
    assert len(needs) and set(zip(needs["entry"], needs["county_code"], needs["target_year"], strict=True)) <= open_keys
    # The build stores them (target_needs, as of every year): the documents only word them.
    stored = load_results()["target_needs"]
    stored = stored[stored["as_of_year"] == 2025].drop(columns="as_of_year").reset_index(drop=True)
    assert stored[["entry", "county_code", "indicator", "phrase_zh"]].values.tolist() == (
        needs[["entry", "county_code", "indicator", "phrase_zh"]].values.tolist()
    )


def test_a_year_without_data_is_refused(processed_sample, tmp_path, capsys):
    assert cli.main(["evaluate", "--year", "2031", "--out", str(tmp_path), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "2031年没有数据" in err and "2022, 2023, 2024, 2025" in err and "Traceback" not in err
    # The made-up plan ends in 2029: its default (final) year is refused the same way.
    assert cli.main(["evaluate", "--plan", str(TEST_PLAN), "--out", str(tmp_path), "--no-pdf"]) == 2
    assert "2029年没有数据" in capsys.readouterr().err
    assert not list(tmp_path.iterdir()), "nothing written"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (.ci/run installs it)")
def test_libreoffice_converts_the_documents_without_error(written, tmp_path):
    from lcedu.publish.evaluation import to_pdf

    docs = [written["default/evaluation_530900"], written["second/evaluation_530902"]]
    pdfs = to_pdf(docs, tmp_path)
    for pdf in pdfs:
        head = pdf.read_bytes()[:5]
        assert head == b"%PDF-" and pdf.stat().st_size > 50_000


# --------------------------------------------------------------------------- a second plan


def test_the_test_plan_is_marked_and_not_shipped():
    plan = get_plan(TEST_PLAN)
    assert plan.status == "test" and "next_plan_test" not in list_plans()
    assert (plan.baseline_year, plan.first_year, plan.final_year) == (2024, 2025, 2029)
    assert plan.target_shares() == {}


def test_scorecard_runs_on_the_second_plan(processed_sample):
    card = scorecard(targets=TEST_PLAN, targeted_only=True)
    assert (card["baseline_year"] == 2024).all()
    due = card[card["year"] == 2025]
    assert set(due["is_met"].dropna()) == {True, False}, "2025 targets get verdicts, both ways"
    senior = card[(card["indicator"] == "senior_gross_enrollment_pct") & (card["county_code"] == "530900")]
    assert set(senior["target"].dropna()) == {94.0}  # the 2027 target is beyond the data


def test_evaluation_of_the_second_plan(written, processed_sample):
    status = ev.target_status(TEST_PLAN, 2025)
    assert set(status["status"]) == set(ev.STATUSES) - {"qualitative"}  # this plan has no 定性目标
    assert len(status) == 32 and status["entry"].nunique() == len(load_targets(TEST_PLAN).drop_duplicates("entry"))
    texts = _paragraphs(written["second/evaluation_530900"])
    assert "中期评估报告（截至2025/26学年初）" in texts[1] and any("测试用虚构规划" in t for t in texts[:8])
    # Project headings, from the plan's own text, numbered once (the plan's clause), never "（一）二 …".
    doc = _docx().Document(str(written["second/evaluation_530900"]))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["二 工作目标", "三(一) 义务教育", "三(二) 教师队伍", "三(三) 数字化"]
    annex = _annex(written["second/evaluation_530900"])
    assert len(annex) == 32 and (annex["结论"].str.startswith("未到期")).sum() == 9
    assert "2024/25学年初(基期)" in annex.columns
    doc = _docx().Document(str(written["second/evaluation_530900"]))
    assert len(doc.inline_shapes) >= 2, "the maps of the second plan"


def test_closing_needs_for_an_unmet_balanced_county(processed_sample):
    status = ev.target_status(TEST_PLAN, 2025)
    tables = ind.load_tables()
    needs = ev.closing_needs(status, 2025, tables)
    linxiang = needs[(needs["county_code"] == "530902") & (needs["indicator"] == "compulsory_balanced")]
    assert len(linxiang) and (linxiang["amount"] > 0).all() and linxiang["schools_count"].notna().all()


# --------------------------------------------------------------------------- plan check and draft


def test_plan_check_cli(tmp_path, capsys):
    text, targets = str(DEFAULT_DIR / "plan.txt"), str(DEFAULT_DIR / "targets.yml")
    assert cli.main(["plan", "check", text, targets]) == 0
    edited = tmp_path / "plan.txt"
    edited.write_text(
        (DEFAULT_DIR / "plan.txt").read_text(encoding="utf-8").replace("达2200名", "达2300名"), encoding="utf-8"
    )
    capsys.readouterr()
    assert cli.main(["plan", "check", str(edited), targets]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("2300\t") and "名教师" in out[0]
    assert cli.main(["plan", "check", str(tmp_path / "missing.txt"), targets]) == 2
    broken = tmp_path / "targets.yml"
    broken.write_text("plan: {id: x\n", encoding="utf-8")
    assert cli.main(["plan", "check", text, str(broken)]) == 2
    binary = tmp_path / "plan.docx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    assert cli.main(["plan", "check", str(binary), targets]) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_plan_draft_cli(processed_sample, tmp_path, capsys):
    out = tmp_path / "draft.yml"
    assert (
        cli.main(
            [
                "plan",
                "draft",
                "--from",
                "lincang_2023_2025",
                "--baseline",
                "2025",
                "--years",
                "2026-2030",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 草案 DRAFT") and "NOT targets" in text
    block = load_plan(out)
    assert (block["status"], block["baseline_year"], block["first_year"], block["last_year"]) == (
        "draft",
        2025,
        2026,
        2030,
    )
    assert load_targets(out).empty
    draft = [d for d in yaml.safe_load(text)["draft"] if "indicator" in d]  # (measure entries: tests/test_draft.py)
    results = ind.compute()
    with_data = results[(results["year"] == 2025) & results["value"].notna()]["indicator"].unique()
    assert {d["indicator"] for d in draft} == set(with_data)
    entry = next(d for d in draft if d["indicator"] == "preschool_gross_enrollment_pct")
    assert entry["source_target"]["value"] == 95.0 and entry["basis"] == "projections"
    assert set(entry["counties"]) == {"530900", *ind.load_tables()["population"]["county_code"].astype(str)}
    entry = next(d for d in draft if d["indicator"] == "compulsory_certified_teacher_pct")
    assert entry["basis"] == "linear_trend"
    for code, c in entry["counties"].items():
        rows = results[(results["indicator"] == entry["indicator"]) & (results["county_code"] == code)]
        rows = rows.sort_values("year")
        slope = np.polyfit(rows["year"].astype(float), rows["value"].astype(float), 1)[0]
        base = float(rows[rows["year"] == 2025]["value"].iloc[0])
        assert c["baseline"] == pytest.approx(base, abs=1e-4)
        assert c["trend_per_year"] == pytest.approx(slope, abs=1e-4)
        for year, projected in c["projected_not_target"].items():
            expected = min(max(base + slope * (year - 2025), 0.0), 100.0)
            assert projected == pytest.approx(expected, abs=1e-3)
    capped = [
        p
        for d in draft
        if d["unit"] == "%"
        for c in d["counties"].values()
        for p in c.get("projected_not_target", {}).values()
    ]
    assert capped and all(0.0 <= p <= 100.0 for p in capped) and max(capped) == 100.0
    assert all("projected_not_target" not in c for d in draft if d["unit"] == "yes/no" for c in d["counties"].values())


def test_plan_draft_refuses_a_baseline_without_data(processed_sample, capsys):
    assert cli.main(["plan", "draft", "--baseline", "2019", "--years", "2026-2030"]) == 2
    assert "2019" in capsys.readouterr().err
    assert cli.main(["plan", "draft", "--baseline", "2025", "--years", "2030-2026"]) == 2
    assert cli.main(["plan", "draft", "--baseline", "2025", "--years", "2024-2026"]) == 2


def test_figure_source_names_the_tables():
    assert ev.figure_source("preschool_gross_enrollment_pct") == "教育事业统计（学生表、人口表）"
    assert ev.figure_source("famous_teacher_count") == "教育事业统计（工作台账）"
    assert ev.figure_source("education_network_unified") == "无数据来源（指标未纳入统计）"
    assert ev.figure_source("compulsory_balanced").startswith("按教督〔2017〕6号")


def test_evaluate_cli_writes_text_from_the_plan_as_text(processed_sample, tmp_path, capsys):
    plan_dir = tmp_path / "plan"
    shutil.copytree(TEST_PLAN, plan_dir)
    data = yaml.safe_load((plan_dir / "targets.yml").read_text(encoding="utf-8"))
    data["targets"][4]["name_zh"] = "名教师<w:t>&\x0b=SUM(A1)"  # markup, a control character, a formula
    (plan_dir / "targets.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    assert (
        cli.main(
            ["evaluate", "--plan", str(plan_dir), "--year", "2025", "--counties", "双江", "--no-pdf", "--out", str(out)]
        )
        == 0
    )
    assert "2 docx" in capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.docx")) == ["evaluation_530900.docx", "evaluation_530925.docx"]
    annex = _annex(out / "evaluation_530900.docx")
    assert "名教师<w:t>&=SUM(A1)" in set(annex["指标"])


def test_clause_titles_come_from_the_plan_text():
    titles = get_plan().clause_titles()
    assert titles["三(三)"] == "强师兴校工程" and titles["四(二)"] == "落实资金保障" and titles["二"] == "工作目标"
    assert list(titles).index("三(十)") < list(titles).index("四")


def test_documents_state_every_assessment_dimension(written):
    texts = _paragraphs(written["default/evaluation_530900"])
    overview = texts[texts.index("一、总体情况") + 1 : texts.index("二、各项任务完成情况")]
    lines = [t for t in overview if "县域义务教育优质均衡：总体" in t]
    assert len(lines) == 8  # every county, each dimension named
    cangyuan = next(t for t in lines if t.startswith("沧源"))
    assert (
        "总体未评估" in cangyuan and "资源配置达标" in cangyuan and "政府保障程度未评估（无督导评估清单）" in cangyuan
    )
    assert not any(re.search(r"实现(县域)?(义务教育|学前教育)", t) for t in overview)
    assert any(t.startswith("未评估的目标") and counties.name("530927") in t for t in overview)
    county = _paragraphs(written["default/evaluation_530925"])
    assert any(t.startswith("双江") and "县域义务教育优质均衡：总体达标" in t for t in county)


# --------------------------------------------------------------------------- ready to pass on


def _registry_codes() -> set[str]:
    from lcedu.measure.plan_check import known_indicators

    return set(known_indicators()) | set(load_targets()["indicator"])


def test_no_internal_code_appears_in_the_documents(written):
    codes = _registry_codes()
    assert "village_kindergarten_coverage_pct" in codes
    for key, path in written.items():
        text = _all_text(path)
        shown = sorted(c for c in codes if c in text)
        assert not shown, f"{key}: internal indicator codes in the text: {shown[:5]}"
        assert "指标代码" not in text


def test_every_page_has_the_notice_and_a_page_number(written):
    doc = _docx().Document(str(written["default/evaluation_530925"]))
    first = doc.sections[0]
    assert "合成样例数据，非官方统计" in first.header.paragraphs[0].text
    assert counties.name("530925") in first.header.paragraphs[0].text
    assert 'w:instr=" PAGE "' in first.footer._element.xml  # Word fills the field on every page
    assert len(doc.sections) >= 6 and all(s.header.is_linked_to_previous for s in doc.sections[1:])
    assert all(s.footer.is_linked_to_previous for s in doc.sections[1:])


def test_annex_columns_are_sized_by_content(written):
    from docx.oxml.ns import qn

    doc = _docx().Document(str(written["default/evaluation_530900"]))
    table = next(t for t in reversed(doc.tables) if "计划条款" in [c.text for c in t.rows[0].cells])
    header = [c.text for c in table.rows[0].cells]
    grid = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    number, name = grid[header.index("序号")], grid[header.index("指标")]
    assert name >= 5 * number, f"序号 {number} vs 指标 {name} twips"
    assert sum(grid) <= int(26.6 / 2.54 * 1440), "the table fits the landscape page"
    assert [c.width.twips for c in table.rows[1].cells] == grid, "cell widths follow the grid"
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def test_evaluate_and_report_share_one_folder(written, tmp_path):
    from lcedu.publish import evaluation, site

    assert evaluation.output_folder(None, 2025) == Path("evaluation/2025")
    assert evaluation.output_folder(str(TEST_PLAN), 2025) == Path("evaluation/next_plan_test/2025")
    folder = tmp_path / evaluation.output_folder(None, 2025)
    folder.mkdir(parents=True)
    shutil.copy(written["default/evaluation_530925"], folder)
    links = site.evaluation_documents(tmp_path, 2025, "530925")
    assert [link.href for link in links] == ["evaluation/2025/evaluation_530925.docx"]
    assert all((tmp_path / link.href).exists() for link in links)


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (.ci/run installs it)")
@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (.ci/run installs poppler-utils)"
)
def test_pdf_pages_carry_page_numbers_and_the_notice(written, tmp_path):
    import subprocess

    from lcedu.publish.evaluation import to_pdf

    (pdf,) = to_pdf([written["default/evaluation_530925"]], tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) >= 6
    for number, page in enumerate(pages, start=1):
        assert re.search(rf"第\s*{number}\s*页\s*共\s*{len(pages)}\s*页", page), f"page {number} without its number"
        assert "合成样例数据，非官方统计" in page, f"page {number} without the synthetic-data notice"
    assert not [c for c in _registry_codes() if c in text], "no internal code in the PDF"


def test_gongwen_style_sets_the_official_faces_by_style_name(processed_sample, tmp_path):
    from docx.oxml.ns import qn

    from lcedu.publish import evaluation

    data = evaluation.evaluation_data(None, None)
    path = evaluation.write_document(data, "530925", tmp_path / "gongwen.docx", style="gongwen")
    doc = _docx().Document(str(path))

    def east_asian(style_name: str) -> str:
        return doc.styles[style_name].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert [east_asian(s) for s in ("Normal", "Heading 1", "Heading 2", "Title")] == [
        "仿宋_GB2312",
        "黑体",
        "楷体_GB2312",
        "方正小标宋简体",
    ]
    assert doc.styles["Normal"].font.name == "Times New Roman"
    title = next(p for p in doc.paragraphs if "终期评估报告" in p.text)
    assert title.style.name == "Title"
    headings = [p for p in doc.paragraphs if p.text.startswith("一、总体情况")]
    assert headings and headings[0].style.name == "Heading 1"
    # No run names a face of its own: the styles decide, so Word on an office PC uses its own fonts.
    assert not any(r.element.rPr is not None and r.element.rPr.find(qn("w:rFonts")) is not None for r in title.runs)
    with pytest.raises(ValueError, match="unknown document style"):
        evaluation.write_evaluation(None, None, tmp_path / "x", style="fancy", pdf=False)
    assert not (tmp_path / "x").exists(), "nothing drawn or written for an unknown style"


def _annex_figures(path: Path) -> tuple[list[str], list[str]]:
    """(附图 captions, sha256 of each picture) of a document."""
    import hashlib
    import zipfile

    captions = [t for t in _paragraphs(path) if re.match(r"附图\d+　", t)]
    with zipfile.ZipFile(path) as docx:
        pictures = sorted(n for n in docx.namelist() if n.startswith("word/media/"))
        return captions, [hashlib.sha256(docx.read(n)).hexdigest() for n in pictures]


def test_county_documents_show_their_own_county_on_the_maps(written):
    city_captions, city_pictures = _annex_figures(written["default/evaluation_530900"])
    shown = {}
    for code in ("530925", "530902"):
        captions, pictures = _annex_figures(written[f"default/evaluation_{code}"])
        name = nv.place_name(code, "zh")
        assert len(captions) == len(city_captions) >= 3, "the county's status and its change since the baseline"
        assert all(name in caption for caption in captions), captions
        assert all("本县" in caption for caption in captions), "each caption gives the county's own result"
        assert not set(pictures) & set(city_pictures), "not the city's maps: the county is outlined on each"
        shown[code] = set(pictures)
    assert not shown["530925"] & shown["530902"], "two counties' documents show different maps"
    assert not any(nv.place_name(c, "zh") in t for t in city_captions for c in ("530925", "530902"))


def _font_table(path: Path) -> dict[str, dict[str, str]]:
    """word/fontTable.xml read back: face name → {altName, panose1, charset, family, pitch: value}."""
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as docx:
        root = etree.fromstring(docx.read("word/fontTable.xml"))
    return {
        font.get(f"{w}name"): {child.tag.removeprefix(w): child.get(f"{w}val") for child in font}
        for font in root.findall(f"{w}font")
    }


@pytest.fixture(scope="module")
def gongwen_document(processed_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lcedu.publish import evaluation

    data = evaluation.evaluation_data(None, None)
    return evaluation.write_document(data, "530925", tmp_path_factory.mktemp("gongwen") / "g.docx", style="gongwen")


def test_gongwen_faces_fall_back_through_the_font_table(gongwen_document):
    fonts = _font_table(gongwen_document)

    def chain(face: str) -> list[str]:
        names = [face]
        while names[-1] in fonts and fonts[names[-1]].get("altName") and fonts[names[-1]]["altName"] not in names:
            names.append(fonts[names[-1]]["altName"])
        return names

    # What Word on an office PC tries, face by face, when the first is not installed.
    assert chain("仿宋_GB2312") == ["仿宋_GB2312", "仿宋", "FangSong"]
    assert chain("楷体_GB2312") == ["楷体_GB2312", "楷体", "KaiTi"]
    assert chain("黑体") == ["黑体", "SimHei"]
    assert chain("方正小标宋简体") == ["方正小标宋简体", "华文中宋", "STZhongsong"]
    for face in ("仿宋_GB2312", "仿宋", "楷体_GB2312", "楷体", "黑体", "方正小标宋简体", "华文中宋"):
        entry = fonts[face]
        assert entry["charset"] == "86", f"{face}: GB2312 character set, so a substitute is a Chinese face"
        assert re.fullmatch(r"[0-9A-F]{20}", entry["panose1"]) and entry["panose1"] != "0" * 20, face
        assert entry["family"] in ("modern", "auto") and entry["pitch"] in ("fixed", "variable"), face
    assert fonts["Times New Roman"], "the template's own entries are kept"


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (.ci/run installs it)")
@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts not installed (.ci/run installs poppler-utils)")
def test_a_gongwen_document_converts_with_libreoffice(gongwen_document, tmp_path):
    import subprocess

    from lcedu.publish.evaluation import to_pdf

    (pdf,) = to_pdf([gongwen_document], tmp_path)  # raises with LibreOffice's output on any error
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "终期评估报告" in text and "一、总体情况" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(fonts.splitlines()) > 2, "the PDF embeds the faces LibreOffice found for the 公文 names"


def test_county_document_shows_the_city_reference_indicators(written, default_card):
    from lcedu.publish.evaluation import CITY_REFERENCE_HEADING

    year = int(default_card["year"].max())
    card = default_card[(default_card["county_code"] == "530925") & (default_card["year"] == year)]
    reference = card[card["target_scope"].astype("string") == "city_reference"]
    assert len(reference) > 0
    doc = _docx().Document(str(written["default/evaluation_530925"]))
    assert CITY_REFERENCE_HEADING in [p.text for p in doc.paragraphs]
    table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:3] == ["序号", "指标", "全市目标"])
    names = [row.cells[1].text for row in table.rows[1:]]
    assert sorted(names) == sorted(reference["name_zh"]), "every 全市目标(参照) indicator of the county, once"
    shown = dict(zip(names, [row.cells[-1].text for row in table.rows[1:]], strict=True))
    for r in reference.itertuples(index=False):  # the scorecard's stored verdict against the city's target
        assert shown[r.name_zh] == ("—" if pd.isna(r.is_met) else ("达到" if r.is_met else "未达到")), r.name_zh
    assert {"达到", "未达到"} <= set(shown.values())
    city = [p.text for p in _docx().Document(str(written["default/evaluation_530900"])).paragraphs]
    assert CITY_REFERENCE_HEADING not in city
