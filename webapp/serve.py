"""Several app processes behind HAProxy, on one machine: ``make serve REPLICAS=N`` or
``python -m webapp.serve --replicas N [--port 8501]``.

A Streamlit session lives in the memory of one process, and one process runs its sessions' reruns one at a time. So
the app scales as other web apps do:

- N ``streamlit run app.py`` processes on loopback ports;
- HAProxy (Debian's ``haproxy``) in front, on ``--port``. It inserts a cookie that keeps each visitor on one process
  (sticky sessions). It passes WebSockets through, checks every process's ``/_stcore/health`` each second, and takes
  a process out of rotation after 2 failed checks. A visitor whose process is gone is sent to another one
  (``option redispatch``).
- The processes share the register's database (``SITEFINDER_DB``; PostgreSQL for a shared server) and the criteria
  cache (``SITEFINDER_CACHE``, else ``~/.cache/sitefinder``). They share nothing else. A visitor moved to another
  process gets their view back from the page address; their uploaded files are gone, and the page says so.
- A process that dies is started again (``--no-restart``: not). Ctrl-C or SIGTERM stops them all.

Sign-in (``[auth]`` in ``.streamlit/secrets.toml``) must name the proxy's address in ``redirect_uri`` and give every
process the same ``cookie_secret``: they read the same file here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # the folder app.py is in
COOKIE = "SITEFINDER_REPLICA"
CHECK_EVERY_MS = 1000
HAPROXY = "haproxy"


@dataclass
class Replica:
    """One app process: its name (the cookie's value), loopback port and process."""

    name: str
    port: int
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0


@dataclass
class Deployment:
    """The proxy and its replicas; ``folder`` holds haproxy.cfg and each process's log."""

    port: int
    replicas: list[Replica]
    folder: Path
    app_dir: Path = HERE
    streamlit_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    proxy: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The proxy's address."""
        return f"http://127.0.0.1:{self.port}/"

    def config(self) -> str:
        """HAProxy's configuration: sticky by cookie, WebSockets through, health-checked replicas."""
        servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.port} check cookie {r.name}" for r in self.replicas)
        return f"""# written by webapp/serve.py
global
    maxconn 4096

defaults
    mode http
    option redispatch                 # a visitor whose process is down goes to another
    retries 2
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h                 # an open WebSocket (a session) may stay quiet for long
    timeout http-request 10s

frontend sitefinder
    bind 127.0.0.1:{self.port}
    default_backend app

backend app
    balance leastconn                 # a new visitor goes to the least busy process
    cookie {COOKIE} insert indirect nocache httponly
    option httpchk GET /_stcore/health
    http-check expect string ok
    default-server inter {CHECK_EVERY_MS}ms fall 2 rise 2
{servers}
"""

    def start_replica(self, r: Replica) -> None:
        """Start (or start again) one app process."""
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(r.port), "--server.address",
               "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none", *self.streamlit_args]
        with (self.folder / f"{r.name}.log").open("ab") as log:  # the process keeps its own copy of the handle
            r.proc = subprocess.Popen(cmd, cwd=self.app_dir, env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
                                      stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        r.starts += 1

    def start(self, timeout: float = 180.0) -> Deployment:
        """Start every replica and, once they answer, the proxy."""
        haproxy = shutil.which(HAPROXY) or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise RuntimeError("HAProxy is not installed. Fix: apt-get install haproxy (Debian), or run one process "
                               "with `make run`.")
        self.folder.mkdir(parents=True, exist_ok=True)
        for r in self.replicas:
            self.start_replica(r)
        for r in self.replicas:
            wait_healthy(r.port, timeout, r.proc)
        cfg = self.folder / "haproxy.cfg"
        cfg.write_text(self.config(), encoding="utf-8")
        check = subprocess.run([haproxy, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {cfg}: {check.stderr.strip()}")
        with (self.folder / "haproxy.log").open("ab") as log:
            self.proxy = subprocess.Popen([haproxy, "-db", "-f", str(cfg)], stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT)
        wait_healthy(self.port, 30.0, self.proxy)
        return self

    def restart_dead(self) -> list[str]:
        """Start again every replica whose process has ended; their names."""
        again = []
        for r in self.replicas:
            if r.proc is not None and r.proc.poll() is not None:
                self.start_replica(r)
                again.append(r.name)
        return again

    def stop(self) -> None:
        """Stop the proxy and every replica."""
        for p in [self.proxy, *(r.proc for r in self.replicas)]:
            if p is not None and p.poll() is None:
                p.terminate()
        for p in [self.proxy, *(r.proc for r in self.replicas)]:
            if p is not None:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=15)

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``/_stcore/health`` on ``port`` answers ok; raise if ``proc`` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process for port {port} ended with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:  # noqa: S310
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing healthy on port {port} within {timeout:.0f} s")


def deployment(replicas: int, port: int, folder: Path | None = None, **kw: object) -> Deployment:
    """``replicas`` app processes on free loopback ports behind a proxy on ``port``."""
    reps = [Replica(f"r{i + 1}", free_port()) for i in range(replicas)]
    return Deployment(port, reps, folder or Path(tempfile.mkdtemp(prefix="sitefinder-serve-")), **kw)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Start the deployment and keep it running until stopped."""
    p = argparse.ArgumentParser(prog="python -m webapp.serve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--replicas", type=int, default=2, help="app processes (default 2)")
    p.add_argument("--port", type=int, default=8501, help="the proxy's port (default 8501)")
    p.add_argument("--no-restart", action="store_true", help="leave a process that died stopped")
    args = p.parse_args(argv)
    if not 1 <= args.replicas <= 32:
        p.error("--replicas: give 1 to 32")
    db = os.environ.get("SITEFINDER_DB", "")
    if args.replicas > 1 and not db.startswith("postgresql"):
        print("serve: the register is a SQLite file, shared by the processes on this machine. For processes on "
              "several machines, set SITEFINDER_DB=postgresql+psycopg://... (docs: The register).", file=sys.stderr)
    dep = deployment(args.replicas, args.port)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with dep:
        print(f"serve: {args.replicas} app process(es) behind HAProxy at {dep.url} (logs and haproxy.cfg in "
              f"{dep.folder})", flush=True)
        while not stopping:
            time.sleep(1.0)
            if not args.no_restart:
                for name in dep.restart_dead():
                    print(f"serve: {name} had stopped; started again", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
