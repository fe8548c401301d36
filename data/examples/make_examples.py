#!/usr/bin/env python3
"""Write the EXAMPLE input files in ``data/examples/``: ILLUSTRATIVE VALUES, NOT REAL DATA.

    python data/examples/make_examples.py             # rewrite the files next to this script
    python data/examples/make_examples.py --out DIR   # write them into DIR instead

One small file per layer kind a user can supply, in the formats people actually hold (CSV with lon/lat,
GeoJSON, GeoPackage, a zipped shapefile with a .prj), plus candidate sites and the folder's README.md.
Every name, number and outline below is made up to show the file layout; nothing here describes a real
grid station, feeder, reservoir or military area. Every file says so in a ``source`` column/property.

The output is deterministic: running the script twice writes the same bytes (``tests/test_examples.py``
checks that the committed files equal its output). GDAL's timestamps are pinned (``OGR_CURRENT_DATE`` for
the GeoPackage, ``DBF_DATE_LAST_UPDATE`` for the shapefile) and the zip members carry a fixed date.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import mapping
from shapely.geometry.polygon import orient

from sitefinder.data.schema import SCHEMAS

HERE = Path(__file__).resolve().parent
SOURCE = "illustrative example, not real data (sitefinder data/examples)"
FIXED_DATE = "2025-01-01"
ZIP_DATE = (2025, 1, 1, 0, 0, 0)
UTM_42N = "EPSG:32642"  # WGS 84 / UTM zone 42N: covers Sindh and south Punjab (66-72° E)

# ------------------------------------------------------------------------------------------------
# The example content. Two clusters a developer might study: the Jhimpir-Nooriabad wind corridor in
# Sindh and the country west and south of Muzaffargarh in Punjab. All names say EXAMPLE or fictional.

# node_id, name, voltage_kv, status, headroom_mw, headroom_mva, capacity_mva, lon, lat
GRID_NODES = [
    ("EX-GS-01", "EXAMPLE Jhimpir West 220 kV grid station", 220, "operational", 180, None, 450, 67.905, 25.155),
    ("EX-GS-02", "EXAMPLE Nooriabad East 220 kV grid station", 220, "operational", None, 150, 300, 68.120, 25.190),
    ("EX-GS-03", "EXAMPLE Jamshoro Hills 500 kV grid station", 500, "operational", None, None, 1200, 68.200, 25.350),
    ("EX-GS-04", "EXAMPLE Thatta Road 132 kV grid station", 132, "operational", 40, None, 160, 67.860, 24.960),
    ("EX-GS-05", "EXAMPLE Gharo Creek 220 kV grid station (planned)", 220, "planned", None, None, None, 67.620, 24.800),
    ("EX-GS-06", "EXAMPLE Muzaffargarh West 220 kV grid station", 220, "operational", None, 220, 450, 71.050, 30.080),
    ("EX-GS-07", "EXAMPLE Multan Bypass 500 kV grid station", 500, "operational", 350, None, 1500, 71.400, 30.120),
    ("EX-GS-08", "EXAMPLE Kot Addu North 220 kV grid station", 220, "under_construction", None, 300, 600, 70.980, 30.500),
]

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# feeder_id, feeder_name, monthly surplus Jan..Dec (MW, negative = deficit), tariff PKR/kWh, outline (lon, lat)
FEEDERS = [
    ("JMP-1", "EXAMPLE Jhimpir North feeder area",
     (340, 360, 300, 180, 90, 40, 20, 30, 110, 250, 320, 335), 23.0,
     [(67.80, 25.10), (68.00, 25.10), (68.02, 25.20), (68.01, 25.28), (67.82, 25.30)]),
    ("JMP-2", "EXAMPLE Jhimpir South feeder area",
     (210, 230, 180, 90, 20, -30, -60, -40, 30, 140, 190, 205), 23.0,
     [(67.80, 24.93), (68.00, 24.92), (68.00, 25.10), (67.80, 25.10)]),
    ("NRB-1", "EXAMPLE Nooriabad feeder area",
     (-20, 10, -40, -90, -150, -180, -200, -170, -120, -60, -30, -25), 24.5,
     [(68.00, 25.10), (68.20, 25.12), (68.22, 25.30), (68.01, 25.28), (68.02, 25.20)]),
    ("MZG-1", "EXAMPLE Muzaffargarh West feeder area",
     (420, 450, 380, 200, 60, -10, -50, -20, 80, 300, 390, 410), 22.5,
     [(70.95, 30.00), (71.12, 30.00), (71.12, 30.18), (70.96, 30.19)]),
    ("MZG-2", "EXAMPLE Muzaffargarh South feeder area",
     (160, 180, 120, 40, -30, -80, -120, -90, -20, 70, 130, 150), 22.5,
     [(70.95, 29.82), (71.20, 29.82), (71.20, 30.00), (70.95, 30.00)]),
]

# region_id, name, surplus_winter_mw, surplus_summer_mw, on_national_grid, tariff, outline
SEASONAL_REGIONS = [
    ("EX-R1", "EXAMPLE Lower Sindh wind corridor grid area", 900, 250, True, 23.0,
     [(67.60, 24.75), (68.50, 24.75), (68.50, 25.60), (67.60, 25.60)]),
    ("EX-R2", "EXAMPLE Thar coalfield grid area", 1200, 600, True, 21.5,
     [(69.90, 24.45), (70.70, 24.45), (70.70, 25.20), (69.90, 25.20)]),
    ("EX-R3", "EXAMPLE South Punjab grid area", 700, -150, True, 22.5,
     [(70.60, 29.60), (71.80, 29.60), (71.80, 30.60), (70.60, 30.60)]),
]

# station_id, name, lon, lat, tmax Jan..Dec (°C), tmin Jan..Dec (°C)
CLIMATE_STATIONS = [
    ("EX-CS-01", "EXAMPLE Jhimpir weather station", 67.95, 25.10,
     (25.5, 28.5, 33.5, 37.5, 39.5, 38.5, 35.5, 34.0, 35.0, 36.0, 32.0, 27.0),
     (11.5, 14.0, 18.5, 22.5, 25.5, 27.5, 27.0, 26.0, 25.0, 21.5, 16.5, 12.5)),
    ("EX-CS-02", "EXAMPLE Jamshoro weather station", 68.25, 25.40,
     (25.0, 28.5, 34.0, 39.0, 42.0, 41.0, 38.0, 36.5, 37.0, 37.0, 32.0, 26.5),
     (11.0, 14.0, 19.0, 23.5, 27.0, 29.0, 28.5, 27.5, 26.0, 22.0, 16.5, 12.0)),
    ("EX-CS-03", "EXAMPLE Muzaffargarh weather station", 71.10, 30.05,
     (20.5, 23.5, 29.0, 36.0, 41.0, 42.0, 39.0, 37.5, 37.0, 34.5, 28.5, 22.5),
     (5.0, 8.5, 14.5, 20.5, 25.5, 29.0, 29.0, 28.0, 25.5, 19.0, 11.5, 6.5)),
    ("EX-CS-04", "EXAMPLE Multan weather station", 71.45, 30.20,
     (20.5, 23.5, 29.0, 36.0, 41.5, 42.5, 39.0, 37.5, 37.0, 34.5, 28.5, 22.5),
     (5.0, 8.5, 14.5, 20.5, 26.0, 29.5, 29.5, 28.5, 26.0, 19.0, 12.0, 6.5)),
]

# zone_id, category, name, reason, outline (lon, lat)
EXCLUSIONS = [
    ("EX-Z1", "planned_reservoir", "EXAMPLE Nai Gaj planned reservoir (fictional)",
     "inside a planned reservoir that will flood the land (fictional example zone)",
     [(67.935, 25.215), (67.985, 25.205), (68.000, 25.240), (67.965, 25.262), (67.930, 25.250)]),
    ("EX-Z2", "military_area", "EXAMPLE military training area (fictional)",
     "inside a military training area closed to development (fictional example zone)",
     [(71.00, 29.86), (71.08, 29.86), (71.08, 29.93), (71.00, 29.93)]),
]

# zone_id, category, name, reason, centre (lon, lat), half-width and half-height in metres (UTM 42N)
SHAPEFILE_EXCLUSIONS = [
    ("EX-S1", "wetland_buffer", "EXAMPLE Keenjhar wetland buffer (fictional)",
     "inside a 2 km buffer around a protected wetland (fictional example zone)", (68.12, 24.98), 3000, 2000),
    ("EX-S2", "airport_safeguarding", "EXAMPLE airstrip safeguarding zone (fictional)",
     "inside an airstrip's safeguarding zone: no tall structures (fictional example zone)", (71.25, 29.96), 2500, 1500),
]

# name, type, lon, lat
CONNECTIVITY = [
    ("EXAMPLE fibre point of presence, Hyderabad", "fibre_pop", 68.360, 25.400),
    ("EXAMPLE internet exchange node, Multan", "internet_exchange", 71.470, 30.190),
    ("EXAMPLE edge data centre, Nooriabad", "data_centre", 68.100, 25.160),
]

# name, province, population, lon, lat: small places a user adds to the built-in cities for the noise setback
CITIES = [
    ("EXAMPLE Goth A (fictional)", "Sindh", 25000, 67.905, 25.010),
    ("EXAMPLE Town B (fictional)", "Sindh", 60000, 68.150, 25.250),
    ("EXAMPLE Basti C (fictional)", "Punjab", 40000, 71.160, 29.950),
]

# candidate_id, name, note, geometry: ("point", lon, lat) or ("box", lon0, lat0, lon1, lat1)
CANDIDATES_GEOJSON = [
    ("EX-P01", "EXAMPLE Jhimpir ridge parcel", "about 2 x 2 km of barren ridge", ("box", 67.880, 25.180, 67.900, 25.200)),
    ("EX-P02", "EXAMPLE Jhimpir south roadside plot", "surveyed plot centre", ("point", 67.880, 25.000)),
    ("EX-P03", "EXAMPLE Nooriabad industrial plot", "in the industrial estate extension", ("box", 68.080, 25.190, 68.100, 25.210)),
    ("EX-P04", "EXAMPLE lakeside parcel", "partly inside the fictional planned reservoir", ("box", 67.950, 25.220, 67.970, 25.240)),
    ("EX-P05", "EXAMPLE Muzaffargarh West parcel", "canal-irrigated land for sale", ("box", 71.000, 30.100, 71.020, 30.120)),
    ("EX-P06", "EXAMPLE Muzaffargarh South plot", "surveyed plot centre", ("point", 71.120, 29.880)),
]

# site_id, name, lon, lat
CANDIDATES_CSV = [
    ("EX-C01", "EXAMPLE Dadu plot", 67.700, 26.800),
    ("EX-C02", "EXAMPLE Guddu plot", 69.600, 28.350),
    ("EX-C03", "EXAMPLE Rahim Yar Khan plot", 70.200, 28.500),
    ("EX-C04", "EXAMPLE Sahiwal plot", 73.200, 30.600),
    ("EX-C05", "EXAMPLE Jhimpir plot", 67.950, 25.120),
]

# ------------------------------------------------------------------------------------------------
# Writers: plain text written by hand so the bytes never depend on a library's formatting.


def _num(value: float | int | None) -> str:
    """A number as a CSV/GeoJSON-friendly string; None -> blank."""
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (_num(v) if isinstance(v, (int, float)) else v) for v in row])
    path.write_text(buf.getvalue(), encoding="utf-8")


def _ring(points: list[tuple[float, float]]) -> shapely.Polygon:
    return orient(shapely.Polygon(points), sign=1.0)  # RFC 7946: exterior ring counter-clockwise


def _box(lon0: float, lat0: float, lon1: float, lat1: float) -> shapely.Polygon:
    return _ring([(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1)])


def _geometry_json(geom: shapely.Geometry) -> dict:
    mapped = mapping(geom)

    def rnd(obj):
        if isinstance(obj, (list, tuple)) and obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 5) for v in obj]
        return [rnd(o) for o in obj]

    return {"type": mapped["type"], "coordinates": rnd(mapped["coordinates"])}


def _write_geojson(path: Path, name: str, features: list[tuple[dict, shapely.Geometry]]) -> None:
    """An RFC 7946 FeatureCollection, one feature per line, with a foreign member saying it is an example."""
    head = {"type": "FeatureCollection", "name": name,
            "description": "ILLUSTRATIVE EXAMPLE, NOT REAL DATA: made-up values showing the file layout sitefinder reads."}
    lines = [json.dumps({"type": "Feature", "properties": props, "geometry": _geometry_json(geom)},
                        ensure_ascii=False, separators=(",", ":")) for props, geom in features]
    body = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    path.write_text(body + ',\n"features": [\n' + ",\n".join(lines) + "\n]\n}\n", encoding="utf-8")


# ------------------------------------------------------------------------------------------------
# One function per file.


def grid_nodes_csv(out: Path) -> None:
    header = ["node_id", "name", "voltage_kv", "status", "headroom_mw", "headroom_mva", "capacity_mva",
              "location_precision", "lon", "lat", "source"]
    rows = [[nid, name, kv, status, mw, mva, cap, "approximate (example)", f"{lon:.3f}", f"{lat:.3f}", SOURCE]
            for nid, name, kv, status, mw, mva, cap, lon, lat in GRID_NODES]
    _write_csv(out / "grid_nodes.csv", header, rows)


def supply_regions_monthly_geojson(out: Path) -> None:
    features = []
    for fid, name, months, tariff, outline in FEEDERS:
        props: dict[str, object] = {"feeder_id": fid, "feeder_name": name}
        props.update({f"surplus_mw_{m:02d}": v for m, v in enumerate(months, start=1)})
        props["tariff_pkr_per_kwh"] = tariff
        props["source"] = SOURCE
        features.append((props, _ring(outline)))
    _write_geojson(out / "supply_regions_monthly.geojson", "supply_regions_monthly", features)


def supply_regions_seasonal_gpkg(out: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "region_id": [r[0] for r in SEASONAL_REGIONS],
            "name": [r[1] for r in SEASONAL_REGIONS],
            "surplus_winter_mw": [float(r[2]) for r in SEASONAL_REGIONS],
            "surplus_summer_mw": [float(r[3]) for r in SEASONAL_REGIONS],
            "on_national_grid": [r[4] for r in SEASONAL_REGIONS],
            "surplus_basis": ["illustrative example: winter = Oct-Mar, summer = Apr-Sep, firm MW"] * len(SEASONAL_REGIONS),
            "tariff_pkr_per_kwh": [r[5] for r in SEASONAL_REGIONS],
            "source": [SOURCE] * len(SEASONAL_REGIONS),
        },
        geometry=[_ring(r[6]) for r in SEASONAL_REGIONS], crs="EPSG:4326",
    )
    path = out / "supply_regions_seasonal.gpkg"
    path.unlink(missing_ok=True)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{FIXED_DATE}T00:00:00.000Z"})
    try:
        pyogrio.write_dataframe(frame, path, layer="supply_regions", driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def climate_stations_csv(out: Path) -> None:
    header = ["station_id", "name", "lon", "lat", *(f"tmax_{m:02d}" for m in range(1, 13)),
              *(f"tmin_{m:02d}" for m in range(1, 13)), "source"]
    rows = [[sid, name, f"{lon:.3f}", f"{lat:.3f}", *tmax, *tmin, SOURCE]
            for sid, name, lon, lat, tmax, tmin in CLIMATE_STATIONS]
    _write_csv(out / "climate_stations.csv", header, rows)


def exclusions_geojson(out: Path) -> None:
    features = [({"zone_id": zid, "category": cat, "name": name, "reason": reason,
                  "precision": "illustrative outline", "source": SOURCE}, _ring(outline))
                for zid, cat, name, reason, outline in EXCLUSIONS]
    _write_geojson(out / "exclusions.geojson", "exclusions", features)


def exclusions_shapefile_zip(out: Path) -> None:
    """A shapefile in UTM zone 42N (metres) with its .prj, zipped; sitefinder reprojects it to WGS84."""
    to_utm = Transformer.from_crs("EPSG:4326", UTM_42N, always_xy=True)
    geoms = []
    for *_, (lon, lat), hw, hh in SHAPEFILE_EXCLUSIONS:
        x, y = to_utm.transform(lon, lat)
        x, y = round(x), round(y)
        # an octagon, as a buffer drawn in a GIS would be
        pts = [(x + hw * math.cos(math.radians(a)), y + hh * math.sin(math.radians(a))) for a in range(0, 360, 45)]
        geoms.append(shapely.Polygon([(round(px), round(py)) for px, py in pts]))
    frame = gpd.GeoDataFrame(
        {
            "zone_id": [z[0] for z in SHAPEFILE_EXCLUSIONS],
            "category": [z[1] for z in SHAPEFILE_EXCLUSIONS],
            "name": [z[2] for z in SHAPEFILE_EXCLUSIONS],
            "reason": [z[3] for z in SHAPEFILE_EXCLUSIONS],
            "precision": ["illustrative outline"] * len(SHAPEFILE_EXCLUSIONS),
            "source": [SOURCE] * len(SHAPEFILE_EXCLUSIONS),
        },
        geometry=geoms, crs=UTM_42N,
    )
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / "exclusions.shp"
        pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8",
                                layer_options={"DBF_DATE_LAST_UPDATE": FIXED_DATE})
        members = sorted(p for p in Path(tmp).iterdir())
        assert {p.suffix for p in members} >= {".shp", ".shx", ".dbf", ".prj"}, members
        with zipfile.ZipFile(out / "exclusions_shapefile.zip", "w") as zf:
            for p in members:
                info = zipfile.ZipInfo(p.name, date_time=ZIP_DATE)
                info.create_system = 3
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_STORED  # stored, not deflated: bytes independent of the zlib build
                zf.writestr(info, p.read_bytes())


def connectivity_csv(out: Path) -> None:
    rows = [[name, kind, f"{lon:.3f}", f"{lat:.3f}", SOURCE] for name, kind, lon, lat in CONNECTIVITY]
    _write_csv(out / "connectivity.csv", ["name", "type", "lon", "lat", "source"], rows)


def cities_csv(out: Path) -> None:
    rows = [[name, prov, pop, f"{lon:.3f}", f"{lat:.3f}", SOURCE] for name, prov, pop, lon, lat in CITIES]
    _write_csv(out / "cities.csv", ["name", "province", "population", "lon", "lat", "source"], rows)


def candidates_geojson(out: Path) -> None:
    features = []
    for cid, name, note, geom in CANDIDATES_GEOJSON:
        shape = shapely.Point(geom[1], geom[2]) if geom[0] == "point" else _box(*geom[1:])
        features.append(({"candidate_id": cid, "name": name, "note": note, "source": SOURCE}, shape))
    _write_geojson(out / "candidates.geojson", "candidates", features)


def candidates_csv(out: Path) -> None:
    rows = [[sid, name, f"{lon:.3f}", f"{lat:.3f}", SOURCE] for sid, name, lon, lat in CANDIDATES_CSV]
    _write_csv(out / "candidates.csv", ["site_id", "name", "lon", "lat", "source"], rows)


# ------------------------------------------------------------------------------------------------
# The folder's README: which file is which layer kind, its columns with units, and a command using it.

LONLAT = [("lon", "degrees (WGS84)", "longitude of the point"), ("lat", "degrees (WGS84)", "latitude of the point")]
SRC = ("source", "", "says: illustrative example, not real data")
MONTHLY_COLS = [(f"surplus_mw_{m:02d}", "MW", f"spare power in {MONTH_NAMES[m - 1]}; negative = deficit")
                for m in range(1, 13)]

# file, layer kind (or "candidates"), format, columns (name, unit, meaning), what it shows, command
FILES: list[tuple[str, str, str, list[tuple[str, str, str]], str, str]] = [
    ("grid_nodes.csv", "grid_nodes", "CSV with lon/lat columns",
     [("node_id", "", "unique id"), ("name", "", "station name"), ("voltage_kv", "kV", "highest AC voltage"),
      ("status", "", "operational, under_construction, planned or decommissioned"),
      ("headroom_mw", "MW", "spare capacity for a new load, where given in MW"),
      ("headroom_mva", "MVA", "spare capacity where given as apparent power: MW = MVA x power factor"),
      ("capacity_mva", "MVA", "transformation capacity"), ("location_precision", "", "how exact the point is"),
      *LONLAT, SRC],
     "headroom in MW for some nodes and in MVA for others, one node with unknown headroom (blank, not zero), a "
     "132 kV node (below the profiles' 220 kV minimum), a planned and an under-construction node (not eligible). "
     "A node that gives only `headroom_mva` gets `headroom_mw` = MVA x power factor (0.9 unless `--power-factor` "
     "says otherwise); a node that gives `headroom_mw` keeps it.",
     "sitefinder rank --layer grid_nodes=data/examples/grid_nodes.csv --power-factor 0.9 --top 10 "
     "--out shortlist.geojson"),
    ("supply_regions_monthly.geojson", "supply_regions", "GeoJSON polygons",
     [("feeder_id", "", "unique id (read as region_id automatically)"),
      ("feeder_name", "", "feeder area name (map it: --map supply_regions.name=feeder_name)"),
      *MONTHLY_COLS, ("tariff_pkr_per_kwh", "PKR/kWh", "tariff offered to large new loads"), SRC],
     "feeder areas in Sindh and Punjab with a surplus for each month; sitefinder takes each season's lowest month "
     "(winter Oct-Mar, summer Apr-Sep). JMP-1 and MZG-1 have a large winter surplus, NRB-1 a winter deficit, MZG-2 "
     "a winter surplus below 100 MW.",
     "sitefinder rank --profile bitcoin_mine --layer supply_regions=data/examples/supply_regions_monthly.geojson "
     "--map supply_regions.name=feeder_name --max-per-node 0 --top 10 --out shortlist.geojson"),
    ("supply_regions_seasonal.gpkg", "supply_regions", "GeoPackage (layer `supply_regions`) polygons",
     [("region_id", "", "unique id"), ("name", "", "region name"),
      ("surplus_winter_mw", "MW", "firm spare power in winter (Oct-Mar); negative = deficit"),
      ("surplus_summer_mw", "MW", "firm spare power in summer (Apr-Sep); negative = deficit"),
      ("on_national_grid", "true/false", "false where the region is not on the national grid"),
      ("surplus_basis", "", "how the surplus figures were obtained"),
      ("tariff_pkr_per_kwh", "PKR/kWh", "tariff offered to large new loads"), SRC],
     "grid areas with a winter and a summer surplus; EX-R3 has a summer deficit, so a year-round load "
     "(ai_datacenter) cannot go there.",
     "sitefinder rank --profile ai_datacenter --layer supply_regions=data/examples/supply_regions_seasonal.gpkg "
     "--top 10 --out shortlist.geojson"),
    ("climate_stations.csv", "climate_stations", "CSV with lon/lat columns",
     [("station_id", "", "unique id"), ("name", "", "station name"), *LONLAT,
      ("tmax_01 .. tmax_12", "°C", "mean daily maximum, January .. December"),
      ("tmin_01 .. tmin_12", "°C", "mean daily minimum, January .. December"), SRC],
     "monthly temperature normals at four weather stations; the climate criteria are interpolated from them.",
     "sitefinder rank --layer climate_stations=data/examples/climate_stations.csv --top 10 --out shortlist.geojson"),
    ("exclusions.geojson", "exclusions", "GeoJSON polygons",
     [("zone_id", "", "unique id"), ("category", "", "kind of zone"), ("name", "", "zone name"),
      ("reason", "", "why a site there is excluded"), ("precision", "", "how exact the outline is"), SRC],
     "a fictional planned reservoir (it covers candidate EX-P04) and a fictional military area, added to the "
     "built-in exclusion zones.",
     "sitefinder rank --add-layer exclusions=data/examples/exclusions.geojson "
     "--candidates data/examples/candidates.geojson --max-per-node 0 --out shortlist.geojson"),
    ("exclusions_shapefile.zip", "exclusions", "zipped shapefile (.shp .shx .dbf .prj .cpg) in UTM zone 42N metres",
     [("zone_id", "", "unique id"), ("category", "", "kind of zone"), ("name", "", "zone name"),
      ("reason", "", "why a site there is excluded"), ("precision", "", "how exact the outline is"), SRC],
     "two fictional zones drawn in a projected CRS; the .prj says so and sitefinder reprojects to WGS84.",
     "sitefinder rank --add-layer exclusions=data/examples/exclusions_shapefile.zip --top 10 --out shortlist.geojson"),
    ("connectivity.csv", "connectivity", "CSV with lon/lat columns",
     [("name", "", "name"), ("type", "", "e.g. internet_exchange, data_centre, fibre_pop"), *LONLAT, SRC],
     "a fibre point of presence, an internet exchange node and an edge data centre.",
     "sitefinder rank --profile ai_datacenter --add-layer connectivity=data/examples/connectivity.csv --top 10 "
     "--out shortlist.geojson"),
    ("cities.csv", "cities", "CSV with lon/lat columns",
     [("name", "", "town name"), ("province", "", "province"), ("population", "people", "population"), *LONLAT, SRC],
     "small towns missing from the built-in list, added so the noise setback applies around them "
     "(EX-P02 is within 5 km of EXAMPLE Goth A).",
     "sitefinder rank --add-layer cities=data/examples/cities.csv --candidates data/examples/candidates.geojson "
     "--max-per-node 0 --out shortlist.geojson"),
    ("candidates.geojson", "candidates", "GeoJSON points and polygons",
     [("candidate_id", "", "id used in the shortlist"), ("name", "", "parcel name"), ("note", "", "free text"), SRC],
     "your own parcels, scored instead of H3 cells: criteria are measured at a point inside each polygon, "
     "exclusion zones are tested against the whole parcel.",
     "sitefinder rank --candidates data/examples/candidates.geojson --max-per-node 0 --out shortlist.geojson "
     "--csv shortlist.csv"),
    ("candidates.csv", "candidates", "CSV with lon/lat columns",
     [("site_id", "", "id used in the shortlist"), ("name", "", "plot name"), *LONLAT, SRC],
     "candidate points from a spreadsheet.",
     "sitefinder rank --profile ai_datacenter --candidates data/examples/candidates.csv --max-per-node 0 "
     "--out shortlist.geojson"),
]

ALL_TOGETHER = ("sitefinder rank --profile bitcoin_mine --mw 50 "
                "--layer grid_nodes=data/examples/grid_nodes.csv "
                "--layer supply_regions=data/examples/supply_regions_monthly.geojson "
                "--map supply_regions.name=feeder_name "
                "--layer climate_stations=data/examples/climate_stations.csv "
                "--add-layer exclusions=data/examples/exclusions.geojson "
                "--add-layer exclusions=data/examples/exclusions_shapefile.zip "
                "--add-layer cities=data/examples/cities.csv "
                "--candidates data/examples/candidates.geojson --max-per-node 0 --out shortlist.geojson --csv shortlist.csv")


def _unit_check() -> None:
    """The units this README states for schema columns are the schema's own."""
    for name, kind, _fmt, columns, _what, _cmd in FILES:
        if kind not in SCHEMAS:
            continue
        schema_cols = {c.name: c for c in SCHEMAS[kind].columns}
        for col, unit, _meaning in columns:
            if col in schema_cols and schema_cols[col].unit and schema_cols[col].dtype == "float":
                assert schema_cols[col].unit == unit, (name, col, unit, schema_cols[col].unit)


