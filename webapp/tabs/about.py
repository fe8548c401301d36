"""The About tab: how the score is computed, every layer with its sources, and the dataset README."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sitefinder.data.dataset import Dataset, default_data_dir
from sitefinder.model.profiles import Profile
from sitefinder.model.vocabulary import CRITERIA

HOW_SCORED = (
    "Every candidate cell gets raw values for each criterion (distance to the nearest eligible grid node, the "
    "supply region's surplus in the chosen season, climate, connectivity, flood history). A **value function** "
    "turns each into 0 to 1 over a fixed range that does not change with what is on screen, so a score means the "
    "same everywhere. The **weights** you set are scaled to add up to 100 %; a weight of 0 ignores a criterion. "
    "The **score** (0-100) is the weighted sum, and each criterion's **contribution** is its part of it. "
    "**Constraints** are hard: a site that breaks one is left out and the reason is counted. A value that is "
    "**unknown** (for example grid headroom, which is published for no station) is never taken as zero: the "
    "profile says whether it counts as neutral (0.5, flagged as a data gap) or excludes the site. TOPSIS is "
    "computed alongside as a cross-check.")


def about_tab(dataset: Dataset, prof: Profile) -> None:
    """How the score is computed for this profile, the layers in use with their sources, and the dataset README."""
    st.markdown("#### How the score is computed")
    st.markdown(HOW_SCORED)
    total = sum(c.weight for c in prof.criteria) or 1
    st.dataframe(pd.DataFrame([{
        "criterion": CRITERIA[c.name].label, "column": c.name, "unit": CRITERIA[c.name].unit, "direction": c.direction,
        "weight": f"{c.weight / total:.0%}", "value function": c.value.describe(),
        "if unknown": c.missing, "estimate?": "yes" if CRITERIA[c.name].estimate else "no"} for c in prof.criteria]),
        width="stretch", hide_index=True)
    st.markdown("Constraints of this profile: " + "; ".join(c.describe(prof.params()) for c in prof.constraints) + ".")
    st.markdown("#### Layers and their sources")
    rows = []
    for kind, frame in dataset.layers.items():
        src = frame["source"].dropna().astype(str) if "source" in frame else pd.Series(dtype=str)
        parts = sorted({p.strip() for v in src for p in v.replace(" | ", " ; ").split(" ; ") if p.strip()})
        rows.append({"layer": kind, "file": dataset.file_label(kind) or "", "features": len(frame),
                     "sources": " ; ".join(parts[:4]) + (f" (+{len(parts) - 4} more)" if len(parts) > 4 else "")})
    st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)
    readme = default_data_dir() / "README.md"
    if readme.exists():
        with st.expander("The dataset README: every layer, its sources, and which values are estimates", expanded=True):
            st.markdown(readme.read_text(encoding="utf-8"))
