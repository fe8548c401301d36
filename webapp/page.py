"""One run of the page: the data and candidates in use, the scenario the controls show (read once), its ranking,
the open card, and what the tabs share (robustness, programme, scenario A)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from sitefinder.data.dataset import Dataset
from sitefinder.economics.text import margin_headline
from sitefinder.errors import SitefinderError
from sitefinder.measure.geodesy import area_km2
from sitefinder.model.profiles import Profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.vocabulary import SEASON_LABELS
from sitefinder.programme.run import Programme, make_programme
from sitefinder.rank.shortlist import Shortlist
from sitefinder.rank.study import Study
from sitefinder.report.compare import Comparison, compare_shortlists
from sitefinder.robustness.run import RobustRun, run_robustness
from webapp import caches, state
from webapp.caches import Keys
from webapp.register_data import Ledger
from webapp.signin import Visitor
from webapp.text import md_escape


@dataclass
class Page:
    """What this run ranked, and for whom."""

    dataset: Dataset        # the built-in data with this session's uploads
    study: Study
    scenario: Scenario      # canonical: what equals the profile's default is left out
    profile: Profile        # the scenario applied to its profile: what is scored
    short: Shortlist
    keys: Keys
    robust: RobustRun | None = None
    led: Ledger | None = None      # the register, as read this run
    who: Visitor | None = None     # who is looking (signed in or not), with their role
    _programme: Programme | None = field(default=None, repr=False)

    @property
    def shown(self) -> gpd.GeoDataFrame:
        """The shortlist to draw: with each site's robustness when the draws have run."""
        if self.robust is None:
            return self.short.frame
        shown = self.short.frame.copy()
        extra = self.robust.for_rows(np.asarray(self.short.rows))
        for col in extra.columns:
            shown[col] = extra[col].to_numpy()
        return shown

    def programme(self) -> Programme | None:
        """The programme for this ranking (shared by every session); None, with the reason kept, if it cannot be
        made."""
        if self._programme is None:
            made, why = caches.programme(self.keys.ranking, lambda: make_programme(
                self.study, self.scenario, self.profile, ranked=(self.short.matrix, self.short.result)))
            if why is None:
                state.PROGRAMME_ERROR.pop()
            else:
                state.PROGRAMME_ERROR.set(why)
            self._programme = made
        return self._programme


def study_for(dataset: Dataset) -> Study:
    """The candidates in use: the user's own sites, else H3 cells at the resolution the controls show."""
    sites = state.USER_SITES.get()
    if sites is not None:
        return caches.sites_study(dataset.version, sites["key"], dataset, sites["frame"], sites["name"])
    return caches.h3_study(dataset.version, int(st.session_state["res"]), dataset)


def study_area_km2(dataset: Dataset) -> float:
    """The study area in km² (for the resolution list's cell counts), worked out once per dataset."""
    return caches.study_area_km2(dataset.version, lambda: area_km2(shapely.union_all(dataset["study_area"].geometry.array)))


def rank_or_stop(dataset: Dataset, study: Study) -> Page:
    """Rank what the controls show. A scenario the engine refuses (every weight zero, a size out of bounds ...)
    stops the page with the reason, keeping every setting."""
    scenario = state.scenario_from_controls()
    try:
        profile = scenario.apply(caches.profile(scenario.profile))
        sites = state.USER_SITES.get()
        keys = caches.keys_for(dataset, study, scenario, sites["key"] if sites else None)
        short = caches.shortlist(keys.ranking, study, scenario, profile)
    except SitefinderError as exc:
        st.error(md_escape(str(exc)).replace("\n", "  \n"))
        st.info("Your settings are kept: change the one named above, or reset the weights.")
        st.stop()
    _follow_focus(short)
    scenario = replace(scenario, focus=None if state.FOCUS_AUTO.get() else state.FOCUS.get())
    return Page(dataset, study, scenario, profile, short, keys)


