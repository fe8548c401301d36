"""Small PyPSA networks for the grid-model tests, built with PyPSA itself and saved with ``export_to_netcdf``.

``three_buses`` is the network whose answer ``tests/test_grid_model.py`` works out by hand.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from sitefinder.network.solve import pypsa_module

pypsa = pypsa_module()  # with its string option set, so building a network does not warn
logging.getLogger("pypsa").setLevel(logging.ERROR)

LAHORE, MULTAN, PESHAWAR = (74.35, 31.56), (71.48, 30.20), (71.58, 34.01)
KARACHI, SUKKUR, BAHAWALPUR = (67.01, 24.86), (68.86, 27.70), (71.68, 29.40)
SNAPSHOTS = pd.to_datetime(["2025-01-15 19:00", "2025-01-22 20:00", "2025-01-15 03:00", "2025-07-15 12:00"])


def three_buses(b: str = "B") -> pypsa.Network:
    """A (Lahore): 600 MW at 20,000/MWh, load 300 (Jan 15 evening); B (Multan): 100 MW at 30,000/MWh, load 50;
    C (Peshawar): no plant, load 80. Line AB 200 MW; link AC 100 MW, one way. Four snapshots (see the test's docstring).
    ``b``: bus B's name."""
    n = pypsa.Network()
    n.set_snapshots(SNAPSHOTS)
    n.add("Bus", ["A", b, "C"], x=[LAHORE[0], MULTAN[0], PESHAWAR[0]], y=[LAHORE[1], MULTAN[1], PESHAWAR[1]],
          carrier="AC")
    n.add("Generator", "coal A", bus="A", p_nom=600.0, marginal_cost=20_000.0, carrier="coal")
    n.add("Generator", "gas B", bus=b, p_nom=100.0, marginal_cost=30_000.0, carrier="gas")
    n.add("Load", "load A", bus="A", p_set=pd.Series([300.0, 300.0, 200.0, 400.0], index=SNAPSHOTS))
    n.add("Load", "load B", bus=b, p_set=pd.Series([50.0, 20.0, 30.0, 60.0], index=SNAPSHOTS))
    n.add("Load", "load C", bus="C", p_set=pd.Series([80.0, 80.0, 50.0, 90.0], index=SNAPSHOTS))
    n.add("Line", "AB", bus0="A", bus1=b, s_nom=200.0, x=0.1, r=0.01)
    n.add("Link", "AC", bus0="A", bus1="C", p_nom=100.0)
    return n


def shared_line(own_line_mw: float | None = None) -> pypsa.Network:
    """A (Karachi): 1,000 MW at 20,000/MWh, no load. H (Sukkur), B (Multan), C (Lahore): 10 MW of load each, no plant.
    Line AH 150 MW; lines HB and HC 200 MW each: B, C and H all sit behind line AH. The four snapshots of
    ``three_buses``, with the same loads in each. ``own_line_mw``: also D (Bahawalpur), no load, on a line of its
    own from A of that many MW."""
    n = pypsa.Network()
    n.set_snapshots(SNAPSHOTS)
    n.add("Bus", ["A", "H", "B", "C"], x=[KARACHI[0], SUKKUR[0], MULTAN[0], LAHORE[0]],
          y=[KARACHI[1], SUKKUR[1], MULTAN[1], LAHORE[1]], carrier="AC")
    n.add("Generator", "coal A", bus="A", p_nom=1000.0, marginal_cost=20_000.0, carrier="coal")
    for bus in ("H", "B", "C"):
        n.add("Load", f"load {bus}", bus=bus, p_set=10.0)
    n.add("Line", "AH", bus0="A", bus1="H", s_nom=150.0, x=0.1)
    n.add("Line", "HB", bus0="H", bus1="B", s_nom=200.0, x=0.1)
    n.add("Line", "HC", bus0="H", bus1="C", s_nom=200.0, x=0.1)
    if own_line_mw is not None:
        n.add("Bus", "D", x=BAHAWALPUR[0], y=BAHAWALPUR[1], carrier="AC")
        n.add("Line", "AD", bus0="A", bus1="D", s_nom=own_line_mw, x=0.1)
    return n


def two_buses(snapshots: Any = None) -> pypsa.Network:
    """A with a 100 MW plant, B with a 20 MW load, a 50 MW line: a network to spoil."""
    n = pypsa.Network()
    n.set_snapshots(pd.to_datetime(["2025-01-15 19:00", "2025-07-15 12:00"]) if snapshots is None else snapshots)
    n.add("Bus", ["A", "B"], x=[LAHORE[0], MULTAN[0]], y=[LAHORE[1], MULTAN[1]])
    n.add("Generator", "g", bus="A", p_nom=100.0, marginal_cost=10.0)
    n.add("Load", "l", bus="B", p_set=20.0)
    n.add("Line", "AB", bus0="A", bus1="B", s_nom=50.0, x=0.1)
    return n


def save(n: pypsa.Network, path: Path) -> Path:
    """``n`` saved with ``export_to_netcdf`` (quietly: what PyPSA says about saving is not under test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n.export_to_netcdf(path)
    return path
