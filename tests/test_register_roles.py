"""Who may do what in the register (issue 19), below the app: roles from the table staff manage, crafted requests
refused and logged with nothing written, where an application stands for the staff's queue, and the public and
staff files. On SQLite and on PostgreSQL (``register_url``); the app's buttons call exactly these functions with
the signed-in person's role (tests/test_browser_register.py drives them through the real server)."""

from __future__ import annotations

import csv
import io
import json
import logging

import numpy as np
import pytest
import sqlalchemy as sa
from register_world import ALL_YEAR, TODAY, WINTER_NIGHTS, register_at

from sitefinder.register.db import RegisterError
from sitefinder.register.export import csv_text, geojson_text, records
from sitefinder.register.ledger import RefusedError
from sitefinder.register.people import grant, people, role_history, role_of
from sitefinder.register.standing import booked_by_area, booked_by_node, standing
from sitefinder.register.states import APPLICANT, PUBLIC, STAFF
from sitefinder.register.tables import events, role_changes, roles

BOSS, ALI, BOB = "boss@ppib.gov.pk", "ali@investor.pk", "bob@other.pk"
LATER = TODAY.date().replace(year=TODAY.year + 1)


@pytest.fixture
def reg(register_url):
    reg = register_at(register_url(), migrate=True)
    grant(reg.engine, BOSS, STAFF, by="setup", by_role=STAFF, reason="the first staff member", now=TODAY)
    return reg


def _apply(reg, who: str, node: str = "n1", mw: float = 100.0, cells=ALL_YEAR):
    return reg.apply(who, APPLICANT, applicant=who, profile="bitcoin_mine", site=f"{who}'s site", lon=70.0, lat=30.0,
                     grid_node_id=node, mw=mw, cells=cells)


def _count(reg, table) -> int:
    with reg.engine.begin() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_roles_come_from_the_table_and_anyone_unnamed_who_signed_in_is_an_applicant(reg):
    assert role_of(reg.engine, None) == PUBLIC  # not signed in: public, whatever else
    assert role_of(reg.engine, ALI) == APPLICANT
    assert role_of(reg.engine, " Boss@PPIB.gov.pk ") == STAFF  # an e-mail's case and spaces do not matter
    grant(reg.engine, ALI, PUBLIC, by=BOSS, by_role=STAFF, reason="asked to stop applying", now=TODAY)
    assert role_of(reg.engine, ALI) == PUBLIC
    assert [(p.subject, p.role) for p in people(reg.engine)] == [(BOSS, STAFF), (ALI, PUBLIC)]
    changes = role_history(reg.engine)
    assert [(c["subject"], c["role_before"], c["role_after"], c["by"]) for c in changes] == [
        (BOSS, None, STAFF, "setup"), (ALI, None, PUBLIC, BOSS)]


@pytest.mark.parametrize(("by", "by_role", "subject", "role", "says"), [
    (ALI, APPLICANT, ALI, STAFF, "only staff may grant roles"),         # making oneself staff
    (ALI, PUBLIC, BOB, STAFF, "only staff may grant roles"),
    (BOSS, STAFF, ALI, "admin", "not a role"),
    (BOSS, STAFF, BOSS, APPLICANT, "may not take away their own staff role"),
    (BOSS, STAFF, "<script>x</script>", STAFF, "markup"),
    (BOSS, STAFF, "x" * 1_000_000, STAFF, "more than 200"),
])
def test_a_grant_that_is_not_allowed_writes_nothing(reg, caplog, by, by_role, subject, role, says):
    before = (_count(reg, roles), _count(reg, role_changes))
    with caplog.at_level(logging.WARNING, logger="sitefinder.register"), pytest.raises(RegisterError, match=says):
        grant(reg.engine, subject, role, by=by, by_role=by_role, reason="crafted")
    assert (_count(reg, roles), _count(reg, role_changes)) == before
    if by_role != STAFF:
        assert any("refused" in r.getMessage() and by in r.getMessage() for r in caplog.records)


