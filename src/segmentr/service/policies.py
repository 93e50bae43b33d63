"""The policy of an environment: the current document and version, new versions (validated, problems by JSON
path), the history, one version, restore, and file import/export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from segmentr.service.access import Action, require
from segmentr.service.context import Actor
from segmentr.store import PolicyVersion, Store, UnitOfWork, policies

__all__ = ["PolicyService", "PolicySummary"]


@dataclass(frozen=True, slots=True)
class PolicySummary:
    """One version in the history (the document is fetched with ``version``)."""

    version: int
    created_at: int


class PolicyService:
    """The policies of the actor's workspace, in the environment each call names."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def _environment_id(self, environment: str) -> int:
        self.actor.reach(environment)
        return self._store.environment_record(self.actor.workspace_id, environment).id

    def current(self, environment: str) -> PolicyVersion:
        """The live version and its document (``NoPolicy``, a NotFound, before the first one)."""
        require(self.actor, Action.READ_POLICY)
        return self._store.policy_version(self._environment_id(environment))

    def version(self, environment: str, version: int) -> PolicyVersion:
        require(self.actor, Action.READ_POLICY)
        return self._store.policy_version(self._environment_id(environment), version)

    def versions(self, environment: str) -> list[PolicySummary]:
        """Every version, oldest first."""
        require(self.actor, Action.READ_POLICY)
        environment_id = self._environment_id(environment)

        def read(uow: UnitOfWork) -> list[PolicySummary]:
            times = policies.list_policy_version_times(session=uow.session, environment_id=environment_id)
            return [PolicySummary(version, created_at) for version, created_at in times]

        return self._store.run(read)

    def put(self, environment: str, document: Any) -> PolicyVersion:
        """Validate ``document`` with the policy engine and save it as the next version. An invalid one is an
        ``InvalidInput`` (code ``policy_invalid``) whose problems name each JSON path; customers the document
        carries are imported too."""
        require(self.actor, Action.EDIT_POLICY)
        environment_id = self._environment_id(environment)
        version = self._store.put_policy(environment_id, document)
        return self._store.policy_version(environment_id, version)

    def restore(self, environment: str, version: int) -> PolicyVersion:
        """Make an old version's document live again, as a new version."""
        require(self.actor, Action.EDIT_POLICY)
        environment_id = self._environment_id(environment)
        old = self._store.policy_version(environment_id, version)
        new = self._store.put_policy(environment_id, old.document, import_customers=False)
        return self._store.policy_version(environment_id, new)

    def import_file(self, environment: str, source: str | Path | IO[bytes]) -> PolicyVersion:
        """A policy file (JSON or YAML), validated before it is stored, as the next version."""
        require(self.actor, Action.EDIT_POLICY)
        environment_id = self._environment_id(environment)
        version = self._store.import_policy(environment_id, source)
        return self._store.policy_version(environment_id, version)

    def export(self, environment: str) -> dict[str, Any]:
        """The live policy as a Limitr document ``{"policy": …}`` without customers (they export on their own);
        importing it gives the same policy."""
        return {"policy": self.current(environment).document}
