"""The projections page: pyramids then and now, fans of first-grade intake and of each 学段, peak years,
the map of change in school-age population, the schools with their projected pupils and bands, and the
back-test that made the bands. Only formats the stored projection tables (lcedu.measure.projections).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcedu.home import CITY_CODE, HOME
from lcedu.ingest import counties, store
from lcedu.measure import cohort
from lcedu.measure.projections import METHODS, STAGES, scenarios, stored_projections
from lcedu.present import maps
from lcedu.present.briefing import Section
from lcedu.present.charts import COLOURS
from lcedu.present.fonts import use_cjk_font
from lcedu.present.narrative import place_name, year_label

TEXT = {
    "zh": {
        "title": "学龄人口与在校生预测",
        "stage": {
            "kindergarten": "学前（在园）",
            "primary": "小学",
            "junior": "初中",
            "senior": "高中",
            "primary_grade1": "小学一年级",
        },
        "intake": "小学一年级招生",
        "actual": "实际",
        "band": "{method}区间（回测绝对误差第{pct}百分位）",
        "pupils": "人",
        "pyramid": "0–18岁人口（男｜女）",
        "male": "男",
        "female": "女",
        "census": "{year}年普查",
        "projected": "{year}（{scenario}推算）",
        "peak": "各学段峰值年份（{scenario}，{method}）",
        "peak_cols": ["学段", "起点", "峰值年份", "峰值", "2030", "{horizon}", "较起点变化%"],
        "map_label": "3–17岁人口",
        "map_source": "数据：lcedu 学龄人口预测（队列要素法，中方案）",
        "schools": "学校在校生预测（{scenario}，{method}；区间来自回测误差）",
        "school_cols": ["学校", "学段", "规模档", "起点", "2030", "2030区间", "{horizon}", "{horizon}区间", "提示"],
        "below": "低于{n}人",
        "city_schools": "各县(区)预计低于100人、50人的学校数（{year}，{scenario}）",
        "city_cols": ["县(区)", "学校学段数", "<100人", "<50人"],
        "backtest": "回测：从较早年份起算、与后来实际相比的误差",
        "backtest_cols": ["方法", "层级", "学段", "规模档", "预测年距", "个数", "MAPE%", "MdAPE%", "偏差%"],
        "default": "默认方法为回测县级误差最小的「{method}」；其余方法可用 `lcedu project --method` 选用。",
        "entry": "入学比（一年级招生 ÷ 6年前出生数）",
        "entry_cols": ["县(区)", "入学比水平", "年趋势", "6岁人口入学率", "学龄人口年净迁移率%", "迁移估计"],
        "synthetic": "> **⚠ 合成样例数据，非官方统计。**",
        "method_names": {
            "births_ratio": "出生数×入学比",
            "births_ratio_trend": "出生数×入学比（趋势）",
            "population_rate": "6岁人口×入学率",
            "intake_smoothing": "招生平滑",
        },
    },
    "en": {
        "title": "School-age population and enrollment projections",
        "stage": {
            "kindergarten": "Kindergarten",
            "primary": "Primary",
            "junior": "Junior secondary",
            "senior": "Senior secondary",
            "primary_grade1": "Primary grade 1",
        },
        "intake": "Primary grade-1 intake",
        "actual": "actual",
        "band": "{method} band ({pct}th percentile of back-test absolute errors)",
        "pupils": "pupils",
        "pyramid": "Population aged 0–18 (male | female)",
        "male": "male",
        "female": "female",
        "census": "census {year}",
        "projected": "{year} ({scenario})",
        "peak": "Peak year of each stage ({scenario}, {method})",
        "peak_cols": ["stage", "launch", "peak year", "peak", "2030", "{horizon}", "change since launch %"],
        "map_label": "population aged 3–17",
        "map_source": "Data: lcedu school-age projection (cohort-component, medium)",
        "schools": "Projected pupils per school ({scenario}, {method}; bands from the back-test errors)",
        "school_cols": [
            "school",
            "stage",
            "size band",
            "launch",
            "2030",
            "2030 band",
            "{horizon}",
            "{horizon} band",
            "flag",
        ],
        "below": "below {n}",
        "city_schools": "Schools projected below 100 and 50 pupils by county ({year}, {scenario})",
        "city_cols": ["county", "school stages", "<100", "<50"],
        "backtest": "Back-test: errors of projections launched from earlier years against the later actual years",
        "backtest_cols": ["method", "level", "stage", "size band", "lead (years)", "n", "MAPE %", "MdAPE %", "bias %"],
        "default": "The default method is “{method}”, the lowest county-level back-test error; the others are "
        "selectable with `lcedu project --method`.",
        "entry": "Entry ratio (grade-1 intake ÷ births six years earlier)",
        "entry_cols": [
            "county",
            "entry ratio level",
            "trend per year",
            "rate on age 6",
            "net migration % a year",
            "migration from",
        ],
        "synthetic": "> **⚠ Synthetic sample data (合成样例数据), not official statistics.**",
        "method_names": {
            "births_ratio": "births × entry ratio",
            "births_ratio_trend": "births × entry ratio (trend)",
            "population_rate": "age-6 population × rate",
            "intake_smoothing": "smoothed intake",
        },
    },
}


@dataclass(frozen=True)
class View:
    """One page's scope: a county (or the city), language, method, and the stored tables it formats."""

    county: str
    lang: str
    method: str
    tables: dict
    synthetic: bool

    @property
    def is_city(self) -> bool:
        return self.county == CITY_CODE

    @property
    def codes(self) -> list[str]:
        known = sorted(self.tables["projection_entry_ratios"]["county_code"].astype(str).unique())
        return known if self.is_city else [self.county]

    @property
    def launch_year(self) -> int:
        return int(self.tables["projections"]["launch_year"].max())

    @property
    def horizon(self) -> int:
        return int(self.tables["projections"]["year"].max())

    def text(self, key: str) -> Any:
        return TEXT[self.lang][key]

    def method_name(self, method: str | None = None) -> str:
        return self.text("method_names")[method or self.method]

    def scenario_name(self, name: str) -> str:
        spec = scenarios()["scenarios"][name]
        return spec["label_zh"] if self.lang == "zh" else spec["label_en"]


