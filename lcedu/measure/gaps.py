"""Gap-closing estimates: the smallest additions that would bring schools and counties to the standards.

Two questions the bureau asks when a county misses 优质均衡 or 普及普惠: how many teachers,
m², 元 and classrooms, and how many kindergarten places, teachers and certificates. The
answers here are arithmetic on the same values the indicator engine computes, so a gap is
zero exactly when the indicator meets its threshold.

Public API: :func:`school_gaps`, :func:`resource_gap_summary`, :func:`preschool_gaps`,
:func:`amount_to_close` (the one arithmetic of "how many more" behind a rate), and
:func:`largest_target_gaps` (a county's furthest plan targets), :func:`city_target_contributions`
(a county's part in a city-wide target).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcedu.ingest.counties import aggregate_layers, is_aggregate, prefecture_of
from lcedu.measure import indicators as ind
from lcedu.measure import standards as std

__all__ = [
    "amount_to_close",
    "gap_phrase",
    "city_target_contributions",
    "largest_target_gaps",
    "preschool_gaps",
    "resource_gap_summary",
    "school_gaps",
]

_EPS = 1e-9


def gap_phrase(action: str, amount: Any, unit: str = "", note: str = "", lang: str = "zh") -> str:
    """The one wording of a closing amount: 动作+数量+单位 ("新增专任教师75人", "消除超标班额38个班",
    "新增普惠性学位3,571个（在园总数不变）"); English "add full-time teachers: 75 teachers". "" without an amount."""
    if amount is None or pd.isna(amount):
        return ""
    value = float(amount)
    shown = f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:,.1f}"
    # Kept branch: measure holds no words file (docs/architecture.md, "Words are the present layer's"); this
    # phrase is stored in result tables (phrase_zh), so it moves to present only with a change of those tables.
    if lang == "zh":
        return f"{action}{shown}{unit}" + (f"（{note}）" if note else "")
    return f"{action}: {shown}" + (f" {unit}" if unit else "") + (f" ({note})" if note else "")


def _round_up(x: np.ndarray, integer: bool) -> np.ndarray:
    """Whole units for integer resources (teachers, classrooms), else cents / 0.01 m²; never below 0."""
    x = np.maximum(x, 0.0)
    if integer:
        return np.ceil(x - _EPS * np.maximum(1.0, x))
    return np.ceil(np.round(x * 100, 6)) / 100


def amount_to_close(
    numerator: Any,
    denominator: Any,
    target: Any,
    *,
    factor: float = 1.0,
    comparison: str = "at_least",
    part: str = "numerator",
) -> np.ndarray:
    """Whole units to add so that ``numerator × factor / denominator`` reaches ``target`` (0 when it does).

    ``part="numerator"``: add to the numerator (places, certified teachers …; for
    ``at_most``, the numerator to remove), the denominator fixed. ``part="denominator"``:
    add to the denominator (teachers for children per teacher ≤ 15, classes …), the
    numerator fixed. Rounded up to whole units, never below 0; NaN where an input is missing.
    Used by :func:`preschool_gaps` and by the briefing's "what closing a gap takes".
    """
    if part not in ("numerator", "denominator"):
        raise ValueError(f"part must be 'numerator' or 'denominator', got {part!r}")
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    target = np.asarray(target, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if part == "denominator":
            raw = num * factor / target - den
        elif comparison == "at_most":
            raw = num - target / factor * den
        else:
            raw = target / factor * den - num
    return np.where(np.isnan(raw), np.nan, _round_up(np.nan_to_num(raw), integer=True))


def largest_target_gaps(card: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` unmet numeric targets of scorecard rows with the largest gap relative to the target.

    ``card``: rows of :func:`lcedu.measure.scorecard.scorecard` (one county and year, the
    targets that apply). "reach" targets (yes/no) have no size and are left out.
    ``relative_gap`` = gap ÷ |target| (NA for a target of 0).
    """
    rows = card[card["is_met"].eq(False).fillna(False) & card["gap"].notna() & (card["comparison"] != "reach")]
    rel = rows["gap"].astype(float) / rows["target"].astype(float).abs().replace(0, np.nan)
    return rows.assign(relative_gap=rel).sort_values("relative_gap", ascending=False).head(n).reset_index(drop=True)


