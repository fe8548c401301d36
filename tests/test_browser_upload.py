"""A hostile upload in a real browser: a GeoJSON whose properties carry script payloads.

Uploaded through the "Your data" tab as a connectivity layer, it must be used (it is a valid layer), no
script may run (no alert dialog, no injected element), and the text must show literally, escaped, in
the map's tooltips and in the page. The user's other settings must survive the upload.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appserver import (
    COUNT_RUNS_JS,
    AppServer,
    is_local,
    launch_chromium,
    upload_in_your_data,
    wait_for_map,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def _sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:  # the browser tests in test_browser.py decide skip vs fail the same way
        pytest.skip("playwright is not installed")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    return sync_playwright


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    sync_playwright = _sync_playwright()
    with AppServer() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(COUNT_RUNS_JS)
        urls: list[str] = []
        dialogs: list[str] = []
        context.on("request", lambda r: urls.append(r.url))
        pg = context.new_page()
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.set_default_timeout(60_000)
        pg.goto(server.url + "?mw=70")
        wait_for_map(pg, timeout=180)
        wait_until_idle(pg)
        pg.sf_dialogs = dialogs  # type: ignore[attr-defined]
        pg.sf_urls = urls  # type: ignore[attr-defined]
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def test_script_payload_upload_runs_no_script_and_shows_escaped(page: Any, tmp_path: Path) -> None:
    payload = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"Landing {SCRIPT}", "type": f"data_centre {IMG}"},
         "geometry": {"type": "Point", "coordinates": [67.05, 24.9]}},
        {"type": "Feature", "properties": {"name": f"Exchange {IMG}", "type": "internet_exchange"},
         "geometry": {"type": "Point", "coordinates": [73.05, 33.7]}},
    ]}
    path = tmp_path / "payload.geojson"
    path.write_text(json.dumps(payload), encoding="utf-8")

    upload_in_your_data(page, "Connectivity (cable landings, exchanges, data centres)", path,
                        kind_ready="add to the built-in layer", file_ready=page.get_by_text("Which column holds what?"))
    page.get_by_role("button", name="Use this file").click()
    page.get_by_text("now come from payload.geojson").wait_for(timeout=60_000)
    wait_until_idle(page)

    # The page itself: the file name shows as text; no element was injected.
    assert page.locator("img[src='x']").count() == 0
    assert page.get_by_text("payload.geojson").count() >= 1

    page.get_by_role("tab", name="Map and ranking").click()
    frame = wait_for_map(page, timeout=60)
    # Open every tooltip of the map's layers (again until the uploaded layer is drawn), then read what a
    # person would see.
    frame.wait_for_function("""() => { const m = window.map_div; if (!m) return false;
        m.eachLayer(l => { if (l.getTooltip && l.getTooltip()) { try { l.openTooltip(); } catch (e) {} } });
        return [...document.querySelectorAll('.leaflet-tooltip')].some(t => t.textContent.includes('Landing')); }""",
                            timeout=60_000)
    texts = frame.evaluate("() => [...document.querySelectorAll('.leaflet-tooltip')].map(t => t.textContent)")
    shown = " ".join(texts)
    assert SCRIPT in shown, f"the payload text is not shown literally in a tooltip: {texts[:5]}"
    assert IMG in shown
    injected = frame.evaluate("""() => ({
        scripts: [...document.querySelectorAll('.leaflet-container script')].length,
        imgs: [...document.querySelectorAll('.leaflet-container img')].filter(i => i.getAttribute('src') === 'x').length,
        onerror: [...document.querySelectorAll('[onerror]')].length })""")
    assert injected == {"scripts": 0, "imgs": 0, "onerror": 0}
    # An injected handler would fire when an image settles: wait until every image in the page and the map
    # has finished loading (or failing), and one more turn of each event loop, before reading the dialogs.
    for where in (page, frame):
        where.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=30_000)
        where.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
    assert page.sf_dialogs == [], f"a script ran: {page.sf_dialogs}"
    # The user's settings survived the upload.
    assert "mw=70" in page.url
    outside = sorted({u for u in page.sf_urls if not is_local(u)})
    assert outside == [], f"requests left the machine: {outside}"
