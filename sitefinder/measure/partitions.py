"""Measuring the criteria in partitions: by H3 parent cell (or in blocks of user sites), one after another on this
machine, or in parallel on Dask (a local cluster of N worker processes, or a scheduler's address).

Every criterion is measured per candidate (a point-in-polygon lookup, a nearest neighbour, an interpolation from
the stations), so the partitions give exactly the rows of one pass over all candidates; they are put back in the
candidates' order, and a categorical column gets the union of its partitions' categories (sorted, as one pass
makes them). ``tests/test_partitions.py`` checks serial, partitioned and Dask results are identical.

Partitions keep the peak memory down: at H3 resolution 8, one pass holds every candidate's intermediate arrays at
once; partitions of about 17,000 cells (H3 parent resolution 3) hold one partition's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import h3
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.data.dataset import Dataset
from sitefinder.measure.candidates import Candidates
from sitefinder.measure.criteria import site_criteria

PARENT_STEP = 5          # H3 parent resolution = cell resolution - 5 (7 ** 5 = 16,807 cells per full parent)
USER_BLOCK = 20_000      # user sites per partition
PARTITION_ABOVE = 200_000  # fewer candidates than this: one pass (partitions would only add overhead)


def partition_indices(cands: Candidates) -> list[NDArray[np.intp]]:
    """Row positions of each partition, in order of each partition's first candidate."""
    n = len(cands)
    if cands.kind == "h3" and cands.resolution is not None:
        parent_res = max(0, cands.resolution - PARENT_STEP)
        parents = np.array([h3.cell_to_parent(c, parent_res) for c in cands.ids.astype(str)], dtype=object)
        keys, first, inverse = np.unique(parents, return_index=True, return_inverse=True)
        groups = np.argsort(inverse, kind="stable")
        bounds = np.cumsum(np.bincount(inverse, minlength=len(keys)))[:-1]
        parts = np.split(groups, bounds)
        return [parts[i] for i in np.argsort(first)]
    return [np.arange(i, min(i + USER_BLOCK, n)) for i in range(0, n, USER_BLOCK)]


def subset(cands: Candidates, idx: NDArray[np.intp]) -> Candidates:
    """The candidates at ``idx`` (same kind and resolution)."""
    geometry = None if cands.user_geometry is None else cands.user_geometry[idx]
    names = None if cands.names is None else cands.names[idx]
    return replace(cands, ids=cands.ids[idx], lon=cands.lon[idx], lat=cands.lat[idx], user_geometry=geometry, names=names)


def reassemble(frames: list[pd.DataFrame], parts: list[NDArray[np.intp]], n: int) -> pd.DataFrame:
    """The partitions' rows back in the candidates' order, categoricals with the union of their categories."""
    cats = {c for f in frames for c in f.columns if isinstance(f[c].dtype, pd.CategoricalDtype)}
    plain = [f.assign(**{c: f[c].astype(object) for c in cats if c in f}) for f in frames]
    whole = pd.concat(plain, ignore_index=True)
    order = np.empty(n, dtype=np.intp)
    order[np.concatenate(parts)] = np.arange(n)
    whole = whole.iloc[order].reset_index(drop=True)
    for c in cats:
        union = sorted({v for f in frames if c in f for v in f[c].cat.categories})
        whole[c] = pd.Categorical(whole[c], categories=union)
    return whole[frames[0].columns]


def site_criteria_partitioned(dataset: Dataset, cands: Candidates, *, workers: int | str | None = None,
                              progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """``criteria.site_criteria`` over partitions: serially (``workers`` None or 0), on a local Dask cluster of
    ``workers`` processes, or on the Dask scheduler at address ``workers`` ("tcp://host:8786")."""
    parts = partition_indices(cands)
    subsets = [subset(cands, p) for p in parts]
    if not workers:
        frames = []
        for i, sub in enumerate(subsets):
            frames.append(site_criteria(dataset, sub))
            if progress and (i + 1) % 10 == 0:
                progress(f"  {i + 1} of {len(subsets)} partitions measured")
        return reassemble(frames, parts, len(cands))
    return reassemble(_on_dask(dataset, subsets, workers, progress), parts, len(cands))


def _on_dask(dataset: Dataset, subsets: list[Candidates], workers: int | str,
             progress: Callable[[str], None] | None) -> list[pd.DataFrame]:
    from dask.distributed import Client, LocalCluster  # noqa: PLC0415  (optional: pip install "dask[distributed]")

    cluster: Any = None
    if isinstance(workers, int):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
    else:
        client = Client(workers)
    try:
        if progress:
            progress(f"  {len(subsets)} partitions on Dask ({client.scheduler_info().get('address', workers)})")
        shared = client.scatter(dataset, broadcast=True)
        parts = client.scatter(subsets)  # sent as data, not embedded in the task graph
        futures = client.map(site_criteria, [shared] * len(subsets), parts, pure=False)
        return list(client.gather(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def measure_site(dataset: Dataset, cands: Candidates, *, workers: int | str | None = None,
                 progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """The site criteria: one pass for a small study, partitions (serial or on Dask) for a large one or when
    ``workers`` asks for Dask."""
    if workers or len(cands) > PARTITION_ABOVE:
        return site_criteria_partitioned(dataset, cands, workers=workers, progress=progress)
    return site_criteria(dataset, cands)
