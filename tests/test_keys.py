"""The integer-code joins of lcedu.measure.keys give what the pandas joins they replace give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcedu.measure import keys


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = pd.DataFrame(
        {
            "school_id": pd.array(["s1", "s2", "s3", "s1", None, "s9"], dtype="str"),
            "year": np.array([2023, 2023, 2023, 2024, 2023, 2024], dtype="int64"),
            "stage": pd.array(["primary", "junior", "primary", "primary", "primary", "junior"], dtype="str"),
            "student_count": pd.array([10, 20, None, 12, 5, 7], dtype="Int64"),
        }
    )
    schools = pd.DataFrame(
        {
            # s1/2023 twice: the first row wins, as with drop_duplicates before a join
            "school_id": pd.array(["s1", "s1", "s2", "s3", "s1", None], dtype="str"),
            "year": np.array([2023, 2023, 2023, 2023, 2024, 2023], dtype="int64"),
            "school_type": pd.array(["primary", "junior", "junior", None, "primary", "primary"], dtype="string"),
            "is_public": pd.array([True, False, True, None, True, False], dtype="boolean"),
            "opened_year": pd.array([1990, 1991, None, 2001, 1990, 2010], dtype="Int64"),
        }
    )
    return rows, schools


def test_joined_equals_the_pandas_join() -> None:
    rows, schools = _frames()
    columns = ["school_type", "is_public", "opened_year"]
    expected = rows.join(
        schools.drop_duplicates(["school_id", "year"]).set_index(["school_id", "year"])[columns],
        on=["school_id", "year"],
    )
    pd.testing.assert_frame_equal(
        keys.joined(rows, schools, ["school_id", "year"], columns), expected, check_exact=True
    )
    # s9/2024 has no school: NA, as a left join leaves it
    assert keys.joined(rows, schools, ["school_id", "year"], columns)["school_type"].isna().iloc[5]


def test_positions_first_match_and_misses() -> None:
    rows, schools = _frames()
    positions = keys.key_positions(rows, schools, ["school_id", "year"])
    assert positions.tolist() == [0, 2, 3, 4, 5, -1]
    assert keys.key_positions(rows, schools.iloc[:0], ["school_id", "year"]).tolist() == [-1] * len(rows)
    assert keys.first_match(np.array([3, 1, 7]), np.array([1, 3, 3])).tolist() == [1, 0, -1]


def test_take_values_fills_misses_even_from_nothing() -> None:
    assert keys.take_values(np.array([1.5, 2.5]), np.array([1, -1, 0]), 0.0).tolist() == [2.5, 0.0, 1.5]
    assert keys.take_values(np.array([], dtype=object), np.array([-1, -1]), None).tolist() == [None, None]


@pytest.mark.parametrize("key", [["school_id"], ["school_id", "year"], ["school_id", "year", "stage"]])
def test_codes_equal_exactly_when_keys_equal(key: list[str]) -> None:
    rows, schools = _frames()
    left, right = keys.key_codes([rows, schools.assign(stage="primary")], key)
    both = pd.concat([rows[key], schools.assign(stage="primary")[key]], ignore_index=True)
    codes = np.concatenate([left, right])
    as_tuples = [tuple(r) for r in both.astype(object).where(both.notna(), None).itertuples(index=False)]
    for i in range(len(codes)):
        for j in range(len(codes)):
            assert (codes[i] == codes[j]) == (as_tuples[i] == as_tuples[j])
