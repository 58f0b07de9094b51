"""The notebook suite: committed clean, parameterised, and every notebook runs under papermill.

Each notebook of lcedu/present/config/notebooks.yml is executed once in Chinese (双江自治县, 2025) and
once in English (临翔区, 2024) in a small process pool, then checked: no error and no
warning in any output, at least ``min_figures`` images, no empty section in the exported
HTML, and the generated sentences carry the indicator engine's numbers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import nbformat
import pytest
import yaml

from lcedu.ingest import counties
from lcedu.present.narrative import year_label

pytestmark = pytest.mark.notebooks

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SUITE = yaml.safe_load((REPO / "lcedu" / "present" / "config" / "notebooks.yml").read_text(encoding="utf-8"))[
    "notebooks"
]
NAMES = [n["name"] for n in SUITE]
SCOPE = {n["name"]: n["scope"] for n in SUITE}
# The sample is one prefecture: it has no province rows, so the province overview runs in test_province.py.
EXECUTED = [n for n in NAMES if SCOPE[n] != "province"]
RUNS = {"zh": ("530925", 2025), "en": ("530902", 2024)}  # 双江自治县 in Chinese, 临翔区 in English
CITY = "530900"


def _parameters(name: str, lang: str) -> dict:
    county, year = RUNS[lang]
    scope = SCOPE[name]
    if scope == "prefecture":
        return {"prefecture": CITY, "year": year, "lang": lang}
    return {"county": CITY if scope == "city" else county, "year": year, "lang": lang}


CELL_TIMEOUT_S = 300


def _execute(job: tuple[str, str, str]) -> tuple[str, str, str, str]:
    """Run one notebook with papermill (in a pool worker); returns (name, lang, output path, error)."""
    import papermill

    name, lang, out_dir = job
    out = Path(out_dir) / f"{name}_{lang}.ipynb"
    for attempt in range(2):
        try:
            # A cell's reply lost between kernel and client would otherwise wait forever (seen once in CI):
            # a time limit far above any cell's run time, then one more try on a fresh kernel.
            papermill.execute_notebook(
                str(NOTEBOOKS / f"{name}.ipynb"),
                str(out),
                parameters=_parameters(name, lang),
                kernel_name="python3",
                progress_bar=False,
                cwd=str(REPO),
                execution_timeout=CELL_TIMEOUT_S,
            )
        except Exception as exc:  # reported by the test of that notebook
            if "Timeout" in type(exc).__name__ and attempt == 0:
                continue
            return name, lang, str(out), f"{type(exc).__name__}: {exc}"
        return name, lang, str(out), ""
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def executed(processed_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every notebook in both languages, executed in parallel (kernels inherit LCEDU_PROCESSED)."""
    assert os.environ.get("LCEDU_PROCESSED") == str(processed_sample)
    out_dir = tmp_path_factory.mktemp("executed")
    jobs = [(name, lang, str(out_dir)) for lang in RUNS for name in EXECUTED]
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("spawn")) as pool:
        results = list(pool.map(_execute, jobs))
    return {(name, lang): (Path(path), error) for name, lang, path, error in results}


def _notebook(executed: dict, name: str, lang: str) -> nbformat.NotebookNode:
    path, error = executed[(name, lang)]
    assert not error, f"{name} ({lang}) failed:\n{error[-3000:]}"
    return nbformat.read(path, as_version=4)


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def _markdown(nb: nbformat.NotebookNode) -> str:
    return "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in _outputs(nb))


# --------------------------------------------------------------------------- committed notebooks


def test_one_notebook_per_suite_entry() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: committed outputs (run nbstripout)"
            assert cell.execution_count is None, f"{name}: committed execution counts"
    assert "widgets" not in nb.metadata and "papermill" not in nb.metadata


