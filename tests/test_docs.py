"""Docs that match the code: the stored tables in docs/architecture.md, YAML comments that point inside the repo."""

from __future__ import annotations

import re
from pathlib import Path

from lcedu.measure import planning, projections, results

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "lcedu"


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def test_architecture_lists_every_stored_result_table_and_no_other() -> None:
    section = _section((REPO / "docs" / "architecture.md").read_text(encoding="utf-8"), "What a build stores")
    stored = set(results.RESULT_TABLES) | set(projections.RESULT_TABLES) | set(planning.RESULT_TABLES)
    bullets = section.split("\n- ")
    listed = {
        name
        for bullet in bullets
        if bullet.startswith(("Results", "Projections", "Planning"))
        for name in re.findall(r"`([a-z_]+)`", bullet.split(":", 1)[1])
    }
    assert listed == stored


def test_yaml_comments_name_files_that_exist_inside_the_repository() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            comment = line[line.index("#") :] if "#" in line else ""
            where = f"{path.relative_to(REPO)}:{number}"
            wrong += [f"{where}: {p}" for p in re.findall(r"(?:/work/|/home/|~/|\.\./)\S*", comment)]
            for name in re.findall(r"\b((?:lcedu|tests|docs|shapes)/[\w/.-]*\.(?:py|yml|md|csv|geojson))", comment):
                if "*" not in name and not (REPO / name).exists():
                    wrong.append(f"{where}: {name} does not exist")
    assert wrong == []
