"""Layer kinds and their schemas: required columns, units, valid ranges and geometry types.

A schema is data; ``validate_layer`` checks a GeoDataFrame against it and reports every problem at
once in a single ``LayerError``. Layers are stored and used in WGS84 lon/lat (EPSG:4326).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.errors import LayerError, Problem
from sitefinder.model.ranges import HIGH, LOW, out_of_order
from sitefinder.model.vocabulary import HOURLY, MONTHLY, NODE_STATUSES, TMAX_COLUMNS, TMIN_COLUMNS

DType = Literal["str", "float", "bool", "category"]
POINT = ("Point",)
POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")


@dataclass(frozen=True)
class Column:
    """One attribute column of a layer."""

    name: str
    dtype: DType
    description: str
    unit: str = ""
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()
    unique: bool = False


@dataclass(frozen=True)
class LayerSchema:
    """What a layer of one kind must look like."""

    kind: str
    title: str
    description: str
    geometry: tuple[str, ...]
    columns: tuple[Column, ...]
    required_layer: bool = True
    id_column: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if the schema has none)."""
        return next(c for c in self.columns if c.name == name)


def _temps(prefix: str, label: str, months: tuple[str, ...]) -> tuple[Column, ...]:
    return tuple(
        Column(m, "float", f"{label}, month {m[-2:]}", unit="°C", min=-60, max=60) for m in months
    )


def _surplus_columns() -> tuple[Column, ...]:
    """The surplus columns that supply regions and network zones share (MW): winter and summer (required), their
    ranges, how they were obtained and the twelve months."""
    return (
        Column("surplus_winter_mw", "float", "Spare power in winter (Oct-Mar); negative = deficit", unit="MW",
               nullable=True, min=-100_000, max=100_000),
        Column("surplus_summer_mw", "float", "Spare power in summer (Apr-Sep); negative = deficit", unit="MW",
               nullable=True, min=-100_000, max=100_000),
        *(Column(f"surplus_{season}_mw_{end}", "float",
                 f"{'Low' if end == 'low' else 'High'} end of the {season} surplus estimate's range", unit="MW",
                 required=False, nullable=True, min=-100_000, max=100_000)
          for season in ("winter", "summer") for end in ("low", "high")),
        Column("surplus_basis", "str", "How the surplus figures were obtained", required=False, nullable=True),
        *(Column(col, "float", f"Spare power in month {col[-2:]}; negative = deficit", unit="MW",
                 required=False, nullable=True, min=-100_000, max=100_000) for col in MONTHLY),
    )


