"""The shape of a plan file: its ``plan`` block, the ``check`` block and each target entry, field by field.

Checked on load (:func:`lcedu.measure.plan.load_targets`) so that a typo in a hand-edited file is reported
with the entry and the field, not found later as a wrong chart; every problem is reported at once. What
only the registries can tell (a misspelt indicator, a county code that names no county) is
:mod:`lcedu.measure.plan_check`. The schema is documented in ``docs/plans.md``.

Public API: :func:`plan_block_problems`, :func:`entry_problems` ((field, problem) pairs; empty when valid),
:data:`COMPARISONS`, :data:`VALUELESS`, :data:`STATUSES`, :func:`is_number`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["COMPARISONS", "STATUSES", "VALUELESS", "entry_problems", "is_number", "plan_block_problems"]

#: at_least / at_most (a rate or amount; ``strict`` makes it > / <), reach (a yes/no
#: state, no value), count_at_least (a number of schools, people ...), range
#: (value ≤ x ≤ value_max, e.g. 5至8个).
#: increase / decrease: a directional target (显著提升, 明显提高 / 明显降低), judged as the change of the
#: target year's value against the plan's baseline (met when strictly higher / lower; no value);
#: qualitative: a 定性目标 (取得实质性进展, 稳居全省前列), listed and counted, never judged.
COMPARISONS: tuple[str, ...] = (
    "at_least",
    "at_most",
    "reach",
    "count_at_least",
    "range",
    "increase",
    "decrease",
    "qualitative",
)
#: Comparisons without a value of their own.
VALUELESS: tuple[str, ...] = ("reach", "increase", "decrease", "qualitative")

_REQUIRED = (
    "indicator",
    "name_zh",
    "name_en",
    "year",
    "scope",
    "comparison",
    "unit",
    "clause",
    "quote",
)
_OPTIONAL = ("value", "value_max", "strict", "restated", "condition", "note", "data_needed")
_CODE = re.compile(r"[a-z][a-z0-9_]*")
_COUNTY = re.compile(r"\d{6}")


#: ``plan.status``: adopted (issued by the government), draft (from ``lcedu plan draft``,
#: no targets yet), test (made-up, for tests only).
STATUSES: tuple[str, ...] = ("adopted", "draft", "test")
_PLAN_FIELDS = (
    "id",
    "title_zh",
    "title_en",
    "issued_by",
    "published",
    "source",
    "region_code",
    "baseline_year",
    "first_year",
    "last_year",
    "text_file",
    "status",
    "check",
)


def is_number(x: object) -> bool:
    """A finite int or float, not a bool."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_year(x: object) -> bool:
    """An int, not a bool."""
    return isinstance(x, int) and not isinstance(x, bool)


def plan_block_problems(plan: object) -> list[tuple[str, str]]:
    """(field, problem) pairs of the ``plan`` block."""
    if not isinstance(plan, dict):
        return [("plan", "'plan' must be a mapping with id, first_year and last_year")]
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(plan) - set(_PLAN_FIELDS))
    if unknown:
        problems.append((", ".join(map(str, unknown)), f"unknown field(s) {unknown}; known: {list(_PLAN_FIELDS)}"))
    if not isinstance(plan.get("id"), str) or not plan.get("id"):
        problems.append(("id", "plan.id must be a non-empty string"))
    first, last = plan.get("first_year"), plan.get("last_year")
    if not (_is_year(first) and _is_year(last) and first <= last):
        problems.append(
            ("first_year", f"plan.first_year/last_year must be years with first ≤ last, got {first!r}, {last!r}")
        )
    baseline = plan.get("baseline_year")
    if baseline is not None and not (_is_year(baseline) and (not _is_year(first) or baseline < first)):
        problems.append(
            ("baseline_year", f"plan.baseline_year must be a year before first_year {first!r}, got {baseline!r}")
        )
    region = plan.get("region_code")
    if region is not None and not _COUNTY.fullmatch(str(region)):
        problems.append(("region_code", f"plan.region_code must be a 6-digit code, got {region!r}"))
    status = plan.get("status", "adopted")
    if status not in STATUSES:
        problems.append(("status", f"plan.status must be one of {list(STATUSES)}, got {status!r}"))
    for key in ("title_zh", "title_en", "text_file"):
        if key in plan and not (isinstance(plan[key], str) and plan[key].strip()):
            problems.append((key, f"plan.{key} must be a non-empty string"))
    problems += _check_check(plan.get("check"))
    return problems


