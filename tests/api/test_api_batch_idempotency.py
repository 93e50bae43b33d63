"""``Idempotency-Key`` on a whole usage batch (api.md §3): kept with the batch in its own transaction, a retry
replays the first call's exact bytes, another body is 409, concurrent calls meter once; records' own keys still
work inside a keyed batch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from api_helpers import Api, assert_error

from segmentr.sample import sample_policy

BATCH = "/v1/live/usage/batch"


def a_growth_customer(api: Api) -> tuple[str, str]:
    """A growth customer's id and one of its plan's entitlements."""
    customer = api.get("/v1/live/customers", params={"limit": 1, "plan": "growth"}).json()["data"][0]
    plan = sample_policy()["policy"]["plans"][customer["plan"]]
    return str(customer["id"]), str(next(iter(plan["entitlements"])))


def meter(api: Api, customer_id: str, entitlement: str) -> float:
    return float(api.get(f"/v1/live/customers/{customer_id}/entitlements/{entitlement}").json()["value"] or 0)


def records(customer_id: str, entitlement: str, value: float = 1) -> list[dict[str, Any]]:
    return [
        {"customer": customer_id, "entitlement": entitlement, "value": value},
        {"customer": "cus_nobody", "entitlement": entitlement, "value": 1},  # its error carries the request id
        {"customer": customer_id, "entitlement": entitlement, "value": value},
    ]


def test_a_retry_replays_the_first_bytes_and_meters_once(api: Api) -> None:
    customer_id, entitlement = a_growth_customer(api)
    before = meter(api, customer_id, entitlement)
    body = {"records": records(customer_id, entitlement)}
    first = api.post(BATCH, json=body, headers={"Idempotency-Key": "batch-1"})
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    again = api.post(BATCH, json=body, headers={"Idempotency-Key": "batch-1"})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"
    assert again.content == first.content
    # The body is the first call's (its failed record names the first request); the header is the retry's own.
    error = again.json()["results"][1]["error"]
    assert error["type"] == "not_found" and error["request_id"] == first.headers["request-id"]
    assert again.headers["request-id"] != first.headers["request-id"]
    assert meter(api, customer_id, entitlement) == before + 2


def test_the_same_key_with_another_batch_is_409_and_meters_nothing(api: Api) -> None:
    customer_id, entitlement = a_growth_customer(api)
    first = api.post(BATCH, json={"records": records(customer_id, entitlement)}, headers={"Idempotency-Key": "b-2"})
    assert first.status_code == 200, first.text
    after = meter(api, customer_id, entitlement)
    other = api.post(BATCH, json={"records": records(customer_id, entitlement, value=3)},
                     headers={"Idempotency-Key": "b-2"})  # fmt: skip
    assert_error(other, 409, "conflict", "idempotency_key_reused")
    # The fingerprint is the whole call's: the same records under another path is another request too.
    assert_error(api.post("/v1/test/usage/batch", json={"records": records(customer_id, entitlement)},
                          headers={"Idempotency-Key": "b-2"}), 409, "conflict", "idempotency_key_reused")  # fmt: skip
    assert meter(api, customer_id, entitlement) == after


def test_concurrent_batches_with_one_key_meter_once(api: Api) -> None:
    customer_id, entitlement = a_growth_customer(api)
    before = meter(api, customer_id, entitlement)
    body = {"records": records(customer_id, entitlement)}

    def call(_: int) -> tuple[int, bool, bytes]:
        response = api.post(BATCH, json=body, headers={"Idempotency-Key": "same-batch"})
        return response.status_code, response.headers.get("idempotent-replayed") == "true", response.content

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(8)))
    # Claimed in the batch's own transaction: a second call waits for the first and replays it (never 409
    # in progress, never a second run).
    assert [status for status, _, _ in answers] == [200] * 8
    assert sorted(replayed for _, replayed, _ in answers) == [False] + [True] * 7
    assert len({content for _, _, content in answers}) == 1
    assert meter(api, customer_id, entitlement) == before + 2


def test_a_batch_whose_every_record_failed_is_kept_and_replayed(api: Api) -> None:
    body = {"records": [{"customer": "cus_nobody", "entitlement": "seats", "value": 1}] * 2}
    first = api.post(BATCH, json=body, headers={"Idempotency-Key": "all-failed"})
    assert first.status_code == 200, first.text
    assert [r["error"]["type"] for r in first.json()["results"]] == ["not_found", "not_found"]
    again = api.post(BATCH, json=body, headers={"Idempotency-Key": "all-failed"})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


def test_a_batch_refused_whole_keeps_nothing_and_its_retry_runs(api: Api) -> None:
    customer_id, entitlement = a_growth_customer(api)
    before = meter(api, customer_id, entitlement)
    too_many = {"records": records(customer_id, entitlement)[:1] * 1001}
    assert_error(api.post(BATCH, json=too_many, headers={"Idempotency-Key": "b-3"}), 422, "invalid_request_error")
    fixed = api.post(BATCH, json={"records": records(customer_id, entitlement)[:1]},
                     headers={"Idempotency-Key": "b-3"})  # fmt: skip
    assert fixed.status_code == 200 and "idempotent-replayed" not in fixed.headers
    assert meter(api, customer_id, entitlement) == before + 1


def test_records_keys_work_inside_a_keyed_batch(api: Api) -> None:
    customer_id, entitlement = a_growth_customer(api)
    before = meter(api, customer_id, entitlement)
    keyed = [{"customer": customer_id, "entitlement": entitlement, "value": 1, "idempotency_key": "rec-1"}]
    first = api.post(BATCH, json={"records": keyed}, headers={"Idempotency-Key": "call-1"})
    assert first.status_code == 200, first.text
    # Another call key, the same record key: the call runs, the record replays its first answer.
    other_call = api.post(BATCH, json={"records": keyed}, headers={"Idempotency-Key": "call-2"})
    assert other_call.status_code == 200 and "idempotent-replayed" not in other_call.headers
    assert other_call.json()["results"] == first.json()["results"]
    unkeyed = api.post(BATCH, json={"records": keyed})
    assert unkeyed.json()["results"] == first.json()["results"]
    assert meter(api, customer_id, entitlement) == before + 1
    # Keys are one namespace per caller: a record under the call's own key is that record's reused key.
    clash = api.post(BATCH, json={"records": [{**keyed[0], "idempotency_key": "call-3"}]},
                     headers={"Idempotency-Key": "call-3"})  # fmt: skip
    assert clash.status_code == 200, clash.text
    assert clash.json()["results"][0]["error"]["code"] == "idempotency_key_reused"
    assert meter(api, customer_id, entitlement) == before + 1


def test_a_batch_key_is_checked(api: Api) -> None:
    customer_id, entitlement = a_growth_customer(api)
    body = {"records": records(customer_id, entitlement)[:1]}
    assert_error(api.post(BATCH, json=body, headers={"Idempotency-Key": "x" * 300}), 422, "invalid_request_error")
    assert_error(api.post(BATCH, json=body, headers={"Idempotency-Key": " "}), 422, "invalid_request_error")
