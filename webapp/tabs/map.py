"""The first tab: the map (score surface, layers, ranked sites, programme and scenario A rings), the site card or
"Why not here?" beside it, the ranked table and the shortlist's downloads."""

from __future__ import annotations

from pathlib import Path

import folium
import numpy as np
import streamlit as st

from sitefinder.errors import SitefinderError
from sitefinder.model.ranges import number_text
from sitefinder.rank.shortlist import Shortlist, site_at
from sitefinder.report.brief import brief_html
from sitefinder.report.explain import RankLookup, explain_point
from sitefinder.report.files import shortlist_csv, shortlist_geojson
from sitefinder.robustness.run import ROBUST_WORDS
from webapp import caches, foliummap, mapview, state
from webapp.caches import CLIMATE_METRICS
from webapp.downloads import download_row
from webapp.page import Page, focus_on
from webapp.tabs.register import card_section, said
from webapp.tabs.site_card import month_table, site_card, why_not_here
from webapp.text import md_escape

ASSET_BASE = "/app/static/leaflet"  # Streamlit serves ./static/ here (server.enableStaticServing)
MAP_BASE = "/app/static/maps"  # the base maps' scripts, one file per base map (webapp/foliummap.publish)


def map_tab(page: Page, pinned: Shortlist | None, static: Path) -> None:
    """The map, the card beside it, and the ranked table below; ``static`` is the app's static folder (the base
    map's script is published there)."""
    said()  # the register's answer to an application made from the card
    col_map, col_card = st.columns([2, 1], gap="medium")
    with col_map:
        out = _map(page, pinned, static)
        under_map = st.container(key="zone_months")  # the card's zone by month, where there is room for a table
    _follow_click(page, out)
    network = None
    with col_card:
        at = state.EXPLAIN_AT.get()
        if at:
            ranking = RankLookup(page.study.candidates, page.short.result) if page.study.candidates.kind == "h3" else None
            try:
                network = why_not_here(explain_point(page.dataset, at[0], at[1], page.profile, ranking=ranking))
            except SitefinderError as exc:
                st.error(md_escape(f"Could not explain this place. {exc}"))
        else:
            network = site_card(page.short, state.FOCUS.get(), page.profile, page.robust, areas=page.study.areas,
                                nodes=page.dataset["grid_nodes"])
            focus = page.short.table[page.short.table["candidate_id"] == state.FOCUS.get()]
            if len(focus) and page.who is not None:
                card_section(page.led, page.who, focus.iloc[0], page.profile.name, page.profile.facility_mw)
    with under_map:
        month_table(network)
    ranked_table(page)


def _map(page: Page, pinned: Shortlist | None, static: Path) -> dict | None:
    prof, study, keys = page.profile, page.study, page.keys
    metric = st.session_state.get("climate_metric", "hours_above_35c")
    tiles = bool(st.session_state.get("tiles"))
    layers = caches.display_layers(keys.version, page.dataset)
    grid = caches.raster_grid(keys.version, keys.candidates, study, layers.bounds)
    h3 = study.candidates.kind == "h3"
    score_png = caches.score_png(keys.ranking, grid, page.short.result.score) if h3 else None
    climate_png = caches.climate_png(keys.version, keys.candidates, metric, study, grid) if h3 else None

    def make_base() -> folium.Map:
        return mapview.base_map(
            layers, asset_base=ASSET_BASE, season=prof.season, climate_png=climate_png,
            climate_label=f"{CLIMATE_METRICS[metric][0]} ({CLIMATE_METRICS[metric][1]})",
            climate_range=CLIMATE_METRICS[metric][2], online_tiles=tiles)

    base_key = keys.base_map(prof.season, metric, tiles)
    # Only the site layers change with the weights: the browser swaps them into the map it has.
    groups = mapview.site_layers(layers, page.shown, selected=state.FOCUS.get(), score_png=score_png)
    programme = page.programme() if st.session_state.get("prog") else None
    if programme is not None and len(programme.frame):
        pf = programme.frame
        groups.append(mapview.ring_layer(
            pf, name="Programme sites (MW)", colour="#1a9850",
            labels=[f"P{int(r)} · {mw:,.0f} MW" for r, mw in zip(pf["rank"], pf["placed_mw"])],
            tips=[f"Programme site {int(r)}: {mw:,.0f} MW, limited by {b}; runs {m}" for r, mw, b, m in
                  zip(pf["rank"], pf["placed_mw"], pf["binding_limit"], pf["months_running"])]))
    if pinned is not None and st.session_state.get("show_pinned", True) and len(pinned.frame):
        af = pinned.frame
        groups.append(mapview.ring_layer(
            af, name="Scenario A's shortlist", colour="#e66101", dash="4 3",
            labels=[f"A{int(r)}" for r in af["rank"]], tips=[f"#{int(r)} in scenario A" for r in af["rank"]]))
    view = mapview.focus_view(page.short.frame, state.FOCUS.get()) if state.ZOOM_TO_FOCUS.get() else None
    # published on every run (a stat), so a file removed from static/ while the server runs is written again
    base_text = foliummap.publish(caches.base_map_text(base_key, make_base), static / "maps", MAP_BASE)
    out = foliummap.show_map(base_text, groups,
                             caches.layer_control_text(base_key, tuple(g.layer_name for g in groups), make_base),
                             key="map", height=680, returned_objects=["last_object_clicked", "last_clicked"],
                             center=view[0] if view else None, zoom=view[1] if view else None)
    st.caption("Click a ranked site for its card, or anywhere else to see why it is not a site. Layers switch on "
               "and off at the top right. Grey areas are exclusion zones; the coloured surface is the score of "
               "every candidate that passes the constraints."
               + (f" Robustness: each label gives the site's rank and how often it is shortlisted across the draws; "
                  f"solid sites are robust ({ROBUST_WORDS}), faint dashed ones fragile." if page.robust else ""))
    return out


