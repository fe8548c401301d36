"""``sitefinder explain LON LAT``: why a place is (or is not) a good site, value by value."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from ..analysis import Study
from ..candidates import MAX_RESOLUTION, MIN_RESOLUTION
from ..criteria import SEASONS
from ..dataset import default_data_dir, load_dataset
from ..explain import RankLookup, check_point, explain_point
from ..profiles import load_profile
from ..scenario import Scenario


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
    p.add_argument("--profile", default="bitcoin_mine", help="built-in profile name or a profile .toml file (default: bitcoin_mine)")
    p.add_argument("--mw", type=float, help="facility size in MW (default: the profile's)")
    p.add_argument("--season", choices=SEASONS, help="which season's surplus counts (default: the profile's)")
    p.add_argument("--resolution", type=int, default=6, choices=range(MIN_RESOLUTION, MAX_RESOLUTION + 1), metavar="5..8",
                   help="H3 resolution of the ranking the point's cell is ranked in (default: 6)")
    p.add_argument("--data", help="dataset folder (default: built-in Pakistan data)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    lon, lat = check_point(args.lon, args.lat)
    profile = Scenario(profile=args.profile, mw=args.mw, season=args.season).apply(load_profile(args.profile))
    dataset = load_dataset(args.data or default_data_dir())
    study = Study.on_h3(dataset, args.resolution)
    _, result = study.rank(profile)
    explanation = explain_point(dataset, lon, lat, profile, ranking=RankLookup(study.candidates, result))
    if args.json:
        json.dump(explanation.to_dict(), out, ensure_ascii=False, indent=2, allow_nan=False)
        out.write("\n")
    else:
        out.write(explanation.to_text())
    return 0
