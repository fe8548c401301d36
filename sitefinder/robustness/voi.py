"""Value of information: which uncertain or unknown figure moves the shortlist most, so it is asked for first.

Each figure is moved across its range while every other input stays at its central value (one at a time),
at a few fixed points that stand for its distribution, and the shortlist of ``top`` is redone at each point
with the Monte Carlo engine. A figure's value is the **expected number of shortlisted sites that change**
(sites of the central shortlist that drop out; as many others come in), averaged over its points, with the
**most** at any one point and the sites it decides (which leave, which enter, at how many of its points).
Between figures that change as many sites, the one that can remove the better-placed site comes first. Where
candidates are small cells, a neighbouring cell of the same grid node often takes a site's place, so the
expected number of the shortlist's **grid nodes** left with no site is given too.

The points: for an estimate drawn from a distribution (a region's surplus, a climate area, a weight), its
quantiles 1/16, 3/16, ..., 15/16 (the midpoints of eight equal-probability slices); for a node's place,
eight points spread evenly over its error disc (two rings of equal area, four directions each); for a
node's unknown headroom, "none" (0 MW) and "ample" (enough for the facility and the best score of the
headroom criterion), or eight quantiles of the user's range. Figures that cannot move any candidate that can
pass the constraints are not listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.model.ranges import format_estimate
from sitefinder.model.vocabulary import CRITERIA
from sitefinder.robustness.engine import Engine
from sitefinder.robustness.inputs import DISTANCE_COLUMN, HEADROOM_COLUMN, SURPLUS_COLUMNS, Draws, DrawSettings, Inputs, dirichlet_alpha

QUANTILES = (np.arange(8) + 0.5) / 8
KIND_ORDER = {"region surplus": 0, "grid headroom": 1, "grid node location": 2, "climate estimate": 3, "weight": 4}


@dataclass(frozen=True)
class Figure:
    """One uncertain or unknown figure and the points its range is tried at."""

    key: str            # e.g. "surplus:mepco", "headroom:ntdc-220-...", "place:...", "climate:...", "weight:..."
    kind: str           # a key of KIND_ORDER
    label: str          # what it is, in words
    now: str            # what sitefinder uses now, with its range
    ask: str            # who holds the figure
    points: Draws       # one draw per point, every other input central


@dataclass(frozen=True)
class FigureValue:
    """How much one figure moves the shortlist."""

    figure: Figure
    expected_changes: float              # shortlisted sites that change, averaged over the points
    most_changes: int                    # at the worst point
    expected_node_changes: float = 0.0   # grid nodes of the shortlist left with no shortlisted site, averaged
    leaves: dict[int, float] = field(default_factory=dict)   # central-shortlist row -> share of points it drops out
    enters: dict[int, float] = field(default_factory=dict)   # other row -> share of points it comes in

    def to_dict(self, labels: Callable[[int], str]) -> dict[str, object]:
        """The row as plain data (``labels`` names a matrix row for people)."""
        f = self.figure
        return {"figure": f.label, "kind": f.kind, "key": f.key, "now": f.now, "ask": f.ask,
                "expected_changes": round(self.expected_changes, 4), "most_changes": self.most_changes,
                "expected_node_changes": round(self.expected_node_changes, 4),
                "decides": [f"{labels(r)} leaves at {s:.0%} of the points" for r, s in self.leaves.items()]
                + [f"{labels(r)} enters at {s:.0%} of the points" for r, s in self.enters.items()]}


def _with(base: Draws, count: int, **arrays: NDArray[np.float64]) -> Draws:
    part = base.part(0, count)
    return replace(part, **arrays) if arrays else part  # type: ignore[arg-type]


def _used_moving(inputs: Inputs, columns: tuple[str, ...] | set[str]) -> bool:
    return bool(inputs.used & set(columns))


def _headroom_used(inputs: Inputs, engine: Engine) -> bool:
    weight = dict(zip(inputs.criteria, inputs.raw_weights)).get(HEADROOM_COLUMN, 0.0)
    return weight > 0 or any(c.column == HEADROOM_COLUMN for c in engine.profile.constraints)


def _ample_headroom(engine: Engine) -> float:
    """Headroom that passes the facility's rule and scores best: the larger of the facility's MW and the point
    where the headroom criterion's value function reaches its best."""
    best = engine.profile.facility_mw
    for spec in engine.profile.criteria:
        if spec.name == HEADROOM_COLUMN:
            vf = spec.value
            top = vf.domain[1] if vf.kind == "linear" else max((p[0] for p in vf.points), default=best)
            best = max(best, float(top))
    return float(best)


