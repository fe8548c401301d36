"""A brief to hand round: one self-contained HTML file for a shortlist or a programme, that prints well to PDF.

It holds a map (inline SVG), the table, a card per site (score and why, connection point, region and
surplus, climate, land, data gaps, and what the programme gave it or how robust it is, when known), the
assumptions behind every estimate, and every source of every layer. Nothing is fetched: no scripts, no
fonts, no images from elsewhere, so it opens and prints offline. Every value from data or users is escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any

import geopandas as gpd
import pandas as pd

from sitefinder import __version__
from sitefinder.data.dataset import Dataset
from sitefinder.economics.text import figure_lines, margin_headline, parameter_rows
from sitefinder.model.ranges import compact_estimate, number_text, ranged_text
from sitefinder.model.vocabulary import CRITERIA
from sitefinder.report.staticmap import site_map_svg

CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.4 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 1px solid #ccc; }
h3 { font-size: 11pt; margin: 0 0 1.5mm; } .muted { color: #555; } .small { font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #ddd; padding: 1.2mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #f0f3f6; } td.n, th.n { text-align: right; white-space: nowrap; }
.summary { display: flex; gap: 4mm; flex-wrap: wrap; margin: 3mm 0; }
.summary div { border: 1px solid #ddd; border-radius: 2mm; padding: 2mm 3mm; min-width: 30mm; }
.summary b { display: block; font-size: 13pt; }
.card { border: 1px solid #ccc; border-radius: 2mm; padding: 3mm; margin: 0 0 3mm; break-inside: avoid; page-break-inside: avoid; }
.cards { columns: 2; column-gap: 4mm; } .card table { font-size: 8pt; }
.bar { display: inline-block; height: 2.2mm; background: #3b6fb6; vertical-align: middle; }
.map { break-inside: avoid; border: 1px solid #ddd; }
.headline { border-left: 1.5mm solid #3b6fb6; padding: 1.5mm 3mm; background: #f0f3f6; }
.headline.loses { border-left-color: #b2182b; background: #fbeaea; }
@media print { a { color: inherit; text-decoration: none; } .pagebreak { break-before: page; } }
"""


RANGED_IN_TABLE = ("grid_distance_km", "cost_usd_per_mwh", "region_surplus_mw")  # estimates the sites table shows with their ranges


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any, fmt: str = ",.1f", unit: str = "", unknown: str = "unknown") -> str:
    return number_text(value, fmt, unit, unknown)


def _ranged(r: pd.Series, col: str, unit: str, fmt: str = ",.0f", estimate: bool = True) -> str:
    return ranged_text(r, col, unit, fmt=fmt, estimate=estimate) if col in r else "not scored"


def _place(r: pd.Series) -> str:
    return ", ".join(str(v) for v in (r.get("district"), r.get("province")) if isinstance(v, str)) or str(r["candidate_id"])


def _label(value: Any) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return "-"


def _rows_html(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in pairs)


