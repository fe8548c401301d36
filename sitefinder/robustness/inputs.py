"""What is uncertain in a ranking, and how each uncertain input is drawn.

Everything is read from the criteria matrix of one study under one profile (one row per candidate):

* **weights**: a Dirichlet distribution centred on the profile's weights (criteria with weight 0 stay at 0).
  The spread ``s`` (%) sets its concentration ``alpha = (1 - m) / (m * s**2) - 1`` with ``m = 1/k`` over the
  ``k`` weighted criteria, so a weight of average share ``m`` varies with a standard deviation of ``s`` of
  itself; larger weights vary relatively less, smaller ones more. ``s = 0`` keeps the weights as set.
* **a region's surplus**: one draw per surplus area (a network zone, shared by every site whose grid node is in
  it, or a supply region outside every zone), within its low-high range: triangular (low, central, high),
  uniform (low, high), or none (always central). Winter and summer are drawn at the same quantile (an area that
  is tighter than estimated in winter is tighter in summer too); areas are drawn independently.
* **climate**: one draw per climate-station area (the cells whose nearest station is that station), applied
  to every climate metric of those cells within each cell's own range (the leave-one-out error of the
  interpolation): a place warmer than estimated is warmer in every metric.
* **a grid node's place**: where a node's point may be off by up to ``location_error_km``, the real station
  is drawn uniformly within that disc, node by node; each candidate keeps its connection node and its
  distance is measured again (in the node's local azimuthal-equidistant plane).
* **unknown grid headroom**: left unknown (what the profile says about unknown headroom applies, as in the
  ordinary ranking), or drawn uniformly within a range the user gives, node by node.

A draw is a set of arrays; ``NaN`` quantiles, zero shifts and the layer's own headroom are the central
(ordinary) ranking. Distances in km, surplus and headroom in MW; coordinates WGS84 (EPSG:4326).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyproj import Geod

from sitefinder.data.dataset import Dataset
from sitefinder.errors import Problem, ProfileError
from sitefinder.measure.criteria import region_surplus
from sitefinder.measure.geodesy import NearestFinder
from sitefinder.model.profiles import Profile
from sitefinder.model.ranges import high, low
from sitefinder.model.settings import SETTINGS, SettingsRecord, in_group, settings_record

DATA_SPREADS = SETTINGS["data_spread"].options()
SURPLUS_COLUMNS = ("region_surplus_mw", "surplus_winter_mw", "surplus_summer_mw")
CLIMATE_COLUMNS = ("hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c", "free_cooling_months",
                   "annual_mean_temp_c")
COOLER_WHEN_HIGHER = frozenset({"free_cooling_months"})  # drawn at 1 - u, so "warmer" moves every metric together
DISTANCE_COLUMN = "grid_distance_km"
HEADROOM_COLUMN = "grid_headroom_mw"
_GEOD = Geod(ellps="WGS84")


@settings_record(*in_group("robustness"))
class DrawSettings(SettingsRecord):
    """How many draws, from which seed, and how wide: the settings of ``sitefinder robustness``, one field per row
    of the settings table's robustness group (draws, seed, weight_spread in %, data_spread, headroom_range in MW)."""

    def __post_init__(self) -> None:
        problems = []
        if self.data_spread not in DATA_SPREADS:
            problems.append(Problem("data_spread", f"'{self.data_spread}' is not known.", f"Use one of: {', '.join(DATA_SPREADS)}."))
        if not (isinstance(self.draws, (int, np.integer)) and self.draws >= 1):
            problems.append(Problem("draws", f"{self.draws!r} is not a whole number of 1 or more.", "Give e.g. 1000."))
        if not 0 <= self.weight_spread <= 100:
            problems.append(Problem("weight_spread", f"{self.weight_spread!r} is outside 0-100 %.", "Give e.g. 20."))
        if self.headroom_range is not None and not 0 <= self.headroom_range[0] <= self.headroom_range[1]:
            problems.append(Problem("headroom_range", f"{self.headroom_range!r} is not LOW-HIGH with 0 <= LOW <= HIGH.",
                                    "Give e.g. 0-400 (MW), or leave it blank."))
        if problems:
            raise ProfileError("draw settings", problems)

    @property
    def data_drawn(self) -> bool:
        """True when the estimated figures move from draw to draw."""
        return self.data_spread != "none"


