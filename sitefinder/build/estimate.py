"""The inputs of the surplus estimate, each as a low, central and high value with its basis.

* availability of installed capacity by fuel and season (``build.toml`` [surplus.availability.*]);
* national demand by season (``build.toml`` [surplus.demand.*]);
* each supply region's share of national demand, from published figures per distribution company
  (``facts/demand_by_company.csv``): energy purchased, and maximum demand where every company's is
  published. A company with no published figure may carry a proxy row, which says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sitefinder.errors import BuildError


@dataclass(frozen=True)
class Range:
    """A central value with the low and high ends of its range (same unit)."""

    low: float
    value: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.value <= self.high:
            raise BuildError(f"range out of order: low {self.low:g}, value {self.value:g}, high {self.high:g}.")


@dataclass(frozen=True)
class Demand:
    """A region's share of national demand (0..1) with its range, and what it rests on."""

    share: Range
    basis: str
    source: str


def _range(entry: object, where: str) -> tuple[Range, str]:
    """A build.toml entry as a Range: a number (no range) or a table {value, low, high, basis}."""
    if isinstance(entry, (int, float)):
        v = float(entry)
        return Range(v, v, v), ""
    if isinstance(entry, dict) and "value" in entry:
        v = float(entry["value"])
        try:
            return Range(float(entry.get("low", v)), v, float(entry.get("high", v))), str(entry.get("basis", ""))
        except BuildError as exc:
            raise BuildError(f"build.toml {where}: {exc}") from None
    raise BuildError(f"build.toml {where}: give a number or a table {{ value = ..., low = ..., high = ..., basis = ... }}.")


def availability(config: dict, season: str) -> dict[str, Range]:
    """Share of installed capacity available in ``season``, by fuel (0..1, low/value/high)."""
    table = config["availability"][season]
    out = {}
    for fuel, entry in table.items():
        r, _ = _range(entry, f"[surplus.availability.{season}] {fuel}")
        if not 0 <= r.low <= r.high <= 1:
            raise BuildError(f"build.toml [surplus.availability.{season}] {fuel}: availability must lie within 0..1.")
        out[fuel] = r
    return out


def availability_basis(config: dict, season: str) -> dict[str, str]:
    """The stated basis of each fuel's availability in ``season``."""
    return {f: _range(e, f"[surplus.availability.{season}] {f}")[1] for f, e in config["availability"][season].items()}


def national_demand(config: dict, season: str) -> Range:
    """National demand to be met in ``season`` (MW, low/value/high)."""
    try:
        entry = config["demand"][season]
    except KeyError:
        raise BuildError(f"build.toml: [surplus.demand.{season}] is missing.") from None
    return _range(entry, f"[surplus.demand.{season}]")[0]


def demand_shares(facts: pd.DataFrame, regions: list[str], relative_uncertainty: float = 0.0) -> dict[str, Demand]:
    """Each on-grid region's share of national demand (0..1), from ``demand_by_company.csv``.

    The central share is the region's energy purchased over the sum for all the listed regions. Its
    range spans the row's own low/high (a proxy's method range) and, on top, +/- ``relative_uncertainty``
    (how far one company's demand moves against the others from year to year; build.toml states its
    basis). A region with no energy figure is an error that names it.
    """
    need = {"region", "figure", "value", "basis", "source_url"}
    missing_cols = need - set(facts.columns)
    if missing_cols:
        raise BuildError(f"demand_by_company.csv: columns {sorted(missing_cols)} are missing.")
    rows = facts[facts["region"].isin(regions) & (facts["figure"] == "energy_purchased_gwh")].reset_index(drop=True)
    dup = rows["region"][rows["region"].duplicated()]
    if len(dup):
        raise BuildError(f"demand_by_company.csv: more than one energy_purchased_gwh row for {', '.join(sorted(set(dup)))}.")
    lacking = [r for r in regions if r not in set(rows["region"])]
    if lacking:
        raise BuildError(f"demand_by_company.csv: no energy_purchased_gwh for {', '.join(lacking)}. Add a published "
                         "figure, or a proxy row whose basis says how it was made.")
    value = _numbers(rows, "value")
    low = _numbers(rows, "low").fillna(value) if "low" in rows else value
    high = _numbers(rows, "high").fillna(value) if "high" in rows else value
    bad = rows["region"][(value <= 0) | value.isna() | (low > value) | (high < value)]
    if len(bad):
        raise BuildError(f"demand_by_company.csv: energy_purchased_gwh for {', '.join(bad)} must be a positive number "
                         "with low <= value <= high.")
    total = float(value.sum())
    u = float(relative_uncertainty)
    out = {}
    for i, region in enumerate(rows["region"]):
        row = rows.iloc[i]
        basis = str(row["basis"])
        text = ("share of energy purchased, published" if basis == "published" else f"share of energy purchased, {basis}")
        text += f" ({row.get('period', '')})".replace(" ()", "")
        share = Range(low.iloc[i] / total * (1 - u), value.iloc[i] / total, high.iloc[i] / total * (1 + u))
        out[region] = Demand(share, text, str(row["source_url"]))
    return out


def _numbers(rows: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(rows[column], errors="coerce").astype(float).reset_index(drop=True)
