"""The network model on the map: its zones as points and the interfaces between them as lines labelled with their
limit (low-high) and the largest flow the model sends over them. Pure folium, as ``mapview``; every text from data
is escaped (``popups``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from sitefinder.model.ranges import text_or
from sitefinder.report.zones import interface_label
from webapp.popups import esc, interface_popup, interface_tooltip, zone_popup, zone_tooltip

NETWORK_LAYER = "Network zones and interfaces (limit MW, low-high · modelled flow)"
NETWORK_COLOUR = "#6a3d9a"


def zone_points(zones: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The zones layer as points with their popups and tooltips; None without a zones layer."""
    if zones is None or not len(zones):
        return None
    return gpd.GeoDataFrame({"popup": [zone_popup(r) for _, r in zones.iterrows()],
                             "tip": [zone_tooltip(r) for _, r in zones.iterrows()]},
                            geometry=list(shapely.set_precision(np.asarray(zones.geometry.representative_point().array),
                                                                1e-5)), crs=4326)


LABEL_ZOOM = 6            # the zoom at which the labels are laid out so as not to cover each other (the country)
LABEL_CHAR_PX, LABEL_PAD_PX, LABEL_HEIGHT_PX = 6.0, 10.0, 16.0  # the label's box: bold 10 px sans-serif, padded
ALONG = (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8, 0.15, 0.85)  # where on a line a label may sit, best first


