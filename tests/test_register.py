"""The register (issue 19): its lifecycle, capacity booking, versions, bad input, and a stateful property test of
random sequences of actions whose invariants are checked after every step. Each on a real SQLite file and on a
real PostgreSQL database (``register_url``, tests/conftest.py), migrated by Alembic. (The world:
``tests/register_world.py``.)"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from register_world import ALL_YEAR, TODAY, WINTER_NIGHTS, capacity, register_at

from sitefinder.register import db
from sitefinder.register.db import RegisterError, current_revision, write
from sitefinder.register.ledger import MAX_MW, RefusedError, StaleError, replay, table_state
from sitefinder.register.states import (
    ACTIONS,
    APPLICANT,
    BOOKED,
    CLOSED,
    PUBLIC,
    ROLES,
    STAFF,
    STATES,
    transition_problem,
)
from sitefinder.register.tables import applications, events, metadata

LATER = dt.date(2027, 3, 31)


@pytest.fixture
def reg(register_url):
    return register_at(register_url(), migrate=True)


def _apply(reg, node: str = "n1", mw: float = 100.0, who: str = "ali@example.org", cells=ALL_YEAR):
    return reg.apply(who, APPLICANT, applicant=who, profile="bitcoin_mine", site=f"cell near {node}", lon=70.0,
                     lat=30.0, grid_node_id=node, mw=mw, cells=cells)


def _count(reg, table) -> int:
    with reg.engine.begin() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# ---------------------------------------------------------------------------------------------------------------
# The lifecycle


def test_the_migrations_make_the_tables_the_code_uses(reg):
    assert current_revision(reg.engine) == "0002"
    inspector = sa.inspect(reg.engine)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}, table.name


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", [None, *STATES])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_is_allowed_exactly_from_its_states_and_for_its_roles(action, state, role):
    a = ACTIONS[action]
    allowed = state in a.sources and role in a.roles
    assert (transition_problem(action, state, role) is None) == allowed
    if state in CLOSED:
        assert transition_problem(action, state, STAFF) is not None  # nothing leaves a closed state
    if role == PUBLIC:
        assert transition_problem(action, state, role) is not None  # the public may change nothing


def test_hold_approve_and_energise_book_the_mw_and_every_step_is_an_event(reg):
    a = _apply(reg)
    assert a.state == "requested" and a.version == 1 and a.zone == "zone:a"
    a = reg.act(a.id, "hold", "sam", STAFF, expected_version=1, reason="land shown", hold_until=LATER)
    a = reg.act(a.id, "approve", "sam", STAFF, expected_version=2, reason="finance shown")
    a = reg.act(a.id, "energise", "sam", STAFF, expected_version=3, reason="connected")
    assert (a.state, a.version) == ("energised", 4)
    history = reg.history(a.id)
    assert [(e["action"], e["from_state"], e["to_state"], e["actor"], e["role"]) for e in history] == [
        ("apply", None, "requested", "ali@example.org", APPLICANT), ("hold", "requested", "held", "sam", STAFF),
        ("approve", "held", "approved", "sam", STAFF), ("energise", "approved", "energised", "sam", STAFF)]
    assert [e["reason"] for e in history[1:]] == ["land shown", "finance shown", "connected"]
    assert replay(reg.engine) == table_state(reg.engine)


def test_booking_never_exceeds_the_node_and_names_the_limit_that_binds(reg):
    first, second = _apply(reg, mw=100.0), _apply(reg, mw=60.0, who="bo@example.org")
    reg.act(first.id, "approve", "sam", STAFF, expected_version=1, reason="ok")
    with pytest.raises(RefusedError, match=r"headroom of node n1 \(published: 150 MW\) binds: 100 MW is booked"):
        reg.act(second.id, "hold", "sam", STAFF, expected_version=1, reason="try", hold_until=LATER)
    assert reg.get(second.id).state == "requested" and len(reg.history(second.id)) == 1  # nothing written
    reg.act(reg.get(first.id).id, "withdraw", "ali@example.org", APPLICANT, expected_version=2, reason="")
    assert reg.act(second.id, "hold", "sam", STAFF, expected_version=1, reason="room now",
                   hold_until=LATER).state == "held"  # a withdrawn application frees its MW


def test_booking_never_exceeds_the_zone_in_any_month_and_hour_type_it_runs(reg):
    """Zone a has 120 MW on January evenings: a site running all year is refused beyond that, one running only on
    winter nights is not."""
    big = reg.act(_apply(reg, node="n2", mw=100.0).id, "approve", "sam", STAFF, expected_version=1, reason="ok")
    assert big.state == "approved"
    evening = _apply(reg, node="n2", mw=50.0, who="bo@example.org")
    with pytest.raises(RefusedError, match=r"deliverable surplus of Zone A binds in Jan \(evening\): 120 MW, of which "
                                           r"100 MW is booked, and this asks 50 MW"):
        reg.act(evening.id, "approve", "sam", STAFF, expected_version=1, reason="try")
    nights = _apply(reg, node="n2", mw=140.0, who="cy@example.org", cells=WINTER_NIGHTS)
    assert reg.act(nights.id, "approve", "sam", STAFF, expected_version=1, reason="nights").state == "approved"


def test_the_zones_share_their_idle_generation(reg):
    reg.act(_apply(reg, node="n3", mw=200.0).id, "approve", "sam", STAFF, expected_version=1, reason="ok")
    reg.act(_apply(reg, node="n2", mw=100.0, who="bo@example.org").id, "approve", "sam", STAFF, expected_version=1,
            reason="ok")
    last = _apply(reg, node="n2", mw=100.0, who="cy@example.org", cells=WINTER_NIGHTS)
    with pytest.raises(RefusedError, match="idle generation the zones share binds"):
        reg.act(last.id, "hold", "sam", STAFF, expected_version=1, reason="try", hold_until=LATER)


def test_a_stale_view_is_refused_saying_what_changed(reg):
    a = _apply(reg)
    reg.act(a.id, "hold", "sam", STAFF, expected_version=1, reason="land shown", hold_until=LATER)
    with pytest.raises(StaleError, match=r"changed by someone else since version 1; now version 2, held\. What changed: "
                                         r"hold by sam \(staff\)"):
        reg.act(a.id, "reject", "kim", STAFF, expected_version=1, reason="no land")
    assert reg.get(a.id).state == "held"


def test_an_applicant_acts_only_on_their_own_and_never_approves(reg):
    a = _apply(reg)
    with pytest.raises(RefusedError, match="may act only on their own"):
        reg.act(a.id, "withdraw", "bo@example.org", APPLICANT, expected_version=1, reason="")
    with pytest.raises(RefusedError, match="an applicant may not approve"):
        reg.act(a.id, "approve", "ali@example.org", APPLICANT, expected_version=1, reason="")
    with pytest.raises(RefusedError, match="only in their own name"):
        reg.apply("bo@example.org", APPLICANT, applicant="ali@example.org", profile="bitcoin_mine", site="x",
                  lon=70.0, lat=30.0, grid_node_id="n1", mw=10.0, cells=ALL_YEAR)
    assert _count(reg, events) == 1


def test_holds_that_ran_out_expire(reg):
    a = reg.act(_apply(reg).id, "hold", "sam", STAFF, expected_version=1, reason="land", hold_until=dt.date(2026, 12, 20))
    assert reg.expire_due(today=dt.date(2026, 12, 20)) == []
    assert reg.expire_due(today=dt.date(2026, 12, 21)) == [a.id]
    assert reg.get(a.id).state == "expired" and reg.history(a.id)[-1]["role"] == "system"


def test_times_read_back_are_utc_whatever_the_servers_time_zone(reg):
    """The clock says 09:00 UTC. The test PostgreSQL server runs in Asia/Karachi (UTC+5, tests/pgcluster.py), as a
    shared server may: the register still reads 09:00 back, and says 09:00 when it tells what changed."""
    a = reg.act(_apply(reg).id, "hold", "sam", STAFF, expected_version=1, reason="land", hold_until=LATER)
    at = reg.history(a.id)[-1]["at"]
    assert at.replace(tzinfo=None) == TODAY.replace(tzinfo=None) and at.utcoffset() in (None, dt.timedelta(0)), at
    with pytest.raises(StaleError, match=r"hold by sam \(staff\) at 2026-12-07 09:00: requested -> held"):
        reg.act(a.id, "reject", "kim", STAFF, expected_version=1, reason="no land")


def test_a_reader_neither_waits_for_a_writer_nor_sees_what_it_has_not_committed(reg):
    """The app reads the ledger on every run: a reader must not queue behind an approval's network re-check."""
    a = _apply(reg)
    with reg.engine.connect() as writer:
        tx = writer.begin()  # the write lock (SQLite: BEGIN IMMEDIATE), held while "the network is re-solved"
        writer.execute(applications.update().where(applications.c.id == a.id).values(state="held", version=2))
        started = time.monotonic()
        seen = reg.get(a.id)
        mark = reg.mark()
        waited = time.monotonic() - started
        tx.rollback()
    assert (seen.state, seen.version) == ("requested", 1)  # the last commit, not the open write
    assert mark == 1
    assert waited < 2.0, f"a reader waited {waited:.1f} s for a writer"


