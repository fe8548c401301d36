"""Per-candidate criterion values, vectorised over all candidates.

Two parts, cached separately by callers because they change at different times:

* ``site_criteria``: everything that depends only on the data and the candidates (supply region and
  its surplus, climate, land, connectivity, district). Expensive; compute once per (dataset, resolution).
* ``grid_criteria``: the nearest *eligible* grid node, which depends on the profile's voltage and
  status rules. Cheap (a k-d tree query); compute per node rule.

All distances are WGS84 geodesic kilometres; inputs are EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.data.elevation import elevation_m, sea_distance_km
from sitefinder.errors import ScoringError
from sitefinder.measure.candidates import Candidates
from sitefinder.measure.climate import (
    ClimateSettings,
    error_summary,
    interpolate_metrics,
    leave_one_out,
    metric_ranges,
    metrics_from_monthly,
)
from sitefinder.measure.geodesy import NearestFinder
from sitefinder.measure.surplus import site_areas
from sitefinder.model.ranges import high, low
from sitefinder.model.vocabulary import METRIC_COLUMNS, SEASONS, TMAX_COLUMNS, TMIN_COLUMNS, NodeRule


def _nearest(candidates: Candidates, frame: pd.DataFrame | None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    if frame is None or len(frame) == 0:
        n = len(candidates)
        return np.full(n, -1, dtype=np.intp), np.full(n, np.nan)
    finder = NearestFinder(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    return finder.query(candidates.lon, candidates.lat)


def _polygon_lookup(lon: NDArray[np.float64], lat: NDArray[np.float64], polygons: NDArray[np.object_]) -> NDArray[np.intp]:
    """Index of the (first) polygon containing each point, -1 where none does.

    Bounding-box filter, then a prepared point-in-polygon test per polygon: much faster than building a
    million Point objects for a tree query.
    """
    out = np.full(len(lon), -1, dtype=np.intp)
    bounds = shapely.bounds(polygons)
    for j in range(len(polygons)):
        x0, y0, x1, y1 = bounds[j]
        cand = np.flatnonzero((out < 0) & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if not len(cand):
            continue
        poly = polygons[j]
        shapely.prepare(poly)
        hit = shapely.contains_xy(poly, lon[cand], lat[cand])
        out[cand[hit]] = j
    return out


def _take_cat(values: pd.Series, idx: NDArray[np.intp]) -> pd.Categorical:
    """Labels of the rows at ``idx`` as a categorical (-1 -> missing): cheap for millions of rows."""
    present = values.notna().to_numpy()
    labels = np.array([str(v) if ok else "" for v, ok in zip(values, present)], dtype=object)
    if present.any():
        cats, codes = np.unique(labels[present], return_inverse=True)
    else:
        cats, codes = np.array([], dtype=object), np.array([], dtype=int)
    full = np.full(len(labels), -1)
    full[present] = codes
    return pd.Categorical.from_codes(np.where(idx >= 0, full[np.maximum(idx, 0)], -1), categories=cats)


def _take(values: pd.Series, idx: NDArray[np.intp], fill: object = None) -> NDArray[np.object_]:
    arr = values.to_numpy(dtype=object)
    out = np.full(len(idx), fill, dtype=object)
    ok = idx >= 0
    out[ok] = arr[idx[ok]]
    return out


def _take_float(values: pd.Series, idx: NDArray[np.intp]) -> NDArray[np.float64]:
    arr = values.to_numpy(dtype=float)
    out = np.full(len(idx), np.nan)
    ok = idx >= 0
    out[ok] = arr[idx[ok]]
    return out


def site_criteria(dataset: Dataset, candidates: Candidates, *, idw_power: float = 2.0,
                  idw_neighbours: int = 8) -> pd.DataFrame:
    """Criteria that do not depend on the facility profile, one row per candidate (same order)."""
    n = len(candidates)
    lon, lat = candidates.lon, candidates.lat
    out: dict[str, object] = {"candidate_id": candidates.ids.astype(object), "lon": candidates.lon, "lat": candidates.lat}

    study = shapely.union_all(dataset["study_area"].geometry.array)
    shapely.prepare(study)
    out["in_study_area"] = shapely.contains_xy(study, candidates.lon, candidates.lat).astype(float)

    regions = dataset["supply_regions"]
    ridx = _polygon_lookup(lon, lat, regions.geometry.to_numpy())
    out["region_id"] = _take_cat(regions["region_id"], ridx)
    out["region"] = _take_cat(regions["name"], ridx)
    for season in ("winter", "summer"):
        col = f"surplus_{season}_mw"
        out[col] = _take_float(regions[col], ridx)
        for end in (low(col), high(col)):
            out[end] = _take_float(regions[end], ridx) if end in regions else np.full(n, np.nan)
    out["region_zone"] = (_take_cat(regions["zone"], ridx) if "zone" in regions
                          else pd.Categorical.from_codes(np.full(n, -1), categories=[]))
    grid_flag = regions["on_national_grid"].astype(float)
    out["on_national_grid"] = _take_float(grid_flag, ridx)
    out["region_surplus_basis"] = _take_cat(regions["surplus_basis"], ridx)
    if "tariff_pkr_per_kwh" in regions:
        out["region_tariff_pkr_per_kwh"] = _take_float(regions["tariff_pkr_per_kwh"], ridx)

    out["elevation_m"] = elevation_m(lon, lat)
    climate, ranges = station_climate(dataset, lon, lat, out["elevation_m"])  # type: ignore[arg-type]
    source = np.full(n, "stations (estimate)", dtype=object)
    raster = getattr(dataset, "climate_raster", None)
    if raster is not None:
        sampled = raster.sample(lon, lat)
        if raster.meaning == "monthly":
            from_raster = metrics_from_monthly(sampled[:, :12], sampled[:, 12:])
            have = np.isfinite(sampled).all(axis=1)
            replaced = list(METRIC_COLUMNS)
            for key in METRIC_COLUMNS:
                climate[key] = np.where(have, from_raster[key], climate[key])
        else:
            have = np.isfinite(sampled[:, 0])
            replaced = [raster.meaning]
            climate[raster.meaning] = np.where(have, sampled[:, 0], climate[raster.meaning])
        for key in replaced:  # the raster states no error, so where it is used there is no range
            lo_, hi_ = ranges[key]
            ranges[key] = (np.where(have, np.nan, lo_), np.where(have, np.nan, hi_))
        source[have] = f"raster {raster.source}"
    for key in (*METRIC_COLUMNS, "climate_station_km"):
        out[key] = climate[key]
    for key, (lo_, hi_) in ranges.items():
        out[low(key)], out[high(key)] = lo_, hi_
    out["climate_source"] = pd.Categorical(source)

    zones = dataset["exclusions"]
    if candidates.user_geometry is not None:
        test = candidates.user_geometry
        tree = shapely.STRtree(zones.geometry.to_numpy())
        g_idx, z_idx = tree.query(test, predicate="intersects")
        zidx = np.full(n, -1, dtype=np.intp)
        zidx[g_idx[::-1]] = z_idx[::-1]
    else:
        zidx = _polygon_lookup(lon, lat, zones.geometry.to_numpy()) if len(zones) else np.full(n, -1, dtype=np.intp)
    out["land_excluded"] = (zidx >= 0).astype(float)
    out["land_exclusion_reason"] = _take_cat(zones["reason"], zidx) if len(zones) else np.full(n, "", dtype=object)

    conn = existing_connectivity(dataset["connectivity"])
    conn_idx, conn_km = _nearest(candidates, conn)
    out["connectivity_distance_km"] = conn_km
    out["connectivity_point"] = _take_cat(conn["name"], conn_idx)
    cities = dataset["cities"]
    town_idx, town_km = _nearest(candidates, cities)
    out["town_distance_km"] = town_km
    out["nearest_town"] = _take_cat(cities["name"], town_idx)
    flag = cities["large_city"] if "large_city" in cities else pd.Series(np.nan, index=cities.index)
    # A blank flag (e.g. a user's added towns) is decided by population, never read as "large".
    is_large = flag.astype(object).where(flag.notna(), cities["population"] >= 1e6).astype(bool)
    large = cities[is_large.to_numpy()]
    big_idx, big_km = _nearest(candidates, large)
    out["large_city_distance_km"] = big_km
    out["nearest_large_city"] = _take_cat(large["name"], big_idx) if len(large) else np.full(n, None, dtype=object)

    districts = dataset.get("districts")
    if districts is not None and len(districts):
        didx = _polygon_lookup(lon, lat, districts.geometry.to_numpy())
        out["district"] = _take_cat(districts["district"], didx)
        out["province"] = _take_cat(districts["province"], didx)
        out["flood_2022"] = _take_float(districts["flood_2022"].astype(float), didx)
        if "flood_2022_basis" in districts:
            out["flood_2022_basis"] = _take_cat(districts["flood_2022_basis"], didx)
    else:
        out["district"] = np.full(n, None, dtype=object)
        out["province"] = np.full(n, None, dtype=object)
        out["flood_2022"] = np.full(n, np.nan)
    return pd.DataFrame(out)


def connectivity_exists(points: pd.DataFrame) -> NDArray[np.bool_]:
    """True for connectivity that exists: ``operational`` not false (blank = operating; planned = false)."""
    if "operational" not in points:
        return np.ones(len(points), dtype=bool)
    flag = points["operational"].astype(object)
    return np.array([not (v is False or v == 0) if v is not None and not pd.isna(v) else True for v in flag], dtype=bool)


def existing_connectivity(points: pd.DataFrame) -> pd.DataFrame:
    """Connectivity that exists (planned items are shown on the map but not scored)."""
    return points[connectivity_exists(points)]


def station_elevations(stations: pd.DataFrame) -> NDArray[np.float64]:
    """Each station's elevation (m): the published one, else the elevation map's at its point."""
    mapped = elevation_m(stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy())
    if "elevation_m" not in stations:
        return mapped
    given = pd.to_numeric(stations["elevation_m"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(given), given, mapped)


def sea_distances(stations: pd.DataFrame, lon: NDArray[np.float64], lat: NDArray[np.float64],
                  settings: ClimateSettings) -> dict[str, Any]:
    """The sea-term arguments of the interpolation: its decay and the stations' and points' distances to the sea
    (km), or nothing when the settings have no sea term."""
    if settings.sea_decay_km <= 0:
        return {}
    return {"sea_decay_km": settings.sea_decay_km,
            "station_sea_km": sea_distance_km(stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()),
            "target_sea_km": sea_distance_km(lon, lat)}


@dataclass(frozen=True)
class ClimateCheck:
    """How well the station interpolation predicts each station from the others (leave-one-out)."""

    settings: ClimateSettings
    stations: int
    errors: dict[str, dict[str, float]]  # metric -> mae, rmse, bias, max_abs

    def half_width(self) -> dict[str, float]:
        """The range given to each estimated metric: +/- its leave-one-out RMSE."""
        return {k: v["rmse"] for k, v in self.errors.items()}


def climate_check(stations: pd.DataFrame, settings: ClimateSettings) -> ClimateCheck:
    """Leave-one-out errors of the interpolation as configured, on the dataset's own stations."""
    lon, lat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    errors = leave_one_out(lon, lat, stations[list(TMAX_COLUMNS)].to_numpy(float),
                           stations[list(TMIN_COLUMNS)].to_numpy(float), power=settings.power,
                           neighbours=settings.neighbours, lapse_c_per_km=settings.lapse_c_per_km,
                           station_elevation_m=station_elevations(stations), target_elevation_m=elevation_m(lon, lat),
                           sea_decay_km=settings.sea_decay_km,
                           station_sea_km=sea_distance_km(lon, lat) if settings.sea_decay_km > 0 else None)
    return ClimateCheck(settings, len(stations), error_summary(errors))


