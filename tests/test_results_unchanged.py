"""The result tables of the sample build stay the same when code is reorganised.

Each stored result table of the cleaned sample (``RESULT_TABLES``) is reduced to a digest per column
(dtype and a sha256 of every value, written exactly) and compared with ``tests/data/result_digests.json``.
A change in behaviour names the table and columns that changed. When a change is intended (a new
definition, a regenerated sample), check the new figures, then write the digests again:

    python -m tests.test_results_unchanged --update
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

from lcedu.build import write_build
from lcedu.ingest import store
from lcedu.ingest.clean import clean
from lcedu.measure.results import RESULT_TABLES
from tests.conftest import RAW

DIGESTS = Path(__file__).resolve().parent / "data" / "result_digests.json"


def table_digest(frame: pd.DataFrame) -> dict:
    """Rows, and per column its dtype and a sha256 of its values in order (floats written exactly)."""
    columns = {}
    for name in frame.columns:
        text = "\x1f".join(repr(v) for v in frame[name].tolist())
        columns[str(name)] = {"dtype": str(frame[name].dtype), "sha256": hashlib.sha256(text.encode()).hexdigest()}
    return {"rows": len(frame), "columns": columns}


def build_digests(processed: Path) -> dict[str, dict]:
    """The digest of every result table of a build."""
    return {name: table_digest(store.load(name, processed)) for name in RESULT_TABLES}


def test_result_tables_of_the_sample_build_are_unchanged(processed_sample: Path) -> None:
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    actual = build_digests(processed_sample)
    assert sorted(actual) == sorted(expected), "the set of result tables changed"
    changed = {
        name: sorted(
            column
            for column in set(expected[name]["columns"]) | set(actual[name]["columns"])
            if expected[name]["columns"].get(column) != actual[name]["columns"].get(column)
        )
        or f"rows {expected[name]['rows']} → {actual[name]['rows']}"
        for name in expected
        if actual[name] != expected[name]
    }
    assert not changed, (
        f"result tables changed (if intended: python -m tests.test_results_unchanged --update): {changed}"
    )


def _update() -> None:
    with tempfile.TemporaryDirectory() as folder:
        result = clean(RAW)
        write_build(result.tables, {"is_sample": True, "inputs": result.inputs}, Path(folder))
        digests = build_digests(Path(folder))
    DIGESTS.write_text(json.dumps(digests, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGESTS}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.test_results_unchanged --update")
    _update()
