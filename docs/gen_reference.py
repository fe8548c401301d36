"""Write the docs' pages that come from the code and the data, never by hand:

* docs/reference/: the criteria and profiles, the settings (every option of the app, the page address and the
  command line), the cost model's parameters, the layer kinds and their columns, and the command line's help;
* docs/data/: the built-in dataset's README and the national figures with their sources, as the data folder
  holds them (links into the repository become paths, since the site holds only docs/).

    .venv/bin/python docs/gen_reference.py            # rewrite those pages
    .venv/bin/python docs/gen_reference.py --check    # exit 1, naming the pages, if any differs

The pages are committed; tests/test_docs.py regenerates them in a temporary folder and checks they equal the
committed ones, so the docs cannot drift from the code and the data. Nothing here needs mkdocs.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

from sitefinder.cli import profiles
from sitefinder.cli.main import build_parser
from sitefinder.cli.schema import schema_markdown
from sitefinder.model.vocabulary import CRITERIA
from sitefinder.report.reference import economics_markdown, settings_markdown

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
COMMAND = ".venv/bin/python docs/gen_reference.py"
HELP_WIDTH = 100  # the command line's help is wrapped at this many columns, whatever the terminal
NOTE = f"<!-- written by docs/gen_reference.py from the code; do not edit by hand: run `{COMMAND}` -->\n\n"
DATA = ROOT / "data" / "pakistan"
_LINK = re.compile(r"\[([^\]]+)\]\(([^)#\s]+)\)")


def _settings_page() -> str:
    return NOTE + """# Settings

Every setting a person can change, in one table. Each is one row of `sitefinder/model/settings.py`; the app's
controls, the page address, scenario files and the command line's options are all made from that row, with the
same bounds and defaults. "The profile's" means the facility profile's own value
([`sitefinder profiles`](cli.md#sitefinder-profiles) lists them). The command line takes a setting in every
subcommand that ranks (`rank`, `explain`, `robustness`, `programme`) unless the table names the subcommands.

""" + settings_markdown()


def _economics_page() -> str:
    return NOTE + """# Cost model parameters

The default of every parameter of the cost model, for each built-in profile, with its range, unit and source (or
the word "assumption"). The shared defaults are in `sitefinder/model/economics_data/parameters.toml`; a profile's
`[economics]` table sets its own. Change one in the app's Economics tab, in the page address or on the command
line: the [settings](settings.md) table gives the option for each. How the figures are used is in
[Methods: economics](../methods/economics.md).

""" + economics_markdown()


def _layers_page() -> str:
    return NOTE + """# Layer kinds and their columns

What each layer of a dataset holds: its geometry, its columns with their units and allowed values, and how to
give your own file of that kind ([your own data](../guides/your-data.md) says how files are read and checked).
"May be blank" means a cell may be empty: unknown, never read as zero. `sitefinder schema [KIND]` prints the same
in a terminal.

""" + schema_markdown(heading_level=2).rstrip("\n") + "\n"


def _profiles_page() -> str:
    rows = ["| criterion | unit | family | more is | estimate | what it measures |", "|---|---|---|---|---|---|"]
    for c in CRITERIA.values():
        rows.append(f"| `{c.name}` ({c.label}) | {c.unit} | {c.family} | "
                    f"{'better' if c.direction == 'benefit' else 'worse'} | {'yes' if c.estimate else ''} | "
                    f"{c.description} |")
    text = io.StringIO()
    with redirect_stdout(text):
        profiles.run(argparse.Namespace())
    return NOTE + """# Criteria and profiles

## Criteria

Every column the engine can score or constrain (`sitefinder/model/vocabulary.py`). "Estimate: yes" means the
built-in data give it as a central value with a low-high range. How a raw value becomes a score is in
[Methods: scoring](../methods/scoring.md).

""" + "\n".join(rows) + """

## The built-in profiles

Each profile (`sitefinder/model/profile_data/*.toml`) picks its criteria, their weights (shown as shares), how a
raw value maps onto 0..1, and the rules a site must pass. `sitefinder profiles` prints this:

```text
""" + text.getvalue() + "```\n"


@contextmanager
def _columns(width: int) -> Iterator[None]:
    """argparse wraps help to the terminal's width (the COLUMNS variable): fix it while the help is made."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _cli_page() -> str:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    out = [NOTE, "# Command line\n\n",
           "Each subcommand's `--help`, as `sitefinder` prints it. The options that set a ranking are the rows of "
           "the [settings](settings.md) table. Bad arguments and bad files end with exit status 2 and a message "
           "saying what is wrong and what is allowed. [The command line guide](../guides/command-line.md) shows "
           "them at work.\n\n"]
    with _columns(HELP_WIDTH):
        out.append("```text\n" + parser.format_help() + "```\n\n")
        for name, sub in commands.choices.items():
            out.append(f"## sitefinder {name}\n\n```text\n{sub.format_help()}```\n\n")
    return "".join(out).rstrip("\n") + "\n"


def _from_data(source: Path, intro: str) -> str:
    """A Markdown file of the data folder as a docs page: a note on where it comes from, then its text, with each
    relative link made into the repository path it points at (written as code)."""
    text = source.read_text(encoding="utf-8")

    def path(m: re.Match[str]) -> str:
        target = (source.parent / m.group(2)).resolve()
        try:
            shown = target.relative_to(ROOT).as_posix()
        except ValueError:
            return m.group(0)
        if target.name == "README.md":  # a folder's README stands for the folder
            shown = target.parent.relative_to(ROOT).as_posix() + "/"
        return f"`{shown}`" if m.group(1).strip("`") in (m.group(2), Path(m.group(2)).name, m.group(2).rstrip("/")) \
            or m.group(1).startswith("`") else f"{m.group(1)} (`{shown}`)"
    rel = source.relative_to(ROOT).as_posix()
    note = (f"<!-- copied from {rel} by docs/gen_reference.py; do not edit here: edit {rel} and run `{COMMAND}` "
            "-->\n\n")
    title, _, rest = text.partition("\n")
    return note + title + "\n\n" + intro + f" This page is `{rel}` in the repository, as it stands.\n" + \
        _LINK.sub(path, rest)


def _dataset_page() -> str:
    return _from_data(DATA / "README.md", "What each layer of the built-in data holds, where it comes from, which "
                      "values are estimates and how they were made, every assumption with its range, and what is "
                      "still unknown.")


def _national_page() -> str:
    return _from_data(DATA / "facts" / "national_facts.md", "The national figures the built-in data rest on, each "
                      "with its source, as compiled for the project.")


PAGES = {"reference/profiles.md": _profiles_page, "reference/settings.md": _settings_page,
         "reference/economics.md": _economics_page, "reference/layers.md": _layers_page, "reference/cli.md": _cli_page,
         "data/pakistan.md": _dataset_page, "data/national-facts.md": _national_page}


def write_pages(folder: Path) -> list[Path]:
    """Write every generated page under ``folder`` (the docs folder: reference/ and data/); returns the paths."""
    written = []
    for name, make in PAGES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def stale_pages(folder: Path = DOCS) -> list[str]:
    """The generated pages under ``folder`` that differ from what the code and data make now (or are missing)."""
    return [name for name, make in PAGES.items()
            if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != make()]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the pages, or with --check say which differ."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only check; exit 1 if a page differs from the code")
    args = ap.parse_args(argv)
    if args.check:
        stale = stale_pages()
        if stale:
            print(f"out of date: {', '.join(stale)}; run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    for path in write_pages(DOCS):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
