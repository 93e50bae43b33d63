"""Pricing rules of an environment with their version history, customers' own price overrides, and what the
engine needs to price effectively: the rule book's key and sources, read in the caller's transaction.

Rules and prices arrive already validated (``segmentr.pricing.parse_rule``) in canonical JSON; this module only
keeps them. Every rule change bumps ``environments.pricing_revision`` in the same transaction; the rule book's
key is that revision with the count and version sum of the segments the rules reference (a segment edit raises
the sum, a deletion lowers the count: within one revision no two states share a key), so a compiled book is
never stale and costs one read of three integers to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from segmentr import errors
from segmentr.pricing import EffectivePrices, Price, PricingRule, RuleBook, RuleBooks, SegmentErrorHandler
from segmentr.store.errors import NotFound, StoreError
from segmentr.store.tables import (
    CustomerRow,
    EnvironmentRow,
    PricingRuleRow,
    PricingRuleVersionRow,
    SegmentRow,
)

__all__ = [
    "ANY_OVERRIDES",
    "ANY_OVERRIDES_SQLITE",
    "KEY_COLUMNS",
    "PriceContext",
    "PricingKey",
    "PricingRuleRecord",
    "PricingRuleVersion",
    "PriorityTaken",
    "book_for",
    "create_rule",
    "delete_rule",
    "effective_policy",
    "get_price_overrides",
    "get_rule",
    "list_rules",
    "overrides_in_environment",
    "parsed_overrides",
    "pricing_key",
    "pricing_state",
    "rule_history",
    "rules_using_segment",
    "segments_of",
    "set_price_overrides",
    "update_rule",
]

Reader = Session | Connection
RULE_FIELDS = ("name", "segment", "priority", "overrides", "supersedes", "enabled")


class PriorityTaken(StoreError, errors.PriorityTaken):
    """Another rule of the environment has this priority (409 ``priority_taken``)."""

    code = "priority_taken"


@dataclass(frozen=True, slots=True)
class PricingRuleRecord:
    """A stored rule: its fields (prices in canonical JSON), version and who saved it when."""

    id: str
    environment_id: int
    name: str
    segment: str
    priority: int
    overrides: dict[str, Any]
    supersedes: str | None
    enabled: bool
    version: int
    created_at: int
    created_by: str | None
    updated_at: int
    updated_by: str | None

    def to_rule(self) -> PricingRule:
        """The engine's rule (prices were validated when saved)."""
        return PricingRule(
            id=self.id, name=self.name, segment=self.segment, priority=self.priority,
            overrides={target: Price(price) for target, price in self.overrides.items()},
            supersedes=self.supersedes, enabled=self.enabled,
        )

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name, "segment": self.segment, "priority": self.priority, "overrides": self.overrides,
            "supersedes": self.supersedes, "enabled": self.enabled,
        }


@dataclass(frozen=True, slots=True)
class PricingRuleVersion:
    """One entry of a rule's history: its fields after the change (``created``/``updated``) or at deletion."""

    rule_id: str
    version: int
    action: str
    fields: dict[str, Any]
    changed_at: int
    changed_by: str | None


def _record(row: PricingRuleRow) -> PricingRuleRecord:
    return PricingRuleRecord(
        id=row.id, environment_id=row.environment_id, name=row.name, segment=row.segment_id,
        priority=int(row.priority), overrides=dict(row.overrides or {}), supersedes=row.supersedes,
        enabled=bool(row.enabled), version=row.version, created_at=row.created_at, created_by=row.created_by,
        updated_at=row.updated_at, updated_by=row.updated_by,
    )


def _version(row: PricingRuleVersionRow) -> PricingRuleVersion:
    return PricingRuleVersion(
        rule_id=row.rule_id, version=row.version, action=row.action, fields=dict(row.fields or {}),
        changed_at=row.changed_at, changed_by=row.changed_by,
    )


# ---------------------------------------------------------------------------------------------- rules


def list_rules(*, session: Session, environment_id: int) -> list[PricingRuleRecord]:
    """Every rule of the environment, in priority order."""
    rows = session.scalars(
        select(PricingRuleRow).where(PricingRuleRow.environment_id == environment_id)
        .order_by(PricingRuleRow.priority, PricingRuleRow.id)
    ).all()
    return [_record(row) for row in rows]


