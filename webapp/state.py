"""The app's session state: one typed registry of keys, the controls kept across reruns, and the one mapping
between a scenario and the controls (made from the settings table).

Streamlit forgets a widget's value when a run in which the widget was not drawn ends, and (before 1.64) when a
run is interrupted by the next one before the widget is drawn: a fast click or an upload made while the page was
still running was enough. A control whose value is forgotten comes back at its default, which for a weight
slider is 0. So every control's value is also kept here, in ``CONTROLS`` (a plain session key that Streamlit
never cleans up), and at the start of each run every control's value is written again under its key (so what
Streamlit falls back to is current) and a control whose key has gone is given its kept value back, before
anything is drawn. A value the user changed is in the widget's key at the start of the next run, and is kept.

Every other key the app keeps in ``st.session_state`` is a ``Slot`` below, with its type and what it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import streamlit as st
from streamlit.proto.WidgetStates_pb2 import WidgetState as WidgetStateProto
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.common import GENERATED_ELEMENT_ID_PREFIX

from sitefinder.errors import SitefinderError
from sitefinder.model.profiles import Profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import SETTINGS
from webapp.caches import profile as profile_of

T = TypeVar("T")
ALL_PROVINCES = "All provinces"
WEIGHT_PREFIX = "w_"


@dataclass(frozen=True)
class Slot(Generic[T]):
    """A session-state key that is not a widget's: its name and what it holds."""

    key: str
    holds: str

    def get(self) -> T | None:
        """The value, or None when nothing is kept."""
        return st.session_state.get(self.key)

    def set(self, value: T) -> None:
        """Keep ``value``."""
        st.session_state[self.key] = value

    def pop(self) -> T | None:
        """Forget the value and return it (None when nothing was kept)."""
        return st.session_state.pop(self.key, None)


# -- the registry ---------------------------------------------------------------------------------------------------
CONTROLS: Slot[dict[str, Any]] = Slot("sf_controls", "every control's last value, by widget key (restored if lost)")
STARTED: Slot[bool] = Slot("sf_started", "the session has read its link")
PROFILE_SHOWN: Slot[str] = Slot("sf_profile_shown", "the profile the controls were last drawn for")
FOCUS: Slot[str] = Slot("focus", "the candidate id whose card is open")
FOCUS_AUTO: Slot[bool] = Slot("sf_focus_auto", "the card follows the current first site (nobody picked one)")
ZOOM_TO_FOCUS: Slot[bool] = Slot("sf_zoom_to_focus", "the map zooms to the open card's site")
SELECTED: Slot[list[str]] = Slot("compare", "the candidate ids picked for side-by-side comparison")
EXPLAIN_AT: Slot[tuple[float, float]] = Slot("explain_at", "the clicked (lon, lat) that 'Why not here?' explains")
LAST_CLICKS: Slot[dict[str, Any]] = Slot("sf_last_clicks", "the map's last clicks, so a click is acted on once")
LAST_TABLE_PICK: Slot[str] = Slot("sf_last_table_pick", "the candidate id last picked in the ranked table")
FLASH: Slot[tuple[str, str]] = Slot("sf_flash", "a message for the next run: (error | warning | success, text)")
WIDGET_PROBLEMS: Slot[dict[str, str]] = Slot("sf_widget_problems", "controls whose typed value cannot be used")
PINNED: Slot[tuple[Scenario, str]] = Slot("sf_pinned", "scenario A of the comparison, and where it came from")
ROBUST_MEMO: Slot[tuple[str, Any]] = Slot("sf_robust", "the robustness run for a ranking key (kept for the session)")
PROGRAMME_ERROR: Slot[str] = Slot("sf_programme_error", "why the programme could not be made")
USER_LAYERS: Slot[dict[str, dict[str, Any]]] = Slot("user_layers", "uploaded layers in use, by layer kind")
USER_SITES: Slot[dict[str, Any]] = Slot("user_sites", "uploaded candidate sites in use")
USER_RASTER: Slot[dict[str, Any]] = Slot("user_raster", "an uploaded climate raster in use")
USER_GRID: Slot[dict[str, Any]] = Slot("user_grid_model", "an uploaded grid model in use: solved, its file name and the "
                                       "grid nodes' column naming each node's bus (None: the nearest bus)")
