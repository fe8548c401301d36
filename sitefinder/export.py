"""The shortlist as a table, an RFC 7946 GeoJSON FeatureCollection and a CSV.

The GeoJSON and the CSV carry the same rows and columns; the GeoJSON adds the geometry (the H3
hexagon or the user's polygon/point) and the run metadata in its top-level ``metadata`` member.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from .analysis import Study, pick_shortlist
from .dataset import Dataset
from .economics import economics_table
from .errors import Problem, ProfileError, SitefinderError
from .io import dumps_geojson, feature_collection, write_csv
from .profiles import Profile
from .ranges import RANGED_COLUMNS, range_columns
from .scenario import Scenario
from .scoring import ScoreResult
from .vocabulary import CRITERIA

CONNECTION = ["grid_node_id", "grid_node", "grid_voltage_kv", *range_columns(["grid_distance_km"]), "grid_headroom_mw",
              "grid_status", "grid_location_precision", "grid_location_error_km", "grid_capacity_mva"]
PLACE = ["province", "district", "elevation_m", "nearest_town", "town_distance_km", "nearest_large_city",
         "large_city_distance_km", "connectivity_point", "connectivity_distance_km"]
REGION = ["region", "on_national_grid", *range_columns(["region_surplus_mw", "surplus_winter_mw", "surplus_summer_mw"])]
CLIMATE = [*range_columns(["hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c", "free_cooling_months",
                           "annual_mean_temp_c"]), "climate_station_km", "climate_source"]
LAND = ["flood_2022", "flood_2022_basis", "land_excluded"]
DECIMALS = {"score": 2, "topsis_score": 2, "lon": 6, "lat": 6}


def shortlist_table(matrix: pd.DataFrame, result: ScoreResult, rows: np.ndarray) -> pd.DataFrame:
    """One row per shortlisted site, best first: rank, score, connection point, region, raw values, contributions."""
    sub = matrix.iloc[rows].reset_index(drop=True)
    out = pd.DataFrame({
        "rank": np.arange(1, len(rows) + 1),
        "overall_rank": result.rank[rows],
        "candidate_id": sub["candidate_id"].astype(str),
        "score": result.score[rows],
        "topsis_score": result.topsis_score[rows],
    })
    for col in CONNECTION + REGION:
        if col in sub:
            out[col] = sub[col].to_numpy()
    out["surplus_season"] = result.profile.season
    scored = [c for c in result.criteria]
    for col in dict.fromkeys(range_columns([c for c in scored if c in RANGED_COLUMNS]) + scored + PLACE + CLIMATE + LAND):
        if col in sub and col not in out:
            out[col] = sub[col].to_numpy()
    for j, name in enumerate(result.criteria):
        out[f"contrib_{name}"] = result.contributions[rows, j]
    out["data_gaps"] = ["; ".join(result.gaps(int(i))) for i in rows]
    out["estimates"] = "; ".join(c for c in scored if CRITERIA[c].estimate and result.weight_of(c) > 0)
    out["lon"] = sub["lon"].to_numpy()
    out["lat"] = sub["lat"].to_numpy()
    for col in out.columns:
        if out[col].dtype.kind == "f":
            out[col] = out[col].round(DECIMALS.get(col, 3))
    return out


def site_economics_for(study: Study, profile: Profile, matrix: pd.DataFrame, rows: np.ndarray, *,
                       mw: np.ndarray | float | None = None, months: np.ndarray | None = None) -> pd.DataFrame:
    """The cost model's figures (``economics.py``) for the sites at ``rows`` of ``matrix``: at the facility size and
    the months each region can supply it, unless ``mw`` (MW per site) and ``months`` ((n, 12) booleans) are given."""
    sub = matrix.iloc[np.asarray(rows, dtype=np.intp)].reset_index(drop=True)
    return economics_table(sub, profile.economics, study.dataset["supply_regions"], study.dataset.get("connectivity"),
                           mw=profile.facility_mw if mw is None else mw, months=months,
                           unknown_kv=profile.node_rule.min_voltage_kv)


def with_economics(table: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the economics columns put before the contributions (replacing any of the same name)."""
    base = table.drop(columns=[c for c in figures.columns if c in table])
    cut = next((i for i, c in enumerate(base.columns) if str(c).startswith("contrib_")), len(base.columns))
    figures = figures.reset_index(drop=True).copy()
    for col in figures.columns:
        if figures[col].dtype.kind == "f":
            figures[col] = figures[col].round(DECIMALS.get(col, 3))
    return pd.concat([base.iloc[:, :cut], figures, base.iloc[:, cut:]], axis=1)


