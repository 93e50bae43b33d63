"""Idempotency records for any use case: run once per key in one transaction, or claim across several
(begin / finish / abandon); replay, reuse and in-progress answers, per caller."""

from __future__ import annotations

import pytest

from segmentr.errors import IdempotencyInProgress, IdempotencyKeyReused, InvalidInput
from segmentr.service import Actor, Services, fingerprint
from segmentr.store import UnitOfWork, customers


def test_run_does_the_work_once_and_replays(services: Services, owner: Actor) -> None:
    environment = services.store.environment("live")
    ran: list[str] = []

    def create(uow: UnitOfWork) -> tuple[int, object]:
        ran.append("ran")
        made = customers.create_customer(
            session=uow.session, environment_id=environment.id, customer={"id": "idem"}, now=uow.now
        )
        return 201, {"id": made["id"]}

    request = fingerprint("POST", "/v1/live/customers", {"id": "idem"})
    first = services.idempotency.run(owner, "create-1", request, create)
    again = services.idempotency.run(owner, "create-1", request, create)
    assert (first.status, first.body, first.replayed) == (201, {"id": "idem"}, False)
    assert (again.status, again.body, again.replayed) == (201, {"id": "idem"}, True)
    assert ran == ["ran"]
    with pytest.raises(IdempotencyKeyReused):
        services.idempotency.run(owner, "create-1", fingerprint("POST", "/v1/live/customers", {"id": "x"}), create)


def test_a_failed_run_keeps_no_record(services: Services, owner: Actor) -> None:
    def fail(uow: UnitOfWork) -> tuple[int, object]:
        raise InvalidInput("bad")

    with pytest.raises(InvalidInput):
        services.idempotency.run(owner, "k", "f", fail)
    assert services.idempotency.run(owner, "k", "f", lambda uow: (200, {"ok": True})).replayed is False


def test_begin_finish_abandon(services: Services, owner: Actor) -> None:
    assert services.idempotency.begin(owner, "long", "f") is None
    with pytest.raises(IdempotencyInProgress) as running:
        services.idempotency.begin(owner, "long", "f")
    assert running.value.code == "idempotency_in_progress"
    services.idempotency.finish(owner, "long", 202, {"accepted": True})
    replay = services.idempotency.begin(owner, "long", "f")
    assert replay is not None and (replay.status, replay.body, replay.replayed) == (202, {"accepted": True}, True)

    assert services.idempotency.begin(owner, "dropped", "f") is None
    services.idempotency.abandon(owner, "dropped")
    assert services.idempotency.begin(owner, "dropped", "f") is None


def test_keys_are_per_caller_and_checked(services: Services, owner: Actor) -> None:
    key = services.authenticate_key(services.keys(owner).create("k", environment="live", role="editor").secret)
    assert services.idempotency.run(owner, "same", "f", lambda uow: (200, 1)).body == 1
    assert services.idempotency.run(key, "same", "f", lambda uow: (200, 2)).body == 2
    for bad in ("", "x" * 256, "a\x00b"):
        with pytest.raises(InvalidInput):
            services.idempotency.begin(owner, bad, "f")
