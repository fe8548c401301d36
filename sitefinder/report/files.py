"""The files a run hands on: RFC 7946 GeoJSON and CSV of a shortlist, a robust shortlist or a programme, the brief,
the saved scenario and any table the run makes (the value of information), written by one writer.

``write_run_files`` makes every text first and only then writes them all or nothing
(``sitefinder.files.write_files``): a run that fails while making or writing them changes no file, and no file is
ever left half-written. ``rank``, ``robustness`` and ``programme`` use it for all their files (``explain`` for its
saved scenario, ``compare`` for its table); the web app's download buttons use ``shortlist_geojson`` and
``shortlist_csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from sitefinder.data.dataset import Dataset
from sitefinder.data.io import csv_text, dumps_geojson, feature_collection
from sitefinder.files import write_files
from sitefinder.report.brief import brief_html


def shortlist_geojson(frame: gpd.GeoDataFrame, metadata: dict[str, Any]) -> str:
    """The shortlist as RFC 7946 GeoJSON text (6 decimals, CCW rings, no ``crs``, no NaN)."""
    return dumps_geojson(feature_collection(frame, ndigits=6, metadata=metadata), compact=False)


def shortlist_csv(table: pd.DataFrame) -> str:
    """The shortlist table as CSV text (the same rows and columns as the GeoJSON's properties)."""
    return csv_text(table)


@dataclass(frozen=True)
class RunFiles:
    """Where a run's files go; None: not asked for. ``tables`` maps the name of a table the run makes (e.g.
    "value-of-information table") to its CSV file."""

    geojson: Path | None = None
    csv: Path | None = None
    brief: Path | None = None
    scenario: Path | None = None
    tables: Mapping[str, Path] | None = None

    def wanted(self) -> bool:
        """Whether any file is asked for."""
        return any((self.geojson, self.csv, self.brief, self.scenario, self.tables))


@dataclass(frozen=True)
class RunResult:
    """What a run's files are made of: the sites (a frame with geometry, one row per site, in order), the run's
    metadata, the dataset (for the brief's sources), and the brief's kind ("shortlist" or "programme") and title."""

    frame: gpd.GeoDataFrame
    metadata: dict[str, Any]
    dataset: Dataset
    kind: str
    title: str


def write_run_files(files: RunFiles, result: RunResult | None = None, *, scenario_json: str | None = None,
                    tables: Mapping[str, pd.DataFrame] | None = None,
                    say: Callable[[str], None] = lambda _msg: None) -> list[Path]:
    """Write the files asked for in ``files``: the sites as GeoJSON and CSV and the brief (from ``result``), the
    saved scenario (``scenario_json``) and each named table. All texts are made before the first file is written,
    and the files are written all or nothing (``sitefinder.files.write_files``): a run that fails leaves every
    earlier file as it was. Returns the files written, in that order."""
    texts: list[tuple[Path, str, str]] = []  # (path, text, what to say was written)
    if result is not None:
        sites = f"{len(result.frame)} sites"
        if files.geojson is not None:
            texts.append((files.geojson, shortlist_geojson(result.frame, result.metadata), sites))
        if files.csv is not None:
            texts.append((files.csv, shortlist_csv(pd.DataFrame(result.frame.drop(columns=result.frame.geometry.name))), sites))
        if files.brief is not None:
            texts.append((files.brief, brief_html(result.frame, result.metadata, result.dataset, kind=result.kind,
                                                  title=result.title), "the brief"))
    if files.scenario is not None and scenario_json is not None:
        texts.append((files.scenario, scenario_json if scenario_json.endswith("\n") else scenario_json + "\n", "the scenario"))
    for name, path in (files.tables or {}).items():  # a table asked for that the run did not make is a bug: KeyError
        texts.append((path, csv_text((tables or {})[name]), f"the {name}"))
    write_files([(path, text) for path, text, _ in texts])
    for path, _, what in texts:
        say(f"wrote {what} to {path}")
    return [path for path, _, _ in texts]
