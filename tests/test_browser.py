"""End to end: the real Streamlit app in headless Chromium.

One server (``streamlit run app.py`` on a free port) and one page serve the whole module; the tests run in
file order on that page. The map must draw without any request leaving the machine, a weight change must
re-rank the shortlist, and the GeoJSON download must be valid RFC 7946 that carries the new weights.

Needs Playwright and the system Chromium (/usr/bin/chromium). Without them the tests skip, unless
SITEFINDER_REQUIRE_BROWSER=1 (CI) makes them fail. A screenshot is left in tests/artifacts/app.png.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from appserver import (
    CHROMIUM,
    COUNT_MOVES_JS,
    COUNT_RUNS_JS,
    AppServer,
    PlaywrightError,
    download,
    finished_runs,
    is_local,
    launch_chromium,
    rerun_started,
    set_slider,
    site_heading,
    site_signature,
    slider,
    wait_for_map,
    wait_for_map_still,
    wait_for_runs,
    wait_for_sites_redrawn,
    wait_until_idle,
)

from sitefinder.economics.text import margin_headline

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
REQUIRED = os.environ.get("SITEFINDER_REQUIRE_BROWSER") == "1"
TOP = 20  # the app's default shortlist length


def _sync_playwright() -> Any:
    """Playwright's entry point, or skip (fail under SITEFINDER_REQUIRE_BROWSER=1) when the browser is missing."""
    missing = []
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError as exc:
        missing.append(f"the playwright package ({exc})")
        sync_playwright = None
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    if missing:
        msg = "the browser tests need " + " and ".join(missing)
        if REQUIRED:
            pytest.fail(f"SITEFINDER_REQUIRE_BROWSER=1 but {msg}", pytrace=False)
        pytest.skip(msg)
    return sync_playwright


@dataclass
class Session:
    server: AppServer
    page: Any
    first_map_s: float
    urls: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def app() -> Iterator[Session]:
    sync_playwright = _sync_playwright()
    with AppServer() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        context.add_init_script(COUNT_RUNS_JS)
        urls: list[str] = []
        context.on("request", lambda r: urls.append(r.url))  # every frame's requests, the map iframe's too
        page = context.new_page()
        page.on("websocket", lambda ws: urls.append(ws.url))
        page.set_default_timeout(60_000)
        try:
            t0 = time.monotonic()
            page.goto(server.url)
            wait_for_map(page, timeout=180)  # cold server: the first run measures every candidate cell
            first_map = time.monotonic() - t0
            wait_until_idle(page)
            print(f"\nfirst map after {first_map:.1f} s (cold server)")
            yield Session(server, page, first_map, urls)
        except (PlaywrightError, TimeoutError, AssertionError, OSError):
            print("--- streamlit log (tail) ---\n" + server.log_tail())
            raise
        finally:
            context.close()
            browser.close()


def _exceptions(page: Any) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def _change_weight(page: Any, label: str, key: str, value: str) -> None:
    """Move a weight slider with the keyboard and wait for the rerun and the re-drawn map."""
    from playwright.sync_api import expect  # noqa: PLC0415  (importable: the fixture checked)

    before = site_signature(wait_for_map(page, timeout=10))
    runs = finished_runs(page)
    set_slider(page, label, key)
    expect(slider(page, label)).to_have_value(value)
    wait_for_runs(page, runs + 1)
    wait_for_sites_redrawn(page, before, timeout=60)  # the new site layers are swapped into the same map


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_map_draws_offline(app: Session, record_property: Any) -> None:
    record_property("first_map_seconds", round(app.first_map_s, 2))
    frame = wait_for_map(app.page, timeout=10)
    container = frame.locator(".leaflet-container")
    assert container.count() == 1
    assert container.bounding_box()["height"] > 300, "the map is drawn but has no height"
    assert frame.locator("img.leaflet-image-layer").count() >= 1, "no score surface overlay"
    assert frame.locator(".leaflet-overlay-pane :is(canvas, path)").count() >= 1, "no vector layers"
    assert frame.locator(".sf-rank").count() == TOP, "every shortlisted site has its rank label"
    assert any("/app/static/leaflet/leaflet.js" in u for u in app.urls), "Leaflet is not served by the app"
    assert site_heading(app.page).startswith("#1 · "), "the card shows the best site first"


