"""The only module that reads layer files (safely) and writes them (deterministically, atomically).

Formats are decided by content, never by file name: GeoJSON text, a GeoPackage (SQLite header with
the GPKG application id), a zip holding exactly one shapefile, or CSV text with longitude/latitude
(or WKT) columns. GeoJSON and CSV are parsed in Python; only GeoPackages and shapefiles reach GDAL,
and GDAL's VRT driver is disabled for the whole process (see ``sitefinder/__init__.py``). What every
user-named file gets (exists, not a folder, size limit, readable; atomic writes) is ``sitefinder.files``.
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj.exceptions import CRSError
from shapely.geometry.polygon import orient

from sitefinder.data.geojson_check import check_features
from sitefinder.data.schema import validate_layer
from sitefinder.errors import (
    FileFormatError,
    LayerError,
    Problem,
    TextEncodingError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)
from sitefinder.files import check_input_file, read_input_bytes, write_atomic

Format = Literal["geojson", "gpkg", "zip", "csv"]
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 20
MAX_ZIP_TOTAL_BYTES = 500 * 1024 * 1024
MAX_ZIP_RATIO = 100
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"  # every .shp starts with file code 9994, big-endian
LON_NAMES = ("lon", "longitude", "lng", "long", "x")
LAT_NAMES = ("lat", "latitude", "y")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


def sniff_format(path: Path, head: bytes, name: str | None = None) -> Format:
    """Decide a file's format from its first bytes; raise ``FileFormatError`` (naming the file as
    ``name``, default its own name) if it is none we read."""
    name = name or path.name
    if head.startswith(b"SQLite format 3\x00"):
        if len(head) >= 72 and head[68:72] in (b"GPKG", b"GP10", b"GP11"):
            return "gpkg"
        raise UnsupportedFormatError(f"{name}: is an SQLite database but not a GeoPackage. Export the layer as GeoPackage or GeoJSON.")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 8 and head[1::2].count(0) > len(head) // 4):
        raise TextEncodingError(f"{name}: is UTF-16 text. Save it as UTF-8 (in Excel: Save As, 'CSV UTF-8').")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        return "geojson"
    if text.startswith(b"<"):
        raise UnsupportedFormatError(f"{name}: looks like XML (KML, GML or a GDAL VRT), which sitefinder does not read. "
                              "Save the layer as GeoJSON, GeoPackage, a zipped shapefile or CSV.")
    if b"\x00" in head:
        raise UnsupportedFormatError(f"{name}: is a binary file of a kind sitefinder does not read. "
                              "Use GeoJSON, GeoPackage, a zipped shapefile or CSV with lon/lat columns.")
    return "csv"


def check_file(path: Path, max_bytes: int, *, name: str | None = None) -> bytes:
    """Exists, is a file, can be read, not over ``max_bytes``, not empty: then its first 4 KiB (to sniff the format).
    The checks are ``sitefinder.files.check_input_file``'s, shared with every other file a user names."""
    shown = name or path.name
    head = check_input_file(path, max_bytes=max_bytes, name=shown if name else str(path), what="layer file",
                            too_large_fix="Clip the layer to your study area or simplify it.")
    if not head:
        raise FileFormatError(f"{shown}: is empty (0 bytes). Export the layer again; the file was probably not written.")
    return head


def _read_geojson(raw: bytes, name: str) -> gpd.GeoDataFrame:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextEncodingError(f"{name}: is not UTF-8 text (byte {exc.start} cannot be decoded). "
                                "GeoJSON must be UTF-8: re-export it as UTF-8.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{name}: is not valid GeoJSON ({exc}). Check the file is complete JSON "
                              "(it may have been cut off); export it again.") from None
    except RecursionError:
        raise FileFormatError(f"{name}: is nested too deeply to be a GeoJSON layer. Export it again as a plain "
                              "FeatureCollection.") from None
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise FileFormatError(f"{name}: is JSON but not a GeoJSON FeatureCollection. Export the layer as GeoJSON.")
    features = data.get("features") if data["type"] == "FeatureCollection" else [data]
    if not isinstance(features, list):
        raise FileFormatError(f"{name}: a FeatureCollection needs a 'features' list. Export the layer as GeoJSON.")
    crs: Any = "EPSG:4326"
    crs_member = data.get("crs")
    if crs_member is not None:
        props = crs_member.get("properties") if isinstance(crs_member, dict) else None
        named = props.get("name") if isinstance(props, dict) else None
        if not isinstance(named, str):
            raise FileFormatError(f"{name}: its 'crs' member is not of the form "
                                  '{"type": "name", "properties": {"name": "EPSG:XXXX"}}. Remove it and save the '
                                  "coordinates as WGS84 longitude/latitude (RFC 7946).")
        if not any(tag in named for tag in ("CRS84", "4326")):
            crs = named
    features, notes = check_features(features, name)
    try:
        frame = gpd.GeoDataFrame.from_features(features, crs=crs)
    except CRSError:
        raise FileFormatError(f"{name}: its 'crs' member names '{crs}', which is not a coordinate reference "
                              "system sitefinder knows. Save the layer in WGS84 longitude/latitude (RFC 7946).") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise FileFormatError(f"{name}: has a feature that is not valid GeoJSON ({type(exc).__name__}: {exc}). "
                              "Check each feature has a 'geometry' of a GeoJSON type (Point, Polygon, ...).") from None
    frame.attrs["notes"] = notes
    return frame


