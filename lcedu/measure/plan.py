"""Targets of the city's education plan, as data (``lcedu/plans/*/targets.yml``).

Each plan is one YAML file (``plan`` metadata + ``targets`` entries); the 2023–2025
plan is the default, a later plan (2026–2030) is another file passed to
:func:`load_targets` — no code change. Entries are validated on load so that a typo
in a hand-edited file is reported with the file and the entry, not found later as a
wrong chart.

Public API (stable):

* :func:`load_targets` — one row per target and year, as a DataFrame.
* :func:`load_plan` — the ``plan`` metadata block.
* :func:`load_plan_text` — the plan's text stored beside the YAML.
* :func:`plan_numbers`, :func:`uncovered_numbers` — find target numbers in plan text
  that no entry accounts for (used to check a targets file against its plan).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lcedu import paths

__all__ = [
    "COLUMNS",
    "COMPARISONS",
    "PlanNumber",
    "TargetsFileError",
    "load_plan",
    "load_plan_text",
    "load_targets",
    "plan_numbers",
    "uncovered_numbers",
]

#: at_least / at_most (a rate or amount; ``strict`` makes it > / <), reach (a yes/no
#: state, no value), count_at_least (a number of schools, people ...), range
#: (value ≤ x ≤ value_max, e.g. 5至8个).
COMPARISONS: tuple[str, ...] = ("at_least", "at_most", "reach", "count_at_least", "range")

#: Columns of :func:`load_targets`, in order.
COLUMNS: tuple[str, ...] = (
    "plan",
    "entry",
    "indicator",
    "name_zh",
    "name_en",
    "year",
    "scope",
    "counties",
    "comparison",
    "value",
    "value_max",
    "strict",
    "unit",
    "clause",
    "quote",
    "restated",
    "condition",
    "note",
)

DEFAULT_PLAN = "lincang_2023_2025"
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
_OPTIONAL = ("value", "value_max", "strict", "restated", "condition", "note")
_CODE = re.compile(r"[a-z][a-z0-9_]*")
_COUNTY = re.compile(r"\d{6}")


class TargetsFileError(ValueError):
    """A targets file that cannot be used; the message names the file and every bad entry."""


def _default_path() -> Path:
    return paths.package_file("plans", DEFAULT_PLAN, "targets.yml")


def _resolve(path: str | Path | None) -> Path:
    return (Path(path) if path is not None else _default_path()).resolve()


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_year(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# --------------------------------------------------------------------------- validation


def _check_plan(plan: object) -> list[str]:
    if not isinstance(plan, dict):
        return ["'plan' must be a mapping with id, first_year and last_year"]
    problems = []
    if not isinstance(plan.get("id"), str) or not plan.get("id"):
        problems.append("plan.id must be a non-empty string")
    first, last = plan.get("first_year"), plan.get("last_year")
    if not (_is_year(first) and _is_year(last) and first <= last):
        problems.append(
            f"plan.first_year/last_year must be years with first ≤ last, got {first!r}, {last!r}"
        )
    region = plan.get("region_code")
    if region is not None and not _COUNTY.fullmatch(str(region)):
        problems.append(f"plan.region_code must be a 6-digit code, got {region!r}")
    return problems


def _check_entry(entry: dict[str, Any], plan: Mapping[str, Any]) -> list[str]:
    problems = [f"missing '{key}'" for key in _REQUIRED if key not in entry]
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        problems.append(f"unknown field(s) {unknown}")
    if "indicator" in entry and not (
        isinstance(entry["indicator"], str) and _CODE.fullmatch(entry["indicator"])
    ):
        problems.append(f"indicator must be a snake_case code, got {entry['indicator']!r}")
    for key in ("name_zh", "name_en", "unit", "clause", "quote"):
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            problems.append(f"{key} must be a non-empty string")

    comparison = entry.get("comparison")
    if "comparison" in entry and comparison not in COMPARISONS:
        problems.append(f"comparison {comparison!r} is not one of {list(COMPARISONS)}")
    value, value_max = entry.get("value"), entry.get("value_max")
    if comparison == "reach":
        if value not in (None, True):
            problems.append(f"a 'reach' target takes no value (or true), got {value!r}")
    elif comparison in COMPARISONS and not _is_number(value):
        problems.append(f"value must be a number for '{comparison}', got {value!r}")
    if comparison == "range":
        if not _is_number(value_max) or (_is_number(value) and value_max <= value):
            problems.append(f"a 'range' needs a number value_max > value, got {value_max!r}")
    elif "value_max" in entry:
        problems.append("value_max is only for comparison 'range'")
    if "strict" in entry and not isinstance(entry["strict"], bool):
        problems.append(f"strict must be true or false, got {entry['strict']!r}")
    if entry.get("strict") and comparison not in ("at_least", "at_most", "count_at_least"):
        problems.append(f"strict does not apply to comparison {comparison!r}")

    years = entry.get("year")
    year_list = years if isinstance(years, list) else [years]
    first, last = plan.get("first_year"), plan.get("last_year")
    if "year" in entry:
        if not year_list or not all(_is_year(y) for y in year_list):
            problems.append(f"year must be a year or a list of years, got {years!r}")
        elif _is_year(first) and _is_year(last):
            outside = [y for y in year_list if not first <= y <= last]
            if outside:
                problems.append(f"year(s) {outside} outside the plan span {first}–{last}")
        if len(set(map(str, year_list))) != len(year_list):
            problems.append(f"year list repeats a year: {years!r}")

    scope = entry.get("scope")
    if "scope" in entry and scope not in ("city", "each_county"):
        if not (isinstance(scope, list) and scope):
            problems.append(
                f"scope must be city, each_county or a list of county codes, got {scope!r}"
            )
        else:
            codes = [str(c) for c in scope]
            bad = [c for c in codes if not _COUNTY.fullmatch(c)]
            if bad:
                problems.append(f"county code(s) {bad} are not 6-digit codes")
            region = plan.get("region_code")
            if region is not None and not bad:
                foreign = [c for c in codes if c[:4] != str(region)[:4]]
                if foreign:
                    problems.append(f"county code(s) {foreign} are outside region {region}")
            if len(set(codes)) != len(codes):
                problems.append(f"scope repeats a county: {codes}")

    restated = entry.get("restated", [])
    if not (
        isinstance(restated, list)
        and all(isinstance(r, dict) and r.get("clause") and r.get("quote") for r in restated)
    ):
        problems.append("restated must be a list of {clause, quote}")
    condition = entry.get("condition", {})
    if not (
        isinstance(condition, dict)
        and all(isinstance(k, str) and _is_number(v) for k, v in condition.items())
    ):
        problems.append(f"condition must map names to numbers, got {condition!r}")
    if "note" in entry and not isinstance(entry["note"], str):
        problems.append("note must be a string")
    return problems


def _describe(i: int, entry: object) -> str:
    if isinstance(entry, dict):
        return (
            f"entry #{i} (indicator={entry.get('indicator')!r}, quote「{entry.get('quote', '')}」)"
        )
    return f"entry #{i}"


@lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int) -> tuple[dict[str, Any], pd.DataFrame]:
    # mtime_ns is part of the key so an edited file is re-read, not served stale.
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.safe_load(f)
        except yaml.YAMLError as exc:
            raise TargetsFileError(f"{path}: not valid YAML: {exc}") from exc
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("targets"), list)
        or not data["targets"]
    ):
        raise TargetsFileError(f"{path}: needs a 'plan' mapping and a non-empty 'targets' list")
    plan = data.get("plan")
    problems = _check_plan(plan)
    plan = plan if isinstance(plan, dict) else {}
    seen: dict[tuple[Any, ...], int] = {}
    for i, entry in enumerate(data["targets"], start=1):
        if not isinstance(entry, dict):
            problems.append(f"{_describe(i, entry)}: must be a mapping")
            continue
        problems += [f"{_describe(i, entry)}: {p}" for p in _check_entry(entry, plan)]
        years = entry.get("year") if isinstance(entry.get("year"), list) else [entry.get("year")]
        scope = entry.get("scope")
        scope_key = tuple(sorted(map(str, scope))) if isinstance(scope, list) else scope
        for year in years:
            key = (entry.get("indicator"), year, scope_key)
            if key in seen:
                problems.append(
                    f"{_describe(i, entry)}: same indicator, year {year} and scope as entry #{seen[key]}"
                )
            seen.setdefault(key, i)
    if problems:
        raise TargetsFileError(f"{path}: invalid targets file:\n  " + "\n  ".join(problems))
    return plan, _frame(plan, data["targets"])


def _frame(plan: Mapping[str, Any], entries: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for i, e in enumerate(entries, start=1):
        scope = e["scope"]
        counties = tuple(str(c) for c in scope) if isinstance(scope, list) else ()
        value = e.get("value")
        for year in e["year"] if isinstance(e["year"], list) else [e["year"]]:
            rows.append(
                {
                    "plan": plan["id"],
                    "entry": i,
                    "indicator": e["indicator"],
                    "name_zh": e["name_zh"],
                    "name_en": e["name_en"],
                    "year": year,
                    "scope": "counties" if counties else scope,
                    "counties": counties,
                    "comparison": e["comparison"],
                    "value": float(value) if _is_number(value) else math.nan,
                    "value_max": float(e["value_max"]) if "value_max" in e else math.nan,
                    "strict": bool(e.get("strict", False)),
                    "unit": e["unit"],
                    "clause": e["clause"],
                    "quote": e["quote"],
                    "restated": tuple((r["clause"], r["quote"]) for r in e.get("restated", [])),
                    "condition": tuple(
                        sorted((k, float(v)) for k, v in e.get("condition", {}).items())
                    ),
                    "note": e.get("note", ""),
                }
            )
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    return df.astype({"entry": "int64", "year": "int64", "strict": "bool"})


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    """Return the plan's targets, one row per target and year (a fresh copy).

    ``path`` defaults to ``lcedu/plans/lincang_2023_2025/targets.yml``; a later plan is just
    another file. Columns (:data:`COLUMNS`): ``plan`` id; ``entry`` (1-based position in
    the file); ``indicator``; ``name_zh``; ``name_en``; ``year``; ``scope`` ("city",
    "each_county" or "counties"); ``counties`` (tuple of 6-digit codes when scope is
    "counties", else empty); ``comparison``; ``value`` / ``value_max`` (float, NaN when
    not applicable, e.g. reach); ``strict`` (True for 超过, i.e. >); ``unit``; ``clause``;
    ``quote``; ``restated`` (tuple of (clause, quote) where the plan repeats the target);
    ``condition`` (tuple of (name, number), e.g. (("population_over", 200000.0),));
    ``note``.

    Raises TargetsFileError (a ValueError) naming the file and each bad entry: unknown
    comparison, non-numeric value, year outside the plan span, county code not 6 digits
    or outside the plan's region, missing or unknown fields, duplicate targets.
    """
    p = _resolve(path)
    return _read(str(p), p.stat().st_mtime_ns)[1].copy()


def load_plan(path: str | Path | None = None) -> dict[str, Any]:
    """The validated ``plan`` block of a targets file (id, title, span, text_file ...)."""
    p = _resolve(path)
    return dict(_read(str(p), p.stat().st_mtime_ns)[0])


def load_plan_text(path: str | Path | None = None) -> str:
    """The plan's text (``plan.text_file``, beside the YAML) without its leading ``#`` lines."""
    p = _resolve(path)
    name = load_plan(p).get("text_file")
    if not name:
        raise TargetsFileError(f"{p}: plan.text_file is not set")
    lines = (p.parent / name).read_text(encoding="utf-8").splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


