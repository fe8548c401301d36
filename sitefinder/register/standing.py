"""Where an application stands against the capacity, for the staff's queue: its node's headroom and its surplus
area's deliverable surplus, what is booked there already, what approving it would leave, and the limit that would
bind (the same check approval makes, without the network re-solve, which runs when staff press approve).

MW throughout. The surplus area figures are at the application's tightest cell (the month and hour type it runs in
with the least room left).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sitefinder.model.vocabulary import HOUR_TYPES, MONTH_NAMES
from sitefinder.register.capacity import Capacity
from sitefinder.register.ledger import Application
from sitefinder.register.states import BOOKED


@dataclass(frozen=True)
class Standing:
    """One application's place in its node and area. ``None`` where the figure is not known (a node with no
    published or assumed headroom; a site off the network model)."""

    node_headroom_mw: float | None
    node_booked_mw: float          # booked at the node by the others (held, approved, energised)
    area: str | None
    area_name: str | None
    area_room_mw: float | None     # the area's deliverable surplus at the tightest cell
    area_booked_mw: float          # booked in the area by the others, at that cell
    tightest: str | None           # that cell, e.g. "Jan (evening)"
    binding: str | None            # the limit approving would break, None: it fits

    @property
    def node_left_mw(self) -> float | None:
        """Node headroom left if it were approved."""
        return None if self.node_headroom_mw is None else self.node_headroom_mw - self.node_booked_mw

    @property
    def area_left_mw(self) -> float | None:
        """Area surplus left at the tightest cell, before this application."""
        return None if self.area_room_mw is None else self.area_room_mw - self.area_booked_mw


def standing(capacity: Capacity, apps: Sequence[Application], app: Application) -> Standing:
    """Where ``app`` stands beside the other booked applications in ``apps``."""
    others = [a for a in apps if a.state in BOOKED and a.id != app.id]
    bookings = [a.booking() for a in others]
    node = app.grid_node_id
    node_booked = sum(b.mw for b in bookings if b.grid_node_id == node)
    area_room = area_booked = None
    tightest = None
    if app.zone is not None and app.zone in capacity.room:
        room = np.nan_to_num(capacity.room[app.zone], nan=0.0)
        used = sum((b.mw * b.cells for b in bookings if b.area == app.zone), np.zeros((12, len(HOUR_TYPES))))
        left = np.where(app.cell_mask, room - used, np.inf)
        m, h = np.unravel_index(int(np.argmin(left)), left.shape)
        area_room, area_booked = float(room[m, h]), float(used[m, h])
        tightest = f"{MONTH_NAMES[int(m)]} ({HOUR_TYPES[int(h)]})"
    return Standing(capacity.headroom.get(node), node_booked, app.zone,
                    capacity.names.get(app.zone, app.zone) if app.zone else None, area_room, area_booked or 0.0,
                    tightest, capacity.problem(bookings, app.booking()))


def booked_by_node(apps: Sequence[Application]) -> dict[str, float]:
    """MW booked at each grid node (held, approved, energised)."""
    out: dict[str, float] = {}
    for a in apps:
        if a.state in BOOKED:
            out[a.grid_node_id] = out.get(a.grid_node_id, 0.0) + a.mw
    return out


def booked_by_area(apps: Sequence[Application]) -> dict[str, float]:
    """MW booked in each surplus area (its largest load: the sum of the booked MW)."""
    out: dict[str, float] = {}
    for a in apps:
        if a.state in BOOKED and a.zone:
            out[a.zone] = out.get(a.zone, 0.0) + a.mw
    return out
