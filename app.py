"""sitefinder's web app: a thin Streamlit shell over the core package.

    streamlit run app.py        (or: make run)

All computing happens in ``sitefinder``; this file only wires widgets, caches and the page layout.
The whole scenario lives in the URL, so a copied link reopens the same view.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

os.environ.setdefault("GDAL_SKIP", "OGR_VRT")  # before anything loads GDAL (sitefinder does this too)

import sys  # noqa: E402
import threading  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the app-side helpers in webapp/

import branca.element  # noqa: E402
import folium  # noqa: E402
import geopandas as gpd  # noqa: E402
import jinja2  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from sitefinder import __version__
from sitefinder.data.dataset import Dataset, default_data_dir, load_default  # noqa: E402
from sitefinder.economics.text import figure_lines  # noqa: E402
from sitefinder.errors import SitefinderError  # noqa: E402
from sitefinder.model.profiles import Profile, load_profile  # noqa: E402
from sitefinder.model.ranges import format_estimate  # noqa: E402
from sitefinder.model.scenario import Scenario  # noqa: E402
from sitefinder.model.settings import ECONOMICS, SETTINGS  # noqa: E402
from sitefinder.model.vocabulary import CRITERIA, SEASON_LABELS  # noqa: E402
from sitefinder.programme.run import Portfolio, make_portfolio  # noqa: E402
from sitefinder.rank.shortlist import (
    Shortlist,
    make_shortlist,
    provinces,
    site_at,  # noqa: E402
)
from sitefinder.rank.study import Study
from sitefinder.report.brief import brief_html  # noqa: E402
from sitefinder.report.colors import HEAT_RAMP, SCORE_RAMP  # noqa: E402
from sitefinder.report.compare import Comparison, compare_shortlists  # noqa: E402
from sitefinder.report.explain import Explanation, RankLookup, explain_point  # noqa: E402
from sitefinder.report.files import shortlist_csv, shortlist_geojson  # noqa: E402
from sitefinder.robustness.run import RobustRun, run_robustness  # noqa: E402
from webapp import (
    foliummap,  # noqa: E402
    mapview,  # noqa: E402
)
from webapp.economics_tab import economics_tab, reset_economics  # noqa: E402
from webapp.offline import install_leaflet  # noqa: E402
from webapp.text import TABS, md_escape  # noqa: E402
from webapp.userfiles import candidates_key, effective_dataset, your_data_tab  # noqa: E402
from webapp.widgets import control, from_widget, weight_key, weight_slider, widget_text  # noqa: E402

APP_DIR = Path(__file__).resolve().parent
ASSET_BASE = "/app/static/leaflet"  # Streamlit serves ./static/ here (server.enableStaticServing)
MAP_BASE = "/app/static/maps"  # the base maps' scripts, one file per base map (webapp/foliummap.publish)
RESOLUTION_TEXT = {5: "5 (~250 km² cells, 3,280)", 6: "6 (~36 km², 22,908)", 7: "7 (~5 km², 160,379)",
                   8: "8 (~0.7 km², 1.1 million: slow first time)"}
# The page goes to resolution 8. Resolution 9 (about 8 million cells) is for the command line, where it is measured in
# partitions (sitefinder rank --resolution 9, optionally --workers N); one server holding it for every user would not.
APP_MAX_RESOLUTION = 8
ALL_PROVINCES = "All provinces"
CLIMATE_METRICS = {"hours_above_35c": ("hours above 35 °C", "h/yr", (0, 2500)),
                   "cooling_degree_days": ("cooling degree days", "°C·day", (500, 4000)),
                   "hottest_month_tmax_c": ("hottest-month max", "°C", (25, 46))}

def _cache_folium_templates() -> None:
    """folium renders the map by compiling Jinja templates on every run (about 130 a run, most with the same text
    each time). Compiling is memoised per environment and text (at most 2,048 kept): measured at resolution 8,
    ~0.28 s of a weight change's server time. A compiled template is immutable, so sharing one is safe."""
    if getattr(jinja2.Environment.from_string, "_sitefinder_memo", False):
        return
    original = jinja2.Environment.from_string
    memo: dict[tuple[int, str, object], jinja2.Template] = {}

    def from_string(self: jinja2.Environment, source: Any, globals: Any = None,  # noqa: A002
                    template_class: Any = None) -> jinja2.Template:
        if globals or not isinstance(source, str):
            return original(self, source, globals, template_class)
        key = (id(self), source, template_class)
        found = memo.get(key)
        if found is None:
            if len(memo) >= 2048:
                memo.clear()
            found = memo[key] = original(self, source, None, template_class)
        return found

    from_string._sitefinder_memo = True  # type: ignore[attr-defined]
    jinja2.Environment.from_string = from_string  # type: ignore[method-assign]


_cache_folium_templates()


def _deterministic_element_ids() -> threading.local:
    """folium names every element with a random id, so the same map renders to different text on every run and
    none of its compiled templates can be reused. Ids drawn from a per-run counter (reset at the start of each run,
    per session thread) make an unchanged layer render to the same text, so the memo above finds it."""
    # Kept on the branca module: app.py runs afresh each time, so its own globals would not outlive a run.
    counters: threading.local | None = getattr(branca.element, "_sitefinder_ids", None)
    if counters is not None:
        return counters
    counters = threading.local()
    original = branca.element.Element._generate_id

    def generate_id(cls: Any) -> str:
        n = getattr(counters, "n", None)
        if n is None:
            return str(original())
        counters.n = n + 1
        return f"sf{n:030x}"

    branca.element.Element._generate_id = classmethod(generate_id)  # type: ignore[assignment,method-assign]
    branca.element._sitefinder_ids = counters  # type: ignore[attr-defined]
    return counters


_ELEMENT_IDS = _deterministic_element_ids()

st.set_page_config(page_title="sitefinder: where surplus power can run a mine or a data centre", page_icon="⚡",
                   layout="wide", initial_sidebar_state="expanded")


# ------------------------------------------------------------------------------------------------
# Cached heavy objects (keyed by data version and resolution; cache_resource never pickles)


@st.cache_resource(show_spinner=False)
def _assets() -> Path:
    return install_leaflet(APP_DIR / "static" / "leaflet")


@st.cache_resource(show_spinner="Loading the built-in Pakistan data ...")
def _dataset() -> Dataset:
    return load_default()


@st.cache_resource(show_spinner="Measuring every candidate site (once per dataset and resolution) ...", max_entries=6)
def _study(version: str, resolution: int, _ds: Dataset) -> Study:
    study = Study.on_h3(_ds, resolution)
    _ = study.site  # compute and keep the expensive criteria now
    return study


@st.cache_resource(show_spinner=False, max_entries=64)
def _shortlist(version: str, candidates: str, settings: str, _study_obj: Study, _sc: Scenario, _prof: Profile) -> Shortlist:
    """The ranking for these settings, shared by every session that asks for the same (read-only): twenty people on
    the default view rank once, not twenty times."""
    return make_shortlist(_study_obj, _sc, _prof)


@st.cache_resource(show_spinner=False, max_entries=64)
def _score_png(ranking_key: str, _grid: mapview.RasterGrid, _scores: np.ndarray) -> str:
    """The score surface as a PNG for one ranking (data version, candidates and settings in ``ranking_key``),
    encoded once and shared by every session that ranks the same way."""
    return mapview.raster_png(_grid, _scores, 0, 100, SCORE_RAMP, alpha=190)


@st.cache_resource(show_spinner=False, max_entries=16)
def _base_map_text(base_key: str, _make: Callable[[], folium.Map]) -> foliummap.MapText:
    """The base map (everything a weight does not change) rendered once per ``base_key`` (data, candidates,
    season, climate layer, street tiles) and shared by every session."""
    return foliummap.render_base(_make())


