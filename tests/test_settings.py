"""One table for every user setting: the scenario, the command line, the app's widgets and the docs' settings page
all derive from ``settings.SETTINGS`` and agree on every bound and default."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sitefinder.cli.common import scenario_from_args
from sitefinder.cli.main import build_parser
from sitefinder.errors import ProfileError
from sitefinder.model.profiles import load_profile, load_profile_file
from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import SETTINGS
from sitefinder.report.reference import settings_markdown
from webapp.text import TABS

ROOT = Path(__file__).resolve().parents[1]
RANGED = [s for s in SETTINGS.values() if s.kind in ("float", "int")]
FLAGGED = [s for s in SETTINGS.values() if s.flag]


def _subparser(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _action(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    return next(a for a in parser._actions if flag in a.option_strings)


def _parses(parser: argparse.ArgumentParser, *argv: str) -> bool:
    try:
        parser.parse_args(list(argv))
    except SystemExit:
        return False
    return True


# ----------------------------------------------------------------------------------------------------------
# The table itself and the scenario


def test_the_scenario_has_one_field_per_setting_with_the_table_default():
    fields = {f.name: f for f in dataclasses.fields(Scenario)}
    assert list(fields) == list(SETTINGS), "Scenario's fields and the settings table differ"
    base = Scenario()
    for s in SETTINGS.values():
        if s.kind != "weights":
            assert getattr(base, s.name) == s.default, s.name


@pytest.mark.parametrize("s", RANGED, ids=lambda s: s.name)
def test_a_scenario_accepts_the_bounds_and_refuses_just_outside(s):
    for ok in (s.lo, s.hi):
        sc, problems = Scenario.from_dict({s.name: ok})
        assert not problems and getattr(sc, s.name) == ok
    eps = 1 if s.kind == "int" else 1e-6
    for bad in (s.lo - eps, s.hi + eps):
        sc, problems = Scenario.from_dict({s.name: bad})
        assert problems and problems[0].where.endswith(s.name) and s.bounds_text() in problems[0].fix
        assert getattr(sc, s.name) == s.default


def test_choices_and_weights_come_from_the_table():
    voltages = SETTINGS["min_voltage_kv"].options()
    for v in voltages:
        assert Scenario.from_dict({"min_voltage_kv": v})[0].min_voltage_kv == v
    assert Scenario.from_dict({"min_voltage_kv": 300})[1]
    w = SETTINGS["weights"]
    assert Scenario.from_dict({"weights": {"grid_distance_km": w.hi}})[0].weights == {"grid_distance_km": w.hi}
    assert Scenario.from_dict({"weights": {"grid_distance_km": w.hi + 1}})[1]


def test_a_misspelt_scenario_key_is_refused_naming_it_and_the_suggestion():
    text = json.dumps({"sitefinder_scenario": 1, "profile": "bitcoin_mine", "mww": 50})
    with pytest.raises(ProfileError) as err:
        Scenario.from_json(text, source="mine.json")
    message = str(err.value)
    assert "mine.json" in message and "'mww'" in message and "Did you mean 'mw'?" in message
    _, problems = Scenario.from_query({"profile": "bitcoin_mine", "mx_km": "20"})  # a link still opens, and says
    assert any("'mx_km'" in p.message and "max_km" in p.message for p in problems)


def test_a_misspelt_profile_key_is_refused_naming_it_and_the_suggestion(tmp_path):
    text = (ROOT / "sitefinder" / "model" / "profile_data" / "bitcoin_mine.toml").read_text(encoding="utf-8")
    text = text.replace('season = "winter"', 'sesaon = "winter"\nseason = "winter"', 1)
    text = text.replace('weight = 30\n', 'wieght = 30\nweight = 30\n', 1)
    text = text.replace('label = "noise setback from towns"', 'lable = "noise setback from towns"', 1)
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile_file(path)
    message = str(err.value)
    for key, suggestion in (("sesaon", "season"), ("wieght", "weight"), ("lable", "label")):
        assert f"key '{key}'" in message and f"Did you mean '{suggestion}'?" in message, message


def test_every_weight_zero_is_refused_once_for_all_callers():
    profile = load_profile("bitcoin_mine")
    with pytest.raises(ProfileError, match="every weight is zero"):
        Scenario(weights={c.name: 0.0 for c in profile.criteria}).apply(profile)


def _other_value(s):
    """A value of setting ``s`` that is not its default (what a user might set)."""
    if s.kind == "weights":
        return {"grid_distance_km": 7.0}
    if s.kind in ("float", "int"):
        return s.hi if s.default != s.hi else s.lo
    if s.kind == "bool":
        return not s.default
    if s.kind == "choice":
        return next(o for o in s.options() if o != s.default)
    if s.kind == "range":
        return (float(s.lo), float(s.lo) + 100.0)
    if s.kind == "list":
        return ("a1", "b2")
    return "Sindh" if s.name == "province" else "abc123"


def _argv(s, value):
    if s.kind == "weights":
        return [s.flag, "grid_distance_km=7"]
    if s.kind == "bool":
        return [s.flag] if value == s.flag_sets else []
    if s.kind == "range":
        return [s.flag, f"{value[0]:g}-{value[1]:g}"]
    return [s.flag, f"{value:g}" if isinstance(value, float) else str(value)]


@pytest.mark.parametrize("s", list(SETTINGS.values()), ids=lambda s: s.name)
def test_every_row_reaches_every_surface_it_names(s):
    """A row is the one declaration of a setting: its field in Scenario (and in DrawSettings or Rules for its
    group), its key in the page address, its option on each command it names, and its control at its place (the
    app test below). Adding a setting is its row, the code that uses it, and the place of its control."""
    from sitefinder.programme.ledger import Rules  # noqa: PLC0415
    from sitefinder.robustness.inputs import DrawSettings  # noqa: PLC0415

    value = _other_value(s)
    sc = dataclasses.replace(Scenario(), **{s.name: value})
    if s.url_key:
        back, problems = Scenario.from_query(sc.to_query())
        assert not problems and getattr(back, s.name) == value, (s.name, sc.to_query())
    for command in s.commands:
        if s.flag:
            head = ["explain", "67", "25"] if command == "explain" else [command]
            args = build_parser().parse_args([*head, *_argv(s, value)])
            assert getattr(scenario_from_args(args), s.name) == value, (s.name, command)
    if s.group == "robustness" and not s.view_only:
        assert getattr(DrawSettings(**{s.name: value}), s.name) == value
        assert getattr(DrawSettings(), s.name) == s.default
    if s.group == "programme":
        assert getattr(Rules(unit_mw=100.0, **{s.name: value}), s.name) == value
        assert getattr(Rules(unit_mw=100.0), s.name) == s.default
    assert bool(s.widget) == bool(s.place), f"{s.name}: a control needs a place, and a place needs a control"


# ----------------------------------------------------------------------------------------------------------
# The command line


@pytest.mark.parametrize("command", ["rank", "explain", "robustness", "programme"])
def test_the_command_line_options_are_the_table(command):
    parser = _subparser(command)
    flags = {f for a in parser._actions for f in a.option_strings}
    for s in FLAGGED:
        assert (s.flag in flags) == (command in s.commands), (command, s.name)
        if command not in s.commands:
            continue
        action = _action(parser, s.flag)
        if s.kind in ("float", "int", "choice", "range") and s.name != "profile":
            assert s.bounds_text() in action.help and s.default_text() in action.help, action.help
    head = ["explain", "67", "25"] if command == "explain" else [command]
    sub = build_parser()
    for s in RANGED:
        if command not in s.commands:
            continue
        eps = 1 if s.kind == "int" else 0.01
        assert _parses(sub, *head, s.flag, str(s.lo)) and _parses(sub, *head, s.flag, str(s.hi)), s.name
        assert not _parses(sub, *head, s.flag, str(s.lo - eps)) and not _parses(sub, *head, s.flag, str(s.hi + eps)), s.name


@pytest.mark.parametrize("command", ["rank", "robustness", "programme"])
def test_help_prints_every_bound_and_default(command):
    proc = subprocess.run([sys.executable, "-m", "sitefinder.cli", command, "--help"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    text = " ".join(proc.stdout.split())
    for s in FLAGGED:
        if command not in s.commands:
            assert s.flag not in text, s.name
            continue
        assert s.flag in text
        if s.kind in ("float", "int"):
            assert f"{s.bounds_text()}; default: {s.default_text()}" in text, s.name


def test_options_after_a_scenario_file_override_it_and_before_it_do_not(tmp_path):
    saved = Scenario(profile="ai_datacenter", mw=50.0, top=7, weights={"grid_distance_km": 40.0}, land_exclusions=False)
    path = tmp_path / "seen.json"
    path.write_text(saved.to_json(), encoding="utf-8")
    parser = build_parser()
    only = scenario_from_args(parser.parse_args(["rank", "--scenario", str(path)]))
    assert only == saved.without_view()
    after = scenario_from_args(parser.parse_args(["rank", "--scenario", str(path), "--mw", "80", "--weight",
                                                  "region_surplus_mw=5"]))
    assert after.mw == 80.0 and after.top == 7 and after.weights == {"grid_distance_km": 40.0, "region_surplus_mw": 5.0}
    before = scenario_from_args(parser.parse_args(["rank", "--mw", "80", "--top", "3", "--scenario", str(path)]))
    assert before.mw == 50.0 and before.top == 7  # the file replaces what came before it


def test_save_scenario_writes_what_the_app_loads_and_rank_reproduces(tmp_path):
    saved = tmp_path / "run.json"
    first = subprocess.run([sys.executable, "-m", "sitefinder.cli", "rank", "--profile", "ai_datacenter", "--mw", "60",
                            "--resolution", "5", "--top", "5", "--quiet", "--save-scenario", str(saved),
                            "--csv", str(tmp_path / "a.csv")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    scenario, problems = Scenario.from_json(saved.read_bytes(), source="run.json")
    assert not problems and scenario.profile == "ai_datacenter" and scenario.mw == 60.0 and scenario.resolution == 5
    again = subprocess.run([sys.executable, "-m", "sitefinder.cli", "rank", "--scenario", str(saved), "--quiet",
                            "--csv", str(tmp_path / "b.csv")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_a_scenario_file_with_an_unusable_value_is_an_error_on_the_command_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"sitefinder_scenario": 1, "profile": "bitcoin_mine", "mw": -4}), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "sitefinder.cli", "rank", "--scenario", str(path), "--quiet"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2 and "bad.json" in proc.stderr and "mw" in proc.stderr and "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------------------------------------
# The app's widgets


PLACE_TAB = {"robustness": "Robustness", "programme": "Programme", "economics": "Economics"}  # the rest: the sidebar


def test_the_apps_widgets_are_the_table():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    found: dict[str, object] = {}  # only the open tab runs: collect each setting's control from the tab it is on
    where: dict[str, set[str]] = {}  # setting -> where its control was seen ("sidebar" or a tab's label)
    for tab in TABS:
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception, (tab, [e.value for e in at.exception])
        for s in SETTINGS.values():
            if s.widget and s.kind != "weights":
                for part, label in ((at.sidebar, "sidebar"), (at.main, tab)):
                    hits = [w for w in getattr(part, s.widget) if w.key == s.url_key]
                    if hits:
                        found.setdefault(s.name, hits[0])
                        where.setdefault(s.name, set()).add(label)
    for s in SETTINGS.values():
        if not s.widget or s.kind == "weights":
            continue
        assert s.name in found, f"setting {s.name}: no {s.widget} with key {s.url_key!r} on any tab"
        assert where[s.name] == {PLACE_TAB.get(s.place, "sidebar")}, (s.name, s.place, where[s.name])
        widget = found[s.name]
        assert widget.label == s.label or s.name in ("town_setback",), (s.name, widget.label)
        if s.widget in ("number_input", "slider"):
            assert (widget.min, widget.max, widget.step) == (s.lo, s.hi, s.step), s.name
        if s.widget == "selectbox" and s.kind == "choice":
            assert len(widget.options) == len(s.options()), s.name
        if s.widget == "selectbox" and s.kind == "int":
            top = s.page_hi if s.page_hi is not None else s.hi  # the page stops at 8; 9 is for the command line
            assert len(widget.options) == int(top) - int(s.lo) + 1, s.name
    w = SETTINGS["weights"]
    sliders = [sl for sl in at.sidebar.slider if str(sl.key).startswith("w_")]
    assert sliders and all((sl.min, sl.max, sl.step) == (w.lo, w.hi, w.step) for sl in sliders)


# ----------------------------------------------------------------------------------------------------------
# The docs


def test_the_docs_table_of_options_is_the_table():
    page = (ROOT / "docs" / "reference" / "settings.md").read_text(encoding="utf-8")
    assert page.count(settings_markdown()) == 1, (
        "docs/reference/settings.md does not hold settings_markdown(): run .venv/bin/python docs/gen_reference.py")
    for s in FLAGGED:
        assert re.search(re.escape(s.flag), settings_markdown())
