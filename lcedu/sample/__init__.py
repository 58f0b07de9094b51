"""The embedded synthetic sample: truth tables first, then the messy files written from them."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from lcedu.ingest.forms import load_scheme
from lcedu.sample import births as sample_births
from lcedu.sample.errors import inject
from lcedu.sample.forms import write_forms
from lcedu.sample.messy import write_raw
from lcedu.sample.truth import (
    County,
    build_truth,
    lincang_counties,
    province_counties,
    province_sample_counties,
)

DEFAULT_YEARS = [2022, 2023, 2024, 2025]
DEFAULT_SEED = 2023
# Two county-years arrive as GB18030 CSV exports instead of workbooks.
LINCANG_CSV_EXPORTS = {("530923", 2023), ("530924", 2025)}
# One county-year also arrives as complete per-school 教基 workbooks (the same schools as its roster:
# the two inputs must agree), and one county's 2020 baseline-scheme forms are left out: the sample's
# years all fall in the 教基 period.
LINCANG_FORMS = ("530925", 2025, "jiaoji_2021")


#: How a province sample's county sizes are set (stated in its sample.json and README).
PROVINCE_RULE = (
    "each county is a scaled copy (x0.5-1.6, at random) of one of Lincang's 8 counties (2020 census age "
    "structure); the scales are normalised to the province's 2020 census population where "
    "calibration.yml gives it; schools per resident as in Lincang, times the density"
)


def province_readme(counties: list[County], years: list[int], density: float, seed: int) -> str:
    """The README of a province sample's raw folder: what it is, that it is synthetic, how it was made."""
    prefectures = sorted({c.county_code[:4] for c in counties})
    return (
        "# 合成省级样例 / synthetic province sample\n\n"
        "> **本目录中的数据是 lcedu 生成的合成样例，不是官方统计数据。** 县代码和县名取自 lcedu 的县级区划登记表，"
        "学校、学生、教师和设施均为生成。\n"
        "> The files here are a **synthetic sample** written by `lcedu sample --province`. County codes and names come "
        "from lcedu's registry of county-level divisions; every school, student, teacher and facility is generated. "
        "They are **not official data**.\n\n"
        f"- {len(counties)} 县(区) counties in {len(prefectures)} 州(市) prefectures, years {years[0]}–{years[-1]}, "
        f"seed {seed}, density {density:g}\n"
        f"- county sizes: {PROVINCE_RULE}\n"
        "- the files are in the same formats as the 临沧 sample (`rosters/<学年>/` 过录表, "
        "`local/<学年>/学校补充信息.xlsx`, "
        "`county/` 人口与台账); `counties.csv` lists the counties\n\n"
        "`lcedu clean --raw THIS_FOLDER --out DIR` turns them into tables with county, prefecture and province rows.\n"
    )


def is_lincang_sample(counties: list[County]) -> bool:
    """Whether these are 临沧's eight counties (the sample with CSV exports, forms and city files)."""
    return {c.county_code for c in counties} == {c.county_code for c in lincang_counties()}


def flows_reported(counties: list[County]) -> set[tuple[str, int]]:
    """The county-years whose input carries table 331: the forms county-year, if its scheme has 331.

    Rosters have no 331, so a 331 error anywhere else would be stated in sample.json and found by nothing.
    """
    county, year, scheme = LINCANG_FORMS
    has_331 = "student_flows" in load_scheme(scheme).details
    return {(county, year)} if is_lincang_sample(counties) and has_331 else set()


def sample_truth(
    counties: list[County],
    years: list[int],
    seed: int,
    *,
    density: float = 1.0,
    with_city: bool = True,
    flows_in: set[tuple[str, int]] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """The truth the sample's files are written from: the designed tables with the reporting errors of
    :mod:`lcedu.sample.errors` put in, and the list of those errors (stated in sample.json).

    ``flows_in``: the county-years treated as reporting table 331; by default those whose written input
    does (:func:`flows_reported`), as in the committed sample.
    """
    truth = build_truth(counties, years, seed, density=density, with_city=with_city)
    return inject(truth, seed, flows_reported(counties) if flows_in is None else flows_in)


def generate(
    out_dir: Path,
    *,
    counties: list[County] | None = None,
    years: list[int] | None = None,
    seed: int = DEFAULT_SEED,
    density: float = 1.0,
) -> dict[str, pd.DataFrame]:
    """Write the sample's raw files into ``out_dir`` (replacing what was there) and return its truth.

    The files are first written to a temporary folder and moved in place at the end, so an
    interrupted run never leaves a half-written sample.
    """
    counties = counties or lincang_counties()
    years = years or DEFAULT_YEARS
    is_lincang = is_lincang_sample(counties)
    truth, injected = sample_truth(counties, years, seed, density=density, with_city=is_lincang)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sample-", dir=out_dir.parent))
    csv_exports = LINCANG_CSV_EXPORTS if is_lincang else {(counties[0].county_code, years[-1])}
    write_raw(truth, counties, staging, seed, csv_exports=csv_exports)
    sample_births.write_population_inputs(counties, staging, seed)
    if is_lincang:
        county, year, scheme = LINCANG_FORMS
        write_forms(truth, staging, county, year, scheme, seed)
    if not is_lincang:
        pd.DataFrame(
            [
                {
                    "county_code": c.county_code,
                    "name_zh": c.name_zh,
                    "short_name_zh": c.short_name_zh,
                    "prefecture_code": c.county_code[:4] + "00",
                }
                for c in counties
            ]
        ).to_csv(staging / "counties.csv", index=False)
    prefectures = sorted({c.county_code[:4] + "00" for c in counties})
    (staging / "sample.json").write_text(
        json.dumps(
            {
                "synthetic": True,
                "note": "合成样例数据，不是官方统计 / synthetic sample, not official data",
                "calibrated_to": "各县2020年人口普查总人口和年龄段（按年趋势推算）；各类学校数按人口比例分摊全市校数 / "
                "each county's 2020 census population and age bands (moved by a yearly trend); school "
                "counts by type shared out by population",
                "not_calibrated": "在校生按设计的毛入学率生成，教师按评估设计生成，"
                "均不对应2020年全市总数（在校生484,913人、"
                "专任教师27,083人）；样例没有2020年 / students follow designed gross ratios and teachers the "
                "assessment designs: neither matches the 2020 city totals; the sample has no 2020 year",
                "seed": seed,
                "years": years,
                "density": density,
                "counties": [c.county_code for c in counties],
                "prefectures": prefectures,
                "calibration": "lcedu/sample/calibration.yml" + ("" if is_lincang else f"; {PROVINCE_RULE}"),
                "injected_errors_note": "为数据质量审核有意加入的填报错误（lcedu/sample/errors.py），"
                "check 为应发现它的审核规则 / "
                "reporting errors put in on purpose for the data-quality review; check names the rule that finds each",
                "injected_errors": injected,
                "projection_inputs": sample_births.NOTE,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    readme = out_dir / "README.md"
    if not is_lincang:
        (staging / "README.md").write_text(province_readme(counties, years, density, seed), encoding="utf-8")
    elif readme.exists():
        shutil.copy2(readme, staging / "README.md")
    if out_dir.exists():
        backup = out_dir.with_name(out_dir.name + ".old")
        out_dir.rename(backup)
        staging.rename(out_dir)
        shutil.rmtree(backup)
    else:
        staging.rename(out_dir)
    return truth


__all__ = [
    "generate",
    "sample_truth",
    "build_truth",
    "lincang_counties",
    "province_counties",
    "province_sample_counties",
    "County",
]