@st.cache_resource(show_spinner=False, max_entries=64)
def _layer_control_text(base_key: str, group_names: tuple[str, ...], _make: Callable[[], folium.Map]) -> str:
    """The layer control for that base map with these feature groups (it depends on their names only)."""
    return foliummap.layer_control_text(_make(), group_names, folium.LayerControl(collapsed=True))


@st.cache_resource(show_spinner=False, max_entries=64)
def _shortlist_files(ranking_key: str, _short: Shortlist) -> tuple[str, str]:
    """The shortlist's GeoJSON and CSV downloads for one ranking, made once and shared like the ranking."""
    return shortlist_geojson(_short.frame, _short.metadata), shortlist_csv(_short.table)


@st.cache_resource(show_spinner="Measuring your candidate sites ...", max_entries=6)
def _site_study(version: str, sites_key: str, _ds: Dataset, _sites: gpd.GeoDataFrame, name: str) -> Study:
    study = Study.on_sites(_ds, _sites, name)
    _ = study.site
    return study


@st.cache_resource(show_spinner=False, max_entries=6)
def _layers(version: str, _ds: Dataset) -> mapview.DisplayLayers:
    return mapview.prepare_layers(_ds)


@st.cache_resource(show_spinner="Preparing the map surfaces ...", max_entries=6)
def _raster(version: str, candidates_key: str, _study_obj: Study, _bounds: tuple) -> mapview.RasterGrid:
    return mapview.candidate_raster(_study_obj.candidates, _bounds)


@st.cache_resource(show_spinner=False, max_entries=16)
def _climate_png(version: str, candidates_key: str, metric: str, _study_obj: Study, _grid: mapview.RasterGrid) -> str:
    lo, hi = CLIMATE_METRICS[metric][2]
    values = _study_obj.site[metric].to_numpy(float)
    return mapview.raster_png(_grid, values, lo, hi, HEAT_RAMP, alpha=210)


# ------------------------------------------------------------------------------------------------
# Scenario <-> widgets <-> URL


@functools.lru_cache(maxsize=16)
def _profile(name: str) -> Profile:
    """A profile by name, read once per server (a Profile is frozen; every run asks for it a dozen times)."""
    return load_profile(name)


def _known_provinces() -> list[str]:
    districts = _dataset().get("districts")
    return sorted({str(p) for p in districts["province"].dropna()}) if districts is not None else []


def _set_widgets_from(sc: Scenario) -> None:
    """Put a scenario into the widgets' session state (URL on first load, a loaded file, a reset). Widget keys
    are the settings' URL keys; what the controls show is the scenario with the profile's values filled in."""
    full = sc.filled(_profile(sc.profile))
    ss = st.session_state
    for s in SETTINGS.values():
        if not s.widget:
            continue
        if s.kind == "weights":
            for name, w in full.weights.items():
                ss[f"w_{name}"] = float(w)
        elif s.name == "province":
            ss[s.url_key] = full.province or ALL_PROVINCES
        else:
            ss[s.url_key] = widget_text(s.name, getattr(full, s.name))
    ss["focus"] = sc.focus
    ss["compare"] = list(sc.selected)


def _scenario_from_widgets() -> Scenario:
    """The scenario the controls show, with what equals the profile's defaults left out (core: canonical)."""
    ss = st.session_state
    prof = _profile(ss["profile"])
    values = {}
    problems = {}
    for s in SETTINGS.values():
        if s.widget and s.kind != "weights":
            values[s.name], problem = from_widget(s.name, ss[s.url_key])
            if problem:
                problems[s.name] = problem
    ss["_widget_problems"] = problems  # shown next to the control (a value typed as text that cannot be used)
    values["weights"] = {c.name: float(ss[f"w_{c.name}"]) for c in prof.criteria if ss.get(f"w_{c.name}") is not None}
    values["province"] = None if values["province"] == ALL_PROVINCES else values["province"]
    sc = Scenario(**values, focus=None if ss.get("_focus_auto", True) else ss.get("focus"),
                  selected=tuple(ss.get("compare") or ()))
    return sc.canonical(prof)


PAGE_CONTROLS = {"show_pinned": True}  # controls that are not settings, with their first value


def _keep_controls_of_closed_tabs() -> None:
    """Keep what the user set in a tab that is closed now. Only the open tab runs, and Streamlit forgets a widget
    it did not draw in a run; saving each control's key again at the start of the run keeps its value."""
    ss = st.session_state
    for key, first in PAGE_CONTROLS.items():
        ss.setdefault(key, first)
    keys = [s.url_key for s in SETTINGS.values() if s.widget and s.kind != "weights"]  # weights: always in the sidebar
    for key in [*keys, *PAGE_CONTROLS]:
        if key in ss:
            ss[key] = ss[key]


def _on_profile_change() -> None:
    """A new profile brings its own size, season, weights and limits; resolution and view settings stay."""
    ss = st.session_state
    keep = Scenario(profile=ss["profile"], resolution=int(ss["res"]), top=int(ss["top"]),
                    max_per_node=int(ss["per_node"]),
                    province=None if ss["province"] == ALL_PROVINCES else ss["province"],
                    draws=int(ss["draws"]), seed=int(ss["seed"]), weight_spread=float(ss["wspread"]),
                    data_spread=ss["dspread"], headroom_range=from_widget("headroom_range", ss["headroom"])[0],
                    how_sure=bool(ss["sure"]))
    # Economics the user changed (a tariff, an exchange rate ...) stay when the new profile's model uses them too.
    before = ss.get("_profile_shown")
    if before:
        old, new = _profile(before), _profile(ss["profile"])
        changed: dict[str, Any] = {n: float(ss[SETTINGS[n].url_key]) for n in ECONOMICS
                   if n in new.economics.used() and float(ss[SETTINGS[n].url_key]) != old.economics[n]}
        keep = replace(keep, **changed)
    _set_widgets_from(keep)


def _reset_weights() -> None:
    for c in _profile(st.session_state["profile"]).criteria:
        st.session_state[weight_key(c.name)] = float(c.weight)


def _reset_economics() -> None:
    reset_economics(_profile)


def _usable_here(sc: Scenario) -> tuple[Scenario, list[str]]:
    """``Scenario.usable`` plus the page's own limit: a resolution above APP_MAX_RESOLUTION is lowered, and said."""
    sc, notes = sc.usable(_profile(sc.profile), _known_provinces())
    if sc.resolution > APP_MAX_RESOLUTION:
        notes.append(f"resolution {sc.resolution} is for the command line (sitefinder rank --resolution {sc.resolution}); "
                     f"the page shows resolution {APP_MAX_RESOLUTION}")
        sc = replace(sc, resolution=APP_MAX_RESOLUTION)
    return sc, notes


def _load_scenario_file() -> None:
    up = st.session_state.get("scenario_file")
    if up is None:
        return
    try:
        sc, problems = Scenario.from_json(up.getvalue(), source=up.name)
        sc, notes = _usable_here(sc)
        sc.apply()  # refuse a scenario the engine cannot run, before touching any widget
    except SitefinderError as exc:
        st.session_state["flash"] = ("error", f"Could not load the scenario. {exc}")
        return
    _set_widgets_from(sc)
    st.session_state["_zoom_to_focus"] = bool(sc.focus)
    st.session_state["_focus_auto"] = not sc.focus
    said = [str(p) for p in problems] + notes
    msg = f"Loaded scenario from {up.name}."
    if said:
        msg += " Some values were not usable and the defaults were kept: " + "; ".join(said)
    st.session_state["flash"] = ("warning" if said else "success", msg)


