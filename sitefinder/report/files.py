"""The files a run hands on: RFC 7946 GeoJSON and CSV of a shortlist, a robust shortlist or a programme.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from sitefinder.data.io import dumps_geojson, feature_collection, write_csv


def shortlist_geojson(frame: gpd.GeoDataFrame, metadata: dict[str, Any]) -> str:
    """The shortlist as RFC 7946 GeoJSON text (6 decimals, CCW rings, no ``crs``, no NaN)."""
    return dumps_geojson(feature_collection(frame, ndigits=6, metadata=metadata), compact=False)


def shortlist_csv(table: pd.DataFrame) -> str:
    """The shortlist table as CSV text (the same rows and columns as the GeoJSON's properties)."""
    return table.to_csv(index=False, lineterminator="\n")


def write_shortlist(frame: gpd.GeoDataFrame, metadata: dict[str, Any], geojson_path: Path | None,
                    csv_path: Path | None) -> list[Path]:
    """Write the shortlist as GeoJSON and/or CSV where given; returns the files written."""
    written = []
    if geojson_path is not None:
        geojson_path.parent.mkdir(parents=True, exist_ok=True)
        geojson_path.write_text(shortlist_geojson(frame, metadata), encoding="utf-8")
        written.append(geojson_path)
    if csv_path is not None:
        written.append(write_csv(pd.DataFrame(frame.drop(columns=frame.geometry.name)), csv_path))
    return written

