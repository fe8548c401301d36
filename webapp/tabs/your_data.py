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
from webapp import state
from webapp.text import md_escape

SITES = "__sites__"
RASTER = "__raster__"
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
              else ".tif" if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+") else ".upload")
    path = _upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return path, digest


def effective_dataset(base: Dataset) -> Dataset:
    """The built-in dataset with this session's uploaded layers applied (in the order they were added); its
    version follows their content (``Dataset.with_layer``)."""
    ds = base
    for kind, entry in (state.USER_LAYERS.get() or {}).items():
        ds = ds.with_layer(kind, entry["frame"], label=entry["name"])  # named by the user's file, as --layer names its
    raster = state.USER_RASTER.get()
    if raster is not None:
        ds = ds.with_climate_raster(raster["raster"])
    return ds


def _show_error(exc: SitefinderError) -> None:
    st.error(md_escape(str(exc)).replace("\n", "  \n"))
    st.caption("Nothing you had set up has changed. Fix the file (or the column mapping) and try again.")


def _active_list(base: Dataset) -> None:
    entries = state.USER_LAYERS.get() or {}
    sites = state.USER_SITES.get()
    raster = state.USER_RASTER.get()
    if not entries and sites is None and raster is None:
        st.caption("Using the built-in Pakistan layers only.")
        return
    st.markdown("**In use now**")
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
    choices: list[str] = [*UPLOADABLE, SITES, RASTER]
    kind = st.selectbox("What does your file hold?", choices, format_func=lambda k: LABELS.get(k, k), key="upload_kind")
    if kind is None:
        return
    if kind == RASTER:
        _raster_upload()
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


__all__ = ["effective_dataset", "your_data_tab"]
