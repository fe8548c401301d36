"""``sitefinder ledger`` through the real command line on the built-in data (issue 19), and the approval's re-solve of
the network with every booked load (a grid model with two buses behind one line)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pypsa")

from gridmodels import save, shared_line  # noqa: E402

from sitefinder.network.user_model import apply_grid_model, read_grid_model, solve_grid_model  # noqa: E402
from sitefinder.register.booked import with_bookings  # noqa: E402
from sitefinder.register.capacity import capacity_of  # noqa: E402
from sitefinder.register.db import engine_for, upgrade  # noqa: E402
from sitefinder.register.ledger import RefusedError, Register  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WAZIRABAD = ("74.19", "32.44")


def ledger(db: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SITEFINDER_DATA", "SITEFINDER_DB")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "sitefinder", "ledger", *args, "--db", db], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_staff_book_from_the_command_line_and_every_refusal_is_one_clear_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'register.sqlite'}"
    assert ledger(db, "init", cwd=tmp_path).returncode == 0
    applied = ledger(db, "apply", "--lon", WAZIRABAD[0], "--lat", WAZIRABAD[1], "--mw", "100", "--applicant", "Ali Khan",
                     "--by", "sam", "--reason", "walk-in", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "application 1: requested, 100.0 MW" in applied.stdout and "zone:central_punjab" in applied.stdout
    held = ledger(db, "hold", "1", "--until", "2099-03-31", "--by", "sam", "--reason", "land shown", cwd=tmp_path)
    assert held.returncode == 0 and "held; version 2" in held.stdout, held.stderr
    approved = ledger(db, "approve", "1", "--version", "2", "--by", "sam", "--reason", "finance shown", cwd=tmp_path)
    assert approved.returncode == 0 and "approved; version 3" in approved.stdout, approved.stderr
    stale = ledger(db, "reject", "1", "--version", "1", "--by", "kim", "--reason", "no land", cwd=tmp_path)
    assert stale.returncode == 2 and stale.stderr.count("\n") == 1
    assert "changed by someone else since version 1; now version 3, approved" in stale.stderr
    for bad, needle in ((["--mw", "-3"], "MW: -3.0 is not between 0"), (["--mw", "9999999"], "is not between 0"),
                        (["--mw", "10", "--start", "2001-01-01"], "start date 2001-01-01: in the past")):
        proc = ledger(db, "apply", "--lon", WAZIRABAD[0], "--lat", WAZIRABAD[1], "--applicant", "x", "--by", "sam",
                      "--reason", "r", *bad, cwd=tmp_path)
        assert proc.returncode == 2 and needle in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    missing = ledger(db, "approve", "1", "--by", "sam", cwd=tmp_path)
    assert missing.returncode == 2 and "--reason missing" in missing.stderr
    listed = json.loads(ledger(db, "list", "--json", cwd=tmp_path).stdout)
    assert [(a["id"], a["state"], a["version"]) for a in listed] == [(1, "approved", 3)]  # the refusals wrote nothing
    history = ledger(db, "history", "1", cwd=tmp_path).stdout
    assert "apply" in history and "held -> approved" in history and "sam (staff): finance shown" in history
    public, staff = tmp_path / "public.csv", tmp_path / "staff.geojson"
    assert ledger(db, "export", "--out", str(public), "--public", cwd=tmp_path).returncode == 0
    assert ledger(db, "export", "--out", str(staff), cwd=tmp_path).returncode == 0
    rows = list(csv.DictReader(public.read_text(encoding="utf-8").splitlines()))
    assert rows[0]["state"] == "approved" and "applicant" not in rows[0] and "Ali Khan" not in public.read_text()
    feature = json.loads(staff.read_text(encoding="utf-8"))["features"][0]
    assert feature["properties"]["applicant"] == "Ali Khan" and feature["geometry"]["type"] == "Point"


def test_approval_re_solves_the_network_with_every_booked_load(tmp_path, pakistan_data):
    """B and C each have 120 MW of deliverable surplus behind line AH (tests/gridmodels.py: shared_line), and the
    zones share 970 MW of idle generation: the ledger's own limits let 100 MW at B and 100 MW at C both through, but
    the network re-solved with both sheds someone, so the second approval is refused, naming it. Held, it stays."""
    solved = solve_grid_model(read_grid_model(save(shared_line(), tmp_path / "shared.nc")))
    dataset, _ = apply_grid_model(pakistan_data, solved)
    capacity = capacity_of(dataset)
    node_of = {zone: next(n for n, z in capacity.node_area.items() if z == f"zone:{zone}") for zone in ("B", "C")}
    engine = engine_for(f"sqlite:///{tmp_path / 'register.sqlite'}")
    upgrade(engine)
    reg = Register(engine, capacity)
    cells = np.ones((12, 3), dtype=bool)
    apps = [reg.apply("sam", "staff", applicant=f"{z}@example.org", profile="bitcoin_mine", site=f"near {z}", lon=72.0,
                      lat=31.0, grid_node_id=node_of[z], mw=100.0, cells=cells) for z in ("B", "C")]
    assert reg.act(apps[0].id, "approve", "sam", "staff", expected_version=1, reason="ok").state == "approved"
    held = reg.act(apps[1].id, "hold", "sam", "staff", expected_version=1, reason="land", hold_until=__import__(
        "datetime").date(2099, 1, 1))
    assert held.state == "held"  # within the zone's and the shared generation's figures
    with pytest.raises(RefusedError, match=r"the network model, re-solved with every booked load and this one, would "
                                           r"shed \d+ MW in month 1"):
        reg.act(apps[1].id, "approve", "sam", "staff", expected_version=2, reason="try")
    assert reg.get(apps[1].id).state == "held"
    # Taken off the grid model's figures: 200 MW booked behind a line with room for 120 leaves B nothing, and the
    # zones' costs stay in the model's own currency (not re-scaled from the solver's units).
    after, _ = with_bookings(dataset, reg.all())
    before_z, after_z = dataset["zones"].set_index("zone"), after["zones"].set_index("zone")
    assert before_z.loc["B", "surplus_winter_mw"] == pytest.approx(120.0)
    assert after_z.loc["B", "surplus_winter_mw"] == pytest.approx(0.0, abs=0.5)
    for col in ("surplus_winter_cost_pkr_per_kwh", "surplus_summer_cost_pkr_per_kwh"):
        assert after_z[col].equals(before_z[col]), col
