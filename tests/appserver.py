"""Run the real Streamlit app and drive it with headless Chromium (shared by tests/test_browser.py and
benchmarks/bench_app.py; the benchmark puts tests/ on sys.path to import it).

    with AppServer() as server:                # `streamlit run app.py` on a free port, until /_stcore/health is ok
        with sync_playwright() as p:
            browser = launch_chromium(p)       # the system Chromium (/usr/bin/chromium), never a downloaded one
            context = browser.new_context()
            context.add_init_script(COUNT_RUNS_JS)
            page = context.new_page()
            page.goto(server.url)
            frame = wait_for_map(page)         # the st_folium iframe, once Leaflet has drawn into it
            n = finished_runs(page)
            set_slider(page, "Region surplus", "End")
            wait_for_runs(page, n + 1)         # the rerun that the change started has finished

Only the standard library is imported at module level, so the caller decides what to do when Playwright
or Chromium is missing (the test skips, or fails under SITEFINDER_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:  # the browser tests skip (or fail, in CI) when Playwright is missing; this module must still import
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # pragma: no cover
    class PlaywrightError(Exception):  # type: ignore[no-redef]
        """Stand-in so the except clauses below stay specific."""
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"  # Debian's package; CI installs it (.ci/run)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
# Leaflet has drawn something: vector paths (SVG or the preferCanvas canvas) or the score image overlay.
MAP_DRAWN = ".leaflet-container :is(.leaflet-overlay-pane canvas, .leaflet-overlay-pane path, img.leaflet-image-layer)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """``streamlit run app.py`` as a subprocess (cwd = repo root) on a free localhost port.

    Use as a context manager: the server is stopped on exit, also when the body raises. Output goes to a log
    file whose tail :meth:`log_tail` returns (for failure messages)."""

    def __init__(self, port: int | None = None, startup_timeout: float = 120.0, *, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None, cwd: Path | None = None, user: str | None = None,
                 drop_env: tuple[str, ...] = ()) -> None:
        """``args``: more options for ``streamlit run``; ``env``: more environment (``drop_env``: names to leave
        out); ``cwd``: the app's folder (default: this repository); ``user``: run the server as this user (root
        only)."""
        self.args, self.env, self.cwd, self.user, self.drop_env = args, env or {}, cwd or REPO, user, drop_env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="sitefinder-streamlit-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self) -> AppServer:
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
               *self.args]
        env = {k: v for k, v in {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}.items() if k not in self.drop_env}
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, user=self.user, group=self.user and "nogroup",
                                     extra_groups=[] if self.user else None)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}_stcore/health", timeout=2) as r:  # noqa: S310 (localhost)
                    if r.status == 200 and r.read().strip() == b"ok":
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health within {self.startup_timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if not self._log.closed:
            self._log.close()

    def log_tail(self, chars: int = 4000) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")[-chars:]

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        Path(self._log.name).unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------
# Browser helpers (Playwright objects are typed Any so that importing this module never needs Playwright)


def launch_chromium(p: Any) -> Any:
    """The system Chromium, headless, with no background traffic of its own."""
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (localhost/127.0.0.1, a local file) or never touch the network."""
    if url.startswith(("data:", "blob:", "about:", "file:")):
        return True
    m = re.match(r"^(?:https?|wss?)://(\[[^\]]*\]|[^/:?#]+)", url)
    return m is not None and m.group(1) in ("localhost", "127.0.0.1", "[::1]")


def drawn_map_frames(page: Any) -> list[Any]:
    """The frames whose Leaflet map has drawn layers."""
    found = []
    for frame in page.frames:
        if frame.is_detached() or "st_folium" not in frame.url:
            continue
        try:
            if frame.locator(MAP_DRAWN).count() > 0:
                found.append(frame)
        except PlaywrightError:  # the frame went away while we looked
            continue
    return found


def wait_for_map(page: Any, timeout: float = 90.0, *, not_frame: Any = None) -> Any:
    """Wait until the map iframe has drawn its layers; with ``not_frame``, wait for a *new* map iframe
    (st_folium re-creates its iframe whenever the map changes) and for the old one to be gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frames = [f for f in drawn_map_frames(page) if f is not not_frame]
        if frames and (not_frame is None or not_frame.is_detached()):
            return frames[-1]
        page.wait_for_timeout(50)
    raise TimeoutError(f"no {'new ' if not_frame is not None else ''}drawn Leaflet map within {timeout:.0f} s")


# What the site layers look like now: the score image and where each rank label sits. The app swaps these
# layers into the existing map on a weight change (st_folium feature groups) instead of rebuilding the iframe.
SITE_SIGNATURE_JS = """() => {
  let h = 0;
  for (const img of document.querySelectorAll('img.leaflet-image-layer'))
    for (let i = 0; i < img.src.length; i += 7) h = (h * 31 + img.src.charCodeAt(i)) | 0;
  const labels = [...document.querySelectorAll('.sf-rank')].map(e => e.textContent + '@' + e.parentElement.style.transform);
  return h + '|' + labels.join(';');
}"""


def site_signature(frame: Any) -> str:
    """A fingerprint of the map's site layers (score surface and rank labels)."""
    return str(frame.evaluate(SITE_SIGNATURE_JS))


