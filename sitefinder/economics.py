"""What a site costs and earns: power, cooling (PUE), the grid connection, and for a mine revenue and payback.

Every parameter is an ``EconValue``: a value with its unit, its source (or the word "assumption") and, where
sources disagree, a low-high range. The defaults are in ``economics_data/parameters.toml``; a profile's
``[economics]`` table overrides them, and a scenario (URL, file, command line, the app's Economics tab)
overrides the profile. Units: MW, kWh, PKR, USD, km, ms, years.

The model, per site (``mw`` is the facility's IT load, as elsewhere in sitefinder; the grid supplies ``mw * pue``):

* ``pue = pue_base + pue_per_1000_cdd * CDD / 1000 + pue_per_1000_hot_hours * hours_above_35c / 1000``: rises
  with cooling degree days (base 18 °C) and with hours above 35 °C, never below 1;
* ``operating_hours_per_year``: a firm load runs all year (8,760 h); an interruptible one runs in the months the
  site can run (its region's surplus covers its MW that month), 24 h a day, in a 365-day year;
* ``energy_cost_usd_per_year = mw * 1000 * pue * operating_hours_per_year * tariff_pkr_per_kwh / pkr_per_usd``;
  the tariff is the region's ``tariff_pkr_per_kwh`` where the supply-region layer gives one, else the parameter;
* ``connection_cost_usd = grid_distance_km * line cost per km at the node's voltage + bay_cost_usd``; a node of
  unknown voltage is priced at the profile's minimum voltage; above 220 kV the 500 kV line cost applies;
* ``capex_usd = capex_usd_per_mw * mw + connection_cost_usd``;
* ``cost_usd_per_mwh`` (a criterion a profile can weight): the energy cost plus the connection cost annualised
  over ``life_years`` at ``discount_rate_pct`` (capital recovery factor), per MWh the facility itself uses in a year
  (``mw * operating_hours_per_year``): per unit of work, so a mine that runs more months is not penalised;
* a mine: ``hashrate_ph = mw * 1e6 / efficiency_j_per_th / 1000`` (W / (J/TH) = TH/s), ``revenue_usd_per_year =
  hashrate_ph * hashprice_usd_per_ph_day * operating_hours_per_year / 24``, ``margin = revenue - energy cost``,
  ``payback_years = capex / margin`` (blank where the margin is not positive), the break-even hashprice (margin 0)
  and the break-even tariff (margin 0);
* a data centre: ``energy_cost_usd_per_mw_year``, and the round-trip time in fibre to the nearest cable landing and
  the nearest internet exchange: ``2 * geodesic km * route_factor / FIBRE_KM_PER_MS``.

Each money figure has ``_low`` and ``_high`` columns: the formulas evaluated with every input at its favourable end
and at its unfavourable end (parameter ranges; the climate and grid-distance ranges of the site). A parameter the
user sets has no range. Left out: staff, maintenance, pool fees, taxes, hardware replacement, curtailment inside
a running month, and the price of power outside surplus months for a firm load (charged at the same tariff).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .errors import Problem, ProfileError
from .geodesy import geodesic_km

HOURS_PER_YEAR = 8760.0
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
FIBRE_KM_PER_MS = 204.36  # light in silica fibre: c / 1.467, the group index of standard single-mode fibre
LOADS = ("interruptible", "firm")
REVENUES = ("hashprice", "none")
LINE_VOLTAGES = (132.0, 220.0, 500.0)
LANDING_TYPES = ("submarine_cable_landing_point",)
EXCHANGE_TYPES = ("internet_exchange",)


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
        """The parameters this profile's model uses, in catalogue order."""
        return tuple(n for n, p in PARAMETERS.items() if p.used_by(self))

    def metadata(self) -> dict[str, Any]:
        """The ``economics`` block of an export: each parameter as ``{"value", "unit", "source"}``, and the model."""
        return {
            "load": self.load,
            "revenue": self.revenue,
            "parameters": {n: self.values[n].as_metadata() for n in self.used()},
            "model": MODEL_TEXT,
            "left_out": LEFT_OUT,
        }


@dataclass(frozen=True)
class Parameter:
    """A parameter of the model: what it is and which profiles use it."""

    name: str
    label: str
    unit: str
    only: str = ""  # "hashprice": only a mine's revenue uses it; "firm"/"interruptible": only that load

    def used_by(self, econ: Economics) -> bool:
        """True when ``econ``'s model uses this parameter."""
        return not self.only or self.only in (econ.revenue, econ.load) or (self.only == "datacentre"
                                                                            and econ.revenue == "none")


