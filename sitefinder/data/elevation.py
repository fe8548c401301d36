"""Ground elevation at points, offline, from the global altitude map that ``pvlib`` ships.

The map (``pvlib/data/Altitude.h5``) is a 1/12° grid (about 9 km) of altitudes in 28 m steps,
aggregated by Mapzen from SRTM, GMTED2010, ETOPO1 and others; pvlib documents errors of 100 m and more
where the terrain is steep. It is read here directly (the whole grid is 9 MB as uint8), so millions of
points are looked up in one vectorised step, with the same cell arithmetic as
``pvlib.location.lookup_altitude``. Inputs are WGS84 longitude/latitude in degrees; output is metres
above sea level. Cells the map has no value for (it marks the sea, and so some coastal and Indus-delta
cells) are taken as 0 m, as pvlib does.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sitefinder.errors import SitefinderError

SOURCE = ("pvlib altitude map (pvlib/data/Altitude.h5: Mapzen terrain tiles from SRTM, GMTED2010, ETOPO1; "
          "1/12° cells, 28 m steps; errors of 100 m and more in steep terrain)")
_ROWS, _COLS = 2160, 4320  # 1/12 degree, latitude 90..-90 and longitude -180..180
_NODATA = 255
_STEP_M, _OFFSET_M = 28.0, -450.0


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


def elevation_m(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Ground elevation (m above sea level) at WGS84 points: 0 m where the map has no value (sea), NaN for
    non-finite coordinates."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    row = np.clip(np.rint((90.0 - y) * (_ROWS / 180.0) - 0.5), 0, _ROWS - 1)
    col = np.clip(np.rint((x + 180.0) * (_COLS / 360.0) - 0.5), 0, _COLS - 1)
    ok = np.isfinite(x) & np.isfinite(y)
    raw = _grid()[np.where(ok, row, 0).astype(np.intp), np.where(ok, col, 0).astype(np.intp)]
    out = raw.astype(float) * _STEP_M + _OFFSET_M
    out[raw == _NODATA] = 0.0
    out[~ok] = np.nan
    return out