@dataclass(frozen=True)
class Inputs:
    """The uncertain inputs of one study under one profile, and how each candidate row depends on them.

    Row arrays have one entry per row of the criteria matrix; ``-1`` means the row has no such input (no
    region, no node)."""

    criteria: tuple[str, ...]
    raw_weights: NDArray[np.float64]           # the profile's weights as set (K,)
    used: frozenset[str]                       # matrix columns the profile scores or constrains
    season: str
    facility_mw: float
    region_ids: NDArray[np.object_]            # (R,)
    region_names: NDArray[np.object_]
    winter: NDArray[np.float64]                # (R, 3): low, central, high (MW)
    summer: NDArray[np.float64]
    row_region: NDArray[np.intp]               # (n,)
    station_ids: NDArray[np.object_]           # (S,)
    station_names: NDArray[np.object_]
    row_station: NDArray[np.intp]
    node_ids: NDArray[np.object_]              # (N,)
    node_names: NDArray[np.object_]
    node_error_km: NDArray[np.float64]         # 0 where no error is stated
    node_headroom_mw: NDArray[np.float64]      # NaN where unknown
    row_node: NDArray[np.intp]
    row_east_km: NDArray[np.float64]           # the candidate's place in its node's local plane (km)
    row_north_km: NDArray[np.float64]
    climate_ranges: dict[str, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]]  # low, value, high

    @property
    def n_rows(self) -> int:
        """Rows of the criteria matrix."""
        return len(self.row_region)

    @property
    def active(self) -> NDArray[np.bool_]:
        """The criteria with a weight above zero."""
        return self.raw_weights > 0


def _codes(values: pd.Series) -> tuple[NDArray[np.intp], NDArray[np.object_]]:
    """Integer codes (-1 for missing) into the distinct labels (sorted, as text)."""
    obj = values.astype(object).to_numpy()
    present = pd.notna(obj)
    labels, codes = np.unique(obj[present].astype(str), return_inverse=True)
    out = np.full(len(obj), -1, dtype=np.intp)
    out[present] = codes
    return out, labels.astype(object)


def _first_per_code(codes: NDArray[np.intp], values: NDArray[np.float64], count: int) -> NDArray[np.float64]:
    out = np.full(count, np.nan)
    ok = codes >= 0
    order = np.flatnonzero(ok)[::-1]  # assigning in reverse keeps the first row of each code
    out[codes[order]] = values[order]
    return out


