"""Settings survive the user: fast clicks that interrupt reruns on purpose, in a real browser.

Each action below is made while the run that the previous action started is still going (the test waits for the
page to say it is running, then acts at once), across the tabs, the "Your data" uploads and the sidebar. At the
end, every setting must be what the link set or what the test itself changed, and nothing else: the page address
(which holds the whole scenario), every weight slider and the page's own controls.

The defect this guards against: Streamlit forgets the value of a control that a run did not draw when that run
ends, and (before 1.64) when a run is interrupted before the control is drawn; a weight slider whose value is
forgotten comes back at 0, so choosing a file kind and uploading at once could leave "every weight is zero".
``webapp/state.py`` keeps every control's value and gives it back.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appserver import COUNT_RUNS_JS, AppServer, PlaywrightError, launch_chromium, wait_for_map, wait_until_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
LINK = {"mw": "70", "w.hours_above_35c": "40", "target": "2500", "per_node": "3"}
# Every run waits this long before it draws a control (app.py, tests only): a run at the default view is ~0.1 s of
# server time, over before most clicks; with it the clicks land in runs on purpose, before the controls are drawn.
SLOW_RUN = {"SITEFINDER_TEST_SLOW_RUN_S": "0.5"}
# What the file holds, and a file for it: valid ones and rejected ones (the defect showed with both).
UPLOADS = [
    ("Grid nodes (substations, switchyards)", ROOT / "data/examples/grid_nodes.csv"),
    ("Climate stations (monthly temperatures)", ROOT / "tests/data/bad/climate_stations_fahrenheit.geojson"),
    ("Cities and towns", ROOT / "tests/data/bad/cities_utf16.csv"),
    ("Grid nodes (substations, switchyards)", ROOT / "tests/data/bad/grid_nodes_deeply_nested.geojson"),
    ("Connectivity (cable landings, exchanges, data centres)", ROOT / "data/examples/connectivity.csv"),
    ("Grid nodes (substations, switchyards)", ROOT / "tests/data/bad/grid_nodes_random_binary.bin"),
]
SLIDERS_JS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stSlider"]')]
  .filter(s => s.querySelector('input[type="range"]') && s.querySelector('[data-testid="stWidgetLabel"]'))
  .map(s => [s.querySelector('[data-testid="stWidgetLabel"]').innerText.split(':')[0].trim(),
             s.querySelector('input[type="range"]').value]))"""
RUNNING_JS = "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state') === 'running'"


def _sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:  # test_browser.py decides skip vs fail the same way
        pytest.skip("playwright is not installed")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    return sync_playwright


