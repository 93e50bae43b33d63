"""The ``segmentr`` command line: one typer app; each concern registers its commands from its own module."""

from __future__ import annotations

import importlib
import os
from typing import Annotated

import typer

from segmentr.cli.context import out

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
    # COLUMNS, when set, wins for this invocation (rich reads it only when the console is built)
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        out.width = int(columns)

# Modules that add commands to `app` when imported (each owns one concern).
_COMMAND_MODULES = (
    "stof_commands",
    "data_commands",
    "segment_commands",
    "demo_command",
    "access_commands",
    "customer_commands",
    "pricing_commands",
    "serve_command",
)


def _load_commands() -> None:
    # Imported late: each command module imports `app` from here.
    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def main() -> None:
    _load_commands()
    app()
