"""Alembic migrations of the register's database (run by ``register.db.upgrade``)."""
