"""Per-school forms: one year of 临沧 (~2,100 教基 workbooks) cleaned by lcedu against openpyxl reading them.

The baseline opens each workbook with openpyxl (read-only) and reads every cell of every sheet, which
includes the cells lcedu reads; it does none of the recognising, typing or validating, so the ratio
understates what lcedu saves. Both run in fresh interpreters, side by side in one run; medians of 3.
"""

from __future__ import annotations

import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks.common import TINY_DENSITY, peak_rss_mib

YEAR = 2025
BASELINE = """
from pathlib import Path
import openpyxl
cells = 0
for p in sorted(Path({raw!r}).rglob('*.xlsx')):
    wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
    wb.close()
"""
LCEDU = """
from pathlib import Path
from lcedu.ingest.clean import clean
result = clean(Path({raw!r}), partial=True)  # a forms-only folder: no population, ledger …
rows = sum(len(result.tables[t]) for t in ('schools', 'enrollment', 'teachers', 'facilities'))
"""


def _write_county(args: tuple[dict, Path, str]) -> int:
    from lcedu.sample.forms import write_forms

    truth, raw, county = args
    return len(write_forms(truth, raw, county, YEAR, "jiaoji_2021"))


def _write(raw: Path, quick: bool) -> int:
    """All 8 counties as per-school 教基 workbooks, written in parallel by county (quick: one county of a
    sample at a twentieth of the density, a handful of workbooks)."""
    from lcedu.sample.truth import build_truth, lincang_counties

    counties = lincang_counties()
    truth = build_truth(counties, [YEAR], 2023, density=TINY_DENSITY if quick else 1.0, with_city=False)
    truth = {t: truth[t] for t in ("schools", "enrollment", "teachers", "facilities")}
    codes = [c.county_code for c in counties][: 1 if quick else None]
    with ProcessPoolExecutor(max_workers=2) as pool:
        return sum(pool.map(_write_county, [(truth, raw, c) for c in codes]))


def run(quick: bool = False) -> list[dict]:
    repeat = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="lcedu-forms-") as tmp:
        raw = Path(tmp) / "raw"
        n = _write(raw, quick)
        runs = {
            "baseline: openpyxl read-only, every cell": BASELINE,
            "lcedu clean (forms: read + type + validate)": LCEDU,
        }
        out, measured = [], {}
        for label, code in runs.items():
            samples = [peak_rss_mib(code.format(raw=str(raw))) for _ in range(repeat)]
            seconds = statistics.median(s for s, _ in samples)
            measured[label] = seconds
            out.append(
                {
                    "benchmark": f"forms 临沧 {YEAR}",
                    "variant": label,
                    "median_s": seconds,
                    "peak_rss_mib": statistics.median(m for _, m in samples),
                    "rows_per_s": n / seconds,
                    "notes": f"{n} workbooks ({n / seconds:.0f} workbooks/s), {repeat} runs",
                }
            )
        base, ours = measured.values()
        out[-1]["ratio"] = base / ours
        return out
