"""What every figure a shortlist exports is, in one registry: an estimate, a figure given to sitefinder, a measurement
of given positions, or the ranking itself.

* ``estimate``: sitefinder or the dataset worked it out from figures that are themselves uncertain. It is named in
  the row's ``estimates`` column. Where its inputs have low and high ends it carries ``<name>_low`` and
  ``<name>_high`` (``ranged``), computed at those ends; where no range can honestly be given (no error is stated for
  what it is made from) it has none, and ``basis`` says why.
* ``given``: a layer, a published source or the user states it; carried unchanged (blank = unknown, never zero).
* ``measured``: worked out exactly from positions that are given (the site's own point, a station's published place).
* ``ranking``: the scenario's score, rank and contributions: exact for its inputs. How they move with the estimates is
  what ``sitefinder robustness`` measures.

``basis`` is the sentence an export's metadata gives for each figure. A column no entry names is not classified:
``figure_of`` returns None, and the tests fail for any exported number that is not classified, so a new column
cannot slip into an export as if it were a published figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.model.ranges import HIGH, LOW

ESTIMATE, GIVEN, MEASURED, RANKING = "estimate", "given", "measured", "ranking"
KINDS = (ESTIMATE, GIVEN, MEASURED, RANKING)


@dataclass(frozen=True)
class Figure:
    """One exported figure: its kind (``KINDS``), whether it carries ``_low``/``_high``, and the basis in words."""

    name: str
    kind: str
    basis: str
    ranged: bool = False

    @property
    def estimate(self) -> bool:
        """True for an estimate (named in the row's ``estimates``)."""
        return self.kind == ESTIMATE


_CLIMATE = ("the station interpolation -/+ its leave-one-out RMSE on the dataset's own stations (metadata: "
            "assumptions.climate_leave_one_out), within the metric's physical bounds; blank where a climate raster "
            "gives the value, since the raster states no error")
_MONEY = ("the cost model with every input at its favourable end and at its unfavourable end: each parameter's range "
          "(metadata: economics.parameters) and the site's climate and grid-distance ranges. The running months are "
          "held at the central surplus (operating_hours_per_year_low/high shows how they move); a parameter you set "
          "has no range")
_TOWN_POINT = ("geodesic km from the site's point to the {what}'s point in the cities layer (built-in: GeoNames' point "
               "for the town). No error is stated for that point and a town's extent is not known, so there is no range")

_FIGURES = (
    # the ranking
    Figure("rank", RANKING, "the site's place on this shortlist"),
    Figure("overall_rank", RANKING, "the site's place among every candidate, before the shortlist's province and "
                                    "per-node rules"),
    Figure("score", RANKING, "the weighted sum of the value functions, 0-100, exact for the scenario's inputs; how it "
                             "moves with the estimates: sitefinder robustness"),
    Figure("topsis_score", RANKING, "TOPSIS closeness, 0-100, as a cross-check of the score"),
    # the connection point
    Figure("grid_voltage_kv", GIVEN, "the grid layer's voltage for the node; blank where not published"),
    Figure("grid_distance_km", ESTIMATE, "geodesic km from the site's point to the node's mapped point; the range is "
                                         "that distance -/+ the node's stated location error (grid_location_error_km), "
                                         "blank where the layer states none", ranged=True),
    Figure("grid_location_error_km", ESTIMATE, "how far the node's mapped point may be from the real station: the "
                                               "grid layer's own figure where a source names the place, else a bound "
                                               "assumed for its location-precision class (data/pakistan/build.toml). "
                                               "An assumed bound, not a measured error, so it has no range of its own"),
    Figure("grid_headroom_mw", GIVEN, "the grid layer's spare capacity at the node; blank = not published (unknown, "
                                      "never zero)"),
    Figure("grid_capacity_mva", GIVEN, "the grid layer's transformation capacity at the node; blank = not published"),
    # the supply region
    Figure("on_national_grid", GIVEN, "the supply-region layer's flag: 0 where the region is off the national grid"),
    *(Figure(name, ESTIMATE, "the supply-region layer's low and high ends (built-in: the zonal network model solved "
                             "with every input at its least and at its most favourable value; data/pakistan/README.md); "
                             "blank where the layer gives none", ranged=True)
      for name in ("region_surplus_mw", "surplus_winter_mw", "surplus_summer_mw")),
    Figure("surplus_cost_pkr_per_kwh", ESTIMATE, "the average generation cost (PKR/kWh) of serving the extra load in "
                                                 "the zone's leanest case of the season, from the central network "
                                                 "model's merit order (fuel costs: CPPA-G's FY2024-25 filings); the "
                                                 "range is the least and the most of that cost in the same case at "
                                                 "the model's low, central and high ends (an end with no surplus "
                                                 "there is left out); blank outside every zone", ranged=True),
    # the programme (sitefinder/programme)
    Figure("placed_mw", ESTIMATE, "MW the programme gives the site, drawn on its zone's central deliverable surplus "
                                  "and re-solved on the network with every site's load; the same site at the low end "
                                  "of every surplus range is placed_mw_at_low (no separate range)"),
    Figure("placed_mw_at_low", ESTIMATE, "MW the site could still take, in the same order, with every surplus at the "
                                         "low end of its range (re-solved on the low-end network)"),
    Figure("months_count", ESTIMATE, "months in which the site runs at all: those whose central surplus has room for "
                                     "its MW"),
    Figure("region_surplus_left_mw", ESTIMATE, "the site's surplus area's central surplus left after it, in the months "
                                               "it needs (MW)"),
    Figure("node_headroom_left_mw", ESTIMATE, "the node's headroom (published, or the headroom you assumed) less the "
                                              "MW placed at it; blank where unknown and not limiting"),
    # the robustness run (sitefinder/robustness)
    *(Figure(name, ESTIMATE, f"the share of the random draws (every ranged input drawn within its range) in which {what}; "
                             "a share of a finite number of draws, so it carries sampling error of about 0.5/sqrt(draws) "
                             "and no range")
      for name, what in (("p_top_n", "the site is shortlisted"),
                         ("p_node_top_n", "the site's grid node has a site in the shortlist"),
                         ("p_feasible", "the site passes every constraint"))),
    Figure("central_rank", RANKING, "the site's place in the ordinary shortlist (every input at its central value)"),
    *(Figure(name, RANKING, "the shortlist place the site reaches or beats in 5, 50 or 95 % of the draws")
      for name in ("rank_p05", "rank_p50", "rank_p95")),
    Figure("hours_running_per_year", ESTIMATE, "hours a year the site runs in the programme: the months and hour "
                                               "types whose central surplus has room for its MW (a 365-day year); "
                                               "at the low end of the surplus see placed_mw_at_low"),
    # climate
    *(Figure(name, ESTIMATE, _CLIMATE, ranged=True)
      for name in ("hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c", "free_cooling_months",
                   "annual_mean_temp_c")),
    Figure("climate_station_km", MEASURED, "geodesic km from the site's point to the nearest climate station's "
                                           "published position"),
    # the place
    Figure("elevation_m", ESTIMATE, "pvlib's global altitude map (1/12° cells, about 9 km, in 28 m steps; Mapzen "
                                    "terrain from SRTM, GMTED2010 and ETOPO1). pvlib documents errors of 100 m and more "
                                    "in steep terrain but states no bound, so there is no range"),
    Figure("town_distance_km", ESTIMATE, _TOWN_POINT.format(what="nearest town")),
    Figure("large_city_distance_km", ESTIMATE, _TOWN_POINT.format(what="nearest large city")),
    Figure("connectivity_distance_km", ESTIMATE, "geodesic km from the site's point to the nearest existing "
                                                 "connectivity point (built-in: city-centre points, since the exact "
                                                 "facility locations were not found; landing points at city level). "
                                                 "No error is stated for those points, so there is no range"),
    Figure("lon", MEASURED, "the site's point (an H3 cell's centre, or the point of your own site), WGS84"),
    Figure("lat", MEASURED, "the site's point (an H3 cell's centre, or the point of your own site), WGS84"),
    # land
    Figure("flood_2022", GIVEN, "1 where the site's district is on the official lists of 2022 calamity-hit districts "
                                "(the press where no list exists)"),
    Figure("land_excluded", ESTIMATE, "1 where the site lies in an exclusion zone. The built-in zones are circles of a "
                                      "protected area's stated area round its published point and city cores of a "
                                      "radius assumed by population (data/pakistan/build.toml), so near a zone's edge "
                                      "the flag may be wrong; a yes/no has no range"),
    # the cost model (sitefinder/economics/cost_model.py)
    Figure("pue", ESTIMATE, "the PUE formula with each of its parameters at the ends of its range and the site's "
                            "cooling degree days and hours above 35 °C at theirs", ranged=True),
    Figure("operating_hours_per_year", ESTIMATE, "an interruptible load runs in the months its region's surplus covers "
                                                 "it: the hours of those months at the surplus's low and high ends. A "
                                                 "firm load runs all year (8,760 h at both ends). Where a programme "
                                                 "sets the months there is no range", ranged=True),
    Figure("tariff_pkr_per_kwh", ESTIMATE, "the tariff parameter's range (metadata: economics.parameters); a region's "
                                           "own tariff, or one you set, has none (low = high)", ranged=True),
    *(Figure(name, ESTIMATE, _MONEY, ranged=True)
      for name in ("energy_cost_usd_per_year", "connection_cost_usd", "capex_usd", "cost_usd_per_mwh",
                   "revenue_usd_per_year", "margin_usd_per_year", "energy_cost_usd_per_mw_year")),
    Figure("payback_years", ESTIMATE, _MONEY + ". Blank: never pays back (a blank high end: never, at the "
                                               "unfavourable end)", ranged=True),
    Figure("hashrate_ph", ESTIMATE, "the facility's MW over the machines' efficiency, at the ends of the efficiency "
                                    "range", ranged=True),
    Figure("breakeven_hashprice_usd_per_ph_day", ESTIMATE, "the hashprice at which the margin is zero, with PUE, "
                                                           "tariff, exchange rate and efficiency at their favourable and "
                                                           "unfavourable ends", ranged=True),
    Figure("breakeven_tariff_pkr_per_kwh", ESTIMATE, "the tariff at which the margin is zero, with PUE, hashprice, "
                                                     "exchange rate and efficiency at their favourable and unfavourable "
                                                     "ends", ranged=True),
    *(Figure(name, ESTIMATE, "the round trip in fibre at the ends of the route factor's range; the point's own "
                             "position (a city-level landing point, a city-centre exchange) states no error and is not "
                             "in the range", ranged=True)
      for name in ("latency_ms_to_landing", "latency_ms_to_ix")),
)
FIGURES: dict[str, Figure] = {f.name: f for f in _FIGURES}
CONTRIBUTION = Figure("contrib_", RANKING, "the points the criterion adds to the score (weight x value, 0-100 in all)")


def figure_of(column: str) -> Figure | None:
    """The registry entry of ``column``: its own, its base's for ``<name>_low``/``<name>_high`` of a ranged figure,
    the contributions' for ``contrib_<criterion>``; None where the column is not classified."""
    if column in FIGURES:
        return FIGURES[column]
    if column.startswith(CONTRIBUTION.name):
        return CONTRIBUTION
    for end in (LOW, HIGH):
        if column.endswith(end):
            base = FIGURES.get(column[: -len(end)])
            if base is not None and base.ranged:
                return base
    return None


def estimate_columns(columns: Iterable[str]) -> list[str]:
    """The estimates among ``columns`` (central names, in their order)."""
    return [c for c in columns if c in FIGURES and FIGURES[c].estimate]


def row_estimates(table: pd.DataFrame) -> list[str]:
    """For each row of ``table``, its ``estimates`` entry: the estimated figures the row has a value for (the figure or
    an end of its range: a payback that never comes at the central figures still has its favourable end), "; "-joined
    in column order. A figure the row has no value for is a data gap, not an estimate."""
    names = estimate_columns([str(c) for c in table.columns])
    if not names:
        return [""] * len(table)

    position = {str(c): i for i, c in enumerate(table.columns)}
    known = np.asarray(table.notna().to_numpy(), dtype=bool)  # once: a rerun asks this of every figure

    def has_value(name: str) -> NDArray[np.bool_]:
        cols = [position[c] for c in (name, name + LOW, name + HIGH) if c in position]
        return np.asarray(known[:, cols].any(axis=1), dtype=bool)

    present = np.column_stack([has_value(c) for c in names])
    return ["; ".join(n for n, ok in zip(names, row) if ok) for row in present]


def figures_metadata(columns: Iterable[str]) -> dict[str, dict[str, object]]:
    """The ``figures`` block of an export's metadata: for each classified column among ``columns`` (central names; the
    contributions as one ``contrib_<criterion>``), its kind, whether it carries a range, and its basis."""
    out: dict[str, dict[str, object]] = {}
    for c in columns:
        f = FIGURES.get(c)
        if f is None and c.startswith(CONTRIBUTION.name):
            f, c = CONTRIBUTION, CONTRIBUTION.name + "<criterion>"
        if f is not None:
            out[c] = {"kind": f.kind, "range": f.ranged, "basis": f.basis}
    return out
