"""Plans of the city's education plan, as data (``lcedu/plans/<name>/``).

A plan is a folder: ``targets.yml`` (a ``plan`` block with the plan's years and a
``targets`` list), the plan's text (``plan.txt``) and nothing else. The 2023–2025 plan is
the default; a later plan (2026–2030) is another folder — no code change. Files are
validated on load so that a typo in a hand-edited file is reported with the file, the
entry and the field, not found later as a wrong chart. The schema is documented in
``docs/plans.md``.

Public API (stable):

* :func:`list_plans`, :func:`get_plan` (a :class:`Plan`: years, period, target shares,
  targets, text), :func:`plan_path` — plans by name (or by folder / file path).
* :func:`load_targets` — one row per target and year, as a DataFrame.
* :func:`load_plan` — the validated ``plan`` block.
* :func:`load_plan_text` — the plan's text stored beside the YAML.
* :func:`clause_titles` — the clause headings of a plan's text.

The plan-text check (target numbers in the prose that no entry accounts for) is
:mod:`lcedu.measure.plan_prose`.
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
from lcedu.home import HOME
from lcedu.measure.plan_check import registry_problems

__all__ = [
    "COLUMNS",
    "COMPARISONS",
    "DEFAULT_PLAN",
    "Plan",
    "Problem",
    "STATUSES",
    "TargetsFileError",
    "clause_titles",
    "get_plan",
    "list_plans",
    "load_plan",
    "load_plan_text",
    "load_targets",
    "plan_path",
    "read_plan_text",
]

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
    "data_needed",
)

DEFAULT_PLAN = HOME.default_plan
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


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a plan file: the file, the entry ("plan" or "entry #3 …"), the field."""

    file: str
    entry: str
    field: str
    message: str

    def format(self) -> str:
        return f"{self.entry}: field '{self.field}': {self.message}"


class TargetsFileError(ValueError):
    """A plan file that cannot be used; the message names the file, each bad entry and field.

    ``problems`` holds the same as :class:`Problem` records (empty for a file that is not
    readable at all, e.g. invalid YAML).
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)


def _default_path() -> Path:
    return paths.package_file("plans", DEFAULT_PLAN, "targets.yml")


def list_plans() -> list[str]:
    """Names of the plans shipped in ``lcedu/plans/`` (folders holding a ``targets.yml``)."""
    root = paths.package_file("plans")
    return sorted(d.name for d in root.iterdir() if (d / "targets.yml").is_file())


def plan_path(plan: str | Path | None = None) -> Path:
    """The targets file of a plan given by name (``lincang_2023_2025``), folder or file.

    A FileNotFoundError names the plans there are when ``plan`` is neither.
    """
    if plan is None:
        return _default_path().resolve()
    p = Path(plan)
    if p.is_dir():
        p = p / "targets.yml"
    if p.is_file():
        return p.resolve()
    named = paths.package_file("plans", str(plan), "targets.yml")
    if p.name == str(plan) and named.is_file():
        return named.resolve()
    raise FileNotFoundError(
        f"找不到规划 / plan not found: {plan!r}; 可用 / available: {', '.join(list_plans())} "
        "(或给出 targets.yml 的路径 / or a path to a targets.yml or its folder)"
    )


def _resolve(path: str | Path | None) -> Path:
    return plan_path(path)


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_year(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# --------------------------------------------------------------------------- validation


def _check_plan(plan: object) -> list[tuple[str, str]]:
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
    elif comparison in COMPARISONS and not _is_number(value):
        problems.append(("value", f"value must be a number for '{comparison}', got {value!r}"))
    return problems


def _check_value_max(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``value_max``: a range's top, or the top of a floor's planned band — nothing else takes one."""
    comparison, value, value_max = entry.get("comparison"), entry.get("value"), entry.get("value_max")
    above = _is_number(value_max) and not (_is_number(value) and value_max <= value)
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
    if not (isinstance(condition, dict) and all(isinstance(k, str) and _is_number(v) for k, v in condition.items())):
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


