"""The two ways to install stay in step: pyproject.toml (pip, tested) and environment.yml (conda)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = {_name(r) for r in project["dependencies"] + extras["dev"] + extras["maps"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))["dependencies"]
    conda = {_name(d) for d in env if isinstance(d, str)} - {"python", "pip"}
    pip = {_name(d) for entry in env if isinstance(entry, dict) for d in entry["pip"] if not d.startswith("-e")}
    assert conda.isdisjoint(pip)
    assert conda | pip == wanted


def test_make_installs_the_maps_extra_so_its_tests_run() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "-e '.[dev,maps]'" in makefile


def test_python_version_floor_agrees() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))["dependencies"]
    assert project["requires-python"] == ">=3.11" and "python>=3.11" in env


def test_ci_calls_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make report" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
