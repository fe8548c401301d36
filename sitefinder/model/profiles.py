"""Facility profiles: what a Bitcoin mine or an AI data centre needs, as validated TOML data.

A profile names the facility size, the season whose surplus matters, which grid nodes count, the
criteria with their value functions and weights, and the hard constraints. The built-in profiles live
in ``sitefinder/model/profile_data/*.toml``; a user can pass a file of their own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sitefinder.errors import Problem, ProfileError
from sitefinder.files import MAX_SETTINGS_BYTES, parse_toml, read_input_text
from sitefinder.model.economic_parameters import Economics, parse_economics
from sitefinder.model.profile_data import builtin_profile_names
from sitefinder.model.setting import unknown_keys
from sitefinder.model.settings import SETTINGS
from sitefinder.model.valuefunctions import ValueFunction, make
from sitefinder.model.vocabulary import CRITERIA, NODE_STATUSES, SEASONS, NodeRule

OPS = ("<=", ">=", "<", ">", "==", "!=")
MISSING_CRITERION = ("neutral", "exclude", "worst")
MISSING_CONSTRAINT = ("fail", "pass")
CONSTRAINT_PARAMETERS = ("facility_mw",)


@dataclass(frozen=True)
class CriterionSpec:
    """How one criterion is scored in a profile."""

    name: str
    weight: float
    value: ValueFunction
    missing: str = "neutral"
    missing_value: float = 0.5
    note: str = ""

    @property
    def direction(self) -> str:
        """``benefit`` (more is better) or ``cost`` (less is better), from the value function."""
        return self.value.direction


@dataclass(frozen=True)
class Constraint:
    """A hard rule; a candidate that breaks it is excluded and the reason kept."""

    column: str
    op: str
    value: float | str  # a number, or a parameter name such as "facility_mw"
    label: str
    missing: str = "fail"
    reason_column: str = ""

    def threshold(self, params: dict[str, float]) -> float:
        """The constraint's number: its value, or the parameter it names (e.g. the facility's MW)."""
        return float(params[self.value]) if isinstance(self.value, str) else float(self.value)

    def describe(self, params: dict[str, float]) -> str:
        """The constraint in words with its unit, e.g. 'an eligible grid node within reach (grid_distance_km <= 50 km)'."""
        unit = CRITERIA[self.column].unit if self.column in CRITERIA else ""
        val = self.threshold(params)
        shown = f"{val:g} {unit}".strip() if unit not in ("0/1",) else f"{val:g}"
        return f"{self.label} ({self.column} {self.op} {shown})"


@dataclass(frozen=True)
class Profile:
    """A facility profile (validated)."""

    name: str
    title: str
    description: str
    facility_mw: float
    mw_range: tuple[float, float]
    season: str
    node_rule: NodeRule
    criteria: tuple[CriterionSpec, ...]
    constraints: tuple[Constraint, ...]
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    economics: Economics = field(default_factory=lambda: parse_economics({})[0])

    @property
    def weights(self) -> dict[str, float]:
        """The raw weight of each criterion (not normalised)."""
        return {c.name: c.weight for c in self.criteria}

    def params(self) -> dict[str, float]:
        """The parameters constraints may name (``facility_mw``, MW)."""
        return {"facility_mw": self.facility_mw}

    def with_weights(self, weights: dict[str, float]) -> Profile:
        """A copy with these weights; unknown criteria, negative weights and all-zero weights are refused."""
        unknown = set(weights) - {c.name for c in self.criteria}
        if unknown:
            raise ProfileError(self.name, [Problem("weights", f"unknown criteria {sorted(unknown)}.",
                                                   f"Use: {', '.join(c.name for c in self.criteria)}.")])
        bad = [k for k, v in weights.items() if not (isinstance(v, (int, float)) and v >= 0 and v == v)]
        if bad:
            raise ProfileError(self.name, [Problem(f"weight '{k}'", "must be a number of 0 or more.") for k in bad])
        changed = replace(self, criteria=tuple(replace(c, weight=float(weights.get(c.name, c.weight))) for c in self.criteria))
        problem = all_zero_problem([c.weight for c in changed.criteria])
        if problem is not None:
            raise ProfileError(self.name, [problem])
        return changed

    def with_facility_mw(self, mw: float) -> Profile:
        """A copy with the facility size (MW, within the settings table's bounds)."""
        check_mw(mw, self)
        return replace(self, facility_mw=float(mw))

    def with_season(self, season: str) -> Profile:
        """A copy that counts the surplus of ``season`` (winter, summer or year_round)."""
        if season not in SEASONS:
            raise ProfileError(self.name, [Problem("season", f"'{season}' is not known.", f"Use one of: {', '.join(SEASONS)}.")])
        return replace(self, season=season)

    def with_economics(self, name: str, value: float) -> Profile:
        """A copy with the economics parameter ``name`` set by the user (within the settings table's bounds)."""
        s = SETTINGS[name]
        if name not in self.economics.used():
            raise ProfileError(self.name, [Problem(s.flag or name, f"is not used by the {self.title}'s cost model.",
                                                   f"Leave it out; this model uses: {', '.join(self.economics.used())}.")])
        parsed, problem = s.parse(value, name)
        if problem is not None:
            raise ProfileError(self.name, [problem])
        return replace(self, economics=self.economics.with_value(name, float(parsed)))

    def with_node_rule(self, **changes: Any) -> Profile:
        """A copy with the grid-node rule changed (e.g. ``min_voltage_kv``)."""
        return replace(self, node_rule=replace(self.node_rule, **changes))

    def with_constraint_value(self, column: str, value: float) -> Profile:
        """Change the threshold of the constraint on ``column`` (e.g. the maximum grid distance)."""
        if not any(c.column == column for c in self.constraints):
            raise ProfileError(self.name, [Problem("constraints", f"no constraint on '{column}'.")])
        return replace(self, constraints=tuple(replace(c, value=float(value)) if c.column == column else c
                                               for c in self.constraints))

    def without_constraints(self, columns: set[str]) -> Profile:
        """A copy without the constraints on these columns."""
        return replace(self, constraints=tuple(c for c in self.constraints if c.column not in columns))


def all_zero_problem(weights: list[float]) -> Problem | None:
    """The one rule for weights that are all zero: nothing would be scored (a problem), else None."""
    if weights and all(w >= 0 for w in weights) and sum(weights) <= 0:
        return Problem("weights", "every weight is zero.", "Give at least one criterion a weight above zero.")
    return None


def check_mw(mw: float, profile: Profile | None = None) -> float:
    """A facility size within the settings table's bounds (MW), or a ProfileError saying the bounds."""
    s = SETTINGS["mw"]
    value, problem = s.parse(mw, "facility size")
    if problem is not None:
        raise ProfileError("facility size", [Problem("--mw", f"{mw!r} MW is not a facility size.", problem.fix)])
    return float(value)


def _req(table: dict[str, Any], key: str, types: tuple[type, ...], where: str, problems: list[Problem]) -> Any:
    if key not in table:
        problems.append(Problem(where, f"'{key}' is missing."))
        return None
    value = table[key]
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        problems.append(Problem(f"{where}.{key}", f"{value!r} has the wrong type.",
                                f"Expected {' or '.join(t.__name__ for t in types)}."))
        return None
    return value


PROFILE_KEYS = ("name", "title", "description", "facility_mw", "mw_range", "season", "notes", "grid", "criteria",
                "constraints", "economics")
GRID_KEYS = ("min_voltage_kv", "statuses", "allow_unknown_voltage")
CRITERION_KEYS = ("weight", "value", "missing", "missing_value", "note", "direction")
VALUE_KEYS = {"linear": ("kind", "domain"), "piecewise": ("kind", "points"),
              "categorical": ("kind", "categories", "default")}
CONSTRAINT_KEYS = ("column", "op", "value", "label", "missing", "reason_column")


def _unknown(table: Any, known: tuple[str, ...], where: str) -> list[Problem]:
    """A problem for every key of ``table`` sitefinder does not know, naming the closest known key."""
    if not isinstance(table, dict):
        return []
    return unknown_keys([str(k) for k in table], known, where)


def unknown_profile_keys(data: dict[str, Any]) -> list[Problem]:
    """Every key in a profile table that sitefinder does not know (a typo would otherwise be ignored)."""
    out = _unknown(data, PROFILE_KEYS, "profile")
    out += _unknown(data.get("grid"), GRID_KEYS, "grid")
    for name, table in (data.get("criteria") or {}).items() if isinstance(data.get("criteria"), dict) else []:
        out += _unknown(table, CRITERION_KEYS, f"criteria.{name}")
        value = table.get("value") if isinstance(table, dict) else None
        if isinstance(value, dict) and value.get("kind") in VALUE_KEYS:
            out += _unknown(value, VALUE_KEYS[value["kind"]], f"criteria.{name}.value")
    for i, table in enumerate(data.get("constraints") or [] if isinstance(data.get("constraints"), list) else []):
        out += _unknown(table, CONSTRAINT_KEYS, f"constraints[{i + 1}]")
    return out


def parse_profile(data: dict[str, Any], source: str) -> Profile:
    """Validate a profile table (parsed TOML); every problem is reported at once, a key sitefinder does not
    know among them (naming the closest known key)."""
    p: list[Problem] = unknown_profile_keys(data)
    name = _req(data, "name", (str,), "profile", p)
    title = data.get("title", name)
    mw = _req(data, "facility_mw", (int, float), "profile", p)
    mw_range = data.get("mw_range", [1, 10_000])
    season = _req(data, "season", (str,), "profile", p)
    if season is not None and season not in SEASONS:
        p.append(Problem("profile.season", f"'{season}' is not known.", f"Use one of: {', '.join(SEASONS)}."))
    if isinstance(mw, (int, float)) and SETTINGS["mw"].parse(mw, "profile")[1] is not None:
        p.append(Problem("profile.facility_mw", f"{mw} MW is out of range.", f"Use {SETTINGS['mw'].bounds_text()}."))

    grid = data.get("grid", {})
    statuses = tuple(grid.get("statuses", ["operational"]))
    bad_status = [s for s in statuses if s not in NODE_STATUSES]
    if bad_status:
        p.append(Problem("grid.statuses", f"unknown status(es) {bad_status}.", f"Use: {', '.join(NODE_STATUSES)}."))
    rule = NodeRule(float(grid.get("min_voltage_kv", 220)), statuses, bool(grid.get("allow_unknown_voltage", True)))

    specs: list[CriterionSpec] = []
    crit_tables = data.get("criteria", {})
    if not isinstance(crit_tables, dict) or not crit_tables:
        p.append(Problem("criteria", "no criteria.", "Add at least one [criteria.NAME] table."))
        crit_tables = {}
    for cname, table in crit_tables.items():
        where = f"criteria.{cname}"
        if cname not in CRITERIA:
            p.append(Problem(where, f"'{cname}' is not a criterion sitefinder computes.",
                             f"Use one of: {', '.join(CRITERIA)}."))
            continue
        weight = _req(table, "weight", (int, float), where, p)
        if isinstance(weight, (int, float)) and weight < 0:
            p.append(Problem(f"{where}.weight", f"{weight} is negative.", "Weights are 0 or more (0 = ignored)."))
        direction = table.get("direction", CRITERIA[cname].direction)
        if direction not in ("benefit", "cost"):
            p.append(Problem(f"{where}.direction", f"{direction!r} is not benefit or cost."))
            continue
        vf, vprob = make(table.get("value", {}), direction, f"{where}.value")
        p.extend(vprob)
        if vf is not None and vf.kind == "piecewise":
            vs = [v for _, v in vf.points]
            rising = all(b >= a for a, b in zip(vs, vs[1:]))
            falling = all(b <= a for a, b in zip(vs, vs[1:]))
            if (direction == "benefit" and not rising) or (direction == "cost" and not falling):
                p.append(Problem(f"{where}.value", f"piecewise values do not {'rise' if direction == 'benefit' else 'fall'} "
                                 f"as a {direction} criterion's must.", "Reorder the values or change the direction."))
        missing = table.get("missing", "neutral")
        if missing not in MISSING_CRITERION:
            p.append(Problem(f"{where}.missing", f"{missing!r} is not known.", f"Use one of: {', '.join(MISSING_CRITERION)}."))
        mv = table.get("missing_value", 0.5)
        if not isinstance(mv, (int, float)) or not 0 <= mv <= 1:
            p.append(Problem(f"{where}.missing_value", f"{mv!r} is not in 0..1."))
        if vf is not None and isinstance(weight, (int, float)):
            specs.append(CriterionSpec(cname, float(weight), vf, missing, float(mv) if isinstance(mv, (int, float)) else 0.5,
                                       str(table.get("note", ""))))
    zero = all_zero_problem([s.weight for s in specs])
    if zero is not None:
        p.append(replace(zero, where="criteria"))

    cons: list[Constraint] = []
    for i, table in enumerate(data.get("constraints", [])):
        where = f"constraints[{i + 1}]"
        col = _req(table, "column", (str,), where, p)
        op = _req(table, "op", (str,), where, p)
        val = table.get("value")
        if col is not None and col not in CRITERIA:
            p.append(Problem(f"{where}.column", f"'{col}' is not a criterion.", f"Use one of: {', '.join(CRITERIA)}."))
        if op is not None and op not in OPS:
            p.append(Problem(f"{where}.op", f"'{op}' is not an operator.", f"Use one of: {' '.join(OPS)}."))
        if isinstance(val, bool):
            val = float(val)
        if not (isinstance(val, (int, float)) or val in CONSTRAINT_PARAMETERS):
            p.append(Problem(f"{where}.value", f"{val!r} is neither a number nor a parameter.",
                             f"Use a number or one of: {', '.join(CONSTRAINT_PARAMETERS)}."))
        missing = table.get("missing", "fail")
        if missing not in MISSING_CONSTRAINT:
            p.append(Problem(f"{where}.missing", f"{missing!r} is not known.", f"Use one of: {', '.join(MISSING_CONSTRAINT)}."))
        if col in CRITERIA and op in OPS and (isinstance(val, (int, float)) or val in CONSTRAINT_PARAMETERS):
            cons.append(Constraint(col, op, val if isinstance(val, str) else float(val),
                                   str(table.get("label", f"{col} {op} {val}")), missing,
                                   str(table.get("reason_column", ""))))
    econ, econ_problems = parse_economics(data.get("economics"))
    p.extend(econ_problems)
    if p:
        raise ProfileError(source, p, summary=f"{source}: the profile has {len(p)} problem(s)")
    return Profile(
        name=name, title=str(title), description=str(data.get("description", "")), facility_mw=float(mw),
        mw_range=(float(mw_range[0]), float(mw_range[1])), season=season, node_rule=rule,
        criteria=tuple(specs), constraints=tuple(cons), source=source, notes=tuple(data.get("notes", [])),
        economics=econ,
    )


def load_profile_file(path: str | Path) -> Profile:
    """Read and validate a profile TOML file; every problem is reported at once. The file gets the checks of
    every user-named file (``sitefinder.files``): missing, a folder, too large, unreadable, binary, nested too deeply."""
    p = Path(path)
    fix = f"Check the path, or use a built-in profile: {', '.join(builtin_profile_names())}."
    text = read_input_text(p, max_bytes=MAX_SETTINGS_BYTES, what="profile file (.toml)", fix=fix)
    data = parse_toml(text, str(p), what="profile file (.toml)")
    return parse_profile(data, str(p))


def profile_path(name_or_path: str) -> Path | None:
    """The file a profile argument names, or None for a built-in name (or a word that is neither: ``load_profile``
    then says which names exist). A value with a folder or a suffix in it, or naming something that exists, is a path."""
    if name_or_path in builtin_profile_names():
        return None
    p = Path(name_or_path)
    return p if (p.suffix or len(p.parts) > 1 or p.exists()) else None


@lru_cache(maxsize=8)
def _builtin_profile(name: str) -> Profile:
    """A built-in profile, read once per process (a Profile is frozen; the app asks for one on every run)."""
    text = resources.files("sitefinder.model.profile_data").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return parse_profile(tomllib.loads(text), f"built-in profile '{name}'")


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name (``bitcoin_mine``, ``ai_datacenter``) or a profile TOML file by path."""
    if name_or_path in builtin_profile_names():
        return _builtin_profile(name_or_path)
    path = profile_path(name_or_path)
    if path is not None:
        return load_profile_file(path)
    raise ProfileError(name_or_path, [Problem(f"--profile {name_or_path}", "is not a built-in profile or a profile file.",
                                              f"Use one of: {', '.join(builtin_profile_names())}, or a path to a .toml profile file.")])