def readme_text() -> str:
    _unit_check()
    out = [
        "# Example input files: ILLUSTRATIVE, NOT REAL DATA",
        "",
        "> **Every value in this folder is made up.** The grid stations, feeders, surpluses, tariffs,",
        "> temperatures, reservoirs, military areas, towns and parcels are invented to show the *layout* of",
        "> files sitefinder reads. Names say EXAMPLE or fictional, and every file carries a `source`",
        "> column or property saying \"illustrative example, not real data\". Do not use them to decide",
        "> anything. Replace them with your own data.",
        "",
        "The files are written by [`make_examples.py`](make_examples.py)",
        "(`.venv/bin/python data/examples/make_examples.py`); a test checks the committed files equal its",
        "output byte for byte, and that each file loads and ranks. Each file is one layer kind you can",
        "give `sitefinder rank` with `--layer KIND=PATH` (replace the built-in layer) or `--add-layer KIND=PATH`",
        "(add to it), or candidate sites with `--candidates PATH`. The schemas, with every column's unit and",
        "allowed range, are in the docs (`docs/reference/layers.md`; how files are read: `docs/guides/your-data.md`)",
        "and from `sitefinder schema`. Run the commands below from the repository root.",
        "",
        "| file | layer kind | format |",
        "|---|---|---|",
    ]
    for name, kind, fmt, *_ in FILES:
        out.append(f"| [`{name}`]({name}) | `{kind}` | {fmt} |")
    out.append("")
    for name, kind, fmt, columns, what, command in FILES:
        use = "`--candidates`" if kind == "candidates" else f"`--layer {kind}=...` or `--add-layer {kind}=...`"
        out += [f"## `{name}`", "", f"Layer kind **`{kind}`** ({use}); {fmt}. Shows {what}", "",
                "| column | unit | meaning |", "|---|---|---|"]
        out += [f"| `{col}` | {unit} | {meaning} |" for col, unit, meaning in columns]
        out += ["", "```sh", command, "```", ""]
    together = ALL_TOGETHER
    for flag in (" --layer", " --add-layer", " --candidates"):
        together = together.replace(flag, " \\\n   " + flag)
    out += ["## All together", "",
            "A developer's own grid nodes, feeder surpluses and weather stations, extra exclusion zones and towns,",
            "scoring their own parcels:", "", "```sh", together, "```", ""]
    return "\n".join(out)


def write_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for writer in (grid_nodes_csv, supply_regions_monthly_geojson, supply_regions_seasonal_gpkg, climate_stations_csv,
                   exclusions_geojson, exclusions_shapefile_zip, connectivity_csv, cities_csv, candidates_geojson,
                   candidates_csv):
        writer(out)
    (out / "README.md").write_text(readme_text(), encoding="utf-8")
    return sorted(p for p in out.iterdir() if p.name in {f[0] for f in FILES} | {"README.md"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: next to this script)")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
