"""Independent oracle for the scoring engine's aggregation: ``pymcdm``'s WSM and TOPSIS.

The engine's value functions turn every criterion into a 0..1 *benefit* value; what is left to check is
the aggregation. pymcdm (1.4) gets the engine's own value matrix ``result.values`` and normalised
weights, with

* an identity normalisation (``normalization_function(x, cost) -> x``), so pymcdm does not rescale
  the already-scaled values (its defaults are sum normalisation for WSM and min-max for TOPSIS);
* ``types`` all 1 (every value is a benefit by now);
* ``validation=False``: pymcdm's validators only *warn* (UserWarning) about zero weights and
  dominant/dominated alternatives, which are legitimate here and would be errors under
  ``filterwarnings = error``. They do not change the result.

pymcdm TOPSIS returns 0/0 = NaN where every row is identical (no spread); the engine documents 0.5 for
that case, so the oracle maps exactly that case to 0.5 (and computes it under ``np.errstate``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymcdm.helpers import rankdata
from pymcdm.methods import TOPSIS, WSM

from sitefinder.model.profiles import parse_profile
from sitefinder.rank.scoring import score

TOL = 1e-9
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (criterion, direction) pairs the random profiles draw from
POOL = (
    ("grid_distance_km", "cost"),
    ("region_surplus_mw", "benefit"),
    ("hours_above_35c", "cost"),
    ("cooling_degree_days", "cost"),
    ("grid_voltage_kv", "benefit"),
    ("connectivity_distance_km", "cost"),
    ("town_distance_km", "benefit"),
)


def identity(x, cost=False):
    return np.asarray(x, dtype=float)


def pymcdm_wsm(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return WSM(normalization_function=identity)(values, weights, np.ones(values.shape[1]), validation=False)


def pymcdm_topsis(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = TOPSIS(normalization_function=identity)(values, weights, np.ones(values.shape[1]), validation=False)
    weighted = values * weights
    no_spread = np.all(weighted.max(axis=0) == weighted.min(axis=0))
    nan = np.isnan(p)
    # NaN only ever comes from 0/0, which only happens when no column has any spread
    assert not nan.any() or no_spread
    return np.where(nan, 0.5, p)


def assert_rankings_agree(engine: np.ndarray, oracle: np.ndarray, tol: float = TOL) -> None:
    """Every pair the oracle separates by more than ``tol`` is ordered the same way by the engine."""
    d_oracle = oracle[:, None] - oracle[None, :]
    d_engine = engine[:, None] - engine[None, :]
    clear = np.abs(d_oracle) > tol
    bad = clear & (np.sign(d_engine) != np.sign(d_oracle))
    assert not bad.any(), f"{int(bad.sum()) // 2} pair(s) ordered differently, e.g. {np.argwhere(bad)[:3].tolist()}"


def check_against_oracle(matrix: pd.DataFrame, result) -> None:
    f = result.feasible
    values, w = result.values[f], result.weights
    assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    assert abs(w.sum() - 1) <= 1e-12
    if not f.any():
        return

    wsm = pymcdm_wsm(values, w)
    np.testing.assert_allclose(result.score[f] / 100, wsm, rtol=0, atol=TOL)
    tp = pymcdm_topsis(values, w)
    np.testing.assert_allclose(result.topsis_score[f] / 100, tp, rtol=0, atol=TOL)

    # rank: the engine's ranking of the feasible rows agrees with pymcdm's WSM ranking
    assert_rankings_agree(result.score[f], wsm)
    assert_rankings_agree(result.topsis_score[f], tp)
    oracle_rank = WSM(normalization_function=identity).rank(wsm)  # 1 = best, ties averaged
    eng_rank = result.rank[f]
    pairs_apart = np.abs(wsm[:, None] - wsm[None, :]) > TOL
    np.fill_diagonal(pairs_apart, True)
    alone = pairs_apart.all(axis=1)  # no other feasible row within TOL: its rank is unambiguous
    np.testing.assert_array_equal(eng_rank[alone], oracle_rank[alone])


# --------------------------------------------------------------------------------------------------
# random profiles and matrices
# --------------------------------------------------------------------------------------------------


def make_case(rng: np.random.Generator, n: int, k: int, *, ties: bool, infeasible: bool,
              zero_weight: bool) -> tuple[pd.DataFrame, object]:
    picks = rng.choice(len(POOL), size=k, replace=False)
    crit, frame = {}, {"candidate_id": [f"id{p:04d}" for p in rng.permutation(n)]}
    for c, idx in enumerate(picks):
        name, direction = POOL[idx]
        if rng.random() < 0.5:
            lo = float(rng.uniform(-100, 100))
            hi = lo + float(rng.uniform(1, 500))
            vf = {"kind": "linear", "domain": [lo, hi]}
            span = (lo - 0.3 * (hi - lo), hi + 0.3 * (hi - lo))
        else:
            xs = np.sort(rng.choice(np.arange(-200, 200), size=int(rng.integers(2, 6)), replace=False)).astype(float)
            vs = np.sort(rng.random(len(xs)))
            vs = vs if direction == "benefit" else vs[::-1]
            vf = {"kind": "piecewise", "points": [[float(x), float(v)] for x, v in zip(xs, vs)]}
            span = (xs[0] - 20, xs[-1] + 20)
        weight = float(rng.integers(0, 3)) if zero_weight and c else float(rng.uniform(0.1, 10))
        crit[name] = {"weight": weight, "value": vf}
        if ties:
            frame[name] = rng.choice(np.linspace(*span, 4), size=n)
        else:
            frame[name] = rng.uniform(*span, size=n)
    data = {"name": "oracle", "facility_mw": 10, "season": "winter", "criteria": crit}
    m = pd.DataFrame(frame)
    if ties:  # duplicate some whole rows under new ids
        dup = m.sample(n=max(1, n // 3), replace=True, random_state=int(rng.integers(1 << 30)))
        dup["candidate_id"] = [f"dup{i:04d}" for i in range(len(dup))]
        m = pd.concat([m, dup], ignore_index=True)
    if infeasible:
        m["land_excluded"] = (rng.random(len(m)) < 0.3).astype(float)
        data["constraints"] = [{"column": "land_excluded", "op": "==", "value": 0, "label": "not excluded"}]
    return m, parse_profile(data, "oracle")


SHAPES = [(1, 1), (2, 1), (2, 3), (5, 2), (12, 4), (40, 7), (300, 5)]


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("infeasible", [False, True], ids=["all-feasible", "some-infeasible"])
@pytest.mark.parametrize("n,k", SHAPES, ids=[f"{n}x{k}" for n, k in SHAPES])
def test_engine_matches_pymcdm_wsm_and_topsis_seeded(n, k, ties, infeasible):
    seed = 1000 * n + 10 * k + 2 * ties + infeasible
    rng = np.random.default_rng(seed)
    for _ in range(5):
        m, profile = make_case(rng, n, k, ties=ties, infeasible=infeasible, zero_weight=True)
        check_against_oracle(m, score(m, profile))


@st.composite
def hyp_cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, 30))
    k = draw(st.integers(1, len(POOL)))
    return make_case(np.random.default_rng(seed), n, k, ties=draw(st.booleans()), infeasible=draw(st.booleans()),
                     zero_weight=draw(st.booleans()))


@SETTINGS
@given(hyp_cases())
def test_engine_matches_pymcdm_wsm_and_topsis_hypothesis(case):
    m, profile = case
    check_against_oracle(m, score(m, profile))


def test_topsis_ideal_points_come_from_feasible_rows_only():
    """An excluded row with extreme values must not move the feasible rows' TOPSIS closeness."""
    data = {"name": "t", "facility_mw": 10, "season": "winter", "criteria": {
        "region_surplus_mw": {"weight": 2, "value": {"kind": "linear", "domain": [0, 100]}},
        "grid_distance_km": {"weight": 1, "value": {"kind": "linear", "domain": [0, 100]}}},
        "constraints": [{"column": "land_excluded", "op": "==", "value": 0, "label": "ok"}]}
    p = parse_profile(data, "t")
    m = pd.DataFrame({"candidate_id": ["a", "b", "c", "x"], "region_surplus_mw": [20.0, 50.0, 70.0, 100.0],
                      "grid_distance_km": [40.0, 60.0, 10.0, 0.0], "land_excluded": [0.0, 0.0, 0.0, 1.0]})
    res = score(m, p)
    assert res.feasible.tolist() == [True, True, True, False]
    expected = pymcdm_topsis(res.values[:3], res.weights)
    np.testing.assert_allclose(res.topsis_score[:3] / 100, expected, rtol=0, atol=TOL)
    # with the extreme row included as an alternative, pymcdm gives something else: the check has teeth
    with_x = pymcdm_topsis(res.values, res.weights)[:3]
    assert np.max(np.abs(with_x - expected)) > 1e-3
    check_against_oracle(m, res)


