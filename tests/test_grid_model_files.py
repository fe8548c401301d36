"""Bad grid model files (issue 18 item 7; DESIGN.md section 6): every kind ends in a clear message naming the file,
the problem and the fix, exit status 2, no traceback, and no earlier output changed; in the app, the message is shown
and no setting changes.

Files that are not netCDF are refused by their first bytes; the others are parsed in the reader's own process
(``sitefinder/network/netcdf_reader.py``), which refuses HDF5 links to other files and sizes over the limits (judged
from the dimensions, before any data is read); what PyPSA can import is then checked value by value.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pypsa")

import h5py  # noqa: E402
import netCDF4  # noqa: E402
import pypsa  # noqa: E402
import xarray as xr  # noqa: E402
from gridmodels import save, three_buses, two_buses  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from sitefinder.cli.main import main  # noqa: E402
from sitefinder.network.grid_file import MAX_GRID_MODEL_BYTES  # noqa: E402
from sitefinder.network.netcdf_reader import MAX_BUSES, MAX_SNAPSHOTS, MAX_VALUES  # noqa: E402
from sitefinder.network.pypsa_model import MAX_LP_VARIABLES  # noqa: E402
from sitefinder.network.user_model import read_grid_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EARLIER = b"an earlier shortlist, which a failed run must leave as it was\n"


def _spoilt(change: Callable[[pypsa.Network], None], snapshots: object = None) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        n = two_buses(snapshots)
        change(n)
        return save(n, path)
    return make


def _set(frame: str, column: str, value: object) -> Callable[[pypsa.Network], None]:
    return lambda n: getattr(n, frame).__setitem__(column, value)


def _edited(change: Callable[[netCDF4.Dataset], None]) -> Callable[[Path], Path]:
    """A good file, then edited with netCDF-C itself (what PyPSA would refuse to write)."""
    def make(path: Path) -> Path:
        n = two_buses()
        n.add("Link", "L", bus0="A", bus1="B", p_nom=10.0)
        save(n, path)
        with netCDF4.Dataset(path, "a") as nc:
            change(nc)
        return path
    return make


def _truncated(path: Path) -> Path:
    save(three_buses(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _external_link(path: Path) -> Path:
    save(three_buses(), path)
    with h5py.File(path, "a") as f:
        f["secret"] = h5py.ExternalLink("/etc/passwd", "/")
    return path


def _external_storage(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        f.create_dataset("buses_i", shape=(10,), dtype="u1", external=[("/etc/passwd", 0, 10)])
    return path


def _bomb(path: Path) -> Path:
    """A few kB whose dimensions promise 8 million values (compressed zeros)."""
    with netCDF4.Dataset(path, "w") as nc:
        nc.setncattr("network_pypsa_version", "1.4.0")
        nc.createDimension("buses_i", 2)
        nc.createDimension("snapshots", 400)
        nc.createDimension("generators_t_p_max_pu_i", 20_000)
        var = nc.createVariable("generators_t_p_max_pu", "f8", ("snapshots", "generators_t_p_max_pu_i"), zlib=True,
                                complevel=9)
        var[:] = 0.0
    return path


def _many_buses(path: Path) -> Path:
    n = pypsa.Network()
    n.set_snapshots(pd.to_datetime(["2025-01-15 19:00"]))
    n.add("Bus", [f"b{i}" for i in range(MAX_BUSES + 1)], x=70.0 + np.arange(MAX_BUSES + 1) * 0.01, y=30.0)
    return save(n, path)


def _too_large_a_programme(path: Path) -> Path:
    n = pypsa.Network()
    n.set_snapshots(pd.date_range("2025-01-01", periods=300, freq="h"))
    n.add("Bus", [f"b{i}" for i in range(13)], x=70.0 + np.arange(13) * 0.1, y=30.0)
    n.add("Generator", [f"g{i}" for i in range(200)], bus=[f"b{i % 13}" for i in range(200)], p_nom=10.0)
    return save(n, path)


def _srid(path: Path) -> Path:
    save(two_buses(), path)
    with netCDF4.Dataset(path, "a") as nc:
        nc.setncattr("network_srid", 3857)
    return path


def _symlink_loop(path: Path) -> Path:
    path.symlink_to(path)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _huge(path: Path) -> Path:
    with path.open("wb") as fh:
        fh.truncate(MAX_GRID_MODEL_BYTES + 1)
    return path


def _write(data: bytes | str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path
    return make


def _not_pypsa(path: Path) -> Path:
    xr.Dataset({"x": ("i", [1.0, 2.0]), "y": ("i", [3.0, 4.0])}).to_netcdf(path)
    return path


def _no_buses(path: Path) -> Path:
    return save(pypsa.Network(), path)


def _drop_xy(path: Path) -> Path:
    """PyPSA's own file, with the buses' x and y left out (the import would put 0, 0 in their place)."""
    save(two_buses(), path)
    ds = xr.load_dataset(path).drop_vars(["buses_x", "buses_y"])
    path.unlink()
    ds.to_netcdf(path)
    return path


def _in_europe(n: pypsa.Network) -> None:
    n.buses["x"], n.buses["y"] = [10.0, 11.0], [50.0, 51.0]


def _swapped(n: pypsa.Network) -> None:
    n.buses["x"], n.buses["y"] = n.buses["y"].to_numpy(), n.buses["x"].to_numpy()


# (id, how to make it, what the message must say). The message must also name the file.
CASES = [
    ("text", _write("buses,x,y\nA,74,31\n"), ["is not a netCDF file", "looks like text"]),
    ("empty", _write(b""), ["is empty"]),
    ("GeoJSON renamed .nc", _write('{"type": "FeatureCollection", "features": []}'), ["looks like JSON text (GeoJSON?)"]),
    ("binary", _write(bytes(range(256)) * 8), ["is not a netCDF file"]),
    ("truncated", _truncated, ["not a readable netCDF-4 (HDF5) file", "truncated"]),
    ("netCDF, not PyPSA", _not_pypsa, ["not a PyPSA network", "no buses_i"]),
    ("no buses", _no_buses, ["PyPSA network with no buses"]),
    ("buses without x/y", _drop_xy, ["its buses have no coordinates"]),
    ("x/y all zero", _spoilt(lambda n: (_set("buses", "x", 0.0)(n), _set("buses", "y", 0.0)(n))),
     ["no coordinates"]),
    ("x/y in metres", _spoilt(lambda n: (_set("buses", "x", [8.2e6, 7.9e6])(n), _set("buses", "y", [3.7e6, 3.5e6])(n))),
     ["outside longitude -180..180", "not lon/lat"]),
    ("x/y in EPSG:3857 by srid", _srid, ["EPSG:3857", "longitude and latitude"]),
    ("buses in Europe", _spoilt(_in_europe), ["no bus lies in the study area"]),
    ("buses with x and y swapped", _spoilt(_swapped), ["if x and y were swapped"]),
    ("NaN capacity", _spoilt(_set("generators", "p_nom", np.nan)), ["generator p_nom is not a number", "for g"]),
    ("negative capacity", _spoilt(_set("lines", "s_nom", -5.0)), ["line s_nom is below 0 for AB"]),
    ("infinite capacity", _spoilt(lambda n: n.add("Link", "L", bus0="A", bus1="B", p_nom=np.inf)),
     ["link p_nom is infinite for L"]),
    ("huge capacity", _spoilt(_set("generators", "p_nom", 1e12)), ["generator p_nom is above 100,000"]),
    ("negative load", _spoilt(lambda n: n.loads_t.__setitem__("p_set", pd.DataFrame({"l": [-5.0, 10.0]},
                                                                                    index=n.snapshots))),
     ["load p_set is below 0"]),
    ("must-run above its maximum", _spoilt(lambda n: (_set("generators", "p_min_pu", 0.8)(n),
                                                      _set("generators", "p_max_pu", 0.5)(n))),
     ["p_min_pu is above p_max_pu"]),
    ("a link to a missing bus", _edited(lambda nc: nc["links_bus1"].__setitem__(0, "Nowhere")),
     ["link(s) L: bus1 names bus(es) the network does not have (Nowhere)"]),
    ("snapshots not timestamps", _spoilt(lambda n: None, snapshots=pd.Index([0, 1, 2])),
     ["snapshots are not timestamps (0, 1, 2)"]),
    ("sector-coupled", _spoilt(lambda n: n.add("Bus", "H2", carrier="H2", x=72.0, y=31.0)), ["carrier 'H2'"]),
    (f"more than {MAX_BUSES} buses", _many_buses, [f"has {MAX_BUSES + 1} buses; the limit is {MAX_BUSES}"]),
    (f"more than {MAX_SNAPSHOTS} snapshots",
     _spoilt(lambda n: None, snapshots=pd.date_range("2025-01-01", periods=MAX_SNAPSHOTS + 1, freq="h")),
     [f"has {MAX_SNAPSHOTS + 1} snapshots; the limit is {MAX_SNAPSHOTS}"]),
    ("too large a programme to solve", _too_large_a_programme, ["too large to solve here", f"{MAX_LP_VARIABLES:,}"]),
    ("a decompression bomb", _bomb, ["holds 8,000,000 values", f"the limit is {MAX_VALUES:,}"]),
    ("an HDF5 external link", _external_link, ["external link", "would open that file"]),
    ("HDF5 external storage", _external_storage, ["keeps the data of buses_i in another file"]),
    ("over the size limit", _huge, ["the limit is 100 MiB"]),
    ("a folder", _folder, ["is not a file but a folder"]),
    ("a pipe", _fifo, ["is not a file but a pipe"]),
    ("a symlink loop", _symlink_loop, ["cannot be reached", "symbolic links"]),
]


@pytest.mark.parametrize(("make", "says"), [pytest.param(m, s, id=i) for i, m, s in CASES])
def test_a_bad_grid_model_ends_in_a_clear_message_and_changes_nothing(make, says, tmp_path, capsys):
    path = make(tmp_path / "model.nc")
    earlier = tmp_path / "earlier.csv"
    earlier.write_bytes(EARLIER)
    code = main(["rank", "--grid-model", str(path), "--resolution", "5", "--top", "3", "--quiet", "--csv", str(earlier)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("sitefinder: error: "), err
    assert str(path) in err.splitlines()[0] or str(path) in err.splitlines()[1], err
    for fragment in says:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Fix:" in err
    assert earlier.read_bytes() == EARLIER
    assert not list(tmp_path.glob(".*.tmp"))


def test_what_a_user_sees_is_one_line_on_every_command(tmp_path):
    bad = _bomb(tmp_path / "bomb.nc")
    env = {k: v for k, v in os.environ.items() if k != "SITEFINDER_DATA"}
    env["PYTHONPATH"] = str(ROOT)
    for argv in (["rank", "--quiet"], ["explain", "71.5", "30.2", "--json"], ["programme", "--quiet"],
                 ["robustness", "--draws", "10", "--quiet"]):
        proc = subprocess.run([sys.executable, "-m", "sitefinder", *argv, "--grid-model", str(bad)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, encoding="utf-8", timeout=300)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith("sitefinder: error: ") and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert str(bad) in proc.stderr and proc.stdout == ""


def test_storage_left_out_and_local_times_are_said(tmp_path):
    n = three_buses()
    n.add("StorageUnit", "pumped hydro", bus="A", p_nom=10.0)
    model = read_grid_model(save(n, tmp_path / "with_storage.nc"))
    assert any(note.startswith("1 storage unit(s) left out") for note in model.notes), model.notes
    assert any("read as local time" in note for note in model.notes)
    assert model.counts["buses"] == 3 and model.counts["snapshots"] == 4


def test_a_copy_of_the_file_in_another_folder_reads_the_same(tmp_path):
    """The reader is given the bytes, never the path: a file read from anywhere gives the same model."""
    first = save(three_buses(), tmp_path / "a.nc")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    second = Path(shutil.copy(first, tmp_path / "deep" / "er" / "b.nc"))
    a, b = read_grid_model(first).system, read_grid_model(second).system
    pd.testing.assert_frame_equal(a.demand, b.demand)
    pd.testing.assert_frame_equal(a.links.drop(columns="source"), b.links.drop(columns="source"))


# ---------------------------------------------------------------------------------------------------------------
# The app: the "Your data" tab


@pytest.fixture()
def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.number_input(key="mw").set_value(70.0).run()
    at.session_state["tab"] = "Your data"
    at.run()
    at.selectbox(key="upload_kind").set_value("__grid_model__").run()
    assert not at.exception
    return at


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader(key="upload_grid_model").upload(name, data, "application/octet-stream").run()


def _caption(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_the_app_takes_a_grid_model_and_says_it_is_in_use(app, tmp_path):
    _upload(app, "three_buses.nc", save(three_buses(), tmp_path / "m.nc").read_bytes())
    assert not app.exception and not app.error
    [use] = [b for b in app.button if b.label == "Use this grid model"]
    use.click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert "surplus from your grid model three_buses.nc" in _caption(app)
    in_use = " ".join(m.value for m in app.markdown)
    assert "Grid model: three\\_buses\\.nc" in in_use and "no range: the user's model is one case" in in_use
    # A bad file afterwards shows its message and changes nothing: the model and the settings stay.
    _upload(app, "bomb.nc", _bomb(tmp_path / "bomb.nc").read_bytes())
    errors = " ".join(e.value for e in app.error)
    assert "bomb\\.nc" in errors and "8,000,000 values" in errors
    assert "surplus from your grid model three_buses.nc" in _caption(app) and app.session_state["mw"] == 70.0
    app.session_state["tab"] = "Map and ranking"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    app.session_state["tab"] = "Your data"  # the list of what is in use, with its Remove buttons
    app.run()
    [remove] = [b for b in app.button if b.key == "rm_grid_model"]
    remove.click().run()
    assert "surplus from the built-in network model" in _caption(app)


@pytest.mark.parametrize("make", [_write('{"type": "FeatureCollection", "features": []}'), _not_pypsa, _external_link],
                         ids=["GeoJSON", "not PyPSA", "external link"])
def test_a_bad_grid_model_upload_shows_its_message_and_changes_no_setting(app, make, tmp_path):
    data = make(tmp_path / "bad.nc").read_bytes()
    _upload(app, "their-model.nc", data)
    assert not app.exception, [e.value for e in app.exception]
    errors = " ".join(e.value for e in app.error)
    assert "their\\-model\\.nc" in errors and "Fix:" in errors
    assert not [b for b in app.button if b.label == "Use this grid model"]
    assert "surplus from the built-in network model" in _caption(app) and app.session_state["mw"] == 70.0
