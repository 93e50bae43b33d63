"""Customers of an environment: Limitr customer dicts in and out, one row each; paging, streaming, predicates.

Every change sets ``cloud_updated`` (and creation ``cloud_created``) unless an import supplies them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from segmentr.policy.customer import CustomerRules, InvalidCustomer, customer_problems, normalised
from segmentr.store.errors import AlreadyExists, InvalidData, NotFound
from segmentr.store.tables import CustomerRow

try:  # a declared dependency; the standard library is the fallback
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

__all__ = [
    "CUSTOMER_COLUMNS",
    "CUSTOMER_TABLE",
    "count_customers",
    "count_where",
    "create_customer",
    "delete_customer",
    "get_customer",
    "ids_where",
    "list_customers",
    "load_customer",
    "normalise_customer",
    "stream_customers",
    "update_customer",
]

CUSTOMER_TABLE = CustomerRow.__table__
_C = CUSTOMER_TABLE.c
# The columns of a customer dict, in the order selects return them.
CUSTOMER_COLUMNS = (
    _C.id,
    _C.plan,
    _C.type,
    _C.label,
    _C.alt_ids,
    _C.refs,
    _C.overrides,
    _C.caps,
    _C.grants,
    _C.meters,
    _C["metadata"],
    _C.cloud_created,
    _C.cloud_updated,
)
# The customer dict's keys, in the order of CUSTOMER_COLUMNS (also the import's column order).
CUSTOMER_KEYS = (
    "id",
    "plan",
    "type",
    "label",
    "alt_ids",
    "refs",
    "overrides",
    "caps",
    "grants",
    "meters",
    "metadata",
    "cloud_created",
    "cloud_updated",
)
# Customer fields a caller may change, and the column each lives in.
EDITABLE = {
    "plan": "plan",
    "type": "type",
    "label": "label",
    "alt_ids": "alt_ids",
    "refs": "refs",
    "overrides": "overrides",
    "caps": "caps",
    "grants": "grants",
    "meters": "meters",
    "metadata": "metadata",
}


NUL_MESSAGE = "text must not contain the NUL character (U+0000): PostgreSQL cannot store it"


def holds_nul(value: Any) -> bool:
    """Whether any text of a JSON-like value (keys included) contains NUL. Neither database takes it (PostgreSQL
    refuses it in text and jsonb), so both refuse it here, the same way. A quick search of the encoded value;
    the exact walk only when it finds ``\\u0000`` (which literal text ``\\\\u0000`` also contains)."""
    try:
        encoded = _encode(value)
    except (TypeError, ValueError):  # not JSON-like: the walk decides
        return _walk_holds_nul(value)
    return b"\\u0000" in encoded and _walk_holds_nul(value)


def _encode(value: Any) -> bytes:
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # integers past 64 bits and the like: the standard encoder copes
            pass
    return json.dumps(value).encode()


def _walk_holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_walk_holds_nul(key) or _walk_holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_walk_holds_nul(item) for item in value)
    return False


def normalise_customer(raw: Any, where: str = "", rules: CustomerRules | None = None) -> dict[str, Any]:
    """A Limitr customer dict with defaults filled, checked by the customer record's rules
    (``segmentr.policy.customer``: shapes, plans and credits of ``rules``, finite numbers, 64-bit integers,
    lengths) and refused with NUL text; InvalidData has one line ``{where}customers.<id>.<field>: …`` per
    problem."""
    try:
        record = normalised(raw)
    except InvalidCustomer as exc:
        raise InvalidData("\n".join(f"{where}{problem}" for problem in exc.problems)) from None
    problems = customer_problems(record, rules)
    if problems:
        raise InvalidData("\n".join(f"{where}{problem}" for problem in problems))
    out = {key: record[key] for key in CUSTOMER_KEYS}
    if holds_nul(out):
        raise InvalidData(f"{where}customers.{out['id']}: {NUL_MESSAGE}")
    return out


def customer_from_row(row: Any) -> dict[str, Any]:
    """A customer dict from a row selected with :data:`CUSTOMER_COLUMNS`."""
    return dict(zip(CUSTOMER_KEYS, row))


def _values(environment_id: int, customer: dict[str, Any]) -> dict[str, Any]:
    return {"environment_id": environment_id, **{key: customer[key] for key in CUSTOMER_KEYS}}


def _select(environment_id: int) -> Select[Any]:
    return select(*CUSTOMER_COLUMNS).where(_C.environment_id == environment_id)


def load_customer(*, session: Session, environment_id: int, customer_id: str) -> dict[str, Any] | None:
    """One customer's whole state in one query, or None."""
    row = session.execute(_select(environment_id).where(_C.id == customer_id)).first()
    return customer_from_row(row) if row else None


def get_customer(*, session: Session, environment_id: int, customer_id: str) -> dict[str, Any]:
    found = load_customer(session=session, environment_id=environment_id, customer_id=customer_id)
    if found is None:
        raise NotFound(f"no customer {customer_id!r} in this environment")
    return found


