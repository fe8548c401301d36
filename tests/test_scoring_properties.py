"""Property tests for the scoring engine (``sitefinder.rank.scoring``).

Every test builds random, *valid* profiles with ``parse_profile`` and random criteria matrices, and
checks one promise the engine makes in its docstring:

* weights are normalised to sum to 1 (zero stays zero, all-zero and negative weights are refused);
* ``contributions`` add up to ``score``;
* a better raw value never lowers a candidate's score (monotone value functions, clamping);
* a zero-weight criterion never changes anything;
* the rank is deterministic, independent of row order, ties broken by candidate id;
* scores lie in 0..100 and constraints exclude exactly the rows that break them;
* a missing value is never silently zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sitefinder.errors import ProfileError, ScoringError
from sitefinder.model.profiles import Profile, parse_profile
from sitefinder.model.vocabulary import CRITERIA
from sitefinder.rank.scoring import normalise_weights, score

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Criteria with both natural directions; any of them may be scored by a profile.
POOL = (
    "grid_distance_km",          # cost
    "region_surplus_mw",         # benefit
    "hours_above_35c",           # cost
    "cooling_degree_days",       # cost
    "grid_voltage_kv",           # benefit
    "connectivity_distance_km",  # cost
    "town_distance_km",          # benefit
    "free_cooling_months",       # benefit
)
# Columns only ever used by constraints (never scored) in these tests.
CONSTRAINT_ONLY = ("land_excluded", "in_study_area", "on_national_grid", "large_city_distance_km")

PANDAS_OPS = {"<=": "le", ">=": "ge", "<": "lt", ">": "gt", "==": "eq", "!=": "ne"}


# --------------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------------


@dataclass
class Column:
    """How one criterion is scored, and the raw-value range worth exploring for it."""

    name: str
    direction: str
    kind: str
    lo: float  # interesting raw range: a margin beyond the domain / outermost points, so clamping is hit
    hi: float
    anchors: tuple[float, ...]  # domain ends / knots / category codes


@dataclass
class Scenario:
    data: dict
    profile: Profile
    matrix: pd.DataFrame
    columns: list[Column]


def _finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def value_function(draw, direction: str, kinds: tuple[str, ...]):
    kind = draw(st.sampled_from(kinds))
    if kind == "linear":
        lo = draw(_finite(-1000, 1000))
        width = draw(_finite(0.01, 2000))
        hi = lo + width
        assume(hi > lo)
        return {"kind": "linear", "domain": [lo, hi]}, (lo - width, hi + width), (lo, hi)
    if kind == "piecewise":
        xs = sorted(draw(st.lists(st.integers(-500, 500), min_size=2, max_size=6, unique=True)))
        vs = sorted(draw(st.lists(_finite(0, 1), min_size=len(xs), max_size=len(xs))))
        if direction == "cost":
            vs = vs[::-1]
        pts = [[float(x), float(v)] for x, v in zip(xs, vs)]
        span = xs[-1] - xs[0]
        return {"kind": "piecewise", "points": pts}, (xs[0] - span, xs[-1] + span), tuple(float(x) for x in xs)
    # categorical: integer codes; raw values will only ever be drawn from the codes
    codes = draw(st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True))
    cats = {str(c): draw(_finite(0, 1)) for c in codes}
    return {"kind": "categorical", "categories": cats}, (min(codes), max(codes)), tuple(float(c) for c in codes)


@st.composite
def raw_values(draw, col: Column, n: int, nan: bool, ties: bool) -> list[float]:
    if col.kind == "categorical":
        elem = st.sampled_from(col.anchors)
    elif ties:
        elem = st.sampled_from(col.anchors + ((col.lo + col.hi) / 2,))
    else:
        elem = st.one_of(st.sampled_from(col.anchors), _finite(col.lo, col.hi))
    if nan:
        elem = st.one_of(elem, st.just(math.nan))
    return draw(st.lists(elem, min_size=n, max_size=n))


@st.composite
def scenarios(draw, *, min_criteria: int = 1, max_criteria: int = 5, min_rows: int = 1, max_rows: int = 12,
              kinds: tuple[str, ...] = ("linear", "piecewise", "categorical"), nan: bool = False,
              missing_modes: tuple[str, ...] = ("neutral", "exclude", "worst"), zero_weights: bool = True,
              constraints: bool = False, ties: bool | None = None) -> Scenario:
    names = draw(st.lists(st.sampled_from(POOL), min_size=min_criteria, max_size=max_criteria, unique=True))
    n = draw(st.integers(min_rows, max_rows))
    if ties is None:
        ties = draw(st.booleans())
    crit_tables: dict[str, dict] = {}
    cols: list[Column] = []
    for name in names:
        natural = CRITERIA[name].direction
        explicit = draw(st.sampled_from([None, "benefit", "cost"]))
        direction = explicit or natural
        vf, (lo, hi), anchors = draw(value_function(direction, kinds))
        weight = draw(st.one_of(st.just(0), st.integers(1, 100), _finite(0.001, 100))) if zero_weights \
            else draw(st.one_of(st.integers(1, 100), _finite(0.001, 100)))
        table = {"weight": weight, "value": vf, "missing": draw(st.sampled_from(missing_modes))}
        if explicit:
            table["direction"] = explicit
        if draw(st.booleans()):
            table["missing_value"] = draw(_finite(0, 1))
        crit_tables[name] = table
        cols.append(Column(name, direction, vf["kind"], lo, hi, anchors))
    if sum(t["weight"] for t in crit_tables.values()) <= 0:
        crit_tables[names[0]]["weight"] = 1
    data = {"name": "prop", "facility_mw": draw(st.sampled_from([1, 5, 10, 100])), "season": "winter",
            "criteria": crit_tables}

    frame: dict[str, list] = {}
    # unique ids, unrelated to row position
    perm = draw(st.permutations(list(range(n))))
    frame["candidate_id"] = [f"c{p:03d}" for p in perm]
    for col in cols:
        frame[col.name] = draw(raw_values(col, n, nan, ties))
    if constraints:
        cons = []
        for _ in range(draw(st.integers(1, 4))):
            column = draw(st.sampled_from(tuple(names) + CONSTRAINT_ONLY))
            if column not in frame:
                frame[column] = draw(st.lists(st.sampled_from([0.0, 1.0, 2.5, 5.0, 10.0, math.nan]),
                                              min_size=n, max_size=n))
            present = [v for v in frame[column] if not math.isnan(v)]
            value = draw(st.one_of(st.sampled_from(present or [0.0]), st.sampled_from([0, 1, 5, 10]),
                                   st.just("facility_mw")))
            cons.append({"column": column, "op": draw(st.sampled_from(list(PANDAS_OPS))), "value": value,
                         "label": f"rule-{len(cons)}", "missing": draw(st.sampled_from(["fail", "pass"]))})
        data["constraints"] = cons
    profile = parse_profile(data, "hypothesis")
    return Scenario(data, profile, pd.DataFrame(frame), cols)


def _better(direction: str, a: float, b: float) -> tuple[float, float]:
    """(worse, better) of two raw values for a criterion of ``direction``."""
    lo, hi = min(a, b), max(a, b)
    return (lo, hi) if direction == "benefit" else (hi, lo)


# --------------------------------------------------------------------------------------------------
# 1. weights are normalised
# --------------------------------------------------------------------------------------------------

weights_lists = st.lists(st.one_of(st.just(0.0), _finite(1e-6, 1e6)), min_size=1, max_size=12)


@SETTINGS
@given(weights_lists)
def test_normalise_weights_sum_to_one_and_keep_zeros(w):
    assume(sum(w) > 0)
    out = normalise_weights(w)
    assert out.shape == (len(w),)
    assert abs(out.sum() - 1.0) <= 1e-12
    arr = np.asarray(w)
    assert np.all(out[arr == 0] == 0)
    assert np.all(out[arr > 0] > 0)
    # proportions are kept: w_i / w_j is unchanged
    j = int(np.argmax(arr))
    np.testing.assert_allclose(out / out[j], arr / arr[j], rtol=1e-12, atol=0)


@SETTINGS
@given(st.integers(1, 12))
def test_normalise_weights_all_zero_raises(k):
    with pytest.raises(ScoringError):
        normalise_weights([0.0] * k)


@SETTINGS
@given(weights_lists, st.data())
def test_normalise_weights_negative_or_non_finite_raises(w, data):
    i = data.draw(st.integers(0, len(w) - 1))
    w = list(w)
    w[i] = data.draw(st.one_of(_finite(-1e6, -1e-12), st.just(-0.0 - 1e-300), st.just(math.nan), st.just(math.inf)))
    with pytest.raises(ScoringError):
        normalise_weights(w)


def test_normalise_weights_empty_raises():
    with pytest.raises(ScoringError):
        normalise_weights([])


@SETTINGS
@given(scenarios(), st.floats(1e-3, 1e3))
def test_engine_uses_normalised_profile_weights_and_is_scale_invariant(sc, factor):
    res = score(sc.matrix, sc.profile)
    raw = np.array([sc.profile.weights[c] for c in res.criteria])
    assert res.criteria == tuple(sc.profile.weights)
    np.testing.assert_allclose(res.weights, raw / raw.sum(), rtol=0, atol=1e-15)
    assert abs(res.weights.sum() - 1) <= 1e-12
    assert np.all(res.weights[raw == 0] == 0)
    # multiplying every weight by the same factor changes nothing but rounding
    scaled = sc.profile.with_weights({c: w * factor for c, w in sc.profile.weights.items()})
    res2 = score(sc.matrix, scaled)
    np.testing.assert_allclose(res2.weights, res.weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res2.score, res.score, rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(res2.feasible, res.feasible)


@SETTINGS
@given(scenarios(min_criteria=1))
def test_all_zero_weights_are_refused(sc):
    # parse_profile refuses an all-zero profile outright ...
    data = {**sc.data, "criteria": {k: {**v, "weight": 0} for k, v in sc.data["criteria"].items()}}
    with pytest.raises(ProfileError):
        parse_profile(data, "zero")
    # ... so does with_weights, the one place weights change after parsing ...
    with pytest.raises(ProfileError, match="every weight is zero"):
        sc.profile.with_weights({c: 0 for c in sc.profile.weights})
    # ... and the engine still refuses a profile built around both checks
    zeroed = replace(sc.profile, criteria=tuple(replace(c, weight=0.0) for c in sc.profile.criteria))
    with pytest.raises(ScoringError):
        score(sc.matrix, zeroed)


@SETTINGS
@given(st.lists(st.one_of(st.just(0.0), _finite(1e-6, 1.7e308)), min_size=1, max_size=12))
def test_normalise_weights_huge_finite_weights_do_not_overflow(w):
    """Finite weights whose plain sum overflows still normalise (no RuntimeWarning, no all-zero result)."""
    assume(max(w) > 0)
    out = normalise_weights(w)  # an overflow RuntimeWarning would be an error here (filterwarnings = error)
    assert np.all(np.isfinite(out))
    assert abs(out.sum() - 1.0) <= 1e-12
    arr = np.asarray(w)
    assert np.all(out[arr == 0] == 0)
    assert out[int(np.argmax(arr))] > 0


def test_normalise_weights_overflowing_sum_regression():
    # regression: the first version divided by sum(w) = inf and returned [0, 0]
    np.testing.assert_allclose(normalise_weights([1e308, 1e308]), [0.5, 0.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(normalise_weights([1.7e308, 0.0, 1.7e308 / 3]), [0.75, 0.0, 0.25], rtol=0, atol=1e-15)


# --------------------------------------------------------------------------------------------------
# 2. contributions add up to the score
# --------------------------------------------------------------------------------------------------


@SETTINGS
@given(scenarios(nan=True, constraints=True))
def test_contributions_add_up_to_score(sc):
    res = score(sc.matrix, sc.profile)
    n, k = len(sc.matrix), len(sc.profile.criteria)
    assert res.values.shape == res.contributions.shape == (n, k)
    np.testing.assert_allclose(res.contributions, 100.0 * res.weights * res.values, rtol=0, atol=1e-12)
    f = res.feasible
    np.testing.assert_allclose(res.contributions[f].sum(axis=1), res.score[f], rtol=0, atol=1e-9)
    # zero-weight criteria contribute exactly nothing
    assert np.all(res.contributions[:, res.weights == 0] == 0)
    assert np.all(np.isnan(res.score[~f]))


# --------------------------------------------------------------------------------------------------
# 3. monotonicity
# --------------------------------------------------------------------------------------------------

# np.interp is not monotone to the last bit next to a knot (one ulp, ~1e-16); allow float noise only.
MONO_TOL = 1e-9


@SETTINGS
@given(scenarios(kinds=("linear", "piecewise"), max_rows=8, zero_weights=False), st.data())
def test_better_raw_value_never_lowers_score(sc, data):
    m = sc.matrix
    i = data.draw(st.integers(0, len(m) - 1), label="row")
    j = data.draw(st.integers(0, len(sc.columns) - 1), label="criterion")
    col = sc.columns[j]
    pick = st.one_of(st.sampled_from(col.anchors), _finite(col.lo, col.hi))
    worse, better = _better(col.direction, data.draw(pick), data.draw(pick))
    m0, m1 = m.copy(), m.copy()
    m0.loc[m0.index[i], col.name] = worse
    m1.loc[m1.index[i], col.name] = better
    r0, r1 = score(m0, sc.profile), score(m1, sc.profile)
    assert r0.feasible[i] == r1.feasible[i]  # no constraints; the changed value is known in both
    if r0.feasible[i]:
        assert r1.score[i] >= r0.score[i] - MONO_TOL
        assert r1.values[i, j] >= r0.values[i, j] - 1e-12
        assert r1.rank[i] <= r0.rank[i]
    # the weighted sum is absolute: nobody else's score moves
    others = np.arange(len(m)) != i
    np.testing.assert_array_equal(r0.score[others], r1.score[others])


@SETTINGS
@given(scenarios(kinds=("linear",), max_rows=6), st.data())
def test_linear_value_clamps_outside_domain(sc, data):
    """Beyond the domain a linear value is flat: anything past the best end scores like the best end."""
    j = data.draw(st.integers(0, len(sc.columns) - 1))
    col = sc.columns[j]
    lo, hi = col.anchors
    i = data.draw(st.integers(0, len(sc.matrix) - 1))
    beyond_hi = data.draw(_finite(hi, hi + 10 * (hi - lo)))
    beyond_lo = data.draw(_finite(lo - 10 * (hi - lo), lo))
    vals = []
    for raw in (lo, beyond_lo, hi, beyond_hi):
        m = sc.matrix.copy()
        m.loc[m.index[i], col.name] = raw
        vals.append(score(m, sc.profile).values[i, j])
    at_lo, past_lo, at_hi, past_hi = vals
    best, worst = (1.0, 0.0) if col.direction == "benefit" else (0.0, 1.0)
    assert at_lo == past_lo == worst
    assert at_hi == past_hi == best


@pytest.mark.parametrize("direction", ["benefit", "cost"])
def test_monotone_across_piecewise_knots_and_linear_clamps(direction):
    """A dense sweep over the raw axis (including one ulp either side of every knot) never lowers the score."""
    vs = [0.0, 0.2, 0.7, 0.7, 1.0]
    if direction == "cost":
        vs = vs[::-1]
    xs = [-10.0, 0.0, 47.0, 60.0, 100.0]
    data = {"name": "p", "facility_mw": 10, "season": "winter", "criteria": {
        "grid_voltage_kv": {"weight": 3, "direction": direction,
                            "value": {"kind": "piecewise", "points": [[x, v] for x, v in zip(xs, vs)]}},
        "hours_above_35c": {"weight": 2, "direction": direction, "value": {"kind": "linear", "domain": [-5, 80]}},
    }}
    profile = parse_profile(data, "sweep")
    knots = np.array(xs + [-5.0, 80.0])
    sweep = np.unique(np.concatenate([np.linspace(-50, 150, 4001), knots, np.nextafter(knots, -np.inf),
                                      np.nextafter(knots, np.inf)]))
    if direction == "cost":
        sweep = sweep[::-1]  # improving order
    for c in ("grid_voltage_kv", "hours_above_35c"):
        m = pd.DataFrame({"candidate_id": [f"s{i:05d}" for i in range(len(sweep))], "grid_voltage_kv": 50.0,
                          "hours_above_35c": 50.0})
        m[c] = sweep
        s = score(m, profile).score
        assert np.all(np.diff(s) >= -MONO_TOL), f"{c}: score drops along an improving sweep"
        assert s[-1] - s[0] > 10  # the sweep really moved the score (40 points of weight over the range)


# --------------------------------------------------------------------------------------------------
# 4. a zero-weight criterion never changes the order
# --------------------------------------------------------------------------------------------------


@SETTINGS
@given(scenarios(min_criteria=2, nan=True, zero_weights=True), st.data())
def test_zero_weight_criterion_never_changes_anything(sc, data):
    j = data.draw(st.integers(0, len(sc.columns) - 1), label="ignored criterion")
    name = sc.columns[j].name
    others = [c for c in sc.profile.weights if c != name]
    weights = {c: sc.profile.weights[c] for c in others}
    if sum(weights.values()) <= 0:
        weights[others[0]] = 1.0
    profile = sc.profile.with_weights({**weights, name: 0.0})
    base = score(sc.matrix, profile)

    scrambled = sc.matrix.copy()
    col = sc.columns[j]
    new = data.draw(raw_values(col, len(scrambled), nan=True, ties=False), label="scrambled column")
    scrambled[name] = data.draw(st.permutations(new))
    res = score(scrambled, profile)

    np.testing.assert_array_equal(res.order, base.order)
    np.testing.assert_array_equal(res.rank, base.rank)
    np.testing.assert_array_equal(res.feasible, base.feasible)
    np.testing.assert_array_equal(res.score, base.score)
    np.testing.assert_array_equal(res.topsis_score, base.topsis_score)
    for i in range(len(scrambled)):
        assert name not in res.gaps(i)
        assert not any(name in r for r in res.reasons(i, scrambled))


# --------------------------------------------------------------------------------------------------
# 5. deterministic rank, independent of row order, ties by candidate id
# --------------------------------------------------------------------------------------------------


def _check_order(res, ids: np.ndarray) -> None:
    """``order`` lists exactly the feasible rows, by score descending then candidate id ascending."""
    order = res.order
    assert sorted(order.tolist()) == np.flatnonzero(res.feasible).tolist()
    for a, b in zip(order, order[1:]):
        assert res.score[a] > res.score[b] or (res.score[a] == res.score[b] and ids[a] < ids[b]), \
            f"rows {a} ({ids[a]}, {res.score[a]}) and {b} ({ids[b]}, {res.score[b]}) are out of order"
    assert np.all(res.rank[order] == np.arange(1, len(order) + 1))
    assert np.all(res.rank[~res.feasible] == 0)


@SETTINGS
@given(scenarios(nan=True, constraints=True, max_rows=15), st.randoms(use_true_random=False))
def test_rank_is_deterministic_and_independent_of_row_order(sc, rnd):
    m = sc.matrix
    a, b = score(m, sc.profile), score(m.copy(), sc.profile)
    np.testing.assert_array_equal(a.order, b.order)
    np.testing.assert_array_equal(a.rank, b.rank)
    ids = m["candidate_id"].to_numpy(dtype=str)
    _check_order(a, ids)

    perm = list(range(len(m)))
    rnd.shuffle(perm)
    for shuffled in (m.iloc[perm], m.iloc[perm].reset_index(drop=True)):  # with and without the old index
        c = score(shuffled, sc.profile)
        sids = shuffled["candidate_id"].to_numpy(dtype=str)
        _check_order(c, sids)
        assert list(sids[c.order]) == list(ids[a.order])
        by_id = dict(zip(ids, a.rank))
        assert [by_id[x] for x in sids] == c.rank.tolist()
        np.testing.assert_array_equal(c.score, a.score[perm])


@SETTINGS
@given(scenarios(ties=True, max_rows=6, kinds=("linear", "categorical")), st.integers(2, 4), st.data())
def test_identical_rows_tie_and_are_ordered_by_candidate_id(sc, copies, data):
    """Duplicated candidates (same raw values, different ids) get the same score, best id first."""
    m = sc.matrix
    dup = pd.concat([m] * copies, ignore_index=True)
    ids = [f"{cid}-{k}" for k in range(copies) for cid in m["candidate_id"]]
    ids = data.draw(st.permutations(ids))  # ids are not in row order
    dup["candidate_id"] = ids
    res = score(dup, sc.profile)
    _check_order(res, np.asarray(ids))
    for r in range(len(m)):
        rows = [r + k * len(m) for k in range(copies)]
        assert res.feasible[rows].all()  # no constraints, no unknowns
        assert len(set(res.score[rows].tolist())) == 1
        # everyone with that score (the copies, and any other row that happens to tie) forms one block of
        # consecutive ranks, in candidate-id order
        tied = np.flatnonzero(res.score == res.score[r])
        ranks = np.sort(res.rank[tied])
        assert ranks.tolist() == list(range(ranks[0], ranks[0] + len(tied)))
        got = [ids[x] for x in res.order if x in set(tied.tolist())]
        assert got == sorted(got)


# --------------------------------------------------------------------------------------------------
# 6. score range and constraints
# --------------------------------------------------------------------------------------------------


def _expected_failures(sc: Scenario) -> np.ndarray:
    """(n, n_constraints) bool: constraint b fails on row i, evaluated directly with pandas."""
    m = sc.matrix
    out = np.zeros((len(m), len(sc.profile.constraints)), dtype=bool)
    for b, con in enumerate(sc.profile.constraints):
        thr = sc.profile.facility_mw if con.value == "facility_mw" else float(con.value)
        x = m[con.column].astype(float)
        ok = getattr(x, PANDAS_OPS[con.op])(thr)
        ok = ok.where(x.notna(), con.missing == "pass").astype(bool)
        out[:, b] = ~ok.to_numpy()
    return out


@SETTINGS
@given(scenarios(nan=True, constraints=True, max_rows=15))
def test_scores_in_range_and_constraints_exclude_exactly_the_breakers(sc):
    res = score(sc.matrix, sc.profile)
    fails = _expected_failures(sc)
    # exclusion by unknown values of weighted "exclude" criteria
    n_excl = np.zeros(len(sc.matrix), dtype=int)
    for spec in sc.profile.criteria:
        if spec.missing == "exclude" and spec.weight > 0:
            n_excl += sc.matrix[spec.name].isna().to_numpy()
    excl = n_excl > 0

    np.testing.assert_array_equal(res.feasible, ~fails.any(axis=1) & ~excl)
    for b in range(fails.shape[1]):
        np.testing.assert_array_equal(((res.failed_mask >> b) & 1).astype(bool), fails[:, b])
    counts = res.failure_counts()
    for b, con in enumerate(sc.profile.constraints):
        assert counts[con.describe(sc.profile.params())] == int(fails[:, b].sum()) or \
            sum(c.describe(sc.profile.params()) == con.describe(sc.profile.params())
                for c in sc.profile.constraints) > 1  # two identical rules share a key

    f = res.feasible
    # exactly 0..100: the engine clips the ~1e-14 rounding overshoot (test_perfect_candidate_never_scores_above_100)
    assert np.all((res.score[f] >= 0) & (res.score[f] <= 100))
    assert np.all((res.values >= 0) & (res.values <= 1))
    assert np.all((res.topsis_score[f] >= 0) & (res.topsis_score[f] <= 100 + 1e-9))
    assert np.all(np.isnan(res.score[~f])) and np.all(np.isnan(res.topsis_score[~f]))
    assert res.n_feasible == int(f.sum())
    for i in range(len(sc.matrix)):
        reasons = res.reasons(i, sc.matrix)
        assert len(reasons) == int(fails[i].sum()) + int(n_excl[i])
        labels = [c.label for b, c in enumerate(sc.profile.constraints) if fails[i, b]]
        for label in labels:
            assert any(label in r for r in reasons)


def _perfect_candidate(weights):
    names = POOL[:len(weights)]
    crit = {nm: {"weight": w, "direction": "cost", "value": {"kind": "linear", "domain": [0, 1]}}
            for nm, w in zip(names, weights)}
    p = parse_profile({"name": "t", "facility_mw": 1, "season": "winter", "criteria": crit}, "t")
    m = pd.DataFrame({"candidate_id": ["a"], **{nm: [0.0] for nm in names}})  # every criterion at its best end
    res = score(m, p)
    assert res.values.tolist() == [[1.0] * len(weights)]
    return res


@pytest.mark.parametrize("weights", [(1,), (1, 1, 1), (3, 7, 11, 13), (1, 1, 1, 1, 1, 1, 1), (1, 34)])
def test_perfect_candidate_scores_100(weights):
    assert _perfect_candidate(weights).score[0] == pytest.approx(100.0, abs=1e-9)


@pytest.mark.parametrize("weights", [(1, 23), (17, 7), (30, 25, 10, 5, 20, 5, 5), (1, 34)], ids=["1-23", "17-7", "bitcoin", "1-34"])
def test_perfect_candidate_never_scores_above_100(weights):
    # Regression: summing the rounded contributions 100*w_i*1 gives 100.00000000000001 for these weights
    # ((1, 23) and (17, 7) under both w/sum(w) and (w/max)/sum normalisation); the engine must clip.
    s = _perfect_candidate(weights).score[0]
    assert s <= 100.0, repr(s)


@SETTINGS
@given(st.sampled_from(list(PANDAS_OPS)), st.lists(st.one_of(st.sampled_from([0.0, 1.0, 4.0]), st.just(math.nan)),
                                                     min_size=1, max_size=10),
       st.sampled_from([0.0, 1.0, 4.0]))
def test_constraint_missing_pass_and_fail(op, column, thr):
    """``missing="pass"`` lets an unknown through; ``missing="fail"`` (the default) excludes it."""
    n = len(column)
    m = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], "grid_distance_km": 1.0,
                      "town_distance_km": column})
    x = np.asarray(column)
    known_ok = getattr(pd.Series(x), PANDAS_OPS[op])(thr).to_numpy() & ~np.isnan(x)
    for missing in ("pass", "fail"):
        data = {"name": "c", "facility_mw": 10, "season": "winter",
                "criteria": {"grid_distance_km": {"weight": 1, "value": {"kind": "linear", "domain": [0, 10]}}},
                "constraints": [{"column": "town_distance_km", "op": op, "value": thr, "label": "rule",
                                 "missing": missing}]}
        res = score(m, parse_profile(data, "c"))
        expected = known_ok | (np.isnan(x) & (missing == "pass"))
        np.testing.assert_array_equal(res.feasible, expected)
        for i in np.flatnonzero(np.isnan(x) & ~expected):
            assert res.reasons(i, m) == ["not rule: town_distance_km is unknown"]


def test_constraint_with_facility_parameter_follows_with_facility_mw():
    m = pd.DataFrame({"candidate_id": ["a", "b", "c"], "grid_distance_km": [1.0, 2.0, 3.0],
                      "region_surplus_mw": [50.0, 150.0, 400.0]})
    data = {"name": "c", "facility_mw": 100, "season": "winter",
            "criteria": {"grid_distance_km": {"weight": 1, "value": {"kind": "linear", "domain": [0, 10]}}},
            "constraints": [{"column": "region_surplus_mw", "op": ">=", "value": "facility_mw", "label": "big"}]}
    p = parse_profile(data, "c")
    assert score(m, p).feasible.tolist() == [False, True, True]
    assert score(m, p.with_facility_mw(200)).feasible.tolist() == [False, False, True]
    assert score(m, p.with_facility_mw(10)).feasible.tolist() == [True, True, True]
    assert "needs >= 200" in score(m, p.with_facility_mw(200)).reasons(1, m)[0]


def test_unlisted_category_never_gives_a_feasible_nan_score():
    """Regression: a code a categorical value function does not list (and no default) is unknown, not NaN.

    The first version let the value NaN through: a feasible row with score NaN, ranked last, and every
    feasible row's TOPSIS closeness flattened to 0.5.
    """
    data = {"name": "c", "facility_mw": 10, "season": "winter", "criteria": {
        "flood_2022": {"weight": 1, "value": {"kind": "categorical", "categories": {"0": 1.0, "1": 0.0}}},
        "grid_distance_km": {"weight": 1, "value": {"kind": "linear", "domain": [0, 100]}}}}
    m = pd.DataFrame({"candidate_id": ["a", "b", "c"], "flood_2022": [0.0, 1.0, 2.0],
                      "grid_distance_km": [10.0, 50.0, 90.0]})
    res = score(m, parse_profile(data, "c"))
    f = res.feasible
    assert not np.isnan(res.values[f]).any(), f"values {res.values.tolist()}"
    assert not np.isnan(res.score[f]).any(), f"feasible rows with NaN score: {res.score.tolist()}"
    assert res.values[2, 0] == 0.5 and "flood_2022" in res.gaps(2)
    assert res.score.tolist() == [95.0, 25.0, 30.0]
    assert res.rank.tolist() == [1, 3, 2]
    # and no NaN flattens the other rows' TOPSIS closeness to 0.5
    assert np.all(np.isfinite(res.topsis_score)) and len(set(res.topsis_score.tolist())) == 3
    assert res.topsis_score[0] == 100.0  # a dominates both others on the values 1/0.9 vs 0/0.5 and 0.5/0.1


@SETTINGS
@given(st.sampled_from(["neutral", "exclude", "worst"]), st.floats(0, 1),
       st.lists(st.sampled_from([0.0, 1.0, 2.0, 7.0, -1.0, 0.5]), min_size=1, max_size=10), st.booleans())
def test_unlisted_category_follows_the_missing_rule(mode, mv, codes, zero_weight):
    table = {"weight": 0 if zero_weight else 2, "missing": mode, "missing_value": mv,
             "value": {"kind": "categorical", "categories": {"0": 1.0, "1": 0.25}}}
    data = {"name": "c", "facility_mw": 10, "season": "winter", "criteria": {
        "flood_2022": table, "grid_distance_km": {"weight": 1, "value": {"kind": "linear", "domain": [0, 100]}}}}
    m = pd.DataFrame({"candidate_id": [f"c{i:02d}" for i in range(len(codes))], "flood_2022": codes,
                      "grid_distance_km": 40.0})
    res = score(m, parse_profile(data, "c"))
    unlisted = ~np.isin(np.asarray(codes), [0.0, 1.0])
    assert not np.isnan(res.values).any()
    assert not np.isnan(res.score[res.feasible]).any()
    if zero_weight:  # ignored entirely
        assert res.feasible.all()
        assert all(res.gaps(i) == [] for i in range(len(codes)))
        return
    listed = {0.0: 1.0, 1.0: 0.25}
    expected_value = {"neutral": mv, "worst": 0.0, "exclude": 0.0}[mode]
    for i, code in enumerate(codes):
        assert res.values[i, 0] == listed.get(code, expected_value)
        assert ("flood_2022" in res.gaps(i)) == bool(unlisted[i])
    np.testing.assert_array_equal(res.feasible, ~unlisted if mode == "exclude" else np.ones(len(codes), bool))
    for i in np.flatnonzero(~res.feasible):
        assert any("flood_2022" in r for r in res.reasons(i, m))


# --------------------------------------------------------------------------------------------------
# 7. missing values are never silently zero
# --------------------------------------------------------------------------------------------------


@SETTINGS
@given(scenarios(min_criteria=1, max_rows=8, zero_weights=False, missing_modes=("neutral",)), st.data())
def test_missing_neutral_scores_missing_value_and_is_flagged(sc, data):
    m = sc.matrix.copy()
    i = data.draw(st.integers(0, len(m) - 1))
    j = data.draw(st.integers(0, len(sc.columns) - 1))
    name = sc.columns[j].name
    m.loc[m.index[i], name] = math.nan
    res = score(m, sc.profile)
    spec = sc.profile.criteria[j]
    assert res.feasible[i]
    assert res.values[i, j] == spec.missing_value
    assert res.contributions[i, j] == pytest.approx(100 * res.weights[j] * spec.missing_value, abs=1e-12)
    assert name in res.gaps(i)
    assert res.missing[i, j]
    # the gaps list names exactly the unknown criteria of the row
    assert res.gaps(i) == [c for c in res.criteria if math.isnan(m[c].iloc[i])]


@SETTINGS
@given(scenarios(min_criteria=1, max_rows=8, zero_weights=False, missing_modes=("neutral", "worst")),
       st.data())
def test_missing_neutral_differs_from_zero_and_worst_is_flagged(sc, data):
    """Neutral = the stated value (default 0.5), worst = 0; both are flagged as gaps, neither excludes."""
    m = sc.matrix.copy()
    i = data.draw(st.integers(0, len(m) - 1))
    j = data.draw(st.integers(0, len(sc.columns) - 1))
    name = sc.columns[j].name
    m.loc[m.index[i], name] = math.nan
    table = dict(sc.data["criteria"][name])
    table.pop("missing_value", None)
    out = {}
    for mode in ("neutral", "worst"):
        prof = parse_profile({**sc.data, "criteria": {**sc.data["criteria"], name: {**table, "missing": mode}}}, "m")
        res = score(m, prof)
        assert res.feasible[i]
        assert name in res.gaps(i)
        out[mode] = res
    assert out["neutral"].values[i, j] == 0.5
    assert out["worst"].values[i, j] == 0.0
    assert out["neutral"].score[i] > out["worst"].score[i]


@SETTINGS
@given(scenarios(min_criteria=1, max_rows=8, zero_weights=False, missing_modes=("exclude",)), st.data())
def test_missing_exclude_makes_row_infeasible_with_reason(sc, data):
    m = sc.matrix.copy()
    i = data.draw(st.integers(0, len(m) - 1))
    j = data.draw(st.integers(0, len(sc.columns) - 1))
    name = sc.columns[j].name
    m.loc[m.index[i], name] = math.nan
    res = score(m, sc.profile)
    assert not res.feasible[i]
    assert res.rank[i] == 0 and i not in res.order
    assert math.isnan(res.score[i]) and math.isnan(res.topsis_score[i])
    reasons = res.reasons(i, m)
    assert any(name in r for r in reasons), reasons
    assert res.failure_counts()[f"{name} unknown"] == int(m[name].isna().sum())
    # the other rows are untouched by this row's gap (absolute scores)
    rest = score(m.drop(index=m.index[i]), sc.profile)
    keep = np.arange(len(m)) != i
    np.testing.assert_array_equal(rest.score, res.score[keep])


@SETTINGS
@given(scenarios(min_criteria=2, max_rows=8, zero_weights=False), st.sampled_from(["neutral", "exclude", "worst"]),
       st.data())
def test_zero_weight_criterion_nan_neither_excludes_nor_is_a_gap(sc, mode, data):
    j = data.draw(st.integers(0, len(sc.columns) - 1))
    name = sc.columns[j].name
    crit = {k: dict(v) for k, v in sc.data["criteria"].items()}
    crit[name].update(weight=0, missing=mode)
    profile = parse_profile({**sc.data, "criteria": crit}, "z")
    m = sc.matrix.copy()
    rows = data.draw(st.lists(st.integers(0, len(m) - 1), min_size=1, unique=True))
    m.loc[m.index[rows], name] = math.nan
    res = score(m, profile)
    base = score(sc.matrix, profile)
    np.testing.assert_array_equal(res.feasible, base.feasible)
    np.testing.assert_array_equal(res.score, base.score)
    for i in rows:
        assert name not in res.gaps(i)
        assert not res.missing[i, j]
        assert not any(name in r for r in res.reasons(i, m))
    assert f"{name} unknown" not in res.failure_counts()
