"""CLI parity for customers and policies (list, show, usage, export, policy history/restore) on both databases,
and the round trip: an export imported into a fresh database gives the same customers, policy and members."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import SegmentInput, Services
from segmentr.store import Store

_load_commands()
runner = CliRunner()
CONDITION = 'customer.plan == "growth" || (customer.metadata.seats ?? 0) > 20'


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    assert _run("init")[0] == 0
    with Store(db_url) as store:
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(60, seed=3, now_ms=1_760_000_000_000))
    return db_url


def test_customers_list_and_show(database: str) -> None:
    code, output = _run("customers", "list", "--env", "live", "--limit", "5")
    assert code == 0 and "cus_0000000" in output and "--starting-after cus_0000004" in output
    code, output = _run("customers", "show", "cus_0000001", "--env", "live")
    assert code == 0, output
    shown = json.loads(output)
    assert shown["customer"]["id"] == "cus_0000001" and "meters" in shown["customer"] and "margin" in shown
    code, output = _run("customers", "show", "nobody", "--env", "live")
    assert code == 1 and "no customer 'nobody'" in output


def test_usage_meters_once_per_idempotency_key(database: str) -> None:
    with Store(database) as store:
        customer = store.get_customer("live", "cus_0000002")
        entitlement = next(iter(store.live_policy("live").plans()[customer["plan"]]["entitlements"]))
    code, first = _run("usage", "cus_0000002", entitlement, "1", "--env", "live", "--idempotency-key", "k")
    assert code == 0, first
    code, again = _run("usage", "cus_0000002", entitlement, "1", "--env", "live", "--idempotency-key", "k")
    assert json.loads(again)["replayed"] is True and json.loads(again)["value"] == json.loads(first)["value"]
    code, output = _run("usage", "cus_0000002", "no_such", "1", "--env", "live")
    assert code == 1 and "entitlement" in output and "Traceback" not in output


def test_policy_history_and_restore(database: str) -> None:
    with Store(database) as store:
        store.put_policy("live", {"credits": {}, "plans": {}})
    code, output = _run("policy", "history", "--env", "live")
    assert code == 0 and "1" in output and "2" in output
    code, output = _run("policy", "restore", "1", "--env", "live")
    assert code == 0 and "as version 3" in output
    with Store(database) as store:
        assert store.policy_version("live").document == store.policy_version("live", 1).document
    code, output = _run("policy", "restore", "9", "--env", "live")
    assert code == 1 and "no policy version 9" in output


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_export_imported_into_a_fresh_database_is_the_same(
    database: str, fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(database) as store:
        services = Services(store)
        services.segments(services.local_owner()).create(SegmentInput(name="big", condition=CONDITION))
        source_customers = store.list_customers("live", limit=1000)
        source_policy = store.policy_version("live").document
        source_members = services.segments(services.local_owner()).members("big", "live", page_size=1000).ids
        assert 0 < len(source_members) < len(source_customers)
    customers_file, policy_file = tmp_path / f"customers.{fmt}", tmp_path / "policy.json"
    code, output = _run("export", "customers", str(customers_file), "--env", "live", "--format", fmt)
    assert code == 0 and "60 customers of live exported" in output, output
    assert _run("export", "policy", str(policy_file), "--env", "live")[0] == 0

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", fresh)
    assert _run("init")[0] == 0
    code, output = _run("import", "policy", str(policy_file), "--env", "live")
    assert code == 0, output
    code, output = _run("import", "customers", str(customers_file), "--env", "live")
    assert code == 0, output
    with Store(fresh) as store:
        services = Services(store)
        services.segments(services.local_owner()).create(SegmentInput(name="big", condition=CONDITION))
        assert store.list_customers("live", limit=1000) == source_customers
        assert store.policy_version("live").document == source_policy
        assert services.segments(services.local_owner()).members("big", "live", page_size=1000).ids == source_members


def test_export_of_a_segment_holds_exactly_its_members(database: str, tmp_path: Path) -> None:
    with Store(database) as store:
        services = Services(store)
        services.segments(services.local_owner()).create(SegmentInput(name="big", condition=CONDITION))
        members = services.segments(services.local_owner()).members("big", "live", page_size=1000).ids
    path = tmp_path / "big.jsonl"
    code, output = _run("export", "customers", str(path), "--env", "live", "--segment", "big")
    assert code == 0, output
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == members
    code, output = _run("export", "customers", str(path), "--env", "live", "--format", "xml")
    assert code == 2 and "unknown format" in output
