"""Surfaces over every candidate as small PNG images on the map's Web-Mercator pixel grid (so they line up with
the tiles), instead of a polygon per cell: the score and a climate metric. Geometry is WGS84 lon/lat (EPSG:4326).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import h3
import numpy as np
from numpy.typing import NDArray

from sitefinder.measure.candidates import Candidates
from sitefinder.report.colors import ramp_rgb


def _merc_y(lat: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def _merc_lat(y: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)


@dataclass(frozen=True)
class RasterGrid:
    """Which candidate each pixel of a Web-Mercator image falls in (-1 = none)."""

    index: NDArray[np.intp]  # (height, width)
    bounds: tuple[float, float, float, float]


def candidate_raster(candidates: Candidates, bounds: tuple[float, float, float, float], width: int = 560) -> RasterGrid:
    """Map pixels to H3 candidates (cache per candidate set: about 0.3 s for 560 px)."""
    x0, y0, x1, y1 = bounds
    my0, my1 = _merc_y(np.array([y0, y1]))
    height = int(round(width * (my1 - my0) / np.radians(x1 - x0)))
    lons = x0 + (np.arange(width) + 0.5) * (x1 - x0) / width
    lats = _merc_lat(my1 - (np.arange(height) + 0.5) * (my1 - my0) / height)
    index = np.full((height, width), -1, dtype=np.intp)
    if candidates.kind != "h3" or candidates.resolution is None:
        return RasterGrid(index, bounds)
    ids = (candidates.h3_ints if candidates.h3_ints is not None
           else np.array([h3.str_to_int(c) for c in candidates.ids], dtype=np.uint64))
    order = np.argsort(ids)
    sorted_ids = ids[order]
    res = candidates.resolution
    for r, lat in enumerate(lats):
        cells = np.array([h3.str_to_int(h3.latlng_to_cell(lat, lon, res)) for lon in lons], dtype=np.uint64)
        pos = np.searchsorted(sorted_ids, cells)
        pos = np.clip(pos, 0, len(sorted_ids) - 1)
        hit = sorted_ids[pos] == cells
        index[r, hit] = order[pos[hit]]
    return RasterGrid(index, bounds)


def raster_png(grid: RasterGrid, values: NDArray[np.float64], lo: float, hi: float, ramp: tuple[str, ...],
               *, alpha: int = 200, show_nan: bool = False) -> str:
    """A data-URL PNG colouring each pixel by its candidate's value (NaN transparent unless ``show_nan``)."""
    from PIL import Image  # noqa: PLC0415  (pillow comes with the app extra)

    h, w = grid.index.shape
    flat = grid.index.ravel()
    vals = np.full(flat.shape, np.nan)
    inside = flat >= 0
    vals[inside] = np.asarray(values, dtype=float)[flat[inside]]
    rgba = np.zeros((flat.size, 4), dtype=np.uint8)
    visible = inside & (~np.isnan(vals) | show_nan)
    rgba[visible, :3] = ramp_rgb(vals[visible], lo, hi, ramp)  # colour only what is drawn
    rgba[visible, 3] = alpha
    img = Image.fromarray(rgba.reshape(h, w, 4), "RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=3)  # half the encode time of 6 for ~3 % more bytes (measured)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")

