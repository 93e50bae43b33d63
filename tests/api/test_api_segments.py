"""The segment resources of api.md §4 over both databases."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import Api, assert_error

PRO = 'customer.plan == "growth"'
SIMPLE = [{"type": "plan", "op": "==", "value": "growth"}]


def create(api: Api, name: str = "Pro", **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/segments", json={"name": name, "condition": PRO} | fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_show_list_edit_delete(api: Api) -> None:
    made = create(api, description="paying")
    assert made["id"].startswith("seg_") and made["version"] == 1 and made["mode"] == "advanced"
    assert api.get(f"/v1/segments/{made['id']}").json() == made
    listed = api.get("/v1/segments").json()
    assert listed["object"] == "list" and [s["id"] for s in listed["data"]] == [made["id"]]
    assert listed["has_more"] is False

    edited = api.patch(f"/v1/segments/{made['id']}", json={"condition": 'customer.plan == "free"'}).json()
    assert edited["version"] == 2 and edited["description"] == "paying"
    assert api.patch(f"/v1/segments/{made['id']}", json={"description": None}).json()["description"] is None

    deleted = api.delete(f"/v1/segments/{made['id']}")
    assert deleted.json() == {"object": "segment", "id": made["id"], "deleted": True}
    assert_error(api.get(f"/v1/segments/{made['id']}"), 404, "not_found")


def test_create_from_simple_rows(api: Api) -> None:
    made = create(api, condition=None, simple=SIMPLE)
    assert made["mode"] == "simple" and made["simple"] == SIMPLE and "growth" in made["condition"]


def test_taken_name_is_409(api: Api) -> None:
    create(api)
    assert_error(api.post("/v1/segments", json={"name": "Pro", "condition": "true"}), 409, "conflict",
                 "already_exists")


def test_a_segment_needs_a_condition(api: Api) -> None:
    assert_error(api.post("/v1/segments", json={"name": "x"}), 422, "invalid_request_error")


def test_list_pages_by_keyset(api: Api) -> None:
    ids = [create(api, name=f"s{i}")["id"] for i in range(5)]
    first = api.get("/v1/segments", params={"limit": 2}).json()
    assert [s["id"] for s in first["data"]] == ids[:2] and first["has_more"]
    rest = api.get("/v1/segments", params={"limit": 10, "starting_after": ids[1]}).json()
    assert [s["id"] for s in rest["data"]] == ids[2:] and not rest["has_more"]
    assert_error(api.get("/v1/segments", params={"limit": 0}), 422, "invalid_request_error")
    assert_error(api.get("/v1/segments", params={"limit": 101}), 422, "invalid_request_error")


def test_versions_and_restore(api: Api) -> None:
    made = create(api)
    api.patch(f"/v1/segments/{made['id']}", json={"condition": "true"})
    versions = api.get(f"/v1/segments/{made['id']}/versions").json()["data"]
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["condition"] == PRO
    restored = api.post(f"/v1/segments/{made['id']}/versions/1/restore").json()
    assert restored["version"] == 3 and restored["condition"] == PRO
    assert_error(api.post(f"/v1/segments/{made['id']}/versions/9/restore"), 404, "not_found")


def test_references(api: Api) -> None:
    made = create(api)
    api.post(f"/v1/segments/{made['id']}/toggle-active")
    refs = api.get(f"/v1/segments/{made['id']}/references").json()
    assert refs["segment"] == made["id"] and len(refs["active_for_members"]) == 1
    assert refs["notifications"] == [] and refs["pricing_rules"] == {"test": [], "live": []}


def test_validate(api: Api) -> None:
    assert api.post("/v1/segments/validate", json={"condition": PRO}).json() == {"valid": True, "diagnostics": []}
    checked = api.post("/v1/segments/validate", json={"condition": "customer.plan ==\n (1 + "}).json()
    assert checked["valid"] is False
    first = checked["diagnostics"][0]
    assert first["severity"] == "error" and first["line"] == 2
    assert {"line", "column", "end_line", "end_column", "message"} <= set(first)


def test_simple_to_and_from_stof(api: Api) -> None:
    condition = api.post("/v1/segments/simple/to-stof", json={"simple": SIMPLE}).json()["condition"]
    assert api.post("/v1/segments/simple/from-stof", json={"condition": condition}).json() == {"simple": SIMPLE}
    error = assert_error(api.post("/v1/segments/simple/from-stof", json={"condition": "1 + 1 > 0"}), 422,
                         "invalid_request_error", "not_simple")
    assert error["message"]


def test_templates(api: Api) -> None:
    templates = api.get("/v1/segments/templates").json()["data"]
    assert len(templates) == 6 and {"key", "name", "description", "condition"} <= set(templates[0])


def test_evaluate(api: Api) -> None:
    made = create(api)
    members = api.get(f"/v1/live/segments/{made['id']}/members", params={"limit": 1}).json()["data"]
    customer = members[0]["customer"]
    result = api.post(f"/v1/live/segments/{made['id']}/evaluate", json={"customer_id": customer, "explain": True})
    body = result.json()
    assert body["matched"] is True and body["error"] is None and isinstance(body["steps"], list)
    assert_error(api.post(f"/v1/live/segments/{made['id']}/evaluate", json={"customer_id": "nobody"}), 404,
                 "not_found")


@pytest.mark.parametrize(
    ("condition", "shown"),
    [("5MB", "5MB"), ("Time.now() > 0", True), ("policy", "obj"), ('{"a": 2GB}', None),
     ("[1, 2.5, 3s]", None), ("Time.now()", None)],
)
def test_evaluate_answers_any_value_as_json(api: Api, condition: str, shown: Any) -> None:
    """Whatever a condition returns (units, a time, a host object, containers of them) is answered, never a 500."""
    made = create(api, name=f"value {condition}", condition=condition)
    customer = api.get("/v1/live/customers", params={"limit": 1}).json()["data"][0]["id"]
    for explain in (False, True):
        response = api.post(f"/v1/live/segments/{made['id']}/evaluate", json={"customer_id": customer,
                                                                             "explain": explain})
        assert response.status_code == 200, response.text
        answer = response.json()
        if shown is not None:
            assert answer["value"] == shown
        assert answer["error"] is None


def test_members_count_and_paging(api: Api) -> None:
    made = create(api, condition="true")
    count = api.get(f"/v1/test/segments/{made['id']}/count").json()
    assert count["count"] == 20 and count["path"] in ("sql", "stream") and count["errors"] == 0
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 7} | ({"starting_after": after} if after else {})
        page = api.get(f"/v1/test/segments/{made['id']}/members", params=params).json()
        seen += [m["id"] for m in page["data"]]
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    assert len(seen) == 20 == len(set(seen)) and seen == sorted(seen)
    assert api.get(f"/v1/test/segments/{made['id']}/members", params={"limit": 1000}).status_code == 200
    expanded = api.get(f"/v1/test/segments/{made['id']}/members", params={"limit": 15, "expand": "customer"}).json()
    assert [m["id"] for m in expanded["data"]] == seen[:15] and expanded["has_more"]
    assert all(m["customer"]["id"] == m["id"] and "plan" in m["customer"] for m in expanded["data"])
    assert_error(api.get(f"/v1/test/segments/{made['id']}/members", params={"limit": 1001}), 422,
                 "invalid_request_error")


def test_preview_and_change_preview(api: Api) -> None:
    preview = api.post("/v1/live/segments/preview", json={"condition": "true", "sample": 3}).json()
    assert preview["count"] == 60 and len(preview["sample"]) == 3
    by_rows = api.post("/v1/live/segments/preview", json={"simple": SIMPLE}).json()
    made = create(api)
    assert by_rows["count"] == api.get(f"/v1/live/segments/{made['id']}/count").json()["count"]
    change = api.post(f"/v1/live/segments/{made['id']}/change-preview", json={"condition": "true"}).json()
    assert change["entering"]["count"] == 60 - by_rows["count"] and change["leaving"]["count"] == 0
    assert_error(api.post("/v1/live/segments/preview", json={"condition": "(("}), 422, "invalid_request_error",
                 "condition_invalid")
    assert_error(api.post("/v1/live/segments/preview", json={}), 422, "invalid_request_error")


def test_active_segment(api: Api) -> None:
    made = create(api)
    assert api.get("/v1/me/active-segment").json() == {"object": "active_segment", "segment": None}
    assert api.put("/v1/me/active-segment", json={"segment": made["id"]}).json()["segment"]["id"] == made["id"]
    assert api.post(f"/v1/segments/{made['id']}/toggle-active").json()["segment"] is None
    assert api.post(f"/v1/segments/{made['id']}/toggle-active").json()["segment"]["id"] == made["id"]
    assert api.delete("/v1/me/active-segment").json()["segment"] is None
    assert_error(api.put("/v1/me/active-segment", json={"segment": "seg_nope"}), 404, "not_found")


@pytest.mark.parametrize("force", [False, True])
def test_delete_accepts_force(api: Api, force: bool) -> None:
    made = create(api)
    response = api.delete(f"/v1/segments/{made['id']}", params={"force": str(force).lower()})
    assert response.status_code == 200
