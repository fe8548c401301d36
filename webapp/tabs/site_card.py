"""Beside the map: the card of one shortlisted site (score, robustness, contributions, connection point, region,
climate, land, costs, gaps), or "Why not here?" for a place that is not shortlisted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from sitefinder.economics.text import figure_lines
from sitefinder.model.profiles import Profile
from sitefinder.model.ranges import format_estimate, number_text, ranged_text, text_or
from sitefinder.model.vocabulary import CRITERIA, SEASON_LABELS
from sitefinder.rank.shortlist import Shortlist
from sitefinder.report.explain import Explanation
from sitefinder.report.zones import month_hour_table, network_of, network_rows, source_text, zone_title
from sitefinder.robustness.run import ROBUST_SHARE, ROBUST_WORDS, RobustRun
from webapp import state
from webapp.charts import horizontal_bars
from webapp.rows import rows_of
from webapp.text import md_escape, place_of, place_text


def site_card(short: Shortlist, cid: str | None, prof: Profile, robust: RobustRun | None = None, *,
              areas: pd.DataFrame | None = None, nodes: pd.DataFrame | None = None) -> dict[str, Any] | None:
    """The card of one shortlisted site; with ``areas`` (the study's surplus areas) and ``nodes`` (the grid nodes
    layer), its network zone too. Returns the zone (``report.zones.site_network``) for ``month_table``."""
    t = short.table
    hit = np.flatnonzero(t["candidate_id"].to_numpy() == cid)
    if not len(hit):
        st.info("Select a site in the table or click one on the map to see why it ranks where it does.")
        return None
    position = int(hit[0])
    r = rows_of(t)[position]  # reads only the columns the card shows
    network = network_of(areas, nodes, r.get("surplus_area"), r.get("grid_node_id"), prof.season) \
        if areas is not None else None
    st.markdown(f"### #{int(r['rank'])} · {md_escape(place_of(r))}")
    c1, c2, c3 = st.columns(3)
    c1.metric("Score", f"{r['score']:.1f}", help="Weighted sum, 0-100")
    c2.metric("Overall rank", f"{int(r['overall_rank']):,}", help="Among every candidate that passes the constraints")
    c3.metric("TOPSIS", f"{r['topsis_score']:.1f}", help="Cross-check score (relative to the passing candidates)")
    if robust is not None:
        _robustness(robust, np.asarray(short.rows)[[position]], len(t))
    contrib = pd.DataFrame({
        "criterion": [CRITERIA[c].label for c in short.result.criteria],
        "points": [float(r[f"contrib_{c}"]) for c in short.result.criteria],
    })
    st.caption("Contribution of each criterion to the score (points; they add up to the score)")
    horizontal_bars(contrib, category="criterion", value="points", height=26 * len(contrib))

    st.markdown("**Connection point**")
    st.table(pd.DataFrame({"": [
        str(r["grid_node"]), number_text(r["grid_voltage_kv"], ".0f", "kV", "not published"),
        ranged_text(r, "grid_distance_km", "km", fmt=".1f", estimate=False),
        number_text(r["grid_headroom_mw"], ",.0f", "MW", "unknown (not published)"),
        str(text_or(r.get("grid_location_precision"), "—"))]},
        index=["Node", "Voltage", "Distance", "Headroom", "Node location"]))
    network_section(network)
    st.markdown("**Region, climate and land**")
    place = _place_rows(r, prof)
    st.table(pd.DataFrame({"": list(place.values())}, index=list(place.keys())))
    money = figure_lines(r, prof.economics)
    st.markdown("**Costs" + (" and earnings" if prof.economics.revenue == "hashprice" else "") + "** (estimates; the "
                "parameters and their sources are in the Economics tab)")
    st.table(pd.DataFrame({"": [t for _, t in money]}, index=[k for k, _ in money]))
    gaps = text_or(r.get("data_gaps"), "")
    if gaps:
        st.warning(md_escape(f"Data gaps: {gaps}. Unknown values count as neutral (0.5) and are not zero."))
    st.caption(md_escape(f"Location {r['lat']:.4f}° N, {r['lon']:.4f}° E · site {cid}"))
    return network


def _robustness(robust: RobustRun, rows: np.ndarray, shortlisted: int) -> None:
    one = robust.for_rows(rows).iloc[0]
    draws = robust.settings.draws
    s1, s2, s3 = st.columns(3)
    s1.metric("Shortlisted", f"{one['p_top_n']:.0%}",
              help=f"Share of the {draws:,} draws in which this site is in the shortlist of {shortlisted}")
    s2.metric("Rank range", f"{place_text(one['rank_p05'])}-{place_text(one['rank_p95'])}",
              help="The place it reaches or beats in 5 % and in 95 % of the draws ('beyond': not shortlisted "
                   f"that often). Median: {place_text(one['rank_p50'])}.")
    s3.metric("Node kept", f"{one['p_node_top_n']:.0%}",
              help="Share of draws in which this connection point has a site (this one or a neighbour) in the shortlist")
    verdict = (f"robust: {ROBUST_WORDS}" if one["p_top_n"] >= ROBUST_SHARE else
               "fragile: it drops out of the shortlist in many draws; see the Robustness tab for the figures that "
               "decide it")
    st.caption(md_escape(f"Robustness: {verdict}. Median rank {place_text(one['rank_p50'])}; passes the "
                         f"constraints in {one['p_feasible']:.0%} of the {draws:,} draws."))


def network_section(n: dict[str, Any] | None) -> None:
    """The site's network zone: what limits its surplus, the cost of serving it (an estimate) and how its grid node's
    zone was found, with their source; nothing outside every zone. The month table goes under the map
    (``month_table``), where there is room for it."""
    if n is None:
        return
    st.markdown("**Network zone** (the surplus this site draws on)")
    rows = network_rows(n)
    st.table(pd.DataFrame({"": [v for _, v in rows]}, index=[k for k, _ in rows]))
    if n.get("by_month"):
        st.caption("By month and hour type: under the map.")
    st.caption(md_escape(f"Source: {source_text(n)}"))


def month_table(n: dict[str, Any] | None) -> None:
    """The zone's deliverable surplus by month and hour type with the range (MW), or nothing."""
    table = month_hour_table(n) if n is not None else []
    if n is None or not table:
        return
    st.markdown(f"**Deliverable surplus of the network zone {md_escape(zone_title(n))}** by month and hour type "
                "(MW, estimate: central (low-high))")
    st.table(pd.DataFrame(table).set_index("month"))
    st.caption("Each figure is the extra load the network model can serve in the zone in that month and hour type, "
               "from idle generation, within the interfaces' limits, without shedding anyone. The range runs from the "
               "model's low to its high end.")


