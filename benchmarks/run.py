"""`make bench`: every benchmarks/bench_*.py, side by side against its baseline, as a table.

Set BENCH_QUICK=1 to skip the generated province.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

from benchmarks.common import OUT


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    only = sys.argv[1:]
    rows: list[dict] = []
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        module = importlib.import_module(f"benchmarks.{path.stem}")
        print(f"running {path.stem} …", flush=True)
        rows += module.run(quick=quick)
    print(f"\n{'benchmark':<32}{'variant':<52}{'median s':>10}{'peak MiB':>10}{'rows/s':>12}{'ratio':>8}")
    for r in rows:
        print(
            f"{r['benchmark']:<32}{r['variant']:<52}{r['median_s']:>10.2f}"
            f"{r.get('peak_rss_mib', float('nan')):>10.0f}{r.get('rows_per_s', float('nan')):>12.0f}"
            f"{(format(r['ratio'], '.2f') + 'x') if 'ratio' in r else '':>8}"
        )
        if r.get("notes"):
            print(f"{'':<32}  {r['notes']}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
