"""The network model against answers worked out by hand on small systems (MW, PKR/kWh)."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("pypsa")

from sitefinder.network.solve import deliverable_surplus, unserved_with  # noqa: E402
from sitefinder.network.system import PowerSystem, case_index  # noqa: E402


def two_zones(link_mw: float = 100.0, cap: float | None = None) -> PowerSystem:
    """A: 300 MW at 10 PKR/kWh, demand 100. B: 50 MW at 20 PKR/kWh, demand 120. One 100 MW line A-B."""
    cases = case_index()
    buses = pd.DataFrame({"name": ["A", "B"], "system": "national", "x": [67.0, 74.0], "y": [25.0, 31.0]},
                         index=["a", "b"])
    links = pd.DataFrame({"bus0": ["a"], "bus1": ["b"], "p_nom": [link_mw], "name": ["A-B line"], "source": ["test"]},
                         index=["a-b"])
    gens = pd.DataFrame({"bus": ["a", "b"], "fuel": ["coal", "gas"], "contract": "national", "p_nom": [300.0, 50.0],
                         "marginal_cost": [10.0, 20.0], "must_run": False}, index=["ga", "gb"])
    avail = pd.DataFrame(1.0, index=cases, columns=gens.index)
    demand = pd.DataFrame({"a": 100.0, "b": 120.0}, index=cases)
    transfer = None if cap is None else pd.Series(cap, index=cases)
    return PowerSystem(buses, links, gens, avail, demand, transfer)


def at(table: pd.DataFrame, zone: str) -> pd.Series:
    return table[(table["zone"] == zone) & (table["month"] == 1) & (table["hour_type"] == "evening")].iloc[0]


def test_surplus_is_idle_generation_or_line_room_whichever_binds():
    # Cheapest first: B imports the line's 100 MW and runs its own plant at 20 MW; A's plant runs 200 of 300 MW.
    # Extra load at B can only come from B's own idle 30 MW (the line is full), at B's 20 PKR/kWh.
    # Extra load at A takes A's idle 100 MW and 30 MW more that B's plant frees by importing less:
    # 130 MW, at (100 x 10 + 30 x 20) / 130 = 12.31 PKR/kWh, and then every plant is running.
    answer = deliverable_surplus(two_zones())
    a, b = at(answer.table, "a"), at(answer.table, "b")
    assert answer.flows.iloc[0]["a-b"] == pytest.approx(100, abs=0.5)
    assert b["surplus_mw"] == pytest.approx(30, abs=0.5)
    assert b["cost_pkr_per_kwh"] == pytest.approx(20.0, abs=0.01)
    assert b["binding"] == "A-B line"
    assert a["surplus_mw"] == pytest.approx(130, abs=0.5)
    assert a["cost_pkr_per_kwh"] == pytest.approx(1600 / 130, abs=0.01)
    assert a["binding"].startswith("generation")
    assert (answer.table["shed_mw"] == 0).all()


def test_the_national_transfer_capability_caps_the_load_served():
    # 220 MW is served; a 260 MW capability leaves 40 MW for more load anywhere on the national network
    # (at B the 30 MW of B's own plant binds first).
    table = deliverable_surplus(two_zones(cap=260.0)).table
    a, b = at(table, "a"), at(table, "b")
    assert a["surplus_mw"] == pytest.approx(40, abs=0.5)
    assert a["binding"].startswith("national transfer capability")
    assert b["surplus_mw"] == pytest.approx(30, abs=0.5)  # the line binds first


def test_no_customer_is_shed_to_serve_the_extra_load():
    # With a 60 MW line B cannot be fully served (50 + 60 < 120): 10 MW is shed before any extra load,
    # and none is left for extra load at B; A still has 300 - 100 - 60 = 140 MW idle.
    table = deliverable_surplus(two_zones(link_mw=60.0)).table
    a, b = at(table, "a"), at(table, "b")
    assert b["shed_mw"] == pytest.approx(10, abs=0.5)
    assert b["surplus_mw"] == pytest.approx(0, abs=0.5)
    assert a["surplus_mw"] == pytest.approx(140, abs=0.5)


def test_an_added_load_within_the_surplus_sheds_nobody_and_one_beyond_it_does():
    system = two_zones()
    cases = system.demand.index
    within = pd.DataFrame({"a": 100.0, "b": 30.0}, index=cases)  # A's own 100 idle MW; B's own 30
    assert unserved_with(system, within).to_numpy().max() == pytest.approx(0, abs=1e-6)
    beyond = pd.DataFrame({"a": 0.0, "b": 45.0}, index=cases)
    assert unserved_with(system, beyond)["b"].min() == pytest.approx(15, abs=0.5)


def test_must_run_output_nobody_can_take_is_spilled_and_is_surplus_where_it_stands():
    # A's 300 MW must run: A takes 100, the line 100, so 100 MW is spilled; B runs 20 of its 50 MW.
    # Extra load at A takes the spilled 100 MW and 30 MW more that B frees by running its own plant flat out:
    # 130 MW at (30 x 20) / 130 PKR/kWh, as the spilled energy costs no more fuel.
    system = two_zones()
    system.generators.loc["ga", "must_run"] = True
    table = deliverable_surplus(system).table
    a, b = at(table, "a"), at(table, "b")
    assert a["spilled_mw"] == pytest.approx(100, abs=0.5)
    assert a["surplus_mw"] == pytest.approx(130, abs=0.5)
    assert a["cost_pkr_per_kwh"] == pytest.approx(600 / 130, abs=0.01)
    assert b["surplus_mw"] == pytest.approx(30, abs=0.5)


def test_a_take_or_pay_floor_moves_generation_and_makes_the_surplus_cheaper_not_larger():
    # B's plant must take 80 % of its 50 MW (its fuel is paid for whether burned or not): it runs 40 MW, the line
    # brings 80 and A's plant runs 180 of 300. The floor idles 20 MW more of A's cheap plant than the merit order.
    # Extra load at A: still 130 MW (A's 120 idle, and 10 more that B frees by running flat out), but at
    # (120 x 10 + 10 x 20) / 130 PKR/kWh, not 1600 / 130: the 40 MW of B's fuel is paid for in both dispatches.
    # Extra load at B: B's own 10 MW idle and the line's 20 MW of room, 30 MW as before, at (10 x 20 + 20 x 10) / 30
    # instead of B's 20 PKR/kWh.
    system = two_zones()
    system.generators["min_pu"] = [0.0, 0.8]
    answer = deliverable_surplus(system)
    a, b = at(answer.table, "a"), at(answer.table, "b")
    assert answer.dispatch.iloc[0]["gb"] == pytest.approx(40, abs=0.5)
    assert answer.flows.iloc[0]["a-b"] == pytest.approx(80, abs=0.5)
    assert a["surplus_mw"] == pytest.approx(130, abs=0.5)
    assert a["cost_pkr_per_kwh"] == pytest.approx(1400 / 130, abs=0.01)
    assert b["surplus_mw"] == pytest.approx(30, abs=0.5)
    assert b["cost_pkr_per_kwh"] == pytest.approx(400 / 30, abs=0.01)
    assert (answer.table["spilled_mw"] == 0).all()


def test_a_take_or_pay_floor_nobody_can_take_is_spilled_and_a_new_load_takes_it_for_no_fuel():
    # A 10 MW line; B's load is 30 MW and B's plant is bound to its whole 50 MW: 10 MW goes to A over the line and
    # 10 MW has nowhere to go, so it is spilled. Extra load at B takes the 10 MW spilled, the 10 MW sent to A (A's
    # plant serves A instead) and the line's 10 MW the other way: 30 MW, and the only extra fuel is A's 20 MW at
    # 10 PKR/kWh, so (20 x 10) / 30 PKR/kWh.
    system = two_zones(link_mw=10.0)
    system.demand["b"] = 30.0
    system.generators["min_pu"] = [0.0, 1.0]
    answer = deliverable_surplus(system)
    b = at(answer.table, "b")
    assert b["spilled_mw"] == pytest.approx(10, abs=0.5)
    assert answer.flows.iloc[0]["a-b"] == pytest.approx(-10, abs=0.5)
    assert b["surplus_mw"] == pytest.approx(30, abs=0.5)
    assert b["cost_pkr_per_kwh"] == pytest.approx(200 / 30, abs=0.01)
