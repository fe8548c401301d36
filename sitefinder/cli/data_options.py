"""Where a command's data comes from, shared by ``rank``, ``programme`` and ``robustness``: the dataset folder,
replaced or added layers (``--layer``, ``--add-layer``, ``--map``), a climate raster, a grid model in place of the
built-in network model (``--grid-model``, also on ``explain``), the user's own candidate sites, and the study that
measures them."""

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
from sitefinder.network.user_model import (
    MAX_GRID_MODEL_BYTES,
    GridModel,
    apply_grid_model,
    bus_column_problem,
    read_grid_model,
    solve_grid_model,
)
from sitefinder.rank.study import Study
from sitefinder.register.booked import booked_text, with_bookings
from sitefinder.register.db import default_url, engine_for, upgrade
from sitefinder.register.ledger import Register

CANDIDATES = input_file("candidate sites file", max_bytes=MAX_FILE_BYTES,
                        fix="Give a GeoJSON, GeoPackage, zipped shapefile or CSV file of points or polygons.")
CLIMATE_RASTER = input_file("climate raster (GeoTIFF)", max_bytes=MAX_RASTER_BYTES, fix="Give a GeoTIFF.")
GRID_MODEL = input_file("grid model (PyPSA netCDF)", max_bytes=MAX_GRID_MODEL_BYTES,
                        fix="Give a PyPSA network saved with Network.export_to_netcdf (a .nc file).")


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




def add_grid_model_options(parser: argparse.ArgumentParser) -> None:
    """``--grid-model`` and ``--grid-model-bus-column`` (rank, explain, programme, robustness)."""
    parser.add_argument("--grid-model", type=GRID_MODEL, metavar="FILE.nc",
                        help="a PyPSA network saved as netCDF (buses' x/y in lon/lat) in place of the built-in network "
                             "model: one zone per bus, each grid node joins a bus, a site draws on its node's bus "
                             "(see the docs, Guides, Your own grid model)")
    parser.add_argument("--grid-model-bus-column", default=None, metavar="NAME",
                        help="the grid nodes' column that names each node's bus in --grid-model (default: each node "
                             "joins its nearest bus, geodesic; a blank cell does too)")


def grid_model_problems(args: argparse.Namespace) -> list[Problem]:
    """``--grid-model-bus-column`` without ``--grid-model`` (it would do nothing), naming both."""
    column = getattr(args, "grid_model_bus_column", None)
    if column is None or getattr(args, "grid_model", None) is not None:
        return []
    return [Problem(f"--grid-model-bus-column {column}", "names the grid nodes' column that says each node's bus in a "
                    "grid model, but no --grid-model is given.", "Give --grid-model FILE.nc, or leave it out.")]


def check_grid_model_options(args: argparse.Namespace) -> None:
    """Refuse what ``grid_model_problems`` finds (for ``explain``, which has no other data options)."""
    problems = grid_model_problems(args)
    if problems:
        raise ContradictionError(problems[0].where, problems)


def read_grid_model_option(args: argparse.Namespace, say: Callable[[str], None]) -> GridModel | None:
    """The grid model ``--grid-model`` names, read and checked (before any other work: a bad file ends the run at
    once), or None."""
    if getattr(args, "grid_model", None) is None:
        return None
    t = time.perf_counter()
    model = read_grid_model(args.grid_model)
    say(f"grid model {args.grid_model}: {model.describe()} (read in {time.perf_counter() - t:.1f} s)")
    for note in model.notes:
        say(f"{args.grid_model}: {note}")
    return model


def with_grid_model(dataset: Dataset, model: GridModel | None, args: argparse.Namespace,
                    say: Callable[[str], None]) -> Dataset:
    """``dataset`` with ``model`` solved and in place of the built-in network model (``network.user_model``)."""
    if model is None:
        return dataset
    problem = bus_column_problem(dataset["grid_nodes"], getattr(args, "grid_model_bus_column", None))
    if problem is not None:
        raise LayerError("--grid-model-bus-column", [problem])
    solved = solve_grid_model(model)
    say(f"grid model {model.name} solved in {solved.seconds:.1f} s: one zone per bus, no range (the model is one case)")
    dataset, notes = apply_grid_model(dataset, solved, bus_column=getattr(args, "grid_model_bus_column", None))
    for note in notes:
        say(f"{model.name}: {note}")
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
    add_grid_model_options(parser)
    add_ledger_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress messages")


