"""The map, built by pure functions: folium objects in, folium objects out, no streamlit, no network.

* Every script and style the map needs comes from ``asset_base`` (served by the app itself), never a
  CDN: see ``offline_map``. No branca colour maps (they pull d3 from a CDN); legends are plain HTML.
* Every value that came from data is HTML-escaped before it reaches a popup, tooltip or label.
* Only what a person can read is drawn as vectors (the shortlist, regions, nodes, zones); the score
  and climate surfaces over all candidates are small PNG images (Web-Mercator rows, so they line up).

All geometry is WGS84 lon/lat (EPSG:4326).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.measure.criteria import connectivity_exists
from sitefinder.model.ranges import number_text, text_or
from sitefinder.report.colors import HEAT_RAMP, SCORE_RAMP, SURPLUS_RAMP, css_gradient, ramp_hex
from sitefinder.report.zones import zone_names
from sitefinder.robustness.run import ROBUST_SHARE
from webapp.netlayer import interface_lines, legend_rows, network_group, zone_points
from webapp.popups import (
    POPUP_CSS,
    esc,
    popup_html,
    region_popup,
    robust_text,
    site_popup,
    sources_text,
)
from webapp.rows import rows_of

VOLTAGE_COLOURS = {765: "#54278f", 500: "#cb181d", 220: "#fd8d3c"}
UNKNOWN_VOLTAGE_COLOUR = "#525252"
SIMPLIFY_DEG = 0.01  # ~1 km: invisible at country zoom, cuts the payload
DISPLAY_DIGITS = 4


# ------------------------------------------------------------------------------------------------
# Layers prepared once per dataset


@dataclass
class DisplayLayers:
    """Display-ready copies of a dataset's layers: simplified, rounded, with escaped popup HTML."""

    outline: dict[str, Any]
    regions: gpd.GeoDataFrame
    exclusions: gpd.GeoDataFrame
    nodes: pd.DataFrame
    connectivity: pd.DataFrame
    bounds: tuple[float, float, float, float]
    zones: gpd.GeoDataFrame | None = None  # the network model's zones (points), None without a zones layer
    interfaces: gpd.GeoDataFrame | None = None  # the interfaces between them (lines), None without that layer
    geojson: dict[str, dict[str, Any]] = field(default_factory=dict)  # GeoJSON made once per key (season, ...)

    def feature_collection(self, key: str, make: Callable[[], gpd.GeoDataFrame]) -> dict[str, Any]:
        """``make()`` as a GeoJSON dict, made once per ``key`` (the map is rebuilt on every run; its layers are not)."""
        if key not in self.geojson:
            self.geojson[key] = make().__geo_interface__
        return self.geojson[key]


