"""`segmentr notifications …`, `segmentr alerts …` and `segmentr worker`: notifications, their deliveries, the
in-app alerts and the background worker, through the service layer."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from segmentr.cli import app
from segmentr.cli.context import cell, check_env, err, fail, open_local, out, say
from segmentr.cli.stof_commands import read_source
from segmentr.service import NotificationView, Worker, WorkerSettings

notifications_app = typer.Typer(no_args_is_help=True, help="Segment-scoped notifications and their deliveries.")
alerts_app = typer.Typer(no_args_is_help=True, help="In-app alerts: list, mark seen, resolve.")
app.add_typer(notifications_app, name="notifications")
app.add_typer(alerts_app, name="alerts")

IdArg = Annotated[str, typer.Argument(help="The notification's id (ntf_…).")]
EnvOption = Annotated[str, typer.Option("--env", help="The environment: test or live.")]


def _when(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _channels(webhooks: list[str], emails: list[str], slack: list[str], in_app: bool) -> list[dict[str, Any]]:
    channels: list[dict[str, Any]] = [{"type": "webhook", "url": url} for url in webhooks]
    channels += [{"type": "slack", "url": url} for url in slack]
    if emails:
        channels.append({"type": "email", "to": emails})
    if in_app:
        channels.append({"type": "in_app"})
    return channels


def _show(view: NotificationView, *, secrets: bool = False) -> None:
    n = view.notification
    say(("id", "bold"), "          ", n.id)
    say(("name", "bold"), "        ", n.name)
    say(("environment", "bold"), " ", n.environment)
    say(("events", "bold"), "      ", ", ".join(n.events))
    segment = n.segment or "(none)"
    say(("segment", "bold"), "     ", segment, ("  (deleted: never fires)", "red") if view.segment_deleted else "")
    say(("condition", "bold"), "   ", n.condition or "(none)")
    say(("enabled", "bold"), "     ", "yes" if n.enabled else "no")
    for index, channel in enumerate(n.channels):
        target = getattr(channel, "url", None) or ", ".join(getattr(channel, "to", []) or []) or ""
        disabled = "  (disabled)" if getattr(channel, "disabled", False) else ""
        say(("channel", "bold"), f" {index}   ", channel.type, " ", target, (disabled, "red"))
        if secrets and channel.type == "webhook":
            say("            secret ", getattr(channel, "secret", ""))
    if view.error_count:
        say(("errors", "bold"), "      ", str(view.error_count), " (last: ", view.last_error or "", ")")


@notifications_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="The notification's name.")],
    event: Annotated[list[str], typer.Option("--event", help="An event type to listen to (repeat).")],
    environment: Annotated[str, typer.Option("--env", help="test, live or both.")] = "both",
    segment: Annotated[str | None, typer.Option("--segment", help="Only for customers in this segment.")] = None,
    condition: Annotated[str | None, typer.Option("--condition", help="A Stof condition file, or -.")] = None,
    webhook: Annotated[list[str] | None, typer.Option("--webhook", help="A webhook URL (repeat).")] = None,
    email: Annotated[list[str] | None, typer.Option("--email", help="An email recipient (repeat).")] = None,
    slack: Annotated[list[str] | None, typer.Option("--slack", help="A Slack incoming-webhook URL.")] = None,
    in_app: Annotated[bool, typer.Option("--in-app", help="Raise an in-app alert.")] = False,
    description: Annotated[str, typer.Option("--description")] = "",
) -> None:
    """Create a notification; the webhook secrets are printed (receivers verify signatures with them)."""
    channels = _channels(webhook or [], email or [], slack or [], in_app)
    if not channels:
        raise fail("give at least one channel: --webhook URL, --email ADDRESS, --slack URL or --in-app")
    with open_local() as local:
        segment_id = local.services.segments(local.actor).get(segment).id if segment else None
        view = local.services.notifications(local.actor).create({
            "name": name, "description": description, "environment": environment, "events": event,
            "segment": segment_id, "condition": read_source(condition) if condition else None,
            "channels": channels,
        })
    _show(view, secrets=True)


@notifications_app.command("list")
def list_notifications() -> None:
    """Every notification of the workspace."""
    with open_local() as local:
        service = local.services.notifications(local.actor)
        views: list[NotificationView] = []
        after: str | None = None
        while True:
            page = service.list(starting_after=after, limit=100)
            views.extend(page.data)
            if not page.has_more:
                break
            after = page.data[-1].notification.id
    table = Table("id", "name", "env", "events", "segment", "channels", "enabled", "errors")
    for view in views:
        n = view.notification
        segment = (n.segment or "") + (" (deleted)" if view.segment_deleted else "")
        table.add_row(cell(n.id), cell(n.name), cell(n.environment), cell(", ".join(n.events)), cell(segment),
                      cell(", ".join(c.type for c in n.channels)), cell("yes" if n.enabled else "no"),
                      cell(view.error_count))
    out.print(table)


@notifications_app.command("show")
def show(notification_id: IdArg,
         deliveries: Annotated[int, typer.Option("--deliveries", help="Show this many recent deliveries.")] = 10,
         ) -> None:
    """A notification and its recent deliveries with their attempts."""
    with open_local() as local:
        service = local.services.notifications(local.actor)
        view = service.get(notification_id)
        page = service.deliveries(notification_id, limit=max(1, min(deliveries, 100)))
    _show(view)
    if deliveries and page.data:
        table = Table("delivery", "event", "customer", "channel", "state", "attempts", "last status", "last error")
        for d in page.data:
            table.add_row(cell(d.id), cell(d.event_type), cell(d.customer_id), cell(d.channel_type), cell(d.state),
                          cell(d.attempts), cell(d.last_status if d.last_status is not None else ""),
                          cell(d.last_error or ""))
        out.print(table)


@notifications_app.command("edit")
def edit(
    notification_id: IdArg,
    name: Annotated[str | None, typer.Option("--name")] = None,
    environment: Annotated[str | None, typer.Option("--env", help="test, live or both.")] = None,
    event: Annotated[list[str] | None, typer.Option("--event", help="Replace the event types (repeat).")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="A segment, or '' for none.")] = None,
    condition: Annotated[str | None, typer.Option("--condition", help="A Stof file, - or '' for none.")] = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    rotate_secret: Annotated[bool, typer.Option("--rotate-secret",
                                                help="New webhook secrets (the old ones sign for 24 h).")] = False,
) -> None:
    """Change a notification (a new version)."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if environment is not None:
        changes["environment"] = environment
    if event:
        changes["events"] = event
    if condition is not None:
        changes["condition"] = read_source(condition) if condition else None
    if enabled is not None:
        changes["enabled"] = enabled
    with open_local() as local:
        if segment is not None:
            changes["segment"] = local.services.segments(local.actor).get(segment).id if segment else None
        view = local.services.notifications(local.actor).edit(notification_id, changes, rotate_secrets=rotate_secret)
    _show(view, secrets=rotate_secret)


