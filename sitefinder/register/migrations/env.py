"""Alembic's entry point for the register: migrations run on the connection ``register.db.upgrade`` hands over (or,
when ``alembic`` is run by hand, on the config's URL). Imported outside Alembic, it does nothing."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from sitefinder.register.tables import metadata


def run_migrations() -> None:
    """Run the migrations Alembic asks for, in one transaction."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


if hasattr(context, "config"):  # Alembic is running this file (it sets up the context first)
    run_migrations()