class Clicker:
    """Acts on the page, each action (after the first) made while a run is still going."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.actions = 0
        self.while_running = 0

    def running_now(self) -> bool:
        return bool(self.page.evaluate(RUNNING_JS))

    def wait_running(self, within_s: float = 5.0) -> None:
        """Until the run the last action started is going (it may already have finished: then go on)."""
        try:
            self.page.wait_for_function(RUNNING_JS, timeout=within_s * 1000)
        except PlaywrightError:  # timed out: the run was over before we looked
            pass

    def act(self, action: Any) -> None:
        self.while_running += self.running_now()
        self.actions += 1
        action()
        self.wait_running()


def _choose(page: Any, box: str, option: str, tries: int = 5) -> None:
    """Pick ``option`` in the select box named ``box`` while runs may be going: a run that ends as the list opens
    draws the box again and closes the list, so open it again until the option can be clicked. The choice itself is
    made once; what the test checks is that it is kept."""
    for attempt in range(tries):
        page.get_by_role("combobox", name=box).click()
        try:
            page.get_by_role("option", name=option).click(timeout=8_000)
            return
        except PlaywrightError:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")


def _press_until(page: Any, thumb: Any, label: str, key: str, value: str, tries: int = 5) -> None:
    """Press ``key`` on a slider's thumb while runs may be going, until it shows ``value``: a press that lands as a run
    redraws the slider can be dropped by the browser (the person sees it did not move and presses again). What the
    test checks is that the value, once set, is kept."""
    for _ in range(tries):
        thumb.focus()
        thumb.press(key)
        for _ in range(25):  # up to 5 s for the slider to show it
            if page.evaluate(SLIDERS_JS).get(label) == value:
                return
            page.wait_for_timeout(200)
    raise AssertionError(f"the slider never showed {value} after {tries} presses of {key}")


def _query(page: Any) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))


def _settle(page: Any) -> None:
    """The page is idle and stays so (a click may start one more run after the last one ends)."""
    for _ in range(3):
        wait_until_idle(page, timeout=120)
        page.wait_for_timeout(800)
    wait_until_idle(page, timeout=120)


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    sync_playwright = _sync_playwright()
    with AppServer(env=SLOW_RUN) as server, sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(COUNT_RUNS_JS)
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(server.url + "?" + urllib.parse.urlencode(LINK))
        wait_for_map(pg, timeout=180)
        _settle(pg)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def test_fast_clicks_across_tabs_uploads_and_the_sidebar_change_only_what_was_changed(page: Any) -> None:
    query0, sliders0 = _query(page), page.evaluate(SLIDERS_JS)
    assert {k: query0.get(k) for k in LINK} == LINK and len(sliders0) >= 6, (query0, sliders0)
    clicker = Clicker(page)
    uploader = page.get_by_test_id("stTabs").locator('[data-testid="stFileUploaderDropzoneInput"]:not([accept*=".json"])')
    expected_query = dict(query0)

    # 1. The defect's own steps, again and again: open "Your data", choose what the file holds, upload at once.
    clicker.act(lambda: page.get_by_role("tab", name="Your data").click())
    for kind, path in UPLOADS:
        page.get_by_role("combobox", name="What does your file hold?").wait_for()
        clicker.act(lambda kind=kind: _choose(page, "What does your file hold?", kind))
        clicker.act(lambda path=path: uploader.first.set_input_files(str(path)))
    # 2. A weight in the sidebar, while that upload's run is going.
    thumb = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile("^Region surplus"))).get_by_role("slider")
    clicker.act(lambda: _press_until(page, thumb, "Region surplus", "End", "100"))
    expected_query["w.region_surplus_mw"] = "100"
    # 3. Across the tabs, changing a setting on one of them on the way.
    clicker.act(lambda: page.get_by_role("tab", name="Programme").click())
    target = page.get_by_role("spinbutton", name="Programme target (MW)")
    clicker.act(lambda: (target.fill("1500"), target.press("Enter")))
    expected_query["target"] = "1500"
    for tab in ("Robustness", "Compare", "Economics", "About the data", "Map and ranking"):
        clicker.act(lambda tab=tab: page.get_by_role("tab", name=tab).click())
    # 4. A page control in the sidebar (not a setting: it is not in the address).
    climate = page.get_by_role("combobox", name="Climate layer shows")
    clicker.act(lambda: None if climate.is_visible() else page.get_by_text("Map", exact=True).click())  # open, never shut
    clicker.act(lambda: _choose(page, "Climate layer shows", "cooling degree days"))
    _settle(page)

    print(f"\n{clicker.while_running} of {clicker.actions} actions interrupted a run")
    assert clicker.while_running >= clicker.actions // 2, \
        f"only {clicker.while_running} of {clicker.actions} actions interrupted a run: the test did not test much"
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "every weight is zero" not in text
    assert page.locator('[data-testid="stException"]').count() == 0
    assert _query(page) == expected_query, "the address changed beyond what the test changed"
    sliders = page.evaluate(SLIDERS_JS)
    changed = {k: (sliders0[k], sliders.get(k)) for k in sliders0 if sliders.get(k) != sliders0[k]}
    assert list(changed) == ["Region surplus"] and changed["Region surplus"][1] == "100", changed
    assert page.get_by_role("combobox", name="Climate layer shows").input_value() == "cooling degree days"
    assert page.get_by_role("tab", name="Map and ranking", selected=True).count() == 1
    assert wait_for_map(page, timeout=60) is not None