def figures(engine: Engine, settings: DrawSettings) -> list[Figure]:
    """Every figure whose range can move a candidate that can pass the constraints, with its points."""
    inputs = engine.inputs
    rows = engine.rows
    central = Draws.central(inputs, 8, settings.data_spread if settings.data_drawn else "triangular")
    out: list[Figure] = []
    if not len(rows):
        return out
    season = inputs.season.replace("_", "-")

    if settings.data_drawn and _used_moving(inputs, SURPLUS_COLUMNS):
        for r in np.unique(inputs.row_region[rows]):
            w = inputs.winter[r] if r >= 0 else None
            if w is None or not (np.isfinite(w[0]) and np.isfinite(w[2]) and w[2] > w[0]):
                continue
            u = central.region_u.copy()
            u[:, r] = QUANTILES
            s = inputs.summer[r]
            out.append(Figure(
                f"surplus:{inputs.region_ids[r]}", "region surplus", f"Surplus of {inputs.region_names[r] or inputs.region_ids[r]}",
                f"winter {format_estimate(w[1], w[0], w[2], unit='MW')}; summer {format_estimate(s[1], s[0], s[2], unit='MW')}",
                f"the distribution company and the system operator: {season} demand and supply of this region",
                _with(central, 8, region_u=u)))

    if settings.data_drawn:
        used_climate = [c for c in inputs.climate_ranges if c in inputs.used]
        if used_climate:
            ranged = np.zeros(len(rows), dtype=bool)
            for c in used_climate:
                lo, _, hi = inputs.climate_ranges[c]
                ranged |= np.isfinite(lo[rows]) & np.isfinite(hi[rows]) & (hi[rows] > lo[rows])
            for s in np.unique(inputs.row_station[rows][ranged]):
                u = central.station_u.copy()
                u[:, s] = QUANTILES
                labels = ", ".join(CRITERIA[c].label for c in used_climate)
                out.append(Figure(
                    f"climate:{inputs.station_ids[s]}", "climate estimate",
                    f"Climate of the area nearest {inputs.station_names[s]} station",
                    f"interpolated from stations ({labels}), within the leave-one-out error",
                    "the meteorological service: measured temperature normals nearer the candidate sites",
                    _with(central, 8, station_u=u)))

    nodes = np.unique(inputs.row_node[rows])
    nodes = nodes[nodes >= 0]
    if settings.data_drawn and DISTANCE_COLUMN in inputs.used:
        angles = np.radians([0, 90, 180, 270, 45, 135, 225, 315])
        radii = np.array([0.5] * 4 + [np.sqrt(0.75)] * 4)  # the median radius of each of two equal-area rings
        for n in nodes:
            err = inputs.node_error_km[n]
            if not err > 0:
                continue
            shift = central.node_shift_km.copy()
            shift[:, n, 0] = err * radii * np.sin(angles)
            shift[:, n, 1] = err * radii * np.cos(angles)
            out.append(Figure(
                f"place:{inputs.node_ids[n]}", "grid node location", f"Exact location of {inputs.node_names[n]}",
                f"mapped at a town or plant, up to {err:g} km off", "the grid operator: the station's coordinates",
                _with(central, 8, node_shift_km=shift)))

    if _headroom_used(inputs, engine):
        ample = _ample_headroom(engine)
        for n in nodes:
            if not np.isnan(inputs.node_headroom_mw[n]):
                continue
            if settings.headroom_range is None:
                values = np.array([0.0, ample])
                now = "unknown (not published)"
                points = 2
            else:
                least, most = settings.headroom_range
                values = least + (most - least) * QUANTILES
                now = f"unknown; drawn within {least:g}-{most:g} MW"
                points = 8
            head = central.node_headroom_mw[:points].copy()
            head[:, n] = values
            out.append(Figure(
                f"headroom:{inputs.node_ids[n]}", "grid headroom", f"Spare capacity at {inputs.node_names[n]}", now,
                "the grid operator: spare transformer and line capacity at this station",
                _with(central, points, node_headroom_mw=head)))

    alpha = dirichlet_alpha(inputs.raw_weights, settings.weight_spread)
    if np.isfinite(alpha):
        from scipy.stats import beta  # noqa: PLC0415

        shares = inputs.raw_weights / inputs.raw_weights.sum()
        for j, name in enumerate(inputs.criteria):
            w = shares[j]
            if not 0 < w < 1:
                continue
            b = beta.ppf(QUANTILES, alpha * w, alpha * (1 - w))
            raw = np.tile(shares, (8, 1)) * ((1 - b) / (1 - w))[:, None]
            raw[:, j] = b
            out.append(Figure(
                f"weight:{name}", "weight", f"Weight: {CRITERIA[name].label if name in CRITERIA else name}",
                f"{w:.0%} of the score", "your steering group: agree this weight", _with(central, 8, raw_weights=raw)))
    return out


