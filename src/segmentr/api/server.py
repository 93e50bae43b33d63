"""Running the API on uvicorn (``segmentr serve``): the application built from the environment, in one process
or in ``workers`` processes sharing the port. Shutdown is graceful: on SIGINT/SIGTERM uvicorn stops accepting,
lets in-flight requests finish (each commits whole or not at all) and then closes the store."""

from __future__ import annotations

import gc
import os

import uvicorn
from fastapi import FastAPI

from segmentr.api.app import create_app
from segmentr.api.settings import ApiSettings

__all__ = ["RATE_BURST_ENV", "RATE_LIMIT_ENV", "RUN_WORKER_ENV", "app_from_environment", "run", "settings_from_environment"]

RATE_LIMIT_ENV = "SEGMENTR_RATE_LIMIT"
RATE_BURST_ENV = "SEGMENTR_RATE_BURST"
# "0": `segmentr serve --no-worker` (uvicorn's factory runs in each worker process: the choice travels here)
RUN_WORKER_ENV = "SEGMENTR_RUN_WORKER"
# In-flight requests get this long to finish on shutdown before uvicorn cancels them.
GRACEFUL_SHUTDOWN_S = 30


def settings_from_environment() -> ApiSettings:
    """The database from ``SEGMENTR_DATABASE_URL`` (else the embedded file); the rate limit from
    ``SEGMENTR_RATE_LIMIT`` (requests a second per key, 0 turns it off) and ``SEGMENTR_RATE_BURST``."""
    defaults = ApiSettings()
    return ApiSettings(
        rate_per_second=float(os.environ.get(RATE_LIMIT_ENV) or defaults.rate_per_second),
        rate_burst=int(os.environ.get(RATE_BURST_ENV) or defaults.rate_burst),
        run_worker=os.environ.get(RUN_WORKER_ENV, "1").strip() not in ("0", "false", "no"),
    )


def app_from_environment() -> FastAPI:
    """The factory uvicorn calls in each worker process.

    What is alive once the application is built (the imported modules, the routes, their models) lives as long
    as the process: ``gc.freeze()`` moves it out of the collector's generations, so a full collection no longer
    walks those ~200 000 objects each time a request's garbage triggers one (a 1 000-record usage batch
    triggers one every few calls: ~15% of its CPU)."""
    app = create_app(settings_from_environment())
    gc.collect()
    gc.freeze()
    return app


def run(*, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info") -> None:
    """Serve until SIGINT/SIGTERM (the database must be initialised: ``segmentr serve`` does it first)."""
    uvicorn.run(
        "segmentr.api.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        server_header=False,
        proxy_headers=False,
    )
