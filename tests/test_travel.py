"""Road travel time for the consolidation screening (issue 24): a small OpenStreetMap XML extract written here —
a village school 1 km from the town school as the crow flies but 10 km round a valley by a track, a river that is
no road, a primary road to a third school, and a 教学点 far from any road."""

from __future__ import annotations

from pathlib import Path

import pytest

from lcedu.errors import RequestError
from lcedu.measure import planning, travel
from tests.test_planning import _projections, _tables

# node id → (lon, lat): TOWN, VILL and NINE sit on the network, the track bends round the valley at M.
NODES = {1: (100.00, 24.00), 2: (100.00, 24.009), 3: (100.05, 24.0045), 4: (100.50, 24.50), 5: (100.25, 24.25)}
WAYS = [
    (10, [2, 3, 1], {"highway": "track"}),  # VILL → M → TOWN: the only road between them
    (11, [2, 1], {"waterway": "river"}),  # a river straight across: never a road
    (12, [1, 5, 4], {"highway": "primary"}),  # TOWN → NINE
    (13, [5, 4], {"highway": "residential", "maxspeed": "30"}),
]


def write_extract(folder: Path) -> Path:
    """A minimal OSM XML file (what osmium or JOSM writes) with the nodes and ways above."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="lcedu-test">']
    lines += [f'  <node id="{n}" lat="{lat}" lon="{lon}" version="1"/>' for n, (lon, lat) in NODES.items()]
    for way, refs, tags in WAYS:
        lines.append(f'  <way id="{way}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path = folder / "roads" / "临沧.osm"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def roads(tmp_path_factory):
    return travel.read_roads(write_extract(tmp_path_factory.mktemp("raw")), planning.config()["travel"])


def _km(a: int, b: int) -> float:
    return float(planning.haversine_km(*NODES[a], *NODES[b]))


def test_the_extract_is_read_without_the_river_and_with_speeds_by_road_type(roads):
    highways = {h for _, _, h in roads.edges(data="highway")}  # not simplified: one type per edge
    assert highways == {"track", "primary", "residential"}  # the river is not a road
    speeds = {h: s for _, _, h, s in ((u, v, d["highway"], d["speed_kph"]) for u, v, d in roads.edges(data=True))}
    cfg = planning.config()["travel"]["speeds_kph"]
    assert speeds["track"] == cfg["track"] and speeds["primary"] == cfg["primary"]
    assert speeds["residential"] == 30  # the way's own maxspeed wins over the type's


def test_travel_time_turns_a_short_straight_line_into_a_long_trip_and_the_screening_follows(roads):
    place_rows = planning.places(_tables(), _projections())
    c = planning.consolidation(_tables(), place_rows, roads).set_index("school_id")
    vill = c.loc["VILL"]
    assert vill["nearest_distance_km"] == pytest.approx(1.0, abs=0.01)  # the straight line
    assert vill["travel_school_id"] == "TOWN" and vill["travel_school_name"] == "TOWN学校"
    by_track = (_km(2, 3) + _km(3, 1)) / planning.config()["travel"]["speeds_kph"]["track"] * 60
    assert vill["travel_minutes"] == pytest.approx(by_track, rel=0.01)  # about an hour round the valley
    assert vill["distance_basis"].startswith("路程时间")
    assert vill["retain_beyond_minutes"] == 30
    assert vill["screening"].startswith("应保留")  # 1 km by air said 可研究; an hour by road keeps it
    assert vill["receiving_school_id"] == "TOWN"
    assert "直线距离，不是路程时间" not in vill["caveats"]


def test_a_school_off_the_network_keeps_the_straight_line_and_says_so(roads):
    c = planning.consolidation(_tables(), planning.places(_tables(), _projections()), roads).set_index("school_id")
    far = c.loc["FAR"]  # 教学点 ~16 km from the nearest road node
    assert pd_isna(far["travel_minutes"]) and far["distance_basis"].startswith("直线距离（学校离路网太远）")
    assert far["screening"].startswith("应保留")  # beyond 3 km by the straight line
    assert "直线距离，不是路程时间" in far["caveats"]
    assert c.loc["KG", "screening"].startswith("待核实")  # no coordinates: neither distance can be judged


def test_without_an_extract_every_row_says_straight_line():
    c = planning.consolidation(_tables(), planning.places(_tables(), _projections()))
    assert c["distance_basis"].astype(str).str.contains("未提供路网").all()
    assert c["travel_minutes"].isna().all()


def test_the_extract_is_found_in_roads_or_by_the_environment_and_bad_files_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv(travel.ENV, raising=False)
    assert travel.find_extract(tmp_path) is None  # no roads/ folder: straight lines
    path = write_extract(tmp_path)
    assert travel.find_extract(tmp_path) == path
    (tmp_path / "roads" / "云南.osm.pbf").write_bytes(b"\x00")
    with pytest.raises(RequestError, match="多于一个路网文件"):
        travel.find_extract(tmp_path)
    path.unlink()
    with pytest.raises(RequestError, match="osmium cat"):
        travel.find_extract(tmp_path)
    monkeypatch.setenv(travel.ENV, str(tmp_path / "elsewhere.osm"))
    with pytest.raises(RequestError, match="elsewhere.osm"):
        travel.find_extract(tmp_path)


def test_a_broken_extract_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "roads.osm"
    bad.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(RequestError, match="roads.osm"):
        travel.read_roads(bad, planning.config()["travel"])


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_no_alternative_within_the_search_limit_is_retained_by_road(roads, monkeypatch):
    cfg = dict(planning.config()["travel"], search_minutes=30)  # VILL's hour round the valley is beyond it
    monkeypatch.setitem(planning.config(), "travel", cfg)
    c = planning.consolidation(_tables(), planning.places(_tables(), _projections()), roads).set_index("school_id")
    vill = c.loc["VILL"]
    assert pd_isna(vill["travel_minutes"]) and vill["distance_basis"].startswith("路程时间：搜索时限内无")
    assert vill["screening"].startswith("应保留")


@pytest.mark.slow  # seconds: the planning tables computed again
def test_a_build_finds_the_extract_in_the_raw_folder_and_records_it(tmp_path, monkeypatch):
    monkeypatch.delenv(travel.ENV, raising=False)
    path = write_extract(tmp_path)
    out, note = planning.planning_tables(_tables(), {"projections": _projections()}, raw_dir=tmp_path)
    assert note["roads"]["file"] == str(path) and note["roads"]["nodes"] == len(NODES)
    assert len(note["roads"]["sha256"]) == 64
    vill = out["planning_consolidation"].set_index("school_id").loc["VILL"]
    assert vill["distance_basis"].startswith("路程时间")
    _, plain = planning.planning_tables(_tables(), {"projections": _projections()}, raw_dir=None)
    assert plain["roads"] is None
