"""Scorecard: each indicator's value against the plan's targets, its trend and the county spread.

Targets come from :func:`lcedu.measure.plan.load_targets` and join by indicator code, year and
scope (city → the ``530900`` rows; each_county → every county, narrowed by a condition such
as 人口超过20万; a county list → those counties). Everything is computed over all counties
and years first (ranks, spreads and trends need them) and filtered at the end.

Public API: :func:`scorecard`, :func:`scorecard_labels`, :func:`expand_targets`, :func:`county_names`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lcedu.home import CITY_CODE, HOME
from lcedu.ingest.counties import area_name, is_aggregate, prefecture_of, province_of, registry
from lcedu.measure import gaps as gp
from lcedu.measure import indicators as ind
from lcedu.measure import standards as std
from lcedu.measure.plan import in_region, load_plan, load_targets

__all__ = [
    "COLUMNS",
    "COUNTING_RULE",
    "SPREAD_NOTE",
    "city_rate_references",
    "county_names",
    "effective_targets",
    "expand_targets",
    "gap_class",
    "is_met",
    "judged_terms",
    "NEAR_TARGET_SHARE",
    "scorecard",
    "scorecard_labels",
    "target_counts",
    "target_gap",
]

#: A gap within this share of |target| is "near" the target (接近目标) on maps and in the
#: explorer; a larger gap is "far" (差距较大). Stored per row as ``gap_class``.
NEAR_TARGET_SHARE = 0.05

#: Columns of :func:`scorecard`, in order.
COLUMNS = (
    "county_code",
    "county_name_zh",
    "county_name_en",
    "year",
    "indicator",
    "name_zh",
    "name_en",
    "unit",
    "direction",
    "value",
    "numerator",
    "denominator",
    "na_reason",
    "target",
    "target_max",
    "comparison",
    "strict",
    "target_clause",
    "target_year",
    "target_scope",
    "is_target_due",
    "target_year_value",
    "status",
    "gap",
    "is_met",
    "is_met_now",
    "gap_now",
    "gap_class",
    "closing_numerator",
    "closing_denominator",
    "baseline_year",
    "baseline_value",
    "change_since_baseline",
    "next_target_year",
    "next_target",
    "projected_value",
    "is_on_track",
    "rank",
    "rank_count",
    "spread_max_min_ratio",
    "spread_cv",
)

_LABELS = {
    "county_code": ("县(区)代码", "County code"),
    "county_name_zh": ("县(区)", "County (zh)"),
    "county_name_en": ("县(区)(英文)", "County"),
    "year": ("年份", "Year"),
    "indicator": ("指标代码", "Indicator code"),
    "name_zh": ("指标", "Indicator (zh)"),
    "name_en": ("指标(英文)", "Indicator"),
    "unit": ("单位", "Unit"),
    "direction": ("方向", "Direction"),
    "value": ("数值", "Value"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "na_reason": ("缺失原因", "Why missing"),
    "target": ("目标值", "Target"),
    "target_max": ("目标上限", "Target maximum"),
    "comparison": ("比较方式", "Comparison"),
    "strict": ("严格大于/小于", "Strict"),
    "target_clause": ("计划条款", "Plan clause"),
    "target_year": ("目标年份", "Target year"),
    "target_scope": ("目标来源", "Target of"),
    "is_target_due": ("目标已到期", "Target due"),
    "target_year_value": ("目标年份数值", "Value in the target year"),
    "status": ("状态", "Status"),
    "gap": ("差距(正数为未达)", "Gap (positive = short)"),
    "is_met": ("是否达标", "Met"),
    "is_met_now": ("本年数值是否已达该目标(进展)", "This year's value reaches it (progress)"),
    "gap_now": ("本年差距(进展)", "This year's gap (progress)"),
    "closing_numerator": ("补齐需增加的分子(本年)", "To add to the numerator to close (this year)"),
    "closing_denominator": ("补齐需增加的分母(本年)", "To add to the denominator to close (this year)"),
    "gap_class": ("距目标", "Distance to target"),
    "baseline_year": ("基期年份", "Baseline year"),
    "baseline_value": ("基期数值", "Baseline value"),
    "change_since_baseline": ("较基期变化", "Change since baseline"),
    "next_target_year": ("下一目标年份", "Next target year"),
    "next_target": ("目标年份目标值", "Target in target year"),
    "projected_value": ("趋势外推值", "Projected value"),
    "is_on_track": ("按趋势可达标", "On track"),
    "rank": ("州(市)内县际排名", "Rank among the prefecture's counties"),
    "rank_count": ("州(市)内参与排名县数", "Counties ranked in the prefecture"),
    "spread_max_min_ratio": ("县际最大/最小比", "Max/min ratio across counties"),
    # Not the national 差异系数 (校际, student-weighted, against 0.50 / 0.45): say what it is.
    "spread_cv": ("县际离散系数（各县指标值未加权变异系数）", "Inter-county coefficient of variation (unweighted)"),
}

#: What the inter-county spread columns are, for the pages and workbooks that show them.
SPREAD_NOTE = {
    "zh": "县际离散系数 = 各县(区)指标值的总体标准差 ÷ 均值，每县一票、不按学生数加权，只描述县与县之间的分散程度；"
    "它不是教督〔2017〕6号的校际差异系数（县内各校按学生数加权，小学≤0.50、初中≤0.45），不能与其限值比较。",
    "en": "Inter-county coefficient of variation = population standard deviation ÷ mean of the counties' values, "
    "one vote per county, not weighted by students; it describes how far the counties differ and is not the "
    "national 差异系数 (schools within a county, student-weighted, ≤ 0.50 primary / 0.45 junior).",
}


def scorecard_labels(lang: str = "zh") -> dict[str, str]:
    """Display labels of the scorecard columns in Chinese ("zh") or English ("en")."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    pos = 0 if lang == "zh" else 1
    return {col: labels[pos] for col, labels in _LABELS.items()}


