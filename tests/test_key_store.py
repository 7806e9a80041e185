"""Where the data key lives: the credential store first, a key file otherwise."""

import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from desktop.domain.errors import InvalidInput, StorageError
from desktop.services.bundle import Services
from desktop.storage.bootstrap import open_store
from desktop.ui.main_window import MainWindow
from tests.clocks import ManualClock
from tests.timers import ManualTimerFactory
from tests.ui_helpers import find


class MemoryKeyring(KeyringBackend):
    """A credential store in memory, standing in for the OS one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, keeps_writes: bool = True) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.keeps_writes = keeps_writes

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.keeps_writes:
            self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend


def default_key_file(home: Path) -> Path:
    return home / "config" / "StepDesk" / "stepdesk.key"


def test_new_key_goes_to_credential_store(
    tmp_path: Path, user_folders: Path, memory_keyring: MemoryKeyring
) -> None:
    database = str(tmp_path / "desk.sqlite3")
    store = open_store(database, demo=False, key_file=None, clock=ManualClock())
    store.close()
    assert len(memory_keyring.entries) == 1
    assert store.new_key_location is not None
    assert "credential store" in store.new_key_location
    assert not default_key_file(user_folders).exists()

    again = open_store(database, demo=False, key_file=None, clock=ManualClock())
    again.close()
    assert again.new_key_location is None


def test_no_credential_store_uses_key_file(tmp_path: Path, user_folders: Path) -> None:
    store = open_store(
        str(tmp_path / "desk.sqlite3"), demo=False, key_file=None, clock=ManualClock()
    )
    store.close()
    key_file = default_key_file(user_folders)
    assert store.new_key_location == f"the key file {key_file}"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_store_that_keeps_nothing_falls_back(tmp_path: Path, user_folders: Path) -> None:
    keyring.set_keyring(MemoryKeyring(keeps_writes=False))
    store = open_store(
        str(tmp_path / "desk.sqlite3"), demo=False, key_file=None, clock=ManualClock()
    )
    store.close()
    assert default_key_file(user_folders).exists()


def test_key_file_option_ignores_store(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    key_file = tmp_path / "shared.key"
    store = open_store(
        str(tmp_path / "desk.sqlite3"), demo=False, key_file=key_file, clock=ManualClock()
    )
    store.close()
    assert key_file.exists()
    assert memory_keyring.entries == {}


def test_shared_database_needs_key_file(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(StorageError, match="needs --key-file"):
        open_store(
            "postgresql://desk@127.0.0.1:1/stepdesk", demo=False, key_file=None, clock=ManualClock()
        )


def test_missing_store_entry_creates_no_key(
    tmp_path: Path, user_folders: Path, memory_keyring: MemoryKeyring
) -> None:
    database = str(tmp_path / "desk.sqlite3")
    open_store(database, demo=False, key_file=None, clock=ManualClock()).close()
    memory_keyring.entries.clear()
    with pytest.raises(StorageError, match="data key is missing"):
        open_store(database, demo=False, key_file=None, clock=ManualClock())
    assert memory_keyring.entries == {}
    assert not default_key_file(user_folders).exists()


def test_backup_opens_database(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    database = str(tmp_path / "desk.sqlite3")
    store = open_store(database, demo=False, key_file=None, clock=ManualClock())
    backup = tmp_path / "backup.key"
    store.save_key_backup(backup)
    with pytest.raises(InvalidInput, match="already exists"):
        store.save_key_backup(backup)
    store.close()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    memory_keyring.entries.clear()
    open_store(database, demo=False, key_file=backup, clock=ManualClock()).close()


def test_demo_refusal_named_before_key(tmp_path: Path) -> None:
    database = tmp_path / "desk.sqlite3"
    open_store(
        str(database), demo=False, key_file=tmp_path / "real.key", clock=ManualClock()
    ).close()
    with pytest.raises(StorageError, match="is not a demo database"):
        open_store(str(database), demo=True, key_file=None, clock=ManualClock())


def test_backup_banner_saves_key(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, timers: ManualTimerFactory
) -> None:
    clock = ManualClock()
    store = open_store(str(tmp_path / "desk.sqlite3"), demo=False, key_file=None, clock=clock)
    try:
        from desktop.domain.roles import GlobalRole
        from desktop.security.passwords import hash_password

        store.create_user(
            "root",
            hash_password("a long password"),
            display_name="Root",
            email=None,
            now=clock.now(),
            global_role=GlobalRole.ADMINISTRATOR,
        )
        services = Services.create(store, clock)
        session = services.auth.sign_in("root", "a long password")
        # The step-up before the copy is tested with the rest of the step-up dialog.
        session.unlock.open()
        window = MainWindow(services, session, timers)
        qtbot.addWidget(window)
        notice = find(window, QLabel, "Key backup notice")
        assert "credential store" in notice.text()
        backup = tmp_path / "backup.key"
        assert window.save_key_backup(backup)
        assert backup.exists()
        assert not find(window, QWidget, "Save key backup").isVisibleTo(window)
        window.close()
    finally:
        store.close()


def test_key_backup_needs_admin_and_step_up(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    from desktop.domain.errors import PermissionDenied, StepUpRequired
    from desktop.domain.roles import GlobalRole
    from desktop.security.passwords import hash_password

    clock = ManualClock()
    store = open_store(str(tmp_path / "desk.sqlite3"), demo=False, key_file=None, clock=clock)
    try:
        for name, role in (("root", GlobalRole.ADMINISTRATOR), ("help", GlobalRole.SUPPORT)):
            store.create_user(
                name,
                hash_password("a long password"),
                display_name=name,
                email=None,
                now=clock.now(),
                global_role=role,
            )
        services = Services.create(store, clock)
        backup = tmp_path / "backup.key"
        support = services.auth.sign_in("help", "a long password")
        support.unlock.open()
        with pytest.raises(PermissionDenied):
            services.policy.save_key_backup(support, backup)
        admin = services.auth.sign_in("root", "a long password")
        with pytest.raises(StepUpRequired):
            services.policy.save_key_backup(admin, backup)
        assert not backup.exists()
        admin.unlock.open()
        services.policy.save_key_backup(admin, backup)
        assert backup.exists()
        outcomes = [e.outcome for e in store.audit_events(actions=("key-backup",))]
        assert outcomes == ["success", "step-up-required"]
    finally:
        store.close()