def city_target_contributions(card: pd.DataFrame, county: str, year: int, indicators: Iterable[str]) -> pd.DataFrame:
    """For targets set for the whole city: the county's value, its share of the city and the city's progress.

    ``card``: :func:`lcedu.measure.scorecard.scorecard` rows. One row per indicator (in the
    order given) that has both a county and a city row in ``year``: the city's scorecard row
    (value, target, target_year, comparison, is_met …) plus ``county_value``,
    ``county_share`` (county ÷ city, a fraction) and ``city_progress`` (city value ÷ city
    target, a fraction); NA where a value or target is missing or 0. The city is the county's
    own prefecture (530900 for 临沧's counties, 530100 for 昆明's), never another's.
    """
    wanted = list(indicators)
    rows = card[(card["year"] == year) & card["indicator"].isin(wanted)]
    own = rows[rows["county_code"] == county].drop_duplicates("indicator").set_index("indicator")
    city = rows[rows["county_code"] == prefecture_of(county)].drop_duplicates("indicator").set_index("indicator")
    keep = [code for code in wanted if code in own.index and code in city.index]
    city = city.loc[keep]
    county_value = own.loc[keep, "value"].to_numpy(dtype=float, na_value=np.nan)
    city_value = city["value"].to_numpy(dtype=float, na_value=np.nan)
    target = city["target"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            np.isnan(county_value) | np.isnan(city_value) | (city_value == 0), np.nan, county_value / city_value
        )
        progress = np.where(np.isnan(target) | (target == 0) | np.isnan(city_value), np.nan, city_value / target)
    return city.reset_index().assign(county_value=county_value, county_share=share, city_progress=progress)


