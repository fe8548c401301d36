"""Pakistan's power system as a zonal model (``sitefinder.network.system.PowerSystem``), from the fact tables.

Zones, interfaces and the buyer of each plant: ``facts/network/``. Plants: ``facts/power_plants.csv`` (a plant's
zone is its buyer's system and its place). Availability by fuel and season, demand shape and the assumptions for
corridors with no published limit: ``build.toml`` [surplus] and [network]. Monthly demand: the national grid's
monthly generation (``facts/national_monthly_generation.csv``). Each input has a low, central and high value; the
*low* system is the one with least surplus (least available, most demanded, tightest limits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sitefinder.build.estimate import Range, _range, availability, demand_shares
from sitefinder.build.facts import number, read_table
from sitefinder.errors import BuildError
from sitefinder.model.vocabulary import WINTER_MONTHS
from sitefinder.network.system import ENDS, HOURS_PER_DAY, PowerSystem, case_index

NETWORK_FACTS = "network"
FUEL_CLASS = {"RLNG": "RLNG", "gas": "local gas", "furnace oil": "RFO", "nuclear": "nuclear", "hydro": "hydro",
              "wind": "wind", "solar": "solar"}  # coal: local or imported coal, by name (build.toml)
NO_FUEL_COST = {"hydro", "wind", "solar"}
PICK = {"low": "low", "central": "value", "high": "high"}  # which end of an input's range each system takes
FLIP = {"low": "high", "central": "value", "high": "low"}  # for inputs where more means less surplus
TAKE_OR_PAY_FLIP = False  # the low (dearest) system takes the least must-take RLNG (see take_or_pay_floor)


def _pick(r: Range, end: str, flip: bool = False) -> float:
    return float(getattr(r, (FLIP if flip else PICK)[end]))


@dataclass(frozen=True)
class Zoning:
    """Which zone each supply region and district belongs to, and each zone's description."""

    zones: pd.DataFrame          # index zone; name, system, why
    by_region: dict[str, str]
    by_district: dict[str, str]

    def of_place(self, district: str | None, region: str | None) -> str | None:
        """The zone of a place, by its district (a zone made of districts, like Thar) or its supply region."""
        if district and district in self.by_district:
            return self.by_district[district]
        return self.by_region.get(region or "")


def read_zoning(facts_dir: Path) -> Zoning:
    """``facts/network/zones.csv`` as a Zoning."""
    z = read_table(facts_dir / NETWORK_FACTS, "zones.csv").set_index("zone")
    by_region = {r.strip(): zone for zone, rs in z["supply_regions"].dropna().items() for r in rs.split(";")}
    by_district = {d.strip(): zone for zone, ds in z["districts"].dropna().items() for d in ds.split(";")}
    return Zoning(z[["name", "system", "why"]], by_region, by_district)


def fuel_costs(facts_dir: Path) -> dict[str, Range]:
    """Fuel cost by fuel class (PKR/kWh): the median of CPPA-G's monthly figures for FY2024-25, and their range."""
    ev = read_table(facts_dir / NETWORK_FACTS, "fuel_cost_evidence.csv")
    ev = ev[ev["topic"].str.startswith("FCA fuel cost by fuel") & ev["period"].between("2024-07", "2025-06")]
    value = pd.to_numeric(ev["value"], errors="coerce")
    cls = ev["item"].str.lower().map(_fuel_class_of_item)
    out: dict[str, Range] = {}
    for c, v in value.groupby(cls):
        v = v.dropna()
        if len(v):
            out[str(c)] = Range(float(v.min()), float(v.median()), float(v.max()))
    for c in NO_FUEL_COST:
        out[c] = Range(0.0, 0.0, 0.0)
    return out


def _fuel_class_of_item(item: str) -> str:
    if "imported coal" in item:
        return "imported coal"
    if "coal" in item:
        return "local coal"
    if "rlng" in item:
        return "RLNG"
    if "gas" in item:
        return "local gas"
    if "rfo" in item or "furnace" in item:
        return "RFO"
    return item.split(" (")[0].strip()


