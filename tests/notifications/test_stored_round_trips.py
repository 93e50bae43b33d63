"""The decider's statements: the epoch read carries the customer's re-arm states when a notification with a
condition listens (one statement, the same answers as the two reads), the writes go in one pipeline on
PostgreSQL, and a failing write in the pipeline is raised as the store always raised it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from stored_helpers import Stored, customer

from segmentr.notifications import RearmKey
from segmentr.service.decisions import Decider
from segmentr.store import notifications as notification_repo
from segmentr.store.db import translate_errors
from segmentr.store.errors import InvalidData
from segmentr.store.insert import insert_ignoring
from segmentr.store.notification_tables import DeliveryRow

THRESHOLD = "event.meter.value >= event.meter.limit * 0.8"


def watch(stored: Stored, *, condition: str | None = None) -> str:
    return stored.notifications.create({
        "name": "Watch", "environment": "live", "events": ["meter-changed"], "condition": condition,
        "channels": [{"type": "in_app"}],
    }).notification.id


@contextmanager
def reads_in_decider(stored: Stored) -> Iterator[list[str]]:
    """The reads ``Decider.after_changes`` makes (each a round trip; its writes go to the driver directly in
    one pipeline on PostgreSQL, through SQLAlchemy on SQLite)."""
    seen: list[str] = []
    inside = [False]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if inside[0] and statement.split()[0].upper() == "SELECT":
            seen.append(statement)

    original = Decider.after_changes

    def wrapper(self: Decider, uow: Any, **kwargs: Any) -> Any:
        inside[0] = True
        try:
            return original(self, uow, **kwargs)
        finally:
            inside[0] = False

    direct = notification_repo.driver_rows

    def driver_rows(session: Any, statement: Any, params: Any) -> Any:  # PostgreSQL reads it on the driver
        if inside[0] and session.get_bind().dialect.name == "postgresql":
            seen.append(str(statement))
        return direct(session, statement, params)

    event.listen(stored.store.engine, "before_cursor_execute", count)
    Decider.after_changes = wrapper  # type: ignore[method-assign]
    notification_repo.driver_rows = driver_rows  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        notification_repo.driver_rows = direct  # type: ignore[attr-defined]
        Decider.after_changes = original  # type: ignore[method-assign]
        event.remove(stored.store.engine, "before_cursor_execute", count)


def test_a_conditioned_notification_reads_the_epoch_and_the_states_in_one_statement(stored: Stored) -> None:
    watch(stored, condition=THRESHOLD)
    watch(stored)
    stored.customers.put("live", customer("c1", "free"))
    stored.customers.record_usage("live", "c1", "api", 10)  # the listening set is cached from here on
    with reads_in_decider(stored) as seen:
        stored.customers.record_usage("live", "c1", "api", 10)
    assert len(seen) == 1 and "notification_epochs" in seen[0] and "notification_arm_states" in seen[0]


def test_without_a_condition_the_states_are_not_read(stored: Stored) -> None:
    watch(stored)
    stored.customers.put("live", customer("c1", "free"))
    stored.customers.record_usage("live", "c1", "api", 10)
    with reads_in_decider(stored) as seen:
        stored.customers.record_usage("live", "c1", "api", 10)
    assert len(seen) == 1 and "notification_arm_states" not in seen[0]  # the epoch alone
    assert len(stored.notifications.deliveries(stored_ids(stored)[0], limit=10).data) == 2


def test_the_joined_read_answers_what_the_two_reads_answer(stored: Stored) -> None:
    watch(stored, condition=THRESHOLD)
    other = watch(stored, condition="event.meter.value >= 1")
    stored.customers.put("live", customer("c1", "free"))
    for value in (10, 80, 5):
        stored.customers.record_usage("live", "c1", "api", value)
    workspace_id = stored.owner.workspace_id
    with stored.store.transaction() as uow:
        environment_id = uow.environment(workspace_id, "live").id
        joined = notification_repo.StoredArmStates(uow.session, environment_id)
        epoch = joined.load_with_epoch("c1", workspace_id)
        apart = notification_repo.StoredArmStates(uow.session, environment_id)
        assert epoch == notification_repo.epoch(session=uow.session, workspace_id=workspace_id) > 0
        keys = [RearmKey(n, "c1", "api") for n in (other, *stored_ids(stored))]
        assert [joined.get(key) for key in keys] == [apart.get(key) for key in keys]
        assert joined.get(keys[0]) is not None and joined.get(keys[0]).fired  # type: ignore[union-attr]
        # a customer with no states, a workspace with no epoch row: nothing, and epoch 0
        assert notification_repo.StoredArmStates(uow.session, environment_id).load_with_epoch("c2", "ws_none") == 0


def stored_ids(stored: Stored) -> list[str]:
    return [n.notification.id for n in stored.notifications.list(limit=100).data]


def test_the_decider_sees_an_edit_made_after_its_cache_was_filled(stored: Stored) -> None:
    """The cached set only hints that the states are wanted: an edit (epoch bump) still applies at once."""
    first = watch(stored, condition="event.meter.value >= 1000")
    stored.customers.put("live", customer("c1", "free"))
    stored.customers.record_usage("live", "c1", "api", 10)
    stored.notifications.edit(first, {"condition": None})
    stored.customers.record_usage("live", "c1", "api", 10)
    page = stored.notifications.deliveries(first, limit=10)
    assert len(page.data) == 1


def test_a_failing_write_in_the_pipeline_is_raised_as_before(stored: Stored) -> None:
    watch(stored)
    stored.customers.put("live", customer("c1", "free"))
    stored.customers.record_usage("live", "c1", "api", 10)
    with stored.store.transaction() as uow:
        environment_id = uow.environment(stored.owner.workspace_id, "live").id
    with pytest.raises(InvalidData), stored.store.transaction() as uow, translate_errors():
        row = {"id": "dlv_x", "environment_id": environment_id, "notification_id": "ntf_missing",
               "event_id": "evt_x", "channel_index": 0, "channel_type": "in_app", "record": {}, "state": "pending",
               "attempts": 0, "next_attempt_at": 0, "lease_until": 0, "lease_token": None, "created_at": 0,
               "updated_at": 0}
        with notification_repo.pipelined(uow.session):
            insert_ignoring(uow.session, DeliveryRow.__table__, [row])  # a missing notification: the foreign key
