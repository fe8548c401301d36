"""A zonal power system as plain tables: what ``solve`` turns into a PyPSA network.

Power in MW, energy costs in PKR/kWh. Buses carry longitude/latitude (EPSG:4326) for maps only: the model is zonal
and has no geometry. A *case* is one month (1-12) and one hour type: every case is solved on its own (no storage
or ramping joins them), so a case is a PyPSA snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sitefinder.model.vocabulary import HOUR_TYPES, HOURS_PER_DAY

__all__ = ["HOUR_TYPES", "HOURS_PER_DAY", "ENDS", "PowerSystem", "case_index"]
HOUR_TYPE_WORDS = {"evening": "evening peak (18-22 h)", "midday": "midday (10-16 h)", "night": "night and shoulder hours"}
ENDS = ("low", "central", "high")


def case_index() -> pd.MultiIndex:
    """Every month x hour type, in order: the cases a system is solved for."""
    return pd.MultiIndex.from_product([range(1, 13), HOUR_TYPES], names=["month", "hour_type"])


@dataclass
class PowerSystem:
    """One end (low, central or high) of a zonal model.

    - ``buses``: index zone id; columns ``name``, ``system`` ("national", "k-electric"), ``x``, ``y`` (lon, lat).
    - ``links``: index interface id; ``bus0``, ``bus1``, ``p_nom`` (MW, either way), ``name``, ``source``; optionally
      ``p_nom_back`` (MW from bus1 to bus0, where it differs from ``p_nom``: 0 for a one-way link).
    - ``generators``: index plant id; ``bus``, ``fuel``, ``contract``, ``p_nom`` (MW), ``marginal_cost``
      (PKR/kWh), ``must_run`` (bool: runs at its availability, no less); optional ``min_pu`` (0-1: a floor on its
      output as a share of ``p_nom``, or of its availability where that is less, e.g. a take-or-pay fuel contract
      whose fuel is paid for whether burned or not; 0 or absent: no floor).
    - ``availability``: cases x plants, the share of ``p_nom`` that can run (0-1).
    - ``demand``: cases x buses, MW to serve.
    - ``transfer_cap``: cases -> MW, the most the national network can carry to load (all buses whose system is
      "national"), or None for no such limit.

    The cases (the index of ``availability`` and ``demand``) are ``case_index()``: month and hour type. A grid model a
    user brings adds a third level, ``snapshot``: several snapshots may share a month and hour type, and each is
    solved on its own (``network.user_model`` then takes the least over them).
    """

    buses: pd.DataFrame
    links: pd.DataFrame
    generators: pd.DataFrame
    availability: pd.DataFrame
    demand: pd.DataFrame
    transfer_cap: pd.Series | None = None
    notes: list[str] = field(default_factory=list)

    def check(self) -> list[str]:
        """What is inconsistent, in words (empty when the tables fit together)."""
        problems = []
        buses = set(self.buses.index)
        for name, frame, cols in (("links", self.links, ("bus0", "bus1")), ("generators", self.generators, ("bus",))):
            for col in cols:
                bad = sorted(set(frame[col]) - buses)
                if bad:
                    problems.append(f"{name}: {col} names buses that do not exist: {bad[:5]}")
        if set(self.availability.columns) != set(self.generators.index):
            problems.append("availability: its columns are not the generators")
        if set(self.demand.columns) - buses:
            problems.append("demand: columns that are not buses")
        if not self.availability.index.equals(self.demand.index):
            problems.append("availability and demand: not the same cases")
        if (self.links["p_nom"] < 0).any() or (self.generators["p_nom"] < 0).any():
            problems.append("a negative capacity")
        if "min_pu" in self.generators and not self.generators["min_pu"].between(0.0, 1.0).all():
            problems.append("generators: min_pu outside 0-1")
        return problems
