"""What the register's buttons do. Each runs as the button's callback, on the server, before the next run draws the
page: it finds who is signed in again (``signin.visitor``: the identity Streamlit checked, the role from the roles
table), never trusting who the page said it was, and lets the ledger decide (``Register.apply``/``act`` refuse what
the role, the state, the version or the capacity do not allow, and log the refusal). The answer is kept in
``state.REGISTER_SAID`` for the page to show once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from sitefinder.register.db import RegisterError
from sitefinder.register.ledger import Register, StaleError, cells_for
from sitefinder.register.people import grant
from sitefinder.register.states import DONE
from webapp import state
from webapp.signin import log, visitor


def _say(kind: str, text: str) -> None:
    state.REGISTER_SAID.set((kind, text))


def _field(key: str) -> Any:
    return st.session_state.get(key)


def act(reg: Register, app_id: int, action: str, version: int, form: str) -> None:
    """Take ``action`` on application ``app_id`` as seen at ``version``, with the reason (and hold date) typed in the
    form ``form``."""
    who = visitor(reg.engine)
    if not who.signed_in:
        log.warning("refused: a visitor who is not signed in asked to %s application %s", action, app_id)
        _say("error", f"Application {app_id}: sign in to {action}. Nothing was changed.")
        return
    until = _field(f"{form}_until") if action == "hold" else None
    try:
        done = reg.act(app_id, action, who.subject or "", who.role, expected_version=version,
                       reason=str(_field(f"{form}_reason") or ""), hold_until=until)
    except StaleError as exc:
        _say("warning", str(exc))
        return
    except RegisterError as exc:
        _say("error", str(exc))
        return
    _say("success", f"Application {done.id} {DONE[action]}: now {done.state}, version {done.version}.")


def apply(reg: Register, site: dict[str, Any], form: str) -> None:
    """Apply for power at ``site`` (candidate id, lon, lat, grid node id, profile) with what the form ``form`` holds,
    in the signed-in person's own name."""
    who = visitor(reg.engine)
    if not who.signed_in:
        log.warning("refused: a visitor who is not signed in asked to apply at %s", site.get("site"))
        _say("error", "Sign in to apply (the Register tab). Nothing was written.")
        return
    try:
        start = _field(f"{form}_start")
        done = reg.apply(who.subject or "", who.role, applicant=who.subject or "", profile=site["profile"],
                         site=site["site"], lon=site["lon"], lat=site["lat"], grid_node_id=site["grid_node_id"],
                         mw=_field(f"{form}_mw"), cells=cells_for(str(_field(f"{form}_season")),
                                                                  list(_field(f"{form}_hours") or [])),
                         interruptible=len(_field(f"{form}_hours") or []) < 3,
                         start_date=start if isinstance(start, dt.date) else None,
                         reason=str(_field(f"{form}_note") or ""))
    except RegisterError as exc:
        _say("error", f"Your application was not made: {exc}")
        return
    _say("success", f"Application {done.id} made: {done.mw:,.0f} MW at {done.grid_node_id}, requested. Staff will "
                    "hold, approve or reject it; the Register tab shows where it stands.")


def set_role(reg: Register, form: str) -> None:
    """Give the person typed in the form ``form`` the chosen role (staff only: the people module refuses others)."""
    who = visitor(reg.engine)
    try:
        p = grant(reg.engine, str(_field(f"{form}_person") or ""), str(_field(f"{form}_role")),
                  by=who.subject or "not signed in", by_role=who.role, reason=str(_field(f"{form}_reason") or ""))
    except RegisterError as exc:
        _say("error", str(exc))
        return
    _say("success", f"{p.subject} is now {p.role}.")
