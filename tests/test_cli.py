"""The real ``sitefinder`` command line, run as a subprocess (``python -m sitefinder.cli``)."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from sitefinder.data.schema import SCHEMAS

DATA = Path(__file__).resolve().parents[1] / "data" / "pakistan"
LAYER_KINDS = tuple(SCHEMAS)  # study_area, grid_nodes, supply_regions, climate_stations, exclusions, ...
REQUIRED_PROPERTIES = ("grid_node", "grid_voltage_kv", "grid_distance_km", "grid_headroom_mw")

# Three sites you might really propose: near Karachi, Lahore and Quetta (all pass the bitcoin_mine constraints).
SITES = [("karachi-west", 66.81, 24.86), ("lahore-west", 73.95, 31.66), ("quetta-west", 66.90, 30.18)]


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}
    return subprocess.run([sys.executable, "-m", "sitefinder.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def pakistan() -> shapely.Geometry:
    data = json.loads((DATA / "study_area.geojson").read_text(encoding="utf-8"))
    area = shapely.union_all([shape(f["geometry"]) for f in data["features"]])
    shapely.prepare(area)
    return area


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


PROFILE_WITH_TWO_ERRORS = """\
name = "my_mine"
facility_mw = 50
season = "winter"

[criteria.bogus_criterion]
weight = 10
value = { kind = "linear", domain = [0, 50] }

[criteria.grid_distance_km]
weight = -3
value = { kind = "linear", domain = [0, 50] }

[criteria.region_surplus_mw]
weight = 20
value = { kind = "linear", domain = [0, 2500] }
"""


def corrupted_dataset(root: Path) -> Path:
    """A copy of the built-in data whose grid_nodes.geojson has a voltage 'abc' and no 'name' column."""
    data = root / "pakistan"
    shutil.copytree(DATA, data)
    nodes = data / "grid_nodes.geojson"
    collection = json.loads(nodes.read_text(encoding="utf-8"))
    collection["features"][1]["properties"]["voltage_kv"] = "abc"
    for f in collection["features"]:
        del f["properties"]["name"]
    nodes.write_text(json.dumps(collection), encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every command line this module checks, run once each, several at a time (each start costs ~1 s)."""
    tmp = tmp_path_factory.mktemp("cli")
    (tmp / "empty").mkdir()
    (tmp / "two_errors.toml").write_text(PROFILE_WITH_TWO_ERRORS, encoding="utf-8")
    (tmp / "neg.toml").write_text(PROFILE_WITH_TWO_ERRORS.split("[criteria.region_surplus_mw]")[0], encoding="utf-8")
    (tmp / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Point", "coordinates": [x, y]}}
        for name, x, y in SITES]}), encoding="utf-8")
    (tmp / "sites.csv").write_text("site_id,lat,lon\n" + "".join(f"{n},{y},{x}\n" for n, x, y in SITES), encoding="utf-8")
    bad_data = corrupted_dataset(tmp)
    cases: dict[str, list[str | Path]] = {
        "bitcoin": ["rank", "--profile", "bitcoin_mine", "--mw", "100", "--top", "20",
                    "--out", tmp / "bitcoin.geojson", "--csv", tmp / "bitcoin.csv"],
        "datacenter": ["rank", "--profile", "ai_datacenter", "--mw", "100", "--top", "20",
                       "--out", tmp / "datacenter.geojson", "--csv", tmp / "datacenter.csv"],
        "unknown_profile": ["rank", "--profile", "gold_mine", "--quiet"],
        "mw=-5": ["rank", "--mw", "-5", "--quiet"],
        "mw=abc": ["rank", "--mw", "abc", "--quiet"],
        "mw=20000": ["rank", "--mw", "20000", "--quiet"],
        "resolution=10": ["rank", "--resolution", "10", "--quiet"],
        "missing_candidates": ["rank", "--candidates", "does_not_exist.geojson", "--quiet"],
        "empty_data": ["rank", "--data", tmp / "empty", "--quiet"],
        "corrupted_data": ["rank", "--data", bad_data, "--quiet"],
        "weight_nonsense": ["rank", "--weight", "nonsense=3", "--quiet"],
        "weight_not_in_profile": ["rank", "--weight", "connectivity_distance_km=3", "--quiet"],
        "province": ["rank", "--province", "Atlantis", "--quiet"],
        "profile_two_errors": ["rank", "--profile", tmp / "two_errors.toml", "--quiet"],
        "profile_negative_only": ["rank", "--profile", tmp / "neg.toml", "--quiet"],
        "profiles": ["profiles"],
        "layers": ["layers"],
        "sites_geojson": ["rank", "--candidates", tmp / "sites.geojson", "--out", tmp / "sites_geojson.geojson",
                          "--csv", tmp / "sites_geojson.csv"],
        "sites_csv": ["rank", "--candidates", tmp / "sites.csv", "--out", tmp / "sites_csv.geojson",
                      "--csv", tmp / "sites_csv.csv", "--quiet"],
    }
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(run_cli, *args, cwd=tmp) for name, args in cases.items()}
        results = {name: f.result() for name, f in futures.items()}
    results["_tmp"] = tmp  # type: ignore[assignment]
    return results


