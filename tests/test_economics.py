"""The cost model (sitefinder/economics.py): a hand calculation, monotone costs and PUE, break-even figures, the
parameters through the URL, a scenario file and the command line, sources in every export, and bad profile tables."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitefinder.economics.cost_model import SiteInputs, capital_recovery_factor, connection_cost, economics_table, pue, site_economics
from sitefinder.economics.text import figure_lines, payback_text
from sitefinder.errors import ProfileError
from sitefinder.model.economic_parameters import DEFAULTS, parse_economics
from sitefinder.model.profiles import load_profile, parse_profile
from sitefinder.model.ranges import out_of_order
from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import ECONOMICS, SETTINGS

ROOT = Path(__file__).resolve().parents[1]
WINTER = np.array([[m in (10, 11, 12, 1, 2, 3) for m in range(1, 13)]])


def _mine(**values: float) -> object:
    table = {"load": "interruptible", "revenue": "hashprice"}
    table.update({k: {"value": v, "source": "test"} for k, v in values.items()})
    econ, problems = parse_economics(table)
    assert not problems
    return econ


def _one_site(**kw: object) -> SiteInputs:
    base = dict(mw=np.array([50.0]), months=WINTER, grid_km=np.array([12.0]), grid_km_low=np.array([10.0]),
                grid_km_high=np.array([14.0]), voltage_kv=np.array([220.0]), cdd=np.array([3000.0]),
                cdd_low=np.array([2800.0]), cdd_high=np.array([3200.0]), hot_hours=np.array([1000.0]),
                hot_hours_low=np.array([900.0]), hot_hours_high=np.array([1100.0]), region_tariff=np.array([np.nan]),
                unknown_kv=220.0)
    base.update(kw)
    return SiteInputs(**base)  # type: ignore[arg-type]


def test_one_site_matches_a_hand_calculation():
    econ = _mine(tariff_pkr_per_kwh=25.0, pkr_per_usd=280.0, line_cost_132_usd_per_km=100_000.0,
                 line_cost_220_usd_per_km=150_000.0, line_cost_500_usd_per_km=250_000.0, bay_cost_usd=2_000_000.0,
                 capex_usd_per_mw=1_500_000.0, discount_rate_pct=10.0, life_years=10.0, pue_base=1.1,
                 pue_per_1000_cdd=0.02, pue_per_1000_hot_hours=0.05, efficiency_j_per_th=20.0,
                 hashprice_usd_per_ph_day=50.0)
    f = site_economics(econ, _one_site()).iloc[0]

    # By hand. A 50 MW mine in winter only (Oct-Mar: 31+30+31+31+28+31 = 182 days = 4,368 h), 12 km from a 220 kV
    # node, 3,000 cooling degree days and 1,000 hours above 35 °C.
    pue_hand = 1.1 + 0.02 * 3.0 + 0.05 * 1.0                       # 1.21
    hours = 182 * 24                                                # 4,368 h
    energy = 50 * 1000 * pue_hand * hours * 25.0 / 280.0            # USD 23,595,000 a year
    connection = 12 * 150_000 + 2_000_000                           # USD 3,800,000
    capex = 1_500_000 * 50 + connection                             # USD 78,800,000
    crf = 0.10 / (1 - 1.10 ** -10)                                  # 0.162745...
    cost_per_mwh = (energy + connection * crf) / (50 * hours)       # USD per MWh the mine uses
    ph = 50e6 / 20.0 / 1000.0                                       # 2,500 PH/s
    revenue = ph * 50.0 * hours / 24                                # USD 22,750,000 a year
    margin = revenue - energy
    assert f["pue"] == pytest.approx(1.21)
    assert f["operating_hours_per_year"] == hours == 4368
    assert f["tariff_pkr_per_kwh"] == 25.0
    assert energy == pytest.approx(23_595_000.0)
    assert f["energy_cost_usd_per_year"] == pytest.approx(energy)
    assert f["connection_cost_usd"] == pytest.approx(3_800_000.0)
    assert f["capex_usd"] == pytest.approx(capex)
    assert crf == pytest.approx(capital_recovery_factor(10.0, 10.0))
    assert f["cost_usd_per_mwh"] == pytest.approx(cost_per_mwh)
    assert f["hashrate_ph"] == pytest.approx(2500.0)
    assert f["revenue_usd_per_year"] == pytest.approx(22_750_000.0)
    assert f["margin_usd_per_year"] == pytest.approx(margin) and margin < 0
    assert math.isnan(f["payback_years"])                           # energy costs more than the coins earn
    assert f["breakeven_hashprice_usd_per_ph_day"] == pytest.approx(energy / (ph * hours / 24))
    assert f["breakeven_tariff_pkr_per_kwh"] == pytest.approx(revenue * 280.0 / (50 * 1000 * pue_hand * hours))
    assert "never at the central figures" in payback_text(f)

    # At a hashprice of 60 it pays back: capex / margin.
    g = site_economics(econ.with_value("hashprice_usd_per_ph_day", 60.0), _one_site()).iloc[0]
    assert g["payback_years"] == pytest.approx(capex / (ph * 60.0 * hours / 24 - energy))


def test_a_data_centre_runs_all_year_and_reports_latency(pakistan_data):
    econ = load_profile("ai_datacenter").economics
    frame = pd.DataFrame({"region_id": ["x"], "lon": [67.0], "lat": [24.9], "grid_distance_km": [5.0],
                          "grid_voltage_kv": [500.0], "cooling_degree_days": [3300.0], "hours_above_35c": [600.0]})
    regions = pd.DataFrame({"region_id": ["x"], "surplus_winter_mw": [500.0], "surplus_summer_mw": [50.0]})
    t = economics_table(frame, econ, regions, pakistan_data["connectivity"], mw=100.0).iloc[0]
    assert t["operating_hours_per_year"] == 8760                    # firm: all year, even where summer is short
    assert t["pue"] == pytest.approx(econ["pue_base"] + econ["pue_per_1000_cdd"] * 3.3)
    assert t["energy_cost_usd_per_mw_year"] == pytest.approx(t["energy_cost_usd_per_year"] / 100.0)
    assert t["landing_point"] == "Karachi, Pakistan"
    # 2 x km x route factor / km per ms: Karachi's landing point is a few km from (67.0, 24.9)
    assert 0 < t["latency_ms_to_landing"] < 0.2
    assert t["internet_exchange"] and t["latency_ms_to_ix"] > 0


@settings(max_examples=200, deadline=None)
@given(km=st.floats(0, 500), extra=st.floats(0, 500), kv=st.sampled_from([66.0, 132.0, 220.0, 500.0, 765.0, float("nan")]))
def test_a_longer_connection_never_costs_less(km, extra, kv):
    econ = DEFAULTS_ECON
    near = connection_cost(econ, np.array([km]), np.array([kv]), 220.0)
    far = connection_cost(econ, np.array([km + extra]), np.array([kv]), 220.0)
    assert far[0] >= near[0]
    for end in ("low", "high"):
        assert connection_cost(econ, np.array([km + extra]), np.array([kv]), 220.0, end)[0] >= \
            connection_cost(econ, np.array([km]), np.array([kv]), 220.0, end)[0]


@settings(max_examples=200, deadline=None)
@given(cdd=st.floats(0, 6000), hot=st.floats(0, 4000), dc=st.floats(0, 2000), dh=st.floats(0, 2000),
       profile=st.sampled_from(["bitcoin_mine", "ai_datacenter"]))
def test_a_hotter_site_never_has_a_lower_pue(cdd, hot, dc, dh, profile):
    econ = load_profile(profile).economics
    for end in ("", "low", "high"):
        cool = pue(econ, np.array([cdd]), np.array([hot]), end)[0]
        warm = pue(econ, np.array([cdd + dc]), np.array([hot + dh]), end)[0]
        assert warm >= cool >= 1.0


def test_the_break_even_hashprice_gives_zero_margin_and_the_break_even_tariff_too():
    econ = load_profile("bitcoin_mine").economics
    x = _one_site(mw=np.array([80.0, 20.0]), months=np.repeat(WINTER, 2, axis=0), grid_km=np.array([3.0, 40.0]),
                  grid_km_low=np.array([2.0, 35.0]), grid_km_high=np.array([4.0, 45.0]), voltage_kv=np.array([500.0, np.nan]),
                  cdd=np.array([3500.0, 1500.0]), cdd_low=np.array([3400.0, 1400.0]), cdd_high=np.array([3600.0, 1600.0]),
                  hot_hours=np.array([1800.0, 0.0]), hot_hours_low=np.array([1700.0, 0.0]),
                  hot_hours_high=np.array([1900.0, 0.0]), region_tariff=np.array([np.nan, np.nan]))
    f = site_economics(econ, x)
    for i in range(2):
        at_price = site_economics(econ.with_value("hashprice_usd_per_ph_day", f["breakeven_hashprice_usd_per_ph_day"][i]), x)
        assert at_price["margin_usd_per_year"][i] == pytest.approx(0.0, abs=1e-3)
        at_tariff = site_economics(econ.with_value("tariff_pkr_per_kwh", f["breakeven_tariff_pkr_per_kwh"][i]), x)
        assert at_tariff["margin_usd_per_year"][i] == pytest.approx(0.0, abs=1e-3)


def test_every_money_figure_lies_in_its_range_and_a_user_value_has_none():
    econ = load_profile("bitcoin_mine").economics
    f = site_economics(econ, _one_site())
    for col in ("pue", "energy_cost_usd_per_year", "connection_cost_usd", "capex_usd", "cost_usd_per_mwh",
                "revenue_usd_per_year", "margin_usd_per_year"):
        assert f[col + "_low"][0] <= f[col][0] <= f[col + "_high"][0], col
    set_by_user = econ.with_value("tariff_pkr_per_kwh", 30.0).values["tariff_pkr_per_kwh"]
    assert set_by_user.source == "set by the user" and set_by_user.ends() == (30.0, 30.0)
    assert "22.98" in set_by_user.note                                 # the default it replaced stays on record


def test_a_regions_own_tariff_overrides_the_parameter():
    econ = load_profile("ai_datacenter").economics
    frame = pd.DataFrame({"region_id": ["a", "b"], "lon": [70.0, 71.0], "lat": [30.0, 30.0], "grid_distance_km": [5.0, 5.0],
                          "grid_voltage_kv": [220.0, 220.0], "cooling_degree_days": [2000.0, 2000.0],
                          "hours_above_35c": [0.0, 0.0]})
    regions = pd.DataFrame({"region_id": ["a", "b"], "surplus_winter_mw": [500.0, 500.0], "surplus_summer_mw": [500.0, 500.0],
                            "tariff_pkr_per_kwh": [30.0, None]})
    t = economics_table(frame, econ, regions, None, mw=10.0)
    assert list(t["tariff_pkr_per_kwh"]) == [30.0, econ["tariff_pkr_per_kwh"]]
    assert t["energy_cost_usd_per_year"][0] == pytest.approx(t["energy_cost_usd_per_year"][1] * 30.0 / econ["tariff_pkr_per_kwh"])


def test_every_parameter_has_a_default_a_unit_and_a_source_or_says_assumption():
    assert set(DEFAULTS) == set(ECONOMICS)
    assert all(v.unit == SETTINGS[n].unit for n, v in DEFAULTS.items())  # the unit is the table's
    for profile in ("bitcoin_mine", "ai_datacenter"):
        econ = load_profile(profile).economics
        for name in econ.used():
            v = econ.values[name]
            assert v.source and (v.is_assumption or "http" in v.source or "Estimate" in v.source), (profile, name)
            lo, hi = v.ends()
            assert lo <= v.value <= hi
            assert SETTINGS[name].parse(v.value, "test")[1] is None     # within the settings table's bounds


def test_parameters_round_trip_through_the_url_and_a_scenario_file(tmp_path):
    sc = Scenario(profile="bitcoin_mine", tariff_pkr_per_kwh=27.5, pkr_per_usd=300.0, hashprice_usd_per_ph_day=55.0,
                  line_cost_500_usd_per_km=400_000.0, life_years=8.0)
    query = sc.to_query()
    assert query["e_tariff"] == "27.5" and query["e_hashprice"] == "55"
    back, problems = Scenario.from_query(query)
    assert not problems and back == sc
    again, problems = Scenario.from_json(sc.to_json())
    assert not problems and again == sc
    prof = sc.apply()
    assert prof.economics["tariff_pkr_per_kwh"] == 27.5 and prof.economics["life_years"] == 8.0
    assert prof.economics.values["pkr_per_usd"].source == "set by the user"
    # the canonical form drops what equals the profile's value, so a default never lands in a link
    same = Scenario(profile="bitcoin_mine", tariff_pkr_per_kwh=load_profile("bitcoin_mine").economics["tariff_pkr_per_kwh"])
    assert "e_tariff" not in same.canonical().to_query()
    # a bad value in a link is reported and its default kept
    bad, problems = Scenario.from_query({"profile": "bitcoin_mine", "e_tariff": "-3"})
    assert bad.tariff_pkr_per_kwh is None and "tariff_pkr_per_kwh" in str(problems[0])
    # a mine's parameter in a data centre's link is dropped with a note
    ai, _ = Scenario.from_query({"profile": "ai_datacenter", "e_hashprice": "50"})
    kept, notes = ai.usable(load_profile("ai_datacenter"), [])
    assert kept.hashprice_usd_per_ph_day is None and "hashprice_usd_per_ph_day" in notes[0]


def test_the_command_line_takes_the_parameters_and_every_export_names_their_sources(tmp_path):
    out, csv, saved = tmp_path / "r.geojson", tmp_path / "r.csv", tmp_path / "s.json"
    run = subprocess.run([sys.executable, "-m", "sitefinder", "rank", "--profile", "bitcoin_mine", "--top", "5",
                          "--tariff", "30", "--hashprice", "60", "--out", str(out), "--csv", str(csv),
                          "--save-scenario", str(saved), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    meta = json.loads(out.read_text())["metadata"]["economics"]
    params = meta["parameters"]
    assert params["tariff_pkr_per_kwh"] == {"value": 30.0, "unit": "PKR/kWh", "source": "set by the user",
                                            "note": params["tariff_pkr_per_kwh"]["note"]}
    assert "route_factor" not in params                                # a mine's model has no latency
    for name, p in params.items():
        assert {"value", "unit", "source"} <= set(p), name
    assert "left out" not in meta or meta["left_out"]
    table = pd.read_csv(csv)
    assert (table["tariff_pkr_per_kwh"] == 30.0).all()
    for col in ("pue", "operating_hours_per_year", "energy_cost_usd_per_year", "connection_cost_usd", "hashrate_ph",
                "revenue_usd_per_year", "margin_usd_per_year", "payback_years", "breakeven_hashprice_usd_per_ph_day",
                "breakeven_tariff_pkr_per_kwh"):
        assert col in table, col
    assert json.loads(saved.read_text())["tariff_pkr_per_kwh"] == 30.0


def test_a_profile_economics_table_with_a_typo_or_no_source_is_refused_with_the_fix():
    base = load_profile("bitcoin_mine")
    data = {"name": "mine", "facility_mw": 50, "season": "winter",
            "criteria": {"grid_distance_km": {"weight": 1, "value": {"kind": "linear", "domain": [0, 50]}}},
            "economics": {"tarif_pkr_per_kwh": 20, "hashprice_usd_per_ph_day": {"value": 40},
                          "pue_base": {"value": 1.2, "low": 1.3, "source": "x"}, "load": "sometimes"}}
    with pytest.raises(ProfileError) as err:
        parse_profile(data, "my_profile.toml")
    text = str(err.value)
    assert "Did you mean 'tariff_pkr_per_kwh'" in text
    assert "low <= value <= high" in text
    assert "'sometimes' is not known" in text
    # a bare number keeps the default's unit and names the profile as its source
    ok = dict(data, economics={"tariff_pkr_per_kwh": 20})
    prof = parse_profile(ok, "my_profile.toml")
    assert prof.economics["tariff_pkr_per_kwh"] == 20 and "profile" in prof.economics.values["tariff_pkr_per_kwh"].source
    assert base.economics.load == "interruptible" and load_profile("ai_datacenter").economics.load == "firm"


def test_the_cost_criterion_can_be_weighted_and_moves_the_ranking(h3_study):
    study = h3_study
    prof = load_profile("bitcoin_mine")
    assert prof.weights["cost_usd_per_mwh"] == 0                     # built-in: not counted until a user weights it
    m, r = study.rank(prof)
    assert not out_of_order(m, "cost_usd_per_mwh").any()
    assert m.loc[r.feasible, "cost_usd_per_mwh"].notna().all()       # every feasible site has a cost
    _, heavy = study.rank(prof.with_weights({"cost_usd_per_mwh": 100, "region_surplus_mw": 0, "grid_distance_km": 0,
                                             "hours_above_35c": 0, "cooling_degree_days": 0, "grid_voltage_kv": 0,
                                             "grid_headroom_mw": 0, "flood_2022": 0}))
    best = heavy.order[0]
    feasible_cost = m["cost_usd_per_mwh"].to_numpy()[heavy.feasible]
    assert m["cost_usd_per_mwh"].iloc[best] == pytest.approx(np.nanmin(feasible_cost))


def test_the_card_lines_read_with_ranges():
    econ = load_profile("bitcoin_mine").economics
    f = site_economics(econ, _one_site()).iloc[0]
    lines = dict(figure_lines(f, econ))
    assert lines["Energy cost"].startswith("USD ") and "estimate" in lines["Energy cost"]
    assert lines["Runs"].startswith("4,368 h a year")
    assert "PKR/kWh" in lines["Break-even tariff"]


DEFAULTS_ECON = load_profile("ai_datacenter").economics


def test_the_docs_list_every_parameter_its_default_and_source():
    from sitefinder.report.reference import economics_markdown  # noqa: PLC0415

    reference = (ROOT / "docs" / "reference" / "economics.md").read_text(encoding="utf-8")
    assert reference.count(economics_markdown()) == 1, (
        "docs/reference/economics.md does not hold economics_markdown(): run .venv/bin/python docs/gen_reference.py")
    method = (ROOT / "docs" / "methods" / "economics.md").read_text(encoding="utf-8")
    assert "**Left out**" in method
    for name in ECONOMICS:
        assert f"`{name}`" in method, f"docs/methods/economics.md does not say how {name} is used"


@pytest.mark.parametrize("profile", ["bitcoin_mine", "ai_datacenter"])
def test_economics_kept_across_weight_changes_equal_economics_made_afresh(pakistan_data, profile):
    """A shortlist's economics are kept with the study's matrix (each site's depend on its row alone): after weight
    changes that bring new sites in, every figure equals what a new study makes for the same settings."""
    from sitefinder.rank.shortlist import AHEAD, make_shortlist, shortlist_economics, site_economics_for
    from sitefinder.rank.study import Study

    kept = Study.on_h3(pakistan_data, 5)
    weights = [{}, {"cooling_degree_days": 100, "region_surplus_mw": 0}, {"grid_distance_km": 100},
               {"region_surplus_mw": 100, "grid_distance_km": 0, "cooling_degree_days": 0}]
    base = Scenario(profile=profile, resolution=5, top=40)
    for w in weights:
        sc = dataclasses.replace(base, weights=w)
        prof = sc.apply()
        short = make_shortlist(kept, sc, prof)
        fresh = Study.on_h3(pakistan_data, 5)
        pd.testing.assert_frame_equal(short.table, make_shortlist(fresh, sc, prof).table, check_exact=True)
        m, res = kept.rank(prof)
        again = shortlist_economics(kept, prof, m, res, res.order[:40])
        pd.testing.assert_frame_equal(again, site_economics_for(fresh, prof, *fresh.rank(prof)[:1], res.order[:40]),
                                      check_exact=True)
    memo = kept.memo(kept.rank(base.apply())[0], "economics", repr(base.apply().economics), base.apply().facility_mw,
                     base.apply().node_rule.min_voltage_kv)
    assert memo is not None and len(memo["rows"]) > AHEAD  # kept, and added to when new sites came in
    assert kept.memo(kept.rank(base.apply())[0].copy(), "economics") is None  # a copy is nobody's matrix: not kept
