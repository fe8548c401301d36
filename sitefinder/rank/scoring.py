"""The scoring engine: value functions, hard constraints, weights, aggregation, rank, contributions.

Plain vectorised numpy over all candidates; no Python loop over candidates. Cheap enough to rerun on
every weight change. Weighted sum is the score; TOPSIS is computed alongside as a cross-check.

* weights are normalised to sum to 1; a zero weight means the criterion is ignored;
* score = 100 * sum_i w_i * v_i, and ``contributions[:, i] = 100 * w_i * v_i`` add up to the score;
* a missing value is never silently zero: the profile says neutral (a stated value, flagged), worst
  (0, flagged) or exclude (the candidate fails, with the reason kept);
* rank 1 is best; ties are broken by candidate id, so the order is deterministic.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.errors import ScoringError
from sitefinder.model.profiles import Constraint, Profile
from sitefinder.model.vocabulary import CRITERIA

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq, "!=": operator.ne}
MAX_CONSTRAINTS = 62


def normalise_weights(weights: NDArray[np.float64] | list[float]) -> NDArray[np.float64]:
    """Weights scaled to sum to 1. Raises if any is negative or all are zero."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ScoringError("weights must be finite numbers of 0 or more.")
    top = w.max()
    if top <= 0:
        raise ScoringError("every weight is zero: give at least one criterion a weight above zero.")
    scaled = w / top  # in 0..1 first, so huge weights cannot overflow the sum
    return scaled / scaled.sum()


def topsis(values: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Classic TOPSIS closeness (0..1) on a benefit matrix already scaled to 0..1 by value functions.

    Ideal and anti-ideal are the best and worst weighted values among the rows given. Where every row is
    identical (no spread), the closeness is 0.5.
    """
    weighted = values * weights
    if len(weighted) == 0:
        return np.empty(0)
    return topsis_closeness(weighted, weighted.max(axis=0), weighted.min(axis=0))


def topsis_closeness(weighted: NDArray[np.float64], ideal: NDArray[np.float64],
                     anti_ideal: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each row's TOPSIS closeness (0..1; 0.5 where ideal and anti-ideal coincide) to ``ideal`` and ``anti_ideal``.
    The squares are added left to right (``row_sum``), so a row's closeness is the same bit for bit whether it is
    computed alone or among a million (what lets a ranking compute only the rows asked for)."""
    dp = np.sqrt(row_sum((weighted - ideal) ** 2))
    dm = np.sqrt(row_sum((weighted - anti_ideal) ** 2))
    denom = dp + dm
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, dm / denom, 0.5)


class RowsOnDemand:
    """An (n, k) or (n,) float array whose rows are computed only when asked for: ``a[rows]``, ``a[rows, j]`` or
    ``a[i]`` computes those rows alone (``make(rows)``, rows as positions); ``np.asarray(a)`` or a slice computes
    every row once and keeps it. At resolution 8 (a million candidates) the contributions and the TOPSIS closeness of
    every row were two thirds of a weight change, though a page shows twenty."""

    def __init__(self, shape: tuple[int, ...], make: Callable[[NDArray[np.intp]], NDArray[np.float64]]) -> None:
        self.shape, self._make = shape, make
        self._all: NDArray[np.float64] | None = None

    ndim = property(lambda self: len(self.shape))
    dtype = np.dtype(float)

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype: object = None, copy: object = None) -> NDArray[np.float64]:
        if self._all is None:
            self._all = np.asarray(self._make(np.arange(self.shape[0], dtype=np.intp)), dtype=float)
        return self._all if dtype is None else self._all.astype(dtype)  # type: ignore[call-overload]

    def __getitem__(self, key: Any) -> Any:
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) else (key, ())
        if self._all is not None or isinstance(first, slice) or first is Ellipsis:
            return np.asarray(self)[key]
        if isinstance(first, (int, np.integer)):
            return self._make(np.array([first], dtype=np.intp))[(0, *rest)]
        rows = np.asarray(first)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.intp)
        block = self._make(rows)
        return block[(slice(None), *rest)] if rest else block


