"""Speed and memory of a grid model a user brings (``--grid-model``): reading the netCDF file (parsed in the reader's
own process) and solving every bus's deliverable surplus in every snapshot, for the test suite's three-bus network
and for seeded random networks up to the size limit (``MAX_LP_VARIABLES``).

    python benchmarks/bench_grid_model.py [--markdown docs/performance/grid-model.md]

Each size runs in a fresh process (so its peak memory is its own). Prints a table (with --markdown writes it for the
docs, with the date and the machine); asserts nothing (the tests check the answers).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import benchreport
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((10, 36), (20, 36), (30, 24), (40, 20))  # buses, snapshots


def random_network(buses: int, snapshots: int):  # type: ignore[no-untyped-def]
    """A seeded network of ``buses`` buses in Pakistan: three plants per bus (a fifth must run 30 %), a solar plant
    per bus with an output by snapshot, a load per bus by snapshot, and 1.5 lines per bus (a chain, plus random ones)."""
    from sitefinder.network.solve import pypsa_module

    pypsa = pypsa_module()  # with its options set
    rng = np.random.default_rng(1)
    n = pypsa.Network()
    n.set_snapshots(pd.date_range("2025-01-01", periods=snapshots, freq="37h"))
    names = [f"b{i}" for i in range(buses)]
    n.add("Bus", names, x=rng.uniform(62, 75, buses), y=rng.uniform(24, 36, buses))
    g = 3 * buses
    n.add("Generator", [f"g{i}" for i in range(g)], bus=rng.choice(names, g), p_nom=rng.uniform(50, 800, g),
          marginal_cost=rng.uniform(0, 40_000, g), p_min_pu=np.where(rng.random(g) < 0.2, 0.3, 0.0))
    solar = [f"s{i}" for i in range(buses)]
    n.add("Generator", solar, bus=names, p_nom=200.0, marginal_cost=0.0,
          p_max_pu=pd.DataFrame(rng.random((snapshots, buses)), index=n.snapshots, columns=solar))
    loads = [f"l{i}" for i in range(buses)]
    n.add("Load", loads, bus=names, p_set=pd.DataFrame(rng.uniform(100, 900, (snapshots, buses)), index=n.snapshots,
                                                       columns=loads))
    extra = int(0.5 * buses) + 1
    a = names[1:] + list(rng.choice(names, extra))
    b = names[:-1] + list(rng.choice(names, extra))
    keep = [i for i in range(len(a)) if a[i] != b[i]]
    n.add("Line", [f"L{i}" for i in keep], bus0=[a[i] for i in keep], bus1=[b[i] for i in keep],
          s_nom=rng.uniform(100, 1500, len(keep)), x=0.1)
    return n


def one(buses: int, snapshots: int) -> dict[str, float]:
    """Read and solve one network (in this process); buses = 0: the test suite's three-bus network."""
    sys.path.insert(0, str(ROOT / "tests"))
    logging.getLogger("pypsa").setLevel(logging.ERROR)
    from sitefinder.network.pypsa_model import lp_variables
    from sitefinder.network.user_model import read_grid_model, solve_grid_model

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.nc"
        if buses:
            n = random_network(buses, snapshots)
        else:
            from gridmodels import three_buses

            n = three_buses()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n.export_to_netcdf(path)
        read_grid_model(path)  # once first: the PyPSA import is not the file's cost
        t = time.perf_counter()
        model = read_grid_model(path)
        t_read = time.perf_counter() - t
        solved = solve_grid_model(model)
        return {"buses": len(model.system.buses), "snapshots": len(model.system.demand),
                "variables": lp_variables(model.system), "read_s": t_read, "solve_s": solved.seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "file_kb": path.stat().st_size / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file (the docs' copy)")
    ap.add_argument("--one", nargs=2, type=int, metavar=("BUSES", "SNAPSHOTS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one)))
        return 0
    rows = []
    for buses, snapshots in ((0, 0), *SIZES):
        proc = subprocess.run([sys.executable, __file__, "--one", str(buses), str(snapshots)], capture_output=True,
                              text=True, check=True, cwd=ROOT)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["network"] = "the tests' three buses (tests/gridmodels.py)" if not buses else "random"
        rows.append(row)
        print(f"{row['network']:<45} {row['buses']:>5} buses {row['snapshots']:>4} snapshots {row['variables']:>9,} "
              f"variables  read {row['read_s']:5.1f} s  solve {row['solve_s']:6.1f} s  peak {row['peak_mb']:6.0f} MB",
              flush=True)
    if args.markdown:
        from sitefinder.network.pypsa_model import MAX_LP_VARIABLES

        table = ["| network | buses | snapshots | LP variables | file kB | read s | solve s | peak memory MB |",
                 "|---|---|---|---|---|---|---|---|",
                 *[f"| {r['network']} | {r['buses']} | {r['snapshots']} | {r['variables']:,} | {r['file_kb']:,.0f} | "
                   f"{r['read_s']:.1f} | {r['solve_s']:.1f} | {r['peak_mb']:,.0f} |" for r in rows]]
        body = "\n".join([*table, "", f"Read: the file checked, parsed in the reader's own process and imported by PyPSA "
                          f"(PyPSA's own import, a few seconds once per process, not counted). Solve: every bus x "
                          f"snapshot, zones a few at a time. The size limit is {MAX_LP_VARIABLES:,} variables."])
        benchreport.write(args.markdown, body=body,
                          compared="Random networks: seeded, 4 plants and 1.5 lines per bus, loads and solar by snapshot.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