@notifications_app.command("delete")
def delete(notification_id: IdArg) -> None:
    """Delete a notification with its deliveries."""
    with open_local() as local:
        local.services.notifications(local.actor).delete(notification_id)
    say(("✓", "green"), " deleted ", notification_id)


@notifications_app.command("test")
def test(notification_id: IdArg,
         environment: Annotated[str | None, typer.Option("--env", help="The environment of the test event.")] = None,
         ) -> None:
    """Queue one test delivery on every channel (the worker sends it)."""
    if environment is not None:
        check_env(environment)
    with open_local() as local:
        deliveries = local.services.notifications(local.actor).test(notification_id, environment=environment)
    for delivery in deliveries:
        say(("queued", "green"), " ", delivery.id, " ", delivery.channel.type, " webhook-id ", delivery.webhook_id)


@notifications_app.command("retry")
def retry(delivery_id: Annotated[str, typer.Argument(help="The delivery's id (dlv_…).")]) -> None:
    """Send a failed delivery again now."""
    with open_local() as local:
        record = local.services.notifications(local.actor).retry(delivery_id)
    say(("✓", "green"), " ", record.id, " is due again (", record.state, ")")


@alerts_app.command("list")
def list_alerts(environment: EnvOption = "live",
                state: Annotated[str, typer.Option("--state", help="new, seen, resolved or all.")] = "new",
                as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False) -> None:
    """In-app alerts of an environment, newest first."""
    check_env(environment)
    with open_local() as local:
        page = local.services.alerts(local.actor).list(environment, state=state, limit=100)
    if as_json:
        for alert in page.data:
            out.print_json(json.dumps({"id": alert.id, "state": alert.state.value, "title": alert.title,
                                       "customer": alert.customer_id, "created_at": alert.created_at}))
        return
    table = Table("id", "created", "state", "customer", "title")
    for alert in page.data:
        table.add_row(cell(alert.id), cell(_when(alert.created_at)), cell(alert.state.value), cell(alert.customer_id),
                      cell(alert.title))
    out.print(table)


@alerts_app.command("seen")
def seen(alert_id: Annotated[str, typer.Argument(help="The alert's id (alr_…).")], environment: EnvOption = "live",
         ) -> None:
    check_env(environment)
    with open_local() as local:
        alert = local.services.alerts(local.actor).seen(environment, alert_id)
    say(("✓", "green"), " ", alert.id, " ", alert.state.value)


@alerts_app.command("resolve")
def resolve(alert_id: Annotated[str, typer.Argument(help="The alert's id (alr_…).")],
            environment: EnvOption = "live") -> None:
    check_env(environment)
    with open_local() as local:
        alert = local.services.alerts(local.actor).resolve(environment, alert_id)
    say(("✓", "green"), " ", alert.id, " ", alert.state.value)


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit.")] = False,
    sweep: Annotated[bool, typer.Option("--sweep/--no-sweep", help="Sweep watched segments and prune.")] = True,
) -> None:
    """Run the background worker only: deliveries, the segment sweep, event-log pruning (Ctrl-C stops)."""
    with open_local(migrate=True) as local:
        running = Worker(local.store, settings=WorkerSettings.from_env(), housekeeping=sweep)
        if once:
            total = 0
            while True:
                report = running.run_once()
                total += report.delivered
                if not report.claimed:
                    break
            if sweep:
                running.housekeeping(force=True)
            running.stop()
            say(("✓", "green"), f" delivered {total}")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        err.print(f"worker running over {local.store.url}; Ctrl-C stops")
        running.run(stop)
        running.stop()
