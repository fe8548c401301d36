"""Measured criteria kept on disk (Apache Parquet), so a second ranking of the same cells on the same data reads them
instead of measuring again (at H3 resolution 8: seconds instead of tens of seconds).

A file is keyed by a digest of everything the criteria depend on: sitefinder's version, the content of every layer
(attributes and geometry) and of a climate raster, the dataset manifest (climate settings), the candidate cells
(ids and points), and for grid criteria the node rule. Change any of them and the key changes, so a stale file is
never read. Files are written whole (to a temporary name, then renamed), so a reader never sees half a file.

Where: ``$SITEFINDER_CACHE`` (``off`` turns the cache off), else ``$XDG_CACHE_HOME/sitefinder``, else
``~/.cache/sitefinder``. A file that cannot be read is measured again and replaced.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sitefinder import __version__
from sitefinder.data.dataset import Dataset, add_frame
from sitefinder.measure.candidates import Candidates, check_resolution, h3_candidates

CACHE_ENV = "SITEFINDER_CACHE"
FORMAT = "3"  # bump when the criteria's columns or their meaning change


def cache_dir() -> Path | None:
    """The folder for cached criteria, or None when the cache is off."""
    env = os.environ.get(CACHE_ENV, "")
    if env.strip().lower() in ("off", "0", "no", "false"):
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sitefinder"


def dataset_digest(dataset: Dataset) -> str:
    """A digest of every layer's content, the climate raster and the manifest (16 hex characters)."""
    h = hashlib.sha256(f"{__version__}|{FORMAT}".encode())
    for kind in sorted(dataset.layers):
        h.update(kind.encode())
        add_frame(h, dataset.layers[kind])
    raster = dataset.climate_raster
    if raster is not None:
        h.update(f"{raster.source}|{raster.meaning}".encode())
        h.update(np.ascontiguousarray(raster.data).tobytes())
    h.update(repr(sorted((dataset.manifest or {}).items(), key=lambda kv: kv[0])).encode())
    return h.hexdigest()[:16]


def candidates_digest(cands: Candidates) -> str:
    """A digest of the candidates' kind, resolution, ids and points (or of what they were made from, when known)."""
    if cands.digest:
        return cands.digest
    h = hashlib.sha256(f"{cands.kind}|{cands.resolution}|{len(cands)}".encode())
    h.update(pd.util.hash_pandas_object(pd.Series(np.asarray(cands.ids).astype(str)), index=False).to_numpy().tobytes())
    h.update(np.ascontiguousarray(cands.lon, dtype=float).tobytes())
    h.update(np.ascontiguousarray(cands.lat, dtype=float).tobytes())
    return h.hexdigest()[:16]


def cached(name: str, key: str, build: Callable[[], pd.DataFrame], say: Callable[[str], None] | None = None
           ) -> pd.DataFrame:
    """The frame stored under ``name``-``key``, or ``build()`` stored there (when the cache is on)."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"{name}-{key}.parquet"
    if path.exists():
        try:
            frame = pd.read_parquet(path)
            if say:
                say(f"read the measured criteria from the cache ({path.name})")
            return frame
        except (OSError, ValueError, pa.ArrowException) as exc:  # damaged, truncated or not Parquet at all
            if say:
                say(f"the cached file {path} could not be read ({type(exc).__name__}: {exc}); measuring again "
                    "and replacing it")
    frame = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: the run goes on without the cache
    return frame


def cached_h3_candidates(study_area: Any, resolution: int, say: Callable[[str], None] | None = None) -> Candidates:
    """``candidates.h3_candidates`` kept on disk too: the cells depend only on the study area and the resolution."""
    res = check_resolution(resolution)
    h = hashlib.sha256(f"{__version__}|{FORMAT}|cells|{res}".encode())
    add_frame(h, study_area)
    key = h.hexdigest()[:16]
    frame = cached("cells", key, lambda: _cells_frame(h3_candidates(study_area, res)), say)
    return Candidates(ids=frame["id"].to_numpy(dtype=str), lon=frame["lon"].to_numpy(float),
                      lat=frame["lat"].to_numpy(float), kind="h3", resolution=res, digest=f"h3{res}-{key}",
                      h3_ints=frame["cell"].to_numpy(dtype=np.uint64))


def _cells_frame(cands: Candidates) -> pd.DataFrame:
    ints = cands.h3_ints if cands.h3_ints is not None else np.zeros(len(cands), dtype=np.uint64)
    return pd.DataFrame({"id": cands.ids.astype(object), "cell": ints, "lon": cands.lon, "lat": cands.lat})
