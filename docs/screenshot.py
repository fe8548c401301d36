"""Take the screenshot the README and the docs show (docs/img/app.png): the real app on the built-in data, in
the system's headless Chromium at 1400 x 1000, once the map has drawn and its image overlays have loaded.

    .venv/bin/python docs/screenshot.py [--out docs/img/app.png] [--query res=6]

Uses the same server and browser helpers as the browser tests (tests/appserver.py); never downloads a browser.
Look at the picture before committing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the shared helper module

from appserver import (  # noqa: E402
    CHROMIUM,
    COUNT_MOVES_JS,
    AppServer,
    launch_chromium,
    wait_for_map,
    wait_for_map_still,
    wait_until_idle,
)


def main() -> int:
    """Start the app, wait for the drawn map, write the screenshot; 2 when Playwright or Chromium is missing."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "app.png")
    ap.add_argument("--query", default="", help="page address parameters, e.g. profile=ai_datacenter")
    args = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        print("screenshot.py needs the playwright package: pip install -e '.[app,test]'", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"screenshot.py needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    with AppServer() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(server.url + (f"?{args.query}" if args.query else ""))
        frame = wait_for_map(page, timeout=300)
        wait_until_idle(page)
        frame.evaluate(COUNT_MOVES_JS)
        wait_for_map_still(frame)
        page.wait_for_timeout(1500)  # fonts and the last paint
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
