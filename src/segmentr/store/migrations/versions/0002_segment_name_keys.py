"""Segment names unique by their key (NFKC + case folding), so `Growth` and `ＧＲＯＷＴＨ` cannot both exist.

Existing names are made valid first, in creation order per workspace: invisible format characters (zero-width,
bidirectional controls) are removed, a name that looks like a segment id (`seg_…`) becomes `renamed seg_…`, and a
name whose key an older segment already has gets ` (2)`, ` (3)`… The version history keeps the names as they were.
The column is nullable in the schema only so that SQLite can add it without rebuilding the table; every write
sets it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of the rules at this revision (segmentr.segments.names may change; this migration may not).
MAX_NAME_CHARS = 120
ID_PREFIX = "seg_"


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _valid(name: str, segment_id: str) -> str:
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf").strip()
    if not name:
        name = f"segment {segment_id}"
    if _key(name).startswith(ID_PREFIX):
        name = f"renamed {name}"
    return name[:MAX_NAME_CHARS].rstrip()


def upgrade() -> None:
    op.add_column("segments", sa.Column("name_key", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, workspace_id, name FROM segments ORDER BY workspace_id, created_at, id")
    ).all()
    taken: dict[str, set[str]] = {}
    for segment_id, workspace_id, original in rows:
        keys = taken.setdefault(workspace_id, set())
        name = base = _valid(original, segment_id)
        suffix = 2
        while _key(name) in keys:
            tail = f" ({suffix})"
            name = base[: MAX_NAME_CHARS - len(tail)].rstrip() + tail
            suffix += 1
        keys.add(_key(name))
        connection.execute(
            sa.text("UPDATE segments SET name = :name, name_key = :key WHERE id = :id"),
            {"name": name, "key": _key(name), "id": segment_id},
        )
    op.create_index("uq_segments_workspace_name_key", "segments", ["workspace_id", "name_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_segments_workspace_name_key", table_name="segments")
    with op.batch_alter_table("segments") as batch:
        batch.drop_column("name_key")
