"""Words for the numbers: value formatting and sentences generated from indicator rows.

Every sentence a notebook shows is built here from a value the indicator engine computed,
so a briefing never carries a number typed by hand. Chinese is the default; ``lang="en"``
gives the English equivalent. A missing value is said to be missing, with its reason
("数据缺失：…"), never shown as 0.

Public API: :func:`check_lang`, :func:`place_name`, :func:`indicator_name`,
:func:`unit_label`, :func:`fmt_value` (with :func:`decimals_near`: enough decimals beside a threshold),
:func:`fmt_row_value`, :func:`fmt_target`, :func:`fmt_gap`,
:func:`fmt_change`, :func:`na_text`, :func:`indicator_sentence`, :func:`text`, :func:`year_label` (a data
year as the 学年初 state it is).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

import pandas as pd

from lcedu.home import CITY_CODE
from lcedu.ingest import counties
from lcedu.measure import indicators as ind
from lcedu.measure.standards import REL_TOL
from lcedu.present.words import table, word

__all__ = [
    "COUNT_UNITS",
    "comparison_sign",
    "directional_target_text",
    "CITY_CODE",
    "check_lang",
    "fmt_change",
    "decimals_near",
    "fmt_gap",
    "fmt_row_value",
    "fmt_target",
    "fmt_value",
    "indicator_name",
    "indicator_sentence",
    "is_missing",
    "na_text",
    "place_name",
    "row_thresholds",
    "text",
    "unit_label",
    "verdict",
    "year_label",
]

Lang = Literal["zh", "en"]
LANGS = ("zh", "en")

#: Decimals shown per unit (counts are whole numbers).
DECIMALS: dict[str, int] = {
    "%": 1,
    "CV": 3,
    "children per teacher": 1,
    "teachers per 100 students": 2,
    "classrooms per 100 students": 2,
    "m² per student": 2,
    "yuan per student": 0,
    "万元": 0,
    "students per staff member": 1,
    "students per teacher": 1,
    "children per staff": 1,
    "percentage points": 2,
}
#: Unit words after a number, per language (words.yml `units`).
UNITS: dict[str, dict[str, str]] = {lang: table("units", lang) for lang in LANGS}
#: The count units' words after exactly 1 (words.yml `units_one`: 1 school, 1 person).
UNITS_ONE: dict[str, dict[str, str]] = {lang: table("units_one", lang) for lang in LANGS}
_TIGHT_UNITS = {"%"}  # no space between number and unit, in every language
_SPACED_UNITS = {"m²", "m² per student"}  # a value's unit that is spaced in every language (2.5 m²)

#: Common words of tables and sentences, per language (words.yml `text`).
TEXT: dict[str, dict[str, str]] = {lang: table("text", lang) for lang in LANGS}

# Reasons the indicator engine gives for NA (its zero_reason texts and "missing <table>"), in Chinese.
_REASONS_ZH: dict[str, str] = table("reasons", "zh")
#: 学段 and school types in tables, per language (words.yml `stages`, `school_types`).
STAGES: dict[str, dict[str, str]] = {lang: table("stages", lang) for lang in LANGS}
SCHOOL_TYPES: dict[str, dict[str, str]] = {lang: table("school_types", lang) for lang in LANGS}
#: Units of whole-number counts (schools, people, classes …): shown without decimals everywhere.
COUNT_UNITS = frozenset(
    {
        "schools",
        "sites",
        "people",
        "classes",
        "students",
        "studios",
        "kindergartens",
        "consortia",
        "communities",
        "majors",
    }
)

#: The input tables named in "missing <table>" reasons, in Chinese (words.yml `tables`).
_TABLES_ZH: dict[str, str] = table("tables", "zh")


def check_lang(lang: str) -> Lang:
    """``lang`` if it is "zh" or "en", else a ValueError that says so in both languages."""
    if lang not in LANGS:
        raise ValueError(f'lang 只能是 "zh"（中文）或 "en"（English）/ lang must be "zh" or "en", got {lang!r}')
    return lang  # type: ignore[return-value]


def text(key: str, lang: str = "zh") -> str:
    """A common word (达标, 数据缺失 …) in the language (words.yml `text`)."""
    return word(f"text.{key}", check_lang(lang))


def is_missing(value: Any) -> bool:
    """True for None, NA and NaN."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def year_label(year: Any, lang: str = "zh", *, short: bool = False) -> str:
    """A data year as the state it is: 2025 → 2025/26学年初 / start of the 2025/26 school year.

    The statistics of lcedu's year 2025 are the 2025/2026 school year's start (学年初, as of the
    autumn 2025 term). Every page, map, table and workbook shows a data year through this one
    function; the plan's target years ("到2025年") are not data years and keep the plan's words.
    ``short`` gives "2025/26" for axis ticks and for columns under a heading that says 学年初.
    """
    y = int(year)
    span = f"{y}/{(y + 1) % 100:02d}"
    if short:
        return span
    return word("narrative.year", check_lang(lang), span=span)


