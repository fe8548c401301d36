"""The ``sitefinder`` command line: a thin shell over the core package.

    sitefinder rank --profile bitcoin_mine --mw 100 --top 20 --out shortlist.geojson [--csv shortlist.csv]
    sitefinder profiles
    sitefinder layers [--data DIR]
    sitefinder build-data
    sitefinder explain LON LAT [--profile P] [--json]

Bad arguments and bad files exit with status 2 and a message saying what is wrong and what is allowed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from . import __version__
from .candidates import MAX_RESOLUTION, MIN_RESOLUTION
from .criteria import CRITERIA, SEASONS
from .errors import SitefinderError

DEFAULT_RESOLUTION = 6
DEFAULT_MAX_PER_NODE = 2


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0 or value > 10_000:
        raise argparse.ArgumentTypeError(f"{text} MW is not allowed: give a positive size up to 10,000 MW")
    return value


def _int_range(lo: int, hi: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{what} must be from {lo} to {hi}, not {value}")
        return value
    return parse


def _weight(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=WEIGHT (e.g. grid_distance_km=30)")
    if name not in CRITERIA:
        raise argparse.ArgumentTypeError(f"'{name}' is not a criterion; use one of: {', '.join(CRITERIA)}")
    try:
        w = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"weight '{value}' is not a number") from None
    if w < 0:
        raise argparse.ArgumentTypeError(f"weight {w} is negative; weights are 0 or more (0 = ignored)")
    return name, w


def _layer_arg(text: str) -> tuple[str, Path]:
    from .userdata import UPLOADABLE  # noqa: PLC0415

    kind, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"'{text}' is not KIND=PATH (e.g. grid_nodes=my_substations.gpkg)")
    if kind not in UPLOADABLE:
        raise argparse.ArgumentTypeError(f"'{kind}' is not a layer you can supply; use one of: {', '.join(UPLOADABLE)}")
    return kind, Path(path)


def _mapping_arg(text: str) -> tuple[str, str, str]:
    target, sep, source = text.partition("=")
    kind, dot, column = target.partition(".")
    if not sep or not dot or not column or not source:
        raise argparse.ArgumentTypeError(f"'{text}' is not KIND.COLUMN=FILE_COLUMN (e.g. grid_nodes.voltage_kv=KV)")
    return kind, column, source


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:5.1f}s] {msg}", file=sys.stderr, flush=True)
    return say


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitefinder", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sitefinder {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("rank", help="rank candidate sites and write a shortlist")
    r.add_argument("--profile", default="bitcoin_mine", help="built-in profile name or a profile .toml file (default: bitcoin_mine)")
    r.add_argument("--mw", type=_positive_float, help="facility size in MW (default: the profile's)")
    r.add_argument("--top", type=_int_range(1, 1000, "--top"), default=20, help="how many sites to list (default: 20)")
    r.add_argument("--out", type=Path, help="write the shortlist as GeoJSON to this file")
    r.add_argument("--csv", type=Path, help="write the shortlist as CSV to this file")
    r.add_argument("--resolution", type=_int_range(MIN_RESOLUTION, MAX_RESOLUTION, "--resolution"), default=DEFAULT_RESOLUTION,
                   help=f"H3 resolution of candidate cells, {MIN_RESOLUTION}-{MAX_RESOLUTION} (default: {DEFAULT_RESOLUTION}, ~36 km² cells)")
    r.add_argument("--candidates", type=Path, help="score your own candidate sites (points or polygons) instead of H3 cells")
    r.add_argument("--data", type=Path, help="dataset folder with a dataset.toml (default: built-in Pakistan data)")
    r.add_argument("--layer", type=_layer_arg, action="append", default=[], metavar="KIND=PATH",
                   help="replace a layer with your file (GeoJSON, GeoPackage, zipped shapefile, CSV); repeatable")
    r.add_argument("--add-layer", type=_layer_arg, action="append", default=[], metavar="KIND=PATH",
                   help="add your file's features to a layer (e.g. more exclusion zones); repeatable")
    r.add_argument("--map", type=_mapping_arg, action="append", default=[], metavar="KIND.COLUMN=FILE_COLUMN",
                   help="say which column of your file holds a schema column, e.g. grid_nodes.voltage_kv=KV")
    r.add_argument("--climate-raster", type=Path, metavar="GEOTIFF",
                   help="climate from a GeoTIFF: 24 bands (tmax Jan..Dec, tmin Jan..Dec, °C) or one metric band")
    r.add_argument("--climate-raster-metric", default="monthly",
                   help="what a one-band raster holds, e.g. cooling_degree_days (default: monthly, 24 bands)")
    r.add_argument("--power-factor", type=float, default=0.9,
                   help="power factor to turn headroom in MVA into MW (default: 0.9, an assumption)")
    r.add_argument("--season", choices=SEASONS, help="which season's surplus counts (default: the profile's)")
    r.add_argument("--weight", type=_weight, action="append", default=[], metavar="NAME=W",
                   help="override a criterion weight; repeat for several")
    r.add_argument("--max-grid-km", type=_positive_float, help="maximum distance to an eligible grid node, km")
    r.add_argument("--min-voltage", type=_positive_float, help="minimum grid node voltage, kV")
    r.add_argument("--province", help="keep sites in one province only (e.g. Sindh)")
    r.add_argument("--allow-excluded-land", action="store_true",
                   help="do not exclude sites in exclusion zones (protected areas, city cores); they stay flagged")
    r.add_argument("--no-town-setback", action="store_true", help="drop the profile's noise setback from towns")
    r.add_argument("--max-per-node", type=_int_range(0, 1000, "--max-per-node"), default=DEFAULT_MAX_PER_NODE,
                   help=f"at most this many sites per grid connection node, 0 = no limit (default: {DEFAULT_MAX_PER_NODE})")
    r.add_argument("--quiet", action="store_true", help="no progress messages")

    sub.add_parser("profiles", help="list the built-in facility profiles")
    lay = sub.add_parser("layers", help="list the dataset's layers with sources and validation status")
    lay.add_argument("--data", type=Path, help="dataset folder (default: built-in Pakistan data)")
    b = sub.add_parser("build-data", help="rebuild data/pakistan from its fact tables")
    b.add_argument("--out", type=Path, help="output folder (default: the built-in data folder)")
    b.add_argument("--facts", type=Path, help="fact tables folder (default: <data>/facts)")
    b.add_argument("--config", type=Path, help="build parameters (default: <data>/build.toml)")
    from .commands import explain as explain_command  # noqa: PLC0415
    from .commands import schema as schema_command  # noqa: PLC0415

    schema_command.add_parser(sub)
    explain_command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rank":
            from .commands.rank import run
        elif args.command == "profiles":
            from .commands.profiles import run
        elif args.command == "layers":
            from .commands.layers import run
        elif args.command == "schema":
            from .commands.schema import run
        elif args.command == "explain":
            from .commands.explain import run
        else:
            from .commands.build_data import run
        return run(args)
    except SitefinderError as exc:
        print(f"sitefinder: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `sitefinder rank | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("sitefinder: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
