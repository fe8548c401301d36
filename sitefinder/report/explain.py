""""Why not here?": everything sitefinder knows about one place, with ranges, sources and verdicts.

``explain_point`` measures one WGS84 point exactly as a candidate site is measured (same criteria, same
profile), and says for every value where it comes from (a published source, or "estimate" with its
method) and its range; for every constraint whether the point passes and why not; its score; the rank
of the candidate cell that holds it; and the nearest grid nodes it could connect to. The command line
(``sitefinder explain``) and the app's click-anywhere panel are shells over it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import h3
import numpy as np
import pandas as pd

from sitefinder.data.dataset import Dataset
from sitefinder.data.elevation import SOURCE as ELEVATION_SOURCE
from sitefinder.economics.cost_model import add_cost_criterion
from sitefinder.errors import Problem, ProfileError
from sitefinder.measure.candidates import Candidates
from sitefinder.measure.climate import ClimateSettings
from sitefinder.measure.criteria import climate_check, combine, eligible_nodes, grid_criteria, site_criteria
from sitefinder.measure.geodesy import geodesic_km
from sitefinder.measure.surplus import ZONE, surplus_areas
from sitefinder.model.profiles import Profile
from sitefinder.model.ranges import finite, format_estimate, high, low
from sitefinder.model.vocabulary import CRITERIA, METRIC_COLUMNS
from sitefinder.rank.scoring import ScoreResult, reason_text, score
from sitefinder.report.zones import network_lines, site_network

EXTRA_UNITS = {"elevation_m": ("m", "Ground elevation"), "surplus_winter_mw": ("MW", "Region surplus, winter"),
               "surplus_summer_mw": ("MW", "Region surplus, summer"), "annual_mean_temp_c": ("°C", "Annual mean temperature"),
               "climate_station_km": ("km", "Distance to the nearest weather station")}


@dataclass
class ValueExplained:
    """One measured or estimated value at the point."""

    label: str
    value: float | None
    unit: str
    low: float | None
    high: float | None
    source: str
    estimate: bool


@dataclass
class ConstraintVerdict:
    """One hard rule of the profile and whether the point meets it."""

    label: str
    column: str
    passed: bool
    detail: str


@dataclass
class Explanation:
    """Everything about one point under one profile (see ``to_dict`` for the JSON shape)."""

    lon: float
    lat: float
    profile: str
    facility_mw: float
    season: str
    region: str | None
    region_id: str | None
    district: str | None
    province: str | None
    values: dict[str, ValueExplained]
    constraints: list[ConstraintVerdict]
    score: float | None
    score_if_allowed: float
    rank: int | None
    cell: dict[str, Any] | None
    nearest_nodes: list[dict[str, Any]] = field(default_factory=list)
    data_gaps: list[str] = field(default_factory=list)
    network: dict[str, Any] | None = None  # the region's zone in the network model, what binds its surplus, the cost
    booked: list[str] = field(default_factory=list)  # what the register has booked at its nodes and zone, in words

    @property
    def passes(self) -> bool:
        """True if the point meets every constraint of the profile."""
        return all(c.passed for c in self.constraints)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: lon, lat, region, values {column: {value, unit, low, high, source, ...}},
        constraints [{label, column, passed, detail}], score, rank, and the rest. NaN becomes None."""
        out = asdict(self)
        out["values"] = {k: {"value": v.value, "unit": v.unit, "low": v.low, "high": v.high, "source": v.source,
                             "label": v.label, "estimate": v.estimate} for k, v in self.values.items()}
        out["passes"] = self.passes
        return _clean(out)

    def to_text(self) -> str:
        """The explanation as a person reads it in a terminal."""
        place = ", ".join(p for p in (self.district, self.province) if p) or "outside every district"
        lines = [f"{self.lat:.5f}° N, {self.lon:.5f}° E - {place}",
                 f"supply region: {self.region or 'none'}",
                 f"profile: {self.profile}, {self.facility_mw:g} MW, {self.season.replace('_', '-')} surplus", ""]
        if self.score is not None:
            lines.append(f"score {self.score:.1f} of 100" + (f", rank {self.rank:,}" if self.rank else "")
                         + (f" (the H3 cell {self.cell['id']} that holds this point ranks {self.cell['rank']:,} of "
                            f"{self.cell['of']:,} passing)" if self.cell and self.cell.get("rank") else ""))
        else:
            lines.append(f"not eligible: it breaks {sum(not c.passed for c in self.constraints)} rule(s) below "
                         f"(it would score {self.score_if_allowed:.1f} if allowed)")
        if self.network:
            lines += ["", *network_lines(self.network)]
        if self.booked:
            lines += ["", "the register (what is booked is already taken off the figures above):",
                      *[f"  {b}" for b in self.booked]]
        lines += ["", "constraints:"]
        for c in self.constraints:
            lines.append(f"  [{'pass' if c.passed else 'FAIL'}] {c.label}" + ("" if c.passed else f": {c.detail}"))
        lines += ["", "values:"]
        width = max((len(v.label) for v in self.values.values()), default=10)
        for v in self.values.values():
            if v.unit == "0/1":
                lines.append(f"  {v.label:<{width}}  {'unknown' if v.value is None else ('yes' if v.value else 'no')}")
                lines.append(f"  {'':<{width}}  source: {v.source}")
                continue
            shown = format_estimate(v.value, v.low, v.high, fmt=",.1f" if v.unit in ("°C", "km") else ",.0f",
                                    unit=v.unit if v.unit not in ("0/1",) else "", estimate=v.estimate)
            lines.append(f"  {v.label:<{width}}  {shown}")
            lines.append(f"  {'':<{width}}  source: {v.source}")
        if self.nearest_nodes:
            lines += ["", "nearest eligible grid nodes:"]
            for n in self.nearest_nodes:
                kv = f"{n['voltage_kv']:.0f} kV" if n["voltage_kv"] is not None and not math.isnan(n["voltage_kv"]) else "kV not published"
                lines.append(f"  {n['name']} ({kv}, {n['status'].replace('_', ' ')}): "
                             + format_estimate(n["distance_km"], n["distance_km_low"], n["distance_km_high"], fmt=",.1f",
                                               unit="km", estimate=False)
                             + f"; location {n['location_precision'] or 'as supplied'}")
        if self.data_gaps:
            lines += ["", "unknown (scored as the profile says, never as zero): " + ", ".join(self.data_gaps)]
        return "\n".join(lines) + "\n"


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


