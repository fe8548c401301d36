"""A small collection of geometries that break naive code, shared by the tests (lon/lat degrees, EPSG:4326).

Everything but the antimeridian polygon lies in Pakistan, so the study-area checks pass and only the
shape itself is under test. Each entry says what it is for; ``layer`` and ``feature_collection`` turn
a selection into a layer or a GeoJSON document as a user's file would hold it.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import mapping

# Near Multan, Bahawalpur and Sukkur: flat, inside the outline, away from the border.
POINT = shapely.Point(71.47, 30.20)
MULTIPOINT = shapely.MultiPoint([(71.40, 30.10), (71.60, 30.30)])
SQUARE_CLOCKWISE = shapely.Polygon([(71.0, 29.0), (71.0, 29.2), (71.2, 29.2), (71.2, 29.0)])  # exterior turns clockwise
# A doughnut: its centroid is in the hole, so "the middle" of it is not in it.
DOUGHNUT = shapely.Polygon([(70.0, 29.0), (70.4, 29.0), (70.4, 29.4), (70.0, 29.4)],
                           holes=[[(70.1, 29.1), (70.1, 29.3), (70.3, 29.3), (70.3, 29.1)]])
# Two islands far apart: the second one must count as much as the first.
TWO_ISLANDS = shapely.MultiPolygon([shapely.box(68.80, 27.60, 68.90, 27.70), shapely.box(72.60, 30.90, 72.70, 31.00)])
ISLAND_WITH_LAKE = shapely.MultiPolygon([
    shapely.Polygon([(73.0, 31.0), (73.3, 31.0), (73.3, 31.3), (73.0, 31.3)],
                    holes=[[(73.1, 31.1), (73.1, 31.2), (73.2, 31.2), (73.2, 31.1)]]),
    shapely.box(73.5, 31.0, 73.6, 31.1),
])
# Self-intersecting "bow tie": invalid, but its two triangles are what the user drew.
BOWTIE = shapely.Polygon([(72.0, 29.5), (72.2, 29.7), (72.2, 29.5), (72.0, 29.7), (72.0, 29.5)])
# Written the way a naive exporter writes a polygon across ±180°: it spans 359° of longitude.
ANTIMERIDIAN = shapely.Polygon([(179.5, -17.0), (-179.5, -17.0), (-179.5, -16.0), (179.5, -16.0)])
EMPTY_POLYGON = shapely.Polygon()
LINE = shapely.LineString([(70.5, 28.5), (70.9, 28.9)])

ZOO: dict[str, shapely.Geometry] = {
    "point": POINT, "multipoint": MULTIPOINT, "square_clockwise": SQUARE_CLOCKWISE, "doughnut": DOUGHNUT,
    "two_islands": TWO_ISLANDS, "island_with_lake": ISLAND_WITH_LAKE, "bowtie": BOWTIE,
    "antimeridian": ANTIMERIDIAN, "empty_polygon": EMPTY_POLYGON, "line": LINE,
}
POLYGONAL_VALID = ("square_clockwise", "doughnut", "two_islands", "island_with_lake")
POINTS = ("point", "multipoint")


def layer(names: tuple[str, ...] | list[str], **columns: list[Any]) -> gpd.GeoDataFrame:
    """A GeoDataFrame of the named zoo geometries (EPSG:4326) with ``name`` and any extra columns."""
    return gpd.GeoDataFrame({"name": list(names), **columns}, geometry=[ZOO[n] for n in names], crs=4326)


def exclusions(names: tuple[str, ...] | list[str]) -> gpd.GeoDataFrame:
    """The named geometries as an exclusions layer with every required column filled in."""
    return layer(names, zone_id=[f"z{i + 1}" for i in range(len(names))], category=["test"] * len(names),
                 reason=[f"zoo: {n}" for n in names])


def geojson_geometry(geom: shapely.Geometry) -> dict[str, Any] | None:
    """The geometry as a GeoJSON object with lists (what json.load gives), None if empty."""
    return None if geom.is_empty else json.loads(json.dumps(mapping(geom)))


def feature_collection(names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the named geometries, each with its name as a property."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": geojson_geometry(ZOO[n])} for n in names]}
