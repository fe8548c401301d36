"""A Streamlit session without a browser, for measuring the server: it opens the app's WebSocket
(``/_stcore/stream``), sends the rerun messages a browser sends (built from Streamlit's own protobuf classes, with
widget values), and times each rerun from the request to the server's "script finished" message.

    async with Session("ws://127.0.0.1:8501/_stcore/stream", query="profile=bitcoin_mine") as s:
        first = await s.rerun()                                 # the page's first run (what opening the page asks for)
        took = await s.set_slider("Region surplus", 100.0)      # a weight change: seconds of server turnaround
        took = await s.open_tab("Programme")

Widgets are found by their label in the elements the server sends (a slider's label starts with its name, e.g.
"Region surplus: 30%"). Like a browser, the session sends every widget value it has set on every rerun after that.
Cookies (the proxy's sticky cookie) are kept and sent again, so a session stays on one process behind HAProxy.
Loopback only. Used by benchmarks/bench_load.py and tests/test_sessionclient.py.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Widget:
    """A widget the server drew: its element type (slider, tabs, ...), label and id."""

    kind: str
    label: str
    id: str
    options: tuple[str, ...] = ()


@dataclass
class Run:
    """One rerun as the server answered it: seconds from request to "finished", how it finished, and whether the
    page showed a Python exception."""

    seconds: float
    status: str
    exception: str | None = None


@dataclass
class Session:
    """One session on the server at ``url`` (ws://host:port/_stcore/stream), opened with ``query`` (the page address's
    query string)."""

    url: str
    query: str = ""
    cookie: str = ""
    timeout: float = 300.0
    widgets: dict[str, Widget] = field(default_factory=dict)
    values: dict[str, WidgetState] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    _ws: Any = None

    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the WebSocket (subprotocol "streamlit", as the browser does), sending the cookie if there is one."""
        host = urlparse(self.url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"{self.url}: the session client runs on loopback only")
        headers = {"Cookie": self.cookie} if self.cookie else None
        self._ws = await websockets.connect(self.url, subprotocols=["streamlit"],  # type: ignore[list-item]
                                            additional_headers=headers, max_size=None, open_timeout=self.timeout)

    async def close(self) -> None:
        """Close the WebSocket (the server ends the session)."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def rerun(self) -> Run:
        """Ask for a rerun with every widget value set so far; wait until the server says the script finished."""
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = ""
        msg.rerun_script.widget_states.widgets.extend(self.values.values())
        started = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        exception = None
        while True:
            raw = await asyncio.wait_for(self._ws.recv(), timeout=self.timeout)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                exception = self._read_delta(fwd) or exception
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string  # the app writes the scenario into the address
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # a run the server restarted itself (st.rerun): the answer comes with the next one
                run = Run(time.perf_counter() - started, status, exception)
                self.runs.append(run)
                return run

    def _read_delta(self, fwd: ForwardMsg) -> str | None:
        delta = fwd.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            element = delta.new_element
            kind = element.WhichOneof("type")
            if kind == "exception":
                return f"{element.exception.type}: {element.exception.message}"
            sub = getattr(element, kind, None) if kind else None
            if sub is not None and getattr(sub, "id", "") and hasattr(sub, "label"):
                options = tuple(getattr(sub, "options", ()) or ())
                self.widgets[sub.id] = Widget(kind, sub.label, sub.id, options)
        elif which == "add_block":
            block = delta.add_block
            kind = block.WhichOneof("type")
            sub = getattr(block, kind, None) if kind else None
            if sub is not None and getattr(sub, "id", ""):  # a block that is a widget: the page's tabs
                self.widgets[sub.id] = Widget(kind, str(getattr(sub, "label", "") or kind), sub.id)
        return None

    def find(self, kind: str, label: str) -> Widget:
        """The widget of ``kind`` whose label starts with ``label``."""
        for w in self.widgets.values():
            if w.kind == kind and w.label.startswith(label):
                return w
        known = sorted({f"{w.kind}: {w.label}" for w in self.widgets.values()})
        raise LookupError(f"no {kind} labelled {label!r} on the page (seen: {known[:20]})")

    async def set_slider(self, label: str, value: float) -> Run:
        """Move the slider labelled ``label`` to ``value`` and rerun, as a browser does."""
        w = self.find("slider", label)
        state = WidgetState(id=w.id)
        state.double_array_value.data.append(float(value))
        self.values[w.id] = state
        return await self.rerun()

    async def open_tab(self, label: str) -> Run:
        """Open the tab ``label`` and rerun (the app's tabs rerun on change)."""
        tabs = next((w for w in self.widgets.values() if w.kind == "tab_container"), None)
        if tabs is None:
            raise LookupError("no tabs on the page")
        self.values[tabs.id] = WidgetState(id=tabs.id, string_value=label)
        return await self.rerun()


def cookie_from(set_cookie: list[str]) -> str:
    """The Cookie header for what ``Set-Cookie`` headers set (name=value; ...)."""
    jar: SimpleCookie = SimpleCookie()
    for header in set_cookie:
        jar.load(header)
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())