def test_panning_and_zooming_do_not_rerun_the_app(app: Session) -> None:
    page = app.page
    frame = wait_for_map(page, timeout=10)
    wait_until_idle(page)
    runs = finished_runs(page)
    frame.evaluate(COUNT_MOVES_JS)
    box = frame.locator(".leaflet-container").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=8)
    page.mouse.up()
    wait_for_map_still(frame, moves=1)  # each move ends before the next (Leaflet ignores a click mid-zoom)
    frame.locator(".leaflet-control-zoom-in").click()
    wait_for_map_still(frame, moves=2)
    frame.locator(".leaflet-control-zoom-out").click()
    wait_for_map_still(frame, moves=3)
    # st_folium reports a move to Streamlit after a short debounce; give a rerun 2 s to start (one that
    # does is seen at once), then check that none did.
    assert not rerun_started(page, runs, within=2.0), "panning or zooming the map reran the app"
    assert finished_runs(page) == runs


def test_no_streamlit_exception(app: Session) -> None:
    assert _exceptions(app.page) == []
    assert "Traceback" not in app.server.log_tail(100_000)


def test_weight_change_reranks_and_exports_geojson(app: Session, tmp_path: Path) -> None:
    page = app.page
    before = _csv_rows(download(page, "Download CSV"))
    assert [r["rank"] for r in before] == [str(i) for i in range(1, TOP + 1)]
    heading_before = site_heading(page)

    _change_weight(page, "Hours above 35 °C", "End", "100")
    _change_weight(page, "Region surplus", "Home", "0")
    assert _exceptions(page) == []
    labels = page.locator('[data-testid="stSidebar"] [data-testid="stWidgetLabel"]').all_inner_texts()
    assert "Hours above 35 °C: 67%" in labels and "Region surplus: 0%" in labels, labels  # 100 / 150 and 0 / 150
    assert "w.hours_above_35c=100" in page.url and "w.region_surplus_mw=0" in page.url, "the URL holds the scenario"

    after = _csv_rows(download(page, "Download CSV"))
    assert [r["candidate_id"] for r in after] != [r["candidate_id"] for r in before], "the ranking did not change"
    heading = site_heading(page)
    m = re.fullmatch(r"#(\d+) · (.+)", heading)
    assert m, heading
    row = after[int(m.group(1)) - 1]
    assert m.group(2) == ", ".join(v for v in (row["district"], row["province"]) if v), (heading, row)
    print(f"\ncard: {heading_before!r} -> {heading!r}; new #1 {after[0]['candidate_id']} ({after[0]['district']})")

    text = download(page, "Download GeoJSON").decode("utf-8")
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c} in the GeoJSON"))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc, "RFC 7946 has no crs member"
    feats = doc["features"]
    assert len(feats) == TOP
    props = [f["properties"] for f in feats]
    assert [p["rank"] for p in props] == list(range(1, TOP + 1))
    scores = [p["score"] for p in props]
    assert all(a >= b for a, b in zip(scores, scores[1:])), scores
    assert [p["candidate_id"] for p in props] == [r["candidate_id"] for r in after], "GeoJSON and CSV disagree"

    from shapely.geometry import LinearRing, shape  # noqa: PLC0415

    for f in feats:
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty, f["properties"]["candidate_id"]
        for poly in getattr(geom, "geoms", [geom]):
            assert poly.geom_type == "Polygon", poly.geom_type
            assert LinearRing(poly.exterior.coords).is_ccw, "RFC 7946: exterior rings are counterclockwise"
            assert all(not LinearRing(r.coords).is_ccw for r in poly.interiors), "RFC 7946: holes are clockwise"
            assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in poly.exterior.coords)

    meta = doc["metadata"]
    assert meta["weights"]["hours_above_35c"] == 100
    assert meta["weights"]["region_surplus_mw"] == 0
    assert meta["weights_normalised"]["hours_above_35c"] == pytest.approx(100 / 150, abs=1e-6)
    assert meta["scenario"].get("w.hours_above_35c") == "100"
    # the page leads with the margin headline of exactly these sites, in the core function's words
    money = margin_headline(pd.DataFrame(props), meta["economics"])
    assert money is not None
    alerts = [" ".join(a.split()) for a in page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()]
    assert any(" ".join(money.text.split()) in a for a in alerts), alerts

    import geopandas as gpd  # noqa: PLC0415

    path = tmp_path / "shortlist.geojson"
    path.write_text(text, encoding="utf-8")
    frame = gpd.read_file(path)
    assert len(frame) == TOP and frame.crs is not None and frame.crs.to_epsg() == 4326
    assert list(frame["candidate_id"]) == [p["candidate_id"] for p in props]

    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1500})  # Streamlit scrolls inside its main block, so
    page.locator('[data-testid="stMain"] h2').first.scroll_into_view_if_needed()  # no full_page shot
    wait_for_map_still(wait_for_map(page, timeout=30))
    page.screenshot(path=str(ARTIFACTS / "app.png"))


