"""Every snippet of the README runs: the "Using it" commands on the shipped `examples/` files, in order, on a
fresh database, and the Python snippet (its `# True` / `# False` comments are checked)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app

_load_commands()
runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# what `users create` reads from standard input (no terminal here)
PASSWORD = "correct horse battery staple\n"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def _commands() -> list[list[str]]:
    using_it = README[README.index("## Using it"):]
    block = re.search(r"```sh\n(.*?)```", using_it, flags=re.DOTALL)
    assert block is not None
    commands = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "segmentr", line
            commands.append(words[1:])
    return commands


@pytest.fixture
def in_a_fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", f"sqlite:///{tmp_path / 'segmentr.db'}")
    # the snippets name the example files relative to the repository; exports land beside them, not in it
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)


def test_the_using_it_commands_run_on_the_shipped_examples(in_a_fresh_database: None) -> None:
    outputs = {}
    for words in _commands():
        result = runner.invoke(app, words, input=PASSWORD)
        assert result.exit_code == 0, f"segmentr {shlex.join(words)}:\n{result.output}"
        outputs[words[0]] = result.output
    assert "matched: cus_123 for Growth orgs" in outputs["eval"]
    assert '"cus_123"' in outputs["members"]


def test_the_python_snippet_runs_and_its_comments_hold(in_a_fresh_database: None) -> None:
    for words in _commands():  # the snippet reads the database the commands filled
        assert runner.invoke(app, words, input=PASSWORD).exit_code == 0
    (snippet,) = _blocks("python")
    checked = []
    for line in snippet.splitlines():
        expected = re.search(r"\)\s+# (True|False)\b", line)
        if expected:  # `expression   # True` becomes an assertion of it
            expression = line[: line.index("#")].strip()
            line = f"assert ({expression}) is {expected.group(1)}, {expression!r}"
        checked.append(line)
    exec(compile("\n".join(checked), "README.md", "exec"), {})  # our own README


def test_every_example_file_is_used_by_the_readme() -> None:
    for path in (ROOT / "examples").iterdir():
        assert f"examples/{path.name}" in README, path.name


def test_version() -> None:
    from segmentr import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"segmentr {__version__}\n"
