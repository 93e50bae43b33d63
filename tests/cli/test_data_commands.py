"""The data commands end to end through the typer app, on a real embedded database (and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.sample import SAMPLE_POLICY_PATH, generate_customers
from segmentr.store import Store

_load_commands()
runner = CliRunner()


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    return db_url


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_init_is_idempotent(database: str) -> None:
    code, output = _run("init")
    assert code == 0 and "database ready" in output
    code, _ = _run("init")
    assert code == 0
    with Store(database) as store:
        assert len(store.list_workspaces()) == 1
        assert [m.role for m in store.members(store.default_workspace().id)] == ["owner"]


def test_commands_before_init_fail_cleanly(database: str) -> None:
    code, output = _run("import", "policy", str(SAMPLE_POLICY_PATH), "--env", "live")
    assert code == 1 and "segmentr init" in output and "Traceback" not in output


def test_import_policy_and_customers(database: str, tmp_path: Path) -> None:
    _run("init")
    code, output = _run("import", "policy", str(SAMPLE_POLICY_PATH), "--env", "live")
    assert code == 0, output
    assert "version 1" in output
    path = tmp_path / "customers.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in generate_customers(50, seed=1, now_ms=1_760_000_000_000)))
    code, output = _run("import", "customers", str(path), "--env", "live")
    assert code == 0, output
    assert "50 customers imported into live" in output
    with Store(database) as store:
        assert store.count_customers("live") == 50
        assert store.count_customers("test") == 0


def test_generate_customers_brings_the_sample_policy(database: str) -> None:
    _run("init")
    code, output = _run("generate", "customers", "120", "--env", "test", "--seed", "9")
    assert code == 0, output
    assert "sample policy imported" in output
    with Store(database) as store:
        assert store.count_customers("test") == 120
        assert set(store.live_policy("test").plans()) == {"free", "starter", "growth", "enterprise"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "customers", "{bad}", "--env", "live"), "not valid JSON"),
        (("import", "customers", "{missing}", "--env", "live"), "no such file"),
        (("import", "policy", "{bad}", "--env", "live"), "bad.jsonl"),
        (("import", "customers", "{bad}", "--env", "staging"), "unknown environment"),
    ],
)
def test_bad_input_exits_1_with_a_message(database: str, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    _run("init")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{"id":\n')
    filled = [arg.format(bad=bad, missing=tmp_path / "missing.jsonl") for arg in args]
    code, output = _run(*filled)
    assert code == 1
    assert message in output.replace("\n", "")
    assert "Traceback" not in output
