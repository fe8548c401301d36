"""A site's network zone in words (``sitefinder.report.zones``): what explain, the site card and the map's popups show,
checked against the zones and interfaces layers of the built-in data."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from sitefinder.data.dataset import Dataset
from sitefinder.measure.surplus import surplus_areas
from sitefinder.model.vocabulary import HOURLY, MONTH_NAMES
from sitefinder.network.system import HOUR_TYPE_WORDS
from sitefinder.report import zones as zt


@pytest.fixture(scope="module")
def areas(pakistan_data: Dataset) -> pd.DataFrame:
    return surplus_areas(pakistan_data)


def _node_in(data: Dataset, zone: str) -> pd.Series:
    nodes = data["grid_nodes"]
    return nodes[nodes["zone"] == zone].iloc[0]


def test_mw_range_reads_as_central_and_range() -> None:
    assert zt.mw_range({"value": 1234.4, "low": 800.0, "high": 1500.2}) == "1,234 (800-1,500)"
    assert zt.mw_range({"value": 12.0, "low": None, "high": 30.0}) == "12"
    assert zt.mw_range({"value": None, "low": 1.0, "high": 2.0}) == "unknown"
    assert zt.mw_range({"value": -50.0, "low": -200.0, "high": 10.0}) == "-50 (-200 to 10)"


def test_cost_is_marked_as_an_estimate() -> None:
    assert zt.cost_text(23.73) == "about 23.7 PKR/kWh (estimate, the central model's generation cost)"
    assert zt.cost_text(23.73, None, 18.91, 23.73) == "about 23.7 PKR/kWh (18.9-23.7; estimate, the central model's generation cost)"
    assert zt.cost_text(23.73, None, 23.72, 23.74) == zt.cost_text(23.73)  # a range that rounds away is not shown
    assert zt.cost_text(float("nan")) == zt.cost_text(None) == "not stated"


@pytest.mark.parametrize("season", ["winter", "summer"])
def test_site_network_takes_the_seasons_binding_cost_and_months(pakistan_data: Dataset, areas: pd.DataFrame,
                                                                season: str) -> None:
    zone = areas.loc["zone:ke"]
    node = _node_in(pakistan_data, "ke")
    n = zt.network_of(areas, pakistan_data["grid_nodes"], "zone:ke", node["node_id"], season)
    assert n is not None
    assert (n["zone"], n["name"], n["season"]) == ("ke", zone["name"], season)
    assert n["binding"] == zone[f"surplus_{season}_binding"]
    assert n["cost_pkr_per_kwh"] == pytest.approx(zone[f"surplus_{season}_cost_pkr_per_kwh"])
    assert n["node_zone_basis"] == node["zone_basis"] and n["basis"] == zone["surplus_basis"]
    assert [r["month"] for r in n["by_month"]] == list(MONTH_NAMES)
    july = n["by_month"][6]["evening"]
    assert (july["value"], july["low"], july["high"]) == tuple(
        pytest.approx(zone[HOURLY["evening"][6] + end]) for end in ("", "_low", "_high"))


def test_year_round_takes_the_leaner_season(areas: pd.DataFrame) -> None:
    zone = areas.loc["zone:north"]
    lean = "winter" if zone["surplus_winter_mw"] <= zone["surplus_summer_mw"] else "summer"
    n = zt.site_network(zone, "year_round", None)
    assert n is not None and n["season"] == lean and n["binding"] == zone[f"surplus_{lean}_binding"]
    assert n["node_zone_basis"] is None


def test_a_region_of_its_own_or_no_area_has_no_network(pakistan_data: Dataset, areas: pd.DataFrame) -> None:
    region = next(a for a in areas.index if a.startswith("region:"))
    assert zt.network_of(areas, pakistan_data["grid_nodes"], region, None, "winter") is None
    assert zt.network_of(areas, pakistan_data["grid_nodes"], None, None, "winter") is None
    assert zt.network_of(areas, pakistan_data["grid_nodes"], "zone:atlantis", None, "winter") is None


def test_card_rows_and_month_table(pakistan_data: Dataset, areas: pd.DataFrame) -> None:
    zone = areas.loc["zone:thar"]
    n = zt.site_network(zone, "summer", _node_in(pakistan_data, "thar"))
    assert n is not None
    rows = dict(zt.network_rows(n))
    assert rows["Network zone"] == f"{zone['name']} [thar]"
    assert rows["What limits its summer surplus"] == zone["surplus_summer_binding"]
    lo, hi = (zone[f"surplus_summer_cost_pkr_per_kwh_{end}"] for end in ("low", "high"))
    assert rows["Cost of serving it"].startswith(f"about {zone['surplus_summer_cost_pkr_per_kwh']:.1f} PKR/kWh "
                                                 f"({lo:.1f}-{hi:.1f}; estimate")
    assert rows["Grid node's zone"].startswith("its plants sell to the national grid")
    table = zt.month_hour_table(n)
    assert len(table) == 12 and list(table[0]) == ["month", *(HOUR_TYPE_WORDS[h] for h in HOURLY)]
    col = HOURLY["night"][0]
    assert table[0][HOUR_TYPE_WORDS["night"]] == (f"{zone[col]:,.0f} ({zone[col + '_low']:,.0f}-"
                                                   f"{zone[col + '_high']:,.0f})")
    assert zt.source_text(n) == f"{zone['surplus_basis']} | zones layer"


def test_network_lines_name_zone_binding_cost_and_every_month(areas: pd.DataFrame) -> None:
    n = zt.site_network(areas.loc["zone:ke"], "winter", None)
    assert n is not None
    lines = zt.network_lines(n)
    assert lines[0].startswith("network zone: ke (") and "limited by K-Electric's interconnections" in lines[0]
    assert re.search(r"PKR/kWh \(\d+\.\d-\d+\.\d; estimate", lines[0]), lines[0]
    assert lines[1].strip() == "deliverable surplus, MW (estimate: central, low-high):"
    assert [ln.split()[0] for ln in lines[3:]] == list(MONTH_NAMES)


def test_zone_without_month_by_hour_figures_has_an_empty_table() -> None:
    zone = pd.Series({"zone": "z1", "name": "A zone", "surplus_winter_mw": 10.0, "surplus_winter_binding": "x"})
    n = zt.site_network(zone, "winter", None)
    assert n is not None and n["by_month"] == [] and zt.month_hour_table(n) == []
    assert zt.network_lines(n) == ["network zone: z1 (A zone); its surplus in the winter is limited by x"]
    assert zt.source_text(n) == "zones layer"


def test_zone_popup_rows(pakistan_data: Dataset) -> None:
    zones = pakistan_data["zones"]
    row = zones[zones["zone"] == "balochistan"].iloc[0]
    rows = dict(zt.zone_rows(row))
    assert rows["Zone"] == f"{row['name']} [balochistan]"
    assert rows["Surplus, winter"] == (f"{row['surplus_winter_mw']:,.0f} MW (estimate, {row['surplus_winter_mw_low']:,.0f}-"
                                       f"{row['surplus_winter_mw_high']:,.0f})")
    assert rows["What limits it in summer"] == row["surplus_summer_binding"]
    assert re.search(r"PKR/kWh \(\d+\.\d-\d+\.\d; estimate", rows["Cost of serving it, winter"])
    assert zt.zone_tip(row).startswith(f"{row['name']}: deliverable surplus winter {row['surplus_winter_mw']:,.0f} MW")


def test_zone_popup_rows_keep_a_grid_models_own_cost_unit() -> None:
    row = pd.Series({"zone": "b1", "name": "Bus 1", "surplus_winter_mw": 40.0, "surplus_winter_binding": "line 1",
                     "surplus_winter_cost_pkr_per_kwh": 0.05, "cost_unit": "EUR/kWh"})
    rows = dict(zt.zone_rows(row))
    assert rows["Cost of serving it, winter"] == "about 0.1 EUR/kWh (estimate, the grid model's generation cost)"
    assert "PKR" not in rows["Cost of serving it, winter"] and rows["Cost of serving it, summer"] == "not stated"


def test_region_popup_rows_name_the_zone(pakistan_data: Dataset) -> None:
    regions = pakistan_data["supply_regions"]
    names = zt.zone_names(pakistan_data["zones"])
    hesco = regions[regions["name"] == "HESCO"].iloc[0]
    rows = dict(zt.region_zone_rows(hesco, names))
    assert rows["Network zone"] == f"{names[hesco['zone']]} [{hesco['zone']}]"
    assert rows["What limits it in winter"] == hesco["surplus_winter_binding"]
    off = regions[regions["zone"].isna()].iloc[0]
    assert zt.region_zone_rows(off, names) == [("Network zone", "none: the region's own figures")]


def test_interface_label_and_rows(pakistan_data: Dataset) -> None:
    lines = pakistan_data["interfaces"]
    names = zt.zone_names(pakistan_data["zones"])
    for _, row in lines.iterrows():
        flow = max(row["flow_max_forward_mw"], row["flow_max_backward_mw"])
        assert zt.interface_label(row) == (f"{row['limit_mw']:,.0f} ({row['limit_mw_low']:,.0f}-{row['limit_mw_high']:,.0f})"
                                           f" MW · flow {flow:,.0f}")
        rows = dict(zt.interface_rows(row, names))
        assert rows["Between"] == f"{names[row['zone_from']]} -> {names[row['zone_to']]}"
        assert rows["Limit"].startswith(f"{row['limit_mw']:,.0f} MW (")
        assert ("estimate," in rows["Limit"]) == ("estimate" in row["kind"].lower())
        assert f"in {row['hours_at_limit_share']:.0%} of the modelled cases" in rows["At its limit"]
    bare = pd.Series({"zone_from": "a", "zone_to": "b", "limit_mw": 500.0})
    assert zt.interface_label(bare) == "500 MW"
    assert dict(zt.interface_rows(bare, {}))["Largest modelled flow"] == "not modelled"
