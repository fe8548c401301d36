"""Small colour ramps for maps and legends (no JavaScript colour libraries needed)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

# Perceptually ordered ramps, low -> high.
SCORE_RAMP = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")      # viridis stops
SURPLUS_RAMP = ("#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac")    # deficit red -> surplus blue
HEAT_RAMP = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")       # cool -> hot


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@lru_cache(maxsize=32)
def _stops(ramp: tuple[str, ...]) -> NDArray[np.float64]:
    """The ramp's stops as an (n, 3) float array, parsed once per ramp (read-only)."""
    stops = np.array([_rgb(c) for c in ramp], dtype=float)
    stops.setflags(write=False)
    return stops


def ramp_rgb(values: NDArray[np.float64], lo: float, hi: float, ramp: tuple[str, ...]) -> NDArray[np.uint8]:
    """(n, 3) RGB for values scaled linearly from lo..hi onto the ramp (clamped); NaN -> grey."""
    v = np.asarray(values, dtype=float)
    t = np.clip((v - lo) / (hi - lo) if hi > lo else np.zeros_like(v), 0, 1)
    stops = _stops(tuple(ramp))
    pos = t * (len(ramp) - 1)
    i = np.clip(np.floor(np.nan_to_num(pos)).astype(int), 0, len(ramp) - 2)
    f = (np.nan_to_num(pos) - i)[:, None]
    rgb = stops[i] * (1 - f) + stops[i + 1] * f
    rgb[np.isnan(v)] = (160, 160, 160)
    return np.round(rgb).astype(np.uint8)


def ramp_hex(value: float, lo: float, hi: float, ramp: tuple[str, ...]) -> str:
    """The ramp's colour for ``value`` on ``lo``..``hi`` (clamped), as #rrggbb."""
    r, g, b = ramp_rgb(np.array([value]), lo, hi, ramp)[0]
    return f"#{r:02x}{g:02x}{b:02x}"


def css_gradient(ramp: tuple[str, ...]) -> str:
    """The ramp as a CSS linear-gradient, for legends."""
    return f"linear-gradient(to right, {', '.join(ramp)})"
