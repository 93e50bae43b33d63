"""`segmentr demo`: the sample policy, sample customers and the seed's segments, counted in live — idempotent."""

from __future__ import annotations

import time

from rich.table import Table

from segmentr import stof
from segmentr.cli import app
from segmentr.cli.context import cell, open_store, out, say, warn
from segmentr.policy.vocabulary import SEGMENT_BINDINGS
from segmentr.sample import generate_customers, sample_policy
from segmentr.segments import EXAMPLES, TEMPLATES, Template
from segmentr.service import SegmentInput, SegmentService, service_for
from segmentr.store import NoPolicy, Store, StoreError

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


def _ensure_data(store: Store) -> None:
    """The sample policy and customers in each environment that has none."""
    for env, how_many in SAMPLE_CUSTOMERS.items():
        had_customers = store.count_customers(env) > 0
        try:
            store.policy_version(env)
        except NoPolicy:
            version = store.put_policy(env, sample_policy())
            say(("✓", "green"), f" sample policy imported into {env} as version {version}")
        if not had_customers:
            written = store.import_customer_dicts(env, generate_customers(how_many, seed=42, now_ms=store.now()))
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
        except StoreError as exc:
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


@app.command("demo")
def demo_command() -> None:
    """Set up the sample workspace (policy, customers, the template and example segments) and show each segment."""
    started = time.perf_counter()
    seeds = (*TEMPLATES, *EXAMPLES)
    _check_seed_conditions(seeds)
    with open_store(migrate=True) as store:
        say(("✓", "green"), f" database ready: {store.url}")
        segments = service_for(store)
        _ensure_data(store)
        _ensure_segments(segments, seeds)
        out.print(_live_table(segments, seeds))
    say(f"done in {time.perf_counter() - started:.1f}s")
