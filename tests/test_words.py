"""The present layer's vocabulary (lcedu/present/config/words.yml) as its readers rely on it."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from lcedu.present import narrative as nv
from lcedu.present.words import WORDS_FILE, table, word

LCEDU = Path(__file__).resolve().parents[1] / "lcedu"
# word("section.name", …) and table("section", …) calls with a literal key, over one or more lines.
WORD_CALL = re.compile(r"""\bword\(\s*(?:f?)["']([A-Za-z_]+\.[^"'{}]+)["']""")
TABLE_CALL = re.compile(r"""\btable\(\s*["']([A-Za-z_]+)["']""")


def _raw() -> dict:
    return yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_entry_has_every_language_with_the_same_placeholders():
    problems = []
    for section, entries in _raw().items():
        assert isinstance(entries, dict), f"{section}: a mapping of names to {{zh: …, en: …}}"
        for name, entry in entries.items():
            if not isinstance(entry, dict) or set(entry) != set(nv.LANGS):
                problems.append(f"{section}.{name}: languages {sorted(entry) if isinstance(entry, dict) else entry}")
                continue
            if not all(isinstance(entry[lang], str) for lang in nv.LANGS):
                problems.append(f"{section}.{name}: not text")
                continue
            fields = {lang: _fields(entry[lang]) for lang in nv.LANGS}
            if len({frozenset(f) for f in fields.values()}) > 1:
                problems.append(f"{section}.{name}: placeholders differ {fields}")
    assert not problems, "\n".join(problems)


def _calls(pattern: re.Pattern[str]) -> dict[str, str]:
    """Each literal key used in lcedu/, with a file that uses it."""
    found = {}
    for path in LCEDU.rglob("*.py"):
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(LCEDU.parent)))
    return found


def test_every_word_key_used_in_lcedu_exists():
    used = _calls(WORD_CALL)
    assert used, "the pattern finds the word() calls"
    entries = _raw()
    missing = [
        f"{key} ({where})"
        for key, where in used.items()
        if key.partition(".")[2] not in (entries.get(key.partition(".")[0]) or {})
    ]
    assert not missing, "word() keys not in words.yml:\n" + "\n".join(missing)


def test_every_table_section_used_in_lcedu_exists():
    used = _calls(TABLE_CALL)
    assert {"text", "units", "stages", "school_types", "reasons", "tables"} <= set(used)
    sections = _raw()
    assert not [s for s in used if s not in sections]


def test_word_and_the_narrative_tables_read_both_languages():
    assert word("text.missing") == "数据缺失"
    assert word("text.missing", "en") == "No data"
    assert nv.text("met", "en") == "Met"
    assert nv.unit_label("teachers per 100 students") == "人/百生"
    assert nv.stage_name("junior", "en") == "Junior secondary"
    assert nv.school_type_name("nine_year") == "九年一贯制"
    assert nv.na_text("no schools") == "数据缺失：无学校"
    assert nv.na_text("missing teachers") == "数据缺失：缺少教师数据"


def test_tables_are_copies():
    units = table("units", "en")
    units["%"] = "changed"
    assert table("units", "en")["%"] == "%"


@pytest.mark.parametrize(
    ("key", "lang", "named"),
    [("text.no_such_word", "zh", "text.no_such_word"), ("nosection", "zh", "nosection"), ("text.met", "fr", "fr")],
)
def test_unknown_key_or_language_names_it_and_the_file(key, lang, named):
    with pytest.raises(KeyError) as err:
        word(key, lang)
    assert named in str(err.value) and "words.yml" in str(err.value)


def test_unknown_section_names_it_and_the_file():
    with pytest.raises(KeyError, match=r"nosection.*words\.yml"):
        table("nosection")
