"""The programme: a MW target shared out over sites with a ledger of region surplus and node headroom."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sitefinder.data.dataset import Dataset
from sitefinder.economics.cost_model import hours_of
from sitefinder.measure.geodesy import geodesic_km
from sitefinder.model.profiles import load_profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.vocabulary import HOURLY, MONTHLY, SEASON_MONTHS
from sitefinder.programme.ledger import Rules, firm_at, make_ledger, month_text, place_sites, run_text
from sitefinder.programme.run import make_programme
from sitefinder.rank.shortlist import pick_shortlist
from sitefinder.rank.study import Study

ROOT = Path(__file__).resolve().parents[1]


def _ranked(study: Study, profile_name: str = "bitcoin_mine", mw: float = 20.0):
    profile = load_profile(profile_name).with_facility_mw(mw)
    matrix, result = study.rank(profile)
    return profile, matrix, result


def _with_headroom(data: Dataset, every: float, some: dict[int, float] | None = None) -> Dataset:
    """Grid nodes with published headroom: ``every`` MW, or the given MW for the nodes at those positions."""
    nodes = data["grid_nodes"].copy()
    nodes["headroom_mw"] = every
    for pos, mw in (some or {}).items():
        nodes.loc[nodes.index[pos], "headroom_mw"] = mw
    return data.with_layer("grid_nodes", nodes)


def _with_surplus(data: Dataset, mw: float) -> Dataset:
    regions = data["supply_regions"].copy()
    for season in ("winter", "summer"):
        for col in (f"surplus_{season}_mw", f"surplus_{season}_mw_low", f"surplus_{season}_mw_high"):
            regions[col] = np.where(regions["on_national_grid"].astype(bool), mw, np.nan)
    for col in MONTHLY:  # the built regions also give each month (the network model's); those are used first
        if col in regions:
            regions[col] = np.where(regions["on_national_grid"].astype(bool), mw, np.nan)
    data = data.with_layer("supply_regions", regions)
    zones = data["zones"].copy()  # the network zones carry the same figures, by month and hour type too
    for col in [c for c in zones.columns if c.startswith("surplus_") and c.endswith(("_mw", "_low", "_high"))
                or c in MONTHLY or c[-2:].isdigit() and c.startswith("surplus_")]:
        zones[col] = mw
    return data.with_layer("zones", zones)


def _check_limits(placement, matrix: pd.DataFrame, data: Dataset, rules: Rules) -> None:
    """Nothing exceeds the target, any pool's (zone's) surplus in any month, or any node's known headroom."""
    assert placement.total_mw <= rules.target_mw + 1e-6
    start = make_ledger(data, rules)
    used = np.zeros_like(start.surplus)
    p_index = {r: i for i, r in enumerate(start.pool_ids)}
    by_node: dict[str, float] = {}
    for row, mw, cells in zip(placement.rows, placement.mw, placement.cells):
        used[p_index[str(matrix["surplus_area"].iloc[row])]] += np.where(cells, mw, 0.0)
        node = str(matrix["grid_node_id"].iloc[row])
        by_node[node] = by_node.get(node, 0.0) + mw
        assert rules.smallest - 1e-9 <= mw <= rules.unit_mw + 1e-9
    drawn = used > 0  # a month a site runs in: the region had that much surplus in it
    assert np.all(used[drawn] <= np.nan_to_num(start.surplus[drawn], nan=-1) + 1e-6)
    heads = dict(zip(start.node_ids, start.headroom))
    for node, mw in by_node.items():
        if np.isfinite(heads[node]):
            assert mw <= heads[node] + 1e-6, node


@pytest.mark.parametrize("target, assumed, spacing, per_node", [
    (2000.0, None, 0.0, 2), (5000.0, 150.0, 20.0, 0), (800.0, 35.0, 50.0, 3), (1e5, None, 0.0, 1)])
def test_the_programme_never_exceeds_the_target_a_regions_surplus_or_a_nodes_headroom(pakistan_data, h3_study, target,
                                                                                     assumed, spacing, per_node):
    data = _with_headroom(pakistan_data, np.nan, {0: 120.0, 5: 40.0, 17: 260.0, 30: 75.0})
    study = Study(data, h3_study.candidates)
    profile, matrix, result = _ranked(study)
    rules = Rules(target_mw=target, unit_mw=100.0, min_mw=20.0, min_spacing_km=spacing, assumed_headroom_mw=assumed,
                  max_per_node=per_node)
    placement = place_sites(matrix, result, data, rules, profile.season)
    assert len(placement.rows) > 0
    _check_limits(placement, matrix, data, rules)
    if spacing:
        lon, lat = matrix["lon"].to_numpy()[placement.rows], matrix["lat"].to_numpy()[placement.rows]
        for k in range(len(lon)):
            assert np.all(geodesic_km(lon[k], lat[k], np.delete(lon, k), np.delete(lat, k)) >= spacing)
    if per_node:
        counts = pd.Series(matrix["grid_node_id"].astype(str).to_numpy()[placement.rows]).value_counts()
        assert counts.max() <= per_node


