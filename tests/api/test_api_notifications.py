"""Notifications, deliveries, alerts and the event log over HTTP (api.md §4): in-process for the contract, and a
real `segmentr serve` whose in-process worker delivers to a real receiver and whose alert stream is read live."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from api_helpers import Api, Server, assert_error

from segmentr.service import Services, Worker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notifications"))
from notification_doubles import Receiver

CUSTOMER = "cus_api_notify"


def in_app_body(**fields: Any) -> dict[str, Any]:
    return {"name": "Overage", "events": ["meter-changed"], "environment": "live",
            "channels": [{"type": "in_app"}], **fields}


def test_create_read_edit_delete_and_keep_the_secret(api: Api) -> None:
    made = api.post("/v1/notifications", json={
        "name": "Hook", "events": ["meter-overage"], "channels": [{"type": "webhook", "url": "https://example.com/h"}],
    })
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["id"].startswith("ntf_") and body["object"] == "notification"
    secret = body["channels"][0]["secret"]
    assert secret.startswith("whsec_") and body["segment_deleted"] is False and body["version"] == 1
    assert api.get(f"/v1/notifications/{body['id']}").json() == body
    listed = api.get("/v1/notifications").json()
    assert listed["object"] == "list" and [n["id"] for n in listed["data"]] == [body["id"]]
    edited = api.patch(f"/v1/notifications/{body['id']}", json={
        "name": "Hook 2", "channels": [{"type": "webhook", "url": "https://example.com/h2"}]}).json()
    assert edited["name"] == "Hook 2" and edited["version"] == 2
    assert edited["channels"][0]["secret"] == secret  # no secret given: the channel keeps its own
    rotated = api.patch(f"/v1/notifications/{body['id']}", json={"rotate_secrets": True}).json()
    assert rotated["channels"][0]["secret"] != secret and rotated["channels"][0]["previous_secret"] == secret
    assert api.delete(f"/v1/notifications/{body['id']}").json() == {
        "object": "notification", "id": body["id"], "deleted": True}
    assert_error(api.get(f"/v1/notifications/{body['id']}"), 404, "not_found")


def test_bad_input_is_a_clear_4xx(api: Api) -> None:
    error = assert_error(api.post("/v1/notifications", json=in_app_body(events=["meter-exploded"])), 422,
                         "invalid_request_error")
    assert error["param"] == "events" and "meter-exploded" in error["message"]
    error = assert_error(api.post("/v1/notifications", json=in_app_body(condition="event.meter.value >")), 422,
                         "invalid_request_error", "condition_invalid")
    assert error["param"] == "condition"
    error = assert_error(api.post("/v1/notifications", json=in_app_body(segment="seg_nope")), 422,
                         "invalid_request_error")
    assert error["param"] == "segment"
    error = assert_error(api.post("/v1/notifications", json=in_app_body(
        channels=[{"type": "webhook", "url": "ftp://x"}])), 422, "invalid_request_error")
    assert (error["param"] or "").startswith("channels")
    assert_error(api.post("/v1/notifications", json=in_app_body(channels=[])), 422, "invalid_request_error")
    assert_error(api.get("/v1/notifications/ntf_missing/deliveries"), 404, "not_found")
    assert_error(api.post("/v1/deliveries/dlv_missing/retry"), 404, "not_found")
    assert_error(api.get("/v1/live/alerts?state=bogus"), 422, "invalid_request_error")


def test_deliveries_alerts_and_events(api: Api, services: Services) -> None:
    notification = api.post("/v1/notifications", json=in_app_body()).json()
    api.post("/v1/live/customers", json={"id": CUSTOMER, "plan": "growth"})
    used = api.post(f"/v1/live/customers/{CUSTOMER}/usage", json={"entitlement": "api_requests", "value": 3})
    assert used.status_code == 200, used.text
    (pending,) = api.get(f"/v1/notifications/{notification['id']}/deliveries").json()["data"]
    assert pending["state"] == "pending" and pending["attempts"] == [] and pending["customer"] == CUSTOMER
    worker = Worker(services.store, channels={}, housekeeping=False)
    assert worker.run_once().delivered == 1
    worker.stop()
    (done,) = api.get(f"/v1/notifications/{notification['id']}/deliveries").json()["data"]
    assert done["state"] == "delivered" and [a["number"] for a in done["attempts"]] == [1]
    assert_error(api.post(f"/v1/deliveries/{done['id']}/retry"), 409, "conflict")

    (alert,) = api.get("/v1/live/alerts").json()["data"]
    assert alert["state"] == "new" and alert["customer"] == CUSTOMER and alert["delivery"] == done["id"]
    assert alert["detail"]["entitlement"] == "api_requests" and alert["detail"]["current"] == 3
    assert api.get("/v1/test/alerts").json()["data"] == []
    assert api.post(f"/v1/live/alerts/{alert['id']}/seen").json()["state"] == "seen"
    assert api.get("/v1/live/alerts").json()["data"] == []
    assert api.post(f"/v1/live/alerts/{alert['id']}/resolve").json()["state"] == "resolved"
    assert_error(api.post(f"/v1/live/alerts/{alert['id']}/seen"), 409, "conflict")
    assert [a["id"] for a in api.get("/v1/live/alerts?state=all").json()["data"]] == [alert["id"]]

    events = api.get(f"/v1/live/events?customer={CUSTOMER}").json()["data"]
    assert [e["type"] for e in events][:2] == ["meter-changed", "customer-set"]
    first = api.get(f"/v1/live/events?customer={CUSTOMER}&limit=1").json()
    second = api.get(f"/v1/live/events?customer={CUSTOMER}&limit=1&starting_after={first['data'][0]['id']}").json()
    assert first["has_more"] and second["data"][0]["id"] == events[1]["id"]
    tested = api.post(f"/v1/notifications/{notification['id']}/test", json={"environment": "live"}).json()
    assert [d["channel_type"] for d in tested["data"]] == ["in_app"]


def test_the_alert_stream_needs_credentials_and_the_environment(anonymous: Api, make_key: Any) -> None:
    assert_error(anonymous.get("/v1/live/alerts/stream"), 401, "authentication_error")
    key = make_key("test", "viewer")
    assert_error(anonymous.get("/v1/live/alerts/stream", headers={"Authorization": f"Bearer {key}"}), 403,
                 "permission_error", "environment_mismatch")


def test_serve_runs_the_worker_delivers_signed_webhooks_and_streams_alerts(store: Any, services: Services,
                                                                            owner: Any) -> None:
    receiver = Receiver().start()
    url = store.engine.url.render_as_string(hide_password=False)
    key = services.keys(owner).create("serve", environment="live", role="admin").secret
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with Server(url, env={"SEGMENTR_ALLOW_PRIVATE_WEBHOOKS": "1"}) as server:
            client = httpx.Client(base_url=server.base_url, headers=headers, timeout=10)
            hook = client.post("/v1/notifications", json={
                "name": "Hook", "events": ["meter-changed"], "environment": "live",
                "channels": [{"type": "webhook", "url": receiver.url()}, {"type": "in_app"}]}).json()
            receiver.secrets = [hook["channels"][0]["secret"]]
            client.post("/v1/live/customers", json={"id": CUSTOMER, "plan": "growth"})
            streamed: list[dict[str, Any]] = []
            opened = threading.Event()

            def listen() -> None:
                with httpx.stream("GET", f"{server.base_url}/v1/live/alerts/stream", headers=headers,
                                  timeout=60) as response:
                    assert response.headers["content-type"].startswith("text/event-stream")
                    for line in response.iter_lines():
                        opened.set()
                        if line.startswith("data: "):
                            streamed.append(json.loads(line[len("data: "):]))
                            return

            listener = threading.Thread(target=listen, daemon=True)
            listener.start()
            assert opened.wait(30)
            client.post(f"/v1/live/customers/{CUSTOMER}/usage", json={"entitlement": "api_requests", "value": 1})
            deadline = time.monotonic() + 30  # a loaded machine: the worker polls, the stream reads each second
            while time.monotonic() < deadline and not (receiver.received and streamed):
                time.sleep(0.05)
            listener.join(10)
            assert receiver.failures == [] and len(receiver.received) == 1
            assert receiver.received[0].json["data"]["customer"]["id"] == CUSTOMER
            assert [a["customer"] for a in streamed] == [CUSTOMER]
    finally:
        receiver.stop()


def test_serve_runs_the_worker_unless_told_not_to(monkeypatch: Any) -> None:
    from segmentr.api.server import RUN_WORKER_ENV, settings_from_environment

    monkeypatch.delenv(RUN_WORKER_ENV, raising=False)
    assert settings_from_environment().run_worker is True
    monkeypatch.setenv(RUN_WORKER_ENV, "0")  # what `segmentr serve --no-worker` sets for its processes
    assert settings_from_environment().run_worker is False


def test_usage_series_from_the_event_log(api: Api) -> None:
    api.post("/v1/live/customers", json={"id": CUSTOMER, "plan": "growth"})
    for value in (3, 4, 5):
        api.post(f"/v1/live/customers/{CUSTOMER}/usage", json={"entitlement": "api_requests", "value": value})
    series = api.get(f"/v1/live/events/usage-series?customer={CUSTOMER}&entitlement=api_requests").json()
    assert series["object"] == "usage_series" and series["bucket"] == "hour"
    assert len(series["points"]) in (24, 25)  # every hour of the last day, empty ones included
    last = [p for p in series["points"] if p["calls"]]
    assert len(last) == 1 and last[0]["used"] == 12 and last[0]["value"] == 12 and last[0]["calls"] == 3
    assert sum(p["used"] for p in series["points"]) == 12
    daily = api.get(f"/v1/live/events/usage-series?customer={CUSTOMER}&entitlement=api_requests&bucket=day").json()
    assert sum(p["used"] for p in daily["points"]) == 12
    other = api.get(f"/v1/live/events/usage-series?customer={CUSTOMER}&entitlement=ai_tokens").json()
    assert sum(p["calls"] for p in other["points"]) == 0
    assert_error(api.get(f"/v1/live/events/usage-series?customer={CUSTOMER}&entitlement=x&since=5&until=1"), 422,
                 "invalid_request_error")


def test_the_dashboards_delete_confirmation_lists_the_notifications_then_deletes(api: Api) -> None:
    segment = api.post("/v1/segments", json={"name": "Watched", "condition": 'customer.plan == "growth"'}).json()
    api.post("/v1/notifications", json=in_app_body(name="Growth <watch>", segment=segment["id"]))
    assert_error(api.delete(f"/v1/segments/{segment['id']}"), 409, "conflict", "segment_in_use")
    page = api.get(f"/segments/{segment['id']}/delete")
    assert page.status_code == 200, page.text[:300]
    listed = page.text.split('data-reference-type="notification"', 1)[-1]
    assert 'data-reference-type="notification"' in page.text and "Notification (1)" in listed
    assert "Growth &lt;watch&gt;</a> <span class=\"muted\">(live)</span>" in listed  # escaped, its environment
    done = api.post(f"/segments/{segment['id']}/delete", data={"csrf_token": api.headers["X-CSRF-Token"]})
    assert done.status_code == 303
    assert api.get("/v1/notifications?limit=1").json()["data"][0]["segment_deleted"] is True
