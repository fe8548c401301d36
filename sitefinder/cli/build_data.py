"""``sitefinder build-data``: rebuild the built-in dataset from its fact tables."""

from __future__ import annotations

import argparse
import time

from sitefinder.build import build_dataset
from sitefinder.cli.common import progress
from sitefinder.cli.file_options import input_file, input_folder, output_folder
from sitefinder.data.dataset import default_data_dir


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``build-data``."""
    b = subparsers.add_parser("build-data", help="rebuild data/pakistan from its fact tables")
    b.add_argument("--out", type=output_folder("dataset folder"), metavar="DIR",
                   help="output folder (default: the built-in data folder)")
    b.add_argument("--facts", type=input_folder("fact tables folder", reads="outline.geojson"), metavar="DIR",
                   help="fact tables folder (default: <data>/facts)")
    b.add_argument("--config", type=input_file("build configuration (build.toml)"), metavar="FILE",
                   help="build parameters (default: <data>/build.toml)")
    return b


def run(args: argparse.Namespace) -> int:
    """Build every layer from the fact tables and print what was written."""
    say = progress(False)
    root = default_data_dir()
    out = args.out or root
    facts = args.facts or root / "facts"
    config = args.config or root / "build.toml"
    t = time.perf_counter()
    files = build_dataset(facts, out, config, progress=lambda m: say(f"building {m}"))
    for f in files:
        say(f"wrote {f} ({f.stat().st_size / 1024:,.0f} KB)")
    say(f"done in {time.perf_counter() - t:.1f} s")
    return 0
