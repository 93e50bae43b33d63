"""Authentication over both databases: API keys (hashed, revocable at once, last_used), sessions (argon2
passwords, expiry, CSRF token), invitations (single use, expiring)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from segmentr.errors import (
    AuthenticationFailed,
    EnvironmentMismatch,
    InvalidInput,
    NotFound,
    NotInitialised,
    PermissionDenied,
    Unavailable,
)
from segmentr.service import Actor, SegmentInput, Services
from segmentr.store import Store, auth
from segmentr_testkit.accounts import FAST_HASHER, PASSWORD


def test_an_api_key_is_shown_once_stored_hashed_and_acts_in_its_environment(services: Services, owner: Actor) -> None:
    created = services.keys(owner).create("ci", environment="live", role="editor")
    assert created.secret.startswith(f"sk_live_{created.key.id.removeprefix('key_')}_")
    assert len(created.secret.rsplit("_", 1)[1]) == 43
    with services.store.session() as session:
        stored = auth.get_api_key(session=session, key_id=created.key.id)
    assert stored is not None and created.secret not in stored[1] and len(stored[1]) == 64

    actor = services.authenticate_key(created.secret)
    assert (actor.role, actor.environment, actor.key_id, actor.label) == ("editor", "live", created.key.id, "ci")
    assert services.customers(actor).list("live").data
    with pytest.raises(EnvironmentMismatch) as refused:
        services.customers(actor).list("test")
    assert refused.value.code == "environment_mismatch"
    with pytest.raises(EnvironmentMismatch):
        services.segments(actor).count("anything", "test")


@pytest.mark.parametrize(
    "secret",
    ["", "sk_live_", "Bearer x", "sk_live_AAAAAAAAAAAAAAAA_" + "A" * 43, "pk_live_x", "sk_live_" + "é" * 60],
)
def test_unknown_or_malformed_secrets_fail(services: Services, secret: str) -> None:
    with pytest.raises(AuthenticationFailed):
        services.authenticate_key(secret)


def test_a_secret_with_one_character_changed_fails(services: Services, owner: Actor) -> None:
    secret = services.keys(owner).create("ci", environment="test", role="viewer").secret
    forged = secret[:-1] + ("a" if secret[-1] != "a" else "b")
    with pytest.raises(AuthenticationFailed):
        services.authenticate_key(forged)
    test_as_live = secret.replace("sk_test_", "sk_live_", 1)
    with pytest.raises(AuthenticationFailed):
        services.authenticate_key(test_as_live)


def test_revocation_is_immediate(services: Services, owner: Actor) -> None:
    created = services.keys(owner).create("ci", environment="live", role="admin")
    services.authenticate_key(created.secret)
    revoked = services.keys(owner).revoke(created.key.id)
    assert revoked.revoked_at is not None
    with pytest.raises(AuthenticationFailed):
        services.authenticate_key(created.secret)
    assert [k.revoked for k in services.keys(owner).list()] == [True]


def test_last_used_is_written_at_most_once_a_minute(services: Services, owner: Actor, store: Store) -> None:
    created = services.keys(owner).create("ci", environment="live", role="viewer")
    assert services.keys(owner).list()[0].last_used_at is None
    services.authenticate_key(created.secret)
    first = services.keys(owner).list()[0].last_used_at
    assert first is not None
    services.authenticate_key(created.secret)
    assert services.keys(owner).list()[0].last_used_at == first


def test_a_key_of_another_workspace_sees_nothing_here(services: Services, owner: Actor, store: Store) -> None:
    other = store.create_workspace("Other", owner_email="boss@other.example")
    other_owner = services.local_owner(other.id)
    key = services.keys(other_owner).create("theirs", environment="live", role="admin")
    stranger = services.authenticate_key(key.secret)
    assert stranger.workspace_id == other.id
    mine = services.keys(owner).create("mine", environment="live", role="admin")
    with pytest.raises(NotFound):
        services.keys(stranger).revoke(mine.key.id)
    segment = services.segments(owner).create(SegmentInput(name="mine", condition="true"))
    with pytest.raises(NotFound):
        services.segments(stranger).get(segment.id)
    assert services.customers(stranger).list("live").data == []


def test_key_roles_and_fields_are_checked(services: Services, owner: Actor) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.keys(owner).create("", environment="prod", role="owner")
    assert {p.field for p in refused.value.problems} == {"name", "environment", "role"}
    editor_key = services.authenticate_key(services.keys(owner).create("e", environment="live", role="editor").secret)
    with pytest.raises(PermissionDenied):
        services.keys(editor_key).create("more", environment="live", role="admin")


def test_sign_in_sessions_and_sign_out(services: Services, owner: Actor) -> None:
    member = services.members(owner).create("ada@example.com", role="editor", password=PASSWORD, name="Ada")
    with services.store.session() as session:
        hashes = dict((m.email, h) for m, h in auth.password_hashes(session=session, email="ada@example.com"))
    assert hashes["ada@example.com"].startswith("$argon2id$")

    grant = services.sign_in("ada@example.com", PASSWORD)
    assert grant.actor.member_id == member.public_id and grant.actor.environment is None
    assert grant.actor.role == "editor" and grant.csrf_token and grant.csrf_token != grant.token
    again = services.authenticate_session(grant.token)
    assert again.csrf_token == grant.csrf_token and again.actor == grant.actor

    for email, password in (("ada@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)):
        with pytest.raises(AuthenticationFailed):
            services.sign_in(email, password)
    services.sign_out(grant.token)
    with pytest.raises(AuthenticationFailed):
        services.authenticate_session(grant.token)


def test_a_session_sees_role_changes_at_once_and_expires(store: Store, owner: Actor) -> None:
    short = Services(store, password_hasher=FAST_HASHER, session_ttl_ms=50)
    member = short.members(owner).create("bo@example.com", role="editor", password=PASSWORD)
    grant = short.sign_in("bo@example.com", PASSWORD)
    long_lived = Services(store, password_hasher=FAST_HASHER).sign_in("bo@example.com", PASSWORD)
    short.members(owner).change_role(member.public_id, "viewer")
    assert short.authenticate_session(long_lived.token).actor.role == "viewer"
    time.sleep(0.1)
    with pytest.raises(AuthenticationFailed, match="expired"):
        short.authenticate_session(grant.token)


def test_no_member_signs_in_without_a_password(services: Services) -> None:
    with pytest.raises(AuthenticationFailed):
        services.sign_in("owner@localhost", "")
    with pytest.raises(AuthenticationFailed):
        services.sign_in("owner@localhost", "anything at all")


def test_passwords_must_be_long_enough(services: Services, owner: Actor) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.members(owner).create("short@example.com", role="viewer", password="short")
    assert refused.value.problems[0].field == "password"


def test_invitations_are_single_use_and_expire(services: Services, owner: Actor) -> None:
    invited = services.members(owner).invite("new@example.com", role="viewer")
    with services.store.session() as session:
        listed = auth.list_invitations(session=session, workspace_id=owner.workspace_id)
    assert [i.email for i in listed] == ["new@example.com"]
    grant = services.accept_invitation(invited.token, PASSWORD, "New")
    assert grant.actor.role == "viewer" and grant.actor.label == "new@example.com"
    assert services.sign_in("new@example.com", PASSWORD).actor.member_id == grant.actor.member_id
    with pytest.raises(AuthenticationFailed):
        services.accept_invitation(invited.token, PASSWORD, "Again")

    expired = services.members(owner).invite("late@example.com", role="viewer", ttl_ms=0)
    with pytest.raises(AuthenticationFailed, match="expired"):
        services.accept_invitation(expired.token, PASSWORD)
    with pytest.raises(AuthenticationFailed):
        services.accept_invitation("not-a-token", PASSWORD)
    assert "late@example.com" not in [m.email for m in services.members(owner).list()]


def test_the_database_check_answers_or_says_why(services: Services, tmp_path: Path) -> None:
    services.check_database()
    with Store(f"sqlite:///{tmp_path / 'empty.db'}") as empty, pytest.raises(NotInitialised):
        Services(empty).check_database()
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    with Store(unreachable) as store, pytest.raises(Unavailable):
        Services(store).check_database()
