"""Who is looking at the page: signed in with Streamlit's OpenID Connect login (``st.login``), and their role from
the register's roles table (``sitefinder.register.people``).

- Sign-in is configured by an ``[auth]`` section in ``.streamlit/secrets.toml`` (``redirect_uri``,
  ``cookie_secret``, ``client_id``, ``client_secret``, ``server_metadata_url``). Without it, everybody is public and
  the register is read-only in the app.
- The identity is the one Streamlit checked (the signed session cookie it set after the provider's answer); the
  role is looked up on the server in every run. Nothing the page sends can make a visitor staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.errors import StreamlitSecretNotFoundError

from sitefinder.register.people import role_of
from sitefinder.register.states import PUBLIC

AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
log = logging.getLogger("sitefinder.register")


def log_to_server() -> None:
    """Send the register's records (refusals, grants) to the server's log (stderr), once per process."""
    logger = logging.getLogger("sitefinder")
    if not any(getattr(h, "sitefinder_server", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.sitefinder_server = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class Visitor:
    """``subject``: the signed-in person's e-mail (None: not signed in); ``role``: staff, applicant or public;
    ``can_sign_in``: whether sign-in is configured on this server."""

    subject: str | None
    role: str
    can_sign_in: bool

    @property
    def signed_in(self) -> bool:
        """Whether the visitor is identified."""
        return self.subject is not None


def sign_in_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` has a usable ``[auth]`` section."""
    try:
        auth = st.secrets.get("auth")
    except (StreamlitSecretNotFoundError, FileNotFoundError):  # no secrets file at all: sign-in is not set up
        return False
    return auth is not None and all(auth.get(k) for k in AUTH_KEYS)


def visitor(engine: Engine | None) -> Visitor:
    """This run's visitor (public when sign-in is not configured, nobody is signed in, or the register is closed)."""
    if not sign_in_configured():
        return Visitor(None, PUBLIC, False)
    if not st.user.is_logged_in:
        return Visitor(None, PUBLIC, True)
    subject = str(st.user.get("email") or st.user.get("sub") or "").strip().lower() or None
    if subject is None or engine is None:
        return Visitor(None, PUBLIC, True)
    return Visitor(subject, role_of(engine, subject), True)
