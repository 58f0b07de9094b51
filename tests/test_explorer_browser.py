"""notebooks/explorer.ipynb in a real JupyterLab, driven by headless Chromium (Playwright).

Starts JupyterLab from the project's environment on a free port with a random token, against
the session's processed sample, opens a copy of the explorer notebook, runs all cells, then
changes the county and the indicator in the widgets and checks that the map, the chart and the
table follow. Uses Debian's chromium (/usr/bin/chromium); Playwright never downloads a browser.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lcedu.ingest import counties

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
JUPYTER = Path(sys.executable).with_name("jupyter")
VIEWS = {"map": ".lcedu-explorer-map", "chart": ".lcedu-explorer-chart", "table": ".lcedu-explorer-table"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (.ci/run installs it)"),
    pytest.mark.skipif(not JUPYTER.exists(), reason="jupyter not installed in this environment"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(processed_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab serving a copy of notebooks/; yields the explorer's URL (with its token)."""
    notebooks = tmp_path_factory.mktemp("lab")
    shutil.copy(REPO / "notebooks" / "explorer.ipynb", notebooks / "explorer.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "LCEDU_PROCESSED": str(processed_sample),
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
           "JUPYTER_CONFIG_DIR": str(notebooks / ".jupyter"), "JUPYTER_RUNTIME_DIR": str(notebooks / ".runtime"),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    log = (notebooks / "lab.log").open("w")
    process = subprocess.Popen(
        [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--notebook-dir={notebooks}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI runs as root
        cwd=notebooks, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (notebooks / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/lab/tree/explorer.ipynb?token={token}"
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen) -> None:
    """End the server and the kernels it started (its own process group), by its id."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


_BOLD_ROWS = """(table) => Array.from(table.querySelectorAll('tbody tr'))
    .filter(tr => Array.from(tr.querySelectorAll('td')).some(td => Number(getComputedStyle(td).fontWeight) >= 600))
    .map(tr => tr.querySelector('td').innerText)"""


def _snapshot(page) -> dict[str, str]:
    """What each view shows: the images' data URLs (map, chart); the table's text and its bold (chosen) row."""
    table = page.locator(f"{VIEWS['table']} table").first
    bold = table.evaluate(_BOLD_ROWS)
    return {
        "map": page.locator(f"{VIEWS['map']} img").first.get_attribute("src") or "",
        "chart": page.locator(f"{VIEWS['chart']} img").first.get_attribute("src") or "",
        "table": table.inner_text() + "\nbold: " + ",".join(bold),
    }


def _wait_all_changed(page, before: dict[str, str], timeout_s: float = 30) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            now = _snapshot(page)
        except Exception:  # a view is being redrawn (clear_output(wait=True)); look again  # noqa: BLE001
            now = before
        if all(now[k] and now[k] != before[k] for k in VIEWS):
            return now
        if time.monotonic() > deadline:
            same = [k for k in VIEWS if now[k] == before[k]]
            pytest.fail(f"these views did not change: {same}")
        page.wait_for_timeout(200)


def _pick(page, label: str, option: str) -> None:
    dropdown = page.locator(".widget-dropdown", has=page.locator("label", has_text=label)).locator("select")
    dropdown.select_option(label=option)


def test_explorer_updates_in_jupyterlab(lab: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    start = time.monotonic()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(lab)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=30_000)
            page.wait_for_function(
                "() => { const w = window.jupyterapp.shell.currentWidget;"
                " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
                " && w.sessionContext.session.kernel.status === 'idle'; }", timeout=60_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            for selector in (f"{VIEWS['map']} img", f"{VIEWS['chart']} img", f"{VIEWS['table']} table"):
                page.wait_for_selector(selector, timeout=90_000)
            text = page.locator(".jp-NotebookPanel").inner_text()
            assert "Traceback" not in text and "Error" not in text, text[-2000:]
            first = _snapshot(page)
            assert first["table"].endswith("bold: 临翔区") and "合成样例数据" in text

            _pick(page, "县(区)", counties.name("530925"))
            county = _wait_all_changed(page, first)
            assert county["table"].endswith(f"bold: {counties.name('530925')}")

            _pick(page, "指标", "名教师")
            indicator = _wait_all_changed(page, county)
            assert "人" in indicator["table"] and ".0人" not in indicator["table"]

            # The 2022 view: a target due in 2025 is not yet due, not failed.
            _pick(page, "指标", "学前三年毛入园率")
            _wait_all_changed(page, indicator)
            before = _snapshot(page)
            _pick(page, "学年初", "2022/23")  # data year 2022 = the 2022/23 school year's start
            early = _wait_all_changed(page, before)
            assert "未到期" in early["table"] and "未达标" not in early["table"]
        finally:
            browser.close()
    assert time.monotonic() - start < 120
