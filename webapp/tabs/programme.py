"""The Programme tab: a MW target shared out over sites the grid can serve, with the ledger of what is used up."""

from __future__ import annotations

import streamlit as st

from sitefinder.report.brief import brief_html
from sitefinder.report.files import shortlist_csv, shortlist_geojson
from webapp import state
from webapp.controls import controls_at
from webapp.downloads import download_row
from webapp.page import Page
from webapp.text import md_escape


def programme_tab(page: Page) -> None:
    """The programme's rules, what it placed and why it stopped, the ledger of regions and nodes, and downloads."""
    prof = page.profile
    st.markdown("#### Where do the MW go?")
    st.markdown(
        "Sites are taken in score order. Each draws its MW from its network zone's surplus (shared by the supply "
        "regions of the zone), month by month, and from its grid node's spare capacity; both are used up as sites "
        "are added. A site may take less than the "
        "facility size (down to the smallest site) to fit what is left. The programme stops at the target or when "
        "nothing more fits, and says which.")
    controls_at("programme", st.columns(3))
    programme = page.programme()
    if programme is None:
        st.error(md_escape(f"The programme could not be made. {state.PROGRAMME_ERROR.get() or ''}"))
        return
    c = programme.central
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Placed", f"{c.total_mw:,.0f} MW", help=f"Of the target of {programme.rules.target_mw:,.0f} MW")
    m2.metric("Sites", f"{len(c.rows)}")
    m3.metric("Firm at the low estimate", f"{programme.firm_mw.sum():,.0f} MW",
              help="The same sites, in the same order, if every region's surplus were at the low end of its range")
    m4.metric("Zones / nodes drawn on", f"{len(programme.pools)} / {len(programme.nodes)}")
    (st.success if c.stopped_because.startswith("target reached") else st.warning)(
        md_escape(f"Stopped because: {c.stopped_because}."))
    cut = any(c.cuts for c in programme.checks)
    (st.warning if cut or not programme.checks else st.info)(md_escape(programme.network_text))
    headroom = programme.rules.headroom_rule()
    st.caption(md_escape(f"Runs: {programme.rules.months_rule(prof.season)}. {headroom[:1].upper()}{headroom[1:]}."))
    money = [col for col in ("energy_cost_usd_per_year", "payback_years") if col in programme.table]
    view = programme.table[["rank", "placed_mw", "placed_mw_at_low", "binding_limit", "months_running", "district",
                            "province", "grid_node", "region", "zone", "region_surplus_left_mw", "node_headroom_left_mw", *money,
                            "score", "candidate_id"]].copy()
    if "energy_cost_usd_per_year" in view:
        view["energy_cost_usd_per_year"] = view["energy_cost_usd_per_year"] / 1e6
    number = st.column_config.NumberColumn
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), key="programme_table",
                 column_config={"rank": number("#"), "placed_mw": number("MW", format="%.0f"),
                                "placed_mw_at_low": number("MW at low estimate", format="%.0f"),
                                "binding_limit": st.column_config.TextColumn("limited by"),
                                "zone": st.column_config.TextColumn("network zone"),
                                "months_running": st.column_config.TextColumn("runs"),
                                "energy_cost_usd_per_year": number("energy USD M/yr (est.)", format="%.1f"),
                                "payback_years": number("payback yrs (blank: never)", format="%.1f"),
                                "region_surplus_left_mw": number("zone surplus left (est.)", format="%.0f"),
                                "node_headroom_left_mw": number("node headroom left", format="%.0f"),
                                "score": number("score", format="%.1f")})
    l1, l2 = st.columns(2)
    with l1:
        st.markdown("**Network zones (or supply regions outside every zone): surplus at the start and what is left (MW)**")
        st.dataframe(programme.pools.drop(columns=["surplus_area"]), hide_index=True, width="stretch")
    with l2:
        st.markdown("**Grid nodes: headroom at the start and what is left (MW)**")
        st.dataframe(programme.nodes.drop(columns=["grid_node_id"]), hide_index=True, width="stretch")
    stem = f"sitefinder_programme_{prof.name}_{programme.rules.target_mw:g}mw"
    download_row(stem, ("Programme (GeoJSON)", "Programme (CSV)"),
                 lambda: shortlist_geojson(programme.frame, programme.metadata), lambda: shortlist_csv(programme.table),
                 ("Programme brief (HTML)",  # made when clicked: it is the largest file and rarely wanted
                  lambda: brief_html(programme.frame, programme.metadata, page.dataset, kind="programme", title=prof.title),
                  "_brief.html", "text/html"))
    st.caption("Same content as `sitefinder programme` for the same settings. The brief is one file that opens "
               "offline and prints to PDF from the browser.")
