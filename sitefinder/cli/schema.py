"""``sitefinder schema [KIND]``: every layer kind's columns, units, ranges and geometry, from ``SCHEMAS``.

    sitefinder schema                 # all layer kinds, as text
    sitefinder schema grid_nodes      # one kind
    sitefinder schema --markdown      # the same as Markdown tables (as on the docs' layer kinds page)

``schema_markdown()`` renders the tables of the docs' layer kinds page (``docs/reference/layers.md``, written by
``docs/gen_reference.py``); a test checks the page still holds its output, so the documented schema cannot drift
from ``sitefinder/data/schema.py``.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from typing import TextIO

from sitefinder.data.schema import SCHEMAS, Column, LayerSchema
from sitefinder.data.user_layers import UPLOADABLE

TYPE_NAMES = {"str": "text", "float": "number", "bool": "true/false", "category": "text, one of a list"}
_MONTHLY = re.compile(r"^(?P<stem>.+)_(?P<month>0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ColumnRow:
    """One displayed row: a schema column, or a run of twelve monthly columns shown together."""

    name: str
    type: str
    unit: str
    required: str
    blank: str
    allowed: str
    description: str


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def _allowed(col: Column) -> str:
    parts = []
    if col.allowed:
        parts.append(", ".join(col.allowed))
    if col.min is not None and col.max is not None:
        parts.append(f"{_number(col.min)} .. {_number(col.max)}")
    elif col.min is not None:
        parts.append(f">= {_number(col.min)}")
    elif col.max is not None:
        parts.append(f"<= {_number(col.max)}")
    if col.dtype == "bool":
        parts.append("true/false (also yes/no, 1/0)")
    if col.unique:
        parts.append("unique")
    return "; ".join(parts)


def _row(col: Column, name: str, description: str) -> ColumnRow:
    return ColumnRow(name=name, type=TYPE_NAMES.get(col.dtype, col.dtype), unit=col.unit,
                     required="yes" if col.required else "no", blank="yes" if col.nullable else "no",
                     allowed=_allowed(col), description=description)


def _same_but_name(a: Column, b: Column) -> bool:
    keys = ("dtype", "unit", "required", "nullable", "min", "max", "allowed", "unique")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def column_rows(schema: LayerSchema) -> list[ColumnRow]:
    """The columns of ``schema`` in order; twelve monthly columns ``x_01`` .. ``x_12`` become one row."""
    cols = list(schema.columns)
    rows: list[ColumnRow] = []
    i = 0
    while i < len(cols):
        col = cols[i]
        m = _MONTHLY.match(col.name)
        run = cols[i:i + 12]
        if m and m["month"] == "01" and len(run) == 12 and all(
                c.name == f"{m['stem']}_{k:02d}" and _same_but_name(col, c) for k, c in enumerate(run, start=1)):
            description = col.description.replace("month 01", "each month (01 = January .. 12 = December)")
            rows.append(_row(col, f"{m['stem']}_01 .. {m['stem']}_12", description))
            i += 12
            continue
        rows.append(_row(col, col.name, col.description))
        i += 1
    return rows


def _supply(kind: str) -> str:
    if kind in UPLOADABLE:
        return f"`--layer {kind}=FILE` (replace) or `--add-layer {kind}=FILE` (add)"
    return "only in a dataset folder (`--data DIR`)"


def _facts(schema: LayerSchema) -> list[tuple[str, str]]:
    """(label, Markdown value) pairs describing the layer as a whole."""
    facts = [("geometry", " or ".join(schema.geometry))]
    if schema.id_column:
        facts.append(("id column", f"`{schema.id_column}`"))
    facts.append(("layer", "required in a dataset" if schema.required_layer else "optional"))
    facts.append(("your file", _supply(schema.kind)))
    return facts


def schema_markdown(kinds: list[str] | None = None, *, heading_level: int = 4) -> str:
    """The layer kinds as Markdown: a heading, the geometry and how to supply it, and a table of columns."""
    out: list[str] = []
    hashes = "#" * heading_level
    for kind in kinds or list(SCHEMAS):
        schema = SCHEMAS[kind]
        out.append(f"{hashes} `{kind}`: {schema.title}")
        out.append("")
        facts = "; ".join(f"{label}: {value}" for label, value in _facts(schema))
        out.append(f"{schema.description} {facts[0].upper()}{facts[1:]}.")
        out.append("")
        out.append("| column | type | unit | required | may be blank | allowed | description |")
        out.append("|---|---|---|---|---|---|---|")
        for r in column_rows(schema):
            name = " .. ".join(f"`{part}`" for part in r.name.split(" .. "))
            out.append(f"| {name} | {r.type} | {r.unit} | {r.required} | {r.blank} | {r.allowed} | {r.description} |")
        out.append("")
    return "\n".join(out)


def schema_text(kinds: list[str] | None = None) -> str:
    """The same information as plain text for a terminal."""
    out: list[str] = []
    headers = ColumnRow("column", "type", "unit", "required", "blank", "allowed", "description")
    for kind in kinds or list(SCHEMAS):
        schema = SCHEMAS[kind]
        out.append(f"{kind}  -  {schema.title}: {schema.description}")
        for label, value in _facts(schema):
            out.append(f"    {label + ':':<11} {value.replace('`', '')}")
        rows = [headers, *column_rows(schema)]
        fields = ("name", "type", "unit", "required", "blank", "allowed")
        widths = {f: max(len(getattr(r, f)) for r in rows) for f in fields}
        for k, r in enumerate(rows):
            line = "  ".join(f"{getattr(r, f):<{widths[f]}}" for f in fields) + "  " + r.description
            out.append("    " + line.rstrip())
            if k == 0:
                out.append("    " + "-" * (sum(widths.values()) + 2 * len(fields) + len("description")))
        out.append("")
    out.append("Units are in the 'unit' column; 'blank' = the cell may be empty (unknown, never read as zero).")
    out.append("Columns are matched by name (case-insensitive, common aliases); otherwise use "
               "--map KIND.COLUMN=FILE_COLUMN.")
    return "\n".join(out) + "\n"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``schema`` on the ``sitefinder`` command line (called from ``cli.build_parser``)."""
    p = subparsers.add_parser("schema", help="show each layer kind's columns, units, ranges and geometry")
    p.add_argument("kind", nargs="?", choices=list(SCHEMAS), metavar="KIND",
                   help=f"one layer kind: {', '.join(SCHEMAS)} (default: all)")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables (as on the docs' layer kinds page)")
    return p


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the schema of one layer kind or all (text, or Markdown with --markdown)."""
    out = out or sys.stdout
    kinds = [args.kind] if getattr(args, "kind", None) else None
    out.write(schema_markdown(kinds) if getattr(args, "markdown", False) else schema_text(kinds))
    return 0
