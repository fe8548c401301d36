"""Speed of the register (sitefinder/register/) on a SQLite file and on PostgreSQL, in the same run, on the built-in
data's capacity:

- apply then approve one application (every check, one serialised transaction each; the network re-check left out),
  against the same two rows written with the plain driver (sqlite3, psycopg) and no checks (what a spreadsheet-like
  log would cost);
- listing 10,000 applications, against a plain ``SELECT *``;
- throughput with 8 writer processes at once (apply and hold at one node, each its own transaction), and how many
  transactions PostgreSQL aborted as serialisation failures and the register ran again;
- the network re-check an approval makes (the built-in model re-solved with 20 booked loads; no database).

PostgreSQL is a throwaway cluster started for the run (tests/pgcluster.py: Debian's server binaries, run as the
``postgres`` user when this runs as root), with fsync and synchronous commit on, as SQLite runs with full sync.

    python benchmarks/bench_register.py [--markdown docs/performance/register.md] [--no-postgres]

Prints a table; asserts nothing (the tests check the register is right).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import benchreport
import numpy as np

sys.path.insert(0, str(benchreport.ROOT / "tests"))
import pgcluster  # noqa: E402  (the tests' throwaway cluster)

from sitefinder.data.dataset import load_default  # noqa: E402
from sitefinder.register.capacity import Booking, Capacity, capacity_of  # noqa: E402
from sitefinder.register.db import engine_for, upgrade  # noqa: E402
from sitefinder.register.ledger import Register, cells_text, network_problem  # noqa: E402
from sitefinder.register.tables import applications  # noqa: E402

ALL_YEAR = np.ones((12, 3), dtype=bool)
PAIRS = 200
LISTED = 10_000
WRITERS = 8
PER_WRITER = 40
WORKER = """
import sys, time, json, datetime as dt, numpy as np
from sitefinder.data.dataset import load_default
from sitefinder.register import db
from sitefinder.register.capacity import capacity_of
from sitefinder.register.db import engine_for
from sitefinder.register.ledger import Register
import dataclasses
url, node, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
retries = [0]
is_failure = db._is_serialisation_failure
def counted(exc):
    failed = is_failure(exc)
    retries[0] += failed
    return failed
db._is_serialisation_failure = counted
cap = dataclasses.replace(capacity_of(load_default()), network=None)
reg = Register(engine_for(url), cap)
reg.all()  # connected before the moment comes
print("ready", flush=True)
start = float(sys.stdin.readline())
time.sleep(max(0.0, start - time.time()))
for i in range(n):
    a = reg.apply("sam", "staff", applicant="bench", profile="bitcoin_mine", site=f"w{i}", lon=74.0, lat=31.5,
                  grid_node_id=node, mw=0.1, cells=np.ones((12, 3), bool))
    reg.act(a.id, "hold", "sam", "staff", expected_version=1, reason="bench", hold_until=dt.date(2099, 1, 1))
print(json.dumps({"end": time.time(), "retries": retries[0]}))
"""


def _median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000.0


def _timed(n: int, step: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        step(i)
        out.append(time.perf_counter() - t)
    return out


@dataclasses.dataclass
class Figures:
    """One backend's figures."""

    pairs: list[float]
    raw: list[float]
    listing: list[float]
    select: list[float]
    n_listed: int
    seconds: float
    writes: int
    retries: int


def _plain_sqlite(folder: Path, register_file: Path) -> tuple[list[float], Callable[[], object]]:
    plain = sqlite3.connect(folder / "plain.sqlite", isolation_level=None)
    plain.execute("PRAGMA journal_mode=WAL")
    plain.execute("PRAGMA synchronous=FULL")
    plain.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, body TEXT)")
    plain.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, a INTEGER, body TEXT)")

    def two_writes(i: int) -> None:
        for _ in range(2):  # apply, then approve: two transactions, as the register's
            plain.execute("BEGIN IMMEDIATE")
            cur = plain.execute("INSERT INTO a (body) VALUES (?)", (f"s{i}",))
            plain.execute("INSERT INTO e (a, body) VALUES (?, ?)", (cur.lastrowid, "x"))
            plain.execute("COMMIT")

    raw = _timed(PAIRS, two_writes)
    plain.close()
    direct = sqlite3.connect(register_file)
    return raw, lambda: direct.execute("SELECT * FROM applications").fetchall()


