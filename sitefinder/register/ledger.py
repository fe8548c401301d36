"""The register's operations: apply, then hold, approve, reject, withdraw, energise, expire; each one checked,
serialised, versioned and written as an append-only event.

Every change runs in one serialised transaction (``db.write``) that reads the ledger, checks the action is legal
for the application's state and the actor's role (``states``), that the caller saw the newest version (else
``StaleError``, saying what changed since), and, for an action that books capacity, that every booked load and this
one still fit (``capacity.Capacity``; on approval the network model is re-solved with them all). Then it writes the
event and the application's new state together. Events are never updated or deleted: ``replay`` rebuilds every
application from them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection, Engine

from sitefinder.model.vocabulary import HOUR_TYPES, SEASON_MONTHS
from sitefinder.network.solve import unserved_with
from sitefinder.programme.network_check import TOL_MW, baseline_shed, loads_frame, run_mask
from sitefinder.register.capacity import Booking, Capacity
from sitefinder.register.db import RegisterError, reading, write
from sitefinder.register.states import ACTIONS, APPLICANT, BOOKED, HELD, STAFF, transition_problem
from sitefinder.register.tables import applications, events

MAX_MW = 5_000.0          # no single site asks more than the national surplus
MAX_NAME = 200
MAX_REASON = 2_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
log = logging.getLogger("sitefinder.register")
FIELDS = ("applicant", "profile", "site", "lon", "lat", "grid_node_id", "zone", "mw", "cells", "interruptible",
          "start_date", "hold_until", "state", "version")


class StaleError(RegisterError):
    """The application changed since the caller read it: nothing was written."""


class RefusedError(RegisterError):
    """The action is not allowed, or does not fit: nothing was written."""


@dataclass(frozen=True)
class Application:
    """An application as it stands (``state``, ``version``: the number of events so far)."""

    id: int
    applicant: str
    profile: str
    site: str
    lon: float
    lat: float
    grid_node_id: str
    zone: str | None
    mw: float
    cells: str
    interruptible: bool
    start_date: dt.date | None
    hold_until: dt.date | None
    state: str
    version: int

    @property
    def cell_mask(self) -> NDArray[np.bool_]:
        """The months and hour types it runs in, (12, 3)."""
        return cells_mask(self.cells)

    def booking(self) -> Booking:
        """Its load, for the capacity checks."""
        return Booking(self.grid_node_id, self.zone, self.mw, self.cell_mask)


def cells_text(mask: NDArray[np.bool_]) -> str:
    """A (12, 3) mask of months x hour types as 36 characters, "1" where it runs."""
    return "".join("1" if v else "0" for v in np.asarray(mask, bool).reshape(12 * len(HOUR_TYPES)))


def cells_for(season: str, hours: list[str] | tuple[str, ...]) -> NDArray[np.bool_]:
    """The (12, 3) mask of a site that runs in ``season``'s months (``SEASON_MONTHS``: year_round, winter, summer)
    and the hour types ``hours``; refused, naming the fix, when either is unknown or empty."""
    bad = [h for h in hours if h not in HOUR_TYPES]
    if bad or not hours:
        raise RefusedError(f"hours: {', '.join(map(str, bad)) or 'none'} not an hour type. Fix: give some of "
                           f"{', '.join(HOUR_TYPES)}.")
    if season not in SEASON_MONTHS:
        raise RefusedError(f"months: '{season}' is not a season. Fix: give one of {', '.join(SEASON_MONTHS)}.")
    mask = np.zeros((12, len(HOUR_TYPES)), dtype=bool)
    for m in SEASON_MONTHS[season]:
        for h in hours:
            mask[m - 1, HOUR_TYPES.index(h)] = True
    return mask


def cells_mask(text: str) -> NDArray[np.bool_]:
    """``cells_text`` read back."""
    return np.array([c == "1" for c in text], dtype=bool).reshape(12, len(HOUR_TYPES))


def text_field(value: object, what: str, limit: int, *, empty_ok: bool = False) -> str:
    """``value`` as plain text, trimmed; refused if it is not text, empty (unless ``empty_ok``), longer than
    ``limit`` characters, or holds control characters or markup."""
    if not isinstance(value, str):
        raise RefusedError(f"{what}: not text. Fix: give it as text.")
    text = value.strip()
    if not text and not empty_ok:
        raise RefusedError(f"{what}: empty. Fix: give a {what}.")
    if len(text) > limit:
        raise RefusedError(f"{what}: {len(text):,} characters, more than {limit:,}. Fix: shorten it.")
    if _CONTROL.search(text) or "<" in text or ">" in text:
        raise RefusedError(f"{what}: contains control characters or markup (< or >). Fix: give plain text.")
    return text


def _mw(value: object) -> float:
    try:
        mw = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RefusedError(f"MW: {value!r} is not a number. Fix: give the MW asked for, e.g. 100.") from None
    if not math.isfinite(mw) or mw <= 0 or mw > MAX_MW:
        raise RefusedError(f"MW: {value!r} is not between 0 and {MAX_MW:,.0f} MW. Fix: give the site's MW, e.g. 100.")
    return mw


def _row(conn: Connection, app_id: int) -> Application:
    row = conn.execute(sa.select(applications).where(applications.c.id == app_id)).mappings().first()
    if row is None:
        raise RefusedError(f"application {app_id}: there is none. Fix: `sitefinder ledger list` shows them.")
    return _application(row)


def _application(row: Any) -> Application:
    return Application(int(row["id"]), row["applicant"], row["profile"], row["site"], float(row["lon"]),
                       float(row["lat"]), row["grid_node_id"], row["zone"], float(row["mw"]), row["cells"],
                       bool(row["interruptible"]), row["start_date"], row["hold_until"], row["state"],
                       int(row["version"]))


def _detail(app: Application) -> str:
    d = asdict(app)
    d.pop("id")
    return json.dumps({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in d.items()}, sort_keys=True)


class Register:
    """The register on ``engine`` with ``capacity`` (None: nothing can be booked, only applied for); ``today``
    and ``now`` give the date and time (UTC), so tests can set them."""

    def __init__(self, engine: Engine, capacity: Capacity | None, *,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.engine = engine
        self.capacity = capacity
        self.now = now

    # -- reading ------------------------------------------------------------------------------------------------

    def get(self, app_id: int) -> Application:
        """One application as it stands."""
        with reading(self.engine) as conn:
            return _row(conn, app_id)

    def all(self) -> list[Application]:
        """Every application, oldest first."""
        with reading(self.engine) as conn:
            return [_application(r) for r in conn.execute(sa.select(applications).order_by(applications.c.id)).mappings()]

    def history(self, app_id: int) -> list[dict[str, Any]]:
        """Its events, oldest first."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(events).where(events.c.application_id == app_id).order_by(events.c.seq))
            return [dict(r) for r in rows.mappings()]

    def mark(self) -> int:
        """A number that changes with every change to the ledger (the newest event's id; events are append-only):
        one cheap query that tells a reader whether what it holds is current."""
        with reading(self.engine) as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.id), 0))).scalar_one())

    def booked(self) -> list[Application]:
        """The applications whose MW count against capacity (held, approved, energised)."""
        return [a for a in self.all() if a.state in BOOKED]

    # -- writing ------------------------------------------------------------------------------------------------

    def apply(self, actor: str, role: str, **fields: Any) -> Application:
        """A new application (requested: nothing is booked yet). An applicant applies in their own name. The fields
        are ``_apply``'s; a refusal is logged (``sitefinder.register``) and raised."""
        try:
            return self._apply(actor, role, **fields)
        except RegisterError as exc:
            log.warning("refused: %r (%s) apply: %s", actor, role, exc)
            raise

    def act(self, app_id: int, action: str, actor: str, role: str, *, expected_version: int, reason: str,
            hold_until: dt.date | None = None) -> Application:
        """Take ``action`` on application ``app_id`` as ``actor`` in ``role``, from the view at ``expected_version``.
        Refused (nothing written; logged to ``sitefinder.register``) when illegal, stale, or when it does not fit
        the capacity."""
        try:
            return self._act(app_id, action, actor, role, expected_version=expected_version, reason=reason,
                             hold_until=hold_until)
        except RegisterError as exc:
            log.warning("refused: %r (%s) %s application %s: %s", actor, role, action, app_id, exc)
            raise

    def _apply(self, actor: str, role: str, *, applicant: str, profile: str, site: str, lon: float, lat: float,
               grid_node_id: str, mw: float, cells: NDArray[np.bool_], interruptible: bool = False,
               start_date: dt.date | None = None, reason: str = "") -> Application:
        actor, applicant = text_field(actor, "actor", MAX_NAME), text_field(applicant, "applicant", MAX_NAME)
        problem = transition_problem("apply", None, role)
        if problem:
            raise RefusedError(f"apply: {problem}.")
        if role == APPLICANT and applicant != actor:
            raise RefusedError(f"apply: {actor} may apply only in their own name, not {applicant}'s.")
        mw = _mw(mw)
        site, profile = text_field(site, "site", MAX_NAME), text_field(profile, "profile", MAX_NAME)
        reason = text_field(reason, "reason", MAX_REASON, empty_ok=True)
        if not (isinstance(lon, (int, float)) and isinstance(lat, (int, float)) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise RefusedError(f"site {site}: longitude/latitude {lon!r}, {lat!r} are not a place (EPSG:4326). "
                               "Fix: give degrees, longitude first.")
        mask = np.asarray(cells, dtype=bool).reshape(12, len(HOUR_TYPES))
        if not mask.any():
            raise RefusedError("months and hours: none. Fix: say when the site would run (e.g. all year).")
        node = text_field(grid_node_id, "grid node", MAX_NAME)
        zone = None
        if self.capacity is not None:
            if node not in self.capacity.node_area:
                raise RefusedError(f"grid node {node}: not a node of this dataset's network model (unknown, or off the "
                                   "grid). Fix: apply at a node the map shows, on the national grid.")
            zone = self.capacity.node_area[node]
        today = self.now().date()
        if start_date is not None and start_date < today:
            raise RefusedError(f"start date {start_date}: in the past. Fix: give {today} or later.")

        def work(conn: Connection) -> Application:
            at = self.now()
            new_id = conn.execute(applications.insert().values(
                applicant=applicant, profile=profile, site=site, lon=float(lon), lat=float(lat), grid_node_id=node,
                zone=zone, mw=mw, cells=cells_text(mask), interruptible=bool(interruptible), start_date=start_date,
                hold_until=None, state="requested", version=1, created_at=at, updated_at=at)).inserted_primary_key
            assert new_id is not None
            app = _row(conn, int(new_id[0]))
            self._event(conn, app, None, "apply", actor, role, reason, None, at)
            return app

        return write(self.engine, work)

    def _act(self, app_id: int, action: str, actor: str, role: str, *, expected_version: int, reason: str,
             hold_until: dt.date | None) -> Application:
        actor = text_field(actor, "actor", MAX_NAME)
        reason = text_field(reason, "reason", MAX_REASON, empty_ok=role != STAFF)
        if action == "apply" or action not in ACTIONS:
            raise RefusedError(f"{action}: not an action on an application (hold, approve, reject, withdraw, energise, "
                               "expire).")
        if action == "hold":
            if hold_until is None or hold_until <= self.now().date():
                raise RefusedError(f"hold: the expiry date {hold_until} is not in the future. Fix: give a date after "
                                   f"{self.now().date()}.")

        def work(conn: Connection) -> Application:
            app = _row(conn, app_id)
            if app.version != expected_version:
                raise StaleError(f"application {app_id}: changed by someone else since version {expected_version}; "
                                 f"now version {app.version}, {app.state}. What changed: "
                                 + "; ".join(_event_text(e) for e in _events_after(conn, app_id, expected_version))
                                 + ". Nothing was written; look again and decide.")
            problem = transition_problem(action, app.state, role)
            if problem:
                raise RefusedError(f"application {app_id}: {problem}.")
            if role == APPLICANT and app.applicant != actor:
                raise RefusedError(f"application {app_id}: {actor} may act only on their own applications.")
            if ACTIONS[action].books:  # against every other booked load (a held one is not counted twice)
                self._check_fits(conn, app, network=action == "approve")
            at = self.now()
            new = ACTIONS[action].target
            values: dict[str, Any] = {"state": new, "version": app.version + 1, "updated_at": at}
            if action == "hold":
                values["hold_until"] = hold_until
            conn.execute(applications.update().where(applications.c.id == app_id)
                         .where(applications.c.version == app.version).values(**values))
            updated = _row(conn, app_id)
            self._event(conn, updated, app, action, actor, role, reason, app.mw, at)
            return updated

        return write(self.engine, work)

    def expire_due(self, actor: str = "sitefinder", today: dt.date | None = None) -> list[int]:
        """Expire every held application whose hold ran out before ``today``; their ids."""
        today = today or self.now().date()
        due = [a for a in self.all() if a.state == HELD and a.hold_until is not None and a.hold_until < today]
        done = []
        for a in due:
            try:
                self.act(a.id, "expire", actor, "system", expected_version=a.version, reason=f"hold ran out on {a.hold_until}")
                done.append(a.id)
            except StaleError:  # someone acted on it meanwhile: leave it to them
                continue
        return done

    # -- inside a transaction -----------------------------------------------------------------------------------

    def _check_fits(self, conn: Connection, app: Application, *, network: bool) -> None:
        if self.capacity is None:
            raise RefusedError(f"application {app.id}: this register has no capacity to book against (no dataset). "
                               "Fix: run it with the dataset the applications are for.")
        others = [_application(r).booking() for r in conn.execute(
            sa.select(applications).where(applications.c.state.in_(sorted(BOOKED)))
            .where(applications.c.id != app.id)).mappings()]
        problem = self.capacity.problem(others, app.booking())
        if problem:
            raise RefusedError(f"application {app.id}: does not fit: {problem}. Nothing was booked.")
        if network and self.capacity.network is not None:
            problem = network_problem(self.capacity.network, [*others, app.booking()])
            if problem:
                raise RefusedError(f"application {app.id}: the network model, re-solved with every booked load and "
                                   f"this one, {problem}. Nothing was approved.")

    def _event(self, conn: Connection, app: Application, before: Application | None, action: str, actor: str,
               role: str, reason: str, mw_before: float | None, at: dt.datetime) -> None:
        conn.execute(events.insert().values(
            application_id=app.id, seq=app.version, at=at, actor=actor, role=role, action=action,
            from_state=before.state if before else None, to_state=app.state, mw_before=mw_before, mw_after=app.mw,
            reason=reason, detail=_detail(app)))


def network_problem(system: Any, bookings: list[Booking]) -> str | None:
    """Re-solve ``system`` (a ``PowerSystem``) with every booking's load at its zone's bus: None if nobody is shed,
    else where the network falls short, in words."""
    on_bus = [b for b in bookings if b.area and b.area.startswith("zone:") and b.area[5:] in system.demand.columns]
    if not on_bus:
        return None
    runs = [run_mask(system, b.cells) for b in on_bus]
    extra = loads_frame(system, [b.area[5:] for b in on_bus if b.area], runs, np.array([b.mw for b in on_bus]))
    shed = unserved_with(system, extra, baseline_shed(system))
    worst = float(shed.to_numpy().max(initial=0.0))
    if worst <= TOL_MW:
        return None
    case = shed.max(axis=1).idxmax()
    key = case if isinstance(case, tuple) else (case,)
    return f"would shed {worst:,.0f} MW in month {key[0]} ({key[1]})"


def _events_after(conn: Connection, app_id: int, version: int) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(events).where(events.c.application_id == app_id).where(events.c.seq > version)
                        .order_by(events.c.seq))
    return [dict(r) for r in rows.mappings()]