def _first_load() -> None:
    if "profile" in st.session_state:
        return
    sc, parsed = Scenario.from_query(st.query_params.to_dict())
    sc, notes = _usable_here(sc)
    problems = [str(p) for p in parsed] + notes
    _set_widgets_from(sc)
    st.session_state["_zoom_to_focus"] = bool(sc.focus)
    st.session_state["_focus_auto"] = not sc.focus
    if problems:
        st.session_state["flash"] = ("warning", "The link had values that could not be used, so defaults were kept: "
                                     + "; ".join(str(p) for p in problems))


# ------------------------------------------------------------------------------------------------
# Page parts


def sidebar(prof: Profile, dataset: Dataset, known_provinces: list[str]) -> None:
    """The sidebar: profile, size, season, weights, constraints, candidates and map options (all from the settings table)."""
    sb = st.sidebar
    sb.title("⚡ sitefinder")
    sb.caption("Where can surplus electricity run a Bitcoin mine or an AI data centre?")
    control(sb, "profile", format_func=lambda n: _profile(n).title, on_change=_on_profile_change)
    sb.caption(prof.description)
    control(sb, "mw", help=f"Typical {prof.title.lower()}: {prof.mw_range[0]:g}-{prof.mw_range[1]:g} MW. "
                           f"{SETTINGS['mw'].help}")
    control(sb, "season", format_func=lambda s: SEASON_LABELS.get(s, s))

    sb.subheader("Weights")
    total = sum(float(st.session_state.get(weight_key(c.name), c.weight)) for c in prof.criteria) or 1.0
    for c in prof.criteria:
        info = CRITERIA[c.name]
        share = float(st.session_state.get(weight_key(c.name), c.weight)) / total
        weight_slider(sb, c.name, label=f"{info.label}: {share:.0%}",
                      help=f"{info.description} ({info.unit}; {c.direction}; {c.value.describe()})"
                           + (" Estimate." if info.estimate else ""))
    sb.button("Reset weights to the profile", on_click=_reset_weights, width="stretch")

    with sb.expander("Constraints", expanded=False):
        control(st, "max_grid_km")
        control(st, "min_voltage_kv", format_func=lambda v: f"{v:g} kV")
        control(st, "land_exclusions")
        if any(c.column == "town_distance_km" for c in prof.constraints):
            con = next(c for c in prof.constraints if c.column == "town_distance_km")
            control(st, "town_setback", label=f"Noise setback: at least {con.threshold(prof.params()):g} km from towns")
        st.caption("Other rules of this profile: " + "; ".join(
            c.describe(prof.params()) for c in prof.constraints
            if c.column not in ("grid_distance_km", "land_excluded", "town_distance_km")))

    with sb.expander("Candidates and shortlist", expanded=False):
        control(st, "resolution", format_func=lambda r: RESOLUTION_TEXT.get(r, str(r)),
                options=range(int(SETTINGS["resolution"].lo or 5), APP_MAX_RESOLUTION + 1))
        control(st, "top")
        control(st, "max_per_node")
        control(st, "province", options=[ALL_PROVINCES, *known_provinces])

    with sb.expander("Map", expanded=False):
        st.selectbox("Climate layer shows", list(CLIMATE_METRICS), key="climate_metric",
                     format_func=lambda k: CLIMATE_METRICS[k][0])
        st.checkbox("Street base map (needs internet)", key="tiles", value=False,
                    help="Off by default: the map is complete without it and works offline.")

    sb.caption(f"sitefinder {__version__} · data: {dataset.name} ({dataset.version[:8]})")


def scenario_io(slot: st.delta_generator.DeltaGenerator) -> None:
    """Save/load, drawn last so the saved file holds the view as it is now (open card, comparison)."""
    with slot.expander("Save or load a scenario", expanded=False):
        st.download_button("Save scenario (.json)", _scenario_from_widgets().to_json(), file_name="sitefinder-scenario.json",
                           mime="application/json", width="stretch")
        st.file_uploader("Load a scenario", type=["json"], key="scenario_file", on_change=_load_scenario_file,
                         help="A file saved with 'Save scenario'. It replaces the current settings.")
        st.caption("The page address holds the whole scenario too: copy it to share this exact view.")


def _place_text(v: object) -> str:
    return "beyond" if v is None or pd.isna(v) else f"#{int(v)}"  # type: ignore[call-overload]


def site_card(short: Shortlist, cid: str, prof: Profile, sure: RobustRun | None = None) -> None:
    """The card of one shortlisted site: score, how sure (when the draws have run), contributions, connection
    point, region, climate, land and gaps."""
    t = short.table
    row = t[t["candidate_id"] == cid]
    if row.empty:
        st.info("Select a site in the table or click one on the map to see why it ranks where it does.")
        return
    r = row.iloc[0]
    place = ", ".join(str(v) for v in (r.get("district"), r.get("province")) if isinstance(v, str)) or cid
    st.markdown(f"### #{int(r['rank'])} · {md_escape(place)}")
    c1, c2, c3 = st.columns(3)
    c1.metric("Score", f"{r['score']:.1f}", help="Weighted sum, 0-100")
    c2.metric("Overall rank", f"{int(r['overall_rank']):,}", help="Among every candidate that passes the constraints")
    c3.metric("TOPSIS", f"{r['topsis_score']:.1f}", help="Cross-check score (relative to the passing candidates)")
    if sure is not None:
        robust = sure.for_rows(np.asarray(short.rows)[[int(row.index[0])]]).iloc[0]
        s1, s2, s3 = st.columns(3)
        s1.metric("Shortlisted", f"{robust['p_top_n']:.0%}",
                  help=f"Share of the {sure.settings.draws:,} draws in which this site is in the shortlist of {len(t)}")
        s2.metric("Rank range", f"{_place_text(robust['rank_p05'])}-{_place_text(robust['rank_p95'])}",
                  help="The place it reaches or beats in 5 % and in 95 % of the draws ('beyond': not shortlisted "
                       f"that often). Median: {_place_text(robust['rank_p50'])}.")
        s3.metric("Node kept", f"{robust['p_node_top_n']:.0%}",
                  help="Share of draws in which this connection point has a site (this one or a neighbour) in the shortlist")
        verdict = ("robust: shortlisted in at least 80 % of the draws" if robust["p_top_n"] >= mapview.ROBUST else
                   "fragile: it drops out of the shortlist in many draws; see 'How sure?' for the figures that decide it")
        st.caption(md_escape(f"How sure: {verdict}. Median rank {_place_text(robust['rank_p50'])}; passes the "
                             f"constraints in {robust['p_feasible']:.0%} of the {sure.settings.draws:,} draws."))
    contrib = pd.DataFrame({
        "criterion": [CRITERIA[c].label for c in short.result.criteria],
        "points": [float(r[f"contrib_{c}"]) for c in short.result.criteria],
    })
    st.caption("Contribution of each criterion to the score (points; they add up to the score)")
    st.bar_chart(contrib, x="criterion", y="points", horizontal=True, height=60 + 28 * len(contrib))

    st.markdown("**Connection point**")
    st.table(pd.DataFrame({"": [
        str(r["grid_node"]), mapview.num(r["grid_voltage_kv"], ".0f", "kV", "not published"),
        mapview.ranged(r, "grid_distance_km", "km", fmt=".1f", estimate=False),
        mapview.num(r["grid_headroom_mw"], ",.0f", "MW", "unknown (not published)"),
        str(mapview.text_or(r.get("grid_location_precision"), "—"))]},
        index=["Node", "Voltage", "Distance", "Headroom", "Node location"]))
    season = SEASON_LABELS.get(prof.season, prof.season)
    st.markdown("**Region, climate and land**")
    rows = {
        f"Region surplus, {season.lower()}": f"{mapview.ranged(r, 'region_surplus_mw', 'MW')} in {r['region']}",
        "Winter surplus": mapview.ranged(r, "surplus_winter_mw", "MW"),
        "Summer surplus": mapview.ranged(r, "surplus_summer_mw", "MW"),
    }
    for col in ("hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c", "free_cooling_months"):
        if col in r:
            info = CRITERIA[col]
            rows[info.label] = mapview.ranged(r, col, info.unit, fmt=",.1f" if col.endswith("_c") else ",.0f")
    if "climate_station_km" in r:
        rows["Nearest weather station"] = mapview.num(r["climate_station_km"], ",.0f", "km away")
    rows["2022 floods"] = (f"district on a 2022 list ({mapview.text_or(r.get('flood_2022_basis'), 'source not stated')})"
                           if r.get("flood_2022") == 1 else "district on no 2022 flood list")
    rows["Nearest town / large city"] = (f"{r.get('nearest_town', '—')} ({mapview.num(r.get('town_distance_km'), ',.0f', 'km')}) / "
                                          f"{r.get('nearest_large_city', '—')} "
                                          f"({mapview.num(r.get('large_city_distance_km'), ',.0f', 'km')})")
    rows["Connectivity"] = f"{r.get('connectivity_point', '—')} ({mapview.num(r.get('connectivity_distance_km'), ',.0f', 'km')})"
    st.table(pd.DataFrame({"": list(rows.values())}, index=list(rows.keys())))
    money = figure_lines(r, prof.economics)
    st.markdown("**Costs" + (" and earnings" if prof.economics.revenue == "hashprice" else "") + "** (estimates; the "
                "parameters and their sources are in the Economics tab)")
    st.table(pd.DataFrame({"": [t for _, t in money]}, index=[k for k, _ in money]))
    gaps = mapview.text_or(r.get("data_gaps"), "")
    if gaps:
        st.warning(md_escape(f"Data gaps: {gaps}. Unknown values count as neutral (0.5) and are not zero."))
    st.caption(md_escape(f"Location {r['lat']:.4f}° N, {r['lon']:.4f}° E · site {cid}"))


