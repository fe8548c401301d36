"""The cost model's figures in words, for the site card, the comparison, the brief and the command line.

Money reads in USD millions ("USD 81.5M a year (estimate, 75.3-148.4)"); every figure with a range shows it; a
payback that never comes at the central figures says so, with what it would be at the favourable end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sitefinder.model.economic_parameters import Economics
from sitefinder.model.ranges import finite, format_estimate


def _get(r: Mapping[str, Any] | Any, key: str) -> Any:
    try:
        return r.get(key) if hasattr(r, "get") else None
    except (KeyError, TypeError):
        return None


def millions(r: Mapping[str, Any] | Any, column: str, per: str = "") -> str:
    """``r[column]`` (USD) and its range in USD millions, e.g. "USD 81.5M a year (estimate, 75.3-148.4)"."""
    v, lo, hi = (finite(_get(r, c)) for c in (column, column + "_low", column + "_high"))
    text = format_estimate(None if v is None else v / 1e6, None if lo is None else lo / 1e6,
                           None if hi is None else hi / 1e6, fmt=",.1f", unit=f"M{per}")
    return text if v is None else "USD " + text


def payback_text(r: Mapping[str, Any] | Any) -> str:
    """Years to pay back the capital from the margin; "never at these figures" where the margin is not positive."""
    v, lo, hi = (finite(_get(r, c)) for c in ("payback_years", "payback_years_low", "payback_years_high"))
    best = f"{lo:,.1f} years at the favourable end" if lo is not None else "never even at the favourable end"
    worst = f"{hi:,.1f} years" if hi is not None else "never"
    if v is None:
        return f"never at the central figures (margin not positive); {best}, {worst} at the other"
    return f"{v:,.1f} years (estimate; {best}, {worst} at the other)"


def figure_lines(r: Mapping[str, Any] | Any, econ: Economics | Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for each figure of one site (a row of a shortlist or programme table); ``econ`` is the profile's
    economics or the ``economics`` block of an export's metadata."""
    if isinstance(econ, Economics):
        revenue, hashprice = econ.revenue, econ.values.get("hashprice_usd_per_ph_day")
        price = None if hashprice is None else hashprice.value
    else:
        revenue = str(econ.get("revenue", "none"))
        price = (econ.get("parameters", {}).get("hashprice_usd_per_ph_day") or {}).get("value")
    hours = finite(_get(r, "operating_hours_per_year"))
    lines = [
        ("PUE", format_estimate(_get(r, "pue"), _get(r, "pue_low"), _get(r, "pue_high"), fmt=".2f")),
        ("Runs", "unknown" if hours is None else f"{hours:,.0f} h a year"
         + (" (all year)" if hours >= 8760 else f" ({hours / 24:,.0f} days, in the months its region has the surplus)")),
        ("Tariff", f"{finite(_get(r, 'tariff_pkr_per_kwh')) or 0:,.2f} PKR/kWh"),
        ("Energy cost", millions(r, "energy_cost_usd_per_year", " a year")),
        ("Grid connection", millions(r, "connection_cost_usd")),
        ("Capital cost", millions(r, "capex_usd") + " incl. connection"),
        ("Cost per MWh used", format_estimate(_get(r, "cost_usd_per_mwh"), _get(r, "cost_usd_per_mwh_low"),
                                              _get(r, "cost_usd_per_mwh_high"), fmt=",.1f", unit="USD/MWh")),
    ]
    if revenue == "hashprice":
        lines += [
            ("Hashrate", f"{finite(_get(r, 'hashrate_ph')) or 0:,.0f} PH/s"),
            ("Revenue", millions(r, "revenue_usd_per_year", " a year")),
            ("Margin over energy", millions(r, "margin_usd_per_year", " a year")),
            ("Payback", payback_text(r)),
            ("Break-even hashprice", f"{finite(_get(r, 'breakeven_hashprice_usd_per_ph_day')) or 0:,.1f} USD/PH/day "
                                     + (f"(now {float(price):g})" if price is not None else "")),
            ("Break-even tariff", f"{finite(_get(r, 'breakeven_tariff_pkr_per_kwh')) or 0:,.2f} PKR/kWh"),
        ]
    else:
        lines += [
            ("Energy cost per MW", millions(r, "energy_cost_usd_per_mw_year", " per MW-year")),
            ("Round trip to cable landing", _latency(r, "latency_ms_to_landing", "landing_point")),
            ("Round trip to internet exchange", _latency(r, "latency_ms_to_ix", "internet_exchange")),
        ]
    return lines


def _latency(r: Mapping[str, Any] | Any, column: str, name: str) -> str:
    v = finite(_get(r, column))
    return "no such point in the data" if v is None else f"{v:,.2f} ms ({_get(r, name)})"


def parameter_rows(econ_meta: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(parameter, value with unit, range, source) for each parameter in an export's ``economics`` block."""
    rows = []
    for name, p in (econ_meta.get("parameters") or {}).items():
        rng = p.get("range")
        rows.append((name, f"{p.get('value'):,.6g} {p.get('unit', '')}".strip(),
                     f"{rng[0]:,.6g}-{rng[1]:,.6g}" if rng else "",
                     str(p.get("source", "")) + (f" ({p['date']})" if p.get("date") else "")))
    return rows
