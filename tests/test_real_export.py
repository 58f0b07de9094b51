"""The one public real export (tests/data/real/) and the copies users make of it read to its own figures.

The figures are those listed in tests/data/real/README.md, read by eye from the file's cells. The test runs the
CLI as a user would (`lcedu check`, `lcedu clean --partial` on a raw folder holding only the workbook).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lcedu.ingest import codes

REAL = Path(__file__).resolve().parent / "data" / "real" / "jcj2020_kindergarten_330282.xlsx"
SCHOOL = "1133007639"
SCHOOL_NAME = "慈溪市龙山镇龙头场蓓蕾幼儿园"


def _lcedu(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from lcedu.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def _raw_with(tmp_path: Path, workbook: Path, name: str | None = None) -> Path:
    raw = tmp_path / "raw"
    (raw / "forms" / "2020").mkdir(parents=True)
    shutil.copy2(workbook, raw / "forms" / "2020" / (name or workbook.name))
    return raw


def _cleaned(tmp_path: Path, raw: Path) -> dict[str, pd.DataFrame]:
    """`lcedu check` then `lcedu clean --partial` on the folder; the processed tables."""
    check = _lcedu("check", "--partial", "--raw", str(raw), "--reports", str(tmp_path / "reports"))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "错误" not in check.stdout, check.stdout
    out = tmp_path / "processed"
    clean = _lcedu("clean", "--partial", "--raw", str(raw), "--out", str(out), "--reports", str(tmp_path / "reports"))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    names = ("schools", "enrollment", "teachers", "facilities", "kindergarten_ages", "student_flows", "missing_values")
    return {name: pd.read_parquet(out / "current" / f"{name}.parquet") for name in names}


def _one(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1, frame
    return frame.iloc[0]


def assert_real_figures(tables: dict[str, pd.DataFrame]) -> None:
    """Every figure tests/data/real/README.md lists, and NA (not 0) where the file has nothing."""
    school = _one(tables["schools"])
    assert school["school_id"] == SCHOOL and school["year"] == 2020
    assert school["school_name"] == SCHOOL_NAME
    assert school["school_type"] == "kindergarten" and not school["is_public"] and school["urban_rural"] == "town"
    assert school["county_code"] == "330282", "from the 12-digit 地址代码 330282123204"
    assert pd.isna(school["township"]), "the 2020 form 111 has no township field"
    assert school["kindergarten_class_count"] == 9
    assert school["longitude"] == pytest.approx(121.503) and school["latitude"] == pytest.approx(30.2392)
    enrollment = _one(tables["enrollment"])
    assert enrollment["stage"] == "kindergarten"
    assert (enrollment["student_count"], enrollment["new_entrant_count"]) == (305, 87)
    assert (enrollment["graduate_count"], enrollment["transfer_in_count"]) == (143, 46)
    assert pd.isna(enrollment["transfer_out_count"]), "转出 is blank: NA, never 0"
    teachers = _one(tables["teachers"])
    assert teachers["staff_count"] == 28 and teachers["principal_count"] == 2
    assert teachers["full_time_teacher_count"] == 15 and teachers["nursery_staff_count"] == 5
    assert (teachers["teacher_bachelor_count"], teachers["teacher_associate_count"]) == (3, 11)
    assert teachers["teacher_below_associate_count"] == 1, "高中阶段 1 + 高中阶段以下 blank"
    assert pd.isna(teachers["teacher_postgrad_count"])
    for column in ("certified_teacher_count", "backbone_teacher_count", "certified_principal_count"):
        assert pd.isna(teachers[column]), f"{column}: 4411 is 教职工其他情况, no such figure on these sheets"
    facilities = _one(tables["facilities"])
    assert facilities["teaching_aux_area_m2"] == 1550 and facilities["sports_ground_area_m2"] == 1124.5
    for column in ("classroom_count", "multimedia_classroom_count", "equipment_value_yuan"):
        assert pd.isna(facilities[column]), f"{column}: the kindergarten 521 has only 栏1–8"
    ages = tables["kindergarten_ages"].set_index("age")["student_count"]
    assert ages.dropna().to_dict() == {3: 87, 4: 70, 5: 148} and ages[[2, 6]].isna().all()
    flows = tables["student_flows"].set_index("flow")["student_count"]
    assert set(tables["student_flows"]["stage"]) == {"kindergarten"}
    assert flows[["start", "admitted", "transferred_in", "graduated", "end"]].tolist() == [315, 87, 46, 143, 305]
    assert pd.isna(flows["transferred_out"])
    missing = tables["missing_values"]
    assert ((missing["table"] == "schools") & (missing["column"] == "township")).any(), "NA with its reason"


def test_the_real_workbook_reads_to_its_figures(tmp_path: Path) -> None:
    assert_real_figures(_cleaned(tmp_path, _raw_with(tmp_path, REAL)))


def test_without_cover_and_contents_and_named_after_the_school(tmp_path: Path) -> None:
    """A user deletes 封面 and 目录 and saves the file under the school's name (openpyxl keeps the rest)."""
    book = openpyxl.load_workbook(REAL)
    for name in ("封面", "目录"):
        del book[name]
    copy = tmp_path / f"{SCHOOL_NAME}.xlsx"
    book.save(copy)
    assert_real_figures(_cleaned(tmp_path, _raw_with(tmp_path, copy)))


