"""Expected failures end as a message and exit 2, with nothing half-written: permissions, a full disk."""

from __future__ import annotations

import errno
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from lcedu.cli import main
from lcedu.ingest import store

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
pytestmark = pytest.mark.integration  # cleans the embedded sample


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_disk_full_leaves_the_processed_set_as_it_was(processed_sample: Path, tmp_path: Path, capsys,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "processed"
    frame = pd.DataFrame({"a": [1]})
    store.write({"schools": frame}, {}, out)
    before = _snapshot(out)
    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def full(self, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    assert main(["clean", "--raw", str(RAW), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "磁盘已满" in err and "Traceback" not in err
    assert _snapshot(out) == before  # the old build, the current link, no partial folder
    assert not list(out.glob(".build-*"))


def test_permission_denied_is_a_message(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "processed"))

    monkeypatch.setattr(store, "write", denied)
    assert main(["clean", "--raw", str(RAW), "--out", str(tmp_path / "processed")]) == 2
    err = capsys.readouterr().err
    assert "permission denied" in err and str(tmp_path / "processed") in err and "Traceback" not in err


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_clean_workers_die_with_a_killed_clean(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "lcedu.cli", "clean", "--raw", str(RAW), "--out",
                             str(tmp_path / "processed")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    for _ in range(300):  # wait until the pool's workers are up
        workers = _children(proc.pid)
        if len(workers) >= 2:
            break
        time.sleep(0.1)
    assert workers, "clean started no worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(100):
        alive = [w for w in workers if Path(f"/proc/{w}").exists() and
                 Path(f"/proc/{w}/stat").read_text().split()[2] != "Z"]
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"workers outlived their parent: {alive}"
