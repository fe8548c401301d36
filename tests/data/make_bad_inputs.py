"""Write the bad-input collection in ``tests/data/bad/``: small, real, hostile or broken layer files.

    python tests/data/make_bad_inputs.py          # rewrites tests/data/bad/ (and its README.md)

The output is deterministic (fixed zip timestamps, fixed DBF and GeoPackage dates, a seeded RNG), so the
committed files must equal what this script writes; ``tests/test_bad_inputs.py`` regenerates them into a
temporary folder and compares bytes. ``CASES`` is the manifest: for each file, the layer kind it is loaded
as, the error class expected (``None`` = it loads), the fragments the message must contain (the problem,
and the fix), and known source bugs (``xfail``: test aspect -> reason).

Not committed: the 300 MB file. ``tests/test_bad_inputs.py`` makes it at test time as a sparse file (a small
GeoJSON head, then ``truncate(300 MiB)``) and expects ``FileTooLargeError`` before any reading.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent / "bad"
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
GDAL_DATE = "2024-01-01"
BOMB_BYTES = 100 * 1024 * 1024  # unpacked size of the zip bomb (packs to ~100 KB)


@dataclass(frozen=True)
class Case:
    """One file of the collection and what loading it must do."""

    file: str
    kind: str                  # a layer kind for load_user_layer, or "candidates" (read_vector + user_candidates)
    error: str | None          # class name in sitefinder.errors; None = loads fine
    says: tuple[str, ...]      # fragments naming the problem
    fix: tuple[str, ...] | None  # fragments naming the fix; None = the message offers none (a bug, see xfail["fix"])
    note: str                  # what the file is
    write: Callable[[Path], None]
    xfail: dict[str, str] = field(default_factory=dict)  # aspect ("load", "cli", "fix") -> known source bug


CASES: list[Case] = []


def raw(reason: str) -> dict[str, str]:
    """A bug that lets a raw exception escape: the loader, the CLI (traceback) and the message all fail."""
    return {"load": reason, "cli": f"{reason} (the CLI prints a traceback or a warning)", "fix": reason}


def case(file: str, kind: str, error: str | None, says=(), fix=(), *, note: str, xfail: dict[str, str] | None = None):
    def register(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES.append(Case(file, kind, error, tuple(says), None if fix is None else tuple(fix), note, fn, dict(xfail or {})))
        return fn
    return register


# ----------------------------------------------------------------------------------------------
# Building blocks


def fc(features: list, **members) -> str:
    return json.dumps({"type": "FeatureCollection", **members, "features": features}, ensure_ascii=False) + "\n"


def feature(geometry, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(x, y) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def box(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


# Three real-looking grid nodes inside Pakistan (lon, lat).
NODES = [("gs-1", "Jamshoro 500 kV", 500.0, 68.28, 25.43),
         ("gs-2", "Multan 220 kV", 220.0, 71.47, 30.20),
         ("gs-3", "Rewat 500 kV", 500.0, 73.20, 33.50)]


def node(i: int, *, xy: tuple | None = None, geometry: dict | None = None, **overrides) -> dict:
    nid, name, kv, lon, lat = NODES[i]
    props = {"node_id": nid, "name": name, "voltage_kv": kv, "status": "operational", "headroom_mw": None, **overrides}
    props = {k: v for k, v in props.items() if v is not DROP}
    return feature(geometry if geometry is not None else point(*(xy or (lon, lat))), **props)


DROP = object()


def zone(zone_id: str, geometry: dict, reason: str = "Kirthar National Park") -> dict:
    return feature(geometry, zone_id=zone_id, category="protected_area", reason=reason)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


def write_zip(path: Path, members: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> None:
    """A zip with fixed timestamps and attributes, members stored under exactly the names given."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = compression
            zf.writestr(info, data, compresslevel=9 if compression == zipfile.ZIP_DEFLATED else None)


def _frame(features_json: str):
    import geopandas as gpd  # noqa: PLC0415
    return gpd.GeoDataFrame.from_features(json.loads(features_json)["features"], crs=4326)


