"""A few page runs at once per server process (webapp/admission.py): the others wait their turn, and none is lost.

The gate on its own with threads, and the real server with one place and three browserless sessions changing a
weight at the same moment: every run finishes, each with its own weight in its page address."""

from __future__ import annotations

import asyncio
import importlib
import threading
import time

import pytest
from appserver import AppServer
from sessionclient import Session

from webapp import admission


def test_no_more_runs_go_at_once_than_the_gate_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(admission.ENV, "2")
    gate = importlib.reload(admission)
    inside, most, lock = 0, 0, threading.Lock()

    def run() -> None:
        nonlocal inside, most
        with gate.admitted():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert most == 2 and inside == 0
    monkeypatch.setenv(admission.ENV, "0")
    assert importlib.reload(admission)._GATE is None  # 0: no limit, as Streamlit does by itself
    monkeypatch.delenv(admission.ENV)
    assert importlib.reload(admission).runs_at_once() >= 2


def test_a_busy_server_with_one_place_finishes_every_run() -> None:
    async def one(url: str, weight: float) -> tuple[str, str, str | None]:
        async with Session(url, query="profile=bitcoin_mine", timeout=300) as s:
            await s.rerun()
            run = await s.set_slider("Region surplus", weight)
            return run.status, s.query, run.exception

    async def together(url: str) -> list[tuple[str, str, str | None]]:
        return list(await asyncio.gather(*(one(url, w) for w in (41.0, 42.0, 43.0))))

    with AppServer(env={admission.ENV: "1"}) as server:
        done = asyncio.run(together(f"ws://127.0.0.1:{server.port}/_stcore/stream"))
    for (status, query, exception), w in zip(done, (41, 42, 43)):
        assert status == "FINISHED_SUCCESSFULLY" and exception is None
        assert f"w.region_surplus_mw={w}" in query
