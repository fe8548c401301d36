"""The files and folders a command line names, declared by their argparse ``type`` and checked in one place.

Every option or argument that names a path has a ``PathArg`` as its type: an input file, an input folder, an output
file or an output folder, with what it should be and its size limit. ``check_file_options`` (run by ``cli.main``
before any command starts its work) walks the chosen command's parser and checks each path given with the checks
of ``sitefinder.files``: a missing path, a folder where a file belongs, a huge, unreadable or special file, or an
output that cannot be written ends the run at once with one line naming the path, what is wrong and the fix, and
no file is touched. It also refuses two outputs naming the same file, and an output that would overwrite an input
of another kind (a shortlist written over your layer file). Nothing here is particular to one option: a new path
option declared with a ``PathArg`` is checked, and tested by ``tests/test_hostile_files.py``, without more code.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sitefinder.data.io import MAX_FILE_BYTES
from sitefinder.data.user_layers import UPLOADABLE
from sitefinder.errors import ContradictionError, Problem
from sitefinder.files import (
    MAX_SETTINGS_BYTES,
    check_input_file,
    check_input_folder,
    check_output_file,
    check_output_folder,
)
from sitefinder.model.profiles import profile_path

Role = Literal["input", "output"]
Shape = Literal["file", "folder"]
GIVEN = "_given"  # the namespace attribute of settings given in order (cli.common), where --scenario is recorded


@dataclass(frozen=True)
class PathArg:
    """An argparse ``type`` for a path the user names, and what it must be: ``role`` input or output, ``shape``
    file or folder, ``what`` it is in words ("scenario file"; two options with the same ``what`` hold the same kind
    of file, so saving a scenario over the one read is allowed), its size limit, and how to give a good one."""

    role: Role
    shape: Shape
    what: str
    max_bytes: int = MAX_SETTINGS_BYTES
    fix: str = "Check the path."
    reads: str = ""  # for an input folder: the file in it read first (dataset.toml), which the hostile-file test spoils

    @property
    def __name__(self) -> str:  # argparse names the type in its "invalid <type> value" message
        return self.what

    def __call__(self, text: str) -> Any:
        """The value argparse stores (a ``Path``)."""
        return Path(text)

    def paths(self, value: Any) -> list[Path]:
        """The paths a stored value names (none for a value that is not a path, e.g. a built-in profile's name)."""
        return [] if value is None else [Path(value)]

    def argument(self, path: str | Path) -> str:
        """What a user types to name ``path`` with this option (tests use it to name hostile files)."""
        return str(path)

    def check(self, path: Path) -> None:
        """The checks of ``sitefinder.files`` for this kind of path; raises a one-line ``SitefinderError``."""
        if self.role == "input" and self.shape == "file":
            check_input_file(path, max_bytes=self.max_bytes, what=self.what, fix=self.fix)
        elif self.role == "input":
            check_input_folder(path, what=self.what, fix=self.fix)
        elif self.shape == "file":
            check_output_file(path)
        else:
            check_output_folder(path)


@dataclass(frozen=True)
class LayerArg(PathArg):
    """``KIND=PATH`` for ``--layer`` / ``--add-layer``: a layer kind the user may supply and its file."""

    def __call__(self, text: str) -> Any:
        """``(kind, Path)``, or an argparse error naming the kinds allowed."""
        kind, sep, path = text.partition("=")
        if not sep or not path:
            raise argparse.ArgumentTypeError(f"'{text}' is not KIND=PATH (e.g. grid_nodes=my_substations.gpkg)")
        if kind not in UPLOADABLE:
            raise argparse.ArgumentTypeError(f"'{kind}' is not a layer you can supply; use one of: {', '.join(UPLOADABLE)}")
        return kind, Path(path)

    def paths(self, value: Any) -> list[Path]:
        """The file of ``(kind, path)``."""
        return [] if value is None else [value[1]]

    def argument(self, path: str | Path) -> str:
        """``grid_nodes=PATH``: the first kind a user may supply."""
        return f"{UPLOADABLE[0]}={path}"


@dataclass(frozen=True)
class ProfileArg(PathArg):
    """``--profile``: a built-in profile's name, or a profile .toml file (checked as an input file)."""

    def __call__(self, text: str) -> Any:
        """The text as given (``load_profile`` tells a name from a path)."""
        return text

    def paths(self, value: Any) -> list[Path]:
        """The file a profile value names; none for a built-in name."""
        path = None if value is None else profile_path(str(value))
        return [] if path is None else [path]


def input_file(what: str, *, max_bytes: int = MAX_SETTINGS_BYTES, fix: str = "Check the path.") -> PathArg:
    """An input file option's type."""
    return PathArg("input", "file", what, max_bytes, fix)


def input_folder(what: str, *, reads: str = "", fix: str = "Check the path.") -> PathArg:
    """An input folder option's type (``reads``: the file in it that is read first)."""
    return PathArg("input", "folder", what, fix=fix, reads=reads)


def output_file(what: str) -> PathArg:
    """An output file option's type."""
    return PathArg("output", "file", what)


def output_folder(what: str) -> PathArg:
    """An output folder option's type."""
    return PathArg("output", "folder", what)


LAYER_FILE = LayerArg("input", "file", "layer file", MAX_FILE_BYTES,
                      "Give a GeoJSON, GeoPackage, zipped shapefile or CSV file (see `sitefinder schema`).")
PROFILE = ProfileArg("input", "file", "profile file (.toml)", MAX_SETTINGS_BYTES,
                     "Give a built-in profile's name (see `sitefinder profiles`) or the path of a profile .toml file.")
DATA_FOLDER = input_folder("dataset folder", reads="dataset.toml",
                           fix="Point --data at a folder with a dataset.toml (see data/pakistan/dataset.toml).")


@dataclass(frozen=True)
class FileOption:
    """A path option of a parser: its action and its ``PathArg``."""

    action: argparse.Action
    kind: PathArg

    @property
    def name(self) -> str:
        """How the user wrote it: the longest flag, or a positional argument's metavar."""
        return max(self.action.option_strings, key=len) if self.action.option_strings else str(self.action.metavar or self.action.dest)


def file_options(parser: argparse.ArgumentParser) -> list[FileOption]:
    """Every option and argument of ``parser`` whose type is a ``PathArg``."""
    return [FileOption(a, a.type) for a in parser._actions if isinstance(a.type, PathArg)]


def given_values(args: argparse.Namespace, action: argparse.Action) -> Iterator[Any]:
    """The values given for ``action``: its attribute (one value, or a list for ``append``), plus any recorded in
    the order-keeping list of settings (``--scenario`` is recorded there, not in an attribute of its own)."""
    value = getattr(args, action.dest, None)
    yield from (value if isinstance(value, list) else [] if value is None else [value])
    yield from (v for name, v in getattr(args, GIVEN, None) or [] if name == action.dest)


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet: compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def check_file_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Check every path ``args`` names through ``parser``'s path options, inputs first, then outputs; then refuse an
    output named twice, or named over an input of another kind. Raises a ``SitefinderError`` (one line each)."""
    seen: list[tuple[str, PathArg, Path]] = []
    for option in sorted(file_options(parser), key=lambda o: o.kind.role != "input"):
        for value in given_values(args, option.action):
            for path in option.kind.paths(value):
                option.kind.check(path)
                seen.append((option.name, option.kind, path))
    problems = []
    outputs = [(n, k, p) for n, k, p in seen if k.role == "output" and k.shape == "file"]
    for i, (name, kind, path) in enumerate(outputs):
        for other, _, earlier in outputs[:i]:
            if _same(path, earlier):
                problems.append(Problem(f"{other} and {name}", f"both name {path}: one would overwrite the other.",
                                        "Give each output a file of its own."))
        for other, inkind, source in ((n, k, p) for n, k, p in seen if k.role == "input" and k.shape == "file"):
            if inkind.what != kind.what and _same(path, source):
                problems.append(Problem(f"{name} {path}", f"is the {inkind.what} read with {other}: writing would destroy it.",
                                        "Write the output to another file."))
    if problems:
        raise ContradictionError(problems[0].where, problems, summary="" if len(problems) == 1 else
                                 f"{len(problems)} output(s) would overwrite another file")
