"""A grid model the user brings, in place of the built-in network model: solved bus by bus and put into a dataset.

``grid_file.read_grid_model`` reads the file safely and ``pypsa_model`` turns the network into a ``PowerSystem``
(what is read, and the units, are said there). Here ``solve_grid_model`` finds every bus's deliverable surplus in every
snapshot with the built-in model's method (``network.solve``); several snapshots in one case (month and hour type)
are each solved and the case's surplus is the least of them (firm within the case). ``apply_grid_model`` puts the
answer into a dataset: its ``zones`` layer becomes the model's buses (one zone per bus, no low-high range: the model is
one case), each grid node's ``zone`` becomes the bus it joins, and every site with a grid node draws on that bus.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.data.dataset import Dataset
from sitefinder.errors import GridModelError, LayerError, Problem
from sitefinder.measure.geodesy import NearestFinder
from sitefinder.network.grid_file import MAX_GRID_MODEL_BYTES, read_grid_model
from sitefinder.network.pypsa_model import COST_UNIT, GridModel, grid_model_from_network, hour_type, lp_variables
from sitefinder.network.solve import deliverable_surplus
from sitefinder.network.zones import least_over_snapshots, zones_layer

NO_RANGE = "no range: the user's model is one case"
CHUNK_VARIABLES = 200_000  # the most variables solved at once: zones are solved a few at a time below that


@dataclass(frozen=True)
class SolvedGridModel:
    """A grid model and its answer: ``by_snapshot`` (zone x snapshot), ``table`` (zone x month x hour type: the
    least over the case's snapshots) and the ``zones`` layer made from it; ``seconds`` the solve took; ``flows``: each
    line's and link's flow in every snapshot of the dispatch without extra load."""

    model: GridModel
    by_snapshot: pd.DataFrame
    table: pd.DataFrame
    zones: gpd.GeoDataFrame
    seconds: float
    flows: pd.DataFrame = field(default_factory=pd.DataFrame)  # snapshots x lines and links, MW (+ from bus0), base dispatch


# ---------------------------------------------------------------------------------------------------------------
# Solving it


def _basis(name: str) -> str:
    safe = name.replace("{", "{{").replace("}", "}}")
    return (f"ESTIMATE from your grid model {safe}: the deliverable surplus at its bus {{zone}}, the most extra load the "
            "network can serve there from idle generation within its lines' and links' limits without shedding "
            "anyone (a transport model: impedance ignored); the least over the model's snapshots in each month and "
            f"hour type, and over the hour types in a month (firm); a season's is the least of its months that have a "
            f"snapshot, and stands for its other months; {NO_RANGE}. The cost is in {COST_UNIT}.")


def solve_grid_model(model: GridModel) -> SolvedGridModel:
    """Every bus's deliverable surplus in every snapshot (``network.solve.deliverable_surplus``), the least over each
    case's snapshots, and the ``zones`` layer: one zone per bus, no range, the cost in the model's currency per kWh."""
    t = time.perf_counter()
    zones = list(model.system.buses.index)
    per_zone = max(1, lp_variables(model.system) // max(len(zones), 1))
    step = max(1, CHUNK_VARIABLES // per_zone)
    parts, flows = [], pd.DataFrame()
    try:
        for i in range(0, len(zones), step):  # a few zones at a time: the memory a solve takes stays bounded
            answer = deliverable_surplus(model.system, zones[i:i + step])
            parts.append(answer.table)
            flows = answer.flows  # the same base dispatch in every part
    except RuntimeError as exc:
        raise GridModelError(model.name, [Problem(model.name, f"the network did not solve ({' '.join(str(exc).split())[:200]}).",
                                                  "Check the model's capacities and loads.")]) from None
    by_snapshot = pd.concat(parts, ignore_index=True)
    by_snapshot["cost_pkr_per_kwh"] = by_snapshot["cost_pkr_per_kwh"] / model.cost_scale
    table = least_over_snapshots(by_snapshot)
    zones = zones_layer(model.system, table, basis=_basis(model.label),
                        extra={"cost_unit": COST_UNIT, "overrides_regions": True, "source": f"grid model {model.label}"})
    return SolvedGridModel(model, by_snapshot, table, zones, time.perf_counter() - t, flows)


def interfaces_layer(solved: SolvedGridModel) -> gpd.GeoDataFrame:
    """The model's lines, transformers and links as the ``interfaces`` layer the map draws: a straight line between
    their buses' points (a picture, not a route), each with its limit (MW; a one-way link's forward limit, and says
    so), no range, and the largest flow each way and the share of snapshots at the limit in the dispatch without
    extra load."""
    system, flows = solved.model.system, solved.flows
    links, buses = system.links, system.buses
    label = solved.model.label
    rows, geoms = [], []
    for i, r in links.iterrows():
        flow = flows[i] if i in flows else pd.Series(dtype=float)
        back = float(r.get("p_nom_back", r["p_nom"]))
        kind = str(i).split(":", 1)[0]
        rows.append({
            "interface": str(i), "name": str(r["name"]), "zone_from": str(r["bus0"]), "zone_to": str(r["bus1"]),
            "limit_mw": float(r["p_nom"]), "limit_mw_low": np.nan, "limit_mw_high": np.nan,
            "kind": f"your grid model's {kind}" + ("" if back == float(r["p_nom"]) else f" ({back:,.0f} MW back)"),
            "basis": (f"{'s_nom x s_max_pu' if kind != 'link' else 'p_nom x p_max_pu (back: p_nom x -p_min_pu)'} in "
                      f"{label}; {NO_RANGE}"),
            "source": f"grid model {label}",
            "flow_max_forward_mw": round(float(flow.clip(lower=0).max()), 1) if len(flow) else np.nan,
            "flow_max_backward_mw": round(float((-flow).clip(lower=0).max()), 1) if len(flow) else np.nan,
            "hours_at_limit_share": (round(float(((flow >= float(r["p_nom"]) - 0.5) | (-flow >= back - 0.5)).mean()), 3)
                                     if len(flow) else np.nan)})
        geoms.append(shapely.LineString([(buses.loc[r["bus0"], "x"], buses.loc[r["bus0"], "y"]),
                                         (buses.loc[r["bus1"], "x"], buses.loc[r["bus1"], "y"])]))
    columns = ["interface", "name", "zone_from", "zone_to", "limit_mw", "limit_mw_low", "limit_mw_high", "kind", "basis",
               "source", "flow_max_forward_mw", "flow_max_backward_mw", "hours_at_limit_share"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry=geoms, crs=4326)


# ---------------------------------------------------------------------------------------------------------------
# Putting it into a dataset


def _study_area_problem(zones: gpd.GeoDataFrame, dataset: Dataset, shown: str) -> tuple[Problem | None, str | None]:
    """No bus inside the study area is a problem (swapped coordinates are named); some outside is a note."""
    area = shapely.union_all(dataset["study_area"].geometry.array)
    shapely.prepare(area)
    x, y = zones.geometry.x.to_numpy(), zones.geometry.y.to_numpy()
    inside = shapely.contains_xy(area, x, y)
    if inside.any():
        out = int((~inside).sum())
        return None, (f"{out} of {len(inside)} bus(es) lie outside the study area; nodes still join the nearest bus"
                      if out else None)
    if shapely.contains_xy(area, y, x).mean() > 0.5:
        return Problem(shown, "no bus lies in the study area, but most would if x and y were swapped.",
                       "Put longitude in x and latitude in y."), None
    b = area.bounds
    return Problem(shown, f"no bus lies in the study area (lon {b[0]:.1f}..{b[2]:.1f}, lat {b[1]:.1f}..{b[3]:.1f}); the "
                          f"buses span lon {x.min():.2f}..{x.max():.2f}, lat {y.min():.2f}..{y.max():.2f}.",
                   "Check that this is a model of the study area and that x/y are longitude/latitude."), None


def bus_column_problem(nodes: gpd.GeoDataFrame, bus_column: str | None) -> Problem | None:
    """A bus column the grid nodes layer does not have (checked before the solve, so a typo costs nothing)."""
    if bus_column is None or bus_column in nodes.columns:
        return None
    cols = [str(c) for c in nodes.columns if c != nodes.geometry.name]
    return Problem(f"--grid-model-bus-column {bus_column}", "is not a column of the grid nodes layer.",
                   f"Use one of: {', '.join(cols[:30])}; or leave it out to join each node to its nearest bus.")


def join_nodes(nodes: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, name: str, bus_column: str | None = None
               ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``nodes`` with ``zone`` = the bus each joins (the bus named in ``bus_column`` where given and not blank, else
    the nearest bus, geodesic) and ``zone_basis`` saying which and how far; and notes. Raises ``LayerError`` for a
    column that is missing or names buses the model does not have."""
    problem = bus_column_problem(nodes, bus_column)
    if problem is not None:
        raise LayerError("--grid-model-bus-column", [problem])
    out = nodes.copy()
    bus_ids = zones["zone"].astype(str).to_numpy()
    finder = NearestFinder(zones.geometry.x.to_numpy(), zones.geometry.y.to_numpy())
    idx, km = finder.query(out.geometry.x.to_numpy(float), out.geometry.y.to_numpy(float))
    nearest = bus_ids[np.asarray(idx)]
    named = pd.Series([None] * len(out), index=out.index, dtype=object)
    notes: list[str] = []
    if bus_column is not None:
        given = out[bus_column].astype(object)
        present = given.notna() & given.astype(str).str.strip().ne("")
        named[present] = given[present].astype(str).str.strip()
        unknown = sorted(set(named[present]) - set(bus_ids))
        if unknown:
            raise LayerError("--grid-model-bus-column", [Problem(
                f"grid nodes column {bus_column}", f"names bus(es) the grid model {name} does not have: "
                f"{', '.join(u[:60] for u in unknown[:5])}{' and more' if len(unknown) > 5 else ''}.",
                f"Use the model's bus names ({', '.join(bus_ids[:8])}{', ...' if len(bus_ids) > 8 else ''}), or leave "
                "the cell blank to join the nearest bus.")])
        blank = int((~present).sum())
        if blank:
            notes.append(f"{blank} grid node(s) with a blank {bus_column} join the nearest bus")
    use_named = named.notna().to_numpy()
    out["zone"] = np.where(use_named, named.to_numpy(dtype=object), nearest)
    out["zone_basis"] = [f"bus {z} of the grid model {name}, named in the grid nodes' column {bus_column}" if u else
                         f"bus {z} of the grid model {name}: the nearest bus ({k:,.1f} km, geodesic)"
                         for z, u, k in zip(out["zone"], use_named, np.asarray(km, float))]
    far = np.asarray(km, float)[~use_named]
    if len(far):
        notes.append(f"{int((~use_named).sum())} grid node(s) joined their nearest bus, at most {far.max():,.0f} km away")
    return out, notes


