"""Early warning (监测预警): a new year's actual pupils against last year's projection.

The 纲要 asks for "学龄人口变化监测预警制度". Each year the bureau keeps the projections of the build it
published; when the next year's data are cleaned, every county and school is compared with that projection.
Those outside their band, and those that crossed 100 / 50 / 10 pupils, make a short list to act on.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from lcedu.errors import RequestError
from lcedu.measure.planning import config as planning_config
from lcedu.measure.projections import scenarios
from lcedu.paths import processed_dir

COLUMNS = [
    "level",
    "county_code",
    "school_id",
    "stage",
    "year",
    "launch_year",
    "lead_years",
    "actual",
    "projected",
    "lower",
    "upper",
    "error_pct",
    "is_outside_band",
    "crossed_below",
]


HISTORY = "history"


def keep_projections(out_dir: str | Path | None = None) -> Path | None:
    """Keep the current build's projections as ``history/projections_launch<year>.parquet`` before a new build
    replaces it (older builds are deleted): the early warning compares each new year with them. Written to a
    temporary file first, so a killed run leaves no half-written copy."""
    current = processed_dir(out_dir) / "current" / "projections.parquet"
    if not current.exists():
        return None
    launch = int(pd.read_parquet(current, columns=["launch_year"])["launch_year"].max())
    target = processed_dir(out_dir) / HISTORY / f"projections_launch{launch}.parquet"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    shutil.copyfile(current, partial)
    os.replace(partial, target)
    return target


def latest_kept(before_year: int, out_dir: str | Path | None = None) -> Path | None:
    """The kept projection with the latest launch year before ``before_year`` (None when there is none)."""
    kept = sorted(
        (int(p.stem.removeprefix("projections_launch")), p)
        for p in (processed_dir(out_dir) / HISTORY).glob("projections_launch*.parquet")
    )
    earlier = [p for year, p in kept if year < before_year]
    return earlier[-1] if earlier else None


def read_previous(path: str | Path) -> pd.DataFrame:
    """A kept projections table: a build folder holding projections.parquet, or the parquet file itself."""
    p = Path(path)
    file = p / "projections.parquet" if p.is_dir() else p
    if not file.exists():
        raise RequestError(
            f"{file} 不存在 / no previous projections at {file}",
            "保存上一年构建的 projections.parquet（data/processed/current/）后用 --previous 指向它 / "
            "keep last year's data/processed/current/projections.parquet and pass it with --previous",
        )
    return pd.read_parquet(file)


def actual_pupils(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Actual pupils per school, 学段 and year on the projection's own basis: grade_enrollment and 311 ages."""
    grade = tables["grade_enrollment"]
    parts = [grade.groupby(["school_id", "county_code", "stage", "year"], observed=True)["student_count"].sum()]
    if "kindergarten_ages" in tables:
        kg = tables["kindergarten_ages"].assign(stage="kindergarten")
        parts.append(kg.groupby(["school_id", "county_code", "stage", "year"], observed=True)["student_count"].sum())
    out = pd.concat(parts).reset_index()
    for c in ("school_id", "county_code", "stage"):
        out[c] = out[c].astype(str)
    return out.astype({"year": int, "student_count": float})


def monitor(previous: pd.DataFrame, actual: pd.DataFrame, scenario: str | None = None) -> pd.DataFrame:
    """Every county and school of the previous projection (default method and scenario) in the years the actual
    data now cover: actual against point and band, and the thresholds crossed since the launch year."""
    name = scenario or scenarios()["default"]
    p = previous[
        previous["grade"].isna()
        & previous["is_default_method"].astype(bool)
        & (previous["scenario"].astype(str) == name)
        & previous["year"].isin(actual["year"].unique())
    ]
    keys = ["level", "county_code", "school_id", "stage", "year", "launch_year", "lead_years"]
    p = p.assign(**{c: p[c].astype("string").fillna("") for c in ("level", "county_code", "school_id", "stage")})
    wide = p.pivot_table(index=keys, columns="band", values="student_count", observed=True, aggfunc="first")
    wide = wide.rename(columns={"point": "projected"}).reset_index()
    wide.columns.name = None
    school = actual.set_index(["school_id", "stage", "year"])["student_count"]
    county = actual.groupby(["county_code", "stage", "year"])["student_count"].sum()
    is_school = wide["level"] == "school"

    def lookup(year_col: str) -> np.ndarray:
        s_idx = pd.MultiIndex.from_arrays([wide["school_id"], wide["stage"], wide[year_col].astype(int)])
        c_idx = pd.MultiIndex.from_arrays([wide["county_code"], wide["stage"], wide[year_col].astype(int)])
        return np.where(is_school, school.reindex(s_idx).to_numpy(), county.reindex(c_idx).to_numpy())

    wide["actual"] = lookup("year")
    at_launch = lookup("launch_year")
    wide["error_pct"] = (wide["projected"] - wide["actual"]) / wide["actual"] * 100
    wide["is_outside_band"] = (wide["actual"] < wide["lower"]) | (wide["actual"] > wide["upper"])
    crossed = pd.Series(pd.NA, index=wide.index, dtype="object")
    for threshold in sorted(planning_config()["small_schools"]["thresholds"], reverse=True):
        hit = is_school & (at_launch >= threshold) & (wide["actual"] < threshold)
        crossed = crossed.mask(hit.to_numpy(bool), f"<{threshold}")
    wide["crossed_below"] = crossed
    wide["school_id"] = wide["school_id"].replace("", pd.NA)
    out = wide.dropna(subset=["actual"]).reindex(columns=COLUMNS)
    return out.astype(
        {
            "school_id": "string",
            "year": "Int64",
            "launch_year": "Int64",
            "lead_years": "Int64",
            "actual": "Float64",
            "projected": "Float64",
            "lower": "Float64",
            "upper": "Float64",
            "error_pct": "Float64",
            "is_outside_band": "boolean",
            "crossed_below": "string",
        }
    ).reset_index(drop=True)


def warnings(result: pd.DataFrame) -> pd.DataFrame:
    """The short list: rows outside their band or past a threshold, counties first, then by the size of the miss."""
    flagged = result[result["is_outside_band"].fillna(False) | result["crossed_below"].notna()]
    return (
        flagged.assign(_abs=flagged["error_pct"].abs(), _county=flagged["level"] != "county")
        .sort_values(["_county", "county_code", "_abs"], ascending=[True, True, False])
        .drop(columns=["_abs", "_county"])
        .reset_index(drop=True)
    )


def monitor_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | Path | None = None) -> tuple[dict, dict]:
    """The build's early warning (``projection_monitor``) and a manifest note: this build's actual pupils against
    the latest projection kept in the build history before its newest year; none (the note says why) without one."""
    if "grade_enrollment" not in tables:
        return {}, {"status": "not computed", "reason": "grade_enrollment: 无分年级在校生 / no pupils by grade"}
    latest = int(tables["grade_enrollment"]["year"].max())
    kept = latest_kept(latest, out_dir)
    if kept is None:
        return {}, {
            "status": "not computed",
            "reason": f"history 中没有 {latest} 年以前发射的推算 / no projection launched before {latest} kept",
        }
    result = monitor(read_previous(kept), actual_pupils(tables))
    return {"projection_monitor": result}, {
        "status": "computed",
        "previous": kept.name,
        "rows": len(result),
        "outside_band": int(result["is_outside_band"].fillna(False).sum()),
        "crossed_below": int(result["crossed_below"].notna().sum()),
    }