def _read_csv(raw: bytes, name: str) -> gpd.GeoDataFrame:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextEncodingError(f"{name}: is not UTF-8 text (byte {exc.start} cannot be decoded). "
                                "Save the CSV as UTF-8 (in Excel: Save As, 'CSV UTF-8').") from None
    try:
        frame = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error) as exc:
        raise FileFormatError(f"{name}: could not be read as CSV ({exc}). Check quoting and that every row has "
                              "the same number of comma-separated fields.") from None
    cols = {c.lower().strip(): c for c in frame.columns}
    lon = next((cols[n] for n in LON_NAMES if n in cols), None)
    lat = next((cols[n] for n in LAT_NAMES if n in cols), None)
    wkt = next((cols[n] for n in WKT_NAMES if n in cols), None)
    if lon and lat:
        x = pd.to_numeric(frame[lon].replace("", np.nan), errors="coerce")
        y = pd.to_numeric(frame[lat].replace("", np.nan), errors="coerce")
        bad = np.flatnonzero(x.isna().to_numpy() | y.isna().to_numpy())
        if len(bad):
            rows = ", ".join(str(i + 2) for i in bad[:8])
            raise LayerError(name, [Problem(f"columns '{lon}'/'{lat}', lines {rows}",
                                                 "are not numbers.", "Fill in decimal degrees.")])
        geom = gpd.points_from_xy(x, y)
        return gpd.GeoDataFrame(frame.drop(columns=[lon, lat]), geometry=geom, crs="EPSG:4326")
    if wkt:
        texts = frame[wkt].to_numpy(dtype=object)
        parsed = shapely.from_wkt(texts, on_invalid="ignore")
        bad_rows = [i for i, (t, g) in enumerate(zip(texts, parsed)) if g is None and str(t).strip()]
        if bad_rows:
            lines = ", ".join(str(i + 2) for i in bad_rows[:8])
            raise FileFormatError(f"{name}: column '{wkt}' holds text that is not WKT on line(s) {lines}. "
                                  "Write geometries as WKT, e.g. POINT (67.0 24.9) or POLYGON ((...)), longitude first.")
        return gpd.GeoDataFrame(frame.drop(columns=[wkt]), geometry=parsed, crs="EPSG:4326")
    raise FileFormatError(f"{name}: a CSV needs longitude and latitude columns (named one of {', '.join(LON_NAMES)} "
                          f"and {', '.join(LAT_NAMES)}) or a WKT column ({', '.join(WKT_NAMES)}); it has {list(frame.columns)}.")