def view(county: object, lang: str = "zh", method: str | None = None, processed_dir: str | None = None) -> View:
    """Resolve the page's parameters (a county code or name, or 530900 / 临沧市 for the city)."""
    if lang not in TEXT:
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    text = str(county).strip()
    code = CITY_CODE if HOME.is_named(text) else counties.resolve(text)
    if code is None:
        raise ValueError(f"未知县(区) unknown county: {county!r}")
    tables = stored_projections(processed_dir)
    stored = tables["projection_backtest"]
    default = stored.loc[stored["is_default_method"], "method"]
    chosen = method or (str(default.iloc[0]) if len(default) else METHODS[0])
    if chosen not in METHODS:
        raise ValueError(f"unknown method {chosen!r}; choose from {', '.join(METHODS)}")
    known = set(tables["projection_entry_ratios"]["county_code"].astype(str))
    if code != CITY_CODE and code not in known:
        raise ValueError(f"{code} 不在推算结果中 / not in the projections: {', '.join(sorted(known))}")
    synthetic = bool(store.manifest(processed_dir).get("is_sample", False))
    return View(code, lang, chosen, tables, synthetic)


def header(v: View) -> Section:
    """The page's title line: place, launch year, horizon, method; the sample disclaimer."""
    place = place_name(v.county, v.lang)
    line = (
        f"**{place} · {year_label(v.launch_year, v.lang)} → {v.horizon}** ｜ {v.method_name()}"
        if v.lang == "zh"
        else f"**{v.text('title')} — {place} · {year_label(v.launch_year, v.lang)} → {v.horizon}** | {v.method_name()}"
    )
    return Section(None, [line] + ([v.text("synthetic")] if v.synthetic else []))


