"""Every figure an export carries is classified, and every estimate says so: its range where its inputs have ends,
named in the row's ``estimates`` either way (issue 18). Checked on the real command line's GeoJSON and CSV, its
table and its headline, the brief, and the headline's one core function."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sitefinder.economics.text import figure_lines, margin_headline
from sitefinder.model.figures import FIGURES, KINDS, figure_of
from sitefinder.model.profiles import load_profile
from sitefinder.model.ranges import HIGH, LOW, compact_estimate

ROOT = Path(__file__).resolve().parents[1]
HOURS_PER_YEAR = 8760.0

CASES: dict[str, list[str]] = {
    "mine": ["--profile", "bitcoin_mine"],
    "datacentre": ["--profile", "ai_datacenter"],
    # a hashprice at which every shortlisted site loses money (the built-in sites break even at about USD 38-40)
    "mine_at_30": ["--profile", "bitcoin_mine", "--hashprice", "30"],
    # a region layer with its own tariff and surplus without a range, and the user's own sites
    "own_layers": ["--profile", "ai_datacenter", "--layer", "supply_regions=data/examples/supply_regions_seasonal.gpkg"],
    "own_sites": ["--profile", "bitcoin_mine", "--candidates", "data/examples/candidates.csv", "--max-per-node", "0"],
    # the programme's and the robustness run's own columns (placed MW, hours running, probabilities, rank intervals)
    "programme": ["programme", "--profile", "bitcoin_mine", "--target-mw", "600", "--mw", "100", "--min-mw", "20"],
    "robustness": ["robustness", "--profile", "ai_datacenter", "--draws", "40", "--seed", "7", "--top", "10"],
}
COMMANDS = ("programme", "robustness")  # a case that starts with one of these runs it; the others run rank


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """``sitefinder rank`` for every case, with its GeoJSON, CSV and brief written and read back."""
    tmp = tmp_path_factory.mktemp("estimates")
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}

    def run(name: str) -> dict[str, Any]:
        out = tmp / name
        case = CASES[name]
        command, rest = (case[0], case[1:]) if case[0] in COMMANDS else ("rank", [*case, "--top", "20"])
        files = ["--out", f"{out}.geojson", "--csv", f"{out}.csv"]
        if command != "robustness":  # robustness writes no brief
            files += ["--report", f"{out}.html"]
        else:
            Path(f"{out}.html").write_text("", encoding="utf-8")
        args = [sys.executable, "-m", "sitefinder.cli", command, *rest, *files]
        proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300)
        assert proc.returncode == 0, proc.stderr
        with open(f"{out}.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        collection = json.loads(Path(f"{out}.geojson").read_text(encoding="utf-8"))
        return {"stdout": proc.stdout, "collection": collection, "rows": rows, "table": pd.read_csv(f"{out}.csv"),
                "brief": Path(f"{out}.html").read_text(encoding="utf-8")}

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(CASES, pool.map(run, CASES)))


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def csv_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() != ""


def problems_of(props: dict[str, Any], numeric: set[str]) -> list[str]:
    """What is wrong with one exported row: a number that is not classified; an estimate the row's ``estimates`` does
    not name, or a name there that is not an estimate the row has; a ranged estimate without its ``_low``/``_high``
    columns; an estimate with no range that has them anyway. ``numeric``: the row's columns holding a number."""
    named = [n for n in str(props.get("estimates") or "").split("; ") if n]
    out = []
    for col in sorted(numeric):
        fig = figure_of(col)
        if fig is None:
            out.append(f"{col}: a number that is not classified (sitefinder/model/figures.py)")
        elif fig.estimate and fig.name not in named:
            out.append(f"{col}: an estimate the row's estimates list does not name")
    for name in named:
        fig = FIGURES.get(name)
        if fig is None or not fig.estimate:
            out.append(f"{name}: named as an estimate but classified as {fig and fig.kind}")
        elif not {name, name + LOW, name + HIGH} & numeric:
            out.append(f"{name}: named as an estimate but the row has no value for it")
        elif fig.ranged and not (name + LOW in props and name + HIGH in props):
            out.append(f"{name}: a ranged estimate without its _low/_high columns")
        elif not fig.ranged and (name + LOW in props or name + HIGH in props):
            out.append(f"{name}: has a range but the registry says it has none")
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_every_exported_number_is_classified_and_every_estimate_is_named(runs, case):
    collection, rows = runs[case]["collection"], runs[case]["rows"]
    assert len(collection["features"]) == len(rows) > 0
    for feature, row in zip(collection["features"], rows):
        props = feature["properties"]
        assert problems_of(props, {k for k, v in props.items() if is_number(v)}) == [], props["rank"]
        # the CSV, read as text, says the same
        assert problems_of(row, {k for k, v in row.items() if csv_number(v)}) == [], row["rank"]
        assert row["estimates"] == props["estimates"]


