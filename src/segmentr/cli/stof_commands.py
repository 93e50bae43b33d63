"""`segmentr check` and `segmentr eval`: validate and evaluate a Stof condition from a file or stdin."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from segmentr import stof
from segmentr.cli import app
from segmentr.cli.context import fail, say, warn
from segmentr.policy.vocabulary import SEGMENT_BINDINGS
from segmentr.segments import MAX_CONDITION_BYTES


def read_source(path: str) -> str:
    """The text of FILE, or of standard input for `-` (UTF-8); unreadable or not UTF-8: exit 2 with why."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}", 2) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise fail(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): save it as UTF-8", 2) from None


def _position(source: str, index: int) -> tuple[int, int]:
    line = source.count("\n", 0, index) + 1
    return line, index - (source.rfind("\n", 0, index) + 1) + 1


def save_problems(source: str) -> list[tuple[int, int, str]]:
    """What saving this condition as a segment would refuse beyond its syntax: its size and NUL characters."""
    problems: list[tuple[int, int, str]] = []
    size = len(source.encode("utf-8"))
    if size > MAX_CONDITION_BYTES:
        problems.append((1, 1, f"the condition is {size} bytes: a segment saves at most {MAX_CONDITION_BYTES} "
                               "(64 KiB)"))
    if "\x00" in source:
        line, column = _position(source, source.index("\x00"))
        problems.append((line, column, "the NUL character (U+0000) cannot be saved in a segment"))
    return problems


def _diagnostic(line: int, column: int, severity: str, message: str) -> None:
    colour = "red" if severity == "error" else "yellow"
    say(f"{line}:{column}: ", (severity, colour), f": {message}")


@app.command("check")
def check_command(
    file: Annotated[str, typer.Argument(help="Condition file, or - for standard input.")],
) -> None:
    """Check a condition: `✓ valid`, or one `line:col: message` per diagnostic (exit 1 when invalid), including
    what saving it as a segment would refuse (over 64 KiB, a NUL character)."""
    source = read_source(file)
    refused = save_problems(source)
    # past the size a save takes, the condition is not parsed (as on save)
    diagnostics = [] if len(source.encode("utf-8")) > MAX_CONDITION_BYTES else stof.check(source, bindings=SEGMENT_BINDINGS)
    errors = [d for d in diagnostics if d.severity == "error"]
    for d in diagnostics:
        _diagnostic(d.line, d.column, d.severity, d.message)
    for line, column, message in refused:
        _diagnostic(line, column, "error", message)
    if errors or refused:
        raise typer.Exit(1)
    say(("✓ valid", "green"))


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
            warn(f"{d.line}:{d.column}: ", ("error", "red"), f": {d.message}")
        raise typer.Exit(1) from None
    env_doc: dict[str, Any] = {}
    if env is not None:
        try:
            env_doc = json.loads(env.read_bytes())
        except (OSError, ValueError) as exc:  # unreadable, not UTF-8 or not JSON
            raise fail(f"cannot read bindings {env}: {exc}", 2) from None
        if not isinstance(env_doc, dict):
            raise fail("bindings must be a JSON object with optional keys customer and policy", 2)
    try:
        bindings = {"customer": decode_env(env_doc.get("customer")), "policy": decode_env(env_doc.get("policy"))}
    except (ValueError, TypeError, KeyError) as exc:
        raise fail(f"bad bindings in {env}: {exc}".splitlines()[0], 2) from None
    try:
        value = condition.evaluate(bindings)
    except stof.StofRuntimeError as exc:
        say(f"error: {exc}")
        say("matches: ", ("false", "red"), " (a condition that fails does not match)")
        raise typer.Exit(1) from None
    say(f"value: {json.dumps(encode_result(value), ensure_ascii=False)}")
    matched = value is not stof.VOID and truthy(value)
    say("matches: ", ("true", "green") if matched else ("false", "red"))
