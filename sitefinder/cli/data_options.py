"""Where a command's data comes from, shared by ``rank`` and ``robustness``: the dataset folder, replaced or
added layers (``--layer``, ``--add-layer``, ``--map``), a climate raster, the user's own candidate sites, and
the study that measures them."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from sitefinder.cli.common import check_consistent, profile_for, progress, scenario_from_args
from sitefinder.cli.file_options import DATA_FOLDER, LAYER_FILE, input_file
from sitefinder.data.climate_raster import MAX_RASTER_BYTES, read_climate_raster
from sitefinder.data.dataset import Dataset, default_data_dir, load_dataset
from sitefinder.data.io import MAX_FILE_BYTES, read_vector
from sitefinder.data.user_layers import DEFAULT_POWER_FACTOR, combine_layers, load_user_layer
from sitefinder.errors import ContradictionError, LayerError, Problem
from sitefinder.model.scenario import Scenario
from sitefinder.rank.study import Study

CANDIDATES = input_file("candidate sites file", max_bytes=MAX_FILE_BYTES,
                        fix="Give a GeoJSON, GeoPackage, zipped shapefile or CSV file of points or polygons.")
CLIMATE_RASTER = input_file("climate raster (GeoTIFF)", max_bytes=MAX_RASTER_BYTES, fix="Give a GeoTIFF.")


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




def _workers_arg(text: str) -> int | str:
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= 256:
        return int(text)
    if "://" in text or (":" in text and text.rsplit(":", 1)[1].isdigit()):
        return text
    raise argparse.ArgumentTypeError(f"'{text}' is neither a number of workers (1-256) nor a Dask scheduler address "
                                     "(e.g. tcp://127.0.0.1:8786)")


def apply_user_layers(dataset: Dataset, args: argparse.Namespace, say) -> Dataset:
    """Replace or extend layers with the user's files (--layer / --add-layer), all problems reported at once."""
    if args.climate_raster is not None:
        raster = read_climate_raster(args.climate_raster, meaning=args.climate_raster_metric or "monthly")
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
                                    power_factor=args.power_factor or DEFAULT_POWER_FACTOR)
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




def add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--candidates``, ``--data``, ``--layer``, ``--add-layer``, ``--map``, the climate raster, ``--power-factor``
    and ``--quiet``."""
    parser.add_argument("--candidates", type=CANDIDATES, metavar="FILE",
                        help="score your own candidate sites (points or polygons) instead of H3 cells")
    parser.add_argument("--data", type=DATA_FOLDER, metavar="DIR",
                        help="dataset folder with a dataset.toml (default: built-in Pakistan data)")
    parser.add_argument("--layer", type=LAYER_FILE, action="append", default=[], metavar="KIND=PATH",
                        help="replace a layer with your file (GeoJSON, GeoPackage, zipped shapefile, CSV); repeatable")
    parser.add_argument("--add-layer", type=LAYER_FILE, action="append", default=[], metavar="KIND=PATH",
                        help="add your file's features to a layer (e.g. more exclusion zones); repeatable")
    parser.add_argument("--map", type=_mapping_arg, action="append", default=[], metavar="KIND.COLUMN=FILE_COLUMN",
                        help="say which column of your file holds a schema column, e.g. grid_nodes.voltage_kv=KV "
                             "(needs --layer or --add-layer KIND=...)")
    parser.add_argument("--climate-raster", type=CLIMATE_RASTER, metavar="GEOTIFF",
                        help="climate from a GeoTIFF: 24 bands (tmax Jan..Dec, tmin Jan..Dec, °C) or one metric band")
    parser.add_argument("--climate-raster-metric", default=None, metavar="METRIC",
                        help="what a one-band --climate-raster holds, e.g. cooling_degree_days (default: monthly, 24 bands)")
    parser.add_argument("--power-factor", type=_power_factor, default=None,
                        help=f"power factor to turn headroom in MVA into MW in a grid_nodes layer you supply, 0.5-1.0 "
                             f"(default: {DEFAULT_POWER_FACTOR:g}, an assumption)")
    parser.add_argument("--workers", type=_workers_arg, default=None, metavar="N|ADDRESS",
                        help="measure the criteria in partitions on Dask: N local worker processes, or a scheduler "
                             "address such as tcp://10.0.0.5:8786 (needs pip install 'dask[distributed]'; default: "
                             "partitions one after another on this machine; results are identical)")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")


def load_study(args: argparse.Namespace, scenario: Scenario, say: Callable[[str], None]) -> Study:
    """The dataset (with the user's layers) and the candidates the command line asks for."""
    t = time.perf_counter()
    data_dir = args.data or default_data_dir()
    dataset = load_dataset(data_dir)
    say(f"dataset '{dataset.name}' loaded from {data_dir} ({time.perf_counter() - t:.1f} s)")
    dataset = apply_user_layers(dataset, args, say)
    if args.candidates is not None:
        study = Study.on_sites(dataset, read_vector(args.candidates), str(args.candidates), progress=say)
    else:
        study = Study.on_h3(dataset, scenario.resolution, progress=say)
    study.workers = getattr(args, "workers", None)
    return study


def check_data_options(args: argparse.Namespace) -> None:
    """Refuse options that qualify another which is not given (``--map`` of a layer not supplied, a raster metric
    without a raster, a power factor without a grid layer), naming both: they would do nothing, silently."""
    supplied = {kind for kind, _ in args.layer + args.add_layer}
    problems = [Problem(f"--map {kind}.{column}={source}", f"names a column of your {kind} file, but no --layer or "
                        f"--add-layer {kind}=FILE is given.", f"Give --layer {kind}=FILE, or leave the --map out.")
                for kind, column, source in args.map if kind not in supplied]
    if args.climate_raster_metric is not None and args.climate_raster is None:
        problems.append(Problem(f"--climate-raster-metric {args.climate_raster_metric}", "says what a --climate-raster "
                                "holds, but no --climate-raster is given.", "Give --climate-raster FILE, or leave it out."))
    if args.power_factor is not None and "grid_nodes" not in supplied:
        problems.append(Problem(f"--power-factor {args.power_factor:g}", "turns MVA into MW in a grid_nodes layer you "
                                "supply, but no --layer or --add-layer grid_nodes=FILE is given.",
                                "Give --layer grid_nodes=FILE, or leave --power-factor out."))
    if problems:
        raise ContradictionError(problems[0].where, problems,
                                 summary="" if len(problems) == 1 else f"{len(problems)} options do nothing without another")


def start_run(args: argparse.Namespace) -> tuple[Callable[[str], None], Scenario, Any, Study]:
    """What rank, programme and robustness do first: progress lines, the scenario the options describe, its profile,
    the checks that no two settings or options contradict each other, and the study (data and candidates)."""
    say = progress(args.quiet)
    check_data_options(args)
    scenario = scenario_from_args(args)
    profile = profile_for(scenario)
    check_consistent(scenario, profile, args.command)
    return say, scenario, profile, load_study(args, scenario, say)