def rank_output(cli, name: str) -> tuple[subprocess.CompletedProcess[str], dict, list[dict[str, str]]]:
    proc, tmp = cli[name], cli["_tmp"]
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads((tmp / f"{name}.geojson").read_text(encoding="utf-8")), read_csv(tmp / f"{name}.csv")


@pytest.fixture(scope="module")
def bitcoin(cli):
    return rank_output(cli, "bitcoin")


@pytest.fixture(scope="module")
def datacenter(cli):
    return rank_output(cli, "datacenter")


# ----------------------------------------------------------------------------------------------
# rank: the shortlist


@pytest.mark.parametrize("which", ["bitcoin", "datacenter"])
def test_rank_writes_twenty_ranked_sites_inside_pakistan(which, request):
    _, collection, _ = request.getfixturevalue(which)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 20
    props = [f["properties"] for f in features]
    assert [p["rank"] for p in props] == list(range(1, 21))
    scores = [p["score"] for p in props]
    assert all(isinstance(s, (int, float)) for s in scores)
    assert all(a >= b for a, b in zip(scores, scores[1:])), scores
    area = pakistan()
    for f, p in zip(features, props):
        for key in REQUIRED_PROPERTIES:
            assert key in p, f"rank {p['rank']} lacks {key}"
        assert isinstance(p["grid_node"], str) and p["grid_node"]
        assert isinstance(p["grid_distance_km"], (int, float)) and p["grid_distance_km"] >= 0
        assert p["grid_voltage_kv"] is None or p["grid_voltage_kv"] > 0
        centre = shapely.Point(p["lon"], p["lat"])
        assert area.contains(centre), f"rank {p['rank']}: lon/lat {p['lon']}, {p['lat']} is outside Pakistan"
        geom = shape(f["geometry"])
        assert geom.is_valid and geom.geom_type == "Polygon"
        assert geom.contains(centre), f"rank {p['rank']}: the hexagon does not hold its own lon/lat"
        assert area.contains(geom.centroid), f"rank {p['rank']}: the hexagon's centre is outside Pakistan"
        # A cell on the coast or the border may hang over it, but most of it lies in Pakistan.
        assert geom.intersection(area).area >= 0.5 * geom.area, f"rank {p['rank']}: hexagon mostly outside Pakistan"


@pytest.mark.parametrize("which", ["bitcoin", "datacenter"])
def test_rank_csv_has_the_same_rows_in_the_same_order(which, request):
    _, collection, rows = request.getfixturevalue(which)
    props = [f["properties"] for f in collection["features"]]
    assert len(rows) == 20
    assert [r["candidate_id"] for r in rows] == [p["candidate_id"] for p in props]
    assert [int(r["rank"]) for r in rows] == [p["rank"] for p in props]
    assert [float(r["score"]) for r in rows] == pytest.approx([p["score"] for p in props], abs=1e-9)
    for key in REQUIRED_PROPERTIES:
        assert key in rows[0]
    assert all(float(r["grid_distance_km"]) == pytest.approx(p["grid_distance_km"]) for r, p in zip(rows, props))


def test_profiles_give_visibly_different_shortlists(bitcoin, datacenter):
    btc = [f["properties"]["candidate_id"] for f in bitcoin[1]["features"]]
    ai = [f["properties"]["candidate_id"] for f in datacenter[1]["features"]]
    # Both profiles may well agree on the best places (the Karachi coast leads both on the built-in data);
    # what must differ is the ranking itself and what each site scores.
    assert btc != ai and set(btc) != set(ai)
    score = {f["properties"]["candidate_id"]: f["properties"]["score"] for f in datacenter[1]["features"]}
    shared = [f for f in bitcoin[1]["features"] if f["properties"]["candidate_id"] in score]
    assert all(f["properties"]["score"] != score[f["properties"]["candidate_id"]] for f in shared)
    assert bitcoin[1]["metadata"]["profile"] == "bitcoin_mine"
    assert datacenter[1]["metadata"]["profile"] == "ai_datacenter"


def test_rank_reports_progress_on_stderr(bitcoin, cli):
    proc = bitcoin[0]
    lines = proc.stderr.splitlines()
    assert any("candidates" in ln for ln in lines), proc.stderr
    assert any("criteria" in ln for ln in lines), proc.stderr
    assert all(re.match(r"\[\s*\d+\.\ds\] ", ln) for ln in lines), proc.stderr  # timed lines, no tracebacks
    assert "rank" in proc.stdout and "score" in proc.stdout  # the table goes to stdout, not stderr
    quiet = cli["sites_csv"]  # the same kind of run with --quiet
    assert quiet.returncode == 0 and quiet.stderr == "" and "rank" in quiet.stdout


# ----------------------------------------------------------------------------------------------
# rank: bad arguments and bad files -> exit 2 and a message naming the problem and what is allowed


def assert_usage_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, f"{needle!r} not in stderr:\n{proc.stderr}"
    return proc.stderr


def test_unknown_profile(cli):
    assert_usage_error(cli["unknown_profile"], "gold_mine", "bitcoin_mine", "ai_datacenter")


