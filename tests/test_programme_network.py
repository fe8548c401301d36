"""The programme re-solved on the network (issue 18 item 5): every site's load added at once must shed nobody.

``tests/gridmodels.py: shared_line`` puts buses H (Sukkur), B (Multan) and C (Lahore) behind one 150 MW line from
the only plant, at A (Karachi). Each carries 10 MW of load, so the line has 150 - 30 = 120 MW of room: B, C and H can
each take 120 MW on its own (their deliverable surplus), and no more than 120 MW in all. A's own is 1,000 - 30 = 970.

The ledger shares each bus's 120 MW between its sites, and the buses' common idle generation (970 MW, A's) between
all of them; it does not know that B, C and H share a line. In Punjab, where every grid node joins B, C or H, it would
place up to 3 x 120 = 360 MW. The re-solve cuts the programme to the 120 MW the line can carry: sites at a second bus
behind the line find no room left and leave the programme.
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

from gridmodels import save, shared_line  # noqa: E402

from sitefinder.model.scenario import Scenario  # noqa: E402
from sitefinder.network.solve import unserved_with  # noqa: E402
from sitefinder.network.user_model import apply_grid_model, read_grid_model, solve_grid_model  # noqa: E402
from sitefinder.programme.network_check import fit_to_network, run_mask  # noqa: E402
from sitefinder.programme.run import make_programme  # noqa: E402
from sitefinder.rank.study import Study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LINE_ROOM = 120.0


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(shared_line(), tmp_path_factory.mktemp("grid") / "shared_line.nc")


@pytest.fixture(scope="module")
def punjab(model_file, pakistan_data):
    solved = solve_grid_model(read_grid_model(model_file))
    dataset, _ = apply_grid_model(pakistan_data, solved)
    scenario = Scenario(resolution=5, target_mw=2000.0, mw=100.0, min_mw=20.0, province="Punjab")
    return solved, make_programme(Study.on_h3(dataset, 5), scenario, scenario.apply())


def test_each_bus_behind_the_line_can_take_what_the_line_has_room_for(punjab):
    solved, _ = punjab
    jan = solved.table[solved.table["month"] == 1].groupby("zone")["surplus_mw"].min()
    assert jan["B"] == jan["C"] == jan["H"] == pytest.approx(LINE_ROOM)
    assert jan["A"] == pytest.approx(970.0)


def test_the_programme_is_cut_to_what_the_shared_line_carries(punjab):
    solved, programme = punjab
    table = programme.table
    assert set(table["zone"].astype(str)) <= {"B", "C", "H"}
    assert table["placed_mw"].sum() == pytest.approx(LINE_ROOM, abs=0.01)
    check = programme.checks[0]
    assert check.end == "central" and check.shed_mw <= 0.5
    assert check.cut_mw >= LINE_ROOM  # the ledger alone placed at least twice what the line carries
    assert all(c.to_mw == 0.0 for c in check.cuts)  # nothing is left behind the line once 120 MW is placed
    assert "network (re-solved)" not in set(table["binding_limit"])  # cut to nothing: the sites left the programme
    assert "taken off" in programme.network_text and "nobody's load is shed" in programme.network_text
    assert check.rounds == 2 and "placed again" in programme.network_text  # placed again with B, C and H closed
    assert programme.metadata["programme"]["network_check"][0]["cut_mw"] == pytest.approx(check.cut_mw, abs=0.01)
    # The ledger shows what the sites that stayed drew, not what the cut ones would have.
    assert programme.pools["placed_mw"].sum() == pytest.approx(LINE_ROOM, abs=0.01)


def test_the_programme_as_placed_sheds_nobody_and_one_mw_more_would(punjab, model_file):
    """An independent re-solve (not the check's own): the placed loads in every case each site runs."""
    _, programme = punjab
    system = read_grid_model(model_file).system
    extra = pd.DataFrame(0.0, index=system.demand.index, columns=system.demand.columns)
    for zone, cells, mw in zip(programme.table["zone"].astype(str), programme.central.cells, programme.central.mw):
        extra.loc[run_mask(system, cells), zone] += mw
    assert extra.to_numpy().sum() > 0
    assert unserved_with(system, extra).to_numpy().max() == pytest.approx(0.0, abs=0.5)
    more = extra.copy()
    more.loc[extra["B"].to_numpy() + extra["C"].to_numpy() + extra["H"].to_numpy() > 0, "H"] += 1.0
    assert unserved_with(system, more).to_numpy().max() == pytest.approx(1.0, abs=0.01)


def test_sites_elsewhere_take_what_the_cut_zones_leave(tmp_path, pakistan_data):
    """With D (Bahawalpur) on a 100 MW line of its own, a 300 MW programme in Punjab first fills B, C and H (up to
    120 MW each by the ledger); the re-solve cuts them to the 120 MW line AH carries, closes them, and places the
    sites again: D's sites, further down the order, take its 100 MW. 220 MW in all, and nobody shed."""
    model = save(shared_line(own_line_mw=100.0), tmp_path / "shared_line_and_d.nc")
    solved = solve_grid_model(read_grid_model(model))
    dataset, _ = apply_grid_model(pakistan_data, solved)
    scenario = Scenario(resolution=5, target_mw=300.0, mw=100.0, min_mw=20.0, province="Punjab")
    programme = make_programme(Study.on_h3(dataset, 5), scenario, scenario.apply())
    placed = programme.table.groupby(programme.table["zone"].astype(str))["placed_mw"].sum()
    assert placed.get("D", 0.0) == pytest.approx(100.0, abs=0.01)
    assert placed.drop("D").sum() == pytest.approx(LINE_ROOM, abs=0.01)
    check = programme.checks[0]
    assert check.rounds >= 2 and check.cuts and check.shed_mw <= 0.5
    system = read_grid_model(model).system
    extra = pd.DataFrame(0.0, index=system.demand.index, columns=system.demand.columns)
    for zone, cells, mw in zip(programme.table["zone"].astype(str), programme.central.cells, programme.central.mw):
        extra.loc[run_mask(system, cells), zone] += mw
    assert unserved_with(system, extra).to_numpy().max() == pytest.approx(0.0, abs=0.5)


def test_a_programme_that_fits_is_left_as_it_is(model_file):
    system = read_grid_model(model_file).system
    cells = np.ones((12, 3), dtype=bool)
    mw, check = fit_to_network(system, ["B", "C", None], [cells, cells, cells], np.array([60.0, 60.0, 500.0]), 20.0,
                               model="test", end="central")
    assert list(mw) == [60.0, 60.0, 500.0] and not check.cuts
    assert check.sites_checked == 2 and check.sites_outside == 1
    assert "nobody's load is shed" in check.text() and "1 site(s) draw on a supply region outside" in check.text()
    mw, check = fit_to_network(system, ["B", "C", "H"], [cells, cells, cells], np.array([60.0, 70.0, 30.0]), 20.0,
                               model="test", end="central")
    assert list(mw) == [60.0, 60.0, 0.0]  # C cut to the 60 left; H's 0 left is less than the smallest site: dropped
    assert [c.site for c in check.cuts] == [1, 2]


def test_the_command_line_says_what_the_network_check_found(model_file, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}
    env["PYTHONPATH"] = str(ROOT)
    out = tmp_path / "programme.geojson"
    proc = subprocess.run([sys.executable, "-m", "sitefinder", "programme", "--grid-model", str(model_file),
                           "--resolution", "5", "--target-mw", "2000", "--mw", "100", "--min-mw", "20",
                           "--province", "Punjab", "--out", str(out), "--quiet"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "120 MW of 2,000 MW" in proc.stdout
    assert "Network check (central end): your grid model shared_line.nc re-solved" in proc.stdout
    meta = json.loads(out.read_text(encoding="utf-8"))["metadata"]
    assert meta["programme"]["network_check"][0]["shed_mw_after_cuts"] <= 0.5
