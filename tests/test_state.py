"""The app's session state (``webapp/state.py``): controls kept across reruns, the registry of keys, and the one
mapping between a scenario and the controls. Driven with Streamlit's ``AppTest`` on small scripts that use the
real module, so what Streamlit does to a forgotten widget is what happens here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def _controls_script() -> None:
    """The sidebar's facility controls and weights, with a switch to make Streamlit forget them first (as it does
    for a control that an interrupted or a completed run did not draw)."""
    import streamlit as st

    from webapp import caches, state
    from webapp.controls import control, weight_slider

    forget = st.session_state.pop("test_forget", ())
    for key in forget:
        del st.session_state[key]
    state.begin_run({"mw": "70", "w.hours_above_35c": "40"}, lambda: [])
    prof = caches.profile(st.session_state["profile"])
    control(st, "mw")
    for c in prof.criteria:
        weight_slider(st, c.name, label=c.name, help="")
    st.write(repr(state.scenario_from_controls()))


def _weights(at: AppTest) -> dict[str, float]:
    return {s.key: float(s.value) for s in at.slider if str(s.key).startswith("w_")}


@pytest.fixture()
def app() -> AppTest:
    at = AppTest.from_function(_controls_script, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_forgotten_control_gets_its_value_back(app: AppTest) -> None:
    app.slider(key="w_region_surplus_mw").set_value(55.0).run()
    before = _weights(app)
    assert before["w_region_surplus_mw"] == 55.0 and before["w_hours_above_35c"] == 40.0
    app.session_state["test_forget"] = ("mw", *before)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert _weights(app) == before
    assert app.number_input(key="mw").value == 70.0


def test_without_keeping_them_a_forgotten_weight_comes_back_at_zero(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """What users saw: the same loss without ``keep_controls`` leaves every weight at the slider's minimum."""
    from webapp import state  # noqa: PLC0415

    before = _weights(app)
    monkeypatch.setattr(state, "keep_controls", lambda: None)
    app.session_state["test_forget"] = tuple(before)
    app.run()
    assert set(_weights(app).values()) == {0.0}


def test_every_session_key_the_app_uses_is_in_the_registry() -> None:
    """No bare session-state key outside state.py: each is a Slot (typed, documented), a control's key (from the
    settings table or PAGE_CONTROLS) or a widget key written next to its widget."""
    from webapp import state  # noqa: PLC0415

    registered = {s.key for s in state.SLOTS}
    assert len(registered) == len(state.SLOTS), "two slots share a key"
    assert not registered & {s.url_key for s in SETTINGS.values()}, "a slot shares a key with a setting's control"
    bare = []
    for path in [*(ROOT / "webapp").rglob("*.py"), ROOT / "app.py"]:
        if path.name == "state.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # st.session_state["x"] = ... or st.session_state.get("x") with a literal key
            if isinstance(node, ast.Subscript) and _is_session_state(node.value) and isinstance(node.slice, ast.Constant):
                if isinstance(node.ctx, ast.Store):
                    bare.append(f"{path.name}:{node.lineno} {node.slice.value}")
    assert not bare, f"session keys written outside state.py without a Slot: {bare}"


def _is_session_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "session_state"


def test_a_scenario_survives_the_controls_both_ways() -> None:
    """put_scenario then scenario_from_controls gives back the scenario (canonical: the profile's defaults left out)."""
    def script() -> None:
        import streamlit as st

        from sitefinder.model.scenario import Scenario as Sc
        from webapp import state

        if "sf_started" not in st.session_state:
            st.session_state["sf_started"] = True
            state.put_scenario(Sc(profile="ai_datacenter", mw=60.0, weights={"grid_distance_km": 12.0}, top=9,
                                  headroom_range=(0.0, 300.0), tariff_pkr_per_kwh=30.0, province="Sindh"))
        st.write(state.scenario_from_controls().to_json())

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    back, problems = Scenario.from_json(at.markdown[0].value)
    assert not problems
    assert (back.profile, back.mw, back.weights, back.top, back.headroom_range, back.tariff_pkr_per_kwh, back.province) == \
        ("ai_datacenter", 60.0, {"grid_distance_km": 12.0}, 9, (0.0, 300.0), 30.0, "Sindh")
