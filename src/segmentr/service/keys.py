"""API keys of a workspace: create (the secret shown once), list, revoke (immediate)."""

from __future__ import annotations

from dataclasses import dataclass

from segmentr.errors import InvalidInput, Problem
from segmentr.service.access import Action, require
from segmentr.service.context import ENVIRONMENTS, KEY_ROLES, Actor
from segmentr.service.tokens import digest, new_id, new_token
from segmentr.store import Store, auth
from segmentr.store.auth import ApiKey

__all__ = ["ApiKey", "CreatedKey", "KeyService"]


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key and its secret: the only time the secret exists outside the caller's hands."""

    key: ApiKey
    secret: str


class KeyService:
    """The API keys of the actor's workspace."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def create(self, name: str, *, environment: str, role: str) -> CreatedKey:
        """``sk_<environment>_<key id>_<43 base62>``; only its SHA-256 is stored."""
        require(self.actor, Action.MANAGE_KEYS)
        problems = []
        if environment not in ENVIRONMENTS:
            problems.append(Problem(field="environment", message="use test or live"))
        if role not in KEY_ROLES:
            problems.append(Problem(field="role", message=f"an API key's role is one of {', '.join(KEY_ROLES)}"))
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems.append(Problem(field="name", message="a key needs a name of 1-200 characters"))
        if problems:
            raise InvalidInput(problems=problems)
        key_id = new_id("key")
        tail = key_id.removeprefix("key_")
        secret = f"sk_{environment}_{tail}_{new_token()}"
        key = self._store.run(
            lambda uow: auth.create_api_key(
                session=uow.session,
                key_id=key_id,
                workspace_id=self.actor.workspace_id,
                environment=environment,
                role=role,
                name=name,
                prefix=f"sk_{environment}_{tail}",
                secret_hash=digest(secret),
                now=uow.now,
                created_by=self.actor.label,
            ),
            write=True,
        )
        return CreatedKey(key, secret)

    def list(self) -> list[ApiKey]:
        require(self.actor, Action.READ_KEYS)
        with self._store.session() as session:
            return auth.list_api_keys(session=session, workspace_id=self.actor.workspace_id)

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke at once: the key's next call fails. A key of another workspace is NotFound."""
        require(self.actor, Action.MANAGE_KEYS)
        return self._store.run(
            lambda uow: auth.revoke_api_key(
                session=uow.session, workspace_id=self.actor.workspace_id, key_id=key_id, now=uow.now
            ),
            write=True,
        )
