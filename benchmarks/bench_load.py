"""Many people at once, measured at the server: browserless sessions (tests/sessionclient.py) on the real app, on
one process and on two processes behind HAProxy (webapp/serve.py), in the same run.

    python benchmarks/bench_load.py [--sessions 20] [--crowd 100] [--browsers 3] [--rerun 30] [--timeout 900]
                                    [--markdown docs/performance/load.md]

First, one session alone: ``--rerun`` weight changes, each a new ranking, then the same ones again (cached), at the
default view and at resolution 8: the median server time of a rerun. Then each set-up runs three phases, the
sessions of a phase all starting at the same moment:

1. **open**: every session opens the page (the first run, as a browser's page load asks for it);
2. **weight**: every session moves a weight slider (a different value each, so every one is a new ranking);
3. **tab**: every session opens a tab, the sessions spread over the seven other tabs.

For each phase it prints the server's turnaround per rerun (from the request to the server's "finished" message),
its p50, p95 and maximum, the errors (a rerun that failed, showed a Python exception or timed out), and the CPU
seconds each server process used. Then, on one process, ``--crowd`` sessions open at once: errors, and memory per
session (the process's resident memory before and after, divided by the sessions). ``--browsers`` real Chromium
sessions on the same server check that what the client measures is what a page sees: their server turnaround for a
weight change, read off the page's own WebSocket (benchmarks/bench_load_browser.py), beside the client's.

Bounded: loopback only, every wait has a timeout, and the whole run stops after ``--timeout`` seconds. Asserts
nothing; ``--markdown`` writes the table for the docs with the machine, the date and the commit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the shared helpers
sys.path.insert(0, str(ROOT))

import benchreport  # noqa: E402
import websockets  # noqa: E402
from appserver import AppServer  # noqa: E402
from sessionclient import Session  # noqa: E402

from webapp.serve import deployment, free_port  # noqa: E402
from webapp.text import TABS  # noqa: E402

QUERY = "profile=bitcoin_mine"
WEIGHT = "Region surplus"


@dataclass
class Phase:
    """One phase's answers: seconds per rerun, errors, and CPU seconds per server process."""

    name: str
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds of one process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, what: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its peak (VmHWM), MB (Linux)."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith(what + ":"))
    return int(line.split()[1]) / 1024


async def _phase(name: str, sessions: list[Session], act: Any, pids: dict[str, int], deadline: float) -> Phase:
    out = Phase(name)
    before = {n: cpu_s(p) for n, p in pids.items()}
    started = time.perf_counter()

    async def one(k: int, s: Session) -> None:
        try:
            run = await asyncio.wait_for(act(k, s), timeout=max(1.0, deadline - time.monotonic()))
        except (TimeoutError, OSError, LookupError, websockets.exceptions.WebSocketException) as exc:
            # no answer in time, a connection lost or refused, a widget not on the page: counted as errors
            out.errors.append(f"session {k}: {type(exc).__name__}: {exc}".splitlines()[0][:200])
            return
        if run.exception or run.status != "FINISHED_SUCCESSFULLY":
            out.errors.append(f"session {k}: {run.status} {run.exception or ''}".strip())
        out.seconds.append(run.seconds)

    await asyncio.gather(*(one(k, s) for k, s in enumerate(sessions)))
    out.wall_s = time.perf_counter() - started
    out.cpu_s = {n: cpu_s(p) - before[n] for n, p in pids.items()}
    return out


async def measure(ws_url: str, n: int, pids: dict[str, int], deadline: float) -> list[Phase]:
    """The three phases with ``n`` sessions on the server(s) behind ``ws_url``."""
    sessions = [Session(ws_url, query=QUERY, timeout=max(1.0, deadline - time.monotonic())) for _ in range(n)]
    await asyncio.gather(*(s.connect() for s in sessions))
    try:
        tabs = [t for t in TABS if t != TABS[0]]
        phases = [await _phase("open", sessions, lambda k, s: s.rerun(), pids, deadline),
                  await _phase("weight", sessions, lambda k, s: s.set_slider(WEIGHT, float(40 + k)), pids, deadline),
                  await _phase("tab", sessions, lambda k, s: s.open_tab(tabs[k % len(tabs)]), pids, deadline)]
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return phases


