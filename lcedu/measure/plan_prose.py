"""The plan-text check: every target number and target phrase in a plan's prose has its entry.

A plan's ``targets.yml`` quotes the sentences its targets come from; this module reads the plan's
text (``plan.txt``) and lists the numbers (95, 1.6万, 三所) and target phrases (显著提升, 全覆盖)
in its target passages that no entry accounts for, so that a target left out of the file is found
(``lcedu plan check``). The passages, the slogans that are not targets and the target phrases come
from the plan file's ``check`` block (:class:`lcedu.measure.plan.Plan`).

Public API: :func:`plan_numbers`, :func:`uncovered_numbers`, :func:`uncovered_target_words`,
:func:`target_passages`, :func:`check_plan_text`, :class:`PlanNumber`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lcedu.measure.plan import get_plan

__all__ = [
    "PlanNumber",
    "check_plan_text",
    "plan_numbers",
    "target_passages",
    "uncovered_numbers",
    "uncovered_target_words",
]

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
        blocked = [(m.start(), m.end()) for phrase in ignore for m in re.finditer(re.escape(phrase), sentence)]
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


def uncovered_numbers(text: str, targets: pd.DataFrame, ignore: Iterable[str] = ()) -> list[PlanNumber]:
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


def uncovered_target_words(text: str, targets: pd.DataFrame, words: Iterable[str] = ()) -> list[PlanNumber]:
    """Target phrases without a number (显著提升, 明显降低, 全覆盖, 取得实质性进展 …) that no entry records.

    A phrase is recorded when some entry's ``quote`` (or a ``restated`` quote) in the same sentence
    covers it. Returned as :class:`PlanNumber` rows (``value`` NaN) so the check lists them with the numbers.
    """
    quotes = [
        quote
        for row in (targets.drop_duplicates("entry").to_dict("records") if len(targets) else [])
        for quote in (row["quote"], *(q for _, q in row["restated"]))
    ]
    found: list[PlanNumber] = []
    for m_sentence in _SENTENCE.finditer(text):
        sentence = m_sentence.group()
        spans = [(m.start(), m.end()) for q in quotes for m in re.finditer(re.escape(q), sentence)]
        for word in (w for w in words if w):
            for m in re.finditer(re.escape(word), sentence):
                if not any(a <= m.start() and m.end() <= b for a, b in spans):
                    found.append(PlanNumber(word, math.nan, m.start(), m.end(), sentence))
    return found


def target_passages(text: str, passages: Iterable[tuple[str, str, str]] = ()) -> str:
    """The parts of a plan text that hold its targets, one passage per line block.

    ``passages``: (from, to, only_sentences_with) — the text from the first occurrence of
    ``from`` up to ``to`` (exclusive); with ``only_sentences_with``, only the sentences (。)
    containing it. No passages: the whole text. A passage whose marker is not in the text
    raises a ValueError naming the marker (the text changed, or the check block is wrong).
    """
    spec = list(passages)
    if not spec:
        return text
    parts = []
    for start, end, only in spec:
        if start not in text:
            raise ValueError(f"plan.check.passages: start marker 「{start}」 is not in the plan text")
        i = text.index(start)
        if end not in text[i:]:
            raise ValueError(f"plan.check.passages: end marker 「{end}」 is not after 「{start}」 in the plan text")
        part = text[i : text.index(end, i)]
        if only:
            sentences = [s for s in part.split("。") if only in s]
            if not sentences:
                raise ValueError(f"plan.check.passages: no sentence with 「{only}」 between 「{start}」 and 「{end}」")
            part = "\n".join(sentences)
        parts.append(part)
    return "\n".join(parts)


def check_plan_text(
    text: str,
    targets: str | Path | pd.DataFrame | None = None,
    *,
    passages: Iterable[tuple[str, str, str]] | None = None,
    not_targets: Iterable[str] | None = None,
    target_words: Iterable[str] | None = None,
) -> list[PlanNumber]:
    """Every number, and every target phrase of ``check.target_words`` (显著提升, 全覆盖 …), in the plan's
    target sentences that no entry of ``targets`` accounts for (directional, no-data and qualitative
    targets are entries too).

    ``targets``: a plan name, folder, targets file or a :func:`load_targets` frame (default:
    the default plan). ``passages`` and ``not_targets`` default to the plan file's ``check``
    block (for a frame: none). ``text`` is the plan's text (leading ``#`` lines are
    comments and skipped). Empty result: every target number has its entry.
    """
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    body = "".join(lines)
    if isinstance(targets, pd.DataFrame):
        frame, plan = targets, None
    else:
        plan = get_plan(targets)
        frame = plan.targets()
    spec = passages if passages is not None else (plan.passages if plan else ())
    ignore = not_targets if not_targets is not None else (plan.not_targets if plan else ())
    words = target_words if target_words is not None else (plan.target_words if plan else ())
    passage = target_passages(body, spec)
    return uncovered_numbers(passage, frame, ignore) + uncovered_target_words(passage, frame, words)
