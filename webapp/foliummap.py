"""The map component, fed so that what does not change between runs is rendered once.

``streamlit_folium.st_folium`` renders the whole folium map on every run before it hands the text to the browser:
here about 0.1 s for the base layers (outline, supply regions, exclusion zones, grid nodes ...), which never change
with a weight. ``MapText`` holds that text, rendered once per base map (the app caches it); ``show_map`` then
renders only the feature groups of the run (score surface, ranked sites, rings) and sends the same arguments
``st_folium`` would send for the same map, so the browser keeps its map and swaps the groups in, as before
(``tests/test_foliummap.py`` compares the two, argument by argument). ``publish`` moves the base script into a
static file, so that it is not re-sent with every weight change either.

Written against streamlit-folium 0.27: it uses that version's helper functions, which are not public API, so
``pyproject.toml`` pins the minor version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import branca.colormap
import folium
import streamlit as st
import streamlit_folium as sf

KEEP_S = 3600.0        # a base-map file nobody has published for an hour is deleted when a new one is written
TOUCH_AFTER_S = 600.0  # publishing a file refreshes its time when it is older than this
RETURNED_DEFAULTS = ("last_clicked", "last_object_clicked", "last_object_clicked_count", "last_object_clicked_tooltip",
                     "last_object_clicked_popup", "all_drawings", "last_active_drawing", "bounds", "zoom",
                     "last_circle_radius", "last_circle_polygon", "selected_layers", "selected_tags",
                     "last_geocoder_result")


@dataclass(frozen=True)
class MapText:
    """A base map rendered as streamlit-folium sends it: HTML, header, Leaflet script, its id, bounds and zoom, and
    the scripts and styles it needs (in the order ``st_folium`` lists them)."""

    html: str
    header: str
    script: str
    map_id: str
    bounds: dict[str, dict[str, float | None]]
    zoom: Any
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    digest: str = ""  # of the script (set by render_base), so publishing on every run does not hash it again


def _links(elements: Iterable[Any]) -> tuple[list[str], list[str]]:
    """The CSS and JS links of ``elements`` and their children, as ``st_folium`` collects them."""
    css: list[str] = []
    js: list[str] = []

    def walk(el: Any) -> Iterable[Any]:
        if isinstance(el, branca.colormap.ColorMap):
            yield el
        if isinstance(el, folium.elements.JSCSSMixin):
            yield el
        for child in getattr(el, "_children", {}).values():
            yield from walk(child)

    for top in elements:
        for el in walk(top):
            if isinstance(el, branca.colormap.ColorMap):
                js[:0] = ["https://d3js.org/d3.v4.min.js", "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"]
            css.extend(href for _, href in getattr(el, "default_css", []))
            js.extend(src for _, src in getattr(el, "default_js", []))
    return css, js


def _render_base(base: folium.Map) -> None:
    """Render ``base`` the way ``st_folium`` does before it looks at the feature groups (this renames its elements,
    so it is done once, on a map nobody else uses)."""
    base.get_root().render()
    base.render()


def render_base(base: folium.Map) -> MapText:
    """The text of ``base`` as ``st_folium`` would send it (``base`` is used up: render a fresh map each time)."""
    _render_base(base)
    html = sf._get_html(base)
    header = sf._get_header(base)
    script = sf._get_map_string(base)
    map_id = sf.get_full_id(base)
    (s, w), (n, e) = base.get_bounds()
    css, js = _links([base])
    return MapText(html=html, header=header, script=script, map_id=map_id,
                   bounds={"_southWest": {"lat": s, "lng": w}, "_northEast": {"lat": n, "lng": e}},
                   zoom=base.options.get("zoom"), css_links=tuple(css), js_links=tuple(js),
                   digest=hashlib.sha256(script.encode("utf-8")).hexdigest()[:32])


_WARNED: set[str] = set()


def _warn_once(folder: Path, exc: OSError) -> None:
    if str(folder) not in _WARNED:
        _WARNED.add(str(folder))
        logging.getLogger("sitefinder.app").warning(
            "the base maps cannot be written to %s (%s): each map is sent whole with every run instead. Fix: let the "
            "server's user write that folder (the Docker image makes it at build time).", folder, exc.strerror or exc)


def publish(text: MapText, folder: Path, url: str) -> MapText:
    """``text`` with its base script (most of the map's bytes: about 0.9 MB here) moved into a file in ``folder``,
    which the server serves at ``url``. What the component gets on every run is then a short loader that reads the
    file when the browser builds the map, so a weight change no longer re-sends the base map. The file is named by
    its content (a changed base map is a new file) and written atomically. Where ``folder`` cannot be written, the
    text is returned unchanged (the whole map in the run, as before) and the server's log says so once; the loader runs where the script ran
    and evaluates it in the page's global scope, so the map is built exactly as before."""
    name = (text.digest or hashlib.sha256(text.script.encode("utf-8")).hexdigest()[:32]) + ".js"
    target = folder / name
    try:
        try:
            age = time.time() - target.stat().st_mtime
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
            part = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.part"
            part.write_text(text.script, encoding="utf-8")
            os.replace(part, target)
            prune(folder)
        else:
            if age > TOUCH_AFTER_S:  # a file in use stays younger than KEEP_S (see prune)
                os.utime(target)
    except OSError as exc:  # the folder cannot be written (a read-only install): the map still works, sent whole
        _warn_once(folder, exc)
        return text
    where = json.dumps(f"{url.rstrip('/')}/{name}")
    loader = ("(function () { var r = new XMLHttpRequest(); r.open('GET', " + where + ", false); r.send();\n"
              "  if (r.status !== 200) { throw new Error('sitefinder: the base map ' + " + where + " + ' could not be read (' + "
              "r.status + ')'); }\n  (0, eval)(r.responseText); })();\n")
    return replace(text, script=loader)


def prune(folder: Path, keep_s: float = KEEP_S) -> list[Path]:
    """Delete the base-map files in ``folder`` that no server has published for ``keep_s`` seconds (publishing a
    file in use refreshes its time at least every ``TOUCH_AFTER_S``), and part-files left by a stopped process.
    A base map still in a server's cache is written again the next time it is shown, so nothing a running server
    can still serve is lost. Returns the files deleted."""
    now = time.time()
    gone = []
    for path in folder.glob("*.js"):
        try:
            if now - path.stat().st_mtime > keep_s:
                path.unlink()
                gone.append(path)
        except FileNotFoundError:  # another process pruned it first
            continue
    for part in folder.glob(".*.part"):
        try:
            if now - part.stat().st_mtime > keep_s:
                part.unlink()
                gone.append(part)
        except FileNotFoundError:
            continue
    return gone


def layer_control_text(base: folium.Map, group_names: Sequence[str], control: folium.LayerControl) -> str:
    """The layer control's script for ``base`` with feature groups named ``group_names`` (in this order), as
    ``st_folium`` makes it; it depends on the layers' names only, so it can be kept per list of names. ``base`` is
    used up, as in :func:`render_base`."""
    _render_base(base)
    sf._get_map_string(base)  # gives the base layers the names the base script uses
    for idx, name in enumerate(group_names):
        sf._get_feature_group_string(folium.FeatureGroup(name=name), map=base, idx=idx)
    return str(sf._get_layer_control_string(control, base))


def feature_groups_text(groups: Sequence[folium.FeatureGroup]) -> tuple[str, list[str], list[str]]:
    """The script that adds ``groups`` to the map (as ``st_folium`` makes it), and their CSS and JS links."""
    holder = folium.Map(tiles=None)
    holder._id = "div"  # the base map's name once rendered: "map_div", which the script refers to
    text = "".join(sf._get_feature_group_string(g, map=holder, idx=i) for i, g in enumerate(groups))
    css, js = _links(groups)
    return text, css, js


def show_map(text: MapText, groups: Sequence[folium.FeatureGroup], control_text: str | None, *, key: str,
             height: int, returned_objects: Sequence[str], center: tuple[float, float] | None = None,
             zoom: int | None = None) -> Any:
    """Draw the map (full container width) with this run's feature groups; returns what ``st_folium`` returns
    (the last click, ... as far as ``returned_objects`` asks)."""
    groups_text, css, js = feature_groups_text(groups)
    css_links = list(dict.fromkeys([*text.css_links, *css]))
    js_links = list(dict.fromkeys([*text.js_links, *js]))
    everything = {"bounds": text.bounds, "zoom": text.zoom}
    defaults = {k: everything.get(k) for k in RETURNED_DEFAULTS if k in returned_objects}
    hash_key = sf.generate_js_hash(text.script, key, False)

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return sf._component_func(
        script=text.script, header=text.header, html=text.html, id=text.map_id, key=hash_key, height=height,
        width=None, returned_objects=list(returned_objects), default=defaults, zoom=zoom, center=center,
        feature_group=groups_text, return_on_hover=False, layer_control=control_text, pixelated=False,
        css_links=css_links, js_links=js_links, on_change=on_change, wrap_longitude=False)
