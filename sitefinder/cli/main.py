"""The ``sitefinder`` command line: a thin shell that registers the subcommands and runs one.

    sitefinder rank --profile bitcoin_mine --mw 100 --top 20 --out shortlist.geojson [--csv shortlist.csv]
    sitefinder explain LON LAT [--profile P] [--json]
    sitefinder robustness --profile P --mw N --draws 1000 --seed 7 --top 20 --out robust.geojson [--voi]
    sitefinder programme --profile P --target-mw 2000 --mw 100 [--min-mw 20] --out programme.geojson [--report brief.html]
    sitefinder ledger init | apply | hold | approve | reject | withdraw | energise | expire | list | history | export
    sitefinder compare A.json B.json
    sitefinder profiles | layers | schema [KIND] | build-data

Each subcommand lives in ``sitefinder/cli/`` and owns its options (``add_parser``) and its work (``run``); what
they share is in ``cli/common.py`` and ``cli/data_options.py``. Every file or folder an option names is declared
by its type (``cli/file_options.py``) and checked here before the command starts. Bad arguments and bad files exit
with status 2 and a message saying what is wrong and what is allowed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sitefinder import __version__
from sitefinder.cli import build_data, compare, explain, layers, ledger, profiles, programme, rank, robustness, schema
from sitefinder.cli.file_options import check_file_options
from sitefinder.errors import SitefinderError

COMMANDS = (rank, explain, robustness, programme, ledger, compare, profiles, layers, schema, build_data)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: every module in ``COMMANDS`` registers its subcommand."""
    parser = argparse.ArgumentParser(prog="sitefinder", description=(__doc__ or "").split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sitefinder {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        command = module.add_parser(sub)
        command.set_defaults(run=module.run, command_parser=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 a problem with the input, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    try:
        check_file_options(args.command_parser, args)  # every path given, before any work (cli/file_options.py)
        return int(args.run(args))
    except SitefinderError as exc:
        print(f"sitefinder: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `sitefinder rank | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("sitefinder: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
