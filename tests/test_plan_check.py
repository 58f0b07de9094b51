"""Plans checked against the registries wherever they are loaded, and every plan command failing the same way.

A misspelt indicator once made its target vanish (40 → 39) with exit 0; a YAML error made `maps` and
`render` print a traceback. Now each is exit 2 naming the file, the entry and the field (or the line).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lcedu.cli import main
from lcedu.measure.indicators import load_registry
from lcedu.measure.plan import TargetsFileError, list_plans, load_targets
from lcedu.measure.plan_check import closest_indicator, known_indicators, milestones

PLANS = Path(__file__).resolve().parents[1] / "lcedu" / "plans"
TEST_PLAN = Path(__file__).resolve().parent / "data" / "plans" / "next_plan_test"


def _plan_copy(tmp_path: Path, edit) -> Path:
    """A copy of the shipped plan folder with ``edit(data)`` applied to its targets.yml."""
    folder = tmp_path / "plan"
    shutil.copytree(PLANS / "lincang_2023_2025", folder)
    path = folder / "targets.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def _entry(data: dict, indicator: str) -> dict:
    return next(e for e in data["targets"] if e["indicator"] == indicator)


def misspelt(data: dict) -> None:
    _entry(data, "preschool_gross_enrollment_pct")["indicator"] = "preschool_gross_enrolment_pct"


def year_outside(data: dict) -> None:
    _entry(data, "preschool_gross_enrollment_pct")["year"] = 2027


def no_county(data: dict) -> None:
    entry = next(e for e in data["targets"] if isinstance(e["scope"], list))
    entry["scope"] = ["530999"]


@pytest.mark.parametrize("plan", [*list_plans(), str(TEST_PLAN)])
def test_every_plan_we_ship_or_test_with_names_known_indicators_only(plan: str) -> None:
    targets = load_targets(plan if plan.startswith("/") else PLANS / plan / "targets.yml")
    needed = targets["data_needed"] if "data_needed" in targets.columns else ""
    measured = targets[(targets["comparison"] != "qualitative") & (needed.fillna("") == "")]
    assert len(measured) and set(measured["indicator"]) <= set(known_indicators())


def test_an_unmeasured_target_needs_no_formula_but_a_measured_one_does(tmp_path: Path) -> None:
    """A 定性目标 or a target stating the data it lacks is only named; the same code measured is refused."""
    studio = "famous_teacher_studio_all_stages"
    load_targets(PLANS / "lincang_2023_2025" / "targets.yml")  # has it as 无数据 (data_needed) and loads

    def measured(data: dict) -> None:
        _entry(data, studio).pop("data_needed")

    folder = _plan_copy(tmp_path, measured)
    with pytest.raises(TargetsFileError, match=f"unknown indicator '{studio}'"):
        load_targets(folder / "targets.yml")


def test_milestones_are_outside_the_registry_and_named() -> None:
    """A milestone is a target with no formula: listed once, never shadowing a computed indicator."""
    assert milestones(), "the shipped plan's milestones (a college founded …) are listed"
    assert not set(milestones()) & set(load_registry().indicators)
    assert all(name for name in milestones().values())


def test_the_closest_indicator_is_the_misspelt_one() -> None:
    known = known_indicators()
    assert closest_indicator("preschool_gross_enrolment_pct", known).startswith("preschool_gross_enrollment_pct（")
    assert closest_indicator("zzzz", known) == ""


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (
            misspelt,
            "indicator",
            ["unknown indicator 'preschool_gross_enrolment_pct'", "preschool_gross_enrollment_pct"],
        ),
        (year_outside, "year", ["outside the plan span 2023–2025"]),
        (no_county, "scope", ["scope names no county", "530999"]),
    ],
    ids=["misspelt_indicator", "year_outside_the_plan", "scope_naming_no_county"],
)
def test_a_bad_entry_names_file_entry_and_field(tmp_path: Path, edit, field: str, words: list[str]) -> None:
    folder = _plan_copy(tmp_path, edit)
    with pytest.raises(TargetsFileError) as err:
        load_targets(folder / "targets.yml")
    problems = [p for p in err.value.problems if p.field == field]
    assert problems, str(err.value)
    assert problems[0].file.endswith("targets.yml") and problems[0].entry.startswith("entry #")
    for word in words:
        assert word in str(err.value)


COMMANDS = {
    "maps": ["maps", "--formats", "png"],
    "render": ["render", "--notebooks", "county_briefing", "--counties", "530925"],
    "evaluate": ["evaluate", "--no-pdf"],
    "report": ["report"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("edit", [misspelt, year_outside, no_county], ids=["misspelt", "year_outside", "no_county"])
def test_every_command_refuses_a_bad_plan_with_exit_2(
    command: str, edit, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCEDU_PROCESSED", str(tmp_path / "no-build"))  # nothing may be read before the plan
    folder = _plan_copy(tmp_path, edit)
    out = tmp_path / "out"
    args = [*COMMANDS[command], "--plan", str(folder)]
    if command != "report":
        args += ["--out", str(out)]
    else:
        args += ["--raw", str(tmp_path / "no-raw"), "--out", str(tmp_path / "p"), "--reports", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "targets.yml" in err and "entry #" in err and "Traceback" not in err
    assert not out.exists(), "nothing written"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_yaml_error_names_file_and_line_for_every_command(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCEDU_PROCESSED", str(tmp_path / "no-build"))
    folder = tmp_path / "plan"
    shutil.copytree(PLANS / "lincang_2023_2025", folder)
    path = folder / "targets.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("- indicator:"))
    lines[at] = "\t" + lines[at].lstrip()  # a tab for indentation, as a hand edit in Notepad leaves one
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError) as parsed:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    assert parsed.value.problem_mark.line == at, "the line YAML points at is the edited one"
    args = [*COMMANDS[command], "--plan", str(folder)]
    if command == "report":
        args += ["--raw", str(tmp_path / "no-raw"), "--out", str(tmp_path / "p"), "--reports", str(tmp_path / "r")]
    else:
        args += ["--out", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
    assert f"第 {at + 1} 行" in err and f"line {at + 1}" in err, err