def _inspect_zip(path: Path, name: str) -> str:
    """Return the one .shp member of a safe zip, or raise explaining what is wrong."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileFormatError(f"{name}: is not a readable zip archive (damaged or cut off). Zip the shapefile's "
                              "files (.shp, .shx, .dbf, .prj) again.") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise UnsafeArchiveError(f"{name}: holds {len(infos)} files; a zipped shapefile needs at most {MAX_ZIP_MEMBERS}.")
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > MAX_ZIP_TOTAL_BYTES or total / packed > MAX_ZIP_RATIO:
            raise UnsafeArchiveError(f"{name}: unpacks to {total / 1e6:.0f} MB (ratio {total / packed:.0f}:1), "
                                     "more than a layer needs; it is refused as a possible zip bomb. Zip only the "
                                     "shapefile's own files, or send the layer as a GeoPackage.")
        for info in infos:
            entry = PurePosixPath(info.filename.replace("\\", "/"))
            if entry.is_absolute() or ".." in entry.parts:
                raise UnsafeArchiveError(f"{name}: contains the unsafe path '{info.filename}'. Re-zip the shapefile's files only.")
        shps = [i.filename for i in infos if i.filename.lower().endswith(".shp")]
    if len(shps) != 1:
        raise UnsafeArchiveError(f"{name}: must hold exactly one shapefile (.shp); it holds {len(shps)}. "
                                 "Zip one layer per file.")
    with zipfile.ZipFile(path) as zf, zf.open(shps[0]) as member:
        magic = member.read(4)
    if magic != SHAPEFILE_MAGIC:
        raise UnsupportedFormatError(f"{name}: its '{shps[0]}' is not a shapefile (wrong file header); it is refused "
                                     "without being opened. Zip the real .shp, .shx, .dbf and .prj files.")
    return shps[0]


def read_vector(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES, name: str | None = None) -> gpd.GeoDataFrame:
    """Read any allowed vector file (WGS84 or its declared CRS) into a GeoDataFrame without validating its
    attributes. ``name`` is what messages call the file (default: the path as given; an upload's own name instead of
    its stored one)."""
    p = Path(path)
    name = name or str(p)
    head = check_file(p, max_bytes, name=name)
    fmt = sniff_format(p, head, name)
    if fmt in ("geojson", "csv"):
        raw = read_input_bytes(p, max_bytes=max_bytes, name=name, what="layer file")
        return _read_geojson(raw, name) if fmt == "geojson" else _read_csv(raw, name)
    import pyogrio  # noqa: PLC0415  (GDAL only for binary formats whose header was checked above)

    if "OGR_VRT" in pyogrio.list_drivers():
        raise UnsupportedFormatError(
            f"{name}: not read, because GDAL's VRT driver is enabled in this process and could be made to read "
            "server files. Start the program with GDAL_SKIP=OGR_VRT set (importing sitefinder before pyogrio does this).")
    # Braces let GDAL open an archive whatever its name (uploads are stored under generated names).
    target = str(p) if fmt == "gpkg" else f"/vsizip/{{{p.resolve()}}}/{_inspect_zip(p, name)}"
    try:
        if fmt == "gpkg":
            layers = pyogrio.list_layers(target)
            if len(layers) != 1:
                names = ", ".join(str(n) for n in layers[:, 0][:6])
                raise FileFormatError(f"{name}: holds {len(layers)} layers ({names}); sitefinder needs one layer per file. "
                                      "Export the layer you mean into a GeoPackage of its own.")
        frame = pyogrio.read_dataframe(target)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError) as exc:
        detail = str(exc)
        for shown in (str(p.resolve()), str(p), p.name):  # GDAL's spelling of the path, longest first, -> name
            detail = detail.replace(shown, "\0")
        detail = detail.replace("\0", name)
        detail = detail.replace(f"/vsizip/{{{name}}}/", "").replace(f"/vsizip/{name}/", "")
        raise FileFormatError(f"{name}: could not be read ({detail}). Export the layer again as GeoPackage or GeoJSON.") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise FileFormatError(f"{name}: holds a table without geometry. Export a layer with points or polygons.")
    return frame


def read_layer(path: str | Path, kind: str, *, max_bytes: int = MAX_FILE_BYTES) -> gpd.GeoDataFrame:
    """Read and validate a layer file of the given kind (see ``schema.SCHEMAS``)."""
    frame = read_vector(path, max_bytes=max_bytes)
    return validate_layer(frame, kind, str(path))


# ----------------------------------------------------------------------------------------------
# Writing


def _clean(value: Any) -> Any:
    """JSON-safe scalar: NaN/NA -> None, numpy -> Python."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def _round_coords(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), ndigits) for v in obj]
        return [_round_coords(o, ndigits) for o in obj]
    return obj


def geometry_to_geojson(geom: shapely.Geometry, ndigits: int) -> dict[str, Any] | None:
    """RFC 7946 geometry: counter-clockwise exterior rings, rounded coordinates."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Polygon":
        geom = orient(geom, sign=1.0)
    elif geom.geom_type == "MultiPolygon":
        geom = shapely.MultiPolygon([orient(g, sign=1.0) for g in geom.geoms])
    mapped = shapely.geometry.mapping(geom)
    return {"type": mapped["type"], "coordinates": _round_coords(mapped["coordinates"], ndigits)}


def feature_collection(frame: gpd.GeoDataFrame, *, ndigits: int = 6, metadata: dict[str, Any] | None = None,
                       extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection dict (WGS84, no ``crs`` member, no NaN)."""
    gdf = frame.to_crs(4326) if frame.crs is not None and not frame.crs.equals("EPSG:4326") else frame
    props = [c for c in gdf.columns if c != gdf.geometry.name]
    records = gdf[props].to_dict(orient="records")
    features = [
        {"type": "Feature", "properties": {k: _clean(v) for k, v in rec.items()},
         "geometry": geometry_to_geojson(geom, ndigits)}
        for rec, geom in zip(records, gdf.geometry.array)
    ]
    out: dict[str, Any] = {"type": "FeatureCollection"}
    if extra:
        out.update(extra)
    if metadata is not None:
        out["metadata"] = metadata
    out["features"] = features
    return out


def dumps_geojson(collection: dict[str, Any], *, compact: bool = False) -> str:
    """Serialise a FeatureCollection deterministically; refuses NaN."""
    if compact:
        return json.dumps(collection, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
    # One feature per line keeps diffs of committed data readable and files small.
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [json.dumps(f, ensure_ascii=False, allow_nan=False, separators=(",", ":")) for f in collection["features"]]
    body = json.dumps(head, ensure_ascii=False, allow_nan=False, indent=1)[:-2]
    return body + ',\n"features": [\n' + ",\n".join(lines) + "\n]\n}\n"


def write_geojson(frame: gpd.GeoDataFrame, path: str | Path, *, ndigits: int = 6,
                  metadata: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write an RFC 7946 GeoJSON file (atomically: see ``sitefinder.files.write_atomic``); returns its path."""
    return write_atomic(path, dumps_geojson(feature_collection(frame, ndigits=ndigits, metadata=metadata, extra=extra)))


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV (atomically: see ``sitefinder.files.write_atomic``); returns its path."""
    return write_atomic(path, csv_text(frame))


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text: no index, ``\\n`` line ends (the same bytes on every platform)."""
    return frame.to_csv(index=False, lineterminator="\n")
