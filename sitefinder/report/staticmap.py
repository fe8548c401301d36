"""A static map as SVG text, for the printable brief: the study area, supply regions, exclusion zones, grid
nodes and the numbered sites. No tiles, no scripts, no network: it prints sharp at any size.

Coordinates are WGS84 lon/lat (EPSG:4326), drawn in an equirectangular projection scaled by the cosine of the
middle latitude (distances east-west and north-south look right at the study area's latitude).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import shapely

from sitefinder.report.colors import SCORE_RAMP, ramp_hex

VOLTAGE_FILL = {765: "#54278f", 500: "#cb181d", 220: "#fd8d3c", 132: "#fdd0a2"}


class Projection:
    """lon/lat to SVG x/y (px) within ``width`` x ``height``, fitted to ``bounds`` with a margin."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float, margin: float = 8.0) -> None:
        x0, y0, x1, y1 = bounds
        self.k = math.cos(math.radians((y0 + y1) / 2))
        span_x, span_y = max((x1 - x0) * self.k, 1e-9), max(y1 - y0, 1e-9)
        self.scale = (width - 2 * margin) / span_x
        self.width = width
        self.height = span_y * self.scale + 2 * margin
        self.x0, self.y1, self.margin = x0, y1, margin

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """The point's place on the drawing (px)."""
        return (self.margin + (lon - self.x0) * self.k * self.scale, self.margin + (self.y1 - lat) * self.scale)


def _path(geom: shapely.Geometry, proj: Projection) -> str:
    parts = []
    polys: Iterable[shapely.Geometry] = getattr(geom, "geoms", [geom])
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            pts = [proj.xy(x, y) for x, y in np.asarray(ring.coords)[:, :2]]
            parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + " Z")
    return " ".join(parts)


def _simplified(frame: gpd.GeoDataFrame, tolerance: float) -> list[shapely.Geometry]:
    return [g for g in shapely.simplify(frame.geometry.to_numpy(), tolerance, preserve_topology=True) if g is not None]


def site_map_svg(study_area: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, regions: gpd.GeoDataFrame | None = None,
                 exclusions: gpd.GeoDataFrame | None = None, nodes: gpd.GeoDataFrame | None = None,
                 width: float = 720.0, label: str = "rank") -> str:
    """The map: outline, regions, exclusion zones, grid nodes by voltage, and each site as a dot numbered by
    ``label`` and coloured by its score (0-100)."""
    bounds = tuple(float(v) for v in study_area.total_bounds)
    proj = Projection(bounds, width)  # type: ignore[arg-type]
    tol = (bounds[2] - bounds[0]) / 900
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {proj.width:.0f} {proj.height:.0f}" '
           f'width="100%" role="img" aria-label="Map of the sites">']
    out.append(f'<rect width="{proj.width:.0f}" height="{proj.height:.0f}" fill="#f4f6f8"/>')
    for g in _simplified(study_area, tol):
        out.append(f'<path d="{_path(g, proj)}" fill="#ffffff" stroke="#555" stroke-width="1.2"/>')
    if regions is not None and len(regions):
        for g in _simplified(regions, tol):
            out.append(f'<path d="{_path(g, proj)}" fill="none" stroke="#9ecae1" stroke-width="0.8"/>')
    if exclusions is not None and len(exclusions):
        for g in _simplified(exclusions, tol):
            out.append(f'<path d="{_path(g, proj)}" fill="#999" fill-opacity="0.45" stroke="none"/>')
    if nodes is not None and len(nodes):
        kv = nodes["voltage_kv"].to_numpy(float) if "voltage_kv" in nodes else np.full(len(nodes), np.nan)
        for pt, v in zip(nodes.geometry, kv):
            x, y = proj.xy(pt.x, pt.y)
            fill = VOLTAGE_FILL.get(int(v), "#666") if np.isfinite(v) else "#666"
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{fill}" stroke="#fff" stroke-width="0.6"/>')
    reps = shapely.point_on_surface(sites.geometry.to_numpy()) if len(sites) else []
    for (_, r), pt in zip(sites.iterrows(), reps):
        x, y = proj.xy(pt.x, pt.y)
        score = float(r["score"]) if "score" in r and np.isfinite(float(r["score"])) else 50.0
        text = html.escape(str(r[label]) if label in r and r[label] is not None else "")
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5" fill="{ramp_hex(score, 0, 100, SCORE_RAMP)}" '
                   f'stroke="#111" stroke-width="1"/>')
        out.append(f'<text x="{x + 7:.1f}" y="{y - 5:.1f}" font-size="10" font-family="sans-serif" font-weight="bold" '
                   f'stroke="#fff" stroke-width="2.5" paint-order="stroke">{text}</text>')
    out.append("</svg>")
    return "".join(out)
