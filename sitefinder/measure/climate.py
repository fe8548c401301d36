"""Cooling-climate metrics from monthly temperature normals, and their interpolation.

Inputs are monthly mean daily maximum and minimum temperatures (°C, January..December). The daily
cycle is approximated by a sine wave between the month's mean minimum and maximum, the usual way to
estimate degree-days and hours above a threshold when only monthly data exist. Every metric made
this way is an estimate and is labelled so wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitefinder.measure.geodesy import nearest_k_km
from sitefinder.model.vocabulary import METRIC_COLUMNS

DAYS_IN_MONTH = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

CDD_BASE_C = 18.0
HOT_HOUR_THRESHOLD_C = 35.0
FREE_COOLING_TMAX_C = 25.0

# Physical bounds of each metric, so a range never runs below zero hours or past twelve months.
METRIC_BOUNDS = {
    "hottest_month_tmax_c": (-60.0, 60.0),
    "cooling_degree_days": (0.0, 365.25 * 42.0),
    "hours_above_35c": (0.0, 8766.0),
    "free_cooling_months": (0.0, 12.0),
    "annual_mean_temp_c": (-60.0, 60.0),
}


@dataclass(frozen=True)
class ClimateSettings:
    """How station normals are spread onto sites: IDW power and neighbours, the lapse rate (°C per km) used to
    reduce station temperatures to sea level and bring them back to a site's elevation (0 = no elevation
    correction), and the decay length (km) of the distance-to-sea term (0 = none; see ``sea_coefficients``). A
    dataset's ``dataset.toml`` [climate] table overrides the defaults."""

    power: float = 2.0
    neighbours: int = 8
    lapse_c_per_km: float = 6.5
    sea_decay_km: float = 0.0

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> ClimateSettings:
        """The settings a dataset's ``dataset.toml`` [climate] table gives, the defaults elsewhere."""
        table = manifest.get("climate", {}) if isinstance(manifest, dict) else {}
        base = cls()
        return cls(power=float(table.get("idw_power", base.power)),
                   neighbours=int(table.get("idw_neighbours", base.neighbours)),
                   lapse_c_per_km=float(table.get("lapse_rate_c_per_km", base.lapse_c_per_km)),
                   sea_decay_km=float(table.get("sea_decay_km", base.sea_decay_km)))

    def describe(self) -> str:
        """The interpolation in words, for sources and exports."""
        corr = (f"reduced to sea level at {self.lapse_c_per_km:g} °C/km and brought back to the site's elevation"
                if self.lapse_c_per_km > 0 else "no elevation correction")
        sea = (f"; a distance-to-sea term (exp(-km/{self.sea_decay_km:g}), one coefficient a month fitted to the "
               "stations' leave-one-out errors)" if self.sea_decay_km > 0 else "")
        return f"inverse-distance weighting (power {self.power:g}, {self.neighbours} nearest stations); {corr}{sea}"


def metric_ranges(metrics: dict[str, NDArray[np.float64]], half_width: dict[str, float]
                  ) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """(low, high) of each metric: value -/+ its half-width (e.g. the leave-one-out RMSE), kept within the
    metric's physical bounds. A metric without a half-width gets no range (NaN)."""
    out = {}
    for k, v in metrics.items():
        if k not in METRIC_BOUNDS:
            continue
        w = half_width.get(k, float("nan"))
        lo_b, hi_b = METRIC_BOUNDS[k]
        lo = np.clip(v - w, lo_b, hi_b)
        hi = np.clip(v + w, lo_b, hi_b)
        out[k] = (np.minimum(lo, v), np.maximum(hi, v)) if np.isfinite(w) else (np.full_like(v, np.nan), np.full_like(v, np.nan))
    return out


