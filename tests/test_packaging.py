"""The two ways to install stay in step: pyproject.toml (pip, tested) and environment.yml (conda)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

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
    assert "--extra dev --extra maps" in makefile  # the lock it installs from holds both extras


def _locked() -> dict[str, str]:
    """Package → version pinned in requirements.lock."""
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    return {_name(m[0]): m[1] for m in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, flags=re.MULTILINE)}


def test_make_installs_from_the_lock() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "-r $(LOCK)" in makefile and "LOCK := requirements.lock" in makefile
    assert "$(STAMP): pyproject.toml $(LOCK)" in makefile  # a new lock reinstalls
    assert len(_locked()) > 100  # the whole environment, not only the direct dependencies


def test_the_lock_pins_every_dependency_within_its_range() -> None:
    """A range changed in pyproject.toml without `make lock` fails here, naming the package."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    locked = _locked()
    for requirement in map(Requirement, project["dependencies"] + extras["dev"] + extras["maps"]):
        name = _name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{name}=={locked[name]} in requirements.lock is outside {requirement.specifier}: run make lock"
        )


def test_python_version_floor_agrees() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))["dependencies"]
    assert project["requires-python"] == ">=3.11" and "python>=3.11" in env


def test_ci_calls_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make report" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
