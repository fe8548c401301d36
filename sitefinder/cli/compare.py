"""``sitefinder compare A.json B.json``: two saved scenarios side by side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

from sitefinder.cli.common import progress
from sitefinder.data.dataset import default_data_dir, load_dataset
from sitefinder.errors import Problem, ProfileError
from sitefinder.model.profiles import load_profile
from sitefinder.model.scenario import Scenario
from sitefinder.rank.shortlist import make_shortlist
from sitefinder.rank.study import Study
from sitefinder.report.compare import Comparison, compare_shortlists


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compare``: two scenario files (as the app saves them)."""
    r = subparsers.add_parser("compare", help="compare two saved scenarios: settings, sites that enter or leave, ranks",
                              description="Rank the data under two scenario files (saved by the app or with "
                                          "--save-scenario) and print which settings differ, which sites enter or leave "
                                          "the shortlist, and how ranks and scores move.")
    r.add_argument("a", type=Path, metavar="A.json", help="the first scenario (the reference)")
    r.add_argument("b", type=Path, metavar="B.json", help="the second scenario")
    r.add_argument("--csv", type=Path, help="write the site-by-site comparison as CSV")
    r.add_argument("--data", type=Path, help="dataset folder with a dataset.toml (default: built-in Pakistan data)")
    r.add_argument("--quiet", action="store_true", help="no progress messages")
    return r


def _read(path: Path) -> Scenario:
    if not path.is_file():
        raise ProfileError(str(path), [Problem(str(path), "no such scenario file.",
                                               "Give the path of a file saved with 'Save scenario' or --save-scenario.")])
    scenario, problems = Scenario.from_json(path.read_bytes(), source=str(path))
    if problems:
        raise ProfileError(str(path), problems, summary=f"{path}: {len(problems)} setting(s) cannot be used")
    return scenario


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
    a, b = _read(args.a), _read(args.b)
    dataset = load_dataset(args.data or default_data_dir())
    studies: dict[int, Study] = {}
    shortlists = []
    for scenario in (a, b):
        study = studies.setdefault(scenario.resolution, Study.on_h3(dataset, scenario.resolution, progress=say))
        shortlists.append(make_shortlist(study, scenario, scenario.apply(load_profile(scenario.profile))))
    comparison = compare_shortlists(shortlists[0], shortlists[1], a, b)
    print(f"A: {args.a}\nB: {args.b}\n")
    print_comparison(comparison)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        args.csv.write_text(comparison.table.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
        say(f"wrote the comparison to {args.csv}")
    return 0