def _fraction_above(mean: NDArray[np.float64], amp: NDArray[np.float64], threshold: float) -> NDArray[np.float64]:
    """Share of a sine-wave day (mean ± amp) spent above ``threshold``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(amp > 0, (threshold - mean) / amp, np.where(mean > threshold, -np.inf, np.inf))
    k = np.clip(k, -1.0, 1.0)
    return 0.5 - np.arcsin(k) / np.pi


def _mean_excess(mean: NDArray[np.float64], amp: NDArray[np.float64], base: float) -> NDArray[np.float64]:
    """Mean over a sine-wave day (mean ± amp) of max(0, T - base), in °C."""
    c = mean - base
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(amp > 0, -c / amp, np.where(c > 0, -np.inf, np.inf))
    k = np.clip(k, -1.0, 1.0)
    return np.maximum(0.0, (c * (np.pi / 2 - np.arcsin(k)) + amp * np.sqrt(1 - k**2)) / np.pi)


def metrics_from_monthly(tmax: NDArray[np.float64], tmin: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Climate metrics for each row of (n, 12) monthly tmax/tmin arrays in °C.

    Returns hottest-month mean maximum (°C), cooling degree days above 18 °C (°C·day/yr), estimated
    hours per year above 35 °C (h/yr), months whose mean daily maximum is below 25 °C (free-cooling
    months, 0-12) and the annual mean temperature (°C). NaN in, NaN out.
    """
    tmax = np.atleast_2d(np.asarray(tmax, dtype=float))
    tmin = np.atleast_2d(np.asarray(tmin, dtype=float))
    mean = (tmax + tmin) / 2
    amp = np.maximum((tmax - tmin) / 2, 0.0)
    bad = np.isnan(tmax).any(axis=1) | np.isnan(tmin).any(axis=1)
    cdd = (_mean_excess(mean, amp, CDD_BASE_C) * DAYS_IN_MONTH).sum(axis=1)
    hours = (_fraction_above(mean, amp, HOT_HOUR_THRESHOLD_C) * DAYS_IN_MONTH * 24).sum(axis=1)
    out = {
        "hottest_month_tmax_c": tmax.max(axis=1),
        "cooling_degree_days": cdd,
        "hours_above_35c": hours,
        "free_cooling_months": (tmax < FREE_COOLING_TMAX_C).sum(axis=1).astype(float),
        "annual_mean_temp_c": (mean * DAYS_IN_MONTH).sum(axis=1) / DAYS_IN_MONTH.sum(),
    }
    for values in out.values():
        values[bad] = np.nan
    return out


def idw_monthly(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    station_lon: NDArray[np.float64],
    station_lat: NDArray[np.float64],
    station_values: NDArray[np.float64],
    *,
    power: float = 2.0,
    neighbours: int = 8,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inverse-distance-weighted values of (s, m) station data at n points (WGS84 degrees).

    Uses the ``neighbours`` nearest stations by great-circle distance (km, mean-radius sphere). A point on
    a station takes that station's values. Returns the (n, m) values and the distance to the nearest
    station in km.
    """
    values = np.asarray(station_values, dtype=float)
    k = min(neighbours, len(station_lon))
    idx, dk = nearest_k_km(lon, lat, station_lon, station_lat, k)
    with np.errstate(divide="ignore"):
        w = 1.0 / np.maximum(dk, 1e-9) ** power
    w /= w.sum(axis=1, keepdims=True)
    out = np.zeros((len(idx), values.shape[1]))
    for j in range(k):  # k small passes instead of one (n, k, m) temporary
        out += w[:, j, None] * values[idx[:, j]]
    return out, dk[:, 0]


def to_sea_level(values: NDArray[np.float64], elevation_m: NDArray[np.float64],
                 lapse_c_per_km: float) -> NDArray[np.float64]:
    """Temperatures (°C, rows = places) reduced to sea level with a constant lapse rate (°C per km)."""
    return np.asarray(values, dtype=float) + lapse_c_per_km * np.asarray(elevation_m, dtype=float)[:, None] / 1000.0


def from_sea_level(values: NDArray[np.float64], elevation_m: NDArray[np.float64],
                   lapse_c_per_km: float) -> NDArray[np.float64]:
    """Sea-level temperatures (°C) brought back up to ``elevation_m`` (m) with the same lapse rate."""
    return np.asarray(values, dtype=float) - lapse_c_per_km * np.asarray(elevation_m, dtype=float)[:, None] / 1000.0


def sea_weight(sea_km: NDArray[np.float64], decay_km: float) -> NDArray[np.float64]:
    """How much the sea tempers a place: exp(-distance / decay), 1 on the coast, 0 far inland (and where the
    distance is unknown)."""
    w = np.exp(-np.asarray(sea_km, dtype=float) / decay_km)
    return np.where(np.isfinite(w), w, 0.0)


def _idw_from_the_others(lon: NDArray[np.float64], lat: NDArray[np.float64], values: NDArray[np.float64],
                         power: float, neighbours: int) -> NDArray[np.float64]:
    """Each station's inverse-distance estimate of ``values`` (s, m) from the other stations only."""
    n = len(lon)
    k = min(neighbours, n - 1)
    idx, dk = nearest_k_km(lon, lat, lon, lat, min(k + 1, n))
    keep = idx != np.arange(n)[:, None]
    keep &= np.cumsum(keep, axis=1) <= k  # the k nearest others, whether or not a station found itself
    with np.errstate(divide="ignore"):
        w = np.where(keep, 1.0 / np.maximum(dk, 1e-9) ** power, 0.0)
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("sk,skm->sm", w, np.asarray(values, dtype=float)[idx])


def sea_coefficients(lon: NDArray[np.float64], lat: NDArray[np.float64], values: NDArray[np.float64],
                     weight: NDArray[np.float64], *, power: float = 2.0, neighbours: int = 8) -> NDArray[np.float64]:
    """One coefficient per column of ``values`` (°C at full sea weight): the one that makes the stations'
    leave-one-out errors smallest when ``coefficient x weight`` is taken out before interpolating and put back at
    the place interpolated to (least squares, closed form).

    A station's leave-one-out error with the term is ``e + c x (w - w_hat)``, where ``e`` is its error without it
    and ``w_hat`` the interpolated weight of its neighbours: only stations with more or less sea than their
    neighbours (the coast) decide ``c``. Without such a contrast (fewer than three stations, or none near the
    sea) the coefficients are 0, so the term does nothing."""
    values = np.asarray(values, dtype=float)
    weight = np.asarray(weight, dtype=float)
    if len(lon) < 3:
        return np.zeros(values.shape[1])
    est = _idw_from_the_others(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float),
                               np.column_stack([values, weight]), power, neighbours)
    err = est[:, :-1] - values
    contrast = weight - est[:, -1]
    den = float(contrast @ contrast)
    if den < 1e-6:
        return np.zeros(values.shape[1])
    return -(contrast @ err) / den


