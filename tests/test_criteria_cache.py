"""Measured criteria on disk (sitefinder/criteria_cache.py): a second study of the same cells reads them and gets the
same frame; a changed layer, other cells or another node rule never read a stale file; a damaged file is measured
again; the cache can be turned off."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sitefinder.measure.cache import cache_dir, dataset_digest
from sitefinder.model.vocabulary import NodeRule
from sitefinder.rank.study import Study


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITEFINDER_CACHE", str(tmp_path))
    return tmp_path


def test_a_second_study_reads_the_cache_and_gets_the_same_criteria(pakistan_data, cache: Path) -> None:
    said: list[str] = []
    first = Study.on_h3(pakistan_data, 5)
    site, grid = first.site, first.grid(NodeRule())
    files = sorted(p.name.split("-")[0] for p in cache.iterdir())
    assert files == ["cells", "grid", "site"]  # the H3 cells, the grid criteria under the rule, the site criteria
    second = Study.on_h3(pakistan_data, 5, progress=said.append)
    pd.testing.assert_frame_equal(second.site, site)
    pd.testing.assert_frame_equal(second.grid(NodeRule()), grid)
    assert any("from the cache" in s for s in said) and not any(s.startswith("measuring") for s in said)
    second.grid(NodeRule(min_voltage_kv=500.0))  # another rule: its own file
    assert len(list(cache.glob("grid-*"))) == 2


def test_a_changed_layer_or_other_cells_never_read_a_stale_file(pakistan_data, cache: Path) -> None:
    base = Study.on_h3(pakistan_data, 5)
    _ = base.site
    nodes = pakistan_data["grid_nodes"].copy()
    nodes.loc[nodes.index[0], "name"] = "renamed"          # an attribute only: same count, same bounds
    changed = pakistan_data.with_layer("grid_nodes", nodes)
    assert dataset_digest(changed) != dataset_digest(pakistan_data)
    assert Study.on_h3(changed, 5).key != base.key
    assert Study.on_h3(pakistan_data, 6).key != base.key


def test_a_damaged_file_is_measured_again_and_the_cache_can_be_off(pakistan_data, cache: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    good = Study.on_h3(pakistan_data, 5).site
    for f in cache.glob("site-*.parquet"):
        f.write_bytes(b"not parquet")
    said: list[str] = []
    again = Study.on_h3(pakistan_data, 5, progress=said.append).site
    pd.testing.assert_frame_equal(again, good)
    assert any("could not be read" in s and "measuring again" in s for s in said), said
    assert pd.read_parquet(next(cache.glob("site-*.parquet"))).shape == good.shape  # replaced by a good file
    monkeypatch.setenv("SITEFINDER_CACHE", "off")
    assert cache_dir() is None
