"""National assessment standards (优质均衡 教督〔2017〕6号, 普及普惠 教督〔2020〕1号) and their maths.

The thresholds live in ``lcedu/measure/config/standards.yml`` so that a province's stricter
rule is a file change, not a code change: pass another file to :func:`load_standards`
and the resulting dict to the functions here (``standards=``).

Public API (stable):

* :func:`load_standards` — the YAML as a validated dict (cached; callers get a copy).
* :func:`cv` and :func:`weighted_mean` — the 差异系数 and its centre (standards.md §1.3).
* :func:`school_meets`, :func:`school_meets_frame`, :func:`indicator_flags`,
  :func:`indicators_met_count` — the per-school "6 of 7, rest ≥ 85 %" rule.
* :func:`split_shared` — shares of a 一贯制 / 完全中学 resource by weighted students.
* :func:`resource_thresholds` and :data:`RESOURCE_INDICATORS`.
* :func:`school_rule`, :func:`school_size_caps`, :func:`class_size_caps`,
  :func:`teaching_point_min_students` and
  :func:`load_staffing_norms` — the numbers pages quote, read from the config files.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import yaml

from lcedu import paths

__all__ = [
    "REL_TOL",
    "RESOURCE_INDICATORS",
    "STAGES",
    "SchoolRule",
    "SharedSplit",
    "class_size_caps",
    "cv",
    "indicator_flags",
    "indicators_met_count",
    "load_staffing_norms",
    "load_standards",
    "meets",
    "resource_thresholds",
    "school_meets",
    "school_meets_frame",
    "school_rule",
    "school_size_caps",
    "split_shared",
    "teaching_point_min_students",
    "sites_join_parent",
    "weighted_mean",
]

#: The 7 资源配置 indicators of 优质均衡, in the order of the MoE table. They are the
#: keys of :func:`school_meets` and the columns of :func:`school_meets_frame`.
RESOURCE_INDICATORS: tuple[str, ...] = (
    "qualified_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
    "teaching_room_area_per_student_m2",
    "sports_area_per_student_m2",
    "equipment_value_per_student_yuan",
    "multimedia_classrooms_per_100",
)

#: 学段 of the compulsory assessment: 小学 and 初中.
STAGES: tuple[str, ...] = ("primary", "junior")

_CONFIDENCE = frozenset({"C", "C-loc", "T", "U"})
_COMPARISONS = frozenset({"at_least", "at_most", "parameter", "exclude_below"})
_WEIGHT_KEYS = ("primary", "junior", "senior")
#: Relative slack of every "is it met" comparison in lcedu: 0.85 × 5.3 is 4.505000000000001 in
#: binary floating point, and a school at exactly 4.505 must not fail on rounding.
REL_TOL = 1e-9


def meets(value: Any, target: Any, comparison: Any, strict: Any = False, target_max: Any = np.nan) -> np.ndarray:
    """The one "is it met" rule: 1.0 / 0.0 per value, NaN where the value, target or comparison is missing.

    ``comparison``: at_least / count_at_least / reach (≥, or > when ``strict``), at_most (≤ / <),
    range (target ≤ value ≤ target_max). Every argument broadcasts (scalars or arrays); the
    tolerance is :data:`REL_TOL` relative to the target.
    """
    value = np.asarray(value, dtype=float)
    target = np.asarray(target, dtype=float)
    target_max = np.asarray(target_max, dtype=float)
    comparison = np.asarray(comparison, dtype=object)
    strict = np.asarray(strict, dtype=bool)
    slack = REL_TOL * np.abs(np.nan_to_num(target))
    with np.errstate(invalid="ignore"):
        at_least = np.where(strict, value > target + slack, value >= target - slack)
        at_most = np.where(strict, value < target - slack, value <= target + slack)
        in_range = (value >= target - slack) & (value <= target_max + REL_TOL * np.abs(np.nan_to_num(target_max)))
    met = np.select(
        [np.isin(comparison, ["at_least", "count_at_least", "reach"]), comparison == "at_most", comparison == "range"],
        [at_least, at_most, in_range],
        default=False,
    ).astype(float)
    known = ~np.isnan(value) & ~np.isnan(target) & pd.notna(comparison)
    return np.where(known, met, np.nan)


# --------------------------------------------------------------------------- loading


def _default_path() -> Path:
    return paths.package_file("measure", "config", "standards.yml")


@lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int) -> dict[str, Any]:
    # mtime_ns is part of the key so an edited file is re-read, not served stale.
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    problems = _validate(data)
    if problems:
        raise ValueError(f"{path}: invalid standards file:\n  " + "\n  ".join(problems))
    return data


def _cached(path: str | Path | None) -> dict[str, Any]:
    """The parsed file, shared between calls: internal readers must not mutate it."""
    p = Path(path) if path is not None else _default_path()
    p = p.resolve()
    return _read(str(p), p.stat().st_mtime_ns)


def load_standards(path: str | Path | None = None) -> dict[str, Any]:
    """Return the assessment standards as a dict (a fresh copy, safe to modify).

    ``path`` defaults to the packaged ``lcedu/measure/config/standards.yml``; give another file
    to apply e.g. a province's stricter thresholds. The file is validated on first read
    (every threshold needs value, unit, comparison, source.document, source.url and a
    confidence tag; a ``U`` tag needs ``configurable: true`` and a ``note``) and cached
    until it changes on disk. Raises ValueError naming the file and the entry.
    """
    return copy.deepcopy(_cached(path))


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _validate(data: object) -> list[str]:
    """Every problem of a parsed standards file, each naming its entry (empty when it is valid)."""
    if not isinstance(data, dict):
        return ["top level must be a mapping"]
    problems = [p for where, entry in _entries("", data) for p in _entry_problems(where, entry)]
    cqb = data.get("compulsory_quality_balance")
    if not isinstance(cqb, dict):
        return [*problems, "missing section 'compulsory_quality_balance'"]
    return problems + _quality_balance_problems(cqb)


def _entries(where: str, node: object) -> list[tuple[str, dict[str, Any]]]:
    """Every threshold entry (a mapping with a ``value``) under ``node``, with its dotted path."""
    if not isinstance(node, dict):
        return []
    if "value" in node:
        return [(where, node)]
    return [found for key, child in node.items() for found in _entries(f"{where}.{key}" if where else str(key), child)]


def _entry_problems(where: str, entry: dict[str, Any]) -> list[str]:
    """One entry: its keys, a numeric value, a known comparison and confidence, a documented source."""
    problems = [
        f"{where}: missing '{key}'"
        for key in ("value", "unit", "comparison", "confidence", "source")
        if key not in entry
    ]
    value = entry.get("value")
    values = value.values() if isinstance(value, dict) else [value]
    if not values or not all(_is_number(v) for v in values):
        problems.append(f"{where}: value must be a number or a mapping of numbers, got {value!r}")
    if "comparison" in entry and entry["comparison"] not in _COMPARISONS:
        problems.append(f"{where}: comparison {entry['comparison']!r} not one of {sorted(_COMPARISONS)}")
    conf = entry.get("confidence")
    if "confidence" in entry and conf not in _CONFIDENCE:
        problems.append(f"{where}: confidence {conf!r} not one of {sorted(_CONFIDENCE)}")
    if conf == "U" and not (entry.get("configurable") is True and entry.get("note")):
        problems.append(f"{where}: confidence U needs 'configurable: true' and a 'note'")
    source = entry.get("source")
    if "source" in entry and not (isinstance(source, dict) and source.get("document") and source.get("url")):
        problems.append(f"{where}: source needs 'document' and 'url'")
    return problems


def _quality_balance_problems(cqb: dict[str, Any]) -> list[str]:
    """The 优质均衡 section: the 7 resource thresholds per 学段, the school rule, the shared-resource weights."""
    problems = []
    indicators = cqb.get("resource_indicators") or {}
    missing = [code for code in RESOURCE_INDICATORS if code not in indicators]
    if missing:
        problems.append(f"compulsory_quality_balance.resource_indicators: missing {missing}")
    for code in RESOURCE_INDICATORS:
        entry = indicators.get(code) or {}
        value = entry.get("value")
        if not (isinstance(value, dict) and all(_is_number(value.get(s)) for s in STAGES)):
            problems.append(f"resource_indicators.{code}: value needs numbers for {list(STAGES)}")
        if entry.get("comparison", "at_least") != "at_least":
            problems.append(f"resource_indicators.{code}: only 'at_least' is supported")
    for key in ("min_indicators_met", "floor_ratio"):
        if not _is_number((cqb.get("school_rule") or {}).get(key, {}).get("value")):
            problems.append(f"compulsory_quality_balance.school_rule.{key}: missing value")
    weights = (cqb.get("shared_resource_weights") or {}).get("value")
    if not (isinstance(weights, dict) and all(_is_number(weights.get(k)) for k in _WEIGHT_KEYS)):
        problems.append(f"compulsory_quality_balance.shared_resource_weights: needs {_WEIGHT_KEYS}")
    return problems


def resource_thresholds(stage: str, standards: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The 7 resource thresholds of ``stage`` ("primary" or "junior"), keyed by indicator code."""
    _check_stage(stage)
    std = standards if standards is not None else _cached(None)
    indicators = std["compulsory_quality_balance"]["resource_indicators"]
    return {code: float(indicators[code]["value"][stage]) for code in RESOURCE_INDICATORS}


