"""What every command shares: the consoles, the environment check, and the way into the service layer
(the configured database; store and service errors become a one-line message and exit code 1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from segmentr import service
from segmentr.service import SegmentService, ServiceError
from segmentr.store import Store, StoreError

out = Console(highlight=False)
# errors are not wrapped at the terminal width: a long path or message stays one line to copy or grep
err = Console(stderr=True, highlight=False, soft_wrap=True)


def check_env(env: str) -> str:
    """``test`` or ``live``; anything else exits 1 with the reason."""
    if env not in ("test", "live"):
        err.print(f"[red]error:[/red] unknown environment {env!r}: use test or live")
        raise typer.Exit(1)
    return env


@contextmanager
def open_store(*, migrate: bool = False) -> Iterator[Store]:
    """The configured store (``segmentr.service.open_store``); store and service errors exit 1, cleanly."""
    try:
        with service.open_store(migrate=migrate) as store:
            yield store
    except (StoreError, ServiceError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


@contextmanager
def open_segments() -> Iterator[SegmentService]:
    """The segment service of the default workspace, acted by its owner (the CLI runs as the database's owner)."""
    with open_store() as store:
        yield service.service_for(store)
