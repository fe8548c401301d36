"""``sitefinder.data.io.read_layer`` on real files of every allowed format, and on bad ones."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from geometries import ZOO, exclusions

from sitefinder.data.io import read_layer
from sitefinder.errors import FileFormatError, LayerError, SitefinderError

CITIES = gpd.GeoDataFrame({"name": ["Karachi", "Lahore", "Quetta"], "population": [20_382_881.0, 13_004_135.0, 1_001_205.0]},
                          geometry=gpd.points_from_xy([67.01, 74.35, 66.99], [24.86, 31.56, 30.18]), crs=4326)


def write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def point(lon: float, lat: float, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def zipped_shapefile(tmp_path: Path, frame: gpd.GeoDataFrame, name: str, *, skip=(), arc_prefix: str = "") -> Path:
    folder = tmp_path / f"{name}_shp"
    folder.mkdir()
    frame.to_file(folder / f"{name}.shp")
    parts = sorted(folder.iterdir())
    assert any(p.suffix == ".prj" for p in parts)
    target = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in parts:
            if p.suffix not in skip:
                zf.write(p, arc_prefix + p.name)
    return target


def test_grid_nodes_with_many_problems_are_reported_together(tmp_path):
    path = write_json(tmp_path / "my_grid.geojson", {"type": "FeatureCollection", "features": [
        point(67.0, 25.0, node_id="n1", voltage_kv=220, status="operational", headroom_mw=None),
        point(68.0, 26.0, node_id="n2", voltage_kv="two hundred", status="operational", headroom_mw=None),
        point(69.0, 27.0, node_id="n3", voltage_kv=5000, status="operational", headroom_mw=50),
        point(70.0, 28.0, node_id="n3", voltage_kv=500, status="mothballed", headroom_mw=50),
    ]})  # and no 'name' column at all
    with pytest.raises(LayerError) as info:
        read_layer(path, "grid_nodes")
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, SitefinderError)
    msg = str(err)
    assert "my_grid.geojson" in msg.splitlines()[0]
    wheres = {p.where: p for p in err.problems}
    assert len(err.problems) == 5, msg

    name = wheres["column 'name'"]
    assert "missing" in name.message and "name" in name.fix

    bad_number = next(p for w, p in wheres.items() if w.startswith("column 'voltage_kv'") and "number" in p.message)
    assert re.search(r"rows 2\b", bad_number.where) and "'two hundred'" in bad_number.message and bad_number.fix

    out_of_range = next(p for w, p in wheres.items() if w.startswith("column 'voltage_kv'") and "outside" in p.message)
    assert re.search(r"rows 3\b", out_of_range.where) and "5000" in out_of_range.message and "kV" in out_of_range.message
    assert out_of_range.fix

    status = next(p for w, p in wheres.items() if w.startswith("column 'status'"))
    assert re.search(r"rows 4\b", status.where) and "mothballed" in status.message
    assert "operational" in status.fix and "planned" in status.fix

    dup = next(p for w, p in wheres.items() if w.startswith("column 'node_id'"))
    assert re.search(r"rows 3, 4\b", dup.where) and "n3" in dup.message and dup.fix

    for problem in err.problems:  # every problem shows up in the one message, with its fix
        assert str(problem) in msg and "Fix:" in str(problem)


def test_layer_error_is_a_value_error(tmp_path):
    path = write_json(tmp_path / "cities.geojson", {"type": "FeatureCollection", "features": [
        point(67.0, 25.0, name="A", population=-5)]})
    with pytest.raises(ValueError, match="population"):
        read_layer(path, "cities")


def test_csv_with_lat_lon_columns_loads_as_points(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text("name,population,Latitude,Longitude\nKarachi,20382881,24.86,67.01\nLahore,13004135,31.56,74.35\n",
                    encoding="utf-8")
    frame = read_layer(path, "cities")
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.geom_type.tolist() == ["Point", "Point"]
    assert frame.geometry.x.tolist() == [67.01, 74.35] and frame.geometry.y.tolist() == [24.86, 31.56]
    assert frame["population"].tolist() == [20382881.0, 13004135.0]
    assert "Latitude" not in frame.columns and "Longitude" not in frame.columns


def test_zipped_shapefile_loads(tmp_path):
    frame = read_layer(zipped_shapefile(tmp_path, CITIES, "cities"), "cities")
    assert frame.crs.to_epsg() == 4326
    assert frame["name"].tolist() == CITIES["name"].tolist()
    assert frame.geometry.geom_equals_exact(CITIES.geometry, tolerance=1e-9).all()


def test_zipped_shapefile_in_another_crs_is_reprojected(tmp_path):
    frame = read_layer(zipped_shapefile(tmp_path, CITIES.to_crs(32642), "utm"), "cities")
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.x.tolist() == pytest.approx(CITIES.geometry.x.tolist(), abs=1e-7)
    assert any("reprojected" in n for n in frame.attrs["notes"])


def test_zipped_shapefile_without_prj_is_refused(tmp_path):
    path = zipped_shapefile(tmp_path, CITIES, "noprj", skip={".prj"})
    with pytest.raises(LayerError) as info:
        read_layer(path, "cities")
    msg = str(info.value)
    assert "noprj.zip" in msg and "CRS" in msg and ".prj" in msg


def test_empty_feature_collection_is_refused(tmp_path):
    path = write_json(tmp_path / "nothing.geojson", {"type": "FeatureCollection", "features": []})
    with pytest.raises(LayerError, match=r"nothing\.geojson.*no features"):
        read_layer(path, "grid_nodes")


def test_xml_named_geojson_is_refused_by_content(tmp_path):
    path = tmp_path / "innocent.geojson"
    path.write_text('<OGRVRTDataSource>\n  <OGRVRTLayer name="passwd">\n    <SrcDataSource>/etc/passwd</SrcDataSource>\n'
                    "  </OGRVRTLayer>\n</OGRVRTDataSource>\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"innocent\.geojson.*XML"):
        read_layer(path, "cities")


def test_zip_with_parent_path_is_refused(tmp_path):
    path = zipped_shapefile(tmp_path, CITIES, "evil", arc_prefix="../")
    with zipfile.ZipFile(path) as zf:
        assert "../evil.shp" in zf.namelist()
    with pytest.raises(FileFormatError, match=r"unsafe path '\.\./evil\.(shp|shx|dbf|prj|cpg)'"):
        read_layer(path, "cities")
    assert not (tmp_path.parent / "evil.shp").exists()


def test_geopackage_loads(tmp_path):
    path = tmp_path / "cities.gpkg"
    CITIES.to_file(path, driver="GPKG")
    frame = read_layer(path, "cities")
    assert frame.crs.to_epsg() == 4326
    assert frame["name"].tolist() == CITIES["name"].tolist()
    assert frame["population"].tolist() == CITIES["population"].tolist()


def test_bow_tie_exclusion_is_repaired_and_noted(tmp_path):
    assert not ZOO["bowtie"].is_valid
    path = tmp_path / "zones.geojson"
    exclusions(["doughnut", "bowtie"]).to_file(path, driver="GeoJSON")
    frame = read_layer(path, "exclusions")
    assert frame.geometry.is_valid.all()
    repaired = frame.geometry.iloc[1]
    assert repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(0.02)  # both triangles of the bow tie (0.01 deg² each) are kept
    assert repaired.contains(shapely.Point(72.02, 29.6)) and repaired.contains(shapely.Point(72.18, 29.6))
    assert frame.geometry.iloc[0].equals(ZOO["doughnut"])
    notes = frame.attrs["notes"]
    assert any("repaired 1 invalid polygon" in n and "rows 2" in n for n in notes), notes


POINT_FEATURE = {"type": "Feature", "properties": {"name": "A", "population": 1}, "geometry": {"type": "Point", "coordinates": [67, 25]}}


@pytest.mark.parametrize("content", [
    pytest.param({"type": "FeatureCollection", "features": None}, id="features-null"),
    pytest.param({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "A"}}]}, id="no-geometry"),
    pytest.param({"type": "FeatureCollection",
                  "features": [{**POINT_FEATURE, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}]},
                 id="two-point-ring"),
    pytest.param({"type": "Topology", "objects": {}}, id="topojson"),
    pytest.param({"type": "FeatureCollection"}, id="features-missing"),
    pytest.param({"type": "FeatureCollection", "features": [{**POINT_FEATURE, "geometry": {"type": "Circle", "coordinates": [67, 25]}}]},
                 id="unknown-geometry-type"),
    pytest.param({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:bogus:crs"}},
                  "features": [POINT_FEATURE]},
                 id="unknown-crs-name"),
    pytest.param({"type": "FeatureCollection", "crs": {"type": "name", "properties": "EPSG:4326"}, "features": [POINT_FEATURE]},
                 id="crs-properties-not-an-object"),
])
def test_malformed_geojson_is_a_clear_error_not_a_crash(tmp_path, content):
    """A bad file must give a SitefinderError naming the file (the CLI turns that into exit 2), never a traceback."""
    path = write_json(tmp_path / "bad.geojson", content)
    try:
        read_layer(path, "cities")
    except SitefinderError as exc:
        assert "bad.geojson" in str(exc)
    except Exception as exc:  # noqa: BLE001 - the point of the test
        raise AssertionError(f"read_layer raised {type(exc).__module__}.{type(exc).__name__}: {exc}") from exc
    else:
        raise AssertionError("a malformed file was accepted")