def _row(session: Session, environment_id: int, rule_id: str) -> PricingRuleRow:
    row = session.get(PricingRuleRow, rule_id)
    if row is None or row.environment_id != environment_id:
        raise NotFound(f"no pricing rule {rule_id!r} in this environment")
    return row


def get_rule(*, session: Session, environment_id: int, rule_id: str) -> PricingRuleRecord:
    return _record(_row(session, environment_id, rule_id))


def _check_priority(session: Session, environment_id: int, priority: int, except_id: str | None) -> None:
    taken = session.scalar(
        select(PricingRuleRow.id).where(
            PricingRuleRow.environment_id == environment_id, PricingRuleRow.priority == priority
        )
    )
    if taken is not None and taken != except_id:
        raise PriorityTaken(f"priority {priority} is taken by pricing rule {taken} in this environment")


def _bump(session: Session, environment_id: int) -> None:
    # Also the row lock that serialises two rule writes of one environment (PostgreSQL).
    session.execute(
        update(EnvironmentRow).where(EnvironmentRow.id == environment_id)
        .values(pricing_revision=EnvironmentRow.pricing_revision + 1)
    )


def _history(session: Session, row: PricingRuleRow, action: str, now: int, by: str | None) -> None:
    latest = session.scalar(
        select(func.max(PricingRuleVersionRow.version)).where(PricingRuleVersionRow.rule_id == row.id)
    ) or 0
    session.add(PricingRuleVersionRow(
        rule_id=row.id, version=latest + 1, environment_id=row.environment_id, action=action,
        fields=_record(row).fields(), changed_at=now, changed_by=by,
    ))


def _flush(session: Session, priority: int) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent save took the priority between the check and the write
        raise PriorityTaken(f"priority {priority} is taken in this environment") from exc


def create_rule(
    *, session: Session, environment_id: int, rule: PricingRule, now: int, by: str | None = None
) -> PricingRuleRecord:
    """Store a validated rule at version 1 (``PriorityTaken`` when its priority is used)."""
    _bump(session, environment_id)
    _check_priority(session, environment_id, rule.priority, None)
    row = PricingRuleRow(
        id=rule.id, environment_id=environment_id, name=rule.name, segment_id=rule.segment,
        priority=rule.priority, overrides={t: p.to_json() for t, p in rule.overrides.items()},
        supersedes=rule.supersedes, enabled=rule.enabled, version=1, created_at=now, created_by=by,
        updated_at=now, updated_by=by,
    )
    session.add(row)
    _flush(session, rule.priority)
    _history(session, row, "created", now, by)
    session.flush()
    return _record(row)


def update_rule(
    *, session: Session, environment_id: int, rule: PricingRule, now: int, by: str | None = None
) -> PricingRuleRecord:
    """Replace a rule's fields with a validated rule of the same id, as a new version (unchanged: kept)."""
    row = _row(session, environment_id, rule.id)
    new = {
        "name": rule.name, "segment_id": rule.segment, "priority": rule.priority,
        "overrides": {t: p.to_json() for t, p in rule.overrides.items()}, "supersedes": rule.supersedes,
        "enabled": rule.enabled,
    }
    if all(getattr(row, key) == value for key, value in new.items()):
        return _record(row)
    _bump(session, environment_id)
    _check_priority(session, environment_id, rule.priority, rule.id)
    for key, value in new.items():
        setattr(row, key, value)
    row.version += 1
    row.updated_at = now
    row.updated_by = by
    _flush(session, rule.priority)
    _history(session, row, "updated", now, by)
    session.flush()
    return _record(row)


def delete_rule(*, session: Session, environment_id: int, rule_id: str, now: int, by: str | None = None) -> None:
    """Remove the rule; its history stays, ending with a ``deleted`` entry."""
    row = _row(session, environment_id, rule_id)
    _bump(session, environment_id)
    _history(session, row, "deleted", now, by)
    session.delete(row)
    session.flush()


