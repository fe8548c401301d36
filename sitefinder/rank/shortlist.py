"""The shortlist as a table, an RFC 7946 GeoJSON FeatureCollection and a CSV.

The GeoJSON and the CSV carry the same rows and columns; the GeoJSON adds the geometry (the H3
hexagon or the user's polygon/point) and the run metadata in its top-level ``metadata`` member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from sitefinder.economics.cost_model import economics_table
from sitefinder.errors import Problem, ProfileError, SitefinderError
from sitefinder.measure.geodesy import geodesic_km
from sitefinder.model.figures import figures_metadata, row_estimates
from sitefinder.model.profiles import Profile, load_profile
from sitefinder.model.ranges import RANGED_COLUMNS, range_columns
from sitefinder.model.scenario import Scenario
from sitefinder.rank.metadata import run_metadata
from sitefinder.rank.scoring import ScoreResult
from sitefinder.rank.study import Study

CONNECTION = ["grid_node_id", "grid_node", "grid_voltage_kv", *range_columns(["grid_distance_km"]), "grid_headroom_mw",
              "grid_status", "grid_location_precision", "grid_location_error_km", "grid_capacity_mva"]
PLACE = ["province", "district", "elevation_m", "nearest_town", "town_distance_km", "nearest_large_city",
         "large_city_distance_km", "connectivity_point", "connectivity_distance_km"]
REGION = ["region", "on_national_grid", "zone", "surplus_area", "surplus_area_name",
          *range_columns(["region_surplus_mw", "surplus_winter_mw", "surplus_summer_mw"]), "surplus_binding",
          *range_columns(["surplus_cost_pkr_per_kwh"])]
CLIMATE = [*range_columns(["hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c", "free_cooling_months",
                           "annual_mean_temp_c"]), "climate_station_km", "climate_source"]
LAND = ["flood_2022", "flood_2022_basis", "land_excluded"]
DECIMALS = {"score": 2, "topsis_score": 2, "lon": 6, "lat": 6}


def shortlist_table(matrix: pd.DataFrame, result: ScoreResult, rows: np.ndarray) -> pd.DataFrame:
    """One row per shortlisted site, best first: rank, score, connection point, region, raw values, contributions."""
    return _table(_table_columns(matrix, result, rows), len(rows))


def _table(columns: dict[str, Any], n: int) -> pd.DataFrame:
    """The shortlist frame of ``columns`` (``n`` rows), its ``estimates`` column filled in."""
    table = pd.DataFrame(columns, index=pd.RangeIndex(n))
    if "estimates" in table:
        table["estimates"] = row_estimates(table)
    return table


def _table_columns(matrix: pd.DataFrame, result: ScoreResult, rows: np.ndarray) -> dict[str, Any]:
    """``shortlist_table``'s columns, rounded, with ``estimates`` still blank."""
    rows = np.asarray(rows, dtype=np.intp)
    sub = matrix.take(rows)

    def values(col: str) -> np.ndarray:
        return sub[col].to_numpy()

    # built as one dict and made a frame once: a frame grown a column at a time took half of a weight change's shortlist
    out: dict[str, Any] = {
        "rank": np.arange(1, len(rows) + 1),
        "overall_rank": result.rank[rows],
        "candidate_id": sub["candidate_id"].astype(str).to_numpy(),
        "score": result.score[rows],
        "topsis_score": result.topsis_score[rows],
    }
    present = set(sub.columns)
    for col in CONNECTION + REGION:
        if col in present:
            out[col] = values(col)
    out["surplus_season"] = result.profile.season
    scored = list(result.criteria)
    for col in dict.fromkeys(range_columns([c for c in scored if c in RANGED_COLUMNS]) + scored + PLACE + CLIMATE + LAND):
        if col in present and col not in out:
            out[col] = values(col)
    for j, name in enumerate(result.criteria):
        out[f"contrib_{name}"] = result.contributions[rows, j]
    out["data_gaps"] = ["; ".join(result.gaps(int(i))) for i in rows]
    out["estimates"] = ""
    out["lon"] = values("lon")
    out["lat"] = values("lat")
    return _rounded(out)


def _values(column: pd.Series) -> Any:
    """A column's values without its index: a numpy array for a numpy dtype (cheap to round and to build a frame
    from), else the pandas array that keeps its dtype."""
    return column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array