def school_gaps(
    years: Iterable[int] | int | None = None,
    counties: Iterable[str] | str | None = None,
    stage: str | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    parts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per assessed school part (学段) and resource indicator below its threshold.

    ``addition`` is the smallest amount to add to the school so that this part reaches the
    threshold: teachers are per 学段 (``required − current``); shared facilities (areas,
    equipment, multimedia classrooms) are split between a 一贯制 school's parts, so the
    school must add ``(required − current) / shared_fraction`` to lift this part's share.
    Teachers and classrooms are whole numbers (rounded up); m² and 元 are rounded up to
    0.01. ``is_binding`` marks, for a shared facility, the part needing the most (adding
    that also covers the school's other part): sum ``addition`` over binding rows only.
    ``parts``: a :func:`lcedu.measure.indicators.school_indicators` frame to reuse.
    """
    registry = ind.load_registry()
    if parts is None:
        parts = ind.school_indicators(stage, years, counties, tables, processed_dir, standards=standards)
    elif stage is not None:
        parts = parts[parts["stage"] == stage]
    assessed = parts[parts["is_assessed"].fillna(False).to_numpy(dtype=bool)]
    floor = std.school_rule(standards).floor_ratio
    frames = []
    for code in std.RESOURCE_INDICATORS:
        below = assessed[(assessed[f"{code}_is_met"] == False).fillna(False).to_numpy(dtype=bool)]  # noqa: E712
        if len(below):
            frames.append(_resource_gaps(below, code, registry.school_resources[code], floor, standards))
    if not frames:
        out = pd.DataFrame({c: pd.Series([], dtype=object) for c in _SCHOOL_GAP_COLUMNS})
        return _typed_school_gaps(out.assign(is_binding=pd.Series([], dtype=bool)))
    out = _with_binding(pd.concat(frames, ignore_index=True))
    out = out.sort_values(["county_code", "year", "school_id", "stage", "indicator"]).reset_index(drop=True)
    return _typed_school_gaps(out)


_SCHOOL_GAP_COLUMNS = (
    "county_code",
    "year",
    "school_id",
    "school_name",
    "school_type",
    "stage",
    "indicator",
    "resource_zh",
    "resource_en",
    "is_integer",
    "is_shared",
    "student_count",
    "value",
    "threshold",
    "current_amount",
    "required_amount",
    "shared_fraction",
    "addition",
    "to_threshold",
    "is_above_floor",
    "meets_standard",
)


def _resource_gaps(
    below: pd.DataFrame, code: str, spec: Mapping[str, Any], floor: float, standards: Mapping[str, Any] | None
) -> pd.DataFrame:
    """The :func:`school_gaps` rows of one resource indicator, for the school parts below its threshold."""
    thresholds = below["stage"].map({s: std.resource_thresholds(s, standards)[code] for s in std.STAGES})
    threshold = thresholds.to_numpy(dtype=float)
    students = below["student_count"].to_numpy(dtype=float, na_value=np.nan)
    per = float(spec.get("per", 1))
    current = below[f"{code}_amount"].to_numpy(dtype=float)
    required = threshold * students / per
    shared = bool(spec.get("shared"))
    fraction = below["shared_fraction"].to_numpy(dtype=float) if shared else np.ones(len(below))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = (required - current) / fraction
    value = below[code].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "county_code": below["county_code"].to_numpy(dtype=object),
            "year": below["year"].to_numpy(dtype="int64"),
            "school_id": below["school_id"].to_numpy(dtype=object),
            "school_name": below["school_name"].to_numpy(dtype=object),
            "school_type": below["school_type"].to_numpy(dtype=object),
            "stage": below["stage"].to_numpy(dtype=object),
            "indicator": code,
            "resource_zh": spec.get("resource_zh", code),
            "resource_en": spec.get("resource_en", code),
            "is_integer": bool(spec.get("integer")),
            "is_shared": shared,
            "student_count": students,
            "value": value,
            "threshold": threshold,
            "current_amount": current,
            "required_amount": required,
            "shared_fraction": fraction,
            "addition": _round_up(raw, bool(spec.get("integer"))),
            "to_threshold": value / threshold,
            "is_above_floor": std.meets(value, threshold * floor, "at_least"),
            "meets_standard": below["meets_standard"].to_numpy(dtype=object),
        }
    )


def _with_binding(out: pd.DataFrame) -> pd.DataFrame:
    """``is_binding``: for a shared facility the school adds once, so the part needing the most is binding."""
    key = [out["school_id"], out["year"], out["indicator"]]
    largest = out.groupby(key, sort=False)["addition"].transform("max")
    first_of_largest = (out["addition"] == largest) & ~out.assign(_m=out["addition"] == largest).duplicated(
        ["school_id", "year", "indicator", "_m"]
    )
    out["is_binding"] = ~out["is_shared"] | first_of_largest
    return out


def _typed_school_gaps(out: pd.DataFrame) -> pd.DataFrame:
    out = out.astype(
        {
            "county_code": "string",
            "school_id": "string",
            "school_name": "string",
            "school_type": "string",
            "stage": "string",
            "indicator": "string",
            "resource_zh": "string",
            "resource_en": "string",
            "is_integer": "bool",
            "is_shared": "bool",
            "is_binding": "bool",
        }
    )
    out["year"] = pd.array(out["year"].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    for c in (
        "student_count",
        "value",
        "threshold",
        "current_amount",
        "required_amount",
        "shared_fraction",
        "addition",
        "to_threshold",
    ):
        out[c] = pd.array(out[c].to_numpy(dtype=float), dtype="Float64")
    out["is_above_floor"] = pd.array(out["is_above_floor"].to_numpy(dtype=float), dtype="Float64").astype("boolean")
    out["meets_standard"] = out["meets_standard"].astype("boolean")
    return out


def resource_gap_summary(
    years: Iterable[int] | int | None = None,
    counties: Iterable[str] | str | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    gaps: pd.DataFrame | None = None,
    by_stage: bool = False,
) -> pd.DataFrame:
    """Additions per county, year and resource indicator (binding rows summed), plus aggregate rows.

    Columns: county_code (a prefecture such as "530900" = 临沧市, or a province: the sum over its
    counties, see :func:`lcedu.ingest.counties.aggregate_layers`), year, [stage,]
    indicator, resource_zh, resource_en, addition, school_parts_below_count (parts below
    this threshold), schools_below_count. ``gaps``: a :func:`school_gaps` frame to reuse.
    """
    g = gaps if gaps is not None else school_gaps(years, counties, None, tables, processed_dir, standards=standards)
    keys = ["county_code", "year", *(["stage"] if by_stage else []), "indicator", "resource_zh", "resource_en"]
    frame = g.assign(_binding_addition=g["addition"].where(g["is_binding"], 0.0))
    summary = (
        frame.groupby(keys, sort=True, observed=True)
        .agg(
            addition=("_binding_addition", "sum"),
            school_parts_below_count=("school_id", "size"),
            schools_below_count=("school_id", "nunique"),
        )
        .reset_index()
    )
    city_keys = [k for k in keys if k != "county_code"]
    city = [
        summary.groupby([layer, *(summary[k] for k in city_keys)], sort=True, observed=True)[
            ["addition", "school_parts_below_count", "schools_below_count"]
        ]
        .sum()
        .rename_axis(keys)
        .reset_index()
        for layer in aggregate_layers(summary["county_code"])
    ]
    out = pd.concat([*city, summary], ignore_index=True)[
        [*keys, "addition", "school_parts_below_count", "schools_below_count"]
    ]
    return (
        out.astype(
            {
                "county_code": "string",
                "addition": "Float64",
                "school_parts_below_count": "Int64",
                "schools_below_count": "Int64",
            }
        )
        .sort_values(["county_code", "year"], kind="stable")
        .reset_index(drop=True)
    )


def preschool_gaps(
    years: Iterable[int] | int | None = None,
    counties: Iterable[str] | str | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    *,
    standards: Mapping[str, Any] | None = None,
    thresholds: Mapping[str, float] | None = None,
    results: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per county and year, what each 普及普惠 criterion still needs (0 when met), plus city sums.

    For a share that must be at least t % (毛入园率, 普惠覆盖率, 公办占比, 班额达标率, 持证率)
    the count is the numerator to add with the denominator fixed: ``ceil(t/100 × den − num)``
    — e.g. 公办 places are places that become public (new public places replacing private
    ones), with total enrolment unchanged. For 在园幼儿/专任教师 ≤ 15 it is the teachers to add:
    ``ceil(children / 15 − teachers)``. Criteria are independent estimates (adding children
    for 毛入园率 also raises the teachers needed). ``thresholds`` overrides a criterion's
    threshold by indicator code (e.g. the plan's 95 % instead of the national 85 %).
    Columns: county_code, year, indicator, gap, gap_zh, gap_en, value, threshold, comparison,
    needed (Int64; NA with ``na_reason`` when the indicator is NA), need_zh / need_en (the amount in
    words by :func:`gap_phrase`: "新增幼儿园专任教师75人"; "" when nothing is needed or NA).
    """
    registry = ind.load_registry()
    criteria = [c for c in registry.assessments["preschool_universal"]["criteria"] if "gap" in c]
    codes = [c["indicator"] for c in criteria]
    res = (
        results if results is not None else ind.compute(codes, None, years, tables, processed_dir, standards=standards)
    )
    res = res[res["indicator"].isin(codes) & ~res["county_code"].map(is_aggregate).astype(bool)]
    if counties is not None:
        keep = {counties} if isinstance(counties, str) else {str(c) for c in counties}
        res = res[res["county_code"].isin(keep)]
    frames = []
    for criterion in criteria:
        code = criterion["indicator"]
        threshold, comparison = ind.criterion_threshold(criterion, standards)
        if thresholds and code in thresholds:
            threshold = float(thresholds[code])
        factor = float(registry.indicators[code].formula.get("factor", 1))
        frames.append(_criterion_needs(res[res["indicator"] == code], criterion, threshold, comparison, factor))
    out = pd.concat(frames, ignore_index=True)
    out = pd.concat([*_area_sums(out), out], ignore_index=True)
    out = out.astype(
        {
            "county_code": "string",
            "indicator": "string",
            "gap": "string",
            "gap_zh": "string",
            "gap_en": "string",
            "comparison": "string",
            "na_reason": "string",
        }
    )
    out["year"] = pd.array(out["year"].to_numpy(dtype="int64"), dtype="Int64")
    out["value"] = pd.array(out["value"].to_numpy(dtype=float), dtype="Float64")
    out["needed"] = pd.array(out["needed"].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    out = _with_need_words(out, criteria)
    return out.sort_values(["county_code", "year"], kind="stable").reset_index(drop=True)


def _criterion_needs(
    r: pd.DataFrame, criterion: Mapping[str, Any], threshold: float, comparison: str, factor: float
) -> pd.DataFrame:
    """Per county and year, the amount one 普及普惠 criterion still needs (see :func:`preschool_gaps`)."""
    num = r["numerator"].to_numpy(dtype=float, na_value=np.nan)
    den = r["denominator"].to_numpy(dtype=float, na_value=np.nan)
    value = r["value"].to_numpy(dtype=float, na_value=np.nan)
    part = "denominator" if comparison == "at_most" else "numerator"  # ≤ 15 children per teacher: add teachers
    needed = amount_to_close(num, den, threshold, factor=factor, comparison=comparison, part=part)
    needed = np.where(np.isnan(value), np.nan, needed)
    return pd.DataFrame(
        {
            "county_code": r["county_code"].to_numpy(dtype=object),
            "year": r["year"].to_numpy(dtype="int64"),
            "indicator": criterion["indicator"],
            "gap": criterion["gap"],
            "gap_zh": criterion.get("gap_zh", criterion["gap"]),
            "gap_en": criterion.get("gap_en", criterion["gap"]),
            "value": value,
            "threshold": threshold,
            "comparison": comparison,
            "needed": needed,
            "na_reason": r["na_reason"].to_numpy(dtype=object, na_value=None),
        }
    )


def _area_sums(out: pd.DataFrame) -> list[pd.DataFrame]:
    """The counties' needs summed per area (city, prefecture …); NA with a reason when a county is NA."""
    cities = []
    for layer in aggregate_layers(out["county_code"]):
        group = out.assign(_missing=np.isnan(out["needed"].to_numpy(dtype=float)), _area=layer).groupby(
            ["_area", "year", "indicator"], sort=False
        )
        city = group.agg(
            gap=("gap", "first"),
            gap_zh=("gap_zh", "first"),
            gap_en=("gap_en", "first"),
            threshold=("threshold", "first"),
            comparison=("comparison", "first"),
            needed=("needed", "sum"),
            n_missing=("_missing", "sum"),
        ).reset_index()
        cities.append(
            city.assign(
                county_code=city["_area"],
                value=np.nan,
                needed=city["needed"].where(city["n_missing"] == 0),
                na_reason=np.where(city["n_missing"] > 0, city["n_missing"].astype(str) + " counties NA", None),
            ).drop(columns=["n_missing", "_area"])[out.columns]
        )
    return cities


def _with_need_words(out: pd.DataFrame, criteria: list[dict[str, Any]]) -> pd.DataFrame:
    """``need_zh`` / ``need_en``: each amount in words (:func:`gap_phrase`), "" when nothing is needed or NA."""
    words = {c["gap"]: c for c in criteria}
    for lang in ("zh", "en"):
        out[f"need_{lang}"] = pd.array(
            [
                gap_phrase(
                    str(words[g].get(f"gap_{lang}", g)),
                    n if not pd.isna(n) and n > 0 else None,
                    str(words[g].get(f"gap_unit_{lang}", "")),
                    str(words[g].get(f"gap_note_{lang}", "")),
                    lang,
                )
                for g, n in zip(out["gap"], out["needed"], strict=True)
            ],
            dtype="string",
        )
    return out
