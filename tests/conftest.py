"""Shared fixtures: the embedded sample cleaned once per session into a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"


@pytest.fixture(scope="session")
def processed_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample cleaned into a temp folder; LCEDU_PROCESSED points at it."""
    from lcedu.ingest import store
    from lcedu.ingest.clean import clean

    out = tmp_path_factory.mktemp("processed")
    result = clean(RAW)
    store.write(result.tables, {"is_sample": True, "inputs": result.inputs}, out)
    os.environ["LCEDU_PROCESSED"] = str(out)
    return out


@pytest.fixture(scope="session")
def sample_tables(processed_sample: Path) -> dict:
    from lcedu.ingest import store

    names = [p.stem for p in store.current(processed_sample).glob("*.parquet")]
    return {n: store.load(n, processed_sample) for n in names}
