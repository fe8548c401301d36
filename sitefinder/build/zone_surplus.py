"""Solve the zonal model at its three ends and give each supply region its zone's deliverable surplus.

The zones layer itself is made by ``sitefinder.network.zones`` (shared with a grid model a user brings).

Written by the build: ``zone_surplus.csv`` (zone x month x hour type: the surplus at the low, central and high
ends, what binds and what serving it costs) and ``interfaces.geojson`` (a straight line between the zones' centres
for each interface, with its limits and the central model's flows). A region's surplus in a month is its zone's
*firm* surplus: the least over the hour types, so a load that runs around the clock fits.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.build.backcast import TOLERANCE_SHARE_POINTS, TharCheck
from sitefinder.build.network import Zoning
from sitefinder.model.vocabulary import HOURLY
from sitefinder.network.solve import Answer, deliverable_surplus
from sitefinder.network.system import ENDS, PowerSystem
from sitefinder.network.zones import BASIS, SEASONS, ends_table, zones_layer

__all__ = ["apply_to_regions", "interface_lines", "network_markdown", "solve_all", "zone_table", "zones_layer"]


def solve_all(systems: dict[str, PowerSystem]) -> dict[str, Answer]:
    """Each end's answer."""
    return {end: deliverable_surplus(systems[end]) for end in ENDS}


def zone_table(answers: dict[str, Answer]) -> pd.DataFrame:
    """One row per zone, month and hour type: surplus_mw (central), _low, _high; binding and cost at each end."""
    return ends_table({end: answer.table for end, answer in answers.items()})


def apply_to_regions(regions: gpd.GeoDataFrame, zoning: Zoning, zones: pd.DataFrame) -> gpd.GeoDataFrame:
    """The supply regions, each with its zone and that zone's surplus columns from ``zones`` (the zones layer): the
    region shows its zone's deliverable surplus. A region outside every zone (off the national grid) keeps an
    unknown surplus. The first model's own figures are kept beside them as ``polygon_surplus_*``."""
    out = regions.copy()
    for season in SEASONS:  # the first model's arithmetic, kept beside the answer for comparison
        for suffix in ("", "_low", "_high"):
            out[f"polygon_surplus_{season}_mw{suffix}"] = out[f"surplus_{season}_mw{suffix}"]
    out["zone"] = [zoning.by_region.get(r) for r in out["name"]]
    by_zone = zones.set_index("zone")
    shown = [c for c in by_zone.columns if c.startswith("surplus_") and c != "surplus_basis" and not c.startswith(
        tuple(f"surplus_{h}_" for h in HOURLY))]
    for col in shown:
        out[col] = [by_zone.loc[z, col] if isinstance(z, str) and z in by_zone.index else
                    (None if by_zone[col].dtype == object else np.nan) for z in out["zone"]]
    out["surplus_basis"] = [BASIS.format(zone=z) if isinstance(z, str) else basis
                            for z, basis in zip(out["zone"], out["surplus_basis"])]
    return out


README_START = "<!-- network tables: written by `sitefinder build-data`; do not edit by hand -->"
README_END = "<!-- end of network tables -->"


def embed_tables(readme: str, tables: str) -> str:
    """``readme`` (the data README's text) with ``tables`` (``network_markdown``, its headings one level down and
    its title dropped) between the two markers; unchanged if the markers are missing."""
    if README_START not in readme or README_END not in readme:
        return readme
    body = [("#" + line if line.startswith("#") else line) for line in tables.splitlines()[1:]]
    head, rest = readme.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n" + "\n".join(body).strip("\n") + f"\n{README_END}{tail}"


def _mw(v: float) -> str:
    return "-" if pd.isna(v) else f"{0.0 if abs(v) < 0.5 else v:,.0f}"