def _check_check(check: object) -> list[tuple[str, str]]:
    """The optional ``plan.check`` block: passages [{from, to, only_sentences_with}], not_targets."""
    if check is None:
        return []
    if not isinstance(check, dict):
        return [("check", "plan.check must be a mapping with passages and/or not_targets")]
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(check) - {"passages", "not_targets", "target_words"})
    if unknown:
        problems.append(("check", f"plan.check has unknown field(s) {unknown}"))
    passages = check.get("passages", [])
    if not isinstance(passages, list):
        problems.append(("check.passages", "plan.check.passages must be a list of {from, to}"))
        passages = []
    for i, passage in enumerate(passages, start=1):
        ok = (
            isinstance(passage, dict)
            and set(passage) <= {"from", "to", "only_sentences_with"}
            and all(isinstance(passage.get(k), str) and passage.get(k) for k in ("from", "to"))
            and isinstance(passage.get("only_sentences_with", ""), str)
        )
        if not ok:
            problems.append(
                (
                    "check.passages",
                    f"passage #{i} must be {{from: text, to: text[, only_sentences_with: text]}}, got {passage!r}",
                )
            )
    ignore = check.get("not_targets", [])
    if not (isinstance(ignore, list) and all(isinstance(x, str) and x for x in ignore)):
        problems.append(("check.not_targets", f"plan.check.not_targets must be a list of phrases, got {ignore!r}"))
    words = check.get("target_words", [])
    if not (isinstance(words, list) and all(isinstance(x, str) and x for x in words)):
        problems.append(("check.target_words", f"plan.check.target_words must be a list of phrases, got {words!r}"))
    return problems


