"""A site draws on its grid node's network zone in every figure: the scored surplus, its range, what binds and the
cost come from the same zone, and the files ``rank`` and ``programme`` write carry them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sitefinder.measure.criteria import region_surplus
from sitefinder.model.scenario import Scenario
from sitefinder.rank.study import Study

ROOT = Path(__file__).resolve().parents[1]
ZONE_COLUMNS = ("zone", "surplus_area_name", "surplus_binding", "surplus_cost_pkr_per_kwh")


@pytest.mark.parametrize("season", ["winter", "summer", "year_round"])
def test_the_scored_surplus_is_the_zone_the_site_draws_on(h3_study: Study, season: str) -> None:
    profile = Scenario(resolution=5, season=season).apply()
    matrix = h3_study.matrix(profile)
    areas = h3_study.areas
    zoned = matrix["surplus_area"].astype(str).str.startswith("zone:").to_numpy()
    # Sites whose node's zone is not their region's (Karachi's NTDC nodes, Thar's switchyards ...): the case that
    # tells the node's zone from the region's.
    region_zone = matrix["region_zone"].astype(object).to_numpy()
    moved = zoned & (matrix["zone"].astype(object).to_numpy() != region_zone) & matrix["region_zone"].notna().to_numpy()
    assert moved.sum() > 0
    rows = areas.loc[matrix["surplus_area"].astype(str).to_numpy()[zoned]]
    for end in ("", "_low", "_high"):
        frame = {f"surplus_{s}_mw": rows[f"surplus_{s}_mw{end}"].to_numpy(float) for s in ("winter", "summer")}
        np.testing.assert_allclose(matrix["region_surplus_mw" + end].to_numpy(float)[zoned],
                                   region_surplus(frame, season), equal_nan=True)
    lean = season if season != "year_round" else None
    for i in np.flatnonzero(moved)[:50]:
        row = areas.loc[str(matrix["surplus_area"].iloc[i])]
        s = lean or ("summer" if row["surplus_summer_mw"] < row["surplus_winter_mw"] else "winter")
        assert matrix["surplus_binding"].iloc[i] == row[f"surplus_{s}_binding"]
        assert matrix["surplus_cost_pkr_per_kwh"].iloc[i] == pytest.approx(row[f"surplus_{s}_cost_pkr_per_kwh"])
        assert matrix["region_surplus_mw"].iloc[i] == pytest.approx(row[f"surplus_{s}_mw"])


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sitefinder", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env=env)


@pytest.mark.parametrize("command", ["rank", "programme"])
def test_written_files_carry_the_zone_binding_and_cost(tmp_path: Path, command: str) -> None:
    out, table = tmp_path / f"{command}.geojson", tmp_path / f"{command}.csv"
    proc = _run(command, "--resolution", "5", "--out", out, "--csv", table, "--quiet")
    assert proc.returncode == 0, proc.stderr
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    with table.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert features and len(rows) == len(features)
    for feature, row in zip(features, rows):
        props = feature["properties"]
        for col in ZONE_COLUMNS:
            assert props[col] not in (None, ""), (col, props["candidate_id"])
        for col in ZONE_COLUMNS[:3]:
            assert row[col] == props[col], col
        assert float(row["surplus_cost_pkr_per_kwh"]) == pytest.approx(props["surplus_cost_pkr_per_kwh"])
        assert props["surplus_area"] == f"zone:{props['zone']}"
        assert "surplus_cost_pkr_per_kwh" in props["estimates"].split("; ")
        assert row["estimates"] == props["estimates"]
