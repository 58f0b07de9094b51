"""Raw exports in ``data/raw/`` → validated tidy tables (``lcedu clean``, ``lcedu check``)."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu.errors import InputErrors, Issue
from lcedu.ingest import counties, plausibility, quality, roster
from lcedu.ingest.forms import FORMS_DIR, read_forms
from lcedu.ingest.layout import Layout, layouts, load_layout, normalize
from lcedu.ingest.parse import MISSING_LABELS, RawSheet, convert, missing_rows, parse_sheet
from lcedu.ingest.readers import (
    TABLE_SUFFIXES,
    UNSUPPORTED_SPREADSHEETS,
    empty_table,
    is_lock_file,
    read_bytes,
    read_csv_grid,
    read_workbook,
)
from lcedu.ingest.schemas import DETAIL_TABLES, finalize, typed_detail
from lcedu.processes import die_with_parent

RAW_SUFFIXES = set(TABLE_SUFFIXES)
# Files under data/raw/ that are known and not data tables (everything else is read or named).
AUXILIARY = {"README.md", "sample.json", "counties.csv"}
# The tables a complete raw folder gives; a partial one (--partial) may lack some.
COMPLETE_SET = ("schools", "enrollment", "teachers", "facilities", "population", "disability", "ledger")
YEAR_IN_NAME = re.compile(r"(20\d{2})")


@dataclass
class CleanResult:
    tables: dict[str, pd.DataFrame]
    issues: list[Issue]
    inputs: list[dict] = field(default_factory=list)
    # (file, sheet, stage or None, column) -> header as written, for schema errors (rosters' header paths)
    headers: dict[tuple[str, str, str | None, str], str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]


def identify(path: Path, raw_dir: Path, extra: dict[str, str]) -> tuple[int | None, str | None]:
    """School year and county of a file, from its name (临翔区_2024.xlsx, 530925-2023-学生情况.csv …)."""
    rel = path.relative_to(raw_dir)
    years = YEAR_IN_NAME.findall(path.stem) or YEAR_IN_NAME.findall(str(rel.parent))
    year = int(years[0]) if years else None
    code = None
    for token in re.split(r"[_\-\s]+|20\d{2}年?", path.stem):
        code = counties.resolve(token, extra) if token else None
        if code:
            break
    return year, code


def _sheet_for(layout: Layout, sheet_names: list[str]) -> str | None:
    wanted = {normalize(s) for s in layout.sheets}
    return next((s for s in sheet_names if normalize(s) in wanted), None)


def _layouts_for(path: Path, raw_dir: Path) -> list[Layout]:
    rel = path.relative_to(raw_dir)
    return [lay for lay in layouts() if rel.match(lay.files)]


def _read_file(path: Path, raw_dir: Path, extra: dict[str, str]) -> tuple[dict | None, list, list[Issue]]:
    """One raw file → its input record, its parsed sheets and its issues (runs in a worker)."""
    issues: list[Issue] = []
    display = str(path.relative_to(raw_dir.parent))
    if is_lock_file(path):
        issues.append(
            Issue(
                "warning",
                display,
                "跳过 Excel 锁文件 / skipped an Excel lock file",
                "该工作簿正在 Excel 中打开；关闭后锁文件会消失",
            )
        )
        return None, [], issues
    targets = _layouts_for(path, raw_dir)
    if not targets:
        return None, [], issues
    year, county = identify(path, raw_dir, extra)
    if targets[0].level == "school" and county is None:
        issues.append(
            Issue(
                "error",
                display,
                "文件名中没有可识别的县(区) / county not recognised in the file name",
                "文件名应含县名或6位代码，如 双江县_2024.xlsx 或 530925_2024.xlsx",
            )
        )
        return None, [], issues
    if targets[0].level not in ("city", "county_series") and year is None:  # those carry a year column
        issues.append(
            Issue(
                "error",
                display,
                "文件名中没有年份 / no school year in the file name",
                "文件名应含4位年份，如 临翔区_2024.xlsx",
            )
        )
        return None, [], issues
    data = read_bytes(path, display, issues)
    if data is None:
        return None, [], issues
    record = {"path": str(path.relative_to(raw_dir)), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    if path.suffix.lower() == ".csv":
        layout = next((lay for lay in targets if lay.csv_suffix and path.stem.endswith(lay.csv_suffix)), None)
        if layout is None:
            issues.append(
                Issue(
                    "error",
                    display,
                    "无法判断该CSV属于哪张表 / unknown CSV table",
                    "文件名应以表名结尾，如 _学生情况.csv",
                )
            )
            return record, [], issues
        grid = read_csv_grid(data, display, issues)
        workbook = {layout.sheets[0]: grid} if grid is not None else None
        targets = [layout]
    else:
        workbook = read_workbook(data, display, issues)
    if workbook is None:
        return record, [], issues
    parsed_sheets = []
    for layout in targets:
        sheet = _sheet_for(layout, list(workbook))
        if sheet is None:
            issues.append(
                Issue(
                    "error",
                    display,
                    f"缺少工作表「{layout.sheets[0]}」/ missing sheet; 现有 present: {'、'.join(workbook) or '无'}",
                    f"工作表应命名为 {' 或 '.join(layout.sheets)}",
                    sheet=layout.sheets[0],
                )
            )
            continue
        parsed = parse_sheet(
            workbook[sheet], layout, file=display, sheet=sheet, year=year, has_county=county is not None, issues=issues
        )
        if parsed is not None and not (~parsed.text["_is_total"]).any():
            issues.append(empty_table(display, sheet))
        if parsed is not None:
            parsed_sheets.append((layout.table, parsed, year, county))
    return record, parsed_sheets, issues


def _convert_group(table: str, parts: list[tuple[RawSheet, int | None, str | None]], extra: dict[str, str]):
    """Type all sheets of one table and variant together (runs in a worker)."""
    issues: list[Issue] = []
    layout = load_layout(table)
    text = pd.concat([p.text for p, _, _ in parts], ignore_index=True)
    text["_year"] = np.repeat([y for _, y, _ in parts], [len(p.text) for p, _, _ in parts])
    text["_county"] = np.repeat(np.array([c for _, _, c in parts], dtype=object), [len(p.text) for p, _, _ in parts])
    headers = {(p.text["_file"].iat[0], p.text["_sheet"].iat[0]): p.headers for p, _, _ in parts if len(p.text)}
    typed, miss = convert(text.drop(columns=["_year", "_county"]), layout, parts[0][0].units, headers, issues, extra)
    if typed is None:
        return table, None, None, issues
    typed["year"] = typed["year"] if "year" in typed else text["_year"].astype("Int64")
    if layout.level == "school":
        typed["county_code"] = text["_county"].astype("string")
    key_frame = typed[["_file", "_row"] + [k for k in layout.key if k in typed]]
    return table, typed, miss.merge(key_frame, on=["_file", "_row"], how="left").assign(table=table), issues


def _process_chunk(files: list[Path], raw_dir: Path, extra: dict[str, str]) -> tuple[list[dict], list, list[Issue]]:
    """Read, parse and type a chunk of files in one worker; only typed frames travel back."""
    results = [_read_file(path, raw_dir, extra) for path in files]
    issues = [i for _, _, file_issues in results for i in file_issues]
    sheets: dict[tuple[str, str], list] = defaultdict(list)
    for _, parsed_sheets, _ in results:
        for table, parsed, year, county in parsed_sheets:
            sheets[(table, parsed.variant)].append((parsed, year, county))
    converted = [_convert_group(table, parts, extra) for (table, _), parts in sheets.items()]
    return [r for r, _, _ in results if r is not None], converted, issues


def second_inputs(files: list[Path], raw_dir: Path, extra: dict[str, str], issues: list[Issue]) -> list[Path]:
    """The files to read: a second file for the same tables, county and year (a copy, a re-export) is an
    error naming both files and the rule, and is not read — two inputs are never merged silently.

    The county and year come from the file names (as :func:`identify` reads them); a file whose name looks
    like a copy (``- 副本``, ``(1)``) is the one set aside and the message says so. Rosters and the local sheet
    are checked by ``roster.read_inputs``, which knows their 学段 parts.
    """
    first: dict[tuple, Path] = {}
    keep = []
    for path in sorted(files, key=lambda p: (roster.copy_original(p.stem) is not None, p)):
        layouts_of = _layouts_for(path, raw_dir)
        if is_lock_file(path) or not layouts_of or layouts_of[0].level == "city":  # city: one table, any files
            keep.append(path)
            continue
        if path.suffix.lower() == ".csv":  # a CSV set: one table per file, named by its suffix
            layouts_of = [lay for lay in layouts_of if lay.csv_suffix and path.stem.endswith(lay.csv_suffix)]
        year, county = identify(path, raw_dir, extra)
        key = (tuple(sorted(lay.table for lay in layouts_of)), county, year)
        other = first.setdefault(key, path)
        if other == path:
            keep.append(path)
            continue
        shown, other_shown = (str(p.relative_to(raw_dir.parent)) for p in (path, other))
        issues.append(
            Issue(
                "error",
                shown,
                f"与 {other_shown} 重复：两份文件给出同一张表（{'、'.join(key[0])}）的同一县、同一学年，未读取本文件 / "
                f"a second file for the same table, county and year (not read). "
                f"{roster.likely_copy_note(other_shown, shown)}规则 / rule: 每张表每县每学年一份文件，两份从不合并 / "
                "one file per table, county and year; two are never merged",
                "删除或移走多余的一份（副本或重复导出）/ remove the extra file",
            )
        )
    return sorted(keep)


def _pool(n_tasks: int, workers: int | None) -> tuple[ProcessPoolExecutor | None, int]:
    """A fork-based pool and its size, when there is enough work to pay for it (a province, not a test file)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or n_tasks < 16:
        return None, 1
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("fork"), initializer=die_with_parent
    ), workers


