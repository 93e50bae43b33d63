"""`segmentr serve`: the HTTP API on uvicorn, over the configured database (initialised on first start)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from segmentr.cli import app
from segmentr.cli.context import err, open_store, say

__all__ = ["serve"]


def serve(host: str, port: int, workers: int, *, run_worker: bool = True) -> None:
    """Initialise the configured database if it is new, then serve until Ctrl-C (in-flight requests finish)."""
    from segmentr.api.server import (  # FastAPI and uvicorn load only for the commands that serve
        RUN_WORKER_ENV,
        run,
    )

    os.environ[RUN_WORKER_ENV] = "1" if run_worker else "0"
    with open_store(migrate=True) as store:
        say(("✓", "green"), f" database ready: {store.url}")
    say(f"serving the API on http://{host}:{port}/v1 (OpenAPI at /openapi.json, docs at /docs); Ctrl-C stops")
    run(host=host, port=port, workers=workers)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes sharing the port", min=1, max=64)] = 1,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="do not run the background worker in this process")
    ] = False,
) -> None:
    """Serve the HTTP API (api.md) until Ctrl-C."""
    if no_worker:
        err.print("background worker: not started (--no-worker)")
    serve(host, port, workers, run_worker=not no_worker)
