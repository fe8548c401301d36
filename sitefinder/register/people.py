"""Who may do what in the register: each signed-in person's role, from the ``roles`` table that staff manage.

- A person the table does not name, once signed in, is an **applicant**: they may apply and act on their own
  applications. Staff must be named (``grant``); a person may also be set back to ``public`` (signed in, but
  may only browse).
- Nobody who is not signed in is anything but **public**: the app never writes for a visitor it cannot identify.
- Every grant is written twice in one transaction: the ``roles`` row and an append-only ``role_changes`` row (who
  changed whose role, from what to what, when, why).
- The first staff member is named from the command line (``sitefinder ledger grant EMAIL staff``), by whoever can
  open the database; after that, staff can grant roles in the app.

Subjects are compared as given after trimming and lower-casing (an e-mail address).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sitefinder.register.db import reading, write
from sitefinder.register.ledger import MAX_NAME, MAX_REASON, RefusedError, text_field
from sitefinder.register.states import APPLICANT, PUBLIC, STAFF
from sitefinder.register.tables import role_changes, roles

GRANTABLE = (STAFF, APPLICANT, PUBLIC)
log = logging.getLogger("sitefinder.register")


@dataclass(frozen=True)
class Person:
    """A row of the roles table."""

    subject: str
    role: str
    granted_by: str
    granted_at: dt.datetime


def subject_of(value: object) -> str:
    """A person's subject as the register keys it (trimmed, lower case); refused if it is not a plain name."""
    return text_field(value, "person", MAX_NAME).lower()


def role_of(engine: Engine, subject: str | None) -> str:
    """The role of ``subject`` (a signed-in person's e-mail): the table's, else applicant; None (not signed in):
    public."""
    if not subject:
        return PUBLIC
    with reading(engine) as conn:
        row = conn.execute(sa.select(roles.c.role).where(roles.c.subject == subject_of(subject))).first()
    return str(row[0]) if row else APPLICANT


def people(engine: Engine) -> list[Person]:
    """Everyone the roles table names, staff first."""
    with reading(engine) as conn:
        rows = conn.execute(sa.select(roles).order_by(roles.c.role.desc(), roles.c.subject)).mappings().all()
    return [Person(r["subject"], r["role"], r["granted_by"], r["granted_at"]) for r in rows]


def role_history(engine: Engine) -> list[dict[str, object]]:
    """Every role change, oldest first."""
    with reading(engine) as conn:
        return [dict(r) for r in conn.execute(sa.select(role_changes).order_by(role_changes.c.id)).mappings()]


def grant(engine: Engine, subject: str, role: str, *, by: str, by_role: str, reason: str,
          now: dt.datetime | None = None) -> Person:
    """Give ``subject`` the role ``role``, as ``by`` acting in ``by_role`` (only staff may; the command line acts
    as staff). Refused, with nothing written, for anyone else, an unknown role, or staff taking their own staff
    role away (a register must keep one person who can grant)."""
    who, by = subject_of(subject), subject_of(by)
    reason = text_field(reason, "reason", MAX_REASON)
    if by_role != STAFF:
        log.warning("refused: %s (%s) tried to make %s %s", by, by_role, who, role)
        raise RefusedError(f"roles: {by} is {by_role}; only staff may grant roles. Nothing was changed.")
    if role not in GRANTABLE:
        raise RefusedError(f"roles: '{role}' is not a role. Fix: give one of {', '.join(GRANTABLE)}.")
    if who == by and role != STAFF:
        raise RefusedError(f"roles: {by} may not take away their own staff role. Fix: ask another staff member.")
    at = now or dt.datetime.now(dt.UTC)

    def work(conn: Connection) -> Person:
        before = conn.execute(sa.select(roles.c.role).where(roles.c.subject == who)).scalar_one_or_none()
        if before is None:
            conn.execute(roles.insert().values(subject=who, role=role, granted_by=by, granted_at=at))
        else:
            conn.execute(roles.update().where(roles.c.subject == who).values(role=role, granted_by=by, granted_at=at))
        conn.execute(role_changes.insert().values(subject=who, role_before=before, role_after=role, by=by, at=at,
                                                  reason=reason))
        return Person(who, role, by, at)

    return write(engine, work)