# --------------------------------------------------------------------------- plan-text check

# Numbers a target can be written with: Arabic numerals (95, 93.5, 1.6万), and Chinese
# numerals only when they count something (…所/个/名/人/张/批/项/家/间), so that clause
# numerals "(四)", "三年", "九年义务教育" or "三好" are not read as numbers at all.
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[一二两三四五六七八九十]+(?=[所个名人张批项家间])")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_YEAR_FOLLOWERS = "年—–-"
_SENTENCE = re.compile(r"[^。;；\n]+")
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


@dataclass(frozen=True)
class PlanNumber:
    """A number written in a plan sentence: its text, value and span within ``sentence``."""

    text: str
    value: float
    start: int
    end: int
    sentence: str

    def values(self) -> tuple[float, ...]:
        """The values it may stand for: as written, and × 10 000 when followed by 万."""
        if self.sentence[self.end : self.end + 1] == "万":
            return (self.value, self.value * 10_000)
        return (self.value,)


def _cn_value(text: str) -> float:
    if "十" not in text:
        return float(sum(_CN_DIGITS[c] * 10**i for i, c in enumerate(reversed(text))))
    tens, _, units = text.partition("十")
    return float((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0))


def plan_numbers(text: str, ignore: Iterable[str] = ()) -> list[PlanNumber]:
    """Every number in ``text`` that could be a target value, sentence by sentence.

    Skipped: years (19xx/20xx followed by 年 or a dash) and numbers inside any phrase in
    ``ignore`` (slogans such as "三个心向", "四名工程", "一张网"). Chinese numerals are read
    only before a measure word (see ``_TOKEN``).
    """
    ignore = [p for p in ignore if p]
    found: list[PlanNumber] = []
    for m_sentence in _SENTENCE.finditer(text):
        sentence = m_sentence.group()
        blocked = [
            (m.start(), m.end())
            for phrase in ignore
            for m in re.finditer(re.escape(phrase), sentence)
        ]
        for m in _TOKEN.finditer(sentence):
            token, start, end = m.group(), m.start(), m.end()
            following = sentence[end : end + 1]
            if _YEAR.fullmatch(token) and following and following in _YEAR_FOLLOWERS:
                continue
            if any(a <= start and end <= b for a, b in blocked):
                continue
            value = float(token) if token[0].isdigit() else _cn_value(token)
            found.append(PlanNumber(token, value, start, end, sentence))
    return found


