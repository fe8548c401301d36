"""Files and folders a person names: checked before use, read with a size limit, written atomically.

Every file sitefinder reads or writes at a user's say goes through here (layer files through ``data/io.py``,
which adds the format checks on top), so each of these ends in one line naming the path, what is wrong and the
fix, never a traceback: a missing path, a folder where a file belongs (or the reverse), a device or pipe, a file
over its size limit, a file or folder the system will not let us read, text that is not UTF-8 or is nested too
deeply to parse, and an output in a place that cannot be written.

Outputs are written to a temporary file beside the target and renamed over it only when complete, so a failed
run never leaves a half-written or truncated file where a good one was. ``check_output_file`` tries the same
thing (a file created and removed in the target's folder) before a command starts its work, so a bad ``--csv``
is refused at once, not after minutes of measuring. Trying is the only honest test: as root, permission bits
say nothing, while a read-only mount, ``/proc`` or ``/sys`` still refuse.

This module sits just above ``errors`` so that every stage can use it (the model reads profile and scenario
files; data reads layers and manifests; report writes outputs).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sitefinder.errors import (
    FileAccessError,
    FileFormatError,
    FileTooLargeError,
    InputFileNotFoundError,
    OutputPathError,
    Problem,
    TextEncodingError,
)

MAX_SETTINGS_BYTES = 1024 * 1024  # a scenario, profile, dataset.toml or build.toml (a few KiB in practice)
HEAD_BYTES = 4096                 # what check_input_file reads: enough to sniff a format


def _line(name: str, message: str, fix: str) -> str:
    return str(Problem(name, message, fix))


def _size(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _stat(path: Path, shown: str, missing: str, fix: str) -> os.stat_result:
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):  # a part of the path that should be a folder is a file
        raise InputFileNotFoundError(_line(shown, missing, fix)) from None
    except OSError as exc:  # a folder on the way we may not enter, a symlink loop, a name too long
        raise FileAccessError(_line(shown, f"cannot be reached ({exc.strerror or exc}).",
                                    "Check the path and that you may open every folder on it.")) from None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def check_input_file(path: str | Path, *, max_bytes: int, name: str | None = None, what: str = "file",
                     fix: str = "Check the path.", too_large_fix: str = "") -> bytes:
    """Check a file before reading it: it exists, is a regular file (not a folder, device or pipe), is at most
    ``max_bytes`` by its size on disk (checked before a byte is read, so a huge or sparse file costs nothing) and
    can be read. Returns its first 4 KiB. ``name`` is what messages call it (default: the path); ``what`` says what
    it should be ("scenario file"); ``fix`` how to give a good one."""
    p = Path(path)
    shown = name or str(p)
    st = _stat(p, shown, "no such file.", fix)
    if not stat.S_ISREG(st.st_mode):
        raise FileFormatError(_line(shown, f"is not a file but {_kind(st.st_mode)}.", f"Give the path of the {what} itself."))
    if st.st_size > max_bytes:
        size = _size(st.st_size) if _size(st.st_size) != _size(max_bytes) else f"{st.st_size:,} bytes"
        raise FileTooLargeError(f"{shown}: is {size}; the limit is {_size(max_bytes)}. "
                                + (too_large_fix or f"Fix: A {what} is far smaller; check you named the right file."))
    try:
        with p.open("rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError as exc:
        raise FileAccessError(_line(shown, f"cannot be read ({exc.strerror or exc}).",
                                    "Check that you may read it, or copy it to a folder of your own.")) from None


def read_input_bytes(path: str | Path, *, max_bytes: int, name: str | None = None, what: str = "file",
                     fix: str = "Check the path.") -> bytes:
    """The whole file, after ``check_input_file``; never more than ``max_bytes`` (a file whose size on disk
    says less, as files under /proc do, is still cut off and refused)."""
    p = Path(path)
    shown = name or str(p)
    check_input_file(p, max_bytes=max_bytes, name=name, what=what, fix=fix)
    try:
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FileAccessError(_line(shown, f"cannot be read ({exc.strerror or exc}).",
                                    "Check that you may read it, or copy it to a folder of your own.")) from None
    if len(data) > max_bytes:
        raise FileTooLargeError(_line(shown, f"holds more than {_size(max_bytes)}, the limit for a {what}.",
                                      "Check you named the right file."))
    return data


def decode_text(data: bytes, name: str, *, what: str = "file") -> str:
    """UTF-8 text (a byte-order mark is allowed), or a one-line ``TextEncodingError`` (binary files end here)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextEncodingError(_line(name, f"is not UTF-8 text (byte {exc.start} cannot be decoded; a binary file?).",
                                      f"Give a {what} saved as UTF-8 text.")) from None


