"""Speed of the network model on Pakistan's built-in facts: building the zonal system and solving every zone's
deliverable surplus for every month and hour type, against the straightforward PyPSA way on the same system in
the same run (one optimisation per zone, each with the probe at that zone only).

    python benchmarks/bench_network.py [--repeat 3] [--markdown docs/performance/network.md]

Prints a table (with --markdown writes it for the docs, with the date and the machine); asserts nothing (the tests
check that the answers are right; here the two ways' answers are compared too, and must agree).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import benchreport
import numpy as np
import pandas as pd

from sitefinder.build.network import zonal_model
from sitefinder.network.solve import deliverable_surplus
from sitefinder.network.system import PowerSystem

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "pakistan"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``fn`` (s) and its last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def one_zone_at_a_time(system: PowerSystem) -> pd.DataFrame:
    """The straightforward way: one optimisation per zone, with the probe at that zone alone, answers stacked."""
    return pd.concat([deliverable_surplus(system, [zone]).table for zone in system.buses.index], ignore_index=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file (the docs' copy)")
    args = ap.parse_args()
    cfg = tomllib.loads((DATA / "build.toml").read_text(encoding="utf-8"))

    t_build, model = timed(lambda: zonal_model(DATA / "facts", cfg), args.repeat)
    systems = model.systems  # type: ignore[attr-defined]
    t_all, answers = timed(lambda: {end: deliverable_surplus(s) for end, s in systems.items()}, args.repeat)
    central = systems["central"]
    t_one, _ = timed(lambda: deliverable_surplus(central), args.repeat)
    t_loop, loop = timed(lambda: one_zone_at_a_time(central), 1)
    ours = answers["central"].table.set_index(["zone", "month", "hour_type"])["surplus_mw"]  # type: ignore[index]
    theirs = loop.set_index(["zone", "month", "hour_type"])["surplus_mw"]  # type: ignore[union-attr]
    worst = float(np.abs(ours - theirs.reindex(ours.index)).max())
    zones, cases = len(central.buses), len(central.demand)
    rows = [
        ("build the zonal system from the facts (3 ends)", t_build),
        (f"solve every zone x case, one end ({zones} zones x {cases} cases, one LP)", t_one),
        ("solve all three ends", t_all),
        (f"the straightforward way, one end: one LP per zone ({zones} LPs)", t_loop),
        ("build + solve, three ends (what build-data adds)", t_build + t_all),
    ]
    print(f"{'step':<75} {'seconds':>8}")
    for name, t in rows:
        print(f"{name:<75} {t:>8.2f}")
    print(f"one LP for all zones is {t_loop / t_one:.1f}x faster than one per zone; largest difference between the "
          f"two answers: {worst:.2f} MW")
    if args.markdown:
        body = "\n".join(["| step | seconds |", "|---|---|", *[f"| {n} | {t:.2f} |" for n, t in rows], "",
                          f"One programme for every zone is {t_loop / t_one:.1f}x faster than one per zone, with the "
                          f"same answers (largest difference {worst:.2f} MW). Target: build and solve within 30 s on "
                          "2 cores; a weight change solves nothing (the answer is part of the data)."])
        benchreport.write(args.markdown, body=body,
                          compared="Compared: one PyPSA optimisation per zone on the same system, in the same run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
