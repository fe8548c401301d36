"""GeoJSON geometries checked against RFC 7946 before anything reads them, so nothing is mended silently.

Shapely and GDAL quietly accept and "fix" geometries that break the standard: coordinates given as strings
("67.1") or booleans, type names in the wrong case ("point"), polygon rings that do not end where they began
or have too few positions (they are closed or padded), NaN or infinite coordinates. Here every such
geometry is refused with a message naming the feature, the problem and the fix, except one repair that
cannot change what the author meant: a polygon ring whose last position is not its first is closed, and a
note says which features were repaired.
"""

from __future__ import annotations

import math
from typing import Any

from sitefinder.errors import FileFormatError

TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection")
DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
MAX_NESTING = 4  # a GeometryCollection inside a GeometryCollection ... is refused beyond this


class _Refusal(Exception):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def _position(pos: Any, where: str) -> list[float]:
    if not isinstance(pos, list) or not 2 <= len(pos) <= 3:
        raise _Refusal(f"{where} is {_show(pos)}, not a position [longitude, latitude]",
                       "Write each position as two (or three) numbers: [67.1, 24.9].")
    for v in pos:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _Refusal(f"{where} holds {_show(v)}, not a number",
                           "Write coordinates as JSON numbers, not text or true/false: [67.1, 24.9], not [\"67.1\", \"24.9\"].")
        if not math.isfinite(v):
            raise _Refusal(f"{where} holds {_show(v)}", "Remove features with NaN or infinite coordinates.")
    return [float(v) for v in pos]


def _ring(ring: Any, where: str, repaired: list[str]) -> list[list[float]]:
    if not isinstance(ring, list):
        raise _Refusal(f"{where} is {_show(ring)}, not a list of positions", "A polygon ring is a list of positions.")
    positions = [_position(p, f"{where}, position {i + 1}") for i, p in enumerate(ring)]
    if positions and positions[0] != positions[-1]:
        positions.append(list(positions[0]))
        repaired.append(where)
    if len(positions) < 4:
        raise _Refusal(f"{where} has {len(ring)} position(s); a ring needs at least 4 with the last equal to the first",
                       "Give every polygon at least three corners and repeat the first at the end.")
    return positions


def _coords(kind: str, coords: Any, where: str, repaired: list[str]) -> Any:
    if kind == "Point":
        return _position(coords, f"{where} coordinates")
    if not isinstance(coords, list):
        raise _Refusal(f"{where} coordinates are {_show(coords)}, not a list", f"Write the coordinates of a {kind} as nested lists.")
    if kind in ("MultiPoint", "LineString"):
        out = [_position(p, f"{where} position {i + 1}") for i, p in enumerate(coords)]
        if kind == "LineString" and len(out) < 2:
            raise _Refusal(f"{where} has {len(out)} position(s); a LineString needs 2 or more", "Remove or complete that line.")
        return out
    if kind == "MultiLineString":
        return [_coords("LineString", line, f"{where} line {i + 1}", repaired) for i, line in enumerate(coords)]
    if kind == "Polygon":
        if not coords:
            raise _Refusal(f"{where} has no rings", "Give the polygon its outer ring, or remove the feature.")
        return [_ring(r, f"{where} ring {i + 1}", repaired) for i, r in enumerate(coords)]
    return [_coords("Polygon", poly, f"{where} polygon {i + 1}", repaired) for i, poly in enumerate(coords)]


def _geometry(geom: Any, where: str, repaired: list[str], depth: int = 0) -> Any:
    if geom is None:
        return None  # RFC 7946: an unlocated feature; the layer's schema check says what it needs
    if not isinstance(geom, dict):
        raise _Refusal(f"{where} geometry is {_show(geom)}, not an object", "Give each feature a GeoJSON geometry object or null.")
    kind = geom.get("type")
    if kind not in TYPES:
        proper = next((t for t in TYPES if isinstance(kind, str) and t.lower() == kind.lower()), None)
        fix = f"Write the type as '{proper}' (GeoJSON type names are case-sensitive)." if proper else \
            f"Use one of: {', '.join(TYPES)}."
        raise _Refusal(f"{where} geometry type {_show(kind)} is not a GeoJSON type", fix)
    if kind == "GeometryCollection":
        members = geom.get("geometries")
        if depth >= MAX_NESTING or not isinstance(members, list):
            raise _Refusal(f"{where} GeometryCollection has no list of geometries or is nested too deeply",
                           "Export plain geometries (one per feature).")
        return {"type": kind, "geometries": [_geometry(g, f"{where} member {i + 1}", repaired, depth + 1)
                                             for i, g in enumerate(members)]}
    if "coordinates" not in geom:
        raise _Refusal(f"{where} {kind} has no 'coordinates'", "Give the geometry its coordinates, or use null.")
    if geom["coordinates"] == []:
        return None  # RFC 7946 3.1: empty coordinates may be read as a null geometry; the schema check reports it
    return {"type": kind, "coordinates": _coords(kind, geom["coordinates"], f"{where} {kind}", repaired)}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_features(features: list[Any], name: str) -> tuple[list[Any], list[str]]:
    """The features with their geometries checked against RFC 7946, and the notes of what was repaired.

    Raises ``FileFormatError`` naming ``name``, the feature (1-based), what is wrong and the fix for the
    first geometry that breaks the standard in a way that cannot be repaired without guessing."""
    out = []
    repaired: list[str] = []
    for i, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise FileFormatError(f"{name}: item {i + 1} of 'features' is not a GeoJSON Feature "
                                  "({\"type\": \"Feature\", \"geometry\": ..., \"properties\": {...}}). Export the layer as GeoJSON.")
        try:
            geometry = _geometry(feature.get("geometry"), f"feature {i + 1}", repaired)
        except _Refusal as bad:
            raise FileFormatError(f"{name}: {bad.message}; it breaks RFC 7946 and is refused rather than guessed at. "
                                  f"{bad.fix}") from None
        out.append({**feature, "geometry": geometry})
    notes = []
    if repaired:
        features_hit = sorted({int(w.split()[1]) for w in repaired})
        shown = ", ".join(str(f) for f in features_hit[:8]) + (f" and {len(features_hit) - 8} more" if len(features_hit) > 8 else "")
        notes.append(f"closed {len(repaired)} polygon ring(s) whose last position was not the first (feature(s) {shown}); "
                     "RFC 7946 requires closed rings")
    return out, notes
