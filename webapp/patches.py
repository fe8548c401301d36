"""The two changes the app makes to libraries it renders the map with, kept here and nowhere else.

folium builds a map by compiling Jinja templates (about 130 a run, most with the same text each time) and names
every element with a random id, so the same map renders to different text on every run and nothing can be
reused. Both are patched once per process:

* ``memoise_jinja_templates``: ``jinja2.Environment.from_string`` keeps what it compiled, per environment and
  text (at most 2,048). A compiled template is immutable, so sharing one is safe. Measured at resolution 8: about
  0.28 s of a weight change's server time. A long text with nothing for Jinja to do (folium re-wraps text it has
  rendered already) is not lexed at all: a one-expression template gives it back as Jinja would.
* ``deterministic_element_ids``: branca's element ids come from a counter that the app resets at the start of
  each run (per session thread), so an unchanged layer renders to the same text and its compiled template is
  found again. Outside a run (no counter set) ids stay random, as branca makes them.

``tests/test_patches.py`` checks the behaviour each patch relies on, so a release of jinja2 or branca that
changes it fails there, not in a user's browser.
"""

from __future__ import annotations

import threading
from typing import Any

import branca.element
import jinja2

MEMO_SIZE = 2048
LITERAL_FROM = 4096  # characters: shorter templates are compiled (and memoised) as usual
LITERAL_NAME = "_sitefinder_literal"
LITERAL_SOURCE = "{{ " + LITERAL_NAME + " }}"


def is_literal(env: jinja2.Environment, source: str) -> bool:
    """Whether ``source`` has nothing Jinja would act on in ``env``: no tag, expression or comment markers, no line
    statements, no carriage returns (which Jinja would normalise), and no autoescaping."""
    if env.autoescape is not False or env.line_statement_prefix or env.line_comment_prefix or "\r" in source:
        return False
    return not any(m in source for m in (env.block_start_string, env.variable_start_string, env.comment_start_string))


def literal_text(env: jinja2.Environment, source: str) -> str:
    """What Jinja renders a literal ``source`` to: the text, less one trailing newline unless ``env`` keeps it."""
    return source[:-1] if source.endswith("\n") and not env.keep_trailing_newline else source
_MARK = "_sitefinder_patched"


def memoise_jinja_templates() -> None:
    """Make ``jinja2.Environment.from_string`` remember what it compiled (idempotent)."""
    if getattr(jinja2.Environment.from_string, _MARK, False):
        return
    original = jinja2.Environment.from_string
    memo: dict[tuple[int, str, object], jinja2.Template] = {}
    lock = threading.Lock()

    literal_code: dict[int, Any] = {}

    def from_string(self: jinja2.Environment, source: Any, globals: Any = None,  # noqa: A002
                    template_class: Any = None) -> jinja2.Template:
        if globals or not isinstance(source, str):
            return original(self, source, globals, template_class)
        if len(source) > LITERAL_FROM and is_literal(self, source):
            # folium makes some templates from text it has already rendered (the score image, a layer's styler):
            # large, different every run, and with nothing for Jinja to do. Lexing them cost 5 % of a weight
            # change; this template renders the same text without reading it.
            code = literal_code.get(id(self))
            if code is None:
                code = literal_code[id(self)] = self.compile(LITERAL_SOURCE)
            cls = template_class or self.template_class
            return cls.from_code(self, code, self.make_globals({LITERAL_NAME: literal_text(self, source)}))
        key = (id(self), source, template_class)
        found = memo.get(key)
        if found is None:
            found = original(self, source, None, template_class)
            with lock:
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                memo[key] = found
        return found

    setattr(from_string, _MARK, True)
    from_string.__wrapped__ = original  # type: ignore[attr-defined]  # what the patch calls: tests check it
    jinja2.Environment.from_string = from_string  # type: ignore[method-assign]


def deterministic_element_ids() -> threading.local:
    """Number branca's elements from a per-thread counter; returns the counters (set ``.n = 0`` to start a run)."""
    counters: threading.local | None = getattr(branca.element, _MARK, None)
    if counters is not None:
        return counters
    counters = threading.local()
    original = branca.element.Element._generate_id

    def generate_id(cls: Any) -> str:
        n = getattr(counters, "n", None)
        if n is None:
            return str(original())
        counters.n = n + 1
        return f"sf{n:030x}"

    generate_id.__wrapped__ = original  # type: ignore[attr-defined]  # what the patch calls: tests check it
    branca.element.Element._generate_id = classmethod(generate_id)  # type: ignore[assignment,method-assign]
    setattr(branca.element, _MARK, counters)
    return counters


def install() -> threading.local:
    """Install both patches (once per process) and return the element-id counters."""
    memoise_jinja_templates()
    return deterministic_element_ids()