def run_metadata(study: Study, result: ScoreResult, *, top: int, max_per_node: int, province: str | None,
                 scenario: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce and to trust the run (``scenario``: the app's URL parameters)."""
    prof = result.profile
    params = prof.params()
    ds = study.dataset
    sources = {}
    for kind, frame in ds.layers.items():
        src = frame["source"].dropna().astype(str) if "source" in frame else pd.Series(dtype=str)
        sources[kind] = {
            "file": ds.file_label(kind),
            "features": int(len(frame)),
            "sources": sorted({s for v in src for s in str(v).replace(" | ", " ; ").split(" ; ") if s.strip()})[:12],
        }
    return {
        "generator": f"sitefinder {__version__}",
        "generated_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "profile": prof.name,
        "profile_title": prof.title,
        "profile_source": prof.source,
        "facility_mw": prof.facility_mw,
        "season": prof.season,
        "weights": {c.name: c.weight for c in prof.criteria},
        "weights_normalised": {n: round(float(w), 6) for n, w in zip(result.criteria, result.weights)},
        "value_functions": {c.name: c.value.describe() for c in prof.criteria},
        "missing_rules": {c.name: c.missing for c in prof.criteria},
        "constraints": [c.describe(params) for c in prof.constraints],
        "grid_rule": {"min_voltage_kv": prof.node_rule.min_voltage_kv, "statuses": list(prof.node_rule.statuses),
                      "allow_unknown_voltage": prof.node_rule.allow_unknown_voltage},
        "candidates": study.candidates.kind,
        "resolution": study.candidates.resolution,
        "candidate_count": len(study.candidates),
        "feasible_count": result.n_feasible,
        "excluded_by": result.failure_counts(),
        "shortlist": {"top": top, "max_per_node": max_per_node, "province": province},
        "aggregation": "weighted sum (score, 0-100); TOPSIS closeness (topsis_score, 0-100) as a cross-check",
        "dataset": {"name": ds.name, "version": ds.version, "layers": sources},
        "scenario": scenario or {},
        "estimates": "values in " + ", ".join(c for c, i in CRITERIA.items() if i.estimate)
                     + " are estimates; see the dataset README for how they were made",
        "ranges": "each estimated column <name> has <name>_low and <name>_high: "
                  + ", ".join(RANGED_COLUMNS) + ". Blank = no range known (never zero)",
        "assumptions": dataset_assumptions(ds),
        "economics": {**prof.economics.metadata(), "facility_mw": prof.facility_mw,
                      "unknown_voltage_priced_at_kv": prof.node_rule.min_voltage_kv},
    }


def dataset_assumptions(dataset: Dataset) -> dict[str, Any]:
    """Every assumption behind the dataset's estimates, with its value and range, from ``dataset.toml``,
    and how the climate interpolation was made and how well it predicts the stations (leave-one-out)."""
    from .climate import ClimateSettings  # noqa: PLC0415

    manifest = dataset.manifest or {}
    settings = ClimateSettings.from_manifest(manifest)
    return {
        "parameters": [dict(a) for a in manifest.get("assumptions", [])],
        "climate_interpolation": settings.describe(),
        "climate_leave_one_out": manifest.get("climate_check", {}),
        "grid_location": "a node's true place may be up to its location_error_km from its mapped point, so "
                         "grid_distance_km_low/high = distance -/+ that error",
    }


def shortlist_frame(study: Study, table: pd.DataFrame, rows: np.ndarray) -> gpd.GeoDataFrame:
    """The shortlist table with each site's geometry (H3 hexagon or the user's shape), EPSG:4326."""
    geoms = study.candidates.geometries(np.asarray(rows, dtype=np.intp))
    return gpd.GeoDataFrame(table.copy(), geometry=list(geoms), crs=4326)


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


@dataclass
class Shortlist:
    """A ranked run: the criteria matrix, the scores, and the shortlist as table, frame and metadata."""

    matrix: pd.DataFrame
    result: ScoreResult
    rows: np.ndarray
    table: pd.DataFrame
    frame: gpd.GeoDataFrame
    metadata: dict[str, Any]


def provinces(matrix: pd.DataFrame) -> list[str]:
    """The provinces the candidates fall in, sorted."""
    return sorted({str(p) for p in matrix["province"].dropna().unique()})


def _base_profile(scenario: Scenario, profile: Profile) -> Profile | None:
    """The unmodified profile the scenario starts from (built-in name or the profile's own file)."""
    from .profiles import load_profile  # noqa: PLC0415

    try:
        return load_profile(scenario.profile)
    except SitefinderError:
        return None


def recorded_scenario(scenario: Scenario, profile: Profile) -> dict[str, str]:
    """The scenario as URL parameters, with what equals the profile's defaults left out (for metadata)."""
    base = _base_profile(scenario, profile)
    settings = scenario.settings()
    return (settings.canonical(base) if base is not None else settings).to_query()


def make_shortlist(study: Study, scenario: Scenario, profile: Profile) -> Shortlist:
    """Score ``study`` under ``profile`` and cut the shortlist ``scenario`` asks for (CLI and app share this)."""
    matrix, result = study.rank(profile)
    if scenario.province and scenario.province.lower() not in {p.lower() for p in provinces(matrix)}:
        raise ProfileError("province", [Problem("province", f"'{scenario.province}' is not a province in this dataset.",
                                                f"Use one of: {', '.join(provinces(matrix))}.")])
    rows = pick_shortlist(matrix, result, scenario.top, max_per_node=scenario.max_per_node, province=scenario.province)
    table = with_economics(shortlist_table(matrix, result, rows), site_economics_for(study, profile, matrix, rows))
    frame = shortlist_frame(study, table, rows)
    meta = run_metadata(study, result, top=scenario.top, max_per_node=scenario.max_per_node, province=scenario.province,
                        scenario=recorded_scenario(scenario, profile))
    return Shortlist(matrix, result, rows, table, frame, meta)
