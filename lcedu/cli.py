"""Command line: ``lcedu sample | check | clean | report``.

Expected problems (bad input, missing data) print a readable message and exit with 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lcedu.errors import InputErrors

EXIT_INPUT = 2
REPO = Path(__file__).resolve().parents[1]


def _default(path: str) -> Path:
    """Paths relative to the repository when run from a checkout, else to the working directory."""
    return REPO / path if (REPO / "pyproject.toml").exists() else Path(path)


def cmd_sample(args: argparse.Namespace) -> int:
    from lcedu.sample import generate, province_counties

    counties = province_counties(args.province) if args.province else None
    density = 0.33 if args.province else 1.0
    start = time.perf_counter()
    truth = generate(Path(args.out), counties=counties, seed=args.seed, density=density)
    n = truth["schools"].groupby("year").size()
    print(f"合成样例已写入 {args.out} (synthetic sample, not official data): "
          f"{truth['schools']['county_code'].nunique()} 县, 每年学校 {int(n.min())}–{int(n.max())} 所, "
          f"{time.perf_counter() - start:.1f}s")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from lcedu.clean import collect
    from lcedu.schemas import finalize

    result = collect(Path(args.raw))
    if not result.errors:
        finalize(result.tables, result.issues)
    _print_issues(result.issues)
    if result.errors:
        return EXIT_INPUT
    print(f"检查通过 / check passed: {len(result.inputs)} 个文件, {len(result.warnings)} 条提示")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from lcedu import quality, store
    from lcedu.clean import clean

    start = time.perf_counter()
    result = clean(Path(args.raw))
    raw = Path(args.raw)
    manifest = {
        "raw_dir": str(raw),
        "is_sample": (raw / "sample.json").exists(),
        "inputs": result.inputs,
        "warnings": [i.format() for i in result.warnings],
        "seconds": round(time.perf_counter() - start, 2),
    }
    build = store.write(result.tables, manifest, args.out)
    _print_issues(result.warnings)
    print(quality.summary(result.tables))
    print(f"已写入 / written: {build} ({time.perf_counter() - start:.1f}s)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    code = cmd_clean(args)
    if code:
        return code
    print("下一步 / next: 在 JupyterLab 中打开 notebooks/ (jupyter lab)")
    return 0


def _print_issues(issues: list) -> None:
    for issue in issues:
        print(issue.format(), file=sys.stderr)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lcedu", description="临沧市教育高质量发展三年行动计划 analytics")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write the synthetic, calibrated sample into data/raw/")
    s.add_argument("--out", default=str(_default("data/raw")))
    s.add_argument("--seed", type=int, default=2023)
    s.add_argument("--province", type=int, metavar="N", help="generate N counties (scale tests) instead of 临沧")
    s.set_defaults(func=cmd_sample)

    for name, func, text in (("check", cmd_check, "validate raw files without writing anything"),
                             ("clean", cmd_clean, "raw files → validated Parquet tables in data/processed/"),
                             ("report", cmd_report, "the main job on the embedded sample")):
        c = sub.add_parser(name, help=text)
        c.add_argument("--raw", default=str(_default("data/raw")))
        if name != "check":
            c.add_argument("--out", default=str(_default("data/processed")))
        c.set_defaults(func=func)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except InputErrors as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except FileNotFoundError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("已中断；data/processed/ 保持原样 / interrupted; processed data unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
