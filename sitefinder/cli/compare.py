"""``sitefinder compare A.json B.json``: two saved scenarios side by side."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import pandas as pd

from sitefinder.cli.common import SCENARIO_IN, check_consistent, profile_for, progress, read_scenario_file
from sitefinder.cli.file_options import DATA_FOLDER, output_file
from sitefinder.data.dataset import default_data_dir, load_dataset
from sitefinder.rank.shortlist import make_shortlist
from sitefinder.rank.study import Study
from sitefinder.report.compare import Comparison, compare_shortlists
from sitefinder.report.files import RunFiles, write_run_files

COMPARISON = "comparison"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compare``: two scenario files (as the app saves them)."""
    r = subparsers.add_parser("compare", help="compare two saved scenarios: settings, sites that enter or leave, ranks",
                              description="Rank the data under two scenario files (saved by the app or with "
                                          "--save-scenario) and print which settings differ, which sites enter or leave "
                                          "the shortlist, and how ranks and scores move.")
    r.add_argument("a", type=SCENARIO_IN, metavar="A.json", help="the first scenario (the reference)")
    r.add_argument("b", type=SCENARIO_IN, metavar="B.json", help="the second scenario")
    r.add_argument("--csv", type=output_file("comparison (CSV)"), metavar="FILE", help="write the site-by-site comparison as CSV")
    r.add_argument("--data", type=DATA_FOLDER, metavar="DIR",
                   help="dataset folder with a dataset.toml (default: built-in Pakistan data)")
    r.add_argument("--quiet", action="store_true", help="no progress messages")
    return r


def print_comparison(c: Comparison, out: TextIO = sys.stdout) -> None:
    """The comparison for a terminal."""
    if len(c.settings):
        print("Settings that differ:", file=out)
        for _, r in c.settings.iterrows():
            print(f"  {r['setting']:<46} A: {r['A']:<22} B: {r['B']}", file=out)
    else:
        print("The two scenarios have the same settings.", file=out)
    print(f"\n{c.summary()}\n", file=out)
    head = f"{'A':>4} {'B':>4}  {'change':<11} {'score A':>7} {'score B':>7}  {'site':<28} connection point"
    print(head, file=out)
    print("-" * (len(head) + 24), file=out)
    for _, r in c.table.iterrows():
        ra = "-" if pd.isna(r["rank_a"]) else str(int(r["rank_a"]))
        rb = "-" if pd.isna(r["rank_b"]) else str(int(r["rank_b"]))
        sa = "-" if pd.isna(r["score_a"]) else f"{r['score_a']:.1f}"
        sb = "-" if pd.isna(r["score_b"]) else f"{r['score_b']:.1f}"
        print(f"{ra:>4} {rb:>4}  {r['change']:<11} {sa:>7} {sb:>7}  {str(r['place'])[:28]:<28} {str(r['grid_node'])[:40]}",
              file=out)


def run(args: argparse.Namespace) -> int:
    """Rank under both scenarios and print what changes."""
    say = progress(args.quiet)
    a, b = read_scenario_file(args.a), read_scenario_file(args.b)
    profiles = [profile_for(scenario) for scenario in (a, b)]
    for scenario, profile in zip((a, b), profiles):
        check_consistent(scenario, profile, "rank")
    dataset = load_dataset(args.data or default_data_dir())
    studies: dict[int, Study] = {}
    shortlists = []
    for scenario, profile in zip((a, b), profiles):
        study = studies.setdefault(scenario.resolution, Study.on_h3(dataset, scenario.resolution, progress=say))
        shortlists.append(make_shortlist(study, scenario, profile))
    comparison = compare_shortlists(shortlists[0], shortlists[1], a, b)
    print(f"A: {args.a}\nB: {args.b}\n")
    print_comparison(comparison)
    write_run_files(RunFiles(tables={COMPARISON: args.csv} if args.csv else None),
                    tables={COMPARISON: comparison.table}, say=say)
    return 0