# ------------------------------------------------------------------------------------------ selections
def _county_rows(v: View, stage: str, grade: int | None = None, method: str | None = None) -> pd.DataFrame:
    """County (or summed city) projections of one 学段 total or grade: year × scenario × band."""
    p = v.tables["projections"]
    rows = p[(p["level"] == "county") & (p["stage"] == stage) & (p["method"] == (method or v.method))]
    rows = rows[rows["grade"].eq(grade).fillna(False)] if grade is not None else rows[rows["grade"].isna()]
    rows = rows[rows["county_code"].astype(str).isin(v.codes)]
    return rows.groupby(["year", "scenario", "band"], observed=True)["student_count"].sum().reset_index()


def _actual(v: View, stage: str, grade: int | None = None) -> pd.Series:
    """The observed county (or city) pupils by year, from the cleaned grade tables."""
    if stage == "kindergarten":
        frame = store.load("kindergarten_ages")
    else:
        frame = store.load("grade_enrollment")
        frame = frame[frame["stage"] == stage]
        if grade is not None:
            frame = frame[frame["grade"] == grade]
    frame = frame[frame["county_code"].astype(str).isin(v.codes)]
    return frame.groupby("year")["student_count"].sum().astype(float)


def _fan_axes(ax: Any, v: View, stage: str, grade: int | None, title: str) -> None:
    rows = _county_rows(v, stage, grade)
    actual = _actual(v, stage, grade)
    ax.plot(actual.index, actual.to_numpy(), color="black", marker="o", ms=3, label=v.text("actual"))
    colours = {"low": COLOURS["neutral"], "medium": COLOURS["county"], "high": COLOURS["city"]}
    main = scenarios()["default"]
    band = rows[rows["scenario"] == main].pivot_table(
        index="year", columns="band", values="student_count", observed=True
    )
    if {"lower", "upper"} <= set(band.columns):
        cfg = cohort.config()["bands"]
        ax.fill_between(
            band.index,
            band["lower"],
            band["upper"],
            color=COLOURS["county"],
            alpha=0.15,
            lw=0,
            label=v.text("band").format(method=v.scenario_name(main), pct=cfg["coverage_pct"]),
        )
    for name in scenarios()["fan"]:
        line = rows[(rows["scenario"] == name) & (rows["band"] == "point")].sort_values("year")
        if len(line) and len(actual):
            xs = np.r_[actual.index.max(), line["year"].to_numpy(int)]
            ys = np.r_[actual.iloc[-1], line["student_count"].to_numpy(float)]
            ax.plot(
                xs,
                ys,
                color=colours.get(name, "grey"),
                lw=2 if name == main else 1.3,
                ls="-" if name == main else "--",
                label=v.scenario_name(name),
            )
    ax.set_title(title, fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.xaxis.set_major_locator(_year_locator())


def _year_locator() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True, nbins=7)


# -------------------------------------------------------------------------------------------- figures
def intake_fan(v: View) -> Figure:
    """First-grade intake: the actual years, then the low / medium / high fan and the medium band."""
    use_cjk_font()
    fig = Figure(figsize=(7.5, 3.8), layout="constrained")
    ax = fig.subplots()
    _fan_axes(ax, v, "primary", 1, f"{place_name(v.county, v.lang)} · {v.text('intake')}")
    ax.set_ylabel(v.text("pupils"))
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    return fig


