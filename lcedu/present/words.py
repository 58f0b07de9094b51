"""The present layer's words, read from one data file: ``lcedu/present/config/words.yml``.

Every bilingual word a page, chart, map or workbook shows (labels, units, school types, reasons,
sentence templates) is an entry of that file, so a new language or another prefecture's names is a
data change, not a code change. The file is a mapping of sections (one per module or table), each a
mapping of names to ``{zh: …, en: …}``; a template's ``{field}`` placeholders are filled by
:meth:`str.format` (a literal brace is written ``{{`` / ``}}``).

Public API: :func:`word` (one entry, e.g. ``word("text.missing", "en")``) and :func:`table` (a whole
section as a lookup table, e.g. ``table("units")``); :data:`WORDS_FILE`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["WORDS_FILE", "table", "word"]

#: The one vocabulary file of the present layer.
WORDS_FILE = Path(__file__).parent / "config" / "words.yml"


@cache
def _sections() -> dict[str, dict[str, dict[str, str]]]:
    """The file's sections, read once per process."""
    with WORDS_FILE.open(encoding="utf-8") as f:
        data: Any = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when present
    if not isinstance(data, dict):
        raise ValueError(f"{WORDS_FILE}: 应为按分节组织的映射 / must be a mapping of sections")
    return data


def _entry(key: str) -> dict[str, str]:
    section, dot, name = key.partition(".")
    entries = _sections().get(section) if dot else None
    if not isinstance(entries, dict) or name not in entries:
        raise KeyError(f"词条 {key!r} 不在 {WORDS_FILE} 中 / no word {key!r} in {WORDS_FILE} (key is 'section.name')")
    return entries[name]


def word(key: str, lang: str = "zh", /, **fields: Any) -> str:
    """The word or sentence ``key`` ("section.name") in ``lang``, its ``{field}`` placeholders filled from ``fields``.

    An unknown key or language is a KeyError naming the key and the file: a missing word is a bug to
    fix in words.yml, never a blank on a page.
    """
    entry = _entry(key)
    if lang not in entry:
        raise KeyError(f"词条 {key!r} 没有语言 {lang!r}（{WORDS_FILE}）/ word {key!r} has no {lang!r} in {WORDS_FILE}")
    return str(entry[lang]).format(**fields)


def table(section: str, lang: str = "zh") -> dict[str, str]:
    """A whole section in ``lang`` as a lookup table (units, stages, school types …), name → word.

    A new dict each call, so a caller may change its copy. Unknown section or language: KeyError
    naming it and the file.
    """
    entries = _sections().get(section)
    if not isinstance(entries, dict):
        raise KeyError(f"分节 {section!r} 不在 {WORDS_FILE} 中 / no section {section!r} in {WORDS_FILE}")
    missing = [name for name, entry in entries.items() if lang not in entry]
    if missing:
        raise KeyError(
            f"分节 {section!r} 的 {missing[0]!r} 没有语言 {lang!r}（{WORDS_FILE}）/ "
            f"{section}.{missing[0]} has no {lang!r} in {WORDS_FILE}"
        )
    return {str(name): str(entry[lang]) for name, entry in entries.items()}
