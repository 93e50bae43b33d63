"""`segmentr notifications …`, `segmentr alerts …` and `segmentr worker` on both databases: a notification made
and changed from the command line fires on usage, the worker delivers it, the alert is seen and resolved."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.service import Services
from segmentr.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notifications"))
from notification_doubles import POLICY, Receiver

_load_commands()
runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "250"})
    return result.exit_code, result.output


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    monkeypatch.setenv("SEGMENTR_ALLOW_PRIVATE_WEBHOOKS", "1")
    assert _run("init")[0] == 0
    with Store(db_url) as store:
        store.put_policy("live", POLICY)
        services = Services(store)
        services.customers(services.local_owner()).put("live", {"id": "acme", "plan": "growth"})
    return db_url


def _usage(database: str, value: float) -> None:
    with Store(database) as store:
        services = Services(store)
        services.customers(services.local_owner()).record_usage("live", "acme", "api", value)


def test_create_list_show_edit_test_and_delete(database: str, tmp_path: Path) -> None:
    receiver = Receiver().start()
    try:
        code, output = _run("notifications", "create", "--name", "Big [red]usage[/red]", "--event", "meter-changed",
                            "--env", "live", "--webhook", receiver.url(), "--in-app")
        assert code == 0, output
        notification_id = re.search(r"ntf_\w+", output).group(0)  # type: ignore[union-attr]
        secret = re.search(r"whsec_\S+", output).group(0)  # type: ignore[union-attr]
        assert "Big [red]usage[/red]" in output  # user text printed literally
        receiver.secrets = [secret]
        code, output = _run("notifications", "list")
        assert code == 0 and notification_id in output and "webhook, in_app" in output
        condition = tmp_path / "threshold.stof"
        condition.write_text("event.meter.value >= event.meter.limit * 0.5")
        code, output = _run("notifications", "edit", notification_id, "--condition", str(condition))
        assert code == 0 and "event.meter.value >= event.meter.limit * 0.5" in output
        _usage(database, 100)  # 100 of 1000: below the line
        _usage(database, 450)  # 550: crosses it
        code, output = _run("worker", "--once", "--no-sweep")
        assert code == 0 and "delivered 2" in output, output  # webhook + in-app of one firing
        assert receiver.failures == [] and len(receiver.received) == 1
        code, output = _run("notifications", "show", notification_id)
        assert code == 0 and "delivered" in output and "meter-changed" in output
        code, output = _run("notifications", "test", notification_id, "--env", "live")
        assert code == 0 and output.count("queued") == 2
        assert _run("worker", "--once", "--no-sweep")[0] == 0
        assert len(receiver.received) == 2 and receiver.received[1].json["data"]["event"]["test"] is True

        code, output = _run("alerts", "list", "--env", "live", "--state", "all")
        alert_ids = re.findall(r"alr_\w+", output)
        assert code == 0 and len(alert_ids) == 2, output
        code, output = _run("alerts", "seen", alert_ids[0], "--env", "live")
        assert code == 0 and "seen" in output
        code, output = _run("alerts", "resolve", alert_ids[0], "--env", "live")
        assert code == 0 and "resolved" in output
        code, output = _run("alerts", "seen", alert_ids[0], "--env", "live")
        assert code == 1 and "cannot become seen" in output and "Traceback" not in output
        code, output = _run("alerts", "list", "--env", "live")
        assert alert_ids[0] not in output and alert_ids[1] in output

        assert _run("notifications", "delete", notification_id)[0] == 0
        code, output = _run("notifications", "show", notification_id)
        assert code == 1 and "no notification" in output
    finally:
        receiver.stop()


def test_bad_input_exits_cleanly(database: str) -> None:
    code, output = _run("notifications", "create", "--name", "X", "--event", "meter-exploded", "--in-app")
    assert code == 1 and "meter-exploded" in output and "Traceback" not in output
    code, output = _run("notifications", "create", "--name", "X", "--event", "meter-changed")
    assert code == 1 and "at least one channel" in output
    code, output = _run("notifications", "create", "--name", "X", "--event", "meter-changed", "--in-app",
                        "--condition", "-", stdin="event.meter.value >")
    assert code == 1 and "condition" in output and "Traceback" not in output
    code, output = _run("alerts", "list", "--env", "staging")
    assert code == 1 and "unknown environment" in output


def test_a_segment_in_use_is_not_deleted_without_force(database: str) -> None:
    assert _run("segments", "create", "Growth", "--condition", "-", stdin='customer.plan == "growth"')[0] == 0
    code, output = _run("notifications", "create", "--name", "Growth watch", "--event", "segment-exited",
                        "--segment", "Growth", "--in-app")
    assert code == 0, output
    code, output = _run("segments", "delete", "Growth")
    assert code == 1 and "referenced" in output
    assert _run("segments", "delete", "Growth", "--force")[0] == 0
    code, output = _run("notifications", "list")
    assert "(deleted)" in output
