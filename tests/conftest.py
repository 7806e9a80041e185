"""Fixtures shared by every test: isolated user folders, a clock, a real SQLite store."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.services.bundle import Services  # noqa: E402
from desktop.storage.bootstrap import open_store  # noqa: E402
from desktop.storage.store import SqlStore  # noqa: E402
from tests.clocks import ManualClock  # noqa: E402


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
    return home


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def demo_store(tmp_path: Path, clock: ManualClock) -> Iterator[SqlStore]:
    store = open_store(
        str(tmp_path / "demo.sqlite3"), demo=True, key_file=tmp_path / "demo.key", clock=clock
    )
    yield store
    store.close()


@pytest.fixture
def services(demo_store: SqlStore, clock: ManualClock) -> Services:
    return Services.create(demo_store, clock)
