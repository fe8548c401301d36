"""Ground elevation and distance to the sea at points, offline, from the global altitude map that ``pvlib`` ships.

The map (``pvlib/data/Altitude.h5``) is a 1/12° grid (about 9 km) of altitudes in 28 m steps,
aggregated by Mapzen from SRTM, GMTED2010, ETOPO1 and others; pvlib documents errors of 100 m and more
where the terrain is steep. It is read here directly (the whole grid is 9 MB as uint8), so millions of
points are looked up in one vectorised step, with the same cell arithmetic as
``pvlib.location.lookup_altitude``. Inputs are WGS84 longitude/latitude in degrees; output is metres
above sea level. Cells the map has no value for (it marks the sea, and so some coastal and Indus-delta
cells) are taken as 0 m, as pvlib does.

The same no-data cells give the sea: the largest connected region of them is the world ocean (with the Arabian
Sea); smaller ones (lakes, the Rann of Kutch) are not sea. ``sea_distance_km`` is the great-circle distance from a
point to the centre of the nearest ocean cell, so to within about half a cell (5 km) of the coast.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from scipy.spatial import cKDTree

from sitefinder.errors import SitefinderError

SOURCE = ("pvlib altitude map (pvlib/data/Altitude.h5: Mapzen terrain tiles from SRTM, GMTED2010, ETOPO1; "
          "1/12° cells, 28 m steps; errors of 100 m and more in steep terrain)")
_ROWS, _COLS = 2160, 4320  # 1/12 degree, latitude 90..-90 and longitude -180..180
_NODATA = 255
_STEP_M, _OFFSET_M = 28.0, -450.0
_EARTH_RADIUS_KM = 6371.0088  # mean radius, as for the other great-circle distances (sitefinder/measure/geodesy.py)


def _map_path() -> Path:
    spec = importlib.util.find_spec("pvlib")  # locate the file without importing pvlib (slow to import)
    if spec is None or not spec.submodule_search_locations:
        raise SitefinderError("the elevation map needs the pvlib package: pip install pvlib")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "Altitude.h5"


@lru_cache(maxsize=1)
def _grid() -> NDArray[np.uint8]:
    import h5py  # noqa: PLC0415  (comes with pvlib)

    with h5py.File(_map_path(), "r") as fh:
        data = np.asarray(fh["Altitude"][:], dtype=np.uint8)
    if data.shape != (_ROWS, _COLS):
        raise SitefinderError(f"{_map_path()}: unexpected altitude grid of shape {data.shape}.")
    return data


@lru_cache(maxsize=1)
def _sea() -> tuple[NDArray[np.bool_], cKDTree]:
    """The ocean cells of the map, and a k-d tree (unit vectors) of those that touch land: from a point on land,
    the nearest of them is the nearest sea."""
    nodata = _grid() == _NODATA
    labels, _ = ndimage.label(nodata)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    ocean = labels == int(sizes.argmax())
    land = ~ocean
    touches = np.zeros_like(ocean)
    touches[1:] |= land[:-1]
    touches[:-1] |= land[1:]
    touches[:, 1:] |= land[:, :-1]
    touches[:, :-1] |= land[:, 1:]
    rows, cols = np.nonzero(ocean & touches)
    lat = np.radians(90.0 - (rows + 0.5) * (180.0 / _ROWS))
    lon = np.radians(-180.0 + (cols + 0.5) * (360.0 / _COLS))
    return ocean, cKDTree(np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]))


def _cells(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of the map cell of each point (finite coordinates), as ``pvlib.location.lookup_altitude``."""
    row = np.clip(np.rint((90.0 - y) * (_ROWS / 180.0) - 0.5), 0, _ROWS - 1).astype(np.intp)
    col = np.clip(np.rint((x + 180.0) * (_COLS / 360.0) - 0.5), 0, _COLS - 1).astype(np.intp)
    return row, col


def sea_distance_km(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distance (km, mean-radius sphere) from WGS84 points to the centre of the nearest ocean cell of
    the altitude map: 0 for a point in an ocean cell, NaN for non-finite coordinates."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    out = np.full(x.shape, np.nan)
    if ok.any():
        ocean, tree = _sea()
        xr, yr = np.radians(x[ok]), np.radians(y[ok])
        chord, _ = tree.query(np.column_stack([np.cos(yr) * np.cos(xr), np.cos(yr) * np.sin(xr), np.sin(yr)]))
        km = 2 * _EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2, 0.0, 1.0))
        row, col = _cells(x[ok], y[ok])
        out[ok] = np.where(ocean[row, col], 0.0, km)
    return out


def elevation_m(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Ground elevation (m above sea level) at WGS84 points: 0 m where the map has no value (sea), NaN for
    non-finite coordinates."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    row, col = _cells(np.where(ok, x, 0.0), np.where(ok, y, 0.0))
    raw = _grid()[row, col]
    out = raw.astype(float) * _STEP_M + _OFFSET_M
    out[raw == _NODATA] = 0.0
    out[~ok] = np.nan
    return out
