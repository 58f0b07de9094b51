"""Batch rendering: run the notebook suite per county with papermill, in parallel, into HTML.

Each worker process imports papermill and nbconvert once, keeps one HTML exporter, and
always has the *next* kernel starting (with pandas, matplotlib and lcedu preloaded) while
the current notebook runs, so a notebook pays neither interpreter nor kernel start-up.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path

from lcedu import paths
from lcedu.home import CITY_CODE
from lcedu.ingest import store
from lcedu.ingest.counties import prefecture_of, province_of
from lcedu.present.narrative import check_lang
from lcedu.present.suite import notebook, suite
from lcedu.present.warmup import warm_up
from lcedu.processes import die_with_parent
from lcedu.publish import site

# Run in each spare kernel while the previous notebook executes (a failing line only costs the warm-up).
PRELOAD = [f"import {warm_up.__module__}", f"{warm_up.__module__}.{warm_up.__name__}()"]


TEMPLATES = paths.package_file("publish", "templates")

#: Per-cell execution limit (seconds) of a rendered notebook: far above any cell's normal run time,
#: so only a hung cell or a kernel reply lost on the way hits it.
DEFAULT_CELL_TIMEOUT_S = 600


def html_exporter():  # -> nbconvert.HTMLExporter (imported lazily: nbconvert is heavy)
    """The exporter of every rendered page: code hidden, and nothing loaded from outside (works offline)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lcedu_offline",
        extra_template_basedirs=[str(TEMPLATES)],
        filters={"lcedu_short_cells": site.mark_short_cells},
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


@dataclass(frozen=True)
class Job:
    notebook: str
    county: str
    year: int
    lang: str
    input: str
    output_ipynb: str
    output_html: str
    plan: str | None = None  # another plan's targets (None: the notebooks' default plan)
    cell_timeout: int = DEFAULT_CELL_TIMEOUT_S  # seconds one cell may run before the notebook fails

    @property
    def parameters(self) -> dict:
        """Papermill parameters; ``county`` holds the prefecture or province code of an overview."""
        extra = {"plan": self.plan} if self.plan is not None else {}
        entry = notebook(self.notebook)
        key = entry.scope if entry is not None and entry.scope in ("prefecture", "province") else "county"
        return {key: self.county, "year": self.year, "lang": self.lang, **extra}


@dataclass
class Outcome:
    job: Job
    ok: bool
    seconds: float
    error: str = ""
    cell: int | None = None
    cell_source: str = ""
    html_bytes: int = 0
    extra: dict = field(default_factory=dict)


def plan(
    counties: Iterable[str],
    notebooks: Iterable[str] | None,
    year: int,
    lang: str = "zh",
    out_dir: Path | None = None,
    notebook_dir: Path | None = None,
    plan_name: str | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT_S,
) -> list[Job]:
    """One job per county and county notebook, each city notebook once, and — when the counties span
    more than one prefecture — each prefecture notebook per prefecture and each province notebook per
    province (so 临沧's suite is unchanged).

    Output names are deterministic and safe: ``<year>/<6-digit code>/<notebook>.{ipynb,html}``.
    ``cell_timeout``: seconds any one cell may run; a cell that runs longer fails its notebook.
    """
    if cell_timeout <= 0:
        raise ValueError(f"cell_timeout must be a positive number of seconds, not {cell_timeout!r}")
    out_dir = Path(out_dir) if out_dir is not None else paths.project("reports")
    notebook_dir = Path(notebook_dir) if notebook_dir is not None else paths.project("notebooks")
    chosen = [n for n in suite() if n.batch and (notebooks is None or n.name in set(notebooks))]
    counties = list(counties)
    prefectures = sorted({prefecture_of(c) for c in counties})
    wide = len(prefectures) > 1
    places = {
        "county": counties,
        "city": [CITY_CODE] if CITY_CODE in prefectures else [],
        "prefecture": prefectures if wide else [],
        "province": sorted({province_of(c) for c in counties}) if wide else [],
    }
    jobs = []
    for nb in chosen:
        for county in places[nb.scope]:
            folder = Path(out_dir) / str(year) / county
            jobs.append(
                Job(
                    notebook=nb.name,
                    county=county,
                    year=year,
                    lang=lang,
                    input=str(Path(notebook_dir) / f"{nb.name}.ipynb"),
                    output_ipynb=str(folder / f"{nb.name}.ipynb"),
                    output_html=str(folder / f"{nb.name}.html"),
                    plan=plan_name,
                    cell_timeout=cell_timeout,
                )
            )
    return jobs


# --- worker side ---------------------------------------------------------------------------------

_WORKER: dict = {}


