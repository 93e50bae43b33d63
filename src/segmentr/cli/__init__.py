"""The ``segmentr`` command line: one typer app; each concern registers its commands from its own module."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Customer segments over a usage-based policy.")

# Modules that add commands to `app` when imported (each owns one concern).
_COMMAND_MODULES = (
    "stof_commands",
    "data_commands",
    "segment_commands",
    "demo_command",
    "access_commands",
    "customer_commands",
    "serve_command",
)


def _load_commands() -> None:
    # Imported late: each command module imports `app` from here.
    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def main() -> None:
    _load_commands()
    app()
