"""Reading a netCDF file someone else made, in a process of its own: the parts of a PyPSA network sitefinder uses,
as plain numbers and text (JSON), or why not.

A netCDF file is parsed by C libraries (netCDF-C on HDF5) that were not written for hostile input: a malformed file
can crash them, a small compressed file can unpack to gigabytes, and an HDF5 file can point at *other* files (an
external link, external raw storage, a virtual dataset), which the library would open and read, as an OGR VRT makes
GDAL read local files. So ``sitefinder.network.user_model`` never parses one in its own process. It runs
``python -m sitefinder.network.netcdf_reader`` (this module), hands it the file's bytes on standard input, and reads
JSON back. Here, before a byte is parsed, the process limits its own memory, CPU time and the files it may write;
then it

1. refuses an HDF5 file (netCDF-4) with an external link, external storage or a virtual dataset (checked with h5py,
   which reads the file's structure and no data);
2. opens the bytes read-only from memory (netCDF-C's ``nc_open_mem``: the library is given no path, so it can reach
   no URL or other file), and refuses a file that is not a PyPSA network, or whose sizes (buses, snapshots,
   components, values) are over the limits below, judged from the dimensions before any data is read;
3. reads only the variables of the components sitefinder uses (snapshots, buses, carriers, generators, loads, lines,
   transformers, links) and writes them out: each variable's dimensions, its values (numbers or text) and its
   plain attributes (units, calendar).

Nothing in the file is executed or evaluated; no attribute becomes an attribute of a Python object here. A crash,
a limit hit or a time-out ends only this process, and the caller reports the file as unreadable.
"""

from __future__ import annotations

import io
import json
import math
import re
import resource
import sys
from typing import Any

import h5py
import netCDF4
import numpy as np

MAX_BUSES = 100                    # one zone per bus: the solve repeats the network once per bus
MAX_SNAPSHOTS = 400                # each snapshot is solved for every bus
MAX_BUS_SNAPSHOTS = 4_000          # buses x snapshots: the copies of the network in one linear programme
MAX_COMPONENTS = 20_000            # generators, loads, lines, links or transformers (each)
MAX_VALUES = 4_000_000             # numbers and strings read, in all (what the dimensions say, before reading)
MAX_TEXT_CHARS = 200               # a component's name or a text attribute
MAX_OBJECTS = 20_000               # groups, variables and links in an HDF5 file
MEMORY_BYTES = 1024 * 2**20        # more address space than the process has when it starts reading
CPU_SECONDS = 60

USED = ("snapshots", "buses", "carriers", "generators", "loads", "lines", "transformers", "links")
COUNTED = ("storage_units", "stores", "shunt_impedances", "line_types", "transformer_types", "shapes",
           "sub_networks", "global_constraints", "processes")
NAME = re.compile(rf"^({'|'.join(USED)})(_|$)")


class Refusal(Exception):
    """Why the file cannot be used: what is wrong and the fix (both plain text)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def _limit_self() -> None:
    """Cap this process's memory (address space: what it has now plus ``MEMORY_BYTES``), CPU time, and the size of
    any file it writes (zero: it writes none)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[0])
    now = pages * resource.getpagesize()
    for limit, value in ((resource.RLIMIT_AS, now + MEMORY_BYTES), (resource.RLIMIT_CPU, CPU_SECONDS),
                         (resource.RLIMIT_FSIZE, 0)):
        resource.setrlimit(limit, (value, value))


