"""``sitefinder build-data``: build the built-in Pakistan layers from the fact tables, reproducibly.

Same facts + same ``build.toml`` + same library versions -> byte-identical files: rows are sorted,
coordinates snapped to a 1e-5 degree grid (about 1 m), and nothing time-dependent is written.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import __version__
from ..candidates import h3_candidates
from ..climate import METRIC_COLUMNS, TMAX_COLUMNS, TMIN_COLUMNS, interpolate_metrics
from ..errors import BuildError
from ..io import write_csv, write_geojson
from .facts import read_outline, read_table
from .grid_nodes import build_grid_nodes
from .layers import build_cities, build_climate_stations, build_connectivity, build_exclusions
from .regions import build_districts, build_supply_regions

PRECISION_DEG = 1e-5
NDIGITS = 5

LAYER_FILES = {
    "study_area": "study_area.geojson",
    "grid_nodes": "grid_nodes.geojson",
    "supply_regions": "supply_regions.geojson",
    "climate_stations": "climate_stations.geojson",
    "exclusions": "exclusions.geojson",
    "connectivity": "connectivity.geojson",
    "cities": "cities.geojson",
    "districts": "districts.geojson",
}


def load_config(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise BuildError(f"{path}: build configuration missing.") from None
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{path}: not valid TOML ({exc}).") from None
    try:
        cfg = {
            "surplus": {**raw["surplus"]},
            "grid": raw["grid"],
            "land": raw["land"],
            "climate": raw["climate"],
            "connectivity": raw["connectivity"],
        }
    except KeyError as exc:
        raise BuildError(f"{path}: section [{exc.args[0]}] missing.") from None
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
    """Build every layer of the built-in dataset; returns the files written."""
    cfg = load_config(config_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    progress("study area")
    outline = read_outline(facts_dir)
    study = gpd.GeoDataFrame({"name": ["Pakistan"], "source": [outline.iloc[0].get("source")]},
                             geometry=[shapely.union_all(outline.geometry.array)], crs=4326)
    _write(study, out_dir / LAYER_FILES["study_area"], "name")

    progress("grid nodes")
    stations, plants = read_table(facts_dir, "grid_stations.csv"), read_table(facts_dir, "power_plants.csv")
    _write(build_grid_nodes(stations, plants, cfg["grid"]), out_dir / LAYER_FILES["grid_nodes"], "node_id")

    progress("districts and supply regions")
    districts = build_districts(read_table(facts_dir, "districts.csv"), outline,
                                read_table(facts_dir, "flood_2022_districts.csv"))
    _write(districts, out_dir / LAYER_FILES["districts"], "district")
    regions = build_supply_regions(districts, read_table(facts_dir, "discos.csv"), plants,
                                   read_table(facts_dir, "cities.csv"), cfg["surplus"])
    _write(regions, out_dir / LAYER_FILES["supply_regions"], "region_id")

    progress("climate stations and surface")
    climate = build_climate_stations(read_table(facts_dir, "climate_stations.csv"))
    _write(climate, out_dir / LAYER_FILES["climate_stations"], "station_id")
    cells = h3_candidates(study, int(cfg["climate"]["surface_resolution"]))
    metrics = interpolate_metrics(
        cells.lon, cells.lat, climate.geometry.x.to_numpy(), climate.geometry.y.to_numpy(),
        climate[list(TMAX_COLUMNS)].to_numpy(float), climate[list(TMIN_COLUMNS)].to_numpy(float),
        power=float(cfg["climate"]["idw_power"]), neighbours=int(cfg["climate"]["idw_neighbours"]),
    )
    surface = pd.DataFrame({"h3_cell": cells.ids, "lon": np.round(cells.lon, 5), "lat": np.round(cells.lat, 5),
                            **{k: np.round(metrics[k], 1) for k in (*METRIC_COLUMNS, "climate_station_km")}})
    surface_path = out_dir / f"climate_surface_r{cells.resolution}.csv"
    write_csv(surface.sort_values("h3_cell"), surface_path)

    progress("land exclusions")
    cities = read_table(facts_dir, "cities.csv")
    exclusions, unmapped = build_exclusions(read_table(facts_dir, "protected_areas.csv"), cities, cfg["land"])
    _write(exclusions, out_dir / LAYER_FILES["exclusions"], "zone_id")

    progress("connectivity and cities")
    _write(build_connectivity(read_table(facts_dir, "connectivity.csv")), out_dir / LAYER_FILES["connectivity"], "name")
    _write(build_cities(cities, cfg["connectivity"]), out_dir / LAYER_FILES["cities"], "name")

    written = [out_dir / f for f in LAYER_FILES.values()] + [surface_path]
    manifest = out_dir / "dataset.toml"
    manifest.write_text(_manifest(facts_dir, config_path, written, unmapped, cells.resolution), encoding="utf-8")
    written.append(manifest)
    return written


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _manifest(facts_dir: Path, config_path: Path, files: list[Path], unmapped: list[str], surface_res: int | None) -> str:
    s = json.dumps
    lines = [
        "# Written by `sitefinder build-data`; do not edit by hand (edit build.toml and rebuild).",
        'name = "Pakistan (built-in)"',
        f"built_with = {s('sitefinder ' + __version__)}",
        f"climate_surface = {s(f'climate_surface_r{surface_res}.csv')}",
        "",
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
