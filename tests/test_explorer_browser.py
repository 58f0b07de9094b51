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
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
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
    env = {
        **os.environ,
        "LCEDU_PROCESSED": str(processed_sample),
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_CONFIG_DIR": str(notebooks / ".jupyter"),
        "JUPYTER_RUNTIME_DIR": str(notebooks / ".runtime"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    log = (notebooks / "lab.log").open("w")
    process = subprocess.Popen(
        [
            str(JUPYTER),
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--notebook-dir={notebooks}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],  # CI runs as root
        cwd=notebooks,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
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


# One read of the three views in the page, in a single JS call (never a mix of an old and a new table):
# the images' data URLs, the table's text and its bold (chosen) rows.
_STATE = (
    """() => {
    const src = cls => {
        const img = document.querySelector(cls + ' img'); return img ? img.getAttribute('src') || '' : '';
    };
    const table = document.querySelector('TABLE table');
    const bold = table ? Array.from(table.querySelectorAll('tbody tr'))
        .filter(tr => Array.from(tr.querySelectorAll('td')).some(td => Number(getComputedStyle(td).fontWeight) >= 600))
        .map(tr => tr.querySelector('td').innerText.trim()) : [];
    return {map: src('MAP'), chart: src('CHART'), table: table ? table.innerText : '', bold: bold};
}""".replace("TABLE", VIEWS["table"])
    .replace("MAP", VIEWS["map"])
    .replace("CHART", VIEWS["chart"])
)

# Retried by Playwright until it holds (wait_for_function): every view drawn, the map and chart redrawn
# since ``before``, the table changed when it must, exactly the expected county bold, the expected words
# present. Returns the state that satisfied it, so later assertions read that same state.
_SETTLED = """([before, bold, tableChanges, words]) => {
    const s = (STATE)();
    const drawn = s.map && s.chart && s.table;
    const redrawn = !before || (s.map !== before.map && s.chart !== before.chart
                                && (!tableChanges || s.table !== before.table));
    const chosen = bold === null || (s.bold.length === 1 && s.bold[0] === bold);
    return drawn && redrawn && chosen && words.every(w => s.table.includes(w)) ? s : false;
}""".replace("STATE", _STATE)

VIEW_TIMEOUT_MS = 60_000  # a redraw takes 1–5 s; CI machines are shared


def _settled(
    page, before: dict | None, *, bold: str | None = None, table_changes: bool = False, words: tuple[str, ...] = ()
) -> dict:
    """Wait until the views show the expected choice (Playwright retries the check in the page)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        handle = page.wait_for_function(
            _SETTLED, arg=[before, bold, table_changes, list(words)], timeout=VIEW_TIMEOUT_MS, polling=200
        )
    except PlaywrightTimeout:
        now = page.evaluate(_STATE)
        same = [k for k in VIEWS if before and now[k] == before[k]]
        pytest.fail(
            f"the explorer did not settle in {VIEW_TIMEOUT_MS / 1000:.0f}s: unchanged views {same}, "
            f"bold rows {now['bold']} (expected {bold!r}), words {list(words)} in the table: "
            f"{[w for w in words if w in now['table']]}; table:\n{now['table'][:1500]}"
        )
    return handle.json_value()


def _pick(page, label: str, option: str) -> None:
    dropdown = page.locator(".widget-dropdown", has=page.locator("label", has_text=label)).locator("select")
    dropdown.select_option(label=option)


def test_explorer_updates_in_jupyterlab(lab: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
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
                " && w.sessionContext.session.kernel.status === 'idle'; }",
                timeout=60_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            for selector in (f"{VIEWS['map']} img", f"{VIEWS['chart']} img", f"{VIEWS['table']} table"):
                page.wait_for_selector(selector, timeout=90_000)
            first = _settled(page, None, bold="临翔区")
            panel = page.locator(".jp-NotebookPanel")
            expect(panel).to_contain_text("合成样例数据", timeout=VIEW_TIMEOUT_MS)
            text = panel.inner_text()
            assert "Traceback" not in text and "Error" not in text, text[-2000:]

            _pick(page, "县(区)", counties.name("530925"))
            county = _settled(page, first, bold=counties.name("530925"))

            _pick(page, "指标", "名教师")
            indicator = _settled(page, county, bold=counties.name("530925"), table_changes=True, words=("人",))
            assert ".0人" not in indicator["table"]

            # The 2022 view: a target due in 2025 is not yet due, not failed.
            _pick(page, "指标", "学前三年毛入园率")
            before = _settled(page, indicator, bold=counties.name("530925"), table_changes=True, words=("%",))
            _pick(page, "学年初", "2022/23")  # data year 2022 = the 2022/23 school year's start
            early = _settled(page, before, bold=counties.name("530925"), table_changes=True, words=("未到期",))
            assert "未达标" not in early["table"]
            table = page.locator(f"{VIEWS['table']} table").first
            expect(table).to_contain_text("未到期", timeout=VIEW_TIMEOUT_MS)
            expect(table).not_to_contain_text("未达标", timeout=VIEW_TIMEOUT_MS)
        finally:
            browser.close()
    assert time.monotonic() - start < 120