def _follow_focus(short: Shortlist) -> None:
    """The open card: a site picked in the table, else the one picked before, else the current first site."""
    table_state = st.session_state.get("table")
    picked_rows = list(getattr(getattr(table_state, "selection", None), "rows", []) or []) if table_state is not None else []
    if picked_rows and picked_rows[0] < len(short.table):
        picked = str(short.table["candidate_id"].iloc[picked_rows[0]])
        if picked != state.LAST_TABLE_PICK.get():
            state.LAST_TABLE_PICK.set(picked)
            state.EXPLAIN_AT.pop()
            focus_on(picked, zoom=True)
    ids = list(short.table["candidate_id"])
    if state.FOCUS.get() not in ids or state.FOCUS_AUTO.get() is not False:
        state.FOCUS.set(ids[0] if ids else None)  # type: ignore[arg-type]
        state.FOCUS_AUTO.set(True)
        state.ZOOM_TO_FOCUS.set(False)


def focus_on(candidate_id: str, *, zoom: bool = False) -> None:
    """Open the card of ``candidate_id`` (picked by the user: it stays open while it is shortlisted)."""
    state.FOCUS.set(candidate_id)
    state.FOCUS_AUTO.set(False)
    state.EXPLAIN_AT.pop()
    if zoom:
        state.ZOOM_TO_FOCUS.set(True)


def run_robustness_once(page: Page, slot: st.delta_generator.DeltaGenerator) -> RobustRun | None:
    """The draws for this ranking, run once (a progress bar in ``slot`` while they run) and kept for the session."""
    def make() -> RobustRun | None:
        bar = slot.progress(0.0, text="Robustness: preparing the draws ...")

        def tell(share: float, message: str) -> None:
            bar.progress(min(1.0, share), text=f"Robustness: {message}")

        try:
            return run_robustness(page.study, page.scenario, page.profile, voi=True, progress=tell)
        except SitefinderError as exc:
            slot.error(md_escape(f"The draws could not run. {exc}"))
            return None
        finally:
            bar.empty()
    return caches.session_memo(state.ROBUST_MEMO, page.keys.ranking, make)


def scenario_a(page: Page) -> tuple[Shortlist | None, Comparison | None, str | None]:
    """Scenario A (pinned or loaded) ranked on this data through the shared ranking cache, and compared with the
    current one (B); a warning if it cannot be ranked here."""
    pinned = state.PINNED.get()
    if pinned is None:
        return None, None, None
    sc, label = pinned
    try:
        study = page.study if (sc.resolution == page.study.candidates.resolution or state.USER_SITES.get()) else \
            caches.h3_study(page.dataset.version, sc.resolution, page.dataset)
        keys = caches.keys_for(page.dataset, study, sc, (state.USER_SITES.get() or {}).get("key"))
        short = caches.shortlist(keys.ranking, study, sc, sc.apply(caches.profile(sc.profile)))
        return short, compare_shortlists(short, page.short, sc, page.scenario), label
    except SitefinderError as exc:
        st.warning(md_escape(f"Scenario A cannot be ranked on this data: {exc}"))
        return None, None, label


def header(page: Page) -> None:
    """The page's title and what the ranking found."""
    res, short, prof = page.short.result, page.short, page.profile
    st.markdown(f"## {prof.title}, {prof.facility_mw:g} MW · {SEASON_LABELS[prof.season].lower()} surplus")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Candidate cells", f"{len(short.matrix):,}")
    m2.metric("Pass every constraint", f"{res.n_feasible:,}")
    m3.metric("Best score", f"{short.table['score'].iloc[0]:.1f}" if len(short.table) else "—")
    m4.metric("Shortlist", f"{len(short.table)} sites")
    money = margin_headline(short.table, prof.economics)
    if money is not None:
        (st.warning if money.loses_everywhere else st.info)(md_escape(money.text), icon="⚠️" if money.loses_everywhere else None)
    with st.expander("Why were candidates excluded?"):
        st.dataframe(pd.DataFrame([{"constraint": k, "candidates excluded": v} for k, v in res.failure_counts().items()]),
                     hide_index=True, width="stretch")
    if not len(short.table):
        st.warning("No site passes every constraint. Relax a constraint (for example the maximum distance to a grid node) "
                   "or choose a smaller facility size.")
