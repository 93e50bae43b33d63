"""What an API server is configured with (``segmentr serve`` and the tests build one)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ApiSettings"]

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """The database, and the edge's limits.

    ``database_url`` None is the configured one (``SEGMENTR_DATABASE_URL`` or the embedded SQLite file);
    ``migrate`` creates or upgrades the schema on start (the embedded default needs no set-up).
    The rate limit is a token bucket per API key (or session, or client address without either).
    """

    database_url: str | None = None
    migrate: bool = False
    max_body_bytes: int = 1 * MIB
    max_import_bytes: int = 10 * MIB
    rate_per_second: float = 100.0
    rate_burst: int = 200
    # the background worker (deliveries, sweeps) in this process: `segmentr serve` turns it on unless
    # --no-worker; an app built by a test or embedded elsewhere runs none unless asked
    run_worker: bool = False
