"""Road travel time between schools from an OpenStreetMap extract the user supplies (never downloaded).

The consolidation screening (:func:`lcedu.measure.planning.consolidation`) asks how far a small school's pupils
would travel to the nearest school of the same 学段. A straight line understates that in 临沧's mountains; with a
road network the answer is minutes. The extract is read with osmnx (``graph_from_xml``) from a local file, each
road gets the speed of its highway type (``config/planning.yml`` → ``travel``, with its source) unless it carries
a ``maxspeed``, each school is snapped to its nearest road node, and the minutes are a shortest path by time plus
the walk to and from the road. Searches stop at ``search_minutes``: a candidate with no school of its 学段 within
that is reported as beyond it (``travel_minutes`` NA, ``is_beyond_search`` true). A school further from any road
than ``max_snap_m`` is off the network: its row keeps the straight-line distance and says so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax import SAXParseException

import networkx as nx
import numpy as np
import pandas as pd

from lcedu.errors import RequestError

ROADS_DIR = "roads"
ENV = "LCEDU_ROADS"
#: File endings osmnx reads as OSM XML (bz2-compressed too).
SUFFIXES = (".osm", ".xml", ".osm.bz2", ".xml.bz2")
FIX = (
    f"把 OpenStreetMap 路网摘录（.osm/.osm.xml，可为 .bz2）放入 data/raw/{ROADS_DIR}/（只放一个），或用环境变量 {ENV} "
    "指向它；.osm.pbf 先转换：osmium cat 区域.osm.pbf -o 区域.osm / put one OSM XML extract in "
    f"data/raw/{ROADS_DIR}/ or point ${ENV} at it; convert .pbf first (osmium cat in.osm.pbf -o out.osm)"
)


def _is_extract(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(SUFFIXES)


def find_extract(raw_dir: str | Path | None) -> Path | None:
    """The road extract of a build: ``$LCEDU_ROADS``, else the one OSM XML file in ``<raw>/roads/``; None if none.

    A .pbf, a missing file or two candidate files are errors naming the file and the fix (nothing guessed)."""
    if env := os.environ.get(ENV):
        found = [Path(env)]
    elif raw_dir is not None and (Path(raw_dir) / ROADS_DIR).is_dir():
        found = sorted(p for p in (Path(raw_dir) / ROADS_DIR).iterdir() if p.is_file() and p.name != "README.md")
    else:
        return None
    if not found:
        return None
    if len(found) > 1:
        names = "、".join(p.name for p in found)
        raise RequestError(f"{found[0].parent}：多于一个路网文件 / more than one road extract: {names}", FIX)
    path = found[0]
    if not _is_extract(path):
        raise RequestError(f"{path}：不是可读取的 OSM XML 路网文件 / not an OSM XML extract ({path.suffix})", FIX)
    return path


def read_roads(path: str | Path, cfg: Mapping) -> nx.MultiDiGraph:
    """The drivable and walkable ways of an OSM XML extract as a graph with ``speed_kph`` and ``travel_time`` (s).

    ``cfg``: the ``travel`` rules of planning.yml. Ways without a ``highway`` tag (buildings, rivers, boundaries)
    are dropped; one-way streets stay one-way."""
    import osmnx as ox  # lazy: osmnx brings sklearn and pyplot (seconds); only a user's road extract needs it

    path = Path(path)
    try:
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except (SAXParseException, ParseError, OSError, UnicodeDecodeError) as exc:
        raise RequestError(f"{path}：无法读取 OSM XML / cannot read the OSM XML extract: {exc}", FIX) from None
    except ValueError as exc:  # osmnx: "Found no graph nodes within the requested polygon" and the like
        raise RequestError(f"{path}：摘录中没有道路 / no roads in the extract: {exc}", FIX) from None
    graph.remove_edges_from([(u, v, k) for u, v, k, hw in graph.edges(keys=True, data="highway") if hw is None])
    graph.remove_nodes_from([n for n, degree in dict(graph.degree()).items() if degree == 0])
    if graph.number_of_edges() == 0:
        raise RequestError(f"{path}：摘录中没有 highway 道路 / no highway ways in the extract", FIX)
    # Not simplified: every mapped node stays, so a school snaps to the road beside it, not to a junction km away.
    speeds = {str(k): float(v) for k, v in cfg["speeds_kph"].items()}
    graph = ox.routing.add_edge_speeds(graph, hwy_speeds=speeds, fallback=float(cfg["fallback_kph"]))
    return ox.routing.add_edge_travel_times(graph)


def describe(path: Path, graph: nx.MultiDiGraph) -> dict:
    """What a build records of the extract it used: file, sha256, nodes and edges."""
    return {
        "file": str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
    }


def snap(graph: nx.MultiDiGraph, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest road node of each point and its distance in metres (great circle; -1 / NaN where unknown)."""
    import osmnx as ox  # lazy: osmnx brings sklearn and pyplot (seconds); only a user's road extract needs it

    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    nodes = np.full(len(lon), -1, dtype=np.int64)
    dist = np.full(len(lon), np.nan)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if ok.any():
        n, d = ox.distance.nearest_nodes(graph, lon[ok], lat[ok], return_dist=True)
        nodes[ok], dist[ok] = np.asarray(n, dtype=np.int64), np.asarray(d, float)
    return nodes, dist


