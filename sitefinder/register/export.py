"""The ledger as files: every application with its state, as CSV or GeoJSON (RFC 7946, EPSG:4326).

- The **staff** version has everything: the applicant, the site's name and its point.
- The **public** version leaves out who applied and where exactly: no applicant, no site name, and the point is
  the grid node's (when the node's place is given), not the site's. What is booked where stays visible.

MW; dates as ISO 8601.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from sitefinder.data.dataset import Dataset
from sitefinder.register.ledger import Application

PRIVATE = ("applicant", "site")


def node_points(dataset: Dataset) -> dict[str, tuple[float, float]]:
    """Each grid node's point in ``dataset``: node id -> (lon, lat), EPSG:4326 (the public file's points)."""
    nodes = dataset["grid_nodes"].drop_duplicates("node_id")
    return {str(n): (float(g.x), float(g.y)) for n, g in zip(nodes["node_id"], nodes.geometry)}


def records(apps: Sequence[Application], *, public: bool,
            node_points: Mapping[str, tuple[float, float]] | None = None) -> list[dict[str, Any]]:
    """One dict per application; ``node_points``: node id -> (lon, lat), the public version's points."""
    out = []
    for a in apps:
        r: dict[str, Any] = {"id": a.id, "state": a.state, "version": a.version, "mw": a.mw,
                             "grid_node_id": a.grid_node_id, "zone": a.zone, "profile": a.profile, "runs": a.cells,
                             "interruptible": a.interruptible,
                             "hold_until": a.hold_until.isoformat() if a.hold_until else None,
                             "start_date": a.start_date.isoformat() if a.start_date else None}
        if public:
            lon, lat = (node_points or {}).get(a.grid_node_id, (None, None))
            r.update({"lon": lon, "lat": lat, "point": "grid node"})
        else:
            r.update({"applicant": a.applicant, "site": a.site, "lon": a.lon, "lat": a.lat, "point": "site"})
        out.append(r)
    return out


def csv_text(rows: list[dict[str, Any]]) -> str:
    """``records`` as CSV."""
    return pd.DataFrame(rows).to_csv(index=False)


def geojson_text(rows: list[dict[str, Any]]) -> str:
    """``records`` as a GeoJSON FeatureCollection (a record with no point has a null geometry)."""
    frame = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
                             crs=4326) if rows else gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326)
    if rows:
        missing = frame["lon"].isna() | frame["lat"].isna()
        frame.loc[missing, "geometry"] = None
    return frame.to_json(drop_id=True)