def county_names(codes: Iterable[str]) -> pd.DataFrame:
    """Short Chinese and pinyin names of county codes; the home prefecture by its own name (临沧市), other
    prefectures and provinces from the registry; unknown codes keep the code."""
    reg = registry().set_index("county_code")
    codes = pd.Index(pd.unique(np.asarray(list(codes), dtype=object)), name="county_code")
    zh = pd.Series(reg["short_name_zh"]).reindex(codes)
    en = pd.Series(reg["name_pinyin"]).reindex(codes)
    city = codes == CITY_CODE
    zh = zh.where(~city, HOME.name_zh)
    en = en.where(~city, HOME.name_en)
    areas = [c for c in codes if is_aggregate(c) and c != CITY_CODE]
    zh = zh.fillna(pd.Series({c: area_name(c, "zh") for c in areas}, dtype=object)).fillna(
        pd.Series(codes, index=codes)
    )
    en = en.fillna(pd.Series({c: area_name(c, "en") for c in areas}, dtype=object)).fillna(
        pd.Series(codes, index=codes)
    )
    return pd.DataFrame({"county_name_zh": zh.astype("string"), "county_name_en": en.astype("string")})


def expand_targets(
    targets: pd.DataFrame,
    county_codes: Iterable[str],
    population: pd.DataFrame | None = None,
    *,
    by_entry: bool = False,
) -> pd.DataFrame:
    """One row per target, year and entity (a county or ``530900``) the target applies to.

    ``each_county`` targets apply to every code in ``county_codes``; a ``population_over``
    condition keeps the county-years whose resident population is strictly above it
    (county-years without population data are kept, so the missing value shows). ``by_entry``: keep the
    ``entry`` column, one row per entry (else one per indicator, year and entity: the scorecard's).
    """
    counties = [c for c in dict.fromkeys(str(c) for c in county_codes) if not is_aggregate(c)]
    t = (
        targets.assign(
            entity=[
                [CITY_CODE] if scope == "city" else (counties if scope == "each_county" else list(listed))
                for scope, listed in zip(targets["scope"], targets["counties"], strict=True)
            ],
            target=np.where(targets["comparison"] == "reach", 1.0, targets["value"].astype(float)),
        )
        .explode("entity")
        .rename(columns={"entity": "county_code"})
    )
    t = t[t["county_code"].notna()]
    over = t["condition"].map(lambda c: dict(c).get("population_over", np.nan)).astype(float)
    if population is not None and over.notna().any():
        pop = population.assign(
            county_code=population["county_code"].astype(str), year=population["year"].astype("int64")
        )
        resident = (
            t[["county_code", "year"]]
            .astype({"year": "int64"})
            .merge(pop[["county_code", "year", "resident_population"]], how="left", on=["county_code", "year"])[
                "resident_population"
            ]
            .to_numpy(dtype=float, na_value=np.nan)
        )
        keep = over.isna().to_numpy() | np.isnan(resident) | (resident > over.to_numpy())
        t = t[keep]
    cols = ["indicator", "year", "county_code", "target", "value_max", "comparison", "strict", "clause", "quote"]
    keyed = by_entry  # a plan's entries keep their number (two entries never collapse into one)
    out = t[[*(["entry"] if keyed else []), *cols]].rename(
        columns={"value_max": "target_max", "clause": "target_clause"}
    )
    out = out.astype({"year": "int64", "county_code": object})
    key = [*(["entry"] if keyed else []), "indicator", "year", "county_code"]
    return out.drop_duplicates(key).reset_index(drop=True)