def _sites(graph: nx.MultiDiGraph, frames: list[pd.DataFrame], cfg: Mapping) -> pd.DataFrame:
    """Each school's road node, the metres to it and whether that is within ``max_snap_m`` (on the network)."""
    sites = pd.concat(frames)[["school_id", "longitude", "latitude"]].astype({"school_id": str})
    sites = sites.drop_duplicates("school_id").reset_index(drop=True)
    lon, lat = (sites[c].to_numpy(float, na_value=np.nan) for c in ("longitude", "latitude"))
    nodes, dist = snap(graph, lon, lat)
    site = pd.DataFrame({"node": nodes, "snap_m": dist}, index=sites["school_id"])
    site["on_network"] = site["snap_m"] <= float(cfg["max_snap_m"])
    return site


def nearest_by_travel(
    graph: nx.MultiDiGraph, cands: pd.DataFrame, pool: pd.DataFrame, same_county: bool, cfg: Mapping
) -> pd.DataFrame:
    """For each candidate row, the other school of its 学段 reached in the fewest minutes by road.

    ``cands`` and ``pool`` carry school_id, stage, county_code, longitude, latitude. Returns, on the candidates'
    index: travel_school_id, travel_minutes (walk to the road + drive + walk from it); is_off_network (the
    candidate is more than ``max_snap_m`` from a road; NA without coordinates); is_beyond_search (on the network,
    schools of its 学段 are too, but none within ``search_minutes``)."""
    walk = float(cfg["walk_kph"]) / 3.6  # m/s
    cutoff = float(cfg["search_minutes"]) * 60
    site = _sites(graph, [cands, pool], cfg)
    ids = cands["school_id"].astype(str)
    out = pd.DataFrame(
        {
            "travel_school_id": pd.array([pd.NA] * len(cands), dtype="string"),
            "travel_minutes": pd.array([pd.NA] * len(cands), dtype="Float64"),
            "is_off_network": pd.array(~site["on_network"].reindex(ids).to_numpy(bool), dtype="boolean"),
            "is_beyond_search": pd.array([False] * len(cands), dtype="boolean"),
        },
        index=cands.index,
    )
    out.loc[site["snap_m"].reindex(ids).isna().to_numpy(), "is_off_network"] = pd.NA
    reached: dict[int, dict] = {}
    for i, sid, stage, county in zip(cands.index, ids, cands["stage"], cands["county_code"], strict=True):
        if not site["on_network"].get(sid, False):
            continue
        p = pool[(pool["stage"] == stage) & ((pool["county_code"] == county) if same_county else True)]
        targets = [t for t in p["school_id"].astype(str).unique() if t != sid and site.at[t, "on_network"]]
        if not targets:
            continue
        source = int(site.at[sid, "node"])
        if source not in reached:
            reached[source] = nx.single_source_dijkstra_path_length(graph, source, cutoff, weight="travel_time")
        seconds = reached[source]
        best = min(
            (
                (seconds[n] + site.at[t, "snap_m"] / walk, t)
                for t in targets
                if (n := int(site.at[t, "node"])) in seconds
            ),
            default=None,
        )
        if best is None:
            out.at[i, "is_beyond_search"] = True
            continue
        out.at[i, "travel_minutes"] = (best[0] + site.at[sid, "snap_m"] / walk) / 60
        out.at[i, "travel_school_id"] = best[1]
    return out
