"""A province-sized build: the synthetic province sample cleans, and its results carry prefecture and
province rows that add up; 临沧's 530900 rows do not change when other prefectures are added."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lcedu.ingest.counties import is_aggregate, prefecture_of
from lcedu.measure import indicators

YEARS = [2024, 2025]


def _sum_indicators() -> list[str]:
    """Indicators whose aggregate rows are sums of the county numerators and denominators."""
    reg = indicators.load_registry()
    return [code for code, i in reg.indicators.items()
            if i.level == "county" and i.city == "sum" and "numerator" in i.formula]


@pytest.fixture(scope="module")
def province_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """Two counties in each of two prefectures of the synthetic 云南, at a fifth of 临沧's density."""
    from lcedu.ingest.clean import clean
    from lcedu.measure.results import compute_results
    from lcedu.sample import generate, province_sample_counties

    everything = province_sample_counties("53")
    by_prefecture: dict[str, list] = {}
    for county in everything:
        by_prefecture.setdefault(prefecture_of(county.county_code), []).append(county)
    chosen = [c for prefecture in sorted(by_prefecture)[:2] for c in by_prefecture[prefecture][:2]]
    raw = tmp_path_factory.mktemp("province") / "raw"
    generate(raw, counties=chosen, years=YEARS, density=0.2)
    result = clean(raw)
    assert not result.errors, [i.format() for i in result.errors]
    return raw, result.tables, compute_results(result.tables)


def test_province_sample_is_marked_synthetic_and_uses_the_registry_counties(province_build):
    raw, tables, _ = province_build
    meta = json.loads((raw / "sample.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert "不是官方" in (raw / "README.md").read_text(encoding="utf-8")
    listed = pd.read_csv(raw / "counties.csv", dtype=str)
    assert sorted(tables["schools"]["county_code"].astype(str).unique()) == sorted(meta["counties"])
    assert set(listed["county_code"]) == set(meta["counties"])
    assert len(meta["prefectures"]) == 2
    # The same input formats as the 临沧 sample: 过录表 rosters per county and year, county sheets.
    assert len(list((raw / "rosters").rglob("*过录表*"))) == len(meta["counties"]) * len(YEARS)


def test_results_have_prefecture_and_province_rows_that_add_up(province_build):
    _, tables, results = province_build
    res = results["indicator_results"]
    codes = set(res["county_code"].astype(str))
    counties = sorted(c for c in codes if not is_aggregate(c))
    prefectures = sorted({prefecture_of(c) for c in counties})
    assert {c for c in codes if is_aggregate(c)} == {*prefectures, "530000"}
    frame = res.assign(county_code=res["county_code"].astype(str))
    checked = 0
    for code in _sum_indicators():
        rows = frame[(frame["indicator"] == code) & (frame["year"] == 2025)].set_index("county_code")
        if rows.loc[counties, "na_reason"].notna().any():
            continue
        for prefecture in prefectures:
            members = [c for c in counties if prefecture_of(c) == prefecture]
            for part in ("numerator", "denominator"):
                assert float(rows.at[prefecture, part]) == pytest.approx(float(rows.loc[members, part].sum()))
        for part in ("numerator", "denominator"):
            assert float(rows.at["530000", part]) == pytest.approx(float(rows.loc[prefectures, part].sum()))
        province = rows.loc["530000"]
        if float(province["denominator"]) > 0:
            factor = float(indicators.load_registry().indicators[code].formula.get("factor", 1))
            expected = float(province["numerator"]) / float(province["denominator"]) * factor
            cap = indicators.load_registry().indicators[code].formula.get("cap")
            assert float(province["value"]) == pytest.approx(min(expected, cap) if cap else expected)
        checked += 1
    assert checked >= 20
    # Pooled school counts add up too: schools meeting the 6-of-7 rule.
    share = frame[(frame["indicator"] == "primary_resource_standard_school_pct") & (frame["year"] == 2025)]
    share = share.set_index("county_code")
    assert float(share.at["530000", "denominator"]) == float(share.loc[counties, "denominator"].sum())
    # Scorecard, gaps and listings were computed for the build; no county target lands on an aggregate.
    card = results["scorecard"]
    own = card[card["target_scope"].isin(["county", "city_reference"])]
    assert not own["county_code"].astype(str).map(is_aggregate).any()
    gaps = results["preschool_gaps"]
    assert {*prefectures, "530000"} <= set(gaps["county_code"].astype(str))


def test_lincang_rows_unchanged_when_another_prefecture_is_added(sample_tables):
    """临沧 alone has only 530900 aggregate rows; adding a county of another prefecture changes none of them."""
    alone = indicators.compute(tables=sample_tables)
    assert sorted(c for c in alone["county_code"].unique() if is_aggregate(c)) == ["530900"]
    extra = _copy_county(sample_tables, "530925", "530102")
    both = indicators.compute(tables=extra)
    lincang = both[both["county_code"] == "530900"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone[alone["county_code"] == "530900"].reset_index(drop=True), lincang,
                                  check_exact=True)
    assert {"530100", "530000"} <= set(both["county_code"])
    rows = both[(both["indicator"] == "preschool_gross_enrollment_pct") & (both["year"] == 2025)].set_index(
        "county_code")
    assert float(rows.at["530000", "numerator"]) == float(rows.at["530900", "numerator"]) + float(
        rows.at["530102", "numerator"])
    # The copied county is its prefecture: the same numbers as the county it was copied from.
    assert float(rows.at["530100", "value"]) == float(rows.at["530925", "value"])


def _copy_county(tables: dict, source: str, target: str) -> dict:
    """The tables with ``source``'s rows added again as county ``target`` (school ids made unique)."""
    out = {}
    for name, frame in tables.items():
        if "county_code" not in frame.columns:
            out[name] = frame
            continue
        rows = frame[frame["county_code"].astype(str) == source].copy()
        rows["county_code"] = target
        for column in ("school_id", "parent_school_id"):
            if column in rows.columns:
                rows[column] = rows[column].astype("string").map(
                    lambda s: s if pd.isna(s) else "9" + str(s)[1:], na_action="ignore")
        out[name] = pd.concat([frame, rows.astype(frame.dtypes.to_dict())], ignore_index=True)
    return out
