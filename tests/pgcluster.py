"""A throwaway PostgreSQL cluster for the register's tests and benchmark: made in a temporary folder with
``initdb``, run by ``postgres`` itself (no ``pg_ctl``: the server is a child of this process), reached on 127.0.0.1
on a free port and on a unix socket in that folder, with trust authentication, and removed at the end.

    cluster = pgcluster.start()          # None-safe: pgcluster.binaries() says first whether there is a server
    url = cluster.new_database()         # postgresql+psycopg://postgres@127.0.0.1:PORT/register_1
    cluster.drop_database(url)
    cluster.stop()                       # an immediate shutdown, as ``pg_ctl stop -m immediate``; the folder goes

Run as root (as CI runs), ``initdb`` and ``postgres`` refuse to start: they run as the ``postgres`` user instead,
in a folder given to that user. The server is told to quit (SIGQUIT: an immediate shutdown) if the process that
started it dies first, so a killed test run leaves no server behind. The server's time zone is deliberately not
UTC (Asia/Karachi), as a shared server's may not be: the register must not depend on it.

Imports only the standard library and psycopg; the ``sitefinder`` package does not use this module.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVER_TIMEZONE = "Asia/Karachi"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60.0


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``postgres``: ``$SITEFINDER_PG_BIN`` when it is set (and only it), else
    ``pg_config --bindir``, else the newest ``/usr/lib/postgresql/*/bin`` (Debian's), else the folder of an
    ``initdb`` on PATH; None when there is no server here."""
    candidates: list[Path] = []
    if os.environ.get("SITEFINDER_PG_BIN"):
        candidates.append(Path(os.environ["SITEFINDER_PG_BIN"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            candidates.append(Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True,
                                                  timeout=10).stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version_key(p.parent.name), reverse=True)
    candidates += debian
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    if os.environ.get("SITEFINDER_PG_BIN"):
        candidates = candidates[:1]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> pwd.struct_passwd | None:
    """The user the server runs as when this process is root (``postgres``); None: as this process's own user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root, and there is no 'postgres' user to run PostgreSQL as (initdb refuses "
                           "root). Fix: install Debian's postgresql package, which makes it, or run as another user.") from None


def _die_with_parent() -> None:  # in the child, after it took the postgres user's ids: SIGQUIT when we die
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG


@dataclass
class Cluster:
    """A running throwaway cluster (see the module's docstring)."""

    bin: Path
    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    user: pwd.struct_passwd | None
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def log(self) -> Path:
        """The server's log file."""
        return self.folder / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this cluster (over TCP on 127.0.0.1)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> Any:
        """A psycopg connection to ``database``, in autocommit (for CREATE and DROP DATABASE)."""
        import psycopg  # noqa: PLC0415  (only when a cluster is used)

        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True,
                               connect_timeout=10)

    def new_database(self, prefix: str = "register") -> str:
        """A new empty database; its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url``, closing whatever connections are still open to it."""
        name = url.rsplit("/", 1)[1]
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def running(self) -> bool:
        """Whether the server is still up."""
        return self.process.poll() is None

    def stop(self) -> None:
        """An immediate shutdown (SIGQUIT, as ``pg_ctl stop -m immediate``), then the folder is removed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_user(user: pwd.struct_passwd | None) -> dict[str, Any]:
    if user is None:
        return {}
    env = {**os.environ, "HOME": user.pw_dir, "USER": user.pw_name, "LOGNAME": user.pw_name}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "env": env}


def start(bin_dir: Path | None = None, *, prefix: str = "sitefinder-pg-") -> Cluster:
    """Make and start a cluster (see the module's docstring); raises RuntimeError, with the server's log, when it
    cannot."""
    bin_dir = bin_dir or binaries()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server here (initdb and postgres not found). Fix: apt-get install postgresql, "
                           "or set SITEFINDER_PG_BIN to the folder holding them.")
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    started = False
    try:
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        data = folder / "data"
        made = subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                               "--locale=C", "--no-sync", "--no-instructions"],
                              capture_output=True, text=True, timeout=120, cwd=folder, **_as_user(user))
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed ({made.returncode}): {made.stderr.strip() or made.stdout.strip()}")
        last = ""
        for _ in range(3):  # the free port may be taken between asking and listening: try another
            port = _free_port()
            with open(folder / "postgres.log", "ab") as log:
                if user is not None:
                    os.chown(folder / "postgres.log", user.pw_uid, user.pw_gid)
                process = subprocess.Popen(
                    [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
                     "-c", f"unix_socket_directories={folder}", "-c", "shared_buffers=32MB", "-c", "max_connections=60",
                     "-c", f"timezone={SERVER_TIMEZONE}", "-c", "log_min_messages=warning"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=folder, start_new_session=True,
                    preexec_fn=_die_with_parent, **_as_user(user))
            cluster = Cluster(bin_dir, folder, port, process, user)
            if _wait_ready(cluster):
                started = True
                return cluster
            last = cluster.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT)
                process.wait(timeout=30)
        raise RuntimeError(f"PostgreSQL did not start; its log ends:\n{last}")
    finally:
        if not started:  # whatever stopped it (a failure, Ctrl-C): leave no folder behind
            shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(cluster: Cluster) -> bool:
    import psycopg  # noqa: PLC0415

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not cluster.running():
            return False
        try:
            with cluster.connect():
                return True
        except psycopg.OperationalError:
            time.sleep(0.05)
    return False