@dataclass(frozen=True)
class RankLookup:
    """A scored set of H3 candidates to find the rank of the cell holding a point."""

    candidates: Candidates
    result: ScoreResult


def check_point(lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 point as floats, or a ProfileError saying what is wrong."""
    problems = []
    if not (isinstance(lon, (int, float)) and -180 <= lon <= 180 and math.isfinite(lon)):
        problems.append(Problem("LON", f"{lon!r} is not a longitude.", "Give decimal degrees east, -180 to 180 (e.g. 67.1)."))
    if not (isinstance(lat, (int, float)) and -90 <= lat <= 90 and math.isfinite(lat)):
        problems.append(Problem("LAT", f"{lat!r} is not a latitude.", "Give decimal degrees north, -90 to 90 (e.g. 24.9)."))
    if problems:
        raise ProfileError("point", problems)
    return float(lon), float(lat)


def _row_of(frame: pd.DataFrame | None, column: str, value: Any) -> pd.Series | None:
    if frame is None or value is None or (isinstance(value, float) and math.isnan(value)) or column not in frame:
        return None
    hit = frame[frame[column].astype(str) == str(value)]
    return hit.iloc[0] if len(hit) else None


def _src(row: pd.Series | None, fallback: str) -> str:
    if row is None:
        return fallback
    text = row.get("source")
    return str(text) if text is not None and not (isinstance(text, float) and math.isnan(text)) and str(text) else fallback


def explain_point(dataset: Dataset, lon: float, lat: float, profile: Profile, *,
                  ranking: RankLookup | None = None, nodes_shown: int = 3) -> Explanation:
    """Explain one WGS84 point under ``profile``: values with ranges and sources, constraint verdicts,
    score, the rank of its H3 cell in ``ranking`` (if given), and the nearest eligible grid nodes."""
    lon, lat = check_point(lon, lat)
    cands = Candidates(ids=np.array(["point"]), lon=np.array([lon]), lat=np.array([lat]), kind="user")
    site = site_criteria(dataset, cands)
    grid = grid_criteria(dataset, cands, profile.node_rule)
    areas = surplus_areas(dataset)
    matrix = add_cost_criterion(combine(site, grid, profile.season, areas), profile.economics, dataset["supply_regions"],
                                profile.facility_mw, profile.node_rule.min_voltage_kv, areas=areas)
    result = score(matrix, profile)
    m = matrix.iloc[0]

    regions = dataset["supply_regions"]
    region_row = _row_of(regions, "region_id", m.get("region_id"))
    node_row = _row_of(dataset["grid_nodes"], "node_id", m.get("grid_node_id"))
    districts = dataset.get("districts")
    district_row = _row_of(districts, "district", m.get("district"))
    conn = dataset["connectivity"]
    cities = dataset["cities"]
    settings = ClimateSettings.from_manifest(dataset.manifest)
    check = climate_check(dataset["climate_stations"], settings)
    raster = str(m.get("climate_source") or "").startswith("raster")

    area = str(m.get("surplus_area")) if isinstance(m.get("surplus_area"), str) else None
    area_row = areas.loc[area] if area in areas.index else None
    zoned = area is not None and area.startswith(ZONE)
    region_basis = _src(region_row, "supply regions layer")
    if zoned and area_row is not None:
        region_basis = f"{area_row['surplus_basis']} | zones layer"
    elif region_row is not None and isinstance(region_row.get("surplus_basis"), str):
        region_basis = f"{region_row['surplus_basis']} | {region_basis}"
    climate_src = (str(m.get("climate_source")) if raster else
                   f"estimate: {settings.describe()}; range = -/+ the leave-one-out error (RMSE) over "
                   f"{check.stations} stations | {_src(dataset['climate_stations'].iloc[0], 'climate stations layer')}")
    node_src = _src(node_row, "grid nodes layer")
    if node_row is not None:
        node_src = (f"geodesic distance to {node_row['name']}; node location {node_row.get('location_precision') or 'as supplied'}"
                    f" | {node_src}")
    sources = {
        "grid_distance_km": node_src, "grid_voltage_kv": _src(node_row, "grid nodes layer"),
        "grid_headroom_mw": "not published for this node: unknown" if node_row is not None and pd.isna(node_row.get("headroom_mw"))
        else _src(node_row, "grid nodes layer"),
        "region_surplus_mw": region_basis, "surplus_winter_mw": region_basis, "surplus_summer_mw": region_basis,
        "on_national_grid": region_basis,
        "connectivity_distance_km": f"nearest existing connectivity: {m.get('connectivity_point')} | "
                                    f"{_src(_row_of(conn, 'name', m.get('connectivity_point')), 'connectivity layer')}",
        "large_city_distance_km": f"nearest large city: {m.get('nearest_large_city')} | "
                                  f"{_src(_row_of(cities, 'name', m.get('nearest_large_city')), 'cities layer')}",
        "town_distance_km": f"nearest town: {m.get('nearest_town')} | "
                            f"{_src(_row_of(cities, 'name', m.get('nearest_town')), 'cities layer')}",
        "flood_2022": (f"{_str(district_row.get('flood_2022_basis')) or 'district on no 2022 list'} | "
                       f"{_str(district_row.get('flood_2022_source')) or _src(district_row, 'districts layer')}"
                       if district_row is not None else "no district here"),
        "land_excluded": (str(m.get("land_exclusion_reason")) if m.get("land_excluded") == 1 else "outside every exclusion zone")
                         + " | exclusions layer",
        "in_study_area": _src(dataset["study_area"].iloc[0], "study area layer"),
        "elevation_m": ELEVATION_SOURCE,
        "climate_station_km": "distance to the nearest climate station",
        **{k: climate_src for k in METRIC_COLUMNS},
        "cost_usd_per_mwh": "estimate from the cost model (tariff, PUE from this climate, connection to the node); "
                            "its parameters and their sources are in the run's economics block",
    }
    columns = list(dict.fromkeys([*profile.weights, *(c.column for c in profile.constraints), "on_national_grid",
                                  *METRIC_COLUMNS, *CRITERIA, "surplus_winter_mw", "surplus_summer_mw", "elevation_m",
                                  "climate_station_km"]))
    values: dict[str, ValueExplained] = {}
    for col in columns:
        if col not in matrix:
            continue
        info = CRITERIA.get(col)
        unit, label = (info.unit, info.label) if info else EXTRA_UNITS.get(col, ("", col))
        estimate = bool(info.estimate) if info else col in ("surplus_winter_mw", "surplus_summer_mw", "annual_mean_temp_c")
        if col in METRIC_COLUMNS and raster:
            estimate = False
        values[col] = ValueExplained(label, finite(m[col]), unit, finite(m.get(low(col))), finite(m.get(high(col))),
                                     sources.get(col, ""), estimate)

    params = profile.params()
    mask = int(result.failed_mask[0])
    verdicts = []
    for bit, con in enumerate(profile.constraints):
        failed = bool(mask & (1 << bit))
        verdicts.append(ConstraintVerdict(con.describe(params), con.column, not failed,
                                          _why_not(con, matrix, params) if failed else "met"))
    base = len(profile.constraints)
    for j, spec in enumerate(profile.criteria):
        if mask & (1 << (base + j)):
            verdicts.append(ConstraintVerdict(f"{spec.name} must be known", spec.name, False,
                                              f"{spec.name} is unknown and the profile excludes sites without it"))
    total = float(np.nansum(result.contributions[0]))
    feasible = bool(result.feasible[0])
    cell = None
    rank = None
    if ranking is not None and ranking.candidates.kind == "h3" and ranking.candidates.resolution is not None:
        cid = h3.latlng_to_cell(lat, lon, ranking.candidates.resolution)
        pos = np.flatnonzero(ranking.candidates.ids == cid)
        if len(pos):
            i = int(pos[0])
            r = int(ranking.result.rank[i])
            cell = {"id": cid, "resolution": ranking.candidates.resolution, "score": finite(ranking.result.score[i]),
                    "rank": r or None, "of": ranking.result.n_feasible}
            rank = r or None
    return Explanation(
        lon=lon, lat=lat, profile=profile.name, facility_mw=profile.facility_mw, season=profile.season,
        region=_str(m.get("region")), region_id=_str(m.get("region_id")), district=_str(m.get("district")),
        province=_str(m.get("province")), values=values, constraints=verdicts,
        score=float(result.score[0]) if feasible else None, score_if_allowed=total,
        rank=rank if feasible else None, cell=cell, nearest_nodes=nearest_nodes(dataset, lon, lat, profile, nodes_shown),
        data_gaps=result.gaps(0), network=site_network(area_row if zoned else None, profile.season, node_row))


def _why_not(con: Any, matrix: pd.DataFrame, params: dict[str, float]) -> str:
    """Why the point breaks ``con``, in words: the zone it lies in, or its value against the threshold."""
    value = matrix[con.column].iloc[0]
    unit = CRITERIA[con.column].unit if con.column in CRITERIA else ""
    if pd.isna(value):
        return f"{con.column} is unknown"
    if unit == "0/1":
        return reason_text(con, matrix, 0, params).removeprefix("not ") if con.reason_column else "no"
    return f"{value:,.1f} {unit}, needs {con.op} {con.threshold(params):,.0f} {unit}".replace("  ", " ")


def _str(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)


def nearest_nodes(dataset: Dataset, lon: float, lat: float, profile: Profile, k: int = 3) -> list[dict[str, Any]]:
    """The ``k`` nearest grid nodes the profile may connect to (geodesic km, with the location range)."""
    nodes = eligible_nodes(dataset["grid_nodes"], profile.node_rule)
    if not len(nodes):
        return []
    km = geodesic_km(lon, lat, nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy())
    order = np.argsort(km, kind="stable")[:k]
    out = []
    for i in order:
        r = nodes.iloc[int(i)]
        err = finite(r.get("location_error_km"))
        d = float(km[i])
        out.append({"node_id": str(r["node_id"]), "name": str(r["name"]), "voltage_kv": finite(r["voltage_kv"]),
                    "status": str(r["status"]), "distance_km": round(d, 3),
                    "distance_km_low": round(max(d - err, 0.0), 3) if err is not None else None,
                    "distance_km_high": round(d + err, 3) if err is not None else None,
                    "headroom_mw": finite(r.get("headroom_mw")), "location_precision": _str(r.get("location_precision")),
                    "source": _src(r, "grid nodes layer")})
    return out
