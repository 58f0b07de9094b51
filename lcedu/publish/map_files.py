"""Map files: the standard map set and the province maps written as PNG, SVG and PDF, atomically and
byte-identical on unchanged data (``lcedu maps``, ``lcedu report`` and the evaluation documents call it)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from lcedu.ingest.shapes import scope
from lcedu.present import maps
from lcedu.present.maps.rows import county_rows, is_synthetic
from lcedu.present.maps.words import Lang

_SAVE_METADATA: dict[str, dict[str, None]] = {
    "pdf": {"CreationDate": None},
    "svg": {"Date": None},
    "png": {},
}


def save_figure(
    figure: Figure,
    path_stem: str | Path,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
) -> list[Path]:
    """Write each format atomically (temp file, then rename) so readers never see half a file.

    Timestamps are left out and SVG ids are salted with the file name, so re-running a
    report on unchanged data gives byte-identical files.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = stem.parent / f"{stem.name}.{fmt}"
        handle, temporary_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=stem.parent)
        os.close(handle)
        temporary = Path(temporary_name)
        try:
            with mpl.rc_context({"svg.hashsalt": stem.name}):
                figure.savefig(
                    temporary,
                    format=fmt,
                    dpi=dpi,
                    bbox_inches="tight",
                    pad_inches=0.15,
                    metadata=_SAVE_METADATA.get(fmt, {}),
                )
            temporary.chmod(0o644)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(target)
    return written


def safe_name(text: str) -> str:
    """ASCII-only, shell- and URL-safe file name part."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")
    return cleaned or "unnamed"


def _write_indicator_maps(
    data: pd.DataFrame,
    indicator: str,
    year: int,
    save: Callable[[Figure, str], list[Path]],
    options: Mapping[str, object],
    breaks: Sequence[float] | None = None,
) -> list[Path]:
    """Choropleth, small multiples and change map of one indicator (empty if no data).

    ``breaks``: the indicator's declared class bounds, so a year's map looks the same whichever
    years are loaded; without them, breaks come from every loaded year's values.
    """
    name = safe_name(indicator)
    indicator_years = data.loc[data["indicator"] == indicator, "year"].dropna().unique()
    years = sorted(int(y) for y in indicator_years if y <= year)
    if year not in years:
        return []
    first = years[0]
    written = save(maps.choropleth(data, indicator, year, breaks=breaks, **options).figure, f"{name}_{year}_choropleth")
    figure = maps.small_multiples(data, indicator, years, breaks=breaks, **options)
    written += save(figure, f"{name}_{first}-{year}_small-multiples")
    if first < year:
        ax = maps.change_map(data, indicator, first, year, **options)
        written += save(ax.figure, f"{name}_{first}-{year}_change")
    return written


def write_map_set(
    data: pd.DataFrame,
    status: pd.DataFrame | None,
    year: int,
    out_dir: str | Path,
    *,
    indicators: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    breaks: Mapping[str, Sequence[float]] | None = None,
    target_shares: Mapping[str, float] | None = None,
    verdicts: Mapping[str, str] | None = None,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
    lang: Lang = "zh",
    synthetic: bool | None = None,
    prefecture: str | None = None,
) -> list[Path]:
    """The standard set for a report year; returns every file written, in a fixed order.

    ``prefecture``: whose counties (default: the one prefecture of ``data``, 临沧's for its
    build; a province build must name one, see :func:`map_prefecture`).

    Per indicator (default: every indicator in ``data``): a choropleth for ``year``, small
    multiples over the years up to ``year``, and the change since the first of them; then
    the status map (if ``status`` is given) and one locator map per county. ``labels`` and
    ``units`` map indicator codes to display names and units, ``breaks`` to declared class
    bounds (the registry's ``map_breaks``). File names are ASCII:
    ``{indicator}_{year}_choropleth``, ``status_{year}``, ``locator_{county_code}`` ...
    """
    out = Path(out_dir)
    sample = is_synthetic(data, synthetic)
    where = maps.map_prefecture(county_rows(data)["county_code"].unique(), prefecture)

    def save(figure: Figure, stem: str) -> list[Path]:
        return save_figure(figure, out / stem, formats, dpi)

    chosen = indicators if indicators is not None else sorted(data["indicator"].dropna().unique())
    written: list[Path] = []
    for indicator in chosen:
        options = {
            "lang": lang,
            "synthetic": sample,
            "prefecture": where,
            "label": (labels or {}).get(indicator),
            "unit": (units or {}).get(indicator, ""),
        }
        written += _write_indicator_maps(data, indicator, year, save, options, (breaks or {}).get(indicator))
    if status is not None and not status.empty:
        written += save(
            maps.status_map(
                status,
                year,
                lang=lang,
                synthetic=sample,
                prefecture=where,
                target_shares=None if target_shares is None else dict(target_shares),
                verdicts=verdicts,
            ),
            f"status_{year}",
        )
    for code in maps.prefecture_counties(where)["county_code"]:
        written += save(maps.locator_map(code, lang=lang).figure, f"locator_{safe_name(code)}")
    return written


def write_scope_maps(
    data: pd.DataFrame,
    year: int,
    out_dir: str | Path,
    *,
    province: str | None = None,
    prefecture: str | None = None,
    indicators: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    breaks: Mapping[str, Sequence[float]] | None = None,
    formats: Sequence[str] = ("png", "svg", "pdf"),
    dpi: int = 200,
    lang: Lang = "zh",
    synthetic: bool | None = None,
) -> list[Path]:
    """One :func:`province_choropleth` per indicator with data in ``year``, for a province or prefecture.

    File names: ``{indicator}_{year}_{scope code}_choropleth`` (e.g. ``…_2025_530000_choropleth``).
    """
    where = scope(province, prefecture)
    out = Path(out_dir)
    sample = is_synthetic(data, synthetic)
    chosen = indicators if indicators is not None else sorted(data["indicator"].dropna().unique())
    written: list[Path] = []
    for indicator in chosen:
        if not ((data["indicator"] == indicator) & (data["year"] == year)).any():
            continue
        ax = maps.province_choropleth(
            data,
            indicator,
            year,
            province=where.code if where.level == "province" else None,
            prefecture=where.code if where.level == "prefecture" else None,
            lang=lang,
            synthetic=sample,
            label=(labels or {}).get(indicator),
            unit=(units or {}).get(indicator, ""),
            breaks=(breaks or {}).get(indicator),
        )
        stem = f"{safe_name(indicator)}_{year}_{where.code}_choropleth"
        written += save_figure(ax.figure, out / stem, formats, dpi)
    return written
