"""What every benchmark's ``--markdown FILE`` writes: the date, the machine, the command, and its table.

The docs' performance page includes these files as they are (docs/performance/*.md, written by ``make bench``),
so the figures there come from a run, never from a hand-kept table. Each file says how it was made.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else None  # before the benchmark's own work


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _commit() -> str:
    """The commit measured, and whether the code measured (the package, the app, the benchmarks) had uncommitted
    changes when the benchmark started."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--", "sitefinder", "webapp", "app.py", "benchmarks", "pyproject.toml")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" with uncommitted changes" if changed else "")


_COMMIT_AT_START = _commit()


def version(package: str) -> str:
    """An installed package's version, or "not installed"."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _today() -> str:
    d = dt.date.today()
    return f"{d.day} {d:%b %Y}"


def machine_line() -> str:
    """The date and the machine in one sentence."""
    load = f"; load average {_LOAD_AT_START:.1f} when it started (other work shares the CPUs)" \
        if _LOAD_AT_START is not None else ""
    return (f"Measured on {_today()} on {platform.system()} with {os.cpu_count()} CPUs ({_cpu_model()}), "
            f"Python {platform.python_version()}, sitefinder {version('sitefinder')} at commit {_COMMIT_AT_START}{load}.")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; ``|`` inside a cell is escaped."""
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write(path: Path, *, body: str, compared: str = "") -> None:
    """Write ``body`` (tables and notes, Markdown) under a line giving the date, the machine and the command."""
    script = Path(sys.argv[0]).resolve()
    try:
        script_name = script.relative_to(ROOT).as_posix()
    except ValueError:
        script_name = script.name
    command = " ".join(["python", script_name, *sys.argv[1:]])
    head = [f"<!-- written by {script_name}; do not edit by hand: run the command below again -->",
            machine_line(), f"Command: `{command}`."]
    if compared:
        head.append(compared)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join([*head, body.strip("\n")]) + "\n", encoding="utf-8")
    print(f"wrote {path}")
