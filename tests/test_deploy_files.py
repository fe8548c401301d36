"""The deployment files that cannot be run here (compose.yaml, deploy/haproxy-compose.cfg: no Docker in CI) stay in
step with the local set-up that is tested end to end (webapp/serve.py, tests/test_replicas.py): HAProxy accepts the
compose configuration, and it keeps visitors, checks health and fails over by the same rules."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from webapp.serve import COOKIE, deployment

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_CFG = ROOT / "deploy" / "haproxy-compose.cfg"
RULES = ("option redispatch", "balance leastconn", f"cookie {COOKIE} insert indirect nocache httponly",
         "option httpchk GET /_stcore/health", "http-check expect string ok", "timeout tunnel 1h")


def _rules(text: str) -> set[str]:
    lines = {re.sub(r"\s+", " ", line.split("#")[0]).strip() for line in text.splitlines()}
    return {line for line in lines if line}


def test_compose_proxy_keeps_visitors_and_fails_over_by_the_same_rules_as_serve(tmp_path: Path) -> None:
    local, compose = _rules(deployment(2, 8501, tmp_path).config()), _rules(COMPOSE_CFG.read_text(encoding="utf-8"))
    for rule in RULES:
        assert rule in local and rule in compose, rule
    check = next(r for r in local if r.startswith("default-server"))
    assert check in compose
    assert any(r.startswith("server-template app ") and " check " in f"{r} " for r in compose)


@pytest.mark.parametrize("which", ["compose", "local"])
def test_haproxy_accepts_the_configuration(which: str, tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    cfg = COMPOSE_CFG if which == "compose" else tmp_path / "haproxy.cfg"
    if which == "local":
        cfg.write_text(deployment(2, 8501, tmp_path).config(), encoding="utf-8")
    done = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_names_the_shared_register_and_the_proxy_as_the_only_way_in() -> None:
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "SITEFINDER_DB: postgresql+psycopg://" in text and "EXTRAS: \"app,postgres\"" in text
    app = text.split("\n  app:\n")[1].split("\n  proxy:\n")[0]
    assert "ports:" not in app.replace("# no ports", "")
    assert "./deploy/haproxy-compose.cfg:/usr/local/etc/haproxy/haproxy.cfg" in text
