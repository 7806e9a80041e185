"""Opening real SQLite databases: data keys, bad files, demo rules, WAL and filters."""

import hashlib
import sqlite3
import stat
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from desktop import paths
from desktop.domain.entities import Environment
from desktop.domain.errors import EncryptionKeyError, StorageError
from desktop.security.encryption import generate_key, write_key_file
from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store
from desktop.storage.engine import resolve_target
from desktop.storage.seed import DEMO_USERS
from desktop.storage.store import SqlStore
from tests.clocks import ManualClock


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _create_database(folder: Path, clock: ManualClock) -> tuple[Path, Path]:
    """Create a closed, non-demo database holding one encrypted API secret."""
    database, key_file = folder / "desk.sqlite3", folder / "desk.key"
    store = open_store(str(database), demo=False, key_file=key_file, clock=clock)
    try:
        team_id = store.create_team("Payments")
        [application_id] = store.create_applications(
            team_id, [("Checkout", Environment.PRODUCTION)]
        )
        store.add_api_key(application_id, "sd_client", "an-api-secret", clock.now())
    finally:
        store.close()
    return database, key_file


def _count_users(database: Path) -> int:
    with closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM users").fetchone()[0])


def _database_of(store: SqlStore) -> Path:
    path = store.target.path
    assert path is not None
    return path


def test_new_database_key_file_owner_only(tmp_path: Path, clock: ManualClock) -> None:
    _database, key_file = _create_database(tmp_path, clock)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_new_database_not_demo(tmp_path: Path, clock: ManualClock) -> None:
    store = open_store(str(tmp_path / "desk.sqlite3"), demo=False, key_file=None, clock=clock)
    try:
        assert not store.is_demo()
        assert store.is_empty()
    finally:
        store.close()


def test_reopen_with_own_key(tmp_path: Path, clock: ManualClock) -> None:
    database, key_file = _create_database(tmp_path, clock)

    store = open_store(str(database), demo=False, key_file=key_file, clock=clock)
    try:
        details = store.load_security_details(1)
        assert details.api_keys[0].client_id == "sd_client"
    finally:
        store.close()


def test_wrong_key_file_rejected(tmp_path: Path, clock: ManualClock) -> None:
    database, _key_file = _create_database(tmp_path, clock)
    wrong_key = tmp_path / "wrong.key"
    write_key_file(wrong_key, generate_key())

    with pytest.raises(EncryptionKeyError, match="does not belong") as raised:
        open_store(str(database), demo=False, key_file=wrong_key, clock=clock)

    assert str(wrong_key) in str(raised.value)


def test_wrong_key_file_changes_nothing(tmp_path: Path, clock: ManualClock) -> None:
    database, key_file = _create_database(tmp_path, clock)
    wrong_key = tmp_path / "wrong.key"
    write_key_file(wrong_key, generate_key())
    before = {path: _digest(path) for path in (database, key_file, wrong_key)}

    with pytest.raises(EncryptionKeyError):
        open_store(str(database), demo=False, key_file=wrong_key, clock=clock)

    after = {path: _digest(path) for path in (database, key_file, wrong_key)}
    assert after == before
    reopened = open_store(str(database), demo=False, key_file=key_file, clock=clock)
    reopened.close()


def test_missing_key_file_rejected(tmp_path: Path, clock: ManualClock) -> None:
    database, _key_file = _create_database(tmp_path, clock)
    missing = tmp_path / "elsewhere" / "missing.key"

    with pytest.raises(EncryptionKeyError, match="missing") as raised:
        open_store(str(database), demo=False, key_file=missing, clock=clock)

    assert str(missing) in str(raised.value)
    assert not missing.exists()


def test_missing_key_file_demo_rejected(demo_store: SqlStore, clock: ManualClock) -> None:
    demo_store.close()
    database = _database_of(demo_store)
    missing = database.with_name("new.key")

    with pytest.raises(EncryptionKeyError):
        open_store(str(database), demo=True, key_file=missing, clock=clock)

    assert not missing.exists()


def test_database_path_folder(tmp_path: Path, clock: ManualClock) -> None:
    folder = tmp_path / "a-folder.sqlite3"
    folder.mkdir()

    with pytest.raises(StorageError, match="is a folder") as raised:
        open_store(str(folder), demo=False, key_file=tmp_path / "desk.key", clock=clock)

    assert str(folder) in str(raised.value)
    assert not (tmp_path / "desk.key").exists()


def test_corrupt_database_rejected(tmp_path: Path, clock: ManualClock) -> None:
    database = tmp_path / "corrupt.sqlite3"
    database.write_bytes(b"This is a spreadsheet, not a database.\n" * 200)
    key_file = tmp_path / "desk.key"

    with pytest.raises(StorageError, match="damaged") as raised:
        open_store(str(database), demo=False, key_file=key_file, clock=clock)

    assert str(database) in str(raised.value)
    assert not key_file.exists()


def test_corrupt_database_unchanged(tmp_path: Path, clock: ManualClock) -> None:
    database = tmp_path / "corrupt.sqlite3"
    garbage = bytes(range(256)) * 64
    database.write_bytes(garbage)

    with pytest.raises(StorageError):
        open_store(str(database), demo=False, key_file=tmp_path / "desk.key", clock=clock)

    assert database.read_bytes() == garbage


