"""The sample's projection inputs: census population by age and sex, and births 2010–2025 per county.

Calibrated: 临沧's census (2010 and 2020, each county by sex and age group, ``lcedu/data/lincang_census_age_sex.csv``,
real). Designed: births. Those of 2010–2020 are the 2020 census children traced back to their birth year (the
census age graduated to single years, divided by survival; no migration below 15, a 2 % record noise), so the
births agree with the census ages 0–10; those of 2021–2025 follow 云南's year-on-year change of births (44万 2021,
38.2万 2022, 38.5万 2023, 40.2万 2024; 2021 and 2025 designed) with a county noise. A province sample's county
copies the census and births of the 临沧 county it is modelled on, scaled to its population.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from lcedu import paths
from lcedu.ingest.ages import graduate, parse_age_group
from lcedu.sample.truth import County, calibration, lincang_counties

BIRTH_YEARS = range(2010, 2026)
#: Year-on-year change of births after 2020: 云南 2022–2024 from its published births (shared reference
#: projections.md §3); 2021 and 2025 designed.
BIRTH_CHANGE = {2021: 0.90, 2022: 0.868, 2023: 1.008, 2024: 1.044, 2025: 0.97}
#: Who counted the births (designed): 公安 户籍 before 2016, 卫健委 出生医学证明 since; one county's 统计局 series.
STATISTICS_COUNTY = "530927"
CENSUS_FILE = "人口普查分年龄性别人口.xlsx"
BIRTHS_FILE = "出生人口.xlsx"
NOTE = {
    "calibrated": (
        "人口普查分年龄性别人口：临沧8县(区) 2010、2020年普查（真实，leiii/census 分县资料）/ census by age and "
        "sex: 临沧's real 2010 and 2020 county census"
    ),
    "designed": "出生人口 2010–2020 由2020年普查0–10岁人口按存活率回推（无迁移，±2%记录误差），2021–2025 按云南出生数的"
    "年变化（2021、2025为设计值）加县级扰动；来源列为设计 / births designed: 2010–2020 traced back from the 2020 "
    "census ages 0–10, 2021–2025 following 云南's yearly change; the source column is designed",
}


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, "births", *parts))).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def census(counties: list[County]) -> pd.DataFrame:
    """Census rows (county_code, census_year, age_group, sex, population) for the sample's counties."""
    real = pd.read_csv(paths.package_file("data", "lincang_census_age_sex.csv"), dtype={"county_code": str})
    models = {c.county_code: c for c in lincang_counties()}
    parts = []
    for i, county in enumerate(counties):
        if county.county_code in models:
            parts.append(real[real["county_code"] == county.county_code])
            continue
        number = int(county.extra.get("id_number", i + 1)) - 1
        model = list(models.values())[number % len(models)]
        rows = real[real["county_code"] == model.county_code]
        scale = county.pop2020 / model.pop2020
        parts.append(rows.assign(county_code=county.county_code, population=(rows["population"] * scale).round()))
    return pd.concat(parts, ignore_index=True).astype({"population": int})


def child_mortality(max_age: int) -> np.ndarray:
    """q(a) for ages 0..max_age, as calibration.yml's ``child_mortality`` states it (the projection's own
    schedule, so the births traced back from the census are those the projection ages forward)."""
    q = np.zeros(max_age + 1)
    for first, last, value in calibration()["child_mortality"]:
        q[first : min(last, max_age) + 1] = value
    return q


def births(counties: list[County], seed: int, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Births 2010–2025 per county (county_code, year, birth_count, source), consistent with census ages 0–10."""
    frame = census(counties) if frame is None else frame
    latest = frame[frame["census_year"] == frame["census_year"].max()].rename(columns={"census_year": "year"})
    single = graduate(latest).groupby(["county_code", "age"])["population"].sum()
    q = child_mortality(20)
    survival = (1 - q[0] / 2) * np.r_[1.0, np.cumprod(1 - q[:20])]  # birth to age a, as the projection ages them
    rows = []
    for county in counties:
        rng = _rng(seed, county.county_code)
        by_year = {}
        for year in range(BIRTH_YEARS.start, 2021):
            age = 2020 - year
            by_year[year] = single[(county.county_code, age)] / survival[age] * rng.normal(1, 0.02)
        for year in range(2021, BIRTH_YEARS.stop):
            by_year[year] = by_year[year - 1] * BIRTH_CHANGE[year] * rng.uniform(0.97, 1.03)
        for year, value in by_year.items():
            source = "统计局" if county.county_code == STATISTICS_COUNTY else ("公安" if year < 2016 else "卫健委")
            rows.append((county.county_code, year, int(round(value)), source))
    return pd.DataFrame(rows, columns=["county_code", "year", "birth_count", "source"])


def write_population_inputs(counties: list[County], out_dir: Path, seed: int) -> dict[str, pd.DataFrame]:
    """Write ``population/人口普查分年龄性别人口.xlsx`` and ``population/出生人口.xlsx``; return both as frames."""
    folder = Path(out_dir) / "population"
    folder.mkdir(parents=True, exist_ok=True)
    frame = census(counties)
    names = {c.county_code: c.name_zh for c in counties}
    wide = frame.pivot_table(
        index=["county_code", "census_year", "age_group"], columns="sex", values="population", aggfunc="sum"
    ).reset_index()
    wide["_order"] = wide["age_group"].map(lambda g: parse_age_group(g)[0])
    wide = wide.sort_values(["census_year", "county_code", "_order"])
    label = wide["age_group"].map(lambda g: f"{g[:-1]}岁及以上" if g.endswith("+") else f"{g}岁")
    _write(
        folder / CENSUS_FILE,
        "分年龄性别人口",
        ["县(区)", "普查年份", "年龄", "男", "女"],
        zip(
            wide["county_code"].map(names),
            wide["census_year"],
            label,
            wide["male"].astype(int),
            wide["female"].astype(int),
            strict=True,
        ),
    )
    born = births(counties, seed, frame)
    _write(
        folder / BIRTHS_FILE,
        "出生人口",
        ["县(区)", "年份", "出生人口数", "来源"],
        zip(born["county_code"].map(names), born["year"], born["birth_count"], born["source"], strict=True),
    )
    return {"census": frame, "births": born}


def _write(path: Path, sheet: str, header: list[str], rows) -> None:
    """A plain one-header sheet; fixed properties so `lcedu sample` rewrites byte-identical files."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties(
        {
            "title": path.stem,
            "author": "lcedu sample",
            "comments": "合成样例数据，非官方统计 / synthetic sample, not official statistics",
            "created": datetime(2026, 1, 1),
        }
    )
    ws = wb.add_worksheet(sheet)
    ws.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        ws.write_row(i, 0, [v.item() if hasattr(v, "item") else v for v in row])
    wb.close()
