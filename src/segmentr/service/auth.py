"""Authentication: API keys, dashboard sign-in with sessions, invitations; each turns credentials into an Actor.

Passwords are hashed with argon2 (``argon2-cffi``'s recommended parameters); API key secrets, session tokens
and invitation tokens are 32 random bytes stored as SHA-256. Every check reads the database (a revoked key or a
removed member fails on the very next call); ``last_used`` of a key is written at most once a minute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from segmentr.errors import AuthenticationFailed, InvalidInput, Problem
from segmentr.service.context import Actor
from segmentr.service.tokens import derived, digest, new_token, same_digest
from segmentr.store import Member, Store, auth, workspaces

__all__ = [
    "INVITATION_TTL_MS",
    "KEY_TOUCH_EVERY_MS",
    "MIN_PASSWORD_CHARS",
    "SESSION_TTL_MS",
    "Authentication",
    "SessionGrant",
    "check_password",
    "member_actor",
]

SESSION_TTL_MS = 7 * 24 * 3600 * 1000
INVITATION_TTL_MS = 7 * 24 * 3600 * 1000
KEY_TOUCH_EVERY_MS = 60_000
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
# sk_test_<16 base62: the key id's tail>_<43 base62: the secret>
KEY_SECRET = re.compile(r"sk_(test|live)_([0-9A-Za-z]{16})_([0-9A-Za-z]{43})")
_FAILED = "invalid or revoked credentials"


@dataclass(frozen=True, slots=True)
class SessionGrant:
    """A signed-in member's session: ``token`` goes in the HttpOnly cookie, ``csrf_token`` must come back with
    every unsafe request of the session (derived from the token, so it is never stored)."""

    token: str
    csrf_token: str
    actor: Actor
    expires_at: int


def member_actor(member: Member) -> Actor:
    """A member acting through a session (or the CLI): both environments, the member's role."""
    return Actor(
        workspace_id=member.workspace_id,
        role=member.role,
        environment=None,
        member_id=member.public_id or None,
        key_id=None,
        label=member.email,
    )


def check_password(password: str) -> str:
    """The password if it is acceptable; InvalidInput naming the field otherwise (no default password exists)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(
            problems=[Problem(field="password", message=f"a password needs at least {MIN_PASSWORD_CHARS} characters")]
        )
    if len(password) > MAX_PASSWORD_CHARS or "\x00" in password:
        raise InvalidInput(problems=[Problem(field="password", message="the password is too long or holds NUL")])
    return password


class Authentication:
    """Credentials in, an ``Actor`` (or a ``SessionGrant``) out; ``AuthenticationFailed`` otherwise."""

    def __init__(
        self,
        store: Store,
        *,
        hasher: PasswordHasher | None = None,
        session_ttl_ms: int = SESSION_TTL_MS,
        now: Callable[[], int] | None = None,
    ) -> None:
        self._store = store
        self._hasher = hasher or PasswordHasher()
        self._session_ttl_ms = session_ttl_ms
        self._now = now or store.now
        # verified against when the email is unknown, so a wrong email costs what a wrong password does
        # (made on first need: hashing costs ~0.1-0.5 s, and most processes never sign anyone in)
        self._dummy_hash: str | None = None

    # ------------------------------------------------------------------ passwords

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(check_password(password))

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # ------------------------------------------------------------------ API keys

    def authenticate_key(self, secret: str) -> Actor:
        """The actor of an API key secret (``sk_test_…`` / ``sk_live_…``); revoked or unknown keys fail."""
        match = KEY_SECRET.fullmatch(secret.strip()) if isinstance(secret, str) else None
        if match is None:
            raise AuthenticationFailed("not an API key: expected sk_test_… or sk_live_…")
        environment, tail, _ = match.groups()
        with self._store.reading() as connection:
            found = auth.get_api_key(session=connection, key_id=f"key_{tail}")
        if found is None or not same_digest(secret.strip(), found[1]):
            raise AuthenticationFailed(_FAILED)
        key = found[0]
        if key.revoked or key.environment != environment:
            raise AuthenticationFailed(_FAILED)
        now = self._now()
        if key.last_used_at is None or now - key.last_used_at >= KEY_TOUCH_EVERY_MS:
            self._store.run(
                lambda uow: auth.touch_api_key(
                    session=uow.session, key_id=key.id, now=now, every_ms=KEY_TOUCH_EVERY_MS
                ),
                write=True,
            )
        return Actor(
            workspace_id=key.workspace_id,
            role=key.role,
            environment=key.environment,
            member_id=None,
            key_id=key.id,
            label=key.name,
        )

    # ------------------------------------------------------------------ sessions

    def sign_in(self, email: str, password: str) -> SessionGrant:
        """A new session for the member with this email and password (the oldest workspace's, if several)."""
        with self._store.session() as session:
            candidates = auth.password_hashes(session=session, email=email or "")
        member = next((m for m, stored in candidates if self._verify(stored, password)), None)
        if not candidates:
            self._dummy_hash = self._dummy_hash or self._hasher.hash(new_token())
            self._verify(self._dummy_hash, password or "")
        if member is None:
            raise AuthenticationFailed("wrong email or password")
        return self._open_session(member)

    def _open_session(self, member: Member) -> SessionGrant:
        token = new_token()
        now = self._now()
        expires_at = now + self._session_ttl_ms
        self._store.run(
            lambda uow: auth.create_session(
                session=uow.session, token_hash=digest(token), member_id=member.id, now=now, expires_at=expires_at
            ),
            write=True,
        )
        return SessionGrant(token, derived(token, "csrf"), member_actor(member), expires_at)

    def authenticate_session(self, token: str) -> SessionGrant:
        """The session of a cookie's token, with the member's current role; expired or unknown ones fail."""
        if not isinstance(token, str) or not token:
            raise AuthenticationFailed("not signed in")
        with self._store.session() as session:
            found = auth.get_session(session=session, token_hash=digest(token))
        if found is None:
            raise AuthenticationFailed("the session has ended: sign in again")
        if found.expires_at <= self._now():
            self.sign_out(token)
            raise AuthenticationFailed("the session has expired: sign in again")
        return SessionGrant(token, derived(token, "csrf"), member_actor(found.member), found.expires_at)

    def sign_out(self, token: str) -> None:
        """End the session (nothing happens for an unknown token)."""
        self._store.run(lambda uow: auth.delete_session(session=uow.session, token_hash=digest(token)), write=True)

    # ------------------------------------------------------------------ invitations

    def accept_invitation(self, token: str, password: str, name: str = "") -> SessionGrant:
        """Join the inviting workspace as a new member with ``password``: once, before the invitation expires."""
        password_hash = self.hash_password(password)
        token_hash = digest(token or "")

        def accept(uow) -> Member:  # type: ignore[no-untyped-def]
            invitation = auth.get_invitation(session=uow.session, token_hash=token_hash)
            if invitation is None or invitation.accepted_at is not None:
                raise AuthenticationFailed("this invitation is not valid (or was already used)")
            if invitation.expires_at <= uow.now:
                raise AuthenticationFailed("this invitation has expired: ask for a new one")
            if not auth.accept_invitation(session=uow.session, token_hash=token_hash, now=uow.now):
                raise AuthenticationFailed("this invitation was already used")
            member = workspaces.add_member(
                session=uow.session,
                workspace_id=invitation.workspace_id,
                email=invitation.email,
                role=invitation.role,
                name=name,
                now=uow.now,
            )
            auth.set_password_hash(session=uow.session, member_id=member.id, password_hash=password_hash)
            return member

        member = self._store.run(accept, write=True)
        return self._open_session(member)
