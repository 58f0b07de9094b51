"""The planning page: places against capacity by 学段 and year, teacher need against supply, the small schools and
the consolidation screening with its caveats. Only formats the stored planning tables (lcedu.measure.planning);
every figure names its scenario and band, and no sentence says a school should close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lcedu.home import CITY_CODE, HOME
from lcedu.ingest import counties, store
from lcedu.measure import cohort, standards
from lcedu.measure.planning import RESULT_TABLES, RETIREMENT_BASIS, STAGES, config
from lcedu.measure.projections import scenarios
from lcedu.present.briefing import Section
from lcedu.present.charts import COLOURS
from lcedu.present.fonts import use_cjk_font
from lcedu.present.narrative import check_lang, place_name, year_label
from lcedu.present.words import table

#: Column headers of the page's tables: each a section of words.yml (planning_<key>), in column order.
_COLUMN_LISTS = (
    "places_cols",
    "teacher_cols",
    "side_cols",
    "small_cols",
    "screen_cols",
    "reuse_cols",
    "monitor_cols",
    "subject_cols",
)


@dataclass
class View:
    """What the page shows: a county (or the city), the language, the scenario and the stored tables."""

    county: str
    lang: str
    scenario: str
    tables: dict
    synthetic: bool

    @property
    def codes(self) -> set[str]:
        known = set(self.tables["planning_teachers"]["county_code"].astype(str))
        return known if self.county == CITY_CODE else {self.county}

    @property
    def years(self) -> tuple[int, int, int]:
        """The launch year, the review year (2030) and the horizon."""
        p = self.tables["planning_places"]
        return int(p["launch_year"].max()), int(config()["consolidation"]["review_year"]), int(p["year"].max())

    def text(self, key: str) -> Any:
        """A word of the page (a template its caller fills), the stage names, or a table's column headers."""
        if key in _COLUMN_LISTS:
            return list(table(f"planning_{key}", self.lang).values())
        if key == "stage":
            return table("planning_stages", self.lang)
        return table("planning", self.lang)[key]

    def scenario_name(self, name: str | None = None) -> str:
        spec = scenarios()["scenarios"][name or self.scenario]
        return spec[f"label_{check_lang(self.lang)}"]

    def mine(self, name: str) -> pd.DataFrame:
        """A stored table's rows of this page's counties and scenario."""
        t = self.tables[name]
        t = t[t["county_code"].astype(str).isin(self.codes)]
        return t[t["scenario"].astype(str) == self.scenario] if "scenario" in t else t


def view(county: object, lang: str = "zh", scenario: str | None = None, processed_dir: str | None = None) -> View:
    """Resolve the page's parameters (a county code or name, or 530900 / 临沧市 for the city)."""
    check_lang(lang)
    text = str(county).strip()
    code = CITY_CODE if HOME.is_named(text) else counties.resolve(text)
    if code is None:
        raise ValueError(f"未知县(区) unknown county: {county!r}")
    chosen = scenario or scenarios()["default"]
    if chosen not in scenarios()["scenarios"]:
        raise ValueError(f"unknown scenario {chosen!r}; choose from {', '.join(scenarios()['scenarios'])}")
    try:
        tables = {name: store.load(name, processed_dir) for name in RESULT_TABLES}
    except store.MissingTableError as exc:
        note = store.manifest(processed_dir).get("planning") or {}
        raise ValueError(f"本构建没有规划测算 / this build has no planning tables: {note.get('reason', exc)}") from exc
    if (store.current(processed_dir) / "projection_monitor.parquet").exists():  # only when history held one
        tables["projection_monitor"] = store.load("projection_monitor", processed_dir)
    synthetic = bool(store.manifest(processed_dir).get("is_sample", False))
    return View(code, lang, chosen, tables, synthetic)


def header(v: View) -> Section:
    """Title line: place, launch year → horizon, scenario and what the bands are."""
    y0, _, y2 = v.years
    band = cohort.config()["bands"]["coverage_pct"]
    lines = [
        f"**{place_name(v.county, v.lang)} · {year_label(y0, v.lang)} → {y2}**",
        v.text("scope").format(scenario=v.scenario_name(), pct=band, band=v.text("band")),
    ]
    return Section(None, lines + ([v.text("synthetic")] if v.synthetic else []))


