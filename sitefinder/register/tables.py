"""The register's tables (SQLAlchemy Core). Alembic's migrations (``migrations/``) create and change them; these
definitions are what the code reads and writes, and a test checks the two agree.

- ``applications``: one row per application, its current state (a cache of its events: replaying the events gives
  it back exactly) and ``version``, raised by every change, so an update made from a stale view is refused.
- ``events``: append-only, one row per action: who, in what role, when, why, the state and MW before and after.
  Never updated or deleted.
- ``roles``: who may act as staff or applicant (people signed in; the command line's ``--by``), managed by staff.
- ``role_changes``: append-only, one row per grant: whose role, before and after, by whom, when, why.

MW; ``cells``: the 36 month x hour-type cells the site runs in, "1"/"0" in month order then ``HOUR_TYPES`` order;
longitude and latitude in EPSG:4326; times in UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

applications = sa.Table(
    "applications", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("applicant", sa.String(200), nullable=False),
    sa.Column("profile", sa.String(100), nullable=False),
    sa.Column("site", sa.String(200), nullable=False),        # a candidate cell id or the user's parcel name
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("grid_node_id", sa.String(200), nullable=False),
    sa.Column("zone", sa.String(200), nullable=True),         # the surplus area it draws on (zone:<id> or region:<id>)
    sa.Column("mw", sa.Float, nullable=False),
    sa.Column("cells", sa.String(36), nullable=False),
    sa.Column("interruptible", sa.Boolean, nullable=False),
    sa.Column("start_date", sa.Date, nullable=True),
    sa.Column("hold_until", sa.Date, nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_applications_node", "grid_node_id"),
    sa.Index("ix_applications_zone", "zone"),
    sa.Index("ix_applications_state", "state"),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),             # 1, 2, ... per application: its version after the event
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("mw_before", sa.Float, nullable=True),
    sa.Column("mw_after", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),             # JSON: the application's fields as the event set them
    sa.UniqueConstraint("application_id", "seq", name="uq_events_application_seq"),
)

roles = sa.Table(
    "roles", metadata,
    sa.Column("subject", sa.String(200), primary_key=True),   # a signed-in person's e-mail, or a command-line name
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("granted_by", sa.String(200), nullable=False),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
)

role_changes = sa.Table(
    "role_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("role_before", sa.String(20), nullable=True),
    sa.Column("role_after", sa.String(20), nullable=False),
    sa.Column("by", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