GRID_READ: Slot[dict[str, Any]] = Slot("sf_grid_read", "the grid model file last read in Your data, by digest (a rerun "
                                       "does not read it again)")
GRID_APPLIED: Slot[dict[str, Any]] = Slot("sf_grid_applied", "the dataset with the grid model in use applied, by what it "
                                          "was made from (a rerun does not join the nodes again)")
REGISTER_SAID: Slot[tuple[str, str]] = Slot("sf_register_said", "the register's answer to the last action: (success | "
                                            "error | warning, text), shown once by the Register tab or the card")
UPLOAD_DIR: Slot[str] = Slot("sf_upload_dir", "this session's private folder for uploaded files")
SLOTS = tuple(v for v in dict(globals()).values() if isinstance(v, Slot))

# Controls that are not settings (what the page shows, not what is ranked), with their first value.
PAGE_CONTROLS: dict[str, Any] = {"climate_metric": "hours_above_35c", "tiles": False, "show_pinned": True}
TAB = "tab"  # the open tab (st.tabs' key)
UPLOADED_KEY = "uploaded"  # the page address's record of the uploaded files in use (uploads_query)
UPLOAD_NAMES, UPLOAD_NAME_CHARS = 6, 80
OTHER_KEPT = ("upload_kind", "raster_meaning")  # Your data: what the file holds
KEPT_PREFIXES = ("upload_mode_",)


def weight_key(criterion: str) -> str:
    """The session key of a criterion's weight slider."""
    return WEIGHT_PREFIX + criterion


def setting_keys() -> tuple[str, ...]:
    """The widget keys of the settings that have a control, weights apart (one slider per criterion)."""
    return tuple(s.url_key for s in SETTINGS.values() if s.widget and s.kind != "weights")


def control_keys(profile: Profile) -> list[str]:
    """Every key whose value is kept across reruns for a page showing ``profile``."""
    keys = [*setting_keys(), *(weight_key(c.name) for c in profile.criteria), *PAGE_CONTROLS, TAB, *OTHER_KEPT]
    keys += [k for k in st.session_state if isinstance(k, str) and k.startswith(KEPT_PREFIXES)]
    return keys


def keep_controls() -> None:
    """Take each control's value as it is now, and write it under its own key again; give a control whose key has
    gone its kept value back. Writing the value again matters: once Streamlit drops the state of a control that a
    run did not draw (a control on a closed tab), the key falls back to whatever was last written under it, which
    would otherwise be the value the control had when the page was opened."""
    ss = st.session_state
    kept = dict(CONTROLS.get() or {})
    for key in control_keys(profile_of(ss["profile"] if "profile" in ss else kept["profile"])):
        if key in ss:
            kept[key] = ss[key] = ss[key]
        elif key in kept:
            ss[key] = kept[key]
    CONTROLS.set(kept)


# -- scenario <-> controls ------------------------------------------------------------------------------------------
def widget_value(name: str, value: Any) -> Any:
    """A setting's value as its control holds it (a range setting is typed as text, "LOW-HIGH")."""
    s = SETTINGS[name]
    if s.kind == "range":
        return "" if value is None else s.to_url(value)
    if s.name == "province":
        return value or ALL_PROVINCES
    return value


def setting_value(name: str, value: Any) -> tuple[Any, str | None]:
    """A control's value as the setting's value, and a message if it cannot be used (the default is used)."""
    s = SETTINGS[name]
    if s.name == "province":
        return (None if value in (None, ALL_PROVINCES) else value), None
    if s.kind != "range":
        return value, None
    if value is None or not str(value).strip():
        return None, None
    parsed, problem = s.parse(str(value), s.label)
    return (parsed, None) if problem is None else (None, f"{problem.message} {problem.fix} It is left unknown for now.")


