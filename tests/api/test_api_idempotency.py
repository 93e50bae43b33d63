"""``Idempotency-Key`` on POSTs: a replay gives the first response, another body is 409, keys are per caller."""

from __future__ import annotations

from api_helpers import Api, assert_error


def test_same_key_same_body_replays_the_first_response(api: Api) -> None:
    body = {"name": "Growth", "condition": 'customer.plan == "growth"'}
    first = api.post("/v1/segments", json=body, headers={"Idempotency-Key": "k1"})
    again = api.post("/v1/segments", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(api.get("/v1/segments").json()["data"]) == 1


def test_same_key_other_body_is_409(api: Api) -> None:
    api.post("/v1/segments", json={"name": "A", "condition": "true"}, headers={"Idempotency-Key": "k2"})
    response = api.post("/v1/segments", json={"name": "B", "condition": "true"}, headers={"Idempotency-Key": "k2"})
    assert_error(response, 409, "conflict", "idempotency_key_reused")
    assert [s["name"] for s in api.get("/v1/segments").json()["data"]] == ["A"]


def test_a_failed_call_keeps_nothing_and_its_retry_runs(api: Api) -> None:
    bad = api.post("/v1/segments", json={"name": "C", "condition": "(("}, headers={"Idempotency-Key": "k3"})
    assert_error(bad, 422, "invalid_request_error", "condition_invalid")
    again = api.post("/v1/segments", json={"name": "C", "condition": "(("}, headers={"Idempotency-Key": "k3"})
    assert_error(again, 422, "invalid_request_error", "condition_invalid")


def test_without_a_key_every_call_runs(api: Api) -> None:
    api.post("/v1/segments", json={"name": "D", "condition": "true"})
    assert_error(api.post("/v1/segments", json={"name": "D", "condition": "true"}), 409, "conflict",
                 "already_exists")


def test_an_overlong_key_is_refused(api: Api) -> None:
    response = api.post("/v1/segments", json={"name": "E", "condition": "true"}, headers={"Idempotency-Key": "x" * 300})
    assert_error(response, 422, "invalid_request_error")
