"""One user setting: its type, unit, bounds, default, label, help, URL key, command-line flag, where its
control sits in the app, and how a value given as text, a number or JSON is parsed and checked.

The table of every setting is ``sitefinder.model.settings.SETTINGS``; this module is the shape of one row.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sitefinder.errors import Problem
from sitefinder.model.vocabulary import CRITERIA

Kind = Literal["float", "int", "bool", "choice", "text", "weights", "list", "range"]
Widget = Literal["number_input", "slider", "selectbox", "checkbox", "multiselect", "text_input", ""]
# What a profile change does to a setting: keep it; reset it to its default (None: the new profile's value); or
# keep a value the user set only where the new profile's cost model uses it.
OnProfileChange = Literal["keep", "reset", "keep_if_used"]
RANKING = ("rank", "explain", "robustness", "programme")  # the commands that take a setting of the ranking itself
# Where a control sits in the app: the sidebar (and its expanders), or a tab.
PLACES = ("sidebar", "constraints", "candidates", "robustness", "programme", "economics")
_PYTHON_TYPES = {"float": "float", "int": "int", "bool": "bool", "text": "str", "weights": "dict[str, float]",
                 "list": "tuple[str, ...]", "range": "tuple[float, float]"}


@dataclass(frozen=True)
class Setting:
    """One user setting and everything needed to parse, show and pass it."""

    name: str                      # the field of Scenario (and of DrawSettings or Rules where it is one of theirs)
    kind: Kind
    label: str                     # what a person reads next to the control
    help: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    default: Any = None            # None: the profile's value (or what ``none_means`` says)
    url_key: str = ""              # key in the page address ("" = not in the URL)
    flag: str = ""                 # command-line option ("" = not on the command line)
    widget: Widget = ""            # how the app shows it ("" = not a widget)
    place: str = ""                # where the app shows it: one of PLACES ("" = no control)
    choices: tuple[Any, ...] | Callable[[], tuple[Any, ...]] = ()
    view_only: bool = False        # where the user looks, not what is ranked (open card, comparison)
    max_length: int = 0            # text and list items
    max_items: int = 0             # list settings
    flag_sets: Any = None          # for a boolean flag: the value giving the flag sets (store_true/false)
    none_means: str = "the profile's"  # what the default None stands for
    commands: tuple[str, ...] = RANKING  # the subcommands that take it as an option
    group: str = ""                # the stage it belongs to: "robustness", "programme", "economics" ...
    on_profile_change: OnProfileChange = "keep"
    page_hi: float | None = None   # the web page's own upper bound, where it is lower than ``hi``
    used_by: str = ""              # economics: "" (every cost model), "hashprice" (a mine), "datacentre"

    def annotation(self) -> str:
        """The Python type of the setting's value, as a dataclass field annotation."""
        if self.kind == "choice":
            base = type(self.options()[0]).__name__ if self.options() else "str"
        else:
            base = _PYTHON_TYPES[self.kind]
        return f"{base} | None" if self.default is None and self.kind not in ("weights", "list") else base

    def field(self) -> Any:
        """A dataclass field holding this setting, with the table's default."""
        if self.kind == "weights":
            return dataclasses.field(default_factory=dict)
        return dataclasses.field(default=self.default)

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
                return bad(f"{quoted(value)} is not a number.")
            try:
                v = float(value)
            except (TypeError, ValueError, OverflowError):
                return bad(f"{quoted(value)} is not a number.")
            if not math.isfinite(v) or (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
                return bad(f"{quoted(value)} is outside {self.bounds_text()}.")
            if self.kind == "int":
                if v != int(v):
                    return bad(f"{quoted(value)} is not a whole number.")
                return int(v), None
            return v, None
        if self.kind == "choice":
            options = self.options()
            for option in options:
                if value == option or (isinstance(option, (int, float)) and not isinstance(value, bool)
                                       and _same_number(value, option)):
                    return option, None
            return bad(f"{quoted(value)} is not allowed.")
        if self.kind == "bool":
            if isinstance(value, bool):
                return value, None
            text = str(value).strip().lower()
            if text in ("1", "true", "on", "yes"):
                return True, None
            if text in ("0", "false", "off", "no"):
                return False, None
            return bad(f"{quoted(value)} is not on or off.")
        if self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                return bad(f"{quoted(value)} is not text.")
            if len(value.strip()) > self.max_length:
                return bad(f"it is longer than {self.max_length} characters.")
            return value.strip(), None
        if self.kind == "list":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, (list, tuple)) or any(not isinstance(i, str) for i in items):
                return bad(f"{quoted(value)} is not a list of site ids.")
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
            return bad(f"{quoted(value)} is not two numbers LOW-HIGH.")
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except (TypeError, ValueError, OverflowError):
            return bad(f"{quoted(value)} is not two numbers LOW-HIGH.")
        inside = all(math.isfinite(v) and (self.lo is None or v >= self.lo) and (self.hi is None or v <= self.hi)
                     for v in (lo, hi))
        if not inside:
            return bad(f"{quoted(value)} is outside {_num(self.lo)}-{_num(self.hi)} {self.unit}.".rstrip())
        if lo > hi:
            return bad(f"{quoted(value)}: the low end is above the high end.")
        return (lo, hi), None

    def parse_weight(self, criterion: str, value: Any, where: str) -> tuple[float | None, Problem | None]:
        """One weight of the weights setting: a known criterion and a number within bounds."""
        if criterion not in CRITERIA:
            return None, Problem(f"{where}: weight '{criterion}'", "is not a criterion." + suggest(criterion, CRITERIA),
                                 f"Use one of: {', '.join(CRITERIA)}.")
        try:
            w = float(value)
        except (TypeError, ValueError, OverflowError):
            w = float("nan")
        if isinstance(value, bool) or not math.isfinite(w) or not (self.lo or 0) <= w <= (self.hi or math.inf):
            return None, Problem(f"{where}: weight '{criterion}'", f"{quoted(value)} is not a weight.", f"Use {self.bounds_text()}.")
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



_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60


def quoted(value: Any) -> str:
    """A value as messages quote it: its repr, cut short (a file can hold a megabyte of text or lists 900 deep)."""
    return _REPR.repr(value)


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


def suggest(word: str, known: Any) -> str:
    """" Did you mean 'X'?" for the known word closest to ``word``, or "" when none is close."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown_keys(keys: Sequence[str], known: Sequence[str], where: str) -> list[Problem]:
    """A problem for every key that is not a known one, naming the closest known key."""
    return [Problem(where, f"key '{k}' is not one sitefinder knows." + suggest(k, known),
                    f"Known keys: {', '.join(known)}.") for k in keys if k not in known]