@pytest.mark.postgres
def test_a_transaction_postgresql_aborts_as_a_serialisation_failure_is_run_again(postgres_cluster, monkeypatch):
    """On PostgreSQL, a write whose row another transaction changed and committed meanwhile is aborted by the server
    (SQLSTATE 40001) and run again from the start by ``db.write``, which then reads the newer row; one beaten every
    time gives up after ``RETRIES`` tries with a clear refusal. (SQLite takes the write lock at the start of every
    transaction, so this cannot happen there.)"""
    url = postgres_cluster.new_database()
    reg = register_at(url, migrate=True)
    try:
        a = _apply(reg)
        seen: list[int] = []

        def work(conn):
            version = conn.execute(sa.select(applications.c.version).where(applications.c.id == a.id)).scalar_one()
            seen.append(version)
            if len(seen) == 1:  # someone else changes it, and commits, between our read and our write
                reg.act(a.id, "hold", "sam", STAFF, expected_version=1, reason="land", hold_until=LATER)
            conn.execute(applications.update().where(applications.c.id == a.id).values(version=version + 1))
            return version

        assert write(reg.engine, work) == 2 and seen == [1, 2]
        assert reg.get(a.id).version == 3

        def always_beaten(conn):  # someone else gets in first every time: after RETRIES tries, a clear refusal
            version = conn.execute(sa.select(applications.c.version).where(applications.c.id == a.id)).scalar_one()
            reg.act(a.id, "hold", "sam", STAFF, expected_version=version, reason="again", hold_until=LATER)
            conn.execute(applications.update().where(applications.c.id == a.id).values(version=version + 1))

        monkeypatch.setattr(db, "RETRIES", 3)
        with pytest.raises(RegisterError, match="the register is busy: 3 tries .* Nothing was written"):
            write(reg.engine, always_beaten)
        assert reg.get(a.id).version == 3 + 3  # only the three holds that beat it
    finally:
        reg.engine.dispose()
        postgres_cluster.drop_database(url)