def inputs_for(matrix: pd.DataFrame, profile: Profile, dataset: Dataset) -> Inputs:
    """The uncertain inputs of ``matrix`` (one study's criteria under ``profile``) and each row's links to them."""
    n = len(matrix)
    used = frozenset({c.name for c in profile.criteria} | {c.column for c in profile.constraints})

    key = "surplus_area" if "surplus_area" in matrix else "region_id"  # one draw per pot of surplus
    row_region, region_ids = _codes(matrix[key]) if key in matrix else (np.full(n, -1, np.intp), np.array([], object))
    R = len(region_ids)
    seasons = {}
    for season in ("winter", "summer"):
        col = f"surplus_{season}_mw"
        cols = (low(col), col, high(col))
        seasons[season] = np.column_stack([
            _first_per_code(row_region, matrix[c].to_numpy(float), R) if c in matrix else np.full(R, np.nan) for c in cols])
    name_col = "surplus_area_name" if key == "surplus_area" else "region"
    names = _first_per_code_obj(row_region, matrix[name_col] if name_col in matrix else None, R)

    stations = dataset["climate_stations"]
    finder = NearestFinder(stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy())
    row_station, _ = finder.query(matrix["lon"].to_numpy(float), matrix["lat"].to_numpy(float))
    climate_ranges = {c: (matrix[low(c)].to_numpy(float), matrix[c].to_numpy(float), matrix[high(c)].to_numpy(float))
                      for c in CLIMATE_COLUMNS if c in matrix and low(c) in matrix and high(c) in matrix}

    nodes = dataset["grid_nodes"].drop_duplicates("node_id").set_index("node_id")
    if "grid_node_id" in matrix:
        row_node, node_ids = _codes(matrix["grid_node_id"])
    else:
        row_node, node_ids = np.full(n, -1, np.intp), np.array([], object)
    known = nodes.reindex(node_ids.astype(str))
    err = known["location_error_km"].to_numpy(float) if "location_error_km" in known else np.full(len(node_ids), np.nan)
    head = known["headroom_mw"].to_numpy(float) if "headroom_mw" in known else np.full(len(node_ids), np.nan)
    node_lon = known.geometry.x.to_numpy(float) if len(known) else np.array([])
    node_lat = known.geometry.y.to_numpy(float) if len(known) else np.array([])
    east = np.full(n, np.nan)
    north = np.full(n, np.nan)
    has = row_node >= 0
    if has.any():
        az, _, metres = _GEOD.inv(node_lon[row_node[has]], node_lat[row_node[has]], matrix["lon"].to_numpy(float)[has],
                                  matrix["lat"].to_numpy(float)[has])
        km = np.asarray(metres) / 1000.0
        east[has] = km * np.sin(np.radians(az))
        north[has] = km * np.cos(np.radians(az))
    return Inputs(
        criteria=tuple(c.name for c in profile.criteria), raw_weights=np.array([c.weight for c in profile.criteria], float),
        used=used, season=profile.season, facility_mw=float(profile.facility_mw),
        region_ids=region_ids, region_names=names, winter=seasons["winter"], summer=seasons["summer"], row_region=row_region,
        station_ids=(stations["station_id"].astype(str).to_numpy(object) if "station_id" in stations
                     else np.arange(len(stations)).astype(object)),
        station_names=stations["name"].astype(str).to_numpy(object), row_station=np.asarray(row_station, dtype=np.intp),
        node_ids=node_ids, node_names=known["name"].astype(str).to_numpy(object) if len(known) else np.array([], object),
        node_error_km=np.nan_to_num(err, nan=0.0), node_headroom_mw=head, row_node=row_node,
        row_east_km=east, row_north_km=north, climate_ranges=climate_ranges)


def _first_per_code_obj(codes: NDArray[np.intp], values: pd.Series | None, count: int) -> NDArray[np.object_]:
    out = np.full(count, "", dtype=object)
    if values is None:
        return out
    obj = values.astype(object).to_numpy()
    for i in np.flatnonzero(codes >= 0)[::-1]:
        out[codes[i]] = str(obj[i])
    return out


# ------------------------------------------------------------------------------------------------------------
# Distributions


def quantile(u: NDArray[np.float64], lo: NDArray[np.float64], mid: NDArray[np.float64], hi: NDArray[np.float64],
             kind: str) -> NDArray[np.float64]:
    """The value at quantile ``u`` (0..1) of triangular(lo, mid, hi) or uniform(lo, hi), broadcast; ``mid`` where
    ``u`` is NaN (central), where the range is not known, or where ``kind`` is "none"."""
    u, lo, mid, hi = (np.asarray(a, dtype=float) for a in (u, lo, mid, hi))
    with np.errstate(invalid="ignore", divide="ignore"):
        width = hi - lo
        if kind == "uniform":
            x = lo + u * width
        elif kind == "triangular":
            below, above = mid - lo, hi - mid
            left = u * width < below                     # u below the mode's quantile (mid - lo) / width
            root = np.sqrt(np.where(left, u * below, (1.0 - u) * above) * width)
            x = np.where(left, lo + root, hi - root)
        else:
            return np.broadcast_to(mid, np.broadcast_shapes(u.shape, lo.shape, mid.shape, hi.shape)).copy()
        usable = np.isfinite(u) & (width > 0) & np.isfinite(mid)  # a NaN end makes width NaN, so not > 0
    return np.where(usable, x, mid)


def dirichlet_alpha(raw_weights: NDArray[np.float64], spread_percent: float) -> float:
    """The Dirichlet concentration for ``spread_percent`` (inf = no spread): a weight of average share varies
    with a standard deviation of ``spread_percent`` % of itself."""
    k = int((np.asarray(raw_weights) > 0).sum())
    s = spread_percent / 100.0
    if s <= 0 or k <= 1:
        return float("inf")
    m = 1.0 / k
    return max((1.0 - m) / (m * s * s) - 1.0, 1e-6)


