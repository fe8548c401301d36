"""The user's own layers: column mapping, accepted alternatives, and checks against the study area.

``prepare_layer`` turns a raw GeoDataFrame read from a user's file into a validated layer of a given
kind. It accepts what decision-makers actually hold and says what it did:

* columns named differently: a mapping {schema column: file column} (``suggest_mapping`` proposes one);
* supply regions with monthly surplus (``surplus_mw_01`` .. ``surplus_mw_12``) instead of seasonal figures:
  a season's surplus is the lowest month in it (winter Oct-Mar, summer Apr-Sep), the firm figure;
* grid nodes with headroom in MVA: MW = MVA x power factor (a stated assumption, 0.9 by default);
* missing ids are numbered, a missing exclusion reason is written from the file name.

Every problem (mapping, schema, study area) is reported together in one ``LayerError``.
All geometry is WGS84 lon/lat (EPSG:4326) after loading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.data.io import read_vector
from sitefinder.data.schema import SCHEMAS, get_schema, validate_layer
from sitefinder.errors import LayerError, Problem
from sitefinder.model.vocabulary import MONTHLY, SUMMER_MONTHS, WINTER_MONTHS

UPLOADABLE = ("grid_nodes", "supply_regions", "climate_stations", "exclusions", "connectivity", "cities", "districts")
DEFAULT_POWER_FACTOR = 0.9

# Other names people use for the schema's columns (compared lower-case, spaces and dashes as underscores).
ALIASES: dict[str, tuple[str, ...]] = {
    "node_id": ("id", "station_id", "substation_id", "gs_id", "code"),
    "name": ("station", "substation", "station_name", "site_name", "title", "label"),
    "voltage_kv": ("kv", "voltage", "max_kv", "voltage_level"),
    "status": ("state", "operational_status"),
    "headroom_mw": ("headroom", "spare_mw", "available_mw", "free_mw", "spare_capacity_mw"),
    "headroom_mva": ("spare_mva", "available_mva", "free_mva"),
    "capacity_mva": ("mva", "capacity", "transformer_mva", "rating_mva"),
    "region_id": ("id", "feeder_id", "feeder", "area_id", "code"),
    "surplus_winter_mw": ("winter_surplus_mw", "winter_mw", "surplus_winter", "winter_surplus"),
    "surplus_summer_mw": ("summer_surplus_mw", "summer_mw", "surplus_summer", "summer_surplus"),
    "on_national_grid": ("on_grid", "grid_connected", "connected"),
    "tariff_pkr_per_kwh": ("tariff", "tariff_pkr", "price_pkr_per_kwh"),
    "station_id": ("id", "wmo_id", "wmo", "code"),
    "zone_id": ("id", "code"),
    "category": ("type", "kind", "class"),
    "reason": ("description", "why", "note"),
    "type": ("kind", "category"),
    "population": ("pop", "inhabitants"),
}


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def suggest_mapping(columns: list[str], kind: str) -> dict[str, str | None]:
    """For each schema column of ``kind``, the file column that probably holds it (or None)."""
    schema = get_schema(kind)
    by_norm = {_norm(c): c for c in columns}
    out: dict[str, str | None] = {}
    taken: set[str] = set()
    for col in schema.columns:
        hit = by_norm.get(_norm(col.name))
        if hit is None:
            hit = next((by_norm[a] for a in ALIASES.get(col.name, ()) if a in by_norm and by_norm[a] not in taken), None)
        out[col.name] = hit
        if hit:
            taken.add(hit)
    return out


def _apply_mapping(frame: gpd.GeoDataFrame, mapping: Mapping[str, str | None], kind: str, source: str,
                   problems: list[Problem]) -> gpd.GeoDataFrame:
    schema = get_schema(kind)
    names = {c.name for c in schema.columns}
    renames: dict[str, str] = {}
    for target, src in mapping.items():
        if not src or src == target:
            continue
        if target not in names:
            problems.append(Problem(f"column mapping '{target}'", f"is not a column of the {schema.title.lower()} layer.",
                                    f"Map to one of: {', '.join(sorted(names))}."))
        elif src not in frame.columns:
            problems.append(Problem(f"column mapping '{target}' <- '{src}'", f"{source} has no column '{src}'.",
                                    f"Choose one of: {', '.join(c for c in frame.columns if c != frame.geometry.name)}."))
        else:
            renames[src] = target
    out = frame.drop(columns=[t for t in renames.values() if t in frame.columns and t not in renames])
    return out.rename(columns=renames)


def _numbered(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i + 1}" for i in range(n)]


def _fill(gdf: gpd.GeoDataFrame, column: str, value: object, notes: list[str] | None = None, note: str = "") -> None:
    """Give ``gdf`` a ``column`` it lacks (a constant or one value per row), saying so in ``notes``."""
    if column in gdf.columns:
        return
    gdf[column] = value
    if notes is not None and note:
        notes.append(note)


def _derive(frame: gpd.GeoDataFrame, kind: str, source: str, notes: list[str], power_factor: float) -> gpd.GeoDataFrame:
    """Fill schema columns from the accepted alternatives, saying what was done."""
    gdf = frame.copy()
    stem = Path(source).name
    if kind == "supply_regions":
        monthly = [c for c in MONTHLY if c in gdf.columns]
        if monthly and len(monthly) < 12:
            missing = [c for c in MONTHLY if c not in gdf.columns]
            raise LayerError(source, [Problem(source, f"has monthly surplus columns but not {', '.join(missing)}.",
                                              "Give all twelve months, surplus_mw_01 .. surplus_mw_12 (MW), or seasonal "
                                              "columns surplus_winter_mw and surplus_summer_mw.")])
        if len(monthly) == 12:
            values = gdf[list(MONTHLY)].apply(pd.to_numeric, errors="coerce")
            for season, months in (("winter", WINTER_MONTHS), ("summer", SUMMER_MONTHS)):
                col = f"surplus_{season}_mw"
                if col not in gdf.columns:
                    gdf[col] = values[[f"surplus_mw_{m:02d}" for m in months]].min(axis=1, skipna=False)
            notes.append("seasonal surplus taken from the monthly columns: the lowest month of each season "
                         "(winter Oct-Mar, summer Apr-Sep)")
            if "surplus_basis" not in gdf.columns:
                gdf["surplus_basis"] = f"monthly surplus from {stem}; season = its lowest month"
        _fill(gdf, "on_national_grid", True, notes, "no on_national_grid column: every region is taken to be on the national grid")
        _fill(gdf, "region_id", _numbered("region", len(gdf)), notes,
              "no region_id column: regions numbered region-1, region-2, ...")
        _fill(gdf, "name", gdf["region_id"].astype(str))
    elif kind == "grid_nodes":
        if "headroom_mva" in gdf.columns:
            mva = pd.to_numeric(gdf["headroom_mva"], errors="coerce")
            mw = pd.to_numeric(gdf["headroom_mw"], errors="coerce") if "headroom_mw" in gdf.columns else pd.Series(np.nan, index=gdf.index)
            fill = mw.isna() & mva.notna()
            if fill.any():
                gdf["headroom_mw"] = mw.where(~fill, mva * power_factor)
                notes.append(f"headroom_mw = headroom_mva x power factor {power_factor:g} for {int(fill.sum())} node(s) that "
                             "give only MVA (an assumption; change it with --power-factor if your loads differ)")
        _fill(gdf, "headroom_mw", np.nan, notes, "no headroom column: headroom is unknown for every node (not zero)")
        _fill(gdf, "node_id", _numbered("node", len(gdf)), notes, "no node_id column: nodes numbered node-1, node-2, ...")
        _fill(gdf, "status", "operational", notes, "no status column: every node is taken to be operational")
    elif kind == "exclusions":
        _fill(gdf, "zone_id", _numbered("zone", len(gdf)))
        _fill(gdf, "category", "user_exclusion")
        label = gdf["name"].astype(str) if "name" in gdf.columns else pd.Series([f"zone {i + 1}" for i in range(len(gdf))])
        _fill(gdf, "reason", [f"inside {n} (exclusion zone from {stem})" for n in label], notes,
              "no reason column: each zone's reason names the file")
    elif kind == "climate_stations":
        _fill(gdf, "station_id", _numbered("station", len(gdf)))
    if kind in ("supply_regions", "grid_nodes", "exclusions", "connectivity", "cities"):
        _fill(gdf, "source", stem)
    return gdf


def _study_area_problems(gdf: gpd.GeoDataFrame, study_area: gpd.GeoDataFrame, kind: str,
                         notes: list[str]) -> list[Problem]:
    """Swapped coordinates and features outside the study area."""
    area = shapely.union_all(study_area.to_crs(4326).geometry.array)
    geoms = np.asarray(gdf.geometry.array)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():  # NaN coordinates are the schema's problem to report; keep them out of the geometry tests
        with np.errstate(invalid="ignore"):
            ok[ok] = np.isfinite(shapely.bounds(geoms[ok])).all(axis=1)
    if not ok.any():
        return []
    reps = shapely.point_on_surface(geoms[ok])
    x, y = shapely.get_x(reps), shapely.get_y(reps)
    shapely.prepare(area)
    inside = shapely.intersects(area, geoms[ok])
    if inside.any():
        outside = np.flatnonzero(ok)[~inside]
        if len(outside):
            rows = ", ".join(str(i + 1) for i in outside[:8]) + (f" and {len(outside) - 8} more" if len(outside) > 8 else "")
            notes.append(f"{len(outside)} feature(s) lie outside the study area (rows {rows}); they are kept")
        return []
    swapped = shapely.contains_xy(area, y, x)
    if swapped.mean() > 0.5:
        return [Problem("geometry", f"no feature lies in the study area, but {int(swapped.sum())} would if longitude and "
                                    "latitude were swapped.",
                        "The coordinates look swapped: put longitude first (x = longitude, y = latitude), or fix the "
                        "column mapping of a CSV.")]
    b = area.bounds
    return [Problem("geometry", f"no feature lies in the study area (lon {b[0]:.1f}..{b[2]:.1f}, lat {b[1]:.1f}..{b[3]:.1f}); "
                                f"the file's features span lon {x.min():.2f}..{x.max():.2f}, lat {y.min():.2f}..{y.max():.2f}.",
                    "Check that this is the right file and that its CRS is declared correctly.")]


def prepare_layer(frame: gpd.GeoDataFrame, kind: str, *, source: str, mapping: Mapping[str, str | None] | None = None,
                  study_area: gpd.GeoDataFrame | None = None, power_factor: float = DEFAULT_POWER_FACTOR) -> gpd.GeoDataFrame:
    """A validated layer of ``kind`` from a user's raw frame; notes on what was done are in ``.attrs["notes"]``."""
    if kind not in UPLOADABLE:
        raise LayerError(source, [Problem("layer kind", f"'{kind}' cannot be replaced from a file.",
                                          f"Use one of: {', '.join(UPLOADABLE)}.")])
    problems: list[Problem] = []
    notes: list[str] = []
    # Obvious names (case, aliases) are matched automatically; an explicit mapping wins over them.
    merged = {**suggest_mapping([str(c) for c in frame.columns if c != frame.geometry.name], kind), **(mapping or {})}
    raw = _apply_mapping(frame, merged, kind, source, problems)
    try:
        derived = _derive(raw, kind, source, notes, power_factor)
    except LayerError as exc:
        problems.extend(exc.problems)
        derived = raw
    try:
        layer = validate_layer(derived, kind, source)
    except LayerError as exc:
        problems.extend(exc.problems)
        layer = None
    if study_area is not None:
        checked = layer if layer is not None else (derived.to_crs(4326) if derived.crs is not None else None)
        if checked is not None:
            try:
                problems.extend(_study_area_problems(checked, study_area, kind, notes))
            except shapely.errors.ShapelyError:  # geometry too broken to place; the schema problems say why
                pass
    if problems:
        unmatched = [c.name for c in get_schema(kind).columns if c.required and c.name not in raw.columns]
        file_cols = [str(c) for c in frame.columns if c != frame.geometry.name]
        hint = f" Columns in the file: {', '.join(file_cols)}." if unmatched and file_cols else ""
        raise LayerError(source, problems,
                         summary=f"{source}: this {SCHEMAS[kind].title.lower()} layer has {len(problems)} problem(s).{hint}")
    assert layer is not None
    layer.attrs["notes"] = list(layer.attrs.get("notes", [])) + notes
    return layer