def test_with_unlimited_resources_the_programme_is_the_top_of_the_ranking(pakistan_data, h3_study):
    data = _with_surplus(pakistan_data, 1e7)
    study = Study(data, h3_study.candidates)
    profile, matrix, result = _ranked(study, mw=100.0)
    k = 25
    rules = Rules(target_mw=100.0 * k, unit_mw=100.0, max_per_node=2)
    placement = place_sites(matrix, result, data, rules, profile.season)
    assert placement.stopped_because == "target reached"
    assert placement.rows.tolist() == pick_shortlist(matrix, result, k, max_per_node=2).tolist()
    assert set(placement.binding) == {"facility size"} and placement.total_mw == 100.0 * k


def test_it_stops_for_the_right_reason(pakistan_data, h3_study):
    profile, matrix, result = _ranked(h3_study)
    enough = place_sites(matrix, result, pakistan_data, Rules(target_mw=300.0, unit_mw=100.0), profile.season)
    assert enough.stopped_because == "target reached" and enough.total_mw == 300.0 and len(enough.rows) == 3
    odd = place_sites(matrix, result, pakistan_data, Rules(target_mw=250.0, unit_mw=100.0, min_mw=60.0), profile.season)
    assert odd.total_mw == 200.0 and odd.stopped_because.startswith("target reached as nearly as sites allow")
    last = place_sites(matrix, result, pakistan_data, Rules(target_mw=250.0, unit_mw=100.0, min_mw=20.0), profile.season)
    assert last.total_mw == 250.0 and last.mw[-1] == 50.0 and last.binding[-1] == "target"
    data = _with_headroom(pakistan_data, 100.0)  # every node: room for one 100 MW site
    study = Study(data, h3_study.candidates)
    profile, matrix, result = _ranked(study)
    full = place_sites(matrix, result, data, Rules(target_mw=1e5, unit_mw=100.0, min_mw=20.0), profile.season)
    assert full.stopped_because.startswith("nothing more fits")
    assert "node headroom used up" in full.stopped_because and full.skipped["node headroom used up"] > 0
    nodes = matrix["grid_node_id"].astype(str).to_numpy()[full.rows]
    assert len(set(nodes)) == len(nodes)  # one site per node: each used its node's 100 MW


def test_a_site_takes_less_to_fit_and_says_what_limited_it(pakistan_data, h3_study):
    data = _with_headroom(pakistan_data, np.nan)
    study = Study(data, h3_study.candidates)
    profile, matrix, result = _ranked(study)
    rules = Rules(target_mw=600.0, unit_mw=100.0, min_mw=20.0, assumed_headroom_mw=130.0, max_per_node=0)
    placement = place_sites(matrix, result, data, rules, profile.season)
    nodes = matrix["grid_node_id"].astype(str).to_numpy()[placement.rows]
    seen: dict[str, float] = {}
    for node, mw, why in zip(nodes, placement.mw, placement.binding):
        if node in seen:  # the node's second site gets the 30 MW its assumed 130 MW leaves
            assert mw == pytest.approx(30.0) and why == "node headroom"
        seen[node] = seen.get(node, 0.0) + mw
    assert any(b == "node headroom" for b in placement.binding)
    assert all(basis.startswith("assumed 130 MW") for basis in placement.headroom_basis)


