"""Distances on the Earth, done properly: never in degrees.

All inputs are WGS84 longitude/latitude in degrees (EPSG:4326); all distances are kilometres
on the WGS84 ellipsoid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod
from scipy.spatial import cKDTree

WGS84 = "EPSG:4326"
_GEOD = Geod(ellps="WGS84")
_MEAN_EARTH_RADIUS_KM = 6371.0088


def geodesic_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> NDArray[np.float64]:
    """Geodesic distance in km on the WGS84 ellipsoid between paired points (vectorised)."""
    a = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    x1, y1, x2, y2 = (np.ascontiguousarray(v).ravel() for v in a)
    _, _, metres = _GEOD.inv(x1, y1, x2, y2)
    return np.asarray(metres, dtype=float).reshape(a[0].shape) / 1000.0


def area_km2(geometry: Any) -> float:
    """The area of a (multi)polygon in lon/lat degrees (EPSG:4326), in km² on the WGS84 ellipsoid."""
    return abs(float(_GEOD.geometry_area_perimeter(geometry)[0])) / 1e6


def local_equal_area_crs(lon: float, lat: float) -> str:
    """A Lambert azimuthal equal-area CRS centred on (lon, lat): for areas, buffers and Voronoi cells."""
    return f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"


def _unit_vectors(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


@dataclass
class NearestFinder:
    """Nearest-point search on the sphere, exact distances on the ellipsoid.

    A k-d tree on 3-D unit vectors finds the nearest target by chord length, which orders points
    exactly as great-circle distance does; the distance to the chosen target is then the WGS84
    geodesic. Build once per target set, query millions of points in about a second.
    """

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    _tree: cKDTree | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.lon = np.asarray(self.lon, dtype=float)
        self.lat = np.asarray(self.lat, dtype=float)
        if len(self.lon):
            self._tree = cKDTree(_unit_vectors(self.lon, self.lat))

    def __len__(self) -> int:
        return len(self.lon)

    def query(self, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Index of the nearest target for each point (-1 if there are none) and the distance in km."""
        qlon, qlat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        n = len(qlon)
        if self._tree is None or n == 0:
            return np.full(n, -1, dtype=np.intp), np.full(n, np.nan)
        _, idx = self._tree.query(_unit_vectors(qlon, qlat), k=1)
        idx = np.asarray(idx, dtype=np.intp)
        return idx, geodesic_km(qlon, qlat, self.lon[idx], self.lat[idx])


def sphere_km_between(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> NDArray[np.float64]:
    """Great-circle (haversine) distance in km on the mean-radius sphere: for weights, not reports."""
    l1, p1, l2, p2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * _MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def nearest_k_km(lon: ArrayLike, lat: ArrayLike, target_lon: ArrayLike, target_lat: ArrayLike,
                 k: int) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """The ``k`` nearest targets of each point: (n, k) indices and great-circle distances in km
    (mean-radius sphere), nearest first."""
    tree = cKDTree(_unit_vectors(np.asarray(target_lon, dtype=float), np.asarray(target_lat, dtype=float)))
    chord, idx = tree.query(_unit_vectors(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)), k=k)
    chord = np.asarray(chord, dtype=float).reshape(len(np.atleast_1d(lon)), k)
    idx = np.asarray(idx, dtype=np.intp).reshape(chord.shape)
    return idx, 2 * _MEAN_EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))
