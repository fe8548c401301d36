"""The register in the real app, with real sign-in: a local OpenID Connect provider (oidc-provider-mock, in its own
process), Streamlit's own ``st.login``, the real server on a SQLite register, and headless Chromium signing in as
each role. Each role sees and may do what issue 19 says:

- public (not signed in): booked MW by zone and node, no names, no form to apply, the public download only;
- applicant: applies from a site card in their own name, sees their own applications (never another applicant's
  name), may withdraw them, and has no button to decide anything;
- staff: the queue with each application's capacity, what is booked, what approving would leave and the limit that
  would bind; hold, approve and reject with a reason; the full download;
- with no identity provider configured (``make run``), the register is read-only and says how to enable sign-in.

What each click wrote is read back from the database, not from the page. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
import time
import urllib.request
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
    free_port,
    launch_chromium,
    rerun_started,
    wait_for_map,
    wait_for_runs,
    wait_until_idle,
)
from register_world import ALL_YEAR
from test_browser import _exceptions, _sync_playwright

from sitefinder.data.dataset import load_default
from sitefinder.register.capacity import capacity_of
from sitefinder.register.db import engine_for, upgrade
from sitefinder.register.ledger import Register
from sitefinder.register.people import grant
from sitefinder.register.states import APPLICANT, STAFF
from webapp.register_data import EXPIRER

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
STAFF_EMAIL, ALI, BOB, CAROL, DAN = "boss@ppib.gov.pk", "ali@investor.pk", "bob@other.pk", "carol@third.pk", "dan@fourth.pk"


@dataclass
class World:
    server: AppServer
    browser: Any
    register: Register


def _wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (localhost)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    sync_playwright = _sync_playwright()
    tmp = tmp_path_factory.mktemp("register-app")
    url = f"sqlite:///{tmp / 'register.sqlite'}"
    engine = engine_for(url)
    upgrade(engine)
    grant(engine, STAFF_EMAIL, STAFF, by="setup", by_role=STAFF, reason="the first staff member")
    ds = load_default()
    reg = Register(engine, capacity_of(ds))
    nodes = ds["grid_nodes"]
    node = nodes[nodes["zone"].notna()].iloc[0]
    for who in (BOB, CAROL):
        reg.apply(who, APPLICANT, applicant=who, profile="bitcoin_mine", site=f"{who}'s parcel", lon=float(node.geometry.x),
                  lat=float(node.geometry.y), grid_node_id=str(node["node_id"]), mw=80.0, cells=ALL_YEAR,
                  reason="seeded by the test")
    # A hold made last January that ran out on 1 February: the app expires it when it first sees it.
    past = Register(engine, reg.capacity, now=lambda: dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    ran_out = past.apply(DAN, APPLICANT, applicant=DAN, profile="bitcoin_mine", site="dan's parcel", lon=74.3, lat=31.5,
                         grid_node_id=str(node["node_id"]), mw=40.0, cells=ALL_YEAR)
    past.act(ran_out.id, "hold", STAFF_EMAIL, STAFF, expected_version=1, reason="land due", hold_until=dt.date(2026, 2, 1))
    idp_port, app_port = free_port(), free_port()
    secrets = tmp / "secrets.toml"
    secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "a-cookie-secret-for-this-test-only-{time.time_ns()}"
client_id = "sitefinder"
client_secret = "sitefinder-test-secret"
server_metadata_url = "http://127.0.0.1:{idp_port}/.well-known/openid-configuration"
""", encoding="utf-8")
    idp = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(idp_port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{idp_port}/.well-known/openid-configuration")
        with AppServer(port=app_port, args=("--secrets.files", str(secrets)), env={"SITEFINDER_DB": url}) as server, \
                sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                yield World(server, browser, reg)
            except (PlaywrightError, TimeoutError, AssertionError, OSError):
                print("--- streamlit log (tail) ---\n" + server.log_tail())
                raise
            finally:
                browser.close()
    finally:
        idp.terminate()
        idp.wait(timeout=15)


def _open(world: World, who: str | None) -> Any:
    """A fresh browser (own cookies) on the app, signed in through the provider as ``who`` (None: not signed in),
    on the Register tab."""
    context = world.browser.new_context(viewport={"width": 1500, "height": 1300}, accept_downloads=True)
    context.add_init_script(COUNT_RUNS_JS)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(world.server.url)
    wait_for_map(page, timeout=180)
    _tab(page, "Register")
    if who is not None:
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/oauth2/authorize**")
        page.fill("input[name=sub]", who)  # the provider's own form: who signs in
        page.locator("button[type=submit], input[type=submit]").first.click()
        page.wait_for_url(world.server.url + "**")
        wait_for_map(page, timeout=180)
        _tab(page, "Register")
        assert f"Signed in as {who}" in _main(page)
    return page


def _click(page: Any, target: Any, *, selected: Any = None) -> None:
    """Click something that reruns the script, and wait until that run has finished. On a busy machine a click made
    as a run ends can start none: it is made again, unless ``selected`` (a check) says it took effect already."""
    wait_until_idle(page)
    for _ in range(3):
        runs = finished_runs(page)
        target.click()
        if rerun_started(page, runs, within=20.0):
            wait_for_runs(page, runs + 1)
            wait_until_idle(page)
            return
        if selected is not None and selected():
            wait_until_idle(page)
            return
    raise AssertionError("three clicks started no run")


def _tab(page: Any, name: str) -> None:
    tab = page.get_by_role("tab", name=name)
    _click(page, tab, selected=lambda: tab.get_attribute("aria-selected") == "true")


def _main(page: Any) -> str:
    """The page's text as a person reads it (without the invisible word joiner that keeps an e-mail plain text)."""
    return str(page.locator('[data-testid="stMainBlockContainer"]').inner_text()).replace("\u2060", "")


def _alerts(page: Any) -> list[str]:
    return list(page.locator('[data-testid="stAlert"]').all_inner_texts())


def _apps_of(reg: Register, who: str) -> list[Any]:
    return [a for a in reg.all() if a.applicant == who]


def test_public_sees_what_is_booked_without_names_and_can_change_nothing(world: World) -> None:
    page = _open(world, None)
    text = _main(page)
    assert "You are not signed in" in text and "What is booked" in text
    assert BOB not in text and CAROL not in text  # names never reach a visitor who is not signed in
    assert "Queue" not in text and "Your applications" not in text
    assert page.get_by_role("button", name="Approve").count() == 0
    public = download(page, "Ledger, public (CSV)").decode()
    rows = list(csv.DictReader(io.StringIO(public)))
    assert len(rows) == len(world.register.all()) and "applicant" not in rows[0] and BOB not in public
    assert page.get_by_role("button", name="Ledger, staff (CSV)").count() == 0
    _tab(page, "Map and ranking")
    assert "Sign in (Register tab) to apply for power here" in _main(page)
    assert page.get_by_text("Apply for power at this site").count() == 0
    assert _exceptions(page) == []
    [dans] = _apps_of(world.register, DAN)  # the hold that ran out was expired, by the system, when the app opened
    assert dans.state == "expired"
    assert (world.register.history(dans.id)[-1]["role"], world.register.history(dans.id)[-1]["actor"]) == (
        "system", EXPIRER)
    page.context.close()


def test_applicant_applies_from_the_card_sees_only_their_own_and_may_withdraw(world: World) -> None:
    page = _open(world, ALI)
    assert "role: applicant" in _main(page) and "Your applications" in _main(page)
    _tab(page, "Map and ranking")
    page.get_by_text("Apply for power at this site").click()
    page.get_by_label("MW to apply for", exact=True).fill("120")
    _click(page, page.get_by_role("button", name="Apply", exact=True))
    assert any("made: 120 MW" in a for a in _alerts(page)), _alerts(page)
    [mine] = _apps_of(world.register, ALI)
    assert (mine.state, mine.mw, mine.version) == ("requested", 120.0, 1)
    first = world.register.history(mine.id)[0]
    assert (first["actor"], first["role"], first["action"]) == (ALI, APPLICANT, "apply")

    _tab(page, "Register")
    text = _main(page)
    assert f"#{mine.id}" in text and BOB not in text and CAROL not in text and "Queue" not in text
    assert page.get_by_role("button", name="Approve").count() == 0
    assert page.get_by_role("button", name="Ledger, staff (CSV)").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_text(f"#{mine.id} ·").first.click()
    page.get_by_role("button", name="Withdraw this application").wait_for(state="visible")
    page.wait_for_timeout(500)  # the expander's opening animation
    page.screenshot(path=str(ARTIFACTS / "register_applicant.png"), full_page=True)
    _click(page, page.get_by_role("button", name="Withdraw this application"))
    assert world.register.get(mine.id).state == "withdrawn"
    assert world.register.history(mine.id)[-1]["actor"] == ALI
    assert _exceptions(page) == []
    page.context.close()


def _decide_form(page: Any, app_id: int) -> Any:
    """The staff's form for application ``app_id`` (inside its expander in the queue)."""
    box = page.locator('[data-testid="stExpander"]').filter(has_text=f"#{app_id} ·")
    return box.locator('[data-testid="stForm"]').filter(has_text="Hold until")


def test_staff_decide_from_the_queue_with_the_capacity_in_view(world: World) -> None:
    page = _open(world, STAFF_EMAIL)
    text = _main(page)
    assert "role: staff" in text and "Queue:" in text and BOB in text and CAROL in text
    assert "Limit that would bind" in text and "Node headroom" in text and "Zone's deliverable surplus there" in text
    [carol] = _apps_of(world.register, CAROL)
    [bob] = _apps_of(world.register, BOB)
    links = [(a.get_attribute("href"), a.inner_text()) for a in page.locator("[data-testid=stMainBlockContainer] a").all()]
    assert not [x for x in links if x[0] and ("mailto" in x[0] or "@" in x[1])], links
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "register_staff_queue.png"), full_page=True)

    # No reason: refused by the ledger, nothing written.
    form = _decide_form(page, carol.id)
    _click(page, form.get_by_role("button", name="Approve"))
    assert world.register.get(carol.id).version == carol.version
    assert any("reason" in a.lower() for a in _alerts(page)), _alerts(page)

    form = _decide_form(page, carol.id)
    form.get_by_label("Reason (required)").fill("land and finance shown")
    _click(page, form.get_by_role("button", name="Approve"))
    after = world.register.get(carol.id)
    assert after.state == "approved" and after.version == carol.version + 1
    last = world.register.history(carol.id)[-1]
    assert (last["actor"], last["role"], last["reason"]) == (STAFF_EMAIL, STAFF, "land and finance shown")
    text = _main(page)
    assert "booked in the register: 80 MW in 1 application(s) (80 MW approved)" in text
    full = download(page, "Ledger, staff (CSV)").decode()
    assert CAROL in full and BOB in full

    form = _decide_form(page, bob.id)
    form.get_by_label("Reason (required)").fill("no land title")
    _click(page, form.get_by_role("button", name="Reject"))
    assert world.register.get(bob.id).state == "rejected"
    assert _exceptions(page) == []
    page.context.close()


