"""Run the packaged Alembic migrations programmatically (``segmentr init`` / ``Store.migrate()``)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from segmentr.store.db import translate_errors

__all__ = ["current_revision", "head_revision", "migrate"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (idempotent)."""
    config = _config()
    with translate_errors(), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with translate_errors(), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache  # the packaged migrations do not change while the process runs; reading them is ~10 ms
def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()