def _check_fields(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Required and unknown fields, the indicator code and the text fields."""
    problems: list[tuple[str, str]] = [(key, f"missing '{key}'") for key in _REQUIRED if key not in entry]
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        problems.append((", ".join(map(str, unknown)), f"unknown field(s) {unknown}"))
    if "indicator" in entry and not (isinstance(entry["indicator"], str) and _CODE.fullmatch(entry["indicator"])):
        problems.append(("indicator", f"indicator must be a snake_case code, got {entry['indicator']!r}"))
    for key in ("name_zh", "name_en", "unit", "clause", "quote"):
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            problems.append((key, f"{key} must be a non-empty string"))
    return problems


def _check_value(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The comparison and the value it takes (none for a valueless one, a number otherwise)."""
    problems: list[tuple[str, str]] = []
    comparison, value = entry.get("comparison"), entry.get("value")
    if "comparison" in entry and comparison not in COMPARISONS:
        problems.append(("comparison", f"comparison {comparison!r} is not one of {list(COMPARISONS)}"))
    if comparison in VALUELESS:
        if value not in (None, True) or (comparison != "reach" and "value" in entry):
            problems.append(("value", f"a {comparison!r} target takes no value, got {value!r}"))
    elif comparison in COMPARISONS and not is_number(value):
        problems.append(("value", f"value must be a number for '{comparison}', got {value!r}"))
    return problems


def _check_value_max(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``value_max``: a range's top, or the top of a floor's planned band — nothing else takes one."""
    comparison, value, value_max = entry.get("comparison"), entry.get("value"), entry.get("value_max")
    above = is_number(value_max) and not (is_number(value) and value_max <= value)
    if comparison == "range":
        return [] if above else [("value_max", f"a 'range' needs a number value_max > value, got {value_max!r}")]
    if "value_max" not in entry:
        return []
    if comparison in ("at_least", "count_at_least"):
        # A planned band read as a floor (建成…5至8个: 9 is more than planned, not a miss): the top
        # is shown beside the target, never tested.
        return (
            []
            if above
            else [("value_max", f"the planned band's top needs a number value_max > value, got {value_max!r}")]
        )
    return [("value_max", "value_max is only for 'range' or the top of a floor's planned band")]


def _check_strict(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``strict``: true or false, and only for the comparisons it changes (≥ → >, ≤ → <)."""
    problems: list[tuple[str, str]] = []
    comparison = entry.get("comparison")
    if "strict" in entry and not isinstance(entry["strict"], bool):
        problems.append(("strict", f"strict must be true or false, got {entry['strict']!r}"))
    if entry.get("strict") and comparison not in ("at_least", "at_most", "count_at_least"):
        problems.append(("strict", f"strict does not apply to comparison {comparison!r}"))
    return problems


def _check_year(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``year``: a year or a list of distinct years, inside the plan's span."""
    if "year" not in entry:
        return []
    problems: list[tuple[str, str]] = []
    years = entry["year"]
    year_list = years if isinstance(years, list) else [years]
    first, last = plan.get("first_year"), plan.get("last_year")
    if not year_list or not all(_is_year(y) for y in year_list):
        problems.append(("year", f"year must be a year or a list of years, got {years!r}"))
    elif _is_year(first) and _is_year(last):
        outside = [y for y in year_list if not first <= y <= last]
        if outside:
            problems.append(("year", f"year(s) {outside} outside the plan span {first}–{last}"))
    if len(set(map(str, year_list))) != len(year_list):
        problems.append(("year", f"year list repeats a year: {years!r}"))
    return problems


def _check_scope(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``scope``: city, each_county or a list of distinct 6-digit county codes inside the plan's region."""
    scope = entry.get("scope")
    if "scope" not in entry or scope in ("city", "each_county"):
        return []
    if not (isinstance(scope, list) and scope):
        return [("scope", f"scope must be city, each_county or a list of county codes, got {scope!r}")]
    problems: list[tuple[str, str]] = []
    codes = [str(c) for c in scope]
    bad = [c for c in codes if not _COUNTY.fullmatch(c)]
    if bad:
        problems.append(("scope", f"county code(s) {bad} are not 6-digit codes"))
    region = plan.get("region_code")
    if region is not None and not bad:
        foreign = [c for c in codes if c[:4] != str(region)[:4]]
        if foreign:
            problems.append(("scope", f"county code(s) {foreign} are outside region {region}"))
    if len(set(codes)) != len(codes):
        problems.append(("scope", f"scope repeats a county: {codes}"))
    return problems


def _check_extras(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The optional ``restated``, ``condition``, ``note`` and ``data_needed``."""
    problems: list[tuple[str, str]] = []
    restated = entry.get("restated", [])
    if not (
        isinstance(restated, list) and all(isinstance(r, dict) and r.get("clause") and r.get("quote") for r in restated)
    ):
        problems.append(("restated", "restated must be a list of {clause, quote}"))
    condition = entry.get("condition", {})
    if not (isinstance(condition, dict) and all(isinstance(k, str) and is_number(v) for k, v in condition.items())):
        problems.append(("condition", f"condition must map names to numbers, got {condition!r}"))
    if "note" in entry and not isinstance(entry["note"], str):
        problems.append(("note", "note must be a string"))
    if "data_needed" in entry and not (isinstance(entry["data_needed"], str) and entry["data_needed"].strip()):
        problems.append(("data_needed", "data_needed must say what data would judge the target"))
    return problems


#: One check per field (or group of fields) of a target entry, in the order problems are reported.
_ENTRY_CHECKS = (
    _check_fields,
    _check_value,
    _check_value_max,
    _check_strict,
    _check_year,
    _check_scope,
    _check_extras,
)


def entry_problems(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) pairs of one target entry; empty when the entry is valid."""
    return [problem for check in _ENTRY_CHECKS for problem in check(entry, plan)]
