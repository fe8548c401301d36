"""From a shortlist to a programme: a MW target shared out over sites, with a ledger of the limits they use up.

Sites are taken in score order (the order of the ordinary ranking, with the shortlist's province and per-node
rules). Each draws its MW from two limits that are used up as sites are added:

* its **surplus area**'s surplus (its grid node's network zone, else its supply region), by month and hour type
  (evening peak, midday, night): a zone's figures for each, else the monthly figure (``surplus_mw_01`` ..
  ``surplus_mw_12``), else winter for October-March and summer for April-September. A firm site must find its MW
  in every hour of every month of the profile's season (winter, summer, or all year). An interruptible one (with
  ``min_months``) runs in whichever months *and hour types* have room, and needs at least ``min_months`` months'
  worth of them (a month counts 1, an hour type the share of the day it covers: 4, 6 and 14 hours of 24). A site
  draws power, and uses up surplus, in every month and hour type where its MW is there;
* its grid node's **headroom**: the published figure, or for a node whose headroom is unknown, an assumed
  MW per node that the user sets (labelled as an assumption); left unset, unknown headroom does not limit
  the programme and every site says so.

A site takes the facility size, or less (down to ``min_mw``) to fit what is left; sites keep a minimum
spacing (geodesic km between their points). The programme stops at the target or when nothing more fits,
and says which. "Firm at the low estimate" replays the same sites, in the same order, against the **low end**
of every surplus range: what each could still take. MW throughout; distances in km on the WGS84 ellipsoid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.measure.geodesy import geodesic_km
from sitefinder.measure.surplus import REGION, ZONE, hourly_surplus, surplus_areas
from sitefinder.model.settings import SettingsRecord, in_group, settings_record
from sitefinder.model.vocabulary import (
    HOUR_TYPES,
    HOURS_PER_DAY,
    MONTH_NAMES,
    SEASON_MONTHS,
    SUMMER_MONTHS,
    WINTER_MONTHS,
)
from sitefinder.rank.scoring import ScoreResult
from sitefinder.rank.shortlist import in_province

LIMITS = ("target", "region surplus", "node headroom", "facility size", "network (re-solved)")
NETWORK_LIMIT = LIMITS[-1]
DAY_SHARE = np.array([HOURS_PER_DAY[h] / 24.0 for h in HOUR_TYPES])  # each hour type's share of a day
_EPS = 1e-9


RULE_SETTINGS = (*in_group("programme"), "max_per_node", "province")


@settings_record(*RULE_SETTINGS)
class Rules(SettingsRecord):
    """How the programme is built (MW, km): the facility size, then one field per row of the settings table's
    programme group (target_mw, min_mw, min_spacing_km, assumed_headroom_mw, min_months) and the shortlist's
    max_per_node (0: no limit) and province."""

    unit_mw: float                         # the facility size: the most one site takes

    @property
    def smallest(self) -> float:
        """The least MW a site may take."""
        return self.unit_mw if self.min_mw is None else min(self.min_mw, self.unit_mw)

    def headroom_rule(self) -> str:
        """The rule for unknown headroom, in words."""
        if self.assumed_headroom_mw is None:
            return "unknown headroom does not limit the programme (not verified: ask the grid operator)"
        return f"unknown headroom assumed to be {self.assumed_headroom_mw:g} MW per node (an assumption, not a published figure)"

    def months_rule(self, season: str) -> str:
        """The rule for the months a site must run, in words."""
        if self.min_months is None:
            return f"every hour of every month of the profile's season ({month_text(_mask(SEASON_MONTHS[season]))})"
        return (f"at least {self.min_months} month(s)' worth of months and hour types with room, in any season "
                f"(interruptible: it stops when the surplus does, by month and by evening peak, midday or night)")


def _mask(months: tuple[int, ...] | list[int]) -> NDArray[np.bool_]:
    out = np.zeros(12, dtype=bool)
    out[[m - 1 for m in months]] = True
    return out


def month_text(mask: NDArray[np.bool_]) -> str:
    """Months as people write them: "all year", "Oct-Mar", "Jan-Mar, Jul" (runs wrap round the year)."""
    if mask.all():
        return "all year"
    if not mask.any():
        return "none"
    start = int(np.flatnonzero(~mask)[0])  # begin after a month that is off, so a run over December stays whole
    runs, current = [], []
    for k in range(1, 13):
        m = (start + k) % 12
        if mask[m]:
            current.append(m)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    runs.sort(key=lambda r: r[0])
    return ", ".join(MONTH_NAMES[r[0]] if len(r) == 1 else f"{MONTH_NAMES[r[0]]}-{MONTH_NAMES[r[-1]]}" for r in runs)


def run_text(cells: NDArray[np.bool_]) -> str:
    """When a site runs ((12, 3) months x hour types), as people write it: "all year", "Nov-Feb",
    "Oct-Mar; Jun-Aug (midday, night)"."""
    cells = np.asarray(cells, bool).reshape(12, len(HOUR_TYPES))
    groups: dict[tuple[bool, ...], NDArray[np.bool_]] = {}
    for m in range(12):
        key = tuple(bool(v) for v in cells[m])
        if any(key):
            groups.setdefault(key, np.zeros(12, dtype=bool))[m] = True
    if not groups:
        return "none"
    parts = []
    for key, mask in sorted(groups.items(), key=lambda kv: (not all(kv[0]), int(np.flatnonzero(kv[1])[0]))):
        hours = [h for h, on in zip(HOUR_TYPES, key) if on]
        parts.append(month_text(mask) + ("" if all(key) else f" ({', '.join(hours)})"))
    return "; ".join(parts)


@dataclass
class Ledger:
    """What is left: each surplus pool's surplus by month (MW), each node's headroom (MW; inf = not limiting).

    A pool is a surplus area (``measure.surplus.surplus_areas``): a network zone, which every site connecting to a
    node in it draws on, so two sites behind the same interface share it; or a supply region outside every zone.

    The zones of one network also share its idle generation: each zone's figure is what that zone alone could
    take, so they cannot all take theirs at once. The zones form a *group* whose surplus, in each month and hour
    type, is the largest of its zones' (the idle generation that can reach the best-placed zone): every site draws
    on its zone and on the group. This is conservative where the zones are held back by their own interfaces (and
    it charges K-Electric's own idle plants to the group too); the programme's loads re-solved on the network (a
    test) check the rest."""

    pool_ids: list[str]
    pool_names: list[str]
    surplus: NDArray[np.float64]        # (P, 12, 3), by pool, month and hour type (HOUR_TYPES)
    node_ids: list[str]
    headroom: NDArray[np.float64]       # (N,)
    headroom_basis: list[str]           # per node: "published", "assumed", "unknown: not limiting"
    group_of: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))  # (P,): -1 = none
    group_surplus: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 12, len(HOUR_TYPES))))
    start_surplus: NDArray[np.float64] = field(init=False)
    start_headroom: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        if len(self.group_of) != len(self.pool_ids):
            self.group_of = np.full(len(self.pool_ids), -1, dtype=np.intp)
        self.start_surplus = self.surplus.copy()
        self.start_headroom = self.headroom.copy()

    def available(self, pool: int) -> NDArray[np.float64]:
        """What a site in ``pool`` can still draw, by month and hour type (MW): its pool's surplus, and no more than
        its group's."""
        g = int(self.group_of[pool])
        return self.surplus[pool] if g < 0 else np.minimum(self.surplus[pool], self.group_surplus[g])

    def draw(self, pool: int, runs: NDArray[np.bool_], mw: float) -> None:
        """Use up ``mw`` in the cells ``runs`` of ``pool`` and of its group."""
        self.surplus[pool] = np.where(runs, self.surplus[pool] - mw, self.surplus[pool])
        g = int(self.group_of[pool])
        if g >= 0:
            self.group_surplus[g] = np.where(runs, self.group_surplus[g] - mw, self.group_surplus[g])

    def sharing(self, pool: int) -> list[int]:
        """The pools whose room changes when ``pool`` is drawn on: itself and its group's other zones."""
        g = int(self.group_of[pool])
        return [pool] if g < 0 else [int(p) for p in np.flatnonzero(self.group_of == g)]


def make_ledger(dataset: Dataset, rules: Rules, end: str = "", caps: dict[str, NDArray[np.float64]] | None = None) -> Ledger:
    """The ledger at the start, from the dataset's surplus areas and grid nodes; ``caps``: the most some pools may
    give, by month and hour type ((12, 3), MW; NaN: no cap), e.g. what the network re-solved could serve there."""
    areas = surplus_areas(dataset)
    nodes = dataset["grid_nodes"].drop_duplicates("node_id")
    head = nodes["headroom_mw"].to_numpy(float)
    known = np.isfinite(head)
    if rules.assumed_headroom_mw is None:
        left = np.where(known, head, np.inf)
        basis = ["published" if k else "unknown: not limiting" for k in known]
    else:
        left = np.where(known, head, rules.assumed_headroom_mw)
        basis = ["published" if k else f"assumed {rules.assumed_headroom_mw:g} MW" for k in known]
    surplus = hourly_surplus(areas, end)
    on_grid = areas["on_national_grid"].astype(bool).to_numpy() if "on_national_grid" in areas else np.ones(len(areas), bool)
    surplus[~on_grid] = np.nan  # off the national grid: no national surplus to draw on
    zoned = np.asarray(areas.index.str.startswith(ZONE), dtype=bool)
    group_of = np.where(zoned, 0, -1).astype(np.intp) if zoned.sum() > 1 else np.full(len(areas), -1, dtype=np.intp)
    groups = np.full((int(group_of.max()) + 1, 12, len(HOUR_TYPES)), np.nan)
    for g in range(len(groups)):
        members = surplus[group_of == g]
        if np.isfinite(members).any():
            groups[g] = np.nanmax(members, axis=0)
    ledger = Ledger(areas.index.astype(str).tolist(), areas["name"].astype(str).tolist(), surplus,
                    nodes["node_id"].astype(str).tolist(), left, basis, group_of, groups)
    pos = {a: i for i, a in enumerate(ledger.pool_ids)}
    for pool, cap in (caps or {}).items():  # after the start is kept: the ledger shows what the zone had, then the cap
        if pool in pos:
            here = ledger.surplus[pos[pool]]
            ledger.surplus[pos[pool]] = np.where(np.isfinite(cap), np.fmin(here, cap), here)
    return ledger


def site_pools(matrix: pd.DataFrame) -> pd.Series:
    """Each row's surplus pool (area id): its ``surplus_area``, or for a matrix without one, its region's."""
    if "surplus_area" in matrix:
        return matrix["surplus_area"]
    return pd.Series([REGION + str(r) if pd.notna(r) else None for r in matrix["region_id"]], index=matrix.index)


@dataclass
class Placement:
    """The programme: the sites taken, what each took and why it took no more, and the ledger at the end."""

    rows: NDArray[np.intp]               # matrix rows of the sites, in the order taken
    mw: NDArray[np.float64]
    binding: list[str]
    cells: list[NDArray[np.bool_]]       # the months and hour types each site runs, (12, 3) each
    region_left: NDArray[np.float64]     # after the site: its region's surplus left in its required months (MW)
    node_left: NDArray[np.float64]       # after the site: its node's headroom left (MW; inf = not limiting)
    headroom_basis: list[str]
    ledger: Ledger
    target_mw: float
    skipped: dict[str, int]              # candidates passed over, by reason
    stopped_because: str
    ledger_end: str = ""                 # the end of the surplus ranges the ledger holds ("" central, "_low")

    @property
    def total_mw(self) -> float:
        """MW placed in all."""
        return float(self.mw.sum())

    @property
    def months(self) -> list[NDArray[np.bool_]]:
        """The months each site runs in at all, (12,) each."""
        return [np.asarray(c.any(axis=1), dtype=bool) for c in self.cells]

    def day_shares(self) -> NDArray[np.float64]:
        """(sites, 12): the share of each month's hours each site runs (0-1)."""
        return np.array([c @ DAY_SHARE for c in self.cells], dtype=float).reshape(len(self.cells), 12)


def place_sites(matrix: pd.DataFrame, result: ScoreResult, dataset: Dataset, rules: Rules, season: str, *,
             end: str = "", caps: dict[str, NDArray[np.float64]] | None = None) -> Placement:
    """Share ``rules.target_mw`` out over the feasible candidates of ``result`` in score order (see the module
    docstring); ``end`` = "_low" runs it on the low end of every surplus range; ``caps``: see ``make_ledger``."""
    ledger = make_ledger(dataset, rules, end, caps)
    order = result.order
    # Each candidate's region and node as a position in the ledger (-1: none), looked up once for the rows in
    # score order, not per candidate in the loop.
    region_pos = _positions(site_pools(matrix), order, ledger.pool_ids)  # its surplus pool
    node_pos = _positions(matrix["grid_node_id"], order, ledger.node_ids)
    lon, lat = matrix["lon"].to_numpy(float), matrix["lat"].to_numpy(float)
    if rules.province:
        keep = in_province(matrix["province"], order, rules.province)
        order, region_pos, node_pos = order[keep], region_pos[keep], node_pos[keep]
    required = np.repeat(_mask(SEASON_MONTHS[season])[:, None], len(HOUR_TYPES), axis=1)
    smallest = rules.smallest
    room_of: dict[int, float] = {}  # each pool's room, until a site draws on it

    rows: list[int] = []
    mw: list[float] = []
    binding: list[str] = []
    cells: list[NDArray[np.bool_]] = []
    region_left: list[float] = []
    node_left: list[float] = []
    basis: list[str] = []
    per_node: dict[int, int] = {}
    skipped = {"region surplus used up": 0, "node headroom used up": 0, "too close to a site already taken": 0,
               "node already has its most sites": 0, "no supply region": 0}
    total = 0.0
    stopped = ""
    for k, i in enumerate(order):
        room = rules.target_mw - total
        if room <= _EPS:
            stopped = "target reached"
            break
        if room < smallest - _EPS:
            stopped = (f"target reached as nearly as sites allow: the {room:,.1f} MW left is less than the smallest "
                       f"site ({smallest:g} MW)")
            break
        r = int(region_pos[k])
        n: int | None = int(node_pos[k]) if node_pos[k] >= 0 else None
        if r < 0:
            skipped["no supply region"] += 1
            continue
        if n is not None and rules.max_per_node > 0 and per_node.get(n, 0) >= rules.max_per_node:
            skipped["node already has its most sites"] += 1
            continue
        left = ledger.available(r)
        if r not in room_of:
            room_of[r] = _region_room(left, required, rules.min_months)
        region_room = room_of[r]
        node_room = float(ledger.headroom[n]) if n is not None else math.inf
        take = min(rules.unit_mw, room, region_room, node_room)
        if take < smallest - _EPS:
            skipped["region surplus used up" if region_room < smallest - _EPS else "node headroom used up"] += 1
            continue
        if rules.min_spacing_km > 0 and rows:
            near = geodesic_km(lon[i], lat[i], lon[rows], lat[rows])
            if np.any(near < rules.min_spacing_km):
                skipped["too close to a site already taken"] += 1
                continue
        runs = np.nan_to_num(left, nan=-np.inf) >= take - _EPS
        ledger.draw(r, runs, take)
        for p in ledger.sharing(r):
            room_of.pop(p, None)
        if n is not None:
            ledger.headroom[n] = node_room - take
            per_node[n] = per_node.get(n, 0) + 1
        total += take
        rows.append(int(i))
        mw.append(take)
        cells.append(runs)
        need = required if rules.min_months is None else runs
        region_left.append(float(np.min(np.where(need, ledger.available(r), np.inf))))
        node_left.append(float(ledger.headroom[n]) if n is not None else math.inf)
        basis.append(ledger.headroom_basis[n] if n is not None else "no node")
        binding.append(_binding(take, rules.unit_mw, room, region_room, node_room))
    if not stopped:
        if rules.target_mw - total <= _EPS:
            stopped = "target reached"
        else:
            why = "; ".join(f"{v:,} candidate(s): {k}" for k, v in skipped.items() if v)
            stopped = f"nothing more fits ({why or 'no candidate passes the constraints'})"
    return Placement(np.asarray(rows, dtype=np.intp), np.asarray(mw, dtype=float), binding, cells,
                      np.asarray(region_left), np.asarray(node_left), basis, ledger, rules.target_mw, skipped, stopped, end)


def _positions(column: pd.Series, order: NDArray[np.intp], ids: list[str]) -> NDArray[np.intp]:
    """For the rows ``order`` of ``column`` (region or node ids), each one's position in ``ids`` (-1: blank or
    not there)."""
    if isinstance(column.dtype, pd.CategoricalDtype):  # the usual case: map the few categories, then the codes
        where = pd.Index(ids).get_indexer(column.cat.categories.astype(str))
        codes = column.cat.codes.to_numpy()[order]
        return np.where(codes >= 0, where[np.maximum(codes, 0)], -1).astype(np.intp)
    values = column.take(order).astype(object).to_numpy()
    blank = pd.isna(values)
    pos = pd.Index(ids).get_indexer(np.where(blank, "", values).astype(str))
    return np.where(blank, -1, pos).astype(np.intp)


def _region_room(left: NDArray[np.float64], required: NDArray[np.bool_], min_months: int | None) -> float:
    """The most MW a site can take from a pool with ``left`` (MW by month and hour type, (12, 3)): the least over
    the required cells (firm), or the most that leaves ``min_months`` months' worth of cells with room
    (interruptible: the best cells first, each worth its share of the day). -inf where the pool has no figure."""
    if min_months is None:
        room = float(np.min(np.where(required, left, np.inf)))
    else:
        flat = np.nan_to_num(left, nan=-np.inf).ravel()
        order = np.argsort(-flat, kind="stable")
        worth = np.cumsum(np.broadcast_to(DAY_SHARE, left.shape).ravel()[order])
        enough = np.flatnonzero(worth >= min_months - 1e-9)
        room = float(flat[order[enough[0]]]) if len(enough) else -np.inf
    return room if np.isfinite(room) else -np.inf


def firm_at(placement: Placement, matrix: pd.DataFrame, dataset: Dataset, rules: Rules, season: str,
            end: str = "_low") -> NDArray[np.float64]:
    """The MW each site of ``placement`` could still take, in the same order, if every region's surplus were at
    ``end`` of its range: a site takes at most what it has now, and nothing if less than the smallest site fits."""
    return firm_cells_at(placement, matrix, dataset, rules, season, end)[0]


def firm_cells_at(placement: Placement, matrix: pd.DataFrame, dataset: Dataset, rules: Rules, season: str,
                  end: str = "_low") -> tuple[NDArray[np.float64], list[NDArray[np.bool_]]]:
    """``firm_at``, and the months and hour types ((12, 3) each) each site would run in at that end: an
    interruptible site runs only where that end's surplus has room for it (none where it takes nothing)."""
    ledger = make_ledger(dataset, rules, end)
    pool_index = {r: i for i, r in enumerate(ledger.pool_ids)}
    node_index = {n: i for i, n in enumerate(ledger.node_ids)}
    required = np.repeat(_mask(SEASON_MONTHS[season])[:, None], len(HOUR_TYPES), axis=1)
    pools = site_pools(matrix)
    out = np.zeros(len(placement.rows))
    cells = [np.zeros((12, len(HOUR_TYPES)), dtype=bool) for _ in placement.rows]
    for k, (i, mw) in enumerate(zip(placement.rows, placement.mw)):
        r = pool_index[str(pools.iloc[i])]
        node = matrix["grid_node_id"].iloc[i]
        n = node_index.get(str(node)) if pd.notna(node) else None
        left = ledger.available(r)
        take = min(float(mw), _region_room(left, required, rules.min_months),
                   float(ledger.headroom[n]) if n is not None else math.inf)
        if take < rules.smallest - _EPS:
            continue
        runs = np.nan_to_num(left, nan=-np.inf) >= take - _EPS
        ledger.draw(r, runs, take)
        if n is not None:
            ledger.headroom[n] -= take
        out[k] = take
        cells[k] = runs
    return out, cells


def with_mw(placement: Placement, mw: NDArray[np.float64], matrix: pd.DataFrame, dataset: Dataset, rules: Rules,
            season: str, *, why: str, note: str) -> Placement:
    """``placement`` with its sites' MW changed to ``mw`` (never more than they had; a site at 0 leaves the programme),
    its ledger drawn again from the start with them, each changed site's ``binding`` set to ``why``, and ``note``
    added to why the programme stopped."""
    ledger = make_ledger(dataset, rules, placement.ledger_end)
    pool_index = {r: i for i, r in enumerate(ledger.pool_ids)}
    node_index = {n: i for i, n in enumerate(ledger.node_ids)}
    required = np.repeat(_mask(SEASON_MONTHS[season])[:, None], len(HOUR_TYPES), axis=1)
    pools = site_pools(matrix)
    keep = [k for k in range(len(placement.rows)) if mw[k] > _EPS]
    region_left, node_left = [], []
    for k in keep:
        i = placement.rows[k]
        r = pool_index[str(pools.iloc[i])]
        node = matrix["grid_node_id"].iloc[i]
        n = node_index.get(str(node)) if pd.notna(node) else None
        ledger.draw(r, placement.cells[k], float(mw[k]))
        need = required if rules.min_months is None else placement.cells[k]
        region_left.append(float(np.min(np.where(need, ledger.available(r), np.inf))))
        if n is not None:
            ledger.headroom[n] -= float(mw[k])
        node_left.append(float(ledger.headroom[n]) if n is not None else math.inf)
    binding = [why if mw[k] < placement.mw[k] - 1e-6 else placement.binding[k] for k in keep]
    return Placement(placement.rows[keep], np.asarray(mw, dtype=float)[keep], binding, [placement.cells[k] for k in keep],
                     np.asarray(region_left), np.asarray(node_left), [placement.headroom_basis[k] for k in keep], ledger,
                     placement.target_mw, placement.skipped, f"{placement.stopped_because}; {note}", placement.ledger_end)


def _binding(take: float, unit: float, room: float, region: float, node: float) -> str:
    """What stopped a site taking more: the limit its MW equals (the target first, then the region, the node)."""
    for name, value in (("target", room), ("region surplus", region), ("node headroom", node)):
        if value < unit - _EPS and abs(take - value) <= 1e-6:
            return name
    return "facility size"


def ledger_tables(placement: Placement, matrix: pd.DataFrame, dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What each surplus pool (network zone, or supply region outside every zone) and each node had, gave and has
    left (only those the programme drew on)."""
    led = placement.ledger
    site_pool = site_pools(matrix).astype(str).to_numpy()[placement.rows]
    site_node = matrix["grid_node_id"].astype(object).to_numpy()[placement.rows]
    p_index = {r: k for k, r in enumerate(led.pool_ids)}
    winter, summer = _mask(WINTER_MONTHS), _mask(SUMMER_MONTHS)  # the least over the season's months and hours
    pool_rows = []
    for r in sorted(set(site_pool)):
        k, here = p_index[r], site_pool == r
        pool_rows.append({"surplus_area": r, "name": led.pool_names[k], "sites": int(here.sum()),
                          "placed_mw": round(float(placement.mw[here].sum()), 3),
                          "surplus_winter_start_mw": round(float(np.nanmin(led.start_surplus[k][winter])), 3),
                          "surplus_winter_left_mw": round(float(np.nanmin(led.surplus[k][winter])), 3),
                          "surplus_summer_start_mw": round(float(np.nanmin(led.start_surplus[k][summer])), 3),
                          "surplus_summer_left_mw": round(float(np.nanmin(led.surplus[k][summer])), 3)})
    nodes = dataset["grid_nodes"].drop_duplicates("node_id")
    node_names = dict(zip(nodes["node_id"].astype(str), nodes["name"].astype(str)))
    n_index = {n: k for k, n in enumerate(led.node_ids)}
    node_str = np.array([str(n) if pd.notna(n) else "" for n in site_node], dtype=object)
    node_rows = []
    for n in sorted(set(node_str) - {""}):
        k, here = n_index[n], node_str == n
        start, left = led.start_headroom[k], led.headroom[k]
        node_rows.append({"grid_node_id": n, "grid_node": node_names.get(n, n), "sites": int(here.sum()),
                          "placed_mw": round(float(placement.mw[here].sum()), 3),
                          "headroom_start_mw": None if not np.isfinite(start) else round(float(start), 3),
                          "headroom_left_mw": None if not np.isfinite(left) else round(float(left), 3),
                          "headroom_basis": led.headroom_basis[k]})
    pool_cols = ["surplus_area", "name", "sites", "placed_mw", "surplus_winter_start_mw", "surplus_winter_left_mw",
                 "surplus_summer_start_mw", "surplus_summer_left_mw"]
    node_cols = ["grid_node_id", "grid_node", "sites", "placed_mw", "headroom_start_mw", "headroom_left_mw", "headroom_basis"]
    return pd.DataFrame(pool_rows, columns=pool_cols), pd.DataFrame(node_rows, columns=node_cols)
