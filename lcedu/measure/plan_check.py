"""A plan checked against what lcedu knows: the indicator registry and the county registry.

:mod:`lcedu.measure.plan` checks a plan file's own shape (fields, years within the plan's span); this
adds what only the registries can tell. A misspelt indicator would otherwise match no result and its
target would silently drop out of every count (40 → 39 targets); a county code that names no county
would judge nothing. Called wherever a plan is loaded, so maps, render, evaluate and report refuse the
same file the same way (exit 2, file, entry and field named).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import yaml

from lcedu import paths
from lcedu.ingest import counties
from lcedu.measure.registry import load_registry

_CODE = re.compile(r"[a-z][a-z0-9_]*")


@cache
def milestones() -> dict[str, str]:
    """Indicator codes a plan may target without a registry formula (``config/milestones.yml``) → name."""
    with open(paths.package_file("measure", "config", "milestones.yml"), encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return {m["code"]: m["name_zh"] for m in data["milestones"]}


def known_indicators() -> dict[str, str]:
    """Every indicator code a target may name (the registry's, then the milestones) → its Chinese name."""
    registry = load_registry().indicators
    return {code: ind.name_zh for code, ind in registry.items()} | milestones()


def closest_indicator(code: str, known: Mapping[str, str]) -> str:
    """The closest known code and its name, as a hint for a misspelt one ('' when nothing is close)."""
    match = difflib.get_close_matches(code, list(known), n=1, cutoff=0.6)
    return f"{match[0]}（{known[match[0]]}）" if match else ""


def registry_problems(
    plan: Mapping[str, Any], entries: list[Any], describe: Callable[[int, object], str]
) -> list[tuple[str, str, str]]:
    """(entry, field, problem) triples of a plan against the registries; ``describe(i, entry)`` names entry #i.

    Unknown indicators (with the closest known code), scopes naming a code that is no county of the
    registry, and a region that has no county.
    """
    known = known_indicators()
    county_codes = set(counties.registry()["county_code"])
    problems: list[tuple[str, str, str]] = []
    region = plan.get("region_code")
    if region is not None and not any(c.startswith(str(region)[:4]) for c in county_codes):
        problems.append(("plan", "region_code", f"region {region!r} has no county in the county registry"))
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            continue
        code = entry.get("indicator")
        # A 定性目标 or a target that states the data it lacks is never looked up: its code is only a name.
        unmeasured = entry.get("comparison") == "qualitative" or "data_needed" in entry
        # A code that is not snake_case is plan.py's to report.
        if isinstance(code, str) and _CODE.fullmatch(code) and code not in known and not unmeasured:
            hint = closest_indicator(code, known)
            problems.append(
                (
                    describe(i, entry),
                    "indicator",
                    f"unknown indicator {code!r} (not in lcedu/measure/config/indicators.yml nor milestones.yml)"
                    + (f"; closest / 最接近: {hint}" if hint else ""),
                )
            )
        scope = entry.get("scope")
        if isinstance(scope, list):
            unknown = [str(c) for c in scope if str(c) not in county_codes]
            if unknown and len(unknown) == len(scope):
                problems.append((describe(i, entry), "scope", f"scope names no county: {unknown} are not county codes"))
            elif unknown:
                problems.append((describe(i, entry), "scope", f"county code(s) {unknown} name no county"))
    return problems