def place_name(code: str, lang: str = "zh") -> str:
    """County name as the plan writes it (双江自治县 / Shuangjiang); 临沧市 / Lincang for ``"530900"``;
    another prefecture or province by its registry name (昆明市 / Kunming)."""
    if code == CITY_CODE:
        return text("city", lang)
    if counties.is_aggregate(code):
        return counties.area_name(code, lang)
    return str(counties.name(code, lang))


@cache
def _registry_names() -> dict[str, tuple[str, str, str]]:
    reg = ind.load_registry()
    names = {code: (i.name_zh, i.name_en, i.unit) for code, i in reg.indicators.items()}
    for spec in reg.assessments.values():  # checklist items (督导评估清单) are named like indicators
        for c in spec["criteria"]:
            if "item" in c:
                names[c["item"]] = (c["name_zh"], c["name_en"], "%" if "standard" in c else "")
    return names


def dimension_names() -> dict[str, str]:
    """English → Chinese names of the assessments' dimensions (资源配置, 政府保障程度 …)."""
    return {
        d["name_en"]: d["name_zh"]
        for spec in ind.load_registry().assessments.values()
        for d in spec.get("dimensions") or []
    }


def indicator_name(code: str, lang: str = "zh") -> str:
    """Display name of an indicator; Chinese with full-width brackets."""
    names = _registry_names()
    if code not in names:
        return code
    zh, en, _ = names[code]
    name = {"zh": zh, "en": en}[check_lang(lang)]
    opening, closing = word("narrative.open_paren", lang), word("narrative.close_paren", lang)
    if opening == "(":  # the registry writes half-width brackets: only a full-width language changes them
        return name
    return name.replace(" (", opening).replace("(", opening).replace(")", closing)


def indicator_unit(code: str) -> str:
    """The registry unit of an indicator ("" if unknown)."""
    return _registry_names().get(code, ("", "", ""))[2]


def unit_label(unit: str, lang: str = "zh") -> str:
    """The unit as shown after a number (名幼儿/师, 所 …); unknown units are kept as they are."""
    return UNITS[check_lang(lang)].get(unit, unit)


def _decimals(unit: str) -> int:
    return DECIMALS.get(unit, 0)


def _number(value: float, decimals: int) -> str:
    text_ = f"{value:,.{decimals}f}"
    return "0" if decimals == 0 and text_ in ("-0", "0") else text_


#: At most this many decimals beyond the unit's are added to keep a value on its side of a threshold.
MAX_EXTRA_DECIMALS = 4


def _side(value: float, threshold: float) -> int:
    """-1 below, 0 equal (within the tolerance of :func:`lcedu.measure.standards.meets`), 1 above."""
    if abs(value - threshold) <= REL_TOL * abs(threshold):
        return 0
    return 1 if value > threshold else -1


def _thresholds(thresholds: Any) -> list[float]:
    if thresholds is None or isinstance(thresholds, (int, float)):
        thresholds = [thresholds]
    return [float(t) for t in thresholds if not is_missing(t) and math.isfinite(float(t))]


def decimals_near(value: float, thresholds: Any, decimals: int) -> int:
    """The fewest decimals (at least ``decimals``) at which ``value`` shows on the same side of every threshold.

    94.96 against 95 with 1 decimal would show "95.0" beside "低于95%的目标"; this gives 2
    ("94.96"). A value equal to a threshold (within the tolerance of
    :func:`lcedu.measure.standards.meets`) must show as the threshold itself. Capped at
    ``decimals + MAX_EXTRA_DECIMALS``; :func:`fmt_value` then rounds towards the value's side.
    """
    limits = _thresholds(thresholds)
    value = float(value)
    if not limits or not math.isfinite(value):
        return decimals
    for d in range(decimals, decimals + MAX_EXTRA_DECIMALS + 1):
        shown = float(f"{value:.{d}f}")
        if all(_side(shown, t) == _side(value, t) for t in limits):
            return d
    return decimals + MAX_EXTRA_DECIMALS