def read_input_text(path: str | Path, *, max_bytes: int = MAX_SETTINGS_BYTES, name: str | None = None,
                    what: str = "file", fix: str = "Check the path.") -> str:
    """The file as UTF-8 text, after the checks of ``read_input_bytes``."""
    data = read_input_bytes(path, max_bytes=max_bytes, name=name, what=what, fix=fix)
    return decode_text(data, name or str(path), what=what)


def parse_json(text: str | bytes, name: str, *, what: str = "JSON file", fix: str = "") -> Any:
    """Parsed JSON, or a one-line ``FileFormatError`` for text that is not JSON or is nested too deeply to
    parse (the parser recurses once per level: 100,000 levels of ``[`` would overflow it)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(_line(name, f"is not JSON ({exc}).", fix or f"Give a {what}.")) from None
    except UnicodeDecodeError as exc:
        raise TextEncodingError(_line(name, f"is not UTF-8 text (byte {exc.start} cannot be decoded).",
                                      fix or f"Give a {what} saved as UTF-8 text.")) from None
    except RecursionError:
        raise FileFormatError(_line(name, f"is nested too deeply to be a {what}.", fix or f"Give a {what}.")) from None


def parse_toml(text: str, name: str, *, what: str = "TOML file", fix: str = "Fix the syntax at the place named.") -> dict[str, Any]:
    """Parsed TOML, or a one-line ``FileFormatError`` for bad syntax or nesting too deep to parse."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(_line(name, f"is not valid TOML ({exc}).", fix)) from None
    except RecursionError:
        raise FileFormatError(_line(name, f"is nested too deeply to be a {what}.",
                                    f"Check you named the right file: a {what} nests a few levels, not thousands.")) from None


def check_input_folder(path: str | Path, *, name: str | None = None, what: str = "folder",
                       fix: str = "Check the path.") -> None:
    """A folder that exists, is a folder and can be listed."""
    p = Path(path)
    shown = name or str(p)
    st = _stat(p, shown, "no such folder.", fix)
    if not stat.S_ISDIR(st.st_mode):
        raise FileFormatError(_line(shown, f"is not a folder but {'a file' if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)}.",
                                    f"Give the {what} itself."))
    try:
        with os.scandir(p) as entries:
            next(entries, None)
    except OSError as exc:
        raise FileAccessError(_line(shown, f"cannot be read ({exc.strerror or exc}).",
                                    "Check that you may list it, or copy it to a folder of your own.")) from None


# ----------------------------------------------------------------------------------------------
# Writing


def _target(path: str | Path) -> Path:
    """Where a write lands: through a symlink to the file it points at (the link itself is kept). A link to a
    device or pipe is kept as it is: ``/dev/stdout`` resolves to ``pipe:[...]``, which is not a path."""
    p = Path(path)
    if not p.is_symlink():
        return p
    with contextlib.suppress(OSError):
        if _is_stream(p.stat().st_mode):
            return p
    return p.resolve()


def _is_stream(mode: int) -> bool:
    """A character device or pipe (``/dev/stdout``, ``/dev/null``, a FIFO): written straight, not renamed over."""
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _new_file(folder: Path, prefix: str) -> tuple[int, Path]:
    """Create a new, empty file of a unique name in ``folder`` (mode 0666 less the umask, like any new file)."""
    for _ in range(100):
        tmp = folder / f"{prefix}{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}: no free temporary file name")


def _existing_folder(folder: Path, shown: str) -> Path:
    """The nearest folder on the way to ``folder`` that exists (the one a new file or folder would be made in)."""
    here = folder
    while not os.path.lexists(here) and here != here.parent:
        here = here.parent
    if not here.is_dir():
        raise OutputPathError(_line(shown, f"cannot be written: {here} is a file, not a folder.",
                                    "Choose a path whose folders are folders."))
    return here


def _try_writing_in(folder: Path, shown: str) -> None:
    """Create and remove a file in ``folder``: the one check of writability that root cannot pass by mistake."""
    try:
        fd, tmp = _new_file(folder, ".sitefinder-check-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputPathError(_line(shown, f"cannot be written: {folder} refuses new files ({exc.strerror or exc}).",
                                    "Choose a folder you can write to.")) from None


