"""Fixtures shared by every test: isolated user folders, a clock, a real SQLite store."""

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store
from desktop.storage.store import SqlStore
from tests.clocks import ManualClock
from tests.postgres_server import PostgresServer, find_server_binaries
from tests.timers import ManualTimerFactory


@pytest.fixture(autouse=True)
def user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point platformdirs at a folder of this test, so no test touches the real ones."""
    home = tmp_path / "home"
    for name, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    # No test may read or write the real credential store, here or in a child process.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(FailKeyring())
    return home


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def seeded_demo_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[datetime], tuple[Path, Path]]:
    """Return a function that gives a seeded demo database and its key file for a start time.

    Seeding hashes six passwords with Argon2 (about 0.7 s), so each start time
    is seeded once per test run and every test gets its own copy.
    """
    seeded: dict[datetime, tuple[Path, Path]] = {}

    def files_for(now: datetime) -> tuple[Path, Path]:
        if now not in seeded:
            folder = tmp_path_factory.mktemp("seeded-demo")
            database, key_file = folder / "demo.sqlite3", folder / "demo.key"
            open_store(str(database), demo=True, key_file=key_file, clock=ManualClock(now)).close()
            seeded[now] = (database, key_file)
        return seeded[now]

    return files_for


@pytest.fixture
def demo_store(
    tmp_path: Path,
    clock: ManualClock,
    seeded_demo_files: Callable[[datetime], tuple[Path, Path]],
) -> Iterator[SqlStore]:
    """Open a private copy of the demo database, seeded at the clock's start time."""
    seeded_database, seeded_key_file = seeded_demo_files(clock.now())
    database, key_file = tmp_path / "demo.sqlite3", tmp_path / "demo.key"
    with (
        closing(sqlite3.connect(seeded_database)) as source,
        closing(sqlite3.connect(database)) as copy,
    ):
        source.backup(copy)
    shutil.copy(seeded_key_file, key_file)  # keeps the owner-only mode
    store = open_store(str(database), demo=True, key_file=key_file, clock=clock)
    yield store
    store.close()


@pytest.fixture
def services(demo_store: SqlStore, clock: ManualClock) -> Services:
    return Services.create(demo_store, clock)


@pytest.fixture
def timers() -> Iterator[ManualTimerFactory]:
    """Hand-fired timers; a test that leaves one running fails."""
    factory = ManualTimerFactory()
    yield factory
    left = factory.running()
    assert not left, f"{len(left)} timer(s) still running at the end of the test"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on loopback; missing server binaries fail the run when CI=true."""
    binaries = find_server_binaries()
    if binaries is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed; .ci/run installs the postgresql package")
        pytest.skip("PostgreSQL is not installed (Debian package postgresql)")
    server = PostgresServer(binaries)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()
