"""One study: a dataset and its candidates, with the criteria matrix cached the way it changes.

``Study`` computes the expensive site criteria once, the grid connection once per node rule, and
scores on demand (cheap). The CLI and the app are thin shells over it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.economics.cost_model import add_cost_criterion
from sitefinder.measure.cache import cached, cached_h3_candidates, candidates_digest, dataset_digest
from sitefinder.measure.candidates import Candidates, user_candidates
from sitefinder.measure.criteria import combine, grid_criteria
from sitefinder.measure.partitions import measure_site
from sitefinder.measure.surplus import surplus_areas
from sitefinder.model.profiles import Profile
from sitefinder.model.vocabulary import NodeRule
from sitefinder.rank.fastscore import Prepared, prepare, score_prepared
from sitefinder.rank.scoring import ScoreResult, id_order

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    return None


@dataclass
class Study:
    """Candidates over a dataset, with cached criteria."""

    dataset: Dataset
    candidates: Candidates
    progress: Progress = _quiet
    workers: int | str | None = None  # Dask workers (a number, or a scheduler address) to measure the criteria on
    _site: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _key: str | None = field(default=None, init=False, repr=False)
    _tie: NDArray[np.int64] | None = field(default=None, init=False, repr=False)
    _grid: dict[NodeRule, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)
    _matrices: dict[tuple[object, ...], pd.DataFrame] = field(default_factory=dict, init=False, repr=False)
    _prepared: dict[tuple[object, ...], Prepared] = field(default_factory=dict, init=False, repr=False)
    _areas: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _memos: dict[tuple[object, ...], dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    _data_memos: dict[tuple[object, ...], dict[str, Any]] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def on_h3(cls, dataset: Dataset, resolution: int, progress: Progress = _quiet) -> Study:
        """A study over H3 cells at ``resolution`` (5-9) covering the dataset's study area."""
        t = time.perf_counter()
        cands = cached_h3_candidates(dataset["study_area"], resolution)
        progress(f"candidates: {len(cands):,} H3 cells at resolution {resolution} ({time.perf_counter() - t:.1f} s)")
        return cls(dataset, cands, progress)

    @classmethod
    def on_sites(cls, dataset: Dataset, sites: gpd.GeoDataFrame, source: str, progress: Progress = _quiet) -> Study:
        """A study over the user's own points or polygons (``sites`` in any CRS; read as EPSG:4326)."""
        cands = user_candidates(sites, source=source)
        progress(f"candidates: {len(cands):,} sites from {source}")
        return cls(dataset, cands, progress)

    @property
    def areas(self) -> pd.DataFrame:
        """The surplus areas sites draw on (``measure.surplus.surplus_areas``; a few rows, made once: the dataset does
        not change under a study). A copy, so a caller's change cannot reach the next one."""
        if self._areas is None:
            self._areas = surplus_areas(self.dataset)
        return self._areas.copy()

    @property
    def key(self) -> str:
        """A digest of the data and the candidates: what the measured criteria depend on (the disk cache's key)."""
        if self._key is None:
            self._key = f"{dataset_digest(self.dataset)}-{candidates_digest(self.candidates)}"
        return self._key

    @property
    def site(self) -> pd.DataFrame:
        """The site criteria of every candidate (measured once, then kept in memory and on disk)."""
        if self._site is None:
            t = time.perf_counter()

            def measure() -> pd.DataFrame:
                self.progress(f"measuring region, climate, land and connectivity for {len(self.candidates):,} candidates ...")
                return measure_site(self.dataset, self.candidates, workers=self.workers, progress=self.progress)
            self._site = cached("site", self.key, measure, self.progress)
            self.progress(f"site criteria done ({time.perf_counter() - t:.1f} s)")
        return self._site

    def grid(self, rule: NodeRule) -> pd.DataFrame:
        """The connection point of every candidate under ``rule`` (kept per rule, in memory and on disk)."""
        if rule not in self._grid:
            digest = hashlib.sha256(repr(rule).encode()).hexdigest()[:8]
            self._grid[rule] = cached("grid", f"{self.key}-{digest}",
                                      lambda: grid_criteria(self.dataset, self.candidates, rule))
        return self._grid[rule]

    def matrix(self, profile: Profile) -> pd.DataFrame:
        """The criteria matrix for ``profile``'s node rule and season (one row per candidate)."""
        key = (profile.node_rule, profile.season, profile.economics, profile.facility_mw)
        if key not in self._matrices:  # a weight change reuses it: only these four move the matrix
            if len(self._matrices) > 4:
                self._matrices.clear()
                self._prepared.clear()
                self._memos.clear()  # keyed by the matrices' ids, like the prepared arrays
            matrix = combine(self.site, self.grid(profile.node_rule), profile.season, self.areas)
            digest = hashlib.sha256(repr((profile.node_rule, profile.economics, profile.facility_mw)).encode()).hexdigest()[:12]
            cost = cached("cost", f"{self.key}-{digest}", lambda: add_cost_criterion(
                pd.DataFrame(index=matrix.index), profile.economics, self.dataset["supply_regions"], profile.facility_mw,
                profile.node_rule.min_voltage_kv, frame=matrix, areas=self.areas).reset_index(drop=True))
            for col in cost.columns:
                matrix[col] = cost[col].to_numpy()
            self._matrices[key] = matrix
        return self._matrices[key]  # shared: callers read it, never change it

    def memo(self, matrix: pd.DataFrame, *key: object) -> dict[str, Any] | None:
        """A dict kept with one of this study's own matrices (``matrix``, as ``matrix()`` returned it) under ``key``,
        for what follows from that matrix alone; None for any other frame (nothing is kept for it)."""
        if not any(m is matrix for m in self._matrices.values()):
            return None
        return self._memos.setdefault((id(matrix), *key), {})

    def memo_for_data(self, *key: object) -> dict[str, Any]:
        """A dict kept with this study under ``key``, for what follows from its dataset and candidates alone."""
        return self._data_memos.setdefault(key, {})

    @property
    def tie(self) -> NDArray[np.int64]:
        """Each candidate's place in candidate-id order (the ranking's tie-break), computed once."""
        if self._tie is None:
            self._tie = id_order(self.site)
        return self._tie

    def rank(self, profile: Profile) -> tuple[pd.DataFrame, ScoreResult]:
        """The criteria matrix for ``profile`` and its scores. The value functions and constraints are applied once
        per matrix and rule set (``fastscore.prepare``); a weight change only re-weights (the same result as
        ``scoring.score``, field by field)."""
        m = self.matrix(profile)
        # as text: a value function's NaN default would make equal rules unequal as objects
        rules = (id(m), repr([(c.name, c.value, c.missing, c.missing_value) for c in profile.criteria]),
                 repr(profile.constraints), repr(sorted(profile.params().items())))
        if rules not in self._prepared:
            self._prepared[rules] = prepare(m, profile)
        return m, score_prepared(self._prepared[rules], profile, tie=self.tie)






