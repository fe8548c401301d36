"""How robust the ranking is: the Monte Carlo engine against the ordinary ranking, the straightforward loop over
draws, constructed cases with a known answer, the value of information, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from sitefinder.data.dataset import Dataset
from sitefinder.errors import ProfileError
from sitefinder.model.profiles import load_profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import SETTINGS
from sitefinder.rank.study import Study
from sitefinder.robustness import engine as engine_module
from sitefinder.robustness.engine import Engine, loop_over_draws
from sitefinder.robustness.inputs import DrawSettings, inputs_for, make_draws, quantile
from sitefinder.robustness.run import run_robustness

ROOT = Path(__file__).resolve().parents[1]
NO_SPREAD = {"weight_spread": 0.0, "data_spread": "none"}


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitefinder.cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


# ----------------------------------------------------------------------------------------------------------
# With no spread, every draw is the ordinary ranking


@pytest.mark.parametrize("profile_name, per_node", [("bitcoin_mine", 2), ("ai_datacenter", 0)])
def test_no_spread_gives_probabilities_of_0_or_1_that_match_the_ordinary_ranking(h3_study, profile_name, per_node):
    scenario = Scenario(profile=profile_name, resolution=5, top=15, max_per_node=per_node, draws=25, **NO_SPREAD)
    profile = scenario.apply()
    run = run_robustness(h3_study, scenario, profile)
    central = np.asarray(run.central.rows)
    p_top = run.per_row["p_top_n"].to_numpy()
    assert set(np.unique(p_top)) == {0.0, 1.0}
    assert np.array_equal(np.flatnonzero(p_top == 1.0), np.sort(central))
    assert np.array_equal(run.per_row["p_feasible"].to_numpy() == 1.0, run.central.result.feasible)
    assert set(np.unique(run.per_row["p_feasible"])) <= {0.0, 1.0}
    for col in ("rank_p05", "rank_p50", "rank_p95"):
        assert run.per_row[col].to_numpy()[central].tolist() == list(range(1, len(central) + 1)), col
    # The robust shortlist is then the ordinary one, in the same order.
    assert run.table["candidate_id"].tolist() == run.central.table["candidate_id"].tolist()
    assert run.table["central_rank"].tolist() == run.table["rank"].tolist()


# ----------------------------------------------------------------------------------------------------------
# The vectorised engine is the straightforward loop, exactly


@pytest.mark.parametrize("profile_name, per_node, province, headroom", [
    ("bitcoin_mine", 2, None, None),
    ("ai_datacenter", 0, None, (0.0, 400.0)),
    ("bitcoin_mine", 1, "Punjab", (50.0, 300.0)),
])
def test_the_engine_gives_exactly_what_a_loop_of_ordinary_rankings_gives(pakistan_data, h3_study, profile_name, per_node,
                                                                         province, headroom):
    profile = load_profile(profile_name)
    matrix, _ = h3_study.rank(profile)
    inputs = inputs_for(matrix, profile, pakistan_data)
    settings = DrawSettings(draws=30, seed=11, weight_spread=35.0, data_spread="triangular", headroom_range=headroom)
    draws = make_draws(inputs, settings)
    engine = Engine(matrix, profile, inputs, settings, top=10, max_per_node=per_node, province=province)
    fast = engine.run(draws)
    slow = loop_over_draws(matrix, profile, inputs, draws, top=10, max_per_node=per_node, province=province)
    assert np.array_equal(fast.lists, slow.lists)
    assert np.array_equal(fast.feasible_count, slow.feasible_count, equal_nan=True)
    assert 0 < len(engine.rows) < len(matrix)  # some candidates can never pass, and were left out before drawing


def test_chunks_do_not_change_the_answer(pakistan_data, h3_study, monkeypatch):
    profile = load_profile("bitcoin_mine")
    matrix, _ = h3_study.rank(profile)
    inputs = inputs_for(matrix, profile, pakistan_data)
    settings = DrawSettings(draws=40, seed=3)
    draws = make_draws(inputs, settings)
    whole = Engine(matrix, profile, inputs, settings, top=20, max_per_node=2).run(draws)
    monkeypatch.setattr(engine_module, "MEMORY_BUDGET_BYTES", 1)  # one draw per chunk
    engine = Engine(matrix, profile, inputs, settings, top=20, max_per_node=2)
    assert engine.chunk_size() == 1
    seen = []
    one_by_one = engine.run(draws, progress=seen.append)
    assert np.array_equal(whole.lists, one_by_one.lists)
    assert len(seen) == 40 and seen[-1] == 1.0


def test_the_first_draws_of_a_longer_run_are_the_draws_of_a_shorter_one(pakistan_data, h3_study):
    profile = load_profile("ai_datacenter")
    matrix, _ = h3_study.rank(profile)
    inputs = inputs_for(matrix, profile, pakistan_data)
    long = make_draws(inputs, DrawSettings(draws=50, seed=5, headroom_range=(0, 300)))
    short = make_draws(inputs, DrawSettings(draws=20, seed=5, headroom_range=(0, 300)))
    for name in ("raw_weights", "region_u", "station_u", "node_shift_km", "node_headroom_mw"):
        assert np.array_equal(getattr(long, name)[:20], getattr(short, name)), name
    other = make_draws(inputs, DrawSettings(draws=20, seed=6, headroom_range=(0, 300)))
    assert not np.array_equal(other.region_u, short.region_u)


# ----------------------------------------------------------------------------------------------------------
# The distributions


def test_triangular_and_uniform_draws_stay_in_range_and_centre_where_they_should():
    u = (np.arange(100_000) + 0.5) / 100_000
    lo, mid, hi = -100.0, 200.0, 300.0
    tri = quantile(u, lo, mid, hi, "triangular")
    assert tri.min() >= lo and tri.max() <= hi
    assert tri.mean() == pytest.approx((lo + mid + hi) / 3, abs=0.5)  # the triangular mean
    assert np.mean(tri <= mid) == pytest.approx((mid - lo) / (hi - lo), abs=1e-3)  # the mode's quantile
    uni = quantile(u, lo, mid, hi, "uniform")
    assert uni.mean() == pytest.approx((lo + hi) / 2, abs=0.01)
    assert np.all(quantile(u[:5], lo, mid, hi, "none") == mid)
    assert np.all(quantile(np.full(3, np.nan), lo, mid, hi, "triangular") == mid)  # NaN quantile = central
    assert np.all(quantile(u[:3], np.nan, mid, hi, "triangular") == mid)            # no range = central


def test_the_weight_spread_is_what_the_help_says(pakistan_data, h3_study):
    profile = load_profile("bitcoin_mine")
    matrix, _ = h3_study.rank(profile)
    inputs = inputs_for(matrix, profile, pakistan_data)
    draws = make_draws(inputs, DrawSettings(draws=20_000, seed=1, weight_spread=20.0, data_spread="none"))
    shares = draws.raw_weights / draws.raw_weights.sum(axis=1, keepdims=True)
    central = inputs.raw_weights / inputs.raw_weights.sum()
    assert np.allclose(shares.mean(axis=0), central, atol=2e-3)  # centred on the weights set
    k = int(inputs.active.sum())
    # A weight of average share 1/k varies with a standard deviation of 20 % of itself: sd = 0.2 * w * sqrt(...)
    # holds exactly at w = 1/k; check the Dirichlet's own formula at every weight instead.
    alpha = (1 - 1 / k) / ((1 / k) * 0.2**2) - 1
    expected_sd = np.sqrt(central * (1 - central) / (alpha + 1))
    assert np.allclose(shares.std(axis=0), expected_sd, rtol=0.05)
    fixed = make_draws(inputs, DrawSettings(draws=5, weight_spread=0.0))
    assert np.all(fixed.raw_weights == inputs.raw_weights)


def test_bad_draw_settings_are_refused_with_the_fix():
    with pytest.raises(ProfileError, match="data_spread"):
        DrawSettings(data_spread="gaussian")
    with pytest.raises(ProfileError, match="LOW-HIGH"):
        DrawSettings(headroom_range=(400.0, 100.0))
    setting = SETTINGS["headroom_range"]
    assert setting.parse("0-400", "link") == ((0.0, 400.0), None)
    assert setting.parse([50, 300], "file") == ((50.0, 300.0), None)
    for bad in ("400-100", "-5-10", "abc", "1-2-3", [1]):
        value, problem = setting.parse(bad, "link")
        assert value is None and problem is not None and "LOW-HIGH" in problem.fix, bad


# ----------------------------------------------------------------------------------------------------------
# Constructed cases with a known answer


def _sites(study: Study, rows: list[int]) -> gpd.GeoDataFrame:
    site = study.site
    return gpd.GeoDataFrame({"site_id": [f"s{i}" for i in range(len(rows))]},
                            geometry=gpd.points_from_xy(site["lon"].to_numpy()[rows], site["lat"].to_numpy()[rows]), crs=4326)


def _leader_and_laggards(h3_study: Study, region_column: str = "region_id") -> tuple[int, int, int]:
    """The best cell, and two cells far behind it in two other regions (the second behind the first)."""
    matrix, result = h3_study.rank(load_profile("bitcoin_mine"))
    order = result.order
    best = int(order[0])
    regions = matrix[region_column].astype(str).to_numpy()
    score = result.score
    behind = [int(i) for i in order if score[i] < score[best] - 35 and regions[i] != regions[best]]
    first = behind[0]
    second = next(i for i in behind if regions[i] not in (regions[best], regions[first]) and score[i] < score[first] - 5)
    return best, first, second


def test_a_site_far_ahead_keeps_p_top_n_near_1(pakistan_data, h3_study):
    best, first, second = _leader_and_laggards(h3_study)
    study = Study.on_sites(pakistan_data, _sites(h3_study, [best, first, second]), "three sites")
    scenario = Scenario(top=1, max_per_node=0, draws=500, seed=2)
    run = run_robustness(study, scenario, scenario.apply())
    p = dict(zip(run.central.matrix["candidate_id"], run.per_row["p_top_n"]))
    assert p["s0"] >= 0.99 and p["s1"] + p["s2"] <= 0.01
    assert run.table["candidate_id"].iloc[0] == "s0" and run.table["rank_p95"].iloc[0] == 1


def test_a_site_tied_with_another_is_not_called_sure(pakistan_data, h3_study):
    matrix, result = h3_study.rank(load_profile("bitcoin_mine"))
    top = [int(i) for i in result.order[:20]]  # of the 20 best, the two next to each other with the closest scores
    _gap, a, b = min((result.score[x] - result.score[y], x, y) for x, y in zip(top, top[1:]))
    study = Study.on_sites(pakistan_data, _sites(h3_study, [a, b]), "two close sites")
    scenario = Scenario(top=1, max_per_node=0, draws=500, seed=2)
    run = run_robustness(study, scenario, scenario.apply())
    p = run.per_row["p_top_n"].to_numpy()
    assert 0.02 < p[0] < 0.98 and p.sum() == pytest.approx(1.0)


def _region_decides_the_top(pakistan_data: Dataset, h3_study: Study) -> tuple[Dataset, gpd.GeoDataFrame, str, str]:
    """A dataset where the top site's region has a surplus range that mostly falls short of 100 MW (central
    200 MW, so the ordinary ranking keeps it), and three sites: that one, and two far behind in other regions."""
    best, first, second = _leader_and_laggards(h3_study, "surplus_area")
    matrix, _ = h3_study.rank(load_profile("bitcoin_mine"))
    areas = matrix["surplus_area"].astype(str).to_numpy()  # a network zone (its node's), or a region outside every zone
    decisive, idle = areas[best], areas[second]
    kind, key = ("zones", "zone") if decisive.startswith("zone:") else ("supply_regions", "region_id")
    layer = pakistan_data[kind].copy()
    hit = layer[key].astype(str) == decisive.split(":", 1)[1]
    for season in ("winter", "summer"):
        layer.loc[hit, [f"surplus_{season}_mw_low", f"surplus_{season}_mw", f"surplus_{season}_mw_high"]] = [-3000.0, 200.0, 400.0]
    data = pakistan_data.with_layer(kind, layer)
    return data, _sites(h3_study, [best, first, second]), decisive, idle


def test_the_region_whose_surplus_decides_the_top_site_is_the_first_figure_to_ask_for(pakistan_data, h3_study):
    data, sites, decisive, idle = _region_decides_the_top(pakistan_data, h3_study)
    study = Study.on_sites(data, sites, "three sites")
    scenario = Scenario(top=1, max_per_node=0, draws=400, seed=4, weight_spread=0.0)
    run = run_robustness(study, scenario, scenario.apply(), voi=True)
    table = run.voi_table()
    assert table["key"].iloc[0] == f"surplus:{decisive}"
    first = table.iloc[0]
    assert first["expected_changes"] >= 0.75 and first["most_changes"] == 1 and "(s0) leaves" in first["decides"]
    idle_row = table.index[table["key"] == f"surplus:{idle}"]
    assert len(idle_row) == 1 and idle_row[0] > 0  # listed, and below
    assert table.loc[idle_row[0], "expected_changes"] == 0 and table.loc[idle_row[0], "decides"] == "-"
    # The draws agree: the top site is fragile because its region may lack the surplus.
    p = dict(zip(run.central.matrix["candidate_id"], run.per_row["p_feasible"]))
    assert 0.03 < p["s0"] < 0.25  # P(surplus >= 100 MW) under triangular(-3000, 200, 400) is 0.11
    assert run.metadata["value_of_information"]["figures"][0]["key"] == f"surplus:{decisive}"


def test_with_nothing_uncertain_but_headroom_only_headroom_is_asked_for(pakistan_data, h3_study):
    scenario = Scenario(resolution=5, top=10, draws=10, **NO_SPREAD)
    run = run_robustness(h3_study, scenario, scenario.apply(), voi=True)
    kinds = set(run.voi_table()["kind"])
    assert kinds == {"grid headroom"}
    # "none" (0 MW) drops the node's shortlisted sites: the node of the ordinary #1 decides it.
    top = run.voi_table()
    central_first = run.central.table["grid_node_id"].iloc[0]
    row = top[top["key"] == f"headroom:{central_first}"].iloc[0]
    assert row["most_changes"] >= 1 and "#1 " in row["decides"]


# ----------------------------------------------------------------------------------------------------------
# The command line


def test_the_command_line_is_reproducible_byte_for_byte_and_the_seed_matters(tmp_path):
    outs = []
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        proc = _cli("robustness", "--profile", "bitcoin_mine", "--mw", "100", "--resolution", "5", "--draws", "200",
                    "--seed", seed, "--top", "10", "--voi", "--quiet", "--out", str(tmp_path / f"{name}.geojson"),
                    "--csv", str(tmp_path / f"{name}.csv"), "--voi-csv", str(tmp_path / f"{name}_voi.csv"))
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    for ext in (".geojson", ".csv", "_voi.csv"):
        assert (tmp_path / f"a{ext}").read_bytes() == (tmp_path / f"b{ext}").read_bytes(), ext
    assert outs[0] == outs[1] and "Figures to ask for first" in outs[0]
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    doc = json.loads((tmp_path / "a.geojson").read_text(encoding="utf-8"))
    meta = doc["metadata"]
    assert "generated_at" not in meta
    rob = meta["robustness"]
    assert rob["draws"] == 200 and rob["seed"] == 7 and rob["weights"]["spread_percent"] == 20.0
    assert rob["region_surplus"]["distribution"].startswith("triangular")
    assert rob["unknown_headroom"]["rule"].startswith("left unknown")
    assert meta["value_of_information"]["figures"]
    props = doc["features"][0]["properties"]
    for col in ("p_feasible", "p_top_n", "p_node_top_n", "rank_p05", "rank_p50", "rank_p95", "central_rank"):
        assert col in props
    assert 0 <= props["p_top_n"] <= 1 and props["rank_p05"] <= props["rank_p50"]


def test_bad_robustness_options_are_refused_with_the_allowed_values(tmp_path):
    proc = _cli("robustness", "--draws", "5")
    assert proc.returncode == 2 and "10-20,000" in proc.stderr
    proc = _cli("robustness", "--headroom-range", "500-100")
    assert proc.returncode == 2 and "low end is above the high end" in proc.stderr
    proc = _cli("robustness", "--resolution", "5", "--draws", "10", "--quiet", "--voi-csv", str(tmp_path / "v.csv"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--voi-csv" in proc.stderr and "--voi " in proc.stderr


def test_a_scenario_saved_by_the_app_carries_the_draw_settings_to_the_command_line(tmp_path):
    saved = Scenario(resolution=5, top=5, draws=50, seed=3, weight_spread=10.0, data_spread="uniform",
                     headroom_range=(0.0, 250.0))
    path = tmp_path / "sure.json"
    path.write_text(saved.to_json(), encoding="utf-8")
    loaded, problems = Scenario.from_json(path.read_bytes())
    assert not problems and loaded == saved
    proc = _cli("robustness", "--scenario", str(path), "--quiet", "--csv", str(tmp_path / "r.csv"))
    assert proc.returncode == 0, proc.stderr
    assert "50 draws (seed 3; weight spread 10 %; estimates uniform; unknown headroom 0-250 MW)" in proc.stdout
    assert Scenario.from_query(saved.to_query())[0] == saved
    assert replace(saved, show_robustness=True).without_view() == saved
