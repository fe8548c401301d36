"""The register: applications, their append-only events, and roles.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("applicant", sa.String(200), nullable=False),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("grid_node_id", sa.String(200), nullable=False),
        sa.Column("zone", sa.String(200), nullable=True),
        sa.Column("mw", sa.Float, nullable=False),
        sa.Column("cells", sa.String(36), nullable=False),
        sa.Column("interruptible", sa.Boolean, nullable=False),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("hold_until", sa.Date, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_applications_node", "applications", ["grid_node_id"])
    op.create_index("ix_applications_zone", "applications", ["zone"])
    op.create_index("ix_applications_state", "applications", ["state"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("mw_before", sa.Float, nullable=True),
        sa.Column("mw_after", sa.Float, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.UniqueConstraint("application_id", "seq", name="uq_events_application_seq"),
    )
    op.create_table(
        "roles",
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("granted_by", sa.String(200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop them (the register's history goes with them)."""
    op.drop_table("roles")
    op.drop_table("events")
    op.drop_index("ix_applications_state", "applications")
    op.drop_index("ix_applications_zone", "applications")
    op.drop_index("ix_applications_node", "applications")
    op.drop_table("applications")
