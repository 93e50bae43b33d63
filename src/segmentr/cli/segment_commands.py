"""`segmentr segments …`, `segmentr segments eval` and `segmentr members`: segments from the command line,
through the service layer (``segmentr.service.SegmentService``)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from segmentr.cli import app
from segmentr.cli.context import cell, check_env, err, fail, open_segments, out, say
from segmentr.cli.stof_commands import read_source
from segmentr.segments import SimpleRow, parse_rows
from segmentr.service import Page, SegmentChanges, SegmentInput, SegmentService
from segmentr.stof import StofSyntaxError
from segmentr.store import Segment

segments_app = typer.Typer(no_args_is_help=True, help="Create, list, edit and version segments.")
app.add_typer(segments_app, name="segments")

SegmentArg = Annotated[str, typer.Argument(help="The segment's name or id.")]
EnvOption = Annotated[str, typer.Option("--env", help="The environment: test or live.")]
ConditionOption = Annotated[
    str | None, typer.Option("--condition", help="A Stof condition file, or - for standard input.")
]
SimpleOption = Annotated[
    list[str] | None,
    typer.Option("--simple", help="A simple-mode row, e.g. 'plan in growth,enterprise' (repeat: rows are ANDed)."),
]

# Word operators first: a value such as `a==b` after `contains` must not be read as a comparison.
_WORD_OPS = frozenset(
    {"in", "not_in", "contains", "starts_with", "ends_with", "is_set", "is_not_set", "before", "after",
     "within_last_days"}
)
_SYMBOL_ROW = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*(==|!=|>=|<=|>|<)\s*(.*?)\s*\Z", re.DOTALL)


def parse_simple_row(text: str) -> dict[str, Any]:
    """One command-line row (`FIELD OP VALUE`) as the JSON shape of a segments.model row; ValueError if malformed.

    Fields: plan, type, email, metadata.KEY, created. `plan in a,b` takes a comma-separated list.
    """
    parts = text.strip().split(maxsplit=2)
    if len(parts) >= 2 and parts[1] in _WORD_OPS:
        field, op, value = parts[0], parts[1], (parts[2] if len(parts) == 3 else None)
    else:
        match = _SYMBOL_ROW.match(text)
        if match is None:
            raise ValueError(f"cannot read the row {text!r}: expected FIELD OP VALUE, e.g. plan==growth")
        field, op, value = match.group(1), match.group(2), match.group(3)
    if field == "plan":
        if op in ("in", "not_in"):
            return {"type": "plan", "op": op, "value": [v.strip() for v in (value or "").split(",") if v.strip()]}
        return {"type": "plan", "op": op, "value": value}
    if field == "type":
        return {"type": "customer_type", "op": op, "value": value}
    if field == "email":
        return {"type": "email", "op": op, "value": value}
    if field.startswith("metadata.") and len(field) > len("metadata."):
        key = field.removeprefix("metadata.")
        if key == "email" and op in ("==", "!=", "contains", "starts_with", "ends_with"):
            return {"type": "email", "op": op, "value": value}
        return {"type": "metadata", "key": key, "op": op, "value": value}
    if field == "created":
        return {"type": "created", "op": op, "value": value}
    raise ValueError(f"unknown field {field!r} in {text!r}: use plan, type, email, metadata.KEY or created")


def parse_simple_rows(texts: list[str]) -> list[SimpleRow]:
    """The rows, validated by the segments model; a bad row exits 2 with the reason."""
    try:
        return parse_rows([parse_simple_row(text) for text in texts])
    except (ValueError, ValidationError) as exc:
        message = "; ".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
        raise fail(message, 2) from None


def _condition_fields(condition: str | None, simple: list[str] | None) -> dict[str, Any]:
    """``condition`` (from --condition) or ``simple`` rows (from --simple): one of them, or neither (empty)."""
    if condition is not None and simple:
        raise fail("give either --condition or --simple, not both", 2)
    if condition is not None:
        return {"condition": read_source(condition)}
    if simple:
        return {"simple": parse_simple_rows(simple)}
    return {}


def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _print_segment(segment: Segment) -> None:
    say((segment.name, "bold"), f" ({segment.id}) version {segment.version}, {segment.mode} mode")
    if segment.description:
        say(f"  {segment.description}")
    say(f"  updated {_when(segment.updated_at)}" + (f" by {segment.updated_by}" if segment.updated_by else ""))
    if segment.simple:
        say("  rows: " + json.dumps(segment.simple, ensure_ascii=False))
    if segment.error_count:
        say("  ", (f"{segment.error_count} evaluation errors", "yellow"), f", last: {segment.last_error}")
    say("condition:")
    say(segment.condition)


@segments_app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="The new segment's name.")],
    condition: ConditionOption = None,
    simple: SimpleOption = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
) -> None:
    """Create a segment from a Stof condition (advanced mode) or simple-mode rows."""
    fields = _condition_fields(condition, simple)
    if not fields:
        raise fail("give the condition with --condition FILE|- or --simple ROW", 2)
    with open_segments() as segments:
        try:
            draft = SegmentInput(name=name, description=description, **fields)
        except ValidationError as exc:
            raise fail(_invalid_input(exc)) from None
        segment = segments.create(draft)
        say(("✓", "green"), f" segment {segment.name} created ({segment.id}), version {segment.version}")


@segments_app.command("list")
def list_command() -> None:
    """The workspace's segments."""
    with open_segments() as segments:
        saved = segments.segments()
    if not saved:
        say("no segments yet: `segmentr segments create` or `segmentr demo`")
        return
    table = Table("name", "id", "mode", "version", "updated", "errors")
    for segment in saved:
        table.add_row(
            cell(segment.name), cell(segment.id), cell(segment.mode), str(segment.version), _when(segment.updated_at),
            str(segment.error_count),
        )
    out.print(table)