def rule_history(*, session: Session, environment_id: int, rule_id: str) -> list[PricingRuleVersion]:
    """Every change of the rule, oldest first (also after its deletion); ``NotFound`` when it never existed."""
    rows = session.scalars(
        select(PricingRuleVersionRow).where(
            PricingRuleVersionRow.rule_id == rule_id, PricingRuleVersionRow.environment_id == environment_id
        ).order_by(PricingRuleVersionRow.version)
    ).all()
    if not rows:
        raise NotFound(f"no pricing rule {rule_id!r} in this environment")
    return [_version(row) for row in rows]


def rules_using_segment(*, session: Session, workspace_id: str, segment_id: str) -> list[tuple[str, PricingRuleRecord]]:
    """(environment name, rule) of every rule of the workspace whose segment is `segment_id`, by environment
    and priority."""
    rows = session.execute(
        select(EnvironmentRow.name, PricingRuleRow)
        .join(EnvironmentRow, EnvironmentRow.id == PricingRuleRow.environment_id)
        .where(EnvironmentRow.workspace_id == workspace_id, PricingRuleRow.segment_id == segment_id)
        .order_by(EnvironmentRow.name, PricingRuleRow.priority)
    ).all()
    return [(name, _record(row)) for name, row in rows]


def segments_of(*, session: Reader, workspace_id: str, ids: Sequence[str]) -> dict[str, str]:
    """The conditions of the workspace's segments among `ids` (an id that is not there is absent)."""
    if not ids:
        return {}
    rows = session.execute(
        select(SegmentRow.id, SegmentRow.condition)
        .where(SegmentRow.workspace_id == workspace_id, SegmentRow.id.in_(list(ids)))
    ).all()
    return {segment_id: condition for segment_id, condition in rows}


# ---------------------------------------------------------------------------------------------- price overrides


def get_price_overrides(*, session: Reader, environment_id: int, customer_id: str) -> dict[str, Any]:
    found = session.execute(
        select(CustomerRow.id, CustomerRow.price_overrides)
        .where(CustomerRow.environment_id == environment_id, CustomerRow.id == customer_id)
    ).first()
    if found is None:
        raise NotFound(f"no customer {customer_id!r} in this environment")
    return dict(found[1] or {})


def set_price_overrides(
    *, session: Session, environment_id: int, customer_id: str, overrides: Mapping[str, Any], now: int
) -> dict[str, Any]:
    """Replace the customer's own price overrides (validated, canonical JSON); {} removes them all."""
    result = session.execute(
        update(CustomerRow)
        .where(CustomerRow.environment_id == environment_id, CustomerRow.id == customer_id)
        .values(price_overrides=dict(overrides) or None, cloud_updated=now)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"no customer {customer_id!r} in this environment")
    return dict(overrides)


def overrides_in_environment(*, session: Reader, environment_id: int) -> dict[str, dict[str, Any]]:
    """Customer id -> own price overrides, for the customers of the environment that have any."""
    rows = session.execute(
        select(CustomerRow.id, CustomerRow.price_overrides)
        .where(CustomerRow.environment_id == environment_id, CustomerRow.price_overrides.is_not(None))
    ).all()
    return {customer_id: dict(raw) for customer_id, raw in rows if raw}


def parsed_overrides(raw: Mapping[str, Any] | None) -> dict[str, Price]:
    """Stored overrides as the engine's prices (validated when saved)."""
    return {target: Price(price) for target, price in (raw or {}).items()}


# ---------------------------------------------------------------------------------------------- the rule book

_RULES = PricingRuleRow.__table__
_R = _RULES.c
_S = SegmentRow.__table__.c
_E = EnvironmentRow.__table__.c
_ENV = bindparam("environment_id")
_REVISION = select(_E.pricing_revision).where(_E.id == _ENV).scalar_subquery()
_SEGMENT_COUNT = (
    select(func.count(_S.id)).select_from(_RULES.join(SegmentRow.__table__, _S.id == _R.segment_id))
    .where(_R.environment_id == _ENV).scalar_subquery()
)
_SEGMENT_VERSIONS = (
    select(func.coalesce(func.sum(_S.version), 0))
    .select_from(_RULES.join(SegmentRow.__table__, _S.id == _R.segment_id))
    .where(_R.environment_id == _ENV).scalar_subquery()
)
# The rule book's key as columns of another select (the metering hot path reads them with the locked row).
KEY_COLUMNS = (_REVISION.label("pricing_revision"), _SEGMENT_COUNT.label("pricing_segments"),
               _SEGMENT_VERSIONS.label("pricing_segment_versions"))
