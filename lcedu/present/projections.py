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
from lcedu.present.narrative import check_lang, place_name, year_label
from lcedu.present.words import table

#: Column headers of the page's tables: each a section of words.yml (projections_<key>), in column order.
_COLUMN_LISTS = ("peak_cols", "school_cols", "city_cols", "backtest_cols", "entry_cols")
#: Lookup tables of the page: key → its section of words.yml.
_TABLES = {"stage": "projections_stages", "method_names": "projections_methods"}


def _text(key: str, lang: str) -> Any:
    """A word of the projections pages in ``lang``: a template, a lookup table, or a list of column headers."""
    if key in _COLUMN_LISTS:
        return list(table(f"projections_{key}", lang).values())
    if key in _TABLES:
        return table(_TABLES[key], lang)
    return table("projections", lang)[key]


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
        """A word of the page (a template its caller fills), a lookup table, or a table's column headers."""
        return _text(key, self.lang)

    def method_name(self, method: str | None = None) -> str:
        return self.text("method_names")[method or self.method]

    def scenario_name(self, name: str) -> str:
        spec = scenarios()["scenarios"][name]
        return spec[f"label_{check_lang(self.lang)}"]


def view(county: object, lang: str = "zh", method: str | None = None, processed_dir: str | None = None) -> View:
    """Resolve the page's parameters (a county code or name, or 530900 / 临沧市 for the city)."""
    check_lang(lang)
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
    line = v.text("header").format(
        place=place, year=year_label(v.launch_year, v.lang), horizon=v.horizon, method=v.method_name()
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
    axes[0].set_ylabel(v.text("age"))
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
    names = _text("method_names", lang)
    out = pd.DataFrame(
        {
            "method": rows["method"].map(names).fillna(rows["method"]),
            "level": rows["level"],
            "stage": rows["stage"].map(_text("stage", lang)),
            "size": rows["size_band"],
            "lead": rows["lead_years"],
            "n": rows["n"],
            "mape": rows["mape"].round(1),
            "mdape": rows["mdape"].round(1),
            "bias": rows["bias_pct"].round(1),
        }
    )
    out.columns = _text("backtest_cols", lang)
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
    out["stage"] = out["stage"].map(_text("stage", lang))
    out["method"] = _text("method_names", lang)[chosen]
    for year in years:
        point = wide[(year, "point")].to_numpy()
        lo = wide[(year, "lower")].to_numpy() if (year, "lower") in wide else np.full(len(wide), np.nan)
        hi = wide[(year, "upper")].to_numpy() if (year, "upper") in wide else np.full(len(wide), np.nan)
        out[str(year)] = [
            f"{p_:,.0f} [{a:,.0f}–{b_:,.0f}]" if np.isfinite(a) and np.isfinite(b_) else f"{p_:,.0f}"
            for p_, a, b_ in zip(point, lo, hi, strict=True)
        ]
    return out
