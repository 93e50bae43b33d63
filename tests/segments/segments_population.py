"""A generated customer population for the pushdown tests, and a real ``customers`` table to hold it.

The table mirrors the store's customer columns (id, plan, type, label, metadata as JSON / JSONB, cloud_created,
cloud_updated); the values cover what the SQL must get right: missing keys, JSON nulls, numbers stored as
strings, booleans, mixed kinds, arrays, objects, unicode and empty strings.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Engine, Integer, MetaData, String, Table, insert, select
from sqlalchemy.dialects.postgresql import JSONB

DAY_MS = 86_400_000
NOW_MS = 1_717_200_000_000

PLANS = ["free", "starter", "growth", "enterprise", "", "Growth", "ünï plan"]
TYPES = ["user", "org", "ORG", "", "team"]
# values a metadata key may hold (None means JSON null; MISSING the key is absent)
MISSING = object()
VALUES: list[Any] = [
    MISSING, None, 0, 1, 5, -3, 20, 21, 5.0, 5.5, 0.4, -0.5, 1e16, 2**40,
    True, False, "5", "20", "5.0", "", "gold", "Gold", "golden", "old", "pi", "pilot", "ol",
    "@acme.io", "ann@acme.io", "ACME", "ünïcode", "日本", "a\"q", "tab\tx", "b", "B", "c", "a",
    [], ["gold"], ["x", 5], [["gold"]], {}, {"gold": 1}, {"ol": None}, {"x": "gold"},
]  # fmt: skip
KEYS = ["k", "seats", "tier", "email", "billing-tier", "null", "flag"]


def make_table(metadata: MetaData | None = None) -> Table:
    return Table(
        "customers",
        metadata or MetaData(),
        Column("environment_id", Integer, primary_key=True),
        Column("customer_id", String(255), primary_key=True),
        Column("plan", String(255)),
        Column("type", String(255)),
        Column("label", String(500)),
        Column("metadata", JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")),
        Column("cloud_created", BigInteger, index=True),
        Column("cloud_updated", BigInteger, index=True),
    )


def generate(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    customers: list[dict[str, Any]] = []
    for index in range(n):
        metadata: dict[str, Any] | None = {}
        for key in KEYS:
            value = rng.choice(VALUES)
            if value is not MISSING:
                metadata[key] = value
        if rng.random() < 0.25:
            metadata["nested"] = {"k": rng.choice(VALUES[1:])}
        if rng.random() < 0.08:
            metadata = None
        created = NOW_MS - rng.randrange(0, 400) * DAY_MS + rng.randrange(-5, 5)
        customers.append(
            {
                "id": f"c{index:05d}",
                "plan": rng.choice(PLANS),
                "type": rng.choice(TYPES),
                "label": rng.choice(["User", "Acme", ""]),
                "metadata": metadata,
                "meters": {},
                "grants": {},
                "cloud_created": created,
                "cloud_updated": created + rng.randrange(0, 60) * DAY_MS,
            }
        )
    # the exact edges of the relative windows
    for offset, name in ((7 * DAY_MS, "edge7"), (30 * DAY_MS, "edge30")):
        customers.append(
            {**customers[0], "id": name, "cloud_created": NOW_MS - offset, "cloud_updated": NOW_MS - offset}
        )
    return customers


def store(engine: Engine, table: Table, customers: list[dict[str, Any]]) -> None:
    table.metadata.drop_all(engine)
    table.metadata.create_all(engine)
    rows = [
        {
            "environment_id": 1,
            "customer_id": c["id"],
            "plan": c["plan"],
            "type": c["type"],
            "label": c["label"],
            "metadata": c["metadata"],
            "cloud_created": c["cloud_created"],
            "cloud_updated": c["cloud_updated"],
        }
        for c in customers
    ]
    with engine.begin() as connection:
        if rows:
            connection.execute(insert(table), rows)


def ids_where(engine: Engine, table: Table, clause: Any) -> list[str]:
    query = (
        select(table.c.customer_id).where(table.c.environment_id == 1, clause).order_by(table.c.customer_id)
    )
    with engine.connect() as connection:
        return list(connection.scalars(query))
