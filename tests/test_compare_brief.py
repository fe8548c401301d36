"""Two scenarios side by side, and the printable brief."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sitefinder.model.scenario import Scenario
from sitefinder.rank.shortlist import make_shortlist
from sitefinder.rank.study import Study
from sitefinder.report.brief import brief_html
from sitefinder.report.compare import compare_shortlists

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitefinder.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)


def test_a_scenario_compared_with_itself_reports_no_change(h3_study):
    sc = Scenario(resolution=5, top=12)
    a = make_shortlist(h3_study, sc, sc.apply())
    b = make_shortlist(h3_study, sc, sc.apply())
    c = compare_shortlists(a, b, sc, sc)
    assert c.unchanged and c.summary().startswith("No change")
    assert c.settings.empty and (c.table["change"] == "same place").all() and len(c.table) == 12


def test_a_changed_weight_says_which_sites_enter_leave_and_move(h3_study):
    a_sc = Scenario(resolution=5, top=12)
    b_sc = Scenario(resolution=5, top=12, weights={"hours_above_35c": 100.0}, mw=150.0)
    a = make_shortlist(h3_study, a_sc, a_sc.apply())
    b = make_shortlist(h3_study, b_sc, b_sc.apply())
    c = compare_shortlists(a, b, a_sc, b_sc)
    in_a, in_b = set(a.table["candidate_id"]), set(b.table["candidate_id"])
    assert set(c.entered) == in_b - in_a and set(c.left) == in_a - in_b and c.entered
    assert set(c.settings["setting"]) == {"Facility size (MW)", "weight of hours_above_35c"}
    row = c.settings.set_index("setting").loc["Facility size (MW)"]
    assert (row["A"], row["B"]) == ("100.0", "150.0")  # the profile's value, not "default"
    for _, r in c.table.iterrows():
        if r["change"].startswith(("up", "down")):
            step = int(r["change"].split()[1])
            assert abs(int(r["rank_a"]) - int(r["rank_b"])) == step
    assert len(c.table) == len(in_a | in_b)


def test_scenarios_on_different_cell_sizes_say_why_no_cell_matches(pakistan_data, h3_study):
    a_sc, b_sc = Scenario(resolution=5, top=5), Scenario(resolution=6, top=5)
    a = make_shortlist(h3_study, a_sc, a_sc.apply())
    b = make_shortlist(Study.on_h3(pakistan_data, 6), b_sc, b_sc.apply())
    c = compare_shortlists(a, b, a_sc, b_sc)
    assert len(c.entered) == 5 and len(c.left) == 5 and "different cell sizes" in c.summary()


def test_compare_on_the_command_line(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(Scenario(resolution=5, top=8).to_json(), encoding="utf-8")
    b.write_text(Scenario(resolution=5, top=8, weights={"region_surplus_mw": 0.0}).to_json(), encoding="utf-8")
    same = _cli("compare", str(a), str(a), "--quiet")
    assert same.returncode == 0 and "No change" in same.stdout and "same settings" in same.stdout
    diff = _cli("compare", str(a), str(b), "--quiet", "--csv", str(tmp_path / "c.csv"))
    assert diff.returncode == 0, diff.stderr
    assert "weight of region_surplus_mw" in diff.stdout and re.search(r"\d+ site\(s\) enter", diff.stdout)
    assert (tmp_path / "c.csv").read_text(encoding="utf-8").startswith("candidate_id,place,grid_node,rank_a,rank_b,change")
    missing = _cli("compare", str(a), str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json" in missing.stderr and "no such file" in missing.stderr


def test_the_brief_escapes_every_value_and_holds_a_card_per_site(pakistan_data, h3_study):
    regions = pakistan_data["supply_regions"].copy()
    regions["name"] = regions["name"] + " <script>alert(1)</script>"
    data = pakistan_data.with_layer("supply_regions", regions)
    study = Study(data, h3_study.candidates)
    sc = Scenario(resolution=5, top=6)
    short = make_shortlist(study, sc, sc.apply())
    text = brief_html(short.frame, short.metadata, data, kind="shortlist", title="Bitcoin mine")
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<div class='card'>") == 6 and text.count("<svg") == 1
    assert "Assumptions behind the estimates" in text and "national_demand_winter_mw" in text
    for kind in data.layers:
        assert f"<td>{kind}</td>" in text  # every layer's sources are listed


def test_rank_writes_a_brief(tmp_path):
    proc = _cli("rank", "--resolution", "5", "--top", "5", "--quiet", "--report", str(tmp_path / "b.html"))
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "Bitcoin mine: shortlist" in text and text.count("<div class='card'>") == 5
