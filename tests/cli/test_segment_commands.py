"""The segment commands and `segmentr demo` end to end through the typer app, on a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.cli.segment_commands import parse_simple_row
from segmentr.segments.evaluator import evaluate
from segmentr.segments.templates import TEMPLATES
from segmentr.store import Store

_load_commands()
runner = CliRunner()


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", sqlite_url)
    return sqlite_url


@pytest.fixture
def populated(database: str) -> str:
    assert _run("init")[0] == 0
    code, output = _run("generate", "customers", "300", "--env", "live")
    assert code == 0, output
    return database


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def test_simple_rows_from_the_command_line() -> None:
    assert parse_simple_row("plan==growth") == {"type": "plan", "op": "==", "value": "growth"}
    assert parse_simple_row("plan in growth,enterprise") == {
        "type": "plan", "op": "in", "value": ["growth", "enterprise"]
    }
    assert parse_simple_row("type!=org") == {"type": "customer_type", "op": "!=", "value": "org"}
    assert parse_simple_row("email ends_with @acme.io") == {"type": "email", "op": "ends_with", "value": "@acme.io"}
    assert parse_simple_row("metadata.seats>=10") == {"type": "metadata", "key": "seats", "op": ">=", "value": "10"}
    assert parse_simple_row("metadata.vip is_set") == {"type": "metadata", "key": "vip", "op": "is_set", "value": None}
    assert parse_simple_row("created within_last_days 7") == {"type": "created", "op": "within_last_days", "value": "7"}
    with pytest.raises(ValueError):
        parse_simple_row("colour==red")


def test_segment_lifecycle(populated: str) -> None:
    code, output = _run(
        "segments", "create", "Big growth", "--simple", "plan in growth,enterprise", "--simple", "metadata.seats>=10",
        "--description", "growth or enterprise with seats",
    )
    assert code == 0, output
    code, output = _run("segments", "list")
    assert code == 0 and "Big growth" in output
    code, output = _run("segments", "show", "Big growth")
    assert code == 0 and 'customer.plan == "growth"' in output and "simple mode" in output

    code, output = _run("segments", "edit", "Big growth", "--condition", "-", "--name", "Growth only",
                        stdin='customer.plan == "growth"\n')
    assert code == 0 and "version 2" in output, output
    code, output = _run("segments", "show", "Growth only")
    assert code == 0 and "advanced mode" in output

    code, output = _run("segments", "history", "Growth only")
    assert code == 0 and "Big growth" in output and "Growth only" in output
    code, output = _run("segments", "restore", "Growth only", "1")
    assert code == 0 and "version 3" in output, output
    with Store(populated) as store:  # the rows and description come back, the name stays
        segment = store.get_segment(store.default_workspace().id, "Growth only")
        assert segment.version == 3 and segment.mode == "simple"
        assert segment.description == "growth or enterprise with seats"

    code, output = _run("segments", "delete", "growth ONLY")  # names are found by their folded key
    assert code == 0, output
    code, output = _run("segments", "show", "Growth only")
    assert code == 1 and "Traceback" not in output


def test_bad_input_is_refused_cleanly(populated: str) -> None:
    code, output = _run("segments", "create", "x", "--simple", "colour==red")
    assert code == 2 and "unknown field" in output
    code, output = _run("segments", "create", "x", "--condition", "-", stdin="customer.plan ==")
    assert code == 1 and "Traceback" not in output
    _run("segments", "create", "dup", "--simple", "plan==growth")
    code, output = _run("segments", "create", "dup", "--simple", "plan==growth")
    assert code == 1 and "already exists" in output


@pytest.mark.parametrize("condition", ['customer.plan == "growth"', TEMPLATES[3].code])
def test_members_json_equals_the_evaluator(populated: str, condition: str) -> None:
    assert _run("segments", "create", "seg", "--condition", "-", stdin=condition)[0] == 0
    code, output = _run("members", "seg", "--env", "live", "--format", "json")
    assert code == 0, output
    listed = json.loads(output)
    with Store(populated) as store:
        source = store.customers()
        policy = source.policy("live")
        expected = [
            customer["id"]
            for batch in source.stream("live", 1000)
            for customer in batch
            if evaluate(condition, customer, policy).matched
        ]
    assert listed == sorted(expected) and listed
    code, output = _run("members", "seg", "--env", "live", "--count")
    assert code == 0 and f"{len(listed):,} customers" in output
    code, output = _run("members", "seg", "--env", "live", "--limit", "3")
    assert code == 0 and listed[0] in output and "method:" in output
    code, output = _run("members", "seg", "--env", "live", "--format", "csv", "--limit", "2")
    assert output.splitlines() == ["customer_id", *listed[:2]]


def test_eval_with_explain(populated: str) -> None:
    _run("segments", "create", "growth", "--simple", "plan==growth")
    ids = json.loads(_run("members", "growth", "--format", "json", "--limit", "1")[1])
    code, output = _run("segments", "eval", "growth", ids[0], "--env", "live", "--explain")
    assert code == 0 and "matched" in output and "not matched" not in output and "trace:" in output
    code, output = _run("segments", "eval", "growth", "no_such_customer", "--env", "live")
    assert code == 1 and "no customer" in output


def test_eval_failure_is_recorded(populated: str) -> None:
    _run("segments", "create", "broken", "--condition", "-", stdin="customer.plan.nope()")
    with Store(populated) as store:
        customer_id = store.list_customers("live", limit=1)[0]["id"]
    code, output = _run("segments", "eval", "broken", customer_id)
    assert code == 0 and "error:" in output
    with Store(populated) as store:
        assert store.get_segment(store.default_workspace().id, "broken").error_count == 1


def test_demo_is_idempotent_and_shows_the_templates(database: str) -> None:
    code, output = _run("demo", "--no-serve")
    assert code == 0, output
    assert "✓ valid" in output
    for seed in TEMPLATES:
        assert seed.name.split()[0] in output
    code, again = _run("demo", "--no-serve")
    assert code == 0 and "0 segments created" in again
    with Store(database) as store:
        assert store.count_customers("live") == 2000 and store.count_customers("test") == 200
        assert len(store.list_segments(store.default_workspace().id)) >= len(TEMPLATES)
