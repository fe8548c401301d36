"""A site's network zone in words and tables, and the zones and interfaces of the network model as the map shows them.

``site_network`` gathers what the zones layer says about the zone a site draws on: what limits its surplus in the
profile's season, the cost of serving it (PKR/kWh, an estimate) and its deliverable surplus by month and hour type
with the range. ``sitefinder explain``, the app's site card and "Why not here?" all show that one dict, through the
text functions below; the map's zone and interface popups use ``zone_rows`` and ``interface_rows``. Everything here
is plain text: the app escapes it before it reaches a page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sitefinder.measure.surplus import ZONE
from sitefinder.model.ranges import finite, format_estimate, number_text, ranged_text, text_or
from sitefinder.model.vocabulary import HOURLY, MONTH_NAMES
from sitefinder.network.system import HOUR_TYPE_WORDS

COST_WORDS = "estimate, the central model's generation cost"
ZONES_SOURCE = "zones layer"


def _str(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v == "" else str(v)


def site_network(zone: Mapping[str, Any] | pd.Series | None, season: str,
                 node: pd.Series | None) -> dict[str, Any] | None:
    """The site's network zone (its grid node's), how the node's zone was found, what limits the zone's surplus in
    the profile's ``season`` (year-round: the leaner season), the cost of serving it (PKR/kWh), the surplus by month
    and hour type with its range (MW) and the basis of those figures, from a row of the zones layer (``zone``; a
    row of ``measure.surplus.surplus_areas`` will do); None where the site is in no zone."""
    if zone is None or not isinstance(zone.get("zone"), str):
        return None
    seasons = ["winter", "summer"] if season == "year_round" else [season]
    have = [s for s in seasons if isinstance(zone.get(f"surplus_{s}_binding"), str)]
    lean = min(have, key=lambda s: finite(zone.get(f"surplus_{s}_mw")) or 0.0) if have else seasons[0]
    by_month = [{"month": MONTH_NAMES[k], **{h: {"value": finite(zone.get(col)), "low": finite(zone.get(col + "_low")),
                                                 "high": finite(zone.get(col + "_high"))}
                                             for h, cols in HOURLY.items() for col in (cols[k],)}}
                for k in range(12)]
    return {"zone": zone["zone"], "name": _str(zone.get("name")), "season": lean,
            "binding": _str(zone.get(f"surplus_{lean}_binding")) or "not stated",
            "cost_pkr_per_kwh": finite(zone.get(f"surplus_{lean}_cost_pkr_per_kwh")),
            "cost_pkr_per_kwh_low": finite(zone.get(f"surplus_{lean}_cost_pkr_per_kwh_low")),
            "cost_pkr_per_kwh_high": finite(zone.get(f"surplus_{lean}_cost_pkr_per_kwh_high")),
            "cost_unit": _str(zone.get("cost_unit")),  # None: PKR/kWh; a grid model's own currency otherwise
            "node_zone_basis": _str(node.get("zone_basis")) if node is not None else None,
            "basis": _str(zone.get("surplus_basis")),
            "by_month": by_month if any(v["value"] is not None for r in by_month for v in r.values()
                                        if isinstance(v, dict)) else []}


def network_of(areas: pd.DataFrame, nodes: pd.DataFrame | None, area: Any, node_id: Any,
               season: str) -> dict[str, Any] | None:
    """``site_network`` for a row of a shortlist: its surplus area (``surplus_area``, an index of ``areas``) and its
    connection node (``grid_node_id`` in ``nodes``, the grid nodes layer). None where the area is not a zone."""
    if not isinstance(area, str) or not area.startswith(ZONE) or area not in areas.index:
        return None
    node = None
    if nodes is not None and "node_id" in nodes and _str(node_id) is not None:
        ids = nodes["node_id"].to_numpy()
        hit = np.flatnonzero(ids.astype(str) == str(node_id))  # numpy, not pandas: this runs on every page run
        node = nodes.iloc[int(hit[0])] if len(hit) else None
    return site_network(areas.loc[area].to_dict(), season, node)  # a dict: ~100 look-ups, each cheap


def mw_range(cell: dict[str, float | None]) -> str:
    """``1,234 (800-1,500)`` MW; ``unknown`` for no value, no brackets for no range."""
    v, lo, hi = cell["value"], cell["low"], cell["high"]
    if v is None:
        return "unknown"
    if lo is None or hi is None:
        return f"{v:,.0f}"
    return f"{v:,.0f} ({lo:,.0f} to {hi:,.0f})" if min(lo, hi) < 0 else f"{v:,.0f} ({lo:,.0f}-{hi:,.0f})"


def cost_text(cost: Any, unit: str | None = None, low: Any = None, high: Any = None) -> str:
    """The cost of serving a zone's surplus as people read it, with its range over the model's ends where there is
    one, marked as the estimate it is (``unit``: a grid model's own; None: PKR/kWh)."""
    v = finite(cost)
    if v is None:
        return "not stated"
    lo, hi = finite(low), finite(high)
    span = f"{lo:.1f}-{hi:.1f}; " if lo is not None and hi is not None and hi - lo >= 0.05 else ""
    words = "estimate, the grid model's generation cost" if unit else COST_WORDS
    return f"about {v:.1f} {unit or 'PKR/kWh'} ({span}{words})"


def zone_title(n: dict[str, Any]) -> str:
    """``Thar coalfield (behind its evacuation lines) [thar]``: the zone's name and id, or its id alone."""
    return f"{n['name']} [{n['zone']}]" if n.get("name") else str(n["zone"])


def network_rows(n: dict[str, Any]) -> list[tuple[str, str]]:
    """The site card's rows for a ``site_network`` dict: zone, what binds, the cost and how the node's zone was found."""
    return [("Network zone", zone_title(n)),
            (f"What limits its {n['season']} surplus", str(n["binding"])),
            ("Cost of serving it", cost_text(n.get("cost_pkr_per_kwh"), n.get("cost_unit"), n.get("cost_pkr_per_kwh_low"),
                                             n.get("cost_pkr_per_kwh_high"))),
            ("Grid node's zone", n.get("node_zone_basis") or "not stated")]


def site_surplus_rows(r: Any) -> list[tuple[str, str]]:
    """A ranked site's rows on its surplus (``r``: a shortlist row): the supply region, the network zone it draws on
    (its grid node's), the zone's deliverable surplus in the profile's season with its range, what limits it and the
    cost of serving it."""
    zone = _str(r.get("zone"))
    return [
        ("Supply region", str(text_or(r.get("region"), "—"))),
        ("Network zone", zone_title({"zone": zone, "name": _str(r.get("surplus_area_name"))}) if zone is not None
         else "none: the region's own figures"),
        ("Surplus" + (" (the zone's, deliverable)" if zone is not None else ""), ranged_text(r, "region_surplus_mw", "MW")),
        ("What limits it", str(text_or(r.get("surplus_binding"), "not stated"))),
        ("Cost of serving it", cost_text(r.get("surplus_cost_pkr_per_kwh"), None, r.get("surplus_cost_pkr_per_kwh_low"),
                                         r.get("surplus_cost_pkr_per_kwh_high"))),
    ]


def month_hour_table(n: dict[str, Any]) -> list[dict[str, str]]:
    """The deliverable surplus by month (rows) and hour type (columns, as ``HOUR_TYPE_WORDS`` names them), MW as
    ``central (low-high)``; empty where the zone gives no month-by-hour figures."""
    return [{"month": row["month"], **{HOUR_TYPE_WORDS.get(h, h): mw_range(row[h]) for h in HOURLY}}
            for row in n.get("by_month") or []]


def source_text(n: dict[str, Any]) -> str:
    """Where the zone's figures come from: its basis and the layer."""
    return f"{n['basis']} | {ZONES_SOURCE}" if n.get("basis") else ZONES_SOURCE


def network_lines(n: dict[str, Any]) -> list[str]:
    """The zone as ``sitefinder explain`` prints it: one line on the zone, what binds and the cost, the node's zone,
    and the month x hour-type table with ranges."""
    cost = finite(n.get("cost_pkr_per_kwh"))
    lines = [f"network zone: {n['zone']}" + (f" ({n['name']})" if n.get("name") else "")
             + f"; its surplus in the {n['season']} is limited by {n['binding']}"
             + (f"; serving it costs {cost_text(cost, n.get('cost_unit'), n.get('cost_pkr_per_kwh_low'), n.get('cost_pkr_per_kwh_high'))}"
                if cost is not None else "")]
    if n.get("node_zone_basis"):
        lines.append(f"  the grid node's zone: {n['node_zone_basis']}")
    if n.get("by_month"):
        ranged = any(isinstance(v, dict) and v.get("low") is not None for r in n["by_month"] for v in r.values())
        lines.append("  deliverable surplus, MW (estimate: " + ("central, low-high):" if ranged else "no range):"))
        lines.append("  " + f"{'':<5}" + "".join(f"{h:>22}" for h in HOURLY))
        for row in n["by_month"]:
            lines.append("  " + f"{row['month']:<5}" + "".join(f"{mw_range(row[h]):>22}" for h in HOURLY))
    return lines


# ------------------------------------------------------------------------------------------------
# The zones layer and the interfaces on the map


def zone_names(zones: pd.DataFrame | None) -> dict[str, str]:
    """Zone id -> name from the zones layer (empty without one)."""
    if zones is None or "zone" not in zones:
        return {}
    names = zones["name"] if "name" in zones else zones["zone"]
    return {str(z): str(text_or(n, z)) for z, n in zip(zones["zone"], names)}


def _season_rows(row: Any, season: str) -> list[tuple[str, str]]:
    get = row.get
    col = f"surplus_{season}_mw"
    return [(f"Surplus, {season}", format_estimate(get(col), get(col + "_low"), get(col + "_high"), unit="MW",
                                                   unknown="not applicable")),
            (f"What limits it in {season}", str(text_or(get(f"surplus_{season}_binding"), "not stated"))),
            (f"Cost of serving it, {season}", cost_text(get(f"surplus_{season}_cost_pkr_per_kwh"), _str(get("cost_unit")),
                                                        get(f"surplus_{season}_cost_pkr_per_kwh_low"),
                                                        get(f"surplus_{season}_cost_pkr_per_kwh_high")))]


def zone_rows(row: Any) -> list[tuple[str, str]]:
    """A zone's popup rows: its deliverable surplus in winter and summer with the range, what limits each and the
    cost of serving it (``row``: a row of the zones layer)."""
    return [("Zone", f"{text_or(row.get('name'), row['zone'])} [{row['zone']}]"),
            ("System", str(text_or(row.get("system"), "not stated"))),
            *_season_rows(row, "winter"), *_season_rows(row, "summer"),
            *([("Booked in the register", f"{row['booked_mw']:,.0f} MW (held, approved or energised); the surplus "
                                          "above is what is left")] if _booked(row) else [])]


def _booked(row: Any) -> bool:
    v = row.get("booked_mw")
    return v is not None and not pd.isna(v) and float(v) > 0


def zone_tip(row: Any) -> str:
    """A zone's tooltip: name, winter and summer deliverable surplus (central)."""
    return (f"{text_or(row.get('name'), row['zone'])}: deliverable surplus winter "
            f"{number_text(row.get('surplus_winter_mw'), ',.0f', 'MW')}, summer "
            f"{number_text(row.get('surplus_summer_mw'), ',.0f', 'MW')} (estimate)"
            + (f"; {float(row['booked_mw']):,.0f} MW booked" if _booked(row) else ""))


def region_zone_rows(row: Any, names: dict[str, str]) -> list[tuple[str, str]]:
    """A supply region's popup rows on its network zone (the zone whose deliverable surplus the region shows): the
    zone, and what limits its surplus in each season; one row saying so where the region is in no zone."""
    zone = _str(row.get("zone"))
    if zone is None:
        return [("Network zone", "none: the region's own figures")]
    return [("Network zone", f"{names.get(zone, zone)} [{zone}]"),
            *[(f"What limits it in {s}", str(text_or(row.get(f"surplus_{s}_binding"), "not stated")))
              for s in ("winter", "summer")],
            *[(f"Cost of serving it, {s}", cost_text(row.get(f"surplus_{s}_cost_pkr_per_kwh"), None,
                                                    row.get(f"surplus_{s}_cost_pkr_per_kwh_low"),
                                                    row.get(f"surplus_{s}_cost_pkr_per_kwh_high")))
              for s in ("winter", "summer") if finite(row.get(f"surplus_{s}_cost_pkr_per_kwh")) is not None]]


def _flow(row: Any) -> float | None:
    f, b = finite(row.get("flow_max_forward_mw")), finite(row.get("flow_max_backward_mw"))
    return None if f is None and b is None else max(f or 0.0, b or 0.0)


def interface_label(row: Any) -> str:
    """The label drawn on an interface's line: its limit with the range and the largest modelled flow (MW)."""
    lo, hi = finite(row.get("limit_mw_low")), finite(row.get("limit_mw_high"))
    limit = number_text(row.get("limit_mw"), ",.0f", unknown="?")
    span = f" ({lo:,.0f}-{hi:,.0f})" if lo is not None and hi is not None else ""
    flow = _flow(row)
    return f"{limit}{span} MW" + (f" · flow {flow:,.0f}" if flow is not None else "")


def interface_rows(row: Any, names: dict[str, str]) -> list[tuple[str, str]]:
    """An interface's popup rows: the zones it joins, its limit with the range, the modelled flows each way, how often
    the flow is at the limit, and the basis (``row``: a row of the interfaces layer)."""
    a, b = str(row["zone_from"]), str(row["zone_to"])
    kind = str(text_or(row.get("kind"), "not stated"))
    fwd, back = finite(row.get("flow_max_forward_mw")), finite(row.get("flow_max_backward_mw"))
    share = finite(row.get("hours_at_limit_share"))
    return [("Between", f"{names.get(a, a)} -> {names.get(b, b)}"),
            ("Limit", format_estimate(row.get("limit_mw"), row.get("limit_mw_low"), row.get("limit_mw_high"), unit="MW",
                                      estimate="estimate" in kind.lower())),
            ("Kind", kind),
            ("Largest modelled flow", "not modelled" if fwd is None and back is None else
             f"{number_text(fwd, ',.0f', 'MW')} {a} -> {b}; {number_text(back, ',.0f', 'MW')} back"),
            ("At its limit", "not modelled" if share is None else
             f"in {share:.0%} of the modelled cases (month x hour type, central model)"),
            ("Basis", str(text_or(row.get("basis"), "not stated")))]
