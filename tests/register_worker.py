"""A writer in a process of its own, for the register's concurrency and crash tests (on SQLite or PostgreSQL).

    python tests/register_worker.py URL approve APP_ID VERSION   # connect, print "ready", read START_AT (time.time())
                                                                 # from stdin, wait until then, approve
    python tests/register_worker.py URL crash-in-transaction     # write half an action, say so, wait to be killed
    python tests/register_worker.py URL churn                    # apply and hold until killed
    python tests/register_worker.py URL migrate                  # as approve: ready, then migrate at the moment

Prints one JSON line: what happened (churn: one per application done).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from register_world import ALL_YEAR, register_at  # noqa: E402

from sitefinder.register import db  # noqa: E402
from sitefinder.register.db import current_revision, upgrade  # noqa: E402
from sitefinder.register.ledger import RefusedError, StaleError  # noqa: E402
from sitefinder.register.tables import applications, events  # noqa: E402


def _count_serialisation_failures() -> list[int]:
    """How many times this process's transactions were aborted by the server and run again (``db.write``)."""
    seen = [0]
    is_failure = db._is_serialisation_failure

    def counted(exc: BaseException) -> bool:
        failed = is_failure(exc)
        seen[0] += failed
        return failed

    db._is_serialisation_failure = counted
    return seen


def main() -> None:
    url, what = sys.argv[1], sys.argv[2]
    retries = _count_serialisation_failures()
    reg = register_at(url)
    if what == "approve":
        app_id, version = int(sys.argv[3]), int(sys.argv[4])
        reg.get(app_id)  # connected (and imported) before the moment comes: the race is between the transactions
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        time.sleep(max(0.0, start - time.time()))
        try:
            a = reg.act(app_id, "approve", f"staff-{os.getpid()}", "staff", expected_version=version, reason="race")
            print(json.dumps({"result": "approved", "id": a.id, "version": a.version, "retries": retries[0]}))
        except StaleError as exc:
            print(json.dumps({"result": "stale", "message": str(exc), "retries": retries[0]}))
        except RefusedError as exc:
            print(json.dumps({"result": "refused", "message": str(exc), "retries": retries[0]}))
    elif what == "crash-in-transaction":
        a = reg.all()[0]
        conn = reg.engine.connect()
        conn.begin()  # SQLite: BEGIN IMMEDIATE, the write lock is held; PostgreSQL: begins with the first statement
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() if conn.dialect.name == "postgresql" else None
        conn.execute(applications.update().where(applications.c.id == a.id).values(state="approved", version=a.version + 1))
        conn.execute(events.insert().values(application_id=a.id, seq=a.version + 1, at=reg.now(), actor="x",
                                            role="staff", action="approve", from_state=a.state, to_state="approved",
                                            mw_before=a.mw, mw_after=a.mw, reason="half", detail="{}"))
        print(json.dumps({"result": "written, not committed", "backend_pid": backend}), flush=True)
        time.sleep(600)  # the test looks at the open transaction, then kills this process (SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)  # never commit, whatever happens
    elif what == "migrate":
        with reg.engine.connect():  # connected before the moment comes (on SQLite: the file made)
            pass
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        time.sleep(max(0.0, start - time.time()))
        upgrade(reg.engine)
        print(json.dumps({"result": "migrated", "revision": current_revision(reg.engine)}))
    elif what == "churn":
        n = 0
        while True:
            a = reg.apply("ali@example.org", "applicant", applicant="ali@example.org", profile="bitcoin_mine",
                          site=f"churn {n}", lon=70.0, lat=30.0, grid_node_id="n2", mw=0.5, cells=ALL_YEAR)
            reg.act(a.id, "hold", "sam", "staff", expected_version=1, reason="churn", hold_until=dt.date(2027, 1, 1))
            n += 1
            print(json.dumps({"done": n}), flush=True)


if __name__ == "__main__":
    main()