PARAMETERS: dict[str, Parameter] = {p.name: p for p in (
    Parameter("tariff_pkr_per_kwh", "Tariff for the new load", "PKR/kWh"),
    Parameter("pkr_per_usd", "Exchange rate", "PKR/USD"),
    Parameter("line_cost_132_usd_per_km", "132 kV line", "USD/km"),
    Parameter("line_cost_220_usd_per_km", "220 kV line", "USD/km"),
    Parameter("line_cost_500_usd_per_km", "500 kV line", "USD/km"),
    Parameter("bay_cost_usd", "Substation bay", "USD"),
    Parameter("capex_usd_per_mw", "Capital cost", "USD/MW"),
    Parameter("discount_rate_pct", "Discount rate", "%"),
    Parameter("life_years", "Life for annualising the connection", "years"),
    Parameter("pue_base", "PUE at a cool site", ""),
    Parameter("pue_per_1000_cdd", "PUE added per 1,000 cooling degree days", "per 1,000 °C·day"),
    Parameter("pue_per_1000_hot_hours", "PUE added per 1,000 hours above 35 °C", "per 1,000 h"),
    Parameter("efficiency_j_per_th", "Miner efficiency", "J/TH", only="hashprice"),
    Parameter("hashprice_usd_per_ph_day", "Hashprice", "USD/PH/day", only="hashprice"),
    Parameter("route_factor", "Fibre route length / straight line", "", only="datacentre"),
)}

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
ECONOMICS_KEYS = ("load", "revenue", *PARAMETERS)


def _read_value(name: str, table: Any, where: str, problems: list[Problem],
                base: EconValue | None = None) -> EconValue | None:
    """One parameter from a TOML table (or a bare number, which keeps the default's unit and says "profile")."""
    if isinstance(table, (int, float)) and not isinstance(table, bool):
        table = {"value": table}
    if not isinstance(table, dict):
        problems.append(Problem(f"{where}.{name}", f"{table!r} is not a number or a table.",
                                'Write e.g. value = 22.5, source = "..." (or just a number).'))
        return None
    from .settings import unknown_keys  # noqa: PLC0415

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
    from .settings import SETTINGS  # noqa: PLC0415

    s = SETTINGS.get(name)
    if s is not None and s.parse(value, where)[1] is not None:
        problems.append(Problem(f"{where}.{name}", f"{value:g} is outside {s.bounds_text()}."))
        return None
    unit = str(table.get("unit", base.unit if base else PARAMETERS[name].unit))
    source = str(table.get("source", "" if base is None else f"the profile ({where})")).strip()
    if not source:
        problems.append(Problem(f"{where}.{name}", "has no source.", 'Add source = "URL or document" or source = "assumption".'))
        return None
    return EconValue(value, unit, source, str(table.get("date", "")), lo, hi, str(table.get("note", "")))


