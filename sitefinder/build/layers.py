"""Climate stations, land exclusions, connectivity and cities layers from the fact tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.build.facts import number, points
from sitefinder.measure.climate import metrics_from_monthly
from sitefinder.measure.geodesy import local_equal_area_crs
from sitefinder.model.vocabulary import TMAX_COLUMNS, TMIN_COLUMNS


def build_climate_stations(stations: pd.DataFrame) -> gpd.GeoDataFrame:
    """Station normals with the metrics derived from them (metrics are estimates; see climate.py). A row whose
    ``excluded`` column gives a reason (e.g. normals with no attributable source) is left out."""
    if "excluded" in stations:
        stations = stations[stations["excluded"].isna()].reset_index(drop=True)
    st = points(stations)
    tmax = np.column_stack([number(stations, c) for c in TMAX_COLUMNS])
    tmin = np.column_stack([number(stations, c) for c in TMIN_COLUMNS])
    metrics = metrics_from_monthly(tmax, tmin)
    frame = pd.DataFrame({
        "station_id": [w if w else f"stn-{n.lower().replace(' ', '-')}" for w, n in zip(stations["wmo_id"], stations["name"])],
        "name": stations["name"],
        "elevation_m": number(stations, "elevation_m"),
        "elevation_source": np.where(number(stations, "elevation_m").notna(), "published with the normals",
                                     "not published: the elevation map's value is used"),
        **{c: tmax[:, i] for i, c in enumerate(TMAX_COLUMNS)},
        **{c: tmin[:, i] for i, c in enumerate(TMIN_COLUMNS)},
        **{k: np.round(v, 1) for k, v in metrics.items()},
        "precip_mm_year": number(stations, "precip_mm_year"),
        "period": stations["period"],
        "source": stations["source"],
    })
    return gpd.GeoDataFrame(frame, geometry=st.geometry.array, crs=4326)


def _circle(lon: float, lat: float, radius_km: float, segments: int = 32) -> shapely.Polygon:
    """A geodesically correct circle (WGS84 polygon) of ``radius_km`` around a point."""
    crs = local_equal_area_crs(lon, lat)
    disc = gpd.GeoSeries([shapely.Point(0, 0).buffer(radius_km * 1000, quad_segs=segments // 4)], crs=crs)
    return disc.to_crs(4326).iloc[0]


def build_exclusions(protected: pd.DataFrame, cities: pd.DataFrame, config: dict) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Protected-area circles and city cores; returns the layer and the protected areas that could not be mapped."""
    rows = []
    unmapped = []
    area = number(protected, "area_km2")
    lon, lat = number(protected, "longitude"), number(protected, "latitude")
    for i, r in protected.iterrows():
        if np.isnan(lon[i]) or np.isnan(lat[i]) or np.isnan(area[i]):
            unmapped.append(f"{r['name']} ({'no coordinates' if np.isnan(lat[i]) else 'no area'} in the facts)")
            continue
        radius = float(np.sqrt(area[i] / np.pi))
        rows.append({
            "zone_id": "pa-" + r["name"].lower().replace(" ", "-").replace("(", "").replace(")", ""),
            "category": "protected_area",
            "name": r["name"],
            "reason": f"inside {r['name']} ({r['designation']})",
            "precision": f"approximate: circle of the stated area ({area[i]:,.0f} km², radius {radius:.1f} km) "
                         "around the published reference point",
            "source": r["source_url"],
            "geometry": _circle(lon[i], lat[i], radius),
        })
    pop = number(cities, "population")
    clon, clat = number(cities, "longitude"), number(cities, "latitude")
    bands = sorted(config["city_core_radius_km"], key=lambda b: -b["min_population"])
    for i, r in cities.iterrows():
        band = next((b for b in bands if pop[i] >= b["min_population"]), None)
        if band is None or np.isnan(clon[i]):
            continue
        rows.append({
            "zone_id": f"city-{r['geonameid'] or i}",
            "category": "city_core",
            "name": r["name"],
            "reason": f"inside the built-up core of {r['name']} (population {pop[i]:,.0f})",
            "precision": f"approximate: {band['radius_km']:g} km radius for a city of {band['min_population']:,}+ people "
                         "(assumption in build.toml)",
            "source": r["source_url"],
            "geometry": _circle(clon[i], clat[i], band["radius_km"]),
        })
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    return gdf, unmapped


def build_connectivity(connectivity: pd.DataFrame) -> gpd.GeoDataFrame:
    """Mappable connectivity points: cable landing points, internet exchanges and data centres.

    Only what exists counts as connectivity: a row whose ``operational`` column says "no" (or whose type
    ends in ``_planned``) is kept on the map with ``operational`` false and is not scored.
    """
    mappable = connectivity[connectivity["latitude"].notna() & connectivity["longitude"].notna()]
    mappable = mappable[mappable["type"].isin(["submarine_cable_landing_point", "internet_exchange", "data_centre",
                                               "data_centre_planned"])]
    gdf = points(mappable)
    said = mappable["operational"].fillna("").str.strip().str.lower() if "operational" in mappable else pd.Series("", index=mappable.index)
    operational = (said != "no") & ~mappable["type"].str.endswith("_planned")
    frame = pd.DataFrame({
        "name": mappable["name"],
        "type": mappable["type"],
        "operational": operational.to_numpy(),
        "city": mappable["city"],
        "details": mappable["cables_or_details"],
        "status": mappable["status_or_rfs"],
        "precision": mappable["coord_note"].fillna("city-level point"),
        "source": mappable["source_url"],
    })
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=gdf.geometry.array, crs=4326)


def build_cities(cities: pd.DataFrame, config: dict) -> gpd.GeoDataFrame:
    """Cities with population and the large-city flag (threshold in ``build.toml``), EPSG:4326 points."""
    gdf = points(cities)
    pop = number(cities, "population")
    frame = pd.DataFrame({
        "name": cities["name"],
        "province": cities["province"],
        "population": pop,
        "census_year": cities["census_year"],
        "population_quality": cities["population_quality"],
        "large_city": pop >= config["large_city_min_population"],
        "source": cities["source_url"],
    })
    return gpd.GeoDataFrame(frame, geometry=gdf.geometry.array, crs=4326)