@segments_app.command("show")
def show_command(segment: SegmentArg) -> None:
    """A segment's fields and condition."""
    with open_segments() as segments:
        _print_segment(segments.get(segment))


@segments_app.command("edit")
def edit_command(
    segment: SegmentArg,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    condition: ConditionOption = None,
    simple: SimpleOption = None,
) -> None:
    """Change a segment; each save is a new version."""
    changes = _condition_fields(condition, simple)
    if name is not None:
        changes["name"] = name
    if description is not None:
        changes["description"] = description
    if not changes:
        raise fail("nothing to change: give --name, --description, --condition or --simple", 2)
    with open_segments() as segments:
        try:
            edit = SegmentChanges(**changes)
        except ValidationError as exc:
            raise fail(_invalid_input(exc)) from None
        updated = segments.edit(segment, edit)
        say(("✓", "green"), f" segment {updated.name} saved as version {updated.version}")


@segments_app.command("delete")
def delete_command(
    segment: SegmentArg,
    force: Annotated[bool, typer.Option("--force", help="Delete even when notifications reference it.")] = False,
) -> None:
    """Delete a segment and its history (refused while notifications reference it, unless --force)."""
    with open_segments() as segments:
        saved = segments.get(segment)
        segments.delete(saved.id, force=force)
        say(("✓", "green"), f" segment {saved.name} ({saved.id}) deleted")


@segments_app.command("history")
def history_command(segment: SegmentArg) -> None:
    """A segment's saved versions, newest last."""
    with open_segments() as segments:
        versions = segments.history(segment)
    table = Table("version", "name", "mode", "saved", "by", "condition")
    for version in versions:
        first_line = version.condition.splitlines()[0] if version.condition else ""
        table.add_row(
            str(version.version), cell(version.name), cell(version.mode), _when(version.created_at),
            cell(version.created_by or ""), cell(first_line),
        )
    out.print(table)


@segments_app.command("restore")
def restore_command(
    segment: SegmentArg, version: Annotated[int, typer.Argument(help="The version to bring back.")]
) -> None:
    """Bring back an old version's condition and description (saved as a new version; the name stays)."""
    with open_segments() as segments:
        restored = segments.restore(segment, version)
        say(("✓", "green"), f" version {version} of {restored.name} restored as version {restored.version}")