def check_output_file(path: str | Path, *, name: str | None = None) -> None:
    """Check, before any work, that a file can be written at ``path``: it is not a folder or a special file, is
    not read-only, and a file can be made in its folder (or the nearest existing folder above it, if missing)."""
    p = _target(path)
    shown = name or str(path)
    if os.path.lexists(p):
        st = _stat(p, shown, "no such file.", "Check the path.")
        if stat.S_ISDIR(st.st_mode):
            raise OutputPathError(_line(shown, "is a folder, not a file.", f"Name a file, e.g. one inside it: {Path(path) / 'NAME'}."))
        if _is_stream(st.st_mode):
            if not os.access(p, os.W_OK):
                raise OutputPathError(_line(shown, "cannot be written.", "Name a file you can write to."))
            return
        if not stat.S_ISREG(st.st_mode):
            raise OutputPathError(_line(shown, f"is {_kind(st.st_mode)}, not a file.", "Name a regular file."))
        if not os.access(p, os.W_OK):
            raise OutputPathError(_line(shown, "is read-only.", "Make it writable or name another file; it was left as it is."))
    _try_writing_in(_existing_folder(p.parent, shown), shown)


def check_output_folder(path: str | Path, *, name: str | None = None) -> None:
    """Check, before any work, that files can be written in the folder ``path`` (made if missing)."""
    p = Path(path)
    shown = name or str(p)
    if os.path.lexists(p) and not p.is_dir():
        try:
            mode = p.stat().st_mode
            kind = "a file" if stat.S_ISREG(mode) else _kind(mode)
        except OSError:  # a link to nothing
            kind = "a broken link"
        raise OutputPathError(_line(shown, f"is {kind}, not a folder.", "Name a folder (it is made if missing)."))
    _try_writing_in(_existing_folder(p, shown), shown)


def _could_not_write(shown: str, exc: OSError) -> OutputPathError:
    return OutputPathError(_line(shown, f"could not be written ({exc.strerror or exc}).",
                                 "Free some space or choose another place; no file was changed."))


def _stage(p: Path, payload: bytes, shown: str) -> Path:
    """Write ``payload`` to a new temporary file beside ``p`` (made complete and flushed to disk); returns it."""
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_file(p.parent, f".{p.name}.")
    except OSError as exc:
        raise _could_not_write(shown, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if p.exists():
            os.chmod(tmp, stat.S_IMODE(p.stat().st_mode))  # a rewrite keeps the file's permissions
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _could_not_write(shown, exc) from None
    return tmp


def write_files(items: Sequence[tuple[str | Path, str | bytes]]) -> list[Path]:
    """Write each ``(path, data)`` (text as UTF-8), all or nothing: every file is first written whole to a
    temporary file beside its target; a device or pipe (``/dev/stdout``) is then written straight; only when all of
    that succeeded are the temporary files renamed over their targets. A failure (disk full, a folder that refuses
    files) raises a one-line ``OutputPathError`` and leaves every target as it was (only a failing rename, the last
    step, could leave some replaced and some not). Missing folders are made. Returns the paths, in order."""
    staged: list[tuple[Path, Path]] = []  # (temporary file, target)
    streams: list[tuple[Path, bytes, str]] = []
    try:
        for path, data in items:
            p, shown = _target(path), str(path)
            payload = data.encode("utf-8") if isinstance(data, str) else data
            try:
                is_stream = p.exists() and _is_stream(p.stat().st_mode)
            except OSError as exc:
                raise _could_not_write(shown, exc) from None
            if is_stream:
                streams.append((p, payload, shown))
            else:
                staged.append((_stage(p, payload, shown), p))
        for p, payload, shown in streams:
            try:
                with p.open("wb") as fh:
                    fh.write(payload)
            except OSError as exc:
                raise _could_not_write(shown, exc) from None
        while staged:
            tmp, p = staged[0]
            try:
                os.replace(tmp, p)
            except OSError as exc:
                raise _could_not_write(str(p), exc) from None
            staged.pop(0)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return [Path(path) for path, _ in items]


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file beside it, renamed over the target only
    when complete: either the new file is there whole, or the old one is untouched (``write_files`` of one file)."""
    return write_files([(path, data)])[0]
