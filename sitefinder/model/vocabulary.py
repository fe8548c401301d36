"""The words sitefinder scores with: criteria (name, unit, family, direction), seasons and node rules.

Plain data, no measuring: profiles, scoring, scenarios and settings depend on this module, not on
``criteria.py`` (which does the geometry work of measuring each criterion at each candidate).
"""

from __future__ import annotations

from dataclasses import dataclass

SEASONS = ("winter", "summer", "year_round")


@dataclass(frozen=True)
class CriterionInfo:
    """A criterion column the engine can score: unit, family, direction, and a plain description."""

    name: str
    unit: str
    family: str
    direction: str  # natural direction: "benefit" or "cost"
    label: str
    description: str
    estimate: bool = False


CRITERIA: dict[str, CriterionInfo] = {c.name: c for c in (
    CriterionInfo("grid_distance_km", "km", "grid", "cost", "Distance to grid node",
                  "Geodesic distance from the site to the nearest eligible grid node."),
    CriterionInfo("grid_voltage_kv", "kV", "grid", "benefit", "Grid node voltage",
                  "Highest AC voltage at the connection node; blank where not published."),
    CriterionInfo("grid_headroom_mw", "MW", "grid", "benefit", "Grid node headroom",
                  "Spare capacity at the connection node for a new load; blank = unknown."),
    CriterionInfo("region_surplus_mw", "MW", "surplus", "benefit", "Region surplus",
                  "Spare power in the supply region for the chosen season.", estimate=True),
    CriterionInfo("hottest_month_tmax_c", "°C", "climate", "cost", "Hottest-month max",
                  "Mean daily maximum temperature of the hottest month.", estimate=True),
    CriterionInfo("cooling_degree_days", "°C·day", "climate", "cost", "Cooling degree days",
                  "Cooling degree days above 18 °C per year.", estimate=True),
    CriterionInfo("hours_above_35c", "h/yr", "climate", "cost", "Hours above 35 °C",
                  "Estimated hours per year above 35 °C.", estimate=True),
    CriterionInfo("free_cooling_months", "months", "climate", "benefit", "Free-cooling months",
                  "Months whose mean daily maximum is below 25 °C.", estimate=True),
    CriterionInfo("cost_usd_per_mwh", "USD/MWh", "economics", "cost", "Cost per MWh",
                  "Energy (with cooling) plus the grid connection annualised, per MWh the facility uses (the cost "
                  "model's estimate; see the Economics tab).", estimate=True),
    CriterionInfo("connectivity_distance_km", "km", "connectivity", "cost", "Distance to connectivity",
                  "Distance to the nearest cable landing, internet exchange or data centre."),
    CriterionInfo("large_city_distance_km", "km", "connectivity", "cost", "Distance to large city",
                  "Distance to the nearest large city (skilled staff, services)."),
    CriterionInfo("town_distance_km", "km", "land", "benefit", "Distance to nearest town",
                  "Distance to the nearest town or city in the cities layer (noise setback)."),
    CriterionInfo("flood_2022", "0/1", "land", "cost", "2022 flood district",
                  "1 if the site's district was declared calamity-hit or named most affected in the 2022 floods "
                  "(official lists; press where none exists)."),
    CriterionInfo("land_excluded", "0/1", "land", "cost", "Inside an exclusion zone",
                  "1 if the site lies in a protected area, city core or other exclusion zone."),
    CriterionInfo("on_national_grid", "0/1", "grid", "benefit", "On the national grid",
                  "0 where the supply region is not connected to the national grid."),
    CriterionInfo("in_study_area", "0/1", "land", "benefit", "Inside the study area",
                  "0 for a site outside the study area (at sea or abroad)."),
)}


NODE_STATUSES = ("operational", "under_construction", "planned", "decommissioned")
SEASON_LABELS = {"winter": "Winter (Oct-Mar)", "summer": "Summer (Apr-Sep)", "year_round": "Year-round (the leaner season)"}


@dataclass(frozen=True)
class NodeRule:
    """Which grid nodes a facility may connect to."""

    min_voltage_kv: float = 220.0
    statuses: tuple[str, ...] = ("operational",)
    allow_unknown_voltage: bool = True


# Months and seasons (1 = January). The winter surplus counts for October-March, the summer one for April-September.
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WINTER_MONTHS = (10, 11, 12, 1, 2, 3)
SUMMER_MONTHS = (4, 5, 6, 7, 8, 9)
SEASON_MONTHS = {"winter": WINTER_MONTHS, "summer": SUMMER_MONTHS, "year_round": tuple(range(1, 13))}
MONTHLY = tuple(f"surplus_mw_{m:02d}" for m in range(1, 13))  # a supply region's surplus month by month (MW)
# Hour types of the network model: the evening peak (18-22 h), midday (10-16 h) and the other hours (night).
HOUR_TYPES = ("evening", "midday", "night")
HOURS_PER_DAY = {"evening": 4, "midday": 6, "night": 14}  # 18-22 h, 10-16 h, and the other 14 hours
HOURLY = {h: tuple(f"surplus_{h}_mw_{m:02d}" for m in range(1, 13)) for h in HOUR_TYPES}  # a zone's, by month (MW)

# Climate columns: monthly normals of the daily maximum and minimum (°C), and the metrics made from them.
MONTHS = tuple(f"{m:02d}" for m in range(1, 13))
TMAX_COLUMNS = tuple(f"tmax_{m}" for m in MONTHS)
TMIN_COLUMNS = tuple(f"tmin_{m}" for m in MONTHS)
METRIC_COLUMNS = (
    "hottest_month_tmax_c",
    "cooling_degree_days",
    "hours_above_35c",
    "free_cooling_months",
    "annual_mean_temp_c",
)

# H3 resolutions of candidate cells: 5 (about 250 km² a cell) to 9 (about 0.1 km²).
MIN_RESOLUTION = 5
MAX_RESOLUTION = 9
