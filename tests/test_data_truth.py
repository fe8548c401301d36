"""The built-in data holds up: every plant counted, every region's demand sourced, estimates with ranges,
Makran and Gilgit-Baltistan off the grid, elevation taken into account."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from sitefinder.build import build_dataset
from sitefinder.build.estimate import demand_shares
from sitefinder.build.facts import read_table
from sitefinder.data.elevation import elevation_m
from sitefinder.errors import BuildError
from sitefinder.measure import climate
from sitefinder.measure.climate import ClimateSettings
from sitefinder.measure.criteria import climate_check
from sitefinder.model.profiles import load_profile
from sitefinder.model.ranges import RANGED_COLUMNS, format_estimate, high, low, out_of_order
from sitefinder.model.scenario import Scenario
from sitefinder.rank.shortlist import make_shortlist

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "pakistan"
FACTS = DATA / "facts"


# ----------------------------------------------------------------------------------------------------------
# Plants and regions


def test_every_operating_plant_of_100_mw_or_more_lands_in_a_region():
    plants = read_table(FACTS, "power_plants.csv")
    mw = pd.to_numeric(plants["capacity_mw"])
    big = plants[(plants["status"] == "operating") & (mw >= 100)]
    counted = pd.read_csv(DATA / "plants_counted.csv")
    assert set(big["name"]) <= set(counted["name"]), set(big["name"]) - set(counted["name"])
    assert counted["region"].notna().all(), counted[counted["region"].isna()]
    coastal = counted.set_index("name").loc[["Karachi nuclear power plant", "Korangi power station"]]
    assert (coastal["region"] == "K-Electric").all() and (coastal["distance_km"] > 0).all()
    assert coastal["how"].str.startswith("nearest region").all()


def test_a_plant_that_lands_nowhere_fails_the_build_naming_it(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(FACTS, facts)
    plants = (facts / "power_plants.csv").read_bytes().decode("utf-8")
    offshore = ("Offshore test plant,gas,300.0,operating,22.0,64.0,exact,Sindh,Karachi,2020,test,,,"
                "https://example.org/test-plant\r\n")
    (facts / "power_plants.csv").write_bytes((plants + offshore).encode("utf-8"))
    with pytest.raises(BuildError, match="Offshore test plant"):
        build_dataset(facts, tmp_path / "out", DATA / "build.toml")


def test_every_on_grid_region_has_a_demand_figure_with_a_source(pakistan_data):
    regions = pakistan_data["supply_regions"]
    on = regions[regions["on_national_grid"].astype(bool)]
    assert {"TESCO", "HAZECO", "K-Electric", "AJK-ED"} <= set(on["name"])
    assert (on["demand_share"] > 0).all(), on[["name", "demand_share"]]
    assert on["demand_source"].str.startswith("http").all()
    assert on["demand_basis"].str.len().gt(10).all()
    assert on["demand_share"].sum() == pytest.approx(1.0, abs=1e-4)
    tesco = on.set_index("name").loc["TESCO"]
    assert tesco["demand_winter_mw"] > 0  # was zero under the large-city proxy
    proxies = on[~on["demand_basis"].str.contains("published")]
    assert set(proxies["name"]) == {"HAZECO", "AJK-ED"}  # the only proxies, listed as gaps in the README
    assert proxies["demand_basis"].str.contains("proxy").all()


def test_a_region_without_a_demand_figure_is_an_error_naming_it():
    facts = read_table(FACTS, "demand_by_company.csv")
    with pytest.raises(BuildError, match="TESCO"):
        demand_shares(facts[facts["region"] != "TESCO"], ["LESCO", "TESCO"])


def test_makran_and_gilgit_baltistan_are_off_the_national_grid(pakistan_data):
    regions = pakistan_data["supply_regions"].set_index("region_id")
    assert not regions.loc["qesco-makran", "on_national_grid"] and not regions.loc["gb-pd", "on_national_grid"]
    assert regions.loc["qesco", "on_national_grid"]
    districts = pakistan_data["districts"].set_index("district")
    assert set(districts.loc[["Gwadar", "Kech", "Panjgur"], "supply_region"]) == {"QESCO-Makran"}
    assert set(districts.loc[["Abbottabad", "Haripur", "Mansehra", "Battagram", "Kohistan"], "supplier"]) == {"HAZECO"}


def test_lahore_north_is_operational_and_lahore_south_is_at_phool_nagar(pakistan_data):
    nodes = pakistan_data["grid_nodes"].set_index("name")
    assert nodes.loc["Lahore North 500 kV grid station", "status"] == "operational"
    south = nodes.loc["Lahore South (New Lahore) 500 kV grid station"]
    lahore = (74.35071, 31.558)
    from sitefinder.measure.geodesy import geodesic_km
    assert float(geodesic_km(south.geometry.x, south.geometry.y, *lahore)) > 40
    assert nodes["location_error_km"].notna().all() and (nodes["location_error_km"] > 0).all()
    assert nodes["location_precision"].str.contains("km off").all()


def test_planned_connectivity_is_shown_but_not_scored(pakistan_data, h3_study):
    conn = pakistan_data["connectivity"]
    planned = conn[conn["operational"].astype(object) == False]  # noqa: E712
    assert len(planned) >= 3 and (planned["type"].str.startswith("data_centre")).all()
    scored = set(h3_study.site["connectivity_point"].dropna().astype(str))
    assert not scored & set(planned["name"])


# ----------------------------------------------------------------------------------------------------------
# Ranges


def test_every_estimated_column_has_low_le_value_le_high_in_layers_criteria_and_exports(pakistan_data, h3_study):
    regions = pakistan_data["supply_regions"]
    for col in ("surplus_winter_mw", "surplus_summer_mw", "generation_winter_mw", "demand_winter_mw", "demand_share"):
        on = regions[regions["on_national_grid"].astype(bool)]
        assert on[[col, low(col), high(col)]].notna().all().all(), col
        assert not out_of_order(regions, col).any(), col
        assert (on[low(col)] < on[high(col)]).all(), f"{col}: a range with no width"
    profile = load_profile("ai_datacenter")
    matrix = h3_study.matrix(profile)
    for col in RANGED_COLUMNS:
        assert {col, low(col), high(col)} <= set(matrix.columns), col
        assert not out_of_order(matrix, col).any(), col
        known = matrix[col].notna()
        assert matrix.loc[known, [low(col), high(col)]].notna().all().all(), f"{col}: an estimate without a range"
    short = make_shortlist(h3_study, Scenario(profile="ai_datacenter", resolution=5, top=10), profile)
    for col in RANGED_COLUMNS:
        assert not out_of_order(short.table, col).any(), col
    assert {"region_surplus_mw_low", "region_surplus_mw_high", "hours_above_35c_low", "grid_distance_km_high"} <= set(short.table.columns)
    params = short.metadata["assumptions"]["parameters"]
    names = {p["name"] for p in params}
    assert {"national_demand_winter_mw", "availability_winter_hydro", "climate_lapse_rate_c_per_km"} <= names
    for p in params:
        assert p["basis"], p["name"]
        if "low" in p:
            assert p["low"] <= p["value"] <= p["high"], p


def test_unknown_stays_unknown_never_zero_and_never_a_made_up_range(h3_study):
    matrix = h3_study.matrix(load_profile("bitcoin_mine"))
    assert matrix["grid_headroom_mw"].isna().all()
    off = matrix["on_national_grid"] == 0
    assert off.any()
    assert matrix.loc[off, ["region_surplus_mw", "region_surplus_mw_low", "region_surplus_mw_high"]].isna().all().all()


def test_format_estimate_reads_as_people_read_it():
    assert format_estimate(1240, 800, 1500, unit="MW") == "1,240 MW (estimate, 800-1,500)"
    assert format_estimate(-300, -900, 150, unit="MW") == "-300 MW (estimate, -900 to 150)"
    assert format_estimate(12.34, 0, 42.3, fmt=".1f", unit="km", estimate=False) == "12.3 km (range 0.0-42.3)"
    assert format_estimate(1240, None, None, unit="MW") == "1,240 MW (estimate, no range given)"
    assert format_estimate(float("nan"), 1, 2, unit="MW") == "unknown"
    assert format_estimate(None, unit="MW", unknown="not applicable") == "not applicable"


def test_a_user_layer_with_a_range_out_of_order_is_refused_with_the_columns_named(tmp_path):
    from sitefinder.data.io import read_layer
    from sitefinder.errors import LayerError

    path = tmp_path / "regions.geojson"
    gpd.GeoDataFrame({"region_id": ["r1"], "name": ["R1"], "surplus_winter_mw": [500.0], "surplus_winter_mw_low": [600.0],
                      "surplus_winter_mw_high": [700.0], "surplus_summer_mw": [100.0], "on_national_grid": [True]},
                     geometry=gpd.GeoSeries.from_wkt(["POLYGON((67 25,68 25,68 26,67 26,67 25))"]), crs=4326).to_file(path)
    with pytest.raises(LayerError) as err:
        read_layer(path, "supply_regions")
    assert "surplus_winter_mw_low" in str(err.value) and "out of order" in str(err.value)


# ----------------------------------------------------------------------------------------------------------
# Climate


def test_elevation_map_matches_pvlib_lookup():
    from pvlib.location import lookup_altitude

    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(61, 77.5, 200), rng.uniform(24, 37, 200)
    ours = elevation_m(lon, lat)
    theirs = np.array([lookup_altitude(b, a) for a, b in zip(lon, lat)])
    np.testing.assert_array_equal(ours, theirs)


def test_the_high_plateau_is_cooler_than_the_plain_below_it(pakistan_data):
    from sitefinder.report.explain import explain_point

    profile = load_profile("bitcoin_mine")
    deosai = explain_point(pakistan_data, 75.45, 35.0, profile).values   # Deosai plateau, about 4,000 m
    skardu = explain_point(pakistan_data, 75.63, 35.30, profile).values  # Skardu valley below it
    plain = explain_point(pakistan_data, 71.47, 30.2, profile).values    # the Indus plain at Multan
    assert deosai["elevation_m"].value > skardu["elevation_m"].value + 500
    assert deosai["hottest_month_tmax_c"].value < skardu["hottest_month_tmax_c"].value < plain["hottest_month_tmax_c"].value
    assert deosai["hottest_month_tmax_c"].value < 30  # plain IDW put 37 °C here
    sibi = explain_point(pakistan_data, 67.88, 29.54, profile).values
    assert sibi["hottest_month_tmax_c"].value > 41  # plain IDW put 39 °C at Sibi; the published normal is about 46


def test_elevation_correction_lowers_the_leave_one_out_error(pakistan_data):
    stations = pakistan_data["climate_stations"]
    plain = climate_check(stations, ClimateSettings(lapse_c_per_km=0.0)).errors
    corrected = climate_check(stations, ClimateSettings.from_manifest(pakistan_data.manifest)).errors
    for metric in ("cooling_degree_days", "annual_mean_temp_c", "hours_above_35c", "hottest_month_tmax_c"):
        assert corrected[metric]["mae"] < plain[metric]["mae"], metric
    manifest = tomllib.loads((DATA / "dataset.toml").read_text(encoding="utf-8"))
    recorded = manifest["climate_check"]
    assert recorded["corrected"]["cooling_degree_days"]["rmse"] == pytest.approx(corrected["cooling_degree_days"]["rmse"], abs=1e-3)
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for variant in ("plain", "corrected"):
        for metric in ("hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c"):
            assert f"{recorded[variant][metric]['mae']:,.1f}" in readme, (variant, metric)


# Leave-one-out errors with the sea term when it was added (data/pakistan/README.md, "The coast"): mean absolute
# error and RMSE over the 25 stations. The test fails if any gets worse.
SEA_TERM_LOO = {"hottest_month_tmax_c": (1.12, 1.97), "cooling_degree_days": (162.2, 249.0),
                "hours_above_35c": (130.7, 170.2), "free_cooling_months": (0.28, 0.67),
                "annual_mean_temp_c": (0.74, 1.17)}


def test_the_sea_term_cuts_the_coastal_leave_one_out_error_and_it_does_not_get_worse(pakistan_data):
    from dataclasses import replace

    from sitefinder.data.elevation import sea_distance_km

    stations = pakistan_data["climate_stations"]
    settings = ClimateSettings.from_manifest(pakistan_data.manifest)
    assert settings.sea_decay_km > 0
    with_sea = climate_check(stations, settings).errors
    elevation_only = climate_check(stations, replace(settings, sea_decay_km=0.0)).errors
    for metric, (mae, rmse) in SEA_TERM_LOO.items():
        assert with_sea[metric]["mae"] <= mae and with_sea[metric]["rmse"] <= rmse, metric
        assert with_sea[metric]["mae"] <= elevation_only[metric]["mae"] + 1e-9, metric
    # Station by station: the coastal stations were 4-6 °C too hot and 1,300-1,460 hours too long above 35 °C.
    lon, lat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    sea_km = sea_distance_km(lon, lat)
    errors = climate.leave_one_out(
        lon, lat, stations[[f"tmax_{m:02d}" for m in range(1, 13)]].to_numpy(float),
        stations[[f"tmin_{m:02d}" for m in range(1, 13)]].to_numpy(float), power=settings.power,
        neighbours=settings.neighbours, lapse_c_per_km=settings.lapse_c_per_km,
        station_elevation_m=stations["elevation_m"].to_numpy(float), target_elevation_m=elevation_m(lon, lat),
        sea_decay_km=settings.sea_decay_km, station_sea_km=sea_km)
    coast = sea_km < 50
    assert sorted(stations.loc[coast, "name"]) == ["Jiwani Airport", "Karachi Airport", "Pasni"]
    assert np.abs(errors["hottest_month_tmax_c"][coast]).max() < 1.0
    assert np.abs(errors["hours_above_35c"][coast]).max() < 300
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    recorded = tomllib.loads((DATA / "dataset.toml").read_text(encoding="utf-8"))["climate_check"]
    for variant in ("plain", "elevation", "corrected"):
        row = " | ".join(f"{recorded[variant][m]['mae']:,.1f} ({recorded[variant][m]['rmse']:,.1f})"
                         for m in ("hottest_month_tmax_c",))
        assert row in readme, variant


def test_leave_one_out_predicts_a_station_from_the_others_only():
    lon = np.array([70.0, 71.0, 72.0])
    lat = np.array([30.0, 30.0, 30.0])
    tmax = np.vstack([np.full(12, 30.0), np.full(12, 32.0), np.full(12, 34.0)])
    tmin = tmax - 10
    err = climate.leave_one_out(lon, lat, tmax, tmin, power=2.0, neighbours=8)
    # The middle station is predicted from its two equidistant neighbours: (30 + 34) / 2 = its own 32.
    assert err["hottest_month_tmax_c"][1] == pytest.approx(0.0, abs=1e-9)
    assert err["hottest_month_tmax_c"][0] > 0 and err["hottest_month_tmax_c"][2] < 0


def test_lapse_rate_reduction_round_trips():
    t = np.array([[20.0, 25.0], [10.0, 15.0]])
    elev = np.array([0.0, 2000.0])
    sea = climate.to_sea_level(t, elev, 5.0)
    np.testing.assert_allclose(sea[1], [20.0, 25.0])
    np.testing.assert_allclose(climate.from_sea_level(sea, elev, 5.0), t)


def test_the_readme_national_check_and_assumptions_match_the_built_data(pakistan_data):
    import re

    readme = (DATA / "README.md").read_text(encoding="utf-8")
    regions = pakistan_data["supply_regions"]
    on = regions[regions["on_national_grid"].astype(bool)]
    for season in ("winter", "summer"):
        col = f"polygon_surplus_{season}_mw"  # the national check is of the polygon arithmetic (kept for reference)
        m = re.search(rf"\*\*surplus, {season} \(MW\)\*\* \| \*\*([-\d,]+)\*\* \| \*\*([-\d,]+)\*\* \| \*\*([-\d,]+)\*\*", readme)
        assert m, f"README has no national check row for {season}"
        shown = [int(v.replace(",", "")) for v in m.groups()]
        assert shown == [round(on[low(col)].sum()), round(on[col].sum()), round(on[high(col)].sum())], season
    for a in pakistan_data.manifest["assumptions"]:
        name = re.sub(r"^(grid_location_error|city_core_radius)_.+_km$", r"\1_*_km", a["name"])
        assert name in readme or a["name"] in readme, f"assumption {a['name']} is not in data/pakistan/README.md"


def test_of_several_nodes_at_one_point_the_highest_voltage_is_the_connection():
    from sitefinder.measure.criteria import connection_nodes

    nodes = gpd.GeoDataFrame({"node_id": ["b-220", "a-500", "c-unknown", "d-alone"],
                              "voltage_kv": [220.0, 500.0, np.nan, 220.0]},
                             geometry=gpd.points_from_xy([67.0, 67.0, 67.0, 68.0], [24.9, 24.9, 24.9, 25.0]), crs=4326)
    kept = connection_nodes(nodes)
    assert sorted(kept["node_id"]) == ["a-500", "d-alone"]
    assert connection_nodes(nodes.iloc[[0, 2]])["node_id"].tolist() == ["b-220"]  # a known voltage beats an unknown one
