"""The settings file: remembering the chosen database, surviving damage."""

import json
import logging
from pathlib import Path

import pytest

from desktop import settings
from desktop.settings import DatabaseChoice
from desktop.storage.bootstrap import location_to_remember
from desktop.storage.engine import resolve_target


def test_choice_round_trips(user_folders: Path) -> None:
    settings.save_database_choice(DatabaseChoice("/srv/desk/stepdesk.sqlite3"))

    assert settings.load_database_choice() == DatabaseChoice("/srv/desk/stepdesk.sqlite3")
    assert settings.settings_file().is_relative_to(user_folders)


def test_demo_choice_round_trips() -> None:
    settings.save_database_choice(DatabaseChoice(None, demo=True))

    assert settings.load_database_choice() == DatabaseChoice(None, demo=True)


def test_nothing_saved_gives_none() -> None:
    assert settings.load_database_choice() is None


def test_other_settings_kept() -> None:
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"theme": "dark"}), encoding="utf-8")

    settings.save_database_choice(DatabaseChoice(None, demo=True))

    assert json.loads(path.read_text(encoding="utf-8"))["theme"] == "dark"


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"database": "stepdesk.sqlite3"}),
        json.dumps({"database": {"location": 7, "demo": False}}),
        json.dumps({"database": {"location": None, "demo": "yes"}}),
    ],
    ids=["invalid JSON", "not an object", "plain string", "location number", "demo text"],
)
def test_damaged_file_ignored(text: str, caplog: pytest.LogCaptureFixture) -> None:
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")

    with caplog.at_level(logging.WARNING):
        choice = settings.load_database_choice()

    assert choice is None
    assert str(path) in caplog.text


def test_damaged_file_replaced_on_save() -> None:
    path = settings.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")

    settings.save_database_choice(DatabaseChoice(None, demo=True))

    assert settings.load_database_choice() == DatabaseChoice(None, demo=True)


def test_url_remembered_without_password() -> None:
    target = resolve_target("postgresql://desk:s3cret@127.0.0.1:5432/stepdesk")

    remembered = location_to_remember(target)

    assert remembered == "postgresql://desk@127.0.0.1:5432/stepdesk"


def test_file_remembered_as_absolute_path(tmp_path: Path) -> None:
    target = resolve_target(str(tmp_path / "desk.sqlite3"))

    assert location_to_remember(target) == str(tmp_path / "desk.sqlite3")


def test_key_file_setting_read(user_folders: Path) -> None:
    from desktop import settings

    path = settings.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"key_file": "~/shared/desk.key"}', encoding="utf-8")
    assert settings.load_key_file() == Path("~/shared/desk.key").expanduser()
    path.write_text('{"key_file": 7}', encoding="utf-8")
    assert settings.load_key_file() is None


def test_key_file_setting_used_by_cli(user_folders: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from desktop import settings
    from desktop.storage.bootstrap import open_store
    from tests.clocks import ManualClock

    database = tmp_path / "shared.sqlite3"
    shared_key = tmp_path / "shared.key"
    open_store(str(database), demo=False, key_file=shared_key, clock=ManualClock()).close()
    path = settings.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'{{"key_file": "{tmp_path / "other.key"}"}}', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--database", str(database)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 3
    assert f"missing from the key file {tmp_path / 'other.key'}" in result.stderr
