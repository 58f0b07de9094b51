"""Where things are: the project folders, the package's data files, the home prefecture's boundaries.

One home for every path, so a checkout, an installed package and a test's temporary folder all
find the same files the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from lcedu import home

PACKAGE = Path(__file__).resolve().parent
#: The repository root when running from a checkout (it has pyproject.toml), else None.
REPO: Path | None = PACKAGE.parent if (PACKAGE.parent / "pyproject.toml").exists() else None


def project(relative: str) -> Path:
    """A project folder (``data/raw``, ``reports`` …): under the checkout, else the working directory."""
    return REPO / relative if REPO is not None else Path(relative)


def processed_dir(path: str | Path | None = None) -> Path:
    """The processed folder: the argument, $LCEDU_PROCESSED, or data/processed."""
    if path is not None:
        return Path(path)
    if env := os.environ.get("LCEDU_PROCESSED"):
        return Path(env)
    return project("data/processed")


def reports_dir(path: str | Path | None = None) -> Path:
    """The reports folder (what lcedu writes for people to read): the argument, $LCEDU_REPORTS, or reports/."""
    if path is not None:
        return Path(path)
    if env := os.environ.get("LCEDU_REPORTS"):
        return Path(env)
    return project("reports")


def package_file(*parts: str) -> Path:
    """A data file shipped inside the package, e.g. ``package_file("measure", "config", "standards.yml")``."""
    return PACKAGE.joinpath(*parts)


def shapes_file() -> Path:
    """The committed county boundaries of the home prefecture (``lcedu/data/home.yml``: ``shapes``)."""
    return project(home.HOME.shapes)


#: Province shapes shipped in shapes/ (``<name>_counties.geojson``, ``<name>_prefectures.geojson``).
SHIPPED_SHAPES = {"530000": "yunnan"}


def shapes_cache() -> Path:
    """Where ``lcedu shapes`` writes other scopes: $LCEDU_SHAPES, else ~/.cache/lcedu/shapes (XDG)."""
    if env := os.environ.get("LCEDU_SHAPES"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lcedu" / "shapes"
