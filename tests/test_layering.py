"""Architecture rules: the core never needs streamlit, and GDAL's VRT driver is off once sitefinder is imported."""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sitefinder.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sitefinder"


def run_python(code: str, **env_changes: str | None) -> dict:
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_every_module_does_not_import_streamlit():
    code = """
import importlib, json, pkgutil, sys
import sitefinder
names = ["sitefinder"]
for info in pkgutil.walk_packages(sitefinder.__path__, "sitefinder."):
    if info.name.rsplit(".", 1)[-1] == "__main__":  # importing it runs the command line
        continue
    importlib.import_module(info.name)
    names.append(info.name)
print(json.dumps({"modules": names, "streamlit": sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")}))
"""
    result = run_python(code)
    expected = {f"sitefinder.{p.relative_to(PACKAGE).with_suffix('').as_posix().replace('/', '.')}".removesuffix(".__init__")
                for p in PACKAGE.rglob("*.py")}
    expected = {name if name != "sitefinder.__init__" else "sitefinder" for name in expected
                if not name.endswith(".__main__")}
    assert expected <= set(result["modules"]), f"not imported: {sorted(expected - set(result['modules']))}"
    assert {"sitefinder.cli.main", "sitefinder.cli.rank", "sitefinder.build.layers"} <= set(result["modules"])
    assert result["streamlit"] == [], f"importing the core package pulled in {result['streamlit']}"


