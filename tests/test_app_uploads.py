"""Every file of the bad-input collection, uploaded through the app's "Your data" tab.

The page must show a readable error (never a Streamlit exception), stay usable, and keep every setting
the user had made. Files that are valid (the script payload, repairable polygons) are accepted.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "tests" / "data" / "make_bad_inputs.py"
BAD = ROOT / "tests" / "data" / "bad"


def _cases():
    spec = importlib.util.spec_from_file_location("make_bad_inputs_for_app", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.CASES


CASES = _cases()
SITES = "__sites__"


def shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture()
def app() -> AppTest:
    """A fresh session for each case, with two settings made (so nothing one upload leaves behind can hide
    or cause another's failure)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.number_input(key="mw").set_value(70.0).run()
    at.slider(key="w_hours_above_35c").set_value(40.0).run()
    at.session_state["tab"] = "Your data"  # the tab the upload controls are in (only the open tab runs)
    at.run()
    assert not at.exception
    return at


def _upload(at: AppTest, kind: str, path: Path) -> None:
    at.selectbox(key="upload_kind").set_value(kind).run()
    at.file_uploader(key=f"upload_{kind}").upload(path.name, path.read_bytes(), "application/octet-stream").run()
    for label in ("Use this file", "Score these sites"):
        buttons = [b for b in at.button if b.label == label]
        if buttons:
            buttons[0].click().run()
            return


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_bad_file_in_the_app_shows_an_error_and_keeps_settings(app: AppTest, case) -> None:
    kind = SITES if case.kind == "candidates" else case.kind
    _upload(app, kind, BAD / case.file)
    assert not app.exception, [e.value for e in app.exception]
    errors = [shown(e.value) for e in app.error]
    if case.error:
        assert errors, f"{case.file}: no error shown"
        text = " ".join(errors)
        assert case.file in text, f"{case.file} is not named: {text}"
        for fragment in case.says:
            assert fragment in text, f"{fragment!r} not in {text!r}"
    else:
        assert not errors, errors
    # The page is still usable, with the user's settings.
    assert app.session_state["mw"] == 70.0 and app.session_state["w_hours_above_35c"] == 40.0
    app.session_state["tab"] = "Map and ranking"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["mw"] == 70.0 and app.session_state["w_hours_above_35c"] == 40.0
    assert len(app.dataframe(key="table").value) > 0
