"""Customer search indexes: a case-insensitive prefix of the id, the label or the metadata email, per environment.

The dashboard's customer search (``store/report_queries.py``) asks for ``lower(x)`` in a prefix range; these
expression indexes answer it without a scan. PostgreSQL compares them in the "C" collation, so the range is a
byte-wise prefix (as SQLite's) whatever the database's locale.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# index name -> the searched expression, per dialect (the query states them identically)
SEARCH_INDEXES = {
    "ix_customers_search_id": {"sqlite": "lower(id)", "postgresql": 'lower(id) COLLATE "C"'},
    "ix_customers_search_label": {"sqlite": "lower(label)", "postgresql": 'lower(label) COLLATE "C"'},
    "ix_customers_search_email": {
        "sqlite": "lower(json_extract(metadata, '$.email'))",
        "postgresql": "lower(metadata ->> 'email') COLLATE \"C\"",
    },
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, expressions in SEARCH_INDEXES.items():
        expression = expressions["postgresql" if dialect == "postgresql" else "sqlite"]
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers (environment_id, ({expression}))")


def downgrade() -> None:
    for name in SEARCH_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
