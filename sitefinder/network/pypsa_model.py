"""A ``pypsa.Network`` a user brings, as a ``PowerSystem`` the deliverable-surplus solve takes.

What is read (a *transport* model: power flows where the limits allow; impedance is ignored):

- **buses**: ``x`` and ``y`` are longitude and latitude (EPSG:4326). Electricity buses only (carrier AC, DC or
  blank): a sector-coupled model is refused.
- **generators**: ``p_nom`` (MW); ``p_max_pu`` (static or by snapshot) is the share that can run; ``p_min_pu`` above
  0 is a must-run share (it runs at least that much, and what nobody can take is spilled); ``marginal_cost``
  orders the plants (a cost by snapshot: its mean). Extendable capacity is not built: ``p_nom`` as saved is used.
  Unit commitment is ignored.
- **loads**: ``p_set`` (static or by snapshot, MW) summed per bus is the demand to serve.
- **lines** and **transformers**: ``s_nom x s_max_pu`` (MVA taken as MW) either way. **Links**: ``p_nom x
  p_max_pu`` from bus0 to bus1 and ``p_nom x -p_min_pu`` back (PyPSA's default ``p_min_pu = 0`` is one-way);
  losses (``efficiency``) and further ports (bus2, ...) are ignored; a per-unit limit by snapshot: the static one.
- **storage units and stores** are left out (each case is solved on its own, nothing is carried between them).
- **snapshots** must be timestamps, read as local time (PyPSA keeps no time zone: a model whose times are UTC, as
  weather data often is, must be shifted by +5 h for Pakistan first). Each snapshot's month and hour type (evening
  18-22 h, midday 10-16 h, night the rest) make its case.

Units: power in MW. ``marginal_cost`` is in the model's own currency per MWh (PyPSA's convention), so a cost per kWh
is ``marginal_cost / 1000`` in that currency (``COST_UNIT``): PKR only if the model's costs are PKR/MWh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sitefinder.errors import GridModelError, Problem
from sitefinder.model.vocabulary import MONTH_NAMES
from sitefinder.network.netcdf_reader import MAX_TEXT_CHARS
from sitefinder.network.system import PowerSystem

if TYPE_CHECKING:
    import pypsa

MAX_CAPACITY_MW = 100_000.0  # the solve's largest probe and shedding: more than any plant or line anywhere
MAX_LP_VARIABLES = 400_000  # 366,400 took 22 s and 1.2 GB on 2 shared cores (docs/performance/grid-model.md)
ELECTRIC = ("AC", "DC", "")
COST_UNIT = "model currency/kWh (its marginal_cost per MWh / 1000)"
SOLVER_COST_TOP = 30.0  # the dearest plant's cost as solved: where the built-in's dearest fuel sits (PKR/kWh)
FIX = "Give a PyPSA network saved with Network.export_to_netcdf (a .nc file)."
BRANCHES = (("line", "lines", "s_nom", "s_max_pu"), ("transformer", "transformers", "s_nom", "s_max_pu"),
            ("link", "links", "p_nom", "p_max_pu"))


def hour_type(hour: int) -> str:
    """The hour type of an hour of the day (0-23): evening 18-22 h, midday 10-16 h, night the other 14 hours."""
    return "evening" if 18 <= hour < 22 else "midday" if 10 <= hour < 16 else "night"


@dataclass(frozen=True)
class GridModel:
    """A user's network as a ``PowerSystem`` whose cases are (month, hour type, snapshot), with what was read.

    ``cost_scale``: the model's costs per kWh were multiplied by this for the solve (the merit order is unchanged;
    reported costs are divided by it again). ``counts``: components read; ``notes``: what was left out or assumed."""

    name: str
    system: PowerSystem
    cost_scale: float
    counts: dict[str, int]
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The file's own name (``name`` may be a path): what the data and its exports call the model."""
        return PurePath(self.name).name or self.name

    @property
    def cases(self) -> list[str]:
        """The cases the snapshots fall in, in words ("Jan evening")."""
        keys = dict.fromkeys((m, h) for m, h, _ in self.system.demand.index)
        return [f"{MONTH_NAMES[m - 1]} {h}" for m, h in keys]

    def describe(self) -> str:
        """One line: what the model holds."""
        c = self.counts
        parts = [f"{c['buses']} bus(es)", f"{c['generators']} generator(s)", f"{c['loads']} load(s)",
                 f"{c['lines']} line(s)", f"{c['transformers']} transformer(s)", f"{c['links']} link(s)"]
        cases = self.cases
        return (f"{', '.join(parts)}; {c['snapshots']} snapshot(s) in {len(cases)} case(s) of month and hour type "
                f"({', '.join(cases[:6])}{', ...' if len(cases) > 6 else ''})")


