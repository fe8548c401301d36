"""Hostile and broken uploads: every file in ``tests/data/bad/`` through the app's loader and through the CLI.

The collection and its manifest (file -> layer kind -> expected error -> message fragments) are written by
``tests/data/make_bad_inputs.py`` (``CASES``); ``tests/data/bad/README.md`` is the same manifest as a table.
Known source bugs are ``xfail(strict=True)`` per case and per aspect ("load", "cli", "fix"), so a fix shows up as
an XPASS failure and the mark must then be removed.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyogrio
import pytest
import shapely

import sitefinder  # noqa: I001  (first: it disables GDAL's VRT driver, which only works before pyogrio loads GDAL)
from sitefinder import errors
from sitefinder.data.io import read_vector
from sitefinder.data.user_layers import load_user_layer
from sitefinder.errors import (
    FileFormatError,
    FileTooLargeError,
    InputFileNotFoundError,
    SitefinderError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)
from sitefinder.measure.candidates import user_candidates

HERE = Path(__file__).resolve().parent
BAD = HERE / "data" / "bad"
GENERATOR = HERE / "data" / "make_bad_inputs.py"
MAX_COMMITTED_BYTES = 200 * 1024
LARGE_NAME = "grid_nodes_300mb.geojson"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_bad_inputs", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
CASES = {c.file: c for c in GEN.CASES}
FAILING = [c for c in GEN.CASES if c.error]
LOADING = [c for c in GEN.CASES if not c.error]


def _params(cases, aspect: str):
    return [pytest.param(c, id=c.file, marks=[pytest.mark.xfail(strict=True, reason=c.xfail[aspect])] if aspect in c.xfail else [])
            for c in cases]


def load(path: Path, kind: str, study_area):
    """The path the app and the CLI take: load_user_layer for layers; read_vector + user_candidates for sites."""
    if kind == "candidates":
        return user_candidates(read_vector(path), source=str(path))
    return load_user_layer(path, kind, study_area=study_area)


def load_error(path: Path, kind: str, study_area) -> Exception:
    try:
        load(path, kind, study_area)
    except Exception as exc:  # noqa: BLE001  (the point is to see what escapes)
        return exc
    pytest.fail(f"{path.name} loaded as {kind} without an error")


def offers_fix(message: str) -> bool:
    """A message offers a fix if it has a 'Fix:' or a sentence after the problem (GDAL's text in parentheses aside)."""
    if "Fix:" in message:
        return True
    text = message
    while (shorter := re.sub(r"\([^()]*\)", "", text)) != text:
        text = shorter
    return len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]) >= 2


# ----------------------------------------------------------------------------------------------
# The collection itself


def test_collection_matches_its_manifest_and_generator(tmp_path):
    on_disk = {p.name for p in BAD.iterdir()}
    assert on_disk == set(CASES) | {"README.md"}, "files and manifest differ: run tests/data/make_bad_inputs.py"
    assert len(CASES) >= 28
    regenerated = {p.name: p.read_bytes() for p in GEN.main(tmp_path / "bad")}
    stale = [name for name, data in regenerated.items() if (BAD / name).read_bytes() != data]
    assert not stale, f"committed files differ from what make_bad_inputs.py writes: {stale}"


def test_committed_files_are_small():
    sizes = {p.name: p.stat().st_size for p in BAD.iterdir()}
    assert all(size < MAX_COMMITTED_BYTES for size in sizes.values()), {n: s for n, s in sizes.items() if s >= MAX_COMMITTED_BYTES}
    assert sum(sizes.values()) < 1024 * 1024
    assert LARGE_NAME not in sizes  # the 300 MB file is made at test time, never committed


# ----------------------------------------------------------------------------------------------
# 1. Through the loader the app and the CLI use