SCHEMAS: dict[str, LayerSchema] = {
    s.kind: s
    for s in (
        LayerSchema(
            "study_area", "Study area", "The area in which candidate sites are generated.", POLYGONAL,
            (Column("name", "str", "Name of the area"),),
        ),
        LayerSchema(
            "grid_nodes", "Grid nodes",
            "High-voltage substations and switchyards a facility could connect to.", POINT,
            (
                Column("node_id", "str", "Unique identifier", unique=True),
                Column("name", "str", "Station name"),
                Column("voltage_kv", "float", "Highest AC voltage at the node", unit="kV", nullable=True, min=1, max=1200),
                Column("status", "category", "Operating status", allowed=NODE_STATUSES),
                Column("headroom_mw", "float", "Spare capacity for a new load; blank = unknown", unit="MW", nullable=True,
                       min=0, max=100_000),
                Column("capacity_mva", "float", "Transformation capacity", unit="MVA", required=False, nullable=True, min=0, max=100_000),
                Column("headroom_mva", "float", "Spare capacity as apparent power (converted to MW with a stated power factor)",
                       unit="MVA", required=False, nullable=True, min=0, max=100_000),
                Column("location_precision", "str", "How exact the point is", required=False, nullable=True),
                Column("location_error_km", "float", "How far the point may be from the real station; blank = not stated",
                       unit="km", required=False, nullable=True, min=0, max=500),
                Column("source", "str", "Where the facts come from", required=False, nullable=True),
                Column("zone", "str", "The network zone the node belongs to (by its system and place): the zone "
                       "layer's id whose surplus a site connecting here draws on; blank = its supply region's",
                       required=False, nullable=True),
            ),
            id_column="node_id",
        ),
        LayerSchema(
            "supply_regions", "Supply regions",
            "Feeder areas or distribution-company territories with their surplus by season.", POLYGONAL,
            (
                Column("region_id", "str", "Unique identifier", unique=True),
                Column("name", "str", "Region name"),
                *_surplus_columns()[:2],
                Column("on_national_grid", "bool", "False where the region is not connected to the national grid"),
                *_surplus_columns()[2:],
                Column("tariff_pkr_per_kwh", "float", "Tariff offered to large new loads", unit="PKR/kWh", required=False,
                       nullable=True, min=0, max=1000),
                Column("zone", "str", "The network zone whose surplus the region shows (the zones layer's id)",
                       required=False, nullable=True),
            ),
            id_column="region_id",
        ),
        LayerSchema(
            "climate_stations", "Climate stations",
            "Monthly mean daily maximum and minimum temperatures at weather stations.", POINT,
            (
                Column("station_id", "str", "Unique identifier (WMO number where there is one)", unique=True),
                Column("name", "str", "Station name"),
                Column("elevation_m", "float", "Station elevation; blank = taken from the elevation map", unit="m",
                       required=False, nullable=True, min=-500, max=9000),
                *_temps("tmax", "Mean daily maximum", TMAX_COLUMNS),
                *_temps("tmin", "Mean daily minimum", TMIN_COLUMNS),
            ),
            id_column="station_id",
        ),
        LayerSchema(
            "exclusions", "Land exclusions",
            "Zones where a facility may not be built (protected areas, city cores, ...).", POLYGONAL,
            (
                Column("zone_id", "str", "Unique identifier", unique=True),
                Column("category", "str", "Kind of zone, e.g. protected_area"),
                Column("reason", "str", "Why a site here is excluded, in words a person can read"),
                Column("precision", "str", "How exact the outline is", required=False, nullable=True),
            ),
            id_column="zone_id",
        ),
        LayerSchema(
            "connectivity", "Connectivity",
            "Cable landings, internet exchanges and data centres.", POINT,
            (
                Column("name", "str", "Name"),
                Column("type", "str", "e.g. submarine_cable_landing_point, internet_exchange, data_centre"),
                Column("operational", "bool", "False for planned or proposed items: shown on the map, not scored; "
                       "blank = operating", required=False, nullable=True),
            ),
        ),
        LayerSchema(
            "cities", "Cities", "Towns and cities with their population.", POINT,
            (
                Column("name", "str", "Name"),
                Column("population", "float", "Population", unit="people", min=0, max=100_000_000),
            ),
        ),
        LayerSchema(
            "districts", "Districts", "Administrative districts (approximate outlines), with hazard flags.",
            POLYGONAL,
            (
                Column("district", "str", "District name"),
                Column("province", "str", "Province or territory"),
                Column("flood_2022", "bool", "Declared calamity-hit (or, where no official list exists, named by the "
                       "press as worst hit) in the 2022 floods"),
                Column("flood_2022_basis", "str", "Official list or press report behind the flood flag",
                       required=False, nullable=True),
            ),
            required_layer=False,
        ),
        LayerSchema(
            "zones", "Network zones",
            "The buses of a zonal network model, at a point that stands for each (EPSG:4326), with the deliverable "
            "surplus a new load there can be served from: by season (the least month; low-high range), by month "
            "(firm: the least over the hour types) and by month and hour type.", POINT,
            (
                Column("zone", "str", "Unique identifier of the zone (bus)", unique=True),
                Column("name", "str", "Zone name"),
                Column("system", "str", "The system it belongs to, e.g. national or k-electric", required=False,
                       nullable=True),
                Column("cost_unit", "str", "Unit of the cost columns where it is not PKR/kWh: a grid model's own "
                       "currency per kWh (its marginal_cost per MWh / 1000)", required=False, nullable=True),
                Column("overrides_regions", "bool", "True for the buses of a grid model the user brought: every site "
                       "whose grid node joined the bus draws on it, whatever its supply region", required=False,
                       nullable=True),
                *_surplus_columns(),
                *(Column(f"surplus_{season}_binding", "str", f"What limits the {season} surplus (its leanest case)",
                         required=False, nullable=True) for season in ("winter", "summer")),
                *(Column(f"surplus_{season}_cost_pkr_per_kwh{end}", "float",
                         f"Average generation cost of serving the {season} surplus (its leanest case)"
                         + {"": "", "_low": ": the least over the model's ends", "_high": ": the most over the model's ends"}[end],
                         unit="PKR/kWh", required=False, nullable=True, min=0, max=10_000)
                  for season in ("winter", "summer") for end in ("", "_low", "_high")),
                *(Column(col + end, "float", f"Deliverable surplus, {hour}, month {col[-2:]}"
                         + (f" ({end[1:]} end)" if end else ""), unit="MW", required=False, nullable=True,
                         min=-100_000, max=100_000)
                  for hour, cols in HOURLY.items() for col in cols for end in ("", "_low", "_high")),
            ),
            required_layer=False,
            id_column="zone",
        ),
        LayerSchema(
            "interfaces", "Network interfaces",
            "The transfer limits between the zones of the network model, each drawn as a line between its zones' "
            "points (a picture, not a route), with the largest flow the model sends over it. Shown on the map; "
            "the zones layer's surplus already allows for them.", LINEAR,
            (
                Column("interface", "str", "Unique identifier of the interface", unique=True),
                Column("name", "str", "Interface name"),
                Column("zone_from", "str", "The zone at the line's start (the zones layer's id)"),
                Column("zone_to", "str", "The zone at the line's end (the zones layer's id)"),
                Column("limit_mw", "float", "Most power the interface carries, either way", unit="MW", min=0,
                       max=100_000),
                *(Column(f"limit_mw_{end}", "float", f"{'Low' if end == 'low' else 'High'} end of the limit's range",
                         unit="MW", required=False, nullable=True, min=0, max=100_000) for end in ("low", "high")),
                Column("kind", "str", "How the limit is known, e.g. published or estimate", required=False,
                       nullable=True),
                Column("basis", "str", "How the limit and its range were obtained", required=False, nullable=True),
                Column("source", "str", "Where the limit comes from", required=False, nullable=True),
                Column("flow_max_forward_mw", "float", "Largest flow from zone_from to zone_to in the central model",
                       unit="MW", required=False, nullable=True, min=0, max=100_000),
                Column("flow_max_backward_mw", "float", "Largest flow from zone_to to zone_from in the central model",
                       unit="MW", required=False, nullable=True, min=0, max=100_000),
                Column("hours_at_limit_share", "float", "Share of the central model's cases (month x hour type) in "
                       "which the flow is at the limit", required=False, nullable=True, min=0, max=1),
            ),
            required_layer=False,
            id_column="interface",
        ),
    )
}


