"""Two scenarios side by side: which settings differ, and what that does to the shortlist (sites that enter or
leave, rank changes, scores under both). Shared by ``sitefinder compare`` and the app.

Sites are matched by candidate id, so two scenarios on different H3 resolutions share no site (every site
then enters or leaves); the comparison says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sitefinder.errors import SitefinderError
from sitefinder.model.profiles import load_profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import SETTINGS
from sitefinder.rank.shortlist import Shortlist


@dataclass
class Comparison:
    """What changes from scenario A to scenario B."""

    settings: pd.DataFrame     # setting, A, B: only the settings that differ
    table: pd.DataFrame        # one row per site shortlisted in A or B
    entered: list[str]         # in B's shortlist, not in A's
    left: list[str]            # in A's shortlist, not in B's
    moved: int                 # in both, at a different place
    note: str = ""

    @property
    def unchanged(self) -> bool:
        """True when both scenarios give the same shortlist in the same order."""
        return not self.entered and not self.left and self.moved == 0

    def summary(self) -> str:
        """The change in one line."""
        if self.unchanged:
            return "No change: both scenarios give the same shortlist, in the same order."
        same = int(((self.table["change"] == "same place")).sum())
        return (f"{len(self.entered)} site(s) enter, {len(self.left)} leave, {self.moved} move, {same} keep their place."
                + (f" {self.note}" if self.note else ""))


def _text(value: object) -> str:
    if value is None:
        return "(profile default)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v:g}" for k, v in sorted(value.items())) or "(profile weights)"
    if isinstance(value, tuple):
        return "-".join(f"{v:g}" for v in value) if value and isinstance(value[0], float) else ", ".join(map(str, value))
    return str(value)


def setting_differences(a: Scenario, b: Scenario) -> pd.DataFrame:
    """The settings (not the view) in which the two scenarios differ, as people read them."""
    rows = []
    for s in SETTINGS.values():
        if s.view_only:
            continue
        va, vb = getattr(a, s.name), getattr(b, s.name)
        if s.kind == "weights":
            for k in sorted(set(va) | set(vb)):
                if va.get(k) != vb.get(k):
                    rows.append({"setting": f"weight of {k}", "A": _text(va.get(k)), "B": _text(vb.get(k))})
        elif va != vb:
            rows.append({"setting": s.label, "A": _text(va), "B": _text(vb)})
    return pd.DataFrame(rows, columns=["setting", "A", "B"])


def _lookup_scores(short: Shortlist, ids: list[str]) -> list[float]:
    index = pd.Index(short.matrix["candidate_id"].astype(str))
    pos = index.get_indexer(ids)
    score = short.result.score
    return [float(score[p]) if p >= 0 else np.nan for p in pos]


def compare_shortlists(a: Shortlist, b: Shortlist, scenario_a: Scenario, scenario_b: Scenario) -> Comparison:
    """Shortlist A against shortlist B, site by site."""
    ta, tb = a.table, b.table
    rank_a = dict(zip(ta["candidate_id"].astype(str), ta["rank"].astype(int)))
    rank_b = dict(zip(tb["candidate_id"].astype(str), tb["rank"].astype(int)))
    ids = list(dict.fromkeys([*rank_b, *rank_a]))  # B's order first, then what left
    info = pd.concat([tb, ta]).drop_duplicates("candidate_id").set_index("candidate_id")
    rows = []
    for cid in ids:
        ra, rb = rank_a.get(cid), rank_b.get(cid)
        if ra is None:
            change = "enters"
        elif rb is None:
            change = "leaves"
        elif ra == rb:
            change = "same place"
        else:
            change = f"{'up' if rb < ra else 'down'} {abs(ra - rb)}"
        r = info.loc[cid]
        place = ", ".join(str(v) for v in (r.get("district"), r.get("province")) if isinstance(v, str)) or cid
        rows.append({"candidate_id": cid, "place": place, "grid_node": r.get("grid_node"), "rank_a": ra, "rank_b": rb,
                     "change": change})
    table = pd.DataFrame(rows, columns=["candidate_id", "place", "grid_node", "rank_a", "rank_b", "change"])
    table["score_a"] = np.round(_lookup_scores(a, table["candidate_id"].tolist()), 2)
    table["score_b"] = np.round(_lookup_scores(b, table["candidate_id"].tolist()), 2)
    for col in ("rank_a", "rank_b"):
        table[col] = table[col].astype("Int64")
    entered = [c for c in ids if c not in rank_a]
    left = [c for c in ids if c not in rank_b]
    moved = int(sum(1 for c in ids if c in rank_a and c in rank_b and rank_a[c] != rank_b[c]))
    note = ""
    if scenario_a.resolution != scenario_b.resolution:
        note = (f"The scenarios use different cell sizes (H3 resolution {scenario_a.resolution} and {scenario_b.resolution}), "
                "so no cell is in both: compare places by their district and grid node.")
    return Comparison(setting_differences(_filled(scenario_a), _filled(scenario_b)), table, entered, left, moved, note)


def _filled(scenario: Scenario) -> Scenario:
    """The scenario's settings with the profile's values in place of "the profile's default", so a difference
    reads "100 -> 150 MW", not "default -> 150"."""
    try:
        return scenario.without_view().filled(load_profile(scenario.profile))
    except SitefinderError:
        return scenario.without_view()