def is_met(
    value: np.ndarray, target: np.ndarray, target_max: np.ndarray, comparison: np.ndarray, strict: np.ndarray
) -> np.ndarray:
    """1.0 / 0.0 / NaN per row: :func:`lcedu.measure.standards.meets`, the one rule."""
    return std.meets(value, target, comparison, strict, target_max)


def target_gap(value: Any, target: Any, target_max: Any, comparison: Any) -> np.ndarray:
    """Distance still to go in the target's direction: > 0 short of it, ≤ 0 met or beyond (arrays broadcast)."""
    value, target, target_max = (np.asarray(a, dtype=float) for a in (value, target, target_max))
    comparison = np.asarray(comparison, dtype=object)
    with np.errstate(invalid="ignore"):
        return np.select(
            [np.isin(comparison, ["at_least", "count_at_least"]), comparison == "at_most", comparison == "range"],
            [target - value, value - target, np.maximum(target - value, value - target_max)],
            default=np.nan,
        )


def _trend(frame: pd.DataFrame) -> pd.DataFrame:
    """Expanding least-squares line of value on year per (indicator, county), up to each row's year."""
    f = frame.sort_values(["indicator", "county_code", "year"])
    y = f["value"].to_numpy(dtype=float, na_value=np.nan)
    x = f["year"].to_numpy(dtype=float)
    ok = ~np.isnan(y)
    parts = pd.DataFrame(
        {
            "n": ok * 1.0,
            "sx": np.where(ok, x, 0),
            "sy": np.where(ok, y, 0),
            "sxy": np.where(ok, x * y, 0),
            "sxx": np.where(ok, x * x, 0),
        },
        index=f.index,
    )
    cum = parts.groupby([f["indicator"], f["county_code"]], sort=False).cumsum()
    denom = cum["n"] * cum["sxx"] - cum["sx"] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where((cum["n"] >= 2) & (denom > 0), (cum["n"] * cum["sxy"] - cum["sx"] * cum["sy"]) / denom, np.nan)
        intercept = (cum["sy"] - slope * cum["sx"]) / cum["n"]
    return pd.DataFrame({"slope": slope, "intercept": intercept}, index=f.index).reindex(frame.index)


def scorecard(
    county: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    *,
    indicators: Iterable[str] | None = None,
    targets: pd.DataFrame | str | Path | None = None,
    baseline_year: int | None = None,
    targeted_only: bool = False,
    tables: Mapping[str, pd.DataFrame] | None = None,
    processed_dir: str | Path | None = None,
    results: pd.DataFrame | None = None,
    standards: Mapping[str, Any] | None = None,
    city_reference: bool = True,
) -> pd.DataFrame:
    """Value, target, gap, is_met, change since baseline, on-track flag, rank and spread.

    One row per entity (county or ``"530900"`` for the city), year and indicator; filter
    with ``county`` (code or codes) and ``year``. ``targets``: a :func:`load_targets`
    frame or a targets file (default: the 2023–2025 plan). ``baseline_year`` defaults to
    the year before the plan's first year (2022; the default plan's for a targets frame).
    ``results``: a :func:`lcedu.measure.indicators.compute`
    frame to reuse instead of recomputing. ``targeted_only`` keeps only rows with a target.

    Which targets apply (the one definition every page uses): a county's own targets
    (``target_scope`` "county"), the city's own ("city"), and — with ``city_reference`` — the
    city's rate targets shown on county rows as references ("city_reference", 全市目标(参照)),
    where the county has no target of its own for that indicator. Each row is judged against
    the target in force: this year's, else the latest earlier one (carried forward), else the
    next one (``is_target_due`` false: ``status`` "not_due", ``is_met`` NA — not yet due is
    not a failure; ``is_on_track`` says whether the trend reaches it).

    * ``status`` — met / not_met / not_due / no_data (NA without a target).
    * ``gap`` — how far the value still is from the target in its direction (> 0 short).
    * ``is_on_track`` — the least-squares line through the values up to this year, projected
      to the next target year (``next_target_year``), reaches that target; in the target
      year itself it is ``is_met``; NA with fewer than two values. A yes/no target has no
      trend: it is on track once reached, NA before.
    * ``rank`` among the counties of the county's own prefecture (1 = best, by the indicator's
      direction; ties share the best rank; ``rank_count`` counties with a value);
      ``spread_max_min_ratio`` and ``spread_cv`` (population std / mean, unweighted: the
      县际离散系数, not the national student-weighted 差异系数, see :data:`SPREAD_NOTE`) across
      the same counties for the indicator and year, repeated on their rows and on the
      prefecture's total row (a province row: across all of the province's counties).
    """
    if tables is None and results is None:
        tables = ind.load_tables(processed_dir)
    res = results if results is not None else ind.compute(indicators, tables=tables, standards=standards)
    if results is not None and indicators is not None:
        res = res[res["indicator"].isin(list(indicators))]
    reg = ind.load_registry()
    tgt = targets if isinstance(targets, pd.DataFrame) else load_targets(targets)
    plan_file = None if isinstance(targets, pd.DataFrame) else targets
    baseline = int(baseline_year) if baseline_year is not None else int(load_plan(plan_file)["first_year"]) - 1

    df = _result_rows(res, reg)
    expanded = _targets_in_force(df, tgt, (tables or {}).get("population"), city_reference)
    df = df.merge(
        effective_targets(expanded, sorted(set(df["year"]))), how="left", on=["indicator", "county_code", "year"]
    )
    df = _with_baseline(df, baseline)
    df = _judge(df)
    df = _closing(df, reg)
    df = _on_track(_with_next_target(df, expanded))
    df = _ranked_and_spread(df)
    df = df.join(county_names(df["county_code"]), on="county_code")
    return _typed(_selected(df, reg, county, year, targeted_only)[list(COLUMNS)].reset_index(drop=True))


