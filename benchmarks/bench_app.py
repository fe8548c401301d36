"""How fast the web app feels in a real browser: the Streamlit app on a free localhost port, driven by the
system's headless Chromium (/usr/bin/chromium) through Playwright.

    python benchmarks/bench_app.py [--repeat 3] [--query res=8] [--markdown docs/performance/app.md]
                                                       (or: make bench-app)

Prints, against the targets:
  * first map: navigation to a drawn Leaflet map, on a cold server (one load) and a warm one (median of
    --repeat loads, each in a fresh browser context, so nothing comes from the browser's cache);
  * update: a weight change (keyboard on a sidebar slider, one step down each time, so every change is a ranking
    not made before) to the script run being over and to the new map
    being drawn (st_folium re-creates its iframe for a changed map; median of --repeat), and whether the
    site card heading ("#<rank> · <place>") changed;
  * map payload: the bytes of the websocket message that carries the map (st_folium's render data: HTML,
    script, GeoJSON and the image overlays as data URLs), the map iframe's DOM size, and all bytes one page
    load transfers (HTTP as the browser's network log counts them, plus websocket frames).
Asserts nothing: tests check behaviour, this measures; ``--markdown`` writes the figures as a table for the docs,
with the date and the machine. The server/browser helpers live in tests/appserver.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the shared helper module

import benchreport  # noqa: E402
from appserver import (  # noqa: E402
    CHROMIUM,
    COUNT_RUNS_JS,
    AppServer,
    finished_runs,
    launch_chromium,
    set_slider,
    site_heading,
    site_signature,
    wait_for_map,
    wait_for_runs,
    wait_for_sites_redrawn,
    wait_until_idle,
)

TARGET_FIRST_MAP_S = 5.0
TARGET_UPDATE_S = 1.0
TARGET_PAYLOAD_BYTES = 5_000_000
MAP_MARKER = b"streamlit_folium.st_folium"  # the component's name, in the message that renders the map


class Traffic:
    """Bytes a page receives: HTTP responses (Chrome's encodedDataLength, headers included) and websocket
    frames; remembers the largest websocket message that carries the map."""

    def __init__(self, context: Any, page: Any) -> None:
        self.http = 0
        self.ws = 0
        self.map_msgs: list[int] = []
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.loadingFinished", self._finished)
        page.on("websocket", self._socket)

    def _finished(self, event: dict[str, Any]) -> None:
        self.http += int(event.get("encodedDataLength", 0))

    def _socket(self, ws: Any) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: bytes | str) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.ws += len(data)
        if MAP_MARKER in data:
            self.map_msgs.append(len(data))


def new_page(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(COUNT_RUNS_JS)
    return context, context.new_page()


def load(browser: Any, url: str) -> dict[str, Any]:
    """One page load in a fresh context: time to the drawn map, and what was transferred until the page was idle."""
    context, page = new_page(browser)
    traffic = Traffic(context, page)
    t0 = time.perf_counter()
    page.goto(url)
    frame = wait_for_map(page, timeout=300)
    first_map = time.perf_counter() - t0
    wait_until_idle(page)
    page.wait_for_timeout(500)  # late responses (fonts, images) still count towards the total
    dom = frame.evaluate("document.documentElement.outerHTML.length")
    images = frame.evaluate("[...document.querySelectorAll('img.leaflet-image-layer')].map(i => i.src.length)")
    return {"first_map": first_map, "http": traffic.http, "ws": traffic.ws, "map_msg": max(traffic.map_msgs, default=0),
            "dom": dom, "images": images, "context": context, "page": page}


def update(page: Any, step: int) -> dict[str, float]:
    """Move a weight down by one step (each update a value not ranked before, so nothing comes from the ranking
    cache shared between sessions) and time the app's response."""
    before = site_signature(wait_for_map(page, timeout=30))
    runs = finished_runs(page)
    heading = site_heading(page)
    t0 = time.perf_counter()
    set_slider(page, "Hours above 35 °C", "ArrowLeft")
    wait_for_runs(page, runs + 1)
    t_run = time.perf_counter() - t0
    wait_for_sites_redrawn(page, before, timeout=60)
    t_map = time.perf_counter() - t0
    wait_until_idle(page)
    return {"run": t_run, "map": t_map, "card_changed": float(site_heading(page) != heading)}


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--query", default="", help="page address parameters, e.g. res=8 (the national-scale view)")
    ap.add_argument("--update-target", type=float, default=TARGET_UPDATE_S,
                    help="seconds a weight change may take until the new map is drawn (0.8 at resolution 8)")
    ap.add_argument("--markdown", type=Path, help="also write the figures as a Markdown table to this file (the docs' copy)")
    args = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        print("bench_app needs the playwright package: pip install -e '.[app,test]'", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"bench_app needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)", file=sys.stderr)
        return 2

    t = time.perf_counter()
    with AppServer() as server, sync_playwright() as p:
        chromium = ""
        print(f"streamlit up in {time.perf_counter() - t:.1f} s at {server.url} (python {sys.version.split()[0]})")
        browser = launch_chromium(p)
        chromium = browser.version
        print(f"chromium {chromium}, headless\n")

        url = server.url + (f"?{args.query}" if args.query else "")
        cold = load(browser, url)
        cold["context"].close()
        warm = []
        for _ in range(args.repeat):
            r = load(browser, url)
            warm.append(r)
            if len(warm) < args.repeat:
                r["context"].close()
        page = warm[-1]["page"]
        updates = [update(page, i) for i in range(args.repeat)]
        warm[-1]["context"].close()
        browser.close()

    med = statistics.median
    first = med(r["first_map"] for r in warm)
    upd_map = med(u["map"] for u in updates)
    upd_run = med(u["run"] for u in updates)
    last = warm[-1]
    payload = last["map_msg"]
    total = last["http"] + last["ws"]
    mb = 1_000_000
    print(f"first map, cold server          {cold['first_map']:6.2f} s   (one load; caches empty)")
    print(f"first map, warm server          {first:6.2f} s   median of {args.repeat}: "
          + ", ".join(f"{r['first_map']:.2f}" for r in warm)
          + f"   target < {TARGET_FIRST_MAP_S:g} s: {verdict(first < TARGET_FIRST_MAP_S)}")
    print(f"weight change -> script done    {upd_run:6.2f} s   median of {args.repeat}: "
          + ", ".join(f"{u['run']:.2f}" for u in updates))
    print(f"weight change -> new map drawn  {upd_map:6.2f} s   median of {args.repeat}: "
          + ", ".join(f"{u['map']:.2f}" for u in updates)
          + f"   target < {args.update_target:g} s: {verdict(upd_map < args.update_target)}")
    print(f"site card heading changed in {sum(u['card_changed'] for u in updates):.0f} of {len(updates)} updates")
    print(f"map payload (websocket message) {payload / mb:6.2f} MB  ({payload:,} bytes)"
          f"   target < {TARGET_PAYLOAD_BYTES / mb:g} MB: {verdict(0 < payload < TARGET_PAYLOAD_BYTES)}")
    print(f"  map iframe DOM                {last['dom'] / mb:6.2f} MB  (outerHTML characters; image overlays as data "
          f"URLs: {', '.join(f'{n:,}' for n in last['images'])} characters)")
    print(f"total transferred, warm load    {total / mb:6.2f} MB  (HTTP {last['http']:,} + websocket {last['ws']:,} bytes)")
    print(f"total transferred, cold load    {(cold['http'] + cold['ws']) / mb:6.2f} MB")
    if args.markdown:
        def each(values: list[float]) -> str:
            return ", ".join(f"{v:.2f}" for v in values)
        rows = [
            ["first map, newly started server (one load)", f"{cold['first_map']:.2f} s", ""],
            [f"first map, warm server (median of {args.repeat})",
             f"{first:.2f} s ({each([r['first_map'] for r in warm])})",
             f"< {TARGET_FIRST_MAP_S:g} s: {'met' if first < TARGET_FIRST_MAP_S else '**missed**'}"],
            [f"weight change until the script run is over (median of {args.repeat})",
             f"{upd_run:.2f} s ({each([u['run'] for u in updates])})", ""],
            [f"weight change until the new ranking is drawn on the map (median of {args.repeat})",
             f"{upd_map:.2f} s ({each([u['map'] for u in updates])})",
             f"< {args.update_target:g} s: {'met' if upd_map < args.update_target else '**missed**'}"],
            ["what a change sends to the browser (the largest WebSocket message with the map)", f"{payload / mb:.2f} MB",
             f"< {TARGET_PAYLOAD_BYTES / mb:g} MB: {'met' if 0 < payload < TARGET_PAYLOAD_BYTES else '**missed**'}"],
            ["the map iframe's page (characters)", f"{last['dom'] / mb:.2f} MB", ""],
            ["all a page load transfers, warm / cold server", f"{total / mb:.2f} MB / {(cold['http'] + cold['ws']) / mb:.2f} MB",
             ""]]
        body = benchreport.table(["figure", "measured", "target"], rows) + (
            f"\nThe app on the built-in data ({args.query or 'default view, resolution 6'}) in headless Chromium "
            f"{chromium} at 1400 x 1000, on the same CPUs as the server; each warm load in a fresh browser context. A "
            "weight change moves the \"Hours above 35 °C\" slider one step down, so every change is a ranking not "
            "made before.\n")
        benchreport.write(args.markdown, body=body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