@pytest.mark.parametrize("case", _params(FAILING, "load"))
def test_bad_file_raises_a_specific_error_naming_file_problem_and_fix(case, study_area):
    err = load_error(BAD / case.file, case.kind, study_area)
    assert isinstance(err, SitefinderError), f"raw {type(err).__name__} escaped: {err}"
    assert isinstance(err, (ValueError, OSError)), type(err).__mro__
    expected = getattr(errors, case.error)
    assert isinstance(err, expected), f"expected {case.error}, got {type(err).__name__}: {err}"
    message = str(err)
    assert case.file in message.splitlines()[0], message
    for fragment in (*case.says, *(case.fix or ())):
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert "Traceback" not in message


@pytest.mark.parametrize("case", _params(FAILING, "fix"))
def test_bad_file_message_offers_a_fix(case, study_area):
    err = load_error(BAD / case.file, case.kind, study_area)
    assert isinstance(err, SitefinderError), f"raw {type(err).__name__} escaped: {err}"
    message = str(err)
    assert offers_fix(message) or (case.fix and all(f in message for f in case.fix)), message


def test_script_payload_loads_and_keeps_the_text_verbatim(study_area):
    layer = load_user_layer(BAD / "grid_nodes_script_payload.geojson", "grid_nodes", study_area=study_area)
    assert len(layer) == 3
    names = layer["name"].tolist()
    for payload in GEN.PAYLOAD_NAMES:
        assert payload in names  # not escaped, not stripped: escaping is the display's job
    assert not any("&lt;" in n for n in names)


@pytest.mark.parametrize("file", ["exclusions_bowtie_self_intersecting.geojson", "exclusions_spike_polygon.geojson"])
def test_invalid_polygon_is_repaired_and_the_repair_is_reported(file, study_area):
    raw = read_vector(BAD / file)
    assert not shapely.is_valid(raw.geometry.array[0])
    layer = load_user_layer(BAD / file, "exclusions", study_area=study_area)
    notes = layer.attrs["notes"]
    assert any(n.startswith("repaired 1 invalid polygon(s) (rows 1)") for n in notes), notes
    fixed = layer.geometry.array[0]
    assert shapely.is_valid(fixed) and fixed.geom_type in ("Polygon", "MultiPolygon") and fixed.area > 0
    assert shapely.is_valid(layer.geometry.array).all()
    if "spike" in file:  # the spike is dropped, the square kept
        assert fixed.symmetric_difference(shapely.box(69.0, 27.0, 70.0, 28.0)).area < 1e-12


READ_ERRORS = [c for c in GEN.CASES if c.error in ("FileFormatError", "UnsupportedFormatError", "UnsafeArchiveError",
                                                    "TextEncodingError")]


@pytest.mark.parametrize("case", READ_ERRORS, ids=[c.file for c in READ_ERRORS])
def test_an_upload_read_under_a_stored_name_keeps_its_error_class_and_the_users_name(case, tmp_path):
    """The app stores an upload under a generated name; the error must still be the specific class and
    name the user's file, never the stored one."""
    data = (BAD / case.file).read_bytes()
    suffix = ".gpkg" if data.startswith(b"SQLite format 3") else ".zip" if data.startswith(b"PK") else ".upload"  # as the app does
    stored = tmp_path / f"0123456789abcdef0123456789abcdef{suffix}"
    stored.write_bytes(data)
    with pytest.raises(SitefinderError) as err:
        read_vector(stored, name=case.file)
    assert type(err.value).__name__ == case.error, type(err.value)
    assert case.file in str(err.value) and stored.name not in str(err.value)


def test_unclosed_ring_is_closed_and_the_repair_is_reported(study_area):
    layer = load_user_layer(BAD / "exclusions_unclosed_ring.geojson", "exclusions", study_area=study_area)
    notes = layer.attrs["notes"]
    assert any(n.startswith("closed 1 polygon ring(s) whose last position was not the first (feature(s) 1)") for n in notes), notes
    assert layer.geometry.array[0].equals(shapely.box(67.3, 25.6, 67.9, 26.3))


def make_sparse_300mb(folder: Path) -> Path:
    path = folder / LARGE_NAME
    head = json.dumps({"type": "FeatureCollection", "features": [GEN.node(0)]})
    with path.open("wb") as fh:
        fh.write(head.encode())
        fh.truncate(300 * 1024**2)
    return path


