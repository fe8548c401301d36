"""Every cache the app keeps, with its key, in one place.

What is cached where (outermost first):

* the measured criteria, on disk (``sitefinder.measure.cache``: Parquet keyed by the data's and the candidates'
  content), so a new server process does not measure again;
* inside a ``Study``: the grid connection per node rule, the criteria matrix per profile, the prepared arrays
  per rule set (``sitefinder.rank.study``);
* shared by every session of this server (``st.cache_resource``, below): the dataset, the studies, the
  rankings and the map's pieces, each keyed by what it depends on (``Keys``). Heavy objects
  are passed with a leading underscore, so Streamlit never hashes them: the key is the string before them;
* per session (``session_memo``): the robustness run of the current ranking (its progress bar is the session's);
* the two library patches that make map text reusable (``webapp.patches``).

A cached object is shared: nobody changes it in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import folium
import geopandas as gpd
import numpy as np
import streamlit as st

from sitefinder.data.dataset import Dataset, load_default
from sitefinder.errors import SitefinderError
from sitefinder.model.profiles import Profile, load_profile
from sitefinder.model.scenario import Scenario
from sitefinder.rank.shortlist import Shortlist, make_shortlist
from sitefinder.rank.study import Study
from sitefinder.report.colors import HEAT_RAMP, SCORE_RAMP
from webapp import foliummap, mapview, raster
from webapp.offline import install_leaflet

CLIMATE_METRICS = {"hours_above_35c": ("hours above 35 °C", "h/yr", (0, 2500)),
                   "cooling_degree_days": ("cooling degree days", "°C·day", (500, 4000)),
                   "hottest_month_tmax_c": ("hottest-month max", "°C", (25, 46))}
T = TypeVar("T")


class Kept(Protocol):
    """A session-state slot (``webapp.state.Slot``)."""

    def get(self) -> Any: ...  # noqa: D102

    def set(self, value: Any) -> None: ...  # noqa: D102


@dataclass(frozen=True)
class Keys:
    """What the shared caches are keyed on, made once per run."""

    version: str     # the dataset in use (built-in data plus this session's uploads), by content
    candidates: str  # the candidates: "h3-<resolution>" or "sites-<digest of the uploaded file>"
    settings: str    # the scenario's settings (not its view), as JSON

    @property
    def ranking(self) -> str:
        """One ranking: data, candidates and settings."""
        return f"{self.version}|{self.candidates}|{self.settings}"

    def base_map(self, season: str, metric: str, tiles: bool) -> str:
        """The map's base layers: everything a weight does not change."""
        return f"{self.version}|{self.candidates}|{season}|{metric}|{tiles}"


def keys_for(dataset: Dataset, study: Study, scenario: Scenario, sites_digest: str | None) -> Keys:
    """The cache keys of this run."""
    candidates = f"sites-{sites_digest}" if sites_digest and study.candidates.kind == "user" else \
        f"h3-{study.candidates.resolution}"
    return Keys(dataset.version, candidates, scenario.without_view().to_json())


@st.cache_resource(show_spinner=False)
def profile(name: str) -> Profile:
    """A profile by name (a Profile is frozen)."""
    return load_profile(name)


@st.cache_resource(show_spinner=False)
def leaflet(static: Path) -> Path:
    """Leaflet's files in ``static``/leaflet (Streamlit serves the app's static/ folder), once per process: the map
    works offline. A ``SitefinderError`` says what to do when they are missing and cannot be written."""
    try:
        return install_leaflet(static / "leaflet")
    except OSError as exc:
        raise SitefinderError(f"The map's files (Leaflet) are not in {static.name}/leaflet and cannot be put there "
                              f"({exc.strerror or exc}). Fix: run `python -m webapp.offline` in the app's folder as its "
                              "owner (the Docker image does this when it is built).") from None


@st.cache_resource(show_spinner="Loading the built-in Pakistan data ...")
def dataset() -> Dataset:
    """The built-in data."""
    return load_default()