def load_user_layer(path: str | Path, kind: str, *, mapping: Mapping[str, str | None] | None = None,
                    study_area: gpd.GeoDataFrame | None = None, power_factor: float = DEFAULT_POWER_FACTOR,
                    display_name: str | None = None) -> gpd.GeoDataFrame:
    """Read a user's file (format decided by content) and prepare it as a layer of ``kind``."""
    frame = read_vector(path)
    return prepare_layer(frame, kind, source=display_name or str(path), mapping=mapping, study_area=study_area,
                         power_factor=power_factor)


def combine_layers(existing: gpd.GeoDataFrame, added: gpd.GeoDataFrame, kind: str, source: str) -> gpd.GeoDataFrame:
    """``existing`` plus ``added`` (for "add to the layer"); ids of added features are prefixed if they clash."""
    schema = get_schema(kind)
    new = added.copy()
    if schema.id_column and schema.id_column in new:
        clash = new[schema.id_column].isin(set(existing[schema.id_column]))
        if clash.any():
            new.loc[clash, schema.id_column] = "user:" + new.loc[clash, schema.id_column].astype(str)
    if kind == "cities" and "large_city" in existing.columns:
        threshold = existing.loc[existing["large_city"].astype(bool), "population"].min() if existing["large_city"].any() else 1e6
        new["large_city"] = pd.to_numeric(new["population"], errors="coerce") >= threshold
    # The user's features come first: where polygons overlap, the first one containing a site wins.
    out = gpd.GeoDataFrame(pd.concat([new, existing], ignore_index=True), geometry="geometry", crs=4326)
    combined = validate_layer(out, kind, f"{kind} + {source}")
    combined.attrs["notes"] = list(added.attrs.get("notes", []))
    return combined
