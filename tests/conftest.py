"""Fixtures shared by the test modules, and the browser guard.

The built-in Pakistan data is loaded once per run (``pakistan_data``) and shared read-only; a test that
needs a changed dataset makes one with ``Dataset.with_layer``. With SITEFINDER_REQUIRE_BROWSER=1 (set by
.ci/run) the run fails unless a browser test passed, so CI cannot go green with the browser tests skipped,
deselected or missing.

The register's tests run on SQLite and on PostgreSQL (``register_url``): each pytest-xdist worker starts a throwaway
PostgreSQL cluster of its own when a test first needs one (tests/pgcluster.py) and stops it at the end. Without a
PostgreSQL server here those tests skip; SITEFINDER_REQUIRE_POSTGRES=1 (set by .ci/run) makes them fail instead, and
fails the run unless a PostgreSQL test passed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd  # noqa: I001  (after sitefinder, for the reason above)
import pgcluster
import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

import sitefinder  # noqa: F401  (first: sets GDAL_SKIP=OGR_VRT before any test module can load GDAL)
from sitefinder.data.dataset import Dataset, load_default
from sitefinder.rank.study import Study

_browser_passed = 0
_postgres_passed = 0


def pytest_configure(config: pytest.Config) -> None:
    """Measured criteria are cached in a folder of this run's own (never the user's ~/.cache); the command-line
    and app processes the tests start inherit it."""
    import tempfile  # noqa: PLC0415

    os.environ.setdefault("SITEFINDER_CACHE", tempfile.mkdtemp(prefix="sitefinder-test-cache-"))
    # the register's default database: never the user's own (~/.local/share/sitefinder) during tests
    os.environ.setdefault("SITEFINDER_DB", "sqlite:///" + tempfile.mkdtemp(prefix="sitefinder-test-db-") + "/register.sqlite")
    # a page that fails raises (after the app has logged it), so no test passes over a failed page; the test of what
    # a visitor sees instead (tests/test_unprivileged.py) starts its server without this
    os.environ.setdefault("SITEFINDER_RAISE_PAGE_ERRORS", "1")


@pytest.fixture(scope="session")
def pakistan_data() -> Dataset:
    """The built-in Pakistan dataset, loaded once (shared: never change it in place)."""
    return load_default()


@pytest.fixture(scope="session")
def study_area(pakistan_data: Dataset) -> gpd.GeoDataFrame:
    """Pakistan's outline as the study-area layer (EPSG:4326), what uploads are checked against."""
    return pakistan_data["study_area"]


@pytest.fixture(scope="session")
def pakistan_outline(study_area: gpd.GeoDataFrame) -> shapely.Geometry:
    """Pakistan's outline as one prepared shapely geometry (lon/lat degrees), for containment checks."""
    area = shapely.union_all(study_area.geometry.array)
    shapely.prepare(area)
    return area


@pytest.fixture(scope="session")
def h3_study(pakistan_data: Dataset) -> Study:
    """The built-in data measured on H3 resolution 5 (3,280 cells): the cheapest full study."""
    return Study.on_h3(pakistan_data, 5)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[pgcluster.Cluster]:
    """A throwaway PostgreSQL cluster for this worker (tests/pgcluster.py), stopped and removed at the end. No server
    here: the test skips, or fails under SITEFINDER_REQUIRE_POSTGRES=1."""
    missing = "no PostgreSQL server here (initdb, postgres)" if pgcluster.binaries() is None else None
    try:
        import psycopg  # noqa: F401, PLC0415
    except ImportError:
        missing = "psycopg is not installed (pip install -e '.[test]')"
    if missing:
        if os.environ.get("SITEFINDER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"SITEFINDER_REQUIRE_POSTGRES=1 but {missing}")
        pytest.skip(missing)
    cluster = pgcluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty databases for a register, on SQLite and then on PostgreSQL: each call gives a new one's URL (a
    SQLite file in the test's folder, or a database on this worker's cluster, dropped after the test)."""
    if request.param == "sqlite":
        paths = (tmp_path / f"register-{i}.sqlite" for i in range(1, 1_000_000))
        yield lambda: f"sqlite:///{next(paths)}"
        return
    cluster: pgcluster.Cluster = request.getfixturevalue("postgres_cluster")
    made: list[str] = []
    engines: list[Engine] = []  # every engine the test connects with: closed at the end (psycopg warns otherwise)

    def new() -> str:
        made.append(cluster.new_database())
        return made[-1]

    def seen(conn: Connection) -> None:
        if conn.engine not in engines:
            engines.append(conn.engine)

    sa.event.listen(Engine, "engine_connect", seen)
    try:
        yield new
    finally:
        sa.event.remove(Engine, "engine_connect", seen)
        for engine in engines:
            engine.dispose()
        for url in made:
            cluster.drop_database(url)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _browser_passed, _postgres_passed  # noqa: PLW0603
    if report.when == "call" and report.passed and "browser" in report.keywords:
        _browser_passed += 1
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker: the controller sees every report and decides
        return
    if os.environ.get("SITEFINDER_REQUIRE_BROWSER") == "1" and _browser_passed == 0 and exitstatus == 0:
        print("\nSITEFINDER_REQUIRE_BROWSER=1 but no browser test passed: failing the run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if os.environ.get("SITEFINDER_REQUIRE_POSTGRES") == "1" and _postgres_passed == 0 and exitstatus == 0:
        print("\nSITEFINDER_REQUIRE_POSTGRES=1 but no PostgreSQL test passed: failing the run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
