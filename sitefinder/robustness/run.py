"""How robust the ranking is: the shortlist redone over many draws, each site's probabilities and rank interval,
and (on request) the value of information. Shared by ``sitefinder robustness`` and the app's Robustness tab.

Columns added to each site (all over the draws; see ``engine.Outcome``):

* ``p_feasible``: the share of draws in which the site passes every constraint;
* ``p_top_n``: the share in which it is in the shortlist of ``top`` (same rules as the ordinary shortlist);
* ``p_node_top_n``: the share in which its grid node has a site (this one or a neighbour) in that shortlist:
  where candidates are small cells, a neighbouring cell of the same connection point often takes the place;
* ``rank_p05``, ``rank_p50``, ``rank_p95``: the shortlist place it reaches or beats in 5 %, 50 % and 95 % of
  the draws (blank: beyond the places tracked, or not shortlisted that often);
* ``central_rank``: its place in the ordinary (central) shortlist, blank if it is not in it.

The robust shortlist lists ``top`` sites: first those shortlisted in at least half the draws, by their median
place; then the others by how often they are shortlisted; then any site of the ordinary shortlist that is not
among them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sitefinder.model.figures import row_estimates
from sitefinder.model.profiles import Profile
from sitefinder.model.scenario import Scenario
from sitefinder.model.settings import in_group
from sitefinder.rank.metadata import run_metadata
from sitefinder.rank.shortlist import Shortlist, make_shortlist, recorded_scenario, shortlist_frame, shortlist_table
from sitefinder.rank.study import Study
from sitefinder.robustness.engine import PERCENTILES, Engine, Outcome
from sitefinder.robustness.inputs import DrawSettings, Inputs, describe, inputs_for, make_draws
from sitefinder.robustness.voi import FigureValue, value_of_information, voi_frame

ROBUST_SHARE = 0.8  # a shortlisted site is "robust" when it is shortlisted in at least this share of the draws
ROBUST_WORDS = f"shortlisted in at least {ROBUST_SHARE:.0%} of the draws"
ROBUST_COLUMNS = ["central_rank", "p_top_n", "p_node_top_n", "p_feasible", "rank_p05", "rank_p50", "rank_p95"]
Progress = Callable[[float, str], None]


def _quiet(_share: float, _message: str) -> None:
    return None


def draw_settings(scenario: Scenario) -> DrawSettings:
    """The draw settings a scenario holds."""
    return DrawSettings(**{name: getattr(scenario, name) for name in in_group("robustness")})


@dataclass
class RobustRun:
    """A robustness run: the ordinary shortlist, the draws' outcome per candidate, the robust shortlist (table,
    frame, metadata) and, if asked for, the value of information."""

    central: Shortlist
    settings: DrawSettings
    inputs: Inputs
    engine: Engine
    outcome: Outcome
    per_row: pd.DataFrame          # one row per matrix row: ROBUST_COLUMNS
    rows: NDArray[np.intp]         # the robust shortlist's matrix rows, in order
    table: pd.DataFrame
    frame: gpd.GeoDataFrame
    metadata: dict[str, Any]
    voi: list[FigureValue] | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def site_label(self, row: int) -> str:
        """A matrix row as people name it: its place, its place in the ordinary shortlist, its id."""
        m = self.central.matrix
        place = ", ".join(str(m[c].iloc[row]) for c in ("district", "province")
                          if c in m and isinstance(m[c].iloc[row], str)) or "no district"
        central = self.per_row["central_rank"].iloc[row]
        head = f"#{int(central)} " if pd.notna(central) else ""
        return f"{head}{place} ({m['candidate_id'].iloc[row]})"

    def voi_table(self) -> pd.DataFrame:
        """The value-of-information table, most first (empty if it was not asked for)."""
        return voi_frame(self.voi or [], self.site_label)

    def for_rows(self, rows: NDArray[np.intp]) -> pd.DataFrame:
        """The robustness columns of the given matrix rows (e.g. the ordinary shortlist's), in that order."""
        return self.per_row.iloc[np.asarray(rows, dtype=np.intp)].reset_index(drop=True)


def _per_row(outcome: Outcome, central_rows: NDArray[np.intp], row_node: NDArray[np.intp]) -> pd.DataFrame:
    n = len(row_node)
    central = np.full(n, np.nan)
    central[central_rows] = np.arange(1, len(central_rows) + 1)
    frame = pd.DataFrame({"central_rank": central, "p_top_n": outcome.p_top_n(),
                          "p_node_top_n": outcome.p_group_top_n(row_node), "p_feasible": outcome.p_feasible()})
    for p, name in zip(PERCENTILES, ("rank_p05", "rank_p50", "rank_p95")):
        frame[name] = outcome.rank_percentile(p)
    return frame


def robust_order(per_row: pd.DataFrame, overall_rank: NDArray[np.int64], ids: NDArray[np.str_], top: int,
                 central_rows: NDArray[np.intp]) -> NDArray[np.intp]:
    """The robust shortlist's rows: the sites shortlisted in at least half the draws by median place, then the
    others by how often they are shortlisted (ties: the ordinary rank, then id); ``top`` of them, then the ordinary
    shortlist's rows that are not among them."""
    p = np.nan_to_num(per_row["p_top_n"].to_numpy(float))
    seen = np.flatnonzero(p > 0)
    median = np.nan_to_num(per_row["rank_p50"].to_numpy(float)[seen], nan=np.inf)
    ordinary = np.where(overall_rank[seen] > 0, overall_rank[seen], np.iinfo(np.int64).max)
    mostly = p[seen] >= 0.5  # shortlisted in at least half the draws: its median place is in the shortlist
    first = np.where(mostly, median, -p[seen])
    then = np.where(mostly, -p[seen], median)
    order = seen[np.lexsort((ids[seen], ordinary, then, first, ~mostly))][:top]
    extra = [int(r) for r in central_rows if r not in set(order.tolist())]
    return np.concatenate([order, np.asarray(extra, dtype=np.intp)]).astype(np.intp)


def robust_table(central: Shortlist, per_row: pd.DataFrame, rows: NDArray[np.intp], top: int) -> pd.DataFrame:
    """The robust shortlist: its place (``rank``; blank for ordinary-shortlist sites outside the ``top`` most
    robust), the robustness columns, then every column of the ordinary shortlist table."""
    base = shortlist_table(central.matrix, central.result, rows)
    base["overall_rank"] = base["overall_rank"].where(base["overall_rank"] > 0)  # 0 = fails in the central ranking
    extra = per_row.iloc[rows].reset_index(drop=True)
    for col in ("p_top_n", "p_node_top_n", "p_feasible"):
        extra[col] = extra[col].round(4)
    ranked = np.arange(1, len(rows) + 1, dtype=float)
    ranked[top:] = np.nan
    out = pd.concat([pd.DataFrame({"rank": ranked}), extra, base.drop(columns=["rank"])], axis=1)
    for col in ("rank", "central_rank", "rank_p05", "rank_p50", "rank_p95", "overall_rank"):
        out[col] = out[col].astype("Int64")
    out["estimates"] = row_estimates(out)  # the draws' shares are estimates too
    return out


def run_robustness(study: Study, scenario: Scenario, profile: Profile, *, voi: bool = False,
                   progress: Progress = _quiet) -> RobustRun:
    """Rank ``study`` under ``profile`` for every draw ``scenario`` asks for, and summarise; ``progress`` is told
    the share done (0..1) and what is being done."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    settings = draw_settings(scenario)
    central = make_shortlist(study, scenario, profile)
    matrix, result = central.matrix, central.result
    inputs = inputs_for(matrix, profile, study.dataset)
    engine = Engine(matrix, profile, inputs, settings, top=scenario.top, max_per_node=scenario.max_per_node,
                    province=scenario.province)
    draws = make_draws(inputs, settings)
    seconds["prepare"] = time.perf_counter() - t
    share = 0.8 if voi else 1.0  # of the progress bar: the draws, then the value of information
    progress(0.0, f"{settings.draws:,} draws over {len(engine.rows):,} candidates that can pass the constraints")
    t = time.perf_counter()
    outcome = engine.run(draws, progress=lambda s: progress(share * s, f"draw {round(s * settings.draws):,} of {settings.draws:,}"))
    seconds["draws"] = time.perf_counter() - t
    per_row = _per_row(outcome, np.asarray(central.rows, dtype=np.intp), inputs.row_node)
    ids = matrix["candidate_id"].to_numpy(dtype=str)
    rows = robust_order(per_row, result.rank, ids, scenario.top, np.asarray(central.rows, dtype=np.intp))
    table = robust_table(central, per_row, rows, scenario.top)
    frame = shortlist_frame(study, table, rows)
    values = None
    if voi:
        t = time.perf_counter()
        progress(share, "value of information: each uncertain figure across its range")
        values, _ = value_of_information(engine, settings, progress=lambda s: progress(share + (1 - share) * s,
                                                                                     "value of information"))
        seconds["value_of_information"] = time.perf_counter() - t
    run = RobustRun(central, settings, inputs, engine, outcome, per_row, rows, table, frame, {}, values, seconds)
    run.metadata = robust_metadata(run, study, scenario, profile)
    progress(1.0, "done")
    return run


def robust_metadata(run: RobustRun, study: Study, scenario: Scenario, profile: Profile) -> dict[str, Any]:
    """How the run was made, reproducibly (no clock time: the same seed gives the same file, byte for byte)."""
    meta = run_metadata(study, run.central.result, top=scenario.top, max_per_node=scenario.max_per_node,
                        province=scenario.province, scenario=recorded_scenario(scenario, profile))
    meta.pop("generated_at", None)
    meta["robustness"] = {
        **describe(run.inputs, run.settings),
        "top": scenario.top,
        "candidates_that_can_pass": int(len(run.engine.rows)),
        "places_tracked": run.engine.depth,
        "columns": {
            "p_feasible": "share of draws in which the site passes every constraint",
            "p_node_top_n": "share of draws in which the site's grid node has a site (this or a neighbour) in the shortlist",
            "p_top_n": f"share of draws in which the site is in the shortlist of {scenario.top} "
                       f"(at most {scenario.max_per_node or 'any number of'} site(s) per grid node)",
            "rank_p05/rank_p50/rank_p95": "the shortlist place the site reaches or beats in 5/50/95 % of the draws "
                                          "(nearest rank); blank when beyond the places tracked or not shortlisted that often",
            "central_rank": "the site's place in the ordinary shortlist (every input at its central value)",
            "rank": f"place in this robust shortlist of {scenario.top}: sites with p_top_n >= 0.5 by median place "
                    "(rank_p50), then the others by p_top_n; sites of the ordinary shortlist outside it follow, "
                    "without a place",
        },
    }
    if run.voi is not None:
        meta["value_of_information"] = {
            "method": "one figure at a time across its range, every other input central; expected number of "
                      f"the {scenario.top} shortlisted sites that change (see sitefinder/voi.py)",
            "figures": [v.to_dict(run.site_label) for v in run.voi],
        }
    return meta