def collect(  # noqa: C901 (named in docs/architecture.md)
    raw_dir: Path, workers: int | None = None, partial: bool = False, reports: Path | None = None
) -> CleanResult:
    """Read and type every raw file; never raises for bad input, returns its issues instead.

    Files are read and parsed in worker processes (one per core by default), then sheets
    of the same table and variant are typed together. ``partial`` accepts a raw folder that
    lacks some tables (e.g. only rosters) with a warning instead of an error. The raw folder is
    only read; the one file this may write (a template for unmapped 教学点) goes under
    ``reports`` (default :func:`lcedu.paths.reports_dir`).
    """
    raw_dir = Path(raw_dir)
    issues: list[Issue] = []
    extra = counties.read_extra(raw_dir, issues)
    every = sorted(p for p in raw_dir.rglob("*") if p.is_file())
    # --- 过录表 rosters, sites.csv and the local school sheet (lcedu.ingest.roster) ---
    roster_files = [p for p in every if roster.claims(p.relative_to(raw_dir))]
    # --- end rosters ---
    # forms/ are read by lcedu.ingest.forms; roads/ (an OSM extract) by lcedu.measure.travel when the build is made
    claimed = set(roster_files) | {p for p in every if p.relative_to(raw_dir).parts[0] in (FORMS_DIR, "roads")}
    files = [
        p
        for p in every
        if p not in claimed and p.suffix.lower() in RAW_SUFFIXES and (is_lock_file(p) or _layouts_for(p, raw_dir))
    ]
    unrecognised = [
        p for p in every if p not in claimed and p not in files and p.relative_to(raw_dir).as_posix() not in AUXILIARY
    ]
    files = second_inputs(files, raw_dir, extra, issues)
    for path in unrecognised:
        if path.suffix.lower() in UNSUPPORTED_SPREADSHEETS:
            issues.append(
                Issue(
                    "warning",
                    str(path.relative_to(raw_dir.parent)),
                    f"未识别的文件：不支持 {path.suffix} 格式，未读取 / file not recognised: unsupported "
                    f"spreadsheet format {path.suffix}, not read",
                    "用 WPS 或 Excel 打开，另存为 .xlsx 后放回原处 / save as .xlsx",
                )
            )
            continue
        issues.append(
            Issue(
                "warning",
                str(path.relative_to(raw_dir.parent)),
                "未识别的文件，未读取 / file not recognised, not read",
                "放到对应文件夹：rosters/<学年>/（过录表）、local/<学年>/（学校补充信息）、"
                "county/<学年>/、city/、schools/<学年>/（见 data/raw/README.md）",
            )
        )
    if not every:
        issues.append(
            Issue(
                "error",
                str(raw_dir),
                "没有找到原始数据文件 / no raw files found",
                "把导出的 .xlsx/.csv 放入 data/raw/，或运行 `lcedu sample` 生成样例",
            )
        )
    pool, pool_size = _pool(len(files), workers)
    # A few chunks per worker: the typing of each chunk is amortised over many sheets, and the
    # chunks still balance the load.
    n_chunks = 4 * pool_size
    chunks = [files[i::n_chunks] for i in range(n_chunks) if files[i::n_chunks]]
    try:
        mapper = pool.map if pool else map
        results = list(mapper(_process_chunk, chunks, [raw_dir] * len(chunks), [extra] * len(chunks)))
    finally:
        if pool:
            pool.shutdown()
    inputs = [r for records, _, _ in results for r in records]
    converted = [c for _, chunk, _ in results for c in chunk]
    issues += [i for _, _, chunk_issues in results for i in chunk_issues]
    # Each typed frame is held by one list from here on, and dropped once its table is combined: a province
    # or a 200,000-row roster would otherwise be held two or three times at the peak (benchmarks/bench_memory.py).
    del results
    # Detail tables (schemas.DETAIL_TABLES: students by grade and age, 331 flows), from any reader: each
    # appends frames with those columns here (combine_details below), and its NA cells as missing_values
    # rows whose ``table`` is the detail table (as forms.detail_missing).
    details: dict[str, list[pd.DataFrame]] = defaultdict(list)
    details_missing: list[pd.DataFrame] = []
    # --- 过录表 rosters, sites.csv and the local school sheet (lcedu.ingest.roster) ---
    headers: dict = {}
    if roster_files:
        rosters = roster.read_inputs(raw_dir, roster_files, extra, lambda p: identify(p, raw_dir, extra)[1], reports)
        inputs += rosters.inputs
        converted += rosters.converted
        issues += rosters.issues
        headers = rosters.headers
        for name, frame, miss, _ in rosters.detail:
            details[name].append(frame)
            details_missing.append(missing_rows(miss))
        del rosters
    # --- end rosters ---
    # --- per-school statistics forms (raw/forms/<year>/, lcedu.ingest.forms) ---
    forms = read_forms(raw_dir, workers)
    inputs += forms.inputs
    converted += forms.converted
    issues += forms.issues
    for name, frame in forms.details.items():
        details[name].append(frame)
    forms_missing = forms.detail_missing
    del forms
    # --- end forms ---
    inputs.sort(key=lambda r: r["path"])

    tables, missing, totals = {}, list(details_missing), []
    if forms_missing is not None and len(forms_missing):
        missing.append(missing_rows(forms_missing))
    given = {lay.table for p in files for lay in _layouts_for(p, raw_dir)} | {t for t, _, _, _ in converted}
    by_table: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for table, typed, miss, group_issues in converted:
        issues += group_issues
        if typed is not None:
            by_table[table].append(typed)
            missing.append(missing_rows(miss))
    converted.clear()
    for table in list(by_table):
        layout = load_layout(table)
        frame = pd.concat(by_table.pop(table), ignore_index=True)
        totals.append(_totals_long(frame[frame["_is_total"]], layout))
        tables[table] = combine_inputs(frame[~frame["_is_total"]].reset_index(drop=True), layout, issues)
        del frame
    # --- 过录表 rosters ---
    if any(roster.claims(p.relative_to(raw_dir)) == "roster" for p in roster_files):
        given |= set(roster.SCHOOL_TABLES)
    # --- end rosters ---
    tables |= combine_details(details, issues)
    _report_absent(tables, given, issues, [str(p.relative_to(raw_dir.parent)) for p in unrecognised], str(raw_dir))
    _report_incomplete(tables, issues, raw_dir)
    _report_no_checklist(tables, files, raw_dir, extra, issues)
    tables = _check_keys(tables, issues, headers)
    plausibility.check(tables, issues, headers)
    if totals:
        tables["reported_totals"] = pd.concat(totals, ignore_index=True)
        _reconcile(tables, issues)
    if missing:
        tables["missing_values"] = _missing_table(missing)
    if partial:
        issues = [replace(i, level="warning") if i.relaxed_by_partial else i for i in issues]
    return CleanResult(tables=tables, issues=issues, inputs=inputs, headers=headers)