def _number_near(value: float, decimals: int, thresholds: Any) -> str:
    """The number with enough decimals for every threshold; past the cap, rounded towards its own side."""
    d = decimals_near(value, thresholds, decimals)
    text_ = _number(value, d)
    limits = _thresholds(thresholds)
    shown = float(text_.replace(",", ""))
    wrong = [t for t in limits if _side(shown, t) != _side(value, t)]
    if wrong:  # still rounds onto a threshold: floor below it, ceil above it
        step = 10.0**-d
        side = _side(value, wrong[0])
        moved = (math.floor(value / step) if side < 0 else math.ceil(value / step)) * step
        text_ = _number(moved, d)
    return text_


def row_thresholds(row: Mapping[str, Any]) -> list[float]:
    """The thresholds a shown value of a scorecard-like row is read against: its target (and range top)."""
    return _thresholds([row.get("target"), row.get("target_max")])


def fmt_value(
    value: Any,
    unit: str,
    lang: str = "zh",
    *,
    with_unit: bool = True,
    decimals: int | None = None,
    thresholds: Any = None,
) -> str:
    """A value for a sentence or table: 96.1%, 1,234 所, 0.114, 是 (yes/no); NA → "—".

    ``thresholds`` (a number or several) are the targets or limits the value is shown next to:
    the value then gets the decimals it needs to stay on its side of each (94.96%, never
    "95.0%" beside 低于95%), see :func:`decimals_near`. Every page, table and workbook that
    shows a value beside a threshold formats it here.
    """
    if is_missing(value):
        return text("na_short", lang)
    if unit == "yes/no":
        return text("yes" if float(value) >= 0.5 else "no", lang)
    d = _decimals(unit) if decimals is None else decimals
    shown = _number_near(float(value), d, thresholds)
    one = UNITS_ONE[check_lang(lang)]
    label = (one[unit] if shown in ("1", "-1") and unit in one else unit_label(unit, lang)) if with_unit else ""
    if not label:
        return shown
    if unit in _TIGHT_UNITS:
        return f"{shown}{label}"
    return f"{shown} {label}" if unit in _SPACED_UNITS else word("narrative.value_unit", lang, value=shown, unit=label)


def _trim(value: float, decimals: int) -> str:
    """95 → "95", 93.5 → "93.5", 0.45 → "0.45" (no trailing zeros)."""
    shown = f"{value:,.{max(decimals, 2)}f}".rstrip("0").rstrip(".")
    return shown or "0"


def comparison_sign(comparison: Any, strict: Any = False, target_max: Any = None) -> str:
    """The plan's comparison as written: 超过 → ">", 不低于/达到 → "≥", 低于 → "<", 不高于 → "≤".

    "" for a yes/no target, a range, or a planned band with a top (its words say it: 至少5个（规划区间5至8个）).
    """
    comparison = "" if is_missing(comparison) else str(comparison)
    if comparison not in ("at_least", "count_at_least", "at_most") or (
        target_max is not None and not is_missing(target_max)
    ):
        return ""
    tight = not is_missing(strict) and bool(strict)
    if comparison == "at_most":
        return "<" if tight else "≤"
    return ">" if tight else "≥"


def directional_target_text(comparison: Any, baseline_text: str, lang: str = "zh") -> str:
    """Words like "高于基期值49.4%" / "低于基期值47.0%": a 显著提升 / 明显降低 target as the rule judges
    it; "" otherwise."""
    key = {"increase": "narrative.above_baseline", "decrease": "narrative.below_baseline"}.get(
        "" if is_missing(comparison) else str(comparison)
    )
    return "" if key is None else word(key, lang, value=baseline_text)


