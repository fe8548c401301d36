"""A scenario: every setting a user can change, as plain data that round-trips through a URL query
string and a JSON file. Applying it to a built-in profile gives the profile that is scored, so the app
and the command line get identical results for identical settings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from typing import Any

from sitefinder.errors import Problem, ProfileError
from sitefinder.files import parse_json
from sitefinder.model.profiles import Profile, load_profile
from sitefinder.model.setting import quoted, unknown_keys
from sitefinder.model.settings import ECONOMICS, SCENARIO_KEYS, SETTINGS, SettingsRecord, settings_for, settings_record

SCENARIO_VERSION = 1
MAX_SELECTED = SETTINGS["selected"].max_items
LAND_EXCLUSION = "land_excluded"
TOWN_SETBACK = "town_distance_km"


@settings_record(*SETTINGS)
class Scenario(SettingsRecord):
    """All user settings: one field per row of the settings table (``sitefinder.model.settings``), with the
    table's type and default, in table order. ``None`` means "the profile's default"."""

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
        for name in ECONOMICS:
            value = getattr(self, name)
            if value is not None and float(value) != p.economics[name]:
                p = p.with_economics(name, float(value))
        dropped = set()
        if not self.land_exclusions:
            dropped.add(LAND_EXCLUSION)
        if not self.town_setback:
            dropped.add(TOWN_SETBACK)
        return p.without_constraints(dropped) if dropped else p

    def canonical(self, base: Profile | None = None) -> Scenario:
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
            **self._economics(lambda n, v: None if v is not None and float(v) == p.economics[n] else v),
        )

    def filled(self, base: Profile | None = None) -> Scenario:
        """The same scenario with every "profile's default" (None) replaced by the profile's value, and a
        weight for each of the profile's criteria: what the app's controls show. ``canonical`` undoes it."""
        p = base or load_profile(self.profile)
        grid = next((c for c in p.constraints if c.column == "grid_distance_km"), None)
        return replace(
            self,
            mw=float(self.mw) if self.mw is not None else p.facility_mw,
            season=self.season or p.season,
            weights={c.name: float(self.weights.get(c.name, c.weight)) for c in p.criteria},
            max_grid_km=self.max_grid_km if self.max_grid_km is not None else (grid.threshold(p.params()) if grid else None),
            min_voltage_kv=self.min_voltage_kv if self.min_voltage_kv is not None else p.node_rule.min_voltage_kv,
            **self._economics(lambda n, v: v if v is not None else p.economics[n]),
        )

    def _economics(self, change: Callable[[str, float | None], float | None]) -> dict[str, Any]:
        """Each economics parameter's value after ``change(name, value)`` (for ``canonical`` and ``filled``)."""
        return {n: change(n, getattr(self, n)) for n in ECONOMICS}

    def without_view(self) -> Scenario:
        """The same scenario without what is only a view (open card, comparison picks, the map's extra layers)."""
        return replace(self, **{s.name: s.default for s in SETTINGS.values() if s.view_only})

    # -- query string ---------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Short, readable URL parameters (keys from the settings table); defaults are left out."""
        q: dict[str, str] = {}
        base = Scenario()
        for s in SETTINGS.values():
            value = getattr(self, s.name)
            if s.kind == "weights":
                for k, v in sorted(value.items()):
                    q[f"{s.url_key}{k}"] = s.to_url(float(v))
            elif s.name == "profile" or (value is not None and value != getattr(base, s.name) and value != ()):
                q[s.url_key] = s.to_url(value)
        return q

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[Scenario, list[Problem]]:
        """Parse URL parameters. Bad values and unknown keys are dropped (defaults kept) and reported,
        never fatal: a link must always open."""
        by_key = {s.url_key: s for s in SETTINGS.values()}
        weights = SETTINGS["weights"]
        raw: dict[str, Any] = {"weights": {}}
        unknown = []
        for key, value in query.items():
            if key.startswith(weights.url_key):
                raw["weights"][key[len(weights.url_key):]] = value
            elif key in by_key:
                raw[by_key[key].name] = value
            else:
                unknown.append(key)
        scenario, problems = cls.from_dict(raw, where="link")
        known = [s.url_key + ("NAME" if s.kind == "weights" else "") for s in SETTINGS.values()]
        return scenario, unknown_keys(unknown, known, "link") + problems

    # -- JSON -----------------------------------------------------------------------------------
    def to_json(self) -> str:
        """The scenario as the JSON file the app saves and ``--scenario`` reads."""
        body = {"sitefinder_scenario": SCENARIO_VERSION, **asdict(self)}
        body["selected"] = list(self.selected)
        return json.dumps(body, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "scenario file") -> tuple[Scenario, list[Problem]]:
        """Read a saved scenario. Text that is not JSON (binary, cut off, nested too deeply to parse) raises
        ``FileFormatError``; a file that is not a scenario, or that has a key sitefinder does not know, raises
        ``ProfileError`` naming the key and the closest known one; a value that cannot be used is reported and its
        default kept."""
        data = parse_json(text, source, what="scenario file", fix="Choose a scenario file saved by sitefinder (.json).")
        if not isinstance(data, dict) or "sitefinder_scenario" not in data:
            raise ProfileError(source, [Problem(source, "is not a sitefinder scenario (no 'sitefinder_scenario' key).",
                                                "Choose a file saved with 'Save scenario'.")])
        unknown = unknown_keys(list(data), SCENARIO_KEYS, source)
        if unknown:
            raise ProfileError(source, unknown, summary=f"{source}: refused, it has {len(unknown)} key(s) sitefinder "
                                                        "does not know")
        return cls.from_dict(data, where=source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "scenario") -> tuple[Scenario, list[Problem]]:
        """A scenario from plain values, each checked against its row of the settings table; a value that
        does not fit is left at its default and reported."""
        problems: list[Problem] = []
        out: dict[str, Any] = {}
        for s in SETTINGS.values():
            if s.kind == "weights":
                weights: dict[str, float] = {}
                given = data.get(s.name) or {}
                if not isinstance(given, Mapping):
                    problems.append(Problem(f"{where}: {s.name}", f"{quoted(given)} is not a table of criterion weights.",
                                            "Write them as {\"criterion\": weight, ...}; the profile's weights are used."))
                    given = {}
                for k, v in given.items():
                    w, problem = s.parse_weight(str(k), v, where)
                    if problem is not None:
                        problems.append(problem)
                    elif w is not None:
                        weights[str(k)] = w
                out[s.name] = weights
                continue
            value = data.get(s.name)
            if value is None or value == "" or (s.kind == "list" and not value):
                continue
            parsed, problem = s.parse(value, where)
            if problem is not None:
                problems.append(replace(problem, fix=problem.fix + " The default is used."))
            else:
                out[s.name] = parsed
        return replace(cls(), **out), problems

    def usable(self, profile: Profile, known_provinces: list[str], *, page: bool = False) -> tuple[Scenario, list[str]]:
        """This scenario with what cannot apply to ``profile`` and the data left out, and why: weights for
        criteria the profile does not score, a province the dataset does not have, and (``page``: for the web
        page) a value above a setting's ``page_hi``, such as resolution 9."""
        notes: list[str] = []
        changes: dict[str, Any] = {}
        if page:
            for s in SETTINGS.values():
                value = getattr(self, s.name)
                if s.page_hi is not None and value is not None and value > s.page_hi:
                    notes.append(f"{s.name} {value} is for the command line ({s.flag} {value}); the page shows "
                                 f"{s.name} {s.page_hi:g}")
                    changes[s.name] = type(value)(s.page_hi)
        extra = [k for k in self.weights if k not in profile.weights]
        if extra:
            notes.append(f"weights for {', '.join(extra)} are not used by {profile.title}; ignored")
            changes["weights"] = {k: v for k, v in self.weights.items() if k in profile.weights}
        unused = [n for n in ECONOMICS if getattr(self, n) is not None and n not in profile.economics.used()]
        if unused:
            notes.append(f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not used by {profile.title}'s cost "
                         "model; ignored")
            changes.update({n: None for n in unused})
        if self.province and known_provinces and self.province not in known_provinces:
            notes.append(f"province '{self.province}' is not in this dataset (it has {', '.join(known_provinces)}); "
                         "all provinces are shown")
            changes["province"] = None
        return (replace(self, **changes) if changes else self), notes

    def contradictions(self, profile: Profile, command: str) -> list[Problem]:
        """Settings that cannot all hold when ``command`` runs this scenario on ``profile`` (the profile as applied:
        ``self.apply()``), each problem naming both sides by their command-line flags: the smallest site of a
        programme above the facility size, or a programme target below the smallest site (no site would fit). Only
        settings ``command`` takes are compared. The command line refuses these; the app can show them."""
        used = set(settings_for(command))
        problems: list[Problem] = []
        mw, min_mw, target = SETTINGS["mw"], SETTINGS["min_mw"], SETTINGS["target_mw"]
        size = float(profile.facility_mw)
        size_text = (f"{mw.flag} {size:g}" if self.mw is not None
                     else f"the facility size of {profile.title} ({size:g} MW, the profile's; {mw.flag} sets it)")
        if min_mw.name in used and self.min_mw is not None and float(self.min_mw) > size:
            problems.append(Problem(f"{min_mw.flag} {float(self.min_mw):g}", f"is above {size_text}: the smallest site "
                                    "would be bigger than the facility.", f"Give {min_mw.flag} at most {size:g}, or a larger "
                                    f"{mw.flag}."))
        smallest = min(float(self.min_mw), size) if self.min_mw is not None else size
        if target.name in used and float(self.target_mw) < smallest:
            site = f"{min_mw.flag} {smallest:g}" if self.min_mw is not None and float(self.min_mw) <= size else size_text
            problems.append(Problem(f"{target.flag} {float(self.target_mw):g}", f"is below the smallest site ({site}): "
                                    "no site would fit.", f"Give {target.flag} at least {smallest:g}, or a smaller "
                                    f"{min_mw.flag}."))
        return problems

    def for_profile(self, name: str) -> Scenario:
        """This scenario moved to the profile ``name``, as each setting's ``on_profile_change`` says: the profile's
        own settings (size, season, weights, limits) and the view start afresh; a cost parameter the user set is
        kept where the new profile's model uses it; everything else is kept."""
        new = load_profile(name)
        changes: dict[str, Any] = {"profile": name}
        for s in SETTINGS.values():
            if s.name == "profile" or s.on_profile_change == "keep":
                continue
            if s.on_profile_change == "reset" or getattr(self, s.name) is None or s.name not in new.economics.used():
                changes[s.name] = s.field().default_factory() if s.kind == "weights" else s.default
        return replace(self, **changes)
