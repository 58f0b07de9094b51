"""The processed folder under concurrency and a full disk: one clean at a time, pinned builds, pruning.

Two cleans at once, a clean swapping ``current`` during a render, a disk that fills up midway: ``current``
always names a whole build, a render reads one build throughout, and nothing that was there is lost.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcedu.cli import main
from lcedu.ingest import store
from lcedu.measure import results
from lcedu.publish import render, site

REPO = Path(__file__).resolve().parents[1]


def _write(out: Path, value: int, keep: int | None = None) -> Path:
    return store.write({"schools": pd.DataFrame({"school_id": [str(value)]})}, {"n": value}, out, keep=keep)


def _school(out: Path | str) -> str:
    store.clear_cache()
    return store.load("schools", out)["school_id"].iloc[0]


def _hold_lock(out: Path) -> subprocess.Popen:
    """Another process holding the clean lock (a clean in progress), until killed."""
    code = textwrap.dedent(
        f"""
        import time
        from lcedu.ingest import store
        with store.clean_lock({str(out)!r}):
            print("held", flush=True)
            time.sleep(120)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_clean_is_refused_while_one_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "processed"
    first = _write(out, 1)
    holder = _hold_lock(out)
    try:
        with pytest.raises(store.BusyError) as err:
            _write(out, 2)
        assert f"pid {holder.pid}" in str(err.value), "the message names the clean that holds the lock"
        code = main(["clean", "--raw", str(tmp_path / "raw"), "--out", str(out)])
        text = capsys.readouterr().err
        assert code == 2 and "另一个 lcedu clean 正在写入" in text and "Traceback" not in text
        assert store.current(out) == first and _school(out) == "1", "current still names the whole first build"
    finally:
        holder.kill()
        holder.wait()
    # A killed clean leaves no stale lock: the next one goes ahead.
    assert _school(_write(out, 3).parent) == "3"


