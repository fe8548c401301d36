"""Text for the page: from data or from users, made safe for Streamlit's Markdown (no links, images or HTML), and
the tab labels."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&])")


def md_escape(text: object) -> str:
    """Escape every Markdown and HTML-significant character, so a file name or a value can never become a
    link, an image (which the browser would fetch), a heading or markup."""
    # Streamlit's Markdown turns any e-mail address into a mailto link, escaped or not (GitHub's autolinks run on
    # the decoded text): an invisible word joiner after "@" keeps it plain text.
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("@", "@\u2060")


# The page's tabs, in order (app.py draws them; the tests open them by these labels).
MAP, PROGRAMME, REGISTER, ROBUSTNESS, COMPARE, ECONOMICS, YOUR_DATA, ABOUT = TABS = (
    "Map and ranking", "Programme", "Register", "Robustness", "Compare", "Economics", "Your data", "About the data")


def place_of(row: object) -> str:
    """"District, Province" of a site (a row of a shortlist table), or its candidate id where neither is known."""
    get = row.get if hasattr(row, "get") else (lambda _k, _d=None: None)
    return ", ".join(str(v) for v in (get("district"), get("province")) if isinstance(v, str)) or str(get("candidate_id"))


def place_text(rank: object) -> str:
    """A rank in the robustness tables: "#3", or "beyond" when the site is not shortlisted that often."""
    try:
        return f"#{int(rank)}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "beyond"
