"""Opening the configured database: SEGMENTR_DATABASE_URL, the not-initialised refusal, the default actor."""

from __future__ import annotations

import pytest

from segmentr.service import NotInitialised, SegmentInput, open_service, open_store, service_for
from segmentr.store import NotFound


def test_an_uninitialised_database_is_refused(db_url: str) -> None:
    with pytest.raises(NotInitialised, match="segmentr init"):
        open_store(db_url)
    with open_store(db_url, migrate=True) as store:
        assert store.is_migrated()
    with open_store(db_url) as store:
        assert store.default_workspace().name


def test_the_configured_url_and_the_default_owner(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    with open_store(migrate=True) as store:
        workspace = store.default_workspace()
        store.add_member(workspace.id, "viewer@example.com", "viewer")
    with open_service() as service:
        assert service.actor.role == "owner" and service.workspace_id == workspace.id
        service.create(SegmentInput(name="all", condition="true"))
    with open_service(member_email="viewer@example.com") as service:
        assert service.actor.role == "viewer"
        assert [s.name for s in service.segments()] == ["all"]
    with open_store() as store, pytest.raises(NotFound):
        service_for(store, member_email="nobody@example.com")
