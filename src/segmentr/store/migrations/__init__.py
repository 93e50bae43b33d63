"""Alembic migrations shipped with the package, run by ``Store.migrate()`` (no alembic.ini needed)."""
