"""``sitefinder ledger``: the programme's register from the command line, for staff and scripts.

    sitefinder ledger init                                   # make (or migrate) the database
    sitefinder ledger apply --lon 74.2 --lat 31.9 --mw 100 --applicant NAME --by NAME --reason TEXT [--node ID]
                            [--runs all-year|winter|summer] [--hours evening,midday,night] [--start YYYY-MM-DD]
    sitefinder ledger hold ID --until YYYY-MM-DD --by NAME --reason TEXT [--version N]
    sitefinder ledger approve|reject|withdraw|energise|expire ID --by NAME --reason TEXT [--version N]
    sitefinder ledger expire --by NAME --reason TEXT        # every hold that ran out
    sitefinder ledger list [--json]  |  history ID  |  export --out ledger.geojson|ledger.csv [--public]
    sitefinder ledger grant --person EMAIL --role staff|applicant|public --by NAME --reason TEXT
    sitefinder ledger people                                 # who has which role, and every change of role

The database is ``--db URL`` (SQLite or PostgreSQL), else ``SITEFINDER_DB``, else a SQLite file under the user's data
folder. Whoever can open the database acts as staff here (the app asks people to sign in). ``--version`` is the
version the decision was made on: if the application changed since, nothing is written and the change is shown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from sitefinder.cli.file_options import DATA_FOLDER, output_file
from sitefinder.data.dataset import default_data_dir, load_dataset
from sitefinder.errors import SitefinderError
from sitefinder.files import write_atomic
from sitefinder.measure.geodesy import NearestFinder
from sitefinder.model.vocabulary import HOUR_TYPES
from sitefinder.register.capacity import capacity_of
from sitefinder.register.db import RegisterError, default_url, engine_for, upgrade
from sitefinder.register.export import csv_text, geojson_text, node_points, records
from sitefinder.register.ledger import Application, Register, cells_for
from sitefinder.register.people import GRANTABLE, grant, people, role_history
from sitefinder.register.states import ACTIONS, STAFF

ACTIONS_CLI = ("init", "apply", "hold", "approve", "reject", "withdraw", "energise", "expire", "list", "history", "export",
               "grant", "people")
RUNS = {"all-year": "year_round", "winter": "winter", "summer": "summer"}
LEDGER_OUT = output_file("ledger export (.geojson or .csv)")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; give YYYY-MM-DD") from None


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``ledger``."""
    p = subparsers.add_parser("ledger", help="the programme's register: apply, hold, approve, ... list, history, export",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=ACTIONS_CLI, help="what to do")
    p.add_argument("id", nargs="?", type=int, help="the application (for hold, approve, ... history)")
    p.add_argument("--db", metavar="URL", help="the register's database (default: $SITEFINDER_DB, else a SQLite file "
                                              "under your data folder)")
    p.add_argument("--data", type=DATA_FOLDER, metavar="DIR", help="dataset the capacity comes from (default: built-in)")
    p.add_argument("--assumed-headroom-mw", type=float, metavar="MW",
                   help="headroom to assume at a node whose headroom is not published (else not limiting)")
    p.add_argument("--by", metavar="NAME", help="who acts (required for every change)")
    p.add_argument("--reason", metavar="TEXT", help="why (required for every change)")
    p.add_argument("--version", type=int, metavar="N", help="the application's version the decision was made on")
    p.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="hold: when the hold runs out")
    p.add_argument("--applicant", metavar="NAME", help="apply: who applies")
    p.add_argument("--lon", type=float, help="apply: the site's longitude (EPSG:4326)")
    p.add_argument("--lat", type=float, help="apply: the site's latitude (EPSG:4326)")
    p.add_argument("--node", metavar="ID", help="apply: the grid node it connects at (default: the nearest)")
    p.add_argument("--site", metavar="NAME", help="apply: the site's name (default: its coordinates)")
    p.add_argument("--mw", type=float, help="apply: MW asked for")
    p.add_argument("--facility", default="bitcoin_mine", metavar="PROFILE_NAME",
                   help="apply: the facility's profile name (default bitcoin_mine)")
    p.add_argument("--runs", choices=sorted(RUNS), default="all-year", help="apply: the months it runs")
    p.add_argument("--hours", default=",".join(HOUR_TYPES), metavar="LIST",
                   help=f"apply: the hour types it runs, from {', '.join(HOUR_TYPES)} (default all: firm)")
    p.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="apply: when it would start")
    p.add_argument("--json", action="store_true", help="list: as JSON")
    p.add_argument("--out", type=LEDGER_OUT, metavar="FILE", help="export: write the ledger here (.geojson or .csv)")
    p.add_argument("--person", metavar="EMAIL", help="grant: whose role (the e-mail they sign in with)")
    p.add_argument("--role", choices=GRANTABLE, help="grant: the role to give")
    p.add_argument("--public", action="store_true", help="export: leave out applicants' names (what the public sees)")
    return p


def _need(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) in (None, "")]
    if missing:
        raise SitefinderError(f"ledger {args.action}: {', '.join(missing)} missing. Fix: give "
                              + " ".join(f"{m} ..." for m in missing) + ".")


