"""Surplus by month: each supply region's surplus for the twelve months (MW), from its monthly columns or its
winter and summer figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.model.vocabulary import MONTHLY, SUMMER_MONTHS, WINTER_MONTHS


def monthly_surplus(regions: pd.DataFrame, end: str = "") -> NDArray[np.float64]:
    """Each region's surplus by month, (R, 12) MW: its monthly columns where given, else winter for Oct-Mar and
    summer for Apr-Sep. ``end`` = "_low" or "_high" takes that end of the ranges (the central value where a
    region has no range)."""
    out = np.full((len(regions), 12), np.nan)
    for season, months in (("winter", WINTER_MONTHS), ("summer", SUMMER_MONTHS)):
        col = f"surplus_{season}_mw"
        central = regions[col].to_numpy(float)
        value = regions[col + end].to_numpy(float) if end and col + end in regions else central
        value = np.where(np.isfinite(value), value, central)
        for m in months:
            out[:, m - 1] = value
    if all(c in regions for c in MONTHLY) and not end:
        monthly = regions[list(MONTHLY)].to_numpy(float)
        out = np.where(np.isfinite(monthly), monthly, out)
    return out

