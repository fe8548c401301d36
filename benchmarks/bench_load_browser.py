"""Many users at once: N browser sessions on one Streamlit server, each opening the default view and changing a
weight, at the same time (one headless Chromium, one context per session, driven concurrently with asyncio).

    python benchmarks/bench_load_browser.py [--sessions 20] [--query res=6] [--timeout 300] [--json FILE]
                                    [--markdown docs/performance/load-browser.md]

The sessions open the page at once; when every map is drawn, all of them change a weight at the same moment (the
hardest case for one server). Per session: the time from navigation to a drawn map; from the weight change
(keyboard on a sidebar slider) to the re-drawn map; and the server's turnaround, read off the page's WebSocket
(from the message asking for the rerun to the one saying it finished), which leaves out the browser's own
drawing. Prints the median and 95th percentile of each, the errors (a Python exception on the page, a timeout, a
map that never redrew), where the CPU went in each phase (the server against everything, so the browsers), and
the server's peak memory. Bounded: every wait has a timeout and the whole run stops at --timeout seconds.
Asserts nothing; ``--markdown`` writes the figures as a table for the docs, with the date and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the shared helper module

import benchreport  # noqa: E402
from appserver import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    COUNT_RUNS_JS,
    MAP_DRAWN,
    MAP_IFRAME,
    SITE_SIGNATURE_JS,
    AppServer,
)
from playwright.async_api import Error as PlaywrightError  # noqa: E402

SLIDER_LABEL = "Hours above 35 °C"
TARGET_REDRAW_P95_S = 3.0


async def drawn_frame(page: Any, deadline: float, not_signature: str | None = None) -> tuple[Any, str]:
    """The map frame once Leaflet has drawn (and, with ``not_signature``, once its site layers changed)."""
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.is_detached() or "st_folium" not in frame.url:
                continue
            try:
                if await frame.locator(MAP_DRAWN).count() > 0:
                    sig = await frame.evaluate(SITE_SIGNATURE_JS)
                    if not_signature is None or sig != not_signature:
                        return frame, sig
            except PlaywrightError:  # the frame went away while we looked
                continue
        await asyncio.sleep(0.05)
    raise TimeoutError("no drawn map" if not_signature is None else "the map did not redraw")


class ServerClock:
    """The server's side of a redraw, read off the page's WebSocket: from the message that asks for a rerun (a
    BackMsg ``rerun_script``) to the one that says the script finished (a ForwardMsg ``script_finished``). This is
    what the server takes, queueing included, apart from the browser's own drawing."""

    def __init__(self) -> None:
        self.asked: float | None = None
        self.finished: float | None = None

    def attach(self, page: Any) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: PLC0415
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: PLC0415

        def on_socket(ws: Any) -> None:
            def sent(payload: Any) -> None:
                if self.asked is None and isinstance(payload, bytes | bytearray):
                    msg = BackMsg()
                    msg.ParseFromString(bytes(payload))
                    if msg.WhichOneof("type") == "rerun_script":
                        self.asked = time.perf_counter()

            def received(payload: Any) -> None:
                if self.asked is not None and self.finished is None and isinstance(payload, bytes | bytearray):
                    msg = ForwardMsg()
                    msg.ParseFromString(bytes(payload))
                    if msg.WhichOneof("type") == "script_finished":
                        self.finished = time.perf_counter()

            ws.on("framesent", sent)
            ws.on("framereceived", received)

        page.on("websocket", on_socket)

    def seconds(self) -> float | None:
        return None if self.asked is None or self.finished is None else self.finished - self.asked


