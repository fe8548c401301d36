"""``sitefinder profiles``: list the built-in facility profiles."""

from __future__ import annotations

import argparse

from sitefinder.model.profiles import builtin_profile_names, load_profile


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``profiles``."""
    return subparsers.add_parser("profiles", help="list the built-in facility profiles")


def run(args: argparse.Namespace) -> int:
    """Print each built-in profile: size, season, node rule, weights and constraints."""
    for name in builtin_profile_names():
        p = load_profile(name)
        print(f"{p.name}  -  {p.title}: {p.description}")
        print(f"    default size {p.facility_mw:g} MW (typical {p.mw_range[0]:g}-{p.mw_range[1]:g} MW), "
              f"surplus season: {p.season}, grid nodes >= {p.node_rule.min_voltage_kv:g} kV ({', '.join(p.node_rule.statuses)})")
        total = sum(c.weight for c in p.criteria)
        for c in p.criteria:
            print(f"    {c.weight / total:6.1%}  {c.name:<26} {c.direction:<7} {c.value.describe()}")
        for con in p.constraints:
            print(f"    must:   {con.describe(p.params())}")
        print()
    print("Pass --profile NAME, or --profile path/to/your_profile.toml (same format as the files in sitefinder/model/profile_data/).")
    return 0