def _plain_postgres(cluster: pgcluster.Cluster, register_db: str) -> tuple[list[float], Callable[[], object]]:
    import psycopg  # noqa: PLC0415

    name = cluster.new_database("plain").rsplit("/", 1)[1]
    plain = psycopg.connect(host="127.0.0.1", port=cluster.port, user=pgcluster.SUPERUSER, dbname=name)
    with plain.transaction():
        plain.execute("CREATE TABLE a (id SERIAL PRIMARY KEY, body TEXT)")
        plain.execute("CREATE TABLE e (id SERIAL PRIMARY KEY, a INTEGER, body TEXT)")

    def two_writes(i: int) -> None:
        for _ in range(2):  # two transactions, in PostgreSQL's default isolation (read committed)
            with plain.transaction():
                row = plain.execute("INSERT INTO a (body) VALUES (%s) RETURNING id", (f"s{i}",)).fetchone()
                assert row is not None
                plain.execute("INSERT INTO e (a, body) VALUES (%s, %s)", (row[0], "x"))

    raw = _timed(PAIRS, two_writes)
    plain.close()
    direct = psycopg.connect(host="127.0.0.1", port=cluster.port, user=pgcluster.SUPERUSER, dbname=register_db)
    return raw, lambda: direct.execute("SELECT * FROM applications").fetchall()


def _writers(url: str, node: str) -> tuple[float, int]:
    """8 writer processes, each applying for and holding ``PER_WRITER`` applications at ``node``, all started at
    the same moment once every one is ready: seconds from that moment to the last one done, and the transactions
    run again."""
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, node, str(PER_WRITER)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(WRITERS)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    at = time.time() + 0.5
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(f"{at}\n")
        p.stdin.flush()
    said = [json.loads(p.communicate(timeout=900)[0].strip().splitlines()[-1]) for p in procs]
    return max(s["end"] for s in said) - at, sum(s["retries"] for s in said)


