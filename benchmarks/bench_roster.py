"""过录表 throughput: one school year of rosters cleaned by lcedu, against opening them with openpyxl.

The baseline opens every roster workbook with openpyxl (read-only, values only) and reads every
cell of every row — the cells lcedu uses are among them, and openpyxl has to parse the whole sheet
to reach any of them — and reads a CSV roster with the csv module. It does no matching, typing or
validation, so the ratio understates what lcedu saves. lcedu is timed twice on a folder holding only
that year's rosters, sites.csv and the local sheet: reading the rosters into typed tables
(``roster.read_inputs``: read, match header paths, type, map sites — the same files as the baseline),
and the whole ``clean(partial=True)`` (also the local sheet, the schemas and the plausibility checks).
Each run is a fresh interpreter whose imports are not timed (pandas costs ~1 s to import, openpyxl ~0.2 s).
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

from benchmarks.common import OUT, REPO, province_raw, timed_run, tiny_raw

SETUP_BASELINE = "import csv\nfrom pathlib import Path\nimport openpyxl"
BASELINE = """
cells = 0
for p in sorted(Path({raw!r}).glob('rosters/*/*')):
    if p.suffix == '.xlsx':
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += sum(v is not None for v in row)
        wb.close()
    elif p.suffix == '.csv':
        with p.open(encoding='gb18030', newline='') as f:
            cells += sum(sum(v != '' for v in row) for row in csv.reader(f))
"""
SETUP_LCEDU = "from pathlib import Path\nfrom lcedu.ingest import clean as C, counties, roster"
# The rosters (and sites.csv, which maps their 教学点) read into typed schools / enrollment / teachers /
# facilities frames: the same files as the baseline, what `clean` does with them before the local sheet,
# the schemas and the plausibility checks.
READ = """
raw = Path({raw!r})
issues = []
extra = counties.read_extra(raw, issues)
files = sorted(p for p in raw.rglob('*') if p.is_file() and roster.claims(p.relative_to(raw)) in ('roster', 'sites'))
out = roster.read_inputs(raw, files, extra, lambda p: C.identify(p, raw, extra)[1])
assert not [i for i in out.issues if i.level == 'error'], [i.format() for i in out.issues][:3]
"""
CLEAN = """
result = C.clean(Path({raw!r}), partial=True)
rows = sum(len(result.tables[t]) for t in ('schools', 'enrollment', 'teachers', 'facilities'))
"""
COUNT_ROWS = """
from pathlib import Path
from lcedu.ingest.clean import collect
r = collect(Path({raw!r}), partial=True)
assert not r.errors, [i.format() for i in r.errors][:3]
print(len(r.tables['schools']), sum(len(r.tables[t]) for t in ('schools', 'enrollment', 'teachers', 'facilities')))
"""


def one_year(raw: Path, year: int, name: str) -> Path:
    """A raw folder with one school year of rosters (and the sites and local sheet they need)."""
    out = OUT / "roster" / name
    if out.exists():
        shutil.rmtree(out)
    (out / "rosters").mkdir(parents=True)
    shutil.copytree(raw / "rosters" / str(year), out / "rosters" / str(year))
    shutil.copy2(raw / "rosters" / "sites.csv", out / "rosters" / "sites.csv")
    shutil.copytree(raw / "local" / str(year), out / "local" / str(year))
    if (raw / "counties.csv").exists():
        shutil.copy2(raw / "counties.csv", out / "counties.csv")
    return out


def _measure(name: str, raw: Path, repeat: int) -> list[dict]:
    import subprocess
    import sys

    schools, rows = (
        int(x)
        for x in subprocess.run(
            [sys.executable, "-c", COUNT_ROWS.format(raw=str(raw))],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        ).stdout.split()[-2:]
    )
    files = len(list(raw.glob("rosters/*/*")))
    runs = {
        "baseline: openpyxl read-only, every cell, no cleaning": (SETUP_BASELINE, BASELINE),
        "lcedu roster read (read + match header paths + type)": (SETUP_LCEDU, READ),
        "lcedu clean --partial (+ local sheet, schemas, plausibility)": (SETUP_LCEDU, CLEAN),
    }
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in runs}
    for _ in range(repeat):  # interleaved: a busy spell on the shared machine hits every variant
        for label, (setup, code) in runs.items():
            samples[label].append(timed_run(code.format(raw=str(raw)), setup))

    def median(label: str, what: str) -> float:
        return statistics.median(s[what] for s in samples[label])

    base = next(iter(runs))
    out = []
    for label in runs:
        seconds, cpu = median(label, "wall"), median(label, "cpu")
        out.append(
            {
                "benchmark": f"roster {name}",
                "variant": label,
                "median_s": seconds,
                "peak_rss_mib": median(label, "rss"),
                "rows_per_s": rows / seconds,
                "ratio": median(base, "cpu") / cpu,
                "notes": f"{files} rosters, {schools} schools/sites, {rows} records, {repeat} runs; CPU {cpu:.2f} s "
                f"(wall ratio {median(base, 'wall') / seconds:.2f}x); imports not timed (fresh interpreter each "
                "run); ratio = baseline / this, in CPU seconds (steadier than wall time on a shared machine)",
            }
        )
    return out


def run(quick: bool = False) -> list[dict]:
    if quick:
        return _measure("临沧 tiny 2025", one_year(tiny_raw(), 2025, "tiny"), 1)
    rows = _measure("临沧 2025", one_year(REPO / "data" / "raw", 2025, "lincang"), 5)
    return rows + _measure("province 2025 (129 counties)", one_year(province_raw(), 2025, "province"), 3)
