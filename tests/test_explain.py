"""``sitefinder explain``: every value with unit, range and source, every constraint with its verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sitefinder.errors import ProfileError
from sitefinder.model.profiles import load_profile
from sitefinder.model.vocabulary import CRITERIA, METRIC_COLUMNS
from sitefinder.rank.study import Study
from sitefinder.report.explain import RankLookup, explain_point

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "pakistan"
GWADAR = (62.33, 25.13)
TURBAT = (63.05, 26.0)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitefinder.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)


@pytest.fixture(scope="module")
def makran_json() -> dict:
    proc = run_cli("explain", str(TURBAT[0]), str(TURBAT[1]), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_explain_at_a_makran_town_says_not_on_the_national_grid(makran_json):
    assert makran_json["region"] == "QESCO-Makran" and makran_json["district"] == "Kech"
    grid = makran_json["values"]["on_national_grid"]
    assert grid["value"] == 0 and "not connected to the national grid" in grid["source"]
    verdict = next(c for c in makran_json["constraints"] if c["column"] == "on_national_grid")
    assert verdict["passed"] is False
    assert makran_json["score"] is None and makran_json["rank"] is None and makran_json["passes"] is False


def test_explain_json_has_the_promised_shape(makran_json):
    assert {"lon", "lat", "region", "values", "constraints", "score", "rank"} <= set(makran_json)
    assert makran_json["lon"] == pytest.approx(TURBAT[0]) and makran_json["lat"] == pytest.approx(TURBAT[1])
    profile = load_profile("bitcoin_mine")
    must = {*CRITERIA, *profile.weights, "on_national_grid", *(m for m in METRIC_COLUMNS)}
    assert must <= set(makran_json["values"]), must - set(makran_json["values"])
    for column, v in makran_json["values"].items():
        assert {"value", "unit", "low", "high", "source"} <= set(v), column
        assert v["source"], f"{column} has no source"
        if column in CRITERIA:
            assert v["unit"] == CRITERIA[column].unit
    climate = makran_json["values"]["hottest_month_tmax_c"]
    assert climate["low"] < climate["value"] < climate["high"] and climate["source"].startswith("estimate")
    for c in makran_json["constraints"]:
        assert {"label", "column", "passed"} <= set(c) and isinstance(c["passed"], bool)
    assert makran_json["nearest_nodes"] and all(n["distance_km_low"] <= n["distance_km"] <= n["distance_km_high"]
                                                for n in makran_json["nearest_nodes"])


def test_explain_a_ranked_place_gives_its_score_and_the_rank_of_its_cell(pakistan_data):
    profile = load_profile("bitcoin_mine")
    study = Study.on_h3(pakistan_data, 6)
    _, result = study.rank(profile)
    best = int(result.order[0])
    lon, lat = float(study.candidates.lon[best]), float(study.candidates.lat[best])
    ex = explain_point(pakistan_data, lon, lat, profile, ranking=RankLookup(study.candidates, result))
    assert ex.passes and ex.score is not None
    assert ex.rank == 1 and ex.cell and ex.cell["id"] == str(study.candidates.ids[best])
    assert ex.score == pytest.approx(float(result.score[best]), abs=1e-6)  # the cell centre is the candidate itself
    surplus = ex.values["region_surplus_mw"]
    assert surplus.estimate and surplus.low <= surplus.value <= surplus.high
    text = ex.to_text()
    assert "score" in text and "rank 1" in text and "estimate," in text and "[pass]" in text


def test_explain_text_names_the_broken_rules_and_what_the_place_would_score(pakistan_data):
    ex = explain_point(pakistan_data, *GWADAR, load_profile("ai_datacenter"))
    text = ex.to_text()
    assert "not eligible" in text and "[FAIL] supply region on the national grid" in text
    assert "would score" in text and "source:" in text


def test_explain_cli_text_and_bad_coordinates():
    ok = run_cli("explain", "67.3", "24.9", "--profile", "ai_datacenter", "--mw", "50")
    assert ok.returncode == 0, ok.stderr
    assert "50 MW" in ok.stdout and "nearest eligible grid nodes" in ok.stdout
    bad = run_cli("explain", "200", "24.9")
    assert bad.returncode == 2 and "longitude" in bad.stderr and "Traceback" not in bad.stderr
    word = run_cli("explain", "east", "24.9")
    assert word.returncode == 2 and "decimal degrees" in word.stderr


def test_check_point_refuses_nan_and_out_of_range():
    from sitefinder.report.explain import check_point

    with pytest.raises(ProfileError, match="latitude"):
        check_point(67.0, 95.0)
    with pytest.raises(ProfileError, match="longitude"):
        check_point(float("nan"), 25.0)
