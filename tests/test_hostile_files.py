"""Bad input, as a class (issue 17, item 7): every file or folder any command names, given as every kind of hostile
file, ends in one line on stderr naming the path, exit status 2, no traceback, and no earlier output changed.

The cases are not listed by hand: they are read from the parser (``cli.main.build_parser``). Every option or argument
whose type is a ``PathArg`` (``cli/file_options.py``) gets every hostile kind for its role and shape, so a new path
option is tested without a line here; and a new option that names a path but is not declared a ``PathArg`` fails
``test_every_option_that_names_a_path_is_declared_as_one``. The commands run through ``cli.main.main`` in this
process (a hostile file must be refused before any real work, so each case takes milliseconds); a few run as a real
subprocess at the end, to see what a user sees. Tests run as root here, where permission bits stop nothing: an
unreadable or unwritable path is one the system refuses (``/proc/self/mem``, a new file in ``/proc``, a path under a
regular file), not a chmod.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitefinder.cli.file_options import LAYER_FILE, PathArg
from sitefinder.cli.main import build_parser, main
from sitefinder.model.scenario import Scenario

EARLIER = b"an earlier output, which a failed run must leave as it was\n"
DEEP = 100_000  # levels: far past any parser's recursion limit
SOME_DEEP = 900  # levels: under json's limit, so the text parses and the nesting reaches the code that reads it


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _name(action: argparse.Action) -> str:
    return max(action.option_strings, key=len) if action.option_strings else str(action.dest)


# ---------------------------------------------------------------------------------------------------------------
# Which options name a path


PATH_METAVAR = re.compile(r"\b(FILE|DIR|PATH|FOLDER|GEOTIFF)\b|\.(json|toml|html|csv|geojson|gpkg|tiff?|zip)\b", re.I)
PATH_DEST_WORDS = {"out", "csv", "report", "data", "config", "facts", "candidates", "file", "path", "dir", "folder",
                   "raster", "scenario", "layer", "profile", "output", "input", "geojson", "json", "toml", "html"}


def looks_like_a_path(action: argparse.Action) -> bool:
    """An option that takes a value whose metavar (FILE, DIR, KIND=PATH, A.json, BRIEF.html) or last word of its
    name (--out, --csv, --voi-csv, --save-scenario) says it names a file or folder."""
    if action.nargs == 0 or isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
        return False
    return bool(PATH_METAVAR.search(str(action.metavar or ""))) or action.dest.strip("_").split("_")[-1] in PATH_DEST_WORDS


def undeclared(parser: argparse.ArgumentParser) -> list[str]:
    """Options that look like a path but are not a ``PathArg``, and ``PathArg`` options that do not look like one
    (then ``looks_like_a_path`` needs teaching, or the option a clearer metavar)."""
    return [f"{_name(a)} (metavar {a.metavar}, type {getattr(a.type, '__name__', a.type)})"
            for a in parser._actions if looks_like_a_path(a) != isinstance(a.type, PathArg)]


def test_every_option_that_names_a_path_is_declared_as_one():
    wrong = {name: found for name, parser in _commands().items() if (found := undeclared(parser))}
    assert not wrong, f"declare these with a PathArg type (cli/file_options.py) so they are checked: {wrong}"


def test_an_undeclared_path_option_is_caught():
    parser = argparse.ArgumentParser()
    parser.add_argument("--export", metavar="FILE")
    parser.add_argument("--log-file")
    parser.add_argument("--summary-html", type=Path, metavar="SUMMARY.html")
    parser.add_argument("--map", metavar="KIND.COLUMN=FILE_COLUMN")  # a column name, not a path
    parser.add_argument("--json", action="store_true")
    assert [u.split()[0] for u in undeclared(parser)] == ["--export", "--log-file", "--summary-html"]


# ---------------------------------------------------------------------------------------------------------------
# Hostile files


@dataclass(frozen=True)
class Hostile:
    """One kind of hostile path: ``make(tmp_path, kind)`` puts it in place and returns the path to name."""

    name: str
    make: Callable[[Path, PathArg], Path]


def _file(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _sparse(tmp: Path, kind: PathArg) -> Path:
    path = tmp / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(kind.max_bytes + 1)  # a hole: no disk used, and no byte of it may be read
    return path


def _fifo(tmp: Path, _kind: PathArg) -> Path:
    path = tmp / "a-pipe"
    os.mkfifo(path)  # opening it to read would wait for a writer for ever
    return path


def _under_a_file(tmp: Path, _kind: PathArg) -> Path:
    return _file(tmp, "plain.txt", "text\n") / "child.json"


def _folder(tmp: Path, _kind: PathArg) -> Path:
    (tmp / "a-folder").mkdir()
    return tmp / "a-folder"


FILE_KINDS = [
    Hostile("missing", lambda tmp, _: tmp / "missing.json"),
    Hostile("a folder", _folder),
    Hostile("under a file", _under_a_file),
    Hostile("nested JSON", lambda tmp, _: _file(tmp, "deep.json", "[" * DEEP + "]" * DEEP)),
    Hostile("nested JSON object", lambda tmp, _: _file(tmp, "deep-object.json", "{\"a\": " * DEEP + "1" + "}" * DEEP)),
    Hostile("nested TOML", lambda tmp, _: _file(tmp, "deep.toml", "x = " + "[" * DEEP + "]" * DEEP + "\n")),
    Hostile("nested scenario", lambda tmp, _: _file(tmp, "deep-scenario.json", "{\"sitefinder_scenario\": 1, \"weights\": "
                                                    + "[" * SOME_DEEP + "]" * SOME_DEEP + "}")),
    Hostile("nested GeoJSON", lambda tmp, _: _file(tmp, "deep.geojson", "{\"type\": \"FeatureCollection\", \"features\": "
                                                   "[{\"type\": \"Feature\", \"properties\": {}, \"geometry\": {\"type\": "
                                                   "\"Polygon\", \"coordinates\": " + "[" * SOME_DEEP + "]" * SOME_DEEP
                                                   + "}}]}")),
    Hostile("binary", lambda tmp, _: _file(tmp, "binary.json", bytes(range(256)) * 64)),
    Hostile("huge (sparse)", _sparse),
    Hostile("unreadable", lambda _tmp, _: Path("/proc/self/mem")),
    Hostile("a device", lambda _tmp, _: Path("/dev/zero")),
    Hostile("a pipe", _fifo),
]


def _spoilt_folder(hostile: Hostile) -> Callable[[Path, PathArg], Path]:
    """A folder whose first file read (``PathArg.reads``: dataset.toml, outline.geojson) is ``hostile``."""
    def make(tmp: Path, kind: PathArg) -> Path:
        folder = tmp / "spoilt"
        folder.mkdir()
        made = hostile.make(tmp, dataclasses.replace(kind, max_bytes=2**32))  # huge for any file a folder holds
        (folder / kind.reads).symlink_to(made)  # a link, so /proc/self/mem and /dev/zero can sit inside too
        return folder
    return make


FOLDER_KINDS = [
    Hostile("missing", lambda tmp, _: tmp / "missing"),
    Hostile("a file", lambda tmp, _: _file(tmp, "plain.txt", "text\n")),
    Hostile("under a file", _under_a_file),
    Hostile("a device", lambda _tmp, _: Path("/dev/zero")),
    Hostile("unreadable", lambda _tmp, _: Path("/proc/self/mem")),
    Hostile("empty", lambda tmp, _: _folder(tmp, _)),
    *(Hostile(f"its first file {h.name}", _spoilt_folder(h)) for h in FILE_KINDS if h.name != "missing"),
]

OUTPUT_FILE_KINDS = [
    Hostile("a folder", _folder),
    Hostile("under a file", _under_a_file),
    Hostile("a new file in /proc", lambda _tmp, _: Path("/proc/sitefinder-test.out")),
    Hostile("a file of /proc", lambda _tmp, _: Path("/proc/version")),
    Hostile("a folder in /sys", lambda _tmp, _: Path("/sys/sitefinder-test/out.csv")),
    Hostile("a full disk", lambda _tmp, _: Path("/dev/full")),  # passes every check; fails only when written
]

OUTPUT_FOLDER_KINDS = [
    Hostile("a file", lambda tmp, _: _file(tmp, "plain.txt", "text\n")),
    Hostile("under a file", _under_a_file),
    Hostile("in /proc", lambda _tmp, _: Path("/proc/sitefinder-test")),
    Hostile("a device", lambda _tmp, _: Path("/dev/full")),
]


def kinds_for(kind: PathArg) -> list[Hostile]:
    """The hostile kinds for an option of this role and shape."""
    if kind.role == "input":
        return FILE_KINDS if kind.shape == "file" else FOLDER_KINDS
    return OUTPUT_FILE_KINDS if kind.shape == "file" else OUTPUT_FOLDER_KINDS


CASES = [pytest.param(command, _name(action), hostile, id=f"{command} {_name(action)} {hostile.name}")
         for command, parser in _commands().items() for action in parser._actions if isinstance(action.type, PathArg)
         for hostile in kinds_for(action.type)]


# ---------------------------------------------------------------------------------------------------------------
# A command line around one hostile path


NON_PATH_POSITIONALS = {"lon": "67.1", "lat": "24.9", "action": "export"}
QUICK = {"--resolution": "5", "--top": "3", "--draws": "10"}  # a run that is not refused is short, and then fails


def command_line(command: str, tested: str, value: str, tmp: Path) -> tuple[list[str], list[Path]]:
    """``command`` with ``tested`` given ``value``; every other output given an existing file (or a folder holding
    one) that must be unchanged afterwards; positionals given good values; quick settings. Returns the arguments and
    the earlier outputs."""
    parser = _commands()[command]
    argv, options, earlier = [command], [], []
    good = tmp / "good"
    good.mkdir()
    for action in parser._actions:
        name, kind = _name(action), action.type
        if not action.option_strings and action.nargs != "?" and not isinstance(action, argparse._HelpAction):
            if name == tested:
                argv.append(value)
            elif isinstance(kind, PathArg):  # compare's A.json / B.json
                argv.append(str(_file(good, f"{name}.json", Scenario(resolution=5, top=3).to_json())))
            else:
                argv.append(NON_PATH_POSITIONALS[action.dest])
        elif name == tested:
            options += [name, value]
        elif isinstance(kind, PathArg) and kind.role == "output":
            if kind.shape == "file":
                path = _file(good, f"earlier-{action.dest}.out", EARLIER)
                earlier.append(path)
            else:
                path = good / action.dest
                path.mkdir()
                earlier.append(_file(path, "earlier.out", EARLIER))
            options += [name, str(path)]
        elif name in QUICK:
            options += [name, QUICK[name]]
        elif name in ("--quiet", "--voi"):
            options.append(name)
    return argv + options, earlier


PROGRESS = re.compile(r"^\[ *\d+\.\ds\] ")  # build-data's progress lines (the others run --quiet)


def assert_one_error_line(err: str, *needles: str) -> None:
    """Apart from progress lines, stderr is one line: the error, naming each of ``needles``."""
    lines = [line for line in err.splitlines() if not PROGRESS.match(line)]
    assert len(lines) == 1 and lines[0].startswith("sitefinder: error: "), f"not one error line:\n{err}"
    assert all(n in lines[0] for n in needles), f"does not name {needles}: {lines[0]}"


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("command", "option", "hostile"), CASES)
def test_a_hostile_path_ends_in_one_line_and_changes_nothing(command, option, hostile, tmp_path, capsys):
    action = next(a for a in _commands()[command]._actions if _name(a) == option)
    path = hostile.make(tmp_path, action.type)
    argv, earlier = command_line(command, option, action.type.argument(path), tmp_path)
    code, err = run_main(argv, capsys)
    assert code == 2, f"exit {code}: {err}"
    assert "Traceback" not in err
    assert_one_error_line(err, str(path))
    for file in earlier:
        assert file.read_bytes() == EARLIER, f"{file} was changed"
    assert not list(tmp_path.rglob(".*.tmp")), "a temporary file was left behind"


def test_every_command_with_a_path_is_covered():
    covered = {c.values[0] for c in CASES}
    with_paths = {name for name, p in _commands().items() if any(isinstance(a.type, PathArg) for a in p._actions)}
    assert covered == with_paths == {"rank", "explain", "robustness", "programme", "ledger", "compare", "layers",
                                     "build-data"}
    assert len(CASES) > 400


# ---------------------------------------------------------------------------------------------------------------
# Paths that are fine one by one but not together


def test_outputs_that_would_overwrite_each_other_or_an_input_are_refused(tmp_path, capsys):
    scenario = _file(tmp_path, "scenario.json", Scenario(resolution=5).to_json())
    layer = _file(tmp_path, "nodes.geojson", EARLIER)
    for argv, needles in [
        (["rank", "--out", str(tmp_path / "x"), "--csv", str(tmp_path / "x")], ("--out", "--csv")),
        (["rank", "--scenario", str(scenario), "--out", str(scenario)], ("--out", "--scenario")),
        (["robustness", "--layer", f"grid_nodes={layer}", "--voi", "--voi-csv", str(layer)], ("--voi-csv", "--layer")),
    ]:
        code, err = run_main([*argv, "--quiet"], capsys)
        assert code == 2 and len(err.splitlines()) == 1 and all(n in err for n in needles), err
    assert layer.read_bytes() == EARLIER and not (tmp_path / "x").exists()


def test_saving_the_scenario_over_the_one_read_is_allowed(tmp_path, capsys):
    scenario = _file(tmp_path, "scenario.json", Scenario(resolution=5, top=2).to_json())
    code, err = run_main(["rank", "--scenario", str(scenario), "--top", "3", "--save-scenario", str(scenario), "--quiet"],
                         capsys)
    assert code == 0, err
    assert Scenario.from_json(scenario.read_text(encoding="utf-8"))[0].top == 3


@pytest.mark.parametrize(("argv", "needles"), [
    (["programme", "--mw", "50", "--min-mw", "80"], ("--min-mw 80", "--mw 50")),
    (["programme", "--mw", "100", "--target-mw", "40"], ("--target-mw 40", "--mw 100")),
    (["programme", "--min-mw", "300"], ("--min-mw 300", "--mw")),
    (["rank", "--map", "grid_nodes.voltage_kv=KV"], ("--map", "--layer")),
    (["rank", "--climate-raster-metric", "cooling_degree_days"], ("--climate-raster-metric", "--climate-raster ")),
    (["rank", "--power-factor", "0.8"], ("--power-factor", "--layer")),
    (["robustness", "--voi-csv", "v.csv"], ("--voi-csv", "--voi ")),
])
def test_options_that_contradict_each_other_are_refused_naming_both(argv, needles, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = run_main([*argv, "--quiet"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and all(n in err for n in needles), err
    assert not (tmp_path / "v.csv").exists()


def test_a_failed_write_changes_none_of_the_run_files(tmp_path, capsys):
    """Every file of a run is written whole beside its target before any is renamed: /dev/full failing late
    leaves the GeoJSON and the brief, written first, as they were."""
    out, brief = _file(tmp_path, "a.geojson", EARLIER), _file(tmp_path, "b.html", EARLIER)
    code, err = run_main(["rank", "--resolution", "5", "--top", "3", "--quiet", "--out", str(out), "--report", str(brief),
                          "--csv", "/dev/full"], capsys)
    assert code == 2 and "/dev/full" in err and len(err.splitlines()) == 1, err
    assert out.read_bytes() == EARLIER and brief.read_bytes() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.geojson", "b.html"]


# ---------------------------------------------------------------------------------------------------------------
# What a user sees: the real command, in a process of its own


@pytest.mark.parametrize("argv", [
    ["rank", "--scenario", "{deep}", "--quiet"],
    ["compare", "{deep}", "{deep}", "--quiet"],
    ["rank", "--out", "{folder}", "--quiet"],
    ["programme", "--mw", "50", "--min-mw", "80", "--quiet"],
    ["rank", "--profile", "{deep}", "--quiet"],
    ["layers", "--data", "{folder}"],
], ids=" ".join)
def test_the_real_command_line_shows_one_line_and_no_traceback(argv, tmp_path):
    deep = _file(tmp_path, "deep.json", "[" * DEEP + "]" * DEEP)
    (tmp_path / "folder").mkdir()
    args = [a.format(deep=deep, folder=tmp_path / "folder") for a in argv]
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}
    proc = subprocess.run([sys.executable, "-m", "sitefinder", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("sitefinder: error: "), proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# Inside a dataset folder: the manifest's values and the layer files it names are input too


DATA = Path(__file__).resolve().parents[1] / "data" / "pakistan"


def _copy_of_the_data(tmp: Path) -> Path:
    """A dataset folder of links to the built-in files, with a copy of its dataset.toml to spoil."""
    folder = tmp / "data"
    folder.mkdir()
    for path in DATA.iterdir():
        if path.name != "dataset.toml":
            (folder / path.name).symlink_to(path)
    (folder / "dataset.toml").write_text((DATA / "dataset.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("idw_power = 2.0", "idw_power = \"x\"", "idw_power"),
    ("idw_neighbours = 8", "idw_neighbours = 2.5", "idw_neighbours"),
    ("name = \"Pakistan (built-in)\"", "name = [[[1]]]", "name"),
    ("[[assumptions]]", "[[more_assumptions]]", None),  # no assumptions at all is fine
    ("grid_nodes = \"grid_nodes.geojson\"", "grid_nodes = [\"a\", \"b\"]", "grid_nodes"),
])
def test_a_manifest_value_of_the_wrong_shape_is_named(old, new, needle, tmp_path, capsys):
    folder = _copy_of_the_data(tmp_path)
    manifest = folder / "dataset.toml"
    text = manifest.read_text(encoding="utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new), encoding="utf-8")
    code, err = run_main(["rank", "--data", str(folder), "--resolution", "5", "--top", "3", "--quiet"], capsys)
    if needle is None:
        assert code == 0, err
    else:
        assert code == 2
        assert_one_error_line(err, str(manifest), needle)


@pytest.mark.parametrize("hostile", [h for h in FILE_KINDS if h.name not in ("missing", "under a file")],
                         ids=lambda h: h.name)
def test_a_hostile_layer_file_named_by_the_manifest_is_named(hostile, tmp_path, capsys):
    folder = _copy_of_the_data(tmp_path)
    layer = folder / "grid_nodes.geojson"
    layer.unlink()
    layer.symlink_to(hostile.make(tmp_path, dataclasses.replace(LAYER_FILE, max_bytes=2**32)))
    assert main(["layers", "--data", str(folder)]) == 2  # `layers` lists every layer, the bad one with its problem
    out = capsys.readouterr().out
    assert re.search(r"^grid_nodes +INVALID", out, re.M) and "Traceback" not in out, out
    code, err = run_main(["rank", "--data", str(folder), "--quiet"], capsys)
    assert code == 2
    assert_one_error_line(err, str(layer))