def weight_intervals(inputs: Inputs, settings: DrawSettings,
                     probs: tuple[float, float] = (0.05, 0.95)) -> dict[str, tuple[float, float, float]]:
    """Each criterion's share (0..1) as set, and the shares at ``probs`` of its Dirichlet marginal (Beta)."""
    from scipy.stats import beta  # noqa: PLC0415

    w = inputs.raw_weights / inputs.raw_weights.sum()
    alpha = dirichlet_alpha(inputs.raw_weights, settings.weight_spread)
    out = {}
    for name, share in zip(inputs.criteria, w):
        if not np.isfinite(alpha) or share <= 0 or share >= 1:
            out[name] = (float(share), float(share), float(share))
        else:
            a, b = alpha * share, alpha * (1 - share)
            out[name] = (float(share), float(beta.ppf(probs[0], a, b)), float(beta.ppf(probs[1], a, b)))
    return out


# ------------------------------------------------------------------------------------------------------------
# Draws


@dataclass(frozen=True)
class Draws:
    """``D`` draws of every uncertain input (row ``d`` of each array is draw ``d``)."""

    raw_weights: NDArray[np.float64]     # (D, K), scaled to sum to 1 by the engine as the ordinary ranking does
    region_u: NDArray[np.float64]        # (D, R) quantiles; NaN = central
    station_u: NDArray[np.float64]       # (D, S)
    node_shift_km: NDArray[np.float64]   # (D, N, 2) east, north; 0 = as mapped
    node_headroom_mw: NDArray[np.float64]  # (D, N); NaN = unknown
    data_spread: str = "triangular"      # how a quantile becomes a value

    def __len__(self) -> int:
        return len(self.raw_weights)

    def part(self, start: int, stop: int) -> Draws:
        """Draws ``start`` to ``stop - 1``."""
        return replace(self, raw_weights=self.raw_weights[start:stop], region_u=self.region_u[start:stop],
                       station_u=self.station_u[start:stop], node_shift_km=self.node_shift_km[start:stop],
                       node_headroom_mw=self.node_headroom_mw[start:stop])

    @classmethod
    def central(cls, inputs: Inputs, count: int = 1, data_spread: str = "triangular") -> Draws:
        """``count`` copies of the central (ordinary) ranking's inputs."""
        R, S, N = len(inputs.region_ids), len(inputs.station_ids), len(inputs.node_ids)
        return cls(np.tile(inputs.raw_weights, (count, 1)), np.full((count, R), np.nan), np.full((count, S), np.nan),
                   np.zeros((count, N, 2)), np.tile(inputs.node_headroom_mw, (count, 1)), data_spread)

    @classmethod
    def concat(cls, parts: list[Draws]) -> Draws:
        """Several sets of draws one after the other (they must share one data spread)."""
        def joined(name: str) -> NDArray[np.float64]:
            return np.concatenate([getattr(p, name) for p in parts])

        return cls(joined("raw_weights"), joined("region_u"), joined("station_u"), joined("node_shift_km"),
                   joined("node_headroom_mw"), parts[0].data_spread)


def make_draws(inputs: Inputs, settings: DrawSettings) -> Draws:
    """``settings.draws`` seeded draws. Each input family has its own random stream, so the first ``d`` draws of
    a longer run are the draws of a run of ``d``, and changing one spread leaves the others' draws unchanged."""
    D = settings.draws
    weights_rng, region_rng, station_rng, place_rng, headroom_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(settings.seed).spawn(5))
    R, S, N = len(inputs.region_ids), len(inputs.station_ids), len(inputs.node_ids)
    draws = Draws.central(inputs, D, settings.data_spread if settings.data_drawn else "triangular")

    alpha = dirichlet_alpha(inputs.raw_weights, settings.weight_spread)
    raw = draws.raw_weights
    if np.isfinite(alpha):
        active = inputs.active
        share = inputs.raw_weights[active] / inputs.raw_weights[active].sum()
        raw = np.zeros((D, len(inputs.criteria)))
        raw[:, active] = weights_rng.dirichlet(alpha * share, size=D)
    region_u, station_u, shift = draws.region_u, draws.station_u, draws.node_shift_km
    if settings.data_drawn:
        region_u = region_rng.random((D, R))
        station_u = station_rng.random((D, S))
        uv = place_rng.random((D, N, 2))  # one call, so a longer run starts with a shorter run's draws
        radius = inputs.node_error_km * np.sqrt(uv[..., 0])
        angle = 2 * np.pi * uv[..., 1]
        shift = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=-1)
    headroom = draws.node_headroom_mw
    if settings.headroom_range is not None:
        lo, hi = settings.headroom_range
        drawn = lo + (hi - lo) * headroom_rng.random((D, N))
        headroom = np.where(np.isnan(inputs.node_headroom_mw), drawn, inputs.node_headroom_mw)
    return replace(draws, raw_weights=raw, region_u=region_u, station_u=station_u, node_shift_km=shift,
                   node_headroom_mw=headroom)


