"""The docs: the pages made from the code and data are current, the README keeps to its shape, the performance page
includes tables that exist, and the built site loads nothing from another machine.

The other checks of the docs' content sit with what they check: the settings table (test_settings.py), the cost
model's parameters (test_economics.py), the layer schemas and worked examples (test_examples.py) and the
architecture page (test_layering.py). ``make test`` also builds the site with ``mkdocs build --strict``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_pages_equal_the_committed_ones(tmp_path: Path) -> None:
    gen = _generator()
    written = gen.write_pages(tmp_path)
    assert written, "the generator wrote nothing"
    stale = [p.relative_to(tmp_path).as_posix() for p in written
             if not (DOCS / p.relative_to(tmp_path)).exists()
             or (DOCS / p.relative_to(tmp_path)).read_text(encoding="utf-8") != p.read_text(encoding="utf-8")]
    assert not stale, f"docs pages out of date with the code or data: {stale}; run {gen.COMMAND} and commit them"


def test_every_page_in_the_reference_folder_is_generated() -> None:
    gen = _generator()
    made = {Path(name).name for name in gen.PAGES if name.startswith("reference/")}
    on_disk = {p.name for p in (DOCS / "reference").glob("*.md")}
    assert on_disk == made, f"docs/reference/ holds pages the generator does not write: {sorted(on_disk - made)}"


def test_the_help_on_the_cli_page_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    monkeypatch.setenv("COLUMNS", "60")
    narrow = gen.PAGES["reference/cli.md"]()
    monkeypatch.setenv("COLUMNS", "200")
    assert gen.PAGES["reference/cli.md"]() == narrow


def test_data_pages_turn_links_into_repository_paths() -> None:
    page = (DOCS / "data" / "pakistan.md").read_text(encoding="utf-8")
    assert "`data/pakistan/facts/revisions.csv`" in page
    assert not re.search(r"\]\((?!https?:)[^)]*\)", page), "a relative link would point outside the docs site"


# ----------------------------------------------------------------------------------------------------------
# The README


def test_the_readme_is_short_and_keeps_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert "make run     # installs everything into .venv and starts the app on the built-in Pakistan data" in text
    assert "make test    # installs everything into .venv and passes the tests" in text


def test_the_readme_links_resolve_and_its_picture_is_small() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", text)
    assert "docs/img/app.png" in targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
    assert (DOCS / "img" / "app.png").stat().st_size < 500_000


# ----------------------------------------------------------------------------------------------------------
# The performance page and the built site


def test_the_performance_page_includes_tables_that_exist_and_say_how_they_were_made() -> None:
    page = (DOCS / "performance" / "index.md").read_text(encoding="utf-8")
    included = re.findall(r'^--8<-- "([^"]+)"$', page, re.M)
    assert len(included) >= 5
    for name in included:
        table = DOCS / name
        assert table.exists(), f"the performance page includes {name}, which does not exist"
        head = table.read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("<!-- written by benchmarks/") or "placeholder" in head, name
        script = re.search(r"benchmarks/\w+\.py", head)
        if script:
            assert "--markdown" in (ROOT / script.group(0)).read_text(encoding="utf-8")


RESOURCE = re.compile(r"""(?:<script[^>]*\ssrc|<link[^>]*\shref|<img[^>]*\ssrc|<iframe[^>]*\ssrc)=["']?(https?:)?//""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?(https?:)?//|@import\s+["']?(https?:)?//""", re.I)


@pytest.mark.slow
def test_the_built_site_loads_nothing_from_another_machine(tmp_path: Path) -> None:
    """Material loads Google Fonts unless ``theme.font`` is false; no page, script or style may load anything
    from elsewhere (links to sources are fine: they are clicked, not loaded)."""
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[test]')")
    site = tmp_path / "site"
    proc = subprocess.run([mkdocs, "build", "--strict", "--quiet", "--site-dir", str(site)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loads = []
    for path in [*site.rglob("*.html"), *site.rglob("*.css")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        pattern = RESOURCE if path.suffix == ".html" else CSS_URL
        loads += [f"{path.relative_to(site)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not loads, loads
    assert "fonts.googleapis" not in "".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*.html"))
