"""Alembic's entry point for the register: migrations run on the connection ``register.db.upgrade`` hands over."""

from __future__ import annotations

from alembic import context

from sitefinder.register.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: use the URL of the config
    import sqlalchemy as sa

    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
