"""Shared fixtures: the embedded sample cleaned once per session into a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"


@pytest.fixture(scope="session", autouse=True)
def reports_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a check writes for the user (lcedu.paths.reports_dir) goes to a temp folder, not the checkout's reports/."""
    folder = tmp_path_factory.mktemp("reports")
    os.environ["LCEDU_REPORTS"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def processed_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample cleaned into a temp folder; LCEDU_PROCESSED points at it."""
    from lcedu.build import write_build
    from lcedu.ingest.clean import clean

    out = tmp_path_factory.mktemp("processed")
    result = clean(RAW)
    write_build(result.tables, {"is_sample": True, "inputs": result.inputs}, out)
    os.environ["LCEDU_PROCESSED"] = str(out)
    return out


@pytest.fixture(scope="session")
def sample_tables(processed_sample: Path) -> dict:
    from lcedu.ingest import store

    names = [p.stem for p in store.current(processed_sample).glob("*.parquet")]
    return {n: store.load(n, processed_sample) for n in names}


def copy_county(tables: dict, source: str, target: str, prefix: str = "9") -> dict:
    """The tables with ``source``'s rows added again as county ``target`` (school ids made unique)."""
    import pandas as pd

    out = {}
    for name, frame in tables.items():
        if "county_code" not in frame.columns:
            out[name] = frame
            continue
        rows = frame[frame["county_code"].astype(str) == source].copy()
        rows["county_code"] = target
        for column in ("school_id", "parent_school_id"):
            if column in rows.columns:
                rows[column] = (
                    rows[column]
                    .astype("string")
                    .map(lambda s: s if pd.isna(s) else prefix + str(s)[1:], na_action="ignore")
                )
        out[name] = pd.concat([frame, rows.astype(frame.dtypes.to_dict())], ignore_index=True)
    return out


@contextmanager
def build_as_processed(tables: dict, out: Path) -> Iterator[Path]:
    """``tables`` written as a build in ``out``, with LCEDU_PROCESSED pointing at it until the block ends."""
    from lcedu.build import write_build

    write_build(tables, {"is_sample": True}, out)
    before = os.environ.get("LCEDU_PROCESSED")
    os.environ["LCEDU_PROCESSED"] = str(out)
    try:
        yield out
    finally:
        if before is None:
            del os.environ["LCEDU_PROCESSED"]
        else:
            os.environ["LCEDU_PROCESSED"] = before


_TIER_FIXTURES = {"processed_sample", "sample_tables", "notebook_dir"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the cleaned sample is an integration test, whatever file it is in."""
    for item in items:
        if _TIER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
