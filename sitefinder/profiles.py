"""Facility profiles: what a Bitcoin mine or an AI data centre needs, as validated TOML data.

A profile names the facility size, the season whose surplus matters, which grid nodes count, the
criteria with their value functions and weights, and the hard constraints. The built-in profiles live
in ``sitefinder/profile_data/*.toml``; a user can pass a file of their own.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .criteria import CRITERIA, SEASONS, NodeRule
from .errors import InputFileNotFoundError, ProfileError, Problem
from .schema import NODE_STATUSES
from .valuefunctions import ValueFunction, make

OPS = ("<=", ">=", "<", ">", "==", "!=")
MISSING_CRITERION = ("neutral", "exclude", "worst")
MISSING_CONSTRAINT = ("fail", "pass")
PARAMETERS = ("facility_mw",)


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
        return float(params[self.value]) if isinstance(self.value, str) else float(self.value)

    def describe(self, params: dict[str, float]) -> str:
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

    @property
    def weights(self) -> dict[str, float]:
        return {c.name: c.weight for c in self.criteria}

    def params(self) -> dict[str, float]:
        return {"facility_mw": self.facility_mw}

    def with_weights(self, weights: dict[str, float]) -> "Profile":
        unknown = set(weights) - {c.name for c in self.criteria}
        if unknown:
            raise ProfileError(self.name, [Problem("weights", f"unknown criteria {sorted(unknown)}.",
                                                   f"Use: {', '.join(c.name for c in self.criteria)}.")])
        bad = [k for k, v in weights.items() if not (isinstance(v, (int, float)) and v >= 0 and v == v)]
        if bad:
            raise ProfileError(self.name, [Problem(f"weight '{k}'", "must be a number of 0 or more.") for k in bad])
        return replace(self, criteria=tuple(replace(c, weight=float(weights.get(c.name, c.weight))) for c in self.criteria))

    def with_facility_mw(self, mw: float) -> "Profile":
        check_mw(mw, self)
        return replace(self, facility_mw=float(mw))

    def with_season(self, season: str) -> "Profile":
        if season not in SEASONS:
            raise ProfileError(self.name, [Problem("season", f"'{season}' is not known.", f"Use one of: {', '.join(SEASONS)}.")])
        return replace(self, season=season)

    def with_node_rule(self, **changes: Any) -> "Profile":
        return replace(self, node_rule=replace(self.node_rule, **changes))

    def with_constraint_value(self, column: str, value: float) -> "Profile":
        """Change the threshold of the constraint on ``column`` (e.g. the maximum grid distance)."""
        if not any(c.column == column for c in self.constraints):
            raise ProfileError(self.name, [Problem("constraints", f"no constraint on '{column}'.")])
        return replace(self, constraints=tuple(replace(c, value=float(value)) if c.column == column else c
                                               for c in self.constraints))

    def without_constraints(self, columns: set[str]) -> "Profile":
        return replace(self, constraints=tuple(c for c in self.constraints if c.column not in columns))


def check_mw(mw: float, profile: Profile | None = None) -> float:
    if not isinstance(mw, (int, float)) or mw != mw or mw <= 0 or mw > 10_000:
        raise ProfileError("facility size", [Problem("--mw", f"{mw!r} MW is not a facility size.",
                                                     "Give a positive number of megawatts, at most 10,000.")])
    return float(mw)


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


def parse_profile(data: dict[str, Any], source: str) -> Profile:
    """Validate a profile table (parsed TOML); every problem is reported at once."""
    p: list[Problem] = []
    name = _req(data, "name", (str,), "profile", p)
    title = data.get("title", name)
    mw = _req(data, "facility_mw", (int, float), "profile", p)
    mw_range = data.get("mw_range", [1, 10_000])
    season = _req(data, "season", (str,), "profile", p)
    if season is not None and season not in SEASONS:
        p.append(Problem("profile.season", f"'{season}' is not known.", f"Use one of: {', '.join(SEASONS)}."))
    if isinstance(mw, (int, float)) and not 0 < mw <= 10_000:
        p.append(Problem("profile.facility_mw", f"{mw} MW is out of range.", "Use a positive size up to 10,000 MW."))

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
    if specs and all(s.weight >= 0 for s in specs) and sum(s.weight for s in specs) <= 0:
        p.append(Problem("criteria", "every weight is zero.", "Give at least one criterion a weight above zero."))

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
        if not (isinstance(val, (int, float)) or val in PARAMETERS):
            p.append(Problem(f"{where}.value", f"{val!r} is neither a number nor a parameter.",
                             f"Use a number or one of: {', '.join(PARAMETERS)}."))
        missing = table.get("missing", "fail")
        if missing not in MISSING_CONSTRAINT:
            p.append(Problem(f"{where}.missing", f"{missing!r} is not known.", f"Use one of: {', '.join(MISSING_CONSTRAINT)}."))
        if col in CRITERIA and op in OPS and (isinstance(val, (int, float)) or val in PARAMETERS):
            cons.append(Constraint(col, op, val if isinstance(val, str) else float(val),
                                   str(table.get("label", f"{col} {op} {val}")), missing,
                                   str(table.get("reason_column", ""))))
    if p:
        raise ProfileError(source, p, summary=f"{source}: the profile has {len(p)} problem(s)")
    return Profile(
        name=name, title=str(title), description=str(data.get("description", "")), facility_mw=float(mw),
        mw_range=(float(mw_range[0]), float(mw_range[1])), season=season, node_rule=rule,
        criteria=tuple(specs), constraints=tuple(cons), source=source, notes=tuple(data.get("notes", [])),
    )


def load_profile_file(path: str | Path) -> Profile:
    p = Path(path)
    if not p.exists():
        raise InputFileNotFoundError(f"{p}: no such profile file. Check the path, or use a built-in profile: "
                                     f"{', '.join(builtin_profile_names())}.")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(str(p), [Problem(str(p), f"is not valid TOML ({exc}).", "Fix the syntax at the place named.")]) from None
    return parse_profile(data, str(p))


def builtin_profile_names() -> list[str]:
    return sorted(f.name[:-5] for f in resources.files("sitefinder.profile_data").iterdir() if f.name.endswith(".toml"))


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name (``bitcoin_mine``, ``ai_datacenter``) or a profile TOML file by path."""
    if name_or_path in builtin_profile_names():
        text = resources.files("sitefinder.profile_data").joinpath(f"{name_or_path}.toml").read_text(encoding="utf-8")
        return parse_profile(tomllib.loads(text), f"built-in profile '{name_or_path}'")
    if name_or_path.endswith(".toml") or Path(name_or_path).exists():
        return load_profile_file(name_or_path)
    raise ProfileError(name_or_path, [Problem("--profile", f"'{name_or_path}' is not a profile.",
                                              f"Use one of: {', '.join(builtin_profile_names())}, or a path to a .toml profile file.")])
