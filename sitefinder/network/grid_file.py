"""Reading a grid model file: a PyPSA network saved as netCDF, which someone else made.

The file is checked like every file a user names (``files.read_input_bytes``: a regular file, at most
``MAX_GRID_MODEL_BYTES``), recognised as netCDF by its first bytes (classic ``CDF`` or netCDF-4's HDF5 signature),
then parsed by ``netcdf_reader`` in a process of its own (see there why: the C libraries, external files, sizes). What
comes back is plain numbers and text; the numbers the file leaves blank are noted (PyPSA would put its defaults in
their place), then PyPSA imports the values, with its network requests turned off (by default PyPSA asks GitHub for
a newer version whenever it imports a network), and ``pypsa_model`` turns the network into a ``PowerSystem``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from pyproj import CRS
from pyproj.exceptions import CRSError

from sitefinder.errors import FileFormatError, GridModelError, Problem
from sitefinder.files import read_input_bytes
from sitefinder.network.pypsa_model import FIX, GridModel, grid_model_from_network, names_text
from sitefinder.network.solve import pypsa_module

MAX_GRID_MODEL_BYTES = 100 * 2**20
READ_TIMEOUT_S = 120
WHAT = "grid model (PyPSA netCDF)"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
CDF_MAGICS = (b"CDF\x01", b"CDF\x02", b"CDF\x05")


def _looks_like(head: bytes) -> str:
    """What a file that is not netCDF seems to be, in a few words."""
    text = head.lstrip()[:1]
    if head.startswith(b"PK"):
        return "a zip archive"
    if head.startswith(b"SQLite format 3"):
        return "an SQLite database (a GeoPackage?)"
    if text in (b"{", b"["):
        return "JSON text (GeoJSON?)"
    if text == b"<":
        return "XML or HTML text"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "binary data of another kind"


def sniff(data: bytes, shown: str) -> None:
    """Refuse bytes that are not netCDF (classic or netCDF-4/HDF5) by their first bytes, before any parser sees them."""
    if not data:
        raise FileFormatError(f"{shown}: is empty. Fix: {FIX}")
    if data.startswith(HDF5_MAGIC) or data.startswith(CDF_MAGICS):
        return
    raise FileFormatError(f"{shown}: is not a netCDF file (it looks like {_looks_like(data[:4096])}). Fix: {FIX}")


def _read_in_child(data: bytes, shown: str) -> dict[str, Any]:
    """The network's variables as plain values, read by ``netcdf_reader`` in a process of its own."""
    root = str(Path(__file__).resolve().parents[2])
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "from sitefinder.network.netcdf_reader import main; raise SystemExit(main(int(sys.argv[2])))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HDF5_", "NETCDF", "PYTHON"))}
    env.update({"HDF5_PLUGIN_PRELOAD": "::", "HDF5_USE_FILE_LOCKING": "FALSE", "OMP_NUM_THREADS": "1"})
    with tempfile.TemporaryDirectory(prefix="sitefinder-netcdf-") as cwd:
        try:
            proc = subprocess.run([sys.executable, "-I", "-B", "-c", code, root, str(len(data))], input=data,
                                  capture_output=True, timeout=READ_TIMEOUT_S, cwd=cwd, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise FileFormatError(f"{shown}: reading it took more than {READ_TIMEOUT_S} s and was stopped. Fix: Check "
                                  "the file; a PyPSA network of the sizes sitefinder takes reads in seconds.") from None
    if proc.returncode != 0:
        raise FileFormatError(f"{shown}: the netCDF reader stopped on it (exit status {proc.returncode}); the file is "
                              f"damaged or not a netCDF file sitefinder can read. Fix: {FIX}")
    try:
        raw = json.loads(proc.stdout)
    except (ValueError, RecursionError):
        raise FileFormatError(f"{shown}: the netCDF reader gave no usable answer. Fix: {FIX}") from None
    if not isinstance(raw, dict):
        raise FileFormatError(f"{shown}: the netCDF reader gave no usable answer. Fix: {FIX}")
    if "problem" in raw:
        raise GridModelError(shown, [Problem(shown, str(raw["problem"]), str(raw.get("fix", FIX)))])
    return raw


def _dataset(raw: dict[str, Any], shown: str) -> Any:
    """An ``xarray.Dataset`` of the reader's plain values, with the snapshots' times decoded; only the attribute that
    says which PyPSA version wrote the file is kept (PyPSA sets every ``network_*`` attribute on the network)."""
    bad = FileFormatError(f"{shown}: the netCDF reader gave an answer of the wrong shape. Fix: {FIX}")
    dims, variables = raw.get("dims"), raw.get("variables")
    if not isinstance(dims, dict) or not isinstance(variables, dict):
        raise bad
    out = {}
    for name, v in variables.items():
        try:
            vdims = tuple(str(d) for d in v["dims"])
            shape = tuple(int(dims[d]) for d in vdims)
            dtype = {"f": float, "i": np.int64, "s": object}[v["kind"]]
            values = np.asarray(v["values"], dtype=dtype) if shape != (0,) else np.array([], dtype=dtype)
            attrs = {str(k): a for k, a in dict(v.get("attrs", {})).items() if isinstance(a, (str, int, float, list))}
        except (KeyError, TypeError, ValueError, OverflowError):
            raise bad from None
        if values.shape != shape:
            raise bad
        out[str(name)] = xr.Variable(vdims, values, attrs=attrs)
    version = raw.get("attrs", {}).get("network_pypsa_version")
    ds = xr.Dataset(out, attrs={"network_pypsa_version": version} if isinstance(version, str) else {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return xr.decode_cf(ds)
        except (ValueError, TypeError, OverflowError, KeyError):  # times whose units make no sense: left as numbers
            return ds


NUMBERS = ("buses_x", "buses_y", "generators_p_nom", "generators_marginal_cost", "generators_p_max_pu",
           "generators_p_min_pu", "generators_t_p_max_pu", "generators_t_p_min_pu", "generators_t_marginal_cost",
           "loads_p_set", "loads_t_p_set", "lines_s_nom", "lines_s_max_pu", "transformers_s_nom", "transformers_s_max_pu",
           "links_p_nom", "links_p_max_pu", "links_p_min_pu")


def _blank_numbers(ds: Any, shown: str) -> list[Problem]:
    """Numbers the file leaves blank (NaN): PyPSA would quietly put its default (0 MW, say) in their place."""
    problems = []
    for var in NUMBERS:
        if var not in ds or ds[var].dtype.kind != "f":
            continue
        values = ds[var].values
        if not np.isnan(values).any():
            continue
        names_dim = [d for d in ds[var].dims if d != "snapshots"]
        names = ds[names_dim[0]].values if names_dim and names_dim[0] in ds else np.array([])
        bad = np.isnan(values).any(axis=0) if values.ndim == 2 else np.isnan(values)
        component, _, attr = var.partition("_t_") if "_t_" in var else var.partition("_")
        component = {"buses": "bus", "generators": "generator", "loads": "load", "lines": "line",
                     "transformers": "transformer", "links": "link"}[component]
        problems.append(Problem(shown, f"{component} {attr} is not a number (blank) for "
                                f"{names_text(list(names[bad]) if len(names) == len(bad) else ['some'])}.",
                                "Give every component a number; PyPSA would put its default in place of a blank."))
    return problems


def _srid_problem(raw: dict[str, Any], shown: str) -> Problem | None:
    """A model whose coordinates are not longitude and latitude, by its ``network_srid`` or ``crs`` attribute."""
    attrs = raw.get("attrs", {})
    srid = attrs.get("network_srid")
    crs_text = attrs.get("crs")
    epsg = None
    if isinstance(srid, (int, float)) and srid not in (4326, 0):
        epsg = int(srid)
    elif isinstance(crs_text, str) and crs_text.strip() not in ("", "{}"):
        try:
            wkt = json.loads(crs_text).get("_crs")
            if isinstance(wkt, str):
                found = CRS.from_wkt(wkt).to_epsg()
                epsg = found if found not in (None, 4326) else None
        except (ValueError, AttributeError, CRSError, RecursionError):
            return None  # the buses' coordinates are checked against lon/lat ranges anyway
    if epsg is None:
        return None
    return Problem(shown, f"its buses' x and y are in EPSG:{epsg}; sitefinder needs longitude and latitude (EPSG:4326).",
                   "Convert the buses' x and y to lon/lat (e.g. n.buses[['x', 'y']] from a GeoDataFrame .to_crs(4326)) "
                   "and save again.")


def read_grid_model(path: str | Path, *, name: str | None = None) -> GridModel:
    """Read a grid model file: checked like every file a user names (``files.read_input_bytes``: a regular file,
    at most ``MAX_GRID_MODEL_BYTES``), recognised as netCDF by its first bytes, parsed in a process of its own
    (``netcdf_reader``), then imported by PyPSA from plain values and converted (``grid_model_from_network``).
    ``name``: what messages call it (an upload's own file name). Raises a ``SitefinderError`` naming the file."""
    shown = name or str(path)
    data = read_input_bytes(path, max_bytes=MAX_GRID_MODEL_BYTES, name=shown, what=WHAT, fix=FIX)
    sniff(data, shown)
    raw = _read_in_child(data, shown)
    srid = _srid_problem(raw, shown)
    if srid is not None:
        raise GridModelError(shown, [srid])
    ds = _dataset(raw, shown)
    blank = _blank_numbers(ds, shown)
    n = pypsa_module().Network()  # with its network requests off: it would otherwise ask GitHub for updates on import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            n.import_from_netcdf(ds)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError, OverflowError) as exc:
            raise GridModelError(shown, [Problem(shown, f"PyPSA cannot read it as a network ({_brief(exc)}).", FIX)]) from None
    counts = raw.get("counts", {})
    left_out = {k: int(v) for k, v in counts.items() if k in ("storage_units", "stores") and isinstance(v, int) and v}
    return grid_model_from_network(n, shown, left_out=left_out, problems=blank)


def _brief(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]

