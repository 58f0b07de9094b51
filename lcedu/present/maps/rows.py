"""Row selection: the county rows of a results table (``county_code, year, indicator, value``) that a map draws,
totals left out."""

from __future__ import annotations

import pandas as pd

from lcedu.ingest.counties import is_aggregate

KEY_COLUMNS = ("county_code", "year", "indicator")


def county_rows(data: pd.DataFrame, value_col: str = "value") -> pd.DataFrame:
    """Rows for counties only: prefecture and province totals are left out, by the registry's
    word (东莞 441900 is a county although its code ends in 00, like 临沧市's 530900 total)."""
    missing = {*KEY_COLUMNS, value_col} - set(data.columns)
    if missing:
        raise ValueError(f"data lacks columns {sorted(missing)}")
    codes = data["county_code"].astype(str)
    totals = {code: is_aggregate(code) for code in codes.unique()}
    return data.assign(county_code=codes).loc[~codes.map(totals).astype(bool)]


def resolve_indicator(data: pd.DataFrame, indicator: str | None) -> str:
    if indicator is not None:
        return indicator
    indicators = data["indicator"].dropna().unique()
    if len(indicators) != 1:
        raise ValueError(f"data holds {len(indicators)} indicators; pass indicator=")
    return str(indicators[0])


def resolve_year(data: pd.DataFrame, indicator: str, year: int | None) -> int:
    if year is not None:
        return int(year)
    years = data.loc[data["indicator"] == indicator, "year"].dropna()
    if years.empty:
        raise ValueError(f"no rows for indicator {indicator!r}")
    return int(years.max())


def indicator_values(data: pd.DataFrame, indicator: str, year: int, value_col: str = "value") -> pd.Series:
    """One float per county for one indicator and year (NaN where the value is missing)."""
    rows = county_rows(data, value_col)
    rows = rows.loc[(rows["indicator"] == indicator) & (rows["year"] == year)]
    duplicated = rows["county_code"][rows["county_code"].duplicated()]
    if not duplicated.empty:
        raise ValueError(f"several rows for {indicator} {year}: {sorted(set(duplicated))}")
    values = pd.to_numeric(rows.set_index("county_code")[value_col]).astype(float)
    return values.rename(indicator)


def indicator_values_all_years(data: pd.DataFrame, indicator: str, value_col: str = "value") -> pd.Series:
    """Every county-year value of one indicator, the population that fixed breaks describe."""
    rows = county_rows(data, value_col)
    return pd.to_numeric(rows.loc[rows["indicator"] == indicator, value_col]).astype(float)


def is_synthetic(data: pd.DataFrame, synthetic: bool | None) -> bool:
    """The sample generator marks its tables with ``DataFrame.attrs['synthetic'] = True``."""
    return bool(data.attrs.get("synthetic", False)) if synthetic is None else synthetic
