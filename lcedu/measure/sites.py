"""The 教学点 sites joined to their parent schools: the statistics' parent-school rule, applied once.

A site (是否计校数 = 0, with a 原校点) is not a school of its own: its students, teachers and rooms count
in its parent school. :func:`site_links` finds the sites, :func:`join_sites` adds their figures to the
parents', :func:`site_join` does both once for a caller that needs the result twice (the resource
indicators and the school sizes of one evaluation). Hebei's option in the standards turns the rule off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lcedu.measure import standards as std
from lcedu.measure.keys import key_codes, key_positions

__all__ = ["SiteJoin", "join_sites", "site_join", "site_links"]


def site_links(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per 教学点 site and year (是否计校数 = 0 with a 原校点): school_id, year, parent_school_id.

    Built without a Python loop (a national table has hundreds of thousands of sites); a site
    listed twice in a year keeps its last parent.
    """
    columns = ["school_id", "year", "parent_school_id"]
    schools = tables.get("schools")
    if schools is None or not {"is_counted_school", "parent_school_id"} <= set(schools.columns):
        return pd.DataFrame(
            {
                "school_id": pd.Series([], dtype=str),
                "year": pd.Series([], dtype="int64"),
                "parent_school_id": pd.Series([], dtype=str),
            }
        )
    is_site = schools["is_counted_school"].eq(False).to_numpy(dtype=bool, na_value=False)
    sites = schools.loc[is_site & schools["parent_school_id"].notna().to_numpy(), columns]
    sites = sites.assign(
        school_id=sites["school_id"].astype(str),
        year=sites["year"].to_numpy(dtype="int64"),
        parent_school_id=sites["parent_school_id"].astype(str),
    )
    return sites.drop_duplicates(["school_id", "year"], keep="last").reset_index(drop=True)


def join_sites(tables: Mapping[str, pd.DataFrame], links: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """enrollment, teachers and facilities with each site's figures added to its parent school's.

    The parent-school rule of the statistics (是否计校数 = 0): a site's students, teachers and
    rooms are the parent's for the school-level figures. A missing figure of a site makes the
    parent's sum missing (NA), never a smaller sum. The site keeps its own rows too, so it can
    be listed as joined. ``links``: :func:`site_links`. Inputs are not modified.
    """
    out = dict(tables)
    if not len(links):
        return out
    for table, keys in (
        ("enrollment", ["school_id", "year", "stage"]),
        ("teachers", ["school_id", "year", "stage"]),
        ("facilities", ["school_id", "year"]),
    ):
        df = tables.get(table)
        if df is None or not len(df):
            continue
        # A lookup of (school_id, year) among the sites by integer codes: a national table has millions of rows.
        position = key_positions(df, links, ["school_id", "year"])
        is_site = position >= 0
        if not is_site.any():
            continue
        site_rows = df[is_site]
        moved = site_rows.assign(school_id=links["parent_school_id"].to_numpy(dtype=object)[position[is_site]])
        school, parent = key_codes([df[["school_id"]], moved[["school_id"]]], ["school_id"])
        involved = np.isin(school, parent) & ~is_site
        pool = pd.concat([df[involved], moved], ignore_index=True)
        numeric = [
            c
            for c in pool.columns
            if c not in keys and pd.api.types.is_numeric_dtype(pool[c]) and not pd.api.types.is_bool_dtype(pool[c])
        ]
        grouped = pool.groupby(keys, sort=False, dropna=False)
        sums = (
            grouped[numeric]
            .sum(min_count=1)
            .mask(pool[numeric].isna().groupby([pool[k] for k in keys], sort=False, dropna=False).any())
        )
        rest = grouped[[c for c in pool.columns if c not in keys and c not in numeric]].first()
        merged = sums.join(rest).reset_index()[list(df.columns)]
        out[table] = pd.concat([df[~involved], merged], ignore_index=True)
    return out


@dataclass(frozen=True)
class SiteJoin:
    """The 教学点 sites of a set of tables (:func:`site_links`) and the tables with the sites' figures
    added to their parent schools' (:func:`join_sites`); no sites under Hebei's option."""

    links: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]


def site_join(
    tables: Mapping[str, pd.DataFrame],
    standards: Mapping[str, Any] | None = None,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> SiteJoin:
    """The parent-school rule applied once: a caller that needs it twice (the resource indicators and the
    school sizes of one evaluation) passes this on instead of joining a national table again.

    ``columns``: per table, the only columns (besides the keys) the caller reads; the others are left
    out of the joined table instead of being summed for millions of rows nobody looks at.
    """
    links = site_links(tables) if std.sites_join_parent(standards) else site_links({})
    if columns is not None:
        tables = {
            name: df[
                [c for c in df.columns if c in ("school_id", "year", "stage", "county_code") or c in columns[name]]
            ]
            if name in columns
            else df
            for name, df in tables.items()
        }
    return SiteJoin(links, join_sites(tables, links) if len(links) else dict(tables))
