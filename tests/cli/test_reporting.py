"""What the CLI reports besides results: failed evaluations on stderr in every `members` format (json and csv
stay parseable), and `check` saying what a save would refuse."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.store import Store

_load_commands()
runner = CliRunner()

# Fails (divides by zero) for the customers without metadata, matches the others.
FLAKY = "customer.metadata == null ? customer.label.len() / 0 > 1 : true"


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", sqlite_url)
    with Store(sqlite_url) as store:
        store.init()
        store.import_customer_dicts(
            "live", [{"id": f"c{i}", "metadata": {"n": i} if i % 2 else None} for i in range(6)]
        )
        store.create_segment(store.default_workspace().id, name="Flaky", condition=FLAKY)
    return sqlite_url


@pytest.mark.parametrize(
    ("options", "parse"),
    [
        (["--format", "json"], json.loads),
        (["--format", "csv"], lambda text: text.splitlines()[1:]),
        (["--count"], lambda text: int(text.split()[0])),
        (["--count", "--format", "json"], lambda text: json.loads(text)["count"]),
    ],
)
def test_members_says_on_stderr_how_many_evaluations_failed(database: str, options: list[str], parse) -> None:
    result = runner.invoke(app, ["members", "Flaky", "--env", "live", *options])
    assert result.exit_code == 0, result.output
    assert parse(result.stdout) in (["c1", "c3", "c5"], 3)  # stdout is the listing alone
    assert result.stderr.startswith("3 evaluations failed (they do not match), last: DivideByZero")


def test_check_reports_what_a_save_would_refuse() -> None:
    result = runner.invoke(app, ["check", "-"], input='customer.plan == "a\x00b"')
    assert result.exit_code == 1
    assert result.output == "1:20: error: the NUL character (U+0000) cannot be saved in a segment\n"
    big = "true || " * 9000 + "true"
    result = runner.invoke(app, ["check", "-"], input=big)
    assert result.exit_code == 1
    assert result.output == f"1:1: error: the condition is {len(big)} bytes: a segment saves at most 65536 (64 KiB)\n"
