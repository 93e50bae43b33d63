"""A throw-away PostgreSQL server for the tests and the storage benchmarks (127.0.0.1, a free port, a
temporary directory), started with the server binaries of the machine."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_USER = "segmentr"
PG_DATABASE = "segmentr_test"


def _postgres_bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin: "
        "run `bash scripts/ensure-system-deps.sh` (make test does)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: use the `postgres` account, else `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` account exists")


class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary directory, on 127.0.0.1 and a free port.

    ``durable=False`` (the tests) turns fsync and full-page writes off; the benchmarks use ``durable=True``,
    a production server's settings, so their figures hold for one."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.bin_dir = _postgres_bin_dir()
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="segmentr-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"PostgreSQL command failed: {' '.join(command)}\n{result.stdout}\n{result.stderr}\n{log}"
            )

    def start(self) -> None:
        if self.user:
            info = pwd.getpwnam(self.user)
            os.chown(self.root, info.pw_uid, info.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        # Durability is irrelevant for a throw-away test cluster: fsync off keeps the suite fast.
        relaxed = "" if self.durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} {relaxed}-c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, PG_DATABASE)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{PG_DATABASE}"


__all__ = ["PG_DATABASE", "PG_USER", "PostgresServer"]
