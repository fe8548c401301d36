"""A programme run: the placement of ``ledger.py`` for a scenario, as a table, a frame to map
and export, the ledger of surplus areas (network zones) and nodes, and metadata. Shared by ``sitefinder programme`` and the app.

The candidates are ranked with the profile's rules at the smallest site size (``min_mw``), so a site too big
for what is left can still come in smaller; the scores do not depend on the size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sitefinder.economics.cost_model import hours_of
from sitefinder.errors import Problem, ProfileError
from sitefinder.model.profiles import Profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.vocabulary import HOUR_TYPES
from sitefinder.network.user_model import network_model_in_use
from sitefinder.programme.ledger import (
    NETWORK_LIMIT,
    RULE_SETTINGS,
    Placement,
    Rules,
    firm_cells_at,
    ledger_tables,
    place_sites,
    run_text,
    site_pools,
    with_mw,
)
from sitefinder.programme.network_check import Cut, NetworkCheck, fit_to_network, site_buses, systems_of
from sitefinder.rank.metadata import run_metadata
from sitefinder.rank.scoring import ScoreResult
from sitefinder.rank.shortlist import provinces, recorded_scenario, shortlist_frame, shortlist_table, site_economics_for, with_economics
from sitefinder.rank.study import Study

PROGRAMME_COLUMNS = ["rank", "placed_mw", "placed_mw_at_low", "binding_limit", "months_running", "months_count",
                     "hours_running_per_year",
                     "region_surplus_left_mw", "node_headroom_left_mw", "headroom_basis"]


def rules_for(scenario: Scenario, profile: Profile) -> Rules:
    """The programme's rules a scenario holds (the facility size is the profile's, after the scenario's changes)."""
    return Rules(unit_mw=float(profile.facility_mw), **{name: getattr(scenario, name) for name in RULE_SETTINGS})


@dataclass
class Programme:
    """An placement with everything needed to show, export and trust it."""

    rules: Rules
    profile: Profile
    matrix: pd.DataFrame
    result: ScoreResult
    central: Placement
    firm_mw: np.ndarray        # each site's MW if every surplus were at the low end (same sites, same order)
    low: Placement            # the placement run afresh on the low ends
    table: pd.DataFrame
    frame: gpd.GeoDataFrame
    pools: pd.DataFrame        # the ledger: what each surplus area (zone, or region outside every zone) had, gave, has left
    nodes: pd.DataFrame
    metadata: dict[str, Any]
    checks: list[NetworkCheck]  # the programme re-solved on the network, at the central and low ends (none: no model)

    @property
    def summary(self) -> str:
        """One line: what was placed, why it stopped, and what is firm at the low estimate."""
        return (f"{self.central.total_mw:,.0f} MW of {self.rules.target_mw:,.0f} MW on {len(self.central.rows)} site(s); "
                f"{self.central.stopped_because}. Firm at the low estimate of surplus: {self.firm_mw.sum():,.0f} MW "
                f"(run afresh on the low estimates, the placement would place {self.low.total_mw:,.0f} MW).")

    @property
    def network_text(self) -> str:
        """What re-solving the network with the programme's loads found, or why it was not re-solved."""
        if not self.checks:
            return ("Network check: not made; this dataset has no network model to re-solve (its surplus areas are "
                    "regions' own figures).")
        return " ".join(c.text() for c in self.checks)


