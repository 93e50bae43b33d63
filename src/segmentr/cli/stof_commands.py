"""`segmentr check` and `segmentr eval`: validate and evaluate a Stof condition from a file or stdin."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from segmentr import stof
from segmentr.cli import app
from segmentr.cli.context import err, out
from segmentr.policy.vocabulary import SEGMENT_BINDINGS


def read_source(path: str) -> str:
    """The text of FILE, or of standard input for `-`."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]cannot read {path}: {exc.strerror}[/red]")
        raise typer.Exit(2) from exc


@app.command("check")
def check_command(
    file: Annotated[str, typer.Argument(help="Condition file, or - for standard input.")],
) -> None:
    """Check a condition: `✓ valid`, or one `line:col: message` per diagnostic (exit 1 when invalid)."""
    source = read_source(file)
    diagnostics = stof.check(source, bindings=SEGMENT_BINDINGS)
    errors = [d for d in diagnostics if d.severity == "error"]
    for d in diagnostics:
        colour = "red" if d.severity == "error" else "yellow"
        out.print(f"{d.line}:{d.column}: [{colour}]{d.severity}[/{colour}]: {d.message}")
    if errors:
        raise typer.Exit(1)
    out.print("[green]✓ valid[/green]")


@app.command("eval")
def eval_command(
    target: Annotated[str, typer.Argument(help="A condition file (or - for stdin), or a segment's name or id.")],
    customer_id: Annotated[
        str | None, typer.Argument(help="With a segment: the customer to evaluate it for.")
    ] = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="With a condition file: JSON bindings in the corpus's env format ({customer, policy}). "
            "With a segment: the environment, test or live (default live).",
        ),
    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Segments: show the evaluation trace.")] = False,
) -> None:
    """Evaluate a condition file against bindings, or a stored segment for one customer.

    `segmentr eval FILE|- --env ENV.json` prints the value and whether it matches;
    `segmentr eval SEGMENT CUSTOMER_ID --env live [--explain]` evaluates a segment against the live policy.
    """
    if customer_id is not None:
        from segmentr.cli.segment_commands import eval_segment_command

        eval_segment_command(target, customer_id, env=env or "live", explain=explain)
        return
    _eval_condition_file(target, Path(env) if env else None)


def _eval_condition_file(file: str, env: Path | None) -> None:
    from segmentr.stof.conformance import decode_env, encode_result
    from segmentr.stof.ops import truthy

    source = read_source(file)
    try:
        condition = stof.compile(source)
    except stof.StofSyntaxError as exc:
        for d in exc.diagnostics:
            err.print(f"{d.line}:{d.column}: [red]error[/red]: {d.message}")
        raise typer.Exit(1) from None
    env_doc: dict[str, Any] = {}
    if env is not None:
        try:
            env_doc = json.loads(env.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            err.print(f"[red]cannot read bindings {env}: {exc}[/red]")
            raise typer.Exit(2) from None
        if not isinstance(env_doc, dict):
            err.print("[red]bindings must be a JSON object with optional keys customer and policy[/red]")
            raise typer.Exit(2)
    bindings = {"customer": decode_env(env_doc.get("customer")), "policy": decode_env(env_doc.get("policy"))}
    try:
        value = condition.evaluate(bindings)
    except stof.StofRuntimeError as exc:
        out.print(f"error: {exc}")
        out.print("matches: [red]false[/red] (a condition that fails does not match)")
        raise typer.Exit(1) from None
    out.print(f"value: {json.dumps(encode_result(value), ensure_ascii=False)}")
    matched = value is not stof.VOID and truthy(value)
    out.print(f"matches: {'[green]true[/green]' if matched else '[red]false[/red]'}")