def _follow_click(page: Page, out: dict | None) -> None:
    """A click inside a ranked site opens its card; anywhere else, "Why not here?" for that place. The map reports
    every click: on a layer (regions cover the country) as last_object_clicked, on bare map as last_clicked."""
    seen = dict(state.LAST_CLICKS.get() or {})
    new_click = None
    for key in ("last_object_clicked", "last_clicked"):
        where = (out or {}).get(key)
        if where and "lat" in where and where != seen.get(key):
            seen[key] = where
            new_click = where
    state.LAST_CLICKS.set(seen)
    if new_click is None:
        return
    hit = site_at(page.short.frame, float(new_click["lng"]), float(new_click["lat"]))
    if hit is None:
        state.EXPLAIN_AT.set((float(new_click["lng"]), float(new_click["lat"])))
    else:
        state.EXPLAIN_AT.pop()
        if hit != state.FOCUS.get():
            focus_on(hit)
            st.rerun()


def ranked_table(page: Page) -> None:
    """The shortlist as a table (a click on a row opens its card), and its downloads."""
    short, prof = page.short, page.profile
    st.markdown("#### Ranked sites")
    money = [c for c in ("cost_usd_per_mwh", "payback_years") if c in short.table]
    view = short.table[["rank", "score", "district", "province", "grid_node", "grid_voltage_kv", "grid_distance_km",
                        "grid_headroom_mw", "region", "zone", "region_surplus_mw", *money, "data_gaps",
                        "candidate_id"]].copy()
    view["grid_voltage_kv"] = view["grid_voltage_kv"].map(lambda v: number_text(v, ".0f", unknown="not published"))
    view["grid_headroom_mw"] = view["grid_headroom_mw"].map(lambda v: number_text(v, ",.0f", unknown="unknown"))
    view.insert(0, "", np.where(view["candidate_id"] == state.FOCUS.get(), "▶", ""))
    if page.robust is not None:
        view.insert(3, "shortlisted", page.robust.for_rows(np.asarray(short.rows))["p_top_n"].to_numpy())
    st.dataframe(view, key="table", on_select="rerun", selection_mode="single-row", hide_index=True,
                 width="stretch", height=min(420, 38 + 35 * len(view)),
                 column_config={"score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.1f"),
                                "shortlisted": st.column_config.ProgressColumn("shortlisted (draws)", min_value=0,
                                                                               max_value=1, format="percent"),
                                "grid_voltage_kv": st.column_config.TextColumn("kV"),
                                "grid_distance_km": st.column_config.NumberColumn("km to node (est.)", format="%.1f"),
                                "grid_headroom_mw": st.column_config.TextColumn("headroom MW"),
                                "zone": st.column_config.TextColumn("network zone"),
                                "region_surplus_mw": st.column_config.NumberColumn("surplus MW (est.)", format="%.0f"),
                                "cost_usd_per_mwh": st.column_config.NumberColumn("USD/MWh (est.)", format="%.1f"),
                                "payback_years": st.column_config.NumberColumn("payback yrs (est.; blank: never)",
                                                                               format="%.1f")})
    shown = page.shown
    download_row(f"sitefinder_{prof.name}_{prof.facility_mw:g}mw", ("Download GeoJSON", "Download CSV"),
                 lambda: shortlist_geojson(short.frame, short.metadata), lambda: shortlist_csv(short.table),
                 ("Download brief (HTML)",  # made when clicked, not on every change of a weight
                  lambda: brief_html(shown, short.metadata, page.dataset, kind="shortlist", title=prof.title),
                  "_brief.html", "text/html"))
    st.caption("Same content as `sitefinder rank` writes for the same settings. Columns marked est. are estimates: "
               "the site card gives each one's range, and every row of the downloads names its estimates and carries "
               "their low and high ends. Grid headroom is unknown unless your grid layer gives it.")
