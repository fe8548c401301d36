"""With SITEFINDER_REQUIRE_BROWSER=1 (set by .ci/run) the run fails unless a browser test passed, so CI
cannot go green with the browser tests skipped, deselected or missing."""

from __future__ import annotations

import os

import pytest

import sitefinder  # noqa: F401  (first: sets GDAL_SKIP=OGR_VRT before any test module can load GDAL)

_browser_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _browser_passed  # noqa: PLW0603
    if report.when == "call" and report.passed and "browser" in report.keywords:
        _browser_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("SITEFINDER_REQUIRE_BROWSER") == "1" and _browser_passed == 0 and exitstatus == 0:
        print("\nSITEFINDER_REQUIRE_BROWSER=1 but no browser test passed: failing the run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
