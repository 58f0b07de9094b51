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
from datetime import date
from pathlib import Path

from lcedu import paths
from lcedu.arguments import PROVINCE_DENSITY, parser
from lcedu.build import write_build
from lcedu.errors import InputErrors, RequestError, format_folded, summary
from lcedu.ingest import clean as cleaning
from lcedu.ingest import cnmaps, counties, quality, shapes, store
from lcedu.ingest.causes import link_causes
from lcedu.ingest.counties import coverage, home, select
from lcedu.ingest.schemas import finalize
from lcedu.measure import draft_projected as dp
from lcedu.measure import monitor, results
from lcedu.measure.draft import draft_plan, draft_yaml, parse_years
from lcedu.measure.plan import TargetsFileError, get_plan, read_plan_text
from lcedu.measure.plan_prose import check_plan_text
from lcedu.measure.projections import METHODS, load_projections
from lcedu.measure.quality import review
from lcedu.present import projections as pr
from lcedu.present.quality import summary_lines
from lcedu.present.sendback import write_sendbacks
from lcedu.publish import cluster, evaluation, render, site
from lcedu.publish.input_templates import write_templates
from lcedu.publish.render import suite
from lcedu.publish.site import write_maps
from lcedu.sample import generate, province_counties, province_sample_counties

EXIT_INPUT = 2


def cmd_sample(args: argparse.Namespace) -> int:
    sample_counties = None
    if args.province and len(args.province) == 2 and args.province.isdigit():
        try:
            sample_counties = province_sample_counties(args.province, args.seed)
        except ValueError as exc:
            print(f"错误 / error: {exc}", file=sys.stderr)
            return EXIT_INPUT
    elif args.province and args.province.isdigit():  # a count: N generated counties (older scale tests)
        sample_counties = province_counties(int(args.province), args.seed)
    elif args.province:
        print(
            f"错误 / error: --province 应为2位省代码（如 53）或县数 / must be a 2-digit province code (e.g. 53) "
            f"or a number of counties, not 「{args.province}」",
            file=sys.stderr,
        )
        return EXIT_INPUT
    density = args.density if args.density is not None else (PROVINCE_DENSITY if sample_counties else 1.0)
    start = time.perf_counter()
    truth = generate(Path(args.out), counties=sample_counties, seed=args.seed, density=density)
    n = truth["schools"].groupby("year").size()
    files = [p for p in Path(args.out).rglob("*") if p.is_file()]
    print(
        f"合成样例已写入 {args.out} (synthetic sample, not official data): "
        f"{truth['schools']['county_code'].nunique()} 县, 每年学校 {int(n.min())}–{int(n.max())} 所, "
        f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB, "
        f"{time.perf_counter() - start:.1f}s"
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:

    result = cleaning.collect(Path(args.raw), partial=args.partial, reports=_reports(args))
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
    found = review(tables)
    year = int(tables["schools"]["year"].max())
    print("\n".join(summary_lines(found, year)))
    out = paths.reports_dir(_reports(args)) / "check" / "quality"
    written = write_sendbacks(found["quality_findings"], year, out)
    print(f"核查清单（每乡镇一个工作表）/ send-back workbooks, one sheet per township: {len(written)} in {out}")


def cmd_clean(args: argparse.Namespace) -> int:
    _scope_codes(args)  # an unknown county fails now, not after the whole clean
    with store.clean_lock(args.out):  # one clean at a time: a second one is refused with a message
        return _clean(args)


def _clean(args: argparse.Namespace) -> int:

    start = time.perf_counter()
    try:
        result = cleaning.clean(Path(args.raw), partial=args.partial, reports=_reports(args))
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

    return select(args.counties, args.prefecture, args.province)


def _scope_coverage(args: argparse.Namespace, tables: dict) -> list:
    """With --counties/--prefecture/--province: is every county of that scope in the raw folder?"""
    codes = _scope_codes(args)
    if codes is None:
        return []

    return coverage(tables, codes, Path(args.raw).name, args.partial)


def cmd_maps(args: argparse.Namespace) -> int:

    results.require_year(args.year)
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
    _scope_codes(args)  # an unknown county fails now, with or without a build to pin
    with _pinned_build():
        return _render(args)


@contextlib.contextmanager
def _pinned_build(processed: str | None = None) -> Iterator[Path]:
    """The current build, resolved once: this process and every kernel it starts read it (LCEDU_PROCESSED),
    so a clean that swaps ``current`` mid-render changes nothing the render reads, and it is not pruned."""
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

    counties = select(args.counties, args.prefecture, args.province)
    results.require_year(args.year)
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
    found = {}
    for name in names:
        try:
            found[name] = store.load(name)
        except store.MissingTableError:
            continue
    return found


def cmd_plan_draft(args: argparse.Namespace) -> int:
    """A next plan's skeleton (plan schema, status draft) from the data, to stdout or --out."""
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
    if args.build:
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


#: The handler of each sub-command, by the name its parser gives (``lcedu.arguments``: ``func``).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    f.__name__: f
    for f in (
        cmd_sample,
        cmd_check,
        cmd_clean,
        cmd_report,
        cmd_maps,
        cmd_render,
        cmd_evaluate,
        cmd_template,
        cmd_registry,
        cmd_shapes,
        cmd_project,
        cmd_plan_check,
        cmd_plan_draft,
    )
}


def main(argv: list[str] | None = None) -> int:
    """Run a command. Everything it does — plan loading, scope resolution, a scheduler's connection, layouts,
    the work — runs inside one error handling: an expected problem prints its message and exits 2."""
    args = parser().parse_args(argv)
    handler = COMMANDS[args.func]
    try:
        if args.command in ("maps", "render", "report") and args.year is None:
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