def interpolate_monthly(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    station_lon: NDArray[np.float64],
    station_lat: NDArray[np.float64],
    tmax: NDArray[np.float64],
    tmin: NDArray[np.float64],
    *,
    power: float = 2.0,
    neighbours: int = 8,
    lapse_c_per_km: float = 0.0,
    station_elevation_m: NDArray[np.float64] | None = None,
    target_elevation_m: NDArray[np.float64] | None = None,
    sea_decay_km: float = 0.0,
    station_sea_km: NDArray[np.float64] | None = None,
    target_sea_km: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Monthly tmax and tmin (°C, (n, 12) each) at points (WGS84), and the nearest station's distance (km).

    With a lapse rate and both elevations (m), station values are reduced to sea level, interpolated by
    inverse distance, and brought back to each point's own elevation; otherwise plain IDW. With a sea decay
    length and both distances to the sea (km), each month's sea term (``sea_coefficients``, fitted to these
    stations) is taken out of the station values before interpolating and put back at each point's own distance.
    """
    values = np.hstack([np.asarray(tmax, dtype=float), np.asarray(tmin, dtype=float)])
    adjust = lapse_c_per_km > 0 and station_elevation_m is not None and target_elevation_m is not None
    if adjust:
        values = to_sea_level(values, np.asarray(station_elevation_m, dtype=float), lapse_c_per_km)
    sea = sea_decay_km > 0 and station_sea_km is not None and target_sea_km is not None
    if sea:
        w_station = sea_weight(np.asarray(station_sea_km, dtype=float), sea_decay_km)
        coef = sea_coefficients(np.asarray(station_lon, dtype=float), np.asarray(station_lat, dtype=float), values,
                                w_station, power=power, neighbours=neighbours)
        values = values - w_station[:, None] * coef
    out, nearest = idw_monthly(lon, lat, station_lon, station_lat, values, power=power, neighbours=neighbours)
    if sea:
        out = out + sea_weight(np.asarray(target_sea_km, dtype=float), sea_decay_km)[:, None] * coef
    if adjust:
        out = from_sea_level(out, np.asarray(target_elevation_m, dtype=float), lapse_c_per_km)
    return out[:, :12], out[:, 12:], nearest


def interpolate_metrics(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    station_lon: NDArray[np.float64],
    station_lat: NDArray[np.float64],
    tmax: NDArray[np.float64],
    tmin: NDArray[np.float64],
    *,
    power: float = 2.0,
    neighbours: int = 8,
    lapse_c_per_km: float = 0.0,
    station_elevation_m: NDArray[np.float64] | None = None,
    target_elevation_m: NDArray[np.float64] | None = None,
    sea_decay_km: float = 0.0,
    station_sea_km: NDArray[np.float64] | None = None,
    target_sea_km: NDArray[np.float64] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Climate metrics at points (WGS84) from interpolated station normals (see ``interpolate_monthly``).

    Monthly tmax/tmin are interpolated first and the metrics computed from them, so the metrics stay
    consistent with each other. Adds ``climate_station_km``: the distance to the nearest station, a
    measure of how far the estimate reaches.
    """
    mx, mn, nearest = interpolate_monthly(
        lon, lat, station_lon, station_lat, tmax, tmin, power=power, neighbours=neighbours,
        lapse_c_per_km=lapse_c_per_km, station_elevation_m=station_elevation_m, target_elevation_m=target_elevation_m,
        sea_decay_km=sea_decay_km, station_sea_km=station_sea_km, target_sea_km=target_sea_km)
    out = metrics_from_monthly(mx, mn)
    out["climate_station_km"] = nearest
    return out