def value_of_information(engine: Engine, settings: DrawSettings, *,
                         progress: Callable[[float], None] | None = None) -> tuple[list[FigureValue], NDArray[np.int32]]:
    """Every figure with how much it moves the shortlist, most first; and the central shortlist (matrix rows)."""
    figs = figures(engine, settings)
    central = Draws.central(engine.inputs, 1, settings.data_spread if settings.data_drawn else "triangular")
    everything = Draws.concat([central, *(f.points for f in figs)]) if figs else central
    outcome = engine.run(everything, progress=progress)
    top = engine.top
    heads = outcome.lists[:, :top]
    base = heads[0]
    base_set = set(int(r) for r in base if r >= 0)
    node_of = engine.inputs.row_node
    base_nodes = {int(node_of[r]) for r in base_set}
    values = []
    start = 1
    for f in figs:
        p = len(f.points)
        block = heads[start:start + p]
        start += p
        leaves: dict[int, int] = {}
        enters: dict[int, int] = {}
        changes = []
        node_changes = []
        for row in block:
            now = set(int(r) for r in row if r >= 0)
            gone = base_set - now
            changes.append(len(gone))
            node_changes.append(len(base_nodes - {int(node_of[r]) for r in now}))
            for r in gone:
                leaves[r] = leaves.get(r, 0) + 1
            for r in now - base_set:
                enters[r] = enters.get(r, 0) + 1
        order = {int(r): i for i, r in enumerate(base)}
        values.append(FigureValue(
            f, float(np.mean(changes)), int(max(changes)), float(np.mean(node_changes)),
            {r: c / p for r, c in sorted(leaves.items(), key=lambda kv: order.get(kv[0], 0))},
            {r: c / p for r, c in sorted(enters.items(), key=lambda kv: (-kv[1], kv[0]))}))
    place = {int(r): i for i, r in enumerate(base)}
    best = {id(v): min((place[r] for r in v.leaves), default=len(base)) for v in values}  # the best site it can remove
    values.sort(key=lambda v: (-v.expected_changes, -v.most_changes, best[id(v)], KIND_ORDER.get(v.figure.kind, 9),
                               v.figure.label))
    return values, base


def voi_frame(values: list[FigureValue], labels: Callable[[int], str]) -> pd.DataFrame:
    """The value-of-information table as people read it, most first."""
    rows = []
    for v in values:
        row = v.to_dict(labels)
        row["decides"] = "; ".join(row["decides"]) or "-"  # type: ignore[arg-type]
        rows.append(row)
    return pd.DataFrame(rows, columns=["figure", "kind", "key", "now", "ask", "expected_changes", "most_changes",
                                       "expected_node_changes", "decides"])

