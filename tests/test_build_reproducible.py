"""Rebuilding data/pakistan from its fact tables reproduces the committed files exactly."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from sitefinder.build import LAYER_FILES, build_dataset
from sitefinder.data.dataset import Dataset

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
    """The first model's arithmetic (kept as polygon_surplus_*) really comes from build.toml: double winter
    demand, it falls by exactly that."""
    text = (DATA / "build.toml").read_text(encoding="utf-8")
    old = "[surplus.demand.winter]\nvalue = 12500\nlow = 12000\nhigh = 13000\n"
    assert old in text
    config = text.replace(old, "[surplus.demand.winter]\nvalue = 25000\nlow = 25000\nhigh = 25000\n")
    (tmp_path / "build.toml").write_text(config, encoding="utf-8")
    build_dataset(DATA / "facts", tmp_path / "out", tmp_path / "build.toml")
    base = gpd.read_file(DATA / "supply_regions.geojson").set_index("region_id")
    new = gpd.read_file(tmp_path / "out" / "supply_regions.geojson").set_index("region_id")
    grid = base["on_national_grid"].astype(bool)
    diff = (base.loc[grid, "polygon_surplus_winter_mw"] - new.loc[grid, "polygon_surplus_winter_mw"])
    assert diff.sum() == pytest.approx(12_500, abs=1.0)  # the extra demand is shared out in full
    assert (new.loc[grid, "polygon_surplus_summer_mw"] == base.loc[grid, "polygon_surplus_summer_mw"]).all()


def test_the_network_surplus_really_comes_from_its_inputs(tmp_path: Path) -> None:
    """Halve K-Electric's interconnections: its zone's surplus falls and no other zone's rises."""
    facts = tmp_path / "facts"
    shutil.copytree(DATA / "facts", facts)
    table = facts / "network" / "interfaces.csv"
    text = table.read_text(encoding="utf-8")
    assert ",south,ke,1100,1600,2050," in text
    table.write_text(text.replace(",south,ke,1100,1600,2050,", ",south,ke,550,800,1025,"), encoding="utf-8")
    build_dataset(facts, tmp_path / "out", DATA / "build.toml")
    base = gpd.read_file(DATA / "supply_regions.geojson").set_index("name")
    new = gpd.read_file(tmp_path / "out" / "supply_regions.geojson").set_index("name")
    assert new.loc["K-Electric", "surplus_winter_mw"] < base.loc["K-Electric", "surplus_winter_mw"] - 300
    grid = base["on_national_grid"].astype(bool)
    assert (new.loc[grid, "surplus_winter_mw"] <= base.loc[grid, "surplus_winter_mw"] + 0.5).all()


def test_built_layers_load_and_validate(pakistan_data: Dataset) -> None:
    ds = pakistan_data
    assert set(LAYER_FILES) <= set(ds.layers)
    nodes = ds["grid_nodes"]
    assert nodes["node_id"].is_unique
    assert nodes["headroom_mw"].isna().all(), "no headroom is published: it must stay unknown, not zero"
    regions = ds["supply_regions"]
    off = regions[~regions["on_national_grid"].astype(bool)]
    assert sorted(off["region_id"]) == ["gb-pd", "qesco-makran"] and off["surplus_winter_mw"].isna().all()
    assert regions.loc[regions["on_national_grid"].astype(bool), "surplus_basis"].str.startswith("ESTIMATE").all()


def test_supply_regions_tile_the_study_area_without_overlap(pakistan_data: Dataset) -> None:
    ds = pakistan_data
    study = ds["study_area"].to_crs("+proj=laea +lat_0=30 +lon_0=70").geometry.iloc[0]
    regions = ds["supply_regions"].to_crs("+proj=laea +lat_0=30 +lon_0=70")
    total = regions.geometry.area.sum()
    assert total == pytest.approx(study.area, rel=1e-3)
    assert regions.geometry.union_all().area == pytest.approx(total, rel=1e-3)


KEYS = {"grid_stations.csv": "name", "power_plants.csv": "name", "districts.csv": "district", "discos.csv": "short_name",
        "connectivity.csv": "name", "cities.csv": "name", "climate_stations.csv": "name", "protected_areas.csv": "name"}


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_the_kept_originals_are_the_shared_fact_collection() -> None:
    """facts/original/ keeps the shared tables as they were copied, so the change log below can be checked
    on any clone; where the shared collection is next to the checkout, the two must be the same."""
    shared = ROOT.parent / "shared" / "data" / "pakistan"
    original = DATA / "facts" / "original"
    assert sorted(p.name for p in original.iterdir()) == sorted(KEYS)
    if shared.exists():
        for name in KEYS:
            assert (original / name).read_bytes() == (shared / name).read_bytes(), name


def test_every_change_to_a_shared_fact_table_is_logged_with_a_source() -> None:
    """facts/ starts from the shared fact collection (kept in facts/original/); every cell changed since,
    every new row and column, is a row of facts/revisions.csv that names its source."""
    shared = DATA / "facts" / "original"
    facts = DATA / "facts"
    log = _read(facts / "revisions.csv")
    assert log and all(r["source_url"].strip() or r["column"] != "(new row)" for r in log)
    assert all(r["why"].strip() for r in log), "every revision says why"
    logged = {(r["file"], r["key"], r["column"], r["new_value"]) for r in log}
    new_rows = {(r["file"], r["key"]) for r in log if r["column"] == "(new row)"}
    new_cols = {(r["file"], r["column"]) for r in log if r["new_value"] == "(new column)"}
    unlogged = []
    for name, key in KEYS.items():
        before = {r[key]: r for r in _read(shared / name)}
        after = {r[key]: r for r in _read(facts / name)}
        assert set(before) <= set(after), f"{name}: rows removed: {sorted(set(before) - set(after))}"
        for k, row in after.items():
            if k not in before:
                if (name, k) not in new_rows:
                    unlogged.append((name, k, "(new row)"))
                continue
            for col, value in row.items():
                old = before[k].get(col)
                if old is None:
                    if (name, col) not in new_cols:
                        unlogged.append((name, k, col))
                elif old != value and (name, k, col, value) not in logged:
                    unlogged.append((name, k, col))
    assert not unlogged, f"changes not in facts/revisions.csv: {unlogged[:10]}"


def test_fact_tables_keep_their_source_columns() -> None:
    facts = DATA / "facts"
    for name in ("grid_stations.csv", "power_plants.csv", "protected_areas.csv", "connectivity.csv",
                 "flood_2022_districts.csv", "off_grid_areas.csv", "demand_by_company.csv", "revisions.csv"):
        header = (facts / name).read_text(encoding="utf-8").splitlines()[0]
        assert "source" in header, f"{name} lost its source column"