def test_no_exception_on_rerun_after_ranks_move(app: Session) -> None:
    """Fresh session: two weight changes, a download (made when clicked, from the moved ranking), then a rerun from
    the browser (opening a tab)."""
    page = app.page.context.new_page()
    try:
        page.goto(app.server.url)
        wait_for_map(page, timeout=120)
        wait_until_idle(page)
        _change_weight(page, "Hours above 35 °C", "End", "100")  # the default #1 (Karachi) becomes #3
        _change_weight(page, "Region surplus", "Home", "0")      # ... and #19
        runs = finished_runs(page)
        csv = download(page, "Download CSV").decode("utf-8")
        assert finished_runs(page) == runs  # a download reruns nothing
        assert csv.startswith("rank,") and len(csv.splitlines()) == TOP + 1
        page.get_by_role("tab", name="Economics").click()
        wait_for_runs(page, runs + 1)
        assert _exceptions(page) == []
    finally:
        page.close()


# Bring a WGS84 point to the middle of the map (as a person would pan there; panning reruns nothing) and say
# where it is on screen: Leaflet's own projection of the folium map object.
POINT_JS = """([lat, lon]) => {
  const map = Object.values(window).find(v => v && typeof v.latLngToContainerPoint === 'function' && v.getContainer);
  map.closePopup();
  map.setView(L.latLng(lat, lon), 7, {animate: false});
  const p = map.latLngToContainerPoint(L.latLng(lat, lon));
  const box = map.getContainer().getBoundingClientRect();
  return {x: box.left + p.x, y: box.top + p.y};
}"""


def test_clicking_anywhere_explains_why_not_here(app: Session) -> None:
    """A person clicks in Kech (Makran, supplied from Iran), away from any marker: the card column says why."""
    page = app.page
    frame = wait_for_map(page, timeout=30)
    wait_until_idle(page)
    # The whole map in view first: a press on a map that runs below the window's edge focuses the frame, which
    # scrolls it into view between the press and the click, and the click lands ~170 px off (seen on a 1000 px window)
    frame.frame_element().scroll_into_view_if_needed()
    inner = frame.evaluate(POINT_JS, [26.35, 63.6])
    offset = frame.frame_element().bounding_box()
    runs = finished_runs(page)
    page.mouse.click(offset["x"] + inner["x"], offset["y"] + inner["y"])
    wait_for_runs(page, runs + 1)
    heading = page.locator('[data-testid="stMain"] h3').filter(has_text="Why not here?")
    heading.wait_for(timeout=60_000)
    assert "Kech" in heading.inner_text(), heading.inner_text()
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    assert "Not eligible" in text and "supply region on the national grid" in text, text[:2000]
    assert "QESCO-Makran" in text
    assert _exceptions(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "why_not_here.png"))
    page.get_by_role("button", name="Close and show the site card").click()
    page.locator('[data-testid="stMain"] h3').filter(has_text=re.compile(r"^#\d+ · ")).first.wait_for(timeout=60_000)