def test_an_applicant_crafting_a_request_for_another_application_or_an_approval_is_refused_and_logged(reg, caplog):
    bobs = _apply(reg, BOB)
    alis = _apply(reg, ALI, node="n3")
    n_events = _count(reg, events)
    crafted = [
        lambda: reg.act(bobs.id, "withdraw", ALI, role_of(reg.engine, ALI), expected_version=1, reason=""),
        lambda: reg.act(alis.id, "approve", ALI, role_of(reg.engine, ALI), expected_version=1, reason="mine"),
        lambda: reg.act(alis.id, "hold", ALI, role_of(reg.engine, ALI), expected_version=1, reason="mine",
                        hold_until=LATER),
        lambda: reg.apply(ALI, APPLICANT, applicant=BOB, profile="bitcoin_mine", site="in bob's name", lon=70.0,
                          lat=30.0, grid_node_id="n1", mw=10.0, cells=ALL_YEAR),
        lambda: reg.act(alis.id, "approve", "someone", PUBLIC, expected_version=1, reason="anonymous"),
    ]
    with caplog.at_level(logging.WARNING, logger="sitefinder.register"):
        for attempt in crafted:
            with pytest.raises(RefusedError):
                attempt()
    assert _count(reg, events) == n_events  # nothing written
    assert reg.get(bobs.id).state == reg.get(alis.id).state == "requested"
    logged = [r.getMessage() for r in caplog.records if r.name == "sitefinder.register"]
    assert len(logged) == len(crafted) and all(m.startswith("refused:") for m in logged)
    assert f"withdraw application {bobs.id}" in logged[0] and "may act only on their own" in logged[0]
    assert "an applicant may not approve" in logged[1]
    assert "in their own name" in logged[3]


def test_the_staff_queue_shows_capacity_booked_left_and_the_limit_that_would_bind(reg):
    held = _apply(reg, ALI, node="n1", mw=100.0)
    reg.act(held.id, "hold", BOSS, STAFF, expected_version=1, reason="land shown", hold_until=LATER)
    asks = _apply(reg, BOB, node="n1", mw=80.0)
    s = standing(reg.capacity, reg.all(), reg.get(asks.id))
    assert (s.node_headroom_mw, s.node_booked_mw, s.node_left_mw) == (150.0, 100.0, 50.0)
    assert s.binding is not None and "headroom of node n1" in s.binding and "100 MW is booked" in s.binding
    assert s.area == "zone:a" and s.tightest == "Jan (evening)"  # zone a has 120 MW in January evenings
    assert (s.area_room_mw, s.area_booked_mw, s.area_left_mw) == (120.0, 100.0, 20.0)
    # The same figures decide: approving it is refused for the limit the queue named.
    with pytest.raises(RefusedError, match="headroom of node n1"):
        reg.act(asks.id, "approve", BOSS, STAFF, expected_version=1, reason="try")

    small = _apply(reg, BOB, node="n2", mw=15.0, cells=WINTER_NIGHTS)
    s = standing(reg.capacity, reg.all(), reg.get(small.id))
    assert s.node_headroom_mw is None and s.node_left_mw is None and s.binding is None
    assert booked_by_node(reg.all()) == {"n1": 100.0} and booked_by_area(reg.all()) == {"zone:a": 100.0}


def test_the_public_file_has_no_names_and_places_each_application_at_its_node(reg):
    a = _apply(reg, ALI, node="n1")
    _apply(reg, BOB, node="n2")  # a node whose point the file is not given
    public = records(reg.all(), public=True, node_points={"n1": (74.25, 31.5)})
    staff = records(reg.all(), public=False)
    text = csv_text(public)
    assert ALI not in text and BOB not in text and "ali@investor.pk's site" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["grid_node_id"] for r in rows] == ["n1", "n2"] and "applicant" not in rows[0]
    fc = json.loads(geojson_text(public))
    assert fc["features"][0]["geometry"]["coordinates"] == [74.25, 31.5]
    assert fc["features"][1]["geometry"] is None
    assert ALI in csv_text(staff) and json.loads(geojson_text(staff))["features"][0]["properties"]["applicant"] == ALI
    assert staff[0]["lon"] == reg.get(a.id).lon and np.isfinite(staff[0]["lat"])