def plant_zones(plants: pd.DataFrame, districts: pd.DataFrame, zoning: Zoning, facts_dir: Path) -> pd.DataFrame:
    """Each plant's buyer (``contract``: national or k-electric), zone and how the zone was found.

    The buyer: ``plant_contracts.csv``, else the national single buyer (CPPA-G). The zone: K-Electric's plants sit
    in K-Electric's zone; a national plant sits in the zone of the district it stands in (the district whose
    headquarters is nearest, as the district outlines are drawn), and a national plant in K-Electric's area
    belongs to the national south.
    """
    contracts = read_table(facts_dir / NETWORK_FACTS, "plant_contracts.csv").set_index("plant")
    unknown = sorted(set(contracts.index) - set(plants["name"]))
    if unknown:
        raise BuildError(f"plant_contracts.csv: plants not in power_plants.csv: {unknown}")
    hq = districts.set_index("district")
    lon, lat = number(plants, "longitude").to_numpy(), number(plants, "latitude").to_numpy()
    hx, hy = hq["hq_lon"].to_numpy(float), hq["hq_lat"].to_numpy(float)
    nearest = np.argmin((lon[:, None] - hx[None, :]) ** 2 + (lat[:, None] - hy[None, :]) ** 2, axis=1)
    rows = []
    for i, (_, p) in enumerate(plants.iterrows()):
        contract = contracts["contract"].get(p["name"], "national")
        district = str(hq.index[nearest[i]])
        zone = zoning.of_place(district, hq["supply_region"].iloc[nearest[i]])
        how = f"stands in {district} district"
        if contract == "k-electric":
            zone, how = "ke", "sells to K-Electric"
        elif zone == "ke":
            zone, how = "south", f"a national plant in K-Electric's area ({district}): the national south"
        rows.append({"contract": contract, "zone": zone, "zone_basis": how})
    return pd.DataFrame(rows, index=plants.index)


def _monthly_average_mw(facts_dir: Path) -> dict[str, np.ndarray]:
    """National-grid average load by month (MW): central (FY2024-25) and the lower and higher of two years."""
    g = read_table(facts_dir, "national_monthly_generation.csv")
    g = g[g["month"].str.fullmatch(r"\d{4}-\d{2}")].drop_duplicates(["fiscal_year", "month"], keep="first")
    g = g.assign(gwh=number(g, "gwh"), m=g["month"].str[5:].astype(int), y=g["month"].str[:4].astype(int))
    hours = g.apply(lambda r: pd.Period(f"{r['y']}-{r['m']:02d}").days_in_month * 24, axis=1)
    g = g.assign(mw=g["gwh"] * 1000.0 / hours)
    by = g.pivot_table(index="m", columns="fiscal_year", values="mw", aggfunc="first").reindex(range(1, 13))
    if by.isna().any().any():
        raise BuildError("national_monthly_generation.csv: a month of FY2023-24 or FY2024-25 is missing.")
    return {"central": by["FY2024-25"].to_numpy(), "min": by.min(axis=1).to_numpy(), "max": by.max(axis=1).to_numpy()}


def _hour_factors(cfg: dict, end: str) -> dict[tuple[str, str], float]:
    """(season, hour type) -> demand over the month's average; the low system takes the peakiest evening."""
    out = {}
    for season in ("winter", "summer"):
        t = cfg["hour_factors"][season]
        e = _pick(_range(t["evening"], f"[network.hour_factors.{season}] evening")[0], end, flip=True)
        m = _pick(_range(t["midday"], f"[network.hour_factors.{season}] midday")[0], end, flip=True)
        night = (24 - HOURS_PER_DAY["evening"] * e - HOURS_PER_DAY["midday"] * m) / HOURS_PER_DAY["night"]
        out.update({(season, "evening"): e, (season, "midday"): m, (season, "night"): night})
    return out


def _season(month: int) -> str:
    return "winter" if month in WINTER_MONTHS else "summer"