def put_scenario(sc: Scenario) -> None:
    """Show ``sc`` in the controls (a link on first load, a loaded file, a profile change): what equals the
    profile's default is shown as the profile's value. Call before the controls are drawn (a callback or the
    start of a run)."""
    full = sc.filled(profile_of(sc.profile))
    ss = st.session_state
    for s in SETTINGS.values():
        if not s.widget:
            continue
        if s.kind == "weights":
            for name, w in full.weights.items():
                ss[weight_key(name)] = float(w)
        else:
            ss[s.url_key] = widget_value(s.name, getattr(full, s.name))
    FOCUS.set(sc.focus)
    FOCUS_AUTO.set(not sc.focus)
    ZOOM_TO_FOCUS.set(bool(sc.focus))
    SELECTED.set(list(sc.selected))
    PROFILE_SHOWN.set(sc.profile)


def scenario_from_controls() -> Scenario:
    """The scenario the controls show, with what equals the profile's defaults left out (canonical). Controls
    whose typed value cannot be used are named in ``WIDGET_PROBLEMS`` and count as blank."""
    ss = st.session_state
    prof = profile_of(ss["profile"])
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for s in SETTINGS.values():
        if s.widget and s.kind != "weights":
            values[s.name], problem = setting_value(s.name, ss[s.url_key])
            if problem:
                problems[s.name] = problem
    WIDGET_PROBLEMS.set(problems)
    values["weights"] = {c.name: float(ss[weight_key(c.name)]) for c in prof.criteria if weight_key(c.name) in ss}
    sc = Scenario(**values, focus=None if FOCUS_AUTO.get() is not False else FOCUS.get(),
                  selected=tuple(SELECTED.get() or ()))
    return sc.canonical(prof)


# -- what happens to the controls ----------------------------------------------------------------------------------
def uploads_in_use() -> list[str]:
    """The names of the files this session uses (layers, candidate sites, climate raster, grid model)."""
    names = [str(e["name"]) for e in (USER_LAYERS.get() or {}).values()]
    for slot in (USER_SITES, USER_RASTER, USER_GRID):
        kept = slot.get()
        if kept:
            names.append(str(kept["name"]))
    return names


def uploads_query() -> dict[str, str]:
    """The page address's record of the files in use (``uploaded=a.geojson|b.csv``; none: nothing). A session lives
    in one server process's memory: when that process is gone, or the link is opened elsewhere, the settings come
    back from the address but the files do not, and this lets the page say so."""
    names = [n[:UPLOAD_NAME_CHARS] for n in uploads_in_use()[:UPLOAD_NAMES]]
    return {UPLOADED_KEY: "|".join(names)} if names else {}


def begin_run(query: dict[str, str], provinces: Callable[[], list[str]]) -> None:
    """Read the link on a session's first run; keep the controls. ``provinces`` lists the data's provinces."""
    if not STARTED.get():
        query = dict(query)
        uploaded = [n for n in query.pop(UPLOADED_KEY, "").split("|") if n.strip()]
        sc, parsed = Scenario.from_query(query)
        sc, notes = sc.usable(profile_of(sc.profile), provinces(), page=True)
        put_scenario(sc)
        take_browser_view(browser_sent_values())  # a page back after its process was lost: what it shows wins
        for key, first in PAGE_CONTROLS.items():
            st.session_state.setdefault(key, first)
        STARTED.set(True)
        problems = [str(p) for p in parsed] + notes
        said = []
        if uploaded:
            said.append(f"Your uploaded files are not here: {', '.join(uploaded)}. Files live only in the server "
                        "process that received them, and this page now comes from another one (the server restarted "
                        "or moved you), or from a link. Your settings came back from the page address; to use the "
                        "files again, upload them in Your data.")
        if problems:
            said.append("The link had values that could not be used, so defaults were kept: " + "; ".join(problems))
        if said:
            FLASH.set(("warning", " ".join(said)))
    keep_controls()