def stage_fans(v: View) -> Figure:
    """The same fan for each 学段's total pupils."""
    use_cjk_font()
    fig = Figure(figsize=(9, 6.2), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, stage in zip(axes, STAGES, strict=True):
        _fan_axes(ax, v, stage, None, v.text("stage")[stage])
    axes[0].legend(fontsize=7, loc="lower left", frameon=False)
    return fig


def pyramids(v: View) -> Figure:
    """Ages 0–18 by sex: each census (graduated to single years), the launch year and the horizon (medium)."""
    use_cjk_font()
    pop = v.tables["projection_population"]
    pop = pop[pop["county_code"].astype(str).isin(v.codes)]
    main = scenarios()["default"]
    panels = [
        (v.text("census").format(year=int(y)), pop[(pop["scenario"] == "census") & (pop["year"] == y)])
        for y in sorted(pop.loc[pop["scenario"] == "census", "year"].unique())
    ]
    projected = pop[pop["scenario"] == main]
    for year in (v.launch_year, v.horizon):
        panels.append(
            (
                v.text("projected").format(year=year, scenario=v.scenario_name(main)),
                projected[projected["year"] == year],
            )
        )
    fig = Figure(figsize=(2.6 * len(panels), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True, sharex=True))
    for ax, (title, rows) in zip(axes, panels, strict=True):
        table = rows.groupby(["age", "sex"])["population"].sum().unstack("sex").reindex(range(19)).fillna(0)
        ax.barh(table.index, -table.get("male", 0), color=COLOURS["county"], label=v.text("male"))
        ax.barh(table.index, table.get("female", 0), color=COLOURS["city"], label=v.text("female"))
        ax.set_title(title, fontsize=9)
        ax.axvline(0, color="black", lw=0.5)
        ax.xaxis.set_major_formatter(_abs_formatter())
    axes[0].set_ylabel("age" if v.lang == "en" else "岁")
    axes[0].yaxis.set_major_locator(_year_locator())
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    fig.suptitle(f"{place_name(v.county, v.lang)} · {v.text('pyramid')}", fontsize=10)
    return fig


def _abs_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: f"{abs(x):,.0f}")


def change_map(v: View) -> Any:
    """Change (%) of the population aged 3–17 by county, launch year to horizon (medium)."""
    pop = v.tables["projection_population"]
    main = pop[(pop["scenario"] == scenarios()["default"]) & pop["age"].between(3, 17)]
    totals = main.groupby(["county_code", "year"])["population"].sum()
    before = totals.xs(v.launch_year, level="year")
    after = totals.xs(v.horizon, level="year")
    change = (after / before - 1) * 100
    indicator = "school_age_population_change_pct"
    data = pd.concat(
        [
            pd.DataFrame(
                {"county_code": change.index.astype(str), "indicator": indicator, "year": v.launch_year, "value": 0.0}
            ),
            pd.DataFrame(
                {
                    "county_code": change.index.astype(str),
                    "indicator": indicator,
                    "year": v.horizon,
                    "value": change.to_numpy(float),
                }
            ),
        ],
        ignore_index=True,
    )
    data.attrs["synthetic"] = v.synthetic
    return maps.change_map(
        data,
        indicator,
        v.launch_year,
        v.horizon,
        label=v.text("map_label"),
        source=v.text("map_source"),
        lang=v.lang,
        unit="%",
        direction="higher",
    )


# --------------------------------------------------------------------------------------------- tables
def _styled(frame: pd.DataFrame) -> Any:
    """A table whose text cells are escaped (school names are data, untrusted)."""
    return frame.style.format(escape="html", precision=0, thousands=",").hide(axis="index")


def peak_years(v: View) -> Section:
    """Per 学段: pupils at launch, the peak year and pupils (launch year included), 2030, the horizon, change."""
    main = scenarios()["default"]
    cols = [c.format(horizon=v.horizon) for c in v.text("peak_cols")]
    rows = []
    for stage in STAGES:
        proj = _county_rows(v, stage)
        line = proj[(proj["scenario"] == main) & (proj["band"] == "point")].set_index("year")["student_count"]
        actual = _actual(v, stage)
        start = float(actual.get(v.launch_year, np.nan))
        series = pd.concat([pd.Series({v.launch_year: start}), line])
        rows.append(
            [
                v.text("stage")[stage],
                start,
                int(series.idxmax()),
                float(series.max()),
                float(series.get(2030, np.nan)),
                float(series.get(v.horizon, np.nan)),
                (float(series.get(v.horizon, np.nan)) / start - 1) * 100 if start else np.nan,
            ]
        )
    table = pd.DataFrame(rows, columns=cols)
    title = v.text("peak").format(scenario=v.scenario_name(main), method=v.method_name())
    return Section(title, [_styled(table).format({cols[-1]: "{:+.1f}"})], level=3)


