"""``sitefinder rank``: rank candidates and write the shortlist."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from ..analysis import Study
from ..climate_raster import read_climate_raster
from ..dataset import Dataset, default_data_dir, load_dataset
from ..errors import LayerError
from ..export import make_shortlist, write_shortlist
from ..io import read_vector
from ..userdata import combine_layers, load_user_layer
from .common import add_setting_options, profile_for, progress, save_scenario, scenario_from_args

RANK_SETTINGS = ("profile", "mw", "season", "weights", "max_grid_km", "min_voltage_kv", "land_exclusions",
                 "town_setback", "resolution", "top", "max_per_node", "province")


def _layer_arg(text: str) -> tuple[str, Path]:
    from ..userdata import UPLOADABLE  # noqa: PLC0415

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


def _power_factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.5 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a power factor: use 0.5 to 1.0")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``rank``: the settings from the settings table, then where the data and the output go."""
    r = subparsers.add_parser("rank", help="rank candidate sites and write a shortlist",
                              description="Rank candidate sites and write the shortlist. Settings come from the "
                                          "settings table (the same bounds and defaults as the app).")
    add_setting_options(r, RANK_SETTINGS)
    r.add_argument("--out", type=Path, help="write the shortlist as GeoJSON to this file")
    r.add_argument("--csv", type=Path, help="write the shortlist as CSV to this file")
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
    r.add_argument("--power-factor", type=_power_factor, default=0.9,
                   help="power factor to turn headroom in MVA into MW, 0.5-1.0 (default: 0.9, an assumption)")
    r.add_argument("--quiet", action="store_true", help="no progress messages")
    return r


def _fmt(value: object, spec: str, unknown: str = "?") -> str:
    return unknown if value is None or pd.isna(value) else format(value, spec)


def print_table(table: pd.DataFrame, out=sys.stdout) -> None:
    """A readable ranked table for a terminal."""
    head = f"{'rank':>4} {'score':>5}  {'site':<28} {'connection point':<34} {'kV':>4} {'km':>5} {'surplus MW':>10} {'h>35°C':>6}  gaps"
    print(head, file=out)
    print("-" * len(head), file=out)
    for _, r in table.iterrows():
        place = ", ".join(str(v) for v in (r.get("district"), r.get("province")) if v is not None and not pd.isna(v)) or r["candidate_id"]
        node = str(r["grid_node"] or "")
        node = node if len(node) <= 34 else node[:33] + "…"
        print(f"{r['rank']:>4} {r['score']:>5.1f}  {place[:28]:<28} {node:<34} {_fmt(r['grid_voltage_kv'], '.0f'):>4} "
              f"{_fmt(r['grid_distance_km'], '.1f'):>5} {_fmt(r['region_surplus_mw'], ',.0f'):>10} "
              f"{_fmt(r.get('hours_above_35c'), '.0f'):>6}  {r['data_gaps'] or '-'}", file=out)


def apply_user_layers(dataset: Dataset, args: argparse.Namespace, say) -> Dataset:
    """Replace or extend layers with the user's files (--layer / --add-layer), all problems reported at once."""
    if args.climate_raster is not None:
        raster = read_climate_raster(args.climate_raster, meaning=args.climate_raster_metric)
        dataset = dataset.with_climate_raster(raster)
        say(f"climate from {args.climate_raster} ({raster.meaning}, {raster.data.shape[2]}x{raster.data.shape[1]} pixels, "
            f"{raster.crs.to_string()})")
    if not (args.layer or args.add_layer):
        return dataset
    mappings: dict[str, dict[str, str]] = {}
    for kind, column, source in args.map:
        mappings.setdefault(kind, {})[column] = source
    problems = []
    for (kind, path), add in [(lp, False) for lp in args.layer] + [(lp, True) for lp in args.add_layer]:
        try:
            frame = load_user_layer(path, kind, mapping=mappings.get(kind), study_area=dataset["study_area"],
                                    power_factor=args.power_factor)
            count = len(frame)
            if add:
                frame = combine_layers(dataset[kind], frame, kind, str(path))
            dataset = dataset.with_layer(kind, frame, path)
            for note in frame.attrs.get("notes", []):
                say(f"{path}: {note}")
            say(f"{'added' if add else 'replaced'} layer {kind} from {path} ({count} features"
                + (f", {len(frame)} in the layer now)" if add else ")"))
        except LayerError as exc:
            problems.append(exc)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise LayerError("--layer", [p for e in problems for p in e.problems],
                         summary="; ".join(str(e).splitlines()[0] for e in problems))
    return dataset


def run(args: argparse.Namespace) -> int:
    """Rank and print the shortlist; write it where --out / --csv say."""
    say = progress(args.quiet)
    scenario = scenario_from_args(args)
    profile = profile_for(scenario)
    save_scenario(args, scenario, say)

    t = time.perf_counter()
    data_dir = args.data or default_data_dir()
    dataset = load_dataset(data_dir)
    say(f"dataset '{dataset.name}' loaded from {data_dir} ({time.perf_counter() - t:.1f} s)")
    dataset = apply_user_layers(dataset, args, say)
    if args.candidates is not None:
        study = Study.on_sites(dataset, read_vector(args.candidates), str(args.candidates), progress=say)
    else:
        study = Study.on_h3(dataset, scenario.resolution, progress=say)
    short = make_shortlist(study, scenario, profile)
    matrix, result, table = short.matrix, short.result, short.table
    say(f"scored {len(matrix):,} candidates: {result.n_feasible:,} pass the constraints")

    print(f"\n{profile.title}, {profile.facility_mw:g} MW, {profile.season.replace('_', '-')} surplus - "
          f"{result.n_feasible:,} of {len(matrix):,} candidates pass the constraints\n")
    if len(table):
        print_table(table)
    else:
        print("No candidate passes the constraints. Excluded by:")
    if not len(table) or scenario.top > len(table):
        for label, count in result.failure_counts().items():
            print(f"  {count:>8,}  {label}")
    if args.out or args.csv:
        for path in write_shortlist(short.frame, short.metadata, args.out, args.csv):
            say(f"wrote {len(table)} sites to {path}")
    print("\nSurplus, climate and flood values are estimates; see data/pakistan/README.md. Grid headroom is "
          "unknown unless the grid layer gives it.")
    return 0
