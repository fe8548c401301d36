"""``sitefinder rank``: rank candidates and write the shortlist."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from sitefinder.cli.common import add_setting_options, run_files, scenario_json
from sitefinder.cli.data_options import add_data_options, start_run
from sitefinder.cli.file_options import output_file
from sitefinder.model.ranges import number_text
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


def print_table(table: pd.DataFrame, out=sys.stdout) -> None:
    """A readable ranked table for a terminal."""
    head = f"{'rank':>4} {'score':>5}  {'site':<28} {'connection point':<34} {'kV':>4} {'km':>5} {'surplus MW':>10} {'h>35°C':>6}  gaps"
    print(head, file=out)
    print("-" * len(head), file=out)
    for _, r in table.iterrows():
        place = ", ".join(str(v) for v in (r.get("district"), r.get("province")) if v is not None and not pd.isna(v)) or r["candidate_id"]
        node = str(r["grid_node"] or "")
        node = node if len(node) <= 34 else node[:33] + "…"
        print(f"{r['rank']:>4} {r['score']:>5.1f}  {place[:28]:<28} {node:<34} {_fmt(r['grid_voltage_kv'], '.0f'):>4} "
              f"{_fmt(r['grid_distance_km'], '.1f'):>5} {_fmt(r['region_surplus_mw'], ',.0f'):>10} "
              f"{_fmt(r.get('hours_above_35c'), '.0f'):>6}  {r['data_gaps'] or '-'}", file=out)


def run(args: argparse.Namespace) -> int:
    """Rank and print the shortlist; write it where --out / --csv say."""
    say, scenario, profile, study = start_run(args)
    short = make_shortlist(study, scenario, profile)
    matrix, result, table = short.matrix, short.result, short.table
    say(f"scored {len(matrix):,} candidates: {result.n_feasible:,} pass the constraints")

    print(f"\n{profile.title}, {profile.facility_mw:g} MW, {profile.season.replace('_', '-')} surplus - "
          f"{result.n_feasible:,} of {len(matrix):,} candidates pass the constraints\n")
    if len(table):
        print_table(table)
    else:
        print("No candidate passes the constraints. Excluded by:")
    if not len(table) or scenario.top > len(table):
        for label, count in result.failure_counts().items():
            print(f"  {count:>8,}  {label}")
    write_run_files(run_files(args), RunResult(short.frame, short.metadata, study.dataset, "shortlist", profile.title),
                    scenario_json=scenario_json(scenario), say=say)
    print("\nSurplus, climate and flood values are estimates; see data/pakistan/README.md. Grid headroom is "
          "unknown unless the grid layer gives it.")
    return 0
