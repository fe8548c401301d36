"""What the subcommands share: progress lines, argument types, and the options derived from the settings
table (``settings.SETTINGS``), including ``--scenario FILE`` (options given after it override it) and
``--save-scenario FILE``, the check that the settings do not contradict each other, and where a run's files go.

Every subcommand module imports this one; none imports ``cli.py``, and ``cli.py`` only registers them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sitefinder.cli.file_options import GIVEN, PROFILE, input_file, output_file
from sitefinder.errors import ContradictionError, ProfileError
from sitefinder.files import read_input_bytes
from sitefinder.model.profiles import load_profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.setting import Setting
from sitefinder.model.settings import SETTINGS
from sitefinder.report.files import RunFiles

SCENARIO_FILE = "__scenario_file__"
SCENARIO_IN = input_file("scenario file", fix="Give the path of a file saved with 'Save scenario' or --save-scenario.")


def progress(quiet: bool) -> Callable[[str], None]:
    """A function that prints timed progress lines to stderr (nothing when ``quiet``)."""
    start = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:5.1f}s] {msg}", file=sys.stderr, flush=True)
    return say


def _setting_type(s: Setting) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value, problem = s.parse(text, s.flag)
        if problem is not None:
            message = problem.message.rstrip(".")
            raise argparse.ArgumentTypeError(message if s.bounds_text() in message else f"{message}: use {s.bounds_text()}")
        return value
    parse.__name__ = s.kind  # argparse names the type in its "invalid ... value" message
    return parse


def _weight_type(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=WEIGHT (e.g. grid_distance_km=30)")
    w, problem = SETTINGS["weights"].parse_weight(name, value, "--weight")
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{problem.where.split(': ', 1)[-1]} {problem.message} {problem.fix}")
    assert w is not None
    return name, w


class _Given(argparse.Action):
    """Record a setting in the order it was given, so a later ``--scenario`` or option overrides an earlier one."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        given = list(getattr(namespace, GIVEN, None) or [])
        given.append((self.dest, self.const if self.nargs == 0 else values))
        setattr(namespace, GIVEN, given)


def add_setting_options(parser: argparse.ArgumentParser, names: Sequence[str], *, scenario_file: bool = True) -> None:
    """Options for the named settings, each derived from its row of the settings table (flag, type, bounds,
    default and help), plus ``--scenario FILE`` / ``--save-scenario FILE``."""
    for name in names:
        s = SETTINGS[name]
        helptext = f"{s.help} ({s.bounds_text()}; default: {s.default_text()})".replace("%", "%%")  # argparse formats help
        if name == "profile":  # a built-in name, or a profile file of your own
            parser.add_argument(s.flag, dest=name, action=_Given, type=PROFILE, metavar="NAME|FILE.toml",
                                help=f"built-in profile ({', '.join(s.options())}) or a profile .toml file "
                                     f"(default: {s.default})")
        elif s.kind == "weights":
            parser.add_argument(s.flag, dest=name, action=_Given, type=_weight_type, metavar="NAME=W",
                                help=f"override a criterion weight, repeatable ({s.bounds_text()})")
        elif s.kind == "bool":
            parser.add_argument(s.flag, dest=name, action=_Given, nargs=0, const=s.flag_sets,
                                help=f"{s.help} (without it: '{s.label}' is {s.default_text()})")
        else:
            metavar = {"%": "PERCENT", "": name.upper()}.get(s.unit, s.unit.upper())
            if s.kind == "range":
                metavar = "LOW-HIGH"
            parser.add_argument(s.flag, dest=name, action=_Given, type=_setting_type(s), metavar=metavar, help=helptext)
    if scenario_file:
        parser.add_argument("--scenario", dest=SCENARIO_FILE, action=_Given, type=SCENARIO_IN, metavar="FILE",
                            help="start from a scenario file saved by the app (options given after it override it)")
        parser.add_argument("--save-scenario", type=output_file("scenario file"), metavar="FILE",
                            help="write the settings of this run as a scenario file the app can load")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario the command line describes: defaults, then each setting or ``--scenario`` file in the
    order given (a file replaces every setting; an option after it overrides that one)."""
    values: dict[str, Any] = {"weights": {}}
    for name, value in getattr(args, GIVEN, None) or []:
        if name == SCENARIO_FILE:
            scenario = read_scenario_file(Path(value))
            values = {s.name: getattr(scenario, s.name) for s in SETTINGS.values() if not s.view_only}
            values["weights"] = dict(scenario.weights)
        elif name == "weights":
            key, w = value
            values.setdefault("weights", {})[key] = w
        else:
            values[name] = value
    return Scenario(**values)


def read_scenario_file(path: Path) -> Scenario:
    """A scenario file named on the command line, read with the checks every user-named file gets; a value that
    cannot be used is an error here, not a quiet default."""
    data = read_input_bytes(path, max_bytes=SCENARIO_IN.max_bytes, what=SCENARIO_IN.what, fix=SCENARIO_IN.fix)
    scenario, problems = Scenario.from_json(data, source=str(path))
    if problems:
        raise ProfileError(str(path), problems,
                           summary="" if len(problems) == 1 else f"{path}: {len(problems)} settings cannot be used")
    return scenario


def profile_for(scenario: Scenario) -> Any:
    """The profile the scenario scores: its named or file profile with the scenario's changes."""
    return scenario.apply(load_profile(scenario.profile))


def check_consistent(scenario: Scenario, profile: Any, command: str) -> None:
    """Refuse settings that contradict each other for ``command`` (``Scenario.contradictions``), naming both."""
    problems = scenario.contradictions(profile, command)
    if problems:
        raise ContradictionError(problems[0].where, problems,
                                 summary="" if len(problems) == 1 else f"{len(problems)} settings contradict each other")


def scenario_json(scenario: Scenario) -> str:
    """The run's settings as the app saves them (profile defaults left out), for ``--save-scenario``."""
    return scenario.canonical(load_profile(scenario.profile)).without_view().to_json() + "\n"


def run_files(args: argparse.Namespace, tables: dict[str, str] | None = None) -> RunFiles:
    """Where the files of a run go, from ``--out``, ``--csv``, ``--report`` and ``--save-scenario`` (those the command
    has) and ``tables``: the name of each table the run makes -> the option's attribute (e.g. "voi_csv")."""
    named = {name: getattr(args, attr) for name, attr in (tables or {}).items() if getattr(args, attr, None) is not None}
    return RunFiles(geojson=getattr(args, "out", None), csv=getattr(args, "csv", None),
                    brief=getattr(args, "report", None), scenario=getattr(args, "save_scenario", None), tables=named)
