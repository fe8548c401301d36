"""The sidebar: profile, size, season, weights, constraints, candidates, map options, and saving or loading a
scenario. Every setting's control comes from its row of the settings table (``webapp.controls``)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from sitefinder import __version__
from sitefinder.data.dataset import Dataset
from sitefinder.measure.candidates import cell_area_km2, cell_count_estimate
from sitefinder.model.profiles import Profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import SETTINGS
from sitefinder.model.vocabulary import CRITERIA
from sitefinder.network.user_model import network_model_in_use
from webapp import state
from webapp.caches import CLIMATE_METRICS
from webapp.controls import control, controls_at, weight_slider

SETBACK_COLUMN = "town_distance_km"
SHOWN_ELSEWHERE = ("grid_distance_km", "land_excluded", SETBACK_COLUMN)


def _about(count: int) -> str:
    """A count to two significant figures, as an estimate reads ("about 24,000")."""
    return f"{float(f'{count:.2g}'):,.0f}"


def resolution_text(area_km2: float) -> Any:
    """How a resolution reads in the list: its mean cell size and about how many cells cover the study area (an
    estimate: the area over the mean cell size; the exact count is the "Candidate cells" figure once ranked)."""
    def text(res: int) -> str:
        cell = cell_area_km2(res)
        size = f"{cell:,.0f} km²" if cell >= 1 else f"{cell:.1f} km²"
        return f"{res} (~{size}, ~{_about(cell_count_estimate(area_km2, res))} cells)"
    return text


def draw(prof: Profile, dataset: Dataset, provinces: list[str], area_km2: float) -> None:
    """The sidebar's controls (the profile's own weights and limits, the data's provinces)."""
    sb = st.sidebar
    sb.title("⚡ sitefinder")
    sb.caption("Where can surplus electricity run a Bitcoin mine or an AI data centre?")
    control(sb, "profile", on_change=state.on_profile_change)
    sb.caption(prof.description)
    control(sb, "mw", help=f"Typical {prof.title.lower()}: {prof.mw_range[0]:g}-{prof.mw_range[1]:g} MW. "
                           f"{SETTINGS['mw'].help}")
    control(sb, "season")
    _weights(sb, prof)
    with sb.expander("Constraints", expanded=False):
        setback = next((c for c in prof.constraints if c.column == SETBACK_COLUMN), None)
        controls_at("constraints", [st], town_setback={"skip": True} if setback is None else {
            "label": f"Noise setback: at least {setback.threshold(prof.params()):g} km from towns"})
        st.caption("Other rules of this profile: " + "; ".join(
            c.describe(prof.params()) for c in prof.constraints if c.column not in SHOWN_ELSEWHERE))
    with sb.expander("Candidates and shortlist", expanded=False):
        controls_at("candidates", [st], resolution={"format_func": resolution_text(area_km2)},
                    province={"options": [state.ALL_PROVINCES, *provinces]})
    with sb.expander("Map", expanded=False):
        st.selectbox("Climate layer shows", list(CLIMATE_METRICS), key="climate_metric",
                     format_func=lambda k: CLIMATE_METRICS[k][0])
        st.checkbox("Street base map (needs internet)", key="tiles",
                    help="Off by default: the map is complete without it and works offline.")
    sb.caption(f"sitefinder {__version__} · data: {dataset.name} ({dataset.version[:8]}) · surplus from "
               f"{network_model_in_use(dataset)}")


def _weights(sb: DeltaGenerator, prof: Profile) -> None:
    sb.subheader("Weights")
    ss = st.session_state
    total = sum(float(ss.get(state.weight_key(c.name), c.weight)) for c in prof.criteria) or 1.0
    for c in prof.criteria:
        info = CRITERIA[c.name]
        share = float(ss.get(state.weight_key(c.name), c.weight)) / total
        weight_slider(sb, c.name, label=f"{info.label}: {share:.0%}",
                      help=f"{info.description} ({info.unit}; {c.direction}; {c.value.describe()})"
                           + (" Estimate." if info.estimate else ""))
    sb.button("Reset weights to the profile", on_click=state.reset_weights, width="stretch")


def scenario_io(slot: DeltaGenerator, scenario: Scenario, provinces: list[str]) -> None:
    """Save and load, drawn last so the saved file holds the view as it is now (open card, comparison)."""
    with slot.expander("Save or load a scenario", expanded=False):
        st.download_button("Save scenario (.json)", scenario.to_json(), file_name="sitefinder-scenario.json",
                           mime="application/json", width="stretch")
        st.file_uploader("Load a scenario", type=["json"], key="scenario_file", on_change=state.load_scenario_upload,
                         args=("scenario_file", provinces, lambda sc, _name: state.put_scenario(sc), "scenario"),
                         help="A file saved with 'Save scenario'. It replaces the current settings.")
        st.caption("The page address holds the whole scenario too: copy it to share this exact view.")

