"""A lean HTTP/1.1 keep-alive client for generating load on loopback.

The benchmarks run the server and its load on the same two cores, so the client's own CPU is taken from the
server: httpx costs ~1.5 ms of CPU per call there (more than the PostgreSQL backend's share). This client writes
the request line and headers itself and reads ``Content-Length`` (or chunked) answers, ~10x cheaper, so the
figures say what the server can do. It is for benchmarks only: no TLS, no redirects, no proxies, one connection
per client, reopened when the server closes it.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = ["Answer", "KeepAliveClient"]


class Answer:
    """A response: its status, headers (lower-case names) and body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        return orjson.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self.content[:300]!r}")


class KeepAliveClient:
    """``post``/``get`` over one kept-alive connection to ``base_url`` (``http://host:port``)."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._timeout = timeout
        host = f"Host: {self._address[0]}:{self._address[1]}\r\n"
        self._fixed = host + "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        self._sock: socket.socket | None = None
        self._buffer = b""

    def __enter__(self) -> KeepAliveClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def post(self, path: str, *, json: Any = None, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, json=json, headers=headers)

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def request(self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None) -> Answer:
        body = orjson.dumps(json) if json is not None else b""
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        typed = "Content-Type: application/json\r\n" if json is not None else ""
        head = f"{method} {path} HTTP/1.1\r\n{self._fixed}{extra}{typed}Content-Length: {len(body)}\r\n\r\n"
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: reopen once
            if self._sock is None:
                self._sock = socket.create_connection(self._address, timeout=self._timeout)
                self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._buffer = b""
            try:
                self._sock.sendall(head.encode("latin-1") + body)
                return self._read()
            except (ConnectionError, EOFError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _receive(self) -> None:
        assert self._sock is not None
        chunk = self._sock.recv(65536)
        if not chunk:
            raise EOFError("the server closed the connection")
        self._buffer += chunk

    def _read(self) -> Answer:
        while b"\r\n\r\n" not in self._buffer:
            self._receive()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = self._chunked()
        else:
            length = int(headers.get("content-length", "0"))
            while len(self._buffer) < length:
                self._receive()
            content, self._buffer = self._buffer[:length], self._buffer[length:]
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, content)

    def _chunked(self) -> bytes:
        parts = []
        while True:
            while b"\r\n" not in self._buffer:
                self._receive()
            size_line, self._buffer = self._buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self._buffer) < size + 2:
                self._receive()
            parts.append(self._buffer[:size])
            self._buffer = self._buffer[size + 2 :]
            if size == 0:
                return b"".join(parts)
