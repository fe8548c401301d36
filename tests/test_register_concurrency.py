"""The register under concurrent writers and crashes (issue 19), on a real SQLite file and on a real PostgreSQL
database (``register_url``, tests/conftest.py), each writer a process of its own: 8 processes approving competing
applications at the same moment never over-commit a node, 8 approving the same application from the same view leave
one winner and 7 told it changed, and a writer killed mid-transaction leaves the ledger consistent with every
committed event readable, and its locks released."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from register_world import ALL_YEAR, WINTER_NIGHTS, register_at

from sitefinder.register.db import MIGRATIONS, current_revision
from sitefinder.register.ledger import replay, table_state
from sitefinder.register.states import APPLICANT, BOOKED
from sitefinder.register.tables import events

HERE = Path(__file__).resolve().parent
WORKER = HERE / "register_worker.py"
WRITERS = 8


def _workers(url: str, jobs: list[list[str]]) -> list[dict]:
    """Start a worker for each job, wait until every one is ready (imported and connected), then give them all the
    same moment to act, 0.3 s ahead; what each says happened."""
    procs = [subprocess.Popen([sys.executable, str(WORKER), url, *job], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for job in jobs]
    for p in procs:  # nothing more is written before the moment is given, so communicate() below misses nothing
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.communicate(timeout=60)[1]
    start = f"{time.time() + 0.3}\n"
    for p in procs:  # every one told before any is waited for
        assert p.stdin is not None
        p.stdin.write(start)
        p.stdin.flush()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


@pytest.fixture
def url(register_url) -> str:
    url = register_url()
    register_at(url, migrate=True)
    return url


def test_eight_writers_approving_at_once_never_over_commit_a_node(url):
    """n1 has 150 MW of headroom (its zone has more on winter nights): of 8 applications of 50 MW for winter nights,
    approved at the same moment, exactly 3 get it."""
    reg = register_at(url)
    apps = [reg.apply(f"a{i}@example.org", APPLICANT, applicant=f"a{i}@example.org", profile="bitcoin_mine",
                      site=f"cell {i}", lon=70.0, lat=30.0, grid_node_id="n1", mw=50.0, cells=WINTER_NIGHTS)
            for i in range(WRITERS)]
    results = _workers(url, [["approve", str(a.id), "1"] for a in apps])
    outcome = sorted(r["result"] for r in results)
    assert outcome == ["approved"] * 3 + ["refused"] * 5, results
    assert all("headroom of node n1" in r["message"] for r in results if r["result"] == "refused")
    assert sum(a.mw for a in reg.all() if a.state in BOOKED) == pytest.approx(150.0)
    assert replay(reg.engine) == table_state(reg.engine)


def test_eight_writers_approving_one_application_from_one_view_leave_one_winner(url):
    reg = register_at(url)
    a = reg.apply("ali@example.org", APPLICANT, applicant="ali@example.org", profile="bitcoin_mine", site="cell",
                  lon=70.0, lat=30.0, grid_node_id="n3", mw=50.0, cells=ALL_YEAR)
    results = _workers(url, [["approve", str(a.id), "1"] for _ in range(WRITERS)])
    assert sorted(r["result"] for r in results) == ["approved"] + ["stale"] * (WRITERS - 1), results
    assert all("changed by someone else since version 1; now version 2, approved" in r["message"]
               for r in results if r["result"] == "stale")
    assert [e["action"] for e in reg.history(a.id)] == ["apply", "approve"]  # no update lost, none applied twice


def test_processes_migrating_a_new_database_at_once_all_find_it_done(register_url):
    """Every command, and every app process, migrates the database on first use: 4 doing it at the same moment on a
    new database make the tables once, and each finds them at the newest migration."""
    url = register_url()
    results = _workers(url, [["migrate"]] * 4)
    reg = register_at(url)
    assert [r["result"] for r in results] == ["migrated"] * 4, results
    assert {r["revision"] for r in results} == {current_revision(reg.engine)} == {ScriptDirectory(str(MIGRATIONS)).get_current_head()}
    assert reg.apply("ali@example.org", APPLICANT, applicant="ali@example.org", profile="bitcoin_mine", site="cell",
                     lon=70.0, lat=30.0, grid_node_id="n1", mw=50.0, cells=ALL_YEAR).version == 1


def test_a_writer_killed_mid_transaction_leaves_the_ledger_as_it_was(url):
    reg = register_at(url)
    reg.apply("ali@example.org", APPLICANT, applicant="ali@example.org", profile="bitcoin_mine", site="cell", lon=70.0,
              lat=30.0, grid_node_id="n1", mw=50.0, cells=ALL_YEAR)
    before = table_state(reg.engine)
    proc = subprocess.Popen([sys.executable, str(WORKER), url, "crash-in-transaction"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    said = json.loads(proc.stdout.readline() or "{}")
    try:
        assert said.get("result") == "written, not committed", proc.communicate(timeout=60)[1]
        _assert_in_a_write_transaction(reg.engine, said["backend_pid"])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert table_state(reg.engine) == before == replay(reg.engine)
    _assert_gone(reg.engine, said["backend_pid"])  # and its locks died with it: the next writer goes on
    a = reg.all()[0]
    assert reg.act(a.id, "approve", "sam", "staff", expected_version=1, reason="after the crash").state == "approved"
    assert replay(reg.engine) == table_state(reg.engine)


def _assert_in_a_write_transaction(engine: sa.Engine, backend_pid: int | None) -> None:
    """The writer holds its transaction open, with writes in it that nobody else sees: SQLite's write lock, or a
    PostgreSQL backend idle in a transaction that has a transaction id (it wrote) and a lock on the applications
    table. (On SQLite a plain reader looks: the register's own reads take the write lock too, and would wait.)"""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database or "", timeout=0, isolation_level=None)
        try:
            assert other.execute("SELECT state, version FROM applications").fetchall() == [("requested", 1)]
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        return
    assert [(a["state"], a["version"]) for a in table_state(engine).values()] == [("requested", 1)]
    with engine.connect() as conn:
        state, xid = conn.execute(sa.text("SELECT state, backend_xid FROM pg_stat_activity WHERE pid = :pid"),
                                  {"pid": backend_pid}).one()
        locks = conn.execute(sa.text("SELECT mode FROM pg_locks WHERE pid = :pid AND relation = 'applications'::regclass"),
                             {"pid": backend_pid}).scalars().all()
    assert state == "idle in transaction" and xid is not None and "RowExclusiveLock" in locks, (state, xid, locks)


def _assert_gone(engine: sa.Engine, backend_pid: int | None) -> None:
    """On PostgreSQL, the killed writer's backend ends (its transaction rolled back, its locks released) within 10 s."""
    if engine.dialect.name == "sqlite":
        return
    deadline = time.monotonic() + 10.0
    while True:
        with engine.connect() as conn:
            alive = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                 {"pid": backend_pid}).scalar_one()
            held = conn.execute(sa.text("SELECT count(*) FROM pg_locks WHERE pid = :pid"), {"pid": backend_pid}).scalar_one()
        if alive == 0 and held == 0:
            return
        assert time.monotonic() < deadline, f"backend {backend_pid} of the killed writer still there after 10 s"
        time.sleep(0.05)


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
