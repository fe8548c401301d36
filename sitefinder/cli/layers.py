"""``sitefinder layers``: list the dataset's layers with sources and validation status."""

from __future__ import annotations

import argparse

from sitefinder.cli.file_options import DATA_FOLDER
from sitefinder.data.dataset import default_data_dir, read_manifest
from sitefinder.data.io import read_layer
from sitefinder.data.schema import SCHEMAS
from sitefinder.errors import SitefinderError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``layers``."""
    p = subparsers.add_parser("layers", help="list the dataset's layers with sources and validation status")
    p.add_argument("--data", type=DATA_FOLDER, metavar="DIR", help="dataset folder (default: built-in Pakistan data)")
    return p


def run(args: argparse.Namespace) -> int:
    """Print every layer of the dataset with its sources; exit 2 if one is missing or invalid."""
    root = args.data or default_data_dir()
    _, manifest = read_manifest(root)
    names = manifest.get("layers", {})
    names = names if isinstance(names, dict) else {}
    failures = 0
    print(f"dataset: {manifest.get('name', root.name)}  ({root})\n")
    for kind, schema in SCHEMAS.items():
        if kind not in names:
            status = "MISSING (required)" if schema.required_layer else "not provided (optional)"
            failures += schema.required_layer
            print(f"{kind:<17} {status}")
            continue
        path = root / str(names[kind])
        try:
            frame = read_layer(path, kind)
        except SitefinderError as exc:
            failures += 1
            print(f"{kind:<17} INVALID  {path.name}\n    " + str(exc).replace("\n", "\n    "))
            continue
        sources = sorted({s.strip() for v in frame["source"].dropna() for s in str(v).replace(" | ", " ; ").split(" ; ")
                          if s.strip()}) if "source" in frame else []
        notes = "; ".join(frame.attrs.get("notes", []))
        print(f"{kind:<17} valid    {path.name}: {len(frame)} {schema.geometry[0].lower()} feature(s){' - ' + notes if notes else ''}")
        print(f"    {schema.description}")
        for s in sources[:3]:
            print(f"    source: {s}")
        if len(sources) > 3:
            print(f"    ... and {len(sources) - 3} more sources (see the layer's `source` column)")
    print("\nWhich values are estimates and how they were made: data/pakistan/README.md")
    return 2 if failures else 0
