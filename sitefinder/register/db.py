"""The register's database: where it is, how writes are serialised, and its migrations.

- SQLite is the default, a file under the user's data folder (``$XDG_DATA_HOME/sitefinder/register.sqlite``, or
  ``~/.local/share/...``), or any URL in ``SITEFINDER_DB`` / ``--db``. Every transaction starts with
  ``BEGIN IMMEDIATE`` (the write lock is taken at once, so two writers never both read a stale ledger), in WAL
  mode (readers are not blocked), with a busy timeout.
- PostgreSQL (``postgresql+psycopg://...``) runs every transaction SERIALIZABLE; a transaction the server aborts
  as a serialisation failure is run again from the start (``write``). Each connection's time zone is UTC, whatever
  the server's, so times read back are UTC on both. Migrations run one at a time (an advisory lock), so processes
  that each migrate a new database on first use do not trip over each other.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from sitefinder.errors import SitefinderError

DB_ENV = "SITEFINDER_DB"
READ_ONLY = "sitefinder_read_only"  # a connection execution option: this transaction only reads
BUSY_TIMEOUT_MS = 30_000
RETRIES = 20
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x5F5E_1019  # PostgreSQL advisory lock key: one migration at a time on a database
T = TypeVar("T")


class RegisterError(SitefinderError):
    """The register refused something, or cannot be reached; the message says why and what to do."""


def default_url() -> str:
    """``SITEFINDER_DB``, else a SQLite file under the user's data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "sitefinder"
    return f"sqlite:///{base / 'register.sqlite'}"


def _sqlite_setup(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own BEGIN off: ours below
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A reader (``reading``) takes no write lock: in WAL mode it sees the last commit and never waits for a writer
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def _postgresql_setup(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # timestamptz comes back in the session's time zone: UTC, as written, not the server's local time
        with dbapi_connection.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()


def engine_for(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: ``default_url()``), set up as the module's docstring says; the folder of a
    SQLite file is made."""
    url = url or default_url()
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine = sa.create_engine(parsed, isolation_level="SERIALIZABLE", pool_pre_ping=True)
        _postgresql_setup(engine)
        return engine
    raise RegisterError(f"{url}: the register runs on SQLite or PostgreSQL, not {parsed.get_backend_name()}. "
                        "Fix: give sqlite:///path/to/register.sqlite or postgresql+psycopg://user@host/db.")


def _is_serialisation_failure(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in ("40001", "40P01")  # serialization_failure, deadlock_detected


def write(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one serialised transaction, committed at the end; on PostgreSQL, again from the start when
    the server aborts it as a serialisation failure (``RETRIES`` tries in all, with a short random wait, longer
    each time; then a ``RegisterError``: nothing was written)."""
    for attempt in range(RETRIES):
        try:
            with engine.begin() as conn:
                return work(conn)
        except sa.exc.DBAPIError as exc:
            if not _is_serialisation_failure(exc):
                raise
            if attempt == RETRIES - 1:
                raise RegisterError(f"the register is busy: {RETRIES} tries were each stopped by other changes made at "
                                    "the same moment. Nothing was written. Fix: try again.") from exc
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reading: one transaction, a consistent view, that neither waits for writers nor makes them
    wait (SQLite: a deferred ``BEGIN``, no write lock; PostgreSQL: a REPEATABLE READ snapshot, READ ONLY, which the
    server never aborts as a serialisation failure). Nothing may be written through it."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn = conn.execution_options(**{READ_ONLY: True})
        with conn.begin():
            yield conn


def upgrade(engine: Engine) -> None:
    """Bring the database's tables to the newest migration (creates them in a new database). Safe to run from
    several processes at once: SQLite's write lock, or on PostgreSQL an advisory lock, lets one migrate at a time,
    and the others then find it done."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        postgresql = conn.dialect.name == "postgresql"
        if postgresql:  # READ COMMITTED: once the lock is ours, we see what the migration before ours committed
            conn.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            if postgresql:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: not a register yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