def _close_explanation() -> None:
    st.session_state.pop("explain_at", None)


def explanation_panel(ex: Explanation) -> None:
    """"Why not here?" for a clicked place: verdicts, values with ranges and sources, nearest nodes."""
    place = ", ".join(p for p in (ex.district, ex.province) if p) or "outside every district"
    st.markdown(f"### Why not here? · {md_escape(place)}")
    st.caption(md_escape(f"{ex.lat:.4f}° N, {ex.lon:.4f}° E · supply region {ex.region or 'none'} · "
                         f"{ex.facility_mw:g} MW, {SEASON_LABELS.get(ex.season, ex.season).lower()} surplus"))
    st.button("Close and show the site card", on_click=_close_explanation, key="close_explain")
    c1, c2 = st.columns(2)
    if ex.score is not None:
        c1.metric("Score", f"{ex.score:.1f}")
        c2.metric("Rank of its cell", f"{ex.rank:,}" if ex.rank else "—",
                  help="Rank of the candidate cell that holds this point among all that pass the constraints")
        st.success("This place passes every constraint of the profile.")
    else:
        c1.metric("Score if allowed", f"{ex.score_if_allowed:.1f}")
        c2.metric("Constraints broken", f"{sum(not c.passed for c in ex.constraints)}")
        st.error(md_escape("Not eligible: " + "; ".join(f"{c.label}: {c.detail}" for c in ex.constraints if not c.passed)))
    st.markdown("**Constraints**")
    st.dataframe(pd.DataFrame([{"met": "yes" if c.passed else "NO", "rule": c.label, "why": c.detail} for c in ex.constraints]),
                 hide_index=True, width="stretch")
    st.markdown("**Values, ranges and sources**")
    rows = []
    for v in ex.values.values():
        shown = ("unknown" if v.value is None else ("yes" if v.value else "no")) if v.unit == "0/1" else format_estimate(
            v.value, v.low, v.high, fmt=",.1f" if v.unit in ("°C", "km") else ",.0f", unit=v.unit, estimate=v.estimate)
        rows.append({"value": v.label, "figure": shown, "source": v.source})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if ex.nearest_nodes:
        st.markdown("**Nearest grid nodes this profile may connect to**")
        st.dataframe(pd.DataFrame([{
            "node": n["name"], "kV": mapview.num(n["voltage_kv"], ".0f", unknown="not published"),
            "distance": format_estimate(n["distance_km"], n["distance_km_low"], n["distance_km_high"], fmt=",.1f", unit="km",
                                        estimate=False),
            "headroom": mapview.num(n["headroom_mw"], ",.0f", "MW", "unknown"), "location": n["location_precision"] or "as supplied",
        } for n in ex.nearest_nodes]), hide_index=True, width="stretch")
    if ex.data_gaps:
        st.warning(md_escape("Unknown here (scored as the profile says, never as zero): " + ", ".join(ex.data_gaps)))


def compare_tab(short: Shortlist, sure: RobustRun | None = None) -> None:
    """Two to five shortlisted sites side by side (table and stacked contributions)."""
    t = short.table
    if len(t) < 2:
        st.info("The shortlist needs at least two sites to compare.")
        return
    labels = {cid: f"#{rk} {d or cid}" for cid, rk, d in zip(t["candidate_id"], t["rank"], t["district"])}
    chosen = [c for c in (st.session_state.get("compare") or []) if c in labels]
    defaults = chosen if len(chosen) >= 2 else list(t["candidate_id"].head(3))
    # The widget's key follows the shortlist, so labels that carry a rank never go stale in the browser.
    key = "compare_pick_" + str(abs(hash(tuple(labels.items()))) % 10**12)
    picked = st.multiselect("Sites to compare (2 to 5)", list(labels), default=defaults if key not in st.session_state else None,
                            key=key, max_selections=5, format_func=lambda c: labels.get(c, str(c)))
    if picked != defaults or chosen:
        st.session_state["compare"] = picked
    if len(picked) < 2:
        st.info("Pick at least two sites.")
        return
    sub = t.set_index("candidate_id").loc[picked]
    show = {
        "Rank": sub["rank"], "Score": sub["score"].round(1), "TOPSIS": sub["topsis_score"].round(1),
    }
    if sure is not None:
        position = {c: i for i, c in enumerate(t["candidate_id"])}
        robust = sure.for_rows(np.asarray(short.rows)[[position[c] for c in picked]])
        show["Shortlisted (share of draws)"] = [f"{p:.0%}" for p in robust["p_top_n"]]
        show["Rank, 5 % / median / 95 % of draws"] = [
            f"{_place_text(a)} / {_place_text(b)} / {_place_text(c)}"
            for a, b, c in zip(robust["rank_p05"], robust["rank_p50"], robust["rank_p95"])]
        show["Grid node shortlisted"] = [f"{p:.0%}" for p in robust["p_node_top_n"]]
    show |= {
        "Place": [", ".join(str(v) for v in (d, p) if isinstance(v, str)) for d, p in zip(sub["district"], sub["province"])],
        "Grid node": sub["grid_node"],
        "Voltage (kV)": sub["grid_voltage_kv"].map(lambda v: mapview.num(v, ".0f", unknown="not published")),
        "Distance to node": [mapview.ranged(r, "grid_distance_km", "km", fmt=".1f", estimate=False) for _, r in sub.iterrows()],
        "Headroom (MW)": sub["grid_headroom_mw"].map(lambda v: "unknown" if pd.isna(v) else f"{v:,.0f}"),
        "Region": sub["region"],
        "Region surplus": [mapview.ranged(r, "region_surplus_mw", "MW") for _, r in sub.iterrows()],
    }
    for col in short.result.criteria:
        if col in sub and CRITERIA[col].family == "climate":
            show[CRITERIA[col].label] = [mapview.ranged(r, col, CRITERIA[col].unit, fmt=",.1f" if col.endswith("_c") else ",.0f")
                                         for _, r in sub.iterrows()]
    money = [figure_lines(r, short.result.profile.economics) for _, r in sub.iterrows()]  # once per site
    for i, (label, _) in enumerate(money[0]):
        show[label] = [lines[i][1] for lines in money]
    show["Data gaps"] = sub["data_gaps"].replace("", "none")
    table = pd.DataFrame(show).T
    table.columns = [labels[c] for c in picked]
    st.dataframe(table.astype(str), width="stretch")
    long = pd.DataFrame([{"site": labels[c], "criterion": CRITERIA[k].label, "points": float(sub.loc[c, f"contrib_{k}"])}
                         for c in picked for k in short.result.criteria])
    st.caption("Score built up from each criterion's contribution (points)")
    st.bar_chart(long, x="site", y="points", color="criterion", horizontal=True, height=80 + 45 * len(picked))


