"""Alembic environment: runs on the connection that ``segmentr.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from segmentr.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("segmentr migrations run through segmentr.store.migrate(), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
