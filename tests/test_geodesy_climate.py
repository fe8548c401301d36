"""Distances on the WGS84 ellipsoid, nearest-node search, and the monthly-normals climate metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from sitefinder.data.io import read_layer
from sitefinder.measure import climate, geodesy
from sitefinder.model import vocabulary

DATA = Path(__file__).resolve().parents[1] / "data" / "pakistan"
GEOD = Geod(ellps="WGS84")
DAYS = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])  # 365.25 days: the year the module uses

PAIRS = [  # (lon1, lat1, lon2, lat2)
    (67.01, 24.86, 74.35, 31.56),   # Karachi - Lahore
    (73.05, 33.68, 66.99, 30.18),   # Islamabad - Quetta
    (71.58, 34.01, 62.33, 25.13),   # Peshawar - Gwadar
    (0.0, 0.0, 179.5, 0.5),         # nearly antipodal
    (-70.0, -33.0, 151.2, -33.9),   # Santiago - Sydney
    (67.01, 24.86, 67.01, 24.86),   # same point
]


def test_karachi_lahore_is_about_1030_km():
    expected = GEOD.inv(67.01, 24.86, 74.35, 31.56)[2] / 1000
    got = float(geodesy.geodesic_km(67.01, 24.86, 74.35, 31.56))
    assert got == pytest.approx(expected, abs=1e-6)
    assert 1000 < got < 1060


@pytest.mark.parametrize("pair", PAIRS)
def test_geodesic_km_matches_pyproj(pair):
    expected = GEOD.inv(*pair)[2] / 1000
    assert float(geodesy.geodesic_km(*pair)) == pytest.approx(expected, abs=1e-6)


def test_geodesic_km_is_vectorised_and_broadcasts():
    lon1, lat1, lon2, lat2 = (np.array(v) for v in zip(*PAIRS))
    got = geodesy.geodesic_km(lon1[:, None], lat1[:, None], lon2[None, :], lat2[None, :])
    assert got.shape == (len(PAIRS), len(PAIRS))
    for i in range(len(PAIRS)):
        for j in range(len(PAIRS)):
            expected = GEOD.inv(lon1[i], lat1[i], lon2[j], lat2[j])[2] / 1000
            assert got[i, j] == pytest.approx(expected, abs=1e-6)


def test_nearest_finder_agrees_with_brute_force():
    nodes = read_layer(DATA / "grid_nodes.geojson", "grid_nodes")
    assert len(nodes) > 80
    nlon, nlat = nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()
    rng = np.random.default_rng(20240607)
    lon, lat = rng.uniform(60.5, 78.0, 2000), rng.uniform(23.5, 37.5, 2000)

    idx, km = geodesy.NearestFinder(nlon, nlat).query(lon, lat)
    assert idx.shape == km.shape == (2000,)
    assert ((idx >= 0) & (idx < len(nodes))).all()

    sphere = geodesy.sphere_km_between(lon[:, None], lat[:, None], nlon[None, :], nlat[None, :])
    chosen_sphere = sphere[np.arange(2000), idx]
    # The chosen node is a nearest one on the sphere (ties - nodes at the same place - may go either way).
    np.testing.assert_allclose(chosen_sphere, sphere.min(axis=1), rtol=0, atol=1e-9)
    # The distance reported is the WGS84 geodesic to the chosen node ...
    np.testing.assert_allclose(km, geodesy.geodesic_km(lon, lat, nlon[idx], nlat[idx]), rtol=0, atol=1e-9)
    # ... and is the brute-force geodesic minimum, except near-ties where sphere and ellipsoid order two
    # nodes differently; there it is never shorter and at most 0.3 % longer.
    ellipsoid = geodesy.geodesic_km(lon[:, None], lat[:, None], nlon[None, :], nlat[None, :])
    best = ellipsoid.min(axis=1)
    assert (km >= best - 1e-9).all()
    assert (km <= best * 1.003 + 1e-9).all()
    assert np.mean(np.isclose(km, best, rtol=0, atol=1e-9)) > 0.99


def test_nearest_finder_with_no_targets():
    idx, km = geodesy.NearestFinder(np.array([]), np.array([])).query([67.0, 68.0], [25.0, 26.0])
    assert idx.tolist() == [-1, -1] and np.isnan(km).all()


# ----------------------------------------------------------------------------------------------
# climate


def year(tmax: float, tmin: float) -> tuple[np.ndarray, np.ndarray]:
    return np.full((1, 12), float(tmax)), np.full((1, 12), float(tmin))


def test_constant_30c_all_year():
    m = climate.metrics_from_monthly(*year(30, 30))
    expected_cdd = sum(d * (30 - 18) for d in DAYS)  # 12 °C above the base every day: 4383 °C·day
    assert expected_cdd == pytest.approx(4383.0)
    assert m["cooling_degree_days"][0] == pytest.approx(expected_cdd, abs=1e-9)
    assert m["hours_above_35c"][0] == 0.0
    assert m["hottest_month_tmax_c"][0] == 30.0
    assert m["free_cooling_months"][0] == 0.0
    assert m["annual_mean_temp_c"][0] == pytest.approx(30.0)


def test_one_month_at_constant_30c():
    tmax, tmin = year(10, 10)
    tmax[0, 6] = tmin[0, 6] = 30.0  # July
    m = climate.metrics_from_monthly(tmax, tmin)
    assert m["cooling_degree_days"][0] == pytest.approx(31 * 12.0, abs=1e-9)
    assert m["hours_above_35c"][0] == 0.0
    assert m["hottest_month_tmax_c"][0] == 30.0
    assert m["free_cooling_months"][0] == 11.0


def test_40_30_all_year_is_half_the_time_above_35():
    m = climate.metrics_from_monthly(*year(40, 30))
    assert m["hours_above_35c"][0] == pytest.approx(8766 * 0.5, abs=1e-6)
    # Never below the 18 °C base, so CDD is the mean excess: (35 - 18) * 365.25.
    assert m["cooling_degree_days"][0] == pytest.approx(17 * 365.25, abs=1e-6)


def test_sine_day_partly_below_the_cdd_base():
    # Mean 18, amplitude 6: the day spends half its time above 18 by a mean of 6 * 2/pi; CDD = 365.25 * 6/pi.
    m = climate.metrics_from_monthly(*year(24, 12))
    assert m["cooling_degree_days"][0] == pytest.approx(365.25 * 6 / np.pi, abs=1e-6)
    # Mean 30, amplitude 10: above 35 while sin > 0.5, i.e. one third of the day.
    m = climate.metrics_from_monthly(*year(40, 20))
    assert m["hours_above_35c"][0] == pytest.approx(8766 / 3, abs=1e-6)


def test_missing_month_gives_nan():
    tmax, tmin = year(30, 20)
    tmin[0, 3] = np.nan
    m = climate.metrics_from_monthly(tmax, tmin)
    assert all(np.isnan(v[0]) for v in m.values())


def test_idw_at_a_station_returns_that_station():
    stations = read_layer(DATA / "climate_stations.geojson", "climate_stations")
    slon, slat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    values = np.hstack([stations[list(vocabulary.TMAX_COLUMNS)].to_numpy(float),
                        stations[list(vocabulary.TMIN_COLUMNS)].to_numpy(float)])
    out, nearest = climate.idw_monthly(slon, slat, slon, slat, values)
    np.testing.assert_allclose(out, values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(nearest, 0.0, atol=1e-6)

    metrics = climate.interpolate_metrics(slon, slat, slon, slat, values[:, :12], values[:, 12:])
    direct = climate.metrics_from_monthly(values[:, :12], values[:, 12:])
    for key, expected in direct.items():
        np.testing.assert_allclose(metrics[key], expected, rtol=0, atol=1e-6, err_msg=key)


def test_idw_midway_between_two_stations_is_their_mean():
    values = np.array([[10.0, 20.0], [30.0, 60.0]])
    out, nearest = climate.idw_monthly(np.array([70.0]), np.array([0.0]), np.array([69.0, 71.0]), np.array([0.0, 0.0]), values)
    np.testing.assert_allclose(out, [[20.0, 40.0]], atol=1e-9)
    assert nearest[0] == pytest.approx(geodesy.sphere_km_between(70.0, 0.0, 69.0, 0.0))


def test_idw_matches_brute_force_inverse_distance_weighting():
    stations = read_layer(DATA / "climate_stations.geojson", "climate_stations")
    slon, slat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    values = stations[list(vocabulary.TMAX_COLUMNS)].to_numpy(float)
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(61, 77, 500), rng.uniform(24, 37, 500)

    out, nearest = climate.idw_monthly(lon, lat, slon, slat, values, power=2.0, neighbours=8)

    d = geodesy.sphere_km_between(lon[:, None], lat[:, None], slon[None, :], slat[None, :])
    idx = np.argsort(d, axis=1)[:, :8]
    dk = np.take_along_axis(d, idx, axis=1)
    w = 1.0 / dk**2
    w /= w.sum(axis=1, keepdims=True)
    expected = np.einsum("nk,nkm->nm", w, values[idx])
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(nearest, d.min(axis=1), rtol=1e-9, atol=1e-6)
    # An interpolated value never leaves the range of the stations it was made from.
    assert (out >= values[idx].min(axis=1) - 1e-9).all() and (out <= values[idx].max(axis=1) + 1e-9).all()
