"""The network model in the real app: a shortlisted site's card names its zone, what limits its surplus and the price
of serving it, and the map has a layer of the zones and their interfaces, labelled with their limits and flows.

The figures the page must show are read from the app's own CSV download (so the export carries them too) and from
the built-in interfaces layer. Needs Playwright and /usr/bin/chromium, as tests/test_browser.py does; screenshots go
to tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from appserver import (
    COUNT_RUNS_JS,
    AppServer,
    PlaywrightError,
    download,
    finished_runs,
    launch_chromium,
    site_heading,
    wait_for_map,
    wait_for_runs,
    wait_until_idle,
)
from test_browser import _exceptions, _sync_playwright

from sitefinder.data.dataset import load_default
from sitefinder.report.zones import interface_label

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAYER = "Network zones and interfaces"

# Bring a WGS84 point to the middle of the map at a zoom where an H3 cell is a good target, and say where it is on
# screen (Leaflet's own projection of the folium map object).
CENTRE_JS = """([lat, lon]) => {
  const map = Object.values(window).find(v => v && typeof v.latLngToContainerPoint === 'function' && v.getContainer);
  map.closePopup();
  map.setView(L.latLng(lat, lon), 10, {animate: false});
  const p = map.latLngToContainerPoint(L.latLng(lat, lon));
  const box = map.getContainer().getBoundingClientRect();
  return {x: box.left + p.x, y: box.top + p.y};
}"""


@dataclass
class Session:
    server: AppServer
    page: Any


@pytest.fixture(scope="module")
def app() -> Iterator[Session]:
    sync_playwright = _sync_playwright()
    with AppServer() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
        context.add_init_script(COUNT_RUNS_JS)
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(server.url)
            wait_for_map(page, timeout=180)
            wait_until_idle(page)
            yield Session(server, page)
        except (PlaywrightError, TimeoutError, AssertionError, OSError):
            print("--- streamlit log (tail) ---\n" + server.log_tail())
            raise
        finally:
            context.close()
            browser.close()


def _card_text(page: Any) -> str:
    """The text of the column beside the map (the site card)."""
    heading = page.locator('[data-testid="stMain"] h3').filter(has_text=re.compile(r"^#\d+ · ")).first
    return str(heading.locator("xpath=ancestor::div[@data-testid='stColumn'][1]").inner_text())


def test_site_card_shows_the_zone_binding_and_price(app: Session) -> None:
    """A person clicks a shortlisted site in another zone than the first one's; its card names the zone, what limits
    its surplus and the cost of serving it, and tabulates the surplus by month and hour type."""
    page = app.page
    rows = list(csv.DictReader(io.StringIO(download(page, "Download CSV").decode("utf-8"))))
    for col in ("zone", "surplus_area_name", "surplus_binding", "surplus_cost_pkr_per_kwh"):
        assert col in rows[0], f"the CSV has no {col}"
    other = next((r for r in rows[1:] if r["zone"] != rows[0]["zone"]), rows[1])
    assert other["zone"] and other["surplus_binding"] and other["surplus_cost_pkr_per_kwh"], other

    frame = wait_for_map(page, timeout=30)
    frame.frame_element().scroll_into_view_if_needed()  # the download left the page scrolled to the table
    at = frame.evaluate(CENTRE_JS, [float(other["lat"]), float(other["lon"])])
    offset = frame.frame_element().bounding_box()
    runs = finished_runs(page)
    page.mouse.click(offset["x"] + at["x"], offset["y"] + at["y"])
    wait_for_runs(page, runs + 1)
    page.locator('[data-testid="stMain"] h3').filter(has_text=re.compile(rf"^#{other['rank']} · ")).first.wait_for()
    assert site_heading(page).startswith(f"#{other['rank']} · ")
    # The heading is drawn first; the rest of the card follows in the same run. Read it once it is this site's card
    # all through (its last line names the site), not while the previous site's body is still on the page.
    page.wait_for_function("""([id]) => [...document.querySelectorAll('[data-testid="stMain"] h3')]
        .some(h => /^#\\d+ · /.test(h.innerText) && h.closest('[data-testid="stColumn"]').innerText.includes(id))""",
                           arg=[other["candidate_id"]], timeout=60_000)
    wait_until_idle(page)

    text = _card_text(page)
    assert "Network zone" in text
    assert f"{other['surplus_area_name']} [{other['zone']}]" in text, text[:3000]
    assert other["surplus_binding"] in text
    c, lo, hi = (float(other[f"surplus_cost_pkr_per_kwh{end}"]) for end in ("", "_low", "_high"))
    assert f"about {c:.1f} PKR/kWh ({lo:.1f}-{hi:.1f}; estimate" in text
    assert "Source:" in text and "zones layer" in text
    months = page.locator(".st-key-zone_months")  # under the map, where there is room for the table
    text = months.inner_text()
    assert f"network zone {other['surplus_area_name']} [{other['zone']}]" in text, text
    assert all(h in text for h in ("evening peak (18-22 h)", "midday (10-16 h)", "night and shoulder hours")), text
    assert re.search(r"\bJul\b", text) and re.search(r"\bDec\b", text)
    assert len(re.findall(r"\d[\d,]* \(\d[\d,]*-\d[\d,]*\)", text)) == 36, text  # 12 months x 3 hour types
    assert _exceptions(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site_card_zone.png"))


def test_map_has_the_zones_and_interfaces_layer(app: Session) -> None:
    """The layer control lists the network layer; switched on, each interface carries its limit and modelled flow."""
    page = app.page
    frame = wait_for_map(page, timeout=30)
    wait_until_idle(page)
    control = frame.locator(".leaflet-control-layers")
    control.hover()
    entry = control.locator("label").filter(has_text=LAYER)
    assert entry.count() == 1, control.inner_text()
    assert frame.locator(".sf-ifc").count() == 0, "the layer is off until asked for"
    runs = finished_runs(page)
    entry.locator("input").check()
    interfaces = load_default()["interfaces"]
    frame.locator(".sf-ifc").first.wait_for(timeout=10_000)
    labels = sorted(t.strip() for t in frame.locator(".sf-ifc").all_inner_texts())
    assert labels == sorted(interface_label(r) for _, r in interfaces.iterrows())
    assert all(" · flow " in t for t in labels), labels
    assert finished_runs(page) == runs, "switching a layer on reran the app"
    frame.evaluate("""() => { const map = Object.values(window).find(v => v && typeof v.fitBounds === 'function'
                                                                     && v.getContainer);
                              map.setView(L.latLng(28.5, 69.5), 6, {animate: false}); }""")
    page.mouse.move(5, 5)  # let the layer control fold away
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_network_layer.png"))
    # At the country's zoom no label covers another (near Karachi three lines meet; labels are laid out along them).
    boxes = [b for b in (e.bounding_box() for e in frame.locator(".sf-ifc").all()) if b]
    assert len(boxes) == len(interfaces)
    covered = [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes[i + 1:], i + 1)
               if min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > 1
               and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > 1]
    assert covered == [], (covered, labels)
