"""Many users at once: N browser sessions on one Streamlit server, each opening the default view and changing a
weight, at the same time (one headless Chromium, one context per session, driven concurrently with asyncio).

    python benchmarks/bench_load.py [--sessions 20] [--query res=6] [--timeout 300] [--json FILE]

Per session: the time from navigation to a drawn map, and from the weight change (keyboard on a sidebar slider) to
the re-drawn map. Prints the median and 95th percentile of each, the errors (a Python exception on the page, a
timeout, a map that never redrew), and the server's peak memory. Bounded: every wait has a timeout and the whole
run stops at --timeout seconds. Asserts nothing; the figures go in the README.
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


async def session(browser: Any, url: str, k: int, deadline: float) -> dict[str, Any]:
    """One user: open the page, wait for the map, change a weight, wait for the new map."""
    out: dict[str, Any] = {"session": k}
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(COUNT_RUNS_JS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=(deadline - time.monotonic()) * 1000)
        _, before = await drawn_frame(page, deadline)
        out["first_map_s"] = time.perf_counter() - t0
        await page.locator(MAP_IFRAME).first.wait_for(timeout=30_000)
        thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
            has=page.locator('[data-testid="stWidgetLabel"]', has_text=SLIDER_LABEL)).get_by_role("slider")
        await thumb.focus()
        t1 = time.perf_counter()
        await thumb.press("End" if k % 2 == 0 else "Home")
        await drawn_frame(page, deadline, not_signature=before)
        out["redraw_s"] = time.perf_counter() - t1
        exc = await page.locator('[data-testid="stException"]').count()
        if exc:
            errors.append(f"{exc} Python exception(s) shown")
    except (PlaywrightError, TimeoutError) as e:  # reported, not raised: one failing session must not hide the others
        errors.append(f"{type(e).__name__}: {e}".splitlines()[0])
    finally:
        await context.close()
    out["errors"] = errors
    return out


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


async def run(url: str, sessions: int, timeout: float) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return list(await asyncio.gather(*(session(browser, url, k, deadline) for k in range(sessions))))
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
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"bench_load needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    with AppServer() as server:
        url = server.url + (f"?{args.query}" if args.query else "")
        # one session first, so the server's caches (data, criteria, map layers) are warm as in production
        warm = asyncio.run(run(url, 1, args.timeout))
        pid = server.proc.pid if server.proc else 0
        cpu0, busy0 = process_cpu_s(pid), machine_cpu_s()
        t = time.perf_counter()
        results = asyncio.run(run(url, args.sessions, args.timeout))
        wall = time.perf_counter() - t
        cpu1, busy1 = process_cpu_s(pid), machine_cpu_s()
        peak = server_peak_mb(server)
    ok = [r for r in results if not r["errors"] and "redraw_s" in r]
    firsts = [r["first_map_s"] for r in results if "first_map_s" in r]
    redraws = [r["redraw_s"] for r in ok]
    summary = {
        "sessions": args.sessions, "query": args.query, "sessions_ok": len(ok),
        "errors": [f"session {r['session']}: {e}" for r in results for e in r["errors"]],
        "warm_up_first_map_s": round(warm[0].get("first_map_s", float("nan")), 2),
        "first_map_median_s": round(statistics.median(firsts), 2) if firsts else None,
        "first_map_p95_s": round(p95(firsts), 2) if firsts else None,
        "redraw_median_s": round(statistics.median(redraws), 2) if redraws else None,
        "redraw_p95_s": round(p95(redraws), 2) if redraws else None,
        "wall_s": round(wall, 1), "server_peak_mb": round(peak) if peak else None,
        # where the machine's CPU went during the run: the Streamlit server against everything else (the browsers)
        "server_cpu_s": round(cpu1 - cpu0, 1) if cpu0 is not None and cpu1 is not None else None,
        "machine_busy_cpu_s": round(busy1 - busy0, 1) if busy0 is not None and busy1 is not None else None,
    }
    print(f"{args.sessions} concurrent sessions on one server ({args.query or 'default view'}):")
    for k, v in summary.items():
        print(f"  {k:<22} {v}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
