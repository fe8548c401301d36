"""The Robustness tab: what the draws mean, their settings, the robust shortlist and the figures to ask for first."""

from __future__ import annotations

import streamlit as st

from sitefinder.report.files import shortlist_csv, shortlist_geojson
from sitefinder.robustness.run import ROBUST_SHARE, ROBUST_WORDS, RobustRun
from webapp import state
from webapp.controls import controls_at
from webapp.downloads import download_row
from webapp.page import Page
from webapp.text import md_escape

EXPLAINED = (
    "No substation's spare capacity is published, each region's surplus is an estimate with a range, the climate "
    "between weather stations is interpolated, many grid stations are mapped only to their town, and the weights "
    "are a judgement. **Robustness** redoes the ranking many times, each time with the weights and every estimated "
    "figure drawn within its range, and counts how often each site is shortlisted. A site shortlisted in nearly "
    "every draw is **robust**: it does not rest on one assumption. One that drops out often is **fragile**. The "
    "table at the bottom names the figures that would settle the ranking most: ask for those first.")


def robustness_tab(page: Page) -> None:
    """The draws' settings, then (once they have run) the robust shortlist and the value of information."""
    st.markdown("#### How robust is this ranking?")
    st.markdown(EXPLAINED)
    c1, c2 = st.columns(2)
    controls_at("robustness", [c1, c2])
    problem = (state.WIDGET_PROBLEMS.get() or {}).get("headroom_range")
    if problem:
        c2.warning(md_escape(problem))
    robust = page.robust
    if robust is None:
        st.info("Tick 'Show how robust each site is' to run the draws (a few seconds at the default resolution). The "
                "map, the site card and the comparison then show how often each site is shortlisted.")
        return
    _results(robust, page)


def _results(robust: RobustRun, page: Page) -> None:
    s, table = robust.settings, robust.table
    shortlisted = table[table["rank"].notna()]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Draws", f"{s.draws:,}", help=f"Seed {s.seed}: the same seed gives the same answer")
    m2.metric("Robust sites", f"{int((shortlisted['p_top_n'] >= ROBUST_SHARE).sum())} of {len(shortlisted)}",
              help=ROBUST_WORDS.capitalize())
    m3.metric("Can ever pass", f"{len(robust.engine.rows):,}", help="Candidates that pass every constraint in at least one draw")
    m4.metric("Time", f"{sum(robust.seconds.values()):.1f} s")
    st.markdown("**The robust shortlist** (sites shortlisted in at least half the draws by their median place, then "
                "the others by how often they are shortlisted; sites of the ordinary shortlist outside it at the end)")
    view = table[["rank", "central_rank", "p_top_n", "p_node_top_n", "p_feasible", "rank_p05", "rank_p50", "rank_p95",
                  "district", "province", "grid_node", "score", "candidate_id"]]
    number, share = st.column_config.NumberColumn, st.column_config.ProgressColumn
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), column_config={
        "rank": number("robust rank"), "central_rank": number("ordinary rank"),
        "p_top_n": share("shortlisted", min_value=0, max_value=1, format="percent"),
        "p_node_top_n": share("node shortlisted", min_value=0, max_value=1, format="percent"),
        "p_feasible": number("passes constraints", format="percent"),
        "rank_p05": number("rank 5 %"), "rank_p50": number("median rank"), "rank_p95": number("rank 95 %"),
        "score": number("score (central)", format="%.1f")})
    st.markdown("**Figures to ask for first**: each uncertain figure moved across its range with everything else at "
                "its central value; how many of the shortlisted sites change on average, and at most")
    voi = robust.voi_table()
    moving = voi[voi["expected_changes"] > 0]
    if moving.empty:
        st.info("No single uncertain figure, moved across its range, changes the shortlist.")
    else:
        st.dataframe(moving[["figure", "expected_changes", "most_changes", "expected_node_changes", "now", "ask", "decides"]],
                     hide_index=True, width="stretch", height=min(460, 38 + 35 * len(moving)), column_config={
                         "expected_changes": number("sites changed (average)", format="%.2f"),
                         "most_changes": number("at most"),
                         "expected_node_changes": number("grid nodes changed", format="%.2f")})
        st.caption(f"{len(moving)} of {len(voi)} uncertain figures can change the shortlist on their own.")
    prof = page.profile
    stem = f"sitefinder_robust_{prof.name}_{prof.facility_mw:g}mw"
    download_row(stem, ("Robust shortlist (GeoJSON)", "Robust shortlist (CSV)"),
                 lambda: shortlist_geojson(robust.frame, robust.metadata), lambda: shortlist_csv(robust.table),
                 ("Figures to ask for (CSV)", lambda: voi.to_csv(index=False, lineterminator="\n"), "_figures.csv",
                  "text/csv"))
    st.caption(md_escape(
        f"Same content as `sitefinder robustness` writes for the same settings and seed. Weights: Dirichlet around "
        f"yours, spread {s.weight_spread:g} %; estimates: {s.data_spread}; unknown headroom: "
        f"{'left unknown' if s.headroom_range is None else f'{s.headroom_range[0]:g}-{s.headroom_range[1]:g} MW'}. "
        "What the probabilities mean, and what they do not: the docs, Methods, Robustness."))
