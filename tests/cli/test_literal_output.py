"""Every piece of user data is printed literally by every command: properties over arbitrary text (markup such
as ``[/]``, ``[red]x[/red]``, ``[bold]x[/bold]``, emoji codes, backslashes) for names, descriptions, customer
ids, conditions, values and file names."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from segmentr.cli import _load_commands, app
from segmentr.cli import context as cli_context
from segmentr.store import Store

_load_commands()
runner = CliRunner()

HOSTILE = ["[/]", "[red]x[/red]", "[bold]x[/bold]", ":smile:", "\\[", "x\\", "[link=https://e.x]y[/link]", "[", "]"]
# Printable text, weighted towards what rich would read as markup.
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.sampled_from(list("[]/\\:=#@ abold red")), min_size=1, max_size=24),
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), min_size=1, max_size=24),
)
PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# The commands that open the database: fewer examples (each one runs several commands).
PROPERTY_ON_A_DATABASE = settings(PROPERTY, max_examples=12)
_counter = itertools.count()


@pytest.fixture(autouse=True)
def command_built_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """typer builds the click command on every invoke (a third of a second here): once is enough. And no
    wrapping at the terminal's width: a printed value stays one piece."""
    monkeypatch.setattr(typer.testing, "_get_command", functools.cache(typer.testing._get_command))
    widths = cli_context.out._width, cli_context.err._width
    cli_context.out.width = cli_context.err.width = 10_000
    try:
        yield
    finally:
        cli_context.out._width, cli_context.err._width = widths


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", sqlite_url)
    with Store(sqlite_url) as store:
        store.init()
    return sqlite_url


def _run(*args: str, stdin: str | None = None) -> Result:
    # a wide terminal: tables wrap a long cell at any width, and these tests read the cells back
    result = runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _a_name(text: str) -> str:
    return f"n{next(_counter)} {text.strip()}".strip()


@PROPERTY_ON_A_DATABASE
@given(text=TEXT, description=TEXT)
def test_segment_commands_print_names_and_descriptions_literally(database: str, text: str, description: str) -> None:
    name = _a_name(text)
    created = _run("segments", "create", name, "--simple", "plan==free", "--description", description)
    if created.exit_code != 0:  # a name the rules refuse: one clean line, nothing else
        assert created.output.startswith("error: ") and created.output.count("\n") == 1, created.output
        return
    assert f"segment {name} created" in created.output
    listed = _run("segments", "list")
    assert listed.exit_code == 0 and name in listed.output
    shown = _run("segments", "show", name)
    assert shown.exit_code == 0 and shown.output.startswith(name) and description in shown.output
    edited = _run("segments", "edit", name, "--description", description + "!")
    assert edited.exit_code == 0 and f"segment {name} saved" in edited.output
    history = _run("segments", "history", name)
    assert history.exit_code == 0 and name in history.output
    restored = _run("segments", "restore", name, "1")
    assert restored.exit_code == 0 and f"of {name} restored" in restored.output
    deleted = _run("segments", "delete", name)
    assert deleted.exit_code == 0 and f"segment {name} (" in deleted.output


@PROPERTY_ON_A_DATABASE
@given(customer_id=TEXT, label=TEXT)
def test_members_and_eval_print_customer_data_literally(database: str, customer_id: str, label: str) -> None:
    customer_id = f"{next(_counter)}{customer_id}"
    with Store(database) as store:
        store.create_customer("live", {"id": customer_id, "label": label})
        if not store.list_segments(store.default_workspace().id):
            _run("segments", "create", "everyone", "--condition", "-", stdin="true")
    table = _run("members", "everyone", "--env", "live", "--limit", "1000")
    assert table.exit_code == 0 and customer_id in table.output
    listed = _run("members", "everyone", "--env", "live", "--format", "json")
    assert listed.exit_code == 0 and customer_id in json.loads(listed.stdout)
    evaluated = _run("eval", "everyone", customer_id, "--env", "live", "--explain")
    assert evaluated.exit_code == 0 and f"matched: {customer_id} for everyone" in evaluated.output
    missing = _run("eval", "everyone", customer_id + "?", "--env", "live")
    assert missing.exit_code == 1 and f"no customer {customer_id + '?'!r}" in missing.output


@PROPERTY
@given(source=TEXT)
def test_check_prints_any_condition_s_diagnostics_literally(source: str) -> None:
    result = _run("check", "-", stdin=source)
    assert result.exit_code in (0, 1)
    for line in result.output.splitlines():
        assert line == "✓ valid" or line.split(": ", 2)[1] in ("error", "warning"), line


@PROPERTY
@given(text=st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters='"\\'), max_size=24))
def test_eval_prints_a_value_literally(text: str) -> None:
    result = _run("eval", "-", stdin=json.dumps(text, ensure_ascii=False))
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == f"value: {json.dumps(text, ensure_ascii=False)}"


@PROPERTY_ON_A_DATABASE
@given(text=TEXT)
def test_import_messages_quote_file_names_and_ids_literally(database: str, tmp_path: Path, text: str) -> None:
    name = "".join(ch for ch in text if ch not in "/\\:") or "x"
    path = tmp_path / f"{name}.jsonl"
    path.write_text(json.dumps({"id": text, "meters": {"e": "lots"}}) + "\n")
    result = _run("import", "customers", str(path), "--env", "live")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {path}:1: customers.{text}.meters.e: expected an object {{credit, started, value, …}}, got \"lots\""
    ]
