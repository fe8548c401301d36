"""The geometry collection (tests/geometries.py) through every place sitefinder takes or gives geometry:
reading a user's GeoJSON, validating a layer, candidate sites, the site under a click, and export."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from geometries import POINTS, POLYGONAL_VALID, ZOO, exclusions, feature_collection, geojson_geometry, layer
from shapely.geometry import shape

from sitefinder.data.geojson_check import check_features
from sitefinder.data.io import feature_collection as export_collection
from sitefinder.data.io import read_vector
from sitefinder.data.schema import validate_layer
from sitefinder.data.user_layers import prepare_layer
from sitefinder.errors import LayerError
from sitefinder.measure.candidates import user_candidates
from sitefinder.rank.shortlist import site_at


def _signed_area(ring: list[list[float]]) -> float:
    """Shoelace area of a GeoJSON ring in degrees²: positive when it turns counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) / 2


# ---------------------------------------------------------------------------------------------------------
# Reading


def test_every_valid_zoo_geometry_passes_the_rfc7946_check_unchanged() -> None:
    names = [n for n in ZOO if n not in ("empty_polygon",)]
    features = feature_collection(names)["features"]
    checked, notes = check_features(features, "zoo.geojson")
    assert notes == []
    assert [f["geometry"] for f in checked] == [f["geometry"] for f in features]


def test_the_zoo_survives_a_round_trip_through_a_real_geojson_file(tmp_path: Path) -> None:
    names = [n for n in ZOO if n != "empty_polygon"]
    path = tmp_path / "zoo.geojson"
    path.write_text(json.dumps(feature_collection(names)), encoding="utf-8")
    frame = read_vector(path).set_index("name")
    for n in names:
        assert frame.geometry[n].equals(ZOO[n]), n  # nothing split, merged, re-wound into another shape or dropped


def test_an_empty_geometry_is_read_as_missing_not_as_a_point_at_zero(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    doc = feature_collection(["point"])
    doc["features"].append({"type": "Feature", "properties": {"name": "nowhere"},
                            "geometry": {"type": "Polygon", "coordinates": []}})
    path.write_text(json.dumps(doc), encoding="utf-8")
    frame = read_vector(path).set_index("name")
    assert frame.geometry["nowhere"] is None or frame.geometry["nowhere"].is_empty


# ---------------------------------------------------------------------------------------------------------
# Layers


def test_valid_polygons_multi_parts_and_holes_are_accepted_as_they_are(study_area: gpd.GeoDataFrame) -> None:
    out = prepare_layer(exclusions(POLYGONAL_VALID), "exclusions", source="zoo.geojson", study_area=study_area)
    assert not [n for n in out.attrs["notes"] if "repaired" in n]
    for n, g in zip(POLYGONAL_VALID, out.geometry):
        assert g.equals(ZOO[n]), n


def test_an_invalid_polygon_is_repaired_with_a_note_that_names_the_row(study_area: gpd.GeoDataFrame) -> None:
    out = prepare_layer(exclusions(["doughnut", "bowtie"]), "exclusions", source="zoo.geojson", study_area=study_area)
    assert any("repaired 1 invalid polygon(s) (rows 2)" in n for n in out.attrs["notes"])
    fixed = out.geometry.iloc[1]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2  # the two triangles drawn
    assert fixed.area == pytest.approx(0.02, rel=1e-9)


@pytest.mark.parametrize("name, needle", [
    ("empty_polygon", "geometry, rows 2: is empty or missing"),
    ("antimeridian", "geometry, rows 2: spans more than 180° of longitude: it crosses the antimeridian"),
    ("line", "geometry, rows 2: is LineString, but land exclusions must be Polygon or MultiPolygon"),
    ("point", "geometry, rows 2: is Point, but land exclusions must be Polygon or MultiPolygon"),
])
def test_geometry_a_polygon_layer_cannot_use_is_refused_naming_the_row(name: str, needle: str) -> None:
    with pytest.raises(LayerError) as err:
        validate_layer(exclusions(["doughnut", name]), "exclusions", "zoo.geojson")
    text = str(err.value)
    assert text.startswith("zoo.geojson: ") and needle in text and "Fix: " in text


# ---------------------------------------------------------------------------------------------------------
# Candidate sites


def test_a_sites_representative_point_lies_in_the_site_not_in_its_hole() -> None:
    names = [*POINTS, *POLYGONAL_VALID]
    cands = user_candidates(layer(names))
    for n, x, y in zip(names, cands.lon, cands.lat):
        assert ZOO[n].covers(shapely.Point(x, y)), n
    assert not ZOO["doughnut"].centroid.within(ZOO["doughnut"])  # the naive choice would be outside the site


@pytest.mark.parametrize("name, needle", [("empty_polygon", "have an empty geometry"),
                                          ("line", "must be points or polygons")])
def test_candidates_refuse_what_is_not_a_place(name: str, needle: str) -> None:
    with pytest.raises(LayerError, match=needle):
        user_candidates(layer(["point", name]))


# ---------------------------------------------------------------------------------------------------------
# The site under a click


@pytest.fixture
def shortlist() -> gpd.GeoDataFrame:
    names = ["doughnut", "two_islands", "square_clockwise"]
    cands = user_candidates(layer(names))
    return gpd.GeoDataFrame({"candidate_id": names, "lon": cands.lon, "lat": cands.lat},
                            geometry=[ZOO[n] for n in names], crs=4326)


def test_a_click_in_the_second_island_selects_that_site(shortlist: gpd.GeoDataFrame) -> None:
    assert site_at(shortlist, 72.65, 30.95) == "two_islands"


def test_a_click_in_a_hole_selects_nothing_unless_a_site_is_near_enough(shortlist: gpd.GeoDataFrame) -> None:
    assert site_at(shortlist, 70.2, 29.2) is None  # in the doughnut's hole, ~11 km from its ring
    assert site_at(shortlist, 70.2, 29.2, tolerance_km=50) == "doughnut"


def test_the_click_tolerance_is_measured_on_the_earth_not_in_degrees(shortlist: gpd.GeoDataFrame) -> None:
    square = shortlist.set_index("candidate_id").loc["square_clockwise"]
    # 0.3° east of the site's point at 29° N is about 29 km; 0.3° north is about 33 km.
    east = (float(square.lon) + 0.3, float(square.lat))
    assert site_at(shortlist.iloc[[2]], *east, tolerance_km=31) == "square_clockwise"
    north = (float(square.lon), float(square.lat) + 0.3)
    assert site_at(shortlist.iloc[[2]], *north, tolerance_km=31) is None


# ---------------------------------------------------------------------------------------------------------
# Export


def test_export_winds_exteriors_counter_clockwise_and_holes_clockwise() -> None:
    names = list(POLYGONAL_VALID)
    doc = export_collection(layer(names))
    for n, feature in zip(names, doc["features"]):
        geom = feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for rings in polygons:
            assert _signed_area(rings[0]) > 0, n
            assert all(_signed_area(hole) < 0 for hole in rings[1:]), n
        assert shape(geom).equals(ZOO[n]), n  # re-wound, not changed


def test_export_writes_an_empty_geometry_as_null_and_keeps_the_feature() -> None:
    doc = export_collection(layer(["point", "empty_polygon"]))
    assert [f["properties"]["name"] for f in doc["features"]] == ["point", "empty_polygon"]
    assert doc["features"][1]["geometry"] is None
    assert doc["features"][0]["geometry"] == geojson_geometry(ZOO["point"])
