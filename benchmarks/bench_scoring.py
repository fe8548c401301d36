"""Speed of sitefinder's criteria and scoring on the built-in Pakistan data, against what an analyst
would otherwise reach for (scikit-criteria and pymcdm) on the same value matrix, in the same run.

    python benchmarks/bench_scoring.py [--resolutions 5 6 7 8] [--repeat 5] [--markdown docs/performance/scoring.md]

Prints a table (and with --markdown writes it for the docs, with the date and the machine); asserts nothing
(tests check correctness, this measures speed).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

# The criteria are measured cold: an empty disk cache of this run's own, set before sitefinder reads the setting.
_CACHE = tempfile.mkdtemp(prefix="sitefinder-bench-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
os.environ["SITEFINDER_CACHE"] = _CACHE

import benchreport  # noqa: E402
import numpy as np  # noqa: E402

from sitefinder.data.dataset import load_default  # noqa: E402
from sitefinder.model.profiles import load_profile  # noqa: E402
from sitefinder.rank.scoring import score  # noqa: E402
from sitefinder.rank.study import Study  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resolutions", type=int, nargs="+", default=[5, 6, 7, 8])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", default="bitcoin_mine")
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file (the docs' copy)")
    args = ap.parse_args()

    try:
        import skcriteria as skc
        from skcriteria.agg.simple import WeightedSumModel
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from skcriteria.agg.similarity import TOPSIS as SkTOPSIS
    except ImportError:
        skc = None
    try:
        from pymcdm.methods import TOPSIS as PmTOPSIS
        from pymcdm.methods import WSM as PmWSM
    except ImportError:
        PmTOPSIS = PmWSM = None

    t = time.perf_counter()
    ds = load_default()
    print(f"dataset loaded and validated in {time.perf_counter() - t:.2f} s")
    profile = load_profile(args.profile)
    print(f"profile {profile.name}, {len(profile.criteria)} criteria, {len(profile.constraints)} constraints, "
          f"median of {args.repeat} runs\n")
    head = (f"{'res':>3} {'cells':>9} {'cands s':>8} {'criteria s':>10} {'score ms':>9} {'top20 ms':>9} "
            f"{'skc WSM ms':>10} {'skc TOPSIS ms':>13} {'pymcdm WSM ms':>13} {'pymcdm TOPSIS ms':>16}")
    print(head)
    print("-" * len(head))
    rows = []
    for res in args.resolutions:
        t = time.perf_counter()
        study = Study.on_h3(ds, res)
        t_cands = time.perf_counter() - t
        t = time.perf_counter()
        matrix = study.matrix(profile)
        t_crit = time.perf_counter() - t
        t_score = timed(lambda: score(matrix, profile), args.repeat)
        result = score(matrix, profile)
        t_top = timed(lambda: score(matrix, profile).top(20), args.repeat)
        values = result.values[result.feasible][:, result.weights > 0]
        w = result.weights[result.weights > 0]
        types = np.ones(values.shape[1])
        cols = {}
        if skc is not None:
            def sk_wsm() -> object:
                dm = skc.mkdm(values, [max] * values.shape[1], weights=w)
                return WeightedSumModel().evaluate(dm)

            def sk_topsis() -> object:
                dm = skc.mkdm(values, [max] * values.shape[1], weights=w)
                return SkTOPSIS().evaluate(dm)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cols["skw"] = timed(sk_wsm, max(1, args.repeat // 2))
                cols["skt"] = timed(sk_topsis, max(1, args.repeat // 2))
        if PmWSM is not None:
            ident = lambda x, cost=False: x  # noqa: E731  (the engine's values are already 0..1 benefit)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cols["pmw"] = timed(lambda: PmWSM(normalization_function=ident)(values, w, types), max(1, args.repeat // 2))
                cols["pmt"] = timed(lambda: PmTOPSIS(normalization_function=ident)(values, w, types), max(1, args.repeat // 2))

        def ms(key: str) -> str:
            return f"{cols[key] * 1000:.1f}" if key in cols else "n/a"
        print(f"{res:>3} {len(study.candidates):>9,} {t_cands:>8.2f} {t_crit:>10.2f} {t_score * 1000:>9.1f} "
              f"{t_top * 1000:>9.1f} {ms('skw'):>10} {ms('skt'):>13} {ms('pmw'):>13} {ms('pmt'):>16}")
        sys.stdout.flush()
        rows.append([res, f"{len(study.candidates):,}", f"{int(result.feasible.sum()):,}", f"{t_cands:.2f}",
                     f"{t_crit:.2f}", f"{t_score * 1000:.1f}", f"{t_top * 1000:.1f}", ms("skw"), ms("skt"), ms("pmw"),
                     ms("pmt")])
    print("\nsitefinder 'score' = constraints + value functions + weighted sum + TOPSIS + full deterministic "
          "ranking, on all candidates;\nthe library columns time only their aggregation on the feasible "
          "rows' value matrix (no constraints, no ranking).")
    if args.markdown:
        header = ["resolution", "candidates", "pass the constraints", "making the cells (s)", "measuring the criteria, cold (s)",
                  "sitefinder `score` (ms)", "`score` + top 20 (ms)", "scikit-criteria weighted sum (ms)",
                  "scikit-criteria TOPSIS (ms)", "pymcdm weighted sum (ms)", "pymcdm TOPSIS (ms)"]
        body = benchreport.table(header, rows) + (
            f"\nProfile {profile.name}, {len(profile.criteria)} criteria, {len(profile.constraints)} constraints; "
            f"each time is the median of {args.repeat} runs (the libraries' of {max(1, args.repeat // 2)}). "
            "sitefinder's `score` applies the constraints and value functions, then computes the weighted sum, TOPSIS "
            "and the full deterministic ranking of every candidate; the library columns time only their aggregation, "
            "on the value matrix of the candidates that pass (no constraints, no ranking). \"n/a\" means the library "
            "is not installed (`pip install -e '.[bench]'`).\n")
        benchreport.write(args.markdown, body=body, compared=(
            f"Compared with scikit-criteria {benchreport.version('scikit-criteria')} and pymcdm "
            f"{benchreport.version('pymcdm')} on the same value matrix, in the same run."))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