def test_demo_refuses_server_url(tmp_path: Path, clock: ManualClock) -> None:
    key_file = tmp_path / "demo.key"

    with pytest.raises(StorageError, match="--demo") as raised:
        open_store("postgresql://x@127.0.0.1/db", demo=True, key_file=key_file, clock=clock)

    assert "127.0.0.1" in str(raised.value)
    assert not key_file.exists()


def test_demo_refuses_database_with_users(tmp_path: Path, clock: ManualClock) -> None:
    database = tmp_path / "real.sqlite3"
    key_file = tmp_path / "real.key"
    store = open_store(str(database), demo=False, key_file=key_file, clock=clock)
    store.create_user(
        "real.person", "not-a-hash", display_name="Real Person", email=None, now=clock.now()
    )
    store.close()

    with pytest.raises(StorageError, match="not a demo database") as raised:
        open_store(str(database), demo=True, key_file=key_file, clock=clock)

    assert str(database) in str(raised.value)
    assert _count_users(database) == 1


def test_demo_refuses_empty_real_database(tmp_path: Path, clock: ManualClock) -> None:
    database = tmp_path / "real.sqlite3"
    key_file = tmp_path / "real.key"
    open_store(str(database), demo=False, key_file=key_file, clock=clock).close()

    with pytest.raises(StorageError, match="not a demo database"):
        open_store(str(database), demo=True, key_file=key_file, clock=clock)

    assert _count_users(database) == 0


def test_demo_new_file_seeded(demo_store: SqlStore) -> None:
    assert demo_store.is_demo()
    assert _count_users(_database_of(demo_store)) == len(DEMO_USERS)


def test_demo_reopen_not_reseeded(demo_store: SqlStore, clock: ManualClock) -> None:
    demo_store.close()
    database = _database_of(demo_store)

    reopened = open_store(
        str(database), demo=True, key_file=database.with_name("demo.key"), clock=clock
    )
    reopened.close()

    assert _count_users(database) == len(DEMO_USERS)


def test_engine_uses_wal(demo_store: SqlStore) -> None:
    database = _database_of(demo_store)

    with closing(sqlite3.connect(database)) as connection:
        [mode] = connection.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"


def test_database_path_missing_folder(tmp_path: Path, clock: ManualClock) -> None:
    folder = tmp_path / "no-such-folder"

    with pytest.raises(StorageError, match="does not exist") as raised:
        open_store(str(folder / "desk.sqlite3"), demo=False, key_file=None, clock=clock)

    assert str(folder) in str(raised.value)
    assert not folder.exists()


def test_default_database_first_start(user_folders: Path, clock: ManualClock) -> None:
    store = open_store(None, demo=False, key_file=None, clock=clock)
    store.close()

    database = _database_of(store)
    assert database == paths.default_database()
    assert database.is_relative_to(user_folders)
    assert paths.default_key_file(demo=False).exists()


@pytest.mark.parametrize(
    ("value", "is_path"),
    [
        ("C:\\data\\desk.db", True),
        ("./desk.db", True),
        ("sqlite:///{tmp}/desk.db", True),
        ("postgresql://desk@127.0.0.1/stepdesk", False),
    ],
)
def test_database_argument_path_or_url(tmp_path: Path, value: str, is_path: bool) -> None:
    target = resolve_target(value.format(tmp=tmp_path))

    assert (target.path is not None) == is_path


def test_database_url_unknown_dialect() -> None:
    with pytest.raises(StorageError, match="mysql"):
        resolve_target("mysql://desk@127.0.0.1/stepdesk")


# Filtering is a case-insensitive substring match with % and _ taken literally.

FILTER_NAMES = ["100%", "1000", "a_b", "axb", "back\\slash"]


@pytest.fixture
def filter_team(demo_store: SqlStore) -> int:
    team_id = demo_store.create_team("Literal Filters")
    demo_store.create_applications(
        team_id, [(name, Environment.DEVELOPMENT) for name in FILTER_NAMES]
    )
    return team_id


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("%", ["100%"]),
        ("0%", ["100%"]),
        ("_", ["a_b"]),
        ("a_b", ["a_b"]),
        ("A_B", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("100", ["100%", "1000"]),
        ("x", ["axb"]),
        ("", FILTER_NAMES),
    ],
)
def test_filter_matches_literally(
    services: Services, filter_team: int, filter_text: str, expected: list[str]
) -> None:
    administrator = next(user for user in DEMO_USERS if user.username == "ada")
    session = services.auth.sign_in(administrator.username, administrator.password)
    query = services.browse.query(session, filter_text=filter_text, team_id=filter_team)

    names = [application.name for application in services.browse.applications(query)]

    assert sorted(names) == sorted(expected)
    assert services.browse.count(query) == len(expected)


def test_database_created_at_recorded(demo_store: SqlStore, clock: ManualClock) -> None:
    enforced_from = demo_store.load_policy().enforced_from

    assert enforced_from == clock.now()
    assert isinstance(enforced_from, datetime)
