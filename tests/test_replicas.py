"""Two app processes behind HAProxy (webapp/serve.py), end to end (issue 20): two browser sessions through the proxy,
each kept on its own process by the proxy's cookie; an uploaded layer survives the session's reruns; one process is
killed, and its visitor comes back on the other with the same view from the page address and a plain word that the
uploaded file is gone, while the other visitor never notices. The processes share a register on a real PostgreSQL
database.

Needs Debian's haproxy (.ci/run installs it), Chromium, Playwright and PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appserver import (
    COUNT_RUNS_JS,
    REPO,
    finished_runs,
    launch_chromium,
    set_slider,
    slider,
    upload_in_your_data,
    wait_for_map,
    wait_for_runs,
    wait_until_idle,
)
from test_browser import REQUIRED, _sync_playwright

from sitefinder.register.db import engine_for, upgrade
from webapp.serve import COOKIE, Deployment, deployment, free_port

pytestmark = pytest.mark.browser
UPLOAD = REPO / "data" / "examples" / "connectivity.csv"


@pytest.fixture(scope="module")
def served(postgres_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, Any]]:
    if not (shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy")):
        if REQUIRED:
            pytest.fail("haproxy is not installed (apt-get install haproxy; .ci/run does)")
        pytest.skip("haproxy is not installed")
    sync_playwright = _sync_playwright()
    url = postgres_cluster.new_database("replicas")
    engine = engine_for(url)
    upgrade(engine)
    engine.dispose()
    dep = deployment(2, free_port(), tmp_path_factory.mktemp("serve"), env={"SITEFINDER_DB": url})
    with dep, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield dep, browser  # each process's log stays in dep.folder (pytest's temporary folder) to read after
        finally:
            browser.close()


def _visit(dep: Deployment, browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(COUNT_RUNS_JS)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(dep.url)
    wait_for_map(page, timeout=180)
    wait_until_idle(page)
    return page


def _replica(page: Any) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)


def _weight_to_max(page: Any, label: str) -> str:
    runs = finished_runs(page)
    set_slider(page, label, "End")
    wait_for_runs(page, runs + 1)
    wait_until_idle(page)
    return str(slider(page, label).input_value())


def _upload_connectivity(page: Any) -> None:
    upload_in_your_data(page, "Connectivity (cable landings, exchanges, data centres)", UPLOAD,
                        kind_ready="add to the built-in layer", file_ready=page.get_by_text("Which column holds what?"))
    page.get_by_role("button", name="Use this file").click()
    page.get_by_text(f"from {UPLOAD.name}").first.wait_for(timeout=60_000)
    wait_until_idle(page)


def test_each_visitor_stays_on_a_process_and_a_lost_process_costs_only_its_uploads(served) -> None:
    dep, browser = served
    a, b = _visit(dep, browser), _visit(dep, browser)
    on_a, on_b = _replica(a), _replica(b)
    assert on_a != on_b, "the proxy sent both new visitors to one process (leastconn should spread them)"

    # Each stays on its process: an upload is in A's session, and still there after A's reruns.
    _upload_connectivity(a)
    a_weight = _weight_to_max(a, "Region surplus")
    assert f"uploaded={UPLOAD.name}" in a.url  # the session still uses the file after the rerun
    b_weight = _weight_to_max(b, "Distance to grid node")
    assert (_replica(a), _replica(b)) == (on_a, on_b)

    # A's process dies.
    victim = next(r for r in dep.replicas if r.name == on_a)
    assert victim.proc is not None
    victim.proc.kill()
    victim.proc.wait(timeout=15)

    # A's page reconnects through the proxy to the other process (Streamlit's page does that by itself). The next
    # thing A does runs there, in a new session: the view comes back from the page address, with a plain word about
    # the file.
    deadline = time.monotonic() + 60
    while _replica(a) != on_b:
        assert time.monotonic() < deadline, "A's page did not reconnect to the other process"
        a.wait_for_timeout(250)
    # A's first action there changes a setting: the change is kept, as is everything the address holds.
    voltage = slider(a, "Grid node voltage")
    voltage.focus()
    voltage.press("End")
    a.get_by_text("Your uploaded files are not here").wait_for(timeout=120_000)
    wait_until_idle(a)
    warning = a.locator('[data-testid="stAlert"]').filter(has_text="Your uploaded files are not here").inner_text()
    assert UPLOAD.name in warning and "upload them in Your data" in warning
    assert _replica(a) == on_b
    assert slider(a, "Region surplus").input_value() == a_weight
    assert slider(a, "Grid node voltage").input_value() == "100", "the first change after the lost process was undone"
    assert "w.region_surplus_mw=" in a.url and "w.grid_voltage_kv=100" in a.url and "uploaded=" not in a.url
    assert a.locator('[data-testid="stException"]').count() == 0

    # B never noticed: same process, same settings, and its next change runs as before.
    assert _replica(b) == on_b
    assert slider(b, "Distance to grid node").input_value() == b_weight
    _weight_to_max(b, "Grid node voltage")
    assert b.get_by_text("Your uploaded files are not here").count() == 0
    assert b.locator('[data-testid="stException"]').count() == 0
    assert b.get_by_text("Connecting").count() == 0

    # The deployment starts the lost process again, and the proxy takes it back into rotation.
    assert dep.restart_dead() == [on_a]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        fresh = _visit(dep, browser)
        if _replica(fresh) == on_a:
            break
        fresh.context.close()
        time.sleep(1.0)
    else:
        pytest.fail(f"{on_a} was not taken back into rotation: {(Path(dep.folder) / 'haproxy.log').read_text()[-2000:]}")
