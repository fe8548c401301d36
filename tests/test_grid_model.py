"""A grid model the user brings (issue 18 item 7): a PyPSA network saved as netCDF replaces the built-in network
model on ``rank``, ``explain``, ``programme`` and ``robustness``, through the real command line, against an answer
worked out by hand.

The network (``tests/gridmodels.py: three_buses``), buses at lon/lat inside Pakistan:

    A (Lahore)    a 600 MW plant at 20,000 per MWh; load 300 MW
    B (Multan)    a 100 MW plant at 30,000 per MWh; load 50 MW
    C (Peshawar)  no plant; load 80 MW
    line AB 200 MW (s_nom); link AC 100 MW, one way A -> C (PyPSA's default p_min_pu = 0)

and four snapshots, local time: 2025-01-15 19:00 (Jan evening: loads A 300, B 50, C 80), 2025-01-22 20:00 (Jan evening:
B 20, the rest as before), 2025-01-15 03:00 (Jan night: A 200, B 30, C 50) and 2025-07-15 12:00 (Jul midday: A 400,
B 60, C 90).

Jan 15, 19:00. A's cheap plant serves everyone: 300 + 50 + 80 = 430 of its 600 MW, 170 MW idle; 50 MW flows on AB and
80 on AC; B's dear plant stands idle (100 MW). Extra load at **B**: the line has 200 - 50 = 150 MW of room, which A's
idle 170 MW fills, plus B's own 100 MW: **250 MW**. The line binds (A still has 20 MW idle behind it). Serving it costs
(150 x 20 + 100 x 30) / 250 = **24.0 per kWh** of the model's currency (marginal_cost per MWh / 1000).
Jan 22, 20:00 (B's load 20, A idle 200): 180 + 100 = 280. Jan night (A idle 600 - 280 = 320): 170 + 100 = 270. So B's
January evening is the lesser of its two snapshots, 250, and its firm January (least over the hour types) is 250: its
winter surplus, January being the only winter month the model has, limited by line AB (Jan, evening).
Jul 15, 12:00 (loads 550, A idle 50): the line has room for 140, but A has only 50: 50 + 100 = **150 MW**, limited by
generation. B's summer surplus is 150.
**A**, Jan 15 evening: its idle 170 + B's plant 100 (B serves its own 50 and sends 50 to A over the line) = 270 (Jan 22:
300; night: 420): winter 270, limited by generation. July: 50 + 100 = 150.
**C**: the one-way link has 100 - 80 = 20 MW of room in the January evenings (50 at night): winter 20, limited by link AC;
July 100 - 90 = 10. C has no plant, and nothing can flow back over the link.

So a 100 MW Bitcoin mine (a winter load) passes the surplus rule at a node of bus A (270) or B (250), never of C (20).
Each figure is what that bus alone can take; the buses share the same idle generation (A's 170 MW and B's 100 MW on
Jan 15 evening), so a programme of winter sites of 20-100 MW places **270 MW** in all, not 270 + 250 + 20, and the
network re-solved with those loads added sheds nobody, while 10 MW more anywhere would shed someone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pypsa")

import pypsa  # noqa: E402
from gridmodels import LAHORE, MULTAN, save, three_buses, two_buses  # noqa: E402

from sitefinder.model.profiles import load_profile  # noqa: E402
from sitefinder.network.solve import unserved_with  # noqa: E402
from sitefinder.network.user_model import (  # noqa: E402
    apply_grid_model,
    grid_model_from_network,
    hour_type,
    network_model_in_use,
    read_grid_model,
    solve_grid_model,
)
from sitefinder.rank.study import Study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KNOWN_WINTER = {"A": 270.0, "B": 250.0, "C": 20.0}
KNOWN_SUMMER = {"A": 150.0, "B": 150.0, "C": 10.0}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(three_buses(), tmp_path_factory.mktemp("grid") / "three_buses.nc")


def sitefinder(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command line, in a process of its own, on the built-in data."""
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "sitefinder", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=600)


