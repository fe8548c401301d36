"""Approximate district and supply-region outlines, and the seasonal surplus estimate per region.

Pakistan publishes no feeder-level surplus and no district polygons in the facts. District outlines are
approximated by Voronoi cells around district headquarters towns (computed in an equal-area projection,
clipped to the national outline); supply regions are those cells dissolved by electricity supplier.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import BuildError
from ..geodesy import local_equal_area_crs
from .facts import number, points

OFF_GRID_SUPPLIERS = {"GB-PD"}
REGION_SOURCES = (
    "facts/districts.csv (district -> supplier; HQ points from GeoNames) ; "
    "facts/power_plants.csv (Global Energy Monitor trackers) ; facts/cities.csv (census 2023/2017, GeoNames) ; "
    "facts/national_facts.md (winter demand: Ministry of Energy 2025; peak demand: NEPRA State of Industry 2024) ; "
    "build.toml (availability factors: assumptions)"
)
SEASONS = ("winter", "summer")


def build_districts(districts: pd.DataFrame, outline: gpd.GeoDataFrame, floods: pd.DataFrame) -> gpd.GeoDataFrame:
    """One approximate polygon per district (EPSG:4326), with supplier and 2022 flood flag."""
    pts = points(districts)
    area = shapely.union_all(outline.geometry.array)
    c = area.centroid
    crs = local_equal_area_crs(round(c.x, 1), round(c.y, 1))
    pts_m = pts.to_crs(crs)
    area_m = gpd.GeoSeries([area], crs=4326).to_crs(crs).iloc[0]
    coords = np.round(shapely.get_coordinates(pts_m.geometry.array), 1)
    uniq, first = np.unique(coords, axis=0, return_index=True)
    if len(uniq) != len(coords):
        raise BuildError("districts.csv: two districts share one HQ point; Voronoi cells need distinct points.")
    cells = shapely.voronoi_polygons(shapely.MultiPoint(coords), extend_to=area_m.envelope.buffer(100_000), ordered=True)
    polys = [shapely.intersection(cell, area_m) for cell in cells.geoms]
    named = set(floods["district"])
    unknown = named - set(districts["district"])
    if unknown:
        raise BuildError(f"flood_2022_districts.csv: districts not in districts.csv: {sorted(unknown)}")
    note = dict(zip(floods["district"], floods["what_the_source_says"]))
    src = dict(zip(floods["district"], floods["source_url"]))
    out = gpd.GeoDataFrame({
        "district": districts["district"].to_numpy(),
        "province": districts["province"].to_numpy(),
        "supplier": districts["supplier"].to_numpy(),
        "hq_town": districts["hq_town"].to_numpy(),
        "flood_2022": districts["district"].isin(named).to_numpy(),
        "flood_2022_note": [note.get(d) for d in districts["district"]],
        "flood_2022_source": [src.get(d) for d in districts["district"]],
        "supplier_basis": districts["supplier_basis"].to_numpy(),
        "boundary": "approximate: Voronoi cell around the district HQ town, clipped to the national outline",
        "source": districts["coord_source"].to_numpy(),
    }, geometry=polys, crs=crs)
    return out.to_crs(4326)


def build_supply_regions(
    districts_gdf: gpd.GeoDataFrame,
    discos: pd.DataFrame,
    plants: pd.DataFrame,
    cities: pd.DataFrame,
    config: dict,
) -> gpd.GeoDataFrame:
    """Supply regions (districts dissolved by supplier) with a seasonal surplus estimate in MW.

    surplus = sum(installed MW x seasonal availability of located plants) - national seasonal demand x
    the region's share of the population of large cities. Every term is listed in the output so the
    estimate can be checked; the parameters are in ``build.toml``.
    """
    regions = districts_gdf.dissolve(by="supplier", as_index=False, sort=True)[["supplier", "geometry"]]
    regions["geometry"] = shapely.make_valid(regions.geometry.array)

    pl = points(plants)
    pl["capacity_mw"] = number(plants, "capacity_mw")
    keep = pl["status"].isin(config["plant_statuses"])
    if config.get("exclude_terminated_ppa", True):
        keep &= ~plants["notes"].fillna("").str.contains("PPA terminated", case=False)
    pl = pl[keep]
    unknown_fuels = set(pl["fuel"]) - set(config["availability"]["winter"])
    if unknown_fuels:
        raise BuildError(f"build.toml: no availability factor for fuel(s) {sorted(unknown_fuels)}.")
    located = gpd.sjoin(pl, regions, predicate="within", how="left")

    ct = points(cities)
    ct["population"] = number(cities, "population")
    in_region = gpd.sjoin(ct, regions, predicate="within", how="left")
    pop = in_region.groupby("supplier")["population"].sum()
    on_grid = ~regions["supplier"].isin(OFF_GRID_SUPPLIERS)
    grid_pop = float(pop.reindex(regions.loc[on_grid, "supplier"]).fillna(0).sum())

    full = dict(zip(discos["short_name"], discos["full_name"]))
    full.update({"GB-PD": "Gilgit-Baltistan Water & Power Department", "AJK-ED": "AJK Electricity Department"})
    rows = []
    for supplier, grid in zip(regions["supplier"], on_grid):
        plants_here = located[located["supplier"] == supplier]
        share = float(pop.get(supplier, 0.0)) / grid_pop if grid else np.nan
        row: dict[str, object] = {
            "region_id": supplier.lower(),
            "name": supplier,
            "full_name": full.get(supplier, supplier),
            "on_national_grid": bool(grid),
            "installed_mw": float(plants_here["capacity_mw"].sum()),
            "plant_count": int(len(plants_here)),
            "city_population": float(pop.get(supplier, 0.0)),
            "demand_share": round(share, 6) if grid else np.nan,
        }
        for season in SEASONS:
            factors = plants_here["fuel"].map(config["availability"][season]).astype(float)
            gen = float((plants_here["capacity_mw"] * factors).sum())
            demand = share * float(config[f"{season}_demand_mw"]) if grid else np.nan
            row[f"generation_{season}_mw"] = round(gen, 1)
            row[f"demand_{season}_mw"] = round(demand, 1) if grid else np.nan
            row[f"surplus_{season}_mw"] = round(gen - demand, 1) if grid else np.nan
        row["surplus_basis"] = (
            "ESTIMATE: available generation of plants located in the region (installed MW x seasonal availability, "
            "build.toml) minus national seasonal demand x the region's share of large-city population"
            if grid else "not on the national grid: surplus not applicable"
        )
        row["boundary"] = "approximate: district Voronoi cells dissolved by supplier"
        row["source"] = REGION_SOURCES
        rows.append(row)
    table = pd.DataFrame(rows)
    return gpd.GeoDataFrame(table, geometry=regions.geometry.to_numpy(), crs=4326)
