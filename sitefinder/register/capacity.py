"""What the register can book: each grid node's headroom, each surplus area's deliverable surplus by month and hour
type, the zones' shared idle generation, and the network model to re-solve on approval. Built from a dataset.

MW throughout; a cell is one month x hour type ((12, 3), ``HOUR_TYPES`` order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.measure.surplus import ZONE, hourly_surplus, surplus_areas
from sitefinder.model.vocabulary import HOUR_TYPES, MONTH_NAMES
from sitefinder.network.system import PowerSystem
from sitefinder.programme.network_check import systems_of


@dataclass(frozen=True)
class Booking:
    """A load the register holds: its MW at its node and surplus area, in its cells."""

    grid_node_id: str
    area: str | None
    mw: float
    cells: NDArray[np.bool_]


@dataclass(frozen=True)
class Capacity:
    """``headroom``: node id -> MW (known, or assumed by the user; a node not here is not limited by headroom);
    ``room``: surplus area id -> (12, 3) MW; ``group``: the zones' shared idle generation, (12, 3) MW (the largest
    zone's, as in the programme's ledger), or None; ``node_area``: node id -> the surplus area a site connecting there
    draws on; ``names``: area id -> name; ``network``: the central network model, re-solved on approval, or None;
    ``headroom_basis``: how the headroom figures were found."""

    headroom: dict[str, float]
    room: dict[str, NDArray[np.float64]]
    group: NDArray[np.float64] | None
    node_area: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    network: PowerSystem | None = None
    headroom_basis: str = "published"

    def problem(self, bookings: list[Booking], new: Booking) -> str | None:
        """Why ``new`` cannot be booked beside ``bookings``, naming the limit that binds; None when it fits."""
        node = new.grid_node_id
        if node in self.headroom:
            used = sum(b.mw for b in bookings if b.grid_node_id == node)
            limit = self.headroom[node]
            if used + new.mw > limit + 1e-6:
                return (f"the headroom of node {node} ({self.headroom_basis}: {limit:,.0f} MW) binds: {used:,.0f} MW is "
                        f"booked there and this asks {new.mw:,.0f} MW")
        if new.area is not None and new.area in self.room:
            used_cells = sum((b.mw * b.cells for b in bookings if b.area == new.area), np.zeros((12, len(HOUR_TYPES))))
            over = _first_over(self.room[new.area], used_cells, new)
            if over:
                m, h, room, used = over
                return (f"the deliverable surplus of {self.names.get(new.area, new.area)} binds in {MONTH_NAMES[m]} "
                        f"({HOUR_TYPES[h]}): {room:,.0f} MW, of which {used:,.0f} MW is booked, and this asks "
                        f"{new.mw:,.0f} MW")
        if self.group is not None and new.area is not None and new.area.startswith(ZONE):
            used_cells = sum((b.mw * b.cells for b in bookings if b.area and b.area.startswith(ZONE)),
                             np.zeros((12, len(HOUR_TYPES))))
            over = _first_over(self.group, used_cells, new)
            if over:
                m, h, room, used = over
                return (f"the idle generation the zones share binds in {MONTH_NAMES[m]} ({HOUR_TYPES[h]}): "
                        f"{room:,.0f} MW, of which {used:,.0f} MW is booked, and this asks {new.mw:,.0f} MW")
        return None


def _first_over(room: NDArray[np.float64], used: NDArray[np.floating], new: Booking) -> tuple[int, int, float, float] | None:
    need = used + new.mw
    bad = new.cells & ~(np.nan_to_num(room, nan=-math.inf) + 1e-6 >= need)
    if not bad.any():
        return None
    m, h = (int(v) for v in np.argwhere(bad)[0])
    return m, h, float(np.nan_to_num(room[m, h], nan=0.0)), float(used[m, h])


def capacity_of(dataset: Dataset, assumed_headroom_mw: float | None = None) -> Capacity:
    """The register's capacity in ``dataset``: node headroom (published; where unknown, ``assumed_headroom_mw`` if
    given, else not limiting), each surplus area's deliverable surplus (central), the zones' shared generation, each
    node's area (its zone; a node in no zone has none: a site there is off the network model), and the network
    model."""
    nodes = dataset["grid_nodes"].drop_duplicates("node_id")
    ids = nodes["node_id"].astype(str).tolist()
    head = nodes["headroom_mw"].to_numpy(float) if "headroom_mw" in nodes else np.full(len(nodes), np.nan)
    headroom = {n: float(h) for n, h in zip(ids, head) if np.isfinite(h)}
    basis = "published"
    if assumed_headroom_mw is not None:
        headroom = {n: headroom.get(n, float(assumed_headroom_mw)) for n in ids}
        basis = f"published, else assumed {assumed_headroom_mw:g} MW"
    areas = surplus_areas(dataset)
    surplus = hourly_surplus(areas, "")
    room = {str(a): surplus[i] for i, a in enumerate(areas.index)}
    zoned = [i for i, a in enumerate(areas.index) if str(a).startswith(ZONE)]
    group = np.nanmax(surplus[zoned], axis=0) if len(zoned) > 1 else None
    zone_of = nodes["zone"] if "zone" in nodes else [None] * len(nodes)
    node_area = {n: ZONE + str(z) for n, z in zip(ids, zone_of) if isinstance(z, str) and ZONE + z in room}
    systems = systems_of(dataset)
    return Capacity(headroom, room, group, node_area, {str(a): str(n) for a, n in zip(areas.index, areas["name"])},
                    systems.get("central"), basis)
