"""The unit of work: one transaction per use case across repositories; a failure halfway keeps nothing."""

from __future__ import annotations

import pytest

from segmentr.store import Store, UnitOfWork, Workspace, customers, idempotency, metering, policies, segments


class Halfway(Exception):
    pass


def test_a_failure_mid_use_case_leaves_nothing(store: Store, workspace: Workspace) -> None:
    live = store.environment("live")

    def work(uow: UnitOfWork) -> None:
        customers.create_customer(session=uow.session, environment_id=live.id, customer={"id": "c1"}, now=uow.now)
        segments.create_segment(
            session=uow.session, workspace_id=workspace.id, fields={"name": "s", "condition": "true"}, now=uow.now
        )
        policies.put_policy(session=uow.session, environment_id=live.id, document={}, now=uow.now)
        raise Halfway

    with pytest.raises(Halfway):
        store.run(work, write=True)
    assert store.count_customers("live") == 0
    assert store.list_segments(workspace.id) == []
    assert store.policy_versions("live") == []


def test_one_commit_for_every_repository(store: Store, workspace: Workspace) -> None:
    live = store.environment("live")
    store.put_policy("live", {"credits": {"req": {}}, "plans": {"p": {"entitlements": {"api": {"limit": {
        "credit": "req", "value": 10, "mode": "hard"}}}}}})
    store.create_customer("live", {"id": "c1", "plan": "p"})

    def work(uow: UnitOfWork) -> bool:
        allowed = metering.run_locked(
            uow.session,
            environment_id=live.id,
            customer_id="c1",
            policy_for=store.policy_at,
            call=lambda policy: policy.allow("c1", "api", 3),
            now=uow.now,
        )
        claimed = idempotency.claim(
            session=uow.session, workspace_id=workspace.id, principal="key_x", key="k1", fingerprint="f",
            now=uow.now, ttl_ms=60_000,
        )
        assert claimed is None
        idempotency.complete(
            session=uow.session, workspace_id=workspace.id, principal="key_x", key="k1", status=200, body={"ok": 1}
        )
        return allowed

    assert store.run(work, write=True) is True
    assert store.get_customer("live", "c1")["meters"]["api"]["value"] == 3

    def replay(uow: UnitOfWork) -> idempotency.IdempotencyRecord | None:
        return idempotency.claim(
            session=uow.session, workspace_id=workspace.id, principal="key_x", key="k1", fingerprint="f",
            now=uow.now, ttl_ms=60_000,
        )

    record = store.run(replay, write=True)
    assert record is not None and (record.status, record.body) == (200, {"ok": 1})


def test_after_commit_callbacks_run_only_on_commit(store: Store) -> None:
    ran: list[str] = []
    with store.transaction(write=True) as uow:
        uow.after_commit(lambda: ran.append("committed"))
    with pytest.raises(Halfway), store.transaction(write=True) as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
        raise Halfway
    assert ran == ["committed"]