def browser_sent_values() -> dict[str, float | int | bool]:
    """The numbers and ticks the browser sent with this run, by control key: the weights, sizes, limits and boxes a
    page shows. A page that reconnected to a new session, because the process that had its session was lost, sends
    its whole view with its next run, and its last change is not yet in its address. Reads Streamlit's widget state
    before the controls are drawn (its widget ids end in their key; tests/test_replicas.py checks it end to end)."""
    ctx = get_script_run_ctx()
    try:
        states = ctx.session_state._state._new_widget_state.states  # type: ignore[union-attr]
    except AttributeError:  # no run context, or Streamlit's internals moved: the address decides, as before
        return {}
    out: dict[str, float | int | bool] = {}
    for widget_id, held in list(states.items()):
        prefix, _, rest = str(widget_id).partition("-")
        proto = getattr(held, "value", None)
        if prefix != GENERATED_ELEMENT_ID_PREFIX or "-" not in rest or not isinstance(proto, WidgetStateProto):
            continue
        key, kind = rest.split("-", 1)[1], proto.WhichOneof("value")
        if kind == "double_array_value" and len(proto.double_array_value.data) == 1:  # a slider
            out[key] = float(proto.double_array_value.data[0])
        elif kind in ("double_value", "int_value", "bool_value"):  # a number box, a tick box
            out[key] = getattr(proto, kind)
    return out


def take_browser_view(sent: dict[str, float | int | bool]) -> None:
    """Show the values of ``sent`` (``browser_sent_values``) in their controls where each is a weight or a setting of
    the same type, within the setting's bounds; anything else keeps what the address said."""
    ss = st.session_state
    weights = {weight_key(c.name) for c in profile_of(ss["profile"]).criteria}
    settings = {s.url_key: s for s in SETTINGS.values() if s.widget and s.kind != "weights"}
    for key, value in sent.items():
        s = SETTINGS["weights"] if key in weights else settings.get(key)
        now = ss[key] if s is not None and key in ss else None
        if s is None or now is None or isinstance(now, bool) != isinstance(value, bool):
            continue
        if not isinstance(value, bool):
            if not isinstance(now, (int, float)) or (s.lo is not None and value < s.lo) or (s.hi is not None and value > s.hi):
                continue
            value = type(now)(value)
        ss[key] = value


def on_profile_change() -> None:
    """A new profile brings its own size, season, weights and limits; each setting does what its row's
    ``on_profile_change`` says (``Scenario.for_profile``)."""
    ss = st.session_state
    new = ss["profile"]
    ss["profile"] = PROFILE_SHOWN.get() or new  # read the rest of the controls as they were for the old profile
    before = scenario_from_controls()
    ss["profile"] = new
    put_scenario(replace(before.for_profile(new), focus=None, selected=()))


def reset_weights() -> None:
    """Put every weight back to the profile's."""
    for c in profile_of(st.session_state["profile"]).criteria:
        st.session_state[weight_key(c.name)] = float(c.weight)


def reset_economics(names: Iterable[str]) -> None:
    """Put each named cost parameter back to the profile's sourced value."""
    prof = profile_of(st.session_state["profile"])
    for name in names:
        st.session_state[SETTINGS[name].url_key] = prof.economics[name]


def load_scenario(data: bytes, source: str, provinces: list[str]) -> tuple[Scenario, list[str]]:
    """Read a scenario file for this page: its values checked against the table, what cannot apply to its
    profile, the data or the page left out (and said), and refused if the engine cannot run it. Used for the
    current scenario and for scenario A alike. Raises ``SitefinderError`` naming the file."""
    sc, problems = Scenario.from_json(data, source=source)
    sc, notes = sc.usable(profile_of(sc.profile), provinces, page=True)
    sc.apply(profile_of(sc.profile))  # refuse a scenario the engine cannot run, before anything changes
    return sc, [str(p) for p in problems] + notes


def load_scenario_upload(key: str, provinces: list[str], use: Callable[[Scenario, str], None], what: str) -> None:
    """The file uploaded under ``key``: load it and hand it to ``use``, or say why not (nothing changes)."""
    up = st.session_state.get(key)
    if up is None:
        return
    try:
        sc, said = load_scenario(up.getvalue(), up.name, provinces)
    except SitefinderError as exc:
        FLASH.set(("error", f"Could not load {what}. {exc}"))
        return
    use(sc, up.name)
    message = f"Loaded {what} from {up.name}."
    message = message[0].upper() + message[1:]
    if said:
        message += " Some values were not usable and the defaults were kept: " + "; ".join(said)
    FLASH.set(("warning" if said else "success", message))
