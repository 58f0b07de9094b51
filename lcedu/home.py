"""The home prefecture: the one this installation reports on, read from ``lcedu/data/home.yml``.

One place for its code, names, boundaries file and default plan, so a second prefecture is a change of that
file, not of code. Light on purpose (yaml only): the command's parser and ``lcedu.paths`` read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SETTINGS = Path(__file__).resolve().parent / "data" / "home.yml"


@dataclass(frozen=True)
class Home:
    """The home prefecture's code (6 digits), its names and where its boundaries and plan are."""

    code: str
    name_zh: str
    short_name_zh: str
    name_en: str
    shapes: str
    default_plan: str

    def name(self, lang: str = "zh") -> str:
        """The prefecture's name in ``lang`` ("zh": 临沧市, otherwise the English name: Lincang)."""
        return self.name_zh if lang == "zh" else self.name_en

    def is_named(self, text: str) -> bool:
        """Whether ``text`` names the prefecture: its code, its name or short name (530900, 临沧市, 临沧)."""
        return str(text).strip() in (self.code, self.name_zh, self.short_name_zh)


def read(path: Path = SETTINGS) -> Home:
    """The home prefecture of a settings file; a missing or malformed field is a ValueError naming it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fields = list(Home.__dataclass_fields__)
    missing = [f for f in fields if not isinstance(data.get(f), str) or not data[f].strip()]
    if missing:
        raise ValueError(
            f"{path}: 缺少或不是文本 / missing or not text: {', '.join(missing)} (fix: add them as strings)"
        )
    code = data["code"]
    if not (len(code) == 6 and code.isdigit() and code.endswith("00")):
        raise ValueError(
            f'{path}: code 应为6位州(市)代码，如 "530900" / code must be a 6-digit prefecture code, not {code!r}'
        )
    return Home(**{f: data[f] for f in fields})


#: The prefecture this installation reports on.
HOME = read()
#: Its code; county-level rows use their own 6-digit codes.
CITY_CODE = HOME.code