async def open_session(browser: Any, url: str, k: int, deadline: float) -> dict[str, Any]:
    """One user opens the page and waits for the map."""
    out: dict[str, Any] = {"session": k, "errors": []}
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(COUNT_RUNS_JS)
    page = await context.new_page()
    page.on("pageerror", lambda e: out["errors"].append(str(e)))
    clock = ServerClock()
    clock.attach(page)
    out.update(context=context, page=page, clock=clock)
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=max(1.0, deadline - time.monotonic()) * 1000)
        _, out["signature"] = await drawn_frame(page, deadline)
        out["first_map_s"] = time.perf_counter() - t0
        await page.locator(MAP_IFRAME).first.wait_for(timeout=30_000)
    except (PlaywrightError, TimeoutError) as e:  # reported, not raised: one failing session must not hide the others
        out["errors"].append(f"{type(e).__name__}: {e}".splitlines()[0])
    return out


async def change_weight(out: dict[str, Any], deadline: float, start: asyncio.Event) -> None:
    """The same user moves a weight slider when ``start`` is set, and waits for the map to redraw."""
    page = out["page"]
    try:
        thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
            has=page.locator('[data-testid="stWidgetLabel"]', has_text=SLIDER_LABEL)).get_by_role("slider")
        await thumb.focus()
        await start.wait()
        t1 = time.perf_counter()
        await thumb.press("End" if out["session"] % 2 == 0 else "Home")
        await drawn_frame(page, deadline, not_signature=out["signature"])
        out["redraw_s"] = time.perf_counter() - t1
        out["server_s"] = out["clock"].seconds()
        exc = await page.locator('[data-testid="stException"]').count()
        if exc:
            out["errors"].append(f"{exc} Python exception(s) shown")
    except (PlaywrightError, TimeoutError) as e:
        out["errors"].append(f"{type(e).__name__}: {e}".splitlines()[0])


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


async def run(url: str, sessions: int, timeout: float,
              marks: dict[str, tuple[float, float | None, float | None]] | None = None,
              meter: Any = lambda: (None, None)) -> list[dict[str, Any]]:
    """Open ``sessions`` pages at once; when every map is drawn, all of them change a weight at the same moment.
    ``marks`` receives (clock, server CPU s, machine busy CPU s) at the start, at the moment of the change and at
    the end, from ``meter``."""
    marks = {} if marks is None else marks
    marks["start"] = (time.perf_counter(), *meter())
    from playwright.async_api import async_playwright  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            opened = list(await asyncio.gather(*(open_session(browser, url, k, deadline) for k in range(sessions))))
            ready = [o for o in opened if not o["errors"]]
            start = asyncio.Event()
            changes = [asyncio.ensure_future(change_weight(o, deadline, start)) for o in ready]
            await asyncio.sleep(1.0)  # every thumb focused (the pages are idle: all maps are drawn)
            marks["change"] = (time.perf_counter(), *meter())
            start.set()
            await asyncio.gather(*changes)
            marks["end"] = (time.perf_counter(), *meter())
            for o in opened:
                await o.pop("context").close()
                o.pop("page", None)
                o.pop("clock", None)
            return opened
        finally:
            await browser.close()


def server_peak_mb(server: AppServer) -> float | None:
    """The Streamlit process's peak resident memory (VmHWM), Linux only."""
    try:
        status = Path(f"/proc/{server.proc.pid}/status").read_text()
    except (OSError, AttributeError):
        return None
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else None


