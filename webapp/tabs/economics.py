"""The Economics tab: every parameter of the cost model with its unit and source (edit, or reset to the profile's),
and how payback (a mine) or the energy cost (a data centre) moves with the hashprice and the tariff for the sites
being compared. The figures come from ``sitefinder.economics.cost_model``; this module only draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sitefinder.economics.cost_model import inputs_from, sweep
from sitefinder.measure.surplus import surplus_areas
from sitefinder.model.profiles import Profile
from sitefinder.model.settings import ECONOMICS, SETTINGS
from sitefinder.rank.shortlist import Shortlist
from webapp import state
from webapp.controls import control
from webapp.page import Page
from webapp.text import md_escape

SWEEP_POINTS = 25
PAYBACK_SHOWN_YEARS = 25.0  # longer paybacks are left out of the chart, so the useful part is not squashed flat


def _source_line(prof: Profile, name: str, value: float) -> str:
    base = prof.economics.values[name]
    lo, hi = base.ends()
    rng = f"; range {lo:,.6g}-{hi:,.6g}" if (base.low is not None or base.high is not None) else ""
    changed = "" if float(value) == base.value else f" **You set {value:,.6g}; the profile's is {base.value:,.6g}.**"
    when = f" ({base.date})" if base.date else ""
    note = f" {base.note}" if base.note else ""
    return md_escape(f"Source{when}: {base.source}{rng}.{note}") + changed


def parameter_controls(prof: Profile) -> None:
    """A control per parameter (the ones this profile's model does not use are shown disabled, so they keep their
    value), each with its source, and a reset button."""
    used = set(prof.economics.used())
    st.button("Reset every parameter to the profile's", on_click=state.reset_economics, args=(ECONOMICS,),
              key="econ_reset")
    cols = st.columns(2)
    for i, name in enumerate(ECONOMICS):
        where = cols[i % 2]
        value = control(where, name, disabled=name not in used,
                        help=f"{SETTINGS[name].help} ({SETTINGS[name].unit or 'ratio'})")
        if name in used:
            where.caption(_source_line(prof, name, float(value)))
        else:
            where.caption(f"Not used by the {prof.title.lower()}'s model.")


def _picked_rows(short: Shortlist) -> tuple[np.ndarray, list[str]]:
    t = short.table
    chosen = [c for c in (state.SELECTED.get() or []) if c in set(t["candidate_id"])]
    ids = chosen if len(chosen) >= 1 else list(t["candidate_id"].head(3))
    position = {c: i for i, c in enumerate(t["candidate_id"])}
    labels = [f"#{int(t['rank'].iloc[position[c]])} {t['district'].iloc[position[c]] or c}" for c in ids]
    return np.asarray(short.rows)[[position[c] for c in ids]], labels


def sensitivity_charts(short: Shortlist, prof: Profile, regions: pd.DataFrame, areas: pd.DataFrame | None = None) -> None:
    """Payback against hashprice and tariff (a mine), or energy cost per MW-year against tariff (a data centre), for
    the sites in the comparison (else the top three)."""
    if not len(short.table):
        return
    econ = prof.economics
    rows, labels = _picked_rows(short)
    x = inputs_from(short.matrix.iloc[rows].reset_index(drop=True), regions, prof.facility_mw,
                    unknown_kv=prof.node_rule.min_voltage_kv, areas=areas)
    figure, ylabel = (("payback_years", "payback (years)") if econ.revenue == "hashprice"
                      else ("energy_cost_usd_per_mw_year", "energy cost (USD M per MW-year)"))
    sweeps = [("tariff_pkr_per_kwh", "tariff (PKR/kWh)")]
    if econ.revenue == "hashprice":
        sweeps.insert(0, ("hashprice_usd_per_ph_day", "hashprice (USD/PH/day)"))
    st.markdown(f"**How {ylabel.split(' (')[0]} moves** for {', '.join(labels)} (the sites in Compare, else the top three)")
    cols = st.columns(len(sweeps))
    for col, (name, xlabel) in zip(cols, sweeps):
        lo, hi = econ.values[name].ends()
        now = econ[name]
        span = np.linspace(min(lo, now) * 0.75, max(hi, now) * 1.25, SWEEP_POINTS)
        y = sweep(econ, x, name, span, figure)
        if figure != "payback_years":
            y = y / 1e6
        else:
            y = np.where(y <= PAYBACK_SHOWN_YEARS, y, np.nan)
        long = pd.DataFrame([{"x": float(v), "y": float(y[i, j]) if np.isfinite(y[i, j]) else None, "site": labels[j]}
                             for i, v in enumerate(span) for j in range(len(labels))])
        # A plain Vega-Lite spec (no Altair object to build and validate on every run: a tenth of the time).
        col.vega_lite_chart(long, {
            "mark": {"type": "line", "point": False},
            "encoding": {"x": {"field": "x", "type": "quantitative", "title": xlabel},
                         "y": {"field": "y", "type": "quantitative", "title": ylabel},
                         "color": {"field": "site", "type": "nominal", "title": None}},
            "height": 300}, width="stretch")
        col.caption(md_escape(f"Now {now:,.6g}; the source's range {lo:,.6g}-{hi:,.6g}."
                              + (f" A gap: the site never pays back there (margin not positive), or takes more than "
                                 f"{PAYBACK_SHOWN_YEARS:g} years." if figure == "payback_years" else "")))


def economics_tab(page: Page) -> None:
    """The tab: the model in one line, the parameters with their sources, and the sensitivity charts."""
    short, prof, regions = page.short, page.profile, page.dataset["supply_regions"]
    econ = prof.economics
    st.markdown("**What each site costs" + (" and earns" if econ.revenue == "hashprice" else "") + "**")
    st.caption("Energy = MW x 1,000 x PUE x hours x tariff / exchange rate; connection = km x line cost at the node's "
               "voltage + one substation bay; PUE rises with the site's cooling degree days and hours above 35 °C. "
               + ("A mine earns hashrate x hashprice; payback = capital / (revenue - energy). "
                  if econ.revenue == "hashprice" else "Latency: round trip in fibre at the route factor. ")
               + "Left out: staff, maintenance, pool fees, taxes, land and hardware replacement. Each site's figures "
               "are in its card, in Compare and in both exports; the ranking counts cost only if 'Cost per MWh' has a "
               "weight.")
    sensitivity_charts(short, prof, regions, surplus_areas(page.dataset))
    st.markdown("**Parameters** (each with its source or the word assumption; change one and every figure follows)")
    parameter_controls(prof)
