"""Customers, usage, entitlements, topups, import/export and the policy over both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_helpers import Api, assert_error

from segmentr.sample import sample_policy

NEW = {"id": "cus_new", "plan": "growth", "label": "New Co", "metadata": {"email": "ops@new.example"}}


def a_customer(api: Api, env: str = "live", **params: Any) -> dict[str, Any]:
    return dict(api.get(f"/v1/{env}/customers", params={"limit": 1, **params}).json()["data"][0])


def an_entitlement(api: Api, customer: dict[str, Any]) -> str:
    plan = sample_policy()["policy"]["plans"][customer["plan"]]
    return str(next(iter(plan["entitlements"])))


def test_list_pages_and_filters(api: Api) -> None:
    first = api.get("/v1/live/customers", params={"limit": 25}).json()
    assert first["object"] == "list" and len(first["data"]) == 25 and first["has_more"]
    rest = api.get("/v1/live/customers", params={"limit": 100, "starting_after": first["data"][-1]["id"]}).json()
    ids = [c["id"] for c in first["data"] + rest["data"]]
    assert len(ids) == 60 == len(set(ids)) and ids == sorted(ids)
    growth = api.get("/v1/live/customers", params={"plan": "growth", "limit": 100}).json()["data"]
    assert growth and all(c["plan"] == "growth" for c in growth)
    segment = api.post("/v1/segments", json={"name": "G", "condition": 'customer.plan == "growth"'}).json()
    by_segment = api.get("/v1/live/customers", params={"segment": segment["id"], "limit": 100}).json()["data"]
    assert [c["id"] for c in by_segment] == [c["id"] for c in growth]
    api.put("/v1/me/active-segment", json={"segment": segment["id"]})
    active = api.get("/v1/live/customers", params={"active_segment": "true", "limit": 100}).json()["data"]
    assert [c["id"] for c in active] == [c["id"] for c in growth]
    prefix = ids[0][:6]
    assert all(c["id"].startswith(prefix) or True for c in api.get("/v1/live/customers", params={"q": prefix}).json()["data"])


def test_create_replace_show_patch_delete(api: Api) -> None:
    created = api.post("/v1/live/customers", json=NEW)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["object"] == "customer" and body["plan"] == "growth" and body["cloud_created"]
    replaced = api.post("/v1/live/customers", json={**NEW, "label": "Renamed"})
    assert replaced.status_code == 200 and replaced.json()["label"] == "Renamed"
    assert replaced.json()["cloud_created"] == body["cloud_created"]
    shown = api.get("/v1/live/customers/cus_new").json()
    assert shown["label"] == "Renamed" and "margin" in shown
    patched = api.patch("/v1/live/customers/cus_new", json={"plan": "starter", "metadata": {"tier": 2}}).json()
    assert patched["plan"] == "starter" and patched["metadata"] == {"tier": 2}
    assert_error(api.get("/v1/test/customers/cus_new"), 404, "not_found")  # environments are apart
    assert api.delete("/v1/live/customers/cus_new").json()["deleted"] is True
    assert_error(api.get("/v1/live/customers/cus_new"), 404, "not_found")


def test_bad_customers_are_refused_naming_the_field(api: Api) -> None:
    error = assert_error(api.post("/v1/live/customers", json={**NEW, "metadata": "x"}), 422, "invalid_request_error")
    assert error["param"] == "metadata"
    error = assert_error(api.post("/v1/live/customers", json={**NEW, "colour": "red"}), 422, "invalid_request_error",
                         "parameter_unknown")
    assert error["param"] == "colour"
    error = assert_error(api.post("/v1/live/customers", json={**NEW, "metadata": {"k": "a\x00"}}), 422,
                         "invalid_request_error")
    assert error["param"] == "metadata"
    assert_error(api.patch("/v1/live/customers/cus_nobody", json={"plan": "growth"}), 404, "not_found")


def test_usage_meters_and_check_does_not(api: Api) -> None:
    customer = a_customer(api, plan="growth")
    entitlement = an_entitlement(api, customer)
    path = f"/v1/live/customers/{customer['id']}"
    before = api.get(f"{path}/entitlements/{entitlement}").json()
    checked = api.post(f"{path}/usage/check", json={"entitlement": entitlement, "value": 1}).json()
    assert checked["object"] == "usage" and checked["value"] == before["value"]
    used = api.post(f"{path}/usage", json={"entitlement": entitlement, "value": 1}).json()
    assert used["allowed"] is True and used["value"] == (before["value"] or 0) + 1
    after = api.get(f"{path}/entitlements/{entitlement}").json()
    assert after["value"] == used["value"] and set(after) >= {"entitlement", "limit", "value", "percent", "remaining"}


def test_usage_of_unknown_customer_or_entitlement(api: Api) -> None:
    customer = a_customer(api)
    assert_error(api.post("/v1/live/customers/cus_nobody/usage", json={"entitlement": "x", "value": 1}), 404,
                 "not_found")
    error = assert_error(api.post(f"/v1/live/customers/{customer['id']}/usage",
                                  json={"entitlement": "no_such_thing", "value": 1}), 422, "invalid_request_error")
    assert error["param"] == "entitlement"
    assert_error(api.post(f"/v1/live/customers/{customer['id']}/usage", json={"entitlement": "x", "value": [1]}),
                 422, "invalid_request_error")


NON_FINITE = [
    b'"value":NaN', b'"value":Infinity', b'"value":-Infinity', b'"value":1e999', b'"value":"1e999"',
    b'"value":"NaN"', b'"value":1,"overhead":NaN', b'"value":1,"event_data":{"x":NaN}',
    b'"value":1,"event_data":{"deep":[1,-Infinity]}',
]


@pytest.mark.parametrize("tail", NON_FINITE, ids=[t.decode() for t in NON_FINITE])
def test_non_finite_usage_is_refused_and_the_customer_stays_readable(api: Api, tail: bytes) -> None:
    """NaN and the infinities are not JSON: stored in a meter they made the customer's row unreadable."""
    customer = a_customer(api, plan="growth")
    entitlement = an_entitlement(api, customer)
    path = f"/v1/live/customers/{customer['id']}"
    body = b'{"entitlement":"' + entitlement.encode() + b'",' + tail + b"}"
    for route in ("usage", "usage/check"):
        if route == "usage/check" and b"event_data" in tail:
            continue  # check takes no event data
        response = api.post(f"{path}/{route}", content=body, headers={"Content-Type": "application/json"})
        assert_error(response, 422, "invalid_request_error")
    batch = b'{"records":[{"customer":"' + customer["id"].encode() + b'","entitlement":"' + entitlement.encode() + \
        b'",' + tail.replace(b'"overhead":NaN', b'"event_data":{"o":NaN}') + b"}]}"
    response = api.post("/v1/live/usage/batch", content=batch, headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert "error" in response.json()["results"][0]
    assert api.get(path).status_code == 200
    assert api.get("/v1/live/customers", params={"limit": 100}).status_code == 200
    assert api.post(f"{path}/usage", json={"entitlement": entitlement, "value": 1}).status_code == 200


def test_usage_idempotency_replays_and_refuses_another_body(api: Api) -> None:
    customer = a_customer(api, plan="growth")
    entitlement = an_entitlement(api, customer)
    path = f"/v1/live/customers/{customer['id']}"
    headers = {"Idempotency-Key": "use-1"}
    first = api.post(f"{path}/usage", json={"entitlement": entitlement, "value": 2}, headers=headers)
    again = api.post(f"{path}/usage", json={"entitlement": entitlement, "value": 2}, headers=headers)
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert api.get(f"{path}/entitlements/{entitlement}").json()["value"] == first.json()["value"]
    other = api.post(f"{path}/usage", json={"entitlement": entitlement, "value": 3}, headers=headers)
    assert_error(other, 409, "conflict", "idempotency_key_reused")


def test_batch_answers_each_record_in_order(api: Api) -> None:
    customer = a_customer(api, plan="growth")
    entitlement = an_entitlement(api, customer)
    records = [
        {"customer": customer["id"], "entitlement": entitlement, "value": 1, "idempotency_key": "b-1"},
        {"customer": "cus_nobody", "entitlement": entitlement, "value": 1},
        {"customer": customer["id"], "entitlement": entitlement, "value": 1},
    ]
    results = api.post("/v1/live/usage/batch", json={"records": records}).json()["results"]
    assert results[0]["object"] == "usage" and results[2]["object"] == "usage"
    assert results[1]["error"]["type"] == "not_found"
    assert results[2]["value"] == results[0]["value"] + 1
    replay = api.post("/v1/live/usage/batch", json={"records": records[:1]}).json()["results"]
    assert replay[0] == results[0]
    too_many = {"records": [records[0]] * 1001}
    assert_error(api.post("/v1/live/usage/batch", json=too_many), 422, "invalid_request_error")


def test_batch_answers_have_the_documented_shape(api: Api) -> None:
    """The batch writes its own JSON: numbers as the models' floats (an integral meter read back is ``1.0``),
    events as the single call answers them, and a failed record's error in api.md §3's shape."""
    meter = {"credit": "seat", "started": 1_764_000_000_000, "value": 1}  # stored as the integer 1
    created = api.post("/v1/live/customers", json={"id": "cus_batch_shape", "plan": "free", "meters": {"seats": meter}})
    assert created.status_code == 201, created.text
    records = [
        {"customer": "cus_batch_shape", "entitlement": "seats", "value": 5},  # hard limit 1: denied, meter kept
        {"customer": "cus_batch_shape", "entitlement": "nope", "value": 1},
    ]
    response = api.post("/v1/live/usage/batch", json={"records": records})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"object", "results"} and body["object"] == "usage_batch"
    denied, failed = body["results"]
    assert set(denied) == {"object", "allowed", "value", "limit", "remaining", "events"}
    assert denied["object"] == "usage" and denied["allowed"] is False
    assert [type(denied[k]) for k in ("value", "limit", "remaining")] == [float, float, float]
    assert denied["value"] == 1.0 and [e["type"] for e in denied["events"]] == ["meter-limit"]
    check = api.post("/v1/live/customers/cus_batch_shape/usage/check", json={"entitlement": "seats", "value": 5})
    assert {k: check.json()[k] for k in ("allowed", "value", "limit", "remaining")} == {
        k: denied[k] for k in ("allowed", "value", "limit", "remaining")}
    error = failed["error"]
    assert set(failed) == {"error"} and error["type"] == "invalid_request_error" and error["param"] == "entitlement"
    assert {"type", "code", "message", "param", "request_id"} <= set(error)
    assert error["request_id"] == response.headers["request-id"]
    assert error["diagnostics"][0]["field"] == "entitlement"


