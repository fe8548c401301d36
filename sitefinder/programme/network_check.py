"""The programme re-solved on the network: every placed site's load added at once, at its zone's bus, in every
month and hour type it is said to run. The network must shed nobody.

The ledger (``ledger.py``) shares each zone's deliverable surplus, and the zones' common idle generation, between
the sites that draw on them; that is conservative where generation is what binds, but two zones behind the same
interface could each take what the interface carries, and not both at once. The re-solve finds that: where the
programme's loads would shed someone, it finds the first site (in placing order) whose load cannot be served with
the sites before it, and solves each bus's deliverable surplus with those sites' loads added (``network.solve``).
From that site on, each takes what its bus still has in every case it runs, or leaves if that is less than the
smallest site, and what it takes comes off every bus (they share generation and interfaces). The network is then
re-solved with the whole programme again, until nobody is shed: one pass is usual. (``programme.run`` then closes
the zones that ran out and places the sites again, so that zones with room can take what the cut ones could not.)
MW throughout.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.measure.surplus import ZONE
from sitefinder.model.vocabulary import HOUR_TYPES, MONTH_NAMES
from sitefinder.network.solve import deliverable_surplus, shed_by_case, unserved_with, with_demand_added
from sitefinder.network.store import read_network_model
from sitefinder.network.system import PowerSystem

TOL_MW = 0.5   # shedding below this is the solver's tolerance, not a customer cut off
MAX_PASSES = 20  # cut-and-re-solve passes at most (one is the rule; each pass cuts at least the site that breaks it)
_EPS = 1e-9


@functools.lru_cache(maxsize=4)
def _read(path: str, _mtime: float) -> dict[str, PowerSystem]:
    return read_network_model(Path(path))


def systems_of(dataset: Dataset) -> dict[str, PowerSystem]:
    """The network model behind ``dataset``'s zones, by end ("low", "central", "high"): the built-in model's file,
    or a grid model the user brought (one end: "central"). Empty: the dataset has none to re-solve."""
    network = dataset.network
    if isinstance(network, PowerSystem):
        return {"central": network}
    if isinstance(network, dict):  # already by end (e.g. with the register's booked loads in the demand)
        return {str(k): v for k, v in network.items() if isinstance(v, PowerSystem)}
    if isinstance(network, Path):
        return _read(str(network), network.stat().st_mtime)
    return {}


@dataclass
class Cut:
    """A site the network could not serve in full, with the sites before it."""

    site: int            # its position in the placement it was cut from (0 = first placed)
    bus: str             # its zone's bus
    from_mw: float
    to_mw: float
    case: str            # the month and hour type where its full load would shed someone, e.g. "Jan evening"
    shed_mw: float       # what the network could not serve of its full load (MW)


@dataclass
class NetworkCheck:
    """What re-solving the network with the programme's loads found."""

    model: str                       # which model, in words
    end: str                         # "central" or "low"
    sites_checked: int               # sites with a bus in the model (the others draw on a region outside it)
    sites_outside: int
    cases: int                       # cases (month x hour type, or the model's snapshots) with any load
    shed_mw: float                   # the most shed in any case after the cuts (0 when the programme fits)
    cuts: list[Cut] = field(default_factory=list)
    seconds: float = 0.0
    sites_on_model: int = 0          # sites with a bus, with MW or not (at the low end a site may have none)
    rounds: int = 1                  # placements re-solved: more than 1 when cut zones were closed and sites placed again

    @property
    def cut_mw(self) -> float:
        """MW taken off the programme by the check."""
        return float(sum(c.from_mw - c.to_mw for c in self.cuts))

    def text(self) -> str:
        """One or two sentences for people."""
        if self.sites_checked == 0:
            if self.sites_on_model:
                return f"Network check ({self.end} end): no site has MW at this end; nothing to re-solve."
            return f"Network check ({self.end} end): no site draws on a bus of {self.model}; nothing to re-solve."
        head = (f"Network check ({self.end} end): {self.model} re-solved with the loads of all {self.sites_checked} "
                f"site(s) at once, in every month and hour type each runs ({self.cases} cases)")
        outside = (f"; {self.sites_outside} site(s) draw on a supply region outside the model and are not in it"
                   if self.sites_outside else "")
        if not self.cuts:
            return f"{head}: nobody's load is shed{outside}."
        by_bus: dict[str, list[Cut]] = {}
        for c in self.cuts:
            by_bus.setdefault(c.bus, []).append(c)
        cut = "; ".join(f"{bus}: {sum(c.from_mw - c.to_mw for c in cs):,.0f} MW from {len(cs)} site(s), its room ran "
                        f"out in {cs[0].case}" for bus, cs in by_bus.items())
        again = (f" Those zones were closed where they ran out and the sites placed again ({self.rounds} placements "
                 "re-solved).") if self.rounds > 1 else ""
        return (f"{head}. The zones' shared limits could not carry them all: {self.cut_mw:,.0f} MW taken off "
                f"({cut}).{again} As placed, nobody's load is shed{outside}.")

    def record(self) -> dict[str, object]:
        """For the run's metadata."""
        return {"model": self.model, "end": self.end, "sites_checked": self.sites_checked,
                "sites_outside_the_model": self.sites_outside, "cases": self.cases,
                "shed_mw_after_cuts": round(self.shed_mw, 3), "cut_mw": round(self.cut_mw, 3),
                "rounds": self.rounds,
                "cuts": [{"bus": c.bus, "from_mw": round(c.from_mw, 3), "to_mw": round(c.to_mw, 3), "case": c.case,
                          "shed_mw": round(c.shed_mw, 3)} for c in self.cuts],
                "seconds": round(self.seconds, 2), "text": self.text()}