async def crowd(ws_url: str, n: int, pid: int, deadline: float) -> tuple[Phase, float, float]:
    """``n`` sessions open at once on one process: the phase, and memory before and after (MB)."""
    before = memory_mb(pid)
    sessions = [Session(ws_url, query=QUERY, timeout=max(1.0, deadline - time.monotonic())) for _ in range(n)]
    await asyncio.gather(*(s.connect() for s in sessions))
    try:
        phase = await _phase(f"open x{n}", sessions, lambda k, s: s.rerun(), {"server": pid}, deadline)
        after = memory_mb(pid)
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return phase, before, after


async def one_session(ws_url: str, query: str, n: int, start: float = 21.0
                      ) -> tuple[list[float], list[float], list[str]]:
    """One session alone on the server: ``n`` weight changes (``start``, ``start`` + 1, ...), each to a value not
    ranked before (a new ranking), then the same ``n`` values again (each ranking cached: what every rerun costs
    besides ranking). Seconds of server turnaround for each, and errors."""
    new, again, errors = [], [], []
    async with Session(ws_url, query=query) as s:
        await s.rerun()
        await s.set_slider(WEIGHT, 20.0)  # the first change makes the per-ranking arrays (not counted)
        for values, out in ((range(n), new), (range(n), again)):
            for k in values:
                run = await s.set_slider(WEIGHT, start + k)
                out.append(run.seconds)
                if run.exception or run.status != "FINISHED_SUCCESSFULLY":
                    errors.append(f"{query}: {run.status} {run.exception or ''}".strip())
    return new, again, errors


async def warm(ws_url: str) -> None:
    """One session through every phase first: the caches every later session shares are made (what the first
    visitor of a new server pays, measured by bench_app.py, not here)."""
    async with Session(ws_url, query=QUERY) as s:
        await s.rerun()
        await s.set_slider(WEIGHT, 39.0)
        for tab in TABS[1:]:
            await s.open_tab(tab)


