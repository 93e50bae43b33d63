"""What every command shares: the consoles, literal printing of user data, the environment check, and the way
into the service layer (the configured database; every ``segmentr.errors`` error becomes a one-line message and exit code 1).

Everything a user typed or imported (names, ids, conditions, values, messages quoting them) is printed as
literal text: ``say``/``fail`` build ``rich.text.Text`` from plain strings and ``(text, style)`` pairs, so
``[red]x[/red]`` or ``[/]`` in a segment name is shown as typed, never read as markup; emoji codes such as
``:smile:`` stay text too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from segmentr import service
from segmentr.errors import SegmentrError
from segmentr.service import Actor, SegmentService, Services
from segmentr.store import Store

out = Console(highlight=False, emoji=False)
# errors are not wrapped at the terminal width: a long path or message stays one line to copy or grep
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

# A piece of a printed line: literal text, or (literal text, rich style).
Part = str | tuple[str, str]


def literal(*parts: Part) -> Text:
    """One line of literal text; styled parts are ``(text, style)`` pairs (the style is ours, the text never
    markup)."""
    return Text.assemble(*parts)


def say(*parts: Part) -> None:
    """Print a line on standard output, every part literally; never wrapped (a line stays one line to copy or
    grep, whatever the terminal's width)."""
    out.print(literal(*parts), soft_wrap=True)


def warn(*parts: Part) -> None:
    """Print a line on standard error, every part literally."""
    err.print(literal(*parts))


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on standard error (literally) and return the Exit to raise."""
    err.print(literal(("error:", "red"), " ", message))
    return typer.Exit(code)


def cell(value: Any) -> Text:
    """A table cell shown literally."""
    return Text(str(value))


def check_env(env: str) -> str:
    """``test`` or ``live``; anything else exits 1 with the reason."""
    if env not in service.ENVIRONMENTS:
        raise fail(f"unknown environment {env!r}: use test or live")
    return env


@contextmanager
def open_store(*, migrate: bool = False) -> Iterator[Store]:
    """The configured store (``segmentr.service.open_store``); store and service errors exit 1, cleanly."""
    try:
        with service.open_store(migrate=migrate) as store:
            yield store
    except SegmentrError as exc:
        raise fail(str(exc)) from exc


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
            raise fail(str(exc)) from exc


@contextmanager
def open_segments() -> Iterator[SegmentService]:
    """The segment service of the default workspace, acted by its owner (the CLI runs as the database's owner)."""
    with open_store() as store:
        yield service.service_for(store)