def station_climate(dataset: Dataset, lon: NDArray[np.float64], lat: NDArray[np.float64],
                    site_elevation_m: NDArray[np.float64]) -> tuple[dict[str, NDArray[np.float64]],
                                                                   dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]]:
    """Climate metrics at points from the dataset's stations, and each metric's (low, high) range from the
    leave-one-out error of the same interpolation."""
    stations = dataset["climate_stations"]
    settings = ClimateSettings.from_manifest(dataset.manifest)
    metrics = interpolate_metrics(
        lon, lat, stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy(),
        stations[list(TMAX_COLUMNS)].to_numpy(float), stations[list(TMIN_COLUMNS)].to_numpy(float),
        power=settings.power, neighbours=settings.neighbours, lapse_c_per_km=settings.lapse_c_per_km,
        station_elevation_m=station_elevations(stations), target_elevation_m=site_elevation_m,
        **sea_distances(stations, lon, lat, settings))
    check = climate_check(stations, settings)
    return metrics, metric_ranges(metrics, check.half_width())


def eligible_nodes(nodes: pd.DataFrame, rule: NodeRule) -> pd.DataFrame:
    """The grid nodes a facility may connect to under ``rule``."""
    voltage = nodes["voltage_kv"].to_numpy(dtype=float)
    ok_voltage = voltage >= rule.min_voltage_kv
    if rule.allow_unknown_voltage:
        ok_voltage |= np.isnan(voltage)
    return nodes[ok_voltage & nodes["status"].isin(rule.statuses).to_numpy()]