def _result_rows(res: pd.DataFrame, reg: Any) -> pd.DataFrame:
    """The indicator results as plain columns, with each indicator's names and direction from the registry."""
    df = pd.DataFrame(
        {
            "county_code": res["county_code"].to_numpy(dtype=object),
            "year": res["year"].to_numpy(dtype="int64"),
            "indicator": res["indicator"].to_numpy(dtype=object),
            "value": res["value"].to_numpy(dtype=float, na_value=np.nan),
            "numerator": res["numerator"].to_numpy(dtype=float, na_value=np.nan),
            "denominator": res["denominator"].to_numpy(dtype=float, na_value=np.nan),
            "unit": res["unit"].to_numpy(dtype=object),
            "na_reason": res["na_reason"].to_numpy(dtype=object, na_value=None),
        }
    )
    meta = pd.DataFrame(
        [(i.code, i.name_zh, i.name_en, i.direction) for i in reg.indicators.values()],
        columns=["indicator", "name_zh", "name_en", "direction"],
    )
    return df.merge(meta, how="left", on="indicator")


def _targets_in_force(
    df: pd.DataFrame, tgt: pd.DataFrame, population: pd.DataFrame | None, city_reference: bool
) -> pd.DataFrame:
    """Every target per (indicator, entity, year) with its ``target_scope``: the entity's own, and the city's
    rate targets as references on counties without one of their own (see :func:`scorecard`)."""
    codes = list(dict.fromkeys(df["county_code"]))
    region = str(tgt.attrs.get("region_code") or "")
    if region:  # the plan's each_county targets are its own region's (临沧's 8), not a province's 129
        codes = [c for c in codes if is_aggregate(c) or in_region(c, region)]
    own = expand_targets(tgt[tgt["indicator"].isin(set(df["indicator"]))], codes, population)
    expanded = own.assign(target_scope=np.where(own["county_code"] == CITY_CODE, "city", "county"))
    if city_reference:
        reference = expand_targets(city_rate_references(tgt), codes, population)
        reference = reference[reference["county_code"] != CITY_CODE].assign(target_scope="city_reference")
        known = set(zip(own["indicator"], own["county_code"], strict=True))
        keep = [k not in known for k in zip(reference["indicator"], reference["county_code"], strict=True)]
        expanded = pd.concat([expanded, reference[keep]], ignore_index=True)
    return expanded


def _with_baseline(df: pd.DataFrame, baseline: int) -> pd.DataFrame:
    """Each row's baseline-year value and its change since then."""
    base = df.loc[df["year"] == baseline, ["indicator", "county_code", "value"]].rename(
        columns={"value": "baseline_value"}
    )
    df = df.merge(base, how="left", on=["indicator", "county_code"])
    df["baseline_year"] = baseline
    df["change_since_baseline"] = df["value"] - df["baseline_value"]
    return df