def make_programme(study: Study, scenario: Scenario, profile: Profile, *,
                   ranked: tuple[pd.DataFrame, ScoreResult] | None = None) -> Programme:
    """Rank ``study`` under ``profile`` (constraints at the smallest site size) and place the scenario's target.
    ``ranked``: the ordinary ranking already made for ``profile`` (the shortlist's), used when the smallest site is
    the facility size, so the candidates are not scored twice."""
    rules = rules_for(scenario, profile)
    ranking = profile.with_facility_mw(rules.smallest)
    if ranked is not None and ranking == ranked[1].profile:
        matrix, result = ranked
    else:
        matrix, result = study.rank(ranking)
    if scenario.province and scenario.province.lower() not in {p.lower() for p in provinces(matrix)}:
        raise ProfileError("province", [Problem("province", f"'{scenario.province}' is not a province in this dataset.",
                                                f"Use one of: {', '.join(provinces(matrix))}.")])
    central = place_sites(matrix, result, study.dataset, rules, profile.season)
    central, firm, checks = _respect_network(central, matrix, result, study, rules, profile.season)
    low = place_sites(matrix, result, study.dataset, rules, profile.season, end="_low")
    rows = central.rows
    base = shortlist_table(matrix, result, rows)
    extra = pd.DataFrame({
        "placed_mw": np.round(central.mw, 3),
        "placed_mw_at_low": np.round(firm, 3),
        "binding_limit": central.binding,
        "months_running": [run_text(c) for c in central.cells],
        "months_count": [int(m.sum()) for m in central.months],
        "hours_running_per_year": np.round(hours_of(central.day_shares()), 0),
        "region_surplus_left_mw": np.round(central.region_left, 3),
        "node_headroom_left_mw": [None if not np.isfinite(v) else round(float(v), 3) for v in central.node_left],
        "headroom_basis": central.headroom_basis,
    })
    table = pd.concat([base[["rank"]], extra, base.drop(columns=["rank"])], axis=1)
    months = central.day_shares()  # the share of each month's hours each site runs
    table = with_economics(table, site_economics_for(study, profile, matrix, rows, mw=central.mw, months=months))
    frame = shortlist_frame(study, table, rows)
    pools, nodes = ledger_tables(central, matrix, study.dataset)
    meta = run_metadata(study, result, top=len(rows), max_per_node=rules.max_per_node, province=rules.province,
                        scenario=recorded_scenario(scenario, profile))
    meta["facility_mw"] = profile.facility_mw
    meta["economics"]["facility_mw"] = "each site's placed_mw, in the months it runs (months_running)"
    meta["programme"] = {
        "target_mw": rules.target_mw,
        "placed_mw_total": round(central.total_mw, 3),
        "sites": int(len(rows)),
        "stopped_because": central.stopped_because,
        "firm_mw_at_low_estimate": round(float(firm.sum()), 3),
        "placed_afresh_mw_at_low_estimate": round(low.total_mw, 3),
        "stopped_because_at_low_estimate": low.stopped_because,
        "candidates_passed_over": central.skipped,
        "network_check": [c.record() for c in checks],
        "rules": {
            "order": "score order of the ordinary ranking, constraints checked at the smallest site size",
            "facility_mw": rules.unit_mw,
            "min_mw": rules.smallest,
            "min_spacing_km": rules.min_spacing_km,
            "max_per_node": rules.max_per_node,
            "province": rules.province,
            "season": profile.season,
            "months": rules.months_rule(profile.season),
            "region_surplus": "each site draws on its surplus area: the network zone of its grid node (shared by every "
                              "site in the zone), else its supply region; used up month by month (monthly figures "
                              "where the layer has them, else winter for Oct-Mar and summer for Apr-Sep); a site uses "
                              "surplus in every month it runs",
            "low_estimate": "firm: the same sites, in the same order, replayed against the low end of every surplus "
                            "range (a region without a range: its central value); placed afresh: the placement run again "
                            "on the low ends",
            "unknown_headroom": rules.headroom_rule(),
        },
        "ledger": {"surplus_areas": pools.to_dict(orient="records"), "nodes": nodes.to_dict(orient="records")},
    }
    return Programme(rules, profile, matrix, result, central, firm, low, table, frame, pools, nodes, meta, checks)


MAX_ROUNDS = 4  # placements re-solved at most: after the last, the cuts stand without placing again


def _respect_network(central: Placement, matrix: pd.DataFrame, result: ScoreResult, study: Study, rules: Rules,
                     season: str) -> tuple[Placement, np.ndarray, list[NetworkCheck]]:
    """The placement made to fit the network model (``network_check``, on the central system): where the re-solve
    cuts sites, their zones are closed in the months and hour types where they ran out, at what the network could
    serve there, and the sites are placed again (other zones may then take what the cut ones left), until a placement
    re-solves with nobody shed. Then each site's MW firm at the low estimate (``firm_cells_at``), cut in the same way
    on the low system in the months and hour types each would run at that end. Without a network model: the
    placement as it is, the firm MW, and no checks."""
    systems = systems_of(study.dataset)
    checks: list[NetworkCheck] = []
    if systems and len(central.rows):
        model = network_model_in_use(study.dataset)
        if isinstance(study.dataset.network, dict):
            model += " (with the register's booked loads in its demand)"
        system = systems["central"]
        caps: dict[str, np.ndarray] = {}
        earlier: list[Cut] = []
        for rounds in range(1, MAX_ROUNDS + 1):
            pools = site_pools(matrix).astype(str).to_numpy()[central.rows].tolist()
            mw, check = fit_to_network(system, site_buses(pools, system), central.cells, central.mw, rules.smallest,
                                       model=model, end="central")
            new = check.cuts  # this placement's (site numbers are its own)
            check.rounds, check.cuts = rounds, earlier + new
            if not new:
                break
            if rounds == MAX_ROUNDS:
                central = with_mw(central, mw, matrix, study.dataset, rules, season, why=NETWORK_LIMIT,
                                  note=f"the network re-solved with every site's load took {check.cut_mw:,.0f} MW off")
                break
            for pool in {pools[c.site] for c in new}:
                here = [k for k, p in enumerate(pools) if p == pool]
                accepted = sum((mw[k] * central.cells[k] for k in here), np.zeros((12, len(HOUR_TYPES))))
                ran_out = np.any([central.cells[c.site] for c in new if pools[c.site] == pool], axis=0)
                cap = caps.get(pool, np.full((12, len(HOUR_TYPES)), np.nan))
                caps[pool] = np.where(ran_out, np.fmin(cap, accepted), cap)
            earlier = check.cuts
            central = place_sites(matrix, result, study.dataset, rules, season, caps=caps)
            if not len(central.rows):
                break
        checks.append(check)
    firm, cells = firm_cells_at(central, matrix, study.dataset, rules, season)
    if systems and "low" in systems and len(central.rows):
        low = systems["low"]
        pools = site_pools(matrix).astype(str).to_numpy()[central.rows].tolist()
        firm, low_check = fit_to_network(low, site_buses(pools, low), cells, firm, rules.smallest,
                                         model=network_model_in_use(study.dataset), end="low")
        checks.append(low_check)
    return central, firm, checks