def circuits_between(zoning: Zoning, districts: pd.DataFrame, lines: gpd.GeoDataFrame,
                     vertices: gpd.GeoDataFrame) -> pd.DataFrame:
    """500 kV and 220 kV circuits between each pair of zones in the 2017 OpenStreetMap graph (an edge's circuits:
    its cables / 3 per voltage, or one where cables are not tagged). Columns: zone_a, zone_b (sorted), kv, circuits."""
    hq = districts.set_index("district")
    hx, hy = hq["hq_lon"].to_numpy(float), hq["hq_lat"].to_numpy(float)
    vx, vy = vertices.geometry.x.to_numpy(), vertices.geometry.y.to_numpy()
    near = np.argmin((vx[:, None] - hx[None, :]) ** 2 + (vy[:, None] - hy[None, :]) ** 2, axis=1)
    zone_of = {str(v): zoning.of_place(str(hq.index[j]), str(hq["supply_region"].iloc[j]))
               for v, j in zip(vertices["v_id"], near)}
    rows = []
    for _, e in lines.iterrows():
        a, b = zone_of.get(str(e["v_id_1"])), zone_of.get(str(e["v_id_2"]))
        if not a or not b or a == b:
            continue
        volts = [v for v in str(e["voltage"] or "").split(";") if v]
        cables = [c for c in str(e["cables"] or "").split(";")]
        for k, v in enumerate(volts):
            kv = int(v) // 1000
            if kv not in (220, 500):
                continue
            c = cables[k] if k < len(cables) and re.fullmatch(r"\d+", cables[k] or "") else ""
            rows.append({"zone_a": min(a, b), "zone_b": max(a, b), "kv": kv, "circuits": max(1, int(c) // 3) if c else 1})
    out = pd.DataFrame(rows, columns=["zone_a", "zone_b", "kv", "circuits"])
    return out.groupby(["zone_a", "zone_b", "kv"], as_index=False)["circuits"].sum()


def interfaces(facts_dir: Path, cfg: dict, circuits: pd.DataFrame) -> pd.DataFrame:
    """Every interface with low/value/high MW and its basis: published where found, else from the 2017 graph's
    circuits x the assumed MW per circuit (``build.toml`` [network] circuit_mw_*)."""
    t = read_table(facts_dir / NETWORK_FACTS, "interfaces.csv").set_index("interface")
    per = {500: _range(cfg["circuit_mw_500"], "[network] circuit_mw_500")[0],
           220: _range(cfg["circuit_mw_220"], "[network] circuit_mw_220")[0]}
    out = []
    for name, r in t.iterrows():
        if r["kind"] != "not found":
            out.append({"interface": name, "name": r["name"], "bus0": r["bus0"], "bus1": r["bus1"],
                        "low_mw": float(r["low_mw"]), "value_mw": float(r["value_mw"]), "high_mw": float(r["high_mw"]),
                        "kind": r["kind"], "basis": r["basis"], "source": r["source_url"]})
            continue
        a, b = sorted((r["bus0"], r["bus1"]))
        c = circuits[(circuits["zone_a"] == a) & (circuits["zone_b"] == b)]
        if c.empty:
            raise BuildError(f"interfaces.csv {name}: no published limit and no circuit between {a} and {b} in the "
                             "2017 graph to estimate one from.")
        counts = {int(kv): int(n) for kv, n in zip(c["kv"], c["circuits"])}
        mw = {end: sum(n * float(getattr(per[kv], end)) for kv, n in counts.items()) for end in ("low", "value", "high")}
        words = " + ".join(f"{n} x {kv} kV" for kv, n in sorted(counts.items(), reverse=True))
        out.append({"interface": name, "name": r["name"], "bus0": r["bus0"], "bus1": r["bus1"],
                    "low_mw": mw["low"], "value_mw": mw["value"], "high_mw": mw["high"], "kind": "estimate",
                    "basis": f"ESTIMATE: {words} circuits in the 2017 OpenStreetMap graph x the assumed MW per circuit "
                             f"(build.toml); {r['basis']}",
                    "source": "ctsp2017_pakistan (ComplexNetTSP/Power_grids, (c) OpenStreetMap contributors, ODbL)"})
    return pd.DataFrame(out).set_index("interface")


def power_system(end: str, *, facts_dir: Path, cfg: dict, plants: pd.DataFrame, zones_of_plants: pd.DataFrame,
                 zoning: Zoning, links: pd.DataFrame, costs: dict[str, Range], shares: dict[str, float],
                 centroids: pd.DataFrame) -> PowerSystem:
    """The system at one end (``low``: least surplus, ``central``, ``high``: most surplus)."""
    net, sur = cfg["network"], cfg["surplus"]
    cases = case_index()
    zones = zoning.zones
    buses = pd.DataFrame({"name": zones["name"], "system": zones["system"],
                          "x": centroids["x"].reindex(zones.index), "y": centroids["y"].reindex(zones.index)})
    link_frame = pd.DataFrame({"bus0": links["bus0"], "bus1": links["bus1"], "name": links["name"],
                               "source": links["source"],
                               "p_nom": links[{"low": "low_mw", "central": "value_mw", "high": "high_mw"}[end]]})
    operating = plants["status"].isin(sur["plant_statuses"])
    terminated = plants["notes"].fillna("").str.contains("PPA terminated", case=False)
    keep = operating & (~terminated if end != "high" else True) & zones_of_plants["zone"].notna()
    p, z = plants[keep], zones_of_plants[keep]
    local = tuple(net["local_coal_words"])
    fuel = [("local coal" if any(w in n for w in local) else "imported coal") if f == "coal" else FUEL_CLASS.get(f, f)
            for n, f in zip(p["name"], p["fuel"])]
    missing = sorted({f for f in fuel if f not in costs})
    if missing:
        raise BuildError(f"fuel_cost_evidence.csv: no FY2024-25 cost for {missing}")
    must = [f in net["must_run_fuels"] or (f == "hydro" and n not in net["storage_hydro"]) for n, f in zip(p["name"], fuel)]
    ids = [re.sub(r"[^a-z0-9]+", "-", n.lower()).strip("-") for n in p["name"]]
    gens = pd.DataFrame({"bus": z["zone"].to_numpy(), "fuel": fuel, "contract": z["contract"].to_numpy(),
                         "p_nom": number(p, "capacity_mw").to_numpy(), "marginal_cost": [costs[f].value for f in fuel],
                         "must_run": must, "min_pu": take_or_pay_floor(p["name"], net, end, plants),
                         "name": p["name"].to_numpy()}, index=ids)
    avail = {s: availability(sur, s) for s in ("winter", "summer")}
    col = {}
    for gid, tracker_fuel in zip(gens.index, p["fuel"]):
        vals = []
        for month, hour in cases:
            a = _pick(avail[_season(month)][tracker_fuel], end)
            if tracker_fuel == "solar":  # the day's output in the 6 midday hours, none in the evening or at night
                a = min(1.0, a * 24 / HOURS_PER_DAY["midday"]) if hour == "midday" else 0.0
            vals.append(a)
        col[gid] = vals
    availability_frame = pd.DataFrame(col, index=cases)
    monthly = _monthly_average_mw(facts_dir)
    national_avg = {"low": monthly["max"], "central": monthly["central"], "high": monthly["min"]}[end]
    ke_share = _pick(_range(net["ke_share_of_national_energy"], "[network] ke_share_of_national_energy")[0], end)
    ke_energy = _pick(_range(net["ke_energy_gwh"], "[network] ke_energy_gwh")[0], end, flip=True)
    shape = monthly["central"] / monthly["central"].mean()
    ke_avg = ke_energy * 1000.0 / 8760.0 * shape
    factors = _hour_factors(net, end)
    demand = pd.DataFrame(0.0, index=cases, columns=zones.index)
    for (month, hour) in cases:
        f = factors[(_season(month), hour)]
        for zone in zones.index:
            if zone == "ke":
                demand.loc[(month, hour), zone] = ke_avg[month - 1] * f
            else:
                demand.loc[(month, hour), zone] = national_avg[month - 1] * (1 - ke_share) * shares.get(zone, 0.0) * f
    cap = _pick(_range(net["transfer_capability"], "[network] transfer_capability")[0], end)
    return PowerSystem(buses, link_frame, gens.drop(columns="name"), availability_frame, demand,
                       pd.Series(cap, index=cases), notes=[f"end: {end}"])


def take_or_pay_floor(names: pd.Series, net: dict, end: str, plants: pd.DataFrame) -> np.ndarray:
    """Each plant's take-or-pay floor (0-1 of its capacity): ``build.toml`` [network] rlng_take_or_pay for the
    plants it names, 0 for the others.

    Why a floor: Pakistan buys LNG under long-term take-or-pay contracts (Qatar's from 2016, for 15 years), and the
    government's RLNG plants' gas supply and power purchase agreements pass that on as a minimum off-take (66 % of
    capacity at first, 33 % since the ECC's decision of 11 Jan 2023; ``facts/network/gas_evidence.csv``). The gas is
    paid for whether it is burned or not, so the system runs these plants even when cheaper ones stand idle: a pure
    merit order, which would leave RLNG (the dearest fuel but furnace oil) off all winter, misses it.

    What it does to the surplus: the floor does not add generation, it moves it. The cheaper plants it displaces
    (local coal and gas, imported coal) stand idle instead, so a new load is served from them, and its cost is
    theirs, not RLNG's (the RLNG burned at the floor is paid for with or without the new load). Where the floor
    cannot be absorbed (low demand, a full interface) its output is spilled, and a new load there takes it for no
    fuel at all, as it does spilled must-run output. And since the RLNG plants stand near Lahore, running them
    lightens the flows north over the HVDC and the 500 kV lines, leaving room for idle plants in the south.
    So must-take RLNG is not surplus in itself (it already serves today's load); it makes surplus of the cheaper
    plants it idles. In Pakistan's model it leaves every zone's surplus (MW) as it was and lowers what serving it
    costs; the low system, the dearer one, takes the least floor (``TAKE_OR_PAY_FLIP``)."""
    r, _ = _range(net["rlng_take_or_pay"], "[network] rlng_take_or_pay")
    if not 0.0 <= r.low <= r.value <= r.high <= 1.0:
        raise BuildError("build.toml [network] rlng_take_or_pay: the floor is a share of capacity, 0..1, low <= value <= high.")
    named = list(net["rlng_take_or_pay_plants"])
    unknown = sorted(set(named) - set(plants["name"]))
    if unknown:
        raise BuildError(f"build.toml [network] rlng_take_or_pay_plants: not in power_plants.csv: {unknown}")
    share = _pick(r, end, flip=TAKE_OR_PAY_FLIP)
    return np.where(names.isin(named).to_numpy(), share, 0.0)


def zone_shares(facts_dir: Path, zoning: Zoning, end: str, relative: float) -> dict[str, float]:
    """Each national zone's share of the distribution companies' demand (0..1), summed from the companies'
    shares (``demand_by_company.csv``); the low system takes each zone's high share (then renormalised)."""
    facts = read_table(facts_dir, "demand_by_company.csv")
    regions = [r for r in zoning.by_region if zoning.by_region[r] != "ke"]
    shares = demand_shares(facts, regions, relative)
    raw: dict[str, float] = {}
    for r, d in shares.items():
        zone = zoning.by_region[r]
        raw[zone] = raw.get(zone, 0.0) + _pick(d.share, end, flip=True)
    total = sum(raw.values())
    return {z: v / total for z, v in raw.items()}


def node_zones(nodes: pd.DataFrame, districts: pd.DataFrame, zoning: Zoning, facts_dir: Path) -> pd.DataFrame:
    """Each grid node's system (``national`` or ``k-electric``), zone and how the zone was found.

    The system: a station K-Electric runs is K-Electric's; NTDC's stations and its interconnections with K-Electric
    (NKI, Dhabeji) are the national grid's, so a load there is served by the national grid; a plant's switchyard
    belongs to its plants' buyer (``plant_contracts.csv``, else CPPA-G; where plants of both buyers share a site, the
    buyer of more of them). The place: the district whose headquarters
    is nearest, as for plants. A national node in K-Electric's area belongs to the national south.
    """
    contracts = read_table(facts_dir / NETWORK_FACTS, "plant_contracts.csv").set_index("plant")["contract"]
    hq = districts.set_index("district")
    lon, lat = nodes.geometry.x.to_numpy(float), nodes.geometry.y.to_numpy(float)
    hx, hy = hq["hq_lon"].to_numpy(float), hq["hq_lat"].to_numpy(float)
    nearest = np.argmin((lon[:, None] - hx[None, :]) ** 2 + (lat[:, None] - hy[None, :]) ** 2, axis=1)
    rows = []
    for i, (_, n) in enumerate(nodes.iterrows()):
        operator = str(n.get("operator") or "")
        if n.get("kind") == "plant_switchyard":
            buyers = pd.Series([contracts.get(p.strip(), "national") for p in str(n.get("plants") or "").split(";")
                                if p.strip()], dtype=object).value_counts()
            system = str(buyers.index[0]) if len(buyers) else "national"
            why = "its plants sell to K-Electric" if system == "k-electric" else "its plants sell to the national grid"
            if len(buyers) > 1:
                why = (f"a site shared by {buyers.get('k-electric', 0)} K-Electric and {buyers.get('national', 0)} "
                       f"national-grid plant(s); counted with the more numerous ({system})")
        else:
            system = "k-electric" if "K-Electric" in operator and "NTDC" not in operator else "national"
            why = f"run by {operator or 'NTDC (no operator stated)'}"
        district = str(hq.index[nearest[i]])
        zone = zoning.of_place(district, hq["supply_region"].iloc[nearest[i]])
        if system == "k-electric":
            zone = "ke"
        elif zone == "ke":
            zone, why = "south", f"{why}: a national-grid node in K-Electric's area is in the national south"
        rows.append({"system": system, "zone": zone, "zone_basis": f"{why}; stands in {district} district"})
    return pd.DataFrame(rows, index=nodes.index)


def district_points(facts_dir: Path) -> pd.DataFrame:
    """Each district's headquarters point (``hq_lon``, ``hq_lat``) and supply region (an off-grid area's own region,
    else its supplier): the points the district outlines are drawn around."""
    d = read_table(facts_dir, "districts.csv")
    off = read_table(facts_dir, "off_grid_areas.csv").set_index("district")["supply_region"]
    return pd.DataFrame({"district": d["district"], "supply_region": [off.get(x, s) for x, s in zip(d["district"], d["supplier"])],
                         "hq_lon": number(d, "longitude"), "hq_lat": number(d, "latitude")})


@dataclass(frozen=True)
class ZonalModel:
    """The zoning, the interfaces with their ranges, and the system at each end."""

    zoning: Zoning
    links: pd.DataFrame
    systems: dict[str, PowerSystem]


def zonal_model(facts_dir: Path, cfg: dict) -> ZonalModel:
    """The low, central and high systems, from the facts (the 2017 graph is in ``facts/network/`` too)."""
    grid_dir = facts_dir / NETWORK_FACTS
    districts = district_points(facts_dir)
    zoning = read_zoning(facts_dir)
    plants = read_table(facts_dir, "power_plants.csv")
    located = plants[number(plants, "longitude").notna()]
    zp = plant_zones(located, districts, zoning, facts_dir)
    lines = gpd.read_file(grid_dir / "ctsp2017_pakistan_lines.geojson")
    vertices = gpd.read_file(grid_dir / "ctsp2017_pakistan_vertices.geojson")
    links = interfaces(facts_dir, cfg["network"], circuits_between(zoning, districts, lines, vertices))
    costs = fuel_costs(facts_dir)
    hq = districts.assign(zone=[zoning.of_place(d, r) for d, r in zip(districts["district"], districts["supply_region"])])
    centroids = hq.groupby("zone")[["hq_lon", "hq_lat"]].mean().rename(columns={"hq_lon": "x", "hq_lat": "y"})
    rel = float(cfg["surplus"].get("demand_share_relative_range", 0.0))
    return ZonalModel(zoning, links, {
        end: power_system(end, facts_dir=facts_dir, cfg=cfg, plants=located, zones_of_plants=zp, zoning=zoning,
                          links=links, costs=costs, shares=zone_shares(facts_dir, zoning, end, rel), centroids=centroids)
        for end in ENDS})
