"""The OpenAPI document is the contract clients are generated from: stable, complete, and snapshotted.

On a deliberate change, regenerate the snapshot with
``.venv/bin/python -m segmentr.api.snapshot tests/api/openapi.json`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from api_helpers import Api

from segmentr.api.snapshot import document, snapshot_text

SNAPSHOT = Path(__file__).with_name("openapi.json")
REGENERATE = "python -m segmentr.api.snapshot tests/api/openapi.json"


def test_schema_matches_the_committed_snapshot() -> None:
    assert SNAPSHOT.read_text(encoding="utf-8") == snapshot_text(), (
        f"the OpenAPI document changed: if on purpose, run `{REGENERATE}` and commit the diff"
    )


def test_every_operation_has_an_id_a_tag_and_declared_errors() -> None:
    operations = [op for methods in document()["paths"].values() for op in methods.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    for op in operations:
        assert op["tags"], op["operationId"]
        if op["operationId"] == "health":
            continue
        for status in ("401", "422", "500"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorObject"}, (op["operationId"], status)


def test_every_post_declares_the_idempotency_key_header() -> None:
    """api.md §3: every POST honours ``Idempotency-Key`` (routes keyed in their service declare it themselves)."""
    for path, methods in document()["paths"].items():
        if "post" in methods:
            headers = [p["name"] for p in methods["post"].get("parameters", []) if p["in"] == "header"]
            assert "Idempotency-Key" in headers, path


def test_no_fastapi_default_validation_error_schema() -> None:
    text = json.dumps(document())
    assert "HTTPValidationError" not in text


def test_served_at_openapi_json_and_docs(api: Api) -> None:
    assert api.get("/openapi.json").json() == document()
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
