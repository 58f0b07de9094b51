"""Maps of equalization progress across the counties of a prefecture (临沧's eight by default).

Every map takes the indicator engine's tidy table (``county_code, year, indicator, value``) and draws on a plain
:class:`matplotlib.figure.Figure` (no pyplot state, safe in batch jobs). One job per module: :mod:`.words` (titles,
legend and source words), :mod:`.boundaries` (county shapes, projected) and :mod:`.rows` (the county rows a map
draws), :mod:`.classes` (fixed breaks and colours), :mod:`.labels` and :mod:`.furniture` (labels, legend, north
arrow, scale bar, layouts), and the map kinds: :mod:`.indicator_maps`, :mod:`.status_maps`, :mod:`.locator`,
:mod:`.province`. Files are written by :mod:`lcedu.publish.map_files`.

geopandas and matplotlib are imported by this package only; ``import lcedu`` stays light.
"""

from __future__ import annotations

from lcedu.present.maps.boundaries import (
    PROJECTED_CRS,
    default_shapes_path,
    load_counties,
    load_scope,
    map_prefecture,
    prefecture_counties,
)
from lcedu.present.maps.classes import (
    CATEGORY_COLOURS,
    DEFAULT_REACH_MARGIN,
    Classification,
    ClassRule,
    Direction,
    change_breaks,
    change_classification,
    class_labels,
    classify_values,
    fixed_breaks,
    is_whole,
    status_classification,
    stored_classes,
    target_classification,
    value_classification,
    whole_breaks,
)
from lcedu.present.maps.furniture import CONTEXT_COLOUR, HIGHLIGHT_COLOUR, NO_DATA_FACE
from lcedu.present.maps.indicator_maps import DEFAULT_YEARS, change_map, choropleth, small_multiples
from lcedu.present.maps.labels import fit_to_width, place_labels
from lcedu.present.maps.locator import locator_map
from lcedu.present.maps.province import province_choropleth
from lcedu.present.maps.rows import KEY_COLUMNS, indicator_values, indicator_values_all_years
from lcedu.present.maps.status_maps import share_verdicts, status_map, status_share
from lcedu.present.maps.words import ASSESSMENTS, Lang, assessment_name

__all__ = [
    "ASSESSMENTS",
    "CATEGORY_COLOURS",
    "CONTEXT_COLOUR",
    "DEFAULT_REACH_MARGIN",
    "DEFAULT_YEARS",
    "HIGHLIGHT_COLOUR",
    "KEY_COLUMNS",
    "NO_DATA_FACE",
    "PROJECTED_CRS",
    "ClassRule",
    "Classification",
    "Direction",
    "Lang",
    "assessment_name",
    "change_breaks",
    "change_classification",
    "change_map",
    "choropleth",
    "class_labels",
    "classify_values",
    "default_shapes_path",
    "fit_to_width",
    "fixed_breaks",
    "indicator_values",
    "indicator_values_all_years",
    "is_whole",
    "load_counties",
    "load_scope",
    "locator_map",
    "map_prefecture",
    "place_labels",
    "prefecture_counties",
    "province_choropleth",
    "share_verdicts",
    "small_multiples",
    "status_classification",
    "status_map",
    "status_share",
    "stored_classes",
    "target_classification",
    "value_classification",
    "whole_breaks",
]
