"""A row of download buttons for a run's files: GeoJSON, CSV and a third file (a brief, the figures to ask for).

Each file may be given as a function that makes it: Streamlit then calls it only when the button is clicked, so a
rerun does not write files nobody asked for (the shortlist's GeoJSON and CSV were a tenth of a weight change). A click
downloads and reruns nothing (``on_click="ignore"``): a rerun started by the click could replace the button's function
before the browser asked for the file (seen once in CI on a busy machine), and the page has nothing to redo."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

Data = str | Callable[[], str]  # the file's text, or a function making it when the button is clicked
Third = tuple[str, Data, str, str]  # label, data, suffix, mime


def download_row(stem: str, labels: tuple[str, str], geojson: Data, csv: Data, third: Third) -> None:
    """GeoJSON and CSV of one result (``labels``: their button labels) and one more file, named ``stem``..."""
    c1, c2, c3, _ = st.columns([1, 1, 1, 2])
    c1.download_button(labels[0], geojson, file_name=f"{stem}.geojson", mime="application/geo+json", width="stretch",
                       on_click="ignore")
    c2.download_button(labels[1], csv, file_name=f"{stem}.csv", mime="text/csv", width="stretch", on_click="ignore")
    label, data, suffix, mime = third
    c3.download_button(label, data, file_name=f"{stem}{suffix}", mime=mime, width="stretch", on_click="ignore")