def _pixels(lon: np.ndarray, lat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixel coordinates (x right, y down) of lon/lat (EPSG:4326) at ``zoom``."""
    scale = 256.0 * 2 ** zoom
    x = (np.asarray(lon, float) + 180.0) / 360.0 * scale
    phi = np.radians(np.asarray(lat, float))
    y = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / np.pi) / 2.0 * scale
    return x, y


def label_points(geoms: np.ndarray, labels: list[str], zoom: int = LABEL_ZOOM) -> np.ndarray:
    """A point on each line (EPSG:4326) for its label, chosen so that the labels' boxes, as drawn at ``zoom``, cover
    each other as little as they can: the shortest line first (it has the least room), each at the first place along
    it (``ALONG``, halfway first) where its box meets no label already placed, else where it overlaps them least."""
    placed: list[tuple[float, float, float, float]] = []
    out = np.empty(len(geoms), dtype=object)
    lengths = shapely.length(geoms)
    for k in np.argsort(lengths, kind="stable"):
        w = LABEL_CHAR_PX * len(labels[k]) + LABEL_PAD_PX
        best, best_overlap = None, np.inf
        for t in ALONG:
            point = shapely.line_interpolate_point(geoms[k], t, normalized=True)
            x, y = _pixels(shapely.get_x(point), shapely.get_y(point), zoom)
            box = (float(x) - w / 2, float(y) - LABEL_HEIGHT_PX / 2, float(x) + w / 2, float(y) + LABEL_HEIGHT_PX / 2)
            overlap = sum(max(0.0, min(box[2], b[2]) - max(box[0], b[0])) * max(0.0, min(box[3], b[3]) - max(box[1], b[1]))
                          for b in placed)
            if overlap < best_overlap:
                best, best_overlap, best_box = point, overlap, box
            if overlap == 0.0:
                break
        out[k] = best
        placed.append(best_box)
    return out


def interface_lines(interfaces: gpd.GeoDataFrame | None, names: dict[str, str], digits: int) -> gpd.GeoDataFrame | None:
    """The interfaces layer as lines rounded to ``digits`` decimals, with their popups, tooltips, labels (limit with
    range and modelled flow, plain text), the label's point along the line (``label_points``), a line width that grows with the limit
    and a dash where the limit is estimated; None without an interfaces layer. ``names``: zone id -> name."""
    if interfaces is None or not len(interfaces):
        return None
    geoms = shapely.set_precision(np.asarray(interfaces.geometry.array), 10 ** -digits)
    labels = [interface_label(r) for _, r in interfaces.iterrows()]
    mid = label_points(geoms, labels)
    limit = interfaces["limit_mw"].to_numpy(float)
    top = float(np.nanmax(limit)) if np.isfinite(limit).any() else 1.0
    kinds = interfaces["kind"] if "kind" in interfaces else [None] * len(interfaces)
    return gpd.GeoDataFrame({
        "popup": [interface_popup(r, names) for _, r in interfaces.iterrows()],
        "tip": [interface_tooltip(r) for _, r in interfaces.iterrows()],
        "label": labels,
        "label_lon": shapely.get_x(mid).round(5), "label_lat": shapely.get_y(mid).round(5),
        "weight": np.where(np.isfinite(limit), 2.0 + 5.0 * np.clip(limit, 0, None) / max(top, 1.0), 2.0).round(1),
        "dash": ["6 4" if "estimate" in str(text_or(k, "")).lower() else "" for k in kinds],
    }, geometry=list(geoms), crs=4326)


def network_group(zones: gpd.GeoDataFrame | None, lines: gpd.GeoDataFrame | None,
                  geojson: Callable[[str, Callable[[], gpd.GeoDataFrame]], dict[str, Any]], *,
                  show: bool = False) -> folium.FeatureGroup | None:
    """The network model's layer (off at first): each interface as a line between its zones' points (wider for a
    higher limit, dashed where the limit is estimated), labelled with its limit (low-high) and the largest modelled
    flow, and each zone as a point whose popup gives its winter and summer deliverable surplus and what limits it.
    ``geojson(key, make)`` makes a frame's GeoJSON once (``DisplayLayers.feature_collection``). None where the
    dataset has neither layer."""
    if zones is None and lines is None:
        return None
    group = folium.FeatureGroup(name=NETWORK_LAYER, show=show)
    if lines is not None:
        fc = geojson("interfaces", lambda: lines[["popup", "tip", "weight", "dash", "geometry"]])
        folium.GeoJson(fc, style_function=lambda f: {"color": NETWORK_COLOUR, "weight": f["properties"]["weight"],
                                                     "dashArray": f["properties"]["dash"] or None, "opacity": 0.85},
                       popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(group)
        for label, lon, lat in zip(lines["label"], lines["label_lon"], lines["label_lat"]):
            folium.Marker([float(lat), float(lon)], icon=folium.DivIcon(
                html=f"<div class='sf-ifc' style='background:rgba(255,255,255,.9);border:1px solid {NETWORK_COLOUR};"
                     f"border-radius:4px;color:{NETWORK_COLOUR};font:bold 10px sans-serif;padding:0 3px;"
                     f"transform:translate(-50%,-50%);display:inline-block;white-space:nowrap'>{esc(label)}</div>",
                icon_size=(0, 0))).add_to(group)
    if zones is not None:
        folium.GeoJson(geojson("zones", lambda: zones[["popup", "tip", "geometry"]]),
                       marker=folium.CircleMarker(radius=7, fill=True),
                       style_function=lambda _f: {"color": "#ffffff", "weight": 2, "fillColor": NETWORK_COLOUR,
                                                  "fillOpacity": 1.0},
                       popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(group)
    return group


def legend_rows(dot_style: str) -> list[str]:
    """The legend's rows for the network layer (``dot_style``: the legend's CSS for a round swatch)."""
    line = f"display:inline-block;width:14px;vertical-align:middle;margin-right:4px;border-top:3px {{}} {NETWORK_COLOUR}"
    return [
        "<b>Network zones</b> (layer off at first)",
        f"<span style='{dot_style};background:{NETWORK_COLOUR};border:1px solid #fff'></span>zone: deliverable surplus "
        "(estimate)",
        f"<span style='{line.format('solid')}'></span>interface: limit MW (low-high) · largest modelled flow",
        f"<span style='{line.format('dashed')}'></span>limit estimated, not published",
    ]
