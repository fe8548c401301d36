"""The map's popups and tooltips: every value from data HTML-escaped, numbers and ranges as people read them.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from sitefinder.model.ranges import format_estimate, number_text, ranged_text, text_or


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


def robust_text(r: pd.Series) -> str:
    """How robust a shortlisted site is, in words: how often shortlisted and its rank interval."""
    def place(v: Any) -> str:
        return "beyond" if v is None or pd.isna(v) else f"#{int(v)}"
    return (f"shortlisted in {float(r['p_top_n']):.0%} of draws; rank {place(r.get('rank_p05'))} to "
            f"{place(r.get('rank_p95'))} (median {place(r.get('rank_p50'))})")


def site_popup(r: pd.Series) -> str:
    """The popup of a ranked site: place, score, connection point, region surplus and climate."""
    return popup_html(f"#{int(r['rank'])}: score {float(r['score']):.1f}", [
        ("Place", ", ".join(str(v) for v in (r.get("district"), r.get("province")) if isinstance(v, str)) or r["candidate_id"]),
        ("Connection", f"{text_or(r.get('grid_node'), '—')}"),
        ("Voltage", number_text(r.get("grid_voltage_kv"), ".0f", "kV", "not published")),
        ("Distance to node", ranged_text(r, "grid_distance_km", "km", fmt=".1f", estimate=False)),
        ("Headroom", number_text(r.get("grid_headroom_mw"), ",.0f", "MW", "unknown")),
        ("Region surplus", f"{ranged_text(r, 'region_surplus_mw', 'MW')} in {text_or(r.get('region'), '—')}"),
        ("Hours above 35 °C", ranged_text(r, "hours_above_35c", "h/yr")),
        ("Cooling degree days", ranged_text(r, "cooling_degree_days", "°C·day")),
        ("Data gaps", text_or(r.get("data_gaps"), "none")),
        *([("Robustness", robust_text(r))] if "p_top_n" in r and pd.notna(r["p_top_n"]) else []),
    ])

