"""The processed set: Parquet tables plus a manifest, swapped in atomically.

``data/processed/current`` is a symlink to one complete build; a new build is written
beside it and the link is replaced in one rename, so a crash or kill midway leaves the
previous set whole.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from lcedu.errors import RequestError
from lcedu.paths import processed_dir

PACKAGES = ("lcedu", "pandas", "pyarrow", "python-calamine", "pandera", "numpy", "xlsxwriter")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write(tables: dict[str, pd.DataFrame], manifest: dict, out_dir: str | Path | None = None) -> Path:
    """Write every table and the manifest as one new build, then point ``current`` at it."""
    root = processed_dir(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    build = root / f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    staging = build.with_name("." + build.name + ".partial")
    staging.mkdir()
    try:
        for name, frame in tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": package_versions(),
            **manifest,
            "tables": {n: {"rows": len(f), "columns": list(f.columns)} for n, f in tables.items()},
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    except BaseException:  # disk full, interrupted …: leave nothing half-written behind
        shutil.rmtree(staging, ignore_errors=True)
        raise
    staging.rename(build)
    link = root / "current"
    tmp_link = root / f".current-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(build.name)
    os.replace(tmp_link, link)
    # Only now are older builds (and partial ones a killed run left) safe to remove.
    for old in [*root.glob("build-*"), *root.glob(".build-*.partial")]:
        if old != build:
            shutil.rmtree(old)
    clear_cache()
    return build


class NoBuildError(RequestError, FileNotFoundError):
    """No processed build where one is looked for: exit 2 with the fix (still a FileNotFoundError)."""


def current(path: str | Path | None = None) -> Path:
    link = processed_dir(path) / "current"
    if not link.exists():
        raise NoBuildError(
            f"{link} 不存在 / no processed data yet",
            "先运行 `lcedu clean`（或把 LCEDU_PROCESSED 指向已有的处理结果）/ run `lcedu clean` first",
        )
    return link.resolve()


def manifest(path: str | Path | None = None) -> dict:
    return json.loads((current(path) / "manifest.json").read_text(encoding="utf-8"))


class MissingTableError(RequestError, KeyError):
    """A processed build without the table asked for (an older or partial build): exit 2, not a traceback.

    Still a KeyError for callers that look a table up and fall back.
    """


@cache
def _read(build: Path, table: str) -> pd.DataFrame:
    file = build / f"{table}.parquet"
    if not file.exists():
        names = sorted(p.stem for p in build.glob("*.parquet"))
        raise MissingTableError(
            f"处理结果 {build} 中没有表 {table} / no processed table {table!r}; available: {', '.join(names) or '—'}",
            "重新运行 `lcedu clean` 生成完整的处理结果（该构建来自旧版本或不完整）/ run `lcedu clean`",
        )
    return pd.read_parquet(file)


def clear_cache() -> None:
    """Forget tables read so far (the next load reads the Parquet files again)."""
    _read.cache_clear()


def load(table: str, path: str | Path | None = None) -> pd.DataFrame:
    """A processed table; cached per build, returned as a copy so callers may modify it freely."""
    return _read(current(path), table).copy()
