"""``segmentr serve`` as a real uvicorn server on 127.0.0.1: first start on a fresh embedded database, the API
over a socket, graceful shutdown."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_helpers import Server


def test_serve_initialises_a_fresh_sqlite_file_and_answers(tmp_path: Path) -> None:
    database = tmp_path / "new" / "segmentr.db"
    with Server(f"sqlite:///{database}") as server:
        assert database.exists()
        health = httpx.get(f"{server.base_url}/healthz")
        assert health.json() == {"status": "ok", "database": "ok"} and health.headers["request-id"]
        missing = httpx.get(f"{server.base_url}/v1/nothing")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
        assert httpx.get(f"{server.base_url}/openapi.json").json()["info"]["title"] == "segmentr"
        # SIGTERM: uvicorn finishes in-flight requests, runs the shutdown, then re-raises the signal
        assert server.stop() in (0, -15)
        assert "Application shutdown complete" in server.output()
