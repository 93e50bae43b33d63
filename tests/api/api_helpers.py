"""What the API tests share: a synchronous face over the in-process httpx client, and the error-shape check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio.from_thread
import httpx

__all__ = ["Api", "assert_error", "in_process"]


class Api:
    """A synchronous face over ``httpx.AsyncClient(transport=ASGITransport(app))`` for plain test functions."""

    def __init__(self, portal: Any, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client
        self.headers: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self._portal.call(lambda: self._client.request(method, url, headers=headers, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


def assert_error(response: httpx.Response, status: int, type: str, code: str | None = None) -> dict[str, Any]:
    """The response is api.md §3's error object with this status, type (and code); returns the error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["type"] == type, error
    if code is not None:
        assert error["code"] == code, error
    assert error["request_id"] == response.headers["request-id"]
    assert {"type", "code", "message", "param", "request_id"} <= set(error)
    return dict(error)


@contextmanager
def in_process(app: Any) -> Iterator[Api]:
    """The application called through httpx's ``ASGITransport`` from a blocking portal (no socket)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with anyio.from_thread.start_blocking_portal() as portal:
        client = httpx.AsyncClient(transport=transport, base_url="http://segmentr.test")
        try:
            yield Api(portal, client)
        finally:
            portal.call(client.aclose)
