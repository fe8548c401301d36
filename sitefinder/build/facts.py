"""Read the fact tables in ``data/pakistan/facts`` (copied from the shared fact collection)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sitefinder.data.io import MAX_FILE_BYTES, read_vector, sniff_format
from sitefinder.errors import BuildError
from sitefinder.files import read_input_bytes

FACT_FILES = (
    "outline.geojson", "grid_stations.csv", "power_plants.csv", "districts.csv", "discos.csv",
    "climate_stations.csv", "cities.csv", "protected_areas.csv", "connectivity.csv", "flood_2022_districts.csv",
)


def _fact_bytes(facts_dir: Path, name: str, missing: str) -> bytes:
    """A fact file's bytes, with the checks every user-named file gets (a folder, too large, unreadable)."""
    path = facts_dir / name
    if not path.exists():
        raise BuildError(f"{path}: {missing}")
    return read_input_bytes(path, max_bytes=MAX_FILE_BYTES, what="fact table")


def read_table(facts_dir: Path, name: str) -> pd.DataFrame:
    """A fact CSV as strings-and-numbers, exactly as published (blank cells stay NaN)."""
    raw = _fact_bytes(facts_dir, name, "fact table missing. Fix: copy it from shared/data/pakistan/ or restore it from git.")
    try:
        return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8").replace({"": None})
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise BuildError(f"{facts_dir / name}: is not a readable CSV fact table ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}). Fix: restore it from git.") from None


def number(frame: pd.DataFrame, column: str) -> pd.Series:
    """A fact table column as floats; text that is not a number becomes NaN."""
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def points(frame: pd.DataFrame, lon: str = "longitude", lat: str = "latitude") -> gpd.GeoDataFrame:
    """Rows with coordinates as a point layer (EPSG:4326); rows without are dropped by the caller."""
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(number(frame, lon), number(frame, lat)), crs=4326)


def read_outline(facts_dir: Path) -> gpd.GeoDataFrame:
    """The national outline (``outline.geojson``) in EPSG:4326, read as a layer file is (GeoJSON text parsed in
    Python, with its checks), never by GDAL."""
    path = facts_dir / "outline.geojson"
    head = _fact_bytes(facts_dir, "outline.geojson", "outline missing. Fix: point --facts at the fact tables "
                                                     "(data/pakistan/facts), or restore it from git.")[:4096]
    if sniff_format(path, head, str(path)) != "geojson":
        raise BuildError(f"{path}: is not GeoJSON text. Fix: restore it from git.")
    return read_vector(path).to_crs(4326)
