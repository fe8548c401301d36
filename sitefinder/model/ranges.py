"""Estimates with their ranges, and numbers as people read them: column names, checks and words.

Every estimated figure travels as three columns: ``<name>`` (the central value), ``<name>_low`` and
``<name>_high``. A blank low/high means no range is known (for example a user's layer that gives none):
it is never read as zero, and an unknown value stays unknown.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

LOW, HIGH = "_low", "_high"

# Columns that carry a range wherever they appear (layers, criteria matrix, exports).
RANGED_COLUMNS = (
    "region_surplus_mw", "surplus_winter_mw", "surplus_summer_mw",
    "hottest_month_tmax_c", "cooling_degree_days", "hours_above_35c", "free_cooling_months", "annual_mean_temp_c",
    "grid_distance_km", "cost_usd_per_mwh",
)


def low(name: str) -> str:
    """The column holding the low end of ``name``'s range."""
    return name + LOW


def high(name: str) -> str:
    """The column holding the high end of ``name``'s range."""
    return name + HIGH


def range_columns(names: tuple[str, ...] | list[str]) -> list[str]:
    """``name, name_low, name_high`` for each name, in that order."""
    return [c for n in names for c in (n, low(n), high(n))]


def finite(value: Any) -> float | None:
    """``value`` as a float, or None where it is missing, not a number, NaN or infinite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def number_text(value: Any, fmt: str = ",.0f", unit: str = "", unknown: str = "unknown") -> str:
    """A number as people read it ("1,240 MW"), or ``unknown`` where there is none: the one "number or unknown"
    of the card, the comparison, the map's popups, the brief and the command line."""
    v = finite(value)
    return unknown if v is None else f"{format(v, fmt)}{' ' + unit if unit else ''}"


def text_or(value: Any, default: Any = "") -> Any:
    """``value`` unless it is missing (None, NaN, pandas NA) or empty, else ``default``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == "":
        return default
    return value


def ranged_text(row: Any, column: str, unit: str, *, fmt: str = ",.0f", estimate: bool = True,
                unknown: str = "unknown") -> str:
    """``row[column]`` with its ``_low``/``_high`` as people read it: "1,240 MW (estimate, 800-1,500)"."""
    get = row.get if hasattr(row, "get") else (lambda _k, _d=None: None)
    return format_estimate(get(column), get(low(column)), get(high(column)), fmt=fmt, unit=unit, estimate=estimate,
                           unknown=unknown)


def format_estimate(value: Any, lo: Any = None, hi: Any = None, *, fmt: str = ",.0f", unit: str = "",
                    estimate: bool = True, unknown: str = "unknown") -> str:
    """A figure as people read it: ``1,240 MW (estimate, 800-1,500)``.

    ``estimate=False`` drops the word "estimate" (a measured distance with a location range, say). A
    missing range says so instead of inventing one; a missing value is ``unknown``.
    """
    v = finite(value)
    if v is None:
        return unknown
    text = f"{format(v, fmt)}{' ' + unit if unit else ''}"
    span = span_text(lo, hi, fmt)
    if span:
        return f"{text} ({'estimate, ' if estimate else 'range '}{span})"
    return f"{text} (estimate, no range given)" if estimate else text


def span_text(lo: Any, hi: Any, fmt: str = ",.0f") -> str:
    """A range as people read it: "800-1,500", "-3.2 to 4.1" where an end is negative; "" where an end is missing."""
    a, b = finite(lo), finite(hi)
    if a is None or b is None:
        return ""
    return f"{format(a, fmt)} to {format(b, fmt)}" if a < 0 or b < 0 else f"{format(a, fmt)}-{format(b, fmt)}"


def compact_estimate(value: Any, lo: Any = None, hi: Any = None, fmt: str = ",.0f", *, unknown: str = "?") -> str:
    """An estimate for a narrow table column: "1,234 (900-1,500)", "1,234 (no range)" where no range is known,
    ``unknown`` where there is no value."""
    v = finite(value)
    if v is None:
        return unknown
    return f"{format(v, fmt)} ({span_text(lo, hi, fmt) or 'no range'})"


def out_of_order(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Rows where ``name_low <= name <= name_high`` does not hold (blank cells are not checked)."""
    if name not in frame or low(name) not in frame or high(name) not in frame:
        return np.zeros(len(frame), dtype=bool)
    v = frame[name].to_numpy(dtype=float)
    a = frame[low(name)].to_numpy(dtype=float)
    b = frame[high(name)].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = (a > v + 1e-9) | (v > b + 1e-9) | (a > b + 1e-9)
    return np.asarray(bad & np.isfinite(v) & np.isfinite(a) & np.isfinite(b), dtype=bool)
