"""Rendering on a Dask cluster: each (county, notebook) job is a task on a ``dask.distributed`` worker.

Workers keep warm kernels (:class:`WarmKernels`, a worker plugin, starts and stops them); each task
returns the executed notebook and its page, and the client writes them atomically, so the workers
need no access to the client's output folder. They do need the processed build (``LCEDU_PROCESSED``
or the project's data/processed) and the package, as every notebook reads them. A worker lost
mid-run has its tasks rerun elsewhere by the scheduler.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from lcedu.publish import render
from lcedu.publish.render import Job, Outcome


def _render_task(job: Job, notebook_text: str) -> tuple[Outcome, str | None, str | None]:
    return render.render_job(job, notebook_text)


class WarmKernels(WorkerPlugin):
    """Worker plugin: a spare kernel with the imports and the build's results loaded, before the first task."""

    name = "lcedu-warm-kernels"

    def setup(self, worker) -> None:
        render.warm_worker()

    def teardown(self, worker) -> None:
        render.stop_kernels()


def _client(scheduler: str, workers: int | None):
    """A client of the cluster at ``scheduler``, or of a new LocalCluster for ``"local"``."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
        )
        return Client(cluster), cluster
    return Client(scheduler), None


def execute(
    jobs: list[Job], scheduler: str, workers: int | None = None, progress: Callable[..., None] | None = None
) -> Iterator[Outcome]:
    """Like :func:`lcedu.publish.render.execute`, on a Dask cluster; yields outcomes as they finish.

    A failing notebook does not stop the others; on Ctrl-C the remaining tasks are cancelled and
    nothing half-written remains (the client writes every file atomically).
    """
    from distributed import as_completed

    client, cluster = _client(scheduler, workers)
    futures = []
    try:
        client.register_plugin(WarmKernels())
        started = time.perf_counter()
        futures = [
            client.submit(
                _render_task,
                job,
                Path(job.input).read_text(encoding="utf-8"),
                pure=False,
                key=f"render-{job.county}-{job.notebook}-{job.year}-{job.lang}",
            )
            for job in jobs
        ]
        for done, future in enumerate(as_completed(futures), start=1):
            outcome, notebook_text, html = future.result()
            render.write_outputs(outcome, notebook_text, html)
            if progress:
                running = min(len(client.scheduler_info().get("workers", {})), len(jobs) - done)
                progress(done, len(jobs), running, time.perf_counter() - started, outcome)
            yield outcome
    finally:
        if futures:
            client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()
        render.remove_partials(jobs)
