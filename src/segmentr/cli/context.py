"""What every command shares: the consoles, the environment check, and the way into the service layer
(the configured database; every ``segmentr.errors`` error becomes a one-line message and exit code 1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console

from segmentr import service
from segmentr.errors import SegmentrError
from segmentr.service import Actor, SegmentService, Services
from segmentr.store import Store

out = Console(highlight=False)
# errors are not wrapped at the terminal width: a long path or message stays one line to copy or grep
err = Console(stderr=True, highlight=False, soft_wrap=True)


def check_env(env: str) -> str:
    """``test`` or ``live``; anything else exits 1 with the reason."""
    if env not in service.ENVIRONMENTS:
        err.print(f"[red]error:[/red] unknown environment {env!r}: use test or live")
        raise typer.Exit(1)
    return env


@contextmanager
def open_store(*, migrate: bool = False) -> Iterator[Store]:
    """The configured store (``segmentr.service.open_store``); store and service errors exit 1, cleanly."""
    try:
        with service.open_store(migrate=migrate) as store:
            yield store
    except SegmentrError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


@dataclass(frozen=True, slots=True)
class Local:
    """The use cases over the configured database, and the actor the CLI is: the default workspace's owner."""

    services: Services
    actor: Actor

    @property
    def store(self) -> Store:
        return self.services.store


@contextmanager
def open_local(*, migrate: bool = False) -> Iterator[Local]:
    """``Services`` over the configured database acting as its owner; every segmentr error exits 1, cleanly."""
    with open_store(migrate=migrate) as store:
        try:
            services = Services(store)
            yield Local(services, services.local_owner())
        except SegmentrError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc


@contextmanager
def open_segments() -> Iterator[SegmentService]:
    """The segment service of the default workspace, acted by its owner (the CLI runs as the database's owner)."""
    with open_store() as store:
        yield service.service_for(store)