def test_no_source_file_imports_streamlit():
    pattern = re.compile(r"^\s*(import\s+streamlit\b|from\s+streamlit\b)|__import__\(\s*['\"]streamlit|"
                         r"import_module\(\s*['\"]streamlit", re.M)
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 20
    offenders = [str(p.relative_to(PACKAGE.parent)) for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


VRT_PROBE = """
import json, os, sys
{imports}
import pyogrio
drivers = pyogrio.list_drivers()
print(json.dumps({{"GDAL_SKIP": os.environ.get("GDAL_SKIP"), "OGR_VRT": drivers.get("OGR_VRT"), "GPX": drivers.get("GPX"),
                  "count": len(drivers)}}))
"""


def test_vrt_driver_is_available_without_sitefinder():
    """The control: in this GDAL build pyogrio does offer OGR_VRT, so the next tests can fail."""
    result = run_python(VRT_PROBE.format(imports=""), GDAL_SKIP=None)
    assert result["GDAL_SKIP"] is None
    assert result["OGR_VRT"] is not None and "r" in result["OGR_VRT"]


def test_import_sitefinder_disables_the_vrt_driver():
    result = run_python(VRT_PROBE.format(imports="import sitefinder"), GDAL_SKIP=None)
    assert "OGR_VRT" in result["GDAL_SKIP"].replace(",", " ").split()
    assert result["OGR_VRT"] is None, "pyogrio still offers the OGR VRT driver for reading"
    assert result["count"] > 10  # other drivers are still there


def test_existing_gdal_skip_is_kept_and_extended():
    result = run_python(VRT_PROBE.format(imports="import sitefinder.data.io"), GDAL_SKIP="GPX")
    assert result["GDAL_SKIP"].replace(",", " ").split() == ["GPX", "OGR_VRT"]
    assert result["OGR_VRT"] is None and result["GPX"] is None


@pytest.mark.parametrize("value", ["OGR_VRT", "GPX,OGR_VRT"])
def test_gdal_skip_already_naming_vrt_is_left_alone(value):
    result = run_python(VRT_PROBE.format(imports="import sitefinder"), GDAL_SKIP=value)
    assert result["GDAL_SKIP"] == value
    assert result["OGR_VRT"] is None


def test_every_command_module_is_registered_and_owns_its_options():
    """A module in sitefinder/cli/ (other than the shared helpers) that the command line does not register would
    be dead code: this fails if one is added and forgotten."""
    modules = {p.stem for p in (PACKAGE / "cli").glob("*.py")} - {"__init__", "__main__", "main", "common", "data_options",
                                                                   "file_options"}
    registered = {m.__name__.rsplit(".", 1)[-1] for m in cli.COMMANDS}
    assert modules == registered, f"not registered: {sorted(modules - registered)}"
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for module in cli.COMMANDS:
        assert callable(module.add_parser) and callable(module.run)
    assert set(sub.choices) == {"rank", "explain", "robustness", "programme", "ledger", "compare", "profiles", "layers",
                                "schema", "build-data"}


def test_commands_do_not_import_the_command_line_that_registers_them():
    """cli/main.py registers the commands; the commands share cli/common.py, cli/data_options.py and
    cli/file_options.py, never main."""
    for path in (PACKAGE / "cli").glob("*.py"):
        if path.stem in ("main", "__main__"):
            continue
        assert "sitefinder.cli.main" not in path.read_text(encoding="utf-8"), path.name


# Imports inside a function are kept only where the dependency is optional or heavy to load (GDAL, SciPy's
# distributions, Dask, the app's extras, PyPSA: about 4 s, needed by the app only when it solves a grid model);
# everything else is imported at the top of its module.
LAZY_ALLOWED = {"dask", "distributed", "pyogrio", "scipy", "h5py", "PIL", "xstatic", "pypsa"}


def _function_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def test_imports_inside_functions_are_only_for_optional_or_heavy_dependencies():
    paths = [*PACKAGE.rglob("*.py"), *(ROOT / "webapp").rglob("*.py"), ROOT / "app.py"]
    lazy = [f"{p.relative_to(ROOT)}:{line} {name}" for p in paths for line, name in _function_imports(p)
            if name.split(".")[0] not in LAZY_ALLOWED]
    assert not lazy, "imports inside functions (move them to the top of the module): " + ", ".join(lazy)


def test_the_lazy_import_check_finds_one(tmp_path: Path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import json\n    from sitefinder.model import settings\n    import dask\n", encoding="utf-8")
    assert [name for _, name in _function_imports(probe)] == ["json", "sitefinder.model", "dask"]


def test_app_holds_no_scoring_or_geometry_logic():
    """The app wires widgets and layout: no weighted sums, no distances, no scenario canonicalising of its own."""
    text = (PACKAGE.parent / "app.py").read_text(encoding="utf-8")
    for needle in ("np.hypot", "shapely.", "def _select_from_click", "def _fit_to_widgets", "every weight is zero",
                   "MW_MIN", "KM_MAX", "TOP_MAX"):
        assert needle not in text, needle


def test_the_architecture_page_names_every_module_and_folder() -> None:
    """A module added without a line on the docs' architecture page fails here (its one job is said there): each
    package's section (the heading that names its folder, up to the next heading) names each of its modules."""
    page = (ROOT / "docs" / "contributing" / "architecture.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### `([^`]+)`[^\n]*\n(.*?)(?=^### |^## |\Z)", page, re.M | re.S))
    packages = sorted({p.parent for p in [*PACKAGE.rglob("*.py"), *(ROOT / "webapp").rglob("*.py")]})
    missing = []
    for folder in packages:
        rel = folder.relative_to(ROOT).as_posix()
        if rel == "sitefinder":  # the root's few files are named in the cli section's closing words
            text = page
        elif rel == "sitefinder/model/profile_data":
            text = sections.get("sitefinder/model", "")
        else:
            text = sections.get(rel)
            if text is None:
                missing.append(f"a section for {rel}/")
                continue
        words = set(re.findall(r"[\w.]+\.py", text))
        missing += [f"{rel}/{p.name}" for p in sorted(folder.glob("*.py")) if p.name != "__init__.py" and p.name not in words]
    for name in ("conftest.py", "geometries.py", "appserver.py"):
        if name not in page:
            missing.append(f"tests/{name}")
    assert not missing, f"docs/contributing/architecture.md does not name: {missing}"
    folders = ["sitefinder/", "webapp", "data/pakistan/", "facts/", "original/", "data/examples/", "tests/", "benchmarks/",
               "profile_data/", "economics_data/", "docs/"]
    assert not [f for f in folders if f not in page]


MAX_MODULE_LINES = 500
MAX_APP_LINES = 150


def test_no_module_is_over_500_lines_and_the_app_stays_short():
    """Small modules with one job each: a module that grows past 500 lines wants splitting."""
    paths = [*PACKAGE.rglob("*.py"), *(ROOT / "webapp").rglob("*.py")]
    long = {str(p.relative_to(ROOT)): n for p in paths if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
    app_lines = len((ROOT / "app.py").read_text(encoding="utf-8").splitlines())
    assert app_lines <= MAX_APP_LINES, f"app.py has {app_lines} lines: a tab's code belongs in webapp/tabs/"