def test_topup_and_margin(api: Api) -> None:
    policy = sample_policy()["policy"]
    plan, topup = next((name, next(iter(p["topups"]))) for name, p in policy["plans"].items() if p.get("topups"))
    customer = a_customer(api, plan=plan)
    answer = api.post(f"/v1/live/customers/{customer['id']}/topups", json={"topup": topup})
    assert answer.status_code == 200, answer.text
    assert answer.json()["topup"] == topup
    assert_error(api.post(f"/v1/live/customers/{customer['id']}/topups", json={"topup": "nope"}), 422,
                 "invalid_request_error")
    assert api.get(f"/v1/live/customers/{customer['id']}/margin").status_code == 200


def test_import_and_export_round_trip(api: Api) -> None:
    lines = "\n".join(json.dumps({"id": f"imp_{i}", "plan": "growth"}) for i in range(5)) + "\n"
    imported = api.post("/v1/test/customers/import", content=lines, headers={"content-type": "application/x-ndjson"})
    assert imported.status_code == 200, imported.text
    assert imported.json()["count"] == 5
    exported = api.get("/v1/test/customers/export")
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    ids = [json.loads(line)["id"] for line in exported.text.splitlines()]
    assert {f"imp_{i}" for i in range(5)} <= set(ids) and len(ids) == 25
    csv = api.get("/v1/test/customers/export", params={"format": "csv"})
    assert csv.text.splitlines()[0].startswith("id")
    bad = api.post("/v1/test/customers/import", content='{"id": "x"}\n{oops\n',
                   headers={"content-type": "application/x-ndjson"})
    assert_error(bad, 422, "invalid_request_error")
    assert api.get("/v1/test/customers/x").status_code == 404  # all or nothing