def _unparsable(exc: StofSyntaxError) -> typer.Exit:
    return fail(f"the segment's condition does not parse: {exc}")


def _invalid_input(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'segment'}: {e['msg']}" for e in exc.errors())


@segments_app.command("eval")
def eval_segment_command(
    segment: SegmentArg,
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    env: EnvOption = "live",
    explain: Annotated[bool, typer.Option("--explain", help="Show the evaluation trace.")] = False,
) -> None:
    """Evaluate a segment for one customer against the environment's live policy."""
    check_env(env)
    with open_segments() as segments:
        try:
            result = segments.evaluate(segment, customer_id, env, explain=explain)
        except StofSyntaxError as exc:
            raise _unparsable(exc) from None
    if explain and result.trace is not None:
        say("trace:")
        for step in result.steps or ["(no intermediate steps)"]:
            say(f"  {step}")
    mark = ("matched", "green") if result.matched else ("not matched", "yellow")
    say(mark, f": {customer_id} for {result.segment_name}")
    say(f"value: {result.value!r}")
    if result.error is not None:
        say(f"error: {result.error}")
    say(result.reason)


def _all_member_ids(
    segments: SegmentService, segment: str, env: str, limit: int | None
) -> tuple[list[str], Page, int, str | None]:
    """Member ids in id order, page by page, up to ``limit`` (all when None); the last page tells the method;
    then how many evaluations failed over all pages, and the last failure."""
    ids: list[str] = []
    cursor: str | None = None
    failed, last_error = 0, None
    while True:
        want = 1000 if limit is None else min(1000, limit - len(ids))
        page = segments.members(segment, env, cursor=cursor, page_size=want)
        ids.extend(page.ids)
        failed += page.errors
        last_error = page.last_error or last_error
        if page.next_cursor is None or (limit is not None and len(ids) >= limit):
            return ids, page, failed, last_error
        cursor = page.next_cursor


@app.command("members")
def members_command(
    segment: SegmentArg,
    env: EnvOption = "live",
    count_only: Annotated[bool, typer.Option("--count", help="Only how many customers match.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, json (a list of ids) or csv.")] = "table",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N ids (table default 50).")] = None,
) -> None:
    """The customers of a segment: SQL pushdown when the condition allows it, streaming evaluation otherwise."""
    check_env(env)
    if fmt not in ("table", "json", "csv"):
        raise fail(f"unknown format {fmt!r}: use table, json or csv", 2)
    with open_segments() as segments:
        saved = segments.get(segment)
        try:
            if count_only:
                counted = segments.count(saved.id, env)
                if fmt == "json":
                    print(json.dumps({"count": counted.n, "errors": counted.errors, "method": counted.method}))
                else:
                    say(f"{counted.n}" if fmt == "csv" else f"{counted.n:,} customers ({counted.method})")
                _report_failures(counted.errors, counted.last_error)
                return
            if limit is None and fmt == "table":
                limit = 50
            ids, page, failed, last_error = _all_member_ids(segments, saved.id, env, limit)
        except StofSyntaxError as exc:
            raise _unparsable(exc) from None
    if fmt == "json":
        print(json.dumps(ids, ensure_ascii=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["customer_id"])
        writer.writerows([customer_id] for customer_id in ids)
        print(buffer.getvalue(), end="")
    else:
        table = Table("customer id")
        for customer_id in ids:
            table.add_row(cell(customer_id))
        out.print(table)
        say(f"{len(ids)} members of {saved.name} in {env} shown, method: {page.method}")
    _report_failures(failed, last_error)


def _report_failures(errors: int, last_error: str | None) -> None:
    """Failed evaluations on standard error, whatever the format (a json or csv listing stays parseable)."""
    if errors:
        err.print(
            Text.assemble((f"{errors} evaluation{'s' if errors != 1 else ''} failed", "yellow"),
                          f" (they do not match), last: {last_error}")
        )
