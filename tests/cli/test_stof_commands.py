"""`segmentr check` and `segmentr eval` on condition files, and `eval SEGMENT CUSTOMER` on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app

_load_commands()
runner = CliRunner()


def test_check_valid_condition(tmp_path: Path) -> None:
    path = tmp_path / "c.stof"
    path.write_text('customer.plan == "growth"\n')
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0
    assert "✓ valid" in result.output


def test_check_reports_line_and_column_and_fails() -> None:
    result = runner.invoke(app, ["check", "-"], input="const x = 5\nx\n")
    assert result.exit_code == 1
    assert "1:12:" in result.output
    assert "expected ';'" in result.output


def test_check_prints_warnings_but_stays_valid() -> None:
    result = runner.invoke(app, ["check", "-"], input="2h\n")
    assert result.exit_code == 0
    assert "warning" in result.output
    assert "✓ valid" in result.output


def test_eval_with_env_file(tmp_path: Path) -> None:
    env = tmp_path / "env.json"
    env.write_text(json.dumps({"customer": {"id": "c1", "plan": "growth", "metadata": {"seats": 3}}}))
    result = runner.invoke(app, ["eval", "-", "--env", str(env)], input="data.seats * 2\n")
    assert result.exit_code == 0, result.output
    assert "value: 6" in result.output
    assert "matches: true" in result.output


def test_eval_runtime_error_does_not_match() -> None:
    result = runner.invoke(app, ["eval", "-"], input="customer.meters.fields()\n")
    assert result.exit_code == 1
    assert "matches: false" in result.output


def test_eval_segment_for_customer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    members = runner.invoke(app, ["members", "Org customers only", "--env", "live", "--format", "json"])
    assert members.exit_code == 0, members.output
    ids = json.loads(members.output)
    assert ids
    result = runner.invoke(app, ["eval", "Org customers only", ids[0], "--env", "live", "--explain"])
    assert result.exit_code == 0, result.output
    assert "matched" in result.output and "not matched" not in result.output
