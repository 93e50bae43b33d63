"""`segmentr users create` and `segmentr keys create|list|revoke`: who may sign in, and the API keys."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Column, Table

from segmentr.cli import app
from segmentr.cli.context import cell, check_env, open_local, out, say, warn

users_app = typer.Typer(no_args_is_help=True, help="Members who sign in to the dashboard.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys (sk_test_… / sk_live_…).")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")


def _when(ms: int | None) -> str:
    return "—" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a hidden prompt. Never a default."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            warn(("error:", "red"), " no password on standard input")
            raise typer.Exit(2)
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create_command(
    email: Annotated[str, typer.Argument(help="The member's email (what they sign in with).")],
    role: Annotated[str, typer.Option("--role", help="owner, admin, editor or viewer.")] = "viewer",
    name: Annotated[str, typer.Option("--name", help="The member's name.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a member who signs in with a password (asked for, or read from standard input)."""
    password = _read_password(password_stdin)
    with open_local(migrate=True) as local:
        member = local.services.members(local.actor).create(email, role=role, password=password, name=name)
        say(("✓", "green"), f" {member.email} can sign in as {member.role} ({member.public_id})")


@keys_app.command("create")
def keys_create_command(
    name: Annotated[str, typer.Argument(help="What the key is for (shown as who made a change).")],
    env: Annotated[str, typer.Option("--env", help="The environment the key reaches: test or live.")],
    role: Annotated[str, typer.Option("--role", help="admin, editor or viewer.")] = "editor",
) -> None:
    """Create an API key and print its secret: the only time it is shown."""
    check_env(env)
    with open_local() as local:
        created = local.services.keys(local.actor).create(name, environment=env, role=role)
    warn(("✓", "green"), f" key {created.key.id} ({created.key.role}, {env}) created; its secret, shown once:")
    print(created.secret)


@keys_app.command("list")
def keys_list_command() -> None:
    """The workspace's API keys (never their secrets)."""
    with open_local() as local:
        keys = local.services.keys(local.actor).list()
    if not keys:
        say("no API keys yet: `segmentr keys create NAME --env live`")
        return
    # ids in full (they are what `keys revoke` takes), however narrow the terminal
    table = Table(Column("id", overflow="fold"), "name", "env", "role", Column("prefix", overflow="fold"),
                  "created", "last used", "revoked")
    for key in keys:
        table.add_row(
            cell(key.id), cell(key.name), key.environment, key.role, cell(key.prefix + "_…"),
            _when(key.created_at), _when(key.last_used_at), _when(key.revoked_at),
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke_command(key_id: Annotated[str, typer.Argument(help="The key's id (key_…).")]) -> None:
    """Revoke a key: its next call fails."""
    with open_local() as local:
        key = local.services.keys(local.actor).revoke(key_id)
    say(("✓", "green"), f" key {key.id} ({key.name}) revoked")
