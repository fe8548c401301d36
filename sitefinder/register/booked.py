"""What the register has booked, taken off a dataset, so that ranking, ``explain`` and the programme see only what
is still free.

- Each grid node's published (or assumed) headroom loses the MW booked there; ``booked_mw`` says how much is.
- Each network zone's deliverable surplus is solved again with every booked load added at its zone's bus, in the
  months and hour types it runs, at every end the model has (``network.solve``): booked load in one zone also uses
  the idle generation and the interfaces the others share, so every zone's figures can change, not just its own.
  The supply regions show their zone's new figures.

Booked: held, approved and energised applications (``states.BOOKED``). MW throughout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sitefinder.data.dataset import Dataset
from sitefinder.measure.surplus import ZONE
from sitefinder.network.solve import deliverable_surplus, with_demand_added
from sitefinder.network.zones import ends_table, least_over_snapshots, zone_columns
from sitefinder.programme.network_check import loads_frame, run_mask, systems_of
from sitefinder.register.ledger import Application
from sitefinder.register.states import APPROVED, BOOKED, ENERGISED, HELD


def booked_text(apps: Sequence[Application], *, where: str = "here") -> str:
    """"booked here: 150 MW in 2 applications (100 MW approved, 50 MW held until 31 Mar 2027)", or "nothing booked
    here"."""
    live = [a for a in apps if a.state in BOOKED]
    if not live:
        return f"nothing booked {where}"
    parts = []
    for state in (ENERGISED, APPROVED, HELD):
        these = [a for a in live if a.state == state]
        if not these:
            continue
        mw = sum(a.mw for a in these)
        until = ""
        if state == HELD:
            last = max((a.hold_until for a in these if a.hold_until), default=None)
            until = f" until {_day(last)}" if last else ""
        parts.append(f"{mw:,.0f} MW {state}{until}")
    total = sum(a.mw for a in live)
    return f"booked {where}: {total:,.0f} MW in {len(live)} application(s) ({', '.join(parts)})"


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def with_bookings(dataset: Dataset, apps: Sequence[Application]) -> tuple[Dataset, list[str]]:
    """``dataset`` less what ``apps`` book (see the module's docstring), and notes on what was taken off."""
    live = [a for a in apps if a.state in BOOKED]
    if not live:
        return dataset, ["the register has nothing booked"]
    notes = [booked_text(live, where="in the register")]
    nodes = dataset["grid_nodes"].copy()
    at_node = pd.Series([a.mw for a in live], index=[a.grid_node_id for a in live]).groupby(level=0).sum()
    nodes["booked_mw"] = nodes["node_id"].astype(str).map(at_node).fillna(0.0)
    if "headroom_mw" in nodes:
        head = pd.to_numeric(nodes["headroom_mw"], errors="coerce")
        nodes["headroom_mw"] = (head - nodes["booked_mw"]).where(head.notna())
    out = dataset.with_layer("grid_nodes", nodes, dataset.files.get("grid_nodes"), label=dataset.file_label("grid_nodes"))
    systems = systems_of(dataset)
    zones = dataset.get("zones")
    if systems and zones is not None:
        central = systems["central"]
        on_bus = [a for a in live if a.zone and a.zone.startswith(ZONE) and a.zone[len(ZONE):] in central.demand.columns]
        extra = {end: loads_frame(s, [a.zone[len(ZONE):] for a in on_bus if a.zone],
                             [run_mask(s, a.cell_mask) for a in on_bus], np.array([a.mw for a in on_bus]))
                 for end, s in systems.items()}
        booked_systems = {end: with_demand_added(s, extra[end]) for end, s in systems.items()}
        table = ends_table({end: least_over_snapshots(deliverable_surplus(s).table) for end, s in booked_systems.items()})
        fresh = zone_columns(table, zones.set_index("zone"))
        new_zones = zones.copy()
        # A user's model states its cost in its own currency, scaled when it was read: its zones keep their costs.
        own_unit = new_zones["cost_unit"].notna().to_numpy() if "cost_unit" in new_zones else np.zeros(len(new_zones), bool)
        for col in fresh.columns:
            if col in new_zones:
                values = new_zones["zone"].map(fresh[col]).to_numpy()
                new_zones[col] = np.where(own_unit, new_zones[col].to_numpy(), values) if "_cost_" in col else values
        new_zones = new_zones.copy()  # one block again before the column is added (pandas warns otherwise)
        new_zones["booked_mw"] = new_zones["zone"].map(
            pd.Series([a.mw for a in on_bus], index=[str(a.zone)[len(ZONE):] for a in on_bus]).groupby(level=0).sum()
        ).fillna(0.0).to_numpy(float)
        new_zones["surplus_basis"] = new_zones["surplus_basis"].astype(str) + (
            f"; less what the register has booked ({len(on_bus)} application(s), "
            f"{sum(a.mw for a in on_bus):,.0f} MW, re-solved on the network)")
        out = out.with_layer("zones", new_zones, dataset.files.get("zones"), label=dataset.file_label("zones"))
        out = out.with_network(booked_systems)  # a programme is re-solved with the booked loads in the demand
        regions = out["supply_regions"]
        if "zone" in regions:
            regions = regions.copy()
            by_zone = new_zones.set_index("zone")
            for col in (c for c in fresh.columns if c in regions and not c.startswith(("surplus_evening", "surplus_midday",
                                                                                       "surplus_night"))):
                regions[col] = [by_zone.loc[z, col] if isinstance(z, str) and z in by_zone.index else v
                                for z, v in zip(regions["zone"], regions[col])]
            out = out.with_layer("supply_regions", regions, dataset.files.get("supply_regions"),
                                 label=dataset.file_label("supply_regions"))
        notes.append(f"every zone's deliverable surplus solved again with the {len(on_bus)} booked load(s) added")
    return out, notes