def connection_nodes(nodes: pd.DataFrame) -> pd.DataFrame:
    """One node per mapped point: where several share a point (town-level locations put several Lahore and
    Karachi stations on one), the highest voltage is the connection, ties by id. Without this the nearest
    search would pick among them arbitrarily."""
    if not len(nodes):
        return nodes
    key = pd.Series(list(zip(nodes.geometry.x.round(6), nodes.geometry.y.round(6))), index=nodes.index)
    kv = nodes["voltage_kv"].astype(float).fillna(-1.0)
    order = nodes.assign(_key=key, _kv=kv).sort_values(["_kv", "node_id"], ascending=[False, True], kind="stable")
    keep = order.drop_duplicates("_key").index
    return nodes.loc[nodes.index.isin(keep)]


def grid_criteria(dataset: Dataset, candidates: Candidates, rule: NodeRule) -> pd.DataFrame:
    """The connection point of every candidate: nearest eligible node, its voltage, distance and headroom."""
    nodes = connection_nodes(eligible_nodes(dataset["grid_nodes"], rule))
    idx, km = _nearest(candidates, nodes)
    # The node may lie up to its location error from its mapped point, so the true distance lies within
    # distance -/+ that error. No stated error: no range (unknown, not zero).
    err = (_take_float(nodes["location_error_km"], idx) if "location_error_km" in nodes
           else np.full(len(idx), np.nan))
    out = pd.DataFrame({
        "grid_node_id": _take_cat(nodes["node_id"], idx),
        "grid_node": _take_cat(nodes["name"], idx),
        "grid_distance_km": km,
        "grid_distance_km_low": np.maximum(km - err, 0.0),
        "grid_distance_km_high": km + err,
        "grid_location_error_km": err,
        "grid_voltage_kv": _take_float(nodes["voltage_kv"], idx),
        "grid_headroom_mw": _take_float(nodes["headroom_mw"], idx),
        "grid_status": _take_cat(nodes["status"], idx),
        "grid_location_precision": _take_cat(nodes["location_precision"], idx) if "location_precision" in nodes else None,
        "grid_capacity_mva": _take_float(nodes["capacity_mva"], idx) if "capacity_mva" in nodes else np.nan,
        "grid_zone": (_take_cat(nodes["zone"], idx) if "zone" in nodes
                      else pd.Categorical.from_codes(np.full(len(idx), -1), categories=[])),
    })
    return out


