"""``sitefinder programme``: share a MW target out over sites, drawing on regions' surplus and nodes' headroom."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TextIO

from sitefinder.cli.common import add_setting_options, run_files, scenario_json
from sitefinder.cli.data_options import add_data_options, start_run
from sitefinder.cli.file_options import output_file
from sitefinder.model.ranges import number_text
from sitefinder.model.settings import settings_for
from sitefinder.programme.run import Programme, make_programme
from sitefinder.register.states import BOOKED
from sitefinder.report.files import RunResult, write_run_files

PROGRAMME_SETTINGS = settings_for("programme")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``programme``: the ranking's settings, the programme's rules, outputs and the data options."""
    r = subparsers.add_parser(
        "programme", help="share a MW target out over sites the grid can serve (a ledger of surplus and headroom)",
        description="Take sites in score order; each draws its MW from its zone's surplus (month by month; the "
                    "regions of a network zone share it) "
                    "and its grid node's headroom, which are used up; a site may be smaller (down to --min-mw) to fit "
                    "what is left; sites keep --min-spacing-km apart. Stops at --target-mw or when nothing more fits, "
                    "and says which. Also reports what is firm at the low end of the surplus estimates.")
    add_setting_options(r, PROGRAMME_SETTINGS)
    r.add_argument("--out", type=output_file("programme (GeoJSON)"), metavar="FILE",
                   help="write the programme's sites as GeoJSON to this file")
    r.add_argument("--csv", type=output_file("programme (CSV)"), metavar="FILE", help="write the programme's sites as CSV to this file")
    r.add_argument("--report", type=output_file("brief (HTML)"), metavar="BRIEF.html",
                   help="write a self-contained brief (map, table, a card per site, assumptions, sources) that prints to PDF")
    add_data_options(r)
    return r


def _mw(v: object) -> str:
    return number_text(v, ",.0f", unknown="-")


def print_programme(p: Programme, out: TextIO = sys.stdout) -> None:
    """The programme for a terminal: each site's MW, what limited it, when it runs, and the ledger."""
    head = (f"{'#':>3} {'MW':>6} {'at low':>6}  {'limited by':<15} {'runs':<14} {'site':<24} {'connection point':<34} "
            f"{'zone':<11} {'left':>6}")
    print(head, file=out)
    print("-" * len(head), file=out)
    for _, r in p.table.iterrows():
        place = ", ".join(str(v) for v in (r.get("district"), r.get("province")) if isinstance(v, str)) or r["candidate_id"]
        print(f"{int(r['rank']):>3} {_mw(r['placed_mw']):>6} {_mw(r['placed_mw_at_low']):>6}  {r['binding_limit']:<15} "
              f"{r['months_running'][:14]:<14} {place[:24]:<24} {str(r['grid_node'])[:34]:<34} "
              f"{str(r.get('zone') or r['region'])[:11]:<11} "
              f"{_mw(r['region_surplus_left_mw']):>6}", file=out)
    if len(p.pools):
        print("\nSurplus drawn on, by network zone (or supply region outside every zone), MW: winter start -> left, "
              "summer start -> left", file=out)
        for _, r in p.pools.iterrows():
            print(f"  {str(r['name'])[:40]:<40} {r['sites']:>3} site(s) {_mw(r['placed_mw']):>6} MW   winter "
                  f"{_mw(r['surplus_winter_start_mw'])} -> {_mw(r['surplus_winter_left_mw'])}   summer "
                  f"{_mw(r['surplus_summer_start_mw'])} -> {_mw(r['surplus_summer_left_mw'])}", file=out)
    if len(p.nodes):
        print("\nGrid nodes drawn on (MW): headroom start -> left", file=out)
        for _, r in p.nodes.iterrows():
            print(f"  {str(r['grid_node'])[:48]:<48} {r['sites']:>2} site(s) {_mw(r['placed_mw']):>6} MW   "
                  f"{_mw(r['headroom_start_mw'])} -> {_mw(r['headroom_left_mw'])} ({r['headroom_basis']})", file=out)


def run(args: argparse.Namespace) -> int:
    """Place the programme's sites, print it and its ledger, write the files asked for."""
    say, scenario, profile, study = start_run(args)
    if args.from_ledger:  # propose the rest of the target, on top of what is booked
        booked = sum(a.mw for a in args.booked if a.state in BOOKED)
        rest = max(0.0, scenario.target_mw - booked)
        print(f"\nThe register has {booked:,.0f} MW booked; proposing the rest of the {scenario.target_mw:,.0f} MW "
              f"target: {rest:,.0f} MW.")
        scenario = dataclasses.replace(scenario, target_mw=rest)
    p = make_programme(study, scenario, profile)
    rules = p.rules
    print(f"\n{profile.title}, sites of {rules.smallest:g}-{rules.unit_mw:g} MW, target {rules.target_mw:,.0f} MW, "
          f"{profile.season.replace('_', '-')} surplus; runs: {rules.months_rule(profile.season)}; "
          f"{rules.headroom_rule()}\n")
    print(p.summary)
    print(p.network_text + "\n")
    if len(p.table):
        print_programme(p)
    write_run_files(run_files(args), RunResult(p.frame, p.metadata, study.dataset, "programme", profile.title),
                    scenario_json=scenario_json(scenario), say=say)
    print("\nSurplus is an estimate (low-high ranges in the data README); 'at low' is each site's MW when every "
          "region's surplus is at the low end of its range.")
    return 0
