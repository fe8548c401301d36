"""The ``zones`` layer from a network model's answer: one point per zone (bus) with its deliverable surplus by season,
by month and by month and hour type.

Used by the build (the built-in model, at three ends) and by a grid model a user brings (one end: no range). A zone's
surplus in a month is its *firm* surplus: the least over the hour types, so a load that runs around the clock fits; a
season's is its least month.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from sitefinder.model.vocabulary import HOURLY, MONTHLY, SUMMER_MONTHS, WINTER_MONTHS
from sitefinder.network.system import ENDS, PowerSystem

SEASONS = {"winter": WINTER_MONTHS, "summer": SUMMER_MONTHS}
MONTHS = tuple(range(1, 13))
BASIS = ("ESTIMATE: the deliverable surplus of the zone ({zone}) in the network model: the most extra load the power system "
         "can serve there from idle generation, within the interfaces' limits, without shedding anyone; the least "
         "over the evening peak, midday and night (firm). Low and high: the model's low and high ends. "
         "data/pakistan/zone_surplus.csv has every month and hour type, with what binds and the cost.")


CASE_KEYS = ["zone", "month", "hour_type"]


def least_over_snapshots(table: pd.DataFrame) -> pd.DataFrame:
    """One row per zone, month and hour type: where a user's model has several snapshots in one (a ``snapshot``
    column), the leanest of them (firm within the case); a table without snapshots as it is."""
    if "snapshot" not in table:
        return table
    return table.loc[table.groupby(CASE_KEYS, sort=True)["surplus_mw"].idxmin().to_numpy()].reset_index(drop=True)


def ends_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The central answer (one row per zone, month and hour type: surplus_mw, binding, cost_pkr_per_kwh and, where
    solved, shed_mw and spilled_mw) with the low and high ends' surplus, binding and cost beside it (``_low``,
    ``_high``), for the ends ``tables`` has; sorted by zone, month and hour type."""
    central = tables["central"]
    keep = [c for c in ("surplus_mw", "binding", "cost_pkr_per_kwh", "shed_mw", "spilled_mw") if c in central]
    out = central[CASE_KEYS + keep]
    for end in ("low", "high"):
        if end in tables:
            t = tables[end].set_index(CASE_KEYS)
            out = out.join(t[["surplus_mw", "binding", "cost_pkr_per_kwh"]].add_suffix(f"_{end}"), on=CASE_KEYS)
    return out.sort_values(CASE_KEYS).reset_index(drop=True)


def _end_column(end: str) -> str:
    return "surplus_mw" if end == "central" else f"surplus_mw_{end}"


def firm_by_month(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """zone x month: the least of ``column`` over the hour types (MW)."""
    return table.pivot_table(index="zone", columns="month", values=column, aggfunc="min")


def zone_columns(table: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    """One row per zone of ``zones`` (index zone id): its monthly firm surplus (``surplus_mw_01``..12), its seasonal
    surplus with range (``surplus_{winter,summer}_mw``, ``_low``, ``_high``: the least month of the season), what
    binds in that month and the cost of serving it (with the least and most of that cost over the model's ends,
    ``_low`` / ``_high``, where it has ends), and its surplus by month and hour type with range
    (``surplus_{hour}_mw_MM``, ``_low``, ``_high``). MW, and the cost in the model's unit (PKR/kWh for the built-in).

    ``table`` has one row per zone, month and hour type (``surplus_mw``, ``binding``, ``cost_pkr_per_kwh``, and
    ``surplus_mw_low`` / ``_high`` where the model has ends). A month or hour type the table does not hold is unknown
    (NaN), never zero; a season is the least of the months it holds; a table without low and high ends leaves the
    range blank."""
    ends = [end for end in ENDS if _end_column(end) in table]
    firm = {end: firm_by_month(table, _end_column(end)).reindex(columns=list(MONTHS)) for end in ends}
    central = table.set_index(["zone", "month", "hour_type"])
    out = pd.DataFrame(index=zones.index.rename("zone"))
    known = [z for z in out.index if z in firm["central"].index]

    def lean(z: str, months: tuple[int, ...]) -> tuple[str | None, float, float, float]:
        """What binds in the season's leanest case of zone ``z``, what serving it costs there, and the least and most
        that cost is at any end of the model in that case (an end with no surplus there has no cost and is left
        out; the low-surplus end is not always the dear one)."""
        season = firm["central"].loc[z, list(months)]
        if season.isna().all():
            return None, np.nan, np.nan, np.nan
        month = int(season.idxmin())
        rows = central.loc[(z, month)]
        worst = rows["surplus_mw"].idxmin()
        costs = [float(rows.loc[worst, c]) for c in ("cost_pkr_per_kwh_low", "cost_pkr_per_kwh_high") if c in rows]
        costs = [c for c in costs if np.isfinite(c)]
        cost = float(rows.loc[worst, "cost_pkr_per_kwh"])
        every = [c for c in (cost, *costs) if np.isfinite(c)]
        low, high = (min(every), max(every)) if costs else (np.nan, np.nan)
        return (f"{rows.loc[worst, 'binding']} ({pd.Timestamp(2000, month, 1):%b}, {worst})", cost, low, high)

    for m, col in zip(MONTHS, MONTHLY):
        out[col] = [float(firm["central"].loc[z, m]) if z in known else np.nan for z in out.index]
    for season, months in SEASONS.items():
        for end, suffix in (("central", ""), ("low", "_low"), ("high", "_high")):
            out[f"surplus_{season}_mw{suffix}"] = [float(firm[end].loc[z, list(months)].min())
                                                   if end in firm and z in known else np.nan for z in out.index]
        leanest = {z: lean(z, months) for z in known}
        out[f"surplus_{season}_binding"] = [leanest[z][0] if z in known else None for z in out.index]
        for k, suffix in ((1, ""), (2, "_low"), (3, "_high")):
            out[f"surplus_{season}_cost_pkr_per_kwh{suffix}"] = [leanest[z][k] if z in known else np.nan for z in out.index]
    hourly: dict[str, list[float]] = {}
    for hour, cols in HOURLY.items():
        for end, suffix in (("central", ""), ("low", "_low"), ("high", "_high")):
            if end not in firm:
                for col in cols:
                    hourly[col + suffix] = [np.nan] * len(out)
                continue
            wide = (table[table["hour_type"] == hour].pivot_table(index="zone", columns="month", values=_end_column(end))
                    .reindex(columns=list(MONTHS)))
            for m, col in zip(MONTHS, cols):
                hourly[col + suffix] = [float(wide.loc[z, m]) if z in wide.index else np.nan for z in out.index]
    return pd.concat([out, pd.DataFrame(hourly, index=out.index)], axis=1)


def zones_layer(system: PowerSystem, table: pd.DataFrame, *, basis: str = BASIS,
                extra: dict[str, object] | None = None) -> gpd.GeoDataFrame:
    """The ``zones`` layer: each bus of ``system`` at its point (EPSG:4326; the point stands for the zone, it is not
    a place) with its name, system, basis (``basis`` with ``{zone}`` filled in) and every surplus column of
    ``zone_columns``; ``extra``: more columns, one value for every zone."""
    buses = system.buses
    cols = zone_columns(table, buses)
    out = gpd.GeoDataFrame({"zone": buses.index.astype(str), "name": buses["name"].to_numpy(),
                            "system": buses["system"].to_numpy(),
                            "surplus_basis": [basis.format(zone=z) for z in buses.index],
                            **(extra or {})},
                           geometry=gpd.points_from_xy(buses["x"], buses["y"]), crs=4326)
    return out.join(cols, on="zone")