def lp_variables(system: PowerSystem) -> int:
    """The size of the linear programme that finds every bus's surplus (variables): the network is repeated once per
    bus and case, and each copy has a variable per plant, two per line or link (one each way), and a shedding, a
    spilling and a probe variable per bus."""
    copies = len(system.buses) * len(system.demand.index)
    return copies * (len(system.generators) + 2 * len(system.links) + 4 * len(system.buses))


# ---------------------------------------------------------------------------------------------------------------
# Checks


def summary_line(shown: str, count: int) -> str:
    """The head line of a ``GridModelError`` with ``count`` problems (none for one: it is one line)."""
    return f"{shown}: {count} problems in the grid model" if count > 1 else ""


def names_text(names: pd.Index | list[Any], limit: int = 5) -> str:
    """Component names for a message, shortened."""
    names = [str(n)[:60] for n in names]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _numbers(frame: pd.DataFrame, what: str, col: str, shown: str, problems: list[Problem], *,
             high: float = MAX_CAPACITY_MW, unit: str = "MW") -> None:
    """NaN, infinite, negative or huge values of ``frame[col]`` (one row per component)."""
    if col not in frame:
        return
    values = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for label, mask, fix in (
        ("not a number", values.isna(), "Give every component a number."),
        ("infinite", np.isinf(values), "Give a finite value: sitefinder cannot solve an unlimited one."),
        ("below 0", values < 0, f"Give values of at least 0 {unit}."),
        (f"above {high:,.0f}", (values > high) & np.isfinite(values), f"Give values of at most {high:,.0f} {unit}."),
    ):
        bad = values.index[mask.to_numpy()]
        if len(bad):
            problems.append(Problem(shown, f"{what} {col} is {label} for {names_text(bad)}.", fix))


def _series_numbers(frame: pd.DataFrame, what: str, shown: str, problems: list[Problem], high: float, unit: str) -> None:
    """The same checks on a snapshots x components table (values from 0 to ``high``)."""
    values = frame.astype(float)
    for label, mask in (("not a number", values.isna()), ("infinite", np.isinf(values)), ("below 0", values < 0),
                        (f"above {high:g}", (values > high) & np.isfinite(values))):
        cols = values.columns[mask.to_numpy().any(axis=0)]
        if len(cols):
            problems.append(Problem(shown, f"{what} is {label} in some snapshot for {names_text(cols)}.",
                                    f"Give values from 0 to {high:g} {unit}."))


def _missing_buses(frame: pd.DataFrame, what: str, cols: tuple[str, ...], buses: pd.Index, shown: str,
                   problems: list[Problem]) -> None:
    for col in cols:
        if col not in frame:
            continue
        bad = frame.index[~frame[col].astype(str).isin(buses)]
        if len(bad):
            names = sorted({str(b)[:60] for b in frame.loc[bad, col]})
            problems.append(Problem(shown, f"{what} {names_text(bad)}: {col} names bus(es) the network does not have "
                                    f"({', '.join(names[:5])}).", "Add those buses, or connect the components to buses "
                                    "that exist."))


