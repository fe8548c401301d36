"""The app's controls, each made from its row of the settings table (``sitefinder.model.settings``): the same
label, bounds, step, choices and help as the command line and the scenario file, under the setting's URL key,
at the ``place`` its row names. The app only says, where it must, how a choice reads or what the data allows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sitefinder.model.settings import SETTINGS, at_place
from sitefinder.model.vocabulary import SEASON_LABELS
from webapp import caches
from webapp.state import weight_key

# How a choice reads, where its value is a code.
FORMATS: dict[str, Callable[[Any], str]] = {
    "profile": lambda name: caches.profile(name).title,
    "season": lambda s: SEASON_LABELS.get(s, s),
    "min_voltage_kv": lambda v: f"{v:g} kV",
}


def _bound(value: float | None) -> float:
    if value is None:
        raise ValueError("a number or slider setting needs both bounds in the settings table")
    return float(value)


def control(where: Any, name: str, *, label: str | None = None, help: str | None = None,  # noqa: A002
            options: Sequence[Any] | None = None, format_func: Callable[[Any], str] | None = None,
            on_change: Callable[[], None] | None = None, disabled: bool = False) -> Any:
    """Draw the control of setting ``name`` in ``where`` (the sidebar, an expander, a column ...) and return its
    value. ``label`` and ``help`` replace the table's wording where the app knows more (the profile's own setback
    distance); ``options`` replace a choice's values only where they come from the data (provinces)."""
    s = SETTINGS[name]
    kwargs: dict[str, Any] = {"label": label or s.label, "key": s.url_key, "help": help or s.help}
    if disabled:
        kwargs["disabled"] = True
    if on_change is not None:
        kwargs["on_change"] = on_change
    if s.widget in ("number_input", "slider"):
        draw = where.number_input if s.widget == "number_input" else where.slider
        if s.kind == "float":
            return draw(min_value=_bound(s.lo), max_value=_bound(s.hi), step=_bound(s.step), **kwargs)
        return draw(min_value=int(_bound(s.lo)), max_value=int(_bound(s.hi)), step=int(s.step or 1), **kwargs)
    if s.widget == "checkbox":
        return where.checkbox(**kwargs)
    if s.widget == "text_input":
        placeholder = f"blank: {s.none_means}" if s.default is None else ""
        return where.text_input(placeholder=placeholder, max_chars=40, **kwargs)
    if s.widget == "selectbox":
        if options is None:
            top = s.page_hi if s.page_hi is not None else s.hi
            options = s.options() if s.kind == "choice" else list(range(int(_bound(s.lo)), int(_bound(top)) + 1))
        kwargs["format_func"] = format_func or FORMATS.get(name, str)
        return where.selectbox(options=list(options), **kwargs)
    raise ValueError(f"setting '{name}' has no control (widget '{s.widget}')")


def controls_at(place: str, columns: Sequence[Any], **custom: dict[str, Any]) -> dict[str, Any]:
    """Draw every control whose row names ``place``, in table order, shared out over ``columns`` (the first half
    in the first column ...); ``custom[name]`` passes keywords to ``control`` (or ``{"skip": True}``). Returns
    each control's value by setting name."""
    names = [n for n in at_place(place) if not custom.get(n, {}).get("skip")]
    per = -(-len(names) // len(columns)) if names else 1
    values = {}
    for i, name in enumerate(names):
        values[name] = control(columns[i // per], name, **custom.get(name, {}))
    return values


def weight_slider(where: Any, criterion: str, *, label: str, help: str) -> Any:  # noqa: A002
    """A criterion's weight slider, with the bounds and step of the table's weights row."""
    s = SETTINGS["weights"]
    return where.slider(label, _bound(s.lo), _bound(s.hi), step=_bound(s.step), key=weight_key(criterion), help=help)
