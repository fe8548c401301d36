"""The Compare tab: two to five shortlisted sites side by side, and two scenarios side by side (A pinned or loaded,
B the current settings)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sitefinder.economics.text import figure_lines
from sitefinder.model.ranges import number_text, ranged_text
from sitefinder.model.scenario import Scenario
from sitefinder.model.vocabulary import CRITERIA
from sitefinder.report.compare import Comparison
from webapp import state
from webapp.charts import horizontal_bars
from webapp.page import Page
from webapp.text import md_escape, place_of, place_text

MAX_PICKED = 5


def compare_tab(page: Page, comparison: Comparison | None, pinned_label: str | None, provinces: list[str]) -> None:
    """Sites side by side, then scenarios side by side."""
    sites_side_by_side(page)
    scenarios_side_by_side(comparison, pinned_label, provinces)


def _pick_key(labels: dict[str, str]) -> str:
    # follows the shortlist, so labels that carry a rank never go stale in the browser
    return "compare_pick_" + str(abs(hash(tuple(labels.items()))) % 10**12)


def _remember_picks(key: str) -> None:
    state.SELECTED.set(list(st.session_state.get(key) or []))


def sites_side_by_side(page: Page) -> None:
    """Two to five shortlisted sites: a table of their figures and their contributions stacked."""
    short, robust = page.short, page.robust
    t = short.table
    if len(t) < 2:
        st.info("The shortlist needs at least two sites to compare.")
        return
    labels = {cid: f"#{rk} {d or cid}" for cid, rk, d in zip(t["candidate_id"], t["rank"], t["district"])}
    chosen = [c for c in (state.SELECTED.get() or []) if c in labels]
    defaults = chosen if len(chosen) >= 2 else list(t["candidate_id"].head(3))
    key = _pick_key(labels)
    picked = st.multiselect(f"Sites to compare (2 to {MAX_PICKED})", list(labels),
                            default=defaults if key not in st.session_state else None, key=key,
                            max_selections=MAX_PICKED, format_func=lambda c: labels.get(c, str(c)),
                            on_change=_remember_picks, args=(key,))
    if len(picked) < 2:
        st.info("Pick at least two sites.")
        return
    sub = t.set_index("candidate_id").loc[picked]
    show: dict[str, object] = {"Rank": sub["rank"], "Score": sub["score"].round(1), "TOPSIS": sub["topsis_score"].round(1)}
    if robust is not None:
        position = {c: i for i, c in enumerate(t["candidate_id"])}
        draws = robust.for_rows(np.asarray(short.rows)[[position[c] for c in picked]])
        show["Shortlisted (share of draws)"] = [f"{p:.0%}" for p in draws["p_top_n"]]
        show["Rank, 5 % / median / 95 % of draws"] = [
            f"{place_text(a)} / {place_text(b)} / {place_text(c)}"
            for a, b, c in zip(draws["rank_p05"], draws["rank_p50"], draws["rank_p95"])]
        show["Grid node shortlisted"] = [f"{p:.0%}" for p in draws["p_node_top_n"]]
    rows = [r for _, r in sub.iterrows()]
    show |= {
        "Place": [place_of(r) for r in rows],
        "Grid node": sub["grid_node"],
        "Voltage (kV)": sub["grid_voltage_kv"].map(lambda v: number_text(v, ".0f", unknown="not published")),
        "Distance to node": [ranged_text(r, "grid_distance_km", "km", fmt=".1f", estimate=False) for r in rows],
        "Headroom (MW)": sub["grid_headroom_mw"].map(lambda v: number_text(v, ",.0f")),
        "Region": sub["region"],
        "Region surplus": [ranged_text(r, "region_surplus_mw", "MW") for r in rows],
    }
    for col in short.result.criteria:
        if col in sub and CRITERIA[col].family == "climate":
            show[CRITERIA[col].label] = [ranged_text(r, col, CRITERIA[col].unit, fmt=",.1f" if col.endswith("_c") else ",.0f")
                                         for r in rows]
    money = [figure_lines(r, short.result.profile.economics) for r in rows]  # once per site
    for i, (label, _) in enumerate(money[0]):
        show[label] = [lines[i][1] for lines in money]
    show["Data gaps"] = sub["data_gaps"].replace("", "none")
    table = pd.DataFrame(show).T
    table.columns = [labels[c] for c in picked]
    st.dataframe(table.astype(str), width="stretch")
    long = pd.DataFrame([{"site": labels[c], "criterion": CRITERIA[k].label, "points": float(sub.loc[c, f"contrib_{k}"])}
                         for c in picked for k in short.result.criteria])
    st.caption("Score built up from each criterion's contribution (points)")
    horizontal_bars(long, category="site", value="points", stack="criterion", height=40 * len(picked))


def _pin_scenario() -> None:
    state.PINNED.set((state.scenario_from_controls().without_view(),
                      "the scenario pinned at " + pd.Timestamp.now().strftime("%H:%M:%S")))


def _use_as_a(sc: Scenario, name: str) -> None:
    state.PINNED.set((sc.without_view(), name))


def scenarios_side_by_side(comparison: Comparison | None, label: str | None, provinces: list[str]) -> None:
    """Scenario A (pinned or loaded from a file) against the current one (B)."""
    st.markdown("#### Two scenarios")
    st.caption("Pin the current settings as scenario A (or load a saved scenario file), then change any setting: this "
               "compares A with what the controls show now (B).")
    c1, c2 = st.columns([1, 2])
    c1.button("Pin the current scenario as A", on_click=_pin_scenario, width="stretch")
    c2.file_uploader("or load scenario A from a file", type=["json"], key="pinned_file",
                     on_change=state.load_scenario_upload, args=("pinned_file", provinces, _use_as_a, "scenario A"))
    if comparison is None:
        return
    st.markdown(md_escape(f"**A**: {label} · **B**: the current settings"))
    st.checkbox("Show scenario A's sites on the map (orange rings)", key="show_pinned")
    if len(comparison.settings):
        st.dataframe(comparison.settings, hide_index=True, width="stretch")
    else:
        st.caption("A and B have the same settings.")
    (st.info if comparison.unchanged else st.success)(md_escape(comparison.summary()))
    number = st.column_config.NumberColumn
    st.dataframe(comparison.table, hide_index=True, width="stretch", height=min(460, 38 + 35 * len(comparison.table)),
                 column_config={"rank_a": number("rank in A"), "rank_b": number("rank in B"),
                                "score_a": number("score in A", format="%.1f"),
                                "score_b": number("score in B", format="%.1f")})
