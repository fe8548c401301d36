"""Error classes. Every error a user can cause is a ``SitefinderError``.

Each subclass also inherits the matching builtin, so callers can catch either
(``except ValueError`` still works for a bad layer).
"""

from __future__ import annotations

from dataclasses import dataclass


class SitefinderError(Exception):
    """Root of every error sitefinder raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, and how to fix it."""

    where: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text


class ProblemsError(SitefinderError):
    """An error that carries every problem found, not just the first."""

    def __init__(self, source: str, problems: list[Problem], *, summary: str = "") -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1 and not summary:  # one problem is one line: it names where, what and the fix
            one = self.problems[0]
            super().__init__(str(one) if source in one.where else f"{source}: {one}")
            return
        head = summary or f"{source}: {len(self.problems)} problem(s) found"
        lines = [head] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class LayerError(ProblemsError, ValueError):
    """A layer file is unreadable or fails its schema."""


class GridModelError(ProblemsError, ValueError):
    """A grid model (a PyPSA network file) that cannot be used: not a network, or values a network cannot have."""


class ProfileError(ProblemsError, ValueError):
    """A facility profile (TOML) is missing fields or has values out of range."""


class FileFormatError(SitefinderError, ValueError):
    """A file is not one of the allowed formats, judged by its content."""


class FileTooLargeError(FileFormatError):
    """A file is larger than sitefinder accepts."""


class UnsupportedFormatError(FileFormatError):
    """A file's content is not one of the allowed formats (XML/VRT, unknown binary, non-GeoPackage SQLite, ...)."""


class UnsafeArchiveError(FileFormatError):
    """A zip that could harm the server or is not a single shapefile: path traversal, bomb, many members."""


class TextEncodingError(FileFormatError):
    """A text file (CSV, GeoJSON) that is not UTF-8."""


class InputFileNotFoundError(SitefinderError, FileNotFoundError):
    """A file named by the user does not exist."""


class FileAccessError(SitefinderError, OSError):
    """A file or folder named by the user exists but cannot be read (permissions, a file the system refuses)."""


class OutputPathError(SitefinderError, OSError):
    """An output path that cannot be written: a folder, a place the system refuses, a parent that is a file."""


class ContradictionError(ProblemsError, ValueError):
    """Settings or options that cannot all hold (e.g. the smallest site bigger than the facility); each problem
    names both sides."""


class ScoringError(SitefinderError, ValueError):
    """Weights, constraints or value functions that cannot be applied."""


class BuildError(SitefinderError, RuntimeError):
    """The built-in dataset could not be built from its fact tables."""
