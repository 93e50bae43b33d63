"""`segmentr pricing-rules create|list|show|edit|delete|history` and `segmentr prices … --explain` on both
databases, through the real CLI over a real store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import SegmentInput, Services
from segmentr.store import Store

_load_commands()
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    assert _run("init")[0] == 0
    with Store(db_url) as store:
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(20, seed=3, now_ms=1_760_000_000_000))
        services = Services(store)
        services.segments(services.local_owner()).create(
            SegmentInput(name="[b]Growth[/b]", condition='customer.plan == "growth"'))
    return db_url


def _growth_customer(url: str) -> str:
    with Store(url) as store:
        return next(c["id"] for c in store.list_customers("live", limit=100) if c["plan"] == "growth")


def test_rules_from_create_to_history(database: str) -> None:
    code, output = _run("pricing-rules", "create", "Growth discount", "--env", "live", "--segment", "[b]Growth[/b]",
                        "--priority", "10", "--override", "credit:api_request=0.0002",
                        "--override", 'topup:tokens_1m={"amount": 9}', "--json")
    assert code == 0, output
    rule = json.loads(output)
    assert rule["overrides"] == {"credit:api_request": {"amount": 0.0002}, "topup:tokens_1m": {"amount": 9}}
    code, output = _run("pricing-rules", "create", "Again", "--env", "live", "--segment", "[b]Growth[/b]",
                        "--priority", "10", "--override", "credit:api_request=0.0001")
    assert code == 1 and "priority 10 is taken" in output
    code, output = _run("pricing-rules", "create", "Bad", "--env", "live", "--segment", "[b]Growth[/b]",
                        "--priority", "11", "--override", "credit:nope=1")
    assert code == 1 and "unknown credit 'nope'" in output
    code, output = _run("pricing-rules", "create", "Bad", "--env", "live", "--segment", "[b]Growth[/b]",
                        "--priority", "11", "--override", "credit:api_request")
    assert code == 2 and "TARGET=PRICE" in output
    code, output = _run("pricing-rules", "list", "--env", "live")
    assert code == 0 and rule["id"] in output and "Growth discount" in output
    code, output = _run("pricing-rules", "show", rule["id"], "--env", "live")
    assert code == 0 and "priority 10, enabled, version 1" in output
    code, output = _run("pricing-rules", "edit", rule["id"], "--env", "live", "--disable", "--priority", "3")
    assert code == 0 and "priority 3, disabled, version 2" in output
    code, output = _run("pricing-rules", "edit", rule["id"], "--env", "live")
    assert code == 2
    code, output = _run("pricing-rules", "delete", rule["id"], "--env", "live")
    assert code == 0
    code, output = _run("pricing-rules", "history", rule["id"], "--env", "live", "--json")
    assert code == 0
    assert [(v["version"], v["action"]) for v in json.loads(output)] == [(1, "created"), (2, "updated"),
                                                                         (3, "deleted")]
    code, output = _run("pricing-rules", "show", rule["id"], "--env", "live")
    assert code == 1 and "no pricing rule" in output
    code, output = _run("pricing-rules", "list", "--env", "staging")
    assert code == 1 and "unknown environment" in output


def test_prices_explained(database: str) -> None:
    customer = _growth_customer(database)
    code, output = _run("prices", customer, "credit:api_request", "--env", "live", "--explain")
    assert code == 0, output
    assert "the policy's price" in output and "no rules in this environment" in output
    _run("pricing-rules", "create", "Growth discount", "--env", "live", "--segment", "[b]Growth[/b]",
         "--priority", "10", "--override", "credit:api_request=0.0002")
    _run("pricing-rules", "create", "Other", "--env", "live", "--segment", "[b]Growth[/b]",
         "--priority", "20", "--override", "topup:tokens_1m=9")
    code, output = _run("prices", customer, "credit:api_request", "--env", "live", "--explain")
    assert code == 0, output
    assert '{"amount": 0.0002}' in output and "rule Growth discount" in output
    assert "applied, matched" in output and "does_not_override_target" in output
    code, output = _run("prices", customer, "credit:api_request", "--env", "live", "--json")
    assert json.loads(output)["source"]["kind"] == "rule"
    code, output = _run("prices", customer, "nope", "--env", "live")
    assert code == 1 and "credit:<credit name>" in output
