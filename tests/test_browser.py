"""The rendered site opens in a real browser (Debian's headless Chromium), Chinese included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.image import imread

from lcedu.ingest import counties
from tests.test_render import FIGURE, _notebook

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run installs it)"),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, processed_sample: Path) -> Path:
    base = tmp_path_factory.mktemp("site")
    notebooks = base / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "county_briefing.ipynb", FIGURE + "\n" + FIGURE + "\nprint('临翔区简报')")
    out = base / "reports"
    maps = subprocess.run(
        [sys.executable, "-m", "lcedu.cli", "maps", "--out", str(out / "maps"), "--formats", "png"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert maps.returncode == 0, maps.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lcedu.cli",
            "render",
            "--out",
            str(out),
            "--notebook-dir",
            str(notebooks),
            "--notebooks",
            "county_briefing",
            "--counties",
            "530902",
            "530925",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_a_cjk_font_is_installed_for_the_browser() -> None:
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert "Noto Sans CJK" in fonts or "Noto Serif CJK" in fonts


@pytest.mark.parametrize("page", ["index.html", "2025/530902/county_briefing.html"])
def test_page_renders_with_chinese_text_and_figures(site: Path, tmp_path: Path, page: str) -> None:
    url = (site / page).as_uri()
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    assert "临" in dom, "Chinese text in the DOM"
    assert "<img" in dom
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", url)
    pixels = imread(shot)[..., :3]
    assert pixels.std() > 0.05, "the page is not blank"
    dark = (pixels.mean(axis=2) < 0.35).mean()
    assert 0.002 < dark < 0.6, "text and figures are drawn"


def test_index_links_every_rendered_briefing(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    for code in ("530902", "530925"):
        assert f'href="2025/{code}/county_briefing.html"' in index
        assert (site / "2025" / code / "county_briefing.html").exists()
    assert counties.name("530902") in index and counties.name("530925") in index
    assert "双江自治县" in index  # the plan's name, not 双江县
