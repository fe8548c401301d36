"""Candidate sites: H3 cells covering the study area, or the user's own points and polygons.

Criteria are measured at each candidate's representative point (the H3 cell centre, or a point
inside a user polygon). Hexagon outlines are built only for the few cells that are shown or exported.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import shapely
from h3.api import numpy_int as h3n
from numpy.typing import NDArray

from sitefinder.errors import LayerError, Problem
from sitefinder.model.vocabulary import MAX_RESOLUTION, MIN_RESOLUTION


@dataclass(frozen=True)
class Candidates:
    """Candidate sites: ids, representative points (WGS84 lon/lat) and, for user files, geometries."""

    ids: NDArray[np.str_]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    kind: str  # "h3" or "user"
    resolution: int | None = None
    user_geometry: NDArray[np.object_] | None = None
    names: NDArray[np.object_] | None = None
    digest: str = ""  # what the cells were made from (study area, resolution), when known: saves hashing the ids
    h3_ints: NDArray[np.uint64] | None = None  # the H3 cells as integers, when known (saves parsing a million ids)

    def __len__(self) -> int:
        return len(self.ids)

    def geometries(self, index: NDArray[np.intp]) -> NDArray[np.object_]:
        """Shapely geometries (WGS84) of the candidates at ``index``: hexagons for H3 cells."""
        if self.user_geometry is not None:
            return self.user_geometry[index]
        out = np.empty(len(index), dtype=object)
        for k, i in enumerate(index):
            ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(str(self.ids[i]))]
            out[k] = shapely.Polygon(ring)
        return out


def check_resolution(resolution: int) -> int:
    """``resolution`` as an int if it is an allowed H3 resolution (5-9), else a LayerError saying so."""
    if not isinstance(resolution, (int, np.integer)) or not MIN_RESOLUTION <= int(resolution) <= MAX_RESOLUTION:
        raise LayerError("resolution", [Problem("resolution", f"{resolution!r} is not allowed.",
                                                f"Use a whole number from {MIN_RESOLUTION} (about 250 km² cells) "
                                                f"to {MAX_RESOLUTION} (about 0.1 km² cells).")])
    return int(resolution)


def cell_count_estimate(area_km2: float, resolution: int) -> int:
    """About how many H3 cells of ``resolution`` cover ``area_km2`` (km²): the area over the mean cell area. An
    estimate (cells vary in size); ``h3_candidates`` gives the exact count, which at resolution 8-9 takes seconds."""
    return round(area_km2 / h3.average_hexagon_area(check_resolution(resolution), unit="km^2"))


def cell_area_km2(resolution: int) -> float:
    """The mean area of an H3 cell at ``resolution``, in km²."""
    return float(h3.average_hexagon_area(check_resolution(resolution), unit="km^2"))


def h3_candidates(study_area: gpd.GeoDataFrame, resolution: int) -> Candidates:
    """H3 cells at ``resolution`` (5-9) whose centres lie inside the study area (EPSG:4326)."""
    res = check_resolution(resolution)
    area = shapely.union_all(study_area.to_crs(4326).geometry.array)
    coarse = max(0, res - 2)
    shape = h3.geo_to_h3shape(shapely.geometry.mapping(area))
    parents = h3n.h3shape_to_cells_experimental(shape, coarse, contain="overlap")
    cells = (np.unique(np.concatenate([h3n.cell_to_children(int(p), res) for p in parents])) if len(parents)
             else np.array([], dtype=np.uint64))
    latlng = np.array([h3n.cell_to_latlng(int(c)) for c in cells]).reshape(-1, 2)
    lat, lon = latlng[:, 0], latlng[:, 1]
    shapely.prepare(area)
    inside = shapely.contains_xy(area, lon, lat)
    cells, lon, lat = cells[inside], lon[inside], lat[inside]
    ids = np.array([h3.int_to_str(int(c)) for c in cells], dtype=str)
    return Candidates(ids=ids, lon=lon, lat=lat, kind="h3", resolution=res, h3_ints=np.asarray(cells, dtype=np.uint64))


def user_candidates(frame: gpd.GeoDataFrame, *, source: str = "candidates") -> Candidates:
    """Candidates from a user layer of points or polygons (EPSG:4326), keyed by an id column if present."""
    gdf = frame.to_crs(4326) if frame.crs is not None else frame
    geoms = gdf.geometry.array
    problems = []
    if len(gdf) == 0:
        problems.append(Problem(source, "has no features.", "Add candidate points or polygons."))
    types = set(shapely.get_type_id(geoms).tolist()) - {0, 3, 4, 6}
    if types:
        problems.append(Problem(source, "candidates must be points or polygons.", "Remove lines and collections."))
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        problems.append(Problem(f"{source}, rows {', '.join(str(i + 1) for i in np.flatnonzero(empty)[:8])}",
                                "have an empty geometry.", "Give each candidate a location."))
    if problems:
        raise LayerError(source, problems)
    points = shapely.point_on_surface(shapely.make_valid(np.asarray(geoms)))
    idcol = next((c for c in ("candidate_id", "site_id", "id", "name") if c in gdf.columns), None)
    ids = gdf[idcol].astype(str).to_numpy() if idcol else np.array([f"site-{i + 1}" for i in range(len(gdf))])
    if len(set(ids)) != len(ids):
        ids = np.array([f"{v}#{i + 1}" for i, v in enumerate(ids)])
    names = gdf["name"].astype(str).to_numpy(dtype=object) if "name" in gdf.columns else None
    return Candidates(ids=ids.astype(str), lon=shapely.get_x(points), lat=shapely.get_y(points), kind="user",
                      user_geometry=np.asarray(geoms, dtype=object), names=names)