def test_300mb_file_is_refused_by_size_before_reading(tmp_path, study_area, monkeypatch):
    path = make_sparse_300mb(tmp_path)
    assert path.stat().st_size == 300 * 1024**2

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened before its size was checked")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr(Path, "open", no_reading)
    start = time.perf_counter()
    with pytest.raises(FileTooLargeError) as info:
        load_user_layer(path, "grid_nodes", study_area=study_area)
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert re.search(r"is \d+ MiB; the limit is \d+ MiB", message), message
    for fragment in (LARGE_NAME, "Clip the layer to your study area"):
        assert fragment in message, message


def test_missing_file_and_directory(tmp_path, study_area):
    with pytest.raises(InputFileNotFoundError) as info:
        load_user_layer(tmp_path / "no_such_layer.geojson", "grid_nodes", study_area=study_area)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, OSError)
    assert "no_such_layer.geojson" in str(info.value) and "Check the path" in str(info.value)
    folder = tmp_path / "a_folder.geojson"
    folder.mkdir()
    with pytest.raises(FileFormatError, match="a_folder.geojson: is not a file"):
        load_user_layer(folder, "grid_nodes", study_area=study_area)


# ----------------------------------------------------------------------------------------------
# 2. Through the CLI, in parallel


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sitefinder.cli", "rank", *args, "--top", "3", "--quiet"],
                          cwd=cwd, capture_output=True, text=True, timeout=180)


def _cli_args(kind: str, path: Path) -> list[str]:
    return ["--candidates", str(path)] if kind == "candidates" else ["--layer", f"{kind}={path}"]


