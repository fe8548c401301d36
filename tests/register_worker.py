"""A writer in a process of its own, for the register's concurrency and crash tests.

    python tests/register_worker.py URL approve APP_ID VERSION START_AT   # wait until START_AT (time.time()), approve
    python tests/register_worker.py URL crash-in-transaction              # write half an action, then SIGKILL itself
    python tests/register_worker.py URL churn                             # apply and approve until killed

Prints one JSON line: what happened.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from register_world import ALL_YEAR, register_at  # noqa: E402

from sitefinder.register.ledger import RefusedError, StaleError  # noqa: E402
from sitefinder.register.tables import applications, events  # noqa: E402


def main() -> None:
    url, what = sys.argv[1], sys.argv[2]
    reg = register_at(url)
    if what == "approve":
        app_id, version, start = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        time.sleep(max(0.0, start - time.time()))
        try:
            a = reg.act(app_id, "approve", f"staff-{os.getpid()}", "staff", expected_version=version, reason="race")
            print(json.dumps({"result": "approved", "id": a.id, "version": a.version}))
        except StaleError as exc:
            print(json.dumps({"result": "stale", "message": str(exc)}))
        except RefusedError as exc:
            print(json.dumps({"result": "refused", "message": str(exc)}))
    elif what == "crash-in-transaction":
        a = reg.all()[0]
        conn = reg.engine.connect()
        conn.begin()  # BEGIN IMMEDIATE: the write lock is held
        conn.execute(applications.update().where(applications.c.id == a.id).values(state="approved", version=a.version + 1))
        conn.execute(events.insert().values(application_id=a.id, seq=a.version + 1, at=a.version and reg.now(), actor="x",
                                            role="staff", action="approve", from_state=a.state, to_state="approved",
                                            mw_before=a.mw, mw_after=a.mw, reason="half", detail="{}"))
        print(json.dumps({"result": "written, not committed"}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    elif what == "churn":
        n = 0
        while True:
            a = reg.apply("ali@example.org", "applicant", applicant="ali@example.org", profile="bitcoin_mine",
                          site=f"churn {n}", lon=70.0, lat=30.0, grid_node_id="n2", mw=0.5, cells=ALL_YEAR)
            reg.act(a.id, "hold", "sam", "staff", expected_version=1, reason="churn", hold_until=__import__("datetime").date(2027, 1, 1))
            n += 1
            print(json.dumps({"done": n}), flush=True)


if __name__ == "__main__":
    main()