def test_the_check_fails_on_an_unclassified_number_and_on_an_estimate_left_unnamed(runs):
    props = dict(runs["mine"]["collection"]["features"][0]["properties"])
    numeric = {k for k, v in props.items() if is_number(v)}
    assert problems_of(props, numeric) == []
    assert problems_of({**props, "mystery_mw": 5.0}, numeric | {"mystery_mw"}) == [
        "mystery_mw: a number that is not classified (sitefinder/model/figures.py)"]
    fewer = {**props, "estimates": props["estimates"].replace("elevation_m; ", "")}
    assert problems_of(fewer, numeric) == ["elevation_m: an estimate the row's estimates list does not name"]
    more = {**props, "estimates": props["estimates"] + "; score"}
    assert problems_of(more, numeric) == ["score: named as an estimate but classified as ranking"]


def test_the_registry_is_explicit():
    assert all(f.kind in KINDS for f in FIGURES.values())
    assert all(f.basis.strip() for f in FIGURES.values())
    # the figures the issue names are estimates: with a range where their inputs have ends, else flagged without one
    ranged = ("hashrate_ph", "breakeven_hashprice_usd_per_ph_day", "breakeven_tariff_pkr_per_kwh", "tariff_pkr_per_kwh",
              "pue", "operating_hours_per_year", "margin_usd_per_year", "latency_ms_to_landing", "grid_distance_km")
    unranged = ("elevation_m", "town_distance_km", "large_city_distance_km", "connectivity_distance_km")
    assert all(FIGURES[n].estimate and FIGURES[n].ranged for n in ranged)
    assert all(FIGURES[n].estimate and not FIGURES[n].ranged for n in unranged)
    assert "no bound" in FIGURES["elevation_m"].basis  # says why there is no range
    assert figure_of("pue_low") is FIGURES["pue"] and figure_of("elevation_m_low") is None
    assert figure_of("contrib_grid_distance_km") is not None and figure_of("estimates") is None


@pytest.mark.parametrize("case", list(CASES))
def test_each_range_holds_its_figure(runs, case):
    table = runs[case]["table"]
    for name, fig in FIGURES.items():
        if not (fig.ranged and name in table):
            continue
        v, lo, hi = (table[c].to_numpy(float) for c in (name, name + LOW, name + HIGH))
        known = np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi)
        assert (lo[known] <= v[known] + 1e-6).all() and (v[known] <= hi[known] + 1e-6).all(), name


def test_the_mines_new_ranges_come_from_the_parameter_ranges(runs):
    table, meta = runs["mine"]["table"], runs["mine"]["collection"]["metadata"]
    params, mw = meta["economics"]["parameters"], meta["facility_mw"]
    eff_lo, eff_hi = params["efficiency_j_per_th"]["range"]
    assert table["hashrate_ph_high"].to_numpy() == pytest.approx(mw * 1e6 / eff_lo / 1000, abs=1e-3)
    assert table["hashrate_ph_low"].to_numpy() == pytest.approx(mw * 1e6 / eff_hi / 1000, abs=1e-3)
    t_lo, t_hi = params["tariff_pkr_per_kwh"]["range"]
    assert (table["tariff_pkr_per_kwh_low"] == t_lo).all() and (table["tariff_pkr_per_kwh_high"] == t_hi).all()
    # the break-even hashprice at the favourable end: the best PUE, the lowest tariff and J/TH, the most PKR per USD
    fx_hi = params["pkr_per_usd"]["range"][1]
    best = table["pue_low"] * t_lo / fx_hi * eff_lo * 24  # 24 x J/TH x PUE kWh per PH/s-day, at USD per kWh
    assert table["breakeven_hashprice_usd_per_ph_day_low"].to_numpy() == pytest.approx(best.to_numpy(), rel=2e-3)
    assert (table["breakeven_hashprice_usd_per_ph_day_high"] > table["breakeven_hashprice_usd_per_ph_day"]).all()
    # a user's hashprice has no range, but the other parameters still have theirs
    at_30 = runs["mine_at_30"]["table"]
    assert (at_30["breakeven_tariff_pkr_per_kwh_low"] < at_30["breakeven_tariff_pkr_per_kwh"]).all()