def test_without_an_identity_provider_the_register_is_read_only_and_says_how_to_enable_sign_in(
        world: World, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    with AppServer(env={"SITEFINDER_DB": url}) as server:  # no secrets file: no [auth], as after `make run`
        context = world.browser.new_context(viewport={"width": 1500, "height": 1100})
        context.add_init_script(COUNT_RUNS_JS)
        page = context.new_page()
        page.set_default_timeout(90_000)
        try:
            page.goto(server.url)
            wait_for_map(page, timeout=180)
            _tab(page, "Register")
            text = _main(page)
            assert "read-only" in text and "secrets.toml" in text and "sitefinder ledger" in text
            assert page.get_by_role("button", name="Sign in").count() == 0
            _tab(page, "Map and ranking")
            assert page.get_by_text("Apply for power at this site").count() == 0
            assert _exceptions(page) == []
        finally:
            context.close()


def test_a_button_drawn_for_staff_is_checked_again_when_pressed_and_the_refusal_is_logged(world: World) -> None:
    """The page is only a view: what a press may do is decided on the server, as the person signed in now. Staff
    whose role is taken away while their queue is open press Approve; the ledger refuses (an applicant may not
    approve), nothing is written, the page says why and the server's log records the refusal."""
    temp = "temp.staff@ppib.gov.pk"
    grant(world.register.engine, temp, STAFF, by=STAFF_EMAIL, by_role=STAFF, reason="cover for a week")
    new = world.register.apply(BOB, APPLICANT, applicant=BOB, profile="bitcoin_mine", site="bob's second parcel",
                               lon=74.3, lat=31.5, grid_node_id=world.register.all()[0].grid_node_id, mw=50.0,
                               cells=ALL_YEAR, reason="seeded by the test")
    page = _open(world, temp)
    form = _decide_form(page, new.id)
    form.get_by_label("Reason (required)").fill("looks fine")
    grant(world.register.engine, temp, APPLICANT, by=STAFF_EMAIL, by_role=STAFF, reason="cover ended")
    _click(page, form.get_by_role("button", name="Approve"))
    assert world.register.get(new.id).state == "requested" and world.register.get(new.id).version == 1
    assert any("an applicant may not approve" in a for a in _alerts(page)), _alerts(page)
    deadline = time.monotonic() + 10
    while f"refused: '{temp}' (applicant) approve application {new.id}" not in world.server.log_tail(20_000):
        assert time.monotonic() < deadline, world.server.log_tail()
        time.sleep(0.2)
    page.context.close()
