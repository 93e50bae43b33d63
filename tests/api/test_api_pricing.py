"""Pricing rules over HTTP (api.md §4) on both databases: CRUD with versions, 409 ``priority_taken``, targets
checked against the policy, the explained price, customers' price overrides, topups priced effectively, and a
referenced segment's delete (409 ``segment_in_use`` unless forced, then ``segment_deleted``)."""

from __future__ import annotations

from typing import Any

from api_helpers import Api, assert_error

from segmentr.service import Actor, SegmentInput, Services


def _growth_customer(api: Api) -> str:
    found = api.get("/v1/live/customers", params={"plan": "growth", "limit": 1}).json()["data"]
    return str(found[0]["id"])


def _segment(services: Services, owner: Actor, name: str = "Growth",
             condition: str = 'customer.plan == "growth"') -> str:
    return services.segments(owner).create(SegmentInput(name=name, condition=condition)).id


def _rule_body(segment: str, priority: int = 10, **fields: Any) -> dict[str, Any]:
    return {"name": "Growth discount", "segment": segment, "priority": priority,
            "overrides": {"credit:api_request": {"amount": 0.0002}, "topup:tokens_1m": {"amount": 9}}, **fields}


def test_rules_crud_versions_and_conflicts(api: Api, services: Services, owner: Actor) -> None:
    segment = _segment(services, owner)
    created = api.post("/v1/live/pricing-rules", json=_rule_body(segment))
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["object"] == "pricing_rule" and rule["id"].startswith("prr_")
    assert rule["segment"] == segment and rule["priority"] == 10 and rule["enabled"] is True
    assert rule["supersedes"] is None and rule["segment_deleted"] is False and rule["version"] == 1
    assert rule["overrides"]["credit:api_request"] == {"amount": 0.0002}
    taken = api.post("/v1/live/pricing-rules", json=_rule_body(segment, name="Other"))
    assert assert_error(taken, 409, "conflict", "priority_taken")
    unknown = api.post("/v1/live/pricing-rules", json={
        **_rule_body(segment, priority=11), "overrides": {"credit:nope": {"amount": 1}}})
    error = assert_error(unknown, 422, "invalid_request_error", "pricing_invalid")
    assert error["param"] == "overrides.credit:nope" and "'nope'" in error["message"]
    bad_shape = api.post("/v1/live/pricing-rules", json={**_rule_body(segment, priority=12), "priority": "high"})
    assert_error(bad_shape, 422, "invalid_request_error")
    assert [r["id"] for r in api.get("/v1/live/pricing-rules").json()["data"]] == [rule["id"]]
    assert api.get("/v1/test/pricing-rules").json()["data"] == []
    assert_error(api.get(f"/v1/test/pricing-rules/{rule['id']}"), 404, "not_found")
    patched = api.patch(f"/v1/live/pricing-rules/{rule['id']}",
                        json={"supersedes": "customer-overrides", "priority": 5})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert patched.json()["supersedes"] == "customer-overrides"
    assert_error(api.patch(f"/v1/live/pricing-rules/{rule['id']}", json={"segment_deleted": False}), 422,
                 "invalid_request_error")
    assert api.get(f"/v1/live/pricing-rules/{rule['id']}").json()["priority"] == 5
    assert api.delete(f"/v1/live/pricing-rules/{rule['id']}").json() == {
        "object": "pricing_rule", "id": rule["id"], "deleted": True}
    assert_error(api.get(f"/v1/live/pricing-rules/{rule['id']}"), 404, "not_found")
    versions = api.get(f"/v1/live/pricing-rules/{rule['id']}/versions").json()["data"]
    assert [(v["version"], v["action"]) for v in versions] == [(1, "created"), (2, "updated"), (3, "deleted")]
    assert versions[1]["fields"]["priority"] == 5 and versions[0]["changed_by"]
    assert_error(api.get("/v1/live/pricing-rules/prr_nope/versions"), 404, "not_found")


def test_rule_lists_are_keyset_paged(api: Api, services: Services, owner: Actor) -> None:
    segment = _segment(services, owner)
    ids = [api.post("/v1/live/pricing-rules", json=_rule_body(segment, priority=p, name=f"r{p}")).json()["id"]
           for p in (30, 10, 20)]
    first = api.get("/v1/live/pricing-rules", params={"limit": 2}).json()
    assert [r["priority"] for r in first["data"]] == [10, 20] and first["has_more"]
    rest = api.get("/v1/live/pricing-rules", params={"limit": 2, "starting_after": first["data"][-1]["id"]}).json()
    assert [r["id"] for r in rest["data"]] == [ids[0]] and not rest["has_more"]


