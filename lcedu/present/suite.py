"""The notebook suite, read once from ``present/config/notebooks.yml``: names, titles, scope, checks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from lcedu import paths
from lcedu.present.narrative import check_lang


@dataclass(frozen=True)
class Notebook:
    name: str  # file stem in notebooks/, also the output name
    title_zh: str
    title_en: str
    scope: str  # "county" | "city" | "prefecture" | "province"
    min_figures: int = 0
    batch: bool = True  # the explorer is interactive: tested, not batch-rendered

    def title(self, lang: str) -> str:
        """The notebook's title in ``lang`` (its ``title_<lang>`` field of notebooks.yml)."""
        return str(getattr(self, f"title_{check_lang(lang)}"))


@cache
def suite() -> tuple[Notebook, ...]:
    """The notebooks in reading order."""
    text = paths.package_file("present", "config", "notebooks.yml").read_text(encoding="utf-8")
    return tuple(Notebook(**n) for n in yaml.safe_load(text)["notebooks"])


def notebook(name: str) -> Notebook | None:
    """One notebook's entry, or None for a name not in the suite."""
    return next((n for n in suite() if n.name == name), None)