def _rounded(columns: dict[str, Any]) -> dict[str, Any]:
    """``columns`` with every float array rounded to its column's decimals (``DECIMALS``, else 3)."""
    out: dict[str, Any] = {}
    for col, v in columns.items():
        if getattr(getattr(v, "dtype", None), "kind", "") == "f":
            v = v.round(DECIMALS.get(col, 3))  # numpy and pandas float arrays alike
        out[col] = v
    return out


def site_economics_for(study: Study, profile: Profile, matrix: pd.DataFrame, rows: np.ndarray, *,
                       mw: np.ndarray | float | None = None, months: np.ndarray | None = None) -> pd.DataFrame:
    """The cost model's figures (``economics.py``) for the sites at ``rows`` of ``matrix``: at the facility size and
    the months each region can supply it, unless ``mw`` (MW per site) and ``months`` ((n, 12) booleans) are given."""
    sub = matrix.iloc[np.asarray(rows, dtype=np.intp)].reset_index(drop=True)
    return economics_table(sub, profile.economics, study.dataset["supply_regions"], study.dataset.get("connectivity"),
                           mw=profile.facility_mw if mw is None else mw, months=months,
                           unknown_kv=profile.node_rule.min_voltage_kv, areas=study.areas)


AHEAD = 200  # rows of a ranking whose economics are made with its shortlist's: a weight change's next shortlist is
             # nearly always among them, so it makes none (a call costs ~9 ms however few rows it has)
KEPT_ROWS = 5_000  # at most this many rows' economics kept per matrix


def shortlist_economics(study: Study, profile: Profile, matrix: pd.DataFrame, result: ScoreResult,
                        rows: np.ndarray) -> pd.DataFrame:
    """``site_economics_for`` the shortlisted ``rows`` at the facility size, kept with the study's matrix: each site's
    figures depend on its row of the matrix alone (its size, node, region and climate), never on the weights. Rows not
    kept yet are made together with the first ``AHEAD`` rows of ``result``'s order."""
    rows = np.asarray(rows, dtype=np.intp)
    memo = study.memo(matrix, "economics", repr(profile.economics), profile.facility_mw,
                      profile.node_rule.min_voltage_kv)
    if memo is None:  # not one of the study's own matrices
        return site_economics_for(study, profile, matrix, rows)
    kept: pd.DataFrame | None = memo.get("rows")
    if kept is None or not np.isin(rows, kept.index).all():
        ahead = np.asarray(result.order[:AHEAD], dtype=np.intp)
        have = kept.index.to_numpy() if kept is not None else np.empty(0, dtype=np.intp)
        make = np.setdiff1d(np.union1d(rows, ahead), have)
        joined = site_economics_for(study, profile, matrix, make).set_axis(pd.Index(make))
        if kept is not None:
            joined = pd.concat([kept, joined])
            if len(joined) > KEPT_ROWS or not joined.dtypes.equals(kept.dtypes):  # too many, or a column's kind
                fresh = np.union1d(rows, ahead)                                    # changed: start again
                joined = site_economics_for(study, profile, matrix, fresh).set_axis(pd.Index(fresh))
        memo["rows"] = kept = joined
    return kept.loc[rows].reset_index(drop=True)