def _soffice(tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / "converted"
    run = subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--convert-to",
            fmt,
            "--outdir",
            str(out),
            str(REAL),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    converted = out / f"{REAL.stem}.{fmt.split(':')[0]}"
    assert converted.exists(), run.stdout + run.stderr
    return converted


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_resaved_by_libreoffice(tmp_path: Path) -> None:
    assert_real_figures(_cleaned(tmp_path, _raw_with(tmp_path, _soffice(tmp_path, "xlsx"))))


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_converted_to_legacy_xls(tmp_path: Path) -> None:
    """Excel 97–2003 (.xls), read by calamine."""
    xls = _soffice(tmp_path, "xls:MS Excel 97")
    assert xls.suffix == ".xls"
    assert_real_figures(_cleaned(tmp_path, _raw_with(tmp_path, xls)))


def test_the_real_file_is_the_one_of_its_provenance() -> None:
    """The copy in tests/data/real is byte for byte the file of its provenance (no edits by a test or tool)."""
    import hashlib

    assert (
        hashlib.sha256(REAL.read_bytes()).hexdigest()
        == "db511d9b8e1ba3b57f40fa70485a2c416c3cbc004d5cefefd8087b5c65f21915"
    )


def test_a_label_spelled_otherwise_names_what_the_form_holds_and_the_yaml_entry(tmp_path: Path, monkeypatch) -> None:
    """A real 111 whose 办学类型 label is spelled differently: the message lists the labels the form holds and
    the YAML entry to add the spelling to; with that spelling added (LCEDU_LAYOUTS), it reads again."""
    from lcedu.ingest.clean import collect
    from lcedu.ingest.forms import load_scheme

    book = openpyxl.load_workbook(REAL)
    book["基础基111"]["D13"].value = "学校办学类型"
    copy = tmp_path / "renamed.xlsx"
    book.save(copy)
    raw = _raw_with(tmp_path, copy)
    errors = [i for i in collect(raw, partial=True).issues if i.level == "error"]
    assert len(errors) == 1, errors
    message = errors[0].message + errors[0].fix
    assert "学校（机构）办学类型" in message and "「学校办学类型」" in message, "what was sought, what is there"
    assert "jichuji_2018.yml" in message and "identity.fields.school_type.label" in message, "the YAML entry"
    local = tmp_path / "layouts"
    (local / "forms").mkdir(parents=True)
    text = Path(load_scheme("jichuji_2018").source).read_text(encoding="utf-8")
    text = text.replace(
        "label: [学校（机构）办学类型, 办学类型]", "label: [学校（机构）办学类型, 办学类型, 学校办学类型]"
    )
    (local / "forms" / "jichuji_2018.yml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("LCEDU_LAYOUTS", str(local))  # the CLI subprocess inherits it
    run = _lcedu("check", "--partial", "--raw", str(raw), "--reports", str(tmp_path / "reports"))
    assert run.returncode == 0, run.stdout + run.stderr


def test_attached_vocational_class_reads_under_the_code_the_real_111_prints() -> None:
    """The real 111 prints 附设中职班 over 368 (the reference says 369): both codes and the name mean 中职."""
    assert codes.lookup("attached_classes", "368") == "vocational"
    assert codes.lookup("attached_classes", "369") == "vocational"
    assert codes.lookup("attached_classes", "附设中职班") == "vocational"
    assert codes.lookup("attached_classes", "367") is None


def _quality_check(tmp_path: Path, raw: Path) -> tuple[subprocess.CompletedProcess, list[tuple]]:
    """`lcedu check --partial --quality` on the folder; its output and the send-back workbook's finding rows."""
    reports = tmp_path / "reports"
    run = _lcedu("check", "--partial", "--quality", "--raw", str(raw), "--reports", str(reports))
    rows = []
    for path in sorted((reports / "check" / "quality").rglob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets[1:]:  # the first sheet is 说明
            rows += [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] is not None]
    return run, rows


@pytest.mark.slow
def test_an_unbalanced_331_in_the_real_workbook_is_found_and_the_real_one_is_not(tmp_path: Path) -> None:
    """The real 331 balances (315 + 87 + 46 − 143 = 305, 转出 blank); 转入 keyed 58 instead of 46 breaks it:
    the review lists flow_balance for the school with 305 against 317, and `check` still passes."""
    run, rows = _quality_check(tmp_path / "real", _raw_with(tmp_path / "real", REAL))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "flow_balance" not in run.stdout, run.stdout
    assert not [row for row in rows if "331" in str(row[3])], rows

    book = openpyxl.load_workbook(REAL)
    assert book["基础基331"]["H5"].value == "转入" and book["基础基331"]["H7"].value == "46"
    book["基础基331"]["H7"].value = "58"
    edited = tmp_path / "edited" / REAL.name
    edited.parent.mkdir()
    book.save(edited)
    run, rows = _quality_check(tmp_path / "edited", _raw_with(tmp_path / "edited", edited))
    assert run.returncode == 0, "quality findings never fail the check\n" + run.stdout + run.stderr
    assert f"{SCHOOL} {SCHOOL_NAME}: flow_balance" in run.stdout, run.stdout
    found = [row for row in rows if row[0] == SCHOOL and "331表）平衡" in str(row[6])]
    assert len(found) == 1, rows
    assert (found[0][4], found[0][5]) == ("305", "= 317"), "填报值 本学年初 305; 315 + 87 + 58 − 143 = 317"
    assert "左边 left = 317，右边 right = 305" in found[0][8]
