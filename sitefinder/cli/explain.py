"""``sitefinder explain LON LAT``: why a place is (or is not) a good site, value by value."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from sitefinder.cli.common import (
    add_setting_options,
    check_consistent,
    profile_for,
    progress,
    run_files,
    scenario_from_args,
    scenario_json,
)
from sitefinder.cli.data_options import (
    add_grid_model_options,
    add_ledger_options,
    booked_lines,
    check_grid_model_options,
    check_ledger_options,
    read_grid_model_option,
    with_grid_model,
    with_ledger,
)
from sitefinder.cli.file_options import DATA_FOLDER
from sitefinder.data.dataset import default_data_dir, load_dataset
from sitefinder.model.settings import settings_for
from sitefinder.rank.study import Study
from sitefinder.report.explain import RankLookup, check_point, explain_point
from sitefinder.report.files import write_run_files

EXPLAIN_SETTINGS = settings_for("explain")


def _coordinate(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number in decimal degrees (e.g. 67.1)") from None


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``explain`` on the ``sitefinder`` command line (called from ``cli.build_parser``)."""
    p = subparsers.add_parser("explain", help="why not here? every value, range, source and rule at one point",
                              description="Explain one place (WGS84 longitude and latitude in decimal degrees): its "
                                          "region, every criterion with its unit, range and source, every constraint "
                                          "with its verdict, its score and rank, and the nearest grid nodes.")
    p.add_argument("lon", type=_coordinate, metavar="LON", help="longitude, decimal degrees east (e.g. 67.1)")
    p.add_argument("lat", type=_coordinate, metavar="LAT", help="latitude, decimal degrees north (e.g. 24.9)")
    add_setting_options(p, EXPLAIN_SETTINGS)
    p.add_argument("--data", type=DATA_FOLDER, metavar="DIR", help="dataset folder (default: built-in Pakistan data)")
    add_grid_model_options(p)
    add_ledger_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the explanation of one point (text, or one JSON object with --json)."""
    out = out or sys.stdout
    lon, lat = check_point(args.lon, args.lat)
    scenario = scenario_from_args(args)
    profile = profile_for(scenario)
    check_consistent(scenario, profile, "explain")
    check_grid_model_options(args)
    check_ledger_options(args)
    say = progress(False)  # on stderr, and only about a grid model: standard output is the answer alone
    grid = read_grid_model_option(args, say)
    dataset = with_grid_model(load_dataset(args.data or default_data_dir()), grid, args, say)
    if args.from_ledger:
        dataset = with_ledger(dataset, args, say)
    study = Study.on_h3(dataset, scenario.resolution)
    _, result = study.rank(profile)
    explanation = explain_point(dataset, lon, lat, profile, ranking=RankLookup(study.candidates, result))
    if args.from_ledger:
        explanation.booked = booked_lines(args.booked, explanation)
    if args.json:
        json.dump(explanation.to_dict(), out, ensure_ascii=False, indent=2, allow_nan=False)
        out.write("\n")
    else:
        out.write(explanation.to_text())
    write_run_files(run_files(args), scenario_json=scenario_json(scenario))
    return 0