def test_an_interruptible_load_can_use_surplus_that_exists_only_part_of_the_year(pakistan_data, h3_study):
    regions = pakistan_data["supply_regions"].copy()
    on_grid = regions["on_national_grid"].astype(bool)
    months = np.full((len(regions), 12), -500.0)       # a deficit all year ...
    months[:, [0, 1, 10, 11]] = 400.0                   # ... except Jan, Feb, Nov, Dec
    for k, col in enumerate(MONTHLY):
        regions[col] = np.where(on_grid, months[:, k], np.nan)
    data = pakistan_data.with_layer("supply_regions", regions)
    zones = data["zones"].copy()  # the network zones: the same months, in every hour type
    for k, col in enumerate(MONTHLY):
        zones[col] = months[0, k]
        for hour in HOURLY:
            zones[HOURLY[hour][k]] = months[0, k]
    data = data.with_layer("zones", zones)
    study = Study(data, h3_study.candidates)
    profile = load_profile("bitcoin_mine").with_facility_mw(20.0)
    matrix, result = study.rank(profile.with_season("winter"))
    # The seasonal figures are not the monthly ones here: rank every on-grid candidate, let the ledger decide.
    strict = place_sites(matrix, result, data, Rules(target_mw=300.0, unit_mw=100.0, min_mw=20.0), "winter")
    assert strict.total_mw == 0 and strict.stopped_because.startswith("nothing more fits")
    loose = place_sites(matrix, result, data, Rules(target_mw=300.0, unit_mw=100.0, min_mw=20.0, min_months=4), "winter")
    assert loose.total_mw == 300.0
    assert {month_text(m) for m in loose.months} == {"Nov-Feb"}


def test_an_interruptible_load_can_run_in_the_hour_types_that_have_room(pakistan_data, h3_study):
    """Every zone short at the evening peak all year (-500 MW), with 400 MW at midday and at night: a firm site finds
    nothing; an interruptible one asking for 6 months' worth runs midday and night all year, which is worth
    12 x (6 + 14) / 24 = 10 months, 20 h a day, 7,300 h a year."""
    zones = pakistan_data["zones"].copy()
    for hour, value in (("evening", -500.0), ("midday", 400.0), ("night", 400.0)):
        for col in HOURLY[hour]:
            for end in ("", "_low", "_high"):
                zones[col + end] = value
    for col in MONTHLY:
        zones[col] = -500.0  # the firm figure (the least over the hour types) agrees
    data = pakistan_data.with_layer("zones", zones)
    study = Study(data, h3_study.candidates)
    profile = load_profile("bitcoin_mine").with_facility_mw(20.0)
    # The seasonal figures are left as they are, so every on-grid candidate is ranked: the ledger decides.
    matrix, result = study.rank(profile.with_season("winter"))
    firm = place_sites(matrix, result, data, Rules(target_mw=300.0, unit_mw=100.0, min_mw=20.0), "winter")
    assert firm.total_mw == 0
    loose = place_sites(matrix, result, data, Rules(target_mw=300.0, unit_mw=100.0, min_mw=20.0, min_months=6), "winter")
    assert loose.total_mw == 300.0
    assert {run_text(c) for c in loose.cells} == {"all year (midday, night)"}
    assert np.allclose(hours_of(loose.day_shares()), 7300.0)
    _check_limits(loose, matrix, data, Rules(target_mw=300.0, unit_mw=100.0, min_mw=20.0, min_months=6))


def test_firm_at_the_low_estimate_replays_the_same_sites(pakistan_data, h3_study):
    profile, matrix, result = _ranked(h3_study, "ai_datacenter")
    rules = Rules(target_mw=1500.0, unit_mw=100.0, min_mw=20.0)
    placement = place_sites(matrix, result, pakistan_data, rules, "year_round")
    firm = firm_at(placement, matrix, pakistan_data, rules, "year_round")
    assert np.all(firm <= placement.mw + 1e-9) and firm.sum() < placement.total_mw  # K-Electric's summer low is 16 MW
    same = firm_at(placement, matrix, pakistan_data, rules, "year_round", end="")  # the central ends: all of it
    assert np.allclose(same, placement.mw)


def test_month_text_reads_as_people_write_months():
    mask = np.zeros(12, dtype=bool)
    assert month_text(~mask) == "all year" and month_text(mask) == "none"
    winter = np.isin(np.arange(1, 13), SEASON_MONTHS["winter"])
    assert month_text(winter) == "Oct-Mar"
    odd = np.isin(np.arange(1, 13), (1, 2, 3, 7))
    assert month_text(odd) == "Jan-Mar, Jul"


def test_the_programme_table_and_metadata_say_what_was_done(h3_study):
    scenario = Scenario(resolution=5, target_mw=1200.0, mw=100.0, min_mw=25.0, min_spacing_km=15.0)
    programme = make_programme(h3_study, scenario, scenario.apply())
    t = programme.table
    for col in ("placed_mw", "grid_node_id", "region", "region_surplus_left_mw", "node_headroom_left_mw",
                "binding_limit", "placed_mw_at_low", "months_running"):
        assert col in t, col
    assert t["placed_mw"].sum() == pytest.approx(1200.0)
    meta = programme.metadata["programme"]
    assert meta["target_mw"] == 1200.0 and meta["placed_mw_total"] == pytest.approx(1200.0)
    assert meta["stopped_because"] == "target reached" and meta["rules"]["min_spacing_km"] == 15.0
    assert meta["rules"]["unknown_headroom"].startswith("unknown headroom does not limit")
    assert (t["headroom_basis"] == "unknown: not limiting").all()
    assert programme.pools["placed_mw"].sum() == pytest.approx(1200.0)


