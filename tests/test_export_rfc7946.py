"""The exported shortlist is RFC 7946 GeoJSON that other libraries read back unchanged."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LinearRing, shape

import sitefinder
from sitefinder.model.profiles import load_profile
from sitefinder.rank.metadata import run_metadata
from sitefinder.rank.shortlist import pick_shortlist, shortlist_frame, shortlist_table
from sitefinder.rank.study import Study
from sitefinder.report.files import shortlist_geojson

TOP = 20
PROPERTIES = ("rank", "score", "grid_node", "grid_voltage_kv", "grid_distance_km", "grid_headroom_mw",
              "region", "region_surplus_mw")


def _no_constants(token: str):
    raise AssertionError(f"non-JSON constant {token} in the GeoJSON text")


def parse_strict(text: str) -> dict:
    """json.loads that refuses NaN/Infinity and keeps numbers as written (Decimal)."""
    return json.loads(text, parse_constant=_no_constants, parse_float=Decimal)


@pytest.fixture(scope="module")
def exported(pakistan_data, tmp_path_factory):
    """Rank bitcoin_mine on H3 resolution 6 and export the top 20 through the public API."""
    profile = load_profile("bitcoin_mine")
    study = Study.on_h3(pakistan_data, 6)
    matrix, result = study.rank(profile)
    rows = pick_shortlist(matrix, result, TOP, max_per_node=2)
    table = shortlist_table(matrix, result, rows)
    meta = run_metadata(study, result, top=TOP, max_per_node=2, province=None)
    frame = shortlist_frame(study, table, rows)
    text = shortlist_geojson(frame, meta)
    path = tmp_path_factory.mktemp("export") / "shortlist.geojson"
    path.write_text(text, encoding="utf-8")
    return profile, text, path


def iter_polygons(geometry: dict):
    if geometry["type"] == "Polygon":
        yield geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        yield from geometry["coordinates"]


def iter_positions(coords):
    if coords and isinstance(coords[0], (int, float, Decimal)):
        yield coords
    else:
        for c in coords:
            yield from iter_positions(c)


def check_rfc7946_geometry(geometry: dict) -> None:
    for pos in iter_positions(geometry["coordinates"]):
        assert len(pos) == 2
        lon, lat = pos
        assert -180 <= lon <= 180 and -90 <= lat <= 90, pos
        for v in pos:
            assert isinstance(v, Decimal) and v.as_tuple().exponent >= -6, f"{v} has more than 6 decimals"
    for rings in iter_polygons(geometry):
        for k, ring in enumerate(rings):
            pts = [(float(x), float(y)) for x, y in ring]
            assert len(pts) >= 4 and pts[0] == pts[-1], "ring is not closed"
            ccw = LinearRing(pts).is_ccw
            if k == 0:
                assert ccw, "exterior ring is clockwise"
            else:
                assert not ccw, "interior ring is counter-clockwise"


def test_feature_collection_is_rfc7946(exported):
    _, text, _ = exported
    data = parse_strict(text)
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data
    assert len(data["features"]) == TOP
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Polygon"
        check_rfc7946_geometry(feature["geometry"])
        props = feature["properties"]
        assert 60 < props["lon"] < 78 and 23 < props["lat"] < 38
        for key in ("lon", "lat"):
            assert props[key].as_tuple().exponent >= -6


def test_metadata_says_how_the_run_was_made(exported, pakistan_data):
    profile, text, _ = exported
    meta = json.loads(text)["metadata"]
    assert meta["profile"] == "bitcoin_mine"
    assert meta["facility_mw"] == 100
    assert meta["weights"] == {c.name: c.weight for c in profile.criteria}
    assert sum(meta["weights_normalised"].values()) == pytest.approx(1.0)
    assert meta["constraints"] and all(isinstance(c, str) for c in meta["constraints"])
    assert len(meta["constraints"]) == len(profile.constraints)
    assert meta["resolution"] == 6
    assert meta["generator"] == f"sitefinder {sitefinder.__version__}"
    stamp = dt.datetime.fromisoformat(meta["generated_at"])
    assert stamp.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 3600
    layers = meta["dataset"]["layers"]
    assert set(layers) == set(pakistan_data.layers)
    for kind, info in layers.items():
        assert info["file"] == pakistan_data.files[kind].name
        assert info["features"] == len(pakistan_data[kind])
        assert isinstance(info["sources"], list)
    assert layers["grid_nodes"]["sources"] and layers["climate_stations"]["sources"]
    assert meta["dataset"]["version"]


def test_features_carry_ranks_connection_region_and_contributions(exported):
    profile, text, _ = exported
    features = json.loads(text)["features"]
    names = [c.name for c in profile.criteria]
    assert [f["properties"]["rank"] for f in features] == list(range(1, TOP + 1))
    scores = [f["properties"]["score"] for f in features]
    assert scores == sorted(scores, reverse=True)
    for f in features:
        props = f["properties"]
        for key in PROPERTIES:
            assert key in props, key
        assert props["grid_node"] and props["region"]
        assert props["region_surplus_mw"] >= 100  # the constraint: the surplus covers 100 MW
        contribs = [props[f"contrib_{n}"] for n in names]
        assert all(isinstance(c, (int, float)) and c >= 0 for c in contribs)
        assert sum(contribs) == pytest.approx(props["score"], abs=0.05)
        assert 0 < props["score"] <= 100
    extra = {k for k in features[0]["properties"] if k.startswith("contrib_")} - {f"contrib_{n}" for n in names}
    assert not extra


@pytest.mark.parametrize("reader", ["pyogrio", "geopandas"])
def test_other_libraries_read_it_back(exported, reader):
    _, text, path = exported
    frame = pyogrio.read_dataframe(path) if reader == "pyogrio" else gpd.read_file(path)
    ours = json.loads(text)["features"]
    assert len(frame) == len(ours) == TOP
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert frame["rank"].tolist() == [f["properties"]["rank"] for f in ours]
    assert frame["candidate_id"].tolist() == [f["properties"]["candidate_id"] for f in ours]
    assert frame.geometry.is_valid.all()
    assert (frame.geometry.geom_type == "Polygon").all()
    for geom, feature in zip(frame.geometry, ours):
        assert geom.equals_exact(shape(feature["geometry"]), tolerance=1e-9)


def test_user_polygons_with_holes_are_reoriented(pakistan_data, tmp_path):
    """Polygons given clockwise with counter-clockwise holes come out the RFC 7946 way round; NaN becomes null."""
    def cw_box_with_ccw_hole(x, y, d=0.05):
        shell = [(x, y), (x, y + d), (x + d, y + d), (x + d, y), (x, y)]  # clockwise
        hole = [(x + d / 4, y + d / 4), (x + 3 * d / 4, y + d / 4), (x + 3 * d / 4, y + 3 * d / 4),
                (x + d / 4, y + 3 * d / 4), (x + d / 4, y + d / 4)]  # counter-clockwise
        poly = shapely.Polygon(shell, [hole])
        assert not LinearRing(shell).is_ccw and LinearRing(hole).is_ccw and poly.is_valid
        return poly

    multi = shapely.MultiPolygon([cw_box_with_ccw_hole(73.9, 31.6), cw_box_with_ccw_hole(74.0, 31.6)])
    sites = gpd.GeoDataFrame({"site_id": ["karachi", "lahore", "at-sea"]},
                             geometry=[cw_box_with_ccw_hole(66.8, 24.85), multi, cw_box_with_ccw_hole(64.0, 22.0)],
                             crs=4326)
    path = tmp_path / "sites.gpkg"
    sites.to_file(path, driver="GPKG")
    from sitefinder.data.io import read_vector
    study = Study.on_sites(pakistan_data, read_vector(path), str(path))
    matrix, result = study.rank(load_profile("bitcoin_mine"))
    rows = np.arange(len(matrix))  # every site, feasible or not
    table = shortlist_table(matrix, result, rows)
    assert math.isnan(table.loc[table["candidate_id"] == "at-sea", "score"].iloc[0])
    text = shortlist_geojson(shortlist_frame(study, table, rows),
                             run_metadata(study, result, top=3, max_per_node=0, province=None))
    data = parse_strict(text)
    by_id = {f["properties"]["candidate_id"]: f for f in data["features"]}
    assert by_id["at-sea"]["properties"]["score"] is None
    assert by_id["lahore"]["geometry"]["type"] == "MultiPolygon"
    for feature in data["features"]:
        check_rfc7946_geometry(feature["geometry"])
        assert sum(1 for rings in iter_polygons(feature["geometry"]) for _ in rings[1:]) >= 1