def site_card_html(r: pd.Series, criteria: list[str], economics: dict[str, Any] | None = None) -> str:
    """One site's card: why it scores what it does, what it rests on, and (with the run's ``economics`` block) what
    it costs and earns."""
    head = f"#{_label(r.get('rank'))} · {_place(r)}"
    pairs = [("Score", _num(r.get("score"), ".1f") + " of 100"), ("Site", str(r["candidate_id"])),
             ("Location", f"{float(r['lat']):.4f}° N, {float(r['lon']):.4f}° E")]
    if "placed_mw" in r:
        pairs += [("Placed", _num(r["placed_mw"], ",.0f", "MW") + f" (limited by {r['binding_limit']})"),
                  ("At the low estimate", _num(r["placed_mw_at_low"], ",.0f", "MW")),
                  ("Runs", f"{r['months_running']} ({int(r['months_count'])} months)")]
    if "p_top_n" in r and pd.notna(r["p_top_n"]):
        pairs += [("Robustness", f"shortlisted in {float(r['p_top_n']):.0%} of draws; rank {_label(r.get('rank_p05'))} to "
                               f"{_label(r.get('rank_p95'))} in 5-95 % of them")]
    pairs += [
        ("Connection point", f"{r.get('grid_node')} ({_num(r.get('grid_voltage_kv'), '.0f', 'kV', 'voltage not published')})"),
        ("Distance to node", _ranged(r, "grid_distance_km", "km", ".1f", estimate=False)),
        ("Node headroom", _num(r.get("grid_headroom_mw"), ",.0f", "MW", "unknown (not published)")),
        ("Region", f"{r.get('region')}: {_ranged(r, 'region_surplus_mw', 'MW')} surplus ({r.get('surplus_season', '')})"),
    ]
    for col in ("hours_above_35c", "cooling_degree_days", "hottest_month_tmax_c"):
        if col in r and col in CRITERIA:
            pairs.append((CRITERIA[col].label, _ranged(r, col, CRITERIA[col].unit, ",.1f" if col.endswith("_c") else ",.0f")))
    if economics and "pue" in r:
        pairs += figure_lines(r, economics)
    pairs.append(("Data gaps", str(r.get("data_gaps") or "none")))
    bars = []
    for c in criteria:
        v = r.get(f"contrib_{c}")
        if v is None or pd.isna(v):
            continue
        label = CRITERIA[c].label if c in CRITERIA else c
        bars.append(f"<tr><td>{_e(label)}</td><td class='n'>{float(v):.1f}</td>"
                    f"<td><span class='bar' style='width:{max(0.0, float(v)) * 1.6:.1f}mm'></span></td></tr>")
    return (f"<div class='card'><h3>{_e(head)}</h3><table>{_rows_html(pairs)}</table>"
            f"<p class='small muted'>Points each criterion adds to the score:</p><table>{''.join(bars)}</table></div>")


def _sources(dataset: Dataset) -> str:
    rows = []
    for kind, frame in dataset.layers.items():
        src = frame["source"].dropna().astype(str) if "source" in frame else pd.Series(dtype=str)
        parts = sorted({p.strip() for v in src for p in v.replace(" | ", " ; ").split(" ; ") if p.strip()})
        rows.append(f"<tr><td>{_e(kind)}</td><td>{_e(dataset.file_label(kind) or '')}</td><td class='n'>{len(frame):,}</td>"
                    f"<td>{'<br>'.join(_e(p) for p in parts) or '<span class=muted>none stated</span>'}</td></tr>")
    return ("<table><tr><th>layer</th><th>file</th><th class='n'>features</th><th>sources</th></tr>" + "".join(rows)
            + "</table>")


