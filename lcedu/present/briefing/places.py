"""Place words of a page: whom a county is compared with and the plan region's limits.

Outside the plan's region (a county of 昆明 on a 云南 build) a page compares the county with its own
prefecture and says where a target would stand that the plan's targets are 临沧's.
"""

from __future__ import annotations

from functools import lru_cache

from lcedu.home import CITY_CODE
from lcedu.ingest import counties
from lcedu.ingest.counties import is_aggregate, prefecture_of
from lcedu.measure.plan import in_region
from lcedu.present import narrative as nv
from lcedu.present.briefing.data import Params, base, base_of, plan_of
from lcedu.present.words import word


def page_prefecture(p: Params) -> str:
    """The prefecture a county page compares the county with: its own (临沧市 530900 for 临沧's counties)."""
    return CITY_CODE if p.is_city else prefecture_of(p.county)


def peer_codes(p: Params) -> list[str]:
    """The counties of the page's prefecture that have results in the build (临沧's 8; 昆明's 14 on a 云南 build)."""
    return _peer_codes(base().build, page_prefecture(p))


@lru_cache(maxsize=64)
def _peer_codes(build: str, prefecture: str) -> list[str]:
    codes = base_of(build).results["county_code"].astype(str).unique()
    return sorted(c for c in codes if not is_aggregate(c) and prefecture_of(c) == prefecture)


def peers_phrase(p: Params) -> str:
    """Who a county is ranked among: 全市8个县(区) for 临沧's counties, 昆明市14个县(市、区) elsewhere;
    English "the 8 counties" / "the 14 counties of Kunming". The count is the build's."""
    prefecture, peers = page_prefecture(p), peer_codes(p)
    if p.lang != "zh":  # grammar beyond a template: "the only county", and 县(市、区) where cities are among them
        whom = f"the {len(peers)} counties" if len(peers) != 1 else "the only county"
        return whom + ("" if prefecture == CITY_CODE else f" of {counties.area_name(prefecture, 'en')}")
    known = counties.registry().set_index("county_code")["name_zh"]
    cities = any(str(known.get(c, "")).endswith("市") for c in peers)
    where = "全市" if prefecture == CITY_CODE else counties.area_name(prefecture)
    return f"{where}{len(peers)}个{'县(市、区)' if cities else '县(区)'}"


def in_plan_region(p: Params) -> bool:
    """Whether the plan's targets are the page's own: 临沧's plan for 临沧's counties, none for 昆明's."""
    return in_region(p.county, plan_of(p.plan).region_code)


def prefecture_word(p: Params) -> str:
    """How a page names the county's prefecture: 全市 / "the city" inside the plan's region (临沧's pages
    as they always were), the prefecture's own name elsewhere (昆明市 / Kunming)."""
    if in_plan_region(p):
        return word("briefing.the_city", p.lang)
    return counties.area_name(page_prefecture(p), p.lang)


def no_targets_note(p: Params, prefecture: str | None = None) -> str:
    """Said where a target would stand on a page outside the plan's region: the targets are the region's.
    ``prefecture``: whose page (default the page's own)."""
    region = plan_of(p.plan).region_code or CITY_CODE
    where = prefecture or page_prefecture(p)
    return word(
        "briefing.no_targets_note",
        p.lang,
        region=counties.area_name(region, p.lang),
        where=counties.area_name(where, p.lang),
    )


def sample_notice(lang: str = "zh") -> str | None:
    """The page-level disclaimer (markdown) when the processed set is the synthetic sample."""
    if not base().synthetic:
        return None
    return word("briefing.sample_notice", lang)


def synthetic_note(lang: str = "zh") -> str | None:
    """The sample disclaimer for figures, or None for real data."""
    return nv.text("sample", lang) if base().synthetic else None
