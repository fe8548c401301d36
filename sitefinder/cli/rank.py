"""``sitefinder rank``: rank candidates and write the shortlist."""

from __future__ import annotations

import argparse
import sys
import textwrap

import pandas as pd

from sitefinder.cli.common import add_setting_options, run_files, scenario_json
from sitefinder.cli.data_options import add_data_options, start_run
from sitefinder.cli.file_options import output_file
from sitefinder.economics.text import margin_headline
from sitefinder.model.ranges import compact_estimate, finite, high, low, number_text
from sitefinder.model.settings import settings_for
from sitefinder.rank.shortlist import make_shortlist
from sitefinder.report.files import RunResult, write_run_files

RANK_SETTINGS = settings_for("rank")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``rank``: the settings from the settings table, then where the data and the output go."""
    r = subparsers.add_parser("rank", help="rank candidate sites and write a shortlist",
                              description="Rank candidate sites and write the shortlist. Settings come from the "
                                          "settings table (the same bounds and defaults as the app).")
    add_setting_options(r, RANK_SETTINGS)
    r.add_argument("--out", type=output_file("shortlist (GeoJSON)"), metavar="FILE", help="write the shortlist as GeoJSON to this file")
    r.add_argument("--csv", type=output_file("shortlist (CSV)"), metavar="FILE", help="write the shortlist as CSV to this file")
    r.add_argument("--report", type=output_file("brief (HTML)"), metavar="BRIEF.html",
                   help="write a self-contained brief (map, table, a card per site, assumptions, sources) that prints to PDF")
    add_data_options(r)
    return r


def _fmt(value: object, spec: str) -> str:
    return number_text(value, spec, unknown="?")


# The estimates the table shows, each with its range: (column, heading, format, width).
ESTIMATE_COLUMNS = (
    ("grid_distance_km", "km to node", ".1f", 15),
    ("region_surplus_mw", "surplus MW", ",.0f", 17),
    ("hours_above_35c", "h>35°C", ",.0f", 17),
    ("margin_usd_per_year", "margin USD M/yr", ",.1f", 22),   # a mine
    ("cost_usd_per_mwh", "USD/MWh", ",.1f", 20),              # a data centre (a mine shows its margin)
)
MILLIONS = ("margin_usd_per_year",)


def _shown_estimates(table: pd.DataFrame) -> list[tuple[str, str, str, int]]:
    cols = [c for c in ESTIMATE_COLUMNS if c[0] in table]
    if "margin_usd_per_year" in table:
        cols = [c for c in cols if c[0] != "cost_usd_per_mwh"]
    return cols


def _estimate_cell(r: pd.Series, column: str, spec: str) -> str:
    scale = 1e6 if column in MILLIONS else 1.0
    v, lo, hi = (finite(r.get(c)) for c in (column, low(column), high(column)))
    v, lo, hi = (None if x is None else x / scale for x in (v, lo, hi))
    return compact_estimate(v, lo, hi, spec)


def print_table(table: pd.DataFrame, out=sys.stdout) -> None:
    """A readable ranked table for a terminal: every estimate with its range in brackets, "1,234 (900-1,500)"."""
    shown = _shown_estimates(table)
    head = (f"{'rank':>4} {'score':>5}  {'site':<24} {'connection point':<30} {'kV':>4} "
            + " ".join(f"{label:>{width}}" for _, label, _, width in shown) + "  gaps")
    print(head, file=out)
    print("-" * len(head), file=out)
    for _, r in table.iterrows():
        place = ", ".join(str(v) for v in (r.get("district"), r.get("province")) if v is not None and not pd.isna(v)) or r["candidate_id"]
        node = str(r["grid_node"] or "")
        node = node if len(node) <= 30 else node[:29] + "…"
        cells = " ".join(f"{_estimate_cell(r, col, spec):>{width}}" for col, _, spec, width in shown)
        print(f"{r['rank']:>4} {r['score']:>5.1f}  {place[:24]:<24} {node:<30} {_fmt(r['grid_voltage_kv'], '.0f'):>4} "
              f"{cells}  {r['data_gaps'] or '-'}", file=out)


def run(args: argparse.Namespace) -> int:
    """Rank and print the shortlist; write it where --out / --csv say."""
    say, scenario, profile, study = start_run(args)
    short = make_shortlist(study, scenario, profile)
    matrix, result, table = short.matrix, short.result, short.table
    say(f"scored {len(matrix):,} candidates: {result.n_feasible:,} pass the constraints")

    print(f"\n{profile.title}, {profile.facility_mw:g} MW, {profile.season.replace('_', '-')} surplus - "
          f"{result.n_feasible:,} of {len(matrix):,} candidates pass the constraints\n")
    headline = margin_headline(table, profile.economics)
    if headline is not None:
        print(textwrap.fill(("WARNING: " if headline.loses_everywhere else "") + headline.text, width=110) + "\n")
    if len(table):
        print_table(table)
    else:
        print("No candidate passes the constraints. Excluded by:")
    if not len(table) or scenario.top > len(table):
        for label, count in result.failure_counts().items():
            print(f"  {count:>8,}  {label}")
    write_run_files(run_files(args), RunResult(short.frame, short.metadata, study.dataset, "shortlist", profile.title),
                    scenario_json=scenario_json(scenario), say=say)
    print("\n" + textwrap.fill(
        "In brackets: the low-high range of each estimate (km to node: -/+ the node's location error; surplus: the "
        "region layer's ends; hours above 35 °C: the interpolation's error; money: every cost-model input at its "
        "ends, the running months at the central surplus). Each row of the GeoJSON/CSV names its estimates in "
        "'estimates' and carries <name>_low/_high where a range is known; the metadata's 'figures' says how each "
        "figure is made. Grid headroom is unknown unless the grid layer gives it.", width=110))
    return 0
