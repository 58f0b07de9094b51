"""Peak memory of `lcedu check` and `lcedu clean` on a 200,000-row 过录表 (target: under 1.5 GB).

A city that exports every school of a province in one roster, or a roster with one row per
教学点 and class, is far larger than 临沧's ~370 rows. The input is the sample's 2025 school year
with 凤庆县's roster replaced by a generated one of :data:`ROWS` schools: the county's own rows
repeated with new 学校标识码 (same category digits, a running number) and new names, every other cell
as exported. Each command runs in a fresh interpreter as a user runs it (``python -m lcedu.cli``);
peak RSS is the largest of the command's process and its worker processes (``getrusage`` of the
process and of its children), in MiB. Issue 26 measured 2.6 GB in check; the brief of session 19 about 2.2 GB.

Side by side, the baseline is what reading the roster cost before any typing when it was read whole: every
sheet of the big roster as calamine's grid (``readers.read_workbook``), its peak RSS in a fresh interpreter.
lcedu now streams an xlsx roster and keeps only the mapped columns (``roster.read_body``).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import OUT, REPO

ROWS = 200_000
YEAR = 2025
COUNTY = "凤庆县"
TARGET_MIB = 1.5 * 1024

#: Runs the CLI in this interpreter and prints wall seconds and the peak RSS of it and its children (MiB).
RUN = """
import resource, sys, time
from lcedu.cli import main
start = time.perf_counter()
code = main({args!r})
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("BENCH", code, time.perf_counter() - start, own, children, file=sys.stderr)
"""


#: The baseline: the big roster read whole, every cell of every sheet (what check did before it typed anything).
WHOLE_GRID = """
import resource, sys, time
from pathlib import Path
from lcedu.ingest.readers import read_workbook
start = time.perf_counter()
grids = read_workbook(Path({path!r}).read_bytes(), "roster", [])
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("BENCH", 0, time.perf_counter() - start, rss, 0, file=sys.stderr)
"""


def _roster_rows(path: Path) -> tuple[list[list[object]], list[list[object]], list[list[object]]]:
    """The roster's header block (down to the 甲 乙 1 2 … row), its school rows and the notes under them."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    grid = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)
    numbers = next(i for i, r in enumerate(grid) if r and r[0] == "甲")
    end = next(i for i in range(numbers + 1, len(grid)) if not grid[i][0])
    return grid[: numbers + 1], grid[numbers + 1 : end], grid[end:]


def write_big_roster(source: Path, target: Path, rows: int = ROWS) -> None:
    """A roster of ``rows`` schools shaped like ``source`` (xlsxwriter in constant-memory mode)."""
    import xlsxwriter

    header, schools, notes = _roster_rows(source)
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("过录表")
    at = 0
    for line in header:
        sheet.write_row(at, 0, line)
        at += 1
    for n in range(rows):
        row = list(schools[n % len(schools)])
        row[0] = f"{row[0]}（{n // len(schools) + 1}）"
        row[1] = f"{str(row[1])[:2]}{70_000_000 + n:08d}" if n >= len(schools) else row[1]
        sheet.write_row(at, 0, row)
        at += 1
    for line in notes:
        sheet.write_row(at, 0, line)
        at += 1
    book.close()


def raw_folder(rows: int = ROWS) -> Path:
    """The sample's 2025 school year with one county's roster of ``rows`` schools (built once, cached)."""
    out = OUT / "memory" / f"raw-{rows}"
    done = out.with_name(out.name + ".complete")  # beside the folder: check names every file in it
    if done.exists():
        return out
    if out.exists():
        shutil.rmtree(out)
    raw = REPO / "data" / "raw"
    for folder in ("rosters", "local", "county"):
        shutil.copytree(raw / folder / str(YEAR), out / folder / str(YEAR))
    shutil.copytree(raw / "city", out / "city")
    shutil.copy2(raw / "rosters" / "sites.csv", out / "rosters" / "sites.csv")
    source = next(p for p in (out / "rosters" / str(YEAR)).iterdir() if p.name.startswith(COUNTY))
    big = OUT / "memory" / "big.xlsx"
    write_big_roster(source, big, rows)
    big.replace(source)
    done.touch()
    return out


def measure(command: list[str] | str, repeat: int) -> dict:
    """Exit code, median seconds and peak RSS of a CLI command (a list of arguments) or of a script, each run in
    a fresh interpreter."""
    script = command if isinstance(command, str) else RUN.format(args=command)
    samples = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False)
        line = next((x for x in done.stderr.splitlines() if x.startswith("BENCH")), None)
        if line is None:
            raise RuntimeError(f"{script[:200]} did not finish: {done.stderr[-2000:]}")
        _, code, seconds, own, children = line.split()
        samples.append((int(code), float(seconds), max(float(own), float(children)), float(own), float(children)))
    return {
        "exit": samples[0][0],
        "median_s": statistics.median(s[1] for s in samples),
        "peak_rss_mib": statistics.median(s[2] for s in samples),
        "own_mib": statistics.median(s[3] for s in samples),
        "children_mib": statistics.median(s[4] for s in samples),
    }


def run(quick: bool = False) -> list[dict]:
    rows = 2_000 if quick else ROWS  # quick: the smoke run in make test proves it runs, nothing more
    start = time.perf_counter()
    raw = raw_folder(rows)
    built = time.perf_counter() - start
    processed = OUT / "memory" / "processed"
    roster = next(p for p in (raw / "rosters" / str(YEAR)).iterdir() if p.name.startswith(COUNTY))
    repeat = 1 if quick else 3
    base = measure(WHOLE_GRID.format(path=str(roster)), repeat)
    out = [
        {
            "benchmark": f"memory {rows:,}-row roster",
            "variant": "baseline: the roster read whole (calamine grid)",
            "median_s": base["median_s"],
            "peak_rss_mib": base["peak_rss_mib"],
            "rows_per_s": rows / base["median_s"],
            "ratio": 1.0,
            "notes": "every cell of every sheet, before any typing: what check held first when it read rosters whole",
        }
    ]
    for name, args in {
        "check": ["check", "--raw", str(raw), "--reports", str(OUT / "memory" / "reports")],
        "clean": ["clean", "--raw", str(raw), "--out", str(processed), "--keep-builds", "1"],
    }.items():
        m = measure(args, repeat)
        out.append(
            {
                "benchmark": f"memory {rows:,}-row roster",
                "variant": f"lcedu {name} (exit {m['exit']})",
                "median_s": m["median_s"],
                "peak_rss_mib": m["peak_rss_mib"],
                "rows_per_s": rows / m["median_s"],
                "ratio": base["peak_rss_mib"] / m["peak_rss_mib"],
                "notes": f"main process {m['own_mib']:.0f} MiB, largest worker {m['children_mib']:.0f} MiB; "
                f"target < {TARGET_MIB:.0f} MiB ({'met' if m['peak_rss_mib'] < TARGET_MIB else 'NOT met'}); "
                f"ratio = baseline peak / this peak; input built in {built:.0f}s",
            }
        )
    return out


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
