"""The processed set: Parquet tables plus a manifest, swapped in atomically.

``data/processed/current`` is a symlink to one complete build; a new build is written
beside it and the link is replaced in one rename, so a crash, a kill or a full disk midway
leaves the previous set whole. One writer at a time: a clean holds ``.clean.lock`` (a second
clean is refused with a message naming the first). A reader that must see one build throughout
(a render) pins it (:func:`pin`): it resolves ``current`` once and holds a shared lock that
keeps the build from being pruned. Older builds are pruned after each write: the newest
:data:`KEEP_BUILDS` (``$LCEDU_KEEP_BUILDS``) stay, and any build still pinned.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from lcedu.errors import RequestError
from lcedu.paths import processed_dir

#: Builds kept after a clean (the new one included); older ones are removed unless a render pins them.
KEEP_BUILDS = 3
LOCK_NAME = ".clean.lock"
PINS = ".pins"

PACKAGES = ("lcedu", "pandas", "pyarrow", "python-calamine", "pandera", "numpy", "xlsxwriter")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def keep_builds(keep: int | None = None) -> int:
    """How many builds a clean keeps: the argument, $LCEDU_KEEP_BUILDS, else :data:`KEEP_BUILDS` (at least 1)."""
    if keep is None:
        text = os.environ.get("LCEDU_KEEP_BUILDS", "")
        keep = int(text) if text.strip().isdigit() else KEEP_BUILDS
    return max(1, keep)


class BusyError(RequestError):
    """Another clean is writing into the same processed folder."""


_HELD: dict[Path, list] = {}  # processed folder → [open lock file, depth]: this process's clean locks


@contextlib.contextmanager
def clean_lock(out_dir: str | Path | None = None) -> Iterator[Path]:
    """Hold the processed folder's writer lock (re-entrant in one process); a second writer is refused.

    The lock is the kernel's (flock): a clean that is killed releases it, no stale lock remains.
    """
    root = processed_dir(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    key = root.resolve()
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield root
        finally:
            _HELD[key][1] -= 1
        return
    handle = open(root / LOCK_NAME, "a+", encoding="utf-8")  # noqa: SIM115 (held until the block ends)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise BusyError(
            f"另一个 lcedu clean 正在写入 {root}（{holder}）/ another clean is writing into this folder ({holder})",
            "等它结束后再运行；处理结果始终是一个完整的构建 / wait for it to finish and run again "
            "(data/processed/current always names a whole build)",
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"进程 pid {os.getpid()}，开始于 started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    handle.flush()
    _HELD[key] = [handle, 1]
    try:
        yield root
    finally:
        handle.seek(0)
        handle.truncate()  # the folder looks the same before and after a clean, but for the new build
        del _HELD[key]
        handle.close()  # releases the lock


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(
    tables: dict[str, pd.DataFrame], manifest: dict, out_dir: str | Path | None = None, keep: int | None = None
) -> Path:
    """Write every table and the manifest as one new build, point ``current`` at it, prune old builds.

    The tables are written the same way every time (same rows, order and schema give the same bytes),
    so cleaning the same raw folder twice gives identical Parquet files; the manifest records each
    table's SHA-256, the inputs' hashes (from the caller) and the package versions.
    """
    with clean_lock(out_dir) as root:
        build = root / f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        staging = build.with_name("." + build.name + ".partial")
        staging.mkdir()
        try:
            for name, frame in tables.items():
                frame.to_parquet(staging / f"{name}.parquet", index=False)
            manifest = {
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "lcedu_version": package_versions()["lcedu"],
                "versions": package_versions(),
                **manifest,
                "tables": {
                    n: {"rows": len(f), "columns": list(f.columns), "sha256": _file_hash(staging / f"{n}.parquet")}
                    for n, f in tables.items()
                },
            }
            text = json.dumps(manifest, ensure_ascii=False, indent=2)
            (staging / "manifest.json").write_text(text, encoding="utf-8")
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
        prune(root, keep_builds(keep))
    clear_cache()
    return build


def prune(root: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` builds (never ``current``, never a pinned one) and stale partials.

    Call with the clean lock held: no other writer's partial build is in progress then.
    """
    current_build = (root / "current").resolve() if (root / "current").exists() else None
    builds = sorted(root.glob("build-*"), key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    removed = []
    for old in [*builds[keep:], *root.glob(".build-*.partial")]:
        if old == current_build or _pinned(root, old.name):
            continue
        shutil.rmtree(old)
        removed.append(old)
    return removed


def _pinned(root: Path, name: str) -> bool:
    """Is a render still reading this build? (Its pin holds a shared lock; a dead render's does not.)."""
    pin = root / PINS / f"{name}.lock"
    if not pin.exists():
        return False
    with open(pin, "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    pin.unlink(missing_ok=True)
    return False


@contextlib.contextmanager
def pin(path: str | Path | None = None) -> Iterator[Path]:
    """The current build, resolved once and kept for the whole block: a clean that swaps ``current``
    meanwhile changes nothing this reader sees, and pruning leaves the build alone until the block ends.

    Point ``LCEDU_PROCESSED`` at the yielded build for processes that must read the same one (kernels).
    """
    build, handle = _pin_current(path)
    try:
        yield build
    finally:
        if handle is not None:
            handle.close()


def _pin_current(path: str | Path | None):
    """Resolve ``current`` and take the pin's shared lock; again if a clean pruned the build in between."""
    while True:
        build = current(path)
        pins = build.parent / PINS
        try:
            pins.mkdir(exist_ok=True)
            handle = open(pins / f"{build.name}.lock", "a", encoding="utf-8")  # noqa: SIM115 (held by pin())
        except OSError:  # a read-only copy of a build (a worker's), a full disk: read it unpinned
            return build, None
        fcntl.flock(handle, fcntl.LOCK_SH)
        if build.is_dir():
            return build, handle
        handle.close()


class NoBuildError(RequestError, FileNotFoundError):
    """No processed build where one is looked for: exit 2 with the fix (still a FileNotFoundError)."""


def current(path: str | Path | None = None) -> Path:
    """The build ``current`` names; a build folder itself (what a pinned render passes on) is its own current."""
    folder = processed_dir(path)
    link = folder / "current"
    if not link.exists() and (folder / "manifest.json").is_file():
        return folder.resolve()
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
