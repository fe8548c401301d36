"""The fast re-scoring paths (sitefinder/fastscore.py) give exactly the ranking of the straightforward
implementation (scoring.score; scoring.topsis over every feasible row) on random matrices with ties and missing
values, for random weights, including weights of zero and a criterion whose missing value excludes a site."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sitefinder.model.profiles import load_profile, parse_profile
from sitefinder.rank.fastscore import prepare, reference_topsis_order, rescore, rescore_topsis
from sitefinder.rank.scoring import score

PROFILE = parse_profile({
    "name": "oracle", "facility_mw": 50, "season": "winter",
    "criteria": {
        "region_surplus_mw": {"weight": 30, "value": {"kind": "linear", "domain": [0, 1000]}, "missing": "exclude"},
        "grid_distance_km": {"weight": 20, "value": {"kind": "linear", "domain": [0, 50]}},
        "hours_above_35c": {"weight": 20, "value": {"kind": "linear", "domain": [0, 2000]}, "missing": "neutral"},
        "cooling_degree_days": {"weight": 10, "value": {"kind": "linear", "domain": [1000, 4000]}, "missing": "worst"},
        "flood_2022": {"weight": 5, "value": {"kind": "categorical", "categories": {"0": 1.0, "1": 0.0}}},
    },
    "constraints": [
        {"column": "grid_distance_km", "op": "<=", "value": 40, "label": "near", "missing": "fail"},
        {"column": "region_surplus_mw", "op": ">=", "value": "facility_mw", "label": "surplus", "missing": "pass"},
    ],
}, "oracle profile")


def random_matrix(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Coarse values (many exact ties), about 10 % missing in each column, shuffled ids."""
    def col(values: np.ndarray, missing: float = 0.1) -> np.ndarray:
        out = values.astype(float)
        out[rng.random(n) < missing] = np.nan
        return out
    return pd.DataFrame({
        "candidate_id": rng.permutation([f"c{i:06d}" for i in range(n)]),
        "region_surplus_mw": col(rng.integers(0, 11, n) * 100.0),
        "grid_distance_km": col(rng.integers(0, 10, n) * 5.0, 0.02),
        "hours_above_35c": col(rng.integers(0, 5, n) * 500.0),
        "cooling_degree_days": col(rng.integers(1, 5, n) * 1000.0),
        "flood_2022": col(rng.integers(0, 2, n).astype(float)),
    })


def random_weights(rng: np.random.Generator) -> dict[str, float]:
    names = [c.name for c in PROFILE.criteria]
    w = {n: float(rng.choice([0.0, 1.0, 5.0, 10.0, 33.3, 100.0])) for n in names}
    if not any(w.values()):
        w[names[0]] = 1.0
    return w


@pytest.mark.parametrize("seed", range(40))
def test_fast_weighted_sum_equals_the_straightforward_ranking(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([5, 60, 2000, 20_000]))
    matrix = random_matrix(rng, n)
    prep = prepare(matrix, PROFILE)
    for _ in range(4):
        w = random_weights(rng)
        top = int(rng.choice([1, 10, 100, 5000]))
        ref = score(matrix, PROFILE.with_weights(w))
        rows, scores, n_ok = rescore(prep, w, top)
        assert n_ok == ref.n_feasible
        assert np.array_equal(rows, ref.order[:top]), (seed, w, top)
        assert np.array_equal(scores, ref.score[ref.order[:top]])  # bit for bit


@pytest.mark.parametrize("seed", range(25))
def test_fast_topsis_equals_the_straightforward_ranking(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.choice([5, 60, 2000, 20_000]))
    matrix = random_matrix(rng, n)
    prep = prepare(matrix, PROFILE)
    for _ in range(3):
        w = random_weights(rng)
        top = int(rng.choice([1, 10, 100, 5000]))
        oracle = reference_topsis_order(prep, w)
        rows, close, _ = rescore_topsis(prep, w, top)
        assert np.array_equal(rows, oracle[:top]), (seed, w, top)
        ref = score(matrix, PROFILE.with_weights(w))  # the engine's own TOPSIS cross-check, 0..100
        assert np.array_equal(100.0 * close, ref.topsis_score[rows])


def test_all_ties_are_broken_by_candidate_id() -> None:
    matrix = pd.DataFrame({"candidate_id": ["b", "c", "a", "d"], "region_surplus_mw": [500.0] * 4,
                           "grid_distance_km": [10.0] * 4, "hours_above_35c": [0.0] * 4,
                           "cooling_degree_days": [1000.0] * 4, "flood_2022": [0.0] * 4})
    rows, _, _ = rescore(prepare(matrix, PROFILE), {"grid_distance_km": 1.0}, 3)
    assert list(matrix["candidate_id"].iloc[rows]) == ["a", "b", "c"]


