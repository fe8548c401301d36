"""A grid model the user brings: a PyPSA network, saved as netCDF, in place of the built-in network model.

``read_grid_model`` reads the file safely (``netcdf_reader`` parses it in a process of its own; see there why),
``grid_model_from_network`` turns a ``pypsa.Network`` into a ``PowerSystem``, ``solve_grid_model`` finds every bus's
deliverable surplus with the same method as the built-in model (``network.solve``), and ``apply_grid_model`` puts
the answer into a dataset: its ``zones`` layer becomes the model's buses (one zone per bus) and each grid node's
``zone`` becomes the bus it joins.

How the network is read (a *transport* model: power flows where the limits allow; impedance is ignored):

- **buses**: ``x`` and ``y`` are longitude and latitude (EPSG:4326). Electricity buses only (carrier AC, DC or
  blank): a sector-coupled model is refused.
- **generators**: ``p_nom`` (MW); ``p_max_pu`` (static or by snapshot) is the share that can run; ``p_min_pu`` above
  0 is a must-run share (it runs at least that much, and what nobody can take is spilled); ``marginal_cost``
  orders the plants. Extendable capacity is not built: ``p_nom`` as saved is used. Unit commitment is ignored.
- **loads**: ``p_set`` (static or by snapshot, MW) summed per bus is the demand to serve.
- **lines** and **transformers**: ``s_nom x s_max_pu`` (MVA taken as MW) either way. **Links**: ``p_nom x
  p_max_pu`` from bus0 to bus1 and ``p_nom x -p_min_pu`` back (PyPSA's default ``p_min_pu = 0`` is one-way);
  losses (``efficiency``) and further ports (bus2, ...) are ignored.
- **storage units and stores** are left out (each case is solved on its own, with nothing carried between them);
  the read says how many there were.
- **snapshots** must be timestamps, read as local time (a time zone, where given, is converted to Pakistan time,
  UTC+5). Each snapshot's month and hour type (evening 18-22 h, midday 10-16 h, night the rest) make its case;
  several snapshots in one case are each solved, and the case's surplus is the least of them (firm within the case).

Units: power in MW. ``marginal_cost`` is in the model's own currency per MWh (PyPSA's convention), so the cost of
serving a zone's extra load is given in that currency per kWh (``marginal_cost / 1000``), not PKR unless the model's
costs are PKR/MWh; ``COST_UNIT`` says so wherever it is shown. The model is one case: its answer has no low-high range.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.data.dataset import Dataset
from sitefinder.errors import FileFormatError, GridModelError, LayerError, Problem
from sitefinder.files import read_input_bytes
from sitefinder.measure.geodesy import NearestFinder
from sitefinder.model.vocabulary import MONTH_NAMES
from sitefinder.network.netcdf_reader import MAX_TEXT_CHARS
from sitefinder.network.system import PowerSystem
from sitefinder.network.zones import zones_layer

if TYPE_CHECKING:
    import pypsa

MAX_GRID_MODEL_BYTES = 100 * 2**20
READ_TIMEOUT_S = 120
WHAT = "grid model (PyPSA netCDF)"
FIX = "Give a PyPSA network saved with Network.export_to_netcdf (a .nc file)."
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
CDF_MAGICS = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
MAX_CAPACITY_MW = 100_000.0  # the solve's largest probe and shedding: more than any plant or line anywhere
ELECTRIC = ("AC", "DC", "")
LOCAL_TZ = "Asia/Karachi"
COST_UNIT = "model currency/kWh (its marginal_cost per MWh / 1000)"
SOLVER_COST_TOP = 30.0  # the dearest plant's cost as solved: where the built-in's dearest fuel sits (PKR/kWh)
NO_RANGE = "no range: the user's model is one case"
MAX_LP_VARIABLES = 400_000  # about 40 s and 1.5 GB on 2 cores (benchmarks/bench_grid_model.py)
CHUNK_VARIABLES = 200_000  # the most variables solved at once: zones are solved a few at a time below that


def hour_type(hour: int) -> str:
    """The hour type of an hour of the day (0-23): evening 18-22 h, midday 10-16 h, night the other 14 hours."""
    return "evening" if 18 <= hour < 22 else "midday" if 10 <= hour < 16 else "night"


@dataclass(frozen=True)
class GridModel:
    """A user's network as a ``PowerSystem`` whose cases are (month, hour type, snapshot), with what was read.

    ``cost_scale``: the model's costs per kWh were multiplied by this for the solve (the merit order is unchanged;
    reported costs are divided by it again). ``counts``: components read; ``notes``: what was left out or assumed."""

    name: str
    system: PowerSystem
    cost_scale: float
    counts: dict[str, int]
    notes: tuple[str, ...] = ()

    @property
    def cases(self) -> list[str]:
        """The cases the snapshots fall in, in words ("Jan evening")."""
        keys = dict.fromkeys((m, h) for m, h, _ in self.system.demand.index)
        return [f"{MONTH_NAMES[m - 1]} {h}" for m, h in keys]

    def describe(self) -> str:
        """One line: what the model holds."""
        c = self.counts
        parts = [f"{c['buses']} bus(es)", f"{c['generators']} generator(s)", f"{c['loads']} load(s)",
                 f"{c['lines']} line(s)", f"{c['transformers']} transformer(s)", f"{c['links']} link(s)"]
        cases = self.cases
        return (f"{', '.join(parts)}; {c['snapshots']} snapshot(s) in {len(cases)} case(s) of month and hour type "
                f"({', '.join(cases[:6])}{', ...' if len(cases) > 6 else ''})")


@dataclass(frozen=True)
class SolvedGridModel:
    """A grid model and its answer: ``by_snapshot`` (zone x snapshot), ``table`` (zone x month x hour type: the
    least over the case's snapshots) and the ``zones`` layer made from it; ``seconds`` the solve took."""

    model: GridModel
    by_snapshot: pd.DataFrame
    table: pd.DataFrame
    zones: gpd.GeoDataFrame
    seconds: float
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------------------------
# Reading the file


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
    import xarray as xr

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
                                f"{_rows(list(names[bad]) if len(names) == len(bad) else ['some'])}.",
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
        from pyproj import CRS
        from pyproj.exceptions import CRSError

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
    import pypsa

    from sitefinder.network import solve  # noqa: F401  (PyPSA's options and logging, set once)

    shown = name or str(path)
    data = read_input_bytes(path, max_bytes=MAX_GRID_MODEL_BYTES, name=shown, what=WHAT, fix=FIX)
    sniff(data, shown)
    raw = _read_in_child(data, shown)
    srid = _srid_problem(raw, shown)
    if srid is not None:
        raise GridModelError(shown, [srid])
    ds = _dataset(raw, shown)
    blank = _blank_numbers(ds, shown)
    pypsa.options.general.allow_network_requests = False  # PyPSA would otherwise ask GitHub for updates on import
    n = pypsa.Network()
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


# ---------------------------------------------------------------------------------------------------------------
# Converting a network


def _summary(shown: str, count: int) -> str:
    return f"{shown}: {count} problems in the grid model" if count > 1 else ""


def _rows(names: pd.Index | list[Any], limit: int = 5) -> str:
    names = [str(n)[:60] for n in names]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _numbers(frame: pd.DataFrame, what: str, cols: tuple[str, ...], shown: str, problems: list[Problem], *,
             low: float = 0.0, high: float = MAX_CAPACITY_MW, unit: str = "MW") -> None:
    """NaN, infinite, negative or huge values of ``cols`` of ``frame`` (static, one row per component)."""
    for col in cols:
        if col not in frame:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").astype(float)
        for label, mask, fix in (
            ("not a number", values.isna(), "Give every component a number."),
            ("infinite", np.isinf(values), "Give a finite value: sitefinder cannot solve an unlimited one."),
            (f"below {low:g}", values < low, f"Give values of at least {low:g} {unit}."),
            (f"above {high:,.0f}", (values > high) & np.isfinite(values), f"Give values of at most {high:,.0f} {unit}."),
        ):
            bad = values.index[mask.to_numpy()]
            if len(bad):
                problems.append(Problem(shown, f"{what} {col} is {label} for {_rows(bad)}.", fix))


def _series_numbers(frame: pd.DataFrame, what: str, shown: str, problems: list[Problem], low: float, high: float,
                    unit: str) -> None:
    """The same checks on a snapshots x components table (time series)."""
    values = frame.astype(float)
    for label, mask in (("not a number", values.isna()), ("infinite", np.isinf(values)),
                        (f"below {low:g}", values < low), (f"above {high:g}", (values > high) & np.isfinite(values))):
        cols = values.columns[mask.to_numpy().any(axis=0)]
        if len(cols):
            problems.append(Problem(shown, f"{what} is {label} in some snapshot for {_rows(cols)}.",
                                    f"Give values from {low:g} to {high:g} {unit}."))


def _missing_buses(frame: pd.DataFrame, what: str, cols: tuple[str, ...], buses: pd.Index, shown: str,
                   problems: list[Problem]) -> None:
    for col in cols:
        if col not in frame:
            continue
        bad = frame.index[~frame[col].astype(str).isin(buses)]
        if len(bad):
            names = sorted({str(b)[:60] for b in frame.loc[bad, col]})
            problems.append(Problem(shown, f"{what} {_rows(bad)}: {col} names bus(es) the network does not have "
                                    f"({', '.join(names[:5])}).", "Add those buses, or connect the components to buses "
                                    "that exist."))


def _snapshots(n: pypsa.Network, shown: str) -> tuple[pd.DatetimeIndex, Problem | None]:
    """The snapshots as local timestamps, or what is wrong with them."""
    snaps = n.snapshots
    if isinstance(snaps, pd.MultiIndex):
        return pd.DatetimeIndex([]), Problem(shown, "has snapshots in several investment periods.",
                                             "Save one period's snapshots as a network of its own.")
    if not isinstance(snaps, pd.DatetimeIndex):
        return pd.DatetimeIndex([]), Problem(
            shown, f"its snapshots are not timestamps ({_rows(list(snaps), 3)}); sitefinder needs each snapshot's month "
            "and hour.", "Set timestamped snapshots, e.g. n.set_snapshots(pd.date_range(...)), and save again.")
    if len(snaps) == 0:
        return snaps, Problem(shown, "has no snapshots.", "Give at least one timestamped snapshot.")
    if snaps.tz is not None:
        snaps = snaps.tz_convert(LOCAL_TZ).tz_localize(None)
    if snaps.has_duplicates:
        return snaps, Problem(shown, f"has the snapshot {snaps[snaps.duplicated()][0]} twice.", "Give each snapshot once.")
    return pd.DatetimeIndex(snaps), None


def _dense(n: pypsa.Network, component: str, attr: str, names: pd.Index) -> pd.DataFrame:
    """snapshots x components: the time series where given, the static value elsewhere."""
    static = getattr(n, {"Generator": "generators", "Load": "loads", "Link": "links", "Line": "lines",
                         "Transformer": "transformers"}[component])
    series = getattr(n, {"Generator": "generators_t", "Load": "loads_t", "Link": "links_t", "Line": "lines_t",
                         "Transformer": "transformers_t"}[component])
    out = pd.DataFrame(np.tile(pd.to_numeric(static.loc[names, attr], errors="coerce").to_numpy(float),
                               (len(n.snapshots), 1)), index=n.snapshots, columns=names)
    given = series[attr] if attr in series else pd.DataFrame(index=n.snapshots)
    cols = [c for c in given.columns if c in out.columns]
    if cols:
        out[cols] = given[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    return out


def _active(frame: pd.DataFrame) -> pd.Series:
    if "active" not in frame:
        return pd.Series(True, index=frame.index)
    return frame["active"].map(lambda v: v is not False and v != 0).astype(bool)


def grid_model_from_network(n: pypsa.Network, name: str, *, left_out: dict[str, int] | None = None,
                            problems: list[Problem] | None = None) -> GridModel:
    """A ``GridModel`` of ``n`` (see the module's docstring for what is read and how); every problem is reported
    together in one ``GridModelError`` naming ``name``, after ``problems`` already found in the file. ``left_out``:
    components of kinds not read, by kind, to say so."""
    shown = name
    problems = list(problems or [])
    notes: list[str] = []
    buses = n.buses
    if len(buses) == 0:
        raise GridModelError(shown, [*problems, Problem(shown, "has no buses.",
                                                        "Add the network's buses (with x and y) and save it again.")])
    carriers = buses["carrier"].fillna("").astype(str) if "carrier" in buses else pd.Series("", index=buses.index)
    other = sorted(set(carriers) - set(ELECTRIC))
    if other:
        problems.append(Problem(shown, f"has buses of carrier {', '.join(repr(c[:30]) for c in other[:5])}: a "
                                "sector-coupled model; sitefinder reads an electricity network (AC and DC buses).",
                                "Save the electricity network on its own."))
    long_names = [b for b in buses.index if len(str(b)) > MAX_TEXT_CHARS]
    if long_names:
        problems.append(Problem(shown, f"has bus names longer than {MAX_TEXT_CHARS} characters.", "Give shorter names."))
    x = pd.to_numeric(buses["x"], errors="coerce").astype(float)
    y = pd.to_numeric(buses["y"], errors="coerce").astype(float)
    unset = (x == 0) & (y == 0)
    if unset.all():
        problems.append(Problem(shown, "its buses have no coordinates (x and y are 0 for every bus).",
                                "Give each bus its longitude as x and latitude as y (EPSG:4326)."))
    else:
        if unset.any():
            problems.append(Problem(shown, f"bus(es) {_rows(buses.index[unset])} are at x = 0, y = 0 (in the Gulf of "
                                    "Guinea): their coordinates are missing.", "Give each bus its longitude as x and "
                                    "latitude as y."))
        off = ~(x.between(-180, 180) & y.between(-90, 90))
        if off.any():
            problems.append(Problem(shown, f"bus(es) {_rows(buses.index[off])} have x/y outside longitude -180..180 and "
                                    f"latitude -90..90 (e.g. x = {x[off].iloc[0]:g}, y = {y[off].iloc[0]:g}): not lon/lat.",
                                    "Give the buses' x and y as longitude and latitude (EPSG:4326), not projected "
                                    "metres."))
    snaps, snapshot_problem = _snapshots(n, shown)
    if snapshot_problem is not None:  # nothing by snapshot can be checked without them
        raise GridModelError(shown, [*problems, snapshot_problem], summary=_summary(shown, len(problems) + 1))
    bus_ids = buses.index.astype(str)

    gens = n.generators[_active(n.generators)] if len(n.generators) else n.generators
    if len(n.generators) > len(gens):
        notes.append(f"{len(n.generators) - len(gens)} inactive generator(s) left out")
    _missing_buses(gens, "generator(s)", ("bus",), bus_ids, shown, problems)
    _numbers(gens, "generator", ("p_nom",), shown, problems)
    _numbers(gens, "generator", ("marginal_cost",), shown, problems, high=1e9, unit="per MWh")
    loads = n.loads[_active(n.loads)] if len(n.loads) else n.loads
    _missing_buses(loads, "load(s)", ("bus",), bus_ids, shown, problems)
    if "sign" in loads and (pd.to_numeric(loads["sign"], errors="coerce") > 0).any():
        problems.append(Problem(shown, "has loads with a positive sign (they would generate).",
                                "Model generation as a Generator."))
    branches = []
    for kind, frame, cap in (("line", n.lines, "s_nom"), ("transformer", n.transformers, "s_nom"), ("link", n.links, "p_nom")):
        frame = frame[_active(frame)] if len(frame) else frame
        _missing_buses(frame, f"{kind}(s)", ("bus0", "bus1"), bus_ids, shown, problems)
        _numbers(frame, kind, (cap,), shown, problems)
        branches.append((kind, frame, cap))
    if problems:
        raise GridModelError(shown, problems, summary=_summary(shown, len(problems)))

    gen_names = gens.index
    pmax = _dense(n, "Generator", "p_max_pu", gen_names) if len(gens) else pd.DataFrame(index=n.snapshots)
    pmin = _dense(n, "Generator", "p_min_pu", gen_names) if len(gens) else pd.DataFrame(index=n.snapshots)
    _series_numbers(pmax, "generator p_max_pu", shown, problems, 0.0, 1.0, "(share of p_nom)")
    _series_numbers(pmin, "generator p_min_pu", shown, problems, 0.0, 1.0, "(share of p_nom)")
    above = pmin.columns[(pmin > pmax + 1e-9).to_numpy().any(axis=0)] if len(gens) else []
    if len(above):
        problems.append(Problem(shown, f"generator p_min_pu is above p_max_pu in some snapshot for {_rows(above)}.",
                                "Give p_min_pu <= p_max_pu."))
    demand_by_load = _dense(n, "Load", "p_set", loads.index) if len(loads) else pd.DataFrame(index=n.snapshots)
    _series_numbers(demand_by_load, "load p_set", shown, problems, 0.0, MAX_CAPACITY_MW, "MW")
    if problems:
        raise GridModelError(shown, problems, summary=_summary(shown, len(problems)))

    cases = pd.MultiIndex.from_arrays([snaps.month.astype(int), [hour_type(h) for h in snaps.hour],
                                       [f"{t:%Y-%m-%d %H:%M}" for t in snaps]], names=["month", "hour_type", "snapshot"])
    bus_frame = pd.DataFrame({"name": bus_ids, "system": "user model", "x": x.to_numpy(), "y": y.to_numpy()},
                             index=pd.Index(bus_ids, name="bus"))

    cost = pd.to_numeric(gens["marginal_cost"], errors="coerce").astype(float) / 1000.0 if len(gens) else pd.Series(dtype=float)
    if "marginal_cost" in n.generators_t and len(n.generators_t["marginal_cost"].columns):
        varying = [c for c in n.generators_t["marginal_cost"].columns if c in gen_names]
        if varying:
            cost.loc[varying] = n.generators_t["marginal_cost"][varying].astype(float).mean() / 1000.0
            notes.append(f"{len(varying)} generator(s) have costs by snapshot; their mean is used")
    top = float(cost.max()) if len(cost) else 0.0
    scale = SOLVER_COST_TOP / top if top > 0 else 1.0
    rows, avail_cols = [], {}
    for g, r in gens.iterrows():
        p_nom = float(r["p_nom"])
        fuel = f"model:{str(r.get('carrier') or 'unknown')[:40]}"
        lo, hi = pmin[g].to_numpy(float), pmax[g].to_numpy(float)
        if (lo > 0).any():
            rows.append({"id": f"g:{g} (must run)", "bus": str(r["bus"]), "fuel": fuel, "contract": "user model",
                         "p_nom": p_nom, "marginal_cost": cost[g] * scale, "must_run": True})
            avail_cols[f"g:{g} (must run)"] = lo
        rows.append({"id": f"g:{g}", "bus": str(r["bus"]), "fuel": fuel, "contract": "user model", "p_nom": p_nom,
                     "marginal_cost": cost[g] * scale, "must_run": False})
        avail_cols[f"g:{g}"] = hi - lo
    generators = (pd.DataFrame(rows).set_index("id") if rows else
                  pd.DataFrame(columns=["bus", "fuel", "contract", "p_nom", "marginal_cost", "must_run"]))
    availability = pd.DataFrame(avail_cols, index=cases, columns=list(generators.index)).astype(float)
    if len(gens):
        if "p_nom_extendable" in gens and gens["p_nom_extendable"].astype(bool).any():
            notes.append(f"{int(gens['p_nom_extendable'].astype(bool).sum())} extendable generator(s): their p_nom as "
                         "saved is used, nothing is built")
        if "committable" in gens and gens["committable"].astype(bool).any():
            notes.append("unit commitment (committable generators) is ignored")

    load_bus = loads["bus"].astype(str) if len(loads) else pd.Series(dtype=str)
    demand = pd.DataFrame(0.0, index=cases, columns=list(bus_ids))
    for load, bus in load_bus.items():
        demand[bus] = demand[bus].to_numpy() + demand_by_load[load].to_numpy(float)

    link_rows = []
    for kind, frame, cap in branches:
        if not len(frame):
            continue
        per_unit_hi = "s_max_pu" if kind != "link" else "p_max_pu"
        static_hi = pd.to_numeric(frame.get(per_unit_hi, 1.0), errors="coerce")
        static_lo = pd.to_numeric(frame.get("p_min_pu", 0.0), errors="coerce") if kind == "link" else None
        series = getattr(n, f"{kind}s_t")
        if per_unit_hi in series and len(series[per_unit_hi].columns):
            notes.append(f"{kind} {per_unit_hi} given by snapshot is ignored; the static value is used")
        for b, r in frame.iterrows():
            if str(r["bus0"]) == str(r["bus1"]):
                continue
            size = float(r[cap])
            hi = float(static_hi[b]) if pd.notna(static_hi[b]) else 1.0
            if kind == "link":
                lo = float(static_lo[b]) if static_lo is not None and pd.notna(static_lo[b]) else 0.0
                forward, back = size * max(hi, 0.0), size * max(0.0, -lo)
            else:
                forward = back = size * max(hi, 0.0)
            link_rows.append({"id": f"{kind}:{b}", "bus0": str(r["bus0"]), "bus1": str(r["bus1"]), "p_nom": forward,
                              "p_nom_back": back, "name": f"{kind} {str(b)[:MAX_TEXT_CHARS]}", "source": name})
        if kind == "link":
            if "efficiency" in frame and (pd.to_numeric(frame["efficiency"], errors="coerce") != 1).any():
                notes.append("link losses (efficiency) are ignored: the network is a transport model")
            more = [c for c in frame.columns if c.startswith("bus") and c not in ("bus0", "bus1")
                    and frame[c].astype(str).str.strip().ne("").any()]
            if more:
                notes.append(f"links' further ports ({', '.join(more)}) are ignored")
    links = (pd.DataFrame(link_rows).set_index("id") if link_rows else
             pd.DataFrame(columns=["bus0", "bus1", "p_nom", "p_nom_back", "name", "source"]))
    for what, count in (left_out or {}).items():
        notes.append(f"{count} {what.replace('_', ' ')} left out: each case is solved on its own, nothing is stored "
                     "between them")
    naive = n.snapshots.tz is None if isinstance(n.snapshots, pd.DatetimeIndex) else True
    notes.append("snapshot times read as local time" if naive else f"snapshot times converted to {LOCAL_TZ}")
    counts = {"buses": len(buses), "generators": len(gens), "loads": len(loads), "lines": len(branches[0][1]),
              "transformers": len(branches[1][1]), "links": len(branches[2][1]), "snapshots": len(snaps)}
    system = PowerSystem(bus_frame, links, generators, availability, demand, None,
                         notes=[f"from the grid model {name}"])
    wrong = system.check()
    if wrong:
        raise GridModelError(shown, [Problem(shown, w, FIX) for w in wrong])
    size = lp_variables(system)
    if size > MAX_LP_VARIABLES:
        raise GridModelError(shown, [Problem(
            shown, f"is too large to solve here: {len(bus_ids)} buses x {len(snaps)} snapshots x ({len(generators)} "
            f"generators + 2 x {len(links)} lines and links + 4 x {len(bus_ids)} buses) = {size:,} variables; the limit is "
            f"{MAX_LP_VARIABLES:,} (about 40 s on 2 cores).",
            "Use fewer snapshots (one per month and hour type is enough), or cluster the network to fewer buses "
            "(pypsa.clustering.spatial).")])
    return GridModel(name, system, scale, counts, tuple(notes))


# ---------------------------------------------------------------------------------------------------------------
# Solving it


def _basis(name: str) -> str:
    safe = name.replace("{", "{{").replace("}", "}}")
    return (f"ESTIMATE from your grid model {safe}: the deliverable surplus at its bus {{zone}}, the most extra load the "
            "network can serve there from idle generation within its lines' and links' limits without shedding "
            "anyone (a transport model: impedance ignored); the least over the model's snapshots in each month and "
            f"hour type, and over the hour types in a month (firm); a season's is the least of its months that have a "
            f"snapshot, and stands for its other months; {NO_RANGE}. The cost is in {COST_UNIT}.")


def lp_variables(system: PowerSystem) -> int:
    """The size of the linear programme that finds every bus's surplus (variables): the network is repeated once per
    bus and case, and each copy has a variable per plant, two per line or link (one each way), and a shedding, a
    spilling and a probe variable per bus."""
    copies = len(system.buses) * len(system.demand.index)
    return copies * (len(system.generators) + 2 * len(system.links) + 4 * len(system.buses))


def solve_grid_model(model: GridModel) -> SolvedGridModel:
    """Every bus's deliverable surplus in every snapshot (``network.solve.deliverable_surplus``), the least over each
    case's snapshots, and the ``zones`` layer: one zone per bus, no range, the cost in the model's currency per kWh."""
    from sitefinder.network.solve import deliverable_surplus

    t = time.perf_counter()
    zones = list(model.system.buses.index)
    per_zone = max(1, lp_variables(model.system) // max(len(zones), 1))
    step = max(1, CHUNK_VARIABLES // per_zone)
    parts = []
    try:
        for i in range(0, len(zones), step):  # a few zones at a time: the memory a solve takes stays bounded
            parts.append(deliverable_surplus(model.system, zones[i:i + step]).table)
    except RuntimeError as exc:
        raise GridModelError(model.name, [Problem(model.name, f"the network did not solve ({_brief(exc)}).",
                                                  "Check the model's capacities and loads.")]) from None
    by_snapshot = pd.concat(parts, ignore_index=True)
    by_snapshot["cost_pkr_per_kwh"] = by_snapshot["cost_pkr_per_kwh"] / model.cost_scale
    keys = ["zone", "month", "hour_type"]
    leanest = by_snapshot.groupby(keys, sort=True)["surplus_mw"].idxmin()
    table = by_snapshot.loc[leanest.to_numpy()].reset_index(drop=True)
    zones = zones_layer(model.system, table, basis=_basis(model.name),
                        extra={"cost_unit": COST_UNIT, "overrides_regions": True, "source": f"grid model {model.name}"})
    return SolvedGridModel(model, by_snapshot, table, zones, time.perf_counter() - t)


# ---------------------------------------------------------------------------------------------------------------
# Putting it into a dataset


def _study_area_problem(zones: gpd.GeoDataFrame, dataset: Dataset, shown: str) -> tuple[Problem | None, str | None]:
    """No bus inside the study area is a problem (swapped coordinates are named); some outside is a note."""
    area = shapely.union_all(dataset["study_area"].geometry.array)
    shapely.prepare(area)
    x, y = zones.geometry.x.to_numpy(), zones.geometry.y.to_numpy()
    inside = shapely.contains_xy(area, x, y)
    if inside.any():
        out = int((~inside).sum())
        return None, (f"{out} of {len(inside)} bus(es) lie outside the study area; nodes still join the nearest bus"
                      if out else None)
    if shapely.contains_xy(area, y, x).mean() > 0.5:
        return Problem(shown, "no bus lies in the study area, but most would if x and y were swapped.",
                       "Put longitude in x and latitude in y."), None
    b = area.bounds
    return Problem(shown, f"no bus lies in the study area (lon {b[0]:.1f}..{b[2]:.1f}, lat {b[1]:.1f}..{b[3]:.1f}); the "
                          f"buses span lon {x.min():.2f}..{x.max():.2f}, lat {y.min():.2f}..{y.max():.2f}.",
                   "Check that this is a model of the study area and that x/y are longitude/latitude."), None


def join_nodes(nodes: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, name: str, bus_column: str | None = None
               ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``nodes`` with ``zone`` = the bus each joins (the bus named in ``bus_column`` where given and not blank, else
    the nearest bus, geodesic) and ``zone_basis`` saying which and how far; and notes. Raises ``LayerError`` for a
    column that is missing or names buses the model does not have."""
    out = nodes.copy()
    bus_ids = zones["zone"].astype(str).to_numpy()
    finder = NearestFinder(zones.geometry.x.to_numpy(), zones.geometry.y.to_numpy())
    idx, km = finder.query(out.geometry.x.to_numpy(float), out.geometry.y.to_numpy(float))
    nearest = bus_ids[np.asarray(idx)]
    named = pd.Series([None] * len(out), index=out.index, dtype=object)
    notes: list[str] = []
    if bus_column is not None:
        if bus_column not in out.columns:
            cols = [c for c in out.columns if c != out.geometry.name]
            raise LayerError("--grid-model-bus-column", [Problem(
                f"--grid-model-bus-column {bus_column}", "is not a column of the grid nodes layer.",
                f"Use one of: {', '.join(cols[:30])}; or leave it out to join each node to its nearest bus.")])
        given = out[bus_column].astype(object)
        present = given.notna() & given.astype(str).str.strip().ne("")
        named[present] = given[present].astype(str).str.strip()
        unknown = sorted(set(named[present]) - set(bus_ids))
        if unknown:
            raise LayerError("--grid-model-bus-column", [Problem(
                f"grid nodes column {bus_column}", f"names bus(es) the grid model {name} does not have: "
                f"{', '.join(u[:60] for u in unknown[:5])}{' and more' if len(unknown) > 5 else ''}.",
                f"Use the model's bus names ({', '.join(bus_ids[:8])}{', ...' if len(bus_ids) > 8 else ''}), or leave "
                "the cell blank to join the nearest bus.")])
        blank = int((~present).sum())
        if blank:
            notes.append(f"{blank} grid node(s) with a blank {bus_column} join the nearest bus")
    use_named = named.notna().to_numpy()
    out["zone"] = np.where(use_named, named.to_numpy(dtype=object), nearest)
    out["zone_basis"] = [f"bus {z} of the grid model {name}, named in the grid nodes' column {bus_column}" if u else
                         f"bus {z} of the grid model {name}: the nearest bus ({k:,.1f} km, geodesic)"
                         for z, u, k in zip(out["zone"], use_named, np.asarray(km, float))]
    far = np.asarray(km, float)[~use_named]
    if len(far):
        notes.append(f"{int((~use_named).sum())} grid node(s) joined their nearest bus, at most {far.max():,.0f} km away")
    return out, notes


def apply_grid_model(dataset: Dataset, solved: SolvedGridModel, *, bus_column: str | None = None) -> tuple[Dataset, list[str]]:
    """``dataset`` with the grid model in place of the built-in network model, and notes on what was done:

    - its ``zones`` layer is the model's buses and their surplus (``solved.zones``);
    - each grid node's ``zone`` is the bus it joins (``join_nodes``);
    - a supply region that belonged to a zone of the built-in model no longer shows that zone's surplus (it is unknown,
      and its basis says why): the built-in model's figures would otherwise mix with the user's. A region without a
      zone keeps its own figures.

    Every site whose grid node joined a bus draws on that bus, whatever its region (``measure.surplus.site_areas``
    reads the zones' ``overrides_regions``); a site with no grid node draws on its region's figures."""
    name = solved.model.name
    problem, note = _study_area_problem(solved.zones, dataset, name)
    if problem is not None:
        raise GridModelError(name, [problem])
    notes = [note] if note else []
    nodes, joined = join_nodes(dataset["grid_nodes"], solved.zones, name, bus_column)
    notes += joined
    regions = dataset["supply_regions"].copy()
    if "zone" in regions:
        zoned = regions["zone"].notna().to_numpy()
        shown = [c for c in regions.columns if c.startswith("surplus_") and c != "surplus_basis"]
        for col in shown:
            if regions[col].dtype == object:
                regions[col] = regions[col].where(~zoned, None)
            else:
                regions[col] = regions[col].where(~zoned, np.nan)
        regions["surplus_basis"] = regions["surplus_basis"].astype(object).where(
            ~zoned, f"replaced: the grid model {name} gives each grid node's bus its surplus; a site draws on its "
                    "node's bus (zones layer), not on this region")
        if zoned.any():
            notes.append(f"{int(zoned.sum())} supply region(s) no longer show the built-in model's surplus")
    out = dataset.with_layer("zones", solved.zones, label=name)
    out = out.with_layer("grid_nodes", nodes, dataset.files.get("grid_nodes"), label=dataset.file_label("grid_nodes"))
    out = out.with_layer("supply_regions", regions, dataset.files.get("supply_regions"),
                         label=dataset.file_label("supply_regions"))
    return out, notes


def network_model_in_use(dataset: Dataset) -> str:
    """Which network model a dataset's surplus comes from, in words: a grid model the user brought, or the built-in."""
    zones = dataset.get("zones")
    if zones is not None and "overrides_regions" in zones and zones["overrides_regions"].map(lambda v: v is True).any():
        return f"your grid model {dataset.file_label('zones')}"
    return "the built-in network model" if zones is not None else "no network model (regions' own figures)"


def summary(solved: SolvedGridModel) -> str:
    """One line on the model and its solve."""
    m = solved.model
    return f"grid model {m.name}: {m.describe()}; solved in {solved.seconds:.1f} s; {NO_RANGE}"


__all__ = ["COST_UNIT", "MAX_GRID_MODEL_BYTES", "NO_RANGE", "GridModel", "SolvedGridModel", "apply_grid_model",
           "grid_model_from_network", "hour_type", "join_nodes", "network_model_in_use", "read_grid_model", "solve_grid_model",
           "summary"]