def _rows(setup: str, phases: list[Phase]) -> list[list[object]]:
    rows = []
    for ph in phases:
        s = ph.seconds or [float("nan")]
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in ph.cpu_s.items())
        rows.append([setup, ph.name, len(ph.seconds), f"{statistics.median(s):.2f}", f"{p95(s):.2f}", f"{max(s):.2f}",
                     len(ph.errors), cpu])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--crowd", type=int, default=100, help="sessions opened at once on one process (0: skip)")
    ap.add_argument("--browsers", type=int, default=3, help="real Chromium sessions for the check (0: skip)")
    ap.add_argument("--rerun", type=int, default=30, help="weight changes of one session alone (0: skip)")
    ap.add_argument("--timeout", type=float, default=900.0, help="the whole run stops after this many seconds")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    rows: list[list[object]] = []
    notes: list[str] = []
    errors: list[str] = []

    single: list[list[object]] = []
    for label, query, target in (("default view (resolution 6)", QUERY, "≤ 0.1 s"),
                                 ("resolution 8", QUERY + "&res=8", "")):
        if args.rerun:  # each on a server of its own, warmed by one session first
            with AppServer() as alone:
                ws = f"ws://127.0.0.1:{alone.port}/_stcore/stream"
                asyncio.run(one_session(ws, query, 5, start=90.0))  # other values than measured
                new, again, errs = asyncio.run(one_session(ws, query, args.rerun))
            errors += errs
            single.append([label, f"{statistics.median(new):.3f} s", f"{p95(new):.3f} s",
                           f"{statistics.median(again):.3f} s", len(errs), target])

    with AppServer() as server:
        ws = f"ws://127.0.0.1:{server.port}/_stcore/stream"
        pid = server.proc.pid  # type: ignore[union-attr]
        asyncio.run(warm(ws))
        one = asyncio.run(measure(ws, args.sessions, {"server": pid}, deadline))
        rows += _rows("1 process", one)
        errors += [e for ph in one for e in ph.errors]
        if args.crowd:
            phase, before, after = asyncio.run(crowd(ws, args.crowd, pid, deadline))
            rows += _rows("1 process", [phase])
            errors += phase.errors
            per = (after - before) / args.crowd
            notes.append(f"{args.crowd} sessions open at once on one process: {len(phase.errors)} errors; resident "
                         f"memory {before:,.0f} MB before, {after:,.0f} MB with them open: "
                         + (f"{per:,.1f} MB per session" if per >= 0.1 else
                            "under 0.1 MB per session, within the process's own ups and downs (a session keeps its "
                            "settings; rankings, maps and data are shared)")
                         + f"; peak {memory_mb(pid, 'VmHWM'):,.0f} MB.")
        if args.browsers:
            import bench_load_browser  # noqa: PLC0415  (Playwright only when asked)

            marks: dict[str, tuple[float, float | None, float | None]] = {}
            opened = asyncio.run(bench_load_browser.run(
                server.url, args.browsers, max(60.0, deadline - time.monotonic()), marks,
                lambda: (bench_load_browser.process_cpu_s(pid), bench_load_browser.machine_cpu_s())))
            seen = [o["server_s"] for o in opened if "server_s" in o]
            client = asyncio.run(measure(ws, args.browsers, {"server": pid}, deadline))[1].seconds
            (t0, s0, m0), (t1, s1, m1) = marks.get("change", (0.0, None, None)), marks.get("end", (0.0, None, None))
            where = (f" While the browsers' weight change ran ({t1 - t0:.1f} s), the server used {s1 - s0:.1f} CPU-s "
                     f"and the whole machine {m1 - m0:.1f}: the rest, {m1 - m0 - (s1 - s0):.1f} CPU-s, was the "
                     "browsers drawing their pages on the same 2 CPUs, which slows the server's own turnaround; a "
                     "visitor's browser runs on their own machine." if None not in (s0, s1, m0, m1) else "")
            notes.append(f"Check against real browsers: {args.browsers} Chromium sessions changing a weight together, "
                         f"server turnaround read off each page's WebSocket: median {statistics.median(seen):.2f} s "
                         f"(max {max(seen):.2f}); the client's {args.browsers} sessions doing the same: median "
                         f"{statistics.median(client):.2f} s (max {max(client):.2f}).{where}" if seen and client else
                         f"Check against real browsers: no figure ({[o.get('errors') for o in opened]}).")

    with deployment(2, free_port(), env={}) as dep:
        ws = dep.url.replace("http://", "ws://") + "_stcore/stream"
        pids = {r.name: r.proc.pid for r in dep.replicas if r.proc is not None}
        for _ in range(2):  # warm each process (the proxy sends new sessions to the least busy one)
            asyncio.run(warm(ws))
        two = asyncio.run(measure(ws, args.sessions, pids, deadline))
        rows += _rows("2 processes + HAProxy", two)
        errors += [e for ph in two for e in ph.errors]

    header = ["set-up", "phase", "reruns", "p50 (s)", "p95 (s)", "max (s)", "errors", "CPU s per process"]
    single_header = ["one session, a weight change", "new ranking: median", "p95", "same ranking again: median",
                     "errors", "target"]
    if single:
        print(benchreport.table(single_header, single))
    print(benchreport.table(header, rows))
    for n in notes:
        print(n)
    for e in errors[:20]:
        print("error:", e)
    if args.markdown:
        body = "\n\n".join([*([benchreport.table(single_header, single),
                                 f"One session alone on a server of its own (warmed by one session first), "
                                 f"{args.rerun} weight changes each to a value not ranked before, then the same values "
                                 "again (the ranking cached: what a rerun costs besides the ranking). The server's "
                                 "turnaround, as below."] if single else []),
                               benchreport.table(header, rows), *notes,
                            f"Targets: 20 sessions changing a weight at once, p95 ≤ 3 s on one process and ≤ 2 s on two; "
                            f"{args.crowd} sessions open at once with no errors."])
        benchreport.write(args.markdown, body=body, compared=(
            "Compared: one server process against two behind HAProxy on the same 2 CPUs, in the same run. Sessions are "
            "browserless (tests/sessionclient.py): the figures are the server's turnaround, from the rerun request to "
            "its 'finished' message, which is what the server owes; each visitor's own browser then draws the page."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