def fmt_target(target: Any, unit: str, lang: str = "zh", comparison: str = "at_least", target_max: Any = None) -> str:
    """A target as written in the plan: 95%, 300人, 5—8个; yes/no targets say 达到 / reached.

    A floor with a planned band (count_at_least / at_least with ``target_max``) reads
    至少5个（规划区间5至8个）: the band's top is shown, it is not a limit.
    """
    if comparison == "reach" or unit == "yes/no":
        return word("narrative.reached", lang)
    if is_missing(target):
        return text("na_short", lang)
    label = unit_label(unit, lang)
    low = _trim(float(target), _decimals(unit))
    if comparison in ("at_least", "count_at_least") and not is_missing(target_max):
        high = _trim(float(target_max), _decimals(unit))
        return word("narrative.at_least_band", lang, low=low, high=high, unit=label).replace("  ", " ")
    if comparison == "range" and not is_missing(target_max):
        low = word("narrative.range", lang, low=low, high=_trim(float(target_max), _decimals(unit)))
    if not label:
        return low
    return f"{low}{label}" if unit in _TIGHT_UNITS else word("narrative.value_unit", lang, value=low, unit=label)


def fmt_row_value(row: Mapping[str, Any], lang: str = "zh", *, with_unit: bool = True) -> str:
    """The ``value`` of a scorecard-like row (value, unit, target, target_max) beside its target."""
    unit = str(row.get("unit") or indicator_unit(str(row.get("indicator", ""))))
    return fmt_value(row.get("value"), unit, lang, with_unit=with_unit, thresholds=row_thresholds(row))


def fmt_gap(gap: float, unit: str, lang: str = "zh", decimals: int | None = None) -> str:
    """A distance to a target: 0.6个百分点 / 0.6 percentage points; tiny gaps say so.

    ``decimals``: those the value was shown with (:func:`decimals_near`), so 94.96% is 0.04个百分点 short.
    """
    d = _decimals(unit) if decimals is None else max(decimals, _decimals(unit))
    step = 10.0**-d
    if unit == "%":
        if abs(gap) < step / 2:
            return word("narrative.less_than_pp", lang, step=step)
        return word("narrative.pp_amount", lang, amount=_number(abs(gap), d))
    if abs(gap) < step / 2:
        return word("narrative.less_than", lang, step=step)
    return fmt_value(abs(gap), unit, lang, decimals=d)


def fmt_change(change: Any, unit: str, baseline_year: int, lang: str = "zh") -> str:
    """Change since the baseline (较2022/23学年初上升1.4个百分点 / up 1.4 percentage points since the start of …)."""
    if is_missing(change) or unit == "yes/no":
        return ""
    d = _decimals(unit)
    base = year_label(baseline_year, lang)
    if abs(float(change)) < 10.0**-d / 2:
        return word("narrative.unchanged", lang, base=base)
    kind = "rate" if unit in ("%", "CV") or "per" in unit else "count"  # 上升/下降 a rate, 增加/减少 a count
    direction = "up" if change > 0 else "down"
    return word(f"narrative.{kind}_{direction}", lang, base=base, amount=fmt_gap(float(change), unit, lang))


def na_text(reason: Any, lang: str = "zh") -> str:
    """数据缺失：<why> / No data: <why> from the engine's ``na_reason``."""
    head = text("missing", lang)
    if is_missing(reason) or not str(reason).strip():
        return head
    reason = str(reason)
    if reason.startswith("not applicable"):
        return word("narrative.not_applicable", lang, why=_reason_in(reason, lang).removeprefix("not applicable: "))
    if reason.startswith("not assessed: "):  # an assessment with dimensions not assessed: 未评估, not missing
        shown = _reason_in(reason, lang)  # 未评估：… / Not assessed: … (the reason itself, capitalised)
        return shown[:1].upper() + shown[1:]
    return word("narrative.na", lang, head=head, why=_reason_in(reason, lang))


def _reason_in(reason: str, lang: str) -> str:
    """The engine's ``na_reason`` in ``lang``.

    Kept branch: the engine writes its reasons in English, so an English page shows them as stored and only
    another language translates them, by words.yml `reasons` and the patterns of :func:`_reason_zh`.
    """
    return reason if lang == "en" else _reason_zh(reason)


