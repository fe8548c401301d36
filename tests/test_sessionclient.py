"""The browserless session client (tests/sessionclient.py) that the load benchmark measures with: against the real
server it opens the page, finds the weight slider by its label, changes it the way a browser does (the app then
writes the new weight into the page address), opens a tab, and times each rerun. It refuses anything but
loopback."""

from __future__ import annotations

import asyncio

import pytest
from appserver import AppServer
from sessionclient import Session


@pytest.fixture(scope="module")
def ws_url():
    with AppServer() as server:
        yield f"ws://127.0.0.1:{server.port}/_stcore/stream"


def test_a_session_without_a_browser_reruns_the_app_as_a_browser_would(ws_url) -> None:
    async def drive() -> None:
        async with Session(ws_url, query="profile=bitcoin_mine", timeout=300) as s:
            first = await s.rerun()
            assert first.status == "FINISHED_SUCCESSFULLY" and first.exception is None and first.seconds > 0
            assert s.find("slider", "Region surplus").label.startswith("Region surplus: ")
            moved = await s.set_slider("Region surplus", 100.0)
            assert moved.status == "FINISHED_SUCCESSFULLY" and moved.exception is None
            assert "w.region_surplus_mw=100" in s.query  # the app wrote the new weight into the page address
            assert s.find("slider", "Region surplus").label != "Region surplus: 30%"  # its share changed with it
            tab = await s.open_tab("Programme")
            assert tab.status == "FINISHED_SUCCESSFULLY" and tab.exception is None
            assert len(s.runs) == 3
            with pytest.raises(LookupError, match="no slider labelled"):
                s.find("slider", "No such weight")

    asyncio.run(drive())


def test_the_client_runs_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        asyncio.run(Session("ws://example.org/_stcore/stream").connect())
