"""The network model a dataset's ``zones`` layer was solved from, kept beside its layers so the programme can be
re-solved with its loads added (``programme.network_check``).

The built-in data writes ``network_model.json``: the low, central and high ``PowerSystem`` (``network.system``),
each table as ``{"index_names", "index", "columns", "columns_name", "data"}``, numbers as written by Python (read back exactly),
blanks as null. MW, PKR/kWh, shares 0-1, as in ``PowerSystem``; buses' x and y are longitude and latitude
(EPSG:4326). A dataset folder is input like any other, so the file is read with a size limit and every table is
checked before it is used.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sitefinder.errors import LayerError, Problem
from sitefinder.files import read_input_text
from sitefinder.network.system import ENDS, PowerSystem

FORMAT = "sitefinder power system 1"
MAX_BYTES = 20 * 1024 * 1024
TABLES = ("buses", "links", "generators", "availability", "demand")
FIX = "Rebuild it with `sitefinder build-data`, or remove network_model from dataset.toml."


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    return {"index_names": [str(n) if n is not None else None for n in frame.index.names],
            "index": [_plain(v) for v in frame.index],
            "columns": [str(c) for c in frame.columns], "columns_name": frame.columns.name,
            "data": [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]}


def system_record(system: PowerSystem) -> dict[str, Any]:
    """``system`` as plain JSON-able tables."""
    cap = system.transfer_cap
    return {**{name: _table(getattr(system, name)) for name in TABLES},
            "transfer_cap": None if cap is None else [_plain(v) for v in cap.reindex(system.demand.index).to_numpy()],
            "notes": list(system.notes)}


def write_network_model(systems: dict[str, PowerSystem], path: Path) -> Path:
    """The systems of every end, as ``path`` (JSON, keys sorted, so the same model writes the same bytes)."""
    record = {"format": FORMAT, "units": "MW; PKR/kWh; availability and min_pu as shares of p_nom; x, y: lon, lat",
              "ends": {end: system_record(systems[end]) for end in ENDS if end in systems}}
    path.write_text(json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n", encoding="utf-8")
    return path


def _frame(raw: Any, name: str) -> pd.DataFrame:
    if not isinstance(raw, dict) or not all(k in raw for k in ("index_names", "index", "columns", "data")):
        raise ValueError(f"{name} is not a table (index_names, index, columns, data)")
    names, index, columns, data = raw["index_names"], raw["index"], raw["columns"], raw["data"]
    if not (isinstance(index, list) and isinstance(columns, list) and isinstance(data, list) and len(data) == len(index)
            and all(isinstance(r, list) and len(r) == len(columns) for r in data)):
        raise ValueError(f"{name} has rows of the wrong length")
    if isinstance(names, list) and len(names) > 1:
        idx: pd.Index = pd.MultiIndex.from_tuples([tuple(v) for v in index], names=names)
    else:
        idx = pd.Index(index, name=names[0] if isinstance(names, list) and names else None)
    frame = pd.DataFrame(data, index=idx, columns=pd.Index(columns, name=raw.get("columns_name")))
    return frame.apply(lambda col: col.astype(float) if col.map(lambda v: v is None or isinstance(v, (int, float))
                                                                   and not isinstance(v, bool)).all() else col)


def system_from_record(raw: Any, name: str) -> PowerSystem:
    """A ``PowerSystem`` from ``system_record``'s tables; ValueError naming what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError(f"{name} is not an object")
    frames = {t: _frame(raw.get(t), f"{name}.{t}") for t in TABLES}
    gens = frames["generators"]
    for col in ("must_run",):
        if col in gens:
            gens[col] = gens[col].astype(bool)
    cap_raw = raw.get("transfer_cap")
    cap = None
    if cap_raw is not None:
        if not isinstance(cap_raw, list) or len(cap_raw) != len(frames["demand"]):
            raise ValueError(f"{name}.transfer_cap is not one number per case")
        cap = pd.Series([np.nan if v is None else float(v) for v in cap_raw], index=frames["demand"].index)
    system = PowerSystem(frames["buses"], frames["links"], gens, frames["availability"], frames["demand"], cap,
                         [str(n) for n in raw.get("notes", [])])
    problems = system.check()
    if problems:
        raise ValueError(f"{name}: {'; '.join(problems)}")
    return system


def read_network_model(path: Path) -> dict[str, PowerSystem]:
    """Every end's ``PowerSystem`` from ``path`` (``write_network_model``'s file); LayerError naming the file, what
    is wrong and the fix."""
    text = read_input_text(path, max_bytes=MAX_BYTES, what="network model (network_model.json)", fix=FIX)
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"it is not a sitefinder network model (format {FORMAT!r})")
        ends = raw.get("ends")
        if not isinstance(ends, dict) or "central" not in ends:
            raise ValueError("it has no central system")
        return {end: system_from_record(ends[end], end) for end in ENDS if end in ends}
    except (ValueError, TypeError, KeyError) as exc:
        message = " ".join(str(exc).split())[:300]
        raise LayerError(str(path), [Problem(str(path), f"the network model cannot be read: {message}.", FIX)]) from None