def measure(url: str, capacity: Capacity, node: str,
            plain: Callable[[], tuple[list[float], Callable[[], object]]]) -> Figures:
    """Every figure but the network re-check on the register at ``url`` (a new, empty database)."""
    engine = engine_for(url)
    upgrade(engine)
    reg = Register(engine, capacity)

    def pair(i: int) -> None:
        a = reg.apply("sam", "staff", applicant="bench", profile="bitcoin_mine", site=f"s{i}", lon=74.0, lat=31.5,
                      grid_node_id=node, mw=0.1, cells=ALL_YEAR)
        reg.act(a.id, "approve", "sam", "staff", expected_version=1, reason="bench")

    pairs = _timed(PAIRS, pair)
    raw, select_all = plain()

    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:  # 10,000 applications in all, written in bulk (not what is timed)
        conn.execute(applications.insert(), [
            {"applicant": "bulk", "profile": "bitcoin_mine", "site": f"b{i}", "lon": 74.0, "lat": 31.5,
             "grid_node_id": node, "zone": "zone:central_punjab", "mw": 0.1, "cells": cells_text(ALL_YEAR),
             "interruptible": False, "state": "requested", "version": 1, "created_at": now, "updated_at": now}
            for i in range(LISTED - PAIRS)])
    n_listed = len(reg.all())
    listing = _timed(5, lambda _: reg.all())
    select = _timed(5, lambda _: select_all())
    seconds, retries = _writers(url, node)
    engine.dispose()
    return Figures(pairs, raw, listing, select, n_listed, seconds, WRITERS * PER_WRITER * 2, retries)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file (the docs' copy)")
    ap.add_argument("--no-postgres", action="store_true", help="SQLite only (no PostgreSQL server here)")
    args = ap.parse_args()
    dataset = load_default()
    full = capacity_of(dataset)
    capacity = dataclasses.replace(full, network=None)
    node = next(n for n, a in capacity.node_area.items() if a == "zone:central_punjab")

    folder = Path(tempfile.mkdtemp(prefix="bench-register-"))
    register_file = folder / "register.sqlite"
    figures = {"SQLite": measure(f"sqlite:///{register_file}", capacity, node,
                                 lambda: _plain_sqlite(folder, register_file))}
    server = ""
    if not args.no_postgres:
        cluster = pgcluster.start()
        try:
            url = cluster.new_database("bench")
            with cluster.connect() as conn:
                server = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]
            figures[f"PostgreSQL {server}"] = measure(url, capacity, node,
                                                      lambda: _plain_postgres(cluster, url.rsplit("/", 1)[1]))
        finally:
            cluster.stop()

    system = full.network
    bookings = [Booking(node, "zone:central_punjab", 50.0, ALL_YEAR) for _ in range(20)]
    network_problem(system, bookings[:1])  # PyPSA imported and the model's own dispatch solved once, as in a server
    recheck = _timed(3, lambda _: network_problem(system, bookings))
    problem = network_problem(system, bookings)

    backends = list(figures)
    fs = list(figures.values())
    rows = [
        ("apply then approve, one application (ms, median of 200)", *(f"{_median_ms(f.pairs):.1f}" for f in fs), "≤ 50"),
        ("  the same two writes with the plain driver, no checks (ms)", *(f"{_median_ms(f.raw):.1f}" for f in fs), ""),
        (f"list {fs[0].n_listed:,} applications (ms, median of 5)", *(f"{_median_ms(f.listing):.0f}" for f in fs), "≤ 200"),
        ("  a plain SELECT * of the same rows (ms)", *(f"{_median_ms(f.select):.0f}" for f in fs), ""),
        (f"{WRITERS} writer processes at once: writes per second", *(f"{f.writes / f.seconds:.0f}" for f in fs), ""),
        (f"  seconds for their {fs[0].writes} writes", *(f"{f.seconds:.1f}" for f in fs), ""),
        ("  transactions aborted by the server and run again", *(str(f.retries) if "Postgre" in b else "–"
                                                                 for b, f in figures.items()), ""),
        ("network re-check on approval, 20 booked loads (s, median of 3; no database)",
         *([f"{statistics.median(recheck):.2f}"] * len(fs)), "≤ 3"),
    ]
    header = ["what", *backends, "target"]
    width = max(len(r[0]) for r in rows)
    print(f"{header[0]:<{width}} " + " ".join(f"{h:>16}" for h in header[1:-1]) + "  target")
    for name, *values, target in rows:
        print(f"{name:<{width}} " + " ".join(f"{v:>16}" for v in values) + f"  {target}")
    print(f"network re-check found: {problem or 'nothing shed'}")
    if args.markdown:
        postgres = (f" PostgreSQL {server}: a throwaway cluster on this machine (tests/pgcluster.py), reached over TCP on "
                    "127.0.0.1, fsync and synchronous commit on; every write is one SERIALIZABLE transaction, run again "
                    "when the server aborts it as a serialisation failure." if server else " PostgreSQL was not measured "
                    "(--no-postgres).")
        body = benchreport.table(header, rows) + (
            "\nSQLite: a file in WAL mode with full sync; every write is one serialised transaction (BEGIN IMMEDIATE)."
            + postgres + " The register's checks (the node, the zone in every month and hour type, the shared "
            "generation, the version) cost the difference to the plain writes. The 8 writers all book at one node, so "
            "each one's check reads what the others write: the worst case for PostgreSQL's serialisable transactions.")
        benchreport.write(args.markdown, body=body, compared="Compared: the same writes and reads with the plain "
                          "drivers (sqlite3, psycopg) and no checks, in the same run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
