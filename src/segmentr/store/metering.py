"""Atomic meter updates: lock the customer row, run the policy engine on its state, write it back, commit.

SQLite takes the write lock up front (``BEGIN IMMEDIATE``); PostgreSQL locks the row (``SELECT … FOR UPDATE``).
Two processes metering the same customer therefore serialise, and no update is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from segmentr.policy.engine import Policy
from segmentr.store.customers import (
    CUSTOMER_COLUMNS,
    CUSTOMER_TABLE,
    EDITABLE,
    customer_from_row,
    write_state,
)
from segmentr.store.db import IMMEDIATE, busy_retry, translate_errors

__all__ = ["METER_OPERATIONS", "run_on_customer"]

T = TypeVar("T")

METER_OPERATIONS = frozenset({"allow", "check", "increment", "decrement", "check_increment", "check_decrement"})
_C = CUSTOMER_TABLE.c


def _fingerprint(state: dict[str, Any]) -> dict[str, str]:
    return {key: json.dumps(state.get(key), sort_keys=True, separators=(",", ":")) for key in EDITABLE}


def run_on_customer(
    *,
    engine: Engine,
    environment_id: int,
    customer_id: str,
    policy_for: Callable[[Session], Policy],
    call: Callable[[Policy], T],
    now: Callable[[], int],
) -> T:
    """Run ``call`` on the live policy bound to this one customer, atomically; persist what it changed."""

    def attempt() -> T:
        with engine.connect() as connection:
            connection = connection.execution_options(**{IMMEDIATE: True})
            with connection.begin(), Session(bind=connection) as session:
                policy = policy_for(session)
                row = session.execute(
                    select(*CUSTOMER_COLUMNS)
                    .where(_C.environment_id == environment_id, _C.id == customer_id)
                    .with_for_update()
                ).first()
                if row is None:  # the engine answers for unknown customers (false, no events)
                    return call(policy.with_customers({}))
                state = customer_from_row(row)
                before = _fingerprint(state)
                result = call(policy.with_customers({customer_id: state}))
                after = _fingerprint(state)
                changed = {key: state.get(key) for key in EDITABLE if before[key] != after[key]}
                if changed:
                    state["cloud_updated"] = now()
                    write_state(session=session, environment_id=environment_id, state=state, fields=changed)
                return result

    with translate_errors():
        return busy_retry(attempt)
