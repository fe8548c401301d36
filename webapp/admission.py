"""At most a few page runs at once in one server process: twenty people changing a weight at the same moment take
turns instead of slowing each other down.

Streamlit runs each session's page in a thread of its own, and Python runs one thread at a time: twenty runs
interleaved cost about twice the CPU of the same twenty one after another (measured with benchmarks/bench_load.py),
so everyone waits for the slowest. ``SITEFINDER_RUNS_AT_ONCE`` sets the number (default: the CPUs this process may
use, at least 2; 0 lets every run go at once, as Streamlit does by itself).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "SITEFINDER_RUNS_AT_ONCE"


def runs_at_once() -> int:
    """How many page runs may go at once (0: no limit)."""
    given = os.environ.get(ENV, "").strip()
    if given:
        return max(0, int(given))
    return max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2)


_LIMIT = runs_at_once()
_GATE = threading.BoundedSemaphore(_LIMIT) if _LIMIT else None


@contextmanager
def admitted() -> Iterator[None]:
    """Hold one of the process's places for a page run while the block runs (wait for one if all are taken)."""
    if _GATE is None:
        yield
        return
    _GATE.acquire()
    try:
        yield
    finally:
        _GATE.release()