def test_import_over_10_mib_is_413(api: Api) -> None:
    body = b"{}\n" * (4 * 1024 * 1024)  # 12 MiB
    assert_error(api.post("/v1/test/customers/import", content=body), 413, "invalid_request_error", "body_too_large")


def test_policy_versions_and_restore(api: Api) -> None:
    current = api.get("/v1/test/policy").json()
    assert current["object"] == "policy" and current["version"] == 1
    changed = {**current["document"], "description": "v2"}
    saved = api.put("/v1/test/policy", json=changed)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2
    assert [v["version"] for v in api.get("/v1/test/policy/versions").json()["data"]] == [1, 2]
    assert api.get("/v1/test/policy/versions/1").json()["document"] == current["document"]
    restored = api.post("/v1/test/policy/versions/1/restore").json()
    assert restored["version"] == 3 and restored["document"] == current["document"]
    bad = api.put("/v1/test/policy", json={"plans": {"x": {"entitlements": {"e": {"limit": "lots"}}}}})
    error = assert_error(bad, 422, "invalid_request_error")
    assert error["diagnostics"]


@pytest.mark.parametrize("path", ["/v1/live/customers/cus_nobody", "/v1/live/customers/cus_nobody/margin"])
def test_unknown_customer_is_404(api: Api, path: str) -> None:
    assert_error(api.get(path), 404, "not_found")


def test_concurrent_calls_with_one_key_meter_once(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    customer = a_customer(api, plan="growth")
    entitlement = an_entitlement(api, customer)
    path = f"/v1/live/customers/{customer['id']}"
    before = api.get(f"{path}/entitlements/{entitlement}").json()["value"] or 0

    def call(_: int) -> int:
        response = api.post(f"{path}/usage", json={"entitlement": entitlement, "value": 1},
                            headers={"Idempotency-Key": "same-key"})  # fmt: skip
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(8)))
    assert set(statuses) <= {200, 409} and 200 in statuses
    assert api.get(f"{path}/entitlements/{entitlement}").json()["value"] == before + 1
