"""Small charts as plain Vega-Lite specs: no Altair chart to build and validate on every run (``st.bar_chart`` took a
tenth of a weight change's server time for the card's one chart)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st


def horizontal_bars(data: pd.DataFrame, *, category: str, value: str, height: int, stack: str | None = None,
                    where: Any = st) -> None:
    """Horizontal bars of ``value`` (a number) per ``category`` (kept in the data's order), stacked by ``stack`` if
    given, drawn in ``where`` (a Streamlit container) the full width; ``height``: pixels of the bars alone (the axis and
    a legend come on top)."""
    encoding: dict[str, Any] = {
        "y": {"field": category, "type": "nominal", "sort": None, "title": None},
        "x": {"field": value, "type": "quantitative", "title": value},
        "tooltip": [{"field": category, "type": "nominal"}, {"field": value, "type": "quantitative", "format": ",.1f"}],
    }
    if stack:
        encoding["color"] = {"field": stack, "type": "nominal", "sort": None, "title": None,
                             "legend": {"orient": "bottom", "columns": 3}}
        encoding["tooltip"].insert(1, {"field": stack, "type": "nominal"})
    where.vega_lite_chart(data, {"mark": {"type": "bar"}, "encoding": encoding, "height": height,
                                 "autosize": {"type": "fit-x", "contains": "padding"}}, width="stretch")
