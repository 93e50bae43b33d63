"""The one error shape (api.md §3) for every kind of failure, and the edge's limits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from api_helpers import Api, assert_error, in_process

from segmentr.api import create_app
from segmentr.store import Store


def test_every_response_has_a_request_id(api: Api) -> None:
    ids = {api.get("/healthz").headers["request-id"], api.get("/nope").headers["request-id"]}
    assert len(ids) == 2 and all(i.startswith("req_") for i in ids)


def test_every_response_says_the_server_s_time(api: Api) -> None:
    for response in (api.get("/healthz"), api.get("/nope"), api.post("/v1/segments/validate", json={"condition": "true"})):
        name, _, duration = response.headers["server-timing"].partition(";dur=")
        assert name == "app" and 0 <= float(duration) < 10_000


def test_unknown_path_is_404_in_the_error_shape(api: Api) -> None:
    assert_error(api.get("/v1/nothing-here"), 404, "not_found", "unknown_path")


def test_wrong_method_is_405_in_the_error_shape(api: Api) -> None:
    assert_error(api.put("/healthz"), 405, "invalid_request_error", "method_not_allowed")


def test_invalid_json_is_400(api: Api) -> None:
    response = api.post("/v1/segments", content=b'{"name": ', headers={"content-type": "application/json"})
    assert_error(response, 400, "invalid_request_error", "invalid_json")


def test_unknown_field_is_422_naming_it(api: Api) -> None:
    error = assert_error(api.post("/v1/segments", json={"name": "x", "condtion": "true"}), 422,
                         "invalid_request_error", "parameter_unknown")
    assert error["param"] == "condtion"


def test_wrong_type_is_422_naming_the_field(api: Api) -> None:
    error = assert_error(api.post("/v1/segments", json={"name": 5, "condition": "true"}), 422,
                         "invalid_request_error", "parameter_invalid")
    assert error["param"] == "name"


def test_nested_field_is_named_with_its_position(api: Api) -> None:
    body = {"name": "x", "simple": [{"type": "plan", "op": "==", "value": "pro"}, {"type": "plan", "op": "~"}]}
    error = assert_error(api.post("/v1/segments", json=body), 422, "invalid_request_error")
    assert error["param"].startswith("simple[1]")


def test_missing_field_is_422(api: Api) -> None:
    error = assert_error(api.post("/v1/segments/validate", json={}), 422, "invalid_request_error",
                         "parameter_missing")
    assert error["param"] == "condition"


@pytest.mark.parametrize("where", ["name", "condition", "description"])
def test_nul_characters_are_refused_naming_the_field(api: Api, where: str) -> None:
    body = {"name": "n", "condition": "true", "description": "d"} | {where: "a\x00b"}
    error = assert_error(api.post("/v1/segments", json=body), 422, "invalid_request_error")
    assert error["param"] == where
    assert api.get("/v1/segments").json()["data"] == []


def test_nul_in_a_query_parameter_is_refused(api: Api) -> None:
    error = assert_error(api.get("/v1/segments", params={"starting_after": "a\x00"}), 422,
                         "invalid_request_error")
    assert error["param"] == "starting_after"


def test_body_over_1_mib_is_413_from_its_length(api: Api) -> None:
    body = json.dumps({"condition": "x" * (1024 * 1024)})
    assert_error(api.post("/v1/segments/validate", content=body, headers={"content-type": "application/json"}),
                 413, "invalid_request_error", "body_too_large")


def test_streamed_body_over_1_mib_is_413_without_a_length(api: Api) -> None:
    chunks_sent = []

    async def chunks():
        for _ in range(40):  # 40 x 64 KiB = 2.5 MiB, no Content-Length
            chunks_sent.append(1)
            yield b" " * 65536

    response = api.post("/v1/segments/validate", content=chunks(), headers={"content-type": "application/json"})
    assert_error(response, 413, "invalid_request_error", "body_too_large")


def test_unknown_environment_is_404(api: Api) -> None:
    error = assert_error(api.post("/v1/prod/segments/preview", json={"condition": "true"}), 404, "not_found")
    assert error["param"] == "environment"


def test_condition_syntax_errors_come_with_diagnostics(api: Api) -> None:
    error = assert_error(api.post("/v1/segments", json={"name": "bad", "condition": "customer.plan ==\n  (1 +"}),
                         422, "invalid_request_error", "condition_invalid")
    assert error["diagnostics"] and error["diagnostics"][0]["line"] == 2
    assert {"line", "column", "message"} <= set(error["diagnostics"][0])


def test_an_unexpected_error_is_500_api_error_without_internals(store: Store) -> None:
    app = create_app(store=store)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    with in_process(app) as api:
        response = api.get("/boom")
    assert_error(response, 500, "api_error", "internal_error")
    assert "secret" not in response.text and "passwd" not in response.text


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    from segmentr.service import Services, Store

    store = Store(f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    store.init()
    with in_process(create_app(services=Services(store))) as api:
        assert api.get("/healthz").json() == {"status": "ok", "database": "ok"}
        store.close()
        shutil.rmtree(tmp_path / "gone")
        response = api.get("/healthz")
    assert response.status_code == 503 and response.json() == {"status": "degraded", "database": "unavailable"}
