"""Read the fact tables in ``data/pakistan/facts`` (copied from the shared fact collection)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from sitefinder.errors import BuildError

FACT_FILES = (
    "outline.geojson", "grid_stations.csv", "power_plants.csv", "districts.csv", "discos.csv",
    "climate_stations.csv", "cities.csv", "protected_areas.csv", "connectivity.csv", "flood_2022_districts.csv",
)


def read_table(facts_dir: Path, name: str) -> pd.DataFrame:
    """A fact CSV as strings-and-numbers, exactly as published (blank cells stay NaN)."""
    path = facts_dir / name
    if not path.exists():
        raise BuildError(f"{path}: fact table missing. Copy it from shared/data/pakistan/ or restore it from git.")
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})


def number(frame: pd.DataFrame, column: str) -> pd.Series:
    """A fact table column as floats; text that is not a number becomes NaN."""
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def points(frame: pd.DataFrame, lon: str = "longitude", lat: str = "latitude") -> gpd.GeoDataFrame:
    """Rows with coordinates as a point layer (EPSG:4326); rows without are dropped by the caller."""
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(number(frame, lon), number(frame, lat)), crs=4326)


def read_outline(facts_dir: Path) -> gpd.GeoDataFrame:
    """The national outline (``outline.geojson``) in EPSG:4326."""
    path = facts_dir / "outline.geojson"
    if not path.exists():
        raise BuildError(f"{path}: outline missing.")
    return gpd.read_file(path).to_crs(4326)
