"""Reproducible builds: the same raw folder cleaned twice gives byte-identical tables, and the manifest
says what went in (every input's hash) and what made it (the lcedu version), so a build can be traced."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import pytest

from lcedu.cli import main
from lcedu.ingest import store

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
pytestmark = pytest.mark.integration


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cleaning_the_same_raw_folder_twice_gives_identical_tables(
    processed_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clean", "--raw", str(RAW), "--out", str(tmp_path / "again")]) == 0
    capsys.readouterr()
    first, second = store.current(processed_sample), store.current(tmp_path / "again")
    tables = sorted(p.name for p in first.glob("*.parquet"))
    assert tables == sorted(p.name for p in second.glob("*.parquet")) and len(tables) > 20
    differ = [name for name in tables if (first / name).read_bytes() != (second / name).read_bytes()]
    assert differ == [], "byte-identical Parquet: no timestamps, no ordering that depends on the run"
    a, b = (json.loads((d / "manifest.json").read_text(encoding="utf-8")) for d in (first, second))
    assert {n: t["sha256"] for n, t in a["tables"].items()} == {n: t["sha256"] for n, t in b["tables"].items()}


def test_the_manifest_traces_a_build_to_its_inputs_and_version(processed_sample: Path) -> None:
    build = store.current(processed_sample)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lcedu_version"] == metadata.version("lcedu") == manifest["versions"]["lcedu"]
    inputs = {i["path"]: i["sha256"] for i in manifest["inputs"]}
    data_files = {
        p.relative_to(RAW).as_posix(): p
        for p in RAW.rglob("*")
        if p.is_file() and p.suffix in (".xlsx", ".csv") and p.name != "counties.csv"
    }
    assert set(data_files) <= set(inputs), set(data_files) - set(inputs)
    assert all(inputs[rel] == _sha256(path) for rel, path in data_files.items())
    for name, table in manifest["tables"].items():
        assert table["sha256"] == _sha256(build / f"{name}.parquet")