def _bus_problems(buses: pd.DataFrame, shown: str) -> list[Problem]:
    """Buses that are not electricity buses, with names too long, or without longitude and latitude."""
    problems = []
    carriers = buses["carrier"].fillna("").astype(str) if "carrier" in buses else pd.Series("", index=buses.index)
    other = sorted(set(carriers) - set(ELECTRIC))
    if other:
        problems.append(Problem(shown, f"has buses of carrier {', '.join(repr(c[:30]) for c in other[:5])}: a "
                                "sector-coupled model; sitefinder reads an electricity network (AC and DC buses).",
                                "Save the electricity network on its own."))
    if any(len(str(b)) > MAX_TEXT_CHARS for b in buses.index):
        problems.append(Problem(shown, f"has bus names longer than {MAX_TEXT_CHARS} characters.", "Give shorter names."))
    x = pd.to_numeric(buses["x"], errors="coerce").astype(float)
    y = pd.to_numeric(buses["y"], errors="coerce").astype(float)
    unset = (x == 0) & (y == 0)
    if unset.all():
        return [*problems, Problem(shown, "its buses have no coordinates (x and y are 0 for every bus).",
                                   "Give each bus its longitude as x and latitude as y (EPSG:4326).")]
    if unset.any():
        problems.append(Problem(shown, f"bus(es) {names_text(buses.index[unset])} are at x = 0, y = 0 (in the Gulf of "
                                "Guinea): their coordinates are missing.", "Give each bus its longitude as x and "
                                "latitude as y."))
    off = ~(x.between(-180, 180) & y.between(-90, 90))
    if off.any():
        problems.append(Problem(shown, f"bus(es) {names_text(buses.index[off])} have x/y outside longitude -180..180 and "
                                f"latitude -90..90 (e.g. x = {x[off].iloc[0]:g}, y = {y[off].iloc[0]:g}): not lon/lat.",
                                "Give the buses' x and y as longitude and latitude (EPSG:4326), not projected metres."))
    return problems


def _snapshots(n: pypsa.Network, shown: str) -> tuple[pd.DatetimeIndex, Problem | None]:
    """The snapshots as local timestamps, or what is wrong with them."""
    snaps = n.snapshots
    if isinstance(snaps, pd.MultiIndex):
        return pd.DatetimeIndex([]), Problem(shown, "has snapshots in several investment periods.",
                                             "Save one period's snapshots as a network of its own.")
    if not isinstance(snaps, pd.DatetimeIndex):
        return pd.DatetimeIndex([]), Problem(
            shown, f"its snapshots are not timestamps ({names_text(list(snaps), 3)}); sitefinder needs each snapshot's "
            "month and hour.", "Set timestamped snapshots, e.g. n.set_snapshots(pd.date_range(...)), and save again.")
    if len(snaps) == 0:
        return snaps, Problem(shown, "has no snapshots.", "Give at least one timestamped snapshot.")
    if snaps.has_duplicates:
        return snaps, Problem(shown, f"has the snapshot {snaps[snaps.duplicated()][0]} twice.", "Give each snapshot once.")
    return pd.DatetimeIndex(snaps), None