def create_customer(
    *, session: Session, environment_id: int, customer: Any, now: int, keep_timestamps: bool = False,
    rules: CustomerRules | None = None,
) -> dict[str, Any]:
    """Insert a new customer (checked by ``rules``); ``cloud_created``/``cloud_updated`` are now unless kept."""
    state = normalise_customer(customer, rules=rules)
    if load_customer(session=session, environment_id=environment_id, customer_id=state["id"]) is not None:
        raise AlreadyExists(f"customer {state['id']!r} already exists in this environment")
    if not keep_timestamps or state["cloud_created"] is None:
        state["cloud_created"] = now
    if not keep_timestamps or state["cloud_updated"] is None:
        state["cloud_updated"] = now
    session.execute(CUSTOMER_TABLE.insert().values(**_values(environment_id, state)))
    return state


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def update_customer(
    *, session: Session, environment_id: int, customer_id: str, changes: Mapping[str, Any], now: int,
    rules: CustomerRules | None = None,
) -> dict[str, Any]:
    """Apply ``changes`` (any editable field); ``cloud_updated`` moves to now when anything changed."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidData(f"cannot change {', '.join(sorted(unknown))} of a customer")
    current = get_customer(session=session, environment_id=environment_id, customer_id=customer_id)
    merged = normalise_customer({**current, **changes}, rules=rules)
    changed = {key: merged[key] for key in EDITABLE if _canonical(merged[key]) != _canonical(current[key])}
    if not changed:
        return current
    merged["cloud_updated"] = now
    write_state(session=session, environment_id=environment_id, state=merged, fields=changed)
    return merged


# One UPDATE per set of written columns, built once with bind parameters (a statement built per call with
# literal values is walked for its cache key on every execution: more CPU than the statement itself).
_STATE_UPDATES: dict[tuple[str, ...], Any] = {}


def _state_update(columns: tuple[str, ...]) -> Any:
    statement = _STATE_UPDATES.get(columns)
    if statement is None:
        statement = (
            update(CUSTOMER_TABLE)
            .where(_C.environment_id == bindparam("k_environment"), _C.id == bindparam("k_id"))
            .values({column: bindparam(f"v_{column}") for column in (*columns, "cloud_updated")})
        )
        _STATE_UPDATES[columns] = statement
    return statement


def write_state(
    *, session: Session | Connection, environment_id: int, state: dict[str, Any], fields: Mapping[str, Any]
) -> None:
    """Write the given fields and ``cloud_updated`` of one customer (no checks: callers decided)."""
    columns = tuple(EDITABLE[key] for key in fields)
    params = {f"v_{EDITABLE[key]}": value for key, value in fields.items()}
    params["v_cloud_updated"] = state["cloud_updated"]
    params["k_environment"] = environment_id
    params["k_id"] = state["id"]
    session.execute(_state_update(columns), params)


def delete_customer(*, session: Session, environment_id: int, customer_id: str) -> None:
    result = session.execute(
        delete(CUSTOMER_TABLE).where(_C.environment_id == environment_id, _C.id == customer_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no customer {customer_id!r} in this environment")


def list_customers(
    *, session: Session, environment_id: int, after: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """A page of customers ordered by id, starting after the id ``after`` (keyset paging)."""
    query = _select(environment_id)
    if after is not None:
        query = query.where(_C.id > after)
    rows = session.execute(query.order_by(_C.id).limit(max(1, limit)))
    return [customer_from_row(row) for row in rows]


def count_customers(*, session: Session, environment_id: int) -> int:
    return int(session.scalar(select(func.count()).where(_C.environment_id == environment_id)) or 0)


def stream_customers(*, session: Session, environment_id: int, batch_size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """Every customer in id order, ``batch_size`` at a time; each batch is one keyset query (flat memory)."""
    after: str | None = None
    while True:
        batch = list_customers(session=session, environment_id=environment_id, after=after, limit=batch_size)
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        after = batch[-1]["id"]


def _compile(predicate: Any, dialect_name: str) -> Any:
    from segmentr.store.sql_predicates import compile_predicate

    return compile_predicate(predicate, CUSTOMER_TABLE, dialect_name)


def count_where(*, session: Session, environment_id: int, predicate: Any) -> int:
    clause = _compile(predicate, session.get_bind().dialect.name)
    query = select(func.count()).select_from(CUSTOMER_TABLE).where(_C.environment_id == environment_id, clause)
    return int(session.scalar(query) or 0)


def ids_where(
    *,
    session: Session,
    environment_id: int,
    predicate: Any,
    after: str | None = None,
    limit: int | None = None,
) -> list[str]:
    clause = _compile(predicate, session.get_bind().dialect.name)
    query = select(_C.id).where(_C.environment_id == environment_id, clause)
    if after is not None:
        query = query.where(_C.id > after)
    query = query.order_by(_C.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
