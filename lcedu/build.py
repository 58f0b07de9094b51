"""A processed build: the cleaned tables and the results computed from them, written as one.

The step between the layers: ingest cleans, measure computes once, and both land in the same
atomic build with one manifest, so every page of a report reads the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lcedu.ingest import store
from lcedu.measure.monitor import keep_projections, monitor_tables
from lcedu.measure.planning import planning_tables
from lcedu.measure.projections import projection_tables
from lcedu.measure.results import compute_results


def write_build(
    tables: dict[str, pd.DataFrame], manifest: dict, out_dir: str | Path | None = None, keep: int | None = None
) -> Path:
    """Compute the results of ``tables`` and write both as a new build (``current`` points at it).

    ``keep``: builds kept after this one (see :func:`lcedu.ingest.store.keep_builds`).
    """
    results = compute_results(tables)
    projected, note = projection_tables(tables)  # absent (with the reason in the manifest) when an input is missing
    # places, classes, teachers, small schools (travel times when the raw folder holds a road extract)
    planned, plan_note = planning_tables(tables, projected, manifest.get("raw_dir"))
    keep_projections(out_dir)  # last year's projections stay for `lcedu project monitor` (older builds are deleted)
    watched, watch_note = monitor_tables(tables, out_dir)  # 监测预警 against the latest kept earlier projection
    return store.write(
        {**tables, **results, **projected, **planned, **watched},
        {**manifest, "results": list(results), "projections": note, "planning": plan_note, "monitor": watch_note},
        out_dir,
        keep=keep,
    )
