"""Monte Carlo ranking: the ordinary ranking redone for many draws of the uncertain inputs, vectorised.

Before drawing, the candidates that fail a constraint in every possible draw are left out (a constraint is
tested at the most favourable end of each moving column's range). The rest are put in candidate-id order,
so a stable sort breaks equal scores by id exactly as the ordinary ranking does. Then, chunk by chunk of
draws (memory bounded), the engine computes only the columns the draws move, re-applies every constraint,
scores with each draw's weights (scaled to sum to 1, as the ordinary ranking does) and orders the
candidates; a loop over draws (never over candidates) cuts each draw's shortlist with the same rules as
``analysis.pick_shortlist`` (province, at most so many sites per grid node).

With no spread anywhere every draw is the ordinary ranking, bit for bit: ``loop_over_draws`` is the
straightforward version (one ordinary ranking per draw), kept as the oracle for tests and the benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.model.profiles import Profile
from sitefinder.rank.scoring import _OPS, normalise_weights, score
from sitefinder.rank.shortlist import pick_shortlist
from sitefinder.robustness.inputs import (
    CLIMATE_COLUMNS,
    DISTANCE_COLUMN,
    HEADROOM_COLUMN,
    SURPLUS_COLUMNS,
    Draws,
    DrawSettings,
    Inputs,
    column_bounds,
    drawn_columns,
)

PERCENTILES = (0.05, 0.50, 0.95)
MEMORY_BUDGET_BYTES = 256 * 1024**2  # working arrays of one chunk of draws
_ARRAYS_PER_DRAW = 24                 # (M,) float64 arrays alive per draw while a chunk is scored (measured, rounded up)


def tracked_depth(top: int) -> int:
    """How many shortlist places each draw records for the rank percentiles (ranks beyond are "beyond")."""
    return min(max(3 * top, 100), 2000)


@dataclass(frozen=True)
class Outcome:
    """What the draws gave: for each draw the matrix rows of its shortlist, best first (``-1`` past its end),
    and for each matrix row in how many draws it passed the constraints."""

    lists: NDArray[np.int32]            # (D, depth)
    feasible_count: NDArray[np.float64]  # (n,); NaN for rows outside the province asked for
    top: int

    @property
    def draws(self) -> int:
        """How many draws."""
        return int(self.lists.shape[0])

    def p_feasible(self) -> NDArray[np.float64]:
        """The share of draws in which each row passes every constraint (0..1)."""
        return self.feasible_count / self.draws

    def p_top_n(self) -> NDArray[np.float64]:
        """The share of draws in which each row is in the shortlist of ``top`` (0..1)."""
        head = self.lists[:, :self.top].ravel()
        counts = np.bincount(head[head >= 0], minlength=len(self.feasible_count))
        return np.where(np.isnan(self.feasible_count), np.nan, counts / self.draws)

    def p_group_top_n(self, group: NDArray[np.intp]) -> NDArray[np.float64]:
        """For each row, the share of draws in which at least one row of its group (e.g. its grid node: ``group``
        holds one code per matrix row, -1 for none) is in the shortlist of ``top``."""
        head = self.lists[:, :self.top]
        codes = np.where(head >= 0, group[np.maximum(head, 0)], -1)
        size = int(group.max()) + 2 if len(group) else 1
        keys = np.unique((np.arange(self.draws)[:, None] * size + codes + 1).ravel())
        per_group = np.bincount(keys % size, minlength=size)[1:] / self.draws  # drop code -1
        out = np.where(group >= 0, per_group[np.maximum(group, 0)], 0.0)
        return np.where(np.isnan(self.feasible_count), np.nan, out)

    def rank_percentile(self, p: float) -> NDArray[np.float64]:
        """The shortlist place each row reaches or beats in a share ``p`` of the draws (nearest rank: the
        ``ceil(p * draws)``-th best place); NaN where that place is beyond the tracked depth, or the row is
        excluded or not shortlisted in more than ``1 - p`` of the draws."""
        D, depth = self.lists.shape
        k = max(1, math.ceil(p * D - 1e-9))
        out = np.full(len(self.feasible_count), np.nan)
        rows = self.lists.ravel()
        place = np.tile(np.arange(1, depth + 1), D)
        ok = rows >= 0
        rows, place = rows[ok], place[ok]
        order = np.lexsort((place, rows))
        rows, place = rows[order], place[order]
        uniq, start, count = np.unique(rows, return_index=True, return_counts=True)
        have = count >= k
        out[uniq[have]] = place[start[have] + k - 1]
        return out


def _first_per_group(codes: NDArray[Any], cap: int) -> NDArray[np.bool_]:
    """True for the first ``cap`` entries of each code, in order (the per-node limit of a shortlist)."""
    if not len(codes):
        return np.zeros(0, dtype=bool)
    perm = np.argsort(codes, kind="stable")
    ordered = codes[perm]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    lengths = np.diff(np.r_[starts, len(ordered)])
    occurrence = np.empty(len(codes), dtype=np.intp)
    occurrence[perm] = np.arange(len(ordered)) - np.repeat(starts, lengths)
    return occurrence < cap


def _passes(con_op: str, x: NDArray[np.float64], threshold: float, missing: str) -> NDArray[np.bool_]:
    with np.errstate(invalid="ignore"):
        ok = _OPS[con_op](x, threshold)
    return np.where(np.isnan(x), missing == "pass", ok)


def _province_rows(matrix: pd.DataFrame, province: str | None) -> NDArray[np.bool_]:
    if not province:
        return np.ones(len(matrix), dtype=bool)
    prov = matrix["province"].astype("string").str.lower().to_numpy(dtype=object)
    return np.asarray(prov == province.lower(), dtype=bool)


class Engine:
    """The vectorised ranking over draws, for one criteria matrix under one profile.

    ``settings`` decides which columns can move (and so which candidates can ever pass); ``top``,
    ``max_per_node`` and ``province`` are the shortlist rules of ``analysis.pick_shortlist``."""

    def __init__(self, matrix: pd.DataFrame, profile: Profile, inputs: Inputs, settings: DrawSettings, *, top: int,
                 max_per_node: int = 0, province: str | None = None, depth: int | None = None) -> None:
        self.matrix, self.profile, self.inputs, self.settings = matrix, profile, inputs, settings
        self.top, self.max_per_node, self.province = int(top), int(max_per_node), province
        self.depth = max(depth or tracked_depth(top), self.top)
        self.in_province = _province_rows(matrix, province)
        self.rows = self._capable_rows()
        small = np.int16 if len(inputs.node_ids) < np.iinfo(np.int16).max else np.int32
        self.node_code = inputs.row_node[self.rows].astype(small)  # a stable sort of 16-bit codes is a radix sort
        self._prepare_constants()

    # -- which candidates can ever pass -----------------------------------------------------------------
    def _capable_rows(self) -> NDArray[np.intp]:
        """Rows that pass every constraint in at least one possible draw, sorted by candidate id."""
        m, prof = self.matrix, self.profile
        rows = np.flatnonzero(self.in_province)
        # Unknown headroom may turn out to be anything: a row is never dropped for it here.
        bounds = column_bounds(self.inputs, m, replace(self.settings, headroom_range=(0.0, math.inf)), rows)
        ok = np.ones(len(rows), dtype=bool)
        params = prof.params()
        for con in prof.constraints:
            thr = con.threshold(params)
            x = m[con.column].to_numpy(float)[rows]
            if con.column not in bounds:
                ok &= _passes(con.op, x, thr, con.missing)
                continue
            lo, hi = bounds[con.column]
            if con.op in ("<=", "<"):
                ok &= _passes(con.op, lo, thr, con.missing)
            elif con.op in (">=", ">"):
                ok &= _passes(con.op, hi, thr, con.missing)
            elif con.op == "==":
                with np.errstate(invalid="ignore"):
                    ok &= np.where(np.isnan(lo) | np.isnan(hi), con.missing == "pass", (lo <= thr) & (thr <= hi))
        if self.settings.weight_spread == 0:  # weights stay as set: an unknown that excludes always excludes
            for spec in prof.criteria:
                if spec.missing == "exclude" and spec.weight > 0 and spec.name not in bounds:
                    x = m[spec.name].to_numpy(float)[rows]
                    ok &= ~(np.isnan(x) | np.isnan(spec.value(x)))
        rows = rows[ok]
        ids = m["candidate_id"].to_numpy(dtype=str)[rows] if "candidate_id" in m else rows.astype(str)
        return rows[np.argsort(ids, kind="stable")]

    def _prepare_constants(self) -> None:
        """Everything that no draw can move, computed once for the capable rows."""
        m, prof, rows = self.matrix, self.profile, self.rows
        params = prof.params()
        movable = self._movable_columns()
        failed = np.zeros(len(rows), dtype=bool)
        self.moving_constraints = []
        for con in prof.constraints:
            if con.column in movable:
                self.moving_constraints.append((con, con.threshold(params)))
            else:
                failed |= ~_passes(con.op, m[con.column].to_numpy(float)[rows], con.threshold(params), con.missing)
        self.const_failed = failed
        self.const_values: dict[str, tuple[NDArray[np.float64], NDArray[np.bool_]]] = {}
        for spec in prof.criteria:
            if spec.name in movable:
                continue
            self.const_values[spec.name] = self._value(spec, m[spec.name].to_numpy(float)[rows])

    def _movable_columns(self) -> set[str]:
        return set(SURPLUS_COLUMNS) | set(CLIMATE_COLUMNS) | {DISTANCE_COLUMN, HEADROOM_COLUMN}

    @staticmethod
    def _value(spec: object, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """The criterion's values (0..1) with the missing-value rule applied, and where the raw value was missing:
        exactly what ``scoring.score`` does for one column."""
        v = spec.value(x)  # type: ignore[attr-defined]
        missing = np.isnan(x) | np.isnan(v)
        rule = spec.missing  # type: ignore[attr-defined]
        fill = spec.missing_value if rule == "neutral" else 0.0  # type: ignore[attr-defined]
        return np.where(missing, fill, v), missing

    # -- one chunk of draws -----------------------------------------------------------------------------
    def score(self, draws: Draws) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        """For each draw and capable row: passes every constraint, and the score (0..100) it would have."""
        D, M = len(draws), len(self.rows)
        moved = drawn_columns(self.inputs, self.matrix, draws, self.rows)
        failed = np.broadcast_to(self.const_failed, (D, M)).copy()
        for con, thr in self.moving_constraints:
            if con.column in moved:
                failed |= ~_passes(con.op, moved[con.column], thr, con.missing)
            else:
                failed |= ~_passes(con.op, self.matrix[con.column].to_numpy(float)[self.rows], thr, con.missing)
        weights = np.array([normalise_weights(r) for r in draws.raw_weights]).reshape(D, -1)
        total: NDArray[np.float64] | None = None
        for j, spec in enumerate(self.profile.criteria):
            if spec.name in self.const_values:
                v, missing = self.const_values[spec.name]
            else:
                x = moved.get(spec.name)
                v, missing = self._value(spec, x if x is not None else self.matrix[spec.name].to_numpy(float)[self.rows])
            w = weights[:, j:j + 1]
            if spec.missing == "exclude":
                failed |= missing & (w > 0)
            c = (100.0 * v) * w
            total = np.broadcast_to(c, (D, M)).copy() if total is None else total + c
        assert total is not None
        return ~failed, np.clip(total, 0.0, 100.0)

    def shortlists(self, feasible: NDArray[np.bool_], total: NDArray[np.float64]) -> NDArray[np.int32]:
        """Each draw's shortlist (matrix rows, best first, ``depth`` places, ``-1`` past its end)."""
        D = len(feasible)
        out = np.full((D, self.depth), -1, dtype=np.int32)
        if not len(self.rows):
            return out
        key = np.where(feasible, -total, np.inf)
        order = np.argsort(key, axis=1, kind="stable")
        n_pass = feasible.sum(axis=1)
        for d in range(D):  # a loop over draws; each step is vectorised over the candidates
            idx = order[d, :n_pass[d]]
            if self.max_per_node > 0:
                idx = idx[_first_per_group(self.node_code[idx], self.max_per_node)]
            take = self.rows[idx[:self.depth]]
            out[d, :len(take)] = take
        return out

    def chunk_size(self) -> int:
        """Draws per chunk, so that a chunk's working arrays stay within ``MEMORY_BUDGET_BYTES``."""
        per_draw = max(1, len(self.rows)) * 8 * _ARRAYS_PER_DRAW
        return max(1, MEMORY_BUDGET_BYTES // per_draw)

    def run(self, draws: Draws, *, progress: Callable[[float], None] | None = None) -> Outcome:
        """Every draw, chunk by chunk; ``progress`` is told the share done (0..1) after each chunk."""
        D, n = len(draws), len(self.matrix)
        lists = np.full((D, self.depth), -1, dtype=np.int32)
        count = np.zeros(n)
        step = self.chunk_size()
        for start in range(0, D, step):
            part = draws.part(start, min(D, start + step))
            feasible, total = self.score(part)
            lists[start:start + len(part)] = self.shortlists(feasible, total)
            np.add.at(count, self.rows, feasible.sum(axis=0))
            if progress is not None:
                progress(min(D, start + step) / D)
        return Outcome(lists, np.where(self.in_province, count, np.nan), self.top)


def loop_over_draws(matrix: pd.DataFrame, profile: Profile, inputs: Inputs, draws: Draws, *, top: int,
                    max_per_node: int = 0, province: str | None = None, depth: int | None = None) -> Outcome:
    """The straightforward way: for each draw, the matrix with the drawn columns and the ordinary ranking
    (``scoring.score`` and ``analysis.pick_shortlist``). Same draws, same ``Outcome`` as ``Engine.run``."""
    depth = max(depth or tracked_depth(top), top)
    D, n = len(draws), len(matrix)
    lists = np.full((D, depth), -1, dtype=np.int32)
    count = np.zeros(n)
    every = np.arange(n)
    in_province = _province_rows(matrix, province)
    for d in range(D):
        one = draws.part(d, d + 1)
        moved = drawn_columns(inputs, matrix, one, every)
        m = matrix.copy() if moved else matrix
        for col, values in moved.items():
            m[col] = values[0]
        prof = profile.with_weights(dict(zip(inputs.criteria, (float(w) for w in one.raw_weights[0]))))
        result = score(m, prof)
        picked = pick_shortlist(m, result, depth, max_per_node=max_per_node, province=province)
        lists[d, :len(picked)] = picked
        count += result.feasible & in_province
    return Outcome(lists, np.where(in_province, count, np.nan), top)
