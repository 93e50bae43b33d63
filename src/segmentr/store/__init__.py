"""Storage: SQLAlchemy 2 tables, Alembic migrations and repositories (SQLite embedded, PostgreSQL)."""