def _assumptions(meta: dict[str, Any]) -> str:
    parts = []
    a = meta.get("assumptions", {})
    params = a.get("parameters", [])
    if params:
        keys = [k for k in ("name", "value", "low", "high", "unit", "basis") if any(k in p for p in params)]
        parts.append("<table><tr>" + "".join(f"<th>{_e(k)}</th>" for k in keys) + "</tr>" + "".join(
            "<tr>" + "".join(f"<td>{_e(p.get(k, ''))}</td>" for k in keys) + "</tr>" for p in params) + "</table>")
    for key, label in (("climate_interpolation", "Climate interpolation"), ("grid_location", "Grid node locations")):
        if a.get(key):
            parts.append(f"<p><b>{label}:</b> {_e(a[key])}</p>")
    for key in ("estimates", "ranges"):
        if meta.get(key):
            parts.append(f"<p class='small'>{_e(meta[key])}</p>")
    figures = meta.get("figures")
    if figures:
        parts.append("<h3>What each figure is</h3><table><tr><th>column</th><th>kind</th><th>range</th><th>basis</th></tr>"
                     + "".join(f"<tr><td>{_e(name)}</td><td>{_e(f.get('kind', ''))}</td>"
                               f"<td>{'low-high' if f.get('range') else ''}</td><td>{_e(f.get('basis', ''))}</td></tr>"
                               for name, f in figures.items()) + "</table>")
    econ = meta.get("economics")
    if econ:
        parts.append("<h3>Cost model</h3><p class='small'>" + _e(econ.get("model", "")) + ". Left out: "
                     + _e(econ.get("left_out", "")) + ".</p><table><tr><th>parameter</th><th>value</th><th>range</th>"
                     "<th>source</th></tr>" + "".join(f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td>{_e(c)}</td><td>{_e(d)}</td></tr>"
                                                     for a, b, c, d in parameter_rows(econ)) + "</table>")
    alloc = meta.get("programme")
    if alloc:
        parts.append("<h3>Programme rules</h3><table>" + _rows_html([(k.replace('_', ' '), str(v)) for k, v in
                                                                      alloc.get("rules", {}).items()]) + "</table>")
    rob = meta.get("robustness")
    if rob:
        parts.append("<h3>How the draws were made</h3><table>" + _rows_html([
            ("draws, seed", f"{rob.get('draws')}, {rob.get('seed')}"),
            ("weights", f"{rob['weights']['distribution']}; spread {rob['weights']['spread_percent']} %"),
            ("region surplus", f"{rob['region_surplus']['distribution']}; {rob['region_surplus']['unit']}"),
            ("climate", f"{rob['climate']['distribution']}; {rob['climate']['unit']}"),
            ("grid node place", f"{rob['grid_node_place']['distribution']}; {rob['grid_node_place']['unit']}"),
            ("unknown headroom", rob["unknown_headroom"]["rule"])]) + "</table>")
    return "".join(parts)


