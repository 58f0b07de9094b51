"""Plans of the city's education plan, as data (``lcedu/plans/<name>/``).

A plan is a folder: ``targets.yml`` (a ``plan`` block with the plan's years and a
``targets`` list), the plan's text (``plan.txt``) and nothing else. The 2023–2025 plan is
the default; a later plan (2026–2030) is another folder — no code change. Files are
validated on load so that a typo in a hand-edited file is reported with the file, the
entry and the field, not found later as a wrong chart (the fields: :mod:`lcedu.measure.plan_fields`;
against the registries: :mod:`lcedu.measure.plan_check`). The schema is documented in ``docs/plans.md``.

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
from lcedu.measure.plan_fields import COMPARISONS, STATUSES, VALUELESS, entry_problems, is_number, plan_block_problems

__all__ = [
    "COLUMNS",
    "COMPARISONS",
    "DEFAULT_PLAN",
    "Plan",
    "Problem",
    "STATUSES",
    "TargetsFileError",
    "VALUELESS",
    "clause_titles",
    "get_plan",
    "list_plans",
    "load_plan",
    "load_plan_text",
    "load_targets",
    "plan_path",
    "read_plan_text",
]

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
    found = [Problem(path, "plan", field, msg) for field, msg in plan_block_problems(plan)]
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
        found += [Problem(path, where, field, msg) for field, msg in entry_problems(entry, plan)]
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
                    "value": float(value) if is_number(value) else math.nan,
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
