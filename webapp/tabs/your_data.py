"""The "Your data" tab: upload a layer or candidate sites, map its columns, and use it.

Uploaded files are hostile until proven otherwise: they are written under a private temporary folder
with a generated name, their format is decided by content (sitefinder.data.io), and every message that
quotes them is escaped before it reaches the page. Nothing the user had set up is lost on an error.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path

import streamlit as st

from sitefinder.data.climate_raster import read_climate_raster
from sitefinder.data.dataset import Dataset
from sitefinder.data.io import MAX_FILE_BYTES, read_vector
from sitefinder.data.schema import get_schema
from sitefinder.data.user_layers import UPLOADABLE, combine_layers, prepare_layer, suggest_mapping
from sitefinder.errors import FileTooLargeError, SitefinderError
from sitefinder.measure.candidates import user_candidates
from sitefinder.model.vocabulary import METRIC_COLUMNS
from sitefinder.network.netcdf_reader import MAX_BUSES, MAX_SNAPSHOTS
from sitefinder.network.user_model import (
    MAX_GRID_MODEL_BYTES,
    NO_RANGE,
    GridModel,
    apply_grid_model,
    read_grid_model,
    solve_grid_model,
)
from webapp import state
from webapp.text import md_escape

SITES = "__sites__"
RASTER = "__raster__"
GRID = "__grid_model__"
NEAREST = "(each node joins its nearest bus)"
LABELS = {
    "grid_nodes": "Grid nodes (substations, switchyards)",
    "supply_regions": "Supply regions or feeders (surplus by season or month)",
    "climate_stations": "Climate stations (monthly temperatures)",
    "exclusions": "Land exclusions (protected areas, no-build zones)",
    "connectivity": "Connectivity (cable landings, exchanges, data centres)",
    "cities": "Cities and towns",
    "districts": "Districts (with 2022 flood flag)",
    SITES: "Your own candidate sites (points or polygons)",
    RASTER: "Climate raster (GeoTIFF: 24 monthly bands, or one metric)",
    GRID: "Grid model (a PyPSA network saved as netCDF, .nc): replaces the built-in network model",
}
ADDABLE = {"grid_nodes", "exclusions", "connectivity", "cities", "climate_stations"}
NONE = "(not in my file)"


def _upload_dir() -> Path:
    folder = state.UPLOAD_DIR.get()
    if folder is None:
        folder = tempfile.mkdtemp(prefix="sitefinder-upload-")
        state.UPLOAD_DIR.set(folder)
    return Path(folder)


def _save(uploaded) -> tuple[Path, str]:
    """Write an upload under a generated name (the user's file name is never used as a path)."""
    data = uploaded.getvalue()
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLargeError(f"{uploaded.name}: is {len(data) / 2**20:,.0f} MiB; the limit is {MAX_FILE_BYTES / 2**20:,.0f} MiB. "
                                "Clip the layer to your study area, or use the command line.")
    digest = hashlib.sha256(data).hexdigest()[:16]
    # A generated name; the suffix follows the content (GDAL warns about a GeoPackage named otherwise).
    suffix = (".gpkg" if data.startswith(b"SQLite format 3\x00") else ".zip" if data.startswith(b"PK")
              else ".tif" if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
              else ".nc" if data.startswith((b"\x89HDF\r\n\x1a\n", b"CDF")) else ".upload")
    path = _upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return path, digest


def with_uploads(base: Dataset) -> Dataset:
    """The built-in dataset with this session's uploaded layers (in the order they were added) and climate raster."""
    ds = base
    for kind, entry in (state.USER_LAYERS.get() or {}).items():
        ds = ds.with_layer(kind, entry["frame"], label=entry["name"])  # named by the user's file, as --layer names its
    raster = state.USER_RASTER.get()
    if raster is not None:
        ds = ds.with_climate_raster(raster["raster"])
    return ds


def effective_dataset(base: Dataset) -> Dataset:
    """The built-in dataset with this session's uploads applied: layers, raster, and last a grid model in place of
    the built-in network model (its nodes are the grid nodes in use then); its version follows their content
    (``Dataset.with_layer``). If the grid nodes in use no longer have the bus column chosen, nodes join their
    nearest bus, and the page says so."""
    ds = with_uploads(base)
    grid = state.USER_GRID.get()
    if grid is None:
        return ds
    key = (ds.version, grid["key"], grid["bus_column"])
    memo = state.GRID_APPLIED.get()
    if memo is not None and memo["key"] == key:  # joining and hashing the layers again takes a few tenths of a second
        return memo["dataset"]
    try:
        applied = apply_grid_model(ds, grid["solved"], bus_column=grid["bus_column"])[0]
    except SitefinderError as exc:
        state.FLASH.set(("warning", f"{exc} Each grid node now joins its nearest bus of {grid['name']}."))
        state.USER_GRID.set({**grid, "bus_column": None})
        key = (ds.version, grid["key"], None)
        applied = apply_grid_model(ds, grid["solved"])[0]
    state.GRID_APPLIED.set({"key": key, "dataset": applied})
    return applied



def _show_error(exc: SitefinderError) -> None:
    st.error(md_escape(str(exc)).replace("\n", "  \n"))
    st.caption("Nothing you had set up has changed. Fix the file (or the column mapping) and try again.")


def _active_list(base: Dataset) -> None:
    entries = state.USER_LAYERS.get() or {}
    sites = state.USER_SITES.get()
    raster = state.USER_RASTER.get()
    grid = state.USER_GRID.get()
    if not entries and sites is None and raster is None and grid is None:
        st.caption("Using the built-in Pakistan layers and the built-in network model only.")
        return
    st.markdown("**In use now**")
    if grid is not None:
        c1, c2 = st.columns([5, 1])
        model = grid["solved"].model
        c1.markdown(md_escape(f"Grid model: {grid['name']}, {model.describe()}. Surplus comes from it: one zone per bus, "
                              f"{NO_RANGE}; each grid node joins "
                              + (f"the bus named in its column {grid['bus_column']}" if grid["bus_column"]
                                 else "its nearest bus") + "."))
        for note in (*model.notes, *grid.get("notes", ())):
            c1.caption(md_escape(note))
        if c2.button("Remove", key="rm_grid_model"):
            state.USER_GRID.pop()
            st.rerun()
    for kind, e in list(entries.items()):
        c1, c2 = st.columns([5, 1])
        c1.markdown(f"{LABELS[kind]}: {md_escape(e['name'])}, {len(e['frame'])} features ({e['mode']})")
        for note in e["notes"]:
            c1.caption(md_escape(note))
        if c2.button("Remove", key=f"rm_{kind}"):
            state.USER_LAYERS.set({k: v for k, v in entries.items() if k != kind})
            st.rerun()
    if raster is not None:
        c1, c2 = st.columns([5, 1])
        r = raster["raster"]
        c1.markdown(md_escape(f"Climate raster: {raster['name']}, {r.meaning}, {r.data.shape[2]} x {r.data.shape[1]} pixels, "
                              f"{r.crs.to_string()}; stations fill in outside it"))
        if c2.button("Remove", key="rm_raster"):
            state.USER_RASTER.pop()
            st.rerun()
    if sites is not None:
        c1, c2 = st.columns([5, 1])
        c1.markdown(f"{LABELS[SITES]}: {md_escape(sites['name'])}, {len(sites['frame'])} sites (instead of H3 cells)")
        if c2.button("Remove", key="rm_sites"):
            state.USER_SITES.pop()
            st.rerun()


def your_data_tab(base: Dataset) -> None:
    """The 'Your data' tab: upload a layer, candidate sites or a climate raster, map its columns, use it."""
    st.markdown("Replace or add a layer with your own data, or score your own candidate sites. Files are read by "
                "their content: GeoJSON, GeoPackage, a zip holding one shapefile (with its .prj), or CSV with "
                "longitude/latitude or WKT columns (UTF-8). Each layer's columns and units are listed in the docs "
                "(Reference, Layer kinds; `sitefinder schema` prints them too).")
    _active_list(base)
    choices: list[str] = [*UPLOADABLE, SITES, RASTER, GRID]
    kind = st.selectbox("What does your file hold?", choices, format_func=lambda k: LABELS.get(k, k), key="upload_kind")
    if kind is None:
        return
    if kind == RASTER:
        _raster_upload()
        return
    if kind == GRID:
        _grid_model_upload(base)
        return
    mode = "replace"
    if kind in ADDABLE:
        mode = st.radio("Use it to", ["replace", "add"], horizontal=True, key=f"upload_mode_{kind}",
                        format_func=lambda m: "replace the built-in layer" if m == "replace" else "add to the built-in layer")
    uploaded = st.file_uploader("Your file", key=f"upload_{kind}",
                                help="GeoJSON, GeoPackage, zipped shapefile or CSV, recognised by content (the name does "
                                     "not matter). At most 50 MB through the page; larger layers: use the command line.")
    if uploaded is None:
        return
    try:
        path, digest = _save(uploaded)
        frame = read_vector(path, name=uploaded.name)  # messages name the user's file, not the stored one
    except SitefinderError as exc:
        _show_error(exc)
        return
    cols = [str(c) for c in frame.columns if c != frame.geometry.name]
    st.caption(md_escape(f"{uploaded.name}: {len(frame)} features; columns: {', '.join(cols) or 'none'}"))

    if kind == SITES:
        if st.button("Score these sites", type="primary"):
            try:
                cands = user_candidates(frame, source=uploaded.name)
            except SitefinderError as exc:
                _show_error(exc)
                return
            state.USER_SITES.set({"frame": frame, "name": uploaded.name, "key": digest, "count": len(cands)})
            state.FLASH.set(("success", f"Scoring {len(cands)} sites from {uploaded.name}."))
            st.rerun()
        return

    schema = get_schema(kind)
    suggested = suggest_mapping(cols, kind)
    st.markdown("**Which column holds what?** Columns with the same name are matched for you.")
    mapping: dict[str, str | None] = {}
    grid = st.columns(3)
    for i, col in enumerate(schema.columns):
        options = [NONE, *cols]
        default = suggested.get(col.name)
        label = f"{col.name}{' (' + col.unit + ')' if col.unit else ''}{'' if col.required else ' · optional'}"
        choice = grid[i % 3].selectbox(label, options, index=options.index(default) if default in options else 0,
                                       key=f"map_{kind}_{col.name}_{digest}", help=col.description)
        mapping[col.name] = None if choice == NONE else choice
    if st.button("Use this file", type="primary"):
        try:
            layer = prepare_layer(frame, kind, source=uploaded.name, mapping=mapping, study_area=base["study_area"])
            notes = list(layer.attrs.get("notes", []))
            if mode == "add":
                layer = combine_layers(base[kind], layer, kind, uploaded.name)
        except SitefinderError as exc:
            _show_error(exc)
            return
        entries = dict(state.USER_LAYERS.get() or {})
        entries[kind] = {"frame": layer, "name": uploaded.name, "key": digest + mode + repr(sorted(mapping.items())),
                         "mode": mode, "notes": notes}
        state.USER_LAYERS.set(entries)
        state.FLASH.set(("success", f"{LABELS[kind]} now {'include' if mode == 'add' else 'come from'} "
                                    f"{uploaded.name} ({len(layer)} features)."))
        st.rerun()


def _raster_upload() -> None:
    meaning = st.selectbox("The raster holds", ["monthly", *METRIC_COLUMNS], key="raster_meaning",
                           format_func=lambda m: "24 bands: tmax Jan..Dec then tmin Jan..Dec (°C)" if m == "monthly" else f"one band: {m}")
    uploaded = st.file_uploader("Your GeoTIFF", key="upload_raster", help="Recognised by content; at most 50 MB here.")
    if uploaded is None:
        return
    try:
        path, digest = _save(uploaded)
        raster = read_climate_raster(path, meaning=meaning, display_name=uploaded.name)
    except SitefinderError as exc:
        _show_error(exc)
        return
    st.caption(md_escape(f"{uploaded.name}: {raster.data.shape[0]} band(s), {raster.data.shape[2]} x {raster.data.shape[1]} "
                         f"pixels, {raster.crs.to_string()}"))
    if st.button("Use this raster", type="primary"):
        state.USER_RASTER.set({"raster": raster, "name": uploaded.name, "key": digest + meaning})
        state.FLASH.set(("success", f"Climate now comes from {uploaded.name} where it has values."))
        st.rerun()


def _read_grid_upload(uploaded) -> tuple[GridModel, str]:
    """The grid model in ``uploaded`` (read once per file content: a rerun reuses it) and its digest; raises a
    ``SitefinderError`` naming the user's file."""
    digest = hashlib.sha256(uploaded.getvalue()).hexdigest()[:16]
    memo = state.GRID_READ.get()
    if memo is None or memo["key"] != digest:
        if len(uploaded.getvalue()) > MAX_GRID_MODEL_BYTES:
            raise FileTooLargeError(f"{uploaded.name}: is {len(uploaded.getvalue()) / 2**20:,.0f} MiB; the limit is "
                                    f"{MAX_GRID_MODEL_BYTES / 2**20:,.0f} MiB. Fix: Use fewer snapshots or cluster the network.")
        path, _ = _save(uploaded)
        try:
            with st.spinner(f"Reading {uploaded.name} ..."):
                model = read_grid_model(path, name=uploaded.name)  # messages name the user's file, not the stored one
        finally:
            path.unlink(missing_ok=True)
        memo = {"key": digest, "model": model}
        state.GRID_READ.set(memo)
    return memo["model"], digest


def _grid_model_upload(base: Dataset) -> None:
    st.markdown(f"A PyPSA network saved with `Network.export_to_netcdf` replaces the built-in network model: its buses "
                f"become the network zones, each grid node joins a bus, and a site draws on its node's bus. Buses' x and "
                f"y are longitude and latitude; at most {MAX_BUSES} buses and {MAX_SNAPSHOTS} snapshots, and the network "
                f"is solved once per bus and snapshot (Guides, Your own grid model, in the docs, says what is read and "
                f"the units).")
    uploaded = st.file_uploader("Your grid model (.nc)", key="upload_grid_model",
                                help="A netCDF file, recognised by content; read in a separate process with limits.")
    if uploaded is None:
        return
    try:
        model, digest = _read_grid_upload(uploaded)
    except SitefinderError as exc:
        _show_error(exc)
        return
    st.caption(md_escape(f"{uploaded.name}: {model.describe()}"))
    for note in model.notes:
        st.caption(md_escape(note))
    nodes = with_uploads(base)["grid_nodes"]
    columns = [NEAREST, *(str(c) for c in nodes.columns if c != nodes.geometry.name)]
    column = st.selectbox("Which grid nodes' column names each node's bus?", columns, key=f"grid_bus_column_{digest}",
                          help="Leave it at the nearest bus unless your grid nodes layer has a column of bus names.")
    if st.button("Use this grid model", type="primary"):
        bus_column = None if column == NEAREST else column
        try:
            with st.spinner(f"Solving {uploaded.name} for every bus and snapshot ..."):
                solved = solve_grid_model(model)
            _, notes = apply_grid_model(with_uploads(base), solved, bus_column=bus_column)  # the checks, before anything changes
        except SitefinderError as exc:
            _show_error(exc)
            return
        state.USER_GRID.set({"solved": solved, "name": uploaded.name, "bus_column": bus_column, "key": digest,
                             "notes": notes})
        state.FLASH.set(("success", f"Surplus now comes from your grid model {uploaded.name} (solved in "
                                    f"{solved.seconds:.0f} s; {NO_RANGE})."))
        st.rerun()


__all__ = ["effective_dataset", "with_uploads", "your_data_tab"]
