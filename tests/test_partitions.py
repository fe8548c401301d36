"""Criteria measured in partitions (sitefinder/partitions.py): by H3 parent one after another, and on a local Dask
cluster of two worker processes, give exactly the rows of one pass over every candidate, in the same order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sitefinder.measure import partitions
from sitefinder.measure.candidates import h3_candidates, user_candidates
from sitefinder.measure.criteria import site_criteria
from sitefinder.measure.partitions import partition_indices, site_criteria_partitioned

ROOT = Path(__file__).resolve().parents[1]


def test_partitions_cover_every_candidate_once_by_h3_parent(study_area) -> None:
    cands = h3_candidates(study_area, 6)
    parts = partition_indices(cands)
    assert len(parts) > 1
    together = np.sort(np.concatenate(parts))
    assert np.array_equal(together, np.arange(len(cands)))
    import h3  # noqa: PLC0415

    for p in parts:  # one parent per partition
        assert len({h3.cell_to_parent(c, 1) for c in cands.ids[p]}) == 1


def test_serial_partitions_equal_one_pass(pakistan_data) -> None:
    cands = h3_candidates(pakistan_data["study_area"], 6)
    pd.testing.assert_frame_equal(site_criteria_partitioned(pakistan_data, cands), site_criteria(pakistan_data, cands),
                                  check_exact=True)


def test_user_sites_in_blocks_equal_one_pass(pakistan_data, monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd  # noqa: PLC0415

    rng = np.random.default_rng(3)
    pts = gpd.GeoDataFrame({"name": [f"s{i}" for i in range(500)]},
                           geometry=gpd.points_from_xy(rng.uniform(62, 76, 500), rng.uniform(24, 36, 500)), crs=4326)
    cands = user_candidates(pts, source="random points")
    monkeypatch.setattr(partitions, "USER_BLOCK", 64)
    assert len(partition_indices(cands)) == 8
    pd.testing.assert_frame_equal(site_criteria_partitioned(pakistan_data, cands), site_criteria(pakistan_data, cands),
                                  check_exact=True)


@pytest.mark.slow
def test_a_local_dask_cluster_of_two_workers_gives_the_same_rows(pakistan_data) -> None:
    pytest.importorskip("dask.distributed")
    cands = h3_candidates(pakistan_data["study_area"], 5)
    on_dask = site_criteria_partitioned(pakistan_data, cands, workers=2)
    pd.testing.assert_frame_equal(on_dask, site_criteria(pakistan_data, cands), check_exact=True)


def test_workers_on_the_command_line_must_be_a_count_or_an_address() -> None:
    run = subprocess.run([sys.executable, "-m", "sitefinder", "rank", "--workers", "many", "--quiet"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2 and "neither a number of workers" in run.stderr