def _county_places(v: View) -> pd.DataFrame:
    p = v.mine("planning_places")
    p = p[p["level"] == "county"]
    cols = ["student_count", "capacity", "spare_places"]
    return p.groupby(["stage", "year", "band"], observed=True)[cols].sum(min_count=1).reset_index()


def places_figure(v: View) -> Figure:
    """Per 学段: projected pupils (point and band) against the places the classrooms hold, by year."""
    use_cjk_font()
    rows = _county_places(v)
    fig = Figure(figsize=(9, 6), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, stage in zip(axes, STAGES, strict=True):
        s = rows[rows["stage"] == stage].pivot_table(index="year", columns="band", values=["student_count", "capacity"])
        if s.empty:
            ax.set_axis_off()
            continue
        years = s.index.to_numpy(int)
        ax.fill_between(
            years,
            s[("student_count", "lower")],
            s[("student_count", "upper")],
            color=COLOURS["county"],
            alpha=0.15,
            lw=0,
            label=v.text("band"),
        )
        ax.plot(years, s[("student_count", "point")], color=COLOURS["county"], lw=2, label=v.text("pupils"))
        ax.plot(years, s[("capacity", "point")], color=COLOURS["target"], ls="--", lw=1.5, label=v.text("capacity"))
        ax.set_title(v.text("stage")[stage], fontsize=10)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#dddddd", lw=0.6)
    axes[0].legend(fontsize=7, loc="lower left", frameon=False)
    fig.suptitle(f"{place_name(v.county, v.lang)} · {v.text('places')} · {v.scenario_name()}", fontsize=10)
    return fig


def _fmt(x: Any) -> str:
    return "—" if pd.isna(x) else f"{float(x):,.0f}"


def _range(a: int, b: int) -> str:
    """A count's range over the band (the lower pupil band gives the larger count of small schools)."""
    return f"{min(a, b)}–{max(a, b)}"


def _band(lo: Any, hi: Any) -> str:
    return "—" if pd.isna(lo) or pd.isna(hi) else f"{float(lo):,.0f}–{float(hi):,.0f}"


def places_table(v: View) -> Section:
    """Places and pupils by 学段 at launch, 2030 and the horizon, with the schools that run short in the period."""
    y0, y1, y2 = v.years
    rows = _county_places(v).set_index(["stage", "year", "band"])
    summary = v.mine("planning_place_summary")
    summary = summary[summary["level"] == "school"]
    out = []
    for stage in STAGES:
        if (stage, y2, "point") not in rows.index:
            continue

        def val(year: int, band: str, col: str = "student_count", stage: str = stage) -> Any:
            return rows[col].get((stage, year, band), np.nan)

        short = summary[(summary["stage"] == stage) & summary["first_shortfall_year"].notna()]
        n_point = int((short["band"] == "point").sum())
        n_upper = int((short["band"] == "upper").sum())
        out.append(
            [
                v.text("stage")[stage],
                _fmt(val(y2, "point", "capacity")),
                _fmt(val(y0 + 1, "point")),
                _fmt(val(y1, "point")),
                _band(val(y1, "lower"), val(y1, "upper")),
                _fmt(val(y2, "point")),
                _band(val(y2, "lower"), val(y2, "upper")),
                _fmt(val(y2, "point", "spare_places")),
                f"{n_point} | {n_upper}",
            ]
        )
    cols = [c.format(y0=y0 + 1, y1=y1, y2=y2) for c in v.text("places_cols")]
    table = pd.DataFrame(out, columns=cols)
    return Section(v.text("places"), [_styled(table)], level=2)


def _styled(frame: pd.DataFrame) -> Any:
    """A table whose text cells are escaped (school names are data, untrusted)."""
    return frame.style.format(escape="html").hide(axis="index")


def teacher_table(v: View) -> Section:
    """Staff needed against staff in post after retirements, by 学段, in 2030 and at the horizon (point and band)."""
    _, y1, y2 = v.years
    t = v.mine("planning_teachers")
    keys = ["stage", "staff_measure", "year", "band"]
    g = t.groupby(keys, observed=True)[["staff_needed", "staff_supply", "staff_gap", "staff_in_post"]].sum()
    out = []
    for stage in STAGES:
        part = g[g.index.get_level_values("stage") == stage]
        if part.empty:
            continue
        measure = str(part.index.get_level_values("staff_measure")[0])
        in_post = part["staff_in_post"].iloc[0]
        row = [v.text("stage")[stage], measure, _fmt(in_post)]
        for year in (y1, y2):
            pt = part.xs((year, "point"), level=("year", "band"))
            lo = part.xs((year, "upper"), level=("year", "band"))["staff_gap"]  # more pupils: the smaller gap
            hi = part.xs((year, "lower"), level=("year", "band"))["staff_gap"]
            gap = f"{float(pt['staff_gap'].iloc[0]):+,.0f}（{float(lo.iloc[0]):+,.0f}～{float(hi.iloc[0]):+,.0f}）"
            row += [_fmt(pt["staff_needed"].iloc[0]), _fmt(pt["staff_supply"].iloc[0]), gap]
        out.append(row)
    cols = [c.format(y1=y1, y2=y2) for c in v.text("teacher_cols")]
    cfg = config()["teachers"]
    note = v.text("teacher_note").format(
        **standards.load_staffing_norms()["staff_student_ratio"]["value"],
        ctr_primary=cfg["class_teacher_ratio"]["value"]["primary"],
        ctr_junior=cfg["class_teacher_ratio"]["value"]["junior"],
        kg=cfg["kindergarten_staff_per_class"]["value"]["full_time_teacher"],
        rate=float(cfg["retirement_rate_per_year"]["value"]) * 100,
    )
    aged = sorted({str(x) for x in t.loc[t["retirement_basis"] == RETIREMENT_BASIS["ages"], "stage"]}, key=STAGES.index)
    if aged:
        stages = v.text("sep").join(v.text("stage")[x] for x in aged)
        note += v.text("by_age").format(stages=stages, age=float(cfg["retirement_age"]["value"]))
    return Section(
        v.text("teachers"),
        [_styled(pd.DataFrame(out, columns=cols)), note],
        level=2,
    )


def teacher_side_by_side(v: View) -> Section:
    """Each county's staff surplus (+) or shortage (−) per 学段 in 2030: where 县管校聘 could move posts."""
    _, y1, _ = v.years
    t = v.tables["planning_teachers"]
    t = t[(t["scenario"].astype(str) == v.scenario) & (t["band"] == "point") & (t["year"] == y1)]
    wide = t.pivot_table(index="county_code", columns="stage", values="staff_gap", aggfunc="sum", observed=True)
    wide = wide.reindex(columns=list(STAGES))
    wide["total"] = wide.sum(axis=1, min_count=1)
    names = [place_name(str(c), v.lang) for c in wide.index]
    rows = [
        [n, *(f"{x:+,.0f}" if pd.notna(x) else "—" for x in r)] for n, r in zip(names, wide.to_numpy(), strict=True)
    ]
    table = pd.DataFrame(rows, columns=v.text("side_cols"))
    return Section(v.text("side").format(year=y1, scenario=v.scenario_name()), [_styled(table)], level=3)


def subject_side_by_side(v: View) -> Section:
    """体育、音乐、美术 teachers per county and 学段 in 2030: surplus or shortage side by side (the city page shows
    every county; a county page shows its own with the others for comparison)."""
    _, y1, _ = v.years
    t = v.tables.get("planning_subject_teachers")
    if t is None or t.empty:
        return Section(v.text("subjects").format(year=y1, scenario=v.scenario_name()), [v.text("none")], level=3)
    t = t[(t["scenario"].astype(str) == v.scenario) & (t["year"] == y1)]
    gap = t.pivot_table(
        index=["county_code", "stage", "subject"], columns="band", values="teacher_gap", aggfunc="sum", observed=True
    )
    rows = []
    for (county, stage), part in gap.groupby(level=["county_code", "stage"], observed=True):
        cells = []
        for subject in ("pe", "music", "art"):
            key = (county, stage, subject)
            if key not in part.index or pd.isna(part.loc[key, "point"]):
                cells.append("—")
                continue
            r = part.loc[key]
            cells.append(f"{r['point']:+,.1f}（{r['upper']:+,.1f}～{r['lower']:+,.1f}）")
        rows.append([place_name(str(county), v.lang), v.text("stage")[str(stage)], *cells])
    cfg = config()["subject_teachers"]
    periods, load = cfg["periods_per_week"], cfg["teacher_periods_per_week"]
    note = v.text("subject_note").format(
        pe_p=periods["pe"]["primary"],
        pe_j=periods["pe"]["junior"],
        mu_p=periods["music"]["primary"],
        mu_j=periods["music"]["junior"],
        load_p=load["primary"],
        load_j=load["junior"],
    )
    table = pd.DataFrame(rows, columns=v.text("subject_cols"))
    return Section(v.text("subjects").format(year=y1, scenario=v.scenario_name()), [_styled(table), note], level=3)


def small_school_table(v: View) -> Section:
    """How many schools sit below 100, 50 and 10 pupils at launch, in 2030 and at the horizon (point, band)."""
    y0, y1, y2 = v.years
    s = v.mine("planning_small_schools")
    out = []
    for stage in STAGES:
        for threshold in config()["small_schools"]["thresholds"]:
            part = s[(s["stage"] == stage) & (s["threshold"] == threshold)]
            if part.empty:
                continue

            def count(year: int, band: str, part: pd.DataFrame = part) -> int:
                b = part[part["band"] == band]
                below = b["first_year_below"].le(year).fillna(False) | b["is_below_at_launch"].fillna(False)
                return int(below.sum())

            now = int(part.loc[part["band"] == "point", "is_below_at_launch"].fillna(False).sum())
            out.append(
                [
                    v.text("stage")[stage],
                    f"<{threshold}",
                    now,
                    count(y1, "point"),
                    _range(count(y1, "lower"), count(y1, "upper")),
                    count(y2, "point"),
                    _range(count(y2, "lower"), count(y2, "upper")),
                ]
            )
    cols = [c.format(y0=year_label(y0, v.lang), y1=y1, y2=y2) for c in v.text("small_cols")]
    table = pd.DataFrame(out, columns=cols)
    return Section(v.text("small").format(scenario=v.scenario_name()), [_styled(table)], level=2)


def screening_table(v: View, limit: int = 40) -> Section:
    """The consolidation screening of this page's schools: projected pupils and band, the nearest same-学段 school,
    its spare places, the default status and the procedure caveats. For study, never a decision."""
    cfg = config()["consolidation"]
    c = v.mine("planning_consolidation")
    rows = [
        [
            r.school_name,
            v.text("stage")[str(r.stage)],
            _fmt(r.student_count),
            _band(r.student_count_lower, r.student_count_upper),
            "—" if pd.isna(r.nearest_school_name) else r.nearest_school_name,
            "—" if pd.isna(r.nearest_distance_km) else f"{float(r.nearest_distance_km):.1f}",
            "—" if pd.isna(r.travel_minutes) else f"{float(r.travel_minutes):.0f}",
            _fmt(r.receiving_spare_places),
            str(r.screening),
        ]
        for r in c.head(limit).itertuples()
    ]
    cols = [x.format(year=cfg["review_year"]) for x in v.text("screen_cols")]
    km = v.text("sep").join(f"{v.text('stage')[s]} {d:g} km" for s, d in cfg["retain_beyond_km"].items())
    items: list[Any] = [v.text("retain_note").format(km=km)]
    by_road = int(c["travel_minutes"].notna().sum())
    if by_road:
        minutes = config()["travel"]["retain_beyond_minutes"]
        text = v.text("sep").join(f"{v.text('stage')[s]} {m:g} min" for s, m in minutes.items())
        items.append(v.text("road_note").format(minutes=text, n=by_road))
    else:
        items.append(v.text("no_road_note"))
    items.append(_styled(pd.DataFrame(rows, columns=cols)) if rows else v.text("none"))
    if len(c) > limit:
        items.append(v.text("more").format(n=len(c) - limit))
    items.append(f"**{v.text('caveats')}**\n\n" + "\n".join(f"- {line}" for line in cfg["caveats"]))
    return Section(v.text("screen").format(year=cfg["review_year"], scenario=v.scenario_name()), items, level=2)


def monitor_list(v: View, limit: int = 30) -> Section:
    """监测预警 of this page's place: the stored comparison of actual pupils with last year's projection (counties
    first, then the largest misses), from ``projection_monitor``; a note when the build had no earlier projection."""
    m = v.tables.get("projection_monitor")
    if m is None or m.empty:
        return Section(v.text("monitor").format(year="—", launch="—"), [v.text("monitor_none")], level=2)
    m = m[m["county_code"].astype(str).isin(v.codes)]
    year, launch = int(m["year"].max()), int(m["launch_year"].max())
    m = m[m["year"] == year]
    flagged = m[m["is_outside_band"].fillna(False) | m["crossed_below"].notna()]
    flagged = flagged.assign(_c=flagged["level"].astype(str) != "county", _a=flagged["error_pct"].abs())
    flagged = flagged.sort_values(["_c", "_a"], ascending=[True, False])
    names = v.tables.get("planning_consolidation")
    known = {} if names is None else dict(zip(names["school_id"].astype(str), names["school_name"], strict=False))
    rows = []
    for r in flagged.head(limit).itertuples():
        place = place_name(str(r.county_code), v.lang)
        if str(r.level) == "school":
            place = f"{place} {known.get(str(r.school_id), r.school_id)}"
        warn = [v.text("outside")] if r.is_outside_band else []
        if pd.notna(r.crossed_below):
            warn.append(v.text("crossed").format(t=str(r.crossed_below).lstrip("<")))
        rows.append(
            [
                place,
                v.text("stage").get(str(r.stage), str(r.stage)),
                _fmt(r.actual),
                f"{_fmt(r.projected)}（{_band(r.lower, r.upper)}）",
                f"{float(r.error_pct):+.1f}" if pd.notna(r.error_pct) else "—",
                v.text("sep").join(warn),
            ]
        )
    summary = v.text("monitor_sum").format(
        n=len(m),
        out=int(m["is_outside_band"].fillna(False).sum()),
        crossed=int(m["crossed_below"].notna().sum()),
        k=len(rows),
    )
    items: list[Any] = [summary]
    if rows:
        items.append(_styled(pd.DataFrame(rows, columns=v.text("monitor_cols"))))
    title = v.text("monitor").format(year=year_label(year, v.lang), launch=year_label(launch, v.lang))
    return Section(title, items, level=2)


def large_class_risk(v: View) -> str:
    """One sentence: how many town or city schools outgrow their places, and from which year."""
    s = v.mine("planning_place_summary")
    s = s[(s["band"] == "point") & s["is_large_class_risk"].fillna(False)]
    if s.empty:
        return v.text("no_risk").format(scenario=v.scenario_name())
    year = int(s["first_shortfall_year"].min())
    return v.text("risk").format(scenario=v.scenario_name(), n=s["school_id"].nunique(), year=year)


def reuse_table(v: View) -> Section:
    """Townships where 小学 classrooms empty while 幼儿园 places run short: the first year and the largest gap."""
    r = v.mine("planning_reuse")
    r = r[r["band"] == "point"]
    if r.empty:
        return Section(v.text("reuse").format(scenario=v.scenario_name()), [v.text("none")], level=3)
    g = r.groupby(["county_code", "township"], observed=True, dropna=False).agg(
        first=("year", "min"),
        gap=("kindergarten_shortfall_places", "max"),
        rooms=("primary_free_classrooms", "max"),
        held=("kindergarten_places_in_free_rooms", "max"),
    )
    rows = [
        [str(twp), int(x.first), _fmt(x.gap), _fmt(x.rooms), _fmt(x.held)]
        for (_, twp), x in zip(g.index, g.itertuples(), strict=True)
    ]
    table = pd.DataFrame(rows, columns=v.text("reuse_cols"))
    return Section(v.text("reuse").format(scenario=v.scenario_name()), [_styled(table)], level=3)