def with_economics(table: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the economics columns put before the contributions (replacing any of the same name), and its
    ``estimates`` column naming the new figures too."""
    return _table(_with_figures({str(c): _values(table[c]) for c in table.columns}, figures), len(table))


def _with_figures(columns: dict[str, Any], figures: pd.DataFrame) -> dict[str, Any]:
    """``columns`` with ``figures``' columns (rounded) put before the contributions, replacing any of the same name."""
    added = {str(c): _values(figures[c]) for c in figures.columns}
    kept = [c for c in columns if c not in added]
    cut = next((i for i, c in enumerate(kept) if c.startswith("contrib_")), len(kept))
    out = {c: columns[c] for c in kept[:cut]}
    out.update(_rounded(added))
    out.update({c: columns[c] for c in kept[cut:]})
    return out


def shortlist_frame(study: Study, table: pd.DataFrame, rows: np.ndarray) -> gpd.GeoDataFrame:
    """The shortlist table with each site's geometry (H3 hexagon or the user's shape), EPSG:4326."""
    geoms = study.candidates.geometries(np.asarray(rows, dtype=np.intp))
    return gpd.GeoDataFrame(table.copy(), geometry=list(geoms), crs=4326)








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
    try:
        return load_profile(scenario.profile)
    except SitefinderError:
        return None


def recorded_scenario(scenario: Scenario, profile: Profile) -> dict[str, str]:
    """The scenario as URL parameters, with what equals the profile's defaults left out (for metadata)."""
    base = _base_profile(scenario, profile)
    settings = scenario.without_view()
    return (settings.canonical(base) if base is not None else settings).to_query()


def make_shortlist(study: Study, scenario: Scenario, profile: Profile) -> Shortlist:
    """Score ``study`` under ``profile`` and cut the shortlist ``scenario`` asks for (CLI and app share this)."""
    matrix, result = study.rank(profile)
    if scenario.province and scenario.province.lower() not in {p.lower() for p in provinces(matrix)}:
        raise ProfileError("province", [Problem("province", f"'{scenario.province}' is not a province in this dataset.",
                                                f"Use one of: {', '.join(provinces(matrix))}.")])
    rows = pick_shortlist(matrix, result, scenario.top, max_per_node=scenario.max_per_node, province=scenario.province)
    columns = _with_figures(_table_columns(matrix, result, rows), shortlist_economics(study, profile, matrix, result, rows))
    table = _table(columns, len(rows))  # one frame, as shortlist_table + with_economics would make it
    frame = shortlist_frame(study, table, rows)
    meta = run_metadata(study, result, top=scenario.top, max_per_node=scenario.max_per_node, province=scenario.province,
                        scenario=recorded_scenario(scenario, profile))
    meta["figures"] = figures_metadata(str(c) for c in table.columns)
    return Shortlist(matrix, result, rows, table, frame, meta)


def site_at(frame: gpd.GeoDataFrame, lon: float, lat: float, *, tolerance_km: float = 0.0,
            id_column: str = "candidate_id") -> str | None:
    """The id of the shortlisted site whose geometry holds the point (WGS84), else of the nearest one within
    ``tolerance_km`` (geodesic km to its ``lon``/``lat`` point), else None."""
    if not len(frame) or not (np.isfinite(lon) and np.isfinite(lat)):
        return None
    pt = shapely.Point(lon, lat)
    inside = np.asarray(shapely.covers(frame.geometry.array, pt), dtype=bool)
    if inside.any():
        return str(frame[id_column].iloc[int(np.flatnonzero(inside)[0])])
    if tolerance_km <= 0:
        return None
    km = geodesic_km(lon, lat, frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    i = int(np.argmin(km))
    return str(frame[id_column].iloc[i]) if km[i] <= tolerance_km else None


def in_province(column: pd.Series, rows: NDArray[np.intp], province: str) -> NDArray[np.bool_]:
    """Which of ``rows`` lie in ``province`` (case ignored), by category code where the column is categorical."""
    want = province.lower()
    if isinstance(column.dtype, pd.CategoricalDtype):
        hits = np.flatnonzero([str(c).lower() == want for c in column.cat.categories])
        return np.isin(column.cat.codes.to_numpy()[rows], hits)
    values = column.take(rows).astype(object).to_numpy()
    return np.array([isinstance(v, str) and v.lower() == want for v in values], dtype=bool)


def pick_shortlist(matrix: pd.DataFrame, result: ScoreResult, top: int, *, max_per_node: int = 0,
                   province: str | None = None) -> np.ndarray:
    """Row positions of the shortlist, best first.

    ``max_per_node`` > 0 keeps at most that many sites per connection node, so a shortlist names
    distinct places rather than twenty neighbouring cells; ``province`` keeps one province only.
    """
    order = result.order
    if province:
        order = order[in_province(matrix["province"], order, province)]
    if max_per_node <= 0:
        return order[:top]
    column = matrix["grid_node_id"]
    # the node of each row as an integer (its category code, -1 for none): a million rows are not turned into text
    nodes = column.cat.codes.to_numpy() if isinstance(column.dtype, pd.CategoricalDtype) else column.to_numpy(dtype=object)
    counts: dict[object, int] = {}
    picked = []
    for i in order:
        c = counts.get(nodes[i], 0)
        if c < max_per_node:
            counts[nodes[i]] = c + 1
            picked.append(i)
            if len(picked) == top:
                break
    return np.asarray(picked, dtype=np.intp)