def brief_html(frame: gpd.GeoDataFrame, metadata: dict[str, Any], dataset: Dataset, *, kind: str, title: str) -> str:
    """The brief as one HTML document (``kind``: "shortlist" or "programme")."""
    meta = metadata
    criteria = list(meta.get("weights", {}))
    frame = frame.copy()
    frame["label"] = [_label(v) for v in frame.get("rank", pd.Series([None] * len(frame)))]
    svg = site_map_svg(dataset["study_area"], frame, regions=dataset.get("supply_regions"),
                       exclusions=dataset.get("exclusions"), nodes=dataset.get("grid_nodes"), label="label")
    weights = meta.get("weights_normalised", {})
    settings = [("Profile", f"{meta.get('profile_title', meta.get('profile'))} ({meta.get('profile')})"),
                ("Facility size", _num(meta.get("facility_mw"), ",.0f", "MW")),
                ("Surplus season", str(meta.get("season", "")).replace("_", "-")),
                ("Weights", ", ".join(f"{CRITERIA[k].label if k in CRITERIA else k} {float(v):.0%}" for k, v in weights.items())),
                ("Constraints", "; ".join(str(c) for c in meta.get("constraints", []))),
                ("Candidates", f"{meta.get('candidate_count', 0):,} ({meta.get('candidates', '')}), "
                               f"{meta.get('feasible_count', 0):,} pass every constraint"),
                ("Data", f"{meta.get('dataset', {}).get('name', '')}, version {meta.get('dataset', {}).get('version', '')}"),
                ("Made with", f"{meta.get('generator', f'sitefinder {__version__}')}"
                              + (f", {meta['generated_at']}" if meta.get("generated_at") else ""))]
    alloc = meta.get("programme")
    summary = [("Sites", f"{len(frame)}")]
    if alloc:
        summary = [("Placed", f"{alloc['placed_mw_total']:,.0f} of {alloc['target_mw']:,.0f} MW"),
                   ("Sites", f"{alloc['sites']}"), ("Firm at the low estimate", f"{alloc['firm_mw_at_low_estimate']:,.0f} MW")]
    elif len(frame) and "score" in frame:
        summary.append(("Best score", _num(frame["score"].max(), ".1f")))
    cols = [("rank", "#", "n"), ("district", "district", ""), ("province", "province", ""), ("score", "score", "n")]
    if alloc:
        cols += [("placed_mw", "MW", "n"), ("placed_mw_at_low", "MW at low", "n"), ("binding_limit", "limited by", ""),
                 ("months_running", "runs", "")]
    if "p_top_n" in frame:
        cols += [("p_top_n", "shortlisted", "n")]
    cols += [("grid_node", "connection point", ""), ("grid_distance_km", "km to node (range)", "n"), ("region", "region", ""),
             ("zone", "network zone", "")]
    if "region_surplus_mw" in frame and "placed_mw" not in frame:
        cols += [("region_surplus_mw", "surplus MW (est., range)", "n")]
    if "cost_usd_per_mwh" in frame:
        cols += [("cost_usd_per_mwh", "USD/MWh (est., range)", "n")]
    head = "".join(f"<th class='{c}'>{_e(t)}</th>" for _, t, c in cols)
    body = []
    for _, r in frame.iterrows():
        cells = []
        for col, _, c in cols:
            v = r.get(col)
            if col == "rank":
                text = _label(v)
            elif col == "p_top_n":
                text = "" if v is None or pd.isna(v) else f"{float(v):.0%}"
            elif col in RANGED_IN_TABLE and col + "_low" in r:
                text = compact_estimate(v, r.get(col + "_low"), r.get(col + "_high"),
                                        ",.0f" if col == "region_surplus_mw" else ",.1f", unknown="")
            elif isinstance(v, float):
                text = _num(v, ",.1f" if col in ("score", "grid_distance_km") else ",.0f", unknown="")
            else:
                text = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            cells.append(f"<td class='{c}'>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    stop = f"<p><b>Stopped because:</b> {_e(alloc['stopped_because'])}</p>" if alloc else ""
    if alloc and alloc.get("network_check"):
        stop += "".join(f"<p><b>Network check:</b> {_e(c['text'])}</p>" for c in alloc["network_check"])
    money = margin_headline(frame, meta.get("economics") or {},
                            ("site in the programme", "sites in the programme") if alloc else ("shortlisted site", "shortlisted sites"))
    if money is not None:
        stop = f"<p class='headline{' loses' if money.loses_everywhere else ''}'>{_e(money.text)}</p>" + stop
    cards = "".join(site_card_html(r, criteria, meta.get("economics")) for _, r in frame.iterrows())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}: {_e(kind)} brief</title>
<meta name="generator" content="sitefinder {_e(__version__)}"><style>{CSS}</style></head>
<body>
<h1>{_e(title)}: {_e(kind)}</h1>
<p class="muted">Where surplus electricity could run it, ranked by sitefinder's weighted multi-criteria score. Estimates
show their low-high range, or say they have none; grid headroom is unknown unless stated.</p>
<div class="summary">{''.join(f"<div>{_e(k)}<b>{_e(v)}</b></div>" for k, v in summary)}</div>
{stop}
<div class="map">{svg}</div>
<p class="small muted">Sites are numbered as in the table and coloured by score (purple low, yellow high). Grey: exclusion
zones. Blue lines: supply regions. Small dots: grid nodes by voltage (purple 765, red 500, orange 220 kV, grey not
published).</p>
<h2>Settings</h2><table>{_rows_html(settings)}</table>
<h2>Sites</h2><table><tr>{head}</tr>{''.join(body)}</table>
<h2 class="pagebreak">Site by site</h2><div class="cards">{cards}</div>
<h2 class="pagebreak">Assumptions behind the estimates</h2>{_assumptions(meta)}
<h2>Sources</h2>{_sources(dataset)}
<p class="small muted">Made by sitefinder {_e(__version__)}. The same settings give the same table in the app and on the
command line (sitefinder rank / programme).</p>
</body></html>
"""