@pytest.mark.parametrize("n", [1, 4])
def test_topsis_without_spread_is_one_half(n):
    data = {"name": "t", "facility_mw": 10, "season": "winter", "criteria": {
        "region_surplus_mw": {"weight": 1, "value": {"kind": "linear", "domain": [0, 100]}},
        "grid_distance_km": {"weight": 1, "value": {"kind": "linear", "domain": [0, 100]}}}}
    m = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], "region_surplus_mw": 30.0,
                      "grid_distance_km": 30.0})
    res = score(m, parse_profile(data, "t"))
    assert np.all(res.topsis_score == 50.0)
    assert np.all(res.score == 50.0)
    check_against_oracle(m, res)


def test_exact_ties_rank_like_pymcdm_average_ranks():
    """On a grid where every weighted sum is exact, tie groups match pymcdm's averaged ranks exactly.

    Values are multiples of 1/8 and weights multiples of 1/16, so engine and pymcdm sums are exact
    binary fractions: ties are real ties in both. The engine spreads a tie group over consecutive
    ranks in candidate-id order; pymcdm gives every member the group's average rank.
    """
    rng = np.random.default_rng(7)
    names = ["region_surplus_mw", "grid_voltage_kv", "town_distance_km"]
    crit = {nm: {"weight": w, "value": {"kind": "linear", "domain": [0, 8]}} for nm, w in zip(names, [8, 5, 3])}
    p = parse_profile({"name": "t", "facility_mw": 10, "season": "winter", "criteria": crit}, "t")
    n = 200
    m = pd.DataFrame({"candidate_id": [f"s{i:04d}" for i in rng.permutation(n)],
                      **{nm: rng.integers(0, 9, size=n).astype(float) for nm in names}})
    res = score(m, p)
    assert res.weights.tolist() == [0.5, 0.3125, 0.1875]
    wsm = pymcdm_wsm(res.values, res.weights)
    np.testing.assert_array_equal(res.score / 100, wsm)  # exact on this grid
    oracle_rank = rankdata(wsm, reverse=True)
    ids = m["candidate_id"].to_numpy(dtype=str)
    groups = 0
    for value in np.unique(wsm):
        g = np.flatnonzero(wsm == value)
        groups += len(g) > 1
        assert res.rank[g].mean() == oracle_rank[g][0]
        assert sorted(res.rank[g].tolist()) == list(range(res.rank[g].min(), res.rank[g].max() + 1))
        assert (ids[g][np.argsort(res.rank[g])] == np.sort(ids[g])).all()
    assert groups > 10  # the data really has ties


# --------------------------------------------------------------------------------------------------
# the built-in data
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bitcoin_h3(h3_study):
    from sitefinder.model.profiles import load_profile

    return h3_study.rank(load_profile("bitcoin_mine"))


def test_builtin_bitcoin_mine_matches_pymcdm(bitcoin_h3):
    matrix, result = bitcoin_h3
    f = result.feasible
    assert len(matrix) > 1000 and 10 < f.sum() < len(matrix)  # a real study: some in, some out
    assert not math.isclose(result.weights.max(), result.weights.min())
    check_against_oracle(matrix, result)
    # and the ranked list itself, top to bottom, is pymcdm's WSM order (ties by id)
    wsm = np.full(len(matrix), -np.inf)
    wsm[f] = pymcdm_wsm(result.values[f], result.weights)
    top = result.order[:50]
    assert np.all(np.diff(wsm[top]) <= TOL)
    best = np.flatnonzero(f)[np.argmax(wsm[f])]
    assert abs(wsm[result.order[0]] - wsm[best]) <= TOL
