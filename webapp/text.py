"""Text for the page: from data or from users, made safe for Streamlit's Markdown (no links, images or HTML), and the tab labels."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&])")


def md_escape(text: object) -> str:
    """Escape every Markdown and HTML-significant character, so a file name or a value can never become a
    link, an image (which the browser would fetch), a heading or markup."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


# The page's tabs, in order (app.py draws them; the tests open them by these labels).
TABS = ["Map and ranking", "Programme", "How sure?", "Compare", "Economics", "Your data", "About the data"]
