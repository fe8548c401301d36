"""``sitefinder build-data``: rebuild the built-in dataset from its fact tables."""

from __future__ import annotations

import argparse
import time

from ..build import build_dataset
from ..cli import _progress
from ..dataset import default_data_dir


def run(args: argparse.Namespace) -> int:
    say = _progress(False)
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
