"""What the API tests share: a synchronous face over the in-process httpx client, and the error-shape check."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import httpx
from argon2 import PasswordHasher

__all__ = ["FAST_HASHER", "OWNER_PASSWORD", "Api", "Server", "assert_error", "free_port", "in_process", "run_async"]

T = TypeVar("T")

# argon2 at its cheapest: the tests check behaviour, not the hash's cost
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
OWNER_PASSWORD = "correct horse battery staple"


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


class Server:
    """A real ``segmentr serve`` process on 127.0.0.1 and a free port, over ``database_url``."""

    def __init__(self, database_url: str, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.workers = workers
        self.env = env or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        handle, name = tempfile.mkstemp(prefix="segmentr-serve-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)

    def start(self, timeout: float = 30.0) -> Server:
        env = {**os.environ, "SEGMENTR_DATABASE_URL": self.database_url, **self.env}
        segmentr = str(Path(sys.executable).with_name("segmentr"))
        command = [segmentr, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"segmentr serve exited {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"segmentr serve did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown at all (the crash test)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # the server and any worker processes it started
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait: a graceful shutdown; returns the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_async(function: Callable[[], Awaitable[T]], timeout: float = 60) -> T:
    """``anyio.run(function)`` in a thread of its own: the browser tests' sync Playwright may hold an event loop
    in this worker's main thread (the suite runs files side by side on several workers)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, function).result(timeout=timeout)
