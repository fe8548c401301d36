"""Re-scoring at national scale: a weight change touches only arrays prepared once per criteria matrix.

``prepare`` applies the value functions, the missing-value rules and the hard constraints once (they do not
depend on the weights) and keeps the 0..1 value matrix in float64 and float32, the constraint mask, a bit mask
of the criteria whose missing value excludes a site, and each candidate's place in id order (the tie-break).
``rescore`` then finds the top N for any weights:

1. a float32 matrix-vector product scores every candidate (fast, error below ``MARGIN``);
2. a partial selection (``argpartition``) finds the N-th best approximate score among the feasible rows;
3. every row within ``2 * MARGIN`` of it is scored again exactly as ``scoring.score`` does (float64, criteria
   added left to right, clipped to 0..100) and sorted by (score descending, candidate id): the same ranking as
   the straightforward implementation, bit for bit, ties included. A row of the true top N cannot fall outside
   the margin, because float32 moves no score by more than ``MARGIN`` (see ``test_fastscore.py``).

``rescore_topsis`` does the same for TOPSIS closeness: the distances to the ideal and anti-ideal come from two
matrix-vector products of precomputed squares (float64), and the rows near the cut are recomputed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.model.profiles import Profile
from sitefinder.rank.scoring import (
    ROW_SUM_BLOCK,
    RowsOnDemand,
    ScoreResult,
    evaluate_constraints,
    normalise_weights,
    row_sum,
    topsis,
    topsis_closeness,
)

MARGIN = 1e-3       # score points (0..100): far above float32's error on a sum of at most 62 terms of 0..100
TOPSIS_MARGIN = 1e-9  # closeness (0..1) from the expanded float64 form


@dataclass
class Prepared:
    """What a weight change does not touch, for one criteria matrix and profile (n candidates, k criteria)."""

    names: tuple[str, ...]
    values: NDArray[np.float64]        # (n, k) 0..1 after value functions and missing rules
    base_ok: NDArray[np.bool_]         # passes every hard constraint
    exclude_bits: NDArray[np.int64]    # bit j set where criterion j is missing and the profile excludes such sites
    tie: NDArray[np.int64]             # each candidate's place in candidate-id order
    ids: NDArray[np.str_]
    base_max: NDArray[np.float64]      # (k,) column maxima over the rows that pass the constraints (TOPSIS)
    base_min: NDArray[np.float64]
    base_failed: NDArray[np.int64]     # the constraints' failure bits (``scoring.evaluate_constraints``)
    missing: NDArray[np.bool_]         # (n, k) the criterion is unknown for the row
    _values32: NDArray[np.float32] | None = None
    _squares: NDArray[np.float64] | None = None
    extremes: dict[int, tuple[NDArray[np.float64], NDArray[np.float64]]] = field(default_factory=dict)
    # column maxima and minima over the feasible rows, per set of weighted criteria (bits) that drops rows

    @property
    def n(self) -> int:
        """How many candidates."""
        return len(self.tie)

    @property
    def values32(self) -> NDArray[np.float32]:
        """The value matrix in float32, C-contiguous (made on first use: the app's exact path does not need it)."""
        if self._values32 is None:
            self._values32 = np.ascontiguousarray(self.values, dtype=np.float32)
        return self._values32

    @property
    def squares(self) -> NDArray[np.float64]:
        """``values ** 2`` for the TOPSIS distances (made on first use)."""
        if self._squares is None:
            self._squares = self.values * self.values
        return self._squares


def prepare(matrix: pd.DataFrame, profile: Profile) -> Prepared:
    """Value functions, missing rules and constraints of ``profile`` applied to ``matrix`` once."""
    specs = profile.criteria
    names = tuple(s.name for s in specs)
    n, k = len(matrix), len(specs)
    raw = matrix[list(names)].to_numpy(dtype=float).reshape(n, k)
    values = np.empty((n, k))
    unknown = np.empty((n, k), dtype=bool)
    exclude_bits = np.zeros(n, dtype=np.int64)
    for j, spec in enumerate(specs):
        v = spec.value(raw[:, j])
        missing = np.isnan(raw[:, j]) | np.isnan(v)
        unknown[:, j] = missing
        if spec.missing == "neutral":
            v = np.where(missing, spec.missing_value, v)
        elif spec.missing == "worst":
            v = np.where(missing, 0.0, v)
        else:
            exclude_bits |= missing.astype(np.int64) << j
            v = np.where(missing, 0.0, v)
        values[:, j] = v
    ids = matrix["candidate_id"].to_numpy(dtype=str) if "candidate_id" in matrix else np.arange(n).astype(str)
    tie = np.empty(n, dtype=np.int64)
    tie[np.argsort(ids, kind="stable")] = np.arange(n)
    base_failed = evaluate_constraints(matrix, profile)
    base_ok = base_failed == 0
    inside = values[base_ok]
    base_max = inside.max(axis=0) if len(inside) else np.zeros(k)
    base_min = inside.min(axis=0) if len(inside) else np.zeros(k)
    return Prepared(names, values, base_ok, exclude_bits, tie, ids, base_max, base_min, base_failed, unknown)


def score_prepared(prep: Prepared, profile: Profile, tie: NDArray[np.int64] | None = None) -> ScoreResult:
    """``scoring.score`` for ``profile``'s weights from prepared arrays: the same result, field by field, without
    applying the value functions and constraints again (``profile`` must differ from the prepared one only in its
    weights). The contributions and the TOPSIS closeness are made only for the rows asked for (``RowsOnDemand``)."""
    w = normalise_weights([s.weight for s in profile.criteria])
    n = prep.n
    active = w > 0
    active_bits = int(sum(1 << j for j in np.flatnonzero(active)))
    failed = prep.base_failed | ((prep.exclude_bits & active_bits) << len(profile.constraints))
    missing = prep.missing & active

    def contributions(rows: NDArray[np.intp] | slice) -> NDArray[np.float64]:
        c = prep.values[rows] * 100.0  # (100 v) w, as scoring.score computes it
        c *= w
        return c

    total = np.empty(n)
    for start in range(0, n, ROW_SUM_BLOCK):  # a block at a time: no (n, k) array of contributions
        total[start:start + ROW_SUM_BLOCK] = row_sum(contributions(slice(start, start + ROW_SUM_BLOCK)))
    np.clip(total, 0.0, 100.0, out=total)
    feasible_rows = failed == 0
    scores = np.where(feasible_rows, total, np.nan)
    idx = np.flatnonzero(feasible_rows)
    order = idx[np.lexsort(((prep.tie if tie is None else tie)[idx], -total[idx]))]
    rank = np.zeros(n, dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return ScoreResult(profile, prep.names, w, prep.values, RowsOnDemand((n, len(w)), contributions), missing, scores,
                       feasible_rows, failed, rank, _closeness_on_demand(prep, w, idx, feasible_rows, active_bits), order)


def _closeness_on_demand(prep: Prepared, w: NDArray[np.float64], idx: NDArray[np.intp],
                         feasible_rows: NDArray[np.bool_], active_bits: int) -> RowsOnDemand:
    """The TOPSIS closeness (0-100; NaN where infeasible) of the rows asked for, among the feasible rows ``idx``:
    ``scoring.topsis`` over them, bit for bit. The ideal is each criterion's largest value times its weight (rounding
    keeps the order of non-negative products), taken from the prepared maxima when no row was dropped for a missing
    value, else worked out once per set of weighted criteria."""
    act = np.flatnonzero(w > 0)
    if len(idx) == int(prep.base_ok.sum()):
        top, bottom = prep.base_max, prep.base_min
    else:
        if active_bits not in prep.extremes:
            inside = prep.values[idx]
            prep.extremes[active_bits] = (inside.max(axis=0), inside.min(axis=0)) if len(idx) else \
                (np.zeros(prep.values.shape[1]), np.zeros(prep.values.shape[1]))
        top, bottom = prep.extremes[active_bits]
    ideal, anti = top[act] * w[act], bottom[act] * w[act]

    def closeness(rows: NDArray[np.intp]) -> NDArray[np.float64]:
        out = np.full(len(rows), np.nan)
        ok = feasible_rows[rows]
        if ok.any():
            out[ok] = 100.0 * topsis_closeness(prep.values[rows[ok]][:, act] * w[act], ideal, anti)
        return out

    return RowsOnDemand((prep.n,), closeness)


def _weights(prep: Prepared, weights: dict[str, float] | NDArray[np.float64]) -> NDArray[np.float64]:
    if isinstance(weights, dict):
        weights = np.array([float(weights.get(name, 0.0)) for name in prep.names])
    return normalise_weights(np.asarray(weights, dtype=float))


def feasible(prep: Prepared, w: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rows that pass the constraints and have every criterion that counts (weight > 0) where the profile
    excludes sites without it."""
    active_bits = int(sum(1 << j for j in np.flatnonzero(w > 0)))
    return prep.base_ok & ((prep.exclude_bits & active_bits) == 0)


def _exact_top(rows: NDArray[np.intp], exact: NDArray[np.float64], tie: NDArray[np.int64], top: int
               ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """The ``top`` of ``rows`` by exact score (descending), ties by candidate id, and their scores."""
    perm = np.lexsort((tie[rows], -exact))[:top]
    return rows[perm], exact[perm]


def _near_top(approx: NDArray[np.float64] | NDArray[np.float32], rows: NDArray[np.intp], top: int,
              margin: float) -> NDArray[np.intp]:
    """The rows whose approximate score is within ``2 * margin`` of the ``top``-th best (all rows if fewer)."""
    if len(rows) <= top:
        return rows
    s = approx[rows]
    cut = np.partition(s, len(s) - top)[len(s) - top]
    return rows[s >= cut - 2 * margin]


def rescore(prep: Prepared, weights: dict[str, float] | NDArray[np.float64], top: int
            ) -> tuple[NDArray[np.intp], NDArray[np.float64], int]:
    """The ``top`` best rows for ``weights`` (raw, as in a profile), best first, their scores (0..100) and how many
    rows are feasible: exactly ``scoring.score``'s order and scores."""
    w = _weights(prep, weights)
    ok = feasible(prep, w)
    rows = np.flatnonzero(ok)
    approx = prep.values32 @ (100.0 * w).astype(np.float32)
    near = _near_top(approx, rows, top, MARGIN)
    exact = np.clip(row_sum(100.0 * prep.values[near] * w), 0.0, 100.0)
    order, scores = _exact_top(near, exact, prep.tie, top)
    return order, scores, len(rows)


def rescore_topsis(prep: Prepared, weights: dict[str, float] | NDArray[np.float64], top: int
                   ) -> tuple[NDArray[np.intp], NDArray[np.float64], int]:
    """The ``top`` rows of highest TOPSIS closeness (0..1) for ``weights``, ties by candidate id: exactly what
    ``scoring.topsis`` gives over the feasible rows."""
    w = _weights(prep, weights)
    ok = feasible(prep, w)
    rows = np.flatnonzero(ok)
    if not len(rows):
        return rows, np.empty(0), 0
    active = w > 0
    if len(rows) == int(prep.base_ok.sum()):  # no site dropped for a missing value: the prepared extremes hold
        vmax, vmin = prep.base_max, prep.base_min
    else:
        vmax, vmin = prep.values[rows].max(axis=0), prep.values[rows].min(axis=0)
    w2 = w * w
    # sum_j w_j^2 (v - M_j)^2 = V^2 . w^2 - 2 V . (w^2 M) + sum w^2 M^2, for every row at once
    base = prep.squares @ w2
    dp2 = base - 2.0 * (prep.values @ (w2 * vmax)) + float(w2 @ (vmax * vmax))
    dm2 = base - 2.0 * (prep.values @ (w2 * vmin)) + float(w2 @ (vmin * vmin))
    dp, dm = np.sqrt(np.maximum(dp2, 0.0)), np.sqrt(np.maximum(dm2, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        approx = np.where(dp + dm > 0, dm / (dp + dm), 0.5)
    near = _near_top(approx, rows, top, TOPSIS_MARGIN)
    exact = _topsis_rows(prep, near, w, active, vmax, vmin)
    order, scores = _exact_top(near, exact, prep.tie, top)
    return order, scores, len(rows)


def _topsis_rows(prep: Prepared, near: NDArray[np.intp], w: NDArray[np.float64], active: NDArray[np.bool_],
                 vmax: NDArray[np.float64], vmin: NDArray[np.float64]) -> NDArray[np.float64]:
    """``scoring.topsis`` closeness of the rows ``near``, with the ideal and anti-ideal of all feasible rows (the
    column extremes ``vmax``/``vmin``: w * max v is max (w * v) exactly, as w >= 0 and rounding is monotone)."""
    return topsis_closeness(prep.values[near][:, active] * w[active], vmax[active] * w[active], vmin[active] * w[active])


def reference_topsis_order(prep: Prepared, weights: dict[str, float] | NDArray[np.float64]) -> NDArray[np.intp]:
    """The straightforward TOPSIS ranking (every feasible row, ``scoring.topsis``, full sort): the oracle."""
    w = _weights(prep, weights)
    rows = np.flatnonzero(feasible(prep, w))
    active = w > 0
    close = topsis(prep.values[rows][:, active], w[active])
    return rows[np.lexsort((prep.tie[rows], -close))]