def apply_grid_model(dataset: Dataset, solved: SolvedGridModel, *, bus_column: str | None = None) -> tuple[Dataset, list[str]]:
    """``dataset`` with the grid model in place of the built-in network model, and notes on what was done:

    - its ``zones`` layer is the model's buses and their surplus (``solved.zones``);
    - its ``interfaces`` layer is the model's lines, transformers and links (``interfaces_layer``);
    - its ``network`` is the model's system, which the programme is re-solved on;
    - each grid node's ``zone`` is the bus it joins (``join_nodes``);
    - a supply region that belonged to a zone of the built-in model no longer shows that zone's surplus (it is unknown,
      and its basis says why): the built-in model's figures would otherwise mix with the user's. A region without a
      zone keeps its own figures.

    Every site whose grid node joined a bus draws on that bus, whatever its region (``measure.surplus.site_areas``
    reads the zones' ``overrides_regions``); a site with no grid node draws on its region's figures."""
    name = solved.model.label
    problem, note = _study_area_problem(solved.zones, dataset, solved.model.name)
    if problem is not None:
        raise GridModelError(solved.model.name, [problem])
    notes = [note] if note else []
    nodes, joined = join_nodes(dataset["grid_nodes"], solved.zones, name, bus_column)
    notes += joined
    regions = dataset["supply_regions"].copy()
    if "zone" in regions:
        zoned = regions["zone"].notna().to_numpy()
        shown = [c for c in regions.columns if c.startswith("surplus_") and c != "surplus_basis"]
        for col in shown:
            if regions[col].dtype == object:
                regions[col] = regions[col].where(~zoned, None)
            else:
                regions[col] = regions[col].where(~zoned, np.nan)
        regions["surplus_basis"] = regions["surplus_basis"].astype(object).where(
            ~zoned, f"replaced: the grid model {name} gives each grid node's bus its surplus; a site draws on its "
                    "node's bus (zones layer), not on this region")
        if zoned.any():
            notes.append(f"{int(zoned.sum())} supply region(s) no longer show the built-in model's surplus")
    out = dataset.with_layer("zones", solved.zones, label=name)
    out = out.with_layer("interfaces", interfaces_layer(solved), label=name)  # not the built-in model's interfaces
    out = out.with_layer("grid_nodes", nodes, dataset.files.get("grid_nodes"), label=dataset.file_label("grid_nodes"))
    out = out.with_layer("supply_regions", regions, dataset.files.get("supply_regions"),
                         label=dataset.file_label("supply_regions"))
    return out.with_network(solved.model.system), notes  # the programme is re-solved on it


def network_model_in_use(dataset: Dataset) -> str:
    """Which network model a dataset's surplus comes from, in words: a grid model the user brought, or the built-in."""
    zones = dataset.get("zones")
    if zones is not None and "overrides_regions" in zones and zones["overrides_regions"].map(lambda v: v is True).any():
        return f"your grid model {dataset.file_label('zones')}"
    return "the built-in network model" if zones is not None else "no network model (regions' own figures)"


def summary(solved: SolvedGridModel) -> str:
    """One line on the model and its solve."""
    m = solved.model
    return f"grid model {m.name}: {m.describe()}; solved in {solved.seconds:.1f} s; {NO_RANGE}"


__all__ = ["COST_UNIT", "MAX_GRID_MODEL_BYTES", "NO_RANGE", "GridModel", "SolvedGridModel", "apply_grid_model",
           "bus_column_problem", "grid_model_from_network", "hour_type", "interfaces_layer", "join_nodes", "network_model_in_use",
           "read_grid_model", "solve_grid_model", "summary"]
