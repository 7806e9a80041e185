"""Upgrading a database made by an older StepDesk: backup first, data kept."""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from desktop.storage.bootstrap import open_store
from desktop.storage.engine import MIGRATIONS
from tests.clocks import ManualClock


def make_revision_0001(database: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            "INSERT INTO users (username, username_key, display_name, email, password_hash,"
            " active, created_at) VALUES ('emile', 'emile', 'ÉMILE Zoë', 'Émile@Example.fr',"
            " 'x', 1, ?)",
            (datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None),),
        )
    engine.dispose()


def test_upgrade_backs_up_and_folds_names(tmp_path: Path) -> None:
    database = tmp_path / "desk.sqlite3"
    make_revision_0001(database)

    store = open_store(
        str(database), demo=False, key_file=tmp_path / "desk.key", clock=ManualClock()
    )
    try:
        [status] = store.list_user_mfa("émile", limit=10)
        assert status.user.display_name == "ÉMILE Zoë"
        assert [s.user.username for s in store.list_user_mfa("zoË", limit=10)] == ["emile"]
        assert [s.user.username for s in store.list_user_mfa("example.fr", limit=10)] == ["emile"]
    finally:
        store.close()

    [backup] = tmp_path.glob("desk.before-0001.*.sqlite3")
    with closing(sqlite3.connect(backup)) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        (name,) = connection.execute("SELECT display_name FROM users").fetchone()
    assert revision == "0001"
    assert name == "ÉMILE Zoë"