def add_ledger_options(parser: argparse.ArgumentParser) -> None:
    """``--from-ledger`` and ``--ledger-db``."""
    parser.add_argument("--from-ledger", action="store_true",
                        help="take what the register has booked (held, approved, energised) off node headroom and zone "
                             "surplus first (sitefinder ledger; the network is solved again with the booked loads)")
    parser.add_argument("--ledger-db", metavar="URL", help="the register's database for --from-ledger (default: "
                                                           "$SITEFINDER_DB, else the one under your data folder)")


def ledger_problems(args: argparse.Namespace) -> list[Problem]:
    """``--ledger-db`` without ``--from-ledger`` would do nothing."""
    if getattr(args, "ledger_db", None) and not getattr(args, "from_ledger", False):
        return [Problem(f"--ledger-db {args.ledger_db}", "names the register for --from-ledger, but --from-ledger is "
                        "not given.", "Give --from-ledger too, or leave --ledger-db out.")]
    return []


def check_ledger_options(args: argparse.Namespace) -> None:
    """Refuse ``ledger_problems``."""
    problems = ledger_problems(args)
    if problems:
        raise ContradictionError(problems[0].where, problems)


def booked_lines(apps: list[Any], explanation: Any) -> list[str]:
    """What the register has booked at the point's nearest nodes and in its zone, in words (``explain``)."""
    lines = []
    for node in explanation.nearest_nodes:
        here = [a for a in apps if a.grid_node_id == node["node_id"]]
        if here:
            lines.append(booked_text(here, where=f"at {node['name']}"))
    zone = (explanation.network or {}).get("zone")
    if zone is not None:
        lines.append(booked_text([a for a in apps if a.zone == f"zone:{zone}"], where=f"in the zone {zone}"))
    return lines or ["nothing booked at the nearest nodes"]


def load_study(args: argparse.Namespace, scenario: Scenario, say: Callable[[str], None],
               grid: GridModel | None = None) -> Study:
    """The dataset (with the user's layers, and ``grid`` in place of the built-in network model) and the candidates
    the command line asks for."""
    t = time.perf_counter()
    data_dir = args.data or default_data_dir()
    dataset = load_dataset(data_dir)
    say(f"dataset '{dataset.name}' loaded from {data_dir} ({time.perf_counter() - t:.1f} s)")
    dataset = apply_user_layers(dataset, args, say)
    dataset = with_grid_model(dataset, grid, args, say)
    if getattr(args, "from_ledger", False):
        dataset = with_ledger(dataset, args, say)
    if args.candidates is not None:
        study = Study.on_sites(dataset, read_vector(args.candidates), str(args.candidates), progress=say)
    else:
        study = Study.on_h3(dataset, scenario.resolution, progress=say)
    study.workers = getattr(args, "workers", None)
    return study


def booked_applications(args: argparse.Namespace) -> list[Any]:
    """Every application in the register ``--ledger-db`` names (the default one if not), for ``--from-ledger``."""
    engine = engine_for(args.ledger_db or default_url())
    upgrade(engine)
    return Register(engine, None).all()


def with_ledger(dataset: Dataset, args: argparse.Namespace, say: Callable[[str], None]) -> Dataset:
    """``dataset`` less what the register has booked (``register.booked.with_bookings``)."""
    t = time.perf_counter()
    apps = booked_applications(args)
    args.booked = apps
    out, notes = with_bookings(dataset, apps)
    for note in notes:
        say(note)
    say(f"the register taken into account ({time.perf_counter() - t:.1f} s)")
    return out


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
    problems += grid_model_problems(args)
    problems += ledger_problems(args)
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
    grid = read_grid_model_option(args, say)
    return say, scenario, profile, load_study(args, scenario, say, grid)