def _place_rows(r: Mapping[str, Any], prof: Profile) -> dict[str, str]:
    season = SEASON_LABELS.get(prof.season, prof.season)
    zoned = isinstance(text_or(r.get("zone"), None), str)
    rows = {
        "Supply region": str(text_or(r.get("region"), "none")),
        f"Surplus, {season.lower()}" + (" (its zone's)" if zoned else ""): ranged_text(r, "region_surplus_mw", "MW"),
        "Winter surplus": ranged_text(r, "surplus_winter_mw", "MW"),
        "Summer surplus": ranged_text(r, "surplus_summer_mw", "MW"),
    }
    for col in ("hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c", "free_cooling_months"):
        if col in r:
            info = CRITERIA[col]
            rows[info.label] = ranged_text(r, col, info.unit, fmt=",.1f" if col.endswith("_c") else ",.0f")
    if "climate_station_km" in r:
        rows["Nearest weather station"] = number_text(r["climate_station_km"], ",.0f", "km away")
    rows["2022 floods"] = (f"district on a 2022 list ({text_or(r.get('flood_2022_basis'), 'source not stated')})"
                           if r.get("flood_2022") == 1 else "district on no 2022 flood list")
    rows["Nearest town / large city"] = (f"{r.get('nearest_town', '—')} ({number_text(r.get('town_distance_km'), ',.0f', 'km')}) / "
                                          f"{r.get('nearest_large_city', '—')} "
                                          f"({number_text(r.get('large_city_distance_km'), ',.0f', 'km')})")
    rows["Connectivity"] = (f"{r.get('connectivity_point', '—')} "
                            f"({number_text(r.get('connectivity_distance_km'), ',.0f', 'km')})")
    return rows


def _close() -> None:
    state.EXPLAIN_AT.pop()


def why_not_here(ex: Explanation) -> dict[str, Any] | None:
    """"Why not here?" for a clicked place: verdicts, values with ranges and sources, its network zone, nearest
    nodes. Returns the zone for ``month_table``."""
    place = ", ".join(p for p in (ex.district, ex.province) if p) or "outside every district"
    st.markdown(f"### Why not here? · {md_escape(place)}")
    st.caption(md_escape(f"{ex.lat:.4f}° N, {ex.lon:.4f}° E · supply region {ex.region or 'none'} · "
                         f"{ex.facility_mw:g} MW, {SEASON_LABELS.get(ex.season, ex.season).lower()} surplus"))
    st.button("Close and show the site card", on_click=_close, key="close_explain")
    c1, c2 = st.columns(2)
    if ex.score is not None:
        c1.metric("Score", f"{ex.score:.1f}")
        c2.metric("Rank of its cell", f"{ex.rank:,}" if ex.rank else "—",
                  help="Rank of the candidate cell that holds this point among all that pass the constraints")
        st.success("This place passes every constraint of the profile.")
    else:
        c1.metric("Score if allowed", f"{ex.score_if_allowed:.1f}")
        c2.metric("Constraints broken", f"{sum(not c.passed for c in ex.constraints)}")
        st.error(md_escape("Not eligible: " + "; ".join(f"{c.label}: {c.detail}" for c in ex.constraints if not c.passed)))
    st.markdown("**Constraints**")
    st.dataframe(pd.DataFrame([{"met": "yes" if c.passed else "NO", "rule": c.label, "why": c.detail} for c in ex.constraints]),
                 hide_index=True, width="stretch")
    st.markdown("**Values, ranges and sources**")
    rows = []
    for v in ex.values.values():
        shown = ("unknown" if v.value is None else ("yes" if v.value else "no")) if v.unit == "0/1" else format_estimate(
            v.value, v.low, v.high, fmt=",.1f" if v.unit in ("°C", "km") else ",.0f", unit=v.unit, estimate=v.estimate)
        rows.append({"value": v.label, "figure": shown, "source": v.source})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    network_section(ex.network)
    if ex.nearest_nodes:
        st.markdown("**Nearest grid nodes this profile may connect to**")
        st.dataframe(pd.DataFrame([{
            "node": n["name"], "kV": number_text(n["voltage_kv"], ".0f", unknown="not published"),
            "distance": format_estimate(n["distance_km"], n["distance_km_low"], n["distance_km_high"], fmt=",.1f", unit="km",
                                        estimate=False),
            "headroom": number_text(n["headroom_mw"], ",.0f", "MW", "unknown"),
            "location": n["location_precision"] or "as supplied",
        } for n in ex.nearest_nodes]), hide_index=True, width="stretch")
    if ex.data_gaps:
        st.warning(md_escape("Unknown here (scored as the profile says, never as zero): " + ", ".join(ex.data_gaps)))
    return ex.network
