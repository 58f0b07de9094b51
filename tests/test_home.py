"""The home prefecture is data (lcedu/data/home.yml), read in one place and named nowhere else in code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lcedu
from lcedu import home, paths
from lcedu.ingest import counties

PACKAGE = Path(lcedu.__file__).resolve().parent

#: Strings that name the home prefecture; in code they come from lcedu.home, never typed in.
HOME_LITERALS = {"530900", "5309", "临沧市", "临沧", "Lincang"}

#: Modules that still type it in (path prefixes, so a module split into a package stays listed), each owned by a
#: change in progress: the list shrinks, it never grows. (present/briefing: split this session;
#: narrative's word tables: words.yml.)
NOT_YET = ()


def _literals(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings and name the home prefecture."""
    text = path.read_text(encoding="utf-8")
    if not any(literal in text for literal in HOME_LITERALS):
        return []  # most modules: no need to parse them
    tree = ast.parse(text)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in HOME_LITERALS and id(node) not in docstrings
    ]


def test_the_settings_file_names_lincang_and_the_modules_use_it() -> None:
    assert (home.HOME.code, home.HOME.name("zh"), home.HOME.name("en")) == ("530900", "临沧市", "Lincang")
    assert home.CITY_CODE == "530900" and not hasattr(paths, "CITY_CODE")  # one home
    assert paths.shapes_file().name == "lincang_counties.geojson" and paths.shapes_file().exists()
    assert len(counties.home()) == 8 and set(counties.home()["prefecture_code"]) == {"530900"}
    assert counties.area_name("530900", "en") == "Lincang"
    assert all(home.HOME.is_named(text) for text in ("530900", "临沧市", " 临沧 ")) and not home.HOME.is_named("5301")


def test_no_module_types_the_home_prefecture_in() -> None:
    found = {
        str(path.relative_to(PACKAGE)): _literals(path)
        for path in PACKAGE.rglob("*.py")
        if not str(path.relative_to(PACKAGE)).startswith(NOT_YET) and path.name != "home.py"
    }
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_a_settings_file_with_a_missing_field_or_a_county_code_is_refused(tmp_path: Path) -> None:
    text = home.SETTINGS.read_text(encoding="utf-8")
    missing = tmp_path / "home.yml"
    missing.write_text(text.replace("name_en: Lincang\n", ""), encoding="utf-8")
    with pytest.raises(ValueError, match="name_en"):
        home.read(missing)
    county = tmp_path / "county.yml"
    county.write_text(text.replace('code: "530900"', 'code: "530925"'), encoding="utf-8")
    with pytest.raises(ValueError, match="530925"):
        home.read(county)
    assert home.read(home.SETTINGS) == home.HOME
