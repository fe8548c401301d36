"""What a visitor sees when the page fails unexpectedly: a short message with a reference, never a Python traceback,
an exception's text or a server path. The details go to the server's log under the same reference, for whoever runs
the server. (Streamlit's own error box, ``client.showErrorDetails = "none"`` in .streamlit/config.toml, is the
backstop for an error outside the page's run.)

Streamlit's own control flow (``st.stop``, ``st.rerun``) is not an ``Exception`` and passes through. With
``SITEFINDER_RAISE_PAGE_ERRORS=1`` (the test suite sets it) the error is raised after it is logged, so that a test
can never pass over a page that failed.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable

import streamlit as st

log = logging.getLogger("sitefinder.app")
RAISE_ENV = "SITEFINDER_RAISE_PAGE_ERRORS"


def guarded(run: Callable[[], None]) -> None:
    """Run one page run; an unexpected error becomes a short message on the page and a full record in the log."""
    try:
        run()
    except Exception:  # every unexpected error: the visitor gets a reference, the log the rest
        reference = secrets.token_hex(4)
        log.exception("page run failed (reference %s)", reference)
        if os.environ.get(RAISE_ENV) == "1":
            raise
        st.error(f"Something went wrong on this page (reference {reference}). Your settings are kept: try again, or "
                 "change the last setting you changed. If it happens again, give the reference to whoever runs this "
                 "server; their log has the details.")