def _check_entry(entry: dict[str, Any], plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) pairs of one target entry; empty when the entry is valid."""
    return [problem for check in _ENTRY_CHECKS for problem in check(entry, plan)]


def _describe(i: int, entry: object) -> str:
    if isinstance(entry, dict):
        return f"entry #{i} (indicator={entry.get('indicator')!r}, quote「{entry.get('quote', '')}」)"
    return f"entry #{i}"


@lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int) -> tuple[dict[str, Any], pd.DataFrame]:
    # mtime_ns is part of the key so an edited file is re-read, not served stale.
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise TargetsFileError(f"{path}: not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise TargetsFileError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        raise TargetsFileError(f"{path}: needs a 'plan' mapping and a 'targets' list")
    plan = data.get("plan")
    found = [Problem(path, "plan", field, msg) for field, msg in _check_plan(plan)]
    plan = plan if isinstance(plan, dict) else {}
    unknown = sorted(set(data) - {"plan", "targets", "draft"})
    if unknown:
        found.append(
            Problem(
                path,
                "file",
                ", ".join(map(str, unknown)),
                f"unknown top-level key(s) {unknown}; a plan file has plan, targets (and draft)",
            )
        )
    if not data["targets"] and plan.get("status") != "draft":
        found.append(Problem(path, "file", "targets", "the targets list is empty (only a draft may have none)"))
    seen: dict[tuple[Any, ...], int] = {}
    for i, entry in enumerate(data["targets"], start=1):
        where = _describe(i, entry)
        if not isinstance(entry, dict):
            found.append(Problem(path, where, "-", "must be a mapping"))
            continue
        found += [Problem(path, where, field, msg) for field, msg in _check_entry(entry, plan)]
        years = entry.get("year") if isinstance(entry.get("year"), list) else [entry.get("year")]
        scope = entry.get("scope")
        scope_key = tuple(sorted(map(str, scope))) if isinstance(scope, list) else scope
        for year in years:
            key = (entry.get("indicator"), year, scope_key)
            if key in seen:
                found.append(
                    Problem(path, where, "year", f"same indicator, year {year} and scope as entry #{seen[key]}")
                )
            seen.setdefault(key, i)
    found += [Problem(path, *p) for p in registry_problems(plan, data["targets"], _describe)]
    if found:
        raise TargetsFileError(f"{path}: invalid targets file:\n  " + "\n  ".join(p.format() for p in found), found)
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
                    "condition": tuple(sorted((k, float(v)) for k, v in e.get("condition", {}).items())),
                    "note": e.get("note", ""),
                    "data_needed": e.get("data_needed", ""),
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

    ``attrs["region_code"]`` is the plan's region (530900): its "each_county" targets are the
    targets of that prefecture's counties, not of every county a build holds.
    """
    p = _resolve(path)
    plan, targets = _read(str(p), p.stat().st_mtime_ns)
    out = targets.copy()
    out.attrs["region_code"] = plan.get("region_code")
    return out


def in_region(code: str, region: str | None) -> bool:
    """Whether a county or area code lies in a plan's region (530900: 临沧's counties and 530900 itself;
    a province region ``53xxxx`` ending in 0000: every code of the province). No region: everywhere."""
    if not region:
        return True
    width = 2 if str(region).endswith("0000") else 4
    return str(code)[:width] == str(region)[:width]


def load_plan(path: str | Path | None = None) -> dict[str, Any]:
    """The validated ``plan`` block of a targets file (id, title, span, text_file ...)."""
    p = _resolve(path)
    return dict(_read(str(p), p.stat().st_mtime_ns)[0])


def load_plan_text(path: str | Path | None = None) -> str:
    """The plan's text (``plan.text_file``, beside the YAML) without its leading ``#`` lines."""
    p = _resolve(path)
    name = load_plan(p).get("text_file")
    if not name:
        raise TargetsFileError(f"{p}: plan.text_file is not set", [Problem(str(p), "plan", "text_file", "not set")])
    lines = read_plan_text(p.parent / name).splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