_BASELINES: dict[int, tuple[PowerSystem, pd.DataFrame]] = {}


def baseline_shed(system: PowerSystem) -> pd.DataFrame:
    """``shed_by_case(system)``, solved once per system object (the dataset's model is read once and kept)."""
    kept = _BASELINES.get(id(system))
    if kept is None or kept[0] is not system:
        if len(_BASELINES) >= 8:
            _BASELINES.pop(next(iter(_BASELINES)))
        kept = (system, shed_by_case(system))
        _BASELINES[id(system)] = kept
    return kept[1]


def run_mask(system: PowerSystem, cells: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """For each case of ``system`` (month, hour type, any further level), whether a site running in ``cells``
    ((12, 3) months x HOUR_TYPES) runs in it."""
    index = system.demand.index
    months = index.get_level_values("month").astype(int).to_numpy()
    hours = pd.Index(HOUR_TYPES).get_indexer(index.get_level_values("hour_type").astype(str))
    return np.where(hours >= 0, cells[months - 1, np.maximum(hours, 0)], False)


def loads_frame(system: PowerSystem, buses: Sequence[str | None], runs: list[NDArray[np.bool_]],
                mw: NDArray[np.float64]) -> pd.DataFrame:
    """Extra load by case and bus (MW): each site's ``mw`` at its bus in the cases ``runs`` marks (``run_mask``)."""
    extra = pd.DataFrame(0.0, index=system.demand.index, columns=system.demand.columns)
    for bus, on, m in zip(buses, runs, mw):
        if m > 0:
            extra.loc[on, bus] += m
    return extra


def _case_text(system: PowerSystem, case: object) -> str:
    key = case if isinstance(case, tuple) else (case,)
    return " ".join([MONTH_NAMES[int(key[0]) - 1], *[str(k) for k in key[1:]]])


def fit_to_network(system: PowerSystem, buses: list[str | None], cells: list[NDArray[np.bool_]],
                   mw: NDArray[np.float64], smallest: float, *, model: str, end: str) -> tuple[NDArray[np.float64], NetworkCheck]:
    """The sites' MW (in placing order) cut where the network, re-solved with every load at once, would shed
    someone (see the module's docstring), and the check's account. ``buses[k]``: site k's bus (None: outside
    the model); ``cells[k]``: the months and hour types it runs, (12, 3)."""
    t = time.perf_counter()
    mw = np.asarray(mw, dtype=float).copy()
    inside = [k for k, b in enumerate(buses) if b is not None and b in system.demand.columns and mw[k] > _EPS]
    on_model = sum(1 for b in buses if b is not None and b in system.demand.columns)
    outside = len(buses) - on_model
    if not inside:  # nothing to add: nothing to solve
        return mw, NetworkCheck(model, end, 0, outside, 0, 0.0, [], time.perf_counter() - t, on_model)
    runs = {k: run_mask(system, cells[k]) for k in inside}
    baseline = baseline_shed(system)
    cuts: list[Cut] = []

    solved: dict[tuple[int, bytes], pd.DataFrame] = {}

    def shed(upto: int) -> pd.DataFrame:  # the shedding with the sites inside[:upto] at their current MW
        keep = inside[:upto]
        key = (upto, mw[keep].tobytes())
        if key not in solved:
            solved[key] = unserved_with(system, loads_frame(system, [buses[k] for k in keep], [runs[k] for k in keep],
                                                       mw[keep]), baseline)
        return solved[key]

    worst = shed(len(inside))
    passes = 0
    while worst.to_numpy().max(initial=0.0) > TOL_MW and passes < MAX_PASSES:
        passes += 1
        lo, hi = 0, len(inside)  # inside[:lo] fits; inside[:hi] sheds: find the first site that breaks it
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if shed(mid).to_numpy().max(initial=0.0) > TOL_MW:
                hi = mid
            else:
                lo = mid
        _cut_from(system, inside, hi - 1, buses, runs, mw, smallest, cuts)
        worst = shed(len(inside))
        if passes == MAX_PASSES and worst.to_numpy().max(initial=0.0) > TOL_MW:  # never: but never publish shedding
            for k in inside[hi - 1:]:
                if mw[k] > _EPS:
                    cuts.append(Cut(k, str(buses[k]), float(mw[k]), 0.0, "every case it runs", float(mw[k])))
                    mw[k] = 0.0
            worst = shed(len(inside))
    cuts.sort(key=lambda c: c.site)
    cases = int(np.any(np.array([runs[k] for k in inside]), axis=0).sum())  # the cases the programme asked for
    check = NetworkCheck(model, end, len(inside), outside, cases, float(worst.to_numpy().max(initial=0.0)), cuts,
                         time.perf_counter() - t, on_model)
    return mw, check


def _cut_from(system: PowerSystem, inside: list[int], first: int, buses: list[str | None],
              runs: dict[int, NDArray[np.bool_]], mw: NDArray[np.float64], smallest: float, cuts: list[Cut]) -> None:
    """Give the sites ``inside[first:]`` (in placing order) what the network can still serve, with the sites before
    them at their MW: each bus's deliverable surplus with those loads added (one solve for every bus), then each
    site in turn takes what its bus has in every case it runs (nothing if less than ``smallest``), and what it
    takes comes off every bus in those cases (the buses share the idle generation and the interfaces; the re-solve
    after this checks the rest). Cuts are recorded in ``cuts`` and made in ``mw``."""
    before = inside[:first]
    fitted = with_demand_added(system, loads_frame(system, [buses[j] for j in before], [runs[j] for j in before], mw[before]))
    wanted = sorted({str(buses[k]) for k in inside[first:]})
    table = deliverable_surplus(fitted, wanted).table
    room = {z: table.loc[table["zone"] == z, "surplus_mw"].to_numpy(float) for z in wanted}  # per case, in order
    for k in inside[first:]:
        if mw[k] <= _EPS:
            continue
        here = room[str(buses[k])]
        on = runs[k]
        have = float(here[on].min()) if on.any() else 0.0
        take = min(mw[k], have) if have >= smallest - _EPS else 0.0
        take = max(0.0, np.floor(take * 1000.0) / 1000.0)  # to the kW below: a cut never rounds up into shedding
        if take < mw[k] - 1e-6:
            worst_case = system.demand.index[on][int(np.argmin(here[on]))] if on.any() else system.demand.index[0]
            cuts.append(Cut(k, str(buses[k]), float(mw[k]), float(take), _case_text(system, worst_case),
                            float(mw[k] - take)))
            mw[k] = take
        for z in room:
            room[z] = np.where(on, room[z] - take, room[z])


def site_buses(pools: list[str], system: PowerSystem) -> list[str | None]:
    """Each site's bus from its surplus pool (``zone:<bus>``); None for a region outside the model."""
    return [p[len(ZONE):] if p.startswith(ZONE) and p[len(ZONE):] in system.demand.columns else None for p in pools]