def test_on_the_built_in_data_the_fast_path_matches_for_both_profiles(h3_study) -> None:
    for name in ("bitcoin_mine", "ai_datacenter"):
        prof = load_profile(name)
        matrix = h3_study.matrix(prof)
        prep = prepare(matrix, prof)
        ref = score(matrix, prof)
        rows, scores, _ = rescore(prep, prof.weights, 100)
        assert np.array_equal(rows, ref.order[:100]) and np.array_equal(scores, ref.score[rows])


@pytest.mark.parametrize("seed", range(15))
def test_a_prepared_score_is_the_straightforward_score_field_by_field(seed: int) -> None:
    from sitefinder.rank.fastscore import score_prepared  # noqa: PLC0415

    rng = np.random.default_rng(500 + seed)
    matrix = random_matrix(rng, int(rng.choice([5, 300, 5000, 20_000])))
    prep = prepare(matrix, PROFILE)
    for _ in range(3):
        prof = PROFILE.with_weights(random_weights(rng))
        ref, fast = score(matrix, prof), score_prepared(prep, prof)
        # the rows a page asks for, computed alone (contributions and closeness are made on demand): bit for bit
        rows = rng.choice(len(matrix), size=min(len(matrix), 25), replace=False)
        assert np.array_equal(fast.topsis_score[rows], ref.topsis_score[rows], equal_nan=True)
        assert np.array_equal(fast.contributions[rows], ref.contributions[rows])
        assert np.array_equal(fast.contributions[rows, 1], ref.contributions[rows, 1])
        assert np.array_equal(fast.contributions[int(rows[0])], ref.contributions[int(rows[0])])
        assert np.array_equal(fast.topsis_score[fast.order[:10]], ref.topsis_score[ref.order[:10]])
        for name in ("weights", "values", "contributions", "missing", "score", "feasible", "failed_mask", "rank",
                     "topsis_score", "order"):
            assert np.array_equal(getattr(ref, name), getattr(fast, name), equal_nan=name in ("score", "topsis_score")
                                  ), name
        assert ref.failure_counts() == fast.failure_counts()


def test_the_studys_ranking_is_the_straightforward_one_after_weight_changes(h3_study) -> None:
    prof = load_profile("bitcoin_mine")
    for weights in ({}, {"grid_distance_km": 80.0}, {"region_surplus_mw": 0.0, "flood_2022": 60.0}):
        p = prof.with_weights(weights) if weights else prof
        matrix, fast = h3_study.rank(p)
        ref = score(matrix, p)
        assert np.array_equal(fast.order, ref.order) and np.array_equal(fast.score, ref.score, equal_nan=True)


def test_row_sum_in_blocks_adds_exactly_as_one_pass() -> None:
    """``row_sum`` adds a million rows block by block; every row must still be added left to right, bit for bit
    what one pass over all rows gives (which the Monte Carlo engine relies on)."""
    from sitefinder.rank.scoring import ROW_SUM_BLOCK, row_sum  # noqa: PLC0415

    rng = np.random.default_rng(7)
    c = rng.random((3 * ROW_SUM_BLOCK + 17, 9)) * 10.0 ** rng.integers(-8, 3, (1, 9))  # magnitudes that round
    one_pass = c[:, 0].copy()
    for j in range(1, c.shape[1]):
        one_pass += c[:, j]
    assert np.array_equal(row_sum(c), one_pass)
    assert not np.array_equal(row_sum(c[:, ::-1]), one_pass)  # the order matters here, so the check can fail


def test_exclusion_counts_are_the_bits_counted_row_by_row() -> None:
    rng = np.random.default_rng(11)
    matrix = random_matrix(rng, 20_000)
    result = score(matrix, PROFILE.with_weights(random_weights(rng)))
    naive = {}
    for bit, con in enumerate(PROFILE.constraints):
        naive[con.describe(PROFILE.params())] = int(((result.failed_mask >> bit) & 1).sum())
    for j, spec in enumerate(PROFILE.criteria):
        n = int(((result.failed_mask >> (len(PROFILE.constraints) + j)) & 1).sum())
        if n:
            naive[f"{spec.name} unknown"] = n
    assert result.failure_counts() == naive and sum(naive.values()) > 0
    assert result.failure_counts() == naive  # the kept copy, asked again