def combine_details(parts: dict[str, list[pd.DataFrame]], issues: list[Issue]) -> dict[str, pd.DataFrame]:
    """The detail tables (students by grade and age, 331 flows) from every reader that gives them.

    A reader contributes frames with :data:`lcedu.ingest.schemas.DETAIL_TABLES`' columns (any order, any
    dtypes). A school-year given by two inputs (its roster and its forms) is kept once when the
    figures agree; when they differ it is an error naming the school, and both inputs must be fixed.
    """
    out = {}
    for name, frames in parts.items():
        frames = [f for f in frames if len(f)]
        if not frames:
            continue
        frame = typed_detail(name, pd.concat([typed_detail(name, f) for f in frames], ignore_index=True))
        frame = frame.drop_duplicates(ignore_index=True)
        key = list(DETAIL_TABLES[name]["key"])  # type: ignore[call-overload]
        clash = frame[frame.duplicated(key, keep=False)]
        for (school, year), rows in clash.groupby(["school_id", "year"]):
            issues.append(
                Issue(
                    "error",
                    name,
                    f"学校 {school} {year} 学年的{name}在两个输入中不一致 / two inputs disagree "
                    f"({len(rows)} rows, e.g. {rows.iloc[0].to_dict()})",
                    "核对该校的过录表和基层表，使两者一致",
                )
            )
        out[name] = frame.drop_duplicates(key, ignore_index=True)
    return out