@dataclass
class ScoreResult:
    """Scores of every candidate under one profile; row order is the criteria matrix's."""

    profile: Profile
    criteria: tuple[str, ...]
    weights: NDArray[np.float64]
    values: NDArray[np.float64]
    contributions: NDArray[np.float64] | RowsOnDemand  # (n, k)
    missing: NDArray[np.bool_]
    score: NDArray[np.float64]
    feasible: NDArray[np.bool_]
    failed_mask: NDArray[np.int64]
    rank: NDArray[np.int64]
    topsis_score: NDArray[np.float64] | RowsOnDemand  # (n,)
    order: NDArray[np.intp]
    _failure_counts: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def n_feasible(self) -> int:
        """How many candidates pass every constraint."""
        return int(self.feasible.sum())

    def top(self, k: int) -> NDArray[np.intp]:
        """Row positions of the ``k`` best candidates, best first."""
        return self.order[:k]

    def weight_of(self, name: str) -> float:
        """The normalised weight (0..1) of criterion ``name``."""
        return float(self.weights[self.criteria.index(name)])

    def gaps(self, i: int) -> list[str]:
        """Criteria whose value was unknown for row ``i`` (and scored by the missing-value rule)."""
        return [c for c, m in zip(self.criteria, self.missing[i]) if m]

    def reasons(self, i: int, matrix: pd.DataFrame) -> list[str]:
        """Why row ``i`` was excluded (empty if it was not)."""
        mask = int(self.failed_mask[i])
        if not mask:
            return []
        params = self.profile.params()
        out = []
        for bit, con in enumerate(self.profile.constraints):
            if mask & (1 << bit):
                out.append(reason_text(con, matrix, i, params))
        for j, spec in enumerate(self.profile.criteria):
            if mask & (1 << (len(self.profile.constraints) + j)):
                out.append(f"{spec.name} is unknown and the profile excludes sites without it")
        return out

    def failure_counts(self) -> dict[str, int]:
        """How many candidates each constraint excluded (a candidate can fail several)."""
        if self._failure_counts is not None:  # worked out once per result (the page asks on every run)
            return dict(self._failure_counts)
        # A handful of distinct masks cover a million rows: count each mask once, then add up its bits.
        masks, times = np.unique(self.failed_mask, return_counts=True)

        def rows_with(bit: int) -> int:
            return int(times[((masks >> bit) & 1).astype(bool)].sum())

        counts = {}
        for bit, con in enumerate(self.profile.constraints):
            counts[con.describe(self.profile.params())] = rows_with(bit)
        base = len(self.profile.constraints)
        for j, spec in enumerate(self.profile.criteria):
            n = rows_with(base + j)
            if n:
                counts[f"{spec.name} unknown"] = n
        self._failure_counts = dict(counts)
        return counts


def reason_text(con: Constraint, matrix: pd.DataFrame, i: int, params: dict[str, float]) -> str:
    """Why row ``i`` breaks constraint ``con``: the zone it lies in, or its value against the threshold."""
    if con.reason_column and con.reason_column in matrix:
        detail = matrix[con.reason_column].iloc[i]
        if pd.notna(detail) and str(detail):
            return str(detail)
    value = matrix[con.column].iloc[i]
    unit = CRITERIA[con.column].unit
    if pd.isna(value):
        return f"not {con.label}: {con.column} is unknown"
    if unit in ("0/1",):
        return f"not {con.label}"
    return f"not {con.label}: {value:,.1f} {unit}, needs {con.op} {con.threshold(params):,.0f} {unit}"


def row_sum(contributions: NDArray[np.float64]) -> NDArray[np.float64]:
    """The sum over the last axis, added left to right: the same arithmetic whatever the array's shape, so the
    Monte Carlo engine (which adds one criterion at a time over many draws) gets bit-identical scores."""
    if contributions.shape[-1] == 0:
        return np.zeros(contributions.shape[:-1])
    if contributions.ndim == 2 and len(contributions) > ROW_SUM_BLOCK:
        # A million rows: add up a block of rows at a time, so the column-by-column passes read from the CPU's
        # cache, not from memory (the same additions in the same order, about three times faster).
        out = np.empty(len(contributions))
        for start in range(0, len(contributions), ROW_SUM_BLOCK):
            out[start:start + ROW_SUM_BLOCK] = row_sum(contributions[start:start + ROW_SUM_BLOCK])
        return out
    total = contributions[..., 0].copy()
    for j in range(1, contributions.shape[-1]):
        total += contributions[..., j]
    return total


