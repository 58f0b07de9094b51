"""Shared fixtures and tiers: the embedded sample cleaned once per session into a temporary folder.

Every environment variable a fixture sets is restored when the fixture ends (pytest.MonkeyPatch).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from lcedu.build import write_build
from lcedu.ingest import store
from lcedu.ingest.clean import clean

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"


@pytest.fixture(scope="session", autouse=True)
def reports_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """What a check writes for the user (lcedu.paths.reports_dir) goes to a temp folder, not the checkout's reports/.

    LCEDU_REPORTS is restored when the session ends.
    """
    folder = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LCEDU_REPORTS", str(folder))
        yield folder


@pytest.fixture(scope="session")
def processed_sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The committed sample cleaned into a temp folder; LCEDU_PROCESSED points at it until the session ends."""
    out = tmp_path_factory.mktemp("processed")
    result = clean(RAW)
    write_build(result.tables, {"is_sample": True, "inputs": result.inputs}, out)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LCEDU_PROCESSED", str(out))
        yield out


@pytest.fixture(scope="session")
def sample_tables(processed_sample: Path) -> dict:
    """Every table of the cleaned sample's build (cleaned tables and result tables), by name."""
    names = [p.stem for p in store.current(processed_sample).glob("*.parquet")]
    return {n: store.load(n, processed_sample) for n in names}


def copy_county(tables: dict, source: str, target: str, prefix: str = "9") -> dict:
    """The tables with ``source``'s rows added again as county ``target``.

    School ids are made unique by replacing the first province digit, keeping the 2-digit category (a
    kindergarten 1153925012 and a primary school 2153925012 stay two schools: 1193925012, 2193925012).
    """
    out = {}
    for name, frame in tables.items():
        if "county_code" not in frame.columns:
            out[name] = frame
            continue
        rows = frame[frame["county_code"].astype(str) == source].copy()
        rows["county_code"] = target
        for column in ("school_id", "parent_school_id"):
            if column in rows.columns:
                rows[column] = (
                    rows[column]
                    .astype("string")
                    .map(lambda s: s if pd.isna(s) else str(s)[:2] + prefix + str(s)[3:], na_action="ignore")
                )
        # a category column (the planning tables' county_code) gains the new county as a category
        dtypes = {c: "category" if isinstance(t, pd.CategoricalDtype) else t for c, t in frame.dtypes.items()}
        out[name] = pd.concat([frame, rows], ignore_index=True).astype(dtypes)
    return out


@contextmanager
def build_as_processed(tables: dict, out: Path) -> Iterator[Path]:
    """``tables`` written as a build in ``out``, with LCEDU_PROCESSED pointing at it until the block ends."""
    write_build(tables, {"is_sample": True}, out)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LCEDU_PROCESSED", str(out))
        yield out


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` by relative path: what a test compares to prove nothing was written."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


#: Fixtures that clean the embedded sample: a test that needs one is an integration test.
_INTEGRATION_FIXTURES = {"processed_sample", "sample_tables", "notebook_dir"}
#: Fixtures that write a synthetic raw folder and clean it back (the round trips, a small province): seconds
#: each, so a test that needs one is ``slow``, left out of ``make test-unit``.
_SLOW_FIXTURES = {"roster_template", "jiaoji", "jichuji", "province_build", "truth", "two_years", "province_map"}
#: Tests that take seconds on their own (measured with --durations, 2 cores): whole map sets, the shapes
#: builder, property tests that run the whole engine dozens of times. ``make test`` runs them.
_SLOW_TESTS = {
    "tests/test_indicators.py::test_inclusive_coverage_is_never_below_the_public_share",
    "tests/test_indicators.py::test_city_aggregate_is_sum_of_numerators_over_sum_of_denominators",
    "tests/test_labels.py::test_the_number_and_the_sentence_agree_near_thresholds",
    "tests/test_maps.py::test_write_map_set_uses_deterministic_ascii_names",
    "tests/test_maps.py::test_labels_of_a_dense_prefecture_never_overlap_and_lincang_keeps_all_eight",
    "tests/test_maps.py::test_build_script_shortens_autonomous_county_names",
    "tests/test_shapes.py::test_shapes_command_rebuilds_the_shipped_yunnan_files",
    # added this session: a build's workbooks read back, the real export through the CLI, a filled template
    # checked, a writer killed mid-build, a scheduler that never answers
    "tests/test_export.py::test_workbooks_print_on_a4_and_show_numbers_as_read",
    "tests/test_real_export.py::test_without_cover_and_contents_and_named_after_the_school",
    "tests/test_real_export.py::test_the_real_workbook_reads_to_its_figures",
    "tests/test_real_export.py::test_a_label_spelled_otherwise_names_what_the_form_holds_and_the_yaml_entry",
    "tests/test_input_templates.py::test_a_filled_template_passes_check",
    "tests/test_storage.py::test_a_killed_writer_never_leaves_current_half_built",
    "tests/test_scheduler.py::test_the_cli_says_so_with_exit_2",
    "tests/test_scheduler.py::test_an_unreachable_scheduler_fails_within_the_connect_timeout",
    # issue 22 (fast checks): the province maps of 129 counties, the registry rebuilt from its pinned source,
    # the property tests of 100–200 examples each (the rest of test_standards stays in the unit tier)
    "tests/test_shapes.py::test_province_map_target_mode_and_prefecture_scope",
    "tests/test_shapes.py::test_write_scope_maps_names_files_by_indicator_year_and_scope",
    "tests/test_registry.py::test_shipped_registry_is_what_the_builder_makes_from_the_pinned_source",
    "tests/test_standards.py::test_weighted_mean_is_the_aggregate_ratio",
    "tests/test_standards.py::test_cv_is_scale_free",
    "tests/test_standards.py::test_identical_schools_have_zero_cv",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tier a test by the fixtures it needs, whatever file it is in (see the markers in pyproject.toml)."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if _INTEGRATION_FIXTURES & needs:
            item.add_marker(pytest.mark.integration)
        if _SLOW_FIXTURES & needs or item.nodeid.split("[")[0] in _SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
