"""sitefinder's web app: page set-up, sidebar and tabs. Everything else is in ``webapp`` (the shell) and
``sitefinder`` (the core).

    streamlit run app.py        (or: make run)

The whole scenario lives in the page address, so a copied link reopens the same view.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("GDAL_SKIP", "OGR_VRT")  # before anything loads GDAL (sitefinder does this too)

import streamlit as st  # noqa: E402

from sitefinder.errors import SitefinderError  # noqa: E402
from sitefinder.rank.shortlist import provinces  # noqa: E402
from webapp import admission, caches, page, patches, register_data, sidebar, signin, state  # noqa: E402
from webapp.failure import guarded  # noqa: E402
from webapp.tabs.about import about_tab  # noqa: E402
from webapp.tabs.compare import compare_tab  # noqa: E402
from webapp.tabs.economics import economics_tab  # noqa: E402
from webapp.tabs.map import map_tab  # noqa: E402
from webapp.tabs.programme import programme_tab  # noqa: E402
from webapp.tabs.register import register_tab  # noqa: E402
from webapp.tabs.robustness import robustness_tab  # noqa: E402
from webapp.tabs.your_data import effective_dataset, your_data_tab  # noqa: E402
from webapp.text import TABS, md_escape  # noqa: E402

# Tests only (tests/test_browser_state.py): seconds every run waits before drawing a control, so that a person's fast
# clicks land in runs on purpose; a run is now ~0.1 s of server time and would otherwise be over before the next click.
SLOW_RUN_S = float(os.environ.get("SITEFINDER_TEST_SLOW_RUN_S") or 0)
STATIC = Path(__file__).resolve().parent / "static"  # Streamlit serves it at /app/static (server.enableStaticServing)
signin.log_to_server()  # the register's refusals and grants go to the server's log
ELEMENT_IDS = patches.install()  # map text that does not change between runs is rendered once (webapp/patches.py)

st.set_page_config(page_title="sitefinder: where surplus power can run a mine or a data centre", page_icon="⚡",
                   layout="wide", initial_sidebar_state="expanded")


def main() -> None:
    """One run of the page: read the settings, rank, and draw the sidebar, the header and the open tab."""
    ELEMENT_IDS.n = 0  # this run's map elements are numbered from 0
    try:
        caches.leaflet(STATIC)
    except SitefinderError as exc:  # the rest of the page works; the map says why it cannot be drawn
        st.error(md_escape(str(exc)))
    try:
        built_in = caches.dataset()
    except SitefinderError as exc:
        st.error(md_escape(f"The built-in data could not be loaded. {exc}"))
        st.stop()
    state.begin_run(st.query_params.to_dict(), lambda: sorted(built_in["districts"]["province"].dropna().unique()))
    flash = state.FLASH.pop()
    if SLOW_RUN_S:
        time.sleep(SLOW_RUN_S)  # no control is drawn yet: the run a click interrupts here has drawn none of them
    led = register_data.ledger(built_in)  # the register: what is booked is taken off the grid before ranking
    who = signin.visitor(led.register.engine if led.register else None)
    booked, _notes = register_data.booked_dataset(built_in, led)
    dataset = effective_dataset(booked)
    study = page.study_for(dataset)
    known = provinces(study.site)
    sidebar.draw(caches.profile(st.session_state["profile"]), dataset, known, page.study_area_km2(built_in))
    io_slot = st.sidebar.container()
    progress_slot = st.container()

    current = page.rank_or_stop(dataset, study)
    current.led, current.who = led, who
    if st.session_state.get("robust"):
        current.robust = page.run_robustness_once(current, progress_slot)
    pinned, comparison, pinned_label = page.scenario_a(current)
    # once a run, after the open card is settled; with the names of the uploaded files in use (state.uploads_query)
    st.query_params.from_dict({**current.scenario.to_query(), **state.uploads_query()})
    if flash:
        getattr(st, flash[0])(md_escape(flash[1]))  # messages quote links, files and values: never Markdown
    page.header(current)

    # Only the open tab runs (and only its content goes to the browser).
    tabs = dict(zip(TABS, st.tabs(TABS, key=state.TAB, on_change="rerun")))
    with tabs["Map and ranking"]:
        if tabs["Map and ranking"].open is not False:  # None when tabs are not tracked (never here), True when open
            map_tab(current, pinned, STATIC)
    for label, draw in (("Programme", lambda: programme_tab(current)),
                        ("Register", lambda: register_tab(led, who, built_in, booked)),
                        ("Robustness", lambda: robustness_tab(current)),
                        ("Compare", lambda: compare_tab(current, comparison, pinned_label, known)),
                        ("Economics", lambda: economics_tab(current)),
                        ("Your data", lambda: your_data_tab(booked)),
                        ("About the data", lambda: about_tab(dataset, current.profile))):
        if tabs[label].open:
            with tabs[label]:
                draw()
    sidebar.scenario_io(io_slot, current.scenario, known)


with admission.admitted():  # a few runs at once per process: the others wait their turn (webapp/admission.py)
    guarded(main)  # an unexpected error: a short message with a reference; the details go to the log