def _report_absent(
    tables: dict[str, pd.DataFrame], given: set[str], issues: list[Issue], unrecognised: list[str], where: str
) -> None:
    """A table no input gives: an error (warning with --partial); nothing usable at all is always an error.

    A table whose input was found but failed is not reported again here: its errors say why.
    """
    if not tables:
        if not any(i.level == "error" for i in issues):
            seen = f"；未识别的文件 not recognised: {'、'.join(unrecognised[:20])}" if unrecognised else ""
            issues.append(
                Issue(
                    "error",
                    where,
                    f"没有可用的输入：没有读出任何表 / no usable input, no table built{seen}",
                    "过录表放入 rosters/<学年>/，学校补充信息放入 local/<学年>/，县级工作簿放入 county/<学年>/"
                    "（见 data/raw/README.md）；处理结果保持不变 / the processed set is left as it was",
                )
            )
        return
    absent = [t for t in COMPLETE_SET if t not in given]
    if absent:
        names = "、".join(f"{quality.LABELS[t]}({t})" for t in absent)
        issues.append(
            Issue(
                "error",
                where,
                f"缺少以下表 / tables missing: {names}",
                "补上对应的原始文件（见 data/raw/README.md）；只处理已有的表请加 --partial",
                relaxed_by_partial=True,
            )
        )
    if "city" not in given:
        issues.append(
            Issue(
                "warning",
                where,
                "没有市级表 city/ / no city-level workbook",
                "市级指标（职业教育与高等教育）将为空；需要时放入 city/市级职业与高等教育.xlsx",
            )
        )