def network_markdown(table: pd.DataFrame, lines: gpd.GeoDataFrame, zones: pd.DataFrame, back: pd.DataFrame,
                     ke_import: dict[str, float], thar: tuple[TharCheck, TharCheck] | None = None) -> str:
    """The model's tables for ``data/pakistan/network.md``: zones, interfaces with limits, sources and modelled
    flows, the back-cast (and, with ``thar``, Thar's evacuation at its 2023 limit beside today's,
    ``backcast.thar_2023``), and the deliverable surplus by zone, month and hour type (low / central / high) with
    what binds."""
    out = ["# The network model's answer", "",
           "Written by `sitefinder build-data` from `facts/network/` and `build.toml` [network]; do not edit.", "",
           "## Zones", "", "| zone | name | system |", "|---|---|---|"]
    out += [f"| `{z}` | {r['name']} | {r['system']} |" for z, r in zones.iterrows()]
    out += ["", "## Interfaces", "",
            "| interface | from | to | limit MW (low-high) | kind | largest modelled flow MW (forward / back) | basis | source |",
            "|---|---|---|---|---|---|---|---|"]
    for r in lines.itertuples():
        out.append(f"| {r.name} | {r.zone_from} | {r.zone_to} | {_mw(r.limit_mw)} ({_mw(r.limit_mw_low)}-"
                   f"{_mw(r.limit_mw_high)}) | {r.kind} | {_mw(r.flow_max_forward_mw)} / {_mw(r.flow_max_backward_mw)} "
                   f"| {r.basis} | {r.source} |")
    miss = back["miss_points"].abs()
    out += ["", "## Back-cast: the central model beside what the grid did", "",
            f"Each fuel's share of a month's national-grid generation, modelled and published (CPPA-G's fuel-cost "
            f"filings, FY2024-25). Tolerance: {TOLERANCE_SHARE_POINTS:g} share points. {int((~back['within_tolerance']).sum())} "
            f"of {len(back)} rows miss it; the mean miss is {miss.mean():.1f} points.", "",
            "| month | fuel | published GWh | modelled GWh | published % | modelled % | miss (points) | within |",
            "|---|---|---|---|---|---|---|---|"]
    out += [f"| {r.month} | {r.fuel} | {_mw(r.published_gwh)} | {_mw(r.modelled_gwh)} | {r.published_share_pct:.1f} | "
            f"{r.modelled_share_pct:.1f} | {r.miss_points:+.1f} | {'yes' if r.within_tolerance else '**no**'} |"
            for r in back.itertuples()]
    out += ["", f"K-Electric's import from the grid, December: modelled {_mw(ke_import['ke_import_dec_modelled_mw'])} MW "
            f"on average, published {_mw(ke_import['ke_import_dec_published_mw'])} MW (Dec 2024, NEPRA member's note)."]
    if thar is not None:
        then, now = thar
        out += ["", "## Thar in 2023: does its evacuation limit bind?", "",
                f"The central model with the Thar-Matiari limit of Feb 2023 ({_mw(then.limit_mw)} MW, one line: the "
                f"interface's low end), everything else as today. The line is full while cheaper Thar output stands "
                f"idle and dearer plants run elsewhere in **{then.binding_cases} of {then.cases}** month and hour-type "
                f"cases: of the {_mw(then.available_max_mw)} MW Thar's plants can give, {_mw(then.held_back_mw)} MW "
                f"stands idle on average ({_mw(then.held_back_max_mw)} MW at most). At today's central limit "
                f"({_mw(now.limit_mw)} MW, two lines) it binds in {now.binding_cases} of {now.cases}; the largest "
                f"flow is {_mw(now.flow_max_mw)} MW, and what stands idle then ({_mw(now.held_back_mw)} MW on average) "
                "is left idle by the merit order, not by the line. "
                "The grid found the same in Feb 2023: CPPA-G told NTDC that only 1,800 MW of Thar's 2,400 MW could "
                "be evacuated (Profit, 24 Feb 2023; `facts/network/interface_evidence.csv`)."]
    out += ["", "## Deliverable surplus by zone, month and hour type", "",
            "MW of extra load the zone can take: central (low-high). What binds and the average cost of the "
            "generation that serves it (PKR/kWh) are the central model's.", "",
            "| zone | month | hour type | surplus MW | binds | cost PKR/kWh |", "|---|---|---|---|---|---|"]
    for r in table.itertuples():
        out.append(f"| {r.zone} | {pd.Timestamp(2000, int(r.month), 1):%b} | {r.hour_type} | {_mw(r.surplus_mw)} "
                   f"({_mw(r.surplus_mw_low)}-{_mw(r.surplus_mw_high)}) | {r.binding} | "
                   f"{'-' if pd.isna(r.cost_pkr_per_kwh) else f'{r.cost_pkr_per_kwh:.1f}'} |")
    return "\n".join(out) + "\n"


def interface_lines(system: PowerSystem, links: pd.DataFrame, answer: Answer) -> gpd.GeoDataFrame:
    """Each interface as a line between its zones' centres (EPSG:4326; the line is a picture, not a route), with
    its low/central/high limit, kind, basis and source, and the central model's largest flow each way (MW)."""
    b = system.buses
    flows = answer.flows
    geoms = [shapely.LineString([(b.loc[r.bus0, "x"], b.loc[r.bus0, "y"]), (b.loc[r.bus1, "x"], b.loc[r.bus1, "y"])])
             for r in links.itertuples()]
    links = links.rename_axis(None)
    return gpd.GeoDataFrame({
        "interface": links.index.to_numpy(), "name": links["name"].to_numpy(), "zone_from": links["bus0"], "zone_to": links["bus1"],
        "limit_mw": links["value_mw"], "limit_mw_low": links["low_mw"], "limit_mw_high": links["high_mw"],
        "kind": links["kind"], "basis": links["basis"], "source": links["source"],
        "flow_max_forward_mw": [round(float(flows[i].clip(lower=0).max()), 1) for i in links.index],
        "flow_max_backward_mw": [round(float((-flows[i]).clip(lower=0).max()), 1) for i in links.index],
        "hours_at_limit_share": [round(float((flows[i].abs() >= links.loc[i, "value_mw"] - 0.5).mean()), 3)
                                 for i in links.index],
    }, geometry=geoms, crs=4326)
