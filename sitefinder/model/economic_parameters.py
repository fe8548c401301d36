"""The cost model's parameters: what each is, its default with unit, date and source (or "assumption"), and a
profile's ``[economics]`` table read over the defaults with every problem reported.

Shared defaults: ``economics_data/parameters.toml``; a profile's own values: its ``[economics]`` table; a
scenario's: the settings table's economics rows. ``economics.py`` computes with them.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from sitefinder.errors import Problem, ProfileError
from sitefinder.model.setting import unknown_keys
from sitefinder.model.settings import ECONOMICS, SETTINGS

FIBRE_KM_PER_MS = 204.36  # light in silica fibre: c / 1.467, the group index of standard single-mode fibre
LOADS = ("interruptible", "firm")
REVENUES = ("hashprice", "none")


@dataclass(frozen=True)
class EconValue:
    """One parameter: its value, unit, source ("assumption" where none) and date; low/high where sources disagree."""

    value: float
    unit: str
    source: str
    date: str = ""
    low: float | None = None
    high: float | None = None
    note: str = ""

    @property
    def is_assumption(self) -> bool:
        """True when no published source backs the value."""
        return self.source.strip().lower().startswith("assumption")

    def ends(self) -> tuple[float, float]:
        """(low, high): the range where one is given, else the value twice."""
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        return float(lo), float(hi)

    def as_metadata(self) -> dict[str, Any]:
        """``{"value", "unit", "source"}`` plus the date and range where known (for exports)."""
        out: dict[str, Any] = {"value": self.value, "unit": self.unit, "source": self.source}
        if self.date:
            out["date"] = self.date
        if self.low is not None or self.high is not None:
            out["range"] = list(self.ends())
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Economics:
    """A profile's economics: whether the load is firm or interruptible, how it earns, and its parameters."""

    load: str
    revenue: str
    items: tuple[tuple[str, EconValue], ...]  # (name, value) pairs: hashable, so a profile stays a cache key

    @property
    def values(self) -> dict[str, EconValue]:
        """Each parameter by name."""
        return dict(self.items)

    def __getitem__(self, name: str) -> float:
        return float(self.values[name].value)

    def with_value(self, name: str, value: float) -> Economics:
        """A copy with ``name`` set by the user (its range and published source no longer apply)."""
        old = self.values[name]
        new = EconValue(float(value), old.unit, "set by the user", "", None, None,
                        f"default {old.value:g} {old.unit} ({old.source})")
        return replace(self, items=tuple((n, new if n == name else v) for n, v in self.items))

    def used(self) -> tuple[str, ...]:
        """The parameters this profile's model uses, in the settings table's order."""
        return tuple(n for n in ECONOMICS if uses(self, SETTINGS[n].used_by))

    def metadata(self) -> dict[str, Any]:
        """The ``economics`` block of an export: each parameter as ``{"value", "unit", "source"}``, and the model."""
        return {
            "load": self.load,
            "revenue": self.revenue,
            "parameters": {n: self.values[n].as_metadata() for n in self.used()},
            "model": MODEL_TEXT,
            "left_out": LEFT_OUT,
        }


def uses(econ: Economics, used_by: str) -> bool:
    """True when ``econ``'s model uses a parameter whose row says ``used_by``: "" (every model), "hashprice" (a model
    that earns the hashprice: a mine) or "datacentre" (a model that earns nothing here: a data centre)."""
    return not used_by or used_by in (econ.revenue, econ.load) or (used_by == "datacentre" and econ.revenue == "none")


MODEL_TEXT = ("pue = pue_base + pue_per_1000_cdd*CDD/1000 + pue_per_1000_hot_hours*hours_above_35c/1000 (at least 1); "
              "energy_cost_usd_per_year = MW*1000*pue*operating_hours_per_year*tariff/pkr_per_usd; "
              "connection_cost_usd = grid_distance_km*line cost at the node's voltage + bay_cost_usd; "
              "capex_usd = capex_usd_per_mw*MW + connection_cost_usd; "
              "cost_usd_per_mwh = (energy cost + connection cost * CRF(discount_rate, life)) / (MW * operating hours); "
              "mine: hashrate_ph = MW*1e6/efficiency_j_per_th/1000, revenue = hashrate_ph*hashprice*hours/24, "
              "payback_years = capex/(revenue - energy cost); data centre: round trip ms = 2*km*route_factor/"
              f"{FIBRE_KM_PER_MS} km per ms")