def test_programme_on_the_command_line_writes_the_programme_and_a_brief(tmp_path):
    out = tmp_path / "p.geojson"
    proc = subprocess.run([sys.executable, "-m", "sitefinder.cli", "programme", "--profile", "bitcoin_mine", "--resolution", "5",
                           "--target-mw", "2000", "--mw", "100", "--min-mw", "20", "--min-spacing-km", "20", "--quiet",
                           "--out", str(out), "--csv", str(tmp_path / "p.csv"), "--report", str(tmp_path / "brief.html")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "2,000 MW of 2,000 MW" in proc.stdout and "target reached" in proc.stdout and "Firm at the low estimate" in proc.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    meta = doc["metadata"]["programme"]
    assert meta["target_mw"] == 2000 and meta["placed_mw_total"] == 2000 and meta["stopped_because"] == "target reached"
    assert sum(f["properties"]["placed_mw"] for f in doc["features"]) == pytest.approx(2000)
    brief = (tmp_path / "brief.html").read_text(encoding="utf-8")
    assert "<svg" in brief and brief.count("class='card'") == len(doc["features"])
    assert "Programme rules" in brief and "Sources" in brief and "Firm at the low estimate" in brief
    # Nothing is fetched: no script, stylesheet, font or image from anywhere (sources are text, not links).
    assert not re.search(r"<script|<link|<img|@import|url\(|(src|href)\s*=", brief, re.I)


def test_bad_programme_options_are_refused_with_the_allowed_values():
    proc = subprocess.run([sys.executable, "-m", "sitefinder.cli", "programme", "--min-months", "13"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2 and "1-12" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "sitefinder.cli", "programme", "--target-mw", "0"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2 and "1-100,000 MW" in proc.stderr


def test_regions_of_one_zone_share_its_surplus(pakistan_data, h3_study):
    """LESCO, GEPCO and FESCO are all central Punjab: with 300 MW in the zone, the programme places at most 300 MW
    there in all, not 300 MW per company; and with 300 MW in every zone, 300 MW in all, since the zones' figures
    come from the idle generation they share."""
    data = _with_surplus(pakistan_data, 300.0)
    study = Study(data, h3_study.candidates)
    profile, matrix, result = _ranked(study, mw=100.0)
    rules = Rules(target_mw=5000.0, unit_mw=100.0, max_per_node=0)
    placement = place_sites(matrix, result, data, rules, profile.season)
    zones = matrix["zone"].astype(str).to_numpy()[placement.rows]
    placed = pd.Series(placement.mw).groupby(zones).sum()
    assert placed.sum() == pytest.approx(300.0)  # and the zones share their idle generation: 300 MW in all
    assert (placed <= 300.0 + 1e-6).all(), placed
    _check_limits(placement, matrix, data, rules)


def test_the_zones_together_never_take_more_than_the_best_placed_zone_could(pakistan_data, h3_study):
    """Each zone's figure is what it alone could take from the idle generation they share: with a target far above
    any zone's, the sites of all zones together stay within the largest zone's figure, month by month and hour by
    hour, and each zone within its own."""
    profile, matrix, result = _ranked(h3_study, mw=100.0)
    rules = Rules(target_mw=1e5, unit_mw=100.0, max_per_node=0)
    placement = place_sites(matrix, result, pakistan_data, rules, profile.season)
    start = make_ledger(pakistan_data, rules)
    zoned = [k for k, p in enumerate(start.pool_ids) if p.startswith("zone:")]
    assert placement.total_mw > 0
    together = np.zeros((12, 3))
    for row, mw, cells in zip(placement.rows, placement.mw, placement.cells):
        if str(matrix["surplus_area"].iloc[row]).startswith("zone:"):
            together += np.where(cells, mw, 0.0)
    best = np.nanmax(start.surplus[zoned], axis=0)
    assert np.all(together <= np.maximum(best, 0.0) + 1e-6)
    assert together.max() > 0.5 * np.nanmin(np.where(together > 0, best, np.nan))  # the group, not a zone, binds
    _check_limits(placement, matrix, pakistan_data, rules)
