"""Reference tables generated from the code: the settings table and the cost model's parameters. The docs'
reference pages show exactly these (``docs/gen_reference.py`` writes them; tests check they are current).
"""

from __future__ import annotations

from sitefinder.model.profiles import builtin_profile_names, load_profile
from sitefinder.model.setting import RANKING
from sitefinder.model.settings import ECONOMICS, SETTINGS


def settings_markdown() -> str:
    """The table of options on the docs' settings page, derived from ``SETTINGS``."""
    rows = ["| setting | command line | in the page address | allowed | default | what it does |",
            "|---|---|---|---|---|---|"]
    for s in SETTINGS.values():
        if s.view_only:
            flag = "(view only)"
        elif s.kind == "weights":
            flag = f"`{s.flag} NAME=W`"
        elif s.kind == "bool":
            flag = f"`{s.flag}` (turns it off)"
        else:
            flag = f"`{s.flag} VALUE`"
        if s.commands and s.commands != RANKING:
            flag += f" ({', '.join(s.commands)})"
        url = f"`{s.url_key}NAME`" if s.kind == "weights" else f"`{s.url_key}`"
        rows.append(f"| {s.label} (`{s.name}`) | {flag} | {url} | {s.bounds_text()} | {s.default_text()} | {s.help} |")
    return "\n".join(rows) + "\n"


def _n(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.6g}"


def economics_markdown() -> str:
    """The table of the cost model's parameters on the docs' reference page: each built-in profile's value (range),
    the unit and the source."""
    profiles = [load_profile(n) for n in builtin_profile_names()]
    rows = ["| parameter | " + " | ".join(f"{p.title} (range)" for p in profiles) + " | unit | source |",
            "|---|" + "---|" * len(profiles) + "---|---|"]
    for name in ECONOMICS:
        param = SETTINGS[name]
        cells, sources = [], []
        for p in profiles:
            v = p.economics.values[name]
            if name not in p.economics.used():
                cells.append("not used")
                continue
            lo, hi = v.ends()
            cells.append(_n(v.value) + (f" ({_n(lo)}-{_n(hi)})" if (v.low is not None or v.high is not None) else ""))
            src = v.source + (f" ({v.date})" if v.date else "")
            if src not in sources:
                sources.append(src)
        text = " **/** ".join(sources).replace("|", "/")
        rows.append(f"| `{name}` ({param.label}) | " + " | ".join(cells) + f" | {param.unit or 'ratio'} | {text} |")
    return "\n".join(rows) + "\n"