def test_robustness_shows_probabilities_on_the_map_and_in_the_card(app: Session) -> None:
    """A person opens "Robustness", ticks the box, waits for the draws (a progress bar runs), and reads how often
    each site is shortlisted on the map's labels and outlines and in the site card."""
    page = app.page.context.new_page()
    try:
        page.goto(app.server.url)
        wait_for_map(page, timeout=120)
        wait_until_idle(page)
        page.get_by_role("tab", name="Robustness").click()
        runs = finished_runs(page)
        page.get_by_text("Show how robust each site is (runs the draws)").click()
        wait_for_runs(page, runs + 1, timeout=180)
        main = page.locator('[data-testid="stMain"]')
        main.get_by_text("Figures to ask for first").first.wait_for(timeout=60_000)
        assert "robust=1" in page.url
        robust = page.locator('[data-testid="stMetric"]').filter(has_text="Robust sites")
        assert re.search(r"\d+ of \d+", robust.inner_text()), robust.inner_text()

        page.get_by_role("tab", name="Map and ranking").click()
        frame = wait_for_map(page, timeout=60)
        labels = frame.locator(".sf-rank").all_inner_texts()
        assert len(labels) == TOP and all(re.fullmatch(r"\d+ · \d+%", t.strip()) for t in labels), labels
        shares = [int(t.split("·")[1].strip(" %")) for t in labels]
        # Sites differ in how often they are shortlisted (on the built-in data none reaches 80 % since the network
        # model's low end has no firm surplus anywhere); each is drawn by its own share below.
        assert len(set(shares)) > 1 and min(shares) < 80, shares
        outlines = frame.evaluate("""() => { const out = []; window.map_div.eachLayer(l => {
            const f = l.feature; if (f && f.properties && 'is_selected' in f.properties && l.options)
              out.push([f.properties.rank, l.options.dashArray || '', l.options.fillOpacity]); }); return out; }""")
        assert len(outlines) == TOP
        by_rank = {int(r): (dash, float(op)) for r, dash, op in outlines}
        for rank, share in enumerate(shares, start=1):  # labels are drawn in rank order
            dash, opacity = by_rank[rank]
            assert (dash == "5 4") == (share < 80), (rank, share, dash)  # fragile: dashed outline
            assert opacity == pytest.approx(0.2 + 0.7 * share / 100, abs=0.006), (rank, share, opacity)
        card = page.locator('[data-testid="stMetric"]').filter(has_text="Shortlisted")
        assert re.search(r"Shortlisted\s+\d+%", card.first.inner_text()), card.first.inner_text()
        interval = page.locator('[data-testid="stMetric"]').filter(has_text="Rank range")
        assert re.search(r"#\d+-(#\d+|beyond)", interval.first.inner_text()), interval.first.inner_text()
        assert "Robustness: robust" in main.inner_text() or "Robustness: fragile" in main.inner_text()
        assert _exceptions(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "show_robustness.png"))
    finally:
        page.close()


