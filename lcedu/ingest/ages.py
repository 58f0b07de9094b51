"""Census age groups read as ages: a group's label parsed, groups graduated to single years of age.

Shared by the projection model (:mod:`lcedu.measure.cohort`) and the sample's census writer, which must give
the same single years the model reads back, so it lives with the inputs, below both.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.interpolate import PchipInterpolator

from lcedu.errors import RequestError

_GROUP = re.compile(r"^\s*(\d+)\s*(?:岁)?\s*(?:(?:-|–|—|~|到|至)\s*(\d+)\s*岁?|(\+|岁?及以上|岁?以上))?\s*$")


def parse_age_group(text: str) -> tuple[int, int | None]:
    """'0' → (0, 1); '1-4' → (1, 5); '85+' or '85岁及以上' → (85, None): first age and the age after the band."""
    m = _GROUP.match(str(text))
    if not m:
        raise RequestError(
            f"年龄组「{text}」无法识别 / age group not understood",
            "年龄组写作单岁 0、五岁组 1-4、5-9 … 或开口组 85+ / write 0, 1-4, 5-9 … 85+",
        )
    first = int(m.group(1))
    if m.group(3):
        return first, None
    return first, (int(m.group(2)) + 1 if m.group(2) else first + 1)


def graduate(counts: pd.DataFrame) -> pd.DataFrame:
    """Single years of age from age groups: ``county_code, year, sex, age_group, population`` in,
    ``county_code, year, sex, age, population`` out (the open group stays one row at its first age).

    A monotone (PCHIP) spline through the cumulative counts at the band edges keeps every band's total and
    never gives a negative count, for any mix of single years, five-year bands and one open group.
    """
    groups = counts["age_group"].astype(str)
    parsed = {g: parse_age_group(g) for g in groups.unique()}
    frame = counts.assign(
        age_group=groups, first=groups.map(lambda g: parsed[g][0]), after=groups.map(lambda g: parsed[g][1])
    )
    keys, ages_out, values = [], [], []
    for (county, year, sex), g in frame.groupby(["county_code", "year", "sex"], sort=True):
        g = g.sort_values("first")
        closed, open_ = g[g["after"].notna()], g[g["after"].isna()]
        edges = np.r_[closed["first"].to_numpy(int), int(closed["after"].iloc[-1])]
        if not (np.array_equal(edges[1:-1], closed["after"].to_numpy(int)[:-1]) and edges[0] == 0) or len(open_) > 1:
            raise RequestError(
                f"普查人口 {county} {year} {sex}: 年龄组不连续或重叠 / age groups with gaps or overlaps: "
                f"{', '.join(g['age_group'])}",
                "年龄组应从0岁开始、首尾相接，最多一个开口组 / groups must star"
                "t at 0, follow each other, one open group",
            )
        cumulative = np.r_[0.0, np.cumsum(closed["population"].to_numpy(float))]
        single = np.diff(PchipInterpolator(edges, cumulative)(np.arange(edges[-1] + 1)))
        population = np.r_[np.clip(single, 0, None), open_["population"].to_numpy(float)]
        keys.append((county, year, sex, len(population)))
        ages_out.append(np.arange(len(population)))
        values.append(population)
    sizes = [k[3] for k in keys]
    return pd.DataFrame(
        {
            "county_code": np.repeat([k[0] for k in keys], sizes),
            "year": np.repeat([k[1] for k in keys], sizes),
            "sex": np.repeat([k[2] for k in keys], sizes),
            "age": np.concatenate(ages_out),
            "population": np.concatenate(values),
        }
    )
