"""A grid model uploaded in a real browser: the "Your data" tab takes a PyPSA network (.nc), the page says the surplus
comes from it, the map draws, nothing runs that the file carries (a bus is named with a script payload), and nothing
leaves the machine.
"""

from __future__ import annotations

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
pytest.importorskip("pypsa")

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


def test_a_grid_model_upload_is_used_and_named_and_runs_nothing(page: Any, tmp_path: Path) -> None:
    from gridmodels import save, three_buses

    path = save(three_buses(b=f"Multan {IMG}"), tmp_path / "three_buses.nc")

    upload_in_your_data(page, "Grid model (a PyPSA network saved as netCDF, .nc): replaces the built-in network model",
                        path, kind_ready="Your grid model (.nc)",
                        file_ready=page.get_by_role("button", name="Use this grid model"))
    page.get_by_role("button", name="Use this grid model").click()
    page.get_by_text("Surplus now comes from your grid model three_buses.nc").wait_for(timeout=180_000)
    wait_until_idle(page)
    assert page.get_by_text("surplus from your grid model three_buses.nc").count() >= 1  # the sidebar says so
    assert page.get_by_text("Grid model: three_buses.nc").count() >= 1

    page.get_by_role("tab", name="Map and ranking").click()
    frame = wait_for_map(page, timeout=120)
    wait_until_idle(page)
    page.screenshot(path=str(tmp_path / "map-with-grid-model.png"), full_page=False)
    for where in (page, frame):
        where.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=30_000)
        where.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")
        assert where.locator("img[src='x']").count() == 0
    assert page.sf_dialogs == [], f"a script ran: {page.sf_dialogs}"
    assert "mw=70" in page.url  # the user's settings survived
    outside = sorted({u for u in page.sf_urls if not is_local(u)})
    assert outside == [], f"requests left the machine: {outside}"
