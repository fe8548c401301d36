"""Deliverable surplus: for every zone and case, the largest extra load at that zone the system can still serve,
what stops it going higher, and what serving it costs. Solved with PyPSA and HiGHS.

One linear programme answers every zone at once. Its snapshots are the cases repeated once per zone; in the copy
for zone z, only z has a *probe*: a load of any size that is worth ``PROBE_VALUE`` per kWh served. Shedding
anyone's ordinary demand costs ``SHED_COST``, far above the probe's worth, so the solver never sheds a customer to
serve the probe: the probe only takes generation that would otherwise stand idle and network room that is left.
A plant with a floor (``must_run``, or a take-or-pay ``min_pu``) burns the fuel of its floor with the probe and
without it, so that fuel cancels out of the probe's cost: the probe is served by the plants the floor leaves idle,
and by the floor's own output where nobody else can take it (spilled), for no extra fuel.
Cases do not interact (no storage or ramping), so the copies are independent and the answer equals one programme
per zone and case, in one solve instead of hundreds.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pandas as pd

from sitefinder.network.system import PowerSystem

if TYPE_CHECKING:
    import pypsa

PROBE_VALUE = 500.0   # PKR/kWh: a weight that ranks serving the probe above any fuel cost (the dearest is ~31)
SHED_COST = 5000.0    # PKR/kWh: a weight that ranks keeping every customer above serving the probe
PROBE_MAX_MW = 100_000.0
SPILL_COST = 100.0    # PKR/kWh: must-run or must-take output nobody can take is spilled (wind curtailed, water spilt,
                      # take-or-pay fuel burned for nothing) at this weight
WHEELING = 0.01       # PKR/kWh on every interface: a token cost that stops flows circling a loop for nothing
FORWARD, BACKWARD = " >", " <"
# A limit that stops the extra load has a shadow price near the probe's worth (PKR/MWh); one that only changes
# which plant serves it has one near fuel costs. Between the two:
BINDS = 0.2 * PROBE_VALUE * 1000.0
TOL_MW = 0.5
NATIONAL = "national"



def pypsa_module() -> ModuleType:
    """PyPSA, imported on first use (it takes seconds, and the app needs it only when it solves a grid model), with
    its string option said explicitly (PyPSA warns until it is), its network requests off (by default it asks GitHub
    for a newer version whenever it imports a network), and its and linopy's logging quiet."""
    import pypsa

    if not _CONFIGURED:
        pypsa.options.api.legacy_string_dtype = True
        pypsa.options.general.allow_network_requests = False
        for name in ("pypsa", "linopy"):
            logging.getLogger(name).setLevel(logging.ERROR)
        _CONFIGURED.append(True)
    return pypsa


_CONFIGURED: list[bool] = []


@dataclass(frozen=True)
class Answer:
    """Per zone and case (rows: zone, month, hour_type): ``surplus_mw``, ``binding`` (what stops more),
    ``cost_pkr_per_kwh`` (average generation cost of the extra load), ``shed_mw`` (ordinary demand the system
    cannot serve even without the extra load, MW), ``spilled_mw`` (must-run or must-take output nobody takes
    without it).
    ``flows``: MW on each interface in the base dispatch (positive from bus0 to bus1); ``dispatch``: MW of each
    plant in the base dispatch (cases x plants)."""

    table: pd.DataFrame
    flows: pd.DataFrame
    dispatch: pd.DataFrame


def _key(case: object) -> tuple[object, ...]:
    return case if isinstance(case, tuple) else (case,)


def _label(case: object) -> str:
    """A case as text: ``01|evening`` for month 1, evening; any further level (a user model's snapshot) after."""
    return "|".join(f"{v:02d}" if isinstance(v, (int, np.integer)) else str(v) for v in _key(case))


def _snapshots(cases: pd.Index, zones: list[str]) -> pd.Index:
    return pd.Index([f"{z}|{_label(c)}" for z in zones for c in cases], name="snapshot")