def shapefile_members(frame, stem: str) -> list[tuple[str, bytes]]:
    """The files of a shapefile written by GDAL with a fixed DBF date, as (name, bytes): the .shp first."""
    import pyogrio  # noqa: PLC0415
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"{stem}.shp"
        pyogrio.write_dataframe(frame, target, driver="ESRI Shapefile", layer_options={"DBF_DATE_LAST_UPDATE": GDAL_DATE})
        return [(p.name, p.read_bytes()) for p in sorted(Path(tmp).iterdir(), key=lambda p: (p.suffix != ".shp", p.name))]


def write_gpkg(path: Path, layers: list[tuple[str, object]]) -> None:
    """A GeoPackage written by GDAL with fixed timestamps and no spatial index (keeps it small)."""
    import pyogrio  # noqa: PLC0415
    path.unlink(missing_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{GDAL_DATE}T00:00:00.000Z"})
    try:
        for name, frame in layers:
            pyogrio.write_dataframe(frame, path, driver="GPKG", layer=name, layer_options={"SPATIAL_INDEX": "NO"})
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def grid_nodes_frame(**columns):
    import geopandas as gpd  # noqa: PLC0415
    data = {"node_id": [n[0] for n in NODES], "name": [n[1] for n in NODES], "voltage_kv": [n[2] for n in NODES],
            "status": ["operational"] * 3, **columns}
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy([n[3] for n in NODES], [n[4] for n in NODES]), crs=4326)


