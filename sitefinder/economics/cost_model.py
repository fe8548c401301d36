"""What a site costs and earns: power, cooling (PUE), the grid connection, and for a mine revenue and payback.

Every parameter (``economic_parameters.py``) is a value with its unit, its source (or the word "assumption") and,
where sources disagree, a low-high range. The defaults are in ``economics_data/parameters.toml``; a profile's
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

Each money figure, PUE, the tariff, the hashrate and the break-evens have ``_low`` and ``_high`` columns: the formulas
evaluated with every input at its favourable end and at its unfavourable end (parameter ranges; the climate and
grid-distance ranges of the site). A parameter the user sets has no range. The running months are held at the central
surplus for all of them; ``operating_hours_per_year_low``/``_high`` are the hours at the low and high ends of the
surplus, and a round trip's range is the route factor's. Left out: staff, maintenance, pool fees, taxes, hardware
replacement, curtailment inside a running month, and the price of power outside surplus months for a firm load
(charged at the same tariff).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.measure.geodesy import geodesic_km
from sitefinder.measure.surplus import monthly_surplus
from sitefinder.model.economic_parameters import (
    FIBRE_KM_PER_MS,
    Economics,
)

HOURS_PER_YEAR = 8760.0
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
LINE_VOLTAGES = (132.0, 220.0, 500.0)
LANDING_TYPES = ("submarine_cable_landing_point",)
EXCHANGE_TYPES = ("internet_exchange",)


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


def hours_of(months: NDArray[np.bool_] | NDArray[np.float64]) -> NDArray[np.float64]:
    """Hours a year in the months given ((n, 12): booleans, 24 h a day; or the share of each month's hours, 0-1), in a
    365-day year."""
    return (np.asarray(months, float) * DAYS_IN_MONTH).sum(axis=1) * 24.0


def operating_hours(econ: Economics, months: NDArray[np.bool_] | NDArray[np.float64]) -> NDArray[np.float64]:
    """Hours a year the site runs: all year for a firm load, its running months for an interruptible one."""
    if econ.load == "firm":
        return np.full(len(months), HOURS_PER_YEAR)
    return hours_of(months)


@dataclass(frozen=True)
class SiteInputs:
    """What the model needs of each site, as arrays of equal length (MW, km, kV, °C·day, h, PKR/kWh)."""

    mw: NDArray[np.float64]
    months: NDArray[np.float64]           # (n, 12) the share of each month's hours the site can run (0-1)
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


def region_months(frame: pd.DataFrame, regions: pd.DataFrame, mw: NDArray[np.float64],
                  areas: pd.DataFrame | None = None, end: str = "") -> NDArray[np.bool_]:
    """(n, 12): for each site, the months its surplus covers its MW: its surplus area's (``frame`` has
    ``surplus_area``, ``areas`` is ``measure.surplus.surplus_areas``), else its supply region's (``region_id``);
    ``end`` "_low"/"_high": at that end of the surplus ranges (``monthly_surplus``)."""
    use_areas = areas is not None and "surplus_area" in frame
    table_of = areas if use_areas else regions
    assert table_of is not None
    table = monthly_surplus(table_of, end)
    if "on_national_grid" in table_of:
        table[~table_of["on_national_grid"].astype(bool).to_numpy()] = np.nan
    pos = (np.asarray(table_of.index.get_indexer(frame["surplus_area"].astype(str)), dtype=np.intp) if use_areas
           else _region_positions(frame, regions))
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
                months: NDArray[np.bool_] | NDArray[np.float64] | None = None, unknown_kv: float = 220.0,
                areas: pd.DataFrame | None = None) -> SiteInputs:
    """The model's inputs for the sites of ``frame`` (a criteria matrix or a shortlist table); ``months`` defaults to
    the months each site's surplus (its area's, given ``areas``, else its region's) can supply its MW."""
    n = len(frame)
    size = np.broadcast_to(np.asarray(mw, float), (n,)).astype(float)
    if months is None:
        months = region_months(frame, regions, size, areas)
    km, km_lo, km_hi = _ranged(frame, "grid_distance_km")
    cdd, cdd_lo, cdd_hi = _ranged(frame, "cooling_degree_days")
    hot, hot_lo, hot_hi = _ranged(frame, "hours_above_35c")
    kv = frame["grid_voltage_kv"].to_numpy(float) if "grid_voltage_kv" in frame else np.full(n, np.nan)
    return SiteInputs(size, np.asarray(months, float), km, km_lo, km_hi, kv, cdd, cdd_lo, cdd_hi, hot, hot_lo, hot_hi,
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
          "revenue_usd_per_year", "margin_usd_per_year", "payback_years", "energy_cost_usd_per_mw_year",
          # figures that are not money, with ranges from the same ends (economics_table and latency add the last three)
          "tariff_pkr_per_kwh", "hashrate_ph", "breakeven_hashprice_usd_per_ph_day", "breakeven_tariff_pkr_per_kwh",
          "operating_hours_per_year", "latency_ms_to_landing", "latency_ms_to_ix")