@pytest.mark.parametrize("case, needles", [
    ("mw=-5", ("--mw", "-5", "0.1-10,000 MW")),
    ("mw=abc", ("--mw", "'abc'", "not a number")),
    ("mw=20000", ("--mw", "20000", "10,000")),
])
def test_bad_facility_size(cli, case, needles):
    assert_usage_error(cli[case], *needles)


def test_resolution_out_of_range(cli):
    assert_usage_error(cli["resolution=10"], "--resolution", "5-9", "10")


def test_candidates_file_missing(cli):
    assert_usage_error(cli["missing_candidates"], "does_not_exist.geojson", "no such file")


def test_data_dir_without_dataset(cli):
    assert_usage_error(cli["empty_data"], str(cli["_tmp"] / "empty"), "dataset.toml")


def test_corrupted_layer_reports_every_problem_with_file_and_column(cli):
    err = assert_usage_error(cli["corrupted_data"], "'name'", "missing", "'voltage_kv'", "'abc'", "rows 2")
    assert err.count("sitefinder: error:") == 1, err  # one message listing both problems
    assert "grid_nodes.geojson" in err, f"the message does not name the bad file:\n{err}"


def test_weight_for_unknown_criterion(cli):
    assert_usage_error(cli["weight_nonsense"], "--weight", "nonsense", "grid_distance_km", "region_surplus_mw")


def test_weight_for_criterion_not_in_profile(cli):
    assert_usage_error(cli["weight_not_in_profile"], "connectivity_distance_km", "region_surplus_mw")


def test_unknown_province(cli):
    assert_usage_error(cli["province"], "Atlantis", "Sindh", "Punjab", "Balochistan", "Khyber Pakhtunkhwa")


def test_profile_file_with_two_errors_reports_both(cli):
    err = assert_usage_error(cli["profile_two_errors"], "two_errors.toml", "bogus_criterion", "not a criterion",
                             "grid_distance_km", "-3", "negative")
    assert err.count("sitefinder: error:") == 1, err
    assert "2 problem(s)" in err, err


def test_profile_with_only_a_negative_weight_is_not_called_all_zero(cli):
    err = assert_usage_error(cli["profile_negative_only"], "bogus_criterion", "negative")
    assert "every weight is zero" not in err, f"a weight of -3 is reported as 'every weight is zero':\n{err}"


# ----------------------------------------------------------------------------------------------
# profiles and layers


def test_profiles_lists_both(cli):
    proc = cli["profiles"]
    assert proc.returncode == 0, proc.stderr
    for name in ("bitcoin_mine", "ai_datacenter"):
        assert re.search(rf"^{name}\b", proc.stdout, re.M), proc.stdout
    assert "region_surplus_mw" in proc.stdout and "must:" in proc.stdout


@pytest.fixture(scope="module")
def layers_output(cli):
    proc = cli["layers"]
    blocks: dict[str, list[str]] = {}
    current = None
    for line in proc.stdout.splitlines():
        head = line.split(" ", 1)[0]
        if head in LAYER_KINDS:
            current = head
            blocks[current] = [line]
        elif current and line.startswith("    "):
            blocks[current].append(line)
        else:
            current = None
    return proc, blocks


def test_layers_all_valid(layers_output):
    proc, blocks = layers_output
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(blocks) == sorted(LAYER_KINDS), proc.stdout
    for kind, lines in blocks.items():
        assert re.match(rf"{kind}\s+valid\s", lines[0]), lines[0]


@pytest.mark.parametrize("kind", LAYER_KINDS)
def test_layers_names_a_source_for_each_layer(layers_output, kind):
    _, blocks = layers_output
    lines = blocks.get(kind, [])
    assert any(ln.strip().startswith("source: ") and len(ln.strip()) > len("source: ") for ln in lines), \
        f"`sitefinder layers` prints no source for {kind}:\n" + "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# rank --candidates: the user's own sites


@pytest.mark.parametrize("case", ["sites_geojson", "sites_csv"])
def test_rank_user_candidates(cli, case):
    proc, collection, rows = rank_output(cli, case)
    assert proc.stderr == "" if case == "sites_csv" else "candidates: 3 sites" in proc.stderr
    features = collection["features"]
    assert 1 <= len(features) <= 3
    assert len(features) == 3  # all three were chosen to pass the bitcoin_mine constraints
    ids = [f["properties"]["candidate_id"] for f in features]
    assert sorted(ids) == sorted(name for name, _, _ in SITES)
    assert [f["properties"]["rank"] for f in features] == [1, 2, 3]
    scores = [f["properties"]["score"] for f in features]
    assert scores == sorted(scores, reverse=True)
    given = {name: (x, y) for name, x, y in SITES}
    for f in features:
        assert f["geometry"]["type"] == "Point"
        assert tuple(f["geometry"]["coordinates"]) == pytest.approx(given[f["properties"]["candidate_id"]])
        assert f["properties"]["grid_node"]
    assert collection["metadata"]["candidates"] == "user"
    assert [r["candidate_id"] for r in rows] == ids