@pytest.mark.parametrize("name", NAMES)
def test_one_typed_parameters_cell_first_then_the_chinese_title(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: exactly one parameters cell"
    assert nb.cells[0] is tagged[0], f"{name}: the parameters cell comes first"
    source = tagged[0].source
    place = SCOPE[name] if SCOPE[name] in ("prefecture", "province") else "county"
    for line in (f"{place}: str = ", "year: int = ", "baseline_year: int | None = None", 'lang: str = "zh"'):
        assert line in source, f"{name}: parameters cell lacks {line!r}"
    assert all("#" in line for line in source.splitlines()), f"{name}: every parameter is commented"
    title = next(n["title_zh"] for n in SUITE if n["name"] == name)
    assert nb.cells[1].cell_type == "markdown" and nb.cells[1].source.strip() == f"# {title}"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_cells_are_thin(name: str) -> None:
    """Logic lives in lcedu: code cells are a few lines and never type a number into a sentence."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for cell in nb.cells[1:]:
        if cell.cell_type == "code":
            assert len(cell.source.splitlines()) <= 6, f"{name}: a cell of logic belongs in lcedu"
            assert not re.search(r"\d+(\.\d+)?%", cell.source), f"{name}: a percentage typed into a cell"


# --------------------------------------------------------------------------- executed notebooks


@pytest.mark.parametrize("lang", list(RUNS))
@pytest.mark.parametrize("name", EXECUTED)
def test_runs_without_errors_or_warnings(executed: dict, name: str, lang: str) -> None:
    nb = _notebook(executed, name, lang)
    for output in _outputs(nb):
        assert output.output_type != "error", f"{name} ({lang}): {output.get('ename')}: {output.get('evalue')}"
        if output.output_type == "stream":
            assert output.name != "stderr", f"{name} ({lang}) wrote to stderr:\n{output.text[:1000]}"
            assert "Warning" not in output.text, f"{name} ({lang}) warned:\n{output.text[:1000]}"
        text = str(output.get("data", {}).get("text/plain", ""))
        assert "Warning" not in text and "Traceback" not in text, f"{name} ({lang}): {text[:500]}"


@pytest.mark.parametrize("lang", list(RUNS))
@pytest.mark.parametrize("name", EXECUTED)
def test_shows_at_least_min_figures_and_no_empty_section(executed: dict, name: str, lang: str, tmp_path: Path) -> None:
    from lcedu.publish import site
    from lcedu.publish.render import html_exporter

    nb = _notebook(executed, name, lang)
    minimum = next(n["min_figures"] for n in SUITE if n["name"] == name)
    images = sum("image/png" in o.get("data", {}) for o in _outputs(nb))
    assert images >= minimum, f"{name} ({lang}): {images} images, expected at least {minimum}"
    body, _ = html_exporter().from_notebook_node(nb)
    page = tmp_path / f"{name}.html"
    page.write_text(body, encoding="utf-8")
    assert site.check_html(page, min_figures=minimum) == []
    assert "合成样例数据" in body, "the synthetic sample is labelled"


def test_explorer_renders_its_widgets_headless(executed: dict) -> None:
    for lang in RUNS:
        nb = _notebook(executed, "explorer", lang)
        views = [o for o in _outputs(nb) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert views, f"explorer ({lang}) displayed no widget"
        assert "application/vnd.jupyter.widget-state+json" in nb.metadata.get("widgets", {})


# --------------------------------------------------------------------------- narrative against the engine


@cache
def _values(county: str, year: int) -> dict[str, float]:
    import pandas as pd

    from lcedu.measure import indicators

    rows = indicators.compute(counties=county, years=year)
    return {r.indicator: float(r.value) for r in rows.itertuples() if pd.notna(r.value)}


SENTENCE_INDICATORS = (
    "preschool_gross_enrollment_pct",
    "inclusive_kindergarten_coverage_pct",
    "public_kindergarten_enrollment_share_pct",
    "disabled_children_enrollment_pct",
    "nine_year_retention_pct",
    "senior_gross_enrollment_pct",
    "digital_classroom_coverage_pct",
)


def _shows(shown: str, value: float) -> bool:
    """The printed number is the engine's value rounded to the decimals printed (one, or more near a target)."""
    decimals = len(shown.split(".")[1])
    return decimals >= 1 and float(shown) == round(value, decimals)


@pytest.mark.parametrize("name", ["county_briefing", "preschool_special"])
def test_gross_enrolment_sentence_matches_the_engine(executed: dict, name: str) -> None:
    county, year = RUNS["zh"]
    text = _markdown(_notebook(executed, name, "zh"))
    # Data year 2025 is the state at the start of the 2025/26 school year; the sentence says so.
    when = re.escape(year_label(year))
    match = re.search(
        rf"{counties.name(county)}{when}学前三年毛入园率为(\d+\.\d+)%，(高于|低于|达到)全市95%的目标", text
    )
    assert match, f"{name}: no 毛入园率 sentence in\n{text[:2000]}"
    value = _values(county, year)["preschool_gross_enrollment_pct"]
    assert _shows(match.group(1), value)
    assert match.group(2) == ("低于" if value < 95 else "高于" if value > 95 else "达到")


def test_every_rate_sentence_of_the_briefing_matches_the_engine(executed: dict) -> None:
    from lcedu.present.narrative import indicator_name

    for lang, pattern in (
        ("zh", "{place}{year}{name}为(\\d+\\.\\d+)%"),
        ("en", "At the {year}, {place}'s {name} was (\\d+\\.\\d+)%"),
    ):
        county, year = RUNS[lang]
        text = _markdown(_notebook(executed, "county_briefing", lang))
        place = counties.name(county, lang)
        for code in SENTENCE_INDICATORS:
            name = indicator_name(code, lang)
            name = name if lang == "zh" else name[0].lower() + name[1:]
            regex = pattern.format(place=re.escape(place), year=re.escape(year_label(year, lang)), name=re.escape(name))
            match = re.search(regex, text)
            assert match, f"{lang}: no sentence for {code} ({regex})"
            assert _shows(match.group(1), _values(county, year)[code]), f"{lang}: {code}"


def test_city_share_sentences_match_the_engine(executed: dict) -> None:
    from lcedu.present.narrative import indicator_name

    year = RUNS["zh"][1]
    text = _markdown(_notebook(executed, "city_overview", "zh"))
    values = _values(CITY, year)
    for code, short in (
        ("preschool_universal_county_share_pct", "学前教育普及普惠县占比"),
        ("compulsory_balanced_county_share_pct", "义务教育优质均衡县占比"),
    ):
        name = indicator_name(code, "zh")  # says whom it counts: 全部维度评估达标的县
        assert name.startswith(short) and "全部维度评估达标" in name
        match = re.search(rf"临沧市{re.escape(year_label(year))}{re.escape(name)}为(\d+\.\d+)%", text)
        assert match and _shows(match.group(1), values[code]), code


# --------------------------------------------------------------------------- parameters and NA


def test_bad_parameters_raise_a_readable_value_error(processed_sample: Path) -> None:
    from lcedu.present import briefing

    with pytest.raises(ValueError, match="未知的县"):
        briefing.params("不存在县", 2025)
    with pytest.raises(ValueError, match="2030.*不在数据中"):
        briefing.params("双江", 2030)
    with pytest.raises(ValueError, match="lang"):
        briefing.params("530925", 2025, lang="fr")
    with pytest.raises(ValueError, match="city_overview"):
        briefing.params("530900", 2025)
    with pytest.raises(ValueError, match="baseline_year"):
        briefing.params("530925", 2023, baseline_year=2024)
    p = briefing.params("双江县", 2025)  # the statistics' short form still resolves
    assert (p.county, p.year, p.name) == ("530925", 2025, "双江自治县")  # shown as the plan writes it
    assert briefing.params("双江自治县", 2025).county == "530925"
    assert briefing.params("临沧市", 2025, scope="city").is_city


def test_a_notebook_with_an_unknown_county_fails_in_its_first_cell(processed_sample: Path, tmp_path: Path) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as failure:
        papermill.execute_notebook(
            str(NOTEBOOKS / "high_school.ipynb"),
            str(tmp_path / "bad.ipynb"),
            parameters={"county": "不存在县", "year": 2025, "lang": "zh"},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(REPO),
        )
    assert failure.value.ename == "ValueError" and "未知的县" in failure.value.evalue


def test_missing_values_say_why_instead_of_zero(processed_sample: Path) -> None:
    from lcedu.present import briefing, narrative

    p = briefing.params("双江", 2025)
    text = briefing.sentence(p, "special_school_coverage_large_county_pct")
    assert "不适用：常住人口未超过20万" in text and "0.0%" not in text
    row = {
        "county_code": "530925",
        "year": 2025,
        "indicator": "preschool_gross_enrollment_pct",
        "value": None,
        "unit": "%",
        "na_reason": "missing population",
    }
    assert (
        narrative.indicator_sentence(row)
        == f"{counties.name('530925')}2025/26学年初学前三年毛入园率：数据缺失：缺少人口数据。"
    )
    assert narrative.indicator_sentence(row, "en").endswith(
        "at the start of the 2025/26 school year: no data: missing population."
    )
    assert narrative.fmt_value(None, "%") == "—"