def test_a_mine_runs_no_hours_at_the_low_end_where_its_region_has_no_surplus_then(runs):
    table, mw = runs["mine"]["table"], runs["mine"]["collection"]["metadata"]["facility_mw"]
    short = (table["surplus_winter_mw_low"] < mw) & (table["surplus_summer_mw_low"] < mw)
    assert short.any()  # the built-in data: every region's low end is below 100 MW in some season
    assert (table.loc[short, "operating_hours_per_year_low"] == 0).all()
    assert (table["operating_hours_per_year_high"] <= HOURS_PER_YEAR).all()
    dc = runs["datacentre"]["table"]  # a firm load runs all year at both ends
    assert (dc[["operating_hours_per_year_low", "operating_hours_per_year_high"]] == HOURS_PER_YEAR).all().all()


def test_round_trips_scale_with_the_route_factor(runs):
    table, params = runs["datacentre"]["table"], runs["datacentre"]["collection"]["metadata"]["economics"]["parameters"]
    rf, (rf_lo, rf_hi) = params["route_factor"]["value"], params["route_factor"]["range"]
    for col in ("latency_ms_to_landing", "latency_ms_to_ix"):
        assert table[col + HIGH].to_numpy() == pytest.approx(table[col].to_numpy() * rf_hi / rf, abs=2e-3)
        assert table[col + LOW].to_numpy() == pytest.approx(table[col].to_numpy() * rf_lo / rf, abs=2e-3)


def test_a_regions_own_tariff_is_carried_without_a_range(runs):
    table = runs["own_layers"]["table"]
    assert (table["tariff_pkr_per_kwh_low"] == table["tariff_pkr_per_kwh"]).all()
    assert (table["tariff_pkr_per_kwh_high"] == table["tariff_pkr_per_kwh"]).all()


def test_the_metadata_says_how_every_figure_is_made(runs):
    meta, props = runs["mine"]["collection"]["metadata"], runs["mine"]["collection"]["features"][0]["properties"]
    figures = meta["figures"]
    for col, v in props.items():
        fig = figure_of(col)
        if is_number(v) and fig is not None and not col.startswith("contrib_"):
            assert figures[fig.name]["kind"] == fig.kind and figures[fig.name]["basis"] == fig.basis
    assert "contrib_<criterion>" in figures
    assert "no range" in meta["ranges"] and "hashrate_ph" in meta["ranges"]


# ------------------------------------------------------------------------------------------------
# The command line's table and headline


def table_lines(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("rank score")) + 2
    return [ln for ln in lines[start:] if re.match(r"^\s+\d+ ", ln)]


@pytest.mark.parametrize("case", ["mine", "datacentre"])
def test_the_table_shows_each_estimate_with_its_range(runs, case):
    stdout, rows = runs[case]["stdout"], runs[case]["rows"]
    lines = table_lines(stdout)
    assert len(lines) == len(rows) == 20
    money = ("margin_usd_per_year", 1e6, ",.1f") if case == "mine" else ("cost_usd_per_mwh", 1.0, ",.1f")
    for line, row in zip(lines, rows):
        for col, scale, fmt in (("grid_distance_km", 1.0, ".1f"), ("region_surplus_mw", 1.0, ",.0f"),
                                ("hours_above_35c", 1.0, ",.0f"), money):
            v, lo, hi = (float(row[c]) / scale for c in (col, col + LOW, col + HIGH))
            cell = compact_estimate(v, lo, hi, fmt)
            assert re.search(r"\d \(", cell) and cell in line, (col, cell, line)


def squash(text: str) -> str:
    return " ".join(text.split())


def test_the_headline_says_when_no_site_makes_money_with_the_break_even_figures(runs):
    run = runs["mine_at_30"]
    table, meta = run["table"], run["collection"]["metadata"]
    assert (table["margin_usd_per_year"] < 0).all()  # what the headline claims, from the file itself
    headline = margin_headline(table, meta["economics"])
    assert headline is not None and headline.loses_everywhere
    text = headline.text
    assert text.startswith("None of the 20 shortlisted sites earns more than its power costs at the central figures "
                           "(a hashprice of USD 30 per PH/s per day, a tariff of Rs 22.98/kWh): every one would lose money.")
    be = table["breakeven_hashprice_usd_per_ph_day"]
    assert f"USD {be.min():,.1f}-{be.max():,.1f} per PH/s per day" in text
    bt = table["breakeven_tariff_pkr_per_kwh"]
    assert f"Rs {bt.min():,.2f}-{bt.max():,.2f}/kWh" in text
    # the command line leads with it, and the brief too: the one function's words
    assert squash("WARNING: " + text) in squash(run["stdout"])
    assert f"<p class='headline loses'>{html.escape(text)}</p>" in run["brief"]


