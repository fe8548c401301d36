"""The example input files in data/examples/, the docs' "Your own data" guide, and `sitefinder schema`.

(a) every example loads through ``load_user_layer`` (the path the CLI takes) as its kind, with the notes expected;
(b) ranking with every example works through the real command line (--layer, --add-layer, --candidates, and every
    worked example in docs/guides/your-data.md), runs in parallel threads;
(c) a monthly feeder file moves the bitcoin_mine shortlist the way it should;
(d) the docs' layer kinds page holds exactly ``schema_markdown()``;
(e) ``make_examples.py`` reproduces the committed files byte for byte.
Tests marked xfail(strict=True) pin bugs in the source: they start failing (XPASS) once the bug is fixed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from sitefinder.cli import schema as schema_command
from sitefinder.data.io import read_vector
from sitefinder.data.schema import SCHEMAS
from sitefinder.data.user_layers import combine_layers, load_user_layer
from sitefinder.measure.candidates import user_candidates
from sitefinder.model.vocabulary import SUMMER_MONTHS, WINTER_MONTHS
from sitefinder.rank.study import Study

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
GUIDE = ROOT / "docs" / "guides" / "your-data.md"  # the worked examples
LAYERS_PAGE = ROOT / "docs" / "reference" / "layers.md"  # the schema tables (written by docs/gen_reference.py)
MKDOCS = ROOT / "mkdocs.yml"
ILLUSTRATIVE = "illustrative example, not real data"

# file -> (layer kind, column mapping the worked example uses, notes load_user_layer must give: one substring each)
LAYER_FILES: dict[str, tuple[str, dict[str, str] | None, tuple[str, ...]]] = {
    "grid_nodes.csv": ("grid_nodes", None, ("headroom_mw = headroom_mva x power factor 0.9 for 3 node(s) that give only MVA",)),
    "supply_regions_monthly.geojson": ("supply_regions", {"name": "feeder_name"}, (
        "seasonal surplus taken from the monthly columns: the lowest month of each season (winter Oct-Mar, summer Apr-Sep)",
        "no on_national_grid column: every region is taken to be on the national grid")),
    "supply_regions_seasonal.gpkg": ("supply_regions", None, ()),
    "climate_stations.csv": ("climate_stations", None, ()),
    "exclusions.geojson": ("exclusions", None, ()),
    "exclusions_shapefile.zip": ("exclusions", None, ("reprojected from EPSG:32642 to EPSG:4326",)),
    "connectivity.csv": ("connectivity", None, ()),
    "cities.csv": ("cities", None, ()),
}
CANDIDATE_FILES = ("candidates.geojson", "candidates.csv")
NOT_EXAMPLES = {"README.md", "make_examples.py", "__pycache__"}
MVA_NOTE = "headroom_mw = headroom_mva x power factor"


def load(name: str, pakistan_data, **kw) -> gpd.GeoDataFrame:
    kind, mapping, _ = LAYER_FILES[name]
    return load_user_layer(EXAMPLES / name, kind, mapping=kw.pop("mapping", mapping), study_area=pakistan_data["study_area"], **kw)


def raw_csv(name: str) -> list[dict[str, str]]:
    with (EXAMPLES / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def raw_geojson(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------
# (a) every example loads as its kind, with the notes expected


def test_every_example_file_is_tested_and_the_folder_is_small():
    present = {p.name for p in EXAMPLES.iterdir()} - NOT_EXAMPLES
    assert present == set(LAYER_FILES) | set(CANDIDATE_FILES)
    total = sum(p.stat().st_size for p in EXAMPLES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 300 * 1024, f"data/examples is {total / 1024:.0f} KB; keep it under 300 KB"


@pytest.mark.parametrize("name", sorted(LAYER_FILES))
def test_example_loads_as_its_layer_kind(name, pakistan_data, pakistan_outline):
    kind, _, expected_notes = LAYER_FILES[name]
    layer = load(name, pakistan_data)
    schema = SCHEMAS[kind]
    assert len(layer) >= 2
    assert layer.crs.equals("EPSG:4326")
    assert [c.name for c in schema.columns if c.name not in layer.columns] == []
    assert set(layer.geometry.geom_type) <= set(schema.geometry)
    assert all(pakistan_outline.intersects(g) for g in layer.geometry), "every example feature lies in Pakistan"
    if schema.id_column:
        assert layer[schema.id_column].is_unique
    # every file says it is illustrative
    assert "source" in layer.columns and set(layer["source"]) == {f"{ILLUSTRATIVE} (sitefinder data/examples)"}
    notes = layer.attrs["notes"]
    for expected in expected_notes:
        assert any(expected in n for n in notes), f"{name}: no note '{expected}' in {notes}"
    assert len(notes) == len(expected_notes), f"{name}: unexpected notes {notes}"


@pytest.mark.parametrize("name", CANDIDATE_FILES)
def test_candidate_examples_read_as_sites(name, pakistan_outline):
    frame = read_vector(EXAMPLES / name)
    cands = user_candidates(frame, source=name)
    assert len(cands) >= 5
    assert all(i.startswith("EX-") for i in cands.ids)
    assert len(set(cands.ids)) == len(cands.ids)
    assert shapely.contains_xy(pakistan_outline, cands.lon, cands.lat).all()
    assert set(frame["source"]) == {f"{ILLUSTRATIVE} (sitefinder data/examples)"}
    if name.endswith(".geojson"):
        assert set(frame.geometry.geom_type) == {"Point", "Polygon"}


def test_monthly_feeders_take_each_seasons_lowest_month(pakistan_data):
    layer = load("supply_regions_monthly.geojson", pakistan_data)
    raw = {f["properties"]["feeder_id"]: f["properties"] for f in raw_geojson("supply_regions_monthly.geojson")["features"]}
    assert list(layer["region_id"]) == list(raw)  # feeder_id is read as region_id without a mapping
    for _, row in layer.iterrows():
        props = raw[row["region_id"]]
        assert row["name"] == props["feeder_name"]  # --map supply_regions.name=feeder_name
        assert row["surplus_winter_mw"] == min(props[f"surplus_mw_{m:02d}"] for m in WINTER_MONTHS)
        assert row["surplus_summer_mw"] == min(props[f"surplus_mw_{m:02d}"] for m in SUMMER_MONTHS)
        assert row["tariff_pkr_per_kwh"] == props["tariff_pkr_per_kwh"]
        assert "monthly" in row["surplus_basis"]
    winter = dict(zip(layer["region_id"], layer["surplus_winter_mw"]))
    assert winter["JMP-1"] >= 100 and winter["MZG-1"] >= 100 and winter["NRB-1"] < 0 and 0 < winter["MZG-2"] < 100
    assert layer["on_national_grid"].tolist() == [True] * len(layer)


def test_monthly_feeders_without_the_mapping_are_named_by_their_id(pakistan_data):
    layer = load("supply_regions_monthly.geojson", pakistan_data, mapping=None)
    assert list(layer["name"]) == list(layer["region_id"])


def test_seasonal_geopackage_values(pakistan_data):
    layer = load("supply_regions_seasonal.gpkg", pakistan_data)
    assert list(layer["region_id"]) == ["EX-R1", "EX-R2", "EX-R3"]
    assert layer["surplus_winter_mw"].tolist() == [900, 1200, 700]
    assert layer["surplus_summer_mw"].tolist() == [250, 600, -150]
    assert layer["on_national_grid"].tolist() == [True, True, True]


def test_grid_nodes_keep_mw_headroom_and_unknown_stays_unknown(pakistan_data):
    layer = load("grid_nodes.csv", pakistan_data).set_index("node_id")
    raw = {r["node_id"]: r for r in raw_csv("grid_nodes.csv")}
    for nid, r in raw.items():
        if r["headroom_mw"]:
            assert layer.at[nid, "headroom_mw"] == float(r["headroom_mw"])
        if not r["headroom_mw"] and not r["headroom_mva"]:
            assert math.isnan(layer.at[nid, "headroom_mw"]), f"{nid}: unknown headroom must stay unknown, not zero"
    assert {"operational", "planned", "under_construction"} <= set(layer["status"])
    assert any(r["headroom_mva"] and not r["headroom_mw"] for r in raw.values()), "the example mixes MW and MVA"


@pytest.mark.parametrize("power_factor", [0.9, 0.8])
def test_headroom_in_mva_only_is_converted_with_the_power_factor(tmp_path, pakistan_data, power_factor):
    """A grid file giving headroom only in MVA (the example without its headroom_mw column)."""
    frame = pd.read_csv(EXAMPLES / "grid_nodes.csv", dtype=str, keep_default_na=False).drop(columns=["headroom_mw"])
    path = tmp_path / "grid_nodes_mva.csv"
    frame.to_csv(path, index=False)
    layer = load_user_layer(path, "grid_nodes", study_area=pakistan_data["study_area"], power_factor=power_factor)
    mva = pd.to_numeric(frame["headroom_mva"].replace("", np.nan))
    assert np.allclose(layer["headroom_mw"], mva * power_factor, equal_nan=True)
    notes = [n for n in layer.attrs["notes"] if MVA_NOTE in n]
    assert len(notes) == 1 and f"{MVA_NOTE} {power_factor:g} for " in notes[0] and "an assumption" in notes[0]


def test_mixed_mw_and_mva_headroom_is_converted_per_row(pakistan_data):
    layer = load("grid_nodes.csv", pakistan_data).set_index("node_id")
    for r in raw_csv("grid_nodes.csv"):
        if r["headroom_mva"] and not r["headroom_mw"]:
            assert layer.at[r["node_id"], "headroom_mw"] == pytest.approx(float(r["headroom_mva"]) * 0.9)
    assert any(MVA_NOTE in n for n in layer.attrs["notes"])


def test_exclusions_shapefile_is_reprojected_to_where_it_was_drawn(pakistan_data):
    layer = load("exclusions_shapefile.zip", pakistan_data)
    centres = {"EX-S1": (68.12, 24.98), "EX-S2": (71.25, 29.96)}
    for _, row in layer.iterrows():
        c = row.geometry.centroid
        assert (c.x, c.y) == pytest.approx(centres[row["zone_id"]], abs=1e-3)


def test_example_readme_lists_each_files_real_columns():
    """data/examples/README.md (written by make_examples.py) lists exactly the columns each file has."""
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE, NOT REAL DATA" in text
    for name in sorted(set(LAYER_FILES) | set(CANDIDATE_FILES)):
        block = text.split(f"## `{name}`\n", 1)[1].split("\n## ", 1)[0]
        kind = LAYER_FILES[name][0] if name in LAYER_FILES else "candidates"
        assert f"Layer kind **`{kind}`**" in block
        listed: list[str] = []
        for m in re.finditer(r"^\| `([^`]+)`(?: \.\. `([^`]+)`)? \|", block, re.M):
            listed.append(m[1])
        expanded = []
        for col in listed:
            run = re.fullmatch(r"(.+)_01 \.\. .+_12", col)
            expanded += [f"{run[1]}_{k:02d}" for k in range(1, 13)] if run else [col]
        frame = read_vector(EXAMPLES / name)
        actual = [c for c in frame.columns if c != frame.geometry.name]
        if name.endswith(".csv"):
            actual = list(pd.read_csv(EXAMPLES / name, nrows=0).columns)
        assert expanded == actual, name
        assert "```sh\nsitefinder rank" in block and f"data/examples/{name}" in block


# ----------------------------------------------------------------------------------------------
# (b) ranking with every example through the real command line


def run_cli(args: list[str | Path]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}
    return subprocess.run([sys.executable, "-m", "sitefinder.cli", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def example_commands(text: str) -> list[str]:
    """The `sitefinder rank ...` commands in ```sh blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        commands += [ln.strip() for ln in joined.splitlines() if ln.startswith("sitefinder rank") and "data/examples/" in ln]
    return commands


def cli_args(command: str, out: Path) -> list[str]:
    """A worked example's command as arguments, writing its shortlist to ``out`` (.geojson and .csv)."""
    args = shlex.split(command)[1:]
    for flag, suffix in (("--out", ".geojson"), ("--csv", ".csv")):
        if flag in args:
            args[args.index(flag) + 1] = str(out.with_suffix(suffix))
        else:
            args += [flag, str(out.with_suffix(suffix))]
    return args


def layer_cases(tmp: Path) -> dict[str, list[str]]:
    cases = {}
    for name, (kind, mapping, _) in LAYER_FILES.items():
        maps = [a for col, src in (mapping or {}).items() for a in ("--map", f"{kind}.{col}={src}")]
        for flag in ("--layer", "--add-layer"):
            key = f"{flag}:{name}"
            cases[key] = ["rank", flag, f"{kind}=data/examples/{name}", *maps, "--top", "10",
                          "--out", str(tmp / f"{flag[2:]}-{name}.geojson"), "--csv", str(tmp / f"{flag[2:]}-{name}.csv")]
    return cases


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """Every command this module checks, run once each, several at a time (each costs ~1.5 s)."""
    tmp = tmp_path_factory.mktemp("examples_cli")
    cases: dict[str, tuple[list[str], Path]] = {
        key: (args, Path(args[args.index("--out") + 1])) for key, args in layer_cases(tmp).items()}
    for i, command in enumerate(example_commands(guide_text())):
        out = tmp / f"guide-{i}.geojson"
        cases[f"guide:{command}"] = (cli_args(command, out), out)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {key: pool.submit(run_cli, args) for key, (args, _) in cases.items()}
        return {key: (futures[key].result(), cases[key][1]) for key in cases}


def check_shortlist(proc: subprocess.CompletedProcess[str], out: Path, pakistan_outline) -> tuple[dict, list[dict]]:
    """Exit 0 and a valid shortlist: ranked, scored, inside Pakistan, with a connection point; CSV = GeoJSON rows."""
    assert proc.returncode == 0, proc.stderr
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and "crs" not in collection and "metadata" in collection
    props = [f["properties"] for f in collection["features"]]
    assert props, f"empty shortlist:\n{proc.stdout}"
    assert [p["rank"] for p in props] == list(range(1, len(props) + 1))
    scores = [p["score"] for p in props]
    assert all(0 <= s <= 100 for s in scores) and scores == sorted(scores, reverse=True)
    for f, p in zip(collection["features"], props):
        geom = shape(f["geometry"])
        assert geom.is_valid and geom.geom_type in ("Point", "Polygon")
        assert pakistan_outline.contains(shapely.Point(p["lon"], p["lat"]))
        assert isinstance(p["grid_node"], str) and p["grid_node"] and p["grid_distance_km"] >= 0
        assert p["grid_status"] == "operational"
    csv_path = out.with_suffix(".csv")
    if csv_path.exists():
        with csv_path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["candidate_id"] for r in rows] == [p["candidate_id"] for p in props]
    return collection, props


def test_the_guide_has_one_worked_example_per_example_file_and_matches_the_examples_readme():
    commands = example_commands(guide_text())
    for name in sorted(set(LAYER_FILES) | set(CANDIDATE_FILES)):
        assert any(f"data/examples/{name}" in c for c in commands), f"no worked example uses {name}"
    assert sorted(commands) == sorted(example_commands((EXAMPLES / "README.md").read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(LAYER_FILES))
@pytest.mark.parametrize("flag", ["--layer", "--add-layer"])
def test_rank_with_example_layer(runs, name, flag, pakistan_data, pakistan_outline):
    kind, _, notes = LAYER_FILES[name]
    proc, out = runs[f"{flag}:{name}"]
    collection, props = check_shortlist(proc, out, pakistan_outline)
    layer_meta = collection["metadata"]["dataset"]["layers"][kind]
    assert layer_meta["file"] == name
    n_file = len(read_vector(EXAMPLES / name))
    if flag == "--layer":
        assert f"replaced layer {kind} from data/examples/{name} ({n_file} features)" in proc.stderr
        assert layer_meta["features"] == n_file
        assert layer_meta["sources"] == [f"{ILLUSTRATIVE} (sitefinder data/examples)"]
        for note in notes:
            assert f"data/examples/{name}: {note}" in proc.stderr
    else:
        assert f"added layer {kind} from data/examples/{name}" in proc.stderr
        assert layer_meta["features"] == len(pakistan_data[kind]) + n_file


def test_replaced_grid_connects_only_to_eligible_example_nodes(runs, pakistan_outline):
    _, props = check_shortlist(*runs["--layer:grid_nodes.csv"], pakistan_outline)
    eligible = {r["node_id"] for r in raw_csv("grid_nodes.csv") if r["status"] == "operational" and float(r["voltage_kv"]) >= 220}
    assert {p["grid_node_id"] for p in props} <= eligible
    assert all(p["grid_voltage_kv"] >= 220 for p in props)


def test_replaced_supply_regions_put_sites_only_in_feeders_with_enough_winter_surplus(runs, pakistan_outline):
    _, props = check_shortlist(*runs["--layer:supply_regions_monthly.geojson"], pakistan_outline)
    feeders = {f["properties"]["feeder_name"]: min(f["properties"][f"surplus_mw_{m:02d}"] for m in WINTER_MONTHS)
               for f in raw_geojson("supply_regions_monthly.geojson")["features"]}
    assert {p["region"] for p in props} <= {n for n, w in feeders.items() if w >= 100}
    assert all(p["region_surplus_mw"] == feeders[p["region"]] for p in props)


def test_added_exclusion_zones_keep_the_shortlist_out_of_them(runs, pakistan_outline):
    for name in ("exclusions.geojson", "exclusions_shapefile.zip"):
        collection, _ = check_shortlist(*runs[f"--add-layer:{name}"], pakistan_outline)
        zones = shapely.union_all(load_user_layer(EXAMPLES / name, "exclusions").geometry.array)
        assert not any(shape(f["geometry"]).intersects(zones) for f in collection["features"])


def test_add_layer_prints_the_files_notes(runs):
    proc, _ = runs["--add-layer:exclusions_shapefile.zip"]
    assert "reprojected from EPSG:32642 to EPSG:4326" in proc.stderr


def guide_run(runs, *needles: str):
    keys = [k for k in runs if k.startswith("guide:") and all(n in k for n in needles)]
    assert len(keys) == 1, (needles, keys)
    return runs[keys[0]]


def test_every_worked_example_in_the_guide_runs(runs, pakistan_outline):
    keys = [k for k in runs if k.startswith("guide:")]
    assert len(keys) == len(LAYER_FILES) + len(CANDIDATE_FILES) + 1
    for key in keys:
        check_shortlist(*runs[key], pakistan_outline)


def test_the_guides_candidate_examples(runs, pakistan_outline):
    all_ids = {f["properties"]["candidate_id"] for f in raw_geojson("candidates.geojson")["features"]}
    collection, props = check_shortlist(*guide_run(runs, "rank --candidates data/examples/candidates.geojson"), pakistan_outline)
    assert {p["candidate_id"] for p in props} == all_ids  # all six pass the bitcoin_mine constraints on built-in data
    assert collection["metadata"]["candidates"] == "user"
    assert {f["geometry"]["type"] for f in collection["features"]} == {"Point", "Polygon"}
    # the fictional reservoir covers EX-P04; the added town is within 5 km of EX-P02
    _, props = check_shortlist(*guide_run(runs, "rank --add-layer exclusions=data/examples/exclusions.geojson"), pakistan_outline)
    assert {p["candidate_id"] for p in props} == all_ids - {"EX-P04"}
    _, props = check_shortlist(*guide_run(runs, "rank --add-layer cities=data/examples/cities.csv"), pakistan_outline)
    assert {p["candidate_id"] for p in props} == all_ids - {"EX-P02"}
    _, props = check_shortlist(*guide_run(runs, "--candidates data/examples/candidates.csv"), pakistan_outline)
    assert props and all(p["candidate_id"].startswith("EX-C") for p in props)


def test_added_small_towns_are_not_large_cities(pakistan_data):
    towns = load_user_layer(EXAMPLES / "cities.csv", "cities", study_area=pakistan_data["study_area"])
    ds = pakistan_data.with_layer("cities", combine_layers(pakistan_data["cities"], towns, "cities", "cities.csv"))
    site = Study.on_sites(ds, read_vector(EXAMPLES / "candidates.geojson"), "candidates.geojson").site
    assert not site["nearest_large_city"].astype(str).str.contains("EXAMPLE").any()


def test_added_feeders_are_used_where_they_overlap_builtin_regions(pakistan_data):
    feeders = load_user_layer(EXAMPLES / "supply_regions_monthly.geojson", "supply_regions", study_area=pakistan_data["study_area"])
    ds = pakistan_data.with_layer("supply_regions", combine_layers(pakistan_data["supply_regions"], feeders, "supply_regions", "feeders"))
    site = Study.on_sites(ds, read_vector(EXAMPLES / "candidates.geojson"), "candidates.geojson").site
    assert site.set_index("candidate_id").at["EX-P01", "region_id"] == "JMP-1"


# ----------------------------------------------------------------------------------------------
# (c) a monthly feeder file changes the ranking the way it should

SURPLUS_MONTHS = (900, 950, 800, 400, 150, 60, 40, 50, 200, 700, 850, 880)  # winter minimum 700 MW
DEFICIT_MONTHS = (-80, -60, -90, -150, -220, -260, -300, -280, -200, -120, -100, -90)  # winter minimum -120 MW
RAISED_WINTER = 2400


def two_feeders(deficit_months: tuple[int, ...]) -> dict:
    """Two neighbouring feeder areas near Jhimpir (Sindh), 0.15° x 0.2° each, sharing an edge at 67.95° E."""
    features = []
    for fid, name, (x0, x1), months in (("F-SUR", "Surplus feeder", (67.80, 67.95), SURPLUS_MONTHS),
                                        ("F-DEF", "Deficit feeder", (67.95, 68.10), deficit_months)):
        props = {"feeder_id": fid, "name": name, **{f"surplus_mw_{m:02d}": v for m, v in enumerate(months, start=1)}}
        ring = [[x0, 25.10], [x1, 25.10], [x1, 25.30], [x0, 25.30], [x0, 25.10]]
        features.append({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture(scope="module")
def feeder_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feeders")
    raised = tuple(RAISED_WINTER if m in WINTER_MONTHS else v for m, v in enumerate(DEFICIT_MONTHS, start=1))
    cases = {}
    for tag, months in (("before", DEFICIT_MONTHS), ("after", raised)):
        regions = tmp / f"feeders_{tag}.geojson"
        regions.write_text(json.dumps(two_feeders(months)), encoding="utf-8")
        out = tmp / f"shortlist_{tag}.geojson"
        cases[tag] = (["rank", "--profile", "bitcoin_mine", "--layer", f"supply_regions={regions}",
                       "--max-per-node", "0", "--top", "1000", "--out", str(out)], out)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {tag: pool.submit(run_cli, args) for tag, (args, _) in cases.items()}
        return {tag: (futures[tag].result(), out) for tag, (_, out) in cases.items()}


def test_monthly_feeders_move_the_bitcoin_shortlist(feeder_runs, pakistan_outline):
    proc_before, out_before = feeder_runs["before"]
    _, before = check_shortlist(proc_before, out_before, pakistan_outline)
    assert "seasonal surplus taken from the monthly columns" in proc_before.stderr
    # before: sites only in the surplus feeder (winter minimum 700 MW), none in the deficit feeder
    assert {p["region"] for p in before} == {"Surplus feeder"}
    assert all(p["region_surplus_mw"] == min(SURPLUS_MONTHS[m - 1] for m in WINTER_MONTHS) for p in before)
    assert all(67.80 <= p["lon"] <= 67.95 for p in before)

    _, after = check_shortlist(*feeder_runs["after"], pakistan_outline)
    rank_before = {p["candidate_id"]: p["rank"] for p in before}
    score_before = {p["candidate_id"]: p["score"] for p in before}
    rank_after = {p["candidate_id"]: p["rank"] for p in after}
    score_after = {p["candidate_id"]: p["score"] for p in after}
    newcomers = [p for p in after if p["region"] == "Deficit feeder"]
    # after raising its winter months to 2,400 MW the deficit feeder's cells appear ...
    assert newcomers, "no site in the feeder whose winter surplus was raised"
    assert all(p["candidate_id"] not in rank_before for p in newcomers)
    assert all(p["region_surplus_mw"] == RAISED_WINTER and 67.95 <= p["lon"] <= 68.10 for p in newcomers)
    # ... and rise above the surplus feeder's (more surplus scores higher, other criteria barely differ)
    assert after[0]["region"] == "Deficit feeder"
    best_new = min(p["rank"] for p in newcomers)
    best_old = min(rank_after[c] for c in rank_before)
    assert best_new < best_old
    # the surplus feeder's cells keep their scores and every one of them is still listed, lower down
    assert set(rank_before) <= set(rank_after)
    for cid in rank_before:
        assert score_after[cid] == score_before[cid]
        assert rank_after[cid] >= rank_before[cid]
    assert sum(rank_after[c] > rank_before[c] for c in rank_before) > 0


# ----------------------------------------------------------------------------------------------
# (d) the docs' layer kinds page holds schema_markdown(); `sitefinder schema`


def test_the_layer_kinds_page_holds_schema_markdown():
    page = LAYERS_PAGE.read_text(encoding="utf-8")
    assert page.count(schema_command.schema_markdown(heading_level=2).rstrip("\n")) == 1, (
        "docs/reference/layers.md differs from sitefinder/data/schema.py: run .venv/bin/python docs/gen_reference.py")


def test_your_own_data_follows_the_command_line_in_the_docs():
    """The guides read in order: the command line, then your own data (which uses it)."""
    import yaml  # noqa: PLC0415  (mkdocs' own dependency, in the test extra)

    nav = yaml.safe_load(MKDOCS.read_text(encoding="utf-8"))["nav"]
    guides = next(item["Guides"] for item in nav if isinstance(item, dict) and "Guides" in item)
    pages = [next(iter(g.values())) for g in guides]
    assert pages[pages.index("guides/command-line.md") + 1] == "guides/your-data.md"


def test_schema_markdown_covers_every_column_with_its_unit_and_range():
    md = schema_command.schema_markdown()
    for kind, schema in SCHEMAS.items():
        block = md.split(f"#### `{kind}`: {schema.title}\n", 1)[1].split("\n#### ", 1)[0]
        assert " or ".join(schema.geometry) in block
        for col in schema.columns:
            line = next((ln for ln in block.splitlines() if ln.startswith(f"| `{col.name}` |")
                         or ln.startswith(f"| `{col.name[:-3]}_01` .. `{col.name[:-3]}_12` |")), None)
            assert line is not None, f"{kind}.{col.name} missing"
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert cells[2] == col.unit and cells[3] == ("yes" if col.required else "no")
            assert cells[4] == ("yes" if col.nullable else "no")
            if col.min is not None:
                assert f"{col.min:,.0f} .. {col.max:,.0f}" in cells[5]
            for value in col.allowed:
                assert value in cells[5]


def schema_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitefinder")
    schema_command.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_schema_command_text(capsys):
    assert schema_command.run(schema_parser().parse_args(["schema"])) == 0
    text = capsys.readouterr().out
    for kind, schema in SCHEMAS.items():
        assert f"{kind}  -  {schema.title}" in text
    assert re.search(r"^\s+headroom_mva\s+number\s+MVA\s+no\s+yes\s+0 \.\. 100,000\s+Spare", text, re.M)
    assert "surplus_mw_01 .. surplus_mw_12" in text and "-100,000 .. 100,000" in text


def test_schema_command_one_kind_and_markdown(capsys):
    assert schema_command.run(schema_parser().parse_args(["schema", "cities"])) == 0
    text = capsys.readouterr().out
    assert text.startswith("cities  -  Cities") and "grid_nodes" not in text and "people" in text
    assert schema_command.run(schema_parser().parse_args(["schema", "--markdown"])) == 0
    assert capsys.readouterr().out == schema_command.schema_markdown()


def test_schema_command_rejects_an_unknown_kind(capsys):
    with pytest.raises(SystemExit) as exc:
        schema_parser().parse_args(["schema", "substations"])
    assert exc.value.code == 2
    assert "grid_nodes" in capsys.readouterr().err


def test_sitefinder_schema_on_the_real_command_line():
    from sitefinder.cli.main import build_parser  # noqa: PLC0415

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert "schema" in sub.choices, "cli.py does not register `sitefinder schema`"
    proc = run_cli(["schema", "grid_nodes"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == schema_command.schema_text(["grid_nodes"])


# ----------------------------------------------------------------------------------------------
# (e) make_examples.py reproduces the committed files byte for byte


def test_make_examples_reproduces_the_committed_files(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "make_examples.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = {p.name for p in tmp_path.iterdir()}
    committed = {p.name for p in EXAMPLES.iterdir()} - {"make_examples.py", "__pycache__"}
    assert written == committed
    differ = [n for n in sorted(written) if (tmp_path / n).read_bytes() != (EXAMPLES / n).read_bytes()]
    assert differ == [], f"run `python data/examples/make_examples.py`: these differ from its output: {differ}"