def _reason_zh(reason: str) -> str:
    if reason in _REASONS_ZH:
        zh = _REASONS_ZH[reason]
        return zh.removeprefix("不适用：") if reason.startswith("not applicable") else zh
    if reason.startswith("not assessed: "):
        dims = dimension_names()
        parts = []
        for part in re.findall(r"([^,(]+?) \(([^)]*)\)", reason.removeprefix("not assessed: ")):
            whys = "；".join(_reason_zh(w.strip()) for w in part[1].split(";"))
            parts.append(f"{dims.get(part[0].strip(), part[0].strip())}（{whys}）")
        return "未评估：" + "、".join(parts) if parts else "未评估"
    if reason.startswith("cannot assess: "):
        rest = reason.removeprefix("cannot assess: ")
        code, _, why = rest.partition(": ")
        return f"无法评估（{indicator_name(code)}：{_reason_zh(why)}）"
    m = re.fullmatch(r"missing (?:data for )?([a-z_]+)(?:\.([a-z0-9_]+))?(?: values)?", reason)
    if m:
        table, column = m.groups()
        name = _TABLES_ZH.get(table, indicator_name(table) if table in _registry_names() else table)
        return f"缺少{name}数据" + (f"（{column}）" if column else "")
    m = re.fullmatch(r"(\d+) counties NA", reason)
    if m:
        return f"{m.group(1)}个县(区)数据缺失"
    m = re.fullmatch(r"teaching point under (\d+) students", reason)
    if m:
        return f"在校生不足{m.group(1)}人的教学点，不参评"
    m = re.fullmatch(r"joined to parent school (\d+|\w+)", reason)
    if m:
        return f"教学点，并入原校点（{m.group(1)}）计算"
    return reason


def _lower_first(name: str) -> str:
    return name[0].lower() + name[1:] if len(name) > 1 and name[1].islower() else name


def _target_phrase(row: Mapping[str, Any], lang: str, noun: str = "target") -> str:
    """'全市2025年95%的目标' / 'the city-wide 2025 target of 95%'; ``noun`` "limit": '…的上限' / 'the … limit of …'."""
    unit = str(row.get("unit") or "")
    target = fmt_target(row.get("target"), unit, lang, str(row.get("comparison") or "at_least"), row.get("target_max"))
    year, target_year = row.get("year"), row.get("target_year")
    return word(
        "narrative.target_phrase",
        lang,
        scope=word("narrative.city_wide", lang) if row.get("target_scope") == "city_reference" else "",
        year=""
        if is_missing(target_year) or target_year == year
        else word("narrative.target_year", lang, year=int(target_year)),
        target=target,
        noun=word(f"narrative.{noun}", lang),
    )


def _is_past_target(row: Mapping[str, Any]) -> bool:
    """A target due before the row's year: judged at its own year, the row's value is progress."""
    ty, year = row.get("target_year"), row.get("year")
    return not is_missing(ty) and not is_missing(year) and int(ty) < int(year)


def _past_verdict(row: Mapping[str, Any], phrase: str, lang: str) -> str:
    """Words like "2024年目标（≥100%）未按期达成（93.9%），现已达到" — the verdict of its year, then
    the progress since."""
    ty, unit = int(row["target_year"]), str(row.get("unit") or "")
    past = row.get("target_year_value")
    before = (
        fmt_value(past, unit, lang, thresholds=row_thresholds(row)) if not is_missing(past) else text("na_short", lang)
    )
    if row.get("is_met") is True or (not is_missing(row.get("is_met")) and bool(row.get("is_met"))):
        return word("narrative.past_met", lang, phrase=phrase, year=ty, value=before)
    if is_missing(past):
        head = word("narrative.past_no_data", lang, phrase=phrase, year=ty)
    else:
        head = word("narrative.past_not_met", lang, phrase=phrase, year=ty, value=before)
    now = row.get("is_met_now")
    if not is_missing(now) and bool(now):
        return head + word("narrative.past_reached_since", lang)
    gap = row.get("gap_now")
    if is_missing(gap):
        return head
    shown = fmt_gap(float(gap), unit, lang, decimals_near(float(row["value"]), row_thresholds(row), _decimals(unit)))
    return head + word("narrative.past_still_short", lang, gap=shown)