def test_the_headline_counts_the_sites_that_make_money(runs):
    run = runs["mine"]
    table = run["table"]
    headline = margin_headline(table, run["collection"]["metadata"]["economics"])
    assert headline is not None
    making = int((table["margin_usd_per_year"] > 0).sum())
    assert headline.loses_everywhere == (making == 0)
    if 0 < making < 20:
        assert headline.text.startswith(f"{making} of the 20 shortlisted sites earn")
    assert squash(headline.text) in squash(run["stdout"]) and html.escape(headline.text) in run["brief"]
    assert "WARNING" not in run["stdout"] or making == 0
    # a data centre earns nothing here: no headline, and none printed
    assert margin_headline(runs["datacentre"]["table"], load_profile("ai_datacenter").economics) is None
    assert "power costs" not in runs["datacentre"]["stdout"]


# ------------------------------------------------------------------------------------------------
# The headline's core function on small tables


def _sites(margin: list[float], **extra: list[float]) -> pd.DataFrame:
    n = len(margin)
    base = {"margin_usd_per_year": margin, "margin_usd_per_year_low": [m - 5e6 for m in margin],
            "margin_usd_per_year_high": [m + 5e6 for m in margin], "tariff_pkr_per_kwh": [22.98] * n,
            "breakeven_hashprice_usd_per_ph_day": [40.0 + i for i in range(n)],
            "breakeven_tariff_pkr_per_kwh": [22.0 - i / 10 for i in range(n)]}
    base.update(extra)
    return pd.DataFrame(base)


MINE = load_profile("bitcoin_mine").economics


def test_the_headline_in_each_case():
    none = margin_headline(_sites([-1e6, -2e6, -3e6]), MINE)
    assert none is not None and none.loses_everywhere
    assert none.text == ("None of the 3 shortlisted sites earns more than its power costs at the central figures (a "
                         f"hashprice of USD {MINE['hashprice_usd_per_ph_day']:g} per PH/s per day, a tariff of Rs "
                         "22.98/kWh): every one would lose money. They break even at a hashprice of USD 40.0-42.0 per "
                         "PH/s per day, or a tariff of Rs 21.80-22.00/kWh. At the favourable end of every range, 3 of 3 "
                         "would make a margin. The margin leaves out the capital cost.")
    some = margin_headline(_sites([6e6, -1e6, -2e6]), MINE)
    assert some is not None and not some.loses_everywhere
    assert some.text.startswith("1 of the 3 shortlisted sites earns more than its power costs")
    assert "the others would lose money" in some.text and "unfavourable end of every range, 1 of 3" in some.text
    every = margin_headline(_sites([6e6, 7e6]), MINE)
    assert every is not None and every.text.startswith("All 2 shortlisted sites earn more than their power costs")
    one = margin_headline(_sites([-1e6]), MINE)
    assert one is not None and one.text.startswith("The shortlisted site does not earn") and "It breaks even" in one.text
    # a site whose margin is unknown is not said to lose money; break-evens that are unknown are left out
    unknown = margin_headline(_sites([np.nan, -1e6], breakeven_hashprice_usd_per_ph_day=[np.nan, np.nan]), MINE)
    assert unknown is not None and unknown.loses_everywhere
    assert "lose money" not in unknown.text and "break even" not in unknown.text
    assert margin_headline(_sites([]), MINE) is None
    assert margin_headline(_sites([-1e6]), load_profile("ai_datacenter").economics) is None


def test_the_card_shows_the_new_ranges_and_never_a_made_up_zero():
    row = {"hashrate_ph": 5714.3, "hashrate_ph_low": 3546.1, "hashrate_ph_high": 7407.4,
           "breakeven_tariff_pkr_per_kwh": 22.8, "breakeven_tariff_pkr_per_kwh_low": 7.8,
           "breakeven_tariff_pkr_per_kwh_high": 50.6, "tariff_pkr_per_kwh": 30.0, "tariff_pkr_per_kwh_low": 30.0,
           "tariff_pkr_per_kwh_high": 30.0, "operating_hours_per_year": 8760.0, "operating_hours_per_year_low": 0.0,
           "operating_hours_per_year_high": 8760.0}
    lines = dict(figure_lines(row, MINE))
    assert lines["Hashrate"] == "5,714 PH/s (estimate, 3,546-7,407)"
    assert lines["Break-even tariff"] == "22.80 PKR/kWh (estimate, 7.80-50.60)"
    assert lines["Tariff"] == "30.00 PKR/kWh"  # a tariff you set: no range to show
    assert lines["Runs"] == "8,760 h a year (all year); 0-8,760 h at the low and high ends of the surplus"
    assert lines["Break-even hashprice"].startswith("unknown")  # not in the row: unknown, not 0