def school_table(v: View) -> Section:
    """Schools of the county with pupils at launch, 2030 and the horizon with bands, flagged below 100 / 50.

    For the city: how many school 学段 fall below 100 and 50 pupils by the horizon, per county."""
    main = scenarios()["default"]
    p = v.tables["projections"]
    rows = p[
        (p["level"] == "school")
        & (p["scenario"] == main)
        & p["grade"].isna()
        & p["county_code"].astype(str).isin(v.codes)
    ]
    if rows.empty:
        return Section(v.text("schools").format(scenario=v.scenario_name(main), method=v.method_name()), [])
    wide = rows.pivot_table(
        index=["county_code", "school_id", "stage", "size_band"],
        columns=["year", "band"],
        values="student_count",
        observed=True,
    )
    grade = store.load("grade_enrollment")
    kg = store.load("kindergarten_ages").assign(stage="kindergarten")
    launch = pd.concat([grade, kg])
    launch = launch[launch["year"] == v.launch_year].groupby(["school_id", "stage"])["student_count"].sum()
    names = store.load("schools")
    names = names[names["year"] == v.launch_year].set_index("school_id")["school_name"]
    if v.is_city:
        final = wide[(v.horizon, "point")].rename("p").reset_index()
        summary = (
            final.assign(below100=final["p"] < 100, below50=final["p"] < 50)
            .groupby("county_code", observed=True)
            .agg(n=("school_id", "size"), b100=("below100", "sum"), b50=("below50", "sum"))
            .reset_index()
        )
        summary["county_code"] = summary["county_code"].astype(str).map(lambda c: place_name(c, v.lang))
        summary.columns = v.text("city_cols")
        title = v.text("city_schools").format(year=v.horizon, scenario=v.scenario_name(main))
        return Section(title, [_styled(summary)], level=3)
    out = pd.DataFrame(index=wide.index).reset_index()
    out["name"] = out["school_id"].astype(str).map(names)
    out["stage_label"] = out["stage"].astype(str).map(v.text("stage"))
    out["launch"] = [launch.get((s, st), np.nan) for s, st in zip(out["school_id"], out["stage"], strict=True)]
    for year in (2030, v.horizon):
        out[f"p{year}"] = wide[(year, "point")].to_numpy()
        lo = wide.get((year, "lower"), pd.Series(np.nan, index=wide.index)).to_numpy()
        hi = wide.get((year, "upper"), pd.Series(np.nan, index=wide.index)).to_numpy()
        out[f"b{year}"] = [
            f"{a:,.0f}–{b:,.0f}" if np.isfinite(a) and np.isfinite(b) else "—" for a, b in zip(lo, hi, strict=True)
        ]
    last = out[f"p{v.horizon}"]
    out["flag"] = np.where(
        last < 50, v.text("below").format(n=50), np.where(last < 100, v.text("below").format(n=100), "")
    )
    out = out.sort_values(f"p{v.horizon}")
    cols = [c.format(horizon=v.horizon) for c in v.text("school_cols")]
    table = out[
        ["name", "stage_label", "size_band", "launch", "p2030", "b2030", f"p{v.horizon}", f"b{v.horizon}", "flag"]
    ]
    table.columns = cols
    title = v.text("schools").format(scenario=v.scenario_name(main), method=v.method_name())
    return Section(title, [_styled(table)], level=3)


def entry_ratios(v: View) -> Section:
    """Each county's entry ratio level and trend (常住 and 户籍 births differ: the ratio shows by how much)."""
    e = v.tables["projection_entry_ratios"]
    e = e[e["county_code"].astype(str).isin(v.codes)].drop_duplicates("county_code")
    table = pd.DataFrame(
        {
            "c": e["county_code"].astype(str).map(lambda c: place_name(c, v.lang)),
            "level": e["entry_ratio_level"].round(3),
            "trend": e["entry_ratio_trend_per_year"].round(3),
            "rate": e["entry_rate_age6_level"].round(3),
            "mig": e["migration_rate_school_age_pct"].round(2),
            "basis": e["migration_basis"].astype(str),
        }
    )
    table.columns = v.text("entry_cols")
    return Section(v.text("entry"), [table.style.format(escape="html", precision=3).hide(axis="index")], level=3)


