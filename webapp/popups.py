"""The map's popups and tooltips: every value from data HTML-escaped, numbers and ranges as people read them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from sitefinder.model.ranges import format_estimate, number_text, ranged_text, text_or
from sitefinder.report.zones import interface_label, interface_rows, region_zone_rows, site_surplus_rows, zone_rows, zone_tip

Row: TypeAlias = Mapping[str, Any] | pd.Series  # one row of a layer or the shortlist: a frame's row, or a plain dict of it


def esc(value: Any) -> str:
    """Text for HTML: escaped, with blanks shown as an em dash."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return html.escape(str(value), quote=True)


def share_text(r: Any) -> str:
    """A region's share of national demand in per cent, with its range."""
    def pct(key: str) -> float:
        v = r.get(key) if hasattr(r, "get") else None
        return float(v) * 100 if v is not None and pd.notna(v) else float("nan")
    return format_estimate(pct("demand_share"), pct("demand_share_low"), pct("demand_share_high"), fmt=".1f", unit="%",
                           unknown="not applicable")


def popup_html(title: str, rows: list[tuple[str, str]], note: str = "") -> str:
    """A small table; ``title`` and every value must already be plain text (they are escaped here)."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    foot = f"<p>{esc(note)}</p>" if note else ""
    return f"<div class='sf-pop'><b>{esc(title)}</b><table>{body}</table>{foot}</div>"


# Styles for the popups, written once per map instead of into every popup.
POPUP_CSS = ("<style>.sf-pop{font:12px sans-serif;max-width:360px}.sf-pop th{text-align:left;padding-right:8px;"
             "white-space:nowrap;vertical-align:top}.sf-pop p{margin:4px 0 0;color:#555;font-size:11px}</style>")


def sources_text(text: Any, limit: int = 2) -> str:
    """The first ``limit`` sources of a "a ; b | c" source text, and how many more there are."""
    parts = [p.strip() for p in str(text or "").replace(" | ", " ; ").split(" ; ") if p.strip()]
    return " ; ".join(parts[:limit]) + (f" (+{len(parts) - limit} more)" if len(parts) > limit else "") if parts else "—"


def robust_text(r: Row) -> str:
    """How robust a shortlisted site is, in words: how often shortlisted and its rank interval."""
    def place(v: Any) -> str:
        return "beyond" if v is None or pd.isna(v) else f"#{int(v)}"
    return (f"shortlisted in {float(r['p_top_n']):.0%} of draws; rank {place(r.get('rank_p05'))} to "
            f"{place(r.get('rank_p95'))} (median {place(r.get('rank_p50'))})")


def zone_popup(r: pd.Series) -> str:
    """The popup of a network zone (a row of the zones layer)."""
    return popup_html(f"{text_or(r.get('name'), r['zone'])}: network zone", zone_rows(r),
                      note=str(text_or(r.get("surplus_basis"), "")))


def zone_tooltip(r: pd.Series) -> str:
    """A network zone's tooltip, escaped."""
    return esc(zone_tip(r))


def interface_popup(r: pd.Series, names: dict[str, str]) -> str:
    """The popup of an interface between two zones (a row of the interfaces layer)."""
    return popup_html(str(text_or(r.get("name"), r["interface"])), [
        *interface_rows(r, names), ("Source", sources_text(r.get("source")))])


def interface_tooltip(r: pd.Series) -> str:
    """An interface's tooltip: its name, limit with range and modelled flow, escaped."""
    return esc(f"{text_or(r.get('name'), r['interface'])}: {interface_label(r)}")


def region_popup(r: pd.Series, zone_names: dict[str, str]) -> str:
    """A supply region's popup: the network zone it belongs to and that zone's deliverable surplus (which the region
    shows), what limits it and the cost, then the region's own generation and demand share."""
    rows = region_zone_rows(r, zone_names)
    whose = " (its zone's, deliverable)" if isinstance(text_or(r.get("zone"), None), str) else ""
    return popup_html(f"{r['name']} supply region", [
        ("Full name", text_or(r.get("full_name"), r["name"])),
        ("On national grid", "yes" if r["on_national_grid"] else "NO: not connected"),
        rows[0],
        ("Winter surplus" + whose, ranged_text(r, "surplus_winter_mw", "MW", unknown="not applicable")),
        ("Summer surplus" + whose, ranged_text(r, "surplus_summer_mw", "MW", unknown="not applicable")),
        *rows[1:],
        ("Generation, winter", ranged_text(r, "generation_winter_mw", "MW", unknown="not applicable")),
        ("Generation, summer", ranged_text(r, "generation_summer_mw", "MW", unknown="not applicable")),
        ("Share of national demand", share_text(r)),
        ("Demand basis", text_or(r.get("demand_basis"), "not stated")),
        ("Boundary", text_or(r.get("boundary"), "as supplied")),
        ("Source", sources_text(r.get("source"))),
    ], note=str(text_or(r.get("surplus_basis"), "")))


def site_popup(r: Row) -> str:
    """The popup of a ranked site: place, score, connection point, its zone's surplus, what limits it, the cost of
    serving it, and climate."""
    return popup_html(f"#{int(r['rank'])}: score {float(r['score']):.1f}", [
        ("Place", ", ".join(str(v) for v in (r.get("district"), r.get("province")) if isinstance(v, str)) or r["candidate_id"]),
        ("Connection", f"{text_or(r.get('grid_node'), '—')}"),
        ("Voltage", number_text(r.get("grid_voltage_kv"), ".0f", "kV", "not published")),
        ("Distance to node", ranged_text(r, "grid_distance_km", "km", fmt=".1f", estimate=False)),
        ("Headroom", number_text(r.get("grid_headroom_mw"), ",.0f", "MW", "unknown")),
        *site_surplus_rows(r),
        ("Hours above 35 °C", ranged_text(r, "hours_above_35c", "h/yr")),
        ("Cooling degree days", ranged_text(r, "cooling_degree_days", "°C·day")),
        ("Data gaps", text_or(r.get("data_gaps"), "none")),
        *([("Robustness", robust_text(r))] if "p_top_n" in r and pd.notna(r["p_top_n"]) else []),
    ])

