"""Value functions: map a criterion's raw values onto 0..1 on a fixed domain.

The domain does not move with the data on screen, so a score means the same thing everywhere.
Values outside the domain clamp. A small registry keyed by name, one entry point (``make``), and a
clear error listing the valid names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitefinder.errors import Problem


@dataclass(frozen=True)
class ValueFunction:
    """A monotone or categorical mapping from raw values to 0..1 (1 = best)."""

    kind: str
    direction: str  # "benefit" (more is better) or "cost" (less is better)
    domain: tuple[float, float] = (0.0, 1.0)
    points: tuple[tuple[float, float], ...] = ()
    categories: tuple[tuple[float, float], ...] = ()
    default: float = float("nan")
    _fn: Callable[[NDArray[np.float64]], NDArray[np.float64]] = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __call__(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values in 0..1; NaN stays NaN (missing is handled by the scoring engine, never as zero)."""
        x = np.asarray(raw, dtype=float)
        out = _KINDS[self.kind][0](self, x)
        return np.where(np.isnan(x), np.nan, out)

    def describe(self) -> str:
        """The value function in words, e.g. 'linear 0..75 (cost)'."""
        if self.kind == "linear":
            lo, hi = self.domain
            best, worst = (hi, lo) if self.direction == "benefit" else (lo, hi)
            return f"linear: {worst:g} scores 0, {best:g} scores 1"
        if self.kind == "piecewise":
            return "piecewise: " + ", ".join(f"{x:g}→{v:g}" for x, v in self.points)
        return "categorical: " + ", ".join(f"{x:g}→{v:g}" for x, v in self.categories)


def _linear(vf: ValueFunction, x: NDArray[np.float64]) -> NDArray[np.float64]:
    lo, hi = vf.domain
    v = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return v if vf.direction == "benefit" else 1.0 - v


def _piecewise(vf: ValueFunction, x: NDArray[np.float64]) -> NDArray[np.float64]:
    xs = np.array([p[0] for p in vf.points])
    vs = np.array([p[1] for p in vf.points])
    return np.interp(x, xs, vs)


def _categorical(vf: ValueFunction, x: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(x.shape, vf.default)
    for key, value in vf.categories:
        out[x == key] = value
    return out


def _check_linear(spec: Mapping[str, Any], where: str) -> list[Problem]:
    dom = spec.get("domain")
    if not (isinstance(dom, (list, tuple)) and len(dom) == 2 and all(isinstance(v, (int, float)) for v in dom)
            and dom[0] < dom[1]):
        return [Problem(where, f"domain {dom!r} is not two increasing numbers.", "Write domain = [low, high].")]
    return []


def _check_piecewise(spec: Mapping[str, Any], where: str) -> list[Problem]:
    pts = spec.get("points")
    ok = isinstance(pts, (list, tuple)) and len(pts) >= 2 and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p) for p in pts)
    if not ok or pts is None:
        return [Problem(where, "points must be a list of [raw, value] pairs (two or more).",
                        "Write points = [[0, 1.0], [50, 0.5], [100, 0.0]].")]
    xs = [p[0] for p in pts]
    vs = [p[1] for p in pts]
    problems = []
    if any(b <= a for a, b in zip(xs, xs[1:])):
        problems.append(Problem(where, "raw values in points must increase.", "Sort the points by raw value."))
    if any(not 0 <= v <= 1 for v in vs):
        problems.append(Problem(where, "point values must lie in 0..1.", "Use 0 for worst and 1 for best."))
    return problems


def _check_categorical(spec: Mapping[str, Any], where: str) -> list[Problem]:
    cats = spec.get("categories")
    if not (isinstance(cats, Mapping) and cats):
        return [Problem(where, "categories must be a table of value = score.", 'Write categories = { "0" = 1.0, "1" = 0.0 }.')]
    problems = []
    for k, v in cats.items():
        try:
            float(k)
        except ValueError:
            problems.append(Problem(where, f"category '{k}' is not a number.", "Categories are numeric codes, e.g. 0 and 1."))
        if not isinstance(v, (int, float)) or not 0 <= v <= 1:
            problems.append(Problem(where, f"category '{k}' has score {v!r}, not in 0..1.", "Use 0 for worst and 1 for best."))
    return problems


_KINDS: dict[str, tuple[Callable[[ValueFunction, NDArray[np.float64]], NDArray[np.float64]],
                        Callable[[Mapping[str, Any], str], list[Problem]]]] = {
    "linear": (_linear, _check_linear),
    "piecewise": (_piecewise, _check_piecewise),
    "categorical": (_categorical, _check_categorical),
}
KINDS = tuple(_KINDS)


def make(spec: Mapping[str, Any], direction: str, where: str) -> tuple[ValueFunction | None, list[Problem]]:
    """Build a value function from a profile's table, or return the problems with it."""
    kind = spec.get("kind")
    if kind not in _KINDS:
        return None, [Problem(where, f"value function kind {kind!r} is not known.", f"Use one of: {', '.join(KINDS)}.")]
    problems = _KINDS[kind][1](spec, where)
    if problems:
        return None, problems
    if kind == "linear":
        return ValueFunction("linear", direction, domain=(float(spec["domain"][0]), float(spec["domain"][1]))), []
    if kind == "piecewise":
        pts = tuple((float(a), float(b)) for a, b in spec["points"])
        return ValueFunction("piecewise", direction, points=pts), []
    cats = tuple(sorted((float(k), float(v)) for k, v in spec["categories"].items()))
    return ValueFunction("categorical", direction, categories=cats, default=float(spec.get("default", float("nan")))), []