def _report_incomplete(tables: dict[str, pd.DataFrame], issues: list[Issue], raw_dir: Path) -> None:
    """Every county × school year in scope has rows in every table of the complete set.

    In scope: the counties and years found anywhere in the input. A county-year missing from one
    table (its roster not exported, saved in a format not read, or a sheet with headers only)
    would otherwise vanish from that year's indicators without a word. An error by default, a
    warning with --partial; a table absent altogether is reported by ``_report_absent``.
    """
    present = {t: tables[t] for t in COMPLETE_SET if t in tables and {"county_code", "year"} <= set(tables[t])}
    pairs = {
        t: set(zip(f["county_code"].dropna().astype(str), f["year"].dropna().astype(int), strict=False))
        for t, f in present.items()
    }
    counties_in = {c for p in pairs.values() for c, _ in p}
    years_in = {y for p in pairs.values() for _, y in p}
    lacking_by_table = {
        t: tuple(sorted((y, c) for c in counties_in for y in years_in if (c, y) not in have))
        for t, have in pairs.items()
    }
    known = set(counties.registry().county_code)
    for lacking in dict.fromkeys(v for v in lacking_by_table.values() if v):
        names = [t for t, v in lacking_by_table.items() if v == lacking]
        layout = load_layout(names[0])
        pattern = roster.load_roster_layout().files if layout.level == "school" else layout.files
        folder = pattern.replace("*", "<学年>", 1).rstrip("/*")
        listed = "、".join(f"{y} {counties.name(c) if c in known else ''}({c})" for y, c in lacking[:40])
        more = f" 等 {len(lacking)} 个 / and more" if len(lacking) > 40 else ""
        tables_text = "、".join(f"{quality.LABELS[t]}({t})" for t in names)
        issues.append(
            Issue(
                "error",
                str(raw_dir),
                f"以下县(区)和学年没有数据 / no rows for these county-years: {listed}{more}；"
                f"缺的表 tables: {tables_text}",
                f"放入对应的原始文件（{folder}/，见 data/raw/README.md），检查它是否只有表头、格式能否读取；"
                "只处理已有的数据请加 --partial",
                relaxed_by_partial=True,
            )
        )


