"""Rebuilding data/pakistan from its fact tables reproduces the committed files exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from sitefinder.build import LAYER_FILES, build_dataset
from sitefinder.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "pakistan"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rebuilt")
    build_dataset(DATA / "facts", out, DATA / "build.toml")
    return out


def test_every_committed_file_is_reproduced_byte_for_byte(rebuilt: Path) -> None:
    expected = sorted(p.name for p in DATA.iterdir() if p.is_file() and p.name not in ("README.md", "build.toml"))
    produced = sorted(p.name for p in rebuilt.iterdir())
    assert produced == expected
    for name in expected:
        assert (rebuilt / name).read_bytes() == (DATA / name).read_bytes(), f"{name} differs from the committed file"


def test_cli_build_data_writes_the_same_files(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "sitefinder.cli", "build-data", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "grid nodes" in proc.stderr  # progress is shown
    for name in LAYER_FILES.values():
        assert (out / name).read_bytes() == (DATA / name).read_bytes()


def test_changing_a_build_parameter_changes_the_estimate(tmp_path: Path) -> None:
    """The surplus estimate really comes from build.toml: double winter demand, surplus falls."""
    config = (DATA / "build.toml").read_text(encoding="utf-8").replace("winter_demand_mw = 12500", "winter_demand_mw = 25000")
    (tmp_path / "build.toml").write_text(config, encoding="utf-8")
    build_dataset(DATA / "facts", tmp_path / "out", tmp_path / "build.toml")
    base = gpd.read_file(DATA / "supply_regions.geojson").set_index("region_id")
    new = gpd.read_file(tmp_path / "out" / "supply_regions.geojson").set_index("region_id")
    grid = base["on_national_grid"].astype(bool)
    diff = (base.loc[grid, "surplus_winter_mw"] - new.loc[grid, "surplus_winter_mw"])
    assert diff.sum() == pytest.approx(12_500, abs=1.0)  # the extra demand is shared out in full
    assert (new.loc[grid, "surplus_summer_mw"] == base.loc[grid, "surplus_summer_mw"]).all()


def test_built_layers_load_and_validate() -> None:
    ds = load_dataset(DATA)
    assert set(LAYER_FILES) <= set(ds.layers)
    nodes = ds["grid_nodes"]
    assert nodes["node_id"].is_unique
    assert nodes["headroom_mw"].isna().all(), "no headroom is published: it must stay unknown, not zero"
    regions = ds["supply_regions"]
    off = regions[~regions["on_national_grid"].astype(bool)]
    assert list(off["region_id"]) == ["gb-pd"] and off["surplus_winter_mw"].isna().all()
    assert regions.loc[regions["on_national_grid"].astype(bool), "surplus_basis"].str.startswith("ESTIMATE").all()


def test_supply_regions_tile_the_study_area_without_overlap() -> None:
    ds = load_dataset(DATA)
    study = ds["study_area"].to_crs("+proj=laea +lat_0=30 +lon_0=70").geometry.iloc[0]
    regions = ds["supply_regions"].to_crs("+proj=laea +lat_0=30 +lon_0=70")
    total = regions.geometry.area.sum()
    assert total == pytest.approx(study.area, rel=1e-3)
    assert regions.geometry.union_all().area == pytest.approx(total, rel=1e-3)


def test_fact_tables_are_copies_with_sources() -> None:
    shared = ROOT.parent / "shared" / "data" / "pakistan"
    facts = DATA / "facts"
    if shared.exists():
        for p in shared.glob("*.csv"):
            if (facts / p.name).exists():
                assert (facts / p.name).read_bytes() == p.read_bytes(), f"{p.name} was edited after copying"
    for name in ("grid_stations.csv", "power_plants.csv", "protected_areas.csv", "connectivity.csv", "flood_2022_districts.csv"):
        header = (facts / name).read_text(encoding="utf-8").splitlines()[0]
        assert "source" in header, f"{name} lost its source column"
