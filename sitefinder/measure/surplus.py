"""Surplus by month and the pots sites draw it from.

A site's surplus is its *area's*: the network zone of the grid node it connects to (a zone of the ``zones`` layer),
else its supply region's zone, else its supply region's own figures. With a grid model the user brought, every grid
node joins one of its buses, and every site with a grid node draws on that bus. ``monthly_surplus`` gives any such table's
twelve months (MW), from its monthly columns or its winter and summer figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.model.vocabulary import HOUR_TYPES, HOURLY, MONTHLY, SUMMER_MONTHS, WINTER_MONTHS


def monthly_surplus(regions: pd.DataFrame, end: str = "") -> NDArray[np.float64]:
    """Each region's (or area's) surplus by month, (R, 12) MW: its monthly columns where given, else winter for Oct-Mar and
    summer for Apr-Sep. ``end`` = "_low" or "_high" takes that end of the ranges (the central value where a
    region has no range)."""
    out = np.full((len(regions), 12), np.nan)
    for season, months in (("winter", WINTER_MONTHS), ("summer", SUMMER_MONTHS)):
        col = f"surplus_{season}_mw"
        central = regions[col].to_numpy(float)
        value = regions[col + end].to_numpy(float) if end and col + end in regions else central
        value = np.where(np.isfinite(value), value, central)
        for m in months:
            out[:, m - 1] = value
    if all(c in regions for c in MONTHLY) and not end:
        monthly = regions[list(MONTHLY)].to_numpy(float)
        out = np.where(np.isfinite(monthly), monthly, out)
    return out



ZONE = "zone:"
REGION = "region:"
OVERRIDES = "overrides_regions"


def _surplus_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("surplus_") or c == "on_national_grid"]


def surplus_areas(dataset: Dataset) -> pd.DataFrame:
    """The pots that sites draw surplus from, one row each (index: area id): every zone of the dataset's ``zones``
    layer (``zone:<id>``, the deliverable surplus of a network model) and every supply region (``region:<id>``, its
    own figures, for sites that belong to no zone). Columns: ``name``, ``zone``, ``system`` (a zone's, e.g.
    national; blank for a region), ``overrides_regions`` (a zone of a grid model the user brought: every site whose
    node is in it draws on it), ``cost_unit`` where the zones give one, and the layers' surplus columns (MW; PKR/kWh
    for the cost unless ``cost_unit`` says otherwise), NaN where a layer has none."""
    regions = pd.DataFrame(dataset["supply_regions"].drop(columns="geometry"))
    parts = []
    zones = dataset.get("zones")
    if zones is not None and len(zones):
        z = pd.DataFrame(zones.drop(columns="geometry"))
        override = z["overrides_regions"].map(lambda v: v is True or v == 1) if OVERRIDES in z else False
        extra = [c for c in ("cost_unit",) if c in z]
        z = z.assign(area=ZONE + z["zone"].astype(str), on_national_grid=True, overrides_regions=override,
                     system=z["system"] if "system" in z else None)
        parts.append(z[["area", "name", "zone", "system", OVERRIDES, *extra, *_surplus_columns(z)]])
    r = regions.assign(area=REGION + regions["region_id"].astype(str),
                       zone=regions["zone"] if "zone" in regions else None, overrides_regions=False)
    parts.append(r[["area", "name", "zone", OVERRIDES, *_surplus_columns(r)]])
    out = pd.concat(parts, ignore_index=True).set_index("area")
    out[OVERRIDES] = out[OVERRIDES].astype(bool)
    return out


def site_areas(areas: pd.DataFrame, region_id: pd.Categorical, region_zone: pd.Categorical,
               node_zone: pd.Categorical) -> pd.Categorical:
    """Each site's surplus area: the zone of its connection node, where the node has a zone of the zones layer and
    the supply regions are zoned too (a region layer of the user's own, without zones, keeps its own figures), or the
    zone overrides regions (a grid model the user brought: every site whose node joined one of its buses draws on
    that bus, even in a region with no zone, such as an area off the built-in model's grid); else its region's zone;
    else its region. Missing where the site has no region and no zoned node."""
    index = areas.index
    region_id, region_zone, node_zone = (pd.Categorical(v) for v in (region_id, region_zone, node_zone))

    def positions(values: pd.Categorical, prefix: str) -> NDArray[np.intp]:
        at = index.get_indexer([prefix + str(c) for c in values.categories])
        codes = np.asarray(values.codes)
        return np.where(codes >= 0, at[np.maximum(codes, 0)] if len(at) else -1, -1)

    node, zone, region = positions(node_zone, ZONE), positions(region_zone, ZONE), positions(region_id, REGION)
    zoned = np.asarray(region_zone.codes) >= 0
    if OVERRIDES in areas and len(areas):
        zoned = zoned | (areas[OVERRIDES].to_numpy(bool)[np.maximum(node, 0)] & (node >= 0))
    pos = np.where((node >= 0) & zoned, node, np.where(zone >= 0, zone, region))
    return pd.Categorical.from_codes(pos, categories=index.astype(str))


def hourly_surplus(table: pd.DataFrame, end: str = "") -> NDArray[np.float64]:
    """Each row's surplus by month and hour type, (R, 12, 3) MW in ``HOUR_TYPES`` order: its
    ``surplus_{hour}_mw_MM`` columns (a network zone's) where given, else its monthly figure for every hour type.
    ``end`` = "_low" or "_high" takes that end (the central value where a row has no range)."""
    monthly = monthly_surplus(table, end)
    out = np.repeat(monthly[:, :, None], len(HOUR_TYPES), axis=2)
    for h, hour in enumerate(HOUR_TYPES):
        for m, col in enumerate(HOURLY[hour]):
            name = col + end if end and col + end in table else col
            if name in table:
                values = pd.to_numeric(table[name], errors="coerce").to_numpy(float)
                central = pd.to_numeric(table[col], errors="coerce").to_numpy(float) if col in table else values
                values = np.where(np.isfinite(values), values, central)
                out[:, m, h] = np.where(np.isfinite(values), values, out[:, m, h])
    return out