def _start_kernel():
    from jupyter_client.manager import KernelManager

    # An asynchronous client, as nbclient's own kernels have: a blocking one waits for the kernel's next
    # output with no time limit inside nbclient's event loop, so a hung cell would never reach the
    # per-cell timeout (Job.cell_timeout). The manager stays synchronous (started here, shut down below).
    km = KernelManager(kernel_name="python3", client_class="jupyter_client.asynchronous.AsyncKernelClient")
    # The kernel's own log lines (transport notices) are not the notebook's output: keep them out.
    km.start_kernel(
        extra_arguments=[f"--IPKernelApp.exec_lines={PRELOAD!r}"],
        cwd=str(paths.project(".")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return km


def stop_kernels(*_: object) -> None:
    """Shut down this worker's kernels (the spare one and any still running)."""
    for km in (_WORKER.pop("spare", None), _WORKER.pop("current", None)):
        if km is not None and km.has_kernel:
            km.shutdown_kernel(now=True)


def _kill_kernels_and_exit(*_: object) -> None:
    """SIGTERM from the pool: kill this worker's kernels outright (their event loop may be busy)."""
    try:
        for km in (_WORKER.get("spare"), _WORKER.get("current")):
            pid = getattr(getattr(km, "provisioner", None), "pid", None)
            if pid:
                os.kill(pid, signal.SIGKILL)
    finally:
        os._exit(1)


def _init_worker() -> None:
    """A local pool worker: leave Ctrl-C to the parent, die with it, then warm up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _kill_kernels_and_exit)
    die_with_parent()  # if the parent is killed outright, SIGTERM takes the kernels down too
    warm_worker()
    # Shut the spare kernel down when the pool retires this worker.
    Finalize(None, stop_kernels, exitpriority=10)


def warm_worker() -> None:
    """Import once, keep an exporter, start the first kernel (a pool worker or a Dask worker)."""
    import papermill  # noqa: F401  (imported once per worker, not per notebook)

    _WORKER["exporter"] = html_exporter()
    _WORKER["spare"] = _start_kernel()


#: A kernel that dies or stalls while starting (a loaded machine) is replaced, this many tries in all.
KERNEL_START_ATTEMPTS = 2


def is_kernel_start_failure(exc: BaseException) -> bool:
    """The kernel never became ready (jupyter_client's start-up errors), as opposed to a notebook error."""
    text = str(exc)
    return isinstance(exc, RuntimeError | TimeoutError) and (
        "kernel_info" in text or "Kernel didn't respond" in text or "Kernel died" in text
    )


def render_job(job: Job, notebook_text: str | None = None) -> tuple[Outcome, str | None, str | None]:
    """Execute one notebook with papermill on a ready kernel and export it to HTML (code hidden).

    Returns the outcome, the executed notebook (JSON text; for a failure, the notebook as far as
    it ran) and the page (None for a failure). Writes nothing where the outputs go, so the caller
    — this process or a Dask client on another machine — writes them atomically.
    ``notebook_text``: the notebook itself when the worker cannot read ``job.input``.
    """
    import tempfile

    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    if "exporter" not in _WORKER:
        warm_worker()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lcedu-render-") as tmp:
        source = Path(tmp) / "input.ipynb"
        if notebook_text is not None:
            source.write_text(notebook_text, encoding="utf-8")
        executed = Path(tmp) / "executed.ipynb"
        for attempt in range(KERNEL_START_ATTEMPTS):
            km = _WORKER["current"] = _WORKER.pop("spare", None) or _start_kernel()
            _WORKER["spare"] = _start_kernel()  # warms up while this notebook runs
            try:
                nb = papermill.execute_notebook(
                    str(source) if notebook_text is not None else job.input,
                    str(executed),
                    parameters=job.parameters,
                    km=km,
                    kernel_name="python3",
                    progress_bar=False,
                    cwd=str(paths.project(".")),
                    execution_timeout=job.cell_timeout,
                )
                break
            except CellTimeoutError:
                # A hung cell or a kernel reply lost on the way: this notebook fails, the batch goes on
                # (the kernel is killed below).
                text, index, count, source = _mark_timed_out(executed, job.cell_timeout)
                return (
                    Outcome(
                        job,
                        False,
                        time.perf_counter() - start,
                        error=timeout_message(job, index, count),
                        cell=count,
                        cell_source=source,
                    ),
                    text,
                    None,
                )
            except PapermillExecutionError as exc:
                text = executed.read_text(encoding="utf-8")
                return (
                    Outcome(
                        job,
                        False,
                        time.perf_counter() - start,
                        error=f"{exc.ename}: {exc.evalue}",
                        cell=exc.exec_count,
                        cell_source=_cell_source(text, exc.exec_count),
                    ),
                    text,
                    None,
                )
            except Exception as exc:  # a job that cannot even start (missing or unreadable notebook) fails alone
                if is_kernel_start_failure(exc) and attempt + 1 < KERNEL_START_ATTEMPTS:
                    continue  # the kernel, not the notebook: once more on a fresh kernel
                return (
                    Outcome(job, False, time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"),
                    None,
                    None,
                )
            finally:
                _WORKER.pop("current", None)
                km.shutdown_kernel(now=True)
        exporter = _WORKER["exporter"]
        exporter.language_code = check_lang(job.lang)  # the page's <html lang>: lcedu's codes are its tags
        body, _ = exporter.from_notebook_node(nb, resources=page_resources(job))
        text = executed.read_text(encoding="utf-8")
    return Outcome(job, True, time.perf_counter() - start, html_bytes=len(body.encode("utf-8"))), text, body


def page_resources(job: Job) -> dict:
    """What the page template adds to a notebook: its title (县名 · 页面名) and the site's navigation bar
    as far as this machine sees the reports folder (the run's end rewrites it: lcedu.publish.site.link_pages)."""
    page = Path(job.output_html)
    # <reports>/<year>/<code>/<notebook>.html as plan() names it; another path: links relative to its folder
    nested = len(page.parts) >= 4 and page.parts[-3] == str(job.year)
    out_dir = page.parents[2] if nested else page.parent
    relative = page.relative_to(out_dir).as_posix()
    return {
        "metadata": {"name": site.page_title(job.county, job.notebook, job.lang)},
        "lcedu_nav": site.nav_html(site.site_links(out_dir, job.year, job.county), relative),
    }


def write_outputs(outcome: Outcome, notebook_text: str | None, html: str | None) -> None:
    """Put a rendered job in place atomically: the page and notebook, or the failed notebook alone."""
    ipynb, page = Path(outcome.job.output_ipynb), Path(outcome.job.output_html)
    failed = ipynb.with_name(f"{ipynb.stem}.failed.ipynb")
    ipynb.parent.mkdir(parents=True, exist_ok=True)
    if outcome.ok and html is not None and notebook_text is not None:
        _write_atomic(page, html)
        _write_atomic(ipynb, notebook_text)
        failed.unlink(missing_ok=True)
        return
    page.unlink(missing_ok=True)
    if notebook_text is not None:
        _write_atomic(failed, notebook_text)


def run_job(job: Job) -> Outcome:
    """Render one job in this process and write its outputs (the local pool's task)."""
    outcome, notebook_text, html = render_job(job)
    write_outputs(outcome, notebook_text, html)
    return outcome


def timeout_message(job: Job, index: int | None, exec_count: int | None) -> str:
    """The failure of a notebook whose cell ran past ``job.cell_timeout``: notebook, county and cell named."""
    cell_zh = f"第 {index} 个单元格" if index is not None else "某个单元格"
    cell_en = f"cell {index}" if index is not None else "a cell"
    shown = f" (In[{exec_count}])" if exec_count is not None else ""
    return (
        f"CellTimeoutError: {job.notebook} · {job.county} · {cell_zh}{shown} 超时（限 {job.cell_timeout} 秒），"
        f"已停止 / {cell_en}{shown} of {job.notebook} for {job.county} timed out (limit {job.cell_timeout} s, "
        "--cell-timeout) and was stopped"
    )


def _mark_timed_out(executed: Path, limit: int) -> tuple[str | None, int | None, int | None, str]:
    """The notebook as far as it ran, its timed-out cell marked with an error output (papermill records
    no error for a timeout), and that cell's position in the source notebook (1-based, papermill's
    injected parameters cell not counted), In[n] and first line."""
    if not executed.exists():
        return None, None, None, ""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    own = [c for c in nb["cells"] if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    started = [
        i
        for i, c in enumerate(own)
        if c.get("cell_type") == "code" and c.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if not started:
        return executed.read_text(encoding="utf-8"), None, None, ""
    cell = own[started[-1]]
    cell.setdefault("outputs", []).append(
        {
            "output_type": "error",
            "ename": "CellTimeoutError",
            "evalue": f"单元格超时（限 {limit} 秒），已停止 / the cell timed out (limit {limit} s) and was stopped",
            "traceback": [],
        }
    )
    cell["metadata"]["papermill"].update(status="failed", exception=True)
    nb.setdefault("metadata", {}).setdefault("papermill", {})["exception"] = True
    return (
        json.dumps(nb, ensure_ascii=False, indent=1),
        started[-1] + 1,
        cell.get("execution_count"),
        _first_line(cell["source"]),
    )


def _cell_source(notebook_text: str, exec_count: int | None) -> str:
    """First line of the cell that failed, found by its execution count (In [n])."""
    cells = json.loads(notebook_text)["cells"]
    return _first_line(next((c["source"] for c in cells if c.get("execution_count") == exec_count), ""))


def _first_line(source: str | list[str]) -> str:
    """A cell's first line (at most 100 characters), as the failure table shows it."""
    text = "".join(source) if isinstance(source, list) else source
    return text.strip().splitlines()[0][:100] if text.strip() else ""


def text_outputs(path: Path) -> list:
    """An executed notebook's text outputs and image count, without timings or ids.

    What two runs of the same notebook with the same parameters must agree on.
    """
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    texts, images = [], 0
    for cell in cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            images += "image/png" in data
            texts.append("".join(o.get("text", "")) + "".join(data.get("text/markdown", data.get("text/plain", ""))))
    return [texts, images]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- parent side ---------------------------------------------------------------------------------


def execute(jobs: list[Job], workers: int | None = None, progress=None) -> Iterator[Outcome]:
    """Run jobs across worker processes; yields outcomes as they finish.

    A failing notebook does not stop the others. On Ctrl-C the workers are terminated (each
    kills its kernels), queued jobs are cancelled and partial files removed, so nothing
    half-written remains.
    """
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    started = time.perf_counter()
    executor = None
    try:
        # spawn: kernels and zmq do not survive fork well
        executor = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker)
        futures = [executor.submit(run_job, job) for job in jobs]
        for done, future in enumerate(as_completed(futures), start=1):
            outcome = future.result()
            if progress:
                progress(done, len(jobs), min(workers, len(jobs) - done), time.perf_counter() - started, outcome)
            yield outcome
        executor.shutdown(wait=True)
    except BaseException:
        if executor is not None:
            for process in mp.active_children():  # the pool's workers: each takes its kernels down on SIGTERM
                process.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        remove_partials(jobs)


def remove_partials(jobs: Iterable[Job]) -> None:
    """Partial files an interrupted write may leave: nothing half-written remains."""
    for job in jobs:
        for path in (
            Path(job.output_ipynb),
            Path(job.output_html),
            Path(job.output_ipynb).with_name(f"{Path(job.output_ipynb).stem}.failed.ipynb"),
        ):
            path.with_name(f".{path.name}.partial").unlink(missing_ok=True)


def print_progress(done: int, total: int, running: int, elapsed: float, outcome: Outcome) -> None:
    eta = elapsed / done * (total - done)
    mark = "✓" if outcome.ok else "✗"
    line = (
        f"[{done}/{total}] {done / total:4.0%} 运行中 running {running} · 已用 {elapsed:4.0f}s · "
        f"ETA {eta:4.0f}s · {mark} {outcome.job.county}/{outcome.job.notebook} ({outcome.seconds:.1f}s)"
    )
    print(line, file=sys.stderr, flush=True)


def summary(outcomes: list[Outcome]) -> str:
    failed = [o for o in outcomes if not o.ok]
    lines = [
        f"完成 {len(outcomes) - len(failed)} / {len(outcomes)} 个笔记本 (notebooks rendered); "
        f"失败 failed: {len(failed)}"
    ]
    if failed:
        lines.append(f"{'county':<8} {'notebook':<28} {'cell':>7}  error")
        for o in sorted(failed, key=lambda o: (o.job.county, o.job.notebook)):
            cell = f"In[{o.cell}]" if o.cell is not None else "-"
            lines.append(f"{o.job.county:<8} {o.job.notebook:<28} {cell:>7}  {o.error[:120]}")
            if o.cell_source:
                lines.append(f"{'':<42}cell: {o.cell_source}")
            lines.append(
                f"{'':<42}kept for diagnosis: {Path(o.job.output_ipynb).with_suffix('').as_posix()}.failed.ipynb"
            )
    return "\n".join(lines)


def write_manifest(outcomes: list[Outcome], out_dir: Path, year: int, parameters: dict) -> Path:
    """Parameters, package versions, the processed data's input hashes and time per notebook."""
    processed = store.manifest()
    manifest = {
        "parameters": parameters,
        "versions": store.package_versions() | _versions("papermill", "nbconvert", "nbclient", "ipykernel"),
        "processed": {
            "created_at": processed.get("created_at"),
            "is_sample": processed.get("is_sample"),
            "inputs": processed.get("inputs", []),
        },
        "notebooks": [
            {
                **asdict(o.job),
                "ok": o.ok,
                "seconds": round(o.seconds, 2),
                "error": o.error,
                "cell": o.cell,
                "cell_source": o.cell_source,
            }
            for o in sorted(outcomes, key=lambda o: (o.job.county, o.job.notebook))
        ],
    }
    path = Path(out_dir) / str(year) / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, json.dumps(manifest, ensure_ascii=False, indent=2))
    return path


def _versions(*names: str) -> dict[str, str]:
    from importlib import metadata

    return {n: metadata.version(n) for n in names}