def _robust(study: Study, sc: Scenario, prof: Profile, key: str, slot: st.delta_generator.DeltaGenerator) -> RobustRun | None:
    """The draws for this scenario, run once (a progress bar in ``slot`` while they run) and kept for the session."""
    memo = st.session_state.get("_robust")
    if memo is not None and memo[0] == key:
        return memo[1]
    bar = slot.progress(0.0, text="How sure? Preparing the draws ...")

    def tell(share: float, message: str) -> None:
        bar.progress(min(1.0, share), text=f"How sure? {message}")

    try:
        run = run_robustness(study, sc, prof, voi=True, progress=tell)
    except SitefinderError as exc:
        slot.error(md_escape(f"The draws could not run. {exc}"))
        return None
    finally:
        bar.empty()
    st.session_state["_robust"] = (key, run)
    return run


def how_sure_tab(sure: RobustRun | None, prof: Profile) -> None:
    """"How sure?": what the draws mean, their settings, the robust shortlist and the figures to ask for first."""
    st.markdown("#### How sure is this ranking?")
    st.markdown(
        "No substation's spare capacity is published, each region's surplus is an estimate with a range, the climate "
        "between weather stations is interpolated, many grid stations are mapped only to their town, and the weights "
        "are a judgement. **How sure?** redoes the ranking many times, each time with the weights and every estimated "
        "figure drawn within its range, and counts how often each site is shortlisted. A site shortlisted in nearly "
        "every draw is **robust**: it does not rest on one assumption. One that drops out often is **fragile**. The "
        "table at the bottom names the figures that would settle the ranking most: ask for those first.")
    c1, c2 = st.columns(2)
    with c1:
        control(st, "how_sure")
        control(st, "draws")
        control(st, "seed")
    with c2:
        control(st, "weight_spread")
        control(st, "data_spread")
        control(st, "headroom_range")
        problem = (st.session_state.get("_widget_problems") or {}).get("headroom_range")
        if problem:
            st.warning(md_escape(problem))
    if sure is None:
        st.info("Tick 'Show how sure each site is' to run the draws (a few seconds at the default resolution). The map, "
                "the site card and the comparison then show how often each site is shortlisted.")
        return
    s = sure.settings
    table = sure.table
    shortlisted = table[table["rank"].notna()]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Draws", f"{s.draws:,}", help=f"Seed {s.seed}: the same seed gives the same answer")
    m2.metric("Robust sites", f"{int((shortlisted['p_top_n'] >= mapview.ROBUST).sum())} of {len(shortlisted)}",
              help="Shortlisted in at least 80 % of the draws")
    m3.metric("Can ever pass", f"{len(sure.engine.rows):,}", help="Candidates that pass every constraint in at least one draw")
    m4.metric("Time", f"{sum(sure.seconds.values()):.1f} s")
    st.markdown("**The robust shortlist** (sites shortlisted in at least half the draws by their median place, then "
                "the others by how often they are shortlisted; sites of the ordinary shortlist outside it at the end)")
    view = table[["rank", "central_rank", "p_top_n", "p_node_top_n", "p_feasible", "rank_p05", "rank_p50", "rank_p95",
                  "district", "province", "grid_node", "score", "candidate_id"]]
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), column_config={
        "rank": st.column_config.NumberColumn("robust rank"),
        "central_rank": st.column_config.NumberColumn("ordinary rank"),
        "p_top_n": st.column_config.ProgressColumn("shortlisted", min_value=0, max_value=1, format="percent"),
        "p_node_top_n": st.column_config.ProgressColumn("node shortlisted", min_value=0, max_value=1, format="percent"),
        "p_feasible": st.column_config.NumberColumn("passes constraints", format="percent"),
        "rank_p05": st.column_config.NumberColumn("rank 5 %"), "rank_p50": st.column_config.NumberColumn("median rank"),
        "rank_p95": st.column_config.NumberColumn("rank 95 %"),
        "score": st.column_config.NumberColumn("score (central)", format="%.1f")})
    st.markdown("**Figures to ask for first**: each uncertain figure moved across its range with everything else at "
                "its central value; how many of the shortlisted sites change on average, and at most")
    voi = sure.voi_table()
    moving = voi[voi["expected_changes"] > 0]
    if moving.empty:
        st.info("No single uncertain figure, moved across its range, changes the shortlist.")
    else:
        st.dataframe(moving[["figure", "expected_changes", "most_changes", "expected_node_changes", "now", "ask", "decides"]],
                     hide_index=True, width="stretch", height=min(460, 38 + 35 * len(moving)), column_config={
                         "expected_changes": st.column_config.NumberColumn("sites changed (average)", format="%.2f"),
                         "most_changes": st.column_config.NumberColumn("at most"),
                         "expected_node_changes": st.column_config.NumberColumn("grid nodes changed", format="%.2f")})
        st.caption(f"{len(moving)} of {len(voi)} uncertain figures can change the shortlist on their own.")
    stem = f"sitefinder_robust_{prof.name}_{prof.facility_mw:g}mw"
    d1, d2, d3, _ = st.columns([1, 1, 1, 2])
    d1.download_button("Robust shortlist (GeoJSON)", shortlist_geojson(sure.frame, sure.metadata),
                       file_name=f"{stem}.geojson", mime="application/geo+json", width="stretch")
    d2.download_button("Robust shortlist (CSV)", shortlist_csv(sure.table), file_name=f"{stem}.csv", mime="text/csv",
                       width="stretch")
    d3.download_button("Figures to ask for (CSV)", voi.to_csv(index=False, lineterminator="\n"),
                       file_name=f"{stem}_figures.csv", mime="text/csv", width="stretch")
    st.caption(md_escape(
        f"Same content as `sitefinder robustness` writes for the same settings and seed. Weights: Dirichlet around "
        f"yours, spread {s.weight_spread:g} %; estimates: {s.data_spread}; unknown headroom: "
        f"{'left unknown' if s.headroom_range is None else f'{s.headroom_range[0]:g}-{s.headroom_range[1]:g} MW'}. "
        "What the probabilities mean, and what they do not: README, 'How sure is the ranking?'."))


def _portfolio(study: Study, sc: Scenario, prof: Profile, key: str, short: Shortlist | None = None) -> Portfolio | None:
    """The programme for this scenario (kept for the session until a setting changes). Worked out only when the
    Programme tab is open or the map shows it (only the open tab runs)."""
    memo = st.session_state.get("_portfolio")
    if memo is not None and memo[0] == key:
        return memo[1]
    try:
        ranked = (short.matrix, short.result) if short is not None else None
        portfolio = make_portfolio(study, sc, prof, ranked=ranked)
    except SitefinderError as exc:
        st.session_state["_portfolio_error"] = str(exc)
        return None
    st.session_state.pop("_portfolio_error", None)
    st.session_state["_portfolio"] = (key, portfolio)
    return portfolio


