"""Grid nodes: 500/220 kV stations from the fact table, plus switchyards of large power plants."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from sitefinder.build.facts import number, points
from sitefinder.errors import BuildError
from sitefinder.measure.geodesy import NearestFinder

_STATUS_RULES = (
    ("under construction", "under_construction"),
    ("planned", "planned"),
    ("decommission", "decommissioned"),
    ("operational", "operational"),
)


def normalise_status(text: str) -> str:
    """Map the fact table's free-text status to one of the schema's statuses."""
    low = (text or "").lower()
    for needle, status in _STATUS_RULES:
        if low.startswith(needle):
            return status
    return "planned"


def highest_ac_kv(text: str) -> float:
    """Highest AC voltage in a string like '765/500/220/132' or '+/-660 DC / 500 AC' (kV)."""
    plain = re.sub(r"\([^)]*\)", "", text or "")  # drop notes such as "(500 kV level not verified)"
    parts = [p for p in plain.split("/") if "DC" not in p.upper() or "AC" in p.upper()]
    values = [float(v) for p in parts for v in re.findall(r"(?<![\d.])(\d{2,4})(?![\d.])", p)]
    return max(values) if values else float("nan")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48]


def location_errors(stations: pd.DataFrame, config: dict) -> tuple[list[str], np.ndarray]:
    """How far each station's point may be from the real station (km), and a readable precision.

    A row's own ``location_error_km`` (stated with its source in the facts) wins; otherwise the error of
    its ``location_precision`` class in ``build.toml`` [grid.location_error_km]. An unknown class is an error.
    """
    classes = {k: float(v["value"] if isinstance(v, dict) else v) for k, v in config["location_error_km"].items()}
    own = number(stations, "location_error_km") if "location_error_km" in stations else pd.Series(np.nan, index=stations.index)
    errors, texts = [], []
    for name, klass, km in zip(stations["name"], stations["location_precision"], own):
        if not np.isfinite(km):
            if klass not in classes:
                raise BuildError(f"grid_stations.csv: '{name}' has location_precision '{klass}', which has no error in "
                                 f"build.toml [grid.location_error_km] (known: {', '.join(classes)}).")
            km = classes[klass]
        errors.append(float(km))
        texts.append(f"{klass} (up to {km:g} km off)")
    return texts, np.asarray(errors, dtype=float)


def build_grid_nodes(stations: pd.DataFrame, plants: pd.DataFrame, config: dict) -> gpd.GeoDataFrame:
    """Stations (all statuses, flagged) plus plant switchyards of ``plant_switchyard_min_mw`` and more.

    Headroom is not published for any station, so ``headroom_mw`` is left unknown (null), never zero.
    Each node says how far its point may be from the real place (``location_error_km``).
    """
    st = points(stations)
    precision, error_km = location_errors(stations, config)
    nodes = pd.DataFrame({
        "node_id": ["gs-" + _slug(n) for n in st["name"]],
        "name": st["name"],
        "kind": "grid_station",
        "voltage_kv": [highest_ac_kv(v) for v in st["voltage_kv"]],
        "voltages": st["voltage_kv"],
        "status": [normalise_status(s) for s in st["status"]],
        "status_detail": st["status"],
        "headroom_mw": np.nan,
        "capacity_mva": number(st, "transformation_capacity_mva"),
        "capacity_note": st["capacity_note"],
        "operator": st["operator"],
        "province": st["province"],
        "location_precision": precision,
        "location_error_km": error_km,
        "location_note": st["location_note"],
        "year_commissioned": st["year_commissioned"],
        "source": st["source_url"],
        "coord_source": st["coord_source"],
    })
    station_gdf = gpd.GeoDataFrame(nodes, geometry=st.geometry.array, crs=4326)

    # Plant switchyards: large plants with no listed station within merge distance.
    pl = points(plants)
    pl["capacity_mw"] = number(plants, "capacity_mw")
    big = pl[(pl["capacity_mw"] >= config["plant_switchyard_min_mw"]) & pl["status"].isin(["operating", "construction"])]
    finder = NearestFinder(station_gdf.geometry.x.to_numpy(), station_gdf.geometry.y.to_numpy())
    _, dist = finder.query(big.geometry.x.to_numpy(), big.geometry.y.to_numpy())
    big = big[dist > config["merge_distance_km"]].copy()
    # Plants that share a site (e.g. Bin Qasim I-III) share one switchyard.
    big["site"] = _cluster_sites(big, config["merge_distance_km"])
    rows = []
    plant_err = float(location_errors(pd.DataFrame({"name": ["plant"], "location_precision": ["plant_site"]}), config)[1][0])
    for _, group in big.sort_values(["site", "name"]).groupby("site", sort=True):
        first = group.iloc[0]
        names = "; ".join(group["name"])
        total = float(group["capacity_mw"].sum())
        status = "operational" if (group["status"] == "operating").any() else "under_construction"
        rows.append({
            "node_id": "ps-" + _slug(first["name"]),
            "name": f"{first['name']} switchyard",
            "kind": "plant_switchyard",
            "voltage_kv": np.nan,
            "voltages": None,
            "status": status,
            "status_detail": f"plant status: {', '.join(sorted(set(group['status'])))}",
            "headroom_mw": np.nan,
            "capacity_mva": np.nan,
            "capacity_note": f"plant(s) at this site: {names} ({total:,.0f} MW); switchyard voltage not in the facts",
            "operator": None,
            "plants": names,
            "province": first["province"],
            "location_precision": f"plant_site (up to {plant_err:g} km off)",
            "location_error_km": plant_err,
            "location_note": "plant coordinate (Global Energy Monitor); the switchyard is at or near the plant",
            "year_commissioned": None,
            "source": "; ".join(dict.fromkeys(group["source_url"])),
            "coord_source": "power_plants.csv",
            "geometry": first.geometry,
        })
    plant_gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326) if rows else None
    out = pd.concat([station_gdf, plant_gdf], ignore_index=True) if plant_gdf is not None else station_gdf
    out["node_id"] = _dedupe(out["node_id"].tolist())
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def _cluster_sites(plants: gpd.GeoDataFrame, within_km: float) -> list[int]:
    """Site number per plant: plants within ``within_km`` of a larger plant share its site."""
    order = np.lexsort((plants["name"].to_numpy(), -plants["capacity_mw"].to_numpy()))
    x, y = plants.geometry.x.to_numpy(), plants.geometry.y.to_numpy()
    site = np.full(len(plants), -1)
    heads: list[int] = []
    for i in order:
        if heads:
            finder = NearestFinder(x[heads], y[heads])
            j, d = finder.query(x[[i]], y[[i]])
            if d[0] <= within_km:
                site[i] = site[heads[j[0]]]
                continue
        site[i] = len(heads)
        heads.append(int(i))
    return site.tolist()


def _dedupe(ids: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        result.append(i if seen[i] == 1 else f"{i}-{seen[i]}")
    return result
