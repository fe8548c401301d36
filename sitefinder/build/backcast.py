"""The central model beside what the grid did: monthly generation by fuel (GWh) on the national grid, against
CPPA-G's monthly fuel-cost filings (``facts/network/backcast_evidence.csv``), and K-Electric's import (MW).

The model is a typical year at FY2024-25 demand, so it is compared with FY2024-25 months. The tolerance
(``TOLERANCE_SHARE_POINTS``) is on each fuel's share of the month's generation; every miss is listed.

And one past set-up: Thar with the evacuation limit of early 2023 (``thar_2023``), when one line carried what
the coalfield's plants could give, to see whether the model finds the limit binding as the grid did.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from sitefinder.build.facts import read_table
from sitefinder.network.solve import TOL_MW, Answer, deliverable_surplus
from sitefinder.network.system import HOURS_PER_DAY, PowerSystem

TOLERANCE_SHARE_POINTS = 10.0  # a fuel's modelled share of a month's generation within 10 points of the published
FY = ("2024-07", "2025-06")
PUBLISHED_FUEL = {"hydel": "hydro", "local coal": "local coal", "imported coal": "imported coal", "RFO": "RFO",
                  "local gas": "local gas", "RLNG": "RLNG", "nuclear": "nuclear", "wind": "wind", "solar": "solar"}
KE_IMPORT_DEC_2024_MW = 985.0  # NEPRA member's note: K-Electric's average draw from the grid, Dec 2024


def modelled_gwh(system: PowerSystem, answer: Answer) -> pd.DataFrame:
    """Month x fuel: national-grid plants' generation in the central dispatch (GWh)."""
    g = system.generators
    national = g.index[g["contract"] == "national"]
    days = pd.Series([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], index=range(1, 13))
    hours = [HOURS_PER_DAY[h] * days[m] for m, h in answer.dispatch.index]
    energy = answer.dispatch[national].mul(hours, axis=0) / 1000.0
    by_fuel = energy.T.groupby(g.loc[national, "fuel"]).sum().T
    return by_fuel.groupby(level="month").sum()


def published_gwh(facts_dir: Path) -> pd.DataFrame:
    """Month of FY2024-25 x fuel: published generation (GWh), for the months whose every main fuel is given."""
    ev = read_table(facts_dir / "network", "backcast_evidence.csv")
    ev = ev[(ev["unit"] == "GWh") & ev["period"].between(*FY) & ev["item"].isin(PUBLISHED_FUEL)]
    t = ev.assign(v=pd.to_numeric(ev["value"], errors="coerce"), fuel=ev["item"].map(PUBLISHED_FUEL))
    t = t.pivot_table(index="period", columns="fuel", values="v", aggfunc="first")
    main = ["hydro", "local coal", "imported coal", "local gas", "RLNG", "nuclear"]
    return t.dropna(subset=[c for c in main if c in t.columns])


def backcast(facts_dir: Path, system: PowerSystem, answer: Answer) -> tuple[pd.DataFrame, dict[str, float]]:
    """One row per month and fuel: published and modelled GWh and share (%), and whether within tolerance;
    and K-Electric's modelled average import in December beside the published 985 MW."""
    model = modelled_gwh(system, answer)
    pub = published_gwh(facts_dir)
    rows = []
    for period, p in pub.iterrows():
        month = int(str(period)[5:])
        m = model.loc[month]
        fuels = [f for f in p.index if pd.notna(p[f])]
        p_total, m_total = float(p[fuels].sum()), float(m.reindex(fuels).fillna(0).sum())
        for f in fuels:
            ps, ms = 100 * float(p[f]) / p_total, 100 * float(m.get(f, 0.0)) / m_total
            rows.append({"month": period, "fuel": f, "published_gwh": round(float(p[f]), 0),
                         "modelled_gwh": round(float(m.get(f, 0.0)), 0), "published_share_pct": round(ps, 1),
                         "modelled_share_pct": round(ms, 1), "miss_points": round(ms - ps, 1),
                         "within_tolerance": abs(ms - ps) <= TOLERANCE_SHARE_POINTS})
    dec = answer.flows.loc[12, "ke-interconnection"]
    ke = sum(float(dec[h]) * HOURS_PER_DAY[h] for h in dec.index) / 24.0
    return pd.DataFrame(rows), {"ke_import_dec_modelled_mw": round(ke, 0), "ke_import_dec_published_mw": KE_IMPORT_DEC_2024_MW}


