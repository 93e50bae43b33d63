"""No tracebacks for bad input, on both databases: every command driven with hostile input exits non-zero with
one line saying why, and the database is exactly as it was."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.cli import context as cli_context
from segmentr.store import Store

_load_commands()
runner = CliRunner()

POLICY = {
    "policy": {
        "credits": {"request": {"label": "Request"}},
        "plans": {
            "free": {"default": True, "entitlements": {"api": {"limit": {"credit": "request", "value": 100}}}},
            "pro": {"entitlements": {"api": {"limit": {"credit": "request", "value": 1000}}}},
        },
    }
}


def _snapshot(url: str) -> dict[str, list[Any]]:
    """Every row of every table, in a stable order."""
    with Store(url) as store, store.engine.connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
        return {
            table: sorted(map(repr, connection.execute(text(f'SELECT * FROM "{table}"')).all())) for table in tables
        }


def _files(tmp: Path) -> dict[str, Path]:
    def write(name: str, content: str | bytes) -> Path:
        path = tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    carried = copy.deepcopy(POLICY)
    carried["policy"]["customers"] = {"new": {"plan": "free"}, "bad": {"meters": {"e": "lots"}}}
    return {
        "lots": write("lots.jsonl", '{"id": "c9"}\n{"id": "c10", "meters": {"e": "lots"}}\n'),
        "huge_id": write("huge.jsonl", json.dumps({"id": "x" * 1_000_000}) + "\n"),
        "gold": write("gold.jsonl", '{"id": "c9", "plan": "gold"}\n'),
        "nan": write("nan.jsonl", '{"id": "c9", "metadata": {"score": NaN}}\n'),
        "big_int": write("big.jsonl", '{"id": "c9", "cloud_created": 99999999999999999999}\n'),
        "latin1": write("latin1.csv", "id,label\nc9,Zoë\n".encode("latin-1")),
        "utf16": write("utf16.csv", "id\nc9\n".encode("utf-16")),
        "not_json": write("broken.json", '[{"id": "c9"},'),
        "nul": write("nul.jsonl", '{"id": "c9", "label": "a\\u0000b"}\n'),
        "carried": write("carried.json", json.dumps(carried)),
        "bad_policy": write("bad_policy.json", '{"plans": {"free": {"period": "fortnightly"}}}'),
        "not_a_policy": write("policy.txt", "::: not yaml ::: [\n"),
        "latin1_condition": write("c.stof", 'customer.label == "Zoë"'.encode("latin-1")),
        "nul_condition": write("nul.stof", 'customer.plan == "a\x00"'),
        "big_condition": write("big.stof", "true || " * 9000 + "true"),
        "bad_env": write("env.json", '{"customer": {"$map": 5}}'),
        "dir": tmp,
    }


# (arguments, standard input): each must fail with one line and change nothing.
def _cases(files: dict[str, Path]) -> list[tuple[list[str], str | None]]:
    f = {key: str(path) for key, path in files.items()}
    return [
        (["segments", "create", "seg_0123456789abcdef", "--simple", "plan==free"], None),
        (["segments", "create", "GROWTH", "--simple", "plan==free"], None),
        (["segments", "create", "Ｇｒｏｗｔｈ", "--simple", "plan==free"], None),
        (["segments", "create", "Gro\u200bwth", "--simple", "plan==free"], None),
        (["segments", "create", "abc\u202edcb", "--simple", "plan==free"], None),
        (["segments", "create", " padded", "--simple", "plan==free"], None),
        (["segments", "create", "x" * 121, "--simple", "plan==free"], None),
        (["segments", "create", "Other", "--condition", f["latin1_condition"]], None),
        (["segments", "create", "Other", "--condition", f["nul_condition"]], None),
        (["segments", "create", "Other", "--condition", f["big_condition"]], None),
        (["segments", "create", "Other", "--condition", "-"], "customer.plan =="),
        (["segments", "create", "Other", "--condition", str(files["dir"] / "missing.stof")], None),
        (["segments", "create", "Other", "--simple", "colour==red"], None),
        (["segments", "create", "Other", "--simple", "plan==free", "--description", "d" * 4001], None),
        (["segments", "edit", "Growth", "--name", "seg_other"], None),
        (["segments", "edit", "Growth", "--name", "Renamed\u200d"], None),
        (["segments", "edit", "Growth", "--condition", "-"], "customer.plan == \x00"),
        (["segments", "edit", "nope", "--name", "x"], None),
        (["segments", "show", "nope"], None),
        (["segments", "show", "seg_0000000000000000"], None),
        (["segments", "delete", "nope"], None),
        (["segments", "history", "[/]"], None),
        (["segments", "restore", "Growth", "99"], None),
        (["segments", "eval", "Growth", "nobody", "--env", "live"], None),
        (["members", "nope", "--env", "live"], None),
        (["members", "Growth", "--env", "staging"], None),
        (["members", "Growth", "--env", "live", "--format", "xml"], None),
        (["eval", "Growth", "nobody", "--env", "live"], None),
        (["eval", f["latin1_condition"]], None),
        (["eval", "-", "--env", f["bad_env"]], "true"),
        (["eval", "-", "--env", f["latin1_condition"]], "true"),
        (["check", f["latin1_condition"]], None),
        (["check", str(files["dir"] / "missing.stof")], None),
        (["check", f["nul_condition"]], None),
        (["check", f["big_condition"]], None),
        (["import", "customers", f["lots"], "--env", "live"], None),
        (["import", "customers", f["huge_id"], "--env", "live"], None),
        (["import", "customers", f["gold"], "--env", "live"], None),
        (["import", "customers", f["nan"], "--env", "live"], None),
        (["import", "customers", f["big_int"], "--env", "live"], None),
        (["import", "customers", f["latin1"], "--env", "live"], None),
        (["import", "customers", f["utf16"], "--env", "live"], None),
        (["import", "customers", f["not_json"], "--env", "live"], None),
        (["import", "customers", f["nul"], "--env", "live"], None),
        (["import", "customers", f["lots"], "--env", "live", "--format", "xml"], None),
        (["import", "customers", f["latin1"], "--env", "live", "--encoding", "klingon"], None),
        (["import", "customers", f["dir"], "--env", "live"], None),
        (["import", "customers", str(files["dir"] / "missing.jsonl"), "--env", "live"], None),
        (["import", "customers", f["lots"], "--env", "prod"], None),
        (["import", "policy", f["carried"], "--env", "live"], None),
        (["import", "policy", f["bad_policy"], "--env", "live"], None),
        (["import", "policy", f["not_a_policy"], "--env", "live"], None),
        (["import", "policy", f["latin1"], "--env", "live"], None),
        (["import", "policy", str(files["dir"] / "missing.json"), "--env", "live"], None),
    ]


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    monkeypatch.setattr(typer.testing, "_get_command", functools.cache(typer.testing._get_command))
    monkeypatch.setattr(cli_context.err, "_width", 10_000)
    monkeypatch.setattr(cli_context.out, "_width", 10_000)
    with Store(db_url) as store:
        store.init()
        store.put_policy("live", POLICY)
        store.import_customer_dicts("live", [{"id": f"c{i}", "plan": "free"} for i in range(5)])
        store.create_segment(store.default_workspace().id, name="Growth", condition='customer.plan == "pro"')
    return db_url


def test_every_command_refuses_bad_input_in_one_line_and_changes_nothing(database: str, tmp_path: Path) -> None:
    before = _snapshot(database)
    failures = []
    for args, stdin in _cases(_files(tmp_path)):
        result = runner.invoke(app, args, input=stdin)
        lines = [line for line in result.output.splitlines() if line.strip()]
        shown = " ".join(a if len(a) < 60 else a[:57] + "..." for a in args)
        clean = result.exception is None or isinstance(result.exception, SystemExit)
        if not clean or result.exit_code == 0 or len(lines) != 1 or "Traceback" in result.output:
            failures.append(f"{shown}: exit {result.exit_code}, {result.exception!r}, output {result.output[:300]!r}")
        elif _snapshot(database) != before:
            failures.append(f"{shown}: changed the database")
            before = _snapshot(database)
    assert not failures, "\n".join(failures)