_CUSTOMERS = CustomerRow.__table__
# Whether any customer of the environment has price overrides of its own (the partial index answers).
ANY_OVERRIDES = exists().where(
    _CUSTOMERS.c.environment_id == _ENV, _CUSTOMERS.c.price_overrides.is_not(None)
).label("any_price_overrides")
# SQLite's planner (no statistics) answers the above through any index led by environment_id — reading every
# customer of the environment; the unary ``+`` keeps the term off those, so only the partial index serves it.
ANY_OVERRIDES_SQLITE = exists().where(
    literal_column("+customers.environment_id") == _ENV, _CUSTOMERS.c.price_overrides.is_not(None)
).label("any_price_overrides")
_KEY_ONLY = select(*KEY_COLUMNS)

PricingKey = tuple[Any, ...]


_OWN_OVERRIDES = (
    select(_CUSTOMERS.c.price_overrides)
    .where(_CUSTOMERS.c.environment_id == _ENV, _CUSTOMERS.c.id == bindparam("customer_id")).scalar_subquery()
)
_CUSTOMER_STATE = select(*KEY_COLUMNS, _OWN_OVERRIDES)


def pricing_state(session: Reader, environment_id: int, customer_id: str) -> tuple[PricingKey, dict[str, Any]]:
    """The rule book's key and the customer's own price overrides, in one statement."""
    *key, own = session.execute(_CUSTOMER_STATE, {"environment_id": environment_id, "customer_id": customer_id}).one()
    return tuple(key), dict(own or {})


def pricing_key(session: Reader, environment_id: int) -> PricingKey:
    """The current key of the environment's rule book (what KEY_COLUMNS read)."""
    row = session.execute(_KEY_ONLY, {"environment_id": environment_id}).one()
    return tuple(row)


@dataclass(frozen=True, slots=True)
class PriceContext:
    """How a metering call prices: the process's compiled rule books and where segment failures go."""

    books: RuleBooks
    on_segment_error: SegmentErrorHandler | None = None


def book_for(session: Reader, environment_id: int, key: PricingKey, books: RuleBooks) -> RuleBook:
    """The environment's compiled rule book for `key` (built from the database only when the key is new)."""

    def build() -> tuple[list[PricingRule], dict[str, str]]:
        rows = session.execute(select(PricingRuleRow.__table__).where(_R.environment_id == environment_id)).all()
        rules = [_record_of_core(row).to_rule() for row in rows]
        workspace_id = session.execute(select(_E.workspace_id).where(_E.id == environment_id)).scalar_one()
        return rules, segments_of(session=session, workspace_id=workspace_id,
                                  ids=sorted({rule.segment for rule in rules}))

    return books.get((environment_id, *key), build)


def _record_of_core(row: Any) -> PricingRuleRecord:
    mapping = row._mapping
    return PricingRuleRecord(
        id=mapping["id"], environment_id=mapping["environment_id"], name=mapping["name"],
        segment=mapping["segment_id"], priority=int(mapping["priority"]), overrides=dict(mapping["overrides"] or {}),
        supersedes=mapping["supersedes"], enabled=bool(mapping["enabled"]), version=mapping["version"],
        created_at=mapping["created_at"], created_by=mapping["created_by"], updated_at=mapping["updated_at"],
        updated_by=mapping["updated_by"],
    )


def effective_policy(
    session: Reader, policy: Any, environment_id: int, key: PricingKey, overrides: Mapping[str, Mapping[str, Any]],
    context: PriceContext,
) -> Any:
    """`policy` priced with effective prices: the environment's rules (book for `key`) and the given customers'
    own overrides (customer id -> stored overrides). Rule-free and override-free: `policy` itself."""
    book = book_for(session, environment_id, key, context.books)
    own = {customer_id: parsed_overrides(raw) for customer_id, raw in overrides.items() if raw}
    if not book.rules and not own:
        return policy
    return EffectivePrices(policy, book, own, on_segment_error=context.on_segment_error).priced()