# ---------------------------------------------------------------------------------------------------------------
# Bad input: a clear refusal, and nothing written


BAD_APPLY = [
    ({"mw": -5.0}, "MW: -5.0 is not between 0"),
    ({"mw": float("nan")}, "is not between 0"),
    ({"mw": MAX_MW * 10}, "is not between 0"),
    ({"mw": "lots"}, "'lots' is not a number"),
    ({"grid_node_id": "nowhere"}, "grid node nowhere: not a node of this dataset's network model"),
    ({"site": "<script>alert(1)</script>"}, "site: contains control characters or markup"),
    ({"applicant": "x" * 1_000_000, "actor": "x" * 1_000_000}, "actor: 1,000,000 characters, more than 200"),
    ({"reason": "r" * 1_000_000}, "reason: 1,000,000 characters"),
    ({"start_date": dt.date(2020, 1, 1)}, "start date 2020-01-01: in the past"),
    ({"lon": 500.0}, "are not a place"),
    ({"cells": np.zeros((12, 3), bool)}, "months and hours: none"),
]


@pytest.mark.parametrize(("change", "message"), BAD_APPLY, ids=[m for _, m in BAD_APPLY])
def test_bad_input_is_refused_clearly_and_nothing_is_written(reg, change, message):
    args = {"actor": "ali@example.org", "applicant": "ali@example.org", "profile": "bitcoin_mine", "site": "cell",
            "lon": 70.0, "lat": 30.0, "grid_node_id": "n1", "mw": 100.0, "cells": ALL_YEAR, "reason": ""}
    args.update(change)
    actor = args.pop("actor")
    with pytest.raises(RefusedError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reg.apply(actor, APPLICANT, **args)
    assert _count(reg, applications) == 0 and _count(reg, events) == 0


def test_a_hold_needs_an_expiry_in_the_future_and_staff_need_a_reason(reg):
    a = _apply(reg)
    with pytest.raises(RefusedError, match="expiry date 2026-12-07 is not in the future"):
        reg.act(a.id, "hold", "sam", STAFF, expected_version=1, reason="land", hold_until=TODAY.date())
    with pytest.raises(RefusedError, match="reason: empty"):
        reg.act(a.id, "reject", "sam", STAFF, expected_version=1, reason=" ")
    assert len(reg.history(a.id)) == 1


# ---------------------------------------------------------------------------------------------------------------
# A stateful property test: random sequences of actions, the invariants after every step


NODES = ("n1", "n2", "n3")


class RegisterMachine(RuleBasedStateMachine):
    """Applies, holds, approves, rejects, withdraws, energises and expires at random, by staff and applicants, from
    fresh and stale views; checks after every step that booked MW fit every limit, that every event is a legal
    transition, and that replaying the events gives the table."""

    def __init__(self, new_url: Callable[[], str]) -> None:
        super().__init__()
        self.new_url = new_url  # a new empty database for each run
        self.reg = None
        self.seen: dict[int, int] = {}  # application id -> the version this actor last saw

    @initialize()
    def start(self) -> None:
        self.reg = register_at(self.new_url(), migrate=True)

    def teardown(self) -> None:
        if self.reg is not None:
            self.reg.engine.dispose()  # no connections left open to a database that is dropped at the end

    @rule(node=st.sampled_from(NODES), mw=st.sampled_from([20.0, 50.0, 100.0, 150.0]),
          who=st.sampled_from(["ali@example.org", "bo@example.org"]), nights=st.booleans())
    def apply(self, node, mw, who, nights) -> None:
        a = _apply(self.reg, node=node, mw=mw, who=who, cells=WINTER_NIGHTS if nights else ALL_YEAR)
        self.seen[a.id] = a.version

    @rule(data=st.data(),  # booking actions, staff and fresh views more often: the limits must be reached
          action=st.sampled_from(["hold", "approve", "hold", "approve", "reject", "withdraw", "energise", "expire"]),
          role=st.sampled_from([STAFF, STAFF, STAFF, APPLICANT]), stale=st.sampled_from([False, False, False, True]))
    def act(self, data, action, role, stale) -> None:
        if not self.seen:
            return
        app_id = data.draw(st.sampled_from(sorted(self.seen)))
        now = self.reg.get(app_id)
        version = self.seen[app_id] if stale else now.version
        actor = now.applicant if role == APPLICANT else "sam"
        try:
            after = self.reg.act(app_id, action, actor, role, expected_version=version, reason="because",
                                 hold_until=LATER)
        except StaleError:
            assert version != now.version
            return
        except RefusedError:
            assert self.reg.get(app_id) == now  # a refusal writes nothing
            return
        finally:
            self.seen[app_id] = self.reg.get(app_id).version
        assert version == now.version and transition_problem(action, now.state, role) is None
        assert after.version == now.version + 1

    @invariant()
    def booked_mw_fit_every_limit(self) -> None:
        if self.reg is None:
            return
        cap = capacity()
        booked = [a.booking() for a in self.reg.all() if a.state in BOOKED]
        for node, limit in cap.headroom.items():
            assert sum(b.mw for b in booked if b.grid_node_id == node) <= limit + 1e-6
        zero = np.zeros((12, 3))
        for area, room in cap.room.items():
            assert (sum((b.mw * b.cells for b in booked if b.area == area), zero) <= room + 1e-6).all()
        assert (sum((b.mw * b.cells for b in booked), zero) <= cap.group + 1e-6).all()

    @invariant()
    def every_event_is_a_legal_transition_and_replay_equals_the_table(self) -> None:
        if self.reg is None:
            return
        with self.reg.engine.begin() as conn:
            for e in conn.execute(sa.select(events)).mappings():
                assert transition_problem(e["action"], e["from_state"], e["role"]) is None, dict(e)
                assert e["to_state"] == ACTIONS[e["action"]].target
        assert replay(self.reg.engine) == table_state(self.reg.engine)


def test_random_sequences_keep_every_invariant(register_url):
    """40 runs of 40 steps on each backend, each run on a new database of its own."""
    run_state_machine_as_test(lambda: RegisterMachine(register_url), settings=settings(
        max_examples=40, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]))