def backtest_table(
    processed_dir: str | None = None, lang: str = "zh", method: str | None = None, county: str | None = None
) -> pd.DataFrame:
    """The stored back-test errors as printed by ``lcedu project backtest``: overall and by size band."""
    t = stored_projections(processed_dir)["projection_backtest"]
    if county is None:
        keep = (t["county_code"] == "all") & ((t["level"] == "school") | (t["size_band"] == "all"))
    else:
        keep = (t["county_code"] == county) & (t["size_band"] == "all")
    if method:
        keep &= t["method"] == method
    rows = t[keep]
    names = TEXT[lang]["method_names"]
    out = pd.DataFrame(
        {
            "method": rows["method"].map(names).fillna(rows["method"]),
            "level": rows["level"],
            "stage": rows["stage"].map(TEXT[lang]["stage"]),
            "size": rows["size_band"],
            "lead": rows["lead_years"],
            "n": rows["n"],
            "mape": rows["mape"].round(1),
            "mdape": rows["mdape"].round(1),
            "bias": rows["bias_pct"].round(1),
        }
    )
    out.columns = TEXT[lang]["backtest_cols"]
    return out.reset_index(drop=True)


def backtest_section(v: View) -> Section:
    """The back-test behind the bands, for the page's method, and the method comparison."""
    table = backtest_table(lang=v.lang, method=v.method)
    return Section(
        v.text("backtest"),
        [
            v.text("default").format(method=v.method_name()),
            table.style.format(escape="html", precision=1).hide(axis="index"),
        ],
        level=3,
    )


def county_summary(
    tables: dict, lang: str = "zh", method: str | None = None, county_names: list[str] | None = None
) -> pd.DataFrame:
    """``lcedu project``: per county, scenario and 学段, pupils at launch and projected in 2030 and the horizon
    (point [lower–upper]), and first-grade intake."""
    p = tables["projections"]
    b = tables["projection_backtest"]
    default = b.loc[b["is_default_method"], "method"]
    chosen = method or (str(default.iloc[0]) if len(default) else METHODS[0])
    codes = [counties.resolve(c) or str(c) for c in county_names] if county_names else None
    rows = p[(p["level"] == "county") & (p["method"] == chosen)]
    rows = rows[rows["grade"].isna() | ((rows["stage"] == "primary") & rows["grade"].eq(1).fillna(False))]
    if codes:
        rows = rows[rows["county_code"].astype(str).isin(codes)]
    horizon = int(rows["year"].max())
    years = sorted({min(2030, horizon), horizon})
    rows = rows[rows["year"].isin(years)]
    stage = np.where(rows["grade"].eq(1).fillna(False), "primary_grade1", rows["stage"].astype(str))
    wide = rows.assign(stage=stage).pivot_table(
        index=["county_code", "scenario", "stage"], columns=["year", "band"], values="student_count", observed=True
    )
    out = wide.index.to_frame(index=False)
    out["county_code"] = out["county_code"].astype(str).map(lambda c: place_name(c, lang))
    out["stage"] = out["stage"].map(TEXT[lang]["stage"])
    out["method"] = TEXT[lang]["method_names"][chosen]
    for year in years:
        point = wide[(year, "point")].to_numpy()
        lo = wide[(year, "lower")].to_numpy() if (year, "lower") in wide else np.full(len(wide), np.nan)
        hi = wide[(year, "upper")].to_numpy() if (year, "upper") in wide else np.full(len(wide), np.nan)
        out[str(year)] = [
            f"{p_:,.0f} [{a:,.0f}–{b_:,.0f}]" if np.isfinite(a) and np.isfinite(b_) else f"{p_:,.0f}"
            for p_, a, b_ in zip(point, lo, hi, strict=True)
        ]
    return out