def _network(system: PowerSystem, zones: list[str], probe: bool) -> pypsa.Network:
    """The PyPSA network of ``system``, with its cases repeated once per zone of ``zones`` (with ``probe``: a probe
    load at that zone in its copy)."""
    cases = system.demand.index
    snaps = _snapshots(cases, zones)
    rep = len(zones)
    n = pypsa_module().Network()
    n.set_snapshots(snaps)
    n.add("Carrier", ["AC", "probe", "shed", "spill", *sorted(set(system.generators["fuel"]))])
    n.add("Bus", system.buses.index, x=system.buses["x"], y=system.buses["y"], carrier="AC")
    links = system.links  # each interface as two one-way links with a token cost, so no power circulates in loops
    back = links["p_nom_back"] if "p_nom_back" in links else links["p_nom"]  # a one-way link carries nothing back
    for way, a, b, cap in ((FORWARD, "bus0", "bus1", links["p_nom"]), (BACKWARD, "bus1", "bus0", back)):
        n.add("Link", [f"{i}{way}" for i in links.index], bus0=links[a].to_numpy(), bus1=links[b].to_numpy(),
              p_nom=cap.to_numpy(), efficiency=1.0, marginal_cost=WHEELING * 1000.0, carrier="AC")
    g = system.generators
    avail = pd.DataFrame(np.tile(system.availability[g.index].to_numpy(float), (rep, 1)), index=snaps, columns=g.index)
    floor = avail * g["must_run"].astype(float).to_numpy()
    if "min_pu" in g:  # a take-or-pay floor: at least min_pu of p_nom, or all that is available where that is less
        floor = np.maximum(floor, np.minimum(avail, g["min_pu"].fillna(0.0).to_numpy(float)))
    n.add("Generator", g.index, bus=g["bus"], p_nom=g["p_nom"], marginal_cost=g["marginal_cost"] * 1000.0,
          carrier=g["fuel"], p_max_pu=avail, p_min_pu=floor)
    demand = pd.DataFrame(np.tile(system.demand[list(system.buses.index)].to_numpy(float), (rep, 1)), index=snaps,
                          columns=[f"load {b}" for b in system.buses.index])
    n.add("Load", demand.columns, bus=list(system.buses.index), p_set=demand)
    n.add("Generator", [f"shed {b}" for b in system.buses.index], bus=list(system.buses.index), p_nom=PROBE_MAX_MW,
          marginal_cost=SHED_COST * 1000.0, carrier="shed")
    n.add("Generator", [f"spill {b}" for b in system.buses.index], bus=list(system.buses.index), p_nom=PROBE_MAX_MW,
          sign=-1.0, marginal_cost=SPILL_COST * 1000.0, carrier="spill")
    if probe:
        on = pd.DataFrame(0.0, index=snaps, columns=[f"probe {z}" for z in zones])
        for i in range(len(zones)):
            on.iloc[i * len(cases):(i + 1) * len(cases), i] = 1.0
        n.add("Generator", on.columns, bus=zones, p_nom=PROBE_MAX_MW, sign=-1.0, p_max_pu=on,
              marginal_cost=-PROBE_VALUE * 1000.0, carrier="probe")
    return n


def _transfer_constraint(system: PowerSystem, n: pypsa.Network, zones: list[str], probe: bool) -> None:
    """Load served at national buses (ordinary demand less what is shed, plus the probe) stays within the
    national transfer capability of each case."""
    if system.transfer_cap is None:
        return
    m = n.model
    national = [b for b in system.buses.index if system.buses.loc[b, "system"] == NATIONAL]
    cap = np.tile(system.transfer_cap.reindex(system.demand.index).to_numpy(float), len(zones))
    base = np.tile(system.demand[national].sum(axis=1).to_numpy(float), len(zones))
    p = m.variables["Generator-p"]
    served = -p.sel(name=[f"shed {b}" for b in national]).sum("name")
    probes = [f"probe {z}" for z in zones if z in national]
    if probe and probes:
        served = served + p.sel(name=probes).sum("name")
    rhs = pd.Series(cap - base, index=n.snapshots)
    m.add_constraints(served <= rhs.to_xarray().rename(snapshot="snapshot"), name="transfer-capability")


_BANNER_SHOWN = [False]


def _no_banner_on_stdout() -> None:
    """HiGHS prints a banner on the process's standard output (at C level) the first time it starts; a command's
    standard output carries its results (``explain --json``), so the first start happens with it sent to nowhere."""
    if _BANNER_SHOWN[0]:
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN[0] = True


def _optimise(system: PowerSystem, zones: list[str], probe: bool) -> pypsa.Network:
    _no_banner_on_stdout()
    n = _network(system, zones, probe)
    n.optimize.create_model(include_objective_constant=False)
    _transfer_constraint(system, n, zones, probe)
    status, condition = n.optimize.solve_model(solver_name="highs", progress=False,
                                               solver_options={"log_to_console": False,
                                                                                    "output_flag": False})
    if status != "ok":
        raise RuntimeError(f"the network model did not solve ({status}, {condition})")
    return n