ROW_SUM_BLOCK = 8192  # rows per block in row_sum: 8,192 rows of 8-16 criteria stay within a 1 MB cache


def evaluate_constraints(matrix: pd.DataFrame, profile: Profile) -> NDArray[np.int64]:
    """Bit mask per row: bit b set when constraint b fails."""
    if len(profile.constraints) + len(profile.criteria) > MAX_CONSTRAINTS:
        raise ScoringError(f"a profile may have at most {MAX_CONSTRAINTS} constraints and criteria together.")
    mask = np.zeros(len(matrix), dtype=np.int64)
    params = profile.params()
    for bit, con in enumerate(profile.constraints):
        if con.column not in matrix:
            raise ScoringError(f"constraint on '{con.column}': the criteria matrix has no such column.")
        x = matrix[con.column].to_numpy(dtype=float)
        unknown = np.isnan(x)
        with np.errstate(invalid="ignore"):
            ok = _OPS[con.op](x, con.threshold(params))
        ok = np.where(unknown, con.missing == "pass", ok)
        mask |= (~ok).astype(np.int64) << bit
    return mask


def id_order(matrix: pd.DataFrame) -> NDArray[np.int64]:
    """Each row's place in candidate-id order: the tie-break of the ranking as integers (sorting by it is sorting by
    id, as text; ``Study`` computes it once so that a re-score does not sort a million strings)."""
    n = len(matrix)
    ids = matrix["candidate_id"].to_numpy(dtype=str) if "candidate_id" in matrix else np.arange(n).astype(str)
    tie = np.empty(n, dtype=np.int64)
    tie[np.argsort(ids, kind="stable")] = np.arange(n)
    return tie


def score(matrix: pd.DataFrame, profile: Profile, *, tie: NDArray[np.int64] | None = None) -> ScoreResult:
    """Score every candidate row of ``matrix`` under ``profile``; ``tie`` is ``id_order(matrix)`` when the caller
    keeps it (the same ranking, faster)."""
    specs = profile.criteria
    names = tuple(s.name for s in specs)
    missing_cols = [n for n in names if n not in matrix]
    if missing_cols:
        raise ScoringError(f"the criteria matrix lacks {missing_cols}; it has {list(matrix.columns)}.")
    w = normalise_weights([s.weight for s in specs])
    n, k = len(matrix), len(specs)
    raw = matrix[list(names)].to_numpy(dtype=float).reshape(n, k)
    missing = np.isnan(raw)
    values = np.empty((n, k))
    failed = evaluate_constraints(matrix, profile)
    base = len(profile.constraints)
    for j, spec in enumerate(specs):
        v = spec.value(raw[:, j])
        missing[:, j] |= np.isnan(v)  # e.g. a code that a categorical value function does not list
        if spec.missing == "neutral":
            v = np.where(missing[:, j], spec.missing_value, v)
        elif spec.missing == "worst":
            v = np.where(missing[:, j], 0.0, v)
        else:  # exclude, but only when the criterion counts at all
            if w[j] > 0:
                failed |= missing[:, j].astype(np.int64) << (base + j)
            v = np.where(missing[:, j], 0.0, v)
        values[:, j] = v
    active = w > 0
    missing &= active  # a zero-weight criterion is ignored, so its gaps do not matter
    contributions = 100.0 * values * w
    total = np.clip(row_sum(contributions), 0.0, 100.0)  # float rounding can overshoot 100 by ~1e-14
    feasible = failed == 0
    scores = np.where(feasible, total, np.nan)

    idx = np.flatnonzero(feasible)
    if tie is None:
        ids = matrix["candidate_id"].to_numpy(dtype=str) if "candidate_id" in matrix else np.arange(n).astype(str)
        order = idx[np.lexsort((ids[idx], -total[idx]))]
    else:
        order = idx[np.lexsort((tie[idx], -total[idx]))]
    rank = np.zeros(n, dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)

    tscore = np.full(n, np.nan)
    if len(idx):
        tscore[idx] = 100.0 * topsis(values[idx][:, active], w[active])
    return ScoreResult(profile, names, w, values, contributions, missing, scores, feasible, failed, rank, tscore, order)