def test_explain_names_the_bus_its_surplus_the_line_that_binds_and_the_cost(model_file, tmp_path):
    proc = sitefinder("explain", *MULTAN, "--grid-model", model_file, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # standard output is the JSON alone (no solver banner)
    network = out["network"]
    assert network["zone"] == "B"
    assert network["season"] == "winter" and network["binding"] == "line AB (Jan, evening)"
    assert network["cost_pkr_per_kwh"] == pytest.approx(24.0, abs=0.01)
    assert network["cost_unit"].startswith("model currency/kWh")
    assert "nearest bus" in network["node_zone_basis"] and "three_buses.nc" in network["node_zone_basis"]
    jan, jul = network["by_month"][0], network["by_month"][6]
    assert jan["evening"] == {"value": 250.0, "low": None, "high": None}  # no range: the model is one case
    assert jan["night"]["value"] == 270.0 and jan["midday"]["value"] is None  # no January midday snapshot: unknown
    assert jul["midday"]["value"] == 150.0
    surplus = out["values"]["region_surplus_mw"]
    assert surplus["value"] == 250.0 and surplus["low"] is None and surplus["high"] is None
    assert "no range: the user's model is one case" in surplus["source"]
    text = sitefinder("explain", *MULTAN, "--grid-model", model_file, cwd=tmp_path)
    assert "network zone: B (B); its surplus in the winter is limited by line AB (Jan, evening)" in text.stdout
    assert "24.0 model currency/kWh" in text.stdout and "(estimate: no range)" in text.stdout


def test_rank_draws_every_site_on_its_nodes_bus(model_file, tmp_path):
    csv = tmp_path / "shortlist.csv"
    proc = sitefinder("rank", "--grid-model", model_file, "--resolution", "5", "--top", "20", "--csv", csv, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "grid model" in proc.stderr and "solved in" in proc.stderr
    table = pd.read_csv(csv)
    assert len(table) == 20 and set(table["zone"]) <= {"A", "B"}  # C's 20 MW cannot take a 100 MW mine
    assert set(table["zone"]) == {"A", "B"}
    assert (table["region_surplus_mw"] == table["zone"].map(KNOWN_WINTER)).all()
    assert (table["surplus_summer_mw"] == table["zone"].map(KNOWN_SUMMER)).all()
    assert table[["region_surplus_mw_low", "region_surplus_mw_high"]].isna().all().all()
    assert table["surplus_cost_pkr_per_kwh"].isna().all()  # the model's currency is not PKR: not in the PKR column
    binding = table.groupby("zone")["surplus_binding"].first()
    assert binding["B"] == "line AB (Jan, evening)" and binding["A"].startswith("generation")


def test_the_programme_places_what_the_shared_idle_generation_can_serve(model_file, tmp_path):
    csv = tmp_path / "programme.csv"
    proc = sitefinder("programme", "--grid-model", model_file, "--resolution", "5", "--target-mw", "2000", "--mw", "100",
                      "--min-mw", "20", "--csv", csv, "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    placed = pd.read_csv(csv).groupby("zone")["placed_mw"].sum()
    assert placed.sum() == pytest.approx(270.0) and "270 MW of 2,000 MW" in proc.stdout
    assert all(placed[z] <= KNOWN_WINTER[z] + 1e-6 for z in placed.index)
    # The programme's loads, added to the model in every January snapshot (a winter load runs all winter), shed
    # nobody; 10 MW more at any bus does.
    system = read_grid_model(model_file).system
    winter = system.demand.index.get_level_values("month") == 1
    extra = pd.DataFrame(0.0, index=system.demand.index, columns=system.demand.columns)
    for zone, mw in placed.items():
        extra.loc[winter, zone] = mw
    assert unserved_with(system, extra).to_numpy().max() == pytest.approx(0.0, abs=0.5)
    for zone in ("A", "B", "C"):
        more = extra.copy()
        more.loc[winter, zone] += 10.0
        assert unserved_with(system, more).to_numpy().max() == pytest.approx(10.0, abs=0.5), zone


def test_robustness_runs_on_the_model_with_no_range_to_draw(model_file, tmp_path):
    csv = tmp_path / "robust.csv"
    proc = sitefinder("robustness", "--grid-model", model_file, "--resolution", "5", "--top", "5", "--draws", "10",
                      "--seed", "3", "--csv", csv, "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(csv)
    assert len(table) >= 5 and set(table["zone"]) <= {"A", "B"}
    assert (table["region_surplus_mw"] == table["zone"].map(KNOWN_WINTER)).all()
    assert table["region_surplus_mw_low"].isna().all()


def test_a_bus_column_of_the_grid_nodes_decides_the_bus(model_file, tmp_path):
    """A node named for bus A draws on A even though B is nearer; a blank cell joins the nearest bus."""
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("node_id,name,lon,lat,voltage_kv,status,bus\n"
                     f"m1,Multan A-side,{MULTAN[0]},{MULTAN[1]},500,operational,A\n"
                     f"m2,Lahore,74.35,31.56,500,operational,\n", encoding="utf-8")
    csv = tmp_path / "shortlist.csv"
    proc = sitefinder("rank", "--layer", f"grid_nodes={nodes}", "--grid-model", model_file, "--grid-model-bus-column",
                      "bus", "--resolution", "5", "--top", "40", "--csv", csv, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(csv)
    assert set(table["grid_node_id"]) == {"m1", "m2"}  # sites near Multan (m1) and near Lahore (m2)
    assert set(table["zone"]) == {"A"} and (table["region_surplus_mw"] == 270.0).all()
    assert "1 grid node(s) with a blank bus join the nearest bus" in proc.stderr


@pytest.mark.parametrize(("argv", "needles"), [
    (["rank", "--grid-model-bus-column", "bus"], ("--grid-model-bus-column bus", "--grid-model")),
    (["explain", "67", "25", "--grid-model-bus-column", "bus"], ("--grid-model-bus-column bus", "--grid-model")),
    (["rank", "--grid-model", "{model}", "--grid-model-bus-column", "kv"], ("--grid-model-bus-column kv", "voltage_kv")),
])
def test_a_bus_column_option_that_cannot_work_is_refused_naming_it(argv, needles, model_file, tmp_path):
    proc = sitefinder(*[a.format(model=model_file) for a in argv], "--quiet" if argv[0] == "rank" else "--json",
                      cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("sitefinder: error:")]
    assert len(error) == 1 and all(n in error[0] for n in needles), proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# In this process: the conversion, the sites' buses, and the regions


def test_every_site_with_a_grid_node_draws_on_its_bus_even_off_the_built_in_grid(model_file, pakistan_data):
    """Gilgit-Baltistan and Makran have no zone in the built-in model (their own figures are unknown); with a grid
    model their sites' nodes have joined a bus, and the sites draw on it. The regions show no zone figures any more."""
    solved = solve_grid_model(read_grid_model(model_file))
    dataset, notes = apply_grid_model(pakistan_data, solved)
    assert any("joined their nearest bus" in n for n in notes)
    assert set(dataset["grid_nodes"]["zone"]) == {"A", "B", "C"}
    matrix = Study.on_h3(dataset, 5).matrix(load_profile("bitcoin_mine"))
    has_node = matrix["grid_node_id"].notna().to_numpy()
    assert has_node.all()
    assert (matrix["surplus_area"].astype(str) == "zone:" + matrix["grid_zone"].astype(str)).all()
    off_grid = matrix["region_zone"].isna().to_numpy() & matrix["region_id"].notna().to_numpy()
    assert off_grid.sum() > 10  # cells of GB-PD and QESCO-Makran
    assert (matrix.loc[off_grid, "region_surplus_mw"] == matrix.loc[off_grid, "zone"].astype(str).map(KNOWN_WINTER)).all()
    regions = dataset["supply_regions"]
    zoned = regions["zone"].notna()
    assert regions.loc[zoned, "surplus_winter_mw"].isna().all()
    assert regions.loc[zoned, "surplus_basis"].str.contains("replaced: the grid model three_buses.nc").all()
    zones = dataset["zones"].set_index("zone")
    assert zones["surplus_winter_mw"].to_dict() == KNOWN_WINTER and zones["surplus_winter_mw_low"].isna().all()
    assert zones.loc["C", "surplus_winter_binding"] == "link AC (Jan, evening)"
    assert zones.loc["A", "surplus_mw_01"] == 270.0 and np.isnan(zones.loc["A", "surplus_mw_02"])  # no February snapshot
    # The map's interfaces are the model's line and link, not the built-in model's; flows of the dispatch without
    # extra load: AB carries B's load (50, 20, 30, 60 MW), AC C's (80, 80, 50, 90 MW), never back.
    lines = dataset["interfaces"].set_index("interface")
    assert sorted(lines.index) == ["line:AB", "link:AC"]
    assert lines.loc["line:AB", ["zone_from", "zone_to", "limit_mw"]].tolist() == ["A", "B", 200.0]
    assert lines.loc["link:AC", "kind"] == "your grid model's link (0 MW back)"
    assert lines["flow_max_forward_mw"].tolist() == pytest.approx([60.0, 90.0], abs=0.5)
    assert lines["flow_max_backward_mw"].tolist() == pytest.approx([0.0, 0.0], abs=0.5)
    assert lines["limit_mw_low"].isna().all() and (lines["hours_at_limit_share"] == 0).all()


def test_must_run_shares_one_way_links_line_limits_and_hour_types_are_read_as_said():
    assert [hour_type(h) for h in (9, 10, 15, 16, 17, 18, 21, 22, 3)] == [
        "night", "midday", "midday", "night", "night", "evening", "evening", "night", "night"]
    n = two_buses(pd.DatetimeIndex(["2025-01-15 18:30", "2025-07-15 12:00"]))
    n.generators.loc["g", "p_min_pu"] = 0.3
    n.lines.loc["AB", "s_max_pu"] = 0.7
    n.add("Link", ["one way", "both ways"], bus0="A", bus1="B", p_nom=40.0, p_min_pu=[0.0, -1.0])
    model = grid_model_from_network(n, "test")
    system = model.system
    assert list(system.demand.index.get_level_values("hour_type")) == ["evening", "midday"]
    g = system.generators
    assert g.loc["g:g (must run)", "must_run"] and not g.loc["g:g", "must_run"]
    assert system.availability["g:g (must run)"].tolist() == [0.3, 0.3]
    assert system.availability["g:g"].tolist() == pytest.approx([0.7, 0.7])
    links = system.links
    assert links.loc["line:AB", ["p_nom", "p_nom_back"]].tolist() == pytest.approx([35.0, 35.0])
    assert links.loc["link:one way", ["p_nom", "p_nom_back"]].tolist() == [40.0, 0.0]
    assert links.loc["link:both ways", ["p_nom", "p_nom_back"]].tolist() == [40.0, 40.0]
    assert any("read as local time" in note for note in model.notes)


def test_a_one_way_link_carries_nothing_back_and_a_two_way_one_does():
    """B holds a 100 MW plant and A a 50 MW load, joined by a 200 MW link from A to B. One way (PyPSA's default),
    A's load cannot be served: 50 MW is shed and A takes no extra load. Both ways (p_min_pu = -1), B's plant serves A's
    50 and has 50 MW more for A, limited by generation (the link has 150 MW of room left)."""
    answers = {}
    for way, p_min_pu in (("one way", 0.0), ("both ways", -1.0)):
        n = pypsa.Network()
        n.set_snapshots(pd.to_datetime(["2025-01-15 19:00"]))
        n.add("Bus", ["A", "B"], x=[LAHORE[0], MULTAN[0]], y=[LAHORE[1], MULTAN[1]])
        n.add("Generator", "g", bus="B", p_nom=100.0, marginal_cost=10.0)
        n.add("Load", "a", bus="A", p_set=50.0)
        n.add("Link", "AB", bus0="A", bus1="B", p_nom=200.0, p_min_pu=p_min_pu)
        answers[way] = solve_grid_model(grid_model_from_network(n, way)).table.set_index("zone")
    assert answers["one way"].loc["A", "surplus_mw"] == 0.0 and answers["one way"].loc["A", "shed_mw"] == 50.0
    assert answers["both ways"].loc["A", "surplus_mw"] == pytest.approx(50.0, abs=0.5)
    assert answers["both ways"].loc["A", "binding"] == "generation: every idle plant that can reach this zone is running"


def test_the_built_in_model_is_named_until_a_grid_model_is_applied(model_file, pakistan_data):
    assert network_model_in_use(pakistan_data) == "the built-in network model"
    dataset, _ = apply_grid_model(pakistan_data, solve_grid_model(read_grid_model(model_file)))
    assert network_model_in_use(dataset) == "your grid model three_buses.nc"
