"""Every user setting, once: one row per setting with its type, unit, bounds, default, label, help, URL
key, command-line flag and how the app shows it.

The scenario's parsing and validation (``scenario.py``), the URL round-trip, the command line's options
(``commands/``), the app's widgets (``app.py``) and the README's table of options are all derived from
``SETTINGS``; a test checks that they agree. Adding a setting is one row here plus the code that uses it.

Bounds are closed intervals. ``default=None`` means "the profile's own value" (facility size, season,
the grid-distance limit and the voltage floor come from the facility profile).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sitefinder.errors import Problem
from sitefinder.model.profile_data import builtin_profile_names
from sitefinder.model.vocabulary import CRITERIA, MAX_RESOLUTION, MIN_RESOLUTION, SEASONS

Kind = Literal["float", "int", "bool", "choice", "text", "weights", "list", "range"]
Widget = Literal["number_input", "slider", "selectbox", "checkbox", "multiselect", "text_input", ""]
RANKING = ("rank", "explain", "robustness", "allocate")  # the commands that take a setting of the ranking itself


def _profile_names() -> tuple[str, ...]:
    return tuple(builtin_profile_names())


@dataclass(frozen=True)
class Setting:
    """One user setting and everything needed to parse, show and pass it."""

    name: str                      # the Scenario field
    kind: Kind
    label: str                     # what a person reads next to the control
    help: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    default: Any = None            # None: the profile's value
    url_key: str = ""              # key in the page address ("" = not in the URL)
    flag: str = ""                 # command-line option ("" = not on the command line)
    widget: Widget = ""            # how the app shows it ("" = not a widget)
    choices: tuple[Any, ...] | Callable[[], tuple[Any, ...]] = ()
    view_only: bool = False        # where the user looks, not what is ranked (open card, comparison)
    max_length: int = 0            # text and list items
    max_items: int = 0             # list settings
    flag_sets: Any = None          # for a boolean flag: the value giving the flag sets (store_true/false)
    none_means: str = "the profile's"  # what the default None stands for
    commands: tuple[str, ...] = RANKING  # the subcommands that take it as an option
    group: str = ""                # "economics": a parameter of the cost model (the app's Economics tab)

    def options(self) -> tuple[Any, ...]:
        """The allowed values of a choice setting (resolved now: built-in profiles can be added)."""
        return self.choices() if callable(self.choices) else tuple(self.choices)

    def bounds_text(self) -> str:
        """The allowed values in words, e.g. "0.1-10,000 MW" or "one of winter, summer, year_round"."""
        if self.kind in ("float", "int") and self.lo is not None and self.hi is not None:
            return f"{_num(self.lo)}-{_num(self.hi)}{' ' + self.unit if self.unit else ''}"
        if self.kind == "weights":
            return f"{_num(self.lo)}-{_num(self.hi)} per criterion"
        if self.kind == "choice":
            return "one of " + ", ".join(str(_num(c) if isinstance(c, (int, float)) else c) for c in self.options()) \
                + (f" {self.unit}" if self.unit else "")
        if self.kind == "bool":
            return "on or off"
        if self.kind == "list":
            return f"up to {self.max_items} site ids"
        if self.kind == "range":
            return f"LOW-HIGH within {_num(self.lo)}-{_num(self.hi)}{' ' + self.unit if self.unit else ''}"
        return f"text, up to {self.max_length} characters"

    def default_text(self) -> str:
        """The default in words (e.g. "the profile's", "on", "20")."""
        if self.default is None:
            return self.none_means
        if self.kind == "bool":
            return "on" if self.default else "off"
        if self.kind == "range":
            return self.to_url(self.default)
        return str(_num(self.default) if isinstance(self.default, (int, float)) else self.default)

    def parse(self, value: Any, where: str) -> tuple[Any, Problem | None]:
        """``value`` (from a URL, a file or the command line) as this setting's type, or a problem.

        Returns (parsed value, None) or (None, Problem naming the setting, the value and what is allowed)."""
        def bad(message: str) -> tuple[Any, Problem]:
            return None, Problem(f"{where}: {self.name}", message, f"Use {self.bounds_text()}.")

        if self.kind in ("float", "int"):
            if isinstance(value, bool):
                return bad(f"{value!r} is not a number.")
            try:
                v = float(value)
            except (TypeError, ValueError, OverflowError):
                return bad(f"{value!r} is not a number.")
            if not math.isfinite(v) or (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
                return bad(f"{value!r} is outside {self.bounds_text()}.")
            if self.kind == "int":
                if v != int(v):
                    return bad(f"{value!r} is not a whole number.")
                return int(v), None
            return v, None
        if self.kind == "choice":
            options = self.options()
            for option in options:
                if value == option or (isinstance(option, (int, float)) and not isinstance(value, bool)
                                       and _same_number(value, option)):
                    return option, None
            return bad(f"{value!r} is not allowed.")
        if self.kind == "bool":
            if isinstance(value, bool):
                return value, None
            text = str(value).strip().lower()
            if text in ("1", "true", "on", "yes"):
                return True, None
            if text in ("0", "false", "off", "no"):
                return False, None
            return bad(f"{value!r} is not on or off.")
        if self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                return bad(f"{value!r} is not text.")
            if len(value.strip()) > self.max_length:
                return bad(f"it is longer than {self.max_length} characters.")
            return value.strip(), None
        if self.kind == "list":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, (list, tuple)) or any(not isinstance(i, str) for i in items):
                return bad(f"{value!r} is not a list of site ids.")
            items = [i.strip() for i in items if i.strip()]
            if len(items) > self.max_items or any(len(i) > self.max_length for i in items):
                return bad(f"more than {self.max_items} ids, or an id longer than {self.max_length} characters.")
            return tuple(items), None
        if self.kind == "range":
            return self._parse_range(value, bad)
        raise TypeError(f"{self.name}: parse() does not handle {self.kind}; use parse_weight")

    def _parse_range(self, value: Any, bad: Callable[[str], tuple[Any, Problem]]) -> tuple[Any, Problem | None]:
        """"LOW-HIGH" (URL, command line) or [LOW, HIGH] (a scenario file) as two floats within the bounds."""
        if isinstance(value, str):
            text = value.strip().replace("..", "-").replace(" to ", "-").replace(",", "-")
            head, sep, tail = text[1:].partition("-")  # a leading minus would be a negative low end: refused below
            parts: Any = [text[:1] + head, tail] if sep else [text]
        else:
            parts = value
        if not isinstance(parts, (list, tuple)) or len(parts) != 2 or any(isinstance(p, bool) for p in parts):
            return bad(f"{value!r} is not two numbers LOW-HIGH.")
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except (TypeError, ValueError, OverflowError):
            return bad(f"{value!r} is not two numbers LOW-HIGH.")
        inside = all(math.isfinite(v) and (self.lo is None or v >= self.lo) and (self.hi is None or v <= self.hi)
                     for v in (lo, hi))
        if not inside:
            return bad(f"{value!r} is outside {_num(self.lo)}-{_num(self.hi)} {self.unit}.".rstrip())
        if lo > hi:
            return bad(f"{value!r}: the low end is above the high end.")
        return (lo, hi), None

    def parse_weight(self, criterion: str, value: Any, where: str) -> tuple[float | None, Problem | None]:
        """One weight of the weights setting: a known criterion and a number within bounds."""
        if criterion not in CRITERIA:
            return None, Problem(f"{where}: weight '{criterion}'", "is not a criterion." + _suggest(criterion, CRITERIA),
                                 f"Use one of: {', '.join(CRITERIA)}.")
        try:
            w = float(value)
        except (TypeError, ValueError, OverflowError):
            w = float("nan")
        if isinstance(value, bool) or not math.isfinite(w) or not (self.lo or 0) <= w <= (self.hi or math.inf):
            return None, Problem(f"{where}: weight '{criterion}'", f"{value!r} is not a weight.", f"Use {self.bounds_text()}.")
        return w, None

    def to_url(self, value: Any) -> str:
        """The value as it is written in the page address (short, exact enough to round-trip)."""
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "list":
            return ",".join(value)
        if self.kind == "range":
            return "-".join(format(float(v), ".12g") for v in value)
        if isinstance(value, float):
            return format(value, ".12g")
        return str(value)


def _num(v: Any) -> Any:
    if isinstance(v, float) and math.isfinite(v) and v == int(v):
        return f"{int(v):,}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return v


def _same_number(value: Any, option: float) -> bool:
    try:
        return float(value) == float(option)
    except (TypeError, ValueError):
        return False


def _suggest(word: str, known: Any) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown_keys(keys: Sequence[str], known: Sequence[str], where: str) -> list[Problem]:
    """A problem for every key that is not a known one, naming the closest known key."""
    return [Problem(where, f"key '{k}' is not one sitefinder knows." + _suggest(k, known),
                    f"Known keys: {', '.join(known)}.") for k in keys if k not in known]


SHORTLIST = ("rank", "robustness", "allocate")
TOP = ("rank", "robustness")
ROBUSTNESS = ("robustness",)
ALLOCATE = ("allocate",)

# The cost model's parameters (``economics.py``): name, URL key, flag, label, unit, bounds, step, help. Their defaults
# and sources are the profile's (``economics_data/parameters.toml`` and the profile's ``[economics]`` table).
ECONOMICS_ROWS: tuple[tuple[str, str, str, str, str, float, float, float, str], ...] = (
    ("tariff_pkr_per_kwh", "tariff", "--tariff", "Tariff for the new load (PKR/kWh)", "PKR/kWh", 0.1, 500.0, 0.5,
     "Price of a kWh to the facility; a supply region's own tariff_pkr_per_kwh overrides it where the data gives one."),
    ("pkr_per_usd", "fx", "--pkr-per-usd", "Exchange rate (PKR per USD)", "PKR/USD", 1.0, 10_000.0, 1.0,
     "Turns the PKR tariff into USD."),
    ("line_cost_132_usd_per_km", "line132", "--line-cost-132", "132 kV line (USD per km)", "USD/km", 0.0, 20_000_000.0,
     10_000.0, "Building cost of a 132 kV connection line, per km."),
    ("line_cost_220_usd_per_km", "line220", "--line-cost-220", "220 kV line (USD per km)", "USD/km", 0.0, 20_000_000.0,
     10_000.0, "Building cost of a 220 kV connection line, per km."),
    ("line_cost_500_usd_per_km", "line500", "--line-cost-500", "500 kV line (USD per km)", "USD/km", 0.0, 20_000_000.0,
     10_000.0, "Building cost of a 500 kV connection line, per km (also used above 500 kV)."),
    ("bay_cost_usd", "bay", "--bay-cost", "Substation bay (USD)", "USD", 0.0, 500_000_000.0, 100_000.0,
     "Cost of the bay at the grid node that the line connects to."),
    ("capex_usd_per_mw", "capex", "--capex-per-mw", "Capital cost (USD per MW)", "USD/MW", 0.0, 100_000_000.0, 50_000.0,
     "Building and equipment per MW of facility (IT) load, before the grid connection."),
    ("discount_rate_pct", "rate", "--discount-rate", "Discount rate (%)", "%", 0.0, 100.0, 0.5,
     "Annualises the connection cost in the cost criterion."),
    ("life_years", "life", "--life-years", "Life of the connection (years)", "years", 1.0, 100.0, 1.0,
     "Years over which the connection cost is annualised in the cost criterion."),
    ("pue_base", "pue0", "--pue-base", "PUE at a cool site", "", 1.0, 3.0, 0.01,
     "Power usage effectiveness with no cooling degree days and no hours above 35 °C."),
    ("pue_per_1000_cdd", "pue_cdd", "--pue-per-1000-cdd", "PUE added per 1,000 cooling degree days",
     "per 1,000 °C·day", 0.0, 1.0, 0.005, "How much a warmer climate adds to the PUE (cooling degree days, base 18 °C)."),
    ("pue_per_1000_hot_hours", "pue_hot", "--pue-per-1000-hot-hours", "PUE added per 1,000 hours above 35 °C",
     "per 1,000 h", 0.0, 1.0, 0.005, "How much extreme heat adds to the PUE (hours a year above 35 °C)."),
    ("efficiency_j_per_th", "jth", "--efficiency", "Miner efficiency (J/TH)", "J/TH", 1.0, 500.0, 0.5,
     "Energy per terahash of the mine's machines (a mine only)."),
    ("hashprice_usd_per_ph_day", "hashprice", "--hashprice", "Hashprice (USD per PH/s per day)", "USD/PH/day", 0.0,
     100_000.0, 1.0, "What a petahash a second earns in a day (a mine only); it moves with the bitcoin price and fees."),
    ("route_factor", "route", "--route-factor", "Fibre route factor", "", 1.0, 5.0, 0.05,
     "Fibre route length over straight-line distance (a data centre's latency only)."),
)
ECONOMICS = tuple(row[0] for row in ECONOMICS_ROWS)

SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("profile", "choice", "Facility profile", "Which kind of facility: its criteria, weights and limits.",
            default="bitcoin_mine", url_key="profile", flag="--profile", widget="selectbox", choices=_profile_names),
    Setting("mw", "float", "Facility size (MW)", "The facility's load; the region's surplus must cover it.", unit="MW",
            lo=0.1, hi=10_000.0, step=10.0, url_key="mw", flag="--mw", widget="number_input"),
    Setting("season", "choice", "Season whose surplus counts",
            "A mine can curtail in summer peaks (winter); a data centre needs the surplus all year.",
            url_key="season", flag="--season", widget="selectbox", choices=SEASONS),
    Setting("weights", "weights", "Weights", "How much each criterion counts; they are scaled to add up to 100 %, "
            "and 0 ignores a criterion.", lo=0.0, hi=100.0, step=1.0, url_key="w.", flag="--weight", widget="slider"),
    Setting("max_grid_km", "float", "Maximum distance to a grid node (km)",
            "Sites farther than this from an eligible grid node are left out.", unit="km", lo=1.0, hi=500.0, step=1.0,
            url_key="max_km", flag="--max-grid-km", widget="slider"),
    Setting("min_voltage_kv", "choice", "Minimum grid node voltage (kV)",
            "Nodes below this voltage are not connection points; plant switchyards whose voltage is not published stay "
            "eligible, flagged.", unit="kV", url_key="min_kv", flag="--min-voltage", widget="selectbox",
            choices=(132.0, 220.0, 500.0, 765.0)),
    Setting("land_exclusions", "bool", "Exclude protected areas and city cores",
            "Off keeps sites inside exclusion zones, flagged.", default=True, url_key="excl",
            flag="--allow-excluded-land", flag_sets=False, widget="checkbox"),
    Setting("town_setback", "bool", "Noise setback from towns", "Off drops the profile's setback from towns.",
            default=True, url_key="setback", flag="--no-town-setback", flag_sets=False, widget="checkbox"),
    Setting("resolution", "int", "Candidate cell resolution (H3)",
            "H3 resolution of the candidate cells: 5 is about 250 km² a cell, 8 about 0.7 km², 9 about 0.1 km² "
            "(9: the command line only, about 8 million cells).", lo=MIN_RESOLUTION,
            hi=MAX_RESOLUTION, step=1, default=6, url_key="res", flag="--resolution", widget="selectbox"),
    Setting("top", "int", "Sites to show", "How many sites the shortlist lists (and the map draws).", lo=1, hi=1000,
            step=1, default=20, url_key="top", flag="--top", widget="number_input", commands=TOP),
    Setting("max_per_node", "int", "At most this many sites per grid node (0 = no limit)",
            "Keeps the shortlist to distinct places instead of neighbouring cells around one node.", lo=0, hi=20, step=1,
            default=2, url_key="per_node", flag="--max-per-node", widget="slider", commands=SHORTLIST),
    Setting("province", "text", "Province", "Keep sites in one province only.", url_key="province", flag="--province",
            widget="selectbox", max_length=80, none_means="all provinces", commands=SHORTLIST),
    Setting("draws", "int", "Draws", "How many times the ranking is redone with the weights and the estimated "
            "figures drawn within their ranges.", lo=10, hi=20_000, step=100, default=1000, url_key="draws",
            flag="--draws", widget="number_input", commands=ROBUSTNESS),
    Setting("seed", "int", "Random seed", "The same seed gives the same draws and the same answer.", lo=0,
            hi=2_147_483_647, step=1, default=7, url_key="seed", flag="--seed", widget="number_input",
            commands=ROBUSTNESS),
    Setting("weight_spread", "float", "Weight spread (%)", "How far the weights may move: 0 keeps them as set; 20 lets a "
            "weight of average share vary by about 20 % of itself (a Dirichlet distribution centred on your weights).",
            unit="%", lo=0.0, hi=100.0, step=5.0, default=20.0, url_key="wspread", flag="--weight-spread",
            widget="slider", commands=ROBUSTNESS),
    Setting("data_spread", "choice", "Estimated figures drawn as",
            "How each estimate is drawn within its low-high range: triangular (most often near the central value), "
            "uniform (anywhere in the range equally), or none (always the central value).", default="triangular",
            url_key="dspread", flag="--data-spread", widget="selectbox", choices=("triangular", "uniform", "none"),
            commands=ROBUSTNESS),
    Setting("headroom_range", "range", "Unknown grid headroom (MW)",
            "Spare capacity no source publishes: blank leaves it unknown (counted as the profile says); LOW-HIGH draws "
            "it anywhere in that range, node by node.", unit="MW", lo=0.0, hi=10_000.0, url_key="headroom",
            flag="--headroom-range", widget="text_input", none_means="left unknown", commands=ROBUSTNESS),
    Setting("target_mw", "float", "Programme target (MW)", "How many MW to place in all (Pakistan announced 2,000 MW "
            "of surplus for mining and data centres in 2025).", unit="MW", lo=1.0, hi=100_000.0, step=100.0,
            default=2000.0, url_key="target", flag="--target-mw", widget="number_input", commands=ALLOCATE),
    Setting("min_mw", "float", "Smallest site (MW)", "A site may take less than the facility size, down to this, to fit "
            "what a region or node has left.", unit="MW", lo=0.1, hi=10_000.0, step=10.0, url_key="min_mw",
            flag="--min-mw", widget="number_input", none_means="the facility size", commands=ALLOCATE),
    Setting("min_spacing_km", "float", "Minimum spacing between sites (km)", "Sites of the programme stay at least this "
            "far apart (0 = no spacing).", unit="km", lo=0.0, hi=500.0, step=5.0, default=0.0, url_key="spacing",
            flag="--min-spacing-km", widget="number_input", commands=ALLOCATE),
    Setting("assumed_headroom_mw", "float", "Assumed headroom where unknown (MW per node)",
            "No source publishes a node's spare capacity: blank lets unknown headroom not limit the programme "
            "(flagged); a number is assumed for every node whose headroom is unknown (labelled as an assumption).",
            unit="MW", lo=0.0, hi=10_000.0, step=50.0, url_key="assume_head", flag="--assumed-headroom-mw",
            widget="number_input", none_means="not limiting (flagged)", commands=ALLOCATE),
    Setting("min_months", "int", "Months a site must run (interruptible load)",
            "Blank: every month of the profile's season. A number: at least that many months of surplus, in any "
            "season (a mine that stops when the surplus does).", lo=1, hi=12, step=1, url_key="months",
            flag="--min-months", widget="number_input", none_means="the season's months", commands=ALLOCATE),
    *(Setting(name, "float", label, help, unit=unit, lo=lo, hi=hi, step=step, url_key=f"e_{key}", flag=flag,
              widget="number_input", none_means="the profile's (sourced)", group="economics")
      for name, key, flag, label, unit, lo, hi, step, help in ECONOMICS_ROWS),
    Setting("focus", "text", "Open site card", "The site whose card is open.", url_key="site", view_only=True,
            max_length=64, none_means="the best site", commands=()),
    Setting("selected", "list", "Sites compared", "Sites picked for side-by-side comparison.", url_key="cmp",
            view_only=True, max_length=64, max_items=5, default=(), commands=()),
    Setting("show_programme", "bool", "Show the programme on the map",
            "Draw the programme's sites, each with its MW, over the ranked sites.", default=False, url_key="prog",
            view_only=True, widget="checkbox", commands=()),
    Setting("how_sure", "bool", "Show how sure each site is (runs the draws)",
            "Redo the ranking for every draw, mark robust and fragile sites on the map, and list the figures to ask for "
            "first.", default=False, url_key="sure", view_only=True, widget="checkbox", commands=()),
)}

SCENARIO_KEYS = ("sitefinder_scenario", *SETTINGS)


def setting(name: str) -> Setting:
    """The row of ``name``; a KeyError names the known settings."""
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(f"'{name}' is not a setting.{_suggest(name, SETTINGS)} Known: {', '.join(SETTINGS)}") from None


def settings_for(command: str) -> tuple[str, ...]:
    """The names of the settings subcommand ``command`` takes as options, in table order."""
    return tuple(s.name for s in SETTINGS.values() if command in s.commands and s.flag)