CHECKLIST = "assessment_checklist"


def _report_no_checklist(
    tables: dict[str, pd.DataFrame], files: list[Path], raw_dir: Path, extra: dict[str, str], issues: list[Issue]
) -> None:
    """A school year in the data without a 督导评估清单 workbook: a warning naming the year and where the
    workbook goes. Not an error (the checklist is the counties' own self-assessment, often late), but
    never silent: the assessment dimensions that need it will read 未评估 for every county that year.
    """
    years_in = {
        int(y) for t in COMPLETE_SET if t in tables and "year" in tables[t] for y in tables[t]["year"].dropna().unique()
    }
    layout = load_layout(CHECKLIST)
    given = {
        identify(p, raw_dir, extra)[0] for p in files if any(lay.table == CHECKLIST for lay in _layouts_for(p, raw_dir))
    }
    folder = Path(layout.files).parent.as_posix()  # county/*
    for year in sorted(years_in - given):
        expected = f"{raw_dir.name}/{folder.replace('*', str(year), 1)}/{layout.sheets[0]}_{year}.xlsx"
        issues.append(
            Issue(
                "warning",
                expected,
                f"{year} 学年没有督导评估清单：义务教育优质均衡、学前教育普及普惠中依据清单的维度将显示为「未评估」/ "
                f"no assessment checklist for {year}: the assessment dimensions that need it will show as 未评估 "
                "(not assessed), never 达标",
                f"放入 {expected}（工作表「{layout.sheets[0]}」，格式见 data/raw/README.md 第5节）/ put the checklist "
                f"workbook at {expected} (layout: lcedu/ingest/layouts/{CHECKLIST}.yml)",
            )
        )