def _hdf5_structure(data: bytes) -> None:
    """Refuse an HDF5 file that would make the library open another file, or that holds too many objects. (The
    visits only note what they find: an exception raised inside h5py's callback does not come out cleanly.)"""
    found: list[tuple[str, str]] = []

    def visit(name: str, link: Any) -> bool | None:
        found.append((name, "external" if isinstance(link, h5py.ExternalLink) else ""))
        return True if found[-1][1] or len(found) > MAX_OBJECTS else None  # anything but None stops the visit

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            f.visititems_links(visit)
            external = [name for name, kind in found if kind]
            if external:
                raise Refusal(f"has an external link ({external[0][:MAX_TEXT_CHARS]}) to another file; reading it would "
                              "open that file.", "Save the network with Network.export_to_netcdf, which writes one "
                              "self-contained file.")
            if len(found) > MAX_OBJECTS:
                raise Refusal(f"holds more than {MAX_OBJECTS:,} objects; a PyPSA network holds a few hundred.",
                              "Check that this is a PyPSA network saved with Network.export_to_netcdf.")
            for name, _ in found:
                obj = f.get(name, getlink=False)
                if isinstance(obj, h5py.Dataset) and (obj.external or obj.is_virtual):
                    raise Refusal(f"keeps the data of {name[:MAX_TEXT_CHARS]} in another file; reading it would open "
                                  "that file.", "Save the network with Network.export_to_netcdf, which writes one "
                                  "self-contained file.")
    except (OSError, ValueError, KeyError, RuntimeError, SystemError) as exc:
        raise Refusal(f"is not a readable netCDF-4 (HDF5) file: {_short(exc)}.",
                      "The file may be truncated or damaged: save the network again with Network.export_to_netcdf.") from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _attr(value: Any) -> Any:
    """A plain attribute value (text, a number, or a short list of numbers); None for anything else."""
    if isinstance(value, str):
        return value[:4 * MAX_TEXT_CHARS]
    if isinstance(value, bytes):
        return None
    try:
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf" and arr.size <= 16:
            out = arr.tolist()
            return out
    except (TypeError, ValueError):
        return None
    return None


def _values(var: Any) -> tuple[str, list[Any]]:
    """(kind, values) of a variable: "f" numbers, "i" whole numbers, "s" text."""
    arr = np.asarray(var[...])
    kind = arr.dtype.kind
    if kind in "fiub":
        return ("f" if kind == "f" else "i"), arr.astype(float if kind == "f" else np.int64).tolist()
    if kind in "OUS":
        flat = []
        for v in arr.reshape(-1):
            text = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            if len(text) > MAX_TEXT_CHARS:
                raise Refusal(f"{var.name[:MAX_TEXT_CHARS]} holds a text of {len(text):,} characters; names are at most "
                              f"{MAX_TEXT_CHARS}.", "Give the components shorter names.")
            flat.append(text)
        return "s", np.array(flat, dtype=object).reshape(arr.shape).tolist()
    raise Refusal(f"{var.name[:MAX_TEXT_CHARS]} holds values of a type a PyPSA network does not use ({arr.dtype}).",
                  "Save the network with Network.export_to_netcdf.")


def _size(dims: dict[str, int], names: tuple[str, ...]) -> int:
    return math.prod(dims[d] for d in names)