def site_economics(econ: Economics, x: SiteInputs) -> pd.DataFrame:
    """Every figure of every site, with ``_low``/``_high`` for the money figures, PUE, the tariff, the hashrate and the
    break-evens (see the module docstring)."""
    central, good, bad = (_figures(econ, x, c) for c in ("", "good", "bad"))
    out = pd.DataFrame(central)
    for name in RANGED:
        if name not in central or name == "operating_hours_per_year":  # its range is the surplus's: economics_table
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
    lo, hi = econ.values["route_factor"].ends()
    land_km, land = nearest_km(lon, lat, points, LANDING_TYPES) if points is not None else (np.full(len(lon), np.nan), None)
    ix_km, ix = nearest_km(lon, lat, points, EXCHANGE_TYPES) if points is not None else (np.full(len(lon), np.nan), None)
    out = pd.DataFrame({"landing_point": land, "internet_exchange": ix}, index=pd.RangeIndex(len(lon)))
    for name, km in (("latency_ms_to_landing", land_km), ("latency_ms_to_ix", ix_km)):  # range: the route factor's
        out[name], out[name + "_low"], out[name + "_high"] = rtt_ms(km, rf), rtt_ms(km, lo), rtt_ms(km, hi)
    return out


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
                    mw: NDArray[np.float64] | float, months: NDArray[np.bool_] | NDArray[np.float64] | None = None,
                    unknown_kv: float = 220.0, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """The economics columns (``economics_columns`` order) for the sites of ``frame``: rows of a criteria matrix
    (``region_id``, ``lon``/``lat``, grid and climate columns with their ranges); index 0..n-1."""
    x = inputs_from(frame, regions, mw, months=months, unknown_kv=unknown_kv, areas=areas)
    figures = site_economics(econ, x)
    figures["operating_hours_per_year_low"], figures["operating_hours_per_year_high"] = _hours_range(
        econ, frame, regions, x, given_months=months is not None, areas=areas)
    if econ.revenue != "hashprice":
        figures = pd.concat([figures, latency(econ, frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), points)],
                            axis=1)
    return figures[[c for c in economics_columns(econ) if c in figures]]


def _hours_range(econ: Economics, frame: pd.DataFrame, regions: pd.DataFrame, x: SiteInputs, *,
                 given_months: bool, areas: pd.DataFrame | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(low, high) of the hours a year each site runs: all year at both ends for a firm load; for an interruptible one,
    the months its region covers its MW at the low and at the high end of the surplus (never beyond the central
    figure); blank where the months were given (a programme's)."""
    central = operating_hours(econ, x.months)
    if econ.load == "firm":
        return central, central
    if given_months:
        return np.full(len(central), np.nan), np.full(len(central), np.nan)
    lo = operating_hours(econ, region_months(frame, regions, x.mw, areas, "_low"))
    hi = operating_hours(econ, region_months(frame, regions, x.mw, areas, "_high"))
    return np.minimum(lo, central), np.maximum(hi, central)


COST = "cost_usd_per_mwh"


def add_cost_criterion(matrix: pd.DataFrame, econ: Economics, regions: pd.DataFrame, mw: float,
                       unknown_kv: float, *, frame: pd.DataFrame | None = None,
                       areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """``matrix`` with the cost criterion (USD per MWh of facility load) and its range, for every candidate
    at the facility size ``mw`` (MW), measured from ``frame`` (default: ``matrix`` itself); a candidate with no
    supply region or grid node gets a blank."""
    x = inputs_from(matrix if frame is None else frame, regions, mw, unknown_kv=unknown_kv, areas=areas)
    central, good, bad = (_figures(econ, x, case)[COST] for case in ("", "good", "bad"))
    matrix[COST], matrix[COST + "_low"], matrix[COST + "_high"] = central, np.fmin(good, bad), np.fmax(good, bad)
    return matrix


def sweep(econ: Economics, x: SiteInputs, name: str, values: NDArray[np.float64] | list[float],
          figure: str = "payback_years") -> NDArray[np.float64]:
    """(len(values), n): ``figure`` of every site with parameter ``name`` set to each of ``values`` in turn (the
    other parameters as they are): how payback moves with the hashprice or the tariff, say."""
    return np.stack([_figures(econ.with_value(name, float(v)), x, "")[figure] for v in values])