_NEXT_TARGET = {
    "year": "next_target_year",
    "target": "next_target",
    "target_max": "next_target_max",
    "comparison": "next_comparison",
    "strict": "next_strict",
}


def _with_next_target(df: pd.DataFrame, expanded: pd.DataFrame) -> pd.DataFrame:
    """The next target at or after the row's year for the same indicator and entity (``next_*`` columns)."""
    upcoming = expanded.rename(columns=_NEXT_TARGET)
    upcoming = upcoming.assign(_year=upcoming["next_target_year"]).sort_values("_year")
    return pd.merge_asof(
        df.sort_values("year"),
        upcoming[["_year", "indicator", "county_code", *_NEXT_TARGET.values()]],
        left_on="year",
        right_on="_year",
        by=["indicator", "county_code"],
        direction="forward",
    ).drop(columns="_year")


def _on_track(df: pd.DataFrame) -> pd.DataFrame:
    """``projected_value`` at the next target year and ``is_on_track`` (see :func:`scorecard`)."""
    trend = _trend(df)
    next_year = df["next_target_year"].to_numpy(dtype=float)
    projected = trend["intercept"].to_numpy() + trend["slope"].to_numpy() * next_year
    df["projected_value"] = np.where(np.isnan(df["value"].to_numpy(dtype=float)), np.nan, projected)
    next_cmp = df["next_comparison"].to_numpy(dtype=object)
    terms = (
        df["next_target"].to_numpy(dtype=float),
        df["next_target_max"].to_numpy(dtype=float),
        next_cmp,
        df["next_strict"].fillna(False).to_numpy(dtype=bool),
    )
    projected_met = is_met(df["projected_value"].to_numpy(dtype=float), *terms)
    met_now = is_met(df["value"].to_numpy(dtype=float), *terms)
    is_reach = next_cmp == "reach"
    df["is_on_track"] = np.select(
        [np.isnan(next_year), next_year == df["year"].to_numpy(dtype=float), is_reach],
        [np.nan, met_now, np.where(met_now == 1.0, 1.0, np.nan)],
        default=projected_met,
    )
    carried = (df["target_year"] < df["year"]).to_numpy(dtype=bool, na_value=False)
    df["is_on_track"] = np.where(carried, df["is_met"], df["is_on_track"])  # a past target: its own verdict
    return df


def _ranked_and_spread(df: pd.DataFrame) -> pd.DataFrame:
    """``rank``, ``rank_count`` and the spread columns among the counties of one prefecture.

    临沧's 8; 昆明's 14 on a 云南 build — never across a province: a county is compared with its
    neighbours under the same city. A province row gets the spread over all its counties.
    """
    codes = df["county_code"].astype(str)
    scope_of = {c: _comparison_scope(c) for c in codes.unique()}
    df["_scope"] = codes.map(scope_of).to_numpy(dtype=object)
    counties = ~codes.map({c: is_aggregate(c) for c in scope_of}).astype(bool)
    sign = df["direction"].map({"higher": -1.0, "lower": 1.0})
    ranked = df.loc[counties].assign(_key=df.loc[counties, "value"] * sign[counties])
    keys = ["indicator", "year", "_scope"]
    groups = ranked.groupby(keys, sort=False)["_key"]
    df["rank"] = groups.rank(method="min").reindex(df.index)
    df["rank_count"] = groups.transform("count").reindex(df.index).where(sign.notna() & counties)
    pooled = [ranked]
    if any(c.endswith("0000") for c in scope_of.values()):  # a province row: the spread over all its counties
        pooled.append(ranked.assign(_scope=ranked["county_code"].map(province_of)))
    stats = pd.concat([_spread(frame, keys) for frame in pooled])
    return df.merge(stats, how="left", on=keys).drop(columns="_scope")


def _selected(
    df: pd.DataFrame,
    reg: Any,
    county: str | Iterable[str] | None,
    year: int | Iterable[int] | None,
    targeted_only: bool,
) -> pd.DataFrame:
    """The rows asked for, in the registry's indicator order, then county and year."""
    if county is not None:
        keep = {county} if isinstance(county, str) else {str(c) for c in county}
        df = df[df["county_code"].isin(keep)]
    if year is not None:
        years = {int(year)} if isinstance(year, int | np.integer) else {int(y) for y in year}
        df = df[df["year"].isin(years)]
    if targeted_only:
        df = df[df["target"].notna()]
    order = {code: i for i, code in enumerate(reg.indicators)}
    return df.assign(_order=df["indicator"].map(order)).sort_values(["_order", "county_code", "year"])