def combine_inputs(frame: pd.DataFrame, layout: Layout, issues: list[Issue]) -> pd.DataFrame:
    """One record per key and year when several inputs give it; figures that differ are errors.

    Two inputs (a roster and a per-school form, a roster and the old county workbook, the
    local sheet and a roster) may give the same school and year: every column both give must
    agree (amounts within 0.01), a column only one gives is taken from it, and the merged row
    keeps the provenance of the first full input. Supplement rows (``_supplement``, the local
    sheet) only add columns: one without a full row is an error. The same key twice in ONE
    file is left for the duplicate check.
    """
    key = [*layout.key] + ([] if "year" in layout.key else ["year"])
    supplement = frame["_supplement"].fillna(False).astype(bool) if "_supplement" in frame else None
    if frame.empty or (supplement is None and frame["_file"].nunique() < 2):
        return frame
    frame = frame.assign(_supplement=False if supplement is None else supplement)
    per_file = frame.groupby([*key, "_file"], dropna=False)["_row"].transform("size")
    n_files = frame.groupby(key, dropna=False)["_file"].transform("nunique")
    dup_in_file = per_file.gt(1).groupby([frame[k] for k in key], dropna=False).transform("any")
    shared = (n_files > 1) & ~dup_in_file
    full = frame.groupby(key, dropna=False)["_supplement"].transform("min").eq(False)
    orphan = frame["_supplement"] & ~full
    for r in frame[orphan].head(20).to_dict("records"):
        issues.append(
            Issue(
                "error",
                r["_file"],
                f"学校标识码 {r[layout.key[0]]} 在 {r['year']} 学年的过录表或学校表中不存在 / "
                "not in any roster or school table of that year",
                "更正学校标识码，或删除该行",
                sheet=r.get("_sheet"),
                row=int(r["_row"]),
                column="学校标识码",
            )
        )
    if not shared.any():
        return frame[~orphan].drop(columns="_supplement").reset_index(drop=True)
    rest = frame[~shared & ~orphan]
    group = frame[shared & full].sort_values(["_supplement", "_file", "_row"], kind="stable")
    rank = group.groupby(key, dropna=False).cumcount().to_numpy()
    base = group[rank == 0].reset_index(drop=True)
    at = base[key].assign(_pos=np.arange(len(base)))
    values = [c for c in base.columns if not c.startswith("_") and c not in key]
    for n in range(1, int(rank.max()) + 1):
        other = group[rank == n].reset_index(drop=True)
        pos = other[key].merge(at, on=key, how="left")["_pos"].to_numpy()
        for c in values:
            a, b = base[c].take(pos).reset_index(drop=True), other[c]
            a_set, b_set = a.notna().to_numpy(dtype=bool), b.notna().to_numpy(dtype=bool)
            both = a_set & b_set
            if both.any():
                if pd.api.types.is_float_dtype(a.dtype):
                    differ = both & ((a.astype(float) - b.astype(float)).abs().to_numpy() > 0.01)
                else:
                    differ = both & a.ne(b).fillna(False).to_numpy(dtype=bool)
                for i in np.flatnonzero(differ)[:20]:
                    x, y = base.iloc[pos[i]], other.iloc[i]
                    issues.append(
                        Issue(
                            "error",
                            y["_file"],
                            f"同一学校同一学年两份输入不一致 / two inputs disagree: {c} = {a.iloc[i]}"
                            f"（{x['_file']} 第{x['_row']}行）"
                            f" ≠ {b.iloc[i]}（{y['_file']} 第{y['_row']}行），{ {k: y[k] for k in key} }",
                            "核对两份导出，以统计系统为准更正其中一份，或只保留一种输入",
                            sheet=y["_sheet"],
                            row=int(y["_row"]),
                            column=c,
                        )
                    )
            need = ~a_set & b_set
            if need.any():
                filled = base[c].copy()
                filled.iloc[pos[need]] = b[need].to_numpy()
                base[c] = filled
    merged = base[frame.columns]
    return pd.concat([rest, merged], ignore_index=True).drop(columns="_supplement")


