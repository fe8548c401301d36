"""What the subcommands share: progress lines, argument types, and the options derived from the settings
table (``settings.SETTINGS``), including ``--scenario FILE`` (options given after it override it) and
``--save-scenario FILE``.

Every subcommand module imports this one; none imports ``cli.py``, and ``cli.py`` only registers them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sitefinder.errors import Problem, ProfileError
from sitefinder.model.profiles import load_profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.setting import Setting
from sitefinder.model.settings import SETTINGS

GIVEN = "_given"          # the namespace attribute listing the settings given, in command-line order
SCENARIO_FILE = "__scenario_file__"


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
            parser.add_argument(s.flag, dest=name, action=_Given, metavar="NAME|FILE.toml",
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
        parser.add_argument("--scenario", dest=SCENARIO_FILE, action=_Given, type=Path, metavar="FILE",
                            help="start from a scenario file saved by the app (options given after it override it)")
        parser.add_argument("--save-scenario", type=Path, metavar="FILE",
                            help="write the settings of this run as a scenario file the app can load")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario the command line describes: defaults, then each setting or ``--scenario`` file in the
    order given (a file replaces every setting; an option after it overrides that one)."""
    values: dict[str, Any] = {"weights": {}}
    for name, value in getattr(args, GIVEN, None) or []:
        if name == SCENARIO_FILE:
            path = Path(value)
            if not path.is_file():
                raise ProfileError(str(path), [Problem(str(path), "no such scenario file.",
                                                       "Give the path of a file saved with 'Save scenario'.")])
            scenario, problems = Scenario.from_json(path.read_bytes(), source=str(path))
            if problems:  # on the command line a value that cannot be used is an error, not a quiet default
                raise ProfileError(str(path), problems, summary=f"{path}: {len(problems)} setting(s) cannot be used")
            values = {s.name: getattr(scenario, s.name) for s in SETTINGS.values() if not s.view_only}
            values["weights"] = dict(scenario.weights)
        elif name == "weights":
            key, w = value
            values.setdefault("weights", {})[key] = w
        else:
            values[name] = value
    return Scenario(**values)


def profile_for(scenario: Scenario) -> Any:
    """The profile the scenario scores: its named or file profile with the scenario's changes."""
    return scenario.apply(load_profile(scenario.profile))


def save_scenario(args: argparse.Namespace, scenario: Scenario, say: Callable[[str], None]) -> None:
    """``--save-scenario FILE``: write the run's settings (profile defaults left out) as the app saves them."""
    path = getattr(args, "save_scenario", None)
    if path is None:
        return
    base = load_profile(scenario.profile)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(scenario.canonical(base).without_view().to_json() + "\n", encoding="utf-8")
    say(f"wrote the scenario to {path}")