def verdict(row: Mapping[str, Any], lang: str) -> str:
    """The clause after the value: 高于95%的目标 / below the target of 95% by 0.6 percentage points."""
    comparison = str(row.get("comparison") or "")
    unit = str(row.get("unit") or "")
    phrase = _target_phrase(row, lang)
    met = row.get("is_met")
    value, target = float(row["value"]), float(row["target"])
    if _is_past_target(row):
        return _past_verdict(row, phrase, lang)
    if comparison in ("increase", "decrease"):  # 显著提升 / 明显降低: judged against the baseline value
        rule = directional_target_text(comparison, fmt_value(target, unit, lang), lang)
        return word(f"narrative.{comparison}_{'met' if met else 'not_met'}", lang, rule=rule)
    if comparison not in ("at_least", "count_at_least", "at_most", "range"):
        return ""
    if comparison == "range":
        return word("narrative.in_range" if met else "narrative.out_of_range", lang, phrase=phrase)
    if comparison == "at_most":
        phrase = _target_phrase(row, lang, "limit")
    if met:
        equal = abs(value - target) <= REL_TOL * max(1.0, abs(target))
        key = "within_limit" if comparison == "at_most" else "meeting" if equal else "above"
        return word(f"narrative.{key}", lang, phrase=phrase)
    gap = fmt_gap(float(row["gap"]), unit, lang, decimals_near(value, row_thresholds(row), _decimals(unit)))
    return word("narrative.above_limit" if comparison == "at_most" else "narrative.below", lang, phrase=phrase, gap=gap)


def indicator_sentence(row: Mapping[str, Any], lang: str = "zh", *, with_change: bool = True) -> str:
    """One sentence about one indicator of one place and year, from a briefing row.

    ``row`` has county_code, year, indicator, value, unit, na_reason and optionally target,
    target_max, comparison, target_scope, target_year, is_met, gap, baseline_year and
    change_since_baseline (see :func:`lcedu.present.briefing.county_card`). E.g.
    "临翔区2025/26学年初学前三年毛入园率为96.1%，高于95%的目标。"
    """
    lang = check_lang(lang)
    code, year, indicator = str(row["county_code"]), int(row["year"]), str(row["indicator"])
    when = year_label(year, lang)
    place = place_name(code, lang)
    name = indicator_name(indicator, lang)
    unit = str(row.get("unit") or indicator_unit(indicator))
    value = row.get("value")
    if is_missing(value):
        why = _lower_first(na_text(row.get("na_reason"), lang))
        return word("narrative.sentence_missing", lang, place=place, when=when, name=name, why=why)
    has_target = not is_missing(row.get("target")) or row.get("comparison") == "reach"
    if unit == "yes/no":
        answer = text("yes" if float(value) >= 0.5 else "no", lang)
        tail = ""
        if has_target:
            target_year = row.get("target_year")
            ty = int(target_year) if not is_missing(target_year) else year
            tail = (
                word("narrative.yes_no_met", lang) if row.get("is_met") else word("narrative.yes_no_due", lang, year=ty)
            )
        return word("narrative.sentence_yes_no", lang, place=place, when=when, name=name, answer=answer, tail=tail)
    shown = fmt_value(value, unit, lang, thresholds=row_thresholds(row) if has_target else None)
    clauses = []
    if has_target and not is_missing(row.get("is_met")):
        clauses.append(verdict(row, lang))
    change = row.get("change_since_baseline")
    base = row.get("baseline_year")
    if with_change and not is_missing(change) and not is_missing(base) and int(base) != year:
        clauses.append(fmt_change(float(change), unit, int(base), lang))
    joined = "".join(text("sep", lang) + c for c in clauses if c)
    if unit in COUNT_UNITS:
        return word("narrative.sentence_count", lang, place=place, when=when, name=name, value=shown, clauses=joined)
    name = _lower_first(name)  # inside an English sentence; a no-op on a Chinese name
    return word("narrative.sentence_measure", lang, place=place, when=when, name=name, value=shown, clauses=joined)


def join(items: list[str], lang: str = "zh") -> str:
    """A list in running text: 甲、乙和丙 / a, b and c."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return text("list_sep", lang).join(items[:-1]) + word("narrative.and", lang) + items[-1]


def percent(value: float, lang: str = "zh", decimals: int = 1) -> str:
    """0.375 → 37.5%."""
    if is_missing(value) or not math.isfinite(float(value)):
        return text("na_short", lang)
    return f"{float(value) * 100:.{decimals}f}%"


def stage_name(stage: str, lang: str = "zh") -> str:
    """A 学段's name in the page language (小学 / Primary …)."""
    return STAGES[check_lang(lang)].get(stage, stage)


def school_type_name(school_type: str, lang: str = "zh") -> str:
    """A school type's name in the page language (九年一贯制 / Nine-year …)."""
    return SCHOOL_TYPES[check_lang(lang)].get(school_type, school_type)