def read_plan_text(path: str | Path) -> str:
    """A plan text file as UTF-8; a TargetsFileError says when it is not text (e.g. a .docx)."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TargetsFileError(f"{p}: not UTF-8 text ({exc.reason}); save the plan as plain UTF-8 text") from exc


# --------------------------------------------------------------------------- plans by name


@dataclass(frozen=True)
class Plan:
    """A plan's identity and years, read from its file: what code uses instead of 2022 / 2025.

    ``baseline_year`` is ``plan.baseline_year`` (default: the year before ``first_year``);
    ``final_year`` is ``plan.last_year``; ``period`` the plan's years, first to final.
    """

    name: str
    id: str
    title_zh: str
    status: str
    region_code: str | None
    baseline_year: int
    first_year: int
    final_year: int
    targets_file: Path
    text_file: Path | None
    not_targets: tuple[str, ...]
    passages: tuple[tuple[str, str, str], ...]
    target_words: tuple[str, ...] = ()

    @property
    def period(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.final_year + 1))

    @property
    def period_text(self) -> str:
        """2023—2025年."""
        return f"{self.first_year}—{self.final_year}年"

    def targets(self) -> pd.DataFrame:
        """:func:`load_targets` of this plan."""
        return load_targets(self.targets_file)

    def text(self) -> str:
        """:func:`load_plan_text` of this plan."""
        return load_plan_text(self.targets_file)

    def target_shares(self) -> dict[str, float]:
        """Share of counties (0–1) each county assessment must reach by the final year.

        From the ``<assessment>_county_share_pct`` targets (e.g. 37.5 % → 0.375 for
        ``compulsory_balanced``); an assessment without such a target is absent.
        """
        t = self.targets()
        shares = t[t["indicator"].str.endswith("_county_share_pct") & (t["scope"] == "city")]
        shares = shares.sort_values("year").drop_duplicates("indicator", keep="last")
        return {
            code.removesuffix("_county_share_pct"): float(v) / 100
            for code, v in zip(shares["indicator"], shares["value"], strict=True)
        }

    def clause_titles(self) -> dict[str, str]:
        """:func:`clause_titles` of the plan's text (empty without a text file)."""
        return clause_titles(self.text()) if self.text_file is not None else {}

    def scopes(self) -> dict[str, set[str]]:
        """Indicator → the scopes its targets use ("city", "each_county", "counties")."""
        t = self.targets()
        return {code: set(group) for code, group in t.groupby("indicator")["scope"]}


def get_plan(plan: str | Path | None = None) -> Plan:
    """The plan by name (default ``lincang_2023_2025``), folder or targets file, validated.

    Raises FileNotFoundError for an unknown plan and TargetsFileError for a bad file.
    """
    path = plan_path(plan)
    block = load_plan(path)
    name = path.parent.name if path.name == "targets.yml" else path.stem
    check = block.get("check") or {}
    text_file = path.parent / block["text_file"] if block.get("text_file") else None
    return Plan(
        name=name,
        id=str(block["id"]),
        title_zh=str(block.get("title_zh", block["id"])),
        status=str(block.get("status", "adopted")),
        region_code=str(block["region_code"]) if block.get("region_code") is not None else None,
        baseline_year=int(block.get("baseline_year", int(block["first_year"]) - 1)),
        first_year=int(block["first_year"]),
        final_year=int(block["last_year"]),
        targets_file=path,
        text_file=text_file,
        not_targets=tuple(check.get("not_targets", ())),
        passages=tuple((p["from"], p["to"], p.get("only_sentences_with", "")) for p in check.get("passages", ())),
        target_words=tuple(check.get("target_words", ())),
    )


# --------------------------------------------------------------------------- clause headings

_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+)、\s*(\S.*)$")
_SUBHEADING = re.compile(r"^\s*[(（]([一二三四五六七八九十]+)[)）]\s*(\S.*)$")


def clause_titles(text: str) -> dict[str, str]:
    """Clause → its heading in the plan text, in text order: {"三": "重点任务", "三(三)": "强师兴校工程"}.

    Top-level headings are "三、…" lines, sub-headings "(三)…" lines under them; a title is
    the heading up to its first 。(so "(一)加强组织领导。构建…" gives 加强组织领导).
    """
    titles: dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        if m := _HEADING.match(line):
            current = m.group(1)
            titles.setdefault(current, m.group(2).split("。")[0].strip()[:30])
        elif current and (m := _SUBHEADING.match(line)):
            titles.setdefault(f"{current}({m.group(1)})", m.group(2).split("。")[0].strip()[:30])
    return titles
