"""The packaged migrations build the schema on both databases, idempotently, with the promised indexes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from segmentr.store import Store
from segmentr.store.db import database_url, make_engine
from segmentr.store.migrate import current_revision, head_revision

TABLES = {
    "workspaces",
    "members",
    "environments",
    "policy_versions",
    "customers",
    "segments",
    "segment_versions",
    "active_segments",
}


def test_migrate_creates_every_table_and_is_idempotent(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
        store.migrate()
        assert store.is_migrated()
        assert current_revision(store.engine) == head_revision()
        assert set(inspect(store.engine).get_table_names()) >= TABLES


def test_customer_indexes(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
        indexes = {index["name"]: index["column_names"] for index in inspect(store.engine).get_indexes("customers")}
        assert indexes["ix_customers_env_plan"] == ["environment_id", "plan"]
        assert indexes["ix_customers_env_type"] == ["environment_id", "type"]
        assert indexes["ix_customers_env_created"] == ["environment_id", "cloud_created"]
        assert indexes["ix_customers_env_updated"] == ["environment_id", "cloud_updated"]
        if store.dialect == "postgresql":
            with store.engine.connect() as connection:
                definition = connection.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_customers_metadata_gin'")
                ).scalar_one()
                column_type = connection.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns "
                        "WHERE table_name = 'customers' AND column_name = 'metadata' "
                        "AND table_schema = current_schema()"
                    )
                ).scalar_one()
            assert "gin" in definition and "jsonb_path_ops" in definition
            assert column_type == "jsonb"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    with Store(sqlite_url) as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_default_url_is_a_file_under_segmentr_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEGMENTR_DATABASE_URL", raising=False)
    monkeypatch.setenv("SEGMENTR_HOME", str(tmp_path / "home"))
    assert database_url() == f"sqlite:///{tmp_path / 'home' / 'segmentr.db'}"
    with Store() as store:
        store.init()
    assert (tmp_path / "home" / "segmentr.db").is_file()


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", "postgresql://u@127.0.0.1:5/db")
    assert database_url() == "postgresql+psycopg://u@127.0.0.1:5/db"
    assert make_engine().dialect.driver == "psycopg"
