"""The two library patches of ``webapp/patches.py``: each test fails if jinja2 or branca changes the behaviour
the patch relies on, so an upgrade breaks here and not in a user's browser."""

from __future__ import annotations

import inspect
import re

import branca.element
import folium
import jinja2

from webapp import patches

patches.install()


def test_jinja_from_string_still_takes_what_the_memo_passes_on() -> None:
    patched = jinja2.Environment.from_string
    assert getattr(patched, patches._MARK, False), "the memo is not installed"
    original = patched.__wrapped__  # type: ignore[attr-defined]
    assert original is not patched and original.__module__.startswith("jinja2")
    # the memo calls jinja's own method as original(self, source, globals, template_class)
    assert list(inspect.signature(original).parameters) == ["self", "source", "globals", "template_class"]
    assert isinstance(original(jinja2.Environment(), "{{ x }}", None, None), jinja2.Template)


def test_a_memoised_template_is_reused_and_renders_as_a_fresh_one() -> None:
    env = jinja2.Environment()
    text = "{{ a }} and {{ b | upper }}"
    first, second = env.from_string(text), env.from_string(text)
    assert first is second  # compiled once
    fresh = jinja2.Template(text)  # compiled without the memo (Template() does not go through from_string)
    assert first.render(a=1, b="x") == fresh.render(a=1, b="x") == "1 and X"
    assert jinja2.Environment().from_string(text) is not first  # another environment: its own template
    assert env.from_string(text, globals={"g": 1}) is not first  # globals: not memoised


def test_branca_still_names_elements_through_generate_id() -> None:
    counters = patches.deterministic_element_ids()
    original = branca.element.Element._generate_id.__func__.__wrapped__  # type: ignore[attr-defined]
    assert original.__self__ is branca.element.Element  # the class method the patch calls as original()
    assert re.fullmatch(r"[0-9a-f]{32}", str(original()))
    counters.n = None
    random_ids = {branca.element.Element()._id for _ in range(3)}
    assert len(random_ids) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in random_ids), random_ids
    counters.n = 0
    try:
        named = [branca.element.Element()._id for _ in range(3)]
        assert named == [f"sf{n:030x}" for n in range(3)]
        assert branca.element.Element().get_name().endswith(f"sf{3:030x}")
    finally:
        counters.n = None


def _render() -> str:
    m = folium.Map(location=[30, 70], zoom_start=5, tiles=None)
    folium.GeoJson({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a"}, "geometry": {"type": "Point", "coordinates": [70, 30]}}]},
        tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    return m.get_root().render()


def test_the_same_map_renders_to_the_same_text_once_ids_are_counted() -> None:
    counters = patches.deterministic_element_ids()
    counters.n = None
    assert _render() != _render()  # random ids: the text differs each time, nothing could be reused
    try:
        counters.n = 0
        first = _render()
        counters.n = 0
        assert _render() == first
    finally:
        counters.n = None


def test_a_long_text_with_nothing_for_jinja_renders_exactly_as_jinja_renders_it() -> None:
    original = jinja2.Environment.from_string.__wrapped__  # type: ignore[attr-defined]
    body = "var image = L.imageOverlay('data:image/png;base64," + "A" * 6000 + "', [[1, 2], [3, 4]]); { a: 1 } <b>&</b>"
    for text in (body, body + "\n", body + "\n\n", "  " + body + "\n  "):
        for env in (jinja2.Environment(), jinja2.Environment(keep_trailing_newline=True)):
            ours = env.from_string(text)
            theirs = original(env, text, None, None)
            assert ours.render() == theirs.render() == ours.render(x=1)
            assert not [k for k in vars(ours.module) if not k.startswith("_")]  # no macros, as Jinja's has none
    assert patches.is_literal(jinja2.Environment(), body)
    for not_literal in (body + "{{ x }}", body + "{% if x %}{% endif %}", body + "{# c #}", body + "\r\n"):
        assert not patches.is_literal(jinja2.Environment(), not_literal)
    assert not patches.is_literal(jinja2.Environment(autoescape=True), body)  # escaping would change it
    env = jinja2.Environment()
    assert env.from_string(body + "{{ x }}").render(x=7).endswith("7")  # a real template is still compiled
