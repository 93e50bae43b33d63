"""`segmentr users create` and `segmentr keys …` end to end through the typer app, on both databases."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.errors import AuthenticationFailed
from segmentr.service import Services
from segmentr.store import Store

_load_commands()
runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return db_url


def test_users_create_reads_the_password_from_stdin_and_it_signs_in(database: str) -> None:
    result = runner.invoke(
        app, ["users", "create", "ada@example.com", "--role", "owner", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "ada@example.com can sign in as owner" in result.output
    with Store(database) as store:
        grant = Services(store).sign_in("ada@example.com", PASSWORD)
    assert grant.actor.role == "owner"


def test_users_create_refuses_an_empty_or_short_password(database: str) -> None:
    empty = runner.invoke(app, ["users", "create", "bo@example.com", "--password-stdin"], input="\n")
    assert empty.exit_code == 2 and "no password" in empty.output
    short = runner.invoke(app, ["users", "create", "bo@example.com", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "password" in short.output and "Traceback" not in short.output


def test_keys_create_prints_the_secret_once_and_revoke_is_immediate(database: str) -> None:
    created = runner.invoke(app, ["keys", "create", "ci", "--env", "live", "--role", "editor"])
    assert created.exit_code == 0, created.output
    secret = next(line for line in created.output.splitlines() if line.startswith("sk_live_"))
    with Store(database) as store:
        actor = Services(store).authenticate_key(secret)
    assert (actor.role, actor.environment, actor.label) == ("editor", "live", "ci")

    listed = runner.invoke(app, ["keys", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and actor.key_id in listed.output and secret not in listed.output

    revoked = runner.invoke(app, ["keys", "revoke", str(actor.key_id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    with Store(database) as store, pytest.raises(AuthenticationFailed):
        Services(store).authenticate_key(secret)


def test_keys_create_refuses_bad_roles_and_environments(database: str) -> None:
    owner_key = runner.invoke(app, ["keys", "create", "x", "--env", "live", "--role", "owner"])
    assert owner_key.exit_code == 1 and "role" in owner_key.output and "Traceback" not in owner_key.output
    staging = runner.invoke(app, ["keys", "create", "x", "--env", "staging"])
    assert staging.exit_code == 1 and "unknown environment" in staging.output
    unknown = runner.invoke(app, ["keys", "revoke", "key_nope"])
    assert unknown.exit_code == 1 and "no API key" in unknown.output