def wait_for_sites_redrawn(page: Any, old: str, timeout: float = 60.0) -> Any:
    """Wait until the map's site layers differ from the fingerprint ``old``; returns the map frame."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in drawn_map_frames(page):
            try:
                if frame.locator(".sf-rank").count() and site_signature(frame) != old:
                    return frame
            except PlaywrightError:  # the frame went away while we looked
                continue
        page.wait_for_timeout(30)
    raise TimeoutError(f"the site layers did not change within {timeout:.0f} s")


# Counts the app's finished script runs in window.__sfRuns (Streamlit marks its root element with
# data-test-script-state="running" / "notRunning"). Install with context.add_init_script(COUNT_RUNS_JS).
COUNT_RUNS_JS = """(() => {
  window.__sfRuns = 0;
  new MutationObserver(records => {
    for (const r of records)
      if (r.oldValue === 'running' && r.target.getAttribute('data-test-script-state') === 'notRunning') window.__sfRuns++;
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
})()"""


def finished_runs(page: Any) -> int:
    """How many script runs the page has seen finish (needs COUNT_RUNS_JS)."""
    return int(page.evaluate("window.__sfRuns"))


def wait_for_runs(page: Any, count: int, timeout: float = 90.0) -> None:
    """Wait until ``count`` script runs have finished and the script is not running."""
    page.wait_for_function(
        """n => window.__sfRuns >= n && document.querySelector('[data-testid="stApp"]')
                ?.getAttribute('data-test-script-state') === 'notRunning'""", arg=count, timeout=timeout * 1000)


def wait_until_idle(page: Any, timeout: float = 90.0) -> None:
    """Wait until the Streamlit script is not running (the page is complete)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout * 1000)


def rerun_started(page: Any, runs_before: int, within: float) -> bool:
    """True as soon as a script run has started or finished since ``runs_before`` runs were counted; False if
    none has after ``within`` seconds (the only way to see that something does not happen is to give it a
    bounded chance to; a run that does start is seen at once)."""
    try:
        page.wait_for_function(
            """n => window.__sfRuns > n || document.querySelector('[data-testid="stApp"]')
                     ?.getAttribute('data-test-script-state') === 'running'""", arg=runs_before, timeout=within * 1000)
    except PlaywrightError:  # timed out: no rerun started
        return False
    return True


def settle(page: Any, runs_before: int, grace: float = 2.0, timeout: float = 90.0) -> None:
    """After an action that may start a rerun (a download button reruns by default): wait up to ``grace``
    seconds for a run to start or finish, then until the script is idle."""
    if rerun_started(page, runs_before, grace):
        wait_until_idle(page, timeout)


# Counts the map's finished moves (pans and zooms) in window.__sfMoves, inside the map's iframe.
COUNT_MOVES_JS = "() => { window.__sfMoves = 0; window.map_div.on('moveend', () => { window.__sfMoves++; }); }"


def wait_for_map_still(frame: Any, moves: int = 0, timeout: float = 30.0) -> None:
    """Wait until the map has finished ``moves`` moves (needs COUNT_MOVES_JS), no zoom animation is running
    and every image overlay (the score and climate surfaces) has loaded."""
    frame.wait_for_function(
        """n => (window.__sfMoves ?? 0) >= n && !document.querySelector('.leaflet-zoom-anim')
                && [...document.querySelectorAll('img.leaflet-image-layer')].every(i => i.complete && i.naturalWidth > 0)""",
        arg=moves, timeout=timeout * 1000)


def slider(page: Any, label: str) -> Any:
    """The keyboard-operable thumb of the sidebar slider whose label starts with ``label``
    (the weight sliders' labels end with the weight's current share, e.g. "Hours above 35 °C: 20%")."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile("^" + re.escape(label))))
    return box.get_by_role("slider")


def set_slider(page: Any, label: str, key: str) -> None:
    """Focus a slider's thumb and press ``key`` ("End" = maximum, "Home" = minimum)."""
    thumb = slider(page, label)
    thumb.focus()
    thumb.press(key)


def site_heading(page: Any) -> str:
    """The site card's heading, "#1 · <place>"."""
    return page.locator('[data-testid="stMain"] h3').filter(has_text=re.compile(r"^#\d+ · ")).first.inner_text()


def download(page: Any, button: str, timeout: float = 90.0) -> bytes:
    """Click a download button, return the file's bytes once the rerun the click starts (if any) is over."""
    runs = finished_runs(page)
    with page.expect_download(timeout=timeout * 1000) as info:
        page.get_by_role("button", name=button).click()
    data = Path(info.value.path()).read_bytes()
    settle(page, runs)
    return data


def upload_in_your_data(page: Any, kind: str, path: Path, *, kind_ready: str, file_ready: Any) -> None:
    """In the Your data tab: say the file holds ``kind`` (an option of "What does your file hold?"), wait for
    ``kind_ready`` (text the uploader for that kind shows), put ``path`` in the layer uploader and wait until
    ``file_ready`` (a locator: what the page shows once it has read the file) is there and the run is over."""
    page.get_by_role("tab", name="Your data").click()
    page.get_by_text("What does your file hold?").wait_for()
    wait_until_idle(page)
    for _ in range(3):  # a choice made as a run ends can start none (seen in CI on a busy machine): choose again
        page.get_by_role("combobox", name="What does your file hold?").click()
        runs = finished_runs(page)
        page.get_by_role("option", name=kind).click()
        if rerun_started(page, runs, within=20.0):
            wait_for_runs(page, runs + 1)  # the uploader for this kind exists only after the rerun
            break
        if page.get_by_text(kind_ready).count():
            break
    page.get_by_text(kind_ready).wait_for()
    runs = finished_runs(page)
    # The layer uploader of "Your data" (the Compare tab has one for scenario files, which takes only .json).
    uploader = page.get_by_test_id("stTabs").locator('[data-testid="stFileUploaderDropzoneInput"]:not([accept*=".json"])')
    uploader.set_input_files(str(path))
    wait_for_runs(page, runs + 1)
    file_ready.wait_for(timeout=120_000)
    wait_until_idle(page)
