"""Batch rendering: parallel runs, the failure path, Ctrl-C, the index and the page checks."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from lcedu.publish import render, site

pytestmark = pytest.mark.notebooks

REPO = Path(__file__).resolve().parents[1]


def _notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('county = "530902"\nyear = 2025\nlang = "zh"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 测试简报"),
        params,
        nbformat.v4.new_markdown_cell("## 图"),
        nbformat.v4.new_code_cell(body),
    ]
    nbformat.write(nb, path)


FIGURE = (
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.bar([1, 2], [int(county[-2:]), year % 100])\n"
    "ax.set_title(f'{county}')\nplt.show()"
)


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "county_briefing.ipynb", FIGURE + "\nprint('简报', county, year)")
    _notebook(
        folder / "preschool_special.ipynb",
        FIGURE + "\nif county == '530921':\n    raise ValueError('凤庆县 broke on purpose')",
    )
    return folder


def _render(
    notebook_dir: Path, out: Path, *counties: str, timeout: float = 240, options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "lcedu.cli",
        "render",
        "--out",
        str(out),
        "--notebook-dir",
        str(notebook_dir),
        "--notebooks",
        "county_briefing",
        "preschool_special",
        "--workers",
        "2",
        *options,
        "--counties",
        *counties,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def test_failing_notebook_is_reported_and_others_complete(
    notebook_dir: Path, tmp_path: Path, processed_sample: Path
) -> None:
    out = tmp_path / "reports"
    done = _render(notebook_dir, out, "530902", "凤庆县")
    assert done.returncode == 1, done.stderr
    assert "530921" in done.stdout and "preschool_special" in done.stdout and "In[" in done.stdout
    assert "ValueError: 凤庆县 broke on purpose" in done.stdout
    assert "Traceback" not in done.stdout
    year = out / "2025"
    assert (year / "530921" / "preschool_special.failed.ipynb").exists(), "kept for diagnosis"
    assert not (year / "530921" / "preschool_special.html").exists()
    for page in ("530902/county_briefing", "530902/preschool_special", "530921/county_briefing"):
        assert (year / f"{page}.html").exists() and (year / f"{page}.ipynb").exists()
        assert site.check_html(year / f"{page}.html", min_figures=1) == []
    assert not list(out.rglob("*.partial*")), "no half-written files"
    manifest = json.loads((year / "manifest.json").read_text(encoding="utf-8"))
    assert {n["county"] for n in manifest["notebooks"]} == {"530902", "530921"}
    assert all(n["seconds"] > 0 for n in manifest["notebooks"]) and manifest["processed"]["inputs"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2025/530902/county_briefing.html" in index and "生成失败" in index


def test_html_hides_code_and_is_deterministic_in_name(
    notebook_dir: Path, tmp_path: Path, processed_sample: Path
) -> None:
    jobs = render.plan(["530925"], ["county_briefing"], 2025, "zh", tmp_path / "r", notebook_dir)
    assert [Path(j.output_html).relative_to(tmp_path / "r").as_posix() for j in jobs] == [
        "2025/530925/county_briefing.html"
    ]
    outcome = render.run_job(jobs[0])
    render.stop_kernels()
    assert outcome.ok, outcome.error
    page = Path(jobs[0].output_html).read_text(encoding="utf-8")
    assert "plt.subplots" not in page, "code hidden"
    assert "简报 530925 2025" in page


def test_ctrl_c_stops_cleanly(notebook_dir: Path, tmp_path: Path, processed_sample: Path) -> None:
    slow = FIGURE + "\nimport time\ntime.sleep(30)"
    _notebook(notebook_dir / "county_briefing.ipynb", slow)
    out = tmp_path / "reports"
    cmd = [
        sys.executable,
        "-m",
        "lcedu.cli",
        "render",
        "--out",
        str(out),
        "--notebook-dir",
        str(notebook_dir),
        "--notebooks",
        "county_briefing",
        "--workers",
        "2",
        "--counties",
        "530902",
        "530921",
        "530922",
    ]
    # A shell that starts jobs in the background makes them ignore SIGINT; a terminal user's does not.
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(12)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert not list(out.rglob("*.partial*")) and not list(out.rglob("*.html"))
    time.sleep(2)
    kernels = subprocess.run(["pgrep", "-f", f"ipykernel_launcher.*{tmp_path.name}"], capture_output=True, text=True)
    assert kernels.stdout.strip() == ""


def test_check_html_finds_errors_empty_sections_and_missing_figures(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        '<h1>简报</h1><h2>学前</h2><p>临翔区达标</p><h2>空</h2><h2>图</h2><img src="data:image/png;base64,AAAA">',
        encoding="utf-8",
    )
    assert site.check_html(page, min_figures=1) == ["empty section: 空"]
    assert site.check_html(page, min_figures=2) == ["1 figures, expected at least 2", "empty section: 空"]
    page.write_text("<h1>x</h1><pre>Traceback (most recent call last)</pre>", encoding="utf-8")
    assert "error output in the page" in site.check_html(page)


def test_plain_papermill_gives_the_same_result_as_the_batch(tmp_path: Path, processed_sample: Path) -> None:
    plain = tmp_path / "plain.ipynb"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "papermill"),
            str(REPO / "notebooks" / "high_school.ipynb"),
            str(plain),
            "-p",
            "county",
            "530925",
            "-p",
            "year",
            "2025",
            "--no-progress-bar",
        ],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    job = render.plan(["530925"], ["high_school"], 2025, "zh", tmp_path / "batch")[0]
    outcome = render.run_job(job)
    render.stop_kernels()
    assert outcome.ok, outcome.error
    assert render.text_outputs(plain) == render.text_outputs(Path(job.output_ipynb))
    assert render.text_outputs(plain)[1] >= 1


def test_a_kernel_that_dies_while_starting_is_replaced_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded machine can lose a kernel before it answers kernel_info: the job retries on a fresh kernel,
    but a notebook's own failure, or a second start failure, is reported as it is."""
    import papermill

    class FakeKernel:
        shut = 0

        def shutdown_kernel(self, now: bool = False) -> None:
            FakeKernel.shut += 1

    class FakeExporter:
        def from_notebook_node(self, nb, resources=None):
            return "<html>page</html>", {}

    calls: list[int] = []

    def flaky(source, executed, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        Path(executed).write_text(nbformat.writes(nbformat.v4.new_notebook()), encoding="utf-8")
        return nbformat.v4.new_notebook()

    monkeypatch.setattr(render, "_start_kernel", FakeKernel)
    monkeypatch.setattr(render, "_WORKER", {"exporter": FakeExporter()})
    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    job = render.Job(
        "county_briefing", "530902", 2025, "zh", "notebooks/county_briefing.ipynb", "out.ipynb", "out.html"
    )
    outcome, text, html = render.render_job(job)
    assert outcome.ok and html == "<html>page</html>" and len(calls) == 2 and FakeKernel.shut == 2

    def always(source, executed, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", always)
    outcome, _, html = render.render_job(job)
    assert not outcome.ok and "kernel_info" in outcome.error and html is None
    assert not render.is_kernel_start_failure(ValueError("Kernel died"))


def test_a_cell_past_the_time_limit_fails_its_notebook_and_the_batch_goes_on(
    notebook_dir: Path, tmp_path: Path, processed_sample: Path
) -> None:
    """A hung cell (here: one that sleeps far past a 3 s --cell-timeout) is a failure like any other: named
    by notebook, county and cell in the table and the manifest, the other notebooks rendered, no hang."""
    _notebook(
        notebook_dir / "preschool_special.ipynb",
        FIGURE + "\nimport time\nif county == '530921':\n    time.sleep(600)\nprint('done', county)",
    )
    out = tmp_path / "reports"
    start = time.monotonic()
    done = _render(notebook_dir, out, "530902", "530921", timeout=300, options=("--cell-timeout", "3"))
    assert time.monotonic() - start < 240, "the sleeping cell was stopped, not waited for"
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("530921")]
    assert len(failed) == 1 and "preschool_special" in failed[0] and "CellTimeoutError" in failed[0], done.stdout
    assert "In[" in failed[0], "the cell is named"
    assert "cell: import matplotlib.pyplot as plt" in done.stdout
    year = out / "2025"
    manifest = json.loads((year / "manifest.json").read_text(encoding="utf-8"))
    by_job = {(n["county"], n["notebook"]): n for n in manifest["notebooks"]}
    timed_out = by_job[("530921", "preschool_special")]
    assert not timed_out["ok"] and timed_out["cell"] is not None and timed_out["cell_timeout"] == 3
    for words in ("preschool_special", "530921", "第 4 个单元格", "cell 4", "timed out (limit 3 s"):
        assert words in timed_out["error"], timed_out["error"]
    assert manifest["parameters"]["cell_timeout"] == 3
    assert [k for k, n in by_job.items() if n["ok"]] == [
        ("530902", "county_briefing"),
        ("530902", "preschool_special"),
        ("530921", "county_briefing"),
    ]
    kept = json.loads((year / "530921" / "preschool_special.failed.ipynb").read_text(encoding="utf-8"))
    errors = [o for c in kept["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["CellTimeoutError"], "the kept notebook shows where it stopped"
    assert not (year / "530921" / "preschool_special.html").exists()
    assert (year / "530902" / "preschool_special.html").exists()
    assert not list(out.rglob("*.partial*"))


def test_cell_timeout_option_is_checked_and_defaults_to_the_render_default() -> None:
    from lcedu import cli

    assert cli.parser().parse_args(["render"]).cell_timeout == render.DEFAULT_CELL_TIMEOUT_S
    assert cli.parser().parse_args(["report", "--cell-timeout", "90"]).cell_timeout == 90
    for bad in ("0", "-5", "ten"):
        with pytest.raises(SystemExit):
            cli.parser().parse_args(["render", "--cell-timeout", bad])
    with pytest.raises(ValueError, match="cell_timeout"):
        render.plan(["530902"], None, 2025, cell_timeout=0)
