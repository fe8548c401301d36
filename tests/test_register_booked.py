"""What the register has booked comes off what ranking and the programme see (issue 19): node headroom, and every
zone's deliverable surplus solved again with the booked loads; ``programme --from-ledger`` proposes the rest."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pypsa")

from sitefinder.register.booked import booked_text, with_bookings  # noqa: E402
from sitefinder.register.capacity import capacity_of  # noqa: E402
from sitefinder.register.db import engine_for, upgrade  # noqa: E402
from sitefinder.register.ledger import Register  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ALL_YEAR = np.ones((12, 3), dtype=bool)


@pytest.fixture(scope="module")
def booked(tmp_path_factory, pakistan_data):
    """A register with 300 MW approved and 100 MW held in central Punjab, and 50 MW only requested."""
    folder = tmp_path_factory.mktemp("booked")
    url = f"sqlite:///{folder / 'register.sqlite'}"
    engine = engine_for(url)
    upgrade(engine)
    capacity = capacity_of(pakistan_data)
    node = next(n for n, a in capacity.node_area.items() if a == "zone:central_punjab")
    reg = Register(engine, capacity)
    for mw, action in ((300.0, "approve"), (100.0, "hold"), (50.0, None)):
        a = reg.apply("sam", "staff", applicant="inv@example.org", profile="bitcoin_mine", site="s", lon=74.3,
                      lat=31.5, grid_node_id=node, mw=mw, cells=ALL_YEAR)
        if action:
            reg.act(a.id, action, "sam", "staff", expected_version=1, reason="test", hold_until=dt.date(2099, 3, 31))
    return url, node, reg.all()


def test_the_card_line_says_what_is_booked(booked):
    _, _, apps = booked
    assert booked_text(apps) == "booked here: 400 MW in 2 application(s) (300 MW approved, 100 MW held until 31 Mar 2099)"
    assert booked_text([a for a in apps if a.state == "requested"]) == "nothing booked here"


def test_booked_loads_come_off_every_zone_that_shares_the_generation(booked, pakistan_data):
    _, node, apps = booked
    before = pakistan_data["zones"].set_index("zone")
    dataset, notes = with_bookings(pakistan_data, apps)
    after = dataset["zones"].set_index("zone")
    assert "booked in the register: 400 MW in 2 application(s)" in notes[0]
    # National generation binds central Punjab's and the national south's winter surplus: the 400 MW booked in central
    # Punjab comes off both. The north is held back by its own interface, which the booking does not use.
    for zone in ("central_punjab", "south"):
        assert before.loc[zone, "surplus_winter_binding"].startswith("generation")
        assert after.loc[zone, "surplus_winter_mw"] == pytest.approx(before.loc[zone, "surplus_winter_mw"] - 400.0, abs=1.0)
    assert (after["surplus_winter_mw"] <= before["surplus_winter_mw"] + 0.5).all()
    assert "less what the register has booked (2 application(s), 400 MW" in after.loc["central_punjab", "surplus_basis"]
    nodes = dataset["grid_nodes"].set_index("node_id")
    assert nodes.loc[node, "booked_mw"] == pytest.approx(400.0)
    assert dataset.version != pakistan_data.version


def test_the_map_says_what_is_booked_at_each_node_and_in_each_zone(booked, pakistan_data):
    """The node popup and the zone popup and tooltip (made from these rows) name the booked MW, and the headroom and
    surplus they show are what is left."""
    from sitefinder.report.zones import zone_rows, zone_tip  # noqa: PLC0415

    _, node, apps = booked
    dataset, _ = with_bookings(pakistan_data, apps)
    nodes = dataset["grid_nodes"].set_index("node_id")
    assert nodes.loc[node, "booked_mw"].max() == 400.0 and (nodes.drop(index=node)["booked_mw"] == 0).all()
    zones = dataset["zones"].set_index("zone", drop=False)
    cp = zones.loc["central_punjab"]
    assert cp["booked_mw"] == 400.0 and (zones.drop(index="central_punjab")["booked_mw"] == 0).all()
    assert ("Booked in the register", "400 MW (held, approved or energised); the surplus above is what is left") \
        in zone_rows(cp)
    assert zone_tip(cp).endswith("; 400 MW booked")
    assert "Booked" not in str(zone_rows(zones.loc["south"])) and "booked" not in zone_tip(zones.loc["south"])


def test_the_programme_proposes_the_rest_on_top_of_what_is_booked(booked, tmp_path):
    url, _, _ = booked
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "sitefinder", "programme", "--target-mw", "1000", "--mw", "100",
                           "--resolution", "5", "--from-ledger", "--ledger-db", url, "--quiet"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "The register has 400 MW booked; proposing the rest of the 1,000 MW target: 600 MW." in proc.stdout
    assert "600 MW of 600 MW" in proc.stdout
    assert "with the register's booked loads in its demand" in proc.stdout and "nobody's load is shed" in proc.stdout
    explained = subprocess.run([sys.executable, "-m", "sitefinder", "explain", "74.3", "31.5", "--from-ledger",
                                "--ledger-db", url], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert explained.returncode == 0, explained.stderr
    assert "booked in the zone central_punjab: 400 MW in 2 application(s) (300 MW approved, 100 MW held until 31 Mar " \
           "2099)" in explained.stdout
    assert "less what the register has booked (2 application(s), 400 MW, re-solved on the network)" in explained.stdout
    refused = subprocess.run([sys.executable, "-m", "sitefinder", "rank", "--ledger-db", url, "--quiet"], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "--from-ledger is not given" in refused.stderr
