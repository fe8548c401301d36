"""Speed of the Monte Carlo ranking (``sitefinder robustness``) on the built-in Pakistan data, beside what one
would write without it: a loop over the draws that calls the ordinary ranking (``scoring.score`` and
``analysis.pick_shortlist``) once per draw, on the same draws in the same run, checked to give the same result.

    python benchmarks/bench_robustness.py [--resolutions 6 7] [--draws 1000] [--loop-draws 100] [--voi]
                                          [--markdown docs/performance/robustness.md]

The loop is timed on its first ``--loop-draws`` draws (all of them if 0) and scaled to the full number of
draws; the vectorised engine's result on those draws must equal the loop's, exactly. Peak memory of the
engine's run is measured with tracemalloc in a separate run. Prints a table (and with --markdown writes it for
the docs, with the date and the machine); asserts nothing else (tests check correctness, this measures speed).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from pathlib import Path

import benchreport
import numpy as np

from sitefinder.data.dataset import load_default
from sitefinder.model.scenario import Scenario
from sitefinder.rank.study import Study
from sitefinder.robustness.engine import Engine, loop_over_draws
from sitefinder.robustness.inputs import DrawSettings, inputs_for, make_draws
from sitefinder.robustness.voi import value_of_information


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--resolutions", type=int, nargs="+", default=[6, 7])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--loop-draws", type=int, default=100, help="draws the loop is timed on (0: all)")
    ap.add_argument("--profile", default="bitcoin_mine")
    ap.add_argument("--voi", action="store_true", help="also time the value of information")
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file (the docs' copy)")
    args = ap.parse_args()

    ds = load_default()
    scenario = Scenario(profile=args.profile)
    profile = scenario.apply()
    settings = DrawSettings(draws=args.draws, seed=7)
    print(f"{os.cpu_count()} CPU(s); profile {profile.name}, {profile.facility_mw:g} MW; {args.draws:,} draws "
          f"(weight spread {settings.weight_spread:g} %, estimates {settings.data_spread}); top {scenario.top}, "
          f"at most {scenario.max_per_node} per node")
    head = (f"{'res':>3} {'candidates':>10} {'can pass':>8} {'engine s':>9} {'per draw ms':>11} {'loop s (scaled)':>16} "
            f"{'speed-up':>8} {'same':>5} {'peak MB':>8}" + (f" {'voi s':>6}" if args.voi else ""))
    print(head)
    print("-" * len(head))
    rows = []
    for res in args.resolutions:
        study = Study.on_h3(ds, res)
        matrix, _ = study.rank(profile)
        inputs = inputs_for(matrix, profile, ds)
        engine = Engine(matrix, profile, inputs, settings, top=scenario.top, max_per_node=scenario.max_per_node)
        draws = make_draws(inputs, settings)

        t = time.perf_counter()
        outcome = engine.run(draws)
        engine_s = time.perf_counter() - t

        n_loop = len(draws) if args.loop_draws <= 0 else min(args.loop_draws, len(draws))
        part = draws.part(0, n_loop)
        t = time.perf_counter()
        slow = loop_over_draws(matrix, profile, inputs, part, top=scenario.top, max_per_node=scenario.max_per_node)
        loop_s = (time.perf_counter() - t) * len(draws) / n_loop
        same = np.array_equal(outcome.lists[:n_loop], slow.lists)

        tracemalloc.start()
        engine.run(draws)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        line = (f"{res:>3} {len(matrix):>10,} {len(engine.rows):>8,} {engine_s:>9.2f} {1000 * engine_s / len(draws):>11.2f} "
                f"{loop_s:>16.1f} {loop_s / engine_s:>7.0f}x {'yes' if same else 'NO':>5} {peak / 1024**2:>8.0f}")
        row = [res, f"{len(matrix):,}", f"{len(engine.rows):,}", f"{engine_s:.2f}", f"{1000 * engine_s / len(draws):.2f}",
               f"{loop_s:.1f}", f"{loop_s / engine_s:.0f}x", "yes" if same else "**no**", f"{peak / 1024**2:.0f}"]
        if args.voi:
            t = time.perf_counter()
            figures, _ = value_of_information(engine, settings)
            voi_s = time.perf_counter() - t
            line += f" {voi_s:>6.2f}"
            row.append(f"{voi_s:.2f} ({len(figures):,} figures)")
        print(line, flush=True)
        rows.append(row)
    print(f"\nloop: timed on the first {args.loop_draws or args.draws} draws and scaled to {args.draws:,}; 'same': the "
          "engine's shortlists on those draws equal the loop's exactly. Targets: 1,000 draws at resolution 6 "
          "within 5 s, at resolution 7 within 60 s.")
    if args.markdown:
        header = ["resolution", "candidates", "can pass", f"{args.draws:,} draws (s)", "per draw (ms)",
                  "loop of ordinary rankings (s, scaled)", "speed-up", "same shortlists", "peak memory (MB)"]
        if args.voi:
            header.append("value of information (s)")
        body = benchreport.table(header, rows) + (
            f"\nProfile {profile.name}, {profile.facility_mw:g} MW; {args.draws:,} draws, seed {settings.seed}, weight "
            f"spread {settings.weight_spread:g} %, estimates drawn {settings.data_spread}; top {scenario.top}, at most "
            f"{scenario.max_per_node} per grid node. \"can pass\": candidates that pass every constraint in at least "
            "one draw, the rows the engine works on. The loop calls the ordinary ranking (`scoring.score` and the "
            f"shortlist pick) once per draw; it is timed on the first {args.loop_draws or args.draws} draws and "
            "scaled. \"same shortlists\": the engine's shortlists on those draws equal the loop's exactly. Peak memory "
            "is the engine's, measured with tracemalloc in a second run. Targets: 1,000 draws within 5 s at resolution "
            "6 and within 60 s at resolution 7.\n")
        benchreport.write(args.markdown, body=body, compared=(
            "Compared with a straightforward loop that redoes the ordinary ranking once per draw, on the same draws "
            "in the same run."))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
