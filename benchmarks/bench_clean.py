"""Cleaning throughput: `lcedu clean` against reading the same files with pandas + openpyxl.

The baseline only *reads* (pandas.read_excel(engine="openpyxl") for every sheet, read_csv for
CSV exports) and does none of the cleaning, so the ratio understates what lcedu saves.
"""

from __future__ import annotations

from benchmarks.common import REPO, peak_rss_mib, province_raw, tiny_raw

BASELINE = """
import csv
from pathlib import Path
import pandas as pd
raw = Path({raw!r})
rows = 0
for p in sorted(raw.rglob('*')):
    if p.suffix == '.xlsx' and not p.name.startswith('~$'):
        rows += sum(len(f) for f in pd.read_excel(p, sheet_name=None, header=None, engine='openpyxl').values())
    elif p.suffix == '.csv' and p.parent.name.isdigit():  # CSV exports (rosters/<year>/, schools/<year>/)
        with p.open(encoding='gb18030', newline='') as f:
            rows += sum(1 for _ in csv.reader(f))
"""
LCEDU = """
from pathlib import Path
from lcedu.ingest.clean import clean
result = clean(Path({raw!r}))
rows = sum(len(result.tables[t]) for t in ('schools', 'enrollment', 'teachers', 'facilities', 'population',
                                             'disability', 'ledger', 'city') if t in result.tables)
"""
COUNT_ROWS = """
from pathlib import Path
from lcedu.ingest.clean import collect
r = collect(Path({raw!r}))
print(sum(len(r.tables[t]) for t in ('schools', 'enrollment', 'teachers', 'facilities', 'population',
                                     'disability', 'ledger', 'city') if t in r.tables))
"""


def _measure(name: str, raw, repeat: int) -> list[dict]:
    import statistics
    import subprocess
    import sys

    rows = int(
        subprocess.run(
            [sys.executable, "-c", COUNT_ROWS.format(raw=str(raw))],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        ).stdout.split()[-1]
    )
    out = []
    runs = {
        "baseline: pandas.read_excel(openpyxl), read only": BASELINE,
        "lcedu clean (read + clean + validate)": LCEDU,
    }
    measured = {}
    for label, code in runs.items():
        samples = [peak_rss_mib(code.format(raw=str(raw))) for _ in range(repeat)]
        seconds = statistics.median(s for s, _ in samples)
        rss = statistics.median(m for _, m in samples)
        measured[label] = seconds
        out.append(
            {
                "benchmark": f"clean {name}",
                "variant": label,
                "median_s": seconds,
                "peak_rss_mib": rss,
                "rows_per_s": rows / seconds,
                "notes": f"{rows} records, {repeat} runs",
            }
        )
    base, ours = measured.values()
    out[-1]["ratio"] = base / ours
    return out


def run(quick: bool = False) -> list[dict]:
    if quick:
        return _measure("临沧 tiny sample", tiny_raw(), 1)
    return _measure("临沧 sample", REPO / "data" / "raw", 3) + _measure("province (129 counties)", province_raw(), 3)