def read(data: bytes) -> dict[str, Any]:
    """The parts of the PyPSA network in ``data`` that sitefinder uses, as plain values; raises ``Refusal``."""
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        _hdf5_structure(data)
    try:
        nc = netCDF4.Dataset("grid-model", mode="r", memory=data)
    except (OSError, ValueError, RuntimeError) as exc:
        raise Refusal(f"is not a readable netCDF file: {_short(exc)}.",
                      "The file may be truncated or damaged: save the network again with Network.export_to_netcdf.") from None
    try:
        nc.set_auto_maskandscale(False)
        dims = {str(k): len(d) for k, d in nc.dimensions.items()}
        attrs = {str(k): _attr(nc.getncattr(k)) for k in nc.ncattrs()}
        if "buses_i" not in dims:
            if any(k.startswith("network_") for k in attrs):
                raise Refusal("is a PyPSA network with no buses.", "Add the network's buses (with x and y) and save it again.")
            shown = ", ".join(sorted(nc.variables)[:8]) or "none"
            raise Refusal(f"is a netCDF file but not a PyPSA network: it has no buses_i dimension (variables: {shown}).",
                          "Give a PyPSA network saved with Network.export_to_netcdf.")
        if "investment_periods" in dims or "snapshots_period" in nc.variables or "scenario" in dims:
            raise Refusal("is a multi-period or stochastic PyPSA network; sitefinder reads one set of snapshots.",
                          "Save one investment period (or scenario) as a network of its own.")
        counts = {name: dims.get(f"{name}_i", 0) for name in (*USED[1:], *COUNTED)}
        counts["snapshots"] = dims.get("snapshots", 0)
        if counts["buses"] > MAX_BUSES:
            raise Refusal(f"has {counts['buses']:,} buses; the limit is {MAX_BUSES} (one zone per bus, and the solve "
                          "repeats the network once per bus).",
                          f"Cluster the network to at most {MAX_BUSES} buses (e.g. pypsa.clustering.spatial), or cut it "
                          "to your study area.")
        if counts["snapshots"] > MAX_SNAPSHOTS:
            raise Refusal(f"has {counts['snapshots']:,} snapshots; the limit is {MAX_SNAPSHOTS} (each is solved for "
                          "every bus).", f"Keep at most {MAX_SNAPSHOTS} representative snapshots, e.g. one per month and "
                          "hour type, or n.set_snapshots(n.snapshots[::k]).")
        if counts["buses"] * max(counts["snapshots"], 1) > MAX_BUS_SNAPSHOTS:
            raise Refusal(f"has {counts['buses']} buses x {counts['snapshots']} snapshots = "
                          f"{counts['buses'] * counts['snapshots']:,}; the limit is {MAX_BUS_SNAPSHOTS:,} (the copies of "
                          "the network solved in one linear programme).",
                          "Use fewer snapshots or cluster the network to fewer buses.")
        for name in ("generators", "loads", "lines", "links", "transformers"):
            if counts[name] > MAX_COMPONENTS:
                raise Refusal(f"has {counts[name]:,} {name}; the limit is {MAX_COMPONENTS:,}.",
                              "Cluster the network, or aggregate its components.")
        wanted = [v for name, v in nc.variables.items() if NAME.match(str(name))]
        total = sum(_size(dims, tuple(v.dimensions)) for v in wanted)
        if total > MAX_VALUES:
            raise Refusal(f"holds {total:,} values in the components sitefinder reads; the limit is {MAX_VALUES:,}.",
                          "Use fewer snapshots or components.")
        variables = {}
        for v in wanted:
            kind, values = _values(v)
            variables[str(v.name)] = {"dims": [str(d) for d in v.dimensions], "kind": kind, "values": values,
                                      "attrs": {str(k): a for k in v.ncattrs() if (a := _attr(v.getncattr(k))) is not None}}
        return {"format": str(nc.data_model), "dims": dims, "attrs": {k: v for k, v in attrs.items() if v is not None},
                "counts": counts, "variables": variables}
    except (OSError, RuntimeError, IndexError) as exc:
        raise Refusal(f"could not be read: {_short(exc)}.",
                      "The file may be truncated or damaged: save the network again with Network.export_to_netcdf.") from None
    finally:
        nc.close()


def main(limit: int) -> int:
    """Read a file's bytes (at most ``limit``) on standard input, write JSON on standard output: the network
    (``read``), or ``{"problem": ..., "fix": ...}``. Exit status 0 either way; anything else means the reader failed.
    Everything this process needs was imported with the module, before the limits are set."""
    data = sys.stdin.buffer.read(limit + 1)
    _limit_self()
    try:
        if len(data) > limit:
            raise Refusal(f"is larger than {limit:,} bytes.", "Give a smaller file.")
        out: dict[str, Any] = read(data)
    except Refusal as r:
        out = {"problem": r.message, "fix": r.fix}
    except MemoryError:
        out = {"problem": f"needs more than {MEMORY_BYTES // 2**20:,} MiB of memory to read.",
               "fix": "Use fewer snapshots or components."}
    sys.stdout.write(json.dumps(out, allow_nan=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1])))