def programme_tab(portfolio: Portfolio | None, prof: Profile, dataset: Dataset) -> None:
    """"Programme": share a MW target out over sites the grid can serve, with the ledger of what is used up."""
    st.markdown("#### Where do the MW go?")
    st.markdown(
        "Sites are taken in score order. Each draws its MW from its supply region's surplus, month by month, and "
        "from its grid node's spare capacity; both are used up as sites are added. A site may take less than the "
        "facility size (down to the smallest site) to fit what is left. The programme stops at the target or when "
        "nothing more fits, and says which.")
    c1, c2, c3 = st.columns(3)
    with c1:
        control(st, "target_mw")
        control(st, "min_mw")
    with c2:
        control(st, "min_spacing_km")
        control(st, "min_months")
    with c3:
        control(st, "assumed_headroom_mw")
        control(st, "show_programme")
    if portfolio is None:
        st.error(md_escape(f"The programme could not be made. {st.session_state.get('_portfolio_error', '')}"))
        return
    c = portfolio.central
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Allocated", f"{c.total_mw:,.0f} MW", help=f"Of the target of {portfolio.rules.target_mw:,.0f} MW")
    m2.metric("Sites", f"{len(c.rows)}")
    m3.metric("Firm at the low estimate", f"{portfolio.firm_mw.sum():,.0f} MW",
              help="The same sites, in the same order, if every region's surplus were at the low end of its range")
    m4.metric("Regions / nodes drawn on", f"{len(portfolio.regions)} / {len(portfolio.nodes)}")
    (st.success if c.stopped_because.startswith("target reached") else st.warning)(
        md_escape(f"Stopped because: {c.stopped_because}."))
    st.caption(md_escape(f"Runs: {portfolio.rules.months_rule(prof.season)}. {portfolio.rules.headroom_rule()}."))
    money = [c for c in ("energy_cost_usd_per_year", "payback_years") if c in portfolio.table]
    view = portfolio.table[["rank", "allocated_mw", "allocated_mw_at_low", "binding_limit", "months_running", "district",
                            "province", "grid_node", "region", "region_surplus_left_mw", "node_headroom_left_mw", *money,
                            "score", "candidate_id"]].copy()
    if "energy_cost_usd_per_year" in view:
        view["energy_cost_usd_per_year"] = view["energy_cost_usd_per_year"] / 1e6
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), key="programme_table",
                 column_config={"rank": st.column_config.NumberColumn("#"),
                                "allocated_mw": st.column_config.NumberColumn("MW", format="%.0f"),
                                "allocated_mw_at_low": st.column_config.NumberColumn("MW at low estimate", format="%.0f"),
                                "binding_limit": st.column_config.TextColumn("limited by"),
                                "months_running": st.column_config.TextColumn("runs"),
                                "energy_cost_usd_per_year": st.column_config.NumberColumn("energy USD M/yr (est.)",
                                                                                          format="%.1f"),
                                "payback_years": st.column_config.NumberColumn("payback yrs (blank: never)", format="%.1f"),
                                "region_surplus_left_mw": st.column_config.NumberColumn("region surplus left", format="%.0f"),
                                "node_headroom_left_mw": st.column_config.NumberColumn("node headroom left", format="%.0f"),
                                "score": st.column_config.NumberColumn("score", format="%.1f")})
    l1, l2 = st.columns(2)
    with l1:
        st.markdown("**Supply regions: surplus at the start and what is left (MW)**")
        st.dataframe(portfolio.regions.drop(columns=["region_id"]), hide_index=True, width="stretch")
    with l2:
        st.markdown("**Grid nodes: headroom at the start and what is left (MW)**")
        st.dataframe(portfolio.nodes.drop(columns=["grid_node_id"]), hide_index=True, width="stretch")
    stem = f"sitefinder_programme_{prof.name}_{portfolio.rules.target_mw:g}mw"
    d1, d2, d3, _ = st.columns([1, 1, 1, 2])
    d1.download_button("Programme (GeoJSON)", shortlist_geojson(portfolio.frame, portfolio.metadata),
                       file_name=f"{stem}.geojson", mime="application/geo+json", width="stretch")
    d2.download_button("Programme (CSV)", shortlist_csv(portfolio.table), file_name=f"{stem}.csv", mime="text/csv",
                       width="stretch")
    d3.download_button("Programme brief (HTML)",  # made when clicked: it is the largest file and rarely wanted
                       lambda: brief_html(portfolio.frame, portfolio.metadata, dataset, kind="programme", title=prof.title),
                       file_name=f"{stem}_brief.html", mime="text/html", width="stretch")
    st.caption("Same content as `sitefinder allocate` for the same settings. The brief is one file that opens offline "
               "and prints to PDF from the browser.")


def _pin_scenario() -> None:
    st.session_state["_pinned"] = (_scenario_from_widgets().settings(), "the scenario pinned at "
                                   + pd.Timestamp.now().strftime("%H:%M:%S"))


def _load_pinned_file() -> None:
    up = st.session_state.get("pinned_file")
    if up is None:
        return
    try:
        sc, problems = Scenario.from_json(up.getvalue(), source=up.name)
        sc.apply()
    except SitefinderError as exc:
        st.session_state["flash"] = ("error", f"Could not load scenario A. {exc}")
        return
    st.session_state["_pinned"] = (sc.settings(), up.name)
    if problems:
        st.session_state["flash"] = ("warning", f"Scenario A from {up.name}: some values were not usable and defaults "
                                                "were kept: " + "; ".join(str(p) for p in problems))


def scenarios_section(comparison: Comparison | None, label: str | None) -> None:
    """Two scenarios side by side: A (pinned or loaded) against the current one (B)."""
    st.markdown("#### Two scenarios")
    st.caption("Pin the current settings as scenario A (or load a saved scenario file), then change any setting: this "
               "compares A with what the controls show now (B).")
    c1, c2 = st.columns([1, 2])
    c1.button("Pin the current scenario as A", on_click=_pin_scenario, width="stretch")
    c2.file_uploader("or load scenario A from a file", type=["json"], key="pinned_file", on_change=_load_pinned_file)
    if comparison is None:
        return
    st.markdown(md_escape(f"**A**: {label} · **B**: the current settings"))
    st.checkbox("Show scenario A's sites on the map (orange rings)", key="show_pinned")
    if len(comparison.settings):
        st.dataframe(comparison.settings, hide_index=True, width="stretch")
    else:
        st.caption("A and B have the same settings.")
    (st.info if comparison.unchanged else st.success)(md_escape(comparison.summary()))
    st.dataframe(comparison.table, hide_index=True, width="stretch", height=min(460, 38 + 35 * len(comparison.table)),
                 column_config={"rank_a": st.column_config.NumberColumn("rank in A"),
                                "rank_b": st.column_config.NumberColumn("rank in B"),
                                "score_a": st.column_config.NumberColumn("score in A", format="%.1f"),
                                "score_b": st.column_config.NumberColumn("score in B", format="%.1f")})


