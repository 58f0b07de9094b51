"""Coordinates for roster counties (issue 24): the 过录表 carry none, so the bureau's 学校补充信息 sheet may give
经度/纬度; they reach ``schools`` and so the consolidation screening."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from lcedu.ingest import roster


def _sheet(folder: Path, header: list[str], row: list[object]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "学校补充信息"
    ws.append(header)
    ws.append(row)
    path = folder / f"{len(header)}.xlsx"
    wb.save(path)
    return path


def test_the_local_sheet_gives_coordinates_to_schools(tmp_path):
    path = _sheet(tmp_path, ["学校标识码", "学校名称", "经度", "纬度"], ["2153925001", "村小", 99.8241, 23.4731])
    issues: list = []
    _, parts = roster.read_local(path, "raw/local/2025/学校补充信息.xlsx", 2025, issues)
    assert not issues
    schools = next(frame for table, frame, _, _ in parts if table == "schools")
    row = schools.iloc[0]
    assert (row["school_id"], row["year"]) == ("2153925001", 2025)
    assert (row["longitude"], row["latitude"]) == pytest.approx((99.8241, 23.4731))


def test_a_local_sheet_without_coordinates_adds_none(tmp_path):
    path = _sheet(tmp_path, ["学校标识码", "学校名称", "数字教室数"], ["2153925001", "村小", 3])
    issues: list = []
    _, parts = roster.read_local(path, "raw/local/2025/学校补充信息.xlsx", 2025, issues)
    assert not issues
    assert all("longitude" not in frame for _, frame, _, _ in parts)  # nothing invented: the roster's NA stays


@pytest.mark.integration
def test_every_sample_school_has_coordinates_so_the_screening_can_judge(sample_tables):
    schools = sample_tables["schools"]
    latest = schools[schools["year"] == schools["year"].max()]
    assert latest["longitude"].notna().all() and latest["latitude"].notna().all()
    screening = sample_tables["planning_consolidation"]["screening"].astype(str)
    assert not screening.str.startswith("待核实").any()  # no 无坐标 rows left on the sample