def _dense(n: pypsa.Network, static: pd.DataFrame, series: Any, attr: str) -> pd.DataFrame:
    """snapshots x components (the rows of ``static``): the time series where given, the static value elsewhere."""
    out = pd.DataFrame(np.tile(pd.to_numeric(static[attr], errors="coerce").to_numpy(float), (len(n.snapshots), 1)),
                       index=n.snapshots, columns=static.index)
    given = series[attr] if attr in series else pd.DataFrame(index=n.snapshots)
    cols = [c for c in given.columns if c in out.columns]
    if cols:
        out[cols] = given[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    return out


def _active(frame: pd.DataFrame) -> pd.DataFrame:
    if "active" not in frame or not len(frame):
        return frame
    return frame[frame["active"].map(lambda v: v is not False and v != 0).astype(bool)]


# ---------------------------------------------------------------------------------------------------------------
# Conversion


def _generators(n: pypsa.Network, gens: pd.DataFrame, pmin: pd.DataFrame, pmax: pd.DataFrame, cases: pd.MultiIndex,
                notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """The plants (a must-run part where ``p_min_pu`` > 0, and the rest), their availability by case, and the cost
    scale (see ``GridModel``)."""
    cost = pd.to_numeric(gens["marginal_cost"], errors="coerce").astype(float) / 1000.0
    varying = [c for c in (n.generators_t["marginal_cost"].columns if "marginal_cost" in n.generators_t else [])
               if c in gens.index]
    if varying:
        cost.loc[varying] = n.generators_t["marginal_cost"][varying].astype(float).mean() / 1000.0
        notes.append(f"{len(varying)} generator(s) have costs by snapshot; their mean is used")
    top = float(cost.max()) if len(cost) else 0.0
    scale = SOLVER_COST_TOP / top if top > 0 else 1.0
    rows, avail = [], {}
    for g, r in gens.iterrows():
        base = {"bus": str(r["bus"]), "fuel": f"model:{str(r.get('carrier') or 'unknown')[:40]}", "contract": "user model",
                "p_nom": float(r["p_nom"]), "marginal_cost": float(cost[g]) * scale}
        lo, hi = pmin[g].to_numpy(float), pmax[g].to_numpy(float)
        if (lo > 0).any():
            rows.append({"id": f"g:{g} (must run)", **base, "must_run": True})
            avail[f"g:{g} (must run)"] = lo
        rows.append({"id": f"g:{g}", **base, "must_run": False})
        avail[f"g:{g}"] = hi - lo
    columns = ["bus", "fuel", "contract", "p_nom", "marginal_cost", "must_run"]
    frame = pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame(columns=columns)
    if "p_nom_extendable" in gens and gens["p_nom_extendable"].astype(bool).any():
        notes.append(f"{int(gens['p_nom_extendable'].astype(bool).sum())} extendable generator(s): their p_nom as saved "
                     "is used, nothing is built")
    if "committable" in gens and gens["committable"].astype(bool).any():
        notes.append("unit commitment (committable generators) is ignored")
    return frame, pd.DataFrame(avail, index=cases, columns=list(frame.index)).astype(float), scale


def _links(n: pypsa.Network, branches: dict[str, pd.DataFrame], name: str, notes: list[str]) -> pd.DataFrame:
    """Lines, transformers and links as transport links: their limit forward (``p_nom``) and back (``p_nom_back``)."""
    rows = []
    for kind, list_name, cap, per_unit in BRANCHES:
        frame = branches[kind]
        if not len(frame):
            continue
        hi = pd.to_numeric(frame[per_unit], errors="coerce").fillna(1.0) if per_unit in frame else pd.Series(1.0, frame.index)
        lo = (pd.to_numeric(frame["p_min_pu"], errors="coerce").fillna(0.0) if "p_min_pu" in frame
              else pd.Series(0.0, frame.index))
        series = getattr(n, f"{list_name}_t")
        if per_unit in series and len(series[per_unit].columns):
            notes.append(f"{kind} {per_unit} given by snapshot is ignored; the static value is used")
        for b, r in frame.iterrows():
            if str(r["bus0"]) == str(r["bus1"]):
                continue
            size = float(r[cap])
            forward = size * max(float(hi[b]), 0.0)
            back = size * max(0.0, -float(lo[b])) if kind == "link" else forward
            rows.append({"id": f"{kind}:{b}", "bus0": str(r["bus0"]), "bus1": str(r["bus1"]), "p_nom": forward,
                         "p_nom_back": back, "name": f"{kind} {str(b)[:MAX_TEXT_CHARS]}", "source": name})
        if kind == "link":
            if "efficiency" in frame and (pd.to_numeric(frame["efficiency"], errors="coerce") != 1).any():
                notes.append("link losses (efficiency) are ignored: the network is a transport model")
            more = [c for c in frame.columns if c.startswith("bus") and c not in ("bus0", "bus1")
                    and frame[c].astype(str).str.strip().ne("").any()]
            if more:
                notes.append(f"links' further ports ({', '.join(more)}) are ignored")
    columns = ["bus0", "bus1", "p_nom", "p_nom_back", "name", "source"]
    return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame(columns=columns)


def grid_model_from_network(n: pypsa.Network, name: str, *, left_out: dict[str, int] | None = None,
                            problems: list[Problem] | None = None) -> GridModel:
    """A ``GridModel`` of ``n`` (see the module's docstring for what is read and how); every problem is reported
    together in one ``GridModelError`` naming ``name``, after ``problems`` already found in the file. ``left_out``:
    components of kinds not read, by kind, to say so."""
    shown = name
    problems = list(problems or [])
    notes: list[str] = []
    buses = n.buses
    if len(buses) == 0:
        raise GridModelError(shown, [*problems, Problem(shown, "has no buses.",
                                                        "Add the network's buses (with x and y) and save it again.")])
    problems += _bus_problems(buses, shown)
    snaps, snapshot_problem = _snapshots(n, shown)
    if snapshot_problem is not None:  # nothing by snapshot can be checked without them
        raise GridModelError(shown, [*problems, snapshot_problem], summary=summary_line(shown, len(problems) + 1))
    bus_ids = buses.index.astype(str)
    gens, loads = _active(n.generators), _active(n.loads)
    if len(n.generators) > len(gens):
        notes.append(f"{len(n.generators) - len(gens)} inactive generator(s) left out")
    _missing_buses(gens, "generator(s)", ("bus",), bus_ids, shown, problems)
    _numbers(gens, "generator", "p_nom", shown, problems)
    _numbers(gens, "generator", "marginal_cost", shown, problems, high=1e9, unit="per MWh")
    _missing_buses(loads, "load(s)", ("bus",), bus_ids, shown, problems)
    if "sign" in loads and (pd.to_numeric(loads["sign"], errors="coerce") > 0).any():
        problems.append(Problem(shown, "has loads with a positive sign (they would generate).",
                                "Model generation as a Generator."))
    branches = {kind: _active(getattr(n, list_name)) for kind, list_name, _, _ in BRANCHES}
    for kind, _, cap, _ in BRANCHES:
        _missing_buses(branches[kind], f"{kind}(s)", ("bus0", "bus1"), bus_ids, shown, problems)
        _numbers(branches[kind], kind, cap, shown, problems)
    if problems:
        raise GridModelError(shown, problems, summary=summary_line(shown, len(problems)))

    pmax, pmin = (_dense(n, gens, n.generators_t, attr) for attr in ("p_max_pu", "p_min_pu"))
    _series_numbers(pmax, "generator p_max_pu", shown, problems, 1.0, "(a share of p_nom)")
    _series_numbers(pmin, "generator p_min_pu", shown, problems, 1.0, "(a share of p_nom)")
    above = pmin.columns[(pmin > pmax + 1e-9).to_numpy().any(axis=0)]
    if len(above):
        problems.append(Problem(shown, f"generator p_min_pu is above p_max_pu in some snapshot for {names_text(above)}.",
                                "Give p_min_pu <= p_max_pu."))
    by_load = _dense(n, loads, n.loads_t, "p_set")
    _series_numbers(by_load, "load p_set", shown, problems, MAX_CAPACITY_MW, "MW")
    if problems:
        raise GridModelError(shown, problems, summary=summary_line(shown, len(problems)))

    cases = pd.MultiIndex.from_arrays([snaps.month.astype(int), [hour_type(h) for h in snaps.hour],
                                       [f"{t:%Y-%m-%d %H:%M}" for t in snaps]], names=["month", "hour_type", "snapshot"])
    bus_frame = pd.DataFrame({"name": bus_ids, "system": "user model", "x": pd.to_numeric(buses["x"]).to_numpy(float),
                              "y": pd.to_numeric(buses["y"]).to_numpy(float)}, index=pd.Index(bus_ids, name="bus"))
    generators, availability, scale = _generators(n, gens, pmin, pmax, cases, notes)
    demand = pd.DataFrame(0.0, index=cases, columns=list(bus_ids))
    for load, bus in loads["bus"].astype(str).items():
        demand[bus] = demand[bus].to_numpy() + by_load[load].to_numpy(float)
    links = _links(n, branches, name, notes)
    for what, count in (left_out or {}).items():
        notes.append(f"{count} {what.replace('_', ' ').rstrip('s')}(s) left out: each case is solved on its own, nothing "
                     "is stored between them")
    notes.append("snapshot times read as local time (PyPSA keeps no time zone): a model in UTC is 5 hours behind Pakistan")
    system = PowerSystem(bus_frame, links, generators, availability, demand, None, notes=[f"from the grid model {name}"])
    wrong = system.check()
    if wrong:
        raise GridModelError(shown, [Problem(shown, w, FIX) for w in wrong])
    size = lp_variables(system)
    if size > MAX_LP_VARIABLES:
        raise GridModelError(shown, [Problem(
            shown, f"is too large to solve here: {len(bus_ids)} buses x {len(snaps)} snapshots x ({len(generators)} "
            f"generators + 2 x {len(links)} lines and links + 4 x {len(bus_ids)} buses) = {size:,} variables; the limit is "
            f"{MAX_LP_VARIABLES:,} (366,400 took 22 s and 1.2 GB of memory on 2 cores).",
            "Use fewer snapshots (one per month and hour type is enough), or cluster the network to fewer buses "
            "(pypsa.clustering.spatial).")])
    counts = {"buses": len(buses), "generators": len(gens), "loads": len(loads), "snapshots": len(snaps),
              **{f"{kind}s": len(branches[kind]) for kind, _, _, _ in BRANCHES}}
    return GridModel(name, system, scale, counts, tuple(notes))
