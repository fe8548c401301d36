"""What a ranking was made from, for the top-level ``metadata`` of every export: profile, weights,
constraints, candidates, dataset and its assumptions.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd

from sitefinder import __version__
from sitefinder.data.dataset import Dataset
from sitefinder.measure.climate import ClimateSettings
from sitefinder.model.figures import FIGURES
from sitefinder.rank.scoring import ScoreResult
from sitefinder.rank.study import Study


def run_metadata(study: Study, result: ScoreResult, *, top: int, max_per_node: int, province: str | None,
                 scenario: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce and to trust the run (``scenario``: the app's URL parameters)."""
    prof = result.profile
    params = prof.params()
    ds = study.dataset
    memo = study.memo_for_data("layer sources")  # the dataset never changes under a study: read its sources once
    if "sources" not in memo:
        memo["sources"] = layer_sources(ds)
    sources = memo["sources"]
    return {
        "generator": f"sitefinder {__version__}",
        "generated_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "profile": prof.name,
        "profile_title": prof.title,
        "profile_source": prof.source,
        "facility_mw": prof.facility_mw,
        "season": prof.season,
        "weights": {c.name: c.weight for c in prof.criteria},
        "weights_normalised": {n: round(float(w), 6) for n, w in zip(result.criteria, result.weights)},
        "value_functions": {c.name: c.value.describe() for c in prof.criteria},
        "missing_rules": {c.name: c.missing for c in prof.criteria},
        "constraints": [c.describe(params) for c in prof.constraints],
        "grid_rule": {"min_voltage_kv": prof.node_rule.min_voltage_kv, "statuses": list(prof.node_rule.statuses),
                      "allow_unknown_voltage": prof.node_rule.allow_unknown_voltage},
        "candidates": study.candidates.kind,
        "resolution": study.candidates.resolution,
        "candidate_count": len(study.candidates),
        "feasible_count": result.n_feasible,
        "excluded_by": result.failure_counts(),
        "shortlist": {"top": top, "max_per_node": max_per_node, "province": province},
        "aggregation": "weighted sum (score, 0-100); TOPSIS closeness (topsis_score, 0-100) as a cross-check",
        "dataset": {"name": ds.name, "version": ds.version, "layers": sources},
        "scenario": scenario or {},
        "estimates": "each row's estimates column names every figure in it that is an estimate (the others are "
                     "given by a layer, a source or you, measured from given positions, or the ranking itself); "
                     "a shortlist's figures block says how each is made. The dataset README says how the data's "
                     "estimates were made",
        "ranges": "an estimate <name> with a range has <name>_low and <name>_high: "
                  + ", ".join(f.name for f in FIGURES.values() if f.ranged)
                  + ". Blank = no range known (never zero); an estimate without these columns has no range",
        "assumptions": dataset_assumptions(ds),
        "economics": {**prof.economics.metadata(), "facility_mw": prof.facility_mw,
                      "unknown_voltage_priced_at_kv": prof.node_rule.min_voltage_kv},
    }


def layer_sources(ds: Dataset) -> dict[str, dict[str, Any]]:
    """For each layer of ``ds``: its file, its number of features and up to 12 of the sources its rows name."""
    sources = {}
    for kind, frame in ds.layers.items():
        src = frame["source"].dropna().astype(str) if "source" in frame else pd.Series(dtype=str)
        sources[kind] = {
            "file": ds.file_label(kind),
            "features": int(len(frame)),
            "sources": sorted({s for v in src for s in str(v).replace(" | ", " ; ").split(" ; ") if s.strip()})[:12],
        }
    return sources


def dataset_assumptions(dataset: Dataset) -> dict[str, Any]:
    """Every assumption behind the dataset's estimates, with its value and range, from ``dataset.toml``,
    and how the climate interpolation was made and how well it predicts the stations (leave-one-out)."""
    manifest = dataset.manifest or {}
    settings = ClimateSettings.from_manifest(manifest)
    return {
        "parameters": [dict(a) for a in manifest.get("assumptions", [])],
        "climate_interpolation": settings.describe(),
        "climate_leave_one_out": manifest.get("climate_check", {}),
        "grid_location": "a node's true place may be up to its location_error_km from its mapped point, so "
                         "grid_distance_km_low/high = distance -/+ that error",
    }