def _accepted_values(row: Mapping[str, Any]) -> list[float]:
    values = [row["value"], row["value_max"], *(v for _, v in row["condition"])]
    return [float(v) for v in values if not math.isnan(float(v))]


def uncovered_numbers(
    text: str, targets: pd.DataFrame, ignore: Iterable[str] = ()
) -> list[PlanNumber]:
    """Numbers of :func:`plan_numbers` that no target accounts for.

    A number is accounted for when some target's ``quote`` (or a ``restated`` quote)
    occurs in the same sentence around that number, and the number (× 10 000 before 万)
    equals the target's ``value``, ``value_max`` or a ``condition`` number. An empty
    result means every number in ``text`` is a recorded target with the right value.
    """
    candidates = plan_numbers(text, ignore)
    quotes: list[tuple[str, list[float]]] = []
    for row in targets.drop_duplicates("entry").to_dict("records") if len(targets) else []:
        accepted = _accepted_values(row)
        for quote in (row["quote"], *(q for _, q in row["restated"])):
            quotes.append((quote, accepted))

    def covered(n: PlanNumber) -> bool:
        for quote, accepted in quotes:
            for m in re.finditer(re.escape(quote), n.sentence):
                if (
                    m.start() <= n.start
                    and n.end <= m.end()
                    and any(math.isclose(v, a, rel_tol=1e-9) for v in n.values() for a in accepted)
                ):
                    return True
        return False

    return [n for n in candidates if not covered(n)]
