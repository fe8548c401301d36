"""Speed of the register (sitefinder/register/) on a SQLite file, on the built-in data's capacity:

- apply then approve one application (every check, one serialised transaction each; the network re-check left out),
  against the same two rows written with plain sqlite3 and no checks (what a spreadsheet-like log would cost);
- listing 10,000 applications, against a plain ``SELECT *``;
- the network re-check an approval makes (the built-in model re-solved with 20 booked loads);
- throughput with 8 writer processes at once (apply and hold, each its own transaction).

    python benchmarks/bench_register.py [--markdown docs/performance/register.md]

Prints a table; asserts nothing (the tests check the register is right). PostgreSQL is not measured yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchreport
import numpy as np

from sitefinder.data.dataset import load_default
from sitefinder.register.capacity import Booking, capacity_of
from sitefinder.register.db import engine_for, upgrade
from sitefinder.register.ledger import Register, cells_text, network_problem
from sitefinder.register.tables import applications

ALL_YEAR = np.ones((12, 3), dtype=bool)
WRITERS = 8
PER_WRITER = 40
WORKER = """
import sys, time, datetime as dt, numpy as np
from sitefinder.data.dataset import load_default
from sitefinder.register.capacity import capacity_of
from sitefinder.register.db import engine_for
from sitefinder.register.ledger import Register
import dataclasses
url, node, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
cap = dataclasses.replace(capacity_of(load_default()), network=None)
reg = Register(engine_for(url), cap)
time.sleep(max(0.0, start - time.time()))
for i in range(n):
    a = reg.apply("sam", "staff", applicant="bench", profile="bitcoin_mine", site=f"w{i}", lon=74.0, lat=31.5,
                  grid_node_id=node, mw=0.1, cells=np.ones((12, 3), bool))
    reg.act(a.id, "hold", "sam", "staff", expected_version=1, reason="bench", hold_until=dt.date(2099, 1, 1))
print(time.time())
"""


def _median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file (the docs' copy)")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-register-"))
    url = f"sqlite:///{folder / 'register.sqlite'}"
    engine = engine_for(url)
    upgrade(engine)
    dataset = load_default()
    full = capacity_of(dataset)
    capacity = dataclasses.replace(full, network=None)
    reg = Register(engine, capacity)
    node = next(n for n, a in capacity.node_area.items() if a == "zone:central_punjab")

    pairs = []
    for i in range(200):
        t = time.perf_counter()
        a = reg.apply("sam", "staff", applicant="bench", profile="bitcoin_mine", site=f"s{i}", lon=74.0, lat=31.5,
                      grid_node_id=node, mw=0.1, cells=ALL_YEAR)
        reg.act(a.id, "approve", "sam", "staff", expected_version=1, reason="bench")
        pairs.append(time.perf_counter() - t)

    plain = sqlite3.connect(folder / "plain.sqlite", isolation_level=None)
    plain.execute("PRAGMA journal_mode=WAL")
    plain.execute("PRAGMA synchronous=FULL")
    plain.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, body TEXT)")
    plain.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, a INTEGER, body TEXT)")
    raw = []
    for i in range(200):
        t = time.perf_counter()
        for _ in range(2):  # apply, then approve: two transactions, as above
            plain.execute("BEGIN IMMEDIATE")
            cur = plain.execute("INSERT INTO a (body) VALUES (?)", (f"s{i}",))
            plain.execute("INSERT INTO e (a, body) VALUES (?, ?)", (cur.lastrowid, "x"))
            plain.execute("COMMIT")
        raw.append(time.perf_counter() - t)

    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:  # 10,000 applications in all, written in bulk (not what is timed)
        conn.execute(applications.insert().values(
            [{"applicant": "bulk", "profile": "bitcoin_mine", "site": f"b{i}", "lon": 74.0, "lat": 31.5,
              "grid_node_id": node, "zone": "zone:central_punjab", "mw": 0.1, "cells": cells_text(ALL_YEAR),
              "interruptible": False, "state": "requested", "version": 1, "created_at": now, "updated_at": now}
             for i in range(10_000 - 200)]))
    listing = []
    for _ in range(5):
        t = time.perf_counter()
        n_listed = len(reg.all())
        listing.append(time.perf_counter() - t)
    select = []
    direct = sqlite3.connect(folder / "register.sqlite")
    for _ in range(5):
        t = time.perf_counter()
        direct.execute("SELECT * FROM applications").fetchall()
        select.append(time.perf_counter() - t)

    system = full.network
    bookings = [Booking(node, "zone:central_punjab", 50.0, ALL_YEAR) for _ in range(20)]
    network_problem(system, bookings[:1])  # PyPSA imported and the model's own dispatch solved once, as in a server
    recheck = []
    for _ in range(3):
        t = time.perf_counter()
        problem = network_problem(system, bookings)
        recheck.append(time.perf_counter() - t)

    at = time.time() + 8.0
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, node, str(PER_WRITER), str(at)],
                              stdout=subprocess.PIPE, text=True) for _ in range(WRITERS)]
    ends = [float(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    seconds = max(ends) - at
    writes = WRITERS * PER_WRITER * 2

    rows = [
        ("apply then approve, one application (ms, median of 200)", f"{_median_ms(pairs):.1f}", "≤ 50"),
        ("  the same two writes with plain sqlite3, no checks (ms)", f"{_median_ms(raw):.1f}", ""),
        (f"list {n_listed:,} applications (ms, median of 5)", f"{_median_ms(listing):.0f}", "≤ 200"),
        ("  a plain SELECT * of the same rows (ms)", f"{_median_ms(select):.0f}", ""),
        ("network re-check on approval, 20 booked loads (s, median of 3)", f"{statistics.median(recheck):.2f}", "≤ 3"),
        (f"{WRITERS} writer processes at once: writes per second ({writes} writes in {seconds:.1f} s)",
         f"{writes / seconds:.0f}", ""),
    ]
    print(f"{'what':<82} {'figure':>8}  target")
    for name, value, target in rows:
        print(f"{name:<82} {value:>8}  {target}")
    print(f"network re-check found: {problem or 'nothing shed'}")
    if args.markdown:
        body = benchreport.table(["what", "figure", "target"], rows) + (
            "\nOn a SQLite file in WAL mode with full sync; every write is one serialised transaction (BEGIN IMMEDIATE). "
            "The register's checks (the node, the zone in every month and hour type, the shared generation, the version) "
            "cost the difference to the plain writes. PostgreSQL is not measured yet.")
        benchreport.write(args.markdown, body=body,
                          compared="Compared: the same writes and reads with plain sqlite3 and no checks, in the same run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