class SchoolRule(NamedTuple):
    """The per-school rule of 优质均衡: at least ``min_indicators_met`` of 7 met, the rest ≥ ``floor_ratio``."""

    min_indicators_met: int
    floor_ratio: float


def school_rule(standards: Mapping[str, Any] | None = None) -> SchoolRule:
    """The rule "6 of 7, the rest ≥ 85 %" as numbers from the standards file (pages quote them, never restate them)."""
    std = standards if standards is not None else _cached(None)
    rule = std["compulsory_quality_balance"]["school_rule"]
    return SchoolRule(int(rule["min_indicators_met"]["value"]), float(rule["floor_ratio"]["value"]))


def _school_rule(standards: Mapping[str, Any] | None) -> tuple[int, float]:
    return school_rule(standards)


def school_size_caps(standards: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Students per school at most, by cap key (primary, junior, nine_year, twelve_year; 政府保障程度 4)."""
    std = standards if standards is not None else _cached(None)
    return {k: float(v) for k, v in std["compulsory_quality_balance"]["school_size_max"]["value"].items()}


def teaching_point_min_students(standards: Mapping[str, Any] | None = None) -> float:
    """Hebei's exclusion of small 教学点 (e.g. 50); 0 (the default) means the rule is off.

    Off, 教学点 sites join their parent school (:func:`sites_join_parent`); on, 教学点 are
    assessed on their own and those with fewer students are left out.
    """
    std = standards if standards is not None else _cached(None)
    return float(std["compulsory_quality_balance"]["teaching_point_min_students"]["value"])


def sites_join_parent(standards: Mapping[str, Any] | None = None) -> bool:
    """Whether 教学点 sites (是否计校数 = 0) add their figures to their parent school (the national practice)."""
    return teaching_point_min_students(standards) <= 0


def class_size_caps(standards: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Students per class at most, by 学段 (小学 45, 初中 50; 政府保障程度 5)."""
    std = standards if standards is not None else _cached(None)
    return {k: float(v) for k, v in std["compulsory_quality_balance"]["class_size_max"]["value"].items()}


@lru_cache(maxsize=8)
def _read_norms(path: str, mtime_ns: int) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    norms = data.get("staff_student_ratio") if isinstance(data, dict) else None
    values = norms.get("value") if isinstance(norms, dict) else None
    if not isinstance(values, dict) or not values or not all(_is_number(v) and v > 0 for v in values.values()):
        raise ValueError(
            f"{path}: 编制标准文件无效 / invalid staffing norms: staff_student_ratio.value must map "
            "each 学段 to a positive number of students per staff member"
        )
    return data


def load_staffing_norms(path: str | Path | None = None) -> dict[str, Any]:
    """``lcedu/measure/config/staffing_norms.yml``: students per 教职工 by 学段 (a fresh copy).

    Give another file for a province's or county's own 编制 rule; it is validated and
    cached until it changes on disk.
    """
    p = (Path(path) if path is not None else paths.package_file("measure", "config", "staffing_norms.yml")).resolve()
    return copy.deepcopy(_read_norms(str(p), p.stat().st_mtime_ns))


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")


# --------------------------------------------------------------------------- 差异系数


def _as_float_array(obj: object, name: str) -> np.ndarray:
    if isinstance(obj, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        arr = obj.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(obj, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _paired(values: object, students: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated (value, students) pairs with NaN values and zero-student schools dropped."""
    if isinstance(values, pd.Series) and isinstance(students, pd.Series) and not values.index.equals(students.index):
        raise ValueError("values and students are Series with different indexes; align them first")
    x = _as_float_array(values, "values")
    p = _as_float_array(students, "students")
    if x.shape != p.shape:
        raise ValueError(f"values ({x.size}) and students ({p.size}) differ in length")
    keep = ~np.isnan(x)
    x, p = x[keep], p[keep]
    if np.isnan(p).any():
        raise ValueError("students is missing (NaN) for a school that has a value")
    if (p < 0).any():
        raise ValueError("students must not be negative")
    # A school without students carries no weight; dropping it also drops R/0 = inf values.
    keep = p > 0
    x, p = x[keep], p[keep]
    if not np.isfinite(x).all():
        raise ValueError("values must be finite for schools with students")
    return x, p


def weighted_mean(values: Sequence[float] | np.ndarray | pd.Series, students: Any) -> float:
    """Student-weighted mean Σ(xᵢ·Pᵢ)/ΣPᵢ of per-school values — the CV's centre X̄.

    With xᵢ = Rᵢ/Pᵢ this equals the county's aggregate ratio ΣRᵢ/ΣPᵢ (×100 for the
    每百名 indicators), which is why the MoE calls X̄ the 区县平均值. Same input rules and
    NaN handling as :func:`cv`; NaN when there are no students.
    """
    x, p = _paired(values, students)
    total = p.sum()
    return float(np.dot(x, p) / total) if total > 0 else math.nan


def cv(values: Sequence[float] | np.ndarray | pd.Series, students: Any) -> float:
    """差异系数 of one indicator over a county's schools of one 学段 (standards.md §1.3).

    ``values`` are per-school indicator values xᵢ (computed from unrounded ratios),
    ``students`` the schools' 在校生数 Pᵢ (the weights). With P = ΣPᵢ:

        X̄  = Σ(Pᵢ/P)·xᵢ                 (= ΣRᵢ/ΣPᵢ, the county value)
        S  = sqrt(Σ(Pᵢ/P)·(xᵢ − X̄)²)     (population form: no n−1 correction)
        CV = S / X̄

    The weighting is what the published MoE examples use; an unweighted mean/std, as
    in some third-party systems, gives different and wrong results.

    Edge cases: a school whose value is NaN is left out together with its weight (it
    cannot be assessed, and keeping its students would shift X̄); schools with 0
    students carry no weight. No schools or no students → NaN; X̄ = 0 → NaN (CV is
    undefined). Negative students, NaN students for a valued school, non-finite values
    of a school with students, mismatched lengths or unaligned Series → ValueError.
    """
    x, p = _paired(values, students)
    total = p.sum()
    if total <= 0:
        return math.nan
    w = p / total
    xbar = float(np.dot(w, x))
    if xbar == 0:
        return math.nan
    s = math.sqrt(float(np.dot(w, (x - xbar) ** 2)))
    return s / xbar


# --------------------------------------------------------------------------- school rule


def _flags(x: np.ndarray, stage: str, standards: Mapping[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-indicator (met, at-or-above-floor) flags for an (n, 7) array in RESOURCE_INDICATORS order."""
    thresholds = resource_thresholds(stage, standards)
    _, floor = _school_rule(standards)
    t = np.array([thresholds[code] for code in RESOURCE_INDICATORS])
    met = x >= t * (1 - REL_TOL)
    above_floor = x >= t * floor * (1 - REL_TOL)
    return met, above_floor


def _passes(met: np.ndarray, above_floor: np.ndarray, standards: Mapping[str, Any] | None) -> np.ndarray:
    min_met, _ = _school_rule(standards)
    # All met, or ≥ min_met met and every other one at least at the floor.
    return (met.sum(axis=1) >= min_met) & (met | above_floor).all(axis=1)


def school_meets(values: Mapping[str, float], stage: str, standards: Mapping[str, Any] | None = None) -> bool:
    """Whether one school (one 学段 part) meets the 优质均衡 resource standard.

    Rule (教督〔2017〕6号): at least 6 of the 7 indicators reach their threshold and the
    rest reach ≥ 85 % of it (both numbers from the standards file). ``values`` must hold
    all 7 indicator codes (other keys are ignored):

    * ``qualified_teachers_per_100`` — 高于规定学历教师 per 100 students (小学 专科+, 初中 本科+)
    * ``backbone_teachers_per_100`` — 县级以上骨干教师 per 100 students
    * ``pe_arts_teachers_per_100`` — 体育、艺术(美术、音乐)专任教师 per 100 students
    * ``teaching_room_area_per_student_m2`` — 生均教学及辅助用房面积 (m²)
    * ``sports_area_per_student_m2`` — 生均体育运动场馆面积 (m²)
    * ``equipment_value_per_student_yuan`` — 生均教学仪器设备值 (元)
    * ``multimedia_classrooms_per_100`` — 网络多媒体教室 per 100 students

    ``stage`` is "primary" (小学) or "junior" (初中). A missing key or a NaN value raises
    ValueError naming the key: a school cannot be assessed without all 7. Values within
    a relative 1e-9 of a threshold count as reaching it (binary rounding of 0.85 × t).
    """
    _check_stage(stage)
    row = []
    for code in RESOURCE_INDICATORS:
        if code not in values:
            raise ValueError(f"missing indicator {code!r}: a school needs all 7 to be assessed")
        value = values[code]
        if value is None or pd.isna(value):
            raise ValueError(f"indicator {code!r} is NaN: a school needs all 7 to be assessed")
        row.append(float(value))
    met, above_floor = _flags(np.array([row]), stage, standards)
    return bool(_passes(met, above_floor, standards)[0])


def _frame_values(df: pd.DataFrame) -> np.ndarray:
    missing = [code for code in RESOURCE_INDICATORS if code not in df.columns]
    if missing:
        raise ValueError(f"missing indicator column(s) {missing}")
    columns = [df[code].to_numpy(dtype=float, na_value=np.nan) for code in RESOURCE_INDICATORS]
    return np.column_stack(columns) if columns[0].size else np.empty((0, len(RESOURCE_INDICATORS)))


def indicator_flags(df: pd.DataFrame, stage: str, standards: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Per school and indicator: reaches the threshold (True/False), or pd.NA when the value is NaN.

    Columns are :data:`RESOURCE_INDICATORS` (nullable ``boolean``), index is ``df``'s.
    """
    _check_stage(stage)
    x = _frame_values(df)
    met, _ = _flags(x, stage, standards)
    out = pd.DataFrame(met, index=df.index, columns=list(RESOURCE_INDICATORS)).astype("boolean")
    return out.mask(pd.DataFrame(np.isnan(x), index=df.index, columns=out.columns))


def indicators_met_count(df: pd.DataFrame, stage: str, standards: Mapping[str, Any] | None = None) -> pd.Series:
    """Number of the 7 thresholds each school reaches (``Int64``); pd.NA if any value is NaN."""
    _check_stage(stage)
    x = _frame_values(df)
    met, _ = _flags(x, stage, standards)
    count = pd.Series(met.sum(axis=1), index=df.index, dtype="Int64", name="indicators_met")
    return count.mask(np.isnan(x).any(axis=1))


def school_meets_frame(df: pd.DataFrame, stage: str, standards: Mapping[str, Any] | None = None) -> pd.Series:
    """Vectorised :func:`school_meets` over rows (schools) of ``df``.

    ``df`` needs the 7 :data:`RESOURCE_INDICATORS` columns (others are ignored). Returns a
    nullable ``boolean`` Series named ``meets_standard`` on ``df``'s index; pd.NA where any
    of the 7 values is NaN (cannot assess). ``df`` is not modified.
    """
    _check_stage(stage)
    x = _frame_values(df)
    met, above_floor = _flags(x, stage, standards)
    result = pd.Series(_passes(met, above_floor, standards), index=df.index, dtype="boolean", name="meets_standard")
    return result.mask(np.isnan(x).any(axis=1))


# --------------------------------------------------------------------------- shared resources


class SharedSplit(NamedTuple):
    """Shares of a shared resource for the 小学, 初中 and 高中 parts of one school (or many)."""

    primary: Any
    junior: Any
    senior: Any


def _weights(weights: Mapping[str, float] | Sequence[float] | None) -> tuple[float, float, float]:
    if weights is None:
        value = _cached(None)["compulsory_quality_balance"]["shared_resource_weights"]["value"]
        w = tuple(float(value[k]) for k in _WEIGHT_KEYS)
    elif isinstance(weights, Mapping):
        missing = [k for k in _WEIGHT_KEYS if k not in weights]
        if missing:
            raise ValueError(f"weights missing {missing}")
        w = tuple(float(weights[k]) for k in _WEIGHT_KEYS)
    else:
        w = tuple(float(v) for v in weights)
        if len(w) != 3:
            raise ValueError(f"weights needs 3 values (primary, junior, senior), got {len(w)}")
    if not all(math.isfinite(v) and v > 0 for v in w):
        raise ValueError(f"weights must be positive and finite, got {w}")
    return w  # type: ignore[return-value]


def split_shared(
    amount: Any,
    primary: Any,
    junior: Any,
    senior: Any = 0,
    weights: Mapping[str, float] | Sequence[float] | None = None,
) -> SharedSplit:
    """Split a resource shared by the 学段 of one school by weighted students.

    A 九年一贯制 / 十二年一贯制 school or 完全中学 reports one building area, sports area or
    equipment value; for the per-学段 assessment each part gets
    ``amount × wₖ·Nₖ / (w₁·A + w₂·B + w₃·C)`` with A, B, C its 小学/初中/高中 students and
    weights 1 : 1.1 : 1.32 from the standards file (unconfirmed nationally, hence
    configurable; pass ``weights`` as a mapping or a 3-sequence to override). E.g. a
    九年一贯制 school's 小学部 gets A/(A + 1.1B); a 完全中学's 初中部 gets B/(B + 1.2C).

    Scalars give floats; numpy arrays or pandas Series (thousands of schools at once)
    give arrays or Series, elementwise, Series keeping their index. The three shares sum
    to ``amount``. A school with no students at all gets NaN shares (nothing to split
    by), not 0. Negative students or Series with different indexes → ValueError.
    """
    w = _weights(weights)
    inputs = {"amount": amount, "primary": primary, "junior": junior, "senior": senior}
    series = [v for v in inputs.values() if isinstance(v, pd.Series)]
    index = series[0].index if series else None
    if any(not s.index.equals(index) for s in series):
        raise ValueError("Series inputs of split_shared have different indexes; align them first")
    arrays = {k: _to_float(v) for k, v in inputs.items()}
    for key in ("primary", "junior", "senior"):
        if (arrays[key] < 0).any():
            raise ValueError(f"{key} students must not be negative")
    parts = [wk * arrays[k] for wk, k in zip(w, ("primary", "junior", "senior"), strict=True)]
    total = parts[0] + parts[1] + parts[2]
    safe_total = np.where(total > 0, total, np.nan)
    shares = [arrays["amount"] * part / safe_total for part in parts]
    if index is not None:
        return SharedSplit(
            *(
                pd.Series(np.asarray(s, dtype=float), index=index, name=name)
                for s, name in zip(shares, _WEIGHT_KEYS, strict=True)
            )
        )
    if all(np.ndim(v) == 0 for v in inputs.values()):
        return SharedSplit(*(float(s) for s in shares))
    return SharedSplit(*(np.asarray(s, dtype=float) for s in shares))


def _to_float(value: Any) -> np.ndarray:
    if isinstance(value, pd.Series):
        return value.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(value, dtype=float)
