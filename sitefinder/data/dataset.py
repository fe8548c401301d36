"""A ``Dataset`` bundles the validated layers of one study area.

A dataset directory holds one file per layer and a ``dataset.toml`` naming them (see
``data/pakistan/dataset.toml``). ``load_default()`` loads the built-in Pakistan data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.data.io import read_layer
from sitefinder.data.schema import SCHEMAS
from sitefinder.errors import LayerError, Problem, SitefinderError
from sitefinder.files import MAX_SETTINGS_BYTES, check_input_folder, parse_toml, read_input_text
from sitefinder.model.setting import quoted

if TYPE_CHECKING:
    from sitefinder.data.climate_raster import ClimateRaster

DATA_ENV = "SITEFINDER_DATA"


@dataclass
class Dataset:
    """Validated layers (EPSG:4326) keyed by kind, plus where they came from."""

    name: str
    layers: dict[str, gpd.GeoDataFrame]
    files: dict[str, Path] = field(default_factory=dict)
    version: str = ""
    manifest: dict = field(default_factory=dict)
    climate_raster: ClimateRaster | None = None
    labels: dict[str, str] = field(default_factory=dict)  # a layer's own name where it is not its file's (uploads)
    # The network model the ``zones`` layer was solved from, for re-solving with loads added: a file the dataset
    # names (``network_model`` in dataset.toml, read by ``sitefinder.network.store``), or the model itself (a
    # ``sitefinder.network.system.PowerSystem``, from a grid model the user brought, or such systems by end, e.g.
    # with the register's booked loads in their demand); None: no model to re-solve.
    network: Any = None

    def file_label(self, kind: str) -> str | None:
        """What the layer of ``kind`` came from, as people named it: the user's file name for an upload or a
        --layer file, the file's name for a dataset layer, None if neither is known."""
        if kind in self.labels:
            return self.labels[kind]
        return self.files[kind].name if kind in self.files else None

    def __getitem__(self, kind: str) -> gpd.GeoDataFrame:
        return self.layers[kind]

    def get(self, kind: str) -> gpd.GeoDataFrame | None:
        """The layer of ``kind``, or None if the dataset has none (optional layers)."""
        return self.layers.get(kind)

    def with_layer(self, kind: str, frame: gpd.GeoDataFrame, path: Path | None = None, *,
                   label: str | None = None) -> Dataset:
        """A copy of this dataset with one layer replaced (the version changes with it). ``path`` is the
        file it was read from, ``label`` the name people know it by (an upload's own file name)."""
        layers = {**self.layers, kind: frame}
        files = {k: v for k, v in self.files.items() if k != kind}
        if path:
            files[kind] = path
        labels = {k: v for k, v in self.labels.items() if k != kind}
        if label or path:
            labels[kind] = label or Path(path).name  # type: ignore[arg-type]
        h = hashlib.sha256((self.version + kind).encode())
        add_frame(h, frame)  # by content: two layers of the same size and extent are still two versions
        digest = h.hexdigest()[:16]
        network = None if kind == "zones" else self.network  # new zones: the old model no longer answers for them
        return Dataset(self.name, layers, files, digest, self.manifest, self.climate_raster, labels, network)

    def with_network(self, network: Any) -> Dataset:
        """A copy whose ``network`` is ``network`` (set after its zones layer, which was solved from it)."""
        return dataclasses.replace(self, network=network)

    def with_climate_raster(self, raster: ClimateRaster) -> Dataset:
        """A copy whose climate comes from ``raster`` where it has values (stations elsewhere)."""
        h = hashlib.sha256((self.version + "raster" + raster.source + raster.meaning).encode())
        h.update(np.ascontiguousarray(raster.data).tobytes())
        digest = h.hexdigest()[:16]
        return Dataset(self.name, self.layers, self.files, digest, self.manifest, raster, self.labels, self.network)


def add_frame(h: Any, frame: pd.DataFrame) -> None:
    """Feed ``frame``'s content (columns, values, geometry as WKB) to the hash ``h`` (a hashlib object)."""
    geom = frame.geometry.name if hasattr(frame, "geometry") else None
    plain = pd.DataFrame(frame.drop(columns=[geom])) if geom else pd.DataFrame(frame)
    h.update(",".join(map(str, plain.columns)).encode())
    for col in plain.columns:  # column by column: object columns may mix types that hash_pandas_object refuses
        values = plain[col]
        try:
            h.update(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes())
        except TypeError:
            h.update(values.astype(str).str.cat(sep="\x1f").encode())
    if geom:
        for wkb in shapely.to_wkb(frame.geometry.array, output_dimension=2):
            h.update(wkb if wkb is not None else b"\x00")