def about_tab(dataset: Dataset, prof: Profile) -> None:
    """How the score is computed, every layer with its sources, and the dataset README."""
    st.markdown("#### How the score is computed")
    st.markdown(
        "Every candidate cell gets raw values for each criterion (distance to the nearest eligible grid node, the "
        "supply region's surplus in the chosen season, climate, connectivity, flood history). A **value function** "
        "turns each into 0 to 1 over a fixed range that does not change with what is on screen, so a score means the "
        "same everywhere. The **weights** you set are scaled to add up to 100 %; a weight of 0 ignores a criterion. "
        "The **score** (0-100) is the weighted sum, and each criterion's **contribution** is its part of it. "
        "**Constraints** are hard: a site that breaks one is left out and the reason is counted. A value that is "
        "**unknown** (for example grid headroom, which is published for no station) is never taken as zero: the "
        "profile says whether it counts as neutral (0.5, flagged as a data gap) or excludes the site. TOPSIS is "
        "computed alongside as a cross-check.")
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
        rows.append({"layer": kind, "file": dataset.file_label(kind) or "",
                     "features": len(frame), "sources": " ; ".join(parts[:4]) + (f" (+{len(parts) - 4} more)" if len(parts) > 4 else "")})
    st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)
    readme = default_data_dir() / "README.md"
    if readme.exists():
        with st.expander("The dataset README: every layer, its sources, and which values are estimates", expanded=True):
            st.markdown(readme.read_text(encoding="utf-8"))


def _focus_on(candidate_id: str) -> None:
    st.session_state["_last_click"] = candidate_id
    st.session_state["focus"] = candidate_id
    st.session_state["_focus_auto"] = False
    st.session_state.pop("explain_at", None)


# ------------------------------------------------------------------------------------------------
# Main


def map_tab(study: Study, dataset: Dataset, prof: Profile, short: Shortlist, shown: gpd.GeoDataFrame,
            sure: RobustRun | None, portfolio: Portfolio | None, pinned_short: Shortlist | None, ranking_key: str) -> None:
    """The first tab: the map (score surface, layers, ranked sites), the site card or "why not here?", the table
    and the shortlist downloads. ``ranking_key`` names the ranking (data, candidates, settings) for shared caches."""
    res = short.result
    version, ckey = dataset.version, candidates_key(study, int(st.session_state["res"]))
    col_map, col_card = st.columns([2, 1], gap="medium")
    metric = st.session_state.get("climate_metric", "hours_above_35c")
    layers = _layers(version, dataset)
    grid = _raster(version, ckey, study, layers.bounds)
    score_png = _score_png(ranking_key, grid, res.score) if study.candidates.kind == "h3" else None
    climate_png = _climate_png(version, ckey, metric, study, grid) if study.candidates.kind == "h3" else None
    tiles = bool(st.session_state.get("tiles"))

    def make_base() -> folium.Map:
        return mapview.base_map(
            layers, asset_base=ASSET_BASE, season=prof.season, climate_png=climate_png,
            climate_label=f"{CLIMATE_METRICS[metric][0]} ({CLIMATE_METRICS[metric][1]})",
            climate_range=CLIMATE_METRICS[metric][2], online_tiles=tiles)

    base_key = f"{version}|{ckey}|{prof.season}|{metric}|{tiles}"
    # Only the site layers change with the weights: the browser swaps them into the map it has (the base map's text,
    # rendered once per base_key, stays the same, so the component does not rebuild the map).
    groups = mapview.site_layers(layers, shown, selected=st.session_state["focus"], score_png=score_png)
    if portfolio is not None and st.session_state.get("prog") and len(portfolio.frame):
        pf = portfolio.frame
        groups.append(mapview.ring_layer(
            pf, name="Programme sites (MW)", colour="#1a9850",
            labels=[f"P{int(r)} · {mw:,.0f} MW" for r, mw in zip(pf["rank"], pf["allocated_mw"])],
            tips=[f"Programme site {int(r)}: {mw:,.0f} MW, limited by {b}; runs {m}" for r, mw, b, m in
                  zip(pf["rank"], pf["allocated_mw"], pf["binding_limit"], pf["months_running"])]))
    if pinned_short is not None and st.session_state.get("show_pinned", True) and len(pinned_short.frame):
        af = pinned_short.frame
        groups.append(mapview.ring_layer(
            af, name="Scenario A's shortlist", colour="#e66101", dash="4 3",
            labels=[f"A{int(r)}" for r in af["rank"]], tips=[f"#{int(r)} in scenario A" for r in af["rank"]]))
    view = mapview.focus_view(short.frame, st.session_state["focus"]) if st.session_state.get("_zoom_to_focus") else None
    with col_map:
        # published on every run (a stat), so a file removed from static/ while the server runs is written again
        base_text = foliummap.publish(_base_map_text(base_key, make_base), APP_DIR / "static" / "maps", MAP_BASE)
        out = foliummap.show_map(base_text, groups,
                                 _layer_control_text(base_key, tuple(g.layer_name for g in groups), make_base),
                                 key="map", height=680, returned_objects=["last_object_clicked", "last_clicked"],
                                 center=view[0] if view else None, zoom=view[1] if view else None)
        st.caption("Click a ranked site for its card, or anywhere else to see why it is not a site. Layers switch on "
                   "and off at the top right. Grey areas are exclusion zones; the coloured surface is the score of "
                   "every candidate that passes the constraints."
                   + (" How sure: each label gives the site's rank and how often it is shortlisted across the draws; "
                      "solid sites are robust (80 % of draws or more), faint dashed ones fragile." if sure else ""))
    # Every click on the map reports where it landed: on a layer (regions cover the whole country) as
    # last_object_clicked, on bare map as last_clicked. Inside a ranked site it opens that site's card;
    # anywhere else it opens "Why not here?" for that place.
    new_click = None
    for key, memo in (("last_object_clicked", "_last_obj"), ("last_clicked", "_last_point")):
        where = (out or {}).get(key)
        if where and "lat" in where and where != st.session_state.get(memo):
            st.session_state[memo] = where
            new_click = where
    if new_click is not None:
        hit = site_at(short.frame, float(new_click["lng"]), float(new_click["lat"]))
        if hit is None:
            st.session_state["explain_at"] = (float(new_click["lng"]), float(new_click["lat"]))
        else:
            st.session_state.pop("explain_at", None)
            if hit != st.session_state["focus"]:
                _focus_on(hit)
                st.rerun()
    with col_card:
        at = st.session_state.get("explain_at")
        if at:
            ranking = RankLookup(study.candidates, short.result) if study.candidates.kind == "h3" else None
            try:
                explanation_panel(explain_point(dataset, at[0], at[1], prof, ranking=ranking))
            except SitefinderError as exc:
                st.error(md_escape(f"Could not explain this place. {exc}"))
        else:
            site_card(short, st.session_state["focus"], prof, sure)

    st.markdown("#### Ranked sites")
    money = [c for c in ("cost_usd_per_mwh", "payback_years") if c in short.table]
    view = short.table[["rank", "score", "district", "province", "grid_node", "grid_voltage_kv", "grid_distance_km",
                        "grid_headroom_mw", "region", "region_surplus_mw", *money, "data_gaps", "candidate_id"]].copy()
    view["grid_voltage_kv"] = view["grid_voltage_kv"].map(lambda v: mapview.num(v, ".0f", unknown="not published"))
    view["grid_headroom_mw"] = view["grid_headroom_mw"].map(lambda v: mapview.num(v, ",.0f", unknown="unknown"))
    view.insert(0, "", np.where(view["candidate_id"] == st.session_state["focus"], "▶", ""))
    if sure is not None:
        view.insert(3, "shortlisted", sure.for_rows(np.asarray(short.rows))["p_top_n"].to_numpy())
    st.dataframe(view, key="table", on_select="rerun", selection_mode="single-row", hide_index=True,
                 width="stretch", height=min(420, 38 + 35 * len(view)),
                 column_config={"score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.1f"),
                                "shortlisted": st.column_config.ProgressColumn("shortlisted (draws)", min_value=0,
                                                                               max_value=1, format="percent"),
                                "grid_voltage_kv": st.column_config.TextColumn("kV"),
                                "grid_distance_km": st.column_config.NumberColumn("km to node", format="%.1f"),
                                "grid_headroom_mw": st.column_config.TextColumn("headroom MW"),
                                "region_surplus_mw": st.column_config.NumberColumn("surplus MW (est.)", format="%.0f"),
                                "cost_usd_per_mwh": st.column_config.NumberColumn("USD/MWh (est.)", format="%.1f"),
                                "payback_years": st.column_config.NumberColumn("payback yrs (blank: never)",
                                                                               format="%.1f")})
    c1, c2, c3, _ = st.columns([1, 1, 1, 2])
    stem = f"sitefinder_{prof.name}_{prof.facility_mw:g}mw"
    geojson, csv = _shortlist_files(ranking_key, short)
    c1.download_button("Download GeoJSON", geojson, file_name=f"{stem}.geojson",
                       mime="application/geo+json", width="stretch")
    c2.download_button("Download CSV", csv, file_name=f"{stem}.csv", mime="text/csv",
                       width="stretch")
    c3.download_button("Download brief (HTML)",  # made when clicked, not on every change of a weight
                       lambda: brief_html(shown, short.metadata, dataset, kind="shortlist", title=prof.title),
                       file_name=f"{stem}_brief.html", mime="text/html", width="stretch")
    st.caption("Same content as `sitefinder rank` writes for the same settings. Surplus, climate and flood "
               "values are estimates; grid headroom is unknown unless your grid layer gives it.")