def test_old_builds_are_pruned_to_the_newest_n(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "processed"
    builds = [_write(out, i, keep=3) for i in range(5)]
    assert sorted(out.glob("build-*")) == sorted(builds[-3:])
    monkeypatch.setenv("LCEDU_KEEP_BUILDS", "1")
    last = _write(out, 5)
    assert list(out.glob("build-*")) == [last] and store.current(out) == last
    assert not list(out.glob(".build-*")), "no partial build left"


def test_a_render_pins_its_build_across_a_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a render reads (this process, and kernels through LCEDU_PROCESSED) stays the build it started with,
    and that build is not pruned while the render runs, even with keep=1."""
    out = tmp_path / "processed"
    _write(out, 1)
    with store.pin(out) as build:
        monkeypatch.setenv("LCEDU_PROCESSED", str(build))
        newer = _write(out, 2, keep=1)  # a clean finishing mid-render
        assert store.current(out) == newer
        assert build.is_dir(), "the pinned build is not pruned"
        assert _school(None) == "1", "this process still reads the pinned build"
        kernel = subprocess.run(
            [sys.executable, "-c", "import lcedu; print(lcedu.load('schools')['school_id'].iloc[0])"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=True,
        )
        assert kernel.stdout.strip() == "1", "a kernel started by the render reads the pinned build"
    _write(out, 3, keep=1)
    assert not build.exists(), "unpinned, it is pruned like any old build"


def test_render_command_passes_the_resolved_build_to_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "processed"
    build = _write(out, 1)
    monkeypatch.setenv("LCEDU_PROCESSED", str(out))
    seen = {}

    def fake_execute(jobs, workers=None, progress=None):
        seen["env"] = os.environ["LCEDU_PROCESSED"]
        _write(out, 2, keep=1)  # a clean swapping current mid-render
        seen["read"] = _school(None)
        return iter([])

    monkeypatch.setattr(render, "execute", fake_execute)
    monkeypatch.setattr(render, "write_manifest", lambda *a, **k: None)
    monkeypatch.setattr(results, "require_year", lambda year: None)  # this build has only the schools table
    monkeypatch.setattr(site, "build_index", lambda *a, **k: tmp_path / "index.html")
    main(["render", "--counties", "530925", "--notebooks", "county_briefing", "--year", "2024", "--out", str(tmp_path)])
    assert seen == {"env": str(build), "read": "1"}
    assert os.environ["LCEDU_PROCESSED"] == str(out), "restored after the render"


def test_a_killed_writer_never_leaves_current_half_built(tmp_path: Path) -> None:
    """SIGKILL at any point of a write: current is the old build or the new one, each whole."""
    out = tmp_path / "processed"
    _write(out, 0)
    code = textwrap.dedent(
        f"""
        import pandas as pd
        from lcedu.ingest import store
        big = pd.DataFrame({{"school_id": [str(i) for i in range(300_000)]}})
        for n in range(1, 100):
            store.write({{"schools": big.assign(n=n)}}, {{}}, {str(out)!r})
        """
    )
    for delay in (0.8, 1.6, 2.4):
        proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)})
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        build = store.current(out)
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        for name, entry in manifest["tables"].items():
            assert len(pd.read_parquet(build / f"{name}.parquet")) == entry["rows"]


# --- a full disk: a real one (a small tmpfs) where the machine allows it --------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 3 MB tmpfs (needs root and a kernel that allows the mount); skipped elsewhere (ENOSPC is then
    injected by tests/test_errors.py)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _fill(disk: Path, leave: int) -> None:
    """Fill the disk up to ``leave`` bytes free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


def test_a_full_disk_during_a_write_keeps_the_previous_build(small_disk: Path) -> None:
    out = small_disk / "processed"
    old = _write(out, 1)
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    _fill(small_disk, 64 * 1024)
    noise = pd.DataFrame({"school_id": [str(x) for x in np.random.default_rng(1).integers(0, 10**12, 200_000)]})
    with pytest.raises(OSError) as err:
        store.write({"schools": noise}, {}, out)
    assert err.value.errno == errno.ENOSPC
    assert store.current(out) == old and {p.name: p.read_bytes() for p in old.iterdir()} == before
    assert not list(out.glob(".build-*")), "the partial build is removed"
    assert _school(out) == "1"


def test_a_full_disk_during_a_render_write_keeps_the_previous_page(small_disk: Path) -> None:
    folder = small_disk / "reports" / "2025" / "530925"
    folder.mkdir(parents=True)
    page, notebook = folder / "county_briefing.html", folder / "county_briefing.ipynb"
    page.write_text("<html>the previous page</html>", encoding="utf-8")
    notebook.write_text("{}", encoding="utf-8")
    job = render.Job("county_briefing", "530925", 2025, "zh", "in.ipynb", str(notebook), str(page))
    _fill(small_disk, 16 * 1024)
    with pytest.raises(OSError) as err:
        render.write_outputs(render.Outcome(job, True, 1.0), "{}", "x" * 2_000_000)
    assert err.value.errno == errno.ENOSPC
    render.remove_partials([job])
    assert page.read_text(encoding="utf-8") == "<html>the previous page</html>"
    assert sorted(p.name for p in folder.iterdir()) == ["county_briefing.html", "county_briefing.ipynb"]


def test_the_cli_says_the_disk_is_full_and_what_was_kept(
    small_disk: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lcedu import build as build_module

    out = small_disk / "processed"
    old = _write(out, 1)
    _fill(small_disk, 64 * 1024)
    big = {"schools": pd.DataFrame({"school_id": [str(x) for x in range(400_000)]})}

    class Result:
        tables, issues, inputs, warnings = big, [], [], []

    monkeypatch.setattr("lcedu.ingest.clean.clean", lambda *a, **k: Result())
    monkeypatch.setattr(build_module, "compute_results", lambda tables: {})
    assert main(["clean", "--raw", str(small_disk), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "磁盘已满" in err and "保持不变" in err and "Traceback" not in err
    assert store.current(out) == old
