"""The CustomerSource the segments package consumes, implemented over the store for one workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import Select, and_, bindparam, func, select

from segmentr.policy.engine import Policy
from segmentr.store import customers as customer_repo
from segmentr.store import pricing as pricing_repo
from segmentr.store import segments as segment_repo
from segmentr.store.db import translate_errors
from segmentr.store.records import Segment
from segmentr.store.tables import PolicyVersionRow, SegmentRow

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from segmentr.store.store import Store

__all__ = ["CustomerSource", "WorkspaceCustomers"]

_C = customer_repo.CUSTOMER_TABLE.c
_LOAD = select(*customer_repo.CUSTOMER_COLUMNS).where(
    _C.environment_id == bindparam("environment_id"), _C.id == bindparam("customer_id")
)
_VERSIONS = PolicyVersionRow.__table__.c
_LIVE_VERSION = select(func.max(_VERSIONS.version)).where(_VERSIONS.environment_id == bindparam("environment_id"))
# The live version, the rule book's key and whether any customer has own prices: one statement per evaluation.
_POLICY_STATE = select(_LIVE_VERSION.scalar_subquery(), *pricing_repo.KEY_COLUMNS, pricing_repo.ANY_OVERRIDES)
_POLICY_STATE_SQLITE = select(_LIVE_VERSION.scalar_subquery(), *pricing_repo.KEY_COLUMNS,
                              pricing_repo.ANY_OVERRIDES_SQLITE)

# One evaluation's inputs in one statement: the segment, the customer (NULLs when unknown: an outer join) and
# the policy state above. The outer tables are aliases so that the state's subqueries over the same tables
# stay uncorrelated.
_EVALUATED = SegmentRow.__table__.alias("evaluated_segment")
_EVALUATED_CUSTOMER = customer_repo.CUSTOMER_TABLE.alias("evaluated_customer")
_SEGMENT_WIDTH = len(segment_repo.SEGMENT_FIELDS)
_CUSTOMER_WIDTH = len(customer_repo.CUSTOMER_COLUMNS)


def _evaluation_inputs(postgres: bool) -> Select[Any]:
    customer = _EVALUATED_CUSTOMER.c
    state = _POLICY_STATE if postgres else _POLICY_STATE_SQLITE
    return (
        select(*segment_repo.segment_columns(_EVALUATED),
               *(customer[column.name] for column in customer_repo.CUSTOMER_COLUMNS),
               *state.selected_columns)
        .select_from(_EVALUATED.outerjoin(_EVALUATED_CUSTOMER, and_(
            customer.environment_id == bindparam("environment_id"), customer.id == bindparam("customer_id"))))
        .where(_EVALUATED.c.workspace_id == bindparam("workspace_id"))
    )  # fmt: skip


# by (PostgreSQL, the segment by id): each statement built once, so its cache key is computed once
_EVALUATION_INPUTS = {
    (postgres, by_id): _evaluation_inputs(postgres).where(segment_repo.segment_found(_EVALUATED, by_id)).limit(1)
    for postgres in (True, False) for by_id in (True, False)
}


@runtime_checkable
class CustomerSource(Protocol):
    """What membership needs from storage (mirrors ``segmentr.segments.membership.CustomerSource``)."""

    def policy(self, environment: str) -> Policy: ...

    def load(self, environment: str, customer_id: str) -> dict[str, Any] | None: ...

    def stream(
        self, environment: str, batch_size: int = 1000, *, after: str | None = None
    ) -> Iterator[list[dict[str, Any]]]: ...

    def count_where(self, environment: str, predicate: Any) -> int: ...

    def ids_where(
        self, environment: str, predicate: Any, *, after: str | None = None, limit: int | None = None
    ) -> list[str]: ...


class WorkspaceCustomers:
    """The customers and live policies of one workspace's environments (``test`` / ``live``)."""

    def __init__(self, store: Store, workspace_id: str) -> None:
        self._store = store
        self.workspace_id = workspace_id
        self._environment_ids: dict[str, int] = {}
        # One statement needs no transaction around it: on PostgreSQL autocommit saves the BEGIN and ROLLBACK
        # round trips of a one-customer load (p50 0.63 -> 0.45 ms on a local server); SQLite's are in-process.
        postgres = store.engine.dialect.name == "postgresql"
        self._one_statement = store.engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else store.engine

    def _environment_id(self, environment: str) -> int:
        found = self._environment_ids.get(environment)
        if found is None:
            # the store's cache (ids never change): a source is made per request, its own dict starts empty
            found = self._store.environment_record(self.workspace_id, environment).id
            self._environment_ids[environment] = found
        return found

    def policy(self, environment: str) -> Policy:
        """The environment's live policy (cached per version; a new version is seen at once), priced with
        effective prices: a condition reading margins sees the revenue the rules and overrides give."""
        environment_id = self._environment_id(environment)
        with translate_errors(), self._store.engine.connect() as connection:
            return self._policy(connection, environment_id)

    def _policy(self, connection: Connection, environment_id: int) -> Policy:
        params = {"environment_id": environment_id}
        statement = _POLICY_STATE if self._store.dialect == "postgresql" else _POLICY_STATE_SQLITE
        return self._priced(connection, environment_id, connection.execute(statement, params).one())

    def _priced(self, connection: Connection, environment_id: int, state: Sequence[Any]) -> Policy:
        """The live policy from its state (``_POLICY_STATE``'s row): cached per version and rule book."""
        version, *key, any_overrides = state
        policy = self._store.policy_at(connection, environment_id, version)
        overrides = pricing_repo.overrides_in_environment(
            session=connection, environment_id=environment_id) if any_overrides else {}
        return pricing_repo.effective_policy(
            connection, policy, environment_id, tuple(key), overrides, pricing_repo.PriceContext(self._store.rule_books),
        )

    def load(self, environment: str, customer_id: str) -> dict[str, Any] | None:
        """One customer's whole state in one query (a prepared Core statement: the evaluation hot path)."""
        params = {"environment_id": self._environment_id(environment), "customer_id": customer_id}
        with translate_errors(), self._one_statement.connect() as connection:
            row = connection.execute(_LOAD, params).first()
        return customer_repo.customer_from_row(row) if row is not None else None

    def evaluation_inputs(
        self, segment: str, environment: str, customer_id: str
    ) -> tuple[Segment, dict[str, Any] | None, Policy | None]:
        """What evaluating a saved segment for one customer reads, in one statement on one connection (on
        PostgreSQL one pool checkout and liveness ping instead of three; no ORM session): the segment by id or
        name as ``get_segment`` finds it (``NotFound``), the customer as ``load`` gives it (None when unknown,
        and then no policy) and the live policy as ``policy`` gives it."""
        environment_id = self._environment_id(environment)
        postgres = self._store.dialect == "postgresql"
        by_id, ref = segment_repo.segment_reference(segment)
        params = {"environment_id": environment_id, "customer_id": customer_id, "workspace_id": self.workspace_id,
                  "ref": ref}  # fmt: skip
        with translate_errors(), self._one_statement.connect() as connection:
            row = connection.execute(_EVALUATION_INPUTS[postgres, by_id], params).first()
            if row is None:
                raise segment_repo.segment_not_found(segment)
            saved = segment_repo.segment_of(row[:_SEGMENT_WIDTH])
            values = row[_SEGMENT_WIDTH : _SEGMENT_WIDTH + _CUSTOMER_WIDTH]
            if values[0] is None:
                return saved, None, None
            state = row[_SEGMENT_WIDTH + _CUSTOMER_WIDTH :]
            return saved, customer_repo.customer_from_row(values), self._priced(connection, environment_id, state)

    def stream(
        self, environment: str, batch_size: int = 1000, *, after: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every customer (with an id greater than ``after``) ordered by id, in batches; one short read per
        batch (keyset pagination), so memory stays flat."""
        environment_id = self._environment_id(environment)
        while True:
            batch = self._read(
                lambda session, after=after: customer_repo.list_customers(
                    session=session, environment_id=environment_id, after=after, limit=batch_size
                )
            )
            if not batch:
                return
            yield batch
            if len(batch) < batch_size:
                return
            after = batch[-1]["id"]

    def count_where(self, environment: str, predicate: Any) -> int:
        environment_id = self._environment_id(environment)
        return self._read(
            lambda session: customer_repo.count_where(
                session=session, environment_id=environment_id, predicate=predicate
            )
        )

    def ids_where(
        self, environment: str, predicate: Any, *, after: str | None = None, limit: int | None = None
    ) -> list[str]:
        environment_id = self._environment_id(environment)
        return self._read(
            lambda session: customer_repo.ids_where(
                session=session, environment_id=environment_id, predicate=predicate, after=after, limit=limit
            )
        )

    def _read(self, work: Callable[[Any], Any]) -> Any:
        with self._store.session() as session:
            return work(session)
