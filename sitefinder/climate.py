"""Cooling-climate metrics from monthly temperature normals, and their interpolation.

Inputs are monthly mean daily maximum and minimum temperatures (°C, January..December). The daily
cycle is approximated by a sine wave between the month's mean minimum and maximum, the usual way to
estimate degree-days and hours above a threshold when only monthly data exist. Every metric made
this way is an estimate and is labelled so wherever it is shown.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .geodesy import nearest_k_km

DAYS_IN_MONTH = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MONTHS = tuple(f"{m:02d}" for m in range(1, 13))
TMAX_COLUMNS = tuple(f"tmax_{m}" for m in MONTHS)
TMIN_COLUMNS = tuple(f"tmin_{m}" for m in MONTHS)

CDD_BASE_C = 18.0
HOT_HOUR_THRESHOLD_C = 35.0
FREE_COOLING_TMAX_C = 25.0

METRIC_COLUMNS = (
    "hottest_month_tmax_c",
    "cooling_degree_days",
    "hours_above_35c",
    "free_cooling_months",
    "annual_mean_temp_c",
)


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
) -> dict[str, NDArray[np.float64]]:
    """Climate metrics at points (WGS84) from IDW-interpolated station normals.

    Monthly tmax/tmin are interpolated first and the metrics computed from them, so the metrics stay
    consistent with each other. Adds ``climate_station_km``: the distance to the nearest station, a
    measure of how far the estimate reaches.
    """
    values, nearest = idw_monthly(lon, lat, station_lon, station_lat, np.hstack([tmax, tmin]),
                                  power=power, neighbours=neighbours)
    out = metrics_from_monthly(values[:, :12], values[:, 12:])
    out["climate_station_km"] = nearest
    return out
