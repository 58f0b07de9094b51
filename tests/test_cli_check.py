"""`lcedu check` on a copy of the committed sample: what it tells the user, and that it leaves data/raw alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lcedu.cli import main
from tests.conftest import file_hashes

pytestmark = pytest.mark.integration

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def test_a_year_without_its_assessment_checklist_is_a_warning_naming_year_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    (raw / "county" / "2023" / "督导评估清单_2023.xlsx").unlink()
    before = file_hashes(raw)
    code = main(["check", "--raw", str(raw), "--reports", str(tmp_path / "reports")])
    captured = capsys.readouterr()
    assert code == 0, captured.err  # a warning: the rest of the data is usable
    assert "检查通过" in captured.out
    lines = [line for line in captured.err.splitlines() if "督导评估清单" in line and line.startswith("提示")]
    assert len(lines) == 1, captured.err  # 2023 only: 2022, 2024 and 2025 have theirs
    warning = lines[0]
    assert "2023 学年没有督导评估清单" in warning and "no assessment checklist for 2023" in warning
    assert warning.index("没有督导评估清单") < warning.index("no assessment checklist"), "Chinese first"
    assert "未评估" in warning
    assert "raw/county/2023/督导评估清单_2023.xlsx" in captured.err, "where the workbook goes"
    assert file_hashes(raw) == before, "check leaves the raw folder byte-identical, with no new file"