THAR_INTERFACE = "thar-south"
THAR_ZONE = "thar"


@dataclass(frozen=True)
class TharCheck:
    """Thar's evacuation at a given limit, in the central system's base dispatch (no extra load).

    ``binding_cases``: month x hour-type cases in which the line is full while Thar output that is cheaper than a
    plant running elsewhere on the national grid stands idle (the limit, not the merit order, holds it back);
    ``held_back_mw``: Thar output available but not dispatched, averaged over the hours of the year (MW);
    ``held_back_max_mw``: its largest value in a case; ``available_max_mw``: the most Thar's plants can give;
    ``flow_max_mw``: the largest flow out of Thar."""

    limit_mw: float
    cases: int
    binding_cases: int
    held_back_mw: float
    held_back_max_mw: float
    available_max_mw: float
    flow_max_mw: float


def thar_check(system: PowerSystem, limit_mw: float) -> TharCheck:
    """Solve ``system`` with the Thar interface at ``limit_mw`` and say whether the limit binds (``TharCheck``)."""
    links = system.links.copy()
    links.loc[THAR_INTERFACE, "p_nom"] = limit_mw
    s = replace(system, links=links)
    answer = deliverable_surplus(s, zones=[THAR_ZONE])
    g = s.generators
    thar = g.index[g["bus"] == THAR_ZONE]
    elsewhere = g.index[(g["bus"] != THAR_ZONE) & (g["contract"] == "national")]
    available = s.availability[thar].mul(g.loc[thar, "p_nom"], axis=1)
    idle = (available - answer.dispatch[thar]).clip(lower=0.0)
    flow = answer.flows[THAR_INTERFACE]
    running = answer.dispatch[elsewhere] > TOL_MW
    dearest_running = running.mul(g.loc[elsewhere, "marginal_cost"], axis=1).max(axis=1)
    cheapest_idle = (idle > TOL_MW).replace(False, float("nan")).mul(g.loc[thar, "marginal_cost"], axis=1).min(axis=1)
    binds = (flow >= limit_mw - TOL_MW) & (idle.sum(axis=1) > TOL_MW) & (cheapest_idle < dearest_running)
    hours = pd.Series([HOURS_PER_DAY[h] for _, h in idle.index], index=idle.index, dtype=float)
    held = idle.sum(axis=1)
    return TharCheck(limit_mw=float(limit_mw), cases=len(flow), binding_cases=int(binds.sum()),
                     held_back_mw=round(float((held * hours).sum() / hours.sum()), 0),
                     held_back_max_mw=round(float(held.max()), 0), available_max_mw=round(float(available.sum(axis=1).max()), 0),
                     flow_max_mw=round(float(flow.max()), 0))


def thar_2023(system: PowerSystem, links: pd.DataFrame) -> tuple[TharCheck, TharCheck]:
    """Whether the Thar limit binds in a 2023 set-up: the central system with the Thar-Matiari limit of Feb 2023
    (``interfaces.csv``'s low end: 1,800 MW over one line, before the second line of May 2023), beside the same
    system at today's central limit. Everything else is today's (FY2024-25 demand, today's plants): Thar's four
    plants were running by Feb 2023, and as the cheapest fuel but hydro, wind and nuclear, Thar's coal runs
    whenever it can get out, so demand hardly matters to the answer."""
    return (thar_check(system, float(links.loc[THAR_INTERFACE, "low_mw"])),
            thar_check(system, float(links.loc[THAR_INTERFACE, "value_mw"])))