def process_cpu_s(pid: int) -> float | None:
    """User plus system CPU seconds used so far by one process (all its threads), Linux only."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_s() -> float | None:
    """CPU seconds the whole machine spent busy (every core, not idle or waiting), Linux only."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--query", default="", help="page address parameters, e.g. res=8")
    ap.add_argument("--timeout", type=float, default=300.0, help="the whole run stops after this many seconds")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path, help="also write the figures as a Markdown table to this file (the docs' copy)")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"bench_load needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    with AppServer() as server:
        url = server.url + (f"?{args.query}" if args.query else "")
        # one session first, so the server's caches (data, criteria, map layers) are warm as in production
        warm = asyncio.run(run(url, 1, args.timeout))
        pid = server.proc.pid if server.proc else 0
        marks: dict[str, tuple[float, float | None, float | None]] = {}
        results = asyncio.run(run(url, args.sessions, args.timeout, marks, lambda: (process_cpu_s(pid), machine_cpu_s())))
        peak = server_peak_mb(server)
    ok = [r for r in results if not r["errors"] and "redraw_s" in r]
    firsts = [r["first_map_s"] for r in results if "first_map_s" in r]
    redraws = [r["redraw_s"] for r in ok]
    served = [r["server_s"] for r in ok if r.get("server_s") is not None]

    def phase(a: str, b: str) -> dict[str, float | None]:
        """Wall time and where the CPU went between two marks: the Streamlit server, and everything (browsers too)."""
        if a not in marks or b not in marks:
            return {"wall_s": None, "server_cpu_s": None, "machine_busy_cpu_s": None}
        (t0, s0, m0), (t1, s1, m1) = marks[a], marks[b]
        return {"wall_s": round(t1 - t0, 1),
                "server_cpu_s": round(s1 - s0, 1) if s0 is not None and s1 is not None else None,
                "machine_busy_cpu_s": round(m1 - m0, 1) if m0 is not None and m1 is not None else None}

    def stats(values: list[float]) -> str | None:
        return f"{statistics.median(values):.2f} / {p95(values):.2f}" if values else None

    summary = {
        "sessions": args.sessions, "query": args.query, "sessions_ok": len(ok),
        "errors": [f"session {r['session']}: {e}" for r in results for e in r["errors"]],
        "warm_up_first_map_s": round(warm[0].get("first_map_s", float("nan")), 2),
        "first_map_median_s": round(statistics.median(firsts), 2) if firsts else None,
        "first_map_p95_s": round(p95(firsts), 2) if firsts else None,
        "redraw_median_s": round(statistics.median(redraws), 2) if redraws else None,
        "redraw_p95_s": round(p95(redraws), 2) if redraws else None,
        "server_turnaround_median_s": round(statistics.median(served), 2) if served else None,
        "server_turnaround_p95_s": round(p95(served), 2) if served else None,
        "opening": phase("start", "change"),
        "weight_change": phase("change", "end"),
        "server_peak_mb": round(peak) if peak else None,
    }
    print(f"{args.sessions} sessions on one server ({args.query or 'default view'}), opened at once; when every map "
          "was drawn, each changed a weight at the same moment:")
    rows = [("sessions that finished, of", f"{len(ok)} of {args.sessions}"), ("errors", summary["errors"] or "none"),
            ("first map, median / p95 (s)", stats(firsts)),
            ("redraw after the change, median / p95 (s)", stats(redraws)),
            ("server's turnaround (rerun asked -> finished), median / p95 (s)", stats(served)),
            ("opening: wall s, server CPU s, all CPU s", tuple(summary["opening"].values())),
            ("weight change: wall s, server CPU s, all CPU s", tuple(summary["weight_change"].values())),
            ("server's peak memory (MB)", summary["server_peak_mb"])]
    for label, value in rows:
        print(f"  {label:<66} {value}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        p95_redraw = summary["redraw_p95_s"]
        met = p95_redraw is not None and p95_redraw < TARGET_REDRAW_P95_S and len(ok) == args.sessions
        table = [[label, "none" if value == [] else (", ".join(map(str, value)) if isinstance(value, list | tuple)
                                                    else value)] for label, value in rows]
        table.append([f"target: redraw p95 < {TARGET_REDRAW_P95_S:g} s, no errors", "met" if met else "**missed**"])
        body = benchreport.table(["figure", "measured"], table) + (
            f"\n{args.sessions} headless Chromium pages ({args.query or 'default view'}) on one server process and the "
            "same CPUs; they open the page together and, when every map is drawn, all change a weight at the same "
            "moment. The server's turnaround is read off each page's WebSocket.\n")
        benchreport.write(args.markdown, body=body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