def _defaults() -> dict[str, EconValue]:
    text = resources.files("sitefinder").joinpath("economics_data/parameters.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    problems: list[Problem] = []
    out = {}
    for name in PARAMETERS:
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
    from .settings import unknown_keys  # noqa: PLC0415

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
    for name in PARAMETERS:
        if name in table:
            v = _read_value(name, table[name], where, problems, DEFAULTS[name])
            if v is not None:
                values[name] = v
    return Economics(str(load), str(revenue), tuple(values.items())), problems


# -- the model ------------------------------------------------------------------------------------------
def capital_recovery_factor(rate_pct: float, years: float) -> float:
    """The share of a capital cost paid each year to repay it over ``years`` at ``rate_pct`` % a year."""
    r = rate_pct / 100.0
    if years <= 0:
        return math.inf
    if r == 0:
        return 1.0 / years
    return r / (1.0 - (1.0 + r) ** -years)


def pue(econ: Economics, cdd: NDArray[np.float64], hot_hours: NDArray[np.float64], end: str = "") -> NDArray[np.float64]:
    """Power usage effectiveness from the site's climate (cooling degree days, hours above 35 °C); missing climate
    counts as none. ``end`` "low"/"high" takes that end of each PUE parameter's range."""
    base, per_cdd, per_hot = (_param(econ, n, end) for n in ("pue_base", "pue_per_1000_cdd", "pue_per_1000_hot_hours"))
    c = np.nan_to_num(np.asarray(cdd, float), nan=0.0).clip(min=0.0)
    h = np.nan_to_num(np.asarray(hot_hours, float), nan=0.0).clip(min=0.0)
    return np.maximum(1.0, base + per_cdd * c / 1000.0 + per_hot * h / 1000.0)


def _param(econ: Economics, name: str, end: str) -> float:
    lo, hi = econ.values[name].ends()
    return {"": econ[name], "low": lo, "high": hi}[end]


def line_cost_per_km(econ: Economics, voltage_kv: NDArray[np.float64], unknown_kv: float, end: str = "") -> NDArray[np.float64]:
    """USD per km of connection line at each node's voltage (132 kV and below, up to 220 kV, above); a node whose
    voltage is not published is priced at ``unknown_kv`` (the profile's minimum voltage)."""
    kv = np.asarray(voltage_kv, float)
    kv = np.where(np.isfinite(kv), kv, unknown_kv)
    c132, c220, c500 = (_param(econ, f"line_cost_{v}_usd_per_km", end) for v in (132, 220, 500))
    return np.where(kv <= 132.0, c132, np.where(kv <= 220.0, c220, c500))


def connection_cost(econ: Economics, km: NDArray[np.float64], voltage_kv: NDArray[np.float64], unknown_kv: float,
                    end: str = "") -> NDArray[np.float64]:
    """USD: the line from the site to its node (geodesic km) at the node's voltage, plus one substation bay."""
    d = np.asarray(km, float).clip(min=0.0)
    return d * line_cost_per_km(econ, voltage_kv, unknown_kv, end) + _param(econ, "bay_cost_usd", end)


def months_running(surplus_by_month: NDArray[np.float64], mw: NDArray[np.float64] | float) -> NDArray[np.bool_]:
    """(n, 12): the months whose surplus (MW) covers ``mw`` (the months an interruptible site can run)."""
    s = np.asarray(surplus_by_month, float)
    need = np.asarray(mw, float).reshape(-1, 1) if np.ndim(mw) else float(mw)
    return np.isfinite(s) & (s >= need)


def hours_of(months: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Hours a year in the months given ((n, 12) booleans), 24 h a day, in a 365-day year."""
    return (np.asarray(months, bool) * DAYS_IN_MONTH).sum(axis=1) * 24.0


def operating_hours(econ: Economics, months: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Hours a year the site runs: all year for a firm load, its running months for an interruptible one."""
    if econ.load == "firm":
        return np.full(len(months), HOURS_PER_YEAR)
    return hours_of(months)


@dataclass(frozen=True)
class SiteInputs:
    """What the model needs of each site, as arrays of equal length (MW, km, kV, °C·day, h, PKR/kWh)."""

    mw: NDArray[np.float64]
    months: NDArray[np.bool_]             # (n, 12) the months the site can run
    grid_km: NDArray[np.float64]
    grid_km_low: NDArray[np.float64]
    grid_km_high: NDArray[np.float64]
    voltage_kv: NDArray[np.float64]
    cdd: NDArray[np.float64]
    cdd_low: NDArray[np.float64]
    cdd_high: NDArray[np.float64]
    hot_hours: NDArray[np.float64]
    hot_hours_low: NDArray[np.float64]
    hot_hours_high: NDArray[np.float64]
    region_tariff: NDArray[np.float64]    # NaN where the region gives none
    unknown_kv: float = 220.0


def _ranged(frame: pd.DataFrame, col: str) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    n = len(frame)
    v = frame[col].to_numpy(float) if col in frame else np.full(n, np.nan)
    lo = frame[col + "_low"].to_numpy(float) if col + "_low" in frame else v
    hi = frame[col + "_high"].to_numpy(float) if col + "_high" in frame else v
    return v, np.where(np.isfinite(lo), lo, v), np.where(np.isfinite(hi), hi, v)


def region_months(frame: pd.DataFrame, regions: pd.DataFrame, mw: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(n, 12): for each site (``frame`` has ``region_id``), the months its supply region's surplus covers its MW."""
    from .allocation import monthly_surplus  # noqa: PLC0415

    table = monthly_surplus(regions)
    if "on_national_grid" in regions:
        table[~regions["on_national_grid"].astype(bool).to_numpy()] = np.nan
    pos = _region_positions(frame, regions)
    by_site = np.where((pos >= 0)[:, None], table[np.maximum(pos, 0)], np.nan)
    return months_running(by_site, mw)


def region_tariffs(frame: pd.DataFrame, regions: pd.DataFrame) -> NDArray[np.float64]:
    """Each site's region's ``tariff_pkr_per_kwh`` where the supply-region layer gives one, else NaN."""
    if "tariff_pkr_per_kwh" not in regions:
        return np.full(len(frame), np.nan)
    tariffs = pd.to_numeric(regions["tariff_pkr_per_kwh"], errors="coerce").to_numpy(float)
    pos = _region_positions(frame, regions)
    return np.where(pos >= 0, tariffs[np.maximum(pos, 0)], np.nan)


def _region_positions(frame: pd.DataFrame, regions: pd.DataFrame) -> NDArray[np.intp]:
    """Each site's row in ``regions`` (-1 where its ``region_id`` is not there)."""
    index = pd.Index(regions["region_id"].astype(str))
    return np.asarray(index.get_indexer(frame["region_id"].astype(str)), dtype=np.intp)


def inputs_from(frame: pd.DataFrame, regions: pd.DataFrame, mw: NDArray[np.float64] | float, *,
                months: NDArray[np.bool_] | None = None, unknown_kv: float = 220.0) -> SiteInputs:
    """The model's inputs for the sites of ``frame`` (a criteria matrix or a shortlist table); ``months`` defaults to
    the months each site's region can supply its MW."""
    n = len(frame)
    size = np.broadcast_to(np.asarray(mw, float), (n,)).astype(float)
    if months is None:
        months = region_months(frame, regions, size)
    km, km_lo, km_hi = _ranged(frame, "grid_distance_km")
    cdd, cdd_lo, cdd_hi = _ranged(frame, "cooling_degree_days")
    hot, hot_lo, hot_hi = _ranged(frame, "hours_above_35c")
    kv = frame["grid_voltage_kv"].to_numpy(float) if "grid_voltage_kv" in frame else np.full(n, np.nan)
    return SiteInputs(size, np.asarray(months, bool), km, km_lo, km_hi, kv, cdd, cdd_lo, cdd_hi, hot, hot_lo, hot_hi,
                      region_tariffs(frame, regions), unknown_kv)


def _figures(econ: Economics, x: SiteInputs, case: str) -> dict[str, NDArray[np.float64]]:
    """Every figure, with the inputs at ``case``: "" central, "good" (cheap, high revenue) or "bad"."""
    cost_end = {"": "", "good": "low", "bad": "high"}[case]
    gain_end = {"": "", "good": "high", "bad": "low"}[case]
    pick = {"": 0, "good": 1, "bad": 2}[case]
    cdd = (x.cdd, x.cdd_low, x.cdd_high)[pick]
    hot = (x.hot_hours, x.hot_hours_low, x.hot_hours_high)[pick]
    km = (x.grid_km, x.grid_km_low, x.grid_km_high)[pick]
    p = pue(econ, cdd, hot, cost_end)
    hours = operating_hours(econ, x.months)
    tariff = np.where(np.isfinite(x.region_tariff), x.region_tariff, _param(econ, "tariff_pkr_per_kwh", cost_end))
    fx = _param(econ, "pkr_per_usd", gain_end)  # more PKR per USD makes a PKR tariff cheaper in USD
    energy = x.mw * 1000.0 * p * hours * tariff / fx
    conn = connection_cost(econ, km, x.voltage_kv, x.unknown_kv, cost_end)
    capex = _param(econ, "capex_usd_per_mw", cost_end) * x.mw + conn
    crf = capital_recovery_factor(_param(econ, "discount_rate_pct", cost_end), _param(econ, "life_years", gain_end))
    it_mwh = x.mw * hours  # the facility's own (IT) energy in a year, MWh
    with np.errstate(divide="ignore", invalid="ignore"):
        per_mwh = np.where(it_mwh > 0, (energy + conn * crf) / it_mwh, np.nan)
    out = {"pue": p, "operating_hours_per_year": hours, "tariff_pkr_per_kwh": tariff, "energy_cost_usd_per_year": energy,
           "connection_cost_usd": conn, "capex_usd": capex, "cost_usd_per_mwh": per_mwh}
    if econ.revenue == "hashprice":
        eff = _param(econ, "efficiency_j_per_th", cost_end)
        price = _param(econ, "hashprice_usd_per_ph_day", gain_end)
        ph = x.mw * 1e6 / eff / 1000.0
        days = hours / 24.0
        revenue = ph * price * days
        margin = revenue - energy
        with np.errstate(divide="ignore", invalid="ignore"):
            out["payback_years"] = np.where(margin > 0, capex / margin, np.nan)
            out["breakeven_hashprice_usd_per_ph_day"] = np.where(ph * days > 0, energy / (ph * days), np.nan)
            kwh = x.mw * 1000.0 * p * hours
            out["breakeven_tariff_pkr_per_kwh"] = np.where(kwh > 0, revenue * fx / kwh, np.nan)
        out.update(hashrate_ph=ph, revenue_usd_per_year=revenue, margin_usd_per_year=margin)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["energy_cost_usd_per_mw_year"] = np.where(x.mw > 0, energy / x.mw, np.nan)
    return out


RANGED = ("pue", "energy_cost_usd_per_year", "connection_cost_usd", "capex_usd", "cost_usd_per_mwh",
          "revenue_usd_per_year", "margin_usd_per_year", "payback_years", "energy_cost_usd_per_mw_year")


def site_economics(econ: Economics, x: SiteInputs) -> pd.DataFrame:
    """Every figure of every site, with ``_low``/``_high`` for the money figures and PUE (see the module docstring)."""
    central, good, bad = (_figures(econ, x, c) for c in ("", "good", "bad"))
    out = pd.DataFrame(central)
    for name in RANGED:
        if name not in central:
            continue
        a, b = good[name], bad[name]
        if name == "payback_years":  # blank (never pays back) counts as the worst end
            lo = np.fmin(a, b)
            hi = np.where(np.isnan(a) | np.isnan(b), np.nan, np.fmax(a, b))
        else:
            lo, hi = np.fmin(a, b), np.fmax(a, b)
        out[name + "_low"], out[name + "_high"] = lo, hi
    return out


def rtt_ms(km: NDArray[np.float64], route_factor: float) -> NDArray[np.float64]:
    """Round-trip time (ms) in fibre over ``km`` of straight line, the route ``route_factor`` times longer."""
    return 2.0 * np.asarray(km, float) * route_factor / FIBRE_KM_PER_MS


def nearest_km(lon: NDArray[np.float64], lat: NDArray[np.float64], points: pd.DataFrame,
               types: tuple[str, ...]) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    """Geodesic km (WGS84) from each site to the nearest existing connectivity point of ``types``, and its name."""
    n = len(lon)
    if points is None or "type" not in points or not len(points):
        return np.full(n, np.nan), np.full(n, None, dtype=object)
    pts = points[points["type"].astype(str).isin(types)]
    if "operational" in pts:
        pts = pts[pts["operational"].fillna(False).astype(bool)]
    if not len(pts):
        return np.full(n, np.nan), np.full(n, None, dtype=object)
    plon, plat = pts.geometry.x.to_numpy(float), pts.geometry.y.to_numpy(float)
    dist = np.stack([geodesic_km(plon[j], plat[j], np.asarray(lon, float), np.asarray(lat, float)) for j in range(len(pts))])
    j = np.argmin(dist, axis=0)
    names = pts["name"].astype(str).to_numpy(dtype=object) if "name" in pts else np.full(len(pts), None, dtype=object)
    return dist[j, np.arange(n)], names[j]


def latency(econ: Economics, lon: NDArray[np.float64], lat: NDArray[np.float64], points: pd.DataFrame | None) -> pd.DataFrame:
    """A data centre's round trips (ms) to the nearest cable landing and internet exchange, with their names."""
    rf = econ["route_factor"]
    land_km, land = nearest_km(lon, lat, points, LANDING_TYPES) if points is not None else (np.full(len(lon), np.nan), None)
    ix_km, ix = nearest_km(lon, lat, points, EXCHANGE_TYPES) if points is not None else (np.full(len(lon), np.nan), None)
    return pd.DataFrame({"landing_point": land, "latency_ms_to_landing": rtt_ms(land_km, rf),
                         "internet_exchange": ix, "latency_ms_to_ix": rtt_ms(ix_km, rf)})


def economics_columns(econ: Economics) -> list[str]:
    """The columns ``site_economics`` (and ``latency``) add for a profile, in the order exports show them."""
    names = ["pue", "operating_hours_per_year", "tariff_pkr_per_kwh", "energy_cost_usd_per_year", "connection_cost_usd",
             "capex_usd", "cost_usd_per_mwh"]
    if econ.revenue == "hashprice":
        names += ["hashrate_ph", "revenue_usd_per_year", "margin_usd_per_year", "payback_years",
                  "breakeven_hashprice_usd_per_ph_day", "breakeven_tariff_pkr_per_kwh"]
    else:
        names += ["energy_cost_usd_per_mw_year", "landing_point", "latency_ms_to_landing", "internet_exchange",
                  "latency_ms_to_ix"]
    out = []
    for n in names:
        out.append(n)
        if n in RANGED:
            out += [n + "_low", n + "_high"]
    return out


def economics_table(frame: pd.DataFrame, econ: Economics, regions: pd.DataFrame, points: pd.DataFrame | None, *,
                    mw: NDArray[np.float64] | float, months: NDArray[np.bool_] | None = None,
                    unknown_kv: float = 220.0) -> pd.DataFrame:
    """The economics columns (``economics_columns`` order) for the sites of ``frame``: rows of a criteria matrix
    (``region_id``, ``lon``/``lat``, grid and climate columns with their ranges); index 0..n-1."""
    figures = site_economics(econ, inputs_from(frame, regions, mw, months=months, unknown_kv=unknown_kv))
    if econ.revenue != "hashprice":
        figures = pd.concat([figures, latency(econ, frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), points)],
                            axis=1)
    return figures[[c for c in economics_columns(econ) if c in figures]]


COST = "cost_usd_per_mwh"


def add_cost_criterion(matrix: pd.DataFrame, econ: Economics, regions: pd.DataFrame, mw: float,
                       unknown_kv: float, *, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """``matrix`` with the cost criterion (USD per MWh of facility load) and its range, for every candidate
    at the facility size ``mw`` (MW), measured from ``frame`` (default: ``matrix`` itself); a candidate with no
    supply region or grid node gets a blank."""
    x = inputs_from(matrix if frame is None else frame, regions, mw, unknown_kv=unknown_kv)
    central, good, bad = (_figures(econ, x, case)[COST] for case in ("", "good", "bad"))
    matrix[COST], matrix[COST + "_low"], matrix[COST + "_high"] = central, np.fmin(good, bad), np.fmax(good, bad)
    return matrix


def sweep(econ: Economics, x: SiteInputs, name: str, values: NDArray[np.float64] | list[float],
          figure: str = "payback_years") -> NDArray[np.float64]:
    """(len(values), n): ``figure`` of every site with parameter ``name`` set to each of ``values`` in turn (the
    other parameters as they are): how payback moves with the hashprice or the tariff, say."""
    return np.stack([_figures(econ.with_value(name, float(v)), x, "")[figure] for v in values])


def _n(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.6g}"


def economics_markdown() -> str:
    """The README's table of the cost model's parameters: each built-in profile's value (range), the unit and the
    source (a test checks the README holds exactly this)."""
    from .profiles import builtin_profile_names, load_profile  # noqa: PLC0415  (profiles import this module)

    profiles = [load_profile(n) for n in builtin_profile_names()]
    rows = ["| parameter | " + " | ".join(f"{p.title} (range)" for p in profiles) + " | unit | source |",
            "|---|" + "---|" * len(profiles) + "---|---|"]
    for name, param in PARAMETERS.items():
        cells, sources = [], []
        for p in profiles:
            v = p.economics.values[name]
            if name not in p.economics.used():
                cells.append("not used")
                continue
            lo, hi = v.ends()
            cells.append(_n(v.value) + (f" ({_n(lo)}-{_n(hi)})" if (v.low is not None or v.high is not None) else ""))
            src = v.source + (f" ({v.date})" if v.date else "")
            if src not in sources:
                sources.append(src)
        text = " **/** ".join(sources).replace("|", "/")
        rows.append(f"| `{name}` ({param.label}) | " + " | ".join(cells) + f" | {param.unit or 'ratio'} | {text} |")
    return "\n".join(rows) + "\n"