def main() -> None:
    """One run of the page: read the settings, rank, and draw the map, card, table and tabs."""
    _ELEMENT_IDS.n = 0  # this run's map elements are numbered from 0 (see _deterministic_element_ids)
    _assets()
    _first_load()
    _keep_controls_of_closed_tabs()
    flash = st.session_state.pop("flash", None)
    try:
        dataset = _dataset()
    except SitefinderError as exc:
        st.error(md_escape(f"The built-in data could not be loaded. {exc}"))
        st.stop()
    prof_base = _profile(st.session_state["profile"])
    st.session_state["_profile_shown"] = prof_base.name
    dataset = effective_dataset(dataset)
    sites = st.session_state.get("user_sites")
    if sites is not None:
        study = _site_study(dataset.version, sites["key"], dataset, sites["frame"], sites["name"])
    else:
        study = _study(dataset.version, int(st.session_state["res"]), dataset)
    sidebar(prof_base, dataset, provinces(study.site))
    io_slot = st.sidebar.container()
    progress_slot = st.container()

    sc = _scenario_from_widgets()
    try:
        prof = sc.apply(prof_base)  # refuses every weight zero, a size out of bounds, ...
        ckey, settings_json = candidates_key(study, int(st.session_state["res"])), sc.settings().to_json()
        short = _shortlist(dataset.version, ckey, settings_json, study, sc, prof)
    except SitefinderError as exc:
        st.error(md_escape(str(exc)).replace("\n", "  \n"))
        st.info("Your settings are kept: change the one named above, or reset the weights.")
        st.stop()

    # Selection from the table (its state is known before the page is drawn again).
    table_state = st.session_state.get("table")
    rows_sel = list(getattr(getattr(table_state, "selection", None), "rows", []) or []) if table_state is not None else []
    if rows_sel and rows_sel[0] < len(short.table):
        picked = str(short.table["candidate_id"].iloc[rows_sel[0]])
        if picked != st.session_state.get("_last_table_pick"):
            st.session_state["_last_table_pick"] = picked
            st.session_state.pop("explain_at", None)
            st.session_state["focus"] = picked
            st.session_state["_focus_auto"] = False
            st.session_state["_zoom_to_focus"] = True
    ids = list(short.table["candidate_id"])
    if st.session_state.get("focus") not in ids or st.session_state.get("_focus_auto", True):
        # Nobody picked a site (or it left the shortlist): the card follows the current #1.
        st.session_state["focus"] = ids[0] if ids else None
        st.session_state["_focus_auto"] = True
        st.session_state["_zoom_to_focus"] = False
    sc = _scenario_from_widgets()
    st.query_params.from_dict(sc.to_query())
    ranking_key = f"{dataset.version}|{ckey}|{settings_json}"  # what every cache shared between sessions is keyed on
    sure = _robust(study, sc, prof, ranking_key, progress_slot) if st.session_state.get("sure") else None
    # Worked out here only when the map shows it; otherwise only when the Programme tab is open (see below).
    portfolio = _portfolio(study, sc, prof, ranking_key, short) if st.session_state.get("prog") else None
    comparison, pinned_short, pinned_label = None, None, None
    if st.session_state.get("_pinned") is not None:
        pinned, pinned_label = st.session_state["_pinned"]
        try:
            pinned_study = study if pinned.resolution == int(st.session_state["res"]) or sites is not None else \
                _study(dataset.version, pinned.resolution, dataset)
            pinned_short = _shortlist(dataset.version, candidates_key(pinned_study, pinned.resolution),  # shared, not
                                      pinned.settings().to_json(), pinned_study, pinned,        # ranked every run
                                      pinned.apply(_profile(pinned.profile)))
            comparison = compare_shortlists(pinned_short, short, pinned, sc)
        except SitefinderError as exc:
            st.warning(md_escape(f"Scenario A cannot be ranked on this data: {exc}"))

    if flash:
        getattr(st, flash[0])(md_escape(flash[1]))  # messages quote links, files and values: never Markdown
    res = short.result
    st.markdown(f"## {prof.title}, {prof.facility_mw:g} MW · {SEASON_LABELS[prof.season].lower()} surplus")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Candidate cells", f"{len(short.matrix):,}")
    m2.metric("Pass every constraint", f"{res.n_feasible:,}")
    m3.metric("Best score", f"{short.table['score'].iloc[0]:.1f}" if len(short.table) else "—")
    m4.metric("Shortlist", f"{len(short.table)} sites")
    with st.expander("Why were candidates excluded?"):
        st.dataframe(pd.DataFrame([{"constraint": k, "candidates excluded": v} for k, v in res.failure_counts().items()]),
                     hide_index=True, width="stretch")
    if not len(short.table):
        st.warning("No site passes every constraint. Relax a constraint (for example the maximum distance to a grid node) "
                   "or choose a smaller facility size.")

    # Only the open tab runs (and only its content goes to the browser): a weight change on the map redraws the map,
    # card and table, not the programme, comparison, economics charts or the dataset README.
    tab_map, tab_prog, tab_sure, tab_cmp, tab_econ, tab_data, tab_about = st.tabs(TABS, key="tab", on_change="rerun")
    shown = short.frame
    if sure is not None:  # the map marks robust and fragile sites
        shown = short.frame.copy()
        extra = sure.for_rows(np.asarray(short.rows))
        for col in extra.columns:
            shown[col] = extra[col].to_numpy()
    if tab_map.open is not False:  # None when tabs are not tracked (never here), True when open
        with tab_map:
            map_tab(study, dataset, prof, short, shown, sure, portfolio, pinned_short, ranking_key)
    if tab_prog.open:
        with tab_prog:
            programme_tab(portfolio or _portfolio(study, sc, prof, ranking_key, short), prof, dataset)
    if tab_sure.open:
        with tab_sure:
            how_sure_tab(sure, prof)
    if tab_cmp.open:
        with tab_cmp:
            compare_tab(short, sure)
            scenarios_section(comparison, pinned_label)
    if tab_econ.open:
        with tab_econ:
            economics_tab(short, prof, dataset["supply_regions"], _reset_economics)
    if tab_data.open:
        with tab_data:
            your_data_tab(_dataset())
    if tab_about.open:
        with tab_about:
            about_tab(dataset, prof)
    st.query_params.from_dict(_scenario_from_widgets().to_query())
    scenario_io(io_slot)


main()