# ------------------------------------------------------------------------------------------------------------
# What a draw means for the criteria matrix


def drawn_columns(inputs: Inputs, matrix: pd.DataFrame, draws: Draws, rows: NDArray[np.intp]) -> dict[str, NDArray[np.float64]]:
    """The matrix columns that ``draws`` move, for ``rows``: ``{column: (D, len(rows))}``. Columns a draw does not
    move are left out (their matrix values hold in every draw)."""
    out: dict[str, NDArray[np.float64]] = {}
    D = len(draws)
    kind = draws.data_spread
    region = inputs.row_region[rows]
    if np.isfinite(draws.region_u).any() and inputs.used & set(SURPLUS_COLUMNS):
        values = {}
        for season, table in (("winter", inputs.winter), ("summer", inputs.summer)):
            per_region = quantile(draws.region_u, table[:, 0], table[:, 1], table[:, 2], kind)  # (D, R)
            padded = np.concatenate([per_region, np.full((D, 1), np.nan)], axis=1)  # index -1: no region
            values[season] = padded[:, region]
        for col in SURPLUS_COLUMNS:
            if col not in inputs.used:
                continue
            if col == "region_surplus_mw":
                frame = {"surplus_winter_mw": values["winter"], "surplus_summer_mw": values["summer"]}
                out[col] = region_surplus(frame, inputs.season)
            else:
                out[col] = values[col.split("_")[1]]
    if np.isfinite(draws.station_u).any():
        station = inputs.row_station[rows]
        for col, (lo, mid, hi) in inputs.climate_ranges.items():
            if col not in inputs.used:
                continue
            u = draws.station_u[:, station]
            if col in COOLER_WHEN_HIGHER:
                u = 1.0 - u
            out[col] = quantile(u, lo[rows], mid[rows], hi[rows], kind)
    node = inputs.row_node[rows]
    if DISTANCE_COLUMN in inputs.used and np.any(draws.node_shift_km != 0):
        padded = np.concatenate([draws.node_shift_km, np.zeros((D, 1, 2))], axis=1)
        dx, dy = padded[:, node, 0], padded[:, node, 1]
        central = matrix[DISTANCE_COLUMN].to_numpy(float)[rows]
        moved = np.hypot(inputs.row_east_km[rows] - dx, inputs.row_north_km[rows] - dy)
        out[DISTANCE_COLUMN] = np.where((dx == 0) & (dy == 0), central, moved)
    if HEADROOM_COLUMN in inputs.used:
        same = (draws.node_headroom_mw == inputs.node_headroom_mw) | (np.isnan(draws.node_headroom_mw)
                                                                      & np.isnan(inputs.node_headroom_mw))
        if not same.all():
            padded = np.concatenate([draws.node_headroom_mw, np.full((D, 1), np.nan)], axis=1)
            out[HEADROOM_COLUMN] = padded[:, node]
    return out


Bounds = dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]