@st.cache_resource(show_spinner="Measuring every candidate site (once per dataset and resolution) ...", max_entries=6)
def h3_study(version: str, resolution: int, _ds: Dataset) -> Study:
    """H3 cells at ``resolution`` over the dataset ``version``, with the criteria measured."""
    study = Study.on_h3(_ds, resolution)
    _ = study.site  # the expensive criteria, now
    return study


@st.cache_resource(show_spinner="Measuring your candidate sites ...", max_entries=6)
def sites_study(version: str, sites_digest: str, _ds: Dataset, _sites: gpd.GeoDataFrame, name: str) -> Study:
    """The user's own sites (the uploaded file's digest) over the dataset ``version``."""
    study = Study.on_sites(_ds, _sites, name)
    _ = study.site
    return study


@st.cache_resource(show_spinner=False, max_entries=64)
def shortlist(ranking_key: str, _study: Study, _scenario: Scenario, _profile: Profile) -> Shortlist:
    """The ranking for these settings, shared by every session that asks for the same (read-only): twenty people
    on the default view rank once, not twenty times."""
    return make_shortlist(_study, _scenario, _profile)


@st.cache_resource(show_spinner=False, max_entries=16)
def programme(ranking_key: str, _make: Callable[[], T]) -> tuple[T | None, str | None]:
    """The programme of one ranking (``ranking_key`` holds its target and rules too), shared by every session that
    asks for it (read-only), or why it cannot be made: it took ~4.6 s, and each session used to make its own."""
    try:
        return _make(), None
    except SitefinderError as exc:
        return None, str(exc)


@st.cache_resource(show_spinner=False, max_entries=8)
def study_area_km2(version: str, _area: Callable[[], float]) -> float:
    """The study area of dataset ``version``, km² (a union of its polygons: not redone on every run)."""
    return _area()


@st.cache_resource(show_spinner=False, max_entries=6)
def display_layers(version: str, _ds: Dataset) -> mapview.DisplayLayers:
    """The dataset's layers simplified and rounded for the map."""
    return mapview.prepare_layers(_ds)


@st.cache_resource(show_spinner="Preparing the map surfaces ...", max_entries=6)
def raster_grid(version: str, candidates_key: str, _study: Study, _bounds: tuple) -> raster.RasterGrid:
    """Where each candidate falls on the map's pixel grid."""
    return raster.candidate_raster(_study.candidates, _bounds)


@st.cache_resource(show_spinner=False, max_entries=64)
def score_png(ranking_key: str, _grid: raster.RasterGrid, _scores: np.ndarray) -> str:
    """The score surface of one ranking as a PNG."""
    return raster.raster_png(_grid, _scores, 0, 100, SCORE_RAMP, alpha=190)


@st.cache_resource(show_spinner=False, max_entries=16)
def climate_png(version: str, candidates_key: str, metric: str, _study: Study, _grid: raster.RasterGrid) -> str:
    """One climate metric of every candidate as a PNG."""
    lo, hi = CLIMATE_METRICS[metric][2]
    return raster.raster_png(_grid, _study.site[metric].to_numpy(float), lo, hi, HEAT_RAMP, alpha=210)


@st.cache_resource(show_spinner=False, max_entries=16)
def base_map_text(base_key: str, _make: Callable[[], folium.Map]) -> foliummap.MapText:
    """The base map rendered once per ``base_key`` (data, candidates, season, climate layer, street tiles)."""
    return foliummap.render_base(_make())


@st.cache_resource(show_spinner=False, max_entries=64)
def layer_control_text(base_key: str, group_names: tuple[str, ...], _make: Callable[[], folium.Map]) -> str:
    """The layer control for that base map with these feature groups (it depends on their names only)."""
    return foliummap.layer_control_text(_make(), group_names, folium.LayerControl(collapsed=True))


def session_memo(slot: Kept, key: str, make: Callable[[], T]) -> T:
    """``make()`` once per ``key`` for this session, kept in ``slot`` (the last key only)."""
    memo = slot.get()
    if memo is not None and memo[0] == key:
        return memo[1]
    value = make()
    slot.set((key, value))
    return value
