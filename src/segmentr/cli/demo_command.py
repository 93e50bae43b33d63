"""`segmentr demo`: the sample policy, sample customers and the seed's segments, counted in live — idempotent."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

import typer
from rich.table import Table

from segmentr import stof
from segmentr.cli import app
from segmentr.cli.context import Local, cell, open_local, out, say, warn
from segmentr.errors import SegmentrError
from segmentr.policy.vocabulary import SEGMENT_BINDINGS
from segmentr.sample import generate_customers, sample_policy
from segmentr.segments import EXAMPLES, TEMPLATES, Template
from segmentr.service import SegmentInput, SegmentService
from segmentr.store import NoPolicy

SAMPLE_CUSTOMERS = {"live": 2000, "test": 200}
SAMPLE_MEMBERS = 5


def _check_seed_conditions(seeds: tuple[Template, ...]) -> None:
    """Every seed condition through the checker: ✓ valid, or its diagnostics."""
    say(("Seed conditions", "bold"))
    for seed in seeds:
        diagnostics = stof.check(seed.code, bindings=SEGMENT_BINDINGS)
        if not any(d.severity == "error" for d in diagnostics):
            say("  ", ("✓ valid", "green"), f" {seed.name}")
        else:
            say("  ", ("✗ invalid", "red"), f" {seed.name}")
        for d in diagnostics:
            colour = "red" if d.severity == "error" else "yellow"
            say(f"      {d.line}:{d.column}: ", (d.severity, colour), f": {d.message}")


def _ensure_data(local: Local) -> None:
    """The sample policy and customers in each environment that has none."""
    customers = local.services.customers(local.actor)
    policies = local.services.policies(local.actor)
    for env, how_many in SAMPLE_CUSTOMERS.items():
        had_customers = customers.count(env) > 0
        try:
            policies.current(env)
        except NoPolicy:
            version = policies.put(env, sample_policy()).version
            say(("✓", "green"), f" sample policy imported into {env} as version {version}")
        if not had_customers:
            generated = generate_customers(how_many, seed=42, now_ms=local.store.now())
            written = customers.import_records(env, generated)
            say(("✓", "green"), f" {written:,} sample customers generated into {env}")


def _ensure_segments(segments: SegmentService, seeds: tuple[Template, ...]) -> None:
    """A segment per seed whose name is not taken yet; a seed the store refuses is reported, not fatal."""
    existing = {segment.name for segment in segments.segments()}
    created = 0
    for seed in seeds:
        if seed.name in existing:
            continue
        try:
            segments.create(SegmentInput(name=seed.name, description=seed.description, condition=seed.code))
            created += 1
        except SegmentrError as exc:
            warn(("!", "yellow"), f" segment {seed.name} not created: {exc}")
    say(("✓", "green"), f" {created} segments created ({len(existing)} already there)")


def _live_table(segments: SegmentService, seeds: tuple[Template, ...]) -> Table:
    """Count, method, errors and a few members in live of each seed segment."""
    by_name = {segment.name: segment for segment in segments.segments()}
    table = Table("segment", "live count", "method", "errors", f"first {SAMPLE_MEMBERS} members")
    for seed in seeds:
        segment = by_name.get(seed.name)
        if segment is None:
            table.add_row(cell(seed.name), "—", "—", "not saved", "")
            continue
        try:
            preview = segments.preview(segment.condition, "live", sample=SAMPLE_MEMBERS)
        except stof.StofSyntaxError as exc:
            table.add_row(cell(seed.name), "—", "—", cell(f"does not parse: {exc}"), "")
            continue
        counted = preview.count
        errors = str(counted.errors) if not counted.errors else f"{counted.errors} ({counted.last_error})"
        table.add_row(
            cell(seed.name), f"{counted.n:,}", cell(counted.method), cell(errors), cell(", ".join(preview.sample))
        )
    return table


DEMO_OWNER = "demo@localhost"


def _demo_owner(local: Local) -> tuple[str, str]:
    """The demo owner (``demo@localhost``) with a freshly generated password, printed once: there is no default
    password, and each `segmentr demo` makes a new one."""
    password = secrets.token_urlsafe(12)
    members = local.services.members(local.actor)
    existing = next((member for member in members.list() if member.email == DEMO_OWNER), None)
    if existing is None:
        members.create(DEMO_OWNER, role="owner", password=password, name="Demo owner")
    else:
        members.set_password(existing.public_id, password)
    return DEMO_OWNER, password


@app.command("demo")
def demo_command(
    serve: Annotated[bool, typer.Option(help="serve the API afterwards, until Ctrl-C")] = True,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on", min=0, max=65535)] = 8000,
) -> None:
    """Set up the sample workspace (policy, customers, the template and example segments), show each segment,
    then serve the API with a demo owner to sign in as."""
    started = time.perf_counter()
    seeds = (*TEMPLATES, *EXAMPLES)
    _check_seed_conditions(seeds)
    with open_local(migrate=True) as local:
        say(("✓", "green"), f" database ready: {local.store.url}")
        segments = local.services.segments(local.actor)
        _ensure_data(local)
        _ensure_segments(segments, seeds)
        out.print(_live_table(segments, seeds))
        email, password = _demo_owner(local)
    say(f"done in {time.perf_counter() - started:.1f}s")
    say(
        ("Sign in", "bold"), f" as {email} with the one-time password ", (password, "bold"),
        " (POST /v1/sessions, or the dashboard); it changes on every `segmentr demo`.",
    )
    if serve:
        from segmentr.cli.serve_command import serve as serve_api

        serve_api(host, port, workers=1)
