"""The rendered site opens in a real browser (Debian's headless Chromium), Chinese included."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.image import imread

from lcedu.ingest import counties
from tests.test_render import FIGURE, _notebook

PLAYWRIGHT = pytest.importorskip("playwright.sync_api")

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
    # The real briefing: its scorecard and school tables are what a printed page must keep whole.
    shutil.copy(REPO / "notebooks" / "county_briefing.ipynb", notebooks / "county_briefing.ipynb")
    _notebook(notebooks / "preschool_special.ipynb", FIGURE + "\n" + FIGURE + "\nprint('临翔区简报')")
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
            "preschool_special",
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
    assert "<img" in dom if page != "index.html" else 'class="strip"' in dom, "figures (the index: status strips)"
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


# --- titles, navigation and print (Playwright driving the same Debian chromium) ------------------------

#: A4 portrait less the print stylesheet's 11 mm side margins, in CSS pixels (96 per inch).
A4_CONTENT_PX = round((210 - 2 * 11) / 25.4 * 96)


@pytest.fixture(scope="module")
def browser():
    with PLAYWRIGHT.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _open(browser, path: Path, media: str = "screen", width: int = 1200):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.emulate_media(media=media)
    page.goto(path.as_uri())
    return page


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("index.html", "县域简报"),
        ("maps.html", "地图"),
        ("2025/530925/county_briefing.html", "双江自治县 · 县域简报"),
        ("2025/530902/preschool_special.html", "临翔区 · 学前教育与特殊教育普及普惠"),
    ],
)
def test_every_page_has_a_title_and_a_navigation_bar_whose_links_resolve(
    site: Path, browser, page: str, title: str
) -> None:
    tab = _open(browser, site / page)
    assert title in tab.title() and tab.title() != "Notebook"
    links = tab.eval_on_selector_all("nav.lcedu-nav a", "links => links.map(a => [a.textContent, a.href])")
    texts = [text for text, _ in links]
    assert texts[:2] == ["首页", "地图"], texts
    for text, href in links:
        target = Path(href.removeprefix("file://").split("#")[0])
        assert target.exists(), f"{page}: {text} → {href} does not resolve"
    if page.startswith("2025/"):
        code = page.split("/")[1]
        assert counties.name(code) in tab.inner_text("nav.lcedu-nav")
        assert "县域简报" in texts and "学前教育与特殊教育普及普惠" in texts, "the county's other pages"
    tab.close()


def test_a_printed_briefing_keeps_every_column_and_every_row(site: Path, browser) -> None:
    tab = _open(browser, site / "2025/530925/county_briefing.html", media="print", width=A4_CONTENT_PX)
    widths = tab.eval_on_selector_all(
        ".jp-RenderedHTMLCommon table", "tables => tables.map(t => [t.getBoundingClientRect().right, t.scrollWidth])"
    )
    assert len(widths) >= 2, "the scorecard and the gap table"
    for right, scroll in widths:
        assert right <= A4_CONTENT_PX + 0.5 and scroll <= A4_CONTENT_PX, (
            f"a table is {scroll}px on a {A4_CONTENT_PX}px page"
        )
    clipped = tab.evaluate(
        """() => [...document.querySelectorAll('main *')].filter(e => {
            const s = getComputedStyle(e);
            return ['auto', 'scroll', 'hidden'].includes(s.overflowY) && e.scrollHeight > e.clientHeight + 2
                   && e.querySelector('table');
        }).length"""
    )
    assert clipped == 0, "a table sits in a scroll box on paper"
    assert not tab.eval_on_selector_all("nav.lcedu-nav", "navs => navs.filter(n => n.offsetParent).length")
    tab.close()


def test_short_cells_do_not_wrap_mid_word(site: Path, browser) -> None:
    tab = _open(browser, site / "2025/530925/county_briefing.html", media="print", width=A4_CONTENT_PX)
    tall = tab.eval_on_selector_all(
        ".jp-RenderedHTMLCommon td",
        """cells => cells.filter(c => c.textContent.trim() === '全市目标(参照)')
                        .map(c => c.getClientRects()[0].height)""",
    )
    assert tall, "the scorecard shows city reference targets"
    line = tab.eval_on_selector(".jp-RenderedHTMLCommon td", "c => parseFloat(getComputedStyle(c).lineHeight) || 14")
    assert max(tall) < 2 * line + 8, "全市目标(参照) is on one line"
    tab.close()


def test_each_briefing_is_printed_to_an_a4_pdf(site: Path) -> None:
    for code in ("530902", "530925"):
        pdf = (site / "2025" / code / "county_briefing.pdf").read_bytes()
        assert pdf.startswith(b"%PDF")
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes), "A4"
        assert len(boxes) >= 2, "several pages"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="2025/530925/county_briefing.pdf"' in index


def test_the_maps_page_lists_every_map_with_a_chinese_name(site: Path, browser) -> None:
    stems = sorted(p.stem for p in (site / "maps").glob("*.png"))
    tab = _open(browser, site / "maps.html")
    sections = tab.eval_on_selector_all(
        "section.map", "s => s.map(e => [e.id, e.querySelector('h3').textContent, e.querySelector('img') !== null])"
    )
    assert sorted(stem for stem, _, _ in sections) == stems
    for stem, title, has_image in sections:
        assert re.search(r"[\u4e00-\u9fff]", title) and stem not in title, f"{stem}: {title}"
        assert has_image
    assert any("学前三年毛入园率" in title for _, title, _ in sections)
    tab.close()


def test_index_cards_show_each_countys_targets_at_a_glance(site: Path, browser) -> None:
    tab = _open(browser, site / "index.html")
    cards = tab.eval_on_selector_all(
        "section.county",
        """cards => cards.map(c => [c.id, c.className, [...c.querySelectorAll('.strip span')].map(s => s.title),
                                    c.querySelector('p.score').textContent, c.querySelectorAll('img').length])""",
    )
    assert [card[0] for card in cards] == ["c530902", "c530925"]
    for _, css, cells, score, images in cards:
        counted = int(re.search(r"(\d+) 项", score).group(1))
        met = int(re.search(r"达标 (\d+)", score).group(1))
        assert len(cells) == counted, "one cell per counted target"
        assert sum(cell.endswith("：达标") for cell in cells) == met
        assert ("tone-not-met" in css) == any(cell.endswith("：未达标") for cell in cells)
        assert images == 0, "no identical locator maps"
    tab.close()
