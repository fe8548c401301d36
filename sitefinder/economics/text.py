"""The cost model's figures in words, for the site card, the comparison, the brief and the command line.

Money reads in USD millions ("USD 81.5M a year (estimate, 75.3-148.4)"); every figure with a range shows it; a
payback that never comes at the central figures says so, with what it would be at the favourable end.
``margin_headline`` is the one sentence the command line, the brief and the app lead with for a mine: whether its sites
earn more than their power costs at the central figures, and where they break even.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.model.economic_parameters import Economics
from sitefinder.model.ranges import finite, format_estimate, span_text


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


def _revenue_and_hashprice(econ: Economics | Mapping[str, Any]) -> tuple[str, Any]:
    """The revenue model and the central hashprice (USD per PH/s per day; None where not set), from the profile's
    economics or an export's ``economics`` metadata block."""
    if isinstance(econ, Economics):
        hashprice = econ.values.get("hashprice_usd_per_ph_day")
        return econ.revenue, None if hashprice is None else hashprice.value
    return (str(econ.get("revenue", "none")),
            (econ.get("parameters", {}).get("hashprice_usd_per_ph_day") or {}).get("value"))


def figure_lines(r: Mapping[str, Any] | Any, econ: Economics | Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for each figure of one site (a row of a shortlist or programme table); ``econ`` is the profile's
    economics or the ``economics`` block of an export's metadata."""
    revenue, price = _revenue_and_hashprice(econ)
    lines = [
        ("PUE", format_estimate(_get(r, "pue"), _get(r, "pue_low"), _get(r, "pue_high"), fmt=".2f")),
        ("Runs", _hours(r)),
        ("Tariff", _figure(r, "tariff_pkr_per_kwh", ",.2f", "PKR/kWh")),
        ("Energy cost", millions(r, "energy_cost_usd_per_year", " a year")),
        ("Grid connection", millions(r, "connection_cost_usd")),
        ("Capital cost", millions(r, "capex_usd") + " incl. connection"),
        ("Cost per MWh used", format_estimate(_get(r, "cost_usd_per_mwh"), _get(r, "cost_usd_per_mwh_low"),
                                              _get(r, "cost_usd_per_mwh_high"), fmt=",.1f", unit="USD/MWh")),
    ]
    if revenue == "hashprice":
        lines += [
            ("Hashrate", _figure(r, "hashrate_ph", ",.0f", "PH/s")),
            ("Revenue", millions(r, "revenue_usd_per_year", " a year")),
            ("Margin over energy", millions(r, "margin_usd_per_year", " a year")),
            ("Payback", payback_text(r)),
            ("Break-even hashprice", _figure(r, "breakeven_hashprice_usd_per_ph_day", ",.1f", "USD/PH/day")
             + (f"; now {float(price):g}" if price is not None else "")),
            ("Break-even tariff", _figure(r, "breakeven_tariff_pkr_per_kwh", ",.2f", "PKR/kWh")),
        ]
    else:
        lines += [
            ("Energy cost per MW", millions(r, "energy_cost_usd_per_mw_year", " per MW-year")),
            ("Round trip to cable landing", _latency(r, "latency_ms_to_landing", "landing_point")),
            ("Round trip to internet exchange", _latency(r, "latency_ms_to_ix", "internet_exchange")),
        ]
    return lines


def _figure(r: Mapping[str, Any] | Any, column: str, fmt: str, unit: str) -> str:
    """``r[column]`` with its range ("5,714 PH/s (estimate, 3,546-7,407)"); a range of no width (a value you set, a
    region's own tariff) reads as the bare figure."""
    v, lo, hi = (_get(r, c) for c in (column, column + "_low", column + "_high"))
    if finite(lo) is not None and finite(lo) == finite(hi) == finite(v):
        return format_estimate(v, fmt=fmt, unit=unit, estimate=False)
    return format_estimate(v, lo, hi, fmt=fmt, unit=unit)


def _hours(r: Mapping[str, Any] | Any) -> str:
    hours = finite(_get(r, "operating_hours_per_year"))
    if hours is None:
        return "unknown"
    text = f"{hours:,.0f} h a year" + (" (all year)" if hours >= 8760 else
                                       f" ({hours / 24:,.0f} days, in the months its region has the surplus)")
    lo, hi = finite(_get(r, "operating_hours_per_year_low")), finite(_get(r, "operating_hours_per_year_high"))
    if lo is not None and hi is not None and (lo, hi) != (hours, hours):
        text += f"; {lo:,.0f}-{hi:,.0f} h at the low and high ends of the surplus"
    return text


def _latency(r: Mapping[str, Any] | Any, column: str, name: str) -> str:
    v = finite(_get(r, column))
    if v is None:
        return "no such point in the data"
    return f"{format_estimate(v, _get(r, column + '_low'), _get(r, column + '_high'), fmt=',.2f', unit='ms')} ({_get(r, name)})"


def parameter_rows(econ_meta: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(parameter, value with unit, range, source) for each parameter in an export's ``economics`` block."""
    rows = []
    for name, p in (econ_meta.get("parameters") or {}).items():
        rng = p.get("range")
        rows.append((name, f"{p.get('value'):,.6g} {p.get('unit', '')}".strip(),
                     f"{rng[0]:,.6g}-{rng[1]:,.6g}" if rng else "",
                     str(p.get("source", "")) + (f" ({p['date']})" if p.get("date") else "")))
    return rows


@dataclass(frozen=True)
class MarginHeadline:
    """Whether a mine's sites make money at the central figures, in one paragraph; ``loses_everywhere``: none does
    (the shells show that as a warning)."""

    text: str
    loses_everywhere: bool


def _column(sites: pd.DataFrame, name: str) -> NDArray[np.float64]:
    return pd.to_numeric(sites[name], errors="coerce").to_numpy(float) if name in sites else np.full(len(sites), np.nan)


def _spread(values: NDArray[np.float64], fmt: str) -> str | None:
    """"a-b" over the finite values (one figure where they agree); None where there is none."""
    v = values[np.isfinite(values)]
    if not len(v):
        return None
    a, b = format(float(v.min()), fmt), format(float(v.max()), fmt)
    return a if a == b else span_text(float(v.min()), float(v.max()), fmt)


def margin_headline(sites: pd.DataFrame, econ: Economics | Mapping[str, Any],
                    noun: tuple[str, str] = ("shortlisted site", "shortlisted sites")) -> MarginHeadline | None:
    """Whether the ``sites`` (a shortlist or programme table) earn more than their power costs at the central figures,
    with the break-even hashprice and tariff across them: the headline of ``sitefinder rank``, the brief and the app.
    None for a model that earns nothing (a data centre) or no sites. ``econ`` as for ``figure_lines``; ``noun`` is
    (one, many).

    The margin is revenue less the energy bill (``margin_usd_per_year``); the capital cost is not in it, so a site that
    makes a margin may still never pay back."""
    revenue, price = _revenue_and_hashprice(econ)
    if revenue != "hashprice" or not len(sites) or "margin_usd_per_year" not in sites:
        return None
    n = len(sites)
    margin = _column(sites, "margin_usd_per_year")
    with np.errstate(invalid="ignore"):
        making = int((margin > 0).sum())
        losing = int((margin < 0).sum())
        at_best = int((_column(sites, "margin_usd_per_year_high") > 0).sum())
        at_worst = int((_column(sites, "margin_usd_per_year_low") > 0).sum())
    hashprice_now = finite(price)
    now = [f"a hashprice of USD {hashprice_now:g} per PH/s per day"] if hashprice_now is not None else []
    tariff = _spread(_column(sites, "tariff_pkr_per_kwh"), ",.2f")
    now += [f"a tariff of Rs {tariff}/kWh"] if tariff else []
    at = f" ({', '.join(now)})" if now else ""
    one, many = noun
    if making == 0:
        head = (f"The {one} does not earn more than its power costs at the central figures{at}"
                if n == 1 else f"None of the {n} {many} earns more than its power costs at the central figures{at}")
        if losing == n:
            head += ": it would lose money" if n == 1 else ": every one would lose money"
    elif making == n:
        head = (f"The {one} earns more than its power costs at the central figures{at}" if n == 1 else
                f"All {n} {many} earn more than their power costs at the central figures{at}")
    else:
        rest = n - making
        head = (f"{making} of the {n} {many} earn{'s' if making == 1 else ''} more than {'its' if making == 1 else 'their'} "
                f"power costs at the central figures{at}; the other{'' if rest == 1 else 's'} would "
                f"{'lose money' if losing == rest else 'not'}")
    parts = [head + "."]
    price_be = _spread(_column(sites, "breakeven_hashprice_usd_per_ph_day"), ",.1f")
    tariff_be = _spread(_column(sites, "breakeven_tariff_pkr_per_kwh"), ",.2f")
    if price_be and tariff_be:
        parts.append(f"{'It breaks' if n == 1 else 'They break'} even at a hashprice of USD {price_be} per PH/s per day, "
                     f"or a tariff of Rs {tariff_be}/kWh.")
    if making == 0:
        parts.append(f"At the favourable end of every range, {at_best} of {n} would make a margin.")
    else:
        parts.append(f"At the unfavourable end of every range, {at_worst} of {n} would still make a margin.")
    parts.append("The margin leaves out the capital cost.")
    return MarginHeadline(" ".join(parts), making == 0)
