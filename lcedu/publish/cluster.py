"""Rendering on a Dask cluster: each (county, notebook) job is a task on a ``dask.distributed`` worker.

Workers keep warm kernels (:class:`WarmKernels`, a worker plugin, starts and stops them); each task
returns the executed notebook and its page, and the client writes them atomically, so the workers
need no access to the client's output folder. They do need the processed build (``LCEDU_PROCESSED``
or the project's data/processed) and the package, as every notebook reads them. A worker lost
mid-run has its tasks rerun elsewhere by the scheduler.

A scheduler that cannot be reached within ``connect_timeout`` seconds is a :class:`SchedulerError`
(exit 2, the address and how to start one named). A scheduler lost mid-run fails the remaining jobs
(each an outcome naming the cause), keeps every page already written and says which command
renders the rest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from distributed.client import FutureCancelledError
from distributed.diagnostics.plugin import WorkerPlugin

from lcedu.errors import RequestError
from lcedu.publish import render
from lcedu.publish.render import Job, Outcome

#: Seconds to wait for a scheduler before giving up (``--connect-timeout``).
DEFAULT_CONNECT_TIMEOUT_S = 10
LOST = "调度器连接中断，未渲染 / the scheduler was lost before this notebook ran"


class SchedulerError(RequestError):
    """No scheduler at the address given (unreachable, wrong address, timed out)."""


def _start_hint(scheduler: str) -> str:
    port = scheduler.rsplit(":", 1)[-1] if scheduler.count(":") >= 2 else "8786"
    return (
        f"检查地址（tcp://主机:端口）；在调度机上先运行 `dask scheduler --port {port}`，每台计算机上运行 "
        f"`dask worker {scheduler}`；或不加 --scheduler（本机进程池）或用 --scheduler local / check the address; "
        f"start a scheduler with `dask scheduler --port {port}` and workers with `dask worker {scheduler}`, "
        "or render without --scheduler"
    )


def _render_task(job: Job, notebook_text: str) -> tuple[Outcome, str | None, str | None]:
    return render.render_job(job, notebook_text)


class WarmKernels(WorkerPlugin):
    """Worker plugin: a spare kernel with the imports and the build's results loaded, before the first task."""

    name = "lcedu-warm-kernels"

    def setup(self, worker) -> None:
        render.warm_worker()

    def teardown(self, worker) -> None:
        render.stop_kernels()


def _client(scheduler: str, workers: int | None, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S):
    """A client of the cluster at ``scheduler``, or of a new LocalCluster for ``"local"``.

    Raises :class:`SchedulerError` when no scheduler answers at the address within ``connect_timeout`` s.
    """
    from distributed import Client, LocalCluster

    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
        )
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=connect_timeout), None
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(
            f"{connect_timeout:g} 秒内连不上 Dask 调度器 {scheduler} / no Dask scheduler answered at {scheduler} "
            f"within {connect_timeout:g} s (--connect-timeout): {type(exc).__name__}",
            _start_hint(scheduler),
        ) from None
    except ValueError as exc:  # not an address at all
        raise SchedulerError(
            f"--scheduler 不是有效的调度器地址 / not a scheduler address: {scheduler!r} ({exc})", _start_hint(scheduler)
        ) from None
    except Exception as exc:  # something answered that does not speak Dask's protocol (a web server, a proxy)
        raise SchedulerError(
            f"{scheduler} 上不是 Dask 调度器 / no Dask scheduler at {scheduler}: the handshake failed "
            f"({type(exc).__name__})",
            _start_hint(scheduler),
        ) from None


def resume_command(jobs: list[Job], scheduler: str) -> str:
    """The command that renders just these jobs (what a lost scheduler left undone)."""
    counties = " ".join(sorted({j.county for j in jobs}))
    notebooks = " ".join(sorted({j.notebook for j in jobs}))
    first = jobs[0]
    plan = f" --plan {first.plan}" if first.plan else ""
    return (
        f"lcedu render --year {first.year} --lang {first.lang}{plan} --counties {counties} "
        f"--notebooks {notebooks} --scheduler {scheduler}"
    )


def _lost(jobs: list[Job], done: set[str], scheduler: str) -> list[Outcome]:
    """Every job not finished when the scheduler went away, failed with the reason; the resume hint printed."""
    left = [j for j in jobs if j.output_html not in done]
    if left:
        print(
            f"错误 / error: 调度器 {scheduler} 连接中断 / the scheduler was lost: 已完成的 {len(done)} 个笔记本已保存 "
            f"(kept), 剩余 {len(left)} 个未渲染 / {len(left)} not rendered.\n"
            f"    修正 / fix: 重新启动调度器和 worker 后运行 / restart the scheduler and workers, then run:\n"
            f"    {resume_command(left, scheduler)}",
            file=sys.stderr,
        )
    return [Outcome(j, False, 0.0, error=f"{LOST}: {scheduler}") for j in left]


def execute(
    jobs: list[Job],
    scheduler: str,
    workers: int | None = None,
    progress: Callable[..., None] | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> Iterator[Outcome]:
    """Like :func:`lcedu.publish.render.execute`, on a Dask cluster; yields outcomes as they finish.

    A failing notebook does not stop the others; on Ctrl-C the remaining tasks are cancelled and
    nothing half-written remains (the client writes every file atomically). A scheduler lost mid-run
    ends the run: the remaining jobs are yielded as failures and the pages written so far are kept.
    """
    from distributed import as_completed

    client, cluster = _client(scheduler, workers, connect_timeout)
    futures = []
    done: set[str] = set()
    quiet = logging.getLogger("distributed.client")
    level = quiet.level
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
        quiet.setLevel(logging.CRITICAL)  # a lost scheduler is reported below, not as distributed's traceback
        for count, future in enumerate(as_completed(futures), start=1):
            try:
                outcome, notebook_text, html = future.result()
            except FutureCancelledError:
                if client.status == "running":
                    raise
                yield from _lost(jobs, done, scheduler)
                return
            render.write_outputs(outcome, notebook_text, html)
            done.add(outcome.job.output_html)
            if progress:
                running = min(len(client.scheduler_info().get("workers", {})), len(jobs) - count)
                progress(count, len(jobs), running, time.perf_counter() - started, outcome)
            yield outcome
    finally:
        _close(client, futures, cluster)
        quiet.setLevel(level)
        render.remove_partials(jobs)


def _close(client, futures: list, cluster) -> None:
    """Cancel what is left and disconnect; a scheduler already gone is not waited for."""
    if futures and client.status == "running":
        client.cancel(futures)
    with contextlib.suppress(OSError, TimeoutError):
        client.close(timeout=5)
    if cluster is not None:
        cluster.close()
