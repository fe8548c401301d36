"""The register as the app reads it: its database (opened and migrated once per process), its capacity (from the
built-in data), the applications (read again only when the ledger changed: one small query a run), and the
built-in data less what is booked (re-solved on the network only when what is booked changed). A hold that has run
out is expired when the app first sees it, by the system role, as ``sitefinder ledger expire`` would.

The register books against the built-in data: a user's uploaded layers are ranked on their own, and the register
tab says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
import streamlit as st

from sitefinder.data.dataset import Dataset
from sitefinder.register.booked import with_bookings
from sitefinder.register.capacity import Capacity, capacity_of
from sitefinder.register.db import default_url, engine_for, upgrade
from sitefinder.register.ledger import Application, Register
from sitefinder.register.states import BOOKED, HELD

log = logging.getLogger("sitefinder.register")
EXPIRER = "sitefinder app (a hold that ran out)"


@dataclass(frozen=True)
class Ledger:
    """The register and what it holds at ``mark``; ``problem``: why it cannot be opened (then ``register`` is None)."""

    register: Register | None
    apps: tuple[Application, ...]
    mark: int
    problem: str | None = None

    @property
    def booked(self) -> tuple[Application, ...]:
        """Held, approved and energised applications."""
        return tuple(a for a in self.apps if a.state in BOOKED)


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> sa.engine.Engine:
    engine = engine_for(url)
    upgrade(engine)
    return engine


@st.cache_resource(show_spinner="Reading the grid's capacity for the register ...", max_entries=2)
def _capacity(version: str, _ds: Dataset) -> Capacity:
    return capacity_of(_ds)


@st.cache_resource(show_spinner=False, max_entries=8)
def _apps(url: str, mark: int, _register: Register) -> tuple[Application, ...]:
    return tuple(_register.all())


def ledger(built_in: Dataset) -> Ledger:
    """The register on ``SITEFINDER_DB`` (default: a SQLite file under the user's data folder), with its
    applications; a register that cannot be opened gives a ``Ledger`` that says why (the rest of the page works)."""
    url = default_url()
    try:
        reg = Register(_engine(url), _capacity(built_in.version, built_in))
        mark = reg.mark()
        apps = _apps(url, mark, reg)
        today = dt.datetime.now(dt.UTC).date()
        if any(a.state == HELD and a.hold_until is not None and a.hold_until < today for a in apps):
            # A hold that ran out books nothing: expired by the system (as `sitefinder ledger expire` does), once.
            expired = reg.expire_due(EXPIRER, today)
            log.info("expired %d hold(s) that ran out: %s", len(expired), expired)
            mark = reg.mark()
            apps = _apps(url, mark, reg)
        return Ledger(reg, apps, mark)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        log.error("register at %s cannot be opened: %s", sa.engine.make_url(url).render_as_string(hide_password=True), exc)
        return Ledger(None, (), -1, "The register's database cannot be opened, so nothing booked is shown and nothing "
                                    "can be applied for. The server's log says why.")


@st.cache_resource(show_spinner="Taking what the register has booked off the grid (re-solving the network) ...",
                   max_entries=4)
def _booked(version: str, booked_key: tuple[tuple[int, int], ...], _ds: Dataset,
            _apps: tuple[Application, ...]) -> tuple[Dataset, tuple[str, ...]]:
    out, notes = with_bookings(_ds, list(_apps))
    return out, tuple(notes)


def booked_dataset(built_in: Dataset, led: Ledger) -> tuple[Dataset, tuple[str, ...]]:
    """The built-in data less what the register has booked (unchanged when nothing is)."""
    booked = led.booked
    if not booked:
        return built_in, ()
    return _booked(built_in.version, tuple((a.id, a.version) for a in booked), built_in, booked)