def test_the_explained_price_and_price_overrides(api: Api, services: Services, owner: Actor) -> None:
    customer = _growth_customer(api)
    base = api.get(f"/v1/live/customers/{customer}/prices/credit:api_request").json()
    assert base["object"] == "price" and base["source"] == {"kind": "policy"}
    assert base["price"] == {"amount": 0.0005} and base["considered"] == []
    put = api.put(f"/v1/live/customers/{customer}/price-overrides", json={"credit:api_request": {"amount": 0.0003}})
    assert put.status_code == 200 and put.json()["overrides"] == {"credit:api_request": {"amount": 0.0003}}
    assert api.get(f"/v1/live/customers/{customer}/price-overrides").json()["overrides"] == put.json()["overrides"]
    own = api.get(f"/v1/live/customers/{customer}/prices/credit:api_request").json()
    assert own["source"] == {"kind": "customer_override"} and own["price"] == {"amount": 0.0003}
    segment = _segment(services, owner)
    rule = api.post("/v1/live/pricing-rules", json=_rule_body(segment)).json()
    still_own = api.get(f"/v1/live/customers/{customer}/prices/credit:api_request").json()
    assert still_own["source"]["kind"] == "customer_override"
    assert still_own["considered"] == [{"rule": {"id": rule["id"], "name": "Growth discount", "priority": 10,
                                                 "segment": segment, "supersedes": None},
                                        "matched": True, "overrides_target": True, "why": "outranked"}]
    api.patch(f"/v1/live/pricing-rules/{rule['id']}", json={"supersedes": "customer-overrides"})
    ruled = api.get(f"/v1/live/customers/{customer}/prices/credit:api_request").json()
    assert ruled["source"]["kind"] == "rule" and ruled["source"]["rule"]["id"] == rule["id"]
    assert ruled["price"] == {"amount": 0.0002} and ruled["considered"][0]["why"] == "applied"
    bad = api.put(f"/v1/live/customers/{customer}/price-overrides", json={"topup:nope": {"amount": 1}})
    assert assert_error(bad, 422, "invalid_request_error", "pricing_invalid")["param"] == "topup:nope"
    assert_error(api.get(f"/v1/live/customers/{customer}/prices/nope"), 422, "invalid_request_error")
    assert_error(api.get("/v1/live/customers/nobody/prices/credit:api_request"), 404, "not_found")
    assert_error(api.put("/v1/live/customers/nobody/price-overrides", json={}), 404, "not_found")
    cleared = api.put(f"/v1/live/customers/{customer}/price-overrides", json={})
    assert cleared.json()["overrides"] == {}


def test_topups_and_margins_are_priced_effectively(api: Api, services: Services, owner: Actor) -> None:
    customer = _growth_customer(api)
    before = api.post(f"/v1/live/customers/{customer}/topups", json={"topup": "tokens_1m"}).json()
    assert before["price"] == {"amount": 15}
    api.post("/v1/live/pricing-rules", json=_rule_body(_segment(services, owner)))
    after = api.post(f"/v1/live/customers/{customer}/topups", json={"topup": "tokens_1m"})
    assert after.status_code == 200 and after.json()["price"] == {"amount": 9}
    margin = api.get(f"/v1/live/customers/{customer}/margin").json()
    assert margin == services.customers(owner).margin("live", customer)
    assert api.get(f"/v1/live/customers/{customer}").json()["margin"] == margin


def test_a_referenced_segment_is_refused_then_forced(api: Api, services: Services, owner: Actor) -> None:
    segment = _segment(services, owner)
    rule = api.post("/v1/test/pricing-rules", json=_rule_body(segment)).json()
    references = api.get(f"/v1/segments/{segment}/references").json()
    assert references["pricing_rules"] == {
        "test": [{"id": rule["id"], "name": "Growth discount", "priority": 10}], "live": []}
    assert references["references"] == [{"type": "pricing_rule", "environment": "test", "id": rule["id"],
                                         "name": "Growth discount", "priority": 10}]
    refused = assert_error(api.delete(f"/v1/segments/{segment}"), 409, "conflict", "segment_in_use")
    assert refused["references"] == references["references"]
    assert api.get(f"/v1/segments/{segment}").status_code == 200
    assert api.delete(f"/v1/segments/{segment}", params={"force": "true"}).status_code == 200
    flagged = api.get(f"/v1/test/pricing-rules/{rule['id']}").json()
    assert flagged["segment_deleted"] is True
    customer = api.get("/v1/test/customers", params={"plan": "growth", "limit": 1}).json()["data"][0]["id"]
    price = api.get(f"/v1/test/customers/{customer}/prices/credit:api_request").json()
    assert price["source"] == {"kind": "policy"} and price["considered"][0]["why"] == "segment_deleted"
