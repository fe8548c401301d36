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


# ----------------------------------------------------------------------------------------------------------
# The distance-to-sea term


def test_sea_distance_is_measured_to_the_ocean_not_to_lakes_or_the_rann():
    from sitefinder.data.elevation import sea_distance_km

    d = sea_distance_km([67.05, 66.0, 70.5, 74.35, 67.88, np.nan], [24.9, 23.0, 24.17, 31.55, 29.54, 30.0])
    assert d[0] < 30                   # Karachi Airport, about 15 km from the sea at the map's 1/12° cells
    assert d[1] == 0.0                 # a point in the Arabian Sea
    assert d[2] > 100                  # the Great Rann of Kutch: no data in the map, but not sea
    assert 900 < d[3] < 1100           # Lahore
    assert 400 < d[4] < 600            # Sibi
    assert np.isnan(d[5])


def test_sea_coefficients_recover_a_known_coastal_effect_exactly():
    """Stations whose only difference is a sea term of -8 °C x weight: the fit finds -8 in every month, and a new
    coastal place is interpolated without error (plain IDW would spread the coast's coolness inland and the
    inland warmth to the coast)."""
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(62, 70, 30), rng.uniform(24, 30, 30)
    sea_km = (lat - 24) * 110.0                          # the sea to the south
    w = climate.sea_weight(sea_km, 100.0)
    values = 40.0 - 8.0 * w[:, None] * np.ones((1, 24))
    coef = climate.sea_coefficients(lon, lat, values, w, power=2.0, neighbours=8)
    np.testing.assert_allclose(coef, -8.0, atol=1e-9)
    mx, mn, _ = climate.interpolate_monthly(np.array([66.0]), np.array([24.05]), lon, lat, values[:, :12], values[:, 12:],
                                            sea_decay_km=100.0, station_sea_km=sea_km, target_sea_km=np.array([5.5]))
    expected = 40.0 - 8.0 * float(climate.sea_weight(np.array([5.5]), 100.0)[0])
    np.testing.assert_allclose(mx, expected, atol=1e-9)
    plain, _, _ = climate.interpolate_monthly(np.array([66.0]), np.array([24.05]), lon, lat, values[:, :12], values[:, 12:])
    assert abs(plain[0, 0] - expected) > 1.0


def test_without_a_coastal_contrast_the_sea_term_does_nothing():
    lon, lat = np.array([70.0, 71.0, 72.0, 73.0]), np.array([30.0, 30.5, 31.0, 31.5])
    values = np.arange(4 * 24, dtype=float).reshape(4, 24)
    assert not climate.sea_coefficients(lon, lat, values, np.full(4, 0.2)).any()      # every station as far from the sea
    assert not climate.sea_coefficients(lon[:2], lat[:2], values[:2], np.array([1.0, 0.0])).any()  # too few to fit


def test_leave_one_out_refits_the_sea_term_without_the_station_left_out():
    """Two coastal stations among inland ones: with the other one left in, each coastal station is predicted well;
    with a single coastal station there is no contrast to fit from when it is left out, so its error stays."""
    lon = np.array([66.0, 68.0, 66.5, 67.0, 67.5, 68.5, 66.2, 67.8])
    lat = np.array([24.6, 24.6, 26.0, 26.5, 26.0, 26.5, 27.0, 27.2])
    sea_km = np.array([5.0, 5.0, *[np.inf] * 6])                      # two on the coast, six out of the sea's reach
    tmax = 40.0 - 6.0 * climate.sea_weight(sea_km, 100.0)[:, None] * np.ones((1, 12))
    tmin = tmax - 12.0
    plain = climate.leave_one_out(lon, lat, tmax, tmin)
    sea = climate.leave_one_out(lon, lat, tmax, tmin, sea_decay_km=100.0, station_sea_km=sea_km)
    assert plain["hottest_month_tmax_c"][0] > 2.0                      # inland neighbours make the coast too hot
    assert abs(sea["hottest_month_tmax_c"][0]) < 0.5 * plain["hottest_month_tmax_c"][0]
    one = slice(1, None)                                               # only one coastal station left
    alone = climate.leave_one_out(lon[one], lat[one], tmax[one], tmin[one], sea_decay_km=100.0, station_sea_km=sea_km[one])
    assert alone["hottest_month_tmax_c"][0] == pytest.approx(
        climate.leave_one_out(lon[one], lat[one], tmax[one], tmin[one])["hottest_month_tmax_c"][0])