def _binding(system: PowerSystem, n: pypsa.Network, snap: str, zone: str) -> str:
    """What stops the probe at ``zone`` going higher in ``snap``, in words: the interfaces at their limit, the
    national transfer capability, or (when no limit on the network binds) the generation available. A limit binds
    when its shadow price is of the probe's order (``BINDS``), not of a fuel cost's."""
    cons = n.model.constraints
    found: list[tuple[float, str]] = []
    if "Link-fix-p-upper" in cons:
        dual = cons["Link-fix-p-upper"].dual.sel(snapshot=snap).to_series()
        for link, d in dual.items():
            if abs(d) > BINDS:
                found.append((abs(float(d)), str(system.links.loc[str(link)[:-len(FORWARD)], "name"])))
    if "transfer-capability" in cons:
        d = float(cons["transfer-capability"].dual.sel(snapshot=snap))
        if abs(d) > BINDS:
            found.append((abs(d), "national transfer capability"))
    if not found:
        return "generation: every idle plant that can reach this zone is running"
    found.sort(reverse=True)
    return "; ".join(dict.fromkeys(name for _, name in found))


def deliverable_surplus(system: PowerSystem, zones: list[str] | None = None) -> Answer:
    """Every zone's deliverable surplus in every case (see the module's docstring for the method); ``zones``: only
    these."""
    problems = system.check()
    if problems:
        raise ValueError("; ".join(problems))
    zones = list(system.buses.index) if zones is None else list(zones)
    cases = system.demand.index
    base = _optimise(system, zones[:1], probe=False)
    full = _optimise(system, zones, probe=True)
    fuel_cost = system.generators["marginal_cost"]
    gen_cols = list(system.generators.index)
    base_p = base.generators_t.p[gen_cols].to_numpy(float)
    base_cost = base_p @ fuel_cost.to_numpy(float)  # PKR/kWh x MW, per case
    base_shed = base.generators_t.p[[f"shed {b}" for b in zones]].to_numpy(float)
    base_spill = base.generators_t.p[[f"spill {b}" for b in zones]].to_numpy(float)
    p = full.generators_t.p
    rows = []
    for i, z in enumerate(zones):
        block = slice(i * len(cases), (i + 1) * len(cases))
        probe_mw = p[f"probe {z}"].to_numpy(float)[block]
        cost = p[gen_cols].to_numpy(float)[block] @ fuel_cost.to_numpy(float)
        for j, case in enumerate(cases):
            mw = max(0.0, float(probe_mw[j]))
            snap = full.snapshots[i * len(cases) + j]
            keys: dict[str, Any] = dict(zip(cases.names, _key(case)))
            rows.append({
                "zone": z, **keys, "month": int(keys["month"]),
                "surplus_mw": round(mw, 1),
                "binding": _binding(system, full, snap, z),
                "cost_pkr_per_kwh": round((cost[j] - base_cost[j]) / mw, 2) if mw > TOL_MW else np.nan,
                "shed_mw": round(max(0.0, float(base_shed[j, i])), 1),
                "spilled_mw": round(max(0.0, float(base_spill[j, i])), 1),
            })
    p0 = base.links_t.p0
    flows = pd.DataFrame({i: p0[f"{i}{FORWARD}"].to_numpy() - p0[f"{i}{BACKWARD}"].to_numpy() for i in system.links.index},
                         index=cases)
    dispatch = pd.DataFrame(base_p, index=cases, columns=gen_cols)
    return Answer(pd.DataFrame(rows), flows, dispatch)


def with_demand_added(system: PowerSystem, extra: pd.DataFrame) -> PowerSystem:
    """``system`` with ``extra`` load (cases x buses, MW; a bus not named adds nothing) added to its demand."""
    demand = system.demand.add(extra.reindex(index=system.demand.index, columns=system.demand.columns, fill_value=0.0),
                               fill_value=0.0)
    return PowerSystem(system.buses, system.links, system.generators, system.availability, demand,
                       system.transfer_cap, system.notes)


def shed_by_case(system: PowerSystem) -> pd.DataFrame:
    """The ordinary demand the system cannot serve at each bus in each case (cases x buses, MW): the least-cost
    dispatch's load shedding."""
    n = _optimise(system, list(system.buses.index)[:1], probe=False)
    shed = n.generators_t.p[[f"shed {b}" for b in system.buses.index]].to_numpy(float)
    return pd.DataFrame(shed, index=system.demand.index, columns=list(system.buses.index))


def unserved_with(system: PowerSystem, extra: pd.DataFrame, baseline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Solve the system with ``extra`` load added (cases x buses, MW) and return the demand shed at each bus in
    each case (MW), less what is shed without it (``baseline``: ``shed_by_case(system)``, solved here if not given):
    all zeros means the whole extra load is served without shedding anyone."""
    before = shed_by_case(system) if baseline is None else baseline
    after = shed_by_case(with_demand_added(system, extra))
    return (after - before).clip(lower=0.0)
