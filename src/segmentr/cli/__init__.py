"""The ``segmentr`` command line: one typer app; each concern registers its commands from its own module."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Customer segments over a usage-based policy.")


def _print_version(value: bool) -> None:
    if value:
        from segmentr import __version__

        typer.echo(f"segmentr {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Customer segments over a usage-based policy."""

# Modules that add commands to `app` when imported (each owns one concern).
_COMMAND_MODULES = (
    "stof_commands",
    "data_commands",
    "segment_commands",
    "demo_command",
    "access_commands",
    "customer_commands",
    "serve_command",
    "notification_commands",
)


def _load_commands() -> None:
    # Imported late: each command module imports `app` from here.
    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def main() -> None:
    _load_commands()
    app()