LEFT_OUT = ("staff, maintenance, pool fees, taxes and duties, land, hardware replacement and difficulty growth, "
            "curtailment inside a running month, and (for a firm load) any higher price for power outside surplus "
            "months: it is charged at the same tariff")

VALUE_KEYS = ("value", "unit", "source", "date", "low", "high", "note")
ECONOMICS_KEYS = ("load", "revenue", *ECONOMICS)


def _read_value(name: str, table: Any, where: str, problems: list[Problem],
                base: EconValue | None = None) -> EconValue | None:
    """One parameter from a TOML table (or a bare number, which keeps the default's unit and says "profile")."""
    if isinstance(table, (int, float)) and not isinstance(table, bool):
        table = {"value": table}
    if not isinstance(table, dict):
        problems.append(Problem(f"{where}.{name}", f"{table!r} is not a number or a table.",
                                'Write e.g. value = 22.5, source = "..." (or just a number).'))
        return None
    problems.extend(unknown_keys([str(k) for k in table], VALUE_KEYS, f"{where}.{name}"))
    nums: dict[str, float | None] = {}
    for key in ("value", "low", "high"):
        v = table.get(key)
        if v is None:
            nums[key] = None
        elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            problems.append(Problem(f"{where}.{name}.{key}", f"{v!r} is not a number."))
            return None
        else:
            nums[key] = float(v)
    if nums["value"] is None:
        problems.append(Problem(f"{where}.{name}", "has no value.", "Add value = NUMBER."))
        return None
    value, lo, hi = nums["value"], nums["low"], nums["high"]
    if (lo is not None and lo > value) or (hi is not None and hi < value):
        problems.append(Problem(f"{where}.{name}", f"the range {lo}-{hi} does not hold the value {value}.",
                                "Make low <= value <= high."))
        return None
    s = SETTINGS.get(name)
    if s is not None and s.parse(value, where)[1] is not None:
        problems.append(Problem(f"{where}.{name}", f"{value:g} is outside {s.bounds_text()}."))
        return None
    unit = SETTINGS[name].unit  # declared once, in the settings table; a file may repeat it, not change it
    if "unit" in table and str(table["unit"]) != unit:
        problems.append(Problem(f"{where}.{name}.unit", f"{table['unit']!r} is not the unit of {name}.",
                                f"Give the value in {unit or 'a ratio (no unit)'}, or leave the unit out."))
        return None
    source = str(table.get("source", "" if base is None else f"the profile ({where})")).strip()
    if not source:
        problems.append(Problem(f"{where}.{name}", "has no source.", 'Add source = "URL or document" or source = "assumption".'))
        return None
    return EconValue(value, unit, source, str(table.get("date", "")), lo, hi, str(table.get("note", "")))


def _defaults() -> dict[str, EconValue]:
    text = resources.files("sitefinder.model").joinpath("economics_data/parameters.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    problems: list[Problem] = []
    out = {}
    for name in ECONOMICS:
        if name not in data:
            problems.append(Problem("economics_data/parameters.toml", f"no default for '{name}'."))
            continue
        v = _read_value(name, data[name], "economics_data/parameters.toml", problems)
        if v is not None:
            out[name] = v
    if problems:
        raise ProfileError("economics defaults", problems)
    return out


DEFAULTS: dict[str, EconValue] = _defaults()


def parse_economics(table: Any, where: str = "economics") -> tuple[Economics, list[Problem]]:
    """A profile's ``[economics]`` table over the defaults; every problem reported (unknown keys named)."""
    problems: list[Problem] = []
    table = table or {}
    if not isinstance(table, dict):
        return Economics("firm", "none", tuple(DEFAULTS.items())), [Problem(where, "is not a table.")]
    problems += unknown_keys([str(k) for k in table], ECONOMICS_KEYS, where)
    load = table.get("load", "firm")
    if load not in LOADS:
        problems.append(Problem(f"{where}.load", f"{load!r} is not known.", f"Use one of: {', '.join(LOADS)}."))
        load = "firm"
    revenue = table.get("revenue", "none")
    if revenue not in REVENUES:
        problems.append(Problem(f"{where}.revenue", f"{revenue!r} is not known.", f"Use one of: {', '.join(REVENUES)}."))
        revenue = "none"
    values = dict(DEFAULTS)
    for name in ECONOMICS:
        if name in table:
            v = _read_value(name, table[name], where, problems, DEFAULTS[name])
            if v is not None:
                values[name] = v
    return Economics(str(load), str(revenue), tuple(values.items())), problems





