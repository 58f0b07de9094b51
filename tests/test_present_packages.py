"""The briefing and sections packages keep their callers working, within the size aims (issue 22)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lcedu.present import briefing, sections

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"briefing": briefing, "bf": briefing, "sections": sections}
# briefing.params(…), bf.card(…), sections.FAMOUS … as notebooks, modules and tests call them.
CALL = re.compile(r"\b(briefing|bf|sections)\.([A-Za-z]\w*)")


def _sources() -> list[Path]:
    files = [*(REPO / "lcedu").rglob("*.py"), *(REPO / "notebooks").glob("*.ipynb"), *(REPO / "tests").glob("*.py")]
    return [f for f in files if f.parent.name not in ("briefing", "sections")]


def test_every_name_callers_use_is_there():
    missing = set()
    for path in _sources():
        for alias, name in CALL.findall(path.read_text(encoding="utf-8")):
            if name in ("py", "yml", "ipynb"):  # file names in prose: briefing.yml, sections.py
                continue
            if not hasattr(PACKAGES[alias], name):
                missing.add(f"{alias}.{name} ({path.relative_to(REPO)})")
    assert not missing, sorted(missing)


@pytest.mark.parametrize("package", ["briefing", "sections"])
def test_modules_of_one_job_stay_small(package):
    folder = REPO / "lcedu" / "present" / package
    modules = sorted(folder.glob("*.py"))
    assert len(modules) > 4
    for path in modules:
        source = path.read_text(encoding="utf-8")
        assert source.count("\n") <= 600, f"{path.name}: over 600 lines"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno < 65, f"{path.name}: {node.name} over ~60 lines"


@pytest.mark.parametrize("package", ["briefing", "sections"])
def test_lcedu_imports_are_at_the_top(package):
    """Only lcedu.present.maps (geopandas, shapely) may be imported late, by the pages that draw maps."""
    late = []
    for path in sorted((REPO / "lcedu" / "present" / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("lcedu"):
                        names = [a.name for a in inner.names]
                        if not (inner.module == "lcedu.present" and names == ["maps"]):
                            late.append(f"{path.name}: {node.name} imports {inner.module} {names}")
    assert not late, late