def _round_geoms(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    simple = shapely.simplify(geoms, SIMPLIFY_DEG, preserve_topology=True)
    return shapely.set_precision(simple, 10 ** -DISPLAY_DIGITS)


def prepare_layers(dataset: Dataset) -> DisplayLayers:
    """Everything static about the map for one dataset (cache this per dataset version)."""
    study = dataset["study_area"]
    outline_geom = _round_geoms(np.asarray(study.geometry.array))
    outline = gpd.GeoDataFrame(geometry=list(outline_geom), crs=4326).__geo_interface__

    names = zone_names(dataset.get("zones"))
    reg = dataset["supply_regions"].copy()
    reg["geometry"] = _round_geoms(np.asarray(reg.geometry.array))
    reg["popup"] = [region_popup(r, names) for _, r in reg.iterrows()]
    exc = dataset["exclusions"].copy()
    exc["geometry"] = _round_geoms(np.asarray(exc.geometry.array))
    exc["popup"] = [popup_html(str(text_or(r.get("name"), r["zone_id"])), [
        ("Excluded because", r["reason"]), ("Category", r["category"]),
        ("Outline", text_or(r.get("precision"), "as supplied")), ("Source", sources_text(r.get("source"))),
    ]) for _, r in exc.iterrows()]

    gn = dataset["grid_nodes"]
    kv = gn["voltage_kv"].to_numpy(float)
    nodes = pd.DataFrame({
        "lon": gn.geometry.x.round(5), "lat": gn.geometry.y.round(5),
        "colour": [VOLTAGE_COLOURS.get(int(v), UNKNOWN_VOLTAGE_COLOUR) if not np.isnan(v) else UNKNOWN_VOLTAGE_COLOUR for v in kv],
        "status": gn["status"].astype(str),
        "approximate": (gn["location_error_km"].to_numpy(float) > 3.0) if "location_error_km" in gn else False,
        "tooltip": [esc(f"{n} ({number_text(v, '.0f', 'kV', 'voltage not published')}, {s.replace('_', ' ')})")
                    for n, v, s in zip(gn["name"], kv, gn["status"])],
    })
    nodes["popup"] = [popup_html(str(r["name"]), [
        ("Voltage", number_text(r["voltage_kv"], ".0f", "kV", "not published")),
        ("Status", str(r["status"]).replace("_", " ") + (f" ({r['status_detail']})" if text_or(r.get("status_detail"), "") else "")),
        ("Transformation capacity", number_text(r.get("capacity_mva"), ",.0f", "MVA", "not published")),
        ("Headroom" + (" left" if r.get("booked_mw", 0) > 0 else ""),
         number_text(r.get("headroom_mw"), ",.0f", "MW", "unknown (not published)")),
        *([("Booked in the register", f"{r['booked_mw']:,.0f} MW (held, approved or energised)")]
          if r.get("booked_mw", 0) > 0 else []),
        ("Location", f"{text_or(r.get('location_precision'), 'as supplied')}: {text_or(r.get('location_note'), '')}".strip(": ")),
        ("Point may be off by", number_text(r.get("location_error_km"), ",.0f", "km", "not stated")),
        ("Source", sources_text(r.get("source"))),
    ], note=str(text_or(r.get("capacity_note"), ""))) for _, r in gn.iterrows()]

    cn = dataset["connectivity"]
    exists = connectivity_exists(cn)
    conn = pd.DataFrame({
        "lon": cn.geometry.x.round(5), "lat": cn.geometry.y.round(5),
        "exists": exists,
        "tooltip": [esc(f"{n} ({str(t).replace('_', ' ')}{'' if ok else ', planned: not scored'})")
                    for n, t, ok in zip(cn["name"], cn["type"], exists)],
        "popup": [popup_html(str(r["name"]), [("Type", str(r["type"]).replace("_", " ")), ("Details", r.get("details")),
                                              ("Status", r.get("status")),
                                              ("Counts as connectivity", "yes" if ok else "no: planned or proposed, shown only"),
                                              ("Location", text_or(r.get("precision"), "as supplied")),
                                              ("Source", sources_text(r.get("source")))]) for (_, r), ok in zip(cn.iterrows(), exists)],
    })
    b = study.total_bounds
    return DisplayLayers(outline, reg, exc, nodes, conn, (float(b[0]), float(b[1]), float(b[2]), float(b[3])),
                         zones=zone_points(dataset.get("zones")),
                         interfaces=interface_lines(dataset.get("interfaces"), names, DISPLAY_DIGITS))


# ------------------------------------------------------------------------------------------------
# Raster surfaces over all candidates


# ------------------------------------------------------------------------------------------------
# The map


class OfflineMap(folium.Map):
    """A folium map whose scripts and styles come from ``asset_base`` (Leaflet only), not from CDNs."""

    def __init__(self, asset_base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        base = asset_base.rstrip("/")
        self.default_js = [("leaflet", f"{base}/leaflet.js")]
        self.default_css = [("leaflet_css", f"{base}/leaflet.css")]


_LEGEND = Template("""
{% macro html(this, kwargs) %}
<details id="sf-legend" style="position:absolute;bottom:26px;right:10px;z-index:9999;background:rgba(255,255,255,.93);
 padding:4px 8px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:10px sans-serif;line-height:1.45;width:175px">
<summary style="cursor:pointer;font-weight:bold;font-size:11px">Legend</summary>
{{ this.body }}
</details>
{% endmacro %}
""")


_LABELS = Template("""
{% macro script(this, kwargs) %}
(function () {
  {{ this.data|tojson }}.forEach(function (l) {
    L.marker([l[0], l[1]], {icon: L.divIcon({html: l[2], iconSize: [0, 0], className: "empty"})})
      .bindTooltip("<div>" + l[3] + "</div>", {sticky: true})
      .addTo({{ this._parent.get_name() }});
  });
})();
{% endmacro %}
""")


class LabelMarkers(MacroElement):
    """Text labels on the map, each a Leaflet divIcon marker with a tooltip, added to the parent layer by one loop:
    what one folium ``Marker`` + ``DivIcon`` + ``Tooltip`` per label draws, in one template render instead of three
    per label (the rank labels were a tenth of a weight change's server time). ``labels``: (lat, lon, HTML of the
    label, HTML of its tooltip), both already escaped."""

    def __init__(self, labels: list[tuple[float, float, str, str]]) -> None:
        super().__init__()
        self._name = "LabelMarkers"
        self.data = [[float(lat), float(lon), html, tip] for lat, lon, html, tip in labels]
        self._template = _LABELS


class Legend(MacroElement):
    def __init__(self, body_html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.body = body_html
        self._template = _LEGEND


def legend_html(season: str, score_range: tuple[float, float], climate_label: str, climate_range: tuple[float, float],
                surplus_range: tuple[float, float], *, network: bool = False) -> str:
    """The legend's HTML: score, surplus and climate ramps, the node voltages and, with ``network``, the network
    zones and interfaces (all text escaped)."""
    sw = "display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:middle"
    bar = "display:block;height:6px;border-radius:2px;margin:1px 0"
    rows = [
        "<b>Ranked sites</b> (score)",
        f"<span style='{bar};background:{css_gradient(SCORE_RAMP)}'></span>"
        f"<span>{score_range[0]:.0f}</span><span style='float:right'>{score_range[1]:.0f}</span>",
        "<b>Grid nodes</b>",
        *[f"<span style='{sw};background:{c}'></span>{kv} kV" for kv, c in sorted(VOLTAGE_COLOURS.items(), reverse=True)],
        f"<span style='{sw};background:{UNKNOWN_VOLTAGE_COLOUR}'></span>voltage not published",
        f"<span style='{sw};border:2px dashed #333;background:#fff'></span>planned / under construction",
        "<span style='font-size:10px;color:#555'>dotted ring = point may be more than 3 km off (town-level)</span>",
        f"<b>Supply regions</b>: {esc(season.replace('_', '-'))} surplus, MW (estimate)",
        f"<span style='{bar};background:{css_gradient(SURPLUS_RAMP)}'></span>"
        f"<span>{surplus_range[0]:,.0f}</span><span style='float:right'>{surplus_range[1]:,.0f}</span>",
        f"<b>Climate</b>: {esc(climate_label)} (estimate)",
        f"<span style='{bar};background:{css_gradient(HEAT_RAMP)}'></span>"
        f"<span>{climate_range[0]:,.0f}</span><span style='float:right'>{climate_range[1]:,.0f}</span>",
        f"<span style='{sw};background:#2171b5;border:2px solid #fff;box-shadow:0 0 0 1px #2171b5'></span>connectivity "
        f"(<span style='{sw};background:#fff;border:2px solid #2171b5'></span>planned, not scored)",
        "<span style='display:inline-block;width:12px;height:8px;background:#999;opacity:.6;margin-right:4px'></span>exclusion zone",
    ]
    if network:
        rows += legend_rows(sw)
    return "<br>".join(rows)


def _surplus_column(season: str) -> str:
    return {"winter": "surplus_winter_mw", "summer": "surplus_summer_mw"}.get(season, "")


SURFACE_PANE = "sf-surfaces"  # image surfaces sit under the vector layers and markers


def base_map(
    layers: DisplayLayers,
    *,
    asset_base: str,
    season: str = "winter",
    climate_png: str | None = None,
    climate_label: str = "hours above 35 °C",
    climate_range: tuple[float, float] = (0, 2000),
    score_range: tuple[float, float] = (0, 100),
    online_tiles: bool = False,
    height: int = 620,
) -> folium.Map:
    """Everything on the map that does not change when weights change: outline, supply regions,
    climate surface, exclusion zones, grid nodes, connectivity and the legend."""
    x0, y0, x1, y1 = layers.bounds
    m = OfflineMap(asset_base, location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=5, tiles=None,
                   control_scale=True, prefer_canvas=True, height=height)
    m.fit_bounds([[y0, x0], [y1, x1]])
    folium.map.CustomPane(SURFACE_PANE, z_index=390).add_to(m)
    figure = m.get_root()
    assert isinstance(figure, Figure)  # a map's root is always its Figure (which has a <head>)
    figure.header.add_child(Element(POPUP_CSS), name="sf_popup_css")
    if online_tiles:
        folium.TileLayer("OpenStreetMap", name="Base map (online)", control=True).add_to(m)

    folium.GeoJson(layers.outline, name="Study area", control=False,
                   style_function=lambda _f: {"color": "#333", "weight": 1.5, "fill": True, "fillColor": "#f4f1ea", "fillOpacity": 1.0}
                   ).add_to(m)

    col = _surplus_column(season)
    reg = layers.regions
    if col:
        values = reg[col].to_numpy(float)
    else:
        values = np.where(reg["surplus_winter_mw"].isna() | reg["surplus_summer_mw"].isna(), np.nan,
                          np.minimum(reg["surplus_winter_mw"].to_numpy(float), reg["surplus_summer_mw"].to_numpy(float)))
    finite = values[np.isfinite(values)]
    lim = float(np.max(np.abs(finite))) if len(finite) else 1.0
    surplus_range = (-lim, lim)
    reg_fc = layers.feature_collection(f"regions:{season}", lambda: reg.assign(
        fill=[ramp_hex(v, -lim, lim, SURPLUS_RAMP) if np.isfinite(v) else "#bdbdbd" for v in values],
        tip=[esc(f"{n}: {number_text(v, ',.0f', 'MW', 'not on the national grid')}"
                 + (f" (zone {z})" if isinstance(text_or(z, None), str) else ""))
             for n, v, z in zip(reg["name"], values, reg["zone"] if "zone" in reg else [None] * len(reg))])[
        ["tip", "popup", "fill", "geometry"]])
    folium.GeoJson(reg_fc, name=f"Supply regions: {season.replace('_', '-')} surplus (estimate)",
                   style_function=lambda f: {"color": "#555", "weight": 1, "fillColor": f["properties"]["fill"], "fillOpacity": 0.35},
                   popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
                   tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
                   ).add_to(m)

    if climate_png:
        folium.raster_layers.ImageOverlay(climate_png, bounds=[[y0, x0], [y1, x1]], name=f"Cooling climate: {climate_label} (estimate)",
                                          opacity=0.75, show=False, pixelated=False, pane=SURFACE_PANE).add_to(m)

    exc = layers.feature_collection("exclusions", lambda: layers.exclusions[["popup", "category", "geometry"]])
    folium.GeoJson(exc, name="Exclusion zones (approximate)", show=True,
                   style_function=lambda f: {"color": "#636363", "weight": 0.5, "fillColor": "#969696", "fillOpacity": 0.55},
                   popup=folium.GeoJsonPopup(fields=["popup"], labels=False)).add_to(m)

    network = network_group(layers.zones, layers.interfaces, layers.feature_collection)
    if network is not None:
        network.add_to(m)

    nodes = layers.nodes
    planned = nodes["status"].isin(["planned", "under_construction"]).to_numpy()
    node_fc = _points_fc(nodes, {
        "stroke": np.where(planned, nodes["colour"], "#222222"), "fill": np.where(planned, "#ffffff", nodes["colour"]),
        "dash": np.where(planned, "3 3", ""), "popup": nodes["popup"], "tip": nodes["tooltip"]})
    grid_fg = folium.FeatureGroup(name="Grid nodes (220 kV and above)")
    approx = nodes[nodes["approximate"].to_numpy(bool)]
    if len(approx):
        folium.GeoJson(_points_fc(approx, {"stroke": approx["colour"]}), marker=folium.CircleMarker(radius=11, fill=False),
                       style_function=lambda f: {"color": f["properties"]["stroke"], "weight": 1, "dashArray": "1 3",
                                                 "fill": False, "interactive": False}).add_to(grid_fg)
    folium.GeoJson(node_fc, marker=folium.CircleMarker(radius=6, fill=True),
                   style_function=lambda f: {"color": f["properties"]["stroke"], "fillColor": f["properties"]["fill"],
                                             "weight": 2 if f["properties"]["dash"] else 1.5,
                                             "dashArray": f["properties"]["dash"] or None, "fillOpacity": 0.95},
                   popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
                   tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(grid_fg)
    grid_fg.add_to(m)

    conn = layers.connectivity
    folium.GeoJson(_points_fc(conn, {"popup": conn["popup"], "tip": conn["tooltip"],
                                     "fill": np.where(conn["exists"], "#2171b5", "#ffffff"),
                                     "stroke": np.where(conn["exists"], "#ffffff", "#2171b5")}),
                   name="Connectivity (cable landings, IXPs, data centres)",
                   marker=folium.CircleMarker(radius=5, fill=True),
                   style_function=lambda f: {"color": f["properties"]["stroke"], "weight": 2, "fillColor": f["properties"]["fill"],
                                             "fillOpacity": 1.0},
                   popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
                   tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)

    m.get_root().add_child(Legend(legend_html(season, score_range, climate_label, climate_range, surplus_range,
                                              network=network is not None)))
    return m


def site_layers(
    layers: DisplayLayers,
    shortlist: gpd.GeoDataFrame,
    *,
    selected: str | None = None,
    score_png: str | None = None,
    score_range: tuple[float, float] = (0, 100),
    label_top: int = 20,
) -> list[folium.FeatureGroup]:
    """What changes with every weight: the score surface, the ranked sites and their rank labels."""
    x0, y0, x1, y1 = layers.bounds
    groups = []
    if score_png:
        surface = folium.FeatureGroup(name="Score of every candidate")
        folium.raster_layers.ImageOverlay(score_png, bounds=[[y0, x0], [y1, x1]], opacity=0.8, pixelated=False,
                                          pane=SURFACE_PANE).add_to(surface)
        groups.append(surface)
    if len(shortlist):
        robust = "p_top_n" in shortlist  # robustness is on: robust sites solid, fragile ones faint and dashed
        # rows read column by column as asked for, and the GeoJSON written directly: copying the ~140-column frame,
        # iterating its rows twice and its __geo_interface__ took a sixth of a weight change's server time
        rows = rows_of(shortlist)
        chosen = [str(r["candidate_id"]) == str(selected) for r in rows]
        features = []
        for i, (r, geom, sel) in enumerate(zip(rows, shortlist.geometry.array, chosen)):
            stroke, weight, dash, opacity = site_style(sel, float(r["p_top_n"]) if robust else None)
            tip = f"#{r['rank']}  score {r['score']:.1f}" + (f" · {robust_text(r)}" if robust else "")
            features.append({"id": str(i), "type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": {
                "candidate_id": str(r["candidate_id"]), "rank": int(r["rank"]),
                "fill": ramp_hex(r["score"], score_range[0], score_range[1], SCORE_RAMP), "is_selected": sel,
                "popup": site_popup(r), "tip": esc(tip), "stroke": stroke, "stroke_weight": weight, "dash": dash,
                "opacity": opacity}})
        sites = folium.FeatureGroup(name="Ranked sites" + (" (robustness: solid = robust, faint and dashed = fragile)" if robust else ""))
        folium.GeoJson({"type": "FeatureCollection", "features": features},
                       style_function=lambda f: {"color": f["properties"]["stroke"], "weight": f["properties"]["stroke_weight"],
                                                 "dashArray": f["properties"]["dash"], "fillColor": f["properties"]["fill"],
                                                 "fillOpacity": f["properties"]["opacity"]},
                       popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(sites)
        groups.append(sites)
        labels = folium.FeatureGroup(name="Rank labels")
        centres = shapely.centroid(shortlist.geometry.array[:label_top])
        marks = []
        for r, sel, c in zip(rows[:label_top], chosen, centres):
            style = ("background:#fff;border:2px solid #00e5ff" if sel else "background:#fff;border:1px solid #111")
            if robust and not sel and float(r["p_top_n"]) < ROBUST_SHARE:
                style = "background:#fff;border:1px dashed #555;color:#555"
            text = f"{int(r['rank'])}" + (f" · {float(r['p_top_n']):.0%}" if robust else "")
            marks.append((c.y, c.x, f"<div class='sf-rank' style='{style};border-radius:9px;font:bold 11px sans-serif;"
                                    f"padding:0 4px;transform:translate(-50%,-130%);display:inline-block;"
                                    f"white-space:nowrap'>{esc(text)}</div>",
                          esc(f"#{int(r['rank'])}" + (f": {robust_text(r)}" if robust else ""))))
        LabelMarkers(marks).add_to(labels)
        groups.append(labels)
    return groups


def ring_layer(frame: gpd.GeoDataFrame, *, name: str, labels: list[str], tips: list[str], colour: str,
               dash: str = "") -> folium.FeatureGroup:
    """Sites drawn as hollow rings with a label each (a programme's sites, or another scenario's shortlist),
    over the ranked sites; ``labels`` and ``tips`` are plain text (escaped here)."""
    group = folium.FeatureGroup(name=name)
    for (_, r), label, tip in zip(frame.iterrows(), labels, tips):
        c = r.geometry.representative_point()
        folium.CircleMarker([c.y, c.x], radius=11, color=colour, weight=3, fill=False, dash_array=dash or None,
                            tooltip=esc(tip)).add_to(group)
        folium.Marker([c.y, c.x], icon=folium.DivIcon(
            html=f"<div class='sf-ring' style='background:#fff;border:2px solid {colour};border-radius:9px;"
                 f"font:bold 11px sans-serif;padding:0 4px;transform:translate(-50%,40%);display:inline-block;"
                 f"white-space:nowrap;color:{colour}'>{esc(label)}</div>", icon_size=(0, 0)),
            tooltip=esc(tip)).add_to(group)
    return group


def site_style(selected: bool, p_top_n: float | None) -> tuple[str, float, str, float]:
    """Outline colour, outline width, dash pattern and fill opacity of a shortlisted site: as before without
    robustness; with it, robust sites (ROBUST_WORDS) solid, the others fainter with a
    dashed outline, the fainter the less often they are shortlisted."""
    if p_top_n is None or not np.isfinite(p_top_n):
        return ("#00e5ff" if selected else "#111", 4.0 if selected else 1.5, "", 0.9)
    robust = p_top_n >= ROBUST_SHARE
    colour = "#00e5ff" if selected else ("#111" if robust else "#555")
    return (colour, 4.0 if selected else (2.5 if robust else 1.5), "" if robust else "5 4", round(0.2 + 0.7 * p_top_n, 3))


def focus_view(shortlist: gpd.GeoDataFrame, selected: str | None, zoom: int = 9) -> tuple[tuple[float, float], int] | None:
    """Centre (lat, lon) and zoom that show the selected site, or None."""
    if selected is None or not len(shortlist):
        return None
    hit = shortlist[shortlist["candidate_id"].astype(str) == str(selected)]
    if hit.empty:
        return None
    c = hit.geometry.iloc[0].centroid
    return (float(c.y), float(c.x)), zoom


def build_map(
    layers: DisplayLayers,
    shortlist: gpd.GeoDataFrame,
    *,
    asset_base: str,
    season: str = "winter",
    selected: str | None = None,
    score_png: str | None = None,
    climate_png: str | None = None,
    climate_label: str = "hours above 35 °C",
    climate_range: tuple[float, float] = (0, 2000),
    score_range: tuple[float, float] = (0, 100),
    label_top: int = 20,
    zoom_to_selected: bool = False,
    online_tiles: bool = False,
    height: int = 620,
) -> folium.Map:
    """The whole map as one object (base layers, site layers, layer control): for standalone HTML and
    tests. ``shortlist`` has one row per ranked site: rank, candidate_id, score, the connection-point
    columns, and the site's polygon (or point) as geometry."""
    m = base_map(layers, asset_base=asset_base, season=season, climate_png=climate_png, climate_label=climate_label,
                 climate_range=climate_range, score_range=score_range, online_tiles=online_tiles, height=height)
    for group in site_layers(layers, shortlist, selected=selected, score_png=score_png, score_range=score_range,
                             label_top=label_top):
        group.add_to(m)
    view = focus_view(shortlist, selected) if zoom_to_selected else None
    if view is not None:
        (lat, lon), _zoom = view
        m.fit_bounds([[lat - 0.6, lon - 0.6], [lat + 0.6, lon + 0.6]])
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m


def _points_fc(frame: pd.DataFrame, props: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of points from ``lon``/``lat`` columns with the given properties."""
    cols = {k: list(v) for k, v in props.items()}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
         "properties": {k: (str(v[i]) if not isinstance(v[i], (int, float)) else v[i]) for k, v in cols.items()}}
        for i, (x, y) in enumerate(zip(frame["lon"], frame["lat"]))]}


def map_html(m: folium.Map) -> str:
    """The full standalone HTML of a map (what a browser would load)."""
    return m.get_root().render()


def external_urls(m: folium.Map) -> list[str]:
    """Every script/style URL the map would load from outside the app (should be empty)."""
    rendered = map_html(m)
    urls = [u for _, u in getattr(m, "default_js", [])] + [u for _, u in getattr(m, "default_css", [])]
    for child in m._children.values():  # noqa: SLF001  (folium has no public walk)
        urls += [u for _, u in getattr(child, "default_js", [])] + [u for _, u in getattr(child, "default_css", [])]
    urls += re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", rendered)
    return sorted({u for u in urls if u.startswith(("http://", "https://", "//"))})


