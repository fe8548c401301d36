"""``sitefinder robustness``: how robust the shortlist is, and which missing figure to ask for first."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import pandas as pd

from sitefinder.cli.common import add_setting_options, run_files, scenario_json
from sitefinder.cli.data_options import add_data_options, start_run
from sitefinder.cli.file_options import output_file
from sitefinder.errors import ContradictionError, Problem
from sitefinder.model.settings import settings_for
from sitefinder.report.files import RunResult, write_run_files
from sitefinder.robustness.run import RobustRun, run_robustness

ROBUSTNESS_SETTINGS = settings_for("robustness")
VOI_SHOWN = 15
VOI_TABLE = "value-of-information table"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``robustness``: the ranking's settings, the draws' settings, outputs and the data options."""
    r = subparsers.add_parser(
        "robustness", help="rank over many draws of the weights and the estimates: how robust is each site?",
        description="Redo the ranking for many draws of the weights (Dirichlet around yours) and of every estimated "
                    "figure within its range, and report for each site how often it passes the constraints (p_feasible), "
                    "how often it is shortlisted (p_top_n) and its rank interval (rank_p05, rank_p50, rank_p95). The "
                    "same seed gives the same output, byte for byte. Settings come from the settings table.")
    add_setting_options(r, ROBUSTNESS_SETTINGS)
    r.add_argument("--voi", action="store_true",
                   help="also work out the value of information: which uncertain figure moves the shortlist most "
                        "(printed, and written into the metadata)")
    r.add_argument("--out", type=output_file("robust shortlist (GeoJSON)"), metavar="FILE",
                   help="write the robust shortlist as GeoJSON to this file")
    r.add_argument("--csv", type=output_file("robust shortlist (CSV)"), metavar="FILE",
                   help="write the robust shortlist as CSV to this file")
    r.add_argument("--voi-csv", type=output_file("value-of-information table (CSV)"), metavar="FILE",
                   help="write the value-of-information table as CSV (needs --voi)")
    add_data_options(r)
    return r


def _place(value: object) -> str:
    return "-" if value is None or pd.isna(value) else f"{int(value)}"  # type: ignore[call-overload]


def print_robust(run: RobustRun, out: TextIO = sys.stdout) -> None:
    """The robust shortlist for a terminal: place, how often shortlisted, rank interval, where."""
    head = (f"{'rank':>4} {'ordinary':>8} {'p_top_n':>7} {'node':>5} {'p_feas':>6} {'rank 5-50-95%':>14}  "
            f"{'site':<26} connection point")
    print(head, file=out)
    print("-" * (len(head) + 20), file=out)
    for _, r in run.table.iterrows():
        place = ", ".join(str(v) for v in (r.get("district"), r.get("province")) if isinstance(v, str)) or r["candidate_id"]
        interval = f"{_place(r['rank_p05'])}-{_place(r['rank_p50'])}-{_place(r['rank_p95'])}"
        node = str(r["grid_node"] or "")
        print(f"{_place(r['rank']):>4} {_place(r['central_rank']):>8} {r['p_top_n']:>7.1%} {r['p_node_top_n']:>5.0%} "
              f"{r['p_feasible']:>6.0%} {interval:>14}  {place[:26]:<26} {node[:40]}", file=out)


def print_voi(run: RobustRun, out: TextIO = sys.stdout) -> None:
    """The figures to ask for first, most first."""
    table = run.voi_table()
    moving = table[table["expected_changes"] > 0]
    print(f"\nFigures to ask for first ({len(moving)} of {len(table)} uncertain figures can change the shortlist of "
          f"{run.engine.top}; expected sites changed, most at any point):", file=out)
    for i, r in enumerate(moving.head(VOI_SHOWN).itertuples(), start=1):
        decides = str(r.decides).split("; ")
        shown = "; ".join(decides[:3]) + (f"; and {len(decides) - 3} more" if len(decides) > 3 else "")
        print(f"{i:>3}. {r.figure}  [{r.kind}]\n       now: {r.now}\n       changes {r.expected_changes:.2f} site(s) on "
              f"average ({r.expected_node_changes:.2f} grid node(s)), up to {r.most_changes}: {shown}\n"
              f"       ask: {r.ask}", file=out)
    if len(moving) > VOI_SHOWN:
        print(f"     ... {len(moving) - VOI_SHOWN} more in the metadata (--out) or --voi-csv", file=out)
    if not len(moving):
        print("     none: no uncertain figure, moved alone across its range, changes the shortlist", file=out)


def run(args: argparse.Namespace) -> int:
    """Run the draws, print the robust shortlist (and the value of information), write the files asked for."""
    if args.voi_csv is not None and not args.voi:
        raise ContradictionError("--voi-csv", [Problem(f"--voi-csv {args.voi_csv}", "asks for the value-of-information "
                                                       "table, but --voi (which makes it) is not given.",
                                                       "Add --voi, or leave --voi-csv out.")])
    say, scenario, profile, study = start_run(args)
    last = [-1]

    def tell(share: float, message: str) -> None:
        tenth = int(share * 10)
        if tenth != last[0]:
            last[0] = tenth
            say(f"{share:4.0%} {message}")

    result = run_robustness(study, scenario, profile, voi=bool(args.voi), progress=tell)
    s = result.settings
    print(f"\n{profile.title}, {profile.facility_mw:g} MW, {profile.season.replace('_', '-')} surplus: {s.draws:,} draws "
          f"(seed {s.seed}; weight spread {s.weight_spread:g} %; estimates {s.data_spread}; unknown headroom "
          f"{'left unknown' if s.headroom_range is None else f'{s.headroom_range[0]:g}-{s.headroom_range[1]:g} MW'})\n")
    if len(result.table):
        print_robust(result)
    else:
        print("No candidate passes the constraints in any draw.")
    if args.voi:
        print_voi(result)
    write_run_files(run_files(args, {VOI_TABLE: "voi_csv"}),
                    RunResult(result.frame, result.metadata, study.dataset, "shortlist", profile.title),
                    scenario_json=scenario_json(scenario), tables={VOI_TABLE: result.voi_table()} if args.voi else None,
                    say=say)
    print("\np_top_n: share of draws in which the site is shortlisted; node: share in which its grid node has a site "
          "shortlisted; rank 5-50-95%: the place it reaches or beats in 5, 50 and 95 % of draws ('-': beyond the "
          "places tracked, or not shortlisted that often). What they mean and do not mean: the docs, Methods, "
          "Robustness (docs/methods/robustness.md).")
    return 0