def region_surplus(site: pd.DataFrame | Mapping[str, Any], season: str) -> NDArray[np.float64]:
    """The supply region's surplus (MW) for ``season``; ``year_round`` is the lower of winter and summer
    (unknown if either is unknown)."""
    winter = np.asarray(site["surplus_winter_mw"], dtype=float)  # a frame's columns, or arrays of draws
    summer = np.asarray(site["surplus_summer_mw"], dtype=float)
    if season == "winter":
        return winter
    if season == "summer":
        return summer
    if season == "year_round":
        return np.where(np.isnan(winter) | np.isnan(summer), np.nan, np.minimum(winter, summer))
    raise ScoringError(f"season '{season}' is not known. Use one of: {', '.join(SEASONS)}.")


def region_surplus_range(site: pd.DataFrame, season: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(low, high) of the region's surplus for ``season`` (MW); year-round takes the lower season at each end."""
    ends = []
    for end in (low, high):
        w = site[end("surplus_winter_mw")].to_numpy(float) if end("surplus_winter_mw") in site else np.full(len(site), np.nan)
        s = site[end("surplus_summer_mw")].to_numpy(float) if end("surplus_summer_mw") in site else np.full(len(site), np.nan)
        ends.append({"winter": w, "summer": s}.get(season, np.where(np.isnan(w) | np.isnan(s), np.nan, np.minimum(w, s))))
    return ends[0], ends[1]


AREA_COLUMNS = tuple(f"surplus_{season}_mw{end}" for season in ("winter", "summer") for end in ("", "_low", "_high"))


def with_areas(matrix: pd.DataFrame, areas: pd.DataFrame, season: str) -> pd.DataFrame:
    """``matrix`` with each site's surplus area (``surplus_area``, its name and ``zone``) and that area's seasonal
    surplus in place of the region's (MW), plus what binds the season's surplus and the cost of serving it
    (``surplus_binding``, ``surplus_cost_pkr_per_kwh`` with ``_low`` / ``_high``: year-round takes the leaner
    season). See
    ``measure.surplus.site_areas`` for which area a site draws on."""
    empty = pd.Categorical.from_codes(np.full(len(matrix), -1), categories=[])
    area = site_areas(areas, matrix.get("region_id", empty), matrix.get("region_zone", empty),
                      matrix.get("grid_zone", empty))
    pos = np.asarray(area.codes)
    ok = pos >= 0

    def take(col: str) -> NDArray[np.float64]:
        values = pd.to_numeric(areas[col], errors="coerce").to_numpy(float) if col in areas else np.full(len(areas), np.nan)
        return np.where(ok, values[np.maximum(pos, 0)] if len(values) else np.nan, np.nan)

    def take_cat(col: str) -> pd.Categorical:
        values = areas[col] if col in areas else pd.Series([None] * len(areas), index=areas.index)
        return _take_cat(values.reset_index(drop=True), np.where(ok, pos, -1))

    matrix["surplus_area"] = area
    matrix["surplus_area_name"] = take_cat("name")
    matrix["zone"] = take_cat("zone")
    for col in AREA_COLUMNS:
        matrix[col] = take(col)
    winter, summer = take("surplus_winter_mw"), take("surplus_summer_mw")
    lean = {"winter": np.ones(len(matrix), bool), "summer": np.zeros(len(matrix), bool)}.get(
        season, ~(summer < winter))  # year-round: the leaner season (winter on a tie or an unknown)
    # A cost in another unit (a grid model's own currency) is not a PKR figure: it stays with the zone (explain).
    in_pkr = take_cat("cost_unit").isna() if "cost_unit" in areas else np.ones(len(matrix), bool)
    for name, kind in (("binding", "cat"), ("cost_pkr_per_kwh", "float"), ("cost_pkr_per_kwh_low", "float"),
                       ("cost_pkr_per_kwh_high", "float")):
        w, s_ = f"surplus_winter_{name}", f"surplus_summer_{name}"
        if kind == "float":
            matrix[f"surplus_{name}"] = np.where(lean & in_pkr, take(w), np.where(in_pkr, take(s_), np.nan))
        else:
            wv = np.asarray(take_cat(w).astype(object))
            sv = np.asarray(take_cat(s_).astype(object))
            matrix[f"surplus_{name}"] = pd.Categorical(np.where(lean, wv, sv))
    return matrix


def combine(site: pd.DataFrame, grid: pd.DataFrame, season: str, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """The full criteria matrix: site and grid columns plus ``region_surplus_mw`` (and its range) for ``season``. With
    ``areas`` (``measure.surplus.surplus_areas``), each site's surplus is its area's: its grid node's network zone
    where it has one (``with_areas``)."""
    matrix = pd.concat([site.reset_index(drop=True), grid.reset_index(drop=True)], axis=1)
    if areas is not None:
        matrix = with_areas(matrix, areas, season)
    # the area's seasons where there are areas (with_areas put them in the matrix), so that the scored surplus is the
    # zone's that the site's binding, cost and months come from, also where its node's zone is not its region's
    matrix["region_surplus_mw"] = region_surplus(matrix, season)
    matrix["region_surplus_mw_low"], matrix["region_surplus_mw_high"] = region_surplus_range(matrix, season)
    matrix.attrs["season"] = season
    return matrix