def column_bounds(inputs: Inputs, matrix: pd.DataFrame, settings: DrawSettings, rows: NDArray[np.intp]) -> Bounds:
    """For each column the draws can move, the lowest and highest value each of ``rows`` can take (used to leave
    out, before drawing, the candidates that fail a constraint in every draw). Unknown stays NaN."""
    out = {}
    region = inputs.row_region[rows]
    if settings.data_drawn:
        ends = {}
        for season, table in (("winter", inputs.winter), ("summer", inputs.summer)):
            lo = np.where(np.isfinite(table[:, 0]), table[:, 0], table[:, 1])
            hi = np.where(np.isfinite(table[:, 2]), table[:, 2], table[:, 1])
            ends[season] = (np.append(lo, np.nan)[region], np.append(hi, np.nan)[region])
        for col in SURPLUS_COLUMNS:
            if col not in inputs.used:
                continue
            if col == "region_surplus_mw":
                lo_, hi_ = (region_surplus({"surplus_winter_mw": ends["winter"][i], "surplus_summer_mw": ends["summer"][i]},
                                           inputs.season) for i in (0, 1))
                out[col] = (lo_, hi_)
            else:
                out[col] = ends[col.split("_")[1]]
        for col, (lo, mid, hi) in inputs.climate_ranges.items():
            if col in inputs.used:
                out[col] = (np.where(np.isfinite(lo[rows]), lo[rows], mid[rows]), np.where(np.isfinite(hi[rows]), hi[rows], mid[rows]))
        if DISTANCE_COLUMN in inputs.used:
            central = matrix[DISTANCE_COLUMN].to_numpy(float)[rows]
            err = np.append(inputs.node_error_km, 0.0)[inputs.row_node[rows]]
            plane = np.hypot(inputs.row_east_km[rows], inputs.row_north_km[rows])
            out[DISTANCE_COLUMN] = (np.minimum(central, np.maximum(plane - err, 0.0)), np.maximum(central, plane + err))
    if HEADROOM_COLUMN in inputs.used and settings.headroom_range is not None:
        head = np.append(inputs.node_headroom_mw, np.nan)[inputs.row_node[rows]]
        least, most = settings.headroom_range
        unknown = np.isnan(head) & (inputs.row_node[rows] >= 0)
        out[HEADROOM_COLUMN] = (np.where(unknown, least, head), np.where(unknown, most, head))
    return out


def describe(inputs: Inputs, settings: DrawSettings) -> dict[str, Any]:
    """Every distribution used, in words and numbers, for the metadata of a robustness run."""
    alpha = dirichlet_alpha(inputs.raw_weights, settings.weight_spread)
    intervals = weight_intervals(inputs, settings)
    data = settings.data_spread
    ranged_regions = int((np.isfinite(inputs.winter[:, 0]) & np.isfinite(inputs.winter[:, 2])).sum())
    return {
        "draws": settings.draws, "seed": settings.seed,
        "weights": {
            "distribution": "fixed (no spread)" if not np.isfinite(alpha) else
            "Dirichlet centred on the profile's weights (criteria weighted 0 stay 0)",
            "spread_percent": settings.weight_spread,
            "dirichlet_concentration": None if not np.isfinite(alpha) else round(alpha, 6),
            "share_p05_p95": {k: [round(v[1], 6), round(v[2], 6)] for k, v in intervals.items()},
        },
        "region_surplus": {
            "distribution": {"triangular": "triangular(low, central, high)", "uniform": "uniform(low, high)",
                             "none": "fixed at the central value"}[data],
            "unit": "per surplus area (network zone, else supply region), independently; winter and summer at the same quantile",
            "regions_with_a_range": ranged_regions,
        },
        "climate": {
            "distribution": {"triangular": "triangular(low, central, high)", "uniform": "uniform(low, high)",
                             "none": "fixed at the central value"}[data],
            "unit": "per climate-station area (cells nearest one station), one draw moves every metric of the area "
                    "the same way (warmer or cooler); each cell within its own range (leave-one-out error)",
            "areas": len(inputs.station_ids),
        },
        "grid_node_place": {
            "distribution": "uniform within a disc of the node's location_error_km" if settings.data_drawn else "as mapped",
            "unit": "per node, independently; a candidate keeps its connection node",
            "nodes_with_a_stated_error": int((inputs.node_error_km > 0).sum()),
        },
        "unknown_headroom": {
            "rule": "left unknown (the profile's rule for unknown headroom applies)" if settings.headroom_range is None else
            f"uniform between {settings.headroom_range[0]:g} and {settings.headroom_range[1]:g} MW, per node",
            "nodes_unknown": int(np.isnan(inputs.node_headroom_mw).sum()),
        },
    }
