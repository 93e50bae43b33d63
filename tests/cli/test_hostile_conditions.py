"""A hostile regular expression against a hostile customer through the CLI: `members` and `eval` answer at
once (a backtracking engine ran for minutes on this pair), and `check` warns about patterns the engine
refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app

_load_commands()
runner = CliRunner()
CATASTROPHIC = '(?data.email.matches("^(a|a)*@") ?? false)'


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", sqlite_url)
    return sqlite_url


@pytest.mark.timeout(120)  # the backtracking engine took minutes here; RE2 answers in microseconds
def test_members_and_eval_with_a_catastrophic_pattern_finish(database: str, tmp_path: Path) -> None:
    assert _run("init")[0] == 0
    assert _run("generate", "customers", "50", "--env", "live")[0] == 0
    evil = tmp_path / "evil.jsonl"
    evil.write_text(
        "\n".join(
            json.dumps({"id": f"cus_evil{i}", "metadata": {"email": "a" * n + "!"}})
            for i, n in enumerate((24, 36, 5000, 99_000))
        )
        + "\n"
    )
    code, output = _run("import", "customers", str(evil), "--env", "live")
    assert code == 0, output
    condition = tmp_path / "evil.stof"
    condition.write_text(CATASTROPHIC)
    code, output = _run("segments", "create", "evil", "--condition", str(condition))
    assert code == 0, output

    code, output = _run("members", "evil", "--env", "live", "--format", "json")
    assert code == 0, output
    assert json.loads(output) == []
    for i in range(4):
        code, output = _run("eval", "evil", f"cus_evil{i}", "--env", "live")
        assert code == 0, output
        assert "not matched" in output and "Traceback" not in output


def test_check_warns_about_a_pattern_the_engine_refuses(tmp_path: Path) -> None:
    condition = tmp_path / "lookahead.stof"
    condition.write_text('(?data.email.matches("^a(?=b)") ?? false)')
    code, output = _run("check", str(condition))
    assert code == 0, output  # a warning, not an error: the condition still parses
    assert "warning" in output and "regular expression" in output
