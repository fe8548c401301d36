"""Approximate district and supply-region outlines, and the seasonal surplus estimate per region.

Pakistan publishes no feeder-level surplus and no district polygons in the facts. District outlines are
approximated by Voronoi cells around district headquarters towns (computed in an equal-area projection,
clipped to the national outline); supply regions are those cells dissolved by supply area: the
distribution company, or a part of it that is supplied apart from the national grid (``off_grid_areas.csv``).

The surplus of a region in a season is

    available generation of the operating plants located in the region (installed MW x availability)
    - national demand in that season x the region's share of national demand (published figures per company)

and every term carries a low and a high value (``estimate.py``), so the region's surplus does too.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sitefinder.build.estimate import Demand, Range, availability, demand_shares, national_demand
from sitefinder.build.facts import number, points
from sitefinder.errors import BuildError
from sitefinder.measure.geodesy import local_equal_area_crs

SEASONS = ("winter", "summer")
REGION_SOURCES = (
    "facts/districts.csv (district -> supplier; HQ points from GeoNames) ; facts/off_grid_areas.csv ; "
    "facts/power_plants.csv (Global Energy Monitor trackers) ; facts/demand_by_company.csv ; "
    "facts/national_facts.md ; build.toml (availability factors and demand ranges)"
)


def build_districts(districts: pd.DataFrame, outline: gpd.GeoDataFrame, floods: pd.DataFrame,
                    off_grid: pd.DataFrame) -> gpd.GeoDataFrame:
    """One approximate polygon per district (EPSG:4326), with supplier, supply region and the 2022 flood flag."""
    pts = points(districts)
    area = shapely.union_all(outline.geometry.array)
    c = area.centroid
    crs = local_equal_area_crs(round(c.x, 1), round(c.y, 1))
    pts_m = pts.to_crs(crs)
    area_m = gpd.GeoSeries([area], crs=4326).to_crs(crs).iloc[0]
    coords = np.round(shapely.get_coordinates(pts_m.geometry.array), 1)
    uniq = np.unique(coords, axis=0)
    if len(uniq) != len(coords):
        raise BuildError("districts.csv: two districts share one HQ point; Voronoi cells need distinct points.")
    cells = shapely.voronoi_polygons(shapely.MultiPoint(coords), extend_to=area_m.envelope.buffer(100_000), ordered=True)
    polys = [shapely.intersection(cell, area_m) for cell in cells.geoms]
    known = set(districts["district"])
    for table, frame in (("flood_2022_districts.csv", floods), ("off_grid_areas.csv", off_grid)):
        unknown = set(frame["district"]) - known
        if unknown:
            raise BuildError(f"{table}: districts not in districts.csv: {sorted(unknown)}")
    flood = floods.set_index("district")
    region_of = dict(zip(off_grid["district"], off_grid["supply_region"]))
    names = districts["district"]
    out = gpd.GeoDataFrame({
        "district": names.to_numpy(),
        "province": districts["province"].to_numpy(),
        "supplier": districts["supplier"].to_numpy(),
        "supply_region": [region_of.get(d, s) for d, s in zip(names, districts["supplier"])],
        "hq_town": districts["hq_town"].to_numpy(),
        "flood_2022": names.isin(flood.index).to_numpy(),
        "flood_2022_basis": [_flood_basis(flood.loc[d]) if d in flood.index else None for d in names],
        "flood_2022_note": [flood.loc[d, "what_the_source_says"] if d in flood.index else None for d in names],
        "flood_2022_source": [flood.loc[d, "source_url"] if d in flood.index else None for d in names],
        "supplier_basis": districts["supplier_basis"].to_numpy(),
        "boundary": "approximate: Voronoi cell around the district HQ town, clipped to the national outline",
        "source": districts["coord_source"].to_numpy(),
    }, geometry=polys, crs=crs)
    return out.to_crs(4326)


def _flood_basis(row: pd.Series) -> str:
    official = str(row.get("official", "")).strip().lower() == "yes"
    listed = str(row.get("listed_by") or "").strip()
    if listed.startswith(("official", "press")):
        return listed
    return f"{'official' if official else 'press'}: {listed}" if listed else ("official list" if official else "press report")


def assign_plants(plants: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, max_km: float) -> pd.DataFrame:
    """The supply region of every plant: the one containing it, else the nearest within ``max_km``.

    Returns one row per plant (same index) with ``region`` (None if none within reach), ``distance_km``
    (0 inside a region) and ``how``. Distances are measured in an equal-area projection centred on the
    country (metre-accurate at these distances).
    """
    inside = gpd.sjoin(plants[["geometry"]], regions[["supply_region", "geometry"]], predicate="within", how="left")
    inside = inside[~inside.index.duplicated(keep="first")]
    region = inside["supply_region"].reindex(plants.index)
    out = pd.DataFrame({"region": region, "distance_km": np.where(region.notna(), 0.0, np.nan),
                        "how": np.where(region.notna(), "inside the region", "")}, index=plants.index)
    lost = out.index[out["region"].isna()]
    if len(lost):
        c = shapely.union_all(regions.geometry.array).centroid
        crs = local_equal_area_crs(round(c.x, 1), round(c.y, 1))
        reg_m = regions.to_crs(crs)
        for i in lost:
            p = gpd.GeoSeries([plants.geometry.loc[i]], crs=4326).to_crs(crs).iloc[0]
            d = reg_m.geometry.distance(p) / 1000.0
            j = d.idxmin()
            if d[j] <= max_km:
                out.loc[i, ["region", "distance_km", "how"]] = [reg_m.loc[j, "supply_region"], round(float(d[j]), 2),
                                                                f"nearest region, {d[j]:.1f} km outside the outline"]
            else:
                out.loc[i, "distance_km"] = round(float(d[j]), 2)
    return out


def counted_plants(plants: pd.DataFrame, config: dict) -> tuple[pd.Series, pd.Series]:
    """Which plants count as generation: (central and low estimate, high estimate) masks.

    Central: the statuses in ``plant_statuses``, without plants whose power purchase agreement was
    terminated. High: those as well (they stand and could run under a new contract).
    """
    status = plants["status"].isin(config["plant_statuses"])
    terminated = plants["notes"].fillna("").str.contains("PPA terminated", case=False)
    if not config.get("exclude_terminated_ppa", True):
        return status, status
    return status & ~terminated, status


def build_supply_regions(
    districts_gdf: gpd.GeoDataFrame,
    discos: pd.DataFrame,
    plants: pd.DataFrame,
    demand_facts: pd.DataFrame,
    off_grid: pd.DataFrame,
    config: dict,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Supply regions (districts dissolved by supply region) with the seasonal surplus estimate and its range.

    Returns the regions (EPSG:4326) and the plant table with the region each plant was counted in.
    Raises ``BuildError`` naming any counted plant of ``plant_must_land_mw`` or more that lands in no region.
    """
    regions = districts_gdf.dissolve(by="supply_region", as_index=False, sort=True)[["supply_region", "geometry"]]
    regions["geometry"] = shapely.make_valid(regions.geometry.array)
    off = set(off_grid["supply_region"])
    regions["on_national_grid"] = ~regions["supply_region"].isin(off)

    pl = points(plants)
    pl["capacity_mw"] = number(plants, "capacity_mw")
    central, high_set = counted_plants(plants, config)
    counted = pl[high_set].copy()
    counted["in_central"] = central[high_set].to_numpy()
    unknown_fuels = set(counted["fuel"]) - set(config["availability"]["winter"])
    if unknown_fuels:
        raise BuildError(f"build.toml: no availability factor for fuel(s) {sorted(unknown_fuels)}.")
    where = assign_plants(counted, regions, float(config["plant_region_max_km"]))
    counted = counted.join(where)
    lost = counted[counted["region"].isna() & (counted["capacity_mw"] >= float(config["plant_must_land_mw"]))]
    if len(lost):
        names = "; ".join(f"{r['name']} ({r['capacity_mw']:,.0f} MW, {r['distance_km']:.1f} km from the nearest region)"
                          for _, r in lost.iterrows())
        raise BuildError(f"power_plants.csv: plant(s) of {config['plant_must_land_mw']:g} MW or more land in no supply "
                         f"region within {config['plant_region_max_km']:g} km: {names}. Correct the plant's "
                         "coordinates or raise plant_region_max_km in build.toml.")

    on_grid_regions = [r for r, g in zip(regions["supply_region"], regions["on_national_grid"]) if g]
    shares = demand_shares(demand_facts, on_grid_regions, float(config.get("demand_share_relative_range", 0.0)))
    demand = {s: national_demand(config, s) for s in SEASONS}
    avail = {s: availability(config, s) for s in SEASONS}

    full = dict(zip(discos["short_name"], discos["full_name"]))
    full.update({r: n for r, n in zip(off_grid["supply_region"], off_grid["region_name"])})
    basis_of = dict(zip(off_grid["supply_region"], off_grid["what_the_source_says"]))
    rows = []
    for region, grid in zip(regions["supply_region"], regions["on_national_grid"]):
        here = counted[counted["region"] == region]
        in_central = here[here["in_central"]]
        row: dict[str, object] = {
            "region_id": _slug(region),
            "name": region,
            "full_name": full.get(region, region),
            "on_national_grid": bool(grid),
            "installed_mw": float(in_central["capacity_mw"].sum()),
            "plant_count": int(len(in_central)),
            "plants": "; ".join(f"{n} ({c:,.0f} MW {f}{'' if h == 'inside the region' else ', ' + h})"
                                for n, c, f, h in zip(in_central["name"], in_central["capacity_mw"], in_central["fuel"],
                                                      in_central["how"])),
            "plants_high_only_mw": float(here.loc[~here["in_central"], "capacity_mw"].sum()),
        }
        share: Demand | None = shares.get(region) if grid else None
        if share is not None:
            row.update({"demand_share": round(share.share.value, 6), "demand_share_low": round(share.share.low, 6),
                        "demand_share_high": round(share.share.high, 6), "demand_basis": share.basis,
                        "demand_source": share.source})
        else:
            row.update({"demand_share": np.nan, "demand_share_low": np.nan, "demand_share_high": np.nan,
                        "demand_basis": None, "demand_source": None})
        for season in SEASONS:
            factors = {end: here["fuel"].map({f: getattr(a, end) for f, a in avail[season].items()}).astype(float)
                       for end in ("low", "value", "high")}
            gen = Range(
                low=float((in_central["capacity_mw"] * factors["low"][here["in_central"]]).sum()),
                value=float((in_central["capacity_mw"] * factors["value"][here["in_central"]]).sum()),
                high=float((here["capacity_mw"] * factors["high"]).sum()),
            )
            if share is None:  # off the national grid: neither its generation nor its demand is counted
                for name in (f"generation_{season}_mw", f"demand_{season}_mw", f"surplus_{season}_mw"):
                    _put(row, name, None)
                continue
            _put(row, f"generation_{season}_mw", gen)
            d = demand[season]
            dem = Range(low=d.low * share.share.low, value=d.value * share.share.value, high=d.high * share.share.high)
            _put(row, f"demand_{season}_mw", dem)
            _put(row, f"surplus_{season}_mw", Range(low=gen.low - dem.high, value=gen.value - dem.value, high=gen.high - dem.low))
        row["surplus_basis"] = (
            "ESTIMATE: available generation of the plants located in the region (installed MW x seasonal availability "
            "by fuel, build.toml) minus national demand in the season x the region's share of national demand "
            f"({share.basis}); low/high from the ranges of availability, national demand, demand share and the plants counted"
            if share is not None else f"not on the national grid: surplus not applicable ({basis_of.get(region, '')})".rstrip(" ()")
        )
        row["boundary"] = "approximate: district Voronoi cells dissolved by supply region"
        row["source"] = REGION_SOURCES
        rows.append(row)
    table = pd.DataFrame(rows)
    plant_table = counted[["name", "fuel", "capacity_mw", "status", "in_central", "region", "distance_km", "how"]]
    return gpd.GeoDataFrame(table, geometry=regions.geometry.to_numpy(), crs=4326), plant_table


def _put(row: dict[str, object], name: str, r: Range | None) -> None:
    """``name``, ``name_low`` and ``name_high`` (MW, one decimal) into ``row``; blank when ``r`` is None."""
    for key, v in ((name, None if r is None else r.value), (f"{name}_low", None if r is None else r.low),
                   (f"{name}_high", None if r is None else r.high)):
        row[key] = np.nan if v is None else round(float(v), 1)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