def _engine(args: argparse.Namespace) -> Any:
    """The register's engine, its tables brought to the newest migration (a new register needs no set-up)."""
    url = args.db or default_url()
    engine = engine_for(url)
    try:
        upgrade(engine)
    except sa.exc.SQLAlchemyError as exc:
        detail = " ".join(str(getattr(exc, "orig", exc)).split())[:200]
        raise RegisterError(f"{engine.url.render_as_string(hide_password=True)}: the register cannot be opened "
                            f"({detail}). Fix: check --db or SITEFINDER_DB, and that you may write there.") from None
    return engine


def _register(args: argparse.Namespace, *, with_capacity: bool) -> Register:
    engine = _engine(args)
    capacity = None
    if with_capacity:
        dataset = load_dataset(args.data or default_data_dir())
        capacity = capacity_of(dataset, args.assumed_headroom_mw)
        args.dataset = dataset
    return Register(engine, capacity)


def _cells(args: argparse.Namespace) -> np.ndarray:
    hours = [h.strip() for h in str(args.hours).split(",") if h.strip()]
    try:
        return cells_for(RUNS[args.runs], hours)
    except RegisterError as exc:
        raise SitefinderError(f"ledger apply: --hours {args.hours}: {exc}") from None


def _line(a: Application) -> str:
    hold = f" until {a.hold_until}" if a.hold_until and a.state == "held" else ""
    return (f"{a.id:>5}  v{a.version:<3} {a.state + hold:<24} {a.mw:>8,.1f} MW  {a.grid_node_id:<34} "
            f"{(a.zone or '-'):<22} {a.applicant}")


def run(args: argparse.Namespace) -> int:
    """Do what ``args.action`` says; print what was done."""
    if args.action == "init":
        engine = _engine(args)
        print(f"register ready at {engine.url.render_as_string(hide_password=True)}")
        return 0
    if args.action in ("grant", "people"):
        return _people(args)
    changes = args.action in ACTIONS or args.action == "expire"
    reg = _register(args, with_capacity=args.action in ("apply", "hold", "approve") or args.data is not None)
    if changes:
        _need(args, "by", "reason")
    if args.action == "apply":
        _need(args, "lon", "lat", "mw", "applicant")
        node = args.node or _nearest_node(args)
        a = reg.apply(args.by, STAFF, applicant=args.applicant, profile=args.facility,
                      site=args.site or f"{args.lon:.5f}, {args.lat:.5f}", lon=args.lon, lat=args.lat,
                      grid_node_id=node, mw=args.mw, cells=_cells(args), interruptible=args.hours != ",".join(HOUR_TYPES),
                      start_date=args.start, reason=args.reason)
        print(f"application {a.id}: requested, {a.mw:,.1f} MW at {a.grid_node_id} ({a.zone}); version {a.version}")
        return 0
    if args.action == "expire" and args.id is None:
        done = reg.expire_due(args.by)
        print(f"expired {len(done)} hold(s) that ran out" + (f": {', '.join(map(str, done))}" if done else ""))
        return 0
    if args.action in ACTIONS:
        _need(args, "id")
        current = reg.get(args.id)
        a = reg.act(args.id, args.action, args.by, STAFF, expected_version=args.version or current.version,
                    reason=args.reason, hold_until=args.until)
        print(f"application {a.id}: {a.state}; version {a.version}")
        return 0
    if args.action == "list":
        apps = reg.all()
        if args.json:
            print(json.dumps(records(apps, public=False), indent=1))
        else:
            print(f"{'id':>5}  {'ver':<4} {'state':<24} {'MW':>11}  {'grid node':<34} {'zone':<22} applicant")
            for a in apps:
                print(_line(a))
        return 0
    if args.action == "history":
        _need(args, "id")
        for e in reg.history(args.id):
            print(f"{e['seq']:>3}  {e['at']:%Y-%m-%d %H:%M}  {e['action']:<9} {str(e['from_state'] or '-'):>9} -> "
                  f"{e['to_state']:<10} {e['mw_after']:>8,.1f} MW  {e['actor']} ({e['role']}): {e['reason']}")
        return 0
    if args.action == "export":
        _need(args, "out")
        _export(args, reg.all(), args.out)
        print(f"wrote {args.out}")
        return 0
    raise AssertionError(args.action)


def _people(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.action == "grant":
        _need(args, "person", "role", "by", "reason")
        p = grant(engine, args.person, args.role, by=args.by, by_role=STAFF, reason=args.reason)
        print(f"{p.subject}: {p.role} (granted by {p.granted_by})")
        return 0
    for p in people(engine):
        print(f"{p.subject:<40} {p.role:<10} by {p.granted_by} at {p.granted_at:%Y-%m-%d %H:%M}")
    for c in role_history(engine):
        print(f"  {c['at']:%Y-%m-%d %H:%M}  {c['subject']}: {c['role_before'] or '-'} -> {c['role_after']} by {c['by']}: "
              f"{c['reason']}")
    return 0


def _nearest_node(args: argparse.Namespace) -> str:
    nodes = args.dataset["grid_nodes"]
    finder = NearestFinder(nodes.geometry.x.to_numpy(float), nodes.geometry.y.to_numpy(float))
    idx, _km = finder.query(np.array([args.lon]), np.array([args.lat]))
    return str(nodes["node_id"].iloc[int(idx[0])])


def _export(args: argparse.Namespace, apps: list[Application], path: Path) -> None:
    points = node_points(load_dataset(args.data or default_data_dir())) if args.public else None
    rows = records(apps, public=args.public, node_points=points)
    write_atomic(path, csv_text(rows) if str(path).lower().endswith(".csv") else geojson_text(rows))
