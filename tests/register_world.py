"""A small register world for the register's tests: a SQLite file, three nodes in two zones, and a clock.

Nodes: n1 (zone a, 150 MW of headroom), n2 (zone a, headroom unknown: not limiting), n3 (zone b, 400 MW).
Zone a has 250 MW of deliverable surplus in every month and hour type except January evenings (120 MW); zone b has
500 MW; the zones together 300 MW (their shared idle generation).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from sitefinder.register.capacity import Capacity
from sitefinder.register.db import engine_for, upgrade
from sitefinder.register.ledger import Register

TODAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
ALL_YEAR = np.ones((12, 3), dtype=bool)
WINTER_NIGHTS = np.zeros((12, 3), dtype=bool)
WINTER_NIGHTS[[0, 1, 2, 9, 10, 11], 2] = True


def capacity() -> Capacity:
    a = np.full((12, 3), 250.0)
    a[0, 0] = 120.0
    return Capacity({"n1": 150.0, "n3": 400.0}, {"zone:a": a, "zone:b": np.full((12, 3), 500.0)},
                    np.full((12, 3), 300.0), {"n1": "zone:a", "n2": "zone:a", "n3": "zone:b"},
                    {"zone:a": "Zone A", "zone:b": "Zone B"})


def url_for(path: Path) -> str:
    return f"sqlite:///{path}"


def register_at(url: str, *, migrate: bool = False) -> Register:
    engine = engine_for(url)
    if migrate:
        upgrade(engine)
    return Register(engine, capacity(), now=lambda: TODAY)