def default_data_dir() -> Path:
    """Where the built-in data lives: $SITEFINDER_DATA, else the repository's ``data/pakistan``."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    repository = Path(__file__).resolve().parents[2]  # sitefinder/data/dataset.py -> the repository root
    for candidate in (repository / "data" / "pakistan", Path.cwd() / "data" / "pakistan"):
        if (candidate / "dataset.toml").exists():
            return candidate
    return repository / "data" / "pakistan"


def load_dataset(directory: str | Path) -> Dataset:
    """Load and validate every layer named in ``directory/dataset.toml``; all problems are reported together."""
    root = Path(directory)
    manifest_path, manifest = read_manifest(root)
    names = manifest.get("layers", {})
    if not isinstance(names, dict):
        raise LayerError(str(manifest_path), [Problem(str(manifest_path), "its [layers] is not a table.",
                                                      'Write one line per layer under [layers], e.g. grid_nodes = "grid_nodes.geojson".')])
    problems = manifest_problems(manifest, str(manifest_path))
    layers: dict[str, gpd.GeoDataFrame] = {}
    files: dict[str, Path] = {}
    for kind, schema in SCHEMAS.items():
        if kind not in names:
            if schema.required_layer:
                problems.append(Problem(str(manifest_path), f"names no '{kind}' layer.",
                                        f"Add `{kind} = \"file.geojson\"` under [layers]."))
            continue
        if not isinstance(names[kind], str):
            problems.append(Problem(str(manifest_path), f"[layers] {kind} = {quoted(names[kind])} is not a file name.",
                                    f'Write {kind} = "{kind}.geojson".'))
            continue
        path = root / names[kind]
        try:
            layers[kind] = read_layer(path, kind)
            files[kind] = path
        except LayerError as exc:
            problems.extend([Problem(f"{path.name}: {p.where}", p.message, p.fix) for p in exc.problems]
                            or [Problem(str(path), str(exc))])
        except SitefinderError as exc:  # one line that starts with the path already
            where, sep, message = str(exc).partition(": ")
            problems.append(Problem(str(path), message) if sep and where == str(path) else Problem(str(path), str(exc)))
    model = manifest.get("network_model")
    if model is not None and not (isinstance(model, str) and Path(model).name == model and (root / model).is_file()):
        problems.append(Problem(str(manifest_path), f"network_model = {quoted(model)} is not a file in {root}.",
                                "Name the network model file beside dataset.toml (network_model = \"network_model.json\"), "
                                "or remove the line: the programme is then not re-solved on a network."))
    if problems:
        raise LayerError(str(root), problems,
                         summary="" if len(problems) == 1 else f"{root}: the dataset has {len(problems)} problems")
    checks = manifest.get("checksums") if isinstance(manifest.get("checksums"), dict) else None
    version = hashlib.sha256(repr(sorted(checks.items())).encode()).hexdigest()[:16] if checks else _hash_files(files)
    network = root / model if model is not None and "zones" in layers else None
    return Dataset(str(manifest.get("name", root.name)), layers, files, version, manifest, network=network)


def manifest_problems(manifest: dict[str, Any], where: str) -> list[Problem]:
    """What in a ``dataset.toml`` has the wrong shape to be used: a name that is not text, a [climate] value that
    is not a number (or a whole number of neighbours), [[assumptions]] that are not tables, a [climate_check] or
    [checksums] that is not a table. (A dataset folder is named by the user, so its manifest is input like any other.)"""
    problems = []
    if not isinstance(manifest.get("name", ""), str):
        problems.append(Problem(where, f"name = {quoted(manifest['name'])} is not text.", 'Write name = "My study area".'))
    for key in ("climate", "climate_check", "checksums"):
        if not isinstance(manifest.get(key, {}), dict):
            problems.append(Problem(where, f"{key} = {quoted(manifest[key])} is not a table.",
                                    f"Write it as a [{key}] table (see data/pakistan/dataset.toml)."))
    climate = manifest.get("climate", {})
    for key in ("idw_power", "idw_neighbours", "lapse_rate_c_per_km") if isinstance(climate, dict) else ():
        value = climate.get(key, 1)
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not number or (key == "idw_neighbours" and (value != int(value) or value < 1)):
            problems.append(Problem(where, f"[climate] {key} = {quoted(value)} is not "
                                    f"{'a whole number of stations' if key == 'idw_neighbours' else 'a number'}.",
                                    "Copy the [climate] table of data/pakistan/dataset.toml."))
    assumptions = manifest.get("assumptions", [])
    if not isinstance(assumptions, list) or not all(isinstance(a, dict) for a in assumptions):
        problems.append(Problem(where, f"assumptions = {quoted(assumptions)} is not a list of [[assumptions]] tables.",
                                "Write each as an [[assumptions]] table (see data/pakistan/dataset.toml)."))
    return problems


def read_manifest(root: Path) -> tuple[Path, dict[str, Any]]:
    """A dataset folder's ``dataset.toml`` (its path and content), read with the checks every user-named file gets:
    the folder and the file exist and can be read, the file is small, UTF-8 and TOML nested no deeper than TOML can be."""
    fix = ("Point --data at a folder with a dataset.toml listing its layers (see data/pakistan/dataset.toml), "
           "or run `sitefinder build-data`.")
    check_input_folder(root, what="dataset folder", fix=fix)
    manifest_path = root / "dataset.toml"
    if not manifest_path.exists():
        raise LayerError(str(root), [Problem(str(root), "has no dataset.toml.", fix)])
    text = read_input_text(manifest_path, max_bytes=MAX_SETTINGS_BYTES, what="dataset manifest (dataset.toml)", fix=fix)
    return manifest_path, parse_toml(text, str(manifest_path), what="dataset manifest (dataset.toml)")


def _hash_files(files: dict[str, Path]) -> str:
    h = hashlib.sha256()
    for kind in sorted(files):
        h.update(kind.encode())
        h.update(files[kind].read_bytes())
    return h.hexdigest()[:16]


def load_default() -> Dataset:
    """The built-in Pakistan dataset."""
    return load_dataset(default_data_dir())
