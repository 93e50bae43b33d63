"""`segmentr customers list|show`, `segmentr usage`, `segmentr export customers|policy` and
`segmentr policy history|restore`: what the API does for customers and policies, through the same service."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from segmentr.cli import app
from segmentr.cli.context import cell, check_env, err, open_local, out, say, warn

customers_app = typer.Typer(no_args_is_help=True, help="List and show the customers of an environment.")
export_app = typer.Typer(no_args_is_help=True, help="Export customers or the policy of an environment.")
policy_app = typer.Typer(no_args_is_help=True, help="The policy's versions.")
app.add_typer(customers_app, name="customers")
app.add_typer(export_app, name="export")
app.add_typer(policy_app, name="policy")

EnvOption = Annotated[str, typer.Option("--env", help="The environment: test or live.")]


def _when(ms: int | None) -> str:
    return "—" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


@customers_app.command("list")
def customers_list_command(
    env: EnvOption,
    segment: Annotated[str | None, typer.Option("--segment", help="Only a segment's members (name or id).")] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="Only customers on this plan.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Id, label or email starting with this.")] = None,
    starting_after: Annotated[str | None, typer.Option("--starting-after", help="The page after this id.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
) -> None:
    """A page of customers in id order."""
    check_env(env)
    with open_local() as local:
        page = local.services.customers(local.actor).list(
            env, segment=segment, plan=plan, q=q, starting_after=starting_after, limit=limit
        )
    table = Table("id", "plan", "type", "label", "updated")
    for customer in page.data:
        table.add_row(cell(customer["id"]), cell(customer["plan"]), cell(customer["type"]),
                      cell(customer["label"]), _when(customer["cloud_updated"]))
    out.print(table)
    if page.has_more and page.data:
        say(f"more: --starting-after {page.data[-1]['id']}")


@customers_app.command("show")
def customers_show_command(customer_id: Annotated[str, typer.Argument(help="The customer's id.")], env: EnvOption) -> None:
    """A customer's whole record (meters, grants) and its margin snapshot, as JSON."""
    check_env(env)
    with open_local() as local:
        detail = local.services.customers(local.actor).get(env, customer_id)
    print(json.dumps({"customer": detail.customer, "margin": detail.margin}, indent=2, ensure_ascii=False))


@app.command("usage")
def usage_command(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    entitlement: Annotated[str, typer.Argument(help="The entitlement to meter.")],
    value: Annotated[str, typer.Argument(help="How much: a number, or a unit string such as 2GB.")],
    env: EnvOption,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="A retry with the same key never meters twice.")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Only say what would happen.")] = False,
) -> None:
    """Record usage through the live policy (atomic), or check it; exit 1 when it is not allowed."""
    check_env(env)
    amount: float | str
    try:
        amount = float(value)
    except ValueError:
        amount = value
    with open_local() as local:
        customers = local.services.customers(local.actor)
        if check:
            result = customers.check_usage(env, customer_id, entitlement, amount)
        else:
            result = customers.record_usage(env, customer_id, entitlement, amount, idempotency_key=idempotency_key)
    print(json.dumps(result.to_dict() | {"replayed": result.replayed}, ensure_ascii=False))
    if not result.allowed:
        raise typer.Exit(1)


@export_app.command("customers")
def export_customers_command(
    file: Annotated[Path, typer.Argument(help="Where to write (- for standard output).")],
    env: EnvOption,
    segment: Annotated[str | None, typer.Option("--segment", help="Only a segment's members (name or id).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
) -> None:
    """Export customers, streamed (what `segmentr import customers` reads back)."""
    check_env(env)
    if fmt not in ("jsonl", "csv"):
        warn(("error:", "red"), f" unknown format {fmt!r}: use jsonl or csv")
        raise typer.Exit(2)
    with open_local() as local:
        customers = local.services.customers(local.actor)
        total = None if segment else customers.count(env)
        chunks = customers.export(env, fmt=fmt, segment=segment)
        columns = (TextColumn("exporting customers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        written = 0
        target = None if str(file) == "-" else file.open("w", encoding="utf-8", newline="")
        try:
            with Progress(*columns, console=err, transient=True) as progress:
                task = progress.add_task("export", total=total)
                for chunk in chunks:
                    lines = chunk.count("\n")
                    written += lines
                    if target is None:
                        print(chunk, end="")
                    else:
                        target.write(chunk)
                    progress.update(task, completed=written if fmt == "jsonl" else max(0, written - 1))
        finally:
            if target is not None:
                target.close()
    count = written if fmt == "jsonl" else max(0, written - 1)
    warn(("✓", "green"), f" {count:,} customers of {env} exported" + (f" to {file}" if target else ""))


@export_app.command("policy")
def export_policy_command(
    file: Annotated[Path, typer.Argument(help="Where to write (- for standard output).")], env: EnvOption
) -> None:
    """Export the live policy document (customers are exported on their own)."""
    check_env(env)
    with open_local() as local:
        document = local.services.policies(local.actor).export(env)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if str(file) == "-":
        print(text, end="")
    else:
        file.write_text(text, encoding="utf-8")
        warn(("✓", "green"), f" the {env} policy exported to {file}")


@policy_app.command("history")
def policy_history_command(env: EnvOption) -> None:
    """The policy's versions, oldest first (the last is live)."""
    check_env(env)
    with open_local() as local:
        versions = local.services.policies(local.actor).versions(env)
    if not versions:
        say(f"no policy in {env} yet: `segmentr import policy FILE --env {env}`")
        return
    table = Table("version", "saved")
    for version in versions:
        table.add_row(str(version.version), _when(version.created_at))
    out.print(table)


@policy_app.command("restore")
def policy_restore_command(
    version: Annotated[int, typer.Argument(help="The version to make live again.")], env: EnvOption
) -> None:
    """Make an old version live again (saved as a new version)."""
    check_env(env)
    with open_local() as local:
        restored = local.services.policies(local.actor).restore(env, version)
    say(("✓", "green"), f" version {version} restored in {env} as version {restored.version}")
