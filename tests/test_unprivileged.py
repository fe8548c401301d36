"""The app as the Docker image runs it, without Docker: the real server as an unprivileged user (``nobody``) over a
root-owned copy of the project, with a home of its own (issue 20).

- The first page draws the map: no ``PermissionError``, no traceback. Leaflet was put in place by root beforehand,
  as the image does when it is built. The base maps' folder cannot be written, so the maps are sent whole and the
  server's log says so once.
- What the server writes at run time lands in the user's home: the criteria cache and the SQLite register.
- An unexpected error shows a short message with a reference. The page never shows a traceback, the exception's
  text, a server path or a link. The log has all of it under the same reference.

Needs root (to own the copy and switch user), Chromium and Playwright; CI runs as root. When this Python cannot be
run by another user (it lives under /root, which is closed to others), the test says so; .ci/run opens the way.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appserver import COUNT_RUNS_JS, REPO, AppServer, launch_chromium, wait_for_map, wait_until_idle
from test_browser import REQUIRED, _sync_playwright

pytestmark = pytest.mark.browser

USER = "nobody"
FAILING_TAB = "About the data"
SECRET = "boom at /srv/sitefinder/secret/path.py"


def _need(condition: bool, why: str) -> None:
    if not condition:
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)


def _runs_as_user() -> bool:
    try:
        done = subprocess.run([sys.executable, "-c", "import streamlit, sitefinder"], user=USER, group="nogroup",
                              extra_groups=[], capture_output=True, cwd="/", check=False)
    except PermissionError:  # the interpreter's folders are closed to the user (a clone in a private folder)
        return False
    return done.returncode == 0


@pytest.fixture(scope="module")
def root_owned_copy() -> Iterator[tuple[Path, Path]]:
    """A copy of the app owned by root (read-only to the server), with Leaflet installed by root, and a home for the
    server's user; both removed afterwards."""
    _need(hasattr(os, "geteuid") and os.geteuid() == 0, "needs root: to own the app's copy and start the server as "
                                                         f"{USER}")
    _need(_runs_as_user(), f"{USER} cannot run {sys.executable} (its folders are closed to others). Fix: chmod o+x "
                           "on them (.ci/run does this for /root)")
    top = Path(tempfile.mkdtemp(prefix="sitefinder-ro-"))
    top.chmod(0o755)
    app = top / "app"
    app.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "static", "artifacts")
    for name in ("app.py", "sitefinder", "webapp", ".streamlit", "data"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, app / name, ignore=ignore)
        else:
            shutil.copy2(src, app / name)
    about = app / "webapp" / "tabs" / "about.py"  # a tab that fails in a way nobody planned for, in this copy only
    about.write_text(_plant(about.read_text(encoding="utf-8")), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "webapp.offline"], cwd=app, check=True, capture_output=True)  # as root
    for path in [app, *app.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod((mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH) & ~(stat.S_IWGRP | stat.S_IWOTH)
                   | (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH if path.is_dir() else 0))
    home = top / "home"
    home.mkdir()
    shutil.chown(home, USER, "nogroup")
    try:
        yield app, home
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _plant(source: str) -> str:
    """about.py with its tab function raising at its first line."""
    marker = "def about_tab("
    start = source.index(marker)
    body = source.index('"""', source.index('"""', start) + 3) + 3  # after the function's docstring
    return source[:body] + f"\n    raise RuntimeError({SECRET!r})  # planted by tests/test_unprivileged.py" + source[body:]


@pytest.fixture(scope="module")
def served(root_owned_copy: tuple[Path, Path]) -> Iterator[tuple[AppServer, Any, Path]]:
    app, home = root_owned_copy
    sync_playwright = _sync_playwright()
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local" / "share")}
    with AppServer(cwd=app, user=USER, env=env,
                   drop_env=("SITEFINDER_RAISE_PAGE_ERRORS", "SITEFINDER_CACHE", "SITEFINDER_DB")) as server, \
            sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(COUNT_RUNS_JS)
        page = context.new_page()
        page.set_default_timeout(90_000)
        try:
            yield server, page, home  # the tests put the server's log in their failure messages
        finally:
            browser.close()


def _text(page: Any) -> str:
    return str(page.locator('[data-testid="stApp"]').inner_text())


def test_the_first_page_draws_the_map_and_writes_only_under_the_users_home(served) -> None:
    server, page, home = served
    page.goto(server.url)
    wait_for_map(page, timeout=180)
    wait_until_idle(page)
    text = _text(page)
    assert "PermissionError" not in text and "Traceback" not in text and "Errno" not in text, server.log_tail()
    assert page.locator('[data-testid="stException"]').count() == 0
    log = server.log_tail(200_000)
    assert "PermissionError" not in log and "Traceback" not in log, log
    assert "the base maps cannot be written" in log and log.count("the base maps cannot be written") == 1
    written = [p for p in home.rglob("*") if p.is_file()]
    assert any("sitefinder" in p.parts and p.suffix == ".parquet" for p in written), written  # the criteria cache
    assert (home / ".local" / "share" / "sitefinder" / "register.sqlite").is_file()  # the register, read-only here
    assert all(p.stat().st_uid != 0 for p in written)


def test_an_unexpected_error_shows_a_reference_and_no_traceback_path_or_link(served) -> None:
    server, page, _home = served
    if not page.url.startswith(server.url):
        page.goto(server.url)
        wait_for_map(page, timeout=180)
    page.get_by_role("tab", name=FAILING_TAB).click()
    box = page.locator('[data-testid="stAlert"]').filter(has_text="Something went wrong on this page")
    box.wait_for()
    shown = box.inner_text()
    reference = shown.split("(reference ")[1].split(")")[0]
    assert len(reference) == 8
    text = _text(page)
    for leak in ("boom", "/srv/", "Traceback", "RuntimeError", "about.py", str(REPO), "site-packages"):
        assert leak not in text, leak
    assert box.locator("a").count() == 0 and page.locator('[data-testid="stException"]').count() == 0
    log = server.log_tail(200_000)
    assert f"page run failed (reference {reference})" in log and SECRET in log and "Traceback" in log