def _totals_long(frame: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """合计/小计 rows as (table, county_code, year, label, column, value): kept, flagged, never summed."""
    numeric = [c.name for c in layout.columns.values() if c.type in ("count", "amount") and c.name in frame]
    ids = [c for c in ("county_code", "year", "_file", "_row") if c in frame]
    long = frame.rename(columns={"_label": "label"})[ids + ["label", *numeric]].melt(
        id_vars=[*ids, "label"], var_name="column", value_name="value"
    )
    return long.assign(table=layout.table, value=long["value"].astype("Float64"))


def _check_keys(
    tables: dict[str, pd.DataFrame], issues: list[Issue], headers: dict[tuple[str, str, str | None, str], str]
) -> dict[str, pd.DataFrame]:
    for layout in layouts():
        frame = tables.get(layout.table)
        if frame is None:
            continue
        key = [*layout.key, "year"]
        dup = frame[frame.duplicated(key, keep=False)].sort_values([*key, "_row"])
        for _, group in dup.groupby(key, dropna=False):
            first, *rest = group.to_dict("records")
            for r in rest:
                issues.append(
                    Issue(
                        "error",
                        r["_file"],
                        f"重复记录 { ({k: r[k] for k in key}) } / duplicate; "
                        f"首次出现于 first seen in {first['_file']} 第{first['_row']}行",
                        "删除重复行，或核对学校标识码",
                        row=int(r["_row"]),
                        column=headers.get((r["_file"], r["_sheet"], None, layout.key[0]), layout.key[0]),
                    )
                )
    schools = tables.get("schools")
    if schools is not None:
        known = set(zip(schools["school_id"], schools["year"], strict=True))
        for table in ("enrollment", "teachers", "facilities"):
            frame = tables.get(table)
            if frame is None:
                continue
            orphan = [(sid, y) not in known for sid, y in zip(frame["school_id"], frame["year"], strict=True)]
            for r in frame[orphan].head(10).to_dict("records"):
                issues.append(
                    Issue(
                        "error",
                        r["_file"],
                        f"学校标识码 {r['school_id']} 不在学校基本情况表中 / school not in the roster",
                        "在学校基本情况表中补上该校，或更正标识码",
                        row=int(r["_row"]),
                        column="学校标识码",
                    )
                )
    return tables


def _reconcile(tables: dict[str, pd.DataFrame], issues: list[Issue]) -> None:
    """Warn where a file's 合计 row differs from the sum of its school rows."""
    totals = tables["reported_totals"]
    grand = totals[totals["label"].astype(str).str.contains("合计|总计", regex=True) & totals["value"].notna()]
    for table, group in grand.groupby("table"):
        records = tables.get(table)
        if records is None:
            continue
        columns = list(group["column"].unique())
        sums = records.groupby("_file")[columns].sum().stack().rename("sum").reset_index()
        sums.columns = ["_file", "column", "sum"]
        check = group.merge(sums, on=["_file", "column"], how="left")
        off = check[(check["sum"].astype(float) - check["value"].astype(float)).abs() > 0.5]
        for row in off.to_dict("records"):
            issues.append(
                Issue(
                    "warning",
                    row["_file"],
                    f"合计行 {row['column']}={row['value']:g} 与各校之和 {row['sum']:g} 不符 / "
                    "total row does not reconcile",
                    "核对合计行或明细行",
                    row=int(row["_row"]),
                    column=row["column"],
                )
            )


def _missing_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per NA cell of every table (parts from ``parse.missing_rows``), each label over the union of its
    parts' categories."""
    labels = {
        c: pd.CategoricalDtype(pd.Index(sorted(set().union(*(p[c].cat.categories for p in parts))), dtype="string"))
        for c in MISSING_LABELS
    }
    return pd.concat([p.astype(labels) for p in parts], ignore_index=True)


def clean(raw_dir: Path, workers: int | None = None, partial: bool = False, reports: Path | None = None) -> CleanResult:
    """Collect, validate and return the tidy tables; raise InputErrors if anything is wrong."""
    result = collect(raw_dir, workers, partial, reports)
    if not result.errors:
        result.tables = finalize(result.tables, result.issues, headers=result.headers)
    if result.errors:
        raise InputErrors(result.issues)
    return result