def _event_text(e: dict[str, Any]) -> str:
    return f"{e['action']} by {e['actor']} ({e['role']}) at {e['at']:%Y-%m-%d %H:%M}: {e['from_state']} -> {e['to_state']}"


def replay(engine: Engine) -> dict[int, dict[str, Any]]:
    """Every application rebuilt from its events alone (the fields of ``FIELDS``): equal to the applications table."""
    out: dict[int, dict[str, Any]] = {}
    with reading(engine) as conn:
        for e in conn.execute(sa.select(events).order_by(events.c.application_id, events.c.seq)).mappings():
            detail = json.loads(e["detail"])
            state = out.setdefault(int(e["application_id"]), {})
            if e["seq"] != len(state.get("_seqs", [])) + 1:
                raise RegisterError(f"application {e['application_id']}: event {e['seq']} out of order in the ledger")
            state.setdefault("_seqs", []).append(e["seq"])
            state.update({k: detail[k] for k in FIELDS if k in detail})
            state["state"], state["version"], state["mw"] = e["to_state"], e["seq"], e["mw_after"]
    for state in out.values():
        state.pop("_seqs", None)
    return out


def table_state(engine: Engine) -> dict[int, dict[str, Any]]:
    """The applications table in ``replay``'s form, to compare the two."""
    out: dict[int, dict[str, Any]] = {}
    with reading(engine) as conn:
        for r in conn.execute(sa.select(applications)).mappings():
            out[int(r["id"])] = {k: (r[k].isoformat() if isinstance(r[k], dt.date) else r[k]) for k in FIELDS}
            out[int(r["id"])]["interruptible"] = bool(r["interruptible"])
    return out
