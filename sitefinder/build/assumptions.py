"""What the built-in estimates assume, as rows a person (and an export) can read, and the climate check.

``assumption_rows`` turns ``build.toml`` into one row per assumption: name, value, low, high, unit and
basis. ``dataset.toml`` carries them, so every export can list the assumptions of the data it ranked.
``climate_check_table`` measures the station interpolation by leave-one-out: plain, with the elevation correction
only, and as configured (with the distance-to-sea term), so the README can say how good each is.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sitefinder.data.elevation import elevation_m, sea_distance_km
from sitefinder.measure.climate import ClimateSettings, error_summary, leave_one_out
from sitefinder.measure.criteria import station_elevations
from sitefinder.measure.geodesy import nearest_k_km
from sitefinder.model.vocabulary import METRIC_COLUMNS, TMAX_COLUMNS, TMIN_COLUMNS


def _entry(name: str, entry: Any, unit: str, basis: str = "") -> dict[str, Any]:
    if isinstance(entry, dict):
        row: dict[str, Any] = {"name": name, "value": float(entry["value"])}
        if "low" in entry:
            row["low"] = float(entry["low"])
        if "high" in entry:
            row["high"] = float(entry["high"])
        row["unit"] = unit
        row["basis"] = str(entry.get("basis", basis))
        return row
    return {"name": name, "value": float(entry), "unit": unit, "basis": basis}


def assumption_rows(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Every parameter of the built-in estimates with its value, range where one is stated, unit and basis."""
    sur = cfg["surplus"]
    rows = [_entry(f"national_demand_{season}_mw", sur["demand"][season], "MW") for season in ("winter", "summer")]
    for season in ("winter", "summer"):
        for fuel, entry in sur["availability"][season].items():
            rows.append(_entry(f"availability_{season}_{fuel.replace(' ', '_')}", entry, "share of installed MW"))
    rows.append(_entry("demand_share_relative_range", sur.get("demand_share_relative_range", 0.0), "fraction of the share",
                       "each region's demand share is widened by this fraction either way: in Jul-Sep 2024 the companies "
                       "drew 4-19 % less than NEPRA's reference around a 10 % mean (The Nation, 4 Dec 2024)"))
    rows.append(_entry("plant_region_max_km", sur["plant_region_max_km"], "km",
                       "a plant just outside the national outline (on the coast) counts in the nearest region within this distance"))
    rows.append(_entry("plant_must_land_mw", sur["plant_must_land_mw"], "MW",
                       "the build fails, naming the plant, if a counted plant of this size lands in no region"))
    grid = cfg["grid"]
    for klass, entry in grid["location_error_km"].items():
        rows.append(_entry(f"grid_location_error_{klass}_km", entry, "km",
                           f"how far a station mapped with location_precision '{klass}' may be from its real place"))
    rows.append(_entry("plant_switchyard_min_mw", grid["plant_switchyard_min_mw"], "MW",
                       "plants of this size with no listed station nearby become grid nodes"))
    rows.append(_entry("merge_distance_km", grid["merge_distance_km"], "km",
                       "a plant this close to a listed station is taken to connect there"))
    clim = cfg["climate"]
    rows.append(_entry("climate_lapse_rate_c_per_km", clim.get("lapse_rate_c_per_km", 0.0), "°C/km",
                       str(clim.get("lapse_rate_basis", ""))))
    rows.append(_entry("climate_sea_decay_km", clim.get("sea_decay_km", 0.0), "km", str(clim.get("sea_decay_basis", ""))))
    rows.append(_entry("climate_idw_power", clim["idw_power"], "", "inverse-distance weighting power"))
    rows.append(_entry("climate_idw_neighbours", clim["idw_neighbours"], "stations", "stations used per site"))
    for band in cfg["land"]["city_core_radius_km"]:
        rows.append(_entry(f"city_core_radius_{int(band['min_population'])}_km", band["radius_km"], "km",
                           f"built-up core excluded around cities of {int(band['min_population']):,}+ people "
                           "(no urban footprints in the facts)"))
    rows.append(_entry("large_city_min_population", cfg["connectivity"]["large_city_min_population"], "people",
                       "towns of at least this size count as large cities (staff, services)"))
    return rows


def climate_check_table(stations: gpd.GeoDataFrame, settings: ClimateSettings
                        ) -> tuple[pd.DataFrame, dict[str, dict[str, dict[str, float]]]]:
    """Leave-one-out errors per station, plain IDW, with the elevation correction only and as configured (with the
    sea term), and their summary by metric."""
    lon, lat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    tmax, tmin = stations[list(TMAX_COLUMNS)].to_numpy(float), stations[list(TMIN_COLUMNS)].to_numpy(float)
    elev = station_elevations(stations)
    mapped = elevation_m(lon, lat)
    sea = sea_distance_km(lon, lat)
    variants = {"plain": (0.0, 0.0), "elevation": (settings.lapse_c_per_km, 0.0),
                "corrected": (settings.lapse_c_per_km, settings.sea_decay_km)}
    errors = {name: leave_one_out(lon, lat, tmax, tmin, power=settings.power, neighbours=settings.neighbours,
                                  lapse_c_per_km=lapse, station_elevation_m=elev, target_elevation_m=mapped,
                                  sea_decay_km=decay, station_sea_km=sea)
              for name, (lapse, decay) in variants.items()}
    _, dk = nearest_k_km(lon, lat, lon, lat, min(2, len(lon)))
    table = pd.DataFrame({
        "station_id": stations["station_id"].to_numpy(), "name": stations["name"].to_numpy(),
        "elevation_m": np.round(elev, 0), "map_elevation_m": np.round(mapped, 0), "sea_km": np.round(sea, 1),
        "nearest_other_station_km": np.round(dk[:, -1], 1),
        **{f"{metric}_error_{name}": np.round(errors[name][metric], 2) for metric in METRIC_COLUMNS for name in variants},
    }).sort_values("station_id")
    summary = {name: {k: {s: round(v, 3) for s, v in stats.items()} for k, stats in error_summary(e).items()}
               for name, e in errors.items()}
    return table, summary
