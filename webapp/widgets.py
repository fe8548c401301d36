"""The app's controls, each made from its row of the settings table (``sitefinder.model.settings``): the same
label, bounds, step, choices and help as the command line and the scenario file, under the setting's URL
key. The app only says where a control goes and, where it must, how a choice reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sitefinder.model.settings import SETTINGS

WEIGHT_PREFIX = "w_"


def _bound(value: float | None) -> float:
    if value is None:
        raise ValueError("a number or slider setting needs both bounds in the settings table")
    return float(value)


def weight_key(criterion: str) -> str:
    """The session key of a criterion's weight slider."""
    return WEIGHT_PREFIX + criterion


def control(where: Any, name: str, *, label: str | None = None, help: str | None = None,  # noqa: A002
            options: Sequence[Any] | None = None, format_func: Callable[[Any], str] | None = None,
            on_change: Callable[[], None] | None = None, disabled: bool = False) -> Any:
    """Draw the control of setting ``name`` in ``where`` (the sidebar, an expander ...) and return its value.

    ``label`` and ``help`` replace the table's wording where the app knows more (e.g. the profile's own
    setback distance); ``options`` replace a choice setting's values only where they come from the data
    (provinces)."""
    s = SETTINGS[name]
    kwargs: dict[str, Any] = {"label": label or s.label, "key": s.url_key, "help": help or s.help}
    if disabled:
        kwargs["disabled"] = True
    if on_change is not None:
        kwargs["on_change"] = on_change
    if s.widget == "number_input":
        if s.kind == "float":
            return where.number_input(min_value=_bound(s.lo), max_value=_bound(s.hi), step=_bound(s.step), **kwargs)
        return where.number_input(min_value=int(_bound(s.lo)), max_value=int(_bound(s.hi)), step=int(s.step or 1), **kwargs)
    if s.widget == "slider":
        if s.kind == "float":
            return where.slider(min_value=_bound(s.lo), max_value=_bound(s.hi), step=_bound(s.step), **kwargs)
        return where.slider(min_value=int(_bound(s.lo)), max_value=int(_bound(s.hi)), step=int(s.step or 1), **kwargs)
    if s.widget == "checkbox":
        return where.checkbox(**kwargs)
    if s.widget == "text_input":
        placeholder = f"blank: {s.none_means}" if s.default is None else ""
        return where.text_input(placeholder=placeholder, max_chars=40, **kwargs)
    if s.widget == "selectbox":
        if options is None:
            options = s.options() if s.kind == "choice" else list(range(int(_bound(s.lo)), int(_bound(s.hi)) + 1))
        if format_func is not None:
            kwargs["format_func"] = format_func
        return where.selectbox(options=list(options), **kwargs)
    raise ValueError(f"setting '{name}' has no control (widget '{s.widget}')")


def widget_text(name: str, value: Any) -> Any:
    """A setting's value as its control holds it (a range setting is typed as text, "LOW-HIGH")."""
    s = SETTINGS[name]
    if s.kind == "range":
        return "" if value is None else s.to_url(value)
    return value


def from_widget(name: str, value: Any) -> tuple[Any, str | None]:
    """A control's value as the setting's value, and a message if it cannot be used (the default is used)."""
    s = SETTINGS[name]
    if s.kind != "range":
        return value, None
    if value is None or not str(value).strip():
        return None, None
    parsed, problem = s.parse(str(value), s.label)
    return (parsed, None) if problem is None else (None, f"{problem.message} {problem.fix} It is left unknown for now.")


def weight_slider(where: Any, criterion: str, *, label: str, help: str) -> Any:  # noqa: A002
    """A criterion's weight slider, with the bounds and step of the table's weights row."""
    s = SETTINGS["weights"]
    return where.slider(label, _bound(s.lo), _bound(s.hi), step=_bound(s.step), key=weight_key(criterion), help=help)
