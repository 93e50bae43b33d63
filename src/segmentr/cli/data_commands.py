"""`segmentr init`, `segmentr import policy|customers`, `segmentr generate customers`: the database and its data."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from segmentr.cli import app
from segmentr.cli.context import check_env, err, open_local, say
from segmentr.sample import generate_customers, sample_policy
from segmentr.store import NoPolicy

import_app = typer.Typer(no_args_is_help=True, help="Import a policy or customers into an environment.")
generate_app = typer.Typer(no_args_is_help=True, help="Generate sample data.")
app.add_typer(import_app, name="import")
app.add_typer(generate_app, name="generate")

EnvOption = Annotated[str, typer.Option("--env", help="The environment: test or live.")]


@app.command("init")
def init_command() -> None:
    """Create or migrate the database; make the default workspace, its owner and both environments."""
    with open_local(migrate=True) as local:
        workspace = local.services.workspace(local.actor.workspace_id)
        say(("✓", "green"), f" database ready: {local.store.url}")
        say(f"  workspace {workspace.name} ({workspace.id}), environments test and live")
        say(f"  owner {local.actor.label}")


@import_app.command("policy")
def import_policy_command(
    file: Annotated[Path, typer.Argument(help="A Limitr policy document, JSON or YAML.")],
    env: EnvOption,
) -> None:
    """Validate a policy file with the policy engine and store it as the environment's next version."""
    check_env(env)
    with open_local() as local:
        version = local.services.policies(local.actor).import_file(env, file).version
        say(("✓", "green"), f" policy imported into {env} as version {version}")


@import_app.command("customers")
def import_customers_command(
    file: Annotated[Path, typer.Argument(help="Customers as JSON lines (.jsonl), a JSON array (.json) or CSV.")],
    env: EnvOption,
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl, json or csv (default: from the file).")
    ] = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="A CSV file's text encoding, e.g. latin-1 (JSON is always UTF-8).")
    ] = "utf-8",
) -> None:
    """Import (upsert) customers in Limitr's format; cloud_created/cloud_updated are kept when given.

    Each record is checked against the environment's live policy (plans, credits, the shapes of meters, grants
    and overrides); a bad one imports nothing and names its line. A repeated id: the later record wins."""
    check_env(env)
    with open_local() as local:
        size = file.stat().st_size if file.is_file() else None
        columns = (
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[n]}")
        )
        # no progress display when standard error is not a terminal (a log, a pipe): just the result
        with Progress(
            *columns, TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal
        ) as progress:
            task = progress.add_task("importing customers", total=size, n="")

            def report(done: int, read: int, total: int | None) -> None:
                # once the whole file is read, the wait is the database's (index rebuilds, commit)
                finishing = total is not None and read >= total
                description = "finishing (indexes, commit)" if finishing else "importing customers"
                progress.update(task, completed=read, n=f"{done:,} customers", description=description)

            result = local.services.customers(local.actor).import_file(
                env, file, fmt=fmt, progress=report, encoding=encoding
            )
        say(
            ("✓", "green"),
            f" {result.count:,} customers imported into {env} in {result.seconds:.1f}s ({result.per_second:,.0f}/s)",
        )


@generate_app.command("customers")
def generate_customers_command(
    count: Annotated[int, typer.Argument(min=1, help="How many customers.")],
    env: EnvOption,
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same customers.")] = 42,
) -> None:
    """Generate realistic sample customers for the sample policy (imported first if the env has none)."""
    check_env(env)
    with open_local() as local:
        policies = local.services.policies(local.actor)
        try:
            policies.current(env)
        except NoPolicy:
            version = policies.put(env, sample_policy()).version
            say(("✓", "green"), f" sample policy imported into {env} as version {version}")
        started = time.perf_counter()
        columns = (TextColumn("generating customers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("generate", total=count)
            written = local.services.customers(local.actor).import_records(
                env,
                generate_customers(count, seed=seed, now_ms=local.store.now()),
                on_batch=lambda done, _read: progress.update(task, completed=done),
            )
        say(("✓", "green"), f" {written:,} customers generated into {env} in {time.perf_counter() - started:.1f}s")
