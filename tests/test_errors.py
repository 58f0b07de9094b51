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


def test_disk_full_leaves_the_processed_set_as_it_was(
    processed_sample: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "lcedu.cli", "clean", "--raw", str(RAW), "--out", str(tmp_path / "processed")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
        alive = [
            w for w in workers if Path(f"/proc/{w}").exists() and Path(f"/proc/{w}/stat").read_text().split()[2] != "Z"
        ]
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"workers outlived their parent: {alive}"


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    return raw


def test_counties_csv_in_gbk_is_read(raw_copy: Path, capsys) -> None:
    (raw_copy / "counties.csv").write_bytes("county_code,name_zh,short_name_zh\n530102,五华区,五华区\n".encode("gbk"))
    assert main(["check", "--raw", str(raw_copy)]) == 0
    assert "counties.csv" not in capsys.readouterr().err


def test_counties_csv_with_other_columns_is_a_message(raw_copy: Path, capsys) -> None:
    (raw_copy / "counties.csv").write_text("代码,名称\n530102,五华区\n", encoding="utf-8")
    assert main(["check", "--raw", str(raw_copy)]) == 2
    err = capsys.readouterr().err
    assert "counties.csv" in err and "county_code" in err and "代码, 名称" in err and "Traceback" not in err


def test_a_broken_local_layout_is_a_message(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "layouts"
    local.mkdir()
    (local / "population.yml").write_text("table: population\nlevel: county\n  key: [county_code\n", encoding="utf-8")
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))
    assert main(["check", "--raw", str(RAW)]) == 2
    err = capsys.readouterr().err
    assert "population.yml" in err and "第3行" in err and "YAML" in err and "Traceback" not in err
