"""Pakistan's zonal model as built: every plant at a zone with its buyer, every interface sourced with a range, the
back-cast no worse than recorded, and a 2,000 MW programme that the network can serve whole."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pypsa")

from sitefinder.build.backcast import thar_2023  # noqa: E402
from sitefinder.build.network import zonal_model  # noqa: E402
from sitefinder.build.zone_surplus import embed_tables  # noqa: E402
from sitefinder.model.profiles import load_profile  # noqa: E402
from sitefinder.model.scenario import Scenario  # noqa: E402
from sitefinder.model.vocabulary import WINTER_MONTHS  # noqa: E402
from sitefinder.network.solve import deliverable_surplus, unserved_with  # noqa: E402
from sitefinder.programme.run import make_programme  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "pakistan"
FACTS = DATA / "facts"
# The back-cast as last recorded (data/pakistan/network.md): a change that makes it worse fails here. First model:
# mean miss 6.3 points, 18 of 25 rows within; with the RLNG take-or-pay floor: 4.6 points, 20 of 25, and K-Electric's
# December import 1,161 MW modelled against 985 published (731 before).
BACKCAST_MEAN_MISS_POINTS = 4.61
BACKCAST_SHARE_WITHIN = 0.80
KE_IMPORT_MISS_MW = 180.0


@pytest.fixture(scope="module")
def model():
    cfg = tomllib.loads((DATA / "build.toml").read_text(encoding="utf-8"))
    return zonal_model(FACTS, cfg)


def test_every_operating_plant_sits_at_a_zone_bus_with_its_buyer(model):
    plants = pd.read_csv(FACTS / "power_plants.csv")
    operating = plants[(plants["status"] == "operating") & ~plants["notes"].fillna("").str.contains("PPA terminated")]
    g = model.systems["central"].generators
    assert len(g) == len(operating)
    assert g["bus"].isin(model.systems["central"].buses.index).all()
    assert set(g["contract"]) == {"national", "k-electric"}
    assert (g.loc[g["contract"] == "k-electric", "bus"] == "ke").all()
    # The national plants on the Karachi coast are the national south's, not K-Electric's (issue 18).
    for name in ("karachi-nuclear-power-plant", "port-qasim-epc-power-station", "port-qasim-lucky-power-station",
                 "hubco-power-station"):
        assert g.loc[name, "bus"] == "south" and g.loc[name, "contract"] == "national", name
    assert all(z in set(g["bus"]) for z in ("thar", "north", "central_punjab"))


def test_every_interface_has_a_source_and_a_range(model):
    links = model.links
    assert len(links) == 7
    assert (links["low_mw"] <= links["value_mw"]).all() and (links["value_mw"] <= links["high_mw"]).all()
    assert links["source"].str.len().gt(10).all()
    assert links["basis"].str.len().gt(20).all()
    estimated = links[links["kind"] == "estimate"]
    assert estimated["basis"].str.startswith("ESTIMATE").all()
    assert set(links.index) >= {"thar-south", "hvdc", "ke-interconnection", "qesco"}


def test_the_government_rlng_plants_carry_their_take_or_pay_floor_and_run_at_it(model):
    # ECC, 11 Jan 2023: 33 % of capacity at Bhikki, Balloki and Haveli Bahadur Shah (facts/network/gas_evidence.csv).
    cfg = tomllib.loads((DATA / "build.toml").read_text(encoding="utf-8"))["network"]
    floors = {end: model.systems[end].generators["min_pu"] for end in ("low", "central", "high")}
    bound = ["bhikki-power-station", "balloki-power-station", "haveli-bahadur-shah-hbs-power-station"]
    assert floors["central"][bound].tolist() == pytest.approx([cfg["rlng_take_or_pay"]["value"]] * 3)
    assert (floors["central"].drop(bound) == 0).all()  # Trimmu, Nandipur, BQPS-III and every other plant: none
    assert (floors["low"][bound] <= floors["central"][bound]).all()
    assert (floors["central"][bound] <= floors["high"][bound]).all()
    system = model.systems["central"]
    answer = deliverable_surplus(system, zones=["north"])
    g = system.generators.loc[bound]
    least = (system.availability[bound].clip(upper=g["min_pu"], axis=1) * g["p_nom"]).sum(axis=1)
    assert (answer.dispatch[bound].sum(axis=1) >= least - 0.5).all()
    assert least.min() > 1000  # a third of 3,700 MW runs in every month and hour type


def test_the_thar_limit_of_2023_binds_as_the_grid_found_and_todays_does_less(model):
    # Feb 2023: CPPA-G told NTDC only 1,800 MW of Thar's 2,400 MW could leave over one line (interface_evidence.csv).
    then, now = thar_2023(model.systems["central"], model.links)
    assert then.limit_mw == 1800 and now.limit_mw == model.links.loc["thar-south", "value_mw"]
    assert then.binding_cases > then.cases / 2
    assert then.flow_max_mw == pytest.approx(1800, abs=0.5)
    assert then.held_back_mw > now.held_back_mw
    assert now.binding_cases < then.binding_cases
    assert "## Thar in 2023" in (DATA / "network.md").read_text(encoding="utf-8")


def test_the_backcast_is_no_worse_than_recorded():
    back = pd.read_csv(DATA / "backcast.csv")
    assert len(back) >= 20
    assert back["miss_points"].abs().mean() <= BACKCAST_MEAN_MISS_POINTS
    assert back["within_tolerance"].mean() >= BACKCAST_SHARE_WITHIN
    listed = (DATA / "network.md").read_text(encoding="utf-8")
    for r in back[~back["within_tolerance"]].itertuples():  # every miss is listed where people read the model
        assert f"| {r.month} | {r.fuel} |" in listed
    ke = re.search(r"December: modelled ([\d,]+) MW on average, published ([\d,]+) MW", listed)
    assert ke, "network.md states K-Electric's modelled and published December import"
    modelled, published = (float(x.replace(",", "")) for x in ke.groups())
    assert abs(modelled - published) <= KE_IMPORT_MISS_MW


def test_karachi_is_k_electrics_zone_and_its_import_cap_binds(pakistan_data):
    regions = pakistan_data["supply_regions"].set_index("name")
    ke = regions.loc["K-Electric"]
    assert ke["zone"] == "ke"
    assert "K-Electric's interconnections" in ke["surplus_winter_binding"]
    assert ke["surplus_winter_mw"] < regions.loc["LESCO", "surplus_winter_mw"]
    assert pd.notna(ke["surplus_winter_cost_pkr_per_kwh"])


def test_a_2000_mw_programme_resolved_with_all_its_loads_sheds_no_load(model, h3_study, pakistan_data):
    scenario = Scenario(resolution=5, target_mw=2000.0, mw=100.0)
    programme = make_programme(h3_study, scenario, scenario.apply())
    placed = programme.table.groupby(programme.table["zone"].astype(str))["placed_mw"].sum()
    assert placed.sum() == pytest.approx(2000.0)
    system = model.systems["central"]
    extra = pd.DataFrame(0.0, index=system.demand.index, columns=system.demand.columns)
    for (month, _hour) in extra.index:
        if month in WINTER_MONTHS:  # the mine's season: it runs every hour of those months
            for zone, mw in placed.items():
                extra.loc[(month, _hour), zone] = mw
    shed = unserved_with(system, extra)
    assert shed.to_numpy().max() == pytest.approx(0.0, abs=0.5), shed[shed.max(axis=1) > 0.5]


def test_explain_at_a_karachi_site_names_its_zone_binding_limit_and_price():
    """Near KKI (a K-Electric station) a site is in K-Electric's zone, capped by its interconnections; in the city,
    whose nearest node is NTDC's NKI (500 kV, the national grid's side of the interconnection), it is in the
    national south."""
    def explain(lon: str, lat: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sitefinder", "explain", lon, lat, "--profile", "bitcoin_mine",
                               *extra], capture_output=True, text=True, timeout=300, cwd=ROOT)

    proc = explain("66.80", "24.86", "--json")
    assert proc.returncode == 0, proc.stderr
    network = json.loads(proc.stdout)["network"]
    assert network["zone"] == "ke"
    assert "K-Electric's interconnections" in network["binding"]
    assert 1.0 < network["cost_pkr_per_kwh"] < 60.0
    assert "run by K-Electric" in network["node_zone_basis"]
    assert len(network["by_month"]) == 12 and network["by_month"][0]["evening"]["low"] is not None
    city = json.loads(explain("67.0", "24.9", "--json").stdout)
    assert city["network"]["zone"] == "south" and "national south" in city["network"]["node_zone_basis"]
    assert city["region"] == "K-Electric"  # the distribution company people know stays
    text = explain("66.80", "24.86").stdout
    assert "network zone: ke" in text and "PKR/kWh" in text and "deliverable surplus, MW" in text


def test_the_data_readme_holds_the_network_tables_the_build_wrote():
    """The zones, interfaces with sources, back-cast and surplus by zone, month and hour type are in the data README
    itself, exactly as the build wrote them to network.md (a stale README fails)."""
    data = ROOT / "data" / "pakistan"
    readme = (data / "README.md").read_text(encoding="utf-8")
    tables = (data / "network.md").read_text(encoding="utf-8")
    assert embed_tables(readme, tables) == readme
    for heading in ("### Zones", "### Interfaces", "### Back-cast", "### Deliverable surplus by zone, month and hour type"):
        assert heading in readme
    assert embed_tables("no markers here", tables) == "no markers here"


def test_the_scored_surplus_is_the_zone_of_the_sites_grid_node_not_its_region(h3_study):
    """A site draws on its grid node's zone (issue 18): the surplus it is scored on and constrained by
    (``region_surplus_mw``) is that zone's, as the robustness draws and the programme take it, even where its
    region lies in another zone (a cell of AJK or Sindh whose nearest node is across a zone border)."""
    profile = load_profile("bitcoin_mine")
    matrix = h3_study.matrix(profile)
    zoned = matrix["surplus_area"].astype(str).str.startswith("zone:").to_numpy()
    across = zoned & (matrix["grid_zone"].astype(str) != matrix["region_zone"].astype(str)).to_numpy()
    assert across.sum() > 10  # the case exists in the built-in data
    assert (matrix["region_surplus_mw"].to_numpy()[zoned] == matrix["surplus_winter_mw"].to_numpy()[zoned]).all()
    zones = h3_study.dataset["zones"].set_index("zone")
    expected = zones.loc[matrix.loc[across, "zone"].astype(str), "surplus_winter_mw"].to_numpy()
    assert matrix.loc[across, "region_surplus_mw"].to_numpy() == pytest.approx(expected)
    low = zones.loc[matrix.loc[across, "zone"].astype(str), "surplus_winter_mw_low"].to_numpy()
    assert matrix.loc[across, "region_surplus_mw_low"].to_numpy() == pytest.approx(low)


def test_an_interruptible_programme_is_re_solved_at_the_low_end_where_it_would_run_then(h3_study):
    """At the low end every zone has no surplus at some evening peak, so nothing is firm for a site that runs every
    hour; an interruptible one runs where the low end has room, and is re-solved on the low-end network there (not
    in the months and hours it runs at the central figures, where the low end would shed it)."""
    firm_site = Scenario(resolution=5, target_mw=2000.0, mw=100.0)
    assert make_programme(h3_study, firm_site, firm_site.apply()).firm_mw.sum() == 0.0
    scenario = Scenario(resolution=5, target_mw=2000.0, mw=100.0, min_months=3)
    programme = make_programme(h3_study, scenario, scenario.apply())
    central, low = programme.checks
    assert (central.end, low.end) == ("central", "low")
    assert not central.cuts and not low.cuts and low.sites_checked > 0 and low.shed_mw <= 0.5
    assert programme.firm_mw.sum() > 0.0
    assert "nobody's load is shed" in programme.network_text