EXCLUSION = fc([zone("z-1", box(67.3, 25.6, 67.9, 26.3)), zone("z-2", box(69.0, 27.0, 69.5, 27.5), "Thar desert reserve")])
VRT_PASSWD = """<OGRVRTDataSource>
  <OGRVRTLayer name="passwd">
    <SrcDataSource>CSV:/etc/passwd</SrcDataSource>
    <SrcLayer>passwd</SrcLayer>
    <GeometryType>wkbNone</GeometryType>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


# ----------------------------------------------------------------------------------------------
# Attributes that fail the schema


@case("grid_nodes_missing_name_column.geojson", "grid_nodes", "LayerError",
      ["column 'name'", "is missing"], ["Add a column 'name'"], note="required column 'name' absent")
def _(p: Path) -> None:
    write_text(p, fc([node(i, name=DROP) for i in range(3)]))


@case("grid_nodes_text_in_voltage_kv.geojson", "grid_nodes", "LayerError",
      ["column 'voltage_kv', rows 2", "expected a number", "'two hundred'"], ["Correct or blank those cells"],
      note="text in a number column")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1, voltage_kv="two hundred"), node(2)]))


@case("grid_nodes_voltage_5000kv.geojson", "grid_nodes", "LayerError",
      ["column 'voltage_kv', rows 3", "5000", "outside 1..1200 kV"], ["Check the units"], note="voltage out of range")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1), node(2, voltage_kv=5000)]))


@case("cities_negative_population.geojson", "cities", "LayerError",
      ["column 'population', rows 2", "-5000", "outside 0.."], ["Check the units"], note="negative population")
def _(p: Path) -> None:
    write_text(p, fc([feature(point(67.01, 24.86), name="Karachi", population=20382881),
                      feature(point(74.35, 31.56), name="Lahore", population=-5000)]))


@case("grid_nodes_unknown_status.geojson", "grid_nodes", "LayerError",
      ["column 'status', rows 2", "unknown value(s)", "mothballed"], ["Use one of: operational"], note="status not allowed")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1, status="mothballed"), node(2)]))


@case("grid_nodes_duplicate_ids.geojson", "grid_nodes", "LayerError",
      ["column 'node_id', rows 1, 3", "duplicate ids", "gs-1"], ["Give every feature its own id"], note="two nodes share an id")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1), node(2, node_id="gs-1")]))


@case("grid_nodes_empty_featurecollection.geojson", "grid_nodes", "LayerError",
      ["has no features"], ["Check that you chose the right file"], note="valid GeoJSON, zero features")
def _(p: Path) -> None:
    write_text(p, fc([]))


@case("supply_regions_11_months.geojson", "supply_regions", "LayerError",
      ["monthly surplus columns but not surplus_mw_12"], ["Give all twelve months"], note="monthly surplus, December missing")
def _(p: Path) -> None:
    months = {f"surplus_mw_{m:02d}": 100.0 + 10 * m for m in range(1, 12)}
    write_text(p, fc([feature(box(70.0, 28.0, 71.0, 29.0), region_id="r-1", name="Feeder 1", on_national_grid=True, **months)]))


@case("districts_bad_boolean.geojson", "districts", "LayerError",
      ["column 'flood_2022', rows 2", "expected true/false", "'maybe'"], ["Correct or blank those cells"],
      note="a flag that is neither true nor false")
def _(p: Path) -> None:
    write_text(p, fc([feature(box(67.5, 26.0, 68.5, 27.0), district="Dadu", province="Sindh", flood_2022=True),
                      feature(box(68.5, 27.0, 69.5, 28.0), district="Khairpur", province="Sindh", flood_2022="maybe")]))


@case("climate_stations_fahrenheit.geojson", "climate_stations", "LayerError",
      ["column 'tmax_06'", "outside -60..60 °C"], ["Check the units"], note="temperatures in °F, not °C")
def _(p: Path) -> None:
    tmax = [70, 75, 86, 97, 106, 110, 104, 101, 100, 95, 84, 74]
    tmin = [45, 50, 60, 70, 79, 84, 84, 82, 77, 68, 56, 47]
    props = {**{f"tmax_{m:02d}": t for m, t in enumerate(tmax, 1)}, **{f"tmin_{m:02d}": t for m, t in enumerate(tmin, 1)}}
    write_text(p, fc([feature(point(68.37, 25.39), station_id="41749", name="Hyderabad", **props)]))


@case("grid_nodes_wrong_type_column.gpkg", "grid_nodes", "LayerError",
      ["column 'voltage_kv', rows 1, 2", "expected a number", "'220 kV'"], ["Correct or blank those cells"],
      note="GeoPackage whose voltage_kv column is TEXT")
def _(p: Path) -> None:
    write_gpkg(p, [("substations", grid_nodes_frame(voltage_kv=["220 kV", "high", "500"]))])


@case("grid_nodes_huge_integer_voltage.geojson", "grid_nodes", "LayerError",
      ["column 'voltage_kv', rows 2"], ["Check the units"], note="a 400-digit integer voltage (JSON allows it)")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1, voltage_kv=10**400), node(2)]))


# ----------------------------------------------------------------------------------------------
# Coordinates and geometry


@case("grid_nodes_shapefile_no_prj.zip", "grid_nodes", "LayerError",
      ["no coordinate reference system (CRS)"], ["include the .prj"], note="zipped point shapefile without its .prj")
def _(p: Path) -> None:
    write_zip(p, [m for m in shapefile_members(grid_nodes_frame(), "substations") if not m[0].endswith(".prj")])


@case("exclusions_shapefile_no_prj.zip", "exclusions", "LayerError",
      ["no coordinate reference system (CRS)"], ["include the .prj"], note="zipped polygon shapefile without its .prj (missing CRS)")
def _(p: Path) -> None:
    write_zip(p, [m for m in shapefile_members(_frame(EXCLUSION), "parks") if not m[0].endswith(".prj")])


@case("grid_nodes_crs_unknown_name.geojson", "grid_nodes", "FileFormatError",
      ["'crs' member names 'urn:ogc:def:crs:EPSG::999999'", "not a coordinate reference system"],
      ["WGS84 longitude/latitude"], note="old-style GeoJSON crs naming a CRS that does not exist")
def _(p: Path) -> None:
    write_text(p, fc([node(i) for i in range(3)], crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}))


@case("grid_nodes_latlon_swapped.geojson", "grid_nodes", "LayerError",
      ["no feature lies in the study area", "swapped"], ["put longitude first"], note="Pakistan points with lat/lon exchanged")
def _(p: Path) -> None:
    write_text(p, fc([node(i, xy=(NODES[i][4], NODES[i][3])) for i in range(3)]))


@case("grid_nodes_all_in_europe.geojson", "grid_nodes", "LayerError",
      ["no feature lies in the study area", "lon -3.70..13.40"], ["Check that this is the right file"],
      note="every point in Europe (Paris, Berlin, Madrid)")
def _(p: Path) -> None:
    write_text(p, fc([node(0, xy=(2.35, 48.86)), node(1, xy=(13.40, 52.52)), node(2, xy=(-3.70, 40.42))]))


@case("exclusions_bowtie_self_intersecting.geojson", "exclusions", None,
      note="self-intersecting (bow-tie) polygon: REPAIRED, note 'repaired 1 invalid polygon(s)'")
def _(p: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[69.0, 27.0], [70.0, 28.0], [70.0, 27.0], [69.0, 28.0], [69.0, 27.0]]]}
    write_text(p, fc([zone("z-1", bowtie), zone("z-2", box(67.3, 25.6, 67.9, 26.3))]))


@case("exclusions_spike_polygon.geojson", "exclusions", None,
      note="polygon with a zero-width spike: REPAIRED, note 'repaired 1 invalid polygon(s)'")
def _(p: Path) -> None:
    spike = {"type": "Polygon", "coordinates": [[[69.0, 27.0], [70.0, 27.0], [70.0, 28.0], [70.0, 28.8], [70.0, 28.0],
                                                 [69.0, 28.0], [69.0, 27.0]]]}
    write_text(p, fc([zone("z-1", spike)]))


@case("grid_nodes_nan_lon.csv", "grid_nodes", "LayerError",
      ["columns 'lon'/'lat', lines 3", "are not numbers"], ["Fill in decimal degrees"], note="CSV with 'nan' longitude")
def _(p: Path) -> None:
    write_text(p, "node_id,name,voltage_kv,status,lon,lat\ngs-1,Jamshoro,500,operational,68.28,25.43\n"
                  "gs-2,Multan,220,operational,nan,30.20\ngs-3,Rewat,500,operational,73.20,33.50\n")


@case("grid_nodes_null_coordinate.geojson", "grid_nodes", "FileFormatError",
      ["feature 2", "holds None, not a number"], ["JSON numbers"], note="a Point with a null longitude")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1, geometry={"type": "Point", "coordinates": [None, 30.2]}), node(2)]))


@case("grid_nodes_nan_literal_coordinate.geojson", "grid_nodes", "FileFormatError",
      ["feature 2", "holds nan"], ["Remove features with NaN"], note="a bare NaN literal as a coordinate (Python's json accepts it)")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1, xy=(71.47, 30.2)), node(2)]).replace("[71.47, 30.2]", "[NaN, 30.2]"))


@case("grid_nodes_empty_geometry.geojson", "grid_nodes", "LayerError",
      ["geometry, rows 2", "is empty or missing"], ["give them a location"], note="a Point with no coordinates")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1, geometry={"type": "Point", "coordinates": []}), node(2)]))


@case("grid_nodes_polygons_not_points.geojson", "grid_nodes", "LayerError",
      ["is Polygon", "must be Point"], ["Export the layer with the right geometry type"], note="polygons where points belong")
def _(p: Path) -> None:
    write_text(p, fc([node(0, geometry=box(68.2, 25.4, 68.3, 25.5)), node(1)]))


@case("exclusions_crosses_antimeridian.geojson", "exclusions", "LayerError",
      ["spans more than 180° of longitude", "crosses the antimeridian"], ["Split it at ±180°"],
      note="polygon from 179° to -179° (Fiji), drawn around the globe")
def _(p: Path) -> None:
    ring = [[179.0, -17.0], [-179.0, -17.0], [-179.0, -16.0], [179.0, -16.0], [179.0, -17.0]]
    write_text(p, fc([zone("z-1", {"type": "Polygon", "coordinates": [ring]})]))


@case("candidates_lines.geojson", "candidates", "LayerError",
      ["candidates must be points or polygons"], ["Remove lines"], note="candidate sites given as LineStrings")
def _(p: Path) -> None:
    write_text(p, fc([feature({"type": "LineString", "coordinates": [[67.0, 25.0], [68.0, 26.0]]}, site_id="s-1"),
                      feature(point(71.5, 30.2), site_id="s-2")]))


@case("candidates_empty_geometry.geojson", "candidates", "LayerError",
      ["rows 2", "have an empty geometry"], ["Give each candidate a location"], note="a candidate Polygon with no rings")
def _(p: Path) -> None:
    write_text(p, fc([feature(point(67.0, 25.0), site_id="s-1"), feature({"type": "Polygon", "coordinates": []}, site_id="s-2")]))


@case("candidates_nan_lon.csv", "candidates", "LayerError",
      ["columns 'lon'/'lat', lines 2", "are not numbers"], ["Fill in decimal degrees"], note="candidate CSV with a 'nan' longitude")
def _(p: Path) -> None:
    write_text(p, "site_id,lon,lat\ns-1,nan,25.0\ns-2,71.5,30.2\n")


# ----------------------------------------------------------------------------------------------
# Zips


@case("exclusions_two_shapefiles.zip", "exclusions", "UnsafeArchiveError",
      ["exactly one shapefile", "it holds 2"], ["Zip one layer per file"], note="two shapefiles in one zip")
def _(p: Path) -> None:
    frame = _frame(EXCLUSION)
    write_zip(p, shapefile_members(frame.iloc[:1], "parks") + shapefile_members(frame.iloc[1:], "reserves"))


@case("grid_nodes_zip_slip_dotdot.zip", "grid_nodes", "UnsafeArchiveError",
      ["contains the unsafe path '../../evil.shp'"], ["Re-zip the shapefile's files only"], note="zip-slip: member ../../evil.shp")
def _(p: Path) -> None:
    write_zip(p, [(f"../../evil{Path(n).suffix}", b) for n, b in shapefile_members(grid_nodes_frame(), "evil")])


@case("grid_nodes_zip_slip_absolute.zip", "grid_nodes", "UnsafeArchiveError",
      ["contains the unsafe path '/tmp/sitefinder-evil-absolute.shp'"], ["Re-zip the shapefile's files only"],
      note="zip-slip: member with an absolute path")
def _(p: Path) -> None:
    write_zip(p, [(f"/tmp/sitefinder-evil-absolute{Path(n).suffix}", b) for n, b in shapefile_members(grid_nodes_frame(), "evil")])


@case("grid_nodes_zip_slip_backslash.zip", "grid_nodes", "UnsafeArchiveError",
      ["contains the unsafe path '..\\..\\evil.shp'"], ["Re-zip the shapefile's files only"],
      note="zip-slip with Windows separators: member ..\\..\\evil.shp")
def _(p: Path) -> None:
    write_zip(p, [(f"..\\..\\evil{Path(n).suffix}", b) for n, b in shapefile_members(grid_nodes_frame(), "evil")])


@case("grid_nodes_zip_bomb.zip", "grid_nodes", "UnsafeArchiveError",
      ["unpacks to 105 MB", "refused as a possible zip bomb"], None,
      note="100 MiB of zeros deflated to ~100 KB (ratio ~1000:1)")
def _(p: Path) -> None:
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo("layer.shp", date_time=ZIP_TIME)
        info.create_system = 3
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = bytes(1024 * 1024)
        with zf.open(info, "w") as fh:
            for _ in range(BOMB_BYTES // len(chunk)):
                fh.write(chunk)


@case("grid_nodes_zip_many_members.zip", "grid_nodes", "UnsafeArchiveError",
      ["holds 25 files"], ["needs at most 20"], note="25 members")
def _(p: Path) -> None:
    write_zip(p, [(f"part{i:02d}.txt", b"x\n") for i in range(25)])


@case("grid_nodes_zip_truncated.zip", "grid_nodes", "FileFormatError",
      ["is not a readable zip archive"], None, note="a zipped shapefile cut in half")
def _(p: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        whole = Path(tmp) / "whole.zip"
        write_zip(whole, shapefile_members(grid_nodes_frame(), "substations"))
        data = whole.read_bytes()
    p.write_bytes(data[: len(data) // 2])


@case("grid_nodes_vrt_disguised_as_shp.zip", "grid_nodes", "UnsupportedFormatError",
      ["is not a shapefile", "refused without being opened"], ["Zip the real .shp"],
      note="zip whose layer.shp is an OGR VRT pointing at /etc/passwd")
def _(p: Path) -> None:
    write_zip(p, [("layer.shp", VRT_PASSWD.encode()), ("layer.vrt", VRT_PASSWD.encode())])


@case("grid_nodes_wfs_ssrf_disguised_as_shp.zip", "grid_nodes", "UnsupportedFormatError",
      ["layer.shp"], ["shapefile"], note="zip whose layer.shp is a GDAL WFS descriptor: GDAL fetches its URL (SSRF)")
def _(p: Path) -> None:
    text = "<OGRWFSDataSource><URL>http://127.0.0.1:9/sitefinder-ssrf-probe?</URL></OGRWFSDataSource>\n"
    write_zip(p, [("layer.shp", text.encode())])


# ----------------------------------------------------------------------------------------------
# Formats judged by content


@case("grid_nodes_vrt_etc_passwd.geojson", "grid_nodes", "UnsupportedFormatError",
      ["looks like XML", "GDAL VRT"], ["Save the layer as GeoJSON"], note="OGR VRT reading /etc/passwd, named .geojson")
def _(p: Path) -> None:
    write_text(p, VRT_PASSWD)


@case("grid_nodes_vrt_etc_passwd.vrt", "grid_nodes", "UnsupportedFormatError",
      ["looks like XML", "GDAL VRT"], ["Save the layer as GeoJSON"], note="OGR VRT reading /etc/passwd, named .vrt")
def _(p: Path) -> None:
    write_text(p, VRT_PASSWD)


@case("grid_nodes_truncated.geojson", "grid_nodes", "FileFormatError",
      ["is not valid GeoJSON"], ["Check the file is complete JSON"], note="GeoJSON cut off mid-feature")
def _(p: Path) -> None:
    text = fc([node(i) for i in range(3)])
    write_text(p, text[: len(text) * 2 // 3])


@case("grid_nodes_deeply_nested.geojson", "grid_nodes", "FileFormatError",
      ["nested too deeply"], ["Export it again"], note="coordinates nested 5000 arrays deep (JSON parser recursion)")
def _(p: Path) -> None:
    depth = 5000
    write_text(p, '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
                  '{"type": "Point", "coordinates": ' + "[" * depth + "]" * depth + "}}]}\n")


@case("grid_nodes_json_list.geojson", "grid_nodes", "FileFormatError",
      ["is JSON but not a GeoJSON"], ["Export the layer as GeoJSON"], note="a JSON array, not an object")
def _(p: Path) -> None:
    write_text(p, json.dumps([node(i) for i in range(3)]) + "\n")


@case("grid_nodes_topojson.geojson", "grid_nodes", "FileFormatError",
      ["is JSON but not a GeoJSON FeatureCollection"], ["Export the layer as GeoJSON"], note="a TopoJSON Topology")
def _(p: Path) -> None:
    write_text(p, json.dumps({"type": "Topology", "objects": {"nodes": {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [68.28, 25.43], "properties": {"node_id": "gs-1"}}]}}, "arcs": []}) + "\n")


@case("grid_nodes_sqlite_not_geopackage.gpkg", "grid_nodes", "UnsupportedFormatError",
      ["is an SQLite database but not a GeoPackage"], ["Export the layer as GeoPackage"], note="plain SQLite named .gpkg")
def _(p: Path) -> None:
    p.unlink(missing_ok=True)
    con = sqlite3.connect(p)
    with con:
        con.execute("CREATE TABLE substations (node_id TEXT, name TEXT, voltage_kv REAL, lon REAL, lat REAL)")
        con.executemany("INSERT INTO substations VALUES (?, ?, ?, ?, ?)", NODES)
    con.close()


@case("grid_nodes_two_layers.gpkg", "grid_nodes", "FileFormatError",
      ["2 layers", "substations_2019", "substations_2024"], ["one layer"], note="GeoPackage with two layers")
def _(p: Path) -> None:
    write_gpkg(p, [("substations_2019", grid_nodes_frame()), ("substations_2024", grid_nodes_frame())])


@case("grid_nodes_table_without_geometry.gpkg", "grid_nodes", "FileFormatError",
      ["table without geometry"], ["Export a layer with points or polygons"],
      note="GeoPackage holding a plain attribute table (no geometry column)")
def _(p: Path) -> None:
    import pandas as pd  # noqa: PLC0415
    frame = grid_nodes_frame()
    table = pd.DataFrame(frame.drop(columns="geometry")).assign(lon=frame.geometry.x, lat=frame.geometry.y)
    write_gpkg(p, [("substations", table)])


@case("grid_nodes_random_binary.bin", "grid_nodes", "UnsupportedFormatError",
      ["is a binary file"], ["Use GeoJSON, GeoPackage"], note="2 KB of seeded random bytes")
def _(p: Path) -> None:
    data = random.Random(20240101).randbytes(2048)
    assert b"\x00" in data and data[:1] not in (b"{", b"<", b"P", b"S", b"\xef", b" ")
    p.write_bytes(data)


@case("grid_nodes_zero_bytes.geojson", "grid_nodes", "FileFormatError", ["is empty"], None, note="zero-byte file")
def _(p: Path) -> None:
    p.write_bytes(b"")


@case("grid_nodes_no_coordinate_columns.csv", "grid_nodes", "FileFormatError",
      ["a CSV needs longitude and latitude columns", "it has ['node_id', 'name', 'voltage_kv', 'status']"],
      ["named one of lon, longitude"], note="CSV without lon/lat or WKT")
def _(p: Path) -> None:
    write_text(p, "node_id,name,voltage_kv,status\ngs-1,Jamshoro,500,operational\n")


@case("grid_nodes_semicolon_decimal_comma.csv", "grid_nodes", "FileFormatError",
      ["a CSV needs longitude and latitude columns", "it has ['node_id;name;voltage_kv;status;lon;lat']"],
      ["named one of lon, longitude"], note="European CSV: ';' separator, decimal commas")
def _(p: Path) -> None:
    write_text(p, "node_id;name;voltage_kv;status;lon;lat\ngs-1;Jamshoro;500;operational;68,28;25,43\n")


@case("exclusions_wkt_garbage.csv", "exclusions", "FileFormatError",
      ["column 'wkt' holds text that is not WKT"], None, note="WKT column holding garbage")
def _(p: Path) -> None:
    write_text(p, 'zone_id,category,reason,wkt\nz-1,protected_area,park,"POLYGON ((67 25, 68 25, 68 26, 67 25))"\n'
                  "z-2,protected_area,reserve,not a polygon at all\n")


@case("cities_unclosed_quote.csv", "cities", "FileFormatError",
      ["could not be read as CSV"], None, note="CSV with an unterminated quote")
def _(p: Path) -> None:
    write_text(p, 'name,population,lon,lat\n"Karachi,20382881,67.01,24.86\nLahore,13004135,74.35,31.56\n')


# ----------------------------------------------------------------------------------------------
# GeoJSON that breaks RFC 7946 in ways readers mend quietly: refused, or repaired with a note


@case("grid_nodes_coordinates_as_strings.geojson", "grid_nodes", "FileFormatError",
      ["feature 2", "holds '67.5', not a number", "RFC 7946"], ["JSON numbers"],
      note="coordinates written as text [\"67.5\", \"25.1\"] (shapely would convert them silently)")
def _(p: Path) -> None:
    write_text(p, fc([node(0), node(1, geometry={"type": "Point", "coordinates": ["67.5", "25.1"]}), node(2)]))


@case("grid_nodes_boolean_coordinate.geojson", "grid_nodes", "FileFormatError",
      ["feature 1", "holds True, not a number"], ["JSON numbers"],
      note="a coordinate written as true (shapely reads it as 1.0)")
def _(p: Path) -> None:
    write_text(p, fc([node(0, geometry={"type": "Point", "coordinates": [True, 25.1]}), node(1)]))


@case("grid_nodes_lowercase_geometry_type.geojson", "grid_nodes", "FileFormatError",
      ["feature 1", "geometry type 'point' is not a GeoJSON type"], ["Write the type as 'Point'"],
      note="geometry type in lower case (readers accept it)")
def _(p: Path) -> None:
    write_text(p, fc([node(0, geometry={"type": "point", "coordinates": [67.5, 25.1]}), node(1)]))


@case("exclusions_ring_of_three_positions.geojson", "exclusions", "FileFormatError",
      ["feature 1", "ring 1 has 3 position(s)"], ["at least three corners"],
      note="a polygon ring of three positions (shapely pads it to four)")
def _(p: Path) -> None:
    write_text(p, fc([zone("z-1", {"type": "Polygon", "coordinates": [[[67.3, 25.6], [67.9, 25.6], [67.3, 25.6]]]})]))


@case("exclusions_unclosed_ring.geojson", "exclusions", None,
      note="polygon ring that does not end where it began: REPAIRED, note 'closed 1 polygon ring(s)'")
def _(p: Path) -> None:
    ring = [[67.3, 25.6], [67.9, 25.6], [67.9, 26.3], [67.3, 26.3]]
    write_text(p, fc([zone("z-1", {"type": "Polygon", "coordinates": [ring]}), zone("z-2", box(68.3, 25.6, 68.9, 26.3))]))


# ----------------------------------------------------------------------------------------------
# Text encodings and hostile text


@case("cities_cp1252.csv", "cities", "TextEncodingError",
      ["is not UTF-8 text"], ["Save the CSV as UTF-8"], note="CSV in cp1252 ('São', en dash)")
def _(p: Path) -> None:
    write_text(p, "name,population,lon,lat\nSão Karachi – Saddar,1000,67.01,24.86\nLahore,13004135,74.35,31.56\n", "cp1252")


@case("cities_latin1.geojson", "cities", "TextEncodingError",
      ["is not UTF-8 text"], ["re-export it as UTF-8"], note="GeoJSON in latin-1 ('Café São')")
def _(p: Path) -> None:
    write_text(p, fc([feature(point(67.01, 24.86), name="Café São", population=1000)]), "latin-1")


@case("cities_utf16.csv", "cities", "TextEncodingError",
      ["is UTF-16 text"], ["Save it as UTF-8"], note="CSV saved as UTF-16 ('Unicode text' in Excel), with 'Multān'")
def _(p: Path) -> None:
    write_text(p, "name,population,lon,lat\nMultān,2000000,71.47,30.20\n", "utf-16")


@case("grid_nodes_script_payload.geojson", "grid_nodes", None,
      note="script/HTML in 'name': LOADS, text kept verbatim (escaping happens at display)")
def _(p: Path) -> None:
    write_text(p, fc([node(0, name="<script>alert(1)</script>"), node(1, name="<img src=x onerror=alert(2)>"), node(2)]))


# ----------------------------------------------------------------------------------------------


PAYLOAD_NAMES = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>"]
NOT_COMMITTED = [("grid_nodes_300mb.geojson (made at test time)", "grid_nodes", "FileTooLargeError",
                  "is 300 MiB; the limit is 200 MiB ... Clip the layer",
                  "sparse file: a small GeoJSON head, then truncate(300 MiB); refused by size before reading")]


def readme() -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["# Bad inputs", "",
             "Written by `tests/data/make_bad_inputs.py` (do not edit by hand; run it and commit the result).",
             "Checked by `tests/test_bad_inputs.py` through `sitefinder.data.user_layers.load_user_layer` (or `read_vector` +",
             "`user_candidates` for kind `candidates`) and through `python -m sitefinder.cli rank`.",
             "Expected error `-` means the file loads: the repair note or the verbatim text is asserted instead.",
             "`xfail` names a known source bug (the test aspect is marked `xfail(strict=True)`).", "",
             "| file | loaded as | expected error | message fragments (problem; fix) | what it is | xfail |",
             "|---|---|---|---|---|---|"]
    def quoted(fragments) -> str:
        return ", ".join(f"`{f}`" for f in fragments)

    for c in CASES:
        frags = (f"{quoted(c.says)}; {quoted(c.fix) if c.fix else '(no fix in the message)'}" if c.error
                 else "(loads; see 'what it is')")
        bugs = "; ".join(f"{k}: {v}" for k, v in c.xfail.items())
        lines.append(f"| `{c.file}` | {c.kind} | {c.error or '-'} | {cell(frags)} | {cell(c.note)} | {cell(bugs)} |")
    for name, kind, error, frags, note in NOT_COMMITTED:
        lines.append(f"| {name} | {kind} | {error} | {cell(frags)} | {cell(note)} | |")
    return "\n".join(lines) + "\n"


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for c in CASES:
        target = out / c.file
        c.write(target)
        written.append(target)
    (out / "README.md").write_text(readme(), encoding="utf-8")
    return written + [out / "README.md"]


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(f"{path.stat().st_size:>8}  {path.name}")
