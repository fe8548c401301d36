"""A scenario: every setting a user can change, as plain data that round-trips through a URL query
string and a JSON file. Applying it to a built-in profile gives the profile that is scored, so the app
and the command line get identical results for identical settings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .candidates import MAX_RESOLUTION, MIN_RESOLUTION
from .criteria import CRITERIA, SEASONS
from .errors import Problem, ProfileError
from .profiles import Profile, builtin_profile_names, load_profile

SCENARIO_VERSION = 1
MAX_SELECTED = 5
LAND_EXCLUSION = "land_excluded"
TOWN_SETBACK = "town_distance_km"


def _fmt(value: float) -> str:
    """A number for a URL: short, but exact enough to round-trip what a person typed."""
    return format(float(value), ".12g")


@dataclass(frozen=True)
class Scenario:
    """All user settings. ``None`` means "the profile's default"."""

    profile: str = "bitcoin_mine"
    mw: float | None = None
    season: str | None = None
    weights: dict[str, float] = field(default_factory=dict)
    max_grid_km: float | None = None
    min_voltage_kv: float | None = None
    land_exclusions: bool = True
    town_setback: bool = True
    resolution: int = 6
    top: int = 20
    max_per_node: int = 2
    province: str | None = None
    focus: str | None = None             # the site whose card is open
    selected: tuple[str, ...] = ()       # sites picked for side-by-side comparison (2-5)

    def apply(self, base: Profile | None = None) -> Profile:
        """The profile to score: the named profile with this scenario's changes."""
        p = base or load_profile(self.profile)
        if self.mw is not None:
            p = p.with_facility_mw(self.mw)
        if self.season is not None:
            p = p.with_season(self.season)
        if self.weights:
            p = p.with_weights(dict(self.weights))  # a weight for a criterion the profile lacks is an error
        if self.max_grid_km is not None and any(c.column == "grid_distance_km" for c in p.constraints):
            p = p.with_constraint_value("grid_distance_km", self.max_grid_km)
        if self.min_voltage_kv is not None:
            p = p.with_node_rule(min_voltage_kv=float(self.min_voltage_kv))
        dropped = set()
        if not self.land_exclusions:
            dropped.add(LAND_EXCLUSION)
        if not self.town_setback:
            dropped.add(TOWN_SETBACK)
        return p.without_constraints(dropped) if dropped else p

    def canonical(self, base: Profile | None = None) -> "Scenario":
        """The same scenario with every value that equals the profile's default left out (so the app and
        the command line describe identical settings identically)."""
        p = base or load_profile(self.profile)
        grid = next((c for c in p.constraints if c.column == "grid_distance_km"), None)
        return replace(
            self,
            mw=None if self.mw is not None and float(self.mw) == p.facility_mw else self.mw,
            season=None if self.season == p.season else self.season,
            weights={k: v for k, v in self.weights.items() if p.weights.get(k) != float(v)},
            max_grid_km=None if grid is not None and self.max_grid_km is not None
            and float(self.max_grid_km) == grid.threshold(p.params()) else self.max_grid_km,
            min_voltage_kv=None if self.min_voltage_kv is not None
            and float(self.min_voltage_kv) == p.node_rule.min_voltage_kv else self.min_voltage_kv,
        )

    def settings(self) -> "Scenario":
        """The same scenario without what is only a view (open card, comparison picks)."""
        return replace(self, focus=None, selected=())

    # -- query string ---------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Short, readable URL parameters; defaults are left out."""
        d = Scenario()
        q: dict[str, str] = {"profile": self.profile}
        if self.mw is not None:
            q["mw"] = _fmt(self.mw)
        if self.season is not None:
            q["season"] = self.season
        for k, v in sorted(self.weights.items()):
            q[f"w.{k}"] = _fmt(v)
        if self.max_grid_km is not None:
            q["max_km"] = _fmt(self.max_grid_km)
        if self.min_voltage_kv is not None:
            q["min_kv"] = _fmt(self.min_voltage_kv)
        if self.land_exclusions != d.land_exclusions:
            q["excl"] = "0"
        if self.town_setback != d.town_setback:
            q["setback"] = "0"
        for key, val, default in (("res", self.resolution, d.resolution), ("top", self.top, d.top),
                                  ("per_node", self.max_per_node, d.max_per_node)):
            if val != default:
                q[key] = str(val)
        if self.province:
            q["province"] = self.province
        if self.focus:
            q["site"] = self.focus
        if self.selected:
            q["cmp"] = ",".join(self.selected)
        return q

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple["Scenario", list[Problem]]:
        """Parse URL parameters. Bad values are dropped (defaults kept) and reported, never fatal."""
        raw: dict[str, Any] = {"weights": {}}
        simple = {"profile": "profile", "mw": "mw", "season": "season", "max_km": "max_grid_km",
                  "min_kv": "min_voltage_kv", "res": "resolution", "top": "top", "per_node": "max_per_node",
                  "province": "province"}
        for key, value in query.items():
            if key.startswith("w."):
                raw["weights"][key[2:]] = value
            elif key in simple:
                raw[simple[key]] = value
            elif key == "excl":
                raw["land_exclusions"] = value not in ("0", "false", "off")
            elif key == "setback":
                raw["town_setback"] = value not in ("0", "false", "off")
            elif key == "site":
                raw["focus"] = value
            elif key == "cmp":
                raw["selected"] = [s for s in value.split(",") if s]
        return cls.from_dict(raw, where="link")

    # -- JSON -----------------------------------------------------------------------------------
    def to_json(self) -> str:
        body = {"sitefinder_scenario": SCENARIO_VERSION, **asdict(self)}
        body["selected"] = list(self.selected)
        return json.dumps(body, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "scenario file") -> tuple["Scenario", list[Problem]]:
        """Read a saved scenario. A file that is not a scenario at all raises ``ProfileError``."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProfileError(source, [Problem(source, f"is not JSON ({exc}).",
                                                "Choose a scenario file saved by sitefinder (.json).")]) from None
        if not isinstance(data, dict) or "sitefinder_scenario" not in data:
            raise ProfileError(source, [Problem(source, "is not a sitefinder scenario (no 'sitefinder_scenario' key).",
                                                "Choose a file saved with 'Save scenario'.")])
        return cls.from_dict(data, where=source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "scenario") -> tuple["Scenario", list[Problem]]:
        problems: list[Problem] = []
        d = cls()
        out: dict[str, Any] = {}

        def num(key: str, lo: float, hi: float, integer: bool = False) -> None:
            if data.get(key) in (None, ""):
                return
            try:
                v = float(data[key])
            except (TypeError, ValueError):
                problems.append(Problem(f"{where}: {key}", f"{data[key]!r} is not a number.", "The default is used."))
                return
            if not (math.isfinite(v) and lo <= v <= hi) or (integer and v != int(v)):
                problems.append(Problem(f"{where}: {key}", f"{data[key]!r} is outside {lo:g}..{hi:g}.", "The default is used."))
                return
            out[key] = int(v) if integer else v

        profile = data.get("profile", d.profile)
        if profile in builtin_profile_names():
            out["profile"] = profile
        else:
            problems.append(Problem(f"{where}: profile", f"'{profile}' is not a built-in profile.",
                                    f"Use one of: {', '.join(builtin_profile_names())}. The default is used."))
        num("mw", 1e-3, 10_000)
        num("max_grid_km", 1e-3, 2_000)
        num("min_voltage_kv", 1, 1_200)
        num("resolution", MIN_RESOLUTION, MAX_RESOLUTION, integer=True)
        num("top", 1, 500, integer=True)
        num("max_per_node", 0, 1_000, integer=True)
        season = data.get("season")
        if season not in (None, ""):
            if season in SEASONS:
                out["season"] = season
            else:
                problems.append(Problem(f"{where}: season", f"'{season}' is not known.", f"Use one of: {', '.join(SEASONS)}."))
        weights: dict[str, float] = {}
        for k, v in dict(data.get("weights") or {}).items():
            try:
                w = float(v)
            except (TypeError, ValueError):
                w = float("nan")
            if k not in CRITERIA:
                problems.append(Problem(f"{where}: weight '{k}'", "is not a criterion.", "It is ignored."))
            elif not (math.isfinite(w) and 0 <= w <= 1e6):
                problems.append(Problem(f"{where}: weight '{k}'", f"{v!r} is not a weight of 0 or more.", "It is ignored."))
            else:
                weights[k] = w
        out["weights"] = weights
        for key in ("land_exclusions", "town_setback"):
            if key in data:
                out[key] = bool(data[key])
        prov = data.get("province")
        if isinstance(prov, str) and prov.strip():
            out["province"] = prov.strip()[:80]
        focus = data.get("focus")
        if isinstance(focus, str) and focus.strip():
            out["focus"] = focus.strip()[:64]
        sel = data.get("selected") or []
        if isinstance(sel, (list, tuple)):
            out["selected"] = tuple(str(s)[:64] for s in sel[:MAX_SELECTED])
        return replace(d, **out), problems