@pytest.fixture(scope="module")
def cli_cwd(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def cli_runs(cli_cwd):
    """Every case (plus the 300 MB file and a missing file) through ``sitefinder rank``, run concurrently."""
    work = cli_cwd
    jobs = {c.file: _cli_args(c.kind, BAD / c.file) for c in GEN.CASES}
    jobs[LARGE_NAME] = _cli_args("grid_nodes", make_sparse_300mb(work))
    jobs["no_such_layer.geojson"] = _cli_args("grid_nodes", work / "no_such_layer.geojson")
    with ThreadPoolExecutor(max_workers=max(4, 2 * (os.cpu_count() or 2))) as pool:
        futures = {name: pool.submit(_cli, args, work) for name, args in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def _assert_cli_error(run: subprocess.CompletedProcess, name: str) -> None:
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    assert "sitefinder: error:" in run.stderr
    assert name in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "Warning" not in run.stderr, run.stderr[-2000:]


@pytest.mark.parametrize("case", _params(FAILING, "cli"))
def test_cli_exits_2_naming_the_bad_file(case, cli_runs):
    _assert_cli_error(cli_runs[case.file], case.file)


@pytest.mark.parametrize("case", _params(LOADING, "cli"))
def test_cli_ranks_with_a_file_that_loads(case, cli_runs):
    run = cli_runs[case.file]
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and "Warning" not in run.stderr, run.stderr[-2000:]
    assert "rank score" in run.stdout


@pytest.mark.parametrize("name", [LARGE_NAME, "no_such_layer.geojson"])
def test_cli_exits_2_for_a_huge_or_missing_file(name, cli_runs):
    _assert_cli_error(cli_runs[name], name)


# ----------------------------------------------------------------------------------------------
# 3. A VRT upload cannot read a server file


GDAL_PROBE = """
import json, sys
{preamble}
import pyogrio
out = {{}}
for target in sys.argv[1:]:
    try:
        out[target] = "READ " + pyogrio.read_dataframe(target).to_csv()
    except Exception as exc:
        out[target] = f"REFUSED {{type(exc).__name__}}: {{exc}}"
print(json.dumps(out))
"""

LOADER_PROBE = """
import json, sys
{preamble}
from sitefinder.data.dataset import load_default
from sitefinder.data.io import read_vector
from sitefinder.data.user_layers import load_user_layer
area = load_default()["study_area"]
out = {{}}
for path in sys.argv[1:]:
    for how, load in (("read_vector", lambda: read_vector(path)),
                      ("load_user_layer", lambda: load_user_layer(path, "connectivity", study_area=area))):
        try:
            out[f"{{how}} {{path}}"] = "LOADED " + load().to_csv()
        except Exception as exc:
            out[f"{{how}} {{path}}"] = f"{{type(exc).__name__}}: {{exc}}"
print(json.dumps(out))
"""


def _python(code: str, args: list[str], cwd: Path) -> tuple[dict[str, str], str]:
    """Run ``code`` in a fresh interpreter whose environment has no GDAL_SKIP; return its JSON and all its output."""
    env = {k: v for k, v in os.environ.items() if k != "GDAL_SKIP"}
    run = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout), run.stdout + run.stderr


@pytest.fixture
def vrt_uploads(tmp_path):
    """A server-only CSV holding a secret, and uploads that try to read it through GDAL's VRT driver."""
    secret = f"SERVER-SECRET-{uuid.uuid4().hex}"
    server_file = tmp_path / "server_only" / "credentials.csv"
    server_file.parent.mkdir()
    server_file.write_text(f"lon,lat,name\n67.0,25.0,{secret}\n", encoding="utf-8")
    vrt = (f'<OGRVRTDataSource><OGRVRTLayer name="credentials"><SrcDataSource>{server_file}</SrcDataSource>'
           '<GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>'
           '<GeometryField encoding="PointFromColumns" x="lon" y="lat"/></OGRVRTLayer></OGRVRTDataSource>\n')
    up = tmp_path / "uploads"
    up.mkdir()
    (up / "layer.vrt").write_text(vrt, encoding="utf-8")
    (up / "layer.geojson").write_text(vrt, encoding="utf-8")
    GEN.write_zip(up / "vrt_as_shp.zip", [("layer.shp", vrt.encode()), ("layer.vrt", vrt.encode())])
    GEN.write_zip(up / "vrt_only.zip", [("layer.vrt", vrt.encode())])
    expected = {up / "layer.vrt": UnsupportedFormatError, up / "layer.geojson": UnsupportedFormatError,
                up / "vrt_as_shp.zip": UnsupportedFormatError, up / "vrt_only.zip": UnsafeArchiveError}
    return secret, up, expected


def test_vrt_upload_cannot_read_a_server_file(vrt_uploads, tmp_path, study_area):
    secret, up, expected = vrt_uploads

    # In this process: the files refused by their content before GDAL is involved.
    for path, error in expected.items():
        if path.suffix == ".zip" and error is FileFormatError:
            continue  # reaches GDAL: checked below in a fresh process, independent of this process's import order
        for attempt in (read_vector, lambda p: load_user_layer(p, "connectivity", study_area=study_area)):
            with pytest.raises(error) as info:
                attempt(path)
            assert secret not in str(info.value)

    # As the CLI and the app run: a fresh process that imports sitefinder, then loads each upload both ways.
    results, output = _python(LOADER_PROBE.format(preamble="import sitefinder"), [str(p) for p in expected], tmp_path)
    assert secret not in output
    for path, error in expected.items():
        for how in ("read_vector", "load_user_layer"):
            assert results[f"{how} {path}"].startswith(f"{error.__name__}: "), results[f"{how} {path}"]

    # GDAL itself, in a fresh process that only imports sitefinder first: the VRT driver is gone.
    zipped = up / "vrt_as_shp.zip"
    direct = [str(up / "layer.vrt"), str(up / "layer.geojson"), f"/vsizip/{zipped}/layer.shp", f"/vsizip/{zipped}/layer.vrt"]
    guarded, output = _python(GDAL_PROBE.format(preamble="import sitefinder"), direct, tmp_path)
    assert secret not in output
    assert all(result.startswith("REFUSED") for result in guarded.values()), guarded

    # Control: without sitefinder (and without GDAL_SKIP) the same files DO leak, so the checks above can fail.
    control, _ = _python(GDAL_PROBE.format(preamble=""), direct, tmp_path)
    assert secret in control[str(up / "layer.vrt")]
    assert secret in control[f"/vsizip/{zipped}/layer.shp"]
    assert secret in control[f"/vsizip/{zipped}/layer.vrt"]


def test_vrt_in_zip_is_refused_even_if_pyogrio_was_imported_first(vrt_uploads, tmp_path):
    secret, up, _ = vrt_uploads
    results, output = _python(LOADER_PROBE.format(preamble="import pyogrio\nimport sitefinder"),
                              [str(up / "vrt_as_shp.zip")], tmp_path)
    assert secret not in output, results


def test_zip_member_named_shp_cannot_make_the_server_fetch_a_url(tmp_path):
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/internal-only?"
        GEN.write_zip(tmp_path / "wfs.zip", [("layer.shp", f"<OGRWFSDataSource><URL>{url}</URL></OGRWFSDataSource>".encode())])
        with pytest.raises(UnsupportedFormatError, match="is not a shapefile"):
            read_vector(tmp_path / "wfs.zip")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert hits == [], f"the server fetched {hits} because of an uploaded file"


# ----------------------------------------------------------------------------------------------
# 4. Zip checks happen before any extraction


def test_unsafe_zips_are_refused_before_anything_is_read_or_extracted(tmp_path, study_area, monkeypatch):
    upload = tmp_path / "uploads" / "session"
    upload.mkdir(parents=True)
    names = ["grid_nodes_zip_slip_dotdot.zip", "grid_nodes_zip_slip_absolute.zip", "grid_nodes_zip_slip_backslash.zip",
             "grid_nodes_zip_bomb.zip", "grid_nodes_zip_many_members.zip"]
    for name in names:
        shutil.copy(BAD / name, upload / name)

    def forbidden(*args, **kwargs):
        raise AssertionError("zip content was read or extracted before the zip was checked")

    for method in ("open", "read", "extract", "extractall"):
        monkeypatch.setattr(zipfile.ZipFile, method, forbidden)
    monkeypatch.setattr(pyogrio, "read_dataframe", forbidden)
    def snapshot() -> list[Path]:
        return sorted([*tmp_path.rglob("*"), *tmp_path.parent.glob("*"), *tmp_path.parent.parent.glob("*")])

    before = snapshot()
    monkeypatch.chdir(upload)

    for name in names:
        start = time.perf_counter()
        with pytest.raises(UnsafeArchiveError) as info:
            load_user_layer(upload / name, "grid_nodes", study_area=study_area)
        assert time.perf_counter() - start < 2.0, name
        assert name in str(info.value)

    assert snapshot() == before
    # '../../evil.shp' from the upload folder (also the working directory) is tmp_path/evil.shp.
    for folder in (upload, upload.parent, tmp_path, tmp_path.parent, tmp_path.parent.parent, Path("/")):
        assert not list(folder.glob("evil*")), folder
    assert not list(Path("/tmp").glob("sitefinder-evil-absolute*"))


def test_cli_refusing_unsafe_zips_writes_nothing(cli_runs, cli_cwd):
    assert all(cli_runs[n].returncode == 2 for n in ("grid_nodes_zip_slip_dotdot.zip", "grid_nodes_zip_slip_absolute.zip",
                                                     "grid_nodes_zip_slip_backslash.zip", "grid_nodes_zip_bomb.zip"))
    # '../../evil.shp' relative to the CLI's working directory or to tests/data/bad/.
    for folder in (cli_cwd, cli_cwd.parent, cli_cwd.parent.parent, BAD, BAD.parent, BAD.parent.parent):
        assert not list(folder.glob("evil*")), folder
    assert not list(cli_cwd.rglob("evil*"))
    assert not list(Path("/tmp").glob("sitefinder-evil-absolute*"))


def test_every_error_class_is_a_builtin_family_member():
    for name in ("FileFormatError", "FileTooLargeError", "UnsupportedFormatError", "UnsafeArchiveError",
                 "TextEncodingError", "LayerError", "InputFileNotFoundError"):
        cls = getattr(errors, name)
        assert issubclass(cls, SitefinderError) and issubclass(cls, (ValueError, OSError)), name
    assert sitefinder.__version__