def leave_one_out(
    station_lon: NDArray[np.float64],
    station_lat: NDArray[np.float64],
    tmax: NDArray[np.float64],
    tmin: NDArray[np.float64],
    *,
    power: float = 2.0,
    neighbours: int = 8,
    lapse_c_per_km: float = 0.0,
    station_elevation_m: NDArray[np.float64] | None = None,
    target_elevation_m: NDArray[np.float64] | None = None,
    sea_decay_km: float = 0.0,
    station_sea_km: NDArray[np.float64] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Leave-one-out errors (estimate minus the station's own normal) of every metric, one per station.

    Each station is predicted from all the others exactly as a candidate site would be (same power,
    neighbours, lapse rate and sea term; ``target_elevation_m`` is the elevation the prediction is brought to,
    normally the elevation map's value at the station, as for a candidate). The sea term's coefficients are
    fitted again without the station left out, so its own normal never helps predict it.
    """
    lon, lat = np.asarray(station_lon, dtype=float), np.asarray(station_lat, dtype=float)
    tmax, tmin = np.asarray(tmax, dtype=float), np.asarray(tmin, dtype=float)
    n = len(lon)
    truth = metrics_from_monthly(tmax, tmin)
    errors = {k: np.full(n, np.nan) for k in METRIC_COLUMNS}
    if n < 2:
        return errors
    for i in range(n):
        keep = np.arange(n) != i
        pred = interpolate_metrics(
            lon[[i]], lat[[i]], lon[keep], lat[keep], tmax[keep], tmin[keep], power=power, neighbours=neighbours,
            lapse_c_per_km=lapse_c_per_km,
            station_elevation_m=None if station_elevation_m is None else np.asarray(station_elevation_m, dtype=float)[keep],
            target_elevation_m=None if target_elevation_m is None else np.asarray(target_elevation_m, dtype=float)[[i]],
            sea_decay_km=sea_decay_km,
            station_sea_km=None if station_sea_km is None else np.asarray(station_sea_km, dtype=float)[keep],
            target_sea_km=None if station_sea_km is None else np.asarray(station_sea_km, dtype=float)[[i]])
        for k in METRIC_COLUMNS:
            errors[k][i] = pred[k][0] - truth[k][i]
    return errors


def error_summary(errors: dict[str, NDArray[np.float64]]) -> dict[str, dict[str, float]]:
    """Mean absolute error, root-mean-square error, bias and largest error of each metric's LOO errors."""
    out = {}
    for k, e in errors.items():
        e = e[np.isfinite(e)]
        out[k] = {"mae": float(np.mean(np.abs(e))) if len(e) else float("nan"),
                  "rmse": float(np.sqrt(np.mean(e**2))) if len(e) else float("nan"),
                  "bias": float(np.mean(e)) if len(e) else float("nan"),
                  "max_abs": float(np.max(np.abs(e))) if len(e) else float("nan")}
    return out
