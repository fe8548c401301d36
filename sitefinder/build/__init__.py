"""``sitefinder build-data``: build the built-in Pakistan layers from the fact tables, reproducibly.

Same facts + same ``build.toml`` + same library versions -> byte-identical files: rows are sorted,
coordinates snapped to a 1e-5 degree grid (about 1 m), and nothing time-dependent is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder import __version__
from sitefinder.build.assumptions import assumption_rows, climate_check_table
from sitefinder.build.backcast import backcast, thar_2023
from sitefinder.build.facts import read_outline, read_table
from sitefinder.build.grid_nodes import build_grid_nodes
from sitefinder.build.layers import build_cities, build_climate_stations, build_connectivity, build_exclusions
from sitefinder.build.network import district_points, node_zones, zonal_model
from sitefinder.build.regions import build_districts, build_supply_regions
from sitefinder.build.zone_surplus import (
    apply_to_regions,
    embed_tables,
    interface_lines,
    network_markdown,
    solve_all,
    zone_table,
    zones_layer,
)
from sitefinder.data.elevation import elevation_m
from sitefinder.data.io import write_csv, write_geojson
from sitefinder.errors import BuildError
from sitefinder.files import MAX_SETTINGS_BYTES, parse_toml, read_input_text
from sitefinder.measure.candidates import h3_candidates
from sitefinder.measure.climate import ClimateSettings, interpolate_metrics
from sitefinder.measure.criteria import sea_distances, station_elevations
from sitefinder.model.vocabulary import METRIC_COLUMNS, TMAX_COLUMNS, TMIN_COLUMNS
from sitefinder.network.store import write_network_model

NETWORK_MODEL_FILE = "network_model.json"
PRECISION_DEG = 1e-5
NDIGITS = 5

NETWORK_SOURCE = ("sitefinder's zonal network model (PyPSA, HiGHS) built from data/pakistan/facts/network/ (zones.csv, "
                  "interfaces.csv, plant_contracts.csv, fuel_cost_evidence.csv, gas_evidence.csv) and "
                  "facts/power_plants.csv: each row's source is in those tables; see data/pakistan/README.md")

LAYER_FILES = {
    "study_area": "study_area.geojson",
    "grid_nodes": "grid_nodes.geojson",
    "supply_regions": "supply_regions.geojson",
    "climate_stations": "climate_stations.geojson",
    "exclusions": "exclusions.geojson",
    "connectivity": "connectivity.geojson",
    "cities": "cities.geojson",
    "districts": "districts.geojson",
    "zones": "zones.geojson",
    "interfaces": "interfaces.geojson",
}


def load_config(path: Path) -> dict:
    """The build parameters of ``build.toml``, or a BuildError naming the missing section."""
    text = read_input_text(path, max_bytes=MAX_SETTINGS_BYTES, what="build configuration (build.toml)",
                           fix="Check the path, or restore data/pakistan/build.toml from git.")
    raw = parse_toml(text, str(path), what="build configuration (build.toml)")
    sections = ("surplus", "network", "grid", "land", "climate", "connectivity")
    for name in sections:
        if not isinstance(raw.get(name), dict):
            raise BuildError(f"{path}: section [{name}] missing. Fix: restore it from data/pakistan/build.toml in git.")
    cfg = {name: dict(raw[name]) for name in sections}
    return cfg


def _snap(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    geoms = shapely.set_precision(out.geometry.array, PRECISION_DEG)
    out["geometry"] = shapely.make_valid(geoms)
    return out


def _write(gdf: gpd.GeoDataFrame, path: Path, sort_by: str) -> None:
    gdf = _snap(gdf).sort_values(sort_by, kind="stable").reset_index(drop=True)
    write_geojson(gdf, path, ndigits=NDIGITS, extra={"name": path.stem})


def build_dataset(facts_dir: Path, out_dir: Path, config_path: Path,
                  progress: Callable[[str], None] = lambda _msg: None) -> list[Path]:
    """Build every layer of the built-in dataset; returns the files written. Everything is built in a folder of
    its own inside ``out_dir`` and moved into place only when the whole build succeeded, so a failed build leaves
    the files already there as they were."""
    cfg = load_config(config_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".sitefinder-build-", dir=out_dir))
    try:
        built = _build(facts_dir, stage, config_path, cfg, progress)
        for path in built:
            os.replace(path, out_dir / path.name)
        readme = out_dir / "README.md"
        if readme.is_file() and (out_dir / "network.md").is_file():
            text = readme.read_text(encoding="utf-8")
            new = embed_tables(text, (out_dir / "network.md").read_text(encoding="utf-8"))
            if new != text:
                readme.write_text(new, encoding="utf-8")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out_dir / path.name for path in built]


def _build(facts_dir: Path, out_dir: Path, config_path: Path, cfg: dict,
           progress: Callable[[str], None]) -> list[Path]:
    """Build every file into ``out_dir`` (a fresh folder); returns them."""
    written: list[Path] = []

    progress("study area")
    outline = read_outline(facts_dir)
    study = gpd.GeoDataFrame({"name": ["Pakistan"], "source": [outline.iloc[0].get("source")]},
                             geometry=[shapely.union_all(outline.geometry.array)], crs=4326)
    _write(study, out_dir / LAYER_FILES["study_area"], "name")

    progress("grid nodes")
    stations, plants = read_table(facts_dir, "grid_stations.csv"), read_table(facts_dir, "power_plants.csv")
    grid_nodes = build_grid_nodes(stations, plants, cfg["grid"])

    progress("districts and supply regions")
    off_grid = read_table(facts_dir, "off_grid_areas.csv")
    districts = build_districts(read_table(facts_dir, "districts.csv"), outline,
                                read_table(facts_dir, "flood_2022_districts.csv"), off_grid)
    _write(districts, out_dir / LAYER_FILES["districts"], "district")
    regions, counted = build_supply_regions(districts, read_table(facts_dir, "discos.csv"), plants,
                                            read_table(facts_dir, "demand_by_company.csv"), off_grid, cfg["surplus"])
    progress("network model (three ends)")
    model = zonal_model(facts_dir, cfg)
    answers = solve_all(model.systems)
    zones = zone_table(answers)
    model_path = write_network_model(model.systems, out_dir / NETWORK_MODEL_FILE)
    zone_path = out_dir / "zone_surplus.csv"
    write_csv(zones, zone_path)
    interfaces_path = out_dir / LAYER_FILES["interfaces"]
    lines = interface_lines(model.systems["central"], model.links, answers["central"])
    _write(lines, interfaces_path, "interface")
    back, ke_import = backcast(facts_dir, model.systems["central"], answers["central"])
    backcast_path = out_dir / "backcast.csv"
    write_csv(back, backcast_path)
    network_md = out_dir / "network.md"
    thar = thar_2023(model.systems["central"], model.links)
    network_md.write_text(network_markdown(zones, lines, model.zoning.zones, back, ke_import, thar), encoding="utf-8")
    grid_nodes = grid_nodes.join(node_zones(grid_nodes, district_points(facts_dir), model.zoning, facts_dir))
    _write(grid_nodes, out_dir / LAYER_FILES["grid_nodes"], "node_id")
    zone_layer = zones_layer(model.systems["central"], zones, extra={"source": NETWORK_SOURCE})
    _write(zone_layer, out_dir / LAYER_FILES["zones"], "zone")
    regions = apply_to_regions(regions, model.zoning, zone_layer)
    _write(regions, out_dir / LAYER_FILES["supply_regions"], "region_id")
    plants_path = out_dir / "plants_counted.csv"
    write_csv(counted.sort_values(["region", "name"], na_position="last"), plants_path)

    progress("climate stations and surface")
    climate = build_climate_stations(read_table(facts_dir, "climate_stations.csv"))
    _write(climate, out_dir / LAYER_FILES["climate_stations"], "station_id")
    settings = climate_settings(cfg)
    cells = h3_candidates(study, int(cfg["climate"]["surface_resolution"]))
    metrics = interpolate_metrics(
        cells.lon, cells.lat, climate.geometry.x.to_numpy(), climate.geometry.y.to_numpy(),
        climate[list(TMAX_COLUMNS)].to_numpy(float), climate[list(TMIN_COLUMNS)].to_numpy(float),
        power=settings.power, neighbours=settings.neighbours, lapse_c_per_km=settings.lapse_c_per_km,
        station_elevation_m=station_elevations(climate), target_elevation_m=elevation_m(cells.lon, cells.lat),
        **sea_distances(climate, cells.lon, cells.lat, settings),
    )
    surface = pd.DataFrame({"h3_cell": cells.ids, "lon": np.round(cells.lon, 5), "lat": np.round(cells.lat, 5),
                            "elevation_m": elevation_m(cells.lon, cells.lat),
                            **{k: np.round(metrics[k], 1) for k in (*METRIC_COLUMNS, "climate_station_km")}})
    surface_path = out_dir / f"climate_surface_r{cells.resolution}.csv"
    write_csv(surface.sort_values("h3_cell"), surface_path)
    loo_path = out_dir / "climate_loo.csv"
    loo_table, loo_summary = climate_check_table(climate, settings)
    write_csv(loo_table, loo_path)

    progress("land exclusions")
    cities = read_table(facts_dir, "cities.csv")
    exclusions, unmapped = build_exclusions(read_table(facts_dir, "protected_areas.csv"), cities, cfg["land"])
    _write(exclusions, out_dir / LAYER_FILES["exclusions"], "zone_id")

    progress("connectivity and cities")
    _write(build_connectivity(read_table(facts_dir, "connectivity.csv")), out_dir / LAYER_FILES["connectivity"], "name")
    _write(build_cities(cities, cfg["connectivity"]), out_dir / LAYER_FILES["cities"], "name")

    written = [out_dir / f for f in LAYER_FILES.values()] + [surface_path, plants_path, loo_path, zone_path,
                                                             backcast_path, network_md, model_path]
    manifest = out_dir / "dataset.toml"
    manifest.write_text(_manifest(facts_dir, config_path, written, unmapped, cells.resolution, settings, loo_summary,
                                  assumption_rows(cfg)), encoding="utf-8")
    written.append(manifest)
    return written


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def climate_settings(cfg: dict) -> ClimateSettings:
    """The interpolation settings of ``build.toml`` [climate]."""
    c = cfg["climate"]
    return ClimateSettings(power=float(c["idw_power"]), neighbours=int(c["idw_neighbours"]),
                           lapse_c_per_km=float(c.get("lapse_rate_c_per_km", 0.0)),
                           sea_decay_km=float(c.get("sea_decay_km", 0.0)))


def _manifest(facts_dir: Path, config_path: Path, files: list[Path], unmapped: list[str], surface_res: int | None,
              settings: ClimateSettings, loo: dict[str, dict[str, dict[str, float]]],
              assumptions: list[dict[str, object]]) -> str:
    s = json.dumps

    def num(v: object) -> str:
        return s(round(float(v), 4)) if isinstance(v, (int, float)) else s(v)

    lines = [
        "# Written by `sitefinder build-data`; do not edit by hand (edit build.toml and rebuild).",
        'name = "Pakistan (built-in)"',
        f"built_with = {s('sitefinder ' + __version__)}",
        f"climate_surface = {s(f'climate_surface_r{surface_res}.csv')}",
        f"network_model = {s(NETWORK_MODEL_FILE)}  # the zonal model the zones layer was solved from (network.store)",
        "",
        "[climate]  # how station normals are spread onto sites (read by the criteria)",
        f"idw_power = {num(settings.power)}",
        f"idw_neighbours = {settings.neighbours}",
        f"lapse_rate_c_per_km = {num(settings.lapse_c_per_km)}",
        f"sea_decay_km = {num(settings.sea_decay_km)}",
        "",
        "# Leave-one-out errors of the station interpolation (estimate minus the station's own normal):",
        "# 'plain' without elevation correction or sea term, 'elevation' with the elevation correction only,",
        "# 'corrected' as configured above.",
        *[line for variant, metrics in loo.items() for metric, stats in metrics.items()
          for line in ("", f"[climate_check.{variant}.{metric}]", *[f"{k} = {num(v)}" for k, v in stats.items()])],
        "",
        *[line for a in assumptions for line in ("[[assumptions]]", *[f"{k} = {num(v)}" for k, v in a.items()], "")],
        "[layers]",
        *[f"{kind} = {s(name)}" for kind, name in LAYER_FILES.items()],
        "",
        "[checksums]  # sha256 prefixes: the data version used to key caches",
        *[f"{s(p.name)} = {s(_sha(p))}" for p in files],
        "",
        "[inputs]  # sha256 prefixes of the fact tables and build parameters used",
        *[f"{s(p.name)} = {s(_sha(p))}" for p in sorted(facts_dir.iterdir()) if p.suffix in (".csv", ".geojson")],
        f"{s(config_path.name)} = {s(_sha(config_path))}",
        "",
        "[unmapped]",
        f"protected_areas = {s(unmapped)}",
        "",
    ]
    return "\n".join(lines)