def judged_terms(comparison: Any, target: Any, baseline: Any, strict: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target, comparison, strict) as :func:`is_met` tests them: a directional target (increase / decrease:
    显著提升, 明显降低) is "strictly above / below the baseline value"; every other target is unchanged."""
    comparison = np.asarray(comparison, dtype=object)
    up, down = comparison == "increase", comparison == "decrease"
    directional = up | down
    target = np.where(directional, np.asarray(baseline, dtype=float), np.asarray(target, dtype=float))
    tested = np.where(up, "at_least", np.where(down, "at_most", comparison)).astype(object)
    strict = np.where(directional, True, np.asarray(strict, dtype=bool))
    return target, tested, strict


def gap_class(value: Any, target: Any, target_max: Any, comparison: Any, strict: Any = False) -> np.ndarray:
    """'met', 'near' (gap ≤ :data:`NEAR_TARGET_SHARE` × |target|) or 'far' per value; None without a value.

    The one near/far rule the maps and the explorer show (stored as the scorecard's ``gap_class``).
    """
    value = np.asarray(value, dtype=float)
    target = np.asarray(target, dtype=float)
    met = is_met(value, target, np.asarray(target_max, dtype=float), comparison, strict)
    gap = target_gap(value, target, target_max, comparison)
    with np.errstate(invalid="ignore"):
        near = gap <= NEAR_TARGET_SHARE * np.abs(np.nan_to_num(target))
    return np.select([np.isnan(met), met == 1.0, near], [None, "met", "near"], default="far").astype(object)


def _judge(df: pd.DataFrame) -> pd.DataFrame:
    """Status, gap and verdict of each row against the target in force, judged at the target's own year.

    A target already due is judged on the value of its own year (``target_year_value``), never on a
    later one: a 2024 target missed in 2024 stays 未达标 in 2025, and ``is_met_now`` says whether the
    later value has reached it since (进展). A target not yet due is neither met nor missed (the trend,
    ``is_on_track``, speaks for it); its ``gap`` is the current one.
    """
    at_year = df[["indicator", "county_code", "year", "value"]].rename(
        columns={"year": "target_year", "value": "target_year_value"}
    )
    df = df.merge(
        at_year.astype({"target_year": "float64"}),
        how="left",
        on=["indicator", "county_code", "target_year"],
    )
    now = df["value"].to_numpy(dtype=float)
    target, comparison, strict = judged_terms(
        df["comparison"].to_numpy(dtype=object),
        df["target"].to_numpy(dtype=float),
        df["baseline_value"].to_numpy(dtype=float, na_value=np.nan),
        df["strict"].fillna(False).to_numpy(dtype=bool),
    )
    df["target"] = target  # a directional target's is the baseline value it must pass
    target_max = df["target_max"].to_numpy(dtype=float)
    due = (df["target_year"] <= df["year"]).to_numpy(dtype=bool, na_value=False)
    judged = np.where(due, df["target_year_value"].to_numpy(dtype=float, na_value=np.nan), now)
    df["is_target_due"] = np.where(df["target_year"].isna(), np.nan, due)
    df["gap"] = target_gap(judged, target, target_max, comparison)
    met = is_met(judged, target, target_max, comparison, strict)
    df["is_met"] = np.where(due, met, np.nan)
    carried = (df["target_year"] < df["year"]).to_numpy(dtype=bool, na_value=False)
    df["is_met_now"] = np.where(carried, is_met(now, target, target_max, comparison, strict), np.nan)
    df["gap_now"] = np.where(carried, target_gap(now, target, target_max, comparison), np.nan)
    df["status"] = np.select(
        [df["target_year"].isna().to_numpy(), np.isnan(judged), ~due, met == 1.0],
        [None, "no_data", "not_due", "met"],
        default="not_met",
    ).astype(object)
    classes = gap_class(judged, target, target_max, comparison, strict)
    df["gap_class"] = np.where(df["status"].isna().to_numpy(), None, classes).astype(object)
    return df


def _closing(df: pd.DataFrame, reg: Any) -> pd.DataFrame:
    """Whole units that would close the row's gap this year (:func:`lcedu.measure.gaps.amount_to_close`), added
    to the numerator or to the denominator; NaN where the value reaches the target, or for an amount or a count."""
    factor = df["indicator"].map(
        {c: float(i.formula.get("factor", 1)) for c, i in reg.indicators.items() if "numerator" in i.formula}
    )
    num = df["numerator"].to_numpy(dtype=float)
    den = df["denominator"].to_numpy(dtype=float)
    target = df["target"].to_numpy(dtype=float)
    comparison = df["comparison"].astype(object).fillna("").to_numpy(dtype=object)
    ratio = np.isin(comparison, ["at_least", "at_most", "count_at_least"]) & factor.notna().to_numpy()
    short = (
        target_gap(df["value"].to_numpy(dtype=float), target, df["target_max"].to_numpy(dtype=float), comparison) > 0
    )
    keep = ratio & short
    f = factor.fillna(1.0).to_numpy(dtype=float)
    for part in ("numerator", "denominator"):
        amounts = [
            gp.amount_to_close(num, den, target, factor=f, comparison=kind, part=part)
            for kind in ("at_least", "at_most")
        ]
        chosen = np.where(comparison == "at_most", amounts[1], amounts[0])
        df[f"closing_{part}"] = np.where(keep, chosen, np.nan)
    return df


def _comparison_scope(code: str) -> str:
    """The group a row is ranked and spread in: a county's prefecture; an aggregate's own code."""
    return code if is_aggregate(code) else prefecture_of(code)


def _spread(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Max/min ratio and coefficient of variation of the county values per group of ``keys``."""
    grouped = frame.groupby(keys, sort=False)["value"]
    stats = grouped.agg(["max", "min", "mean", "count"])
    stats["std"] = grouped.std(ddof=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        stats["spread_max_min_ratio"] = np.where(
            (stats["min"] > 0) & (stats["count"] >= 2), stats["max"] / stats["min"], np.nan
        )
        stats["spread_cv"] = np.where(
            (stats["mean"] != 0) & (stats["count"] >= 2), stats["std"] / stats["mean"], np.nan
        )
    return stats[["spread_max_min_ratio", "spread_cv"]].reset_index()


STATUS_LABELS = {
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "not_due": ("未到期", "not yet due"),
    "no_data": ("无数据", "no data"),
    "qualitative": ("定性目标", "qualitative target"),
}
SCOPE_LABELS = {
    "county": ("本县目标", "county target"),
    "city": ("全市目标", "city target"),
    "city_reference": ("全市目标(参照)", "city target (reference)"),
}


def city_rate_references(targets: pd.DataFrame) -> pd.DataFrame:
    """The city's percentage targets re-scoped to every county: shown on county rows as references."""
    rates = targets[
        (targets["scope"] == "city") & targets["comparison"].isin(["at_least", "at_most"]) & (targets["unit"] == "%")
    ]
    return rates.assign(scope="each_county", counties=[()] * len(rates))


def effective_targets(expanded: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """The target in force for each (indicator, entity, year): this year's, else the latest earlier, else the next.

    ``expanded``: :func:`expand_targets` rows (with ``target_scope``); returns them keyed by
    ``year`` with the year they are due as ``target_year``.
    """
    cols = [
        "indicator",
        "county_code",
        "year",
        "target_year",
        "target",
        "target_max",
        "comparison",
        "strict",
        "target_clause",
        "target_scope",
    ]
    if expanded.empty:
        return pd.DataFrame(columns=cols).astype({"year": "int64"})
    grid = (
        expanded[["indicator", "county_code"]]
        .drop_duplicates()
        .merge(pd.DataFrame({"year": sorted({int(y) for y in years})}, dtype="int64"), how="cross")
        .sort_values("year")
    )
    due = expanded.drop(columns="quote", errors="ignore").rename(columns={"year": "target_year"})
    due = due.assign(_year=due["target_year"].astype("int64")).sort_values("_year")
    found = [
        pd.merge_asof(grid, due, left_on="year", right_on="_year", by=["indicator", "county_code"], direction=d)
        for d in ("backward", "forward")
    ]
    pending = found[0]["target_year"].isna().to_numpy()
    chosen = pd.concat([found[0][~pending], found[1][pending]], ignore_index=True)
    return chosen[chosen["target_year"].notna()][cols].reset_index(drop=True)


#: The counting rule every product states (index, briefings, workbooks, evaluation documents).
COUNTING_RULE = {
    "zh": "计数口径：按目标计（定性目标列出并计数、不评判），每项目标在每个县(区)（全市目标在全市）计一次，"
    "以截至统计年份最近一个已到期年份的"
    "评估点认定（该年数值对照该年目标，不以以后年份的数值认定以前年份的目标）；尚无到期年份的计为未到期；"
    "以全市目标作参照的县级指标不计入。评估点（目标×年份）另计。",
    "en": "Counting rule: by target (qualitative targets listed and counted, never judged), each target once per "
    "county (a city target once for the city), judged at its "
    "latest assessment point due by the year (that year's value against that year's target; an earlier target is "
    "never judged on a later value); a target with no year due yet is not yet due; city targets shown as references "
    "on county rows are not counted. Assessment points (target × year) are counted separately.",
}

_COUNT_COLUMNS = ("met", "not_met", "not_due", "no_data", "qualitative")


def target_counts(points: pd.DataFrame) -> pd.DataFrame:
    """Per entity and year: targets counted by :data:`COUNTING_RULE`, and the assessment points beside them.

    ``points``: the stored ``target_points`` (:func:`lcedu.measure.evaluation.assessment_points`), one row
    per target, target year, entity and ``as_of_year``. Columns: county_code, year (the as-of year),
    targets, met, not_met, not_due, not_due_on_track, no_data, and points, points_met, points_not_met,
    points_not_due, points_no_data (every assessment point, as of the year), met_pct (met ÷ (met + not_met)
    × 100: the share of due targets with data that are met; NA with none).
    """
    cols = ["county_code", "year", "targets", *_COUNT_COLUMNS, "not_due_on_track"]
    cols += ["points", *(f"points_{k}" for k in _COUNT_COLUMNS), "met_pct"]
    if points.empty:
        return pd.DataFrame(columns=cols)
    p = pd.DataFrame(
        {
            "county_code": points["county_code"].astype(str),
            "year": points["as_of_year"].astype("int64"),
            "key": points["indicator"].astype(str),
            "target_year": points["target_year"].astype("int64"),
            "status": points["status"].astype(str),
            "on_track": points["is_on_track"].astype("boolean").fillna(False).astype(bool),
        }
    )
    due = (
        p[p["status"] != "not_due"]
        .sort_values("target_year")
        .drop_duplicates(["county_code", "year", "key"], keep="last")
    )
    pending = p[p["status"] == "not_due"].sort_values("target_year").drop_duplicates(["county_code", "year", "key"])
    keys = ["county_code", "year", "key"]
    pending = pending[~pending.set_index(keys).index.isin(due.set_index(keys).index)]
    chosen = pd.concat([due, pending], ignore_index=True)
    by_target = (
        pd.DataFrame(
            {k: chosen["status"].eq(k) for k in _COUNT_COLUMNS}
            | {"not_due_on_track": chosen["status"].eq("not_due") & chosen["on_track"]}
        )
        .groupby([chosen["county_code"], chosen["year"]])
        .sum()
    )
    by_point = (
        pd.DataFrame({f"points_{k}": p["status"].eq(k) for k in _COUNT_COLUMNS})
        .groupby([p["county_code"], p["year"]])
        .sum()
    )
    out = by_target.join(by_point, how="outer").fillna(0).astype("int64")
    out.insert(0, "targets", out[list(_COUNT_COLUMNS)].sum(axis=1))
    out["points"] = out[[f"points_{k}" for k in _COUNT_COLUMNS]].sum(axis=1)
    judged = out["met"] + out["not_met"]
    out["met_pct"] = pd.array((out["met"] / judged * 100).where(judged > 0).to_numpy(dtype=float), dtype="Float64")
    return out.reset_index()[cols]


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    floats = [
        "value",
        "numerator",
        "denominator",
        "target",
        "target_max",
        "gap",
        "gap_now",
        "closing_numerator",
        "closing_denominator",
        "baseline_value",
        "change_since_baseline",
        "next_target",
        "target_year_value",
        "projected_value",
        "spread_max_min_ratio",
        "spread_cv",
    ]
    out = df.astype({c: "Float64" for c in floats})
    for c in floats:
        out[c] = pd.array(df[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64")
    strings = [
        "county_code",
        "indicator",
        "name_zh",
        "name_en",
        "unit",
        "direction",
        "na_reason",
        "comparison",
        "target_clause",
    ]
    out = out.astype({c: "string" for c in strings})
    out["target_scope"] = df["target_scope"].astype("string")
    out["status"] = df["status"].astype("string")
    out["gap_class"] = df["gap_class"].astype("string")
    for c in ("is_met", "is_met_now", "is_on_track", "is_target_due"):
        out[c] = pd.array(df[c].to_numpy(dtype=float), dtype="Float64").astype("boolean")
    for c in ("year", "baseline_year", "target_year", "next_target_year", "rank", "rank_count"):
        out[c] = pd.array(df[c].to_numpy(dtype=float, na_value=np.nan), dtype="Float64").astype("Int64")
    out["strict"] = df["strict"].astype("boolean")
    return out