def _rows(index: pd.Index | np.ndarray, *, limit: int = 8) -> str:
    """Human row numbers (1-based) for a boolean mask's hits, shortened."""
    nums = [str(int(i) + 1) for i in index[:limit]]
    more = len(index) - limit
    return ", ".join(nums) + (f" and {more} more" if more > 0 else "")


def get_schema(kind: str) -> LayerSchema:
    """The schema of a layer kind, or a LayerError listing the kinds."""
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise LayerError(
            kind, [Problem("layer kind", f"'{kind}' is not a layer kind.", f"Use one of: {', '.join(SCHEMAS)}.")]
        ) from None


def _safe_float(value: object) -> float:
    """A number, +/-inf for one too large for a float (so the range check names it), NaN for text."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return float("inf") if str(value).strip()[:1] != "-" else float("-inf")
    except (TypeError, ValueError):
        return float("nan")


def _coerce(series: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray]:
    """Convert a column to its dtype; return the new series and the positions that failed."""
    blank = series.astype("string").str.strip().isin(["", "nan", "NaN", "null", "None"]).fillna(True).to_numpy()
    raw_missing = series.isna().to_numpy() | blank
    if col.dtype == "float":
        try:
            values = pd.to_numeric(series.where(~raw_missing), errors="coerce").astype(float)
        except (OverflowError, ValueError, TypeError):  # e.g. a 400-digit integer
            values = pd.Series([_safe_float(v) for v in series.where(~raw_missing)], index=series.index, dtype=float)
        bad = values.isna().to_numpy() & ~raw_missing
        return values, bad
    if col.dtype == "bool":
        text = series.astype("string").str.strip().str.lower()
        mapping = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "1.0": True, "0.0": False}
        values = text.map(mapping)
        bad = values.isna().to_numpy() & ~raw_missing
        return values.astype(object), bad
    values = series.astype("string").str.strip()
    values = values.where(~raw_missing, None).astype(object)
    return values, np.zeros(len(series), dtype=bool)


def validate_layer(frame: gpd.GeoDataFrame, kind: str, source: str) -> gpd.GeoDataFrame:
    """Check ``frame`` against the schema of ``kind``; return a clean copy in EPSG:4326.

    Every problem is collected and raised together as one ``LayerError`` naming ``source``, the column
    or rows, and the fix. Invalid polygons are repaired (``make_valid``, polygonal parts kept) and the
    repair is recorded in ``result.attrs["notes"]``.
    """
    schema = get_schema(kind)
    problems: list[Problem] = []
    notes: list[str] = list(frame.attrs.get("notes", []))  # what reading the file already repaired

    if len(frame) == 0:
        raise LayerError(source, [Problem(source, f"the {schema.title.lower()} layer has no features.",
                                          "Check that you chose the right file or layer.")])
    if frame.crs is None:
        problems.append(Problem(source, "the file has no coordinate reference system (CRS).",
                                "Save it with its CRS (for a shapefile, include the .prj), or as GeoJSON in WGS84."))
        gdf = frame.copy()
    else:
        gdf = frame.to_crs(4326) if not frame.crs.equals("EPSG:4326") else frame.copy()
        if not frame.crs.equals("EPSG:4326"):
            notes.append(f"reprojected from {frame.crs.to_string()} to EPSG:4326")
    gdf = gdf.reset_index(drop=True)

    # Attribute columns.
    lower = {c.lower(): c for c in gdf.columns if c != gdf.geometry.name}
    for col in schema.columns:
        actual = col.name if col.name in gdf.columns else lower.get(col.name.lower())
        if actual is None:
            if col.required:
                problems.append(Problem(f"column '{col.name}'", "is missing.",
                                        f"Add a column '{col.name}' ({col.description}{', ' + col.unit if col.unit else ''})."))
            else:
                gdf[col.name] = None if col.dtype != "float" else np.nan
            continue
        if actual != col.name:
            gdf = gdf.rename(columns={actual: col.name})
        values, bad = _coerce(gdf[col.name], col)
        if bad.any():
            problems.append(Problem(f"column '{col.name}', rows {_rows(np.flatnonzero(bad))}",
                                    f"expected {'a number' if col.dtype == 'float' else 'true/false'}, got "
                                    f"{', '.join(repr(v) for v in gdf[col.name][bad].head(3).tolist())}.",
                                    "Correct or blank those cells."))
        missing = pd.isna(values).to_numpy() & ~bad
        if missing.any() and not col.nullable:
            problems.append(Problem(f"column '{col.name}', rows {_rows(np.flatnonzero(missing))}",
                                    "is empty.", f"Fill in {col.description.lower()}."))
        if col.dtype == "float" and (col.min is not None or col.max is not None):
            v = values.to_numpy(dtype=float)
            out = np.zeros(len(v), dtype=bool)
            with np.errstate(invalid="ignore"):
                if col.min is not None:
                    out |= v < col.min
                if col.max is not None:
                    out |= v > col.max
            if out.any():
                problems.append(Problem(
                    f"column '{col.name}', rows {_rows(np.flatnonzero(out))}",
                    f"values {', '.join(f'{x:g}' for x in v[out][:3])} are outside {col.min:g}..{col.max:g} {col.unit}.".rstrip(),
                    "Check the units and the values."))
        if col.allowed:
            present = values.notna().to_numpy()
            wrong = present & ~values.isin(col.allowed).to_numpy()
            if wrong.any():
                problems.append(Problem(f"column '{col.name}', rows {_rows(np.flatnonzero(wrong))}",
                                        f"unknown value(s) {sorted(set(values[wrong]))[:5]}.",
                                        f"Use one of: {', '.join(col.allowed)}."))
        if col.unique:
            dup = values.duplicated(keep=False).to_numpy() & values.notna().to_numpy()
            if dup.any():
                problems.append(Problem(f"column '{col.name}', rows {_rows(np.flatnonzero(dup))}",
                                        f"duplicate ids {sorted(set(values[dup]))[:5]}.", "Give every feature its own id."))
        gdf[col.name] = values

    # Ranges: where a column and its _low/_high are all given, low <= value <= high.
    for col in schema.columns:
        if col.name.endswith((LOW, HIGH)) or col.dtype != "float":
            continue
        bad = out_of_order(gdf, col.name)
        if bad.any():
            problems.append(Problem(f"columns '{col.name}{LOW}', '{col.name}', '{col.name}{HIGH}', rows {_rows(np.flatnonzero(bad))}",
                                    "the range is out of order: the low end must not exceed the value, nor the value the high end.",
                                    "Check which column holds which end of the range."))

    # Geometry.
    geoms = gdf.geometry.array
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        problems.append(Problem(f"geometry, rows {_rows(np.flatnonzero(empty))}", "is empty or missing.",
                                "Remove those features or give them a location."))
    types = np.asarray(shapely.get_type_id(geoms))
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                      "MultiPolygon", "GeometryCollection"])
    gtype = np.where(types >= 0, names[np.clip(types, 0, 7)], "none")
    wrong = ~np.isin(gtype, schema.geometry) & ~empty
    if wrong.any():
        problems.append(Problem(f"geometry, rows {_rows(np.flatnonzero(wrong))}",
                                f"is {', '.join(sorted({str(t) for t in gtype[wrong]}))}, but {schema.title.lower()} must be "
                                f"{' or '.join(schema.geometry)}.",
                                "Export the layer with the right geometry type."))
    ok = ~empty & ~wrong
    if gdf.crs is not None and ok.any():
        coords = shapely.get_coordinates(geoms[ok])
        nonfinite = ~np.isfinite(coords).all()
        if nonfinite:
            problems.append(Problem("geometry", "has coordinates that are NaN or infinite.", "Fix or remove those features."))
        elif (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
            problems.append(Problem("geometry", "has coordinates outside longitude -180..180 / latitude -90..90.",
                                    "The CRS is probably wrong: set the CRS the coordinates were measured in."))
        else:
            bounds = shapely.bounds(geoms[ok])
            wide = np.flatnonzero(ok)[(bounds[:, 2] - bounds[:, 0]) > 180]
            if len(wide):
                problems.append(Problem(f"geometry, rows {_rows(wide)}",
                                        "spans more than 180° of longitude: it crosses the antimeridian (±180°) and "
                                        "would be drawn around the whole globe.",
                                        "Split it at ±180° (RFC 7946 section 3.1.9), or clip the layer to your study area."))
    if schema.geometry == POLYGONAL and ok.any():
        invalid = ok & ~shapely.is_valid(geoms)
        if invalid.any():
            fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
            fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
            gdf.loc[invalid, gdf.geometry.name] = fixed
            notes.append(f"repaired {int(invalid.sum())} invalid polygon(s) (rows {_rows(np.flatnonzero(invalid))})")

    if problems:
        raise LayerError(source, problems, summary=f"{source}: this {schema.title.lower()} layer has {len(problems)} problem(s)")
    gdf = gdf.set_crs(4326, allow_override=True)
    gdf.attrs["notes"] = notes
    gdf.attrs["source"] = source
    return gdf


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a geometry (repairs can return collections)."""
    if geom.geom_type in POLYGONAL:
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in POLYGONAL]
    return shapely.union_all(polys) if polys else shapely.Polygon()