def test_programme_comparison_and_a_printed_brief(app: Session, tmp_path: Path) -> None:
    """A person places the 2,000 MW, sees the programme on the map, pins the scenario and changes a weight to
    compare, and downloads the programme's brief, which opens offline and prints to PDF."""
    page = app.page.context.new_page()
    try:
        page.goto(app.server.url)
        wait_for_map(page, timeout=120)
        wait_until_idle(page)
        page.get_by_role("tab", name="Programme").click()
        placed = page.locator('[data-testid="stMetric"]').filter(has_text="Placed")
        assert "2,000 MW" in placed.inner_text(), placed.inner_text()
        # The metrics are drawn before the line under them: wait for the line rather than read the page at once.
        page.locator('[data-testid="stMain"]').get_by_text("Stopped because: target reached").wait_for(timeout=60_000)
        check = page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"^Network check \(central end\)"))
        check.wait_for(timeout=60_000)  # the programme re-solved on the network with all 20 loads
        assert "re-solved with the loads of all 20 site(s) at once" in check.inner_text()
        assert "nobody's load is shed" in check.inner_text()
        runs = finished_runs(page)
        page.get_by_text("Show the programme on the map").click()
        wait_for_runs(page, runs + 1)
        page.get_by_role("tab", name="Map and ranking").click()
        frame = wait_for_map(page, timeout=60)
        frame.locator(".sf-ring").first.wait_for(timeout=30_000)
        rings = frame.locator(".sf-ring").all_inner_texts()
        assert rings and all(re.fullmatch(r"P\d+ · [\d,]+ MW", t.strip()) for t in rings), rings[:5]
        assert sum(int(t.split("·")[1].strip(" MW").replace(",", "")) for t in rings) == 2000

        page.get_by_role("tab", name="Compare").click()
        runs = finished_runs(page)
        page.get_by_role("button", name="Pin the current scenario as A").click()
        wait_for_runs(page, runs + 1)
        runs = finished_runs(page)
        set_slider(page, "Hours above 35 °C", "End")  # on the Compare tab: the comparison follows at once
        wait_for_runs(page, runs + 1)
        main = page.locator('[data-testid="stMain"]')
        main.get_by_text(re.compile(r"\d+ site\(s\) enter, \d+ leave")).first.wait_for(timeout=60_000)
        page.get_by_role("tab", name="Map and ranking").click()
        frame = wait_for_map(page, timeout=60)
        frame.locator(".sf-ring").first.wait_for(timeout=30_000)
        assert any(re.fullmatch(r"A\d+", t.strip()) for t in frame.locator(".sf-ring").all_inner_texts())

        page.get_by_role("tab", name="Programme").click()
        brief = tmp_path / "brief.html"
        brief.write_bytes(download(page, "Programme brief (HTML)"))
        assert _exceptions(page) == []
    finally:
        page.close()
    printer = app.page.context.new_page()
    try:
        printer.goto(brief.as_uri())
        assert printer.locator("h1").inner_text().endswith("programme")
        assert printer.locator(".card").count() >= 10 and printer.locator("svg").count() == 1
        assert "Network check:" in printer.locator("body").inner_text()
        assert "network zone" in printer.locator("table").first.inner_text() or \
            any("network zone" in t for t in printer.locator("table").all_inner_texts())
        pdf = printer.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3
        (ARTIFACTS / "brief.pdf").write_bytes(pdf)
    finally:
        printer.close()


def test_economics_tab_edits_a_parameter_and_draws_the_payback_charts(app: Session) -> None:
    """A person opens Economics, sees each parameter's source and the payback charts drawn, types a new tariff, and the
    site card's tariff and the page address follow."""
    page = app.page.context.new_page()
    try:
        page.goto(app.server.url)
        wait_for_map(page, timeout=120)
        wait_until_idle(page)
        page.get_by_role("tab", name="Economics").click()
        main = page.locator('[data-testid="stMain"]')
        panel = page.get_by_role("tabpanel").filter(has_text="How payback moves")
        panel.get_by_text("How payback moves").first.wait_for(timeout=30_000)
        charts = panel.locator('[data-testid="stVegaLiteChart"]')
        charts.first.wait_for(timeout=30_000)
        assert charts.count() == 2  # against the hashprice and against the tariff
        for i in range(2):
            charts.nth(i).locator("canvas, svg").first.wait_for(timeout=30_000)  # vega drew it, offline
        assert "Source (2025-12): NEPRA approved Rs 22.98/kWh" in panel.inner_text()
        box = page.get_by_role("spinbutton", name="Tariff for the new load (PKR/kWh)")
        runs = finished_runs(page)
        box.fill("31.5")
        box.press("Enter")
        wait_for_runs(page, runs + 1)
        wait_until_idle(page)
        assert "e_tariff=31.5" in page.url
        page.get_by_role("tab", name="Map and ranking").click()
        card = main.locator('[data-testid="stTable"]').filter(has_text="Break-even tariff")
        assert "31.50 PKR/kWh" in card.first.inner_text()
        assert _exceptions(page) == []
    finally:
        page.close()


def test_no_request_left_localhost(app: Session) -> None:
    """Runs last: covers the load, the two re-renders and the downloads."""
    assert app.urls, "no request was recorded"
    outside = sorted({u for u in app.urls if not is_local(u)})
    assert outside == [], f"requests left the machine: {outside}"
