"""The register under concurrent writers and crashes (issue 19), on a real SQLite file, each writer a process of its
own: 8 processes approving competing applications at the same moment never over-commit a node, 8 approving the same
application from the same view leave one winner and 7 told it changed, and a writer killed mid-transaction leaves
the ledger consistent with every committed event readable."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from register_world import ALL_YEAR, WINTER_NIGHTS, register_at, url_for

from sitefinder.register.ledger import replay, table_state
from sitefinder.register.states import APPLICANT, BOOKED
from sitefinder.register.tables import events

HERE = Path(__file__).resolve().parent
WORKER = HERE / "register_worker.py"
WRITERS = 8


def _workers(url: str, jobs: list[list[str]]) -> list[dict]:
    procs = [subprocess.Popen([sys.executable, str(WORKER), url, *job], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for job in jobs]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = url_for(tmp_path / "register.sqlite")
    register_at(url, migrate=True)
    return url


def test_eight_writers_approving_at_once_never_over_commit_a_node(url):
    """n1 has 150 MW of headroom (its zone has more on winter nights): of 8 applications of 50 MW for winter nights,
    approved at the same moment, exactly 3 get it."""
    reg = register_at(url)
    apps = [reg.apply(f"a{i}@example.org", APPLICANT, applicant=f"a{i}@example.org", profile="bitcoin_mine",
                      site=f"cell {i}", lon=70.0, lat=30.0, grid_node_id="n1", mw=50.0, cells=WINTER_NIGHTS)
            for i in range(WRITERS)]
    start = time.time() + 3.0  # every process started and waiting before the moment comes
    results = _workers(url, [["approve", str(a.id), "1", f"{start}"] for a in apps])
    outcome = sorted(r["result"] for r in results)
    assert outcome == ["approved"] * 3 + ["refused"] * 5, results
    assert all("headroom of node n1" in r["message"] for r in results if r["result"] == "refused")
    assert sum(a.mw for a in reg.all() if a.state in BOOKED) == pytest.approx(150.0)
    assert replay(reg.engine) == table_state(reg.engine)


def test_eight_writers_approving_one_application_from_one_view_leave_one_winner(url):
    reg = register_at(url)
    a = reg.apply("ali@example.org", APPLICANT, applicant="ali@example.org", profile="bitcoin_mine", site="cell",
                  lon=70.0, lat=30.0, grid_node_id="n3", mw=50.0, cells=ALL_YEAR)
    start = time.time() + 3.0
    results = _workers(url, [["approve", str(a.id), "1", f"{start}"] for _ in range(WRITERS)])
    assert sorted(r["result"] for r in results) == ["approved"] + ["stale"] * (WRITERS - 1), results
    assert all("changed by someone else since version 1; now version 2, approved" in r["message"]
               for r in results if r["result"] == "stale")
    assert [e["action"] for e in reg.history(a.id)] == ["apply", "approve"]  # no update lost, none applied twice


def test_a_writer_killed_mid_transaction_leaves_the_ledger_as_it_was(url):
    reg = register_at(url)
    reg.apply("ali@example.org", APPLICANT, applicant="ali@example.org", profile="bitcoin_mine", site="cell", lon=70.0,
              lat=30.0, grid_node_id="n1", mw=50.0, cells=ALL_YEAR)
    before = table_state(reg.engine)
    proc = subprocess.run([sys.executable, str(WORKER), url, "crash-in-transaction"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9 and "written, not committed" in proc.stdout, proc.stderr
    assert table_state(reg.engine) == before == replay(reg.engine)
    a = reg.all()[0]  # and the write lock died with it: the next writer goes on
    assert reg.act(a.id, "approve", "sam", "staff", expected_version=1, reason="after the crash").state == "approved"


def test_a_writer_killed_at_a_random_moment_loses_nothing_it_committed(url):
    proc = subprocess.Popen([sys.executable, str(WORKER), url, "churn"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:  # let it commit a few, then kill it wherever it is
        seen = json.loads(line)["done"]
        if seen >= 15:
            break
    proc.kill()
    proc.wait(timeout=60)
    proc.stdout.close()
    reg = register_at(url)
    state = replay(reg.engine)
    assert state == table_state(reg.engine)
    held = [a for a in state.values() if a["state"] == "held"]
    assert len(held) >= seen  # every acknowledged write is there
    with reg.engine.begin() as conn:  # and every event of every application is there, in order
        seqs = conn.execute(sa.select(events.c.application_id, sa.func.max(events.c.seq), sa.func.count())
                            .group_by(events.c.application_id)).all()
    assert all(top == n for _, top, n in seqs)
